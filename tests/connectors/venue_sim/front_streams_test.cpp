// venue-sim front, market data: the depth stream's diffs plus the REST snapshot let BookCore
// build the venue's book without a gap (spot U/u and USD-M pu), combined streams wrap
// {"stream","data"}, bookTicker follows the top, and fault injection is deterministic.
#include <doctest/doctest.h>

#include "front_fixture.hpp"
#include "oms/cores/book_core.hpp"
#include "oms/connectors/binance/market_data.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::test;

namespace {

// Feeds every received depth diff (and the snapshot) through the live parser into a BookCore.
struct BookBuilder {
  BookCore book;
  binance::JsonParser parser;
  binance::MarketMessage msg;
  std::vector<BookDelta> deltas;
  std::vector<BookSnapshot> snaps;
  std::size_t applied = 0, problems = 0;
  explicit BookBuilder(BookSequencing s) : book(BookCoreConfig{InstrumentId{0}, s}) {}
  void feed(std::string_view json) {
    auto r = binance::parse_market_data(parser, json, msg);
    REQUIRE(r.ok());
    if (*r == binance::MarketMessageKind::kDepthUpdate) {
      binance::to_book_deltas(msg.depth, InstrumentId{0}, deltas);
      for (const auto& dl : deltas) {
        const auto res = book.apply(dl);
        if (res.status == BookApplyStatus::kApplied) ++applied;
        else if (res.status != BookApplyStatus::kBuffered && res.status != BookApplyStatus::kStale) ++problems;
      }
    } else if (*r == binance::MarketMessageKind::kDepthSnapshot) {
      binance::to_book_snapshots(msg.snapshot, InstrumentId{0}, snaps);
      for (const auto& s : snaps) (void)book.apply(s);
    }
  }
};

void check_same_book(BookCore& book, const nlohmann::json& depth) {
  REQUIRE(book.level_count(BookSide::kBid) == depth["bids"].size());
  REQUIRE(book.level_count(BookSide::kAsk) == depth["asks"].size());
  for (std::size_t i = 0; i < depth["bids"].size(); ++i) {
    CHECK(book.level(BookSide::kBid, i).price == d(depth["bids"][i][0].get<std::string>().c_str()));
    CHECK(book.level(BookSide::kBid, i).quantity == d(depth["bids"][i][1].get<std::string>().c_str()));
  }
  for (std::size_t i = 0; i < depth["asks"].size(); ++i) {
    CHECK(book.level(BookSide::kAsk, i).price == d(depth["asks"][i][0].get<std::string>().c_str()));
    CHECK(book.level(BookSide::kAsk, i).quantity == d(depth["asks"][i][1].get<std::string>().c_str()));
  }
}

void run_depth_case(Market m) {
  FrontFixture f;
  const bool spot = m == Market::kSpot;
  const std::string prefix = spot ? "" : "/fstream";
  auto& inbox = f.open_ws(prefix + "/ws/btcusdt@depth@100ms", std::make_shared<Inbox>());
  // Trades: spot streams each trade (@trade), USD-M aggregates (@aggTrade).
  const std::string trades = spot ? "btcusdt@trade" : "btcusdt@aggTrade";
  auto& tick = f.open_ws(prefix + "/stream?streams=btcusdt@bookTicker/" + trades,
                         std::make_shared<Inbox>());
  const std::string api = spot ? "/api/v3/depth?symbol=BTCUSDT&limit=1000"
                               : "/fapi/v1/depth?symbol=BTCUSDT&limit=1000";
  const char* p1 = spot ? "99.40" : "59999.0";
  const char* p2 = spot ? "100.02" : "60000.2";
  // A change before the snapshot (the client buffers it), the snapshot, then more changes: a
  // background delta, our resting order, a fill that removes a level.
  sim::BookDeltaIn d1;
  d1.bids = {{d(p1), d("3")}};
  f.front->on_delta(m, "BTCUSDT", d1);
  const std::string snapshot = f.get_public(api).body;
  sim::BookDeltaIn d2;
  d2.asks = {{d(p2), d("4")}};
  f.front->on_delta(m, "BTCUSDT", d2);
  const auto& ins = f.ins(m);
  auto rest = spot ? f.send(binance::spot_new_order(ins, order(Side::kBuy, "0.5", "99.60", "r1")), f.alice)
                   : f.send(binance::usdm_new_order(ins, order(Side::kBuy, "0.5", "59999.5", "r1")), f.fut);
  REQUIRE(rest.status == 200);
  auto take = spot ? f.send(binance::spot_new_order(ins, order(Side::kBuy, "1", nullptr, "t1", OrderType::kMarket)), f.bob)
                   : f.send(binance::usdm_new_order(ins, order(Side::kBuy, "1", nullptr, "t1", OrderType::kMarket)), f.fut);
  REQUIRE(take.status == 200);
  const auto final_depth = body(f.get_public(api));
  const std::uint64_t last = final_depth["lastUpdateId"];
  REQUIRE(wait_for([&] {
    for (const auto& e : inbox.events("depthUpdate")) {
      if (e["u"].get<std::uint64_t>() == last) return true;
    }
    return false;
  }));

  BookBuilder b(spot ? BookSequencing::kBinanceSpot : BookSequencing::kBinanceFutures);
  const auto msgs = inbox.all();
  std::size_t fed = 0;
  // Deliver the first diff before the snapshot, as a live client would see them.
  for (const auto& s : msgs) {
    if (s.find("depthUpdate") == std::string::npos) continue;
    b.feed(s);
    if (++fed == 1) b.feed(snapshot);
  }
  CHECK(b.problems == 0);
  CHECK(b.book.state() == BookState::kLive);
  CHECK(b.book.last_update_id() == last);
  CHECK(b.applied == 3);  // d2, the resting order, the fill (one diff each); d1 is stale
  check_same_book(b.book, final_depth);

  // bookTicker and trade arrive on the combined stream, wrapped.
  // The fill sends its trade, then the new top (bookTicker): wait for both.
  REQUIRE(wait_for([&] {
    bool trade = false, ticker = false;
    for (const auto& s : tick.all()) {
      trade = trade || s.find("\"stream\":\"" + trades + "\"") != std::string::npos;
      ticker = ticker || s.find("\"stream\":\"btcusdt@bookTicker\"") != std::string::npos;
    }
    return trade && ticker;
  }));
  bool saw_ticker = false;
  for (const auto& s : tick.all()) {
    auto j = nlohmann::json::parse(s);
    if (j.value("stream", "") != "btcusdt@bookTicker") continue;
    saw_ticker = true;
    CHECK(j["data"]["s"] == "BTCUSDT");
    CHECK(j["data"].contains("u"));
  }
  CHECK(saw_ticker);
  // The trade as the venue words it, and as our parser reads it: the taker bought 1.
  bool saw_trade = false;
  for (const auto& s : tick.all()) {
    auto j = nlohmann::json::parse(s);
    if (j.value("stream", "") != trades) continue;
    saw_trade = true;
    const auto& t = j["data"];
    CHECK(t["e"] == (spot ? "trade" : "aggTrade"));
    CHECK(t["m"] == false);
    if (!spot) CHECK(t["f"] == t["l"]);
    binance::JsonParser parser;
    binance::MarketMessage msg;
    const auto parsed = binance::parse_market_data(parser, s, msg);
    REQUIRE_MESSAGE(parsed.ok(), s);
    CHECK(*parsed == (spot ? binance::MarketMessageKind::kTrade : binance::MarketMessageKind::kAggTrade));
    CHECK(binance::to_trade_printed(msg.trade, InstrumentId{0}).aggressor == Side::kBuy);
  }
  CHECK(saw_trade);
}

}  // namespace

