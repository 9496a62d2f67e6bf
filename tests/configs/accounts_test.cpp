// accounts.yaml on its own: every broken input names file:line:col, the key and the value.
#include "oms/configs/accounts.hpp"

#include <doctest/doctest.h>

#include "fixtures.hpp"

namespace oms::configs {
namespace {

using test::error_of;
using test::replace_once;

// One main account; tests break it in one place.
constexpr std::string_view kOneMain = R"(accounts:
  binance:
    main:
      type: main
      api_key_vault_path: binance_main
      spot_enabled: true
      futures_enabled: true
account_routing:
  default: main
)";

// A main account and one sub-account (lines 8-13).
constexpr std::string_view kMainAndSub = R"(accounts:
  binance:
    main:
      type: main
      api_key_vault_path: binance_main
      spot_enabled: true
      futures_enabled: true
    arb-3:
      type: sub
      parent: main
      api_key_vault_path: binance_arb3
      spot_enabled: true
      futures_enabled: false
account_routing:
  default: main
)";

constexpr std::string_view kMainFutures = "      futures_enabled: true\n";

std::string accounts_error(std::string_view yaml) {
  return error_of([&] { return load_accounts_from_string(yaml, "accounts.yaml"); });
}

// kOneMain with `line` added after the main account's last key (as line 8).
std::string with_main_key(std::string_view line) {
  return replace_once(std::string(kOneMain), kMainFutures,
                      std::string(kMainFutures) + std::string(line) + "\n");
}

TEST_CASE("a minimal accounts.yaml loads with exact values") {
  const auto cfg = load_accounts_from_string(
      with_main_key("      max_balance_usdt: 12345.00000001"), "accounts.yaml");
  REQUIRE(cfg.accounts.size() == 1);
  CHECK(cfg.accounts[0].max_balance_usdt == Decimal::parse("12345.00000001").value());
  CHECK(cfg.accounts[0].max_balance_usdt->raw() == 12'345'000'000'010);
  CHECK(cfg.routing.default_account == AccountId(0));
  CHECK_FALSE(cfg.routing.balance_rules.has_value());
}

TEST_CASE("unknown key in an account is rejected with its position") {
  CHECK(accounts_error(with_main_key("      max_levrage: 5")) ==
        "accounts.yaml:8:7: unknown key 'max_levrage' in account 'main'");
}

TEST_CASE("unknown top-level key is rejected") {
  CHECK(accounts_error(std::string(kOneMain) + "acounts: {}\n") ==
        "accounts.yaml:10:1: unknown key 'acounts' at top level");
}

TEST_CASE("a boolean written as yes is a wrong type") {
  CHECK(accounts_error(
            replace_once(std::string(kOneMain), "spot_enabled: true", "spot_enabled: yes")) ==
        "accounts.yaml:6:21: 'spot_enabled' in account 'main' must be true or false, got 'yes'");
}

TEST_CASE("a sequence where a decimal belongs is a wrong type") {
  CHECK(
      accounts_error(with_main_key("      max_balance_usdt: [1, 2]")) ==
      "accounts.yaml:8:25: 'max_balance_usdt' in account 'main' must be a scalar, got a sequence");
}

TEST_CASE("an account that is not a mapping is a wrong type") {
  CHECK(accounts_error(replace_once(std::string(kOneMain), "account_routing:\n",
                                    "    arb-3: 5\n    x:\naccount_routing:\n")) ==
        "accounts.yaml:8:12: 'arb-3' in accounts.binance must be a mapping, got '5'\n"
        "accounts.yaml:9:5: 'x' in accounts.binance must be a mapping, got nothing");
}

TEST_CASE("negative balance limit is rejected") {
  CHECK(accounts_error(with_main_key("      max_balance_usdt: -5")) ==
        "accounts.yaml:8:25: 'max_balance_usdt' in account 'main' must be > 0, got '-5'");
}

