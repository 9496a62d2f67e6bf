// Bybit v5 REST builders and rendering: exact bodies and queries, the signature rule against
// the shared third-party vectors, and each refusal naming its field.
#include <doctest/doctest.h>

#include <string>

#include "oms/connectors/bybit/requests.hpp"

using namespace oms;
using namespace oms::bybit;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

Instrument instrument(Market m, const char* venue, const char* base = "BTC") {
  Instrument in;
  in.exchange = ExchangeId::kBybit;
  in.market = m;
  in.venue_symbol = venue;
  in.symbol.base = base;
  in.symbol.quote = "USDT";
  if (m == Market::kUsdm) in.symbol.settle = "USDT";
  return in;
}

SubmitOrder order(Side side, OrderType t, const char* qty, const char* price = "0",
                  const char* stop = "0") {
  SubmitOrder o;
  o.side = side;
  o.order_type = t;
  o.quantity = d(qty);
  o.price = d(price);
  o.stop_price = d(stop);
  return o;
}

std::string body(const Req& r) {
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  return r->payload();
}

std::string refusal(const Req& r) {
  REQUIRE(!r.ok());
  return r.error().message;
}

signing::HmacSha256 hmac(const char* secret) { return std::move(signing::HmacSha256::create(secret)).value(); }

}  // namespace

TEST_CASE("bybit signature: timestamp + api key + recv window + payload, hex HMAC-SHA256 (the shared v5 vectors)") {
  auto h = hmac("test_secret");
  std::string sig;
  REQUIRE(append_signature(h, 1'700'000'000'000, "test_api_key", 5000, "category=linear&symbol=BTCUSDT", sig).ok());
  CHECK(sig == "fd4f31228a46109dc6673062328693696df9a96c7ff04e6491a45e7f63a0fdd7");
  sig.clear();
  REQUIRE(append_signature(h, 1'700'000'000'000, "test_api_key", 5000,
                           R"({"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "test-order-1"})", sig)
              .ok());
  CHECK(sig == "2df4a0603d69c08d5dea29ba85b46eb7db64ce9e9ebd34a7802a3d69700cb2a1");
}

TEST_CASE("bybit render: a signed GET signs its query as sent, a POST its JSON body; headers X-BAPI-*") {
  auto h = hmac("test_secret");
  const Credentials creds{"test_api_key", &h, 5000};
  const Instrument btc = instrument(Market::kUsdm, "BTCUSDT");
  auto q = open_orders(Category::kLinear, &btc);
  REQUIRE(q.ok());
  auto get = render(*q, creds, 1'700'000'000'000);
  REQUIRE(get.ok());
  CHECK(get->method == "GET");
  CHECK(get->target == "/v5/order/realtime?category=linear&symbol=BTCUSDT");
  CHECK(get->body.empty());
  CHECK(*net::HttpResponse{0, get->headers, {}}.header("X-BAPI-SIGN") ==
        "fd4f31228a46109dc6673062328693696df9a96c7ff04e6491a45e7f63a0fdd7");
  CHECK(*net::HttpResponse{0, get->headers, {}}.header("X-BAPI-API-KEY") == "test_api_key");
  CHECK(*net::HttpResponse{0, get->headers, {}}.header("X-BAPI-TIMESTAMP") == "1700000000000");
  CHECK(*net::HttpResponse{0, get->headers, {}}.header("X-BAPI-RECV-WINDOW") == "5000");

  SubmitOrder o = order(Side::kBuy, OrderType::kLimit, "0.001", "61000.5");
  REQUIRE(o.client_order_id.assign("oms-1_a"));
  auto post = render(*new_order(btc, o), creds, 1'700'000'000'000);
  REQUIRE(post.ok());
  CHECK(post->method == "POST");
  CHECK(post->target == "/v5/order/create");
  CHECK(post->body ==
        R"({"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"61000.5","orderLinkId":"oms-1_a"})");
  CHECK(*net::HttpResponse{0, post->headers, {}}.header("Content-Type") == "application/json");
  std::string expect;
  REQUIRE(append_signature(h, 1'700'000'000'000, "test_api_key", 5000, post->body, expect).ok());
  CHECK(*net::HttpResponse{0, post->headers, {}}.header("X-BAPI-SIGN") == expect);

  // Public endpoints carry no key; signed ones need one.
  auto t = render(*server_time(), Credentials{}, 0);
  REQUIRE(t.ok());
  CHECK(t->headers.empty());
  CHECK(render(*q, Credentials{}, 1).error().message == "/v5/order/realtime: api key required");
  CHECK(render(*q, Credentials{"k", nullptr, 5000}, 1).error().message ==
        "/v5/order/realtime: signer required for a signed endpoint");
}

