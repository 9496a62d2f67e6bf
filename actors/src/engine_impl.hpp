// The engine's shard, shared by engine.cpp (inputs, the loop, dispatch) and engine_account.cpp
// (one account: rebuild, carrying out the desk's decisions, snapshots).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "oms/actors/board_publisher.hpp"
#include "oms/actors/engine.hpp"
#include "oms/actors/engine_risk.hpp"
#include "oms/actors/input_record.hpp"
#include "oms/actors/producer_rings.hpp"
#include "oms/cores/arb_saga.hpp"
#include "oms/cores/exec_algo.hpp"
#include "oms/cores/self_trade.hpp"
#include "oms/cores/smart_router.hpp"
#include "oms/cores/valuation.hpp"

namespace oms::actors {

// The steady clock in ns (loop beats and timings; never an input's time).
inline std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Where the shard answers a caller who waits (a gateway thread, a test). Shared: a caller that
// gave up leaves it to the shard.
struct Reply {
  CommandAck ack;
  std::vector<CommandAck> batch;  // a SubmitBatch: each order's answer, in the batch's order
  AccountViewPtr view;
  StrategyViewPtr strategy;
  std::vector<Decimal> marks;  // kMarks
  std::vector<AlgoStep> algos;  // kAlgos
  std::vector<SorStep> sors;    // kAlgos: the smart-routed parents
  OrderStatus status = OrderStatus::kInitialized;
  std::uint64_t sequence = 0;
  std::string error;  // a question the shard could not answer

  void finish() {
    {
      const std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
  }
  [[nodiscard]] bool wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return done_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
};

struct Input {
  enum class Kind : std::uint8_t {
    kCommand, kReport, kMarketData, kMark, kView, kAwait, kSnapshot, kRestart,
    kReconcile, kStrategyView, kMarks, kAlgos, kVenueBan, kSummary
  };
  Kind kind = Kind::kCommand;
  AccountId account;
  InstrumentId instrument;
  StrategyId strategy;  // kStrategyView
  Decimal value;
  ClientOrderIdText client_order_id;
  std::variant<Command, VenueReport, Event> body;  // Event: market data
  std::shared_ptr<Reply> reply;
  TimeNs received_ns = 0;  // wall clock when it entered the process (order-to-wire tracing)
};

// A strategy command's id: from the order's client id and what is asked, so a decision made
// again (a replay, a restart) is the same command.
// A cancel's id also takes the step's time: a cancel sent again after the venue refused one is
// a new command (the same id would be taken for the first one's duplicate).
inline EventId command_id(std::string_view client_order_id, QuoteAction::Kind kind, TimeNs now) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : client_order_id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  if (kind == QuoteAction::Kind::kPlace) return h;
  return (h ^ 0x9e3779b97f4a7c15ULL) * 1099511628211ULL ^ static_cast<std::uint64_t>(now);
}

struct EngineTimer {
  TimeNs due = 0;
  AccountId account;
  OrderTimer timer;
  friend bool operator>(const EngineTimer& a, const EngineTimer& b) { return a.due > b.due; }
};

struct Engine::Impl {
  // Slots of each producer thread's ring. An Input is ~1.4 KB (a command holds a batch's orders
  // inline) and every producer thread claims a ring (the gRPC server's ~35 under load): at 512
  // slots the rings were 42 MB of omsd's memory in the 200-account throughput run. A gRPC
  // thread has one command out at a time (it waits for the answer); market data and reports
  // wait for room; so 128 holds every burst a producer makes (a 1,000-level snapshot of both sides: 84 chunks).
  static constexpr std::size_t kRing = 128;
  static constexpr std::size_t kDrainBudget = 64;  // per ring and loop round

