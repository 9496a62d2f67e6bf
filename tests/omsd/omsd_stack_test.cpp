// omsd end to end, the way a user runs it: nats-server (JetStream), venue-sim and omsd as
// processes on loopback; orders through omsctl (gRPC, TLS 1.3); the venue's books read back
// through our Binance connector with the paper key; health and metrics over HTTP; a SIGTERM
// and a second start resume from the stored events.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include "omsd_checks.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

TEST_CASE("paper stack: omsctl trades on venue-sim, omsd and the venue agree, health and metrics answer") {
  Stack s;
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");

  // Health: every account's session up; per account JSON; metrics in the Prometheus format.
  const auto [hs, health] = s.http_get("/health");
  CHECK(hs == 200);
  const auto hj = nlohmann::json::parse(health);
  CHECK(hj.at("status") != "down");
  CHECK(hj.at("accounts").size() == 10);  // five Binance accounts, two Bybit and two OKX unified, one Upbit
  const auto [as, account] = s.http_get("/health/binance/binance_main");
  CHECK(as == 200);
  const auto aj = nlohmann::json::parse(account);
  CHECK(aj.at("session_connected") == true);
  CHECK(aj.at("open_orders") == 0);
  // A Bybit unified account on venue-sim's Bybit front: its private stream authed, its session up.
  const auto [bs, bybit_account] = s.http_get("/health/bybit/bybit_arb");
  CHECK(bs == 200);
  const auto bj = nlohmann::json::parse(bybit_account);
  CHECK(bj.at("session_connected") == true);
  // Its order budget per market, as the connector keeps it (Bybit: 10 orders a second).
  const auto budget_of = [](const nlohmann::json& of, const std::string& name) {
    for (const auto& r : of.at("rate_limits")) {
      if (r.at("name") == name) return r;
    }
    return nlohmann::json();
  };
  const auto bybit_budget = budget_of(bj, "spot.ORDERS_1S");
  REQUIRE_MESSAGE(!bybit_budget.is_null(), bj.dump());
  CHECK(bybit_budget.at("limit") == 10);
  CHECK(bybit_budget.at("used").get<int>() <= 10);  // the strategies may have sent orders already
  // An OKX unified account on venue-sim's OKX front: logged in with its passphrase, session up.
  const auto [os, okx_account] = s.http_get("/health/okx/okx_arb");
  CHECK(os == 200);
  const auto oj = nlohmann::json::parse(okx_account);
  CHECK(oj.at("session_connected") == true);
  CHECK_MESSAGE(!budget_of(oj, "spot.ORDERS_1S").is_null(), oj.dump());
  // The Upbit account on venue-sim's Upbit front: its private stream authenticated on the upgrade.
  const auto [us, upbit_account] = s.http_get("/health/upbit/upbit_main");
  CHECK(us == 200);
  const auto uj = nlohmann::json::parse(upbit_account);
  CHECK(uj.at("session_connected") == true);
  CHECK_MESSAGE(!budget_of(uj, "spot.ORDERS_1S").is_null(), uj.dump());
  CHECK(s.http_get("/health/binance/nobody").first == 404);

  // A market buy fills; a limit buy below the market rests, then is canceled.
  const Decimal mid = wait_mid(venue);
  auto r = submit(s, "E2E-1", "buy", "0.002", "", "market");
  CHECK_MESSAGE(r.at("accepted") == true, r.dump());
  const Decimal below = tick(mid.raw() - mid.raw() / 200);  // 0.5 % under the mid
  r = submit(s, "E2E-2", "buy", "0.001", below.to_string());
  CHECK_MESSAGE(r.at("accepted") == true, r.dump());
  wait_orders(s, [](const nlohmann::json& orders) {
    return status_of(orders, "E2E-1") == "filled" && status_of(orders, "E2E-2") == "accepted";
  });
  CHECK(venue.orders().at("E2E-2").status == "accepted");
  auto c = s.omsctl({"--json", "cancel", "--account", "binance_main", "--instrument", "BTC/USDT",
                     "--id", "E2E-2"});
  CHECK_MESSAGE(c.code == 0, c.err);
  wait_orders(s, [](const nlohmann::json& orders) { return status_of(orders, "E2E-2") == "canceled"; });
  check_agree(s, venue);

  const auto [ms, metrics] = s.http_get("/metrics");
  CHECK(ms == 200);
  wait_until([&] {
    const auto m = s.http_get("/metrics").second;
    return m.find("oms_orders{exchange=\"binance\",account=\"binance_main\",status=\"filled\"} 1") !=
               std::string::npos &&
           m.find("oms_orders{exchange=\"binance\",account=\"binance_main\",status=\"canceled\"} 1") !=
               std::string::npos;
  }, 10s);
  CHECK(metrics.find("# TYPE oms_session_connected gauge") != std::string::npos);
  // The API's own latency histogram and call counts (two submits and a cancel so far).
  CHECK(metrics.find("oms_api_calls_total{rpc=\"SubmitOrder\",code=\"0\"} 2") != std::string::npos);
  CHECK(metrics.find("oms_api_call_seconds_count{rpc=\"SubmitOrder\"} 2") != std::string::npos);
  // Both orders were traced from the gRPC request to the socket write (signed on the engine's
  // shard, written by the session's I/O thread): a count and quantiles in nanoseconds.
  CHECK(metrics.find("oms_order_to_wire_count{origin=\"api\"} 2") != std::string::npos);
  {
    const std::string key = "oms_order_to_wire_ns{origin=\"api\",quantile=\"0.5\"} ";
    const auto at = metrics.find(key);
    REQUIRE(at != std::string::npos);
    const double p50 = std::stod(metrics.substr(at + key.size()));
    CHECK(p50 > 0);
    CHECK(p50 < 1e9);
  }
  // Each order's time to the venue's first answer, per account: both of binance_main's, none of
  // another account's; the buckets cumulative up to +Inf = the count.
  CHECK(metrics.find("oms_order_ack_seconds_count{account=\"binance_main\"} 2") != std::string::npos);
  CHECK(metrics.find("oms_order_ack_seconds_count{account=\"bybit_arb\"} 0") != std::string::npos);
  CHECK(metrics.find("oms_order_ack_seconds_bucket{account=\"binance_main\",le=\"+Inf\"} 2") != std::string::npos);
  CHECK(metrics.find("oms_order_ack_seconds_bucket{account=\"binance_main\",le=\"1e-06\"} 0") != std::string::npos);
  {
    const std::string key = "oms_order_ack_seconds_sum{account=\"binance_main\"} ";
    const auto at = metrics.find(key);
    REQUIRE(at != std::string::npos);
    const double sum = std::stod(metrics.substr(at + key.size()));
    CHECK(sum > 0);
    CHECK(sum < 10);
  }

  // The account snapshots' times (none due yet this early; the families are there from start).
  CHECK(metrics.find("oms_snapshot_seconds_bucket{part=\"shard\",le=\"0.0001\"}") != std::string::npos);
  CHECK(metrics.find("oms_snapshot_seconds_bucket{part=\"total\",le=\"+Inf\"}") != std::string::npos);
  CHECK(metrics.find("oms_snapshot_seconds_count{part=\"total\"}") != std::string::npos);

  // A clean stop, a second start: the orders come back from the stored events.
  CHECK(s.stop_omsd() == 0);
  s.start_omsd();
  const auto orders = omsctl_json(s, {"orders", "--account", "binance_main"}).at("orders");
  CHECK(status_of(orders, "E2E-1") == "filled");
  CHECK(status_of(orders, "E2E-2") == "canceled");
  check_agree(s, venue);
  // No key or secret of the paper accounts in any log line.
  check_no_secrets(s);
}

