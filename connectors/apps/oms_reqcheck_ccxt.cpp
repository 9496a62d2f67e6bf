// ccxt unified method calls -> our Binance request builders (see oms_reqcheck_ccxt.hpp), and
// the ccxt input helpers the Bybit mapping shares.
#include "oms_reqcheck_ccxt.hpp"

#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <vector>

#include "oms/messages/symbols.hpp"

namespace oms::reqcheck {

using nlohmann::json;

// ---- ccxt inputs (shared with the Bybit mapping) --------------------------------------------

Decimal number(const json& v, const std::string& field, std::optional<int> decimals) {
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
  } else if (v.is_number_integer()) {
    text = std::to_string(v.get<std::int64_t>());
  } else if (v.is_number()) {
    std::array<char, 64> buf{};
    const auto r =
        std::to_chars(buf.data(), buf.data() + buf.size(), v.get<double>());  // shortest exact
    text.assign(buf.data(), r.ptr);
  } else {
    throw Fail{field + ": not a number"};
  }
  if (text.find_first_of("eE") != std::string::npos) {
    auto d = Decimal::parse(text);
    if (!d) throw Fail{field + ": " + text + " is not exact at 1e-9"};
    text = d->to_string();
  }
  if (decimals) {
    const auto dot = text.find('.');
    if (dot != std::string::npos && text.size() - dot - 1 > static_cast<std::size_t>(*decimals)) {
      text.resize(dot + 1 + static_cast<std::size_t>(*decimals));
      if (text.back() == '.') text.pop_back();
    }
  }
  auto d = Decimal::parse(text);
  if (!d) throw Fail{field + ": " + text + " is not exact at 1e-9"};
  return *d;
}

std::string str(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  throw Fail{"expected a string or integer, got " + v.dump()};
}

std::uint64_t id_number(const json& v, const std::string& field) {
  const std::string s = str(v);
  std::uint64_t out = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size())
    throw Fail{field + ": not a numeric order id: " + s};
  return out;
}

const json& Call::arg(std::size_t i) const {
  static const json kNull;
  return i < args.size() ? args[i] : kNull;
}
bool Call::has(std::size_t i) const { return i < args.size() && !args[i].is_null(); }
json Call::params(std::size_t i) const { return has(i) && args[i].is_object() ? args[i] : json::object(); }

void require_known(const json& params, std::initializer_list<const char*> known) {
  for (const auto& [k, v] : params.items()) {
    bool ok = false;
    for (const char* n : known) ok = ok || k == n;
    if (!ok) throw Fail{"params." + k + ": not mapped by oms-reqcheck"};
  }
}

// ccxt's names for "the conditional (algo) orders": trigger, stop, conditional -- each a bool.
// The other params must be among `known`.
bool trigger_param(const json& params, std::initializer_list<const char*> known = {}) {
  bool trigger = false;
  for (const auto& [k, v] : params.items()) {
    if (k == "trigger" || k == "stop" || k == "conditional") {
      if (!v.is_boolean()) throw Fail{"params." + k + ": expected true or false"};
      trigger = trigger || v.get<bool>();
      continue;
    }
    bool ok = false;
    for (const char* n : known) ok = ok || k == n;
    if (!ok) throw Fail{"params." + k + ": not mapped by oms-reqcheck"};
  }
  return trigger;
}

oms::Side side_of(const json& v) {
  const std::string s = v.get<std::string>();
  if (s == "buy") return oms::Side::kBuy;
  if (s == "sell") return oms::Side::kSell;
  throw Fail{"side: " + s};
}