TEST_CASE("bybit new_order: market units, time in force, conditional direction, TP/SL, hedge side") {
  const Instrument spot = instrument(Market::kSpot, "BTCUSDT");
  const Instrument lin = instrument(Market::kUsdm, "BTCUSDT");
  // A spot market buy of base says so (a market buy's qty is quote by default) ...
  CHECK(body(new_order(spot, order(Side::kBuy, OrderType::kMarket, "0.2"))) ==
        R"({"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.2","marketUnit":"baseCoin"})");
  // ... a spot market sell of base does not (base is its default) ...
  CHECK(body(new_order(spot, order(Side::kSell, OrderType::kMarket, "0.2"))) ==
        R"({"category":"spot","symbol":"BTCUSDT","side":"Sell","orderType":"Market","qty":"0.2"})");
  // ... and by quote: a buy needs no unit, a sell says quoteCoin.
  OrderExtras by_quote;
  by_quote.quote_quantity = d("25");
  CHECK(body(new_order(spot, order(Side::kBuy, OrderType::kMarket, "0"), by_quote)) ==
        R"({"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"25"})");
  CHECK(body(new_order(spot, order(Side::kSell, OrderType::kMarket, "0"), by_quote)) ==
        R"({"category":"spot","symbol":"BTCUSDT","side":"Sell","orderType":"Market","qty":"25","marketUnit":"quoteCoin"})");
  SubmitOrder po = order(Side::kSell, OrderType::kLimit, "1", "70000");
  po.tif = TimeInForce::kPostOnly;
  CHECK(body(new_order(spot, po)) ==
        R"({"category":"spot","symbol":"BTCUSDT","side":"Sell","orderType":"Limit","qty":"1","price":"70000","timeInForce":"PostOnly"})");
  // Spot conditional: orderFilter StopOrder, no direction.
  CHECK(body(new_order(spot, order(Side::kBuy, OrderType::kStopLossLimit, "0.1", "36000", "36001"))) ==
        R"({"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.1","price":"36000","triggerPrice":"36001","orderFilter":"StopOrder"})");
  // Linear conditional: a stop sells falling (2) and buys rising (1); a take-profit the reverse.
  SubmitOrder sl = order(Side::kSell, OrderType::kStopLoss, "0.5", "0", "56");
  sl.reduce_only = true;
  CHECK(body(new_order(lin, sl)) ==
        R"({"category":"linear","symbol":"BTCUSDT","side":"Sell","orderType":"Market","qty":"0.5","triggerPrice":"56","triggerDirection":2,"reduceOnly":true})");
  CHECK(body(new_order(lin, order(Side::kBuy, OrderType::kStopLoss, "0.5", "0", "70"))).find(R"("triggerDirection":1)") != std::string::npos);
  CHECK(body(new_order(lin, order(Side::kSell, OrderType::kTakeProfitLimit, "0.5", "100", "110"))).find(R"("triggerDirection":1)") != std::string::npos);
  CHECK(body(new_order(lin, order(Side::kBuy, OrderType::kTakeProfit, "0.5", "0", "50"))).find(R"("triggerDirection":2)") != std::string::npos);
  OrderExtras above;
  above.trigger_direction = TriggerDirection::kRises;
  above.trigger_by = "MarkPrice";
  CHECK(body(new_order(lin, order(Side::kSell, OrderType::kStopLossLimit, "0.5", "40000", "41000"), above)) ==
        R"({"category":"linear","symbol":"BTCUSDT","side":"Sell","orderType":"Limit","qty":"0.5","price":"40000","triggerPrice":"41000","triggerDirection":1,"triggerBy":"MarkPrice"})");
  OrderExtras tpsl;
  tpsl.take_profit = d("1");
  tpsl.stop_loss = d("0.04");
  tpsl.position_side = PositionSide::kShort;
  SubmitOrder ioc = order(Side::kBuy, OrderType::kLimit, "10", "0.05");
  ioc.tif = TimeInForce::kIoc;
  CHECK(body(new_order(lin, ioc, tpsl)) ==
        R"({"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"10","price":"0.05","timeInForce":"IOC","positionIdx":2,"takeProfit":"1","stopLoss":"0.04"})");
  CHECK(new_order(lin, ioc)->order_count == 1);
}

