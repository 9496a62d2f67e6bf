// OKX v5 account data -> our events, on the shared captured messages (nautilus_trader's
// fixtures) and on messages with one thing wrong.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "oms/connectors/okx/private_data.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::okx;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream f(testkit::shared_data() / "nautilus" / "okx" / name);
  REQUIRE_MESSAGE(f.good(), name);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

Decimal d(const char* s) { return *Decimal::parse(s); }

// BTC-USDT / ETH-USDT spot and their USDT swaps (ctVal 0.01 BTC, 0.1 ETH); ids 1..4.
struct Registry {
  std::map<std::string, std::pair<Instrument, Decimal>, std::less<>> by_id;
  Registry() {
    std::uint32_t id = 1;
    for (const char* base : {"BTC", "ETH"}) {
      for (const Market m : {Market::kSpot, Market::kUsdm}) {
        Instrument in;
        in.id = InstrumentId{id++};
        in.exchange = ExchangeId::kOkx;
        in.market = m;
        in.venue_symbol = std::string(base) + "-USDT" + (m == Market::kUsdm ? "-SWAP" : "");
        in.symbol.base = base;
        in.symbol.quote = "USDT";
        if (m == Market::kUsdm) in.symbol.settle = "USDT";
        const Decimal ct = m == Market::kSpot ? d("1") : std::string(base) == "BTC" ? d("0.01") : d("0.1");
        by_id[in.venue_symbol] = {in, ct};
      }
    }
  }
  AccountContext context(Market m) {
    return AccountContext{AccountId{7}, m, [this](std::string_view inst) {
                            const auto it = by_id.find(inst);
                            if (it == by_id.end()) return InstrumentEntry{};
                            return InstrumentEntry{&it->second.first, it->second.second};
                          }};
  }
  InstrumentId id(const char* inst) { return by_id.at(inst).first.id; }
};

template <class T>
const T& as(const VenueEvent& e) {
  REQUIRE(std::holds_alternative<T>(e.payload));
  return std::get<T>(e.payload);
}

}  // namespace

TEST_CASE("orders channel: a swap fill in contracts, the fee charged, then the order filled") {
  Registry reg;
  PrivateMessage msg;
  const auto kind = parse_private(fixture("ws_orders.json"), reg.context(Market::kUsdm), msg);
  REQUIRE(kind);
  CHECK(*kind == PrivateKind::kOrders);
  REQUIRE(msg.events.size() == 2);
  const auto& fill = as<FillReceived>(msg.events[0]);
  CHECK(fill.account == AccountId{7});
  CHECK(fill.instrument == reg.id("BTC-USDT-SWAP"));
  CHECK(fill.client_order_id.view() == "001BTCUSDT20250106001");
  CHECK(fill.trade_id.view() == "1518905529");
  CHECK(fill.side == Side::kBuy);
  CHECK(fill.price == d("103698.9"));
  CHECK(fill.quantity == d("0.0003"));  // 0.03 contracts x 0.01 BTC
  // fee "-0.021776769": 9 decimals, exact since the Decimal range change (no note)
  CHECK(fill.fee == d("0.021776769"));
  CHECK(fill.fee_asset.view() == "USDT");
  CHECK(fill.liquidity == Liquidity::kMaker);
  CHECK(msg.events[0].venue_time == 1746947317402LL * 1'000'000);
  CHECK(msg.events[0].venue_order_id == "2497956918703120384");
  CHECK(msg.notes.empty());
  const auto& filled = as<OrderFilled>(msg.events[1]);
  CHECK(filled.cum_qty == d("0.0003"));
  CHECK(filled.avg_price == d("103698.9"));
}

