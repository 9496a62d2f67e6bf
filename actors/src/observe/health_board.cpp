// HealthBoard: account session health, component checks, status rules and the /health JSON.
#include "oms/actors/observe/health_board.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace oms::observe {

namespace {
using Json = nlohmann::ordered_json;

std::int64_t age_ms(std::int64_t now_ns, std::int64_t then_ns) {
  return std::max<std::int64_t>(0, now_ns - then_ns) / 1'000'000;
}

HealthStatus worst(HealthStatus a, HealthStatus b) {
  return static_cast<std::uint8_t>(a) >= static_cast<std::uint8_t>(b) ? a : b;
}
}  // namespace

std::string_view to_string(HealthStatus s) noexcept {
  switch (s) {
    case HealthStatus::kOk:
      return "ok";
    case HealthStatus::kDegraded:
      return "degraded";
    case HealthStatus::kDown:
      return "down";
  }
  return "down";
}

unsigned http_status(HealthStatus s) noexcept {
  return s == HealthStatus::kDown ? 503U : 200U;
}

// ---- AccountHealth ------------------------------------------------------------------------

void AccountHealth::set_connected(bool connected) noexcept {
  const bool was = connected_.exchange(connected, std::memory_order_relaxed);
  if (connected && !was) connected_since_ns_.store(now_ns_(), std::memory_order_relaxed);
}

void AccountHealth::set_rate_limit(std::string_view name, std::int64_t used, std::int64_t limit) {
  std::lock_guard lock(mutex_);
  for (auto& r : rate_limits_) {
    if (r.name == name) {
      r.used = used;
      r.limit = limit;
      return;
    }
  }
  rate_limits_.push_back({std::string(name), used, limit});
}

void AccountHealth::set_error(std::string message) {
  const auto now = now_ns_();
  std::lock_guard lock(mutex_);
  last_error_ = std::move(message);
  last_error_ns_ = now;
}

void AccountHealth::clear_error() {
  std::lock_guard lock(mutex_);
  last_error_.reset();
  last_error_ns_ = 0;
}

