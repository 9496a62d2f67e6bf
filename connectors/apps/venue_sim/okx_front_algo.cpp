// venue-sim's OKX front: algo orders -- trade/order-algo with ordType conditional (one of TP or
// SL) and trigger, trade/cancel-algos, GET trade/order-algo, orders-algo-pending and
// orders-algo-history (the orders-algo channel is okx_front_streams.cpp's). An algo order is the
// core's stop order: it waits (state live, no ordId, not on the orders channel) until the last
// price reaches its trigger, then its order is placed (state effective, an ordId; a market order
// for ordPx / orderPx -1, else a limit at that price) and goes on as any order.
//
// The direction comes from OKX's rules: a buy's TP triggers when the price falls to it, its SL
// when the price rises to it (a sell's the other way), checked against the last price (51277 ..
// 51280); a trigger order triggers on the side of the last price its triggerPx is.
// Refused by name: oco, move_order_stop, twap, iceberg, chase; a conditional with both TP and SL;
// triggers on the mark or index price; closeFraction (send sz); attachAlgoOrds; amending an algo
// order (amend-algos); a SPOT market buy at the trigger by quote amount (send tgtCcy base_ccy).
// Where it differs from OKX (documented, not refused): a SPOT algo order locks its assets while
// it waits, and a SWAP limit one reserves margin (the core's stops); OKX locks at the trigger.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "okx_front_impl.hpp"

namespace oms::venue_sim {

using namespace okxsim;

namespace {

constexpr std::size_t kMaxAlgoCancels = 10;  // cancel-algos: "up to 10 orders"
constexpr std::size_t kMaxLimit = 100;
constexpr std::size_t kMaxAlgoClOrdId = 32;

[[noreturn]] void unsupported(std::string_view param, std::string_view what) {
  param_error(param, std::string(what) + " is not supported by venue-sim");
}

bool alnum(std::string_view s) {
  return !s.empty() && s.size() <= kMaxAlgoClOrdId &&
         std::all_of(s.begin(), s.end(), [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; });
}

std::optional<std::uint64_t> id_of(std::string_view t) {
  std::uint64_t n = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), n);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
  return n;
}

// "-1" (market at the trigger) or a price on the tick; the limit price or nullopt for market.
std::optional<Decimal> ord_px(const Args& p, const char* key, const OkxInstrument& oi) {
  const auto t = p.text(key);
  if (!t) empty_param(key);
  if (*t == "-1") return std::nullopt;
  const auto px = p.decimal(key);
  if (!px->is_positive() || !px->is_multiple_of(oi.tick_sz)) param_error(key, *t + " is not -1 (market) or a positive multiple of tickSz " + text(oi.tick_sz));
  return px;
}

void last_only(const Args& p, const char* key) {
  if (const auto t = p.text(key); t && *t != "last") {
    if (*t == "mark" || *t == "index") unsupported(key, "a trigger on the " + *t + " price (venue-sim triggers on the last price)");
    param_error(key, *t);
  }
}

}  // namespace

OkxFront::Impl::Answer OkxFront::Impl::place_algo(Account& a, const Args& p) {
  // Refusals are the item's sCode / sMsg, as for trade/order.
  try {
    return place_algo_one(a, p);
  } catch (const Refusal& r) {
    const auto str = [&](const char* k) {
      const auto& j = p.json();
      return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
    };
    JsonOut j;
    j.arr().obj().kv("algoId", "").kv("clOrdId", "").kv("algoClOrdId", str("algoClOrdId").empty() ? str("clOrdId") : str("algoClOrdId"));
    j.kv("tag", str("tag")).kv("sCode", std::to_string(r.code)).kv("sMsg", r.msg).end_obj().end_arr();
    return {kAllFailed, "All operations failed", j.take()};
  }
}

