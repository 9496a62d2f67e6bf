// Upbit's private WebSocket (myOrder, myAsset) -> our events (private_data.hpp). simdjson
// on-demand: the numbers are doubles in the message and must be read from their text, which the
// DOM does not keep. One pass collects each field's text under its DEFAULT or SIMPLE name; the
// events are built from them once the type is known.
#include <array>

#include "../json_detail.hpp"
#include "figures.hpp"
#include "oms/connectors/upbit/private_data.hpp"

namespace oms::upbit {
namespace {

using venue::as_array;
using venue::as_object;
using venue::Ctx;
using venue::for_each_field;
using venue::indexed;
namespace od = simdjson::ondemand;

constexpr TimeNs kNsPerMs = 1'000'000;

enum F : std::uint8_t {
  kType, kCode, kUuid, kAskBid, kOrderType, kState, kTradeUuid, kPrice, kAvgPrice, kVolume,
  kRemainingVolume, kExecutedVolume, kTradesCount, kPaidFee, kTradeFee, kIsMaker, kIdentifier,
  kTimeInForce, kTradeTimestamp, kTimestamp, kAssetTimestamp, kAssets, kStatus, kError, kCount,
};
struct Name {
  std::string_view full, simple;
};
// clang-format off
constexpr std::array<Name, kCount> kNames = {{
  {"type", "ty"}, {"code", "cd"}, {"uuid", "uid"}, {"ask_bid", "ab"}, {"order_type", "ot"},
  {"state", "s"}, {"trade_uuid", "tuid"}, {"price", "p"}, {"avg_price", "ap"}, {"volume", "v"},
  {"remaining_volume", "rv"}, {"executed_volume", "ev"}, {"trades_count", "tc"},
  {"paid_fee", "pf"}, {"trade_fee", "tf"}, {"is_maker", "im"}, {"identifier", "id"},
  {"time_in_force", "tif"}, {"trade_timestamp", "ttms"}, {"timestamp", "tms"},
  {"asset_timestamp", "asttms"}, {"assets", "ast"}, {"status", "status"}, {"error", "error"},
}};
// clang-format on

// A scalar field as sent: a string's content or a number's / literal's token.
struct Slot {
  std::string_view text;
  bool present = false, null = false;
};

struct Asset {
  std::string_view currency, balance, locked;
  std::size_t index = 0;
};

class Reader {
 public:
  Reader(Ctx& ctx, PrivateMessage& out) : ctx_(ctx), out_(out) {}

  bool object(od::object obj) {
    return for_each_field(ctx_, obj, [&](std::string_view k, od::value v) { return field(k, v); });
  }

  std::array<Slot, kCount> slots;
  std::vector<Asset> assets;
  bool simple = false;

  // The name of field f in the message's format.
  [[nodiscard]] std::string_view key(F f) const { return simple ? kNames[f].simple : kNames[f].full; }

 private:
  bool field(std::string_view k, od::value v) {
    for (std::size_t i = 0; i < kCount; ++i) {
      const bool full = k == kNames[i].full;
      if (!full && k != kNames[i].simple) continue;
      const auto f = static_cast<F>(i);
      if (f == kType) simple = !full;
      if (f == kAssets) return read_assets(v, k, !full);
      if (f == kError) return read_error(v);
      if (!scalar(v, k, slots[i])) return false;
      if (f == kType && !slots[i].text.empty()) ctx_.set_kind(slots[i].text);  // errors say myOrder.*
      return true;
    }
    return true;  // unknown fields are ignored
  }

  bool scalar(od::value v, std::string_view k, Slot& out) {
    out.present = true;
    od::json_type t;
    if (auto e = v.type().get(t)) return ctx_.json_fail(k, e);
    switch (t) {
      case od::json_type::string:
        return ctx_.text(v, k, out.text);
      case od::json_type::null:
        out.null = true;
        return true;
      case od::json_type::number:
      case od::json_type::boolean: {
        std::string_view raw = v.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                                raw.back() == '\t'))
          raw.remove_suffix(1);
        out.text = raw;
        return true;
      }
      default: return ctx_.fail(k, "expected a number, a string or null");
    }
  }

