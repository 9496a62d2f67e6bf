#include "alerting.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <span>
#include <sstream>
#include <tuple>

#include "daemon.hpp"

namespace oms::omsd {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kDownGraceNs = 5'000'000'000;  // a reconnect takes about a second
constexpr std::int64_t kStoreLagAlert = 10'000;       // what /health calls degraded

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The secret's value, or why not (naming the reference, never the value).
Result<std::string, std::string> read_secret(const configs::SecretRef& ref,
                                             const std::filesystem::path& data_dir) {
  std::string value;
  if (ref.source == configs::SecretRef::Source::kEnv) {
    const char* v = std::getenv(ref.name.c_str());
    if (v == nullptr || *v == '\0')
      return Unexpected<std::string>{ref.str() + ": the variable is not set"};
    value = v;
  } else {
    const std::filesystem::path p = std::filesystem::path(ref.name).is_absolute()
                                        ? std::filesystem::path(ref.name)
                                        : data_dir / ref.name;
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
      return Unexpected<std::string>{ref.str() + ": cannot read " + p.string()};
    if ((st.st_mode & 077) != 0) {
      return Unexpected<std::string>{ref.str() + ": " + p.string() +
                                     " must be mode 0600 (it holds a secret)"};
    }
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) return Unexpected<std::string>{ref.str() + ": cannot read " + p.string()};
    value = ss.str();
  }
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' '))
    value.pop_back();
  if (value.empty()) return Unexpected<std::string>{ref.str() + ": empty"};
  return value;
}

