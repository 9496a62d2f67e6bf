// Pins the valuation in USDT of instruments quoted in another currency (risk_core.hpp,
// QuoteSource; valuation.hpp): Upbit's BTC/KRW through USDT/KRW (divided), a BTC-quoted pair
// through BTC/USDT (multiplied), USDT/KRW priced by itself; no rate yet refuses what adds risk
// and holds fills until the rate comes; a quote no instrument prices is never valued; the
// sources found from an instrument table; KRW balances in the account's equity.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "oms/cores/risk_core.hpp"
#include "oms/cores/valuation.hpp"
#include "testkit/printers.hpp"

using namespace oms;
using namespace oms::actors;
using namespace oms::decimal_literals;

namespace {

const AccountId kAcc{1};
const StrategyId kStrat{0};
const InstrumentId kBtcKrw{0}, kUsdtKrw{1}, kEthBtc{2}, kBtcUsdt{3}, kXyz{4};
constexpr std::size_t kInstruments = 5;

OrderRequest order(InstrumentId i, Side side, Decimal price, Decimal qty) {
  OrderRequest o;
  o.account = kAcc;
  o.strategy = kStrat;
  o.instrument = i;
  o.side = side;
  o.price = price;
  o.quantity = qty;
  o.reference = price;
  return o;
}

RiskFill fill(InstrumentId i, Side side, Decimal price, Decimal qty, Decimal fee = {}) {
  return RiskFill{kAcc, kStrat, i, side, price, qty, fee, {}, {}};
}

void must(const Result<Unit, RiskCode>& r) { REQUIRE(r.ok()); }

// BTC/KRW and USDT/KRW through USDT/KRW's mark (inverse), ETH/BTC through BTC/USDT's, XYZ none.
void krw_sources(RiskCore& core) {
  REQUIRE(core.set_quote_source(kBtcKrw, QuoteSource{kUsdtKrw, true}));
  REQUIRE(core.set_quote_source(kUsdtKrw, QuoteSource{kUsdtKrw, true}));
  REQUIRE(core.set_quote_source(kEthBtc, QuoteSource{kBtcUsdt, false}));
  REQUIRE(core.set_quote_source(kXyz, QuoteSource{{}, false, true}));
}

}  // namespace

TEST_CASE("a KRW order is refused until USDT/KRW has a mark, then valued in USDT against the limits") {
  RiskCore core(3, 1, kInstruments);
  krw_sources(core);
  auto o = order(kBtcKrw, Side::kBuy, "135000000"_d, "0.01"_d);  // 1 350 000 KRW
  RiskDecision d = core.check(o, 0);
  CHECK(d.code == RiskCode::kNoQuoteRate);
  CHECK(d.scope == LimitScope::kInstrument);
  CHECK(d.scope_id == kBtcKrw.value);
  CHECK(d.value == "135000000"_d);
  CHECK(describe(d).find("cannot be valued in USDT") != std::string::npos);

  must(core.on_mark(kUsdtKrw, "1350"_d));
  // 1 350 000 KRW / 1350 = 1000 USDT: a 1000 USDT limit passes, one a unit under refuses.
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "1000"_d));
  CHECK(core.check(o, 0).passed());
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "999.99999999"_d));
  d = core.check(o, 0);
  CHECK(d.code == RiskCode::kOrderNotional);
  CHECK(d.value == "1000"_d);
  CHECK(describe(d).find("1000 USDT > limit 999.99999999") != std::string::npos);
  // Gross exposure in USDT too: 0.01 BTC at the order's 135 000 000 KRW (no mark yet).
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "1000000"_d));
  REQUIRE(core.limits().set(LimitScope::kAccount, kAcc.value, LimitKind::kGrossExposure, "999"_d));
  d = core.check(o, 0);
  CHECK(d.code == RiskCode::kGrossExposure);
  CHECK(d.value == "1000"_d);
}

