#include <doctest/doctest.h>

#include "books.hpp"
#include "sim_fixture.hpp"

using namespace oms;
using namespace oms::sim;
using namespace oms::sim::testing;

namespace {

struct Spot {
  Venue v;
  SymbolIndex s;
  ApiKeyId a, b;
  Outbox out;
  explicit Spot(BookFactory f) : v(Market::kSpot, f) {
    s = v.add_instrument(btcusdt(Market::kSpot));
    a = v.add_account({"ka", d("0.0005"), d("0.001")});
    b = v.add_account({"kb", d("0.0005"), d("0.001")});
    (void)v.deposit(a, "USDT", d("1000"), 0, out);
    (void)v.deposit(b, "BTC", d("10"), 0, out);
    BookSnapshotIn snap;
    snap.bids = {{d("99.50"), d("1")}, {d("99.00"), d("2")}};
    snap.asks = {{d("100.00"), d("1")}, {d("100.01"), d("2")}};
    v.on_snapshot(s, snap, 0, out);
    out.clear();
  }
  BalanceView bal(ApiKeyId acct, const char* asset) {
    for (const auto& x : v.balances(acct)) {
      if (x.asset == asset) return x;
    }
    return {asset, {}, {}};
  }
  std::vector<ExecType> kinds() const {
    std::vector<ExecType> k;
    for (const auto& r : out.reports) k.push_back(r.exec_type);
    return k;
  }
};

}  // namespace

TEST_CASE_TEMPLATE("spot limit buy fills across two levels with taker fees in base and rests the rest", B, SIM_BOOKS) {
  Spot t(B::kMake);
  auto r = t.v.place(limit(t.a, Side::kBuy, "4", "100.01"), 10, t.out);
  REQUIRE(r.ok());
  CHECK(r->status == SimStatus::kPartiallyFilled);
  CHECK(r->executed_qty == d("3"));
  CHECK(r->cum_quote == d("300.02"));
  CHECK(t.kinds() == std::vector{ExecType::kNew, ExecType::kTrade, ExecType::kTrade});
  const auto& t1 = t.out.reports[1];
  CHECK(t1.last_qty == d("1"));
  CHECK(t1.last_price == d("100"));
  CHECK(t1.commission == d("0.001"));
  CHECK(t1.commission_asset == "BTC");
  CHECK(t1.trade_id == 1);
  CHECK_FALSE(t1.maker);
  CHECK(t.out.reports[2].trade_id == 2);
  CHECK(t.out.reports[2].commission == d("0.002"));
  CHECK(t.out.reports[2].cum_quote == d("300.02"));
  // 1000 - 300.02 paid - 100.01 still locked for the resting 1 @ 100.01.
  CHECK(t.bal(t.a, "USDT") == BalanceView{"USDT", d("599.97"), d("100.01")});
  CHECK(t.bal(t.a, "BTC") == BalanceView{"BTC", d("2.997"), d("0")});
  CHECK(r->working);
  REQUIRE(t.out.account_updates.size() == 1);
  CHECK(t.v.top(t.s).bid == PriceQty{d("100.01"), d("1")});
}

TEST_CASE_TEMPLATE("spot IOC remainder expires and unlocks", B, SIM_BOOKS) {
  Spot t(B::kMake);
  auto r = t.v.place(limit(t.a, Side::kBuy, "4", "100.01", SimTif::kIoc), 10, t.out);
  REQUIRE(r.ok());
  CHECK(r->status == SimStatus::kExpired);
  CHECK(t.kinds() == std::vector{ExecType::kNew, ExecType::kTrade, ExecType::kTrade, ExecType::kExpired});
  CHECK(t.out.reports.back().cum_qty == d("3"));
  CHECK(t.bal(t.a, "USDT") == BalanceView{"USDT", d("699.98"), d("0")});
}

TEST_CASE_TEMPLATE("spot FOK is all or nothing", B, SIM_BOOKS) {
  Spot t(B::kMake);
  auto r = t.v.place(limit(t.a, Side::kBuy, "3.001", "100.01", SimTif::kFok), 10, t.out);
  REQUIRE(r.ok());
  CHECK(r->status == SimStatus::kExpired);
  CHECK(t.kinds() == std::vector{ExecType::kNew, ExecType::kExpired});
  CHECK(t.bal(t.a, "USDT") == BalanceView{"USDT", d("1000"), d("0")});
  t.out.clear();
  r = t.v.place(limit(t.a, Side::kBuy, "3", "100.01", SimTif::kFok), 11, t.out);
  REQUIRE(r.ok());
  CHECK(r->status == SimStatus::kFilled);
  CHECK(r->executed_qty == d("3"));
}

