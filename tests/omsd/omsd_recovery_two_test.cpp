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

#include "omsd_checks.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

const std::vector<Leg>& legs() { return two_account_legs(); }

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
  for (std::size_t l : {std::size_t{0}, std::size_t{2}}) check_spot_balances(s, legs()[l].account, *venues[l]);
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
