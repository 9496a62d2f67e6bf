// Binance USD-M futures /fapi request builders: orders, algo (conditional) orders, batches.
// Weights: the venue's USD-M REST docs (order endpoints cost 0 IP weight and count orders).
#include "requests_common.hpp"

namespace oms::binance {

using detail::check_instrument;
using detail::error;
using detail::make;

namespace {

constexpr std::string_view kOrder = "/fapi/v1/order";
constexpr std::string_view kAlgoOrder = "/fapi/v1/algoOrder";
constexpr std::size_t kMaxBatch = 5;         // batchOrders place / modify
constexpr std::size_t kMaxBatchCancel = 10;  // batchOrders cancel

std::string_view usdm_type(const SubmitOrder& o, const OrderExtras& x) {
  if (x.trailing) return "TRAILING_STOP_MARKET";
  switch (o.order_type) {
    case OrderType::kLimit:
      return "LIMIT";
    case OrderType::kMarket:
      return "MARKET";
    case OrderType::kStopLoss:
      return "STOP_MARKET";
    case OrderType::kStopLossLimit:
      return "STOP";
    case OrderType::kTakeProfit:
      return "TAKE_PROFIT_MARKET";
    case OrderType::kTakeProfitLimit:
      return "TAKE_PROFIT";
  }
  return "LIMIT";
}

std::string_view position_side_text(PositionSide p) {
  switch (p) {
    case PositionSide::kLong:
      return "LONG";
    case PositionSide::kShort:
      return "SHORT";
    case PositionSide::kBoth:
      break;
  }
  return "BOTH";
}

// Every field of a USD-M order but the symbol; `conditional` orders go to algoOrder.
Result<Unit, RequestError> add_usdm_order_fields(RestRequest& r, const SubmitOrder& o,
                                                 const OrderExtras& x, bool conditional,
                                                 std::string_view what) {
  const bool limit_priced = has_limit_price(o.order_type);
  const bool hedged = x.position_side && *x.position_side != PositionSide::kBoth;
  if (!o.quantity.is_positive()) return Unexpected{error(what, "quantity: must be positive")};
  if (!x.trailing && (!x.callback_rate.is_zero() || !x.activation_price.is_zero())) {
    return Unexpected{error(what, "callback_rate: only for a trailing stop (set trailing)")};
  }
  if (!x.iceberg_quantity.is_zero() || x.trailing_delta_bips != 0) {
    return Unexpected{
        error(what, "extras: iceberg_quantity and trailing_delta are spot parameters")};
  }
  if (!x.quote_quantity.is_zero())
    return Unexpected{error(what, "quote_quantity: USD-M orders take quantity only")};
  if (x.trailing) {
    if (o.order_type != OrderType::kStopLoss && o.order_type != OrderType::kTakeProfit) {
      return Unexpected{
          error(what, "trailing: a trailing stop is a market stop (kStopLoss / kTakeProfit)")};
    }
    if (!x.callback_rate.is_positive())
      return Unexpected{error(what, "callback_rate: must be positive for a trailing stop")};
  } else if (conditional && !o.stop_price.is_positive()) {
    return Unexpected{error(
        what, "stop_price: must be positive for a " + std::string(usdm_type(o, x)) + " order")};
  }
  if (!conditional && !o.stop_price.is_zero()) {
    return Unexpected{error(what, "stop_price: only stop / take-profit orders take a stop price")};
  }
  if (limit_priced && x.price_match.empty() && !o.price.is_positive()) {
    return Unexpected{
        error(what, "price: must be positive for a " + std::string(usdm_type(o, x)) + " order")};
  }
  if ((!limit_priced || !x.price_match.empty()) && !o.price.is_zero()) {
    return Unexpected{error(what, "price: must be zero for a market order or with price_match")};
  }
  if (!limit_priced && o.tif == TimeInForce::kPostOnly) {
    return Unexpected{error(what, "tif: post-only (GTX) needs a limit price")};
  }
  r.add("side", detail::side_text(o.side));
  if (hedged) r.add("positionSide", position_side_text(*x.position_side));
  if (!o.client_order_id.empty()) {
    r.add(conditional ? "clientAlgoId" : "newClientOrderId", o.client_order_id.view());
  }
  if (x.response_type != ResponseType::kDefault) {
    r.add("newOrderRespType", detail::response_type_text(x.response_type));
  }
  r.add("type", usdm_type(o, x));
  r.add("quantity", o.quantity);
  if (limit_priced && x.price_match.empty()) r.add("price", o.price);
  // Plain limit orders always say their TIF; algo orders default to GTC, sent only otherwise.
  if (limit_priced && (!conditional || o.tif != TimeInForce::kGtc))
    r.add("timeInForce", detail::tif_text(o.tif));
  if (conditional && !x.trailing) r.add("triggerPrice", o.stop_price);
  if (x.trailing) {
    r.add("callbackRate", x.callback_rate);
    if (!x.activation_price.is_zero()) r.add("activatePrice", x.activation_price);
  }
  // In hedge mode the position side already says which way the order reduces; the venue
  // rejects reduceOnly there.
  if (o.reduce_only && !hedged) r.add("reduceOnly", "true");
  if (!x.price_match.empty()) r.add("priceMatch", x.price_match);
  if (!x.working_type.empty()) r.add("workingType", x.working_type);
  if (!x.self_trade_prevention.empty()) r.add("selfTradePreventionMode", x.self_trade_prevention);
  if (conditional) r.add("algoType", "CONDITIONAL");
  return Unit{};
}

Req symbol_request(const Instrument& in, HttpMethod m, std::string_view path, std::uint32_t weight,
                   std::string_view what, std::uint32_t order_count = 0) {
  if (auto c = check_instrument(in, Market::kUsdm, what); !c)
    return Unexpected{std::move(c).error()};
  RestRequest r = make(m, path, Security::kSigned, weight, order_count);
  r.add("symbol", in.venue_symbol);
  return r;
}

Req symbol_ref_request(const Instrument& in, const OrderRef& ref, HttpMethod m,
                       std::string_view path, std::string_view what, bool algo = false) {
  auto r = symbol_request(in, m, path, 1, what);
  if (!r) return r;
  auto a = algo ? detail::add_order_ref(*r, ref, what, "algoId", "clientAlgoId")
                : detail::add_order_ref(*r, ref, what);
  if (!a) return Unexpected{std::move(a).error()};
  return r;
}

// One batch element as the JSON object the venue wants: every value a string.
void append_json_object(const RestRequest& fields, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (const auto& p : fields.params) {
    if (!first) out.push_back(',');
    first = false;
    detail::append_json_string(p.key, out);
    out.push_back(':');
    detail::append_json_string(p.value, out);
  }
  out.push_back('}');
}

}  // namespace

Req usdm_new_order(const Instrument& in, const SubmitOrder& o, const OrderExtras& x) {
  constexpr std::string_view what = "usdm new order";
  if (x.test) return Unexpected{error(what, "test: USD-M has no test order endpoint")};
  const bool conditional = has_stop_price(o.order_type) || x.trailing;
  auto r = symbol_request(in, HttpMethod::kPost, conditional ? kAlgoOrder : kOrder, 0, what, 1);
  if (!r) return r;
  if (auto f = add_usdm_order_fields(*r, o, x, conditional, what); !f)
    return Unexpected{std::move(f).error()};
  return r;
}

Req usdm_cancel_order(const Instrument& in, const OrderRef& ref) {
  return symbol_ref_request(in, ref, HttpMethod::kDelete, kOrder, "usdm cancel order");
}
Req usdm_cancel_order(const Instrument& in, const CancelOrder& c) {
  return usdm_cancel_order(in, OrderRef{0, c.client_order_id.view()});
}
Req usdm_cancel_algo_order(const Instrument& in, const OrderRef& ref) {
  return symbol_ref_request(in, ref, HttpMethod::kDelete, kAlgoOrder, "usdm cancel algo order",
                            true);
}
Req usdm_cancel_all(const Instrument& in) {
  return symbol_request(in, HttpMethod::kDelete, "/fapi/v1/allOpenOrders", 1, "usdm cancel all");
}
Req usdm_cancel_all_algo(const Instrument& in) {
  return symbol_request(in, HttpMethod::kDelete, "/fapi/v1/algoOpenOrders", 1,
                        "usdm cancel all algo");
}

Req usdm_modify_order(const Instrument& in, const OrderRef& ref, Side side, Decimal quantity,
                      Decimal price) {
  constexpr std::string_view what = "usdm modify order";
  if (!quantity.is_positive()) return Unexpected{error(what, "quantity: must be positive")};
  if (!price.is_positive()) return Unexpected{error(what, "price: must be positive")};
  auto r = symbol_request(in, HttpMethod::kPut, kOrder, 1, what, 1);
  if (!r) return r;
  if (auto a = detail::add_order_ref(*r, ref, what); !a) return Unexpected{std::move(a).error()};
  r->add("side", detail::side_text(side));
  r->add("quantity", quantity);
  r->add("price", price);
  return r;
}

Req usdm_modify_order(const Instrument& in, const AmendOrder& a, Side side) {
  return usdm_modify_order(in, OrderRef{0, a.client_order_id.view()}, side, a.new_quantity,
                           a.new_price);
}

Req usdm_batch_orders(std::span<const BatchItem> items) {
  constexpr std::string_view what = "usdm batch orders";
  if (items.empty() || items.size() > kMaxBatch)
    return Unexpected{error(what, "orders: 1 to 5 per batch")};
  std::string json = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    const std::string at = std::string(what) + " [" + std::to_string(i) + "]";
    if (it.instrument == nullptr) return Unexpected{error(at, "instrument: missing")};
    if (auto c = check_instrument(*it.instrument, Market::kUsdm, at); !c)
      return Unexpected{std::move(c).error()};
    if (has_stop_price(it.order.order_type) || it.extras.trailing) {
      return Unexpected{error(at, "order_type: conditional orders are not batched (algoOrder)")};
    }
    RestRequest fields;
    fields.add("symbol", it.instrument->venue_symbol);
    if (auto f = add_usdm_order_fields(fields, it.order, it.extras, false, at); !f) {
      return Unexpected{std::move(f).error()};
    }
    if (i != 0) json.push_back(',');
    append_json_object(fields, json);
  }
  json.push_back(']');
  RestRequest r = make(HttpMethod::kPost, "/fapi/v1/batchOrders", Security::kSigned, 5,
                       static_cast<std::uint32_t>(items.size()));
  r.add("batchOrders", json);
  return r;
}

