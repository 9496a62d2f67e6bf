// Binance market data through the Exchange: the combined stream's depth diffs pass on in
// order, the REST snapshot is fetched after the first diff (and again after a gap), and a
// BookCore fed with exactly what the connector emits goes live without a gap; bookTicker and
// trades become BestBidOffer / TradePrinted.
#include <doctest/doctest.h>

#include <atomic>

#include "exchange_test_venue.hpp"
#include "oms/cores/book_core.hpp"

namespace oms::binance {
namespace {
using namespace test;
using namespace decimal_literals;

constexpr InstrumentId kBtc(7);

std::string diff(std::uint64_t first, std::uint64_t last, std::string_view bid_price,
                 std::string_view bid_qty) {
  return R"({"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1700000000000,)"
         R"("s":"BTCUSDT","U":)" +
         std::to_string(first) + R"(,"u":)" + std::to_string(last) + R"(,"b":[[")" +
         std::string(bid_price) + R"(",")" + std::string(bid_qty) +
         R"("]],"a":[["60010.00","1.00000000"]]}})";
}

std::string snapshot(std::uint64_t last) {
  return R"({"lastUpdateId":)" + std::to_string(last) +
         R"(,"bids":[["60000.00","2.00000000"],["59999.00","3.00000000"]],)"
         R"("asks":[["60010.00","1.00000000"],["60011.00","4.00000000"]]})";
}

struct Collected {
  std::mutex m;
  std::vector<EventPayload> events;
  BookCore book{BookCoreConfig{kBtc, BookSequencing::kBinanceSpot}};
  std::vector<BookApplyStatus> statuses;
  MarketDataSink sink() {
    return [this](TimeNs, const EventPayload& e, TimeNs) {
      std::lock_guard lk(m);
      events.push_back(e);
      if (const auto* s = std::get_if<BookSnapshot>(&e)) statuses.push_back(book.apply(*s).status);
      if (const auto* d = std::get_if<BookDelta>(&e)) statuses.push_back(book.apply(*d).status);
    };
  }
  std::size_t size() {
    std::lock_guard lk(m);
    return events.size();
  }
};

}  // namespace

TEST_CASE("spot depth: diffs before the snapshot, the snapshot, live diffs, a gap and a resync") {
  TestVenue venue;
  std::atomic<int> depth_calls{0};
  std::atomic<bool> release{false};
  venue.script([&](const Recorded& r) {
    CHECK(r.path == "/api/v3/depth");
    CHECK(r.param("symbol") == "BTCUSDT");
    CHECK(r.param("limit") == "1000");  // weight 50; 5,000 levels would cost 250
    if (depth_calls++ == 0) {
      // Hold the first snapshot until the diffs that precede it were passed on.
      REQUIRE(wait_until([&] { return release.load(); }));
      return json(200, snapshot(100));
    }
    return json(200, snapshot(111));
  });
  auto cfg = venue.client_config(Market::kSpot, 0);
  cfg.user_data_stream = false;
  BinanceVenue client(std::move(cfg));
  REQUIRE(client.start().ok());
  // Market data needs no account key, but the interface hangs off an account: use a venue
  // with one account for that.
  auto cfg1 = venue.client_config(Market::kSpot, 1);
  cfg1.user_data_stream = false;
  BinanceVenue with_account(std::move(cfg1));
  Collected got;
  const InstrumentId ids[] = {kBtc};
  REQUIRE(with_account.account(0).subscribe_market_data(ids, {}, got.sink()).ok());
  std::string target;
  REQUIRE(venue.wait_md_stream(target));
  CHECK(target == "/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@trade");

  venue.push_md(diff(95, 99, "60000.00", "2.5"));     // stale by the snapshot
  venue.push_md(diff(100, 102, "60000.00", "2.75"));  // covers 101: the first applied
  venue.push_md(diff(103, 103, "59999.00", "0"));     // removes a level
  REQUIRE(wait_until([&] { return got.size() >= 3; }));
  release = true;
  REQUIRE(wait_until([&] { return got.size() >= 4; }));
  venue.push_md(diff(104, 104, "59998.00", "1"));
  REQUIRE(wait_until([&] { return got.size() >= 5; }));
  {
    std::lock_guard lk(got.m);
    CHECK(std::holds_alternative<BookSnapshot>(got.events[3]));
    CHECK(std::get<BookSnapshot>(got.events[3]).last_update_id == 100);
    CHECK(got.statuses ==
          std::vector<BookApplyStatus>{BookApplyStatus::kBuffered, BookApplyStatus::kBuffered,
                                       BookApplyStatus::kBuffered, BookApplyStatus::kApplied,
                                       BookApplyStatus::kApplied});
    CHECK(got.book.state() == BookState::kLive);
    CHECK(got.book.last_update_id() == 104);
    CHECK(got.book.best_bid() == PriceLevel{"60000"_d, "2.75"_d});
  }
  // A gap (105..109 missing): the connector passes the diff on (BookCore refuses it) and
  // fetches a new snapshot.
  venue.push_md(diff(110, 111, "60001.00", "1"));
  REQUIRE(wait_until([&] { return got.size() >= 7; }));
  venue.push_md(diff(112, 112, "60002.00", "1"));
  REQUIRE(wait_until([&] { return got.size() >= 8; }));
  CHECK(depth_calls == 2);
  std::lock_guard lk(got.m);
  CHECK(std::get<BookSnapshot>(got.events[6]).last_update_id == 111);
  CHECK(got.statuses[5] == BookApplyStatus::kResyncNeeded);
  CHECK(got.statuses[6] == BookApplyStatus::kApplied);
  CHECK(got.statuses[7] == BookApplyStatus::kApplied);
  CHECK(got.book.state() == BookState::kLive);
  CHECK(got.book.last_update_id() == 112);
  CHECK(got.book.best_bid() == PriceLevel{"60002"_d, "1"_d});
}

TEST_CASE("bookTicker and trade become BestBidOffer and TradePrinted") {
  TestVenue venue;
  auto cfg = venue.client_config(Market::kSpot, 1);
  cfg.user_data_stream = false;
  BinanceVenue client(std::move(cfg));
  Collected got;
  const InstrumentId ids[] = {kBtc};
  MarketDataStreams streams;
  streams.depth = false;
  REQUIRE(client.account(0).subscribe_market_data(ids, streams, got.sink()).ok());
  std::string target;
  REQUIRE(venue.wait_md_stream(target));
  CHECK(target == "/stream?streams=btcusdt@bookTicker/btcusdt@trade");
  venue.push_md(R"({"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BTCUSDT",
    "b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}})");
  venue.push_md(R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1672515782136,
    "s":"BTCUSDT","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}})");
  REQUIRE(wait_until([&] { return got.size() >= 2; }));
  std::lock_guard lk(got.m);
  CHECK(std::get<BestBidOffer>(got.events[0]) ==
        BestBidOffer{kBtc, 400900217, "25.3519"_d, "31.21"_d, "25.3652"_d, "40.66"_d});
  const auto& t = std::get<TradePrinted>(got.events[1]);
  CHECK(t.trade_id.view() == "12345");
  CHECK(t.price == "0.001"_d);
  CHECK(t.quantity == "100"_d);
  CHECK(t.aggressor == Side::kSell);
}

}  // namespace oms::binance
