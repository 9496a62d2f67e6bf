// Engine: inputs, the shard loop and dispatch. One account's handling is in engine_account.cpp.
#include "oms/actors/engine.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>

#include "engine_impl.hpp"
#include "oms/actors/engine_risk.hpp"
#include "oms/persistence/stream_layout.hpp"

#include <nlohmann/json.hpp>

namespace oms::actors {

namespace {


TimeNs wall_clock() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr TimeNs kHousekeepingEvery = 100'000'000;  // reconciliation deadlines, snapshot ages
constexpr TimeNs kParkAtMost = 1'000'000;  // a parked shard looks at its clock every millisecond

AccountId account_of(const CommandPayload& p) {
  return std::visit(
      [](const auto& c) -> AccountId {
        if constexpr (requires { c.account; }) return c.account;
        return AccountId{};
      },
      p);
}

}  // namespace

// ---- construction ---------------------------------------------------------------------------

Engine::Engine(EngineOptions options, const InstrumentTable& instruments, EventLog& log,
               persistence::EventStore& store, persistence::SnapshotStore* snapshots,
               std::shared_ptr<RiskCore> risk, std::vector<EngineAccount> accounts)
    : impl_(std::make_unique<Impl>(std::move(options), instruments, log, store, snapshots,
                                   std::move(risk))) {
  auto& im = *impl_;
  if (!im.options.clock) im.options.clock = wall_clock;
  im.step_now = im.options.clock();
  // What the rebuild reads: a replay of this run rebuilds from the same stream positions.
  std::map<std::string, std::uint64_t> positions;
  if (im.options.record_inputs) {
    std::vector<std::string> streams{std::string(persistence::StreamLayout::kStrategies)};
    for (const auto& cfg : accounts) streams.push_back(cfg.stream);
    for (const auto& stream : streams) {
      auto last = im.store.last_sequence(stream);
      if (!last) throw std::runtime_error("engine: " + last.error().message);
      positions[stream] = *last;
    }
  }
  im.reset_at_start = restore_risk(*im.risk, im.log, im.store);
  im.kill_sync_states();
  im.rebuild_strategies();
  im.rebuild_sagas();
  std::vector<BoardAccount> on_board;
  for (const auto& cfg : accounts) on_board.push_back({cfg.id, cfg.name});
  BoardLimits board_limits;
  board_limits.strategies = static_cast<std::uint32_t>(im.strategy_cores.size());
  if (auto b = im.board.open(im.options.board_path, on_board, instruments, board_limits); !b) {
    spdlog::error("{}; the engine runs without a state board", b.error().message);
  }
  for (auto& cfg : accounts) {
    const auto index = cfg.id.index();
    if (im.accounts.size() <= index) im.accounts.resize(index + 1);
    auto a = std::make_unique<Impl::Account>();
    a->cfg = std::move(cfg);
    // A stored record that may not be folded refuses this account only (issue 13).
    (void)im.try_rebuild(*a);
    // The strategy stage's client order ids continue after every one already used.
    im.signal.observe_sequence(a->desk->last_strategy_sequence(im.options.desk));
    im.accounts[index] = std::move(a);
  }
  im.index_fee_rates();
  im.fold_risk_books();
  im.publish_refusals();
  im.adopt_quotes();  // a previous run's quotes still resting: cancelled at the first requote
  // After the desks: the algos' children ids continue the strategy stage's sequence.
  im.rebuild_algos();
  im.rebuild_sors();
  if (im.options.record_inputs) im.record_start(positions);
  if (!im.options.run_shard) return;  // step() runs the steps
  im.running.store(true, std::memory_order_release);
  im.thread = std::jthread([this](std::stop_token st) { impl_->run(st); });
}

Engine::~Engine() {
  impl_->running.store(false, std::memory_order_release);
  impl_->thread.request_stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

// ---- inputs ---------------------------------------------------------------------------------

namespace {
// The engine whose shard runs on this thread (null on every other thread).
thread_local const Engine::Impl* t_shard = nullptr;
}  // namespace

bool Engine::Impl::push(Input&& in) {
  if (t_shard == this) {
    own_inputs.push_back(std::move(in));
    return true;
  }
  if (!rings.try_push(std::move(in))) return false;
  parker.notify();  // a wake-up only when the shard parks
  return true;
}

namespace {

// Sends a question to the shard and waits for its answer.
// A question (view, await, snapshot, restart) waits this long at most for room in a full ring
// before it is refused as busy: a burst of reports fills a ring for microseconds, not longer.
constexpr std::chrono::milliseconds kQuestionRoom{100};

Result<std::shared_ptr<Reply>, std::string> ask(Engine::Impl& im, Input in,
                                                std::chrono::milliseconds timeout) {
  if (!im.running.load(std::memory_order_acquire)) return Unexpected(std::string("engine stopped"));
  auto reply = std::make_shared<Reply>();
  in.reply = reply;
  const auto deadline = std::chrono::steady_clock::now() + std::min(timeout, kQuestionRoom);
  IdleStrategy idle(WaitMode::kSpinThenPark);
  while (!im.push(std::move(in))) {  // a refused push leaves `in` as it was
    if (std::chrono::steady_clock::now() > deadline ||
        !im.running.load(std::memory_order_acquire)) {
      return Unexpected(std::string("engine busy: its input ring is full"));
    }
    idle.idle();
  }
  if (!reply->wait(timeout)) return Unexpected(std::string("no answer within the timeout"));
  if (!reply->error.empty()) return Unexpected(reply->error);
  return reply;
}

// Inputs that must not be lost (a venue report, a book delta, the reconciliation): wait for
// room while the engine runs (backpressure on the producer). False: the engine stopped.
bool push_waiting(Engine::Impl& im, Input&& in) {
  IdleStrategy idle(WaitMode::kSpinThenPark);
  while (!im.push(std::move(in))) {  // a refused push leaves `in` as it was
    if (!im.running.load(std::memory_order_acquire)) return false;
    idle.idle();
  }
  return true;
}

// A question about one account (view, snapshot, restart).
Input question(Input::Kind kind, AccountId account) {
  Input in;
  in.kind = kind;
  in.account = account;
  return in;
}

}  // namespace

void Engine::reconcile() {
  Input in;
  in.kind = Input::Kind::kReconcile;
  (void)push_waiting(*impl_, std::move(in));
}

Result<CommandAck, std::string> Engine::submit(const Command& command,
                                               std::chrono::milliseconds timeout,
                                               TimeNs received_ns) {
  Input in;
  in.kind = Input::Kind::kCommand;
  in.received_ns = received_ns;
  in.body = command;
  if (!impl_->running.load(std::memory_order_acquire)) return Unexpected(std::string("engine stopped"));
  auto reply = std::make_shared<Reply>();
  in.reply = reply;
  if (!impl_->push(std::move(in))) {
    return CommandAck{false, false, static_cast<std::uint16_t>(CommandCode::kEngineBusy),
                      "engine busy: its input ring is full; nothing was done", {}};
  }
  if (!reply->wait(timeout)) return Unexpected(std::string("no answer within the timeout"));
  return reply->ack;
}

Result<std::vector<CommandAck>, std::string> Engine::submit_batch(const Command& batch,
                                                                 std::chrono::milliseconds timeout,
                                                                 TimeNs received_ns) {
  const auto* b = std::get_if<SubmitBatch>(&batch.payload);
  if (b == nullptr) return Unexpected(std::string("not a SubmitBatch"));
  Input in;
  in.kind = Input::Kind::kCommand;
  in.received_ns = received_ns;
  in.body = batch;
  if (!impl_->running.load(std::memory_order_acquire)) return Unexpected(std::string("engine stopped"));
  auto reply = std::make_shared<Reply>();
  in.reply = reply;
  if (!impl_->push(std::move(in))) {
    const CommandAck busy{false, false, static_cast<std::uint16_t>(CommandCode::kEngineBusy),
                          "engine busy: its input ring is full; nothing was done", {}};
    return std::vector<CommandAck>(b->orders.size(), busy);
  }
  if (!reply->wait(timeout)) return Unexpected(std::string("no answer within the timeout"));
  if (reply->batch.size() != b->orders.size()) {
    return std::vector<CommandAck>(b->orders.size(), reply->ack);  // refused as a whole
  }
  return std::move(reply->batch);
}

void Engine::report(AccountId account, const VenueReport& report) {
  Input in;
  in.kind = Input::Kind::kReport;
  in.account = account;
  in.body = report;
  // Never dropped: wait for room (backpressure on the connector's socket).
  if (!push_waiting(*impl_, std::move(in))) {
    spdlog::error("engine stopped: report {} of account {} not taken", report.report_id,
                  account.index());
  }
}

void Engine::market_data(TimeNs venue_time, const EventPayload& event, TimeNs received_ns) {
  Input in;
  in.kind = Input::Kind::kMarketData;
  in.received_ns = received_ns;
  in.body = Event{Envelope{0, 0, venue_time, 0, 0, 0}, event};
  // A book must see every delta: wait for room rather than drop one.
  (void)push_waiting(*impl_, std::move(in));
}

bool Engine::has_mark(InstrumentId instrument) const noexcept {
  return instrument.valid() && instrument.index() < impl_->instruments.size() &&
         // acquire: pairs with the release in set_mark(); only the flag is read here.
         impl_->marked[instrument.index()].load(std::memory_order_acquire);
}

bool Engine::venue_banned(AccountId account, TimeNs until) {
  Input in;
  in.kind = Input::Kind::kVenueBan;
  in.account = account;
  in.value = Decimal::from_raw(until);  // the ban's end in ns, carried as the raw value
  return impl_->push(std::move(in));
}

void Engine::mark(InstrumentId instrument, Decimal price) {
  Input in;
  in.kind = Input::Kind::kMark;
  in.instrument = instrument;
  in.value = price;
  (void)impl_->push(std::move(in));  // the next mark replaces a lost one
}

Result<AccountViewPtr, std::string> Engine::view(AccountId account,
                                                 std::chrono::milliseconds timeout) {
  auto r = ask(*impl_, question(Input::Kind::kView, account), timeout);
  if (!r) return Unexpected(r.error());
  return (*r)->view;
}

Result<AccountViewPtr, std::string> Engine::summary(AccountId account,
                                                    std::chrono::milliseconds timeout) {
  auto r = ask(*impl_, question(Input::Kind::kSummary, account), timeout);
  if (!r) return Unexpected(r.error());
  return (*r)->view;
}

Result<StrategyViewPtr, std::string> Engine::strategy(StrategyId id,
                                                     std::chrono::milliseconds timeout) {
  if (!impl_->options.run_shard) {
    // Stepped inline (replay, backtests): the caller's thread is the shard's.
    if (id.index() >= impl_->strategy_cores.size()) return Unexpected("no strategy " + std::to_string(id.index()));
    return impl_->strategy_view(id);
  }
  Input in;
  in.kind = Input::Kind::kStrategyView;
  in.strategy = id;
  auto r = ask(*impl_, std::move(in), timeout);
  if (!r) return Unexpected(r.error());
  return (*r)->strategy;
}

Result<std::vector<Decimal>, std::string> Engine::marks(std::chrono::milliseconds timeout) {
  if (!impl_->options.run_shard) return impl_->marks;  // stepped inline: the caller is the shard
  Input in;
  in.kind = Input::Kind::kMarks;
  auto r = ask(*impl_, std::move(in), timeout);
  if (!r) return Unexpected(r.error());
  return std::move((*r)->marks);
}

Result<std::vector<AlgoStep>, std::string> Engine::algos(std::chrono::milliseconds timeout) {
  if (!impl_->options.run_shard) return impl_->algo_views();  // stepped inline
  Input in;
  in.kind = Input::Kind::kAlgos;
  auto r = ask(*impl_, std::move(in), timeout);
  if (!r) return Unexpected(r.error());
  return std::move((*r)->algos);
}

Result<std::vector<SorStep>, std::string> Engine::sors(std::chrono::milliseconds timeout) {
  if (!impl_->options.run_shard) return impl_->sor_views();  // stepped inline
  Input in;
  in.kind = Input::Kind::kAlgos;
  auto r = ask(*impl_, std::move(in), timeout);
  if (!r) return Unexpected(r.error());
  return std::move((*r)->sors);
}

Result<OrderStatus, std::string> Engine::await_answer(AccountId account,
                                                      const std::string& client_order_id,
                                                      std::chrono::milliseconds timeout) {
  Input in = question(Input::Kind::kAwait, account);
  if (!in.client_order_id.assign(client_order_id)) {
    return Unexpected(std::string("client order id too long: ") + client_order_id);
  }
  auto r = ask(*impl_, std::move(in), timeout);
  if (!r) return Unexpected(r.error());
  return (*r)->status;
}

Result<std::uint64_t, std::string> Engine::snapshot(AccountId account,
                                                    std::chrono::milliseconds timeout) {
  auto r = ask(*impl_, question(Input::Kind::kSnapshot, account), timeout);
  if (!r) return Unexpected(r.error());
  return (*r)->sequence;
}

Result<Unit, std::string> Engine::restart_account(AccountId account,
                                                  std::chrono::milliseconds timeout) {
  auto r = ask(*impl_, question(Input::Kind::kRestart, account), timeout);
  if (!r) return Unexpected(r.error());
  return Unit{};
}

std::uint64_t Engine::account_restarts() const noexcept {
  return impl_->restarts.load(std::memory_order_relaxed);
}

bool Engine::runs(AccountId account) const noexcept { return impl_->account(account) != nullptr; }

std::size_t Engine::inputs_waiting() const noexcept { return impl_->rings.waiting(); }

std::chrono::nanoseconds Engine::loop_lag() const noexcept {
  if (impl_->rings.waiting() == 0) return std::chrono::nanoseconds{0};
  const std::int64_t beat = impl_->loop_beat.load(std::memory_order_relaxed);
  const std::int64_t now = steady_ns();
  return std::chrono::nanoseconds{beat == 0 || now < beat ? 0 : now - beat};
}

std::vector<AccountRefusal> Engine::refusals() const {
  const std::lock_guard lock(impl_->refusals_mutex);
  return impl_->refusals_copy;
}

// ---- the shard ------------------------------------------------------------------------------

Engine::Impl::Account* Engine::Impl::account(AccountId id) const {
  return id.valid() && id.index() < accounts.size() ? accounts[id.index()].get() : nullptr;
}

void Engine::Impl::run(const std::stop_token& stop) {
  pthread_setname_np(pthread_self(), "oms-engine");  // top -H, perf
  if (options.cpu >= 0) {
    if (auto e = pin_current_thread(options.cpu)) spdlog::warn("engine shard: {}; runs unpinned", *e);
  }
  t_shard = this;
  IdleStrategy idle(options.wait);
  const auto run_input = [this](Input& in) {
    step_now = options.clock();
    roll_day_if_due();
    record(in);
    handle(in);
    in.reply.reset();  // the slot keeps no caller's reply alive
  };
  while (!stop.stop_requested()) {
    // What the shard's own steps pushed (the last round's): the ones there now, in order;
    // those they push in turn wait for the next round.
    std::size_t n = 0;
    if (!own_inputs.empty()) {
      own_running.swap(own_inputs);
      for (Input& in : own_running) run_input(in);
      n = own_running.size();
      own_running.clear();
    }
    n += rings.drain(run_input, kDrainBudget);
    const TimeNs now = options.clock();
    step_now = now;
    roll_day_if_due();
    // relaxed: a metric's reading; nothing is published through it.
    loop_beat.store(steady_ns(), std::memory_order_relaxed);
    if ((!timers.empty() && timers.top().due <= now) || algo_wake <= now) {
      record_step(InputStep::kTimers);
      fire_timers(now);
    }
    if (now >= next_housekeeping) {
      record_step(InputStep::kHousekeeping);
      housekeeping(now);
    }
    if (now >= next_valuation) {
      record_step(InputStep::kValuation);
      value_accounts();
    }
    if (recording && next_checkpoint != 0 && now >= next_checkpoint) record_checkpoint();
    if (n > 0 || !own_inputs.empty()) {
      idle.reset();
    } else if (options.keep_warm.count() > 0 && now >= next_warm) {
      keep_warm(now);  // spinning anyway: the order path stays in the caches
    } else if (!idle.spin()) {
      // Parked until an input comes (its producer wakes the shard) or the next timer,
      // housekeeping or valuation is due; at most kParkAtMost (the clock may be a test's).
      TimeNs due = std::min(next_housekeeping, next_valuation);
      if (!timers.empty()) due = std::min(due, timers.top().due);
      due = std::min(due, algo_wake);
      const auto wait = std::clamp<TimeNs>(due - now, 0, kParkAtMost);
      parker.park(std::chrono::nanoseconds(wait), [this] { return rings.waiting() > 0; });
    }
  }
}

void Engine::Impl::handle(Input& in) {
  Account* a = account(in.kind == Input::Kind::kCommand
                           ? account_of(std::get<Command>(in.body).payload)
                           : in.account);
  const auto unknown = [&] {
    if (in.reply) {
      in.reply->error = "unknown account " + std::to_string(in.account.index());
      in.reply->finish();
    }
  };
  // Orders this input sends carry where it came from (timers and reconciliation: the engine).
  switch (in.kind) {
    case Input::Kind::kCommand: origin = {SendOriginKind::kApi, in.received_ns}; break;
    case Input::Kind::kMarketData: origin = {SendOriginKind::kMarketData, in.received_ns}; break;
    default: origin = {SendOriginKind::kEngine, in.received_ns}; break;
  }
  try {
    switch (in.kind) {
      case Input::Kind::kCommand:
        on_command(std::get<Command>(in.body), in.reply);
        return;
      case Input::Kind::kReport:
        if (a == nullptr) {
          spdlog::error("report {} for account {}, which this engine does not run",
                        std::get<VenueReport>(in.body).report_id, in.account.index());
          return;
        }
        if (a->refused) {
          // Left at the venue: the reconciliation after a good rebuild asks for its orders.
          if (a->reports_while_refused++ == 0) {
            logger(*a).warn("account {}: venue reports are not folded while it is refused; the "
                            "reconciliation after it rebuilds asks the venue again",
                            a->cfg.name);
          }
          return;
        }
        on_report(*a, std::get<VenueReport>(in.body));
        return;
      case Input::Kind::kMarketData:
        on_market_data(std::get<Event>(in.body), step_now);
        return;
      case Input::Kind::kMark:
        set_mark(in.instrument, in.value);
        return;
      case Input::Kind::kVenueBan:
        kill_venue_ban(in.account, static_cast<TimeNs>(in.value.raw()));
        return;
      case Input::Kind::kView:
      case Input::Kind::kSummary:
        if (a == nullptr) return unknown();
        in.reply->view = make_view(*a, in.kind == Input::Kind::kSummary);
        in.reply->finish();
        return;
      case Input::Kind::kAwait: {
        if (a == nullptr) return unknown();
        const auto status = a->desk->status(in.client_order_id.view());
        if (!status) {
          in.reply->error = "unknown client order id '" + in.client_order_id.str() + "'";
          in.reply->finish();
        } else if (answered(*status)) {
          in.reply->status = *status;
          in.reply->finish();
        } else {
          a->awaiting.emplace(in.client_order_id.str(), in.reply);
        }
        return;
      }
      case Input::Kind::kSnapshot:
        if (a == nullptr) return unknown();
        if (a->refused) {
          in.reply->error = a->refused->message();
          in.reply->finish();
          return;
        }
        write_snapshot(*a, true);
        in.reply->sequence = a->snapshot_sequence;
        in.reply->finish();
        return;
      case Input::Kind::kRestart:
        if (a == nullptr) return unknown();
        a->failures = 0;  // an operator asks: the bound starts again
        restart(*a);
        if (a->refused) in.reply->error = a->refused->message();
        in.reply->finish();
        return;
      case Input::Kind::kStrategyView:
        if (!in.strategy.valid() || in.strategy.index() >= strategy_cores.size()) {
          in.reply->error = "no strategy " + std::to_string(in.strategy.index());
        } else {
          in.reply->strategy = strategy_view(in.strategy);
        }
        in.reply->finish();
        return;
      case Input::Kind::kMarks:
        in.reply->marks = marks;
        in.reply->finish();
        return;
      case Input::Kind::kAlgos:
        in.reply->algos = algo_views();
        in.reply->sors = sor_views();
        in.reply->finish();
        return;
      case Input::Kind::kReconcile:
        for (auto& acc : accounts) {
          if (acc && !acc->refused) reconcile(*acc);
        }
        return;
    }
  } catch (const std::exception& e) {
    // A bug or unreadable stored data while handling one account's input: that account
    // starts again from what was committed; the others go on.
    spdlog::error("engine: {} of account {} failed: {}; the account restarts from its events",
                  static_cast<int>(in.kind), in.account.index(), e.what());
    if (in.reply) {
      in.reply->error = std::string("engine: ") + e.what();
      in.reply->finish();
    }
    if (a != nullptr) schedule_restart(*a, e.what());  // after a back-off, bounded
  }
}

void Engine::Impl::on_command(const Command& cmd, const std::shared_ptr<Reply>& reply) {
  const TimeNs now = step_now;
  if (std::holds_alternative<StartStrategy>(cmd.payload) ||
      std::holds_alternative<StopStrategy>(cmd.payload) ||
      std::holds_alternative<SetStrategyParam>(cmd.payload)) {
    strategy_command(cmd, reply);
    return;
  }
  if (std::holds_alternative<SubmitAlgo>(cmd.payload) || std::holds_alternative<ControlAlgo>(cmd.payload)) {
    algo_command(cmd, reply);
    return;
  }
  if (std::holds_alternative<SubmitSor>(cmd.payload)) {
    sor_command(cmd, reply);
    return;
  }
  if (auto r = run_risk_command(*risk, &log, cmd, now)) {
    if (r->recorded) {
      if (const auto* k = std::get_if<KillSwitchTripped>(&r->recorded->payload)) {
        follow_kill_switch(*k, r->recorded->envelope);  // the strategies it covers change state
        kill_sync_states();  // an operator's trip or reset: the automatic switch follows it
      }
    }
    reply->ack = std::move(r->ack);
    reply->finish();
    return;
  }
  const AccountId id = account_of(cmd.payload);
  Account* a = account(id);
  if (a == nullptr) {
    reply->ack = CommandAck{false, false, static_cast<std::uint16_t>(CommandCode::kNoSuchAccount),
                            "no account " + std::to_string(id.index()) + " runs in this engine", {}};
    reply->finish();
    return;
  }

  if (a->desk->reconciling()) {
    a->held.emplace_back(cmd, reply);  // after the venue's answers
    return;
  }
  account_command(*a, cmd, reply);
}

// ---- 0. books and the strategy stage ---------------------------------------------------------

void Engine::Impl::set_mark(InstrumentId instrument, Decimal price) {
  if (!instrument.valid() || instrument.index() >= marks.size() || !price.is_positive()) return;
  if (marks[instrument.index()] == price) return;
  marks[instrument.index()] = price;
  (void)risk->on_mark(instrument, price);
  // release: the mark is in risk before another thread sees the flag.
  marked[instrument.index()].store(true, std::memory_order_release);
  kill_watch_marks();  // unrealized PnL moved: a loss or drawdown may trip
  if (unpriced_waiting > 0) run_unpriced_resends(instrument, step_now);  // the price they waited for
}

namespace {

Decimal mid_of(Decimal bid, Decimal ask) {
  if (!bid.is_positive() || !ask.is_positive()) return {};
  const auto sum = bid.add(ask);
  return sum ? Decimal::from_raw(sum->raw() / 2) : Decimal{};
}

}  // namespace

void Engine::Impl::on_market_data(const Event& e, TimeNs now) {
  std::array<TopOfBook, 1> tops;
  std::size_t n = book.on(e, now, tops);
  if (const auto* t = std::get_if<TradePrinted>(&e.payload)) algo_trade(*t, now);
  if (n == 0) {
    const auto* bbo = std::get_if<BestBidOffer>(&e.payload);
    if (bbo == nullptr) return;
    const auto i = bbo->instrument.index();
    if (i < options.books.size() && book.book(bbo->instrument).state() == BookState::kLive) {
      return;  // the instrument's own book gives its top
    }
    tops[0] = TopOfBook{bbo->instrument, bbo->update_id, bbo->bid_price, bbo->bid_qty,
                        bbo->ask_price, bbo->ask_qty, now};
    n = 1;
  }
  const TopOfBook& top = tops[0];
  set_mark(top.instrument, mid_of(top.bid, top.ask));
  board.top(top, now);
  // The strategy stage: an arbitrage signal opens a saga, whose legs take the API's path.
  std::array<OrderIntent, SignalStage::kMaxOut> intents;
  if (signal.on(top, now, intents) == 2) open_saga(intents, now);
  if (!quoters.empty()) quote_top(top, now);
}

void Engine::Impl::value_accounts() {
  next_valuation = step_now + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  options.valuation_interval).count();
  for (const auto& a : accounts) {
    if (a && a->refused) continue;  // not known: its last equity stands
    if (a) (void)risk->set_equity(a->cfg.id, pricing.equity(a->desk->account(), marks));
    if (a) board.account(*a->desk, marks, step_now);  // PnL at the new marks
  }
  publish_strategies();
}

void Engine::Impl::fire_timers(TimeNs now) {
  origin = {SendOriginKind::kEngine, now};
  while (!timers.empty() && timers.top().due <= now) {
    const EngineTimer t = timers.top();
    timers.pop();
    if (Account* a = account(t.account)) on_timer(*a, t.timer);
  }
  algo_timers(now);
  sor_resumed(now);
}

void Engine::Impl::note_sent(const VenueRequest& request) {
  if (options.keep_warm.count() == 0) return;
  if (const auto* sub = std::get_if<OrderSubmitted>(&request)) warm_order = WarmOrder{*sub};
}

void Engine::Impl::keep_warm(TimeNs now) {
  next_warm = now + std::chrono::duration_cast<std::chrono::nanoseconds>(options.keep_warm).count();
  if (warm_saga) log.rehearse(*warm_saga);
  if (!warm_order) return;
  log.rehearse(warm_order->order);
  const Account* a = account(warm_order->order.account);
  if (a != nullptr && a->cfg.session) a->cfg.session->rehearse(warm_order->order);
}

void Engine::Impl::housekeeping(TimeNs now) {
  next_housekeeping = now + kHousekeepingEvery;
  const TimeNs interval =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options.snapshot_interval).count();
  const TimeNs retention =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options.closed_order_retention).count();
  // Refused accounts whose back-off passed, rebuilt together: one fold of risk's books for
  // those that were never in them (refused at the start: the store down, say).
  std::vector<Account*> rebuilt;
  bool fold = false;
  for (auto& a : accounts) {
    if (!a || !a->refused || a->retry_at == 0 || now < a->retry_at) continue;
    if (!restart_rebuild(*a)) continue;
    rebuilt.push_back(a.get());
    fold = fold || !a->in_risk;
  }
  if (fold || (risk_fold_retry_at != 0 && now >= risk_fold_retry_at)) fold_risk_books(/*live=*/true);
  for (Account* a : rebuilt) restart_resume(*a);
  for (auto& a : accounts) {
    if (!a) continue;
    // Nothing of a refused account is snapshotted (its state is not known); one rebuilt just
    // now waits for the next round.
    if (a->refused || std::find(rebuilt.begin(), rebuilt.end(), a.get()) != rebuilt.end()) continue;
    a->orders_retired += a->desk->retire_closed(now, retention);
    if (a->desk->reconciling()) refuse_held_too_long(*a, now);
    if (!a->unpriced_resends.empty() && now >= a->reconcile_deadline) run_unpriced_resends(InstrumentId{}, now);
    if (a->desk->reconciling() && now >= a->reconcile_deadline) {
      logger(*a).warn("account {}: {} reconciliation queries unanswered; trading resumes, the "
                      "orders' own timers keep asking",
                      a->cfg.name, a->desk->reconciling_count());
      a->desk->abandon_reconciliation();
      end_reconciliation(*a);
    }
    if (now - a->last_snapshot >= interval && now >= a->snapshot_retry_at) snapshot_due(*a);
    board.refresh(*a->desk, marks, now);  // what the board's interval held back
  }
  write_due_snapshots();
  publish_day_pnl();
  if (!quoters.empty()) quote_tick(now);
  if (!sagas.empty()) saga_tick(now);
}

