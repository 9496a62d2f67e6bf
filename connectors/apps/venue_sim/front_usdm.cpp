// venue-sim front: Binance USD-M /fapi endpoints (orders, batches, queries, leverage, margin
// type, position mode, balance, account, positionRisk).
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "front_impl.hpp"
#include "front_orders.hpp"

namespace oms::venue_sim {

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
    j.arr();
    const auto list = path == "/fapi/v1/openOrders" ? v.open_orders(a.id, *sym) : v.all_orders(a.id, *sym);
    for (const auto& o : list) {
      j.obj();
      usdm_order_json(j, v, o);
      j.end_obj();
    }
    j.end_arr();
    return Reply{200, j.take()};
  }
  if (path == "/fapi/v1/userTrades") {
    j.arr();
    for (const auto& t : v.my_trades(a.id, *sym)) {
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
