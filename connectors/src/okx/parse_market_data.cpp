// OKX v5 public market data: one pass over the message's fields. "arg" (channel, instId) decides
// how "data" is read; OKX sends arg first, and when it does not the data is read in a second
// pass (the document rewound) once the channel is known.
#include <iterator>
#include <charconv>
#include <initializer_list>
#include <limits>

#include "../json_detail.hpp"
#include "book_scan.hpp"
#include "oms/connectors/okx/market_data.hpp"

namespace oms::okx {
namespace {

using venue::as_array;
using venue::as_object;
using venue::Ctx;
using venue::for_each_field;
using venue::indexed;
namespace od = simdjson::ondemand;

// Top-level field bits.
enum : std::uint32_t {
  kArg = 1u << 0, kAction = 1u << 1, kData = 1u << 2, kEvent = 1u << 3,
};
// Field bits of one data item.
enum : std::uint32_t {
  kAsks = 1u << 0, kBids = 1u << 1, kTs = 1u << 2, kInstId = 1u << 3, kTradeId = 1u << 4,
  kPx = 1u << 5, kSz = 1u << 6, kSide = 1u << 7,
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

bool is_one(Decimal d) { return d.raw() == Decimal::kOne; }

// An unsigned integer sent as a string ("1652459225464") or a JSON number.
template <class T>
bool uint_text(Ctx& ctx, od::value v, std::string_view field, T& out) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) {
    std::uint64_t n = 0;
    if (v.get_uint64().get(n) != simdjson::SUCCESS || n > std::numeric_limits<T>::max())
      return ctx.fail(field, "expected an unsigned integer");
    out = static_cast<T>(n);
    return true;
  }
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size())
    return ctx.fail(field, "expected an unsigned integer, got '" + std::string(s) + "'");
  return true;
}
// A signed integer sent as a string ("60012", OKX's codes) or a JSON number.
bool int_text(Ctx& ctx, od::value v, std::string_view field, std::int64_t& out) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return ctx.i64(v, field, out);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size())
    return ctx.fail(field, "expected an integer, got '" + std::string(s) + "'");
  return true;
}

// A size in contracts times the contract value: base units, exactly.
template <class Name>
bool to_base(Ctx& ctx, Decimal contracts, Decimal contract_value, Name&& name, Decimal& out) {
  if (is_one(contract_value)) {
    out = contracts;
    return true;
  }
  const auto r = contracts.mul(contract_value, Rounding::kExact);
  if (!r)
    return ctx.fail(name(), contracts.to_string() + " contracts x ctVal " +
                                contract_value.to_string() + ": " + to_string(r.error()));
  out = *r;
  return true;
}

// The venue's usual number, "30243.4" / "0.00087743": at most 9 fractional digits and a value
// below 1e10, read straight into Decimal's mantissa. false for anything else (signs, exponents,
// more digits, trailing zeros past the 9th): Decimal::parse then decides, exactly as before.
bool plain_decimal(std::string_view s, Decimal& out) noexcept {
  constexpr std::size_t kMaxIntDigits = 10;  // < 1e10: the mantissa stays below 1e19 < 2^64
  std::uint64_t m = 0;
  std::size_t i = 0, int_digits = 0, frac_digits = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++int_digits)
    m = m * 10 + static_cast<std::uint64_t>(s[i] - '0');
  if (int_digits == 0 || int_digits > kMaxIntDigits) return false;
  if (i < s.size()) {
    if (s[i] != '.') return false;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++frac_digits)
      m = m * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (i != s.size() || frac_digits == 0 || frac_digits > Decimal::kScale) return false;
  }
  constexpr std::uint64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                      100000000, 1000000000};
  static_assert(std::size(kPow10) == Decimal::kScale + 1);
  out = Decimal::from_raw(static_cast<Int128>(m * kPow10[Decimal::kScale - frac_digits]));
  return true;
}

class MarketReader {
 public:
  MarketReader(Ctx& ctx, const InstrumentFinder& find, MarketMessage& out)
      : ctx_(ctx), find_(find), out_(out) {}

  bool object(od::object obj) {
    return for_each_field(ctx_, obj, [&](std::string_view k, od::value v) { return field(k, v); });
  }
  // The second pass for a "data" that came before the arg.
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
  [[nodiscard]] MarketMessageKind kind() const { return kind_; }
  [[nodiscard]] bool has_action() const { return (seen_ & kAction) != 0; }
  [[nodiscard]] std::string_view action() const { return action_; }

