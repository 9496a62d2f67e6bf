// venue-sim's Bybit front: /v5/order/create, amend, cancel, cancel-all and the three batch
// endpoints, with v5 semantics on the venue core: marketUnit (a spot market buy's qty is quote
// by default), orderLinkId unique among open orders, GTC / IOC / FOK / PostOnly (a PostOnly
// order that would take is accepted, then Cancelled with EC_PostOnlyWillTakeLiquidity),
// reduceOnly and positionIdx (hedge mode), conditional orders (triggerPrice + triggerDirection on
// linear, orderFilter StopOrder on spot; Untriggered until the last price crosses), amend qty =
// the new total quantity.
//
// The venue core answers Binance's codes (sim::VenueError); this table is how venue-sim words
// them for Bybit (linear | spot):
//   -2010 insufficient balance ............... (n/a)   | 170131 Balance insufficient
//   -2019 margin is insufficient ............. 110007 ab not enough for new order | (n/a)
//   -2010 duplicate order (client id) ........ 110072 OrderLinkedID is duplicate | 170141 Duplicate clientOrderId
//   -2021 / -2010 stop would trigger at once . 110092 expect Rising / 110093 expect Falling | 10001 (triggerPrice)
//   -2022 reduce-only rejected ............... 110017 Reduce-only rule not satisfied | (n/a: no spot reduceOnly)
//   -4061 position side vs mode .............. 10001 position idx not match position mode
//   -1013 MAX_NUM_ORDERS ..................... 110020 | 170810
//   -1013 MAX_NUM_ALGO_ORDERS ................ 110009 | 170810
//   -1013 Market is closed ................... 110066 Trading is currently not allowed | 110066
//   -1013 PRICE_FILTER / LOT_SIZE ............ 10001 naming price / qty | 170134, 170133, 170132 / 170137, 170136, 170135
//   -1013 / -4164 NOTIONAL ................... 110094 Order notional value below the lower limit | 170140, 170124
//   -2011 / -2013 unknown order .............. 110001 order not exists or too late to cancel|replace | 170213 Order does not exist.
//   -4027 not a LIMIT order (amend) .......... 10001 (names it) | 170312 The current order does not support modification
//   anything else ............................ 10001 quoting the venue's code and message (never silent)
// The filter codes are checked here first, with Bybit's words and the figures; the core's own
// check then passes. Amending qty to the filled quantity or below is refused (110064 | 170313)
// before the core (which would cancel it, as Binance does).
#include <algorithm>

#include "bybit_front_impl.hpp"

namespace oms::venue_sim {

using namespace bysim;

namespace {

std::int64_t ms(TimeNs t) { return t / 1'000'000; }

bool valid_link_id(std::string_view id) {
  constexpr std::size_t kMaxLinkId = 36;  // "A max of 36 characters"
  if (id.empty() || id.size() > kMaxLinkId) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
  });
}

[[noreturn]] void not_exists(const Category& c, bool amend) {
  if (c.spot()) refuse(kSpotOrderNotExists, "Order does not exist.");
  refuse(kOrderNotExists, amend ? "order not exists or too late to replace" : "order not exists or too late to cancel");
}

[[noreturn]] void unsupported(std::string_view field, std::string_view what) {
  params_error(std::string(field) + ": " + std::string(what) + " is not supported by venue-sim");
}

// The Bybit-worded filter checks (the figures in parentheses are venue-sim's addition).
void check_price(const Category& c, const Instrument& ins, Decimal price, std::string_view field) {
  const auto& r = ins.rules;
  const std::string at = " (" + std::string(field) + " " + text(price) + ")";
  if (!price.is_positive()) params_error(std::string(field) + ": must be positive");
  if (!price.is_multiple_of(r.tick_size)) {
    if (c.spot()) refuse(kSpotPriceDecimals, "Order price decimal too long." + at + ", tickSize " + text(r.tick_size));
    params_error(std::string(field) + ": " + text(price) + " is not a multiple of tickSize " + text(r.tick_size));
  }
  if (price < r.min_price) {
    if (c.spot()) refuse(kSpotPriceTooLow, "Order price lower than the minimum." + at);
    params_error(std::string(field) + ": " + text(price) + " is below minPrice " + text(r.min_price));
  }
  if (price > r.max_price) {
    if (c.spot()) refuse(kSpotPriceTooHigh, "Order price too high." + at);
    params_error(std::string(field) + ": " + text(price) + " is above maxPrice " + text(r.max_price));
  }
}

