// Requests: new order (validation, filters, balance and margin checks), cancel, cancel all,
// futures modify, spot cancel-replace.
#include <string>

#include "venue_impl.hpp"

namespace oms::sim {
namespace {

// The venue rounds nothing (check_filters): a price off the tick or a quantity off the step is
// the filter's rejection.
std::optional<VenueError> check_filters(const NewOrder& o, const Instrument& ins, const FilterContext& ctx, bool futures) {
  const bool market = o.type == SimOrderType::kMarket || o.type == SimOrderType::kStopLoss ||
                      o.type == SimOrderType::kTakeProfit;
  const char* lot = market ? "Filter failure: MARKET_LOT_SIZE" : "Filter failure: LOT_SIZE";
  if (!o.quote_order_qty.is_zero()) {
    if (!o.quote_order_qty.is_positive()) return error(-1013, "Invalid quoteOrderQty.");
    return std::nullopt;  // the quantity follows from the quote; NOTIONAL checked on fills
  }
  OrderShape shape;
  shape.side = o.side;
  switch (o.type) {
    case SimOrderType::kLimit: case SimOrderType::kLimitMaker: shape.type = OrderType::kLimit; break;
    case SimOrderType::kMarket: shape.type = OrderType::kMarket; break;
    case SimOrderType::kStopLoss: shape.type = OrderType::kStopLoss; break;
    case SimOrderType::kStopLossLimit: shape.type = OrderType::kStopLossLimit; break;
    case SimOrderType::kTakeProfit: shape.type = OrderType::kTakeProfit; break;
    case SimOrderType::kTakeProfitLimit: shape.type = OrderType::kTakeProfitLimit; break;
  }
  shape.price = has_limit(o.type) ? o.price : Decimal();
  shape.stop_price = is_stop(o.type) ? o.stop_price : Decimal();
  shape.quantity = o.quantity;
  auto r = check_filters(shape, ins, ctx);
  if (!r.ok()) {
    switch (r.error().code) {
      case FilterCode::kNotTrading: return error(-1013, "Market is closed.");
      case FilterCode::kNonPositiveQuantity: return error(-1013, "Invalid quantity.");
      case FilterCode::kNonPositivePrice: return error(-1013, "Invalid price.");
      case FilterCode::kMissingPrice: return error(-1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
      case FilterCode::kPriceBelowMin: case FilterCode::kPriceAboveMax: case FilterCode::kPriceOffTick:
        return error(-1013, "Filter failure: PRICE_FILTER");
      case FilterCode::kQuantityBelowMin: case FilterCode::kQuantityAboveMax: case FilterCode::kQuantityOffStep:
        return error(-1013, lot);
      case FilterCode::kNotionalBelowMin: case FilterCode::kNotionalAboveMax:
        return futures ? error(-4164, "Order's notional must be no smaller than " + ins.rules.min_notional.to_string() + " (unless you choose reduce only).")
                       : error(-1013, "Filter failure: NOTIONAL");
      case FilterCode::kPriceAboveBand: case FilterCode::kPriceBelowBand:
        return error(-1013, futures ? "Filter failure: PERCENT_PRICE" : "Filter failure: PERCENT_PRICE_BY_SIDE");
      case FilterCode::kTooManyOrders: return error(-1013, "Filter failure: MAX_NUM_ORDERS");
      case FilterCode::kTooManyAlgoOrders: return error(-1013, "Filter failure: MAX_NUM_ALGO_ORDERS");
      case FilterCode::kArithmetic: return error(-1013, "Filter failure: NOTIONAL");
    }
  }
  return std::nullopt;
}

Venue::Impl::ClientKey client_key(ApiKeyId a, SymbolIndex s, const std::string& cid) {
  return Venue::Impl::ClientKey{(std::uint64_t{a} << 32) | s, cid};
}

}  // namespace

Result<OrderSlot, VenueError> Venue::Impl::find(ApiKeyId a, SymbolIndex s, const OrderRef& ref) const {
  if (s >= symbols.size() || a >= accounts.size()) return Unexpected{error(-1121, "Invalid symbol.")};
  if (ref.order_id != 0) {
    const auto& ids = symbols[s].by_order_id;
    if (ref.order_id < 1 || static_cast<std::uint64_t>(ref.order_id) > ids.size()) {
      return Unexpected{error(-2013, "Order does not exist.")};
    }
    const OrderSlot slot = ids[static_cast<std::size_t>(ref.order_id - 1)];
    if (orders[slot].v.account != a) return Unexpected{error(-2013, "Order does not exist.")};
    return slot;
  }
  auto it = by_client_id.find(client_key(a, s, ref.client_order_id));
  if (ref.client_order_id.empty() || it == by_client_id.end()) return Unexpected{error(-2013, "Order does not exist.")};
  return it->second;
}

Result<OrderView, VenueError> Venue::place(const NewOrder& n, TimeNs now, Outbox& out) {
  Impl& m = *impl_;
  const bool fut = m.futures();
  if (n.symbol >= m.symbols.size()) return Unexpected{error(-1121, "Invalid symbol.")};
  if (n.account >= m.accounts.size()) return Unexpected{error(-2015, "Invalid API-key, IP, or permissions for action.")};
  SymbolBook& b = m.symbols[n.symbol];
  Account& acct = m.accounts[n.account];
  // 1. Parameters the market does not take.
  if (fut && n.type == SimOrderType::kLimitMaker) return Unexpected{error(-1116, "Invalid orderType.")};
  if (!fut && n.reduce_only) return Unexpected{error(-1104, "Not all sent parameters were read; read '1' parameter(s) but was sent '2'.")};
  if (!n.quote_order_qty.is_zero() && (fut || n.type != SimOrderType::kMarket || !n.quantity.is_zero()))
    return Unexpected{error(-1106, "Parameter 'quoteOrderQty' sent when not required.")};
  if (fut) {
    const bool hedge_side = n.position_side != PositionSide::kBoth;
    if (hedge_side != acct.hedge) return Unexpected{error(-4061, "Order's position side does not match user's setting.")};
    if (acct.hedge && n.reduce_only) return Unexpected{error(-1106, "Parameter 'reduceonly' sent when not required.")};
  } else if (n.position_side != PositionSide::kBoth) {
    return Unexpected{error(-1106, "Parameter 'positionSide' sent when not required.")};
  }
  // 2. Exchange filters, in reject mode.
  FilterContext ctx;
  ctx.reference_price = m.mark(n.symbol);
  for (const OrderSlot slot : b.stops) ctx.open_algo_orders += m.orders[slot].v.account == n.account ? 1U : 0U;
  if (auto it = acct.open_orders.find(n.symbol); it != acct.open_orders.end()) ctx.open_orders = it->second;
  if (auto e = check_filters(n, b.ins, ctx, fut)) return Unexpected{*e};
  if (!n.client_order_id.empty()) {
    auto it = m.by_client_id.find(client_key(n.account, n.symbol, n.client_order_id));
    if (it != m.by_client_id.end() && m.orders[it->second].open()) return Unexpected{error(-2010, "Duplicate order sent.")};
  }
  // 3. Stops must not trigger at once.
  if (is_stop(n.type) && b.last) {
    const bool stop_loss = n.type == SimOrderType::kStopLoss || n.type == SimOrderType::kStopLossLimit;
    const bool up = (n.side == Side::kBuy) == stop_loss;
    if (up ? *b.last >= n.stop_price : *b.last <= n.stop_price) {
      return Unexpected{fut ? error(-2021, "Order would immediately trigger.") : error(-2010, "Stop price would trigger immediately.")};
    }
  }
  SimOrder o;
  o.v.account = n.account;
  o.v.symbol = n.symbol;
  o.v.client_order_id = n.client_order_id;
  o.v.side = n.side;
  o.v.type = n.type;
  o.v.tif = has_limit(n.type) ? n.tif : SimTif::kGtc;
  o.v.stp = n.stp;
  o.v.price = has_limit(n.type) ? n.price : Decimal();
  o.v.quantity = n.quantity;
  o.v.stop_price = is_stop(n.type) ? n.stop_price : Decimal();
  o.v.quote_order_qty = n.quote_order_qty;
  o.v.reduce_only = n.reduce_only;
  o.v.position_side = n.position_side;
  o.v.time = now;
  o.v.update_time = now;
  // 4. Post-only (spot LIMIT_MAKER is refused; futures GTX expires after NEW).
  if (n.type == SimOrderType::kLimitMaker && m.crosses(o)) {
    return Unexpected{error(-2010, "Order would immediately match and take.")};
  }
  // 5. Reduce-only: the order must reduce the position it names.
  if (fut && (n.reduce_only || (acct.hedge && ((n.position_side == PositionSide::kLong) != (n.side == Side::kBuy))))) {
    if (m.reduce_cap(o).is_zero()) return Unexpected{error(-2022, "ReduceOnly Order is rejected.")};
  }
  // 6. Balance (spot) or margin (futures).
  Decimal lock;
  if (!fut) {
    const AssetId asset = n.side == Side::kBuy ? b.quote : b.base;
    Decimal need;
    if (has_limit(n.type)) {
      need = n.side == Side::kBuy ? mul(n.price, n.quantity, Rounding::kUp) : n.quantity;
      lock = need;
    } else if (n.type == SimOrderType::kMarket) {
      Decimal fq, fquote;
      m.plan(o, n.quantity.is_zero() ? Decimal::from_raw(INT64_MAX) : n.quantity,
             n.quote_order_qty.is_zero() ? Decimal::from_raw(-1) : n.quote_order_qty, m.steps_scratch, fq, fquote);
      need = n.side == Side::kBuy ? fquote : fq;
    }
    if (need > m.balance(n.account, asset).free)
      return Unexpected{error(-2010, "Account has insufficient balance for requested action.")};
  } else if (!n.reduce_only) {
    Decimal price = n.price;
    if (!has_limit(n.type)) {  // market: what the book would take now, else the stop
      Decimal fq, fquote;
      m.plan(o, n.quantity, Decimal::from_raw(-1), m.steps_scratch, fq, fquote);
      price = fq.is_zero() ? n.stop_price : fquote.div(fq, Rounding::kUp).value();
    }
    const Decimal need = m.order_margin(n.account, n.symbol, n.side, n.position_side, price, n.quantity);
    if (need > m.available(n.account)) return Unexpected{error(-2019, "Margin is insufficient.")};
  }
  // 7. Accepted: id, lock, NEW.
  o.v.order_id = b.next_order_id++;
  if (o.v.client_order_id.empty()) o.v.client_order_id = "sim-" + std::to_string(n.symbol) + "-" + std::to_string(o.v.order_id);
  const auto slot = static_cast<OrderSlot>(m.orders.size());
  m.orders.push_back(std::move(o));
  SimOrder& placed = m.orders.back();
  b.by_order_id.push_back(slot);  // index order_id - 1
  if (!is_stop(n.type)) ++acct.open_orders[n.symbol];
  m.by_client_id[client_key(n.account, n.symbol, placed.v.client_order_id)] = slot;
  if (!fut && !lock.is_zero()) {
    Balance& bal = m.balance(n.account, n.side == Side::kBuy ? b.quote : b.base);
    bal.free = sub(bal.free, lock);
    bal.locked = add(bal.locked, lock);
    placed.locked = lock;
    m.touch(n.account);
  } else if (fut) {
    m.relock(placed);
  }
  out.reports.push_back(m.report(placed, ExecType::kNew, now));
  if (is_stop(n.type)) {
    placed.stop_waiting = true;
    b.stops.push_back(slot);
  } else {
    m.run_taker(slot, now, out);
  }
  m.flush_account_updates(now, out);
  OrderView v = m.orders[slot].v;
  v.working = m.orders[slot].resting;
  return v;
}

Result<OrderView, VenueError> Venue::cancel(ApiKeyId account, SymbolIndex symbol, const OrderRef& ref, TimeNs now,
                                            Outbox& out) {
  Impl& m = *impl_;
  auto slot = m.find(account, symbol, ref);
  if (!slot.ok() || !m.orders[*slot].open()) return Unexpected{error(-2011, "Unknown order sent.")};
  SimOrder& o = m.orders[*slot];
  m.close(o, SimStatus::kCanceled, ExecType::kCanceled, now, out, "");
  out.reports.back().orig_client_order_id = o.v.client_order_id;
  m.flush_account_updates(now, out);
  return o.v;
}

std::vector<OrderView> Venue::cancel_all(ApiKeyId account, SymbolIndex symbol, TimeNs now, Outbox& out) {
  std::vector<OrderView> done;
  for (const OrderView& v : open_orders(account, symbol)) {
    auto r = cancel(account, symbol, OrderRef{v.order_id, {}}, now, out);
    if (r.ok()) done.push_back(r.value());
  }
  return done;
}

// Binance USD-M "Modify Order" (PUT /fapi/v1/order, developers.binance.com, derivatives /
// usds-margined-futures / trade / rest-api / Modify-Order): "currently only LIMIT order
// modification is supported, modified orders will be reordered in the match queue" -- so
// every accepted modification, a quantity decrease included, loses time priority. "When the
// new quantity or price doesn't satisfy PRICE_FILTER / PERCENT_FILTER / LOT_SIZE, amendment
// will be rejected and the order will stay as it is. However the order will be cancelled by
// the amendment ... when the order is in partially filled status and the new quantity <=
// executedQty; when the order is GTX and the new price will cause it to be executed
// immediately."
// Spot (Bybit's /v5/order/amend of a spot limit order; Binance's spot front never calls it):
// the same rules, and the balance the order locks follows its new price and remaining
// quantity (-2010 when the free balance cannot cover the increase; the order stays as it is).
Result<OrderView, VenueError> Venue::modify(ApiKeyId account, SymbolIndex symbol, const OrderRef& ref, Side side,
                                            Decimal quantity, Decimal price, TimeNs now, Outbox& out) {
  Impl& m = *impl_;
  auto found = m.find(account, symbol, ref);
  if (!found.ok() || !m.orders[*found].open()) return Unexpected{error(-2013, "Order does not exist.")};
  const OrderSlot slot = *found;
  {
    const SimOrder& o = m.orders[slot];
    if (o.v.type != SimOrderType::kLimit) return Unexpected{error(-4027, "Invalid order type for modification.")};
    if (o.v.side != side) return Unexpected{error(-4026, "Side does not match.")};
    NewOrder shape;
    shape.side = side;
    shape.price = price;
    shape.quantity = quantity;
    FilterContext ctx;
    ctx.reference_price = m.mark(symbol);
    if (auto e = check_filters(shape, m.symbols[symbol].ins, ctx, m.futures())) return Unexpected{*e};
  }
  SimOrder& o = m.orders[slot];
  if (!o.v.executed_qty.is_zero() && quantity <= o.v.executed_qty) {
    m.close(o, SimStatus::kCanceled, ExecType::kCanceled, now, out, "MODIFY_QTY_LE_EXECUTED");
    m.flush_account_updates(now, out);
    return o.v;
  }
  SimOrder trial = o;
  trial.v.price = price;
  if (o.v.tif == SimTif::kGtx && m.crosses(trial)) {
    m.close(o, SimStatus::kCanceled, ExecType::kCanceled, now, out, "GTX_WOULD_CROSS");
    m.flush_account_updates(now, out);
    return o.v;
  }
  const SymbolBook& b = m.symbols[symbol];
  // Spot: what the order locks after the change (a buy's quote at its new price, a sell's base).
  const Decimal spot_lock = side == Side::kBuy ? mul(price, sub(quantity, o.v.executed_qty), Rounding::kUp)
                                               : sub(quantity, o.v.executed_qty);
  if (!m.futures()) {
    const Balance& bal = m.balance(account, side == Side::kBuy ? b.quote : b.base);
    if (spot_lock > add(bal.free, o.locked))
      return Unexpected{error(-2010, "Account has insufficient balance for requested action.")};
  } else if (!o.v.reduce_only) {
    const Decimal need = m.order_margin(account, symbol, side, o.v.position_side, price,
                                        sub(quantity, o.v.executed_qty));
    if (need > add(m.available(account), o.locked)) return Unexpected{error(-2019, "Margin is insufficient.")};
  }
  if (o.resting) m.unrest(slot);
  o.v.price = price;
  o.v.quantity = quantity;
  o.v.update_time = now;
  if (!m.futures()) {
    Balance& bal = m.balance(account, side == Side::kBuy ? b.quote : b.base);
    bal.free = sub(bal.free, sub(spot_lock, o.locked));
    bal.locked = add(bal.locked, sub(spot_lock, o.locked));
    o.locked = spot_lock;
    m.touch(account);
  } else {
    m.relock(o);
  }
  out.reports.push_back(m.report(o, ExecType::kAmendment, now));
  m.run_taker(slot, now, out);  // rests at the back of its new price's queue, or trades
  m.flush_account_updates(now, out);
  OrderView v = m.orders[slot].v;
  v.working = m.orders[slot].resting;
  return v;
}

Result<Venue::CancelReplaced, VenueError> Venue::cancel_replace(const OrderRef& cancel_ref, const NewOrder& order,
                                                                TimeNs now, Outbox& out) {
  if (impl_->futures()) return Unexpected{error(-1100, "Illegal characters found in parameter 'method'.")};
  auto canceled = cancel(order.account, order.symbol, cancel_ref, now, out);
  if (!canceled.ok()) return Unexpected{error(-2022, "Order cancel-replace failed.")};
  auto placed = place(order, now, out);
  if (!placed.ok()) return Unexpected{error(-2021, "Order cancel-replace partially failed.")};
  return CancelReplaced{canceled.value(), placed.value()};
}

}  // namespace oms::sim
