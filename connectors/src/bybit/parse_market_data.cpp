// Bybit v5 public market data: one pass over the message's fields. "topic" decides how "data"
// is read; Bybit sends the topic first, and when it does not the data is read in a second pass
// (the document rewound) once the topic is known.
#include <charconv>
#include <initializer_list>

#include "oms/connectors/bybit/market_data.hpp"
#include "parse_detail.hpp"

namespace oms::bybit {
namespace {

constexpr std::string_view kBookPrefix = "orderbook.";
constexpr std::string_view kTradePrefix = "publicTrade.";
constexpr std::string_view kTickerPrefix = "tickers.";

// Field bits (top level and data).
enum : std::uint32_t {
  kTopic = 1u << 0, kType = 1u << 1, kTs = 1u << 2, kData = 1u << 3, kOp = 1u << 4,
  kSym = 1u << 5, kBids = 1u << 6, kAsks = 1u << 7, kUpdateId = 1u << 8,
  // one trade
  kTradeTime = 1u << 9, kTradeSym = 1u << 10, kTradeSide = 1u << 11, kTradeQty = 1u << 12,
  kTradePrice = 1u << 13, kTradeId = 1u << 14, kTradeBlock = 1u << 15,
};

struct Required {
  std::uint32_t bit;
  std::string_view name;
};

bool check(Ctx& ctx, std::uint32_t seen, std::initializer_list<Required> req) {
  for (const auto& r : req)
    if ((seen & r.bit) == 0) return ctx.missing(r.name);
  return true;
}

// [["price","qty"], ...] appended to out (cleared by the caller).
bool levels(Ctx& ctx, od::value v, std::string_view field, std::vector<PriceQty>& out) {
  od::array arr;
  if (!as_array(ctx, v, field, arr)) return false;
  std::size_t i = 0;
  for (auto element : arr) {
    od::array pair;
    if (auto e = element.get_array().get(pair)) {
      if (e == simdjson::INCORRECT_TYPE)
        return ctx.fail(indexed(field, i), "expected [price, qty]");
      return ctx.json_fail(indexed(field, i), e);
    }
    PriceQty level;
    std::size_t n = 0;
    for (auto item : pair) {
      od::value x;
      if (auto e = std::move(item).get(x)) return ctx.json_fail(indexed(field, i), e);
      if (n == 0 && !ctx.dec_named(x, [&] { return indexed(field, i) + "[0]"; }, level.price))
        return false;
      if (n == 1 &&
          !ctx.dec_named(x, [&] { return indexed(field, i) + "[1]"; }, level.quantity))
        return false;
      ++n;
    }
    if (n != 2) return ctx.fail(indexed(field, i), "expected [price, qty]");
    out.push_back(level);
    ++i;
  }
  return true;
}

// The ticker fields we read, by name.
struct DecimalField {
  std::string_view name;
  TickerField<Decimal> Ticker::*member;
};
constexpr DecimalField kTickerDecimals[] = {
    {"bid1Price", &Ticker::bid1_price},
    {"bid1Size", &Ticker::bid1_size},
    {"ask1Price", &Ticker::ask1_price},
    {"ask1Size", &Ticker::ask1_size},
    {"lastPrice", &Ticker::last_price},
    {"markPrice", &Ticker::mark_price},
    {"indexPrice", &Ticker::index_price},
    {"usdIndexPrice", &Ticker::usd_index_price},
    {"fundingRate", &Ticker::funding_rate},
    {"fundingCap", &Ticker::funding_cap},
    {"openInterest", &Ticker::open_interest},
    {"openInterestValue", &Ticker::open_interest_value},
    {"turnover24h", &Ticker::turnover_24h},
    {"volume24h", &Ticker::volume_24h},
    {"price24hPcnt", &Ticker::price_24h_pcnt},
    {"prevPrice24h", &Ticker::prev_price_24h},
    {"highPrice24h", &Ticker::high_price_24h},
    {"lowPrice24h", &Ticker::low_price_24h},
    {"prevPrice1h", &Ticker::prev_price_1h},
    {"basis", &Ticker::basis},
    {"basisRate", &Ticker::basis_rate},
    {"deliveryFeeRate", &Ticker::delivery_fee_rate},
    {"predictedDeliveryPrice", &Ticker::predicted_delivery_price},
    {"preOpenPrice", &Ticker::pre_open_price},
    {"preQty", &Ticker::pre_qty},
};
struct IntegerField {
  std::string_view name;
  TickerField<std::uint64_t> Ticker::*member;
};
constexpr IntegerField kTickerIntegers[] = {
    {"nextFundingTime", &Ticker::next_funding_time},
    {"fundingIntervalHour", &Ticker::funding_interval_hour},
};

class MarketReader {
 public:
  MarketReader(Ctx& ctx, MarketMessage& out) : ctx_(ctx), out_(out) {}