TEST_CASE_TEMPLATE("spot LIMIT_MAKER that would cross is rejected -2010, one that rests is NEW", B, SIM_BOOKS) {
  Spot t(B::kMake);
  NewOrder o = limit(t.a, Side::kBuy, "1", "100.00");
  o.type = SimOrderType::kLimitMaker;
  auto r = t.v.place(o, 10, t.out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == VenueError{-2010, "Order would immediately match and take."});
  CHECK(t.out.reports.empty());
  o.price = d("99.99");
  r = t.v.place(o, 11, t.out);
  REQUIRE(r.ok());
  CHECK(r->status == SimStatus::kNew);
  CHECK(r->working);
}

TEST_CASE_TEMPLATE("spot locked balance: lock on entry, release on cancel, -2010 when short", B, SIM_BOOKS) {
  Spot t(B::kMake);
  auto r = t.v.place(limit(t.a, Side::kBuy, "2", "90"), 10, t.out);
  REQUIRE(r.ok());
  CHECK(t.bal(t.a, "USDT") == BalanceView{"USDT", d("820"), d("180")});
  auto big = t.v.place(limit(t.a, Side::kBuy, "10", "90"), 11, t.out);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error() == VenueError{-2010, "Account has insufficient balance for requested action."});
  auto c = t.v.cancel(t.a, t.s, OrderRef{r->order_id, {}}, 12, t.out);
  REQUIRE(c.ok());
  CHECK(c->status == SimStatus::kCanceled);
  CHECK(t.bal(t.a, "USDT") == BalanceView{"USDT", d("1000"), d("0")});
  CHECK(t.out.reports.back().exec_type == ExecType::kCanceled);
}

TEST_CASE_TEMPLATE("cancel of a filled order is -2011 Unknown order sent", B, SIM_BOOKS) {
  Spot t(B::kMake);
  auto r = t.v.place(market(t.a, Side::kBuy, "1"), 10, t.out);
  REQUIRE(r.ok());
  CHECK(r->status == SimStatus::kFilled);
  auto c = t.v.cancel(t.a, t.s, OrderRef{r->order_id, {}}, 11, t.out);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error() == VenueError{-2011, "Unknown order sent."});
  auto q = t.v.query(t.a, t.s, OrderRef{0, r->client_order_id});
  REQUIRE(q.ok());
  CHECK(q->status == SimStatus::kFilled);
}

TEST_CASE_TEMPLATE("spot filters reject instead of rounding", B, SIM_BOOKS) {
  Spot t(B::kMake);
  auto r = t.v.place(limit(t.a, Side::kBuy, "1", "99.001"), 10, t.out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == VenueError{-1013, "Filter failure: PRICE_FILTER"});
  r = t.v.place(limit(t.a, Side::kBuy, "1.0001", "99"), 10, t.out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == VenueError{-1013, "Filter failure: LOT_SIZE"});
}

TEST_CASE_TEMPLATE("spot market buy by quoteOrderQty spends at most the quote", B, SIM_BOOKS) {
  Spot t(B::kMake);
  NewOrder o = market(t.a, Side::kBuy, "0");
  o.quote_order_qty = d("150");
  auto r = t.v.place(o, 10, t.out);
  REQUIRE(r.ok());
  // 1 @ 100.00, then floor(50 / 100.01 to 0.001) = 0.499 @ 100.01.
  CHECK(r->executed_qty == d("1.499"));
  CHECK(r->quantity == d("1.499"));
  CHECK(r->cum_quote == d("149.90499"));
  CHECK(r->status == SimStatus::kFilled);
}

TEST_CASE_TEMPLATE("spot stop-loss-limit sell triggers on the last trade and takes the bid", B, SIM_BOOKS) {
  Spot t(B::kMake);
  NewOrder o = limit(t.b, Side::kSell, "1.5", "99.40");
  o.type = SimOrderType::kStopLossLimit;
  o.stop_price = d("99.50");
  auto r = t.v.place(o, 10, t.out);
  REQUIRE(r.ok());
  CHECK_FALSE(r->working);
  CHECK(t.bal(t.b, "BTC") == BalanceView{"BTC", d("8.5"), d("1.5")});
  t.out.clear();
  t.v.on_trade(t.s, TradePrintIn{d("99.60"), d("0.1"), true}, 20, t.out);
  CHECK(t.out.reports.empty());
  t.v.on_trade(t.s, TradePrintIn{d("99.50"), d("0.1"), true}, 21, t.out);
  REQUIRE(t.out.reports.size() == 1);
  CHECK(t.out.reports[0].exec_type == ExecType::kTrade);
  CHECK(t.out.reports[0].last_price == d("99.5"));
  CHECK(t.out.reports[0].last_qty == d("1"));
  auto q = t.v.query(t.b, t.s, OrderRef{r->order_id, {}});
  CHECK(q->status == SimStatus::kPartiallyFilled);
  CHECK(q->working);
  // Stops that would trigger at once are refused.
  o.stop_price = d("99.60");
  auto bad = t.v.place(o, 22, t.out);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error() == VenueError{-2010, "Stop price would trigger immediately."});
}

