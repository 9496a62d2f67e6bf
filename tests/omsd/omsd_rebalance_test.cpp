// The scheduled rebalance end to end (issue 17): accounts.yaml's account_routing.rebalance set to
// `schedule: every, interval: 10s`, and binance_main given max_balance_usdt 265000. venue-sim's
// paper accounts start with 100000 USDT spot each, so the plan (balance_rules: sub caps 50000
// and each sub's max_balance_usdt) sends the subs' excesses up to binance_main, by sub id:
// binance_spot_arb 90000 (cap 10000), binance_mm 80000 (cap 20000), binance_basis 70000 (cap
// 30000). omsd runs it on its own at the first tick: 90000 up (main holds 190000), then 80000
// would make main hold 270000 > 265000 -- refused before anything is sent, recorded as a failed
// transfer with code 3240 and the reason naming binance_main's max_balance_usdt --, then 70000
// (260000). The venue's balances moved for the two done only; omsd's equal the venue's; the
// refusal is in TRANSFERS (listed again after a restart).
// The same run plans the Bybit and OKX families (their unified wallets' USDT): bybit_arb's
// excess over its 20000 cap goes up to bybit_main, okx_arb's over its 10000 to okx_main, through
// the venues' own transfer endpoints; venue-sim's balances and omsd's agree.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <set>

#include "omsd_checks.hpp"
#include "testkit/paths.hpp"
#include "venue_keys.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

Decimal omsd_usdt(const Stack& s, const std::string& account) {
  const auto j = omsctl_json(s, {"balances", "--account", account});
  for (const auto& b : j["balances"]) {
    if (b["market"] == "spot" && b["asset"] == "USDT") return dec(b["free"].get<std::string>());
  }
  return dec("-1");
}

const nlohmann::json* find_transfer(const nlohmann::json& list, const std::string& from, const std::string& amount) {
  for (const auto& t : list)
    if (t.value("from_account", "") == from && t.value("amount", "") == amount) return &t;
  return nullptr;
}

}  // namespace

