// Pins actors/src/risk_core.cpp, risk_limits.cpp and risk_describe.cpp: every limit at every
// scope (just under passes, just over rejects with the exact code, scope and numbers), kill
// switches, the order-rate bucket, loss limits, and limits changed from another thread.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "oms/cores/risk_core.hpp"

using namespace oms;
using namespace oms::actors;
using namespace oms::decimal_literals;

namespace {

constexpr std::size_t kAccounts = 4, kStrategies = 3, kInstruments = 5;
const AccountId kAcc{2};
const StrategyId kStrat{1};
const InstrumentId kInstr{3};
const InstrumentId kOther{4};
constexpr TimeNs kSecond = 1'000'000'000;

OrderRequest order(Side side, Decimal price, Decimal qty, InstrumentId instrument = kInstr) {
  OrderRequest o;
  o.account = kAcc;
  o.strategy = kStrat;
  o.instrument = instrument;
  o.side = side;
  o.price = price;
  o.quantity = qty;
  o.reference = price;
  return o;
}
OrderRequest buy(Decimal qty, Decimal price = "100"_d) { return order(Side::kBuy, price, qty); }
OrderRequest sell(Decimal qty, Decimal price = "100"_d) { return order(Side::kSell, price, qty); }

RiskFill fill(Side side, Decimal price, Decimal qty, InstrumentId instrument = kInstr) {
  RiskFill f;
  f.account = kAcc;
  f.strategy = kStrat;
  f.instrument = instrument;
  f.side = side;
  f.price = price;
  f.quantity = qty;
  return f;
}

std::uint32_t id_at(LimitScope s) {
  switch (s) {
    case LimitScope::kGlobal: return 0;
    case LimitScope::kAccount: return kAcc.value;
    case LimitScope::kStrategy: return kStrat.value;
    case LimitScope::kInstrument: return kInstr.value;
  }
  return 0;
}

constexpr std::array<LimitScope, 4> kAllScopes{LimitScope::kGlobal, LimitScope::kAccount,
                                               LimitScope::kStrategy, LimitScope::kInstrument};

void require_reject(const RiskDecision& d, RiskCode code, LimitScope scope, Decimal value,
                    Decimal limit) {
  CHECK(d.code == code);
  CHECK(d.scope == scope);
  CHECK(d.scope_id == id_at(scope));
  CHECK(d.value == value);
  CHECK(d.limit == limit);
}

void must(const Result<Unit, RiskCode>& r) { REQUIRE(r.ok()); }

}  // namespace

TEST_CASE("an order passes when no limit is set") {
  RiskCore core(kAccounts, kStrategies, kInstruments);
  const RiskDecision d = core.check(buy("1"_d), 0);
  CHECK(d.passed());
  CHECK(describe(d) == "risk passed");
}

TEST_CASE("order notional at every scope: at the limit passes, 1e-8 over rejects 2003") {
  for (LimitScope scope : kAllScopes) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kOrderNotional, "1000"_d));
    CHECK(core.check(buy("10"_d), 0).passed());
    require_reject(core.check(buy("10.00000001"_d), 0), RiskCode::kOrderNotional, scope,
                   "1000.000001"_d, "1000"_d);
  }
}

TEST_CASE("order quantity at every scope rejects 2004") {
  for (LimitScope scope : kAllScopes) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kOrderQuantity, "5"_d));
    CHECK(core.check(sell("5"_d), 0).passed());
    require_reject(core.check(sell("5.00000001"_d), 0), RiskCode::kOrderQuantity, scope,
                   "5.00000001"_d, "5"_d);
  }
}