TEST_CASE("a KRW fill counts in USDT at its rate; the rate's moves revalue the position") {
  RiskCore core(3, 1, kInstruments);
  krw_sources(core);
  must(core.on_mark(kUsdtKrw, "1350"_d));
  must(core.on_fill(fill(kBtcKrw, Side::kBuy, "135000000"_d, "0.01"_d, "675"_d)));  // fee 675 KRW
  CHECK(core.position(kAcc, kBtcKrw) == "0.01"_d);
  CHECK(core.gross_exposure(LimitScope::kAccount, kAcc.value) == "1000"_d);
  // The fee is 0.5 USDT of realized loss (not 675).
  CHECK(core.daily_loss(LimitScope::kAccount, kAcc.value) == "0.5"_d);
  // KRW weakens to 1500 per USDT with BTC/KRW unchanged: the BTC is worth 900 USDT now.
  must(core.on_mark(kUsdtKrw, "1500"_d));
  CHECK(core.gross_exposure(LimitScope::kGlobal, 0) == "900"_d);
  CHECK(core.daily_loss(LimitScope::kAccount, kAcc.value) == "100.5"_d);
  // BTC/KRW's own mark moves: 148 500 000 KRW / 1500 = 99 000 USDT per BTC.
  must(core.on_mark(kBtcKrw, "148500000"_d));
  CHECK(core.gross_exposure(LimitScope::kGlobal, 0) == "990"_d);
  // Sold at 148 500 000 KRW at 1500: 990 USDT for what cost 1000: realized -10 - 0.5 fee.
  must(core.on_fill(fill(kBtcKrw, Side::kSell, "148500000"_d, "0.01"_d)));
  CHECK(core.position(kAcc, kBtcKrw).is_zero());
  CHECK(core.gross_exposure(LimitScope::kGlobal, 0).is_zero());
  CHECK(core.daily_loss(LimitScope::kAccount, kAcc.value) == "10.5"_d);
  // USDT/KRW priced by itself: 100 USDT bought at 1350 KRW is 100 USDT of exposure.
  must(core.on_fill(fill(kUsdtKrw, Side::kBuy, "1350"_d, "100"_d)));
  CHECK(core.gross_exposure(LimitScope::kGlobal, 0) == "100"_d);
}

TEST_CASE("a BTC-quoted pair is valued through BTC/USDT's mark (multiplied)") {
  RiskCore core(3, 1, kInstruments);
  krw_sources(core);
  const auto o = order(kEthBtc, Side::kBuy, "0.05"_d, "2"_d);
  CHECK(core.check(o, 0).code == RiskCode::kNoQuoteRate);
  must(core.on_mark(kBtcUsdt, "60000"_d));
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "5999.99999999"_d));
  const RiskDecision d = core.check(o, 0);
  CHECK(d.code == RiskCode::kOrderNotional);
  CHECK(d.value == "6000"_d);  // 2 x 0.05 BTC x 60000
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "6000"_d));
  CHECK(core.check(o, 0).passed());
}

TEST_CASE("fills before the rate are held in order, kept by a checkpoint, and counted when it comes") {
  RiskCore core(3, 1, kInstruments);
  krw_sources(core);
  must(core.on_fill(fill(kBtcKrw, Side::kBuy, "135000000"_d, "0.02"_d)));
  must(core.on_fill(fill(kBtcKrw, Side::kSell, "148500000"_d, "0.01"_d)));
  CHECK(core.held_fills() == 2);
  CHECK(core.position(kAcc, kBtcKrw).is_zero());
  // Held state survives a checkpoint.
  Directory names;
  for (const char* a : {"a0", "a1", "a2"}) (void)names.accounts.intern(a);
  (void)names.strategies.intern("s0");
  for (const char* i : {"i0", "i1", "i2", "i3", "i4"}) (void)names.instruments.intern(i);
  StateWriter w(names);
  core.save(w);
  RiskCore copy(3, 1, kInstruments);
  krw_sources(copy);
  StateReader r(w.bytes(), names);
  copy.load(r);
  REQUIRE(r.ok());
  CHECK(copy.held_fills() == 2);
  // The rate comes: both fills counted, in order, at 1350 and 1350.
  for (RiskCore* c : {&core, &copy}) {
    must(c->on_mark(kUsdtKrw, "1350"_d));
    CHECK(c->held_fills() == 0);
    CHECK(c->position(kAcc, kBtcKrw) == "0.01"_d);
    // Bought 0.02 at 100 000 USDT, sold 0.01 at 110 000: +100 realized; 0.01 left, valued at
    // the first fill's price (the instrument's first mark, no book yet): 1000 USDT, flat.
    CHECK(c->daily_loss(LimitScope::kAccount, kAcc.value) == "-100"_d);
    CHECK(c->gross_exposure(LimitScope::kAccount, kAcc.value) == "1000"_d);
  }
}

