#include <doctest/doctest.h>

#include "oms/messages/instrument.hpp"
#include "testkit/printers.hpp"

using namespace oms;

namespace {
Decimal d(const char* s) { return *Decimal::parse(s); }

// Binance spot BTCUSDT-like rules.
Instrument btcusdt() {
  Instrument i;
  i.venue_symbol = "BTCUSDT";
  i.symbol = *parse_canonical("BTC/USDT");
  auto& r = i.rules;
  r.tick_size = d("0.01"); r.min_price = d("0.01"); r.max_price = d("1000000");
  r.step_size = d("0.00001"); r.min_qty = d("0.00001"); r.max_qty = d("9000");
  r.market_step_size = d("0"); r.market_min_qty = d("0"); r.market_max_qty = d("120");
  r.min_notional = d("5");
  r.bid_band = {d("5"), d("0.2")};
  r.ask_band = {d("5"), d("0.2")};
  r.max_num_orders = 200;
  r.max_num_algo_orders = 5;
  return i;
}

OrderShape limit(Side side, const char* price, const char* qty) {
  OrderShape o;
  o.side = side;
  o.type = OrderType::kLimit;
  o.price = d(price);
  o.quantity = d(qty);
  return o;
}

std::string reason(const OrderShape& o, const FilterContext& ctx = {}) {
  const auto r = apply_filters(o, btcusdt(), ctx);
  REQUIRE_FALSE(r.ok());
  return r.error().describe();
}
}  // namespace

TEST_CASE("a legal order passes unchanged") {
  const auto o = limit(Side::kBuy, "61837.63", "0.5");
  const auto r = apply_filters(o, btcusdt(), {});
  REQUIRE(r.ok());
  CHECK(r->price == o.price);
  CHECK(r->quantity == o.quantity);
}

TEST_CASE("prices round to the tick in the order's favour, quantities down to the step") {
  const auto buy = apply_filters(limit(Side::kBuy, "61837.639", "0.123456"), btcusdt(), {});
  REQUIRE(buy.ok());
  CHECK(buy->price == d("61837.63"));     // never pay more than asked
  CHECK(buy->quantity == d("0.12345"));   // never more than asked
  const auto sell = apply_filters(limit(Side::kSell, "61837.631", "0.123456"), btcusdt(), {});
  REQUIRE(sell.ok());
  CHECK(sell->price == d("61837.64"));    // never sell for less
}

TEST_CASE("each filter rejects with its code, value and limit") {
  // A buy below one tick floors to zero: below minPrice.
  CHECK(reason(limit(Side::kBuy, "0.001", "1")) ==
        "3104 PRICE_FILTER: price below minPrice: 0 < 0.01");
  CHECK(reason(limit(Side::kSell, "2000000", "1")) ==
        "3105 PRICE_FILTER: price above maxPrice: 2000000 > 1000000");
  CHECK(reason(limit(Side::kBuy, "61837.63", "0.000001")) ==
        "3106 LOT_SIZE: quantity below minQty: 0 < 0.00001");
  CHECK(reason(limit(Side::kBuy, "61837.63", "9000.5")) ==
        "3107 LOT_SIZE: quantity above maxQty: 9000.5 > 9000");
  CHECK(reason(limit(Side::kBuy, "100", "0.01")) ==
        "3108 MIN_NOTIONAL: notional below minNotional: 1 < 5");
  CHECK(reason(limit(Side::kBuy, "0", "1")) == "3115 ORDER: price required for this order type, got 0");
  CHECK(reason(limit(Side::kBuy, "-1", "1")) == "3103 ORDER: price must be > 0, got -1");
  CHECK(reason(limit(Side::kBuy, "1", "0")) == "3102 ORDER: quantity must be > 0, got 0");
}

TEST_CASE("the percent price band needs a reference and checks both ends") {
  FilterContext ctx;
  ctx.reference_price = d("60000");
  CHECK(reason(limit(Side::kSell, "300000.01", "1"), ctx) ==
        "3110 PERCENT_PRICE: price above reference * multiplierUp: 300000.01 > 300000");
  CHECK(reason(limit(Side::kBuy, "11999.99", "1"), ctx) ==
        "3111 PERCENT_PRICE: price below reference * multiplierDown: 11999.99 < 12000");
  CHECK(apply_filters(limit(Side::kBuy, "12000", "1"), btcusdt(), ctx).ok());
  // Without a reference the band is not checked (no guessed reference).
  CHECK(apply_filters(limit(Side::kBuy, "11999.99", "1"), btcusdt(), {}).ok());
}