TEST_CASE("position at global, account and instrument scope rejects 2005; reducing passes") {
  for (LimitScope scope : {LimitScope::kGlobal, LimitScope::kAccount, LimitScope::kInstrument}) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    must(core.on_fill(fill(Side::kBuy, "100"_d, "3"_d)));
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kPosition, "5"_d));
    CHECK(core.check(buy("2"_d), 0).passed());
    require_reject(core.check(buy("2.00000001"_d), 0), RiskCode::kPosition, scope, "5.00000001"_d,
                   "5"_d);
    // Through zero to the other side: |-7| > 5.
    require_reject(core.check(sell("10"_d), 0), RiskCode::kPosition, scope, "7"_d, "5"_d);
    // Limit lowered below the position: a reducing order still passes, adding does not.
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kPosition, "1"_d));
    CHECK(core.check(sell("1"_d), 0).passed());
    require_reject(core.check(buy("0.5"_d), 0), RiskCode::kPosition, scope, "3.5"_d, "1"_d);
  }
  RiskCore core(kAccounts, kStrategies, kInstruments);
  CHECK_FALSE(core.limits().set(LimitScope::kStrategy, kStrat.value, LimitKind::kPosition, "5"_d));
}

TEST_CASE("gross exposure at global and account scope rejects 2006") {
  for (LimitScope scope : {LimitScope::kGlobal, LimitScope::kAccount}) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    must(core.on_fill(fill(Side::kBuy, "100"_d, "10"_d)));
    must(core.on_fill(fill(Side::kSell, "100"_d, "2"_d, kOther)));  // short: still gross
    CHECK(core.gross_exposure(scope, id_at(scope)) == "1200"_d);
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kGrossExposure, "1500"_d));
    CHECK(core.check(buy("3"_d), 0).passed());
    require_reject(core.check(buy("3.00000001"_d), 0), RiskCode::kGrossExposure, scope,
                   "1500.000001"_d, "1500"_d);
  }
}

TEST_CASE("net exposure at global and account scope rejects 2007; offsetting passes") {
  for (LimitScope scope : {LimitScope::kGlobal, LimitScope::kAccount}) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    must(core.on_fill(fill(Side::kBuy, "100"_d, "10"_d)));
    must(core.on_fill(fill(Side::kSell, "100"_d, "5"_d, kOther)));
    CHECK(core.net_exposure(scope, id_at(scope)) == "500"_d);
    CHECK(core.gross_exposure(scope, id_at(scope)) == "1500"_d);
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kNetExposure, "600"_d));
    CHECK(core.check(buy("1"_d), 0).passed());
    require_reject(core.check(buy("1.00000001"_d), 0), RiskCode::kNetExposure, scope,
                   "600.000001"_d, "600"_d);
    // Selling the other instrument lowers net exposure: passes even though gross grows.
    CHECK(core.check(order(Side::kSell, "100"_d, "5"_d, kOther), 0).passed());
  }
}

TEST_CASE("leverage at global and account scope rejects 2008; no equity rejects") {
  for (LimitScope scope : {LimitScope::kGlobal, LimitScope::kAccount}) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    must(core.set_equity(kAcc, "1000"_d));
    must(core.on_fill(fill(Side::kBuy, "100"_d, "10"_d)));
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kLeverage, "2"_d));
    CHECK(core.check(buy("10"_d), 0).passed());
    // 2000.000001 / 1000, exact at 1e-9.
    require_reject(core.check(buy("10.00000001"_d), 0), RiskCode::kLeverage, scope, "2.000000001"_d,
                   "2"_d);
    must(core.set_equity(kAcc, "0"_d));
    const RiskDecision d = core.check(buy("1"_d), 0);
    CHECK(d.code == RiskCode::kLeverage);
    CHECK(d.value.raw() == (Int128{1} << 120));  // no equity: shown as the largest amount kept
  }
}

TEST_CASE("price band at every scope rejects 2009 on both sides; no reference rejects 2017") {
  for (LimitScope scope : kAllScopes) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kPriceBandBps, "100"_d));
    OrderRequest o = buy("1"_d, "101"_d);
    o.reference = "100"_d;
    CHECK(core.check(o, 0).passed());
    o.price = "101.00000001"_d;
    require_reject(core.check(o, 0), RiskCode::kPriceBand, scope, "100.000001"_d, "100"_d);
    o.side = Side::kSell;
    o.price = "98.99999999"_d;
    require_reject(core.check(o, 0), RiskCode::kPriceBand, scope, "100.000001"_d, "100"_d);
    o.price = "99"_d;
    CHECK(core.check(o, 0).passed());
    o.reference = "0"_d;
    require_reject(core.check(o, 0), RiskCode::kNoReferencePrice, scope, "0"_d, "100"_d);
    // A market order (price zero) is valued at the reference and has no band to check.
    o.price = "0"_d;
    o.reference = "100"_d;
    CHECK(core.check(o, 0).passed());
  }
}