  bool read_assets(od::value v, std::string_view k, bool short_names) {
    slots[kAssets].present = true;
    od::array arr;
    if (!as_array(ctx_, v, k, arr)) return false;
    std::size_t i = 0;
    for (auto element : arr) {
      od::value x;
      if (auto e = std::move(element).get(x)) return ctx_.json_fail(indexed(k, i), e);
      od::object obj;
      if (!as_object(ctx_, x, indexed(k, i), obj)) return false;
      Asset a;
      a.index = i;
      Slot cu, b, l;
      const bool ok = for_each_field(ctx_, obj, [&](std::string_view f, od::value y) {
        const std::string at = indexed(k, i) + "." + std::string(f);
        if (f == (short_names ? "cu" : "currency")) return scalar(y, at, cu);
        if (f == (short_names ? "b" : "balance")) return scalar(y, at, b);
        if (f == (short_names ? "l" : "locked")) return scalar(y, at, l);
        return true;
      });
      if (!ok) return false;
      const auto need = [&](const Slot& s, std::string_view name, std::string_view& out) {
        if (!s.present || s.null || s.text.empty())
          return ctx_.missing(indexed(k, i) + "." + std::string(name));
        out = s.text;
        return true;
      };
      if (!need(cu, short_names ? "cu" : "currency", a.currency) ||
          !need(b, short_names ? "b" : "balance", a.balance) ||
          !need(l, short_names ? "l" : "locked", a.locked))
        return false;
      assets.push_back(a);
      ++i;
    }
    return true;
  }

  bool read_error(od::value v) {
    slots[kError].present = true;
    od::object obj;
    if (!as_object(ctx_, v, "error", obj)) return false;
    return for_each_field(ctx_, obj, [&](std::string_view f, od::value y) {
      std::string_view s;
      if (f == "name") return ctx_.text(y, "error.name", s) && (out_.error_name.assign(s), true);
      if (f == "message") return ctx_.text(y, "error.message", s) && (out_.error_message.assign(s), true);
      return true;
    });
  }

  Ctx& ctx_;
  PrivateMessage& out_;
};

// ---- building the events ------------------------------------------------------------------------

class Builder {
 public:
  Builder(Ctx& ctx, const Reader& r, const AccountContext& account, PrivateMessage& out)
      : ctx_(ctx), r_(r), account_(account), out_(out) {}

  [[nodiscard]] bool has(F f) const { return r_.slots[f].present && !r_.slots[f].null; }

  bool text(F f, std::string_view& out) {
    if (!has(f) || r_.slots[f].text.empty()) return ctx_.missing(r_.key(f));
    out = r_.slots[f].text;
    return true;
  }
  bool exact(F f, Decimal& out) {
    std::string_view t;
    if (!text(f, t)) return false;
    const auto d = Decimal::parse(t);
    if (!d) return ctx_.fail(r_.key(f), std::string(to_string(d.error())) + " '" + std::string(t) + "'");
    out = *d;
    return true;
  }
  // A figure rounded the safe way (private_data.hpp), noted when digits were cut.
  bool rounded(F f, Rounding mode, Decimal& out) {
    std::string_view t;
    if (!text(f, t)) return false;
    return rounded_text(t, r_.key(f), mode, out);
  }
  bool rounded_text(std::string_view t, std::string_view name, Rounding mode, Decimal& out) {
    bool cut = false;
    const auto d = detail::round_text(t, mode, cut);
    if (!d) return ctx_.fail(name, "not a decimal that fits '" + std::string(t) + "'");
    out = *d;
    if (cut)
      out_.notes.push_back(std::string(ctx_.kind()) + "." + std::string(name) + ": '" + std::string(t) +
                           "' rounded to " + out.to_string() + " (more than 9 decimals)");
    return true;
  }
  bool millis(F f, TimeNs& out) {
    std::string_view t;
    if (!text(f, t)) return false;
    std::int64_t ms = 0;
    const auto res = std::from_chars(t.data(), t.data() + t.size(), ms);
    if (res.ec != std::errc{} || res.ptr != t.data() + t.size() || ms < 0)
      return ctx_.fail(r_.key(f), "expected milliseconds, got '" + std::string(t) + "'");
    out = ms * kNsPerMs;
    return true;
  }

