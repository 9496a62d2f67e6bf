// Upbit account data -> our events: the private WebSocket's myOrder / myAsset in both formats
// (Upbit's documented examples, written here as literals with the source noted), every state,
// fees and balances past 8 decimals rounded the safe way and noted, the REST answers (order ack,
// one order with its trades, order lists, accounts) and the error body as a named refusal.
// ccxt's static upbit response file holds public answers only (trades, ticker, candles): none of
// it is account data.
#include <doctest/doctest.h>

#include <string>

#include "oms/connectors/upbit/private_data.hpp"

using namespace oms;
using namespace oms::upbit;

namespace {
Decimal d(const char* s) { return *Decimal::parse(s); }
constexpr TimeNs kMs = 1'000'000;

Instrument make(std::uint32_t id, const char* code) {
  Instrument i;
  i.id = InstrumentId{id};
  i.exchange = ExchangeId::kUpbit;
  i.venue_symbol = code;
  return i;
}
const Instrument kKrwBtc = make(21, "KRW-BTC");
const AccountContext kCtx{AccountId{5}, [](std::string_view code) -> const Instrument* {
                            return code == "KRW-BTC" ? &kKrwBtc : nullptr;
                          }};

// docs.upbit.com/kr/reference/websocket-myorder, "수신 메시지 예제" (DEFAULT).
constexpr std::string_view kDocsMyOrder = R"({
  "type": "myOrder", "code": "KRW-BTC", "uuid": "ac2dc2a3-fce9-40a2-a4f6-5987c25c438f",
  "ask_bid": "BID", "order_type": "limit", "state": "trade",
  "trade_uuid": "68315169-fba4-4175-ade3-aff14a616657", "price": 0.001453, "avg_price": 0.00145372,
  "volume": 30925891.29839369, "remaining_volume": 29968038.09235948,
  "executed_volume": 30925891.29839369, "trades_count": 1, "reserved_fee": 44.23943970238218,
  "remaining_fee": 21.77177967409916, "paid_fee": 22.467660028283017, "locked": 43565.33112787242,
  "executed_funds": 44935.32005656603, "time_in_force": null, "trade_fee": 22.467660028283017,
  "is_maker": true, "identifier": "test-1", "smp_type": "cancel_maker",
  "prevented_volume": 1.174291929, "prevented_locked": 0.001706246173,
  "trade_timestamp": 1710751590421, "order_timestamp": 1710751590000, "timestamp": 1710751597500,
  "stream_type": "REALTIME"
})";
// The same in the SIMPLE names of the docs' table (ty, cd, uid, ab, ot, s, tuid, p, ap, v, rv, ev,
// tc, rsf, rmf, pf, l, ef, tif, tf, im, id, smpt, pv, pl, ttms, otms, tms, st).
constexpr std::string_view kSimpleMyOrder = R"({
  "ty": "myOrder", "cd": "KRW-BTC", "uid": "ac2dc2a3-fce9-40a2-a4f6-5987c25c438f", "ab": "BID",
  "ot": "limit", "s": "trade", "tuid": "68315169-fba4-4175-ade3-aff14a616657", "p": 0.001453,
  "ap": 0.00145372, "v": 30925891.29839369, "rv": 29968038.09235948, "ev": 30925891.29839369,
  "tc": 1, "rsf": 44.23943970238218, "rmf": 21.77177967409916, "pf": 22.467660028283017,
  "l": 43565.33112787242, "ef": 44935.32005656603, "tif": null, "tf": 22.467660028283017,
  "im": true, "id": "test-1", "smpt": "cancel_maker", "pv": 1.174291929, "pl": 0.001706246173,
  "ttms": 1710751590421, "otms": 1710751590000, "tms": 1710751597500, "st": "REALTIME"
})";
// docs.upbit.com/kr/reference/websocket-myasset, "수신 메시지 예제".
constexpr std::string_view kDocsMyAsset = R"({
    "type": "myAsset", "asset_uuid": "e635f223-1609-4969-8fb6-4376937baad6",
    "assets": [{"currency": "KRW", "balance": 1386929.37231066771348207123,
                "locked": 10329.670127489597585685}],
    "asset_timestamp": 1710146517259, "timestamp": 1710146517267, "stream_type": "REALTIME"
})";

