// accounts.yaml: trading accounts grouped by exchange (main accounts and their
// sub-accounts), and how strategies are routed to them.
//
//   accounts:
//     binance:
//       binance_main:
//         type: main
//         api_key_vault_path: binance_main
//         spot_enabled: true
//         futures_enabled: true
//       binance_spot_arb:
//         type: sub
//         parent: binance_main
//         api_key_vault_path: binance_sub_spot_arb
//         spot_enabled: true
//         futures_enabled: false
//         strategy: arbitrage           # optional
//         max_balance_usdt: 10000       # optional
//         email: spot-arb@desk.example  # optional: a sub-account's email (transfers)
//         target_ratio: 0.2             # optional: its share of the family's balance (rebalance)
//   account_routing:
//     default: binance_main
//     strategies: {arbitrage: binance_spot_arb, market_making: [binance_mm, binance_mm2]}
//     instruments: {"binance:usdm:BTC/USDT:USDT": binance_basis}   # optional
//     balance_rules: {min_main_balance: 100000, max_sub_balance: 50000}
//     rebalance: {enabled: true, schedule: daily, time: "00:00 UTC"}
//     failover:                       # optional: venue failover of API orders
//       binance_main: [bybit_main, okx_main]
//
// Account names are unique across all exchanges: they appear without the exchange in
// transfer subjects and file paths.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/messages/decimal.hpp"
#include "oms/messages/ids.hpp"

namespace oms::configs {

// Binance allows 200 sub-accounts under one main account; we hold every venue to it.
inline constexpr std::size_t kMaxSubAccountsPerMain = 200;
// Highest leverage any venue we trade offers (Binance USD-M).
inline constexpr int kMaxLeverage = 125;

enum class AccountType : std::uint8_t { kMain, kSub };

struct Account {
  AccountId id{};  // dense, in file order
  std::string name;
  ExchangeId exchange = ExchangeId::kBinance;
  AccountType type = AccountType::kMain;
  AccountId parent{};  // the main account of a sub-account; invalid for a main account
  std::string api_key_vault_path;
  bool spot_enabled = false;
  bool futures_enabled = false;  // USD-M (and later COIN-M) derivatives
  std::string strategy;          // the strategy this account is dedicated to; empty if none
  std::optional<Decimal> max_balance_usdt{};
  std::optional<int> max_leverage{};  // 1..kMaxLeverage; futures accounts only
  std::optional<Decimal> max_position_usdt{};
  // A sub-account's login email: how its main account's API names it in transfers (Binance
  // /sapi/v1/sub-account/universalTransfer fromEmail / toEmail). Empty: none configured (no
  // transfer to or from it between accounts).
  std::string email{};
  // Bybit: the account's UID (main or sub): how universal transfers name each end
  // (fromMemberId / toMemberId). 0: none configured (no transfer between it and another account).
  std::uint64_t member_id = 0;
  // OKX: a sub-account's name (subAcct): how its main account's transfers name it (types 1 and
  // 2). Empty: none configured.
  std::string sub_account{};
  // A sub-account's share of its main account's family's free balance, (0, 1], that the
  // rebalancing planner aims for (the ratios under one main account sum to at most 1).
  std::optional<Decimal> target_ratio{};

  // Whether this account may trade the market (spot, or a futures market).
  [[nodiscard]] bool trades(Market m) const noexcept;
};

struct BalanceRules {
  Decimal min_main_balance{};  // USDT kept on each main account
  Decimal max_sub_balance{};   // USDT cap on any sub-account
};

// kEvery: every `interval` from omsd's start (schedule: every, interval: 30s | 15m | 2h).
enum class RebalanceSchedule : std::uint8_t { kHourly, kDaily, kEvery };

struct Rebalance {
  bool enabled = false;
  RebalanceSchedule schedule = RebalanceSchedule::kDaily;
  std::chrono::minutes time_utc{0};  // minutes after 00:00 UTC; daily schedule only
  std::chrono::seconds interval{0};  // schedule every only: 5 s .. 7 days
};

// Where an API order that names no account goes (the gateway resolves it): the order's
// strategy's route, else the route of its instrument, else the default account. A route of
// several accounts (sub-accounts of one main account, or that main account, on one exchange)
// picks, among those the client may use and that trade the instrument's market, the one with
// the most order budget left, then the most free balance of the asset the order spends.
struct StrategyRoute {
  std::string strategy;
  std::vector<AccountId> accounts;  // at least one; in order of preference on a tie
};

struct InstrumentRoute {
  std::string instrument;  // "exchange:market:SYMBOL" ("binance:usdm:BTC/USDT:USDT")
  ExchangeId exchange = ExchangeId::kBinance;
  Market market = Market::kSpot;
  std::vector<AccountId> accounts;  // as StrategyRoute's: each on `exchange`, trading `market`
};

// Where an API order for `account` goes when the account's venue is down (its session not
// connected): the first of `to` whose venue is up and lists the same instrument (canonical
// symbol and market) as trading. Each alternative is on another exchange than `account`.
struct FailoverRoute {
  AccountId account{};
  std::vector<AccountId> to;  // in order of preference
};

struct AccountRouting {
  AccountId default_account{};
  std::vector<StrategyRoute> strategies;  // file order
  std::vector<InstrumentRoute> instruments;  // file order
  std::vector<FailoverRoute> failover;    // file order; one route per account
  std::optional<BalanceRules> balance_rules{};
  std::optional<Rebalance> rebalance{};
};

struct AccountsConfig {
  std::vector<Account> accounts;  // accounts[i].id == AccountId(i)
  Interner<AccountId> ids;
  AccountRouting routing{};

  // The account of that name, or nullptr.
  [[nodiscard]] const Account* find(std::string_view name) const;
  [[nodiscard]] const Account& at(AccountId id) const { return accounts.at(id.index()); }
};

// Parses and validates accounts.yaml text on its own (references to exchanges.yaml and
// strategies.yaml are checked by load_config_*). Throws ConfigError with all problems found.
[[nodiscard]] AccountsConfig load_accounts_from_string(std::string_view text,
                                                       std::string_view filename);

}  // namespace oms::configs
