#include "oms/actors/strategy_actor.hpp"

#include <spdlog/spdlog.h>

#include "oms/messages/subjects.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

namespace {

struct StrategyState {
  StrategyActorConfig cfg;
  std::unique_ptr<StrategyCore> core;
  static inline const char* name = "strategy";
};
using Self = StrategyActor::stateful_pointer<StrategyState>;

CommandAck commit(Self self, const Envelope& cause, std::vector<EventPayload> events) {
  auto& st = self->state;
  if (events.empty()) return CommandAck{true, true, 0, {}, {}};
  auto c = st.cfg.log->commit(cause, events, st.cfg.clock());
  if (!c) {
    return CommandAck{false, false, static_cast<std::uint16_t>(c.error().store.code),
                      c.error().store.message, {}};
  }
  for (const Event& e : *c) st.core->apply(e.payload);
  return CommandAck{true, false, 0, {}, {}};
}

void rebuild(Self self) {
  auto& st = self->state;
  const Directory& directory = st.cfg.log->subjects().directory();
  const std::string filter = "strategies." + escape_token(st.cfg.name) + ".>";
  read_events(*st.cfg.store,
              persistence::ReadRequest{std::string(persistence::StreamLayout::kStrategies), 1, 0,
                                       filter},
              directory, [&](const Event& e) {
                st.core->apply(e.payload);
                st.cfg.log->observe_global_seq(e.envelope.global_seq);
              });
}

}  // namespace

StrategyActor spawn_strategy_actor(caf::actor_system& system, StrategyActorConfig config) {
  return system.spawn([](Self self, StrategyActorConfig cfg) -> StrategyActor::behavior_type {
    auto& st = self->state;
    st.cfg = std::move(cfg);
    st.core = std::make_unique<StrategyCore>(st.cfg.id);
    rebuild(self);
    return {
        [self](const Command& c) -> CommandAck {
          auto d = self->state.core->decide(c);
          if (!d) {
            return CommandAck{false, false, static_cast<std::uint16_t>(d.error().code),
                              d.error().message, {}};
          }
          return commit(self, c.envelope, std::move(d).value());
        },
        [self](const Event& e) {
          const auto* k = std::get_if<KillSwitchTripped>(&e.payload);
          if (k == nullptr) return;
          auto d = self->state.core->decide(*k);
          if (!d) {
            spdlog::warn("strategy {}: kill switch not applied: {}", self->state.cfg.name,
                         d.error().message);
            return;
          }
          const auto ack = commit(self, e.envelope, std::move(d).value());
          if (!ack.accepted) {
            spdlog::error("strategy {}: state change not committed: {}", self->state.cfg.name,
                          ack.message);
          }
        },
        [self](state_atom) -> StrategyViewPtr {
          return std::make_shared<const StrategyCore>(*self->state.core);
        },
    };
  }, std::move(config));
}

}  // namespace oms::actors
