// Upbit public market data: one pass over the message's fields, each known by its DEFAULT and
// its SIMPLE name; what the fields mean is settled by the type at the end, so their order does
// not matter (Upbit sends the type first: fields of a type we do not parse are then skipped).
#include <array>

#include "../json_detail.hpp"
#include "oms/connectors/upbit/market_data.hpp"

namespace oms::upbit {
namespace {

using venue::as_array;
using venue::as_object;
using venue::Ctx;
using venue::for_each_field;
using venue::indexed;
namespace od = simdjson::ondemand;

// The decimals a message may carry, whatever its type.
enum Dec : std::uint8_t {
  kTradePrice, kTradeVolume, kPrevClosing, kChangePrice, kSignedChangePrice, kOpening, kHigh,
  kLow, kHigh52, kLow52, kBestAskPrice, kBestAskSize, kBestBidPrice, kBestBidSize, kLevel,
  kDecCount,
};
enum class Field : std::uint8_t {
  kType, kCode, kTimestamp, kTradeTimestamp, kSequentialId, kAskBid, kStreamType, kUnits,
  kDecimal, kStatus, kError, kUnknown,
};
struct Name {
  std::string_view full, simple;
  Field field;
  Dec dec = kDecCount;
};
// clang-format off
constexpr Name kNames[] = {
  {"type", "ty", Field::kType},                   {"code", "cd", Field::kCode},
  {"timestamp", "tms", Field::kTimestamp},        {"trade_timestamp", "ttms", Field::kTradeTimestamp},
  {"sequential_id", "sid", Field::kSequentialId}, {"ask_bid", "ab", Field::kAskBid},
  {"stream_type", "st", Field::kStreamType},      {"orderbook_units", "obu", Field::kUnits},
  {"trade_price", "tp", Field::kDecimal, kTradePrice},
  {"trade_volume", "tv", Field::kDecimal, kTradeVolume},
  {"prev_closing_price", "pcp", Field::kDecimal, kPrevClosing},
  {"change_price", "cp", Field::kDecimal, kChangePrice},
  {"signed_change_price", "scp", Field::kDecimal, kSignedChangePrice},
  {"opening_price", "op", Field::kDecimal, kOpening},
  {"high_price", "hp", Field::kDecimal, kHigh},
  {"low_price", "lp", Field::kDecimal, kLow},
  {"highest_52_week_price", "h52wp", Field::kDecimal, kHigh52},
  {"lowest_52_week_price", "l52wp", Field::kDecimal, kLow52},
  {"best_ask_price", "bap", Field::kDecimal, kBestAskPrice},
  {"best_ask_size", "bas", Field::kDecimal, kBestAskSize},
  {"best_bid_price", "bbp", Field::kDecimal, kBestBidPrice},
  {"best_bid_size", "bbs", Field::kDecimal, kBestBidSize},
  {"level", "lv", Field::kDecimal, kLevel},
  {"status", "status", Field::kStatus},           {"error", "error", Field::kError},
};
// clang-format on

const Name* lookup(std::string_view key, bool& simple) {
  for (const auto& n : kNames) {
    if (key == n.full) return simple = false, &n;
    if (key == n.simple) return simple = true, &n;
  }
  return nullptr;
}

// What one message carried: raw until its type is known.
struct Seen {
  bool simple = false;  // the type came as "ty"
  std::string_view type, code, ask_bid, stream_type;
  std::optional<std::uint64_t> timestamp, trade_timestamp, sequential_id;
  std::array<std::optional<Decimal>, kDecCount> dec;
  bool units = false, status = false, error = false;
  // The name of a field in the message's format (for errors about it).
  [[nodiscard]] std::string_view key(std::string_view full) const {
    for (const auto& n : kNames)
      if (n.full == full) return simple ? n.simple : n.full;
    return full;
  }
};

MarketMessageKind kind_of(std::string_view type) {
  if (type == "orderbook") return MarketMessageKind::kOrderbook;
  if (type == "trade") return MarketMessageKind::kTrade;
  if (type == "ticker") return MarketMessageKind::kTicker;
  return MarketMessageKind::kOther;
}

class Reader {
 public:
  Reader(Ctx& ctx, MarketMessage& out) : ctx_(ctx), out_(out) {}

  bool object(od::object obj) {
    return for_each_field(ctx_, obj, [&](std::string_view k, od::value v) { return field(k, v); });
  }
  [[nodiscard]] Seen& seen() { return seen_; }