PrivateMessage parsed(std::string_view json, PrivateKind kind) {
  venue::JsonParser p;
  PrivateMessage m;
  const auto r = parse_private(p, json, kCtx, m);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  CHECK(*r == kind);
  return m;
}
std::string error_of(std::string_view json) {
  venue::JsonParser p;
  PrivateMessage m;
  const auto r = parse_private(p, json, kCtx, m);
  return r.ok() ? std::string("ok") : r.error().message;
}
std::string with(std::string_view base, std::string_view from, std::string_view to) {
  std::string s(base);
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
  return s;
}
// A myOrder of the docs' order in another state (no trade fields).
std::string order_in(std::string_view state, std::string_view type = "limit",
                     std::string_view tif = "null") {
  return std::string(R"({"type":"myOrder","code":"KRW-BTC","uuid":"ac2dc2a3","ask_bid":"ASK","order_type":")") +
         std::string(type) + R"(","state":")" + std::string(state) +
         R"(","price":140000000,"avg_price":140000000.0,"volume":0.5,"remaining_volume":0.2,)"
         R"("executed_volume":0.3,"time_in_force":)" + std::string(tif) +
         R"(,"identifier":"c-9","timestamp":1710751597500})";
}
}  // namespace

// ---- myOrder --------------------------------------------------------------------------------
TEST_CASE("myOrder trade (the docs' example, both formats): the fill then partially filled") {
  for (const auto json : {kDocsMyOrder, kSimpleMyOrder}) {
    const auto m = parsed(json, PrivateKind::kMyOrder);
    REQUIRE(m.events.size() == 2);
    const auto& fill = std::get<FillReceived>(m.events[0].payload);
    CHECK(m.events[0].venue_order_id == "ac2dc2a3-fce9-40a2-a4f6-5987c25c438f");
    CHECK(m.events[0].venue_time == 1710751590421 * kMs);  // trade_timestamp
    CHECK(fill.account == AccountId{5});
    CHECK(fill.instrument == kKrwBtc.id);
    CHECK(fill.client_order_id.view() == "test-1");
    CHECK(fill.trade_id.view() == "68315169-fba4-4175-ade3-aff14a616657");
    CHECK(fill.side == Side::kBuy);
    CHECK(fill.price == d("0.001453"));
    CHECK(fill.quantity == d("30925891.29839369"));
    CHECK(fill.fee == d("22.467660029"));  // 22.467660028283017 rounded up: never less than charged
    CHECK(fill.fee_asset.view() == "KRW");
    CHECK(fill.liquidity == Liquidity::kMaker);
    const auto& part = std::get<OrderPartiallyFilled>(m.events[1].payload);
    CHECK(m.events[1].venue_time == 1710751597500 * kMs);
    CHECK(part.cum_qty == d("30925891.29839369"));
    CHECK(part.leaves_qty == d("29968038.09235948"));
    CHECK(part.avg_price == d("0.00145372"));
    REQUIRE(m.notes.size() == 1);
    const std::string fee_name = json == kDocsMyOrder ? "trade_fee" : "tf";
    CHECK(m.notes[0] == "myOrder." + fee_name + ": '22.467660028283017' rounded to 22.467660029 (more than 9 decimals)");
  }
}

TEST_CASE("myOrder states: wait / watch accepted, done filled, cancel by whom, prevented") {
  auto m = parsed(order_in("wait"), PrivateKind::kMyOrder);
  REQUIRE(m.events.size() == 1);
  CHECK(std::get<OrderAccepted>(m.events[0].payload) ==
        OrderAccepted{AccountId{5}, kKrwBtc.id, ClientOrderIdText("c-9"), VenueOrderId("ac2dc2a3")});
  CHECK(std::holds_alternative<OrderAccepted>(parsed(order_in("watch"), PrivateKind::kMyOrder).events[0].payload));
  m = parsed(order_in("done"), PrivateKind::kMyOrder);
  CHECK(std::get<OrderFilled>(m.events[0].payload) ==
        OrderFilled{AccountId{5}, kKrwBtc.id, ClientOrderIdText("c-9"), d("0.3"), d("140000000")});
  // A limit order's cancel is the user's; ioc / fok remainders and market orders' are the venue's.
  CHECK(std::get<OrderCanceled>(parsed(order_in("cancel"), PrivateKind::kMyOrder).events[0].payload).cum_qty == d("0.3"));
  CHECK(std::holds_alternative<OrderCanceled>(parsed(order_in("cancel", "limit", "\"post_only\""), PrivateKind::kMyOrder).events[0].payload));
  CHECK(std::holds_alternative<OrderExpired>(parsed(order_in("cancel", "limit", "\"ioc\""), PrivateKind::kMyOrder).events[0].payload));
  CHECK(std::holds_alternative<OrderExpired>(parsed(order_in("cancel", "best", "\"fok\""), PrivateKind::kMyOrder).events[0].payload));
  CHECK(std::holds_alternative<OrderExpired>(parsed(order_in("cancel", "price"), PrivateKind::kMyOrder).events[0].payload));
  CHECK(std::holds_alternative<OrderExpired>(parsed(order_in("cancel", "market"), PrivateKind::kMyOrder).events[0].payload));
  // Self-trade prevention ended it.
  CHECK(std::get<OrderExpired>(parsed(order_in("prevented"), PrivateKind::kMyOrder).events[0].payload).cum_qty == d("0.3"));
}