  // The top-level fields; "data" is read here when the topic came before it.
  bool object(od::object obj) {
    return for_each_field(ctx_, obj, [&](std::string_view k, od::value v) { return field(k, v); });
  }
  // The second pass for a "data" that came before the topic.
  bool data_again(od::document& doc) {
    doc.rewind();
    od::object obj;
    if (auto e = doc.get_object().get(obj)) return ctx_.json_fail("", e);
    for (auto f : obj) {
      std::string_view key;
      if (auto e = f.unescaped_key().get(key)) return ctx_.json_fail("", e);
      if (key != "data") continue;
      od::value v;
      if (auto e = f.value().get(v)) return ctx_.json_fail(key, e);
      return data(v);
    }
    return ctx_.missing("data");
  }

  [[nodiscard]] std::uint32_t seen() const { return seen_; }
  [[nodiscard]] bool data_pending() const { return data_pending_; }
  [[nodiscard]] bool has_topic() const { return kind_.has_value(); }
  [[nodiscard]] MarketMessageKind kind() const { return kind_.value_or(MarketMessageKind::kOther); }
  [[nodiscard]] std::uint64_t ts() const { return ts_; }
  // "type" of an orderbook or tickers message: snapshot (true) or delta.
  bool snapshot(bool& out) {
    if (type_ == Type::kOther)
      return ctx_.fail("type", "expected snapshot or delta, got '" + type_text_.str() + "'");
    out = type_ == Type::kSnapshot;
    return true;
  }
  [[nodiscard]] const VenueSymbol& topic_symbol() const { return topic_symbol_; }

 private:
  bool field(std::string_view k, od::value v) {
    if (k == "topic") return mark(kTopic) && topic(v);
    if (k == "data") {
      mark(kData);
      if (!kind_) {
        data_pending_ = true;  // read once the topic is known
        return true;
      }
      return data(v);
    }
    if (kind_ == MarketMessageKind::kOther) return true;  // its fields mean other things
    if (k == "type") return mark(kType) && type(v);
    if (k == "ts") return mark(kTs) && ctx_.u64(v, "ts", ts_);
    if (k == "cts") {
      std::uint64_t cts = 0;
      if (!ctx_.u64(v, "cts", cts)) return false;
      out_.book.cts = cts;
      return true;
    }
    if (k == "cs") {
      std::uint64_t cs = 0;
      if (!ctx_.u64(v, "cs", cs)) return false;
      out_.ticker.cross_sequence = cs;
      return true;
    }
    // Op replies: read whatever the message is (an op reply has no topic: known at the end).
    auto& r = out_.op_reply;
    if (k == "op") return mark(kOp) && ctx_.text(v, k, r.op);
    if (k == "success") {
      bool ok = false;
      if (!ctx_.boolean(v, k, ok)) return false;
      r.success = ok;
      return true;
    }
    if (k == "ret_msg" || k == "retMsg") {
      std::string_view msg;
      if (!ctx_.text(v, k, msg)) return false;
      r.ret_msg.assign(msg);
      return true;
    }
    if (k == "retCode") {
      std::int64_t code = 0;
      if (!ctx_.i64(v, k, code)) return false;
      r.ret_code = code;
      return true;
    }
    if (k == "conn_id" || k == "connId") return ctx_.text(v, k, r.conn_id);
    if (k == "req_id" || k == "reqId") return ctx_.text(v, k, r.req_id);
    return true;  // unknown fields are ignored
  }

  // Checked only once the kind is known (kline's "type" may come before its topic).
  bool type(od::value v) {
    std::string_view t;
    if (!ctx_.text(v, "type", t)) return false;
    type_ = t == "snapshot" ? Type::kSnapshot : t == "delta" ? Type::kDelta : Type::kOther;
    (void)type_text_.assign(t.substr(0, decltype(type_text_)::kCapacity));  // for the error
    return true;
  }

