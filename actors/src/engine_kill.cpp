// The automatic kill switch's shell (kill_switch_core.hpp): the figures of the books an input
// moved go to the core with the step's time; what it decides is carried out here, in order:
//   1. trip     the switch set and recorded (KillSwitchTripped, reason "auto 31xx ..."), the
//               strategies it covers follow it (follow_kill_switch), omsd hears it (venue sweep)
//   2. cancel   every open order of the scope: a CancelOrder down the one order path
//   3. flatten  every position of the scope: a reduce-only (futures) market order, or a limit
//               order flatten_band_bps past the mark (IOC), down the same path
// Each step's events name the trip's event as their cause. Nothing here reads a clock: the
// step's time (step_now) is the input's, so a replay decides the same trips.
#include <spdlog/spdlog.h>

#include "engine_impl.hpp"
#include "oms/actors/engine_risk.hpp"
#include "oms/messages/client_order_id.hpp"

namespace oms::actors {
namespace {

// The trip's event id: the same trip (scope, reason, time) is the same id in a replay.
EventId trip_id(const KillSwitchStep& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::uint64_t v : {static_cast<std::uint64_t>(s.scope), std::uint64_t{s.id},
                                static_cast<std::uint64_t>(s.reason), static_cast<std::uint64_t>(s.at)}) {
    h = (h ^ v) * 0x100000001b3ULL;
  }
  return h;
}

bool covers(const KillSwitchStep& s, AccountId a) {
  return s.scope == LimitScope::kGlobal || s.scope == LimitScope::kStrategy ||
         (s.scope == LimitScope::kAccount && a.index() == s.id);
}

}  // namespace

void Engine::Impl::kill_watch_fill(AccountId account, StrategyId strategy) {
  if (!kill.watches_figures()) return;
  const auto look = [&](LimitScope scope, std::uint32_t id) {
    kill.on_figures(scope, id, ScopeFigures{risk->daily_loss(scope, id), risk->consecutive_losses(scope, id)},
                    step_now, kill_steps);
  };
  look(LimitScope::kGlobal, 0);
  look(LimitScope::kAccount, static_cast<std::uint32_t>(account.index()));
  // Orders of no strategy have a book of their own in risk, beyond the core's strategies.
  if (strategy.valid()) look(LimitScope::kStrategy, static_cast<std::uint32_t>(strategy.index()));
}

void Engine::Impl::kill_watch_marks() {
  if (!kill.watches_figures()) return;
  // Only unrealized PnL moves with a mark: the global and account books carry it.
  kill.on_figures(LimitScope::kGlobal, 0,
                  ScopeFigures{risk->daily_loss(LimitScope::kGlobal, 0),
                               risk->consecutive_losses(LimitScope::kGlobal, 0)},
                  step_now, kill_steps);
  for (const auto& a : accounts) {
    if (!a) continue;
    const auto id = static_cast<std::uint32_t>(a->cfg.id.index());
    kill.on_figures(LimitScope::kAccount, id,
                    ScopeFigures{risk->daily_loss(LimitScope::kAccount, id),
                                 risk->consecutive_losses(LimitScope::kAccount, id)},
                    step_now, kill_steps);
  }
  kill_drain();
}

void Engine::Impl::kill_venue_ban(AccountId account, TimeNs until) {
  kill.on_venue_ban(account, until, step_now, kill_steps);
  kill_drain();
}

void Engine::Impl::kill_sync_states() {
  const RiskLimitTable& l = risk->limits();
  kill.on_state(LimitScope::kGlobal, 0, l.kill_switch(LimitScope::kGlobal, 0));
  for (std::uint32_t i = 0; i < l.accounts(); ++i) {
    kill.on_state(LimitScope::kAccount, i, l.kill_switch(LimitScope::kAccount, i));
  }
  for (std::uint32_t i = 0; i < l.strategies(); ++i) {
    kill.on_state(LimitScope::kStrategy, i, l.kill_switch(LimitScope::kStrategy, i));
  }
}

void Engine::Impl::kill_drain() {
  if (kill_busy || batch_sends != nullptr || kill_steps.empty()) return;
  kill_busy = true;
  // Steps decided while these run (a cancel's fill, a flatten's loss) are appended and run next.
  for (std::size_t i = 0; i < kill_steps.size(); ++i) {
    const KillSwitchStep s = kill_steps[i];
    kill_step(s);
  }
  kill_steps.clear();
  kill_busy = false;
}