void check_qty(const Category& c, const Instrument& ins, Decimal qty, bool market) {
  const auto& r = ins.rules;
  const Decimal max = market && !r.market_max_qty.is_zero() ? r.market_max_qty : r.max_qty;
  const std::string at = " (qty " + text(qty) + ")";
  if (!qty.is_multiple_of(r.step_size)) {
    if (c.spot()) refuse(kSpotQtyDecimals, "Order volume decimal too long" + at + ", basePrecision " + text(r.step_size));
    params_error("qty: " + text(qty) + " is not a multiple of qtyStep " + text(r.step_size));
  }
  if (qty < r.min_qty) {
    if (c.spot()) refuse(kSpotQtyTooSmall, "Order quantity lower than the minimum." + at + ", minOrderQty " + text(r.min_qty));
    params_error("qty: " + text(qty) + " is below minOrderQty " + text(r.min_qty));
  }
  if (qty > max) {
    if (c.spot()) refuse(kSpotQtyTooLarge, "Order quantity too large." + at + ", max " + text(max));
    params_error("qty: " + text(qty) + " is above " + (market ? "maxMktOrderQty " : "maxOrderQty ") + text(max));
  }
}

void check_notional(const Category& c, const Instrument& ins, Decimal notional) {
  const auto& r = ins.rules;
  const std::string at = " (order value " + text(notional) + ", minimum " + text(r.min_notional) + ")";
  if (notional < r.min_notional) {
    if (c.spot()) refuse(kSpotAmountTooSmall, "Transaction amount lower than the minimum." + at);
    refuse(kNotionalTooLow, "Order notional value below the lower limit" + at);
  }
  constexpr int kSpotAmountTooLarge = 170124;
  if (c.spot() && !r.max_notional.is_zero() && notional > r.max_notional)
    refuse(kSpotAmountTooLarge, "Order amount too large. (order value " + text(notional) + ", maxOrderAmt " + text(r.max_notional) + ")");
}

// Order kinds a spot orderFilter names: plain (and triggered) orders, conditional ones.
bool filter_matches(std::string_view filter, bool waiting_conditional) {
  if (filter == "Order") return !waiting_conditional;
  if (filter == "StopOrder") return waiting_conditional;
  return false;  // tpslOrder, OcoOrder, BidirectionalTpslOrder: venue-sim has none
}

void check_spot_filter(std::string_view f) {
  if (f != "Order" && f != "StopOrder" && f != "tpslOrder" && f != "OcoOrder" && f != "BidirectionalTpslOrder")
    refuse(kSpotInvalidOrderFilter, "Invalid orderFilter parameter ('" + std::string(f) + "')");
}

// Fields of TP/SL, trailing, margin and option orders: refused by name unless neutral.
void refuse_unsupported(const Args& p) {
  for (const char* f : {"takeProfit", "stopLoss"}) {
    if (const auto v = p.decimal(f); v && !v->is_zero()) unsupported(f, "TP/SL attached to an order");
  }
  for (const char* f : {"tpTriggerBy", "slTriggerBy", "tpslMode", "tpLimitPrice", "slLimitPrice", "tpOrderType",
                        "slOrderType"}) {
    if (p.has(f)) unsupported(f, "TP/SL attached to an order");
  }
  if (p.boolean("closeOnTrigger").value_or(false)) unsupported("closeOnTrigger", "close-on-trigger (use reduceOnly)");
  if (const auto l = p.integer("isLeverage"); l && *l != 0) unsupported("isLeverage", "spot margin trading");
  for (const char* f : {"slippageToleranceType", "slippageTolerance"}) {
    if (p.has(f)) unsupported(f, "slippage tolerance");
  }
  for (const char* f : {"orderIv", "mmp"}) {
    if (p.has(f)) unsupported(f, "an option order");
  }
  for (const char* f : {"bboSideType", "bboLevel"}) {
    if (p.has(f)) unsupported(f, "a BBO order");
  }
}

}  // namespace

