// Bybit v5 public market data (spot, linear, inverse WebSocket streams):
//   orderbook.{depth}.{symbol}  snapshot | delta: data{s, b, a, u, seq}, ts, cts
//   publicTrade.{symbol}        data: [{T, s, S, v, p, L, i, BT, RPI, seq}, ...]
//   tickers.{symbol}            snapshot | delta: data{symbol, bid1Price, ...}, cs, ts
//   op replies                  {"success":true,"ret_msg":"","conn_id":..,"op":"subscribe"},
//                               pongs ({"op":"ping","ret_msg":"pong",..} / {"op":"pong",..})
// Other topics (kline, allLiquidation, ...) are kOther with their topic. The kind comes from
// "topic" (or "op" when there is none); field order does not matter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/bybit/parse.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/result.hpp"

namespace oms::bybit {

struct PriceQty {
  Decimal price, quantity;
  friend bool operator==(const PriceQty&, const PriceQty&) = default;
};

// orderbook.{depth}.{symbol}. A snapshot replaces the book (it can come again mid-stream, e.g.
// after a venue restart, when u starts again); a delta follows when its u == previous u + 1.
struct OrderBookUpdate {
  VenueSymbol symbol;                            // data.s (equal to the topic's symbol)
  std::uint32_t depth = 0;                       // from the topic: 1, 50, 200, 500, 1000
  bool snapshot = false;                         // type: "snapshot" or "delta"
  std::uint64_t ts = 0;                          // ts (ms): when the venue sent it
  std::optional<std::uint64_t> cts;              // cts (ms): the matching engine's time
  std::uint64_t update_id = 0;                   // data.u
  std::optional<std::uint64_t> cross_sequence;   // data.seq (absent on option books)
  std::vector<PriceQty> bids, asks;              // delta: quantity 0 = remove the level
};

// One trade of a publicTrade message.
struct PublicTrade {
  std::uint64_t trade_time = 0;  // T (ms)
  VenueSymbol symbol;            // s
  Side taker_side = Side::kBuy;  // S: "Buy" | "Sell", the taker's side
  Decimal quantity;              // v
  Decimal price;                 // p
  FixedString<15> tick_direction;  // L: "PlusTick" ...; empty when absent (spot sends none)
  TradeId trade_id;              // i: a UUID (linear) or a number as text (spot)
  bool block_trade = false;      // BT
  std::optional<bool> rpi;       // RPI: a Retail Price Improvement order traded
  std::optional<std::uint64_t> cross_sequence;  // seq
};

// publicTrade.{symbol}: one message, one or more trades, oldest first.
struct PublicTrades {
  VenueSymbol symbol;  // the topic's symbol (every trade's s equals it)
  std::uint64_t ts = 0;
  std::vector<PublicTrade> trades;
};

// A ticker field: absent from the message (in a delta: unchanged), sent empty ("": the venue
// has no value, e.g. preOpenPrice outside pre-listing, or null), or a value.
template <class T>
struct TickerField {
  enum class State : std::uint8_t { kAbsent, kEmpty, kValue };
  State state = State::kAbsent;
  T value{};  // meaningful only for kValue

