// The kill switch's sweep, end to end: an order placed at venue-sim with binance_main's paper key
// behind omsd's back (omsd never heard of it) is canceled at the venue after `omsctl kill --scope
// account --account binance_main`; the log and /metrics say how many; another account's order
// (outside the scope) stays open; omsd stops cleanly.
#include <doctest/doctest.h>

#include <chrono>

#include "omsd_checks.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

// A price 5 % under the mid, down to the 0.01 tick: rests, inside the percent-price band.
std::string resting_bid(VenueView& v) {
  const auto price = v.mid().mul(*Decimal::parse("0.95"), Rounding::kDown);
  REQUIRE(price.ok());
  const auto on_tick = price->round_to(*Decimal::parse("0.01"), Rounding::kDown);
  REQUIRE(on_tick.ok());
  return on_tick->to_string();
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds bound = 15s) {
  return wait_until(done, bound);
}

}  // namespace

TEST_CASE("kill switch sweep: omsctl kill --scope account cancels at the venue an order omsd never knew; logged and counted; other accounts untouched") {
  Stack s;
  s.start_omsd();
  VenueView main_view(s.data(), s.venue_port(), "binance_main");
  VenueView other_view(s.data(), s.venue_port(), "binance_spot_arb");
  REQUIRE(eventually([&] { return main_view.mid().is_positive(); }));
  const std::string bid = resting_bid(main_view);
  main_view.place_limit("behind-omsd-1", Side::kBuy, "0.001", bid);
  other_view.place_limit("behind-omsd-2", Side::kBuy, "0.001", bid);
  REQUIRE(main_view.open_orders() == std::vector<std::string>{"behind-omsd-1"});

  // Before any trip: nothing swept.
  CHECK(s.http_get("/metrics").second.find("oms_kill_sweeps_total 0") != std::string::npos);

  const auto k = s.omsctl({"kill", "--scope", "account", "--account", "binance_main", "--reason", "sweep test"});
  REQUIRE_MESSAGE(k.code == 0, (k.out + k.err));
  // The venue: binance_main's order is gone, binance_spot_arb's (not in the scope) still rests.
  CHECK(eventually([&] { return main_view.open_orders().empty(); }));
  CHECK(main_view.orders().at("behind-omsd-1").status == "canceled");
  const auto other_open = other_view.open_orders();
  CHECK(std::find(other_open.begin(), other_open.end(), "behind-omsd-2") != other_open.end());

  // The log: per account and instrument, how many the venue canceled; the metric counts them.
  CHECK(eventually([&] {
    return testkit::read_file(s.omsd_log()).find("kill sweep: account binance_main binance spot BTCUSDT: the venue canceled 1 open order(s)") !=
           std::string::npos;
  }));
  const std::string metrics = s.http_get("/metrics").second;
  CHECK(metrics.find("oms_kill_sweep_orders_total{account=\"binance_main\"} 1") != std::string::npos);
  CHECK(metrics.find("oms_kill_sweep_orders_total{account=\"binance_spot_arb\"} 0") != std::string::npos);
  CHECK(metrics.find("oms_kill_sweep_errors_total{account=\"binance_main\"} 0") != std::string::npos);
  CHECK(metrics.find("oms_kill_sweeps_total 1") != std::string::npos);

  // A strategy-scope trip sweeps nothing at the venues (the engine cancels the strategy's own).
  const auto ks = s.omsctl({"kill", "--scope", "strategy", "--strategy", "market_making"});
  CHECK_MESSAGE(ks.code == 0, (ks.out + ks.err));
  std::this_thread::sleep_for(500ms);
  CHECK(s.http_get("/metrics").second.find("oms_kill_sweeps_total 1") != std::string::npos);

  CHECK(s.stop_omsd() == 0);
}

TEST_CASE("kill switch sweep: a global trip sweeps every account omsd runs, on every venue, without an error") {
  Stack s;
  s.start_omsd();
  VenueView main_view(s.data(), s.venue_port(), "binance_main");
  REQUIRE(eventually([&] { return main_view.mid().is_positive(); }));
  main_view.place_limit("behind-omsd-3", Side::kBuy, "0.001", resting_bid(main_view));

  const auto k = s.omsctl({"kill", "--scope", "global", "--reason", "sweep everything"});
  REQUIRE_MESSAGE(k.code == 0, (k.out + k.err));
  CHECK(eventually([&] { return main_view.open_orders().empty(); }));
  // Every account's sweep ends with its summary line (Upbit's batch cancels are paced 2 s apart).
  const auto accounts = nlohmann::json::parse(s.http_get("/health").second).at("accounts");
  REQUIRE(accounts.size() == 10);
  for (const auto& a : accounts) {
    const std::string name = a.at("account");
    CHECK_MESSAGE(eventually([&] {
                    return testkit::read_file(s.omsd_log()).find("kill sweep: account " + name + ": ") != std::string::npos;
                  }, 60s),
                  name);
  }
  const std::string metrics = s.http_get("/metrics").second;
  for (const auto& a : accounts) {
    const std::string name = a.at("account");
    CHECK_MESSAGE(metrics.find("oms_kill_sweep_errors_total{account=\"" + name + "\"} 0") != std::string::npos, name);
  }
  CHECK(metrics.find("oms_kill_sweeps_total 1") != std::string::npos);
  CHECK(s.stop_omsd() == 0);
}
