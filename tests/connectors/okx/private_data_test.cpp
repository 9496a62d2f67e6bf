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