void BybitFront::Impl::venue_refusal(const Category& c, const sim::VenueError& e, const sim::NewOrder* o) {
  const bool spot_c = c.spot();
  const std::string& m = e.msg;
  const auto has = [&](std::string_view s) { return m.find(s) != std::string::npos; };
  switch (e.code) {
    case -2010:
      if (has("insufficient balance")) refuse(spot_c ? kSpotBalance : kInsufficientAvailable, spot_c ? "Balance insufficient" : "ab not enough for new order");
      if (has("Duplicate")) refuse(spot_c ? kSpotLinkIdDuplicate : kLinkIdDuplicate, spot_c ? "Duplicate clientOrderId" : "OrderLinkedID is duplicate");
      if (has("trigger")) params_error("triggerPrice: the order would trigger at once");
      break;
    case -2019: refuse(kInsufficientAvailable, "ab not enough for new order");
    case -2021:
      if (o != nullptr) {
        const bool stop = o->type == sim::SimOrderType::kStopLoss || o->type == sim::SimOrderType::kStopLossLimit;
        const bool rising = stop == (o->side == Side::kBuy);
        refuse(rising ? kExpectRising : kExpectFalling, rising ? "expect Rising, but trigger_price <= current" : "expect Falling, but trigger_price >= current");
      }
      break;
    case -2022: refuse(kReduceOnly, "Reduce-only rule not satisfied");
    case -4061: refuse(kParamsError, "position idx not match position mode");
    case -2011:
    case -2013: not_exists(c, false);
    case -4027:
      if (spot_c) refuse(kSpotNotModifiable, "The current order does not support modification");
      params_error("venue-sim amends Limit orders only (a triggered conditional order cannot be amended)");
    case -4164: refuse(kNotionalTooLow, "Order notional value below the lower limit (" + m + ")");
    case -1013:
      if (has("MAX_NUM_ORDERS")) refuse(spot_c ? kSpotTooManyOrders : kActiveOrdersLimit, spot_c ? "Cannot exceed maximum of 500 conditional, TP/SL and active orders." : "Not allowed to have more than 500 active orders.");
      if (has("MAX_NUM_ALGO_ORDERS")) refuse(spot_c ? kSpotTooManyOrders : kStopOrdersLimit, spot_c ? "Cannot exceed maximum of 500 conditional, TP/SL and active orders." : "The number of stop orders exceeds the maximum allowable limit.");
      if (has("Market is closed")) refuse(kTradingNotAllowed, "Trading is currently not allowed.");
      if (has("NOTIONAL")) refuse(spot_c ? kSpotAmountTooSmall : kNotionalTooLow, spot_c ? "Transaction amount lower than the minimum." : "Order notional value below the lower limit");
      break;
    default: break;
  }
  params_error("venue-sim refused the order: " + std::to_string(e.code) + " " + m);
}

sim::OrderView BybitFront::Impl::find_order(const UtaAccount& a, const Category& c, sim::SymbolIndex s, const Args& p) {
  const sim::ApiKeyId id = venue_id(a, c);
  if (const auto oid = p.text("orderId")) {
    const auto parsed = parse_order_id(c, salt, *oid);
    if (!parsed || parsed->first != s) not_exists(c, false);
    auto r = c.venue->query(id, s, sim::OrderRef{parsed->second, {}});
    if (!r.ok()) not_exists(c, false);
    return *r;
  }
  if (const auto link = p.text("orderLinkId")) {
    auto r = c.venue->query(id, s, sim::OrderRef{0, *link});
    // The venue names orders without an orderLinkId itself; those are not addressable by one.
    if (!r.ok() || !meta(c, s, r->order_id).link_given) not_exists(c, false);
    return *r;
  }
  params_error("orderId or orderLinkId: one of them is required");
}