TEST_CASE("health: when the venue goes away the accounts are down and /health answers 503") {
  StackOptions o;
  // The plan's pinning runs on this machine too: the shard on CPU 1, the rest on both.
  o.omsd_flags = {"--cpu-plan", "engine=1,io=0-1,daemon=0-1"};
  Stack s(o);
  s.start_omsd();
  REQUIRE(s.http_get("/health").first == 200);
  // Every thread of omsd but the main one blocks the stop signals, so SIGTERM reaches the main
  // thread's sigwait and the shutdown runs: a thread started before the mask (the log's flusher once was) would take it by its
  // default action and end omsd on the spot.
  const auto task_dir = std::filesystem::path("/proc") / std::to_string(s.omsd_pid()) / "task";
  int threads = 0;
  for (const auto& t : std::filesystem::directory_iterator(task_dir)) {
    std::ifstream status(t.path() / "status");
    std::string line, name;
    std::optional<std::uint64_t> blocked;
    while (std::getline(status, line)) {
      if (line.rfind("Name:", 0) == 0) name = line.substr(6);
      if (line.rfind("SigBlk:", 0) == 0) blocked = std::stoull(line.substr(7), nullptr, 16);
    }
    // A thread that ended between the listing and the read has no status left to read (seen
    // in CI: a short-lived thread read as blocking nothing); it can take no signal.
    if (!blocked) continue;
    ++threads;
    // The main thread waits in sigwait, which unblocks the signals it waits for while it waits.
    if (t.path().filename() == std::to_string(s.omsd_pid())) continue;
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
      CHECK_MESSAGE((*blocked >> (sig - 1) & 1U) == 1U, "thread " << t.path().filename().string() << " ("
                                                                   << name << ") does not block signal " << sig);
    }
  }
  CHECK(threads > 10);
  s.kill_venue();
  std::pair<int, std::string> h;
  REQUIRE_MESSAGE(wait_until([&] { h = s.http_get("/health"); return h.first == 503; }, 20s), h.second);
  const auto j = nlohmann::json::parse(h.second);
  CHECK(j.at("status") == "down");
  const auto a = nlohmann::json::parse(s.http_get("/health/binance/binance_main").second);
  CHECK(a.at("session_connected") == false);
  CHECK(a.at("status") == "down");
}

