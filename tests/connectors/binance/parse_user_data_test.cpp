// User-data and REST parsing: exact values of representative fixtures, the events they map
// to, and the exact error for bad input.
#include <doctest/doctest.h>

#include <string>

#include "oms/connectors/binance/rest_response.hpp"
#include "oms/connectors/binance/user_data.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::binance;

namespace {
Decimal d(const char* s) { return *Decimal::parse(s); }

std::string fixture(const char* rel) {
  return testkit::read_file(testkit::shared_data() / "nautilus" / "binance" / rel);
}

std::string user_error(std::string_view json) {
  JsonParser p;
  UserDataMessage m;
  auto r = parse_user_data(p, json, m);
  return r.ok() ? std::string("ok") : r.error().message;
}
}  // namespace

TEST_CASE("spot executionReport TRADE: every field, then FillReceived + OrderFilled") {
  JsonParser p;
  UserDataMessage m;
  auto r = parse_user_data(p, fixture("crate_test_data/spot/user_data_json/execution_report_trade.json"), m);
  REQUIRE(r.ok());
  CHECK(*r == UserDataKind::kExecutionReport);
  const OrderUpdate& o = m.order;
  CHECK_FALSE(o.futures);
  CHECK(o.symbol.view() == "ETHUSDT");
  CHECK(o.client_order_id.view() == "x-TD67BGP9-T0000000000000");
  CHECK(o.side == Side::kBuy);
  CHECK(o.order_type.view() == "LIMIT");
  CHECK(o.time_in_force.view() == "GTC");
  CHECK(o.execution_type == ExecutionType::kTrade);
  CHECK(o.status == OrderStatus::kFilled);
  CHECK(o.order_id == 12345678u);
  CHECK(o.trade_id == 98765432);
  CHECK(o.quantity == d("1"));
  CHECK(o.price == d("2500"));
  CHECK(o.last_qty == d("1"));
  CHECK(o.cum_qty == d("1"));
  CHECK(o.last_price == d("2500"));
  CHECK(o.commission == d("0.001"));
  CHECK(o.commission_asset.view() == "ETH");
  CHECK(o.cum_quote == d("2500"));
  CHECK(o.is_maker);
  CHECK(o.event_time == 1709654401000u);

  std::vector<EventPayload> ev;
  REQUIRE(to_events(o, AccountId{1}, InstrumentId{9}, ev).ok());
  REQUIRE(ev.size() == 2);
  const auto& fill = std::get<FillReceived>(ev[0]);
  CHECK(fill.trade_id.view() == "98765432");
  CHECK(fill.price == d("2500"));
  CHECK(fill.quantity == d("1"));
  CHECK(fill.fee == d("0.001"));
  CHECK(fill.fee_asset.view() == "ETH");
  CHECK(fill.liquidity == Liquidity::kMaker);
  CHECK(std::get<OrderFilled>(ev[1]) ==
        OrderFilled{AccountId{1}, InstrumentId{9}, "x-TD67BGP9-T0000000000000", d("1"), d("2500")});
}

TEST_CASE("spot executionReport in the subscriptionId/event wrapper, NEW -> OrderAccepted") {
  JsonParser p;
  UserDataMessage m;
  auto r = parse_user_data(p, fixture("crate_test_data/spot/user_data_json/execution_report_wrapped.json"), m);
  REQUIRE(r.ok());
  CHECK(*r == UserDataKind::kExecutionReport);
  std::vector<EventPayload> ev;
  REQUIRE(to_events(m.order, AccountId{1}, InstrumentId{2}, ev).ok());
  REQUIRE(ev.size() >= 1);
}

TEST_CASE("futures ORDER_TRADE_UPDATE partial fill: fields and OrderPartiallyFilled") {
  JsonParser p;
  UserDataMessage m;
  auto r = parse_user_data(p, fixture("crate_test_data/futures/user_data_json/order_update_trade.json"), m);
  REQUIRE(r.ok());
  CHECK(*r == UserDataKind::kOrderTradeUpdate);
  const OrderUpdate& o = m.order;
  CHECK(o.futures);
  CHECK(o.symbol.view() == "BTCUSDT");
  CHECK(o.client_order_id.view() == "TEST");
  CHECK(o.status == OrderStatus::kPartiallyFilled);
  CHECK(o.quantity == d("0.001"));
  CHECK(o.price == d("7100.5"));
  CHECK(o.avg_price == d("7100.5"));
  CHECK(o.realized_pnl == d("12.34"));
  CHECK(o.commission == d("0.01"));
  CHECK(o.commission_asset.view() == "USDT");
  CHECK(o.position_side.view() == "LONG");
  CHECK(o.trade_id == 12345678);
  CHECK(o.event_time == 1568879465651u);
  std::vector<EventPayload> ev;
  REQUIRE(to_events(o, AccountId{1}, InstrumentId{2}, ev).ok());
  REQUIRE(ev.size() == 2);
  CHECK(std::get<OrderPartiallyFilled>(ev[1]) ==
        OrderPartiallyFilled{AccountId{1}, InstrumentId{2}, "TEST", d("0.001"), d("0"), d("7100.5")});
}

