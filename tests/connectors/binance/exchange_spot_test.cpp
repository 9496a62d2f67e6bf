// BinanceSpot over real loopback TLS against a scripted venue: signed requests, acks and
// rejections as reports, stable report ids across REST and the user-data stream, 429 and the
// budgets, lost acks (no report, then a query), listenKey keepalive, several accounts.
#include <doctest/doctest.h>

#include "exchange_test_venue.hpp"

namespace oms::binance {
namespace {
using namespace test;
using namespace decimal_literals;

constexpr InstrumentId kBtc(7);

SubmitOrder limit_buy(std::string_view cid) {
  SubmitOrder o;
  o.account = AccountId(3);
  o.instrument = kBtc;
  (void)o.client_order_id.assign(cid);
  o.side = Side::kBuy;
  o.order_type = OrderType::kLimit;
  o.tif = TimeInForce::kGtc;
  o.price = "61837.63"_d;
  o.quantity = "0.002"_d;
  return o;
}

ClientOrderIdText cid_text(std::string_view s) {
  ClientOrderIdText t;
  (void)t.assign(s);
  return t;
}

// POST /api/v3/order with newOrderRespType=FULL: filled at once by one taker trade.
constexpr const char* kFullFilled = R"({"symbol":"BTCUSDT","orderId":28,"orderListId":-1,
 "clientOrderId":"C1000300000000000000000a1","transactTime":1507725176595,"price":"61837.63000000",
 "origQty":"0.00200000","executedQty":"0.00200000","origQuoteOrderQty":"0.00000000",
 "cummulativeQuoteQty":"123.67526000","status":"FILLED","timeInForce":"GTC","type":"LIMIT",
 "side":"BUY","workingTime":1507725176595,"selfTradePreventionMode":"NONE",
 "fills":[{"price":"61837.63000000","qty":"0.00200000","commission":"0.00000200",
 "commissionAsset":"BTC","tradeId":56}]})";

// The same facts from the user-data stream (NEW, then the TRADE).
constexpr const char* kStreamNew = R"({"e":"executionReport","E":1507725176596,"s":"BTCUSDT",
 "c":"C1000300000000000000000a1","S":"BUY","o":"LIMIT","f":"GTC","q":"0.00200000",
 "p":"61837.63000000","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"NEW","X":"NEW",
 "r":"NONE","i":28,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,
 "T":1507725176595,"t":-1,"v":3,"I":8641984,"w":true,"m":false,"M":false,"O":1507725176595,
 "Z":"0.00000000","Y":"0.00000000","Q":"0.00000000","W":1507725176595,"V":"NONE"})";
constexpr const char* kStreamTrade = R"({"e":"executionReport","E":1507725176597,"s":"BTCUSDT",
 "c":"C1000300000000000000000a1","S":"BUY","o":"LIMIT","f":"GTC","q":"0.00200000",
 "p":"61837.63000000","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"TRADE","X":"FILLED",
 "r":"NONE","i":28,"l":"0.00200000","z":"0.00200000","L":"61837.63000000","n":"0.00000200",
 "N":"BTC","T":1507725176595,"t":56,"v":3,"I":8641985,"w":false,"m":false,"M":true,
 "O":1507725176595,"Z":"123.67526000","Y":"123.67526000","Q":"0.00000000","W":1507725176595,
 "V":"NONE"})";

struct Fixture {
  TestVenue venue;
  Reports reports;
  std::unique_ptr<BinanceVenue> client;
  explicit Fixture(std::size_t accounts = 1,
                   const std::function<void(BinanceConfig&)>& tweak = {}) {
    auto cfg = venue.client_config(Market::kSpot, accounts);
    if (tweak) tweak(cfg);
    client = std::make_unique<BinanceVenue>(std::move(cfg));
    REQUIRE(client->start().ok());
    REQUIRE(client->account(0).start(reports.sink()).ok());
  }
};

template <class T>
const T& as(const ExchangeReport& r) {
  REQUIRE(std::holds_alternative<T>(r.payload));
  return std::get<T>(r.payload);
}

}  // namespace