TEST_CASE("orders channel: spot IOC partly filled, FOK filled; the other market's connection skips them") {
  Registry reg;
  PrivateMessage msg;
  REQUIRE(parse_private(fixture("ws_orders_ioc.json"), reg.context(Market::kSpot), msg));
  REQUIRE(msg.events.size() == 2);
  const auto& fill = as<FillReceived>(msg.events[0]);
  CHECK(fill.quantity == d("0.02"));
  CHECK(fill.fee == d("0.1002"));  // first fill: the accumulated fee is this fill's
  CHECK(fill.liquidity == Liquidity::kTaker);
  const auto& part = as<OrderPartiallyFilled>(msg.events[1]);
  CHECK(part.cum_qty == d("0.02"));
  CHECK(part.leaves_qty == d("0.03"));
  CHECK(msg.notes.empty());

  REQUIRE(parse_private(fixture("ws_orders_fok.json"), reg.context(Market::kUsdm), msg));
  CHECK(msg.events.empty());
  REQUIRE(msg.skipped.size() == 1);
  CHECK(msg.skipped[0].find("other market") != std::string::npos);
}

TEST_CASE("orders channel: canceled by the user vs ended by the venue; a later fill needs fillFee") {
  Registry reg;
  const auto ctx = reg.context(Market::kSpot);
  const std::string base =
      R"({"arg":{"channel":"orders","instType":"SPOT"},"data":[{"instType":"SPOT","instId":"BTC-USDT",)"
      R"("ordId":"11","clOrdId":"abc","side":"sell","sz":"0.5","accFillSz":"0.1","avgPx":"60000",)"
      R"("uTime":"1700000000000","tgtCcy":"",)";
  PrivateMessage msg;
  REQUIRE(parse_private(base + R"("state":"canceled","cancelSource":"1","fillSz":"0"}]})", ctx, msg));
  REQUIRE(msg.events.size() == 1);
  CHECK(as<OrderCanceled>(msg.events[0]).cum_qty == d("0.1"));
  REQUIRE(parse_private(base + R"("state":"canceled","cancelSource":"14","fillSz":""}]})", ctx, msg));
  REQUIRE(msg.events.size() == 1);
  CHECK(as<OrderExpired>(msg.events[0]).cum_qty == d("0.1"));
  REQUIRE(parse_private(base + R"("state":"mmp_canceled","fillSz":"0"}]})", ctx, msg));
  CHECK(std::holds_alternative<OrderExpired>(msg.events.at(0).payload));

  // A second fill (accFillSz 0.1 > fillSz 0.05) with its own fee: -fillFee in fillFeeCcy.
  REQUIRE(parse_private(base + R"("state":"partially_filled","fillSz":"0.05","fillPx":"60010","tradeId":"9",)"
                               R"("fillFee":"0.012","fillFeeCcy":"USDT","execType":"M","fillTime":"1700000000001"}]})",
                        ctx, msg));
  REQUIRE(msg.events.size() == 2);
  CHECK(as<FillReceived>(msg.events[0]).fee == d("-0.012"));  // a maker rebate: a negative fee
  CHECK(as<FillReceived>(msg.events[0]).side == Side::kSell);
  CHECK(as<OrderPartiallyFilled>(msg.events[1]).leaves_qty == d("0.4"));
  // ... without fillFee the fee of that fill is unknown: an error naming the field, no events.
  const auto bad = parse_private(base + R"("state":"partially_filled","fillSz":"0.05","fillPx":"60010",)"
                                        R"("tradeId":"9","fee":"-0.03","feeCcy":"USDT"}]})",
                                 ctx, msg);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "orders.data[0].fillFee: missing for a later fill");
}

TEST_CASE("orders channel: an amendment done is OrderAmended (total size in base units); one failed is named") {
  Registry reg;
  const auto ctx = reg.context(Market::kUsdm);
  const std::string base =
      R"({"arg":{"channel":"orders","instType":"SWAP"},"data":[{"instType":"SWAP","instId":"BTC-USDT-SWAP",)"
      R"("ordId":"77","clOrdId":"c77","side":"buy","sz":"3","px":"60100.5","accFillSz":"1","avgPx":"60000",)"
      R"("uTime":"1700000000000","state":"partially_filled","fillSz":"0",)";
  PrivateMessage msg;
  REQUIRE(parse_private(base + R"("amendResult":"0"}]})", ctx, msg));
  REQUIRE(msg.events.size() == 2);
  const auto& am = as<OrderAmended>(msg.events[1]);
  CHECK(am.client_order_id.view() == "c77");
  CHECK(am.price == d("60100.5"));
  CHECK(am.quantity == d("0.03"));  // 3 contracts x 0.01
  CHECK(msg.events[1].venue_order_id == "77");
  REQUIRE(parse_private(base + R"("amendResult":"-1"}]})", ctx, msg));
  CHECK(msg.events.size() == 1);
  REQUIRE(msg.amend_failed.size() == 1);
  CHECK(msg.amend_failed[0].client_order_id.view() == "c77");
  CHECK(msg.amend_failed[0].instrument == reg.id("BTC-USDT-SWAP"));
  REQUIRE(parse_private(base + R"("amendResult":""}]})", ctx, msg));
  CHECK(msg.events.size() == 1);
  CHECK(msg.amend_failed.empty());
}

