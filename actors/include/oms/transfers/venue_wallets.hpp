// What each venue calls the wallets a transfer moves between, in one place (the transfer
// builders of connectors/ take these words as given):
//
//   venue    spot                 USD-M futures        funding       how accounts are named
//   Binance  SPOT                 USDT_FUTURE          (not moved)   sub-account universal transfer: fromEmail/toEmail
//            own wallets: MAIN_UMFUTURE / UMFUTURE_MAIN (POST /sapi/v1/asset/transfer)
//   Bybit    UNIFIED              UNIFIED              FUND          universal transfer: fromMemberId/toMemberId (UIDs)
//            (the unified trading account holds spot and linear in one wallet; CONTRACT / SPOT
//            are classic accounts', not moved here)
//   OKX      "18" (trading)       "18" (trading)       "6"           transfer type 1 / 2, subAcct (the sub-account's name)
//            (the unified trading account holds spot and swap in one wallet)
//
// Bybit and OKX: one account's spot and USD-M are one wallet, so there is nothing to move
// between them; between accounts the trading wallet moves to the trading wallet. Funding
// wallets are not moved (Market has no funding market).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oms/messages/enums.hpp"
#include "oms/messages/ids.hpp"

namespace oms::transfers {

// The venue's word for the wallet of `m` in transfers between accounts; nullopt: not moved.
[[nodiscard]] std::optional<std::string_view> wallet_name(ExchangeId exchange, Market m) noexcept;
// Whether one account's spot and USD-M are one wallet on the venue (Bybit, OKX: unified).
[[nodiscard]] bool one_trading_wallet(ExchangeId exchange) noexcept;
// Bybit's transferId of our transfer: a UUID (version-4 shape) carrying the transfer id, the
// same every time (so a resend or a query after a restart names the same transfer):
// "6f6d7300-HHHH-4HHH-8HHH-HHHHHH000000" with the 16 hex digits of transfer_id in the H's.
[[nodiscard]] std::string bybit_transfer_uuid(std::uint64_t transfer_id);

}  // namespace oms::transfers
