#include "oms/connectors/alerts/alert_policy.hpp"

namespace oms::alerts {

namespace {
constexpr TimeNs kMinute = 60'000'000'000;
}

std::string_view to_string(AlertKind k) noexcept {
  switch (k) {
    case AlertKind::kKillSwitch:
      return "kill_switch";
    case AlertKind::kVenueBan:
      return "venue_ban";
    case AlertKind::kAccountDown:
      return "account_down";
    case AlertKind::kStoreOutage:
      return "store_outage";
    case AlertKind::kSagaNeedsHuman:
      return "saga_needs_human";
    case AlertKind::kSecrets:
      return "secrets";
  }
  return "unknown";
}

std::string AlertMessage::subject() const {
  return "[omsd] " + alert.title;
}

std::string AlertMessage::body() const {
  std::string out = subject();
  if (!alert.text.empty()) out += "\n" + alert.text;
  if (same_key_suppressed > 0) {
    out += "\n(" + std::to_string(same_key_suppressed) +
           " more like this since the last message, not sent)";
  }
  if (rate_suppressed > 0) {
    out += "\n(" + std::to_string(rate_suppressed) +
           " other alerts held back by the rate limit, not sent)";
  }
  return out;
}

AlertPolicy::AlertPolicy(std::chrono::nanoseconds dedup_window, int max_per_minute)
    : window_(dedup_window.count()),
      max_per_minute_(static_cast<std::size_t>(max_per_minute < 1 ? 1 : max_per_minute)) {}

void AlertPolicy::forget_old(TimeNs now) {
  while (!sent_in_last_minute_.empty() && now - sent_in_last_minute_.front() >= kMinute) {
    sent_in_last_minute_.pop_front();
  }
  // A key past its window with nothing held back has nothing left to say.
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (it->second.suppressed == 0 && (!it->second.sent || now - it->second.last_sent >= window_)) {
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
}

AlertPolicy::Decision AlertPolicy::decide(const std::string& key, TimeNs now) {
  forget_old(now);
  KeyState& k = keys_[key];
  if (k.sent && now - k.last_sent < window_) {
    ++k.suppressed;
    return {};
  }
  if (sent_in_last_minute_.size() >= max_per_minute_) {
    ++rate_suppressed_;
    return {};
  }
  Decision d{true, k.suppressed, rate_suppressed_};
  k.suppressed = 0;
  k.sent = true;
  k.last_sent = now;
  rate_suppressed_ = 0;
  sent_in_last_minute_.push_back(now);
  return d;
}

void AlertPolicy::not_delivered(const std::string& key, const Decision& d) {
  if (!d.send) return;
  KeyState& k = keys_[key];
  k.sent = false;
  k.suppressed += d.same_key_suppressed;
  rate_suppressed_ += d.rate_suppressed;
}

}  // namespace oms::alerts