  // One account of the shard: its desk and the shell's bookkeeping around it.
  struct Account {
    EngineAccount cfg;
    std::unique_ptr<OrderDesk> desk;
    // A snapshot queued on the store's thread and not written yet (the next one waits for it).
    std::shared_ptr<std::atomic<bool>> snapshot_in_flight = std::make_shared<std::atomic<bool>>(false);
    std::uint64_t duplicate_inputs = 0, unmatched_reports = 0;
    std::uint64_t store_refusals = 0;  // new orders refused: the intent log past its limit
    std::uint64_t events_committed = 0, events_rebuilt = 0, torn_groups = 0;
    std::uint64_t events_since_snapshot = 0, snapshot_sequence = 0;
    std::uint64_t orders_retired = 0;  // closed orders that left memory since start
    TimeNs last_snapshot = 0;
    TimeNs snapshot_retry_at = 0;   // a deferred snapshot is not tried again before
    bool snapshot_due = false;      // in snapshots_due, written at a housekeeping round
    // A stream sequence every record at or below which is folded into the desk: where the
    // rebuild's read ended (a snapshot names at least this; see write_snapshot).
    std::uint64_t stream_floor = 0;
    TimeNs reconcile_deadline = 0;  // commands wait for the reconciliation until then
    std::multimap<std::string, std::shared_ptr<Reply>, std::less<>> awaiting;
    std::deque<std::pair<Command, std::shared_ptr<Reply>>> held;
    // Resends after a restart waiting for their instrument's first market price (on_report):
    // the venue's answer that made each due (an Event: report id and venue time in the
    // envelope), run again when the price comes (set_mark); past reconcile_deadline not sent
    // (housekeeping). Their orders stay reconciling meanwhile.
    std::vector<Event> unpriced_resends;
    // Refused (issue 13): its state could not be rebuilt (a stored record that may not be folded,
    // the store down, repeated failures). Its desk is empty; commands are refused naming why,
    // nothing is snapshotted or valued, the venue's reports wait at the venue (the
    // reconciliation after a good rebuild asks for them).
    std::optional<AccountRefusal> refused;
    std::uint32_t failures = 0;  // rebuilds and automatic restarts since the last good rebuild
    TimeNs retry_at = 0;         // an automatic retry is due then (0: none)
    TimeNs last_failure = 0;     // of its handling (automatic restarts)
    std::uint64_t reports_while_refused = 0;  // left at the venue (reconciliation asks again)
    // Its stored fills and live orders are in risk's books (fold_risk_books read its stream).
    // An account refused at the start is not; its first good rebuild folds the books again.
    bool in_risk = false;
  };

  Impl(EngineOptions o, const InstrumentTable& ins, EventLog& l, persistence::EventStore& s,
       persistence::SnapshotStore* snaps, std::shared_ptr<RiskCore> r)
      : options(std::move(o)), instruments(ins), log(l), store(s), snapshots(snaps),
        risk(std::move(r)), book(options.books),
        signal(options.arbitrage, std::max(options.books.size(), ins.size()), options.desk),
        pricing(ins), marks(ins.size()),
        marked(std::make_unique<std::atomic<bool>[]>(std::max<std::size_t>(1, ins.size()))) {
    log.set_desk(options.desk);  // its risk and manual records carry it (SubjectMap::set_desk)
    const std::size_t strategy_count = log.subjects().directory().strategies.size();
    for (std::size_t i = 0; i < strategy_count; ++i) {
      const StrategyId id(static_cast<std::uint16_t>(i));
      strategy_cores.emplace_back(id);
      strategy_slots.push_back(EngineStrategy{id, StrategyKind::kOther, false});
    }
    for (const EngineStrategy& st : options.strategies) {
      if (st.id.valid() && st.id.index() < strategy_count) strategy_slots[st.id.index()] = st;
    }
    strategy_sent.assign(strategy_count, 0);
    saga_tally.assign(strategy_count, SagaTally{});
    saga_strategy.assign(strategy_count, false);
    for (const ArbGroup& g : options.arbitrage) {
      if (g.strategy.valid() && g.strategy.index() < strategy_count) saga_strategy[g.strategy.index()] = true;
    }
    for (const QuoterConfig& q : options.quoters) {
      const auto i = static_cast<std::uint32_t>(quoters.size());
      quoters.emplace_back(q);
      if (quoters_of.size() <= q.instrument.index()) quoters_of.resize(q.instrument.index() + 1);
      quoters_of[q.instrument.index()].push_back(i);
      if (quoting_strategy.size() <= q.strategy.index()) quoting_strategy.resize(q.strategy.index() + 1);
      quoting_strategy[q.strategy.index()] = true;
    }
  }

