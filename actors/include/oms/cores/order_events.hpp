// Between the bus (Event payloads) and OrderCore (OrderEvent): which payloads are an order's,
// and their OrderCore form.
#pragma once

#include <optional>
#include <string_view>
#include <type_traits>
#include <variant>

#include "oms/cores/order_core.hpp"
#include "oms/messages/events.hpp"

namespace oms::actors {

// The OrderCore input a bus payload stands for; nullopt for payloads that are not an order's.
[[nodiscard]] inline std::optional<OrderEvent> to_order_event(const EventPayload& p) {
  return std::visit(
      [](const auto& e) -> std::optional<OrderEvent> {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_constructible_v<OrderEvent, T> &&
                      requires { e.client_order_id; }) {
          return OrderEvent{e};
        } else {
          return std::nullopt;
        }
      },
      p);
}

// The client order id an order payload names; empty for other payloads.
[[nodiscard]] inline std::string_view client_order_id_of(const EventPayload& p) {
  return std::visit(
      [](const auto& e) -> std::string_view {
        if constexpr (requires { e.client_order_id; }) {
          return e.client_order_id.view();
        } else {
          return {};
        }
      },
      p);
}

}  // namespace oms::actors
