// Account routing of API orders that name no account (accounts.yaml account_routing): the
// order's strategy's route, else its instrument's route, else the default account. A route of
// several accounts picks, among the eligible ones (the client may use it, it trades the
// instrument's market), the one with the most order budget left, then the most free balance of
// the asset the order spends, then the first listed -- so a burst spreads across the accounts
// instead of spending one account's rate limit.
//
// Pure: what is eligible and each account's figures of the moment are arguments (the gateway
// asks the daemon, the way failover asks whether a venue is up). The account chosen travels in
// the command, so the engine's recorded input does not depend on them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "oms/messages/decimal.hpp"
#include "oms/messages/ids.hpp"

namespace oms::actors {

struct StrategyRouteRule {
  StrategyId strategy;
  std::vector<AccountId> accounts;  // in order of preference on a tie
};
struct InstrumentRouteRule {
  InstrumentId instrument;
  std::vector<AccountId> accounts;
};
struct RouteRules {
  AccountId default_account;  // invalid: none
  std::vector<StrategyRouteRule> strategies;
  std::vector<InstrumentRouteRule> instruments;
  [[nodiscard]] bool empty() const noexcept {
    return !default_account.valid() && strategies.empty() && instruments.empty();
  }
};

// An account's figures of the moment, as the connectors and the engine keep them.
struct RouteFigures {
  std::uint32_t orders_left = 0;  // order budget left in its tightest order window
  Decimal free;                   // free balance of the asset the order spends
};

// Among candidates (in preference order): the index of the one with the most orders left, then
// the most free balance; the first on a tie. nullopt when empty.
[[nodiscard]] std::optional<std::size_t> pick_account(std::span<const RouteFigures> candidates) noexcept;

enum class RouteRule : std::uint8_t { kStrategy, kInstrument, kDefault };

struct RouteChoice {
  AccountId account;
  InstrumentId instrument;  // the order's instrument on that account's venue
  RouteRule rule = RouteRule::kDefault;
  std::size_t eligible = 0;  // accounts of the rule that were eligible (the chosen one among them)
  std::uint32_t orders_left = 0;
  Decimal free;
};

struct RouteEnv {
  // The order's instrument on the account's venue when the account may take the order (the
  // client may use it, it trades the instrument's market); nullopt: not eligible.
  std::function<std::optional<InstrumentId>(AccountId)> eligible;
  // The account's figures now, for the order's instrument.
  std::function<RouteFigures(AccountId, InstrumentId)> figures;
};

// The account for an order of `strategy` (invalid: none). The first rule that has an eligible
// account decides: the strategy's route, an instrument route whose instrument is the order's
// (resolved on the route's accounts), the default account. nullopt: no rule has one.
[[nodiscard]] std::optional<RouteChoice> choose_account(const RouteRules& rules, StrategyId strategy,
                                                        const RouteEnv& env);

}  // namespace oms::actors
