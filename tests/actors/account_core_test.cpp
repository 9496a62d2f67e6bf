// Pins actors/src/account_core*.cpp: spot locks, fills and fees; venue overrides; futures
// positions (one-way and hedge), funding, settings and transfers; and, on seeded random
// sequences, the fold invariants (no negative balance, locks add up, replay equals live,
// realized + unrealized equals the cash flow).
#include "oms/cores/account_core.hpp"
#include "oms/cores/position_core.hpp"
#include "oms/cores/risk_core.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "testkit/printers.hpp"

namespace {

using namespace oms;
using namespace oms::actors;
using namespace oms::decimal_literals;

constexpr InstrumentId kBtcSpot{0}, kBnbSpot{1}, kBtcPerp{2};
constexpr AccountId kAcct{1};
const AssetCode kUsdt = "USDT", kBtc = "BTC", kBnb = "BNB";

Instrument make(InstrumentId id, ExchangeId ex, Market m, std::string base, std::string quote,
                std::string settle) {
  Instrument in;
  in.id = id;
  in.exchange = ex;
  in.market = m;
  in.venue_symbol = base + quote;
  in.symbol = CanonicalSymbol{base, quote, settle, ""};
  return in;
}

const InstrumentTable& table() {
  static const InstrumentTable t = [] {
    std::vector<Instrument> v{
        make(kBtcSpot, ExchangeId::kBinance, Market::kSpot, "BTC", "USDT", ""),
        make(kBnbSpot, ExchangeId::kBinance, Market::kSpot, "BNB", "USDT", ""),
        make(kBtcPerp, ExchangeId::kBinance, Market::kUsdm, "BTC", "USDT", "USDT")};
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

BalanceUpdated bal(AssetCode asset, Decimal free, Decimal locked = {}, Market m = Market::kSpot) {
  return BalanceUpdated{kAcct, ExchangeId::kBinance, m, asset, free, locked};
}

OrderSubmitted submit(int id, InstrumentId inst, Side side, Decimal qty, Decimal price,
                      OrderType type = OrderType::kLimit) {
  OrderSubmitted e;
  e.account = kAcct;
  e.strategy = StrategyId{0};
  e.instrument = inst;
  e.client_order_id = cid(id);
  e.side = side;
  e.order_type = type;
  e.price = price;
  e.quantity = qty;
  return e;
}

FillReceived fill(int id, InstrumentId inst, Side side, Decimal qty, Decimal price,
                  Decimal fee = {}, AssetCode fee_asset = "USDT") {
  FillReceived f;
  f.account = kAcct;
  f.strategy = StrategyId{0};
  f.instrument = inst;
  f.client_order_id = cid(id);
  (void)f.trade_id.assign("T" + std::to_string(id));
  f.side = side;
  f.price = price;
  f.quantity = qty;
  f.fee = fee;
  f.fee_asset = fee_asset;
  return f;
}

Decimal free_of(const AccountCore& a, const AssetCode& asset, Market m = Market::kSpot) {
  const Balance* b = a.balance(m, asset);
  return b ? b->free : Decimal{};
}
Decimal locked_of(const AccountCore& a, const AssetCode& asset, Market m = Market::kSpot) {
  const Balance* b = a.balance(m, asset);
  return b ? b->locked : Decimal{};
}

void ok(AccountCore& a, const Event& e) {
  auto r = a.apply(e);
  INFO((r ? std::string("ok") : to_string(r.error())));
  REQUIRE(r.ok());
}

AccountErrorCode fails(AccountCore& a, const Event& e) {
  const AccountCore before = a;
  auto r = a.apply(e);
  REQUIRE_FALSE(r.ok());
  CHECK(a == before);  // an error changes nothing
  return r.error().code;
}

}  // namespace

TEST_CASE(
    "spot buy: lock at limit, partial fill refunds price improvement, fee in quote, cancel "
    "releases") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kUsdt, "1000"_d)));
  ok(a, ev(submit(1, kBtcSpot, Side::kBuy, "0.5"_d, "100"_d)));
  CHECK(free_of(a, kUsdt) == "950"_d);
  CHECK(locked_of(a, kUsdt) == "50"_d);
  ok(a, ev(fill(1, kBtcSpot, Side::kBuy, "0.2"_d, "99"_d, "0.0198"_d, kUsdt)));
  CHECK(free_of(a, kUsdt) == "950.1802"_d);  // 950 + 20 released - 19.8 spent - 0.0198 fee
  CHECK(locked_of(a, kUsdt) == "30"_d);
  CHECK(free_of(a, kBtc) == "0.2"_d);
  REQUIRE(a.open_orders().size() == 1);
  CHECK(a.open_orders()[0].filled == "0.2"_d);
  ok(a, ev(OrderCanceled{kAcct, kBtcSpot, cid(1), "0.2"_d}));
  CHECK(free_of(a, kUsdt) == "980.1802"_d);
  CHECK(locked_of(a, kUsdt) == "0"_d);
  CHECK(a.open_orders().empty());
}