TEST_CASE(
    "spot place: one signed POST /api/v3/order, the FULL ack becomes accept + fill + filled") {
  Fixture f;
  f.venue.script([](const Recorded& r) {
    CHECK(r.path == "/api/v3/order");
    return json(200, kFullFilled, {{"X-MBX-USED-WEIGHT-1M", "3"}, {"X-MBX-ORDER-COUNT-10S", "1"}});
  });
  f.client->account(0).place(limit_buy("C1000300000000000000000a1"));
  REQUIRE(f.reports.wait(3));
  const auto reqs = f.venue.requests("/api/v3/order");
  REQUIRE(reqs.size() == 1);
  const Recorded& r = reqs[0];
  CHECK(r.method == "POST");
  CHECK(r.api_key == "key-main");
  CHECK(r.signature_ok);
  CHECK(r.param("symbol") == "BTCUSDT");
  CHECK(r.param("side") == "BUY");
  CHECK(r.param("type") == "LIMIT");
  CHECK(r.param("timeInForce") == "GTC");
  CHECK(r.param("quantity") == "0.002");
  CHECK(r.param("price") == "61837.63");
  CHECK(r.param("newClientOrderId") == "C1000300000000000000000a1");
  CHECK(r.param("newOrderRespType") == "FULL");
  CHECK(r.param("recvWindow") == "5000");
  // timestamp = local clock + the venue's offset (the test venue runs 5 s ahead).
  const auto local_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const long long ts = std::stoll(r.param("timestamp"));
  CHECK(ts > local_ms + 4'000);
  CHECK(ts < local_ms + 6'000);
  CHECK(f.client->time_offset_ms() > 4'000);

  const auto rep = f.reports.all();
  REQUIRE(rep.size() == 3);
  CHECK(as<OrderAccepted>(rep[0]) ==
        OrderAccepted{AccountId(3), kBtc, cid_text("C1000300000000000000000a1"), "28"});
  const auto& fill = as<FillReceived>(rep[1]);
  CHECK(fill.trade_id.view() == "56");
  CHECK(fill.price == "61837.63"_d);
  CHECK(fill.quantity == "0.002"_d);
  CHECK(fill.fee == "0.000002"_d);
  CHECK(fill.fee_asset.view() == "BTC");
  CHECK(fill.liquidity == Liquidity::kTaker);
  CHECK(as<OrderFilled>(rep[2]) == OrderFilled{AccountId(3), kBtc,
                                               cid_text("C1000300000000000000000a1"), "0.002"_d,
                                               "61837.63"_d});
  CHECK(rep[0].venue_time == 1507725176595LL * 1'000'000);

  // The stream tells the same three facts: the same report ids (the actors keep them once).
  REQUIRE(f.venue.wait_stream());
  f.venue.push(kStreamNew);
  f.venue.push(kStreamTrade);
  REQUIRE(f.reports.wait(6));
  const auto all = f.reports.all();
  REQUIRE(all.size() == 6);
  CHECK(as<OrderAccepted>(all[3]) == as<OrderAccepted>(all[0]));
  CHECK(all[3].report_id == all[0].report_id);
  CHECK(as<FillReceived>(all[4]) == fill);
  CHECK(all[4].report_id == all[1].report_id);
  CHECK(as<OrderFilled>(all[5]) == as<OrderFilled>(all[2]));
  CHECK(all[5].report_id == all[2].report_id);
  CHECK(all[0].report_id != all[1].report_id);
  CHECK(all[1].report_id != all[2].report_id);
  // Each stream update is preceded by the order's description (the order desk records it for
  // another client's order): the venue's figures, one report id per order.
  const auto desc = f.reports.descriptions();
  REQUIRE(desc.size() == 2);
  const auto& e = as<ExternalOrderFound>(desc[0]);
  CHECK(e.account == AccountId(3));
  CHECK(e.instrument == kBtc);
  CHECK(e.client_order_id.view() == "C1000300000000000000000a1");
  CHECK(e.venue_order_id.view() == "28");
  CHECK(e.side == Side::kBuy);
  CHECK(e.order_type == OrderType::kLimit);
  CHECK(e.tif == TimeInForce::kGtc);
  CHECK(e.price == "61837.63"_d);
  CHECK(e.quantity == "0.002"_d);
  CHECK(as<ExternalOrderFound>(desc[1]) == e);
  CHECK(desc[1].report_id == desc[0].report_id);
  CHECK(desc[0].report_id != all[3].report_id);

  // The headers replaced our estimates.
  CHECK(f.client->used(RateLimitType::kRequestWeight, "1M", 0) == 3);
  CHECK(f.client->used(RateLimitType::kOrders, "10S", 0) == 1);
}

TEST_CASE(
    "spot user data: a fill event gives FillReceived with exact fields; a duplicate, the same id") {
  Fixture f;
  REQUIRE(f.venue.wait_stream());
  constexpr const char* kPartial = R"({"e":"executionReport","E":1700000000123,"s":"BTCUSDT",
   "c":"C1000300000000000000000b2","S":"SELL","o":"LIMIT","f":"GTC","q":"1.00000000",
   "p":"60000.00000000","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"TRADE",
   "X":"PARTIALLY_FILLED","r":"NONE","i":991,"l":"0.25000000","z":"0.25000000",
   "L":"60000.10000000","n":"1.50000600","N":"USDT","T":1700000000120,"t":777001,"v":3,
   "I":1,"w":false,"m":true,"M":true,"O":1699999999000,"Z":"15000.02500000",
   "Y":"15000.02500000","Q":"0.00000000","W":1699999999000,"V":"NONE"})";
  f.venue.push(kPartial);
  f.venue.push(kPartial);
  REQUIRE(f.reports.wait(4));
  const auto rep = f.reports.all();
  REQUIRE(rep.size() == 4);
  FillReceived want;
  want.account = AccountId(3);
  want.instrument = kBtc;
  want.client_order_id = cid_text("C1000300000000000000000b2");
  (void)want.trade_id.assign("777001");
  want.side = Side::kSell;
  want.price = "60000.1"_d;
  want.quantity = "0.25"_d;
  want.fee = "1.500006"_d;
  (void)want.fee_asset.assign("USDT");
  want.liquidity = Liquidity::kMaker;
  CHECK(as<FillReceived>(rep[0]) == want);
  CHECK(as<OrderPartiallyFilled>(rep[1]) == OrderPartiallyFilled{AccountId(3), kBtc,
                                                                 want.client_order_id, "0.25"_d,
                                                                 "0.75"_d, "60000.1"_d});
  CHECK(rep[0].venue_time == 1700000000120LL * 1'000'000);
  CHECK(rep[2].report_id == rep[0].report_id);
  CHECK(rep[3].report_id == rep[1].report_id);
  CHECK(rep[2].payload == rep[0].payload);
}

TEST_CASE(
    "spot place: built and signed on the caller's thread, written by the worker; the origin's "
    "latency is recorded when the bytes reach the socket") {
  auto latency = std::make_shared<SendLatency>();
  Fixture f(1, [&](BinanceConfig& c) { c.latency = latency; });
  std::atomic<int> seen{0};
  f.venue.script([&](const Recorded&) {
    // The first answer is slow: the second order waits behind it in the account's worker.
    if (seen.fetch_add(1) == 0) std::this_thread::sleep_for(300ms);
    return json(200, kFullFilled);
  });
  const auto wall_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const auto wall_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  f.client->account(0).place(limit_buy("C1000300000000000000000e1"),
                             SendOrigin{SendOriginKind::kApi, wall_ns() - 2'000'000});
  REQUIRE(wait_until([&] { return seen.load() == 1; }));
  const auto second_placed_ms = wall_ms();
  f.client->account(0).place(limit_buy("C1000300000000000000000e2"),
                             SendOrigin{SendOriginKind::kMarketData, wall_ns()});
  REQUIRE(f.reports.wait(6));
  const auto reqs = f.venue.requests("/api/v3/order");
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].signature_ok);
  CHECK(reqs[1].param("newClientOrderId") == "C1000300000000000000000e2");
  // Signed when place() was called (the venue runs 5 s ahead), not when the worker got to it
  // after the slow first answer; the worker did not sign it again (no rate-limit wait).
  const long long ts = std::stoll(reqs[1].param("timestamp")) - f.client->time_offset_ms();
  CHECK(ts >= second_placed_ms - 5);
  CHECK(ts <= second_placed_ms + 100);
  // One sample per origin: the API order's 2 ms head start is in its figure; the second
  // waited ~300 ms for the worker.
  CHECK(latency->count(SendOriginKind::kApi) == 1);
  CHECK(latency->count(SendOriginKind::kMarketData) == 1);
  CHECK(latency->count(SendOriginKind::kEngine) == 0);
  const auto api = latency->quantiles(SendOriginKind::kApi);
  CHECK(api.p50 >= 2'000'000);
  CHECK(api.p50 < 1'000'000'000);
  const auto md = latency->quantiles(SendOriginKind::kMarketData);
  CHECK(md.p50 >= 200'000'000);
  CHECK(md.p50 < 5'000'000'000);
  // The caller's part (origin -> handed to the worker's queue) is short; the wait behind the
  // slow answer is the connector's.
  const auto md_handoff = latency->quantiles(SendOriginKind::kMarketData, true);
  CHECK(md_handoff.count == 1);
  CHECK(md_handoff.p50 >= 0);
  CHECK(md_handoff.p50 < 100'000'000);
  CHECK(latency->quantiles(SendOriginKind::kApi, true).p50 >= 2'000'000);
}

TEST_CASE("spot place: an order the builders refuse is rejected naming the field, nothing sent") {
  Fixture f;
  auto o = limit_buy("C1000300000000000000000e3");
  o.quantity = Decimal{};
  f.client->account(0).place(o);
  REQUIRE(f.reports.wait(1));
  const auto rep = f.reports.all();
  const auto& r = as<OrderRejected>(rep[0]);
  CHECK(r.client_order_id.view() == "C1000300000000000000000e3");
  CHECK(r.code == static_cast<std::uint16_t>(ExchangeErrorCode::kBadRequest));
  CHECK(std::string(r.reason.view()).find("quantity") != std::string::npos);
  CHECK(f.venue.requests("/api/v3/order").empty());
}

TEST_CASE("spot place: error body -2010 becomes OrderRejected with the venue code") {
  Fixture f;
  f.venue.script([](const Recorded&) {
    return json(400,
                R"({"code":-2010,"msg":"Account has insufficient balance for requested action."})");
  });
  f.client->account(0).place(limit_buy("C1000300000000000000000c3"));
  REQUIRE(f.reports.wait(1));
  const auto rep = f.reports.all();
  REQUIRE(rep.size() == 1);
  const auto& r = as<OrderRejected>(rep[0]);
  CHECK(r.client_order_id.view() == "C1000300000000000000000c3");
  CHECK(r.code == 4403);
  CHECK(r.venue_code == -2010);
  CHECK(r.reason.view() ==
        "new order: HTTP 400 code -2010 Account has insufficient balance for requested action.");
}

TEST_CASE("spot: a lost ack gives no report; the query by client id then answers the state "
          "and the order's fills") {
  Fixture f;
  f.venue.script([](const Recorded& r) {
    if (r.method == "POST") return net::HttpResponse{};  // status 0: drop, no answer
    if (r.path == "/api/v3/myTrades") {  // the order has executed: its trades are asked for
      CHECK(r.param("orderId") == "1234");
      CHECK(r.signature_ok);
      return json(200, R"([{"symbol":"BTCUSDT","id":28457,"orderId":1234,"orderListId":-1,
        "price":"61837.63000000","qty":"0.00100000","quoteQty":"61.83763000",
        "commission":"0.00000100","commissionAsset":"BTC","time":1507725176597,
        "isBuyer":true,"isMaker":false,"isBestMatch":true}])");
    }
    CHECK(r.param("origClientOrderId") == "C1000300000000000000000d4");
    CHECK(r.signature_ok);
    return json(200, R"({"symbol":"BTCUSDT","orderId":1234,"orderListId":-1,
      "clientOrderId":"C1000300000000000000000d4","price":"61837.63000000",
      "origQty":"0.00200000","executedQty":"0.00100000","cummulativeQuoteQty":"61.83763000",
      "status":"PARTIALLY_FILLED","timeInForce":"GTC","type":"LIMIT","side":"BUY",
      "stopPrice":"0.00000000","icebergQty":"0.00000000","time":1507725176595,
      "updateTime":1507725176599,"isWorking":true,"origQuoteOrderQty":"0.00000000"})");
  });
  auto& ex = f.client->account(0);
  ex.place(limit_buy("C1000300000000000000000d4"));
  REQUIRE(f.venue.wait_requests("/api/v3/order", 1));
  ex.query(kBtc, cid_text("C1000300000000000000000d4"));  // what the ack timeout does
  REQUIRE(f.reports.wait(2));
  const auto rep = f.reports.all();
  REQUIRE(rep.size() == 2);  // nothing from the lost place: its fill, then its status
  const auto& fill = as<FillReceived>(rep[0]);
  CHECK(fill.client_order_id.view() == "C1000300000000000000000d4");
  CHECK(fill.trade_id.view() == "28457");
  CHECK(fill.quantity == "0.001"_d);
  CHECK(fill.price == "61837.63"_d);
  CHECK(fill.fee == "0.000001"_d);
  const auto& s = as<OrderStatusReconciled>(rep[1]);
  CHECK(s.client_order_id.view() == "C1000300000000000000000d4");
  CHECK(s.venue_order_id.view() == "1234");
  CHECK(s.status == OrderStatus::kPartiallyFilled);
  CHECK(s.cum_qty == "0.001"_d);
  CHECK(s.avg_price == "61837.63"_d);
  CHECK(f.venue.requests("/api/v3/order").size() == 2);  // the place was not re-sent
}

