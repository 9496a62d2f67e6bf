// Checks that cross file boundaries: a strategy's venue and account, a risk limit's account.
#include <algorithm>

#include "loaders.hpp"
#include "oms/configs/config_error.hpp"

namespace oms::configs::detail {

void check_market_enabled(const References& refs, ExchangeId e, Market m, const YAML::Mark& at,
                          std::string_view what, Diagnostics& diag) {
  if (refs.exchanges == nullptr) return;
  const std::string venue(to_string(e));
  const ExchangeConfig* ex = refs.exchanges->find(e);
  if (ex == nullptr) {
    diag.error(
        at, std::string(what) + " trades on " + venue + ", which is not defined in exchanges.yaml");
  } else if (!ex->enabled) {
    diag.error(at,
               std::string(what) + " trades on " + venue + ", which is disabled in exchanges.yaml");
  } else if (!ex->market_enabled(m)) {
    diag.error(at, std::string(what) + " trades on " + venue + " " + std::string(to_string(m)) +
                       ", which is not enabled in exchanges.yaml");
  }
}

void check_account_for(const References& refs, std::string_view account, ExchangeId e, Market m,
                       std::string_view strategy, const YAML::Mark& at, std::string_view what,
                       Diagnostics& diag) {
  if (refs.accounts == nullptr) return;
  const std::string names =
      std::string(what) + " names account '" + std::string(account) + "', which ";
  const Account* a = refs.accounts->find(account);
  if (a == nullptr) {
    diag.error(at, names + "is not defined in accounts.yaml");
  } else if (a->exchange != e) {
    diag.error(at, names + "is on " + std::string(to_string(a->exchange)) + ", not " +
                       std::string(to_string(e)));
  } else if (!a->trades(m)) {
    diag.error(
        at, names + (m == Market::kSpot ? "has spot_enabled false" : "has futures_enabled false"));
  } else if (!strategy.empty() && !a->strategy.empty() && a->strategy != strategy) {
    diag.error(at, names + "is dedicated to strategy '" + a->strategy + "'");
  }
}

bool expect_document_map(const YAML::Node& doc, Diagnostics& diag) {
  if (doc.IsMap()) return true;
  diag.error(doc.Mark(), "the document must be a mapping, got " + describe(doc));
  return false;
}

std::vector<std::string> strategy_names(const YAML::Node& doc) {
  std::vector<std::string> names;
  if (!doc.IsMap()) return names;
  // A missing key gives an invalid node, whose type yaml-cpp answers with an exception: ask
  // whether it is defined first (the strategies file's own check names what is missing).
  const YAML::Node strategies = doc["strategies"];
  if (!strategies.IsDefined() || !strategies.IsMap()) return names;
  for (const auto& kv : strategies) {
    if (kv.first.IsScalar()) names.push_back(kv.first.Scalar());
  }
  return names;
}

void throw_if_errors(Diagnostics& diag) {
  if (diag.has_errors()) throw ConfigError(std::move(diag.errors()));
}

}  // namespace oms::configs::detail
