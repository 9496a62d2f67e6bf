// Binance market data: one pass over the message's fields; a field's JSON type decides its
// meaning where keys are shared between kinds ("b" is a level array in depthUpdate and a price
// in bookTicker, "a" an aggregate trade id in aggTrade).
#include <algorithm>
#include <cstdio>

#include "oms/connectors/binance/market_data.hpp"
#include "depth_scan.hpp"
#include "parse_detail.hpp"

namespace oms::binance {
namespace {

// Field bits.
enum : std::uint32_t {
  kE = 1u << 0, kEventTime = 1u << 1, kTxTime = 1u << 2, kSym = 1u << 3, kFirstId = 1u << 4,
  kLastId = 1u << 5, kPrevId = 1u << 6, kBidLevels = 1u << 7, kAskLevels = 1u << 8,
  kBidPrice = 1u << 9, kBidQty = 1u << 10, kAskPrice = 1u << 11, kAskQty = 1u << 12,
  kTradeId = 1u << 13, kPrice = 1u << 14, kQty = 1u << 15, kMaker = 1u << 16,
  kAggId = 1u << 17, kFirstTrade = 1u << 18, kLastTrade = 1u << 19, kSnapId = 1u << 20,
  kSnapBids = 1u << 21, kSnapAsks = 1u << 22,
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

// [["price","qty"], ...] into out (cleared by the caller).
bool levels(Ctx& ctx, od::value v, std::string_view field, std::vector<PriceQty>& out) {
  od::array arr;
  if (!as_array(ctx, v, field, arr)) return false;
  std::size_t i = 0;
  for (auto element : arr) {
    od::array pair;
    if (auto e = element.get_array().get(pair)) {
      if (e == simdjson::INCORRECT_TYPE) return ctx.fail(indexed(field, i), "expected [price, qty]");
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
    if (n < 2) return ctx.fail(indexed(field, i), "expected [price, qty]");
    out.push_back(level);
    ++i;
  }
  return true;
}

class MarketReader {
 public:
  MarketReader(Ctx& ctx, MarketMessage& out) : ctx_(ctx), out_(out) {}

  bool object(od::object obj, int depth) {
    return for_each_field(ctx_, obj, "", [&](std::string_view k, od::value v) {
      return field(k, v, depth);
    });
  }
  [[nodiscard]] std::uint32_t seen() const { return seen_; }
  [[nodiscard]] std::uint64_t agg_id() const { return agg_id_; }

 private:
  bool field(std::string_view k, od::value v, int depth) {
    if (k.size() == 1) return short_field(k[0], v);
    if (other_) return true;
    if (k == "pu") return mark(kPrevId) && ctx_.u64(v, "pu", out_.depth.prev_update_id);
    if (k == "lastUpdateId") return mark(kSnapId) && ctx_.u64(v, k, out_.snapshot.last_update_id);
    if (k == "bids") return mark(kSnapBids) && levels(ctx_, v, k, out_.snapshot.bids);
    if (k == "asks") return mark(kSnapAsks) && levels(ctx_, v, k, out_.snapshot.asks);
    if (depth == 0 && k == "stream") return ctx_.text(v, k, out_.stream);
    if (depth == 0 && (k == "data" || k == "event")) {
      od::object inner;
      return as_object(ctx_, v, k, inner) && object(inner, depth + 1);
    }
    return true;  // unknown fields are ignored
  }

  bool short_field(char c, od::value v) {
    if (other_ && c != 'e') return true;  // a kind we do not parse: its fields mean other things
    auto& d = out_.depth;
    auto& t = out_.book_ticker;
    auto& tr = out_.trade;
    switch (c) {
      case 'e':
        if (!mark(kE) || !ctx_.text(v, "e", out_.event)) return false;
        ctx_.set_kind(out_.event.view());
        other_ = out_.event.view() != "depthUpdate" && out_.event.view() != "bookTicker" &&
                 out_.event.view() != "trade" && out_.event.view() != "aggTrade";
        return true;
      case 'E': return mark(kEventTime) && ctx_.u64(v, "E", d.event_time);
      case 'T': return mark(kTxTime) && ctx_.u64(v, "T", d.transaction_time);
      case 's': return mark(kSym) && ctx_.text(v, "s", d.symbol);
      case 'U': return mark(kFirstId) && ctx_.u64(v, "U", d.first_update_id);
      case 'u': return mark(kLastId) && ctx_.u64(v, "u", d.last_update_id);
      case 't': return mark(kTradeId) && ctx_.u64(v, "t", tr.trade_id);
      case 'p': return mark(kPrice) && ctx_.dec(v, "p", tr.price);
      case 'q': return mark(kQty) && ctx_.dec(v, "q", tr.quantity);
      case 'm': return mark(kMaker) && ctx_.boolean(v, "m", tr.buyer_is_maker);
      case 'f': return mark(kFirstTrade) && ctx_.u64(v, "f", tr.first_trade_id);
      case 'l': return mark(kLastTrade) && ctx_.u64(v, "l", tr.last_trade_id);
      case 'B': return mark(kBidQty) && ctx_.dec(v, "B", t.bid_qty);
      case 'A': return mark(kAskQty) && ctx_.dec(v, "A", t.ask_qty);
      case 'b':
      case 'a': {
        od::json_type type;
        const std::string_view name = c == 'b' ? "b" : "a";
        if (auto e = v.type().get(type)) return ctx_.json_fail(name, e);
        if (type == od::json_type::array)
          return mark(c == 'b' ? kBidLevels : kAskLevels) &&
                 levels(ctx_, v, name, c == 'b' ? d.bids : d.asks);
        if (type == od::json_type::number) {  // aggTrade id; old trade streams' order ids
          return c == 'a' ? mark(kAggId) && ctx_.u64(v, "a", agg_id_) : true;
        }
        return mark(c == 'b' ? kBidPrice : kAskPrice) &&
               ctx_.dec(v, name, c == 'b' ? t.bid_price : t.ask_price);
      }
      default: return true;
    }
  }

  bool mark(std::uint32_t bit) {
    seen_ |= bit;
    return true;
  }

  Ctx& ctx_;
  MarketMessage& out_;
  std::uint32_t seen_ = 0;
  std::uint64_t agg_id_ = 0;
  bool other_ = false;  // "e" names a kind we do not parse  // aggTrade "a" (kept apart: a trade's "a" is an order id)
};

// The fields read into out.depth (shared header fields) copied to the kind's struct.
void finish_book_ticker(MarketMessage& m) {
  auto& t = m.book_ticker;
  t.symbol = m.depth.symbol;
  t.update_id = m.depth.last_update_id;
  t.event_time = m.depth.event_time;
  t.transaction_time = m.depth.transaction_time;
}
void finish_trade(MarketMessage& m, bool aggregate) {
  auto& t = m.trade;
  t.symbol = m.depth.symbol;
  t.aggregate = aggregate;
  t.event_time = m.depth.event_time;
  t.trade_time = m.depth.transaction_time;
}

}  // namespace

const char* to_string(MarketMessageKind k) noexcept {
  switch (k) {
    case MarketMessageKind::kDepthUpdate: return "depthUpdate";
    case MarketMessageKind::kBookTicker: return "bookTicker";
    case MarketMessageKind::kTrade: return "trade";
    case MarketMessageKind::kAggTrade: return "aggTrade";
    case MarketMessageKind::kDepthSnapshot: return "depth snapshot";
    case MarketMessageKind::kOther: return "other";
  }
  return "?";
}

Result<MarketMessageKind, ParseError> parse_market_data(JsonParser& parser, std::string_view json,
                                                        MarketMessage& out) {
  if (detail::scan_depth_update(json, out)) return MarketMessageKind::kDepthUpdate;
  return detail::read_market_data(parser, json, out);
}

void detail::reset_message(MarketMessage& out) {
  out.stream = {};
  out.event = {};
  out.depth.bids.clear();
  out.depth.asks.clear();
  out.depth.has_prev_update_id = false;
  out.depth.prev_update_id = 0;
  out.depth.transaction_time = 0;
  out.snapshot.bids.clear();
  out.snapshot.asks.clear();
  out.snapshot.event_time = out.snapshot.transaction_time = 0;
  out.trade.first_trade_id = out.trade.last_trade_id = 0;
}

Result<MarketMessageKind, ParseError> detail::read_market_data(JsonParser& parser,
                                                               std::string_view json,
                                                               MarketMessage& out) {
  Ctx ctx("market data");
  reset_message(out);

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
  if (!reader.object(obj, 0)) return Unexpected{std::move(ctx).error()};

  const std::uint32_t seen = reader.seen();
  const std::string_view e = out.event.view();
  MarketMessageKind kind = MarketMessageKind::kOther;
  bool ok = true;
  if (e == "depthUpdate") {
    kind = MarketMessageKind::kDepthUpdate;
    ok = check(ctx, seen, {{kEventTime, "E"}, {kSym, "s"}, {kFirstId, "U"}, {kLastId, "u"},
                           {kBidLevels, "b"}, {kAskLevels, "a"}});
    out.depth.has_prev_update_id = (seen & kPrevId) != 0;
    if (!out.depth.has_prev_update_id) out.depth.prev_update_id = 0;
  } else if (e == "bookTicker" || (e.empty() && (seen & kBidPrice) && (seen & kLastId))) {
    kind = MarketMessageKind::kBookTicker;
    ctx.set_kind("bookTicker");
    ok = check(ctx, seen, {{kLastId, "u"}, {kSym, "s"}, {kBidPrice, "b"}, {kBidQty, "B"},
                           {kAskPrice, "a"}, {kAskQty, "A"}});
    if (ok) finish_book_ticker(out);
  } else if (e == "trade") {
    kind = MarketMessageKind::kTrade;
    ok = check(ctx, seen, {{kEventTime, "E"}, {kSym, "s"}, {kTradeId, "t"}, {kPrice, "p"},
                           {kQty, "q"}, {kTxTime, "T"}, {kMaker, "m"}});
    if (ok) finish_trade(out, false);
  } else if (e == "aggTrade") {
    kind = MarketMessageKind::kAggTrade;
    ok = check(ctx, seen, {{kEventTime, "E"}, {kSym, "s"}, {kAggId, "a"}, {kPrice, "p"},
                           {kQty, "q"}, {kFirstTrade, "f"}, {kLastTrade, "l"}, {kTxTime, "T"},
                           {kMaker, "m"}});
    if (ok) finish_trade(out, true);
    out.trade.trade_id = reader.agg_id();
  } else if (e.empty() && (seen & kSnapId)) {
    kind = MarketMessageKind::kDepthSnapshot;
    ctx.set_kind("depth snapshot");
    ok = check(ctx, seen, {{kSnapBids, "bids"}, {kSnapAsks, "asks"}});
    out.snapshot.event_time = out.depth.event_time;
    out.snapshot.transaction_time = out.depth.transaction_time;
  } else if (e.empty()) {
    ok = ctx.fail("e", "missing (not a market-data message we know)");
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

void to_book_deltas(const DepthUpdate& d, InstrumentId instrument, std::vector<BookDelta>& out) {
  BookDelta proto;
  proto.instrument = instrument;
  proto.first_update_id = d.first_update_id;
  proto.last_update_id = d.last_update_id;
  proto.prev_update_id = d.has_prev_update_id ? d.prev_update_id : 0;
  chunk_levels(d.bids, d.asks, proto, out);
}

void to_book_snapshots(const DepthSnapshot& s, InstrumentId instrument,
                       std::vector<BookSnapshot>& out) {
  BookSnapshot proto;
  proto.instrument = instrument;
  proto.last_update_id = s.last_update_id;
  chunk_levels(s.bids, s.asks, proto, out);
}

BestBidOffer to_best_bid_offer(const BookTicker& t, InstrumentId instrument) {
  return BestBidOffer{instrument, t.update_id, t.bid_price, t.bid_qty, t.ask_price, t.ask_qty};
}

TradePrinted to_trade_printed(const Trade& t, InstrumentId instrument) {
  TradePrinted p;
  p.instrument = instrument;
  char buf[24];
  auto n = static_cast<std::size_t>(std::snprintf(buf, sizeof buf, "%llu",
                                                  static_cast<unsigned long long>(t.trade_id)));
  (void)p.trade_id.assign(std::string_view(buf, n));
  p.price = t.price;
  p.quantity = t.quantity;
  p.aggressor = t.buyer_is_maker ? Side::kSell : Side::kBuy;
  return p;
}

// ---- the parser object -----------------------------------------------------------------------
JsonParser::JsonParser() : impl_(std::make_unique<Impl>()) {}
JsonParser::~JsonParser() = default;
JsonParser::JsonParser(JsonParser&&) noexcept = default;
JsonParser& JsonParser::operator=(JsonParser&&) noexcept = default;

Result<InstrumentId, ParseError> lookup_instrument(const InstrumentLookup& lookup,
                                                   std::string_view kind, std::string_view symbol) {
  if (lookup) {
    if (auto id = lookup(symbol)) return *id;
  }
  return Unexpected{ParseError{std::string(kind) + ".s: unknown symbol '" + std::string(symbol) +
                               "'"}};
}

}  // namespace oms::binance
