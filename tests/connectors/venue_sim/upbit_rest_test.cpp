// venue-sim's Upbit front over REST, in-process: JWT refusals with Upbit's names and statuses,
// orders of each ord_type on KRW-BTC with balances and fees (0.05 % in KRW), the tick-band and
// minimum-total refusals, cancels by uuid and by identifier, the order lists, the request groups.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "oms/connectors/upbit/requests.hpp"
#include "oms/connectors/upbit/rest_request.hpp"
#include "upbit_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::upbit_test;
using nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

ojson limit(const char* market, const char* side, const char* price, const char* volume) {
  return ojson{{"market", market}, {"side", side}, {"volume", volume}, {"price", price}, {"ord_type", "limit"}};
}

net::HttpRequest with_token(const std::string& method, const std::string& target, const std::string& token) {
  net::HttpRequest r;
  r.method = method;
  r.target = target;
  r.headers = {{"Authorization", "Bearer " + token}};
  return r;
}

}  // namespace

namespace {

// "group=<group>; min=<digits>; sec=<digits>" (no std::regex: GCC 12 warns inside it at -O1).
bool remaining_req_form(std::string_view text, std::string_view group) {
  const std::string head = "group=" + std::string(group) + "; min=";
  if (text.substr(0, head.size()) != head) return false;
  text.remove_prefix(head.size());
  const auto digits = [&text] {
    std::size_t n = 0;
    while (n < text.size() && text[n] >= '0' && text[n] <= '9') ++n;
    text.remove_prefix(n);
    return n > 0;
  };
  if (!digits()) return false;
  constexpr std::string_view kSec = "; sec=";
  if (text.substr(0, kSec.size()) != kSec) return false;
  text.remove_prefix(kSec.size());
  return digits() && text.empty();
}

}  // namespace

TEST_CASE("upbit auth: each refusal answers HTTP 401 with Upbit's error name") {
  UpbitFixture f;
  const std::string q = "market=KRW-BTC";
  SUBCASE("no Authorization header: jwt_verification") {
    net::HttpRequest r;
    r.method = "GET";
    r.target = "/v1/accounts";
    const auto a = f.send_raw(r);
    CHECK(a.status == 401);
    CHECK(a.error() == "jwt_verification");
  }
  SUBCASE("a token that is not three base64url parts: jwt_verification") {
    const auto a = f.send_raw(with_token("GET", "/v1/accounts", "not-a-token"));
    CHECK(a.status == 401);
    CHECK(a.error() == "jwt_verification");
  }
  SUBCASE("signed with the wrong secret: jwt_verification") {
    const auto a = f.send_raw(with_token("GET", "/v1/accounts", jwt(Keys{f.alice.access, "wrong-secret"}, f.nonce(), "")));
    CHECK(a.status == 401);
    CHECK(a.error() == "jwt_verification");
  }
  SUBCASE("alg none: jwt_verification") {
    const std::string t = jwt(f.alice, f.nonce(), "", "none");
    const auto a = f.send_raw(with_token("GET", "/v1/accounts", t));
    CHECK(a.status == 401);
    CHECK(a.error() == "jwt_verification");
  }
  SUBCASE("an access key the venue does not know: invalid_access_key") {
    const auto a = f.send_raw(with_token("GET", "/v1/accounts", jwt(Keys{"nobody", "secret"}, f.nonce(), "")));
    CHECK(a.status == 401);
    CHECK(a.error() == "invalid_access_key");
  }
  SUBCASE("parameters without query_hash: invalid_query_payload") {
    const auto a = f.send_raw(with_token("GET", "/v1/orders/chance?" + q, jwt(f.alice, f.nonce(), "")));
    CHECK(a.status == 401);
    CHECK(a.error() == "invalid_query_payload");
  }
  SUBCASE("a tampered query: the hash no longer matches, invalid_query_payload; the nonce stays unused") {
    const std::string nonce = f.nonce();
    const std::string token = jwt(f.alice, nonce, q);
    const auto bad = f.send_raw(with_token("GET", "/v1/orders/chance?market=KRW-ETH", token));
    CHECK(bad.status == 401);
    CHECK(bad.error() == "invalid_query_payload");
    const auto good = f.send_raw(with_token("GET", "/v1/orders/chance?" + q, token));
    CHECK(good.status == 200);
  }
  SUBCASE("a tampered query_hash claim (signature re-made by a key holder elsewhere): invalid_query_payload") {
    json claims = {{"access_key", f.alice.access}, {"nonce", f.nonce()}, {"query_hash", sha512_hex("market=KRW-ETH")}, {"query_hash_alg", "SHA512"}};
    const auto a = f.send_raw(with_token("GET", "/v1/orders/chance?" + q, jwt(f.alice, "", "", "HS512", &claims)));
    CHECK(a.status == 401);
    CHECK(a.error() == "invalid_query_payload");
  }
  SUBCASE("a nonce used twice: nonce_used") {
    const std::string t = jwt(f.alice, "the-same-nonce", "");
    CHECK(f.send_raw(with_token("GET", "/v1/accounts", t)).status == 200);
    const auto again = f.send_raw(with_token("GET", "/v1/accounts", t));
    CHECK(again.status == 401);
    CHECK(again.error() == "nonce_used");
    // Another account may use the same nonce text.
    CHECK(f.send_raw(with_token("GET", "/v1/accounts", jwt(f.bob, "the-same-nonce", ""))).status == 200);
  }
  SUBCASE("HS256 is accepted like HS512") {
    CHECK(f.send_raw(with_token("GET", "/v1/orders/chance?" + q, jwt(f.alice, f.nonce(), q, "HS256"))).status == 200);
  }
  SUBCASE("an expired key: expired_access_key") {
    UpbitFixture g([](UpbitFrontConfig& c) { c.accounts[0].expires_ms = 1'600'000'000'000; });  // before the clock
    const auto a = g.get("/v1/accounts", "", g.alice);
    CHECK(a.status == 401);
    CHECK(a.error() == "expired_access_key");
  }
}

