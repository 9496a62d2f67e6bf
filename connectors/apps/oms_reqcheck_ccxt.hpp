// oms-reqcheck's ccxt side: a ccxt unified method call (Binance, spot and USD-M) mapped onto
// our request builders the way ccxt maps it. See oms_reqcheck.cpp for the comparison rules.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "oms/connectors/binance/requests.hpp"

namespace oms::reqcheck {

// Thrown by map_ccxt_call: a case we do not run (with why) or one we cannot map (a failure).
struct Skip {
  std::string reason;
};
struct Fail {
  std::string reason;
};

// method: ccxt's unified method name; input: its positional arguments; default_market: the
// market of calls that name no symbol or type (binance: spot, binanceusdm: USD-M).
[[nodiscard]] binance::RestRequest map_ccxt_call(const std::string& method,
                                                 const nlohmann::json& input,
                                                 Market default_market);

}  // namespace oms::reqcheck
