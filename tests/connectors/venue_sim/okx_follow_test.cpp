// With OKX on and a replay, OKX's BTC-USDT and BTC-USDT-SWAP follow the recorded Binance
// BTCUSDT spot / USD-M books (FollowFeed, renamed, shifted by the basis in whole OKX ticks), next
// to Bybit following the same recording: OKX's coarser spot tick (0.1 against 0.01) puts a bid
// on the tick at or below it and an ask on the tick at or above, so its top is the recorded top
// so rounded plus the shift and never crosses; Bybit's stays the recorded top plus its shift.
#include <doctest/doctest.h>

#include "background_feed.hpp"
#include "bybit_front.hpp"
#include "follow_feed.hpp"
#include "front_fixture.hpp"
#include "okx_front.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::venue_sim;

namespace {

std::optional<std::string> okx_name(Market m, std::string_view sym) {
  if (sym != "BTCUSDT" && sym != "ETHUSDT") return std::nullopt;
  return std::string(sym.substr(0, 3)) + "-USDT" + (m == Market::kUsdm ? "-SWAP" : "");
}

Decimal dec(const nlohmann::json& j) { return *Decimal::parse(j.get<std::string>()); }

Decimal floor_to(Decimal p, Decimal tick) { return Decimal::from_raw(p.raw() / tick.raw() * tick.raw()); }
Decimal ceil_to(Decimal p, Decimal tick) { return Decimal::from_raw((p.raw() + tick.raw() - 1) / tick.raw() * tick.raw()); }

}  // namespace

TEST_CASE("replay: OKX's BTC-USDT and BTC-USDT-SWAP follow the recorded Binance books (ticks rounded outward, shifted), Bybit alongside") {
  struct Case {
    Market market;
    const char* file;
    const char* binance_target;
    const char* okx_inst;
    const char* tick;
  };
  const Case cases[] = {
      {Market::kSpot, "spot_btcusdt_20240808.gz", "/api/v3/ticker/bookTicker?symbol=BTCUSDT", "BTC-USDT", "0.1"},
      {Market::kUsdm, "usdm_btcusdt_20240808.gz", "/fapi/v1/ticker/bookTicker?symbol=BTCUSDT", "BTC-USDT-SWAP", "0.1"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    FrontConfig cfg = test::FrontFixture::default_config();
    cfg.limits.spot_weight_1m = 4'000'000'000u;
    cfg.limits.usdm_weight_1m = 4'000'000'000u;
    Front front(cfg);
    OkxFrontConfig kc;
    kc.spot_instruments = default_okx_instruments(Market::kSpot);
    kc.swap_instruments = default_okx_instruments(Market::kUsdm);
    kc.accounts = {default_okx_account("alice", "k", "s", "p")};
    kc.limits.lifted = true;
    OkxFront okx(kc);
    BybitFrontConfig bc;
    bc.spot_instruments = default_bybit_instruments(Market::kSpot);
    bc.linear_instruments = default_bybit_instruments(Market::kUsdm);
    bc.accounts = {default_bybit_account("alice", "k", "s")};
    bc.limits.lifted = true;
    BybitFront bybit(bc);
    std::vector<Instrument> bybit_both = bc.spot_instruments;
    bybit_both.insert(bybit_both.end(), bc.linear_instruments.begin(), bc.linear_instruments.end());
    std::vector<Instrument> okx_both = core_instruments(kc.spot_instruments);
    for (const auto& i : core_instruments(kc.swap_instruments)) okx_both.push_back(i);
    FollowFeed follow(front);
    follow.add(bybit, bybit_both, 10);
    follow.add(okx, okx_both, -10, okx_name);  // 10 bps below
    std::atomic<bool> stop{false};
    std::size_t checked = 0, crossed = 0, off = 0;
    std::string first_off;
    const Decimal tick = *Decimal::parse(c.tick);
    replay_files(follow, {(testkit::shared_data() / "hftbacktest" / c.file).string()}, 0, stop,
                 [&](Market, std::string_view, const binance::MarketMessage&, std::uint64_t id) {
                   if (id == 0 || checked > 300) return;
                   const auto shift = follow.shift(c.market, c.okx_inst);
                   REQUIRE(shift);
                   const auto bn = nlohmann::json::parse(front.handle({"GET", c.binance_target, {}, {}, std::chrono::milliseconds(5'000)}).response.body);
                   const auto ok = nlohmann::json::parse(
                       okx.handle({"GET", std::string("/api/v5/market/books?instId=") + c.okx_inst, {}, {}, std::chrono::milliseconds(5'000)}).response.body);
                   const auto& data = ok.at("data")[0];
                   if (data.at("bids").empty() || data.at("asks").empty()) return;
                   ++checked;
                   const Decimal bid = dec(data["bids"][0][0]), ask = dec(data["asks"][0][0]);
                   if (bid >= ask) ++crossed;
                   const Decimal want_bid = Decimal::from_raw(floor_to(dec(bn["bidPrice"]), tick).raw() + shift->raw());
                   const Decimal want_ask = Decimal::from_raw(ceil_to(dec(bn["askPrice"]), tick).raw() + shift->raw());
                   if ((bid != want_bid || ask != want_ask) && off++ == 0)
                     first_off = "okx " + bid.to_string() + "/" + ask.to_string() + " want " + want_bid.to_string() + "/" + want_ask.to_string();
                 });
    // -10 bps of ~61,800 is about -61.8 USDT: whole 0.1 ticks.
    const auto shift = follow.shift(c.market, c.okx_inst);
    REQUIRE(shift);
    CHECK(shift->is_negative());
    CHECK(shift->is_multiple_of(tick));
    CHECK(Decimal::from_raw(-shift->raw()) < *Decimal::parse("62"));
    CHECK(checked > 300);
    CHECK(crossed == 0);
    CHECK_MESSAGE(off == 0, first_off);
    // Bybit followed the same recording with its own basis (+10 bps).
    const auto bybit_shift = follow.shift(c.market, "BTCUSDT");
    REQUIRE(bybit_shift);
    CHECK(bybit_shift->is_positive());
  }
}