TEST_CASE_TEMPLATE("resting bid fills only after the recorded queue ahead of it has traded", B, SIM_BOOKS) {
  Spot t(B::kMake);
  auto r = t.v.place(limit(t.a, Side::kBuy, "1", "99.50"), 10, t.out);  // 1 BTC of background ahead
  REQUIRE(r.ok());
  t.out.clear();
  t.v.on_trade(t.s, TradePrintIn{d("99.50"), d("0.6"), true}, 11, t.out);
  CHECK(t.out.reports.empty());
  t.v.on_trade(t.s, TradePrintIn{d("99.50"), d("0.6"), true}, 12, t.out);
  REQUIRE(t.out.reports.size() == 1);
  CHECK(t.out.reports[0].last_qty == d("0.2"));
  CHECK(t.out.reports[0].maker);
  CHECK(t.out.reports[0].commission == d("0.0001"));
  t.v.on_trade(t.s, TradePrintIn{d("99.40"), d("5"), true}, 13, t.out);  // prints through
  REQUIRE(t.out.reports.size() == 2);
  CHECK(t.out.reports[1].last_qty == d("0.8"));
  CHECK(t.out.reports[1].status == SimStatus::kFilled);
}

TEST_CASE_TEMPLATE("a background ask that falls through a resting bid trades with it: the bid fills as maker at its price, the book is never crossed", B, SIM_BOOKS) {
  Spot t(B::kMake);
  // Two resting bids of account a above the background's best bid (99.50).
  REQUIRE(t.v.place(limit(t.a, Side::kBuy, "0.5", "99.80"), 10, t.out).ok());
  REQUIRE(t.v.place(limit(t.a, Side::kBuy, "0.4", "99.70"), 11, t.out).ok());
  t.out.clear();
  // The recorded asks fall: 99.60 x 0.3 and 99.75 x 1 appear (100.00 is gone).
  BookDeltaIn dlt;
  dlt.asks = {{d("99.60"), d("0.3")}, {d("99.75"), d("1")}, {d("100.00"), d("0")}};
  t.v.on_delta(t.s, dlt, 12, t.out);
  // 99.80 takes 0.3 at 99.60's liquidity and 0.2 at 99.75's, both at its own price 99.80;
  // 99.70 is not crossed by 99.75 and stays.
  std::vector<ExecutionReport> trades;
  for (const auto& r : t.out.reports) {
    if (r.exec_type == ExecType::kTrade) trades.push_back(r);
  }
  REQUIRE(trades.size() == 2);
  CHECK(trades[0].last_price == d("99.80"));
  CHECK(trades[0].last_qty == d("0.3"));
  CHECK(trades[0].maker);
  CHECK(trades[1].last_price == d("99.80"));
  CHECK(trades[1].last_qty == d("0.2"));
  CHECK(trades[1].status == SimStatus::kFilled);
  const BookTop top = t.v.top(t.s);
  REQUIRE(top.bid);
  REQUIRE(top.ask);
  CHECK(top.bid->price == d("99.70"));
  CHECK(top.ask->price == d("99.75"));
  CHECK(top.ask->qty == d("0.8"));  // 0.2 of the recorded 1 was taken by our bid
  CHECK(t.bal(t.a, "BTC").free == d("0.49975"));  // 0.5 less the maker fee 0.05 % in base
  // The next diff brings the ask down to 99.70 for 2: the second bid fills in full.
  t.out.clear();
  BookDeltaIn dlt2;
  dlt2.asks = {{d("99.70"), d("2")}};
  t.v.on_delta(t.s, dlt2, 13, t.out);
  REQUIRE(t.out.reports.size() >= 1);
  CHECK(t.out.reports[0].last_qty == d("0.4"));
  CHECK(t.out.reports[0].status == SimStatus::kFilled);
  CHECK(t.v.top(t.s).ask->price == d("99.70"));
  CHECK(t.v.top(t.s).ask->qty == d("1.6"));
  CHECK(t.v.top(t.s).bid->price == d("99.50"));
}