TEST_CASE("scheduled rebalance: omsd runs account_routing.rebalance on its schedule through the transfer service; a transfer that would break binance_main's max_balance_usdt is refused (3240), recorded, never sent") {
  StackOptions o;
  o.edit_configs = [](const std::filesystem::path& configs) {
    replace_in_file(configs / "accounts.yaml", "    enabled: false\n    schedule: daily\n    time: \"00:00 UTC\"\n",
                    "    enabled: true\n    schedule: every\n    interval: 10s\n");
    replace_in_file(configs / "accounts.yaml", "      type: main\n      api_key_vault_path: binance_main\n",
                    "      type: main\n      api_key_vault_path: binance_main\n      max_balance_usdt: 265000\n");
    // The strategies stopped: the market maker trades binance_mm's USDT, the arbitrage pairs
    // binance_spot_arb's and binance_basis'; the figures below are the paper accounts' own.
    for (int i = 0; i < 3; ++i) replace_in_file(configs / "strategies.yaml", "    enabled: true\n", "    enabled: false\n");
  };
  Stack s(o);
  s.start_omsd();
  VenueView main(s.data(), s.venue_port(), "binance_main");
  VenueView arb(s.data(), s.venue_port(), "binance_spot_arb");
  VenueView mm(s.data(), s.venue_port(), "binance_mm");
  VenueView basis(s.data(), s.venue_port(), "binance_basis");
  CHECK(venue_usdt(main) == dec("100000"));
  CHECK(venue_usdt(mm) == dec("100000"));
  // Bybit's and OKX's families: what their unified wallets hold at the start, and what the plan
  // sends up (the excess over each sub's cap: bybit_arb's max_balance_usdt 20000, okx_arb's 10000).
  auto by_main = bybit_key(s, "bybit_main");
  auto by_arb = bybit_key(s, "bybit_arb");
  auto ok_main = okx_key(s, "okx_main");
  auto ok_arb = okx_key(s, "okx_arb");
  const Decimal bm0 = connector_usdt(*by_main), ba0 = connector_usdt(*by_arb);
  const Decimal om0 = connector_usdt(*ok_main), oa0 = connector_usdt(*ok_arb);
  const Decimal by_up = minus(ba0, "20000"), ok_up = minus(oa0, "10000");
  REQUIRE(by_up.is_positive());
  REQUIRE(ok_up.is_positive());

  // No operator command: the schedule's first run (10 s after the start) does it.
  nlohmann::json list;
  const auto completed = [&](const std::string& from, const Decimal& amount) {
    const auto* t = find_transfer(list, from, amount.to_string());
    return t != nullptr && t->value("status", "") == "completed";
  };
  const bool ran = wait_until([&] {
    list = omsctl_json(s, {"transfers"}).value("transfers", nlohmann::json::array());
    const auto* m = find_transfer(list, "binance_mm", "80000");
    return completed("binance_spot_arb", dec("90000")) && m != nullptr && completed("binance_basis", dec("70000")) &&
           completed("bybit_arb", by_up) && completed("okx_arb", ok_up);
  }, 60s);
  REQUIRE_MESSAGE(ran, list.dump());
  const auto* refused = find_transfer(list, "binance_mm", "80000");
  CHECK(refused->value("to_account", "") == "binance_main");
  CHECK(refused->value("status", "") == "failed");
  CHECK(refused->value("code", 0) == 3240);
  CHECK(refused->value("reason", "") == "max_balance_usdt: 'binance_main' would hold 270000 USDT, above its 265000");
  CHECK(refused->value("venue_transfer_id", "") == "");

  // The venue moved the two done, once each; binance_mm's 100000 never left.
  CHECK(venue_usdt(main) == dec("260000"));
  CHECK(venue_usdt(arb) == dec("10000"));
  CHECK(venue_usdt(basis) == dec("30000"));
  CHECK(venue_usdt(mm) == dec("100000"));
  // omsd's balances are the venue's.
  for (const auto& [name, view] : std::initializer_list<std::pair<const char*, VenueView*>>{
           {"binance_main", &main}, {"binance_spot_arb", &arb}, {"binance_mm", &mm}, {"binance_basis", &basis}}) {
    CHECK_MESSAGE(wait_until([&] { return omsd_usdt(s, name) == venue_usdt(*view); }, 15s), name);
  }
  // Bybit and OKX: each sub left at its cap, its excess at the main account, once.
  CHECK(find_transfer(list, "bybit_arb", by_up.to_string())->value("to_account", "") == "bybit_main");
  CHECK(find_transfer(list, "okx_arb", ok_up.to_string())->value("to_account", "") == "okx_main");
  CHECK(connector_usdt(*by_arb) == dec("20000"));
  CHECK(connector_usdt(*by_main) == plus(bm0, by_up.to_string()));
  CHECK(connector_usdt(*ok_arb) == dec("10000"));
  CHECK(connector_usdt(*ok_main) == plus(om0, ok_up.to_string()));
  for (const auto& [name, read] : std::initializer_list<std::pair<const char*, std::function<Decimal()>>>{
           {"bybit_main", [&] { return connector_usdt(*by_main); }}, {"bybit_arb", [&] { return connector_usdt(*by_arb); }},
           {"okx_main", [&] { return connector_usdt(*ok_main); }}, {"okx_arb", [&] { return connector_usdt(*ok_arb); }}}) {
    Decimal omsd, venue;
    CHECK_MESSAGE(wait_until([&] { return (omsd = omsd_usdt(s, name)) == (venue = read()); }, 15s),
                  name << ": omsd " << omsd.to_string() << ", venue " << venue.to_string());
  }
  // The next runs plan binance_mm's excess again and refuse it again (the limit still holds):
  // nothing more moves.
  std::this_thread::sleep_for(12s);
  CHECK(venue_usdt(main) == dec("260000"));
  CHECK(venue_usdt(mm) == dec("100000"));
  const std::string log = testkit::read_file(s.omsd_log());
  CHECK(log.find("rebalance: scheduled here for binance, bybit, okx\n") != std::string::npos);
  CHECK(log.find("scheduled rebalance: 5 planned, 4 completed, 1 refused, 0 failed") != std::string::npos);
  CHECK(log.find("scheduled rebalance: 1 planned, 0 completed, 1 refused, 0 failed") != std::string::npos);

  // Recorded: after a restart omsd lists the refusal from TRANSFERS, with its code and reason.
  const std::uint64_t refused_id = std::stoull(refused->value("transfer_id", "0"));
  REQUIRE(s.stop_omsd() == 0);
  s.start_omsd();
  const auto after = omsctl_json(s, {"transfers"}).value("transfers", nlohmann::json::array());
  bool found = false;
  for (const auto& t : after) {
    if (std::stoull(t.value("transfer_id", "0")) != refused_id) continue;
    found = true;
    CHECK(t.value("status", "") == "failed");
    CHECK(t.value("code", 0) == 3240);
    CHECK(t.value("reason", "") == "max_balance_usdt: 'binance_main' would hold 270000 USDT, above its 265000");
  }
  CHECK_MESSAGE(found, after.dump());
}

