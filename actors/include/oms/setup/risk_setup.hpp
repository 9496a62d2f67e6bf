// risk.yaml -> the RiskLimitTable: global, per account, per strategy and per instrument.
// An instrument limit that names an account applies to the instrument for every account (the
// table keeps one limit set per instrument): the tightest value wins, which fails closed.
// Limits an operator set since (RiskLimitSet events) are applied on top by the engine at start.
#pragma once

#include <string>
#include <vector>

#include "oms/cores/risk_limits.hpp"
#include "oms/configs/risk.hpp"
#include "oms/messages/codec.hpp"

namespace oms::setup {

// Applies the limits; returns one line per limit it could not place (an instrument the
// venues do not list, an account or strategy the directory lacks), for the log.
std::vector<std::string> apply_risk_config(const configs::RiskConfig& risk,
                                           const Directory& directory,
                                           actors::RiskLimitTable& table);

}  // namespace oms::setup
