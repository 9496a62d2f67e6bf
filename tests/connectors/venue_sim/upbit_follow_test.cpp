// With Upbit on and a replay, KRW-BTC follows the recorded Binance BTCUSDT spot book through
// FollowFeed's Conversion: each price times KRW per USDT times (1 + the premium), then to Upbit's
// KRW tick at that price (bids down, asks up), the levels on one price summed; trades on the tick
// of the side they hit.
#include <doctest/doctest.h>

#include "background_feed.hpp"
#include "follow_feed.hpp"
#include "front_fixture.hpp"
#include "oms/connectors/upbit/instruments.hpp"
#include "testkit/paths.hpp"
#include "upbit_fixture.hpp"

using namespace oms;
using namespace oms::venue_sim;
using namespace oms::venue_sim::upbit_test;

namespace {

struct NullSink final : LiquiditySink {
  int snapshots = 0;
  void on_snapshot(Market, std::string_view, const sim::BookSnapshotIn&) override { ++snapshots; }
  void on_delta(Market, std::string_view, const sim::BookDeltaIn&) override {}
  void on_trade(Market, std::string_view, const sim::TradePrintIn&) override {}
};

FollowFeed::Conversion krw(const char* krw_per_usdt, std::int64_t premium_bps) {
  FollowFeed::Conversion c;
  c.multiplier = *d(krw_per_usdt).mul(Decimal::from_raw(Decimal::kOne + premium_bps * (Decimal::kOne / 10'000)), Rounding::kHalfEven);
  c.tick_at = [](Decimal p) { return *upbit::tick_size("KRW", p); };
  return c;
}

std::optional<std::string> upbit_name(Market m, std::string_view sym) {
  if (m != Market::kSpot || sym != "BTCUSDT") return std::nullopt;
  return std::string("KRW-BTC");
}

std::vector<std::pair<Decimal, Decimal>> side_of(const nlohmann::json& units, const char* price, const char* size) {
  std::vector<std::pair<Decimal, Decimal>> out;
  for (const auto& u : units) {
    if (dj(u.at(size)).is_zero()) continue;
    out.emplace_back(dj(u.at(price)), dj(u.at(size)));
  }
  return out;
}

}  // namespace

TEST_CASE("follow: KRW-BTC is the recorded BTCUSDT book x 1350 x (1 + 50 bps) on Upbit's KRW ticks, levels on one tick summed") {
  UpbitFixture f;
  NullSink binance;
  FollowFeed feed(binance);
  feed.add(*f.front, core_instruments(default_upbit_markets()), krw("1350", 50), upbit_name);

  // x 1356.75: 60000.01 -> 81,405,013.5675 and 60000.00 -> 81,405,000 share the 81,405,000 bid;
  // 59999.50 -> 81,404,321.625 rounds down to 81,404,000; the asks 60000.02 -> 81,405,027.135 and
  // 60000.80 -> 81,406,085.4 round up to 81,406,000 and 81,407,000.
  sim::BookSnapshotIn s;
  s.bids = {{d("60000.01"), d("1")}, {d("60000.00"), d("2")}, {d("59999.50"), d("0.5")}};
  s.asks = {{d("60000.02"), d("1")}, {d("60000.80"), d("3")}};
  feed.on_snapshot(Market::kSpot, "BTCUSDT", s);
  CHECK(binance.snapshots == 1);
  auto ob = f.get_public("/v1/orderbook?markets=KRW-BTC");
  auto units = ob.json[0].at("orderbook_units");
  using L = std::vector<std::pair<Decimal, Decimal>>;
  CHECK(side_of(units, "bid_price", "bid_size") == L{{d("81405000"), d("3")}, {d("81404000"), d("0.5")}});
  CHECK(side_of(units, "ask_price", "ask_size") == L{{d("81406000"), d("1")}, {d("81407000"), d("3")}});

  // A delta removes 60000.01: the 81,405,000 bid keeps 60000.00's 2.
  sim::BookDeltaIn delta;
  delta.bids = {{d("60000.01"), d("0")}};
  feed.on_delta(Market::kSpot, "BTCUSDT", delta);
  units = f.get_public("/v1/orderbook?markets=KRW-BTC").json[0].at("orderbook_units");
  CHECK(side_of(units, "bid_price", "bid_size") == L{{d("81405000"), d("2")}, {d("81404000"), d("0.5")}});

  // A buyer lifting 60000.02 prints on the ask's KRW tick.
  feed.on_trade(Market::kSpot, "BTCUSDT", sim::TradePrintIn{d("60000.02"), d("0.25"), false});
  const auto ticks = f.get_public("/v1/trades/ticks?market=KRW-BTC");
  REQUIRE(ticks.json.size() == 1);
  CHECK(dj(ticks.json[0].at("trade_price")) == d("81406000"));
  CHECK(ticks.json[0].value("ask_bid", "") == "BID");

  // Symbols Upbit does not follow stay Binance's only.
  feed.on_snapshot(Market::kUsdm, "BTCUSDT", s);
  CHECK(binance.snapshots == 2);
}

TEST_CASE("follow: a KRW price crossing a tick band takes the band's tick (500 below 1,000,000 KRW, 1000 above)") {
  // A low multiplier puts the recorded 60000.x right around 1,000,000 KRW.
  UpbitFixture f;
  NullSink binance;
  FollowFeed feed(binance);
  feed.add(*f.front, core_instruments(default_upbit_markets()), krw("16.6666", 0), upbit_name);
  // 59999.00 x 16.6666 = 999,979.33 -> bid 999,500 (band 500); 60001.00 x 16.6666 = 1,000,012.67
  // -> ask 1,001,000 (band 1000); 60000.00 -> 999,996 -> ask 1,000,000.
  sim::BookSnapshotIn s;
  s.bids = {{d("59999.00"), d("1")}};
  s.asks = {{d("60000.00"), d("2")}, {d("60001.00"), d("1")}};
  feed.on_snapshot(Market::kSpot, "BTCUSDT", s);
  const auto units = f.get_public("/v1/orderbook?markets=KRW-BTC").json[0].at("orderbook_units");
  using L = std::vector<std::pair<Decimal, Decimal>>;
  CHECK(side_of(units, "bid_price", "bid_size") == L{{d("999500"), d("1")}});
  CHECK(side_of(units, "ask_price", "ask_size") == L{{d("1000000"), d("2")}, {d("1001000"), d("1")}});
}

TEST_CASE("replay: KRW-BTC follows the recorded Binance BTCUSDT spot book at 1350 KRW x (1 + 100 bps), each top on its KRW tick, never crossed") {
  FrontConfig cfg = test::FrontFixture::default_config();
  cfg.limits.spot_weight_1m = 4'000'000'000u;
  Front front(cfg);
  UpbitFrontConfig uc;
  uc.markets = default_upbit_markets();
  uc.accounts = {default_upbit_account("alice", "k", "s")};
  uc.limits.lifted = true;
  UpbitFront upbit(uc);
  FollowFeed follow(front);
  const auto conv = krw("1350", 100);
  REQUIRE(conv.multiplier == d("1363.5"));
  follow.add(upbit, core_instruments(uc.markets), conv, upbit_name);
  std::atomic<bool> stop{false};
  std::size_t checked = 0, crossed = 0, off = 0;
  std::string first_off;
  const auto to_krw = [&](Decimal usdt, bool up) {
    const Decimal q = *usdt.mul(conv.multiplier, Rounding::kExact);
    const Decimal tick = *upbit::tick_size("KRW", q);
    return *q.round_to(tick, up ? Rounding::kUp : Rounding::kDown);
  };
  replay_files(follow, {(testkit::shared_data() / "hftbacktest" / "spot_btcusdt_20240808.gz").string()}, 0, stop,
               [&](Market, std::string_view, const binance::MarketMessage&, std::uint64_t id) {
                 if (id == 0 || checked > 300) return;
                 const auto bn = nlohmann::json::parse(
                     front.handle({"GET", "/api/v3/ticker/bookTicker?symbol=BTCUSDT", {}, {}, std::chrono::milliseconds(5'000)}).response.body);
                 const auto ub = nlohmann::json::parse(
                     upbit.handle({"GET", "/v1/orderbook?markets=KRW-BTC&count=1", {}, {}, std::chrono::milliseconds(5'000)}).response.body);
                 const auto& unit = ub.at(0).at("orderbook_units").at(0);
                 const Decimal bid = dj(unit.at("bid_price")), ask = dj(unit.at("ask_price"));
                 if (bid.is_zero() || ask.is_zero()) return;
                 ++checked;
                 if (bid >= ask) ++crossed;
                 const Decimal want_bid = to_krw(dj(bn.at("bidPrice")), false), want_ask = to_krw(dj(bn.at("askPrice")), true);
                 if ((bid != want_bid || ask != want_ask) && off++ == 0)
                   first_off = "upbit " + bid.to_string() + "/" + ask.to_string() + " want " + want_bid.to_string() + "/" + want_ask.to_string();
               });
  CHECK(checked > 300);
  CHECK(crossed == 0);
  CHECK_MESSAGE(off == 0, first_off);
}
