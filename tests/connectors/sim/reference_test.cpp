// The fast venue against the naive reference on seeded random flow, and determinism.
#include <doctest/doctest.h>

#include "books.hpp"
#include "sim_fixture.hpp"

using namespace oms;
using namespace oms::sim;
using namespace oms::sim::testing;

namespace {
constexpr std::size_t kSteps = 3000;
}

TEST_CASE("fast and naive books give identical reports on random flow (spot and USD-M)") {
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    for (std::uint64_t seed : {1ULL, 7ULL, 20240808ULL}) {
      Venue fast(m, FastBook::kMake), naive(m, ReferenceBook::kMake);
      const FlowResult a = run_flow(fast, seed, kSteps, true);
      const FlowResult b = run_flow(naive, seed, kSteps, true);
      CAPTURE(seed);
      REQUIRE(a.reports.size() == b.reports.size());
      for (std::size_t k = 0; k < a.reports.size(); ++k) {
        CAPTURE(k);
        REQUIRE(a.reports[k] == b.reports[k]);
      }
      CHECK(a.updates == b.updates);
      CHECK(a.errors == b.errors);
      // The flow did trade, rest and cancel: the comparison is not vacuous.
      std::size_t trades = 0, cancels = 0;
      for (const auto& r : a.reports) {
        trades += r.exec_type == ExecType::kTrade ? 1 : 0;
        cancels += r.exec_type == ExecType::kCanceled ? 1 : 0;
      }
      CHECK(trades > 100);
      CHECK(cancels > 10);
    }
  }
}

TEST_CASE("same seed and inputs give the same report sequence; another seed does not") {
  Venue v1(Market::kUsdm), v2(Market::kUsdm), v3(Market::kUsdm);
  const FlowResult a = run_flow(v1, 42, kSteps, true);
  const FlowResult b = run_flow(v2, 42, kSteps, true);
  const FlowResult c = run_flow(v3, 43, kSteps, true);
  CHECK(a.reports == b.reports);
  CHECK(a.updates == b.updates);
  CHECK_FALSE(a.reports == c.reports);
}

TEST_CASE("random walk: a shock moves the mid by whole ticks of the basis points asked, and the walk goes on from there") {
  RandomWalk w({d("60000"), d("0.01"), d("0.001"), 10, 5, 9});
  w.shift_bps(500);
  CHECK(w.mid() == d("63000"));
  const auto step = w.next();  // one tick at most from the shocked mid
  CHECK(step.book.bids.front().price >= d("62999.98"));
  CHECK(step.book.asks.front().price <= d("63000.02"));
  w.shift_bps(-10'000);  // all the way down: it stops at depth + 2 ticks
  CHECK(w.mid() == d("0.07"));
  RandomWalk odd({d("100.01"), d("0.01"), d("0.001"), 10, 5, 9});
  odd.shift_bps(-1);  // 10001 ticks x -1/10000: one tick, truncated toward zero
  CHECK(odd.mid() == d("100"));
}

TEST_CASE("random walk is a pure function of its seed") {
  RandomWalk w1({d("100"), d("0.01"), d("0.001"), 10, 5, 9}), w2({d("100"), d("0.01"), d("0.001"), 10, 5, 9});
  for (int k = 0; k < 100; ++k) {
    const auto s1 = w1.next();
    const auto s2 = w2.next();
    REQUIRE(s1.book.bids == s2.book.bids);
    REQUIRE(s1.book.asks == s2.book.asks);
    REQUIRE(s1.book.bids.front().price < s1.book.asks.front().price);
  }
}
