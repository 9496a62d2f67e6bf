// ccxt's static upbit request cases (shared/data/ccxt/request/upbit.json) against venue-sim's
// Upbit front: each case is sent as ccxt sends it -- POST for createOrder (the JSON body ccxt
// builds), DELETE for cancelOrder, GET for the fetches, the url's path and query as they are --
// with a JWT whose query_hash covers ccxt's (urlencoded) query or body fields, to a front that
// lists USDT-BTC besides the KRW markets (ccxt's cases trade USDT-BTC). A served trading call must
// succeed, or answer the refusal Upbit gives an account in that state (a market venue-sim does not
// list, an order never placed); the endpoints venue-sim does not serve answer 404 naming them.
#include <doctest/doctest.h>

#include <fstream>
#include <map>

#include "testkit/paths.hpp"
#include "upbit_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::upbit_test;
using nlohmann::json;

namespace {

struct Expect {
  unsigned status;
  std::string_view name;
};

// The cases whose right answer is a refusal.
const std::map<std::string, Expect, std::less<>> kRefusals = {
    {"Spot IOC limit sell order", {404, "market_does_not_exist"}},  // SGD-XRP: a regional market
    {"Spot FOK limit sell order", {404, "market_does_not_exist"}},
    {"Spot cancel sell order", {404, "order_not_found"}},  // never placed here
    {"spot tickers", {404, "market_does_not_exist"}},      // USDT-ETH is not listed
    {"withdraw usdt", {404, "not_found"}},                 // withdrawals: not served
    {"withdraw krw", {404, "not_found"}},
    {"Fetch a withdrawal", {404, "not_found"}},
    {"Fetch a deposit", {404, "not_found"}},
    {"spot ohlcv", {404, "not_found"}},  // candles: not served
};

std::string path_of(const std::string& url) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

}  // namespace

TEST_CASE("ccxt upbit request cases: trading calls served as ccxt sends them") {
  const auto file = testkit::shared_data() / "ccxt" / "request" / "upbit.json";
  std::ifstream in(file);
  REQUIRE_MESSAGE(in.good(), "missing " << file.string());
  const json doc = json::parse(in);
  UpbitFixture f([](UpbitFrontConfig& c) { c.markets.push_back(upbit_market("USDT-BTC", "비트코인", "Bitcoin")); });
  sim::BookSnapshotIn s;
  s.bids = {{d("59999.99"), d("1")}};
  s.asks = {{d("60000.01"), d("1")}};
  f.front->on_snapshot(Market::kSpot, "USDT-BTC", s);

  int ok = 0, refused = 0;
  for (const auto& [method, cases] : doc.at("methods").items()) {
    for (const auto& c : cases) {
      const std::string desc = c.at("description");
      INFO(desc);
      const std::string target = path_of(c.at("url"));
      const auto q = target.find('?');
      const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
      net::HttpRequest r;
      r.target = target;
      std::string hashed = query;
      const bool post = method == "createOrder" || method == "createMarketBuyOrderWithCost" || method == "withdraw";
      if (post) {
        r.method = "POST";
        r.body = c.value("output", "{}");
        hashed.clear();
        const auto body = nlohmann::ordered_json::parse(r.body);
        for (const auto& [k, v] : body.items())
          hashed += (hashed.empty() ? "" : "&") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
      } else {
        r.method = method == "cancelOrder" ? "DELETE" : "GET";
      }
      r.headers = {{"Authorization", "Bearer " + jwt(f.alice, f.nonce(), hashed)}};
      const auto a = f.send_raw(r);
      if (const auto it = kRefusals.find(desc); it != kRefusals.end()) {
        CHECK(a.status == it->second.status);
        CHECK(a.error() == it->second.name);
        ++refused;
        continue;
      }
      CHECK_MESSAGE((a.status == 200 || a.status == 201), a.body);
      if (post) CHECK(a.json.value("market", "") == "USDT-BTC");
      ++ok;
    }
  }
  CHECK(ok == 11);
  CHECK(refused == static_cast<int>(kRefusals.size()));
}
