// AlertService: takes alerts from any thread and sends them through the sinks on a thread of its
// own. post() never waits on a sink: it appends to a bounded queue under a mutex held for the
// push only; a full queue drops its oldest alert (counted, and logged once per drop by the
// drain thread). The drain thread asks each sink's AlertPolicy (dedup, rate) and sends.
// Counters per sink (sent, failed, suppressed) and the drops are readable from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "oms/connectors/alerts/alert_policy.hpp"
#include "oms/connectors/alerts/sinks.hpp"

namespace oms::alerts {

struct AlertServiceOptions {
  std::chrono::nanoseconds dedup_window = std::chrono::minutes(5);
  int max_per_minute = 20;
  std::size_t queue = 256;
  std::function<TimeNs()> clock;  // the time decisions are taken at (default: system clock)
  // A log line (level, text): warn for a failed send, a drop; info for a sent alert.
  std::function<void(bool warn, const std::string&)> log;
  // stop() sends what is queued for at most this long; what is left then is dropped (counted,
  // logged): a sink that does not answer must not hold a daemon's shutdown for queue x timeout.
  std::chrono::milliseconds stop_drain{10'000};
};

struct SinkCounters {
  std::string name;
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> suppressed{0};  // dedup and rate limit together
};

class AlertService {
 public:
  AlertService(std::vector<std::unique_ptr<AlertSink>> sinks, AlertServiceOptions options);
  ~AlertService();  // stop()
  AlertService(const AlertService&) = delete;
  AlertService& operator=(const AlertService&) = delete;

  // Queues an alert for every sink; never waits for a send. Thread-safe.
  void post(Alert alert) noexcept;
  // Sends what is queued (for at most options.stop_drain), then joins the thread. Idempotent.
  void stop();

  [[nodiscard]] const std::vector<std::unique_ptr<SinkCounters>>& counters() const noexcept {
    return counters_;
  }
  [[nodiscard]] std::uint64_t dropped() const noexcept {
    return dropped_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t posted() const noexcept {
    return posted_.load(std::memory_order_relaxed);
  }
  // Alerts every sink has decided on (sent, failed or suppressed): tests wait on it.
  [[nodiscard]] std::uint64_t handled() const noexcept {
    return handled_.load(std::memory_order_acquire);
  }

 private:
  void run();
  void handle(const Alert& a);

  std::vector<std::unique_ptr<AlertSink>> sinks_;
  std::vector<AlertPolicy> policies_;  // by sink, drain thread only
  std::vector<std::unique_ptr<SinkCounters>> counters_;
  AlertServiceOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Alert> queue_;                            // guarded by mu_
  std::uint64_t drops_unlogged_ = 0;                   // guarded by mu_
  bool stop_ = false;                                  // guarded by mu_
  std::chrono::steady_clock::time_point drain_until_;  // guarded by mu_, set by stop()
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> posted_{0};
  std::atomic<std::uint64_t> handled_{0};
  std::thread thread_;
};

}  // namespace oms::alerts