TEST_CASE("rebalance through the API: a client that may use only the Binance accounts sees and runs the Binance family's plan; the Bybit and OKX families are refused by name, without their amounts, and nothing of them moves; the operator sees every family") {
  StackOptions o;
  o.edit_configs = [](const std::filesystem::path& configs) {
    for (int i = 0; i < 3; ++i) replace_in_file(configs / "strategies.yaml", "    enabled: true\n", "    enabled: false\n");
  };
  Stack s(o);
  s.start_omsd();
  // A second API client beside omsctl's: the Binance accounts only. SIGHUP reloads tokens.json.
  const auto tokens = s.data() / "api" / "tokens.json";
  auto clients = nlohmann::json::parse(testkit::read_file(tokens));
  const std::string desk_token = "7c2e9a4b1d0f8e3a6b5c4d2e1f0a9b8c";
  clients["clients"].push_back({{"name", "binance_desk"},
                                {"token", desk_token},
                                {"accounts", {"binance_main", "binance_spot_arb", "binance_futures_trend", "binance_mm", "binance_basis"}},
                                {"rate_per_s", 50},
                                {"burst", 100}});
  const auto desk_file = s.data() / "api" / "binance_desk.token";
  for (const auto& [path, text] : {std::pair{tokens, clients.dump()}, std::pair{desk_file, desk_token + "\n"}}) {
    std::ofstream(path) << text;
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  REQUIRE(::kill(s.omsd_pid(), SIGHUP) == 0);
  REQUIRE(wait_until([&] {
    return s.omsctl({"--token-file", desk_file.string(), "balances", "--account", "binance_main"}).code == 0;
  }, 10s));

  const auto names = [](const nlohmann::json& list, const char* field) {
    std::set<std::string> out;
    for (const auto& t : list) out.insert(t.value(field, ""));
    return out;
  };
  // The operator ("*"): every family's excess goes up.
  const auto all = omsctl_json(s, {"rebalance", "--dry-run"});
  CHECK(names(all["transfers"], "from_account") ==
        std::set<std::string>{"binance_spot_arb", "binance_mm", "binance_basis", "bybit_arb", "okx_arb"});
  CHECK(all.value("refused", nlohmann::json::array()).empty());

  // The Binance desk: the Binance family; the others refused by the account it may not use.
  const auto desk = omsctl_json(s, {"--token-file", desk_file.string(), "rebalance", "--dry-run"});
  INFO(desk.dump());
  CHECK(names(desk["transfers"], "from_account") == std::set<std::string>{"binance_spot_arb", "binance_mm", "binance_basis"});
  REQUIRE(desk["refused"].size() == 2);
  CHECK(names(desk["refused"], "from_account") == std::set<std::string>{"bybit_main", "okx_main"});
  for (const auto& r : desk["refused"]) {
    CHECK(r.value("amount", "") == "");
    CHECK(r.value("reason", "") == "client 'binance_desk' may not use account '" + r.value("from_account", "") +
                                       "': its family's rebalance is left out for this client");
  }

  // Its run moves the Binance family's money only.
  auto by_arb = bybit_key(s, "bybit_arb");
  auto ok_arb = okx_key(s, "okx_arb");
  const Decimal ba0 = connector_usdt(*by_arb), oa0 = connector_usdt(*ok_arb);
  VenueView arb(s.data(), s.venue_port(), "binance_spot_arb");
  const auto run = omsctl_json(s, {"--token-file", desk_file.string(), "rebalance", "--run"});
  CHECK(names(run["transfers"], "from_account") == std::set<std::string>{"binance_spot_arb", "binance_mm", "binance_basis"});
  for (const auto& t : run["transfers"]) CHECK_MESSAGE(t.value("status", "") == "completed", t.dump());
  CHECK(venue_usdt(arb) == dec("10000"));
  CHECK(connector_usdt(*by_arb) == ba0);
  CHECK(connector_usdt(*ok_arb) == oa0);
  CHECK(s.stop_omsd() == 0);
}
