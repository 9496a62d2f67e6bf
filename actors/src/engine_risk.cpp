// run_risk_command, restore_risk: see engine_risk.hpp.
#include "oms/actors/engine_risk.hpp"

#include <spdlog/spdlog.h>

#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

namespace {

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
  if (!limit_is_count(l.kind)) {
    if (l.value > kMaxLimit) {
      return Unexpected{"value: " + l.value.to_string() + " beyond the largest limit " + kMaxLimit.to_string()};
    }
    return static_cast<std::int64_t>(l.value.raw());
  }
  const Int128 whole = l.value.raw() / Decimal::kOne;
  if (whole * Decimal::kOne != l.value.raw()) {
    return Unexpected{std::string("value: ") + std::string(enum_name(l.kind)) +
                      " is a count (a whole number)"};
  }
  if (whole >= kNoLimit) return Unexpected{"value: " + l.value.to_string() + " beyond the largest count"};
  return static_cast<std::int64_t>(whole);
}

bool apply_limit(RiskLimitTable& limits, const RiskLimitSet& l) {
  const auto raw = limit_raw(l);
  return raw.ok() &&
         limits.set(l.scope, scope_id(l.scope, l.account, l.strategy, l.instrument), l.kind, *raw);
}

CommandAck refused(RiskCode code, std::string message) {
  return CommandAck{false, false, static_cast<std::uint16_t>(code), std::move(message), {}};
}

// SetRiskLimit: checked, applied, recorded (RiskLimitSet); on a store failure put back.
RiskCommandResult set_limit(RiskCore& risk, EventLog* log, const Envelope& envelope,
                            const SetRiskLimit& set, TimeNs now) {
  const RiskLimitSet l{set.scope, set.account, set.strategy, set.instrument,
                       set.kind,  set.value,   set.unlimited};
  const auto raw = limit_raw(l);
  if (!raw) return {refused(RiskCode::kInvalidOrder, raw.error()), std::nullopt};
  if (!limit_applies(l.kind, l.scope)) {
    return {refused(RiskCode::kInvalidOrder, std::string("kind: ") + std::string(enum_name(l.kind)) +
                                                 " does not apply at scope " +
                                                 std::string(enum_name(l.scope))),
            std::nullopt};
  }
  auto& limits = risk.limits();
  const auto id = scope_id(l.scope, l.account, l.strategy, l.instrument);
  const auto before = limits.get(l.scope, id, l.kind);
  if (!limits.set(l.scope, id, l.kind, *raw)) {
    return {refused(RiskCode::kUnknownId,
                    std::string(enum_name(l.scope)) + ": no such id " + std::to_string(id)),
            std::nullopt};
  }
  if (log == nullptr) return {CommandAck{true, false, 0, {}, {}}, std::nullopt};
  const EventPayload group[] = {l};
  auto committed = log->commit(envelope, group, now);
  if (!committed) {
    (void)limits.set(l.scope, id, l.kind, before);
    return {CommandAck{false, false, static_cast<std::uint16_t>(committed.error().store.code),
                       committed.error().store.message, {}},
            std::nullopt};
  }
  spdlog::warn("risk limit {} {} {} -> {}", enum_name(l.scope), id, enum_name(l.kind),
               l.unlimited ? std::string("unlimited") : l.value.to_string());
  return {CommandAck{true, false, 0, {}, {}}, committed->front()};
}

RiskCommandResult set_kill_switch(RiskCore& risk, EventLog* log, const Envelope& envelope,
                                  KillSwitchTripped k, TimeNs now) {
  const auto id = scope_id(k.scope, k.account, k.strategy);
  const auto before = risk.limits().kill_switch(k.scope, id);
  if (!risk.limits().set_kill_switch(k.scope, id, k.state)) {
    return {refused(RiskCode::kUnknownId, "kill switch: no such scope id " + std::to_string(id)),
            std::nullopt};
  }
  if (log == nullptr) return {CommandAck{true, false, 0, {}, {}}, std::nullopt};
  const EventPayload group[] = {k};
  auto committed = log->commit(envelope, group, now);
  if (!committed) {
    // Not recorded: put the switch back, so state and journal agree.
    (void)risk.limits().set_kill_switch(k.scope, id, before);
    return {CommandAck{false, false, static_cast<std::uint16_t>(committed.error().store.code),
                       committed.error().store.message, {}},
            std::nullopt};
  }
  spdlog::warn("kill switch {} {} -> {}: {}", enum_name(k.scope), id, enum_name(k.state),
               k.reason.view());
  return {CommandAck{true, false, 0, {}, {}}, committed->front()};
}

}  // namespace

RiskCommandResult record_kill_switch(RiskCore& risk, EventLog* log, const Envelope& envelope,
                                     const KillSwitchTripped& k, TimeNs now) {
  return set_kill_switch(risk, log, envelope, k, now);
}

std::optional<RiskCommandResult> run_risk_command(RiskCore& risk, EventLog* log,
                                                  const Command& command, TimeNs now) {
  if (const auto* set = std::get_if<SetRiskLimit>(&command.payload)) {
    return set_limit(risk, log, command.envelope, *set, now);
  }
  if (const auto* t = std::get_if<TripKillSwitch>(&command.payload)) {
    return set_kill_switch(risk, log, command.envelope,
                           KillSwitchTripped{t->scope, t->account, t->strategy, t->state, t->reason},
                           now);
  }
  if (const auto* r = std::get_if<ResetKillSwitch>(&command.payload)) {
    KillSwitchTripped k{r->scope, r->account, r->strategy, KillSwitchState::kActive, {}};
    (void)k.reason.assign("reset by operator");
    return set_kill_switch(risk, log, command.envelope, k, now);
  }
  return std::nullopt;
}

std::vector<ScopeRef> restore_risk(RiskCore& risk, EventLog& log, persistence::EventStore& store) {
  const Directory& directory = log.subjects().directory();
  std::vector<ScopeRef> reset;
  read_events(store,
              persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                       SubjectMap::desk_filter("risk", log.subjects().desk())},
              directory, [&](const Event& e) {
                if (const auto* k = std::get_if<KillSwitchTripped>(&e.payload)) {
                  const ScopeRef ref{k->scope, scope_id(k->scope, k->account, k->strategy)};
                  (void)risk.limits().set_kill_switch(ref.scope, ref.id, k->state);
                  std::erase(reset, ref);
                  if (k->state == KillSwitchState::kActive) reset.push_back(ref);
                } else if (const auto* l = std::get_if<RiskLimitSet>(&e.payload)) {
                  if (!apply_limit(risk.limits(), *l)) {
                    spdlog::error("risk: recorded limit {} at {} not applicable here (seq {})",
                                  enum_name(l->kind), enum_name(l->scope), e.envelope.global_seq);
                  }
                }
                log.observe_global_seq(e.envelope.global_seq);
              });
  return reset;
}

}  // namespace oms::actors