TEST_CASE("leverage 0 and 126 are outside 1..125; 1 and 125 load") {
  CHECK(accounts_error(with_main_key("      max_leverage: 0")) ==
        "accounts.yaml:8:21: 'max_leverage' in account 'main' must be >= 1 and <= 125, got '0'");
  CHECK(accounts_error(with_main_key("      max_leverage: 126")) ==
        "accounts.yaml:8:21: 'max_leverage' in account 'main' must be >= 1 and <= 125, got '126'");
  CHECK(accounts_error(with_main_key("      max_leverage: 2.5")) ==
        "accounts.yaml:8:21: 'max_leverage' in account 'main' must be an integer, got '2.5'");
  CHECK(load_accounts_from_string(with_main_key("      max_leverage: 1"), "a.yaml")
            .accounts[0]
            .max_leverage == 1);
  CHECK(load_accounts_from_string(with_main_key("      max_leverage: 125"), "a.yaml")
            .accounts[0]
            .max_leverage == 125);
}

TEST_CASE("leverage on an account without futures is rejected") {
  const std::string yaml = replace_once(with_main_key("      max_leverage: 5"),
                                        "futures_enabled: true", "futures_enabled: false");
  CHECK(accounts_error(yaml) ==
        "accounts.yaml:8:7: 'max_leverage' in account 'main' is set but futures_enabled is false");
}

TEST_CASE("decimals are parsed exactly from their text: 1.2.3 and 9 decimals are errors") {
  CHECK(accounts_error(with_main_key("      max_balance_usdt: 1.2.3")) ==
        "accounts.yaml:8:25: 'max_balance_usdt' in account 'main' must be a decimal, got '1.2.3' "
        "(not a decimal number)");
  CHECK(accounts_error(with_main_key("      max_balance_usdt: 0.1234567891")) ==
        "accounts.yaml:8:25: 'max_balance_usdt' in account 'main' must be a decimal, got "
        "'0.1234567891' (more than 9 fractional digits)");
}

TEST_CASE("missing required key is reported at the account") {
  CHECK(accounts_error(
            replace_once(std::string(kOneMain), "      api_key_vault_path: binance_main\n", "")) ==
        "accounts.yaml:3:5: missing required key 'api_key_vault_path' in account 'main'");
}

TEST_CASE("an empty value is not a value") {
  CHECK(accounts_error(replace_once(std::string(kOneMain), "type: main", "type:")) ==
        "accounts.yaml:4:7: 'type' in account 'main' has no value");
}

TEST_CASE("account type must be main or sub") {
  CHECK(accounts_error(replace_once(std::string(kOneMain), "type: main", "type: master")) ==
        "accounts.yaml:4:13: 'type' in account 'main' must be main or sub, got 'master'");
}

TEST_CASE("sub-account naming an undefined parent") {
  CHECK(accounts_error(replace_once(std::string(kMainAndSub), "parent: main", "parent: main-9")) ==
        "accounts.yaml:10:15: sub-account 'arb-3' names parent 'main-9', which is not defined");
}

TEST_CASE("sub-account whose parent is itself a sub-account") {
  const std::string yaml = replace_once(std::string(kMainAndSub), "account_routing:\n",
                                        "    arb-4:\n"
                                        "      type: sub\n"
                                        "      parent: arb-3\n"
                                        "      api_key_vault_path: binance_arb4\n"
                                        "      spot_enabled: true\n"
                                        "      futures_enabled: false\n"
                                        "account_routing:\n");
  CHECK(accounts_error(yaml) ==
        "accounts.yaml:16:15: sub-account 'arb-4' names parent 'arb-3', which is a sub-account, "
        "not a main account");
}

TEST_CASE("sub-account whose parent is on another exchange") {
  const std::string yaml =
      replace_once(std::string(kMainAndSub), "    arb-3:\n", "  okx:\n    arb-3:\n");
  CHECK(
      accounts_error(yaml) ==
      "accounts.yaml:11:15: sub-account 'arb-3' names parent 'main', which is on binance, not okx");
}

TEST_CASE("a parent defined after its sub-account resolves") {
  const std::string yaml = R"(accounts:
  binance:
    sub:
      type: sub
      parent: main
      api_key_vault_path: s
      spot_enabled: true
      futures_enabled: false
    main:
      type: main
      api_key_vault_path: m
      spot_enabled: true
      futures_enabled: false
account_routing:
  default: main
)";
  const auto cfg = load_accounts_from_string(yaml, "accounts.yaml");
  CHECK(cfg.find("sub")->id == AccountId(0));
  CHECK(cfg.find("sub")->parent == AccountId(1));
}