TEST_CASE("open orders at every scope rejects 2010 with the count it would reach") {
  for (LimitScope scope : kAllScopes) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kOpenOrders, 2));
    core.on_order_opened(kAcc, kStrat, kInstr);
    CHECK(core.check(buy("1"_d), 0).passed());
    core.on_order_opened(kAcc, kStrat, kInstr);
    require_reject(core.check(buy("1"_d), 0), RiskCode::kOpenOrders, scope, "3"_d, "2"_d);
    core.on_order_closed(kAcc, kStrat, kInstr);
    CHECK(core.open_orders(scope, id_at(scope)) == 1);
    CHECK(core.check(buy("1"_d), 0).passed());
  }
}

TEST_CASE("order rate at every scope: a token bucket refilled from now, taken only on a pass") {
  for (LimitScope scope : kAllScopes) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kOrderRate, 2));
    const TimeNs t0 = 1'700'000'000 * kSecond;
    CHECK(core.check(buy("1"_d), t0).passed());
    CHECK(core.check(buy("1"_d), t0).passed());
    require_reject(core.check(buy("1"_d), t0), RiskCode::kOrderRate, scope, "0"_d, "2"_d);
    // 2/s: a quarter second is half a token, half a second one token.
    require_reject(core.check(buy("1"_d), t0 + kSecond / 4), RiskCode::kOrderRate, scope, "0.5"_d,
                   "2"_d);
    // A rejection by another limit does not take the token.
    REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderQuantity, "1"_d));
    CHECK(core.check(buy("2"_d), t0 + kSecond / 2).code == RiskCode::kOrderQuantity);
    CHECK(core.check(buy("1"_d), t0 + kSecond / 2).passed());
    CHECK(core.check(buy("1"_d), t0 + kSecond / 2).code == RiskCode::kOrderRate);
    // After a long pause the bucket holds its capacity, no more.
    CHECK(core.check(buy("1"_d), t0 + 100 * kSecond).passed());
    CHECK(core.check(buy("1"_d), t0 + 100 * kSecond).passed());
    CHECK(core.check(buy("1"_d), t0 + 100 * kSecond).code == RiskCode::kOrderRate);
  }
}

TEST_CASE("daily loss at global, account and strategy scope rejects 2012; day roll resets") {
  for (LimitScope scope : {LimitScope::kGlobal, LimitScope::kAccount, LimitScope::kStrategy}) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kDailyLoss, "100"_d));
    must(core.on_fill(fill(Side::kBuy, "100"_d, "10"_d)));
    must(core.on_fill(fill(Side::kSell, "90"_d, "10"_d)));  // realized -100
    CHECK(core.daily_loss(scope, id_at(scope)) == "100"_d);
    CHECK(core.check(buy("1"_d), 0).passed());
    RiskFill fee_only = fill(Side::kBuy, "100"_d, "1"_d);
    fee_only.fee = "0.00000001"_d;
    must(core.on_fill(fee_only));  // opens 1 long, the fee tips the loss over
    require_reject(core.check(buy("1"_d), 0), RiskCode::kDailyLoss, scope, "100.00000001"_d, "100"_d);
    CHECK(core.check(sell("1"_d), 0).passed());  // reducing: admitted
    core.roll_day();
    CHECK(core.daily_loss(scope, id_at(scope)) == "0"_d);
    CHECK(core.check(buy("1"_d), 0).passed());
  }
}