TEST_CASE("bybit new_order refusals name the field") {
  const Instrument spot = instrument(Market::kSpot, "BTCUSDT");
  const Instrument lin = instrument(Market::kUsdm, "BTCUSDT");
  CHECK(refusal(new_order(lin, order(Side::kBuy, OrderType::kLimit, "0", "1"))) == "new_order: quantity: must be positive");
  CHECK(refusal(new_order(lin, order(Side::kBuy, OrderType::kLimit, "1"))) == "new_order: price: must be positive for a limit order");
  CHECK(refusal(new_order(lin, order(Side::kBuy, OrderType::kMarket, "1", "5"))) == "new_order: price: must be zero for a market order");
  CHECK(refusal(new_order(lin, order(Side::kBuy, OrderType::kStopLoss, "1"))) == "new_order: stop_price: must be positive for a conditional order");
  SubmitOrder ro = order(Side::kSell, OrderType::kLimit, "1", "5");
  ro.reduce_only = true;
  CHECK(refusal(new_order(spot, ro)) == "new_order: reduce_only: spot orders cannot be reduce-only");
  SubmitOrder bad_id = order(Side::kSell, OrderType::kLimit, "1", "5");
  REQUIRE(bad_id.client_order_id.assign("has space"));
  CHECK(refusal(new_order(spot, bad_id)) == "new_order: client_order_id: Bybit takes 1 to 36 of A-Z a-z 0-9 - _");
  OrderExtras q;
  q.quote_quantity = d("5");
  CHECK(refusal(new_order(lin, order(Side::kBuy, OrderType::kMarket, "0"), q)) ==
        "new_order: quote_quantity: only a spot market order trades a quote amount");
  Instrument inverse = instrument(Market::kCoinm, "BTCUSD");
  CHECK(refusal(new_order(inverse, order(Side::kBuy, OrderType::kMarket, "1"))) ==
        "new_order: instrument BTCUSD: inverse contracts are not traded");
  Instrument binance = lin;
  binance.exchange = ExchangeId::kBinance;
  CHECK(refusal(new_order(binance, order(Side::kBuy, OrderType::kMarket, "1"))) == "new_order: instrument is not a Bybit one");
}

