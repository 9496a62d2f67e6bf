// Valuation in USDT, the currency of every money limit: the account's equity for the leverage
// cap, and where an instrument's quote gets its USDT rate (risk_core.hpp, QuoteSource).
// Pure: the marks are an argument.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "oms/cores/account_core.hpp"
#include "oms/cores/position_core.hpp"
#include "oms/cores/risk_core.hpp"

namespace oms::actors {

// The spot instrument that gives `asset` a USDT rate: ASSET/USDT (its mark is the rate) or
// USDT/ASSET (one over its mark: Upbit's USDT/KRW for KRW), on `prefer`'s exchange first, a
// direct pair before an inverse one. USDT itself: rate invalid. None: unpriced.
[[nodiscard]] QuoteSource usdt_rate_of(const InstrumentTable& instruments, std::string_view asset,
                                       ExchangeId prefer);

// Per instrument (by id): how its quote converts to USDT. `notes` gets one line per quote that
// no instrument prices (those instruments are unpriced: their orders that add risk are refused).
[[nodiscard]] std::vector<QuoteSource> quote_sources(const InstrumentTable& instruments,
                                                     std::vector<std::string>* notes = nullptr);

// For each asset, the spot instrument that prices it in USDT; built once.
class UsdtPricing {
 public:
  explicit UsdtPricing(const InstrumentTable& instruments);
  // The account's balances (free + locked, every market) in USDT: USDT at 1, another asset at
  // the mark of its rate instrument (ASSET/USDT times, USDT/ASSET divided), rounded down; an
  // asset without a mark is not counted (the leverage then reads higher: conservative).
  [[nodiscard]] Decimal equity(const AccountCore& account, std::span<const Decimal> marks) const;

 private:
  struct Priced {
    AssetCode asset;
    InstrumentId instrument;
    bool inverse = false;
  };
  std::vector<Priced> priced_;
};

}  // namespace oms::actors
