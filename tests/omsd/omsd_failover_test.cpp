// Venue failover, the way it happens: Bybit served by a venue-sim of its own, killed mid-session.
// omsd sees its Bybit accounts go down (/health), and an API order for bybit_main goes to the
// failover alternative accounts.yaml names (okx_main) instead -- the reply says where and why,
// the daemon alerts, the metric counts it -- while the order resting on Bybit stays tracked.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "omsd_checks.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

nlohmann::json order_on(const Stack& s, const std::string& account, const std::string& side, const std::string& qty,
                        const std::string& price, const std::string& type) {
  std::vector<std::string> args{"submit", "--account", account, "--instrument", "BTC/USDT", "--side", side,
                                "--qty", qty, "--type", type, "--wait-ack-ms", "3000"};
  if (!price.empty()) {
    args.push_back("--price");
    args.push_back(price);
  }
  return omsctl_json(s, args);
}

bool health_connected(const Stack& s, const std::string& path) {
  const auto [status, body] = s.http_get(path);
  if (status != 200) return false;
  return nlohmann::json::parse(body).at("session_connected") == true;
}

}  // namespace

TEST_CASE("failover: Bybit's venue killed mid-session -- an order for bybit_main goes to okx_main, said in the reply; the resting Bybit order stays tracked") {
  StackOptions o;
  o.edit_configs = [](const std::filesystem::path& configs) {
    replace_in_file(configs / "accounts.yaml", "    binance_main: [bybit_main, okx_main]\n",
                    "    binance_main: [bybit_main, okx_main]\n    bybit_main: [okx_main]\n");
  };
  Stack s(o);
  s.start_own_venue({"bybit"}, {"--random-walk", "11", "--walk-interval-ms", "50"});
  s.start_omsd();
  REQUIRE(wait_until([&] { return health_connected(s, "/health/bybit/bybit_main"); }, 30s));
  REQUIRE(health_connected(s, "/health/okx/okx_main"));

  // Venue up: the order goes where it was asked.
  auto r = order_on(s, "bybit_main", "buy", "0.001", "", "market");
  CHECK_MESSAGE(r.at("accepted") == true, r.dump());
  CHECK(r.value("account", "") == "bybit_main");
  CHECK(r.value("routing", "") == "");
  // A limit buy 3 % below the market (inside risk's price band) rests on Bybit.
  std::string bought_at;
  REQUIRE(wait_until([&] {
    const auto fills = omsctl_json(s, {"fills", "--account", "bybit_main"}).value("fills", nlohmann::json::array());
    if (fills.empty()) return false;
    bought_at = fills.at(0).at("price");
    return true;
  }, 20s));
  const Decimal below = *Decimal::parse(bought_at)->mul(*Decimal::parse("0.97"), Rounding::kDown)->round_to(*Decimal::parse("0.1"), Rounding::kDown);
  r = order_on(s, "bybit_main", "buy", "0.001", below.to_string(), "limit");
  REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  const std::string resting = r.at("client_order_id");
  REQUIRE(wait_until([&] {
    const auto orders = omsctl_json(s, {"orders", "--account", "bybit_main"}).value("orders", nlohmann::json::array());
    return status_of(orders, resting) == "accepted";
  }, 20s));

  // Bybit's venue dies: its accounts go down.
  s.kill_own_venue();
  REQUIRE(wait_until([&] { return !health_connected(s, "/health/bybit/bybit_main"); }, 30s));

  // An order for bybit_main now goes to okx_main: the reply names the account and the reason,
  // and it trades there.
  r = order_on(s, "bybit_main", "buy", "0.001", "", "market");
  CHECK_MESSAGE(r.at("accepted") == true, r.dump());
  CHECK(r.value("account", "") == "okx_main");
  CHECK(r.value("routing", "") == "bybit_main: bybit spot is down; routed to okx_main (failover)");
  const std::string moved = r.at("client_order_id");
  REQUIRE(wait_until([&] {
    const auto orders = omsctl_json(s, {"orders", "--account", "okx_main"}).value("orders", nlohmann::json::array());
    return status_of(orders, moved) == "filled";
  }, 20s));
  const auto fills = omsctl_json(s, {"fills", "--account", "okx_main"}).value("fills", nlohmann::json::array());
  bool filled_on_okx = false;
  for (const auto& f : fills) filled_on_okx = filled_on_okx || f.at("client_order_id") == moved;
  CHECK(filled_on_okx);

  // The order resting on Bybit is still tracked (its venue is away, not its order).
  const auto orders = omsctl_json(s, {"orders", "--account", "bybit_main"}).value("orders", nlohmann::json::array());
  CHECK(status_of(orders, resting) == "accepted");

  // The alert and the metric.
  const auto log = testkit::read_file(s.data() / "log" / "omsd.log");
  CHECK(log.find("failover: bybit_main: bybit spot is down; routed to okx_main (failover)") != std::string::npos);
  const auto [ms, metrics] = s.http_get("/metrics");
  CHECK(ms == 200);
  CHECK(metrics.find("oms_failover_orders_total 1") != std::string::npos);
}