TEST_CASE("a quote no instrument prices is never valued; more than kMaxHeldFills held halts the account") {
  RiskCore core(3, 1, kInstruments);
  krw_sources(core);
  // A position in the never-priced XYZ instrument: its fills wait forever.
  must(core.on_fill(fill(kXyz, Side::kBuy, "5"_d, "1"_d)));
  CHECK(core.check(order(kXyz, Side::kBuy, "5"_d, "1"_d), 0).code == RiskCode::kNoQuoteRate);
  // A KRW position counted while the rate was there, then a sell that reduces it: passes.
  must(core.on_mark(kUsdtKrw, "1350"_d));
  must(core.on_fill(fill(kBtcKrw, Side::kBuy, "135000000"_d, "0.02"_d)));
  REQUIRE(core.limits().set(LimitScope::kGlobal, 0, LimitKind::kOrderNotional, "1"_d));
  CHECK(core.check(order(kBtcKrw, Side::kSell, "135000000"_d, "0.01"_d), 0).code == RiskCode::kOrderNotional);
  RiskCore cold(3, 1, kInstruments);
  krw_sources(cold);  // the same exit with no rate at all: the position is unknown here
  CHECK(cold.check(order(kBtcKrw, Side::kSell, "135000000"_d, "0.01"_d), 0).code == RiskCode::kNoQuoteRate);
  for (std::size_t k = 1; k < RiskCore::kMaxHeldFills; ++k) must(core.on_fill(fill(kXyz, Side::kBuy, "5"_d, "1"_d)));
  CHECK(core.held_fills() == RiskCore::kMaxHeldFills);
  const auto over = core.on_fill(fill(kXyz, Side::kBuy, "5"_d, "1"_d));
  REQUIRE(!over.ok());
  CHECK(over.error() == RiskCode::kNoQuoteRate);
  CHECK(core.limits().at(LimitScope::kAccount, kAcc.value).load_kill_switch() == KillSwitchState::kHalted);
}

TEST_CASE("set_quote_source refuses a chain of rates and an id out of range") {
  RiskCore core(1, 1, kInstruments);
  REQUIRE(core.set_quote_source(kEthBtc, QuoteSource{kBtcUsdt, false}));
  // BTC/USDT prices ETH/BTC: it cannot be priced through another instrument itself.
  CHECK_FALSE(core.set_quote_source(kBtcUsdt, QuoteSource{kUsdtKrw, true}));
  CHECK(core.set_quote_source(kBtcUsdt, QuoteSource{kBtcUsdt, true}));  // by itself: allowed
  REQUIRE(core.set_quote_source(kBtcUsdt, QuoteSource{}));
  // USDT/KRW priced by BTC/KRW while BTC/KRW is priced by USDT/KRW: a chain.
  REQUIRE(core.set_quote_source(kBtcKrw, QuoteSource{kUsdtKrw, true}));
  CHECK_FALSE(core.set_quote_source(kUsdtKrw, QuoteSource{kBtcKrw, true}));
  CHECK_FALSE(core.set_quote_source(InstrumentId{9}, QuoteSource{}));
  CHECK_FALSE(core.set_quote_source(kBtcKrw, QuoteSource{InstrumentId{9}, true}));
  CHECK(core.quote_source(kBtcKrw).rate == kUsdtKrw);
}

namespace {

Instrument make(std::uint16_t id, ExchangeId ex, std::string base, std::string quote) {
  Instrument in;
  in.id = InstrumentId{id};
  in.exchange = ex;
  in.market = Market::kSpot;
  in.venue_symbol = base + quote;
  in.symbol = CanonicalSymbol{base, quote, "", ""};
  return in;
}

}  // namespace

