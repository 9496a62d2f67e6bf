#include "oms/actors/session_actor.hpp"

#include <spdlog/spdlog.h>

namespace oms::actors {

caf::actor spawn_session_actor(caf::actor_system& system,
                               std::shared_ptr<ExchangeSession> session) {
  return system.spawn([](caf::event_based_actor*, std::shared_ptr<ExchangeSession> s) -> caf::behavior {
    return {
        [s](const Event& e) {
          if (const auto* o = std::get_if<OrderSubmitted>(&e.payload)) s->place(*o);
        },
        [s](const Command& c) {
          if (const auto* x = std::get_if<CancelOrder>(&c.payload)) s->cancel(*x);
          else if (const auto* a = std::get_if<AmendOrder>(&c.payload)) s->amend(*a);
          else spdlog::error("session actor: not a venue request: {}", message_name(c));
        },
        [s](query_atom, const Event& e) {
          std::visit(
              [&](const auto& p) {
                if constexpr (requires { p.account; p.instrument; p.client_order_id; }) {
                  s->query(p.account, p.instrument, p.client_order_id);
                }
              },
              e.payload);
        },
    };
  }, std::move(session));
}

}  // namespace oms::actors