// ---- recorded steps and their replay ------------------------------------------------------

void Engine::Impl::emit(InputRecord& r) {
  r.desk = options.desk;
  r.run = run_id;
  r.seq = ++input_seq;
  r.global_seq = log.last_global_seq();
  std::string subject;
  const auto* md = r.step == InputStep::kMarketData ? std::get_if<Event>(&r.body) : nullptr;
  if (md != nullptr) {
    // Its md.* subject, made once per instrument and kind.
    const std::size_t kind = std::holds_alternative<BookSnapshot>(md->payload) ||
                                     std::holds_alternative<BookDelta>(md->payload)
                                 ? 0
                                 : std::holds_alternative<TradePrinted>(md->payload) ? 1 : 2;
    const auto ins = std::visit(
        [](const auto& p) -> InstrumentId {
          if constexpr (requires { p.instrument; }) return p.instrument;
          return InstrumentId{};
        },
        md->payload);
    if (ins.valid()) {
      if (md_subjects.size() <= ins.index()) md_subjects.resize(ins.index() + 1);
      auto& cached = md_subjects[ins.index()][kind];
      if (cached.empty()) cached = log.subjects().subject(md->payload);
      subject = cached;
    }
  } else {
    subject = input_subject(options.desk, r.step);
  }
  const char* failed = nullptr;
  if (subject.empty()) {
    failed = "no subject (an instrument the directory does not name)";
  } else if (!encode_input(r, record_payload)) {
    failed = "its message does not encode";
  } else if (auto c = log.record_input(std::move(subject), record_payload,
                                       input_msg_id(options.desk, run_id, r.seq), r.now);
             !c) {
    failed = c.error().code == persistence::StoreErrorCode::kBackpressure ? "the intent log is full"
                                                             : "the event log refused it";
  }
  if (failed != nullptr && ++unrecorded == 1) {
    spdlog::error("engine: run {} input {} ({}) not recorded: {}; a replay of this run stops "
                  "there (the record is missing)",
                  run_id, r.seq, to_string(r.step), failed);
  }
}