TEST_CASE("spot sell: base locked, full fill credits quote, fee in BNB from the BNB balance") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kBtc, "1"_d)));
  ok(a, ev(bal(kBnb, "0.1"_d)));
  ok(a, ev(submit(2, kBtcSpot, Side::kSell, "0.4"_d, "100"_d)));
  CHECK(free_of(a, kBtc) == "0.6"_d);
  CHECK(locked_of(a, kBtc) == "0.4"_d);
  ok(a, ev(fill(2, kBtcSpot, Side::kSell, "0.4"_d, "101"_d, "0.003"_d, kBnb)));
  CHECK(free_of(a, kBtc) == "0.6"_d);
  CHECK(locked_of(a, kBtc) == "0"_d);
  CHECK(free_of(a, kUsdt) == "40.4"_d);
  CHECK(free_of(a, kBnb) == "0.097"_d);
  CHECK(a.open_orders().empty());  // filled: the lock record is gone
}

TEST_CASE("spot buy with the fee in the base asset receives qty minus fee") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kUsdt, "100"_d)));
  ok(a, ev(submit(3, kBtcSpot, Side::kBuy, "0.1"_d, "100"_d)));
  ok(a, ev(fill(3, kBtcSpot, Side::kBuy, "0.1"_d, "100"_d, "0.0001"_d, kBtc)));
  CHECK(free_of(a, kBtc) == "0.0999"_d);
  CHECK(free_of(a, kUsdt) == "90"_d);
  CHECK(locked_of(a, kUsdt) == "0"_d);
}

TEST_CASE("an event that would make a balance negative is refused with 7001, naming the asset") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kUsdt, "10"_d)));
  CHECK(fails(a, ev(submit(4, kBtcSpot, Side::kBuy, "1"_d, "12.5"_d))) ==
        AccountErrorCode::kInsufficientBalance);
  auto r = a.apply(ev(submit(4, kBtcSpot, Side::kBuy, "1"_d, "12.5"_d)));
  CHECK(r.error().asset == kUsdt);
  CHECK(r.error().have == "10"_d);
  CHECK(r.error().need == "12.5"_d);
  CHECK(
      to_string(r.error()) ==
      "account 7001 insufficient balance: USDT has 10 < 12.5 (account 1, instrument 0, order C4)");
  // A fee in BNB with no BNB.
  ok(a, ev(submit(5, kBtcSpot, Side::kBuy, "0.05"_d, "100"_d)));
  CHECK(fails(a, ev(fill(5, kBtcSpot, Side::kBuy, "0.05"_d, "100"_d, "0.001"_d, kBnb))) ==
        AccountErrorCode::kInsufficientBalance);
}

TEST_CASE("terminal report ahead of the fills keeps the lock for the fills still to come") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kUsdt, "100"_d)));
  ok(a, ev(submit(6, kBtcSpot, Side::kBuy, "1"_d, "100"_d)));
  ok(a, ev(OrderCanceled{kAcct, kBtcSpot, cid(6), "0.3"_d}));
  CHECK(locked_of(a, kUsdt) == "30"_d);
  CHECK(free_of(a, kUsdt) == "70"_d);
  REQUIRE(a.open_orders().size() == 1);
  CHECK(a.open_orders()[0].terminal);
  ok(a, ev(fill(6, kBtcSpot, Side::kBuy, "0.3"_d, "100"_d)));
  CHECK(locked_of(a, kUsdt) == "0"_d);
  CHECK(free_of(a, kUsdt) == "70"_d);
  CHECK(free_of(a, kBtc) == "0.3"_d);
  CHECK(a.open_orders().empty());
}