TEST_CASE("a sub-account must name its parent; a main account may not") {
  CHECK(accounts_error(replace_once(std::string(kMainAndSub), "      parent: main\n", "")) ==
        "accounts.yaml:8:5: missing required key 'parent' in account 'arb-3'");
  CHECK(accounts_error(with_main_key("      parent: other")) ==
        "accounts.yaml:8:7: main account 'main' cannot have a parent");
}

TEST_CASE("an account name defined on two exchanges is a duplicate account") {
  const std::string yaml = replace_once(std::string(kOneMain), "account_routing:\n",
                                        "  okx:\n"
                                        "    main:\n"
                                        "      type: main\n"
                                        "      api_key_vault_path: okx_main\n"
                                        "      spot_enabled: true\n"
                                        "      futures_enabled: false\n"
                                        "account_routing:\n");
  CHECK(accounts_error(yaml) ==
        "accounts.yaml:9:5: account 'main' is already defined on binance (line 3)");
}

TEST_CASE("an account repeated under one exchange is a duplicate YAML key") {
  const std::string yaml = replace_once(std::string(kOneMain), "account_routing:\n",
                                        "    main:\n"
                                        "      type: main\n"
                                        "      api_key_vault_path: other\n"
                                        "      spot_enabled: true\n"
                                        "      futures_enabled: false\n"
                                        "account_routing:\n");
  CHECK(accounts_error(yaml) ==
        "accounts.yaml:8:5: duplicate key 'main' in accounts.binance (first at line 3)");
}

TEST_CASE("a key repeated inside an account is a duplicate YAML key") {
  CHECK(accounts_error(with_main_key("      spot_enabled: false")) ==
        "accounts.yaml:8:7: duplicate key 'spot_enabled' in account 'main' (first at line 6)");
}

// `subs` sub-accounts under one main account, six lines each from line 8.
std::string main_with_subs(int subs) {
  std::string yaml(kOneMain.substr(0, kOneMain.find("account_routing:")));
  for (int i = 1; i <= subs; ++i) {
    const std::string n = std::to_string(i);
    yaml += "    sub" + n +
            ":\n      type: sub\n      parent: main\n      api_key_vault_path: binance_sub" + n +
            "\n      spot_enabled: true\n      futures_enabled: false\n";
  }
  return yaml + "account_routing:\n  default: main\n";
}

TEST_CASE("200 sub-accounts under one main account load, with dense ids") {
  const auto cfg = load_accounts_from_string(main_with_subs(200), "accounts.yaml");
  REQUIRE(cfg.accounts.size() == 201);
  CHECK(cfg.accounts[200].name == "sub200");
  CHECK(cfg.accounts[200].id == AccountId(200));
  CHECK(cfg.accounts[200].parent == AccountId(0));
  CHECK(cfg.ids.size() == 201);
}

TEST_CASE("201 sub-accounts under one main account exceed Binance's limit") {
  CHECK(accounts_error(main_with_subs(201)) ==
        "accounts.yaml:1208:5: sub-account 'sub201' is number 201 under main account 'main'; at "
        "most 200 are allowed");
}

TEST_CASE("upbit has no sub-accounts") {
  const std::string yaml = R"(accounts:
  upbit:
    up_main:
      type: main
      api_key_vault_path: upbit_main
      spot_enabled: true
      futures_enabled: false
    up_sub:
      type: sub
      parent: up_main
      api_key_vault_path: upbit_sub
      spot_enabled: true
      futures_enabled: false
account_routing:
  default: up_main
)";
  CHECK(accounts_error(yaml) ==
        "accounts.yaml:9:13: sub-account 'up_sub' is on upbit, which has no sub-accounts");
}

TEST_CASE("two accounts may not share one API key") {
  CHECK(accounts_error(replace_once(std::string(kMainAndSub), "binance_arb3", "binance_main")) ==
        "accounts.yaml:11:27: account 'arb-3' uses api_key_vault_path 'binance_main', already used "
        "by "
        "account 'main'");
}

