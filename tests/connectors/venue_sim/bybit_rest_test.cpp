// venue-sim's Bybit front, REST in-process: our v5 request builders signed as the connector
// signs them, the answers read by our v5 parsers. Orders (create / amend / cancel / batches,
// PostOnly, IOC, orderLinkId, conditional orders), fills against the background book and what
// they do to balances, positions and executions; every auth failure and a malformed parameter
// named; the per-UID order limit with its headers.
#include <doctest/doctest.h>

#include "bybit_fixture.hpp"
#include "oms/connectors/bybit/instruments.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::bybit_test;
namespace bb = oms::bybit;

namespace {

Answer ok(Answer a) {
  INFO(a.body);
  REQUIRE(a.status == 200);
  REQUIRE(a.code() == 0);
  return a;
}

bb::OrderAck ack(const Answer& a) {
  auto r = bb::parse_order_ack(a.body);
  INFO(a.body);
  REQUIRE(r.ok());
  return *r;
}

std::vector<OrderStatusReconciled> orders_of(const Answer& a, Market m, const Registry& reg) {
  auto r = bb::parse_orders(a.body, m, reg.context(m));
  INFO(a.body);
  REQUIRE(r.ok());
  return r->orders;
}

// The wallet-balance coin named `coin`, as our parser reads it.
BalanceUpdated coin_of(BybitFixture& f, const Keys& k, const char* coin) {
  const auto a = ok(f.send(bb::wallet_balance(), k));
  auto r = bb::parse_wallet_balance(a.body, f.reg.context(Market::kSpot));
  INFO(a.body);
  REQUIRE(r.ok());
  for (const auto& b : *r) {
    if (b.asset.view() == coin) return b;
  }
  FAIL("no " << coin << " in the wallet");
  return {};
}

const nlohmann::json& only_item(const Answer& a) {
  INFO(a.body);
  REQUIRE(a.result()["list"].size() == 1);
  return a.result()["list"][0];
}

}  // namespace

TEST_CASE("bybit spot limit order: create, realtime, amend to a new total qty, cancel; balances lock and free") {
  BybitFixture f;
  const auto& btc = f.reg.btc(Market::kSpot);
  const auto placed = ack(ok(f.send(bb::new_order(btc, order(Side::kBuy, "0.01", "59000", "s-1")), f.alice)));
  CHECK(placed.order_link_id == "s-1");
  CHECK(placed.order_id.size() == 19);  // Bybit spot ids are 19-digit numbers

  auto open = ok(f.send(bb::open_orders(bb::Category::kSpot, &btc), f.alice));
  auto rows = orders_of(open, Market::kSpot, f.reg);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == OrderStatus::kAccepted);
  CHECK(rows[0].client_order_id.view() == "s-1");
  CHECK(rows[0].venue_order_id.view() == placed.order_id);
  const auto& item = only_item(open);
  CHECK(item["orderStatus"] == "New");
  CHECK(item["qty"] == "0.010000");
  CHECK(item["price"] == "59000.00");
  CHECK(item["leavesQty"] == "0.010000");
  CHECK(item["timeInForce"] == "GTC");
  CHECK(item["cancelType"] == "UNKNOWN");
  // The unified wallet: spot 100000 + linear 100000 USDT, 590 locked by the order.
  auto usdt = coin_of(f, f.alice, "USDT");
  CHECK(usdt.locked == d("590"));
  CHECK(usdt.free == d("199410"));

  // qty is the order's new total quantity.
  const std::string link = "s-1";
  ok(f.send(bb::amend_order(btc, bb::OrderRef{{}, link}, d("0.02"), d("59100")), f.alice));
  const auto amended_open = ok(f.send(bb::open_orders(bb::Category::kSpot, &btc), f.alice));
  const auto& amended = only_item(amended_open);
  CHECK(amended["qty"] == "0.020000");
  CHECK(amended["price"] == "59100.00");
  CHECK(coin_of(f, f.alice, "USDT").locked == d("1182"));

  const auto canceled = ack(ok(f.send(bb::cancel_order(btc, bb::OrderRef{placed.order_id, {}}), f.alice)));
  CHECK(canceled.order_link_id == "s-1");
  CHECK(ok(f.send(bb::open_orders(bb::Category::kSpot, &btc), f.alice)).result()["list"].empty());
  const auto hist = ok(f.send(bb::order_history(bb::Category::kSpot, &btc), f.alice));
  CHECK(only_item(hist)["orderStatus"] == "Cancelled");
  CHECK(only_item(hist)["cancelType"] == "CancelByUser");
  CHECK(orders_of(hist, Market::kSpot, f.reg)[0].status == OrderStatus::kCanceled);
  CHECK(coin_of(f, f.alice, "USDT").locked == d("0"));
  // Cancelling it again: spot's "order does not exist".
  const auto again = f.send(bb::cancel_order(btc, bb::OrderRef{placed.order_id, {}}), f.alice);
  CHECK(again.code() == 170213);
  CHECK(again.msg() == "Order does not exist.");
  CHECK(f.send(bb::amend_order(btc, bb::OrderRef{placed.order_id, {}}, d("0.03"), Decimal{}), f.alice).code() == 170213);
}

