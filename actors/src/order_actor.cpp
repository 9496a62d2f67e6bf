#include "oms/actors/order_actor.hpp"

#include <cstdint>
#include <string>

#include "oms/actors/order_events.hpp"

namespace oms::actors {

namespace {

struct OrderActorState {
  OrderActorConfig config;
  OrderCore core;              // folded from the committed events of the bound order
  bool bound = false;
  std::uint64_t timer_generation = 0;  // a timer fires only if nothing moved since it was set
  static inline const char* name = "order";
};

using OrderActor = caf::stateful_actor<OrderActorState>;

bool awaits_venue(OrderStatus s) noexcept {
  return s == OrderStatus::kSubmitted || s == OrderStatus::kPendingCancel ||
         s == OrderStatus::kPendingAmend || s == OrderStatus::kUnknown;
}

void arm_timer(OrderActor* self) {
  const auto gen = ++self->state.timer_generation;
  self->delayed_send(self, self->state.config.ack_timeout, timeout_atom::value, gen);
}

void query(OrderActor* self) {
  const auto& c = self->state.core;
  OrderStatusReconciled which{};
  which.account = c.account();
  which.instrument = c.instrument();
  which.client_order_id = c.client_order_id();
  self->send(self->state.config.session, query_atom::value, Event{Envelope{}, which});
  arm_timer(self);
}

void release(OrderActor* self) {
  const std::string id = self->state.core.client_order_id().str();
  self->state = OrderActorState{std::move(self->state.config), OrderCore{}, false, 0};
  self->send(self->state.config.account, closed_atom::value, id, caf::actor_cast<caf::actor>(self));
}

}  // namespace

caf::actor spawn_order_actor(caf::actor_system& system, OrderActorConfig config) {
  return system.spawn([](OrderActor* self, OrderActorConfig cfg) -> caf::behavior {
    self->state.config = std::move(cfg);
    return {
        // A new or rebuilt order. The core is the account's copy, with the order's events.
        [self](bind_atom, const OrderCore& core, std::uint8_t task) {
          self->state.core = core;
          self->state.bound = true;
          if (static_cast<OrderTask>(task) == OrderTask::kSent) {
            (void)self->state.core.apply(OrderSendRequested{core.client_order_id()});
            arm_timer(self);
          } else if (static_cast<OrderTask>(task) == OrderTask::kReconcile) {
            query(self);
          } else if (awaits_venue(self->state.core.status())) {
            arm_timer(self);  // the account's query is out; ask again if it goes unanswered
          }
        },
        // A committed event of this order (the account has folded it already).
        [self](const Event& e) {
          if (!self->state.bound) return;
          if (const auto oe = to_order_event(e.payload)) (void)self->state.core.apply(*oe);
          ++self->state.timer_generation;  // the venue answered: the pending timer is moot
          if (is_terminal(self->state.core.status())) {
            release(self);
          } else if (awaits_venue(self->state.core.status())) {
            arm_timer(self);
          }
        },
        [self](const Command& c) {
          if (!self->state.bound) return;
          if (const auto* cancel = std::get_if<CancelOrder>(&c.payload)) {
            if (self->state.core.apply(OrderCancelRequested{cancel->client_order_id}).ok()) {
              self->send(self->state.config.session, c);
              arm_timer(self);
            }
          } else if (const auto* amend = std::get_if<AmendOrder>(&c.payload)) {
            if (self->state.core.apply(OrderAmendRequested{amend->client_order_id}).ok()) {
              self->send(self->state.config.session, c);
              arm_timer(self);
            }
          }
        },
        // No answer within the ack timeout: never assume; ask the venue.
        [self](timeout_atom, std::uint64_t generation) {
          if (!self->state.bound || generation != self->state.timer_generation) return;
          if (!awaits_venue(self->state.core.status())) return;
          (void)self->state.core.apply(OrderAckTimedOut{self->state.core.client_order_id()});
          query(self);
        },
    };
  }, std::move(config));
}

}  // namespace oms::actors