TEST_CASE("upbit: the client module's rendered requests (HS512 JWT, unencoded query_hash) are accepted") {
  UpbitFixture f;
  auto signer = upbit::JwtSigner::create(f.alice.secret);
  REQUIRE(signer.ok());
  const upbit::Credentials creds{f.alice.access, &*signer};
  SubmitOrder o;
  o.side = Side::kBuy;
  o.order_type = OrderType::kLimit;
  o.price = d("80000000");
  o.quantity = d("0.001");
  REQUIRE(o.client_order_id.assign("client-1"));
  const auto req = upbit::new_order("KRW-BTC", o);
  REQUIRE(req.ok());
  const auto http = upbit::render(*req, creds, "11111111-2222-4333-8444-555555555555");
  REQUIRE(http.ok());
  const auto a = f.send_raw(*http);
  CHECK(a.status == 201);
  CHECK(a.json.value("state", "") == "wait");
  CHECK(a.json.value("identifier", "") == "client-1");
  const std::string_view states[] = {"wait"};
  const auto open = upbit::open_orders(upbit::OpenOrdersQuery{"KRW-BTC", states});
  REQUIRE(open.ok());
  const auto http2 = upbit::render(*open, creds, "11111111-2222-4333-8444-555555555556");
  REQUIRE(http2.ok());
  const auto b = f.send_raw(*http2);
  CHECK(b.status == 200);
  REQUIRE(b.json.size() == 1);
  CHECK(b.json[0].value("uuid", "") == a.json.value("uuid", "?"));
}

