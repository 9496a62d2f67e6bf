// Pins connectors/src/binance/requests_*.cpp and rest_request.cpp: exact paths, parameter
// strings, weights and the signed rendering (Binance's own documented HMAC example).
#include "oms/connectors/binance/requests.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>

namespace bn = oms::binance;
using oms::Decimal;
using oms::Instrument;
using oms::Market;
using oms::OrderType;
using oms::Side;
using oms::SubmitOrder;
using oms::TimeInForce;

namespace {

Decimal d(std::string_view s) {
  return Decimal::parse(s).value();
}

Instrument instrument(Market m, std::string venue, std::string base, std::string quote) {
  Instrument in;
  in.exchange = oms::ExchangeId::kBinance;
  in.market = m;
  in.venue_symbol = std::move(venue);
  in.symbol.base = std::move(base);
  in.symbol.quote = std::move(quote);
  if (m == Market::kUsdm) in.symbol.settle = in.symbol.quote;
  return in;
}

SubmitOrder order(Side side, OrderType type, std::string_view qty, std::string_view price = "0",
                  TimeInForce tif = TimeInForce::kGtc) {
  SubmitOrder o;
  o.side = side;
  o.order_type = type;
  o.tif = tif;
  o.quantity = d(qty);
  o.price = d(price);
  return o;
}

const std::string kSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const std::string kApiKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

}  // namespace

