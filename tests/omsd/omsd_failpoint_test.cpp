// Kill points (issue 13): omsd armed at a named failpoint (OMS_FAILPOINTS, see
// oms/persistence/failpoint.hpp) dies by SIGKILL exactly there -- its stderr's last line names
// the point and the hit -- on the paper stack (omsd, venue-sim, nats-server), with orders of two
// accounts (binance_main, binance_basis) on spot BTC/USDT and USD-M BTC/USDT:USDT. Each point is
// provoked where it lives: the order path by orders, the snapshot write by --snapshot-every, the
// rebuild and the intent log's replay by a start, the reconciliation by a start with orders live
// and others placed at the venue behind omsd's back while it was down. After omsd is started
// again without a point, its orders, fills, balances, positions and PnL equal venue-sim's books,
// and JetStream holds every event once. Then a seeded run kills omsd at a random hit of a random
// point again and again over one paper session, and compares the same way.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <random>

#include "oms/persistence/intent_log.hpp"
#include "omsd_checks.hpp"
#include "testkit/child_process.hpp"
#include "testkit/paths.hpp"
#include "testkit/temp_dir.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

constexpr int kSigkillExit = 128 + SIGKILL;  // ChildProcess's code for a death by SIGKILL
constexpr Int128 kSpotStep = 10'000'000;     // 0.01: Binance spot BTCUSDT's price step (1e-9 units)
constexpr Int128 kUsdmStep = 100'000'000;    // 0.1: USD-M BTCUSDT's

StackOptions kill_point_stack(std::uint64_t snapshot_every, std::string venue_seed) {
  StackOptions o;
  o.venue_flags = {"--random-walk", "7", "--walk-interval-ms", "50", "--seed", std::move(venue_seed)};
  // omsd starts again and again: each start spends request weight (depth snapshots, the
  // user-data catch-up, the reconciliation's queries); ten times Binance's per IP, at venue-sim
  // and in exchanges.yaml alike, so that no start waits a minute for the budget.
  o.venue_config = R"({"rate_limits": {"spot_weight_1m": 60000, "usdm_weight_1m": 24000}})";
  o.omsd_flags = {"--snapshot-every", std::to_string(snapshot_every)};
  o.edit_configs = [](const std::filesystem::path& configs) {
    test_orders_only(configs);  // market buys and sells in turn: no strategy, no loss limit in the way
    replace_in_file(configs / "exchanges.yaml", "          weight_per_minute: 6000\n",
                    "          weight_per_minute: 60000\n");
    replace_in_file(configs / "exchanges.yaml", "          weight_per_minute: 2400\n",
                    "          weight_per_minute: 24000\n");
  };
  return o;
}

std::string arm(std::string_view point, std::uint64_t hit) {
  return std::string(point) + "@" + std::to_string(hit);
}

