// E2E USD-M: BinanceUsdm against venue-sim's futures matching over loopback TLS.
#include "e2e_fixture.hpp"

#include <algorithm>

namespace oms::e2e {
namespace {

nlohmann::json venue_order(E2e& f, std::string_view c) {
  for (const auto& o : f.truth(binance::usdm_all_orders(f.ins()))) {
    if (o["clientOrderId"] == c) return o;
  }
  return nlohmann::json();
}

SubmitOrder fut(Side side, const char* qty, const char* price, std::string_view c) {
  return order(Market::kUsdm, side, qty, price, c);
}

}  // namespace

TEST_CASE("e2e usdm: leverage, isolated margin, a fill opens a position equal to the venue's") {
  E2e f(Market::kUsdm);
  auto& ex = f.ex();
  auto lev = f.admin([&] { return ex.set_leverage(kUsdmBtc, 20); });
  REQUIRE(lev.ok());
  CHECK(*lev == LeverageChanged{kFut, kUsdmBtc, 20});
  auto mt = f.admin([&] { return ex.set_margin_type(kUsdmBtc, MarginType::kIsolated); });
  REQUIRE(mt.ok());
  CHECK(*mt == MarginTypeChanged{kFut, kUsdmBtc, MarginType::kIsolated});

  ex.place(fut(Side::kBuy, "1.5", "60000.1", "e2e-f1"));  // 1 @60000.0 + 0.5 @60000.1
  REQUIRE(f.reports.wait_for_event<OrderFilled>("e2e-f1").has_value());
  // ORDER_TRADE_UPDATE: the fills (the REST ack has none); ACCOUNT_UPDATE: position + wallet.
  // (The start catch-up's figures, the flat position among them, may come first.)
  REQUIRE(f.reports.wait([](const auto& all) {
    const auto positions = only<PositionUpdated>(all);
    return only<FillReceived>(unique_reports(all)).size() >= 2 &&
           std::any_of(positions.begin(), positions.end(),
                       [](const PositionUpdated& p) { return p.size == d("1.5"); }) &&
           !only<BalanceUpdated>(all).empty();
  }));
  const auto rep = unique_reports(f.reports.all());
  const auto fills = only<FillReceived>(rep, "e2e-f1");
  REQUIRE(fills.size() == 2);
  const auto trades = f.truth(binance::usdm_user_trades(f.ins()));
  REQUIRE(trades.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(fills[i].trade_id.view() == std::to_string(trades[i]["id"].get<std::int64_t>()));
    CHECK(fills[i].liquidity == Liquidity::kTaker);
    CHECK(fills[i].fee_asset.view() == "USDT");
  }
  CHECK(fills[0].price == d("60000"));
  CHECK(fills[0].quantity == d("1"));
  CHECK(fills[0].fee == d("24"));  // 0.04 % of 60000
  CHECK(fills[1].price == d("60000.1"));
  CHECK(fills[1].quantity == d("0.5"));
  CHECK(fills[1].fee == d("12.00002"));
  CHECK(only<OrderFilled>(rep, "e2e-f1") ==
        std::vector<OrderFilled>{{kFut, kUsdmBtc, cid("e2e-f1"), d("1.5"), d("60000.033333333")}});

  auto pos = f.admin([&] { return ex.positions(); });
  REQUIRE(pos.ok());
  REQUIRE(pos->size() == 1);
  const Instrument in = f.ins();
  const auto venue_pos = f.truth(binance::usdm_position_risk(&in));
  REQUIRE(venue_pos.size() == 1);
  const PositionUpdated& p = pos->at(0);
  CHECK(p.account == kFut);
  CHECK(p.instrument == kUsdmBtc);
  CHECK(p.position_side == PositionSide::kBoth);
  CHECK(p.size == d(venue_pos[0]["positionAmt"].get<std::string>().c_str()));
  CHECK(p.size == d("1.5"));
  CHECK(p.entry_price == d(venue_pos[0]["entryPrice"].get<std::string>().c_str()));
  CHECK(p.margin_type == MarginType::kIsolated);
  CHECK(p.isolated_margin == d(venue_pos[0]["isolatedMargin"].get<std::string>().c_str()));
  CHECK(p.unrealized_pnl == d(venue_pos[0]["unRealizedProfit"].get<std::string>().c_str()));
  // The stream's last position is the same size.
  const auto streamed = only<PositionUpdated>(rep);
  CHECK(streamed.back().size == d("1.5"));
  CHECK(streamed.back().entry_price == p.entry_price);
}

TEST_CASE("e2e usdm: amend (modify) moves a resting order; the venue shows the new price") {
  E2e f(Market::kUsdm);
  auto& ex = f.ex();
  ex.place(fut(Side::kBuy, "0.01", "59000.0", "e2e-m1"));
  REQUIRE(f.reports.wait_for_event<OrderAccepted>("e2e-m1").has_value());
  ex.amend(AmendOrder{kFut, kUsdmBtc, cid("e2e-m1"), d("59500.0"), d("0.02")});
  const auto amended = f.reports.wait_for_event<OrderAmended>("e2e-m1");
  REQUIRE(amended.has_value());
  CHECK(*amended == OrderAmended{kFut, kUsdmBtc, cid("e2e-m1"), d("59500"), d("0.02")});
  const auto o = venue_order(f, "e2e-m1");
  CHECK(o["price"] == "59500");
  CHECK(o["origQty"] == "0.02");
  CHECK(o["status"] == "NEW");
}

TEST_CASE("e2e usdm: a batch of three with one refused by the venue; cancel_batch the other two") {
  E2e f(Market::kUsdm);
  auto& ex = f.ex();
  SubmitBatch b;
  b.account = kFut;
  REQUIRE(b.orders.push_back(fut(Side::kBuy, "0.01", "59000.0", "e2e-b1")));
  REQUIRE(b.orders.push_back(fut(Side::kBuy, "0.001", "59000.0", "e2e-b2")));  // notional 59 < 100
  REQUIRE(b.orders.push_back(fut(Side::kSell, "0.01", "61000.0", "e2e-b3")));
  ex.place_batch(b);
  REQUIRE(f.reports.wait_for_event<OrderRejected>("e2e-b2").has_value());
  REQUIRE(f.reports.wait_for_event<OrderAccepted>("e2e-b1").has_value());
  REQUIRE(f.reports.wait_for_event<OrderAccepted>("e2e-b3").has_value());
  const auto rej = only<OrderRejected>(f.reports.all(), "e2e-b2");
  REQUIRE(rej.size() == 1);
  CHECK(rej[0].code == 4403);
  CHECK(rej[0].venue_code == -4164);
  CHECK(f.truth(binance::usdm_open_orders(nullptr)).size() == 2);
  CHECK(venue_order(f, "e2e-b2").is_null());  // never an order at the venue

  const std::vector<CancelOrder> cancels{{kFut, kUsdmBtc, cid("e2e-b1")},
                                         {kFut, kUsdmBtc, cid("e2e-b3")}};
  ex.cancel_batch(cancels);
  REQUIRE(f.reports.wait_for_event<OrderCanceled>("e2e-b1").has_value());
  REQUIRE(f.reports.wait_for_event<OrderCanceled>("e2e-b3").has_value());
  CHECK(f.truth(binance::usdm_open_orders(nullptr)).empty());
  CHECK(venue_order(f, "e2e-b1")["status"] == "CANCELED");
  CHECK(venue_order(f, "e2e-b3")["status"] == "CANCELED");
}

}  // namespace oms::e2e

