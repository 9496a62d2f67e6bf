// Engine: the one order path (DESIGN.md "One order path: the engine"). A shard thread owns a
// set of accounts -- each an OrderDesk with its journal bookkeeping -- and the pre-trade
// RiskCore, and takes every input that changes trading state from bounded SPSC rings, one ring
// per producing thread (gateway threads, connector threads, the daemon), in the order it reads
// them:
//
//   ring ->  0. book      depth (snapshots, deltas) -> BookCore per instrument -> top of book:
//                         the instrument's mark (risk), then the strategy stage (the
//                         cross-venue arbitrage signal) -> orders down the same path
//            1. risk      RiskCore::check inline for a new order
//            2. desk      OrderDesk decides the events, the venue requests, the ack timers
//            3. commit    EventLog: intent log (durable before anything leaves), then the store
//            4. apply     the desk folds what was committed; risk hears fills and closed orders
//            5. send      venue requests to the account's session (its I/O thread)
//            6. answer    the caller's reply slot, from the resulting state
//
// Ack timers live in the shard's timer heap and come back to the desk as timer inputs; the desk
// never reads a clock. Execution algos (exec_algo.hpp, engine_algos.cpp) are parent orders of the
// strategy stage: their slices fire in the same timer steps and their children take the path
// above like every strategy order. Operators' risk commands (limits, kill switches) run on the shard too;
// every second the shard values each account at its marks (risk's leverage cap).
// The automatic kill switch (KillSwitchCore, engine_kill.cpp) is decided on the shard from the
// same inputs: after a fill, a mark, a venue reject or a venue's ban of an account, the scopes
// they moved are looked at; a trip is recorded (KillSwitchTripped), then the scope's open orders
// are cancelled and, where configured, its positions flattened, down the one order path.
// The shard writes the state board (board_publisher.hpp) after an account's state or an
// instrument's top of book changed (an account at most every 20 ms: the housekeeping writes
// what that held back), and each account again at every valuation (PnL at the marks).
// A full ring is backpressure: a command is refused (kEngineBusy), a venue report waits for
// room (a report is never dropped).
//
// After a rebuild (start, or an operator's restart of one account) the desk reconciles its live
// orders with the venue; commands for that account wait until the answers are in (bounded).
// A failure inside an account's handling (an exception, a bug) restarts that account from its
// snapshot and stream after a back-off; the others go on. An account that cannot be rebuilt
// (a stored record that does not decode, does not belong on its subject or fails its MAC; the
// store down; more than kMaxAccountFailures failures in a row) is refused (AccountRefusal):
// one error names the stream, sequence and reason, its commands are refused (3140), the
// others trade on. A store error is retried after a back-off, a bad record waits for an
// operator (quarantine, record_integrity.hpp, then restart_account).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "oms/cores/book_core.hpp"
#include "oms/actors/event_log.hpp"
#include "oms/actors/input_record.hpp"
#include "oms/connectors/exchange_session.hpp"
#include "oms/cores/exec_algo.hpp"
#include "oms/cores/kill_switch_core.hpp"
#include "oms/cores/order_desk.hpp"
#include "oms/cores/market_maker.hpp"
#include "oms/cores/market_stages.hpp"
#include "oms/cores/risk_core.hpp"
#include "oms/cores/strategy_core.hpp"
#include "oms/actors/stage.hpp"
#include "oms/persistence/snapshot.hpp"

