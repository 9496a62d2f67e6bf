// plan_transfer: see transfer_plan.hpp.
#include "oms/transfers/transfer_plan.hpp"

#include <algorithm>

#include "oms/transfers/venue_wallets.hpp"

namespace oms::transfers {
namespace {

bool movable(Market m) { return m == Market::kSpot || m == Market::kUsdm; }

// The main account an account belongs to (itself when it is one).
AccountId root_of(const configs::Account& a) {
  return a.type == configs::AccountType::kMain ? a.id : a.parent;
}

}  // namespace

Result<TransferPlan, std::string> plan_transfer(const configs::AccountsConfig& accounts,
                                                const TransferRequested& r) {
  using Fail = Unexpected<std::string>;
  const auto valid = [&](AccountId id) { return id.valid() && id.index() < accounts.accounts.size(); };
  if (!valid(r.from_account)) return Fail{"transfer: from_account is not a configured account"};
  if (!valid(r.to_account)) return Fail{"transfer: to_account is not a configured account"};
  const configs::Account& from = accounts.at(r.from_account);
  const configs::Account& to = accounts.at(r.to_account);
  const std::string names = "'" + from.name + "' -> '" + to.name + "'";
  if (!r.amount.is_positive()) return Fail{"transfer " + names + ": amount must be positive"};
  if (r.asset.empty()) return Fail{"transfer " + names + ": asset is required"};
  if (!movable(r.from_market) || !movable(r.to_market))
    return Fail{"transfer " + names + ": only spot and usdm wallets are moved"};
  if (from.exchange != to.exchange)
    return Fail{"transfer " + names + ": the accounts are on " + std::string(to_string(from.exchange)) +
                " and " + std::string(to_string(to.exchange)) + " (a withdrawal, not made)"};
  const ExchangeId ex = from.exchange;
  const std::string venue(to_string(ex));
  if (ex != ExchangeId::kBinance && ex != ExchangeId::kBybit && ex != ExchangeId::kOkx)
    return Fail{"transfer " + names + ": " + venue + " has no transfers between wallets or sub-accounts here "
                "(Binance, Bybit and OKX have)"};
  if (from.id == to.id) {
    if (r.from_market == r.to_market)
      return Fail{"transfer " + names + ": the same account and market at both ends"};
    if (one_trading_wallet(ex))
      return Fail{"transfer " + names + ": " + venue + "'s unified account holds spot and usdm in one wallet "
                  "(nothing to move)"};
    return TransferPlan{actors::TransferRoute::kWallet, from.id, {}, {}, ex, {}};
  }
  if (root_of(from) != root_of(to))
    return Fail{"transfer " + names + ": not under one main account (a withdrawal, not made)"};
  if (ex == ExchangeId::kBybit) {
    for (const configs::Account* a : {&from, &to}) {
      if (a->member_id == 0)
        return Fail{"transfer " + names + ": bybit account '" + a->name + "' has no member_id (its UID) in accounts.yaml"};
    }
    VenueEnds v;
    v.from_member = from.member_id;
    v.to_member = to.member_id;
    v.from_wallet = std::string(*wallet_name(ex, r.from_market));
    v.to_wallet = std::string(*wallet_name(ex, r.to_market));
    return TransferPlan{actors::TransferRoute::kSubAccount, root_of(from), {}, {}, ex, std::move(v)};
  }
  if (ex == ExchangeId::kOkx) {
    if (from.type == configs::AccountType::kSub && to.type == configs::AccountType::kSub)
      return Fail{"transfer " + names + ": okx moves sub <-> sub only on the sub-account's own key (type 4, not "
                  "made): go through the main account"};
    const configs::Account& sub = from.type == configs::AccountType::kSub ? from : to;
    if (sub.sub_account.empty())
      return Fail{"transfer " + names + ": okx sub-account '" + sub.name + "' has no sub_account (its OKX name) in accounts.yaml"};
    VenueEnds v;
    v.sub_account = sub.sub_account;
    v.to_sub = &sub == &to;
    v.from_wallet = std::string(*wallet_name(ex, r.from_market));
    v.to_wallet = std::string(*wallet_name(ex, r.to_market));
    return TransferPlan{actors::TransferRoute::kSubAccount, root_of(from), {}, {}, ex, std::move(v)};
  }
  const auto email_of = [&](const configs::Account& a) -> Result<std::string, std::string> {
    if (a.type == configs::AccountType::kMain) return std::string{};
    if (a.email.empty())
      return Fail{"transfer " + names + ": sub-account '" + a.name + "' has no email in accounts.yaml"};
    return a.email;
  };
  auto fe = email_of(from);
  if (!fe) return Fail{fe.error()};
  auto te = email_of(to);
  if (!te) return Fail{te.error()};
  return TransferPlan{actors::TransferRoute::kSubAccount, root_of(from), *fe, *te, ex, {}};
}

RebalanceInput rebalance_input(const configs::AccountsConfig& accounts, ExchangeId exchange,
                               std::span<const Decimal> free_by_account) {
  RebalanceInput in;
  const auto& rules = accounts.routing.balance_rules;
  if (rules) in.rules.min_main_balance = rules->min_main_balance;
  for (const configs::Account& a : accounts.accounts) {
    if (a.exchange != exchange) continue;
    actors::RebalanceAccount r;
    r.id = a.id;
    r.main = root_of(a);
    r.free = a.id.index() < free_by_account.size() ? free_by_account[a.id.index()] : Decimal{};
    if (a.type == configs::AccountType::kSub) {
      if (rules && rules->max_sub_balance.is_positive()) r.cap = rules->max_sub_balance;
      if (a.max_balance_usdt && (!r.cap || *a.max_balance_usdt < *r.cap)) r.cap = a.max_balance_usdt;
      r.target_ratio = a.target_ratio;
    }
    in.accounts.push_back(r);
  }
  return in;
}

TimeNs next_rebalance(const configs::Rebalance& r, TimeNs started, TimeNs now) {
  constexpr TimeNs kSecond = 1'000'000'000;
  constexpr TimeNs kHour = 3600 * kSecond, kDay = 24 * kHour;
  switch (r.schedule) {
    case configs::RebalanceSchedule::kHourly:
      return (now / kHour + 1) * kHour;
    case configs::RebalanceSchedule::kDaily: {
      const TimeNs at = static_cast<TimeNs>(r.time_utc.count()) * 60 * kSecond;
      const TimeNs today = (now / kDay) * kDay + at;
      return today > now ? today : today + kDay;
    }
    case configs::RebalanceSchedule::kEvery: {
      const TimeNs step = std::max<TimeNs>(static_cast<TimeNs>(r.interval.count()) * kSecond, kSecond);
      if (now < started) return started + step;
      return started + ((now - started) / step + 1) * step;
    }
  }
  return now + kDay;
}

std::optional<RebalanceRefusal> check_rebalance_transfer(const configs::AccountsConfig& accounts,
                                                         const actors::PlannedTransfer& t,
                                                         std::span<const RebalanceHolding> holdings) {
  const auto held = [&](AccountId a) {
    return a.index() < holdings.size() ? holdings[a.index()] : RebalanceHolding{};
  };
  const auto account = [&](AccountId a) -> const configs::Account* {
    return a.index() < accounts.accounts.size() ? &accounts.accounts[a.index()] : nullptr;
  };
  const auto name = [&](AccountId a) {
    const configs::Account* acc = account(a);
    return acc == nullptr ? "#" + std::to_string(a.index()) : acc->name;
  };
  const RebalanceHolding from = held(t.from), to = held(t.to);
  if (from.free < t.amount) {
    return RebalanceRefusal{kRebalanceShortFree, "free balance: '" + name(t.from) + "' has " + from.free.to_string() +
                                                     " USDT free, the transfer moves " + t.amount.to_string()};
  }
  if (const configs::Account* receiver = account(t.to); receiver != nullptr && receiver->max_balance_usdt) {
    const auto held_now = to.free.add(to.locked);
    const auto after = held_now ? held_now->add(t.amount) : held_now;
    if (!after || *after > *receiver->max_balance_usdt) {
      return RebalanceRefusal{kRebalanceOverMaxBalance,
                              "max_balance_usdt: '" + receiver->name + "' would hold " +
                                  (after ? after->to_string() : std::string("beyond range")) + " USDT, above its " +
                                  receiver->max_balance_usdt->to_string()};
    }
  }
  const configs::Account* sender = account(t.from);
  const auto& rules = accounts.routing.balance_rules;
  if (sender != nullptr && sender->type == configs::AccountType::kMain && rules) {
    const auto left = from.free.sub(t.amount);
    if (!left || *left < rules->min_main_balance) {
      return RebalanceRefusal{kRebalanceUnderMainMin,
                              "min_main_balance: '" + sender->name + "' would keep " +
                                  (left ? left->to_string() : std::string("beyond range")) + " USDT free, under " +
                                  rules->min_main_balance.to_string()};
    }
  }
  return std::nullopt;
}

}  // namespace oms::transfers
