// venue-sim front: Binance USD-M /fapi endpoints (orders, batches, queries, leverage, margin
// type, position mode, balance, account, positionRisk).
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "front_history.hpp"
#include "front_impl.hpp"
#include "front_orders.hpp"

namespace oms::venue_sim {

constexpr std::int64_t kUsdmWindowMs = 7 * 24 * 3'600'000;  // allOrders / userTrades: 7 days at most

namespace {

std::int64_t ms(TimeNs t) { return t / 1'000'000; }

Decimal mul(Decimal a, Decimal b) {
  const auto r = a.mul(b, Rounding::kHalfEven);
  return r.ok() ? *r : Decimal{};
}
Decimal abs_d(Decimal a) { return a.raw() < 0 ? Decimal::from_raw(-a.raw()) : a; }

Reply order_reply(const sim::Venue& v, const sim::OrderView& o) {
  JsonOut j;
  j.obj();
  usdm_order_json(j, v, o);
  j.end_obj();
  return Reply{200, j.take()};
}

Reply ok_msg(std::string_view msg) {
  JsonOut j;
  j.obj().kn("code", 200).kv("msg", msg).end_obj();
  return Reply{200, j.take()};
}

// batchOrders=[{"symbol":"BTCUSDT","side":"BUY",...},...] -> one Params per order.
bool batch_params(const std::string* text, std::vector<Params>& out, Reply& err) {
  if (text == nullptr || text->empty()) return err = Reply::missing("batchOrders"), false;
  const auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array() || doc.empty() || doc.size() > 5) {
    err = Reply::error(400, -1130, "Data sent for parameter 'batchOrders' is not valid.");
    return false;
  }
  for (const auto& o : doc) {
    if (!o.is_object()) {
      err = Reply::error(400, -1130, "Data sent for parameter 'batchOrders' is not valid.");
      return false;
    }
    Params p;
    for (const auto& [k, v] : o.items()) {
      p.kv.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    }
    out.push_back(std::move(p));
  }
  return true;
}

void position_json(JsonOut& j, const sim::Venue& v, const sim::PositionView& p, bool v2,
                   bool hedge_unused) {
  (void)hedge_unused;
  const Decimal mark = v.mark_price(p.symbol).value_or(Decimal{});
  const Decimal notional = mul(p.amount, mark);
  Decimal margin;
  if (p.leverage > 0) {
    const auto m = abs_d(notional).div(*Decimal::from_int(p.leverage), Rounding::kUp);
    if (m.ok()) margin = *m;
  }
  j.obj().kv("symbol", v.instrument(p.symbol).venue_symbol);
  j.kv("positionSide", position_side_str(p.position_side)).kv("positionAmt", canon(p.amount));
  j.kv("entryPrice", canon(p.entry_price)).kv("breakEvenPrice", canon(p.entry_price));
  j.kv("markPrice", canon(mark)).kv("unRealizedProfit", canon(p.unrealized_pnl));
  j.kv("liquidationPrice", "0").kv("isolatedMargin", canon(p.isolated_wallet));
  j.kv("notional", canon(notional)).kv("marginAsset", "USDT");
  j.kv("isolatedWallet", canon(p.isolated_wallet)).kv("initialMargin", canon(margin));
  j.kv("maintMargin", "0").kv("positionInitialMargin", canon(margin));
  j.kv("openOrderInitialMargin", "0").kn("adl", 0).kv("bidNotional", "0").kv("askNotional", "0");
  if (v2) {
    j.kv("leverage", std::to_string(p.leverage));
    j.kv("marginType", p.margin_type == MarginType::kCross ? "cross" : "isolated");
    j.kv("isAutoAddMargin", "false").kv("maxNotionalValue", "1000000");
  }
  j.kn("updateTime", 0).end_obj();
}

}  // namespace

