// The four files together: each read in dependency order, every reference between them
// checked, all errors of all files reported at once.
#include "oms/configs/config.hpp"

#include <fstream>
#include <optional>
#include <sstream>

#include "loaders.hpp"

namespace oms::configs {
namespace {

using detail::Diagnostics;

struct Sources {
  std::optional<std::string> exchanges;  // nullopt: the file could not be read
  std::optional<std::string> accounts;
  std::optional<std::string> strategies;
  std::optional<std::string> risk;
};

std::optional<YAML::Node> parse(const std::optional<std::string>& text, Diagnostics& diag) {
  if (!text) return std::nullopt;
  return detail::parse_document(*text, diag);
}

// Exchanges first (they depend on nothing), then accounts (checked against exchanges and the
// strategy names), strategies (against exchanges and accounts), risk (against all three).
// A file with errors is not used to check the others: one mistake, one message.
// `errors` holds the problems found before (files that cannot be read) and comes first.
Config load(const Sources& sources, std::vector<std::string> errors) {
  Diagnostics ex_diag{kExchangesFile};
  Diagnostics acc_diag{kAccountsFile};
  Diagnostics strat_diag{kStrategiesFile};
  Diagnostics risk_diag{kRiskFile};
  const auto ex_doc = parse(sources.exchanges, ex_diag);
  const auto acc_doc = parse(sources.accounts, acc_diag);
  const auto strat_doc = parse(sources.strategies, strat_diag);
  const auto risk_doc = parse(sources.risk, risk_diag);

  Config cfg;
  detail::References refs;
  if (ex_doc) {
    cfg.exchanges = detail::read_exchanges(*ex_doc, ex_diag);
    if (!ex_diag.has_errors()) refs.exchanges = &cfg.exchanges;
  }
  std::vector<std::string> strategy_names;
  if (strat_doc) {
    strategy_names = detail::strategy_names(*strat_doc);
    refs.strategy_names = &strategy_names;
  }
  if (acc_doc) {
    cfg.accounts = detail::read_accounts(*acc_doc, refs, acc_diag);
    if (!acc_diag.has_errors()) refs.accounts = &cfg.accounts;
  }
  if (strat_doc) {
    cfg.strategies = detail::read_strategies(*strat_doc, refs, strat_diag);
    if (!strat_diag.has_errors()) refs.strategies = &cfg.strategies;
  }
  if (risk_doc) cfg.risk = detail::read_risk(*risk_doc, refs, risk_diag);

  for (Diagnostics* d : {&ex_diag, &acc_diag, &strat_diag, &risk_diag}) {
    for (std::string& e : d->errors()) errors.push_back(std::move(e));
  }
  // A file that could not be read is in `errors` already: no error means all four loaded.
  if (!errors.empty()) throw ConfigError(std::move(errors));
  return cfg;
}

std::optional<std::string> read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

}  // namespace

Config load_config_dir(const std::filesystem::path& dir) {
  Sources sources;
  std::vector<std::string> missing;
  const auto read = [&](const char* name, std::optional<std::string>& slot) {
    const std::filesystem::path path = dir / name;
    // An ifstream opens a directory on Linux; reading it then fails: check first.
    if (std::filesystem::is_regular_file(path)) slot = read_whole_file(path);
    if (!slot) missing.push_back(path.string() + ": cannot open");
  };
  read(kExchangesFile, sources.exchanges);
  read(kAccountsFile, sources.accounts);
  read(kStrategiesFile, sources.strategies);
  read(kRiskFile, sources.risk);
  return load(sources, std::move(missing));
}

ConfigTexts read_config_texts(const std::filesystem::path& dir) {
  ConfigTexts out;
  std::vector<std::string> missing;
  const auto read = [&](const char* name, std::string& slot) {
    const std::filesystem::path path = dir / name;
    std::optional<std::string> text;
    if (std::filesystem::is_regular_file(path)) text = read_whole_file(path);
    if (!text) missing.push_back(path.string() + ": cannot open");
    else slot = std::move(*text);
  };
  read(kExchangesFile, out.exchanges);
  read(kAccountsFile, out.accounts);
  read(kStrategiesFile, out.strategies);
  read(kRiskFile, out.risk);
  if (!missing.empty()) throw ConfigError(std::move(missing));
  return out;
}

Config load_config_from_strings(const ConfigTexts& texts) {
  return load(Sources{texts.exchanges, texts.accounts, texts.strategies, texts.risk}, {});
}

}  // namespace oms::configs
