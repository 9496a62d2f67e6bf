// venue-sim front: spot cancelReplace, USD-M batch place / cancel, and determinism (the same
// requests at the same clock give byte-identical answers and user-data events; duplicated
// user-data events follow the seed).
#include <doctest/doctest.h>

#include "front_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::test;

TEST_CASE("spot cancelReplace cancels the resting order and places the new one in one call") {
  FrontFixture f;
  const auto& ins = f.ins(Market::kSpot);
  REQUIRE(f.send(binance::spot_new_order(ins, order(Side::kBuy, "0.5", "99.10", "o1")), f.alice).status == 200);
  auto r = f.send(binance::spot_cancel_replace(ins, binance::OrderRef{0, "o1"}, order(Side::kBuy, "0.6", "99.20", "o2")), f.alice);
  REQUIRE(r.status == 200);
  auto j = body(r);
  CHECK(j["cancelResult"] == "SUCCESS");
  CHECK(j["newOrderResult"] == "SUCCESS");
  CHECK(j["cancelResponse"]["origClientOrderId"] == "o1");
  CHECK(j["cancelResponse"]["status"] == "CANCELED");
  CHECK(j["newOrderResponse"]["clientOrderId"] == "o2");
  CHECK(j["newOrderResponse"]["price"] == "99.20000000");
  auto open = body(f.send(binance::spot_open_orders(&ins), f.alice));
  REQUIRE(open.size() == 1);
  CHECK(open[0]["clientOrderId"] == "o2");

  auto fail = f.send(binance::spot_cancel_replace(ins, binance::OrderRef{0, "gone"}, order(Side::kBuy, "0.6", "99.20", "o3")), f.alice);
  CHECK(fail.status == 400);
  CHECK(body(fail)["code"] == -2022);
  CHECK(body(fail)["data"]["cancelResponse"]["code"] == -2011);
  CHECK(body(f.send(binance::spot_open_orders(&ins), f.alice)).size() == 1);
}

TEST_CASE("usdm batchOrders places each order (errors per item) and batch cancel by client ids") {
  FrontFixture f;
  const auto& ins = f.ins(Market::kUsdm);
  std::vector<binance::BatchItem> items(2);
  items[0].instrument = &ins;
  items[0].order = order(Side::kBuy, "0.010", "59000.0", "b1");
  items[1].instrument = &ins;
  items[1].order = order(Side::kSell, "0.010", "61000.0", "b2");
  auto r = f.send(binance::usdm_batch_orders(items), f.fut);
  REQUIRE(r.status == 200);
  auto j = body(r);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["clientOrderId"] == "b1");
  CHECK(j[0]["status"] == "NEW");
  CHECK(j[1]["clientOrderId"] == "b2");
  CHECK(body(f.send(binance::usdm_open_orders(&ins), f.fut)).size() == 2);

  const std::vector<std::string_view> cids{"b1", "b2"};
  auto c = f.send(binance::usdm_batch_cancel(ins, {}, cids), f.fut);
  REQUIRE(c.status == 200);
  auto cj = body(c);
  REQUIRE(cj.size() == 2);
  CHECK(cj[0]["status"] == "CANCELED");
  CHECK(cj[1]["status"] == "CANCELED");
  CHECK(body(f.send(binance::usdm_open_orders(&ins), f.fut)).empty());
}

namespace {

// One fixed flow at a fixed clock; returns every REST body and user-data event, in order.
std::string deterministic_run(const char* faults) {
  constexpr std::int64_t kNow = 1'750'000'000'000;
  auto cfg = FrontFixture::default_config();
  cfg.clock_ms = [] { return kNow; };
  cfg.faults = parse_faults(faults);
  FrontFixture f(cfg);
  const auto& ins = f.ins(Market::kSpot);
  auto& inbox = f.open_ws("/ws/" + f.front->listen_key("alice"), std::make_shared<Inbox>());
  std::string log;
  for (int i = 0; i < 6; ++i) {
    const std::string cid = "d" + std::to_string(i);
    const Side side = i % 2 == 0 ? Side::kBuy : Side::kSell;
    const char* price = i % 2 == 0 ? "100.01" : "99.50";
    log += f.send(binance::spot_new_order(ins, order(side, "0.3", price, cid.c_str())), f.alice, kNow).body;
    log += '\n';
  }
  log += f.send(binance::spot_account(), f.alice, kNow).body;
  // Alice's 6 orders give at least 6 NEW reports; wait for the stream to go quiet at that count.
  std::size_t n = 0;
  REQUIRE(wait_for([&] {
    const auto now = inbox.events("executionReport").size();
    const bool settled = now >= 6 && now == n;
    n = now;
    if (!settled) std::this_thread::sleep_for(50ms);
    return settled;
  }));
  for (const auto& m : inbox.all()) {
    if (m.find("\"id\":99") == std::string::npos) log += m + '\n';
  }
  return log;
}

}  // namespace

TEST_CASE("determinism: the same requests at the same clock give identical answers and events") {
  const auto a = deterministic_run("");
  CHECK(a == deterministic_run(""));
  CHECK(a.find("executionReport") != std::string::npos);
}

TEST_CASE("faults: duplicated user-data events follow the seed") {
  const auto a = deterministic_run("duplicate=0.5");
  const auto b = deterministic_run("duplicate=0.5");
  CHECK(a == b);
  CHECK(a.size() > deterministic_run("").size());  // some events were sent twice
}