void Engine::Impl::record_start(const std::map<std::string, std::uint64_t>& positions) {
  recording = true;
  run_id = static_cast<std::uint64_t>(step_now);
  nlohmann::json start;
  start["desk"] = options.desk;
  start["run"] = run_id;
  start["streams"] = positions;
  start["setup"] = options.setup;
  record_text(InputStep::kStart, start.dump());
  if (options.checkpoint_interval.count() > 0) {
    next_checkpoint = step_now + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     options.checkpoint_interval).count();
  }
}

void Engine::Impl::record_text(InputStep step, const std::string& text) {
  // Split over records the store takes (a JetStream message is 1 MiB at most by default).
  for (std::size_t off = 0; off < text.size() || off == 0; off += kMaxStartText) {
    InputRecord r;
    r.step = step;
    r.now = step_now;
    r.value = Decimal::from_raw(static_cast<std::int64_t>(text.size()));
    r.body = text.substr(off, kMaxStartText);
    emit(r);
    if (text.empty()) break;
  }
}

void Engine::Impl::record_checkpoint() {
  next_checkpoint = step_now + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   options.checkpoint_interval).count();
  record_text(InputStep::kCheckpoint, save_checkpoint());
}

void Engine::Impl::record_step(InputStep step) {
  if (!recording) return;
  InputRecord r;
  r.step = step;
  r.now = step_now;
  emit(r);
}

