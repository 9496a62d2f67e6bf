// Binance market data (spot, USD-M, COIN-M): depthUpdate diffs, bookTicker, trade, aggTrade,
// the REST depth snapshot, bare or inside the combined-stream wrapper {"stream":..,"data":..}.
// One pass over the message; the kind comes from "e" (bookTicker on spot has none: it is
// recognised by its fields, as is the snapshot by "lastUpdateId").
#pragma once

#include <cstdint>
#include <vector>

#include "oms/connectors/binance/parse.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/events.hpp"

namespace oms::binance {

struct PriceQty {
  Decimal price, quantity;
  friend bool operator==(const PriceQty&, const PriceQty&) = default;
};

// depthUpdate. Spot: U, u. Futures: also pu and T.
struct DepthUpdate {
  VenueSymbol symbol;
  std::uint64_t event_time = 0;        // E (ms)
  std::uint64_t transaction_time = 0;  // T (ms), futures only
  std::uint64_t first_update_id = 0;   // U
  std::uint64_t last_update_id = 0;    // u
  std::uint64_t prev_update_id = 0;    // pu, futures only
  bool has_prev_update_id = false;
  std::vector<PriceQty> bids, asks;    // quantity 0 = remove the level
};

// bookTicker. Spot carries u, s, b, B, a, A (E/T on newer streams); futures also e, E, T.
struct BookTicker {
  VenueSymbol symbol;
  std::uint64_t update_id = 0;  // u
  std::uint64_t event_time = 0, transaction_time = 0;
  Decimal bid_price, bid_qty, ask_price, ask_qty;
};

// trade or aggTrade.
struct Trade {
  VenueSymbol symbol;
  bool aggregate = false;       // aggTrade: trade_id is the aggregate id "a"
  std::uint64_t trade_id = 0;   // t (trade) / a (aggTrade)
  std::uint64_t first_trade_id = 0, last_trade_id = 0;  // f, l (aggTrade)
  std::uint64_t event_time = 0, trade_time = 0;         // E, T
  Decimal price, quantity;
  bool buyer_is_maker = false;  // m: true = the seller was the aggressor
};

// GET /api/v3/depth, /fapi/v1/depth, /dapi/v1/depth.
struct DepthSnapshot {
  std::uint64_t last_update_id = 0;
  std::uint64_t event_time = 0, transaction_time = 0;  // futures only
  std::vector<PriceQty> bids, asks;
};

enum class MarketMessageKind : std::uint8_t {
  kDepthUpdate, kBookTicker, kTrade, kAggTrade, kDepthSnapshot,
  kOther,  // a well-formed message of a kind we do not parse (kline, markPrice, ...)
};
[[nodiscard]] const char* to_string(MarketMessageKind k) noexcept;

// Reused across parses: the level vectors keep their capacity.
struct MarketMessage {
  MarketMessageKind kind = MarketMessageKind::kOther;
  FixedString<63> stream;  // the combined-stream name, empty when bare
  FixedString<31> event;   // "e" as received (for kOther: which kind it was)
  DepthUpdate depth;
  BookTicker book_ticker;
  Trade trade;             // trade and aggTrade
  DepthSnapshot snapshot;
};

[[nodiscard]] Result<MarketMessageKind, ParseError> parse_market_data(JsonParser& parser,
                                                                    std::string_view json,
                                                                    MarketMessage& out);

// ---- into our events ------------------------------------------------------------------------
// A diff cut into BookDelta chunks of kBookChunkLevels levels (bids first, then asks); a diff
// with no levels is one empty last chunk (the sequence still advances). out is cleared first.
void to_book_deltas(const DepthUpdate& d, InstrumentId instrument, std::vector<BookDelta>& out);
void to_book_snapshots(const DepthSnapshot& s, InstrumentId instrument,
                       std::vector<BookSnapshot>& out);
[[nodiscard]] BestBidOffer to_best_bid_offer(const BookTicker& t, InstrumentId instrument);
// Aggressor: the buyer unless the buyer is the maker.
[[nodiscard]] TradePrinted to_trade_printed(const Trade& t, InstrumentId instrument);

}  // namespace oms::binance
