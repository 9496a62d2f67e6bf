// risk.yaml -> RiskConfig: limits per level, each checked to tighten the level above, and
// the kill switch.
#include "oms/configs/risk.hpp"

#include <algorithm>
#include <limits>

#include "loaders.hpp"
#include "risk_limits.hpp"

namespace oms::configs {
namespace detail {
namespace {

constexpr int kMaxInt = std::numeric_limits<int>::max();

bool any_limit_key(std::string_view key) {
  return is_limit_key(key, true);
}

// accounts: / strategies: -> one NamedRiskLimits per key, each within global. `defined`
// says whether the other file defines the name (`file` names that file).
void read_named_levels(const Field& f, std::string_view kind, std::string_view file,
                       const std::function<bool(const std::string&)>& defined,
                       const LimitsSource& global, std::vector<NamedRiskLimits>& out,
                       std::vector<LimitsSource>& sources, Diagnostics& diag) {
  if (!expect_map(f, diag)) return;
  MapReader levels(f.value, " in " + f.key, f.key_mark(), diag);
  for (const Field& level : levels.fields()) {
    if (!defined(level.key)) {
      diag.error(level.key_mark(), "risk limits for " + std::string(kind) + " '" + level.key +
                                       "', which is not defined in " + std::string(file));
    }
    if (!expect_map(level, diag)) continue;
    const std::string path = f.key + "." + level.key;
    MapReader m(level.value, " in " + path, level.key_mark(), diag);
    m.allow_only_if(any_limit_key);
    LimitsSource src = read_limits(m, path, false, diag);
    check_within(src, global, diag);
    out.push_back(NamedRiskLimits{level.key, src.limits});
    sources.push_back(std::move(src));
  }
}

// One entry of instruments:, checked against global and its account's level.
std::optional<InstrumentRiskLimits> read_instrument(
    const YAML::Node& item, std::size_t index, const RiskConfig& cfg, const LimitsSource& global,
    const std::vector<LimitsSource>& account_sources, const References& refs, Diagnostics& diag) {
  const std::string path = "instrument " + std::to_string(index);
  MapReader m(item, " in " + path, item.Mark(), diag);
  m.allow_only_if([](std::string_view key) {
    return key == "exchange" || key == "symbol" || key == "account" || any_limit_key(key);
  });
  InstrumentRiskLimits out;
  const Field* exchange = m.require("exchange");
  const Field* symbol = m.require("symbol");
  const auto e = exchange != nullptr ? read_exchange(*exchange, diag) : std::nullopt;
  auto s = symbol != nullptr ? read_symbol(*symbol, diag) : std::nullopt;
  const Field* account = m.find("account");
  if (account != nullptr) out.account = read_string(*account, diag).value_or("");
  LimitsSource src = read_limits(m, path, true, diag);
  out.limits = src.limits;
  check_within(src, global, diag);
  if (!out.account.empty()) {
    for (std::size_t i = 0; i < cfg.accounts.size(); ++i) {
      if (cfg.accounts[i].name == out.account) check_within(src, account_sources[i], diag);
    }
  }
  if (!e || !s) return std::nullopt;
  out.exchange = *e;
  out.symbol = std::move(*s);
  out.market = market_of(out.symbol);
  const std::string what = "instrument '" + out.symbol.to_string() + "'";
  check_market_enabled(refs, out.exchange, out.market, exchange->value_mark(), what, diag);
  if (!out.account.empty()) {
    check_account_for(refs, out.account, out.exchange, out.market, "", account->value_mark(), what,
                      diag);
  }
  return out;
}

void read_instruments(const Field& f, const LimitsSource& global,
                      const std::vector<LimitsSource>& account_sources, const References& refs,
                      RiskConfig& cfg, Diagnostics& diag) {
  if (!expect_sequence(f, diag)) return;
  std::vector<std::size_t> kept_index;  // file position of each instrument kept
  std::size_t index = 0;
  for (const YAML::Node& item : f.value) {
    ++index;
    const std::string name = "instrument " + std::to_string(index);
    if (!expect_item_map(item, name, diag)) continue;
    auto inst = read_instrument(item, index, cfg, global, account_sources, refs, diag);
    if (!inst) continue;
    const auto first =
        std::find_if(cfg.instruments.begin(), cfg.instruments.end(), [&](const auto& o) {
          return o.exchange == inst->exchange && o.symbol == inst->symbol &&
                 o.account == inst->account;
        });
    if (first != cfg.instruments.end()) {
      diag.error(item.Mark(),
                 name + " repeats " + inst->symbol.to_string() + " on " +
                     std::string(to_string(inst->exchange)) +
                     (inst->account.empty() ? std::string(" for all accounts")
                                            : " for account '" + inst->account + "'") +
                     " (first in instrument " +
                     std::to_string(
                         kept_index[static_cast<std::size_t>(first - cfg.instruments.begin())]) +
                     ")");
      continue;
    }
    cfg.instruments.push_back(std::move(*inst));
    kept_index.push_back(index);
  }
}

std::optional<EmergencyContact> read_contact(const YAML::Node& item, std::size_t index,
                                             Diagnostics& diag) {
  const std::string name =
      "contact " + std::to_string(index) + " in kill_switch.emergency_contacts";
  if (!expect_item_map(item, name, diag)) return std::nullopt;
  MapReader m(item, " in " + name, item.Mark(), diag);
  m.allow_only({"slack", "email", "pagerduty"});
  if (m.fields().size() != 1) {
    diag.error(item.Mark(), name + " must have exactly one of slack, email, pagerduty");
    return std::nullopt;
  }
  const Field& f = m.fields().front();
  const auto target = read_string(f, diag);
  if (!target) return std::nullopt;
  EmergencyContact c;
  c.target = *target;
  if (f.key == "slack") {
    c.kind = ContactKind::kSlack;
    if (target->size() < 2 || target->front() != '#') {
      diag.error(f.value_mark(),
                 f.label() + " must be a channel like #trading-alerts, got '" + *target + "'");
    }
  } else if (f.key == "email") {
    c.kind = ContactKind::kEmail;
    const auto at = target->find('@');
    if (at == std::string::npos || at == 0 || at + 1 == target->size()) {
      diag.error(f.value_mark(), f.label() + " must be an e-mail address, got '" + *target + "'");
    }
  } else if (f.key == "pagerduty") {
    c.kind = ContactKind::kPagerDuty;
  } else {
    return std::nullopt;  // reported by allow_only
  }
  return c;
}

// max_rejects and reject_window_seconds come together.
void read_reject_rate(const MapReader& m, std::string_view where, std::optional<int>& max_rejects,
                      std::optional<int>& window, Diagnostics& diag) {
  const Field* r = m.find("max_rejects");
  const Field* w = m.find("reject_window_seconds");
  if (r != nullptr) max_rejects = read_small_int(*r, diag, 1, kMaxInt);
  if (w != nullptr) window = read_small_int(*w, diag, 1, 86400);
  if ((r == nullptr) != (w == nullptr)) {
    const Field& given = r != nullptr ? *r : *w;
    diag.error(given.key_mark(), "'" + given.key + "' in " + std::string(where) + " needs '" +
                                     (r != nullptr ? "reject_window_seconds" : "max_rejects") +
                                     "' beside it");
  }
}

// kill_switch.accounts / kill_switch.strategies: each name's own thresholds.
void read_named_trips(const Field& f, std::string_view kind, std::string_view file,
                      const std::function<bool(const std::string&)>& defined, bool accounts,
                      std::vector<NamedKillSwitchTrips>& out, Diagnostics& diag) {
  if (!expect_map(f, diag)) return;
  MapReader levels(f.value, " in kill_switch." + f.key, f.key_mark(), diag);
  for (const Field& level : levels.fields()) {
    if (!defined(level.key)) {
      diag.error(level.key_mark(), "kill switch for " + std::string(kind) + " '" + level.key +
                                       "', which is not defined in " + std::string(file));
    }
    if (!expect_map(level, diag)) continue;
    const std::string where = "kill_switch." + f.key + "." + level.key;
    MapReader m(level.value, " in " + where, level.key_mark(), diag);
    if (accounts) {
      m.allow_only({"max_daily_loss", "max_consecutive_losses", "max_drawdown", "max_rejects",
                    "reject_window_seconds", "venue_ban"});
    } else {
      m.allow_only({"max_daily_loss", "max_consecutive_losses", "max_drawdown"});
    }
    NamedKillSwitchTrips n;
    n.name = level.key;
    if (const Field* g = m.find("max_daily_loss")) n.trips.max_daily_loss = read_decimal(*g, diag, kPositive);
    if (const Field* g = m.find("max_consecutive_losses")) {
      n.trips.max_consecutive_losses = read_small_int(*g, diag, 1, kMaxInt);
    }
    if (const Field* g = m.find("max_drawdown")) n.trips.max_drawdown = read_decimal(*g, diag, kPositive);
    if (accounts) {
      read_reject_rate(m, where, n.trips.max_rejects, n.trips.reject_window_seconds, diag);
      if (const Field* g = m.find("venue_ban")) n.trips.venue_ban = read_bool(*g, diag).value_or(false);
    }
    out.push_back(std::move(n));
  }
}

KillSwitchConfig read_kill_switch(const Field& f, const References& refs, Diagnostics& diag) {
  KillSwitchConfig out;
  if (!expect_map(f, diag)) return out;
  MapReader m(f.value, " in kill_switch", f.key_mark(), diag);
  m.allow_only({"enabled", "max_daily_loss", "max_consecutive_losses", "max_drawdown",
                "max_rejects", "reject_window_seconds", "venue_ban", "cancel_open_orders",
                "flatten_positions", "flatten_band_bps", "accounts", "strategies",
                "emergency_contacts"});
  if (const Field* g = m.require("enabled")) out.enabled = read_bool(*g, diag).value_or(true);
  if (const Field* g = m.require("max_daily_loss")) {
    out.max_daily_loss = read_decimal(*g, diag, kPositive).value_or(Decimal{});
  }
  if (const Field* g = m.require("max_consecutive_losses")) {
    out.max_consecutive_losses = read_small_int(*g, diag, 1, kMaxInt).value_or(0);
  }
  if (const Field* g = m.require("cancel_open_orders")) {
    out.cancel_open_orders = read_bool(*g, diag).value_or(true);
  }
  if (const Field* g = m.require("flatten_positions")) {
    out.flatten_positions = read_bool(*g, diag).value_or(false);
  }
  if (const Field* g = m.find("max_drawdown")) out.max_drawdown = read_decimal(*g, diag, kPositive);
  read_reject_rate(m, "kill_switch", out.max_rejects, out.reject_window_seconds, diag);
  if (const Field* g = m.find("venue_ban")) out.venue_ban = read_bool(*g, diag).value_or(false);
  if (const Field* g = m.find("flatten_band_bps")) {
    out.flatten_band_bps = read_decimal(*g, diag, kPositive);
    if (!out.flatten_positions) {
      diag.error(g->key_mark(), "'flatten_band_bps' in kill_switch needs flatten_positions: true");
    }
  }
  if (const Field* g = m.find("accounts")) {
    read_named_trips(
        *g, "account", "accounts.yaml",
        [&](const std::string& name) { return refs.accounts == nullptr || refs.accounts->find(name); },
        true, out.accounts, diag);
  }
  if (const Field* g = m.find("strategies")) {
    read_named_trips(
        *g, "strategy", "strategies.yaml",
        [&](const std::string& name) { return refs.strategies == nullptr || refs.strategies->find(name); },
        false, out.strategies, diag);
  }
  if (const Field* g = m.find("emergency_contacts"); g != nullptr && expect_sequence(*g, diag)) {
    std::size_t index = 0;
    for (const YAML::Node& item : g->value) {
      if (auto c = read_contact(item, ++index, diag))
        out.emergency_contacts.push_back(std::move(*c));
    }
  }
  return out;
}

}  // namespace

RiskConfig read_risk(const YAML::Node& doc, const References& refs, Diagnostics& diag) {
  RiskConfig out;
  if (!expect_document_map(doc, diag)) return out;
  MapReader top(doc, " at top level", doc.Mark(), diag);
  top.allow_only({"global", "accounts", "strategies", "instruments", "kill_switch"});
  LimitsSource global;
  global.path = "global";
  if (const Field* f = top.require("global"); f != nullptr && expect_map(*f, diag)) {
    MapReader m(f->value, " in global", f->key_mark(), diag);
    m.allow_only_if(any_limit_key);
    global = read_limits(m, "global", false, diag);
    out.global = global.limits;
  }
  std::vector<LimitsSource> account_sources;
  if (const Field* f = top.find("accounts")) {
    read_named_levels(
        *f, "account", "accounts.yaml",
        [&](const std::string& name) {
          return refs.accounts == nullptr || refs.accounts->find(name);
        },
        global, out.accounts, account_sources, diag);
  }
  std::vector<LimitsSource> strategy_sources;
  if (const Field* f = top.find("strategies")) {
    read_named_levels(
        *f, "strategy", "strategies.yaml",
        [&](const std::string& name) {
          return refs.strategies == nullptr || refs.strategies->find(name);
        },
        global, out.strategies, strategy_sources, diag);
  }
  if (const Field* f = top.find("instruments")) {
    read_instruments(*f, global, account_sources, refs, out, diag);
  }
  if (const Field* f = top.require("kill_switch")) out.kill_switch = read_kill_switch(*f, refs, diag);
  return out;
}

}  // namespace detail

RiskConfig load_risk_from_string(std::string_view text, std::string_view filename) {
  detail::Diagnostics diag{std::string(filename)};
  RiskConfig out;
  if (const auto doc = detail::parse_document(text, diag)) {
    out = detail::read_risk(*doc, detail::References{}, diag);
  }
  detail::throw_if_errors(diag);
  return out;
}

}  // namespace oms::configs