 private:
  bool field(std::string_view k, od::value v) {
    if (k == "arg") return mark(kArg) && arg(v);
    if (k == "data") {
      mark(kData);
      if ((seen_ & kArg) == 0) {
        data_pending_ = true;  // read once the channel is known
        return true;
      }
      return data(v);
    }
    if (k == "action") return mark(kAction) && ctx_.text(v, "action", action_);
    auto& e = out_.event;
    if (k == "event") return mark(kEvent) && ctx_.text(v, "event", e.event);
    if (k == "code") {
      std::int64_t code = 0;
      if (!int_text(ctx_, v, "code", code)) return false;
      e.code = code;
      return true;
    }
    if (k == "msg") {
      std::string_view msg;
      if (!ctx_.text(v, "msg", msg)) return false;
      e.msg.assign(msg);
      return true;
    }
    if (k == "connId") return ctx_.text(v, "connId", e.conn_id);
    return true;  // unknown fields are ignored
  }

  bool arg(od::value v) {
    od::object obj;
    if (!as_object(ctx_, v, "arg", obj)) return false;
    ctx_.enter("arg");
    const bool ok = for_each_field(ctx_, obj, [&](std::string_view k, od::value x) {
      if (k == "channel") return ctx_.text(x, "channel", out_.channel);
      if (k == "instId") return ctx_.text(x, "instId", inst_id_);
      return true;
    });
    if (!ok) return false;
    ctx_.leave();
    const std::string_view c = out_.channel.view();
    if (c == "books") channel(MarketMessageKind::kBook, BookChannel::kBooks);
    else if (c == "books5") channel(MarketMessageKind::kBook, BookChannel::kBooks5);
    else if (c == "books-l2-tbt") channel(MarketMessageKind::kBook, BookChannel::kBooksL2Tbt);
    else if (c == "books50-l2-tbt") channel(MarketMessageKind::kBook, BookChannel::kBooks50L2Tbt);
    else if (c == "bbo-tbt") channel(MarketMessageKind::kBbo, BookChannel::kBboTbt);
    else if (c == "trades") kind_ = MarketMessageKind::kTrades;
    else if (c == "tickers") kind_ = MarketMessageKind::kTicker;
    else kind_ = MarketMessageKind::kOther;
    out_.event.channel = out_.channel;
    out_.event.inst_id = inst_id_;
    if (kind_ != MarketMessageKind::kOther) ctx_.set_kind(c);
    return true;
  }
  void channel(MarketMessageKind kind, BookChannel c) {
    kind_ = kind;
    out_.book.channel = c;
  }

  // The instrument of the arg's instId, once per message.
  bool resolve(InstrumentRef& out) {
    if (!resolved_) {
      // Errors name arg.instId, outside the data item being read.
      if (inst_id_.empty()) return ctx_.leave(), ctx_.fail("arg.instId", "missing");
      const auto ref = find_ ? find_(inst_id_.view()) : std::nullopt;
      if (!ref)
        return ctx_.leave(), ctx_.fail("arg.instId", "unknown instrument '" + inst_id_.str() + "'");
      if (!ref->contract_value.is_positive())
        return ctx_.leave(), ctx_.fail("arg.instId", "contract value " +
                                                         ref->contract_value.to_string() + " of '" +
                                                         inst_id_.str() + "' is not positive");
      instrument_ = *ref;
      resolved_ = true;
    }
    out = instrument_;
    return true;
  }

  bool data(od::value v) {
    if (kind_ == MarketMessageKind::kOther) return true;
    od::array arr;
    if (!as_array(ctx_, v, "data", arr)) return false;
    std::size_t i = 0;
    for (auto element : arr) {
      od::value x;
      if (auto e = std::move(element).get(x)) return ctx_.json_fail(indexed("data", i), e);
      od::object obj;
      if (x.get_object().get(obj) != simdjson::SUCCESS &&  // the name built only on failure
          !as_object(ctx_, x, indexed("data", i), obj))
        return false;
      if (kind_ != MarketMessageKind::kTrades && i > 0)
        return ctx_.fail("data", "expected one item, got more");
      ctx_.enter("data", i);
      bool ok = false;
      switch (kind_) {
        case MarketMessageKind::kBook:
        case MarketMessageKind::kBbo: ok = book(obj); break;
        case MarketMessageKind::kTrades: ok = trade(obj); break;
        case MarketMessageKind::kTicker: ok = ticker(obj); break;
        default: ok = true;
      }
      if (!ok) return false;
      ctx_.leave();
      ++i;
    }
    if (i == 0 && kind_ != MarketMessageKind::kTrades) return ctx_.fail("data", "empty");
    return true;
  }

