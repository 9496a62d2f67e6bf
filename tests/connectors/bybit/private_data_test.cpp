// Bybit v5 account data -> our events, on the shared captured messages (nautilus_trader's
// fixtures) and on messages with one thing wrong.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "oms/connectors/bybit/private_data.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::bybit;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream f(testkit::shared_data() / "nautilus" / "bybit" / name);
  REQUIRE_MESSAGE(f.good(), name);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

Decimal d(const char* s) { return *Decimal::parse(s); }

// Linear and spot instruments for the symbols the fixtures trade; ids 1.. in linear order.
struct Registry {
  std::map<std::pair<Market, std::string>, Instrument> by_symbol;
  Registry() {
    std::uint32_t id = 1;
    for (const char* base : {"BTC", "ETH", "ICP", "LTC", "SOL", "APEX"}) {
      for (const Market m : {Market::kUsdm, Market::kSpot}) {
        Instrument in;
        in.id = InstrumentId{id++};
        in.exchange = ExchangeId::kBybit;
        in.market = m;
        in.venue_symbol = std::string(base) + "USDT";
        in.symbol.base = base;
        in.symbol.quote = "USDT";
        if (m == Market::kUsdm) in.symbol.settle = "USDT";
        by_symbol[{m, in.venue_symbol}] = in;
      }
    }
  }
  AccountContext context(Market m = Market::kUsdm) {
    return AccountContext{AccountId{7}, m, [this](Market mk, std::string_view s) -> const Instrument* {
                            const auto it = by_symbol.find({mk, std::string(s)});
                            return it == by_symbol.end() ? nullptr : &it->second;
                          }};
  }
  InstrumentId id(Market m, const char* s) { return by_symbol.at({m, s}).id; }
};

template <class T>
const T& as(const VenueEvent& e) {
  REQUIRE(std::holds_alternative<T>(e.payload));
  return std::get<T>(e.payload);
}

}  // namespace

TEST_CASE("bybit order topic: a user cancel, a fill, a rejection after a partial fill") {
  Registry reg;
  const auto ctx = reg.context();
  PrivateMessage m;
  REQUIRE(parse_private(fixture("ws_account_order.json"), ctx, m).ok());
  CHECK(m.kind == PrivateKind::kOrder);
  REQUIRE(m.events.size() == 1);
  const auto& c = as<OrderCanceled>(m.events[0]);
  CHECK(c.account == AccountId{7});
  CHECK(c.instrument == reg.id(Market::kUsdm, "BTCUSDT"));
  CHECK(c.client_order_id.view() == "client-1");
  CHECK(c.cum_qty.is_zero());
  CHECK(m.events[0].venue_order_id == "abcdef123456");
  CHECK(m.events[0].venue_time == 1'700'000'005'000'000'000);

  REQUIRE(parse_private(fixture("ws_account_order_filled.json"), ctx, m).ok());  // no category: the connection's
  const auto& f = as<OrderFilled>(m.events.at(0));
  CHECK(f.cum_qty == d("0.1"));
  CHECK(f.avg_price == d("30000.5"));

  REQUIRE(parse_private(fixture("ws_account_order_partially_filled_rejected.json"), reg.context(Market::kSpot), m).ok());
  const auto& x = as<OrderExpired>(m.events.at(0));
  CHECK(x.cum_qty == d("50"));
}

TEST_CASE("bybit order topic: every captured order message parses, each status to its event") {
  Registry reg;
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(testkit::shared_data() / "nautilus" / "bybit")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ws_account_order", 0) != 0) continue;
    ++files;
    // Each item is read by the connection of its category, and by that one only.
    std::size_t events = 0, skipped = 0;
    for (const Market mk : {Market::kUsdm, Market::kSpot}) {
      PrivateMessage m;
      const auto r = parse_private(fixture(name), reg.context(mk), m);
      INFO(name);
      REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
      CHECK(m.kind == PrivateKind::kOrder);
      events += m.events.size();
      skipped += m.skipped.size();
    }
    CHECK(events >= 1);
    CHECK(events == skipped);
  }
  CHECK(files >= 10);
}

