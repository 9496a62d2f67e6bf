// Issue 16's Decimal range, through the cores that keep the figures: a KRW balance of 10^12 won,
// an order of 10^13 units of a low-priced KRW token, that order's KRW notional and its value in
// USDT, and a 1e-9 tick -- each exact in the account, position and risk cores; a product beyond
// 128 bits an error there, never a wrap.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "oms/cores/account_core.hpp"
#include "oms/cores/position_core.hpp"
#include "oms/cores/risk_core.hpp"
#include "testkit/printers.hpp"

namespace {

using namespace oms;
using namespace oms::actors;
using namespace oms::decimal_literals;

constexpr InstrumentId kTokenKrw{0}, kUsdtKrw{1};
constexpr AccountId kAcct{0};
const AssetCode kKrw = "KRW", kToken = "XYZ";

Instrument make(InstrumentId id, std::string base, std::string quote) {
  Instrument in;
  in.id = id;
  in.exchange = ExchangeId::kUpbit;
  in.market = Market::kSpot;
  in.venue_symbol = quote + "-" + base;
  in.symbol = CanonicalSymbol{base, quote, "", ""};
  return in;
}

const InstrumentTable& table() {
  static const InstrumentTable t = [] {
    std::vector<Instrument> v{make(kTokenKrw, "XYZ", "KRW"), make(kUsdtKrw, "USDT", "KRW")};
    return InstrumentTable::from(v).value();
  }();
  return t;
}

template <class P>
Event ev(const P& payload) {
  return Event{Envelope{}, EventPayload{payload}};
}

ClientOrderIdText cid(int n) {
  ClientOrderIdText t;
  (void)t.assign("C" + std::to_string(n));
  return t;
}

OrderSubmitted submit(int id, Side side, Decimal qty, Decimal price) {
  OrderSubmitted e;
  e.account = kAcct;
  e.strategy = StrategyId{0};
  e.instrument = kTokenKrw;
  e.client_order_id = cid(id);
  e.side = side;
  e.order_type = OrderType::kLimit;
  e.price = price;
  e.quantity = qty;
  return e;
}

FillReceived fill(int id, Side side, Decimal qty, Decimal price, Decimal fee) {
  FillReceived f;
  f.account = kAcct;
  f.strategy = StrategyId{0};
  f.instrument = kTokenKrw;
  f.client_order_id = cid(id);
  (void)f.trade_id.assign("T" + std::to_string(id));
  f.side = side;
  f.price = price;
  f.quantity = qty;
  f.fee = fee;
  f.fee_asset = kKrw;
  return f;
}

void ok(AccountCore& a, const Event& e) {
  auto r = a.apply(e);
  INFO((r ? std::string("ok") : to_string(r.error())));
  REQUIRE(r.ok());
}

const Decimal kUnits = "10000000000000"_d;        // 10^13 XYZ
const Decimal kPrice = "0.123456789"_d;          // KRW, on a 1e-9 tick
const Decimal kNotional = "1234567890000"_d;     // 10^13 x 0.123456789 KRW, exact
const Decimal kBalance = "1000000000000.5"_d;    // 10^12 KRW and a half

}  // namespace

TEST_CASE("a 10^12 KRW balance locks and pays a 10^13-unit order exactly") {
  REQUIRE(*kUnits.mul(kPrice, Rounding::kExact) == kNotional);
  AccountCore a(kAcct, table());
  ok(a, ev(BalanceUpdated{kAcct, ExchangeId::kUpbit, Market::kSpot, kKrw, "2000000000000.5"_d, {}}));
  ok(a, ev(submit(1, Side::kBuy, kUnits, kPrice)));
  CHECK(a.balance(Market::kSpot, kKrw)->locked == kNotional);
  CHECK(a.balance(Market::kSpot, kKrw)->free == "765432110000.5"_d);
  // Filled a tick better (1 234 567 880 000 KRW paid), a fee with every one of 9 decimals.
  const Decimal fee = "617283940.123456789"_d;
  ok(a, ev(fill(1, Side::kBuy, kUnits, "0.123456788"_d, fee)));
  CHECK(a.balance(Market::kSpot, kKrw)->locked.is_zero());
  // 2 000 000 000 000.5 - 1 234 567 880 000 - 617 283 940.123456789
  CHECK(a.balance(Market::kSpot, kKrw)->free == "764814836060.376543211"_d);
  CHECK(a.balance(Market::kSpot, kToken)->free == kUnits);
  // A balance of 10^12 won does not pay an order of 10^13 at 0.123456789: refused, unchanged.
  AccountCore b(kAcct, table());
  ok(b, ev(BalanceUpdated{kAcct, ExchangeId::kUpbit, Market::kSpot, kKrw, kBalance, {}}));
  const AccountCore before = b;
  auto r = b.apply(ev(submit(2, Side::kBuy, kUnits, kPrice)));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == AccountErrorCode::kInsufficientBalance);
  CHECK(r.error().have == kBalance);
  CHECK(r.error().need == kNotional);
  CHECK(b == before);
}

