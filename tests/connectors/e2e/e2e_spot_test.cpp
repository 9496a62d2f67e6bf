// E2E spot: BinanceSpot against venue-sim's matching over loopback TLS.
#include "e2e_fixture.hpp"

namespace oms::e2e {
namespace {

// The simulator's view of alice's order cid (allOrders).
nlohmann::json venue_order(E2e& f, std::string_view c) {
  const auto all = f.truth(binance::spot_all_orders(f.ins()));
  for (const auto& o : all) {
    if (o["clientOrderId"] == c) return o;
  }
  return nlohmann::json();
}

// Bob (another account on the venue) sends a limit order: liquidity that trades with ours.
void bob_limit(E2e& f, Side side, const char* qty, const char* price, const char* c) {
  SubmitOrder o = order(Market::kSpot, side, qty, price, c);
  const auto r = f.truth(binance::spot_new_order(f.ins(), o), kBobKeys);
  REQUIRE(r.contains("orderId"));
}

}  // namespace

TEST_CASE("e2e spot: a limit buy takes 1 of 1.5 from the book, then fills as maker; exact fills") {
  E2e f(Market::kSpot);
  f.ex().place(order(Market::kSpot, Side::kBuy, "1.5", "100.00", "e2e-p1"));
  REQUIRE(f.reports.wait_for_event<OrderPartiallyFilled>("e2e-p1").has_value());
  const auto venue_id = venue_order(f, "e2e-p1")["orderId"].get<std::uint64_t>();
  bob_limit(f, Side::kSell, "0.5", "100.00", "bob-s1");
  REQUIRE(f.reports.wait_for_event<OrderFilled>("e2e-p1").has_value());
  // The taker fill comes from the REST ack and the stream (same report id), the maker fill
  // from the stream only.
  REQUIRE(f.reports.wait([](const auto& all) { return only<FillReceived>(all).size() >= 3; }));

  const auto rep = unique_reports(f.reports.all());
  const auto acc = only<OrderAccepted>(rep, "e2e-p1");
  REQUIRE(acc.size() == 1);
  CHECK(acc[0] == OrderAccepted{kAlice, kSpotBtc, cid("e2e-p1"), vid(venue_id)});
  const auto fills = only<FillReceived>(rep, "e2e-p1");
  REQUIRE(fills.size() == 2);
  const auto trades = f.truth(binance::spot_my_trades(f.ins()));
  REQUIRE(trades.size() == 2);
  CHECK(fills[0].trade_id.view() == std::to_string(trades[0]["id"].get<std::int64_t>()));
  CHECK(fills[1].trade_id.view() == std::to_string(trades[1]["id"].get<std::int64_t>()));
  CHECK(fills[0].trade_id.view() != fills[1].trade_id.view());
  CHECK(fills[0].side == Side::kBuy);
  CHECK(fills[0].price == d("100"));
  CHECK(fills[0].quantity == d("1"));
  CHECK(fills[0].fee == d("0.001"));  // taker 0.1 % of 1 BTC, in the asset received
  CHECK(fills[0].fee_asset.view() == "BTC");
  CHECK(fills[0].liquidity == Liquidity::kTaker);
  CHECK(fills[1].price == d("100"));
  CHECK(fills[1].quantity == d("0.5"));
  CHECK(fills[1].fee == d("0.00025"));  // maker 0.05 % of 0.5 BTC
  CHECK(fills[1].fee_asset.view() == "BTC");
  CHECK(fills[1].liquidity == Liquidity::kMaker);
  CHECK(only<OrderPartiallyFilled>(rep, "e2e-p1") ==
        std::vector<OrderPartiallyFilled>{
            {kAlice, kSpotBtc, cid("e2e-p1"), d("1"), d("0.5"), d("100")}});
  CHECK(only<OrderFilled>(rep, "e2e-p1") ==
        std::vector<OrderFilled>{{kAlice, kSpotBtc, cid("e2e-p1"), d("1.5"), d("100")}});
  CHECK(only<FillReceived>(f.reports.all(), "e2e-p1").size() == 3);
}

TEST_CASE("e2e spot: cancel of a resting order; amend keeps our client id (cancel-replace)") {
  E2e f(Market::kSpot);
  auto& ex = f.ex();
  ex.place(order(Market::kSpot, Side::kBuy, "0.2", "95.00", "e2e-c1"));
  ex.place(order(Market::kSpot, Side::kBuy, "0.3", "96.00", "e2e-a1"));
  REQUIRE(f.reports.wait_for_event<OrderAccepted>("e2e-c1").has_value());
  REQUIRE(f.reports.wait_for_event<OrderAccepted>("e2e-a1").has_value());
  ex.cancel(CancelOrder{kAlice, kSpotBtc, cid("e2e-c1")});
  const auto canceled = f.reports.wait_for_event<OrderCanceled>("e2e-c1");
  REQUIRE(canceled.has_value());
  CHECK(*canceled == OrderCanceled{kAlice, kSpotBtc, cid("e2e-c1"), Decimal{}});
  CHECK(venue_order(f, "e2e-c1")["status"] == "CANCELED");

  ex.amend(AmendOrder{kAlice, kSpotBtc, cid("e2e-a1"), d("97.00"), d("0.4")});
  const auto amended = f.reports.wait_for_event<OrderAmended>("e2e-a1");
  REQUIRE(amended.has_value());
  INFO("amended: account " << amended->account.index() << " instrument "
                           << amended->instrument.index() << " id " << amended->client_order_id.str()
                           << " price " << amended->price.to_string() << " qty "
                           << amended->quantity.to_string());
  CHECK(*amended == OrderAmended{kAlice, kSpotBtc, cid("e2e-a1"), d("97"), d("0.4")});
  // The venue: the replacement is open under our id, at the new price and quantity.
  const auto open = f.truth(binance::spot_open_orders(nullptr));
  REQUIRE(open.size() == 1);
  CHECK(open[0]["clientOrderId"] == "e2e-a1");
  CHECK(open[0]["price"] == "97.00000000");
  CHECK(open[0]["origQty"] == "0.40000000");
  // The cancel leg of the replace is not reported as a cancel of ours.
  REQUIRE(wait_for([&] { return only<OrderAmended>(f.reports.all(), "e2e-a1").size() >= 2; }));
  CHECK(only<OrderCanceled>(f.reports.all(), "e2e-a1").empty());
}

TEST_CASE("e2e spot: query by client id answers the venue's state; an unknown id is kRejected") {
  E2e f(Market::kSpot);
  f.ex().place(order(Market::kSpot, Side::kBuy, "1.2", "100.00", "e2e-q1"));
  REQUIRE(f.reports.wait_for_event<OrderPartiallyFilled>("e2e-q1").has_value());
  f.ex().query(kSpotBtc, cid("e2e-q1"));
  f.ex().query(kSpotBtc, cid("e2e-nope"));
  REQUIRE(f.reports.wait(
      [](const auto& all) { return only<OrderStatusReconciled>(all).size() >= 2; }));
  const auto venue_id = venue_order(f, "e2e-q1")["orderId"].get<std::uint64_t>();
  CHECK(only<OrderStatusReconciled>(f.reports.all(), "e2e-q1") ==
        std::vector<OrderStatusReconciled>{{kAlice, kSpotBtc, cid("e2e-q1"),
                                            vid(venue_id),
                                            OrderStatus::kPartiallyFilled, d("1"), d("100")}});
  CHECK(only<OrderStatusReconciled>(f.reports.all(), "e2e-nope") ==
        std::vector<OrderStatusReconciled>{
            {kAlice, kSpotBtc, cid("e2e-nope"), VenueOrderId{}, OrderStatus::kRejected, Decimal{},
             Decimal{}}});
}

TEST_CASE("e2e spot: open_orders, all_orders, my_trades and balances equal the simulator's") {
  E2e f(Market::kSpot);
  auto& ex = f.ex();
  ex.place(order(Market::kSpot, Side::kSell, "0.5", "99.50", "e2e-h2"));   // fills at 99.50
  ex.place(order(Market::kSpot, Side::kBuy, "1.2", "100.00", "e2e-h1"));   // 1 taken, 0.2 rests
  ex.place(order(Market::kSpot, Side::kSell, "0.1", "120.00", "e2e-h3"));  // rests
  REQUIRE(f.reports.wait_for_event<OrderAccepted>("e2e-h3").has_value());
  REQUIRE(f.reports.wait_for_event<OrderFilled>("e2e-h2").has_value());

  auto open = f.admin([&] { return ex.open_orders(kSpotBtc); });
  REQUIRE(open.ok());
  REQUIRE(open->size() == 2);
  CHECK(open->at(0).client_order_id.view() == "e2e-h1");  // the venue lists by order id
  CHECK(open->at(0).status == OrderStatus::kPartiallyFilled);
  CHECK(open->at(0).cum_qty == d("1"));
  CHECK(open->at(1).client_order_id.view() == "e2e-h3");
  CHECK(open->at(1).status == OrderStatus::kAccepted);

  auto all = f.admin([&] { return ex.all_orders(kSpotBtc, 0); });
  REQUIRE(all.ok());
  const auto venue_all = f.truth(binance::spot_all_orders(f.ins()));
  REQUIRE(all->size() == venue_all.size());
  for (std::size_t i = 0; i < all->size(); ++i) {
    CHECK(all->at(i).client_order_id.view() == venue_all[i]["clientOrderId"].get<std::string>());
    CHECK(all->at(i).venue_order_id.view() ==
          std::to_string(venue_all[i]["orderId"].get<std::uint64_t>()));
    CHECK(all->at(i).cum_qty == d(venue_all[i]["executedQty"].get<std::string>().c_str()));
  }
  CHECK(all->at(0).status == OrderStatus::kFilled);
  CHECK(all->at(0).avg_price == d("99.5"));

  auto trades = f.admin([&] { return ex.my_trades(kSpotBtc, 0); });
  REQUIRE(trades.ok());
  const auto venue_trades = f.truth(binance::spot_my_trades(f.ins()));
  REQUIRE(trades->size() == 2);
  REQUIRE(venue_trades.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(trades->at(i).trade_id.view() ==
          std::to_string(venue_trades[i]["id"].get<std::int64_t>()));
    CHECK(trades->at(i).price == d(venue_trades[i]["price"].get<std::string>().c_str()));
    CHECK(trades->at(i).quantity == d(venue_trades[i]["qty"].get<std::string>().c_str()));
    CHECK(trades->at(i).fee == d(venue_trades[i]["commission"].get<std::string>().c_str()));
  }
  // The stream's fills are the same facts as my_trades.
  const auto stream_fills = only<FillReceived>(unique_reports(f.reports.all()));
  REQUIRE(stream_fills.size() == 2);
  CHECK(stream_fills[0].trade_id == trades->at(0).trade_id);
  CHECK(stream_fills[1].trade_id == trades->at(1).trade_id);

  // Balances: buy 1 @100 (fee 0.001 BTC), sell 0.5 @99.5 (fee 0.04975 USDT), 0.2 @100 and
  // 0.1 BTC locked by the resting orders.
  auto bal = f.admin([&] { return ex.balances(); });
  REQUIRE(bal.ok());
  const auto venue_acct = f.truth(binance::spot_account());
  std::map<std::string, std::pair<Decimal, Decimal>> want, got;
  for (const auto& b : venue_acct["balances"]) {
    want[b["asset"]] = {d(b["free"].get<std::string>().c_str()),
                        d(b["locked"].get<std::string>().c_str())};
  }
  for (const auto& b : *bal) got[std::string(b.asset.view())] = {b.free, b.locked};
  CHECK(got == want);
  REQUIRE(got.count("BTC") == 1);
  CHECK(got["BTC"].first == d("1.399"));   // 1 + 1 - 0.001 - 0.5 - 0.1 locked
  CHECK(got["BTC"].second == d("0.1"));
  CHECK(got["USDT"].first == d("9929.70025"));  // 10000 - 100 + 49.75 - 0.04975 - 20 locked
  CHECK(got["USDT"].second == d("20"));
}

}  // namespace oms::e2e