TEST_CASE("daily loss counts unrealized loss since the day roll") {
  RiskCore core(kAccounts, kStrategies, kInstruments);
  REQUIRE(core.limits().set(LimitScope::kAccount, kAcc.value, LimitKind::kDailyLoss, "50"_d));
  must(core.on_fill(fill(Side::kBuy, "100"_d, "10"_d)));
  must(core.on_mark(kInstr, "95"_d));
  CHECK(core.daily_loss(LimitScope::kAccount, kAcc.value) == "50"_d);
  CHECK(core.check(buy("1"_d, "95"_d), 0).passed());
  must(core.on_mark(kInstr, "94.99999999"_d));
  require_reject(core.check(buy("1"_d, "95"_d), 0), RiskCode::kDailyLoss, LimitScope::kAccount,
                 "50.0000001"_d, "50"_d);
  core.roll_day();
  CHECK(core.check(buy("1"_d, "95"_d), 0).passed());
  must(core.on_mark(kInstr, "100"_d));  // recovers: a profit today
  CHECK(core.daily_loss(LimitScope::kAccount, kAcc.value) == "-50.0000001"_d);
}

TEST_CASE("consecutive losses at global, account and strategy scope reject 2013; a win resets") {
  for (LimitScope scope : {LimitScope::kGlobal, LimitScope::kAccount, LimitScope::kStrategy}) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    REQUIRE(core.limits().set(scope, id_at(scope), LimitKind::kConsecutiveLosses, 2));
    const auto round_trip = [&](Decimal exit) {
      must(core.on_fill(fill(Side::kBuy, "100"_d, "1"_d)));
      must(core.on_fill(fill(Side::kSell, exit, "1"_d)));
    };
    round_trip("99"_d);
    CHECK(core.consecutive_losses(scope, id_at(scope)) == 1);
    CHECK(core.check(buy("1"_d), 0).passed());
    round_trip("99"_d);
    require_reject(core.check(buy("1"_d), 0), RiskCode::kConsecutiveLosses, scope, "2"_d, "2"_d);
    round_trip("101"_d);
    CHECK(core.consecutive_losses(scope, id_at(scope)) == 0);
    CHECK(core.check(buy("1"_d), 0).passed());
    round_trip("99"_d);
    round_trip("99"_d);
    core.reset_consecutive_losses();
    CHECK(core.check(buy("1"_d), 0).passed());
  }
}

TEST_CASE("the tightest scope wins whatever its level") {
  RiskCore core(kAccounts, kStrategies, kInstruments);
  auto& limits = core.limits();
  REQUIRE(limits.set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "1000"_d));
  REQUIRE(limits.set(LimitScope::kAccount, kAcc.value, LimitKind::kOrderNotional, "5000"_d));
  require_reject(core.check(buy("20"_d), 0), RiskCode::kOrderNotional, LimitScope::kGlobal,
                 "2000"_d, "1000"_d);
  REQUIRE(limits.set(LimitScope::kAccount, kAcc.value, LimitKind::kOrderNotional, "500"_d));
  require_reject(core.check(buy("6"_d), 0), RiskCode::kOrderNotional, LimitScope::kAccount, "600"_d,
                 "500"_d);
  REQUIRE(limits.set(LimitScope::kInstrument, kInstr.value, LimitKind::kOrderNotional, "300"_d));
  require_reject(core.check(buy("4"_d), 0), RiskCode::kOrderNotional, LimitScope::kInstrument,
                 "400"_d, "300"_d);
  // Another account is held only by the global limit.
  OrderRequest other = buy("9"_d);
  other.account = AccountId{1};
  other.instrument = kOther;
  CHECK(core.check(other, 0).passed());
  REQUIRE(limits.clear(LimitScope::kGlobal, 0, LimitKind::kOrderNotional));
  other.quantity = "100"_d;
  CHECK(core.check(other, 0).passed());
}

TEST_CASE("kill switch halted at global, account and strategy rejects 2001") {
  for (LimitScope scope : {LimitScope::kGlobal, LimitScope::kAccount, LimitScope::kStrategy}) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    must(core.on_fill(fill(Side::kBuy, "100"_d, "3"_d)));
    REQUIRE(core.limits().set_kill_switch(scope, id_at(scope), KillSwitchState::kHalted));
    CHECK(core.limits().kill_switch(scope, id_at(scope)) == KillSwitchState::kHalted);
    require_reject(core.check(sell("1"_d), 0), RiskCode::kKillSwitchHalted, scope, "0"_d, "0"_d);
    REQUIRE(core.limits().set_kill_switch(scope, id_at(scope), KillSwitchState::kActive));
    CHECK(core.check(buy("1"_d), 0).passed());
  }
  RiskCore core(kAccounts, kStrategies, kInstruments);
  CHECK_FALSE(core.limits().set_kill_switch(LimitScope::kInstrument, 0, KillSwitchState::kHalted));
}

