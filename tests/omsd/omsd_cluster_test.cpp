// omsd past one machine (issue 18): a 3-node JetStream cluster (deploy/nats/cluster-n*.conf,
// R3 streams) under omsd, and two omsd processes of one desk sharing it -- each running its own
// accounts (--accounts) under its own desk number (--desk), the global kill switch reaching both
// (kill_bridge.hpp), each daemon's day replayed on its own from the shared streams.
#include <doctest/doctest.h>

#include <algorithm>


#include "omsd_checks.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

StackOptions cluster_stack(std::vector<std::string> omsd_flags) {
  StackOptions o;
  o.nats_cluster = true;
  o.venue_flags = {"--random-walk", "19", "--walk-interval-ms", "50", "--seed", "29"};
  o.omsd_flags = std::move(omsd_flags);
  o.edit_configs = test_orders_only;
  return o;
}

nlohmann::json json_of(const testkit::RunResult& r) {
  INFO("omsctl: " << r.out << r.err);
  REQUIRE((r.code == 0 || r.code == 3));
  return nlohmann::json::parse(r.out);
}

// A market order of 0.001 BTC on an account's BTC/USDT through one daemon's omsctl.
nlohmann::json market(const std::function<testkit::RunResult(std::vector<std::string>)>& omsctl,
                      const std::string& account, const std::string& id, const std::string& side) {
  return json_of(omsctl({"--json", "submit", "--account", account, "--instrument", "BTC/USDT", "--side", side,
                         "--qty", "0.001", "--type", "market", "--id", id}));
}

// After a node's loss the cluster elects new leaders for the streams that had theirs there; an
// idle stream's (the day index's) can take some seconds: until then opening a store times out.
bool store_opens(const persistence::JetStreamOptions& options, std::chrono::milliseconds bound) {
  const persistence::StreamLayout layout({{ExchangeId::kBinance, "binance_main"}}, {});
  return wait_until([&] { return persistence::JetStreamStore::open(layout, options).ok(); }, bound);
}