  bool my_order() {
    std::string_view code, uuid, state, ask_bid;
    if (!text(kCode, code) || !text(kUuid, uuid) || !text(kState, state) || !text(kAskBid, ask_bid))
      return false;
    const Instrument* inst = account_.find ? account_.find(code) : nullptr;
    if (inst == nullptr) {
      out_.skipped.push_back("myOrder " + std::string(uuid) + ": code " + std::string(code) +
                             " is not a configured instrument");
      return true;
    }
    Side side = Side::kBuy;
    if (ask_bid == "ASK") side = Side::kSell;
    else if (ask_bid != "BID")
      return ctx_.fail(r_.key(kAskBid), "expected ASK or BID, got '" + std::string(ask_bid) + "'");
    ClientOrderIdText cid;
    if (has(kIdentifier) && !cid.assign(r_.slots[kIdentifier].text))
      return ctx_.fail(r_.key(kIdentifier), "longer than a client order id (36)");
    VenueOrderId venue_id;
    if (!venue_id.assign(uuid)) return ctx_.fail(r_.key(kUuid), "too long");
    TimeNs at = 0;
    if (!millis(kTimestamp, at)) return false;
    Decimal cum, avg;
    if (has(kExecutedVolume) && !exact(kExecutedVolume, cum)) return false;
    if (has(kAvgPrice) && !rounded(kAvgPrice, Rounding::kHalfEven, avg)) return false;
    const InstrumentId id = inst->id;
    const AccountId acc = account_.account;
    VenueEvent ev{at, std::string(uuid), {}};
    if (state == "wait" || state == "watch") {
      ev.payload = OrderAccepted{acc, id, cid, venue_id};
    } else if (state == "trade") {
      if (!fill(code, uuid, side, cid, id, cum)) return false;
      Decimal leaves;
      if (has(kRemainingVolume)) {
        if (!exact(kRemainingVolume, leaves)) return false;
        if (leaves.is_zero()) return true;  // the done message says filled
      }
      ev.payload = OrderPartiallyFilled{acc, id, cid, cum, leaves, avg};
    } else if (state == "done") {
      ev.payload = OrderFilled{acc, id, cid, cum, avg};
    } else if (state == "cancel") {
      if (canceled_by_user()) ev.payload = OrderCanceled{acc, id, cid, cum};
      else ev.payload = OrderExpired{acc, id, cid, cum};
    } else if (state == "prevented") {
      ev.payload = OrderExpired{acc, id, cid, cum};
    } else {
      return ctx_.fail(r_.key(kState), "'" + std::string(state) +
                                           "' is not wait, watch, trade, done, cancel or prevented");
    }
    out_.events.push_back(std::move(ev));
    return true;
  }

  bool my_asset() {
    TimeNs at = 0;
    if (!millis(has(kAssetTimestamp) ? kAssetTimestamp : kTimestamp, at)) return false;
    if (!r_.slots[kAssets].present) return ctx_.missing(r_.key(kAssets));
    for (const Asset& a : r_.assets) {
      const std::string where = indexed(r_.key(kAssets), a.index) + ".";
      BalanceUpdated b;
      b.account = account_.account;
      b.exchange = ExchangeId::kUpbit;
      b.market = Market::kSpot;
      if (!b.asset.assign(a.currency))
        return ctx_.fail(where + (r_.simple ? "cu" : "currency"), "longer than an asset code");
      if (!rounded_text(a.balance, where + (r_.simple ? "b" : "balance"), Rounding::kDown, b.free) ||
          !rounded_text(a.locked, where + (r_.simple ? "l" : "locked"), Rounding::kUp, b.locked))
        return false;
      out_.events.push_back(VenueEvent{at, {}, b});
    }
    return true;
  }

 private:
  // A cancel is the user's for a limit order without ioc / fok; the venue ends the rest of
  // ioc / fok orders and of market (price, market) and best orders itself.
  [[nodiscard]] bool canceled_by_user() const {
    const std::string_view type = has(kOrderType) ? r_.slots[kOrderType].text : "";
    const std::string_view tif = has(kTimeInForce) ? r_.slots[kTimeInForce].text : "";
    return (type == "limit" || type.empty()) && tif != "ioc" && tif != "fok";
  }

