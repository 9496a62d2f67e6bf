// The account actor: the single writer of one account's stream (orders, trades, positions of
// one venue account). Every input that concerns the account -- a command from the gateway or
// a strategy, a venue report -- comes here; the actor decides the events with the pure cores,
// commits them through the EventLog (intent log, then the store), folds them into its state,
// and hands order events to the order's own actor (timers, venue requests).
//
// Start: the state is rebuilt from the latest snapshot plus the stream after it (complete event
// groups only, event_group.hpp); every order that is not terminal gets an order actor that
// reconciles it with the venue (order_actor.hpp). A snapshot is written every
// `snapshot_every` events and at least hourly.
//
// Idempotent inputs: a SubmitOrder naming a client order id the account already has is
// answered with that order's status and commits nothing; a venue report delivered twice
// derives the same event ids (the stores keep one) and the cores absorb it.
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
  std::size_t order_actors = 64;  // pre-spawned, so no spawn happens while an order enters
  std::uint64_t snapshot_every = 1000;
  std::chrono::minutes snapshot_interval{60};
  std::chrono::milliseconds ack_timeout{5000};
  // Clock of the shell (the cores never read one): wall clock live, virtual in replay.
  std::function<TimeNs()> clock;
  std::shared_ptr<spdlog::logger> logger;  // null: spdlog's default logger
};

// The answer to a command.
struct CommandAck {
  bool accepted = false;       // committed (or already known: duplicate)
  bool duplicate = false;      // nothing committed: the account already had it
  std::uint16_t code = 0;      // 2xxx risk, 3xxx order, 5xxx store when refused
  std::string message;         // why refused
  OrderStatus status = OrderStatus::kInitialized;  // the order's status after the command
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, CommandAck& x) {
  return f(caf::meta::type_name("oms::actors::CommandAck"), x.accepted, x.duplicate, x.code,
           x.message, x.status);
}

// A read-only copy of the account's state, for views, tests and the gateway.
struct OrderView {
  OrderCore core;
  std::uint64_t events = 0;
};
struct AccountView {
  AccountId account;
  std::string name;
  std::vector<OrderView> orders;  // by client order id order
  std::vector<Balance> balances;  // AccountCore: spot free/locked, futures wallet
  std::vector<FuturesPosition> futures;
  std::vector<PositionCore::Leg> positions;  // PositionCore: net position and PnL per instrument
  static constexpr std::size_t kRecentFills = 10'000;
  std::vector<FillReceived> recent_fills;  // the account's last kRecentFills fills, oldest first
  std::uint64_t events_committed = 0;  // since start
  std::uint64_t events_rebuilt = 0;    // folded at start from snapshot + stream
  std::uint64_t torn_groups_skipped = 0;
  std::uint64_t duplicate_inputs = 0;      // inputs already committed, dropped before the cores
  std::uint64_t account_refusals = 0;      // events AccountCore refused (logged)
  std::uint64_t last_stream_sequence = 0;  // the stream sequence the last snapshot covered
};
using AccountViewPtr = std::shared_ptr<const AccountView>;

// Spawns the actor; it rebuilds its state before it handles the first message.
[[nodiscard]] caf::actor spawn_account_actor(caf::actor_system& system, AccountActorConfig config);

}  // namespace oms::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::actors::AccountViewPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(oms::OrderCore)
