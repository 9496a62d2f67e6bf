#include "oms/actors/risk_actor.hpp"

#include <spdlog/spdlog.h>

#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

namespace {

constexpr std::string_view kKillSwitchSubject = "strategies.risk.kill_switch";

std::uint32_t scope_id(LimitScope scope, AccountId a, StrategyId s) {
  switch (scope) {
    case LimitScope::kAccount: return static_cast<std::uint32_t>(a.index());
    case LimitScope::kStrategy: return static_cast<std::uint32_t>(s.index());
    default: return 0;
  }
}

void restore(RiskActorConfig& cfg) {
  if (cfg.store == nullptr || cfg.log == nullptr) return;
  const Directory& directory = cfg.log->subjects().directory();
  read_events(*cfg.store,
              persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                       std::string(kKillSwitchSubject)},
              directory, [&](const Event& e) {
                if (const auto* k = std::get_if<KillSwitchTripped>(&e.payload)) {
                  (void)cfg.core->limits().set_kill_switch(
                      k->scope, scope_id(k->scope, k->account, k->strategy), k->state);
                }
                cfg.log->observe_global_seq(e.envelope.global_seq);
              });
}

}  // namespace

caf::actor spawn_risk_actor(caf::actor_system& system, RiskActorConfig config) {
  return system.spawn([](caf::event_based_actor* self, RiskActorConfig cfg_in)
                      -> caf::behavior {
    restore(cfg_in);
    auto cfg = std::make_shared<RiskActorConfig>(std::move(cfg_in));
    auto core = cfg->core;
    return {
        [core](check_atom, const OrderRequest& order, TimeNs now) {
          const RiskDecision d = core->check(order, now);
          if (d.passed()) core->on_order_opened(order.account, order.strategy, order.instrument);
          return d;
        },
        [core](const RiskFill& fill) { (void)core->on_fill(fill); },
        [core](closed_atom, AccountId a, StrategyId s, InstrumentId i) {
          core->on_order_closed(a, s, i);
        },
        [self, cfg](const Command& c) -> CommandAck {
          KillSwitchTripped k{};
          if (const auto* t = std::get_if<TripKillSwitch>(&c.payload)) {
            k = KillSwitchTripped{t->scope, t->account, t->strategy, t->state, t->reason};
          } else if (const auto* r = std::get_if<ResetKillSwitch>(&c.payload)) {
            k = KillSwitchTripped{r->scope, r->account, r->strategy, KillSwitchState::kActive, {}};
            (void)k.reason.assign("reset by operator");
          } else {
            return CommandAck{false, false, 2000, "not a kill-switch command", {}};
          }
          const auto id = scope_id(k.scope, k.account, k.strategy);
          const auto before = cfg->core->limits().kill_switch(k.scope, id);
          if (!cfg->core->limits().set_kill_switch(k.scope, id, k.state)) {
            return CommandAck{false, false, 2015, "kill switch: no such scope id " + std::to_string(id), {}};
          }
          if (cfg->log == nullptr) return CommandAck{true, false, 0, {}, {}};
          const EventPayload group[] = {k};
          auto committed = cfg->log->commit(c.envelope, group, cfg->clock());
          if (!committed) {
            // Not recorded: put the switch back, so state and journal agree.
            (void)cfg->core->limits().set_kill_switch(k.scope, id, before);
            return CommandAck{false, false, static_cast<std::uint16_t>(committed.error().store.code),
                              committed.error().store.message, {}};
          }
          spdlog::warn("kill switch {} {} -> {}: {}", enum_name(k.scope), id, enum_name(k.state),
                       k.reason.view());
          if (auto sender = caf::actor_cast<caf::actor>(self->current_sender())) {
            self->send(sender, committed->front());
          }
          return CommandAck{true, false, 0, {}, {}};
        },
    };
  }, std::move(config));
}

}  // namespace oms::actors
