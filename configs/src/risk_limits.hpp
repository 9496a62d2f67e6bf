// One level of risk limits (global, an account, a strategy, an instrument): reading it and
// checking that it only tightens the level above.
#pragma once

#include <array>
#include <string>

#include "oms/configs/accounts.hpp"  // kMaxLeverage
#include "oms/configs/risk.hpp"
#include "yaml_reader.hpp"

namespace oms::configs::detail {

inline constexpr std::size_t kRiskLimitCount = 11;  // the fields of RiskLimits

// A level as read, with where each limit was written.
struct LimitsSource {
  RiskLimits limits{};
  std::string path;  // "global", "accounts.binance_arb", "instrument 2": names the level
  std::array<YAML::Mark, kRiskLimitCount> marks{};
};

// The limit keys, for MapReader::allow_only of a level (instrument levels add their own).
bool is_limit_key(std::string_view key, bool instrument_level);

// Reads every limit key of m. Per-unit limits (max_order_qty, max_position) are allowed only
// at instrument level; elsewhere they are recorded as errors.
LimitsSource read_limits(const MapReader& m, std::string path, bool instrument_level,
                         Diagnostics& diag);

// Records each limit of child that is looser (greater) than the same limit of parent.
void check_within(const LimitsSource& child, const LimitsSource& parent, Diagnostics& diag);

}  // namespace oms::configs::detail