OkxFront::Impl::Answer OkxFront::Impl::place_algo_one(Account& a, const Args& p) {
  const std::string type = p.required("ordType");
  if (type == "oco" || type == "move_order_stop" || type == "twap" || type == "iceberg" || type == "chase")
    unsupported("ordType", type + " algo orders");
  if (type != "conditional" && type != "trigger") param_error("ordType", type);
  if (const auto& j = p.json(); j.contains("attachAlgoOrds") && j["attachAlgoOrds"].is_array() && !j["attachAlgoOrds"].empty())
    unsupported("attachAlgoOrds", "TP/SL attached to an algo order");
  if (p.has("closeFraction")) unsupported("closeFraction", "closing a fraction of the position (send sz)");
  p.only({"instId", "tdMode", "ccy", "side", "posSide", "ordType", "sz", "tag", "tgtCcy", "algoClOrdId", "closeFraction",
          "reduceOnly", "tpTriggerPx", "tpTriggerPxType", "tpOrdPx", "slTriggerPx", "slTriggerPxType", "slOrdPx", "triggerPx",
          "triggerPxType", "orderPx", "attachAlgoOrds", "cxlOnClosePos", "clOrdId"});
  auto [cp, s] = instrument_of(p);
  Category& c = *cp;
  const OkxInstrument& oi = c.instruments[s];
  const std::string td = p.required("tdMode");
  if (c.spot() ? td != "cash" : (td != "cross" && td != "isolated")) {
    if (c.spot() && (td == "cross" || td == "isolated")) unsupported("tdMode", "spot margin (tdMode " + td + ")");
    param_error("tdMode", td);
  }
  const std::string side = p.required("side");
  if (side != "buy" && side != "sell") param_error("side", side);
  const bool buy = side == "buy";
  const auto sz = p.decimal("sz");
  if (!sz) empty_param("sz");
  if (!sz->is_positive() || !sz->is_multiple_of(oi.lot_sz))
    refuse(kLotSz, "Order quantity must be a multiple of the lot size. (sz " + text(*sz) + ", lotSz " + text(oi.lot_sz) + ")");
  if (*sz < oi.min_sz) refuse(kMinSz, "Your order should meet or exceed the minimum order amount. (sz " + text(*sz) + ", minSz " + text(oi.min_sz) + ")");
  const auto ref = c.venue->last_price(s) ? c.venue->last_price(s) : c.venue->mark_price(s);
  if (!ref) param_error("instId", "no last price yet to tell which way the trigger is");

  OrderMeta m;
  m.algo_type = type;
  bool rises = false, tp = false;
  Decimal trigger;
  std::optional<Decimal> px;
  if (type == "conditional") {
    const bool has_tp = p.has("tpTriggerPx"), has_sl = p.has("slTriggerPx");
    if (has_tp && has_sl) unsupported("tpTriggerPx", "a conditional order with both TP and SL (send one of each)");
    if (!has_tp && !has_sl) empty_param("tpTriggerPx or slTriggerPx");
    tp = has_tp;
    last_only(p, tp ? "tpTriggerPxType" : "slTriggerPxType");
    trigger = *p.decimal(tp ? "tpTriggerPx" : "slTriggerPx");
    px = ord_px(p, tp ? "tpOrdPx" : "slOrdPx", oi);
    // A buy's TP waits for a fall, its SL for a rise; a sell's the other way.
    rises = tp != buy;
    if (tp && buy && trigger >= *ref) refuse(kTpHigh, "TP trigger price can not be higher than the last price. (" + text(trigger) + " >= " + text(*ref) + ")");
    if (tp && !buy && trigger <= *ref) refuse(kTpLow, "TP trigger price can not be lower than the last price. (" + text(trigger) + " <= " + text(*ref) + ")");
    if (!tp && buy && trigger <= *ref) refuse(kSlLow, "SL trigger price can not be lower than the last price. (" + text(trigger) + " <= " + text(*ref) + ")");
    if (!tp && !buy && trigger >= *ref) refuse(kSlHigh, "SL trigger price can not be higher than the last price. (" + text(trigger) + " >= " + text(*ref) + ")");
    (tp ? m.tp_trigger : m.sl_trigger) = text(trigger);
    (tp ? m.tp_ord : m.sl_ord) = px ? text(*px) : "-1";
  } else {
    last_only(p, "triggerPxType");
    const auto t = p.decimal("triggerPx");
    if (!t) empty_param("triggerPx");
    trigger = *t;
    px = ord_px(p, "orderPx", oi);
    if (trigger == *ref) param_error("triggerPx", text(trigger) + " is the last price (it would trigger at once)");
    rises = trigger > *ref;
    m.trigger_px = text(trigger);
    m.order_px = px ? text(*px) : "-1";
  }
  if (!trigger.is_positive() || !trigger.is_multiple_of(oi.tick_sz))
    param_error(type == "trigger" ? "triggerPx" : tp ? "tpTriggerPx" : "slTriggerPx", text(trigger) + " is not a positive multiple of tickSz " + text(oi.tick_sz));
  if (px && *sz > oi.max_lmt_sz) refuse(kMaxLmtSz, "Order amount exceeds the limit " + text(oi.max_lmt_sz) + ".");
  if (!px && !c.spot() && *sz > oi.max_mkt_sz) refuse(kMaxSz, "Market order amount exceeds the maximum amount. (sz " + text(*sz) + ")");

  std::string tgt;
  if (const auto t = p.text("tgtCcy")) {
    if (!c.spot()) param_error("tgtCcy", "only for SPOT");
    if (*t == "quote_ccy") unsupported("tgtCcy", "a SPOT algo order sized in the quote currency (send base_ccy)");
    if (*t != "base_ccy") param_error("tgtCcy", *t);
    tgt = *t;
  } else if (c.spot() && !px && buy) {
    unsupported("tgtCcy", "a SPOT market buy at the trigger by quote amount (OKX's default; send tgtCcy base_ccy)");
  }
  if (c.spot() && !px) tgt = "base_ccy";
  // clOrdId: OKX's former name of algoClOrdId (ccxt still sends it); algoClOrdId wins.
  const auto cl = p.has("algoClOrdId") ? p.text("algoClOrdId") : p.text("clOrdId");
  if (cl) {
    if (!alnum(*cl)) param_error("algoClOrdId", "'" + *cl + "' is not 1 to 32 letters and digits");
    for (const auto& [id, k] : by_algo_id) {
      const OrderMeta& o = orders[k];
      if (o.algo_cl == *cl && o.account == static_cast<std::size_t>(&a - accounts.data()) && o.waiting())
        refuse(kDupClOrdId, "Duplicated clOrdId.");
    }
  }
  const std::string tag = p.text("tag").value_or("");
  const bool reduce = p.boolean("reduceOnly").value_or(false);
  if (reduce && c.spot()) param_error("reduceOnly", "only for margin and contract orders");

  sim::NewOrder o;
  o.account = venue_id(a, c);
  o.symbol = s;
  o.side = buy ? Side::kBuy : Side::kSell;
  // The core's stops trigger as Binance's: a stop-loss buy on a rise, a take-profit buy on a
  // fall (a sell the other way round); OKX's direction picks the kind.
  const bool stop_kind = rises == buy;
  o.type = stop_kind ? (px ? sim::SimOrderType::kStopLossLimit : sim::SimOrderType::kStopLoss)
                     : (px ? sim::SimOrderType::kTakeProfitLimit : sim::SimOrderType::kTakeProfit);
  o.stop_price = trigger;
  o.price = px.value_or(Decimal{});
  o.quantity = to_core(oi, *sz);
  std::string pos_side = c.spot() ? "" : "net";
  if (const auto ps = p.text("posSide")) {
    if (c.spot()) param_error("posSide", "not for SPOT");
    if (a.hedge ? (*ps != "long" && *ps != "short") : *ps != "net") param_error("posSide", *ps + (a.hedge ? " (long_short_mode: long or short)" : " (net_mode: net)"));
    pos_side = *ps;
  } else if (!c.spot() && a.hedge) {
    empty_param("posSide");
  }
  if (!c.spot()) {
    if (a.hedge) o.position_side = pos_side == "long" ? PositionSide::kLong : PositionSide::kShort;
    else o.reduce_only = reduce;
  }
  const std::int64_t now = now_ms();
  sim::Outbox out;
  auto r = c.venue->place(o, now_ns(), out);
  if (!r.ok()) {
    flush(c, out);
    if (r.error().code == -2021 || (r.error().code == -2010 && r.error().msg.find("trigger") != std::string::npos))
      param_error(type == "trigger" ? "triggerPx" : tp ? "tpTriggerPx" : "slTriggerPx", "it would trigger at once");
    venue_refusal(c, s, r.error());
  }
  const OrderKey key{c.market, s, r->order_id};
  OrderMeta& mm = orders[key];
  mm = std::move(m);
  mm.algo_id = next_algo_id++;
  mm.algo_cl = cl.value_or("");
  mm.algo_state = "live";
  mm.account = static_cast<std::size_t>(&a - accounts.data());
  mm.tag = tag;
  mm.ord_type = px ? "limit" : "market";
  mm.td_mode = td;
  mm.tgt_ccy = tgt;
  mm.stp_mode = "cancel_maker";
  mm.pos_side = pos_side;
  mm.reduce_only = reduce;
  mm.sz = *sz;
  mm.created_ms = mm.updated_ms = now;
  if (!c.spot()) mm.lever = c.venue->position(o.account, s, o.position_side).leverage;
  by_algo_id[mm.algo_id] = key;
  untriggered.insert(key);
  const std::uint64_t algo_id = mm.algo_id;
  flush(c, out);
  JsonOut j;
  j.arr().obj().kv("algoId", std::to_string(algo_id)).kv("clOrdId", "").kv("algoClOrdId", cl.value_or("")).kv("tag", tag);
  j.kv("sCode", "0").kv("sMsg", "Order placed").end_obj().end_arr();
  return {kOk, "", j.take()};
}