bool log_has(const std::filesystem::path& log, const std::string& text) {
  return testkit::read_file(log).find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("cluster: omsd on a 3-node JetStream cluster with R3 streams -- a node killed under order flow loses nothing; omsd rebuilt with the node still down agrees with the venue") {
  Stack s(cluster_stack({"--nats-replicas", "3"}));
  s.start_omsd();
  CHECK(log_has(s.omsd_log(), "jetstream: created stream ACCOUNT_binance_binance_main (3 replicas)"));
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  (void)wait_mid(venue);
  const auto omsctl = [&](std::vector<std::string> args) { return s.omsctl(std::move(args)); };
  std::vector<std::string> taken;
  for (int n = 1; n <= 40; ++n) {
    if (n == 16) s.nats_cluster().node(0).kill();  // the first URL: omsd may well be on it
    const std::string id = "CLU-" + std::to_string(n);
    const auto r = market(omsctl, "binance_main", id, n % 2 == 1 ? "buy" : "sell");
    CHECK_MESSAGE(r.at("accepted") == true, r.dump());
    if (r.at("accepted") == true) taken.push_back(id);
  }
  REQUIRE(taken.size() == 40);
  // Every order filled, its fill folded too (an order's status and its fill are two events; a
  // fill that never comes fails the wait).
  const auto all_filled = [&](const nlohmann::json& orders) {
    for (const auto& id : taken) {
      const auto o = std::find_if(orders.begin(), orders.end(),
                                  [&](const nlohmann::json& x) { return x.at("client_order_id") == id; });
      if (o == orders.end() || o->at("status") != "filled" || o->at("cum_qty") != "0.001") return false;
    }
    return true;
  };
  wait_orders(s, all_filled);
  check_agree(s, venue);
  CHECK(s.stop_omsd() == 0);

  // The two nodes left hold every event once and every venue trade once.
  REQUIRE(store_opens(s.nats_options("omsd-cluster-test"), 60s));
  const StoreCount stored = count_store({"binance_main"}, s.nats_options("omsd-cluster-test"));
  check_store_once(stored);
  CHECK(stored.trade_ids.at("binance_main").size() == venue.trades().size());

  // Rebuilt from the two nodes left, omsd agrees with the venue again. With a node down, a
  // stream's reader can wait on nats-server placing its consumer on the dead node (a 5 s
  // timeout, then elsewhere): the start takes longer.
  REQUIRE(s.launch_omsd({}, 240s));
  wait_orders(s, all_filled);
  check_agree(s, venue);
  CHECK(s.stop_omsd() == 0);
}

TEST_CASE("cluster: two omsd of one desk on one NATS cluster -- each trades its own accounts, a global kill switch on either halts both and a reset on either frees both, a daemon starting while the desk is halted starts halted, each replays its own day") {
  // Desk 1 runs binance_main, desk 2 binance_mm (their strategies are nobody's here).
  Stack s(cluster_stack({"--nats-replicas", "3", "--accounts", "binance_main"}));
  const std::string day = utc_now_text("%Y-%m-%d");
  s.start_omsd();
  const auto b = s.start_peer({"--nats-replicas", "3", "--desk", "2", "--accounts", "binance_mm"});
  const auto at_a = [&](std::vector<std::string> args) { return s.omsctl(std::move(args)); };
  const auto at_b = [&](std::vector<std::string> args) { return s.peer_omsctl(b, std::move(args)); };
  CHECK(log_has(s.peer_log(b), "desk 2: this daemon runs 1 of the"));

  // Each trades its own account; neither takes the other's.
  CHECK(market(at_a, "binance_main", "A-1", "buy").at("accepted") == true);
  CHECK(market(at_b, "binance_mm", "B-1", "buy").at("accepted") == true);
  const auto foreign = at_a({"--json", "submit", "--account", "binance_mm", "--instrument", "BTC/USDT", "--side", "buy",
                             "--qty", "0.001", "--type", "market", "--id", "A-X"});
  CHECK(foreign.code != 0);

  // A global kill switch tripped on desk 1 halts desk 2 too.
  const auto kill = at_a({"kill", "--scope", "global", "--reason", "cluster test"});
  REQUIRE_MESSAGE(kill.code == 0, (kill.out + kill.err));
  nlohmann::json refused;
  CHECK_MESSAGE(wait_until([&] {
    refused = market(at_b, "binance_mm", "B-K" + std::to_string(std::rand()), "buy");
    return refused.at("accepted") == false;
  }, 10s), refused.dump());
  CHECK_MESSAGE(refused.value("message", "").find("kill switch") != std::string::npos, refused.dump());
  CHECK(log_has(s.peer_log(b), "kill bridge: global kill switch active -> halted here, as desk 1 set it"));
  CHECK(market(at_a, "binance_main", "A-K", "buy").at("accepted") == false);

  // An operator's reset on desk 2 frees desk 1 too.
  const auto reset = at_b({"reset", "--scope", "global"});
  REQUIRE_MESSAGE(reset.code == 0, (reset.out + reset.err));
  nlohmann::json freed;
  CHECK_MESSAGE(wait_until([&] {
    freed = market(at_a, "binance_main", "A-R" + std::to_string(std::rand()), "buy");
    return freed.at("accepted") == true;
  }, 10s), freed.dump());
  CHECK(market(at_b, "binance_mm", "B-2", "sell").at("accepted") == true);

  // Desk 2 stops; desk 1 trips the desk; desk 2 starts halted.
  CHECK(s.stop_peer(b) == 0);
  REQUIRE(at_a({"kill", "--scope", "global", "--reason", "while desk 2 was down"}).code == 0);
  s.restart_peer(b);
  nlohmann::json held;
  CHECK_MESSAGE(wait_until([&] {
    held = market(at_b, "binance_mm", "B-H" + std::to_string(std::rand()), "buy");
    return held.at("accepted") == false;
  }, 10s), held.dump());
  REQUIRE(at_a({"reset", "--scope", "global"}).code == 0);
  CHECK(wait_until([&] { return market(at_b, "binance_mm", "B-F" + std::to_string(std::rand()), "sell").at("accepted") == true; }, 10s));
  std::this_thread::sleep_for(500ms);  // the last fills in

  // One view over both daemons: omsctl --address A,B --data DA,DB lists both daemons' accounts;
  // positions --unified sums each instrument over them.
  const auto both = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{OMSCTL_BIN, "--json", "--address",
                                  "127.0.0.1:" + std::to_string(s.grpc_port()) + ",127.0.0.1:" + std::to_string(s.peer_grpc_port(b)),
                                  "--data", s.data().string() + "," + s.peer_data(b).string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return json_of(run_omsctl(std::move(argv), 30s));
  };
  const auto unified_btc = [](const nlohmann::json& list) {
    for (const auto& p : list.value("positions", nlohmann::json::array())) {
      if (p.at("instrument") == "BTC/USDT") return p;
    }
    return nlohmann::json();
  };
  const auto mine_a = unified_btc(json_of(at_a({"--json", "positions", "--unified"})));
  const auto mine_b = unified_btc(json_of(at_b({"--json", "positions", "--unified"})));
  const auto all = unified_btc(both({"positions", "--unified"}));
  REQUIRE_MESSAGE(!all.is_null(), "no unified BTC/USDT over both daemons");
  REQUIRE(!mine_a.is_null());
  REQUIRE(!mine_b.is_null());
  CHECK(dec(all.at("size")) == Decimal::from_raw(dec(mine_a.at("size")).raw() + dec(mine_b.at("size")).raw()));
  CHECK(dec(all.at("fees")) == Decimal::from_raw(dec(mine_a.at("fees")).raw() + dec(mine_b.at("fees")).raw()));
  std::set<std::string> accounts;
  for (const auto& name : all.at("accounts")) accounts.insert(name.get<std::string>());
  CHECK(accounts == std::set<std::string>{"binance_main", "binance_mm"});
  const auto orders = both({"orders"}).at("orders");
  const auto count = [](const nlohmann::json& list) { return list.value("orders", nlohmann::json::array()).size(); };
  CHECK(orders.size() == count(json_of(at_a({"--json", "orders"}))) + count(json_of(at_b({"--json", "orders"}))));
  const auto refused_both = testkit::run_process({OMSCTL_BIN, "--address", "127.0.0.1:1,127.0.0.1:2", "--data", "x", "orders"}, 30s);
  CHECK(refused_both.code == 2);
  CHECK(refused_both.err.find("--address names 2 daemons: --data names each one's data dir (1 given)") != std::string::npos);

  CHECK(s.stop_peer(b) == 0);
  CHECK(s.stop_omsd() == 0);

  // Each desk's day replays on its own from the shared streams, byte for byte (the other
  // desk's risk records in STRATEGIES are not its own).
  for (const std::string desk : {"1", "2"}) {
    std::vector<std::string> argv{OMS_REPLAY_BIN, "--day", day, "--quiet", "--store", "jetstream", "--desk", desk};
    const auto nats = s.nats_flags();
    argv.insert(argv.end(), nats.begin(), nats.end());
    const auto r = testkit::run_process(argv, 120s);
    INFO("oms-replay --desk " << desk << ": " << r.out << r.err);
    CHECK(r.code == 0);
    const bool runs = r.out.find("runs 1,") != std::string::npos || r.out.find("runs 2,") != std::string::npos;
    CHECK(runs);
  }
}