Reply Front::Impl::usdm_private(std::string_view method, std::string_view path, const Params& p,
                                Account& a) {
  if (path.find("lgo") != std::string_view::npos) return usdm_algo_endpoint(method, path, p, a);
  sim::Venue& v = *usdm_m.venue;
  const TimeNs now = now_ns();
  Reply err;
  sim::Outbox out;
  JsonOut j;

  if (path == "/fapi/v1/positionSide/dual") {
    if (method == "GET") {
      j.obj().kb("dualSidePosition", a.hedge).end_obj();
      return Reply{200, j.take()};
    }
    const std::string* d = p.find("dualSidePosition");
    if (d == nullptr || d->empty()) return Reply::missing("dualSidePosition");
    const bool hedge = *d == "true";
    if (hedge == a.hedge) return Reply::error(400, -4059, "No need to change position side.");
    auto r = v.set_hedge_mode(a.id, hedge);
    if (!r.ok()) return Reply::venue(r.error());
    a.hedge = hedge;
    return ok_msg("success");
  }
  const Decimal wallet = v.wallet_balance(a.id), avail = v.available_balance(a.id);
  Decimal upnl;
  for (const auto& pos : v.positions(a.id)) {
    const auto s = upnl.add(pos.unrealized_pnl);
    if (s.ok()) upnl = *s;
  }
  const Decimal margin_balance = wallet.add(upnl).ok() ? *wallet.add(upnl) : wallet;
  if (path == "/fapi/v1/commissionRate") {
    const auto sym = symbol_of(Market::kUsdm, p, err);
    if (!sym) return err;
    j.obj().kv("symbol", v.instrument(*sym).venue_symbol).kv("makerCommissionRate", canon(a.spec.maker_rate));
    j.kv("takerCommissionRate", canon(a.spec.taker_rate)).kv("rpiCommissionRate", canon(a.spec.maker_rate)).end_obj();
    return Reply{200, j.take()};
  }
  if (path == "/fapi/v2/balance") {
    j.arr().obj().kv("accountAlias", "SgsR").kv("asset", "USDT").kv("balance", canon(wallet));
    j.kv("crossWalletBalance", canon(wallet)).kv("crossUnPnl", canon(upnl));
    j.kv("availableBalance", canon(avail)).kv("maxWithdrawAmount", canon(avail));
    j.kb("marginAvailable", true).kn("updateTime", ms(now)).end_obj().end_arr();
    return Reply{200, j.take()};
  }
  if (path == "/fapi/v2/account" || path == "/fapi/v3/account") {
    const bool v2 = path == "/fapi/v2/account";
    j.obj().kv("totalInitialMargin", "0").kv("totalMaintMargin", "0");
    j.kv("totalWalletBalance", canon(wallet)).kv("totalUnrealizedProfit", canon(upnl));
    j.kv("totalMarginBalance", canon(margin_balance)).kv("totalPositionInitialMargin", "0");
    j.kv("totalOpenOrderInitialMargin", "0").kv("totalCrossWalletBalance", canon(wallet));
    j.kv("totalCrossUnPnl", canon(upnl)).kv("availableBalance", canon(avail));
    j.kv("maxWithdrawAmount", canon(avail));
    if (v2) {
      j.kn("feeTier", 0).kb("canTrade", true).kb("canDeposit", true).kb("canWithdraw", true);
      j.kn("updateTime", 0);
    }
    j.key("assets").arr().obj().kv("asset", "USDT").kv("walletBalance", canon(wallet));
    j.kv("unrealizedProfit", canon(upnl)).kv("marginBalance", canon(margin_balance));
    j.kv("maintMargin", "0").kv("initialMargin", "0").kv("positionInitialMargin", "0");
    j.kv("openOrderInitialMargin", "0").kv("crossWalletBalance", canon(wallet));
    j.kv("crossUnPnl", canon(upnl)).kv("availableBalance", canon(avail));
    j.kv("maxWithdrawAmount", canon(avail)).kb("marginAvailable", true);
    j.kn("updateTime", ms(now)).end_obj().end_arr().key("positions").arr();
    for (const auto& pos : v.positions(a.id)) position_json(j, v, pos, v2, a.hedge);
    j.end_arr().end_obj();
    return Reply{200, j.take()};
  }
  if (path == "/fapi/v2/positionRisk" || path == "/fapi/v3/positionRisk") {
    const bool v2 = path == "/fapi/v2/positionRisk";
    std::optional<sim::SymbolIndex> only;
    if (p.find("symbol") != nullptr) {
      only = symbol_of(Market::kUsdm, p, err);
      if (!only) return err;
    }
    j.arr();
    for (sim::SymbolIndex s = 0; s < usdm_m.symbols.size(); ++s) {
      if (only && *only != s) continue;
      const std::vector<PositionSide> sides =
          a.hedge ? std::vector{PositionSide::kLong, PositionSide::kShort}
                  : std::vector{PositionSide::kBoth};
      for (const auto ps : sides) {
        const auto pos = v.position(a.id, s, ps);
        if (!v2 && pos.amount.raw() == 0) continue;
        position_json(j, v, pos, v2, a.hedge);
      }
    }
    j.end_arr();
    return Reply{200, j.take()};
  }
  if (path == "/fapi/v1/openOrders" && p.find("symbol") == nullptr) {
    j.arr();
    for (sim::SymbolIndex s = 0; s < usdm_m.symbols.size(); ++s) {
      for (const auto& o : v.open_orders(a.id, s)) {
        j.obj();
        usdm_order_json(j, v, o);
        j.end_obj();
      }
    }
    j.end_arr();
    return Reply{200, j.take()};
  }
  if (path == "/fapi/v1/batchOrders" && method == "POST") {
    std::vector<Params> items;
    if (!batch_params(p.find("batchOrders"), items, err)) return err;
    j.arr();
    for (const auto& item : items) {
      Reply e;
      const auto sym = symbol_of(Market::kUsdm, item, e);
      sim::NewOrder o;
      o.account = a.id;
      if (sym) o.symbol = *sym;
      if (!sym || !parse_new_order(*this, Market::kUsdm, item, o, e)) {
        j.raw(e.body);
        continue;
      }
      out.clear();
      auto r = v.place(o, now, out);
      flush(Market::kUsdm, out);
      if (!r.ok()) {
        j.obj().kn("code", r.error().code).kv("msg", r.error().msg).end_obj();
        continue;
      }
      j.obj();
      usdm_order_json(j, v, *r);
      j.end_obj();
    }
    j.end_arr();
    return Reply{200, j.take()};
  }

  const auto sym = symbol_of(Market::kUsdm, p, err);
  if (!sym) return err;
  if (path == "/fapi/v1/leverage") {
    const std::string* l = p.find("leverage");
    if (l == nullptr || l->empty()) return Reply::missing("leverage");
    const long lev = std::strtol(l->c_str(), nullptr, 10);
    auto r = v.set_leverage(a.id, *sym, static_cast<int>(lev));
    if (!r.ok()) return Reply::venue(r.error());
    j.obj().kn("leverage", lev).kv("maxNotionalValue", "1000000").kv("symbol", usdm_m.symbols[*sym]);
    j.end_obj();
    return Reply{200, j.take()};
  }
  if (path == "/fapi/v1/marginType") {
    const std::string* t = p.find("marginType");
    if (t == nullptr || t->empty()) return Reply::missing("marginType");
    MarginType mt;
    if (*t == "ISOLATED") mt = MarginType::kIsolated;
    else if (*t == "CROSSED") mt = MarginType::kCross;
    else return Reply::error(400, -1116, "Invalid marginType.");
    if (v.position(a.id, *sym).margin_type == mt) {
      return Reply::error(400, -4046, "No need to change margin type.");
    }
    auto r = v.set_margin_type(a.id, *sym, mt);
    if (!r.ok()) return Reply::venue(r.error());
    return ok_msg("success");
  }
  if (path == "/fapi/v1/order" && method == "POST") {
    sim::NewOrder o;
    o.account = a.id;
    o.symbol = *sym;
    if (!parse_new_order(*this, Market::kUsdm, p, o, err)) return err;
    auto r = v.place(o, now, out);
    flush(Market::kUsdm, out);
    if (!r.ok()) return Reply::venue(r.error());
    return order_reply(v, *r);
  }
  if (path == "/fapi/v1/order" && method == "PUT") {
    sim::OrderRef ref;
    if (!parse_ref(p, ref, err)) return err;
    const std::string* side = p.find("side");
    if (side == nullptr || side->empty()) return Reply::missing("side");
    Decimal qty, price;
    if (!parse_decimal(p, "quantity", qty, err) || !parse_decimal(p, "price", price, err)) return err;
    if (qty.raw() == 0) return Reply::missing("quantity");
    if (price.raw() == 0) return Reply::missing("price");
    auto r = v.modify(a.id, *sym, ref, *side == "SELL" ? Side::kSell : Side::kBuy, qty, price, now, out);
    flush(Market::kUsdm, out);
    if (!r.ok()) return Reply::venue(r.error());
    return order_reply(v, *r);
  }
  if (path == "/fapi/v1/order" && method == "DELETE") {
    sim::OrderRef ref;
    if (!parse_ref(p, ref, err)) return err;
    auto r = v.cancel(a.id, *sym, ref, now, out);
    flush(Market::kUsdm, out);
    if (!r.ok()) return Reply::venue(r.error());
    return order_reply(v, *r);
  }
  if (path == "/fapi/v1/order") {
    sim::OrderRef ref;
    if (!parse_ref(p, ref, err)) return err;
    auto r = v.query(a.id, *sym, ref);
    if (!r.ok()) return Reply::error(400, -2013, "Order does not exist.");
    return order_reply(v, *r);
  }
  if (path == "/fapi/v1/batchOrders") {  // DELETE
    std::vector<sim::OrderRef> refs;
    // Binance accepts these two names in lower case too (ccxt sends them so).
    const std::string* ids = p.find("orderIdList");
    if (ids == nullptr) ids = p.find("orderidlist");
    const std::string* cids = p.find("origClientOrderIdList");
    if (cids == nullptr) cids = p.find("origclientorderidlist");
    const std::string* list = ids != nullptr ? ids : cids;
    if (list == nullptr) return Reply::missing("orderIdList");
    const auto doc = nlohmann::json::parse(*list, nullptr, false);
    if (doc.is_discarded() || !doc.is_array() || doc.empty() || doc.size() > 10) {
      return Reply::error(400, -1130, "Data sent for parameter 'orderIdList' is not valid.");
    }
    for (const auto& x : doc) {
      sim::OrderRef ref;
      if (ids != nullptr && x.is_number_integer()) ref.order_id = x.get<std::int64_t>();
      else if (x.is_string()) ref.client_order_id = x.get<std::string>();
      else return Reply::error(400, -1130, "Data sent for parameter 'orderIdList' is not valid.");
      refs.push_back(ref);
    }
    j.arr();
    for (const auto& ref : refs) {
      out.clear();
      auto r = v.cancel(a.id, *sym, ref, now, out);
      flush(Market::kUsdm, out);
      if (!r.ok()) {
        j.obj().kn("code", r.error().code).kv("msg", r.error().msg).end_obj();
        continue;
      }
      j.obj();
      usdm_order_json(j, v, *r);
      j.end_obj();
    }
    j.end_arr();
    return Reply{200, j.take()};
  }
  if (path == "/fapi/v1/allOpenOrders") {
    (void)v.cancel_all(a.id, *sym, now, out);
    flush(Market::kUsdm, out);
    return ok_msg("The operation of cancel all open order is done.");
  }
  if (path == "/fapi/v1/openOrders" || path == "/fapi/v1/allOrders") {
    std::vector<sim::OrderView> list;
    if (path == "/fapi/v1/openOrders") {
      list = v.open_orders(a.id, *sym);
    } else {
      auto page = history_page(v.all_orders(a.id, *sym), p, HistoryRule{"orderId", kUsdmWindowMs},
                               [](const sim::OrderView& o) { return o.order_id; });
      if (auto* e = std::get_if<Reply>(&page)) return *e;
      list = std::get<std::vector<sim::OrderView>>(std::move(page));
    }
    j.arr();
    for (const auto& o : list) {
      j.obj();
      usdm_order_json(j, v, o);
      j.end_obj();
    }
    j.end_arr();
    return Reply{200, j.take()};
  }
  if (path == "/fapi/v1/userTrades") {
    auto page = history_page(v.my_trades(a.id, *sym), p, HistoryRule{"fromId", kUsdmWindowMs, true},
                             [](const sim::TradeView& t) { return t.trade_id; });
    if (auto* e = std::get_if<Reply>(&page)) return *e;
    j.arr();
    for (const auto& t : std::get<std::vector<sim::TradeView>>(page)) {
      j.obj().kb("buyer", t.side == Side::kBuy).kv("commission", canon(t.commission));
      j.kv("commissionAsset", t.commission_asset).kn("id", t.trade_id).kb("maker", t.maker);
      j.kn("orderId", t.order_id).kv("price", canon(t.price)).kv("qty", canon(t.qty));
      j.kv("quoteQty", canon(t.quote_qty)).kv("realizedPnl", canon(t.realized_pnl));
      j.kv("side", side_str(t.side)).kv("positionSide", position_side_str(t.position_side));
      j.kv("symbol", usdm_m.symbols[*sym]).kn("time", ms(t.time)).end_obj();
    }
    j.end_arr();
    return Reply{200, j.take()};
  }
  return Reply::error(404, -1000, "Unknown path " + std::string(path));
}

}  // namespace oms::venue_sim