std::string kill_line(std::string_view point, std::uint64_t hit) {
  return "failpoint " + std::string(point) + " hit " + std::to_string(hit) +
         ": killing the process (SIGKILL)";
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// One paper session: the stack, the venue's view of each leg, the orders sent.
struct Session {
  explicit Session(StackOptions o, std::uint64_t seed) : s(std::move(o)), rng(seed) {}

  Stack s;
  std::vector<std::unique_ptr<VenueView>> venues;  // by two_account_legs()
  std::mt19937_64 rng;
  int orders = 0;
  std::string last_id;     // the last order sent
  std::size_t last_leg = 0;

  void open_views() {
    for (const auto& leg : two_account_legs()) {
      venues.push_back(std::make_unique<VenueView>(s.data(), s.venue_port(), leg.entry, leg.market));
    }
  }

  // omsd's start with OMS_FAILPOINTS=spec: "omsd ready" said (false: it died or hung first).
  bool launch(const std::string& spec, std::chrono::milliseconds bound = 60s) {
    return s.launch_omsd({"OMS_FAILPOINTS=" + spec}, bound);
  }

  // One order on a leg through omsctl (the answer not required: omsd may die under it). A market
  // order, or a limit from 0.3 % through to 0.2 % past the mid (some cross, some rest); `rest`: a
  // limit 2 % on the passive side (rests, inside the percent band).
  void order(std::size_t l, bool market, bool rest = false) {
    const Leg& leg = two_account_legs()[l];
    const bool buy = rng() % 2 == 0;
    // USD-M's minimum notional is 100 USDT: 0.002..0.004 BTC; spot 0.001..0.003.
    const std::string qty = "0.00" + std::to_string((leg.market == Market::kUsdm ? 2 : 1) + rng() % 3);
    last_id = "FP" + std::to_string(++orders);
    last_leg = l;
    std::vector<std::string> args{"--json", "submit", "--account", leg.account, "--instrument",
                                  leg.instrument, "--side", buy ? "buy" : "sell", "--qty", qty,
                                  "--id", last_id};
    if (market) {
      args.insert(args.end(), {"--type", "market"});
    } else {
      const Decimal mid = wait_mid(*venues[l]);
      const std::int64_t bps = rest ? -200 : static_cast<std::int64_t>(rng() % 51) - 30;
      const Int128 off = mid.raw() / 10'000 * bps;
      const Decimal px = tick(buy ? mid.raw() + off : mid.raw() - off,
                              leg.market == Market::kUsdm ? kUsdmStep : kSpotStep);
      args.insert(args.end(), {"--price", px.to_string()});
    }
    (void)s.omsctl(args);
  }

  // Orders on random legs until omsd dies (its exit code) or `max` were sent (-1: still alive).
  int drive_until_death(int max, std::chrono::milliseconds after_each = 150ms) {
    for (int i = 0; i < max; ++i) {
      order(rng() % two_account_legs().size(), rng() % 3 == 0);
      if (const int code = s.wait_omsd_exit(after_each); code != -1) return code;
    }
    return s.wait_omsd_exit(1s);
  }

  // Nothing may fill while the books are compared: what rests is canceled; then every leg,
  // the spot balances and the store.
  void compare() {
    for (const auto& leg : two_account_legs()) {
      (void)omsctl_json(s, {"cancel-all", "--account", leg.account, "--instrument", leg.instrument});
    }
    for (std::size_t l = 0; l < two_account_legs().size(); ++l) check_leg(s, two_account_legs()[l], *venues[l]);
    check_spot_balances(s, "binance_main", *venues[0]);
    check_spot_balances(s, "binance_basis", *venues[2]);
    const StoreCount stored = count_store({"binance_main", "binance_basis"}, s.nats_options("omsd-failpoint-test"));
    check_store_once(stored);
    // Every venue trade of an account is among its stored fills (once: check_store_once).
    for (const std::string account : {"binance_main", "binance_basis"}) {
      std::size_t venue_trades = 0;
      for (std::size_t l = 0; l < two_account_legs().size(); ++l) {
        if (two_account_legs()[l].account == account) venue_trades += venues[l]->fills().size();
      }
      const auto it = stored.trade_ids.find(account);
      CHECK_MESSAGE((it == stored.trade_ids.end() ? 0 : it->second.size()) == venue_trades, account);
    }
  }

  // omsd died by SIGKILL at the point: its stderr says so once more than `before` lines did.
  void check_killed_at(int code, std::string_view point, std::uint64_t hit, std::size_t before) {
    CHECK_MESSAGE(code == kSigkillExit, "omsd's exit code " << code << " (137: SIGKILL)");
    CHECK(count_of(testkit::read_file(s.omsd_log()), kill_line(point, hit)) == before + 1);
  }
  [[nodiscard]] std::size_t lines_of(std::string_view point, std::uint64_t hit) const {
    if (!std::filesystem::exists(s.omsd_log())) return 0;  // omsd never started yet
    return count_of(testkit::read_file(s.omsd_log()), kill_line(point, hit));
  }

  // The intent log's entries the store has not acknowledged (omsd not running).
  [[nodiscard]] std::size_t intent_log_pending() const {
    auto log = persistence::IntentLog::open(persistence::data_dir_intent_log_path(s.data()), {});
    REQUIRE_MESSAGE(log.ok(), log.error().message);
    return (*log)->pending().size();
  }
};

// The snapshot temp files ("state.tmp.<pid>.<n>") a process left under the data dir: its
// writes that never ended (the next write in the same directory removes them).
std::vector<std::string> snapshot_temps_of(const std::filesystem::path& data, pid_t pid) {
  std::vector<std::string> out;
  const std::string prefix = "state.tmp." + std::to_string(pid) + ".";
  for (const auto& e : std::filesystem::recursive_directory_iterator(data)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(testkit::read_file(e.path()));
  }
  return out;
}

// An order-path point: armed at `hit`, orders until omsd dies there; what the kill left is
// checked by `at_kill`; then an unarmed start agrees with the venue. `once_ready`: what is done
// after omsd's start, before the first order (when the start was not killed).
void order_path_kill(std::string_view point, std::uint64_t hit,
                     const std::function<void(Session&)>& at_kill,
                     const std::function<void(Session&)>& before_restart = {},
                     const std::function<void(Session&)>& once_ready = {}) {
  Session x(kill_point_stack(1'000'000, "31"), 20261206);
  x.open_views();
  const std::size_t before = x.lines_of(point, hit);
  // A point the start passes too (the start commits the venue's balances) may end omsd there.
  const bool ready = x.launch(arm(point, hit));
  if (ready && once_ready) once_ready(x);
  const int code = ready ? x.drive_until_death(12) : x.s.wait_omsd_exit(30s);
  x.check_killed_at(code, point, hit, before);
  const std::string when = ready ? "after " + std::to_string(x.orders) + " orders" : "during the start";
  MESSAGE(point << "@" << hit << ": killed " << when);
  at_kill(x);
  if (before_restart) before_restart(x);
  x.s.start_omsd();
  x.compare();
  CHECK(x.s.stop_omsd() == 0);
}

}  // namespace

