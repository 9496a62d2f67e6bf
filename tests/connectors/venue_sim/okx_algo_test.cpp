// venue-sim's OKX algo orders: trigger and conditional (TP or SL) orders wait without an ordId
// (orders-algo-pending, not orders-pending), trigger on the last price -- a market one fills, a
// limit one rests with its ordId --, cancel-algos before the trigger, OKX's 51277..51280 for a
// trigger on the wrong side, the refusals by name, and the orders-algo channel on /ws/v5/business.
#include <doctest/doctest.h>

#include "okx_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::okx_test;
using nlohmann::json;

namespace {

json trigger_buy(const char* trigger, const char* order_px) {
  return {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", "buy"}, {"ordType", "trigger"}, {"sz", "10"},
          {"triggerPx", trigger}, {"orderPx", order_px}, {"algoClOrdId", "trig1"}};
}

void print(OkxFixture& f, const char* px) {
  f.front->on_trade(Market::kUsdm, "BTC-USDT-SWAP", {*Decimal::parse(px), *Decimal::parse("0.01"), false});
}

}  // namespace

TEST_CASE("okx trigger order: waits without an ordId, triggers on the last price, its market order fills") {
  OkxFixture f;
  print(f, "60000");
  const auto a = f.post("/api/v5/trade/order-algo", trigger_buy("60005", "-1"), f.alice);
  INFO(a.body);
  REQUIRE(a.code() == "0");
  CHECK(a.first().at("sCode") == "0");
  CHECK(a.first().at("algoClOrdId") == "trig1");
  const std::string algo_id = a.first().at("algoId");
  auto pend = f.get("/api/v5/trade/orders-algo-pending?ordType=trigger", f.alice);
  REQUIRE(pend.data().size() == 1);
  CHECK(pend.first().at("algoId") == algo_id);
  CHECK(pend.first().at("state") == "live");
  CHECK(pend.first().at("ordId") == "");
  CHECK(pend.first().at("triggerPx") == "60005");
  CHECK(pend.first().at("ordPx") == "-1");
  CHECK(f.get("/api/v5/trade/orders-pending", f.alice).data().empty());
  CHECK(f.get("/api/v5/trade/orders-algo-pending?ordType=conditional", f.alice).data().empty());
  // A print below does nothing; one at the trigger fires it: 10 contracts bought at 60001.
  print(f, "60002");
  CHECK(f.get("/api/v5/trade/order-algo?algoId=" + algo_id, f.alice).first().at("state") == "live");
  print(f, "60005");
  const auto done = f.get("/api/v5/trade/order-algo?algoClOrdId=trig1", f.alice);
  INFO(done.body);
  CHECK(done.first().at("state") == "effective");
  CHECK(done.first().at("actualSz") == "10");
  const std::string ord_id = done.first().at("ordId");
  REQUIRE(!ord_id.empty());
  const auto ord = f.get("/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId=" + ord_id, f.alice);
  CHECK(ord.first().at("state") == "filled");
  CHECK(ord.first().at("accFillSz") == "10");
  CHECK(ord.first().at("avgPx") == "60001");
  CHECK(ord.first().at("ordType") == "market");
  CHECK(f.get("/api/v5/account/positions", f.alice).first().at("pos") == "10");
  CHECK(f.get("/api/v5/trade/orders-algo-pending?ordType=trigger", f.alice).data().empty());
  CHECK(f.get("/api/v5/trade/orders-algo-history?ordType=trigger&state=effective", f.alice).data().size() == 1);
}