bool has_contact(const configs::RiskConfig& risk, configs::ContactKind kind) {
  for (const auto& c : risk.kill_switch.emergency_contacts) {
    if (c.kind == kind) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> unreadable_alert_secrets(const configs::RiskConfig& risk,
                                                  const std::filesystem::path& data_dir) {
  std::vector<std::string> out;
  if (!risk.alerts) return out;
  const auto& a = *risk.alerts;
  const auto check = [&](const char* sink, const configs::SecretRef& ref) {
    if (auto v = read_secret(ref, data_dir); !v)
      out.push_back("alerts." + std::string(sink) + ": " + v.error());
  };
  if (a.slack && has_contact(risk, configs::ContactKind::kSlack))
    check("slack", a.slack->webhook_url);
  if (a.telegram && has_contact(risk, configs::ContactKind::kTelegram))
    check("telegram", a.telegram->bot_token);
  if (a.smtp && a.smtp->password && has_contact(risk, configs::ContactKind::kEmail))
    check("smtp", *a.smtp->password);
  return out;
}

Alerting::Alerting(Daemon& daemon, observe::Metrics& metrics) : daemon_(daemon) {
  const auto& risk = daemon.config().risk;
  if (!risk.alerts) {
    if (!risk.kill_switch.emergency_contacts.empty()) {
      spdlog::warn(
          "alerts: risk.yaml lists emergency contacts but has no alerts block: no alert is sent");
    }
    return;
  }
  const auto& cfg = *risk.alerts;
  const bool live = daemon.options().mode == Mode::kLive;
  const net::TlsClientConfig tls{cfg.ca_file};
  std::vector<std::string> channels, chats, emails;
  for (const auto& c : risk.kill_switch.emergency_contacts) {
    if (c.kind == configs::ContactKind::kSlack) channels.push_back(c.target);
    if (c.kind == configs::ContactKind::kTelegram) chats.push_back(c.target);
    if (c.kind == configs::ContactKind::kEmail) emails.push_back(c.target);
  }
  std::vector<std::unique_ptr<alerts::AlertSink>> sinks;
  // A sink that cannot be built: live refuses to start, paper runs without it.
  const auto off = [&](const std::string& sink, const std::string& why) {
    if (live) throw std::runtime_error("alerts." + sink + ": " + why);
    spdlog::warn("alerts.{}: {}; paper mode runs without this sink", sink, why);
  };
  if (cfg.slack && !channels.empty()) {
    auto url = read_secret(cfg.slack->webhook_url, daemon.options().data_dir);
    if (!url) {
      off("slack", url.error());
    } else if (auto s = alerts::make_slack_sink(std::move(*url), channels, tls); !s) {
      off("slack", s.error().message);
    } else {
      sinks.push_back(std::move(*s));
    }
  }
  if (cfg.telegram && !chats.empty()) {
    auto token = read_secret(cfg.telegram->bot_token, daemon.options().data_dir);
    if (!token) {
      off("telegram", token.error());
    } else if (auto s =
                   alerts::make_telegram_sink(cfg.telegram->api_url, std::move(*token), chats, tls);
               !s) {
      off("telegram", s.error().message);
    } else {
      sinks.push_back(std::move(*s));
    }
  }
  if (cfg.smtp && !emails.empty()) {
    net::SmtpConfig smtp;
    smtp.host = cfg.smtp->host;
    smtp.port = cfg.smtp->port;
    smtp.user = cfg.smtp->user;
    smtp.tls = tls;
    bool usable = true;
    if (cfg.smtp->password) {
      auto pw = read_secret(*cfg.smtp->password, daemon.options().data_dir);
      if (!pw) {
        off("smtp", pw.error());
        usable = false;
      } else {
        smtp.password = std::move(*pw);
      }
    }
    if (usable) sinks.push_back(alerts::make_email_sink(std::move(smtp), cfg.smtp->from, emails));
  }
  if (sinks.empty()) {
    spdlog::warn("alerts: no sink is usable: no alert is sent");
    return;
  }
  std::string names;
  for (const auto& s : sinks) names += (names.empty() ? "" : ", ") + std::string(s->name());
  alerts::AlertServiceOptions o;
  o.dedup_window = cfg.dedup_window;
  o.max_per_minute = cfg.max_per_minute;
  o.queue = static_cast<std::size_t>(cfg.queue);
  o.log = [](bool warn, const std::string& text) {
    if (warn) {
      spdlog::warn("{}", text);
    } else {
      spdlog::info("{}", text);
    }
  };
  service_ = std::make_unique<alerts::AlertService>(std::move(sinks), std::move(o));
  spdlog::info("alerts: {} (dedup window {} s, at most {} a minute per sink)", names,
               std::chrono::duration_cast<std::chrono::seconds>(cfg.dedup_window).count(),
               cfg.max_per_minute);
  using Figure = std::uint64_t (*)(const alerts::SinkCounters&);
  for (const auto& [name, help, figure] :
       {std::tuple<const char*, const char*, Figure>{
            "oms_alerts_sent_total", "Alert messages a sink delivered",
            [](const alerts::SinkCounters& c) { return c.sent.load(); }},
        {"oms_alerts_failed_total", "Alert messages a sink could not deliver (logged)",
         [](const alerts::SinkCounters& c) { return c.failed.load(); }},
        {"oms_alerts_suppressed_total",
         "Alerts a sink held back: the same key within the dedup window, or over the rate limit",
         [](const alerts::SinkCounters& c) { return c.suppressed.load(); }}}) {
    metrics.collector(name, help, observe::MetricType::kCounter, {"sink"},
                      [this, f = figure](observe::CollectorSink& s) {
                        for (const auto& c : service_->counters())
                          s.sample({c->name}, static_cast<double>(f(*c)));
                      });
  }
  metrics.collector(
      "oms_alerts_dropped_total", "Alerts dropped from a full queue (the oldest first)",
      observe::MetricType::kCounter, {}, [this](observe::CollectorSink& s) {
        s.sample(std::span<const std::string>{}, static_cast<double>(service_->dropped()));
      });
}

Alerting::~Alerting() {
  stop();
}

void Alerting::post(alerts::AlertKind kind, std::string key, std::string title, std::string text) {
  if (!service_) return;
  service_->post(alerts::Alert{kind, std::move(key), std::move(title), std::move(text), now_ns()});
}

void Alerting::on_kill_switch(const TripKillSwitch& t) {
  const auto& dir = daemon_.directory();
  std::string scope(enum_name(t.scope));
  if (t.scope == LimitScope::kAccount) scope += " " + dir.accounts.name(t.account);
  if (t.scope == LimitScope::kStrategy) scope += " " + dir.strategies.name(t.strategy);
  post(alerts::AlertKind::kKillSwitch, "kill " + scope,
       "kill switch tripped: " + scope + " -> " + std::string(enum_name(t.state)),
       "scope: " + scope + "\nstate: " + std::string(enum_name(t.state)) +
           "\nreason: " + (t.reason.view().empty() ? std::string("(none given)") : t.reason.str()) +
           "\nreset only by an operator: omsctl reset --scope " + std::string(enum_name(t.scope)));
}

void Alerting::start() {
  if (!service_) return;
  down_since_ns_.assign(daemon_.accounts().size(), 0);
  down_alerted_.assign(daemon_.accounts().size(), false);
  store_failures_ = daemon_.runtime().log().store_failures();
  if (const auto* v = daemon_.vault_keys()) {
    vault_renewal_failures_ = v->stats().renewal_failures.load();
    vault_read_failures_ = v->stats().read_failures.load();
  }
  thread_ = std::thread([this] { run(); });
}

void Alerting::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (service_) service_->stop();
}

void Alerting::run() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, 1s, [this] { return stop_; })) {
    lock.unlock();
    try {
      watch();
    } catch (const std::exception& e) {
      spdlog::error("alerts watcher: {}", e.what());
    }
    lock.lock();
  }
}

