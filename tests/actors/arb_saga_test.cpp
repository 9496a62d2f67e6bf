// ArbSaga: every decision of leg risk pinned value by value -- the ends (closed, missed, hedged,
// unwound, failed, dust), the repair orders (venue, side, quantity, price through the touch,
// market), retries and time limits, timeouts, PnL and slippage, leg latency, and a saga resumed
// from its recorded step deciding as the one that ran on.
#include "oms/cores/arb_saga.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "oms/messages/client_order_id.hpp"

using namespace oms;
using namespace oms::actors;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }
constexpr TimeNs kMs = 1'000'000;
constexpr TimeNs kStart = 1'723'075'200'000'000'000;  // 2024-08-08 00:00 UTC
constexpr std::uint16_t kDesk = 3;
const StrategyId kStrategy(1);

// The buy leg: spot (account 1, instrument 0); the sell leg: USD-M (account 2, instrument 1).
const SagaLeg kBuyLeg{InstrumentId(0), AccountId(1), d("0.01"), d("0.00001"), d("0.00001"), d("5")};
const SagaLeg kSellLeg{InstrumentId(1), AccountId(2), d("0.1"), d("0.001"), d("0.001"), d("100")};

std::string id(AccountId account, std::uint64_t sequence) {
  return format_client_order_id(ClientOrderId{kDesk, account, kStrategy, sequence})->str();
}

SubmitOrder leg(AccountId account, InstrumentId instrument, Side side, const char* price,
                std::uint64_t sequence) {
  SubmitOrder o;
  o.account = account;
  o.strategy = kStrategy;
  o.instrument = instrument;
  (void)o.client_order_id.assign(id(account, sequence));
  o.side = side;
  o.order_type = OrderType::kLimit;
  o.tif = TimeInForce::kIoc;
  o.price = d(price);
  o.quantity = d("0.01");
  return o;
}

// An ended order's figures: qty at one price, a fee in the quote asset.
SagaFill filled(const char* qty, const char* price = "0", const char* fee = "0") {
  SagaFill f;
  f.cum_qty = d(qty);
  f.notional_e18 = static_cast<Int128>(d(qty).raw()) * d(price).raw();
  f.fee_quote = d(fee);
  return f;
}

SagaPolicy policy() {
  SagaPolicy p;
  p.leg_risk = LegRisk::kHedge;
  p.band_rate = d("0.001");  // 10 bp
  p.retries = 1;
  p.order_timeout = 500 * kMs;
  p.time_limit = 2000 * kMs;
  return p;
}

struct Fixture {
  std::uint64_t sequence = 2;  // the legs took 1 and 2
  SagaContext ctx;
  std::vector<QuoteAction> out;
  TimeNs now = kStart;
  ArbSaga saga;
  std::string buy = id(AccountId(1), 1), sell = id(AccountId(2), 2);

  explicit Fixture(SagaPolicy p = policy())
      : saga(1, leg(AccountId(1), InstrumentId(0), Side::kBuy, "61000", 1),
             leg(AccountId(2), InstrumentId(1), Side::kSell, "61100", 2), kBuyLeg, kSellLeg, p,
             kStart) {
    ctx.desk = kDesk;
    ctx.sequence = &sequence;
    ctx.buy_bid = d("60990");
    ctx.buy_ask = d("61001");
    ctx.sell_bid = d("61050");
    ctx.sell_ask = d("61060.5");
  }
  bool end(const std::string& order, SagaFill f) {
    out.clear();
    return saga.on_end(order, f, now, ctx, out);
  }
  bool tick() {
    out.clear();
    return saga.on_tick(now, ctx, out);
  }
  [[nodiscard]] std::string pnl() const {
    return Decimal::from_raw(*exact_e18(saga.step().pnl) / Decimal::kOne)
        .to_string();
  }
};

}  // namespace

