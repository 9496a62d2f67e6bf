// Pins actors/src/transfers/transfer_plan.cpp: which Binance endpoint, key and emails each
// transfer takes, from accounts.yaml; every refusal names the accounts.
#include "oms/transfers/transfer_plan.hpp"
#include "oms/transfers/venue_wallets.hpp"

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
        TransferPlan{TransferRoute::kWallet, main, "", "", ExchangeId::kBinance, {}});
  CHECK(plan_transfer(c, req(c, "main", "arb")).value() ==
        TransferPlan{TransferRoute::kSubAccount, main, "", "arb@desk.example", ExchangeId::kBinance, {}});
  CHECK(plan_transfer(c, req(c, "trend", "main", Market::kUsdm, Market::kSpot)).value() ==
        TransferPlan{TransferRoute::kSubAccount, main, "trend@desk.example", "", ExchangeId::kBinance, {}});
  CHECK(plan_transfer(c, req(c, "arb", "trend", Market::kSpot, Market::kUsdm)).value() ==
        TransferPlan{TransferRoute::kSubAccount, main, "arb@desk.example", "trend@desk.example", ExchangeId::kBinance, {}});
  // A sub-account's own spot -> futures: its wallets, its own key.
  CHECK(plan_transfer(c, req(c, "trend", "trend", Market::kUsdm, Market::kSpot)).value() ==
        TransferPlan{TransferRoute::kWallet, c.find("trend")->id, "", "", ExchangeId::kBinance, {}});
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
        "transfer 'bybit_main' -> 'bybit_main': bybit's unified account holds spot and usdm in one wallet "
        "(nothing to move)");
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

TEST_CASE("rebalance_input: accounts.yaml's caps, ratios and rules feed plan_rebalance") {
  const std::string yaml = std::string(kAccounts).replace(
                               std::string(kAccounts).find("      email: arb@desk.example\n"),
                               std::string("      email: arb@desk.example\n").size(),
                               "      email: arb@desk.example\n      target_ratio: 0.25\n"
                               "      max_balance_usdt: 300\n") +
                           "  balance_rules:\n    min_main_balance: 100\n    max_sub_balance: 1000\n";
  const auto c = configs::load_accounts_from_string(yaml, "accounts.yaml");
  const AccountId main = c.find("main")->id, arb = c.find("arb")->id, trend = c.find("trend")->id,
                  quiet = c.find("quiet")->id;
  std::vector<Decimal> free(c.accounts.size());
  free[main.index()] = Decimal::parse("1500").value();
  free[trend.index()] = Decimal::parse("1200").value();  // above max_sub_balance 1000
  free[quiet.index()] = Decimal::parse("100").value();
  const auto in = oms::transfers::rebalance_input(c, ExchangeId::kBinance, free);
  REQUIRE(in.accounts.size() == 5);  // the Binance accounts only
  CHECK(in.rules.min_main_balance == Decimal::parse("100").value());
  CHECK(in.accounts[1].id == arb);
  CHECK(in.accounts[1].cap == Decimal::parse("300").value());  // its own limit is smaller
  CHECK(in.accounts[1].target_ratio == Decimal::parse("0.25").value());
  CHECK(in.accounts[2].cap == Decimal::parse("1000").value());
  CHECK_FALSE(in.accounts[0].cap.has_value());
  auto plan = oms::actors::plan_rebalance(in.accounts, in.rules);
  REQUIRE(plan.ok());
  // trend's 200 over its cap goes up; arb wants 25 % of 2800 = 700, capped at 300: topped up.
  CHECK(plan->transfers == std::vector<oms::actors::PlannedTransfer>{
                               {trend, main, Decimal::parse("200").value()},
                               {main, arb, Decimal::parse("300").value()}});
  CHECK(plan->refused.empty());
}

