// The engine's arbitrage sagas (arb_saga.hpp): a signal's two legs go out together only when
// both pass the self-trade check, the accounts' balances and risk (sized down to what both
// accounts can lock); the saga's first step is recorded before either leg leaves. Each later
// step -- an order of the saga ended, a repair decided, an end -- is an ArbSagaStep event in
// the STRATEGIES stream, recorded before the orders it decides. A restart resumes every open
// saga from its last step; its orders' ends that happened meanwhile are read from the desks at
// the first tick (an order the desk never saw never left: it ended unfilled).
#include <spdlog/spdlog.h>

#include "engine_impl.hpp"
#include "oms/cores/order_events.hpp"
#include "oms/messages/client_order_id.hpp"
#include "oms/messages/subjects.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

namespace {

EventId step_id(const ArbSagaStep& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const std::uint64_t v : {static_cast<std::uint64_t>(s.strategy.index()), s.saga,
                                static_cast<std::uint64_t>(s.number)}) {
    h = (h ^ v) * 1099511628211ULL;
  }
  return h ^ 0x5a6a000000000000ULL;
}

// The leg's rules, as the group configures them.
std::optional<SagaLeg> group_leg(const ArbGroup& g, InstrumentId instrument, AccountId account) {
  for (const ArbLeg& l : g.legs) {
    if (l.instrument == instrument && l.account == account) {
      return SagaLeg{l.instrument, l.account, l.tick, l.lot_step, l.min_qty, l.min_notional};
    }
  }
  return std::nullopt;
}

// An order of a saga has ended for the saga once nothing more fills it and its fills are all
// in: terminal, with no gap between the venue's cumulative quantity and the fills seen (an IOC's
// REST answer says FILLED before the user-data stream brings the trade). An order the desk
// never saw never left.
bool ended(const OrderCore* o) {
  return o == nullptr || (is_terminal(o->status()) && o->fill_gap().is_zero());
}

}  // namespace

SagaContext Engine::Impl::saga_context(const ArbSaga& s) {
  SagaContext c;
  c.desk = options.desk;
  c.sequence = signal.sequence();
  const auto& st = s.step();
  if (st.buy_instrument.index() < marks.size()) {
    const TopOfBook& t = signal.top(st.buy_instrument);
    c.buy_bid = t.bid;
    c.buy_ask = t.ask;
  }
  if (st.sell_instrument.index() < marks.size()) {
    const TopOfBook& t = signal.top(st.sell_instrument);
    c.sell_bid = t.bid;
    c.sell_ask = t.ask;
  }
  c.unwind_only = st.strategy.index() < strategy_cores.size() &&
                  strategy_cores[st.strategy.index()].state() == StrategyState::kHalted;
  return c;
}

SagaFill Engine::Impl::saga_fill(const OrderCore* o) const {
  SagaFill f;
  if (o == nullptr) return f;  // never left: nothing filled
  f.cum_qty = o->cum_qty();
  f.notional_e18 = o->notional_e18();
  f.fee_other = o->fee_other();
  if (!o->fee().is_zero()) {
    const InstrumentAssets* in = instruments.find(o->instrument());
    const AssetCode* quote = in == nullptr ? nullptr : in->market == Market::kSpot ? &in->quote : &in->settle;
    if (quote != nullptr && *quote == o->fee_asset()) f.fee_quote = o->fee();
    else f.fee_other = true;
  }
  return f;
}

bool Engine::Impl::commit_saga(const ArbSaga& s, EventId cause) {
  const ArbSagaStep& st = s.step();
  if (options.keep_warm.count() > 0) warm_saga = st;
  const EventPayload group[] = {st};
  auto c = log.commit(Envelope{step_id(st), 0, step_now, step_now, cause, cause}, group, step_now);
  if (!c) {
    spdlog::error("strategy {}: saga {} step {} ({}) not recorded: {}",
                  log.subjects().directory().strategies.name(st.strategy), st.saga, st.number,
                  enum_name(st.state), c.error().store.message);
    return false;
  }
  return true;
}

