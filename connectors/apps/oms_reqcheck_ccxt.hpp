// oms-reqcheck's ccxt side: a ccxt unified method call mapped onto our request builders the
// way ccxt maps it -- Binance (spot and USD-M), Bybit v5 (spot and linear), OKX v5 (spot, swaps). See
// oms_reqcheck.cpp for the comparison rules.
#pragma once

#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "oms/connectors/binance/requests.hpp"
#include "oms/connectors/bybit/requests.hpp"
#include "oms/connectors/okx/requests.hpp"
#include "oms/connectors/upbit/requests.hpp"

namespace oms::reqcheck {

// Thrown by map_ccxt_call: a case we do not run (with why) or one we cannot map (a failure).
struct Skip {
  std::string reason;
};
struct Fail {
  std::string reason;
};

// ---- ccxt inputs ----------------------------------------------------------------------------
// A JSON number or numeric string -> Decimal, truncated to `decimals` when given (ccxt's
// amountToPrecision / priceToPrecision); otherwise it must be exact at 1e-9.
[[nodiscard]] Decimal number(const nlohmann::json& v, const std::string& field,
                             std::optional<int> decimals = std::nullopt);
[[nodiscard]] std::string str(const nlohmann::json& v);  // a string or an integer, as text
[[nodiscard]] std::uint64_t id_number(const nlohmann::json& v, const std::string& field);
[[nodiscard]] Side side_of(const nlohmann::json& v);  // "buy" / "sell"
// The params keys a mapping understood; anything else is a FAIL (never silently ignored).
void require_known(const nlohmann::json& params, std::initializer_list<const char*> known);

// The ccxt call: positional arguments; the trailing object (if any) is `params`.
struct Call {
  const nlohmann::json& args;
  [[nodiscard]] const nlohmann::json& arg(std::size_t i) const;
  [[nodiscard]] bool has(std::size_t i) const;
  [[nodiscard]] nlohmann::json params(std::size_t i) const;
};

// method: ccxt's unified method name; input: its positional arguments; default_market: the
// market of calls that name no symbol or type (binance: spot, binanceusdm: USD-M).
[[nodiscard]] binance::RestRequest map_ccxt_call(const std::string& method,
                                                 const nlohmann::json& input,
                                                 Market default_market);

// The same for ccxt's bybit class (unified account). options: the case's ccxt options
// (defaultType ...). Inverse contracts and options are skipped as products we do not trade.
[[nodiscard]] bybit::RestRequest map_bybit_call(const std::string& method,
                                                const nlohmann::json& input,
                                                const nlohmann::json& options);

// The same for ccxt's okx class (spot and USDT swaps; swap amounts are contracts there).
// Coin-margined swaps, deliveries, options and what we do not build (withdrawals, borrowing,
// conversion, trading statistics, trailing stops) are skipped with the reason.
[[nodiscard]] okx::RestRequest map_okx_call(const std::string& method, const nlohmann::json& input,
                                            const nlohmann::json& options);

// The same for ccxt's upbit class (spot; a market buy spends a quote amount). Withdrawals,
// deposits and addresses are skipped with the reason.
[[nodiscard]] upbit::RestRequest map_upbit_call(const std::string& method, const nlohmann::json& input,
                                                const nlohmann::json& options);

}  // namespace oms::reqcheck
