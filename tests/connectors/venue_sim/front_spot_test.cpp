// venue-sim front, spot: signed REST over real TLS with our request builders, the user-data
// stream over WSS, signature / key / timestamp errors, rate limits.
#include <doctest/doctest.h>

#include "front_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::test;

namespace {

nlohmann::json balance(const nlohmann::json& account, const std::string& asset) {
  for (const auto& b : account["balances"]) {
    if (b["asset"] == asset) return b;
  }
  return {};
}

}  // namespace

TEST_CASE("spot: a limit buy through two ask levels partially fills (FULL fills), rests, is queried, listed and canceled") {
  FrontFixture f;
  const auto& ins = f.ins(Market::kSpot);
  auto r = f.send(binance::spot_new_order(ins, order(Side::kBuy, "4", "100.01", "c1")), f.alice);
  REQUIRE(r.status == 200);
  auto j = body(r);
  CHECK(j["symbol"] == "BTCUSDT");
  CHECK(j["clientOrderId"] == "c1");
  CHECK(j["status"] == "PARTIALLY_FILLED");
  CHECK(j["origQty"] == "4.00000000");
  CHECK(j["executedQty"] == "3.00000000");
  CHECK(j["cummulativeQuoteQty"] == "300.02000000");
  REQUIRE(j["fills"].size() == 2);
  CHECK(j["fills"][0]["price"] == "100.00000000");
  CHECK(j["fills"][0]["qty"] == "1.00000000");
  CHECK(j["fills"][0]["commission"] == "0.00100000");
  CHECK(j["fills"][0]["commissionAsset"] == "BTC");
  CHECK(j["fills"][1]["price"] == "100.01000000");
  CHECK(j["fills"][1]["qty"] == "2.00000000");
  REQUIRE(r.header("X-MBX-USED-WEIGHT-1M") != nullptr);
  CHECK(*r.header("X-MBX-USED-WEIGHT-1M") == "1");
  REQUIRE(r.header("X-MBX-ORDER-COUNT-10S") != nullptr);
  CHECK(*r.header("X-MBX-ORDER-COUNT-10S") == "1");
  CHECK(*r.header("X-MBX-ORDER-COUNT-1D") == "1");
  const std::int64_t id = j["orderId"];

  auto q = body(f.send(binance::spot_query_order(ins, {0, "c1"}), f.alice));
  CHECK(q["orderId"] == id);
  CHECK(q["status"] == "PARTIALLY_FILLED");
  CHECK(q["isWorking"] == true);

  auto open = body(f.send(binance::spot_open_orders(&ins), f.alice));
  REQUIRE(open.size() == 1);
  CHECK(open[0]["clientOrderId"] == "c1");

  auto acct = body(f.send(binance::spot_account(), f.alice));
  CHECK(balance(acct, "USDT")["free"] == "9599.97000000");  // 10000 - 300.02 - 1 x 100.01 locked
  CHECK(balance(acct, "USDT")["locked"] == "100.01000000");
  CHECK(balance(acct, "BTC")["free"] == "3.99700000");  // 1 + 3 - 0.003 taker fee

  auto c = f.send(binance::spot_cancel_order(ins, binance::OrderRef{0, "c1"}), f.alice);
  REQUIRE(c.status == 200);
  auto cj = body(c);
  CHECK(cj["status"] == "CANCELED");
  CHECK(cj["origClientOrderId"] == "c1");
  CHECK(cj["executedQty"] == "3.00000000");
  CHECK(body(f.send(binance::spot_open_orders(&ins), f.alice)).empty());
  acct = body(f.send(binance::spot_account(), f.alice));
  CHECK(balance(acct, "USDT")["free"] == "9699.98000000");
  CHECK(balance(acct, "USDT")["locked"] == "0.00000000");

  auto again = f.send(binance::spot_cancel_order(ins, binance::OrderRef{0, "c1"}), f.alice);
  CHECK(again.status == 400);
  CHECK(body(again)["code"] == -2011);
  CHECK(body(again)["msg"] == "Unknown order sent.");
  auto all = body(f.send(binance::spot_all_orders(ins), f.alice));
  REQUIRE(all.size() == 1);
  CHECK(all[0]["status"] == "CANCELED");
  auto trades = body(f.send(binance::spot_my_trades(ins), f.alice));
  REQUIRE(trades.size() == 2);
  CHECK(trades[1]["price"] == "100.01000000");
  CHECK(trades[1]["isBuyer"] == true);
  CHECK(trades[1]["isMaker"] == false);
}

