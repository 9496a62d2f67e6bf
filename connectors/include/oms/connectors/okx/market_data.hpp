// OKX v5 public market data (wss://ws.okx.com:8443/ws/v5/public), pure: text in, structs out.
//   {"arg":{"channel":"books","instId":..},"action":"snapshot"|"update",
//    "data":[{"asks":[[px,sz,"0",numOrders],..],"bids":[..],"ts":"..","checksum":..,
//             "prevSeqId":..,"seqId":..}]}          books, books-l2-tbt, books50-l2-tbt
//   books5, bbo-tbt: the same data without "action": each push is the whole top (5 / 1 levels)
//   trades:   data [{instId, tradeId, px, sz, side, ts, count, seqId}, ..]; side = the taker's
//   tickers:  data [{instType, instId, last, lastSz, askPx, askSz, bidPx, bidSz, .., ts}]
//   events:   {"event":"subscribe"|"unsubscribe"|"login"|"error"|"notice"|..,"arg":{..},
//              "code":"60012","msg":"..","connId":".."}
//   "pong":   the bare text OKX answers a "ping" with
// Other channels (candles, funding-rate, ...) are kOther with their channel. Field order does
// not matter.
//
// Instruments: every message names its instId; the caller's finder resolves it to our id and
// the contract value (ctVal). Derivative sizes are contracts: the parser multiplies every size
// (levels, trades, ticker sizes) by the contract value, exactly (an inexact product is an
// error), so quantities are base units for linear (USDT) swaps and futures, whose ctVal is in
// the base coin; spot has contract value 1. Inverse (coin-margined) contracts have ctVal in USD:
// a lookup giving 1 leaves their sizes in contracts. The book checksum is over the texts as sent
// (contracts), kept beside the converted quantities.
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

