// The engine's market-data stages: books from snapshots and deltas, and the cross-venue
// arbitrage signal on their tops (fees folded in, clipped, nothing under the edge).
#include "oms/cores/market_stages.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

using namespace oms;
using namespace oms::actors;

namespace {

Decimal d(const char* s) { return *Decimal::parse(s); }

Event snapshot(std::uint32_t instrument, std::uint64_t id, const char* bid, const char* ask) {
  BookSnapshot s{};
  s.instrument = InstrumentId(instrument);
  s.last_update_id = id;
  (void)s.levels.push_back(BookLevel{BookSide::kBid, d(bid), d("1")});
  (void)s.levels.push_back(BookLevel{BookSide::kAsk, d(ask), d("2")});
  return Event{Envelope{id, 0, 0, 0, 0, 0}, s};
}

Event delta(std::uint32_t instrument, std::uint64_t id, BookSide side, const char* px,
            const char* qty) {
  BookDelta b{};
  b.instrument = InstrumentId(instrument);
  b.first_update_id = id;
  b.last_update_id = id;
  (void)b.levels.push_back(BookLevel{side, d(px), d(qty)});
  return Event{Envelope{id, 0, 0, 0, 0, 0}, b};
}

struct Fixture {
  std::vector<BookCoreConfig> books{{InstrumentId(0), BookSequencing::kBinanceSpot},
                                    {InstrumentId(1), BookSequencing::kBinanceSpot}};
  BookStage book{books};
  SignalStage signal{{ArbGroup{{ArbLeg{InstrumentId(0), AccountId(0), d("0.001")},
                                 ArbLeg{InstrumentId(1), AccountId(1), d("0.001")}},
                                StrategyId(0), d("0.5"), d("0.75")}},
                     2, 7};
  std::vector<OrderIntent> intents;

  void on(const Event& e) {
    std::array<TopOfBook, 1> tops;
    for (std::size_t i = 0, n = book.on(e, 1, tops); i < n; ++i) {
      std::array<OrderIntent, SignalStage::kMaxOut> out;
      const std::size_t m = signal.on(tops[i], 1, out);
      intents.insert(intents.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(m));
    }
  }
};

}  // namespace

TEST_CASE("market stages: a fee-adjusted cross between venues emits both IOC legs, clipped") {
  Fixture f;
  f.on(snapshot(0, 10, "100", "101"));
  f.on(snapshot(1, 20, "100.5", "103"));
  CHECK(f.intents.empty());
  f.on(delta(1, 21, BookSide::kBid, "102", "0.5"));
  // Buy venue 0 at 101 (cost 101.101), sell venue 1 at 102 (gain 101.898): edge 0.797 >= 0.5.
  // Quantity: min(ask qty 2, bid qty 0.5, clip 0.75) = 0.5.
  REQUIRE(f.intents.size() == 2);
  const SubmitOrder& buy = f.intents[0].order;
  CHECK(buy.account == AccountId(0));
  CHECK(buy.instrument == InstrumentId(0));
  CHECK(buy.side == Side::kBuy);
  CHECK(buy.price == d("101"));
  CHECK(buy.quantity == d("0.5"));
  CHECK(buy.tif == TimeInForce::kIoc);
  const SubmitOrder& sell = f.intents[1].order;
  CHECK(sell.account == AccountId(1));
  CHECK(sell.side == Side::kSell);
  CHECK(sell.price == d("102"));
  CHECK(buy.client_order_id != sell.client_order_id);
  CHECK(f.intents[0].cause == 21);  // the book update that led to it
  CHECK(f.signal.signals() == 1);
}

TEST_CASE("market stages: no order when the edge is below min_edge after fees") {
  Fixture f;
  f.on(snapshot(0, 10, "100", "101"));
  f.on(snapshot(1, 20, "100.5", "103"));
  // 101.3 - 0.1013 = 101.1987; 101 + 0.101 = 101.101: edge 0.0977 < 0.5.
  f.on(delta(1, 21, BookSide::kBid, "101.3", "1"));
  CHECK(f.intents.empty());
}

TEST_CASE("market stages: a book that missed a delta emits no top until it is resynced") {
  Fixture f;
  f.on(snapshot(0, 10, "100", "101"));
  f.on(snapshot(1, 20, "100.5", "103"));
  f.on(delta(1, 23, BookSide::kBid, "102", "0.5"));  // 21 and 22 are missing
  CHECK(f.intents.empty());
  CHECK(f.book.book(InstrumentId(1)).state() != BookState::kLive);
}
