// Upbit's KRW market through omsd's risk, whose money limits are in USDT (risk.yaml): an order
// of BTC/KRW is valued through USDT/KRW's mark (venue-sim's Upbit front quotes 1350 KRW per
// USDT plus its premium), so an order of a few hundred USDT passes the 250 000 USDT global order
// notional that its KRW amount (hundreds of thousands) would break, and one of 5 BTC is refused
// with the figure in USDT. The premium of BTC/KRW over Binance's BTC/USDT is listed by
// `omsctl premiums` and /metrics.
#include <doctest/doctest.h>

#include <sstream>

#include "oms/cores/valuation.hpp"
#include "omsd_checks.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

// BTC/KRW's bid from `omsctl top --once` (the engine's tops on the state board); zero: none yet.
Decimal krw_bid(const Stack& s) {
  const auto top = s.omsctl({"top", "--once"});
  std::istringstream in(top.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream cols(line);
    std::string venue, instrument, bid_qty, bid;
    cols >> venue >> instrument >> bid_qty >> bid;
    if (venue != "upbit" || instrument != "BTC/KRW") continue;
    const auto d = Decimal::parse(bid);
    if (d && d->is_positive()) return *d;
  }
  return {};
}

nlohmann::json submit_krw(const Stack& s, const std::string& id, const std::string& qty, Decimal price) {
  return omsctl_json(s, {"submit", "--account", "upbit_main", "--instrument", "BTC/KRW", "--side", "buy", "--qty",
                         qty, "--price", price.to_string(), "--id", id});
}

}  // namespace

