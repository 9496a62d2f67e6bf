// Fuzz target: Upbit public market data (both formats), the mapping into events with the ids
// carried across inputs as a live stream's, and the private WebSocket parser on the same bytes.
// A cryptofeed capture line ("<ts>: b'<json>'") is cut to its JSON first, so the capture's lines
// seed it as they are.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "oms/connectors/upbit/market_data.hpp"
#include "oms/connectors/upbit/private_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static oms::upbit::JsonParser parser;  // reused, as live
  static oms::upbit::MarketMessage msg;
  static oms::upbit::PrivateMessage account;
  static std::vector<oms::BookSnapshot> snapshots;
  static std::uint64_t last_id = 0;
  static const oms::upbit::InstrumentFinder find =
      [](std::string_view) -> std::optional<oms::InstrumentId> { return oms::InstrumentId{1}; };
  static const oms::Instrument kInstrument{};
  static const oms::upbit::AccountContext ctx{
      oms::AccountId{1}, [](std::string_view code) -> const oms::Instrument* {
        return code.starts_with("KRW-") ? &kInstrument : nullptr;
      }};
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto at = text.find(": b'"); at != std::string_view::npos && text.ends_with("'"))
    text = text.substr(at + 4, text.size() - at - 5);
  if (const auto r = oms::upbit::parse_market_data(parser, text, find, msg)) {
    switch (*r) {
      case oms::upbit::MarketMessageKind::kOrderbook: {
        const std::uint64_t id = oms::upbit::next_update_id(last_id, msg.orderbook.timestamp);
        if (id <= last_id) __builtin_trap();  // strictly increasing, whatever the input
        last_id = id;
        oms::upbit::to_book_snapshots(msg.orderbook, id, snapshots);
        (void)oms::upbit::to_best_bid_offer(msg.orderbook, id);
        break;
      }
      case oms::upbit::MarketMessageKind::kTrade: (void)oms::upbit::to_trade_printed(msg.trade); break;
      default: break;
    }
  }
  (void)oms::upbit::parse_private(parser, text, ctx, account);
  return 0;
}
