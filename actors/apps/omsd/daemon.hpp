// Daemon: omsd's composition root. From the config dir and the data dir it builds, in order:
// the Directory (accounts and strategies from the configs, instruments from the venues'
// exchangeInfo), the risk limits (risk.yaml), the event store (JetStream or the file journal),
// the intent log (what the last run committed and the store never acknowledged goes first),
// snapshots, one connector per venue and market (Binance spot / USD-M, Bybit spot / linear)
// with every account's keys, one session per account (its spot and USD-M connections), the runtime (the engine and the strategy actors),
// and market data (depth into the engine's books), and the daily files written from the store.
// The gateway and the health server are built on top of it (main.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <condition_variable>
#include <thread>

#include "account_session.hpp"
#include "fee_check.hpp"
#include "oms/actors/daily_writer.hpp"
#include "oms/actors/observe/metrics.hpp"
#include "oms/persistence/daily_files.hpp"
#include "oms/actors/runtime.hpp"
#include "oms/configs/config.hpp"
#include "oms/connectors/binance/exchange_binance.hpp"
#include "oms/connectors/bybit/exchange_bybit.hpp"
#include "oms/connectors/okx/exchange_okx.hpp"
#include "oms/connectors/upbit/exchange_upbit.hpp"
#include "oms/persistence/event_store.hpp"
#include "oms/persistence/intent_log.hpp"
#include "oms/persistence/record_integrity.hpp"
#include "oms/persistence/snapshot.hpp"
#include "oms/setup/engine_setup.hpp"
#include "options.hpp"
#include "paper_keys.hpp"
#include "vault_keys.hpp"

