// venue-sim's OKX front: trade/order, batch-orders, cancel-order, cancel-batch-orders,
// amend-order, amend-batch-orders with v5 semantics on the venue core: ordType market / limit /
// post_only (accepted, then canceled with cancelSource 31 when it would take) / fok / ioc;
// tgtCcy on a SPOT market order (a buy's sz is quote by default, a sell's base); SWAP sz in
// contracts; tdMode cash on SPOT, cross / isolated on SWAP; posSide net (long / short in
// long_short_mode); reduceOnly; clOrdId 1..32 alphanumerics, unique among pending orders;
// amend newSz = the new total size. Every order op answers one item per order with sCode /
// sMsg; the envelope's code is "0" (all done), "1" (all failed) or "2" (a batch partly done).
//
// The venue core answers Binance's codes (sim::VenueError); this table is how venue-sim words
// them for OKX:
//   -2010 insufficient balance / -2019 margin .. 51008 Order failed. Insufficient {ccy} balance in account.
//   -2010 duplicate client id ................. 51016 Duplicated clOrdId.
//   -2022 reduce-only rejected ................ 51169 no position in this direction to reduce or close
//   -4061 position side vs mode ............... 51000 Parameter posSide error
//   -1013 MAX_NUM_ORDERS ...................... 51025 Order count exceeds the limit
//   -2011 / -2013 unknown order ............... 51400 (cancel) | 51503 (amend); an ended one 51401 / 51402 | 51509 / 51510
//   anything else ............................. 51000 quoting the venue's code and message
// The size and price checks are made here first with OKX's codes (51121 lot, 51020 minSz,
// 51203 maxLmtSz, 51202 maxMktSz, 51000 px off the tick); the core's own checks then pass.
#include <algorithm>
#include <charconv>

#include "okx_front_impl.hpp"

namespace oms::venue_sim {

using namespace okxsim;

namespace {

constexpr std::size_t kMaxBatch = 20;     // "Maximum 20 orders can be placed per request"
constexpr std::size_t kMaxClOrdId = 32;   // clOrdId: "up to 32 characters"
constexpr std::size_t kMaxTag = 16;       // tag: "up to 16 characters"

bool alnum(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
  });
}

bool is_open(sim::SimStatus s) { return s == sim::SimStatus::kNew || s == sim::SimStatus::kPartiallyFilled; }

[[noreturn]] void unsupported(std::string_view param, std::string_view what) {
  param_error(param, std::string(what) + " is not supported by venue-sim");
}

// The item an order op answers for one order (sCode 0 or the refusal).
std::string item(std::string_view cl, std::uint64_t ord_id, std::string_view tag, bool with_tag, std::int64_t ts,
                 int code, std::string_view msg, const std::string* req_id) {
  JsonOut j;
  j.obj().kv("clOrdId", cl).kv("ordId", ord_id == 0 ? std::string() : std::to_string(ord_id));
  if (with_tag) j.kv("tag", tag);
  if (req_id != nullptr) j.kv("reqId", *req_id);
  j.kv("ts", std::to_string(ts)).kv("sCode", std::to_string(code)).kv("sMsg", msg).end_obj();
  return j.take();
}

std::string field(const nlohmann::json& o, const char* k) {
  if (!o.is_object() || !o.contains(k) || !o[k].is_string()) return {};
  return o[k].get<std::string>();
}

}  // namespace

void OkxFront::Impl::venue_refusal(const Category& c, sim::SymbolIndex s, const sim::VenueError& e) {
  const auto has = [&](std::string_view x) { return e.msg.find(x) != std::string::npos; };
  const Instrument& in = c.instruments[s].venue;
  switch (e.code) {
    case -2010:
      if (has("Duplicate")) refuse(kDupClOrdId, "Duplicated clOrdId.");
      if (has("insufficient balance")) refuse(kBalance, "Order failed. Insufficient balance in account. (" + e.msg + ")");
      break;
    case -2019: refuse(kBalance, "Order failed. Insufficient " + in.symbol.settle + " margin in account.");
    case -2022: refuse(kReduceOnly, "Order failed because you don't have any positions in this direction for this contract to reduce or close.");
    case -4061: param_error("posSide", "it does not match the position mode");
    case -1013:
      if (has("MAX_NUM_ORDERS")) refuse(kCountLimit, "Order count exceeds the limit. (" + std::to_string(in.rules.max_num_orders) + " pending orders an instrument)");
      break;
    default: break;
  }
  refuse(kParam, "Parameter error: venue-sim refused the order: " + std::to_string(e.code) + " " + e.msg);
}