  bool topic(od::value v) {
    if (!ctx_.text(v, "topic", out_.topic)) return false;
    const std::string_view t = out_.topic.view();
    std::string_view symbol;
    if (t.starts_with(kBookPrefix)) {
      kind_ = MarketMessageKind::kOrderBook;
      ctx_.set_kind("orderbook");
      const std::string_view rest = t.substr(kBookPrefix.size());
      const auto dot = rest.find('.');
      std::uint32_t depth = 0;
      const auto* end = rest.data() + (dot == std::string_view::npos ? 0 : dot);
      const auto r = std::from_chars(rest.data(), end, depth);
      if (dot == std::string_view::npos || dot == 0 || r.ptr != end || r.ec != std::errc{})
        return ctx_.fail("topic",
                         "expected orderbook.{depth}.{symbol}, got '" + std::string(t) + "'");
      out_.book.depth = depth;
      symbol = rest.substr(dot + 1);
    } else if (t.starts_with(kTradePrefix)) {
      kind_ = MarketMessageKind::kTrades;
      ctx_.set_kind("publicTrade");
      symbol = t.substr(kTradePrefix.size());
    } else if (t.starts_with(kTickerPrefix)) {
      kind_ = MarketMessageKind::kTicker;
      ctx_.set_kind("tickers");
      symbol = t.substr(kTickerPrefix.size());
    } else {
      kind_ = MarketMessageKind::kOther;
      return true;
    }
    if (symbol.empty() || symbol.find('.') != std::string_view::npos)
      return ctx_.fail("topic", "no symbol in '" + std::string(t) + "'");
    if (!topic_symbol_.assign(symbol))
      return ctx_.fail("topic", "symbol longer than " + std::to_string(VenueSymbol::kCapacity) +
                                    " characters in '" + std::string(t) + "'");
    return true;
  }


  bool data(od::value v) {
    switch (kind()) {
      case MarketMessageKind::kOrderBook: return book_data(v);
      case MarketMessageKind::kTrades: return trades_data(v);
      case MarketMessageKind::kTicker: return ticker_data(v);
      default: return true;
    }
  }

  // A data symbol must be the topic's: a message for another instrument is never applied.
  bool same_symbol(std::string_view field, const VenueSymbol& s) {
    if (s == topic_symbol_) return true;
    return ctx_.fail(field, "'" + s.str() + "' is not the topic's symbol '" +
                                topic_symbol_.str() + "'");
  }

  bool book_data(od::value v) {
    od::object obj;
    if (!as_object(ctx_, v, "data", obj)) return false;
    auto& b = out_.book;
    ctx_.enter("data");
    const bool ok = for_each_field(ctx_, obj, [&](std::string_view k, od::value x) {
      if (k.size() == 1) {
        switch (k[0]) {
          case 's': return mark(kSym) && ctx_.text(x, "s", b.symbol) && same_symbol("s", b.symbol);
          case 'b': return mark(kBids) && levels(ctx_, x, "b", b.bids);
          case 'a': return mark(kAsks) && levels(ctx_, x, "a", b.asks);
          case 'u': return mark(kUpdateId) && ctx_.u64(x, "u", b.update_id);
          default: return true;
        }
      }
      if (k == "seq") {
        std::uint64_t seq = 0;
        if (!ctx_.u64(x, "seq", seq)) return false;
        b.cross_sequence = seq;
      }
      return true;
    });
    if (!ok || !check(ctx_, seen_, {{kSym, "s"}, {kBids, "b"}, {kAsks, "a"}, {kUpdateId, "u"}}))
      return false;
    ctx_.leave();
    return true;
  }

  bool trades_data(od::value v) {
    od::array arr;
    if (!as_array(ctx_, v, "data", arr)) return false;
    std::size_t i = 0;
    for (auto element : arr) {
      od::value x;
      if (auto e = std::move(element).get(x)) return ctx_.json_fail(indexed("data", i), e);
      od::object obj;
      if (!as_object(ctx_, x, indexed("data", i), obj)) return false;
      ctx_.enter("data", i);
      if (!trade(obj)) return false;
      ctx_.leave();
      ++i;
    }
    return true;
  }

  bool trade(od::object obj) {
    PublicTrade& t = out_.trades.trades.emplace_back();  // value-initialised: nothing stale
    std::uint32_t seen = 0;
    const auto bit = [&seen](std::uint32_t b) {
      seen |= b;
      return true;
    };
    const bool ok = for_each_field(ctx_, obj, [&](std::string_view k, od::value x) {
      if (k == "T") return bit(kTradeTime) && ctx_.u64(x, "T", t.trade_time);
      if (k == "s")
        return bit(kTradeSym) && ctx_.text(x, "s", t.symbol) && same_symbol("s", t.symbol);
      if (k == "S") return bit(kTradeSide) && side(x, t.taker_side);
      if (k == "v") return bit(kTradeQty) && ctx_.dec(x, "v", t.quantity);
      if (k == "p") return bit(kTradePrice) && ctx_.dec(x, "p", t.price);
      if (k == "L") return ctx_.text(x, "L", t.tick_direction);
      if (k == "i") return bit(kTradeId) && ctx_.text(x, "i", t.trade_id);
      if (k == "BT") return bit(kTradeBlock) && ctx_.boolean(x, "BT", t.block_trade);
      if (k == "RPI") {
        bool rpi = false;
        if (!ctx_.boolean(x, "RPI", rpi)) return false;
        t.rpi = rpi;
        return true;
      }
      if (k == "seq") {
        std::uint64_t seq = 0;
        if (!ctx_.u64(x, "seq", seq)) return false;
        t.cross_sequence = seq;
      }
      return true;
    });
    return ok && check(ctx_, seen, {{kTradeTime, "T"}, {kTradeSym, "s"}, {kTradeSide, "S"},
                                    {kTradeQty, "v"}, {kTradePrice, "p"}, {kTradeId, "i"},
                                    {kTradeBlock, "BT"}});
  }