void Engine::Impl::record(const Input& in) {
  if (!recording) return;
  InputRecord r;
  r.now = step_now;
  r.received_ns = in.received_ns;
  r.account = in.account;
  r.instrument = in.instrument;
  r.value = in.value;
  switch (in.kind) {
    case Input::Kind::kCommand:
      r.step = InputStep::kCommand;
      r.body = std::get<Command>(in.body);
      break;
    case Input::Kind::kReport: {
      const auto& rep = std::get<VenueReport>(in.body);
      r.step = InputStep::kReport;
      r.body = Event{Envelope{rep.report_id, 0, rep.venue_time, 0, 0, 0}, rep.payload};
      break;
    }
    case Input::Kind::kMarketData:
      r.step = InputStep::kMarketData;
      r.body = std::get<Event>(in.body);
      break;
    case Input::Kind::kMark: r.step = InputStep::kMark; break;
    case Input::Kind::kRestart: r.step = InputStep::kRestart; break;
    case Input::Kind::kReconcile: r.step = InputStep::kReconcile; break;
    case Input::Kind::kVenueBan: r.step = InputStep::kVenueBan; break;
    default: return;  // questions change nothing
  }
  emit(r);
}

std::uint64_t Engine::run_id() const noexcept { return impl_->run_id; }