 private:
  bool field(std::string_view key, od::value v) {
    bool simple = false;
    const Name* n = lookup(key, simple);
    if (n == nullptr) return true;  // unknown fields are ignored
    if (n->field == Field::kType) {
      if (!ctx_.text(v, key, seen_.type)) return false;
      seen_.simple = simple;
      out_.format = simple ? MessageFormat::kSimple : MessageFormat::kDefault;
      skip_ = kind_of(seen_.type) == MarketMessageKind::kOther;
      if (!skip_) ctx_.set_kind(seen_.type);
      return true;
    }
    if (skip_) return true;  // a type we do not parse: its fields are not ours to judge
    switch (n->field) {
      case Field::kCode: return ctx_.text(v, key, seen_.code);
      case Field::kAskBid: return ctx_.text(v, key, seen_.ask_bid);
      case Field::kStreamType: return ctx_.text(v, key, seen_.stream_type);
      case Field::kTimestamp: return u64(v, key, seen_.timestamp);
      case Field::kTradeTimestamp: return u64(v, key, seen_.trade_timestamp);
      case Field::kSequentialId: return u64(v, key, seen_.sequential_id);
      case Field::kDecimal: {
        // null: no value (a ticker field Upbit has nothing for)
        bool is_null = false;
        if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) return true;
        Decimal d;
        if (!ctx_.dec(v, key, d)) return false;
        seen_.dec[n->dec] = d;
        return true;
      }
      case Field::kUnits:
        seen_.units = true;
        return units(v, key, simple);
      case Field::kStatus:
        seen_.status = true;
        return ctx_.text(v, key, out_.status);
      case Field::kError:
        seen_.error = true;
        return error(v);
      default: return true;
    }
  }

  bool u64(od::value v, std::string_view key, std::optional<std::uint64_t>& out) {
    std::uint64_t n = 0;
    if (!ctx_.u64(v, key, n)) return false;
    out = n;
    return true;
  }

  // [{ap, bp, as, bs}, ...] (or the DEFAULT names) into the orderbook's units. The hot loop:
  // names for errors are built only on failure.
  bool units(od::value v, std::string_view key, bool simple) {
    od::array arr;
    if (!as_array(ctx_, v, key, arr)) return false;
    auto& units = out_.orderbook.units;
    std::size_t i = 0;
    for (auto element : arr) {
      od::object obj;
      if (auto e = element.get_object().get(obj)) {
        if (e == simdjson::INCORRECT_TYPE) return ctx_.fail(indexed(key, i), "expected an object");
        return ctx_.json_fail(indexed(key, i), e);
      }
      OrderbookUnit& u = units.emplace_back();
      unsigned seen = 0;
      for (auto f : obj) {
        std::string_view k;
        if (auto e = f.unescaped_key().get(k)) return ctx_.json_fail(indexed(key, i), e);
        od::value x;
        if (auto e = f.value().get(x)) return ctx_.json_fail(indexed(key, i) + "." + std::string(k), e);
        const auto name = [&] { return indexed(key, i) + "." + std::string(k); };
        Decimal* slot = nullptr;
        unsigned bit = 0;
        if (k == (simple ? "ap" : "ask_price")) slot = &u.ask_price, bit = 1;
        else if (k == (simple ? "bp" : "bid_price")) slot = &u.bid_price, bit = 2;
        else if (k == (simple ? "as" : "ask_size")) slot = &u.ask_size, bit = 4;
        else if (k == (simple ? "bs" : "bid_size")) slot = &u.bid_size, bit = 8;
        if (slot == nullptr) continue;
        if (!ctx_.dec_named(x, name, *slot)) return false;
        seen |= bit;
      }
      if (seen != 15) {
        const char* missing = (seen & 1) == 0   ? (simple ? "ap" : "ask_price")
                              : (seen & 2) == 0 ? (simple ? "bp" : "bid_price")
                              : (seen & 4) == 0 ? (simple ? "as" : "ask_size")
                                                : (simple ? "bs" : "bid_size");
        return ctx_.missing(indexed(key, i) + "." + missing);
      }
      if (u.ask_size.is_negative() || u.bid_size.is_negative() || u.ask_price.is_negative() ||
          u.bid_price.is_negative())
        return ctx_.fail(indexed(key, i), "negative price or size");
      if ((u.ask_size.is_positive() && !u.ask_price.is_positive()) ||
          (u.bid_size.is_positive() && !u.bid_price.is_positive()))
        return ctx_.fail(indexed(key, i), "a size at a price that is not positive");
      ++i;
    }
    return true;
  }

  bool error(od::value v) {
    od::object obj;
    if (!as_object(ctx_, v, "error", obj)) return false;
    ctx_.set_kind("error");
    bool named = false;
    const bool ok = for_each_field(ctx_, obj, [&](std::string_view k, od::value x) {
      if (k == "name") return named = true, ctx_.text(x, "name", out_.error.name);
      if (k == "message") {
        std::string_view m;
        if (!ctx_.text(x, "message", m)) return false;
        out_.error.message.assign(m);
      }
      return true;
    });
    return ok && (named || ctx_.missing("name"));
  }