TEST_CASE("ACCOUNT_UPDATE: balances and hedge-mode positions, mapped through the lookup") {
  JsonParser p;
  UserDataMessage m;
  auto r = parse_user_data(p, fixture("crate_test_data/futures/user_data_json/account_update.json"), m);
  REQUIRE(r.ok());
  const AccountUpdate& u = m.account_update;
  CHECK(u.reason.view() == "ORDER");
  REQUIRE(u.balances.size() == 1);
  CHECK(u.balances[0].wallet_balance == d("122624.12345678"));
  CHECK(u.balances[0].cross_wallet_balance == d("100.12345678"));
  REQUIRE(u.positions.size() == 3);
  CHECK(u.positions[2].amount == d("-10"));
  CHECK(u.positions[2].position_side == PositionSide::kShort);
  CHECK(u.positions[2].margin_type == MarginType::kIsolated);
  CHECK(u.positions[2].realized_pnl == d("-45.04"));
  CHECK(u.positions[1].breakeven_price == d("6563.559"));

  std::vector<EventPayload> ev;
  const InstrumentLookup lookup = [](std::string_view s) -> std::optional<InstrumentId> {
    if (s == "BTCUSDT") return InstrumentId{4};
    return std::nullopt;
  };
  REQUIRE(to_account_events(u, AccountId{2}, Market::kUsdm, lookup, ev).ok());
  REQUIRE(ev.size() == 4);
  CHECK(std::get<BalanceUpdated>(ev[0]).free == d("122624.12345678"));
  const auto& pos = std::get<PositionUpdated>(ev[2]);
  CHECK(pos.instrument == InstrumentId{4});
  CHECK(pos.size == d("20"));
  CHECK(pos.entry_price == d("6563.6"));
  CHECK(pos.position_side == PositionSide::kLong);

  // An unknown symbol changes nothing.
  ev.clear();
  const InstrumentLookup none = [](std::string_view) { return std::optional<InstrumentId>{}; };
  auto bad = to_account_events(u, AccountId{2}, Market::kUsdm, none, ev);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "ACCOUNT_UPDATE.a.P.s: unknown symbol 'BTCUSDT'");
  CHECK(ev.empty());
}

TEST_CASE("balanceUpdate, outboundAccountPosition, listStatus and TRADE_LITE values") {
  JsonParser p;
  UserDataMessage m;
  REQUIRE(parse_user_data(p, fixture("crate_test_data/spot/user_data_json/balance_update.json"), m).ok());
  CHECK(m.kind == UserDataKind::kBalanceUpdate);
  CHECK(!m.balance_delta.asset.empty());

  REQUIRE(parse_user_data(p, fixture("crate_test_data/spot/user_data_json/account_position.json"), m).ok());
  CHECK(m.kind == UserDataKind::kAccountPosition);
  CHECK(!m.account_position.balances.empty());

  REQUIRE(parse_user_data(p, fixture("crate_test_data/spot/user_data_json/list_status_wrapped.json"), m).ok());
  CHECK(m.kind == UserDataKind::kListStatus);
  CHECK(m.list_status.symbol.view() == "ETHBTC");
  CHECK(m.list_status.order_list_id == 2);
  CHECK(m.list_status.list_order_status.view() == "EXECUTING");
  REQUIRE(m.list_status.orders.size() == 2);
  CHECK(m.list_status.orders[1].order_id == 18u);
  CHECK(m.list_status.orders[1].client_order_id.view() == "bfYPSQdLoqAJeNrOr9adzq");

  REQUIRE(parse_user_data(p, fixture("crate_test_data/futures/user_data_json/trade_lite.json"), m).ok());
  CHECK(m.kind == UserDataKind::kTradeLite);
  CHECK(m.trade_lite.last_price == d("7100.5"));
  CHECK(m.trade_lite.trade_id == 12345678);
}

