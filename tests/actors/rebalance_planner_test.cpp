// Pins actors/src/cores/rebalance_planner.cpp: exact plans -- excesses to the main account,
// top-ups from it while it keeps min_main_balance, refusals with their reason, a fixed order.
#include "oms/cores/rebalance_planner.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace oms;
using namespace oms::actors;

namespace {
Decimal d(const char* s) { return Decimal::parse(s).value(); }
const AccountId kMain{0}, kArb{1}, kMm{2}, kTrend{3}, kOtherMain{4}, kOtherSub{5};
}  // namespace

TEST_CASE("ratios: an excess goes up first, then top-ups come down, main keeps its minimum") {
  // Family total 1000: arb wants 30 % (300, holds 500: 200 up), mm 25 % (250, holds 50: 200
  // down), trend has no ratio (keeps what it holds).
  const std::vector<RebalanceAccount> accounts{
      {kMain, kMain, d("300"), {}, {}},
      {kArb, kMain, d("500"), {}, d("0.3")},
      {kMm, kMain, d("50"), {}, d("0.25")},
      {kTrend, kMain, d("150"), {}, {}},
  };
  auto plan = plan_rebalance(accounts, {d("100")});
  REQUIRE(plan.ok());
  CHECK(plan->transfers == std::vector<PlannedTransfer>{{kArb, kMain, d("200")}, {kMain, kMm, d("200")}});
  CHECK(plan->refused.empty());
}

TEST_CASE("a top-up that would take main under min_main_balance is cut, the rest refused") {
  const std::vector<RebalanceAccount> accounts{
      {kMain, kMain, d("150"), {}, {}},
      {kArb, kMain, d("0"), {}, d("0.5")},   // wants 75
      {kMm, kMain, d("0"), {}, d("0.4")},    // wants 60
  };
  auto plan = plan_rebalance(accounts, {d("100")});
  REQUIRE(plan.ok());
  // main may give 50: arb gets it all (first by id), mm nothing.
  CHECK(plan->transfers == std::vector<PlannedTransfer>{{kMain, kArb, d("50")}});
  REQUIRE(plan->refused.size() == 2);
  CHECK(plan->refused[0] == RefusedTransfer{kMain, kArb, d("25"),
                                            "would leave account 0 under min_main_balance 100"});
  CHECK(plan->refused[1] == RefusedTransfer{kMain, kMm, d("60"),
                                            "would leave account 0 under min_main_balance 100"});
}

TEST_CASE("caps: above the cap goes up; a ratio's target is capped; rounding is down to 1e-8") {
  const std::vector<RebalanceAccount> accounts{
      {kMain, kMain, d("1"), {}, {}},
      {kArb, kMain, d("120"), d("100"), {}},          // over its cap by 20
      {kMm, kMain, d("0"), d("10"), d("0.5")},        // wants 60.5, capped at 10
      {kTrend, kMain, d("0"), {}, d("0.3")},          // 121 * 0.3 = 36.3
      {kOtherMain, kOtherMain, d("1"), {}, {}},
      {kOtherSub, kOtherMain, d("0"), {}, d("0.333333337")},  // 1 x -> 0.333333337, down to 1e-8
  };
  auto plan = plan_rebalance(accounts, {d("0")});
  REQUIRE(plan.ok());
  CHECK(plan->transfers == std::vector<PlannedTransfer>{{kArb, kMain, d("20")},
                                                       {kMain, kMm, d("10")},
                                                       {kMain, kTrend, d("11")},
                                                       {kOtherMain, kOtherSub, d("0.33333333")}});
  REQUIRE(plan->refused.size() == 1);
  CHECK(plan->refused[0].to == kTrend);
  CHECK(plan->refused[0].amount == d("25.3"));
}

TEST_CASE("balanced already: an empty plan; the same input gives the same plan") {
  const std::vector<RebalanceAccount> accounts{
      {kMain, kMain, d("750"), {}, {}},
      {kArb, kMain, d("250"), {}, d("0.25")},  // 25 % of 1000
  };
  auto a = plan_rebalance(accounts, {d("100")});
  REQUIRE(a.ok());
  CHECK(a->transfers.empty());
  CHECK(a->refused.empty());
}

TEST_CASE("bad input is refused naming the account") {
  CHECK(plan_rebalance(std::vector<RebalanceAccount>{{kArb, kMain, d("1"), {}, {}}}, {d("0")}).error() ==
        "account 1: its main account 0 is not listed");
  CHECK(plan_rebalance(std::vector<RebalanceAccount>{{kMain, kMain, d("1"), {}, {}},
                                                     {kArb, kMain, d("1"), {}, d("1.5")}},
                       {d("0")})
            .error() == "account 1: target ratio 1.5 is outside (0, 1]");
  CHECK(plan_rebalance(std::vector<RebalanceAccount>{{kMain, kMain, d("1"), {}, {}},
                                                     {kArb, kMain, d("1"), {}, d("0.6")},
                                                     {kMm, kMain, d("1"), {}, d("0.5")}},
                       {d("0")})
            .error() == "the family of account 0: target ratios sum to 1.1 > 1");
  CHECK(plan_rebalance(std::vector<RebalanceAccount>{{kMain, kMain, d("-1"), {}, {}}}, {d("0")}).error() ==
        "account 0: negative free balance");
}
