#include <doctest/doctest.h>

#include "books.hpp"
#include "sim_fixture.hpp"

using namespace oms;
using namespace oms::sim;
using namespace oms::sim::testing;

namespace {

struct Futures {
  Venue v;
  SymbolIndex s;
  ApiKeyId a, b, c;
  Outbox out;
  explicit Futures(BookFactory f) : v(Market::kUsdm, f) {
    s = v.add_instrument(btcusdt(Market::kUsdm));
    a = v.add_account({"ka", d("0.0002"), d("0.0004")});
    b = v.add_account({"kb", d("0.0002"), d("0.0004")});
    c = v.add_account({"kc", d("0.0002"), d("0.0004")});
    for (ApiKeyId k : {a, b, c}) (void)v.deposit(k, "USDT", d("10000"), 0, out);
    book({}, {{d("61837.63"), d("0.003")}, {d("61837.64"), d("0.002")}, {d("61900"), d("1")}});
    out.clear();
  }
  void book(std::vector<PriceQty> bids, std::vector<PriceQty> asks) {
    BookSnapshotIn snap;
    snap.bids = std::move(bids);
    snap.asks = std::move(asks);
    v.on_snapshot(s, snap, 0, out);
  }
  NewOrder with_symbol(NewOrder o) {
    o.symbol = s;
    return o;
  }
};

}  // namespace

TEST_CASE_TEMPLATE("futures position flip: weighted entry, realized PnL and fees exact to 1e-8", B, SIM_BOOKS) {
  Futures t(B::kMake);
  auto r = t.v.place(market(t.a, Side::kBuy, "0.005"), 10, t.out);
  REQUIRE(r.ok());
  CHECK(r->status == SimStatus::kFilled);
  auto p = t.v.position(t.a, t.s);
  CHECK(p.amount == d("0.005"));
  CHECK(p.entry_price == d("61837.634"));
  CHECK(t.out.reports[1].commission == d("0.07420516"));
  CHECK(t.out.reports[1].commission_asset == "USDT");
  CHECK(t.out.reports[2].commission == d("0.04947012"));
  t.book({{d("61900.07"), d("1")}}, {{d("61950"), d("1")}});
  t.out.clear();
  r = t.v.place(market(t.a, Side::kSell, "0.007"), 11, t.out);
  REQUIRE(r.ok());
  REQUIRE(t.out.reports.size() == 2);
  CHECK(t.out.reports[1].realized_profit == d("0.31218"));
  CHECK(t.out.reports[1].commission == d("0.1733202"));
  p = t.v.position(t.a, t.s);
  CHECK(p.amount == d("-0.002"));
  CHECK(p.entry_price == d("61900.07"));
  CHECK(p.realized_pnl == d("0.31218"));
  CHECK(t.v.wallet_balance(t.a) == d("10000.01518452"));
  REQUIRE_FALSE(t.out.account_updates.empty());
  CHECK(t.out.account_updates.back().positions.at(0).amount == d("-0.002"));
}

TEST_CASE_TEMPLATE("reduce-only is rejected -2022 when flat, capped at the position when it reduces", B, SIM_BOOKS) {
  Futures t(B::kMake);
  NewOrder o = market(t.a, Side::kSell, "0.001");
  o.reduce_only = true;
  auto r = t.v.place(o, 10, t.out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == VenueError{-2022, "ReduceOnly Order is rejected."});
  REQUIRE(t.v.place(market(t.a, Side::kBuy, "0.003"), 11, t.out).ok());
  t.book({{d("61800.00"), d("1")}}, {{d("61950"), d("1")}});
  t.out.clear();
  o.quantity = d("0.01");
  r = t.v.place(o, 12, t.out);
  REQUIRE(r.ok());
  CHECK(r->executed_qty == d("0.003"));
  CHECK(r->status == SimStatus::kExpired);
  CHECK(t.v.position(t.a, t.s).amount == d("0"));
  CHECK(t.out.reports[1].realized_profit == d("-0.1128900"));
  // Reduce-only in the same direction as the position is refused too.
  REQUIRE(t.v.place(market(t.a, Side::kBuy, "0.001"), 13, t.out).ok());
  o.side = Side::kBuy;
  r = t.v.place(o, 14, t.out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == -2022);
}

TEST_CASE_TEMPLATE("initial margin = notional / leverage against the available balance", B, SIM_BOOKS) {
  Futures t(B::kMake);
  const ApiKeyId poor = t.v.add_account({"kp", d("0.0002"), d("0.0004")});
  (void)t.v.deposit(poor, "USDT", d("100"), 0, t.out);
  REQUIRE(t.v.set_leverage(poor, t.s, 1).ok());
  auto r = t.v.place(limit(poor, Side::kBuy, "0.01", "61000"), 10, t.out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == VenueError{-2019, "Margin is insufficient."});
  REQUIRE(t.v.set_leverage(poor, t.s, 10).ok());
  r = t.v.place(limit(poor, Side::kBuy, "0.01", "61000"), 11, t.out);
  REQUIRE(r.ok());
  CHECK(t.v.available_balance(poor) == d("39"));
  CHECK(t.v.set_leverage(poor, t.s, 126).error().code == -4028);
  REQUIRE(t.v.cancel(poor, t.s, OrderRef{r->order_id, {}}, 12, t.out).ok());
  CHECK(t.v.available_balance(poor) == d("100"));
}

