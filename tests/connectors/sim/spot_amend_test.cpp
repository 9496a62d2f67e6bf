// The venue core's spot amend (Venue::modify on spot: Bybit's /v5/order/amend) and spot
// post-only GTX (Bybit's PostOnly), on the fast and the reference book.
#include <doctest/doctest.h>

#include "books.hpp"
#include "sim_fixture.hpp"

using namespace oms;
using namespace oms::sim;
using namespace oms::sim::testing;

namespace {

struct Spot {
  Venue v;
  SymbolIndex s;
  ApiKeyId a;
  Outbox out;
  explicit Spot(BookFactory f) : v(Market::kSpot, f) {
    s = v.add_instrument(btcusdt(Market::kSpot));
    a = v.add_account({"ka", d("0.0005"), d("0.001")});
    (void)v.deposit(a, "USDT", d("1000"), 0, out);
    (void)v.deposit(a, "BTC", d("2"), 0, out);
    BookSnapshotIn snap;
    snap.bids = {{d("99.50"), d("1")}};
    snap.asks = {{d("100.00"), d("1")}};
    v.on_snapshot(s, snap, 0, out);
    out.clear();
  }
  BalanceView bal(const char* asset) {
    for (const auto& x : v.balances(a)) {
      if (x.asset == asset) return x;
    }
    return {asset, {}, {}};
  }
};

}  // namespace

TEST_CASE_TEMPLATE("spot amend: the lock follows the new price and quantity; an increase beyond free is -2010, the order unchanged", B, SIM_BOOKS) {
  Spot t(B::kMake);
  auto placed = t.v.place(limit(t.a, Side::kBuy, "2", "90"), 1, t.out);
  REQUIRE(placed.ok());
  CHECK(t.bal("USDT").locked == d("180"));
  t.out.clear();
  auto up = t.v.modify(t.a, t.s, OrderRef{placed->order_id, {}}, Side::kBuy, d("3"), d("95"), 2, t.out);
  REQUIRE(up.ok());
  CHECK(up->quantity == d("3"));
  CHECK(up->price == d("95"));
  CHECK(t.bal("USDT").locked == d("285"));
  CHECK(t.bal("USDT").free == d("715"));
  REQUIRE(!t.out.reports.empty());
  CHECK(t.out.reports[0].exec_type == ExecType::kAmendment);
  REQUIRE(t.v.depth(t.s, Side::kBuy, 5).size() == 2);
  CHECK(t.v.depth(t.s, Side::kBuy, 5)[1] == PriceQty{d("95"), d("3")});
  auto down = t.v.modify(t.a, t.s, OrderRef{placed->order_id, {}}, Side::kBuy, d("1"), d("95"), 3, t.out);
  REQUIRE(down.ok());
  CHECK(t.bal("USDT").locked == d("95"));
  CHECK(t.bal("USDT").free == d("905"));
  auto big = t.v.modify(t.a, t.s, OrderRef{placed->order_id, {}}, Side::kBuy, d("20"), d("95"), 4, t.out);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == -2010);
  CHECK(t.bal("USDT").locked == d("95"));
  // A sell locks base; amended to cross, it trades at once (and loses its queue position).
  auto sell = t.v.place(limit(t.a, Side::kSell, "1", "101"), 5, t.out);
  REQUIRE(sell.ok());
  CHECK(t.bal("BTC").locked == d("1"));
  t.out.clear();
  auto cross = t.v.modify(t.a, t.s, OrderRef{sell->order_id, {}}, Side::kSell, d("1.5"), d("99.5"), 6, t.out);
  REQUIRE(cross.ok());
  CHECK(cross->status == SimStatus::kPartiallyFilled);
  CHECK(cross->executed_qty == d("1"));
  CHECK(t.bal("BTC").locked == d("0.5"));
}

TEST_CASE_TEMPLATE("spot post-only (GTX): accepted, then expired GTX_WOULD_CROSS when it would take; rests when it would not", B, SIM_BOOKS) {
  Spot t(B::kMake);
  auto cross = t.v.place(limit(t.a, Side::kBuy, "1", "100", SimTif::kGtx), 1, t.out);
  REQUIRE(cross.ok());
  CHECK(cross->status == SimStatus::kExpired);
  REQUIRE(t.out.reports.size() == 2);
  CHECK(t.out.reports[0].exec_type == ExecType::kNew);
  CHECK(t.out.reports[1].exec_type == ExecType::kExpired);
  CHECK(t.out.reports[1].expiry_reason == "GTX_WOULD_CROSS");
  CHECK(t.bal("USDT").locked == d("0"));
  auto rest = t.v.place(limit(t.a, Side::kBuy, "1", "99.9", SimTif::kGtx), 2, t.out);
  REQUIRE(rest.ok());
  CHECK(rest->status == SimStatus::kNew);
  CHECK(rest->working);
}
