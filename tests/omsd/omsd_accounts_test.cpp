// Accounts and execution, end to end (omsd + venue-sim + nats-server):
// - account routing: API orders that name no account go where accounts.yaml account_routing
//   says, and a strategy route of three accounts spreads a burst of three times one account's
//   10-second order limit over them, so venue-sim (which enforces Binance's ORDERS limits)
//   answers none with 429;
// - looking across accounts: omsctl balances / orders / fills without --account list every
//   account, narrowed by --exchange, --main and --instrument, with per-asset totals in USDT.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "omsd_checks.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

Decimal sum(Decimal a, Decimal b) {
  const auto s = a.add(b);
  REQUIRE(s.ok());
  return *s;
}

// A sub-account of binance_main (spot only, no strategy of its own).
std::string spot_sub(const std::string& name) {
  return "    " + name + ":\n      type: sub\n      parent: binance_main\n      api_key_vault_path: binance_sub_" + name +
         "\n      spot_enabled: true\n      futures_enabled: false\n\n";
}

}  // namespace

TEST_CASE("routing: a burst of 3x one account's 10-second order limit through one strategy spreads over its route's three accounts, no 429") {
  constexpr int kLimit = 10;  // Binance spot ORDERS per 10 s, at venue-sim and in exchanges.yaml
  StackOptions o;
  o.edit_configs = [](const std::filesystem::path& configs) {
    replace_in_file(configs / "accounts.yaml", "  bybit:\n", spot_sub("mm_a") + spot_sub("mm_b") + spot_sub("mm_c") + "  bybit:\n");
    replace_in_file(configs / "accounts.yaml", "    market_making: binance_mm ", "    market_making: [mm_a, mm_b, mm_c] ");
    replace_in_file(configs / "exchanges.yaml", "          orders_per_10s: 100\n",
                    "          orders_per_10s: " + std::to_string(kLimit) + "\n");
  };
  // mm_a holds ten times the others' USDT: were the budgets not consulted, the free balance would
  // send the whole burst there.
  o.venue_config = R"({"rate_limits": {"spot_orders_10s": )" + std::to_string(kLimit) +
                   R"(}, "accounts": [{"name": "mm_a", "market": "spot", "balances": {"USDT": "1000000", "BTC": "1"}}]})";
  Stack s(o);
  s.start_omsd();

  // The default account, and an instrument's route (the example accounts.yaml's).
  auto r = omsctl_json(s, {"submit", "--instrument", "BTC/USDT", "--side", "buy", "--qty", "0.001", "--type", "market",
                           "--wait-ack-ms", "3000"});
  CHECK_MESSAGE(r.at("accepted") == true, r.dump());
  CHECK(r.value("account", "") == "binance_main");
  CHECK(r.value("routing", "") == "default account binance_main");
  // 0.002 BTC: USD-M's BTCUSDT takes no order under 100 USDT of notional (MIN_NOTIONAL).
  r = omsctl_json(s, {"submit", "--instrument", "binance:usdm:BTC/USDT:USDT", "--side", "buy", "--qty", "0.002",
                      "--type", "market", "--wait-ack-ms", "3000"});
  CHECK_MESSAGE(r.at("accepted") == true, r.dump());
  CHECK(r.value("account", "") == "binance_basis");
  CHECK(r.value("routing", "") == "instrument binance:usdm:BTC/USDT:USDT -> binance_basis (routing rule)");
  // No rule gives an account on a venue that does not list the symbol.
  const auto bad = s.omsctl({"submit", "--instrument", "NOPE/USDT", "--side", "buy", "--qty", "1", "--type", "market"});
  CHECK(bad.code == 1);
  CHECK(bad.err.find("INVALID_ARGUMENT: account: missing, and no routing rule gives an account that client") !=
        std::string::npos);

  REQUIRE(wait_until([&] {
    for (const auto& b : omsctl_json(s, {"balances", "--account", "mm_a"}).value("balances", nlohmann::json::array())) {
      if (b.at("asset") == "USDT" && b.at("free") == "1000000") return true;
    }
    return false;
  }, 20s));

  // The burst: 3 x the limit, one strategy, no account named.
  std::map<std::string, int> by_account;
  std::vector<std::pair<std::string, std::string>> sent;  // account, client order id
  for (int i = 0; i < 3 * kLimit; ++i) {
    r = omsctl_json(s, {"submit", "--strategy", "market_making", "--instrument", "BTC/USDT", "--side", "buy", "--qty",
                        "0.001", "--type", "market", "--wait-ack-ms", "3000"});
    REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
    const std::string account = r.value("account", "");
    const std::string routing = r.value("routing", "");
    CHECK_MESSAGE(routing.rfind("strategy market_making -> " + account + " (routing rule; of 3 eligible accounts", 0) == 0,
                  routing);
    // The budgets equal at first: the most free USDT (mm_a's) decides the first order.
    if (i == 0) CHECK(account == "mm_a");
    ++by_account[account];
    sent.emplace_back(account, r.at("client_order_id"));
  }
  std::string spread;
  for (const auto& [account, n] : by_account) spread += account + "=" + std::to_string(n) + " ";
  // Spread: each account took at least what omsd lets one account send in a window (90 % of the
  // venue's limit); a burst crossing a window boundary may put one or two more on one of them.
  CHECK_MESSAGE(by_account.size() == 3, spread);
  for (const auto& [account, n] : by_account) CHECK_MESSAGE(n >= kLimit * 9 / 10, spread);
  // Every order filled: none refused by the venue (a 429 rejects the order, naming it).
  for (const auto& [account, id] : sent) {
    nlohmann::json last;
    CHECK_MESSAGE(wait_until([&] {
      const auto orders = omsctl_json(s, {"orders", "--account", account}).value("orders", nlohmann::json::array());
      for (const auto& x : orders) if (x.value("client_order_id", "") == id) last = x;
      return status_of(orders, id) == "filled";
    }, 20s), account << " " << id << " " << last.dump());
  }
  const auto orders = omsctl_json(s, {"orders", "--main", "binance_main"}).value("orders", nlohmann::json::array());
  for (const auto& order : orders) CHECK_MESSAGE(order.value("error", "").find("429") == std::string::npos, order.dump());
}