namespace oms::actors {

using AccountViewPtr = std::shared_ptr<const AccountView>;

// The engine's own refusals (issue 13), range 3140-3159.
enum class EngineCode : std::uint16_t {
  kAccountRefused = 3140,  // the account could not be rebuilt: it takes no command until it is
};

// An account the engine refuses to run (its state could not be rebuilt): which record of which
// stream, and why; an operator looks at the record (omsctl records show) and quarantines it or
// mends the store, then restarts the account.
struct AccountRefusal {
  AccountId account;
  std::string name;
  std::string stream;
  std::uint64_t sequence = 0;  // the record that may not be folded; 0: not a record's fault
  std::string reason;
  std::uint32_t attempts = 0;  // failed rebuilds since the last good one
  bool retrying = false;       // an automatic retry is scheduled (store errors, bounded)
  [[nodiscard]] std::string message() const {
    return "account " + name + " refused: " + stream +
           (sequence != 0 ? " seq " + std::to_string(sequence) : std::string()) + ": " + reason;
  }
};

struct EngineAccount {
  AccountId id;
  std::string name;    // the configured name (Directory)
  std::string stream;  // ACCOUNT_{exchange}_{name}
  std::shared_ptr<ExchangeSession> session;
  std::shared_ptr<spdlog::logger> logger;  // null: spdlog's default logger
  ExchangeId exchange = ExchangeId::kBinance;  // its venue: the books smart routing may take for it
};

// A strategy as the engine runs it: its lifecycle (StrategyCore: start, stop, parameters, kill
// switches) lives on the shard, so every component of the strategy stage follows it in step.
enum class StrategyKind : std::uint8_t { kOther, kArbitrage, kMarketMaking };
struct EngineStrategy {
  StrategyId id;
  StrategyKind kind = StrategyKind::kOther;
  bool enabled = false;  // strategies.yaml: running at start unless an operator's stop is recorded
  // Another daemon of the desk runs it (its accounts are not this engine's, omsd --accounts):
  // never rebuilt, decided on or recorded here; its commands are refused.
  bool elsewhere = false;
};

// A strategy's state for operators (omsctl strategy list/show, the state board).
struct QuoterView {
  AccountId account;
  InstrumentId instrument;
  QuoterState state = QuoterState::kInactive;
  Decimal fair, inventory;
  std::size_t quotes = 0;
  std::uint64_t actions = 0, pulls = 0;
};
// Leg latency (both legs out -> both answered) buckets' upper bounds, in microseconds; the last
// bucket is everything above.
inline constexpr std::size_t kLegLatencyBuckets = 12;
inline constexpr std::array<std::int64_t, kLegLatencyBuckets - 1> kLegLatencyBoundsUs{
    250, 500, 1'000, 2'000, 5'000, 10'000, 20'000, 50'000, 100'000, 250'000, 1'000'000};
// A strategy's arbitrage sagas (arb_saga.hpp) since its stream began.
struct SagaFiguresView {
  std::uint64_t opened = 0, open = 0;
  std::uint64_t closed = 0, hedged = 0, missed = 0, unwound = 0, failed = 0;  // hedged: of closed
  std::uint64_t refused = 0;      // signals whose legs were refused before either went out
  std::string last_refusal;
  Decimal pnl;                    // the ended sagas' PnL (quote asset), rounded to 1e-9
  std::uint64_t acked = 0;        // sagas whose legs were both answered
  TimeNs latency_sum = 0;         // their leg latency, summed (ns)
  std::array<std::uint64_t, kLegLatencyBuckets> latency_buckets{};
  std::uint64_t slipped = 0;      // sagas with both legs filled some
  Decimal slippage_sum;           // detected - filled spread per unit, summed (price units)
  std::vector<ArbSagaStep> open_sagas;
};
struct StrategyView {
  StrategyId id;
  StrategyKind kind = StrategyKind::kOther;
  StrategyState state = StrategyState::kStopped;
  std::vector<std::pair<std::string, std::string>> params;  // as set, sorted by key
  std::vector<QuoterView> quoters;
  std::size_t pairs = 0;     // its arbitrage pairs that trade here
  SagaFiguresView sagas;     // its arbitrage sagas
  std::uint64_t orders = 0;  // orders and cancels the strategy stage sent for it since start
  // Its PnL over every account run here, per quote asset (PositionCore's strategy legs).
  std::vector<PnlFigures> pnl;
  // The parameter's value as set; nullptr when it was never set.
  [[nodiscard]] const std::string* param(std::string_view key) const {
    for (const auto& [k, v] : params) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};
using StrategyViewPtr = std::shared_ptr<const StrategyView>;

// A command for an account that is reconciling with the venue (after a start or a restart) waits
// for the venue's answers, at most this long after it was received (its envelope's init_time, on
// the engine's clock): then it is refused (CommandCode::kHeldTooLong) and nothing of it is done.
// Under the gateway's command timeout (5 s), so that every caller hears why; a constant, not an
// option, so that a replay decides as the recorded run did.
inline constexpr std::chrono::milliseconds kHeldCommandLimit{3000};

// A trading day (risk.yaml trading_day): its name (the local date it starts on, days since
// 1970-01-01) and its span [start, next).
struct TradingDayBounds {
  std::int32_t day = 0;
  TimeNs start = 0, next = 0;
};

struct EngineOptions {
  std::chrono::milliseconds ack_timeout{5000};
  // An unanswered order the venue does not know stays in doubt this long (OrderDeskConfig).
  std::chrono::milliseconds in_doubt_ttl{0};
  std::uint64_t snapshot_every = 1000;  // events of an account between two snapshots
  std::chrono::minutes snapshot_interval{60};
  // A closed order leaves memory this long after it closed (OrderDesk::retire_closed); its
  // events stay in the store.
  std::chrono::milliseconds closed_order_retention{std::chrono::minutes(5)};
  std::function<TimeNs()> clock;  // null: the wall clock (UTC ns)
  WaitMode wait = default_wait_mode();
  int cpu = -1;  // the shard thread's CPU; -1: unpinned
  // Books: one per instrument id (index = id), its venue's sequencing rules. Empty: no depth.
  std::vector<BookCoreConfig> books;
  // The strategy stage's cross-venue arbitrage groups (their legs' accounts must run here).
  std::vector<ArbGroup> arbitrage;
  // The rules execution algos round their children to (exec_algo.hpp), by instrument id; an
  // instrument not listed has none.
  std::vector<AlgoRules> algo_rules;
  // The venues' trading rules (tick, step, quantity and notional ranges, status) an order must
  // meet as it is -- nothing is rounded -- before risk looks at it, by instrument id (an entry
  // whose id is invalid, or none: the instrument's orders are not checked here).
  std::vector<Instrument> venue_rules;
  // By instrument: its venue's taker fee rate (exchanges.yaml taker_bps / 10^4; missing: zero),
  // which smart order routing nets from the venue's prices.
  std::vector<Decimal> taker_fees;
  // The strategy stage's market makers (market_maker.hpp), each quoting one instrument on one
  // account run here.
  std::vector<QuoterConfig> quoters;
  // The directory's strategies (by id); one not listed is kOther, stopped until started.
  std::vector<EngineStrategy> strategies;
  std::uint16_t desk = 1;  // this daemon's desk number in the client order ids it makes
  std::chrono::milliseconds valuation_interval{1000};
  std::string board_path;  // the state board the shard writes (board_publisher.hpp); empty: none
  // Every step of the shard recorded in the store (input_record.hpp) through the event log:
  // market data on its md.* subject, the rest on inputs.{desk}.{step}; a replay runs them again.
  bool record_inputs = false;
  // Recording: a checkpoint record (the engine's whole state, Engine::checkpoint) this often,
  // where a replay of a range inside the run can start; zero: none.
  std::chrono::milliseconds checkpoint_interval{0};
  // What this engine was built from (the daemon's configs and instruments), kept in the run's
  // start record for a replay to build the same engine; opaque to the engine.
  std::string setup;
  // false: no shard thread -- the engine runs only what step() feeds it (sessions may be null:
  // nothing is sent).
  bool run_shard = true;
  // Keep-warm: while the shard's loop runs with nothing to do, at most this often it rehearses
  // the order path on the last order it sent (and the last saga step it committed) -- the
  // events' codec and MAC, the venue request's encoding and signature, into scratch: nothing
  // committed, sent or recorded -- so that the next order does not find that code and data
  // evicted from the shard's caches (measured: the encode + MAC of a saga's first step costs
  // ~40 us cold, ~8 us warm). A parked shard is not woken for it. Zero: off.
  std::chrono::microseconds keep_warm{0};
  // The automatic kill switch (risk.yaml kill_switch:); disabled by default.
  KillSwitchRules kill_switch;
  // The trading day holding an instant (engine_day.cpp: when the day's loss limits start
  // again). Null: UTC days from 00:00.
  std::function<TradingDayBounds(TimeNs)> trading_day;
  // Called on the shard after an automatic trip was recorded (omsd: the venue sweep of a
  // HALTED account or global trip). Must not block.
  std::function<void(const KillSwitchTripped&)> on_kill_switch;
  // Called for each account snapshot written: the steady-clock ns it held the shard (the store
  // flushed, the stream's last sequence asked, the state encoded), and the whole snapshot's --
  // that, then the file written (temp, fsync, rename) on the snapshot store's writer thread (or
  // on the shard for a snapshot asked to wait). Called on that thread; must not block. Not
  // called for a snapshot that failed.
  std::function<void(std::int64_t shard_ns, std::int64_t total_ns)> on_snapshot;
};

class Engine {
 public:
  // Rebuilds every account from its snapshot and stream and restores the recorded risk limits
  // and kill switches (throws std::runtime_error naming the stream or file that cannot be
  // read), then starts the shard thread. Nothing is sent to a venue before reconcile().
  Engine(EngineOptions options, const InstrumentTable& instruments, EventLog& log,
         persistence::EventStore& store, persistence::SnapshotStore* snapshots,
         std::shared_ptr<RiskCore> risk, std::vector<EngineAccount> accounts);
  // Stops the shard thread; what is still in the rings is not run.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Asks the venue about every live order of every account (once the sessions run).
  void reconcile();

