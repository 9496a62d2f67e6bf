#include "oms/actors/risk_actor.hpp"

#include <spdlog/spdlog.h>

#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

namespace {

constexpr std::string_view kRiskSubjects = "strategies.risk.>";

std::uint32_t scope_id(LimitScope scope, AccountId a, StrategyId s, InstrumentId i = {}) {
  switch (scope) {
    case LimitScope::kAccount: return static_cast<std::uint32_t>(a.index());
    case LimitScope::kStrategy: return static_cast<std::uint32_t>(s.index());
    case LimitScope::kInstrument: return static_cast<std::uint32_t>(i.index());
    default: return 0;
  }
}

// The table's int64 for a limit: the Decimal's mantissa, or the whole number of a count kind.
Result<std::int64_t, std::string> limit_raw(const RiskLimitSet& l) {
  if (l.unlimited) return kNoLimit;
  if (l.value < Decimal{}) return Unexpected{std::string("value: a limit cannot be negative")};
  if (!limit_is_count(l.kind)) return l.value.raw();
  const std::int64_t whole = l.value.raw() / Decimal::kOne;
  if (whole * Decimal::kOne != l.value.raw()) {
    return Unexpected{std::string("value: ") + std::string(enum_name(l.kind)) +
                      " is a count (a whole number)"};
  }
  return whole;
}

bool apply_limit(RiskLimitTable& limits, const RiskLimitSet& l) {
  const auto raw = limit_raw(l);
  return raw.ok() &&
         limits.set(l.scope, scope_id(l.scope, l.account, l.strategy, l.instrument), l.kind, *raw);
}

void restore(RiskActorConfig& cfg) {
  if (cfg.store == nullptr || cfg.log == nullptr) return;
  const Directory& directory = cfg.log->subjects().directory();
  read_events(*cfg.store,
              persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                       std::string(kRiskSubjects)},
              directory, [&](const Event& e) {
                if (const auto* k = std::get_if<KillSwitchTripped>(&e.payload)) {
                  (void)cfg.core->limits().set_kill_switch(
                      k->scope, scope_id(k->scope, k->account, k->strategy), k->state);
                } else if (const auto* l = std::get_if<RiskLimitSet>(&e.payload)) {
                  if (!apply_limit(cfg.core->limits(), *l)) {
                    spdlog::error("risk: recorded limit {} at {} not applicable here (seq {})",
                                  enum_name(l->kind), enum_name(l->scope), e.envelope.global_seq);
                  }
                }
                cfg.log->observe_global_seq(e.envelope.global_seq);
              });
}

// SetRiskLimit: checked, applied, recorded (RiskLimitSet); on a store failure put back.
CommandAck set_limit(caf::event_based_actor* self, RiskActorConfig& cfg, const Envelope& envelope,
                     const SetRiskLimit& set) {
  const RiskLimitSet l{set.scope, set.account, set.strategy, set.instrument,
                       set.kind,  set.value,   set.unlimited};
  const auto raw = limit_raw(l);
  if (!raw) return CommandAck{false, false, 2016, raw.error(), {}};
  if (!limit_applies(l.kind, l.scope)) {
    return CommandAck{false, false, 2016,
                      std::string("kind: ") + std::string(enum_name(l.kind)) +
                          " does not apply at scope " + std::string(enum_name(l.scope)),
                      {}};
  }
  auto& limits = cfg.core->limits();
  const auto id = scope_id(l.scope, l.account, l.strategy, l.instrument);
  const auto before = limits.get(l.scope, id, l.kind);
  if (!limits.set(l.scope, id, l.kind, *raw)) {
    return CommandAck{false, false, 2015,
                      std::string(enum_name(l.scope)) + ": no such id " + std::to_string(id), {}};
  }
  if (cfg.log == nullptr) return CommandAck{true, false, 0, {}, {}};
  const EventPayload group[] = {l};
  auto committed = cfg.log->commit(envelope, group, cfg.clock());
  if (!committed) {
    (void)limits.set(l.scope, id, l.kind, before);
    return CommandAck{false, false, static_cast<std::uint16_t>(committed.error().store.code),
                      committed.error().store.message, {}};
  }
  spdlog::warn("risk limit {} {} {} -> {}", enum_name(l.scope), id, enum_name(l.kind),
               l.unlimited ? std::string("unlimited") : l.value.to_string());
  if (auto sender = caf::actor_cast<caf::actor>(self->current_sender())) {
    self->send(sender, committed->front());
  }
  return CommandAck{true, false, 0, {}, {}};
}

}  // namespace

caf::actor spawn_risk_actor(caf::actor_system& system, RiskActorConfig config) {
  return system.spawn([](caf::event_based_actor* self, RiskActorConfig cfg_in)
                      -> caf::behavior {
    restore(cfg_in);
    auto cfg = std::make_shared<RiskActorConfig>(std::move(cfg_in));
    auto core = cfg->core;
    return {
        [core](check_atom, OrderRequest order, TimeNs now) {
          // An order without its own reference price is banded against the last mark.
          if (!order.reference.is_positive()) order.reference = core->mark(order.instrument);
          const RiskDecision d = core->check(order, now);
          if (d.passed()) core->on_order_opened(order.account, order.strategy, order.instrument);
          return d;
        },
        [core](const RiskFill& fill) { (void)core->on_fill(fill); },
        [core](mark_atom, InstrumentId instrument, Decimal price) {
          (void)core->on_mark(instrument, price);
        },
        [core](equity_atom, AccountId account, Decimal equity) {
          (void)core->set_equity(account, equity);
        },
        [core](closed_atom, AccountId a, StrategyId s, InstrumentId i) {
          core->on_order_closed(a, s, i);
        },
        [self, cfg](const Command& c) -> CommandAck {
          if (const auto* set = std::get_if<SetRiskLimit>(&c.payload)) {
            return set_limit(self, *cfg, c.envelope, *set);
          }
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