TEST_CASE("orders channel: unknown instruments and states") {
  Registry reg;
  PrivateMessage msg;
  const auto ctx = reg.context(Market::kSpot);
  REQUIRE(parse_private(R"({"arg":{"channel":"orders"},"data":[{"instType":"SPOT","instId":"DOGE-USDT","state":"live"}]})",
                        ctx, msg));
  CHECK(msg.events.empty());
  REQUIRE(msg.skipped.size() == 1);
  CHECK(msg.skipped[0] == "orders.data[0]: instId DOGE-USDT is not a configured instrument");
  const auto bad = parse_private(
      R"({"arg":{"channel":"orders"},"data":[{"instType":"SPOT","instId":"BTC-USDT","ordId":"1","uTime":"1","state":"gone"}]})",
      ctx, msg);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "orders.data[0].state: 'gone' is not a v5 order state");
  const auto bad_qty = parse_private(
      R"({"arg":{"channel":"orders"},"data":[{"instType":"SPOT","instId":"BTC-USDT","ordId":"1","uTime":"1","state":"live","accFillSz":"x"}]})",
      ctx, msg);
  REQUIRE_FALSE(bad_qty);
  CHECK(bad_qty.error().message.find("orders.data[0].accFillSz") == 0);
}

TEST_CASE("account channel: balances per currency; figures past 9 decimals rounded the safe way, noted") {
  Registry reg;
  PrivateMessage msg;
  REQUIRE(parse_private(fixture("ws_account.json"), reg.context(Market::kSpot), msg));
  CHECK(msg.kind == PrivateKind::kAccount);
  REQUIRE(msg.events.size() == 3);
  const auto& usdt = as<BalanceUpdated>(msg.events[0]);
  CHECK(usdt.asset.view() == "USDT");
  CHECK(usdt.exchange == ExchangeId::kOkx);
  CHECK(usdt.market == Market::kSpot);
  CHECK(usdt.free == d("100.527685697"));  // "100.52768569797846": never more than held
  CHECK(usdt.locked.is_zero());
  CHECK(msg.events[0].venue_time == 1751531646836LL * 1'000'000);
  CHECK(as<BalanceUpdated>(msg.events[1]).free == d("0.000000005"));  // BTC "0.0000000051"
  CHECK(as<BalanceUpdated>(msg.events[2]).free == d("0.000000185"));  // ETH: exact at 1e-9
  REQUIRE(msg.notes.size() == 2);
  CHECK(msg.notes[0] == "account.data[0].details[0].availBal: '100.52768569797846' rounded to 100.527685697 (more than 9 decimals)");

  const auto rest = parse_balance(fixture("http_get_account_balance.json"), reg.context(Market::kSpot));
  REQUIRE(rest);
  REQUIRE_FALSE(rest->balances.empty());
  CHECK(rest->balances[0].asset.view() == "USDT");
  CHECK(rest->balances[0].free == d("94.426129903"));   // "94.42612990333333": never more than held
  CHECK(rest->balances[0].locked == d("5.468566667"));  // "5.468566666666667": never less than locked
}