TEST_CASE("spot query: -2013 becomes OrderStatusReconciled kRejected with no venue order id") {
  Fixture f;
  f.venue.script(
      [](const Recorded&) { return json(400, R"({"code":-2013,"msg":"Order does not exist."})"); });
  f.client->account(0).query(kBtc, cid_text("C1000300000000000000000e5"));
  REQUIRE(f.reports.wait(1));
  const auto s = as<OrderStatusReconciled>(f.reports.all().at(0));
  CHECK(s.status == OrderStatus::kRejected);
  CHECK(s.venue_order_id.empty());
  CHECK(s.client_order_id.view() == "C1000300000000000000000e5");
}

TEST_CASE(
    "429 with Retry-After: the order is rejected and the next request leaves after the wait") {
  Fixture f;
  std::atomic<int> calls{0};
  f.venue.script([&](const Recorded&) {
    if (calls++ == 0)
      return json(429, R"({"code":-1003,"msg":"Too many requests."})", {{"Retry-After", "1"}});
    return json(200, "[]");
  });
  f.client->account(0).place(limit_buy("C1000300000000000000000f6"));
  REQUIRE(f.reports.wait(1));
  const auto r = as<OrderRejected>(f.reports.all().at(0));
  CHECK(r.code == 4404);
  CHECK(r.venue_code == -1003);
  auto open = f.client->account(0).open_orders(kBtc);  // waits out the backoff, then goes
  REQUIRE(open.ok());
  CHECK(open->empty());
  const auto order = f.venue.requests("/api/v3/order");
  const auto next = f.venue.requests("/api/v3/openOrders");
  REQUIRE(order.size() == 1);
  REQUIRE(next.size() == 1);
  CHECK(next[0].at - order[0].at >= 950ms);  // Retry-After: 1 s (clock-aligned limiter)
}

