// BinanceUsdm over real loopback TLS against a scripted venue: /fapi paths, RESULT acks,
// batchOrders with a per-item error, modify as amend, ORDER_TRADE_UPDATE fills, leverage,
// positions and balances.
#include <doctest/doctest.h>

#include "exchange_test_venue.hpp"

namespace oms::binance {
namespace {
using namespace test;
using namespace decimal_literals;

constexpr InstrumentId kBtc(7);

SubmitOrder limit(std::string_view cid, Side side, Decimal price, Decimal qty) {
  SubmitOrder o;
  o.account = AccountId(3);
  o.instrument = kBtc;
  (void)o.client_order_id.assign(cid);
  o.side = side;
  o.price = price;
  o.quantity = qty;
  return o;
}

std::string order_json(std::string_view cid, std::uint64_t id, std::string_view status,
                       std::string_view price, std::string_view qty,
                       std::string_view executed = "0") {
  return R"({"clientOrderId":")" + std::string(cid) + R"(","cumQty":")" + std::string(executed) +
         R"(","cumQuote":"0","executedQty":")" + std::string(executed) + R"(","orderId":)" +
         std::to_string(id) + R"(,"avgPrice":"0.00000","origQty":")" + std::string(qty) +
         R"(","price":")" + std::string(price) + R"(","reduceOnly":false,"side":"BUY",
         "positionSide":"BOTH","status":")" +
         std::string(status) + R"(","stopPrice":"0",
         "closePosition":false,"symbol":"BTCUSDT","timeInForce":"GTC","type":"LIMIT",
         "origType":"LIMIT","updateTime":1566818724722,"workingType":"CONTRACT_PRICE",
         "priceProtect":false,"priceMatch":"NONE","selfTradePreventionMode":"NONE",
         "goodTillDate":0})";
}

struct Fixture {
  TestVenue venue;
  Reports reports;
  std::unique_ptr<BinanceVenue> client;
  Fixture() {
    client = std::make_unique<BinanceVenue>(venue.client_config(Market::kUsdm));
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

TEST_CASE("usdm place: signed POST /fapi/v1/order with RESULT; the ack is OrderAccepted") {
  Fixture f;
  CHECK(f.venue.requests("/fapi/v1/time").size() == 1);
  CHECK(f.venue.requests("/fapi/v1/listenKey").size() == 1);
  f.venue.script([](const Recorded& r) {
    CHECK(r.path == "/fapi/v1/order");
    return json(200, order_json("C1000300000000000000000u1", 22542179, "NEW", "30000", "0.01"));
  });
  f.client->account(0).place(limit("C1000300000000000000000u1", Side::kBuy, "30000"_d, "0.01"_d));
  REQUIRE(f.reports.wait(1));
  const auto r = f.venue.requests("/fapi/v1/order").at(0);
  CHECK(r.method == "POST");
  CHECK(r.signature_ok);
  CHECK(r.param("newOrderRespType") == "RESULT");
  CHECK(r.param("quantity") == "0.01");
  CHECK(r.param("price") == "30000");
  const auto a = as<OrderAccepted>(f.reports.all().at(0));
  CHECK(a.venue_order_id.view() == "22542179");
  CHECK(a.client_order_id.view() == "C1000300000000000000000u1");
}

TEST_CASE("usdm batch: one POST /fapi/v1/batchOrders; a per-item error rejects that order only") {
  Fixture f;
  f.venue.script([](const Recorded& r) {
    CHECK(r.path == "/fapi/v1/batchOrders");
    return json(200, "[" + order_json("C1000300000000000000000u2", 501, "NEW", "30000", "0.01") +
                         R"(,{"code":-2019,"msg":"Margin is insufficient."}])");
  });
  SubmitBatch b;
  b.account = AccountId(3);
  REQUIRE(b.orders.push_back(limit("C1000300000000000000000u2", Side::kBuy, "30000"_d, "0.01"_d)));
  REQUIRE(b.orders.push_back(limit("C1000300000000000000000u3", Side::kBuy, "29000"_d, "5"_d)));
  f.client->account(0).place_batch(b);
  REQUIRE(f.reports.wait(2));
  const auto rep = f.reports.all();
  REQUIRE(rep.size() == 2);
  CHECK(as<OrderAccepted>(rep[0]).client_order_id.view() == "C1000300000000000000000u2");
  const auto& rej = as<OrderRejected>(rep[1]);
  CHECK(rej.client_order_id.view() == "C1000300000000000000000u3");
  CHECK(rej.venue_code == -2019);
  const auto reqs = f.venue.requests("/fapi/v1/batchOrders");
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].signature_ok);
}

