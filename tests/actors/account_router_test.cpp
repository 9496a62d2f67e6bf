// Pins actors/src/cores/account_router.cpp: which rule decides (strategy, instrument, default),
// eligibility, and the pick among a route's accounts by order budget left, then free balance.
#include "oms/cores/account_router.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <vector>

using namespace oms;
using namespace oms::actors;

namespace {

Decimal dec(const char* s) { return *Decimal::parse(s); }

const AccountId kMain(0), kMm1(1), kMm2(2), kMm3(3), kBasis(4);
const StrategyId kMarketMaking(0), kArb(1);
const InstrumentId kSpot(0), kPerp(1);

// A desk: which accounts take the order (and on which instrument), and their figures.
struct Desk {
  std::map<AccountId, InstrumentId> takes;
  std::map<AccountId, RouteFigures> figures;
  RouteEnv env() const {
    return RouteEnv{[this](AccountId a) -> std::optional<InstrumentId> {
                      const auto it = takes.find(a);
                      if (it == takes.end()) return std::nullopt;
                      return it->second;
                    },
                    [this](AccountId a, InstrumentId) { return figures.at(a); }};
  }
};

RouteRules rules() {
  RouteRules r;
  r.default_account = kMain;
  r.strategies.push_back({kMarketMaking, {kMm1, kMm2, kMm3}});
  r.instruments.push_back({kPerp, {kBasis}});
  return r;
}

}  // namespace

TEST_CASE("pick_account: most order budget left, then most free balance, then the first listed") {
  CHECK_FALSE(pick_account({}).has_value());
  const std::vector<RouteFigures> a{{5, dec("100")}, {9, dec("1")}, {9, dec("2")}, {9, dec("2")}};
  CHECK(pick_account(a) == std::optional<std::size_t>(2));
  const std::vector<RouteFigures> b{{0, dec("100")}, {0, dec("100")}};
  CHECK(pick_account(b) == std::optional<std::size_t>(0));
  const std::vector<RouteFigures> c{{3, dec("0")}, {3, dec("0.000000001")}};
  CHECK(pick_account(c) == std::optional<std::size_t>(1));
}

TEST_CASE("a strategy's route of several accounts takes the one with the most budget left; ineligible ones are skipped") {
  Desk d;
  d.takes = {{kMain, kSpot}, {kMm1, kSpot}, {kMm2, kSpot}, {kMm3, kSpot}};
  d.figures = {{kMain, {100, dec("5")}}, {kMm1, {4, dec("1000")}}, {kMm2, {7, dec("10")}}, {kMm3, {7, dec("20")}}};
  auto c = choose_account(rules(), kMarketMaking, d.env());
  REQUIRE(c.has_value());
  CHECK(c->account == kMm3);
  CHECK(c->instrument == kSpot);
  CHECK(c->rule == RouteRule::kStrategy);
  CHECK(c->eligible == 3);
  CHECK(c->orders_left == 7);
  CHECK(c->free == dec("20"));

  d.takes.erase(kMm3);  // e.g. the client may not use it
  c = choose_account(rules(), kMarketMaking, d.env());
  REQUIRE(c.has_value());
  CHECK(c->account == kMm2);
  CHECK(c->eligible == 2);
}

TEST_CASE("a burst spreads: each order spends one of the chosen account's budget, the next goes elsewhere") {
  Desk d;
  d.takes = {{kMm1, kSpot}, {kMm2, kSpot}, {kMm3, kSpot}};
  d.figures = {{kMm1, {10, dec("0")}}, {kMm2, {10, dec("0")}}, {kMm3, {10, dec("0")}}};
  std::map<AccountId, int> sent;
  for (int i = 0; i < 30; ++i) {
    const auto c = choose_account(rules(), kMarketMaking, d.env());
    REQUIRE(c.has_value());
    REQUIRE(d.figures[c->account].orders_left > 0);
    --d.figures[c->account].orders_left;
    ++sent[c->account];
  }
  CHECK(sent[kMm1] == 10);
  CHECK(sent[kMm2] == 10);
  CHECK(sent[kMm3] == 10);
}

TEST_CASE("no strategy route, or none of its accounts eligible: the instrument's route, then the default account") {
  Desk d;
  d.takes = {{kMain, kPerp}, {kBasis, kPerp}};
  d.figures = {{kMain, {1, dec("0")}}, {kBasis, {1, dec("0")}}};
  auto c = choose_account(rules(), kMarketMaking, d.env());  // mm accounts do not trade the perp
  REQUIRE(c.has_value());
  CHECK(c->account == kBasis);
  CHECK(c->rule == RouteRule::kInstrument);
  c = choose_account(rules(), kArb, d.env());  // no route for arb
  REQUIRE(c.has_value());
  CHECK(c->account == kBasis);
  c = choose_account(rules(), StrategyId{}, d.env());
  REQUIRE(c.has_value());
  CHECK(c->account == kBasis);

  // A spot order: the instrument route is for the perp only; the default account takes it.
  d.takes = {{kMain, kSpot}, {kBasis, kSpot}};
  c = choose_account(rules(), kArb, d.env());
  REQUIRE(c.has_value());
  CHECK(c->account == kMain);
  CHECK(c->rule == RouteRule::kDefault);
  CHECK(c->eligible == 1);
}

TEST_CASE("nothing eligible anywhere, or no rules: no choice") {
  Desk d;
  CHECK_FALSE(choose_account(rules(), kMarketMaking, d.env()).has_value());
  d.takes = {{kMain, kSpot}};
  d.figures = {{kMain, {1, dec("0")}}};
  CHECK_FALSE(choose_account(RouteRules{}, kMarketMaking, d.env()).has_value());
  CHECK(RouteRules{}.empty());
  CHECK_FALSE(rules().empty());
}
