// plan_rebalance: balances + rules -> the transfers that rebalance each main account's family
// (the main account and its sub-accounts), in a deterministic order. Pure.
//
// Per family, in one asset (USDT), on the free balance only (a locked amount backs open orders
// and never moves):
//   1. a sub-account's wanted balance is its target ratio of the family's free total (rounded
//      down to 1e-8), or what it holds when it has no ratio; never more than its cap;
//   2. what a sub-account holds above that goes to the main account (sub-accounts by id);
//   3. what a sub-account lacks comes from the main account (by id) while the main account keeps
//      min_main_balance: a top-up that would take it under is cut to what is above it, and
//      what is left of it is refused with the reason.
// The plan lists every transfer (excesses first, then top-ups) and every refusal.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "oms/messages/ids.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/result.hpp"

namespace oms::actors {

struct RebalanceAccount {
  AccountId id;
  AccountId main;                           // its main account; == id for a main account
  Decimal free;                             // free balance of the asset (what may move)
  std::optional<Decimal> cap{};             // the most it may hold (sub-accounts)
  std::optional<Decimal> target_ratio{};    // its share of the family's free total, (0, 1]
};

struct RebalanceRules {
  Decimal min_main_balance;  // every main account keeps at least this much free
};

struct PlannedTransfer {
  AccountId from, to;
  Decimal amount;
  friend bool operator==(const PlannedTransfer&, const PlannedTransfer&) = default;
};

struct RefusedTransfer {
  AccountId from, to;
  Decimal amount;
  std::string reason;
  friend bool operator==(const RefusedTransfer&, const RefusedTransfer&) = default;
};

struct RebalancePlan {
  std::vector<PlannedTransfer> transfers;
  std::vector<RefusedTransfer> refused;
};

// Errors: a sub-account whose main is not listed, a ratio outside (0, 1], ratios of one family
// summing above 1, a negative balance or cap, an amount beyond Decimal's range.
[[nodiscard]] Result<RebalancePlan, std::string> plan_rebalance(
    std::span<const RebalanceAccount> accounts, const RebalanceRules& rules);

}  // namespace oms::actors
