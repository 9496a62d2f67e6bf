// The engine's execution algos (exec_algo.hpp): parent orders run in the strategy stage. A
// SubmitAlgo command makes one (its first step recorded before anything else happens); its
// slices fire in timer steps (recorded inputs: a replay fires them again at the same times);
// its children take the one order path (issue_quotes: risk, desk, journal, venue) like every
// strategy order; its children's ends come back through the strategy stage's order news. Every
// step is an AlgoStep event in the STRATEGIES stream, recorded before the orders it decides. A
// restart resumes every open algo from its last step; a child that ended meanwhile is read
// from its desk at the first timer step (a child the desk never saw never left: it filled
// nothing). Traded volume (TradePrinted) feeds the participation caps, and a per-instrument
// minute-of-day profile that weighs a VWAP submitted without a curve.
#include <spdlog/spdlog.h>

#include "engine_impl.hpp"
#include "oms/messages/client_order_id.hpp"
#include "oms/messages/subjects.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

namespace {

constexpr TimeNs kMinute = 60'000'000'000;
constexpr std::int64_t kDayMinutes = 1440;

EventId algo_step_id(const AlgoStep& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const std::uint64_t v : {static_cast<std::uint64_t>(s.account.index()), s.algo,
                                static_cast<std::uint64_t>(s.number)}) {
    h = (h ^ v) * 1099511628211ULL;
  }
  return h ^ 0x41a6000000000000ULL;
}

// As the sagas: ended once nothing more fills it and its fills are all in.
bool child_ended(const OrderCore* o) {
  return o == nullptr || (is_terminal(o->status()) && o->fill_gap().is_zero());
}

AlgoFill fill_of(const OrderCore* o) {
  if (o == nullptr) return {};
  return AlgoFill{o->cum_qty(), o->notional_e18()};
}

CommandAck refused(CommandCode code, std::string why) {
  return CommandAck{false, false, static_cast<std::uint16_t>(code), std::move(why), {}};
}

}  // namespace

AlgoRules Engine::Impl::algo_rules(InstrumentId instrument) const {
  if (!instrument.valid() || instrument.index() >= options.algo_rules.size()) return {};
  return options.algo_rules[instrument.index()];
}

AlgoContext Engine::Impl::algo_context(const ExecAlgo& a) {
  AlgoContext c;
  c.desk = options.desk;
  c.sequence = signal.sequence();
  const InstrumentId i = a.step().instrument;
  if (i.index() < marks.size()) {
    const TopOfBook& t = signal.top(i);
    c.bid = t.bid;
    c.ask = t.ask;
  }
  return c;
}

bool Engine::Impl::commit_algo(const AlgoStep& st, EventId cause) {
  const EventPayload group[] = {st};
  auto c = log.commit(Envelope{algo_step_id(st), 0, step_now, step_now, cause, cause}, group, step_now);
  if (!c) {
    spdlog::error("algo {} step {} ({}) not recorded: {}", st.algo, st.number, enum_name(st.state),
                  c.error().store.message);
    return false;
  }
  return true;
}

void Engine::Impl::reschedule_algos() {
  algo_wake = std::numeric_limits<TimeNs>::max();
  for (const OpenAlgo& oa : algos) {
    if (oa.check_desk) algo_wake = std::numeric_limits<TimeNs>::min();
    if (const auto due = oa.algo.next_due()) algo_wake = std::min(algo_wake, *due);
  }
}

// ---- commands ---------------------------------------------------------------------------------