TEST_CASE("market buy without a price locks nothing and spends free quote on the fill") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kUsdt, "100"_d)));
  ok(a, ev(submit(7, kBtcSpot, Side::kBuy, "0.5"_d, Decimal{}, OrderType::kMarket)));
  CHECK(locked_of(a, kUsdt) == "0"_d);
  ok(a, ev(fill(7, kBtcSpot, Side::kBuy, "0.5"_d, "101"_d)));
  CHECK(free_of(a, kUsdt) == "49.5"_d);
  CHECK(a.open_orders().empty());
}

TEST_CASE("rejected order releases its whole lock; amend re-locks at the new price") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kUsdt, "100"_d)));
  ok(a, ev(submit(8, kBtcSpot, Side::kBuy, "0.5"_d, "100"_d)));
  ok(a, ev(OrderAmended{kAcct, kBtcSpot, cid(8), "120"_d, "0.5"_d}));
  CHECK(locked_of(a, kUsdt) == "60"_d);
  CHECK(free_of(a, kUsdt) == "40"_d);
  ok(a, ev(OrderRejected{kAcct, kBtcSpot, cid(8), 4001, -2010, {}}));
  CHECK(locked_of(a, kUsdt) == "0"_d);
  CHECK(free_of(a, kUsdt) == "100"_d);
}

TEST_CASE("BalanceUpdated replaces our estimate and records the drift; later releases are capped") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kUsdt, "1000"_d)));
  ok(a, ev(submit(9, kBtcSpot, Side::kBuy, "0.5"_d, "100"_d)));
  ok(a, ev(bal(kUsdt, "900"_d, "20"_d)));
  const Balance* b = a.balance(Market::kSpot, kUsdt);
  REQUIRE(b != nullptr);
  CHECK(b->free == "900"_d);
  CHECK(b->drift_free == "-50"_d);
  CHECK(b->drift_locked == "-30"_d);
  ok(a, ev(OrderCanceled{kAcct, kBtcSpot, cid(9), Decimal{}}));
  CHECK(locked_of(a, kUsdt) == "0"_d);
  CHECK(free_of(a, kUsdt) == "920"_d);
}

TEST_CASE("events of another account are refused with 7003; market data is ignored") {
  AccountCore a(kAcct, table());
  BalanceUpdated other = bal(kUsdt, "1"_d);
  other.account = AccountId{2};
  CHECK(fails(a, ev(other)) == AccountErrorCode::kWrongAccount);
  ok(a, ev(TradePrinted{}));
  CHECK(a.balances().empty());
}

TEST_CASE(
    "futures one-way: open, add (weighted entry), partial reduce (exact realized), flip, funding") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kUsdt, "1000"_d, {}, Market::kUsdm)));
  ok(a, ev(submit(10, kBtcPerp, Side::kBuy, "1"_d, "100"_d)));
  CHECK(free_of(a, kUsdt, Market::kUsdm) == "1000"_d);  // futures orders lock nothing
  ok(a, ev(fill(10, kBtcPerp, Side::kBuy, "1"_d, "100"_d, "0.04"_d)));
  ok(a, ev(fill(11, kBtcPerp, Side::kBuy, "3"_d, "104"_d)));
  const FuturesPosition* p = a.position(kBtcPerp);
  REQUIRE(p != nullptr);
  CHECK(p->leg(PositionSide::kBoth).position.size == "4"_d);
  CHECK(p->leg(PositionSide::kBoth).position.entry_price() == "103"_d);
  ok(a, ev(fill(12, kBtcPerp, Side::kSell, "1"_d, "110"_d)));
  p = a.position(kBtcPerp);
  CHECK(p->leg(PositionSide::kBoth).position.size == "3"_d);
  CHECK(p->leg(PositionSide::kBoth).position.entry_price() == "103"_d);  // unchanged on reduce
  CHECK(p->leg(PositionSide::kBoth).position.realized_e18 == Int128{7} * 1'000'000'000'000'000'000);
  CHECK(free_of(a, kUsdt, Market::kUsdm) == "1006.96"_d);
  ok(a, ev(fill(13, kBtcPerp, Side::kSell, "5"_d, "90"_d)));  // closes 3 (-39), opens 2 short
  p = a.position(kBtcPerp);
  CHECK(p->leg(PositionSide::kBoth).position.size == "-2"_d);
  CHECK(p->leg(PositionSide::kBoth).position.entry_price() == "90"_d);  // reset on flip
  CHECK(free_of(a, kUsdt, Market::kUsdm) == "967.96"_d);
  CHECK(a.unrealized_e18(kBtcPerp, PositionSide::kBoth, "80"_d) ==
        Int128{20} * 1'000'000'000'000'000'000);
  ok(a, ev(FundingPaid{kAcct, kBtcPerp, kUsdt, "-1.5"_d}));
  CHECK(free_of(a, kUsdt, Market::kUsdm) == "966.46"_d);
  CHECK(a.position(kBtcPerp)->funding == "-1.5"_d);
  ok(a, ev(LeverageChanged{kAcct, kBtcPerp, 20}));
  ok(a, ev(MarginTypeChanged{kAcct, kBtcPerp, MarginType::kIsolated}));
  ok(a, ev(IsolatedMarginChanged{kAcct, kBtcPerp, PositionSide::kBoth, kUsdt, "50"_d}));
  CHECK(a.position(kBtcPerp)->leverage == 20);
  CHECK(a.position(kBtcPerp)->margin_type == MarginType::kIsolated);
  CHECK(a.position(kBtcPerp)->leg(PositionSide::kBoth).isolated_margin == "50"_d);
  CHECK(free_of(a, kUsdt, Market::kUsdm) == "916.46"_d);
  CHECK(fails(a, ev(PositionModeChanged{kAcct, ExchangeId::kBinance, Market::kUsdm, true})) ==
        AccountErrorCode::kOpenPositions);
}