namespace oms::okx {

using venue::JsonParser;
using venue::ParseError;

// "BTC-USDT", "BTC-USDT-SWAP", "BTC-USD-220527", options "BTC-USD-231229-35000-C".
using InstId = FixedString<47>;

// What the caller knows of an instrument: our id, and the contract value that turns the
// venue's sizes into base units (1 for spot; ctVal for derivatives). Must be > 0.
struct InstrumentRef {
  InstrumentId id;
  Decimal contract_value = Decimal::from_raw(Decimal::kOne);
  friend bool operator==(const InstrumentRef&, const InstrumentRef&) = default;
};
// instId -> the instrument; nullopt when unknown (the message is then an error naming it).
using InstrumentFinder = std::function<std::optional<InstrumentRef>(std::string_view inst_id)>;

// The longest price or size text a book level may have: the checksum needs the venue's text, and
// it is kept inline (no heap string per level). Decimal's widest exact value is 21 characters
// ("-92233720368.54775808"); two more leave room for trailing zeros.
inline constexpr std::size_t kLevelTextMax = 23;
using LevelText = FixedString<kLevelTextMax>;

struct OrderBookLevel {
  Decimal price;         // px
  Decimal quantity;      // sz x contract value (0 = remove the level)
  LevelText price_text;  // px as sent ("0.10" stays "0.10"): the checksum's input
  LevelText size_text;   // sz as sent (contracts for derivatives)
  std::uint32_t orders = 0;  // numOrders (the 3rd element, deprecated "liquidated orders", is skipped)
  friend bool operator==(const OrderBookLevel&, const OrderBookLevel&) = default;
};

enum class BookChannel : std::uint8_t { kBooks, kBooks5, kBooksL2Tbt, kBooks50L2Tbt, kBboTbt };
[[nodiscard]] const char* to_string(BookChannel c) noexcept;

// One book push (data[0]; OKX sends exactly one).
struct OrderBookUpdate {
  BookChannel channel = BookChannel::kBooks;
  InstId inst_id;              // arg.instId
  InstrumentRef instrument;    // from the finder
  bool snapshot = false;       // action "snapshot"; always true for books5 and bbo-tbt
  std::uint64_t ts = 0;        // ts (ms)
  std::optional<std::int32_t> checksum;  // CRC32 of the top 25 (absent on books5 / bbo-tbt)
  // Absent in captures before OKX added them (2022); a snapshot's prevSeqId is -1.
  std::optional<std::int64_t> seq_id, prev_seq_id;
  std::vector<OrderBookLevel> bids, asks;  // best first
};

struct PublicTrade {
  InstId inst_id;
  InstrumentRef instrument;
  TradeId trade_id;                    // tradeId
  Decimal price;                       // px
  Decimal quantity;                    // sz x contract value
  Side taker_side = Side::kBuy;        // side: "buy" | "sell"
  std::uint64_t ts = 0;                // ts (ms)
  std::optional<std::uint32_t> count;  // count: orders the taker matched (absent on old pushes)
  std::optional<std::uint64_t> seq_id;
};

// tickers: the 24h figures and the best bid / ask. "" (no value: an empty side) is nullopt.
// Sizes (lastSz, askSz, bidSz, vol24h) are converted with the contract value; volCcy24h is as
// sent (quote currency on spot, base currency on derivatives).
struct Ticker {
  InstId inst_id;
  InstrumentRef instrument;
  FixedString<15> inst_type;  // SPOT, SWAP, FUTURES, OPTION (empty when absent)
  std::uint64_t ts = 0;
  std::optional<Decimal> last, last_size, ask_price, ask_size, bid_price, bid_size, open_24h,
      high_24h, low_24h, vol_24h, vol_ccy_24h, sod_utc0, sod_utc8;
};

// {"event":..}: a reply to our subscribe / unsubscribe / login, an error, or a notice.
struct EventReply {
  FixedString<31> event;       // "subscribe", "unsubscribe", "login", "error", "notice", ...
  FixedString<31> channel;     // arg.channel (empty when absent)
  InstId inst_id;              // arg.instId (empty when absent)
  std::optional<std::int64_t> code;  // code, sent as a string ("60012"; "0" = success)
  std::string msg;             // the venue's reason
  FixedString<63> conn_id;     // connId
  [[nodiscard]] bool is_error() const noexcept {
    return event.view() == "error" || (code.has_value() && *code != 0);
  }
};

enum class MarketMessageKind : std::uint8_t {
  kBook,    // books, books5, books-l2-tbt, books50-l2-tbt
  kBbo,     // bbo-tbt (the same struct as kBook, one level a side)
  kTrades,
  kTicker,
  kEvent,
  kPong,
  kOther,   // a well-formed push of a channel we do not parse
};
[[nodiscard]] const char* to_string(MarketMessageKind k) noexcept;

// Reused across parses: the vectors keep their capacity.
struct MarketMessage {
  MarketMessageKind kind = MarketMessageKind::kOther;
  FixedString<31> channel;  // arg.channel; empty for an event without arg or a pong
  OrderBookUpdate book;     // kBook, kBbo
  std::vector<PublicTrade> trades;
  Ticker ticker;
  EventReply event;
};

// Parses one text frame. find is called once per instId (not for events and pongs).
// Errors name the field: "books.data[0].asks[3][1]: not a decimal number 'x'",
// "trades.data[0].instId: 'ETH-USDT' is not the arg's instId 'BTC-USDT'",
// "books.arg.instId: unknown instrument 'DOGE-USDT'". On error out must not be used.
[[nodiscard]] Result<MarketMessageKind, ParseError> parse_market_data(JsonParser& parser,
                                                                    std::string_view text,
                                                                    const InstrumentFinder& find,
                                                                    MarketMessage& out);

// ---- into our events ------------------------------------------------------------------------
// BookCore has no OKX rule of its own: its kBinanceSpot rule is OKX's once
//   snapshot  last_update_id = seqId
//   update    first_update_id = prevSeqId + 1, last_update_id = seqId, prev_update_id = prevSeqId
// since then "U == prev.u + 1" is "prevSeqId == the previous seqId", and after a snapshot
// "U <= L+1 <= u" is "prevSeqId <= L < seqId" (OKX's first update has prevSeqId == L; the
// BookChecker, book_checker.hpp, checks the equality exactly). The ids to use come from the
// BookChecker: the venue's, or a consecutive counter per instrument where the venue sent none.
// An update that changes nothing (seqId == prevSeqId, OKX's keep-alive) maps to no event: it
// would read as stale. Apply each snapshot to a fresh BookCore (as for Bybit).
struct BookSequence {
  std::uint64_t seq_id = 0;
  std::uint64_t prev_seq_id = 0;
};
// The update cut into BookDelta chunks of kBookChunkLevels (bids first); out is cleared first
// and stays empty for a no-change update (seq_id == prev_seq_id).
void to_book_deltas(const OrderBookUpdate& update, BookSequence seq, std::vector<BookDelta>& out);
void to_book_snapshots(const OrderBookUpdate& snapshot, std::uint64_t seq_id,
                       std::vector<BookSnapshot>& out);
// Aggressor: the taker's side.
[[nodiscard]] TradePrinted to_trade_printed(const PublicTrade& t);
// bbo-tbt: update_id = seqId (ts where absent); nullopt when a side is empty.
[[nodiscard]] std::optional<BestBidOffer> to_best_bid_offer(const OrderBookUpdate& bbo);
// tickers: update_id = ts; nullopt unless bid and ask price and size all have values.
[[nodiscard]] std::optional<BestBidOffer> to_best_bid_offer(const Ticker& t);

}  // namespace oms::okx
