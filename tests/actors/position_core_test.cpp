// Pins actors/src/position_core.cpp: the position arithmetic, PnL per account / strategy /
// venue / unified view, and on seeded random fills the identities: size = sum of signed fills,
// realized + unrealized = cash flow + marked size (exact at 1e-18), aggregations agree,
// replay equals live.
#include "oms/cores/position_core.hpp"

#include <doctest/doctest.h>

#include <array>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace oms;
using namespace oms::actors;
using namespace oms::decimal_literals;

constexpr InstrumentId kBinBtc{0}, kOkxBtc{1}, kBinEthBtc{2}, kBinPerp{3};
constexpr Int128 kE18 = Int128{1'000'000'000'000'000'000};

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
        make(kBinBtc, ExchangeId::kBinance, Market::kSpot, "BTC", "USDT", ""),
        make(kOkxBtc, ExchangeId::kOkx, Market::kSpot, "BTC", "USDT", ""),
        make(kBinEthBtc, ExchangeId::kBinance, Market::kSpot, "ETH", "BTC", ""),
        make(kBinPerp, ExchangeId::kBinance, Market::kUsdm, "BTC", "USDT", "USDT")};
    return InstrumentTable::from(v).value();
  }();
  return t;
}

FillReceived fill(AccountId acct, StrategyId strat, InstrumentId inst, Side side, Decimal qty,
                  Decimal price, Decimal fee = {}, AssetCode fee_asset = "USDT") {
  FillReceived f;
  f.account = acct;
  f.strategy = strat;
  f.instrument = inst;
  f.side = side;
  f.quantity = qty;
  f.price = price;
  f.fee = fee;
  f.fee_asset = fee_asset;
  return f;
}

Event ev(const FillReceived& f) {
  return Event{Envelope{}, EventPayload{f}};
}

const PnlFigures* line(const std::vector<PnlFigures>& v, std::string_view quote) {
  for (const PnlFigures& p : v)
    if (p.quote.view() == quote) return &p;
  return nullptr;
}

}  // namespace

TEST_CASE(
    "instrument table refuses repeated ids and a settle asset on spot, naming the instrument") {
  std::vector<Instrument> v{make(kBinBtc, ExchangeId::kBinance, Market::kSpot, "BTC", "USDT", ""),
                            make(kBinBtc, ExchangeId::kBinance, Market::kSpot, "BTC", "USDT", "")};
  auto r = InstrumentTable::from(v);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "instrument 0 (BTCUSDT): id defined twice");
  v = {make(kBinBtc, ExchangeId::kBinance, Market::kSpot, "BTC", "USDT", "USDT")};
  CHECK(InstrumentTable::from(v).error() ==
        "instrument 0 (BTCUSDT): settle must be empty exactly for spot");
}

TEST_CASE("net position vs strategy legs: netting inside the account, totals agree") {
  PositionCore pc(table(), 2);
  const AccountId a{0};
  const StrategyId s1{1}, s2{2};
  REQUIRE(pc.on_fill(fill(a, s1, kBinBtc, Side::kBuy, "1"_d, "100"_d, "0.1"_d)).ok());
  REQUIRE(pc.on_fill(fill(a, s2, kBinBtc, Side::kSell, "1"_d, "110"_d, "0.11"_d)).ok());
  // The account is flat with 10 realized; each strategy holds an open leg.
  const PositionCore::Leg* net = pc.net(a, kBinBtc);
  REQUIRE(net != nullptr);
  CHECK(net->position.size == "0"_d);
  CHECK(net->position.realized_e18 == 10 * kE18);
  CHECK(net->fees_e18 == Int128{21} * kE18 / 100);
  CHECK(pc.strategy_leg(a, s1, kBinBtc)->position.size == "1"_d);
  CHECK(pc.strategy_leg(a, s2, kBinBtc)->position.size == "-1"_d);
  pc.set_mark(kBinBtc, "105"_d);
  const auto p1 = pc.strategy_pnl(s1), p2 = pc.strategy_pnl(s2);
  CHECK(line(p1, "USDT")->unrealized_e18 == 5 * kE18);
  CHECK(line(p2, "USDT")->unrealized_e18 == 5 * kE18);
  CHECK(line(p1, "USDT")->total_e18() + line(p2, "USDT")->total_e18() ==
        line(pc.account_pnl(a), "USDT")->total_e18());
  CHECK(line(pc.account_pnl(a), "USDT")->net_e18() == 10 * kE18 - Int128{21} * kE18 / 100);
}