  // ---- engine.cpp ----
  void run(const std::stop_token& stop);
  // false: the ring is full (or the calling thread has none). On the shard's own thread (a
  // session that answers synchronously from inside a step) the input goes to `own_inputs`
  // instead: never refused, never waited for -- the shard would wait for itself.
  bool push(Input&& in);
  void handle(Input& in);
  void on_command(const Command& cmd, const std::shared_ptr<Reply>& reply);
  void fire_timers(TimeNs now);
  void housekeeping(TimeNs now);
  void note_sent(const VenueRequest& request);  // keep-warm: the order to rehearse next
  void on_market_data(const Event& e, TimeNs now);
  void set_mark(InstrumentId instrument, Decimal price);
  void value_accounts();
  [[nodiscard]] Account* account(AccountId id) const;
  void record(const Input& in);  // the recorded inputs (input_record.hpp), before handling
  void record_step(InputStep step);
  void record_start(const std::map<std::string, std::uint64_t>& positions);
  void emit(InputRecord& r);  // numbers, encodes and commits one record
  void record_text(InputStep step, const std::string& text);  // start, checkpoint: in parts
  void record_checkpoint();

  // ---- engine_strategies.cpp: the strategy stage's market makers ----
  // Its orders' news (an event of one of them committed), handled once the input that caused
  // it is done: a quoter's decision never runs inside another's commit.
  struct OrderNews {
    AccountId account;
    ClientOrderIdText id;
    bool filled = false;
    bool answer = false;  // the venue's word on it (an ack, a fill, an end), not our own step
    StrategyId strategy;
  };
  void quote_top(const TopOfBook& top, TimeNs now);
  void quote_tick(TimeNs now);
  void note_strategy_order(const Account& a, const Event& e);
  void drain_strategy_news();
  void issue_quotes(std::vector<QuoteAction>& actions, EventId cause, StrategyId strategy);
  void adopt_quotes();
  [[nodiscard]] QuoterContext quoter_context(const QuoterConfig& q);
  [[nodiscard]] bool strategy_active(StrategyId strategy, AccountId account) const;
  // ---- engine_strategies.cpp: the lifecycle ----
  void rebuild_strategies();  // from the STRATEGIES stream; an enabled one without a state runs
  void strategy_command(const Command& cmd, const std::shared_ptr<Reply>& reply);
  void follow_kill_switch(const KillSwitchTripped& k, const Envelope& cause);
  void commit_strategy(StrategyId id, const Envelope& cause, std::vector<EventPayload> events,
                       CommandAck* ack);
  void strategy_moved(StrategyId id);  // quoters pull; a halted strategy's orders are cancelled
  // The recorded parameters onto its quoters and pairs (requote false: a checkpoint's state).
  void apply_params(StrategyId id, bool requote = true);
  [[nodiscard]] std::optional<std::string> check_param(StrategyId id, std::string_view key,
                                                       std::string_view value) const;
  [[nodiscard]] StrategyViewPtr strategy_view(StrategyId id) const;
  void publish_strategies();  // each strategy's status on the state board (valuation)
  [[nodiscard]] bool strategy_running(StrategyId id) const {
    return id.valid() && id.index() < strategy_cores.size() &&
           strategy_cores[id.index()].state() == StrategyState::kRunning;
  }

