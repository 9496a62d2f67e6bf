// The engine's market-data stages: books from snapshots and deltas, and the cross-venue
// arbitrage signal on their tops (fees folded in, clipped, nothing under the edge).
#include "oms/cores/market_stages.hpp"
#include "oms/messages/client_order_id.hpp"

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

ArbGroup default_group() {
  return ArbGroup{{ArbLeg{InstrumentId(0), AccountId(0), d("0.001"), {}, {}, {}, {}},
                   ArbLeg{InstrumentId(1), AccountId(1), d("0.001"), {}, {}, {}, {}}},
                  StrategyId(0), d("0.5"), d("0.75"), {}, {}, 0, 0, false, {}};
}

struct Fixture {
  std::vector<BookCoreConfig> books{{InstrumentId(0), BookSequencing::kBinanceSpot},
                                    {InstrumentId(1), BookSequencing::kBinanceSpot}};
  BookStage book{books};
  SignalStage signal;
  std::vector<OrderIntent> intents;
  TimeNs now = 1;

  explicit Fixture(ArbGroup g = default_group()) : signal({std::move(g)}, 2, 7) {}

  void on(const Event& e) {
    std::array<TopOfBook, 1> tops;
    for (std::size_t i = 0, n = book.on(e, now, tops); i < n; ++i) {
      std::array<OrderIntent, SignalStage::kMaxOut> out;
      const std::size_t m = signal.on(tops[i], now, out);
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

TEST_CASE("market stages: a rate edge, a notional cap, the coarser lot step and a cooldown") {
  ArbGroup g = default_group();
  g.min_edge = Decimal{};
  g.max_quantity = Decimal{};       // no cap of its own
  g.min_edge_rate = d("0.005");     // 50 bp of the buy cost
  g.max_notional = d("60");         // quote currency per leg
  g.legs[0].lot_step = d("0.001");  // spot-like
  g.legs[1].lot_step = d("0.01");   // perpetual-like: the coarser one rules
  g.cooldown = 1'000;
  Fixture f(g);
  f.on(snapshot(0, 10, "100", "101"));
  f.on(snapshot(1, 20, "100.5", "103"));
  // Sell at 101.5 (gain 101.3985) vs buy cost 101.101: edge 0.2975 < 0.505 (50 bp): nothing.
  f.on(delta(1, 21, BookSide::kBid, "101.5", "1"));
  CHECK(f.intents.empty());
  // Sell at 102 (gain 101.898): edge 0.797 >= 0.505. Quantity: min(2, 1) = 1, notional cap
  // 60 / 101 = 0.594..., down to the 0.01 step: 0.59.
  f.on(delta(1, 22, BookSide::kBid, "102", "1"));
  REQUIRE(f.intents.size() == 2);
  CHECK(f.intents[0].order.quantity == d("0.59"));
  CHECK(f.intents[1].order.quantity == d("0.59"));
  // Still crossed, inside the cooldown: no second signal; after it, one more.
  f.now = 500;
  f.on(delta(1, 23, BookSide::kBid, "102.1", "1"));
  CHECK(f.intents.size() == 2);
  f.now = 1'001;
  f.on(delta(1, 24, BookSide::kBid, "102.2", "1"));
  CHECK(f.intents.size() == 4);
}

TEST_CASE("market stages: no signal under a leg's minimum notional or quantity, on a stale book, or while held") {
  {
    ArbGroup g = default_group();
    g.legs[1].min_notional = d("51.1");  // 0.5 x 102 = 51: the venue would refuse the sell
    Fixture f(g);
    f.on(snapshot(0, 10, "100", "101"));
    f.on(snapshot(1, 20, "100.5", "103"));
    f.on(delta(1, 21, BookSide::kBid, "102", "0.5"));
    CHECK(f.intents.empty());
  }
  {
    ArbGroup g = default_group();
    g.legs[0].min_qty = d("0.6");
    Fixture f(g);
    f.on(snapshot(0, 10, "100", "101"));
    f.on(snapshot(1, 20, "100.5", "103"));
    f.on(delta(1, 21, BookSide::kBid, "102", "0.5"));
    CHECK(f.intents.empty());
  }
  {
    ArbGroup g = default_group();
    g.max_book_age = 100;
    Fixture f(g);
    f.on(snapshot(0, 10, "100", "101"));
    f.now = 200;  // venue 0's top is 199 ns old
    f.on(snapshot(1, 20, "100.5", "103"));
    f.on(delta(1, 21, BookSide::kBid, "102", "0.5"));
    CHECK(f.intents.empty());
    f.on(delta(0, 11, BookSide::kBid, "100", "1"));  // fresh again
    CHECK(f.intents.size() == 2);
  }
  {
    Fixture f;
    f.signal.hold(0, true);
    f.on(snapshot(0, 10, "100", "101"));
    f.on(snapshot(1, 20, "100.5", "103"));
    f.on(delta(1, 21, BookSide::kBid, "102", "0.5"));
    CHECK(f.intents.empty());
    f.signal.hold(0, false);
    f.on(delta(1, 22, BookSide::kBid, "102", "0.6"));
    REQUIRE(f.intents.size() == 2);
    CHECK(f.intents[0].group == 0);
  }
}

TEST_CASE("market stages: client order ids continue after the highest sequence already used") {
  Fixture f;
  f.signal.observe_sequence(41);
  f.signal.observe_sequence(7);  // lower: ignored
  f.on(snapshot(0, 10, "100", "101"));
  f.on(snapshot(1, 20, "100.5", "103"));
  f.on(delta(1, 21, BookSide::kBid, "102", "0.5"));
  REQUIRE(f.intents.size() == 2);
  const auto first = parse_client_order_id(f.intents[0].order.client_order_id.view());
  const auto second = parse_client_order_id(f.intents[1].order.client_order_id.view());
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->sequence == 42);
  CHECK(second->sequence == 43);
  CHECK(first->desk == 7);
  CHECK(first->strategy == StrategyId(0));
}

TEST_CASE("market stages: a book that missed a delta emits no top until it is resynced") {
  Fixture f;
  f.on(snapshot(0, 10, "100", "101"));
  f.on(snapshot(1, 20, "100.5", "103"));
  f.on(delta(1, 23, BookSide::kBid, "102", "0.5"));  // 21 and 22 are missing
  CHECK(f.intents.empty());
  CHECK(f.book.book(InstrumentId(1)).state() != BookState::kLive);
}