TEST_CASE("check_rebalance_transfer: the receiver's max_balance_usdt (free + locked), a main sender's min_main_balance, the sender's free balance; each named") {
  using oms::transfers::check_rebalance_transfer;
  using oms::transfers::RebalanceHolding;
  std::string yaml(kAccounts);
  yaml.replace(yaml.find("      futures_enabled: true\n    arb:"), std::string("      futures_enabled: true\n").size(),
               "      futures_enabled: true\n      max_balance_usdt: 2000\n");
  yaml.replace(yaml.find("      email: arb@desk.example\n"), std::string("      email: arb@desk.example\n").size(),
               "      email: arb@desk.example\n      max_balance_usdt: 500\n");
  yaml += "  balance_rules:\n    min_main_balance: 1000\n    max_sub_balance: 100000\n";
  const auto c = configs::load_accounts_from_string(yaml, "accounts.yaml");
  const AccountId main = c.find("main")->id, arb = c.find("arb")->id, quiet = c.find("quiet")->id;
  const auto d = [](const char* t) { return Decimal::parse(t).value(); };
  std::vector<RebalanceHolding> h(c.accounts.size());
  h[main.index()] = {d("1600"), d("200")};
  h[arb.index()] = {d("300"), d("100")};
  h[quiet.index()] = {d("50"), d("0")};
  // Within every limit.
  CHECK_FALSE(check_rebalance_transfer(c, {main, arb, d("100")}, h).has_value());  // arb 500, main keeps 1500
  // arb would hold 300 + 100 locked + 101 = 501 > 500.
  auto r = check_rebalance_transfer(c, {main, arb, d("101")}, h);
  REQUIRE(r.has_value());
  CHECK(r->code == 3240);
  CHECK(r->reason == "max_balance_usdt: 'arb' would hold 501 USDT, above its 500");
  // main keeps 1600 - 601 = 999 < 1000 (quiet has no limit of its own).
  r = check_rebalance_transfer(c, {main, quiet, d("601")}, h);
  REQUIRE(r.has_value());
  CHECK(r->code == 3241);
  CHECK(r->reason == "min_main_balance: 'main' would keep 999 USDT free, under 1000");
  // Up to main: its own max_balance_usdt 2000 counts (1600 + 200 + 250 = 2050).
  h[arb.index()] = {d("300"), d("0")};
  h[main.index()] = {d("1600"), d("200")};
  r = check_rebalance_transfer(c, {arb, main, d("250")}, h);
  REQUIRE(r.has_value());
  CHECK(r->code == 3240);
  CHECK(r->reason == "max_balance_usdt: 'main' would hold 2050 USDT, above its 2000");
  CHECK_FALSE(check_rebalance_transfer(c, {arb, main, d("200")}, h).has_value());
  // More than the sender has free.
  r = check_rebalance_transfer(c, {quiet, main, d("60")}, h);
  REQUIRE(r.has_value());
  CHECK(r->code == 3242);
  CHECK(r->reason == "free balance: 'quiet' has 50 USDT free, the transfer moves 60");
}

TEST_CASE("next_rebalance: hourly at the top of the hour, daily at its time, every k x interval from the start") {
  using oms::transfers::next_rebalance;
  constexpr TimeNs s = 1'000'000'000, h = 3600 * s, day = 24 * h;
  const TimeNs monday = 20'000 * day;  // 00:00 UTC
  configs::Rebalance r;
  r.schedule = configs::RebalanceSchedule::kHourly;
  CHECK(next_rebalance(r, 0, monday + 10 * h + 5 * s) == monday + 11 * h);
  CHECK(next_rebalance(r, 0, monday + 11 * h) == monday + 12 * h);  // exactly on it: the next
  r.schedule = configs::RebalanceSchedule::kDaily;
  r.time_utc = std::chrono::minutes(90);  // 01:30
  CHECK(next_rebalance(r, 0, monday + h) == monday + 90 * 60 * s);
  CHECK(next_rebalance(r, 0, monday + 2 * h) == monday + day + 90 * 60 * s);
  r.schedule = configs::RebalanceSchedule::kEvery;
  r.interval = std::chrono::seconds(30);
  const TimeNs started = monday + 7 * s;
  CHECK(next_rebalance(r, started, started) == started + 30 * s);
  CHECK(next_rebalance(r, started, started + 29 * s) == started + 30 * s);
  CHECK(next_rebalance(r, started, started + 30 * s) == started + 60 * s);
  CHECK(next_rebalance(r, started, started + 95 * s) == started + 120 * s);
}

namespace {

constexpr std::string_view kVenueAccounts = R"(accounts:
  binance:
    bn_main:
      type: main
      api_key_vault_path: binance_main
      spot_enabled: true
      futures_enabled: false
  bybit:
    by_main:
      type: main
      api_key_vault_path: bybit_main
      spot_enabled: true
      futures_enabled: true
      member_id: 592334
    by_sub:
      type: sub
      parent: by_main
      api_key_vault_path: bybit_sub
      spot_enabled: true
      futures_enabled: true
      member_id: 691355
    by_sub2:
      type: sub
      parent: by_main
      api_key_vault_path: bybit_sub2
      spot_enabled: true
      futures_enabled: false
      member_id: 691356
    by_bare:
      type: sub
      parent: by_main
      api_key_vault_path: bybit_bare
      spot_enabled: true
      futures_enabled: false
  okx:
    ok_main:
      type: main
      api_key_vault_path: okx_main
      spot_enabled: true
      futures_enabled: true
    ok_sub:
      type: sub
      parent: ok_main
      api_key_vault_path: okx_sub
      spot_enabled: true
      futures_enabled: true
      sub_account: desk01
    ok_sub2:
      type: sub
      parent: ok_main
      api_key_vault_path: okx_sub2
      spot_enabled: true
      futures_enabled: false
      sub_account: desk02
    ok_bare:
      type: sub
      parent: ok_main
      api_key_vault_path: okx_bare
      spot_enabled: true
      futures_enabled: false
  upbit:
    up_main:
      type: main
      api_key_vault_path: upbit_main
      spot_enabled: true
      futures_enabled: false
account_routing:
  default: bn_main
)";

}  // namespace