namespace oms::e2e {

TEST_CASE("e2e usdm: with no user-data stream, a status query of a filled order reports its fills with the venue's trade ids") {
  // A restarted daemon asks about an order that filled while it was down: the fills went out on
  // a stream nobody listened to; the query must bring them (the status alone says filled, cum
  // 0.5, and the position would stay short of it).
  E2e f(Market::kUsdm, default_front_config(),
        [](binance::BinanceConfig& c) { c.user_data_stream = false; });
  auto& ex = f.ex();
  ex.place(fut(Side::kBuy, "0.5", "60000.0", "e2e-q1"));
  REQUIRE(f.reports.wait_for_event<OrderAccepted>("e2e-q1").has_value());
  ex.query(kUsdmBtc, cid("e2e-q1"));
  REQUIRE(f.reports.wait([](const auto& all) {
    for (const auto& s : only<OrderStatusReconciled>(all, "e2e-q1")) {
      if (s.status == OrderStatus::kFilled) return true;
    }
    return false;
  }));
  const auto rep = unique_reports(f.reports.all());
  const auto fills = only<FillReceived>(rep, "e2e-q1");
  const auto trades = f.truth(binance::usdm_user_trades(f.ins()));
  REQUIRE(trades.size() == 1);
  INFO("trades " << trades.dump() << " order " << venue_order(f, "e2e-q1").dump());
  REQUIRE(fills.size() == 1);
  CHECK(fills[0].trade_id.view() == std::to_string(trades[0]["id"].get<std::int64_t>()));
  CHECK(fills[0].quantity == d("0.5"));
  CHECK(fills[0].side == Side::kBuy);
}

TEST_CASE("e2e fee rates: the account's commission as the venue states it (spot account/commission, USD-M commissionRate)") {
  {
    E2e f(Market::kSpot);
    const auto r = f.admin([&] { return f.ex().fee_rates(kSpotBtc); });
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    CHECK(r->maker == d("0.0005"));  // alice's, as venue-sim's configuration gives them
    CHECK(r->taker == d("0.001"));
    const auto unknown = f.ex().fee_rates(InstrumentId(999));
    REQUIRE_FALSE(unknown.ok());
  }
  E2e f(Market::kUsdm);
  const auto r = f.admin([&] { return f.ex().fee_rates(kUsdmBtc); });
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->maker == d("0.0002"));
  CHECK(r->taker == d("0.0004"));
}

}  // namespace oms::e2e