TEST_CASE("listenKeyExpired and MARGIN_CALL") {
  JsonParser p;
  UserDataMessage m;
  REQUIRE(parse_user_data(p, R"({"e":"listenKeyExpired","E":1576653824250,"listenKey":"OfYGbUzi3PraNagEkdKuFwUHn48brFsItTdsuiIXrucEvD0rhRXZ7I6URWfE8YE8"})", m).ok());
  CHECK(m.kind == UserDataKind::kListenKeyExpired);
  CHECK(m.listen_key_expired.event_time == 1576653824250u);
  REQUIRE(parse_user_data(p, R"({"e":"MARGIN_CALL","E":1587727187525,"cw":"3.16812045","p":[{"s":"ETHUSDT","ps":"LONG","pa":"1.327","mt":"CROSSED","iw":"0","mp":"187.17127","up":"-1.166074","mm":"1.614445"}]})", m).ok());
  CHECK(m.kind == UserDataKind::kMarginCall);
  REQUIRE(m.margin_call.positions.size() == 1);
  CHECK(m.margin_call.positions[0].maintenance_margin == d("1.614445"));
  CHECK(m.margin_call.positions[0].position_side == PositionSide::kLong);
}

TEST_CASE("bad user data gives the exact error naming the kind and the field") {
  CHECK(user_error(R"({"e":"executionReport","E":1,"s":"X","c":"a","S":"BUY","o":"LIMIT","q":"1","p":"1","x":"NEW","X":"NEW","i":1,"l":"0","z":"0"})") ==
        "executionReport.L: missing");
  CHECK(user_error(R"({"e":"executionReport","E":1,"s":"X","c":"a","S":"UP","o":"LIMIT"})") ==
        "executionReport.S: expected BUY or SELL, got 'UP'");
  CHECK(user_error(R"({"e":"ORDER_TRADE_UPDATE","E":1,"T":1,"o":{"s":"X","X":"WEIRD"}})") ==
        "ORDER_TRADE_UPDATE.o.X: unknown order status 'WEIRD'");
  CHECK(user_error(R"({"e":"ORDER_TRADE_UPDATE","E":1,"T":1,"o":{"s":"X"}})") ==
        "ORDER_TRADE_UPDATE.o.c: missing");
  CHECK(user_error(R"({"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"ORDER","B":[{"a":"USDT","wb":1.5e400}],"P":[]}})").find("ACCOUNT_UPDATE.a.B[0].wb") == 0);
  CHECK(user_error(R"({"e":"balanceUpdate","E":1,"a":"BTC"})") == "balanceUpdate.d: missing");
  CHECK(user_error(R"({"subscriptionId":0})") == "user data.e: missing");
  // Found by the fuzz driver: a malformed optional value threw from simdjson's is_null().
  CHECK(user_error(R"({"e":"executionReport","N":nul})").find("executionReport.N: malformed JSON") == 0);
  CHECK(user_error(R"({"e":"executionReport","sp":nulx})") != "ok");
  CHECK(user_error(R"({"e":5})") == "user data.e: expected a string");
  const std::string full = fixture("crate_test_data/spot/user_data_json/execution_report_trade.json");
  for (std::size_t n = 0; n + 1 < full.size(); ++n) {
    const auto cut = full.substr(0, n);
    CAPTURE(cut);
    CHECK(user_error(cut) != "ok");
  }
}