TEST_CASE("kill switch reducing-only admits a reducing order and rejects an increasing one") {
  for (LimitScope scope : {LimitScope::kGlobal, LimitScope::kAccount, LimitScope::kStrategy}) {
    CAPTURE(scope);
    RiskCore core(kAccounts, kStrategies, kInstruments);
    must(core.on_fill(fill(Side::kBuy, "100"_d, "3"_d)));
    REQUIRE(core.limits().set_kill_switch(scope, id_at(scope), KillSwitchState::kReducingOnly));
    CHECK(core.check(sell("3"_d), 0).passed());
    require_reject(core.check(buy("1"_d), 0), RiskCode::kReducingOnly, scope, "1"_d, "3"_d);
    // More than the position flips it: that adds risk on the other side.
    require_reject(core.check(sell("3.00000001"_d), 0), RiskCode::kReducingOnly, scope,
                   "3.00000001"_d, "3"_d);
    // Halted anywhere beats reducing-only.
    REQUIRE(core.limits().set_kill_switch(LimitScope::kGlobal, 0, KillSwitchState::kHalted));
    CHECK(core.check(sell("1"_d), 0).code == RiskCode::kKillSwitchHalted);
  }
}

TEST_CASE("a reduce-only order that would not reduce rejects 2002") {
  RiskCore core(kAccounts, kStrategies, kInstruments);
  OrderRequest o = sell("1"_d);
  o.reduce_only = true;
  require_reject(core.check(o, 0), RiskCode::kReducingOnly, LimitScope::kAccount, "1"_d, "0"_d);
  must(core.on_fill(fill(Side::kBuy, "100"_d, "2"_d)));
  CHECK(core.check(o, 0).passed());
}

TEST_CASE("unknown ids, bad orders and overflow reject with their codes") {
  RiskCore core(kAccounts, kStrategies, kInstruments);
  OrderRequest o = buy("1"_d);
  o.instrument = InstrumentId{5};
  CHECK(core.check(o, 0).code == RiskCode::kUnknownId);
  CHECK(core.check(buy("0"_d), 0).code == RiskCode::kInvalidOrder);
  CHECK(core.check(buy("1"_d, "-1"_d), 0).code == RiskCode::kInvalidOrder);
  o = buy("1"_d, "0"_d);  // market order without a reference
  CHECK(core.check(o, 0).code == RiskCode::kInvalidOrder);
  // 1e20 x 1e10 leaves a 128-bit product at 1e-18: reject, never wrap.
  const RiskDecision d = core.check(buy("10000000000"_d, "100000000000000000000"_d), 0);
  CHECK(d.code == RiskCode::kOverflow);
  CHECK(describe(d) == "risk 2014: overflow: quantity 10000000000 at price 100000000000000000000 (global)");
  // A quantity beyond the bound the core keeps (2^120 raw, 1.3e27 units) is refused before any sum.
  CHECK(core.check(buy("2000000000000000000000000000"_d, "1"_d), 0).code == RiskCode::kOverflow);
  // Within the range, far beyond int64: 10^13 units at 100 pass every unlimited check.
  CHECK(core.check(buy("10000000000000"_d, "100"_d), 0).passed());
  // A fill whose cost overflows is refused, leaves the state, and halts the account.
  const auto refused = core.on_fill(fill(Side::kBuy, "100000000000000000000"_d, "10000000000"_d));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error() == RiskCode::kOverflow);
  CHECK(core.position(kAcc, kInstr) == "0"_d);
  CHECK(core.limits().kill_switch(LimitScope::kAccount, kAcc.value) == KillSwitchState::kHalted);
}