  // ---- engine_sagas.cpp: the arbitrage sagas (arb_saga.hpp) ----
  struct OpenSaga {
    ArbSaga saga;
    std::uint32_t group = 0;    // the signal stage's group (held while the saga is open)
    bool check_desks = false;   // resumed: its orders' ends are looked up at the next tick
  };
  // A strategy's sagas since the stream began (rebuilt at start): the figures of its views.
  struct SagaTally {
    std::uint64_t opened = 0, closed = 0, hedged = 0, missed = 0, unwound = 0, failed = 0;
    std::uint64_t refused = 0;  // signals not opened: a leg refused before either went out
    std::string last_refusal;
    Int128 pnl_e18 = 0;         // the ended sagas' PnL
    std::uint64_t acked = 0;    // sagas whose legs were both answered
    TimeNs latency_sum = 0;     // legs out -> both answered
    std::array<std::uint64_t, kLegLatencyBuckets> latency_buckets{};
    std::uint64_t slipped = 0;  // sagas with a slippage figure
    Int128 slippage_sum = 0;    // raw 1e-9 price units
  };
  void open_saga(std::span<const OrderIntent> legs, TimeNs now);
  void saga_news(const OrderNews& n);
  void saga_tick(TimeNs now);
  void rebuild_sagas();  // from the STRATEGIES stream: the open ones resumed, the ended counted
  void saga_stepped(std::size_t index, std::vector<QuoteAction>& actions, EventId cause);
  void tally_end(const ArbSagaStep& s);
  [[nodiscard]] SagaContext saga_context(const ArbSaga& s);
  [[nodiscard]] SagaFill saga_fill(const OrderCore* o) const;
  [[nodiscard]] bool commit_saga(const ArbSaga& s, EventId cause);
  [[nodiscard]] SagaFiguresView saga_figures(StrategyId id) const;

  // ---- engine_algos.cpp: execution algos (exec_algo.hpp) ----
  struct OpenAlgo {
    ExecAlgo algo;
    bool check_desk = false;  // resumed: its child's end is looked up at the next timer step
  };
  // Per instrument: the volume traded in each minute of the day, on the day it was last traded
  // (a VWAP without a curve weighs its slices by it).
  struct TradeProfile {
    std::vector<Int128> volume = std::vector<Int128>(kMinutesPerDay, 0);  // raw 1e-9
    std::vector<std::int64_t> day = std::vector<std::int64_t>(kMinutesPerDay, -1);
  };
  static constexpr std::size_t kMinutesPerDay = 1440;
  static constexpr std::size_t kEndedAlgosKept = 64;  // the last ended algos shown to operators
  void algo_command(const Command& cmd, const std::shared_ptr<Reply>& reply);
  void algo_trade(const TradePrinted& t, TimeNs now);
  void algo_timers(TimeNs now);  // the slices due (a timer step)
  [[nodiscard]] bool algo_news(const OrderNews& n);  // false: not an algo's child
  [[nodiscard]] bool algo_child(std::string_view client_order_id) const;
  void algo_stepped(std::size_t index, std::vector<QuoteAction>& actions, EventId cause);
  void rebuild_algos();  // from the STRATEGIES stream: the open ones resumed
  void reschedule_algos();  // algo_wake from the algos' next slices
  [[nodiscard]] AlgoContext algo_context(const ExecAlgo& a);
  [[nodiscard]] AlgoRules algo_rules(InstrumentId instrument) const;
  [[nodiscard]] bool commit_algo(const AlgoStep& s, EventId cause);
  [[nodiscard]] std::optional<VolumeCurveWeights> recorded_curve(InstrumentId instrument, TimeNs start,
                                                                 TimeNs end) const;
  [[nodiscard]] std::vector<AlgoStep> algo_views() const;
  [[nodiscard]] std::vector<SorStep> sor_views() const;  // open parents, then the last ended

