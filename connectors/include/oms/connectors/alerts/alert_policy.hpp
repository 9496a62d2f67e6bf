// What an alert is, and the pure rule of which ones a sink sends: de-duplication (one alert key
// sent once per window; the ones held back are counted into the next message of that key) and a
// rate limit (at most N messages a minute per sink; the ones over it are counted into the next
// message the sink sends). Time is an argument: no clock is read here.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "oms/messages/envelope.hpp"

namespace oms::alerts {

enum class AlertKind : std::uint8_t {
  kKillSwitch,      // a kill switch tripped
  kVenueBan,        // the venue banned the IP (HTTP 418)
  kAccountDown,     // an account's venue connection failed or its user stream is down
  kStoreOutage,     // the event store (NATS JetStream) refuses or lags
  kSagaNeedsHuman,  // an arbitrage saga ended failed (a leg may be left open)
  kSecrets,         // the secret store failed: a Vault token renewal or a key read
};
[[nodiscard]] std::string_view to_string(AlertKind k) noexcept;

struct Alert {
  AlertKind kind = AlertKind::kKillSwitch;
  std::string key;    // what repeats: "ban binance spot", "down binance_mm"
  std::string title;  // one line
  std::string text;   // the details
  TimeNs at = 0;      // when it was raised (UTC ns)
};

// The message a sink sends for an alert: the alert, and what was held back before it.
struct AlertMessage {
  Alert alert;
  std::uint64_t same_key_suppressed = 0;  // this key's alerts not sent since its last message
  std::uint64_t rate_suppressed = 0;      // other alerts held back by the rate limit
  // The text as sent: title, details and the counts.
  [[nodiscard]] std::string body() const;
  [[nodiscard]] std::string subject() const;  // "[omsd] " + title
};

class AlertPolicy {
 public:
  // max_per_minute >= 1.
  AlertPolicy(std::chrono::nanoseconds dedup_window, int max_per_minute);

  struct Decision {
    bool send = false;
    std::uint64_t same_key_suppressed = 0;  // when send: to report in the message
    std::uint64_t rate_suppressed = 0;
  };
  // Whether the sink sends `key` raised at `now`; a send is recorded as sent at `now`.
  [[nodiscard]] Decision decide(const std::string& key, TimeNs now);
  // The send decided for `key` failed: its counts go back, and the key may be sent again at
  // once (a failed message did not reach anybody).
  void not_delivered(const std::string& key, const Decision& d);

 private:
  struct KeyState {
    TimeNs last_sent = 0;
    bool sent = false;
    std::uint64_t suppressed = 0;
  };
  void forget_old(TimeNs now);

  TimeNs window_;
  std::size_t max_per_minute_;
  std::map<std::string, KeyState, std::less<>> keys_;
  std::deque<TimeNs> sent_in_last_minute_;
  std::uint64_t rate_suppressed_ = 0;
};

}  // namespace oms::alerts
