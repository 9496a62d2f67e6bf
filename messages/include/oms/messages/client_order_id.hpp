// Client order ids: deterministic from (desk, account, strategy, sequence), so a restarted
// daemon finds its orders on the venue by the id it would have sent.
//
// Form: "C1" + desk(2) + account(4) + strategy(4) + sequence(13), base-36 digits [0-9a-z],
// fixed width, 25 characters. Alphanumeric only, so it is legal everywhere we trade:
// Binance ^[.A-Z:/a-z0-9_-]{1,36}$, Bybit orderLinkId (36), OKX clOrdId (alphanumeric, 32),
// Upbit identifier. The sequence is the daemon's persisted per-account counter.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "oms/messages/fixed_string.hpp"
#include "oms/messages/ids.hpp"

namespace oms {

inline constexpr std::size_t kClientOrderIdLen = 25;
inline constexpr std::size_t kMaxBinanceClientIdLen = 36;
inline constexpr std::size_t kMaxOkxClientIdLen = 32;
inline constexpr std::uint16_t kMaxDesk = 36 * 36 - 1;  // two base-36 digits

struct ClientOrderId {
  std::uint16_t desk = 0;  // separates deployments sharing venue accounts (0..1295)
  AccountId account;
  StrategyId strategy;     // invalid for manual orders
  std::uint64_t sequence = 0;
  friend constexpr bool operator==(const ClientOrderId&, const ClientOrderId&) = default;
};

// The text form; nullopt when desk > kMaxDesk.
[[nodiscard]] std::optional<ClientOrderIdText> format_client_order_id(const ClientOrderId& id) noexcept;
// Parses our own ids; nullopt for anything else (orders placed by other tools).
[[nodiscard]] std::optional<ClientOrderId> parse_client_order_id(std::string_view text) noexcept;

}  // namespace oms
