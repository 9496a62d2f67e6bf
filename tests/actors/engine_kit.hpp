// What the engine tests that drive a running shard share: a command's answer, an order's
// status from the account's view, and a mark that risk has taken.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>

#include "oms/actors/engine.hpp"
#include "testkit/wait.hpp"

namespace oms::actors::test {

// The command with the next id (`next` counts them), answered within 5 s.
inline CommandAck run_command(Engine& engine, std::uint64_t& next, CommandPayload p) {
  ++next;
  auto ack = engine.submit(Command{Envelope{next, 0, 1, 1, 0, next}, std::move(p)}, std::chrono::seconds(5));
  REQUIRE(ack.ok());
  return *ack;
}

inline std::optional<OrderStatus> order_status(Engine& engine, AccountId account, const std::string& id) {
  auto v = engine.view(account, std::chrono::seconds(5));
  if (!v.ok()) return std::nullopt;
  for (const auto& o : (*v)->orders) {
    if (o.core.client_order_id().str() == id) return o.core.status();
  }
  return std::nullopt;
}

inline bool order_becomes(Engine& engine, AccountId account, const std::string& id, OrderStatus want) {
  return testkit::eventually([&] { return order_status(engine, account, id) == want; });
}

// The mark given to the engine, once risk has it.
inline void set_mark(Engine& engine, const RiskCore& risk, InstrumentId instrument, Decimal price) {
  engine.mark(instrument, price);
  REQUIRE(testkit::eventually([&] { return risk.mark(instrument) == price; }));
  // Risk has the mark from the middle of the step that gave it; what follows in that step (fees
  // held for it, the figures it moves) ends before a question this thread asks after it (one
  // ring: answered in order).
  REQUIRE(engine.marks(std::chrono::seconds(5)).ok());
}

}  // namespace oms::actors::test
