// The session actor: one per exchange session (venue, market, account). It owns the
// ExchangeSession and is the only caller of its request methods, so a connector needs no locks
// of its own and requests leave in the order the actors sent them. Reports go from the
// session's sink straight to the supervisor (they must not queue behind requests).
//
// Messages:
//   (Event)               OrderSubmitted -> place
//   (Command)             CancelOrder -> cancel, AmendOrder -> amend
//   (query_atom, Event)   the order the event names -> status query
#pragma once

#include <memory>

#include <caf/all.hpp>

#include "oms/actors/exchange_session.hpp"
#include "oms/actors/types.hpp"

namespace oms::actors {

[[nodiscard]] caf::actor spawn_session_actor(caf::actor_system& system,
                                             std::shared_ptr<ExchangeSession> session);

}  // namespace oms::actors