TEST_CASE("upbit limit orders: a bid rests with its fee reserved, a crossing ask fills it; balances, fees, avg_buy_price") {
  UpbitFixture f;
  const auto placed = f.order(f.alice, [] {
    auto b = limit("KRW-BTC", "bid", "81000000", "0.01");
    b["identifier"] = "alice-1";
    return b;
  }());
  REQUIRE(placed.status == 201);
  CHECK(placed.json.value("state", "") == "wait");
  CHECK(placed.json.value("reserved_fee", "") == "405");
  CHECK(placed.json.value("locked", "") == "810405");
  CHECK(placed.remaining.rfind("group=order; min=", 0) == 0);
  // 500,000,000 - 810,000 - 405 of fee reserved.
  CHECK(f.balance(f.alice, "KRW") == std::pair{d("499189595"), d("810405")});
  // bob sells 0.11 at 81,000,000: the background's 0.1 was there first, then alice's 0.01.
  const auto sold = f.order(f.bob, limit("KRW-BTC", "ask", "81000000", "0.11"));
  REQUIRE(sold.status == 201);
  const auto order = f.get("/v1/order", "identifier=alice-1", f.alice);
  REQUIRE(order.status == 200);
  CHECK(order.json.value("state", "") == "done");
  CHECK(order.json.value("paid_fee", "") == "405");
  CHECK(order.json.value("executed_volume", "") == "0.01");
  REQUIRE(order.json.at("trades").size() == 1);
  CHECK(order.json["trades"][0].value("funds", "") == "810000");
  CHECK(order.json["trades"][0].value("side", "") == "bid");
  CHECK(f.balance(f.alice, "KRW") == std::pair{d("499189595"), d("0")});
  CHECK(f.balance(f.alice, "BTC") == std::pair{d("1.01"), d("0")});
  // bob: 0.11 x 81,000,000 = 8,910,000 less 0.05 % (4,455).
  CHECK(f.balance(f.bob, "KRW") == std::pair{d("508905545"), d("0")});
  CHECK(f.balance(f.bob, "BTC") == std::pair{d("0.89"), d("0")});
  const auto acc = f.get("/v1/accounts", "", f.alice);
  for (const auto& row : acc.json) {
    if (row.at("currency") == "BTC") CHECK(row.value("avg_buy_price", "") == "801980.198019802");  // 810000 / 1.01
    CHECK(row.value("unit_currency", "") == "KRW");
  }
}

TEST_CASE("upbit price (a market bid by KRW total), market (an ask by volume) and best orders") {
  UpbitFixture f;
  SUBCASE("price: spends at most the total, the fee on top") {
    const auto a = f.order(f.alice, ojson{{"market", "KRW-BTC"}, {"side", "bid"}, {"price", "1000000"}, {"ord_type", "price"}});
    REQUIRE(a.status == 201);
    CHECK(a.json["volume"].is_null());
    const auto o = f.get("/v1/order", "uuid=" + a.json.value("uuid", ""), f.alice);
    const Decimal funds = dj(o.json.at("executed_funds"));
    const Decimal volume = dj(o.json.at("executed_volume"));
    CHECK(funds <= d("1000000"));
    CHECK(funds > d("999900"));
    CHECK(*volume.mul(d("81001000"), Rounding::kExact) == funds);  // all at the best ask
    const Decimal fee = *funds.mul(d("0.0005"), Rounding::kUp);
    CHECK(dj(o.json.at("paid_fee")) == fee);
    CHECK(f.balance(f.alice, "KRW").first == *d("500000000").sub(*funds.add(fee)));
    CHECK(f.balance(f.alice, "BTC").first == *d("1").add(volume));
  }
  SUBCASE("market: sells the volume into the bids, the fee out of the funds") {
    const auto a = f.order(f.alice, ojson{{"market", "KRW-BTC"}, {"side", "ask"}, {"volume", "0.02"}, {"ord_type", "market"}});
    REQUIRE(a.status == 201);
    CHECK(a.json["price"].is_null());
    CHECK(f.balance(f.alice, "KRW").first == d("501619190"));  // 1,620,000 - 810
    CHECK(f.balance(f.alice, "BTC").first == d("0.98"));
  }
  SUBCASE("price with a volume, market with a price: create_bid_error / create_ask_error") {
    const auto a = f.order(f.alice, ojson{{"market", "KRW-BTC"}, {"side", "bid"}, {"price", "1000000"}, {"volume", "0.1"}, {"ord_type", "price"}});
    CHECK(a.status == 400);
    CHECK(a.error() == "create_bid_error");
    const auto b = f.order(f.alice, ojson{{"market", "KRW-BTC"}, {"side", "ask"}, {"price", "81000000"}, {"volume", "0.1"}, {"ord_type", "market"}});
    CHECK(b.status == 400);
    CHECK(b.error() == "create_ask_error");
  }
  SUBCASE("best ioc: a bid buys at the best ask only; best fok: an ask larger than the best bid is canceled whole") {
    const auto a = f.order(f.alice, ojson{{"market", "KRW-BTC"}, {"side", "bid"}, {"price", "50000000"}, {"ord_type", "best"}, {"time_in_force", "ioc"}});
    REQUIRE(a.status == 201);
    const auto o = f.get("/v1/order", "uuid=" + a.json.value("uuid", ""), f.alice);
    CHECK(o.json.value("executed_volume", "") == "0.1");  // the best ask's whole level
    CHECK(o.json.value("state", "") == "cancel");         // the rest of the total expired
    for (const auto& t : o.json.at("trades")) CHECK(t.value("price", "") == "81001000");
    const auto b = f.order(f.alice, ojson{{"market", "KRW-BTC"}, {"side", "ask"}, {"volume", "0.5"}, {"ord_type", "best"}, {"time_in_force", "fok"}});
    REQUIRE(b.status == 201);
    const auto ob = f.get("/v1/order", "uuid=" + b.json.value("uuid", ""), f.alice);
    CHECK(ob.json.value("state", "") == "cancel");
    CHECK(ob.json.value("executed_volume", "") == "0");
    const auto c = f.order(f.alice, ojson{{"market", "KRW-BTC"}, {"side", "ask"}, {"volume", "0.5"}, {"ord_type", "best"}});
    CHECK(c.status == 400);
    CHECK(c.error() == "validation_error");
  }
  SUBCASE("post_only that would take: canceled, nothing filled") {
    const auto a = f.order(f.alice, [] {
      auto b = limit("KRW-BTC", "bid", "81001000", "0.01");
      b["time_in_force"] = "post_only";
      return b;
    }());
    REQUIRE(a.status == 201);
    const auto o = f.get("/v1/order", "uuid=" + a.json.value("uuid", ""), f.alice);
    CHECK(o.json.value("state", "") == "cancel");
    CHECK(o.json.value("executed_volume", "") == "0");
    CHECK(f.balance(f.alice, "KRW") == std::pair{d("500000000"), d("0")});
  }
}

