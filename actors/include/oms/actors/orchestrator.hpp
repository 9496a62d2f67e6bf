// The orchestrator: a CAF actor around the engine (off the order path) that runs the
// strategies' schedules (strategies.yaml `schedule`, UTC windows). When a strategy's window
// opens it sends StartStrategy, when it closes StopStrategy ("outside its schedule"); these are
// commands like an operator's -- recorded, replayed, answered by the engine's StrategyCore (a
// halted strategy stays halted). Between two edges an operator's start or stop stands.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "oms/actors/engine.hpp"

namespace oms::actors {

struct ScheduledStrategy {
  StrategyId id;
  std::string name;
  std::function<bool(TimeNs)> inside;  // in one of its windows at this UTC time
};

// What the schedules ask at `now`: for each strategy whose inside-ness differs from `last`
// (-1: not known yet, 0 outside, 1 inside), the command -- sent to the engine, its refusal
// logged -- and `last` updated. Returns how many commands were sent.
std::size_t run_schedules(Engine& engine, const std::vector<ScheduledStrategy>& schedules,
                          std::vector<int>& last, TimeNs now, EventId& next_command_id);

// The actor: run_schedules every `tick` (detached: the engine's answer is waited for).
[[nodiscard]] caf::actor spawn_orchestrator(caf::actor_system& system, Engine& engine,
                                            std::vector<ScheduledStrategy> schedules,
                                            std::vector<int> last, std::function<TimeNs()> clock,
                                            std::chrono::milliseconds tick);

}  // namespace oms::actors