namespace {

namespace bn = oms::binance;

// ---- inputs -------------------------------------------------------------------------------

// Lot and tick decimals of the markets in ccxt's static fixtures whose cases round (ccxt
// applies amountToPrecision / priceToPrecision before sending; the OMS applies the venue's
// exchangeInfo filters before building a command). Other inputs must be exact at 1e-9.
struct Precision {
  int amount, price;
};
const std::map<std::string, Precision, std::less<>> kPrecisions = {
    {"BTC/USDT", {5, 2}}, {"LTC/USDT", {3, 2}}, {"LTC/USDT:USDT", {3, 2}}};

Instrument make_instrument(const std::string& canonical, Market m) {
  auto sym = oms::parse_canonical(canonical);
  if (!sym) throw Fail{"symbol " + canonical + ": " + sym.error().message};
  auto venue = oms::to_venue(oms::ExchangeId::kBinance, m, *sym);
  if (!venue) throw Fail{"symbol " + canonical + ": " + venue.error().message};
  Instrument in;
  in.exchange = oms::ExchangeId::kBinance;
  in.market = m;
  in.venue_symbol = *venue;
  in.symbol = *sym;
  return in;
}

Market market_of_symbol(const std::string& canonical) {
  auto sym = oms::parse_canonical(canonical);
  if (!sym) throw Fail{"symbol " + canonical + ": " + sym.error().message};
  if (sym->kind() == oms::ContractKind::kSpot) return Market::kSpot;
  if (sym->settle == sym->quote) return Market::kUsdm;
  throw Skip{"inverse (COIN-M) contract " + canonical};
}

// Market for calls without a symbol: params type/subType/defaultType, else the file's default.
Market market_from_params(const json& params, Market fallback) {
  for (const char* key : {"type", "defaultType"}) {
    if (!params.contains(key)) continue;
    const std::string t = params[key].get<std::string>();
    if (t == "spot") return Market::kSpot;
    if (t == "swap" || t == "future") {
      if (params.value("subType", "linear") == "inverse") throw Skip{"inverse (COIN-M) market"};
      return Market::kUsdm;
    }
    throw Skip{"market type " + t + " is not traded"};
  }
  if (params.value("subType", "") == "inverse") throw Skip{"inverse (COIN-M) market"};
  if (params.value("subType", "") == "linear") return Market::kUsdm;
  return fallback;
}

// ---- ccxt unified method -> our builders ----------------------------------------------------

bn::RestRequest unwrap(bn::Req r) {
  if (!r) throw Fail{"builder refused: " + r.error().message};
  return std::move(r).value();
}

std::optional<int> amount_decimals(const std::string& sym) {
  const auto it = kPrecisions.find(sym);
  return it == kPrecisions.end() ? std::nullopt : std::optional<int>(it->second.amount);
}
std::optional<int> price_decimals(const std::string& sym) {
  const auto it = kPrecisions.find(sym);
  return it == kPrecisions.end() ? std::nullopt : std::optional<int>(it->second.price);
}

struct OrderInput {
  std::string symbol, type;
  oms::Side side = oms::Side::kBuy;
  json amount, price, params;
};

// A venue enum value as a string_view with static storage (OrderExtras keeps views).
std::string_view venue_word(std::string v, std::initializer_list<std::string_view> allowed,
                            const char* field) {
  for (auto& ch : v) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  for (std::string_view a : allowed) {
    if (a == v) return a;
  }
  throw Fail{std::string(field) + ": " + v + " is not a value the venue accepts"};
}

struct BuiltOrder {
  oms::SubmitOrder o;
  bn::OrderExtras x;
};

// createOrder's arguments as ccxt turns them into a Binance spot / USD-M order.
BuiltOrder order_from(const OrderInput& in, const Instrument& ins) {
  const json& p = in.params;
  require_known(
      p, {"triggerPrice", "stopPrice", "stopLossPrice", "takeProfitPrice", "trailingPercent",
          "stopLossOrTakeProfit", "reduceOnly", "postOnly", "timeInForce", "hedged", "positionSide",
          "priceMatch", "selfTradePrevention", "icebergAmount", "test", "clientOrderId", "cost"});
  const bool spot = ins.market == Market::kSpot;
  const bool market_type = in.type == "market";
  if (!market_type && in.type != "limit") throw Fail{"type: " + in.type};
  oms::SubmitOrder o;
  bn::OrderExtras x;
  o.side = in.side;
  x.response_type = spot ? bn::ResponseType::kFull : bn::ResponseType::kResult;
  if (p.contains("clientOrderId") &&
      !o.client_order_id.assign(p["clientOrderId"].get<std::string>())) {
    throw Fail{"clientOrderId: longer than 36"};
  }
  const bool has_price = !in.price.is_null() && !market_type;
  if (has_price) o.price = number(in.price, "price", price_decimals(in.symbol));
  if (!in.amount.is_null()) o.quantity = number(in.amount, "amount", amount_decimals(in.symbol));
  if (spot && market_type && in.side == oms::Side::kBuy &&
      (!in.price.is_null() || p.contains("cost"))) {
    // ccxt: a spot market buy with a price spends amount * price of quote (quoteOrderQty).
    Decimal cost = p.contains("cost")
                       ? number(p["cost"], "cost", price_decimals(in.symbol))
                       : o.quantity.mul(number(in.price, "price"), oms::Rounding::kDown).value();
    x.quote_quantity = cost;
    o.quantity = Decimal{};
  } else if (p.contains("cost")) {
    x.quote_quantity = number(p["cost"], "cost", price_decimals(in.symbol));
    o.quantity = Decimal{};
  }
  o.order_type = market_type ? oms::OrderType::kMarket : oms::OrderType::kLimit;
  const auto stop_type = [&](bool take_profit) {
    if (take_profit)
      return market_type ? oms::OrderType::kTakeProfit : oms::OrderType::kTakeProfitLimit;
    return market_type ? oms::OrderType::kStopLoss : oms::OrderType::kStopLossLimit;
  };
  for (const char* k : {"triggerPrice", "stopPrice", "stopLossPrice"}) {
    if (p.contains(k)) {
      o.order_type = stop_type(false);
      o.stop_price = number(p[k], k, price_decimals(in.symbol));
    }
  }
  if (p.contains("takeProfitPrice")) {
    o.order_type = stop_type(true);
    o.stop_price = number(p["takeProfitPrice"], "takeProfitPrice", price_decimals(in.symbol));
  }
  if (p.contains("trailingPercent")) {
    const Decimal pct = number(p["trailingPercent"], "trailingPercent");
    const bool tp = p.value("stopLossOrTakeProfit", "stopLoss") == "takeProfit";
    o.order_type = stop_type(tp);
    if (spot) {
      constexpr std::int64_t kBipsPerPercent = 100;
      const Decimal bips = pct.mul_int(kBipsPerPercent).value();
      x.trailing_delta_bips = static_cast<std::uint32_t>(bips.raw() / Decimal::kOne);
    } else {
      x.trailing = true;
      x.callback_rate = pct;
    }
  }
  if (p.value("postOnly", false)) o.tif = oms::TimeInForce::kPostOnly;
  if (p.contains("timeInForce")) {
    const std::string t = p["timeInForce"].get<std::string>();
    o.tif = t == "IOC"                  ? oms::TimeInForce::kIoc
            : t == "FOK"                ? oms::TimeInForce::kFok
            : (t == "GTX" || t == "PO") ? oms::TimeInForce::kPostOnly
                                        : oms::TimeInForce::kGtc;
  }
  o.reduce_only = p.value("reduceOnly", false);
  if (p.value("hedged", false)) {
    // ccxt: in hedge mode a reducing sell closes the LONG side, an opening buy the LONG side.
    const bool long_side = o.reduce_only ? in.side == oms::Side::kSell : in.side == oms::Side::kBuy;
    x.position_side = long_side ? oms::PositionSide::kLong : oms::PositionSide::kShort;
  }
  if (p.contains("positionSide")) {
    const std::string s = p["positionSide"].get<std::string>();
    x.position_side = s == "LONG"    ? oms::PositionSide::kLong
                      : s == "SHORT" ? oms::PositionSide::kShort
                                     : oms::PositionSide::kBoth;
  }
  if (p.contains("priceMatch")) {
    x.price_match = venue_word(p["priceMatch"].get<std::string>(),
                               {"OPPONENT", "OPPONENT_5", "OPPONENT_10", "OPPONENT_20", "QUEUE",
                                "QUEUE_5", "QUEUE_10", "QUEUE_20"},
                               "priceMatch");
  }
  if (p.contains("selfTradePrevention")) {
    x.self_trade_prevention =
        venue_word(p["selfTradePrevention"].get<std::string>(),
                   {"NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"},
                   "selfTradePrevention");
  }
  if (p.contains("icebergAmount"))
    x.iceberg_quantity = number(p["icebergAmount"], "icebergAmount", amount_decimals(in.symbol));
  x.test = p.value("test", false);
  return BuiltOrder{o, x};
}

struct Ctx {
  Market default_market;
};

// fetchOrders, fetchCanceledOrders, ...: ccxt asks for all orders and filters itself.
bn::HistoryQuery history(const Call& c, std::size_t since_at, std::size_t limit_at) {
  bn::HistoryQuery q;
  if (c.has(since_at)) q.start_time_ms = c.arg(since_at).get<std::int64_t>();
  if (c.has(limit_at)) q.limit = c.arg(limit_at).get<std::uint32_t>();
  return q;
}

std::vector<Instrument> instruments_of(const json& symbols, Market& m, Market fallback) {
  std::vector<Instrument> out;
  m = fallback;
  if (!symbols.is_array()) return out;
  for (const auto& s : symbols) {
    const std::string sym = s.get<std::string>();
    m = market_of_symbol(sym);
    out.push_back(make_instrument(sym, m));
  }
  return out;
}

std::vector<const Instrument*> pointers(const std::vector<Instrument>& v) {
  std::vector<const Instrument*> out;
  for (const auto& i : v) out.push_back(&i);
  return out;
}

}  // namespace