TEST_CASE("kill points: a bad OMS_FAILPOINTS value refuses omsd's start with a message naming the variable and the value") {
  testkit::TempDir tmp("omsd-failpoints");
  for (const auto& [value, why] : std::vector<std::pair<std::string, std::string>>{
           {"order.after_nothing", "unknown failpoint 'order.after_nothing' (known: order.after_intent_log, "},
           {"order.after_send@0", "failpoint 'order.after_send': hit count '0' is not a whole number in 1..1000000"},
           {"order.after_send@x", "hit count 'x' is not a whole number"},
           {"rebuild.mid_fold@1000001", "hit count '1000001' is not a whole number"},
           {"order.after_send,", "an empty entry"},
           {"reconcile.queried,reconcile.queried@2", "failpoint 'reconcile.queried' named twice"}}) {
    const auto r = testkit::run_process({OMSD_BIN, "--config", OMS_SOURCE_DIR "/configs", "--data",
                                         (tmp.path() / "data").string(), "--mode", "paper"},
                                        30s, {"OMS_FAILPOINTS=" + value});
    INFO(value << ": " << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("omsd: not starting: OMS_FAILPOINTS='" + value + "': ") != std::string::npos);
    CHECK(r.err.find(why) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(tmp.path() / "data"));  // refused before anything was made
  }
}

TEST_CASE("kill points: order.after_intent_log -- the order committed, never sent: the venue never had it; omsd restarted agrees with the venue, every event stored once") {
  // The store is held (nats-server stopped, its connections open) from omsd's start to its
  // death: the kill comes after a commit and before the store's ack by construction -- the
  // publisher would otherwise have the group acknowledged and released first whenever the shard
  // is descheduled between its commit and the point (seen under CI's load: nothing pending).
  order_path_kill("order.after_intent_log", 3, [](Session& x) {
    // The third request was the third order (the first two were answered): it never left.
    const auto venue_orders = x.venues[x.last_leg]->orders();
    CHECK_MESSAGE(venue_orders.count(x.last_id) == 0, x.last_id << " reached the venue");
    // Every order's events are in the intent log, none acknowledged: the restart republishes
    // them (each stored once: compare()).
    CHECK(x.intent_log_pending() > 0);
  }, [](Session& x) { x.s.resume_nats(); }, [](Session& x) { x.s.pause_nats(); });
}

TEST_CASE("kill points: order.after_send -- the order handed to the venue, its events not acknowledged by the store; omsd restarted agrees with the venue, every event stored once") {
  order_path_kill("order.after_send", 3, [](Session& x) {
    const bool at_venue = x.venues[x.last_leg]->orders().count(x.last_id) == 1;
    const std::string where = at_venue ? " reached the venue" : " did not reach the venue (on its lane, or lost with the connection)";
    MESSAGE(x.last_id << where << "; intent log entries pending: " << x.intent_log_pending());
  });
}