TEST_CASE("upbit refusals: the price band's tick, the minimum total, the funds with the fee") {
  UpbitFixture f;
  struct Case {
    ojson body;
    unsigned status;
    const char* name;
  };
  const Case cases[] = {
      {limit("KRW-BTC", "bid", "81000500", "0.01"), 400, "invalid_price_bid"},    // band >= 1,000,000: 1000
      {limit("KRW-ETH", "ask", "4050100", "0.01"), 400, "invalid_price_ask"},     // the same band
      {limit("KRW-BTC", "bid", "999999", "0.01"), 400, "invalid_price_bid"},      // band >= 500,000: 500
      {limit("KRW-USDT", "bid", "1350.5", "10"), 400, "invalid_price_bid"},       // band >= 1,000: 1
      {limit("KRW-BTC", "bid", "81000000", "0.00001"), 400, "under_min_total_bid"},  // 810 KRW
      {ojson{{"market", "KRW-BTC"}, {"side", "bid"}, {"price", "4999"}, {"ord_type", "price"}}, 400, "under_min_total_bid"},
      {ojson{{"market", "KRW-BTC"}, {"side", "ask"}, {"volume", "0.00005"}, {"ord_type", "market"}}, 400, "under_min_total_ask"},
      {limit("KRW-BTC", "bid", "50000000", "10"), 400, "insufficient_funds_bid"},  // 500,000,000 + the fee
      {limit("KRW-BTC", "ask", "81000000", "2"), 400, "insufficient_funds_ask"},
      {limit("KRW-BTC", "bid", "81000000", "0"), 400, "invalid_volume_bid"},
      {limit("KRW-DOGE", "bid", "100", "100"), 404, "market_does_not_exist"},
      {ojson{{"market", "KRW-BTC"}, {"side", "buy"}, {"price", "81000000"}, {"volume", "0.01"}, {"ord_type", "limit"}}, 400, "validation_error"},
      {ojson{{"market", "KRW-BTC"}, {"side", "bid"}, {"price", "81000000"}, {"volume", "0.01"}, {"ord_type", "limit"}, {"reduce_only", true}}, 400,
       "validation_error"},
  };
  for (const auto& c : cases) {
    const std::string body = c.body.dump();
    INFO(body);
    const auto a = f.order(f.alice, c.body);
    CHECK(a.status == c.status);
    CHECK(a.error() == c.name);
  }
  // On the tick and with room for the fee, the same kinds pass.
  CHECK(f.order(f.alice, limit("KRW-USDT", "bid", "1350", "10")).status == 201);
  CHECK(f.order(f.alice, limit("KRW-BTC", "bid", "999500", "0.01")).status == 201);
  CHECK(f.order(f.alice, limit("KRW-BTC", "bid", "50000000", "9.9")).status == 201);  // 495,000,000 + 247,500
  CHECK(f.balance(f.alice, "KRW").second == d("495271006.7475"));  // 495,247,500 + 13,500 (+6.75) + 9,995 (+4.9975)
}