BybitFront::Impl::Done BybitFront::Impl::place_one(UtaAccount& a, Category& c, const Args& p) {
  p.only({"category", "symbol", "side", "orderType", "qty", "marketUnit", "price", "triggerDirection", "orderFilter",
          "triggerPrice", "triggerBy", "timeInForce", "positionIdx", "orderLinkId", "takeProfit", "stopLoss",
          "tpTriggerBy", "slTriggerBy", "reduceOnly", "closeOnTrigger", "smpType", "isLeverage", "tpslMode",
          "tpLimitPrice", "slLimitPrice", "tpOrderType", "slOrderType", "slippageToleranceType",
          "slippageTolerance", "orderIv", "mmp", "bboSideType", "bboLevel"});
  refuse_unsupported(p);
  const bool spot_c = c.spot();
  const sim::SymbolIndex s = symbol_of(c, p);
  const Instrument& ins = c.venue->instrument(s);
  sim::NewOrder o;
  o.account = venue_id(a, c);
  o.symbol = s;
  const std::string side = p.required_text("side");
  if (side == "Buy") o.side = Side::kBuy;
  else if (side == "Sell") o.side = Side::kSell;
  else if (spot_c) refuse(kSpotInvalidSide, "Invalid side. ('" + side + "')");
  else params_error("side: '" + side + "' is not Buy or Sell");
  const std::string type = p.required_text("orderType");
  if (type != "Limit" && type != "Market") {
    if (spot_c) refuse(kSpotInvalidOrderType, "Invalid orderType. ('" + type + "')");
    params_error("orderType: '" + type + "' is not Limit or Market");
  }
  const bool limit = type == "Limit";
  const auto qty = p.decimal("qty");
  if (!qty) params_error("qty: required");
  if (!qty->is_positive()) params_error("qty: must be positive, got " + text(*qty));
  // Market orders ignore price ("Market order will ignore this field").
  const Decimal price = limit ? p.decimal("price").value_or(Decimal{}) : Decimal{};
  if (limit && !p.has("price")) params_error("price: required for a Limit order");
  const std::string tif = p.text("timeInForce").value_or("GTC");
  if (tif == "RPI") unsupported("timeInForce", "RPI");
  if (tif != "GTC" && tif != "IOC" && tif != "FOK" && tif != "PostOnly") {
    if (spot_c) refuse(kSpotInvalidTif, "Invalid timeInForce. ('" + tif + "')");
    params_error("timeInForce: '" + tif + "' is not GTC, IOC, FOK or PostOnly");
  }
  if (!limit && tif == "PostOnly") params_error("timeInForce: PostOnly needs a Limit order (EC_MarketOrderCannotBePostOnly)");

  // Conditional orders.
  std::string filter = "Order";
  if (const auto f = p.text("orderFilter")) {
    if (!spot_c) params_error("orderFilter: valid for spot only");
    check_spot_filter(*f);
    if (*f != "Order" && *f != "StopOrder") unsupported("orderFilter", *f);
    filter = *f;
  }
  const auto trigger = p.decimal("triggerPrice");
  const bool conditional = spot_c ? filter == "StopOrder" : trigger.has_value();
  if (spot_c && filter == "StopOrder" && !trigger) params_error("triggerPrice: required with orderFilter StopOrder");
  if (spot_c && filter != "StopOrder" && trigger) params_error("triggerPrice: a spot conditional order says orderFilter StopOrder");
  int direction = 0;
  if (const auto d = p.integer("triggerDirection")) {
    if (spot_c) params_error("triggerDirection: valid for linear only (spot tells it from the last price)");
    if (!conditional) params_error("triggerDirection: only with triggerPrice");
    if (*d != 1 && *d != 2) params_error("triggerDirection: " + std::to_string(*d) + " is not 1 (rise) or 2 (fall)");
    direction = static_cast<int>(*d);
  }
  if (const auto tb = p.text("triggerBy")) {
    if (!conditional) params_error("triggerBy: only with triggerPrice");
    if (*tb == "MarkPrice" || *tb == "IndexPrice") unsupported("triggerBy", *tb + " triggers (venue-sim triggers on LastPrice)");
    if (*tb != "LastPrice") params_error("triggerBy: '" + *tb + "' is not LastPrice, MarkPrice or IndexPrice");
  }
  if (conditional) {
    check_price(c, ins, *trigger, "triggerPrice");
    const auto last = c.venue->last_price(s);
    if (spot_c) {
      const auto ref = last ? last : c.venue->mark_price(s);
      if (!ref) params_error("triggerPrice: no market price yet to tell which way it triggers");
      if (*trigger == *ref) params_error("triggerPrice: equals the market price " + text(*ref) + " (it would trigger at once)");
      direction = *trigger > *ref ? 1 : 2;
    } else {
      if (direction == 0) params_error("triggerDirection: required with triggerPrice (1 rise, 2 fall)");
      if (last && direction == 1 && *trigger <= *last)
        refuse(kExpectRising, "expect Rising, but trigger_price[" + text(*trigger) + "] <= current[" + text(*last) + "]");
      if (last && direction == 2 && *trigger >= *last)
        refuse(kExpectFalling, "expect Falling, but trigger_price[" + text(*trigger) + "] >= current[" + text(*last) + "]");
    }
    // The core's stops trigger as Binance's: stop-loss buys rising / sells falling, take-profit
    // the other way; a Bybit direction picks the kind.
    const bool rises = direction == 1;
    const bool stop_kind = rises == (o.side == Side::kBuy);
    o.type = stop_kind ? (limit ? sim::SimOrderType::kStopLossLimit : sim::SimOrderType::kStopLoss)
                       : (limit ? sim::SimOrderType::kTakeProfitLimit : sim::SimOrderType::kTakeProfit);
    o.stop_price = *trigger;
  } else {
    o.type = limit ? sim::SimOrderType::kLimit : sim::SimOrderType::kMarket;
  }
  if (limit) {
    if (tif == "IOC") o.tif = sim::SimTif::kIoc;
    else if (tif == "FOK") o.tif = sim::SimTif::kFok;
    else if (tif == "PostOnly") o.tif = sim::SimTif::kGtx;
  }

  // Quantity unit: a spot market order's qty is quote for a buy, base for a sell by default.
  bool quote_unit = false;
  if (const auto u = p.text("marketUnit")) {
    if (!spot_c || limit) params_error("marketUnit: only for a spot Market order");
    if (*u != "baseCoin" && *u != "quoteCoin") params_error("marketUnit: '" + *u + "' is not baseCoin or quoteCoin");
    quote_unit = *u == "quoteCoin";
  } else {
    quote_unit = spot_c && !limit && o.side == Side::kBuy;
  }
  if (quote_unit && conditional)
    unsupported("marketUnit", "a spot conditional market order by quote amount (send marketUnit baseCoin)");
  if (limit) check_price(c, ins, price, "price");
  if (quote_unit) {
    o.quote_order_qty = *qty;
    check_notional(c, ins, *qty);
  } else {
    o.quantity = *qty;
    check_qty(c, ins, *qty, !limit);
    if (limit) check_notional(c, ins, dmul(price, *qty));
  }
  o.price = price;

  // Link id, positions, self-trade prevention.
  const auto link = p.text("orderLinkId");
  if (link) {
    if (!valid_link_id(*link)) params_error("orderLinkId: '" + *link + "' is not 1 to 36 of A-Z a-z 0-9 - _");
    for (sim::SymbolIndex k = 0; k < c.symbols.size(); ++k) {
      const auto r = c.venue->query(o.account, k, sim::OrderRef{0, *link});
      if (r.ok() && (r->status == sim::SimStatus::kNew || r->status == sim::SimStatus::kPartiallyFilled) &&
          meta(c, k, r->order_id).link_given) {
        refuse(spot_c ? kSpotLinkIdDuplicate : kLinkIdDuplicate, spot_c ? "Duplicate clientOrderId" : "OrderLinkedID is duplicate");
      }
    }
    o.client_order_id = *link;
  }
  const bool reduce = p.boolean("reduceOnly").value_or(false);
  if (reduce && spot_c) params_error("reduceOnly: not valid for spot");
  const std::int64_t idx = p.integer("positionIdx").value_or(0);
  if (spot_c && idx != 0) params_error("positionIdx: not valid for spot");
  if (idx < 0 || idx > 2) params_error("positionIdx: " + std::to_string(idx) + " is not 0, 1 or 2");
  if (!spot_c) {
    if ((idx != 0) != a.hedge) refuse(kParamsError, "position idx not match position mode");
    if (a.hedge) {
      o.position_side = idx == 1 ? PositionSide::kLong : PositionSide::kShort;
      // Hedge mode: the core caps an order that closes its side; reduceOnly on an opening
      // order is Bybit's 110017.
      const bool closes = (idx == 1) == (o.side == Side::kSell);
      if (reduce && !closes) refuse(kReduceOnly, "Reduce-only rule not satisfied");
    } else {
      o.reduce_only = reduce;
    }
  }
  const std::string smp = p.text("smpType").value_or("None");
  if (smp == "None") o.stp = sim::SimStp::kNone;
  else if (smp == "CancelMaker") o.stp = sim::SimStp::kExpireMaker;
  else if (smp == "CancelTaker") o.stp = sim::SimStp::kExpireTaker;
  else if (smp == "CancelBoth") o.stp = sim::SimStp::kExpireBoth;
  else params_error("smpType: '" + smp + "' is not None, CancelMaker, CancelTaker or CancelBoth");

  const auto last = c.venue->last_price(s);
  sim::Outbox out;
  auto r = c.venue->place(o, now_ns(), out);
  if (!r.ok()) {
    flush(c, out);
    venue_refusal(c, r.error(), &o);
  }
  OrderMeta& m = meta(c, s, r->order_id);
  m.account = static_cast<std::size_t>(&a - accounts.data());
  m.link_given = link.has_value();
  m.conditional = conditional;
  m.trigger_direction = conditional ? direction : 0;
  m.quote_unit = quote_unit;
  m.reduce_only = reduce;
  m.smp_type = smp;
  m.last_price_on_created = last.value_or(Decimal{});
  if (conditional) untriggered.insert(OrderKey{c.market, s, r->order_id});
  flush(c, out);
  return Done{order_id(c, s, r->order_id), link.value_or(std::string()), ms(r->time)};
}

