// venue-sim front: Binance Spot /api/v3 endpoints (orders, queries, account) and the order
// parameter parsing both markets share.
#include <cstdlib>

#include "front_history.hpp"
#include "front_impl.hpp"
#include "front_orders.hpp"

namespace oms::venue_sim {

constexpr std::int64_t kSpotWindowMs = 24 * 3'600'000;  // allOrders / myTrades: 24 hours at most

namespace {
std::int64_t ms(TimeNs t) { return t / 1'000'000; }
}  // namespace

bool parse_decimal(const Params& p, std::string_view key, Decimal& out, Reply& err) {
  const std::string* v = p.find(key);
  if (v == nullptr || v->empty()) return true;
  auto d = Decimal::parse(*v);
  if (!d.ok()) {
    err = Reply::error(400, -1100,
                       "Illegal characters found in parameter '" + std::string(key) +
                           "'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.");
    return false;
  }
  out = *d;
  return true;
}

bool parse_new_order(const Front::Impl& f, Market m, const Params& p, sim::NewOrder& o,
                     Reply& err) {
  (void)f;
  const std::string* side = p.find("side");
  if (side == nullptr || side->empty()) return err = Reply::missing("side"), false;
  if (*side == "BUY") o.side = Side::kBuy;
  else if (*side == "SELL") o.side = Side::kSell;
  else return err = Reply::error(400, -1117, "Invalid side."), false;
  const std::string* type = p.find("type");
  if (type == nullptr || type->empty()) return err = Reply::missing("type"), false;
  const bool spot = m == Market::kSpot;
  using T = sim::SimOrderType;
  if (*type == "LIMIT") o.type = T::kLimit;
  else if (*type == "MARKET") o.type = T::kMarket;
  else if (spot && *type == "LIMIT_MAKER") o.type = T::kLimitMaker;
  else if (spot && *type == "STOP_LOSS") o.type = T::kStopLoss;
  else if (spot && *type == "STOP_LOSS_LIMIT") o.type = T::kStopLossLimit;
  else if (spot && *type == "TAKE_PROFIT") o.type = T::kTakeProfit;
  else if (spot && *type == "TAKE_PROFIT_LIMIT") o.type = T::kTakeProfitLimit;
  else if (!spot && *type == "STOP_MARKET") o.type = T::kStopLoss;
  else if (!spot && *type == "STOP") o.type = T::kStopLossLimit;
  else if (!spot && *type == "TAKE_PROFIT_MARKET") o.type = T::kTakeProfit;
  else if (!spot && *type == "TAKE_PROFIT") o.type = T::kTakeProfitLimit;
  else return err = Reply::error(400, -1116, "Invalid orderType."), false;
  const std::string* tif = p.find("timeInForce");
  const bool needs_tif = o.type == T::kLimit || o.type == T::kStopLossLimit ||
                         o.type == T::kTakeProfitLimit;
  if (tif != nullptr && !tif->empty()) {
    if (*tif == "GTC") o.tif = sim::SimTif::kGtc;
    else if (*tif == "IOC") o.tif = sim::SimTif::kIoc;
    else if (*tif == "FOK") o.tif = sim::SimTif::kFok;
    else if (!spot && *tif == "GTX") o.tif = sim::SimTif::kGtx;
    else return err = Reply::error(400, -1115, "Invalid timeInForce."), false;
  } else if (needs_tif) {
    return err = Reply::missing("timeInForce"), false;
  }
  if (!parse_decimal(p, "quantity", o.quantity, err) ||
      !parse_decimal(p, "quoteOrderQty", o.quote_order_qty, err) ||
      !parse_decimal(p, "price", o.price, err) || !parse_decimal(p, "stopPrice", o.stop_price, err)) {
    return false;
  }
  if (o.quantity.raw() == 0 && o.quote_order_qty.raw() == 0) {
    return err = Reply::missing("quantity"), false;
  }
  if (sim::has_limit(o.type) && o.price.raw() == 0) return err = Reply::missing("price"), false;
  if (sim::is_stop(o.type) && o.stop_price.raw() == 0) {
    return err = Reply::missing("stopPrice"), false;
  }
  if (const auto* c = p.find("newClientOrderId")) o.client_order_id = *c;
  if (const auto* stp = p.find("selfTradePreventionMode"); stp != nullptr && !stp->empty()) {
    using S = sim::SimStp;
    if (*stp == "NONE") o.stp = S::kNone;
    else if (*stp == "EXPIRE_TAKER") o.stp = S::kExpireTaker;
    else if (*stp == "EXPIRE_MAKER") o.stp = S::kExpireMaker;
    else if (*stp == "EXPIRE_BOTH") o.stp = S::kExpireBoth;
    else return err = Reply::error(400, -1130, "Data sent for parameter 'selfTradePreventionMode' is not valid."), false;
  }
  if (const auto* r = p.find("reduceOnly")) o.reduce_only = *r == "true";
  if (const auto* ps = p.find("positionSide")) {
    if (*ps == "LONG") o.position_side = PositionSide::kLong;
    else if (*ps == "SHORT") o.position_side = PositionSide::kShort;
    else if (*ps == "BOTH") o.position_side = PositionSide::kBoth;
    else return err = Reply::error(400, -4061, "Order's position side does not match user's setting."), false;
  }
  return true;
}

bool parse_ref(const Params& p, sim::OrderRef& ref, Reply& err) {
  if (const auto* id = p.find("orderId"); id != nullptr && !id->empty()) {
    char* end = nullptr;
    ref.order_id = std::strtoll(id->c_str(), &end, 10);
    if (*end != '\0') return err = Reply::bad_param("orderId", "^[0-9]{1,20}$"), false;
  }
  if (const auto* c = p.find("origClientOrderId")) ref.client_order_id = *c;
  if (ref.order_id == 0 && ref.client_order_id.empty()) {
    err = Reply::error(400, -1102,
                       "Param 'origClientOrderId' or 'orderId' must be sent, but both were "
                       "empty/null!");
    return false;
  }
  return true;
}

// The canceled order's report carries the cancel request's id in "c" and the order's in "C".
void rename_cancel(sim::Outbox& out, std::size_t from, const std::string& cancel_id) {
  for (std::size_t i = from; i < out.reports.size(); ++i) {
    if (out.reports[i].exec_type == sim::ExecType::kCanceled) {
      out.reports[i].client_order_id = cancel_id;
    }
  }
}

std::string next_cancel_id(Account& a, const Params& p) {
  if (const auto* c = p.find("newClientOrderId"); c != nullptr && !c->empty()) return *c;
  return "cancel-" + std::to_string(a.id) + "-" + std::to_string(++a.cancel_ids);
}

namespace {

void fills_json(JsonOut& j, const sim::Outbox& out, std::int64_t order_id) {
  j.key("fills").arr();
  for (const auto& r : out.reports) {
    if (r.order_id != order_id || r.exec_type != sim::ExecType::kTrade) continue;
    j.obj().kv("price", fixed8(r.last_price)).kv("qty", fixed8(r.last_qty));
    j.kv("commission", fixed8(r.commission)).kv("commissionAsset", r.commission_asset);
    j.kn("tradeId", r.trade_id).end_obj();
  }
  j.end_arr();
}

void cancel_json(JsonOut& j, const sim::Venue& v, const sim::OrderView& o,
                 const std::string& cancel_id) {
  j.kv("symbol", v.instrument(o.symbol).venue_symbol).kv("origClientOrderId", o.client_order_id);
  j.kn("orderId", o.order_id).kn("orderListId", -1).kv("clientOrderId", cancel_id);
  j.kn("transactTime", ms(o.update_time)).kv("price", fixed8(o.price));
  j.kv("origQty", fixed8(o.quantity)).kv("executedQty", fixed8(o.executed_qty));
  j.kv("origQuoteOrderQty", fixed8(o.quote_order_qty));
  j.kv("cummulativeQuoteQty", fixed8(o.cum_quote)).kv("status", to_string(o.status));
  j.kv("timeInForce", to_string(o.tif)).kv("type", to_string(o.type, Market::kSpot));
  j.kv("side", side_str(o.side)).kv("selfTradePreventionMode", to_string(o.stp));
}

// A rate (0.001) in Binance's commission units (1/10000: 10); the rates venue-sim is given are
// whole units of them.
std::string bips(Decimal rate) {
  return std::to_string(static_cast<long long>(rate.raw() / (Decimal::kOne / 10'000)));
}

}  // namespace

Reply Front::Impl::spot_private(std::string_view method, std::string_view path, const Params& p,
                                Account& a) {
  sim::Venue& v = *spot_m.venue;
  const TimeNs now = now_ns();
  Reply err;
  sim::Outbox out;
  JsonOut j;
  if (path == "/api/v3/account/commission") {
    // The account's rates on the symbol: venue-sim has no tax, special rate or BNB discount.
    const auto sym = symbol_of(Market::kSpot, p, err);
    if (!sym) return err;
    j.obj().kv("symbol", v.instrument(*sym).venue_symbol).key("standardCommission").obj();
    j.kv("maker", fixed8(a.spec.maker_rate)).kv("taker", fixed8(a.spec.taker_rate));
    j.kv("buyer", fixed8(Decimal{})).kv("seller", fixed8(Decimal{})).end_obj();
    for (const char* part : {"specialCommission", "taxCommission"}) {
      j.key(part).obj().kv("maker", fixed8(Decimal{})).kv("taker", fixed8(Decimal{}));
      j.kv("buyer", fixed8(Decimal{})).kv("seller", fixed8(Decimal{})).end_obj();
    }
    j.key("discount").obj().kb("enabledForAccount", false).kb("enabledForSymbol", false);
    j.kv("discountAsset", "BNB").kv("discount", fixed8(Decimal{})).end_obj().end_obj();
    return Reply{200, j.take()};
  }
  if (path == "/api/v3/account") {
    j.obj().kn("makerCommission", std::stoll(bips(a.spec.maker_rate)));
    j.kn("takerCommission", std::stoll(bips(a.spec.taker_rate))).kn("buyerCommission", 0);
    j.kn("sellerCommission", 0).key("commissionRates").obj();
    j.kv("maker", fixed8(a.spec.maker_rate)).kv("taker", fixed8(a.spec.taker_rate));
    j.kv("buyer", fixed8(Decimal{})).kv("seller", fixed8(Decimal{})).end_obj();
    j.kb("canTrade", true).kb("canWithdraw", true).kb("canDeposit", true).kb("brokered", false);
    j.kb("requireSelfTradePrevention", false).kb("preventSor", false);
    j.kn("updateTime", ms(now)).kv("accountType", "SPOT").key("balances").arr();
    const bool omit = p.find("omitZeroBalances") != nullptr && *p.find("omitZeroBalances") == "true";
    for (const auto& b : v.balances(a.id)) {
      if (omit && b.free.raw() == 0 && b.locked.raw() == 0) continue;
      j.obj().kv("asset", b.asset).kv("free", fixed8(b.free)).kv("locked", fixed8(b.locked));
      j.end_obj();
    }
    j.end_arr().key("permissions").arr().str("SPOT").end_arr().kn("uid", a.id + 1).end_obj();
    return Reply{200, j.take()};
  }
  if (path == "/api/v3/openOrders" && method == "GET" && p.find("symbol") == nullptr) {
    j.arr();
    for (sim::SymbolIndex s = 0; s < spot_m.symbols.size(); ++s) {
      for (const auto& o : v.open_orders(a.id, s)) {
        j.obj();
        spot_order_json(j, v, o, true);
        j.end_obj();
      }
    }
    j.end_arr();
    return Reply{200, j.take()};
  }
  const auto sym = symbol_of(Market::kSpot, p, err);
  if (!sym) return err;

  if (path == "/api/v3/order" && method == "POST") {
    sim::NewOrder o;
    o.account = a.id;
    o.symbol = *sym;
    if (!parse_new_order(*this, Market::kSpot, p, o, err)) return err;
    auto r = v.place(o, now, out);
    flush(Market::kSpot, out);
    if (!r.ok()) return Reply::venue(r.error());
    std::string resp = "FULL";
    if (o.type != sim::SimOrderType::kLimit && o.type != sim::SimOrderType::kMarket) resp = "ACK";
    if (const auto* t = p.find("newOrderRespType")) resp = *t;
    j.obj();
    if (resp == "ACK") {
      j.kv("symbol", spot_m.symbols[*sym]).kn("orderId", r->order_id).kn("orderListId", -1);
      j.kv("clientOrderId", r->client_order_id).kn("transactTime", ms(now));
    } else {
      spot_order_json(j, v, *r, false);
      if (resp == "FULL") fills_json(j, out, r->order_id);
    }
    j.end_obj();
    return Reply{200, j.take()};
  }
  if (path == "/api/v3/order/test") {
    sim::NewOrder o;
    if (!parse_new_order(*this, Market::kSpot, p, o, err)) return err;
    return Reply{200, "{}"};
  }
  if (path == "/api/v3/order" && method == "DELETE") {
    sim::OrderRef ref;
    if (!parse_ref(p, ref, err)) return err;
    const std::string cid = next_cancel_id(a, p);
    auto r = v.cancel(a.id, *sym, ref, now, out);
    rename_cancel(out, 0, cid);
    flush(Market::kSpot, out);
    if (!r.ok()) return Reply::venue(r.error());
    j.obj();
    cancel_json(j, v, *r, cid);
    j.end_obj();
    return Reply{200, j.take()};
  }
  if (path == "/api/v3/order") {  // GET
    sim::OrderRef ref;
    if (!parse_ref(p, ref, err)) return err;
    auto r = v.query(a.id, *sym, ref);
    if (!r.ok()) return Reply::error(400, -2013, "Order does not exist.");
    j.obj();
    spot_order_json(j, v, *r, true);
    j.end_obj();
    return Reply{200, j.take()};
  }
  if (path == "/api/v3/order/cancelReplace") {
    const std::string* mode = p.find("cancelReplaceMode");
    if (mode == nullptr || mode->empty()) return Reply::missing("cancelReplaceMode");
    if (*mode != "STOP_ON_FAILURE") {
      return Reply::error(400, -1102, "cancelReplaceMode ALLOW_FAILURE is not supported by venue-sim.");
    }
    sim::OrderRef ref;
    if (const auto* id = p.find("cancelOrderId")) ref.order_id = std::strtoll(id->c_str(), nullptr, 10);
    if (const auto* c = p.find("cancelOrigClientOrderId")) ref.client_order_id = *c;
    if (ref.order_id == 0 && ref.client_order_id.empty()) return Reply::missing("cancelOrderId");
    sim::NewOrder o;
    o.account = a.id;
    o.symbol = *sym;
    if (!parse_new_order(*this, Market::kSpot, p, o, err)) return err;
    std::string cid = "cancel-" + std::to_string(a.id) + "-" + std::to_string(++a.cancel_ids);
    if (const auto* c = p.find("cancelNewClientOrderId")) cid = *c;
    auto r = v.cancel_replace(ref, o, now, out);
    rename_cancel(out, 0, cid);
    flush(Market::kSpot, out);
    if (!r.ok()) {
      // -2022: the cancel failed (nothing placed); -2021: canceled, the new order failed.
      const bool canceled = r.error().code == -2021;
      if (!canceled && r.error().code != -2022) return Reply::venue(r.error());
      JsonOut e;
      e.obj().kn("code", r.error().code).kv("msg", r.error().msg).key("data").obj();
      e.kv("cancelResult", canceled ? "SUCCESS" : "FAILURE");
      e.kv("newOrderResult", canceled ? "FAILURE" : "NOT_ATTEMPTED").key("cancelResponse");
      if (canceled) {
        e.obj().kv("symbol", spot_m.symbols[*sym]).kv("clientOrderId", cid).end_obj();
      } else {
        e.obj().kn("code", -2011).kv("msg", "Unknown order sent.").end_obj();
      }
      e.key("newOrderResponse");
      if (canceled) {
        e.obj().kn("code", -2010).kv("msg", "The new order was rejected.").end_obj();
      } else {
        e.null();
      }
      e.end_obj().end_obj();
      return Reply{400, e.take()};
    }
    j.obj().kv("cancelResult", "SUCCESS").kv("newOrderResult", "SUCCESS");
    j.key("cancelResponse").obj();
    cancel_json(j, v, r->canceled, cid);
    j.end_obj().key("newOrderResponse").obj();
    spot_order_json(j, v, r->placed, false);
    fills_json(j, out, r->placed.order_id);
    j.end_obj().end_obj();
    return Reply{200, j.take()};
  }
  if (path == "/api/v3/openOrders" && method == "DELETE") {
    const auto done = v.cancel_all(a.id, *sym, now, out);
    flush(Market::kSpot, out);
    if (done.empty()) return Reply::error(400, -2011, "Unknown order sent.");
    j.arr();
    for (const auto& o : done) {
      j.obj();
      cancel_json(j, v, o, next_cancel_id(a, Params{}));
      j.end_obj();
    }
    j.end_arr();
    return Reply{200, j.take()};
  }
  if (path == "/api/v3/openOrders" || path == "/api/v3/allOrders") {
    std::vector<sim::OrderView> list;
    if (path == "/api/v3/openOrders") {
      list = v.open_orders(a.id, *sym);
    } else {
      auto page = history_page(v.all_orders(a.id, *sym), p, HistoryRule{"orderId", kSpotWindowMs},
                               [](const sim::OrderView& o) { return o.order_id; });
      if (auto* e = std::get_if<Reply>(&page)) return *e;
      list = std::get<std::vector<sim::OrderView>>(std::move(page));
    }
    j.arr();
    for (const auto& o : list) {
      j.obj();
      spot_order_json(j, v, o, true);
      j.end_obj();
    }
    j.end_arr();
    return Reply{200, j.take()};
  }
  if (path == "/api/v3/myTrades") {
    auto page = history_page(v.my_trades(a.id, *sym), p, HistoryRule{"fromId", kSpotWindowMs, true},
                             [](const sim::TradeView& t) { return t.trade_id; });
    if (auto* e = std::get_if<Reply>(&page)) return *e;
    j.arr();
    for (const auto& t : std::get<std::vector<sim::TradeView>>(page)) {
      j.obj().kv("symbol", spot_m.symbols[*sym]).kn("id", t.trade_id).kn("orderId", t.order_id);
      j.kn("orderListId", -1).kv("price", fixed8(t.price)).kv("qty", fixed8(t.qty));
      j.kv("quoteQty", fixed8(t.quote_qty)).kv("commission", fixed8(t.commission));
      j.kv("commissionAsset", t.commission_asset).kn("time", ms(t.time));
      j.kb("isBuyer", t.side == Side::kBuy).kb("isMaker", t.maker).kb("isBestMatch", true);
      j.end_obj();
    }
    j.end_arr();
    return Reply{200, j.take()};
  }
  return Reply::error(404, -1000, "Unknown path " + std::string(path));
}

}  // namespace oms::venue_sim
