// Pins oms::observe::HealthBoard: status transitions of one account on a virtual clock
// (disconnected, stale streams, rate limits, recent errors), component checks, and the JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "oms/actors/observe/health_board.hpp"
#include "oms/actors/observe/health_metrics.hpp"
#include "oms/actors/observe/metrics.hpp"

namespace oms::observe {
namespace {
using namespace std::chrono_literals;
constexpr std::int64_t kMs = 1'000'000;

struct Fixture {
  std::int64_t now = 1'700'000'000'000 * kMs;
  HealthThresholds thresholds{5'000ms, 30'000ms, 60'000ms, 90};
  HealthBoard board{[this] { return now; }, thresholds};

  AccountStatus status_of(AccountHealth& a) const { return board.evaluate(a.snapshot()); }
};
}  // namespace

TEST_CASE("account status walks down -> ok -> degraded (stale) -> ok -> down on a virtual clock") {
  Fixture f;
  auto& a = f.board.account("binance", "main");
  CHECK(&a == &f.board.account("binance", "main"));

  auto st = f.status_of(a);
  CHECK(st.status == HealthStatus::kDown);
  CHECK(st.reasons == std::vector<std::string>{"session disconnected"});

  a.set_connected(true);
  CHECK(f.status_of(a).status == HealthStatus::kOk);  // streams count from the connect

  f.now += 5'000 * kMs;  // exactly the limit: still ok
  CHECK(f.status_of(a).status == HealthStatus::kOk);
  f.now += 1 * kMs;
  st = f.status_of(a);
  CHECK(st.status == HealthStatus::kDegraded);
  CHECK(st.reasons == std::vector<std::string>{
                          "market data never received: connected 5001 ms ago (limit 5000 ms)"});

  a.mark_market_data();
  a.mark_user_data();
  CHECK(f.status_of(a).status == HealthStatus::kOk);
  f.now += 5'001 * kMs;
  st = f.status_of(a);
  CHECK(st.status == HealthStatus::kDegraded);
  CHECK(st.reasons ==
        std::vector<std::string>{"market data stale: last 5001 ms ago (limit 5000 ms)"});
  a.mark_market_data_at(f.now - 10 * kMs);
  CHECK(f.status_of(a).status == HealthStatus::kOk);

  f.now += 25'000 * kMs;  // user data 30001 ms old
  a.mark_market_data();
  st = f.status_of(a);
  CHECK(st.reasons ==
        std::vector<std::string>{"user data stale: last 30001 ms ago (limit 30000 ms)"});

  a.mark_user_data();
  a.set_connected(false);
  st = f.status_of(a);
  CHECK(st.status == HealthStatus::kDown);
  CHECK(st.reasons == std::vector<std::string>{"session disconnected"});
}

TEST_CASE("rate limit at the warning percent and a recent error degrade; both clear") {
  Fixture f;
  auto& a = f.board.account("binance", "main");
  a.set_connected(true);
  a.mark_market_data();
  a.set_rate_limit("REQUEST_WEIGHT_1M", 5'399, 6'000);
  CHECK(f.status_of(a).status == HealthStatus::kOk);
  a.set_rate_limit("REQUEST_WEIGHT_1M", 5'400, 6'000);  // 90 %
  auto st = f.status_of(a);
  CHECK(st.status == HealthStatus::kDegraded);
  CHECK(st.reasons == std::vector<std::string>{"rate limit REQUEST_WEIGHT_1M at 5400/6000"});
  a.set_rate_limit("REQUEST_WEIGHT_1M", 10, 6'000);

  a.set_error("listenKey keepalive failed: 401");
  st = f.status_of(a);
  CHECK(st.status == HealthStatus::kDegraded);
  CHECK(st.reasons == std::vector<std::string>{"recent error: listenKey keepalive failed: 401"});
  f.now += 60'000 * kMs;
  a.mark_market_data();
  a.mark_user_data();
  CHECK(f.status_of(a).status == HealthStatus::kDegraded);  // exactly the window
  f.now += 1 * kMs;
  CHECK(f.status_of(a).status == HealthStatus::kOk);  // older than the window; still reported
  CHECK(a.snapshot().last_error == std::optional<std::string>("listenKey keepalive failed: 401"));
  a.clear_error();
  CHECK(!a.snapshot().last_error);
}

TEST_CASE("account JSON carries every field with ages from the injected clock") {
  Fixture f;
  auto& a = f.board.account("binance", "main");
  a.set_connected(true);
  a.mark_market_data_at(f.now - 1'500 * kMs);
  a.set_open_orders(7);
  a.set_rate_limit("REQUEST_WEIGHT_1M", 420, 6'000);
  a.set_rate_limit("ORDERS_10S", 3, 100);
  f.now += 250 * kMs;
  a.set_error("reject \"x\"");
  f.now += 100 * kMs;

  const auto r = f.board.account_json("binance", "main");
  REQUIRE(r);
  CHECK(r->status == HealthStatus::kDegraded);  // the error is 100 ms old
  const auto j = nlohmann::json::parse(r->json);
  CHECK(j["exchange"] == "binance");
  CHECK(j["account"] == "main");
  CHECK(j["status"] == "degraded");
  CHECK(j["reasons"] == nlohmann::json::parse(R"(["recent error: reject \"x\""])"));
  CHECK(j["session_connected"] == true);
  CHECK(j["last_market_data_age_ms"] == 1'850);
  CHECK(j["last_user_data_age_ms"].is_null());
  CHECK(j["open_orders"] == 7);
  CHECK(j["rate_limits"] == nlohmann::json::parse(
                                R"([{"name":"REQUEST_WEIGHT_1M","used":420,"limit":6000},
                                    {"name":"ORDERS_10S","used":3,"limit":100}])"));
  CHECK(j["last_error"]["message"] == "reject \"x\"");
  CHECK(j["last_error"]["age_ms"] == 100);
  CHECK(j["last_error"]["time_ns"] == f.now - 100 * kMs);
  CHECK(!f.board.account_json("binance", "nope"));
}

TEST_CASE("overall status is the worst of accounts and components; HTTP 503 only when down") {
  Fixture f;
  auto& a = f.board.account("binance", "main");
  auto& b = f.board.account("binance_usdm", "main");
  a.set_connected(true);
  b.set_connected(true);
  f.board.component("store", [] { return ComponentHealth{HealthStatus::kOk, "seq 42"}; });
  auto r = f.board.overall_json();
  CHECK(r.status == HealthStatus::kOk);
  CHECK(http_status(r.status) == 200);
  auto j = nlohmann::json::parse(r.json);
  CHECK(j["status"] == "ok");
  CHECK(j["accounts"].size() == 2);
  CHECK(j["accounts"][1]["exchange"] == "binance_usdm");
  CHECK(j["components"] == nlohmann::json::parse(R"({"store":{"status":"ok","detail":"seq 42"}})"));

  f.now += 6'000 * kMs;
  a.mark_market_data();  // b is stale now
  r = f.board.overall_json();
  CHECK(r.status == HealthStatus::kDegraded);
  CHECK(http_status(r.status) == 200);

  b.mark_market_data();
  f.board.component("store", [] { return ComponentHealth{HealthStatus::kDown, "disk full"}; });
  r = f.board.overall_json();
  CHECK(r.status == HealthStatus::kDown);
  CHECK(http_status(r.status) == 503);
  j = nlohmann::json::parse(r.json);
  CHECK(j["components"]["store"]["detail"] == "disk full");
  CHECK(j["components"].size() == 1);  // replaced, not added

  f.board.component("store", [] { return ComponentHealth{}; });
  f.board.component("nats", []() -> ComponentHealth { throw std::runtime_error("no route"); });
  r = f.board.overall_json();
  CHECK(r.status == HealthStatus::kDown);
  j = nlohmann::json::parse(r.json);
  CHECK(j["components"]["nats"] ==
        nlohmann::json::parse(R"({"status":"down","detail":"check failed: no route"})"));

  f.board.component("nats", [] { return ComponentHealth{}; });
  CHECK(f.board.overall_json().status == HealthStatus::kOk);
  a.set_connected(false);
  r = f.board.overall_json();
  CHECK(r.status == HealthStatus::kDown);
  CHECK(nlohmann::json::parse(r.json)["accounts"][0]["status"] == "down");
}

}  // namespace oms::observe

namespace oms::observe {

TEST_CASE("export_health_metrics renders the board as gauges; absent ages are omitted") {
  Fixture f;
  Metrics m;
  export_health_metrics(m, f.board);
  auto& a = f.board.account("binance", "main");
  a.set_connected(true);
  a.mark_market_data_at(f.now - 1'500 * kMs);
  a.set_open_orders(4);
  a.set_rate_limit("REQUEST_WEIGHT_1M", 420, 6'000);
  f.board.account("binance", "sub");  // never connected
  CHECK(
      m.render() ==
      "# HELP oms_health_status Account health: 0 ok, 1 degraded, 2 down\n"
      "# TYPE oms_health_status gauge\n"
      "oms_health_status{exchange=\"binance\",account=\"main\"} 0\n"
      "oms_health_status{exchange=\"binance\",account=\"sub\"} 2\n"
      "# HELP oms_session_connected 1 when the exchange session is connected\n"
      "# TYPE oms_session_connected gauge\n"
      "oms_session_connected{exchange=\"binance\",account=\"main\"} 1\n"
      "oms_session_connected{exchange=\"binance\",account=\"sub\"} 0\n"
      "# HELP oms_market_data_age_seconds Seconds since the last market-data message\n"
      "# TYPE oms_market_data_age_seconds gauge\n"
      "oms_market_data_age_seconds{exchange=\"binance\",account=\"main\"} 1.5\n"
      "# HELP oms_user_data_age_seconds Seconds since the last user-data message\n"
      "# TYPE oms_user_data_age_seconds gauge\n"
      "# HELP oms_open_orders Open orders on the account\n"
      "# TYPE oms_open_orders gauge\n"
      "oms_open_orders{exchange=\"binance\",account=\"main\"} 4\n"
      "oms_open_orders{exchange=\"binance\",account=\"sub\"} 0\n"
      "# HELP oms_rate_limit_used Rate-limit usage in the current window\n"
      "# TYPE oms_rate_limit_used gauge\n"
      "oms_rate_limit_used{exchange=\"binance\",account=\"main\",limit=\"REQUEST_WEIGHT_1M\"} 420\n"
      "# HELP oms_rate_limit_max Rate-limit ceiling of the window\n"
      "# TYPE oms_rate_limit_max gauge\n"
      "oms_rate_limit_max{exchange=\"binance\",account=\"main\",limit=\"REQUEST_WEIGHT_1M\"} "
      "6000\n");
}

}  // namespace oms::observe