TEST_CASE("futures reduce with an inexact average: the remaining cost keeps every 1e-18") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kUsdt, "1000"_d, {}, Market::kUsdm)));
  ok(a, ev(fill(20, kBtcPerp, Side::kBuy, "1"_d, "100"_d)));
  ok(a, ev(fill(21, kBtcPerp, Side::kBuy, "2"_d, "101"_d)));
  const NetPosition* p = &a.position(kBtcPerp)->leg(PositionSide::kBoth).position;
  CHECK(p->entry_price() == "100.666666667"_d);
  ok(a, ev(fill(22, kBtcPerp, Side::kSell, "1"_d, "102"_d)));
  p = &a.position(kBtcPerp)->leg(PositionSide::kBoth).position;
  // released = 302 / 3 rounded half-even at 1e-18 = 100.666666666666666667
  CHECK(p->realized_e18 == Int128{1'333'333'333'333'333'333});
  CHECK(p->cost_e18 == Int128{201'333'333'333} * 1'000'000'000 + 333'333'333);
  CHECK(free_of(a, kUsdt, Market::kUsdm) == "1001.333333333"_d);
  ok(a, ev(fill(23, kBtcPerp, Side::kSell, "2"_d, "102"_d)));
  p = &a.position(kBtcPerp)->leg(PositionSide::kBoth).position;
  CHECK(p->realized_e18 == Int128{4} * 1'000'000'000'000'000'000);  // 306 - 302, exactly
  CHECK(p->cost_e18 == 0);
  CHECK(free_of(a, kUsdt, Market::kUsdm) == "1004"_d);  // no rounding residue
}

TEST_CASE(
    "futures hedge mode: legs by the order's position side; overclose and missing side refused") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kUsdt, "1000"_d, {}, Market::kUsdm)));
  ok(a, ev(PositionModeChanged{kAcct, ExchangeId::kBinance, Market::kUsdm, true}));
  CHECK(a.hedge_mode());
  ok(a, ev(submit(30, kBtcPerp, Side::kBuy, "1"_d, "100"_d)));
  ok(a, ev(OrderPositionSideSet{kAcct, kBtcPerp, cid(30), PositionSide::kLong}));
  ok(a, ev(fill(30, kBtcPerp, Side::kBuy, "1"_d, "100"_d)));
  ok(a, ev(submit(31, kBtcPerp, Side::kSell, "2"_d, "105"_d)));
  ok(a, ev(OrderPositionSideSet{kAcct, kBtcPerp, cid(31), PositionSide::kShort}));
  ok(a, ev(fill(31, kBtcPerp, Side::kSell, "2"_d, "105"_d)));
  const FuturesPosition* p = a.position(kBtcPerp);
  CHECK(p->leg(PositionSide::kLong).position.size == "1"_d);
  CHECK(p->leg(PositionSide::kShort).position.size == "-2"_d);
  CHECK(p->leg(PositionSide::kShort).position.entry_price() == "105"_d);
  CHECK(p->leg(PositionSide::kBoth).position.size == "0"_d);
  ok(a, ev(submit(32, kBtcPerp, Side::kSell, "2"_d, "110"_d)));
  ok(a, ev(OrderPositionSideSet{kAcct, kBtcPerp, cid(32), PositionSide::kLong}));
  CHECK(fails(a, ev(fill(32, kBtcPerp, Side::kSell, "2"_d, "110"_d))) ==
        AccountErrorCode::kLegOverclose);
  ok(a, ev(fill(32, kBtcPerp, Side::kSell, "1"_d, "110"_d)));  // closes the long leg: +10
  CHECK(a.position(kBtcPerp)->leg(PositionSide::kLong).position.size == "0"_d);
  CHECK(free_of(a, kUsdt, Market::kUsdm) == "1010"_d);
  CHECK(fails(a, ev(fill(99, kBtcPerp, Side::kBuy, "1"_d, "100"_d))) ==
        AccountErrorCode::kMissingPositionSide);
}