TEST_CASE("positions and PnL of 10^13 units at a 1e-9 price are exact at 1e-18") {
  PositionCore pc(table(), 1);
  REQUIRE(pc.on_fill(fill(1, Side::kBuy, kUnits, kPrice, {})));
  REQUIRE(pc.on_fill(fill(2, Side::kSell, "4000000000000"_d, "0.123456790"_d, {})));
  const auto* leg = pc.net(kAcct, kTokenKrw);
  REQUIRE(leg != nullptr);
  CHECK(leg->position.size == "6000000000000"_d);
  // Realized: 4e12 x (0.123456790 - 0.123456789) = 4000 KRW exactly.
  CHECK(leg->position.realized_e18 == Int128{4'000} * 1'000'000'000'000'000'000);
  CHECK(leg->position.entry_price() == kPrice);
  pc.set_mark(kTokenKrw, "0.2"_d);
  // Unrealized: 6e12 x (0.2 - 0.123456789) = 459 259 266 000 KRW.
  CHECK(pc.pnl(kAcct, kTokenKrw).unrealized_e18 == Int128{459'259'266'000} * 1'000'000'000'000'000'000);
  CHECK_FALSE(pc.pnl(kAcct, kTokenKrw).overflow);
  // A product beyond 128 bits (1e15 units at a price of 1e15): refused, the leg unchanged.
  const NetPosition kept = leg->position;
  CHECK_FALSE(pc.on_fill(fill(3, Side::kBuy, "1000000000000000"_d, "1000000000000000"_d, {})));
  CHECK(pc.net(kAcct, kTokenKrw)->position == kept);
}

TEST_CASE("risk values a 10^13-unit KRW order in USDT exactly and refuses one 1e-9 over") {
  RiskCore core(1, 1, 2);
  REQUIRE(core.set_quote_source(kTokenKrw, QuoteSource{kUsdtKrw, true}));
  REQUIRE(core.set_quote_source(kUsdtKrw, QuoteSource{kUsdtKrw, true}));
  REQUIRE(core.on_mark(kUsdtKrw, "1250"_d));
  OrderRequest o;
  o.account = kAcct;
  o.strategy = StrategyId{0};
  o.instrument = kTokenKrw;
  o.side = Side::kBuy;
  o.price = kPrice;
  o.reference = kPrice;
  o.quantity = kUnits;
  // 1 234 567 890 000 KRW / 1250 = 987 654 312 USDT; the price in USDT is rounded up at 1e-9
  // (0.123456789 / 1250 = 0.0000987654312), exact here.
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "987654312"_d));
  CHECK(core.check(o, 0).passed());
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "987654311.999999999"_d));
  const RiskDecision d = core.check(o, 0);
  CHECK(d.code == RiskCode::kOrderNotional);
  CHECK(d.value == "987654312"_d);
  // The quantity limit is in units: 10^13 is beyond what a limit holds (kMaxLimit), so it is
  // refused where it is set rather than cut, and the order passes an unlimited one.
  CHECK(kUnits > kMaxLimit);
  CHECK_FALSE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderQuantity, kUnits));
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "1000000000"_d));
  REQUIRE(core.on_fill(RiskFill{kAcct, StrategyId{0}, kTokenKrw, Side::kBuy, kPrice, kUnits, {}}));
  CHECK(core.position(kAcct, kTokenKrw) == kUnits);
  CHECK(core.gross_exposure(LimitScope::kAccount, kAcct.value) == "987654312"_d);
}
