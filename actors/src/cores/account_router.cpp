#include "oms/cores/account_router.hpp"

namespace oms::actors {

std::optional<std::size_t> pick_account(std::span<const RouteFigures> candidates) noexcept {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!best) {
      best = i;
      continue;
    }
    const RouteFigures& b = candidates[*best];
    const RouteFigures& c = candidates[i];
    if (c.orders_left > b.orders_left || (c.orders_left == b.orders_left && c.free > b.free)) best = i;
  }
  return best;
}

namespace {

// Among the route's eligible accounts, the one pick_account prefers; `match` (when valid) is
// the instrument the order's must be on each account's venue.
std::optional<RouteChoice> choose_in(const std::vector<AccountId>& accounts, RouteRule rule, InstrumentId match,
                                     const RouteEnv& env) {
  std::vector<RouteChoice> eligible;
  std::vector<RouteFigures> figures;
  for (const AccountId a : accounts) {
    const auto instrument = env.eligible(a);
    if (!instrument || (match.valid() && *instrument != match)) continue;
    const RouteFigures f = env.figures(a, *instrument);
    eligible.push_back(RouteChoice{a, *instrument, rule, 0, f.orders_left, f.free});
    figures.push_back(f);
  }
  const auto i = pick_account(figures);
  if (!i) return std::nullopt;
  RouteChoice out = eligible[*i];
  out.eligible = eligible.size();
  return out;
}

}  // namespace

std::optional<RouteChoice> choose_account(const RouteRules& rules, StrategyId strategy, const RouteEnv& env) {
  if (strategy.valid()) {
    for (const StrategyRouteRule& r : rules.strategies) {
      if (r.strategy != strategy) continue;
      if (auto c = choose_in(r.accounts, RouteRule::kStrategy, InstrumentId{}, env)) return c;
    }
  }
  for (const InstrumentRouteRule& r : rules.instruments) {
    if (auto c = choose_in(r.accounts, RouteRule::kInstrument, r.instrument, env)) return c;
  }
  if (rules.default_account.valid()) {
    return choose_in({rules.default_account}, RouteRule::kDefault, InstrumentId{}, env);
  }
  return std::nullopt;
}

}  // namespace oms::actors
