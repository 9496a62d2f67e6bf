// Valuation in USDT, the currency of every money limit: the account's equity for the leverage
// cap, and where an instrument's quote gets its USDT rate (risk_core.hpp, QuoteSource).
// Pure: the marks are an argument.
#pragma once

#include <optional>
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

// An amount in an instrument's quote (a position's value, a PnL) in USDT at the rate instrument's
// mark (marks by id), half-even at 1e-9. nullopt: unpriced, no mark yet, or out of range.
[[nodiscard]] std::optional<Decimal> usdt_value(const QuoteSource& source, Decimal amount,
                                                std::span<const Decimal> marks) noexcept;

// A market quoted in a currency that a USDT/QUOTE instrument prices (Upbit's BTC/KRW through
// USDT/KRW) beside the reference venue's BASE/USDT spot market: the premium of the local market
// (Korea's "kimchi premium" for KRW) is how far its price, in USDT at the rate, is above the
// reference's.
struct PremiumPair {
  InstrumentId local, rate, reference;
};
// Every such pair, by the local instrument's id; the rate on the local venue first.
[[nodiscard]] std::vector<PremiumPair> premium_pairs(const InstrumentTable& instruments, ExchangeId reference);
// (local / rate / reference - 1) x 10000, in basis points, half-even at 1e-9 bps. nullopt: a
// price missing (not positive) or a figure out of range.
[[nodiscard]] std::optional<Decimal> premium_bps(Decimal local, Decimal rate, Decimal reference) noexcept;

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