sim::OrderView OkxFront::Impl::find_order(const Account& a, const Category& c, sim::SymbolIndex s, const Args& p,
                                           int missing_code) {
  const sim::ApiKeyId id = venue_id(a, c);
  const char* missing = missing_code == kCancelFailed ? "Cancellation failed as the order does not exist."
                        : missing_code == kAmendFailed ? "Order modification failed as the order does not exist."
                                                       : "Order does not exist";
  if (const auto oid = p.text("ordId")) {
    std::uint64_t n = 0;
    const auto r = std::from_chars(oid->data(), oid->data() + oid->size(), n);
    if (r.ec != std::errc() || r.ptr != oid->data() + oid->size()) param_error("ordId", *oid);
    const auto it = by_ord_id.find(n);
    if (it == by_ord_id.end() || it->second.market != c.market || it->second.symbol != s) refuse(missing_code, missing);
    auto v = c.venue->query(id, s, sim::OrderRef{it->second.order_id, {}});
    if (!v.ok()) refuse(missing_code, missing);
    return *v;
  }
  if (const auto cl = p.text("clOrdId")) {
    auto v = c.venue->query(id, s, sim::OrderRef{0, *cl});
    if (!v.ok() || !meta(c, s, v->order_id).cl_given || meta(c, s, v->order_id).ord_id == 0) refuse(missing_code, missing);
    return *v;
  }
  refuse(kNeedId, "Either client order ID or order ID is required.");
}

namespace {

// Why an order that is no longer open cannot be canceled / amended, in OKX's words.
[[noreturn]] void ended(const sim::OrderView& v, bool amend) {
  const bool filled = v.status == sim::SimStatus::kFilled;
  if (amend) {
    if (filled) refuse(kAmendFilled, "Modification failed as the order has been completed.");
    refuse(kAmendCanceled, "Modification failed as the order has been canceled.");
  }
  if (filled) refuse(kCancelFilled, "Cancellation failed as the order is already completed.");
  refuse(kCancelCanceled, "Cancellation failed as the order is already canceled.");
}

}  // namespace

