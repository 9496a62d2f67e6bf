// E2E market data: subscribe_market_data (depth diffs + the connector's REST snapshot) feeding
// BookCore while venue-sim's book moves (a seeded random walk of background deltas and orders
// of other accounts); no gap, and the best bid / ask equal the simulator's.
#include "e2e_fixture.hpp"
#include "oms/cores/book_core.hpp"

namespace oms::e2e {
namespace {

struct BookFeed {
  std::mutex m;
  BookCore book;
  std::size_t snapshots = 0, problems = 0, applied = 0;
  explicit BookFeed(InstrumentId id, BookSequencing s) : book(BookCoreConfig{id, s}) {}
  MarketDataSink sink() {
    return [this](TimeNs, const EventPayload& e, TimeNs) {
      std::lock_guard lk(m);
      if (const auto* s = std::get_if<BookSnapshot>(&e)) {
        ++snapshots;
        (void)book.apply(*s);
      } else if (const auto* dl = std::get_if<BookDelta>(&e)) {
        const auto r = book.apply(*dl);
        if (r.status == BookApplyStatus::kApplied) ++applied;
        if (r.status == BookApplyStatus::kResyncNeeded) ++problems;
      }
    };
  }
};

nlohmann::json public_depth(E2e& f) {
  net::HttpRequest r;
  r.method = "GET";
  r.target = std::string(f.market == Market::kSpot ? "/api/v3/depth" : "/fapi/v1/depth") +
             "?symbol=BTCUSDT&limit=1000";
  const auto resp = f.front->handle(r).response;
  REQUIRE(resp.status == 200);
  return nlohmann::json::parse(resp.body);
}

void run(Market m) {
  E2e f(m);
  const bool spot = m == Market::kSpot;
  BookFeed feed(f.ins().id, spot ? BookSequencing::kBinanceSpot : BookSequencing::kBinanceFutures);
  const InstrumentId ids[] = {f.ins().id};
  MarketDataStreams streams;
  streams.book_ticker = false;
  streams.trades = false;
  REQUIRE(f.ex().subscribe_market_data(ids, streams, feed.sink()).ok());

  // A seeded random walk: background levels change and another account's orders rest or trade.
  std::uint64_t rng = 42;
  auto next = [&rng](std::uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  const Keys other = spot ? kBobKeys : kMakerKeys;
  auto step = [&](int n) {
    const auto k = next(4);
    const std::int64_t tick = spot ? 10'000'000 : 100'000'000;  // 0.01 / 0.1
    const std::int64_t mid = spot ? 99'750'000'000 : 60'000'000'000'000;
    const Decimal price = Decimal::from_raw(mid + (static_cast<std::int64_t>(next(21)) - 10) * tick);
    const Decimal qty = Decimal::from_raw(static_cast<std::int64_t>(1 + next(20)) * 100'000'000);
    if (k < 2) {
      sim::BookDeltaIn dl;
      const bool bid = price.raw() < mid;
      (bid ? dl.bids : dl.asks).push_back({price, next(5) == 0 ? Decimal{} : qty});
      f.front->on_delta(m, "BTCUSDT", dl);
    } else {
      SubmitOrder o = order(m, k == 2 ? Side::kBuy : Side::kSell, "0.1", "1", "x");
      o.price = price;
      o.quantity = qty;
      (void)o.client_order_id.assign("walk-" + std::to_string(n));
      (void)f.truth(spot ? binance::spot_new_order(f.ins(), o)
                         : binance::usdm_new_order(f.ins(), o),
                    other);
    }
  };
  // The connector asks for its snapshot after the first diff (the venue's recipe): walk until
  // the book is live, then 60 more steps.
  int n = 0;
  REQUIRE(wait_for([&] {
    step(n++);
    std::lock_guard lk(feed.m);
    return feed.book.state() == BookState::kLive;
  }));
  for (int i = 0; i < 60; ++i) step(n++);
  const auto depth = public_depth(f);
  const Decimal bid = d(depth["bids"][0][0].get<std::string>().c_str());
  const Decimal ask = d(depth["asks"][0][0].get<std::string>().c_str());
  const std::uint64_t last = depth["lastUpdateId"].get<std::uint64_t>();
  // The stream catches up with the venue's book (same update id), then the tops are equal.
  REQUIRE(wait_for([&] {
    std::lock_guard lk(feed.m);
    return feed.book.last_update_id() >= last;
  }));
  std::lock_guard lk(feed.m);
  CHECK(feed.problems == 0);
  CHECK(feed.snapshots >= 1);
  CHECK(feed.applied > 0);
  CHECK(feed.book.state() == BookState::kLive);
  CHECK(feed.book.last_update_id() == last);
  REQUIRE(feed.book.best_bid().has_value());
  REQUIRE(feed.book.best_ask().has_value());
  CHECK(feed.book.best_bid()->price == bid);
  CHECK(feed.book.best_bid()->quantity == d(depth["bids"][0][1].get<std::string>().c_str()));
  CHECK(feed.book.best_ask()->price == ask);
  CHECK(feed.book.best_ask()->quantity == d(depth["asks"][0][1].get<std::string>().c_str()));
  CHECK(feed.book.level_count(BookSide::kBid) == depth["bids"].size());
  CHECK(feed.book.level_count(BookSide::kAsk) == depth["asks"].size());
}

}  // namespace

TEST_CASE("e2e spot depth: diffs + snapshot keep BookCore live through a random walk; tops equal") {
  run(Market::kSpot);
}

TEST_CASE("e2e usdm depth: pu-chained diffs keep BookCore live; best bid/ask equal the venue's") {
  run(Market::kUsdm);
}

}  // namespace oms::e2e
