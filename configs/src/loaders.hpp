// The per-file readers behind load_*_from_string and load_config_*. Each reads one parsed
// document, records every problem in its Diagnostics and returns what it could read; the
// public functions throw when anything was recorded, so a partial result never escapes.
//
// Checks against the other files run only when References points at them (a file that had
// errors is left out, so one mistake does not cascade into many).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "oms/configs/accounts.hpp"
#include "oms/configs/exchanges.hpp"
#include "oms/configs/risk.hpp"
#include "oms/configs/strategies.hpp"
#include "yaml_reader.hpp"

namespace oms::configs::detail {

struct References {
  const ExchangesConfig* exchanges = nullptr;
  const std::vector<std::string>* strategy_names = nullptr;  // keys of strategies.yaml
  const AccountsConfig* accounts = nullptr;
  const StrategiesConfig* strategies = nullptr;
};

ExchangesConfig read_exchanges(const YAML::Node& doc, Diagnostics& diag);
AccountsConfig read_accounts(const YAML::Node& doc, const References& refs, Diagnostics& diag);
StrategiesConfig read_strategies(const YAML::Node& doc, const References& refs, Diagnostics& diag);
RiskConfig read_risk(const YAML::Node& doc, const References& refs, Diagnostics& diag);

// Reads account_routing into cfg.routing (accounts already read).
void read_account_routing(const Field& f, AccountsConfig& cfg, const References& refs,
                          Diagnostics& diag);
// Reads the type-specific keys of one strategy (type and enabled are read by the caller).
ArbitrageParams read_arbitrage(MapReader& m, const std::string& strategy, const References& refs,
                               Diagnostics& diag);
MarketMakingParams read_market_making(MapReader& m, const std::string& strategy,
                                      const References& refs, Diagnostics& diag);
TrendFollowingParams read_trend_following(MapReader& m, const std::string& strategy,
                                          const References& refs, Diagnostics& diag);

// The names a strategies.yaml document defines (its top-level `strategies` keys), for
// checking accounts.yaml before strategies.yaml is read.
std::vector<std::string> strategy_names(const YAML::Node& doc);

// Checks the top level is a mapping; records "the document must be a mapping" otherwise.
bool expect_document_map(const YAML::Node& doc, Diagnostics& diag);

// Records an error unless exchanges.yaml enables market m on exchange e. `what` names the
// user of the market: "pair 'BTC/USDT' of strategy 'arbitrage'".
void check_market_enabled(const References& refs, ExchangeId e, Market m, const YAML::Mark& at,
                          std::string_view what, Diagnostics& diag);
// Records an error unless accounts.yaml defines `account` on exchange e, allowed to trade
// m and not dedicated to a strategy other than `strategy` (empty: no strategy check).
void check_account_for(const References& refs, std::string_view account, ExchangeId e, Market m,
                       std::string_view strategy, const YAML::Mark& at, std::string_view what,
                       Diagnostics& diag);

// Throws ConfigError when diag recorded anything.
void throw_if_errors(Diagnostics& diag);

}  // namespace oms::configs::detail