  // ---- books ----------------------------------------------------------------------------------
  bool book(od::object obj) {
    auto& b = out_.book;
    if (!resolve(b.instrument)) return false;
    b.inst_id = inst_id_;
    std::uint32_t seen = 0;
    const bool ok = for_each_field(ctx_, obj, [&](std::string_view k, od::value x) {
      if (k == "asks") return bit(seen, kAsks) && levels(x, "asks", b.asks);
      if (k == "bids") return bit(seen, kBids) && levels(x, "bids", b.bids);
      if (k == "ts") return bit(seen, kTs) && uint_text(ctx_, x, "ts", b.ts);
      if (k == "checksum") {
        std::int64_t c = 0;
        if (!ctx_.i64(x, "checksum", c)) return false;
        if (c < std::numeric_limits<std::int32_t>::min() ||
            c > std::numeric_limits<std::int32_t>::max())
          return ctx_.fail("checksum", "not a signed 32-bit integer: " + std::to_string(c));
        b.checksum = static_cast<std::int32_t>(c);
        return true;
      }
      if (k == "seqId") return seq(x, "seqId", b.seq_id);
      if (k == "prevSeqId") return seq(x, "prevSeqId", b.prev_seq_id);
      return true;
    });
    return ok && check(ctx_, seen, {{kAsks, "asks"}, {kBids, "bids"}, {kTs, "ts"}});
  }

  bool seq(od::value v, std::string_view field, std::optional<std::int64_t>& out) {
    std::int64_t n = 0;
    if (!ctx_.i64(v, field, n)) return false;
    out = n;
    return true;
  }

  // [[px, sz, "0", numOrders], ...] appended to out (cleared before the parse). The hot loop:
  // names for errors are built only on failure.
  bool levels(od::value v, std::string_view field, std::vector<OrderBookLevel>& out) {
    od::array arr;
    if (!as_array(ctx_, v, field, arr)) return false;
    const Decimal contract_value = instrument_.contract_value;
    std::size_t i = 0;
    for (auto element : arr) {
      const auto name = [&](int item) {
        return indexed(field, i) + "[" + std::to_string(item) + "]";
      };
      od::array quad;
      if (auto e = element.get_array().get(quad)) {
        if (e == simdjson::INCORRECT_TYPE)
          return ctx_.fail(indexed(field, i), "expected [px, sz, \"0\", numOrders]");
        return ctx_.json_fail(indexed(field, i), e);
      }
      OrderBookLevel& level = out.emplace_back();
      int n = 0;
      for (auto item : quad) {
        od::value x;
        if (auto e = std::move(item).get(x)) return ctx_.json_fail(indexed(field, i), e);
        if (n == 0 && !level_text(x, [&] { return name(0); }, level.price_text, level.price))
          return false;
        if (n == 1) {
          Decimal contracts;
          if (!level_text(x, [&] { return name(1); }, level.size_text, contracts) ||
              !to_base(ctx_, contracts, contract_value, [&] { return name(1); }, level.quantity))
            return false;
        }
        if (n == 3 && !orders_text(x, [&] { return name(3); }, level.orders)) return false;
        ++n;
      }
      if (n != 4) return ctx_.fail(indexed(field, i), "expected [px, sz, \"0\", numOrders]");
      ++i;
    }
    return true;
  }