TEST_CASE("myOrder trade that completes the order: the fill only (done follows)") {
  const auto m = parsed(with(kDocsMyOrder, "29968038.09235948", "0.0"), PrivateKind::kMyOrder);
  REQUIRE(m.events.size() == 1);
  CHECK(std::holds_alternative<FillReceived>(m.events[0].payload));
  // A market buy by amount (no remaining_volume): leaves unknown, reported 0.
  std::string price_order = with(kDocsMyOrder, R"("remaining_volume": 29968038.09235948,)", "");
  price_order = with(price_order, R"("order_type": "limit")", R"("order_type": "price")");
  const auto p = parsed(price_order, PrivateKind::kMyOrder);
  REQUIRE(p.events.size() == 2);
  CHECK(std::get<OrderPartiallyFilled>(p.events[1].payload).leaves_qty == Decimal{});
  // Before trade_fee was sent: the first trade's fee is the order's paid_fee.
  const auto old = parsed(with(kDocsMyOrder, R"("trade_fee": 22.467660028283017,)", ""), PrivateKind::kMyOrder);
  CHECK(std::get<FillReceived>(old.events[0].payload).fee == d("22.467660029"));
}

TEST_CASE("myOrder of a market that is not ours is skipped with the reason") {
  const auto m = parsed(with(kDocsMyOrder, R"("code": "KRW-BTC")", R"("code": "KRW-ETH")"), PrivateKind::kMyOrder);
  CHECK(m.events.empty());
  REQUIRE(m.skipped.size() == 1);
  CHECK(m.skipped[0] == "myOrder ac2dc2a3-fce9-40a2-a4f6-5987c25c438f: code KRW-ETH is not a configured instrument");
}

// ---- myAsset, status, errors ----------------------------------------------------------------------
TEST_CASE("myAsset (the docs' example): free rounded down, locked up, both noted") {
  const auto m = parsed(kDocsMyAsset, PrivateKind::kMyAsset);
  REQUIRE(m.events.size() == 1);
  CHECK(m.events[0].venue_time == 1710146517259 * kMs);  // asset_timestamp
  const auto& b = std::get<BalanceUpdated>(m.events[0].payload);
  CHECK(b == BalanceUpdated{AccountId{5}, ExchangeId::kUpbit, Market::kSpot, AssetCode("KRW"),
                            d("1386929.372310667"), d("10329.67012749")});
  REQUIRE(m.notes.size() == 2);
  CHECK(m.notes[0] == "myAsset.assets[0].balance: '1386929.37231066771348207123' rounded to 1386929.372310667 (more than 9 decimals)");
  // SIMPLE names, two currencies, exponent form.
  const auto s = parsed(R"({"ty":"myAsset","astuid":"x","ast":[{"cu":"KRW","b":5000.5,"l":0},)"
                        R"({"cu":"BTC","b":1.2E-7,"l":1.0E-9}],"asttms":1,"tms":2,"st":"REALTIME"})",
                        PrivateKind::kMyAsset);
  REQUIRE(s.events.size() == 2);
  CHECK(std::get<BalanceUpdated>(s.events[1].payload).free == d("0.00000012"));
  CHECK(std::get<BalanceUpdated>(s.events[1].payload).locked == d("0.000000001"));  // 1e-9: exact
}

TEST_CASE("private status and error messages") {
  CHECK(parsed(R"({"status":"UP"})", PrivateKind::kStatus).events.empty());
  const auto e = parsed(R"({"error":{"name":"INVALID_AUTH","message":"인증 정보가 올바르지 않습니다."}})", PrivateKind::kError);
  CHECK(e.error_name == "INVALID_AUTH");
  CHECK(parsed(R"({"type":"announcement","x":1})", PrivateKind::kOther).events.empty());
}