TEST_CASE("kill points: journal.store_ack, then intent_log.replayed -- records the store holds stay in the intent log and are published again, twice; each stored once; omsd agrees with the venue") {
  order_path_kill("journal.store_ack", 7, [](Session& x) {
    // Killed between the store's ack and the intent log's release: at least that record is
    // pending, though the store has it.
    CHECK(x.intent_log_pending() > 0);
  }, [](Session& x) {
    // The next start republishes them and dies before releasing them: they go out once more.
    const std::size_t before = x.lines_of("intent_log.replayed", 1);
    CHECK_FALSE(x.launch(arm("intent_log.replayed", 1)));
    x.check_killed_at(x.s.wait_omsd_exit(30s), "intent_log.replayed", 1, before);
    CHECK(x.intent_log_pending() > 0);
  });
}

TEST_CASE("kill points: snapshot.mid_write and snapshot.before_rename -- a snapshot file half written, then one written and not renamed; omsd restarts from the last good one and agrees with the venue") {
  Session x(kill_point_stack(4, "37"), 20261207);
  x.open_views();
  // Orders first (the snapshots to come hold them), then omsd SIGKILLed.
  x.s.start_omsd();
  for (int i = 0; i < 8; ++i) x.order(static_cast<std::size_t>(i) % two_account_legs().size(), i % 3 == 0, i % 4 == 1);
  x.s.kill_omsd();
  for (const std::string_view point : {"snapshot.mid_write", "snapshot.before_rename"}) {
    INFO(point);
    const std::size_t before = x.lines_of(point, 2);
    // Every 4 events: the start's own (the venue's balances) may reach the second write.
    const bool ready = x.launch(arm(point, 2));
    const pid_t pid = x.s.omsd_pid();
    const int code = ready ? x.drive_until_death(20) : x.s.wait_omsd_exit(30s);
    x.check_killed_at(code, point, 2, before);
    MESSAGE(point << ": killed " << std::string(ready ? "under orders" : "during the start"));
    // The write that never ended: its temp file, the header line alone or the whole snapshot.
    const auto temps = snapshot_temps_of(x.s.data(), pid);
    REQUIRE(temps.size() == 1);
    const auto header_end = temps[0].find('\n');
    REQUIRE(header_end != std::string::npos);
    CHECK(temps[0].rfind("{", 0) == 0);
    if (point == "snapshot.mid_write") CHECK(header_end + 1 == temps[0].size());
    else CHECK(header_end + 1 < temps[0].size());
  }
  x.s.start_omsd();
  x.compare();
  CHECK(x.s.stop_omsd() == 0);
}

TEST_CASE("kill points: rebuild.mid_fold -- omsd dies while an account folds its stream at start; the next start agrees with the venue") {
  Session x(kill_point_stack(1'000'000, "41"), 20261208);
  x.s.start_omsd();
  x.open_views();
  for (int i = 0; i < 8; ++i) x.order(static_cast<std::size_t>(i) % two_account_legs().size(), i % 3 == 0, i % 4 == 1);
  x.s.kill_omsd();
  const std::size_t before = x.lines_of("rebuild.mid_fold", 5);
  CHECK_FALSE(x.launch(arm("rebuild.mid_fold", 5)));
  x.check_killed_at(x.s.wait_omsd_exit(30s), "rebuild.mid_fold", 5, before);
  x.s.start_omsd();
  x.compare();
  CHECK(x.s.stop_omsd() == 0);
}

