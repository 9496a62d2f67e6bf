#include "oms/connectors/net/backoff.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace oms::net {
using namespace std::chrono_literals;

TEST_CASE("backoff doubles from initial to max with each delay in [base/2, base]") {
  Backoff b(100ms, 1000ms, 7);
  const std::vector<long> bases = {100, 200, 400, 800, 1000, 1000, 1000};
  for (const long base : bases) {
    const auto d = b.next().count();
    CHECK(d >= base / 2);
    CHECK(d <= base);
  }
  CHECK(b.attempt() == 7);
  b.reset();
  const auto first = b.next().count();
  CHECK(first >= 50);
  CHECK(first <= 100);
}

TEST_CASE("backoff with the same seed gives the same delays; another seed differs") {
  Backoff a(250ms, 30'000ms, 42);
  Backoff b(250ms, 30'000ms, 42);
  Backoff c(250ms, 30'000ms, 43);
  std::vector<long> da, db, dc;
  for (int i = 0; i < 12; ++i) {
    da.push_back(a.next().count());
    db.push_back(b.next().count());
    dc.push_back(c.next().count());
  }
  CHECK(da == db);
  CHECK(da != dc);
  CHECK(da.back() >= 15'000);  // capped at max
  CHECK(da.back() <= 30'000);
}

}  // namespace oms::net
