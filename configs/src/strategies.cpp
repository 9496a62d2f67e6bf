// strategies.yaml -> StrategiesConfig: names, types and the common keys; the parameters of
// each type are read in arbitrage.cpp and instruments.cpp.
#include "oms/configs/strategies.hpp"

#include "loaders.hpp"

namespace oms::configs {
namespace detail {
namespace {

std::optional<StrategyType> parse_strategy_type(std::string_view s) {
  for (const auto t :
       {StrategyType::kArbitrage, StrategyType::kMarketMaking, StrategyType::kTrendFollowing}) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

std::optional<Strategy> read_strategy(const Field& entry, const References& refs,
                                      Diagnostics& diag) {
  if (!check_name(entry, "strategy", diag) || !expect_map(entry, diag)) return std::nullopt;
  Strategy s;
  s.name = entry.key;
  MapReader m(entry.value, " in strategy '" + entry.key + "'", entry.key_mark(), diag);
  const Field* type_field = m.require("type");
  const auto type_text = type_field != nullptr ? read_string(*type_field, diag) : std::nullopt;
  const auto type = type_text ? parse_strategy_type(*type_text) : std::nullopt;
  if (type_text && !type) {
    diag.error(type_field->value_mark(),
               type_field->label() + " must be arbitrage, market_making or trend_following, got '" +
                   *type_text + "'");
  }
  if (const Field* f = m.require("enabled")) s.enabled = read_bool(*f, diag).value_or(false);
  if (!type) return s;  // without a type its other keys cannot be checked
  s.type = *type;
  switch (*type) {
    case StrategyType::kArbitrage:
      s.params = read_arbitrage(m, s.name, refs, diag);
      break;
    case StrategyType::kMarketMaking:
      s.params = read_market_making(m, s.name, refs, diag);
      break;
    case StrategyType::kTrendFollowing:
      s.params = read_trend_following(m, s.name, refs, diag);
      break;
  }
  return s;
}

}  // namespace

StrategiesConfig read_strategies(const YAML::Node& doc, const References& refs, Diagnostics& diag) {
  StrategiesConfig out;
  if (!expect_document_map(doc, diag)) return out;
  MapReader top(doc, " at top level", doc.Mark(), diag);
  top.allow_only({"strategies"});
  const Field* strategies = top.require("strategies");
  if (strategies == nullptr || !expect_map(*strategies, diag)) return out;
  MapReader entries(strategies->value, " in strategies", strategies->key_mark(), diag);
  for (const Field& entry : entries.fields()) {
    auto s = read_strategy(entry, refs, diag);
    if (!s) continue;
    const auto id = out.ids.intern(s->name);
    if (!id) {
      diag.error(entry.key_mark(),
                 "too many strategies (at most " + std::to_string(StrategyId::kInvalid) + ")");
      continue;
    }
    s->id = *id;
    out.strategies.push_back(std::move(*s));
  }
  return out;
}

}  // namespace detail

std::string_view to_string(StrategyType t) noexcept {
  switch (t) {
    case StrategyType::kArbitrage:
      return "arbitrage";
    case StrategyType::kMarketMaking:
      return "market_making";
    case StrategyType::kTrendFollowing:
      return "trend_following";
  }
  return "unknown";
}

const Strategy* StrategiesConfig::find(std::string_view name) const {
  const auto id = ids.find(name);
  return id ? &strategies[id->index()] : nullptr;
}

StrategiesConfig load_strategies_from_string(std::string_view text, std::string_view filename) {
  detail::Diagnostics diag{std::string(filename)};
  StrategiesConfig out;
  if (const auto doc = detail::parse_document(text, diag)) {
    out = detail::read_strategies(*doc, detail::References{}, diag);
  }
  detail::throw_if_errors(diag);
  return out;
}

}  // namespace oms::configs