  // A level's price or size: its text kept as sent, its value exact.
  template <class Name>
  bool level_text(od::value v, Name&& name, LevelText& text, Decimal& value) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) return ctx_.fail(name(), "expected a string");
    if (!text.assign(s))
      return ctx_.fail(name(), "longer than " + std::to_string(kLevelTextMax) + " characters");
    if (plain_decimal(s, value)) return true;
    const auto d = Decimal::parse(s);
    if (!d) return ctx_.fail(name(), std::string(to_string(d.error())) + " '" + std::string(s) + "'");
    value = *d;
    return true;
  }

  // numOrders: a count as a string ("13").
  template <class Name>
  bool orders_text(od::value v, Name&& name, std::uint32_t& out) {
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
      const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
      if (!s.empty() && r.ec == std::errc{} && r.ptr == s.data() + s.size()) return true;
    }
    return uint_text(ctx_, v, name(), out);  // a JSON number, or the error naming the field
  }

  // ---- trades ---------------------------------------------------------------------------------
  bool trade(od::object obj) {
    PublicTrade& t = out_.trades.emplace_back();  // value-initialised: nothing stale
    if (!resolve(t.instrument)) return false;
    std::uint32_t seen = 0;
    Decimal contracts;
    const bool ok = for_each_field(ctx_, obj, [&](std::string_view k, od::value x) {
      if (k == "instId") return bit(seen, kInstId) && ctx_.text(x, "instId", t.inst_id);
      if (k == "tradeId") return bit(seen, kTradeId) && ctx_.text(x, "tradeId", t.trade_id);
      if (k == "px") return bit(seen, kPx) && ctx_.dec(x, "px", t.price);
      if (k == "sz") return bit(seen, kSz) && ctx_.dec(x, "sz", contracts);
      if (k == "side") return bit(seen, kSide) && side(x, t.taker_side);
      if (k == "ts") return bit(seen, kTs) && uint_text(ctx_, x, "ts", t.ts);
      if (k == "count") {
        std::uint32_t count = 0;
        if (!uint_text(ctx_, x, "count", count)) return false;
        t.count = count;
        return true;
      }
      if (k == "seqId") {
        std::uint64_t s = 0;
        if (!uint_text(ctx_, x, "seqId", s)) return false;
        t.seq_id = s;
      }
      return true;
    });
    if (!ok || !check(ctx_, seen, {{kInstId, "instId"}, {kTradeId, "tradeId"}, {kPx, "px"},
                                   {kSz, "sz"}, {kSide, "side"}, {kTs, "ts"}}))
      return false;
    return same_inst(t.inst_id) &&
           to_base(ctx_, contracts, t.instrument.contract_value, [] { return std::string("sz"); },
                   t.quantity);
  }

  bool side(od::value v, Side& out) {
    std::string_view s;
    if (!ctx_.text(v, "side", s)) return false;
    if (s == "buy") out = Side::kBuy;
    else if (s == "sell") out = Side::kSell;
    else return ctx_.fail("side", "expected buy or sell, got '" + std::string(s) + "'");
    return true;
  }

  // A data item's instId must be the arg's: a push for another instrument is never applied.
  bool same_inst(const InstId& id) {
    if (id == inst_id_) return true;
    return ctx_.fail("instId", "'" + id.str() + "' is not the arg's instId '" + inst_id_.str() + "'");
  }

  // ---- tickers --------------------------------------------------------------------------------
  struct TickerDecimal {
    std::string_view name;
    std::optional<Decimal> Ticker::*member;
    bool size;  // in contracts: converted
  };
  static constexpr TickerDecimal kTickerDecimals[] = {
      {"last", &Ticker::last, false},          {"lastSz", &Ticker::last_size, true},
      {"askPx", &Ticker::ask_price, false},    {"askSz", &Ticker::ask_size, true},
      {"bidPx", &Ticker::bid_price, false},    {"bidSz", &Ticker::bid_size, true},
      {"open24h", &Ticker::open_24h, false},   {"high24h", &Ticker::high_24h, false},
      {"low24h", &Ticker::low_24h, false},     {"vol24h", &Ticker::vol_24h, true},
      {"volCcy24h", &Ticker::vol_ccy_24h, false}, {"sodUtc0", &Ticker::sod_utc0, false},
      {"sodUtc8", &Ticker::sod_utc8, false},
  };

  bool ticker(od::object obj) {
    Ticker& t = out_.ticker;
    t = Ticker{};  // here, not in reset(): only a ticker pays for clearing one
    if (!resolve(t.instrument)) return false;
    std::uint32_t seen = 0;
    const bool ok = for_each_field(ctx_, obj, [&](std::string_view k, od::value x) {
      for (const auto& f : kTickerDecimals)
        if (k == f.name) return ticker_decimal(x, f, t);
      if (k == "instId") return bit(seen, kInstId) && ctx_.text(x, "instId", t.inst_id);
      if (k == "instType") return ctx_.text(x, "instType", t.inst_type);
      if (k == "ts") return bit(seen, kTs) && uint_text(ctx_, x, "ts", t.ts);
      return true;
    });
    return ok && check(ctx_, seen, {{kInstId, "instId"}, {kTs, "ts"}}) && same_inst(t.inst_id);
  }

  bool ticker_decimal(od::value v, const TickerDecimal& f, Ticker& t) {
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS && s.empty()) {
      (t.*f.member).reset();  // "": no value (an empty side)
      return true;
    }
    Decimal d;
    if (!ctx_.dec(v, f.name, d)) return false;
    if (f.size &&
        !to_base(ctx_, d, t.instrument.contract_value, [&] { return std::string(f.name); }, d))
      return false;
    t.*f.member = d;
    return true;
  }

  static bool bit(std::uint32_t& seen, std::uint32_t b) {
    seen |= b;
    return true;
  }
  bool mark(std::uint32_t b) { return bit(seen_, b); }

  Ctx& ctx_;
  const InstrumentFinder& find_;
  MarketMessage& out_;
  MarketMessageKind kind_ = MarketMessageKind::kOther;
  InstId inst_id_;
  InstrumentRef instrument_;
  bool resolved_ = false;
  std::string_view action_;
  std::uint32_t seen_ = 0;
  bool data_pending_ = false;
};