void Engine::Impl::algo_command(const Command& cmd, const std::shared_ptr<Reply>& reply) {
  const TimeNs now = step_now;
  const auto answer = [&](CommandAck ack) {
    if (reply) {
      reply->ack = std::move(ack);
      reply->finish();
    }
  };
  const EventId cause = cmd.envelope.id;
  std::vector<QuoteAction> actions;
  if (const auto* c = std::get_if<ControlAlgo>(&cmd.payload)) {
    for (std::size_t i = 0; i < algos.size(); ++i) {
      ExecAlgo& a = algos[i].algo;
      if (a.step().algo != c->algo || a.step().account != c->account) continue;
      auto r = a.control(c->action, now, algo_context(a), actions);
      if (!r) return answer(refused(CommandCode::kNotAnAccountCommand, r.error()));
      answer(CommandAck{true, false, 0, {}, {}});
      algo_stepped(i, actions, cause);
      reschedule_algos();
      return;
    }
    if (sor_control(*c, cause, reply)) return;  // a smart-routed parent's id
    for (const AlgoStep& s : ended_algos) {
      if (s.algo == c->algo && s.account == c->account) {
        return answer(refused(CommandCode::kNotAnAccountCommand,
                              "algo " + std::to_string(c->algo) + " has ended (" +
                                  std::string(enum_name(s.state)) + ")"));
      }
    }
    return answer(refused(CommandCode::kUnknownClientOrderId, "no algo " + std::to_string(c->algo) +
                                                                  " of this account"));
  }
  const auto& c = std::get<SubmitAlgo>(cmd.payload);
  const Account* acc = account(c.account);
  if (acc == nullptr) {
    return answer(refused(CommandCode::kNoSuchAccount,
                          "no account " + std::to_string(c.account.index()) + " runs in this engine"));
  }
  if (!c.strategy.valid() || c.strategy.index() >= strategy_cores.size()) {
    return answer(refused(CommandCode::kNoSuchStrategy,
                          "strategy: an algo's children carry its strategy; none known given"));
  }
  if (instruments.find(c.instrument) == nullptr) {
    return answer(refused(CommandCode::kNotAnAccountCommand, "instrument: not known here"));
  }
  const std::uint64_t id = c.algo != 0 ? c.algo : cmd.envelope.id;
  for (const OpenAlgo& oa : algos) {
    if (oa.algo.step().algo == id) {
      // The same command again (a retry): already running.
      return answer(CommandAck{true, true, 0, "algo " + std::to_string(id) + " exists", {}});
    }
  }
  VolumeCurveWeights curve = c.curve;
  if (c.kind == AlgoKind::kVwap && curve.count == 0) {
    const auto recorded = recorded_curve(c.instrument, c.start, c.end);
    if (!recorded) {
      return answer(refused(CommandCode::kNotAnAccountCommand,
                            "curve: none given and no trades recorded at the window's times of day"));
    }
    curve = *recorded;
  }
  auto made = ExecAlgo::make(c, id, curve, algo_rules(c.instrument));
  if (!made) return answer(refused(CommandCode::kNotAnAccountCommand, made.error()));
  if (!commit_algo(made->step(), cause)) {
    return answer(refused(CommandCode::kNotAnAccountCommand, "its first step could not be recorded"));
  }
  algos.push_back(OpenAlgo{std::move(made).value(), false});
  spdlog::info("algo {}: {} {} {} over {} slices", id, enum_name(c.kind), enum_name(c.side),
               c.quantity.to_string(), c.slices);
  answer(CommandAck{true, false, 0, "algo " + std::to_string(id), {}});
  // A slice already due goes now.
  ExecAlgo& a = algos.back().algo;
  if (a.on_timer(now, algo_context(a), actions)) algo_stepped(algos.size() - 1, actions, cause);
  reschedule_algos();
}

// ---- market data, timers, children ------------------------------------------------------------

void Engine::Impl::algo_trade(const TradePrinted& t, TimeNs now) {
  const std::size_t i = t.instrument.index();
  if (!t.instrument.valid() || i >= marks.size() || !t.quantity.is_positive()) return;
  if (trade_profiles.size() <= i) trade_profiles.resize(i + 1);
  TradeProfile& p = trade_profiles[i];
  const std::int64_t minute = now / kMinute;
  const auto m = static_cast<std::size_t>(((minute % kDayMinutes) + kDayMinutes) % kDayMinutes);
  const std::int64_t day = minute / kDayMinutes;
  if (p.day[m] != day) {
    p.day[m] = day;
    p.volume[m] = 0;
  }
  p.volume[m] += t.quantity.raw();
  for (OpenAlgo& oa : algos) {
    if (oa.algo.step().instrument == t.instrument) oa.algo.on_trade(t.quantity);
  }
}

std::optional<VolumeCurveWeights> Engine::Impl::recorded_curve(InstrumentId instrument, TimeNs start,
                                                               TimeNs end) const {
  if (!instrument.valid() || instrument.index() >= trade_profiles.size() || end <= start) return std::nullopt;
  const TradeProfile& p = trade_profiles[instrument.index()];
  const TimeNs span = end - start;
  // Up to kMaxCurveWeights buckets, at least a minute each.
  const auto buckets = static_cast<std::size_t>(
      std::clamp<TimeNs>(span / kMinute, 1, static_cast<TimeNs>(kMaxCurveWeights)));
  std::vector<Int128> volume(buckets, 0);
  Int128 top = 0;
  for (std::size_t b = 0; b < buckets; ++b) {
    const TimeNs from = start + static_cast<TimeNs>(static_cast<Int128>(span) * static_cast<Int128>(b) / static_cast<Int128>(buckets));
    const TimeNs to = start + static_cast<TimeNs>(static_cast<Int128>(span) * static_cast<Int128>(b + 1) / static_cast<Int128>(buckets));
    // Each minute of the day the bucket starts in, up to the one it ends before.
    for (TimeNs t = from - from % kMinute; t < to; t += kMinute) {
      const auto m = static_cast<std::size_t>((((t / kMinute) % kDayMinutes) + kDayMinutes) % kDayMinutes);
      if (p.day[m] >= 0) volume[b] += p.volume[m];
    }
    top = std::max(top, volume[b]);
  }
  if (top <= 0) return std::nullopt;
  VolumeCurveWeights w;
  for (std::size_t b = 0; b < buckets; ++b) {
    // Scaled so the busiest bucket weighs 1,000,000.
    w.items[w.count++] = static_cast<std::uint32_t>(volume[b] * 1'000'000 / top);
  }
  return w;
}

