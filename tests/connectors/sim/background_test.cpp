// BackgroundBook: the background levels per side (a blocked sorted side, cores/level_side.hpp,
// and the quantities our orders took) against a std::map, over seeded random snapshots, deltas
// and consumption -- the same levels best first, the same availability, the same best price.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <random>

#include "oms/connectors/sim/background.hpp"

using namespace oms;
using namespace oms::sim;

TEST_CASE("background book: random snapshots, deltas and takes agree with a map, best first") {
  std::mt19937_64 rng(20261205);
  BackgroundBook book;
  // By key -- the price's raw value, negated for bids -- so best first; {quantity, consumed}.
  struct Level {
    Decimal qty, consumed;
    [[nodiscard]] Decimal available() const { return Decimal::from_raw(qty.raw() - consumed.raw()); }
  };
  std::map<oms::Int128, Level> ref[2];
  const auto key_of = [](Side side, Decimal p) { return side == Side::kBuy ? -p.raw() : p.raw(); };
  const auto price = [&](std::int64_t ticks) { return Decimal::from_raw(Int128{ticks} * 10'000'000); };
  for (int round = 0; round < 2000; ++round) {
    const auto what = rng() % 20;
    if (what == 0) {
      BookSnapshotIn s;
      for (int i = 0, n = static_cast<int>(rng() % 300); i < n; ++i) {
        const std::int64_t t = 1000 + static_cast<std::int64_t>(rng() % 400);
        const auto q = Decimal::from_raw(static_cast<std::int64_t>(rng() % 5) * 100'000);
        ((t < 1200) ? s.bids : s.asks).push_back({price(t), q});
      }
      book.apply_snapshot(s);
      for (auto& r : ref) r.clear();
      for (const auto& pq : s.bids) {
        if (pq.qty.is_zero()) ref[0].erase(key_of(Side::kBuy, pq.price));
        else ref[0][key_of(Side::kBuy, pq.price)] = {pq.qty, Decimal()};
      }
      for (const auto& pq : s.asks) {
        if (pq.qty.is_zero()) ref[1].erase(key_of(Side::kSell, pq.price));
        else ref[1][key_of(Side::kSell, pq.price)] = {pq.qty, Decimal()};
      }
    } else if (what < 15) {
      BookDeltaIn d;
      for (int i = 0, n = 1 + static_cast<int>(rng() % 30); i < n; ++i) {
        const std::int64_t t = 1000 + static_cast<std::int64_t>(rng() % 400);
        const auto q = Decimal::from_raw(static_cast<std::int64_t>(rng() % 4) * 100'000);
        (t < 1200 ? d.bids : d.asks).push_back({price(t), q});
      }
      book.apply_delta(d);
      for (const auto& pq : d.bids) {
        const auto k = key_of(Side::kBuy, pq.price);
        if (pq.qty.is_zero()) ref[0].erase(k);
        else ref[0][k] = {pq.qty, Decimal()};
      }
      for (const auto& pq : d.asks) {
        const auto k = key_of(Side::kSell, pq.price);
        if (pq.qty.is_zero()) ref[1].erase(k);
        else ref[1][k] = {pq.qty, Decimal()};
      }
    } else {
      const Side side = rng() % 2 == 0 ? Side::kBuy : Side::kSell;
      const std::int64_t t = 1000 + static_cast<std::int64_t>(rng() % 400);
      const auto q = Decimal::from_raw(500'000);
      book.consume(side, price(t), q);
      auto& r = ref[side == Side::kBuy ? 0 : 1];
      const auto it = r.find(key_of(side, price(t)));
      if (it != r.end()) it->second.consumed = Decimal::from_raw(it->second.consumed.raw() + q.raw());
    }
    for (const Side side : {Side::kBuy, Side::kSell}) {
      const auto& r = ref[side == Side::kBuy ? 0 : 1];
      REQUIRE(book.level_count(side) == r.size());
      auto it = r.begin();
      std::optional<Decimal> best;
      for (auto w = book.walk(side); !w.done(); w.next()) {
        REQUIRE(it != r.end());
        REQUIRE(key_of(side, w.price()) == it->first);
        REQUIRE(w.quantity() == it->second.qty);
        REQUIRE(w.consumed() == it->second.consumed);
        REQUIRE(w.available() == it->second.available());
        if (!best && w.available().is_positive()) best = w.price();
        ++it;
      }
      REQUIRE(it == r.end());
      CHECK(book.best(side) == best);
      const std::int64_t t = 1000 + static_cast<std::int64_t>(rng() % 400);
      const auto k = key_of(side, price(t));
      const auto found = r.find(k);
      CHECK(book.available(side, price(t)) == (found == r.end() ? Decimal() : found->second.available()));
    }
  }
}