TEST_CASE("private errors name the field as sent") {
  CHECK(error_of(with(kDocsMyOrder, R"("state": "trade")", R"("state": "filled")")) ==
        "myOrder.state: 'filled' is not wait, watch, trade, done, cancel or prevented");
  CHECK(error_of(with(kSimpleMyOrder, R"("tuid": "68315169-fba4-4175-ade3-aff14a616657",)", "")) == "myOrder.tuid: missing");
  CHECK(error_of(with(kDocsMyOrder, R"("price": 0.001453)", R"("price": 0.0014531234)")) ==
        "myOrder.price: more than 9 fractional digits '0.0014531234'");
  CHECK(error_of(with(kDocsMyOrder, R"("ask_bid": "BID")", R"("ask_bid": "BUY")")) ==
        "myOrder.ask_bid: expected ASK or BID, got 'BUY'");
  CHECK(error_of(with(kDocsMyOrder, R"("trade_timestamp": 1710751590421)", R"("trade_timestamp": "soon")")) ==
        "myOrder.trade_timestamp: expected milliseconds, got 'soon'");
  CHECK(error_of(with(kDocsMyAsset, R"("locked": 10329.670127489597585685)", R"("x": 1)")) ==
        "myAsset.assets[0].locked: missing");
  CHECK(error_of(R"([{"type":"myOrder"}])") == "private: expected a JSON object (format DEFAULT or SIMPLE)");
}

// ---- REST -----------------------------------------------------------------------------------------
// docs.upbit.com/kr/reference/new-order, 201 "Successful Example".
constexpr std::string_view kDocsOrderAck = R"({
  "market": "KRW-BTC", "uuid": "cdd92199-2897-4e14-9448-f923320408ad", "side": "ask",
  "ord_type": "limit", "price": "140000000", "state": "wait", "created_at": "2025-07-04T15:00:00+09:00",
  "volume": "1.0", "remaining_volume": "1.0", "reserved_fee": "70000.0", "remaining_fee": "70000.0",
  "paid_fee": "0.0", "locked": "0.0", "executed_volume": "0.0", "prevented_volume": "0",
  "prevented_locked": "0", "trades_count": 0
})";

TEST_CASE("REST order ack and refusals by name") {
  const auto ack = parse_order_ack(kDocsOrderAck);
  REQUIRE(ack.ok());
  CHECK(ack->uuid == "cdd92199-2897-4e14-9448-f923320408ad");
  CHECK(ack->state == "wait");
  CHECK(ack->market == "KRW-BTC");
  CHECK(ack->identifier.empty());
  // The same endpoint's documented 400 example.
  const auto refused = parse_order_ack(
      R"({"error":{"name":"insufficient_funds_bid","message":"주문 가능한 금액(KRW)이 부족합니다."}})");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().refused);
  CHECK(refused.error().refusal.code == 40004);
  CHECK(refused.error().refusal.name == "insufficient_funds_bid");
  CHECK(refused.error().refusal.message == "주문 가능한 금액(KRW)이 부족합니다.");
  CHECK(reason_of(refused.error().refusal).view() == "insufficient_funds_bid: 주문 가능한 금액(KRW)이 부족합니다.");
  CHECK(code_of("market_offline") == 40301);
  CHECK(code_of("order_not_found") == 40401);
  CHECK(code_of("something_new") == -1);
  // A long message is cut on a character boundary (3-byte Hangul), never inside one.
  VenueRefusal long_one{40009, "invalid_parameter", std::string(60, 'x') + "잘못된 파라미터 잘못된 파라미터 잘못된 파라미터"};
  const auto reason = reason_of(long_one);
  CHECK(reason.size() <= ReasonText::kCapacity);
  CHECK((static_cast<unsigned char>(reason.view().back()) & 0xC0U) != 0xC0U);
  CHECK(std::string(long_one.name + ": " + long_one.message).starts_with(reason.view()));
  CHECK_FALSE(parse_order_ack(R"({"uuid":)").ok());
  CHECK(parse_order_ack(R"({"error":{"message":"x"}})").error().message == "order.error.name: missing");
}

