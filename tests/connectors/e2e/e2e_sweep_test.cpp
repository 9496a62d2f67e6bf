// E2E cancel_all ("sweep"): Exchange::cancel_all against venue-sim's Binance fronts over loopback
// TLS. Two orders of ours rest, one placed at the venue behind the connector's back (a signed
// request straight into the front with the same key) and a conditional order: after the sweep
// the venue's own open-orders answers are empty, ours are reported canceled through the stream,
// the count is the venue's, and a second sweep with nothing open is 0, not an error.
#include "e2e_fixture.hpp"

namespace oms::e2e {
namespace {

SubmitOrder stop_order(Market m, Side side, const char* qty, const char* price, const char* stop,
                       std::string_view c) {
  SubmitOrder o = order(m, side, qty, price, c, OrderType::kStopLossLimit);
  o.stop_price = d(stop);
  return o;
}

}  // namespace

TEST_CASE("e2e sweep spot: cancel_all cancels ours, a stop-loss-limit and one placed behind our back") {
  E2e f(Market::kSpot);
  auto& ex = f.ex();
  ex.place(order(Market::kSpot, Side::kBuy, "0.2", "95.00", "e2e-sw1"));
  ex.place(order(Market::kSpot, Side::kSell, "0.1", "105.00", "e2e-sw2"));
  ex.place(stop_order(Market::kSpot, Side::kSell, "0.1", "90.00", "91.00", "e2e-sw3"));
  for (const char* c : {"e2e-sw1", "e2e-sw2", "e2e-sw3"})
    REQUIRE(f.reports.wait_for_event<OrderAccepted>(c).has_value());
  // Placed by another session with the same key: the connector never heard of it.
  const auto other = f.truth(
      binance::spot_new_order(f.ins(), order(Market::kSpot, Side::kBuy, "0.1", "94.00", "other-session-1")));
  CHECK(other["status"] == "NEW");
  REQUIRE(f.truth(binance::spot_open_orders(nullptr)).size() == 4);

  auto n = f.admin([&] { return ex.cancel_all(kSpotBtc); });
  REQUIRE(n.ok());
  CHECK(*n == 4);
  CHECK(f.truth(binance::spot_open_orders(nullptr)).empty());
  for (const char* c : {"e2e-sw1", "e2e-sw2", "e2e-sw3"}) {
    const auto canceled = f.reports.wait_for_event<OrderCanceled>(c);
    REQUIRE(canceled.has_value());
    CHECK(*canceled == OrderCanceled{kAlice, kSpotBtc, cid(c), Decimal{}});
  }
  // Nothing open: the venue's -2011 is no error.
  auto again = f.admin([&] { return ex.cancel_all(kSpotBtc); });
  REQUIRE(again.ok());
  CHECK(*again == 0);
  // An instrument the connector does not know: refused by name.
  auto unknown = ex.cancel_all(InstrumentId{77});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ExchangeErrorCode::kUnknownInstrument);
}

TEST_CASE("e2e sweep usdm: cancel_all cancels the matching engine's orders and the algo orders") {
  E2e f(Market::kUsdm);
  auto& ex = f.ex();
  ex.place(order(Market::kUsdm, Side::kBuy, "0.01", "59000", "e2e-sw1"));
  ex.place(order(Market::kUsdm, Side::kSell, "0.01", "61000", "e2e-sw2"));
  SubmitOrder sl = stop_order(Market::kUsdm, Side::kSell, "0.01", "58000", "58100", "e2e-sw3");
  ex.place(sl);
  for (const char* c : {"e2e-sw1", "e2e-sw2", "e2e-sw3"})
    REQUIRE(f.reports.wait_for_event<OrderAccepted>(c).has_value());
  const auto other = f.truth(
      binance::usdm_new_order(f.ins(), order(Market::kUsdm, Side::kBuy, "0.01", "58500", "other-session-1")));
  CHECK(other["status"] == "NEW");
  REQUIRE(f.truth(binance::usdm_open_orders(nullptr)).size() == 3);
  REQUIRE(f.truth(binance::usdm_open_algo_orders(nullptr)).size() == 1);

  auto n = f.admin([&] { return ex.cancel_all(kUsdmBtc); });
  REQUIRE(n.ok());
  CHECK(*n == 4);
  CHECK(f.truth(binance::usdm_open_orders(nullptr)).empty());
  CHECK(f.truth(binance::usdm_open_algo_orders(nullptr)).empty());
  for (const char* c : {"e2e-sw1", "e2e-sw2", "e2e-sw3"}) {
    const auto canceled = f.reports.wait_for_event<OrderCanceled>(c);
    REQUIRE(canceled.has_value());
    CHECK(*canceled == OrderCanceled{kFut, kUsdmBtc, cid(c), Decimal{}});
  }
  auto again = f.admin([&] { return ex.cancel_all(kUsdmBtc); });
  REQUIRE(again.ok());
  CHECK(*again == 0);
}

}  // namespace oms::e2e
