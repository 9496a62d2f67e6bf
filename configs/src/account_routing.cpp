// account_routing in accounts.yaml: which account a strategy's orders go to by default,
// which accounts an instrument's orders go to, balance rules between main and sub-accounts,
// the rebalance schedule, and venue failover.
#include <algorithm>

#include "loaders.hpp"

namespace oms::configs::detail {
namespace {

constexpr int kMinutesPerHour = 60;
constexpr int kHoursPerDay = 24;

// "HH:MM UTC" -> minutes after midnight UTC.
std::optional<std::chrono::minutes> parse_utc_time(std::string_view text) {
  constexpr std::string_view kSuffix = " UTC";
  if (text.size() != 5 + kSuffix.size() || text.substr(5) != kSuffix || text[2] != ':') {
    return std::nullopt;
  }
  const auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (!digit(0) || !digit(1) || !digit(3) || !digit(4)) return std::nullopt;
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours >= kHoursPerDay || minutes >= kMinutesPerHour) return std::nullopt;
  return std::chrono::minutes(hours * kMinutesPerHour + minutes);
}

const Account* read_account_ref(const Field& f, const AccountsConfig& cfg, Diagnostics& diag) {
  const auto name = read_string(f, diag);
  if (!name) return nullptr;
  const Account* a = cfg.find(*name);
  if (a == nullptr) {
    diag.error(f.value_mark(), f.label() + " names account '" + *name + "', which is not defined");
  }
  return a;
}

// The main account an account belongs to (itself for a main account).
AccountId main_of(const Account& a) { return a.type == AccountType::kSub ? a.parent : a.id; }

// A route's value: one account name or a non-empty list of them, all on one exchange under one
// main account, none twice. `fits` records an error and returns false for an account the
// route may not name. Empty on errors.
template <class Fits>
std::vector<AccountId> read_route_accounts(const Field& route, const AccountsConfig& cfg, Diagnostics& diag,
                                           const Fits& fits) {
  std::vector<AccountId> out;
  if (route.value.IsScalar()) {
    const Account* a = read_account_ref(route, cfg, diag);
    if (a != nullptr && fits(*a, route.value_mark())) out.push_back(a->id);
    return out;
  }
  if (!route.value.IsSequence()) {
    diag.error(route.value_mark(), route.label() + " must be an account name or a list of them");
    return out;
  }
  if (!expect_nonempty_sequence(route, diag)) return out;
  bool ok = true;
  for (const YAML::Node& node : route.value) {
    const auto name = read_item_string(node, "an account in " + route.label(), diag);
    if (!name) {
      ok = false;
      continue;
    }
    const Account* a = cfg.find(*name);
    if (a == nullptr) {
      diag.error(node.Mark(), route.label() + " names account '" + *name + "', which is not defined");
      ok = false;
      continue;
    }
    if (!fits(*a, node.Mark())) {
      ok = false;
      continue;
    }
    if (std::find(out.begin(), out.end(), a->id) != out.end()) {
      diag.error(node.Mark(), route.label() + " lists '" + *name + "' twice");
      ok = false;
      continue;
    }
    if (!out.empty()) {
      const Account& first = cfg.at(out.front());
      if (a->exchange != first.exchange || main_of(*a) != main_of(first)) {
        diag.error(node.Mark(), route.label() + " lists '" + *name + "' beside '" + first.name +
                                    "': the accounts of a route are sub-accounts of one main account "
                                    "(or that main account)");
        ok = false;
        continue;
      }
    }
    out.push_back(a->id);
  }
  if (!ok) out.clear();
  return out;
}

void read_routes(const Field& f, AccountsConfig& cfg, const References& refs, Diagnostics& diag) {
  if (!expect_map(f, diag)) return;
  MapReader m(f.value, " in account_routing.strategies", f.key_mark(), diag);
  for (const Field& route : m.fields()) {
    if (refs.strategy_names != nullptr &&
        std::find(refs.strategy_names->begin(), refs.strategy_names->end(), route.key) ==
            refs.strategy_names->end()) {
      diag.error(route.key_mark(), "account_routing.strategies names strategy '" + route.key +
                                       "', which is not defined in strategies.yaml");
    }
    const auto fits = [&](const Account& a, const YAML::Mark& at) {
      if (a.strategy.empty() || a.strategy == route.key) return true;
      diag.error(at, route.label() + " names account '" + a.name + "', which is dedicated to strategy '" +
                         a.strategy + "'");
      return false;
    };
    auto accounts = read_route_accounts(route, cfg, diag, fits);
    if (!accounts.empty()) cfg.routing.strategies.push_back(StrategyRoute{route.key, std::move(accounts)});
  }
}

// instruments: {"exchange:market:SYMBOL": account or [accounts]}: accounts on that exchange
// that trade that market.
void read_instrument_routes(const Field& f, AccountsConfig& cfg, const References& refs, Diagnostics& diag) {
  if (!expect_map(f, diag)) return;
  MapReader m(f.value, " in account_routing.instruments", f.key_mark(), diag);
  for (const Field& route : m.fields()) {
    const auto first = route.key.find(':');
    const auto second = first == std::string::npos ? std::string::npos : route.key.find(':', first + 1);
    const auto exchange = first == std::string::npos ? std::nullopt : parse_exchange(route.key.substr(0, first));
    const auto market = second == std::string::npos ? std::nullopt
                                                    : parse_market(route.key.substr(first + 1, second - first - 1));
    if (!exchange || !market || second + 1 >= route.key.size()) {
      diag.error(route.key_mark(), "account_routing.instruments names '" + route.key +
                                       "': expected exchange:market:SYMBOL (binance:usdm:BTC/USDT:USDT)");
      continue;
    }
    check_market_enabled(refs, *exchange, *market, route.key_mark(), "instrument '" + route.key + "'", diag);
    const auto fits = [&](const Account& a, const YAML::Mark& at) {
      if (a.exchange == *exchange && a.trades(*market)) return true;
      diag.error(at, route.label() + " names account '" + a.name + "', which does not trade " +
                         std::string(to_string(*exchange)) + " " + std::string(to_string(*market)));
      return false;
    };
    auto accounts = read_route_accounts(route, cfg, diag, fits);
    if (!accounts.empty()) {
      cfg.routing.instruments.push_back(InstrumentRoute{route.key, *exchange, *market, std::move(accounts)});
    }
  }
}

BalanceRules read_balance_rules(const Field& f, const AccountsConfig& cfg, Diagnostics& diag) {
  BalanceRules out;
  if (!expect_map(f, diag)) return out;
  MapReader m(f.value, " in account_routing.balance_rules", f.key_mark(), diag);
  m.allow_only({"min_main_balance", "max_sub_balance"});
  if (const Field* g = m.require("min_main_balance")) {
    out.min_main_balance = read_decimal(*g, diag, kNonNegative).value_or(Decimal{});
  }
  const Field* max_sub = m.require("max_sub_balance");
  if (max_sub == nullptr) return out;
  const auto cap = read_decimal(*max_sub, diag, kPositive);
  if (!cap) return out;
  out.max_sub_balance = *cap;
  // A sub-account's own cap above the global one could never be honoured.
  for (const Account& a : cfg.accounts) {
    if (a.type == AccountType::kSub && a.max_balance_usdt && *a.max_balance_usdt > *cap) {
      diag.error(max_sub->value_mark(),
                 max_sub->label() + " is " + cap->to_string() + ", below max_balance_usdt " +
                     a.max_balance_usdt->to_string() + " of sub-account '" + a.name + "'");
    }
  }
  return out;
}

Rebalance read_rebalance(const Field& f, Diagnostics& diag) {
  Rebalance out;
  if (!expect_map(f, diag)) return out;
  MapReader m(f.value, " in account_routing.rebalance", f.key_mark(), diag);
  m.allow_only({"enabled", "schedule", "time", "interval"});
  if (const Field* g = m.require("enabled")) out.enabled = read_bool(*g, diag).value_or(false);
  const Field* schedule = m.require("schedule");
  const auto text = schedule != nullptr ? read_string(*schedule, diag) : std::nullopt;
  if (!text) return out;
  if (*text != "every") {
    if (const Field* g = m.find("interval")) {
      diag.error(g->key_mark(), g->label() + " applies to an 'every' schedule only");
    }
  }
  if (*text == "every") {
    out.schedule = RebalanceSchedule::kEvery;
    if (const Field* g = m.find("time")) {
      diag.error(g->key_mark(), g->label() + " applies to a daily schedule only");
    }
    const Field* g = m.require("interval");
    const auto interval = g != nullptr ? read_string(*g, diag) : std::nullopt;
    if (!interval) return out;
    // N followed by s, m or h; 5 s .. 7 days.
    std::uint64_t n = 0;
    std::size_t i = 0;
    for (; i < interval->size() && (*interval)[i] >= '0' && (*interval)[i] <= '9' && n < 1'000'000'000; ++i) {
      n = n * 10 + static_cast<std::uint64_t>((*interval)[i] - '0');
    }
    const std::string unit = interval->substr(i);
    const std::uint64_t scale = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
    if (i == 0 || scale == 0 || n * scale < 5 || n * scale > 7 * 86400) {
      diag.error(g->value_mark(), g->label() + " must be N s|m|h between 5s and 168h, got '" + *interval + "'");
      return out;
    }
    out.interval = std::chrono::seconds(static_cast<std::int64_t>(n * scale));
  } else if (*text == "hourly") {
    out.schedule = RebalanceSchedule::kHourly;
    if (const Field* g = m.find("time")) {
      diag.error(g->key_mark(), g->label() + " applies to a daily schedule only");
    }
  } else if (*text == "daily") {
    out.schedule = RebalanceSchedule::kDaily;
    const Field* g = m.require("time");
    const auto time = g != nullptr ? read_string(*g, diag) : std::nullopt;
    if (!time) return out;
    if (const auto minutes = parse_utc_time(*time)) {
      out.time_utc = *minutes;
    } else {
      diag.error(g->value_mark(), g->label() + " must be HH:MM UTC, got '" + *time + "'");
    }
  } else {
    diag.error(schedule->value_mark(),
               schedule->label() + " must be hourly, daily or every, got '" + *text + "'");
  }
  return out;
}

// failover: {account: [alternative, ...]}: each an account on another exchange, none twice.
void read_failover(const Field& f, AccountsConfig& cfg, Diagnostics& diag) {
  if (!expect_map(f, diag)) return;
  MapReader m(f.value, " in account_routing.failover", f.key_mark(), diag);
  for (const Field& route : m.fields()) {
    const Account* from = cfg.find(route.key);
    if (from == nullptr) {
      diag.error(route.key_mark(), "account_routing.failover names account '" + route.key + "', which is not defined");
      continue;
    }
    if (!expect_nonempty_sequence(route, diag)) continue;
    FailoverRoute out{from->id, {}};
    for (const YAML::Node& node : route.value) {
      const auto name = read_item_string(node, "an account in " + route.label(), diag);
      if (!name) continue;
      const Account* to = cfg.find(*name);
      if (to == nullptr) {
        diag.error(node.Mark(), route.label() + " names account '" + *name + "', which is not defined");
        continue;
      }
      if (to->exchange == from->exchange) {
        diag.error(node.Mark(), route.label() + " names account '" + *name + "' on " +
                                    std::string(to_string(to->exchange)) +
                                    ", the same exchange as '" + from->name + "': a failover goes to another venue");
        continue;
      }
      if (std::find(out.to.begin(), out.to.end(), to->id) != out.to.end()) {
        diag.error(node.Mark(), route.label() + " lists '" + *name + "' twice");
        continue;
      }
      out.to.push_back(to->id);
    }
    if (!out.to.empty()) cfg.routing.failover.push_back(std::move(out));
  }
}

}  // namespace

void read_account_routing(const Field& f, AccountsConfig& cfg, const References& refs,
                          Diagnostics& diag) {
  if (!expect_map(f, diag)) return;
  MapReader m(f.value, " in account_routing", f.key_mark(), diag);
  m.allow_only({"default", "strategies", "instruments", "balance_rules", "rebalance", "failover"});
  if (const Field* g = m.require("default")) {
    if (const Account* a = read_account_ref(*g, cfg, diag)) cfg.routing.default_account = a->id;
  }
  if (const Field* g = m.find("strategies")) read_routes(*g, cfg, refs, diag);
  if (const Field* g = m.find("instruments")) read_instrument_routes(*g, cfg, refs, diag);
  if (const Field* g = m.find("balance_rules"))
    cfg.routing.balance_rules = read_balance_rules(*g, cfg, diag);
  if (const Field* g = m.find("rebalance")) cfg.routing.rebalance = read_rebalance(*g, diag);
  if (const Field* g = m.find("failover")) read_failover(*g, cfg, diag);
}

}  // namespace oms::configs::detail