TEST_CASE(
    "budgets: the venue's weight header fills the bucket and the next request is refused unsent") {
  Fixture f(1, [](BinanceConfig& c) {
    c.rate_limits = {{RateLimitType::kRequestWeight, 60'000, "1M", 1'000},
                     {RateLimitType::kOrders, 10'000, "10S", 50}};
    c.rate_limit_config.max_wait_ms = 0;  // refuse instead of waiting for the next minute
  });
  f.venue.script([](const Recorded&) {
    return json(200, "[]", {{"X-MBX-USED-WEIGHT-1M", "899"}});
  });
  auto first = f.client->account(0).open_orders(kBtc);
  REQUIRE(first.ok());
  CHECK(f.client->used(RateLimitType::kRequestWeight, "1M", 0) == 899);
  auto second = f.client->account(0).open_orders(kBtc);  // cost 6 > 900 - 899
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == ExchangeErrorCode::kRateLimited);
  CHECK(f.venue.requests("/api/v3/openOrders").size() == 1);
}

TEST_CASE("listenKey: created with the API key header and kept alive on schedule") {
  Fixture f(1, [](BinanceConfig& c) { c.listen_key_keepalive = 100ms; });
  REQUIRE(f.venue.wait_requests("/api/v3/userDataStream", 2));
  const auto reqs = f.venue.requests("/api/v3/userDataStream");
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].api_key == "key-main");
  CHECK(reqs[1].method == "PUT");
  CHECK(reqs[1].param("listenKey") == kListenKey);
  CHECK(reqs[1].api_key == "key-main");
}