TEST_CASE("NATS access: nats-server requires omsd's user over TLS; omsd without it, or with a credentials file others can read, refuses to start naming why") {
  Stack s;  // nats-server as deploy/run starts it (the stack's omsd runs with nats_flags())
  const auto omsd = [&](std::vector<std::string> nats) {
    std::vector<std::string> argv{OMSD_BIN, "--config", s.configs().string(), "--data", s.data().string(),
                                  "--mode", "paper", "--venue", "127.0.0.1:" + std::to_string(s.venue_port()),
                                  "--grpc", "127.0.0.1:" + std::to_string(s.grpc_port()),
                                  "--http", "127.0.0.1:" + std::to_string(s.http_port())};
    argv.insert(argv.end(), nats.begin(), nats.end());
    return testkit::run_process(argv, 30s);
  };
  const std::string url = s.nats().url();
  const std::string ca = (s.data() / "tls" / "ca.pem").string();
  auto r = omsd({"--nats", url, "--nats-ca", ca});  // no user
  CHECK(r.code != 0);
  CHECK_MESSAGE(r.err.find("Authorization Violation") != std::string::npos, r.err);
  r = omsd({"--nats", url, "--nats-auth", s.nats_auth_file().string()});  // no CA: unverified server
  CHECK(r.code != 0);
  CHECK_MESSAGE(r.err.find("unable to get local issuer certificate") != std::string::npos, r.err);
  std::filesystem::permissions(s.nats_auth_file(), std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  r = omsd(s.nats_flags());
  CHECK(r.code != 0);
  CHECK_MESSAGE(r.err.find(s.nats_auth_file().string() + ": mode 0640, must be 0600") != std::string::npos, r.err);
  // The file made private again: omsd starts and trades (the other tests run this way).
  std::filesystem::permissions(s.nats_auth_file(), std::filesystem::perms::group_read,
                               std::filesystem::perm_options::remove);
  s.start_omsd();
  const auto placed = omsctl_json(s, {"submit", "--account", "binance_main", "--instrument", "BTC/USDT", "--side",
                                      "buy", "--type", "market", "--qty", "0.001", "--id", "NATS-1"});
  CHECK(placed.at("accepted") == true);
  wait_orders(s, [](const nlohmann::json& orders) { return status_of(orders, "NATS-1") == "filled"; });
  CHECK(s.stop_omsd() == 0);
}

TEST_CASE("API tokens: SIGHUP reloads tokens.json -- a removed token is refused, a new one served, an unreadable file keeps the clients; unauthenticated callers are throttled and logged without their token") {
  Stack s;
  s.start_omsd();
  REQUIRE(s.omsctl({"balances", "--account", "binance_main"}).code == 0);
  const auto tokens = s.data() / "api" / "tokens.json";
  const auto write_private = [](const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
    std::filesystem::permissions(p, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  };
  // omsctl's client revoked, a new desk client added.
  const std::string desk_token = "5b1f0e8c2a7d4e3f9b6c1a0d8e7f2c4b";
  write_private(tokens, R"({"clients":[{"name":"desk2","token":")" + desk_token +
                            R"(","accounts":["binance_main"],"rate_per_s":50,"burst":100}]})");
  const auto desk_file = s.data() / "api" / "desk2.token";
  write_private(desk_file, desk_token + "\n");
  REQUIRE(::kill(s.omsd_pid(), SIGHUP) == 0);
  testkit::RunResult old_client;
  REQUIRE(wait_until([&] {
    old_client = s.omsctl({"balances", "--account", "binance_main"});
    return old_client.code != 0;
  }, 10s));
  CHECK_MESSAGE(old_client.err.find("UNAUTHENTICATED") != std::string::npos, old_client.err);
  const auto desk = s.omsctl({"--token-file", desk_file.string(), "balances", "--account", "binance_main"});
  CHECK_MESSAGE(desk.code == 0, desk.err);
  // A tokens file others may read is refused at the reload: desk2 stays served.
  std::filesystem::permissions(tokens, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  REQUIRE(::kill(s.omsd_pid(), SIGHUP) == 0);
  REQUIRE(wait_until([&] {
    return testkit::read_file(s.omsd_log()).find("SIGHUP: API clients not reloaded") != std::string::npos;
  }, 10s));
  CHECK(s.omsctl({"--token-file", desk_file.string(), "balances", "--account", "binance_main"}).code == 0);
  // A caller guessing tokens: answered UNAUTHENTICATED, logged with its address, never its
  // token (the per-host throttle past the burst is tested in gateway_tests, whose client calls
  // back to back: one omsctl process per call here is slower than the bucket refills under asan).
  const auto guess = s.data() / "api" / "guess.token";
  write_private(guess, "00000000000000000000000000000000\n");
  for (int i = 0; i < 3; ++i) {
    const auto r = s.omsctl({"--token-file", guess.string(), "balances", "--account", "binance_main"});
    CHECK_MESSAGE(r.err.find("UNAUTHENTICATED") != std::string::npos, r.err);
  }
  const std::string log = testkit::read_file(s.omsd_log());
  CHECK(log.find("from ipv4:127.0.0.1: authorization: unknown token") != std::string::npos);
  CHECK(log.find("00000000000000000000000000000000") == std::string::npos);  // never the token
  CHECK(log.find(desk_token) == std::string::npos);
  CHECK(s.stop_omsd() == 0);
}