TEST_CASE("fills keep position, cost basis and realized PnL through a flip") {
  RiskCore core(kAccounts, kStrategies, kInstruments);
  must(core.on_fill(fill(Side::kBuy, "100"_d, "2"_d)));
  must(core.on_fill(fill(Side::kBuy, "110"_d, "2"_d)));   // 4 @ 105
  must(core.on_fill(fill(Side::kSell, "100"_d, "6"_d)));  // closes 4 at -5 each, opens -2 @ 100
  CHECK(core.position(kAcc, kInstr) == "-2"_d);
  CHECK(core.daily_loss(LimitScope::kAccount, kAcc.value) == "20"_d);
  CHECK(core.daily_loss(LimitScope::kStrategy, kStrat.value) == "20"_d);
  CHECK(core.consecutive_losses(LimitScope::kAccount, kAcc.value) == 1);
  CHECK(core.gross_exposure(LimitScope::kAccount, kAcc.value) == "200"_d);  // mark = first fill
  CHECK(core.net_exposure(LimitScope::kAccount, kAcc.value) == "-200"_d);
  must(core.on_mark(kInstr, "90"_d));
  CHECK(core.net_exposure(LimitScope::kGlobal, 0) == "-180"_d);
  CHECK(core.daily_loss(LimitScope::kAccount, kAcc.value) == "0"_d);  // -20 realized, +20 open
}

TEST_CASE("describe and to_event name the code, the numbers and the scope") {
  RiskCore core(kAccounts, 4, kInstruments);
  REQUIRE(core.limits().set(LimitScope::kAccount, 3, LimitKind::kOrderNotional, "100000"_d));
  OrderRequest o = buy("1.25"_d, "100000"_d);
  o.account = AccountId{3};
  const RiskDecision d = core.check(o, 0);
  CHECK(describe(d) == "risk 2003: notional 125000 USDT > limit 100000 (account 3)");
  const RiskBreached e = to_event(d);
  CHECK(e.code == 2003);
  CHECK(e.scope == LimitScope::kAccount);
  CHECK(e.account == AccountId{3});
  CHECK(e.strategy == kStrat);
  CHECK(e.instrument == kInstr);
  CHECK(e.value == "125000"_d);
  CHECK(e.limit == "100000"_d);

  REQUIRE(core.limits().set_kill_switch(LimitScope::kStrategy, 1, KillSwitchState::kHalted));
  CHECK(describe(core.check(buy("1"_d), 0)) == "risk 2001: kill switch halted (strategy 1)");
  REQUIRE(core.limits().set_kill_switch(LimitScope::kStrategy, 1, KillSwitchState::kActive));
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderRate, 1));
  CHECK(core.check(buy("1"_d), 0).passed());
  CHECK(describe(core.check(buy("1"_d), 0)) ==
        "risk 2011: order rate 0 tokens < 1 (limit 1/s) (global)");
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kPriceBandBps, "50"_d));
  OrderRequest banded = buy("1"_d, "101"_d);
  banded.reference = "100"_d;
  CHECK(describe(core.check(banded, 0)) == "risk 2009: price band 100 bps > limit 50 (global)");
}