std::string OkxFront::Impl::place_one(Account& a, const Args& p) {
  if (const auto& j = p.json(); j.contains("attachAlgoOrds") && j["attachAlgoOrds"].is_array() && !j["attachAlgoOrds"].empty())
    unsupported("attachAlgoOrds", "TP/SL attached to an order");
  p.only({"instId", "tdMode", "ccy", "clOrdId", "tag", "side", "posSide", "ordType", "sz", "px", "pxUsd", "pxVol",
          "reduceOnly", "tgtCcy", "banAmend", "quickMgnType", "stpId", "stpMode", "attachAlgoOrds", "tradeQuoteCcy"});
  for (const char* f : {"pxUsd", "pxVol"}) {
    if (p.has(f)) unsupported(f, "an option order");
  }
  if (p.has("quickMgnType")) unsupported("quickMgnType", "quick margin");
  if (p.boolean("banAmend").value_or(false)) unsupported("banAmend", "banAmend");
  if (p.has("stpId")) unsupported("stpId", "stpId (send stpMode)");
  auto [cp, s] = instrument_of(p);
  Category& c = *cp;
  const OkxInstrument& oi = c.instruments[s];
  if (const auto q = p.text("tradeQuoteCcy"); q && *q != oi.venue.symbol.quote) param_error("tradeQuoteCcy", *q);
  const std::string td = p.required("tdMode");
  if (c.spot()) {
    if (td == "cross" || td == "isolated" || td == "spot_isolated") unsupported("tdMode", "spot margin (tdMode " + td + ")");
    if (td != "cash") param_error("tdMode", td);
  } else if (td != "cross" && td != "isolated") {
    param_error("tdMode", td + " (SWAP: cross or isolated)");
  }
  if (p.has("ccy") && c.spot()) param_error("ccy", "only for margin orders");
  sim::NewOrder o;
  o.account = venue_id(a, c);
  o.symbol = s;
  const std::string side = p.required("side");
  if (side != "buy" && side != "sell") param_error("side", side);
  o.side = side == "buy" ? Side::kBuy : Side::kSell;
  const std::string type = p.required("ordType");
  if (type == "optimal_limit_ioc" || type == "mmp" || type == "mmp_and_post_only" || type == "elp" || type == "op_fok")
    unsupported("ordType", type);
  if (type != "market" && type != "limit" && type != "post_only" && type != "fok" && type != "ioc") param_error("ordType", type);
  const bool market = type == "market";
  const auto sz = p.decimal("sz");
  if (!sz) empty_param("sz");
  if (!sz->is_positive()) param_error("sz", "must be positive, got " + text(*sz));
  Decimal px;
  if (!market) {
    const auto x = p.decimal("px");
    if (!x) empty_param("px");
    if (!x->is_positive() || !x->is_multiple_of(oi.tick_sz)) param_error("px", text(*x) + " is not a positive multiple of tickSz " + text(oi.tick_sz));
    px = *x;
  } else if (p.has("px")) {
    // OKX ignores px on a market order; a client that sends one may think it is a limit.
    (void)p.decimal("px");
  }
  o.type = market ? sim::SimOrderType::kMarket : sim::SimOrderType::kLimit;
  o.price = px;
  if (type == "post_only") o.tif = sim::SimTif::kGtx;
  else if (type == "fok") o.tif = sim::SimTif::kFok;
  else if (type == "ioc") o.tif = sim::SimTif::kIoc;

  // Units: a SPOT market buy's sz is quote (tgtCcy quote_ccy) unless tgtCcy base_ccy says
  // base; a sell's is base unless quote_ccy. SWAP: contracts.
  std::string tgt;
  if (const auto t = p.text("tgtCcy")) {
    if (!c.spot()) param_error("tgtCcy", "only for SPOT");
    if (*t != "base_ccy" && *t != "quote_ccy") param_error("tgtCcy", *t);
    // A limit order's sz is base: base_ccy says so (ccxt sends it), quote_ccy cannot apply.
    if (!market && *t == "quote_ccy") param_error("tgtCcy", "quote_ccy is for a SPOT market order");
    if (market) tgt = *t;
  } else if (c.spot() && market) {
    tgt = o.side == Side::kBuy ? "quote_ccy" : "base_ccy";
  }
  if (tgt == "quote_ccy") {
    if (*sz > oi.max_mkt_sz) refuse(kMaxSz, "Market order amount exceeds the maximum amount. (sz " + text(*sz) + ", maxMktSz " + text(oi.max_mkt_sz) + ")");
    o.quote_order_qty = *sz;
  } else {
    if (!sz->is_multiple_of(oi.lot_sz)) refuse(kLotSz, "Order quantity must be a multiple of the lot size. (sz " + text(*sz) + ", lotSz " + text(oi.lot_sz) + ")");
    if (*sz < oi.min_sz) refuse(kMinSz, "Your order should meet or exceed the minimum order amount. (sz " + text(*sz) + ", minSz " + text(oi.min_sz) + ")");
    if (market && !c.spot() && *sz > oi.max_mkt_sz)
      refuse(kMaxSz, "Market order amount exceeds the maximum amount. (sz " + text(*sz) + ", maxMktSz " + text(oi.max_mkt_sz) + ")");
    if (!market && *sz > oi.max_lmt_sz) refuse(kMaxLmtSz, "Order amount exceeds the limit " + text(oi.max_lmt_sz) + ". (sz " + text(*sz) + ")");
    o.quantity = to_core(oi, *sz);
  }

  const auto cl = p.text("clOrdId");
  if (cl) {
    if (!alnum(*cl, kMaxClOrdId)) param_error("clOrdId", "'" + *cl + "' is not 1 to 32 letters and digits");
    for (const Category* k : {&spot, &swap}) {
      for (sim::SymbolIndex i = 0; i < k->instruments.size(); ++i) {
        const auto r = k->venue->query(venue_id(a, *k), i, sim::OrderRef{0, *cl});
        if (r.ok() && is_open(r->status) && orders.count(OrderKey{k->market, i, r->order_id}) &&
            orders[OrderKey{k->market, i, r->order_id}].cl_given)
          refuse(kDupClOrdId, "Duplicated clOrdId.");
      }
    }
    o.client_order_id = *cl;
  }
  const std::string tag = p.text("tag").value_or("");
  if (!tag.empty() && !alnum(tag, kMaxTag)) param_error("tag", "'" + tag + "' is not 1 to 16 letters and digits");
  const bool reduce = p.boolean("reduceOnly").value_or(false);
  if (reduce && c.spot()) param_error("reduceOnly", "only for margin and contract orders");
  std::string pos_side = c.spot() ? "" : "net";
  if (const auto ps = p.text("posSide")) {
    if (c.spot()) param_error("posSide", "not for SPOT");
    if (a.hedge ? (*ps != "long" && *ps != "short") : *ps != "net") param_error("posSide", *ps + (a.hedge ? " (long_short_mode: long or short)" : " (net_mode: net)"));
    pos_side = *ps;
  } else if (!c.spot() && a.hedge) {
    empty_param("posSide");
  }
  if (!c.spot()) {
    if (a.hedge) {
      o.position_side = pos_side == "long" ? PositionSide::kLong : PositionSide::kShort;
      const bool closes = (pos_side == "long") == (o.side == Side::kSell);
      if (reduce && !closes) refuse(kReduceOnly, "Order failed because you don't have any positions in this direction for this contract to reduce or close.");
    } else {
      o.reduce_only = reduce;
    }
  }
  const std::string stp = p.text("stpMode").value_or("cancel_maker");
  if (stp == "cancel_maker") o.stp = sim::SimStp::kExpireMaker;
  else if (stp == "cancel_taker") o.stp = sim::SimStp::kExpireTaker;
  else if (stp == "cancel_both") o.stp = sim::SimStp::kExpireBoth;
  else param_error("stpMode", stp);

  const std::int64_t now = now_ms();
  sim::Outbox out;
  auto r = c.venue->place(o, now_ns(), out);
  if (!r.ok()) {
    flush(c, out);
    venue_refusal(c, s, r.error());
  }
  OrderMeta& m = meta(c, s, r->order_id);
  m.ord_id = next_ord_id++;
  by_ord_id[m.ord_id] = OrderKey{c.market, s, r->order_id};
  m.account = static_cast<std::size_t>(&a - accounts.data());
  m.cl_given = cl.has_value();
  m.tag = tag;
  m.ord_type = type;
  m.td_mode = td;
  m.tgt_ccy = c.spot() && market ? tgt : "";
  m.stp_mode = stp;
  m.pos_side = pos_side;
  m.reduce_only = reduce;
  m.sz = *sz;
  m.created_ms = m.updated_ms = now;
  if (!c.spot()) {
    m.lever = c.venue->position(o.account, s, o.position_side).leverage;
    PositionState& ps = a.positions[{s, o.position_side == PositionSide::kLong ? 1 : o.position_side == PositionSide::kShort ? 2 : 0}];
    if (!ps.open) ps.mgn_mode = td;
  }
  const std::uint64_t ord_id = m.ord_id;
  flush(c, out);
  return item(cl.value_or(""), ord_id, tag, true, now, kOk, "Order placed", nullptr);
}