TEST_CASE("closed orders leave omsd's memory after --closed-order-retention; their ids stay refused, positions keep them, across a restart") {
  StackOptions o;
  o.omsd_flags = {"--closed-order-retention", "1"};
  Stack s(o);
  s.start_omsd();
  VenueView venue(s.data(), s.venue_port(), "binance_main");
  (void)wait_mid(venue);
  auto r = submit(s, "RET-1", "buy", "0.002", "", "market");
  REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  wait_orders(s, [](const nlohmann::json& orders) { return status_of(orders, "RET-1") == "filled"; });
  // The positions' figures, less those that move with the marks (value and unrealized PnL in USDT).
  const auto positions_now = [&] {
    auto j = omsctl_json(s, {"positions", "--account", "binance_main"});
    for (auto& p : j.at("positions")) {
      p.erase("value_usdt");
      p.erase("unrealized_pnl_usdt");
    }
    return j;
  };
  const nlohmann::json positions = positions_now();
  // A second later it has left the order list; the position it made stays.
  wait_orders(s, [](const nlohmann::json& orders) { return status_of(orders, "RET-1") == "<absent>"; });
  CHECK(positions_now() == positions);
  const auto refused_again = [&] {
    auto again = submit(s, "RET-1", "buy", "0.002", "", "market");
    CHECK_MESSAGE(again.at("accepted") == false, again.dump());
    CHECK(again.value("code", 0) == 3012);
    CHECK(again.value("message", std::string()).find("closed and has left memory") != std::string::npos);
  };
  refused_again();
  // It stays queryable from the store: every order submitted that UTC day.
  const auto today = [] {
    const auto now = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    const std::chrono::year_month_day ymd{now};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return std::string(text);
  }();
  {
    const auto day = omsctl_json(s, {"orders", "--account", "binance_main", "--day", today});
    CHECK_MESSAGE(status_of(day.at("orders"), "RET-1") == "filled", day.dump());
    const auto bad = s.omsctl({"orders", "--account", "binance_main", "--day", "2026-13-01"});
    CHECK(bad.code != 0);
    CHECK_MESSAGE(bad.err.find("day: '2026-13-01' is not a date YYYY-MM-DD") != std::string::npos, bad.err);
  }
  // A restart rebuilds it from the snapshot or the stream and retires it again.
  CHECK(s.stop_omsd() == 0);
  s.start_omsd();
  wait_orders(s, [](const nlohmann::json& orders) { return status_of(orders, "RET-1") == "<absent>"; });
  refused_again();
  CHECK(positions_now() == positions);
  CHECK(venue.orders().at("RET-1").status == "filled");
}