TEST_CASE("bybit spot market buy by quote (the default marketUnit) fills the ask; fee in base; executions and wallet") {
  BybitFixture f;
  const auto& btc = f.reg.btc(Market::kSpot);
  bb::OrderExtras x;
  x.quote_quantity = d("600");
  SubmitOrder o = order(Side::kBuy, "0", nullptr, "mkt-1", OrderType::kMarket);
  o.quantity = Decimal{};
  ok(f.send(bb::new_order(btc, o, x), f.alice));
  // 600 USDT at 60001 buys 0.009999 BTC (base precision 0.000001); fee 0.1 % of it in BTC.
  const auto hist = ok(f.send(bb::order_history(bb::Category::kSpot, &btc), f.alice));
  const auto& item = only_item(hist);
  CHECK(item["orderStatus"] == "Filled");
  CHECK(item["qty"] == "600");
  CHECK(item["marketUnit"] == "quoteCoin");
  CHECK(item["cumExecQty"] == "0.009999");
  CHECK(item["avgPrice"] == "60001");
  CHECK(item["cumExecFee"] == "0.00001");
  const auto ex = ok(f.send(bb::executions(bb::Category::kSpot, &btc), f.alice));
  auto fills = bb::parse_executions(ex.body, Market::kSpot, f.reg.context(Market::kSpot));
  REQUIRE(fills.ok());
  REQUIRE(fills->events.size() == 1);
  const auto& fill = std::get<FillReceived>(fills->events[0].payload);
  CHECK(fill.price == d("60001"));
  CHECK(fill.quantity == d("0.009999"));
  CHECK(fill.fee == d("0.00001"));
  CHECK(fill.fee_asset.view() == "BTC");
  CHECK(fill.liquidity == Liquidity::kTaker);
  CHECK(fill.client_order_id.view() == "mkt-1");
  CHECK(coin_of(f, f.alice, "BTC").free == d("1.009989"));
  CHECK(coin_of(f, f.alice, "USDT").free == d("199400.050001"));
  // A base-quantity market sell (marketUnit baseCoin is the sell default).
  ok(f.send(bb::new_order(btc, order(Side::kSell, "0.5", nullptr, "mkt-2", OrderType::kMarket)), f.alice));
  CHECK(coin_of(f, f.alice, "BTC").free == d("0.509989"));
}

TEST_CASE("bybit linear: a market buy opens a position, leverage settings, reduce-only closes it, then is refused") {
  BybitFixture f;
  const auto& btc = f.reg.btc(Market::kUsdm);
  ok(f.send(bb::new_order(btc, order(Side::kBuy, "0.5", nullptr, "open-1", OrderType::kMarket)), f.alice));
  auto pos = bb::parse_positions(ok(f.send(bb::positions(&btc), f.alice)).body, f.reg.context(Market::kUsdm));
  REQUIRE(pos.ok());
  REQUIRE(pos->size() == 1);
  CHECK((*pos)[0].size == d("0.5"));
  CHECK((*pos)[0].entry_price == d("60001"));
  CHECK((*pos)[0].leverage == 20);
  CHECK((*pos)[0].unrealized_pnl == d("-0.5"));  // mark = mid 60000
  // The fee: 0.055 % taker on 30000.5.
  const auto fills = bb::parse_executions(ok(f.send(bb::executions(bb::Category::kLinear, &btc), f.alice)).body,
                                          Market::kUsdm, f.reg.context(Market::kUsdm));
  REQUIRE(fills.ok());
  CHECK(std::get<FillReceived>(fills->events.at(0).payload).fee == d("16.500275"));
  CHECK(std::get<FillReceived>(fills->events.at(0).payload).fee_asset.view() == "USDT");

  ok(f.send(bb::set_leverage(btc, d("10")), f.alice));
  CHECK(f.send(bb::set_leverage(btc, d("10")), f.alice).code() == 110043);
  CHECK(f.send(bb::set_leverage(btc, d("101")), f.alice).code() == 10001);
  // Position mode cannot switch with a position open.
  CHECK(f.send(bb::switch_position_mode(btc, true), f.alice).code() == 110024);

  SubmitOrder close = order(Side::kSell, "0.5", nullptr, "close-1", OrderType::kMarket);
  close.reduce_only = true;
  ok(f.send(bb::new_order(btc, close), f.alice));
  pos = bb::parse_positions(ok(f.send(bb::positions(&btc), f.alice)).body, f.reg.context(Market::kUsdm));
  REQUIRE(pos.ok());
  CHECK((*pos)[0].size == d("0"));
  CHECK((*pos)[0].realized_pnl == d("-1"));  // 0.5 x (59999 - 60001)
  // 100000 - 16.500275 - 1 - 16.499725 on the linear wallet, 100000 on spot.
  CHECK(coin_of(f, f.alice, "USDT").free == d("199966"));
  (void)close.client_order_id.assign("close-2");
  const auto refused = f.send(bb::new_order(btc, close), f.alice);
  CHECK(refused.code() == 110017);
  // One-way mode takes positionIdx 0 only.
  bb::OrderExtras hedge_side;
  hedge_side.position_side = PositionSide::kLong;
  const auto idx = f.send(bb::new_order(btc, order(Side::kBuy, "0.01", "59000", "h-1"), hedge_side), f.alice);
  CHECK(idx.code() == 10001);
  CHECK(idx.msg() == "position idx not match position mode");
  // Hedge mode: switched (no position, no order now), then positionIdx is required.
  ok(f.send(bb::switch_position_mode(btc, true), f.alice));
  CHECK(f.send(bb::switch_position_mode(btc, true), f.alice).code() == 110025);
  ok(f.send(bb::new_order(btc, order(Side::kBuy, "0.01", "59000", "h-2"), hedge_side), f.alice));
  CHECK(f.send(bb::new_order(btc, order(Side::kBuy, "0.01", "59000", "h-3")), f.alice).code() == 10001);
  CHECK(f.send(bb::switch_position_mode(btc, false), f.alice).code() == 110028);
}