namespace oms::e2e {
TEST_CASE("e2e spot: self-trade prevention (EXPIRE_MAKER) expires our resting order; reported") {
  E2e f(Market::kSpot);
  f.ex().place(order(Market::kSpot, Side::kBuy, "0.1", "99.70", "e2e-stp1"));
  REQUIRE(f.reports.wait_for_event<OrderAccepted>("e2e-stp1").has_value());
  f.ex().place(order(Market::kSpot, Side::kSell, "0.06", "99.50", "e2e-stp2"));
  const auto expired = f.reports.wait_for_event<OrderExpired>("e2e-stp1", 2s);
  REQUIRE(expired.has_value());
  CHECK(*expired == OrderExpired{kAlice, kSpotBtc, cid("e2e-stp1"), Decimal{}});
  CHECK(venue_order(f, "e2e-stp1")["status"] == "EXPIRED_IN_MATCH");
  REQUIRE(f.reports.wait_for_event<OrderFilled>("e2e-stp2").has_value());  // the bid at 99.50
}
}  // namespace oms::e2e

namespace oms::e2e {
TEST_CASE("e2e spot: the venue expires the listenKey; a new stream, and no fill is lost") {
  E2e f(Market::kSpot, default_front_config(),
        [](binance::BinanceConfig& c) { c.listen_key_keepalive = 50ms; });
  auto& ex = f.ex();
  ex.place(order(Market::kSpot, Side::kBuy, "0.1", "99.80", "e2e-k1"));
  REQUIRE(f.reports.wait_for_event<OrderAccepted>("e2e-k1").has_value());
  REQUIRE(f.front->listen_key_open("alice"));
  f.front->expire_listen_key("alice");
  // The client hears listenKeyExpired on its stream (or -1125 on a keepalive) and creates the
  // key again at once (the venue hands the same stable key back), so "closed" can last only
  // microseconds: what is checked is that it is open again, and below that nothing was lost.
  REQUIRE(wait_for([&] { return f.front->listen_key_open("alice"); }));
  // Filled while our stream is gone (then only the catch-up after the new stream can tell us,
  // as OrderStatusReconciled) or just after it came back (then the stream tells it live): which
  // one depends on how fast the key was made again; either way the fill arrives exactly once.
  bob_limit(f, Side::kSell, "0.1", "99.80", "bob-k1");
  const auto filled_reconciled = [](const auto& all) {
    std::vector<OrderStatusReconciled> out;
    for (const auto& s : only<OrderStatusReconciled>(all, "e2e-k1"))
      if (s.status == OrderStatus::kFilled) out.push_back(s);
    return out;
  };
  REQUIRE(f.reports.wait([&](const auto& all) {
    return !filled_reconciled(all).empty() || !only<OrderFilled>(all, "e2e-k1").empty();
  }));
  const auto venue_id = venue_order(f, "e2e-k1")["orderId"].get<std::uint64_t>();
  const auto rec = filled_reconciled(f.reports.all());
  REQUIRE(rec.size() <= 1);
  if (rec.size() == 1) {
    CHECK(rec[0] == OrderStatusReconciled{kAlice, kSpotBtc, cid("e2e-k1"), vid(venue_id),
                                          OrderStatus::kFilled, d("0.1"), d("99.8")});
  }
  const auto fill = f.reports.wait_for_event<FillReceived>("e2e-k1");
  REQUIRE(fill.has_value());
  const auto trades = f.truth(binance::spot_my_trades(f.ins()));
  REQUIRE(trades.size() == 1);
  CHECK(fill->trade_id.view() == std::to_string(trades[0]["id"].get<std::int64_t>()));
  CHECK(fill->quantity == d("0.1"));
  CHECK(fill->fee == d("0.00005"));  // maker 0.05 %
  CHECK(fill->liquidity == Liquidity::kMaker);

  // The connector created a key again (its keepalive got -1125, or the stream said expired).
  CHECK(wait_for([&] { return f.front->listen_key_open("alice"); }));
  // The new stream carries the next fill.
  ex.place(order(Market::kSpot, Side::kBuy, "0.1", "99.70", "e2e-k2"));
  REQUIRE(f.reports.wait_for_event<OrderAccepted>("e2e-k2").has_value());
  bob_limit(f, Side::kSell, "0.1", "99.70", "bob-k2");
  REQUIRE(f.reports.wait_for_event<FillReceived>("e2e-k2").has_value());
  CHECK(only<FillReceived>(unique_reports(f.reports.all())).size() == 2);
}
TEST_CASE("e2e history: all_orders and my_trades walk 24 h windows from `since` and split a full page's window (page limit 2)") {
  E2e f(Market::kSpot, default_front_config(), [](binance::BinanceConfig& c) { c.history_page_limit = 2; });
  auto& ex = f.ex();
  // Five orders: three rest, two take the asks (fills for alice).
  for (int i = 0; i < 3; ++i) ex.place(order(Market::kSpot, Side::kBuy, "0.1", "90.00", ("e2e-w" + std::to_string(i)).c_str()));
  ex.place(order(Market::kSpot, Side::kBuy, "0.1", "100.50", "e2e-wt1"));
  ex.place(order(Market::kSpot, Side::kBuy, "0.1", "100.50", "e2e-wt2"));
  REQUIRE(f.reports.wait_for_event<OrderFilled>("e2e-wt2").has_value());
  REQUIRE(f.reports.wait_for_event<OrderAccepted>("e2e-w2").has_value());
  // Three days back: three windows of 24 h, the last one's page full and split until each holds
  // what its half has.
  const TimeNs since = (std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count() - 3 * 86'400'000LL) * 1'000'000;
  auto all = f.admin([&] { return ex.all_orders(kSpotBtc, since); });
  REQUIRE_MESSAGE(all.ok(), (all.ok() ? "" : all.error().message));
  const auto venue_all = f.truth(binance::spot_all_orders(f.ins()));
  REQUIRE(venue_all.size() == 5);
  REQUIRE(all->size() == 5);  // a page holds 2: without the splits 2 would come back
  for (std::size_t i = 0; i < all->size(); ++i) {
    CHECK(all->at(i).venue_order_id.view() == std::to_string(venue_all[i]["orderId"].get<std::uint64_t>()));
  }
  auto trades = f.admin([&] { return ex.my_trades(kSpotBtc, since); });
  REQUIRE(trades.ok());
  const auto venue_trades = f.truth(binance::spot_my_trades(f.ins()));
  REQUIRE(venue_trades.size() >= 2);
  REQUIRE(trades->size() == venue_trades.size());
  for (std::size_t i = 0; i < trades->size(); ++i) {
    CHECK(trades->at(i).trade_id.view() == std::to_string(venue_trades[i]["id"].get<std::int64_t>()));
  }
}

}  // namespace oms::e2e