// Output fields a message may leave unset: reset before each parse (vectors keep capacity).
void reset(MarketMessage& m) {
  m.kind = MarketMessageKind::kOther;
  m.channel = {};
  auto& b = m.book;
  b.inst_id = {};
  b.instrument = {};
  b.snapshot = false;
  b.ts = 0;
  b.checksum.reset();
  b.seq_id.reset();
  b.prev_seq_id.reset();
  b.bids.clear();
  b.asks.clear();
  m.trades.clear();
  m.event.event = {};
  m.event.channel = {};
  m.event.inst_id = {};
  m.event.code.reset();
  m.event.msg.clear();
  m.event.conn_id = {};
}

}  // namespace

const char* to_string(BookChannel c) noexcept {
  switch (c) {
    case BookChannel::kBooks: return "books";
    case BookChannel::kBooks5: return "books5";
    case BookChannel::kBooksL2Tbt: return "books-l2-tbt";
    case BookChannel::kBooks50L2Tbt: return "books50-l2-tbt";
    case BookChannel::kBboTbt: return "bbo-tbt";
  }
  return "?";
}

const char* to_string(MarketMessageKind k) noexcept {
  switch (k) {
    case MarketMessageKind::kBook: return "book";
    case MarketMessageKind::kBbo: return "bbo";
    case MarketMessageKind::kTrades: return "trades";
    case MarketMessageKind::kTicker: return "tickers";
    case MarketMessageKind::kEvent: return "event";
    case MarketMessageKind::kPong: return "pong";
    case MarketMessageKind::kOther: return "other";
  }
  return "?";
}

Result<MarketMessageKind, ParseError> parse_market_data(JsonParser& parser, std::string_view text,
                                                        const InstrumentFinder& find,
                                                        MarketMessage& out) {
  if (detail::scan_book(text, find, out)) return MarketMessageKind::kBook;
  return detail::read_market_data(parser, text, find, out);
}

void detail::reset_message(MarketMessage& out) { reset(out); }

