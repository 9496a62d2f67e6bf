// Binance Spot /api/v3 request builders. Weights: the venue's REST API docs (rest-api.md).
#include "requests_common.hpp"

namespace oms::binance {

using detail::check_instrument;
using detail::error;
using detail::make;

namespace {

constexpr std::string_view kSpotOrder = "/api/v3/order";

std::string_view spot_type(const SubmitOrder& o) {
  switch (o.order_type) {
    case OrderType::kLimit:
      return o.tif == TimeInForce::kPostOnly ? "LIMIT_MAKER" : "LIMIT";
    case OrderType::kMarket:
      return "MARKET";
    case OrderType::kStopLoss:
      return "STOP_LOSS";
    case OrderType::kStopLossLimit:
      return "STOP_LOSS_LIMIT";
    case OrderType::kTakeProfit:
      return "TAKE_PROFIT";
    case OrderType::kTakeProfitLimit:
      return "TAKE_PROFIT_LIMIT";
  }
  return "LIMIT";
}

// side, newClientOrderId, newOrderRespType, type, timeInForce, quantity, price and the extras:
// everything of a spot order but the symbol (new order and cancelReplace share it).
Result<Unit, RequestError> add_spot_order_fields(RestRequest& r, const SubmitOrder& o,
                                                 const OrderExtras& x, std::string_view what) {
  const bool limit_priced = has_limit_price(o.order_type);
  if (o.reduce_only) return Unexpected{error(what, "reduce_only: spot has no reduce-only orders")};
  if (x.position_side || x.trailing || !x.callback_rate.is_zero() ||
      !x.activation_price.is_zero() || !x.price_match.empty() || !x.working_type.empty()) {
    return Unexpected{error(what,
                            "extras: position_side, trailing/callback_rate/activation_price, "
                            "price_match and working_type are USD-M parameters")};
  }
  if (o.tif == TimeInForce::kPostOnly && o.order_type != OrderType::kLimit) {
    return Unexpected{error(what, "tif: post-only is only for LIMIT orders (LIMIT_MAKER)")};
  }
  if (!x.quote_quantity.is_zero()) {
    if (o.order_type != OrderType::kMarket) {
      return Unexpected{error(what, "quote_quantity: only MARKET orders take quoteOrderQty")};
    }
    if (!o.quantity.is_zero()) {
      return Unexpected{error(what, "quantity: give either quantity or quote_quantity, not both")};
    }
    if (!x.quote_quantity.is_positive())
      return Unexpected{error(what, "quote_quantity: must be positive")};
  } else if (!o.quantity.is_positive()) {
    return Unexpected{error(what, "quantity: must be positive")};
  }
  if (limit_priced && !o.price.is_positive()) {
    return Unexpected{
        error(what, "price: must be positive for a " + std::string(spot_type(o)) + " order")};
  }
  if (!limit_priced && !o.price.is_zero()) {
    return Unexpected{
        error(what, "price: must be zero for a " + std::string(spot_type(o)) + " order")};
  }
  if (has_stop_price(o.order_type)) {
    if (!o.stop_price.is_positive() && x.trailing_delta_bips == 0) {
      return Unexpected{
          error(what, "stop_price: a stop / take-profit order needs stop_price or trailing_delta")};
    }
  } else if (!o.stop_price.is_zero()) {
    return Unexpected{error(what, "stop_price: only stop / take-profit orders take a stop price")};
  }
  r.add("side", detail::side_text(o.side));
  if (!o.client_order_id.empty()) r.add("newClientOrderId", o.client_order_id.view());
  if (x.response_type != ResponseType::kDefault) {
    r.add("newOrderRespType", detail::response_type_text(x.response_type));
  }
  r.add("type", spot_type(o));
  // LIMIT_MAKER takes no timeInForce; the other limit-priced types need one.
  if (limit_priced && o.tif != TimeInForce::kPostOnly)
    r.add("timeInForce", detail::tif_text(o.tif));
  if (!x.quote_quantity.is_zero()) {
    r.add("quoteOrderQty", x.quote_quantity);
  } else {
    r.add("quantity", o.quantity);
  }
  if (limit_priced) r.add("price", o.price);
  if (!o.stop_price.is_zero()) r.add("stopPrice", o.stop_price);
  if (x.trailing_delta_bips != 0) r.add_int("trailingDelta", x.trailing_delta_bips);
  if (!x.iceberg_quantity.is_zero()) r.add("icebergQty", x.iceberg_quantity);
  if (!x.self_trade_prevention.empty()) r.add("selfTradePreventionMode", x.self_trade_prevention);
  return Unit{};
}

}  // namespace

Req spot_new_order(const Instrument& in, const SubmitOrder& o, const OrderExtras& x) {
  constexpr std::string_view what = "spot new order";
  if (auto c = check_instrument(in, Market::kSpot, what); !c)
    return Unexpected{std::move(c).error()};
  // Weight 1; one order against the unfilled-order counts (the test endpoint places none).
  RestRequest r = make(HttpMethod::kPost, x.test ? "/api/v3/order/test" : kSpotOrder,
                       Security::kSigned, 1, x.test ? 0 : 1);
  r.add("symbol", in.venue_symbol);
  if (auto f = add_spot_order_fields(r, o, x, what); !f) return Unexpected{std::move(f).error()};
  return r;
}

Req spot_cancel_order(const Instrument& in, const OrderRef& ref) {
  constexpr std::string_view what = "spot cancel order";
  if (auto c = check_instrument(in, Market::kSpot, what); !c)
    return Unexpected{std::move(c).error()};
  RestRequest r = make(HttpMethod::kDelete, kSpotOrder, Security::kSigned, 1);
  r.add("symbol", in.venue_symbol);
  if (auto a = detail::add_order_ref(r, ref, what); !a) return Unexpected{std::move(a).error()};
  return r;
}

Req spot_cancel_order(const Instrument& in, const CancelOrder& c) {
  return spot_cancel_order(in, OrderRef{0, c.client_order_id.view()});
}

Req spot_cancel_all(const Instrument& in) {
  constexpr std::string_view what = "spot cancel all";
  if (auto c = check_instrument(in, Market::kSpot, what); !c)
    return Unexpected{std::move(c).error()};
  RestRequest r = make(HttpMethod::kDelete, "/api/v3/openOrders", Security::kSigned, 1);
  r.add("symbol", in.venue_symbol);
  return r;
}

Req spot_cancel_replace(const Instrument& in, const OrderRef& cancel, const SubmitOrder& o,
                        const OrderExtras& x) {
  constexpr std::string_view what = "spot cancel-replace";
  if (auto c = check_instrument(in, Market::kSpot, what); !c)
    return Unexpected{std::move(c).error()};
  RestRequest r = make(HttpMethod::kPost, "/api/v3/order/cancelReplace", Security::kSigned, 1, 1);
  r.add("symbol", in.venue_symbol);
  r.add("cancelReplaceMode", "STOP_ON_FAILURE");
  if (auto a = detail::add_order_ref(r, cancel, what, "cancelOrderId", "cancelOrigClientOrderId");
      !a) {
    return Unexpected{std::move(a).error()};
  }
  if (auto f = add_spot_order_fields(r, o, x, what); !f) return Unexpected{std::move(f).error()};
  return r;
}

Req spot_query_order(const Instrument& in, const OrderRef& ref) {
  constexpr std::string_view what = "spot query order";
  if (auto c = check_instrument(in, Market::kSpot, what); !c)
    return Unexpected{std::move(c).error()};
  RestRequest r = make(HttpMethod::kGet, kSpotOrder, Security::kSigned, 4);
  r.add("symbol", in.venue_symbol);
  if (auto a = detail::add_order_ref(r, ref, what); !a) return Unexpected{std::move(a).error()};
  return r;
}

Req spot_open_orders(const Instrument* in) {
  if (in == nullptr) return make(HttpMethod::kGet, "/api/v3/openOrders", Security::kSigned, 80);
  if (auto c = check_instrument(*in, Market::kSpot, "spot open orders"); !c) {
    return Unexpected{std::move(c).error()};
  }
  RestRequest r = make(HttpMethod::kGet, "/api/v3/openOrders", Security::kSigned, 6);
  r.add("symbol", in->venue_symbol);
  return r;
}

Req spot_all_orders(const Instrument& in, const HistoryQuery& q) {
  if (auto c = check_instrument(in, Market::kSpot, "spot all orders"); !c)
    return Unexpected{std::move(c).error()};
  RestRequest r = make(HttpMethod::kGet, "/api/v3/allOrders", Security::kSigned, 20);
  r.add("symbol", in.venue_symbol);
  detail::add_history(r, q);
  return r;
}

Req spot_my_trades(const Instrument& in, const HistoryQuery& q) {
  if (auto c = check_instrument(in, Market::kSpot, "spot my trades"); !c)
    return Unexpected{std::move(c).error()};
  // 20, or 5 when narrowed to one order.
  RestRequest r =
      make(HttpMethod::kGet, "/api/v3/myTrades", Security::kSigned, q.order_id != 0 ? 5 : 20);
  r.add("symbol", in.venue_symbol);
  detail::add_history(r, q);
  return r;
}

Req spot_account(bool omit_zero_balances) {
  RestRequest r = make(HttpMethod::kGet, "/api/v3/account", Security::kSigned, 20);
  if (omit_zero_balances) r.add("omitZeroBalances", "true");
  return r;
}

Req spot_commission(const Instrument& in) {
  if (auto c = check_instrument(in, Market::kSpot, "spot commission"); !c) return Unexpected{std::move(c).error()};
  RestRequest r = make(HttpMethod::kGet, "/api/v3/account/commission", Security::kSigned, 20);
  r.add("symbol", in.venue_symbol);
  return r;
}

Req spot_listen_key(HttpMethod m, std::string_view listen_key) {
  if (m == HttpMethod::kGet)
    return Unexpected{error("spot listen key", "method: POST, PUT or DELETE")};
  RestRequest r = make(m, "/api/v3/userDataStream", Security::kUserStream, 2);
  if (m != HttpMethod::kPost) {
    if (listen_key.empty())
      return Unexpected{error("spot listen key", "listen_key: required to keep alive or close")};
    r.add("listenKey", listen_key);
  }
  return r;
}

}  // namespace oms::binance