TEST_CASE("spot: the user-data stream carries executionReport and outboundAccountPosition with Binance's fields") {
  FrontFixture f;
  const auto& ins = f.ins(Market::kSpot);
  auto lk = f.send(binance::spot_listen_key(binance::HttpMethod::kPost), f.alice);
  REQUIRE(lk.status == 200);
  const std::string key = body(lk)["listenKey"];
  CHECK(key == f.front->listen_key("alice"));
  auto& inbox = f.open_ws("/ws/" + key, std::make_shared<Inbox>());

  // A resting sell from alice, then bob's buy fills it: alice gets NEW, then TRADE as maker.
  REQUIRE(f.send(binance::spot_new_order(ins, order(Side::kSell, "0.5", "99.80", "s1")), f.alice).status == 200);
  REQUIRE(f.send(binance::spot_new_order(ins, order(Side::kBuy, "0.2", "99.80", "b1")), f.bob).status == 200);
  REQUIRE(wait_for([&] { return inbox.events("executionReport").size() >= 2; }));
  REQUIRE(wait_for([&] { return inbox.events("outboundAccountPosition").size() >= 2; }));
  const auto reports = inbox.events("executionReport");
  REQUIRE(reports.size() == 2);
  const auto& n = reports[0];
  CHECK(n["s"] == "BTCUSDT");
  CHECK(n["c"] == "s1");
  CHECK(n["S"] == "SELL");
  CHECK(n["o"] == "LIMIT");
  CHECK(n["f"] == "GTC");
  CHECK(n["q"] == "0.50000000");
  CHECK(n["p"] == "99.80000000");
  CHECK(n["x"] == "NEW");
  CHECK(n["X"] == "NEW");
  CHECK(n["t"] == -1);
  CHECK(n["N"].is_null());
  CHECK(n["w"] == true);
  const auto& t = reports[1];
  CHECK(t["x"] == "TRADE");
  CHECK(t["X"] == "PARTIALLY_FILLED");
  CHECK(t["l"] == "0.20000000");
  CHECK(t["L"] == "99.80000000");
  CHECK(t["z"] == "0.20000000");
  CHECK(t["Z"] == "19.96000000");
  CHECK(t["m"] == true);
  CHECK(t["n"] == "0.00998000");  // maker 0.05 % of the 19.96 USDT received
  CHECK(t["N"] == "USDT");
  CHECK(t["i"] == n["i"]);
  const auto pos = inbox.events("outboundAccountPosition");
  CHECK(pos.back()["B"].is_array());
  CHECK(pos.back()["B"].size() >= 1);
  // Nothing of bob's reaches alice's stream.
  for (const auto& r : reports) CHECK(r["c"] != "b1");
}