  // ---- inputs, from any thread ----
  // An account command (submit, cancel, amend, cancel-all) or a risk command (limit, kill
  // switch). Errors: the timeout (the command may still run), the engine stopped.
  // received_ns: when the request entered the process (the gateway's receive time; 0: not
  // traced), for the order-to-wire latency.
  [[nodiscard]] Result<CommandAck, std::string> submit(const Command& command,
                                                       std::chrono::milliseconds timeout,
                                                       TimeNs received_ns = 0);
  // A SubmitBatch: each order's answer, in the batch's order (each order the command's own
  // answer when the batch as a whole was refused: no such account, the engine busy, the store).
  // Errors as submit().
  [[nodiscard]] Result<std::vector<CommandAck>, std::string> submit_batch(
      const Command& batch, std::chrono::milliseconds timeout, TimeNs received_ns = 0);
  // A strategy's lifecycle state, parameters, quoters and PnL. Errors: the timeout, no such
  // strategy.
  [[nodiscard]] Result<StrategyViewPtr, std::string> strategy(StrategyId id,
                                                              std::chrono::milliseconds timeout);
  // The execution algos: every open one and the last ended ones, as their last steps say.
  // Errors: the timeout.
  [[nodiscard]] Result<std::vector<AlgoStep>, std::string> algos(std::chrono::milliseconds timeout);
  // The smart-routed parents: every open one, then the last ended ones, as their last steps
  // say. Errors: the timeout.
  [[nodiscard]] Result<std::vector<SorStep>, std::string> sors(std::chrono::milliseconds timeout);
  // Every instrument's mark (by id; zero: none yet), as risk has them. Errors: the timeout.
  [[nodiscard]] Result<std::vector<Decimal>, std::string> marks(std::chrono::milliseconds timeout);
  // A venue's report for the account; waits while the ring is full, never drops it.
  void report(AccountId account, const VenueReport& report);
  // Market data from a connector's feed (book snapshot/delta chunks in the order the book
  // applies them, best bid/offer, trades); waits while the ring is full (a book never misses a
  // delta).
  // received_ns: when its message was read off the socket (tick-to-order tracing; 0: not traced).
  void market_data(TimeNs venue_time, const EventPayload& event, TimeNs received_ns = 0);
  // The instrument's mark (risk: exposure, price bands of orders without a reference), when no
  // book of this engine gives it.
  void mark(InstrumentId instrument, Decimal price);
  // The venue banned the account's connection until `until` (ns, the venue's clock): the
  // kill switch's venue_ban trip, once per new or longer ban. Recorded. False: the ring is full.
  bool venue_banned(AccountId account, TimeNs until);
  // Automatic kill-switch trips since start, by reason (any thread).
  [[nodiscard]] std::uint64_t kill_switch_trips(TripReason reason) const noexcept;
  // Fees risk could not value in USDT (an asset without a spot ASSET/USDT mark), so not counted
  // in the day's loss, since start (any thread).
  [[nodiscard]] std::uint64_t unpriced_fees() const noexcept;
  // Risk's PnL of the trading day (USDT, at the marks, net of fees) of a global, account or
  // strategy scope, as of the shard's last housekeeping (every 100 ms; any thread).
  [[nodiscard]] Decimal day_pnl(LimitScope scope, std::uint32_t id) const noexcept;
  // How long the start took to fold risk's books from the stored fills (engine_day.cpp).
  [[nodiscard]] std::chrono::nanoseconds risk_fold_time() const noexcept;
  // True once the instrument has a mark (from its book, best bid/offer or mark()).
  [[nodiscard]] bool has_mark(InstrumentId instrument) const noexcept;

