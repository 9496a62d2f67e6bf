// Config: the four config files of a deployment, loaded and cross-validated together.
#pragma once

#include <filesystem>
#include <string>

#include "oms/configs/accounts.hpp"
#include "oms/configs/config_error.hpp"
#include "oms/configs/exchanges.hpp"
#include "oms/configs/risk.hpp"
#include "oms/configs/strategies.hpp"

namespace oms::configs {

inline constexpr const char* kExchangesFile = "exchanges.yaml";
inline constexpr const char* kAccountsFile = "accounts.yaml";
inline constexpr const char* kStrategiesFile = "strategies.yaml";
inline constexpr const char* kRiskFile = "risk.yaml";

struct Config {
  ExchangesConfig exchanges;
  AccountsConfig accounts;      // holds the AccountId interner (file order)
  StrategiesConfig strategies;  // holds the StrategyId interner (file order)
  RiskConfig risk;

  [[nodiscard]] const Interner<AccountId>& account_ids() const noexcept { return accounts.ids; }
  [[nodiscard]] const Interner<StrategyId>& strategy_ids() const noexcept { return strategies.ids; }
};

// The text of the four files, for tests and tools that do not read a directory.
struct ConfigTexts {
  std::string exchanges;
  std::string accounts;
  std::string strategies;
  std::string risk;
};

// Loads exchanges.yaml, accounts.yaml, strategies.yaml and risk.yaml from dir and checks
// every reference between them. Throws ConfigError listing all problems of all files
// ("DIR/accounts.yaml: cannot open" for a missing file); never returns a partial Config.
[[nodiscard]] Config load_config_dir(const std::filesystem::path& dir);

// The four files' texts as they are (a record of the configuration in force); throws
// ConfigError naming each file that cannot be read.
[[nodiscard]] ConfigTexts read_config_texts(const std::filesystem::path& dir);

// As load_config_dir, from texts; errors name the standard file names.
[[nodiscard]] Config load_config_from_strings(const ConfigTexts& texts);

}  // namespace oms::configs
