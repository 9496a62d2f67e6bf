// venue-sim front: each injected fault at probability 1 does what its name says.
#include <doctest/doctest.h>

#include "front_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::test;

namespace {
Result<net::HttpResponse, net::HttpError> place(FrontFixture& f, const char* cid) {
  auto signer = signing::BinanceSigner::hmac(f.alice.secret);
  binance::Credentials cr{f.alice.key, &*signer, 5'000};
  auto req = binance::spot_new_order(f.ins(Market::kSpot), order(Side::kBuy, "0.1", "90.00", cid));
  auto http = binance::render(*req, cr, wall_ms());
  return f.client->request(*http);
}
std::size_t open_count(FrontFixture& f) {
  return body(f.send(binance::spot_open_orders(&f.ins(Market::kSpot)), f.alice)).size();
}
FrontConfig with_faults(const char* spec) {
  auto cfg = FrontFixture::default_config();
  cfg.faults = parse_faults(spec);
  return cfg;
}
}  // namespace

TEST_CASE("faults: error_5xx answers 503 -1001 without executing the order") {
  FrontFixture f(with_faults("error_5xx=1"));
  auto r = place(f, "x1");
  REQUIRE(r.ok());
  CHECK(r->status == 503);
  CHECK(body(*r)["code"] == -1001);
  // Every signed request fails the same way; a public one still works.
  CHECK(f.get_public("/api/v3/ping").status == 200);
}

TEST_CASE("faults: timeout executes the order and drops the connection after timeout_ms") {
  FrontFixture f(with_faults("timeout=1,timeout_ms=300"));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = place(f, "t1");
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == net::HttpErrorCode::kClosed);
  CHECK(took >= 300ms);
  CHECK(open_count(f) == 1);  // it was executed
}

TEST_CASE("faults: delay_ack answers after delay_ms") {
  FrontFixture f(with_faults("delay_ack=1,delay_ms=250"));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = place(f, "d1");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 >= 250ms);
}

TEST_CASE("faults: drop_ws drops the user-data socket instead of pushing; the client reconnects") {
  FrontFixture f(with_faults("drop_ws=1"));
  auto& inbox = f.open_ws("/ws/" + f.front->listen_key("alice"), std::make_shared<Inbox>());
  auto& ws = *f.sockets.back();
  REQUIRE(place(f, "w1")->status == 200);
  CHECK(wait_for([&] { return ws.connects() >= 2; }, 10'000ms));
  CHECK(inbox.events("executionReport").empty());
}

TEST_CASE("faults: reorder swaps adjacent user-data events of one push") {
  FrontFixture f(with_faults("reorder=1"));
  auto& inbox = f.open_ws("/ws/" + f.front->listen_key("alice"), std::make_shared<Inbox>());
  REQUIRE(place(f, "r1")->status == 200);  // NEW report + account position: swapped
  REQUIRE(wait_for([&] { return inbox.events().size() >= 3; }));
  const auto ev = inbox.events();
  CHECK(ev[1]["e"] == "outboundAccountPosition");  // ev[0] is the LIST_SUBSCRIPTIONS answer
  CHECK(ev[2]["e"] == "executionReport");
}

TEST_CASE("faults: a bad spec is refused naming the key") {
  CHECK_THROWS_WITH_AS(parse_faults("lost_ack=2"), "--faults: lost_ack: probability above 1",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_faults("nope=0.1"), "--faults: unknown key 'nope'",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_faults("delay_ack"), "--faults: 'delay_ack' is not key=value",
                       std::invalid_argument);
}

TEST_CASE("faults: late_exec answers 503 -1007, knows nothing of the order for late_ms, then executes it") {
  FrontFixture f(with_faults("late_exec=1,late_ms=400"));
  auto& inbox = f.open_ws("/ws/" + f.front->listen_key("alice"), std::make_shared<Inbox>());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = place(f, "late1");
  REQUIRE(r.ok());
  CHECK(r->status == 503);
  CHECK(body(*r)["code"] == -1007);
  // Asked at once: "Order does not exist." -- and no order open.
  auto q = f.send(binance::spot_query_order(f.ins(Market::kSpot), {0, "late1"}), f.alice);
  CHECK(q.status == 400);
  CHECK(body(q)["code"] == -2013);
  CHECK(open_count(f) == 0);
  // Then the backend runs it: open, and its executionReport on the account's stream.
  REQUIRE(wait_for([&] { return open_count(f) == 1; }));
  CHECK(std::chrono::steady_clock::now() - t0 >= 400ms);
  auto later = body(f.send(binance::spot_query_order(f.ins(Market::kSpot), {0, "late1"}), f.alice));
  CHECK(later["clientOrderId"] == "late1");
  CHECK(later["status"] == "NEW");
  REQUIRE(wait_for([&] { return !inbox.events("executionReport").empty(); }));
  CHECK(inbox.events("executionReport").front()["c"] == "late1");
}

TEST_CASE("faults: drop_new drops a new order's connection without executing it") {
  FrontFixture f(with_faults("drop_new=1"));
  auto r = place(f, "drop1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == net::HttpErrorCode::kClosed);
  CHECK(open_count(f) == 0);
  auto q = f.send(binance::spot_query_order(f.ins(Market::kSpot), {0, "drop1"}), f.alice);
  CHECK(body(q)["code"] == -2013);
}