  // ---- engine_kill.cpp: the automatic kill switch (kill_switch_core.hpp) ----
  // A fill moved these books: their figures to the core.
  void kill_watch_fill(AccountId account, StrategyId strategy);
  void kill_watch_marks();  // a mark moved: the global and every account's figures
  void kill_venue_ban(AccountId account, TimeNs until);
  // The core's decisions carried out, in order (not inside another's: the outermost runs them).
  void kill_drain();
  // The trading day (engine_day.cpp).
  [[nodiscard]] TradingDayBounds day_of(TimeNs t) const;
  void roll_day_if_due();  // before each step: a new day rolls risk's daily figures
  void index_fee_rates();
  // A fill's fee as risk counts it: in the quote (risk converts), or valued in USDT at the marks.
  [[nodiscard]] RiskFill price_fee(RiskFill f, const AssetCode& asset);
  void unpriced_fee(const AssetCode& asset, const std::string& why);
  // Risk's books from the stored fills and live orders: at the start, and again (live: the
  // order-rate tokens and equities kept, today's marks given back) when an account that was not
  // in them rebuilds -- the books then are the ones a start now would fold.
  void fold_risk_books(bool live = false);
  // A stream the fold could not read: the books are folded again (live) from then on.
  static constexpr TimeNs kRiskFoldRetry = 5'000'000'000;
  TimeNs risk_fold_retry_at = 0;
  void publish_day_pnl();
  void kill_step(const KillSwitchStep& s);
  void kill_cancel(const KillSwitchStep& s, EventId cause);
  void kill_flatten(const KillSwitchStep& s, EventId cause);
  void kill_sync_states();  // the switches as restored or set by an operator, to the core
  // ---- engine_sor.cpp: smart-routed parent orders (smart_router.hpp) ----
  struct OpenSor {
    SmartOrder order;
    bool check_desk = false;  // resumed: its children's ends are looked up at the next step
  };
  static constexpr std::size_t kSorDepth = 50;  // levels of each venue's book the split reads
  void sor_command(const Command& cmd, const std::shared_ptr<Reply>& reply);
  // ControlAlgo naming a parent: cancel parent -> cancel children. False: no such parent.
  [[nodiscard]] bool sor_control(const ControlAlgo& c, EventId cause, const std::shared_ptr<Reply>& reply);
  [[nodiscard]] bool sor_news(const OrderNews& n);  // false: not a parent's child
  [[nodiscard]] bool sor_child(std::string_view client_order_id) const;
  void sor_stepped(std::size_t index, std::vector<QuoteAction>& actions, EventId cause);
  void sor_resumed(TimeNs now);  // resumed parents: children that ended while down
  void rebuild_sors();
  [[nodiscard]] bool commit_sor(const SorStep& s, EventId cause);

  // ---- engine_checkpoint.cpp ----
  [[nodiscard]] std::string save_checkpoint() const;
  [[nodiscard]] std::optional<std::string> load_checkpoint(std::string_view bytes);

  // ---- engine_account.cpp ----
  void rebuild(Account& a);  // throws std::runtime_error naming what cannot be read
  // rebuild() that never throws: a failure refuses the account (refuse) and says false.
  bool try_rebuild(Account& a);
  // The account stops trading with one error naming the stream, sequence and reason; a failure
  // that may pass (retry) is tried again after a back-off, at most kMaxAccountFailures times.
  void refuse(Account& a, std::string stream, std::uint64_t sequence, std::string reason, bool retry,
              bool quarantinable = false);
  void publish_refusals();  // the refusals as other threads read them (Engine::refusals)
  // An automatic restart (a failure inside the account's handling): after a back-off, bounded.
  void schedule_restart(Account& a, const std::string& why);
  void restart(Account& a);
  // restart's halves: accounts rebuilt together fold risk's books once, between the two.
  bool restart_rebuild(Account& a);
  void restart_resume(Account& a);
  void index_resting(Account& a);  // the self-trade guard from the desk's live orders
  // The worst price a market order of this quantity reaches in the book now; zero: unknown.
  [[nodiscard]] Decimal sweep_price(InstrumentId instrument, Side side, Decimal quantity) const;
  void note_resting(const Account& a, const OrderCore& o);
  void reconcile(Account& a);
  void account_command(Account& a, const Command& cmd, const std::shared_ptr<Reply>& reply);
  // Before a new order: the self-trade check, then risk (which counts what passes against its
  // rate limits); decided_command carries out an order so decided (risk counts it open).
  [[nodiscard]] RiskDecision pre_trade(const SubmitOrder& o);
  // The venue's rule the order breaks (EngineOptions::venue_rules), if any.
  [[nodiscard]] std::optional<RiskDecision> venue_rule(const SubmitOrder& o) const;
  void decided_command(Account& a, const Command& cmd, const RiskDecision& d,
                       const std::shared_ptr<Reply>& reply);
  // A SubmitBatch: each order the one order path (batch_commands), then the orders accepted
  // leave as one venue batch (ExchangeSession::place_batch); reply->batch the orders' answers.
  void batch_command(Account& a, const Command& cmd, const std::shared_ptr<Reply>& reply);
  void on_report(Account& a, const VenueReport& report);
  // The resends waiting for a price of `instrument` (invalid: every one past its account's
  // window), run again.
  void run_unpriced_resends(InstrumentId instrument, TimeNs now);
  std::size_t unpriced_waiting = 0;  // over the accounts' unpriced_resends
  void on_timer(Account& a, const OrderTimer& timer);
  void carry_out(Account& a, const DeskDecision& d, const std::shared_ptr<Reply>& reply);
  void end_reconciliation(Account& a);
  // Held commands received kHeldCommandLimit or more before now: refused, answered, dropped.
  void refuse_held_too_long(Account& a, TimeNs now);
  void write_snapshot(Account& a, bool wait);
  // A snapshot is due (its events or its age): queued for the next housekeeping rounds, which
  // write what kSnapshotBudget of each round allows -- 200 accounts due at once (the same
  // flow, the same hour) are spread over rounds instead of stalling the order path for all.
  void snapshot_due(Account& a);
  void write_due_snapshots();
  [[nodiscard]] std::unique_ptr<OrderDesk> make_desk(const Account& a) const;
  [[nodiscard]] AccountViewPtr make_view(const Account& a, bool summary = false) const;
  [[nodiscard]] spdlog::logger& logger(const Account& a) const;

