// The account actor: the CAF shell of one account's OrderDesk (order_desk.hpp) and the single
// writer of its stream (orders, trades, positions of one venue account). Every input that
// concerns the account -- a command from the gateway or a strategy, a venue report, an order's
// ack timer -- comes here; the desk decides, the actor commits the decided groups through the
// EventLog (intent log, then the store), hands them back to the desk to fold, and carries out
// what follows: venue requests to the session actor, ack timers (delayed messages that come
// back as timer inputs), notes to the risk actor, answers to waiting callers.
//
// Start: the desk is rebuilt from the latest snapshot plus the stream after it (complete event
// groups only, event_group.hpp); then it reconciles its live orders with the venue, holding new
// commands until the answers are in (bounded). A snapshot is written every `snapshot_every`
// events and at least hourly.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/logger.h>

#include "oms/actors/account_core.hpp"
#include "oms/actors/event_log.hpp"
#include "oms/actors/exchange_session.hpp"
#include "oms/actors/order_core.hpp"
#include "oms/actors/order_desk.hpp"
#include "oms/actors/position_core.hpp"
#include "oms/actors/risk_core.hpp"
#include "oms/actors/types.hpp"
#include "oms/persistence/snapshot.hpp"

namespace oms::actors {

struct AccountActorConfig {
  AccountId account;
  std::string name;    // the configured name (Directory)
  std::string stream;  // ACCOUNT_{exchange}_{name}
  const InstrumentTable* instruments = nullptr;  // shared, outlives the actor
  EventLog* log = nullptr;
  persistence::EventStore* store = nullptr;
  persistence::SnapshotStore* snapshots = nullptr;  // null: no snapshots
  caf::actor session;  // the session actor (session_actor.hpp)
  caf::actor risk;  // the risk actor (risk_actor.hpp)
  std::uint64_t snapshot_every = 1000;
  std::chrono::minutes snapshot_interval{60};
  std::chrono::milliseconds ack_timeout{5000};
  // Clock of the shell (the cores never read one): wall clock live, virtual in replay.
  std::function<TimeNs()> clock;
  std::shared_ptr<spdlog::logger> logger;  // null: spdlog's default logger
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, CommandAck& x) {
  return f(caf::meta::type_name("oms::actors::CommandAck"), x.accepted, x.duplicate, x.code,
           x.message, x.status);
}

using AccountViewPtr = std::shared_ptr<const AccountView>;

// Spawns the actor; it rebuilds its state before it handles the first message.
[[nodiscard]] caf::actor spawn_account_actor(caf::actor_system& system, AccountActorConfig config);

}  // namespace oms::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::actors::AccountViewPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::OrderCore)