TEST_CASE("unknown exchange and a name unfit for subjects") {
  CHECK(accounts_error(replace_once(std::string(kOneMain), "  binance:", "  kraken:")) ==
        "accounts.yaml:2:3: unknown exchange 'kraken' (known: binance, bybit, okx, upbit)\n"
        "accounts.yaml:9:12: 'default' in account_routing names account 'main', which is not "
        "defined");
  CHECK(accounts_error(replace_once(std::string(kOneMain), "    main:", "    ma.in:")) ==
        "accounts.yaml:3:5: account name 'ma.in' must be 1 to 64 characters of A-Z a-z 0-9 _ - (it "
        "is used in subjects and paths)\n"
        "accounts.yaml:9:12: 'default' in account_routing names account 'main', which is not "
        "defined");
}

TEST_CASE("all errors are collected, in file order") {
  std::string yaml =
      replace_once(std::string(kMainAndSub), "spot_enabled: true\n      futures_enabled: true",
                   "spot_enabled: maybe\n      futures_enabled: true");
  yaml = replace_once(yaml, "parent: main", "parent: main-9");
  yaml = replace_once(yaml, "default: main", "default: nobody");
  try {
    (void)load_accounts_from_string(yaml, "accounts.yaml");
    FAIL("no error");
  } catch (const ConfigError& e) {
    REQUIRE(e.errors().size() == 3);
    CHECK(
        e.errors()[0] ==
        "accounts.yaml:6:21: 'spot_enabled' in account 'main' must be true or false, got 'maybe'");
    CHECK(e.errors()[1] ==
          "accounts.yaml:10:15: sub-account 'arb-3' names parent 'main-9', which is not defined");
    CHECK(e.errors()[2] ==
          "accounts.yaml:15:12: 'default' in account_routing names account 'nobody', which is not "
          "defined");
    CHECK(std::string(e.what()) == e.errors()[0] + "\n" + e.errors()[1] + "\n" + e.errors()[2]);
  }
}

TEST_CASE("routing to an account dedicated to another strategy is rejected") {
  std::string yaml = replace_once(std::string(kMainAndSub), "      futures_enabled: false\n",
                                  "      futures_enabled: false\n      strategy: arb\n");
  yaml += "  strategies:\n    market_making: arb-3\n";
  CHECK(accounts_error(yaml) ==
        "accounts.yaml:18:20: 'market_making' in account_routing.strategies names account 'arb-3', "
        "which is dedicated to strategy 'arb'");
}

TEST_CASE("balance rules and rebalance schedule are checked") {
  std::string yaml = replace_once(std::string(kMainAndSub), "      futures_enabled: false\n",
                                  "      futures_enabled: false\n      max_balance_usdt: 60000\n");
  yaml += "  balance_rules: {min_main_balance: 100000, max_sub_balance: 50000}\n";
  yaml += "  rebalance: {enabled: true, schedule: daily, time: \"24:00 UTC\"}\n";
  CHECK(accounts_error(yaml) ==
        "accounts.yaml:17:62: 'max_sub_balance' in account_routing.balance_rules is 50000, below "
        "max_balance_usdt 60000 of sub-account 'arb-3'\n"
        "accounts.yaml:18:53: 'time' in account_routing.rebalance must be HH:MM UTC, got '24:00 "
        "UTC'");
  const std::string good = std::string(kOneMain) +
                           "  rebalance: {enabled: false, schedule: daily, time: \"23:59 UTC\"}\n";
  const auto cfg = load_accounts_from_string(good, "accounts.yaml");
  REQUIRE(cfg.routing.rebalance.has_value());
  CHECK(cfg.routing.rebalance->time_utc == std::chrono::minutes(23 * 60 + 59));
}