  bool side(od::value v, Side& out) {
    std::string_view s;
    if (!ctx_.text(v, "S", s)) return false;
    if (s == "Buy") out = Side::kBuy;
    else if (s == "Sell") out = Side::kSell;
    else return ctx_.fail("S", "expected Buy or Sell, got '" + std::string(s) + "'");
    return true;
  }

  bool ticker_data(od::value v) {
    od::object obj;
    if (!as_object(ctx_, v, "data", obj)) return false;
    auto& t = out_.ticker;
    ctx_.enter("data");
    const bool ok = for_each_field(ctx_, obj, [&](std::string_view k, od::value x) {
      for (const auto& f : kTickerDecimals)
        if (k == f.name) return ctx_.ticker_field(x, f.name, t.*f.member);
      if (k == "symbol")
        return mark(kSym) && ctx_.text(x, "symbol", t.symbol) && same_symbol("symbol", t.symbol);
      if (k == "tickDirection") return ctx_.text(x, "tickDirection", t.tick_direction);
      for (const auto& f : kTickerIntegers)
        if (k == f.name) return ctx_.ticker_field(x, f.name, t.*f.member);
      return true;
    });
    if (!ok || !check(ctx_, seen_, {{kSym, "symbol"}})) return false;
    ctx_.leave();
    return true;
  }

  bool mark(std::uint32_t bit) {
    seen_ |= bit;
    return true;
  }

  Ctx& ctx_;
  MarketMessage& out_;
  std::optional<MarketMessageKind> kind_;  // from the topic
  VenueSymbol topic_symbol_;
  std::uint64_t ts_ = 0;
  enum class Type : std::uint8_t { kSnapshot, kDelta, kOther } type_ = Type::kOther;
  FixedString<31> type_text_;
  std::uint32_t seen_ = 0;
  bool data_pending_ = false;
};

// Output fields a message may leave unset: reset before each parse (vectors keep capacity).
void reset(MarketMessage& m) {
  m.kind = MarketMessageKind::kOther;
  m.topic = {};
  m.book.symbol = {};
  m.book.cts.reset();
  m.book.cross_sequence.reset();
  m.book.bids.clear();
  m.book.asks.clear();
  m.trades.trades.clear();
  m.ticker = Ticker{};
  m.op_reply.op = {};
  m.op_reply.success.reset();
  m.op_reply.ret_msg.clear();
  m.op_reply.ret_code.reset();
  m.op_reply.conn_id = {};
  m.op_reply.req_id = {};
}

}  // namespace

const char* to_string(MarketMessageKind k) noexcept {
  switch (k) {
    case MarketMessageKind::kOrderBook: return "orderbook";
    case MarketMessageKind::kTrades: return "publicTrade";
    case MarketMessageKind::kTicker: return "tickers";
    case MarketMessageKind::kOpReply: return "op reply";
    case MarketMessageKind::kOther: return "other";
  }
  return "?";
}

Result<MarketMessageKind, ParseError> parse_market_data(JsonParser& parser, std::string_view json,
                                                        MarketMessage& out) {
  Ctx ctx("market data");
  reset(out);

  od::document doc;
  if (auto e = parser.impl().load(json, doc)) {
    ctx.json_fail("", e);
    return Unexpected{std::move(ctx).error()};
  }
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    if (e == simdjson::INCORRECT_TYPE) ctx.fail("", "expected a JSON object");
    else ctx.json_fail("", e);
    return Unexpected{std::move(ctx).error()};
  }
  MarketReader reader(ctx, out);
  if (!reader.object(obj)) return Unexpected{std::move(ctx).error()};
  if (reader.data_pending() && reader.kind() != MarketMessageKind::kOther &&
      !reader.data_again(doc))
    return Unexpected{std::move(ctx).error()};

