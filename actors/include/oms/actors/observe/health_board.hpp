// HealthBoard: per (exchange, account) session health and the daemon's named component checks,
// rendered as the JSON of /health and /health/{exchange}/{account}.
//
// Sessions register once and keep the handle; the hot side (a market-data or user-data message)
// is one relaxed atomic store, no lock:
//
//   auto& h = board.account("binance", "main");
//   h.set_connected(true);                 // session shell, on (re)connect / disconnect
//   h.mark_market_data_at(recv_ns);        // every market-data message (or mark_market_data())
//   h.set_rate_limit("REQUEST_WEIGHT_1M", 420, 6000);
//   h.set_error("listenKey keepalive failed: 401");
//   board.component("store", [&] { return ComponentHealth{HealthStatus::kOk, "seq 1234"}; });
//
// Status of an account: down when its session is not connected; degraded when connected but a
// stream is stale (older than its threshold; a stream never seen counts from the connect), a
// rate-limit bucket is at or above the warning fraction, or an error was set within the recent-
// error window; else ok. Overall: down if any account or component is down, degraded if any is
// degraded, else ok.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oms::observe {

enum class HealthStatus : std::uint8_t { kOk, kDegraded, kDown };
[[nodiscard]] std::string_view to_string(HealthStatus s) noexcept;  // "ok" "degraded" "down"
// 200 for ok and degraded (still serving), 503 for down.
[[nodiscard]] unsigned http_status(HealthStatus s) noexcept;

struct HealthThresholds {
  // 0 disables a check.
  std::chrono::milliseconds market_data_stale{10'000};
  // Off by default: a Binance user-data stream is silent while nothing happens on the account.
  std::chrono::milliseconds user_data_stale{0};
  std::chrono::milliseconds recent_error{60'000};  // an error this recent degrades the account
  unsigned rate_limit_warn_percent = 90;           // used >= limit * this / 100 degrades
};

struct RateLimitUsage {
  std::string name;  // "REQUEST_WEIGHT_1M", "ORDERS_10S", ...
  std::int64_t used = 0;
  std::int64_t limit = 0;
};

// One account's session health. Every method is thread-safe.
class AccountHealth {
 public:
  AccountHealth(std::string exchange, std::string account, std::function<std::int64_t()> now_ns)
      : exchange_(std::move(exchange)), account_(std::move(account)), now_ns_(std::move(now_ns)) {}

  void set_connected(bool connected) noexcept;
  void mark_market_data() noexcept { mark_market_data_at(now_ns_()); }
  void mark_market_data_at(std::int64_t ns) noexcept {
    last_market_data_ns_.store(ns, std::memory_order_relaxed);
  }
  void mark_user_data() noexcept { mark_user_data_at(now_ns_()); }
  void mark_user_data_at(std::int64_t ns) noexcept {
    last_user_data_ns_.store(ns, std::memory_order_relaxed);
  }
  void set_open_orders(std::int64_t n) noexcept {
    open_orders_.store(n, std::memory_order_relaxed);
  }
  // Adds or updates one bucket (kept in first-seen order).
  void set_rate_limit(std::string_view name, std::int64_t used, std::int64_t limit);
  void set_error(std::string message);  // stamped with the board's clock
  void clear_error();
  // The engine refuses the account (its state could not be rebuilt): down, with this reason,
  // until cleared (nullopt).
  void set_refused(std::optional<std::string> reason);

  [[nodiscard]] const std::string& exchange() const noexcept { return exchange_; }
  [[nodiscard]] const std::string& account() const noexcept { return account_; }

  // A consistent-enough copy for rendering (each field read once).
  struct Snapshot {
    bool connected = false;
    std::int64_t connected_since_ns = 0;   // last transition to connected; 0 never
    std::int64_t last_market_data_ns = 0;  // 0: never
    std::int64_t last_user_data_ns = 0;
    std::int64_t open_orders = 0;
    std::vector<RateLimitUsage> rate_limits;
    std::optional<std::string> last_error;
    std::int64_t last_error_ns = 0;
    std::optional<std::string> refused;
  };
  [[nodiscard]] Snapshot snapshot() const;

 private:
  std::string exchange_;
  std::string account_;
  std::function<std::int64_t()> now_ns_;
  std::atomic<bool> connected_{false};
  std::atomic<std::int64_t> connected_since_ns_{0};
  std::atomic<std::int64_t> last_market_data_ns_{0};
  std::atomic<std::int64_t> last_user_data_ns_{0};
  std::atomic<std::int64_t> open_orders_{0};
  mutable std::mutex mutex_;  // rate limits and error (rare updates)
  std::vector<RateLimitUsage> rate_limits_;
  std::optional<std::string> last_error_;
  std::int64_t last_error_ns_ = 0;
  std::optional<std::string> refused_;
};

struct ComponentHealth {
  HealthStatus status = HealthStatus::kOk;
  std::string detail;
};
// Runs at every /health request on an HTTP thread; must be quick and thread-safe. An exception
// makes the component "down" with the message as detail.
using ComponentCheck = std::function<ComponentHealth()>;

// An account's evaluated status and the reasons for it ("session disconnected", ...).
struct AccountStatus {
  HealthStatus status = HealthStatus::kOk;
  std::vector<std::string> reasons;
};

class HealthBoard {
 public:
  // now_ns: wall-clock (or virtual) nanoseconds, the same clock as the mark_*_at stamps.
  explicit HealthBoard(std::function<std::int64_t()> now_ns, HealthThresholds thresholds = {});
  HealthBoard(const HealthBoard&) = delete;
  HealthBoard& operator=(const HealthBoard&) = delete;

  // Registers (first call) or finds the pair; the reference lives as long as the board.
  AccountHealth& account(std::string_view exchange, std::string_view account);
  [[nodiscard]] AccountHealth* find(std::string_view exchange, std::string_view account);
  // Every registered account in registration order; the pointers live as long as the board.
  [[nodiscard]] std::vector<const AccountHealth*> accounts() const;
  // Registers or replaces a named check ("store", "event_log", "nats").
  void component(std::string name, ComponentCheck check);

  [[nodiscard]] AccountStatus evaluate(const AccountHealth::Snapshot& s) const;

  // JSON bodies; the status is the HTTP status to answer with (200 or 503).
  struct Report {
    HealthStatus status = HealthStatus::kOk;
    std::string json;
  };
  [[nodiscard]] Report overall_json() const;
  // nullopt when the pair is not registered.
  [[nodiscard]] std::optional<Report> account_json(std::string_view exchange,
                                                   std::string_view account) const;

  [[nodiscard]] std::int64_t now_ns() const { return now_ns_(); }

 private:
  std::function<std::int64_t()> now_ns_;
  HealthThresholds thresholds_;
  mutable std::mutex mutex_;  // the lists below (registration and rendering)
  std::deque<std::unique_ptr<AccountHealth>> accounts_;
  std::vector<std::pair<std::string, ComponentCheck>> components_;
};

}  // namespace oms::observe