TEST_CASE("bybit PostOnly that would take is accepted then Cancelled (EC_PostOnlyWillTakeLiquidity), spot and linear") {
  BybitFixture f;
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    const auto& btc = f.reg.btc(m);
    const auto c = m == Market::kSpot ? bb::Category::kSpot : bb::Category::kLinear;
    const auto a = ok(f.send(bb::new_order(btc, order(Side::kBuy, "0.01", "60001", "po-1", OrderType::kLimit, TimeInForce::kPostOnly)), f.alice));
    CHECK(ack(a).order_link_id == "po-1");
    const auto hist = ok(f.send(bb::order_history(c, &btc), f.alice));
    const auto& item = only_item(hist);
    CHECK(item["timeInForce"] == "PostOnly");
    CHECK(item["orderStatus"] == "Cancelled");
    CHECK(item["cancelType"] == "UNKNOWN");
    CHECK(item["rejectReason"] == "EC_PostOnlyWillTakeLiquidity");
    CHECK(orders_of(hist, m, f.reg)[0].status == OrderStatus::kExpired);
    // A PostOnly that rests is a plain New order.
    ok(f.send(bb::new_order(btc, order(Side::kBuy, "0.01", "59000", "po-2", OrderType::kLimit, TimeInForce::kPostOnly)), f.alice));
    CHECK(only_item(ok(f.send(bb::open_orders(c, &btc), f.alice)))["orderStatus"] == "New");
  }
}

TEST_CASE("bybit IOC remainder: spot PartiallyFilledCanceled, linear Cancelled, cancelType UNKNOWN (expired, not ours)") {
  BybitFixture f;
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    const auto& btc = f.reg.btc(m);
    const auto c = m == Market::kSpot ? bb::Category::kSpot : bb::Category::kLinear;
    ok(f.send(bb::new_order(btc, order(Side::kBuy, "1.5", "60001", "ioc-1", OrderType::kLimit, TimeInForce::kIoc)), f.alice));
    const auto hist = ok(f.send(bb::order_history(c, &btc), f.alice));
    const auto& item = only_item(hist);
    CHECK(item["orderStatus"] == (m == Market::kSpot ? "PartiallyFilledCanceled" : "Cancelled"));
    CHECK(item["cancelType"] == "UNKNOWN");
    CHECK(item["rejectReason"] == "EC_CancelForNoFullFill");
    const auto rows = orders_of(hist, m, f.reg);
    CHECK(rows[0].status == OrderStatus::kExpired);
    CHECK(rows[0].cum_qty == d("1"));
    // FOK that cannot fill whole (the IOC took the whole 60001 level): nothing trades.
    const auto fok_id = ack(ok(f.send(bb::new_order(btc, order(Side::kBuy, "0.1", "60001", "fok-1", OrderType::kLimit, TimeInForce::kFok)), f.alice))).order_id;
    bb::HistoryQuery q;
    q.order_id = fok_id;
    const auto fok = ok(f.send(bb::order_history(c, &btc, q), f.alice));
    CHECK(only_item(fok)["orderStatus"] == "Cancelled");
    CHECK(only_item(fok)["rejectReason"] == "EC_NoEnoughQtyToFill");
    CHECK(only_item(fok)["cumExecQty"] == (m == Market::kSpot ? "0.000000" : "0.000"));
  }
}

TEST_CASE("bybit orderLinkId: unique among a category's open orders (170141 spot, 110072 linear), free again once closed") {
  BybitFixture f;
  const auto& spot = f.reg.btc(Market::kSpot);
  const auto& lin = f.reg.btc(Market::kUsdm);
  ok(f.send(bb::new_order(spot, order(Side::kBuy, "0.01", "59000", "dup")), f.alice));
  CHECK(f.send(bb::new_order(f.reg.eth(Market::kSpot), order(Side::kBuy, "0.01", "2000", "dup")), f.alice).code() == 170141);
  ok(f.send(bb::new_order(lin, order(Side::kBuy, "0.01", "59000", "dup")), f.alice));  // another category
  CHECK(f.send(bb::new_order(lin, order(Side::kBuy, "0.01", "59000", "dup")), f.alice).code() == 110072);
  ok(f.send(bb::new_order(spot, order(Side::kBuy, "0.01", "59000", "dup")), f.bob));  // another account
  const std::string link = "dup";
  ok(f.send(bb::cancel_order(spot, bb::OrderRef{{}, link}), f.alice));
  ok(f.send(bb::new_order(spot, order(Side::kBuy, "0.01", "59000", "dup")), f.alice));
}

