// venue-sim's latency model (--latency): zero delays nothing; a fixed model holds the REST
// answer and the user-data events for at least the modelled time, on timers, so other
// connections are served meanwhile; jitter is seeded and one connection keeps its order.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <set>

#include "front_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::test;

namespace {

using Clock = std::chrono::steady_clock;

FrontConfig with_latency(const char* spec) {
  auto cfg = FrontFixture::default_config();
  cfg.latency = parse_latency(spec);
  return cfg;
}

// alice's signed LIMIT BUY 0.1 @ 90.00 (rests below the 99.50 bid), rendered for `f`.
net::HttpRequest new_order(FrontFixture& f, const std::string& cid) {
  auto signer = signing::BinanceSigner::hmac(f.alice.secret);
  binance::Credentials cr{f.alice.key, &*signer, 5'000};
  auto req =
      binance::spot_new_order(f.ins(Market::kSpot), order(Side::kBuy, "0.1", "90.00", cid.c_str()));
  REQUIRE(req.ok());
  auto http = binance::render(*req, cr, wall_ms());
  REQUIRE(http.ok());
  return *http;
}

std::unique_ptr<net::HttpsClient> connect(FrontFixture& f) {
  return std::make_unique<net::HttpsClient>(net::Origin{"127.0.0.1", f.server->port()},
                                            net::TlsClientConfig{f.certs.ca.string()});
}

}  // namespace

TEST_CASE("latency zero (the default): every answer leaves at once, nothing is drawn") {
  CHECK(FrontConfig{}.latency.zero());
  FrontFixture f;  // the default config: zero
  const auto ack = f.front->handle(new_order(f, "z1"));
  CHECK(ack.response.status == 200);
  CHECK(ack.delay == 0us);
  net::HttpRequest ping{"GET", "/api/v3/ping", {}, {}, 5'000ms};
  CHECK(f.front->handle(ping).delay == 0us);
  net::HttpRequest unknown{"GET", "/api/v3/nope", {}, {}, 5'000ms};
  const auto err = f.front->handle(unknown);
  CHECK(err.response.status == 404);
  CHECK(err.delay == 0us);
  std::uint64_t rng = 42;
  CHECK(LatencyModel{}.draw(rng) == 0us);
  CHECK(rng == 42);
}

TEST_CASE(
    "latency fixed 20 ms: the ack and the user-data events arrive no sooner than 20 ms after the "
    "request") {
  FrontFixture f(with_latency("fixed_us=20000"));
  CHECK(f.front->handle(net::HttpRequest{"GET", "/api/v3/ping", {}, {}, 5'000ms}).delay == 20ms);
  auto& inbox = f.open_ws("/ws/" + f.front->listen_key("alice"), std::make_shared<Inbox>());
  (void)f.get_public("/api/v3/ping");  // the connection is up: the timing below is one request

  const auto t0 = Clock::now();
  std::atomic<bool> answered{false};
  net::HttpResponse ack;
  Clock::time_point ack_at;
  std::thread client([&] {
    auto r = f.client->request(new_order(f, "f1"));
    ack_at = Clock::now();
    REQUIRE(r.ok());
    ack = *r;
    answered = true;
  });
  // The first executionReport, seen by polling from t0 (it can only be seen late, never early).
  Clock::time_point event_at{};
  const bool got_event = wait_for([&] {
    if (inbox.events("executionReport").empty()) return false;
    event_at = Clock::now();
    return true;
  });
  client.join();
  REQUIRE(answered);
  CHECK(ack.status == 200);
  CHECK(body(ack)["clientOrderId"] == "f1");
  CHECK(ack_at - t0 >= 20ms);
  REQUIRE(got_event);
  CHECK(event_at - t0 >= 20ms);
  CHECK(inbox.events("executionReport")[0]["c"] == "f1");
}

TEST_CASE(
    "latency fixed: a delayed answer holds no thread, other connections are answered meanwhile") {
  // 8 connections each place an order at once on a server with 2 I/O threads. A handler that
  // slept the 200 ms would serve 2 at a time: the last answer >= 4 x 200 ms after the start.
  // On timers every answer leaves ~200 ms after its request.
  constexpr int kConnections = 8;
  constexpr auto kLatency = 200ms;
  FrontFixture f(with_latency("fixed_us=200000"));
  std::vector<std::unique_ptr<net::HttpsClient>> clients;
  std::vector<net::HttpRequest> requests;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(connect(f));
    REQUIRE(clients.back()->request(net::HttpRequest{"GET", "/api/v3/ping", {}, {}, 5'000ms}).ok());
    requests.push_back(new_order(f, "c" + std::to_string(i)));
  }
  std::vector<Clock::duration> took(kConnections);
  std::vector<unsigned> status(kConnections, 0);
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back([&, i] {
      auto r = clients[static_cast<std::size_t>(i)]->request(requests[static_cast<std::size_t>(i)]);
      took[static_cast<std::size_t>(i)] = Clock::now() - t0;
      if (r.ok()) status[static_cast<std::size_t>(i)] = r->status;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kConnections; ++i) {
    CAPTURE(i);
    CHECK(status[static_cast<std::size_t>(i)] == 200);
    CHECK(took[static_cast<std::size_t>(i)] >= kLatency);
  }
  const auto slowest = *std::max_element(took.begin(), took.end());
  CHECK(slowest < 3 * kLatency);  // a sleeping handler: >= 4 x kLatency
}

TEST_CASE(
    "latency jitter: draws lie in [fixed, fixed + jitter], repeat with the seed, and one socket "
    "keeps its order") {
  const LatencyModel m = parse_latency("fixed_us=1000,jitter_us=500");
  CHECK(m.fixed_us == 1000);
  CHECK(m.jitter_us == 500);
  std::uint64_t a = 7, b = 7, c = 8;
  std::vector<std::chrono::microseconds> da, db, dc;
  for (int i = 0; i < 200; ++i) {
    da.push_back(m.draw(a));
    db.push_back(m.draw(b));
    dc.push_back(m.draw(c));
  }
  CHECK(da == db);
  CHECK(da != dc);
  CHECK(*std::min_element(da.begin(), da.end()) >= 1000us);
  CHECK(*std::max_element(da.begin(), da.end()) <= 1500us);
  CHECK(std::set(da.begin(), da.end()).size() > 50);

  // 20 pushes within microseconds (in-process requests: no REST wait), each drawn in
  // [0, 30 ms]: they still reach the user-data socket in the order they happened.
  FrontFixture f(with_latency("fixed_us=0,jitter_us=30000"));
  auto& inbox = f.open_ws("/ws/" + f.front->listen_key("alice"), std::make_shared<Inbox>());
  std::vector<std::chrono::microseconds> delays;
  for (int i = 0; i < 20; ++i) {
    const auto r = f.front->handle(new_order(f, "j" + std::to_string(i)));
    REQUIRE(r.response.status == 200);
    delays.push_back(r.delay);
  }
  CHECK(std::set(delays.begin(), delays.end()).size() > 1);  // the REST answers' own draws vary
  REQUIRE(wait_for([&] { return inbox.events("executionReport").size() == 20; }));
  const auto reports = inbox.events("executionReport");
  for (int i = 0; i < 20; ++i)
    CHECK(reports[static_cast<std::size_t>(i)]["c"] == "j" + std::to_string(i));
}

TEST_CASE("latency: a bad model is refused naming the flag and the key") {
  CHECK(parse_latency("zero").zero());
  CHECK(parse_latency("fixed_us=0").zero());
  CHECK(parse_latency("fixed_us=4000,jitter_us=4000").describe() == "fixed_us=4000,jitter_us=4000");
  CHECK(parse_latency("zero").describe() == "zero");
  CHECK_THROWS_WITH_AS(parse_latency("fast"),
                       "--latency: 'fast' is not key=value (zero, or fixed_us=F[,jitter_us=J])",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      parse_latency("fixed_us=-5"),
      "--latency: fixed_us: '-5' is not a whole number of microseconds in [0, 60000000]",
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      parse_latency("fixed_us=1ms"),
      "--latency: fixed_us: '1ms' is not a whole number of microseconds in [0, 60000000]",
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_latency("jitter_us=5"),
                       "--latency: fixed_us is required (fixed_us=0 for jitter only)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_latency("fixed_us=1,mean_us=2"),
                       "--latency: unknown key 'mean_us' (fixed_us, jitter_us)",
                       std::invalid_argument);
  CHECK_THROWS_AS(parse_latency(""), std::invalid_argument);
}