TEST_CASE("across accounts: omsctl balances / orders / fills without --account list every account; filters by exchange / main / instrument; totals in USDT") {
  StackOptions o;
  // The random walk steps every 3 s: the balances are read between two equal reads of the marks.
  o.venue_flags = {"--random-walk", "7", "--walk-interval-ms", "3000"};
  Stack s(o);
  s.start_omsd();
  const std::vector<std::string> accounts{"binance_main", "binance_spot_arb", "binance_futures_trend", "binance_mm",
                                          "binance_basis", "bybit_main", "bybit_arb", "okx_main", "okx_arb",
                                          "upbit_main"};
  // The marks the USDT values use: Binance's BTC/USDT and Upbit's USDT/KRW (ListPremiums).
  const auto marks = [&]() -> std::pair<std::string, std::string> {
    for (const auto& x : omsctl_json(s, {"premiums"}).value("premiums", nlohmann::json::array())) {
      if (x.value("instrument", "") == "BTC/KRW") return {x.value("reference_price", ""), x.value("rate", "")};
    }
    return {};
  };
  REQUIRE(wait_until([&] { return !marks().first.empty() && !marks().second.empty(); }, 30s));

  // Every account's balances, one account at a time (the rows the cross-account view must hold).
  std::multiset<std::string> expected_rows;
  std::map<std::string, std::string> exchange_of;
  REQUIRE(wait_until([&] {
    expected_rows.clear();
    for (const auto& a : accounts) {
      const auto b = omsctl_json(s, {"balances", "--account", a}).value("balances", nlohmann::json::array());
      if (b.empty()) return false;  // its venue's balances not in yet
      for (const auto& row : b) {
        expected_rows.insert(a + " " + row.value("market", "") + " " + row.value("asset", "") + " " +
                             row.value("free", "") + " " + row.value("locked", ""));
      }
    }
    return true;
  }, 30s));

  nlohmann::json all;
  std::pair<std::string, std::string> before;
  REQUIRE(wait_until([&] {
    before = marks();
    all = omsctl_json(s, {"balances"});
    return marks() == before;
  }, 30s));
  const Decimal btc_usdt = dec(before.first), usdt_krw = dec(before.second);
  std::multiset<std::string> rows;
  std::map<std::string, Decimal> free, locked, value;
  std::set<std::string> unvalued;
  for (const auto& row : all.at("balances")) {
    const std::string account = row.at("account"), asset = row.at("asset");
    rows.insert(account + " " + row.value("market", "") + " " + asset + " " + row.value("free", "") + " " +
                row.value("locked", ""));
    const Decimal amount = sum(dec(row.at("free")), dec(row.at("locked")));
    free[asset] = sum(free[asset], dec(row.at("free")));
    locked[asset] = sum(locked[asset], dec(row.at("locked")));
    const std::string v = row.value("value_usdt", "");
    // Risk's valuation: USDT at 1; KRW at Upbit's USDT/KRW; BTC on Binance at Binance's BTC/USDT.
    if (asset == "USDT") CHECK(v == amount.to_string());
    if (asset == "KRW") CHECK(v == amount.div(usdt_krw, Rounding::kHalfEven)->to_string());
    if (asset == "BTC" && account.rfind("binance_", 0) == 0) CHECK(v == amount.mul(btc_usdt, Rounding::kHalfEven)->to_string());
    if (v.empty()) {
      unvalued.insert(asset);
    } else {
      value[asset] = sum(value[asset], dec(v));
    }
  }
  CHECK(rows == expected_rows);
  CHECK(free.count("KRW") == 1);
  CHECK(free.count("USDT") == 1);
  // The totals: one per asset, exactly the rows' sums; the grand total of the valued ones.
  Decimal total;
  REQUIRE(all.at("totals").size() == free.size());
  for (const auto& t : all.at("totals")) {
    const std::string asset = t.at("asset");
    INFO("asset " << asset);
    CHECK(t.at("free") == free[asset].to_string());
    CHECK(t.at("locked") == locked[asset].to_string());
    if (unvalued.count(asset) != 0) {
      CHECK(t.value("value_usdt", "") == "");
    } else {
      CHECK(t.at("value_usdt") == value[asset].to_string());
      total = sum(total, value[asset]);
    }
  }
  CHECK(all.at("total_usdt") == total.to_string());
  std::set<std::string> listed_unvalued;
  for (const auto& a : all.value("unvalued", nlohmann::json::array())) listed_unvalued.insert(a.get<std::string>());
  CHECK(listed_unvalued == unvalued);

  // Filters: an exchange, a main account and its subs, an instrument's assets on its venues.
  const auto accounts_in = [](const nlohmann::json& list, const char* field) {
    std::set<std::string> out;
    for (const auto& row : list.value(field, nlohmann::json::array())) out.insert(row.at("account"));
    return out;
  };
  CHECK(accounts_in(omsctl_json(s, {"balances", "--exchange", "okx"}), "balances") ==
        std::set<std::string>{"okx_main", "okx_arb"});
  CHECK(accounts_in(omsctl_json(s, {"balances", "--main", "bybit_main"}), "balances") ==
        std::set<std::string>{"bybit_main", "bybit_arb"});
  const auto btc = omsctl_json(s, {"balances", "--instrument", "BTC/KRW"});
  CHECK(accounts_in(btc, "balances") == std::set<std::string>{"upbit_main"});
  std::set<std::string> assets;
  for (const auto& row : btc.at("balances")) assets.insert(row.at("asset"));
  CHECK(assets == std::set<std::string>{"BTC", "KRW"});
  // Bad filters name their field.
  auto e = s.omsctl({"balances", "--exchange", "kraken"});
  CHECK(e.code == 1);
  CHECK(e.err.find("INVALID_ARGUMENT: exchange: 'kraken' is not one of binance|bybit|okx|upbit") != std::string::npos);
  e = s.omsctl({"balances", "--main", "binance_mm"});
  CHECK(e.err.find("INVALID_ARGUMENT: main: 'binance_mm' is a sub-account (of 'binance_main')") != std::string::npos);
  e = s.omsctl({"orders", "--instrument", "NOPE/USDT"});
  CHECK(e.err.find("INVALID_ARGUMENT: instrument: unknown instrument 'NOPE/USDT'") != std::string::npos);

  // Orders and fills on three accounts of three exchanges, listed together and by filter.
  std::map<std::string, std::string> ids;  // account -> client order id
  for (const std::string a : {"binance_main", "bybit_main", "okx_arb"}) {
    const auto r = omsctl_json(s, {"submit", "--account", a, "--instrument", "BTC/USDT", "--side", "buy", "--qty",
                                   "0.001", "--type", "market", "--wait-ack-ms", "3000"});
    REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
    ids[a] = r.at("client_order_id");
  }
  REQUIRE(wait_until([&] {
    const auto orders = omsctl_json(s, {"orders"}).value("orders", nlohmann::json::array());
    for (const auto& [a, id] : ids) {
      bool found = false;
      for (const auto& x : orders) found = found || (x.at("account") == a && x.at("client_order_id") == id && x.at("status") == "filled");
      if (!found) return false;
    }
    return true;
  }, 20s));
  CHECK(accounts_in(omsctl_json(s, {"orders", "--exchange", "bybit"}), "orders") == std::set<std::string>{"bybit_main"});
  CHECK(accounts_in(omsctl_json(s, {"fills"}), "fills") == std::set<std::string>{"binance_main", "bybit_main", "okx_arb"});
  CHECK(accounts_in(omsctl_json(s, {"fills", "--main", "okx_main"}), "fills") == std::set<std::string>{"okx_arb"});
  CHECK(accounts_in(omsctl_json(s, {"fills", "--instrument", "BTC/USDT", "--exchange", "binance"}), "fills") ==
        std::set<std::string>{"binance_main"});
  CHECK(omsctl_json(s, {"fills", "--instrument", "BTC/KRW"}).value("fills", nlohmann::json::array()).empty());
}