TEST_CASE("PositionUpdated is authoritative and records the size drift") {
  AccountCore a(kAcct, table());
  ok(a, ev(bal(kUsdt, "1000"_d, {}, Market::kUsdm)));
  ok(a, ev(fill(40, kBtcPerp, Side::kBuy, "1"_d, "100"_d)));
  PositionUpdated u{kAcct,   kBtcPerp, PositionSide::kBoth, "1.5"_d,
                    "101"_d, 10,       MarginType::kCross,  {},
                    "3"_d,   "0"_d};
  ok(a, ev(u));
  const FuturesLeg& l = a.position(kBtcPerp)->leg(PositionSide::kBoth);
  CHECK(l.position.size == "1.5"_d);
  CHECK(l.position.entry_price() == "101"_d);
  CHECK(l.size_drift == "0.5"_d);
  CHECK(l.venue_unrealized == "3"_d);
  CHECK(a.position(kBtcPerp)->leverage == 10);
}

TEST_CASE("transfer spot -> usdm: held in spot locked until completed; failure returns it") {
  AccountBook book(table(), 3);
  REQUIRE(book.apply(ev(bal(kUsdt, "100"_d))).ok());
  REQUIRE(book.apply(ev(TransferRequested{7, kAcct, kAcct, Market::kSpot, Market::kUsdm, kUsdt,
                                          "40"_d}))
              .ok());
  CHECK(free_of(book[kAcct], kUsdt) == "60"_d);
  CHECK(locked_of(book[kAcct], kUsdt) == "40"_d);
  REQUIRE(book.apply(ev(TransferCompleted{7, {}})).ok());
  CHECK(locked_of(book[kAcct], kUsdt) == "0"_d);
  CHECK(free_of(book[kAcct], kUsdt, Market::kUsdm) == "40"_d);
  REQUIRE(book.apply(ev(TransferRequested{8, kAcct, AccountId{2}, Market::kSpot, Market::kSpot,
                                          kUsdt, "10"_d}))
              .ok());
  REQUIRE(book.apply(ev(TransferFailed{8, 4001, 0, {}})).ok());
  CHECK(free_of(book[kAcct], kUsdt) == "60"_d);
  CHECK(free_of(book[AccountId{2}], kUsdt) == "0"_d);
  CHECK(book[AccountId{2}] == AccountCore(AccountId{2}, table()));
  BalanceUpdated stray = bal(kUsdt, "1"_d);
  stray.account = AccountId{5};  // beyond the book
  auto r = book.apply(ev(stray));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == AccountErrorCode::kWrongAccount);
}

// ---- properties ---------------------------------------------------------------------------------
namespace {

Decimal rnd_dec(std::mt19937_64& g, std::int64_t lo, std::int64_t hi, std::int64_t unit) {
  return Decimal::from_raw(Int128{std::uniform_int_distribution<std::int64_t>(lo, hi)(g)} * unit);
}

}  // namespace