BybitFront::Impl::Done BybitFront::Impl::amend_one(UtaAccount& a, Category& c, const Args& p) {
  p.only({"category", "symbol", "orderId", "orderLinkId", "qty", "price", "triggerPrice", "triggerBy", "takeProfit",
          "stopLoss", "tpTriggerBy", "slTriggerBy", "tpslMode", "tpLimitPrice", "slLimitPrice", "orderIv"});
  refuse_unsupported(p);
  const sim::SymbolIndex s = symbol_of(c, p);
  const Instrument& ins = c.venue->instrument(s);
  const sim::OrderView v = find_order(a, c, s, p);
  if (v.status != sim::SimStatus::kNew && v.status != sim::SimStatus::kPartiallyFilled) not_exists(c, true);
  const OrderMeta& m = meta(c, s, v.order_id);
  if (p.has("triggerPrice") || p.has("triggerBy")) {
    if (!m.conditional) params_error("triggerPrice: the order is not a conditional order");
    unsupported("triggerPrice", "amending a conditional order's trigger");
  }
  if (m.conditional && !m.triggered)
    unsupported("qty / price", "amending an untriggered conditional order (cancel it and place a new one)");
  const auto qty = p.decimal("qty");
  const auto price = p.decimal("price");
  if (!qty && !price) params_error("qty, price: send at least one to amend");
  const Decimal new_qty = qty.value_or(v.quantity);
  const Decimal new_price = price.value_or(v.price);
  if (new_qty <= v.executed_qty) {
    if (c.spot()) refuse(kSpotAmendQtyLeFilled, "The modified contract quantity cannot be less than to the filled quantity (qty " + text(new_qty) + ", filled " + text(v.executed_qty) + ")");
    refuse(kAmendQtyLeFilled, "The modified contract quantity cannot be less than or equal to the filled quantity. (qty " + text(new_qty) + ", filled " + text(v.executed_qty) + ")");
  }
  if (price) check_price(c, ins, new_price, "price");
  if (qty) check_qty(c, ins, new_qty, false);
  check_notional(c, ins, dmul(new_price, new_qty));
  sim::Outbox out;
  auto r = c.venue->modify(venue_id(a, c), s, sim::OrderRef{v.order_id, {}}, v.side, new_qty, new_price, now_ns(), out);
  if (!r.ok()) {
    flush(c, out);
    if (r.error().code == -2013) not_exists(c, true);
    venue_refusal(c, r.error(), nullptr);
  }
  flush(c, out);
  return Done{order_id(c, s, v.order_id), m.link_given ? v.client_order_id : std::string(), ms(v.time)};
}