TEST_CASE("REST: error body, FULL order response with fills, futures order, balances") {
  JsonParser p;
  auto e = parse_error_body(p, R"({"code":-2010,"msg":"Account has insufficient balance for requested action."})");
  REQUIRE(e.ok());
  CHECK(e->code == -2010);
  CHECK(e->msg == "Account has insufficient balance for requested action.");
  CHECK(parse_error_body(p, R"({"msg":"x"})").error().message == "error body.code: missing");

  OrderInfo o;
  REQUIRE(parse_order(p, fixture("crate_test_data/spot/http_json/new_order_full_response.json"), o).ok());
  CHECK(o.symbol.view() == "BTCUSDT");
  CHECK(o.order_id == 28u);
  CHECK(o.status == OrderStatus::kFilled);
  CHECK(o.executed_qty == d("10"));
  CHECK(o.side == Side::kSell);
  REQUIRE(o.fills.size() == 5);
  CHECK(o.fills[1] == OrderFill{d("3999"), d("5"), d("19.995"), "USDT", 57});

  REQUIRE(parse_order(p, fixture("crate_test_data/futures/http_json/order_response.json"), o).ok());
  CHECK(o.client_order_id.view() == "testOrder123");
  CHECK(o.status == OrderStatus::kAccepted);
  CHECK(o.orig_qty == d("0.001"));
  CHECK(o.position_side.view() == "BOTH");
  CHECK(parse_order(p, R"({"code":-2010,"msg":"x"})", o).error().message ==
        "order response.code: an error body (code -2010), not an order");

  std::vector<PositionRisk> pos;
  REQUIRE(parse_position_risk(p, fixture("crate_test_data/futures/http_json/position_risk.json"), pos).ok());
  REQUIRE(pos.size() == 1);
  CHECK(pos[0].leverage == 20);
  CHECK(pos[0].position_amt == d("0.001"));
  CHECK(pos[0].liquidation_price == d("45000"));

  std::vector<FuturesAssetBalance> fb;
  REQUIRE(parse_futures_balances(p, fixture("crate_test_data/futures/http_json/balance.json"), fb).ok());
  REQUIRE(fb.size() == 1);
  CHECK(fb[0].available_balance == d("122.12345678"));

  std::vector<AccountTrade> trades;
  REQUIRE(parse_account_trades(p, fixture("integration_resources/http_responses/http_futures_account_trades.json"), trades).ok());
  REQUIRE(trades.size() == 2);
  CHECK(trades[1].realized_pnl == d("-0.00325"));
  CHECK(trades[1].side == Side::kBuy);
  CHECK(parse_account_trades(p, R"([{"symbol":"X","id":1,"orderId":2,"price":"1","qty":"1"}])", trades).error().message ==
        "myTrades.[0].isBuyer: missing");
}

TEST_CASE("commission: spot account/commission sums standard, special and tax; USD-M commissionRate; a missing part named") {
  JsonParser p;
  CommissionRates c;
  // Binance's documented example (GET /api/v3/account/commission).
  REQUIRE(parse_spot_commission(p, R"({"symbol":"BTCUSDT",
      "standardCommission":{"maker":"0.00000010","taker":"0.00000020","buyer":"0.00000030","seller":"0.00000040"},
      "specialCommission":{"maker":"0.01000000","taker":"0.02000000","buyer":"0.03000000","seller":"0.04000000"},
      "taxCommission":{"maker":"0.00000112","taker":"0.00000114","buyer":"0.00000118","seller":"0.00000116"},
      "discount":{"enabledForAccount":true,"enabledForSymbol":true,"discountAsset":"BNB","discount":"0.75000000"}})", c).ok());
  CHECK(c.maker == Decimal::parse("0.01000122").value());
  CHECK(c.taker == Decimal::parse("0.02000134").value());
  // No special rate: standard + tax.
  REQUIRE(parse_spot_commission(p, R"({"symbol":"BTCUSDT","standardCommission":{"maker":"0.001","taker":"0.001"},
      "taxCommission":{"maker":"0","taker":"0"}})", c).ok());
  CHECK(c.maker == Decimal::parse("0.001").value());
  const auto missing = parse_spot_commission(p, R"({"symbol":"BTCUSDT","taxCommission":{"maker":"0","taker":"0"}})", c);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("standardCommission") != std::string::npos);
  const auto no_taker = parse_spot_commission(p, R"({"standardCommission":{"maker":"0.001"}})", c);
  REQUIRE_FALSE(no_taker.ok());
  CHECK(no_taker.error().message.find("standardCommission.taker") != std::string::npos);
  REQUIRE(parse_usdm_commission_rate(p, R"({"symbol":"BTCUSDT","makerCommissionRate":"0.0002","takerCommissionRate":"0.0004","rpiCommissionRate":"0.00005"})", c).ok());
  CHECK(c.maker == Decimal::parse("0.0002").value());
  CHECK(c.taker == Decimal::parse("0.0004").value());
  CHECK_FALSE(parse_usdm_commission_rate(p, R"({"symbol":"BTCUSDT","makerCommissionRate":"0.0002"})", c).ok());
  CHECK_FALSE(parse_usdm_commission_rate(p, R"({"makerCommissionRate":"x","takerCommissionRate":"0.0004"})", c).ok());
}