TEST_CASE("upbit cancels: by uuid and by identifier, an identifier used once for ever, the lists") {
  UpbitFixture f;
  auto bid = [&](const char* price, const char* id) {
    auto b = limit("KRW-BTC", "bid", price, "0.01");
    b["identifier"] = id;
    return f.order(f.alice, b);
  };
  const auto a = bid("80000000", "a-1");
  const auto b = bid("79000000", "a-2");
  const auto c = bid("78000000", "a-3");
  REQUIRE(a.status == 201);
  REQUIRE(b.status == 201);
  REQUIRE(c.status == 201);
  const auto reused = bid("77000000", "a-1");
  CHECK(reused.status == 400);
  CHECK(reused.error() == "validation_error");

  const auto by_uuid = f.del("/v1/order", "uuid=" + a.json.value("uuid", ""), f.alice);
  CHECK(by_uuid.status == 200);
  CHECK(by_uuid.json.value("state", "") == "wait");  // as accepted; the cancel follows
  const auto by_id = f.del("/v1/order", "identifier=a-2", f.alice);
  CHECK(by_id.status == 200);
  CHECK(by_id.json.value("uuid", "") == b.json.value("uuid", "?"));
  const auto again = f.del("/v1/order", "identifier=a-2", f.alice);
  CHECK(again.status == 400);
  const auto unknown = f.del("/v1/order", "uuid=00000000-0000-4000-8000-000000000000", f.alice);
  CHECK(unknown.status == 404);
  CHECK(unknown.error() == "order_not_found");
  const auto bobs = f.del("/v1/order", "identifier=a-3", f.bob);  // not bob's
  CHECK(bobs.status == 404);
  // The identifier stays taken after its order ended.
  CHECK(bid("77000000", "a-2").error() == "validation_error");

  const auto open = f.get("/v1/orders/open", "market=KRW-BTC", f.alice);
  REQUIRE(open.json.size() == 1);
  CHECK(open.json[0].value("identifier", "") == "a-3");
  const auto closed = f.get("/v1/orders/closed", "market=KRW-BTC&states[]=cancel", f.alice);
  REQUIRE(closed.json.size() == 2);
  CHECK(closed.json[0].value("identifier", "") == "a-2");  // newest first
  CHECK(closed.json[1].value("identifier", "") == "a-1");
  CHECK(f.get("/v1/orders/closed", "states[]=done", f.alice).json.empty());
  const auto asc = f.get("/v1/orders/closed", "states[]=cancel&order_by=asc", f.alice);
  CHECK(asc.json[0].value("identifier", "") == "a-1");
  const auto by_ids = f.get("/v1/orders/uuids", "identifiers[]=a-1&identifiers[]=a-3", f.alice);
  CHECK(by_ids.json.size() == 2);
  // The locked KRW is a-3's only: 780,000 + 390.
  CHECK(f.balance(f.alice, "KRW").second == d("780390"));

  // DELETE /v1/orders/open cancels the rest.
  const auto all = f.del("/v1/orders/open", "cancel_side=bid", f.alice);
  CHECK(all.status == 200);
  CHECK(all.json["success"].value("count", -1) == 1);
  CHECK(f.get("/v1/orders/open", "", f.alice).json.empty());
  CHECK(f.balance(f.alice, "KRW") == std::pair{d("500000000"), d("0")});
}