  // ---- questions ----
  [[nodiscard]] Result<AccountViewPtr, std::string> view(AccountId account,
                                                         std::chrono::milliseconds timeout);
  // The account's view without its orders and recent fills, their counts instead
  // (OrderDesk::summary): for a refresh of every account, cheap on the shard.
  [[nodiscard]] Result<AccountViewPtr, std::string> summary(AccountId account,
                                                            std::chrono::milliseconds timeout);
  // The order's status once the venue (or risk, or the ack timer) answered it.
  [[nodiscard]] Result<OrderStatus, std::string> await_answer(AccountId account,
                                                              const std::string& client_order_id,
                                                              std::chrono::milliseconds timeout);
  // Writes a snapshot of the account now; the stream sequence it covers.
  [[nodiscard]] Result<std::uint64_t, std::string> snapshot(AccountId account,
                                                            std::chrono::milliseconds timeout);
  // Drops the account's state and rebuilds it from snapshot + stream, then reconciles.
  [[nodiscard]] Result<Unit, std::string> restart_account(AccountId account,
                                                          std::chrono::milliseconds timeout);
  // Runs one recorded step (input_record.hpp) on the calling thread at its recorded time: from
  // the same stored state, the same steps give the same events byte for byte. run_shard = false
  // only. Each record moves the clock and rolls the day; a start or checkpoint does no more. The
  // caller sets the log's global sequence to the record's first (EventLog::reset_global_seq).
  void step(const InputRecord& record);
  // The engine's whole state between two steps, as a checkpoint record holds it
  // (engine_checkpoint.cpp): equal bytes for equal states. Only for run_shard = false.
  [[nodiscard]] std::string checkpoint() const;
  // Replaces the state with a checkpoint's, taken under the same setup; the limits and kill
  // switches are the configured ones, then the store's recorded risk events (the store must
  // read what was stored when the checkpoint was taken). On error (named) nothing changed.
  [[nodiscard]] std::optional<std::string> load_checkpoint(std::string_view bytes);
  // The log's global sequence when a checkpoint was taken (0: the bytes do not read).
  [[nodiscard]] static std::uint64_t checkpoint_global_seq(std::string_view bytes);
  // Which section of two checkpoints differs first, and where (a replay's report).
  [[nodiscard]] static std::string checkpoint_difference(std::string_view recorded,
                                                         std::string_view replayed);
  // The run id of this engine's recorded steps (its clock at start); 0 when not recording.
  [[nodiscard]] std::uint64_t run_id() const noexcept;
  [[nodiscard]] std::uint64_t account_restarts() const noexcept;
  [[nodiscard]] bool runs(AccountId account) const noexcept;
  // For metrics, from any thread. Inputs waiting in the shard's rings now (approximate), and
  // how long they have waited for the shard: zero when none waits, else the time since its
  // loop last came round (a shard stuck on one input, or starved of its CPU, shows here).
  [[nodiscard]] std::size_t inputs_waiting() const noexcept;
  [[nodiscard]] std::chrono::nanoseconds loop_lag() const noexcept;
  // The accounts refused now (any thread; health, the gateway).
  [[nodiscard]] std::vector<AccountRefusal> refusals() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace oms::actors
