// Pins actors/src/transfers/transfer_plan.cpp: which Binance endpoint, key and emails each
// transfer takes, from accounts.yaml; every refusal names the accounts.
#include "oms/transfers/transfer_plan.hpp"

#include <doctest/doctest.h>

using namespace oms;
using oms::actors::TransferRoute;
using oms::transfers::plan_transfer;
using oms::transfers::TransferPlan;

namespace {

constexpr std::string_view kAccounts = R"(accounts:
  binance:
    main:
      type: main
      api_key_vault_path: binance_main
      spot_enabled: true
      futures_enabled: true
    arb:
      type: sub
      parent: main
      api_key_vault_path: binance_arb
      spot_enabled: true
      futures_enabled: false
      email: arb@desk.example
    trend:
      type: sub
      parent: main
      api_key_vault_path: binance_trend
      spot_enabled: false
      futures_enabled: true
      email: trend@desk.example
    quiet:
      type: sub
      parent: main
      api_key_vault_path: binance_quiet
      spot_enabled: true
      futures_enabled: false
    other_main:
      type: main
      api_key_vault_path: binance_other
      spot_enabled: true
      futures_enabled: false
  bybit:
    bybit_main:
      type: main
      api_key_vault_path: bybit_main
      spot_enabled: true
      futures_enabled: true
account_routing:
  default: main
)";

TransferRequested req(const configs::AccountsConfig& c, const char* from, const char* to,
                      Market fm = Market::kSpot, Market tm = Market::kSpot) {
  TransferRequested r;
  r.transfer_id = 1;
  r.from_account = c.find(from)->id;
  r.to_account = c.find(to)->id;
  r.from_market = fm;
  r.to_market = tm;
  r.asset = "USDT";
  r.amount = Decimal::parse("100").value();
  return r;
}

}  // namespace

TEST_CASE("plan_transfer: own wallets, main <-> sub, sub <-> sub") {
  const auto c = configs::load_accounts_from_string(kAccounts, "accounts.yaml");
  const AccountId main = c.find("main")->id;
  CHECK(plan_transfer(c, req(c, "main", "main", Market::kSpot, Market::kUsdm)).value() ==
        TransferPlan{TransferRoute::kWallet, main, "", ""});
  CHECK(plan_transfer(c, req(c, "main", "arb")).value() ==
        TransferPlan{TransferRoute::kSubAccount, main, "", "arb@desk.example"});
  CHECK(plan_transfer(c, req(c, "trend", "main", Market::kUsdm, Market::kSpot)).value() ==
        TransferPlan{TransferRoute::kSubAccount, main, "trend@desk.example", ""});
  CHECK(plan_transfer(c, req(c, "arb", "trend", Market::kSpot, Market::kUsdm)).value() ==
        TransferPlan{TransferRoute::kSubAccount, main, "arb@desk.example", "trend@desk.example"});
  // A sub-account's own spot -> futures: its wallets, its own key.
  CHECK(plan_transfer(c, req(c, "trend", "trend", Market::kUsdm, Market::kSpot)).value() ==
        TransferPlan{TransferRoute::kWallet, c.find("trend")->id, "", ""});
}

TEST_CASE("plan_transfer: refusals name the accounts") {
  const auto c = configs::load_accounts_from_string(kAccounts, "accounts.yaml");
  CHECK(plan_transfer(c, req(c, "main", "quiet")).error() ==
        "transfer 'main' -> 'quiet': sub-account 'quiet' has no email in accounts.yaml");
  CHECK(plan_transfer(c, req(c, "main", "other_main")).error() ==
        "transfer 'main' -> 'other_main': not under one main account (a withdrawal, not made)");
  CHECK(plan_transfer(c, req(c, "main", "bybit_main")).error() ==
        "transfer 'main' -> 'bybit_main': the accounts are on binance and bybit (a withdrawal, not made)");
  CHECK(plan_transfer(c, req(c, "bybit_main", "bybit_main", Market::kSpot, Market::kUsdm)).error() ==
        "transfer 'bybit_main' -> 'bybit_main': bybit transfers are planned; Binance's are made");
  CHECK(plan_transfer(c, req(c, "main", "main")).error() ==
        "transfer 'main' -> 'main': the same account and market at both ends");
  CHECK(plan_transfer(c, req(c, "main", "main", Market::kSpot, Market::kCoinm)).error() ==
        "transfer 'main' -> 'main': only spot and usdm wallets are moved");
  auto zero = req(c, "main", "arb");
  zero.amount = Decimal{};
  CHECK(plan_transfer(c, zero).error() == "transfer 'main' -> 'arb': amount must be positive");
  auto nobody = req(c, "main", "arb");
  nobody.to_account = AccountId(200);
  CHECK(plan_transfer(c, nobody).error() == "transfer: to_account is not a configured account");
}
