// ccxt's upbit class -> our Upbit request builders, the way ccxt maps each unified call: side
// buy/sell as bid/ask; a market buy spends a quote amount (ord_type price): params.cost, else
// amount x price while createMarketBuyOrderRequiresPrice holds (ccxt's default), else the amount
// itself; timeInForce IOC / FOK and postOnly on limit orders, ordType best; editOrder as
// cancel_and_new; 200 trades and 200 candles unless a limit is given. Withdrawals, deposits and
// what we do not build are skipped with the reason.
#include <map>

#include "oms/messages/symbols.hpp"
#include "oms_reqcheck_ccxt.hpp"

namespace oms::reqcheck {
namespace {

namespace ub = oms::upbit;
using nlohmann::json;

constexpr std::uint32_t kCcxtTrades = 200;   // fetchTrades' count without a limit
constexpr std::uint32_t kCcxtCandles = 200;  // fetchOHLCV's count without a limit

std::string market_of(const std::string& canonical) {
  auto sym = oms::parse_canonical(canonical);
  if (!sym) throw Fail{"symbol " + canonical + ": " + sym.error().message};
  if (sym->kind() != oms::ContractKind::kSpot) throw Skip{"Upbit lists spot markets only: " + canonical};
  auto venue = oms::to_venue(oms::ExchangeId::kUpbit, Market::kSpot, *sym);
  if (!venue) throw Fail{"symbol " + canonical + ": " + venue.error().message};
  return *venue;
}

ub::RestRequest unwrap(ub::Req r) {
  if (!r) throw Fail{"builder refused: " + r.error().message};
  return std::move(r).value();
}

struct BuiltOrder {
  std::string market;
  SubmitOrder o;
  ub::OrderExtras x;
};

ub::SelfMatch self_match_of(const std::string& s) {
  if (s == "reduce") return ub::SelfMatch::kReduce;
  if (s == "cancel_maker") return ub::SelfMatch::kCancelMaker;
  if (s == "cancel_taker") return ub::SelfMatch::kCancelTaker;
  throw Fail{"selfTradePrevention: " + s};
}

TimeInForce tif_of(const json& p, const char* key) {
  if (!p.contains(key)) return TimeInForce::kGtc;
  std::string t = p[key].get<std::string>();
  for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (t == "IOC") return TimeInForce::kIoc;
  if (t == "FOK") return TimeInForce::kFok;
  if (t == "PO") return TimeInForce::kPostOnly;
  if (t == "GTC") return TimeInForce::kGtc;
  throw Fail{std::string(key) + ": " + t};
}

// ccxt's calcOrderPrice: the quote total of a market / best buy.
Decimal market_buy_cost(const json& amount, const json& price, const json& p) {
  if (p.contains("cost")) return number(p["cost"], "cost");
  if (p.value("createMarketBuyOrderRequiresPrice", true)) {
    if (amount.is_null() || price.is_null()) throw Fail{"market buy: ccxt needs amount and price to compute the cost"};
    auto c = number(amount, "amount").mul(number(price, "price"), Rounding::kExact);
    if (!c) throw Fail{"amount x price: not exact at 1e-9"};
    return *c;
  }
  return number(amount, "amount");
}

BuiltOrder order_from(const std::string& sym, const std::string& type, Side side, const json& amount, const json& price,
                      const json& p) {
  require_known(p, {"createMarketBuyOrderRequiresPrice", "cost", "timeInForce", "postOnly", "clientOrderId", "ordType",
                    "selfTradePrevention", "test"});
  BuiltOrder b;
  b.market = market_of(sym);
  SubmitOrder& o = b.o;
  o.side = side;
  const bool market = type == "market";
  if (!market && type != "limit") throw Fail{"type: " + type};
  o.order_type = market ? OrderType::kMarket : OrderType::kLimit;
  b.x.best = p.value("ordType", "") == "best";
  if (p.contains("ordType") && !b.x.best) throw Fail{"ordType: only best is mapped"};
  if (b.x.best) o.order_type = OrderType::kMarket;
  if (p.contains("clientOrderId") && !o.client_order_id.assign(p["clientOrderId"].get<std::string>()))
    throw Fail{"clientOrderId: too long"};
  if (o.order_type == OrderType::kLimit) {
    o.price = number(price, "price");
    o.quantity = number(amount, "amount");
  } else if (side == Side::kBuy) {
    b.x.quote_quantity = market_buy_cost(amount, price, p);
  } else {
    o.quantity = number(amount, "amount");
  }
  o.tif = tif_of(p, "timeInForce");
  if (p.value("postOnly", false)) o.tif = TimeInForce::kPostOnly;
  // ccxt sends only ioc / fok / post_only; a market order's GTC is no time in force.
  if (o.tif == TimeInForce::kPostOnly && o.order_type != OrderType::kLimit) throw Fail{"postOnly: limit orders only"};
  if (p.contains("selfTradePrevention")) b.x.self_match = self_match_of(p["selfTradePrevention"].get<std::string>());
  b.x.test = p.value("test", false);
  return b;
}

ub::CandlesQuery candles_of(const std::string& tf) {
  static const std::map<std::string, std::pair<ub::CandleUnit, std::uint32_t>, std::less<>> kUnits = {
      {"1s", {ub::CandleUnit::kSeconds, 0}}, {"1m", {ub::CandleUnit::kMinutes, 1}},   {"3m", {ub::CandleUnit::kMinutes, 3}},
      {"5m", {ub::CandleUnit::kMinutes, 5}}, {"10m", {ub::CandleUnit::kMinutes, 10}}, {"15m", {ub::CandleUnit::kMinutes, 15}},
      {"30m", {ub::CandleUnit::kMinutes, 30}}, {"1h", {ub::CandleUnit::kMinutes, 60}}, {"4h", {ub::CandleUnit::kMinutes, 240}},
      {"1d", {ub::CandleUnit::kDays, 0}},    {"1w", {ub::CandleUnit::kWeeks, 0}},     {"1M", {ub::CandleUnit::kMonths, 0}},
      {"1y", {ub::CandleUnit::kYears, 0}}};
  const auto it = kUnits.find(tf);
  if (it == kUnits.end()) throw Fail{"timeframe " + tf + " has no Upbit candle unit"};
  ub::CandlesQuery q;
  q.unit = it->second.first;
  if (q.unit == ub::CandleUnit::kMinutes) q.minutes = it->second.second;
  return q;
}

}  // namespace

ub::RestRequest map_upbit_call(const std::string& method, const json& input, const json& options) {
  (void)options;
  const Call c{input};
  const auto sym_at = [&](std::size_t i) {
    if (!c.has(i)) throw Fail{"argument " + std::to_string(i) + ": symbol required"};
    return c.arg(i).get<std::string>();
  };
  static const std::map<std::string, std::string, std::less<>> kNotBuilt = {
      {"withdraw", "withdrawals are not built (funds leave the venue by hand)"},
      {"fetchWithdrawal", "withdrawal records are not built"},
      {"fetchWithdrawals", "withdrawal records are not built"},
      {"fetchDeposit", "deposit records are not built"},
      {"fetchDeposits", "deposit records are not built"},
      {"fetchDepositAddress", "deposit addresses are not built"},
      {"fetchDepositAddresses", "deposit addresses are not built"},
      {"createDepositAddress", "deposit addresses are not built"}};
  if (const auto it = kNotBuilt.find(method); it != kNotBuilt.end()) throw Skip{it->second};

  const auto place = [](const BuiltOrder& b) { return unwrap(ub::new_order(b.market, b.o, b.x)); };
  if (method == "createOrder") {
    return place(order_from(sym_at(0), c.arg(1).get<std::string>(), side_of(c.arg(2)), c.arg(3), c.arg(4), c.params(5)));
  }
  if (method == "createMarketBuyOrderWithCost") {
    json p = c.params(2);
    p["cost"] = c.arg(1);
    return place(order_from(sym_at(0), "market", Side::kBuy, json(), json(), p));
  }
  if (method == "editOrder") {
    json p = c.params(6);
    require_known(p, {"newOrdType", "newClientOrderId", "newTimeInForce", "cost", "selfTradePrevention", "clientOrderId",
                      "createMarketBuyOrderRequiresPrice"});
    ub::ReplaceOrder r;
    const std::string id = str(c.arg(0));
    const std::string prev_identifier = p.value("clientOrderId", "");
    if (!id.empty()) r.prev.uuid = id;
    else r.prev.identifier = prev_identifier;
    json op = json::object();
    if (p.value("newOrdType", "") == "best") op["ordType"] = "best";
    if (p.contains("newTimeInForce")) op["timeInForce"] = p["newTimeInForce"];
    if (p.contains("cost")) op["cost"] = p["cost"];
    if (p.contains("createMarketBuyOrderRequiresPrice")) op["createMarketBuyOrderRequiresPrice"] = p["createMarketBuyOrderRequiresPrice"];
    if (p.contains("selfTradePrevention")) op["selfTradePrevention"] = p["selfTradePrevention"];
    const BuiltOrder b = order_from(sym_at(1), c.arg(2).get<std::string>(), side_of(c.arg(3)), c.arg(4), c.arg(5), op);
    const std::string new_identifier = p.value("newClientOrderId", "");
    r.side = b.o.side;
    r.order_type = b.o.order_type;
    r.tif = b.o.tif;
    r.price = b.o.price;
    r.volume = b.o.quantity;
    r.quote_quantity = b.x.quote_quantity;
    r.best = b.x.best;
    r.self_match = b.x.self_match;
    r.new_identifier = new_identifier;
    return unwrap(ub::cancel_and_new(r));
  }
  if (method == "cancelOrder" || method == "fetchOrder") {
    require_known(c.params(2), {});
    const std::string id = str(c.arg(0));
    const ub::OrderRef ref{id, {}};
    return unwrap(method == "cancelOrder" ? ub::cancel_order(ref) : ub::get_order(ref));
  }
  if (method == "fetchOpenOrders") {
    require_known(c.params(3), {});
    std::string market;
    if (c.has(0)) market = market_of(sym_at(0));
    ub::OpenOrdersQuery q;
    q.market = market;
    if (c.has(2)) q.limit = c.arg(2).get<std::uint32_t>();
    return unwrap(ub::open_orders(q));
  }
  if (method == "fetchClosedOrders" || method == "fetchCanceledOrders") {
    const json p = c.params(3);
    require_known(p, {"until"});
    std::string market;
    if (c.has(0)) market = market_of(sym_at(0));
    const std::string_view state = method == "fetchClosedOrders" ? "done" : "cancel";
    ub::ClosedOrdersQuery q;
    q.market = market;
    q.states = std::span<const std::string_view>(&state, 1);
    if (c.has(1)) q.start_ms = c.arg(1).get<std::int64_t>();
    if (c.has(2)) q.limit = c.arg(2).get<std::uint32_t>();
    if (p.contains("until")) q.end_ms = p["until"].get<std::int64_t>();
    return unwrap(ub::closed_orders(q));
  }
  if (method == "fetchBalance") return unwrap(ub::accounts());
  if (method == "fetchTradingFee") return unwrap(ub::order_chance(market_of(sym_at(0))));
  if (method == "fetchMarkets") return unwrap(ub::market_all(false));
  if (method == "fetchTicker" || method == "fetchOrderBook") {
    const std::string m = market_of(sym_at(0));
    const std::string_view one[] = {m};
    if (method == "fetchOrderBook" && c.has(1)) throw Fail{"limit: ccxt's upbit sends no count"};
    return unwrap(method == "fetchTicker" ? ub::ticker(one) : ub::orderbook(one));
  }
  if (method == "fetchTickers" || method == "fetchOrderBooks") {
    if (!c.has(0) || c.arg(0).empty()) throw Fail{method + ": symbols required (ccxt would list every market)"};
    std::vector<std::string> markets;
    for (const auto& s : c.arg(0)) markets.push_back(market_of(s.get<std::string>()));
    std::vector<std::string_view> views(markets.begin(), markets.end());
    return unwrap(method == "fetchTickers" ? ub::ticker(views) : ub::orderbook(views));
  }
  if (method == "fetchTrades") {
    if (c.has(1)) throw Fail{"since: ccxt's upbit pages trades by `to`, not mapped"};
    const std::string m = market_of(sym_at(0));
    ub::TradesQuery q;
    q.market = m;
    q.count = c.has(2) ? c.arg(2).get<std::uint32_t>() : kCcxtTrades;
    return unwrap(ub::trades(q));
  }
  if (method == "fetchOHLCV") {
    if (c.has(2)) throw Fail{"since: ccxt turns it into `to`, not mapped"};
    const std::string m = market_of(sym_at(0));
    ub::CandlesQuery q = candles_of(c.has(1) ? c.arg(1).get<std::string>() : "1m");
    q.market = m;
    q.count = c.has(3) ? c.arg(3).get<std::uint32_t>() : kCcxtCandles;
    return unwrap(ub::candles(q));
  }
  throw Fail{"ccxt method " + method + " is not mapped"};
}

}  // namespace oms::reqcheck
