// Wallet names and transfer ids per venue: see venue_wallets.hpp.
#include "oms/transfers/venue_wallets.hpp"

#include <array>

namespace oms::transfers {

std::optional<std::string_view> wallet_name(ExchangeId exchange, Market m) noexcept {
  if (m != Market::kSpot && m != Market::kUsdm) return std::nullopt;
  switch (exchange) {
    case ExchangeId::kBinance: return m == Market::kSpot ? "SPOT" : "USDT_FUTURE";
    case ExchangeId::kBybit: return "UNIFIED";
    case ExchangeId::kOkx: return "18";
    default: return std::nullopt;
  }
}

bool one_trading_wallet(ExchangeId exchange) noexcept {
  return exchange == ExchangeId::kBybit || exchange == ExchangeId::kOkx;
}

std::string bybit_transfer_uuid(std::uint64_t transfer_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 16> h{};
  for (int i = 15; i >= 0; --i) {
    h[static_cast<std::size_t>(i)] = kHex[transfer_id & 0xFU];
    transfer_id >>= 4U;
  }
  const auto part = [&](std::size_t at, std::size_t n) { return std::string(h.data() + at, n); };
  return "6f6d7300-" + part(0, 4) + "-4" + part(4, 3) + "-8" + part(7, 3) + "-" + part(10, 6) + "000000";
}

}  // namespace oms::transfers