TEST_CASE_TEMPLATE("self-trade prevention expires the resting order of the same account", B, SIM_BOOKS) {
  Spot t(B::kMake);
  (void)t.v.deposit(t.a, "BTC", d("1"), 0, t.out);
  auto maker = t.v.place(limit(t.a, Side::kSell, "1", "99.90"), 10, t.out);
  REQUIRE(maker.ok());
  t.out.clear();
  auto taker = t.v.place(limit(t.a, Side::kBuy, "1", "99.90"), 11, t.out);
  REQUIRE(taker.ok());
  CHECK(t.kinds() == std::vector{ExecType::kNew, ExecType::kExpired});
  CHECK(t.out.reports[1].order_id == maker->order_id);
  CHECK(t.out.reports[1].status == SimStatus::kExpiredInMatch);
  CHECK(taker->status == SimStatus::kNew);
}

TEST_CASE_TEMPLATE("self-trade prevention by the taker's mode: EXPIRE_TAKER keeps the resting order, EXPIRE_BOTH expires both, NONE trades", B, SIM_BOOKS) {
  {
    Spot t(B::kMake);
    (void)t.v.deposit(t.a, "BTC", d("1"), 0, t.out);
    auto maker = t.v.place(limit(t.a, Side::kSell, "1", "99.90"), 10, t.out);
    REQUIRE(maker.ok());
    t.out.clear();
    NewOrder o = limit(t.a, Side::kBuy, "1", "99.90");
    o.stp = SimStp::kExpireTaker;
    auto taker = t.v.place(o, 11, t.out);
    REQUIRE(taker.ok());
    CHECK(t.kinds() == std::vector{ExecType::kNew, ExecType::kExpired});
    CHECK(t.out.reports[1].order_id == taker->order_id);
    CHECK(t.out.reports[1].status == SimStatus::kExpiredInMatch);
    CHECK(t.out.reports[1].stp == SimStp::kExpireTaker);
    CHECK(t.v.query(t.a, t.s, OrderRef{maker->order_id, {}})->status == SimStatus::kNew);  // still resting
  }
  {
    Spot t(B::kMake);
    (void)t.v.deposit(t.a, "BTC", d("1"), 0, t.out);
    auto maker = t.v.place(limit(t.a, Side::kSell, "1", "99.90"), 10, t.out);
    REQUIRE(maker.ok());
    t.out.clear();
    NewOrder o = limit(t.a, Side::kBuy, "1", "99.90");
    o.stp = SimStp::kExpireBoth;
    REQUIRE(t.v.place(o, 11, t.out).ok());
    CHECK(t.kinds() == std::vector{ExecType::kNew, ExecType::kExpired, ExecType::kExpired});
    CHECK(t.out.reports[1].order_id == maker->order_id);
  }
  {
    Spot t(B::kMake);
    (void)t.v.deposit(t.a, "BTC", d("1"), 0, t.out);
    REQUIRE(t.v.place(limit(t.a, Side::kSell, "1", "99.90"), 10, t.out).ok());
    t.out.clear();
    NewOrder o = limit(t.a, Side::kBuy, "1", "99.90");
    o.stp = SimStp::kNone;
    REQUIRE(t.v.place(o, 11, t.out).ok());
    CHECK(t.kinds() == std::vector{ExecType::kNew, ExecType::kTrade, ExecType::kTrade});  // it trades with itself
  }
}

TEST_CASE_TEMPLATE("spot cancel-replace cancels then places", B, SIM_BOOKS) {
  Spot t(B::kMake);
  auto r = t.v.place(limit(t.a, Side::kBuy, "1", "90"), 10, t.out);
  REQUIRE(r.ok());
  auto cr = t.v.cancel_replace(OrderRef{r->order_id, {}}, limit(t.a, Side::kBuy, "2", "91"), 11, t.out);
  REQUIRE(cr.ok());
  CHECK(cr->canceled.status == SimStatus::kCanceled);
  CHECK(cr->placed.order_id == r->order_id + 1);
  CHECK(t.bal(t.a, "USDT") == BalanceView{"USDT", d("818"), d("182")});
  auto again = t.v.cancel_replace(OrderRef{r->order_id, {}}, limit(t.a, Side::kBuy, "2", "91"), 12, t.out);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == -2022);
}

