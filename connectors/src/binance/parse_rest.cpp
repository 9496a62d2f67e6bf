// Binance REST response bodies.
#include <charconv>

#include "oms/connectors/binance/rest_response.hpp"
#include "parse_detail.hpp"

namespace oms::binance {
namespace {

using Failed = Unexpected<ParseError>;

// Starts a document whose root must be an object (want_array false) or an array.
bool open_root(Ctx& ctx, JsonParser& parser, std::string_view json, od::document& doc) {
  if (auto e = parser.impl().load(json, doc)) return ctx.json_fail("", e);
  return true;
}
bool root_object(Ctx& ctx, od::document& doc, od::object& out) {
  if (auto e = doc.get_object().get(out)) {
    if (e == simdjson::INCORRECT_TYPE) return ctx.fail("", "expected a JSON object");
    return ctx.json_fail("", e);
  }
  return true;
}
bool root_array(Ctx& ctx, od::document& doc, od::array& out) {
  if (auto e = doc.get_array().get(out)) {
    if (e == simdjson::INCORRECT_TYPE) return ctx.fail("", "expected a JSON array");
    return ctx.json_fail("", e);
  }
  return true;
}

// Each object of an array, named "<field>[i]" in errors.
template <class Fn>
bool each_object(Ctx& ctx, od::array arr, std::string_view field, Fn&& fn) {
  return for_each_element(ctx, arr, field, [&](std::size_t i, od::value v) {
    const std::string where = indexed(field, i);
    od::object o;
    if (!as_object(ctx, v, where, o)) return false;
    ctx.set_prefix({});
    return fn(where, o);
  });
}

bool fill(Ctx& ctx, const std::string& where, od::object o, OrderFill& f) {
  std::uint64_t seen = 0;
  if (!for_each_field(ctx, o, where, [&](std::string_view k, od::value v) {
        const std::string n = where + "." + std::string(k);
        if (k == "price") return seen |= 1, ctx.dec(v, n, f.price);
        if (k == "qty") return seen |= 2, ctx.dec(v, n, f.quantity);
        if (k == "commission") return ctx.dec(v, n, f.commission);
        if (k == "commissionAsset") return ctx.text_or_null(v, n, f.commission_asset);
        if (k == "tradeId") return ctx.i64(v, n, f.trade_id);
        return true;
      }))
    return false;
  constexpr std::string_view kNames[] = {"price", "qty"};
  return check_required(ctx, seen, kNames, where + ".");
}

// One order object; prefix names it in errors ("[3]." for an element of an array).
// With reports given, an order list (cancel-all returns them among the orders: it has
// "contingencyType" and no "orderId") appends its "orderReports" there and sets *is_list.
bool order(Ctx& ctx, od::object o, const std::string& prefix, OrderInfo& out,
           std::vector<OrderInfo>* reports = nullptr, bool* is_list = nullptr) {
  out = OrderInfo{};
  std::uint64_t seen = 0;
  bool list = false;
  std::int64_t error_code = 0;
  bool has_code = false;
  if (!for_each_field(ctx, o, prefix, [&](std::string_view k, od::value v) {
        const std::string n = prefix + std::string(k);
        if (k == "symbol") return seen |= 1, ctx.text(v, n, out.symbol);
        if (k == "orderId") return seen |= 2, ctx.u64(v, n, out.order_id);
        if (k == "clientOrderId") return seen |= 4, ctx.text(v, n, out.client_order_id);
        if (k == "orderListId") return ctx.i64(v, n, out.order_list_id);
        if (k == "origClientOrderId") return ctx.text(v, n, out.orig_client_order_id);
        if (k == "transactTime" || k == "time" || k == "updateTime") {
          std::uint64_t t = 0;
          if (!ctx.u64(v, n, t)) return false;
          if (out.time == 0) out.time = t;
          return true;
        }
        if (k == "status") {
          out.has_details = true;
          return parse_order_status(ctx, v, n, out.venue_status, out.status);
        }
        if (k == "price") return ctx.dec(v, n, out.price);
        if (k == "origQty") return ctx.dec(v, n, out.orig_qty);
        if (k == "executedQty") return ctx.dec(v, n, out.executed_qty);
        if (k == "cummulativeQuoteQty" || k == "cumQuote") return ctx.dec(v, n, out.cum_quote);
        if (k == "avgPrice") return ctx.dec(v, n, out.avg_price);
        if (k == "stopPrice") return ctx.dec(v, n, out.stop_price);
        if (k == "timeInForce") return ctx.text(v, n, out.time_in_force);
        if (k == "type") return ctx.text(v, n, out.order_type);
        if (k == "side") return parse_side(ctx, v, n, out.side);
        if (k == "reduceOnly") return ctx.boolean(v, n, out.reduce_only);
        if (k == "positionSide") return ctx.text(v, n, out.position_side);
        if (k == "code") return has_code = true, ctx.i64(v, n, error_code);
        if (k == "contingencyType" && reports != nullptr) return list = true, true;
        if (k == "orderReports" && reports != nullptr) {
          od::array arr;
          if (!as_array(ctx, v, n, arr)) return false;
          return each_object(ctx, arr, n, [&](const std::string& where, od::object ro) {
            OrderInfo info;
            if (!order(ctx, ro, where + ".", info)) return false;
            reports->push_back(std::move(info));
            return true;
          });
        }
        if (k == "fills") {
          od::array arr;
          if (!as_array(ctx, v, n, arr)) return false;
          return each_object(ctx, arr, n, [&](const std::string& where, od::object fo) {
            OrderFill f;
            if (!fill(ctx, where, fo, f)) return false;
            out.fills.push_back(f);
            return true;
          });
        }
        return true;
      }))
    return false;
  if (list && (seen & 2) == 0) {
    *is_list = true;
    return true;
  }
  if (has_code && (seen & 2) == 0)
    return ctx.fail(prefix + "code", "an error body (code " + std::to_string(error_code) +
                                         "), not an order");
  constexpr std::string_view kNames[] = {"symbol", "orderId", "clientOrderId"};
  return check_required(ctx, seen, kNames, prefix);
}

}  // namespace

Result<ErrorBody, ParseError> parse_error_body(JsonParser& parser, std::string_view json) {
  Ctx ctx("error body");
  od::document doc;
  od::object o;
  if (!open_root(ctx, parser, json, doc) || !root_object(ctx, doc, o))
    return Failed{std::move(ctx).error()};
  ErrorBody out;
  std::uint64_t seen = 0;
  if (!for_each_field(ctx, o, "", [&](std::string_view k, od::value v) {
        if (k == "code") {
          seen |= 1;
          std::int64_t c = 0;
          if (!ctx.i64(v, "code", c)) return false;
          if (c < INT32_MIN || c > INT32_MAX) return ctx.fail("code", "out of range");
          out.code = static_cast<std::int32_t>(c);
          return true;
        }
        if (k == "msg") {
          seen |= 2;
          std::string_view m;
          if (!ctx.text(v, "msg", m)) return false;
          out.msg.assign(m);
          return true;
        }
        return true;
      }))
    return Failed{std::move(ctx).error()};
  constexpr std::string_view kNames[] = {"code", "msg"};
  if (!check_required(ctx, seen, kNames)) return Failed{std::move(ctx).error()};
  return out;
}

Result<Unit, ParseError> parse_order(JsonParser& parser, std::string_view json, OrderInfo& out) {
  Ctx ctx("order response");
  od::document doc;
  od::object o;
  if (!open_root(ctx, parser, json, doc) || !root_object(ctx, doc, o) || !order(ctx, o, "", out))
    return Failed{std::move(ctx).error()};
  return Unit{};
}

Result<Unit, ParseError> parse_orders(JsonParser& parser, std::string_view json,
                                      std::vector<OrderInfo>& out) {
  Ctx ctx("orders");
  out.clear();
  od::document doc;
  od::array arr;
  if (!open_root(ctx, parser, json, doc) || !root_array(ctx, doc, arr))
    return Failed{std::move(ctx).error()};
  if (!each_object(ctx, arr, "", [&](const std::string& where, od::object o) {
        OrderInfo info;
        bool is_list = false;
        if (!order(ctx, o, where + ".", info, &out, &is_list)) return false;
        if (!is_list) out.push_back(std::move(info));
        return true;
      }))
    return Failed{std::move(ctx).error()};
  return Unit{};
}

Result<Unit, ParseError> parse_spot_account(JsonParser& parser, std::string_view json,
                                            std::vector<AssetBalance>& out) {
  Ctx ctx("account");
  out.clear();
  od::document doc;
  od::object o;
  if (!open_root(ctx, parser, json, doc) || !root_object(ctx, doc, o))
    return Failed{std::move(ctx).error()};
  bool has_balances = false;
  if (!for_each_field(ctx, o, "", [&](std::string_view k, od::value v) {
        if (k != "balances") return true;
        has_balances = true;
        od::array arr;
        if (!as_array(ctx, v, "balances", arr)) return false;
        return each_object(ctx, arr, "balances", [&](const std::string& where, od::object b) {
          AssetBalance ab;
          std::uint64_t seen = 0;
          if (!for_each_field(ctx, b, where, [&](std::string_view bk, od::value bv) {
                const std::string n = where + "." + std::string(bk);
                if (bk == "asset") return seen |= 1, ctx.text(bv, n, ab.asset);
                if (bk == "free") return seen |= 2, ctx.dec(bv, n, ab.free);
                if (bk == "locked") return seen |= 4, ctx.dec(bv, n, ab.locked);
                return true;
              }))
            return false;
          constexpr std::string_view kNames[] = {"asset", "free", "locked"};
          if (!check_required(ctx, seen, kNames, where + ".")) return false;
          out.push_back(ab);
          return true;
        });
      }))
    return Failed{std::move(ctx).error()};
  if (!has_balances) {
    ctx.missing("balances");
    return Failed{std::move(ctx).error()};
  }
  return Unit{};
}

Result<Unit, ParseError> parse_spot_commission(JsonParser& parser, std::string_view json, CommissionRates& out) {
  Ctx ctx("account/commission");
  out = {};
  od::document doc;
  od::object o;
  if (!open_root(ctx, parser, json, doc) || !root_object(ctx, doc, o)) return Failed{std::move(ctx).error()};
  bool standard = false;
  if (!for_each_field(ctx, o, "", [&](std::string_view k, od::value v) {
        if (k != "standardCommission" && k != "specialCommission" && k != "taxCommission") return true;
        standard = standard || k == "standardCommission";
        const std::string where(k);
        od::object part;
        if (v.get_object().get(part) != simdjson::SUCCESS) {
          ctx.fail(where, "not an object");
          return false;
        }
        Decimal maker, taker;
        std::uint64_t seen = 0;
        if (!for_each_field(ctx, part, where, [&](std::string_view pk, od::value pv) {
              const std::string n = where + "." + std::string(pk);
              if (pk == "maker") return seen |= 1, ctx.dec(pv, n, maker);
              if (pk == "taker") return seen |= 2, ctx.dec(pv, n, taker);
              return true;
            }))
          return false;
        constexpr std::string_view kNames[] = {"maker", "taker"};
        if (!check_required(ctx, seen, kNames, where + ".")) return false;
        const auto m = out.maker.add(maker);
        const auto t = out.taker.add(taker);
        if (!m || !t) {
          ctx.fail(where, "the sum of the commissions is out of range");
          return false;
        }
        out.maker = *m;
        out.taker = *t;
        return true;
      }))
    return Failed{std::move(ctx).error()};
  if (!standard) {
    ctx.missing("standardCommission");
    return Failed{std::move(ctx).error()};
  }
  return Unit{};
}

Result<Unit, ParseError> parse_usdm_commission_rate(JsonParser& parser, std::string_view json, CommissionRates& out) {
  Ctx ctx("commissionRate");
  out = {};
  od::document doc;
  od::object o;
  if (!open_root(ctx, parser, json, doc) || !root_object(ctx, doc, o)) return Failed{std::move(ctx).error()};
  std::uint64_t seen = 0;
  if (!for_each_field(ctx, o, "", [&](std::string_view k, od::value v) {
        if (k == "makerCommissionRate") return seen |= 1, ctx.dec(v, "makerCommissionRate", out.maker);
        if (k == "takerCommissionRate") return seen |= 2, ctx.dec(v, "takerCommissionRate", out.taker);
        return true;
      }))
    return Failed{std::move(ctx).error()};
  constexpr std::string_view kNames[] = {"makerCommissionRate", "takerCommissionRate"};
  if (!check_required(ctx, seen, kNames, "")) return Failed{std::move(ctx).error()};
  return Unit{};
}

namespace {
bool futures_balance(Ctx& ctx, const std::string& where, od::object b, FuturesAssetBalance& out) {
  std::uint64_t seen = 0;
  if (!for_each_field(ctx, b, where, [&](std::string_view k, od::value v) {
        const std::string n = where + "." + std::string(k);
        if (k == "asset") return seen |= 1, ctx.text(v, n, out.asset);
        if (k == "balance" || k == "walletBalance")
          return seen |= 2, ctx.dec(v, n, out.wallet_balance);
        if (k == "crossWalletBalance") return ctx.dec(v, n, out.cross_wallet_balance);
        if (k == "availableBalance") return ctx.dec(v, n, out.available_balance);
        if (k == "crossUnPnl" || k == "unrealizedProfit") return ctx.dec(v, n, out.unrealized_pnl);
        return true;
      }))
    return false;
  constexpr std::string_view kNames[] = {"asset", "balance"};
  return check_required(ctx, seen, kNames, where + ".");
}
}  // namespace

Result<Unit, ParseError> parse_futures_balances(JsonParser& parser, std::string_view json,
                                                std::vector<FuturesAssetBalance>& out) {
  Ctx ctx("futures balances");
  out.clear();
  od::document doc;
  if (!open_root(ctx, parser, json, doc)) return Failed{std::move(ctx).error()};
  const auto each = [&](od::array arr, std::string_view field) {
    return each_object(ctx, arr, field, [&](const std::string& where, od::object b) {
      FuturesAssetBalance fb;
      if (!futures_balance(ctx, where, b, fb)) return false;
      out.push_back(fb);
      return true;
    });
  };
  od::json_type t;
  if (auto e = doc.type().get(t)) {
    ctx.json_fail("", e);
    return Failed{std::move(ctx).error()};
  }
  bool ok = false;
  if (t == od::json_type::array) {
    od::array arr;
    ok = root_array(ctx, doc, arr) && each(arr, "");
  } else {
    od::object o;
    bool has_assets = false;
    ok = root_object(ctx, doc, o) &&
         for_each_field(ctx, o, "", [&](std::string_view k, od::value v) {
           if (k != "assets") return true;
           has_assets = true;
           od::array arr;
           return as_array(ctx, v, "assets", arr) && each(arr, "assets");
         });
    if (ok && !has_assets) ok = ctx.missing("assets");
  }
  if (!ok) return Failed{std::move(ctx).error()};
  return Unit{};
}

Result<Unit, ParseError> parse_position_risk(JsonParser& parser, std::string_view json,
                                             std::vector<PositionRisk>& out) {
  Ctx ctx("positionRisk");
  out.clear();
  od::document doc;
  od::array arr;
  if (!open_root(ctx, parser, json, doc) || !root_array(ctx, doc, arr))
    return Failed{std::move(ctx).error()};
  if (!each_object(ctx, arr, "", [&](const std::string& where, od::object o) {
        PositionRisk p;
        std::uint64_t seen = 0;
        if (!for_each_field(ctx, o, where, [&](std::string_view k, od::value v) {
              const std::string n = where + "." + std::string(k);
              if (k == "symbol") return seen |= 1, ctx.text(v, n, p.symbol);
              if (k == "positionAmt") return seen |= 2, ctx.dec(v, n, p.position_amt);
              if (k == "entryPrice") return seen |= 4, ctx.dec(v, n, p.entry_price);
              if (k == "markPrice") return ctx.dec(v, n, p.mark_price);
              if (k == "unRealizedProfit") return ctx.dec(v, n, p.unrealized_pnl);
              if (k == "liquidationPrice") return ctx.dec(v, n, p.liquidation_price);
              if (k == "isolatedMargin") return ctx.dec(v, n, p.isolated_margin);
              if (k == "marginType") return parse_margin_type(ctx, v, n, p.margin_type);
              if (k == "positionSide") return parse_position_side(ctx, v, n, p.position_side);
              if (k == "leverage") {
                std::string_view s;
                if (!ctx.text(v, n, s)) return false;
                std::uint16_t lev = 0;
                const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), lev);
                if (ec != std::errc{} || ptr != s.data() + s.size() || lev == 0)
                  return ctx.fail(n, "expected a leverage 1..65535, got '" + std::string(s) + "'");
                p.leverage = lev;
                return true;
              }
              return true;
            }))
          return false;
        constexpr std::string_view kNames[] = {"symbol", "positionAmt", "entryPrice"};
        if (!check_required(ctx, seen, kNames, where + ".")) return false;
        out.push_back(p);
        return true;
      }))
    return Failed{std::move(ctx).error()};
  return Unit{};
}