AccountHealth::Snapshot AccountHealth::snapshot() const {
  Snapshot s;
  s.connected = connected_.load(std::memory_order_relaxed);
  s.connected_since_ns = connected_since_ns_.load(std::memory_order_relaxed);
  s.last_market_data_ns = last_market_data_ns_.load(std::memory_order_relaxed);
  s.last_user_data_ns = last_user_data_ns_.load(std::memory_order_relaxed);
  s.open_orders = open_orders_.load(std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  s.rate_limits = rate_limits_;
  s.last_error = last_error_;
  s.last_error_ns = last_error_ns_;
  s.refused = refused_;
  return s;
}

// ---- HealthBoard --------------------------------------------------------------------------

HealthBoard::HealthBoard(std::function<std::int64_t()> now_ns, HealthThresholds thresholds)
    : now_ns_(std::move(now_ns)), thresholds_(thresholds) {}

AccountHealth& HealthBoard::account(std::string_view exchange, std::string_view account) {
  std::lock_guard lock(mutex_);
  for (auto& a : accounts_)
    if (a->exchange() == exchange && a->account() == account) return *a;
  accounts_.push_back(
      std::make_unique<AccountHealth>(std::string(exchange), std::string(account), now_ns_));
  return *accounts_.back();
}

AccountHealth* HealthBoard::find(std::string_view exchange, std::string_view account) {
  std::lock_guard lock(mutex_);
  for (auto& a : accounts_)
    if (a->exchange() == exchange && a->account() == account) return a.get();
  return nullptr;
}

std::vector<const AccountHealth*> HealthBoard::accounts() const {
  std::lock_guard lock(mutex_);
  std::vector<const AccountHealth*> out;
  out.reserve(accounts_.size());
  for (const auto& a : accounts_) out.push_back(a.get());
  return out;
}

void HealthBoard::component(std::string name, ComponentCheck check) {
  std::lock_guard lock(mutex_);
  for (auto& [n, c] : components_) {
    if (n == name) {
      c = std::move(check);
      return;
    }
  }
  components_.emplace_back(std::move(name), std::move(check));
}

void AccountHealth::set_refused(std::optional<std::string> reason) {
  std::lock_guard lock(mutex_);
  refused_ = std::move(reason);
}

AccountStatus HealthBoard::evaluate(const AccountHealth::Snapshot& s) const {
  AccountStatus out;
  if (s.refused) {  // it takes no order, whatever its session says
    out.status = HealthStatus::kDown;
    out.reasons.push_back(*s.refused);
  }
  if (!s.connected) {
    out.status = HealthStatus::kDown;
    out.reasons.emplace_back("session disconnected");
    return out;
  }
  if (s.refused) return out;
  const auto now = now_ns_();
  auto stale = [&](std::string_view stream, std::int64_t last_ns, std::chrono::milliseconds limit) {
    if (limit.count() <= 0) return;
    const std::int64_t age = age_ms(now, last_ns != 0 ? last_ns : s.connected_since_ns);
    if (age <= limit.count()) return;
    out.status = HealthStatus::kDegraded;
    out.reasons.push_back(
        std::string(stream) + (last_ns != 0 ? " stale: last " : " never received: connected ") +
        std::to_string(age) + " ms ago (limit " + std::to_string(limit.count()) + " ms)");
  };
  stale("market data", s.last_market_data_ns, thresholds_.market_data_stale);
  stale("user data", s.last_user_data_ns, thresholds_.user_data_stale);
  for (const auto& r : s.rate_limits) {
    if (r.limit > 0 &&
        r.used * 100 >= r.limit * static_cast<std::int64_t>(thresholds_.rate_limit_warn_percent)) {
      out.status = HealthStatus::kDegraded;
      out.reasons.push_back("rate limit " + r.name + " at " + std::to_string(r.used) + "/" +
                            std::to_string(r.limit));
    }
  }
  if (s.last_error && thresholds_.recent_error.count() > 0 &&
      age_ms(now, s.last_error_ns) <= thresholds_.recent_error.count()) {
    out.status = HealthStatus::kDegraded;
    out.reasons.push_back("recent error: " + *s.last_error);
  }
  return out;
}

namespace {
Json account_object(const AccountHealth& a, const AccountHealth::Snapshot& s,
                    const AccountStatus& st, std::int64_t now) {
  Json j;
  j["exchange"] = a.exchange();
  j["account"] = a.account();
  j["status"] = to_string(st.status);
  j["reasons"] = st.reasons;
  j["session_connected"] = s.connected;
  j["refused"] = s.refused ? Json(*s.refused) : Json(nullptr);
  j["last_market_data_age_ms"] =
      s.last_market_data_ns != 0 ? Json(age_ms(now, s.last_market_data_ns)) : Json(nullptr);
  j["last_user_data_age_ms"] =
      s.last_user_data_ns != 0 ? Json(age_ms(now, s.last_user_data_ns)) : Json(nullptr);
  Json limits = Json::array();
  for (const auto& r : s.rate_limits)
    limits.push_back(Json{{"name", r.name}, {"used", r.used}, {"limit", r.limit}});
  j["rate_limits"] = std::move(limits);
  j["open_orders"] = s.open_orders;
  if (s.last_error) {
    j["last_error"] = Json{{"message", *s.last_error},
                           {"time_ns", s.last_error_ns},
                           {"age_ms", age_ms(now, s.last_error_ns)}};
  } else {
    j["last_error"] = nullptr;
  }
  return j;
}
}  // namespace

HealthBoard::Report HealthBoard::overall_json() const {
  const auto accounts = this->accounts();
  std::vector<std::pair<std::string, ComponentCheck>> components;
  {
    std::lock_guard lock(mutex_);  // copied so checks run without the lock
    components = components_;
  }
  HealthStatus overall = HealthStatus::kOk;
  Json list = Json::array();
  for (const auto* a : accounts) {
    const auto snap = a->snapshot();
    const auto st = evaluate(snap);
    overall = worst(overall, st.status);
    list.push_back(account_object(*a, snap, st, now_ns_()));
  }
  Json comps = Json::object();
  for (const auto& [name, check] : components) {
    ComponentHealth c;
    try {
      c = check();
    } catch (const std::exception& e) {
      c = {HealthStatus::kDown, std::string("check failed: ") + e.what()};
    } catch (...) {
      c = {HealthStatus::kDown, "check failed: unknown exception"};
    }
    overall = worst(overall, c.status);
    comps[name] = Json{{"status", to_string(c.status)}, {"detail", c.detail}};
  }
  Json j;
  j["status"] = to_string(overall);
  j["time_ns"] = now_ns_();
  j["accounts"] = std::move(list);
  j["components"] = std::move(comps);
  return {overall, j.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

std::optional<HealthBoard::Report> HealthBoard::account_json(std::string_view exchange,
                                                             std::string_view account) const {
  const AccountHealth* found = nullptr;
  {
    std::lock_guard lock(mutex_);
    for (const auto& a : accounts_)
      if (a->exchange() == exchange && a->account() == account) found = a.get();
  }
  if (found == nullptr) return std::nullopt;
  const auto snap = found->snapshot();
  const auto st = evaluate(snap);
  return Report{st.status, account_object(*found, snap, st, now_ns_())
                               .dump(-1, ' ', false, Json::error_handler_t::replace)};
}

}  // namespace oms::observe