std::string OkxFront::Impl::cancel_one(Account& a, const Args& p) {
  p.only({"instId", "ordId", "clOrdId"});
  auto [cp, s] = instrument_of(p);
  Category& c = *cp;
  const sim::OrderView v = find_order(a, c, s, p, kCancelFailed);
  if (!is_open(v.status)) ended(v, false);
  OrderMeta& m = meta(c, s, v.order_id);
  const std::uint64_t ord_id = m.ord_id;
  const std::string cl = m.cl_given ? v.client_order_id : std::string();
  sim::Outbox out;
  auto r = c.venue->cancel(venue_id(a, c), s, sim::OrderRef{v.order_id, {}}, now_ns(), out);
  flush(c, out);
  if (!r.ok()) refuse(kCancelFailed, "Cancellation failed as the order does not exist.");
  return item(cl, ord_id, "", false, now_ms(), kOk, "", nullptr);
}

std::string OkxFront::Impl::amend_one(Account& a, const Args& p) {
  // TP/SL first: a client amending them learns that, whatever else it sent.
  for (const char* f : {"attachAlgoOrds", "newTpTriggerPx", "newTpOrdPx", "newSlTriggerPx", "newSlOrdPx", "newTpTriggerPxType",
                        "newSlTriggerPxType", "newTpOrdKind"}) {
    const auto& j = p.json();
    if (j.contains(f) && !(j[f].is_array() && j[f].empty()) && !(j[f].is_string() && j[f].get<std::string>().empty()))
      unsupported(f, "TP/SL attached to an order");
  }
  p.only({"instId", "ordId", "clOrdId", "reqId", "newSz", "newPx", "cxlOnFail", "newPxUsd", "newPxVol",
          "attachAlgoOrds", "newTpTriggerPx", "newTpOrdPx", "newSlTriggerPx", "newSlOrdPx", "newTpTriggerPxType",
          "newSlTriggerPxType", "newTpOrdKind"});
  for (const char* f : {"newPxUsd", "newPxVol"}) {
    if (p.has(f)) unsupported(f, "an option order");
  }
  auto [cp, s] = instrument_of(p);
  Category& c = *cp;
  const OkxInstrument& oi = c.instruments[s];
  const std::string req_id = p.text("reqId").value_or("");
  if (req_id.size() > kMaxClOrdId) param_error("reqId", "up to 32 characters");
  const bool cancel_on_fail = p.boolean("cxlOnFail").value_or(false);
  const sim::OrderView v = find_order(a, c, s, p, kAmendFailed);
  if (!is_open(v.status)) ended(v, true);
  OrderMeta& m = meta(c, s, v.order_id);
  const std::uint64_t ord_id = m.ord_id;
  const std::string cl = m.cl_given ? v.client_order_id : std::string();
  const auto new_sz = p.decimal("newSz");
  const auto new_px = p.decimal("newPx");
  sim::Outbox out;
  auto fail = [&](int code, std::string msg) {
    if (cancel_on_fail) {
      (void)c.venue->cancel(venue_id(a, c), s, sim::OrderRef{v.order_id, {}}, now_ns(), out);
      flush(c, out);
    }
    refuse(code, std::move(msg));
  };
  if (!new_sz && !new_px) fail(kAmendNeedPxSz, "Either order price or amount is required.");
  if (new_px && (!new_px->is_positive() || !new_px->is_multiple_of(oi.tick_sz)))
    fail(kParam, "Parameter newPx error (" + text(*new_px) + " is not a positive multiple of tickSz " + text(oi.tick_sz) + ")");
  const Decimal filled = to_okx(oi, v.executed_qty);
  if (new_sz) {
    if (!new_sz->is_multiple_of(oi.lot_sz)) fail(kLotSz, "Order quantity must be a multiple of the lot size. (newSz " + text(*new_sz) + ")");
    if (*new_sz <= filled) fail(kParam, "Parameter newSz error (" + text(*new_sz) + " must exceed the filled size " + text(filled) + ")");
    if (*new_sz > oi.max_lmt_sz) fail(kMaxLmtSz, "Order amount exceeds the limit " + text(oi.max_lmt_sz) + ".");
  }
  const Decimal qty = new_sz ? to_core(oi, *new_sz) : v.quantity;
  const Decimal price = new_px.value_or(v.price);
  auto r = c.venue->modify(venue_id(a, c), s, sim::OrderRef{v.order_id, {}}, v.side, qty, price, now_ns(), out);
  if (!r.ok()) {
    flush(c, out);
    const auto& e = r.error();
    if (e.code == -2013 || e.code == -2011) fail(kAmendFailed, "Order modification failed as the order does not exist.");
    if (e.code == -4027) fail(kParam, "Parameter ordId error (venue-sim amends limit orders only)");
    if (e.code == -2010 || e.code == -2019) fail(kBalance, "Order modification failed. Insufficient balance. (" + e.msg + ")");
    fail(kParam, "Parameter error: venue-sim refused the amendment: " + std::to_string(e.code) + " " + e.msg);
  }
  if (new_sz) m.sz = *new_sz;
  m.updated_ms = now_ms();
  flush(c, out);
  return item(cl, ord_id, "", false, now_ms(), kOk, "", &req_id);
}