void Engine::Impl::kill_step(const KillSwitchStep& s) {
  const EventId cause = trip_id(s);
  switch (s.kind) {
    case KillSwitchStep::Kind::kTrip: {
      KillSwitchTripped k{s.scope, {}, {}, s.state, {}};
      if (s.scope == LimitScope::kAccount) k.account = AccountId(static_cast<AccountId::rep_type>(s.id));
      if (s.scope == LimitScope::kStrategy) k.strategy = StrategyId(static_cast<StrategyId::rep_type>(s.id));
      (void)k.reason.assign(describe(s));
      kill_trips[reason_index(s.reason)].fetch_add(1, std::memory_order_relaxed);
      const Envelope env{cause, 0, step_now, step_now, 0, 0};
      auto r = record_kill_switch(*risk, &log, env, k, step_now);
      if (!r.ack.accepted) {
        // Not recorded (the store refused): the switch still stops trading here (fail closed).
        (void)risk->limits().set_kill_switch(s.scope, s.id, s.state);
        spdlog::critical("kill switch {} {} -> {} NOT RECORDED ({}): {}", enum_name(s.scope), s.id,
                         enum_name(s.state), r.ack.message, k.reason.view());
      }
      follow_kill_switch(k, r.recorded ? r.recorded->envelope : env);
      if (options.on_kill_switch) options.on_kill_switch(k);
      return;
    }
    case KillSwitchStep::Kind::kCancelOpenOrders: kill_cancel(s, cause); return;
    case KillSwitchStep::Kind::kFlatten: kill_flatten(s, cause); return;
  }
}

void Engine::Impl::kill_cancel(const KillSwitchStep& s, EventId cause) {
  std::size_t n = 0;
  for (const auto& a : accounts) {
    if (!a || !covers(s, a->cfg.id)) continue;
    std::vector<CancelOrder> cancels;
    a->desk->for_each_live([&](const OrderCore& o) {
      if (s.scope == LimitScope::kStrategy && o.strategy().index() != s.id) return;
      if (!o.strategy().valid() && s.scope == LimitScope::kStrategy) return;
      if (o.status() == OrderStatus::kPendingCancel) return;
      cancels.push_back(CancelOrder{a->cfg.id, o.instrument(), o.client_order_id()});
    });
    for (const CancelOrder& c : cancels) {
      const Envelope env{command_id(c.client_order_id.view(), QuoteAction::Kind::kCancel, step_now), 0,
                         step_now, step_now, cause, cause};
      account_command(*a, Command{env, c}, nullptr);
    }
    n += cancels.size();
  }
  spdlog::warn("kill switch {} {}: {} open order(s) cancelled", enum_name(s.scope), s.id, n);
}

void Engine::Impl::kill_flatten(const KillSwitchStep& s, EventId cause) {
  const auto& band = options.kill_switch.flatten_band_bps;
  for (const auto& a : accounts) {
    if (!a || !covers(s, a->cfg.id)) continue;
    for (std::size_t i = 0; i < instruments.size(); ++i) {
      const InstrumentId ins(static_cast<InstrumentId::rep_type>(i));
      const Decimal pos = risk->position(a->cfg.id, ins);
      if (pos.is_zero()) continue;
      SubmitOrder o;
      o.account = a->cfg.id;
      o.instrument = ins;
      o.side = pos.is_positive() ? Side::kSell : Side::kBuy;
      o.quantity = Decimal::from_raw(pos.is_positive() ? pos.raw() : -pos.raw());
      const InstrumentAssets* assets = instruments.find(ins);
      // Futures: reduce-only at the venue; spot has none (risk's REDUCING_ONLY holds it).
      o.reduce_only = assets != nullptr && assets->market != Market::kSpot;
      const Decimal mark = risk->mark(ins);
      if (band && mark.is_positive()) {
        // A limit order band bps past the mark, on the tick towards the far side (it crosses).
        const Int128 bps = band->raw();
        const Int128 sign = o.side == Side::kSell ? -1 : 1;
        Int128 p = 0;
        (void)mul_div(mark.raw(), Decimal::kOne * 10'000 + sign * bps, Decimal::kOne * 10'000,
                      o.side == Side::kSell ? Rounding::kUp : Rounding::kDown, p);
        Decimal price = Decimal::from_raw(p);
        if (i < options.algo_rules.size() && options.algo_rules[i].tick.is_positive()) {
          const auto r = price.round_to(options.algo_rules[i].tick,
                                        o.side == Side::kSell ? Rounding::kUp : Rounding::kDown);
          if (r) price = *r;
        }
        o.order_type = OrderType::kLimit;
        o.tif = TimeInForce::kIoc;
        o.price = price;
      } else {
        o.order_type = OrderType::kMarket;
        o.tif = TimeInForce::kIoc;
      }
      const auto id = format_client_order_id(ClientOrderId{options.desk, a->cfg.id, StrategyId{}, ++*signal.sequence()});
      if (!id) continue;
      o.client_order_id = *id;
      const Envelope env{command_id(id->view(), QuoteAction::Kind::kPlace, step_now), 0, step_now,
                         step_now, cause, cause};
      spdlog::warn("kill switch {} {}: flattening {} {} {} of instrument {}", enum_name(s.scope), s.id,
                   a->cfg.name, enum_name(o.side), o.quantity.to_string(), i);
      account_command(*a, Command{env, o}, nullptr);
    }
  }
}

std::uint64_t Engine::kill_switch_trips(TripReason reason) const noexcept {
  return impl_->kill_trips[reason_index(reason)].load(std::memory_order_relaxed);
}

}  // namespace oms::actors