TEST_CASE("positions, balance, orders and fills answers") {
  Registry reg;
  const auto pos = parse_positions(fixture("http_get_positions.json"), reg.context(Market::kUsdm));
  REQUIRE(pos);
  REQUIRE_FALSE(pos->empty());
  const PositionUpdated& p = pos->front();
  CHECK(p.instrument == reg.id("BTC-USDT-SWAP"));
  CHECK(p.position_side == PositionSide::kLong);
  CHECK(p.size == d("0.005"));  // 0.5 contracts x 0.01
  CHECK(p.leverage == 10);
  CHECK(p.margin_type == MarginType::kIsolated);

  const auto pending = parse_orders(fixture("http_get_orders_pending.json"), reg.context(Market::kUsdm));
  REQUIRE(pending);
  CHECK(pending->count >= 1);

  const auto ack = parse_order_ack(R"({"code":"0","msg":"","data":[{"clOrdId":"c1","ordId":"42","tag":"","sCode":"0","sMsg":""}]})");
  REQUIRE(ack);
  CHECK(ack->order_id == "42");
  CHECK(ack->client_order_id == "c1");
  const auto refused = parse_order_ack(
      R"({"code":"1","msg":"All operations failed","data":[{"clOrdId":"c1","ordId":"","sCode":"51008","sMsg":"Order failed. Insufficient USDT balance in account."}]})");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().refused);
  CHECK(refused.error().refusal.code == 51008);
  CHECK(refused.error().refusal.msg == "Order failed. Insufficient USDT balance in account.");
  const auto auth = parse_envelope(R"({"code":"50113","msg":"Invalid Sign","data":[]})");
  REQUIRE_FALSE(auth);
  CHECK(auth.error().refusal.code == 50113);

  const auto batch = parse_batch_ack(
      R"({"code":"2","msg":"","data":[{"clOrdId":"a","ordId":"1","sCode":"0","sMsg":""},{"clOrdId":"b","ordId":"","sCode":"51121","sMsg":"lot"}]})");
  REQUIRE(batch);
  REQUIRE(batch->size() == 2);
  CHECK((*batch)[0].refusal.code == 0);
  CHECK((*batch)[1].refusal.code == 51121);

  const auto time = parse_server_time(R"({"code":"0","msg":"","data":[{"ts":"1597026383085"}]})");
  REQUIRE(time);
  CHECK(*time == 1597026383085);
}

namespace {

// An orders-algo / order-algo item of a conditional SL on BTC-USDT-SWAP in the given state
// (extra: its failCode field instead of "").
std::string algo_item(const char* state, const char* ord_id, const char* extra = "") {
  return std::string(R"({"instType":"SWAP","instId":"BTC-USDT-SWAP","ordId":")") + ord_id +
         R"(","ordIdList":[],"algoId":"7001","clOrdId":"","algoClOrdId":"stop1","sz":"3","ordType":"conditional",)"
         R"("side":"sell","state":")" + state + R"(","slTriggerPx":"59000","slOrdPx":"-1",)" +
         (*extra != '\0' ? extra : R"("failCode":"",)") +
         R"("cTime":"1700000000000","uTime":"1700000001000"})";
}

std::string algo_push(const std::string& item) {
  return R"({"arg":{"channel":"orders-algo","instType":"SWAP","uid":"1"},"data":[)" + item + "]}";
}

}  // namespace