void OkxFront::Impl::triggered(Category& c, const OrderKey& k, OrderMeta& m, std::int64_t now) {
  m.triggered = true;
  m.trigger_ms = now;
  m.algo_state = "effective";
  m.ord_id = next_ord_id++;
  by_ord_id[m.ord_id] = k;
  m.created_ms = m.updated_ms = now;
  untriggered.erase(k);
  (void)c;
}

void OkxFront::Impl::algo_json(JsonOut& j, const Category& c, const OrderKey& k, const OrderMeta& m) {
  const OkxInstrument& oi = c.instruments[k.symbol];
  const auto last = c.venue->last_price(k.symbol);
  const auto v = c.venue->query(venue_id(accounts[m.account], c), k.symbol, sim::OrderRef{k.order_id, {}});
  const bool buy = v.ok() && v->side == Side::kBuy;
  const bool tp = !m.tp_trigger.empty();
  const std::string trigger_type = m.algo_type == "trigger" ? "last" : "";
  j.obj().kv("instType", c.type()).kv("instId", oi.venue.venue_symbol).kv("ccy", "");
  j.kv("ordId", m.ord_id == 0 ? std::string() : std::to_string(m.ord_id)).key("ordIdList").arr();
  if (m.ord_id != 0) j.str(std::to_string(m.ord_id));
  j.end_arr().kv("algoId", std::to_string(m.algo_id)).kv("clOrdId", "").kv("sz", text(m.sz)).kv("closeFraction", "");
  j.kv("ordType", m.algo_type).kv("side", buy ? "buy" : "sell").kv("posSide", c.spot() ? "" : m.pos_side).kv("tdMode", m.td_mode);
  j.kv("tgtCcy", m.tgt_ccy).kv("state", m.algo_state).kv("lever", c.spot() ? std::string() : std::to_string(m.lever));
  j.kv("tpTriggerPx", m.tp_trigger).kv("tpTriggerPxType", m.tp_trigger.empty() ? "" : "last").kv("tpOrdPx", m.tp_ord);
  j.kv("slTriggerPx", m.sl_trigger).kv("slTriggerPxType", m.sl_trigger.empty() ? "" : "last").kv("slOrdPx", m.sl_ord);
  j.kv("triggerPx", m.trigger_px).kv("triggerPxType", trigger_type).kv("ordPx", m.order_px);
  const bool fired = m.triggered;
  const std::string ord = m.algo_type == "trigger" ? m.order_px : tp ? m.tp_ord : m.sl_ord;
  j.kv("actualSz", fired ? text(m.sz) : "").kv("actualPx", fired ? ord : "");
  j.kv("actualSide", fired && m.algo_type == "conditional" ? (tp ? "tp" : "sl") : "");
  j.kv("triggerTime", fired ? std::to_string(m.trigger_ms) : "").kv("pxVar", "").kv("pxSpread", "").kv("szLimit", "");
  j.kv("pxLimit", "").kv("tag", m.tag).kv("timeInterval", "").kv("callbackRatio", "").kv("callbackSpread", "");
  j.kv("activePx", "").kv("moveTriggerPx", "").kv("reduceOnly", m.reduce_only ? "true" : "false").kv("quickMgnType", "");
  j.kv("last", last ? text(*last) : "").kv("failCode", m.algo_state == "order_failed" ? "1" : "").kv("algoClOrdId", m.algo_cl);
  j.kv("amendPxOnTriggerType", "0").key("attachAlgoOrds").arr().end_arr().key("linkedOrd").obj().kv("ordId", "").end_obj();
  j.kv("isTradeBorrowMode", "").kv("chaseType", "").kv("chaseVal", "").kv("maxChaseType", "").kv("maxChaseVal", "");
  j.kv("cTime", std::to_string(m.algo_id != 0 && m.trigger_ms != 0 ? std::min(m.created_ms, m.trigger_ms) : m.created_ms));
  j.kv("uTime", std::to_string(m.updated_ms)).end_obj();
}