TEST_CASE("property: random spot sequences never go negative, locks add up, replay equals live") {
  std::mt19937_64 g(20261126);
  const AssetCode assets[] = {kUsdt, kBtc, kBnb};
  int fills_applied = 0, refused = 0;
  for (int seq = 0; seq < 2000; ++seq) {
    AccountCore a(kAcct, table());
    std::vector<Event> events;
    auto push = [&](const Event& e) {
      const AccountCore before = a;
      auto r = a.apply(e);
      if (!r) REQUIRE(a == before);
      if (r && std::holds_alternative<FillReceived>(e.payload)) ++fills_applied;
      if (!r) ++refused;
      events.push_back(e);
    };
    push(ev(bal(kUsdt, rnd_dec(g, 0, 5000, Decimal::kOne))));
    push(ev(bal(kBtc, rnd_dec(g, 0, 50, Decimal::kOne / 10))));
    push(ev(bal(kBnb, rnd_dec(g, 0, 100, Decimal::kOne / 100))));
    int next_id = 1;
    for (int step = 0; step < 40; ++step) {
      const int what = std::uniform_int_distribution<int>(0, 9)(g);
      const auto& open = a.open_orders();
      if (what < 3 || open.empty()) {
        const InstrumentId inst = (g() & 1) ? kBtcSpot : kBnbSpot;
        push(ev(submit(next_id++, inst, (g() & 1) ? Side::kBuy : Side::kSell,
                       rnd_dec(g, 1, 100, Decimal::kOne / 1000), rnd_dec(g, 1, 20000, 1'000'000))));
      } else {
        const OrderLock o = open[g() % open.size()];
        const int id = std::stoi(std::string(o.client_order_id.view().substr(1)));
        const Decimal left = Decimal::from_raw(o.quantity.raw() - o.filled.raw());
        if (what < 8 && left.is_positive()) {
          const Decimal q =
              Decimal::from_raw(std::uniform_int_distribution<std::int64_t>(1, static_cast<std::int64_t>(left.raw()))(g));
          const Decimal px = Decimal::from_raw(std::max<Int128>(
              1, o.lock_price.raw() - std::uniform_int_distribution<std::int64_t>(-100, 1000)(g)));
          push(ev(fill(id, o.instrument, o.side, q,
                       o.side == Side::kBuy ? px : rnd_dec(g, 1, 20000, 1'000'000),
                       rnd_dec(g, 0, 100, 1000), assets[g() % 3])));
        } else {
          push(ev(OrderCanceled{kAcct, o.instrument, o.client_order_id, o.filled}));
        }
      }
      for (const Balance& b : a.balances()) {
        REQUIRE_FALSE(b.free.is_negative());
        REQUIRE_FALSE(b.locked.is_negative());
      }
      // No venue override after the start: every locked figure is the sum of its orders' locks.
      for (const AssetCode& asset : assets) {
        Int128 sum = 0;
        for (const OrderLock& o : a.open_orders()) {
          const bool base_lock = o.side == Side::kSell;
          const AssetCode& la = base_lock ? (o.instrument == kBtcSpot ? kBtc : kBnb) : kUsdt;
          if (la == asset) sum += o.locked.raw();
        }
        REQUIRE(locked_of(a, asset).raw() == sum);
      }
    }
    REQUIRE(AccountCore::from_events(kAcct, table(), events) == a);
  }
  MESSAGE("fills applied " << fills_applied << ", events refused " << refused);
  CHECK(fills_applied > 10000);  // the sequences exercise fills and refusals alike
  CHECK(refused > 300);
}

