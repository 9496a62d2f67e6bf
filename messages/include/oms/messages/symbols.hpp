// Symbol normalization: one canonical form inside, each venue's form at its edge.
//
// Canonical (ccxt's unified form):
//   spot                 BASE/QUOTE               BTC/USDT, BTC/KRW
//   perpetual swap       BASE/QUOTE:SETTLE        BTC/USDT:USDT, BTC/USD:BTC (inverse)
//   delivery future      BASE/QUOTE:SETTLE-YYMMDD BTC/USDT:USDT-210924
//
// Venue forms:
//   Binance spot BTCUSDT, USD-M BTCUSDT (perp) / BTCUSDT_210924 (delivery), COIN-M BTCUSD_PERP
//   Bybit v5 spot and linear BTCUSDT, linear delivery BTCUSDT-27DEC24 is not supported yet
//   OKX v5 BTC-USDT, BTC-USDT-SWAP, BTC-USD-SWAP, BTC-USD-220527
//   Upbit KRW-BTC (quote first)
// Concatenated venue symbols (Binance, Bybit) cannot be split without the venue's asset
// list: from_venue() for them takes the base and quote that the venue's instrument list
// gives (see SymbolMap), never a guess.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"

namespace oms {

enum class ContractKind : std::uint8_t { kSpot, kPerpetual, kDelivery };

struct CanonicalSymbol {
  std::string base;    // "BTC"
  std::string quote;   // "USDT"
  std::string settle;  // "USDT" for linear, "BTC" for inverse; empty for spot
  std::string expiry;  // "210924" (YYMMDD) for deliveries; empty otherwise

  [[nodiscard]] ContractKind kind() const noexcept {
    if (settle.empty()) return ContractKind::kSpot;
    return expiry.empty() ? ContractKind::kPerpetual : ContractKind::kDelivery;
  }
  [[nodiscard]] std::string to_string() const;  // "BTC/USDT:USDT"
  friend bool operator==(const CanonicalSymbol&, const CanonicalSymbol&) = default;
};

struct SymbolError {
  std::string message;  // names the symbol and what is wrong with it
};

// Parses "BTC/USDT", "BTC/USDT:USDT", "BTC/USDT:USDT-210924". Assets are [A-Z0-9]{1,20}.
[[nodiscard]] Result<CanonicalSymbol, SymbolError> parse_canonical(std::string_view s);

// Canonical -> venue symbol for a venue and market; error if that venue/market cannot
// list such a contract (e.g. a perpetual on a spot market).
[[nodiscard]] Result<std::string, SymbolError> to_venue(ExchangeId ex, Market m,
                                                       const CanonicalSymbol& s);

// Venue symbol -> canonical for venues whose symbols are delimited (OKX, Upbit), or with
// the base/quote the venue's instrument list gives (Binance, Bybit: pass both; for
// delimited venues they are checked against the symbol when given).
[[nodiscard]] Result<CanonicalSymbol, SymbolError> from_venue(ExchangeId ex, Market m,
                                                             std::string_view venue_symbol,
                                                             std::string_view base = {},
                                                             std::string_view quote = {},
                                                             std::string_view settle = {});

// Both directions for one venue and market, loaded from the venue's instrument list.
class SymbolMap {
 public:
  // Adds a pair; error on a conflicting duplicate.
  Result<bool, SymbolError> add(const std::string& venue_symbol, const CanonicalSymbol& canonical);
  [[nodiscard]] const CanonicalSymbol* canonical(std::string_view venue_symbol) const;
  [[nodiscard]] const std::string* venue(std::string_view canonical) const;
  [[nodiscard]] std::size_t size() const noexcept { return to_canonical_.size(); }

 private:
  std::unordered_map<std::string, CanonicalSymbol> to_canonical_;
  std::unordered_map<std::string, std::string> to_venue_;
};

}  // namespace oms