TEST_CASE("mark to market: long and short, entry weighted, unmarked positions are counted") {
  PositionCore pc(table(), 1);
  const AccountId a{0};
  const StrategyId s{0};
  REQUIRE(pc.on_fill(fill(a, s, kBinPerp, Side::kSell, "2"_d, "100"_d)).ok());
  REQUIRE(pc.on_fill(fill(a, s, kBinPerp, Side::kSell, "1"_d, "103"_d)).ok());
  CHECK(pc.net(a, kBinPerp)->position.entry_price() == "101"_d);
  CHECK(pc.pnl(a, kBinPerp).unmarked == 1);
  pc.set_mark(kBinPerp, "99"_d);
  CHECK(pc.pnl(a, kBinPerp).unrealized_e18 == 6 * kE18);  // -3 x 99 + 303
  CHECK(pc.pnl(a, kBinPerp).unmarked == 0);
  REQUIRE(pc.on_fill(fill(a, s, kBinPerp, Side::kBuy, "1"_d, "98"_d)).ok());
  CHECK(pc.pnl(a, kBinPerp).realized_e18 == 3 * kE18);
  CHECK(pc.net(a, kBinPerp)->position.entry_price() == "101"_d);
}

TEST_CASE("fees in another asset are listed apart; per venue and unified views") {
  PositionCore pc(table(), 3);
  REQUIRE(pc.on_fill(fill(AccountId{0}, StrategyId{0}, kBinBtc, Side::kBuy, "1"_d, "100"_d,
                          "0.001"_d, "BNB"))
              .ok());
  REQUIRE(pc.on_fill(fill(AccountId{2}, StrategyId{0}, kOkxBtc, Side::kBuy, "2"_d, "101"_d)).ok());
  REQUIRE(pc.on_fill(fill(AccountId{2}, StrategyId{0}, kBinEthBtc, Side::kBuy, "1"_d, "0.05"_d,
                          "0.00005"_d, "BTC"))
              .ok());
  REQUIRE(pc.other_fees(AccountId{0}).size() == 1);
  CHECK(pc.other_fees(AccountId{0})[0].amount == "0.001"_d);
  CHECK(pc.other_fees(AccountId{2}).empty());  // ETH/BTC fee in BTC is the quote's
  pc.set_mark(kBinBtc, "102"_d);
  pc.set_mark(kOkxBtc, "102"_d);
  pc.set_mark(kBinEthBtc, "0.06"_d);
  const auto bin = pc.venue_pnl(ExchangeId::kBinance);
  REQUIRE(bin.size() == 2);  // BTC (ETH/BTC) and USDT lines, sorted by asset
  CHECK(bin[0].quote == AssetCode("BTC"));
  CHECK(bin[0].unrealized_e18 == kE18 / 100);
  CHECK(bin[0].fees_e18 == Int128{5'000} * 10'000'000'000);  // 0.00005 BTC
  CHECK(bin[1].unrealized_e18 == 2 * kE18);
  CHECK(line(pc.venue_pnl(ExchangeId::kOkx), "USDT")->unrealized_e18 == 2 * kE18);
  const auto u = pc.unified();
  REQUIRE(u.size() == 2);
  CHECK(u[0].canonical == "BTC/USDT");
  CHECK(u[0].size_e9 == Int128{3} * Decimal::kOne);
  CHECK(u[0].pnl.unrealized_e18 == 4 * kE18);
  CHECK(u[1].canonical == "ETH/BTC");
}

TEST_CASE("bad fills are refused with the reason and change nothing") {
  PositionCore pc(table(), 1);
  const PositionCore before = pc;
  auto r = pc.on_fill(fill(AccountId{0}, StrategyId{0}, kBinBtc, Side::kBuy, "0"_d, "100"_d));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == PositionErrorCode::kInvalidFill);
  CHECK(to_string(r.error()) ==
        "position 7102 invalid fill: qty 0 price 100 (account 0, strategy 0, instrument 0)");
  r = pc.on_fill(fill(AccountId{0}, StrategyId{0}, InstrumentId{9}, Side::kBuy, "1"_d, "100"_d));
  CHECK(r.error().code == PositionErrorCode::kUnknownInstrument);
  CHECK(pc == before);
}

TEST_CASE("a fill of no strategy (a manual order) moves the account's net position only") {
  PositionCore pc(table(), 1);
  REQUIRE(pc.on_fill(fill(AccountId{0}, StrategyId{}, kBinBtc, Side::kBuy, "2"_d, "100"_d)).ok());
  REQUIRE(pc.on_fill(fill(AccountId{0}, StrategyId{0}, kBinBtc, Side::kBuy, "1"_d, "130"_d)).ok());
  const auto* net = pc.net(AccountId{0}, kBinBtc);
  REQUIRE(net != nullptr);
  CHECK(net->position.size == "3"_d);
  // The strategy's share is its own fill; no leg exists for "no strategy".
  REQUIRE(pc.strategy_leg(AccountId{0}, StrategyId{0}, kBinBtc) != nullptr);
  CHECK(pc.strategy_leg(AccountId{0}, StrategyId{0}, kBinBtc)->position.size == "1"_d);
  CHECK(pc.strategy_leg(AccountId{0}, StrategyId{}, kBinBtc) == nullptr);
}