TEST_CASE("okx conditional SL: a limit order at the trigger rests with its ordId; a TP on the wrong side is 51277..51280") {
  OkxFixture f;
  print(f, "60000");
  const json sl = {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", "sell"}, {"ordType", "conditional"}, {"sz", "5"},
                   {"slTriggerPx", "59990"}, {"slOrdPx", "60500"}};
  const auto a = f.post("/api/v5/trade/order-algo", sl, f.alice);
  INFO(a.body);
  REQUIRE(a.code() == "0");
  const std::string algo_id = a.first().at("algoId");
  print(f, "59985");
  const auto algo = f.get("/api/v5/trade/order-algo?algoId=" + algo_id, f.alice);
  INFO(algo.body);
  CHECK(algo.first().at("state") == "effective");
  CHECK(algo.first().at("actualSide") == "sl");
  CHECK(algo.first().at("actualPx") == "60500");
  const auto pend = f.get("/api/v5/trade/orders-pending?instId=BTC-USDT-SWAP", f.alice);
  REQUIRE(pend.data().size() == 1);
  CHECK(pend.first().at("ordId") == algo.first().at("ordId"));
  CHECK(pend.first().at("px") == "60500");
  CHECK(pend.first().at("sz") == "5");
  CHECK(pend.first().at("algoId") == algo_id);
  // The trigger on the wrong side of the last price (59985 now).
  const auto wrong = [&](const char* side, const char* key, const char* px) {
    json o = {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", side}, {"ordType", "conditional"}, {"sz", "1"}};
    o[key] = px;
    o[std::string(key) == "tpTriggerPx" ? "tpOrdPx" : "slOrdPx"] = "-1";
    return f.post("/api/v5/trade/order-algo", o, f.alice).first().at("sCode").get<std::string>();
  };
  CHECK(wrong("buy", "tpTriggerPx", "60000") == "51277");
  CHECK(wrong("buy", "slTriggerPx", "59000") == "51278");
  CHECK(wrong("sell", "tpTriggerPx", "59000") == "51279");
  CHECK(wrong("sell", "slTriggerPx", "60000") == "51280");
}

TEST_CASE("okx cancel-algos before the trigger; refusals by name") {
  OkxFixture f;
  print(f, "60000");
  const auto a = f.post("/api/v5/trade/order-algo", trigger_buy("61000", "61000"), f.alice);
  REQUIRE(a.code() == "0");
  const std::string algo_id = a.first().at("algoId");
  const json cancel = json::array({{{"instId", "BTC-USDT-SWAP"}, {"algoId", algo_id}}});
  const auto c = f.post("/api/v5/trade/cancel-algos", cancel, f.alice);
  INFO(c.body);
  CHECK(c.code() == "0");
  CHECK(c.first().at("sCode") == "0");
  const auto hist = f.get("/api/v5/trade/orders-algo-history?ordType=trigger&state=canceled", f.alice);
  REQUIRE(hist.data().size() == 1);
  CHECK(hist.first().at("algoId") == algo_id);
  const auto again = f.post("/api/v5/trade/cancel-algos", cancel, f.alice);
  CHECK(again.code() == "1");
  CHECK(again.first().at("sCode") == "51401");
  const auto unknown = f.post("/api/v5/trade/cancel-algos", json::array({{{"instId", "BTC-USDT-SWAP"}, {"algoId", "12345"}}}), f.alice);
  CHECK(unknown.first().at("sCode") == "51400");
  CHECK(f.get("/api/v5/trade/order-algo?algoId=12345", f.alice).code() == "51603");
  // A print through the canceled trigger does nothing.
  print(f, "61000");
  CHECK(f.get("/api/v5/trade/orders-pending", f.alice).data().empty());
  const auto refused = [&](json o, const char* says) {
    const auto r = f.post("/api/v5/trade/order-algo", o, f.alice);
    INFO(r.body);
    CHECK(r.code() == "1");
    CHECK(r.first().at("sCode") == "51000");
    CHECK(r.first().at("sMsg").get<std::string>().find(says) != std::string::npos);
  };
  json oco = trigger_buy("62000", "-1");
  oco["ordType"] = "oco";
  refused(oco, "oco");
  json both = {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", "sell"}, {"ordType", "conditional"}, {"sz", "1"},
               {"tpTriggerPx", "62000"}, {"tpOrdPx", "-1"}, {"slTriggerPx", "59000"}, {"slOrdPx", "-1"}};
  refused(both, "both TP and SL");
  json mark = trigger_buy("62000", "-1");
  mark["triggerPxType"] = "mark";
  refused(mark, "mark price");
  json fraction = both;
  fraction.erase("slTriggerPx");
  fraction.erase("slOrdPx");
  fraction["closeFraction"] = "1";
  refused(fraction, "closeFraction");
  const json spot_buy = {{"instId", "BTC-USDT"}, {"tdMode", "cash"}, {"side", "buy"}, {"ordType", "trigger"}, {"sz", "100"},
                         {"triggerPx", "62000"}, {"orderPx", "-1"}};
  refused(spot_buy, "tgtCcy");
  const auto amend = f.post("/api/v5/trade/amend-algos", {{"instId", "BTC-USDT-SWAP"}, {"algoId", algo_id}, {"newSz", "2"}}, f.alice);
  CHECK(amend.code() == "50030");
  CHECK(amend.msg().find("venue-sim does not serve") != std::string::npos);
}

TEST_CASE("okx orders-algo channel on /ws/v5/business: live, then effective with the ordId; the orders channel gets the order") {
  OkxServer s;
  print(s.f, "60000");
  auto& biz = s.open("/ws/v5/business");
  auto& priv = s.open("/ws/v5/private");
  REQUIRE(s.login(0, biz, s.f.alice).at("code") == "0");
  REQUIRE(s.login(1, priv, s.f.alice).at("code") == "0");
  const auto wrong = s.request(0, biz, R"({"op":"subscribe","args":[{"channel":"orders","instType":"ANY"}]})",
                               [](const json& j) { return j.contains("event"); });
  CHECK(wrong.at("code") == "60018");
  s.request(0, biz, R"({"op":"subscribe","args":[{"channel":"orders-algo","instType":"SWAP"}]})", [](const json& j) { return j.contains("event"); });
  s.request(1, priv, R"({"op":"subscribe","args":[{"channel":"orders","instType":"SWAP"}]})", [](const json& j) { return j.contains("event"); });
  const auto a = s.f.post("/api/v5/trade/order-algo", trigger_buy("60005", "-1"), s.f.alice);
  REQUIRE(a.code() == "0");
  REQUIRE(wait_for([&] { return !biz.channel("orders-algo").empty(); }));
  CHECK(biz.channel("orders-algo")[0].at("data")[0].at("state") == "live");
  CHECK(priv.channel("orders").empty());  // nothing on the orders channel before the trigger
  print(s.f, "60010");
  REQUIRE(wait_for([&] { return biz.channel("orders-algo").size() >= 2 && priv.channel("orders").size() >= 2; }));
  const auto eff = biz.channel("orders-algo")[1].at("data")[0];
  CHECK(eff.at("state") == "effective");
  CHECK(eff.at("algoId") == a.first().at("algoId"));
  const auto orders = priv.channel("orders");
  CHECK(orders[0].at("data")[0].at("state") == "live");
  CHECK(orders[0].at("data")[0].at("ordId") == eff.at("ordId"));
  CHECK(orders[0].at("data")[0].at("algoId") == eff.at("algoId"));
  CHECK(orders[1].at("data")[0].at("state") == "filled");
}