OkxFront::Impl::Answer OkxFront::Impl::cancel_algos(Account& a, const nlohmann::json& body) {
  if (!body.is_array() || body.empty() || body.size() > kMaxAlgoCancels)
    param_error("body", "an array of 1 to 10 algo orders");
  const auto ai = static_cast<std::size_t>(&a - accounts.data());
  std::size_t ok = 0;
  std::string data = "[";
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (i > 0) data += ',';
    const auto& x = body[i];
    std::string algo_id = x.is_object() && x.contains("algoId") && x["algoId"].is_string() ? x["algoId"].get<std::string>() : "";
    const std::string cl = x.is_object() && x.contains("algoClOrdId") && x["algoClOrdId"].is_string() ? x["algoClOrdId"].get<std::string>() : "";
    int code = kOk;
    std::string msg;
    try {
      if (!x.is_object()) param_error("body[" + std::to_string(i) + "]", "expected an object");
      const Args args(x);
      args.only({"instId", "algoId", "algoClOrdId"});
      if (!take_rate(a, "/api/v5/trade/cancel-algos", args.json().value("instId", ""), 1))
        refuse(kRateLimit, "Rate limit reached. Please refer to API documentation and throttle requests accordingly.");
      auto [cp, s] = instrument_of(args);
      std::optional<OrderKey> key;
      if (!algo_id.empty()) {
        const auto n = id_of(algo_id);
        if (!n) param_error("algoId", algo_id);
        if (const auto it = by_algo_id.find(*n); it != by_algo_id.end()) key = it->second;
      } else if (!cl.empty()) {
        for (const auto& [id, k] : by_algo_id) {
          if (orders[k].algo_cl == cl && orders[k].account == ai) key = k;
        }
      } else {
        refuse(kNeedId, "Either algoId or algoClOrdId is required.");
      }
      if (!key || key->market != cp->market || key->symbol != s || orders[*key].account != ai)
        refuse(kCancelFailed, "Cancellation failed as the order does not exist.");
      OrderMeta& m = orders[*key];
      algo_id = std::to_string(m.algo_id);
      if (m.triggered) refuse(51412, "The order has been triggered and cannot be cancelled.");
      if (m.algo_state != "live") refuse(kCancelCanceled, "Cancellation failed as the order is already canceled.");
      sim::Outbox out;
      auto r = cp->venue->cancel(venue_id(a, *cp), s, sim::OrderRef{key->order_id, {}}, now_ns(), out);
      flush(*cp, out);
      if (!r.ok()) refuse(kCancelFailed, "Cancellation failed as the order does not exist.");
      ++ok;
    } catch (const Refusal& r) {
      code = r.code;
      msg = r.msg;
    }
    JsonOut j;
    j.obj().kv("algoId", algo_id).kv("algoClOrdId", cl).kv("sCode", std::to_string(code)).kv("sMsg", msg).end_obj();
    data += j.take();
  }
  data += ']';
  if (ok == body.size()) return {kOk, "", std::move(data)};
  if (ok == 0) return {kAllFailed, "All operations failed", std::move(data)};
  return {kPartFailed, "Batch operation partially succeeded", std::move(data)};
}

