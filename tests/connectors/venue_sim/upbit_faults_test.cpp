// venue-sim's Upbit front under the fault injector and the latency model (the same FaultSpec and
// LatencyModel as the other fronts): error_5xx (HTTP 500, nothing executed, quotation answered),
// drop_new (POST /v1/orders dropped, not executed), lost_ack (executed, the answer dropped), a
// fixed latency on every REST answer.
#include <doctest/doctest.h>

#include "upbit_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::upbit_test;
using ojson = nlohmann::ordered_json;

namespace {

const ojson kBid = {{"market", "KRW-BTC"}, {"side", "bid"}, {"volume", "0.01"}, {"price", "80000000"}, {"ord_type", "limit"}};

}  // namespace

TEST_CASE("upbit faults: error_5xx answers 500 without executing; quotation still answered") {
  UpbitFixture f([](UpbitFrontConfig& c) { c.faults.error_5xx = 1; });
  const auto a = f.order(f.alice, kBid);
  CHECK(a.status == 500);
  CHECK(a.error() == "server_error");
  CHECK(f.get_public("/v1/ticker?markets=KRW-BTC").status == 200);
  CHECK(f.get("/v1/orders/open", "", f.alice).status == 500);
}

TEST_CASE("upbit faults: drop_new drops POST /v1/orders unexecuted; lost_ack executes it and drops the answer") {
  SUBCASE("drop_new") {
    UpbitFixture f([](UpbitFrontConfig& c) { c.faults.drop_new = 1; });
    CHECK(f.order(f.alice, kBid).status == 0);
    const auto open = f.get("/v1/orders/open", "", f.alice);
    CHECK(open.status == 200);
    CHECK(open.json.empty());
  }
  SUBCASE("lost_ack") {
    UpbitFixture f([](UpbitFrontConfig& c) { c.faults.lost_ack = 1; });
    CHECK(f.order(f.alice, kBid).status == 0);
    const auto open = f.get("/v1/orders/open", "", f.alice);
    CHECK(open.status == 200);  // a query is not an order request: answered
    CHECK(open.json.size() == 1);
  }
}

TEST_CASE("upbit latency: a fixed latency delays every REST answer") {
  UpbitFixture f([](UpbitFrontConfig& c) { c.latency.fixed_us = 4'000; });
  net::HttpRequest r;
  r.method = "GET";
  r.target = "/v1/market/all";
  const auto d1 = f.front->handle(r);
  CHECK(d1.response.status == 200);
  CHECK(d1.delay == std::chrono::microseconds(4'000));
}