TEST_CASE("plan_transfer: Bybit main <-> sub and sub <-> sub by UID, signed by the main; OKX main <-> sub (types 1, 2)") {
  const auto c = configs::load_accounts_from_string(kVenueAccounts, "accounts.yaml");
  const AccountId by_main = c.find("by_main")->id, ok_main = c.find("ok_main")->id;
  transfers::VenueEnds v;
  v.from_member = 592334;
  v.to_member = 691355;
  v.from_wallet = "UNIFIED";
  v.to_wallet = "UNIFIED";
  CHECK(plan_transfer(c, req(c, "by_main", "by_sub")).value() ==
        TransferPlan{TransferRoute::kSubAccount, by_main, "", "", ExchangeId::kBybit, v});
  v.from_member = 691356;
  CHECK(plan_transfer(c, req(c, "by_sub2", "by_sub", Market::kSpot, Market::kUsdm)).value() ==
        TransferPlan{TransferRoute::kSubAccount, by_main, "", "", ExchangeId::kBybit, v});
  transfers::VenueEnds o;
  o.sub_account = "desk01";
  o.to_sub = true;
  o.from_wallet = "18";
  o.to_wallet = "18";
  CHECK(plan_transfer(c, req(c, "ok_main", "ok_sub")).value() ==
        TransferPlan{TransferRoute::kSubAccount, ok_main, "", "", ExchangeId::kOkx, o});
  o.to_sub = false;
  CHECK(plan_transfer(c, req(c, "ok_sub", "ok_main", Market::kUsdm, Market::kSpot)).value() ==
        TransferPlan{TransferRoute::kSubAccount, ok_main, "", "", ExchangeId::kOkx, o});
}

TEST_CASE("plan_transfer: Bybit / OKX refusals name the accounts and the missing field") {
  const auto c = configs::load_accounts_from_string(kVenueAccounts, "accounts.yaml");
  CHECK(plan_transfer(c, req(c, "by_main", "by_bare")).error() ==
        "transfer 'by_main' -> 'by_bare': bybit account 'by_bare' has no member_id (its UID) in accounts.yaml");
  CHECK(plan_transfer(c, req(c, "ok_main", "ok_bare")).error() ==
        "transfer 'ok_main' -> 'ok_bare': okx sub-account 'ok_bare' has no sub_account (its OKX name) in accounts.yaml");
  CHECK(plan_transfer(c, req(c, "ok_sub", "ok_sub2")).error() ==
        "transfer 'ok_sub' -> 'ok_sub2': okx moves sub <-> sub only on the sub-account's own key (type 4, not made): "
        "go through the main account");
  CHECK(plan_transfer(c, req(c, "ok_sub", "ok_sub", Market::kSpot, Market::kUsdm)).error() ==
        "transfer 'ok_sub' -> 'ok_sub': okx's unified account holds spot and usdm in one wallet (nothing to move)");
  CHECK(plan_transfer(c, req(c, "by_main", "ok_main")).error() ==
        "transfer 'by_main' -> 'ok_main': the accounts are on bybit and okx (a withdrawal, not made)");
  CHECK(plan_transfer(c, req(c, "ok_sub", "bn_main")).error() ==
        "transfer 'ok_sub' -> 'bn_main': the accounts are on okx and binance (a withdrawal, not made)");
  CHECK(plan_transfer(c, req(c, "up_main", "up_main", Market::kSpot, Market::kUsdm)).error() ==
        "transfer 'up_main' -> 'up_main': upbit has no transfers between wallets or sub-accounts here (Binance, "
        "Bybit and OKX have)");
  CHECK(plan_transfer(c, req(c, "by_main", "by_sub", Market::kSpot, Market::kCoinm)).error() ==
        "transfer 'by_main' -> 'by_sub': only spot and usdm wallets are moved");
}

TEST_CASE("venue wallet words and Bybit's transferId, in one place") {
  CHECK(transfers::wallet_name(ExchangeId::kBinance, Market::kSpot) == "SPOT");
  CHECK(transfers::wallet_name(ExchangeId::kBinance, Market::kUsdm) == "USDT_FUTURE");
  CHECK(transfers::wallet_name(ExchangeId::kBybit, Market::kUsdm) == "UNIFIED");
  CHECK(transfers::wallet_name(ExchangeId::kOkx, Market::kSpot) == "18");
  CHECK_FALSE(transfers::wallet_name(ExchangeId::kOkx, Market::kCoinm).has_value());
  CHECK_FALSE(transfers::wallet_name(ExchangeId::kUpbit, Market::kSpot).has_value());
  CHECK(transfers::bybit_transfer_uuid(0x0123456789abcdefULL) == "6f6d7300-0123-4456-8789-abcdef000000");
  CHECK(transfers::bybit_transfer_uuid(1) == "6f6d7300-0000-4000-8000-000001000000");
}