TEST_CASE("spot depth stream + REST snapshot build BookCore's book without a gap, equal to the venue's") {
  run_depth_case(Market::kSpot);
}

TEST_CASE("usdm depth stream (pu chain) + REST snapshot build BookCore's book without a gap") {
  run_depth_case(Market::kUsdm);
}

TEST_CASE("faults: a lost ack executes the order but drops the connection; the same seed loses the same acks") {
  auto run = [](std::uint64_t seed) {
    auto cfg = FrontFixture::default_config();
    cfg.seed = seed;
    cfg.faults = parse_faults("lost_ack=0.5");
    FrontFixture f(cfg);
    const auto& ins = f.ins(Market::kSpot);
    std::string pattern;
    for (int i = 0; i < 8; ++i) {
      const std::string cid = "f" + std::to_string(i);
      auto signer = signing::BinanceSigner::hmac(f.alice.secret);
      binance::Credentials cr{f.alice.key, &*signer, 5'000};
      auto req = binance::spot_new_order(ins, order(Side::kBuy, "0.1", "90.00", cid.c_str()));
      auto http = binance::render(*req, cr, wall_ms());
      auto r = f.client->request(*http);
      pattern += r.ok() ? 'A' : 'L';
      if (!r.ok()) CHECK(r.error().code == net::HttpErrorCode::kClosed);
    }
    // Every order exists, acked or not.
    CHECK(body(f.send(binance::spot_open_orders(&ins), f.alice)).size() == 8);
    return pattern;
  };
  const auto a = run(11);
  CHECK(a == run(11));
  CHECK(a.find('L') != std::string::npos);
  CHECK(a.find('A') != std::string::npos);
}