  Ctx& ctx_;
  MarketMessage& out_;
  Seen seen_;
  bool skip_ = false;
};

// ---- settling the type ------------------------------------------------------------------------

bool need_text(Ctx& ctx, std::string_view v, std::string_view key) {
  return !v.empty() || ctx.missing(key);
}
template <class T>
bool need(Ctx& ctx, const std::optional<T>& v, std::string_view key, T& out) {
  if (!v) return ctx.missing(key);
  out = *v;
  return true;
}

bool stream_type(Ctx& ctx, const Seen& s, StreamType& out) {
  if (s.stream_type.empty()) out = StreamType::kNone;
  else if (s.stream_type == "SNAPSHOT") out = StreamType::kSnapshot;
  else if (s.stream_type == "REALTIME") out = StreamType::kRealtime;
  else
    return ctx.fail(s.key("stream_type"),
                    "expected SNAPSHOT or REALTIME, got '" + std::string(s.stream_type) + "'");
  return true;
}

bool side(Ctx& ctx, const Seen& s, Side& out) {
  if (s.ask_bid == "ASK") out = Side::kSell;
  else if (s.ask_bid == "BID") out = Side::kBuy;
  else return ctx.fail(s.key("ask_bid"), "expected ASK or BID, got '" + std::string(s.ask_bid) + "'");
  return true;
}

bool resolve(Ctx& ctx, const Seen& s, const InstrumentFinder& find, MarketCode& code,
             InstrumentId& id) {
  const std::string_view key = s.key("code");
  if (!need_text(ctx, s.code, key)) return false;
  if (!code.assign(s.code)) return ctx.fail(key, "longer than 31 characters");
  const auto found = find ? find(s.code) : std::nullopt;
  if (!found) return ctx.fail(key, "unknown instrument '" + std::string(s.code) + "'");
  id = *found;
  return true;
}

bool orderbook(Ctx& ctx, Seen& s, const InstrumentFinder& find, Orderbook& b) {
  if (!s.units) return ctx.missing(s.key("orderbook_units"));
  if (b.units.empty()) return ctx.fail(s.key("orderbook_units"), "empty");
  b.level = s.dec[kLevel];
  return resolve(ctx, s, find, b.code, b.instrument) &&
         need(ctx, s.timestamp, s.key("timestamp"), b.timestamp) && stream_type(ctx, s, b.stream_type);
}

bool trade(Ctx& ctx, Seen& s, const InstrumentFinder& find, PublicTrade& t) {
  t.prev_closing_price = s.dec[kPrevClosing];
  t.change_price = s.dec[kChangePrice];
  t.best_ask_price = s.dec[kBestAskPrice];
  t.best_ask_size = s.dec[kBestAskSize];
  t.best_bid_price = s.dec[kBestBidPrice];
  t.best_bid_size = s.dec[kBestBidSize];
  if (!resolve(ctx, s, find, t.code, t.instrument) ||
      !need(ctx, s.dec[kTradePrice], s.key("trade_price"), t.price) ||
      !need(ctx, s.dec[kTradeVolume], s.key("trade_volume"), t.volume) ||
      !need_text(ctx, s.ask_bid, s.key("ask_bid")) || !side(ctx, s, t.taker_side) ||
      !need(ctx, s.sequential_id, s.key("sequential_id"), t.sequential_id) ||
      !need(ctx, s.trade_timestamp, s.key("trade_timestamp"), t.trade_timestamp) ||
      !need(ctx, s.timestamp, s.key("timestamp"), t.timestamp) ||
      !stream_type(ctx, s, t.stream_type))
    return false;
  if (!t.price.is_positive()) return ctx.fail(s.key("trade_price"), "not positive");
  if (!t.volume.is_positive()) return ctx.fail(s.key("trade_volume"), "not positive");
  return true;
}

bool ticker(Ctx& ctx, Seen& s, const InstrumentFinder& find, Ticker& t) {
  t = Ticker{};  // here: only a ticker pays for clearing one
  t.opening_price = s.dec[kOpening];
  t.high_price = s.dec[kHigh];
  t.low_price = s.dec[kLow];
  t.trade_price = s.dec[kTradePrice];
  t.prev_closing_price = s.dec[kPrevClosing];
  t.change_price = s.dec[kChangePrice];
  t.signed_change_price = s.dec[kSignedChangePrice];
  t.trade_volume = s.dec[kTradeVolume];
  t.highest_52_week_price = s.dec[kHigh52];
  t.lowest_52_week_price = s.dec[kLow52];
  if (!s.ask_bid.empty()) {
    Side side_taken = Side::kBuy;
    if (!side(ctx, s, side_taken)) return false;
    t.last_taker_side = side_taken;
  }
  t.trade_timestamp = s.trade_timestamp.value_or(0);
  return resolve(ctx, s, find, t.code, t.instrument) &&
         need(ctx, s.timestamp, s.key("timestamp"), t.timestamp) &&
         stream_type(ctx, s, t.stream_type);
}

void reset(MarketMessage& m) {
  m.kind = MarketMessageKind::kOther;
  m.format = MessageFormat::kDefault;
  m.type = {};
  m.orderbook.units.clear();
  m.status = {};
  m.error.name = {};
  m.error.message.clear();
}

}  // namespace

