// Bybit v5 order builders: create, amend, cancel (single, all, batch), open orders, history,
// executions.
#include <array>

#include "requests_common.hpp"

namespace oms::bybit {

using detail::check_instrument;
using detail::error;
using detail::make;

namespace detail {

RequestError error(std::string_view what, std::string_view msg) {
  std::string m(what);
  m.append(": ");
  m.append(msg);
  return RequestError{std::move(m)};
}

Result<Category, RequestError> check_instrument(const Instrument& in, std::string_view what) {
  if (in.exchange != ExchangeId::kBybit) return Unexpected{error(what, "instrument is not a Bybit one")};
  if (in.venue_symbol.empty()) return Unexpected{error(what, "instrument has no venue symbol")};
  auto c = category_of(in.market);
  if (!c) return Unexpected{error(what, "instrument " + in.venue_symbol + ": " + c.error().message)};
  return *c;
}

RestRequest make(HttpMethod m, std::string_view path, Security s, std::uint32_t order_count) {
  RestRequest r;
  r.method = m;
  r.path.assign(path);
  r.security = s;
  r.order_count = order_count;
  return r;
}

bool valid_link_id(std::string_view id) noexcept {
  constexpr std::size_t kMaxLinkId = 36;
  if (id.empty() || id.size() > kMaxLinkId) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<Unit, RequestError> add_order_ref(RestRequest& r, const OrderRef& ref, std::string_view what) {
  if (ref.order_id.empty() == ref.order_link_id.empty()) {
    return Unexpected{error(what, "order: name it by order_id or by order_link_id (one of them)")};
  }
  if (!ref.order_id.empty()) {
    r.add("orderId", ref.order_id);
  } else {
    if (!valid_link_id(ref.order_link_id))
      return Unexpected{error(what, "order_link_id: 1 to 36 of A-Z a-z 0-9 - _")};
    r.add("orderLinkId", ref.order_link_id);
  }
  return Unit{};
}

std::string_view filter_text(OrderFilter f) noexcept {
  switch (f) {
    case OrderFilter::kOrder: return "Order";
    case OrderFilter::kTpsl: return "tpslOrder";
    case OrderFilter::kStop: return "StopOrder";
    case OrderFilter::kOco: return "OcoOrder";
    case OrderFilter::kBidirectionalTpsl: return "BidirectionalTpslOrder";
    case OrderFilter::kDefault: break;
  }
  return {};
}

void add_history(RestRequest& r, const HistoryQuery& q) {
  if (!q.order_id.empty()) r.add("orderId", q.order_id);
  if (!q.order_link_id.empty()) r.add("orderLinkId", q.order_link_id);
  if (!q.order_status.empty()) r.add("orderStatus", q.order_status);
  if (!q.exec_type.empty()) r.add("execType", q.exec_type);
  if (q.filter != OrderFilter::kDefault) r.add("orderFilter", filter_text(q.filter));
  if (q.start_time_ms != 0) r.add_int("startTime", q.start_time_ms);
  if (q.end_time_ms != 0) r.add_int("endTime", q.end_time_ms);
  if (q.limit != 0) r.add_int("limit", q.limit);
  if (!q.cursor.empty()) r.add("cursor", q.cursor);
}

}  // namespace detail

std::string_view to_string(Category c) noexcept { return c == Category::kSpot ? "spot" : "linear"; }

Result<Category, RequestError> category_of(Market m) {
  switch (m) {
    case Market::kSpot: return Category::kSpot;
    case Market::kUsdm: return Category::kLinear;
    case Market::kCoinm: break;
  }
  return Unexpected{RequestError{"inverse contracts are not traded"}};
}

std::size_t max_batch(Category c, BatchKind k) noexcept {
  constexpr std::size_t kSmall = 10, kLinearCreate = 20;
  return c == Category::kLinear && k == BatchKind::kCreate ? kLinearCreate : kSmall;
}

namespace {

constexpr std::string_view kCreate = "/v5/order/create";

bool conditional(OrderType t) noexcept { return has_stop_price(t); }

bool take_profit(OrderType t) noexcept {
  return t == OrderType::kTakeProfit || t == OrderType::kTakeProfitLimit;
}

std::string_view tif_text(TimeInForce t) noexcept {
  switch (t) {
    case TimeInForce::kIoc: return "IOC";
    case TimeInForce::kFok: return "FOK";
    case TimeInForce::kPostOnly: return "PostOnly";
    case TimeInForce::kGtc: break;
  }
  return "GTC";
}

// Every field of an order but category (the batch carries it once) and symbol.
Result<Unit, RequestError> add_order_fields(RestRequest& r, Category c, const SubmitOrder& o,
                                            const OrderExtras& x, std::string_view what) {
  const bool spot = c == Category::kSpot;
  const bool limit_priced = has_limit_price(o.order_type);
  const bool market_buy_by_quote = spot && !limit_priced && !x.quote_quantity.is_zero();
  if (!x.quote_quantity.is_zero()) {
    if (!spot || limit_priced)
      return Unexpected{error(what, "quote_quantity: only a spot market order trades a quote amount")};
    if (!x.quote_quantity.is_positive()) return Unexpected{error(what, "quote_quantity: must be positive")};
    if (!o.quantity.is_zero())
      return Unexpected{error(what, "quantity: must be zero when quote_quantity is set")};
  } else if (!o.quantity.is_positive()) {
    return Unexpected{error(what, "quantity: must be positive")};
  }
  if (limit_priced && !o.price.is_positive()) return Unexpected{error(what, "price: must be positive for a limit order")};
  if (!limit_priced && !o.price.is_zero()) return Unexpected{error(what, "price: must be zero for a market order")};
  if (conditional(o.order_type) && !o.stop_price.is_positive())
    return Unexpected{error(what, "stop_price: must be positive for a conditional order")};
  if (!conditional(o.order_type) && !o.stop_price.is_zero())
    return Unexpected{error(what, "stop_price: only stop / take-profit orders take a stop price")};
  if (!limit_priced && o.tif == TimeInForce::kPostOnly)
    return Unexpected{error(what, "tif: post-only needs a limit price")};
  if (spot && o.reduce_only) return Unexpected{error(what, "reduce_only: spot orders cannot be reduce-only")};
  if (spot && x.position_side) return Unexpected{error(what, "position_side: spot has no positions")};
  if (spot && x.trigger_direction != TriggerDirection::kFromType)
    return Unexpected{error(what, "trigger_direction: a linear conditional order's field")};
  if (x.trigger_direction != TriggerDirection::kFromType && !conditional(o.order_type))
    return Unexpected{error(what, "trigger_direction: only for a conditional order")};
  if (x.take_profit.is_negative() || x.stop_loss.is_negative())
    return Unexpected{error(what, "take_profit / stop_loss: cannot be negative")};
  if (!o.client_order_id.empty() && !detail::valid_link_id(o.client_order_id.view()))
    return Unexpected{error(what, "client_order_id: Bybit takes 1 to 36 of A-Z a-z 0-9 - _")};

  r.add("side", o.side == Side::kBuy ? "Buy" : "Sell");
  r.add("orderType", limit_priced ? "Limit" : "Market");
  if (market_buy_by_quote) {
    r.add("qty", x.quote_quantity);
    // The unit of a market order's qty: quote by default for a buy, base for a sell.
    if (o.side == Side::kSell) r.add("marketUnit", "quoteCoin");
  } else {
    r.add("qty", o.quantity);
    if (spot && !limit_priced && o.side == Side::kBuy) r.add("marketUnit", "baseCoin");
  }
  if (limit_priced) r.add("price", o.price);
  if (o.tif != TimeInForce::kGtc) r.add("timeInForce", tif_text(o.tif));
  if (conditional(o.order_type)) {
    r.add("triggerPrice", o.stop_price);
    if (spot) {
      r.add("orderFilter", "StopOrder");
    } else {
      TriggerDirection d = x.trigger_direction;
      if (d == TriggerDirection::kFromType) {
        // A stop buys when the price rises to it and sells when it falls; a take-profit the
        // reverse.
        const bool rises = (o.side == Side::kBuy) != take_profit(o.order_type);
        d = rises ? TriggerDirection::kRises : TriggerDirection::kFalls;
      }
      r.add_int("triggerDirection", static_cast<std::int64_t>(d));
      if (!x.trigger_by.empty()) r.add("triggerBy", x.trigger_by);
    }
  }
  if (!o.client_order_id.empty()) r.add("orderLinkId", o.client_order_id.view());
  if (x.position_side && *x.position_side != PositionSide::kBoth)
    r.add_int("positionIdx", *x.position_side == PositionSide::kLong ? 1 : 2);
  if (o.reduce_only) r.add_bool("reduceOnly", true);
  if (x.take_profit.is_positive()) r.add("takeProfit", x.take_profit);
  if (x.stop_loss.is_positive()) r.add("stopLoss", x.stop_loss);
  if (!x.smp_type.empty()) r.add("smpType", x.smp_type);
  return Unit{};
}

Result<RestRequest, RequestError> symbol_post(const Instrument& in, std::string_view path,
                                              std::string_view what, std::uint32_t orders = 0) {
  auto c = check_instrument(in, what);
  if (!c) return Unexpected{c.error()};
  RestRequest r = make(HttpMethod::kPost, path, Security::kSigned, orders);
  r.add("category", to_string(*c));
  r.add("symbol", in.venue_symbol);
  return r;
}

// One batch item's JSON object (fields as a POST body renders them).
std::string item_json(const RestRequest& item) { return item.payload(); }

// The batch's single category; an error when items mix categories or exceed the size.
Result<Category, RequestError> batch_category(std::size_t n, const Instrument* const* ins,
                                              BatchKind kind, std::string_view what) {
  if (n == 0) return Unexpected{error(what, "items: at least one order")};
  std::optional<Category> c;
  for (std::size_t i = 0; i < n; ++i) {
    if (ins[i] == nullptr) return Unexpected{error(what, "items[" + std::to_string(i) + "]: instrument missing")};
    auto ci = check_instrument(*ins[i], what);
    if (!ci) return Unexpected{ci.error()};
    if (c && *c != *ci) return Unexpected{error(what, "items: one category per batch")};
    c = *ci;
  }
  if (n > max_batch(*c, kind)) {
    return Unexpected{error(what, "items: at most " + std::to_string(max_batch(*c, kind)) + " orders on " +
                                      std::string(to_string(*c)))};
  }
  return *c;
}

template <class Item>
std::vector<const Instrument*> instruments_of(std::span<const Item> items) {
  std::vector<const Instrument*> v;
  v.reserve(items.size());
  for (const auto& i : items) v.push_back(i.instrument);
  return v;
}

Req amend_item(RestRequest& r, const OrderRef& ref, Decimal quantity, Decimal price,
               std::string_view what) {
  if (quantity.is_negative() || price.is_negative())
    return Unexpected{error(what, "quantity / price: cannot be negative")};
  if (quantity.is_zero() && price.is_zero())
    return Unexpected{error(what, "quantity / price: at least one must change")};
  if (auto a = detail::add_order_ref(r, ref, what); !a) return Unexpected{a.error()};
  // qty is the order's new total quantity, filled part included.
  if (!quantity.is_zero()) r.add("qty", quantity);
  if (!price.is_zero()) r.add("price", price);
  return r;
}

}  // namespace

Req new_order(const Instrument& in, const SubmitOrder& o, const OrderExtras& x) {
  constexpr std::string_view kWhat = "new_order";
  auto r = symbol_post(in, kCreate, kWhat, 1);
  if (!r) return r;
  if (auto f = add_order_fields(*r, *category_of(in.market), o, x, kWhat); !f) return Unexpected{f.error()};
  return r;
}

Req amend_order(const Instrument& in, const OrderRef& ref, Decimal quantity, Decimal price) {
  constexpr std::string_view kWhat = "amend_order";
  auto r = symbol_post(in, "/v5/order/amend", kWhat);
  if (!r) return r;
  return amend_item(*r, ref, quantity, price, kWhat);
}

Req amend_order(const Instrument& in, const AmendOrder& a) {
  return amend_order(in, OrderRef{{}, a.client_order_id.view()}, a.new_quantity, a.new_price);
}

Req cancel_order(const Instrument& in, const OrderRef& ref, OrderFilter filter) {
  constexpr std::string_view kWhat = "cancel_order";
  auto r = symbol_post(in, "/v5/order/cancel", kWhat);
  if (!r) return r;
  if (auto a = detail::add_order_ref(*r, ref, kWhat); !a) return Unexpected{a.error()};
  if (in.market == Market::kSpot) {
    r->add("orderFilter", detail::filter_text(filter == OrderFilter::kDefault ? OrderFilter::kOrder : filter));
  } else if (filter != OrderFilter::kDefault) {
    return Unexpected{error(kWhat, "filter: a spot field (linear orders of every kind share one id space)")};
  }
  return r;
}

Req cancel_order(const Instrument& in, const CancelOrder& c) {
  return cancel_order(in, OrderRef{{}, c.client_order_id.view()});
}

Req cancel_all(const Instrument& in, OrderFilter filter) {
  auto r = symbol_post(in, "/v5/order/cancel-all", "cancel_all");
  if (!r) return r;
  if (filter != OrderFilter::kDefault && filter != OrderFilter::kOrder && filter != OrderFilter::kStop &&
      in.market != Market::kSpot)
    return Unexpected{error("cancel_all", "filter: " + std::string(detail::filter_text(filter)) + " is a spot filter (linear: Order or StopOrder)")};
  if (filter != OrderFilter::kDefault) r->add("orderFilter", detail::filter_text(filter));
  return r;
}

Req batch_create(std::span<const BatchItem> items) {
  constexpr std::string_view kWhat = "batch_create";
  const auto ins = instruments_of(items);
  auto c = batch_category(items.size(), ins.data(), BatchKind::kCreate, kWhat);
  if (!c) return Unexpected{c.error()};
  std::string list = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    RestRequest item = make(HttpMethod::kPost, kCreate, Security::kSigned);
    item.add("symbol", items[i].instrument->venue_symbol);
    const std::string what = std::string(kWhat) + " items[" + std::to_string(i) + "]";
    if (auto f = add_order_fields(item, *c, items[i].order, items[i].extras, what); !f) return Unexpected{f.error()};
    if (i > 0) list.push_back(',');
    list += item_json(item);
  }
  list.push_back(']');
  RestRequest r = make(HttpMethod::kPost, "/v5/order/create-batch", Security::kSigned,
                       static_cast<std::uint32_t>(items.size()));
  r.add("category", to_string(*c));
  r.add_raw("request", std::move(list));
  return r;
}

Req batch_amend(std::span<const AmendItem> items) {
  constexpr std::string_view kWhat = "batch_amend";
  const auto ins = instruments_of(items);
  auto c = batch_category(items.size(), ins.data(), BatchKind::kAmend, kWhat);
  if (!c) return Unexpected{c.error()};
  std::string list = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    RestRequest item = make(HttpMethod::kPost, "/v5/order/amend", Security::kSigned);
    item.add("symbol", items[i].instrument->venue_symbol);
    const std::string what = std::string(kWhat) + " items[" + std::to_string(i) + "]";
    if (auto a = amend_item(item, items[i].ref, items[i].quantity, items[i].price, what); !a) return a;
    if (i > 0) list.push_back(',');
    list += item_json(item);
  }
  list.push_back(']');
  RestRequest r = make(HttpMethod::kPost, "/v5/order/amend-batch", Security::kSigned);
  r.add("category", to_string(*c));
  r.add_raw("request", std::move(list));
  return r;
}

