// The automatic kill switch, end to end on the paper stack: risk.yaml gives binance_main a
// kill_switch max_consecutive_losses of 2; venue-sim's book walks one tick a second at most with
// a two-tick spread, so a market buy and a market sell sent back to back pay the spread: real
// round trips are losses in a row and omsd trips the account by itself -- recorded, its resting order cancelled at the
// venue, /metrics showing the state and the trip -- refuses new orders with the reason, and only
// an operator's reset (omsctl reset) lets orders through again.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "omsd_checks.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

// A price 0.5 % under the mid, down to the 0.01 tick: rests, inside risk.yaml's 100 bps band of BTC/USDT.
std::string resting_bid(VenueView& v) {
  const auto price = v.mid().mul(*Decimal::parse("0.995"), Rounding::kDown);
  REQUIRE(price.ok());
  const auto on_tick = price->round_to(*Decimal::parse("0.01"), Rounding::kDown);
  REQUIRE(on_tick.ok());
  return on_tick->to_string();
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("automatic kill switch: losing round trips on real fills reach binance_main's kill_switch max_consecutive_losses -- omsd trips it by itself, cancels its open order at the venue, refuses new orders with the reason until an operator resets it") {
  StackOptions o;
  o.venue_flags = {"--random-walk", "7", "--walk-interval-ms", "1000"};  // a tick a second at most
  o.edit_configs = [](const std::filesystem::path& configs) {
    replace_in_file(configs / "risk.yaml", "  flatten_positions: false\n",
                    "  flatten_positions: false\n"
                    "  accounts:\n"
                    "    binance_main: {max_consecutive_losses: 2}\n");
  };
  Stack s(o);
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  REQUIRE(wait_until([&] { return venue.mid().is_positive(); }, 15s));
  {
    const std::string m = s.http_get("/metrics").second;
    CHECK(has(m, "oms_kill_switch_state{scope=\"account\",id=\"binance_main\"} 0"));
    CHECK(has(m, "oms_kill_switch_trips_total{reason=\"consecutive_losses\"} 0"));
  }

  // A resting bid through omsd, at the venue (once omsd has a mark for its price band).
  nlohmann::json rest;
  int attempt = 0;
  REQUIRE_MESSAGE(wait_until([&] {
    rest = submit(s, "AT-REST-" + std::to_string(++attempt), "buy", "0.001", resting_bid(venue));
    return rest.at("accepted") == true;
  }, 30s), rest.dump());
  const std::string resting = rest.at("client_order_id");
  REQUIRE(wait_until([&] {
    const auto open = venue.open_orders();
    return std::find(open.begin(), open.end(), resting) != open.end();
  }, 15s));

  // Round trips: a market buy at the ask and a market sell at the bid, back to back -- each
  // close a loss of the spread (a step of the walk between them moves a tick, the spread is two).
  const auto round_trip = [&](int n) {
    const std::string b = "AT-BUY-" + std::to_string(n), x = "AT-SELL-" + std::to_string(n);
    const auto buy = submit(s, b, "buy", "0.002", "", "market");
    const auto sell = submit(s, x, "sell", "0.002", "", "market");
    REQUIRE_MESSAGE(buy.at("accepted") == true, buy.dump());
    REQUIRE_MESSAGE(sell.at("accepted") == true, sell.dump());
    wait_orders(s, [&](const nlohmann::json& orders) {
      return status_of(orders, b) == "filled" && status_of(orders, x) == "filled";
    });
  };
  const auto halted = [&] {
    return has(s.http_get("/metrics").second, "oms_kill_switch_state{scope=\"account\",id=\"binance_main\"} 2");
  };
  // Each closing fill counts (a sell that takes two levels is two losses in a row).
  CHECK_FALSE(halted());
  for (int n = 1; n <= 6 && !halted(); ++n) {
    round_trip(n);
    (void)wait_until(halted, 2s);
  }

  // omsd trips the account by itself: the metric, the log with the reason, the venue's book.
  REQUIRE_MESSAGE(wait_until(halted, 10s), testkit::read_file(s.omsd_log()));
  const std::string m = s.http_get("/metrics").second;
  CHECK(has(m, "oms_kill_switch_trips_total{reason=\"consecutive_losses\"} 1"));
  CHECK(has(m, "oms_kill_switch_trips_total{reason=\"daily_loss\"} 0"));
  CHECK(has(m, "oms_kill_switch_state{scope=\"global\",id=\"global\"} 0"));
  CHECK(has(m, "oms_kill_switch_state{scope=\"account\",id=\"binance_spot_arb\"} 0"));
  CHECK(wait_until([&] {
    return has(testkit::read_file(s.omsd_log()), "-> halted: auto 3221 consecutive_losses: 2 >= 2 (account ");
  }, 10s));
  CHECK(wait_until([&] { return venue.orders().at(resting).status == "canceled"; }, 15s));
  CHECK(venue.open_orders().empty());
  wait_orders(s, [&](const nlohmann::json& orders) { return status_of(orders, resting) == "canceled"; });
  // The venue sweep ran for the trip too (an account trip to HALTED).
  CHECK(wait_until([&] { return has(s.http_get("/metrics").second, "oms_kill_sweeps_total 1"); }, 10s));

  // New orders refused, with the reason.
  const auto refused = submit(s, "AT-REFUSED-1", "buy", "0.001", resting_bid(venue));
  CHECK_MESSAGE(refused.at("accepted") == false, refused.dump());
  CHECK(refused.value("code", 0) == 2001);
  CHECK(has(refused.value("message", std::string()), "risk 2001: kill switch halted (account "));

  // Only the operator's reset lets orders through again.
  const auto reset = s.omsctl({"reset", "--scope", "account", "--account", "binance_main"});
  REQUIRE_MESSAGE(reset.code == 0, (reset.out + reset.err));
  CHECK(wait_until([&] {
    return has(s.http_get("/metrics").second, "oms_kill_switch_state{scope=\"account\",id=\"binance_main\"} 0");
  }, 10s));
  const auto after = submit(s, "AT-AFTER-1", "buy", "0.001", resting_bid(venue));
  CHECK_MESSAGE(after.at("accepted") == true, after.dump());
  CHECK(has(s.http_get("/metrics").second, "oms_kill_switch_trips_total{reason=\"consecutive_losses\"} 1"));

  // The day's PnL so far: the round trips' losses and fees (flat: no mark moves it).
  const std::string key = "oms_risk_day_pnl_usdt{scope=\"account\",id=\"binance_main\"} ";
  const auto day_pnl = [&] {
    const std::string text = s.http_get("/metrics").second;
    const auto at = text.find(key);
    return at == std::string::npos ? std::string()
                                   : text.substr(at + key.size(), text.find('\n', at) - at - key.size());
  };
  std::string before;
  REQUIRE(wait_until([&] { before = day_pnl(); return !before.empty() && before != "0"; }, 5s));
  CHECK(before.front() == '-');
  CHECK(s.stop_omsd() == 0);

  // A restart the same day: risk's books folded from the stored fills -- the same day's PnL; the
  // losses in a row the operator reset still hold, and do not trip the switch again by themselves.
  s.start_omsd();
  CHECK(wait_until([&] { return day_pnl() == before; }, 10s));
  CHECK_MESSAGE(has(testkit::read_file(s.omsd_log()), "risk: books folded from "), testkit::read_file(s.omsd_log()));
  const auto again = submit(s, "AT-AGAIN-1", "buy", "0.001", resting_bid(venue));
  CHECK_MESSAGE(again.at("accepted") == true, again.dump());
  std::this_thread::sleep_for(2s);  // marks come: the figures are looked at again
  const std::string m2 = s.http_get("/metrics").second;
  CHECK(has(m2, "oms_kill_switch_state{scope=\"account\",id=\"binance_main\"} 0"));
  CHECK(has(m2, "oms_kill_switch_trips_total{reason=\"consecutive_losses\"} 0"));
  CHECK(s.stop_omsd() == 0);
}