const char* to_string(MarketMessageKind k) noexcept {
  switch (k) {
    case MarketMessageKind::kOrderbook: return "orderbook";
    case MarketMessageKind::kTrade: return "trade";
    case MarketMessageKind::kTicker: return "ticker";
    case MarketMessageKind::kStatus: return "status";
    case MarketMessageKind::kError: return "error";
    case MarketMessageKind::kOther: return "other";
  }
  return "?";
}

Result<MarketMessageKind, ParseError> parse_market_data(JsonParser& parser, std::string_view text,
                                                        const InstrumentFinder& find,
                                                        MarketMessage& out) {
  reset(out);
  Ctx ctx("market data");
  od::document doc;
  if (auto e = parser.impl().load(text, doc)) {
    ctx.json_fail("", e);
    return Unexpected{std::move(ctx).error()};
  }
  od::json_type top;
  if (auto e = doc.type().get(top)) {
    ctx.json_fail("", e);
    return Unexpected{std::move(ctx).error()};
  }
  if (top == od::json_type::array) {
    ctx.fail("", "a list (format JSON_LIST or SIMPLE_LIST): subscribe with DEFAULT or SIMPLE");
    return Unexpected{std::move(ctx).error()};
  }
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    if (e == simdjson::INCORRECT_TYPE) ctx.fail("", "expected a JSON object");
    else ctx.json_fail("", e);
    return Unexpected{std::move(ctx).error()};
  }
  Reader reader(ctx, out);
  if (!reader.object(obj)) return Unexpected{std::move(ctx).error()};

  Seen& s = reader.seen();
  MarketMessageKind kind = MarketMessageKind::kOther;
  if (s.error) {
    kind = MarketMessageKind::kError;
  } else if (s.type.empty() && s.status) {
    kind = MarketMessageKind::kStatus;
  } else {
    if (!need_text(ctx, s.type, "type")) return Unexpected{std::move(ctx).error()};
    if (!out.type.assign(s.type)) {
      ctx.fail(s.key("type"), "longer than 31 characters");
      return Unexpected{std::move(ctx).error()};
    }
    kind = kind_of(s.type);
    bool ok = true;
    switch (kind) {
      case MarketMessageKind::kOrderbook: ok = orderbook(ctx, s, find, out.orderbook); break;
      case MarketMessageKind::kTrade: ok = trade(ctx, s, find, out.trade); break;
      case MarketMessageKind::kTicker: ok = ticker(ctx, s, find, out.ticker); break;
      default: break;
    }
    if (!ok) return Unexpected{std::move(ctx).error()};
  }
  out.kind = kind;
  return kind;
}

// ---- into our events ------------------------------------------------------------------------

void to_book_snapshots(const Orderbook& book, std::uint64_t update_id,
                       std::vector<BookSnapshot>& out) {
  out.clear();
  BookSnapshot cur;
  cur.instrument = book.instrument;
  cur.last_update_id = update_id;
  cur.chunk = 0;
  const auto push_level = [&](BookSide side, Decimal price, Decimal size) {
    if (size.is_zero()) return;  // no level on this side
    if (cur.levels.size() == kBookChunkLevels) {
      cur.last_chunk = false;
      out.push_back(cur);
      cur.levels = {};
      ++cur.chunk;
    }
    (void)cur.levels.push_back(BookLevel{side, price, size});
  };
  for (const auto& u : book.units) push_level(BookSide::kBid, u.bid_price, u.bid_size);
  for (const auto& u : book.units) push_level(BookSide::kAsk, u.ask_price, u.ask_size);
  cur.last_chunk = true;
  out.push_back(cur);
}

std::optional<BestBidOffer> to_best_bid_offer(const Orderbook& book, std::uint64_t update_id) {
  if (book.units.empty()) return std::nullopt;
  const OrderbookUnit& top = book.units.front();
  if (top.bid_size.is_zero() || top.ask_size.is_zero()) return std::nullopt;
  return BestBidOffer{book.instrument, update_id, top.bid_price, top.bid_size, top.ask_price,
                      top.ask_size};
}

TradePrinted to_trade_printed(const PublicTrade& t) {
  TradePrinted p;
  p.instrument = t.instrument;
  (void)p.trade_id.assign(std::to_string(t.sequential_id));  // 20 digits at most: fits
  p.price = t.price;
  p.quantity = t.volume;
  p.aggressor = t.taker_side;
  return p;
}

}  // namespace oms::upbit