Req batch_cancel(std::span<const CancelItem> items) {
  constexpr std::string_view kWhat = "batch_cancel";
  const auto ins = instruments_of(items);
  auto c = batch_category(items.size(), ins.data(), BatchKind::kCancel, kWhat);
  if (!c) return Unexpected{c.error()};
  std::string list = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    RestRequest item = make(HttpMethod::kPost, "/v5/order/cancel", Security::kSigned);
    item.add("symbol", items[i].instrument->venue_symbol);
    const std::string what = std::string(kWhat) + " items[" + std::to_string(i) + "]";
    if (auto a = detail::add_order_ref(item, items[i].ref, what); !a) return Unexpected{a.error()};
    if (i > 0) list.push_back(',');
    list += item_json(item);
  }
  list.push_back(']');
  RestRequest r = make(HttpMethod::kPost, "/v5/order/cancel-batch", Security::kSigned);
  r.add("category", to_string(*c));
  r.add_raw("request", std::move(list));
  return r;
}

namespace {

// category, then symbol or (linear without one) settleCoin USDT.
Result<RestRequest, RequestError> category_get(Category c, const Instrument* in, std::string_view path,
                                               std::string_view what, bool settle_when_no_symbol) {
  if (in != nullptr) {
    auto ci = check_instrument(*in, what);
    if (!ci) return Unexpected{ci.error()};
    if (*ci != c) return Unexpected{error(what, "instrument " + in->venue_symbol + " is not in category " + std::string(to_string(c)))};
  }
  RestRequest r = make(HttpMethod::kGet, path, Security::kSigned);
  r.add("category", to_string(c));
  if (in != nullptr) r.add("symbol", in->venue_symbol);
  else if (settle_when_no_symbol && c == Category::kLinear) r.add("settleCoin", "USDT");
  return r;
}

}  // namespace

Req open_orders(Category c, const Instrument* in, const OrderRef& ref, OrderFilter filter) {
  constexpr std::string_view kWhat = "open_orders";
  const bool one_order = !ref.order_id.empty() || !ref.order_link_id.empty();
  auto r = category_get(c, in, "/v5/order/realtime", kWhat, !one_order);
  if (!r) return r;
  if (one_order) {
    if (auto a = detail::add_order_ref(*r, ref, kWhat); !a) return Unexpected{a.error()};
  }
  if (filter != OrderFilter::kDefault) r->add("orderFilter", detail::filter_text(filter));
  return r;
}

Req order_history(Category c, const Instrument* in, const HistoryQuery& q) {
  auto r = category_get(c, in, "/v5/order/history", "order_history", false);
  if (!r) return r;
  detail::add_history(*r, q);
  return r;
}

Req executions(Category c, const Instrument* in, const HistoryQuery& q) {
  auto r = category_get(c, in, "/v5/execution/list", "executions", false);
  if (!r) return r;
  detail::add_history(*r, q);
  return r;
}

}  // namespace oms::bybit