TEST_CASE("upbit cancel_and_new replaces a waiting order; DELETE /v1/orders/uuids; orders/test places nothing") {
  UpbitFixture f;
  auto b = limit("KRW-BTC", "bid", "80000000", "0.01");
  b["identifier"] = "r-1";
  const auto a = f.order(f.alice, b);
  REQUIRE(a.status == 201);
  const auto r = f.post("/v1/orders/cancel_and_new",
                        ojson{{"prev_order_identifier", "r-1"}, {"new_ord_type", "limit"}, {"new_price", "80500000"}, {"new_volume", "remain_only"},
                              {"new_identifier", "r-2"}},
                        f.alice);
  REQUIRE(r.status == 201);
  CHECK(r.json.value("uuid", "") == a.json.value("uuid", "?"));
  const auto old = f.get("/v1/order", "identifier=r-1", f.alice);
  CHECK(old.json.value("state", "") == "cancel");
  const auto now = f.get("/v1/order", "identifier=r-2", f.alice);
  CHECK(now.json.value("state", "") == "wait");
  CHECK(now.json.value("price", "") == "80500000");
  CHECK(now.json.value("volume", "") == "0.01");
  CHECK(now.json.value("uuid", "") == r.json.value("new_order_uuid", "?"));

  const auto gone = f.del("/v1/orders/uuids", "uuids[]=" + now.json.value("uuid", "") + "&uuids[]=00000000-0000-4000-8000-000000000000", f.alice);
  CHECK(gone.json["success"].value("count", -1) == 1);
  CHECK(gone.json["failed"].value("count", -1) == 1);

  const auto t = f.post("/v1/orders/test", limit("KRW-BTC", "bid", "80000000", "0.01"), f.alice);
  CHECK(t.status == 201);
  CHECK(t.json.value("state", "") == "wait");
  CHECK(f.get("/v1/orders/open", "", f.alice).json.empty());
  CHECK(f.balance(f.alice, "KRW") == std::pair{d("500000000"), d("0")});
  const auto bad = f.post("/v1/orders/test", limit("KRW-BTC", "bid", "80000100", "0.01"), f.alice);
  CHECK(bad.error() == "invalid_price_bid");
}

