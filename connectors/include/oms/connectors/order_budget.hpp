// An account's order budget as a venue connector keeps it (Bybit, OKX, Upbit: orders_per_second
// as a cell-rate bucket, and a hold the venue's limit headers asked for): for health.
#pragma once

#include <cstdint>

namespace oms {

struct OrderBudgetUse {
  std::uint32_t used = 0;   // orders admitted within the last second's worth
  std::uint32_t limit = 0;  // orders per second
  std::int64_t venue_hold_until_ms = 0;  // the venue said the budget is spent until then (0: no hold)
};

}  // namespace oms
