// The risk actor: the CAF path's owner of a RiskCore (orders entered by the gateway and by
// strategies outside the pinned pipeline). RiskCore's state is single-threaded by design; this
// actor is that one thread for its instance. Limits and kill switches are the core's atomics:
// operators change limits through limits() from any thread, without a message; kill switches
// go through here so that every trip and reset is an event (STRATEGIES stream,
// strategies.risk.kill_switch), and are restored from those events at start.
#pragma once

#include <functional>
#include <memory>

#include <caf/all.hpp>

#include "oms/actors/account_actor.hpp"
#include "oms/actors/event_log.hpp"
#include "oms/actors/risk_core.hpp"
#include "oms/actors/types.hpp"

namespace oms::actors {

struct RiskActorConfig {
  std::shared_ptr<RiskCore> core;
  EventLog* log = nullptr;                   // null: kill switches are not journaled (benchmarks)
  persistence::EventStore* store = nullptr;  // null: nothing to restore
  std::function<TimeNs()> clock;
};

// Messages:
//   (check_atom, OrderRequest, TimeNs now) -> RiskDecision   (takes a rate token on a pass)
//   (RiskFill)                                                 fills move positions and PnL
//   (mark_atom, InstrumentId, Decimal)                         the instrument's mark (mid);
//                                                  orders without a reference are banded on it
//   (equity_atom, AccountId, Decimal)                          the account's equity (leverage)
//   (closed_atom, AccountId, StrategyId, InstrumentId)         an open order ended
//   (Command: TripKillSwitch / ResetKillSwitch) -> CommandAck; the committed KillSwitchTripped
//                                                  event is also sent back to the sender
[[nodiscard]] caf::actor spawn_risk_actor(caf::actor_system& system, RiskActorConfig config);

}  // namespace oms::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::actors::OrderRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::actors::RiskDecision)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::actors::RiskFill)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::AccountId)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::StrategyId)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::InstrumentId)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::Decimal)