TEST_CASE("omsd: an Upbit BTC/KRW order is checked in USDT through USDT/KRW") {
  Stack s;
  s.start_omsd();
  Decimal bid;
  REQUIRE_MESSAGE(wait_until([&] { return (bid = krw_bid(s)).is_positive(); }, 30s),
                  s.omsctl({"top", "--once"}).out);
  // 0.005 BTC 1 % over the bid (on Upbit's 1000 KRW tick; it crosses and fills): 300 000 KRW
  // and more (over 250 000 if counted as USDT), some 300 USDT.
  constexpr std::int64_t kTick = 1000 * Decimal::kOne;
  const Decimal over = Decimal::from_raw(bid.raw() / 100 * 101 / kTick * kTick);
  auto r = submit_krw(s, "KRW-1", "0.005", over);
  CHECK_MESSAGE(r.at("accepted") == true, r.dump());
  wait_orders(s, [](const nlohmann::json& o) { return status_of(o, "KRW-1") == "filled"; }, "upbit_main");
  // The position in KRW, and in USDT through USDT/KRW: some 300 USDT, not 300 000.
  nlohmann::json position;
  REQUIRE_MESSAGE(wait_until([&] {
    const auto positions = omsctl_json(s, {"positions", "--account", "upbit_main"});
    for (const auto& p : positions.at("positions")) {
      if (p.at("instrument") == "BTC/KRW" && !p.value("value_usdt", std::string()).empty()) position = p;
    }
    return !position.is_null();
  }, 10s), omsctl_json(s, {"positions", "--account", "upbit_main"}).dump());
  MESSAGE("BTC/KRW position: " << position.dump());
  CHECK(position.at("quote") == "KRW");
  CHECK(position.at("size") == "0.005");
  const Decimal value = Decimal::parse(position.at("value_usdt").get<std::string>()).value();
  CHECK(value.is_positive());
  CHECK(value < Decimal::from_raw(5000 * Decimal::kOne));
  // 5 BTC at the bid: some 300 000 USDT, over the global 250 000.
  r = submit_krw(s, "KRW-2", "5", bid);
  CHECK_MESSAGE(r.at("accepted") == false, r.dump());
  const std::string message = r.value("message", std::string());
  CHECK_MESSAGE(message.find("risk 2003") != std::string::npos, message);
  CHECK_MESSAGE(message.find("USDT > limit 250000 (global)") != std::string::npos, message);
  (void)omsctl_json(s, {"cancel-all", "--account", "upbit_main", "--instrument", "BTC/KRW"});

  // The premium of Upbit's BTC/KRW over Binance's BTC/USDT at USDT/KRW, in the API and /metrics.
  nlohmann::json premium;
  REQUIRE_MESSAGE(wait_until([&] {
    for (const auto& p : omsctl_json(s, {"premiums"}).value("premiums", nlohmann::json::array())) {
      if (p.at("instrument") == "BTC/KRW" && !p.value("premium_bps", std::string()).empty()) premium = p;
    }
    return !premium.is_null();
  }, 30s), premium.dump());
  MESSAGE("BTC/KRW over Binance: " << premium.dump());
  CHECK(premium.at("venue") == "upbit");
  CHECK(premium.at("rate_instrument") == "USDT/KRW");
  CHECK(premium.at("reference_venue") == "binance");
  CHECK(premium.at("reference_instrument") == "BTC/USDT");
  const auto num = [&](const char* key) { return Decimal::parse(premium.at(key).get<std::string>()).value(); };
  const auto expected = actors::premium_bps(num("price"), num("rate"), num("reference_price"));
  REQUIRE(expected.has_value());
  CHECK(num("premium_bps") == *expected);
  std::string metrics;
  REQUIRE(wait_until([&] {
    metrics = s.http_get("/metrics").second;
    return metrics.find("oms_premium_bps{venue=\"upbit\",instrument=\"BTC/KRW\",rate_instrument=\"USDT/KRW\","
                        "reference_instrument=\"BTC/USDT\"}") != std::string::npos;
  }, 10s));
  // Upbit's KRW market charges 5 bps; exchanges.yaml configures Upbit's 25 (its USDT and BTC
  // markets'): the check at start names both, on /metrics and in the log.
  REQUIRE(wait_until([&] {
    metrics = s.http_get("/metrics").second;
    return metrics.find("oms_fee_rate_bps{account=\"upbit_main\",instrument=\"BTC/KRW\",kind=\"taker\",source=\"venue\"}") !=
           std::string::npos;
  }, 10s));
  CHECK(metrics.find("oms_fee_rate_bps{account=\"upbit_main\",instrument=\"BTC/KRW\",kind=\"taker\",source=\"venue\"} 5\n") !=
        std::string::npos);
  CHECK(metrics.find("oms_fee_rate_bps{account=\"upbit_main\",instrument=\"BTC/KRW\",kind=\"taker\",source=\"configured\"} 25\n") !=
        std::string::npos);
  // The arbitrage legs price with the venue's rates: venue-sim's Binance USD-M charges
  // binance_basis 10 bps where exchanges.yaml says 5, so perp_arbitrage's Binance leg is set to
  // 10 through the engine (a journaled parameter), as the log says.
  std::string fee;
  REQUIRE_MESSAGE(wait_until([&] {
    const auto shown = omsctl_json(s, {"strategy", "show", "perp_arbitrage"});
    for (const auto& p : shown.at("strategies")[0].value("params", nlohmann::json::array())) {
      if (p.value("key", "") == "fee.binance:BTC/USDT:USDT") fee = p.value("value", "");
    }
    return !fee.empty();
  }, 20s), omsctl_json(s, {"strategy", "show", "perp_arbitrage"}).dump());
  CHECK(fee == "10");
  CHECK(s.stop_omsd() == 0);
  const std::string log = testkit::read_file(s.data() / "log" / "omsd.log");
  CHECK_MESSAGE(log.find("strategy perp_arbitrage: leg binance:BTC/USDT:USDT now prices with 10 bps, as binance "
                         "states for binance_basis (was 5 bps; fee.binance:BTC/USDT:USDT=10)") != std::string::npos,
                log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  CHECK_MESSAGE(log.find("fees of upbit_main on BTC/KRW: venue maker 5 bps, taker 5 bps; configured (exchanges.yaml) "
                         "maker 25 bps, taker 25 bps -- they differ") != std::string::npos,
                log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
}