TEST_CASE("quote_sources: KRW through Upbit's USDT/KRW, BTC through the same venue's BTC/USDT, XYZ unpriced") {
  const std::vector<Instrument> v{
      make(0, ExchangeId::kUpbit, "BTC", "KRW"),  make(1, ExchangeId::kUpbit, "USDT", "KRW"),
      make(2, ExchangeId::kUpbit, "ETH", "BTC"),  make(3, ExchangeId::kBinance, "BTC", "USDT"),
      make(4, ExchangeId::kUpbit, "BTC", "USDT"), make(5, ExchangeId::kBinance, "ETH", "XYZ"),
      make(6, ExchangeId::kBinance, "ETH", "BTC")};
  const InstrumentTable table = InstrumentTable::from(v).value();
  std::vector<std::string> notes;
  const auto s = quote_sources(table, &notes);
  REQUIRE(s.size() == v.size());
  CHECK(s[0].rate == InstrumentId{1});
  CHECK(s[0].inverse);
  CHECK(s[1].rate == InstrumentId{1});  // USDT/KRW prices itself
  CHECK(s[1].inverse);
  CHECK(s[2].rate == InstrumentId{4});  // Upbit's BTC/USDT for Upbit's ETH/BTC
  CHECK_FALSE(s[2].inverse);
  CHECK(s[6].rate == InstrumentId{3});  // Binance's for Binance's
  CHECK_FALSE(s[3].rate.valid());
  CHECK_FALSE(s[3].unpriced);
  CHECK(s[5].unpriced);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("XYZ") != std::string::npos);
  // Every source is one a RiskCore takes.
  RiskCore core(1, 1, v.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    CHECK(core.set_quote_source(InstrumentId{static_cast<std::uint16_t>(i)}, s[i]));
  }

  // Equity: 1 350 000 KRW at 1350 KRW per USDT is 1000 USDT; BTC at BTC/USDT's mark.
  AccountCore account(kAcc, table);
  for (const auto& [asset, amount] : {std::pair{"KRW", "1350000"}, std::pair{"BTC", "0.01"}, std::pair{"USDT", "5"}}) {
    AssetCode code;
    REQUIRE(code.assign(asset));
    const auto r = account.apply(Event{Envelope{}, EventPayload{BalanceUpdated{kAcc, ExchangeId::kUpbit, Market::kSpot,
                                                                              code, Decimal::parse(amount).value(), {}}}});
    REQUIRE(r.ok());
  }
  const UsdtPricing pricing(table);
  std::vector<Decimal> marks(v.size());
  CHECK(pricing.equity(account, marks) == "5"_d);  // no marks: only USDT counts
  marks[1] = "1350"_d;
  marks[3] = "60000"_d;
  marks[4] = "60000"_d;
  CHECK(pricing.equity(account, marks) == "1605"_d);
}

TEST_CASE("premium_pairs and premium_bps: Upbit's BTC/KRW over Binance's BTC/USDT at USDT/KRW") {
  const std::vector<Instrument> v{
      make(0, ExchangeId::kUpbit, "BTC", "KRW"),   make(1, ExchangeId::kUpbit, "USDT", "KRW"),
      make(2, ExchangeId::kBinance, "BTC", "USDT"), make(3, ExchangeId::kUpbit, "ETH", "KRW"),
      make(4, ExchangeId::kUpbit, "ETH", "BTC"),    make(5, ExchangeId::kUpbit, "BTC", "USDT"),
      make(6, ExchangeId::kUpbit, "SOL", "KRW")};
  const InstrumentTable table = InstrumentTable::from(v).value();
  const auto pairs = premium_pairs(table, ExchangeId::kBinance);
  // ETH/KRW has no Binance ETH/USDT here, SOL/KRW neither; ETH/BTC's quote is not priced by an
  // inverse rate; USDT/KRW is the rate itself.
  REQUIRE(pairs.size() == 1);
  CHECK(pairs[0].local == InstrumentId{0});
  CHECK(pairs[0].rate == InstrumentId{1});
  CHECK(pairs[0].reference == InstrumentId{2});

  // 82 620 000 KRW at 1350 KRW per USDT is 61 200 USDT: 2 % over 60 000.
  CHECK(premium_bps("82620000"_d, "1350"_d, "60000"_d) == "200"_d);
  CHECK(premium_bps("81000000"_d, "1350"_d, "60000"_d) == "0"_d);
  // Under the reference: negative (a discount), exact to 1e-9 bps, half-even.
  CHECK(premium_bps("80000000"_d, "1350"_d, "60000"_d) == "-123.456790123"_d);
  // A KRW price of 10^12 (a low-priced token's 10^13-unit notional's scale) stays exact.
  CHECK(premium_bps("1234567890000"_d, "1250"_d, "987654312"_d) == "0"_d);
  CHECK_FALSE(premium_bps("0"_d, "1350"_d, "60000"_d).has_value());
  CHECK_FALSE(premium_bps("80000000"_d, "0"_d, "60000"_d).has_value());
  CHECK_FALSE(premium_bps("80000000"_d, "1350"_d, "0"_d).has_value());
  CHECK_FALSE(premium_bps(Decimal::from_raw(std::numeric_limits<std::int64_t>::max()), "0.00000001"_d,
                          "0.00000001"_d).has_value());
}
