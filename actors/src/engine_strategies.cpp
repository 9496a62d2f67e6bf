// The engine's strategy stage, market making (market_maker.hpp): a quoter decides on its
// instrument's top of book, on the housekeeping tick and on the news of its own orders; what
// it decides (post-only quotes, cancels) takes the API's path -- risk, desk, commit, send --
// through account_command. Everything runs on the shard at the step's time, so a replay
// decides the same.
#include <spdlog/spdlog.h>

#include "engine_impl.hpp"
#include "oms/cores/order_events.hpp"
#include "oms/messages/client_order_id.hpp"

namespace oms::actors {

namespace {

// A strategy command's id: from the order's client id and what is asked, so a decision made
// again (a replay, a restart) is the same command.
EventId command_id(std::string_view client_order_id, QuoteAction::Kind kind) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : client_order_id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return kind == QuoteAction::Kind::kPlace ? h : h ^ 0x9e3779b97f4a7c15ULL;
}

}  // namespace

bool Engine::Impl::strategy_active(StrategyId strategy, AccountId account) const {
  const RiskLimitTable& limits = risk->limits();
  return limits.kill_switch(LimitScope::kGlobal, 0) == KillSwitchState::kActive &&
         limits.kill_switch(LimitScope::kAccount, static_cast<std::uint32_t>(account.index())) == KillSwitchState::kActive &&
         limits.kill_switch(LimitScope::kStrategy, static_cast<std::uint32_t>(strategy.index())) == KillSwitchState::kActive;
}

QuoterContext Engine::Impl::quoter_context(const QuoterConfig& q) const {
  QuoterContext c;
  c.desk = options.desk;
  c.sequence = const_cast<SignalStage&>(signal).sequence();
  const Account* a = account(q.account);
  if (a == nullptr) {
    c.active = false;
    return c;
  }
  if (const auto* leg = a->desk->positions().strategy_leg(q.account, q.strategy, q.instrument)) {
    c.inventory = leg->position.size;
    const Decimal mark = q.instrument.index() < marks.size() ? marks[q.instrument.index()] : Decimal{};
    c.pnl_e16 = leg->position.realized_e16 + leg->position.unrealized_e16(mark) - leg->fees_e16;
  }
  c.active = strategy_active(q.strategy, q.account) && !a->desk->reconciling();
  return c;
}

void Engine::Impl::issue_quotes(std::vector<QuoteAction>& actions, EventId cause) {
  const TimeNs now = step_now;
  const bool outer = !strategy_busy;
  strategy_busy = true;  // news of these orders waits until all are out
  for (const QuoteAction& act : actions) {
    const AccountId id = act.kind == QuoteAction::Kind::kPlace ? act.order.account : act.cancel.account;
    Account* a = account(id);
    const ClientOrderIdText& order_id = act.kind == QuoteAction::Kind::kPlace
                                            ? act.order.client_order_id
                                            : act.cancel.client_order_id;
    if (a == nullptr) continue;
    const Envelope env{command_id(order_id.view(), act.kind), 0, now, now, cause, cause};
    ++strategy_orders;
    if (act.kind == QuoteAction::Kind::kPlace) {
      account_command(*a, Command{env, act.order}, nullptr);
    } else {
      account_command(*a, Command{env, act.cancel}, nullptr);
    }
    // A command the desk refused without a trace (no order made): the quoter hears it as ended.
    if (!a->desk->status(order_id.view())) strategy_news.push_back(OrderNews{id, order_id, false});
  }
  actions.clear();
  if (outer) {
    strategy_busy = false;
    drain_strategy_news();
  }
}

void Engine::Impl::quote_top(const TopOfBook& top, TimeNs now) {
  if (top.instrument.index() >= quoters_of.size()) return;
  std::vector<QuoteAction> actions;
  for (const std::uint32_t i : quoters_of[top.instrument.index()]) {
    MarketMaker& m = quoters[i];
    m.on_top(top, now, quoter_context(m.config()), actions);
    if (!actions.empty()) issue_quotes(actions, top.update_id);
  }
}

void Engine::Impl::quote_tick(TimeNs now) {
  std::vector<QuoteAction> actions;
  for (MarketMaker& m : quoters) {
    m.on_tick(now, quoter_context(m.config()), actions);
    if (!actions.empty()) issue_quotes(actions, 0);
  }
}

void Engine::Impl::note_strategy_order(const Account& a, const Event& e) {
  const std::string_view id = client_order_id_of(e.payload);
  if (id.empty()) return;
  const auto parsed = parse_client_order_id(id);
  if (!parsed || parsed->desk != options.desk || !parsed->strategy.valid() ||
      parsed->strategy.index() >= quoting_strategy.size() ||
      !quoting_strategy[parsed->strategy.index()]) {
    return;
  }
  OrderNews n{a.cfg.id, {}, std::holds_alternative<FillReceived>(e.payload)};
  (void)n.id.assign(id);
  strategy_news.push_back(n);
}

void Engine::Impl::drain_strategy_news() {
  if (strategy_busy) return;
  strategy_busy = true;
  std::vector<QuoteAction> actions;
  while (!strategy_news.empty()) {
    const OrderNews n = strategy_news.front();
    strategy_news.pop_front();
    const Account* a = account(n.account);
    if (a == nullptr) continue;
    const auto status = a->desk->status(n.id.view());
    for (MarketMaker& m : quoters) {
      if (m.config().account != n.account) continue;
      if (m.on_order(n.id.view(), status.value_or(OrderStatus::kRejected), n.filled, step_now,
                     quoter_context(m.config()), actions)) {
        if (!actions.empty()) issue_quotes(actions, 0);
        break;
      }
    }
  }
  strategy_busy = false;
}

void Engine::Impl::adopt_quotes() {
  for (MarketMaker& m : quoters) {
    const Account* a = account(m.config().account);
    if (a == nullptr) continue;
    a->desk->for_each_live([&](const OrderCore& o) {
      if (o.strategy() == m.config().strategy && o.instrument() == m.config().instrument) {
        m.adopt(o.client_order_id(), o.side(), o.price(), o.quantity());
      }
    });
  }
}

}  // namespace oms::actors
