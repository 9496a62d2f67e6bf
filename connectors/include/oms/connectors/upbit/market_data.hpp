// Upbit public market data (wss://api.upbit.com/websocket/v1), pure: text in, structs out.
// Upbit names every field twice: the DEFAULT format's names and the SIMPLE format's short ones
// (chosen per subscription with {"format":"DEFAULT"|"SIMPLE"}); both are read, field order does
// not matter:
//   orderbook  type|ty, code|cd, timestamp|tms, total_ask_size|tas, total_bid_size|tbs,
//              orderbook_units|obu [{ask_price|ap, bid_price|bp, ask_size|as, bid_size|bs}],
//              level|lv, stream_type|st ("SNAPSHOT" | "REALTIME")
//   trade      trade_price|tp, trade_volume|tv, ask_bid|ab, sequential_id|sid,
//              trade_timestamp|ttms, timestamp|tms, prev_closing_price|pcp, change_price|cp,
//              best_ask_price|bap, best_ask_size|bas, best_bid_price|bbp, best_bid_size|bbs
//   ticker     opening_price|op, high_price|hp, low_price|lp, trade_price|tp,
//              prev_closing_price|pcp, change_price|cp, signed_change_price|scp,
//              trade_volume|tv, ask_bid|ab, trade_timestamp|ttms, timestamp|tms, ...
//   status     {"status":"UP"}: the answer to a "PING" text frame
//   error      {"error":{"name":"INVALID_PARAM","message":".."}}
// The list formats (JSON_LIST, SIMPLE_LIST: messages wrapped in an array) are refused by name:
// subscribe with DEFAULT or SIMPLE.
//
// Numbers: Upbit writes prices and sizes as JSON numbers (Java doubles: 127.0, 25752275.55,
// 9.9E-7). Each is read from its text as sent, exactly (never through a double); a value with
// more than 8 significant decimals or beyond Decimal's range is an error naming the field.
// A ticker's 24-hour figures (acc_trade_price*, acc_trade_volume*, acc_ask/bid_volume, change
// rates) are not read: turnovers reach 2e11 KRW (the docs' example: 228827082483.70729), past
// Decimal's range, and rates carry 10 decimals; nothing here needs them.
//
// ask_bid is the TAKER's side (Upbit's FAQ: a buy hitting the ask prints BID, a sell hitting
// the bid prints ASK -- "taking의 주문 타입").
//
// Instruments: every message names its market code ("KRW-BTC": quote first); the caller's
// finder resolves it to our id.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/json_parser.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/fixed_string.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/result.hpp"

