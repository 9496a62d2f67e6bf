// How a requested transfer goes on its venue, from accounts.yaml (pure).
//
// Binance: one account's own spot <-> USD-M wallets: the user universal transfer
// (MAIN_UMFUTURE / UMFUTURE_MAIN) signed by that account. Two accounts under one main account
// (main <-> sub, sub <-> sub): the sub-account universal transfer signed by the main account,
// each sub-account named by its configured email, the main account by none.
// Bybit: two accounts under one main account (main <-> sub, sub <-> sub): the universal
// transfer signed by the main account, each end named by its configured member_id (UID),
// unified trading wallet to unified trading wallet.
// OKX: main <-> sub: the funds transfer type 1 (main -> sub) or 2 (sub -> main) signed by the
// main account, the sub-account named by its configured sub_account, trading wallet ("18") to
// trading wallet. (Sub <-> sub takes the sub-account's own key on OKX: not made.)
// Bybit and OKX hold an account's spot and USD-M in one wallet: nothing to move between them.
// Anything else is refused, naming the accounts: transfers between exchanges or between main
// accounts (withdrawals, not made), an end without its email / member_id / sub_account, a
// market the venue cannot move (COIN-M), Upbit (no sub-accounts).
// The venues' wallet words: venue_wallets.hpp.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "oms/configs/accounts.hpp"
#include "oms/cores/rebalance_planner.hpp"
#include "oms/cores/transfer_saga.hpp"
#include "oms/messages/result.hpp"

namespace oms::transfers {

// The Bybit / OKX parts of a plan (empty on Binance).
struct VenueEnds {
  std::uint64_t from_member = 0, to_member = 0;  // Bybit: the UIDs (fromMemberId / toMemberId)
  std::string sub_account;                       // OKX: the sub-account end's name (subAcct)
  bool to_sub = false;                           // OKX: type 1 (main -> sub); false: type 2
  std::string from_wallet, to_wallet;            // the venue's words (venue_wallets.hpp)
  friend bool operator==(const VenueEnds&, const VenueEnds&) = default;
};

struct TransferPlan {
  actors::TransferRoute route = actors::TransferRoute::kSubAccount;
  AccountId signer{};                 // whose API key sends it
  std::string from_email, to_email;   // Binance kSubAccount: empty for the main account
  ExchangeId exchange = ExchangeId::kBinance;
  VenueEnds venue{};                  // Bybit / OKX
  friend bool operator==(const TransferPlan&, const TransferPlan&) = default;
};

[[nodiscard]] Result<TransferPlan, std::string> plan_transfer(const configs::AccountsConfig& accounts,
                                                              const TransferRequested& request);

// The rebalancing planner's input from accounts.yaml: every account of `exchange` with its free
// balance of the asset (free_by_account[id]; missing: zero), a sub-account's cap the smaller of
// balance_rules.max_sub_balance and its max_balance_usdt, its target_ratio; and the rules
// (min_main_balance; zero without balance_rules).
struct RebalanceInput {
  std::vector<actors::RebalanceAccount> accounts;
  actors::RebalanceRules rules;
};
[[nodiscard]] RebalanceInput rebalance_input(const configs::AccountsConfig& accounts,
                                             ExchangeId exchange,
                                             std::span<const Decimal> free_by_account);

// The scheduled rebalance (accounts.yaml account_routing.rebalance), pure:
// When the next run is due after `now` (UTC ns; `started`: omsd's start): hourly at the next
// top of the hour, daily at the next time_utc, every at started + k x interval (the first after
// now). A run exactly at `now` is not "after": the next one is.
[[nodiscard]] TimeNs next_rebalance(const configs::Rebalance& r, TimeNs started, TimeNs now);

// Refused before anything is sent: a planned transfer that would break a limit of accounts.yaml
// on the balances of the moment (USDT of the spot wallet, free + locked: a limit is on what the
// account holds). Error codes 3240-3259.
inline constexpr std::uint16_t kRebalanceOverMaxBalance = 3240;  // the receiver's max_balance_usdt
inline constexpr std::uint16_t kRebalanceUnderMainMin = 3241;    // a main sender under min_main_balance
inline constexpr std::uint16_t kRebalanceShortFree = 3242;        // the sender's free balance is short
struct RebalanceHolding {
  Decimal free, locked;
};
struct RebalanceRefusal {
  std::uint16_t code = 0;
  std::string reason;  // names the limit, the account and the figures
};
// Empty: the transfer keeps every limit. holdings: by account id (missing: zero).
[[nodiscard]] std::optional<RebalanceRefusal> check_rebalance_transfer(
    const configs::AccountsConfig& accounts, const actors::PlannedTransfer& t,
    std::span<const RebalanceHolding> holdings);

}  // namespace oms::transfers