TEST_CASE("rebalance schedule every: an interval of N s|m|h, 5 s .. 168 h, named when wrong") {
  const auto every = [](const std::string& rest) {
    return std::string(kOneMain) + "  rebalance: {enabled: true, schedule: every" + rest + "}\n";
  };
  const auto cfg = load_accounts_from_string(every(", interval: 30s"), "accounts.yaml");
  REQUIRE(cfg.routing.rebalance.has_value());
  CHECK(cfg.routing.rebalance->schedule == RebalanceSchedule::kEvery);
  CHECK(cfg.routing.rebalance->interval == std::chrono::seconds(30));
  CHECK(load_accounts_from_string(every(", interval: 2h"), "accounts.yaml").routing.rebalance->interval ==
        std::chrono::seconds(7200));
  CHECK(accounts_error(every("")).find("'interval' in account_routing.rebalance") != std::string::npos);
  for (const char* bad : {"4s", "169h", "30", "s", "10d", "-5s"}) {
    INFO(bad);
    CHECK(accounts_error(every(std::string(", interval: \"") + bad + "\"")).find("must be N s|m|h between 5s and 168h, got '" + std::string(bad) + "'") != std::string::npos);
  }
  CHECK(accounts_error(every(", interval: 30s, time: \"00:00 UTC\"")).find("'time' in account_routing.rebalance applies to a daily schedule only") != std::string::npos);
  CHECK(accounts_error(std::string(kOneMain) + "  rebalance: {enabled: true, schedule: hourly, interval: 30s}\n")
            .find("'interval' in account_routing.rebalance applies to an 'every' schedule only") != std::string::npos);
  CHECK(accounts_error(std::string(kOneMain) + "  rebalance: {enabled: true, schedule: weekly}\n")
            .find("must be hourly, daily or every, got 'weekly'") != std::string::npos);
}

// Three venues' accounts for the failover routes (lines 1-19), routing from line 20.
constexpr std::string_view kThreeVenues = R"(accounts:
  binance:
    bn:
      type: main
      api_key_vault_path: binance_bn
      spot_enabled: true
      futures_enabled: false
  bybit:
    by:
      type: main
      api_key_vault_path: bybit_by
      spot_enabled: true
      futures_enabled: false
  okx:
    ok:
      type: main
      api_key_vault_path: okx_ok
      spot_enabled: true
      futures_enabled: false
account_routing:
  default: bn
)";

TEST_CASE("failover routes: each account's alternatives on other venues, in order; bad ones named") {
  const auto cfg = load_accounts_from_string(std::string(kThreeVenues) + "  failover:\n    bn: [ok, by]\n    by: [bn]\n",
                                             "accounts.yaml");
  REQUIRE(cfg.routing.failover.size() == 2);
  CHECK(cfg.routing.failover[0].account == cfg.find("bn")->id);
  CHECK(cfg.routing.failover[0].to == std::vector<AccountId>{cfg.find("ok")->id, cfg.find("by")->id});
  CHECK(cfg.routing.failover[1].to == std::vector<AccountId>{cfg.find("bn")->id});
  CHECK(accounts_error(std::string(kThreeVenues) + "  failover:\n    bn: [nobody]\n") ==
        "accounts.yaml:23:10: 'bn' in account_routing.failover names account 'nobody', which is not defined");
  CHECK(accounts_error(std::string(kThreeVenues) + "  failover:\n    bn: [ok, ok]\n") ==
        "accounts.yaml:23:14: 'bn' in account_routing.failover lists 'ok' twice");
  CHECK(accounts_error(std::string(kThreeVenues) + "  failover:\n    ghost: [ok]\n") ==
        "accounts.yaml:23:5: account_routing.failover names account 'ghost', which is not defined");
  CHECK(accounts_error(std::string(kThreeVenues) + "  failover:\n    bn: [bn]\n") ==
        "accounts.yaml:23:10: 'bn' in account_routing.failover names account 'bn' on binance, the same exchange as 'bn': "
        "a failover goes to another venue");
  CHECK(accounts_error(std::string(kThreeVenues) + "  failover:\n    bn: []\n").find("accounts.yaml:23:") == 0);
}

TEST_CASE("yaml syntax errors carry their position") {
  CHECK(accounts_error("accounts:\n  binance: [main\naccount_routing: {}\n") ==
        "accounts.yaml:3:16: yaml syntax: end of sequence flow not found");
}