TEST_CASE(
    "usdm amend: PUT /fapi/v1/order; the answer and the AMENDMENT event share one report id") {
  Fixture f;
  f.venue.script([](const Recorded& r) {
    if (r.method == "POST")
      return json(200, order_json("C1000300000000000000000u4", 601, "NEW", "30000", "0.01"));
    CHECK(r.method == "PUT");
    CHECK(r.param("side") == "BUY");
    CHECK(r.param("price") == "30100");
    CHECK(r.param("quantity") == "0.02");
    CHECK(r.param("origClientOrderId") == "C1000300000000000000000u4");
    return json(200, order_json("C1000300000000000000000u4", 601, "NEW", "30100", "0.02"));
  });
  auto& ex = f.client->account(0);
  SubmitOrder o = limit("C1000300000000000000000u4", Side::kBuy, "30000"_d, "0.01"_d);
  ex.place(o);
  ex.amend(AmendOrder{AccountId(3), kBtc, o.client_order_id, "30100"_d, "0.02"_d});
  REQUIRE(f.reports.wait(2));
  const auto amended = f.reports.all().at(1);
  CHECK(as<OrderAmended>(amended) ==
        OrderAmended{AccountId(3), kBtc, o.client_order_id, "30100"_d, "0.02"_d});
  REQUIRE(f.venue.wait_stream());
  f.venue.push(R"({"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{
    "s":"BTCUSDT","c":"C1000300000000000000000u4","S":"BUY","o":"LIMIT","f":"GTC","q":"0.02",
    "p":"30100","ap":"0","sp":"0","x":"AMENDMENT","X":"NEW","i":601,"l":"0","z":"0","L":"0",
    "n":"0","N":"USDT","T":1568879465650,"t":0,"b":"0","a":"0","m":false,"R":false,
    "wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"BOTH","cp":false,"rp":"0","pP":false,"si":0,
    "ss":0,"V":"NONE","pm":"NONE","gtd":0}})");
  REQUIRE(f.reports.wait(3));
  const auto again = f.reports.all().at(2);
  CHECK(again.payload == amended.payload);
  CHECK(again.report_id == amended.report_id);
}

TEST_CASE("usdm user data: ORDER_TRADE_UPDATE fill and ACCOUNT_UPDATE position as reports") {
  Fixture f;
  REQUIRE(f.venue.wait_stream());
  f.venue.push(R"({"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{
    "s":"BTCUSDT","c":"C1000300000000000000000u5","S":"SELL","o":"LIMIT","f":"GTC","q":"0.010",
    "p":"30000","ap":"30000.5","sp":"0","x":"TRADE","X":"FILLED","i":8886774,"l":"0.010",
    "z":"0.010","L":"30000.5","n":"0.12000200","N":"USDT","T":1568879465650,"t":99887766,
    "b":"0","a":"0","m":false,"R":false,"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"BOTH",
    "cp":false,"rp":"1.25","pP":false,"si":0,"ss":0,"V":"NONE","pm":"NONE","gtd":0}})");
  f.venue.push(R"({"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,"a":{"m":"ORDER",
    "B":[{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"}],
    "P":[{"s":"BTCUSDT","pa":"-0.010","ep":"30000.5","bep":"0","cr":"200","up":"-0.05",
    "mt":"cross","iw":"0.00000000","ps":"BOTH"}]}})");
  REQUIRE(f.reports.wait(4));
  const auto rep = f.reports.all();
  REQUIRE(rep.size() == 4);
  const auto& fill = as<FillReceived>(rep[0]);
  CHECK(fill.trade_id.view() == "99887766");
  CHECK(fill.side == Side::kSell);
  CHECK(fill.price == "30000.5"_d);
  CHECK(fill.quantity == "0.01"_d);
  CHECK(fill.fee == "0.120002"_d);
  CHECK(fill.fee_asset.view() == "USDT");
  CHECK(fill.liquidity == Liquidity::kTaker);
  CHECK(as<OrderFilled>(rep[1]).avg_price == "30000.5"_d);
  CHECK(as<BalanceUpdated>(rep[2]).free == "122624.12345678"_d);
  const auto& pos = as<PositionUpdated>(rep[3]);
  CHECK(pos.instrument == kBtc);
  CHECK(pos.size == Decimal::from_raw(-10'000'000));
  CHECK(pos.entry_price == "30000.5"_d);
}