TEST_CASE("a limit changed from another thread is seen at once and never torn") {
  RiskCore core(kAccounts, kStrategies, kInstruments);
  // Two limits whose 32-bit halves both differ: a torn read would show a third value.
  constexpr std::int64_t kLow = 0x0000'0000'FFFF'FFFF;
  constexpr std::int64_t kHigh = 0x0AFF'FFFF'0000'0000;
  REQUIRE(core.limits().set(LimitScope::kAccount, kAcc.value, LimitKind::kOrderNotional, kLow));
  const OrderRequest big = buy("10000"_d, "1000000"_d);  // notional 1e10 > both limits
  std::atomic<bool> stop{false};
  std::atomic<int> flips{0};
  std::thread operator_thread([&] {
    for (int i = 0; i < 20000 && !stop.load(std::memory_order_relaxed); ++i) {
      (void)core.limits().set(LimitScope::kAccount, kAcc.value, LimitKind::kOrderNotional,
                              i % 2 == 0 ? kHigh : kLow);
      flips.fetch_add(1, std::memory_order_release);
    }
  });
  int torn = 0, seen_high = 0, seen_low = 0;
  for (int i = 0; i < 200000; ++i) {
    const RiskDecision d = core.check(big, 0);
    if (d.limit.raw() == kHigh) {
      ++seen_high;
    } else if (d.limit.raw() == kLow) {
      ++seen_low;
    } else {
      ++torn;
    }
  }
  stop.store(true, std::memory_order_relaxed);
  operator_thread.join();
  CHECK(torn == 0);
  CHECK(seen_high + seen_low == 200000);

  // A change published before a handshake is seen by the very next check.
  std::atomic<bool> changed{false};
  std::thread tighten([&] {
    (void)core.limits().set(LimitScope::kAccount, kAcc.value, LimitKind::kOrderNotional, "50"_d);
    changed.store(true, std::memory_order_release);  // publishes the limit store above
  });
  std::int64_t checks = 0;
  while (!changed.load(std::memory_order_acquire) && checks < 100'000'000) {
    (void)core.check(buy("1"_d), 0);
    ++checks;
  }
  tighten.join();
  REQUIRE(changed.load(std::memory_order_acquire));
  require_reject(core.check(buy("1"_d), 0), RiskCode::kOrderNotional, LimitScope::kAccount, "100"_d,
                 "50"_d);
}

TEST_CASE("an order of no strategy (manual) is checked at global, account and instrument scope") {
  RiskCore core(kAccounts, kStrategies, kInstruments);
  auto manual = buy("2"_d);
  manual.strategy = StrategyId{};
  // A configured strategy's limit does not bind it; the account's does.
  REQUIRE(core.limits().set(LimitScope::kStrategy, kStrat.value, LimitKind::kOrderQuantity, "1"_d));
  CHECK(core.check(manual, kSecond).passed());
  REQUIRE(core.limits().set(LimitScope::kAccount, kAcc.value, LimitKind::kOrderQuantity, "1"_d));
  const auto d = core.check(manual, kSecond);
  CHECK(d.code == RiskCode::kOrderQuantity);
  CHECK(d.scope == LimitScope::kAccount);
  // Its fills count for the account (and the manual book), not for a configured strategy.
  auto f = fill(Side::kBuy, "100"_d, "1"_d);
  f.strategy = StrategyId{};
  must(core.on_fill(f));
  // A strategy id beyond the configured ones is still unknown (2015).
  auto stray = buy("1"_d);
  stray.strategy = StrategyId{static_cast<StrategyId::rep_type>(kStrategies)};
  CHECK(core.check(stray, kSecond).code == RiskCode::kUnknownId);
}

TEST_CASE("a fee in another asset counts at its rate instrument's mark, rounded up; held until that mark comes; USDT itself as it is") {
  RiskCore r(kAccounts, kStrategies, kInstruments);
  must(r.on_mark(kInstr, "100"_d));
  // 0.0015 BNB at 333.333333333: 0.4999999999995 -> 0.5 (a cost is never understated).
  must(r.on_mark(kOther, "333.333333333"_d));
  RiskFill f = fill(Side::kBuy, "100"_d, "1"_d);
  f.fee_other = "0.0015"_d;
  f.fee_rate = kOther;
  must(r.on_fill(f));
  CHECK(r.daily_loss(LimitScope::kAccount, kAcc.value) == "0.5"_d);
  CHECK(r.daily_loss(LimitScope::kStrategy, kStrat.value) == "0.5"_d);
  CHECK(r.daily_loss(LimitScope::kGlobal, 0) == "0.5"_d);
  CHECK(r.consecutive_losses(LimitScope::kAccount, kAcc.value) == 0);  // a fee is no losing close

  RiskCore held(kAccounts, kStrategies, kInstruments);
  must(held.on_mark(kInstr, "100"_d));
  must(held.on_fill(f));
  CHECK(held.held_fees() == 1);
  CHECK(held.position(kAcc, kInstr) == "1"_d);  // the fill counts at once
  CHECK(held.daily_loss(LimitScope::kAccount, kAcc.value) == "0"_d);
  must(held.on_mark(kOther, "400"_d));
  CHECK(held.held_fees() == 0);
  CHECK(held.daily_loss(LimitScope::kAccount, kAcc.value) == "0.6"_d);

  RiskFill usdt = fill(Side::kSell, "100"_d, "1"_d);
  usdt.fee_other = "0.25"_d;  // no rate: USDT itself
  must(held.on_fill(usdt));
  CHECK(held.daily_loss(LimitScope::kAccount, kAcc.value) == "0.85"_d);

  RiskFill bad = f;
  bad.fee_rate = InstrumentId(99);
  CHECK(held.on_fill(bad).error() == RiskCode::kUnknownId);
}

