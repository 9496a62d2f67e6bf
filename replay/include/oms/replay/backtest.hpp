// Backtests (DESIGN.md "Replay and backtest"): recorded market data fed to the same engine --
// the books, the strategy stage, risk and the order desks, built by build_engine() from the
// configs -- with the venue simulator's matching core (connectors/sim/venue.hpp) in-process in
// place of the connectors' sessions, all on one thread and a virtual clock.
//
// Time: the recorded receive time of each market-data message. The venue's background book and
// trades follow the recording (queue position of a resting order from the volume ahead of it,
// fills of aggressive orders by walking the recorded book: the simulator's matching model);
// the engine sees each message at the same time. An order the engine sends reaches the venue
// `latency` later; each venue report (ack, fill, cancel) reaches the engine `latency` later
// again; both draws come from the model (fixed plus a seeded uniform jitter). Ack timers, the
// engine's housekeeping (every 100 ms) and valuations (every second) run at their virtual
// times between messages. Nothing reads the wall clock: the same inputs and options give the
// same output files, byte for byte.
//
// Venue reports are translated as the Binance connector translates the venue's user-data
// stream (binance::to_events): the same events in the same order as live.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oms/messages/commands.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/envelope.hpp"
#include "oms/messages/instrument.hpp"
#include "oms/messages/result.hpp"
#include "oms/persistence/event_store.hpp"
#include "oms/setup/engine_setup.hpp"