TEST_CASE("bybit amend / cancel / cancel-all / batches") {
  const Instrument spot = instrument(Market::kSpot, "LTCUSDT", "LTC");
  const Instrument lin = instrument(Market::kUsdm, "LTCUSDT", "LTC");
  CHECK(body(amend_order(lin, OrderRef{"8caeea8c-cf80", {}}, d("0.3"), Decimal())) ==
        R"({"category":"linear","symbol":"LTCUSDT","orderId":"8caeea8c-cf80","qty":"0.3"})");
  CHECK(refusal(amend_order(lin, OrderRef{"x", {}}, Decimal(), Decimal())) ==
        "amend_order: quantity / price: at least one must change");
  CHECK(refusal(amend_order(lin, OrderRef{"x", "y"}, d("1"), Decimal())) ==
        "amend_order: order: name it by order_id or by order_link_id (one of them)");
  CHECK(body(cancel_order(spot, OrderRef{"1513125485218108928", {}})) ==
        R"({"category":"spot","symbol":"LTCUSDT","orderId":"1513125485218108928","orderFilter":"Order"})");
  CHECK(body(cancel_order(spot, OrderRef{{}, "oms-7"}, OrderFilter::kStop)) ==
        R"({"category":"spot","symbol":"LTCUSDT","orderLinkId":"oms-7","orderFilter":"StopOrder"})");
  CHECK(body(cancel_order(lin, OrderRef{{}, "oms-7"})) == R"({"category":"linear","symbol":"LTCUSDT","orderLinkId":"oms-7"})");
  CHECK(refusal(cancel_order(lin, OrderRef{{}, "oms-7"}, OrderFilter::kStop)).find("filter: a spot field") != std::string::npos);
  CHECK(body(cancel_all(lin, OrderFilter::kStop)) == R"({"category":"linear","symbol":"LTCUSDT","orderFilter":"StopOrder"})");
  CHECK(body(cancel_all(spot, OrderFilter::kOco)).find(R"("orderFilter":"OcoOrder")") != std::string::npos);
  CHECK(body(cancel_all(spot, OrderFilter::kBidirectionalTpsl)).find(R"("orderFilter":"BidirectionalTpslOrder")") != std::string::npos);
  CHECK(refusal(cancel_all(lin, OrderFilter::kTpsl)).find("filter: tpslOrder is a spot filter") != std::string::npos);
  CHECK(refusal(cancel_all(lin, OrderFilter::kOco)).find("filter: OcoOrder is a spot filter") != std::string::npos);

  const BatchItem two[] = {{&spot, order(Side::kBuy, OrderType::kLimit, "0.1", "50"), {}},
                           {&spot, order(Side::kSell, OrderType::kLimit, "0.11", "70"), {}}};
  const auto b = batch_create(two);
  CHECK(body(b) ==
        R"({"category":"spot","request":[{"symbol":"LTCUSDT","side":"Buy","orderType":"Limit","qty":"0.1","price":"50"},{"symbol":"LTCUSDT","side":"Sell","orderType":"Limit","qty":"0.11","price":"70"}]})");
  CHECK(b->order_count == 2);
  const BatchItem mixed[] = {{&spot, order(Side::kBuy, OrderType::kLimit, "0.1", "50"), {}},
                             {&lin, order(Side::kBuy, OrderType::kLimit, "0.1", "50"), {}}};
  CHECK(refusal(batch_create(mixed)) == "batch_create: items: one category per batch");
  std::vector<BatchItem> eleven(11, BatchItem{&spot, order(Side::kBuy, OrderType::kLimit, "0.1", "50"), {}});
  CHECK(refusal(batch_create(eleven)) == "batch_create: items: at most 10 orders on spot");
  std::vector<BatchItem> twenty_one(21, BatchItem{&lin, order(Side::kBuy, OrderType::kLimit, "0.1", "50"), {}});
  CHECK(refusal(batch_create(twenty_one)) == "batch_create: items: at most 20 orders on linear");
  std::vector<AmendItem> eleven_amends(11, AmendItem{&lin, OrderRef{"x", {}}, Decimal(), d("51")});
  CHECK(refusal(batch_amend(eleven_amends)) == "batch_amend: items: at most 10 orders on linear");
  const BatchItem bad[] = {{&spot, order(Side::kBuy, OrderType::kLimit, "0", "50"), {}}};
  CHECK(refusal(batch_create(bad)) == "batch_create items[0]: quantity: must be positive");
  const CancelItem cancels[] = {{&lin, OrderRef{"8caeea8c", {}}}, {&lin, OrderRef{{}, "oms-9"}}};
  CHECK(body(batch_cancel(cancels)) ==
        R"({"category":"linear","request":[{"symbol":"LTCUSDT","orderId":"8caeea8c"},{"symbol":"LTCUSDT","orderLinkId":"oms-9"}]})");
  const AmendItem amends[] = {{&lin, OrderRef{"8caeea8c", {}}, Decimal(), d("71.5")}};
  CHECK(body(batch_amend(amends)) == R"({"category":"linear","request":[{"symbol":"LTCUSDT","orderId":"8caeea8c","price":"71.5"}]})");
}