TEST_CASE("clear_counts forgets positions, PnL, open orders and held fees; limits, quote sources and marks stay") {
  RiskCore r(kAccounts, kStrategies, kInstruments);
  REQUIRE(r.limits().set(LimitScope::kAccount, kAcc.value, LimitKind::kOpenOrders, std::int64_t{5}));
  must(r.on_mark(kInstr, "100"_d));
  must(r.on_fill(fill(Side::kBuy, "100"_d, "2"_d)));
  must(r.on_mark(kInstr, "90"_d));
  r.on_order_opened(kAcc, kStrat, kInstr);
  RiskFill f = fill(Side::kBuy, "90"_d, "1"_d);
  f.fee_other = "1"_d;
  f.fee_rate = kOther;  // no mark: held
  must(r.on_fill(f));
  REQUIRE(r.held_fees() == 1);
  CHECK(r.daily_loss(LimitScope::kAccount, kAcc.value) == "20"_d);
  r.clear_counts();
  CHECK(r.position(kAcc, kInstr) == "0"_d);
  CHECK(r.daily_loss(LimitScope::kAccount, kAcc.value) == "0"_d);
  CHECK(r.gross_exposure(LimitScope::kGlobal, 0) == "0"_d);
  CHECK(r.open_orders(LimitScope::kAccount, kAcc.value) == 0);
  CHECK(r.held_fees() == 0);
  CHECK(r.mark(kInstr) == "90"_d);
  CHECK(r.limits().get(LimitScope::kAccount, kAcc.value, LimitKind::kOpenOrders) == 5);
}

TEST_CASE("clear_counts(keep_live) forgets what the stores hold but keeps the order-rate tokens and the equities") {
  RiskCore r(kAccounts, kStrategies, kInstruments);
  REQUIRE(r.limits().set(LimitScope::kAccount, kAcc.value, LimitKind::kOrderRate, std::int64_t{2}));  // 2 a second
  REQUIRE(r.limits().set(LimitScope::kAccount, kAcc.value, LimitKind::kLeverage, "3"_d));
  must(r.on_mark(kInstr, "100"_d));
  must(r.set_equity(kAcc, "1000"_d));
  const OrderRequest o{kAcc, kStrat, kInstr, Side::kBuy, "100"_d, "1"_d, false, "100"_d};
  constexpr TimeNs kT = 1'000'000'000'000;
  CHECK(r.check(o, kT).passed());
  CHECK(r.check(o, kT).passed());
  CHECK(r.check(o, kT).code == RiskCode::kOrderRate);  // the bucket is empty
  must(r.on_fill(fill(Side::kBuy, "100"_d, "2"_d)));
  r.clear_counts(true);
  CHECK(r.position(kAcc, kInstr) == "0"_d);
  CHECK(r.check(o, kT).code == RiskCode::kOrderRate);  // still empty: not refilled by the clear
  // The equity stayed: 20 x 100 is within 3x of 1,000.
  const OrderRequest mid{kAcc, kStrat, kInstr, Side::kBuy, "100"_d, "20"_d, false, "100"_d};
  CHECK(r.check(mid, kT + 10'000'000'000).passed());
  r.clear_counts();  // a start's clear: the equity is forgotten (none: nothing adds exposure) ...
  CHECK(r.check(mid, kT + 20'000'000'000).code == RiskCode::kLeverage);
  must(r.set_equity(kAcc, "1000"_d));
  CHECK(r.check(o, kT).passed());  // ... and the tokens (a full bucket at kT again)
}