namespace oms::replay {

// Order and report latency: fixed + uniform [0, jitter) from a splitmix64 stream of `seed`;
// with `recorded`, plus the recording's own feed delay at that moment: the last depth diff's
// receive time minus the venue's event time, less the smallest such difference seen so far
// (the two clocks are not synchronized: only the delay above the best case is known).
struct LatencyModel {
  TimeNs fixed_ns = 0;
  TimeNs jitter_ns = 0;
  std::uint64_t seed = 1;
  bool recorded = false;
};
// "zero", "recorded[,fixed_us=N]..." or "fixed_us=N[,jitter_us=M][,seed=S]"; errors name the
// part that is wrong.
[[nodiscard]] Result<LatencyModel, std::string> parse_latency(std::string_view text);

// A recorded market-data file: the hftbacktest collector format (gzip, "<recv_ns> <raw JSON>"
// lines of Binance combined streams: depth diffs, depth snapshots, bookTicker, trades). A run
// converts it once into our recording format and reads that (md_cache.hpp).
struct DataFile {
  std::filesystem::path path;
  Market market = Market::kSpot;
  std::string venue_symbol;  // BTCUSDT
};
// The market and symbol from the file name ("spot_btcusdt_20240808.gz",
// "usdm_btcusdt_20240808.gz"); the error names the file.
[[nodiscard]] Result<DataFile, std::string> data_file(const std::filesystem::path& path);

// omsd's own recording as market data: the md records of a desk's runs in an MD_ stream (by
// stream sequence from our day index), each run's instrument ids read through its setup.
struct RecordingInput {
  persistence::EventStore* store = nullptr;  // null: none
  std::string md_stream = "MD_binance";
  std::uint16_t desk = 1;
  std::map<std::uint64_t, std::vector<Instrument>> runs;  // run id -> its setup's instruments (by id)
};

struct BacktestOptions {
  setup::EngineSetup setup;  // configs, instruments, the accounts the backtest runs
  std::vector<DataFile> data;
  RecordingInput recording;  // instead of (or beside) data files
  TimeNs from = 0, to = 0;   // 0: no bound
  LatencyModel latency;
  // Fees per market (maker, taker as rates: 0.001 = 10 bp); absent: exchanges.yaml's.
  std::optional<std::pair<Decimal, Decimal>> fees;
  // Deposited into every account at the start, per market: spot assets, USD-M the settle asset.
  std::vector<std::pair<std::string, Decimal>> spot_deposit{{"USDT", Decimal::from_raw(Int128{100'000} * Decimal::kOne)},
                                                           {"BTC", Decimal::from_raw(Int128{2} * Decimal::kOne)}};
  Decimal usdm_deposit = Decimal::from_raw(Int128{100'000} * Decimal::kOne);  // USDT
  std::filesystem::path journal;  // where the engine's events go (a file journal)
  // Where each data file's conversion into our recording format is kept (md_cache.hpp).
  std::filesystem::path cache;
  // Commands run on the engine at their envelope's event time (in this order): e.g. execution
  // algos (SubmitAlgo, ControlAlgo) worked over the recorded data.
  std::vector<Command> commands;
};

struct BacktestProgress {
  std::uint64_t messages = 0, total = 0;
  double seconds = 0;
};

// The run's outcome, for the report (backtest_report.hpp).
struct BacktestFill {
  TimeNs time = 0;
  std::string account, strategy, instrument;  // instrument as "BTC/USDT"
  Market market = Market::kSpot;
  Side side = Side::kBuy;
  Decimal price, quantity, fee;
  std::string fee_asset;
  Decimal fee_usdt;        // the fee at the mark then
  Decimal mid;             // the venue's mid at the fill (spread capture)
  bool maker = false;
  std::string client_order_id;
};
// An order the engine decided (its OrderSubmitted), sent or not.
struct BacktestOrder {
  TimeNs time = 0;
  std::string account, strategy, instrument, client_order_id;
  Decimal quantity, filled;
  bool refused = false;   // by risk or the desk: it never left
  bool rejected = false;  // by the venue
};
// An arbitrage saga as its last recorded step left it (ArbSagaStep).
struct BacktestSaga {
  std::string strategy;
  std::uint64_t saga = 0;
  SagaState state = SagaState::kLegsOut;
  bool hedged = false;     // closed by a hedge (a repair order of the hedging phase went out)
  Decimal pnl;             // its PnL (quote asset, fees in it included), rounded to 1e-9
  Decimal slippage;        // detected minus filled spread per unit; valid when both legs filled
  bool both_legs_filled = false;  // both legs filled some (the slippage counts)
  TimeNs leg_latency = 0;  // legs out -> both answered; 0: not both answered
  std::string buy_order, sell_order;  // the legs' client order ids
};
struct EquityPoint {
  TimeNs time = 0;
  Decimal equity;                     // USDT, every account and market at the marks
  std::map<std::string, Decimal> position;  // instrument -> base position (spot: base held)
  std::map<std::string, Decimal> mid;       // instrument -> mid
};
struct BacktestResult {
  std::uint64_t messages = 0;  // market-data messages fed (a depth diff once, not per chunk)
  std::uint64_t converted_messages = 0;  // captures converted this run (0: all were cached)
  double convert_seconds = 0;
  std::uint64_t engine_events = 0;
  std::vector<BacktestOrder> orders;
  std::vector<BacktestFill> fills;
  std::vector<BacktestSaga> sagas;  // in the order they opened
  std::vector<AlgoStep> algos;      // each execution algo's last step (open ones first)
  std::vector<std::string> commands_not_run;  // options.commands after the data's end
  // By arbitrage strategy: signals not opened (a leg refused -- risk, self-trade, balances --
  // before either went out) and the last reason.
  std::map<std::string, std::pair<std::uint64_t, std::string>> signals_refused;
  std::vector<EquityPoint> equity;  // one a second of virtual time, and at the end
  TimeNs first_time = 0, last_time = 0;
  std::vector<std::string> notes;   // setup notes (limits not placed, pairs not run)
};

[[nodiscard]] Result<BacktestResult, std::string> run_backtest(
    const BacktestOptions& options, const std::function<void(const BacktestProgress&)>& progress = {});

// The report files in out: report.json, fills.csv, equity.csv, report.html (backtest_report.cpp).
[[nodiscard]] Result<Unit, std::string> write_report(const BacktestResult& result,
                                                     const BacktestOptions& options,
                                                     const std::filesystem::path& out);

}  // namespace oms::replay