BybitFront::Impl::Done BybitFront::Impl::cancel_one(UtaAccount& a, Category& c, const Args& p, std::string_view batch_filter) {
  p.only({"category", "symbol", "orderId", "orderLinkId", "orderFilter"});
  std::string filter(batch_filter);
  if (const auto f = p.text("orderFilter")) {
    if (!c.spot()) params_error("orderFilter: valid for spot only");
    check_spot_filter(*f);
    filter = *f;
  }
  const sim::SymbolIndex s = symbol_of(c, p);
  const sim::OrderView v = find_order(a, c, s, p);
  if (v.status != sim::SimStatus::kNew && v.status != sim::SimStatus::kPartiallyFilled) not_exists(c, false);
  const OrderMeta& m = meta(c, s, v.order_id);
  // Spot: "Order" (the default) names plain orders, "StopOrder" conditional ones.
  if (c.spot() && !filter_matches(filter.empty() ? "Order" : filter, m.conditional && !m.triggered)) not_exists(c, false);
  sim::Outbox out;
  auto r = c.venue->cancel(venue_id(a, c), s, sim::OrderRef{v.order_id, {}}, now_ns(), out);
  flush(c, out);
  if (!r.ok()) not_exists(c, false);
  return Done{order_id(c, s, v.order_id), m.link_given ? v.client_order_id : std::string(), ms(v.time)};
}

