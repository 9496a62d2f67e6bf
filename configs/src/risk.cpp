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

// A Telegram chat: a numeric id (groups and channels are negative) or @channelusername.
bool is_telegram_chat(std::string_view t) {
  const auto all = [](std::string_view s, auto pred) {
    return !s.empty() && std::all_of(s.begin(), s.end(), pred);
  };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!t.empty() && t.front() == '@') {
    return t.size() >= 2 && all(t.substr(1), [](char c) {
             return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_';
           });
  }
  if (!t.empty() && t.front() == '-') t.remove_prefix(1);
  return all(t, digit);
}

std::optional<EmergencyContact> read_contact(const YAML::Node& item, std::size_t index,
                                             Diagnostics& diag) {
  const std::string name =
      "contact " + std::to_string(index) + " in kill_switch.emergency_contacts";
  if (!expect_item_map(item, name, diag)) return std::nullopt;
  MapReader m(item, " in " + name, item.Mark(), diag);
  m.allow_only({"slack", "email", "pagerduty", "telegram"});
  if (m.fields().size() != 1) {
    diag.error(item.Mark(), name + " must have exactly one of slack, email, pagerduty, telegram");
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
  } else if (f.key == "telegram") {
    c.kind = ContactKind::kTelegram;
    if (!is_telegram_chat(*target)) {
      diag.error(f.value_mark(), f.label() +
                                     " must be a chat id like -1001234567890 or a channel like "
                                     "@desk_alerts, got '" + *target + "'");
    }
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

// trading_day: {time_zone: NAME, start_hour: H}: both required in the block.
TradingDaySpec read_trading_day(const Field& f, Diagnostics& diag) {
  TradingDaySpec out;
  if (!expect_map(f, diag)) return out;
  MapReader m(f.value, " in trading_day", f.key_mark(), diag);
  m.allow_only({"time_zone", "start_hour"});
  bool read = true;
  const Field* zone = m.require("time_zone");
  if (zone != nullptr) {
    auto z = read_string(*zone, diag);
    if (z) out.time_zone = *z;
    read = read && z.has_value();
  }
  const Field* hour = m.require("start_hour");
  if (hour != nullptr) {
    auto h = read_small_int(*hour, diag, 0, 23);
    if (h) out.start_hour = *h;
    read = read && h.has_value();
  }
  if (zone != nullptr && hour != nullptr && read) {
    std::string why;
    if (!TradingDayCalendar::make(out, &why)) diag.error(zone->value_mark(), "trading_day: " + why);
  }
  return out;
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

// env:NAME or file:PATH. The value itself is never echoed: a pasted secret stays out of the
// error message (and so out of logs).
std::optional<SecretRef> read_secret_ref(const Field& f, Diagnostics& diag) {
  if (!f.value.IsScalar() || f.value.Scalar().empty()) {
    diag.error(f.value_mark(), f.label() + " must be env:NAME or file:PATH, got " + describe(f.value));
    return std::nullopt;
  }
  const std::string& text = f.value.Scalar();
  SecretRef out;
  const auto name_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (text.starts_with("env:") && text.size() > 4 &&
      std::all_of(text.begin() + 4, text.end(), name_char) && !(text[4] >= '0' && text[4] <= '9')) {
    out.source = SecretRef::Source::kEnv;
    out.name = text.substr(4);
    return out;
  }
  if (text.starts_with("file:") && text.size() > 5) {
    out.source = SecretRef::Source::kFile;
    out.name = text.substr(5);
    return out;
  }
  diag.error(f.value_mark(), f.label() +
                                 " must be env:NAME or file:PATH (the secret itself never goes in "
                                 "a config file; the value given is not shown)");
  return std::nullopt;
}

// https://HOST[:PORT] with no path: where the Telegram Bot API is served.
bool is_https_origin(std::string_view url) {
  if (!url.starts_with("https://")) return false;
  url.remove_prefix(8);
  if (url.ends_with('/')) url.remove_suffix(1);
  return !url.empty() && url.find_first_of("/?#@ ") == std::string_view::npos;
}

AlertsConfig read_alerts(const Field& f, Diagnostics& diag) {
  AlertsConfig out;
  if (!expect_map(f, diag)) return out;
  MapReader m(f.value, " in alerts", f.key_mark(), diag);
  m.allow_only({"dedup_window", "max_per_minute", "queue", "ca_file", "slack", "telegram", "smtp"});
  if (const Field* g = m.find("dedup_window")) {
    out.dedup_window = read_duration(*g, diag).value_or(out.dedup_window);
  }
  if (const Field* g = m.find("max_per_minute")) {
    out.max_per_minute = read_small_int(*g, diag, 1, 600).value_or(out.max_per_minute);
  }
  if (const Field* g = m.find("queue")) out.queue = read_small_int(*g, diag, 1, 65536).value_or(out.queue);
  if (const Field* g = m.find("ca_file")) out.ca_file = read_string(*g, diag).value_or("");
  if (const Field* g = m.find("slack"); g != nullptr && expect_map(*g, diag)) {
    MapReader s(g->value, " in alerts.slack", g->key_mark(), diag);
    s.allow_only({"webhook_url"});
    SlackAlerts slack;
    if (const Field* h = s.require("webhook_url")) {
      if (auto r = read_secret_ref(*h, diag)) slack.webhook_url = std::move(*r);
    }
    out.slack = std::move(slack);
  }
  if (const Field* g = m.find("telegram"); g != nullptr && expect_map(*g, diag)) {
    MapReader t(g->value, " in alerts.telegram", g->key_mark(), diag);
    t.allow_only({"bot_token", "api_url"});
    TelegramAlerts tg;
    if (const Field* h = t.require("bot_token")) {
      if (auto r = read_secret_ref(*h, diag)) tg.bot_token = std::move(*r);
    }
    if (const Field* h = t.find("api_url")) {
      const auto url = read_string(*h, diag);
      if (url && !is_https_origin(*url)) {
        diag.error(h->value_mark(), h->label() + " must be https://HOST[:PORT], got '" + *url + "'");
      } else if (url) {
        tg.api_url = url->ends_with('/') ? url->substr(0, url->size() - 1) : *url;
      }
    }
    out.telegram = std::move(tg);
  }
  if (const Field* g = m.find("smtp"); g != nullptr && expect_map(*g, diag)) {
    MapReader t(g->value, " in alerts.smtp", g->key_mark(), diag);
    t.allow_only({"host", "port", "user", "password", "from"});
    SmtpAlerts smtp;
    if (const Field* h = t.require("host")) smtp.host = read_string(*h, diag).value_or("");
    if (const Field* h = t.find("port")) {
      smtp.port = static_cast<std::uint16_t>(read_small_int(*h, diag, 1, 65535).value_or(587));
    }
    const Field* user = t.find("user");
    if (user != nullptr) smtp.user = read_string(*user, diag).value_or("");
    if (const Field* h = t.find("password")) {
      smtp.password = read_secret_ref(*h, diag);
      if (user == nullptr) diag.error(h->key_mark(), h->label() + " is given without 'user'");
    } else if (user != nullptr) {
      diag.error(user->key_mark(), user->label() + " is given without 'password'");
    }
    if (const Field* h = t.require("from")) {
      smtp.from = read_string(*h, diag).value_or("");
      const auto at = smtp.from.find('@');
      if (!smtp.from.empty() && (at == std::string::npos || at == 0 || at + 1 == smtp.from.size())) {
        diag.error(h->value_mark(), h->label() + " must be an e-mail address, got '" + smtp.from + "'");
      }
    }
    out.smtp = std::move(smtp);
  }
  return out;
}

// With an alerts block every contact must have its sink, and every sink a contact.
void check_contacts_reachable(const Field& alerts_field, const YAML::Node& contacts,
                              const RiskConfig& cfg, Diagnostics& diag) {
  const auto& a = *cfg.alerts;
  std::size_t index = 0;
  bool slack = false, telegram = false, email = false;
  for (const auto& c : cfg.kill_switch.emergency_contacts) {
    const YAML::Node item = contacts.IsSequence() && index < contacts.size() ? contacts[index] : YAML::Node();
    const YAML::Mark at = item.IsDefined() ? item.Mark() : alerts_field.key_mark();
    ++index;
    const std::string name = "contact " + std::to_string(index) + " in kill_switch.emergency_contacts";
    switch (c.kind) {
      case ContactKind::kSlack:
        slack = true;
        if (!a.slack) diag.error(at, name + " is a slack channel, but alerts has no slack block");
        break;
      case ContactKind::kTelegram:
        telegram = true;
        if (!a.telegram) diag.error(at, name + " is a telegram chat, but alerts has no telegram block");
        break;
      case ContactKind::kEmail:
        email = true;
        if (!a.smtp) diag.error(at, name + " is an e-mail address, but alerts has no smtp block");
        break;
      case ContactKind::kPagerDuty:
        diag.error(at, name + " is pagerduty, which omsd does not send to (planned); alerts go to "
                              "slack, telegram and email");
        break;
    }
  }
  const auto unused = [&](bool used, std::string_view sink, std::string_view kind) {
    if (!used) {
      diag.error(alerts_field.key_mark(), "alerts." + std::string(sink) + " has no " + std::string(kind) +
                                              " contact in kill_switch.emergency_contacts");
    }
  };
  if (a.slack) unused(slack, "slack", "slack");
  if (a.telegram) unused(telegram, "telegram", "telegram");
  if (a.smtp) unused(email, "smtp", "email");
}

}  // namespace

RiskConfig read_risk(const YAML::Node& doc, const References& refs, Diagnostics& diag) {
  RiskConfig out;
  if (!expect_document_map(doc, diag)) return out;
  MapReader top(doc, " at top level", doc.Mark(), diag);
  top.allow_only({"global", "accounts", "strategies", "instruments", "trading_day", "kill_switch", "alerts"});
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
  if (const Field* f = top.find("trading_day")) out.trading_day = read_trading_day(*f, diag);
  const Field* kill_switch = top.require("kill_switch");
  if (kill_switch != nullptr) out.kill_switch = read_kill_switch(*kill_switch, refs, diag);
  if (const Field* f = top.find("alerts")) {
    out.alerts = read_alerts(*f, diag);
    YAML::Node contacts;
    if (kill_switch != nullptr && kill_switch->value.IsMap()) contacts = kill_switch->value["emergency_contacts"];
    if (!diag.has_errors()) check_contacts_reachable(*f, contacts, out, diag);
  }
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