TEST_CASE("both legs filled equally: closed with its PnL net of fees and the slippage") {
  Fixture f;
  CHECK(f.saga.step().state == SagaState::kLegsOut);
  CHECK(f.saga.owns(f.buy));
  CHECK(f.saga.owns(f.sell));
  f.saga.on_answer(f.buy, kStart + 2 * kMs);
  CHECK(f.saga.step().legs_acked == 0);
  f.saga.on_answer(f.sell, kStart + 3 * kMs);
  CHECK(f.saga.step().legs_acked == kStart + 3 * kMs);
  REQUIRE(f.end(f.buy, filled("0.01", "61000", "0.0061")));
  CHECK(f.saga.step().state == SagaState::kLegsOut);
  CHECK(f.saga.step().legs_ended == 1);
  CHECK_FALSE(f.saga.owns(f.buy));
  CHECK(f.saga.step().reason.view() == "buy leg ended: 0.01 of 0.01 filled");
  // The sell leg filled 10 below its limit: slippage 10 per unit.
  REQUIRE(f.end(f.sell, filled("0.01", "61090", "0.24436")));
  CHECK(f.out.empty());
  CHECK(f.saga.step().state == SagaState::kClosed);
  CHECK(f.saga.terminal());
  CHECK(f.saga.step().bought == d("0.01"));
  CHECK(f.saga.step().sold == d("0.01"));
  CHECK(f.saga.step().paid.units == d("610"));
  CHECK(f.saga.step().received.units == d("610.9"));
  CHECK(f.saga.step().fees.units == d("0.25046"));
  CHECK(f.saga.step().slippage == d("10"));
  // 610.9 - 610 - 0.25046
  CHECK(f.pnl() == "0.64954");
  CHECK(f.saga.step().reason.view() == "both legs filled equally");
  // An ended saga takes nothing more.
  CHECK_FALSE(f.end(f.sell, filled("0.01", "61090")));
  CHECK_FALSE(f.tick());
}

TEST_CASE("neither leg filled: missed, no order, PnL zero") {
  Fixture f;
  REQUIRE(f.end(f.sell, filled("0")));
  REQUIRE(f.end(f.buy, filled("0")));
  CHECK(f.saga.step().state == SagaState::kMissed);
  CHECK(f.out.empty());
  CHECK(f.pnl() == "0");
  CHECK(f.saga.step().slippage == d("0"));
}

TEST_CASE("a leg rejected: the filled one is hedged on the other venue, IOC through the touch") {
  Fixture f;
  REQUIRE(f.end(f.buy, filled("0.01", "61000")));
  REQUIRE(f.end(f.sell, filled("0")));
  CHECK(f.saga.step().state == SagaState::kHedging);
  REQUIRE(f.out.size() == 1);
  const SubmitOrder& o = f.out[0].order;
  CHECK(f.out[0].kind == QuoteAction::Kind::kPlace);
  CHECK(o.account == AccountId(2));
  CHECK(o.instrument == InstrumentId(1));
  CHECK(o.side == Side::kSell);
  CHECK(o.quantity == d("0.01"));
  CHECK(o.order_type == OrderType::kLimit);
  CHECK(o.tif == TimeInForce::kIoc);
  // 61050 x (1 - 0.001) = 60988.95, down to the 0.1 tick.
  CHECK(o.price == d("60988.9"));
  CHECK(o.strategy == kStrategy);
  CHECK(o.client_order_id.view() == id(AccountId(2), 3));
  CHECK(f.saga.step().repair_order == o.client_order_id);
  CHECK(f.saga.step().attempts == 1);
  CHECK(f.saga.owns(o.client_order_id.view()));
  // It fills: closed, the hedge's price in the PnL.
  REQUIRE(f.end(o.client_order_id.str(), filled("0.01", "61040")));
  CHECK(f.saga.step().state == SagaState::kClosed);
  CHECK(f.saga.step().reason.view() == "hedged");
  CHECK(f.saga.step().repair_order.empty());
  CHECK(f.pnl() == "0.4");
}

TEST_CASE("a partial leg: only the difference is hedged; a second hedge after a miss") {
  Fixture f;
  REQUIRE(f.end(f.sell, filled("0.004", "61100")));
  REQUIRE(f.end(f.buy, filled("0.01", "61000")));
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].order.quantity == d("0.006"));
  CHECK(f.out[0].order.side == Side::kSell);
  const std::string first = f.out[0].order.client_order_id.str();
  f.now += 10 * kMs;
  f.ctx.sell_bid = d("61000");
  REQUIRE(f.end(first, filled("0.002", "61000")));  // part of it
  CHECK(f.saga.step().state == SagaState::kHedging);
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].order.quantity == d("0.004"));
  CHECK(f.out[0].order.price == d("60939"));  // 61000 x 0.999
  CHECK(f.saga.step().attempts == 2);
  REQUIRE(f.end(f.out[0].order.client_order_id.str(), filled("0.004", "60990")));
  CHECK(f.saga.step().state == SagaState::kClosed);
  // sold 0.004 @ 61100 + 0.002 @ 61000 + 0.004 @ 60990 = 610.36; paid 610.
  CHECK(f.pnl() == "0.36");
}