TEST_CASE("bybit queries: open orders, history, executions, positions, account, transfers, market") {
  const Instrument spot = instrument(Market::kSpot, "LTCUSDT", "LTC");
  const Instrument lin = instrument(Market::kUsdm, "BTCUSDT");
  CHECK(body(open_orders(Category::kLinear, nullptr)) == "category=linear&settleCoin=USDT");
  CHECK(body(open_orders(Category::kSpot, nullptr, OrderRef{"1620279018815488768", {}})) ==
        "category=spot&orderId=1620279018815488768");
  CHECK(refusal(open_orders(Category::kSpot, &lin)) == "open_orders: instrument BTCUSDT is not in category spot");
  HistoryQuery h;
  h.order_status = "Filled";
  h.limit = 50;
  h.cursor = "page2%3D";
  CHECK(body(order_history(Category::kLinear, nullptr, h)) == "category=linear&orderStatus=Filled&limit=50&cursor=page2%253D");
  HistoryQuery e;
  e.exec_type = "Trade";
  e.start_time_ms = 1'700'000'000'000;
  CHECK(body(executions(Category::kSpot, &spot, e)) == "category=spot&symbol=LTCUSDT&execType=Trade&startTime=1700000000000");
  CHECK(body(positions(nullptr)) == "category=linear&settleCoin=USDT");
  CHECK(refusal(positions(&spot)) == "positions: instrument LTCUSDT: spot has no positions");
  CHECK(body(set_leverage(lin, d("6"))) == R"({"category":"linear","symbol":"BTCUSDT","buyLeverage":"6","sellLeverage":"6"})");
  CHECK(body(switch_position_mode(lin, true)) == R"({"category":"linear","symbol":"BTCUSDT","mode":3})");
  TradingStop ts;
  ts.trailing_stop = d("1000");
  CHECK(body(set_trading_stop(lin, ts)) ==
        R"({"category":"linear","symbol":"BTCUSDT","tpslMode":"Full","positionIdx":0,"trailingStop":"1000"})");
  CHECK(refusal(set_trading_stop(lin, TradingStop{})) == "set_trading_stop: take_profit / stop_loss / trailing_stop: set at least one");
  CHECK(body(set_margin_mode(MarginType::kIsolated)) == R"({"setMarginMode":"ISOLATED_MARGIN"})");
  CHECK(body(wallet_balance()) == "accountType=UNIFIED");
  CHECK(body(fee_rate(spot)) == "category=spot&symbol=LTCUSDT");
  CHECK(body(inter_transfer(Transfer{"22942eaa-4231", "USDT", d("1"), "UNIFIED", "FUND"})) ==
        R"({"transferId":"22942eaa-4231","coin":"USDT","amount":"1","fromAccountType":"UNIFIED","toAccountType":"FUND"})");
  CHECK(refusal(inter_transfer(Transfer{"", "USDT", d("1"), "UNIFIED", "FUND"})) ==
        "inter_transfer: transfer_id: required (the venue's idempotency key)");
  CHECK(body(kline(spot, "60", 5)) == "category=spot&symbol=LTCUSDT&interval=60&limit=5");
  CHECK(refusal(kline(spot, "1h")) == "kline: interval: 1h is not one of 1 3 5 15 30 60 120 240 360 720 D W M");
  CHECK(body(orderbook(lin, 500)) == "category=linear&symbol=BTCUSDT&limit=500");
  CHECK(refusal(orderbook(spot, 500)) == "orderbook: limit: at most 200 on spot");
  CHECK(body(instruments_info(Category::kLinear)) == "category=linear&limit=1000");
  CHECK(server_time()->security == Security::kNone);
  CHECK(tickers(Category::kLinear, nullptr)->security == Security::kNone);
}