TEST_CASE_TEMPLATE("a triggered stop-market buy without the quote to pay expires, balances untouched", B, SIM_BOOKS) {
  Spot t(B::kMake);
  NewOrder o = market(t.a, Side::kBuy, "20");  // 20 BTC at ~100 > 1000 USDT
  o.type = SimOrderType::kStopLoss;
  o.stop_price = d("100.50");
  t.v.on_snapshot(t.s, BookSnapshotIn{{}, {{d("100.00"), d("100")}}}, 0, t.out);
  auto r = t.v.place(o, 10, t.out);
  REQUIRE(r.ok());
  t.out.clear();
  t.v.on_trade(t.s, TradePrintIn{d("100.50"), d("1"), false}, 11, t.out);
  REQUIRE(t.out.reports.size() == 1);
  CHECK(t.out.reports[0].exec_type == ExecType::kExpired);
  CHECK(t.out.reports[0].expiry_reason == "INSUFFICIENT_BALANCE");
  CHECK(t.bal(t.a, "USDT") == BalanceView{"USDT", d("1000"), d("0")});
}

TEST_CASE_TEMPLATE("client against client: one trade id, maker and taker reports with their fees, both accounts updated", B, SIM_BOOKS) {
  Spot t(B::kMake);
  auto maker = t.v.place(limit(t.b, Side::kSell, "1", "99.90"), 10, t.out);
  REQUIRE(maker.ok());
  REQUIRE(t.out.account_updates.size() == 1);  // the lock of 1 BTC
  CHECK(t.out.account_updates[0].balances == std::vector<BalanceView>{{"BTC", d("9"), d("1")}});
  t.out.clear();
  auto taker = t.v.place(limit(t.a, Side::kBuy, "1", "99.95"), 11, t.out);
  REQUIRE(taker.ok());
  CHECK(taker->status == SimStatus::kFilled);
  REQUIRE(t.out.reports.size() == 3);
  const ExecutionReport& m = t.out.reports[1];
  const ExecutionReport& k = t.out.reports[2];
  CHECK(m.order_id == maker->order_id);
  CHECK(m.maker);
  CHECK(m.status == SimStatus::kFilled);
  CHECK(m.commission == d("0.04995"));
  CHECK(m.commission_asset == "USDT");
  CHECK_FALSE(k.maker);
  CHECK(k.last_price == d("99.90"));
  CHECK(k.commission == d("0.001"));
  CHECK(m.trade_id == k.trade_id);
  REQUIRE(t.out.account_updates.size() == 2);  // in the order the accounts were touched
  CHECK(t.out.account_updates[0].account == t.a);
  CHECK(t.out.account_updates[0].balances ==
        std::vector<BalanceView>{{"BTC", d("0.999"), d("0")}, {"USDT", d("900.1"), d("0")}});
  CHECK(t.out.account_updates[1].account == t.b);
  CHECK(t.out.account_updates[1].balances ==
        std::vector<BalanceView>{{"BTC", d("9"), d("0")}, {"USDT", d("99.85005"), d("0")}});
}

TEST_CASE_TEMPLATE(
    "depth merges background and client levels best first, summed at one price, cut at the count",
    B, SIM_BOOKS) {
  Spot t(B::kMake);  // background bids 99.50 x1, 99.00 x2; asks 100.00 x1, 100.01 x2
  for (const char* px : {"99.50", "99.20", "98.00", "99.60"})
    REQUIRE(t.v.place(limit(t.a, Side::kBuy, "1", px), 10, t.out).ok());
  using Levels = std::vector<PriceQty>;
  CHECK(t.v.depth(t.s, Side::kBuy, 10) == Levels{{d("99.60"), d("1")},
                                                 {d("99.50"), d("2")},
                                                 {d("99.20"), d("1")},
                                                 {d("99.00"), d("2")},
                                                 {d("98.00"), d("1")}});
  CHECK(t.v.depth(t.s, Side::kBuy, 3) ==
        Levels{{d("99.60"), d("1")}, {d("99.50"), d("2")}, {d("99.20"), d("1")}});
  CHECK(t.v.depth(t.s, Side::kSell, 10) == Levels{{d("100.00"), d("1")}, {d("100.01"), d("2")}});
  // A sell takes our 99.60, then the background at 99.50 (ahead of our order there): 99.50
  // is left with our quantity only.
  REQUIRE(t.v.place(limit(t.b, Side::kSell, "2", "99.50", SimTif::kIoc), 11, t.out).ok());
  CHECK(t.v.depth(t.s, Side::kBuy, 10) == Levels{{d("99.50"), d("1")},
                                                 {d("99.20"), d("1")},
                                                 {d("99.00"), d("2")},
                                                 {d("98.00"), d("1")}});
  CHECK(t.v.depth(t.s, Side::kBuy, 0).empty());
}
