// OKX v5 private WebSocket channels and account REST answers -> our events (private_data.hpp).
#include <simdjson.h>

#include <optional>

#include "parse_internal.hpp"

namespace oms::okx {
namespace {

using venue::dom::array;
using venue::dom::as_array;
using venue::dom::as_object;
using venue::dom::element;
using venue::dom::Fail;
using venue::dom::Item;
using venue::dom::object;

constexpr TimeNs kNsPerMs = 1'000'000;

// instType -> our market; false for one we do not trade (MARGIN, FUTURES, OPTION).
bool market_of(std::string_view inst_type, Market& m) {
  if (inst_type == "SPOT") m = Market::kSpot;
  else if (inst_type == "SWAP") m = Market::kUsdm;
  else return false;
  return true;
}

Side side_of(const Item& it) {
  const std::string s = it.text("side");
  if (s == "buy") return Side::kBuy;
  if (s == "sell") return Side::kSell;
  throw Fail{it.where() + ".side: '" + s + "' is not buy or sell"};
}

// clOrdId; an order an algo order placed at its trigger has none and carries the algo's
// algoClOrdId instead: ours under that id (private_data.hpp).
ClientOrderIdText client_id(const Item& it) {
  ClientOrderIdText id;
  std::string cl = it.text("clOrdId", false);
  const char* field = ".clOrdId";
  if (cl.empty()) {
    cl = it.text("algoClOrdId", false);
    field = ".algoClOrdId";
  }
  if (!id.assign(cl)) throw Fail{it.where() + field + ": longer than a client order id"};
  return id;
}

VenueOrderId venue_id(const std::string& id, const Item& it) {
  VenueOrderId v;
  if (!v.assign(id)) throw Fail{it.where() + ".ordId: too long"};
  return v;
}

// Contracts (or base units on spot) -> base units, exactly.
Decimal base_qty(Decimal size, const InstrumentEntry& ref, const Item& it, std::string_view field) {
  if (ref.contract_value.raw() == Decimal::kOne) return size;
  const auto q = size.mul(ref.contract_value, Rounding::kExact);
  if (!q) throw Fail{it.where() + "." + std::string(field) + ": " + size.to_string() + " contracts x " +
                     ref.contract_value.to_string() + ": " + to_string(q.error())};
  return *q;
}

// A figure as the venue wrote it; more than 9 decimals (OKX sends up to 18 on balances, 12 on
// fees) rounded -- away from zero (fees: never less than charged) or toward it (balances: never
// more than held) -- with a note (see private_data.hpp); anything else malformed an error.
Decimal rounded(const Item& it, std::string_view field, bool away_from_zero, std::vector<std::string>& notes,
                bool required = false) {
  const std::string text = it.text(field, required);
  if (text.empty()) {
    if (required) throw Fail{it.where() + "." + std::string(field) + ": empty"};
    return Decimal{};
  }
  if (const auto d = Decimal::parse(text)) return *d;
  else if (d.error() != DecimalError::kTooPrecise) {
    throw Fail{it.where() + "." + std::string(field) + ": " + to_string(d.error()) + " '" + text + "'"};
  }
  const std::size_t keep = text.find('.') + 1 + static_cast<std::size_t>(Decimal::kScale);
  const auto cut = Decimal::parse(std::string_view(text).substr(0, keep));
  if (!cut) throw Fail{it.where() + "." + std::string(field) + ": " + to_string(cut.error()) + " '" + text + "'"};
  Decimal value = *cut;
  const bool rest_nonzero = text.find_first_not_of('0', keep) != std::string::npos;
  if (rest_nonzero && away_from_zero) value = Decimal::from_raw(value.raw() + (text.front() == '-' ? -1 : 1));
  notes.push_back(it.where() + "." + std::string(field) + ": '" + text + "' rounded to " + value.to_string() +
                  " (more than 9 decimals)");
  return value;
}
Decimal fee_of(const Item& it, std::string_view field, std::vector<std::string>& notes) {
  return rounded(it, field, true, notes);
}

Decimal negate(Decimal d) { return Decimal::from_raw(-d.raw()); }

// cancelSource 1 is the user's own cancel; every other source is the venue ending the order.
bool canceled_by_user(const Item& it) { return it.text("cancelSource", false) == "1"; }

OrderStatus status_of(const std::string& s, const Item& it) {
  if (s == "live") return OrderStatus::kAccepted;
  if (s == "partially_filled") return OrderStatus::kPartiallyFilled;
  if (s == "filled") return OrderStatus::kFilled;
  if (s == "canceled" || s == "mmp_canceled") return canceled_by_user(it) ? OrderStatus::kCanceled : OrderStatus::kExpired;
  throw Fail{it.where() + ".state: '" + s + "' is not a v5 order state"};
}

}  // namespace

std::optional<InstrumentEntry> detail::instrument_of(const Item& it, const AccountContext& ctx,
                                                   std::vector<std::string>& skipped, bool check_market) {
  const std::string type = it.text("instType", false);
  Market m = ctx.market;
  if (!type.empty() && !market_of(type, m)) {
    skipped.push_back(it.where() + ": instType " + type + " is not traded here");
    return std::nullopt;
  }
  if (check_market && m != ctx.market) {
    skipped.push_back(it.where() + ": instType " + type + " belongs to the other market's connection");
    return std::nullopt;
  }
  const std::string inst = it.text("instId");
  InstrumentEntry ref = ctx.find ? ctx.find(inst) : InstrumentEntry{};
  if (ref.instrument == nullptr) {
    skipped.push_back(it.where() + ": instId " + inst + " is not a configured instrument");
    return std::nullopt;
  }
  if (!ref.contract_value.is_positive()) throw Fail{it.where() + ".instId: " + inst + " has no contract value"};
  return ref;
}

namespace {

using detail::instrument_of;

// The fill an orders item carries (fillSz > 0), or nullopt.
std::optional<VenueEvent> fill_of(const Item& it, const InstrumentEntry& ref, const AccountContext& ctx,
                                  std::vector<std::string>& notes) {
  const Decimal fill_size = it.decimal("fillSz", false);
  if (!fill_size.is_positive()) return std::nullopt;
  FillReceived f;
  f.account = ctx.account;
  f.instrument = ref.instrument->id;
  f.client_order_id = client_id(it);
  if (!f.trade_id.assign(it.text("tradeId"))) throw Fail{it.where() + ".tradeId: too long"};
  f.side = side_of(it);
  f.price = it.decimal("fillPx");
  f.quantity = base_qty(fill_size, ref, it, "fillSz");
  // fillFee is this fill's; older messages carry only the order's accumulated fee, which is
  // this fill's when it is the order's first.
  std::string fee_field = "fillFee", ccy_field = "fillFeeCcy";
  if (it.text("fillFee", false).empty()) {
    if (it.decimal("accFillSz", false) != fill_size) throw Fail{it.where() + ".fillFee: missing for a later fill"};
    fee_field = "fee";
    ccy_field = "feeCcy";
  }
  f.fee = negate(fee_of(it, fee_field, notes));
  const std::string ccy = it.text(ccy_field, false);
  if (!ccy.empty() && !f.fee_asset.assign(ccy)) throw Fail{it.where() + "." + ccy_field + ": too long"};
  if (ccy.empty() && !f.fee.is_zero()) throw Fail{it.where() + "." + ccy_field + ": missing for a fee"};
  const std::string exec = it.text("execType", false);
  f.liquidity = exec == "M" ? Liquidity::kMaker : Liquidity::kTaker;
  VenueEvent ev;
  ev.venue_order_id = it.text("ordId");
  const std::string when = it.text("fillTime", false);
  ev.venue_time = it.millis(when.empty() ? "uTime" : "fillTime");
  ev.payload = f;
  return ev;
}

// The order's size in base units and what is left of it; leaves unknown (zero) for a spot
// market order sized in the quote currency (tgtCcy quote_ccy).
Decimal leaves_of(const Item& it, const InstrumentEntry& ref, Decimal cum) {
  if (it.text("tgtCcy", false) == "quote_ccy") return Decimal{};
  const Decimal size = base_qty(it.decimal("sz"), ref, it, "sz");
  return size > cum ? Decimal::from_raw(size.raw() - cum.raw()) : Decimal{};
}

void order_events(const Item& it, const InstrumentEntry& ref, const AccountContext& ctx, PrivateMessage& out) {
  if (auto fill = fill_of(it, ref, ctx, out.notes)) out.events.push_back(std::move(*fill));
  VenueEvent ev;
  ev.venue_order_id = it.text("ordId");
  ev.venue_time = it.millis("uTime");
  const ClientOrderIdText cid = client_id(it);
  const InstrumentId id = ref.instrument->id;
  const Decimal cum = base_qty(it.decimal("accFillSz", false), ref, it, "accFillSz");
  const Decimal avg = it.decimal("avgPx", false);
  switch (status_of(it.text("state"), it)) {
    case OrderStatus::kAccepted:
      ev.payload = OrderAccepted{ctx.account, id, cid, venue_id(ev.venue_order_id, it)};
      break;
    case OrderStatus::kPartiallyFilled:
      ev.payload = OrderPartiallyFilled{ctx.account, id, cid, cum, leaves_of(it, ref, cum), avg};
      break;
    case OrderStatus::kFilled:
      ev.payload = OrderFilled{ctx.account, id, cid, cum, avg};
      break;
    case OrderStatus::kCanceled:
      ev.payload = OrderCanceled{ctx.account, id, cid, cum};
      break;
    default:
      ev.payload = OrderExpired{ctx.account, id, cid, cum};
      break;
  }
  out.events.push_back(std::move(ev));
  // An amendment's outcome: done (the order's price and total size now), or failed -- after
  // the venue had taken the request -- which the connector answers with a query.
  const std::string amend = it.text("amendResult", false);
  if (amend == "0") {
    VenueEvent am;
    am.venue_order_id = it.text("ordId");
    am.venue_time = it.millis("uTime");
    am.payload = OrderAmended{ctx.account, id, cid, it.decimal("px", false), base_qty(it.decimal("sz"), ref, it, "sz")};
    out.events.push_back(std::move(am));
  } else if (amend == "-1" || amend == "1") {
    out.amend_failed.push_back(AmendFailure{id, cid});
  }
}

// One currency's balance: free never more than the venue holds for us, locked never less.
BalanceUpdated balance_of(const Item& it, const AccountContext& ctx, std::vector<std::string>& notes) {
  BalanceUpdated b;
  b.account = ctx.account;
  b.exchange = ExchangeId::kOkx;
  b.market = ctx.market;
  if (!b.asset.assign(it.text("ccy"))) throw Fail{it.where() + ".ccy: too long"};
  b.locked = rounded(it, "frozenBal", true, notes);
  if (!it.text("availBal", false).empty()) {
    b.free = rounded(it, "availBal", false, notes);
  } else {
    const Decimal cash = rounded(it, "cashBal", false, notes, true);
    b.free = cash > b.locked ? Decimal::from_raw(cash.raw() - b.locked.raw()) : Decimal{};
  }
  return b;
}

PositionUpdated position_of(const Item& it, const InstrumentEntry& ref, const AccountContext& ctx) {
  PositionUpdated p;
  p.account = ctx.account;
  p.instrument = ref.instrument->id;
  const std::string side = it.text("posSide", false);
  if (side == "long") p.position_side = PositionSide::kLong;
  else if (side == "short") p.position_side = PositionSide::kShort;
  else if (side == "net" || side.empty()) p.position_side = PositionSide::kBoth;
  else throw Fail{it.where() + ".posSide: '" + side + "' is not net, long or short"};
  const Decimal pos = base_qty(it.decimal("pos", false), ref, it, "pos");
  // Hedge legs: OKX signs a short leg's pos positive already; ours are positive too.
  p.size = p.position_side == PositionSide::kBoth ? pos : (pos.is_negative() ? negate(pos) : pos);
  p.entry_price = it.decimal("avgPx", false);
  const Decimal lev = it.decimal("lever", false);
  if (!lev.is_zero()) {
    const Int128 whole = lev.raw() / Decimal::kOne;
    if (whole * Decimal::kOne != lev.raw() || whole > UINT16_MAX)
      throw Fail{it.where() + ".lever: " + lev.to_string() + " is not a whole leverage we record"};
    p.leverage = static_cast<std::uint16_t>(whole);
  }
  const std::string mode = it.text("mgnMode", false);
  p.margin_type = mode == "isolated" ? MarginType::kIsolated : MarginType::kCross;
  if (p.margin_type == MarginType::kIsolated) p.isolated_margin = it.decimal("margin", false);
  p.unrealized_pnl = it.decimal("upl", false);
  p.realized_pnl = it.decimal("realizedPnl", false);
  return p;
}

// ---- REST envelope ---------------------------------------------------------------------------

std::int32_t code_number(std::string_view code) {
  std::int32_t n = 0;
  const auto r = std::from_chars(code.data(), code.data() + code.size(), n);
  return r.ec == std::errc{} && r.ptr == code.data() + code.size() ? n : -1;
}

}  // namespace

Result<Unit, RestError> detail::open(Envelope& env, std::string_view body, std::string_view what) {
  env.padded = simdjson::padded_string(body);
  if (auto e = env.parser.parse(env.padded).get(env.doc); e != simdjson::SUCCESS)
    return Unexpected{RestError{false, {}, std::string(what) + ": malformed JSON: " + simdjson::error_message(e)}};
  std::string_view code;
  if (env.doc["code"].get_string().get(code) != simdjson::SUCCESS)
    return Unexpected{RestError{false, {}, std::string(what) + ".code: missing"}};
  const bool has_data = env.doc["data"].get_array().get(env.data) == simdjson::SUCCESS;
  if (code != "0") {
    std::string_view msg;
    if (env.doc["msg"].get_string().get(msg) != simdjson::SUCCESS) msg = "";
    VenueRefusal refusal{code_number(code), std::string(msg)};
    if (has_data && env.data.size() == 1) {
      std::string_view s_code, s_msg;
      object item;
      if ((*env.data.begin()).get_object().get(item) == simdjson::SUCCESS &&
          item["sCode"].get_string().get(s_code) == simdjson::SUCCESS && s_code != "0" && !s_code.empty()) {
        if (item["sMsg"].get_string().get(s_msg) != simdjson::SUCCESS) s_msg = "";
        refusal = VenueRefusal{code_number(s_code), std::string(s_msg)};
      }
    }
    std::string message = std::string(what) + ": code " + std::to_string(refusal.code) + ": " + refusal.msg;
    return Unexpected{RestError{true, std::move(refusal), std::move(message)}};
  }
  if (!has_data) return Unexpected{RestError{false, {}, std::string(what) + ".data: expected an array"}};
  return Unit{};
}

RestError detail::rest_fail(const Fail& f) { return RestError{false, {}, f.message}; }

VenueRefusal detail::item_refusal(const Item& it) {
  const std::string code = it.text("sCode", false);
  if (code.empty() || code == "0") return {};
  return VenueRefusal{code_number(code), it.text("sMsg", false)};
}

namespace {

using detail::Envelope;
using detail::item_refusal;
using detail::open;
using detail::rest_fail;

OrderStatusReconciled reconciled_of(const Item& it, const InstrumentEntry& ref, const AccountContext& ctx) {
  OrderStatusReconciled r;
  r.account = ctx.account;
  r.instrument = ref.instrument->id;
  r.client_order_id = client_id(it);
  r.venue_order_id = venue_id(it.text("ordId"), it);
  r.status = status_of(it.text("state"), it);
  r.cum_qty = base_qty(it.decimal("accFillSz", false), ref, it, "accFillSz");
  r.avg_price = it.decimal("avgPx", false);
  return r;
}

}  // namespace

Result<PrivateKind, ParseError> parse_private(std::string_view message, const AccountContext& ctx, PrivateMessage& out) {
  out = PrivateMessage{};
  if (message == "pong") return out.kind = PrivateKind::kPong;
  simdjson::dom::parser parser;
  element doc;
  if (auto e = parser.parse(message.data(), message.size()).get(doc); e != simdjson::SUCCESS)
    return Unexpected{ParseError{std::string("private: malformed JSON: ") + simdjson::error_message(e)}};
  try {
    const object root = as_object(doc, "private");
    std::string_view event;
    if (root["event"].get_string().get(event) == simdjson::SUCCESS) {
      const Item reply(root, std::string(event));
      out.code = reply.text("code", false);
      out.msg = reply.text("msg", false);
      if (event == "login") out.kind = PrivateKind::kLogin;
      else if (event == "subscribe") out.kind = PrivateKind::kSubscribe;
      else if (event == "error") out.kind = PrivateKind::kError;
      else out.kind = PrivateKind::kOther;  // unsubscribe, notice, channel-conn-count ...
      // A subscribe ack names the channel it subscribed: the stream is live for it from here.
      if (object ack; root["arg"].get_object().get(ack) == simdjson::SUCCESS) {
        std::string_view channel;
        if (ack["channel"].get_string().get(channel) == simdjson::SUCCESS) out.channel = channel;
      }
      return out.kind;
    }
    object arg;
    if (root["arg"].get_object().get(arg) != simdjson::SUCCESS) throw Fail{"private.arg: missing"};
    const Item args(arg, "private.arg");
    out.channel = args.text("channel");
    if (out.channel == "orders") out.kind = PrivateKind::kOrders;
    else if (out.channel == "account") out.kind = PrivateKind::kAccount;
    else if (out.channel == "positions") out.kind = PrivateKind::kPositions;
    else if (out.channel == "orders-algo") out.kind = PrivateKind::kOrdersAlgo;
    else return out.kind = PrivateKind::kOther;
    std::size_t i = 0;
    for (element e : as_array(root, "data", out.channel)) {
      const std::string at = out.channel + ".data[" + std::to_string(i++) + "]";
      const Item it(as_object(e, at), at);
      if (out.kind == PrivateKind::kAccount) {
        const TimeNs at_time = it.millis("uTime");
        std::size_t j = 0;
        for (element c : as_array(as_object(e, at), "details", at)) {
          const std::string cat = at + ".details[" + std::to_string(j++) + "]";
          out.events.push_back(VenueEvent{at_time, {}, balance_of(Item(as_object(c, cat), cat), ctx, out.notes)});
        }
        continue;
      }
      const auto ref = instrument_of(it, ctx, out.skipped);
      if (!ref) continue;
      if (out.kind == PrivateKind::kOrders) {
        order_events(it, *ref, ctx, out);
      } else if (out.kind == PrivateKind::kOrdersAlgo) {
        out.algos.push_back(detail::algo_item(it, *ref));
      } else {
        VenueEvent ev;
        ev.venue_time = it.millis("uTime");
        ev.payload = position_of(it, *ref, ctx);
        out.events.push_back(std::move(ev));
      }
    }
  } catch (const Fail& f) {
    return Unexpected{ParseError{f.message}};
  }
  return out.kind;
}

Result<Unit, RestError> parse_envelope(std::string_view body) {
  Envelope env;
  return open(env, body, "answer");
}

Result<std::int64_t, RestError> parse_server_time(std::string_view body) {
  Envelope env;
  if (auto o = open(env, body, "time"); !o) return Unexpected{o.error()};
  try {
    if (env.data.size() != 1) throw Fail{"time.data: expected one item"};
    const Item it(as_object(*env.data.begin(), "time.data[0]"), "time.data[0]");
    return it.millis("ts") / kNsPerMs;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<OrderAck, RestError> parse_order_ack(std::string_view body) {
  Envelope env;
  if (auto o = open(env, body, "order"); !o) return Unexpected{o.error()};
  try {
    if (env.data.size() != 1) throw Fail{"order.data: expected one item, got " + std::to_string(env.data.size())};
    const Item it(as_object(*env.data.begin(), "order.data[0]"), "order.data[0]");
    if (VenueRefusal r = item_refusal(it); r.code != 0) {
      std::string message = "order: sCode " + std::to_string(r.code) + ": " + r.msg;
      return Unexpected{RestError{true, std::move(r), std::move(message)}};
    }
    OrderAck ack{it.text("ordId"), it.text("clOrdId", false)};
    if (ack.order_id.empty()) throw Fail{"order.data[0].ordId: empty for an accepted order"};
    return ack;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<std::vector<BatchItemAnswer>, RestError> parse_batch_ack(std::string_view body) {
  Envelope env;
  // A batch whose every item failed answers code 1 and the items: read them all the same.
  if (auto o = open(env, body, "batch"); !o) {
    if (!o.error().refused || env.data.size() <= 1) return Unexpected{o.error()};
  }
  try {
    std::vector<BatchItemAnswer> out;
    out.reserve(env.data.size());
    std::size_t i = 0;
    for (element e : env.data) {
      const std::string at = "batch.data[" + std::to_string(i++) + "]";
      const Item it(as_object(e, at), at);
      BatchItemAnswer a;
      a.ack = OrderAck{it.text("ordId", false), it.text("clOrdId", false)};
      if (it.text("sCode", false).empty()) throw Fail{at + ".sCode: missing"};
      a.refusal = item_refusal(it);
      if (a.refusal.code == 0 && a.ack.order_id.empty()) throw Fail{at + ".ordId: missing for an accepted item"};
      out.push_back(std::move(a));
    }
    return out;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<OrdersPage, RestError> parse_orders(std::string_view body, const AccountContext& ctx) {
  Envelope env;
  if (auto o = open(env, body, "orders"); !o) return Unexpected{o.error()};
  try {
    OrdersPage page;
    for (element e : env.data) {
      const std::string at = "orders.data[" + std::to_string(page.count++) + "]";
      const Item it(as_object(e, at), at);
      page.last_order_id = it.text("ordId");
      if (const auto ref = instrument_of(it, ctx, page.skipped)) page.orders.push_back(reconciled_of(it, *ref, ctx));
    }
    return page;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<FillsPage, RestError> parse_fills(std::string_view body, const AccountContext& ctx) {
  Envelope env;
  if (auto o = open(env, body, "fills"); !o) return Unexpected{o.error()};
  try {
    FillsPage page;
    for (element e : env.data) {
      const std::string at = "fills.data[" + std::to_string(page.count++) + "]";
      const Item it(as_object(e, at), at);
      page.last_bill_id = it.text("billId", false);
      const auto ref = instrument_of(it, ctx, page.skipped);
      if (!ref) continue;
      FillReceived f;
      f.account = ctx.account;
      f.instrument = ref->instrument->id;
      f.client_order_id = client_id(it);
      if (!f.trade_id.assign(it.text("tradeId"))) throw Fail{at + ".tradeId: too long"};
      f.side = side_of(it);
      f.price = it.decimal("fillPx");
      f.quantity = base_qty(it.decimal("fillSz"), *ref, it, "fillSz");
      if (!f.quantity.is_positive()) throw Fail{at + ".fillSz: must be positive"};
      f.fee = negate(fee_of(it, "fee", page.notes));
      const std::string ccy = it.text("feeCcy", false);
      if (!ccy.empty() && !f.fee_asset.assign(ccy)) throw Fail{at + ".feeCcy: too long"};
      if (ccy.empty() && !f.fee.is_zero()) throw Fail{at + ".feeCcy: missing for a fee"};
      f.liquidity = it.text("execType", false) == "M" ? Liquidity::kMaker : Liquidity::kTaker;
      VenueEvent ev;
      ev.venue_order_id = it.text("ordId");
      ev.venue_time = it.millis(it.text("fillTime", false).empty() ? "ts" : "fillTime");
      ev.payload = f;
      page.events.push_back(std::move(ev));
    }
    return page;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<FeeRates, RestError> parse_trade_fee(std::string_view body, bool usdt_swap) {
  Envelope env;
  if (auto o = open(env, body, "trade-fee"); !o) return Unexpected{o.error()};
  try {
    for (element e : env.data) {
      const Item item(as_object(e, "trade-fee.data[0]"), "trade-fee.data[0]");
      const Decimal maker = item.decimal(usdt_swap ? "makerU" : "maker");
      const Decimal taker = item.decimal(usdt_swap ? "takerU" : "taker");
      const auto m = maker.neg(), t = taker.neg();
      if (!m || !t) throw Fail{"trade-fee.data[0]: a rate out of range"};
      return FeeRates{*m, *t};
    }
    throw Fail{"trade-fee.data: empty"};
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<BalancesAnswer, RestError> parse_balance(std::string_view body, const AccountContext& ctx) {
  Envelope env;
  if (auto o = open(env, body, "balance"); !o) return Unexpected{o.error()};
  try {
    BalancesAnswer out;
    std::size_t i = 0;
    for (element e : env.data) {
      const std::string at = "balance.data[" + std::to_string(i++) + "]";
      std::size_t j = 0;
      for (element c : as_array(as_object(e, at), "details", at)) {
        const std::string cat = at + ".details[" + std::to_string(j++) + "]";
        out.balances.push_back(balance_of(Item(as_object(c, cat), cat), ctx, out.notes));
      }
    }
    return out;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

Result<std::vector<PositionUpdated>, RestError> parse_positions(std::string_view body, const AccountContext& ctx) {
  Envelope env;
  if (auto o = open(env, body, "positions"); !o) return Unexpected{o.error()};
  try {
    std::vector<PositionUpdated> out;
    std::vector<std::string> skipped;
    std::size_t i = 0;
    for (element e : env.data) {
      const std::string at = "positions.data[" + std::to_string(i++) + "]";
      const Item it(as_object(e, at), at);
      if (const auto ref = instrument_of(it, ctx, skipped, false)) out.push_back(position_of(it, *ref, ctx));
    }
    return out;
  } catch (const Fail& f) {
    return Unexpected{rest_fail(f)};
  }
}

}  // namespace oms::okx