  bool fill(std::string_view code, std::string_view uuid, Side side, const ClientOrderIdText& cid,
            InstrumentId id, Decimal cum) {
    FillReceived f;
    f.account = account_.account;
    f.instrument = id;
    f.client_order_id = cid;
    f.side = side;
    std::string_view trade_id;
    if (!text(kTradeUuid, trade_id)) return false;
    if (!f.trade_id.assign(trade_id)) return ctx_.fail(r_.key(kTradeUuid), "too long");
    if (!exact(kPrice, f.price) || !exact(kVolume, f.quantity)) return false;
    if (!f.quantity.is_positive()) return ctx_.fail(r_.key(kVolume), "not positive for a trade");
    // trade_fee is this trade's; messages before it was added carry only the order's paid_fee,
    // which is this trade's when it is the order's first.
    if (has(kTradeFee)) {
      if (!rounded(kTradeFee, Rounding::kUp, f.fee)) return false;
    } else if (has(kPaidFee) && cum == f.quantity) {
      if (!rounded(kPaidFee, Rounding::kUp, f.fee)) return false;
    } else {
      return ctx_.missing(r_.key(kTradeFee));
    }
    if (!f.fee_asset.assign(detail::quote_of(code)) || f.fee_asset.empty())
      return ctx_.fail(r_.key(kCode), "no quote currency in '" + std::string(code) + "'");
    if (has(kIsMaker)) {
      const std::string_view m = r_.slots[kIsMaker].text;
      if (m != "true" && m != "false") return ctx_.fail(r_.key(kIsMaker), "expected true or false");
      f.liquidity = m == "true" ? Liquidity::kMaker : Liquidity::kTaker;
    } else {
      out_.notes.push_back("myOrder " + std::string(uuid) + ": no is_maker, taker assumed");
    }
    TimeNs at = 0;
    if (!millis(has(kTradeTimestamp) ? kTradeTimestamp : kTimestamp, at)) return false;
    out_.events.push_back(VenueEvent{at, std::string(uuid), f});
    return true;
  }

  Ctx& ctx_;
  const Reader& r_;
  const AccountContext& account_;
  PrivateMessage& out_;
};

}  // namespace

Result<PrivateKind, ParseError> parse_private(venue::JsonParser& parser, std::string_view message,
                                              const AccountContext& account, PrivateMessage& out) {
  out = PrivateMessage{};
  Ctx ctx("private");
  od::document doc;
  if (auto e = parser.impl().load(message, doc)) {
    ctx.json_fail("", e);
    return Unexpected{std::move(ctx).error()};
  }
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    if (e == simdjson::INCORRECT_TYPE) ctx.fail("", "expected a JSON object (format DEFAULT or SIMPLE)");
    else ctx.json_fail("", e);
    return Unexpected{std::move(ctx).error()};
  }
  Reader reader(ctx, out);
  if (!reader.object(obj)) return Unexpected{std::move(ctx).error()};
  const auto& type = reader.slots[kType];
  if (reader.slots[kError].present) {
    if (out.error_name.empty()) {
      ctx.missing("error.name");
      return Unexpected{std::move(ctx).error()};
    }
    return out.kind = PrivateKind::kError;
  }
  if (!type.present && reader.slots[kStatus].present) return out.kind = PrivateKind::kStatus;
  if (!type.present || type.text.empty()) {
    ctx.missing("type");
    return Unexpected{std::move(ctx).error()};
  }
  out.type.assign(type.text);
  ctx.set_kind(out.type);
  Builder build(ctx, reader, account, out);
  bool ok = true;
  if (out.type == "myOrder") {
    out.kind = PrivateKind::kMyOrder;
    ok = build.my_order();
  } else if (out.type == "myAsset") {
    out.kind = PrivateKind::kMyAsset;
    ok = build.my_asset();
  } else {
    out.kind = PrivateKind::kOther;
  }
  if (!ok) return Unexpected{std::move(ctx).error()};
  return out.kind;
}

}  // namespace oms::upbit