TEST_CASE("property: random fills over accounts, strategies, venues: identities and aggregates") {
  std::mt19937_64 g(424242);
  const std::array<InstrumentId, 4> insts{kBinBtc, kOkxBtc, kBinEthBtc, kBinPerp};
  for (int seq = 0; seq < 1000; ++seq) {
    PositionCore pc(table(), 3);
    std::vector<Event> events;
    // Expected per (account, instrument): signed size and cash flow (1e-18), fees in quote.
    std::map<std::pair<int, std::uint32_t>, std::pair<Int128, Int128>> expect;
    std::map<std::string, Int128> fees_by_quote;
    for (int step = 0; step < 40; ++step) {
      const AccountId a{static_cast<std::uint16_t>(g() % 3)};
      const StrategyId s{static_cast<std::uint16_t>(g() % 4)};
      const InstrumentId i = insts[g() % insts.size()];
      const Side side = (g() & 1) ? Side::kBuy : Side::kSell;
      const Decimal q = Decimal::from_raw(static_cast<std::int64_t>(g() % 500'000'000) + 1);
      const Decimal px = Decimal::from_raw(static_cast<std::int64_t>(g() % 10'000'000'000'000) + 1);
      const Decimal fee = Decimal::from_raw(static_cast<std::int64_t>(g() % 100'000));
      const bool fee_quote = (g() % 4) != 0;
      const std::string quote = i == kBinEthBtc ? "BTC" : "USDT";
      AssetCode fa;
      REQUIRE(fa.assign(fee_quote ? quote : std::string("BNB")));
      const FillReceived f = fill(a, s, i, side, q, px, fee, fa);
      events.push_back(ev(f));
      REQUIRE(pc.on_fill(f).ok());
      auto& [size, cash] = expect[{a.value, i.value}];
      const Int128 d = side == Side::kBuy ? q.raw() : -q.raw();
      size += d;
      cash -= d * px.raw();
      if (fee_quote) fees_by_quote[quote] += fee.raw() * Decimal::kOne;
    }
    // Every instrument marked: an unmarked open leg counts 0 (not -cost), so strategy legs
    // open under a flat account would break the strategy = account identity (by design).
    for (InstrumentId i : insts)
      pc.set_mark(i, Decimal::from_raw(static_cast<std::int64_t>(g() % 10'000'000'000'000) + 1));
    // Per (account, instrument): size = sum of fills; realized + unrealized = cash + size x mark.
    for (const auto& [key, want] : expect) {
      const AccountId a{static_cast<std::uint16_t>(key.first)};
      const InstrumentId i{key.second};
      const PositionCore::Leg* net = pc.net(a, i);
      REQUIRE(net != nullptr);
      REQUIRE(net->position.size.raw() == want.first);
      const Decimal m = pc.mark(i);
      REQUIRE(net->position.realized_e18 + *net->position.unrealized_e18(m) ==
              want.second + want.first * m.raw());
    }
    // Aggregates per quote: accounts = venues = strategies (total PnL) = unified.
    for (const std::string quote : {"USDT", "BTC"}) {
      PnlFigures acc{}, ven{}, str{}, uni{};
      auto add = [&](PnlFigures& to, const std::vector<PnlFigures>& v) {
        if (const PnlFigures* p = line(v, quote)) {
          to.realized_e18 += p->realized_e18;
          to.unrealized_e18 += p->unrealized_e18;
          to.fees_e18 += p->fees_e18;
        }
      };
      for (std::uint16_t a = 0; a < 3; ++a) add(acc, pc.account_pnl(AccountId{a}));
      for (ExchangeId e : {ExchangeId::kBinance, ExchangeId::kBybit, ExchangeId::kOkx})
        add(ven, pc.venue_pnl(e));
      for (std::uint16_t s = 0; s < 4; ++s) add(str, pc.strategy_pnl(StrategyId{s}));
      for (const UnifiedLine& l : pc.unified())
        if (l.pnl.quote.view() == quote) add(uni, {l.pnl});
      REQUIRE(acc.total_e18() == ven.total_e18());
      REQUIRE(acc.realized_e18 == ven.realized_e18);
      REQUIRE(acc.total_e18() == uni.total_e18());
      REQUIRE(acc.realized_e18 == uni.realized_e18);
      REQUIRE(acc.total_e18() == str.total_e18());  // realized alone differs: netting
      REQUIRE(acc.fees_e18 == fees_by_quote[quote]);
      REQUIRE(str.fees_e18 == fees_by_quote[quote]);
    }
    PositionCore rebuilt = PositionCore::from_events(table(), 3, events);
    for (InstrumentId i : insts) rebuilt.set_mark(i, pc.mark(i));
    REQUIRE(rebuilt == pc);
  }
}
