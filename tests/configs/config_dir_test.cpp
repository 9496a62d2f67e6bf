// The four files together: references between them, a directory on disk, and the promise
// that a failed load returns nothing.
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <type_traits>

#include "fixtures.hpp"
#include "oms/configs/config.hpp"
#include "testkit/paths.hpp"

namespace oms::configs {
namespace {

using test::error_of;
using test::fixture_texts;
using test::replace_once;

std::string config_error(const ConfigTexts& texts) {
  return error_of([&] { return load_config_from_strings(texts); });
}

// A directory under /tmp removed at scope exit.
class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("oms_configs_test_" + std::to_string(::getpid()) + "_" + std::to_string(next_++))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  void write(const char* name, std::string_view text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }

 private:
  static inline int next_ = 0;
  std::filesystem::path path_;
};

TEST_CASE("the fixture files load together with dense ids in file order") {
  const Config cfg = load_config_from_strings(fixture_texts());
  REQUIRE(cfg.account_ids().size() == 3);
  CHECK(cfg.account_ids().find("main") == AccountId(0));
  CHECK(cfg.account_ids().find("arb") == AccountId(1));
  CHECK(cfg.account_ids().find("okx_main") == AccountId(2));
  CHECK(cfg.accounts.at(AccountId(1)).parent == AccountId(0));
  CHECK(cfg.strategy_ids().find("arb") == StrategyId(0));
  CHECK(cfg.risk.global.max_order_notional == Decimal::parse("100000").value());
}

TEST_CASE("a strategy naming an account that does not exist") {
  ConfigTexts t = fixture_texts();
  t.strategies = replace_once(t.strategies, "okx: okx_main", "okx: okx_ghost");
  CHECK(config_error(t) ==
        "strategies.yaml:7:30: pair 'BTC/USDT' of strategy 'arb' on okx names account 'okx_ghost', "
        "which is not defined in accounts.yaml");
}

TEST_CASE("a perpetual pair on a disabled market and on accounts without futures") {
  ConfigTexts t = fixture_texts();
  t.strategies = replace_once(t.strategies, "symbol: BTC/USDT", "symbol: BTC/USDT:USDT");
  CHECK(config_error(t) ==
        "strategies.yaml:7:21: pair 'BTC/USDT:USDT' of strategy 'arb' on binance names account "
        "'arb', "
        "which has futures_enabled false\n"
        "strategies.yaml:7:30: pair 'BTC/USDT:USDT' of strategy 'arb' trades on okx usdm, which is "
        "not "
        "enabled in exchanges.yaml\n"
        "strategies.yaml:7:30: pair 'BTC/USDT:USDT' of strategy 'arb' on okx names account "
        "'okx_main', "
        "which has futures_enabled false");
}

TEST_CASE("a spot pair on an account with spot disabled") {
  ConfigTexts t = fixture_texts();
  t.accounts = replace_once(
      t.accounts, "      spot_enabled: true\n      futures_enabled: false\n      strategy: arb",
      "      spot_enabled: false\n      futures_enabled: true\n      strategy: arb");
  CHECK(config_error(t) ==
        "strategies.yaml:7:21: pair 'BTC/USDT' of strategy 'arb' on binance names account 'arb', "
        "which "
        "has spot_enabled false");
}

TEST_CASE("accounts on an exchange that is disabled or not defined") {
  ConfigTexts t = fixture_texts();
  t.exchanges =
      replace_once(t.exchanges, "  okx:\n    enabled: true", "  okx:\n    enabled: false");
  CHECK(
      config_error(t) ==
      "accounts.yaml:15:3: accounts on 'okx', which is disabled in exchanges.yaml\n"
      "strategies.yaml:7:30: pair 'BTC/USDT' of strategy 'arb' trades on okx, which is disabled in "
      "exchanges.yaml");

  t = fixture_texts();
  t.accounts = replace_once(t.accounts, "  okx:\n    okx_main:", "  bybit:\n    okx_main:");
  CHECK(config_error(t) ==
        "accounts.yaml:15:3: accounts on 'bybit', which is not defined in exchanges.yaml");
}

TEST_CASE("an account enabled for a market its exchange does not enable") {
  ConfigTexts t = fixture_texts();
  t.exchanges = replace_once(
      t.exchanges, "      spot:\n        enabled: true\n        rest_url: https://api.binance.com",
      "      spot:\n        enabled: false\n        rest_url: https://api.binance.com");
  CHECK(config_error(t) ==
        "accounts.yaml:6:21: account 'main' has spot_enabled true, but binance spot is not enabled "
        "in "
        "exchanges.yaml\n"
        "accounts.yaml:12:21: account 'arb' has spot_enabled true, but binance spot is not enabled "
        "in "
        "exchanges.yaml\n"
        "strategies.yaml:7:21: pair 'BTC/USDT' of strategy 'arb' trades on binance spot, which is "
        "not "
        "enabled in exchanges.yaml");
}

TEST_CASE("an account naming a strategy that does not exist") {
  ConfigTexts t = fixture_texts();
  t.accounts = replace_once(t.accounts, "strategy: arb", "strategy: ghost");
  CHECK(config_error(t) ==
        "accounts.yaml:14:17: account 'arb' names strategy 'ghost', which is not defined in "
        "strategies.yaml");
}

TEST_CASE("a strategies file without its strategies key is refused by name, not by the YAML library") {
  // Found by fuzz_configs: the accounts' cross-check asked an absent key's node for its type,
  // and yaml-cpp threw InvalidNode (no file, no line) instead of the loader's ConfigError.
  ConfigTexts t = fixture_texts();
  t.strategies = "  binance:\n";
  const std::string error = config_error(t);
  CHECK(error ==
        "accounts.yaml:14:17: account 'arb' names strategy 'arb', which is not defined in strategies.yaml\n"
        "strategies.yaml:1:3: unknown key 'binance' at top level\n"
        "strategies.yaml:1:3: missing required key 'strategies' at top level");
}

TEST_CASE("a strategy using an account dedicated to another strategy") {
  ConfigTexts t = fixture_texts();
  t.strategies +=
      "  mm:\n"
      "    type: market_making\n"
      "    enabled: true\n"
      "    instruments:\n"
      "      - {symbol: BTC/USDT, exchange: binance, account: arb, spread_bps: 10,\n"
      "         quote_size: 0.1, max_inventory: 1, refresh_rate: 1s}\n"
      "    risk_limits: {max_daily_loss: 1000, max_position_value: 5000, auto_stop_loss: 0.02}\n";
  CHECK(
      config_error(t) ==
      "strategies.yaml:16:56: instrument 'BTC/USDT' of strategy 'mm' names account 'arb', which is "
      "dedicated to strategy 'arb'");
}

TEST_CASE("risk limits for accounts, strategies and instruments that do not exist") {
  ConfigTexts t = fixture_texts();
  t.risk =
      replace_once(t.risk, "kill_switch:\n",
                   "accounts:\n  ghost: {max_open_orders: 5}\n"
                   "strategies:\n  phantom: {max_open_orders: 5}\n"
                   "instruments:\n  - {exchange: okx, symbol: ETH/USDT:USDT, max_position: 1}\n"
                   "kill_switch:\n");
  CHECK(
      config_error(t) ==
      "risk.yaml:4:3: risk limits for account 'ghost', which is not defined in accounts.yaml\n"
      "risk.yaml:6:3: risk limits for strategy 'phantom', which is not defined in strategies.yaml\n"
      "risk.yaml:8:16: instrument 'ETH/USDT:USDT' trades on okx usdm, which is not enabled in "
      "exchanges.yaml");
}

TEST_CASE("kill switch thresholds for accounts and strategies that do not exist") {
  ConfigTexts t = fixture_texts();
  t.risk += "  accounts:\n    ghost: {max_daily_loss: 5}\n  strategies:\n    phantom: {max_drawdown: 5}\n";
  CHECK(config_error(t) ==
        "risk.yaml:10:5: kill switch for account 'ghost', which is not defined in accounts.yaml\n"
        "risk.yaml:12:5: kill switch for strategy 'phantom', which is not defined in strategies.yaml");
}

TEST_CASE("errors of all files are reported together, file by file") {
  ConfigTexts t = fixture_texts();
  t.exchanges = replace_once(t.exchanges, "fees: {maker_bps: 10, taker_bps: 10}",
                             "fees: {maker_bps: 10, taker_bps: 1e9}");
  t.accounts = replace_once(t.accounts, "parent: main", "parent: main-9");
  t.strategies = replace_once(t.strategies, "retry: 3}", "retry: 3");
  t.risk = replace_once(t.risk, "enabled: true", "enabled: 1");
  CHECK(config_error(t) ==
        "exchanges.yaml:11:42: 'taker_bps' in exchanges.binance.markets.spot.fees must be >= 0 and "
        "<= "
        "100, got '1e9'\n"
        "accounts.yaml:10:15: sub-account 'arb' names parent 'main-9', which is not defined\n"
        "strategies.yaml:11:13: yaml syntax: end of map flow not found\n"
        "risk.yaml:4:12: 'enabled' in kill_switch must be true or false, got '1'");
}

TEST_CASE("a failed load returns nothing: the previous Config stays whole") {
  static_assert(
      std::is_same_v<decltype(load_config_from_strings(ConfigTexts{})), Config>,
      "the loader returns a Config by value or throws; there is no out-parameter to half-fill");
  Config cfg = load_config_from_strings(fixture_texts());
  ConfigTexts bad = fixture_texts();
  bad.accounts = replace_once(bad.accounts, "parent: main", "parent: main-9");
  CHECK_THROWS_AS(cfg = load_config_from_strings(bad), ConfigError);
  CHECK(cfg.accounts.accounts.size() == 3);
  CHECK(cfg.accounts.at(AccountId(1)).parent == AccountId(0));
  CHECK(cfg.strategies.strategies.size() == 1);
  CHECK_THROWS_AS((void)load_config_from_strings(ConfigTexts{}), ConfigError);
}

TEST_CASE("load_config_dir reads the four files of a directory") {
  const TempDir dir;
  const ConfigTexts t = fixture_texts();
  dir.write("exchanges.yaml", t.exchanges);
  dir.write("accounts.yaml", t.accounts);
  dir.write("strategies.yaml", t.strategies);
  dir.write("risk.yaml", t.risk);
  const Config cfg = load_config_dir(dir.path());
  CHECK(cfg.account_ids().size() == 3);
  CHECK(cfg.strategy_ids().size() == 1);
}

TEST_CASE("a missing file is named with its directory; the others are still checked") {
  const TempDir dir;
  const ConfigTexts t = fixture_texts();
  dir.write("exchanges.yaml", t.exchanges);
  dir.write("accounts.yaml", replace_once(t.accounts, "default: main", "default: nobody"));
  dir.write("strategies.yaml", t.strategies);
  CHECK(
      error_of([&] { return load_config_dir(dir.path()); }) ==
      (dir.path() / "risk.yaml").string() + ": cannot open\n" +
          "accounts.yaml:22:12: 'default' in account_routing names account 'nobody', which is not "
          "defined");
  const std::filesystem::path nowhere = dir.path() / "nowhere";
  CHECK(error_of([&] { return load_config_dir(nowhere); }) ==
        (nowhere / "exchanges.yaml").string() + ": cannot open\n" +
            (nowhere / "accounts.yaml").string() + ": cannot open\n" +
            (nowhere / "strategies.yaml").string() + ": cannot open\n" +
            (nowhere / "risk.yaml").string() + ": cannot open");
}

}  // namespace
}  // namespace oms::configs
