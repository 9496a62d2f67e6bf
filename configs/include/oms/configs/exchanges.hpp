// exchanges.yaml: the venues we connect to, their product lines (markets), endpoints,
// rate limits and fees.
//
//   exchanges:
//     binance:
//       enabled: true
//       testnet: false
//       recv_window_ms: 5000          # optional; Binance and Bybit sign it into requests
//       ip_ban_s: 600                 # optional; how long the venue's IP ban (Binance 418,
//                                     # Bybit 403, Upbit 418) holds every request when its answer
//                                     # names no end (defaults: Binance 3600, Bybit 600, Upbit 300)
//       markets:
//         spot:
//           enabled: true
//           rest_url: https://api.binance.com
//           ws_url: wss://stream.binance.com:9443
//           rate_limits: {weight_per_minute: 6000, orders_per_10s: 100, orders_per_day: 200000}
//           fees: {maker_bps: 10, taker_bps: 10}
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "oms/messages/decimal.hpp"
#include "oms/messages/ids.hpp"

namespace oms::configs {

// What a venue lets one API key do; our rate limiter stays under these.
struct RateLimits {
  int weight_per_minute = 0;            // request weight (Binance) or requests (others) per minute
  int orders_per_10s = 0;               // new orders per 10 seconds
  std::optional<int> orders_per_day{};  // absent: the venue has no daily order cap
};

// Fees in basis points of notional; maker may be negative (a rebate).
struct Fees {
  Decimal maker_bps{};
  Decimal taker_bps{};
};

struct MarketConfig {
  Market market = Market::kSpot;
  bool enabled = false;
  std::string rest_url;  // https://...
  std::string ws_url;    // wss://...
  RateLimits rate_limits{};
  Fees fees{};
};

struct ExchangeConfig {
  ExchangeId id = ExchangeId::kBinance;
  bool enabled = false;
  bool testnet = false;  // the URLs point at the venue's testnet (no real funds)
  std::optional<std::chrono::milliseconds> recv_window{};
  std::optional<std::chrono::seconds> ip_ban{};  // ip_ban_s; none: the connector's default
  std::array<std::optional<MarketConfig>, kMarketCount> markets{};

  // The market is listed and enabled (the exchange itself may still be disabled).
  [[nodiscard]] bool market_enabled(Market m) const noexcept;
};

struct ExchangesConfig {
  std::array<std::optional<ExchangeConfig>, kExchangeCount> by_id{};

  // The venue as configured, or nullptr when exchanges.yaml does not list it.
  [[nodiscard]] const ExchangeConfig* find(ExchangeId e) const noexcept;
  // True when the venue is listed and enabled and the market is listed and enabled.
  [[nodiscard]] bool trades(ExchangeId e, Market m) const noexcept;
};

// Parses and validates exchanges.yaml text; `filename` prefixes every error.
// Throws ConfigError with all problems found.
[[nodiscard]] ExchangesConfig load_exchanges_from_string(std::string_view text,
                                                         std::string_view filename);

}  // namespace oms::configs