TEST_CASE("multi-account: each account signs with its own key and counts its own orders") {
  Fixture f(2);
  REQUIRE(f.client->account_count() == 2);
  REQUIRE(f.client->account_index(AccountId(4)) == std::optional<std::size_t>(1));
  Reports second;
  REQUIRE(f.client->account(1).start(second.sink()).ok());
  f.venue.script([](const Recorded& r) {
    return json(400, R"({"code":-1013,"msg":"Filter failure: LOT_SIZE"})",
                {{"X-MBX-ORDER-COUNT-10S", r.api_key == "key-arb" ? "7" : "1"}});
  });
  SubmitOrder o = limit_buy("C1000400000000000000000g7");
  o.account = AccountId(4);
  f.client->account(1).place(o);
  REQUIRE(second.wait(1));
  const auto reqs = f.venue.requests("/api/v3/order");
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].api_key == "key-arb");
  CHECK(reqs[0].signature_ok);
  CHECK(as<OrderRejected>(second.all().at(0)).account == AccountId(4));
  CHECK(as<OrderRejected>(second.all().at(0)).venue_code == -1013);
  CHECK(f.client->used(RateLimitType::kOrders, "10S", 1) == 7);
  CHECK(f.client->used(RateLimitType::kOrders, "10S", 0) == 0);
  CHECK(f.reports.size() == 0);
}

