// Queries, cancel-all, hedge mode, and the venue's decimal product (8 decimals, as the venues).
#include <doctest/doctest.h>

#include "../../../connectors/src/sim/venue_impl.hpp"  // the private mul() it pins
#include "sim_fixture.hpp"

using namespace oms;
using namespace oms::sim;
using namespace oms::sim::testing;

TEST_CASE("venue mul() is the exact product rounded once to 1e-8, half-even or up") {
  std::uint64_t rng = 99;
  for (int k = 0; k < 200'000; ++k) {
    const auto x = static_cast<std::int64_t>(mix(rng) % 100'000'000'000'000ULL);  // up to 100k
    const auto y = static_cast<std::int64_t>(mix(rng) % (k % 2 == 0 ? 1'000'000'000'000ULL : 10'000'000ULL));
    // The product at 1e-18, cut at 1e-8: whole units of 1e-8 and the rest over 1e10.
    const Int128 p = Int128{x} * y;
    const Int128 unit = 10'000'000'000;
    const Int128 q = p / unit, rest = p % unit;
    const Int128 half_even = rest > unit / 2 || (rest == unit / 2 && q % 2 != 0) ? q + 1 : q;
    const Int128 up = rest != 0 ? q + 1 : q;
    REQUIRE(mul(Decimal::from_raw(x), Decimal::from_raw(y), Rounding::kHalfEven) == Decimal::from_raw(half_even * 10));
    REQUIRE(mul(Decimal::from_raw(x), Decimal::from_raw(y), Rounding::kUp) == Decimal::from_raw(up * 10));
  }
  CHECK(mul(d("0.5"), d("0.00000001")) == d("0"));           // 0.5e-8 ties to even 0
  CHECK(mul(d("1.5"), d("0.00000001")) == d("0.00000002"));  // 1.5e-8 ties to even 2e-8
  CHECK(mul(d("0.5"), d("0.00000001"), Rounding::kUp) == d("0.00000001"));
  CHECK(mul(d("0.000000001"), d("1")) == d("0"));            // a 9th decimal: not the venue's
}

TEST_CASE("queries: by orderId and clientOrderId, open orders, all orders, my trades, cancel all") {
  Venue v(Market::kSpot);
  const SymbolIndex s = v.add_instrument(btcusdt(Market::kSpot));
  const ApiKeyId a = v.add_account({"ka", d("0.001"), d("0.001")});
  Outbox out;
  (void)v.deposit(a, "USDT", d("1000"), 0, out);
  v.on_snapshot(s, BookSnapshotIn{{}, {{d("100"), d("1")}}}, 0, out);
  NewOrder o = limit(a, Side::kBuy, "1", "90");
  o.client_order_id = "mine-1";
  auto r1 = v.place(o, 1, out);
  REQUIRE(r1.ok());
  auto dup = v.place(o, 2, out);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error() == VenueError{-2010, "Duplicate order sent."});
  auto r2 = v.place(limit(a, Side::kBuy, "1", "91"), 3, out);
  auto r3 = v.place(market(a, Side::kBuy, "0.5"), 4, out);
  REQUIRE(r2.ok());
  REQUIRE(r3.ok());
  CHECK(r1->order_id == 1);
  CHECK(r2->order_id == 2);
  CHECK(r3->order_id == 3);
  CHECK(r2->client_order_id == "sim-0-2");
  CHECK(v.query(a, s, OrderRef{0, "mine-1"})->order_id == 1);
  CHECK(v.query(a, s, OrderRef{7, {}}).error() == VenueError{-2013, "Order does not exist."});
  CHECK(v.open_orders(a, s).size() == 2);
  CHECK(v.all_orders(a, s).size() == 3);
  const auto trades = v.my_trades(a, s);
  REQUIRE(trades.size() == 1);
  CHECK(trades[0].trade_id == 1);
  CHECK(trades[0].order_id == 3);
  CHECK(trades[0].price == d("100"));
  CHECK(trades[0].qty == d("0.5"));
  CHECK(trades[0].commission == d("0.0005"));
  out.clear();
  const auto canceled = v.cancel_all(a, s, 5, out);
  CHECK(canceled.size() == 2);
  CHECK(v.open_orders(a, s).empty());
  CHECK(out.reports.size() == 2);
  CHECK(v.balances(a) == std::vector<BalanceView>{{"BTC", d("0.4995"), d("0")}, {"USDT", d("950"), d("0")}});
  // The client id is free again once its order is closed.
  CHECK(v.place(o, 6, out).ok());
}

