// Fuzz target: Bybit v5 market-data parsing and its mapping into events.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "oms/connectors/bybit/market_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static oms::bybit::JsonParser parser;  // reused, as live
  static oms::bybit::MarketMessage msg;
  static oms::bybit::Ticker ticker;
  static std::vector<oms::BookDelta> deltas;
  static std::vector<oms::BookSnapshot> snapshots;
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  const auto r = oms::bybit::parse_market_data(parser, json, msg);
  if (!r) return 0;
  switch (*r) {
    case oms::bybit::MarketMessageKind::kOrderBook:
      if (msg.book.snapshot)
        oms::bybit::to_book_snapshots(msg.book, oms::InstrumentId{1}, snapshots);
      else
        oms::bybit::to_book_deltas(msg.book, oms::InstrumentId{1}, deltas);
      break;
    case oms::bybit::MarketMessageKind::kTrades:
      for (const auto& t : msg.trades.trades)
        (void)oms::bybit::to_trade_printed(t, oms::InstrumentId{1});
      break;
    case oms::bybit::MarketMessageKind::kTicker:
      if (oms::bybit::fold_ticker(msg.ticker, ticker).ok())
        (void)oms::bybit::to_best_bid_offer(ticker, oms::InstrumentId{1});
      break;
    case oms::bybit::MarketMessageKind::kOpReply: (void)msg.op_reply.is_pong(); break;
    case oms::bybit::MarketMessageKind::kOther: break;
  }
  return 0;
}