TEST_CASE(
    "spot amend: cancel-replace keeps our client id; the stream's legs map to one OrderAmended") {
  Fixture f;
  f.venue.script([](const Recorded& r) {
    if (r.path == "/api/v3/order") return json(200, kFullFilled);
    CHECK(r.path == "/api/v3/order/cancelReplace");
    CHECK(r.param("cancelReplaceMode") == "STOP_ON_FAILURE");
    CHECK(r.param("cancelOrigClientOrderId") == "C1000300000000000000000h8");
    CHECK(r.param("newClientOrderId") == "C1000300000000000000000h8");
    CHECK(r.param("price") == "61000");
    CHECK(r.param("quantity") == "0.003");
    CHECK(r.param("side") == "BUY");
    CHECK(r.param("cancelNewClientOrderId").substr(0, 4) == "amd-");
    return json(200, R"({"cancelResult":"SUCCESS","newOrderResult":"SUCCESS",
      "cancelResponse":{"symbol":"BTCUSDT","origClientOrderId":"C1000300000000000000000h8",
        "orderId":28,"orderListId":-1,"clientOrderId":"amd-x","price":"61837.63000000",
        "origQty":"0.00200000","executedQty":"0.00000000","cummulativeQuoteQty":"0.00000000",
        "status":"CANCELED","timeInForce":"GTC","type":"LIMIT","side":"BUY"},
      "newOrderResponse":{"symbol":"BTCUSDT","orderId":29,"orderListId":-1,
        "clientOrderId":"C1000300000000000000000h8","transactTime":1669277163808,
        "price":"61000.00000000","origQty":"0.00300000","executedQty":"0.00000000",
        "cummulativeQuoteQty":"0.00000000","status":"NEW","timeInForce":"GTC","type":"LIMIT",
        "side":"BUY","fills":[]}})");
  });
  SubmitOrder o = limit_buy("C1000300000000000000000h8");
  auto& ex = f.client->account(0);
  ex.place(o);
  REQUIRE(f.reports.wait(3));
  ex.amend(AmendOrder{AccountId(3), kBtc, o.client_order_id, "61000"_d, "0.003"_d});
  REQUIRE(f.reports.wait(4));
  const auto amended = f.reports.all().at(3);
  CHECK(as<OrderAmended>(amended) ==
        OrderAmended{AccountId(3), kBtc, o.client_order_id, "61000"_d, "0.003"_d});
  // The stream: the cancel leg (c = our amd- id) says nothing; the replacement's NEW is the
  // same OrderAmended fact.
  const std::string cancel_id =
      f.venue.requests("/api/v3/order/cancelReplace").at(0).param("cancelNewClientOrderId");
  REQUIRE(f.venue.wait_stream());
  f.venue.push(R"({"e":"executionReport","E":1669277163809,"s":"BTCUSDT","c":")" + cancel_id +
               R"(","S":"BUY","o":"LIMIT","f":"GTC","q":"0.00200000","p":"61837.63000000",
      "P":"0.00000000","F":"0.00000000","g":-1,"C":"C1000300000000000000000h8","x":"CANCELED",
      "X":"CANCELED","r":"NONE","i":28,"l":"0.00000000","z":"0.00000000","L":"0.00000000",
      "n":"0","N":null,"T":1669277163808,"t":-1,"v":3,"I":1,"w":false,"m":false,"M":false,
      "O":1507725176595,"Z":"0.00000000","Y":"0.00000000","Q":"0.00000000","V":"NONE"})");
  f.venue.push(R"({"e":"executionReport","E":1669277163810,"s":"BTCUSDT",
      "c":"C1000300000000000000000h8","S":"BUY","o":"LIMIT","f":"GTC","q":"0.00300000",
      "p":"61000.00000000","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"NEW","X":"NEW",
      "r":"NONE","i":29,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,
      "T":1669277163808,"t":-1,"v":3,"I":2,"w":true,"m":false,"M":false,"O":1669277163808,
      "Z":"0.00000000","Y":"0.00000000","Q":"0.00000000","W":1669277163808,"V":"NONE"})");
  REQUIRE(f.reports.wait(5));
  CHECK_FALSE(f.reports.wait(6, 200ms));  // the cancel leg gave nothing
  const auto again = f.reports.all().at(4);
  CHECK(again.payload == amended.payload);
  CHECK(again.report_id == amended.report_id);
}

}  // namespace oms::binance