// ---- Algo Service (conditional orders) -------------------------------------------------------
// Shapes from Binance's USD-M docs (New / Cancel / Query Algo Order, Current All Algo Open
// Orders, Event: Algo Order Update); the rules are in sim/algo_book.hpp.
namespace oms::venue_sim {

namespace {

// The algo endpoints' parameter names are documented in two spellings (algoId / algoid).
const std::string* find_ci(const Params& p, std::string_view k) {
  for (const auto& [key, value] : p.kv) {
    if (key.size() != k.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) {
      const auto lc = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
      same = lc(key[i]) == lc(k[i]);
    }
    if (same) return &value;
  }
  return nullptr;
}

bool parse_algo_ref(const Params& p, sim::AlgoRef& ref, Reply& err) {
  if (const auto* id = find_ci(p, "algoId"); id != nullptr && !id->empty()) {
    char* end = nullptr;
    ref.algo_id = std::strtoll(id->c_str(), &end, 10);
    if (*end != '\0' || ref.algo_id <= 0)
      return err = Reply::bad_param("algoId", "^[0-9]{1,20}$"), false;
  }
  if (const auto* c = find_ci(p, "clientAlgoId")) ref.client_algo_id = *c;
  if (ref.algo_id == 0 && ref.client_algo_id.empty()) {
    err = Reply::error(400, -1102,
                       "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!");
    return false;
  }
  return true;
}

void algo_json(JsonOut& j, const sim::Venue& v, const sim::AlgoOrder& a) {
  const sim::NewOrder& o = a.order;
  j.kn("algoId", a.algo_id).kv("clientAlgoId", a.client_algo_id).kv("algoType", "CONDITIONAL");
  j.kv("orderType", to_string(o.type, Market::kUsdm))
      .kv("symbol", v.instrument(o.symbol).venue_symbol);
  j.kv("side", side_str(o.side)).kv("positionSide", position_side_str(o.position_side));
  j.kv("timeInForce", to_string(o.tif)).kv("quantity", canon(o.quantity));
  j.kv("algoStatus", to_string(a.status));
  j.kv("actualOrderId", a.actual_order_id == 0 ? std::string() : std::to_string(a.actual_order_id));
  j.kv("actualPrice", canon(a.avg_price)).kv("triggerPrice", canon(o.stop_price));
  j.kv("price", canon(o.price)).key("icebergQuantity").null();
  j.kv("tpTriggerPrice", "0").kv("tpPrice", "0").kv("slTriggerPrice", "0").kv("slPrice", "0");
  j.kv("tpOrderType", "").kv("selfTradePreventionMode", to_string(o.stp));
  j.kv("workingType", a.mark_price_trigger ? "MARK_PRICE" : "CONTRACT_PRICE");
  j.kv("priceMatch", "NONE").kb("closePosition", a.close_position).kb("priceProtect", false);
  j.kb("reduceOnly", o.reduce_only).kn("createTime", ms(a.create_time));
  j.kn("updateTime", ms(a.update_time)).kn("triggerTime", ms(a.trigger_time));
  j.kn("goodTillDate", 0);
}

}  // namespace

void Front::Impl::send_algo_update(const sim::AlgoOrder& a, TimeNs now) {
  const sim::Venue& v = *usdm_m.venue;
  const sim::NewOrder& o = a.order;
  JsonOut j;
  // The docs' example labels T "Event Time" and E "Transaction Time"; both are now here.
  j.obj().kv("e", "ALGO_UPDATE").kn("T", ms(now)).kn("E", ms(now)).key("o").obj();
  j.kv("caid", a.client_algo_id).kn("aid", a.algo_id).kv("at", "CONDITIONAL");
  j.kv("o", to_string(o.type, Market::kUsdm)).kv("s", v.instrument(o.symbol).venue_symbol);
  j.kv("S", side_str(o.side)).kv("ps", position_side_str(o.position_side));
  j.kv("f", to_string(o.tif)).kv("q", canon(o.quantity)).kv("X", to_string(a.status));
  j.kv("ai", a.actual_order_id == 0 ? std::string() : std::to_string(a.actual_order_id));
  j.kv("ap", canon(a.avg_price)).kv("aq", canon(a.executed_qty));
  j.kv("act", a.actual_order_id == 0 ? "" : to_string(a.actual_type, Market::kUsdm));
  j.kv("tp", canon(o.stop_price)).kv("p", canon(o.price)).kv("V", to_string(o.stp));
  j.kv("wt", a.mark_price_trigger ? "MARK_PRICE" : "CONTRACT_PRICE").kv("pm", "NONE");
  j.kb("cp", a.close_position).kb("pP", false).kb("R", o.reduce_only);
  j.kn("tt", ms(a.trigger_time)).kn("gtd", 0);
  if (!a.reject_reason.empty()) j.kv("rm", a.reject_reason);
  j.end_obj().end_obj();
  send_user(account_index(Market::kUsdm, o.account), {j.take()});
}

Reply Front::Impl::usdm_algo_endpoint(std::string_view method, std::string_view path,
                                      const Params& p, Account& a) {
  sim::Venue& v = *usdm_m.venue;
  const TimeNs now = now_ns();
  Reply err;
  JsonOut j;
  std::optional<sim::SymbolIndex> sym;
  if (p.find("symbol") != nullptr) {
    sym = symbol_of(Market::kUsdm, p, err);
    if (!sym) return err;
  }
  if (path == "/fapi/v1/openAlgoOrders" || path == "/fapi/v1/allAlgoOrders") {
    if (path == "/fapi/v1/allAlgoOrders" && !sym) return Reply::missing("symbol");
    const auto list =
        path == "/fapi/v1/openAlgoOrders" ? usdm_algo.open(a.id, sym) : usdm_algo.all(a.id, *sym);
    j.arr();
    for (const auto& o : list) {
      j.obj();
      algo_json(j, v, o);
      j.end_obj();
    }
    j.end_arr();
    return Reply{200, j.take()};
  }
  if (path == "/fapi/v1/algoOpenOrders") {  // DELETE: Cancel All Algo Open Orders
    if (!sym) return Reply::missing("symbol");
    for (const auto& o : usdm_algo.cancel_all(a.id, *sym, now)) send_algo_update(o, now);
    return ok_msg("The operation of cancel all open order is done.");
  }
  if (path != "/fapi/v1/algoOrder")
    return Reply::error(404, -1000, "Unknown path " + std::string(path));
  if (method == "POST") {
    if (!sym) return Reply::missing("symbol");
    const std::string* at = p.find("algoType");
    if (at == nullptr || at->empty()) return Reply::missing("algoType");
    if (*at != "CONDITIONAL") return Reply::error(400, -1116, "Invalid algoType.");
    // The order fields as /fapi/v1/order reads them: triggerPrice for stopPrice, the
    // documented default GTC for timeInForce, clientAlgoId for newClientOrderId.
    Params q;
    for (const auto& kv : p.kv) {
      if (kv.first == "stopPrice" || kv.first == "newClientOrderId") continue;
      q.kv.push_back(kv);
    }
    if (const auto* tp = find_ci(p, "triggerPrice")) q.kv.emplace_back("stopPrice", *tp);
    if (p.find("timeInForce") == nullptr) q.kv.emplace_back("timeInForce", "GTC");
    const std::string* close = p.find("closePosition");
    const bool close_position = close != nullptr && *close == "true";
    if (close_position && p.find("quantity") == nullptr)
      q.kv.emplace_back("quantity", "0.00000001");
    sim::AlgoOrder algo;
    algo.order.account = a.id;
    algo.order.symbol = *sym;
    if (!parse_new_order(*this, Market::kUsdm, q, algo.order, err)) return err;
    if (!sim::is_stop(algo.order.type)) {
      return Reply::error(400, -1116, "Invalid orderType.");
    }
    if (close_position) algo.order.quantity = Decimal{};
    algo.close_position = close_position;
    if (const auto* c = p.find("clientAlgoId")) algo.client_algo_id = *c;
    if (const auto* wt = p.find("workingType")) {
      if (*wt == "MARK_PRICE")
        algo.mark_price_trigger = true;
      else if (*wt != "CONTRACT_PRICE")
        return Reply::error(400, -1116, "Invalid workingType.");
    }
    const auto ref = algo.mark_price_trigger ? v.mark_price(*sym) : v.last_price(*sym);
    auto r = usdm_algo.place(std::move(algo), ref, now);
    if (!r.ok()) return Reply::venue(r.error());
    send_algo_update(*r, now);
    j.obj();
    algo_json(j, v, *r);
    j.end_obj();
    return Reply{200, j.take()};
  }
  sim::AlgoRef ref;
  if (!parse_algo_ref(p, ref, err)) return err;
  if (method == "DELETE") {
    auto r = usdm_algo.cancel(a.id, ref, now);
    if (!r.ok()) return Reply::venue(r.error());
    send_algo_update(*r, now);
    j.obj().kn("algoId", r->algo_id).kv("clientAlgoId", r->client_algo_id).kv("code", "200");
    j.kv("msg", "success").end_obj();
    return Reply{200, j.take()};
  }
  auto r = usdm_algo.query(a.id, ref);
  if (!r.ok()) return Reply::venue(r.error());
  j.obj();
  algo_json(j, v, *r);
  j.end_obj();
  return Reply{200, j.take()};
}

void Front::Impl::algo_follow(const sim::Outbox& out) {
  for (const auto& r : out.reports) {
    const bool done = r.status == sim::SimStatus::kFilled ||
                      r.status == sim::SimStatus::kCanceled ||
                      r.status == sim::SimStatus::kExpired || r.status == sim::SimStatus::kRejected;
    sim::AlgoOrder* a = usdm_algo.by_actual(r.symbol, r.order_id);
    if (a == nullptr) continue;
    a->executed_qty = r.cum_qty;
    a->avg_price = r.avg_price;
    if (!done) continue;
    a->status = sim::AlgoStatus::kFinished;
    a->update_time = r.transaction_time;
    send_algo_update(*a, r.transaction_time);
  }
}

void Front::Impl::algo_trigger() {
  if (algo_running || !usdm_algo.any_open()) return;
  algo_running = true;
  sim::Venue& v = *usdm_m.venue;
  const TimeNs now = now_ns();
  for (sim::SymbolIndex s = 0; s < usdm_m.symbols.size(); ++s) {
    // Each round moves one algo order out of NEW: bounded by the number of algo orders.
    while (sim::AlgoOrder* a = usdm_algo.next_due(s, v.last_price(s), v.mark_price(s))) {
      a->trigger_time = a->update_time = now;
      sim::NewOrder o = a->order;
      o.type = sim::has_limit(o.type) ? sim::SimOrderType::kLimit : sim::SimOrderType::kMarket;
      o.stop_price = Decimal{};
      if (o.type == sim::SimOrderType::kMarket) o.tif = sim::SimTif::kGtc;
      if (a->close_position) {
        const auto pos = v.position(o.account, s, o.position_side);
        o.quantity = pos.amount.abs().ok() ? *pos.amount.abs() : Decimal{};
        o.reduce_only = o.position_side == PositionSide::kBoth;
        if (o.quantity.is_zero() || (o.position_side == PositionSide::kBoth &&
                                     pos.amount.is_positive() == (o.side == Side::kBuy))) {
          a->status = sim::AlgoStatus::kExpired;  // nothing to close on that side
          send_algo_update(*a, now);
          continue;
        }
      }
      sim::Outbox out;
      auto r = v.place(o, now, out);
      if (!r.ok()) {
        a->status = sim::AlgoStatus::kRejected;
        a->reject_reason = r.error().msg;
        send_algo_update(*a, now);
        flush(Market::kUsdm, out);
        continue;
      }
      a->status = sim::AlgoStatus::kTriggered;
      a->actual_order_id = r->order_id;
      a->actual_type = o.type;
      const sim::AlgoOrder triggered = *a;  // flush may look the order up again
      send_algo_update(triggered, now);
      flush(Market::kUsdm, out);  // ORDER_TRADE_UPDATEs, then FINISHED when it is done
    }
  }
  algo_running = false;
}

}  // namespace oms::venue_sim