TEST_CASE("orders-algo channel: live is the algo's OrderAccepted under its algoClOrdId; canceled, order_failed, effective") {
  Registry reg;
  const auto ctx = reg.context(Market::kUsdm);
  PrivateMessage msg;
  const auto kind = parse_private(algo_push(algo_item("live", "")), ctx, msg);
  REQUIRE_MESSAGE(kind, (kind ? "" : kind.error().message));
  CHECK(*kind == PrivateKind::kOrdersAlgo);
  CHECK(msg.events.empty());
  REQUIRE(msg.algos.size() == 1);
  const AlgoOrderItem& a = msg.algos[0];
  CHECK(a.instrument == reg.id("BTC-USDT-SWAP"));
  CHECK(a.client_order_id.view() == "stop1");
  CHECK(a.algo_id == "7001");
  CHECK(a.ord_id.empty());
  CHECK(a.state == okx::AlgoState::kLive);
  CHECK(a.venue_time == 1700000001000LL * 1'000'000);
  const auto live = algo_event(a, AccountId{7});
  REQUIRE(live);
  const auto& acc = std::get<OrderAccepted>(*live);
  CHECK(acc.account == AccountId{7});
  CHECK(acc.client_order_id.view() == "stop1");
  CHECK(acc.venue_order_id.view() == "7001");  // the algo's own id until the order ends

  REQUIRE(parse_private(algo_push(algo_item("canceled", "")), ctx, msg));
  const auto canceled = algo_event(msg.algos.at(0), AccountId{7});
  REQUIRE(canceled);
  CHECK(std::get<OrderCanceled>(*canceled).cum_qty.is_zero());
  // The order at the trigger failed: the venue ended ours, nothing traded.
  REQUIRE(parse_private(algo_push(algo_item("order_failed", "", R"("failCode":"51008",)")), ctx, msg));
  CHECK(msg.algos.at(0).state == okx::AlgoState::kFailed);
  CHECK(msg.algos.at(0).fail_code == "51008");
  CHECK(std::holds_alternative<OrderExpired>(*algo_event(msg.algos.at(0), AccountId{7})));
  // Triggered: the order placed (ordId) reports for itself; no event of the algo's.
  REQUIRE(parse_private(algo_push(algo_item("effective", "8123")), ctx, msg));
  CHECK(msg.algos.at(0).state == okx::AlgoState::kEffective);
  CHECK(msg.algos.at(0).ord_id == "8123");
  CHECK_FALSE(algo_event(msg.algos.at(0), AccountId{7}));
  // ordId empty (OKX retires it): the first of ordIdList.
  std::string listed = algo_item("effective", "");
  listed.replace(listed.find(R"("ordIdList":[])"), 14, R"("ordIdList":["8124"])");
  REQUIRE(parse_private(algo_push(listed), ctx, msg));
  CHECK(msg.algos.at(0).ord_id == "8124");
  // pause (other algo kinds): no event.
  REQUIRE(parse_private(algo_push(algo_item("pause", "")), ctx, msg));
  CHECK(msg.algos.at(0).state == okx::AlgoState::kOther);
  CHECK_FALSE(algo_event(msg.algos.at(0), AccountId{7}));
}

TEST_CASE("orders-algo: the other market's and unknown instruments skipped; a malformed item names its field") {
  Registry reg;
  PrivateMessage msg;
  REQUIRE(parse_private(algo_push(algo_item("live", "")), reg.context(Market::kSpot), msg));
  CHECK(msg.algos.empty());
  REQUIRE(msg.skipped.size() == 1);
  CHECK(msg.skipped[0].find("other market") != std::string::npos);
  std::string no_id = algo_item("live", "");
  no_id.replace(no_id.find(R"("algoId":"7001")"), 15, R"("algoId":"")");
  const auto bad = parse_private(algo_push(no_id), reg.context(Market::kUsdm), msg);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "orders-algo.data[0].algoId: empty");
  std::string long_cl = algo_item("live", "");
  long_cl.replace(long_cl.find("stop1"), 5, std::string(40, 'x'));
  const auto too_long = parse_private(algo_push(long_cl), reg.context(Market::kUsdm), msg);
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().message == "orders-algo.data[0].algoClOrdId: longer than a client order id");
}

TEST_CASE("orders channel: the order an algo order placed carries no clOrdId -- its fill is ours under the algoClOrdId") {
  Registry reg;
  PrivateMessage msg;
  const std::string m =
      R"({"arg":{"channel":"orders","instType":"SWAP"},"data":[{"instType":"SWAP","instId":"BTC-USDT-SWAP",)"
      R"("ordId":"8123","clOrdId":"","algoClOrdId":"stop1","algoId":"7001","side":"sell","sz":"3","accFillSz":"3",)"
      R"("avgPx":"58990","state":"filled","fillSz":"3","fillPx":"58990","tradeId":"55","fillFee":"-0.1",)"
      R"("fillFeeCcy":"USDT","execType":"T","fillTime":"1700000002000","uTime":"1700000002000","tgtCcy":""}]})";
  REQUIRE(parse_private(m, reg.context(Market::kUsdm), msg));
  REQUIRE(msg.events.size() == 2);
  const auto& fill = as<FillReceived>(msg.events[0]);
  CHECK(fill.client_order_id.view() == "stop1");
  CHECK(fill.quantity == d("0.03"));
  CHECK(msg.events[0].venue_order_id == "8123");
  CHECK(as<OrderFilled>(msg.events[1]).client_order_id.view() == "stop1");
}

