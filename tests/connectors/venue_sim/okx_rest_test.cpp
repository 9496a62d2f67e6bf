// venue-sim's OKX front over REST, in-process: OK-ACCESS-* refusals with OKX's codes and HTTP
// statuses, orders on SPOT and SWAP (sizes in contracts) with balances and positions moving,
// amend / cancel / batch / query answers, paging, settings and the per-instrument rate limit.
#include <doctest/doctest.h>

#include "okx_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::okx_test;
using nlohmann::json;

namespace {

json limit(const char* inst, const char* side, const char* sz, const char* px, const char* td = "cash") {
  return {{"instId", inst}, {"tdMode", td}, {"side", side}, {"ordType", "limit"}, {"sz", sz}, {"px", px}};
}

}  // namespace

TEST_CASE("okx auth: each missing or wrong OK-ACCESS-* header is refused with OKX's code and HTTP 401") {
  OkxFixture f;
  const std::string path = "/api/v5/account/balance";
  auto base = f.signed_request("GET", path, "", f.alice, f.now());
  const auto without = [&](const char* name) {
    auto r = base;
    std::erase_if(r.headers, [&](const auto& h) { return h.first == name; });
    return f.send_raw(r);
  };
  const auto with = [&](const char* name, const std::string& v) {
    auto r = base;
    for (auto& h : r.headers) {
      if (h.first == name) h.second = v;
    }
    return f.send_raw(r);
  };
  struct Case {
    Answer a;
    const char* code;
  };
  const Case cases[] = {
      {without("OK-ACCESS-KEY"), "50103"},           {without("OK-ACCESS-PASSPHRASE"), "50104"},
      {without("OK-ACCESS-SIGN"), "50106"},          {without("OK-ACCESS-TIMESTAMP"), "50107"},
      {with("OK-ACCESS-KEY", "nobody"), "50111"},    {with("OK-ACCESS-PASSPHRASE", "wrong"), "50105"},
      {with("OK-ACCESS-SIGN", "AAAA"), "50113"},     {with("OK-ACCESS-TIMESTAMP", "1700000000000"), "50112"},
  };
  for (const auto& c : cases) {
    INFO(c.a.body);
    CHECK(c.a.status == 401);
    CHECK(c.a.code() == c.code);
    CHECK(c.a.data().empty());
  }
  // A timestamp 31 s old (signed with it): expired; 29 s old: served.
  CHECK(f.send_raw(f.signed_request("GET", path, "", f.alice, f.now() - 31'000)).code() == "50102");
  const auto ok = f.send_raw(f.signed_request("GET", path, "", f.alice, f.now() - 29'000));
  CHECK(ok.status == 200);
  CHECK(ok.code() == "0");
  // The query is part of what is signed.
  auto r = f.signed_request("GET", path + "?ccy=BTC", "", f.alice, f.now());
  r.target = path + "?ccy=USDT";
  CHECK(f.send_raw(r).code() == "50113");
  // Bob's key with Alice's passphrase.
  Keys mixed = f.bob;
  mixed.passphrase = f.alice.passphrase;
  CHECK(f.get(path, mixed).code() == "50105");
}

TEST_CASE("okx public endpoints: time, instruments with OKX's figures, books in contracts, ticker") {
  OkxFixture f;
  const auto t = f.get_public("/api/v5/public/time");
  CHECK(t.first().at("ts") == std::to_string(f.now()));
  const auto swap = f.get_public("/api/v5/public/instruments?instType=SWAP&instId=BTC-USDT-SWAP");
  REQUIRE(swap.data().size() == 1);
  const auto& i = swap.first();
  CHECK(i.at("ctVal") == "0.01");
  CHECK(i.at("ctValCcy") == "BTC");
  CHECK(i.at("settleCcy") == "USDT");
  CHECK(i.at("tickSz") == "0.1");
  CHECK(i.at("lotSz") == "0.01");
  CHECK(i.at("minSz") == "0.01");
  CHECK(i.at("state") == "live");
  const auto eth = f.get_public("/api/v5/public/instruments?instType=SWAP&instId=ETH-USDT-SWAP");
  CHECK(eth.first().at("ctVal") == "0.1");
  const auto spot = f.get_public("/api/v5/public/instruments?instType=SPOT");
  REQUIRE(spot.data().size() == 2);
  CHECK(spot.first().at("instId") == "BTC-USDT");
  CHECK(spot.first().at("lotSz") == "0.00000001");
  CHECK(spot.first().at("minSz") == "0.00001");
  CHECK(f.get_public("/api/v5/public/instruments").code() == "50014");
  // One BTC a level is 100 contracts on the SWAP.
  const auto books = f.get_public("/api/v5/market/books?instId=BTC-USDT-SWAP&sz=2");
  REQUIRE(books.first().at("asks").size() == 2);
  CHECK(books.first().at("asks")[0] == json::array({"60001", "100", "0", "1"}));
  CHECK(books.first().at("bids")[1] == json::array({"59998", "100", "0", "1"}));
  const auto spot_books = f.get_public("/api/v5/market/books?instId=BTC-USDT");
  CHECK(spot_books.first().at("bids") == json::array({json::array({"59999", "1", "0", "1"})}));
  const auto tk = f.get_public("/api/v5/market/ticker?instId=BTC-USDT");
  CHECK(tk.first().at("bidPx") == "59999");
  CHECK(tk.first().at("askSz") == "1");
  CHECK(f.get_public("/api/v5/market/ticker?instId=DOGE-USDT").code() == "51001");
  CHECK(f.get_public("/api/v5/market/tickers?instType=SWAP").data().size() == 2);
}

TEST_CASE("okx spot: a market buy by quote amount fills, the fee is negative in BTC, balances move") {
  OkxFixture f;
  const auto usdt0 = f.balance(f.alice, "USDT");
  CHECK(usdt0.at("cashBal") == "200000");  // 100000 spot + 100000 SWAP wallet
  CHECK(usdt0.at("availBal") == "200000");
  const json o = {{"instId", "BTC-USDT"}, {"tdMode", "cash"}, {"side", "buy"}, {"ordType", "market"}, {"sz", "600.01"}, {"clOrdId", "m1"}};
  const auto a = f.post("/api/v5/trade/order", o, f.alice);
  INFO(a.body);
  REQUIRE(a.code() == "0");
  CHECK(a.first().at("sCode") == "0");
  CHECK(a.first().at("clOrdId") == "m1");
  const std::string ord_id = a.first().at("ordId");
  const auto q = f.get("/api/v5/trade/order?instId=BTC-USDT&ordId=" + ord_id, f.alice);
  INFO(q.body);
  const auto& ord = q.first();
  CHECK(ord.at("state") == "filled");
  CHECK(ord.at("tgtCcy") == "quote_ccy");
  CHECK(ord.at("sz") == "600.01");
  CHECK(ord.at("accFillSz") == "0.01");  // 600.01 USDT at 60001
  CHECK(ord.at("avgPx") == "60001");
  CHECK(ord.at("fee") == "-0.00001");    // 0.1 % taker of 0.01 BTC, charged: negative
  CHECK(ord.at("feeCcy") == "BTC");
  CHECK(f.balance(f.alice, "USDT").at("cashBal") == "199399.99");
  CHECK(f.balance(f.alice, "BTC").at("cashBal") == "1.00999");
  // By clOrdId, and the fill.
  CHECK(f.get("/api/v5/trade/order?instId=BTC-USDT&clOrdId=m1", f.alice).first().at("ordId") == ord_id);
  const auto fills = f.get("/api/v5/trade/fills?instType=SPOT", f.alice);
  REQUIRE(fills.data().size() == 1);
  CHECK(fills.first().at("fillSz") == "0.01");
  CHECK(fills.first().at("fillPx") == "60001");
  CHECK(fills.first().at("execType") == "T");
  CHECK(fills.first().at("fee") == "-0.00001");
  // tgtCcy base_ccy: sz in BTC.
  const json b = {{"instId", "BTC-USDT"}, {"tdMode", "cash"}, {"side", "sell"}, {"ordType", "market"}, {"sz", "0.02"}};
  const auto sold = f.post("/api/v5/trade/order", b, f.alice);
  REQUIRE(sold.code() == "0");
  CHECK(f.balance(f.alice, "BTC").at("cashBal") == "0.98999");
}

TEST_CASE("okx spot refusals: lot, minimum, balance, clOrdId, tdMode -- code 1 with the item's sCode") {
  OkxFixture f;
  const auto refused = [&](const json& o, const char* s_code) {
    const auto a = f.post("/api/v5/trade/order", o, f.alice);
    INFO(a.body);
    CHECK(a.status == 200);
    CHECK(a.code() == "1");
    CHECK(a.msg() == "All operations failed");
    CHECK(a.first().at("sCode") == s_code);
    CHECK(a.first().at("ordId") == "");
  };
  refused(limit("ETH-USDT", "buy", "0.0000015", "2000"), "51121");  // ETH-USDT's lot: 0.000001
  refused(limit("BTC-USDT", "buy", "0.000001", "50000"), "51020");
  refused(limit("BTC-USDT", "buy", "10", "50000"), "51008");       // 500000 USDT, 100000 held
  refused(limit("BTC-USDT", "buy", "0.001", "50000.05"), "51000");  // off the 0.1 tick
  refused(limit("BTC-USDT", "buy", "0.001", "50000", "cross"), "51000");
  refused(limit("DOGE-USDT", "buy", "1", "1"), "51001");
  auto dup = limit("BTC-USDT", "buy", "0.001", "50000");
  dup["clOrdId"] = "same1";
  CHECK(f.post("/api/v5/trade/order", dup, f.alice).code() == "0");
  refused(dup, "51016");
  dup["clOrdId"] = "not-alnum";
  refused(dup, "51000");
  // post_only that would take: placed, then canceled with cancelSource 31.
  json po = limit("BTC-USDT", "buy", "0.001", "60001");
  po["ordType"] = "post_only";
  const auto p = f.post("/api/v5/trade/order", po, f.alice);
  REQUIRE(p.code() == "0");
  const auto q = f.get("/api/v5/trade/order?instId=BTC-USDT&ordId=" + p.first().at("ordId").get<std::string>(), f.alice);
  CHECK(q.first().at("state") == "canceled");
  CHECK(q.first().at("cancelSource") == "31");
}

TEST_CASE("okx swap: sizes in contracts, a short position, its PnL and fees, closing it") {
  OkxFixture f;
  // Sell 150 contracts (1.5 BTC) at market: 100 at 59999, 50 at 59998.
  const json o = {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", "sell"}, {"ordType", "market"}, {"sz", "150"}};
  const auto a = f.post("/api/v5/trade/order", o, f.alice);
  INFO(a.body);
  REQUIRE(a.code() == "0");
  const auto q = f.get("/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId=" + a.first().at("ordId").get<std::string>(), f.alice);
  CHECK(q.first().at("accFillSz") == "150");
  CHECK(q.first().at("state") == "filled");
  CHECK(q.first().at("posSide") == "net");
  CHECK(q.first().at("tdMode") == "cross");
  // 0.05 % taker on 59999 + 29999 = 89998 notional: 44.999 USDT.
  CHECK(q.first().at("fee") == "-44.999");
  CHECK(q.first().at("feeCcy") == "USDT");
  const auto pos = f.get("/api/v5/account/positions?instId=BTC-USDT-SWAP", f.alice);
  INFO(pos.body);
  REQUIRE(pos.data().size() == 1);
  CHECK(pos.first().at("pos") == "-150");
  CHECK(pos.first().at("posSide") == "net");
  CHECK(pos.first().at("avgPx") == "59998.666666667");
  CHECK(pos.first().at("fee") == "-44.999");
  CHECK(pos.first().at("mgnMode") == "cross");
  // Closing 150 contracts with a reduceOnly buy; more than the position is refused.
  json close = {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", "buy"}, {"ordType", "market"}, {"sz", "150"}, {"reduceOnly", true}};
  const auto c = f.post("/api/v5/trade/order", close, f.alice);
  REQUIRE(c.code() == "0");
  CHECK(f.get("/api/v5/account/positions", f.alice).data().empty());
  const auto again = f.post("/api/v5/trade/order", close, f.alice);
  CHECK(again.code() == "1");
  CHECK(again.first().at("sCode") == "51169");
  // Lot and size caps in contracts.
  json bad = {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", "buy"}, {"ordType", "market"}, {"sz", "0.005"}};
  CHECK(f.post("/api/v5/trade/order", bad, f.alice).first().at("sCode") == "51121");
  bad["sz"] = "12000.01";
  CHECK(f.post("/api/v5/trade/order", bad, f.alice).first().at("sCode") == "51202");
  bad["tdMode"] = "cash";
  bad["sz"] = "1";
  CHECK(f.post("/api/v5/trade/order", bad, f.alice).first().at("sCode") == "51000");
}

TEST_CASE("okx amend: newSz is the new total, newPx moves it; cancel; a second cancel and an unknown order refused") {
  OkxFixture f;
  const auto a = f.post("/api/v5/trade/order", limit("BTC-USDT-SWAP", "buy", "5", "59000", "cross"), f.alice);
  REQUIRE(a.code() == "0");
  const std::string id = a.first().at("ordId");
  const auto am = f.post("/api/v5/trade/amend-order", {{"instId", "BTC-USDT-SWAP"}, {"ordId", id}, {"newSz", "7"}, {"newPx", "59100"}, {"reqId", "r1"}}, f.alice);
  INFO(am.body);
  REQUIRE(am.code() == "0");
  CHECK(am.first().at("reqId") == "r1");
  auto q = f.get("/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId=" + id, f.alice);
  CHECK(q.first().at("sz") == "7");
  CHECK(q.first().at("px") == "59100");
  CHECK(q.first().at("state") == "live");
  const auto pend = f.get("/api/v5/trade/orders-pending?instType=SWAP", f.alice);
  REQUIRE(pend.data().size() == 1);
  CHECK(pend.first().at("ordId") == id);
  const auto c = f.post("/api/v5/trade/cancel-order", {{"instId", "BTC-USDT-SWAP"}, {"ordId", id}}, f.alice);
  REQUIRE(c.code() == "0");
  CHECK(c.first().at("sCode") == "0");
  q = f.get("/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId=" + id, f.alice);
  CHECK(q.first().at("state") == "canceled");
  CHECK(q.first().at("cancelSource") == "1");
  const auto c2 = f.post("/api/v5/trade/cancel-order", {{"instId", "BTC-USDT-SWAP"}, {"ordId", id}}, f.alice);
  CHECK(c2.code() == "1");
  CHECK(c2.first().at("sCode") == "51401");  // already canceled
  const auto am2 = f.post("/api/v5/trade/amend-order", {{"instId", "BTC-USDT-SWAP"}, {"ordId", id}, {"newSz", "8"}}, f.alice);
  CHECK(am2.first().at("sCode") == "51509");
  // Neither newSz nor newPx; an order id never placed; neither id.
  const auto live = f.post("/api/v5/trade/order", limit("BTC-USDT-SWAP", "buy", "5", "59000", "cross"), f.alice);
  const std::string live_id = live.first().at("ordId");
  CHECK(f.post("/api/v5/trade/amend-order", {{"instId", "BTC-USDT-SWAP"}, {"ordId", live_id}}, f.alice).first().at("sCode") == "51500");
  CHECK(f.post("/api/v5/trade/amend-order", {{"instId", "BTC-USDT-SWAP"}, {"ordId", "1"}, {"newSz", "8"}}, f.alice).first().at("sCode") == "51503");
  CHECK(f.post("/api/v5/trade/cancel-order", {{"instId", "BTC-USDT-SWAP"}, {"ordId", "1"}}, f.alice).first().at("sCode") == "51400");
  CHECK(f.post("/api/v5/trade/cancel-order", {{"instId", "BTC-USDT-SWAP"}}, f.alice).first().at("sCode") == "51003");
  f.post("/api/v5/trade/cancel-order", {{"instId", "BTC-USDT-SWAP"}, {"ordId", live_id}}, f.alice);
  const auto unknown = f.get("/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId=123456789012345678", f.alice);
  CHECK(unknown.code() == "51603");
  CHECK(unknown.msg() == "Order does not exist");
  // Bob cannot see Alice's order.
  CHECK(f.get("/api/v5/trade/order?instId=BTC-USDT-SWAP&ordId=" + id, f.bob).code() == "51603");
  const auto hist = f.get("/api/v5/trade/orders-history?instType=SWAP&state=canceled", f.alice);
  REQUIRE(hist.data().size() == 2);
  CHECK(hist.data()[0].at("ordId") == live_id);  // newest first
  CHECK(hist.data()[1].at("ordId") == id);
}

TEST_CASE("okx batches: per-item sCode, code 2 when partly done, 20 orders at most; cancel-batch") {
  OkxFixture f;
  const json batch = json::array({limit("BTC-USDT", "buy", "0.001", "50000"), limit("ETH-USDT", "buy", "0.0000015", "2000"),
                                  limit("BTC-USDT-SWAP", "sell", "3", "61000", "cross")});
  const auto a = f.post("/api/v5/trade/batch-orders", batch, f.alice);
  INFO(a.body);
  CHECK(a.code() == "2");
  REQUIRE(a.data().size() == 3);
  CHECK(a.data()[0].at("sCode") == "0");
  CHECK(a.data()[1].at("sCode") == "51121");
  CHECK(a.data()[2].at("sCode") == "0");
  // Spot USDT locked by the open buy: 50 USDT frozen.
  const auto usdt = f.balance(f.alice, "USDT");
  CHECK(usdt.at("ordFrozen") == "50");
  const json cancels = json::array({{{"instId", "BTC-USDT"}, {"ordId", a.data()[0].at("ordId")}},
                                    {{"instId", "BTC-USDT-SWAP"}, {"ordId", a.data()[2].at("ordId")}}});
  const auto c = f.post("/api/v5/trade/cancel-batch-orders", cancels, f.alice);
  CHECK(c.code() == "0");
  CHECK(f.get("/api/v5/trade/orders-pending", f.alice).data().empty());
  CHECK(f.balance(f.alice, "USDT").at("ordFrozen") == "0");
  const auto c2 = f.post("/api/v5/trade/cancel-batch-orders", cancels, f.alice);
  CHECK(c2.code() == "1");
  json many = json::array();
  for (int i = 0; i < 21; ++i) many.push_back(limit("BTC-USDT", "buy", "0.001", "50000"));
  const auto big = f.post("/api/v5/trade/batch-orders", many, f.alice);
  CHECK(big.status == 400);
  CHECK(big.code() == "51000");
}

TEST_CASE("okx orders-history pages newest first with after / before / limit by ordId") {
  OkxFixture f;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    const auto a = f.post("/api/v5/trade/order", limit("BTC-USDT", "buy", "0.001", "50000"), f.alice);
    ids.push_back(a.first().at("ordId"));
    f.post("/api/v5/trade/cancel-order", {{"instId", "BTC-USDT"}, {"ordId", ids.back()}}, f.alice);
  }
  const auto page1 = f.get("/api/v5/trade/orders-history?instType=SPOT&limit=2", f.alice);
  REQUIRE(page1.data().size() == 2);
  CHECK(page1.data()[0].at("ordId") == ids[4]);
  CHECK(page1.data()[1].at("ordId") == ids[3]);
  const auto page2 = f.get("/api/v5/trade/orders-history?instType=SPOT&limit=2&after=" + ids[3], f.alice);
  REQUIRE(page2.data().size() == 2);
  CHECK(page2.data()[0].at("ordId") == ids[2]);
  const auto newer = f.get("/api/v5/trade/orders-history-archive?instType=SPOT&before=" + ids[2], f.alice);
  REQUIRE(newer.data().size() == 2);
  CHECK(newer.data()[1].at("ordId") == ids[3]);
  CHECK(f.get("/api/v5/trade/orders-history", f.alice).code() == "50014");  // instType required
}

TEST_CASE("okx account: config, trade fee (negative = charged), leverage, position mode refused while a position is open") {
  OkxFixture f;
  const auto cfg = f.get("/api/v5/account/config", f.alice);
  CHECK(cfg.first().at("acctLv") == "2");
  CHECK(cfg.first().at("posMode") == "net_mode");
  const auto fee = f.get("/api/v5/account/trade-fee?instType=SPOT&instId=BTC-USDT", f.alice);
  CHECK(fee.first().at("maker") == "-0.0008");
  CHECK(fee.first().at("taker") == "-0.001");
  const auto sfee = f.get("/api/v5/account/trade-fee?instType=SWAP", f.alice);
  CHECK(sfee.first().at("takerU") == "-0.0005");
  const auto lev = f.post("/api/v5/account/set-leverage", {{"instId", "BTC-USDT-SWAP"}, {"lever", "5"}, {"mgnMode", "cross"}}, f.alice);
  REQUIRE(lev.code() == "0");
  CHECK(lev.first().at("lever") == "5");
  CHECK(f.post("/api/v5/account/set-leverage", {{"instId", "BTC-USDT-SWAP"}, {"lever", "2.5"}, {"mgnMode", "cross"}}, f.alice).code() == "51000");
  REQUIRE(f.post("/api/v5/trade/order", {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", "buy"}, {"ordType", "market"}, {"sz", "10"}}, f.alice).code() == "0");
  CHECK(f.get("/api/v5/account/positions", f.alice).first().at("lever") == "5");
  const auto mode = f.post("/api/v5/account/set-position-mode", {{"posMode", "long_short_mode"}}, f.alice);
  CHECK(mode.code() == "59000");
  // Bob, flat, switches; his orders then need posSide.
  REQUIRE(f.post("/api/v5/account/set-position-mode", {{"posMode", "long_short_mode"}}, f.bob).code() == "0");
  CHECK(f.get("/api/v5/account/config", f.bob).first().at("posMode") == "long_short_mode");
  json o = {{"instId", "BTC-USDT-SWAP"}, {"tdMode", "cross"}, {"side", "buy"}, {"ordType", "market"}, {"sz", "1"}};
  CHECK(f.post("/api/v5/trade/order", o, f.bob).first().at("sCode") == "50014");
  o["posSide"] = "long";
  REQUIRE(f.post("/api/v5/trade/order", o, f.bob).code() == "0");
  const auto p = f.get("/api/v5/account/positions", f.bob);
  CHECK(p.first().at("posSide") == "long");
  CHECK(p.first().at("pos") == "1");
}

TEST_CASE("okx rate limit: 60 orders in 2 s per instrument, the 61st answered 50011 with HTTP 429; other instruments go on") {
  OkxFixture f;
  for (int i = 0; i < 60; ++i) REQUIRE(f.post("/api/v5/trade/order", limit("BTC-USDT", "buy", "0.001", "50000"), f.alice).code() == "0");
  const auto over = f.post("/api/v5/trade/order", limit("BTC-USDT", "buy", "0.001", "50000"), f.alice);
  CHECK(over.status == 429);
  CHECK(over.code() == "50011");
  CHECK(f.post("/api/v5/trade/order", limit("ETH-USDT", "buy", "0.01", "2000"), f.alice).code() == "0");
  CHECK(f.post("/api/v5/trade/order", limit("BTC-USDT", "buy", "0.001", "50000"), f.bob).code() == "0");
  f.advance(2'001);
  CHECK(f.post("/api/v5/trade/order", limit("BTC-USDT", "buy", "0.001", "50000"), f.alice).code() == "0");
  // account/balance: 10 per 2 s.
  for (int i = 0; i < 10; ++i) REQUIRE(f.get("/api/v5/account/balance", f.alice).code() == "0");
  CHECK(f.get("/api/v5/account/balance", f.alice).code() == "50011");
}

TEST_CASE("okx rate limit lifted (benchmarks): never 50011") {
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  auto cfg = OkxFixture::config(clock);
  cfg.limits.lifted = true;
  OkxFixture f(cfg);
  f.clock = clock;
  for (int i = 0; i < 100; ++i) REQUIRE(f.post("/api/v5/trade/order", limit("BTC-USDT", "buy", "0.001", "50000"), f.alice).code() == "0");
}

TEST_CASE("okx: what venue-sim does not serve is refused by name (50030); unknown paths 404") {
  OkxFixture f;
  const auto close = f.post("/api/v5/trade/close-position", {{"instId", "BTC-USDT-SWAP"}, {"mgnMode", "cross"}}, f.alice);
  CHECK(close.status == 200);
  CHECK(close.code() == "50030");
  CHECK(close.msg().find("close-position") != std::string::npos);
  const auto none = f.get("/api/v5/account/bills", f.alice);
  CHECK(none.status == 404);
}

TEST_CASE("okx history: orders-history keeps 7 days, the archive 3 months, trade/fills 3 days, fills-history 3 months; begin by cTime; after pages by ordId; limit 1..100 (51000)") {
  OkxFixture f;
  constexpr std::int64_t kDayMs = 86'400'000;
  // Day 0: a resting buy cancelled and a taking one; the same on day 10 and day 95; then day 100.
  const auto day = [&](const std::string& tag) {
    const auto r = f.post("/api/v5/trade/order",
                          {{"instId", "BTC-USDT"}, {"tdMode", "cash"}, {"side", "buy"}, {"ordType", "limit"}, {"px", "59000"}, {"sz", "0.01"}, {"clOrdId", tag + "r"}},
                          f.alice);
    REQUIRE(r.code() == "0");
    REQUIRE(f.post("/api/v5/trade/cancel-order", {{"instId", "BTC-USDT"}, {"clOrdId", tag + "r"}}, f.alice).code() == "0");
    REQUIRE(f.post("/api/v5/trade/order",
                   {{"instId", "BTC-USDT"}, {"tdMode", "cash"}, {"side", "buy"}, {"ordType", "limit"}, {"px", "60001"}, {"sz", "0.01"}, {"clOrdId", tag + "t"}},
                   f.alice)
                .code() == "0");
  };
  const std::int64_t t0 = f.now();
  day("d0");
  f.advance(10 * kDayMs);
  day("d10");
  f.advance(85 * kDayMs);
  day("d95");
  f.advance(5 * kDayMs);
  const auto cl = [](const Answer& a) {
    INFO(a.body);
    std::vector<std::string> out;
    for (const auto& o : a.data()) out.push_back(o.at("clOrdId").get<std::string>());
    return out;
  };
  // orders-history: the last 7 days -- day 95's two (newest first); the archive: 3 months back
  // from day 100 -- days 10 and 95; day 0's are in neither (no error: simply not kept).
  CHECK(cl(f.get("/api/v5/trade/orders-history?instType=SPOT", f.alice)) == std::vector<std::string>{"d95t", "d95r"});
  CHECK(cl(f.get("/api/v5/trade/orders-history-archive?instType=SPOT", f.alice)) ==
        std::vector<std::string>{"d95t", "d95r", "d10t", "d10r"});
  CHECK(cl(f.get("/api/v5/trade/orders-history-archive?instType=SPOT&begin=" + std::to_string(t0 - 1), f.alice)).size() == 4);
  // begin / end by cTime.
  CHECK(cl(f.get("/api/v5/trade/orders-history-archive?instType=SPOT&end=" + std::to_string(t0 + 50 * kDayMs), f.alice)) ==
        std::vector<std::string>{"d10t", "d10r"});
  // A page of one and after = its ordId: the next older.
  const auto one = f.get("/api/v5/trade/orders-history-archive?instType=SPOT&limit=1", f.alice);
  REQUIRE(cl(one) == std::vector<std::string>{"d95t"});
  const std::string after = one.first().at("ordId");
  CHECK(cl(f.get("/api/v5/trade/orders-history-archive?instType=SPOT&limit=2&after=" + after, f.alice)) ==
        std::vector<std::string>{"d95r", "d10t"});
  // Fills: trade/fills none (the last is 5 days old), fills-history days 10 and 95.
  CHECK(f.get("/api/v5/trade/fills?instType=SPOT", f.alice).data().empty());
  CHECK(cl(f.get("/api/v5/trade/fills-history?instType=SPOT", f.alice)) == std::vector<std::string>{"d95t", "d10t"});
  // limit 1..100.
  for (const char* path : {"orders-history", "orders-history-archive", "fills", "fills-history"}) {
    const auto over = f.get(std::string("/api/v5/trade/") + path + "?instType=SPOT&limit=101", f.alice);
    CHECK(over.code() == "51000");
    CHECK(f.get(std::string("/api/v5/trade/") + path + "?instType=SPOT&limit=0", f.alice).code() == "51000");
  }
}