BybitFront::Impl::Answer BybitFront::Impl::create(UtaAccount& a, const Args& p) {
  Category& c = category_of(p);
  const Done d = place_one(a, c, p);
  JsonOut j;
  j.obj().kv("orderId", d.order_id).kv("orderLinkId", d.link_id).end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::amend(UtaAccount& a, const Args& p) {
  Category& c = category_of(p);
  const Done d = amend_one(a, c, p);
  JsonOut j;
  j.obj().kv("orderId", d.order_id).kv("orderLinkId", d.link_id).end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::cancel(UtaAccount& a, const Args& p) {
  Category& c = category_of(p);
  const Done d = cancel_one(a, c, p, {});
  JsonOut j;
  j.obj().kv("orderId", d.order_id).kv("orderLinkId", d.link_id).end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::cancel_all(UtaAccount& a, const Args& p) {
  p.only({"category", "symbol", "baseCoin", "settleCoin", "orderFilter", "stopOrderType"});
  Category& c = category_of(p);
  std::vector<sim::SymbolIndex> symbols;
  const auto base = p.text("baseCoin");
  const auto settle = p.text("settleCoin");
  if (p.has("symbol")) {
    symbols.push_back(symbol_of(c, p));
  } else if (base || settle) {
    if (settle && c.spot()) params_error("settleCoin: not supported on spot");
    for (sim::SymbolIndex s = 0; s < c.symbols.size(); ++s) {
      const auto& sym = c.venue->instrument(s).symbol;
      if (base ? sym.base == *base : sym.settle == *settle) symbols.push_back(s);
    }
  } else if (!c.spot()) {
    params_error("symbol, baseCoin or settleCoin: one of them is required on linear");
  } else {
    for (sim::SymbolIndex s = 0; s < c.symbols.size(); ++s) symbols.push_back(s);
  }
  // Spot: "Order" by default; linear: every kind unless Order / StopOrder is named.
  std::string filter = c.spot() ? "Order" : "";
  if (const auto f = p.text("orderFilter")) {
    if (c.spot()) check_spot_filter(*f);
    else if (*f != "Order" && *f != "StopOrder") params_error("orderFilter: '" + *f + "' is not Order or StopOrder");
    filter = *f;
  }
  if (const auto t = p.text("stopOrderType")) {
    if (c.spot() || filter != "StopOrder") params_error("stopOrderType: only on linear with orderFilter StopOrder");
    if (*t != "Stop") params_error("stopOrderType: '" + *t + "' is not Stop (venue-sim has no TP/SL or trailing orders)");
  }
  const sim::ApiKeyId id = venue_id(a, c);
  sim::Outbox out;
  JsonOut list;
  list.arr();
  for (const auto s : symbols) {
    for (const auto& v : c.venue->open_orders(id, s)) {
      const OrderMeta& m = meta(c, s, v.order_id);
      if (!filter.empty() && !filter_matches(filter, m.conditional && !m.triggered)) continue;
      if (!c.venue->cancel(id, s, sim::OrderRef{v.order_id, {}}, now_ns(), out).ok()) continue;
      list.obj().kv("orderId", order_id(c, s, v.order_id)).kv("orderLinkId", m.link_given ? v.client_order_id : std::string());
      list.end_obj();
    }
  }
  list.end_arr();
  flush(c, out);
  JsonOut j;
  j.obj().key("list").raw(list.text()).kv("success", "1").end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::batch(UtaAccount& a, const Args& p, std::string_view path,
                                                 std::vector<net::Header>& headers) {
  p.only({"category", "request"});
  Category& c = category_of(p);
  const bool create_batch = path == "/v5/order/create-batch";
  const bool amend_batch = path == "/v5/order/amend-batch";
  // Bybit: create-batch 20 linear / 10 spot; amend-batch and cancel-batch 10 on both.
  const std::size_t max = create_batch && !c.spot() ? 20 : 10;
  const auto* req = p.raw("request");
  if (req == nullptr || !req->is_array() || req->empty() || req->size() > max)
    params_error("request: an array of 1 to " + std::to_string(max) + " orders on " + std::string(c.name()));
  for (std::size_t i = 0; i < req->size(); ++i) {
    if (!(*req)[i].is_object()) params_error("request[" + std::to_string(i) + "]: expected an object");
  }
  // A batch consumes one unit a order; the orders beyond the units left fail with 10006, the
  // others go on ("the part that exceeds the limit will fail").
  const std::uint32_t taken = take_rate(a, path, &c, static_cast<std::uint32_t>(req->size()), headers);
  if (taken == 0) refuse(kTooManyVisits, "Too many visits. Exceeded the API Rate Limit.");
  JsonOut list, ext;
  list.arr();
  ext.arr();
  for (std::size_t i = 0; i < req->size(); ++i) {
    const nlohmann::json& item = (*req)[i];
    const std::string symbol = item.contains("symbol") && item["symbol"].is_string() ? item["symbol"].get<std::string>() : "";
    const std::string link = item.contains("orderLinkId") && item["orderLinkId"].is_string() ? item["orderLinkId"].get<std::string>() : "";
    int code = kOk;
    std::string msg = "OK";
    Done d;
    if (i >= taken) {
      code = kTooManyVisits;
      msg = "Too many visits. Exceeded the API Rate Limit.";
    } else {
      try {
        const Args args(item);
        if (const auto ic = args.text("category"); ic && *ic != c.name())
          params_error("request[" + std::to_string(i) + "].category: '" + *ic + "' differs from the batch's " + std::string(c.name()));
        d = create_batch ? place_one(a, c, args) : amend_batch ? amend_one(a, c, args) : cancel_one(a, c, args, {});
      } catch (const Refusal& r) {
        code = r.code;
        msg = r.msg;
      }
    }
    list.obj().kv("category", c.name()).kv("symbol", symbol).kv("orderId", d.order_id);
    list.kv("orderLinkId", code == kOk ? d.link_id : link);
    if (create_batch) list.kv("createAt", code == kOk ? ms_text(d.created_ms) : std::string());
    list.end_obj();
    ext.obj().kn("code", code).kv("msg", msg).end_obj();
  }
  list.end_arr();
  ext.end_arr();
  JsonOut result, info;
  result.obj().key("list").raw(list.text()).end_obj();
  info.obj().key("list").raw(ext.text()).end_obj();
  return {result.take(), info.take()};
}

}  // namespace oms::venue_sim