Result<Unit, ParseError> parse_account_trades(JsonParser& parser, std::string_view json,
                                              std::vector<AccountTrade>& out) {
  Ctx ctx("myTrades");
  out.clear();
  od::document doc;
  od::array arr;
  if (!open_root(ctx, parser, json, doc) || !root_array(ctx, doc, arr))
    return Failed{std::move(ctx).error()};
  if (!each_object(ctx, arr, "", [&](const std::string& where, od::object o) {
        AccountTrade t;
        std::uint64_t seen = 0;
        if (!for_each_field(ctx, o, where, [&](std::string_view k, od::value v) {
              const std::string n = where + "." + std::string(k);
              if (k == "symbol") return seen |= 1, ctx.text(v, n, t.symbol);
              if (k == "id") return seen |= 2, ctx.i64(v, n, t.id);
              if (k == "orderId") return seen |= 4, ctx.u64(v, n, t.order_id);
              if (k == "price") return seen |= 8, ctx.dec(v, n, t.price);
              if (k == "qty") return seen |= 16, ctx.dec(v, n, t.quantity);
              if (k == "isBuyer" || k == "buyer") {
                bool b = false;
                if (!ctx.boolean(v, n, b)) return false;
                t.side = b ? Side::kBuy : Side::kSell;
                return seen |= 32, true;
              }
              if (k == "quoteQty") return ctx.dec(v, n, t.quote_qty);
              if (k == "commission") return ctx.dec(v, n, t.commission);
              if (k == "commissionAsset") return ctx.text_or_null(v, n, t.commission_asset);
              if (k == "time") return ctx.u64(v, n, t.time);
              if (k == "isMaker" || k == "maker") return ctx.boolean(v, n, t.is_maker);
              if (k == "realizedPnl") return ctx.dec(v, n, t.realized_pnl);
              return true;
            }))
          return false;
        constexpr std::string_view kNames[] = {"symbol", "id", "orderId", "price", "qty",
                                               "isBuyer"};
        if (!check_required(ctx, seen, kNames, where + ".")) return false;
        out.push_back(t);
        return true;
      }))
    return Failed{std::move(ctx).error()};
  return Unit{};
}

Result<Unit, ParseError> parse_depth_snapshot(JsonParser& parser, std::string_view json,
                                              MarketMessage& scratch) {
  auto kind = parse_market_data(parser, json, scratch);
  if (!kind) return Failed{std::move(kind).error()};
  if (*kind != MarketMessageKind::kDepthSnapshot)
    return Failed{ParseError{"depth snapshot.lastUpdateId: missing (got a " +
                             std::string(to_string(*kind)) + " message)"}};
  return Unit{};
}

}  // namespace oms::binance