TEST_CASE("hedging gives up after its retries: unwinding on the filled leg's own venue") {
  Fixture f;
  REQUIRE(f.end(f.buy, filled("0.01", "61000")));
  REQUIRE(f.end(f.sell, filled("0")));
  REQUIRE(f.out.size() == 1);
  REQUIRE(f.end(f.out[0].order.client_order_id.str(), filled("0")));  // attempt 1 missed
  REQUIRE(f.out.size() == 1);
  CHECK(f.saga.step().attempts == 2);
  REQUIRE(f.end(f.out[0].order.client_order_id.str(), filled("0")));  // attempt 2 (retry 1) missed
  CHECK(f.saga.step().state == SagaState::kUnwinding);
  CHECK(f.saga.step().attempts == 1);
  CHECK(f.saga.step().reason.view().starts_with("hedging gave up (2 repair orders sent): 0.01 left"));
  REQUIRE(f.out.size() == 1);
  const SubmitOrder& u = f.out[0].order;
  CHECK(u.account == AccountId(1));
  CHECK(u.instrument == InstrumentId(0));
  CHECK(u.side == Side::kSell);
  CHECK(u.quantity == d("0.01"));
  CHECK(u.price == d("60929.01"));  // 60990 x 0.999 = 60929.01
  REQUIRE(f.end(u.client_order_id.str(), filled("0.01", "60950")));
  CHECK(f.saga.step().state == SagaState::kUnwound);
  CHECK(f.pnl() == "-0.5");
}

TEST_CASE("unwinding gives up too: failed, the position left valued at the mid") {
  SagaPolicy p = policy();
  p.retries = 0;
  Fixture f(p);
  REQUIRE(f.end(f.buy, filled("0")));
  REQUIRE(f.end(f.sell, filled("0.01", "61100")));
  // Short 0.01: the hedge buys on the buy leg's venue, 61001 x 1.001 = 61062.001 -> 61062.01.
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].order.side == Side::kBuy);
  CHECK(f.out[0].order.account == AccountId(1));
  CHECK(f.out[0].order.price == d("61062.01"));
  REQUIRE(f.end(f.out[0].order.client_order_id.str(), filled("0")));
  CHECK(f.saga.step().state == SagaState::kUnwinding);
  // The unwind buys back on the sell leg's venue: 61060.5 x 1.001 = 61121.5605 -> 61121.6.
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].order.account == AccountId(2));
  CHECK(f.out[0].order.price == d("61121.6"));
  REQUIRE(f.end(f.out[0].order.client_order_id.str(), filled("0")));
  CHECK(f.saga.step().state == SagaState::kFailed);
  CHECK(f.out.empty());
  // 611 received, short 0.01 at the sell venue's mid 61055.25: 611 - 610.5525.
  CHECK(f.pnl() == "0.4475");
  CHECK(f.saga.step().reason.view() ==
        "unwinding gave up (1 repair orders sent): -0.01 left for an operator; -0.01 left, valued "
        "at the mid 61055.25");
}

TEST_CASE("the unwind policy, and a halted strategy, go straight to unwinding") {
  SagaPolicy p = policy();
  p.leg_risk = LegRisk::kUnwind;
  Fixture f(p);
  REQUIRE(f.end(f.buy, filled("0.01", "61000")));
  REQUIRE(f.end(f.sell, filled("0")));
  CHECK(f.saga.step().state == SagaState::kUnwinding);
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].order.instrument == InstrumentId(0));

  Fixture g;
  g.ctx.unwind_only = true;
  REQUIRE(g.end(g.buy, filled("0.01", "61000")));
  REQUIRE(g.end(g.sell, filled("0")));
  CHECK(g.saga.step().state == SagaState::kUnwinding);
}

TEST_CASE("market repairs need no price; a difference below the lot ends with the dust named") {
  SagaPolicy p = policy();
  p.market = true;
  Fixture f(p);
  f.ctx.sell_bid = Decimal{};  // no book: a market order still goes
  REQUIRE(f.end(f.buy, filled("0.0095", "61000")));
  REQUIRE(f.end(f.sell, filled("0.009", "61100")));
  // 0.0005 left, below the USD-M lot of 0.001: closed with the dust named.
  CHECK(f.saga.step().state == SagaState::kClosed);
  CHECK(f.out.empty());
  CHECK(f.saga.step().reason.view().starts_with("dust of 0.0005 below the lot or minimum left"));

  Fixture m(p);
  m.ctx.sell_bid = Decimal{};
  REQUIRE(m.end(m.buy, filled("0.01", "61000")));
  REQUIRE(m.end(m.sell, filled("0.005", "61100")));
  REQUIRE(m.out.size() == 1);
  CHECK(m.out[0].order.order_type == OrderType::kMarket);
  CHECK(m.out[0].order.price == d("0"));
  CHECK(m.out[0].order.quantity == d("0.005"));
}

