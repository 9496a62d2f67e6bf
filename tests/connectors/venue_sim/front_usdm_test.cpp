// venue-sim front, USD-M: leverage, a market order opening a position, positionRisk, balance,
// ORDER_TRADE_UPDATE / TRADE_LITE / ACCOUNT_UPDATE on the user-data stream, modify and cancel.
#include <doctest/doctest.h>

#include "front_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::test;

TEST_CASE("usdm: leverage, a market buy opens a long, positionRisk and balance show it, events arrive") {
  FrontFixture f;
  const auto& ins = f.ins(Market::kUsdm);
  auto lk = f.send(binance::usdm_listen_key(binance::HttpMethod::kPost), f.fut);
  REQUIRE(lk.status == 200);
  const std::string key = body(lk)["listenKey"];
  auto& inbox = f.open_ws("/ws/" + key, std::make_shared<Inbox>());

  auto lev = f.send(binance::usdm_set_leverage(ins, 10), f.fut);
  REQUIRE(lev.status == 200);
  CHECK(body(lev)["leverage"] == 10);
  CHECK(body(lev)["symbol"] == "BTCUSDT");

  auto r = f.send(binance::usdm_new_order(ins, order(Side::kBuy, "0.010", nullptr, "m1", OrderType::kMarket)), f.fut);
  REQUIRE(r.status == 200);
  auto j = body(r);
  CHECK(j["status"] == "FILLED");
  CHECK(j["executedQty"] == "0.01");
  CHECK(j["avgPrice"] == "60000");
  CHECK(j["cumQuote"] == "600");
  CHECK(j["positionSide"] == "BOTH");
  CHECK(j["clientOrderId"] == "m1");

  auto risk = body(f.send(binance::usdm_position_risk(&ins), f.fut));
  REQUIRE(risk.size() == 1);
  CHECK(risk[0]["symbol"] == "BTCUSDT");
  CHECK(risk[0]["positionAmt"] == "0.01");
  CHECK(risk[0]["entryPrice"] == "60000");

  auto bal = body(f.send(binance::usdm_balance(), f.fut));
  REQUIRE(bal.size() == 1);
  CHECK(bal[0]["asset"] == "USDT");
  CHECK(bal[0]["balance"] == "9999.76");  // 10000 - 0.04 % taker on 600

  REQUIRE(wait_for([&] { return inbox.events("ORDER_TRADE_UPDATE").size() >= 2; }));
  REQUIRE(wait_for([&] { return !inbox.events("ACCOUNT_UPDATE").empty(); }));
  const auto ou = inbox.events("ORDER_TRADE_UPDATE");
  CHECK(ou[0]["o"]["x"] == "NEW");
  CHECK(ou[0]["o"]["c"] == "m1");
  CHECK(ou[1]["o"]["x"] == "TRADE");
  CHECK(ou[1]["o"]["X"] == "FILLED");
  CHECK(ou[1]["o"]["l"] == "0.01");
  CHECK(ou[1]["o"]["L"] == "60000");
  CHECK(ou[1]["o"]["N"] == "USDT");
  CHECK(ou[1]["o"]["n"] == "0.24");
  CHECK(ou[1]["o"]["ps"] == "BOTH");
  const auto lite = inbox.events("TRADE_LITE");
  REQUIRE(lite.size() == 1);
  CHECK(lite[0]["l"] == "0.01");
  CHECK(lite[0]["c"] == "m1");
  const auto au = inbox.events("ACCOUNT_UPDATE").back();
  CHECK(au["a"]["m"] == "ORDER");
  CHECK(au["a"]["B"][0]["a"] == "USDT");
  CHECK(au["a"]["B"][0]["wb"] == "9999.76");
  REQUIRE(au["a"]["P"].size() == 1);
  CHECK(au["a"]["P"][0]["pa"] == "0.01");
  CHECK(au["a"]["P"][0]["ps"] == "BOTH");
}

TEST_CASE("usdm: a resting limit is modified (PUT), queried, listed and canceled") {
  FrontFixture f;
  const auto& ins = f.ins(Market::kUsdm);
  auto r = f.send(binance::usdm_new_order(ins, order(Side::kBuy, "0.010", "59000.0", "l1")), f.fut);
  REQUIRE(r.status == 200);
  CHECK(body(r)["status"] == "NEW");
  CHECK(body(r)["price"] == "59000");
  CHECK(*r.header("X-MBX-ORDER-COUNT-1M") == "1");

  auto m = f.send(binance::usdm_modify_order(ins, binance::OrderRef{0, "l1"}, Side::kBuy, d("0.020"), d("59100.0")), f.fut);
  REQUIRE(m.status == 200);
  CHECK(body(m)["price"] == "59100");
  CHECK(body(m)["origQty"] == "0.02");

  auto q = body(f.send(binance::usdm_query_order(ins, {0, "l1"}), f.fut));
  CHECK(q["status"] == "NEW");
  CHECK(q["price"] == "59100");
  auto open = body(f.send(binance::usdm_open_orders(&ins), f.fut));
  REQUIRE(open.size() == 1);

  auto c = f.send(binance::usdm_cancel_order(ins, binance::OrderRef{0, "l1"}), f.fut);
  REQUIRE(c.status == 200);
  CHECK(body(c)["status"] == "CANCELED");
  CHECK(body(f.send(binance::usdm_open_orders(&ins), f.fut)).empty());
  auto unknown = f.send(binance::usdm_query_order(ins, {0, "nope"}), f.fut);
  CHECK(unknown.status == 400);
  CHECK(body(unknown)["code"] == -2013);
}