TEST_CASE("bybit execution topic: a linear fill with its fee in the settle coin, an ADL fill, a fast fill without fee") {
  Registry reg;
  const auto ctx = reg.context();
  PrivateMessage m;
  REQUIRE(parse_private(fixture("ws_account_execution.json"), ctx, m).ok());
  REQUIRE(m.events.size() == 1);
  const auto& f = as<FillReceived>(m.events[0]);
  CHECK(f.instrument == reg.id(Market::kUsdm, "BTCUSDT"));
  CHECK(f.client_order_id.view() == "test-order-link-001");
  CHECK(f.trade_id.view() == "0ab1bdf7-4219-438b-b30a-32ec863018f7");
  CHECK(f.side == Side::kSell);
  CHECK(f.price == d("95900.1"));
  CHECK(f.quantity == d("0.5"));
  CHECK(f.fee == d("26.3725275"));
  CHECK(f.fee_asset.view() == "USDT");
  CHECK(f.liquidity == Liquidity::kTaker);
  CHECK(m.events[0].venue_order_id == "9aac161b-8ed6-450d-9cab-c5cc67c21784");
  CHECK(m.events[0].venue_time == 1'746'270'400'353'000'000);
  CHECK_FALSE(m.events[0].fee_pending);

  REQUIRE(parse_private(fixture("ws_account_execution_adl.json"), ctx, m).ok());
  CHECK(as<FillReceived>(m.events.at(0)).quantity == d("0.5"));
  CHECK(as<FillReceived>(m.events.at(0)).client_order_id.empty());  // the venue's own order

  REQUIRE(parse_private(fixture("ws_account_execution_fast.json"), ctx, m).ok());
  CHECK(m.kind == PrivateKind::kExecutionFast);
  CHECK(m.events.at(0).fee_pending);
  CHECK(as<FillReceived>(m.events.at(0)).fee.is_zero());
  CHECK(as<FillReceived>(m.events.at(0)).quantity == d("3000"));
}

TEST_CASE("bybit execution: a spot fill without feeCurrency pays in what it received; funding; types that are no fill") {
  Registry reg;
  const auto ctx = reg.context(Market::kSpot);
  const std::string spot_buy = R"({"topic":"execution","creationTime":1,"data":[{"category":"spot","symbol":"ETHUSDT","execId":"e1","execPrice":"3000","execQty":"0.1","execType":"Trade","execFee":"0.0001","orderId":"o1","orderLinkId":"c1","side":"Buy","isMaker":true,"execTime":"1700000000000"}]})";
  PrivateMessage m;
  REQUIRE(parse_private(spot_buy, ctx, m).ok());
  CHECK(as<FillReceived>(m.events.at(0)).fee_asset.view() == "ETH");
  CHECK(as<FillReceived>(m.events.at(0)).liquidity == Liquidity::kMaker);
  std::string sell = spot_buy;
  sell.replace(sell.find("\"Buy\""), 5, "\"Sell\"");
  REQUIRE(parse_private(sell, ctx, m).ok());
  CHECK(as<FillReceived>(m.events.at(0)).fee_asset.view() == "USDT");
  const std::string funding = R"({"topic":"execution","creationTime":1,"data":[
    {"category":"linear","symbol":"BTCUSDT","execId":"f1","execPrice":"60000","execQty":"0.2","execType":"Funding","execFee":"1.25","orderId":"","orderLinkId":"","side":"Buy","isMaker":false,"execTime":"1700000000000"},
    {"category":"linear","symbol":"BTCUSDT","execId":"s1","execPrice":"60000","execQty":"0.2","execType":"Settle","execFee":"0","orderId":"","orderLinkId":"","side":"Buy","isMaker":false,"execTime":"1700000000000"},
    {"category":"inverse","symbol":"BTCUSD","execId":"i1","execPrice":"60000","execQty":"1","execType":"Trade","execFee":"0","orderId":"x","orderLinkId":"","side":"Buy","isMaker":false,"execTime":"1700000000000"}]})";
  REQUIRE(parse_private(funding, ctx, m).ok());  // the spot connection leaves linear items alone
  CHECK(m.events.empty());
  CHECK(m.skipped.at(0) == "execution.data[0]: category linear belongs to the other market's connection");
  REQUIRE(parse_private(funding, reg.context(Market::kUsdm), m).ok());
  REQUIRE(m.events.size() == 1);
  const auto& fp = as<FundingPaid>(m.events[0]);
  CHECK(fp.amount == d("-1.25"));
  CHECK(fp.asset.view() == "USDT");
  REQUIRE(m.skipped.size() == 2);
  CHECK(m.skipped[0] == "execution.data[1]: execType Settle is not a fill");
  CHECK(m.skipped[1] == "execution.data[2]: category inverse is not traded here");
}