Req usdm_batch_modify(std::span<const ModifyItem> items) {
  constexpr std::string_view what = "usdm batch modify";
  if (items.empty() || items.size() > kMaxBatch)
    return Unexpected{error(what, "orders: 1 to 5 per batch")};
  std::string json = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    const std::string at = std::string(what) + " [" + std::to_string(i) + "]";
    if (it.instrument == nullptr) return Unexpected{error(at, "instrument: missing")};
    auto one = usdm_modify_order(*it.instrument, it.ref, it.side, it.quantity, it.price);
    if (!one) return Unexpected{error(at, one.error().message)};
    // The venue's example order: orderId, symbol, side, quantity, price.
    RestRequest fields;
    if (auto a = detail::add_order_ref(fields, it.ref, at); !a)
      return Unexpected{std::move(a).error()};
    for (const auto& p : one->params) {
      if (p.key != "orderId" && p.key != "origClientOrderId") fields.params.push_back(p);
    }
    if (i != 0) json.push_back(',');
    append_json_object(fields, json);
  }
  json.push_back(']');
  RestRequest r = make(HttpMethod::kPut, "/fapi/v1/batchOrders", Security::kSigned, 5,
                       static_cast<std::uint32_t>(items.size()));
  r.add("batchOrders", json);
  return r;
}