void Engine::step(const InputRecord& r) {
  auto& im = *impl_;
  if (im.thread.joinable()) throw std::logic_error("Engine::step: the engine's shard is running");
  im.step_now = r.now;
  im.roll_day_if_due();
  Input in;
  in.account = r.account;
  in.instrument = r.instrument;
  in.value = r.value;
  in.received_ns = r.received_ns;
  switch (r.step) {
    case InputStep::kStart:
    case InputStep::kCheckpoint: return;  // the replay reads them (the clock and day moved above)
    case InputStep::kTimers: im.fire_timers(r.now); return;
    case InputStep::kHousekeeping: im.housekeeping(r.now); return;
    case InputStep::kValuation: im.value_accounts(); return;
    case InputStep::kCommand:
      in.kind = Input::Kind::kCommand;
      in.body = std::get<Command>(r.body);
      in.reply = std::make_shared<Reply>();
      break;
    case InputStep::kReport: {
      const auto& e = std::get<Event>(r.body);
      in.kind = Input::Kind::kReport;
      in.body = VenueReport{e.envelope.id, e.envelope.event_time, e.payload};
      break;
    }
    case InputStep::kMarketData:
      // As handle() runs it, without copying the message into an Input.
      im.origin = {SendOriginKind::kMarketData, r.received_ns};
      try {
        im.on_market_data(std::get<Event>(r.body), r.now);
      } catch (const std::exception& e) {
        spdlog::error("engine: market data input {} failed: {}", r.seq, e.what());
      }
      return;
    case InputStep::kMark: in.kind = Input::Kind::kMark; break;
    case InputStep::kRestart:
      in.kind = Input::Kind::kRestart;
      in.reply = std::make_shared<Reply>();
      break;
    case InputStep::kReconcile: in.kind = Input::Kind::kReconcile; break;
    case InputStep::kVenueBan: in.kind = Input::Kind::kVenueBan; break;
  }
  im.origin = {};
  im.handle(in);
}

}  // namespace oms::actors