Result<MarketMessageKind, ParseError> detail::read_market_data(JsonParser& parser, std::string_view text,
                                                               const InstrumentFinder& find,
                                                               MarketMessage& out) {
  reset(out);
  if (text == "pong") {  // the answer to our "ping": not JSON
    out.kind = MarketMessageKind::kPong;
    return MarketMessageKind::kPong;
  }
  Ctx ctx("market data");
  od::document doc;
  if (auto e = parser.impl().load(text, doc)) {
    ctx.json_fail("", e);
    return Unexpected{std::move(ctx).error()};
  }
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    if (e == simdjson::INCORRECT_TYPE) ctx.fail("", "expected a JSON object or \"pong\"");
    else ctx.json_fail("", e);
    return Unexpected{std::move(ctx).error()};
  }
  MarketReader reader(ctx, find, out);
  if (!reader.object(obj)) return Unexpected{std::move(ctx).error()};
  if (reader.data_pending() && reader.kind() != MarketMessageKind::kOther &&
      !reader.data_again(doc))
    return Unexpected{std::move(ctx).error()};

  const std::uint32_t seen = reader.seen();
  MarketMessageKind kind = reader.kind();
  if (seen & kEvent) {
    kind = MarketMessageKind::kEvent;
  } else if ((seen & kArg) == 0) {
    ctx.fail("arg", "missing (neither a push nor an event)");
    return Unexpected{std::move(ctx).error()};
  } else if (kind != MarketMessageKind::kOther) {
    if (!check(ctx, seen, {{kData, "data"}})) return Unexpected{std::move(ctx).error()};
    if (kind == MarketMessageKind::kBook || kind == MarketMessageKind::kBbo) {
      const BookChannel c = out.book.channel;
      if (c == BookChannel::kBooks5 || c == BookChannel::kBboTbt) {
        out.book.snapshot = true;  // each push is the whole top
      } else if (!reader.has_action()) {
        ctx.fail("action", "missing");
        return Unexpected{std::move(ctx).error()};
      } else if (reader.action() == "snapshot" || reader.action() == "update") {
        out.book.snapshot = reader.action() == "snapshot";
      } else {
        ctx.fail("action", "expected snapshot or update, got '" + std::string(reader.action()) + "'");
        return Unexpected{std::move(ctx).error()};
      }
    }
  }
  out.kind = kind;
  return kind;
}

// ---- into our events ------------------------------------------------------------------------
namespace {
template <class Event>
void chunk_levels(const OrderBookUpdate& m, Event proto, std::vector<Event>& out) {
  out.clear();
  std::uint16_t chunk = 0;
  Event cur = proto;
  cur.instrument = m.instrument.id;
  cur.chunk = 0;
  cur.levels = {};
  const auto push_level = [&](BookSide side, const OrderBookLevel& l) {
    if (cur.levels.size() == kBookChunkLevels) {
      cur.last_chunk = false;
      out.push_back(cur);
      cur.levels = {};
      cur.chunk = ++chunk;
    }
    (void)cur.levels.push_back(BookLevel{side, l.price, l.quantity});
  };
  for (const auto& l : m.bids) push_level(BookSide::kBid, l);
  for (const auto& l : m.asks) push_level(BookSide::kAsk, l);
  cur.last_chunk = true;
  out.push_back(cur);
}
}  // namespace

void to_book_deltas(const OrderBookUpdate& update, BookSequence seq, std::vector<BookDelta>& out) {
  if (seq.seq_id == seq.prev_seq_id) {  // no change: nothing for BookCore (it would be stale)
    out.clear();
    return;
  }
  BookDelta proto;
  proto.first_update_id = seq.prev_seq_id + 1;  // see market_data.hpp
  proto.last_update_id = seq.seq_id;
  proto.prev_update_id = seq.prev_seq_id;
  chunk_levels(update, proto, out);
}

void to_book_snapshots(const OrderBookUpdate& snapshot, std::uint64_t seq_id,
                       std::vector<BookSnapshot>& out) {
  BookSnapshot proto;
  proto.last_update_id = seq_id;
  chunk_levels(snapshot, proto, out);
}

TradePrinted to_trade_printed(const PublicTrade& t) {
  TradePrinted p;
  p.instrument = t.instrument.id;
  p.trade_id = t.trade_id;
  p.price = t.price;
  p.quantity = t.quantity;
  p.aggressor = t.taker_side;
  return p;
}

std::optional<BestBidOffer> to_best_bid_offer(const OrderBookUpdate& bbo) {
  if (bbo.bids.empty() || bbo.asks.empty()) return std::nullopt;
  const std::uint64_t id = bbo.seq_id && *bbo.seq_id >= 0
                               ? static_cast<std::uint64_t>(*bbo.seq_id)
                               : bbo.ts;
  return BestBidOffer{bbo.instrument.id, id, bbo.bids.front().price, bbo.bids.front().quantity,
                      bbo.asks.front().price, bbo.asks.front().quantity};
}

std::optional<BestBidOffer> to_best_bid_offer(const Ticker& t) {
  if (!t.bid_price || !t.bid_size || !t.ask_price || !t.ask_size) return std::nullopt;
  return BestBidOffer{t.instrument.id, t.ts, *t.bid_price, *t.bid_size, *t.ask_price,
                      *t.ask_size};
}

}  // namespace oms::okx
