// The smart-router tests' parent command: the plan's parent fields, its owner (account 1) and
// its instrument (101), as the engine receives it.
#pragma once

#include <cstdint>

#include "oms/cores/smart_router.hpp"

namespace oms::actors::test {

inline SubmitSor command_of(const SorParent& p, std::uint16_t strategy = 5) {
  SubmitSor c;
  c.account = AccountId(1);
  c.strategy = StrategyId(strategy);
  c.instrument = InstrumentId(101);
  c.side = p.side;
  c.quantity = p.quantity;
  c.limit_price = p.limit_price;
  c.urgency_bps = p.urgency_bps;
  return c;
}

}  // namespace oms::actors::test