  [[nodiscard]] bool present() const noexcept { return state != State::kAbsent; }
  [[nodiscard]] bool has_value() const noexcept { return state == State::kValue; }
  friend bool operator==(const TickerField&, const TickerField&) = default;
};

// tickers.{symbol}. Linear/inverse deltas carry only what changed; spot tickers are
// snapshots without bid1/ask1. Option-only fields (bidPrice, greeks, ...) are not read.
struct Ticker {
  VenueSymbol symbol;                           // data.symbol
  bool snapshot = false;                        // type
  std::uint64_t ts = 0;                         // ts (ms)
  std::optional<std::uint64_t> cross_sequence;  // cs (absent on options)
  FixedString<15> tick_direction;               // empty when absent
  TickerField<Decimal> last_price, prev_price_24h, price_24h_pcnt, high_price_24h,
      low_price_24h, prev_price_1h, mark_price, index_price, usd_index_price, open_interest,
      open_interest_value, turnover_24h, volume_24h, funding_rate, funding_cap, bid1_price,
      bid1_size, ask1_price, ask1_size, basis, basis_rate, delivery_fee_rate,
      predicted_delivery_price, pre_open_price, pre_qty;
  TickerField<std::uint64_t> next_funding_time;    // ms, sent as a string
  TickerField<std::uint64_t> funding_interval_hour;
};

// A reply to one of our requests on the socket: subscribe / unsubscribe / auth / ping.
struct OpReply {
  FixedString<31> op;                // "subscribe", "ping", "pong", "auth", ...
  std::optional<bool> success;       // absent on the {"op":"pong"} form
  std::string ret_msg;               // ret_msg / retMsg; the venue's reason on a failure
  std::optional<std::int64_t> ret_code;  // retCode (auth replies)
  FixedString<63> conn_id, req_id;   // conn_id / connId, req_id / reqId (empty when absent)

  // A reply to our ping: {"op":"ping","ret_msg":"pong"} (spot, linear, inverse) or
  // {"op":"pong"} (private and option streams).
  [[nodiscard]] bool is_pong() const noexcept {
    return op.view() == "pong" || (op.view() == "ping" && ret_msg == "pong");
  }
};

enum class MarketMessageKind : std::uint8_t {
  kOrderBook, kTrades, kTicker, kOpReply,
  kOther,  // a well-formed topic we do not parse (kline, allLiquidation, ...)
};
[[nodiscard]] const char* to_string(MarketMessageKind k) noexcept;

// Reused across parses: the level and trade vectors keep their capacity.
struct MarketMessage {
  MarketMessageKind kind = MarketMessageKind::kOther;
  FixedString<95> topic;  // as received; empty for an op reply
  OrderBookUpdate book;
  PublicTrades trades;
  Ticker ticker;
  OpReply op_reply;
};

[[nodiscard]] Result<MarketMessageKind, ParseError> parse_market_data(JsonParser& parser,
                                                                    std::string_view json,
                                                                    MarketMessage& out);

// ---- into our events ------------------------------------------------------------------------
// BookCore has no Bybit rule of its own: its kBinanceSpot rule enforces Bybit's once a delta
// is given first_update_id = last_update_id = u and a snapshot last_update_id = u:
//   live:            U == prev.u + 1                    ->  u == previous u + 1
//   after snapshot:  drop u <= L; then U <= L+1 <= u    ->  the first delta has u == L + 1
//   a snapshot replaces the book, whatever its u (a restarted venue starts u again).
// So configure BookCore with BookSequencing::kBinanceSpot for Bybit books, and apply each
// snapshot to a fresh BookCore: BookCore replays the diffs it buffered (before the first
// snapshot, after a gap) onto the next snapshot, as Binance's REST snapshot needs; on Bybit
// they are all older than the snapshot, and after a restart their u would not connect to it.
//
// A delta cut into BookDelta chunks of kBookChunkLevels levels (bids first, then asks); a delta
// with no levels is one empty last chunk (the sequence still advances). out is cleared first.
void to_book_deltas(const OrderBookUpdate& delta, InstrumentId instrument,
                    std::vector<BookDelta>& out);
void to_book_snapshots(const OrderBookUpdate& snapshot, InstrumentId instrument,
                       std::vector<BookSnapshot>& out);
// Aggressor: the taker's side S.
[[nodiscard]] TradePrinted to_trade_printed(const PublicTrade& t, InstrumentId instrument);

// Folds a ticker message into the ticker's state: a snapshot replaces it, a delta overwrites
// the fields it carries (absent ones keep their value). Error when the symbols differ.
[[nodiscard]] Result<Unit, ParseError> fold_ticker(const Ticker& update, Ticker& state);
// The best bid and offer of a folded ticker (update_id = cs); nullopt unless bid1 and ask1
// price and size all have values.
[[nodiscard]] std::optional<BestBidOffer> to_best_bid_offer(const Ticker& state,
                                                            InstrumentId instrument);

}  // namespace oms::bybit