TEST_CASE("hedge mode: LONG and SHORT positions side by side; closing more than held is -2022") {
  Venue v(Market::kUsdm);
  const SymbolIndex s = v.add_instrument(btcusdt(Market::kUsdm));
  const ApiKeyId a = v.add_account({"ka", d("0"), d("0")});
  Outbox out;
  (void)v.deposit(a, "USDT", d("10000"), 0, out);
  v.on_snapshot(s, BookSnapshotIn{{{d("99"), d("10")}}, {{d("100"), d("10")}}}, 0, out);
  REQUIRE(v.set_hedge_mode(a, true).ok());
  CHECK(v.place(market(a, Side::kBuy, "1"), 1, out).error().code == -4061);
  NewOrder buy_long = market(a, Side::kBuy, "2");
  buy_long.position_side = PositionSide::kLong;
  NewOrder sell_short = market(a, Side::kSell, "1");
  sell_short.position_side = PositionSide::kShort;
  REQUIRE(v.place(buy_long, 2, out).ok());
  REQUIRE(v.place(sell_short, 3, out).ok());
  CHECK(v.position(a, s, PositionSide::kLong).amount == d("2"));
  CHECK(v.position(a, s, PositionSide::kShort).amount == d("-1"));
  NewOrder close_short = market(a, Side::kBuy, "1");
  close_short.position_side = PositionSide::kShort;
  out.clear();
  REQUIRE(v.place(close_short, 4, out).ok());
  CHECK(out.reports[1].realized_profit == d("-1"));  // sold at 99, bought back at 100
  CHECK(v.position(a, s, PositionSide::kShort).amount == d("0"));
  CHECK(v.place(close_short, 5, out).error().code == -2022);
  CHECK(v.positions(a).size() == 1);
  CHECK(v.wallet_balance(a) == d("9999"));
  CHECK(v.set_hedge_mode(a, false).error().code == -4068);
}

TEST_CASE("MAX_NUM_ORDERS counts the account's open orders on the symbol; fills and cancels free a slot") {
  Venue v(Market::kSpot);
  Instrument ins = btcusdt(Market::kSpot);
  ins.rules.max_num_orders = 2;
  const SymbolIndex s = v.add_instrument(ins);
  const ApiKeyId a = v.add_account({"ka", d("0"), d("0")});
  const ApiKeyId b = v.add_account({"kb", d("0"), d("0")});
  Outbox out;
  (void)v.deposit(a, "USDT", d("1000"), 0, out);
  (void)v.deposit(b, "BTC", d("10"), 0, out);
  auto o1 = v.place(limit(a, Side::kBuy, "1", "90"), 1, out);
  auto o2 = v.place(limit(a, Side::kBuy, "1", "91"), 2, out);
  REQUIRE(o1.ok());
  REQUIRE(o2.ok());
  CHECK(v.place(limit(a, Side::kBuy, "1", "92"), 3, out).error() == VenueError{-1013, "Filter failure: MAX_NUM_ORDERS"});
  CHECK(v.place(limit(b, Side::kSell, "1", "95"), 4, out).ok());  // another account's count
  REQUIRE(v.cancel(a, s, OrderRef{o1->order_id, {}}, 5, out).ok());
  CHECK(v.place(limit(a, Side::kBuy, "1", "92"), 6, out).ok());
  REQUIRE(v.place(market(b, Side::kSell, "1"), 7, out).ok());  // fills a's 92 bid
  CHECK(v.place(limit(a, Side::kBuy, "1", "89"), 8, out).ok());
}
