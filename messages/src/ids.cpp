#include "oms/messages/ids.hpp"

namespace oms {

std::string_view to_string(ExchangeId e) noexcept {
  switch (e) {
    case ExchangeId::kBinance: return "binance";
    case ExchangeId::kBybit: return "bybit";
    case ExchangeId::kOkx: return "okx";
    case ExchangeId::kUpbit: return "upbit";
  }
  return "?";
}

std::string_view to_string(Market m) noexcept {
  switch (m) {
    case Market::kSpot: return "spot";
    case Market::kUsdm: return "usdm";
    case Market::kCoinm: return "coinm";
  }
  return "?";
}

std::optional<ExchangeId> parse_exchange(std::string_view s) noexcept {
  for (std::uint8_t i = 0; i < kExchangeCount; ++i) {
    const auto e = static_cast<ExchangeId>(i);
    if (to_string(e) == s) return e;
  }
  return std::nullopt;
}

std::optional<Market> parse_market(std::string_view s) noexcept {
  for (std::uint8_t i = 0; i < kMarketCount; ++i) {
    const auto m = static_cast<Market>(i);
    if (to_string(m) == s) return m;
  }
  return std::nullopt;
}

}  // namespace oms