namespace oms::binance {

TEST_CASE("spot cancel: DELETE by client id gives OrderCanceled; a refused cancel asks the state") {
  Fixture f;
  std::atomic<int> deletes{0};
  f.venue.script([&](const Recorded& r) {
    if (r.method == "DELETE") {
      CHECK(r.param("origClientOrderId") == "C1000300000000000000000i9");
      CHECK(r.signature_ok);
      if (deletes++ == 0)
        return json(200, R"({"symbol":"BTCUSDT","origClientOrderId":"C1000300000000000000000i9",
          "orderId":4242,"orderListId":-1,"clientOrderId":"cancelMyOrder1",
          "transactTime":1684804350068,"price":"61837.63000000","origQty":"0.00200000",
          "executedQty":"0.00050000","cummulativeQuoteQty":"30.91881500","status":"CANCELED",
          "timeInForce":"GTC","type":"LIMIT","side":"BUY","selfTradePreventionMode":"NONE"})");
      return json(400, R"({"code":-2011,"msg":"Unknown order sent."})");
    }
    CHECK(r.method == "GET");
    return json(200, R"({"symbol":"BTCUSDT","orderId":4242,"orderListId":-1,
      "clientOrderId":"C1000300000000000000000i9","price":"61837.63000000",
      "origQty":"0.00200000","executedQty":"0.00050000","cummulativeQuoteQty":"30.91881500",
      "status":"CANCELED","timeInForce":"GTC","type":"LIMIT","side":"BUY",
      "time":1684804350000,"updateTime":1684804350068,"isWorking":true})");
  });
  auto& ex = f.client->account(0);
  const CancelOrder c{AccountId(3), kBtc, cid_text("C1000300000000000000000i9")};
  ex.cancel(c);
  REQUIRE(f.reports.wait(2));
  auto rep = f.reports.all();
  CHECK(as<OrderAccepted>(rep[0]).venue_order_id.view() == "4242");
  CHECK(as<OrderCanceled>(rep[1]) ==
        OrderCanceled{AccountId(3), kBtc, c.client_order_id, "0.0005"_d});
  ex.cancel(c);  // -2011: no cancel event exists for that, the venue's state answers instead
  REQUIRE(f.reports.wait(3));
  rep = f.reports.all();
  REQUIRE(rep.size() == 3);
  const auto& s = as<OrderStatusReconciled>(rep[2]);
  CHECK(s.status == OrderStatus::kCanceled);
  CHECK(s.cum_qty == "0.0005"_d);
  CHECK(s.venue_order_id.view() == "4242");
}

}  // namespace oms::binance

namespace oms::binance {

TEST_CASE("order lanes: an account whose order budget is spent waits aside, another on the same lane goes on; each account's orders leave in the order given") {
  using namespace std::chrono;
  constexpr std::int64_t kWindowMs = 2'000;
  Fixture f(2, [](BinanceConfig& c) {
    c.pool_size = 1;  // one connection: one lane for both accounts
    c.rate_limits = {RateLimitRule{RateLimitType::kRequestWeight, 60'000, "1M", 6000},
                     RateLimitRule{RateLimitType::kOrders, kWindowMs, "2S", 2}};
    c.rate_limit_config.use_percent = 100;
  });
  Reports second;
  REQUIRE(f.client->account(1).start(second.sink()).ok());
  f.venue.script([](const Recorded&) { return json(400, R"({"code":-1013,"msg":"Filter failure: LOT_SIZE"})"); });
  // Start early in an order window, so that the account's first two orders and the third share one.
  const auto ms = [] { return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count(); };
  while (ms() % kWindowMs > kWindowMs / 4) std::this_thread::sleep_for(5ms);
  auto& a = f.client->account(0);
  a.place(limit_buy("C100030000000000000000la1"));
  a.place(limit_buy("C100030000000000000000la2"));
  REQUIRE(f.reports.wait(2));
  a.place(limit_buy("C100030000000000000000la3"));  // the window's budget is spent: held aside
  a.place(limit_buy("C100030000000000000000la4"));
  SubmitOrder b = limit_buy("C100040000000000000000lb1");
  b.account = AccountId(4);
  f.client->account(1).place(b);
  REQUIRE(second.wait(1, 1s));  // the other account is not behind it
  const auto ids = [&] {
    std::vector<std::string> out;
    for (const auto& r : f.venue.requests("/api/v3/order")) out.push_back(r.param("newClientOrderId"));
    return out;
  };
  CHECK(ids() == std::vector<std::string>{"C100030000000000000000la1", "C100030000000000000000la2",
                                          "C100040000000000000000lb1"});
  // When the window turns, the held orders leave, in the order given.
  REQUIRE(f.reports.wait(4, milliseconds(3 * kWindowMs)));
  CHECK(ids() == std::vector<std::string>{"C100030000000000000000la1", "C100030000000000000000la2",
                                          "C100040000000000000000lb1", "C100030000000000000000la3",
                                          "C100030000000000000000la4"});
  const auto reqs = f.venue.requests("/api/v3/order");
  CHECK(duration_cast<milliseconds>(reqs[3].at - reqs[2].at).count() > 0);
}

}  // namespace oms::binance

namespace oms::binance {

TEST_CASE("an idle account's order is written on the caller's thread, its response read on the lane; the account's next requests follow it in order") {
  using namespace std::chrono;
  auto latency = std::make_shared<SendLatency>();
  Fixture f(1, [&](BinanceConfig& c) {
    c.pool_size = 1;  // one connection (opened by start: time sync, listenKey), one lane
    c.latency = latency;
  });
  f.venue.script([](const Recorded& r) {
    if (r.method == "POST") std::this_thread::sleep_for(150ms);  // the venue takes its time
    if (r.method == "GET") return json(400, R"({"code":-2013,"msg":"Order does not exist."})");
    return json(400, R"({"code":-1013,"msg":"Filter failure: LOT_SIZE"})");
  });
  auto& a = f.client->account(0);
  const SendOrigin origin{SendOriginKind::kApi,
                          duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count()};
  a.place(limit_buy("C100030000000000000000dw1"), origin);
  // Its bytes were handed to the socket before place() returned: no lane in between.
  CHECK(latency->count(SendOriginKind::kApi) == 1);
  // The first's response is still out: these wait behind it, on the lane, in the order given.
  a.place(limit_buy("C100030000000000000000dw2"), origin);
  a.query(kBtc, cid_text("C100030000000000000000dw1"));
  REQUIRE(f.reports.wait(3, 3s));
  const auto reqs = f.venue.requests("/api/v3/order");
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].param("newClientOrderId") == "C100030000000000000000dw1");
  CHECK(reqs[0].signature_ok);
  CHECK(reqs[1].method == "POST");
  CHECK(reqs[1].param("newClientOrderId") == "C100030000000000000000dw2");
  CHECK(reqs[2].method == "GET");
  CHECK(reqs[2].param("origClientOrderId") == "C100030000000000000000dw1");
  // The second left only after the first's answer came back (one connection, in order).
  CHECK(duration_cast<milliseconds>(reqs[1].at - reqs[0].at).count() >= 140);
  const auto rep = f.reports.all();
  REQUIRE(rep.size() == 3);
  CHECK(as<OrderRejected>(rep[0]).client_order_id.view() == "C100030000000000000000dw1");
  CHECK(as<OrderRejected>(rep[0]).venue_code == -1013);
  CHECK(as<OrderRejected>(rep[1]).client_order_id.view() == "C100030000000000000000dw2");
  CHECK(latency->count(SendOriginKind::kApi) == 2);
}

}  // namespace oms::binance