  const std::uint32_t seen = reader.seen();
  MarketMessageKind kind = reader.kind();
  bool ok = true;
  if (!reader.has_topic()) {
    if (seen & kOp) {
      kind = MarketMessageKind::kOpReply;
    } else {
      ok = ctx.fail("topic", "missing (neither a topic nor an op)");
    }
  } else if (kind == MarketMessageKind::kOrderBook) {
    ok = check(ctx, seen, {{kType, "type"}, {kTs, "ts"}, {kData, "data"}}) &&
         reader.snapshot(out.book.snapshot);
    out.book.ts = reader.ts();
  } else if (kind == MarketMessageKind::kTrades) {
    ok = check(ctx, seen, {{kTs, "ts"}, {kData, "data"}});
    out.trades.symbol = reader.topic_symbol();
    out.trades.ts = reader.ts();
  } else if (kind == MarketMessageKind::kTicker) {
    ok = check(ctx, seen, {{kType, "type"}, {kTs, "ts"}, {kData, "data"}}) &&
         reader.snapshot(out.ticker.snapshot);
    out.ticker.ts = reader.ts();
  }
  if (!ok) return Unexpected{std::move(ctx).error()};
  out.kind = kind;
  return kind;
}

// ---- into our events ------------------------------------------------------------------------
namespace {
template <class Event>
void chunk_levels(const std::vector<PriceQty>& bids, const std::vector<PriceQty>& asks,
                  Event proto, std::vector<Event>& out) {
  out.clear();
  std::uint16_t chunk = 0;
  Event cur = proto;
  cur.chunk = 0;
  cur.levels = {};
  const auto push_level = [&](BookSide side, const PriceQty& l) {
    if (cur.levels.size() == kBookChunkLevels) {
      cur.last_chunk = false;
      out.push_back(cur);
      cur.levels = {};
      cur.chunk = ++chunk;
    }
    (void)cur.levels.push_back(BookLevel{side, l.price, l.quantity});
  };
  for (const auto& l : bids) push_level(BookSide::kBid, l);
  for (const auto& l : asks) push_level(BookSide::kAsk, l);
  cur.last_chunk = true;
  out.push_back(cur);
}
}  // namespace

void to_book_deltas(const OrderBookUpdate& delta, InstrumentId instrument,
                    std::vector<BookDelta>& out) {
  BookDelta proto;
  proto.instrument = instrument;
  proto.first_update_id = delta.update_id;  // U = u: see market_data.hpp
  proto.last_update_id = delta.update_id;
  proto.prev_update_id = 0;
  chunk_levels(delta.bids, delta.asks, proto, out);
}

void to_book_snapshots(const OrderBookUpdate& snapshot, InstrumentId instrument,
                       std::vector<BookSnapshot>& out) {
  BookSnapshot proto;
  proto.instrument = instrument;
  proto.last_update_id = snapshot.update_id;
  chunk_levels(snapshot.bids, snapshot.asks, proto, out);
}

TradePrinted to_trade_printed(const PublicTrade& t, InstrumentId instrument) {
  TradePrinted p;
  p.instrument = instrument;
  p.trade_id = t.trade_id;
  p.price = t.price;
  p.quantity = t.quantity;
  p.aggressor = t.taker_side;
  return p;
}

Result<Unit, ParseError> fold_ticker(const Ticker& update, Ticker& state) {
  if (update.snapshot) {
    state = update;
    return Unit{};
  }
  if (update.symbol != state.symbol)
    return Unexpected{ParseError{"tickers.data.symbol: a delta for '" + update.symbol.str() +
                                 "' folded into the ticker of '" + state.symbol.str() + "'"}};
  state.ts = update.ts;
  if (update.cross_sequence) state.cross_sequence = update.cross_sequence;
  if (!update.tick_direction.empty()) state.tick_direction = update.tick_direction;
  for (const auto& f : kTickerDecimals)
    if ((update.*f.member).present()) state.*f.member = update.*f.member;
  for (const auto& f : kTickerIntegers)
    if ((update.*f.member).present()) state.*f.member = update.*f.member;
  return Unit{};
}

std::optional<BestBidOffer> to_best_bid_offer(const Ticker& state, InstrumentId instrument) {
  if (!state.bid1_price.has_value() || !state.bid1_size.has_value() ||
      !state.ask1_price.has_value() || !state.ask1_size.has_value())
    return std::nullopt;
  return BestBidOffer{instrument, state.cross_sequence.value_or(0), state.bid1_price.value,
                      state.bid1_size.value, state.ask1_price.value, state.ask1_size.value};
}

}  // namespace oms::bybit
