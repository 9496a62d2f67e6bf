// Fuzz target: OKX v5 market-data parsing, the BookChecker and the mapping into events.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "oms/connectors/okx/book_checker.hpp"
#include "oms/connectors/okx/market_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static oms::okx::JsonParser parser;  // reused, as live
  static oms::okx::MarketMessage msg;
  static oms::okx::BookChecker checker;  // state carried across inputs, as a live stream's
  static std::vector<oms::BookDelta> deltas;
  static std::vector<oms::BookSnapshot> snapshots;
  // Every instId known; a contract value other than 1 so the conversion runs too.
  static const oms::okx::InstrumentFinder find =
      [](std::string_view) -> std::optional<oms::okx::InstrumentRef> {
    return oms::okx::InstrumentRef{oms::InstrumentId{1}, oms::Decimal::from_raw(10'000'000)};
  };
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = oms::okx::parse_market_data(parser, text, find, msg);
  if (!r) return 0;
  switch (*r) {
    case oms::okx::MarketMessageKind::kBook: {
      const auto check = checker.apply(msg.book);
      if (!check.ok()) break;
      if (msg.book.snapshot) oms::okx::to_book_snapshots(msg.book, check.sequence.seq_id, snapshots);
      else oms::okx::to_book_deltas(msg.book, check.sequence, deltas);
      break;
    }
    case oms::okx::MarketMessageKind::kBbo: (void)oms::okx::to_best_bid_offer(msg.book); break;
    case oms::okx::MarketMessageKind::kTrades:
      for (const auto& t : msg.trades) (void)oms::okx::to_trade_printed(t);
      break;
    case oms::okx::MarketMessageKind::kTicker: (void)oms::okx::to_best_bid_offer(msg.ticker); break;
    case oms::okx::MarketMessageKind::kEvent: (void)msg.event.is_error(); break;
    case oms::okx::MarketMessageKind::kPong:
    case oms::okx::MarketMessageKind::kOther: break;
  }
  return 0;
}
