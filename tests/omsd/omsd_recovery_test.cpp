// Recovery, the way a desk tests it: orders flow through omsctl while venue-sim fills them;
// omsd is SIGKILLed at seeded points (some while an order is in flight) and started again.
// After reconciliation omsd's orders, fills and balances equal the venue's books exactly, an
// order whose ack was lost at the kill is found again by its client order id, and JetStream
// holds every event once. Also: nats-server SIGKILLed and restarted under a running omsd.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "oms/persistence/jetstream_store.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "omsd_checks.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

// Every record of binance_main's stream: no event id twice, no trade id twice.
std::size_t check_stream_once(const Stack& s) {
  const persistence::StreamLayout layout({{ExchangeId::kBinance, "binance_main"}}, {ExchangeId::kBinance});
  auto store = persistence::JetStreamStore::open(layout, s.nats_options("omsd-recovery-test"));
  REQUIRE_MESSAGE(store.ok(), store.error().message);
  std::set<EventId> ids;
  std::set<std::string> trades;
  std::size_t records = 0, fills = 0;
  auto n = (*store)->read(
      persistence::ReadRequest{"ACCOUNT_binance_binance_main", 1, 0, ""},
      [&](const persistence::StoredRecord& r) {
        ++records;
        CHECK_MESSAGE(ids.insert(r.msg_id).second, "event id " << r.msg_id << " stored twice");
        const auto j = nlohmann::json::parse(r.payload);
        if (j.at("type") == "FillReceived") {
          ++fills;
          const std::string key = j.at("instrument").get<std::string>() + "/" +
                                  j.at("trade_id").get<std::string>();
          CHECK_MESSAGE(trades.insert(key).second, "fill " << key << " stored twice");
        }
        return true;
      });
  REQUIRE(n.ok());
  CHECK(records > 0);
  return fills;
}

}  // namespace

TEST_CASE("recovery: omsd SIGKILLed at seeded points while orders flow ends equal to the venue") {
  constexpr std::uint64_t kSeed = 20261126;
  constexpr int kSteps = 36;
  std::mt19937_64 rng(kSeed);
  // Five starts within a few seconds: each spends ~1,500 of Binance spot's 6,000 request weight a
  // minute (four 5,000-level depth snapshots at 250, the user-data catch-up of every account,
  // the reconciliation's queries), so the fourth start found the IP's budget spent and its
  // reconciliation waited a minute for it -- the test's pace, not what it is about. The IP's
  // weight is ten times Binance's here, at venue-sim and in exchanges.yaml alike.
  StackOptions o;
  o.venue_config = R"({"rate_limits": {"spot_weight_1m": 60000}})";
  o.edit_configs = [](const std::filesystem::path& configs) {
    replace_in_file(configs / "exchanges.yaml", "          weight_per_minute: 6000\n",
                    "          weight_per_minute: 60000\n");
  };
  Stack s(o);
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  std::set<int> kills;
  while (kills.size() < 4) kills.insert(3 + static_cast<int>(rng() % (kSteps - 4)));
  std::vector<std::string> resting;  // limit orders that may still rest (cancel candidates)
  std::vector<std::string> in_flight_at_kill;
  for (int step = 0; step < kSteps; ++step) {
    const std::string id = "RK" + std::to_string(step);
    std::vector<std::string> args;
    const auto pick = rng() % 8;
    if (pick < 2 && !resting.empty()) {
      const auto victim = resting[rng() % resting.size()];
      args = {"cancel", "--account", "binance_main", "--instrument", "BTC/USDT", "--id", victim};
    } else {
      const Decimal mid = wait_mid(venue);
      const bool buy = rng() % 2 == 0;
      const std::string qty = "0.00" + std::to_string(1 + rng() % 3);
      args = {"submit", "--account", "binance_main", "--instrument", "BTC/USDT", "--side",
              buy ? "buy" : "sell", "--qty", qty, "--id", id};
      if (pick == 2) {
        args.insert(args.end(), {"--type", "market"});
      } else {
        // -0.4 % .. +0.2 % of the mid on the order's side: some cross at once, some rest.
        const std::int64_t bps = static_cast<std::int64_t>(rng() % 61) - 40;
        const Int128 off = mid.raw() / 10'000 * bps;
        const Decimal px = tick(buy ? mid.raw() + off : mid.raw() - off);
        args.insert(args.end(), {"--price", px.to_string()});
        resting.push_back(id);
      }
    }
    if (kills.count(step) == 0) {
      (void)omsctl_json(s, args);
      continue;
    }
    kill_during(s, args, id, std::chrono::milliseconds(rng() % 60));
    in_flight_at_kill.push_back(id);
    s.start_omsd();
  }
  // Nothing may fill after the comparison started: cancel what rests, then compare.
  (void)omsctl_json(s, {"cancel-all", "--account", "binance_main", "--instrument", "BTC/USDT"});
  check_agree(s, venue);
  // Orders in flight at a kill: the venue has them exactly when omsd does (by client order id).
  const auto orders = omsctl_json(s, {"orders", "--account", "binance_main"}).at("orders");
  const auto venue_orders = venue.orders();
  for (const auto& id : in_flight_at_kill) {
    const bool at_venue = venue_orders.count(id) > 0;
    const auto st = status_of(orders, id);
    if (at_venue) CHECK_MESSAGE(st == venue_orders.at(id).status, id);
    MESSAGE("in flight at a kill: " << id << " venue=" << (at_venue ? venue_orders.at(id).status : "-")
                                    << " omsd=" << st);
  }
  CHECK(s.stop_omsd() == 0);
  // JetStream: every event once, every fill once, as many fills as the venue's trades.
  CHECK(check_stream_once(s) == venue.trades().size());
}