namespace oms::upbit {

using venue::JsonParser;
using venue::ParseError;

// "KRW-BTC", "BTC-ETH", "USDT-BTC".
using MarketCode = FixedString<31>;
// code -> our instrument; nullopt when unknown (the message is then an error naming it).
using InstrumentFinder = std::function<std::optional<InstrumentId>(std::string_view code)>;

enum class MessageFormat : std::uint8_t { kDefault, kSimple };
// stream_type: SNAPSHOT (the state when subscribed) or REALTIME; kNone when absent.
enum class StreamType : std::uint8_t { kNone, kSnapshot, kRealtime };

// One orderbook unit: the i-th best ask and bid side by side. A side the book does not have
// (a thin market) comes as size 0.
struct OrderbookUnit {
  Decimal ask_price, bid_price, ask_size, bid_size;
  friend bool operator==(const OrderbookUnit&, const OrderbookUnit&) = default;
};

// An orderbook message: the whole top N (1, 5, 15 or 30 units) each time, no sequence number.
struct Orderbook {
  MarketCode code;
  InstrumentId instrument;
  std::uint64_t timestamp = 0;          // timestamp|tms (ms)
  std::optional<Decimal> level;         // level|lv: the grouping unit (0 = none); absent before 2024
  StreamType stream_type = StreamType::kNone;
  std::vector<OrderbookUnit> units;     // best first
};

struct PublicTrade {
  MarketCode code;
  InstrumentId instrument;
  Decimal price;                       // trade_price
  Decimal volume;                      // trade_volume
  Side taker_side = Side::kBuy;        // ask_bid: ASK -> sell, BID -> buy
  std::uint64_t sequential_id = 0;     // unique per market
  std::uint64_t trade_timestamp = 0;   // ms
  std::uint64_t timestamp = 0;         // ms, the message's
  std::optional<Decimal> prev_closing_price, change_price;
  // The book's best levels after the trade (sent since 2025; absent in older captures).
  std::optional<Decimal> best_ask_price, best_ask_size, best_bid_price, best_bid_size;
  StreamType stream_type = StreamType::kNone;
};

// ticker: the day's prices and the last trade. No best bid / ask (Upbit's ticker has none).
struct Ticker {
  MarketCode code;
  InstrumentId instrument;
  std::uint64_t timestamp = 0, trade_timestamp = 0;
  std::optional<Decimal> opening_price, high_price, low_price, trade_price, prev_closing_price,
      change_price, signed_change_price, trade_volume, highest_52_week_price,
      lowest_52_week_price;
  std::optional<Side> last_taker_side;  // ask_bid of the last trade
  StreamType stream_type = StreamType::kNone;
};

struct VenueError {
  FixedString<63> name;  // "INVALID_PARAM", "WRONG_FORMAT", "NO_TICKET", ...
  std::string message;
};

enum class MarketMessageKind : std::uint8_t {
  kOrderbook,
  kTrade,
  kTicker,
  kStatus,  // {"status":"UP"}
  kError,   // {"error":{..}}
  kOther,   // a well-formed message of a type we do not parse (candle, ...)
};
[[nodiscard]] const char* to_string(MarketMessageKind k) noexcept;

// Reused across parses: the vectors keep their capacity.
struct MarketMessage {
  MarketMessageKind kind = MarketMessageKind::kOther;
  MessageFormat format = MessageFormat::kDefault;  // which names the message used
  FixedString<31> type;  // type|ty as sent ("orderbook", "candle.1s", ...); empty for status/error
  Orderbook orderbook;
  PublicTrade trade;
  Ticker ticker;
  FixedString<15> status;  // "UP"
  VenueError error;
};

// Parses one text frame. find is called once (orderbook, trade, ticker). Errors name the field
// with the name the message used: "orderbook.obu[3].as: more than 9 fractional digits '0.1234567891'",
// "trade.code: unknown instrument 'KRW-DOGE'", "orderbook.tms: missing". On error out must not
// be used.
[[nodiscard]] Result<MarketMessageKind, ParseError> parse_market_data(JsonParser& parser,
                                                                    std::string_view text,
                                                                    const InstrumentFinder& find,
                                                                    MarketMessage& out);

// ---- into our events ------------------------------------------------------------------------
// Every orderbook message is a whole snapshot of the top N: it maps to BookSnapshot chunks
// only, never to BookDelta. BookCore replaces its book at every snapshot whatever the id (its
// spot / futures diff rules never run, there being no diffs), so any rule holds; the id still
// orders the books one instrument goes through, and BestBidOffer consumers drop an update_id at
// or below the last one seen. Hence next_update_id: the message's timestamp (ms, the venue's
// clock: meaningful, comparable across restarts), or the previous id + 1 where the timestamp
// did not move forward (two books in one millisecond; a SNAPSHOT right after a resubscribe) --
// strictly increasing per instrument. previous = 0 for the first book.
[[nodiscard]] constexpr std::uint64_t next_update_id(std::uint64_t previous,
                                                     std::uint64_t timestamp) noexcept {
  return timestamp > previous ? timestamp : previous + 1;
}
// The book cut into chunks of kBookChunkLevels levels (bids then asks, best first); a side of
// size 0 (absent) is not a level. out is cleared first.
void to_book_snapshots(const Orderbook& book, std::uint64_t update_id,
                       std::vector<BookSnapshot>& out);
// The first unit; nullopt when either side is empty (size 0).
[[nodiscard]] std::optional<BestBidOffer> to_best_bid_offer(const Orderbook& book,
                                                            std::uint64_t update_id);
// trade id = sequential_id (decimal text); aggressor = the taker's side.
[[nodiscard]] TradePrinted to_trade_printed(const PublicTrade& t);

}  // namespace oms::upbit