void Engine::Impl::open_saga(std::span<const OrderIntent> legs, TimeNs now) {
  if (legs.size() != 2) return;
  SubmitOrder buy = legs[0].order, sell = legs[1].order;
  if (buy.side != Side::kBuy) std::swap(buy, sell);
  const std::uint32_t group = legs[0].group;
  if (group >= signal.groups().size()) return;
  const ArbGroup& g = signal.groups()[group];
  Account* ab = account(buy.account);
  Account* as = account(sell.account);
  if (ab == nullptr || as == nullptr || ab->desk->reconciling() || as->desk->reconciling()) return;
  if (!strategy_running(buy.strategy)) return;  // stopped, halted or reducing: no new saga
  SagaTally& tally = saga_tally[buy.strategy.index()];
  const auto refuse = [&](std::string why) {
    ++tally.refused;
    if (why != tally.last_refusal) {
      spdlog::info("strategy {}: arbitrage not opened: {}",
                   log.subjects().directory().strategies.name(buy.strategy), why);
    }
    tally.last_refusal = std::move(why);
  };
  // Both accounts must be able to lock their leg: the largest quantity both can (in lots).
  const auto lockable = [&](const Account& a, const SubmitOrder& o, Decimal qty) {
    const OrderSubmitted sub{o.account, o.strategy, o.instrument, o.client_order_id, o.side,
                             o.order_type, o.tif, o.price, o.stop_price, qty, o.reduce_only};
    return a.desk->account().check_submit(sub).ok();
  };
  if (!lockable(*ab, buy, buy.quantity) || !lockable(*as, sell, sell.quantity)) {
    const Decimal lot = std::max(group_leg(g, buy.instrument, buy.account).value_or(SagaLeg{}).lot,
                                 group_leg(g, sell.instrument, sell.account).value_or(SagaLeg{}).lot);
    Int128 lo = 0, hi = lot.is_positive() ? buy.quantity.raw() / lot.raw() : 0;
    while (lo < hi) {  // the largest n lots both can lock
      const Int128 mid = lo + (hi - lo + 1) / 2;
      const Decimal q = Decimal::from_raw(mid * lot.raw());
      if (lockable(*ab, buy, q) && lockable(*as, sell, q)) lo = mid;
      else hi = mid - 1;
    }
    const Decimal q = Decimal::from_raw(lo * lot.raw());
    Decimal min_qty;
    for (const ArbLeg& l : g.legs) min_qty = std::max(min_qty, l.min_qty);
    if (!q.is_positive() || q < min_qty) {
      return refuse("the accounts' balances cannot lock " + buy.quantity.to_string() + " on both legs");
    }
    buy.quantity = sell.quantity = q;
  }
  // Self-trade and risk for both before either goes.
  const RiskDecision rb = pre_trade(buy);
  if (!rb.passed()) return refuse("buy leg: " + describe(rb));
  const RiskDecision rs = pre_trade(sell);
  if (!rs.passed()) return refuse("sell leg: " + describe(rs));
  const auto parsed = parse_client_order_id(buy.client_order_id.view());
  const auto buy_leg = group_leg(g, buy.instrument, buy.account);
  const auto sell_leg = group_leg(g, sell.instrument, sell.account);
  if (!parsed || !buy_leg || !sell_leg) return;
  OpenSaga os{ArbSaga(parsed->sequence, buy, sell, *buy_leg, *sell_leg, g.saga, now), group, false};
  const EventId cause = legs[0].cause;
  if (!commit_saga(os.saga, cause)) return;  // no record of it: neither leg goes
  ++tally.opened;
  signal.hold(group, true);
  sagas.push_back(os);
  const bool outer = !strategy_busy;
  strategy_busy = true;  // news of the legs waits until both are out
  for (const auto& [o, d, a] : {std::tuple{buy, rb, ab}, std::tuple{sell, rs, as}}) {
    const EventId id = command_id(o.client_order_id.view(), QuoteAction::Kind::kPlace, now);
    ++strategy_orders;
    ++strategy_sent[o.strategy.index()];
    decided_command(*a, Command{Envelope{id, 0, now, now, cause, cause}, o}, d, nullptr);
    // Refused without a trace (no order made): the saga hears it ended unfilled.
    if (!a->desk->status(o.client_order_id.view())) {
      strategy_news.push_back(OrderNews{o.account, o.client_order_id, false, true, o.strategy});
    }
  }
  if (outer) {
    strategy_busy = false;
    drain_strategy_news();
  }
}