OkxFront::Impl::Answer OkxFront::Impl::get_algo(Account& a, const Args& p) {
  p.only({"algoId", "algoClOrdId"});
  const auto ai = static_cast<std::size_t>(&a - accounts.data());
  std::optional<OrderKey> key;
  if (const auto algo = p.text("algoId")) {
    const auto n = id_of(*algo);
    if (!n) param_error("algoId", *algo);
    if (const auto it = by_algo_id.find(*n); it != by_algo_id.end()) key = it->second;
  } else if (const auto cl = p.text("algoClOrdId")) {
    for (const auto& [id, k] : by_algo_id) {
      if (orders[k].algo_cl == *cl && orders[k].account == ai) key = k;
    }
  } else {
    refuse(kNeedId, "Either algoId or algoClOrdId is required.");
  }
  if (!key || orders[*key].account != ai) refuse(kNoOrder, "Order does not exist");
  JsonOut j;
  j.arr();
  algo_json(j, category(key->market), *key, orders[*key]);
  j.end_arr();
  return {kOk, "", j.take()};
}

OkxFront::Impl::Answer OkxFront::Impl::algos(Account& a, const Args& p, bool pending) {
  if (pending) p.only({"ordType", "algoId", "instType", "instId", "after", "before", "limit", "algoClOrdId"});
  else p.only({"ordType", "state", "algoId", "instType", "instId", "after", "before", "limit"});
  const std::string types = p.required("ordType");
  std::vector<std::string> wanted;
  for (std::size_t at = 0; at <= types.size();) {
    const auto comma = std::min(types.find(',', at), types.size());
    wanted.push_back(types.substr(at, comma - at));
    at = comma + 1;
  }
  for (const auto& t : wanted) {
    static constexpr std::string_view kTypes[] = {"conditional", "oco", "trigger", "move_order_stop", "iceberg", "twap", "chase"};
    if (std::find(std::begin(kTypes), std::end(kTypes), t) == std::end(kTypes)) param_error("ordType", t);
  }
  const auto state = p.text("state");
  if (!pending) {
    if (state && *state != "effective" && *state != "canceled" && *state != "order_failed") param_error("state", *state);
    if (!state && !p.has("algoId")) refuse(kEmpty, "Parameter state or algoId can not be empty.");
  }
  const auto type = p.text("instType");
  const auto inst = p.text("instId");
  std::optional<std::uint64_t> only_id, after, before;
  for (auto [key, slot] : {std::pair{"algoId", &only_id}, std::pair{"after", &after}, std::pair{"before", &before}}) {
    if (const auto t = p.text(key)) {
      *slot = id_of(*t);
      if (!*slot) param_error(key, *t);
    }
  }
  const auto cl = p.text("algoClOrdId");
  std::size_t limit = kMaxLimit;
  if (const auto l = p.integer("limit")) {
    if (*l < 1 || *l > static_cast<std::int64_t>(kMaxLimit)) param_error("limit", std::to_string(*l) + " is not in [1, 100]");
    limit = static_cast<std::size_t>(*l);
  }
  const auto ai = static_cast<std::size_t>(&a - accounts.data());
  JsonOut j;
  j.arr();
  std::size_t n = 0;
  for (auto it = by_algo_id.rbegin(); it != by_algo_id.rend() && n < limit; ++it) {
    if ((after && it->first >= *after) || (before && it->first <= *before) || (only_id && it->first != *only_id)) continue;
    const OrderKey& k = it->second;
    const OrderMeta& m = orders[k];
    const Category& c = category(k.market);
    if (m.account != ai || std::find(wanted.begin(), wanted.end(), m.algo_type) == wanted.end()) continue;
    if (type && *type != c.type()) continue;
    if (inst && *inst != c.instruments[k.symbol].venue.venue_symbol) continue;
    if (cl && *cl != m.algo_cl) continue;
    if (pending != (m.algo_state == "live")) continue;
    if (state && *state != m.algo_state) continue;
    algo_json(j, c, k, m);
    ++n;
  }
  j.end_arr();
  return {kOk, "", j.take()};
}

}  // namespace oms::venue_sim
