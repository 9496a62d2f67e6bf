// venue-sim's OKX front under the fault injector and the latency model (the Binance and Bybit
// fronts' machinery): error_5xx answers HTTP 503 code 50001 and executes nothing, drop_new
// drops the connection of a new order without executing it, lost_ack executes it and drops the
// answer, duplicate sends each private push twice, drop_ws drops the private socket (the public
// one goes on), the latency model delays every answer.
#include <doctest/doctest.h>

#include "okx_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::okx_test;
using nlohmann::json;

namespace {

const json kTake = {{"instId", "BTC-USDT"}, {"tdMode", "cash"}, {"side", "buy"}, {"ordType", "market"}, {"sz", "0.5"}, {"tgtCcy", "base_ccy"}};

std::string best_ask(OkxFixture& f) {
  return f.get_public("/api/v5/market/books?instId=BTC-USDT").first().at("asks")[0][1];
}

OkxFrontConfig with(FaultSpec faults, const std::shared_ptr<std::atomic<std::int64_t>>& clock) {
  auto c = OkxFixture::config(clock);
  c.faults = faults;
  return c;
}

}  // namespace

TEST_CASE("okx faults: error_5xx is HTTP 503 code 50001 and executes nothing; public endpoints are not affected") {
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  FaultSpec fs;
  fs.error_5xx = 1;
  OkxFixture f(with(fs, clock));
  const auto a = f.post("/api/v5/trade/order", kTake, f.alice);
  CHECK(a.status == 503);
  CHECK(a.code() == "50001");
  CHECK(best_ask(f) == "1");  // the 60001 level untouched
  CHECK(f.get_public("/api/v5/public/time").code() == "0");
}

TEST_CASE("okx faults: drop_new drops a new order unexecuted; lost_ack executes it and drops the answer") {
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  FaultSpec drop;
  drop.drop_new = 1;
  OkxFixture f(with(drop, clock));
  CHECK(f.post("/api/v5/trade/order", kTake, f.alice).status == 0);
  CHECK(best_ask(f) == "1");
  // Queries are not new orders: answered.
  CHECK(f.get("/api/v5/trade/orders-pending", f.alice).code() == "0");
  FaultSpec lose;
  lose.lost_ack = 1;
  OkxFixture g(with(lose, clock));
  CHECK(g.post("/api/v5/trade/order", kTake, g.alice).status == 0);
  CHECK(best_ask(g) == "0.5");  // executed: half the level taken
  CHECK(g.get("/api/v5/trade/fills", g.alice).data().size() == 1);
}

TEST_CASE("okx latency: every REST answer leaves after the model's delay") {
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  auto c = OkxFixture::config(clock);
  c.latency.fixed_us = 2'500;
  OkxFixture f(c);
  const auto r = f.front->handle(f.signed_request("GET", "/api/v5/account/balance", "", f.alice, f.now()));
  CHECK(r.response.status == 200);
  CHECK(r.delay == std::chrono::microseconds(2'500));
}

TEST_CASE("okx faults: duplicate sends each private push twice; drop_ws drops the private socket, not the public one") {
  SUBCASE("duplicate") {
    auto c = OkxFixture::config(nullptr, true);
    c.faults.duplicate = 1;
    OkxServer s(c);
    auto& in = s.open("/ws/v5/private");
    REQUIRE(s.login(0, in, s.f.alice).at("code") == "0");
    s.request(0, in, R"({"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]})", [](const json& j) { return j.contains("event"); });
    REQUIRE(s.f.post("/api/v5/trade/order", {{"instId", "BTC-USDT"}, {"tdMode", "cash"}, {"side", "buy"}, {"ordType", "limit"}, {"sz", "0.01"}, {"px", "50000"}}, s.f.alice).code() == "0");
    REQUIRE(wait_for([&] { return in.channel("orders").size() >= 2; }));
    std::this_thread::sleep_for(50ms);
    const auto pushes = in.channel("orders");
    REQUIRE(pushes.size() == 2);
    CHECK(pushes[0] == pushes[1]);
  }
  SUBCASE("drop_ws") {
    auto c = OkxFixture::config(nullptr, true);
    c.faults.drop_ws = 1;
    OkxServer s(c);
    auto& priv = s.open("/ws/v5/private");
    auto& pub = s.open("/ws/v5/public");
    REQUIRE(s.login(0, priv, s.f.alice).at("code") == "0");
    s.request(0, priv, R"({"op":"subscribe","args":[{"channel":"orders","instType":"ANY"}]})", [](const json& j) { return j.contains("event"); });
    s.request(1, pub, R"({"op":"subscribe","args":[{"channel":"trades","instId":"BTC-USDT"}]})", [](const json& j) { return j.contains("event"); });
    REQUIRE(s.f.post("/api/v5/trade/order", kTake, s.f.alice).code() == "0");
    REQUIRE(wait_for([&] { return !s.socket(0).is_open(); }));
    CHECK(priv.channel("orders").empty());
    REQUIRE(wait_for([&] { return !pub.channel("trades").empty(); }));
    CHECK(s.socket(1).is_open());
  }
}