TEST_CASE("a difference under the hedge venue's minimum notional is unwound on the other") {
  Fixture f;
  REQUIRE(f.end(f.buy, filled("0.01", "61000")));
  REQUIRE(f.end(f.sell, filled("0.009", "61100")));
  // 0.001 x 61050 = 61.05, under the sell venue's 100: unwound where it was bought.
  CHECK(f.saga.step().state == SagaState::kUnwinding);
  CHECK(f.saga.step().reason.view() ==
        "hedging gave up (0.001 is under the instrument's minimum notional 100): 0.001 left; unwinding");
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].order.instrument == InstrumentId(0));
  CHECK(f.out[0].order.side == Side::kSell);
  CHECK(f.out[0].order.quantity == d("0.001"));
  CHECK(f.out[0].order.price == d("60929.01"));
}

TEST_CASE("timeouts: open legs cancelled once; a repair waiting for a price meets the limit") {
  Fixture f;
  f.now = kStart + 499 * kMs;
  CHECK_FALSE(f.tick());
  CHECK(f.out.empty());
  f.now = kStart + 500 * kMs;
  CHECK_FALSE(f.tick());
  REQUIRE(f.out.size() == 2);
  CHECK(f.out[0].kind == QuoteAction::Kind::kCancel);
  CHECK(f.out[0].cancel.client_order_id.view() == f.buy);
  CHECK(f.out[1].cancel.client_order_id.view() == f.sell);
  CHECK(f.out[1].cancel.account == AccountId(2));
  CHECK_FALSE(f.tick());
  CHECK(f.out.empty());  // asked once
  // The buy leg ended filled; no price to hedge on: the saga waits, then unwinds at the limit.
  f.ctx.sell_bid = Decimal{};
  REQUIRE(f.end(f.buy, filled("0.01", "61000")));
  REQUIRE(f.end(f.sell, filled("0")));
  CHECK(f.saga.step().state == SagaState::kHedging);
  CHECK(f.out.empty());
  CHECK(f.saga.step().reason.view() == "repair waits for a price on its instrument");
  f.now += 1999 * kMs;
  CHECK_FALSE(f.tick());
  f.now += kMs;
  CHECK(f.tick());
  CHECK(f.saga.step().state == SagaState::kUnwinding);
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].order.instrument == InstrumentId(0));
  // The unwind order rests past the order timeout: cancelled.
  f.now += 500 * kMs;
  CHECK_FALSE(f.tick());
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0].kind == QuoteAction::Kind::kCancel);
  CHECK(f.out[0].cancel.instrument == InstrumentId(0));
}

TEST_CASE("a saga resumed from its recorded step decides as the one that ran on") {
  Fixture ran;
  REQUIRE(ran.end(ran.buy, filled("0.01", "61000", "0.0061")));
  REQUIRE(ran.end(ran.sell, filled("0.004", "61100")));
  REQUIRE(ran.out.size() == 1);
  const ArbSagaStep recorded = ran.saga.step();
  const std::string repair = ran.out[0].order.client_order_id.str();

  ArbSaga resumed(recorded, kBuyLeg, kSellLeg, policy());
  CHECK(resumed.step() == recorded);
  CHECK(resumed.owns(repair));
  CHECK_FALSE(resumed.owns(ran.buy));
  std::uint64_t sequence = ran.sequence;
  SagaContext ctx = ran.ctx;
  ctx.sequence = &sequence;
  std::vector<QuoteAction> out;
  REQUIRE(resumed.on_end(repair, filled("0"), ran.now, ctx, out));
  REQUIRE(ran.end(repair, filled("0")));
  CHECK(resumed.step() == ran.saga.step());
  REQUIRE(out.size() == 1);
  CHECK(out[0].order == ran.out[0].order);
}

TEST_CASE("exact amounts split and join without loss, either sign") {
  for (const Int128 v : {Int128{0}, Int128{1}, Int128{-1}, Int128{123'456'789'012'345'678},
                         -Int128{987'654'321'987'654'321}}) {
    ExactAmount a;
    REQUIRE(to_exact(v, a));
    CHECK((exact_e18(a) == v));
  }
  // Every Int128 splits and joins (units at 1e-9 hold any of them); a decoded amount whose units
  // leave 128 bits once scaled is refused.
  const Int128 max = static_cast<Int128>(~UInt128{0} >> 1);
  ExactAmount a;
  REQUIRE(to_exact(max, a));
  CHECK((exact_e18(a) == max));
  a.units = Decimal::from_raw(max);
  CHECK_FALSE(exact_e18(a).has_value());
}
