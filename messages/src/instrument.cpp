#include "oms/messages/instrument.hpp"

namespace oms {
namespace {

using Reject = Unexpected<FilterReject>;

Reject reject(FilterCode c, Decimal value, Decimal limit) { return Reject{{c, value, limit}}; }

const char* filter_text(FilterCode c) {
  switch (c) {
    case FilterCode::kNotTrading: return "STATUS: instrument is not trading";
    case FilterCode::kNonPositiveQuantity: return "ORDER: quantity must be > 0, got";
    case FilterCode::kNonPositivePrice: return "ORDER: price must be > 0, got";
    case FilterCode::kPriceBelowMin: return "PRICE_FILTER: price below minPrice:";
    case FilterCode::kPriceAboveMax: return "PRICE_FILTER: price above maxPrice:";
    case FilterCode::kQuantityBelowMin: return "LOT_SIZE: quantity below minQty:";
    case FilterCode::kQuantityAboveMax: return "LOT_SIZE: quantity above maxQty:";
    case FilterCode::kNotionalBelowMin: return "MIN_NOTIONAL: notional below minNotional:";
    case FilterCode::kNotionalAboveMax: return "NOTIONAL: notional above maxNotional:";
    case FilterCode::kPriceAboveBand: return "PERCENT_PRICE: price above reference * multiplierUp:";
    case FilterCode::kPriceBelowBand: return "PERCENT_PRICE: price below reference * multiplierDown:";
    case FilterCode::kTooManyOrders: return "MAX_NUM_ORDERS: open orders would exceed";
    case FilterCode::kTooManyAlgoOrders: return "MAX_NUM_ALGO_ORDERS: open algo orders would exceed";
    case FilterCode::kArithmetic: return "ARITHMETIC: overflow computing";
    case FilterCode::kMissingPrice: return "ORDER: price required for this order type, got";
    case FilterCode::kPriceOffTick: return "PRICE_FILTER: price is not a multiple of tickSize:";
    case FilterCode::kQuantityOffStep: return "LOT_SIZE: quantity is not a multiple of stepSize:";
  }
  return "?";
}

const char* relation(FilterCode c) {
  switch (c) {
    case FilterCode::kPriceBelowMin:
    case FilterCode::kQuantityBelowMin:
    case FilterCode::kNotionalBelowMin:
    case FilterCode::kPriceBelowBand: return " < ";
    case FilterCode::kPriceAboveMax:
    case FilterCode::kQuantityAboveMax:
    case FilterCode::kNotionalAboveMax:
    case FilterCode::kPriceAboveBand:
    case FilterCode::kTooManyOrders:
    case FilterCode::kTooManyAlgoOrders: return " > ";
    case FilterCode::kPriceOffTick:
    case FilterCode::kQuantityOffStep: return " / ";
    default: return " vs ";
  }
}

// Rounds and range-checks one price (limit or trigger).
Result<Decimal, FilterReject> legal_price(Decimal price, Side side,
                                          const InstrumentRules& r) noexcept {
  if (!price.is_positive()) return reject(FilterCode::kNonPositivePrice, price, Decimal{});
  Decimal p = price;
  if (r.tick_size.is_positive()) {
    const auto rounded =
        price.round_to(r.tick_size, side == Side::kBuy ? Rounding::kFloor : Rounding::kCeiling);
    if (!rounded) return reject(FilterCode::kArithmetic, price, r.tick_size);
    p = *rounded;
  }
  if (r.min_price.is_positive() && p < r.min_price)
    return reject(FilterCode::kPriceBelowMin, p, r.min_price);
  if (r.max_price.is_positive() && p > r.max_price)
    return reject(FilterCode::kPriceAboveMax, p, r.max_price);
  return p;
}

}  // namespace

std::string FilterReject::describe() const {
  std::string out = std::to_string(static_cast<unsigned>(code)) + " " + filter_text(code);
  if (code == FilterCode::kNotTrading) return out;
  out += " ";
  out += value.to_string();
  if (code != FilterCode::kNotTrading && code != FilterCode::kNonPositiveQuantity &&
      code != FilterCode::kNonPositivePrice && code != FilterCode::kMissingPrice) {
    out += relation(code);
    out += limit.to_string();
  }
  return out;
}

Result<OrderShape, FilterReject> apply_filters(const OrderShape& order, const Instrument& inst,
                                               const FilterContext& ctx) noexcept {
  const InstrumentRules& r = inst.rules;
  if (!inst.trading) return reject(FilterCode::kNotTrading, Decimal{}, Decimal{});
  if (!order.quantity.is_positive())
    return reject(FilterCode::kNonPositiveQuantity, order.quantity, Decimal{});

  OrderShape out = order;
  const bool is_market = !has_limit_price(order.type);

  // 1. PRICE_FILTER on the limit price and the trigger price.
  if (has_limit_price(order.type)) {
    if (order.price.is_zero()) return reject(FilterCode::kMissingPrice, order.price, Decimal{});
    auto p = legal_price(order.price, order.side, r);
    if (!p) return Unexpected{p.error()};
    out.price = *p;
  } else {
    out.price = Decimal{};
  }
  if (has_stop_price(order.type)) {
    if (order.stop_price.is_zero())
      return reject(FilterCode::kMissingPrice, order.stop_price, Decimal{});
    auto p = legal_price(order.stop_price, order.side, r);
    if (!p) return Unexpected{p.error()};
    out.stop_price = *p;
  } else {
    out.stop_price = Decimal{};
  }

  // 2. LOT_SIZE (or MARKET_LOT_SIZE for market orders where the venue sets one).
  Decimal step = r.step_size, min_qty = r.min_qty, max_qty = r.max_qty;
  if (is_market) {
    if (r.market_step_size.is_positive()) step = r.market_step_size;
    if (r.market_min_qty.is_positive()) min_qty = r.market_min_qty;
    if (r.market_max_qty.is_positive()) max_qty = r.market_max_qty;
  }
  if (step.is_positive()) {
    const auto q = order.quantity.round_to(step, Rounding::kDown);
    if (!q) return reject(FilterCode::kArithmetic, order.quantity, step);
    out.quantity = *q;
  }
  if (!out.quantity.is_positive()) return reject(FilterCode::kQuantityBelowMin, out.quantity, step);
  if (min_qty.is_positive() && out.quantity < min_qty)
    return reject(FilterCode::kQuantityBelowMin, out.quantity, min_qty);
  if (max_qty.is_positive() && out.quantity > max_qty)
    return reject(FilterCode::kQuantityAboveMax, out.quantity, max_qty);

  // 3. PERCENT_PRICE band around the reference (checked when the caller has one).
  const PriceBand& band = order.side == Side::kBuy ? r.bid_band : r.ask_band;
  if (ctx.reference_price && ctx.reference_price->is_positive() && has_limit_price(order.type)) {
    if (band.up.is_positive()) {
      const auto up = ctx.reference_price->mul(band.up, Rounding::kFloor);
      if (!up) return reject(FilterCode::kArithmetic, *ctx.reference_price, band.up);
      if (out.price > *up) return reject(FilterCode::kPriceAboveBand, out.price, *up);
    }
    if (band.down.is_positive()) {
      const auto down = ctx.reference_price->mul(band.down, Rounding::kCeiling);
      if (!down) return reject(FilterCode::kArithmetic, *ctx.reference_price, band.down);
      if (out.price < *down) return reject(FilterCode::kPriceBelowBand, out.price, *down);
    }
  }

  // 4. MIN_NOTIONAL / NOTIONAL: limit price, or the reference for market orders.
  std::optional<Decimal> notional_price;
  if (!is_market) {
    notional_price = out.price;
  } else if (ctx.reference_price && ctx.reference_price->is_positive()) {
    notional_price = *ctx.reference_price;
  }
  const bool check_min = r.min_notional.is_positive() && (!is_market || r.min_notional_applies_to_market);
  const bool check_max = r.max_notional.is_positive() && (!is_market || r.max_notional_applies_to_market);
  if (notional_price && (check_min || check_max)) {
    const auto notional = notional_price->mul(out.quantity, Rounding::kDown);
    if (!notional) return reject(FilterCode::kArithmetic, *notional_price, out.quantity);
    if (check_min && *notional < r.min_notional)
      return reject(FilterCode::kNotionalBelowMin, *notional, r.min_notional);
    if (check_max && *notional > r.max_notional)
      return reject(FilterCode::kNotionalAboveMax, *notional, r.max_notional);
  }

  // 5. MAX_NUM_ORDERS / MAX_NUM_ALGO_ORDERS (values are counts, carried as whole Decimals).
  if (r.max_num_orders > 0 && ctx.open_orders + 1 > r.max_num_orders)
    return reject(FilterCode::kTooManyOrders,
                  Decimal::from_raw(static_cast<std::int64_t>(ctx.open_orders + 1) * Decimal::kOne),
                  Decimal::from_raw(static_cast<std::int64_t>(r.max_num_orders) * Decimal::kOne));
  if (has_stop_price(order.type) && r.max_num_algo_orders > 0 &&
      ctx.open_algo_orders + 1 > r.max_num_algo_orders)
    return reject(
        FilterCode::kTooManyAlgoOrders,
        Decimal::from_raw(static_cast<std::int64_t>(ctx.open_algo_orders + 1) * Decimal::kOne),
        Decimal::from_raw(static_cast<std::int64_t>(r.max_num_algo_orders) * Decimal::kOne));
  return out;
}

Result<Unit, FilterReject> check_filters(const OrderShape& order, const Instrument& inst,
                                         const FilterContext& ctx) noexcept {
  auto legal = apply_filters(order, inst, ctx);
  if (!legal) return Unexpected{legal.error()};
  const InstrumentRules& r = inst.rules;
  if (legal->price != (has_limit_price(order.type) ? order.price : Decimal{}))
    return reject(FilterCode::kPriceOffTick, order.price, r.tick_size);
  if (legal->stop_price != (has_stop_price(order.type) ? order.stop_price : Decimal{}))
    return reject(FilterCode::kPriceOffTick, order.stop_price, r.tick_size);
  if (legal->quantity != order.quantity) {
    const bool market = !has_limit_price(order.type) && r.market_step_size.is_positive();
    return reject(FilterCode::kQuantityOffStep, order.quantity,
                  market ? r.market_step_size : r.step_size);
  }
  return Unit{};
}

}  // namespace oms
