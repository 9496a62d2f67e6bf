#include "oms/actors/orchestrator.hpp"

#include <spdlog/spdlog.h>

#include "oms/actors/types.hpp"

namespace oms::actors {

std::size_t run_schedules(Engine& engine, const std::vector<ScheduledStrategy>& schedules,
                          std::vector<int>& last, TimeNs now, EventId& next_command_id) {
  std::size_t sent = 0;
  last.resize(schedules.size(), -1);
  for (std::size_t i = 0; i < schedules.size(); ++i) {
    const ScheduledStrategy& s = schedules[i];
    const int inside = s.inside(now) ? 1 : 0;
    if (inside == last[i]) continue;
    last[i] = inside;
    // Command ids from the clock, strictly increasing: distinct from every earlier one.
    next_command_id = std::max<EventId>(next_command_id + 1, static_cast<EventId>(now));
    const Envelope env{next_command_id, 0, now, now, 0, next_command_id};
    Command cmd{env, StartStrategy{s.id}};
    if (inside == 0) {
      StopStrategy stop{s.id, {}};
      (void)stop.reason.assign("outside its schedule");
      cmd.payload = stop;
    }
    const auto ack = engine.submit(cmd, std::chrono::seconds(5));
    ++sent;
    if (!ack) {
      spdlog::error("orchestrator: {} {}: {}", inside ? "start" : "stop", s.name, ack.error());
    } else if (!ack->accepted) {
      spdlog::warn("orchestrator: {} {} refused: {}", inside ? "start" : "stop", s.name, ack->message);
    } else if (!ack->duplicate) {
      spdlog::info("orchestrator: {} {} ({} its schedule)", inside ? "started" : "stopped", s.name,
                   inside ? "inside" : "outside");
    }
  }
  return sent;
}

namespace {

struct OrchestratorState {
  Engine* engine = nullptr;
  std::vector<ScheduledStrategy> schedules;
  std::vector<int> last;
  std::function<TimeNs()> clock;
  std::chrono::milliseconds tick{1000};
  EventId next_id = 0;
  static inline const char* name = "orchestrator";
};

}  // namespace

caf::actor spawn_orchestrator(caf::actor_system& system, Engine& engine,
                              std::vector<ScheduledStrategy> schedules, std::vector<int> last,
                              std::function<TimeNs()> clock, std::chrono::milliseconds tick) {
  return system.spawn<caf::detached>(
      [](caf::stateful_actor<OrchestratorState>* self, Engine* e, std::vector<ScheduledStrategy> s,
         std::vector<int> l, std::function<TimeNs()> c, std::chrono::milliseconds t) -> caf::behavior {
        auto& st = self->state;
        st.engine = e;
        st.schedules = std::move(s);
        st.last = std::move(l);
        st.clock = std::move(c);
        st.tick = t;
        self->delayed_send(self, st.tick, tick_atom::value);
        return {
            [self](tick_atom) {
              auto& state = self->state;
              (void)run_schedules(*state.engine, state.schedules, state.last, state.clock(),
                                  state.next_id);
              self->delayed_send(self, state.tick, tick_atom::value);
            },
        };
      },
      &engine, std::move(schedules), std::move(last), std::move(clock), tick);
}

}  // namespace oms::actors