TEST_CASE("recovery: nats-server SIGKILLed and restarted under omsd; it keeps trading, nothing lost") {
  Stack s;
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  auto r = submit(s, "NK-1", "buy", "0.001", "", "market");
  CHECK_MESSAGE(r.at("accepted") == true, r.dump());
  wait_orders(s, [](const nlohmann::json& o) { return status_of(o, "NK-1") == "filled"; });
  s.nats().kill();
  // NATS is down: orders still go (intent log first; the store catches up later).
  r = submit(s, "NK-2", "buy", "0.001", "", "market");
  CHECK_MESSAGE(r.at("accepted") == true, r.dump());
  r = submit(s, "NK-3", "sell", "0.002", "", "market");
  CHECK_MESSAGE(r.at("accepted") == true, r.dump());
  wait_orders(s, [](const nlohmann::json& o) {
    return status_of(o, "NK-2") == "filled" && status_of(o, "NK-3") == "filled";
  });
  s.nats().start();
  s.nats().wait_jetstream_ready();
  r = submit(s, "NK-4", "buy", "0.001", "", "market");
  CHECK_MESSAGE(r.at("accepted") == true, r.dump());
  check_agree(s, venue);
  CHECK(s.stop_omsd() == 0);
  CHECK(check_stream_once(s) == venue.trades().size());
}

TEST_CASE("recovery: an order whose ack was lost at the kill is found again by its client order id") {
  StackOptions o;
  // Every order answer comes 1.5 s late: the kill lands after the send, before the ack.
  o.venue_flags = {"--random-walk", "9", "--walk-interval-ms", "50", "--seed", "3",
                   "--faults", "delay_ack=1,delay_ms=1500"};
  Stack s(o);
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  const Decimal mid = wait_mid(venue);
  // A resting limit buy 0.5 % under the market: committed and sent, then omsd dies.
  auto r = submit(s, "LA-1", "buy", "0.001", tick(mid.raw() - mid.raw() / 200).to_string());
  REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  CHECK(r.at("status") != "accepted");  // no ack yet
  REQUIRE(wait_until([&] { return venue.orders().count("LA-1") == 1; }, 10s));
  s.kill_omsd();
  s.start_omsd();
  // Reconciliation asks the venue by client order id: the order is there and resting.
  wait_orders(s, [](const nlohmann::json& orders) { return status_of(orders, "LA-1") == "accepted"; });
  CHECK(venue.orders().at("LA-1").status == "accepted");
  (void)omsctl_json(s, {"cancel", "--account", "binance_main", "--instrument", "BTC/USDT", "--id", "LA-1"});
  wait_orders(s, [](const nlohmann::json& orders) { return status_of(orders, "LA-1") == "canceled"; });
  check_agree(s, venue);
}