TEST_CASE("spot: signing, key and timestamp errors use Binance's codes and statuses") {
  FrontFixture f;
  const auto& ins = f.ins(Market::kSpot);
  Account wrong_secret{"alice-key", "not-the-secret"};
  auto bad = f.send(binance::spot_account(), wrong_secret);
  CHECK(bad.status == 400);
  CHECK(body(bad)["code"] == -1022);
  CHECK(body(bad)["msg"] == "Signature for this request is not valid.");

  Account unknown{"nobody", "x"};
  auto nokey = f.send(binance::spot_account(), unknown);
  CHECK(nokey.status == 401);
  CHECK(body(nokey)["code"] == -2015);

  auto futures_key_on_spot = f.send(binance::spot_account(), f.fut);
  CHECK(futures_key_on_spot.status == 401);
  CHECK(body(futures_key_on_spot)["code"] == -2015);

  auto stale = f.send(binance::spot_account(), f.alice, wall_ms() - 60'000);
  CHECK(stale.status == 400);
  CHECK(body(stale)["code"] == -1021);

  net::HttpRequest no_ts;
  no_ts.method = "GET";
  no_ts.target = "/api/v3/account";
  no_ts.headers.emplace_back("X-MBX-APIKEY", "alice-key");
  auto r = f.client->request(no_ts);
  REQUIRE(r.ok());
  CHECK(r->status == 400);
  CHECK(body(*r)["code"] == -1102);
  CHECK(body(*r)["msg"] == "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");

  // A rejected order changes nothing: LIMIT_MAKER that would cross.
  auto o = order(Side::kBuy, "0.1", "100.00", "pm", OrderType::kLimit, TimeInForce::kPostOnly);
  auto pm = f.send(binance::spot_new_order(ins, o), f.alice);
  CHECK(pm.status == 400);
  CHECK(body(pm)["code"] == -2010);
  CHECK(body(f.send(binance::spot_open_orders(&ins), f.alice)).empty());
}

TEST_CASE("rate limit: over the minute's weight gives 429 with Retry-After, continuing gives 418") {
  auto cfg = FrontFixture::default_config();
  cfg.limits.spot_weight_1m = 30;
  cfg.limits.ban_after_429s = 1;
  cfg.clock_ms = [] { return std::int64_t{1'699'999'995'000}; };  // 15 s into a minute
  FrontFixture f(cfg);
  auto first = f.get_public("/api/v3/exchangeInfo");
  REQUIRE(first.status == 200);
  CHECK(*first.header("X-MBX-USED-WEIGHT-1M") == "20");
  auto info = body(first);
  REQUIRE(info["symbols"].size() == 2);
  CHECK(info["symbols"][0]["symbol"] == "BTCUSDT");
  CHECK(info["symbols"][0]["filters"][0]["tickSize"] == "0.01000000");
  auto second = f.get_public("/api/v3/exchangeInfo");
  CHECK(second.status == 429);
  CHECK(body(second)["code"] == -1003);
  REQUIRE(second.header("Retry-After") != nullptr);
  CHECK(*second.header("Retry-After") == "45");
  auto third = f.get_public("/api/v3/exchangeInfo");
  CHECK(third.status == 418);
  REQUIRE(third.header("Retry-After") != nullptr);
  CHECK(*third.header("Retry-After") == "120");
  auto banned = f.get_public("/api/v3/ping");  // within its weight, but the IP is banned
  CHECK(banned.status == 418);
  CHECK(body(banned)["code"] == -1003);
}

TEST_CASE("spot history: allOrders and myTrades page by orderId / fromId and limit, the most recent without; 24 h windows; fromId with a time refused") {
  FrontFixture f;
  const auto& ins = f.ins(Market::kSpot);
  // Five buys resting far under the market (orders 1..5), then two that take the asks.
  for (int i = 0; i < 5; ++i) {
    const std::string price = "90.0" + std::to_string(i);
    const std::string cid = "h" + std::to_string(i);
    REQUIRE(f.send(binance::spot_new_order(ins, order(Side::kBuy, "0.1", price.c_str(), cid.c_str())), f.alice).status == 200);
  }
  REQUIRE(f.send(binance::spot_new_order(ins, order(Side::kBuy, "0.1", "100.50", "t1")), f.alice).status == 200);
  REQUIRE(f.send(binance::spot_new_order(ins, order(Side::kBuy, "0.1", "100.50", "t2")), f.alice).status == 200);
  const auto ids = [](const nlohmann::json& list, const char* key) {
    std::vector<std::int64_t> out;
    for (const auto& x : list) out.push_back(x.at(key).get<std::int64_t>());
    return out;
  };
  const auto all = body(f.send(binance::spot_all_orders(ins), f.alice));
  REQUIRE(all.size() == 7);
  const auto first = all[0].at("orderId").get<std::int64_t>();
  CHECK(ids(all, "orderId") == std::vector<std::int64_t>{first, first + 1, first + 2, first + 3, first + 4, first + 5, first + 6});
  // limit without an id: the most recent, ascending.
  auto two = body(f.send(binance::spot_all_orders(ins, binance::HistoryQuery{0, 0, 2, 0, 0}), f.alice));
  CHECK(ids(two, "orderId") == std::vector<std::int64_t>{first + 5, first + 6});
  // From an orderId up: the first `limit` from there.
  auto req = binance::spot_all_orders(ins, binance::HistoryQuery{0, 0, 2, 0, 0});
  REQUIRE(req.ok());
  req->add("orderId", std::to_string(first + 1));
  CHECK(ids(body(f.send(req, f.alice)), "orderId") == std::vector<std::int64_t>{first + 1, first + 2});
  // Trades (at least one per taking buy): fromId pages them; limit 1 without it is the latest.
  const auto trades = body(f.send(binance::spot_my_trades(ins), f.alice));
  REQUIRE(trades.size() >= 2);
  const auto tids = ids(trades, "id");
  CHECK(ids(body(f.send(binance::spot_my_trades(ins, binance::HistoryQuery{0, 0, 1, 0, 0}), f.alice)), "id") ==
        std::vector<std::int64_t>{tids.back()});
  CHECK(ids(body(f.send(binance::spot_my_trades(ins, binance::HistoryQuery{0, 0, 0, static_cast<std::uint64_t>(tids[1]), 0}), f.alice)), "id") ==
        std::vector<std::int64_t>(tids.begin() + 1, tids.end()));
  // One order's trades.
  auto of_order = binance::spot_my_trades(ins, binance::HistoryQuery{0, 0, 0, 0, static_cast<std::uint64_t>(first + 6)});
  for (const auto& t : body(f.send(of_order, f.alice))) CHECK(t.at("orderId") == first + 6);
  // A time window: everything from an hour ago, nothing from an hour on; more than 24 h
  // between the bounds is refused, and so is fromId with a time.
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(body(f.send(binance::spot_all_orders(ins, binance::HistoryQuery{now_ms - 3'600'000, 0, 0, 0, 0}), f.alice)).size() == 7);
  CHECK(body(f.send(binance::spot_all_orders(ins, binance::HistoryQuery{now_ms + 3'600'000, 0, 0, 0, 0}), f.alice)).empty());
  auto wide = f.send(binance::spot_all_orders(ins, binance::HistoryQuery{now_ms - 25 * 3'600'000, now_ms, 0, 0, 0}), f.alice);
  CHECK(wide.status == 400);
  CHECK(body(wide)["code"] == -1127);
  auto combo = binance::spot_my_trades(ins, binance::HistoryQuery{now_ms - 3'600'000, 0, 0, 0, 0});
  REQUIRE(combo.ok());
  combo->add("fromId", std::to_string(tids[0]));
  auto refused = f.send(combo, f.alice);
  CHECK(refused.status == 400);
  CHECK(body(refused)["code"] == -1128);
}