void Engine::Impl::saga_news(const OrderNews& n) {
  for (std::size_t i = 0; i < sagas.size(); ++i) {
    ArbSaga& s = sagas[i].saga;
    if (!s.owns(n.id.view())) continue;
    if (n.answer) s.on_answer(n.id.view(), step_now);
    const Account* a = account(n.account);
    const OrderCore* o = a == nullptr ? nullptr : a->desk->order(n.id.view());
    if (!ended(o)) return;
    std::vector<QuoteAction> actions;
    if (s.on_end(n.id.view(), saga_fill(o), step_now, saga_context(s), actions)) {
      saga_stepped(i, actions, 0);
    }
    return;
  }
}

void Engine::Impl::saga_stepped(std::size_t index, std::vector<QuoteAction>& actions, EventId cause) {
  const ArbSaga& s = sagas[index].saga;
  (void)commit_saga(s, cause);  // refused: logged; the orders still go (the desk's journal decides)
  const StrategyId strategy = s.step().strategy;
  if (s.terminal()) {
    tally_end(s.step());
    spdlog::log(s.step().state == SagaState::kFailed ? spdlog::level::err : spdlog::level::info,
                "strategy {}: saga {} {}: {}", log.subjects().directory().strategies.name(strategy),
                s.step().saga, enum_name(s.step().state), s.step().reason.view());
    signal.hold(sagas[index].group, false);
    sagas.erase(sagas.begin() + static_cast<std::ptrdiff_t>(index));
  }
  if (!actions.empty()) issue_quotes(actions, cause, strategy);
}

void Engine::Impl::tally_end(const ArbSagaStep& s) {
  if (s.strategy.index() >= saga_tally.size()) return;
  SagaTally& t = saga_tally[s.strategy.index()];
  switch (s.state) {
    case SagaState::kClosed:
      ++t.closed;
      // Closed by a hedge: a repair order of the hedging phase went out (the legs alone did not
      // match; legs that filled equally, fully or not, closed it themselves).
      if (s.attempts > 0) ++t.hedged;
      break;
    case SagaState::kMissed: ++t.missed; break;
    case SagaState::kUnwound: ++t.unwound; break;
    case SagaState::kFailed: ++t.failed; break;
    default: return;
  }
  const auto pnl = exact_e18(s.pnl);
  if (!pnl || __builtin_add_overflow(t.pnl_e18, *pnl, &t.pnl_e18)) {
    spdlog::error("saga {} of strategy {}: its PnL is beyond 128 bits and not in the totals", s.saga, s.strategy.value);
  }
  if (s.legs_acked != 0) {
    ++t.acked;
    const TimeNs latency = s.legs_acked - s.started;
    t.latency_sum += latency;
    std::size_t b = 0;
    while (b < kLegLatencyBoundsUs.size() && latency > kLegLatencyBoundsUs[b] * 1000) ++b;
    ++t.latency_buckets[b];
  }
  if (s.bought.is_positive() && s.sold.is_positive()) {
    ++t.slipped;
    t.slippage_sum += s.slippage.raw();
  }
}

void Engine::Impl::saga_tick(TimeNs now) {
  const bool outer = !strategy_busy;
  strategy_busy = true;  // news of what the sagas send waits until every saga had its tick
  for (std::size_t i = 0; i < sagas.size();) {
    if (sagas[i].check_desks) {
      // Resumed: an order of it that ended while the engine was down, or never left -- each
      // end its own step.
      sagas[i].check_desks = false;
      const ArbSagaStep st = sagas[i].saga.step();
      const bool long_side = sagas[i].saga.imbalance() > 0;
      const bool hedging = st.state == SagaState::kHedging;
      const std::pair<AccountId, ClientOrderIdText> orders[] = {
          {st.buy_account, st.buy_order}, {st.sell_account, st.sell_order},
          {long_side == hedging ? st.sell_account : st.buy_account, st.repair_order}};
      bool gone = false;
      for (const auto& [acct, id] : orders) {
        ArbSaga& saga = sagas[i].saga;
        if (saga.terminal() || !saga.owns(id.view())) continue;
        const Account* a = account(acct);
        const OrderCore* o = a == nullptr ? nullptr : a->desk->order(id.view());
        if (!ended(o)) continue;
        std::vector<QuoteAction> acts;
        if (!saga.on_end(id.view(), saga_fill(o), now, saga_context(saga), acts)) continue;
        const std::size_t before = sagas.size();
        saga_stepped(i, acts, 0);
        if (sagas.size() < before) {
          gone = true;
          break;
        }
      }
      if (gone) continue;  // ended: the next one moved into i
    }
    OpenSaga& os = sagas[i];
    std::vector<QuoteAction> actions;
    if (os.saga.on_tick(now, saga_context(os.saga), actions)) {
      const std::size_t before = sagas.size();
      saga_stepped(i, actions, 0);
      if (sagas.size() < before) continue;  // ended: the next one moved into i
    } else if (!actions.empty()) {
      issue_quotes(actions, 0, os.saga.step().strategy);  // cancels: not steps
    }
    ++i;
  }
  if (outer) {
    strategy_busy = false;
    drain_strategy_news();
  }
}