bn::RestRequest map_ccxt_call(const std::string& method, const json& input, Market default_market) {
  const Call c{input};
  const Ctx ctx{default_market};
  // Methods whose first argument is a symbol (most of them), and those with (id, symbol).
  const auto sym_at = [&](std::size_t i) {
    if (!c.has(i)) throw Fail{"argument " + std::to_string(i) + ": symbol required"};
    return c.arg(i).get<std::string>();
  };
  const auto inst_at = [&](std::size_t i) {
    const std::string s = sym_at(i);
    return make_instrument(s, market_of_symbol(s));
  };
  const auto spot = [](const Instrument& i) { return i.market == Market::kSpot; };

  if (method == "createOrder") {
    const Instrument in = inst_at(0);
    OrderInput oi{sym_at(0),  c.arg(1).get<std::string>(), side_of(c.arg(2)), c.arg(3), c.arg(4),
                  c.params(5)};
    const BuiltOrder b = order_from(oi, in);
    return unwrap(spot(in) ? bn::spot_new_order(in, b.o, b.x) : bn::usdm_new_order(in, b.o, b.x));
  }
  if (method == "createOrders") {
    std::vector<Instrument> ins;
    const json& orders = c.arg(0);
    ins.reserve(orders.size());
    std::vector<bn::BatchItem> items;
    for (const auto& o : orders) {
      ins.push_back(make_instrument(o.at("symbol").get<std::string>(),
                                    market_of_symbol(o.at("symbol").get<std::string>())));
      if (spot(ins.back())) throw Fail{"createOrders: spot has no batch order endpoint"};
      OrderInput oi{o.at("symbol").get<std::string>(),
                    o.at("type").get<std::string>(),
                    side_of(o.at("side")),
                    o.value("amount", json()),
                    o.value("price", json()),
                    o.value("params", json::object())};
      const BuiltOrder b = order_from(oi, ins.back());
      items.push_back(bn::BatchItem{&ins.back(), b.o, b.x});
    }
    return unwrap(bn::usdm_batch_orders(items));
  }
  if (method == "createMarketOrderWithCost" || method == "createMarketBuyOrderWithCost" ||
      method == "createMarketSellOrderWithCost") {
    const Instrument in = inst_at(0);
    if (!spot(in)) throw Fail{"market orders by cost are spot only"};
    const bool explicit_side = method == "createMarketOrderWithCost";
    const oms::Side side =
        explicit_side
            ? side_of(c.arg(1))
            : (method == "createMarketBuyOrderWithCost" ? oms::Side::kBuy : oms::Side::kSell);
    const json& cost = c.arg(explicit_side ? 2 : 1);
    json params = c.params(explicit_side ? 3 : 2);
    params["cost"] = cost;
    OrderInput oi{sym_at(0), "market", side, json(), json(), params};
    const BuiltOrder b = order_from(oi, in);
    return unwrap(bn::spot_new_order(in, b.o, b.x));
  }
  if (method == "editOrder" || method == "editOrderWithClientOrderId") {
    const Instrument in = inst_at(1);
    require_known(c.params(6), {});
    bn::OrderRef ref;
    const std::string id = str(c.arg(0));
    if (method == "editOrder")
      ref.order_id = id_number(c.arg(0), "id");
    else
      ref.client_order_id = id;
    OrderInput oi{sym_at(1),     c.arg(2).get<std::string>(), side_of(c.arg(3)), c.arg(4), c.arg(5),
                  json::object()};
    const BuiltOrder b = order_from(oi, in);
    if (spot(in)) return unwrap(bn::spot_cancel_replace(in, ref, b.o, b.x));
    return unwrap(bn::usdm_modify_order(in, ref, b.o.side, b.o.quantity, b.o.price));
  }
  if (method == "editOrders") {
    std::vector<Instrument> ins;
    ins.reserve(c.arg(0).size());
    std::vector<bn::ModifyItem> items;
    for (const auto& o : c.arg(0)) {
      const std::string sym = o.at("symbol").get<std::string>();
      ins.push_back(make_instrument(sym, market_of_symbol(sym)));
      if (spot(ins.back())) throw Fail{"editOrders: spot has no batch modify"};
      items.push_back(bn::ModifyItem{&ins.back(), bn::OrderRef{id_number(o.at("id"), "id"), {}},
                                     side_of(o.at("side")),
                                     number(o.at("amount"), "amount", amount_decimals(sym)),
                                     number(o.at("price"), "price", price_decimals(sym))});
    }
    return unwrap(bn::usdm_batch_modify(items));
  }
  if (method == "cancelOrder" || method == "cancelOrderWithClientOrderId" ||
      method == "fetchOrder" || method == "fetchOrderWithClientOrderId" ||
      method == "fetchOpenOrder") {
    const Instrument in = inst_at(1);
    const json p = c.params(2);
    const bool trigger = trigger_param(p);
    bn::OrderRef ref;
    const std::string id = str(c.arg(0));
    if (method.find("ClientOrderId") != std::string::npos)
      ref.client_order_id = id;
    else
      ref.order_id = id_number(c.arg(0), "id");
    const bool cancel = method.rfind("cancel", 0) == 0;
    if (spot(in)) {
      if (trigger) throw Fail{"spot has no separate trigger orders"};
      return unwrap(cancel ? bn::spot_cancel_order(in, ref) : bn::spot_query_order(in, ref));
    }
    if (trigger)
      return unwrap(cancel ? bn::usdm_cancel_algo_order(in, ref)
                           : bn::usdm_query_algo_order(in, ref));
    if (method == "fetchOpenOrder") return unwrap(bn::usdm_open_order(in, ref));
    return unwrap(cancel ? bn::usdm_cancel_order(in, ref) : bn::usdm_query_order(in, ref));
  }
  if (method == "cancelOrders") {
    const Instrument in = inst_at(1);
    const json p = c.params(2);
    require_known(p, {"clientOrderIds"});
    std::vector<std::uint64_t> ids;
    for (const auto& i : c.arg(0)) ids.push_back(id_number(i, "ids"));
    std::vector<std::string> cids;
    if (p.contains("clientOrderIds")) {
      for (const auto& i : p["clientOrderIds"]) cids.push_back(i.get<std::string>());
    }
    std::vector<std::string_view> views(cids.begin(), cids.end());
    if (spot(in)) throw Fail{"spot has no batch cancel"};
    return unwrap(bn::usdm_batch_cancel(in, ids, views));
  }
  if (method == "cancelAllOrders") {
    const Instrument in = inst_at(0);
    const bool trigger = trigger_param(c.params(1));
    // Spot has no separate conditional orders: ccxt drops the flag there, as the venue does.
    if (spot(in)) return unwrap(bn::spot_cancel_all(in));
    return unwrap(trigger ? bn::usdm_cancel_all_algo(in) : bn::usdm_cancel_all(in));
  }
  if (method == "fetchBalance") {
    const json p = c.params(0);
    require_known(p, {"type", "subType"});
    const Market m = market_from_params(p, ctx.default_market);
    return unwrap(m == Market::kSpot ? bn::spot_account() : bn::usdm_account(3));
  }
  if (method == "fetchMyTrades" || method == "fetchOrderTrades") {
    const bool by_order = method == "fetchOrderTrades";
    const Instrument in = inst_at(by_order ? 1 : 0);
    require_known(c.params(by_order ? 4 : 3), {});
    bn::HistoryQuery q = by_order ? history(c, 2, 3) : history(c, 1, 2);
    if (by_order) q.order_id = id_number(c.arg(0), "id");
    return unwrap(spot(in) ? bn::spot_my_trades(in, q) : bn::usdm_user_trades(in, q));
  }
  if (method == "fetchOrders" || method == "fetchCanceledOrders" || method == "fetchClosedOrders" ||
      method == "fetchCanceledAndClosedOrders") {
    const Instrument in = inst_at(0);
    const json p = c.params(3);
    const bool trigger = trigger_param(p);
    const bn::HistoryQuery q = history(c, 1, 2);
    if (spot(in)) return unwrap(bn::spot_all_orders(in, q));
    return unwrap(trigger ? bn::usdm_all_algo_orders(in, q) : bn::usdm_all_orders(in, q));
  }
  if (method == "fetchOpenOrders") {
    // since and limit are not sent for spot and USD-M (the venue lists every open order).
    const json p = c.params(3);
    if (!c.has(0)) {  // every symbol: weight 40 (USD-M) / 80 (spot)
      const bool trigger = trigger_param(p, {"type", "subType"});
      if (market_from_params(p, ctx.default_market) == Market::kSpot)
        return unwrap(bn::spot_open_orders(nullptr));
      return unwrap(trigger ? bn::usdm_open_algo_orders(nullptr) : bn::usdm_open_orders(nullptr));
    }
    const bool trigger = trigger_param(p);
    const Instrument in = inst_at(0);
    if (spot(in)) return unwrap(bn::spot_open_orders(&in));
    return unwrap(trigger ? bn::usdm_open_algo_orders(&in) : bn::usdm_open_orders(&in));
  }
  if (method == "fetchPositions") {
    const json p = c.params(1);
    require_known(p, {"method", "subType"});
    if (p.value("subType", "linear") == "inverse") throw Skip{"inverse (COIN-M) positions"};
    if (p.value("method", "positionRisk") == "account") return unwrap(bn::usdm_account(3));
    return unwrap(bn::usdm_position_risk(nullptr, 3));
  }
  if (method == "setLeverage") {
    const Instrument in = inst_at(1);
    require_known(c.params(2), {});
    if (spot(in)) throw Fail{"leverage is a futures setting"};
    return unwrap(bn::usdm_set_leverage(in, c.arg(0).get<std::uint32_t>()));
  }
  if (method == "setMarginMode") {
    const Instrument in = inst_at(1);
    require_known(c.params(2), {});
    const std::string mode = c.arg(0).get<std::string>();
    return unwrap(bn::usdm_set_margin_type(
        in, mode == "isolated" ? oms::MarginType::kIsolated : oms::MarginType::kCross));
  }
  if (method == "setPositionMode" || method == "fetchPositionMode") {
    const bool set = method == "setPositionMode";
    const json p = c.params(set ? 2 : 1);
    require_known(p, {"subType"});
    if (market_from_params(p, Market::kUsdm) != Market::kUsdm)
      throw Fail{"position mode is a futures setting"};
    return unwrap(set ? bn::usdm_set_position_mode(c.arg(0).get<bool>())
                      : bn::usdm_get_position_mode());
  }
  if (method == "fetchLeverage" || method == "fetchMarginMode") {
    const Instrument in = inst_at(0);
    require_known(c.params(1), {});
    // ccxt's fetchLeverage reads every symbol's config and picks one; fetchMarginMode asks for one.
    return unwrap(bn::usdm_symbol_config(method == "fetchLeverage" ? nullptr : &in));
  }
  if (method == "fetchTradingFees") {
    const json p = c.params(0);
    require_known(p, {"type", "subType"});
    if (market_from_params(p, ctx.default_market) == Market::kSpot)
      throw Skip{"spot fees are a /sapi endpoint"};
    return unwrap(bn::usdm_account_config());
  }
  if (method == "fetchTickers" || method == "fetchLastPrices" || method == "fetchBidsAsks") {
    const json p = c.params(1);
    require_known(p, {"rolling", "defaultType", "subType"});
    Market m = market_from_params(p, ctx.default_market);
    const auto ins = instruments_of(c.arg(0), m, m);
    const auto ptrs = pointers(ins);
    if (method == "fetchLastPrices")
      return unwrap(bn::ticker_price(m, {}));  // ccxt filters client-side
    if (method == "fetchBidsAsks") return unwrap(bn::book_ticker(m, ptrs));
    if (p.value("rolling", false)) return unwrap(bn::spot_rolling_ticker(ptrs));
    // USD-M has no multi-symbol 24hr ticker: ccxt asks for every symbol.
    return unwrap(bn::ticker_24hr(m, m == Market::kSpot ? std::span<const Instrument* const>(ptrs)
                                                        : std::span<const Instrument* const>()));
  }
  if (method == "fetchTicker") {
    const Instrument in = inst_at(0);
    const Instrument* one[] = {&in};
    return unwrap(bn::ticker_24hr(in.market, one));
  }
  if (method == "fetchOrderBook") {
    const Instrument in = inst_at(0);
    const json p = c.params(2);
    require_known(p, {"rpi"});
    const std::uint32_t limit = c.has(1) ? c.arg(1).get<std::uint32_t>() : 0;
    if (p.value("rpi", false)) {
      constexpr std::uint32_t kCcxtRpiLimit = 1000;  // ccxt's default for the RPI book
      return unwrap(bn::usdm_rpi_depth(in, limit == 0 ? kCcxtRpiLimit : limit));
    }
    return unwrap(bn::depth(in, limit));
  }
  if (method == "fetchOHLCV") {
    const Instrument in = inst_at(0);
    const json p = c.params(4);
    require_known(p, {"price", "until"});
    bn::KlineQuery q;
    const std::string tf = c.has(1) ? c.arg(1).get<std::string>() : "1m";
    q.interval = tf;
    if (c.has(2)) q.start_time_ms = c.arg(2).get<std::int64_t>();
    if (p.contains("until")) q.end_time_ms = p["until"].get<std::int64_t>();
    // ccxt: 500 by default, the maximum (1000) when a since..until window is given.
    constexpr std::uint32_t kCcxtDefault = 500, kCcxtWindow = 1000;
    q.limit = c.has(3) ? c.arg(3).get<std::uint32_t>()
                       : (q.start_time_ms != 0 && q.end_time_ms != 0 ? kCcxtWindow : kCcxtDefault);
    const std::string price = p.value("price", "");
    const bn::KlinePrice kp = price == "mark"    ? bn::KlinePrice::kMark
                              : price == "index" ? bn::KlinePrice::kIndex
                                                 : bn::KlinePrice::kTrade;
    return unwrap(bn::klines(in, q, kp));
  }
  if (method == "fetchTrades") {
    const Instrument in = inst_at(0);
    require_known(c.params(3), {});
    bn::HistoryQuery q = history(c, 1, 2);
    constexpr std::int64_t kCcxtWindowMs = 3'600'000;  // ccxt closes a since-window after one hour
    if (q.start_time_ms != 0) q.end_time_ms = q.start_time_ms + kCcxtWindowMs;
    return unwrap(bn::agg_trades(in, q));
  }
  if (method == "fetchFundingRate") {
    const Instrument in = inst_at(0);
    return unwrap(bn::usdm_premium_index(&in));
  }
  if (method == "fetchTime") return unwrap(bn::server_time(ctx.default_market));
  throw Fail{"ccxt method " + method + " is not mapped"};
}

}  // namespace oms::reqcheck
