// ccxt's static okx request cases (shared/data/ccxt/request/okx.json) against venue-sim's OKX
// front: every trading call (a /api/v5/trade/ or /api/v5/account/ url) is sent as ccxt sends it
// -- the url's path and query, ccxt's JSON body, signed with OKX's scheme -- to a fresh front
// whose books and balances hold the cases' instruments. A served endpoint must answer code "0"
// (and sCode "0" per item), or the refusal an OKX account in that state gets (order ids never
// placed here, an instrument venue-sim does not list), or venue-sim's named refusal of what it
// does not model (TP/SL attached to orders, algo order kinds it does not have). The endpoints
// venue-sim knows and refuses answer 50030 naming them; those it does not serve at all are
// counted as skipped.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>

#include "okx_fixture.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::okx_test;
using nlohmann::json;

namespace {

struct Expect {
  std::string code;    // the envelope's
  std::string s_code;  // the first item's, when the answer has items
  std::string_view says;
};

// The cases whose right answer is a refusal; every other served case must answer code "0".
const std::map<std::string, Expect, std::less<>> kRefusals = {
    // TP/SL attached to the order (attachAlgoOrds): venue-sim does not model them.
    {"type2 & type3 together", {"1", "51000", "attachAlgoOrds"}},
    {"sell order with stopLoss", {"1", "51000", "attachAlgoOrds"}},
    {"Opening position with tp + sl attached (type 3)", {"1", "51000", "attachAlgoOrds"}},
    {"Swap create an order with a take profit and stop loss attached using the createOrderWithTakeProfitAndStopLoss method (type 3)",
     {"1", "51000", "attachAlgoOrds"}},
    {"Swap edit an orders stopLossPrice", {"1", "51000", "newSlTriggerPx"}},
    {"Swap edit an orders take profit price", {"1", "51000", "newTpTriggerPx"}},
    {"Swap edit an orders take profit", {"1", "51000", "newTpTriggerPx"}},
    // Inverse contracts are not listed.
    {"Swap inverse market long order", {"1", "51001", "Instrument ID does not exist"}},
    {"Create a one-way-mode order with position side set to net", {"1", "51001", "Instrument ID does not exist"}},
    // Algo orders venue-sim does not have, or on the wrong side of today's prices (BTC at 60000).
    {"Swap trailingPercent order", {"1", "51000", "move_order_stop"}},
    {"create a trailinPrice order to close a long position", {"1", "51000", "move_order_stop"}},
    {"order with closeFraction shouldn't send sz", {"1", "51000", "closeFraction"}},
    {"spot takeProfitPrice buy order", {"1", "51000", "spot margin"}},
    {"spot stopLossPrice buy order", {"1", "51000", "spot margin"}},
    {"Swap create a take profit trigger order using the createTakeProfitOrder method (type 2)",
     {"1", "51279", "TP trigger price can not be lower than the last price"}},
    // A hedged account's SL / TP sell closing a long it does not hold: the core checks at placement
    // (OKX would check at the trigger).
    {"Swap limit sell with stopLossPrice and posSide = long.", {"1", "51169", "positions in this direction"}},
    {"contract with hedged market sell and stopLossPrice", {"1", "51169", "positions in this direction"}},
    {"Swap create a stop loss trigger order using the createStopLossOrder method (type 2)", {"1", "51169", "positions in this direction"}},
    // Algo ids never placed here.
    {"Cancel stop order", {"1", "51400", "does not exist"}},
    {"Cancel multiple spot stop orders", {"1", "51400", "does not exist"}},
    {"Cancel multiple swap stop orders", {"1", "51400", "does not exist"}},
    {"Swap cancel multiple trailing orders", {"1", "51400", "does not exist"}},
    // ccxt leaves its own option in the body; OKX ignores what it does not know, venue-sim
    // refuses it by name (as its Bybit front does: a misspelt parameter is a client bug).
    {"Market sell", {"1", "51000", "createMarketBuyOrderRequiresPrice"}},
    // Order ids that were never placed here.
    {"Spot edit an orders price and amount", {"1", "51503", "does not exist"}},
    {"Spot fetch order", {"51603", "", "Order does not exist"}},
    {"Swap fetch order", {"51603", "", "Order does not exist"}},
    {"Spot cancel order", {"1", "51400", "does not exist"}},
    {"Cancel multiple spot orders", {"1", "51400", "does not exist"}},
    {"cancelOrdersForSymbols", {"1", "51400", "does not exist"}},
};

OkxInstrument listed(Market m, const char* base, const char* tick, const char* ct_val) {
  OkxInstrument o = default_okx_instruments(m).front();
  const bool spot = m == Market::kSpot;
  o.tick_sz = d(tick);
  o.lot_sz = spot ? d("0.000001") : d("1");
  o.min_sz = o.lot_sz;
  if (!spot) o.ct_val = d(ct_val);
  Instrument& in = o.venue;
  in.venue_symbol = std::string(base) + "-USDT" + (spot ? "" : "-SWAP");
  in.symbol.base = base;
  auto& r = in.rules;
  r.tick_size = o.tick_sz;
  r.min_price = o.tick_sz;
  r.step_size = spot ? o.lot_sz : o.ct_val;
  r.min_qty = r.step_size;
  r.max_qty = d("100000000");
  r.market_max_qty = r.max_qty;
  return o;
}

struct Listed {
  const char* base;
  const char* tick;
  const char* ct_val;
  const char* price;
};
constexpr Listed kListed[] = {{"LTC", "0.01", "1", "70"}, {"ADA", "0.0001", "100", "0.3"}, {"XRP", "0.0001", "100", "0.5"}};

std::unique_ptr<OkxFixture> case_front() {
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  auto cfg = OkxFixture::config(clock);
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    auto& list = m == Market::kSpot ? cfg.spot_instruments : cfg.swap_instruments;
    for (const auto& l : kListed) list.push_back(listed(m, l.base, l.tick, l.ct_val));
  }
  for (auto& a : cfg.accounts) {
    a.spot_balances = {{"USDT", d("1000000")}, {"BTC", d("10")}, {"LTC", d("1000")}, {"ADA", d("1000000")}, {"XRP", d("1000000")}};
    a.swap_usdt = d("1000000");
  }
  auto f = std::make_unique<OkxFixture>(cfg);
  f->clock = clock;
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    const std::string swap = m == Market::kSpot ? "" : "-SWAP";
    f->front->on_trade(m, "BTC-USDT" + swap, {d("60000"), d("0.01"), false});
    sim::BookSnapshotIn eth;
    eth.bids = {{d("2999"), d("100")}};
    eth.asks = {{d("3001"), d("100")}};
    f->front->on_snapshot(m, "ETH-USDT" + swap, eth);
    f->front->on_trade(m, "ETH-USDT" + swap, {d("3000"), d("0.1"), false});
    for (const auto& l : kListed) {
      const Decimal p = d(l.price), step = *d(l.tick).mul_int(10);
      sim::BookSnapshotIn s;
      s.bids = {{*p.sub(step), d("100000")}};
      s.asks = {{*p.add(step), d("100000")}};
      f->front->on_snapshot(m, std::string(l.base) + "-USDT" + swap, s);
      f->front->on_trade(m, std::string(l.base) + "-USDT" + swap, {p, d("1"), false});
    }
  }
  return f;
}

}  // namespace

