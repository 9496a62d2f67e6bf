// The BookChecker (book_checker.cpp) against a separate model of the book's texts: a long random
// stream of snapshots and updates -- changes, inserts, removals at every depth, levels beyond the
// 25th moving into the top as the ones above go, sides shorter than 25, unordered snapshots,
// wrong checksums -- where after every message the checker's computed checksum equals
// book_checksum over the model's top 25, and its status says what the message's checksum was.
// (The pin for any incremental checksum: it must equal the whole text's after every message.)
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "oms/connectors/okx/book_checker.hpp"

using namespace oms;
using namespace oms::okx;

namespace {

// The book as texts, best first on each side: the reference the checker is compared with.
struct ModelBook {
  std::map<Decimal, std::pair<std::string, std::string>, std::greater<>> bids;
  std::map<Decimal, std::pair<std::string, std::string>> asks;

  void apply(const OrderBookLevel& l, bool bid) {
    const auto put = [&](auto& side) {
      if (l.quantity.is_zero()) side.erase(l.price);
      else side[l.price] = {l.price_text.str(), l.size_text.str()};
    };
    bid ? put(bids) : put(asks);
  }
  [[nodiscard]] std::int32_t checksum() const {
    std::vector<TextLevel> b, a;
    for (const auto& [p, t] : bids) b.push_back({t.first, t.second});
    for (const auto& [p, t] : asks) a.push_back({t.first, t.second});
    return book_checksum(b, a);
  }
};

// Random levels of a book whose bids are ticks [0, kTicks) below kMid and asks [0, kTicks)
// from it (0.1 apart): ~60 prices a side, so levels come and go beyond the 25th.
class Stream {
 public:
  explicit Stream(std::uint32_t seed) : rng_(seed) {}

  OrderBookLevel level(bool bid, bool remove) {
    const auto tick = pick(kTicks);
    const auto ticks = bid ? kMid - 1 - tick : kMid + tick;
    OrderBookLevel l;
    l.price = Decimal::from_raw(static_cast<Int128>(ticks) * (Decimal::kOne / 10));
    std::string px = std::to_string(ticks / 10) + "." + std::to_string(ticks % 10);
    if (pick(8) == 0) px += "0";  // the text as sent: "100.10" is kept as is
    if (ticks % 10 == 0 && pick(2) == 0) px = std::to_string(ticks / 10);
    std::string sz;
    if (remove) {
      sz = pick(4) == 0 ? "0.000" : "0";
    } else {
      switch (pick(4)) {
        case 0: sz = std::to_string(1 + pick(999)); break;
        case 1: sz = "0." + std::to_string(10000000 + pick(89999999)); break;
        case 2: sz = std::to_string(pick(100000)) + "." + std::to_string(100000000 + pick(899999999)) + "00"; break;
        default: sz = std::to_string(1 + pick(9)) + "." + std::to_string(1 + pick(9)); break;
      }
    }
    l.quantity = remove ? Decimal{} : *Decimal::parse(sz);
    REQUIRE(l.price_text.assign(px));
    REQUIRE(l.size_text.assign(sz));
    return l;
  }

  // A snapshot of n levels a side at most (repeated prices: the last one stays), sometimes not
  // in the venue's order (the checker then inserts them one by one).
  OrderBookUpdate snapshot(std::int64_t seq) {
    OrderBookUpdate m;
    m.snapshot = true;
    m.seq_id = seq;
    m.prev_seq_id = -1;
    const auto fill = [&](std::vector<OrderBookLevel>& out, bool bid) {
      std::map<Decimal, OrderBookLevel> unique;
      for (std::size_t n = pick(3) == 0 ? pick(26) : pick(70), i = 0; i < n; ++i) {
        const auto l = level(bid, false);
        unique[l.price] = l;
      }
      for (const auto& [p, l] : unique) out.push_back(l);
      if (bid) std::reverse(out.begin(), out.end());  // best first
      if (pick(5) == 0) std::shuffle(out.begin(), out.end(), rng_);
    };
    fill(m.bids, true);
    fill(m.asks, false);
    return m;
  }

  // An update of a few levels; removals are frequent near the top so that deeper levels rise.
  OrderBookUpdate update(std::int64_t prev) {
    OrderBookUpdate m;
    m.seq_id = prev + 1;
    m.prev_seq_id = prev;
    for (std::size_t n = 1 + pick(8), i = 0; i < n; ++i) {
      const bool bid = pick(2) == 0;
      (bid ? m.bids : m.asks).push_back(level(bid, pick(5) < 2));
    }
    return m;
  }