void Alerting::watch() {
  const std::int64_t now = now_ns();
  // 1. Venue IP bans (Binance's 418, Bybit's 403, Upbit's 418), on the edge into the ban.
  std::size_t slot = 0;
  for (const ExchangeId ex : kBanVenues) {
    for (const Market m : {Market::kSpot, Market::kUsdm}) {
      const auto ban = daemon_.venue_ban(ex, m);
      const bool banned = ban.until_ns > now;
      if (banned && !banned_[slot]) {
        const std::string what = std::string(to_string(ex)) + " " + std::string(to_string(m));
        post(alerts::AlertKind::kVenueBan, "ban " + what, "venue ban: " + what + " (HTTP " + std::to_string(ban.status) + ")",
             "the venue banned this IP for " + std::to_string((ban.until_ns - now) / 1'000'000'000) +
                 " s; every order of the market is refused until then");
      }
      banned_[slot++] = banned;
    }
  }
  // 2. Accounts down (what /health shows as disconnected), for kDownGraceNs on end.
  const auto& accounts = daemon_.accounts();
  for (std::size_t i = 0; i < accounts.size() && i < down_since_ns_.size(); ++i) {
    const auto& a = accounts[i];
    const auto& stats = a.session->stats();
    bool up = stats.started.load() && !stats.failed.load();
    for (const Market m : a.markets) {
      if (const Exchange* e = a.session->exchange(m)) up = up && e->user_stream_connected();
    }
    if (up) {
      down_since_ns_[i] = 0;
      down_alerted_[i] = false;
      continue;
    }
    if (down_since_ns_[i] == 0) down_since_ns_[i] = now;
    if (!down_alerted_[i] && now - down_since_ns_[i] >= kDownGraceNs) {
      down_alerted_[i] = true;
      std::string detail =
          stats.failed.load() ? "its session failed" : "a user data stream is disconnected";
      post(alerts::AlertKind::kAccountDown, "down " + a.name,
           "account down: " + a.name + " (" + std::string(to_string(a.exchange)) + ")",
           detail + " for " + std::to_string((now - down_since_ns_[i]) / 1'000'000'000) +
               " s; orders to it are refused or routed to its failover");
    }
  }
  // 3. The store: a failed append, or a long queue of unacknowledged events.
  const auto& log = daemon_.runtime().log();
  const std::uint64_t failures = log.store_failures();
  const auto lag = static_cast<std::int64_t>(log.store_lag());
  if (failures > store_failures_ || lag > kStoreLagAlert) {
    post(alerts::AlertKind::kStoreOutage, "store", "store outage: " + daemon_.options().store,
         std::to_string(failures - store_failures_) + " append failures in the last second (" +
             std::to_string(failures) + " since start), " + std::to_string(lag) +
             " events waiting for the store; the intent log keeps them and publishes them again");
  }
  store_failures_ = failures;
  // 4. Arbitrage sagas that ended failed.
  const auto& strategies = daemon_.directory().strategies;
  for (std::size_t i = 0; i < strategies.size(); ++i) {
    const StrategyId id(static_cast<std::uint16_t>(i));
    auto v = daemon_.runtime().strategy(id, 2s);
    if (!v || !*v || (*v)->kind != actors::StrategyKind::kArbitrage) continue;
    const std::uint64_t failed = (*v)->sagas.failed;
    auto [it, first] = saga_failed_.try_emplace(id.value, failed);
    if (!first && failed > it->second) {
      const std::string name = strategies.name(id);
      post(alerts::AlertKind::kSagaNeedsHuman, "saga " + name, "arbitrage saga failed: " + name,
           std::to_string(failed - it->second) + " saga(s) of " + name + " ended failed (" +
               std::to_string(failed) +
               " since start): a leg may be left open -- check `omsctl positions` and flatten by "
               "hand");
    }
    it->second = failed;
  }
  // 5. Vault (live mode): a failed token renewal or key read since the last look.
  if (const auto* v = daemon_.vault_keys()) {
    const std::uint64_t renewals = v->stats().renewal_failures.load();
    const std::uint64_t reads = v->stats().read_failures.load();
    if (renewals > vault_renewal_failures_) {
      post(alerts::AlertKind::kSecrets, "vault renewal", "vault: token renewal failed",
           v->last_renewal_error() + "\nthe API keys already loaded stay in use; once the token expires no key "
                             "rotation is picked up until a new token is given (restart)");
    }
    if (reads > vault_read_failures_) {
      post(alerts::AlertKind::kSecrets, "vault read", "vault: an account's keys did not read",
           v->last_read_error() + "\nthe keys already loaded stay in use");
    }
    vault_renewal_failures_ = renewals;
    vault_read_failures_ = reads;
  }
}

}  // namespace oms::omsd