Req usdm_batch_cancel(const Instrument& in, std::span<const std::uint64_t> order_ids,
                      std::span<const std::string_view> client_order_ids) {
  constexpr std::string_view what = "usdm batch cancel";
  const std::size_t n = order_ids.size() + client_order_ids.size();
  if (!order_ids.empty() && !client_order_ids.empty()) {
    return Unexpected{error(what, "give order ids or client order ids, not both")};
  }
  if (n == 0 || n > kMaxBatchCancel) return Unexpected{error(what, "orders: 1 to 10 per batch")};
  auto r = symbol_request(in, HttpMethod::kDelete, "/fapi/v1/batchOrders", 1, what);
  if (!r) return r;
  std::string json = "[";
  for (std::size_t i = 0; i < order_ids.size(); ++i) {
    if (i != 0) json.push_back(',');
    json.append(std::to_string(order_ids[i]));
  }
  for (std::size_t i = 0; i < client_order_ids.size(); ++i) {
    if (i != 0) json.push_back(',');
    detail::append_json_string(client_order_ids[i], json);
  }
  json.push_back(']');
  // The docs spell these orderIdList / origClientOrderIdList; the venue matches parameter
  // names case-insensitively and the ccxt reference sends them in lower case, as we do.
  r->add(order_ids.empty() ? "origclientorderidlist" : "orderidlist", json);
  return r;
}

Req usdm_query_order(const Instrument& in, const OrderRef& ref) {
  return symbol_ref_request(in, ref, HttpMethod::kGet, kOrder, "usdm query order");
}
Req usdm_query_algo_order(const Instrument& in, const OrderRef& ref) {
  return symbol_ref_request(in, ref, HttpMethod::kGet, kAlgoOrder, "usdm query algo order", true);
}
Req usdm_open_order(const Instrument& in, const OrderRef& ref) {
  return symbol_ref_request(in, ref, HttpMethod::kGet, "/fapi/v1/openOrder", "usdm open order");
}