void Engine::Impl::algo_timers(TimeNs now) {
  if (algo_wake > now) return;
  const bool outer = !strategy_busy;
  strategy_busy = true;  // news of what the algos send waits until every algo had its turn
  for (std::size_t i = 0; i < algos.size();) {
    const std::size_t before = algos.size();
    if (algos[i].check_desk) {
      // Resumed: its child may have ended while the engine was down, or never left.
      algos[i].check_desk = false;
      ExecAlgo& a = algos[i].algo;
      const AlgoStep& st = a.step();
      if (!st.child.empty()) {
        const Account* acc = account(st.account);
        const OrderCore* o = acc == nullptr ? nullptr : acc->desk->order(st.child.view());
        if (child_ended(o)) {
          std::vector<QuoteAction> acts;
          const ClientOrderIdText child = st.child;
          if (a.on_child_end(child.view(), fill_of(o), now, algo_context(a), acts)) {
            algo_stepped(i, acts, 0);
            if (algos.size() < before) continue;
          }
        }
      }
    }
    ExecAlgo& a = algos[i].algo;
    std::vector<QuoteAction> actions;
    if (a.on_timer(now, algo_context(a), actions)) {
      algo_stepped(i, actions, 0);
      if (algos.size() < before) continue;  // ended: the next one moved into i
    }
    ++i;
  }
  reschedule_algos();
  if (outer) {
    strategy_busy = false;
    drain_strategy_news();
  }
}

bool Engine::Impl::algo_child(std::string_view client_order_id) const {
  for (const OpenAlgo& oa : algos) {
    if (oa.algo.owns(client_order_id)) return true;
  }
  return false;
}

bool Engine::Impl::algo_news(const OrderNews& n) {
  for (std::size_t i = 0; i < algos.size(); ++i) {
    ExecAlgo& a = algos[i].algo;
    if (!a.owns(n.id.view())) continue;
    const Account* acc = account(n.account);
    const OrderCore* o = acc == nullptr ? nullptr : acc->desk->order(n.id.view());
    if (!child_ended(o)) return true;
    std::vector<QuoteAction> actions;
    if (a.on_child_end(n.id.view(), fill_of(o), step_now, algo_context(a), actions)) {
      algo_stepped(i, actions, 0);
    }
    reschedule_algos();
    return true;
  }
  return false;
}

void Engine::Impl::algo_stepped(std::size_t index, std::vector<QuoteAction>& actions, EventId cause) {
  const ExecAlgo& a = algos[index].algo;
  (void)commit_algo(a.step(), cause);  // refused: logged; the orders still go (the desk's journal decides)
  const StrategyId strategy = a.step().strategy;
  if (a.terminal()) {
    spdlog::log(a.step().state == AlgoState::kCompleted ? spdlog::level::info : spdlog::level::warn,
                "algo {} {}: {}", a.step().algo, enum_name(a.step().state), a.step().reason.view());
  }
  if (a.done()) {
    ended_algos.push_back(a.step());
    if (ended_algos.size() > kEndedAlgosKept) ended_algos.pop_front();
    algos.erase(algos.begin() + static_cast<std::ptrdiff_t>(index));
  }
  if (!actions.empty()) issue_quotes(actions, cause, strategy);
}

std::vector<AlgoStep> Engine::Impl::algo_views() const {
  std::vector<AlgoStep> out;
  for (const OpenAlgo& oa : algos) out.push_back(oa.algo.step());
  out.insert(out.end(), ended_algos.begin(), ended_algos.end());
  return out;
}

// ---- restart ----------------------------------------------------------------------------------

void Engine::Impl::rebuild_algos() {
  const Directory& directory = log.subjects().directory();
  std::map<std::pair<std::uint32_t, std::uint64_t>, AlgoStep> last;  // (account, algo) -> last step
  for (std::size_t i = 0; i < strategy_cores.size(); ++i) {
    const StrategyId id(static_cast<std::uint16_t>(i));
    if (strategy_slots[i].elsewhere) continue;  // another daemon's
    read_events(store,
                persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                         "strategies." + escape_token(directory.strategies.name(id)) + ".algo"},
                directory, [&](const Event& e) {
                  if (const auto* s = std::get_if<AlgoStep>(&e.payload)) {
                    auto& slot = last[{s->account.value, s->algo}];
                    if (s->number >= slot.number) slot = *s;
                    // A child id a step named but no desk may hold (a crash before it went):
                    // never drawn again.
                    const auto p = parse_client_order_id(s->child.view());
                    if (p && p->desk == options.desk) signal.observe_sequence(p->sequence);
                  }
                  log.observe_global_seq(e.envelope.global_seq);
                });
  }
  for (const auto& [key, step] : last) {
    if (account(step.account) == nullptr) continue;  // another engine's
    const ExecAlgo a(step, algo_rules(step.instrument));
    if (a.done()) {
      ended_algos.push_back(step);
      if (ended_algos.size() > kEndedAlgosKept) ended_algos.pop_front();
      continue;
    }
    algos.push_back(OpenAlgo{a, true});
    spdlog::warn("algo {} resumed ({}: {})", step.algo, enum_name(step.state), step.reason.view());
  }
  reschedule_algos();
}

}  // namespace oms::actors
