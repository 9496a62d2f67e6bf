#include "oms/connectors/alerts/alert_service.hpp"

namespace oms::alerts {

namespace {
TimeNs system_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

AlertService::AlertService(std::vector<std::unique_ptr<AlertSink>> sinks,
                           AlertServiceOptions options)
    : sinks_(std::move(sinks)), options_(std::move(options)) {
  if (!options_.clock) options_.clock = system_now;
  if (!options_.log) options_.log = [](bool, const std::string&) {};
  if (options_.queue == 0) options_.queue = 1;
  for (const auto& s : sinks_) {
    policies_.emplace_back(options_.dedup_window, options_.max_per_minute);
    counters_.push_back(std::make_unique<SinkCounters>());
    counters_.back()->name = std::string(s->name());
  }
  thread_ = std::thread([this] { run(); });
}

AlertService::~AlertService() {
  stop();
}

void AlertService::post(Alert alert) noexcept {
  try {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      if (queue_.size() >= options_.queue) {
        queue_.pop_front();
        ++drops_unlogged_;
        dropped_.fetch_add(1, std::memory_order_relaxed);
      }
      queue_.push_back(std::move(alert));
    }
    posted_.fetch_add(1, std::memory_order_relaxed);
    cv_.notify_one();
  } catch (...) {  // no memory for the alert: counted as dropped
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

void AlertService::stop() {
  {
    std::lock_guard lock(mu_);
    if (!stop_) drain_until_ = std::chrono::steady_clock::now() + options_.stop_drain;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AlertService::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty() || drops_unlogged_ > 0; });
    if (drops_unlogged_ > 0) {
      const auto n = drops_unlogged_;
      drops_unlogged_ = 0;
      lock.unlock();
      options_.log(true, "alerts: queue full (" + std::to_string(options_.queue) +
                             "): dropped the " + std::to_string(n) + " oldest alert(s), " +
                             std::to_string(dropped()) + " since start");
      lock.lock();
    }
    if (queue_.empty()) {
      if (stop_) return;
      continue;
    }
    if (stop_ && std::chrono::steady_clock::now() >= drain_until_) {
      const auto n = queue_.size();
      queue_.clear();
      dropped_.fetch_add(n, std::memory_order_relaxed);
      lock.unlock();
      options_.log(true, "alerts: stopping: " + std::to_string(n) + " alert(s) not sent within " +
                             std::to_string(options_.stop_drain.count()) + " ms, dropped");
      return;
    }
    Alert a = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    handle(a);
    handled_.fetch_add(1, std::memory_order_release);
    lock.lock();
  }
}

void AlertService::handle(const Alert& a) {
  const TimeNs now = options_.clock();
  for (std::size_t i = 0; i < sinks_.size(); ++i) {
    auto& c = *counters_[i];
    const auto d = policies_[i].decide(a.key, now);
    if (!d.send) {
      c.suppressed.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    AlertMessage m{a, d.same_key_suppressed, d.rate_suppressed};
    auto r = sinks_[i]->send(m);
    if (r) {
      c.sent.fetch_add(1, std::memory_order_relaxed);
      options_.log(false, "alert sent to " + c.name + ": " + a.title);
    } else {
      policies_[i].not_delivered(a.key, d);
      c.failed.fetch_add(1, std::memory_order_relaxed);
      options_.log(true, "alert not sent to " + c.name + " (" +
                             std::to_string(static_cast<unsigned>(r.error().code)) +
                             "): " + r.error().message + "; alert was: " + a.title);
    }
  }
}

}  // namespace oms::alerts
