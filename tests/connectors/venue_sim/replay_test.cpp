// venue-sim background replay: the recorded spot BTCUSDT stream (hftbacktest format) goes
// through the market-data parser into the venue; the venue's book then serves REST depth.
#include <doctest/doctest.h>

#include "background_feed.hpp"
#include "bybit_front.hpp"
#include "follow_feed.hpp"
#include "front_fixture.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::test;

TEST_CASE("replay: the recorded spot BTCUSDT file feeds every snapshot, diff and trade; the book ends at the recorded ask") {
  FrontConfig cfg = FrontFixture::default_config();
  Front front(cfg);
  std::atomic<bool> stop{false};
  const auto file = (testkit::shared_data() / "hftbacktest" / "spot_btcusdt_20240808.gz").string();
  const auto st = replay_files(front, {file}, 0, stop);
  CHECK(st.snapshots == 1);
  // 3,451 diffs: three arrive before the REST snapshot and wait for it (the one that covers
  // the snapshot's id is applied with it), the 3,448 after it follow one another.
  CHECK(st.deltas == 3448);
  CHECK(st.buffered == 3);
  CHECK(st.stale == 0);
  CHECK(st.gaps == 0);
  CHECK(st.trades == 9757);
  CHECK(st.errors == 0);
  net::HttpRequest q{"GET", "/api/v3/depth?symbol=BTCUSDT&limit=5", {}, {}, 5'000ms};
  const auto r = front.handle(q).response;
  REQUIRE(r.status == 200);
  const auto j = nlohmann::json::parse(r.body);
  REQUIRE(j["asks"].size() == 5);
  // The snapshot plus every later diff of the file, applied independently (a few lines of
  // Python over the same file), end at ask 61686.00 x 2.29327 -- the last bookTicker has the
  // same price (its quantity is newer than the last 100 ms diff).
  CHECK(j["asks"][0][0] == "61686.00000000");
  CHECK(j["asks"][0][1] == "2.29327000");

  CHECK_THROWS_WITH_AS(replay_files(front, {"/nonexistent/spot_btcusdt_1.gz"}, 0, stop),
                       "/nonexistent/spot_btcusdt_1.gz: cannot open", std::runtime_error);
  CHECK_THROWS_WITH_AS(replay_files(front, {"/tmp/cm_btcusd_perp_1.gz"}, 0, stop),
                       "/tmp/cm_btcusd_perp_1.gz: market 'cm' is not spot or usdm",
                       std::runtime_error);
}

namespace {

struct Top {
  std::string bid, bid_qty, ask, ask_qty;
  friend bool operator==(const Top&, const Top&) = default;
};

// Replays files through a Front and checks, after every message, that the venue's book (its
// REST bookTicker) is not crossed, and that every recorded bookTicker whose update id equals
// an update id the venue's book reached shows the venue's top at that id.
struct BookPin {
  std::size_t messages = 0, crossed = 0, compared = 0, mismatched = 0;
  std::string first_problem;
};

BookPin pin_replay(Market m, const std::vector<std::string>& files) {
  FrontConfig cfg = FrontFixture::default_config();
  cfg.limits.spot_weight_1m = 4'000'000'000u;  // this test polls after every message
  cfg.limits.usdm_weight_1m = 4'000'000'000u;
  Front front(cfg);
  std::atomic<bool> stop{false};
  BookPin pin;
  const bool spot = m == Market::kSpot;
  const std::string path = spot ? "/api/v3/ticker/bookTicker?symbol=BTCUSDT"
                                : "/fapi/v1/ticker/bookTicker?symbol=BTCUSDT";
  // Exact decimals both ways: the venue prints 8 digits on spot, canonical on USD-M.
  const auto canon = [](const std::string& text) {
    const auto d = Decimal::parse(text);
    return d ? d->to_string() : "bad:" + text;
  };
  std::map<std::uint64_t, Top> venue_tops;     // by the recorded id the book was at
  std::map<std::uint64_t, Top> recorded_tops;  // bookTickers by their u
  std::uint64_t last_id = 0;
  replay_files(front, files, 0, stop,
               [&](Market, std::string_view, const binance::MarketMessage& msg, std::uint64_t id) {
                 ++pin.messages;
                 if (msg.kind == binance::MarketMessageKind::kBookTicker) {
                   const auto& t = msg.book_ticker;
                   recorded_tops[t.update_id] = {t.bid_price.to_string(), t.bid_qty.to_string(),
                                                 t.ask_price.to_string(), t.ask_qty.to_string()};
                 }
                 if (id == 0 || id == last_id) return;
                 last_id = id;
                 const auto r = front.handle({"GET", path, {}, {}, 5'000ms}).response;
                 const auto j = nlohmann::json::parse(r.body);
                 if (!j.contains("bidPrice")) {
                   if (pin.first_problem.empty()) pin.first_problem = r.body;
                   return;
                 }
                 Top top{canon(j["bidPrice"]), canon(j["bidQty"]), canon(j["askPrice"]),
                         canon(j["askQty"])};
                 if (*Decimal::parse(top.bid) >= *Decimal::parse(top.ask)) {
                   if (pin.crossed++ == 0) pin.first_problem = "crossed at u=" + std::to_string(id) + ": " + r.body;
                 }
                 venue_tops[id] = top;
               });
  for (const auto& [u, rec] : recorded_tops) {
    const auto it = venue_tops.find(u);
    if (it == venue_tops.end()) continue;
    ++pin.compared;
    if (it->second != rec && pin.mismatched++ == 0 && pin.first_problem.empty()) {
      pin.first_problem = "u=" + std::to_string(u) + ": recorded " + rec.bid + " " + rec.bid_qty +
                          " / " + rec.ask + " " + rec.ask_qty + ", venue " + it->second.bid + " " +
                          it->second.bid_qty + " / " + it->second.ask + " " + it->second.ask_qty;
    }
  }
  return pin;
}

}  // namespace

// The recorded spot file has a diff (U=50093239208, u=50093239224) that removes bid 61820.99
// and arrives before the REST snapshot (lastUpdateId 50093239218) that still lists it. Applied
// in arrival order, the snapshot put the level back for good and the book stayed crossed from
// the moment the price fell through it; the local-book rules apply that diff after the snapshot.
TEST_CASE("replay: venue-sim's book follows the recorded venue's -- never crossed, equal to every recorded bookTicker at its update id") {
  const auto d = testkit::shared_data() / "hftbacktest";
  struct Case {
    Market market;
    std::vector<std::string> files;
    std::size_t min_compared;  // bookTickers whose u is an id the book reached (measured)
  };
  const std::vector<Case> cases = {
      {Market::kSpot, {(d / "spot_btcusdt_20240808.gz").string(), (d / "spot_btcusdt_20240809.gz").string()}, 1'072},
      {Market::kUsdm, {(d / "usdm_btcusdt_20240808.gz").string()}, 629},
  };
  for (const auto& c : cases) {
    const std::string name = c.files.front();
    INFO(name);
    const BookPin pin = pin_replay(c.market, c.files);
    MESSAGE(name, ": ", pin.messages, " messages, ", pin.compared, " bookTickers compared");
    CHECK_MESSAGE(pin.crossed == 0, pin.first_problem);
    CHECK_MESSAGE(pin.mismatched == 0, pin.first_problem);
    CHECK(pin.compared >= c.min_compared);
  }
}

// With Bybit on, the replay also drives Bybit's book of the same symbol: the recorded levels
// shifted by the basis (whole ticks), never crossed, its top the recorded top plus the shift.
TEST_CASE("replay: Bybit's spot BTCUSDT follows the recorded Binance book, shifted by the basis in whole ticks") {
  FrontConfig cfg = FrontFixture::default_config();
  cfg.limits.spot_weight_1m = 4'000'000'000u;
  Front front(cfg);
  BybitFrontConfig bc;
  bc.spot_instruments = default_bybit_instruments(Market::kSpot);
  bc.linear_instruments = default_bybit_instruments(Market::kUsdm);
  bc.accounts = {default_bybit_account("alice", "k", "s")};
  bc.limits.lifted = true;
  BybitFront bybit(bc);
  std::vector<Instrument> both = bc.spot_instruments;
  both.insert(both.end(), bc.linear_instruments.begin(), bc.linear_instruments.end());
  FollowFeed follow(front, bybit, both, 10);  // 10 bps above
  std::atomic<bool> stop{false};
  const auto d = testkit::shared_data() / "hftbacktest";
  std::size_t checked = 0, crossed = 0, off = 0;
  std::string first_off;
  replay_files(follow, {(d / "spot_btcusdt_20240808.gz").string()}, 0, stop,
               [&](Market, std::string_view, const binance::MarketMessage&, std::uint64_t id) {
                 if (id == 0 || checked > 400) return;
                 const auto shift = follow.shift(Market::kSpot, "BTCUSDT");
                 REQUIRE(shift);
                 const auto bn = nlohmann::json::parse(front.handle({"GET", "/api/v3/ticker/bookTicker?symbol=BTCUSDT", {}, {}, 5'000ms}).response.body);
                 const auto bb = nlohmann::json::parse(bybit.handle({"GET", "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=1", {}, {}, 5'000ms}).response.body);
                 const auto& res = bb.at("result");
                 if (res.at("b").empty() || res.at("a").empty()) return;
                 ++checked;
                 const Decimal bid = *Decimal::parse(res["b"][0][0].get<std::string>());
                 const Decimal ask = *Decimal::parse(res["a"][0][0].get<std::string>());
                 if (bid >= ask) ++crossed;
                 const Decimal want_bid = Decimal::from_raw(Decimal::parse(bn["bidPrice"].get<std::string>())->raw() + shift->raw());
                 const Decimal want_ask = Decimal::from_raw(Decimal::parse(bn["askPrice"].get<std::string>())->raw() + shift->raw());
                 if (bid != want_bid || ask != want_ask) {
                   if (off++ == 0) first_off = "bybit " + bid.to_string() + "/" + ask.to_string() + " want " + want_bid.to_string() + "/" + want_ask.to_string();
                 }
               });
  // 10 bps of ~61,837 is 61.84 USDT: 6184 ticks of 0.01.
  REQUIRE(follow.shift(Market::kSpot, "BTCUSDT"));
  CHECK(*follow.shift(Market::kSpot, "BTCUSDT") == *Decimal::parse("61.84"));
  CHECK(checked > 400);
  CHECK(crossed == 0);
  CHECK_MESSAGE(off == 0, first_off);
}
