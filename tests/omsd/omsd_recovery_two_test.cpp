// Recovery across the engine's accounts and markets: orders flow on two accounts (binance_main,
// binance_basis) and two markets (spot BTC/USDT, USD-M BTC/USDT:USDT) while omsd is SIGKILLed at
// seeded points, some with an order in flight. At the end omsd agrees with the venue on orders,
// fills and spot balances -- and on positions and PnL: the USD-M position's size is the venue's,
// every net position is the sum of the venue's trades, and realized PnL and fees are what the
// venue's trades give when folded in the venue's own trade order.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>

#include "oms/cores/position_core.hpp"
#include "omsd_checks.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

struct Leg {
  std::string account, entry, instrument;
  Market market;
};

const std::vector<Leg>& legs() {
  static const std::vector<Leg> all{
      {"binance_main", "binance_main", "BTC/USDT", Market::kSpot},
      {"binance_main", "binance_main.usdm", "BTC/USDT:USDT", Market::kUsdm},
      {"binance_basis", "binance_basis", "BTC/USDT", Market::kSpot},
      {"binance_basis", "binance_basis.usdm", "BTC/USDT:USDT", Market::kUsdm}};
  return all;
}

// The venue's trades folded into a PositionCore, in the venue's trade order.
actors::PositionCore::Leg replay(const std::vector<FillReceived>& fills, Market market) {
  std::vector<Instrument> ins(1);
  ins[0].id = InstrumentId(0);
  ins[0].market = market;
  ins[0].symbol.base = "BTC";
  ins[0].symbol.quote = "USDT";
  if (market == Market::kUsdm) ins[0].symbol.settle = "USDT";
  ins[0].venue_symbol = "BTCUSDT";
  const auto table = *actors::InstrumentTable::from(ins);
  actors::PositionCore core(table, 1);
  for (FillReceived f : fills) {
    f.account = AccountId(0);
    f.instrument = InstrumentId(0);
    REQUIRE(core.on_fill(f).ok());
  }
  const auto* leg = core.net(AccountId(0), InstrumentId(0));
  return leg != nullptr ? *leg : actors::PositionCore::Leg{};
}

std::string e18(Int128 v) {
  Decimal d;
  REQUIRE(actors::round_e18(v, d));
  return d.to_string();
}

void check_leg(const Stack& s, const Leg& leg, VenueView& venue) {
  INFO(leg.account << " " << leg.instrument);
  const auto orders = wait_quiet(s, leg.account);
  const auto venue_orders = venue.orders();
  // No ghost on either side.
  CHECK(check_orders_agree(orders, leg.instrument, venue_orders) == venue_orders.size());
  // Fills: the same trades, once each.
  const auto venue_fills = venue.fills();
  std::set<std::string> venue_trades;
  for (const auto& f : venue_fills) venue_trades.insert(f.trade_id.str());
  std::set<std::string> our_trades;
  const auto fills = omsctl_json(s, {"fills", "--account", leg.account});
  for (const auto& f : fills.at("fills")) {
    if (f.at("instrument") != leg.instrument) continue;
    CHECK_MESSAGE(our_trades.insert(f.at("trade_id")).second, f.dump());
  }
  CHECK_MESSAGE(our_trades == venue_trades,
                "omsd " << our_trades.size() << " trades, the venue " << venue_trades.size());
  // Positions and PnL.
  const auto expected = replay(venue_fills, leg.market);
  nlohmann::json ours_leg;
  const auto positions = omsctl_json(s, {"positions", "--account", leg.account});
  for (const auto& p : positions.at("positions")) {
    if (p.at("instrument") == leg.instrument) ours_leg = p;
  }
  if (venue_fills.empty()) {
    CHECK((ours_leg.is_null() || ours_leg.at("size") == "0"));
    return;
  }
  REQUIRE_MESSAGE(!ours_leg.is_null(), "no position for " << leg.instrument << " in " << positions.dump());
  CHECK(ours_leg.at("size") == expected.position.size.to_string());
  CHECK(ours_leg.at("realized_pnl") == e18(expected.position.realized_e18));
  CHECK(ours_leg.at("fees") == e18(expected.fees_e18));
  if (leg.market == Market::kUsdm) {
    CHECK(ours_leg.at("size") == venue.position().first.to_string());
  }
}

}  // namespace

