// Fuzz target: Binance market-data parsing and its mapping into book events.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "oms/connectors/binance/market_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static oms::binance::JsonParser parser;  // reused, as live
  static oms::binance::MarketMessage msg;
  static std::vector<oms::BookDelta> deltas;
  static std::vector<oms::BookSnapshot> snapshots;
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  const auto r = oms::binance::parse_market_data(parser, json, msg);
  if (!r) return 0;
  switch (*r) {
    case oms::binance::MarketMessageKind::kDepthUpdate:
      oms::binance::to_book_deltas(msg.depth, oms::InstrumentId{1}, deltas);
      break;
    case oms::binance::MarketMessageKind::kDepthSnapshot:
      oms::binance::to_book_snapshots(msg.snapshot, oms::InstrumentId{1}, snapshots);
      break;
    case oms::binance::MarketMessageKind::kBookTicker:
      (void)oms::binance::to_best_bid_offer(msg.book_ticker, oms::InstrumentId{1});
      break;
    case oms::binance::MarketMessageKind::kTrade:
    case oms::binance::MarketMessageKind::kAggTrade:
      (void)oms::binance::to_trade_printed(msg.trade, oms::InstrumentId{1});
      break;
    case oms::binance::MarketMessageKind::kOther: break;
  }
  return 0;
}