TEST_CASE_TEMPLATE("futures modify loses priority, even on a quantity decrease (Binance docs)", B, SIM_BOOKS) {
  Futures t(B::kMake);
  t.book({}, {{d("61950"), d("1")}});
  auto first = t.v.place(limit(t.a, Side::kBuy, "0.002", "61000"), 10, t.out);
  auto second = t.v.place(limit(t.b, Side::kBuy, "0.002", "61000"), 11, t.out);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  t.out.clear();
  auto m = t.v.modify(t.a, t.s, OrderRef{first->order_id, {}}, Side::kBuy, d("0.001"), d("61000"), 12, t.out);
  REQUIRE(m.ok());
  REQUIRE(t.out.reports.size() == 1);
  CHECK(t.out.reports[0].exec_type == ExecType::kAmendment);
  CHECK(t.out.reports[0].quantity == d("0.001"));
  t.out.clear();
  auto hit = t.v.place(limit(t.c, Side::kSell, "0.001", "61000", SimTif::kIoc), 13, t.out);
  REQUIRE(hit.ok());
  REQUIRE(t.out.reports.size() == 3);  // NEW, maker TRADE, taker TRADE
  CHECK(t.out.reports[1].order_id == second->order_id);
  CHECK(t.out.reports[1].maker);
  // Rejected by a filter: the order stays as it is.
  auto bad = t.v.modify(t.a, t.s, OrderRef{first->order_id, {}}, Side::kBuy, d("0.001"), d("61000.001"), 14, t.out);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error() == VenueError{-1013, "Filter failure: PRICE_FILTER"});
  // New quantity <= executed quantity: the modification cancels the order.
  auto partial = t.v.modify(t.b, t.s, OrderRef{second->order_id, {}}, Side::kBuy, d("0.001"), d("61000"), 15, t.out);
  REQUIRE(partial.ok());
  CHECK(partial->status == SimStatus::kCanceled);
}

TEST_CASE_TEMPLATE("futures GTX that would cross is NEW then EXPIRED", B, SIM_BOOKS) {
  Futures t(B::kMake);
  auto r = t.v.place(limit(t.a, Side::kBuy, "0.001", "61837.63", SimTif::kGtx), 10, t.out);
  REQUIRE(r.ok());
  CHECK(r->status == SimStatus::kExpired);
  REQUIRE(t.out.reports.size() == 2);
  CHECK(t.out.reports[1].exec_type == ExecType::kExpired);
  CHECK(t.out.reports[1].expiry_reason == "GTX_WOULD_CROSS");
}

TEST_CASE_TEMPLATE("futures STOP_MARKET triggers on the last price", B, SIM_BOOKS) {
  Futures t(B::kMake);
  NewOrder o = market(t.a, Side::kBuy, "0.002");
  o.type = SimOrderType::kStopLoss;
  o.stop_price = d("61837.00");
  t.v.on_trade(t.s, TradePrintIn{d("61830"), d("0.1"), true}, 5, t.out);
  auto r = t.v.place(o, 10, t.out);
  REQUIRE(r.ok());
  t.out.clear();
  t.v.on_trade(t.s, TradePrintIn{d("61837.00"), d("0.1"), false}, 11, t.out);
  REQUIRE(t.out.reports.size() == 1);  // a trigger has no report of its own: one TRADE
  CHECK(t.out.reports[0].exec_type == ExecType::kTrade);
  CHECK(t.out.reports[0].last_price == d("61837.63"));
  CHECK(t.out.reports[0].status == SimStatus::kFilled);
  CHECK(t.v.position(t.a, t.s).amount == d("0.002"));
}

TEST_CASE_TEMPLATE("a resting reduce-only order fills only the position, then expires", B, SIM_BOOKS) {
  Futures t(B::kMake);
  REQUIRE(t.v.place(market(t.a, Side::kBuy, "0.003"), 10, t.out).ok());  // long 0.003
  NewOrder tp = limit(t.a, Side::kSell, "0.010", "62000");
  tp.reduce_only = true;
  auto r = t.v.place(tp, 11, t.out);
  REQUIRE(r.ok());
  CHECK(r->working);
  t.book({}, {});
  t.out.clear();
  auto hit = t.v.place(market(t.b, Side::kBuy, "0.005"), 12, t.out);
  REQUIRE(hit.ok());
  CHECK(hit->executed_qty == d("0.003"));
  const auto q = t.v.query(t.a, t.s, OrderRef{r->order_id, {}});
  CHECK(q->executed_qty == d("0.003"));
  CHECK(q->status == SimStatus::kExpired);
  CHECK(t.v.position(t.a, t.s).amount == d("0"));
  CHECK(t.v.position(t.b, t.s).amount == d("0.003"));
}
