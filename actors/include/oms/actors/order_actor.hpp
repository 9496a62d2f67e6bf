// The order actor: one live order's behaviour towards the venue, pre-spawned in a pool per
// account so no actor is spawned while an order enters. The account actor commits and folds
// every event (it is the stream's single writer); the order actor receives the committed
// events of its order and acts on them:
//   - bind (a new order the account has sent): start the ack timer;
//   - bind (recovering after a restart): ask the venue for the order's status, or adopt it
//     while the account runs the queries itself (in submission order);
//   - no answer within the ack timeout (submit, cancel or amend): ask the venue for the status
//     -- an order whose ack was lost is never assumed rejected;
//   - cancel / amend commands: forward to the venue;
//   - terminal: tell the account (closed) and go back to the pool.
#pragma once

#include <chrono>
#include <memory>

#include <caf/all.hpp>

#include "oms/actors/exchange_session.hpp"
#include "oms/actors/order_core.hpp"
#include "oms/actors/types.hpp"

namespace oms::actors {

struct OrderActorConfig {
  caf::actor session;  // the session actor (session_actor.hpp)
  caf::actor account;  // the owner: receives (closed_atom, client order id)
  std::chrono::milliseconds ack_timeout{5000};
};

// What the account asks of a bound order actor.
enum class OrderTask : std::uint8_t {
  kReconcile,  // rebuilt after a restart: ask the venue where it stands
  kAdopt,      // rebuilt after a restart, the account asks the venue itself: just take it on
  kSent,       // a new order the account has just sent (so orders leave in the account's order)
};

[[nodiscard]] caf::actor spawn_order_actor(caf::actor_system& system, OrderActorConfig config);

}  // namespace oms::actors