TEST_CASE("upbit request groups: Remaining-Req on each answer, 429 past 8 orders a second, chance's figures") {
  UpbitFixture f;
  const auto chance = f.get("/v1/orders/chance", "market=KRW-BTC", f.alice);
  REQUIRE(chance.status == 200);
  CHECK(chance.json.value("bid_fee", "") == "0.0005");
  CHECK(chance.json["market"]["bid"].value("min_total", "") == "5000");
  CHECK(chance.json["bid_account"].value("balance", "") == "500000000");
  CHECK(remaining_req_form(chance.remaining, "default"));
  const auto pub = f.get_public("/v1/ticker?markets=KRW-BTC");
  CHECK(remaining_req_form(pub.remaining, "ticker"));
  // Nine orders within one second (the clock held): the ninth is refused.
  std::vector<Answer> got;
  for (int i = 0; i < 9; ++i) {
    net::HttpRequest r;
    const auto body = limit("KRW-BTC", "bid", "70000000", "0.001");
    std::string q;
    for (const auto& [k, v] : body.items()) q += (q.empty() ? "" : "&") + k + "=" + v.get<std::string>();
    r.method = "POST";
    r.target = "/v1/orders";
    r.body = body.dump();
    r.headers = {{"Authorization", "Bearer " + jwt(f.alice, f.nonce(), q)}};
    got.push_back(UpbitFixture::answer_of(f.front->handle(r)));
  }
  for (int i = 0; i < 8; ++i) CHECK(got[static_cast<std::size_t>(i)].status == 201);
  CHECK(got[0].remaining.find("sec=7") != std::string::npos);
  CHECK(got[7].remaining.find("sec=0") != std::string::npos);
  CHECK(got[8].status == 429);
  CHECK(got[8].error() == "too_many_requests");
  f.advance(1'000);
  CHECK(f.order(f.alice, limit("KRW-BTC", "bid", "70000000", "0.001")).status == 201);
}

TEST_CASE("upbit quotation: market/all, orderbook, orderbook/instruments, trades/ticks") {
  UpbitFixture f;
  const auto all = f.get_public("/v1/market/all?is_details=true");
  REQUIRE(all.json.size() == 3);
  CHECK(all.json[0].value("market", "") == "KRW-BTC");
  CHECK(all.json[0].value("market_warning", "") == "NONE");
  const auto ob = f.get_public("/v1/orderbook?markets=KRW-BTC&count=2");
  REQUIRE(ob.json.size() == 1);
  const auto& units = ob.json[0].at("orderbook_units");
  REQUIRE(units.size() == 2);
  CHECK(dj(units[0].at("ask_price")) == d("81001000"));
  CHECK(dj(units[0].at("bid_price")) == d("81000000"));
  CHECK(dj(units[1].at("bid_size")) == d("0.1"));
  CHECK(dj(ob.json[0].at("total_bid_size")) == d("0.2"));
  const auto ins = f.get_public("/v1/orderbook/instruments?markets=KRW-BTC");
  REQUIRE(ins.json.size() == 1);
  CHECK(ins.json[0].value("tick_size", "") == "1000");  // the band of 81,000,000
  CHECK(f.get_public("/v1/orderbook?markets=KRW-XRP").status == 404);
  // A trade prints on the tape: taker side BID for a buyer lifting the ask.
  REQUIRE(f.order(f.bob, ojson{{"market", "KRW-BTC"}, {"side", "bid"}, {"price", "810010"}, {"ord_type", "price"}}).status == 201);
  const auto ticks = f.get_public("/v1/trades/ticks?market=KRW-BTC&count=5");
  REQUIRE(ticks.json.size() == 1);
  CHECK(ticks.json[0].value("ask_bid", "") == "BID");
  CHECK(dj(ticks.json[0].at("trade_price")) == d("81001000"));
  CHECK(f.get_public("/v1/candles/minutes/1?market=KRW-BTC").status == 404);
}

TEST_CASE("upbit orders/closed: a window of orders created in it, 7 days at most (validation_error past it), a start alone its 7 days, neither the last 7; limit 1..1000 of the newest, no cursor") {
  UpbitFixture f;
  constexpr std::int64_t kDayMs = 86'400'000;
  const auto place_and_cancel = [&](const std::string& id) {
    auto b = limit("KRW-BTC", "bid", "70000000", "0.001");
    b["identifier"] = id;
    REQUIRE(f.order(f.alice, b).status == 201);
    REQUIRE(f.del("/v1/order", "identifier=" + id, f.alice).status == 200);
  };
  const std::int64_t t0 = f.clock->load();
  place_and_cancel("c-1");
  place_and_cancel("c-2");
  place_and_cancel("c-3");
  f.advance(10 * kDayMs);
  const std::int64_t t1 = f.clock->load();
  place_and_cancel("c-4");
  f.advance(kDayMs);
  const auto ids = [](const Answer& a) {
    std::vector<std::string> out;
    for (const auto& o : a.json) out.push_back(o.value("identifier", ""));
    return out;
  };
  const auto closed = [&](const std::string& q) { return f.get("/v1/orders/closed", q, f.alice); };
  // Neither bound: the last 7 days (c-4 only).
  CHECK(ids(closed("states[]=cancel")) == std::vector<std::string>{"c-4"});
  // A start alone: its 7 days, newest first.
  CHECK(ids(closed("start_time=" + std::to_string(t0))) == std::vector<std::string>{"c-3", "c-2", "c-1"});
  // An end alone: the 7 days before it.
  CHECK(ids(closed("end_time=" + std::to_string(t1 + 1'000))) == std::vector<std::string>{"c-4"});
  // By creation time: c-1..c-3 were created at t0, before this window.
  CHECK(ids(closed("start_time=" + std::to_string(t0 + 5 * kDayMs) + "&end_time=" + std::to_string(t0 + 12 * kDayMs))) ==
        std::vector<std::string>{"c-4"});
  // More than 7 days between the bounds: refused.
  const auto wide = closed("start_time=" + std::to_string(t0) + "&end_time=" + std::to_string(t0 + 7 * kDayMs + 1));
  CHECK(wide.status == 400);
  CHECK(wide.error() == "validation_error");
  // limit: 1..1000; the newest `limit` of the window, nothing to page on.
  CHECK(closed("limit=1001").error() == "validation_error");
  CHECK(closed("limit=0").error() == "validation_error");
  CHECK(ids(closed("start_time=" + std::to_string(t0) + "&limit=2")) == std::vector<std::string>{"c-3", "c-2"});
  CHECK(ids(closed("start_time=" + std::to_string(t0) + "&limit=2&order_by=asc")) == std::vector<std::string>{"c-1", "c-2"});
}