  std::uint32_t pick(std::uint32_t n) { return static_cast<std::uint32_t>(rng_() % n); }

 private:
  static constexpr std::int64_t kMid = 300000, kTicks = 60;
  std::mt19937 rng_;
};

}  // namespace

TEST_CASE("a random stream: after every message the checker's checksum is the model book's") {
  for (const std::uint32_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    Stream stream(seed);
    BookChecker c;
    ModelBook model;
    std::int64_t seq = 1000;
    std::size_t snapshots = 0, mismatches = 0, deep_rises = 0, unordered_sides = 0;
    const auto load = [&] {
      auto snap = stream.snapshot(++seq);
      model = {};
      for (const auto& l : snap.bids) model.apply(l, true);
      for (const auto& l : snap.asks) model.apply(l, false);
      const auto best_first = [](const auto& v, bool bid) {
        return std::is_sorted(v.begin(), v.end(), [&](const auto& a, const auto& b) {
          return bid ? a.price > b.price : a.price < b.price;
        });
      };
      unordered_sides += (best_first(snap.bids, true) ? 0U : 1U) + (best_first(snap.asks, false) ? 0U : 1U);
      snap.checksum = model.checksum();
      const auto r = c.apply(snap);
      REQUIRE(r.status == BookCheckStatus::kVerified);
      REQUIRE(r.computed == *snap.checksum);
      ++snapshots;
    };
    load();
    for (int i = 0; i < 20000; ++i) {
      CAPTURE(i);
      auto upd = stream.update(seq);
      // The 26th level of a side before the update: counted when it rises into the top 25.
      const auto t26 = [&](BookSide s) {
        return c.level_count(s) > kChecksumDepth ? std::string(c.level(s, kChecksumDepth).price)
                                                 : std::string();
      };
      const std::string bid26 = t26(BookSide::kBid), ask26 = t26(BookSide::kAsk);
      for (const auto& l : upd.bids) model.apply(l, true);
      for (const auto& l : upd.asks) model.apply(l, false);
      const std::int32_t want = model.checksum();
      const bool wrong = stream.pick(300) == 0;
      upd.checksum = wrong ? want ^ 1 : want;
      const auto r = c.apply(upd);
      seq = *upd.seq_id;
      REQUIRE(r.compared);
      REQUIRE(r.computed == want);
      REQUIRE(c.checksum() == want);
      REQUIRE(c.level_count(BookSide::kBid) == model.bids.size());
      REQUIRE(c.level_count(BookSide::kAsk) == model.asks.size());
      for (const auto& [side, was] : {std::pair{BookSide::kBid, bid26}, {BookSide::kAsk, ask26}})
        for (std::size_t k = 0; !was.empty() && k < std::min(c.level_count(side), kChecksumDepth); ++k)
          deep_rises += c.level(side, k).price == was;
      if (wrong) {
        REQUIRE(r.status == BookCheckStatus::kChecksumMismatch);
        REQUIRE_FALSE(c.live());
        ++mismatches;
        load();
      } else {
        REQUIRE(r.status == BookCheckStatus::kVerified);
      }
      if (stream.pick(400) == 0) load();  // a resubscription: the pieces start over
    }
    // The stream did what it is for.
    CHECK(snapshots > 50);
    CHECK(mismatches > 20);
    CHECK(deep_rises > 1000);
    CHECK(unordered_sides > 5);
  }
}

TEST_CASE("a copied checker verifies the same updates as the original") {
  Stream stream(11);
  BookChecker c;
  ModelBook model;
  auto snap = stream.snapshot(1);
  for (const auto& l : snap.bids) model.apply(l, true);
  for (const auto& l : snap.asks) model.apply(l, false);
  snap.checksum = model.checksum();
  REQUIRE(c.apply(snap).status == BookCheckStatus::kVerified);
  std::int64_t seq = 1;
  for (int i = 0; i < 50; ++i) {
    auto upd = stream.update(seq++);
    for (const auto& l : upd.bids) model.apply(l, true);
    for (const auto& l : upd.asks) model.apply(l, false);
    upd.checksum = model.checksum();
    REQUIRE(c.apply(upd).status == BookCheckStatus::kVerified);
  }
  BookChecker copy = c;
  for (int i = 0; i < 200; ++i) {
    auto upd = stream.update(seq++);
    for (const auto& l : upd.bids) model.apply(l, true);
    for (const auto& l : upd.asks) model.apply(l, false);
    upd.checksum = model.checksum();
    REQUIRE(c.apply(upd).status == BookCheckStatus::kVerified);
    REQUIRE(copy.apply(upd).status == BookCheckStatus::kVerified);
  }
}