TEST_CASE("bybit conditional orders: Untriggered, Bybit's direction codes, triggered by the last trade, cancel-all StopOrder") {
  BybitFixture f;
  const auto& lin = f.reg.btc(Market::kUsdm);
  f.front->on_trade(Market::kUsdm, "BTCUSDT", {d("60000"), d("0.1"), false});
  SubmitOrder stop = order(Side::kBuy, "0.1", nullptr, "stop-1", OrderType::kStopLoss);
  stop.stop_price = d("60500");
  const auto placed = ack(ok(f.send(bb::new_order(lin, stop), f.alice)));
  const auto open = ok(f.send(bb::open_orders(bb::Category::kLinear, &lin), f.alice));
  const auto& item = only_item(open);
  CHECK(item["orderStatus"] == "Untriggered");
  CHECK(item["stopOrderType"] == "Stop");
  CHECK(item["triggerPrice"] == "60500.00");
  CHECK(item["triggerDirection"] == 1);
  CHECK(item["triggerBy"] == "LastPrice");
  // A rising trigger at or below the last price, a falling one at or above: Bybit's refusals.
  SubmitOrder low = order(Side::kBuy, "0.1", nullptr, "stop-2", OrderType::kStopLoss);
  low.stop_price = d("59500");
  const auto rising = f.send(bb::new_order(lin, low), f.alice);
  CHECK(rising.code() == 110092);
  CHECK(rising.msg() == "expect Rising, but trigger_price[59500] <= current[60000]");
  SubmitOrder tp = order(Side::kBuy, "0.1", nullptr, "tp-1", OrderType::kTakeProfit);
  tp.stop_price = d("60500");
  CHECK(f.send(bb::new_order(lin, tp), f.alice).code() == 110093);
  bb::OrderExtras mark;
  mark.trigger_by = "MarkPrice";
  const auto by_mark = f.send(bb::new_order(lin, stop, mark), f.alice);
  CHECK(by_mark.code() == 10001);
  CHECK(by_mark.msg().find("triggerBy") != std::string::npos);
  // The last trade crosses the trigger: the stop buys at the ask.
  f.front->on_trade(Market::kUsdm, "BTCUSDT", {d("60600"), d("0.1"), false});
  bb::HistoryQuery q;
  q.order_id = placed.order_id;
  const auto hist = ok(f.send(bb::order_history(bb::Category::kLinear, &lin, q), f.alice));
  const auto& done = only_item(hist);
  CHECK(done["orderStatus"] == "Filled");
  CHECK(done["avgPrice"] == "60001");

  // Spot: orderFilter StopOrder, the direction told from the last price; cancel-all by filter.
  const auto& spot = f.reg.btc(Market::kSpot);
  f.front->on_trade(Market::kSpot, "BTCUSDT", {d("60000"), d("0.1"), false});
  SubmitOrder sl = order(Side::kSell, "0.01", "59400", "sl-1", OrderType::kStopLossLimit);
  sl.stop_price = d("59500");
  ok(f.send(bb::new_order(spot, sl), f.alice));
  ok(f.send(bb::new_order(spot, order(Side::kBuy, "0.01", "59000", "plain-1")), f.alice));
  const std::string sl_link = "sl-1";
  // A plain cancel (orderFilter Order) does not name a conditional order.
  CHECK(f.send(bb::cancel_order(spot, bb::OrderRef{{}, sl_link}), f.alice).code() == 170213);
  const auto all = ok(f.send(bb::cancel_all(spot, bb::OrderFilter::kStop), f.alice));
  REQUIRE(all.result()["list"].size() == 1);
  CHECK(all.result()["list"][0]["orderLinkId"] == "sl-1");
  CHECK(all.result()["success"] == "1");
  bb::HistoryQuery dq;
  dq.order_status = "Deactivated";
  CHECK(only_item(ok(f.send(bb::order_history(bb::Category::kSpot, &spot, dq), f.alice)))["orderLinkId"] == "sl-1");
  CHECK(only_item(ok(f.send(bb::open_orders(bb::Category::kSpot, &spot), f.alice)))["orderLinkId"] == "plain-1");
}

TEST_CASE("bybit batches: per-item answers in result.list and retExtInfo.list (create, amend, cancel)") {
  BybitFixture f;
  const auto& lin = f.reg.btc(Market::kUsdm);
  std::vector<bb::BatchItem> items{{&lin, order(Side::kBuy, "0.01", "59000", "b-1"), {}},
                                   {&lin, order(Side::kBuy, "0.0001", "59000", "b-2"), {}},  // below the lot
                                   {&lin, order(Side::kSell, "0.01", "61000", "b-3"), {}}};
  const auto created = ok(f.send(bb::batch_create(items), f.alice));
  auto answers = bb::parse_batch_ack(created.body);
  INFO(created.body);
  REQUIRE(answers.ok());
  REQUIRE(answers->size() == 3);
  CHECK((*answers)[0].refusal.ret_code == 0);
  CHECK((*answers)[0].ack.order_link_id == "b-1");
  CHECK((*answers)[1].refusal.ret_code == 10001);
  CHECK((*answers)[1].refusal.ret_msg == "params error: qty: 0.0001 is not a multiple of qtyStep 0.001");
  CHECK((*answers)[1].ack.order_id.empty());
  CHECK((*answers)[2].refusal.ret_code == 0);
  const std::string id1 = (*answers)[0].ack.order_id, id3 = (*answers)[2].ack.order_id;
  std::vector<bb::AmendItem> amends{{&lin, bb::OrderRef{id1, {}}, d("0.02"), Decimal{}},
                                    {&lin, bb::OrderRef{id3, {}}, Decimal{}, d("61000.05")}};  // off the tick
  auto amended = bb::parse_batch_ack(ok(f.send(bb::batch_amend(amends), f.alice)).body);
  REQUIRE(amended.ok());
  CHECK((*amended)[0].refusal.ret_code == 0);
  CHECK((*amended)[1].refusal.ret_code == 10001);
  const std::string unknown = "00000000-0000-4000-8000-000000000001";
  std::vector<bb::CancelItem> cancels{{&lin, bb::OrderRef{id1, {}}}, {&lin, bb::OrderRef{unknown, {}}}};
  auto canceled = bb::parse_batch_ack(ok(f.send(bb::batch_cancel(cancels), f.alice)).body);
  REQUIRE(canceled.ok());
  CHECK((*canceled)[0].refusal.ret_code == 0);
  CHECK((*canceled)[1].refusal.ret_code == 110001);
  CHECK((*canceled)[1].refusal.ret_msg == "order not exists or too late to cancel");
  const auto open = orders_of(ok(f.send(bb::open_orders(bb::Category::kLinear, &lin), f.alice)), Market::kUsdm, f.reg);
  REQUIRE(open.size() == 1);
  CHECK(open[0].client_order_id.view() == "b-3");
}

