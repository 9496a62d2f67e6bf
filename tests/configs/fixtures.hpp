// Shared by the configs tests: the error text of a failed load, and a minimal consistent
// set of the four files that each test breaks in one place.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "oms/configs/config.hpp"

namespace oms::configs::test {

// The what() of the ConfigError that fn throws, or "no error" (which fails the comparison).
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    (void)fn();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// text with its only occurrence of `from` replaced by `to`.
inline std::string replace_once(std::string text, std::string_view from, std::string_view to) {
  const auto pos = text.find(from);
  REQUIRE_MESSAGE(pos != std::string::npos, "fixture has no '" << from << "'");
  REQUIRE_MESSAGE(text.find(from, pos + 1) == std::string::npos,
                  "fixture has two '" << from << "'");
  return text.replace(pos, from.size(), to);
}

// Binance spot + usdm, OKX spot (usdm listed but disabled).
inline constexpr std::string_view kExchanges = R"(exchanges:
  binance:
    enabled: true
    testnet: false
    markets:
      spot:
        enabled: true
        rest_url: https://api.binance.com
        ws_url: wss://stream.binance.com:9443
        rate_limits: {weight_per_minute: 6000, orders_per_10s: 100}
        fees: {maker_bps: 10, taker_bps: 10}
      usdm:
        enabled: true
        rest_url: https://fapi.binance.com
        ws_url: wss://fstream.binance.com
        rate_limits: {weight_per_minute: 2400, orders_per_10s: 300}
        fees: {maker_bps: 2, taker_bps: 5}
  okx:
    enabled: true
    testnet: false
    markets:
      spot:
        enabled: true
        rest_url: https://www.okx.com
        ws_url: wss://ws.okx.com:8443/ws/v5/public
        rate_limits: {weight_per_minute: 1200, orders_per_10s: 300}
        fees: {maker_bps: 8, taker_bps: 10}
      usdm:
        enabled: false
        rest_url: https://www.okx.com
        ws_url: wss://ws.okx.com:8443/ws/v5/public
        rate_limits: {weight_per_minute: 1200, orders_per_10s: 300}
        fees: {maker_bps: 2, taker_bps: 5}
)";

inline constexpr std::string_view kAccounts = R"(accounts:
  binance:
    main:
      type: main
      api_key_vault_path: binance_main
      spot_enabled: true
      futures_enabled: true
    arb:
      type: sub
      parent: main
      api_key_vault_path: binance_arb
      spot_enabled: true
      futures_enabled: false
      strategy: arb
  okx:
    okx_main:
      type: main
      api_key_vault_path: okx_main
      spot_enabled: true
      futures_enabled: false
account_routing:
  default: main
)";

inline constexpr std::string_view kStrategies = R"(strategies:
  arb:
    type: arbitrage
    enabled: true
    pairs:
      - symbol: BTC/USDT
        exchanges: [binance, okx]
        min_profit_rate: 0.001
        max_position: 10000
    execution: {mode: aggressive, timeout: 500ms, retry: 3}
    accounts: {binance: arb, okx: okx_main}
)";

inline constexpr std::string_view kRisk = R"(global:
  max_order_notional: 100000
kill_switch:
  enabled: true
  max_daily_loss: 5000
  max_consecutive_losses: 10
  cancel_open_orders: true
  flatten_positions: false
)";

inline ConfigTexts fixture_texts() {
  return ConfigTexts{std::string(kExchanges), std::string(kAccounts), std::string(kStrategies),
                     std::string(kRisk)};
}

}  // namespace oms::configs::test