namespace {

// The envelope code and message of an order op whose items succeeded `ok` times of `n`.
OkxFront::Impl::Answer summary(std::size_t ok, std::size_t n, std::string data) {
  if (ok == n) return {kOk, "", std::move(data)};
  if (ok == 0) return {kAllFailed, "All operations failed", std::move(data)};
  return {kPartFailed, "Batch operation partially succeeded", std::move(data)};
}

}  // namespace

OkxFront::Impl::Answer OkxFront::Impl::place(Account& a, const nlohmann::json& body, bool batch) {
  return batch_op(a, body, batch, 0);
}
OkxFront::Impl::Answer OkxFront::Impl::cancel(Account& a, const nlohmann::json& body, bool batch) {
  return batch_op(a, body, batch, 1);
}
OkxFront::Impl::Answer OkxFront::Impl::amend(Account& a, const nlohmann::json& body, bool batch) {
  return batch_op(a, body, batch, 2);
}

OkxFront::Impl::Answer OkxFront::Impl::batch_op(Account& a, const nlohmann::json& body, bool batch, int op) {
  static constexpr std::string_view kBatchPath[] = {"/api/v5/trade/batch-orders", "/api/v5/trade/cancel-batch-orders",
                                                    "/api/v5/trade/amend-batch-orders"};
  std::vector<nlohmann::json> list;
  if (batch) {
    if (body.empty() || body.size() > kMaxBatch) param_error("body", "a batch holds 1 to 20 orders, got " + std::to_string(body.size()));
    for (const auto& x : body) list.push_back(x);
  } else {
    list.push_back(body);
  }
  std::size_t ok = 0;
  std::string data = "[";
  for (std::size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& x = list[i];
    if (i > 0) data += ',';
    const std::string cl = field(x, "clOrdId"), tag = field(x, "tag"), req = field(x, "reqId");
    std::uint64_t known_id = 0;
    if (const std::string oid = field(x, "ordId"); !oid.empty()) (void)std::from_chars(oid.data(), oid.data() + oid.size(), known_id);
    try {
      if (!x.is_object()) param_error("body[" + std::to_string(i) + "]", "expected an object");
      // A batch counts each order against its instrument's window (a single order was counted
      // by the dispatch).
      if (batch && !take_rate(a, kBatchPath[op], field(x, "instId"), 1)) refuse(kRateLimit, "Rate limit reached. Please refer to API documentation and throttle requests accordingly.");
      const Args args(x);
      data += op == 0 ? place_one(a, args) : op == 1 ? cancel_one(a, args) : amend_one(a, args);
      ++ok;
    } catch (const Refusal& r) {
      data += item(cl, known_id, tag, op == 0, now_ms(), r.code, r.msg, op == 2 ? &req : nullptr);
    }
  }
  data += ']';
  return summary(ok, list.size(), std::move(data));
}

}  // namespace oms::venue_sim
