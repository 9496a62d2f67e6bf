// The risk actor: the CAF path's owner of a RiskCore (orders entered by the gateway and by
// strategies outside the pinned pipeline). RiskCore's state is single-threaded by design; this
// actor is that one thread for its instance. Limits and kill switches are the core's atomics:
// operators change them through limits() from any thread, without a message.
#pragma once

#include <memory>

#include <caf/all.hpp>

#include "oms/actors/risk_core.hpp"
#include "oms/actors/types.hpp"

namespace oms::actors {

// Messages:
//   (check_atom, OrderRequest, TimeNs now) -> RiskDecision   (takes a rate token on a pass)
//   (RiskFill)                                                 fills move positions and PnL
//   (closed_atom, AccountId, StrategyId, InstrumentId)         an open order ended
[[nodiscard]] caf::actor spawn_risk_actor(caf::actor_system& system,
                                          std::shared_ptr<RiskCore> core);

}  // namespace oms::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::actors::OrderRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::actors::RiskDecision)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::actors::RiskFill)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::AccountId)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::StrategyId)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::InstrumentId)
