// NATS subjects (DESIGN.md "Events, subjects, streams"):
//   orders.{exchange}.{account}.{market}.{symbol}
//   trades.{exchange}.{account}.{market}.{symbol}
//   positions.{exchange}.{account}.{market}
//   transfers.{from_account}.{to_account}
//   strategies.{strategy_type}.{action}
//   md.{exchange}.{market}.{symbol}.{book|trade|ticker}
// Tokens never contain '.', '*', '>' or white space. Names (accounts, strategy types,
// actions) keep [A-Za-z0-9_-] and escape every other byte as ~XX (hex); symbols are written
// BASE-QUOTE[_SETTLE[-YYMMDD]] (BTC-USDT, BTC-USDT_USDT, BTC-USDT_USDT-210924), which is
// unambiguous because assets are [A-Z0-9]. Every subject parses back to what built it.
#pragma once

#include <string>
#include <string_view>

#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"
#include "oms/messages/symbols.hpp"

namespace oms {

enum class SubjectKind : std::uint8_t { kOrders, kTrades, kPositions, kTransfers, kStrategies, kMarketData };
enum class MarketDataKind : std::uint8_t { kBook, kTrade, kTicker };

struct Subject {
  SubjectKind kind = SubjectKind::kOrders;
  ExchangeId exchange = ExchangeId::kBinance;  // orders, trades, positions, md
  Market market = Market::kSpot;               // orders, trades, positions, md
  std::string account;                         // orders, trades, positions
  CanonicalSymbol symbol;                      // orders, trades, md
  std::string from_account, to_account;        // transfers
  std::string strategy_type, action;           // strategies
  MarketDataKind md_kind = MarketDataKind::kBook;
  friend bool operator==(const Subject&, const Subject&) = default;
};

struct SubjectError {
  std::string message;  // names the subject and the token
};

[[nodiscard]] std::string orders_subject(ExchangeId ex, std::string_view account, Market m,
                                         const CanonicalSymbol& s);
[[nodiscard]] std::string trades_subject(ExchangeId ex, std::string_view account, Market m,
                                         const CanonicalSymbol& s);
[[nodiscard]] std::string positions_subject(ExchangeId ex, std::string_view account, Market m);
[[nodiscard]] std::string transfers_subject(std::string_view from, std::string_view to);
[[nodiscard]] std::string strategies_subject(std::string_view type, std::string_view action);
[[nodiscard]] std::string md_subject(ExchangeId ex, Market m, const CanonicalSymbol& s,
                                     MarketDataKind k);
// Any of the above, from a Subject value.
[[nodiscard]] std::string build_subject(const Subject& s);
[[nodiscard]] Result<Subject, SubjectError> parse_subject(std::string_view subject);

// Token escaping for names: reversible, never produces '.', '*', '>' or spaces.
[[nodiscard]] std::string escape_token(std::string_view name);
[[nodiscard]] Result<std::string, SubjectError> unescape_token(std::string_view token);
[[nodiscard]] std::string symbol_token(const CanonicalSymbol& s);
[[nodiscard]] Result<CanonicalSymbol, SubjectError> parse_symbol_token(std::string_view token);

}  // namespace oms
