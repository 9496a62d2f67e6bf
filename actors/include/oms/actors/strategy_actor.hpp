// The strategy actor: one per configured strategy, the single writer of its state in the
// STRATEGIES stream (StrategyStateChanged, StrategyParamSet). It rebuilds from that stream at
// start. Commands: StartStrategy, StopStrategy, SetStrategyParam -> CommandAck; a kill switch
// on the strategy arrives as the committed KillSwitchTripped event.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "oms/actors/event_log.hpp"
#include "oms/actors/types.hpp"
#include "oms/cores/strategy_core.hpp"

namespace oms::actors {

struct StrategyActorConfig {
  StrategyId id;
  std::string name;
  EventLog* log = nullptr;
  persistence::EventStore* store = nullptr;
  std::function<TimeNs()> clock;
};

using StrategyViewPtr = std::shared_ptr<const StrategyCore>;

}  // namespace oms::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::actors::StrategyViewPtr)

namespace oms::actors {

// The strategy actor's handle: a strategy command -> its answer; a committed KillSwitchTripped
// it follows; its state (a read-only copy).
using StrategyActor = caf::typed_actor<caf::replies_to<Command>::with<CommandAck>,
                                       caf::reacts_to<Event>,
                                       caf::replies_to<state_atom>::with<StrategyViewPtr>>;

[[nodiscard]] StrategyActor spawn_strategy_actor(caf::actor_system& system,
                                                 StrategyActorConfig config);

}  // namespace oms::actors