TEST_CASE(
    "property: random futures fills: size = sum of fills, realized + unrealized = cash flow") {
  std::mt19937_64 g(7);
  for (int seq = 0; seq < 2000; ++seq) {
    AccountCore a(kAcct, table());
    std::vector<Event> events{ev(bal(kUsdt, "10000000"_d, {}, Market::kUsdm))};
    REQUIRE(a.apply(events[0]).ok());
    Int128 cash_e18 = 0;
    Int128 size = 0, fees = 0;
    for (int step = 0; step < 30; ++step) {
      const Side side = (g() & 1) ? Side::kBuy : Side::kSell;
      const Decimal q = rnd_dec(g, 1, 5000, 100'000);          // 0.001 .. 5
      const Decimal px = rnd_dec(g, 1, 9'000'000, 1'000'000);  // 0.01 .. 90000
      const Decimal fee = rnd_dec(g, 0, 1000, 1000);
      const Event e = ev(fill(1000 + step, kBtcPerp, side, q, px, fee));
      events.push_back(e);
      REQUIRE(a.apply(e).ok());
      const Int128 d = side == Side::kBuy ? q.raw() : -q.raw();
      size += d;
      cash_e18 -= d * px.raw();
      fees += fee.raw();
    }
    const NetPosition& p = a.position(kBtcPerp)->leg(PositionSide::kBoth).position;
    REQUIRE(p.size.raw() == size);
    const Decimal mark = rnd_dec(g, 1, 9'000'000, 1'000'000);
    REQUIRE(p.realized_e18 + *p.unrealized_e18(mark) == cash_e18 + size * mark.raw());
    Decimal realized;
    REQUIRE(round_e18(p.realized_e18, realized));
    REQUIRE(free_of(a, kUsdt, Market::kUsdm).raw() ==
            Decimal::from_int(10'000'000).value().raw() + realized.raw() - fees);
    REQUIRE(AccountCore::from_events(kAcct, table(), events) == a);
  }
}

TEST_CASE("property: hedge-mode legs never cross zero and each keeps the cash-flow identity") {
  std::mt19937_64 g(99);
  int overclosed = 0;
  for (int seq = 0; seq < 1000; ++seq) {
    AccountCore a(kAcct, table());
    std::vector<Event> events{
        ev(bal(kUsdt, "10000000"_d, {}, Market::kUsdm)),
        ev(PositionModeChanged{kAcct, ExchangeId::kBinance, Market::kUsdm, true})};
    for (const Event& e : events) REQUIRE(a.apply(e).ok());
    std::array<Int128, 3> size{};
    std::array<Int128, 3> cash{};
    auto push = [&](const Event& e) {
      events.push_back(e);
      return a.apply(e);
    };
    for (int step = 0; step < 20; ++step) {
      const int id = 5000 + step;
      const PositionSide leg = (g() & 1) ? PositionSide::kLong : PositionSide::kShort;
      const Side side = (g() & 1) ? Side::kBuy : Side::kSell;
      const Decimal q = rnd_dec(g, 1, 500, 1'000'000);
      const Decimal px = rnd_dec(g, 1, 9'000'000, 1'000'000);
      REQUIRE(push(ev(submit(id, kBtcPerp, side, q, px))).ok());
      REQUIRE(push(ev(OrderPositionSideSet{kAcct, kBtcPerp, cid(id), leg})).ok());
      const AccountCore before = a;
      auto r = push(ev(fill(id, kBtcPerp, side, q, px)));
      const auto li = static_cast<std::size_t>(leg);
      const Int128 d = side == Side::kBuy ? q.raw() : -q.raw();
      const Int128 next = size[li] + d;
      if ((leg == PositionSide::kLong && next < 0) || (leg == PositionSide::kShort && next > 0)) {
        REQUIRE_FALSE(r.ok());
        REQUIRE(r.error().code == AccountErrorCode::kLegOverclose);
        REQUIRE(a == before);
        ++overclosed;
        REQUIRE(push(ev(OrderCanceled{kAcct, kBtcPerp, cid(id), Decimal{}})).ok());
        continue;
      }
      REQUIRE(r.ok());
      size[li] = next;
      cash[li] -= d * px.raw();
    }
    REQUIRE(a.open_orders().empty());
    const Decimal mark = rnd_dec(g, 1, 9'000'000, 1'000'000);
    const FuturesPosition* p = a.position(kBtcPerp);
    for (PositionSide leg : {PositionSide::kLong, PositionSide::kShort}) {
      const auto li = static_cast<std::size_t>(leg);
      const Int128 sz = p ? p->leg(leg).position.size.raw() : 0;
      REQUIRE(sz == size[li]);
      if (p)
        REQUIRE(p->leg(leg).position.realized_e18 + *p->leg(leg).position.unrealized_e18(mark) ==
                cash[li] + sz * mark.raw());
    }
    REQUIRE(AccountCore::from_events(kAcct, table(), events) == a);
  }
  CHECK(overclosed > 100);  // the sequences do try to cross zero
}

// ---- issue 16's Decimal range through the cores that keep the figures ------------------------
// A KRW balance of 10^12 won, an order of 10^13 units of a low-priced KRW token, its KRW notional
// and its value in USDT, a 1e-9 tick: exact in the account, position and risk cores; a product
// beyond 128 bits an error there, never a wrap.
namespace {

constexpr InstrumentId kTokenKrw{0}, kUsdtKrw{1};
const AssetCode kKrw = "KRW", kToken = "XYZ";

const InstrumentTable& krw_table() {
  static const InstrumentTable t = [] {
    std::vector<Instrument> v{make(kTokenKrw, ExchangeId::kUpbit, Market::kSpot, "XYZ", "KRW", ""),
                              make(kUsdtKrw, ExchangeId::kUpbit, Market::kSpot, "USDT", "KRW", "")};
    return InstrumentTable::from(v).value();
  }();
  return t;
}

const Decimal kUnits = "10000000000000"_d;     // 10^13 XYZ
const Decimal kPrice = "0.123456789"_d;       // KRW, on a 1e-9 tick
const Decimal kNotional = "1234567890000"_d;  // 10^13 x 0.123456789 KRW, exact
const Decimal kWon = "1000000000000.5"_d;     // 10^12 KRW and a half

}  // namespace

TEST_CASE("range: a 10^12 KRW balance locks and pays a 10^13-unit order exactly") {
  REQUIRE(*kUnits.mul(kPrice, Rounding::kExact) == kNotional);
  AccountCore a(kAcct, krw_table());
  ok(a, ev(BalanceUpdated{kAcct, ExchangeId::kUpbit, Market::kSpot, kKrw, "2000000000000.5"_d, {}}));
  ok(a, ev(submit(1, kTokenKrw, Side::kBuy, kUnits, kPrice)));
  CHECK(locked_of(a, kKrw) == kNotional);
  CHECK(free_of(a, kKrw) == "765432110000.5"_d);
  // Filled a tick better (1 234 567 880 000 KRW paid), a fee with every one of 9 decimals.
  ok(a, ev(fill(1, kTokenKrw, Side::kBuy, kUnits, "0.123456788"_d, "617283940.123456789"_d, kKrw)));
  CHECK(locked_of(a, kKrw).is_zero());
  // 2 000 000 000 000.5 - 1 234 567 880 000 - 617 283 940.123456789
  CHECK(free_of(a, kKrw) == "764814836060.376543211"_d);
  CHECK(free_of(a, kToken) == kUnits);
  // A balance of 10^12 won does not pay an order of 10^13 at 0.123456789: refused, unchanged.
  AccountCore b(kAcct, krw_table());
  ok(b, ev(BalanceUpdated{kAcct, ExchangeId::kUpbit, Market::kSpot, kKrw, kWon, {}}));
  const AccountCore before = b;
  auto r = b.apply(ev(submit(2, kTokenKrw, Side::kBuy, kUnits, kPrice)));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == AccountErrorCode::kInsufficientBalance);
  CHECK(r.error().have == kWon);
  CHECK(r.error().need == kNotional);
  CHECK(b == before);
}