TEST_CASE("spot LIMIT order renders Binance's documented signed request bit for bit") {
  const auto ltcbtc = instrument(Market::kSpot, "LTCBTC", "LTC", "BTC");
  auto r = bn::spot_new_order(ltcbtc, order(Side::kBuy, OrderType::kLimit, "1", "0.1"));
  REQUIRE(r.ok());
  CHECK(r->weight == 1);
  CHECK(r->order_count == 1);
  auto signer = oms::signing::BinanceSigner::hmac(kSecret);
  REQUIRE(signer.ok());
  bn::Credentials creds{kApiKey, &signer.value(), 5000};
  auto http = bn::render(*r, creds, 1499827319559);
  REQUIRE(http.ok());
  CHECK(http->method == "POST");
  CHECK(http->target == "/api/v3/order");
  CHECK(http->body ==
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
        "timestamp=1499827319559"
        "&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
  REQUIRE(http->headers.size() == 2);
  CHECK(http->headers[0] == oms::net::Header{"Content-Type", "application/x-www-form-urlencoded"});
  CHECK(http->headers[1] == oms::net::Header{"X-MBX-APIKEY", kApiKey});
}

TEST_CASE("GET and DELETE carry the signed parameters in the query string, no body") {
  const auto btc = instrument(Market::kSpot, "BTCUSDT", "BTC", "USDT");
  auto r = bn::spot_cancel_order(btc, bn::OrderRef{0, "my-id_1"});
  REQUIRE(r.ok());
  auto signer = oms::signing::BinanceSigner::hmac(kSecret);
  REQUIRE(signer.ok());
  auto http = bn::render(*r, bn::Credentials{kApiKey, &signer.value(), 0}, 1578963600000);
  REQUIRE(http.ok());
  CHECK(http->method == "DELETE");
  CHECK(http->body.empty());
  const std::string prefix =
      "/api/v3/order?symbol=BTCUSDT&origClientOrderId=my-id_1&timestamp=1578963600000&signature=";
  REQUIRE(http->target.size() == prefix.size() + 64);
  CHECK(http->target.substr(0, prefix.size()) == prefix);
}

TEST_CASE("public requests have no key header; user-stream requests have only the key") {
  const auto btc = instrument(Market::kSpot, "BTCUSDT", "BTC", "USDT");
  auto depth = bn::depth(btc, 1000);
  REQUIRE(depth.ok());
  CHECK(depth->weight == 50);
  auto http = bn::render(*depth, bn::Credentials{}, 0);
  REQUIRE(http.ok());
  CHECK(http->target == "/api/v3/depth?symbol=BTCUSDT&limit=1000");
  CHECK(http->headers.empty());

  auto lk = bn::spot_listen_key(bn::HttpMethod::kPut, "abc");
  REQUIRE(lk.ok());
  auto lk_http = bn::render(*lk, bn::Credentials{"KEY"}, 0);
  REQUIRE(lk_http.ok());
  CHECK(lk_http->method == "PUT");
  CHECK(lk_http->target == "/api/v3/userDataStream");
  CHECK(lk_http->body == "listenKey=abc");
  CHECK(lk_http->headers.back() == oms::net::Header{"X-MBX-APIKEY", "KEY"});
  CHECK(bn::render(*lk, bn::Credentials{}, 0).error().message ==
        "/api/v3/userDataStream: api key required");
  auto no_signer = bn::render(*bn::spot_account(), bn::Credentials{"KEY"}, 1);
  CHECK(no_signer.error().message == "/api/v3/account: signer required for a SIGNED endpoint");
}

TEST_CASE("spot order types: post-only, market by quote, stop-loss-limit, iceberg, trailing") {
  const auto sol = instrument(Market::kSpot, "SOLUSDT", "SOL", "USDT");
  auto maker = bn::spot_new_order(
      sol, order(Side::kSell, OrderType::kLimit, "0.05", "241.5", TimeInForce::kPostOnly));
  REQUIRE(maker.ok());
  CHECK(maker->encoded_params() ==
        "symbol=SOLUSDT&side=SELL&type=LIMIT_MAKER&quantity=0.05&price=241.5");

  bn::OrderExtras by_quote;
  by_quote.quote_quantity = d("10.5");
  by_quote.response_type = bn::ResponseType::kFull;
  auto mkt = bn::spot_new_order(sol, order(Side::kBuy, OrderType::kMarket, "0"), by_quote);
  REQUIRE(mkt.ok());
  CHECK(mkt->encoded_params() ==
        "symbol=SOLUSDT&side=BUY&newOrderRespType=FULL&type=MARKET&quoteOrderQty=10.5");

  auto stop = order(Side::kBuy, OrderType::kStopLossLimit, "0.2", "50", TimeInForce::kIoc);
  stop.stop_price = d("100");
  stop.client_order_id = "abc-1";
  bn::OrderExtras ice;
  ice.iceberg_quantity = d("0.03");
  ice.self_trade_prevention = "EXPIRE_MAKER";
  auto sl = bn::spot_new_order(sol, stop, ice);
  REQUIRE(sl.ok());
  CHECK(sl->encoded_params() ==
        "symbol=SOLUSDT&side=BUY&newClientOrderId=abc-1&type=STOP_LOSS_LIMIT&timeInForce=IOC&"
        "quantity=0.2&price=50"
        "&stopPrice=100&icebergQty=0.03&selfTradePreventionMode=EXPIRE_MAKER");

  bn::OrderExtras trail;
  trail.trailing_delta_bips = 500;
  auto tp = bn::spot_new_order(sol, order(Side::kSell, OrderType::kTakeProfitLimit, "0.1", "70000"),
                               trail);
  REQUIRE(tp.ok());
  CHECK(tp->encoded_params() ==
        "symbol=SOLUSDT&side=SELL&type=TAKE_PROFIT_LIMIT&timeInForce=GTC&quantity=0.1&price=70000&"
        "trailingDelta=500");
}

TEST_CASE("bad spot orders are refused naming the field") {
  const auto sol = instrument(Market::kSpot, "SOLUSDT", "SOL", "USDT");
  CHECK(bn::spot_new_order(sol, order(Side::kBuy, OrderType::kLimit, "0", "1")).error().message ==
        "spot new order: quantity: must be positive");
  CHECK(bn::spot_new_order(sol, order(Side::kBuy, OrderType::kLimit, "1")).error().message ==
        "spot new order: price: must be positive for a LIMIT order");
  CHECK(bn::spot_new_order(sol, order(Side::kBuy, OrderType::kMarket, "1", "5")).error().message ==
        "spot new order: price: must be zero for a MARKET order");
  CHECK(
      bn::spot_new_order(sol, order(Side::kBuy, OrderType::kStopLoss, "1")).error().message ==
      "spot new order: stop_price: a stop / take-profit order needs stop_price or trailing_delta");
  auto ro = order(Side::kSell, OrderType::kMarket, "1");
  ro.reduce_only = true;
  CHECK(bn::spot_new_order(sol, ro).error().message ==
        "spot new order: reduce_only: spot has no reduce-only orders");
  const auto perp = instrument(Market::kUsdm, "SOLUSDT", "SOL", "USDT");
  CHECK(bn::spot_new_order(perp, order(Side::kBuy, OrderType::kLimit, "1", "1")).error().message ==
        "spot new order: instrument SOLUSDT is on another market");
  CHECK(bn::spot_cancel_order(sol, bn::OrderRef{}).error().message ==
        "spot cancel order: order reference needs an order id or a client order id");
}

TEST_CASE("spot cancel-replace, queries and account") {
  const auto ltc = instrument(Market::kSpot, "LTCUSDT", "LTC", "USDT");
  auto cr = bn::spot_cancel_replace(ltc, bn::OrderRef{2163811, {}},
                                    order(Side::kBuy, OrderType::kLimit, "0.25", "51"));
  REQUIRE(cr.ok());
  CHECK(cr->path == "/api/v3/order/cancelReplace");
  CHECK(cr->encoded_params() ==
        "symbol=LTCUSDT&cancelReplaceMode=STOP_ON_FAILURE&cancelOrderId=2163811&side=BUY&type="
        "LIMIT&timeInForce=GTC"
        "&quantity=0.25&price=51");
  auto q = bn::spot_query_order(ltc, bn::OrderRef{465138, {}});
  CHECK(q->encoded_params() == "symbol=LTCUSDT&orderId=465138");
  CHECK(q->weight == 4);
  auto t = bn::spot_my_trades(ltc, bn::HistoryQuery{1699381234000, 0, 20, 0, 0});
  CHECK(t->encoded_params() == "symbol=LTCUSDT&startTime=1699381234000&limit=20");
  CHECK(bn::spot_open_orders(nullptr)->weight == 80);
  CHECK(bn::spot_open_orders(&ltc)->weight == 6);
  CHECK(bn::spot_cancel_all(ltc)->method == bn::HttpMethod::kDelete);
  CHECK(bn::spot_account()->path == "/api/v3/account");
  // The account's commission on a symbol: signed, weight 20 (spot) / 20 (USD-M).
  auto com = bn::spot_commission(ltc);
  REQUIRE(com.ok());
  CHECK(com->path == "/api/v3/account/commission");
  CHECK(com->encoded_params() == "symbol=LTCUSDT");
  CHECK(com->weight == 20);
  CHECK(com->security == bn::Security::kSigned);
  const auto ltc_perp = instrument(Market::kUsdm, "LTCUSDT", "LTC", "USDT");
  auto rate = bn::usdm_commission_rate(ltc_perp);
  REQUIRE(rate.ok());
  CHECK(rate->path == "/fapi/v1/commissionRate");
  CHECK(rate->encoded_params() == "symbol=LTCUSDT");
  CHECK(rate->weight == 20);
  CHECK_FALSE(bn::usdm_commission_rate(ltc).ok());  // a spot instrument on the futures endpoint
  CHECK_FALSE(bn::spot_commission(ltc_perp).ok());
}

TEST_CASE("USD-M orders: GTX post-only, hedge mode, conditional orders go to algoOrder") {
  const auto ltc = instrument(Market::kUsdm, "LTCUSDT", "LTC", "USDT");
  auto gtx = bn::usdm_new_order(
      ltc, order(Side::kBuy, OrderType::kLimit, "0.41", "50", TimeInForce::kPostOnly));
  REQUIRE(gtx.ok());
  CHECK(gtx->path == "/fapi/v1/order");
  CHECK(gtx->weight == 0);
  CHECK(gtx->order_count == 1);
  CHECK(gtx->encoded_params() ==
        "symbol=LTCUSDT&side=BUY&type=LIMIT&quantity=0.41&price=50&timeInForce=GTX");

  auto ro = order(Side::kSell, OrderType::kMarket, "0.01");
  ro.reduce_only = true;
  CHECK(bn::usdm_new_order(ltc, ro)->encoded_params() ==
        "symbol=LTCUSDT&side=SELL&type=MARKET&quantity=0.01&reduceOnly=true");
  bn::OrderExtras hedge;
  hedge.position_side = oms::PositionSide::kLong;
  CHECK(bn::usdm_new_order(ltc, ro, hedge)->encoded_params() ==
        "symbol=LTCUSDT&side=SELL&positionSide=LONG&type=MARKET&quantity=0.01");

  auto stop = order(Side::kBuy, OrderType::kStopLossLimit, "0.21", "51");
  stop.stop_price = d("101");
  stop.client_order_id = "c1";
  auto algo = bn::usdm_new_order(ltc, stop);
  REQUIRE(algo.ok());
  CHECK(algo->path == "/fapi/v1/algoOrder");
  CHECK(algo->encoded_params() ==
        "symbol=LTCUSDT&side=BUY&clientAlgoId=c1&type=STOP&quantity=0.21&price=51&triggerPrice=101&"
        "algoType=CONDITIONAL");

  auto tpm = order(Side::kSell, OrderType::kTakeProfit, "1");
  tpm.stop_price = d("120.5");
  CHECK(bn::usdm_new_order(ltc, tpm)->encoded_params() ==
        "symbol=LTCUSDT&side=SELL&type=TAKE_PROFIT_MARKET&quantity=1&triggerPrice=120.5&algoType="
        "CONDITIONAL");

  bn::OrderExtras trail;
  trail.trailing = true;
  trail.callback_rate = d("5");
  auto tr = order(Side::kSell, OrderType::kStopLoss, "0.11");
  tr.reduce_only = true;
  CHECK(bn::usdm_new_order(ltc, tr, trail)->encoded_params() ==
        "symbol=LTCUSDT&side=SELL&type=TRAILING_STOP_MARKET&quantity=0.11&callbackRate=5&"
        "reduceOnly=true&algoType=CONDITIONAL");
}

TEST_CASE("USD-M modify, batches, cancels and account requests") {
  const auto ltc = instrument(Market::kUsdm, "LTCUSDT", "LTC", "USDT");
  auto m = bn::usdm_modify_order(ltc, bn::OrderRef{0, "myid123"}, Side::kBuy, d("0.2"), d("55"));
  REQUIRE(m.ok());
  CHECK(m->method == bn::HttpMethod::kPut);
  CHECK(m->encoded_params() ==
        "symbol=LTCUSDT&origClientOrderId=myid123&side=BUY&quantity=0.2&price=55");

  std::array<bn::BatchItem, 2> items{
      bn::BatchItem{&ltc, order(Side::kBuy, OrderType::kLimit, "0.1", "60"), {}},
      bn::BatchItem{&ltc, order(Side::kBuy, OrderType::kLimit, "0.11", "61"), {}}};
  auto b = bn::usdm_batch_orders(items);
  REQUIRE(b.ok());
  CHECK(b->order_count == 2);
  CHECK(
      *b->find("batchOrders") ==
      R"([{"symbol":"LTCUSDT","side":"BUY","type":"LIMIT","quantity":"0.1","price":"60","timeInForce":"GTC"},)"
      R"({"symbol":"LTCUSDT","side":"BUY","type":"LIMIT","quantity":"0.11","price":"61","timeInForce":"GTC"}])");

  std::array<bn::ModifyItem, 1> mods{
      bn::ModifyItem{&ltc, bn::OrderRef{556886677, {}}, Side::kBuy, d("0.1"), d("60")}};
  CHECK(
      *bn::usdm_batch_modify(mods)->find("batchOrders") ==
      R"([{"orderId":"556886677","symbol":"LTCUSDT","side":"BUY","quantity":"0.1","price":"60"}])");

  std::array<std::string_view, 2> ids{"id1", "id2"};
  auto bc = bn::usdm_batch_cancel(ltc, {}, ids);
  REQUIRE(bc.ok());
  CHECK(bc->encoded_params() == "symbol=LTCUSDT&origclientorderidlist=%5B%22id1%22%2C%22id2%22%5D");

  CHECK(bn::usdm_cancel_algo_order(ltc, bn::OrderRef{3386, {}})->encoded_params() ==
        "symbol=LTCUSDT&algoId=3386");
  CHECK(bn::usdm_set_leverage(ltc, 20)->encoded_params() == "symbol=LTCUSDT&leverage=20");
  CHECK(bn::usdm_set_leverage(ltc, 0).error().message == "usdm set leverage: leverage: 1 to 125");
  CHECK(bn::usdm_set_margin_type(ltc, oms::MarginType::kIsolated)->encoded_params() ==
        "symbol=LTCUSDT&marginType=ISOLATED");
  CHECK(bn::usdm_set_position_mode(true)->encoded_params() == "dualSidePosition=true");
  CHECK(bn::usdm_balance()->path == "/fapi/v2/balance");
  CHECK(bn::usdm_account(2)->path == "/fapi/v2/account");
  CHECK(bn::usdm_position_risk(nullptr)->path == "/fapi/v3/positionRisk");
  CHECK(bn::usdm_listen_key(bn::HttpMethod::kPost)->security == bn::Security::kUserStream);
}

TEST_CASE("market data: depth weights, tickers, klines") {
  const auto perp = instrument(Market::kUsdm, "BTCUSDT", "BTC", "USDT");
  const auto spot = instrument(Market::kSpot, "BTCUSDT", "BTC", "USDT");
  const auto eth = instrument(Market::kSpot, "ETHUSDT", "ETH", "USDT");
  CHECK(bn::depth(perp, 0)->weight == 10);
  CHECK(bn::depth(perp, 1000)->weight == 20);
  CHECK(bn::depth(perp, 5000).error().message == "depth: limit: at most 1000");
  std::array<const Instrument*, 2> two{&spot, &eth};
  auto bt = bn::book_ticker(Market::kSpot, two);
  CHECK(bt->encoded_params() == "symbols=%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D");
  std::array<const Instrument*, 1> one{&perp};
  CHECK(bn::ticker_price(Market::kUsdm, one)->path == "/fapi/v2/ticker/price");
  auto k = bn::klines(perp, bn::KlineQuery{"1m", 1699381234000, 0, 5}, bn::KlinePrice::kMark);
  CHECK(k->path == "/fapi/v1/markPriceKlines");
  CHECK(k->encoded_params() == "symbol=BTCUSDT&interval=1m&startTime=1699381234000&limit=5");
  CHECK(bn::server_time(Market::kUsdm)->path == "/fapi/v1/time");
  CHECK(bn::exchange_info(Market::kSpot)->weight == 20);
}

TEST_CASE("extras of the other market are refused, never silently dropped") {
  const auto spot = instrument(Market::kSpot, "BTCUSDT", "BTC", "USDT");
  const auto perp = instrument(Market::kUsdm, "BTCUSDT", "BTC", "USDT");
  bn::OrderExtras futures_only;
  futures_only.price_match = "OPPONENT";
  CHECK(bn::spot_new_order(spot, order(Side::kBuy, OrderType::kLimit, "1", "1"), futures_only)
            .error()
            .message.find("spot new order: extras:") == 0);
  bn::OrderExtras spot_only;
  spot_only.iceberg_quantity = d("0.1");
  CHECK(bn::usdm_new_order(perp, order(Side::kBuy, OrderType::kLimit, "1", "1"), spot_only)
            .error()
            .message ==
        "usdm new order: extras: iceberg_quantity and trailing_delta are spot parameters");
  bn::OrderExtras test;
  test.test = true;
  CHECK(bn::usdm_new_order(perp, order(Side::kBuy, OrderType::kLimit, "1", "1"), test)
            .error()
            .message == "usdm new order: test: USD-M has no test order endpoint");
}