namespace {

// Lines of venue-sim's --log-orders for the account's requests to the path.
std::size_t order_requests(const Stack& s, const std::string& account, const std::string& path) {
  const std::string log = testkit::read_file(s.venue_log());
  const std::string line = "venue-sim: binance " + account + " POST " + path + "\n";
  std::size_t n = 0;
  for (auto at = log.find(line); at != std::string::npos; at = log.find(line, at + line.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("paper stack: omsctl batch -- 7 USD-M orders leave as two native batchOrders requests (5 + 2), 3 spot orders as single orders; each answered on its own; omsd and the venue agree") {
  StackOptions o;
  o.venue_flags.push_back("--log-orders");
  Stack s(o);
  s.start_omsd();
  VenueView usdm(s.data(), s.venue_port(), "binance_main.usdm", Market::kUsdm);
  VenueView spot(s.data(), s.venue_port(), "binance_main");

  // USD-M: 7 limit buys 0.5 % under the mid (inside risk's 100 bps band), each over the
  // venue's 100 USDT minimum notional.
  const Decimal fmid = wait_mid(usdm);
  const Decimal fbid = tick(fmid.raw() - fmid.raw() / 200, 100'000'000);  // USD-M's 0.1 step
  const Int128 lot_notional = fbid.raw() / 1000;  // of 0.001 BTC, at 1e-9
  const Decimal fqty = Decimal::from_raw((Int128{150'000'000'000} / lot_notional + 1) * 1'000'000);
  std::vector<std::string> args{"batch", "--account", "binance_main", "--wait-ack-ms", "10000"};
  for (int i = 0; i < 7; ++i) {
    args.push_back("--order");
    args.push_back("instrument=BTC/USDT:USDT,side=buy,price=" + fbid.to_string() + ",qty=" + fqty.to_string() +
                   ",id=BATCH-F" + std::to_string(i));
  }
  const auto reply = omsctl_json(s, args);
  INFO(reply.dump());
  CHECK(reply.at("commands") == 2);
  CHECK(reply.at("accepted") == 7);
  REQUIRE(reply.at("orders").size() == 7);
  for (int i = 0; i < 7; ++i) {
    const auto& e = reply.at("orders").at(static_cast<std::size_t>(i));
    CHECK(e.at("client_order_id") == "BATCH-F" + std::to_string(i));
    CHECK(e.at("accepted") == true);
    CHECK(e.at("status") == "accepted");  // the venue's answer (--wait-ack-ms)
  }
  // venue-sim took them as two batchOrders requests, none as a single order.
  CHECK(order_requests(s, "binance_main.usdm", "/fapi/v1/batchOrders") == 2);
  CHECK(order_requests(s, "binance_main.usdm", "/fapi/v1/order") == 0);
  const auto venue_futures = usdm.orders();
  for (int i = 0; i < 7; ++i) {
    const auto it = venue_futures.find("BATCH-F" + std::to_string(i));
    REQUIRE_MESSAGE(it != venue_futures.end(), "BATCH-F" << i);
    CHECK(it->second.status == "accepted");
  }

  // Spot has no batch endpoint: the same call's orders go one request each.
  const Decimal smid = wait_mid(spot);
  const Decimal sbid = tick(smid.raw() - smid.raw() / 200);
  const auto file = s.data() / "spot-batch.jsonl";
  {
    std::ofstream out(file);
    for (int i = 0; i < 3; ++i) {
      out << R"({"instrument":"BTC/USDT","side":"buy","price":")" << sbid.to_string()
          << R"(","quantity":"0.001","client_order_id":"BATCH-S)" << i << "\"}\n";
    }
  }
  const auto spot_reply = omsctl_json(s, {"batch", "--account", "binance_main", "--file", file.string(),
                                          "--wait-ack-ms", "10000"});
  INFO(spot_reply.dump());
  CHECK(spot_reply.at("commands") == 1);
  REQUIRE(spot_reply.at("orders").size() == 3);
  for (int i = 0; i < 3; ++i) {
    const auto& e = spot_reply.at("orders").at(static_cast<std::size_t>(i));
    CHECK(e.at("client_order_id") == "BATCH-S" + std::to_string(i));
    CHECK(e.at("status") == "accepted");
  }
  CHECK(order_requests(s, "binance_main", "/api/v3/order") == 3);
  const auto orders = wait_quiet(s);
  for (int i = 0; i < 3; ++i) CHECK(status_of(orders, "BATCH-S" + std::to_string(i)) == "accepted");
  for (int i = 0; i < 7; ++i) CHECK(status_of(orders, "BATCH-F" + std::to_string(i)) == "accepted");
  check_agree(s, spot);
}