  EngineOptions options;
  const InstrumentTable& instruments;
  EventLog& log;
  persistence::EventStore& store;
  persistence::SnapshotStore* snapshots;
  std::shared_ptr<RiskCore> risk;
  std::vector<std::unique_ptr<Account>> accounts;  // by AccountId index; null: not run here
  std::deque<AccountId> snapshots_due;  // in the order they fell due (snapshot_due)
  // Snapshots handed to the store's writer and not written yet, every account's (the writer's
  // callbacks count them down): write_due_snapshots hands no more while kSnapshotsWriting are.
  std::shared_ptr<std::atomic<int>> snapshots_writing = std::make_shared<std::atomic<int>>(0);
  mutable std::mutex refusals_mutex;
  std::vector<AccountRefusal> refusals_copy;  // guarded by refusals_mutex (publish_refusals)
  std::priority_queue<EngineTimer, std::vector<EngineTimer>, std::greater<>> timers;
  ProducerRings<Input, kRing> rings;
  // Inputs the shard pushed to itself while it ran a step (a scripted or simulated venue that
  // answers on the caller's thread: a restart's status queries answered at once, hundreds of
  // reports in one step). Unbounded -- bounded by what one step makes -- and run at the next
  // loop round, before the rings. Only the shard's thread touches them; `own_running` is the
  // round's batch (two vectors swapped: their capacity stays, no allocation per input).
  std::vector<Input> own_inputs;
  std::vector<Input> own_running;
  Parker parker;                 // where the shard sleeps when no input comes (stage.hpp)
  BookStage book;                // 0. books
  SignalStage signal;            // 0. the strategy stage (arbitrage signal)
  UsdtPricing pricing;           // valuation for the leverage cap
  std::vector<Decimal> marks;    // by instrument: the last mark given to risk
  SelfTradeGuard self_trade;     // our resting orders, every account (derived from the desks)
  std::unique_ptr<std::atomic<bool>[]> marked;  // by instrument: has a mark (other threads read)
  BoardPublisher board;          // the state board: balances, positions, orders, tops
  SendOrigin origin;             // the input being handled: stamped on the orders it sends
  // Set while a batch's orders run: the orders they send are collected here, then leave as
  // one venue batch (batch_command).
  std::vector<OrderSubmitted>* batch_sends = nullptr;
  // The names snapshots are written with, for the snapshot store's thread (fixed at start).
  std::shared_ptr<const Directory> directory_copy =
      std::make_shared<const Directory>(log.subjects().directory());
  // The clock of the step being run (an input, the timers, housekeeping, valuation): read once
  // when the step starts, recorded with it, and the only time the step's handling sees.
  TimeNs step_now = 0;
  // Recording (options.record_inputs): this run's id and the last record's number.
  bool recording = false;
  std::uint64_t run_id = 0, input_seq = 0, unrecorded = 0;
  std::string record_payload;  // reused: no allocation per record once grown
  std::vector<std::array<std::string, 3>> md_subjects;  // by instrument: book, trade, ticker
  std::uint64_t strategy_orders = 0;
  std::vector<MarketMaker> quoters;                 // options.quoters
  std::vector<std::vector<std::uint32_t>> quoters_of;  // by instrument: the quoters on it
  std::vector<bool> quoting_strategy;               // by strategy: has a quoter here
  std::deque<OrderNews> strategy_news;
  std::vector<StrategyCore> strategy_cores;         // by StrategyId: lifecycle and parameters
  std::vector<EngineStrategy> strategy_slots;        // by StrategyId
  std::vector<std::uint64_t> strategy_sent;          // by StrategyId: orders and cancels sent
  bool strategy_busy = false;                       // a quoter's decision is being carried out
  std::vector<OpenSaga> sagas;                      // the open sagas
  std::vector<SagaTally> saga_tally;                // by StrategyId
  std::vector<bool> saga_strategy;                  // by StrategyId: has arbitrage pairs here
  std::vector<OpenAlgo> algos;                      // the open execution algos
  std::deque<AlgoStep> ended_algos;                 // the last kEndedAlgosKept that ended
  std::vector<OpenSor> sors;                        // the open smart-routed parents
  std::deque<SorStep> ended_sors;                   // the last kEndedAlgosKept that ended
  bool sor_check = false;                           // a resumed parent waits for its desk check
  std::vector<TradeProfile> trade_profiles;         // by instrument (sized at its first trade)
  TimeNs algo_wake = std::numeric_limits<TimeNs>::max();  // the earliest slice due
  KillSwitchCore kill{options.kill_switch, risk->limits().accounts(),
                      log.subjects().directory().strategies.size()};
  std::vector<KillSwitchStep> kill_steps;  // decided, not carried out yet
  bool kill_busy = false;                  // kill_drain is running
  std::array<std::atomic<std::uint64_t>, kTripReasonCount> kill_trips{};  // by reason (metrics)
  // The trading day (engine_day.cpp).
  TradingDayBounds trading_day;
  std::vector<ScopeRef> reset_at_start;  // switches an operator reset last (restore_risk)
  // Risk's PnL today per scope (Decimal raw, saturated to int64) for other threads: global, then
  // each account, then each strategy book; refreshed at housekeeping (publish_day_pnl).
  std::unique_ptr<std::atomic<std::int64_t>[]> day_pnl;
  std::size_t day_pnl_size = 0;
  std::chrono::nanoseconds fold_time{0};  // the start's fold_risk_books
  std::map<std::string, InstrumentId, std::less<>> fee_rates;  // asset -> its spot ASSET/USDT
  std::set<std::string, std::less<>> unpriced_fee_assets;      // said once each
  std::atomic<std::uint64_t> unpriced_fees{0};
  TimeNs next_valuation = 0;
  std::atomic<std::uint64_t> restarts{0};
  // The steady clock when the shard's loop last came round (Engine::loop_lag).
  std::atomic<std::int64_t> loop_beat{0};
  std::atomic<bool> running{false};
  TimeNs next_housekeeping = 0;
  TimeNs next_checkpoint = 0;  // recording: when the next checkpoint record is due
  // Keep-warm (EngineOptions::keep_warm): what it rehearses, and when next.
  struct WarmOrder {
    OrderSubmitted order;
  };
  std::optional<WarmOrder> warm_order;
  std::optional<ArbSagaStep> warm_saga;
  TimeNs next_warm = 0;
  void keep_warm(TimeNs now);
  std::jthread thread;
};

}  // namespace oms::actors