TEST_CASE("algo REST answers: order-algo / orders-algo-pending pages, order-algo and cancel-algos acks") {
  Registry reg;
  const auto page = parse_algo_orders(
      R"({"code":"0","msg":"","data":[)" + algo_item("live", "") + "," + algo_item("effective", "8123") + "]}",
      reg.context(Market::kUsdm));
  REQUIRE_MESSAGE(page, (page ? "" : page.error().message));
  CHECK(page->count == 2);
  REQUIRE(page->algos.size() == 2);
  CHECK(page->algos[1].ord_id == "8123");
  CHECK(page->last_algo_id == "7001");
  const auto missing = parse_algo_orders(R"({"code":"51603","msg":"Order does not exist","data":[]})", reg.context(Market::kUsdm));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().refusal.code == 51603);

  const auto placed = parse_algo_acks(
      R"({"code":"0","msg":"","data":[{"algoId":"7001","clOrdId":"","algoClOrdId":"stop1","sCode":"0","sMsg":""}]})");
  REQUIRE(placed);
  REQUIRE(placed->size() == 1);
  CHECK((*placed)[0].algo_id == "7001");
  CHECK((*placed)[0].algo_client_id == "stop1");
  // One item refused: the item's sCode is the refusal.
  const auto refused = parse_algo_acks(
      R"({"code":"1","msg":"All operations failed","data":[{"algoId":"","algoClOrdId":"stop1","sCode":"51278","sMsg":"SL trigger price can not be lower than the last price."}]})");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().refusal.code == 51278);
  const auto cancels = parse_algo_acks(
      R"({"code":"2","msg":"","data":[{"algoId":"1","algoClOrdId":"","sCode":"0","sMsg":""},{"algoId":"2","algoClOrdId":"","sCode":"51401","sMsg":"canceled"}]})");
  REQUIRE(cancels);
  CHECK((*cancels)[1].refusal.code == 51401);
  const auto no_id = parse_algo_acks(R"({"code":"0","msg":"","data":[{"algoId":"","sCode":"0","sMsg":""}]})");
  REQUIRE_FALSE(no_id);
  CHECK(no_id.error().message == "algo.data[0].algoId: empty for an accepted item");
}

TEST_CASE("stream events: login, a subscribe ack names its channel, unsubscribe and errors are not acks") {
  Registry reg;
  PrivateMessage msg;
  const auto ctx = reg.context(Market::kSpot);
  REQUIRE(parse_private(R"({"event":"login","code":"0","msg":"","connId":"a4d3ae55"})", ctx, msg));
  CHECK(msg.kind == PrivateKind::kLogin);
  CHECK(msg.code == "0");
  CHECK(msg.channel.empty());
  REQUIRE(parse_private(R"({"event":"subscribe","arg":{"channel":"orders","instType":"SPOT"},"connId":"a4d3ae55"})",
                        ctx, msg));
  CHECK(msg.kind == PrivateKind::kSubscribe);
  CHECK(msg.channel == "orders");
  REQUIRE(parse_private(R"({"event":"subscribe","arg":{"channel":"orders-algo","instType":"SWAP"},"connId":"b"})",
                        ctx, msg));
  CHECK(msg.kind == PrivateKind::kSubscribe);
  CHECK(msg.channel == "orders-algo");
  REQUIRE(parse_private(R"({"event":"unsubscribe","arg":{"channel":"orders","instType":"SPOT"},"connId":"b"})",
                        ctx, msg));
  CHECK(msg.kind == PrivateKind::kOther);
  REQUIRE(parse_private(R"({"event":"error","code":"60012","msg":"Invalid request","connId":"b"})", ctx, msg));
  CHECK(msg.kind == PrivateKind::kError);
  CHECK(msg.code == "60012");
  CHECK(msg.channel.empty());
}