namespace oms::binance {

TEST_CASE("a status query for an order whose query is still queued is not asked twice; once it ran, the next is asked") {
  using namespace std::chrono;
  Fixture f(1, [](BinanceConfig& c) { c.pool_size = 1; });  // one lane: the queries wait behind the order
  f.venue.script([](const Recorded& r) {
    if (r.method == "POST") std::this_thread::sleep_for(150ms);  // the venue takes its time
    if (r.method == "GET") return json(400, R"({"code":-2013,"msg":"Order does not exist."})");
    return json(400, R"({"code":-1013,"msg":"Filter failure: LOT_SIZE"})");
  });
  auto& a = f.client->account(0);
  a.place(limit_buy("C100030000000000000000qc1"));
  // An ack timer firing again and again while the queue is long: one query per order is queued.
  a.query(kBtc, cid_text("C100030000000000000000qc1"));
  a.query(kBtc, cid_text("C100030000000000000000qc2"));
  a.query(kBtc, cid_text("C100030000000000000000qc1"));
  a.query(kBtc, cid_text("C100030000000000000000qc2"));
  a.query(kBtc, cid_text("C100030000000000000000qc1"));
  REQUIRE(f.reports.wait(3, 3s));  // the order's rejection, the two queries' answers
  const auto gets = [&] {
    std::vector<std::string> out;
    for (const auto& r : f.venue.requests("/api/v3/order")) {
      if (r.method == "GET") out.push_back(r.param("origClientOrderId"));
    }
    return out;
  };
  CHECK(gets() == std::vector<std::string>{"C100030000000000000000qc1", "C100030000000000000000qc2"});
  // The queued query ran: a later one is asked.
  a.query(kBtc, cid_text("C100030000000000000000qc1"));
  REQUIRE(f.reports.wait(4, 3s));
  CHECK(gets() == std::vector<std::string>{"C100030000000000000000qc1", "C100030000000000000000qc2",
                                           "C100030000000000000000qc1"});
  std::this_thread::sleep_for(200ms);
  CHECK(f.reports.all().size() == 4);  // nothing more was asked or answered
}

}  // namespace oms::binance