namespace oms::omsd {

// Moves the calling thread (and the threads it starts from now on) to these CPUs; an error text
// when the kernel refuses (a CPU not present).
[[nodiscard]] std::optional<std::string> pin_this_thread(const std::vector<int>& cpus);

// One account the daemon runs.
struct RunAccount {
  AccountId id;
  std::string name;
  ExchangeId exchange = ExchangeId::kBinance;
  std::vector<Market> markets;
  std::shared_ptr<AccountSession> session;
};

// Market data per venue market: when the last message came (health).
struct MarketDataStats {
  std::atomic<std::int64_t> last_ns{0};
  std::atomic<std::uint64_t> messages{0};
};

class Daemon {
 public:
  explicit Daemon(Options options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Builds and starts everything; throws configs::ConfigError (every problem of every file)
  // or std::runtime_error naming what failed. Nothing is left running on a throw.
  void start();
  // Stops market data, the runtime (sessions, actors) and the connectors; flushes the store.
  void stop();

  [[nodiscard]] const Options& options() const noexcept { return options_; }
  [[nodiscard]] const configs::Config& config() const noexcept { return config_; }
  [[nodiscard]] const Directory& directory() const noexcept { return built_->directory; }
  [[nodiscard]] const std::vector<Instrument>& instruments() const noexcept { return built_->instruments; }
  [[nodiscard]] const actors::InstrumentTable& instrument_table() const noexcept { return *built_->table; }
  [[nodiscard]] actors::Runtime& runtime() noexcept { return *runtime_; }
  [[nodiscard]] std::shared_ptr<actors::RiskCore> risk() const noexcept { return built_->risk; }
  [[nodiscard]] const std::vector<RunAccount>& accounts() const noexcept { return accounts_; }
  [[nodiscard]] persistence::EventStore& store() noexcept { return *store_; }
  [[nodiscard]] binance::BinanceVenue* venue(Market m) const noexcept;
  [[nodiscard]] bybit::BybitVenue* bybit_venue(Market m) const noexcept;
  [[nodiscard]] okx::OkxVenue* okx_venue(Market m) const noexcept;
  [[nodiscard]] upbit::UpbitVenue* upbit_venue() const noexcept { return upbit_.get(); }
  // A venue's ban of this daemon's IP on a market (Binance: HTTP 418, Bybit: 403, Upbit: 418):
  // its end (0: none seen; in the past: over) and the status that said it.
  struct VenueBan {
    TimeNs until_ns = 0;
    unsigned status = 0;
  };
  [[nodiscard]] VenueBan venue_ban(ExchangeId exchange, Market m) const noexcept;
  // Account snapshots' times since start (EngineOptions::on_snapshot, /metrics
  // oms_snapshot_seconds): what each held the engine's shard, and the whole snapshot.
  [[nodiscard]] const observe::Histogram& snapshot_shard_times() const noexcept { return snapshot_shard_; }
  [[nodiscard]] const observe::Histogram& snapshot_times() const noexcept { return snapshot_total_; }
  // Their bounds: 100 us to 10 s, 1, 1.5, 2, 3, 5, 7 a decade.
  [[nodiscard]] static std::vector<double> snapshot_bounds();
  // Binance's (the first venue's) market data of a market; market_data(exchange, m) any venue's.
  [[nodiscard]] const MarketDataStats& market_data(Market m) const noexcept {
    return market_data(ExchangeId::kBinance, m);
  }
  [[nodiscard]] const MarketDataStats& market_data(ExchangeId e, Market m) const noexcept {
    return md_[md_index(e)][m == Market::kSpot ? 0 : 1];
  }
  [[nodiscard]] std::vector<InstrumentId> market_data_instruments() const { return md_instruments_; }
  // New orders' origin-to-socket latency (API requests, market data), recorded by the
  // connectors at the socket write: metrics.
  [[nodiscard]] const SendLatency& send_latency() const noexcept { return *send_latency_; }
  // The account's summary (Engine::summary: no orders or fills copied); null when not answered.
  [[nodiscard]] actors::AccountViewPtr summary(std::size_t index) const;
  // Each account's fees as its venue states them beside exchanges.yaml's (fee_check.hpp), as
  // far as the check after start has come.
  [[nodiscard]] std::vector<FeeCheck> fee_checks() const;
  // Who hears the engine's automatic kill-switch trips (main: the venue sweep); null: nobody.
  // Called on the engine's shard: must not block.
  void set_kill_switch_listener(std::function<void(const KillSwitchTripped&)> listener);
  // Live mode with --secrets vault:...: the keys' renewals, reads and rotations; null otherwise.
  [[nodiscard]] const VaultKeys* vault_keys() const noexcept { return vault_.get(); }

 private:
  // Every instrument of every market an account trades, as the venue lists it (no ids yet).
  [[nodiscard]] std::vector<Instrument> load_instruments();
  [[nodiscard]] std::vector<Instrument> load_bybit_instruments(Market m);
  // OKX's instruments with their contract values (kept for the connectors: swap sizes).
  [[nodiscard]] std::vector<Instrument> load_okx_instruments(Market m);
  [[nodiscard]] std::vector<Instrument> load_upbit_instruments();
  void start_upbit_venue();
  void start_bybit_venues();
  void start_okx_venues();
  [[nodiscard]] static std::size_t md_index(ExchangeId e) noexcept {
    return e == ExchangeId::kBybit ? 1 : e == ExchangeId::kOkx ? 2 : e == ExchangeId::kUpbit ? 3 : 0;
  }
  [[nodiscard]] bool trades(ExchangeId e, Market m) const;
  void open_store();
  void start_venues();
  void start_market_data();
  void start_daily_files();
  void stop_daily_files();
  void check_fees();  // on fee_thread_
  // The arbitrage legs' taker fees from their venues (fee_check.hpp), after check_fees.
  void set_leg_fees();
  secrets::ApiCredentials credentials(const PaperEntry& entry);
  // A new version of the account's keys from Vault, into each of its connections (the keys'
  // thread).
  void rotate_keys(const std::string& account, const secrets::ApiCredentials& c);

  Options options_;
  configs::Config config_;
  std::vector<PaperEntry> entries_;
  std::unique_ptr<setup::BuiltEngine> built_;  // directory, instruments, risk, engine options
  std::shared_ptr<const std::vector<Market>> markets_;
  std::unique_ptr<persistence::EventStore> store_;
  std::unique_ptr<persistence::IntentLog> intents_;
  // Before snapshots_ and runtime_: the snapshot store's writer thread observes into them (the
  // engine's on_snapshot) until its last queued write is done.
  observe::Histogram snapshot_shard_{snapshot_bounds()};
  observe::Histogram snapshot_total_{snapshot_bounds()};
  std::unique_ptr<persistence::SnapshotStore> snapshots_;
  std::shared_ptr<const persistence::RecordMac> mac_;  // the stored events' MAC key
  std::unique_ptr<secrets::SecretStore> secrets_;
  std::unique_ptr<VaultKeys> vault_;  // --secrets vault:...
  std::unique_ptr<binance::BinanceVenue> spot_, usdm_;
  std::unique_ptr<bybit::BybitVenue> bybit_spot_, bybit_linear_;
  std::unique_ptr<okx::OkxVenue> okx_spot_, okx_swap_;
  std::unique_ptr<upbit::UpbitVenue> upbit_;
  std::vector<okx::OkxInstrument> okx_instruments_;  // as listed (ids from built_ at start)
  std::vector<RunAccount> accounts_;
  std::unique_ptr<actors::Runtime> runtime_;
  // The daily files (trades.jsonl, executions.jsonl, pnl.csv), written from the store once a
  // second by a thread of their own (daily_writer.hpp).
  std::unique_ptr<persistence::DailyFiles> daily_files_;
  std::unique_ptr<actors::DailyWriter> daily_writer_;
  std::thread daily_thread_;
  std::mutex daily_mu_;
  std::mutex kill_listener_mu_;
  std::function<void(const KillSwitchTripped&)> kill_listener_;  // guarded by kill_listener_mu_
  std::condition_variable daily_cv_;
  bool daily_stop_ = false;
  std::thread fee_thread_;
  std::atomic<bool> fee_stop_{false};
  mutable std::mutex fee_mu_;
  std::vector<FeeCheck> fee_checks_;
  std::vector<InstrumentId> md_instruments_;
  MarketDataStats md_[4][2];  // [Binance, Bybit, OKX, Upbit][spot, USD-M / linear / swap]
  std::shared_ptr<SendLatency> send_latency_ = std::make_shared<SendLatency>();
  bool started_ = false;
};

}  // namespace oms::omsd