TEST_CASE("REST one order with its trades: reconciled, fills with the paid fee split by funds") {
  // GET /v1/order as documented (node-upbit-api's copy of the docs, 2019), with a second trade.
  const std::string body = R"({
    "uuid": "9ca023a5-851b-4fec-9f0a-48cd83c2eaae", "side": "ask", "ord_type": "limit",
    "price": "4280000.0", "state": "done", "market": "KRW-BTC",
    "created_at": "2019-01-04T13:48:09+09:00", "volume": "1.0", "remaining_volume": "0.0",
    "reserved_fee": "0.0", "remaining_fee": "0.0", "paid_fee": "3210.0", "locked": "0.0",
    "executed_volume": "1.5", "trades_count": 2, "identifier": "c-1",
    "trades": [
      {"market": "KRW-BTC", "uuid": "9e8f8eba-7050-4837-8969-cfc272cbe083", "price": "4280000.0",
       "volume": "1.0", "funds": "4280000.0", "side": "ask", "created_at": "2019-01-04T13:48:09+09:00"},
      {"market": "KRW-BTC", "uuid": "9e8f8eba-7050-4837-8969-cfc272cbe084", "price": "4280000.0",
       "volume": "0.5", "funds": "2140000.0", "side": "ask", "created_at": "2019-01-04T13:48:10+09:00"}
    ]})";
  const auto r = parse_order(body, kCtx);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  CHECK(r->order == OrderStatusReconciled{AccountId{5}, kKrwBtc.id, ClientOrderIdText("c-1"),
                                          VenueOrderId("9ca023a5-851b-4fec-9f0a-48cd83c2eaae"),
                                          OrderStatus::kFilled, d("1.5"), d("4280000")});
  REQUIRE(r->fills.size() == 2);
  const auto& f0 = std::get<FillReceived>(r->fills[0].payload);
  const auto& f1 = std::get<FillReceived>(r->fills[1].payload);
  CHECK(f0.trade_id.view() == "9e8f8eba-7050-4837-8969-cfc272cbe083");
  CHECK(f0.side == Side::kSell);
  CHECK(f0.quantity == d("1"));
  CHECK(f0.fee == d("2140"));  // 3210 x 4280000 / 6420000
  CHECK(f1.fee == d("1070"));  // the rest: they add up to paid_fee
  CHECK(f0.fee_asset.view() == "KRW");
  CHECK(r->fills[0].venue_time == 1546577289LL * 1'000'000'000);
  CHECK(r->fills[1].venue_time == 1546577290LL * 1'000'000'000);
  CHECK(r->fills[0].venue_order_id == "9ca023a5-851b-4fec-9f0a-48cd83c2eaae");
  CHECK(r->notes.size() == 2);  // the split, and taker assumed
}

TEST_CASE("REST order lists, cancel states, accounts") {
  const auto page = parse_orders(
      R"([{"uuid":"a","side":"bid","ord_type":"limit","price":"100.0","state":"wait","market":"KRW-BTC",)"
      R"("volume":"0.01","remaining_volume":"0.004","executed_volume":"0.006","executed_funds":"0.6","trades_count":1},)"
      R"({"uuid":"b","side":"bid","ord_type":"price","price":"5000","state":"cancel","market":"KRW-BTC",)"
      R"("executed_volume":"0.00007","executed_funds":"4999.99","trades_count":1},)"
      R"({"uuid":"c","side":"ask","ord_type":"limit","price":"1","state":"wait","market":"KRW-XRP","executed_volume":"0"}])",
      kCtx);
  REQUIRE_MESSAGE(page.ok(), (page.ok() ? std::string() : page.error().message));
  CHECK(page->count == 3);
  REQUIRE(page->orders.size() == 2);
  CHECK(page->orders[0].status == OrderStatus::kPartiallyFilled);
  CHECK(page->orders[0].avg_price == d("100"));
  CHECK(page->orders[1].status == OrderStatus::kExpired);  // a market buy's rest: the venue's
  CHECK(page->orders[1].avg_price == d("71428428.571428571"));  // 4999.99 / 0.00007, rounded
  REQUIRE(page->skipped.size() == 1);
  CHECK(page->skipped[0] == "orders[2]: market KRW-XRP is not a configured instrument");

  // GET /v1/accounts as documented.
  const auto acc = parse_accounts(
      R"([{"currency":"KRW","balance":"1000000.0","locked":"0.0","avg_buy_price":"0","avg_buy_price_modified":false,"unit_currency":"KRW"},)"
      R"({"currency":"BTC","balance":"2.0","locked":"0.1234567891","avg_buy_price":"101000","avg_buy_price_modified":false,"unit_currency":"KRW"}])",
      kCtx);
  REQUIRE(acc.ok());
  REQUIRE(acc->balances.size() == 2);
  CHECK(acc->balances[0] == BalanceUpdated{AccountId{5}, ExchangeId::kUpbit, Market::kSpot, AssetCode("KRW"), d("1000000"), Decimal{}});
  CHECK(acc->balances[1].locked == d("0.12345679"));  // 0.1234567891 up: never less than held
  CHECK(acc->notes.size() == 1);
  CHECK(parse_accounts(R"([{"currency":"KRW","balance":"x","locked":"0"}])", kCtx).error().message ==
        "accounts[0].balance: not a decimal that fits 'x'");
  CHECK(parse_accounts(R"({"error":{"name":"jwt_verification","message":"x"}})", kCtx).error().refusal.code == 40102);
}