TEST_CASE("an empty document and a scalar document are rejected") {
  CHECK(accounts_error("") == "accounts.yaml:1:1: the document must be a mapping, got nothing");
  CHECK(accounts_error("hello\n") ==
        "accounts.yaml:1:1: the document must be a mapping, got 'hello'");
  CHECK(accounts_error("accounts: {}\n") ==
        "accounts.yaml:1:1: missing required key 'account_routing' at top level");
}

// Two Binance main accounts with subs, and an OKX account (lines 1-33), routing from line 34 (its rules from line 35).
constexpr std::string_view kRouteAccounts = R"(accounts:
  binance:
    bn:
      type: main
      api_key_vault_path: binance_bn
      spot_enabled: true
      futures_enabled: true
    mm1:
      type: sub
      parent: bn
      api_key_vault_path: binance_mm1
      spot_enabled: true
      futures_enabled: false
    mm2:
      type: sub
      parent: bn
      api_key_vault_path: binance_mm2
      spot_enabled: true
      futures_enabled: false
      strategy: market_making
    bn2:
      type: main
      api_key_vault_path: binance_bn2
      spot_enabled: true
      futures_enabled: false
  okx:
    ok:
      type: main
      api_key_vault_path: okx_ok
      spot_enabled: true
      futures_enabled: false
account_routing:
  default: bn
)";

TEST_CASE("strategy routes: one account or a list of one main account's accounts; bad lists named") {
  const auto cfg = load_accounts_from_string(
      std::string(kRouteAccounts) + "  strategies:\n    market_making: [mm1, mm2, bn]\n    arb: ok\n",
      "accounts.yaml");
  REQUIRE(cfg.routing.strategies.size() == 2);
  CHECK(cfg.routing.strategies[0].strategy == "market_making");
  CHECK(cfg.routing.strategies[0].accounts ==
        std::vector<AccountId>{cfg.find("mm1")->id, cfg.find("mm2")->id, cfg.find("bn")->id});
  CHECK(cfg.routing.strategies[1].accounts == std::vector<AccountId>{cfg.find("ok")->id});
  CHECK(accounts_error(std::string(kRouteAccounts) + "  strategies:\n    market_making: [mm1, bn2]\n") ==
        "accounts.yaml:35:26: 'market_making' in account_routing.strategies lists 'bn2' beside 'mm1': the "
        "accounts of a route are sub-accounts of one main account (or that main account)");
  CHECK(accounts_error(std::string(kRouteAccounts) + "  strategies:\n    market_making: [mm1, ok]\n") ==
        "accounts.yaml:35:26: 'market_making' in account_routing.strategies lists 'ok' beside 'mm1': the "
        "accounts of a route are sub-accounts of one main account (or that main account)");
  CHECK(accounts_error(std::string(kRouteAccounts) + "  strategies:\n    arb: [mm1, mm2]\n") ==
        "accounts.yaml:35:16: 'arb' in account_routing.strategies names account 'mm2', which is dedicated to "
        "strategy 'market_making'");
  CHECK(accounts_error(std::string(kRouteAccounts) + "  strategies:\n    arb: [mm1, mm1]\n") ==
        "accounts.yaml:35:16: 'arb' in account_routing.strategies lists 'mm1' twice");
  CHECK(accounts_error(std::string(kRouteAccounts) + "  strategies:\n    arb: [mm1, ghost]\n") ==
        "accounts.yaml:35:16: 'arb' in account_routing.strategies names account 'ghost', which is not defined");
  CHECK(accounts_error(std::string(kRouteAccounts) + "  strategies:\n    arb: {a: mm1}\n") ==
        "accounts.yaml:35:10: 'arb' in account_routing.strategies must be an account name or a list of them");
}