TEST_CASE("recovery: omsd SIGKILLed with orders in flight on two accounts and two markets ends with the venue's orders, fills, positions and PnL") {
  constexpr std::uint64_t kSeed = 20261205;
  constexpr int kSteps = 32;
  std::mt19937_64 rng(kSeed);
  Stack s;
  s.start_omsd();
  std::vector<std::unique_ptr<VenueView>> venues;
  for (const auto& leg : legs()) {
    venues.push_back(std::make_unique<VenueView>(s.data(), s.venue_port(), leg.entry, leg.market));
  }
  std::set<int> kills;
  while (kills.size() < 3) kills.insert(3 + static_cast<int>(rng() % (kSteps - 4)));
  std::vector<std::pair<std::size_t, std::string>> resting;  // (leg, id)
  for (int step = 0; step < kSteps; ++step) {
    const std::string id = "R2K" + std::to_string(step);
    std::vector<std::string> args;
    const auto pick = rng() % 8;
    if (pick < 2 && !resting.empty()) {
      const auto& [l, victim] = resting[rng() % resting.size()];
      args = {"cancel", "--account", legs()[l].account, "--instrument", legs()[l].instrument,
              "--id", victim};
    } else {
      const std::size_t l = rng() % legs().size();
      const auto& leg = legs()[l];
      const Decimal mid = wait_mid(*venues[l]);
      const bool buy = rng() % 2 == 0;
      const std::string qty = "0.00" + std::to_string(1 + rng() % 3);
      args = {"submit", "--account", leg.account, "--instrument", leg.instrument, "--side",
              buy ? "buy" : "sell", "--qty", qty, "--id", id};
      if (pick < 4) {
        args.insert(args.end(), {"--type", "market"});
      } else {
        // -0.3 % .. +0.2 % of the mid on the order's side: some cross at once, some rest.
        const std::int64_t bps = static_cast<std::int64_t>(rng() % 51) - 30;
        const Int128 off = mid.raw() / 10'000 * bps;
        const Decimal px = tick(buy ? mid.raw() + off : mid.raw() - off);
        args.insert(args.end(), {"--price", px.to_string()});
        resting.emplace_back(l, id);
      }
    }
    if (kills.count(step) == 0) {
      (void)omsctl_json(s, args);
      continue;
    }
    kill_during(s, args, id, std::chrono::milliseconds(rng() % 40));
    s.start_omsd();
  }
  // Nothing may fill after the comparison started: cancel what rests, then compare.
  for (const auto& leg : legs()) {
    (void)omsctl_json(s, {"cancel-all", "--account", leg.account, "--instrument", leg.instrument});
  }
  for (std::size_t l = 0; l < legs().size(); ++l) check_leg(s, legs()[l], *venues[l]);
  // Spot balances, free and locked.
  for (std::size_t l : {std::size_t{0}, std::size_t{2}}) {
    const auto balances =
        omsctl_json(s, {"balances", "--account", legs()[l].account}).at("balances");
    for (const auto& [asset, fl] : venues[l]->balances()) {
      bool found = false;
      for (const auto& b : balances) {
        if (b.at("market") != "spot" || b.at("asset") != asset) continue;
        found = true;
        CHECK_MESSAGE(b.at("free") == fl.first, legs()[l].account << " " << asset);
        CHECK_MESSAGE(b.at("locked") == fl.second, legs()[l].account << " " << asset);
      }
      CHECK_MESSAGE(found, legs()[l].account << " " << asset);
    }
  }
  CHECK(s.stop_omsd() == 0);
  // Every run -- the killed ones too: their inputs were in the intent log with their events --
  // replays from JetStream to the same events, byte for byte.
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char day[16];
  std::strftime(day, sizeof day, "%Y-%m-%d", &tm);
  std::vector<std::string> argv{OMS_REPLAY_BIN, "--store", "jetstream", "--day", day, "--quiet"};
  const auto nats = s.nats_flags();
  argv.insert(argv.end(), nats.begin(), nats.end());
  const auto replay = testkit::run_process(argv, 120s);
  INFO("oms-replay: " << replay.out << replay.err);
  CHECK(replay.code == 0);
  CHECK(replay.out.find("events ") != std::string::npos);
}
