// Pins actors/src/cores/self_trade.cpp: our resting orders per instrument and side, the best one
// a new order would trade against, upserts that move an order's price or side, and removal of
// one order among many of other accounts at the same price (each entry keeps its own node).
#include <doctest/doctest.h>

#include <string>

#include "oms/cores/self_trade.hpp"

using namespace oms;
using namespace oms::actors;
using namespace oms::decimal_literals;

namespace {

const InstrumentId kBtc{0};
const InstrumentId kEth{7};

}  // namespace

TEST_CASE("a buy is refused at or above our lowest resting sell, a sell at or below our highest buy") {
  SelfTradeGuard g;
  g.set(AccountId{1}, "s1", kBtc, Side::kSell, "101"_d);
  g.set(AccountId{2}, "s2", kBtc, Side::kSell, "102"_d);
  g.set(AccountId{3}, "b1", kBtc, Side::kBuy, "99"_d);
  CHECK_FALSE(g.crossing(kBtc, Side::kBuy, "100.99"_d));
  const auto at = g.crossing(kBtc, Side::kBuy, "101"_d);
  REQUIRE(at);
  CHECK(at->account == AccountId{1});
  CHECK(at->price == "101"_d);
  CHECK(g.crossing(kBtc, Side::kBuy, Decimal{})->price == "101"_d);  // a market buy reaches all
  CHECK_FALSE(g.crossing(kBtc, Side::kSell, "99.01"_d));
  CHECK(g.crossing(kBtc, Side::kSell, "99"_d)->account == AccountId{3});
  CHECK_FALSE(g.crossing(kEth, Side::kBuy, "1000"_d));  // another instrument: nothing rests there
}

TEST_CASE("an order moved to a new price or side leaves its old place") {
  SelfTradeGuard g;
  g.set(AccountId{1}, "a", kBtc, Side::kSell, "101"_d);
  g.set(AccountId{1}, "a", kBtc, Side::kSell, "105"_d);  // amended up
  CHECK(g.size() == 1);
  CHECK_FALSE(g.crossing(kBtc, Side::kBuy, "104"_d));
  CHECK(g.crossing(kBtc, Side::kBuy, "105"_d)->price == "105"_d);
  g.set(AccountId{1}, "a", kBtc, Side::kBuy, "90"_d);  // the same key as a buy: no sell left
  CHECK_FALSE(g.crossing(kBtc, Side::kBuy, Decimal{}));
  CHECK(g.crossing(kBtc, Side::kSell, "90"_d)->account == AccountId{1});
  g.set(AccountId{1}, "a", kBtc, Side::kBuy, Decimal{});  // no price: it no longer rests
  CHECK(g.size() == 0);
  CHECK_FALSE(g.crossing(kBtc, Side::kSell, Decimal{}));
}

TEST_CASE("removing one order among thousands at the same price leaves exactly the others") {
  SelfTradeGuard g;
  for (int i = 0; i < 3000; ++i) g.set(AccountId{static_cast<std::uint16_t>(i % 200)}, "o" + std::to_string(i), kBtc, Side::kSell, "101"_d);
  g.set(AccountId{500}, "mine", kBtc, Side::kSell, "100"_d);
  // A later instrument grows the books: the earlier entries' places stay good.
  for (std::uint16_t k = 1; k < 40; ++k) g.set(AccountId{1}, "x" + std::to_string(k), InstrumentId{k}, Side::kBuy, "5"_d);
  CHECK(g.crossing(kBtc, Side::kBuy, "100"_d)->account == AccountId{500});
  g.erase(AccountId{500}, "mine");
  CHECK(g.crossing(kBtc, Side::kBuy, "101"_d)->price == "101"_d);
  for (int i = 0; i < 3000; ++i) {
    if (i != 1234) g.erase(AccountId{static_cast<std::uint16_t>(i % 200)}, "o" + std::to_string(i));
  }
  const auto last = g.crossing(kBtc, Side::kBuy, "101"_d);
  REQUIRE(last);
  CHECK(last->account == AccountId{1234 % 200});
  g.erase(AccountId{1234 % 200}, "o1234");
  CHECK_FALSE(g.crossing(kBtc, Side::kBuy, Decimal{}));
  CHECK(g.size() == 39);
  g.erase(AccountId{1}, "unknown");  // not resting: nothing changes
  CHECK(g.size() == 39);
}

TEST_CASE("an account's orders leave together; another account's stay") {
  SelfTradeGuard g;
  g.set(AccountId{1}, "a", kBtc, Side::kSell, "101"_d);
  g.set(AccountId{1}, "b", kEth, Side::kBuy, "50"_d);
  g.set(AccountId{2}, "a", kBtc, Side::kSell, "101"_d);  // the same id on another account
  g.erase_account(AccountId{1});
  CHECK(g.size() == 1);
  CHECK(g.crossing(kBtc, Side::kBuy, "101"_d)->account == AccountId{2});
  CHECK_FALSE(g.crossing(kEth, Side::kSell, "50"_d));
}
