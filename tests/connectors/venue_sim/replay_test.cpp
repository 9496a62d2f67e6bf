// venue-sim background replay: the recorded spot BTCUSDT stream (hftbacktest format) goes
// through the market-data parser into the venue; the venue's book then serves REST depth.
#include <doctest/doctest.h>

#include "background_feed.hpp"
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
  CHECK(st.deltas == 3451);
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