TEST_CASE("usdm administration: leverage, margin type, positions, balances") {
  Fixture f;
  f.venue.script([](const Recorded& r) {
    if (r.path == "/fapi/v1/leverage")
      return json(200, R"({"leverage":21,"maxNotionalValue":"1000000","symbol":"BTCUSDT"})");
    if (r.path == "/fapi/v1/marginType")
      return json(400, R"({"code":-4046,"msg":"No need to change margin type."})");
    if (r.path == "/fapi/v2/positionRisk")
      return json(200, R"([{"entryPrice":"0.00000","breakEvenPrice":"0.0","marginType":"isolated",
        "isAutoAddMargin":"false","isolatedMargin":"12.5","leverage":"10",
        "liquidationPrice":"0","markPrice":"6679.50671178","maxNotionalValue":"20000000",
        "positionAmt":"0.002","notional":"0","isolatedWallet":"0","symbol":"BTCUSDT",
        "unRealizedProfit":"0.30000000","positionSide":"BOTH","updateTime":0},
        {"entryPrice":"1","marginType":"cross","isAutoAddMargin":"false","isolatedMargin":"0",
        "leverage":"5","liquidationPrice":"0","markPrice":"1","maxNotionalValue":"1",
        "positionAmt":"0","symbol":"ETHUSDT","unRealizedProfit":"0","positionSide":"BOTH",
        "updateTime":0}])");
    CHECK(r.path == "/fapi/v2/balance");
    return json(200, R"([{"accountAlias":"SgsR","asset":"USDT","balance":"122607.35137903",
      "crossWalletBalance":"23.72469206","crossUnPnl":"0.00000000",
      "availableBalance":"23.72469206","maxWithdrawAmount":"23.72469206",
      "marginAvailable":true,"updateTime":1617939110373}])");
  });
  auto& ex = f.client->account(0);
  auto lev = ex.set_leverage(kBtc, 21);
  REQUIRE(lev.ok());
  CHECK(*lev == LeverageChanged{AccountId(3), kBtc, 21});
  CHECK(f.venue.requests("/fapi/v1/leverage").at(0).param("leverage") == "21");
  auto mt = ex.set_margin_type(kBtc, MarginType::kIsolated);
  REQUIRE(mt.ok());
  CHECK(f.venue.requests("/fapi/v1/marginType").at(0).param("marginType") == "ISOLATED");
  auto pos = ex.positions();
  REQUIRE(pos.ok());
  REQUIRE(pos->size() == 1);  // ETHUSDT is not configured
  CHECK(pos->at(0).size == "0.002"_d);
  CHECK(pos->at(0).leverage == 10);
  CHECK(pos->at(0).margin_type == MarginType::kIsolated);
  CHECK(pos->at(0).isolated_margin == "12.5"_d);
  auto bal = ex.balances();
  REQUIRE(bal.ok());
  REQUIRE(bal->size() == 1);
  CHECK(bal->at(0).asset.view() == "USDT");
  CHECK(bal->at(0).free == "122607.35137903"_d);
  CHECK(bal->at(0).market == Market::kUsdm);
}

}  // namespace oms::binance