TEST_CASE("bybit wallet and position topics") {
  Registry reg;
  const auto ctx = reg.context();
  PrivateMessage m;
  REQUIRE(parse_private(fixture("ws_account_wallet.json"), ctx, m).ok());
  REQUIRE(m.events.size() == 2);
  const auto& btc = as<BalanceUpdated>(m.events[0]);
  CHECK(btc.exchange == ExchangeId::kBybit);
  CHECK(btc.market == Market::kUsdm);
  CHECK(btc.asset.view() == "BTC");
  CHECK(btc.free == d("0.00102964"));
  CHECK(btc.locked.is_zero());
  CHECK(m.events[1].venue_time == 1'700'034'722'104'000'000);
  CHECK(as<BalanceUpdated>(m.events[1]).free == d("9647.75537647"));

  REQUIRE(parse_private(fixture("ws_account_position.json"), ctx, m).ok());
  const auto& p = as<PositionUpdated>(m.events.at(0));
  CHECK(p.instrument == reg.id(Market::kUsdm, "ETHUSDT"));
  CHECK(p.position_side == PositionSide::kBoth);
  CHECK(p.size == d("-0.01"));
  CHECK(p.entry_price == d("3641.075"));
  CHECK(p.leverage == 30);
  CHECK(p.unrealized_pnl == d("-0.00255"));
  CHECK(p.realized_pnl == d("-25.06579337"));
}

TEST_CASE("bybit op replies: auth success and failure, subscribe, pong") {
  Registry reg;
  const auto ctx = reg.context();
  PrivateMessage m;
  REQUIRE(parse_private(fixture("ws_auth_success.json"), ctx, m).ok());
  CHECK(m.kind == PrivateKind::kAuth);
  CHECK(m.success);
  REQUIRE(parse_private(fixture("ws_auth_failure.json"), ctx, m).ok());
  CHECK(m.kind == PrivateKind::kAuth);
  CHECK_FALSE(m.success);
  REQUIRE(parse_private(R"({"success":true,"ret_msg":"pong","conn_id":"x","op":"ping"})", ctx, m).ok());
  CHECK(m.kind == PrivateKind::kPong);
  REQUIRE(parse_private(R"({"op":"pong","args":["1"],"conn_id":"x"})", ctx, m).ok());
  CHECK(m.kind == PrivateKind::kPong);
  REQUIRE(parse_private(fixture("ws_subscription_ack.json"), ctx, m).ok());
  CHECK(m.kind == PrivateKind::kSubscribe);
}

TEST_CASE("bybit REST answers: orders, executions, wallet, positions") {
  Registry reg;
  const auto ctx = reg.context();
  const auto orders = parse_orders(fixture("http_get_orders_realtime.json"), Market::kUsdm, ctx);
  REQUIRE_MESSAGE(orders.ok(), (orders.ok() ? std::string() : orders.error().message));
  REQUIRE(orders->orders.size() >= 2);
  CHECK(orders->orders[0].venue_order_id.view() == "open-order-1");
  CHECK(orders->orders[0].client_order_id.view() == "client-open-1");
  CHECK(orders->orders[0].status == OrderStatus::kAccepted);
  CHECK(orders->orders[0].avg_price.is_zero());  // null before a fill
  const auto history = parse_orders(fixture("http_get_orders_history.json"), Market::kUsdm, ctx);
  REQUIRE_MESSAGE(history.ok(), (history.ok() ? std::string() : history.error().message));
  CHECK(!history->orders.empty());

  const auto execs = parse_executions(fixture("http_get_executions.json"), Market::kUsdm, ctx);
  REQUIRE_MESSAGE(execs.ok(), (execs.ok() ? std::string() : execs.error().message));
  REQUIRE(execs->events.size() == 2);
  CHECK(execs->next_page_cursor == "132766%3A2%2C132766%3A2");
  CHECK(as<FillReceived>(execs->events[0]).fee == d("0.015"));
  CHECK(as<FillReceived>(execs->events[0]).liquidity == Liquidity::kMaker);
  CHECK(as<FillReceived>(execs->events[1]).side == Side::kSell);

  const auto wallet = parse_wallet_balance(fixture("http_get_wallet_balance.json"), ctx);
  REQUIRE_MESSAGE(wallet.ok(), (wallet.ok() ? std::string() : wallet.error().message));
  REQUIRE(wallet->size() == 3);
  CHECK((*wallet)[1].asset.view() == "USDT");
  CHECK((*wallet)[1].free == d("1000.5"));

  const auto pos = parse_positions(fixture("http_get_positions.json"), ctx);
  REQUIRE_MESSAGE(pos.ok(), (pos.ok() ? std::string() : pos.error().message));
  REQUIRE(pos->size() >= 2);
  CHECK((*pos)[0].size == d("0.5"));
  CHECK((*pos)[0].entry_price == d("50000"));
  CHECK((*pos)[0].leverage == 10);
  CHECK((*pos)[1].size == d("-5"));
}