TEST_CASE("band by side: buys use the bid multipliers, sells the ask ones") {
  auto inst = btcusdt();
  inst.rules.bid_band = {d("1.2"), d("0.2")};
  inst.rules.ask_band = {d("5"), d("0.8")};
  FilterContext ctx;
  ctx.reference_price = d("100");
  CHECK(apply_filters(limit(Side::kSell, "400", "1"), inst, ctx).ok());
  CHECK(apply_filters(limit(Side::kBuy, "400", "1"), inst, ctx).error().code == FilterCode::kPriceAboveBand);
  CHECK(apply_filters(limit(Side::kBuy, "30", "1"), inst, ctx).ok());
  CHECK(apply_filters(limit(Side::kSell, "30", "1"), inst, ctx).error().code == FilterCode::kPriceBelowBand);
}

TEST_CASE("market orders use MARKET_LOT_SIZE and the reference for notional") {
  OrderShape m;
  m.side = Side::kBuy;
  m.type = OrderType::kMarket;
  m.quantity = d("121");
  CHECK(reason(m) == "3107 LOT_SIZE: quantity above maxQty: 121 > 120");
  m.quantity = d("0.00001");
  FilterContext ctx;
  ctx.reference_price = d("60000");
  CHECK(reason(m, ctx) == "3108 MIN_NOTIONAL: notional below minNotional: 0.6 < 5");
  m.quantity = d("0.001");
  const auto ok = apply_filters(m, btcusdt(), ctx);
  REQUIRE(ok.ok());
  CHECK(ok->price == Decimal{});
}

TEST_CASE("stop orders round their trigger and count against the algo limit") {
  OrderShape s;
  s.side = Side::kSell;
  s.type = OrderType::kStopLossLimit;
  s.price = d("59000.001");
  s.stop_price = d("59100.009");
  s.quantity = d("0.1");
  const auto r = apply_filters(s, btcusdt(), {});
  REQUIRE(r.ok());
  CHECK(r->price == d("59000.01"));
  CHECK(r->stop_price == d("59100.01"));
  s.stop_price = Decimal{};
  CHECK(reason(s) == "3115 ORDER: price required for this order type, got 0");
  s.stop_price = d("59100");
  FilterContext ctx;
  ctx.open_algo_orders = 5;
  CHECK(reason(s, ctx) == "3113 MAX_NUM_ALGO_ORDERS: open algo orders would exceed 6 > 5");
  ctx.open_algo_orders = 0;
  ctx.open_orders = 200;
  CHECK(reason(s, ctx) == "3112 MAX_NUM_ORDERS: open orders would exceed 201 > 200");
}

TEST_CASE("an instrument that is not trading refuses every order") {
  auto inst = btcusdt();
  inst.trading = false;
  CHECK(apply_filters(limit(Side::kBuy, "1", "1"), inst, {}).error().describe() ==
        "3101 STATUS: instrument is not trading");
}

TEST_CASE("check_filters: the venue's view -- what apply_filters would round is the rejection") {
  const auto inst = btcusdt();
  const auto why = [&](const OrderShape& o) {
    const auto r = check_filters(o, inst, {});
    REQUIRE_FALSE(r.ok());
    return r.error().describe();
  };
  CHECK(check_filters(limit(Side::kBuy, "61837.63", "0.12345"), inst, {}).ok());
  CHECK(why(limit(Side::kBuy, "61837.639", "0.1")) ==
        "3116 PRICE_FILTER: price is not a multiple of tickSize: 61837.639 / 0.01");
  CHECK(why(limit(Side::kSell, "61837.631", "0.1")) ==
        "3116 PRICE_FILTER: price is not a multiple of tickSize: 61837.631 / 0.01");
  CHECK(why(limit(Side::kBuy, "61837.63", "0.123456")) ==
        "3117 LOT_SIZE: quantity is not a multiple of stepSize: 0.123456 / 0.00001");
  // A range check still comes first, and names the filter it breaks.
  CHECK(why(limit(Side::kBuy, "61837.63", "9001")) == "3107 LOT_SIZE: quantity above maxQty: 9001 > 9000");
  // A stop's trigger is a price too.
  OrderShape s;
  s.side = Side::kSell;
  s.type = OrderType::kStopLossLimit;
  s.price = d("59000.01");
  s.stop_price = d("59100.009");
  s.quantity = d("0.1");
  CHECK(why(s) == "3116 PRICE_FILTER: price is not a multiple of tickSize: 59100.009 / 0.01");
  s.stop_price = d("59100.01");
  CHECK(check_filters(s, inst, {}).ok());
  // A market order: no price to check (one sent along is not the venue's business), its step
  // is MARKET_LOT_SIZE's where the venue sets one.
  auto futures = inst;
  futures.rules.market_step_size = d("0.001");
  OrderShape m;
  m.side = Side::kBuy;
  m.type = OrderType::kMarket;
  m.price = d("123.456");
  m.quantity = d("0.0015");
  CHECK(check_filters(m, futures, {}).error().describe() ==
        "3117 LOT_SIZE: quantity is not a multiple of stepSize: 0.0015 / 0.001");
  m.quantity = d("0.002");
  CHECK(check_filters(m, futures, {}).ok());
}