TEST_CASE("kill points: reconcile.queried and reconcile.answer -- omsd dies while it reconciles orders live at the venue, with orders placed behind its back while it was down; the next start agrees with the venue") {
  Session x(kill_point_stack(1'000'000, "43"), 20261209);
  x.s.start_omsd();
  x.open_views();
  for (std::size_t l = 0; l < two_account_legs().size(); ++l) x.order(l, false, /*rest=*/true);
  x.s.kill_omsd();
  int external = 0;
  const auto behind_omsds_back = [&] {
    // binance_main spot, straight at the venue with its key: one order that rests, one that fills.
    VenueView& v = *x.venues[0];
    const Decimal mid = wait_mid(v);
    v.place_limit("EXT" + std::to_string(++external), Side::kBuy, "0.001", tick(mid.raw() - mid.raw() / 50).to_string());
    v.place_limit("EXT" + std::to_string(++external), Side::kBuy, "0.001", tick(mid.raw() + mid.raw() / 100).to_string());
  };
  for (const auto& [point, hit] : std::vector<std::pair<std::string, std::uint64_t>>{
           {"reconcile.queried", 1}, {"reconcile.answer", 2}}) {
    INFO(point);
    behind_omsds_back();
    const std::size_t before = x.lines_of(point, hit);
    (void)x.launch(arm(point, hit));  // the reconciliation runs on the shard: before or after "ready"
    x.check_killed_at(x.s.wait_omsd_exit(30s), point, hit, before);
  }
  x.s.start_omsd();
  x.compare();
  CHECK(x.s.stop_omsd() == 0);
}

TEST_CASE("kill points, seeded: omsd killed at a random hit of a random point, again and again over one paper session on two accounts, spot and USD-M; then it agrees with the venue and the store holds every event once") {
  // Each kill is a start of omsd (~0.5 s) and a few orders: 100 kills fit the suite's bound in
  // the release build; the loop also stops at kDeadline (an asan build is slower), and the
  // message says how many kills it made.
  constexpr std::size_t kKills = 100;
  constexpr auto kDeadline = 110s;
  constexpr int kOrdersPerLife = 10;  // a point not reached by then: the test SIGKILLs omsd itself
  struct Range {
    std::string_view point;
    std::uint64_t max_hit;
  };
  // The hits a session reaches: per order (the order points), per record stored (the start
  // commits every account's balances), per snapshot (every 6 events), per record folded at
  // start, per account reconciled (10), per report while reconciling (resting orders).
  // The start-heavy points' ranges reach past the start, so that some of them kill under orders.
  const std::vector<Range> ranges{{"order.after_intent_log", 8}, {"order.after_send", 8},
                                  {"journal.store_ack", 200},    {"intent_log.replayed", 1},
                                  {"snapshot.mid_write", 12},    {"snapshot.before_rename", 12},
                                  {"rebuild.mid_fold", 60},      {"reconcile.queried", 10},
                                  {"reconcile.answer", 4}};
  Session x(kill_point_stack(6, "47"), 20261210);
  x.open_views();
  std::map<std::string, std::size_t> kills;
  std::size_t failpoint_kills = 0, test_kills = 0;
  const auto start = std::chrono::steady_clock::now();
  while (failpoint_kills < kKills && std::chrono::steady_clock::now() - start < kDeadline) {
    const Range& r = ranges[x.rng() % ranges.size()];
    const std::uint64_t hit = 1 + x.rng() % r.max_hit;
    INFO("kill " << failpoint_kills + 1 << ": " << r.point << "@" << hit);
    const std::size_t before = x.lines_of(r.point, hit);
    int code = -1;
    if (x.launch(arm(r.point, hit))) {
      for (int i = 0; i < kOrdersPerLife && code == -1; ++i) {
        // A quarter of the orders rest (2 % away): the next starts reconcile them.
        x.order(x.rng() % two_account_legs().size(), x.rng() % 3 == 0, x.rng() % 4 == 0);
        code = x.s.wait_omsd_exit(30ms);
      }
      if (code == -1) code = x.s.wait_omsd_exit(300ms);
    } else {
      code = x.s.wait_omsd_exit(30s);
    }
    if (code == -1) {  // not reached in this life: ended as a crash all the same
      x.s.kill_omsd();
      ++test_kills;
      continue;
    }
    x.check_killed_at(code, r.point, hit, before);
    ++kills[std::string(r.point)];
    ++failpoint_kills;
  }
  const auto took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
  std::string per_point;
  for (const auto& [point, n] : kills) per_point += " " + point + "=" + std::to_string(n);
  MESSAGE(failpoint_kills << " failpoint kills (" << test_kills << " lives that reached no armed hit, SIGKILLed by the test), "
                          << x.orders << " orders, " << took.count() << " s:" << per_point);
  CHECK(failpoint_kills >= 20);  // far fewer would mean the points stopped being reached
  CHECK(kills.size() >= 7);      // most points were reached
  x.s.start_omsd();
  x.compare();
  CHECK(x.s.stop_omsd() == 0);
}