TEST_CASE("bybit REST acks, batch answers, refusals and malformed answers") {
  Registry reg;
  const auto ctx = reg.context();
  const auto ack = parse_order_ack(R"({"retCode":0,"retMsg":"OK","result":{"orderId":"1321003749386327552","orderLinkId":"spot-test-postonly"},"retExtInfo":{},"time":1672211918471})");
  REQUIRE(ack.ok());
  CHECK(ack->order_id == "1321003749386327552");
  CHECK(ack->order_link_id == "spot-test-postonly");
  const auto refused = parse_order_ack(R"({"retCode":110007,"retMsg":"Insufficient available balance","result":{},"retExtInfo":{},"time":1})");
  REQUIRE(!refused.ok());
  CHECK(refused.error().refused);
  CHECK(refused.error().refusal.ret_code == 110007);
  CHECK(refused.error().refusal.ret_msg == "Insufficient available balance");

  const auto batch = parse_batch_ack(R"({"retCode":0,"retMsg":"OK","result":{"list":[
      {"category":"linear","symbol":"BTCUSDT","orderId":"b1","orderLinkId":"c1","createAt":"1"},
      {"category":"linear","symbol":"BTCUSDT","orderId":"","orderLinkId":"c2","createAt":""}]},
    "retExtInfo":{"list":[{"code":0,"msg":"OK"},{"code":10001,"msg":"params error: qty"}]},"time":1})");
  REQUIRE_MESSAGE(batch.ok(), (batch.ok() ? std::string() : batch.error().message));
  REQUIRE(batch->size() == 2);
  CHECK((*batch)[0].ack.order_id == "b1");
  CHECK((*batch)[0].refusal.ret_code == 0);
  CHECK((*batch)[1].ack.order_link_id == "c2");
  CHECK((*batch)[1].refusal.ret_code == 10001);
  CHECK((*batch)[1].refusal.ret_msg == "params error: qty");

  const auto err = [&](std::string_view body) {
    PrivateMessage m;
    const auto r = parse_private(body, ctx, m);
    REQUIRE(!r.ok());
    return r.error().message;
  };
  CHECK(err(R"({"topic":"order","data":[{"category":"linear","symbol":"XYZUSDT","orderId":"1","orderStatus":"New","cumExecQty":"0","updatedTime":"1"}]})") ==
        "order.data[0].symbol: unknown symbol 'XYZUSDT'");
  CHECK(err(R"({"topic":"order","data":[{"category":"linear","symbol":"BTCUSDT","orderId":"1","orderStatus":"Sleeping","cumExecQty":"0","updatedTime":"1"}]})") ==
        "order.data[0].orderStatus: 'Sleeping' is not a v5 order status");
  CHECK(err(R"({"topic":"execution","data":[{"category":"linear","symbol":"BTCUSDT","execId":"e","execPrice":"1","execQty":"abc","execType":"Trade","execFee":"0","side":"Buy","execTime":"1"}]})") ==
        "execution.data[0].execQty: not a decimal number 'abc'");
  CHECK(err(R"({"topic":"position","data":[{"category":"linear","symbol":"BTCUSDT","positionIdx":0,"side":"Buy","size":"1","leverage":"12.5","updatedTime":"1"}]})") ==
        "position.data[0].leverage: 12.5 is not a whole leverage we record");
  const auto bad = parse_orders(R"({"retCode":0,"result":{"list":[{"symbol":"BTCUSDT","orderId":"1","orderStatus":"New"}]}})", Market::kUsdm, ctx);
  REQUIRE(!bad.ok());
  CHECK_FALSE(bad.error().refused);
  CHECK(bad.error().message == "orders.result.list[0].cumExecQty: missing");
}

TEST_CASE("bybit position topic: the spot connection of a unified account leaves positions to the linear one") {
  Registry reg;
  PrivateMessage m;
  REQUIRE(parse_private(fixture("ws_account_position.json"), reg.context(Market::kSpot), m).ok());
  CHECK(m.events.empty());
  REQUIRE(m.skipped.size() == 1);
  CHECK(m.skipped[0] == "position.data[0]: category linear belongs to the other market's connection");
}