Req usdm_open_orders(const Instrument* in) {
  if (in == nullptr) return make(HttpMethod::kGet, "/fapi/v1/openOrders", Security::kSigned, 40);
  return symbol_request(*in, HttpMethod::kGet, "/fapi/v1/openOrders", 1, "usdm open orders");
}

Req usdm_open_algo_orders(const Instrument* in) {
  if (in == nullptr)
    return make(HttpMethod::kGet, "/fapi/v1/openAlgoOrders", Security::kSigned, 40);
  return symbol_request(*in, HttpMethod::kGet, "/fapi/v1/openAlgoOrders", 1,
                        "usdm open algo orders");
}

Req usdm_all_orders(const Instrument& in, const HistoryQuery& q) {
  auto r = symbol_request(in, HttpMethod::kGet, "/fapi/v1/allOrders", 5, "usdm all orders");
  if (r) detail::add_history(*r, q);
  return r;
}
Req usdm_all_algo_orders(const Instrument& in, const HistoryQuery& q) {
  auto r =
      symbol_request(in, HttpMethod::kGet, "/fapi/v1/allAlgoOrders", 5, "usdm all algo orders");
  if (r) detail::add_history(*r, q);
  return r;
}
Req usdm_user_trades(const Instrument& in, const HistoryQuery& q) {
  auto r = symbol_request(in, HttpMethod::kGet, "/fapi/v1/userTrades", 5, "usdm user trades");
  if (r) detail::add_history(*r, q);
  return r;
}

Req usdm_commission_rate(const Instrument& in) {
  if (auto c = check_instrument(in, Market::kUsdm, "usdm commission rate"); !c) return Unexpected{std::move(c).error()};
  RestRequest r = make(HttpMethod::kGet, "/fapi/v1/commissionRate", Security::kSigned, 20);
  r.add("symbol", in.venue_symbol);
  return r;
}

Req usdm_balance() {
  return make(HttpMethod::kGet, "/fapi/v2/balance", Security::kSigned, 5);
}

Req usdm_account(int version) {
  if (version != 2 && version != 3) return Unexpected{error("usdm account", "version: 2 or 3")};
  return make(HttpMethod::kGet, version == 2 ? "/fapi/v2/account" : "/fapi/v3/account",
              Security::kSigned, 5);
}

Req usdm_position_risk(const Instrument* in, int version) {
  if (version != 2 && version != 3)
    return Unexpected{error("usdm position risk", "version: 2 or 3")};
  const std::string_view path = version == 2 ? "/fapi/v2/positionRisk" : "/fapi/v3/positionRisk";
  if (in == nullptr) return make(HttpMethod::kGet, path, Security::kSigned, 5);
  return symbol_request(*in, HttpMethod::kGet, path, 5, "usdm position risk");
}

Req usdm_set_leverage(const Instrument& in, std::uint32_t leverage) {
  constexpr std::uint32_t kMaxLeverage = 125;  // the venue's highest bracket
  if (leverage == 0 || leverage > kMaxLeverage)
    return Unexpected{error("usdm set leverage", "leverage: 1 to 125")};
  auto r = symbol_request(in, HttpMethod::kPost, "/fapi/v1/leverage", 1, "usdm set leverage");
  if (r) r->add_int("leverage", leverage);
  return r;
}

Req usdm_set_margin_type(const Instrument& in, MarginType t) {
  auto r = symbol_request(in, HttpMethod::kPost, "/fapi/v1/marginType", 1, "usdm set margin type");
  if (r) r->add("marginType", t == MarginType::kIsolated ? "ISOLATED" : "CROSSED");
  return r;
}

Req usdm_set_position_mode(bool dual_side) {
  RestRequest r = make(HttpMethod::kPost, "/fapi/v1/positionSide/dual", Security::kSigned, 1);
  r.add("dualSidePosition", dual_side ? "true" : "false");
  return r;
}

Req usdm_get_position_mode() {
  return make(HttpMethod::kGet, "/fapi/v1/positionSide/dual", Security::kSigned, 30);
}

Req usdm_symbol_config(const Instrument* in) {
  if (in == nullptr) return make(HttpMethod::kGet, "/fapi/v1/symbolConfig", Security::kSigned, 5);
  return symbol_request(*in, HttpMethod::kGet, "/fapi/v1/symbolConfig", 5, "usdm symbol config");
}

Req usdm_account_config() {
  return make(HttpMethod::kGet, "/fapi/v1/accountConfig", Security::kSigned, 5);
}

Req usdm_listen_key(HttpMethod m) {
  if (m == HttpMethod::kGet)
    return Unexpected{error("usdm listen key", "method: POST, PUT or DELETE")};
  return make(m, "/fapi/v1/listenKey", Security::kUserStream, 1);
}

}  // namespace oms::binance