TEST_CASE("instrument routes: exchange:market:SYMBOL to accounts that trade it; bad ones named") {
  const auto cfg = load_accounts_from_string(
      std::string(kRouteAccounts) +
          "  instruments:\n    \"binance:usdm:BTC/USDT:USDT\": bn\n    \"binance:spot:ETH/USDT\": [mm1, mm2]\n",
      "accounts.yaml");
  REQUIRE(cfg.routing.instruments.size() == 2);
  CHECK(cfg.routing.instruments[0].instrument == "binance:usdm:BTC/USDT:USDT");
  CHECK(cfg.routing.instruments[0].exchange == ExchangeId::kBinance);
  CHECK(cfg.routing.instruments[0].market == Market::kUsdm);
  CHECK(cfg.routing.instruments[0].accounts == std::vector<AccountId>{cfg.find("bn")->id});
  CHECK(cfg.routing.instruments[1].market == Market::kSpot);
  CHECK(cfg.routing.instruments[1].accounts == std::vector<AccountId>{cfg.find("mm1")->id, cfg.find("mm2")->id});
  CHECK(accounts_error(std::string(kRouteAccounts) + "  instruments:\n    \"binance:usdm:BTC/USDT:USDT\": mm1\n") ==
        "accounts.yaml:35:35: 'binance:usdm:BTC/USDT:USDT' in account_routing.instruments names account 'mm1', "
        "which does not trade binance usdm");
  CHECK(accounts_error(std::string(kRouteAccounts) + "  instruments:\n    \"okx:spot:BTC/USDT\": [mm1]\n") ==
        "accounts.yaml:35:27: 'okx:spot:BTC/USDT' in account_routing.instruments names account 'mm1', "
        "which does not trade okx spot");
  CHECK(accounts_error(std::string(kRouteAccounts) + "  instruments:\n    BTC/USDT: bn\n") ==
        "accounts.yaml:35:5: account_routing.instruments names 'BTC/USDT': expected exchange:market:SYMBOL "
        "(binance:usdm:BTC/USDT:USDT)");
}

}  // namespace
}  // namespace oms::configs

namespace oms::configs {

TEST_CASE("a sub-account's email loads; a main account's, a malformed one and a repeated one are refused") {
  const std::string sub_email = replace_once(std::string(kMainAndSub), "      futures_enabled: false\n",
                                             "      futures_enabled: false\n      email: arb-3@desk.example\n");
  const auto cfg = load_accounts_from_string(sub_email, "accounts.yaml");
  REQUIRE(cfg.accounts.size() == 2);
  CHECK(cfg.accounts[0].email.empty());
  CHECK(cfg.accounts[1].email == "arb-3@desk.example");
  CHECK(accounts_error(with_main_key("      email: main@desk.example")) ==
        "accounts.yaml:8:7: main account 'main' cannot have an email: transfers name sub-accounts only");
  CHECK(accounts_error(replace_once(sub_email, "arb-3@desk.example", "arb-3.desk.example")) ==
        "accounts.yaml:14:14: 'email' in account 'arb-3' must be an email (name@domain), got "
        "'arb-3.desk.example'");
  CHECK(accounts_error(replace_once(sub_email, "arb-3@desk.example", "a@b@c")) ==
        "accounts.yaml:14:14: 'email' in account 'arb-3' must be an email (name@domain), got 'a@b@c'");
  const std::string twice = replace_once(
      sub_email, "account_routing:\n",
      "    arb-4:\n      type: sub\n      parent: main\n      api_key_vault_path: binance_arb4\n"
      "      spot_enabled: true\n      futures_enabled: false\n      email: arb-3@desk.example\n"
      "account_routing:\n");
  CHECK(accounts_error(twice) ==
        "accounts.yaml:21:14: email 'arb-3@desk.example' of account 'arb-4' is already the email "
        "of account 'arb-3'");
}

}  // namespace oms::configs

