// ccxt's static bybit request cases (shared/data/ccxt/request/bybit.json) against venue-sim's
// Bybit front: each case of category spot or linear (and the account-wide ones) mapped by
// oms-reqcheck's mapping onto our builders -- the mapping whose output matches ccxt's -- signed
// and sent to a fresh front whose books and balances hold the cases' symbols. Each must be
// served: retCode 0, or the refusal a Bybit account in that state gets (an unknown order id, a
// reduce-only order with no position, a trigger on the wrong side of the price), or venue-sim's
// named refusal of what it does not model (TP/SL attached to orders, a position's trading stop,
// a spot conditional market buy by quote amount). Inverse and option cases are skipped by the
// mapping, as oms-reqcheck skips them.
#include <doctest/doctest.h>

#include <fstream>
#include <map>

#include "bybit_fixture.hpp"
#include "oms_reqcheck_ccxt.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::bybit_test;
namespace bb = oms::bybit;

namespace {

struct Expect {
  int code = 0;
  std::string_view says;  // a part of retMsg, when the answer is a refusal
};

// The cases whose right answer is a refusal; every other case must answer retCode 0.
const std::map<std::string, Expect, std::less<>> kRefusals = {
    // No funds move on a trigger venue-sim cannot size: a market buy's quote amount.
    {"spot market order with stopPrice", {10001, "marketUnit"}},
    // BTC trades at 60000 here: a trigger at 37000 "above" is on the wrong side.
    {"swap limit buy with triggerPrice and triggerDirection above", {110092, "expect Rising"}},
    // ccxt's "Type 2" TP/SL: reduce-only conditional orders, and no position to reduce.
    {"Swap limit buy with takeProfitPrice(Type2)", {110017, "Reduce-only"}},
    {"Swap limit sell with stopLossPrice(Type2)", {110017, "Reduce-only"}},
    // "Type 3": TP/SL attached to the order.
    {"Opening position with sl + tp attached (type 3)", {10001, "takeProfit"}},
    {"Create swap trigger order with stopLoss attached", {10001, "stopLoss"}},
    // A trailing stop on a position that does not exist.
    {"Swap trailingAmount order", {10001, "can not set tp/sl/ts for zero position"}},
    // Order ids that were never placed here.
    {"Swap cancelOrder", {110001, "order not exists"}},
    {"Spot cancelOrder", {170213, "Order does not exist."}},
};

// Batches answer retCode 0 with each item's code.
const std::map<std::string, int, std::less<>> kBatchItemCodes = {
    {"Spot create orders", 0}, {"Swap cancelOrders", 110001}, {"Spot cancelOrders", 170213}};

Instrument case_instrument(Market m, const char* base, const char* tick) {
  Instrument in;
  in.exchange = ExchangeId::kBybit;
  in.market = m;
  in.venue_symbol = std::string(base) + "USDT";
  in.symbol.base = base;
  in.symbol.quote = "USDT";
  if (m == Market::kUsdm) in.symbol.settle = "USDT";
  auto& r = in.rules;
  r.tick_size = d(tick);
  r.min_price = r.tick_size;
  r.max_price = d("1000000");
  r.step_size = d("0.001");
  r.min_qty = r.step_size;
  r.max_qty = d("1000000");
  r.market_max_qty = r.max_qty;
  r.min_notional = m == Market::kSpot ? d("1") : d("5");
  r.max_notional = d("10000000");
  r.max_num_orders = 500;
  r.max_num_algo_orders = 30;
  return in;
}

// The symbols ccxt's cases trade, with a book and a last trade around a price of today.
struct Listed {
  const char* base;
  const char* tick;
  const char* price;
};
constexpr Listed kListed[] = {{"LTC", "0.01", "70"}, {"ADA", "0.0001", "0.3"}, {"XRP", "0.0001", "0.5"},
                              {"TRX", "0.00001", "0.1"}};

std::unique_ptr<BybitFixture> case_front() {
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  auto cfg = BybitFixture::config(clock);
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    auto& list = m == Market::kSpot ? cfg.spot_instruments : cfg.linear_instruments;
    for (const auto& l : kListed) list.push_back(case_instrument(m, l.base, l.tick));
  }
  for (auto& a : cfg.accounts) {
    a.spot_balances = {{"USDT", d("1000000")}, {"BTC", d("10")}, {"ETH", d("100")}, {"LTC", d("1000")},
                       {"ADA", d("1000000")}, {"XRP", d("1000000")}, {"TRX", d("1000000")}};
    a.linear_usdt = d("1000000");
  }
  auto f = std::make_unique<BybitFixture>(cfg);
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    f->front->on_trade(m, "BTCUSDT", {d("60000"), d("0.01"), false});
    for (const auto& l : kListed) {
      const Decimal p = d(l.price), step = *d(l.tick).mul_int(10);
      sim::BookSnapshotIn s;
      s.bids = {{*p.sub(step), d("100000")}};
      s.asks = {{*p.add(step), d("100000")}};
      f->front->on_snapshot(m, std::string(l.base) + "USDT", s);
      f->front->on_trade(m, std::string(l.base) + "USDT", {p, d("1"), false});
    }
  }
  return f;
}

}  // namespace

TEST_CASE("ccxt's bybit request cases (spot, linear, account) are served by venue-sim: retCode 0 or the right refusal") {
  std::ifstream in(testkit::shared_data() / "ccxt" / "request" / "bybit.json");
  REQUIRE(in);
  const auto file = nlohmann::json::parse(in);
  std::size_t served = 0, refused = 0, skipped = 0;
  for (const auto& [method, cases] : file.at("methods").items()) {
    for (const auto& tc : cases) {
      const std::string what = tc.at("description").get<std::string>();
      CAPTURE(what);
      bb::RestRequest req;
      try {
        req = reqcheck::map_bybit_call(method, tc.at("input"), tc.value("options", nlohmann::json::object()));
      } catch (const reqcheck::Skip& s) {
        MESSAGE("skipped: " << what << ": " << s.reason);
        ++skipped;
        continue;
      } catch (const reqcheck::Fail& fl) {
        FAIL("mapping failed: " << fl.reason);
      }
      auto f = case_front();
      const auto a = f->send(bb::Req(req), f->alice);
      INFO(a.body);
      REQUIRE(a.status == 200);
      if (const auto r = kRefusals.find(what); r != kRefusals.end()) {
        CHECK(a.code() == r->second.code);
        CHECK(a.msg().find(r->second.says) != std::string::npos);
        ++refused;
        continue;
      }
      CHECK(a.code() == 0);
      if (const auto b = kBatchItemCodes.find(what); b != kBatchItemCodes.end()) {
        for (const auto& item : a.json["retExtInfo"]["list"]) CHECK(item["code"] == b->second);
      }
      ++served;
    }
  }
  // 60 cases: 5 skipped (inverse, options) as oms-reqcheck skips them.
  CHECK(skipped == 5);
  CHECK(refused == kRefusals.size());
  CHECK(served + refused + skipped == 60);
}
