#include "oms/actors/session_actor.hpp"

#include <spdlog/spdlog.h>

namespace oms::actors {

caf::actor spawn_session_actor(caf::actor_system& system,
                               std::shared_ptr<ExchangeSession> session) {
  return system.spawn([session = std::move(session)](caf::event_based_actor*) -> caf::behavior {
    return {
        [session](const Event& e) {
          if (const auto* o = std::get_if<OrderSubmitted>(&e.payload)) session->place(*o);
        },
        [session](const Command& c) {
          if (const auto* x = std::get_if<CancelOrder>(&c.payload)) session->cancel(*x);
          else if (const auto* a = std::get_if<AmendOrder>(&c.payload)) session->amend(*a);
          else spdlog::error("session actor: not a venue request: {}", message_name(c));
        },
        [session](query_atom, const Event& e) {
          std::visit(
              [&](const auto& p) {
                if constexpr (requires { p.account; p.instrument; p.client_order_id; }) {
                  session->query(p.account, p.instrument, p.client_order_id);
                }
              },
              e.payload);
        },
    };
  });
}

}  // namespace oms::actors