namespace oms::configs {

TEST_CASE("target_ratio: a sub-account's share in (0, 1]; a main account's is refused; a family's sum at most 1") {
  const std::string with_ratio = replace_once(std::string(kMainAndSub), "      futures_enabled: false\n",
                                              "      futures_enabled: false\n      target_ratio: 0.4\n");
  CHECK(load_accounts_from_string(with_ratio, "accounts.yaml").accounts[1].target_ratio ==
        Decimal::parse("0.4").value());
  CHECK_FALSE(load_accounts_from_string(kMainAndSub, "accounts.yaml").accounts[1].target_ratio.has_value());
  CHECK(accounts_error(replace_once(with_ratio, "target_ratio: 0.4", "target_ratio: 1.5")) ==
        "accounts.yaml:14:21: 'target_ratio' in account 'arb-3' must be > 0 and <= 1, got '1.5'");
  CHECK(accounts_error(replace_once(with_ratio, "target_ratio: 0.4", "target_ratio: 0")) ==
        "accounts.yaml:14:21: 'target_ratio' in account 'arb-3' must be > 0 and <= 1, got '0'");
  CHECK(accounts_error(with_main_key("      target_ratio: 0.5")) ==
        "accounts.yaml:8:7: main account 'main' cannot have a target_ratio: it holds what its "
        "sub-accounts do not");
  const std::string two = replace_once(
      with_ratio, "account_routing:\n",
      "    arb-4:\n      type: sub\n      parent: main\n      api_key_vault_path: binance_arb4\n"
      "      spot_enabled: true\n      futures_enabled: false\n      target_ratio: 0.7\n"
      "account_routing:\n");
  CHECK(accounts_error(two) ==
        "accounts.yaml:21:21: target_ratio of sub-account 'arb-4' takes the ratios under 'main' to "
        "1.1, above 1");
}

}  // namespace oms::configs

namespace oms::configs {

TEST_CASE("member_id (a Bybit UID) and sub_account (an OKX sub-account name) load; misplaced, malformed, repeated ones are refused") {
  std::string bybit = replace_once(std::string(kMainAndSub), "  binance:\n", "  bybit:\n");
  bybit = replace_once(bybit, "      futures_enabled: true\n", "      futures_enabled: true\n      member_id: 592334\n");
  bybit = replace_once(bybit, "      futures_enabled: false\n", "      futures_enabled: false\n      member_id: 691355\n");
  const auto by = load_accounts_from_string(bybit, "accounts.yaml");
  REQUIRE(by.accounts.size() == 2);
  CHECK(by.accounts[0].member_id == 592334);
  CHECK(by.accounts[1].member_id == 691355);
  CHECK(accounts_error(replace_once(bybit, "member_id: 691355", "member_id: 592334")) ==
        "accounts.yaml:15:18: member_id 592334 of account 'arb-3' is already the member_id of account 'main'");
  CHECK(accounts_error(replace_once(bybit, "member_id: 691355", "member_id: 12a")) ==
        "accounts.yaml:15:18: 'member_id' in account 'arb-3' must be a Bybit UID (a positive integer), got '12a'");
  CHECK(accounts_error(replace_once(bybit, "member_id: 691355", "member_id: 0")) ==
        "accounts.yaml:15:18: 'member_id' in account 'arb-3' must be a Bybit UID (a positive integer), got '0'");
  CHECK(accounts_error(with_main_key("      member_id: 5")) ==
        "accounts.yaml:8:7: account 'main' is on binance: member_id (a Bybit UID) is for bybit accounts only");

  std::string okx = replace_once(std::string(kMainAndSub), "  binance:\n", "  okx:\n");
  okx = replace_once(okx, "      futures_enabled: false\n", "      futures_enabled: false\n      sub_account: arbdesk3\n");
  const auto ok = load_accounts_from_string(okx, "accounts.yaml");
  REQUIRE(ok.accounts.size() == 2);
  CHECK(ok.accounts[0].sub_account.empty());
  CHECK(ok.accounts[1].sub_account == "arbdesk3");
  CHECK(accounts_error(replace_once(okx, "sub_account: arbdesk3", "sub_account: arb-desk")) ==
        "accounts.yaml:14:20: 'sub_account' in account 'arb-3' must be an OKX sub-account name (1 to 32 letters and "
        "digits), got 'arb-desk'");
  CHECK(accounts_error(replace_once(okx, "      futures_enabled: true\n",
                                    "      futures_enabled: true\n      sub_account: m1\n")) ==
        "accounts.yaml:8:7: main account 'main' cannot have a sub_account: transfers name sub-accounts only");
  CHECK(accounts_error(with_main_key("      sub_account: m1")) ==
        "accounts.yaml:8:7: account 'main' is on binance: sub_account (an OKX sub-account name) is for okx "
        "sub-accounts only");
}

}  // namespace oms::configs