void Engine::Impl::rebuild_sagas() {
  const Directory& directory = log.subjects().directory();
  for (std::size_t i = 0; i < saga_strategy.size(); ++i) {
    const StrategyId id(static_cast<std::uint16_t>(i));
    if (strategy_slots[i].elsewhere) continue;  // another daemon's
    // Every strategy's recorded sagas (one whose pairs are no longer configured included).
    std::map<std::uint64_t, ArbSagaStep> last;
    read_events(store,
                persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                         "strategies." + escape_token(directory.strategies.name(id)) + ".saga"},
                directory, [&](const Event& e) {
                  if (const auto* s = std::get_if<ArbSagaStep>(&e.payload)) {
                    last[s->saga] = *s;
                    // Ids a step named but no desk may hold (a crash before the order went):
                    // never drawn again.
                    for (const auto* cid : {&s->buy_order, &s->sell_order, &s->repair_order}) {
                      const auto p = parse_client_order_id(cid->view());
                      if (p && p->desk == options.desk) signal.observe_sequence(p->sequence);
                    }
                  }
                  log.observe_global_seq(e.envelope.global_seq);
                });
    for (const auto& [saga, step] : last) {
      ++saga_tally[i].opened;
      if (is_terminal(step.state)) {
        tally_end(step);
        continue;
      }
      // Open: resumed with its pair's rules; a pair no longer configured ends it at once.
      std::optional<std::size_t> group;
      for (std::size_t g = 0; g < signal.groups().size() && !group; ++g) {
        const ArbGroup& ag = signal.groups()[g];
        if (ag.strategy == id && group_leg(ag, step.buy_instrument, step.buy_account) &&
            group_leg(ag, step.sell_instrument, step.sell_account)) {
          group = g;
        }
      }
      if (!group) {
        spdlog::error("strategy {}: saga {} was {} and its pair is no longer configured: an "
                      "operator's ({})", directory.strategies.name(id), saga,
                      enum_name(step.state), step.reason.view());
        continue;
      }
      const ArbGroup& ag = signal.groups()[*group];
      sagas.push_back(OpenSaga{ArbSaga(step, *group_leg(ag, step.buy_instrument, step.buy_account),
                                       *group_leg(ag, step.sell_instrument, step.sell_account), ag.saga),
                               static_cast<std::uint32_t>(*group), true});
      signal.hold(*group, true);
      spdlog::warn("strategy {}: saga {} resumed ({}: {})", directory.strategies.name(id), saga,
                   enum_name(step.state), step.reason.view());
    }
  }
}

SagaFiguresView Engine::Impl::saga_figures(StrategyId id) const {
  SagaFiguresView v;
  if (id.index() >= saga_tally.size()) return v;
  const SagaTally& t = saga_tally[id.index()];
  v.opened = t.opened;
  v.closed = t.closed;
  v.hedged = t.hedged;
  v.missed = t.missed;
  v.unwound = t.unwound;
  v.failed = t.failed;
  v.refused = t.refused;
  v.last_refusal = t.last_refusal;
  (void)round_e18(t.pnl_e18, v.pnl);
  v.acked = t.acked;
  v.latency_sum = t.latency_sum;
  v.latency_buckets = t.latency_buckets;
  v.slipped = t.slipped;
  if (t.slippage_sum <= std::numeric_limits<std::int64_t>::max() &&
      t.slippage_sum >= std::numeric_limits<std::int64_t>::min()) {
    v.slippage_sum = Decimal::from_raw(static_cast<std::int64_t>(t.slippage_sum));
  }
  for (const OpenSaga& s : sagas) {
    if (s.saga.step().strategy != id) continue;
    ++v.open;
    v.open_sagas.push_back(s.saga.step());
  }
  return v;
}

}  // namespace oms::actors
