// The engine's operator side of risk: limits and kill switches set over the API, recorded as
// events (STRATEGIES stream: strategies.risk.limit, strategies.risk.kill_switch) and restored
// from them at start. RiskCore's limits are atomics; these run on the engine's shard, the one
// thread that changes them, so a change and its record never disagree.
#pragma once

#include <optional>
#include <vector>

#include "oms/actors/event_log.hpp"
#include "oms/cores/order_desk.hpp"
#include "oms/cores/risk_core.hpp"
#include "oms/messages/commands.hpp"

namespace oms::actors {

struct RiskCommandResult {
  CommandAck ack;
  std::optional<Event> recorded;  // the committed RiskLimitSet / KillSwitchTripped
};

// SetRiskLimit, TripKillSwitch, ResetKillSwitch: checked, applied, recorded (log may be null:
// applied only). On a store refusal the change is put back. Other commands: nullopt.
[[nodiscard]] std::optional<RiskCommandResult> run_risk_command(RiskCore& risk, EventLog* log,
                                                                const Command& command, TimeNs now);

// A kill switch set to k.state and recorded (the automatic trips); on a store refusal put back.
[[nodiscard]] RiskCommandResult record_kill_switch(RiskCore& risk, EventLog* log,
                                                   const Envelope& envelope,
                                                   const KillSwitchTripped& k, TimeNs now);

// Applies the recorded limits and kill switches of the STRATEGIES stream (start), the log's desk's
// only (SubjectMap::set_desk: another daemon's are its own). Throws
// std::runtime_error naming the stream and sequence of a record that cannot be read. Returns the
// scopes whose last record set their switch active again (an operator's reset).
struct ScopeRef {
  LimitScope scope = LimitScope::kGlobal;
  std::uint32_t id = 0;
  friend bool operator==(const ScopeRef&, const ScopeRef&) = default;
};
std::vector<ScopeRef> restore_risk(RiskCore& risk, EventLog& log, persistence::EventStore& store);

}  // namespace oms::actors