TEST_CASE("bybit auth: 10003 unknown key, 10004 bad signature (origin string quoted), 10002 outside the recv window") {
  BybitFixture f;
  const auto req = bb::wallet_balance();
  CHECK(f.send(req, Keys{"nobody", "x"}).code() == 10003);
  const auto bad = f.send_raw(f.render(req, Keys{f.alice.key, "wrong-secret"}, f.now()));
  CHECK(bad.code() == 10004);
  CHECK(bad.msg() == "error sign! origin_string[" + std::to_string(f.now()) + f.alice.key + "5000accountType=UNIFIED]");
  const auto old = f.send_raw(f.render(req, f.alice, f.now() - 5'001));
  CHECK(old.code() == 10002);
  CHECK(old.msg().find("recv_window[5000]") != std::string::npos);
  CHECK(f.send_raw(f.render(req, f.alice, f.now() + 1'000)).code() == 10002);
  CHECK(f.send_raw(f.render(req, f.alice, f.now() + 999)).code() == 0);
  CHECK(f.send_raw(f.render(req, f.alice, f.now() - 20'000, 30'000)).code() == 0);  // a wider window
  // A body changed after signing.
  auto tampered = f.render(bb::cancel_all(f.reg.btc(Market::kSpot)), f.alice, f.now());
  tampered.body.replace(tampered.body.find("BTCUSDT"), 7, "ETHUSDT");
  CHECK(f.send_raw(tampered).code() == 10004);
  // No key header at all.
  net::HttpRequest bare;
  bare.method = "GET";
  bare.target = "/v5/account/info";
  CHECK(f.send_raw(bare).code() == 10003);
}

TEST_CASE("bybit malformed and unsupported parameters are refused naming them (10001), never ignored") {
  BybitFixture f;
  const auto qty = f.post("/v5/order/create", R"({"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"abc","price":"59000"})", f.alice);
  CHECK(qty.code() == 10001);
  CHECK(qty.msg() == "params error: qty: 'abc': not a decimal number");
  const auto number = f.post("/v5/order/create", R"({"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":0.01,"price":"59000"})", f.alice);
  CHECK(number.msg() == "params error: qty: expected a decimal string, got 0.01");
  CHECK(f.post("/v5/order/create", R"({"category":"linear","side":"Buy","orderType":"Limit","qty":"0.01","price":"59000"})", f.alice).msg() ==
        "params error: symbol: required");
  CHECK(f.post("/v5/order/create", R"({"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.01","price":"59000","orderLinkID":"x"})", f.alice).msg() ==
        "params error: unknown parameter 'orderLinkID' (venue-sim refuses what Bybit would ignore)");
  CHECK(f.post("/v5/order/create", R"({"category":"inverse","symbol":"BTCUSD","side":"Buy","orderType":"Limit","qty":"1","price":"59000"})", f.alice).msg() ==
        "params error: category: venue-sim serves spot and linear, not inverse");
  CHECK(f.post("/v5/order/create", R"({"category":"spot","symbol":"BTCUSDT","side":"buy","orderType":"Limit","qty":"0.01","price":"59000"})", f.alice).code() == 170117);
  // TP/SL attached to an order: refused by name.
  bb::OrderExtras tpsl;
  tpsl.take_profit = d("65000");
  const auto tp = f.send(bb::new_order(f.reg.btc(Market::kUsdm), order(Side::kBuy, "0.01", "59000", "tp-1"), tpsl), f.alice);
  CHECK(tp.code() == 10001);
  CHECK(tp.msg() == "params error: takeProfit: TP/SL attached to an order is not supported by venue-sim");
  // Filters in Bybit's words: spot price off the tick, linear notional below 5 USDT.
  CHECK(f.send(bb::new_order(f.reg.btc(Market::kSpot), order(Side::kBuy, "0.01", "59000.001", "t-1")), f.alice).code() == 170134);
  const auto small = f.send(bb::new_order(f.reg.eth(Market::kUsdm), order(Side::kBuy, "0.01", "100", "n-1")), f.alice);
  CHECK(small.code() == 110094);
  // Insufficient: spot balance, linear margin.
  CHECK(f.send(bb::new_order(f.reg.btc(Market::kSpot), order(Side::kBuy, "2", "59000", "big-1")), f.alice).code() == 170131);
  CHECK(f.send(bb::new_order(f.reg.btc(Market::kUsdm), order(Side::kBuy, "40", "59000", "big-2")), f.alice).code() == 110007);
  // Unknown route, wrong method.
  CHECK(f.get_public("/v5/market/nothing").status == 404);
  CHECK(f.get_public("/v5/market/nothing").code() == 10017);
}

TEST_CASE("bybit per-UID order limit: 10 linear creates a second, the 11th 10006 with X-Bapi-Limit headers; a batch takes what is left") {
  BybitFixture f;
  const auto& lin = f.reg.btc(Market::kUsdm);
  for (int i = 0; i < 10; ++i) {
    const auto a = ok(f.send(bb::new_order(lin, order(Side::kBuy, "0.01", "59000", ("r-" + std::to_string(i)).c_str())), f.alice));
    CHECK(a.header("X-Bapi-Limit") == "10");
    CHECK(a.header("X-Bapi-Limit-Status") == std::to_string(9 - i));
  }
  const auto refused = f.send(bb::new_order(lin, order(Side::kBuy, "0.01", "59000", "r-10")), f.alice);
  CHECK(refused.code() == 10006);
  CHECK(refused.msg() == "Too many visits. Exceeded the API Rate Limit.");
  CHECK(refused.header("X-Bapi-Limit-Status") == "0");
  CHECK(refused.header("X-Bapi-Limit-Reset-Timestamp") == std::to_string(f.now() + 1'000));
  // Another account, another category: their own budgets.
  ok(f.send(bb::new_order(lin, order(Side::kBuy, "0.01", "59000", "r-bob")), f.bob));
  ok(f.send(bb::new_order(f.reg.btc(Market::kSpot), order(Side::kBuy, "0.01", "59000", "r-spot")), f.alice));
  // Cancels count on their own endpoint.
  ok(f.send(bb::cancel_all(lin), f.alice));
  f.advance(1'000);
  for (int i = 0; i < 7; ++i) ok(f.send(bb::new_order(lin, order(Side::kBuy, "0.01", "59000", ("q-" + std::to_string(i)).c_str())), f.alice));
  // create-batch has a budget of its own (10/s): 12 orders, the last 2 over it.
  std::vector<bb::BatchItem> items;
  std::vector<std::string> links;
  for (int i = 0; i < 12; ++i) links.push_back("bt-" + std::to_string(i));
  for (const auto& l : links) items.push_back({&lin, order(Side::kBuy, "0.01", "59000", l.c_str()), {}});
  const auto batch = ok(f.send(bb::batch_create(items), f.alice));
  auto answers = bb::parse_batch_ack(batch.body);
  REQUIRE(answers.ok());
  for (std::size_t i = 0; i < 12; ++i) CHECK((*answers)[i].refusal.ret_code == (i < 10 ? 0 : 10006));
}

TEST_CASE("bybit account: fee rates, info, margin mode, wallet by coin, transfers to FUND and the transaction log") {
  BybitFixture f;
  const auto& spot = f.reg.btc(Market::kSpot);
  const auto fee = ok(f.send(bb::fee_rate(f.reg.btc(Market::kUsdm)), f.alice));
  CHECK(only_item(fee)["makerFeeRate"] == "0.0002");
  CHECK(only_item(fee)["takerFeeRate"] == "0.00055");
  CHECK(only_item(ok(f.send(bb::fee_rate(spot), f.alice)))["takerFeeRate"] == "0.001");
  const auto info = ok(f.send(bb::account_info(), f.alice));
  CHECK(info.result()["marginMode"] == "REGULAR_MARGIN");
  CHECK(info.result()["unifiedMarginStatus"] == 5);
  ok(f.send(bb::set_margin_mode(MarginType::kIsolated), f.alice));
  CHECK(ok(f.send(bb::account_info(), f.alice)).result()["marginMode"] == "ISOLATED_MARGIN");
  const auto btc_only = ok(f.send(bb::wallet_balance("BTC"), f.alice));
  REQUIRE(btc_only.result()["list"][0]["coin"].size() == 1);
  CHECK(btc_only.result()["list"][0]["coin"][0]["walletBalance"] == "1");

  const std::string id = "3f6a3a9e-1b2c-4d5e-8f90-0123456789ab";
  const auto t = ok(f.send(bb::inter_transfer(bb::Transfer{id, "USDT", d("100"), "UNIFIED", "FUND"}), f.alice));
  CHECK(t.result()["status"] == "SUCCESS");
  CHECK(f.send(bb::inter_transfer(bb::Transfer{id, "USDT", d("100"), "UNIFIED", "FUND"}), f.alice).code() == 131214);
  const std::string id2 = "3f6a3a9e-1b2c-4d5e-8f90-0123456789ac";
  CHECK(f.send(bb::inter_transfer(bb::Transfer{id2, "BTC", d("5"), "UNIFIED", "FUND"}), f.alice).code() == 131212);
  CHECK(coin_of(f, f.alice, "USDT").free == d("199900"));
  CHECK(only_item(ok(f.send(bb::inter_transfers("USDT"), f.alice)))["transferId"] == id);
  CHECK(ok(f.send(bb::deposit_records("USDT"), f.alice)).result()["rows"].empty());
  // A fill, then the ledger: newest first, cash balances after each line.
  ok(f.send(bb::new_order(spot, order(Side::kBuy, "0.1", "60001", "lg-1")), f.alice));
  const auto log = ok(f.send(bb::transaction_log(), f.alice));
  const auto& list = log.result()["list"];
  REQUIRE(list.size() == 3);
  CHECK(list[0]["type"] == "TRADE");
  CHECK(list[0]["currency"] == "BTC");
  CHECK(list[0]["change"] == "0.0999");  // 0.1 less the 0.1 % fee
  CHECK(list[0]["cashBalance"] == "1.0999");
  CHECK(list[1]["currency"] == "USDT");
  CHECK(list[1]["change"] == "-6000.1");
  CHECK(list[1]["cashBalance"] == "193899.9");
  CHECK(list[2]["type"] == "TRANSFER_OUT");
  CHECK(list[2]["cashBalance"] == "199900");
}

TEST_CASE("bybit public market data: instruments-info reads back as the venue's rules, orderbook, tickers, trades, klines") {
  BybitFixture f;
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    const auto c = m == Market::kSpot ? bb::Category::kSpot : bb::Category::kLinear;
    const auto info = ok(f.send(bb::instruments_info(c), f.alice));
    auto page = bb::parse_instruments_info(info.body, m);
    INFO(info.body);
    REQUIRE(page.ok());
    REQUIRE(page->instruments.size() == 2);
    const auto want = default_bybit_instruments(m);
    for (std::size_t i = 0; i < 2; ++i) {
      const auto& r = page->instruments[i].rules;
      CHECK(page->instruments[i].venue_symbol == want[i].venue_symbol);
      CHECK(r.tick_size == want[i].rules.tick_size);
      CHECK(r.step_size == want[i].rules.step_size);
      CHECK(r.min_qty == want[i].rules.min_qty);
      CHECK(r.max_qty == want[i].rules.max_qty);
      CHECK(r.min_notional == want[i].rules.min_notional);
      CHECK(r.market_max_qty == want[i].rules.market_max_qty);
    }
  }
  const auto book = ok(f.send(bb::orderbook(f.reg.btc(Market::kUsdm), 2), f.alice));
  CHECK(book.result()["b"] == nlohmann::json::parse(R"([["59999.00","1.000"],["59998.00","1.000"]])"));
  CHECK(book.result()["a"][0] == nlohmann::json::parse(R"(["60001.00","1.000"])"));
  CHECK(f.get_public("/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=201").code() == 10001);
  f.front->on_trade(Market::kUsdm, "BTCUSDT", {d("60000"), d("0.25"), true});
  const auto trades = ok(f.send(bb::recent_trades(f.reg.btc(Market::kUsdm), 5), f.alice));
  CHECK(only_item(trades)["side"] == "Sell");  // the buyer was the maker: a seller took
  CHECK(only_item(trades)["size"] == "0.250");
  const auto ticker = only_item(ok(f.send(bb::tickers(bb::Category::kLinear, &f.reg.btc(Market::kUsdm)), f.alice)));
  CHECK(ticker["lastPrice"] == "60000.00");
  CHECK(ticker["bid1Price"] == "59999.00");
  CHECK(ticker["ask1Price"] == "60001.00");
  CHECK(ticker["markPrice"] == "60000.00");
  const auto k = ok(f.send(bb::kline(f.reg.btc(Market::kUsdm), "1"), f.alice));
  REQUIRE(k.result()["list"].size() == 1);
  CHECK(k.result()["list"][0][4] == "60000.00");
  CHECK(k.result()["list"][0][5] == "0.250");
  const auto time = ok(f.send(bb::server_time(), f.alice));
  CHECK(time.result()["timeSecond"] == std::to_string(f.now() / 1000));
  // 24 h figures from the trades: two hours later, one more print.
  f.advance(2 * 3'600'000);
  f.front->on_trade(Market::kUsdm, "BTCUSDT", {d("60100"), d("0.1"), false});
  auto later = only_item(ok(f.send(bb::tickers(bb::Category::kLinear, &f.reg.btc(Market::kUsdm)), f.alice)));
  CHECK(later["prevPrice1h"] == "60000.00");  // the last price before the hour
  CHECK(later["prevPrice24h"] == "60000.00");
  CHECK(later["price24hPcnt"] == "0.001667");
  CHECK(later["highPrice24h"] == "60100.00");
  CHECK(later["lowPrice24h"] == "60000.00");
  CHECK(later["volume24h"] == "0.350");
  CHECK(later["tickDirection"] == "PlusTick");
  // A day on, the 24 h window starts after both: the price 24 h ago is the last one before it.
  f.advance(25 * 3'600'000);
  f.front->on_trade(Market::kUsdm, "BTCUSDT", {d("60200"), d("0.2"), false});
  later = only_item(ok(f.send(bb::tickers(bb::Category::kLinear, &f.reg.btc(Market::kUsdm)), f.alice)));
  CHECK(later["prevPrice24h"] == "60100.00");
  CHECK(later["lowPrice24h"] == "60200.00");
  CHECK(later["volume24h"] == "0.200");
  const auto hourly = ok(f.send(bb::kline(f.reg.btc(Market::kUsdm), "60"), f.alice));
  REQUIRE(hourly.result()["list"].size() == 3);
  CHECK(hourly.result()["list"][0][1] == "60200.00");  // newest first
}

TEST_CASE("bybit faults: error_5xx answers 503 10016 without executing; lost_ack executes and drops the answer; delay_ack waits") {
  auto cfg = BybitFixture::config(std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000));
  cfg.faults = parse_faults("error_5xx=1");
  {
    BybitFixture f(cfg);
    const auto& lin = f.reg.btc(Market::kUsdm);
    const auto a = f.send(bb::new_order(lin, order(Side::kBuy, "0.01", "59000", "e-1")), f.alice);
    CHECK(a.status == 503);
    CHECK(a.code() == 10016);
  }
  cfg.faults = parse_faults("delay_ack=1,delay_ms=250");
  {
    BybitFixture f(cfg);
    const auto& lin = f.reg.btc(Market::kUsdm);
    const auto r = f.front->handle(f.render(bb::new_order(lin, order(Side::kBuy, "0.01", "59000", "w-1")), f.alice, f.now()));
    CHECK(r.delay == std::chrono::milliseconds(250));  // the server's timer, on top of the latency model (zero)
    CHECK(BybitFixture::answer_of(r).code() == 0);
    // Queries are not order requests: no fault.
    CHECK(f.front->handle(f.render(bb::wallet_balance(), f.alice, f.now())).delay == std::chrono::microseconds(0));
  }
  cfg.faults = parse_faults("lost_ack=1");
  BybitFixture f(cfg);
  const auto& lin = f.reg.btc(Market::kUsdm);
  const auto lost = f.front->handle(f.render(bb::new_order(lin, order(Side::kBuy, "0.01", "59000", "l-1")), f.alice, f.now()));
  CHECK(lost.response.status == 0);  // the server drops the connection
  const auto open = orders_of(f.send(bb::open_orders(bb::Category::kLinear, &lin), f.alice), Market::kUsdm, f.reg);
  REQUIRE(open.size() == 1);
  CHECK(open[0].client_order_id.view() == "l-1");
}

TEST_CASE("bybit history: order/history and execution/list take startTime / endTime at most 7 days apart (10001 past it), a startTime alone its 7 days, neither the last 7; limit 1..50 / 1..100, cursor pages") {
  BybitFixture f;
  const auto& btc = f.reg.btc(Market::kSpot);
  constexpr std::int64_t kDayMs = 86'400'000;
  const std::int64_t t0 = f.now();
  // Three orders cancelled and one filled at t0, the same ten days later; then ten more days.
  for (int week = 0; week < 2; ++week) {
    for (int i = 0; i < 3; ++i) {
      const std::string cid = "w" + std::to_string(week) + "-" + std::to_string(i);
      ok(f.send(bb::new_order(btc, order(Side::kBuy, "0.01", "59000", cid.c_str())), f.alice));
      ok(f.send(bb::cancel_order(btc, bb::OrderRef{{}, cid}), f.alice));
    }
    const std::string taker = "w" + std::to_string(week) + "-t";
    ok(f.send(bb::new_order(btc, order(Side::kBuy, "0.01", "60001", taker.c_str())), f.alice));
    f.advance(10 * kDayMs);
  }
  const auto history = [&](std::int64_t start, std::int64_t end, std::uint32_t limit = 0, std::string_view cursor = {}) {
    bb::HistoryQuery q;
    q.start_time_ms = start;
    q.end_time_ms = end;
    q.limit = limit;
    q.cursor = cursor;
    return f.send(bb::order_history(bb::Category::kSpot, &btc, q), f.alice);
  };
  const auto list_size = [](const Answer& a) { return a.result()["list"].size(); };
  // A startTime alone: [start, start + 7 d] -- the first four, none of ten days later.
  CHECK(list_size(ok(history(t0 - 1, 0))) == 4);
  // Neither: the last 7 days (the clock is 20 days on): nothing.
  CHECK(list_size(ok(history(0, 0))) == 0);
  // An endTime alone: its 7 days before.
  CHECK(list_size(ok(history(0, t0 + 10 * kDayMs + 1'000))) == 4);
  // Both, 7 days apart exactly: taken; a millisecond more: 10001.
  CHECK(list_size(ok(history(t0 + 5 * kDayMs, t0 + 12 * kDayMs))) == 4);
  const auto wide = history(t0 - 1, t0 + 7 * kDayMs);
  CHECK(wide.code() == 10001);
  CHECK(wide.json["retMsg"].get<std::string>().find("7 days") != std::string::npos);
  // Limit: the default 20, 1..50; a page of 3 and its cursor.
  CHECK(history(t0 - 1, t0 + kDayMs, 51).code() == 10001);
  const auto first = ok(history(t0 - 1, t0 + kDayMs, 3));
  CHECK(list_size(first) == 3);
  const std::string next = first.result()["nextPageCursor"].get<std::string>();
  REQUIRE(!next.empty());
  const auto second = ok(history(t0 - 1, t0 + kDayMs, 3, next));
  CHECK(list_size(second) == 1);
  CHECK(second.result()["nextPageCursor"].get<std::string>().empty());
  // Executions: the same window rule, limit 1..100.
  const auto execs = [&](std::int64_t start, std::int64_t end, std::uint32_t limit = 0) {
    bb::HistoryQuery q;
    q.start_time_ms = start;
    q.end_time_ms = end;
    q.limit = limit;
    return f.send(bb::executions(bb::Category::kSpot, &btc, q), f.alice);
  };
  CHECK(list_size(ok(execs(t0 - 1, 0, 100))) == 1);
  CHECK(list_size(ok(execs(0, 0))) == 0);
  CHECK(execs(t0 - 1, t0 + 8 * kDayMs).code() == 10001);
  CHECK(execs(t0 - 1, 0, 101).code() == 10001);
}