TEST_CASE("ccxt's okx trading request cases are served by venue-sim: code 0 or the right refusal") {
  std::ifstream in(testkit::shared_data() / "ccxt" / "request" / "okx.json");
  REQUIRE(in);
  const auto file = json::parse(in);
  std::size_t served = 0, refused_expected = 0, refused_by_name = 0, not_served = 0;
  std::set<std::string> refusals_seen;
  for (const auto& [method, cases] : file.at("methods").items()) {
    for (const auto& tc : cases) {
      std::string url = tc.at("url").get<std::string>();
      const std::string host = "https://www.okx.com";
      if (url.rfind(host, 0) == 0) url = url.substr(host.size());
      if (url.rfind("/api/v5/trade/", 0) != 0 && url.rfind("/api/v5/account/", 0) != 0) continue;
      const std::string what = tc.at("description").get<std::string>();
      CAPTURE(what);
      CAPTURE(url);
      const bool post = tc.contains("output") && tc["output"].is_string();
      const std::string body = post ? tc["output"].get<std::string>() : std::string();
      auto f = case_front();
      // ccxt sends posSide long / short for a hedged account: the account is in long_short_mode.
      if (body.find("\"posSide\":\"long\"") != std::string::npos || body.find("\"posSide\":\"short\"") != std::string::npos)
        REQUIRE(f->post("/api/v5/account/set-position-mode", {{"posMode", "long_short_mode"}}, f->alice).code() == "0");
      const auto a = f->send_raw(f->signed_request(post ? "POST" : "GET", url, body, f->alice, f->now()));
      INFO(a.body);
      if (a.status == 404) {
        MESSAGE("not served: " << url);
        ++not_served;
        continue;
      }
      if (a.code() == "50030") {
        CHECK(a.status == 200);
        CHECK(a.msg().find("venue-sim does not serve") != std::string::npos);
        ++refused_by_name;
        continue;
      }
      if (const auto r = kRefusals.find(what); r != kRefusals.end()) {
        CHECK(a.code() == r->second.code);
        if (!r->second.s_code.empty()) {
          for (const auto& item : a.data()) CHECK(item.at("sCode") == r->second.s_code);
          CHECK(a.first().at("sMsg").get<std::string>().find(r->second.says) != std::string::npos);
        } else {
          CHECK(a.msg().find(r->second.says) != std::string::npos);
        }
        ++refused_expected;
        refusals_seen.insert(what);
        continue;
      }
      CHECK(a.status == 200);
      CHECK(a.code() == "0");
      if (a.json.contains("data")) {
        for (const auto& item : a.data()) {
          if (item.contains("sCode")) CHECK(item.at("sCode") == "0");
        }
      }
      ++served;
    }
  }
  MESSAGE("served " << served << ", expected refusals " << refused_expected << ", refused by name " << refused_by_name
                    << ", not served " << not_served);
  CHECK(refusals_seen.size() == kRefusals.size());
  // 80 trading cases: 33 served (code 0), 30 the right refusal, 6 refused by name (amend-algos,
  // close-position, cancel-all-after, margin adjustment), 11 of endpoints venue-sim does not serve
  // (bills, interest, leverage-info, positions-history).
  CHECK(served == 33);
  CHECK(refused_expected == 30);
  CHECK(refused_by_name == 6);
  CHECK(not_served == 11);
}
