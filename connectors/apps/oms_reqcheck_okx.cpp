// ccxt's okx class -> our OKX v5 request builders, the way ccxt maps each unified call: plain
// orders through batch-orders (a batch of one), its stop / take-profit words (triggerPrice: a
// "trigger" order; stopLossPrice / takeProfitPrice: a one-sided "conditional"; stopLoss /
// takeProfit objects: attached), spot conditional orders in cross margin, swap amounts in
// contracts, the default instType SPOT of calls that name no symbol, 100 candles (300 from
// history).
#include <map>

#include "oms/messages/symbols.hpp"
#include "oms_reqcheck_ccxt.hpp"

namespace oms::reqcheck {
namespace {

namespace ok = oms::okx;
using nlohmann::json;

// The swaps in ccxt's okx cases, ctVal as OKX lists them; lotSz 0.01 contracts (OKX's current
// lot for USDT swaps -- nautilus's fixture: BTC and ETH), which ccxt's 0.1 / 0.4 sizes need.
struct SwapListing {
  const char* ct_val;
  const char* lot;
};
const std::map<std::string, SwapListing, std::less<>> kSwaps = {
    {"BTC-USDT-SWAP", {"0.01", "0.01"}}, {"ETH-USDT-SWAP", {"0.1", "0.01"}},
    {"LTC-USDT-SWAP", {"1", "0.01"}},    {"ADA-USDT-SWAP", {"100", "0.01"}},
    {"XRP-USDT-SWAP", {"100", "0.01"}}};

Decimal dec(const char* s) { return *Decimal::parse(s); }

ok::InstrumentSpec make_spec(const std::string& canonical, ok::TradeMode swap_mode = ok::TradeMode::kCross) {
  auto sym = oms::parse_canonical(canonical);
  if (!sym) throw Fail{"symbol " + canonical + ": " + sym.error().message};
  ok::InstrumentSpec s;
  Market m = Market::kSpot;
  if (sym->kind() == oms::ContractKind::kDelivery) throw Skip{"deliveries (FUTURES) are not traded: " + canonical};
  if (sym->kind() != oms::ContractKind::kSpot) {
    if (sym->settle != sym->quote) throw Skip{"coin-margined (inverse) swaps are not traded: " + canonical};
    m = Market::kUsdm;
  }
  auto venue = oms::to_venue(oms::ExchangeId::kOkx, m, *sym);
  if (!venue) throw Fail{"symbol " + canonical + ": " + venue.error().message};
  s.inst_id = *venue;
  if (m == Market::kUsdm) {
    const auto it = kSwaps.find(s.inst_id);
    if (it == kSwaps.end()) throw Fail{"no listing for " + s.inst_id + " in the mapping"};
    s.inst_type = ok::InstType::kSwap;
    s.contract_value = dec(it->second.ct_val);
    s.lot_size = dec(it->second.lot);
    s.trade_mode = swap_mode;
  } else {
    s.lot_size = dec("0.00000001");
  }
  return s;
}

ok::RestRequest unwrap(ok::Req r) {
  if (!r) throw Fail{"builder refused: " + r.error().message};
  return std::move(r).value();
}

// ccxt's amount is contracts on a swap; our commands count base units.
Decimal base_quantity(const ok::InstrumentSpec& s, const json& amount) {
  const Decimal a = number(amount, "amount");
  if (s.inst_type == ok::InstType::kSpot) return a;
  auto q = a.mul(s.contract_value, Rounding::kExact);
  if (!q) throw Fail{"amount x ctVal: not exact"};
  return *q;
}

// {"triggerPrice": p} / {"stopPrice": p}, with an optional limit "price".
void attached(const json& v, const std::string& field, Decimal& trigger, Decimal& price) {
  if (!v.is_object()) {
    trigger = number(v, field);
    return;
  }
  bool found = false;
  for (const char* k : {"triggerPrice", "stopPrice"}) {
    if (v.contains(k)) {
      trigger = number(v[k], field + "." + k);
      found = true;
    }
  }
  if (!found) throw Fail{field + ": without triggerPrice / stopPrice"};
  if (v.contains("price")) price = number(v["price"], field + ".price");
}

struct BuiltOrder {
  ok::InstrumentSpec spec;
  SubmitOrder o;
  ok::OrderExtras x;
};

BuiltOrder order_from(const std::string& sym, const std::string& type, Side side, const json& amount,
                      const json& price, const json& p) {
  if (p.contains("trailingPercent") || p.contains("trailingPrice"))
    throw Skip{"trailing stops (move_order_stop) are not built"};
  require_known(p, {"posSide", "hedged", "reduceOnly", "postOnly", "timeInForce", "clientOrderId", "stopLoss",
                    "takeProfit", "triggerPrice", "stopPrice", "stopLossPrice", "takeProfitPrice", "closeFraction",
                    "createMarketBuyOrderRequiresPrice", "tgtCcy", "cost"});
  const bool conditional = p.contains("stopLossPrice") || p.contains("takeProfitPrice");
  BuiltOrder b;
  // ccxt trades a spot stop-loss / take-profit order in cross margin (tdMode cross).
  b.spec = make_spec(sym);
  if (b.spec.inst_type == ok::InstType::kSpot && conditional) b.spec.trade_mode = ok::TradeMode::kCross;
  SubmitOrder& o = b.o;
  o.side = side;
  const bool market = type == "market";
  if (!market && type != "limit") throw Fail{"type: " + type};
  o.order_type = market ? OrderType::kMarket : OrderType::kLimit;
  if (!market && !price.is_null()) o.price = number(price, "price");
  if (p.contains("clientOrderId") && !o.client_order_id.assign(p["clientOrderId"].get<std::string>()))
    throw Fail{"clientOrderId: too long"};
  const bool spot = b.spec.inst_type == ok::InstType::kSpot;
  const bool by_quote = spot && market &&
                        (p.contains("cost") || (p.value("tgtCcy", "") == "quote_ccy") ||
                         (side == Side::kBuy && !p.value("createMarketBuyOrderRequiresPrice", true)));
  if (p.contains("tgtCcy") && !by_quote) throw Fail{"tgtCcy: only quote_ccy on a spot market order is mapped"};
  if (by_quote) b.x.quote_quantity = number(p.contains("cost") ? p["cost"] : amount, "cost");
  else if (p.contains("closeFraction")) {
    if (str(p["closeFraction"]) != "1") throw Fail{"closeFraction: only 1 (the whole position)"};
    b.x.close_position = true;
  } else o.quantity = base_quantity(b.spec, amount);
  const auto stop_kind = [&](bool take_profit) {
    if (take_profit) o.order_type = market ? OrderType::kTakeProfit : OrderType::kTakeProfitLimit;
    else o.order_type = market ? OrderType::kStopLoss : OrderType::kStopLossLimit;
  };
  for (const char* k : {"triggerPrice", "stopPrice"}) {
    if (p.contains(k)) {
      stop_kind(false);
      o.stop_price = number(p[k], k);
      b.x.algo = ok::AlgoKind::kTrigger;
    }
  }
  if (p.contains("stopLossPrice")) {
    stop_kind(false);
    o.stop_price = number(p["stopLossPrice"], "stopLossPrice");
  }
  if (p.contains("takeProfitPrice")) {
    stop_kind(true);
    o.stop_price = number(p["takeProfitPrice"], "takeProfitPrice");
  }
  if (p.contains("stopLoss")) attached(p["stopLoss"], "stopLoss", b.x.stop_loss, b.x.stop_loss_price);
  if (p.contains("takeProfit")) attached(p["takeProfit"], "takeProfit", b.x.take_profit, b.x.take_profit_price);
  if (p.value("postOnly", false)) o.tif = TimeInForce::kPostOnly;
  if (p.contains("timeInForce")) {
    const std::string t = p["timeInForce"].get<std::string>();
    o.tif = t == "IOC" ? TimeInForce::kIoc : t == "FOK" ? TimeInForce::kFok : t == "PO" ? TimeInForce::kPostOnly : TimeInForce::kGtc;
  }
  if (p.value("reduceOnly", false)) o.reduce_only = true;
  if (p.contains("posSide")) {
    const std::string ps = p["posSide"].get<std::string>();
    if (ps != "long" && ps != "short") throw Fail{"posSide: " + ps};
    b.spec.long_short_mode = true;
    b.x.position_side = ps == "long" ? PositionSide::kLong : PositionSide::kShort;
  } else if (p.value("hedged", false)) {
    // ccxt: a hedged stop-loss / take-profit / reduce-only order closes the side it does not trade.
    const bool closing = o.reduce_only || conditional;
    b.spec.long_short_mode = true;
    b.x.position_side = (side == Side::kBuy) != closing ? PositionSide::kLong : PositionSide::kShort;
  }
  return b;
}

ok::RestRequest place(const BuiltOrder& b) {
  // ccxt places a plain order through batch-orders (a batch of one); algo kinds on order-algo.
  if (has_stop_price(b.o.order_type)) return unwrap(ok::new_order(b.spec, b.o, b.x));
  const ok::BatchItem item{&b.spec, b.o, b.x};
  return unwrap(ok::batch_orders(std::span<const ok::BatchItem>(&item, 1)));
}

std::string bar_of(const std::string& tf) {
  static const std::map<std::string, std::string, std::less<>> kBars = {
      {"1m", "1m"}, {"3m", "3m"}, {"5m", "5m"},   {"15m", "15m"}, {"30m", "30m"}, {"1h", "1H"}, {"2h", "2H"},
      {"4h", "4H"}, {"6h", "6H"}, {"12h", "12H"}, {"1d", "1D"},   {"1w", "1W"},   {"1M", "1M"}, {"3M", "3M"}};
  const auto it = kBars.find(tf);
  if (it == kBars.end()) throw Fail{"timeframe " + tf + " has no OKX bar"};
  return it->second;
}

ok::AccountType account_of(const std::string& ccxt) {
  if (ccxt == "funding") return ok::AccountType::kFunding;
  if (ccxt == "spot" || ccxt == "trading" || ccxt == "swap" || ccxt == "unified") return ok::AccountType::kTrading;
  throw Fail{"account " + ccxt + " has no OKX account type"};
}

// The algo order type ccxt queries: params ordType, trailing -> move_order_stop, trigger.
std::optional<ok::AlgoOrdType> algo_type(const json& p) {
  if (p.value("trailing", false)) return ok::AlgoOrdType::kMoveOrderStop;
  const bool stop = p.value("stop", false) || p.value("trigger", false);
  if (!stop) return std::nullopt;
  const std::string t = p.value("ordType", p.value("trigger", false) ? "trigger" : "conditional");
  if (t == "conditional") return ok::AlgoOrdType::kConditional;
  if (t == "trigger") return ok::AlgoOrdType::kTrigger;
  if (t == "oco") return ok::AlgoOrdType::kOco;
  if (t == "move_order_stop") return ok::AlgoOrdType::kMoveOrderStop;
  throw Fail{"ordType " + t};
}

}  // namespace

ok::RestRequest map_okx_call(const std::string& method, const json& input, const json& options) {
  (void)options;
  const Call c{input};
  const auto sym_at = [&](std::size_t i) {
    if (!c.has(i)) throw Fail{"argument " + std::to_string(i) + ": symbol required"};
    return c.arg(i).get<std::string>();
  };
  static const std::map<std::string, std::string, std::less<>> kNotBuilt = {
      {"withdraw", "withdrawals are not built (funds leave the venue by hand)"},
      {"fetchCrossBorrowRate", "margin borrowing is not traded"},
      {"fetchCrossBorrowRates", "margin borrowing is not traded"},
      {"fetchBorrowInterest", "margin borrowing is not traded"},
      {"fetchOpenInterestHistory", "trading statistics (rubik) are not built"},
      {"fetchLongShortRatioHistory", "trading statistics (rubik) are not built"},
      {"fetchTakerBuySellVolume", "trading statistics (rubik) are not built"},
      {"fetchConvertCurrencies", "currency conversion is not built"},
      {"createConvertTrade", "currency conversion is not built"},
      {"fetchConvertTrade", "currency conversion is not built"},
      {"fetchConvertTradeHistory", "currency conversion is not built"},
      {"fetchOption", "options are not traded"},
      {"fetchOptionChain", "options are not traded"},
      {"fetchAllGreeks", "options are not traded"}};
  if (const auto it = kNotBuilt.find(method); it != kNotBuilt.end()) throw Skip{it->second};

  if (method == "createOrder") {
    return place(order_from(sym_at(0), c.arg(1).get<std::string>(), side_of(c.arg(2)), c.arg(3), c.arg(4), c.params(5)));
  }
  if (method == "createTriggerOrder" || method == "createTakeProfitOrder" || method == "createStopLossOrder") {
    // (symbol, type, side, amount, price, trigger price, params); params repeat the price word.
    return place(order_from(sym_at(0), c.arg(1).get<std::string>(), side_of(c.arg(2)), c.arg(3), c.arg(4), c.params(6)));
  }
  if (method == "createOrderWithTakeProfitAndStopLoss") {
    return place(order_from(sym_at(0), c.arg(1).get<std::string>(), side_of(c.arg(2)), c.arg(3), c.arg(4), c.params(7)));
  }
  if (method == "createMarketBuyOrderWithCost" || method == "createMarketSellOrderWithCost") {
    json p = c.params(2);
    p["cost"] = c.arg(1);
    const Side side = method == "createMarketBuyOrderWithCost" ? Side::kBuy : Side::kSell;
    return place(order_from(sym_at(0), "market", side, json(), json(), p));
  }
  if (method == "createOrders") {
    std::vector<BuiltOrder> built;
    built.reserve(c.arg(0).size());
    for (const auto& o : c.arg(0)) {
      built.push_back(order_from(o.at("symbol").get<std::string>(), o.at("type").get<std::string>(), side_of(o.at("side")),
                                 o.value("amount", json()), o.value("price", json()), o.value("params", json::object())));
    }
    std::vector<ok::BatchItem> items;
    for (const auto& b : built) items.push_back(ok::BatchItem{&b.spec, b.o, b.x});
    return unwrap(ok::batch_orders(items));
  }
  if (method == "editOrder") {
    const json p = c.params(6);
    if (c.arg(2).get<std::string>() != "limit" && c.arg(2).get<std::string>() != "market")
      throw Skip{"amending an algo order (amend-algos) is not built"};
    if (!p.empty()) throw Skip{"amending attached TP/SL is not built (our AmendOrder carries price and quantity)"};
    const ok::InstrumentSpec s = make_spec(sym_at(1));
    const std::string id = str(c.arg(0));
    return unwrap(ok::amend_order(s, ok::OrderRef{id, {}}, c.has(4) ? base_quantity(s, c.arg(4)) : Decimal{},
                                  c.has(5) ? number(c.arg(5), "price") : Decimal{}));
  }
  if (method == "fetchOrder") {
    require_known(c.params(2), {});
    const std::string id = str(c.arg(0));
    return unwrap(ok::order_details(make_spec(sym_at(1)), ok::OrderRef{id, {}}));
  }
  if (method == "cancelOrder" || method == "cancelOrders") {
    const json p = c.params(2);
    require_known(p, {"stop", "trigger", "trailing", "ordType"});
    const ok::InstrumentSpec s = make_spec(sym_at(1));
    std::vector<std::string> ids;
    if (method == "cancelOrder") ids.push_back(str(c.arg(0)));
    else for (const auto& i : c.arg(0)) ids.push_back(str(i));
    if (algo_type(p)) {
      std::vector<ok::AlgoCancelItem> items;
      for (const auto& id : ids) items.push_back(ok::AlgoCancelItem{&s, ok::AlgoRef{id, {}}});
      return unwrap(ok::cancel_algos(items));
    }
    if (method == "cancelOrder") return unwrap(ok::cancel_order(s, ok::OrderRef{ids[0], {}}));
    std::vector<ok::CancelItem> items;
    for (const auto& id : ids) items.push_back(ok::CancelItem{&s, ok::OrderRef{id, {}}});
    return unwrap(ok::cancel_batch(items));
  }
  if (method == "cancelOrdersForSymbols") {
    std::vector<ok::InstrumentSpec> specs;
    std::vector<std::string> ids;
    specs.reserve(c.arg(0).size());
    for (const auto& o : c.arg(0)) {
      specs.push_back(make_spec(o.at("symbol").get<std::string>()));
      ids.push_back(str(o.at("id")));
    }
    std::vector<ok::CancelItem> items;
    for (std::size_t i = 0; i < specs.size(); ++i) items.push_back(ok::CancelItem{&specs[i], ok::OrderRef{ids[i], {}}});
    return unwrap(ok::cancel_batch(items));
  }
  if (method == "cancelAllOrdersAfter") {
    const std::int64_t ms = c.arg(0).get<std::int64_t>();
    if (ms % 1000 != 0) throw Fail{"timeout: not whole seconds"};
    return unwrap(ok::cancel_all_after(static_cast<std::uint32_t>(ms / 1000)));
  }
  if (method == "closePosition") {
    const ok::InstrumentSpec base = make_spec(sym_at(0));
    ok::InstrumentSpec s = base;
    std::optional<PositionSide> side;
    if (c.has(1) && c.arg(1).is_string()) {
      // ccxt names the position by the side it was opened with: buy = the long one.
      s.long_short_mode = true;
      side = side_of(c.arg(1)) == Side::kBuy ? PositionSide::kLong : PositionSide::kShort;
    }
    return unwrap(ok::close_position(s, side));
  }
  if (method == "fetchOpenOrders" || method == "fetchCanceledOrders" || method == "fetchClosedOrders" ||
      method == "fetchMyTrades") {
    const json p = c.params(3);
    require_known(p, {"stop", "trigger", "trailing", "ordType"});
    std::optional<ok::InstrumentSpec> s;
    if (c.has(0)) s = make_spec(sym_at(0));
    ok::ListQuery q;
    q.instrument = s ? &*s : nullptr;
    if (c.has(2)) q.limit = c.arg(2).get<std::uint32_t>();
    const auto algo = algo_type(p);
    if (method == "fetchOpenOrders") {
      return unwrap(algo ? ok::algo_orders_pending(*algo, q) : ok::orders_pending(q));
    }
    // ccxt's history calls name an instType: the symbol's, else its default (SPOT).
    q.inst_type = s ? s->inst_type : ok::InstType::kSpot;
    if (method == "fetchMyTrades") return unwrap(ok::fills_history(q));
    if (algo) {
      q.state = method == "fetchCanceledOrders" ? "canceled" : "effective";
      return unwrap(ok::algo_orders_history(*algo, q));
    }
    q.state = method == "fetchCanceledOrders" ? "canceled" : "filled";
    return unwrap(ok::orders_history(q));
  }
  if (method == "fetchPosition") {
    const ok::InstrumentSpec s = make_spec(sym_at(0));
    return unwrap(ok::positions(&s));
  }
  if (method == "fetchPositions") return unwrap(ok::positions(nullptr));
  if (method == "fetchPositionsHistory") {
    std::optional<ok::InstrumentSpec> s;
    if (c.has(0)) {
      if (c.arg(0).size() != 1) throw Fail{"one symbol"};
      s = make_spec(c.arg(0)[0].get<std::string>());
    }
    constexpr std::uint32_t kCcxtDefault = 100;
    return unwrap(ok::positions_history(s ? &*s : nullptr, c.has(2) ? c.arg(2).get<std::uint32_t>() : kCcxtDefault));
  }
  if (method == "fetchBalance") {
    const json p = c.params(0);
    require_known(p, {"type"});
    return unwrap(p.value("type", "") == "funding" ? ok::asset_balances() : ok::balance());
  }
  if (method == "fetchStatus") return unwrap(ok::system_status());
  if (method == "fetchCurrencies") return unwrap(ok::currencies());
  if (method == "fetchTime") return unwrap(ok::server_time());
  if (method == "fetchAccounts" || method == "fetchPositionMode") return unwrap(ok::account_config());
  if (method == "fetchTransfer") return unwrap(ok::transfer_state(str(c.arg(0))));
  if (method == "transfer") {
    return unwrap(ok::transfer(ok::Transfer{c.arg(0).get<std::string>(), number(c.arg(1), "amount"),
                                            account_of(c.arg(2).get<std::string>()), account_of(c.arg(3).get<std::string>()), {},
                                            ok::TransferType::kWithinAccount, {}}));
  }
  if (method == "addMargin" || method == "reduceMargin") {
    (void)make_spec(sym_at(0));
    throw Fail{"margin adjustment is not built"};
  }
  if (method == "fetchLedger") {
    const json p = c.params(3);
    require_known(p, {"method"});
    ok::BillsQuery q;
    q.inst_type = ok::InstType::kSpot;  // ccxt's default type
    const std::string cur = c.has(0) ? c.arg(0).get<std::string>() : "";
    q.currency = cur;
    const std::string m = p.value("method", "privateGetAccountBills");
    if (m == "privateGetAccountBills") return unwrap(ok::bills(q));
    if (m == "privateGetAccountBillsArchive") return unwrap(ok::bills_archive(q));
    if (m == "privateGetAssetBills") return unwrap(ok::asset_bills(q));
    throw Fail{"ledger method " + m};
  }
  if (method == "fetchMarginAdjustmentHistory") {
    if (c.has(2) || c.has(3)) throw Fail{"since / limit: the archive query is not mapped"};
    ok::BillsQuery q;
    q.margin_mode = ok::TradeMode::kIsolated;
    const std::string type = c.arg(1).get<std::string>();
    q.sub_type = type == "add" ? "160" : type == "reduce" ? "161" : throw Fail{"type " + type};
    return unwrap(ok::bills(q));
  }
  if (method == "fetchOHLCV") {
    const ok::InstrumentSpec s = make_spec(sym_at(0));
    const json p = c.params(4);
    require_known(p, {"type"});
    const bool history = p.value("type", "") == "HistoryCandles";
    constexpr std::uint32_t kCcxtCandles = 100, kCcxtHistory = 300;
    return unwrap(ok::candles(s, bar_of(c.has(1) ? c.arg(1).get<std::string>() : "1m"),
                              c.has(3) ? c.arg(3).get<std::uint32_t>() : (history ? kCcxtHistory : kCcxtCandles), history));
  }
  if (method == "fetchOrderBook") {
    return unwrap(ok::order_book(make_spec(sym_at(0)), c.has(1) ? c.arg(1).get<std::uint32_t>() : 0));
  }
  if (method == "fetchTrades") return unwrap(ok::trades(make_spec(sym_at(0)), c.has(2) ? c.arg(2).get<std::uint32_t>() : 0));
  if (method == "fetchTicker") return unwrap(ok::ticker(make_spec(sym_at(0))));
  if (method == "fetchTickers") {
    if (!c.has(0) || c.arg(0).empty()) throw Fail{"fetchTickers: symbols required"};
    return unwrap(ok::tickers(make_spec(c.arg(0)[0].get<std::string>()).inst_type));
  }
  if (method == "fetchTradingFee") {
    const ok::InstrumentSpec s = make_spec(sym_at(0));
    return unwrap(ok::trade_fee(s.inst_type, &s));
  }
  if (method == "fetchDeposits") return unwrap(ok::deposit_history(c.has(0) ? c.arg(0).get<std::string>() : ""));
  if (method == "fetchWithdrawals") return unwrap(ok::withdrawal_history(c.has(0) ? c.arg(0).get<std::string>() : ""));
  if (method == "fetchDepositAddress") return unwrap(ok::deposit_address(c.arg(0).get<std::string>()));
  if (method == "fetchLeverage" || method == "setLeverage" || method == "setMarginMode") {
    // ccxt's default margin mode is cross; setMarginMode sets it with the leverage it is given.
    if (method == "fetchLeverage") {
      ok::InstrumentSpec s = make_spec(sym_at(0));
      s.trade_mode = ok::TradeMode::kCross;
      return unwrap(ok::leverage_info(s));
    }
    if (method == "setLeverage") {
      require_known(c.params(2), {});
      return unwrap(ok::set_leverage(make_spec(sym_at(1)), number(c.arg(0), "leverage")));
    }
    const json p = c.params(2);
    require_known(p, {"leverage"});
    const std::string mode = c.arg(0).get<std::string>();
    if (mode != "cross" && mode != "isolated") throw Fail{"margin mode " + mode};
    const ok::InstrumentSpec s = make_spec(sym_at(1), mode == "cross" ? ok::TradeMode::kCross : ok::TradeMode::kIsolated);
    if (!p.contains("leverage")) throw Fail{"setMarginMode: ccxt needs params.leverage"};
    return unwrap(ok::set_leverage(s, number(p["leverage"], "leverage")));
  }
  if (method == "fetchMarkPrices") return unwrap(ok::mark_price(nullptr));
  if (method == "fetchMarkPrice") {
    const ok::InstrumentSpec s = make_spec(sym_at(0));
    return unwrap(ok::mark_price(&s));
  }
  if (method == "fetchFundingRates") return unwrap(ok::funding_rate(nullptr));
  if (method == "fetchFundingInterval" || method == "fetchFundingRate") {
    const ok::InstrumentSpec s = make_spec(sym_at(0));
    return unwrap(ok::funding_rate(&s));
  }
  if (method == "fetchOpenInterests") {
    const json p = c.params(1);
    require_known(p, {"instType", "instFamily"});
    const std::string t = p.value("instType", "SWAP");
    if (t != "SWAP") throw Skip{"instType " + t + " is not traded"};
    return unwrap(ok::open_interest(nullptr));
  }
  throw Fail{"ccxt method " + method + " is not mapped"};
}

}  // namespace oms::reqcheck
