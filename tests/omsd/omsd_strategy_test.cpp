// The strategy stage in the daemon: a basis pair in strategies.yaml (spot BTC/USDT against the
// USD-M perpetual, `legs`) trades on venue-sim replaying the recorded BTCUSDT streams. Each
// signal sends both legs down the one order path (risk, desk, journal, encode + sign on the
// shard); omsd and the venue agree on every order and fill of both legs; each order is the
// strategy's and was traced from its depth message to the socket.
#include <doctest/doctest.h>

#include <set>

#include "omsd_checks.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;


TEST_CASE("paper stack: a basis pair in strategies.yaml trades both legs through the engine; omsd and the venue agree") {
  const std::filesystem::path shared = OMS_DEFAULT_SHARED_DATA "/hftbacktest";
  const auto spot = shared / "spot_btcusdt_20240808.gz";
  const auto usdm = shared / "usdm_btcusdt_20240808.gz";
  REQUIRE_MESSAGE(std::filesystem::exists(usdm), usdm.string());
  StackOptions o;
  o.venue_flags = {"--replay", spot.string(), usdm.string(), "--speed", "1"};
  Stack s(o);
  const auto cfg = s.configs();
  // perp_arbitrage: the basis pair, no fees, the smallest profit rate: it fires whenever the
  // books cross (the recorded basis keeps them crossed), once per 250 ms, 100 USDT a leg.
  use_basis_pair(cfg);
  s.start_omsd();
  REQUIRE(wait_until([&] {
    return omsctl_json(s, {"orders", "--account", "binance_basis"}).at("orders").size() >= 8;
  }, 30s));
  const auto metrics = s.http_get("/metrics").second;
  // The strategy stops with the daemon; started again without it, nothing new is sent and the
  // comparison holds still.
  CHECK(s.stop_omsd() == 0);
  replace_in_file(cfg / "strategies.yaml", "  perp_arbitrage:\n    type: arbitrage\n    enabled: true\n",
             "  perp_arbitrage:\n    type: arbitrage\n    enabled: false\n");
  s.start_omsd();
  const auto orders = wait_quiet(s, "binance_basis");

  REQUIRE(orders.size() >= 8);
  std::map<std::string, int> by_instrument;
  for (const auto& order : orders) {
    INFO(order.dump());
    CHECK(order.at("strategy") == "perp_arbitrage");
    CHECK(order.at("tif") == "ioc");
    CHECK(order.at("order_type") == "limit");
    // 100 USDT a leg at ~61,000: 0.001 BTC, the perpetual's lot step.
    CHECK(order.at("quantity") == "0.001");
    ++by_instrument[order.at("instrument")];
  }
  // Both legs of every signal (a leg refused by risk would show as rejected, still counted).
  CHECK(by_instrument["BTC/USDT"] == by_instrument["BTC/USDT:USDT"]);
  VenueView venue_spot(s.data(), s.venue_port(), "binance_basis", Market::kSpot);
  VenueView venue_usdm(s.data(), s.venue_port(), "binance_basis.usdm", Market::kUsdm);
  const auto spot_orders = venue_spot.orders();
  const auto usdm_orders = venue_usdm.orders();
  CHECK(check_orders_agree(orders, "BTC/USDT", spot_orders) == spot_orders.size());
  CHECK(check_orders_agree(orders, "BTC/USDT:USDT", usdm_orders) == usdm_orders.size());
  CHECK(spot_orders.size() + usdm_orders.size() >= 8);
  // Fills: the venue's trades, once each.
  std::set<std::string> ours;
  const auto fills = omsctl_json(s, {"fills", "--account", "binance_basis"});
  for (const auto& f : fills.at("fills")) {
    CHECK_MESSAGE(f.at("strategy") == "perp_arbitrage", f.dump());  // the order's strategy
    CHECK(ours.insert(f.at("trade_id").get<std::string>()).second);
  }
  std::set<std::string> theirs;
  for (const auto& f : venue_spot.fills()) theirs.insert(f.trade_id.str());
  for (const auto& f : venue_usdm.fills()) theirs.insert(f.trade_id.str());
  std::string diff;
  for (const auto& t : ours)
    if (!theirs.count(t)) diff += " omsd-only:" + t;
  for (const auto& t : theirs)
    if (!ours.count(t)) diff += " venue-only:" + t;
  CHECK_MESSAGE(ours == theirs, ours.size() << " vs " << theirs.size() << diff);
  // Every order the stage sent was traced from its depth message to the socket.
  const std::string key = "oms_order_to_wire_count{origin=\"market_data\"} ";
  const auto at = metrics.find(key);
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(metrics.substr(at + key.size())) >= 8);
  CHECK(s.stop_omsd() == 0);
}