TEST_CASE("range: positions and PnL of 10^13 units at a 1e-9 price are exact at 1e-18") {
  PositionCore pc(krw_table(), 2);
  REQUIRE(pc.on_fill(fill(1, kTokenKrw, Side::kBuy, kUnits, kPrice, {}, kKrw)));
  REQUIRE(pc.on_fill(fill(2, kTokenKrw, Side::kSell, "4000000000000"_d, "0.12345679"_d, {}, kKrw)));
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
  CHECK_FALSE(pc.on_fill(fill(3, kTokenKrw, Side::kBuy, "1000000000000000"_d, "1000000000000000"_d, {}, kKrw)));
  CHECK(pc.net(kAcct, kTokenKrw)->position == kept);
}

TEST_CASE("range: risk values a 10^13-unit KRW order in USDT exactly and refuses one 1e-9 over") {
  RiskCore core(2, 1, 2);
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
  // 1 234 567 890 000 KRW / 1250 = 987 654 312 USDT: the notional converted whole, not a unit
  // price rounded to 1e-9 USDT times 10^13 (that would be 987 660 000).
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "987654312"_d));
  CHECK(core.check(o, 0).passed());
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "987654311.999999999"_d));
  const RiskDecision d = core.check(o, 0);
  CHECK(d.code == RiskCode::kOrderNotional);
  CHECK(d.value == "987654312"_d);
  // A quantity limit is one int64 at 1e-9: 10^13 is beyond what it holds (kMaxLimit), so it is
  // refused where it is set rather than cut; unlimited, the order passes.
  CHECK(kUnits > kMaxLimit);
  CHECK_FALSE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderQuantity, kUnits));
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "1000000000"_d));
  REQUIRE(core.on_fill(RiskFill{kAcct, StrategyId{0}, kTokenKrw, Side::kBuy, kPrice, kUnits, {}, {}, {}}));
  CHECK(core.position(kAcct, kTokenKrw) == kUnits);
  CHECK(core.gross_exposure(LimitScope::kAccount, kAcct.value) == "987654312"_d);
}
