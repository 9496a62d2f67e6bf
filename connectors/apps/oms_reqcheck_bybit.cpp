// ccxt's bybit class (unified trading account) -> our Bybit v5 request builders, the way
// ccxt maps each unified call: its defaults (linear when a call names no symbol, limit 200
// for klines, execType Trade for my trades), its spot market-buy-by-cost rule, its "Type 2"
// stop-loss / take-profit prices as reduce-only conditional orders.
#include <map>

#include "oms/messages/symbols.hpp"
#include "oms_reqcheck_ccxt.hpp"

namespace oms::reqcheck {
namespace {

namespace bb = oms::bybit;
using nlohmann::json;

// Lot and tick decimals of the Bybit markets in ccxt's fixtures whose cases round (ccxt's
// amountToPrecision / priceToPrecision; the OMS applies the instrument's lot and tick before
// building a command): LTCUSDT linear trades in 0.1 lots.
struct Precision {
  int amount, price;
};
const std::map<std::string, Precision, std::less<>> kPrecisions = {{"LTC/USDT:USDT", {1, 2}}};

std::optional<int> amount_decimals(const std::string& sym) {
  const auto it = kPrecisions.find(sym);
  return it == kPrecisions.end() ? std::nullopt : std::optional<int>(it->second.amount);
}
std::optional<int> price_decimals(const std::string& sym) {
  const auto it = kPrecisions.find(sym);
  return it == kPrecisions.end() ? std::nullopt : std::optional<int>(it->second.price);
}

Instrument make_instrument(const std::string& canonical) {
  auto sym = oms::parse_canonical(canonical);
  if (!sym) throw Fail{"symbol " + canonical + ": " + sym.error().message};
  Market m = Market::kSpot;
  if (sym->kind() != oms::ContractKind::kSpot) {
    if (sym->settle != sym->quote) throw Skip{"inverse contracts are not traded: " + canonical};
    m = Market::kUsdm;
  }
  auto venue = oms::to_venue(oms::ExchangeId::kBybit, m, *sym);
  if (!venue) throw Fail{"symbol " + canonical + ": " + venue.error().message};
  Instrument in;
  in.exchange = oms::ExchangeId::kBybit;
  in.market = m;
  in.venue_symbol = *venue;
  in.symbol = *sym;
  return in;
}

// ccxt resolves a spot-form symbol to the linear contract when the call's type says swap
// ("LTC/USDT" with {"type":"swap"} is LTC/USDT:USDT).
Instrument make_instrument(const std::string& canonical, const json& params) {
  const std::string type = params.value("type", "");
  if ((type == "swap" || type == "linear") && canonical.find(':') == std::string::npos) {
    const auto slash = canonical.find('/');
    if (slash != std::string::npos) return make_instrument(canonical + ":" + canonical.substr(slash + 1));
  }
  return make_instrument(canonical);
}

bb::RestRequest unwrap(bb::Req r) {
  if (!r) throw Fail{"builder refused: " + r.error().message};
  return std::move(r).value();
}

bb::Category category(const Instrument& in) { return in.market == Market::kSpot ? bb::Category::kSpot : bb::Category::kLinear; }

// A call without a symbol: params type / category, the case's defaultType, else ccxt's
// default for bybit (swap, linear).
bb::Category category_from(const json& params, const json& options) {
  std::string t = params.value("type", options.value("defaultType", "swap"));
  if (params.contains("category")) t = params["category"].get<std::string>();
  if (t == "spot") return bb::Category::kSpot;
  if (t == "swap" || t == "linear" || t == "future") {
    if (params.value("subType", "linear") == "inverse") throw Skip{"inverse contracts are not traded"};
    return bb::Category::kLinear;
  }
  if (t == "inverse") throw Skip{"inverse contracts are not traded"};
  throw Skip{"market type " + t + " is not traded"};
}

// A trigger or TP/SL price that ccxt takes as a number or as {"stopPrice": n} / {"triggerPrice": n}.
Decimal price_param(const json& v, const std::string& field, const std::string& sym) {
  if (v.is_object()) {
    for (const char* k : {"triggerPrice", "stopPrice"}) {
      if (v.contains(k)) return number(v[k], field + "." + k, price_decimals(sym));
    }
    throw Fail{field + ": an object without triggerPrice / stopPrice"};
  }
  return number(v, field, price_decimals(sym));
}

struct BuiltOrder {
  SubmitOrder o;
  bb::OrderExtras x;
};

BuiltOrder order_from(const std::string& sym, const std::string& type, Side side, const json& amount,
                      const json& price, const json& p, const Instrument& in) {
  require_known(p, {"triggerPrice", "stopPrice", "triggerDirection", "stopLossPrice", "takeProfitPrice",
                    "takeProfit", "stopLoss", "reduceOnly", "postOnly", "timeInForce", "clientOrderId",
                    "cost", "createMarketBuyOrderRequiresPrice", "hedged"});
  const bool spot = in.market == Market::kSpot;
  const bool market_type = type == "market";
  if (!market_type && type != "limit") throw Fail{"type: " + type};
  BuiltOrder b;
  SubmitOrder& o = b.o;
  o.side = side;
  o.order_type = market_type ? OrderType::kMarket : OrderType::kLimit;
  if (p.contains("clientOrderId") && !o.client_order_id.assign(p["clientOrderId"].get<std::string>()))
    throw Fail{"clientOrderId: too long"};
  if (!market_type && !price.is_null()) o.price = number(price, "price", price_decimals(sym));
  if (!amount.is_null()) o.quantity = number(amount, "amount", amount_decimals(sym));
  if (spot && market_type) {
    // ccxt: a spot market buy with a price spends amount * price (createMarketBuyOrderRequiresPrice);
    // with that option off, amount is the cost; `cost` is the quote amount either side.
    if (p.contains("cost")) {
      b.x.quote_quantity = number(p["cost"], "cost", price_decimals(sym));
    } else if (side == Side::kBuy && !p.value("createMarketBuyOrderRequiresPrice", true)) {
      b.x.quote_quantity = o.quantity;
    } else if (side == Side::kBuy && !price.is_null()) {
      b.x.quote_quantity = o.quantity.mul(number(price, "price"), Rounding::kDown).value();
    }
    if (!b.x.quote_quantity.is_zero()) o.quantity = Decimal{};
  } else if (p.contains("cost")) {
    throw Fail{"cost: only a spot market order trades a quote amount"};
  }
  const auto conditional = [&](bool take_profit) {
    if (take_profit) o.order_type = market_type ? OrderType::kTakeProfit : OrderType::kTakeProfitLimit;
    else o.order_type = market_type ? OrderType::kStopLoss : OrderType::kStopLossLimit;
  };
  for (const char* k : {"triggerPrice", "stopPrice"}) {
    if (p.contains(k)) {
      conditional(false);
      o.stop_price = price_param(p[k], k, sym);
    }
  }
  if (p.contains("triggerDirection")) {
    const std::string dir = str(p["triggerDirection"]);
    if (dir == "above" || dir == "ascending" || dir == "1") b.x.trigger_direction = bb::TriggerDirection::kRises;
    else if (dir == "below" || dir == "descending" || dir == "2") b.x.trigger_direction = bb::TriggerDirection::kFalls;
    else throw Fail{"triggerDirection: " + dir};
  }
  // ccxt's "Type 2": a stop-loss / take-profit price alone makes a reduce-only conditional
  // order that closes a position (on spot: a plain conditional order).
  if (p.contains("stopLossPrice")) {
    conditional(false);
    o.stop_price = price_param(p["stopLossPrice"], "stopLossPrice", sym);
    o.reduce_only = !spot;
  }
  if (p.contains("takeProfitPrice")) {
    conditional(true);
    o.stop_price = price_param(p["takeProfitPrice"], "takeProfitPrice", sym);
    o.reduce_only = !spot;
  }
  // "Type 3": take-profit / stop-loss attached to the order.
  if (p.contains("takeProfit")) b.x.take_profit = price_param(p["takeProfit"], "takeProfit", sym);
  if (p.contains("stopLoss")) b.x.stop_loss = price_param(p["stopLoss"], "stopLoss", sym);
  if (p.value("postOnly", false)) o.tif = TimeInForce::kPostOnly;
  if (p.contains("timeInForce")) {
    const std::string t = p["timeInForce"].get<std::string>();
    o.tif = t == "IOC" ? TimeInForce::kIoc : t == "FOK" ? TimeInForce::kFok
            : (t == "PO" || t == "PostOnly") ? TimeInForce::kPostOnly : TimeInForce::kGtc;
  }
  if (p.value("reduceOnly", false)) o.reduce_only = true;
  if (p.value("hedged", false)) {
    const bool long_side = o.reduce_only ? side == Side::kSell : side == Side::kBuy;
    b.x.position_side = long_side ? PositionSide::kLong : PositionSide::kShort;
  }
  return b;
}

std::string interval_of(const std::string& tf) {
  static const std::map<std::string, std::string, std::less<>> kTf = {
      {"1m", "1"},    {"3m", "3"},    {"5m", "5"},    {"15m", "15"},  {"30m", "30"},
      {"1h", "60"},   {"2h", "120"},  {"4h", "240"},  {"6h", "360"},  {"12h", "720"},
      {"1d", "D"},    {"1w", "W"},    {"1M", "M"}};
  const auto it = kTf.find(tf);
  if (it == kTf.end()) throw Fail{"timeframe " + tf + " has no Bybit interval"};
  return it->second;
}

std::string account_type(const std::string& ccxt) {
  if (ccxt == "unified") return "UNIFIED";
  if (ccxt == "funding") return "FUND";
  if (ccxt == "contract" || ccxt == "swap" || ccxt == "future") return "CONTRACT";
  throw Fail{"account " + ccxt + " has no Bybit account type"};
}

}  // namespace

bb::RestRequest map_bybit_call(const std::string& method, const json& input, const json& options) {
  const Call c{input};
  const auto sym_at = [&](std::size_t i) {
    if (!c.has(i)) throw Fail{"argument " + std::to_string(i) + ": symbol required"};
    return c.arg(i).get<std::string>();
  };

  if (method == "createOrder") {
    const std::string sym = sym_at(0);
    const Instrument in = make_instrument(sym);
    const json p = c.params(5);
    if (p.contains("trailingAmount")) {
      // ccxt sends a trailing stop as the position's trading stop.
      json rest = p;
      rest.erase("trailingAmount");
      require_known(rest, {});
      bb::TradingStop t;
      t.trailing_stop = number(p["trailingAmount"], "trailingAmount", price_decimals(sym));
      return unwrap(bb::set_trading_stop(in, t));
    }
    const BuiltOrder b = order_from(sym, c.arg(1).get<std::string>(), side_of(c.arg(2)), c.arg(3), c.arg(4), p, in);
    return unwrap(bb::new_order(in, b.o, b.x));
  }
  if (method == "createMarketBuyOrderWithCost" || method == "createMarketSellOrderWithCost") {
    const std::string sym = sym_at(0);
    const Instrument in = make_instrument(sym);
    json p = c.params(2);
    p["cost"] = c.arg(1);
    const Side side = method == "createMarketBuyOrderWithCost" ? Side::kBuy : Side::kSell;
    const BuiltOrder b = order_from(sym, "market", side, json(), json(), p, in);
    return unwrap(bb::new_order(in, b.o, b.x));
  }
  if (method == "createOrders") {
    std::vector<Instrument> ins;
    ins.reserve(c.arg(0).size());
    std::vector<bb::BatchItem> items;
    for (const auto& o : c.arg(0)) {
      const std::string sym = o.at("symbol").get<std::string>();
      ins.push_back(make_instrument(sym));
      const BuiltOrder b = order_from(sym, o.at("type").get<std::string>(), side_of(o.at("side")),
                                      o.value("amount", json()), o.value("price", json()),
                                      o.value("params", json::object()), ins.back());
      items.push_back(bb::BatchItem{&ins.back(), b.o, b.x});
    }
    return unwrap(bb::batch_create(items));
  }
  if (method == "cancelOrder" || method == "fetchOpenOrder" || method == "fetchClosedOrder") {
    const json p = c.params(2);
    require_known(p, {"trigger", "stop"});
    const std::string id = str(c.arg(0));
    const bool trigger = p.value("trigger", false) || p.value("stop", false);
    std::optional<Instrument> in;
    if (c.has(1)) in = make_instrument(sym_at(1));
    const bb::OrderRef ref{id, {}};
    if (method == "cancelOrder") {
      if (!in) throw Fail{"cancelOrder: symbol required"};
      return unwrap(bb::cancel_order(*in, ref, trigger ? bb::OrderFilter::kStop : bb::OrderFilter::kDefault));
    }
    const bb::Category cat = in ? category(*in) : category_from(p, options);
    if (method == "fetchOpenOrder") return unwrap(bb::open_orders(cat, in ? &*in : nullptr, ref));
    bb::HistoryQuery q;
    q.order_id = id;
    q.order_status = "Filled";
    return unwrap(bb::order_history(cat, in ? &*in : nullptr, q));
  }
  if (method == "cancelOrders") {
    const Instrument in = make_instrument(sym_at(1));
    require_known(c.params(2), {});
    std::vector<std::string> ids;
    for (const auto& i : c.arg(0)) ids.push_back(str(i));
    std::vector<bb::CancelItem> items;
    for (const auto& id : ids) items.push_back(bb::CancelItem{&in, bb::OrderRef{id, {}}});
    return unwrap(bb::batch_cancel(items));
  }
  if (method == "cancelAllOrders") {
    const Instrument in = make_instrument(sym_at(0));
    const json p = c.params(1);
    require_known(p, {"trigger", "stop"});
    const bool trigger = p.value("trigger", false) || p.value("stop", false);
    return unwrap(bb::cancel_all(in, trigger ? bb::OrderFilter::kStop : bb::OrderFilter::kDefault));
  }
  if (method == "fetchOpenOrders") {
    const json p = c.params(3);
    require_known(p, {"type", "subType"});
    std::optional<Instrument> in;
    if (c.has(0)) in = make_instrument(sym_at(0), p);
    return unwrap(bb::open_orders(in ? category(*in) : category_from(p, options), in ? &*in : nullptr));
  }
  if (method == "fetchClosedOrders" || method == "fetchCanceledOrders") {
    const json p = c.params(3);
    require_known(p, {"type", "subType"});
    std::optional<Instrument> in;
    if (c.has(0)) in = make_instrument(sym_at(0), p);
    bb::HistoryQuery q;
    q.order_status = method == "fetchClosedOrders" ? "Filled" : "Cancelled";
    if (c.has(1)) q.start_time_ms = c.arg(1).get<std::int64_t>();
    if (c.has(2)) q.limit = c.arg(2).get<std::uint32_t>();
    return unwrap(bb::order_history(in ? category(*in) : category_from(p, options), in ? &*in : nullptr, q));
  }
  if (method == "fetchMyTrades" || method == "fetchMyLiquidations" || method == "fetchFundingHistory") {
    const json p = c.params(3);
    require_known(p, {"category", "type", "subType"});
    std::optional<Instrument> in;
    if (c.has(0)) in = make_instrument(sym_at(0));
    bb::HistoryQuery q;
    q.exec_type = method == "fetchMyTrades" ? "Trade" : method == "fetchMyLiquidations" ? "BustTrade" : "Funding";
    // ccxt pages funding history by 100 (it names the page size `size`; v5 calls it limit).
    constexpr std::uint32_t kCcxtFundingPage = 100;
    if (method == "fetchFundingHistory") q.limit = kCcxtFundingPage;
    if (c.has(1)) q.start_time_ms = c.arg(1).get<std::int64_t>();
    if (c.has(2)) q.limit = c.arg(2).get<std::uint32_t>();
    return unwrap(bb::executions(in ? category(*in) : category_from(p, options), in ? &*in : nullptr, q));
  }
  if (method == "fetchPositions" || method == "fetchPosition" || method == "fetchLeverage") {
    std::optional<Instrument> in;
    if (method != "fetchPositions") in = make_instrument(sym_at(0));
    else require_known(c.params(1), {});
    if (in && in->market == Market::kSpot) throw Fail{method + ": spot has no positions"};
    return unwrap(bb::positions(in ? &*in : nullptr));
  }
  if (method == "fetchBalance") {
    require_known(c.params(0), {});
    return unwrap(bb::wallet_balance());
  }
  if (method == "setLeverage") {
    const Instrument in = make_instrument(sym_at(1));
    require_known(c.params(2), {});
    return unwrap(bb::set_leverage(in, number(c.arg(0), "leverage")));
  }
  if (method == "setPositionMode") {
    const Instrument in = make_instrument(sym_at(1));
    require_known(c.params(2), {});
    return unwrap(bb::switch_position_mode(in, c.arg(0).get<bool>()));
  }
  if (method == "setMarginMode") {
    (void)make_instrument(sym_at(1));  // the unified account's mode covers every contract
    require_known(c.params(2), {});
    const std::string mode = c.arg(0).get<std::string>();
    if (mode != "isolated" && mode != "cross") throw Fail{"margin mode " + mode};
    return unwrap(bb::set_margin_mode(mode == "isolated" ? MarginType::kIsolated : MarginType::kCross));
  }
  if (method == "fetchTradingFee") {
    return unwrap(bb::fee_rate(make_instrument(sym_at(0))));
  }
  if (method == "fetchTickers") {
    const json p = c.params(1);
    require_known(p, {"type", "subType"});
    // ccxt asks for the whole category and filters the symbols itself.
    return unwrap(bb::tickers(category_from(p, options), nullptr));
  }
  if (method == "fetchOHLCV") {
    const Instrument in = make_instrument(sym_at(0));
    require_known(c.params(4), {});
    constexpr std::uint32_t kCcxtDefault = 200;
    const std::string interval = interval_of(c.has(1) ? c.arg(1).get<std::string>() : "1m");
    return unwrap(bb::kline(in, interval, c.has(3) ? c.arg(3).get<std::uint32_t>() : kCcxtDefault,
                            c.has(2) ? c.arg(2).get<std::int64_t>() : 0));
  }
  if (method == "fetchLeverageTiers") {
    // ccxt reads every linear tier and picks the symbols itself.
    for (const auto& s : c.arg(0)) (void)make_instrument(s.get<std::string>());
    return unwrap(bb::risk_limit(nullptr));
  }
  if (method == "fetchDeposits") return unwrap(bb::deposit_records(c.has(0) ? c.arg(0).get<std::string>() : ""));
  if (method == "fetchLedger") return unwrap(bb::transaction_log());
  if (method == "fetchTransfers") return unwrap(bb::inter_transfers(c.has(0) ? c.arg(0).get<std::string>() : ""));
  if (method == "transfer") {
    // ccxt makes a UUID per transfer (skipKeys: transferId); any fixed id stands for it here.
    const std::string coin = c.arg(0).get<std::string>();
    const std::string from = account_type(c.arg(2).get<std::string>());
    const std::string to = account_type(c.arg(3).get<std::string>());
    return unwrap(bb::inter_transfer(bb::Transfer{"00000000-0000-4000-8000-000000000000", coin,
                                                  number(c.arg(1), "amount"), from, to}));
  }
  if (method == "fetchTime") return unwrap(bb::server_time());
  if (method == "fetchOptionChain" || method == "fetchOption") throw Skip{"options are not traded"};
  throw Fail{"ccxt method " + method + " is not mapped"};
}

}  // namespace oms::reqcheck
