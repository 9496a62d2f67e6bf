// Metrics: a registry of counters, gauges and histograms rendered in the Prometheus text
// exposition format 0.0.4 (what /metrics serves).
//
// Registration (startup, takes a lock, throws std::invalid_argument naming the metric on a bad
// name, label or type clash) returns a handle that lives as long as the registry; keep it.
// Updating a handle is one relaxed atomic operation, from any thread, no lock:
//
//   auto& sent = metrics.counter("oms_orders_sent_total", "Orders sent to the venue",
//                                {{"exchange", "binance"}, {"account", "main"}});
//   sent.inc();                                              // hot path
//   auto& lat = metrics.histogram("oms_order_ack_seconds", "Submit to venue ack",
//                                 Histogram::latency_buckets(), {{"exchange", "binance"}});
//   lat.observe_ns(ack_ns - submit_ns);
//
// Values computed from views at scrape time come from collectors: a callback that emits the
// samples of one family (e.g. open orders per account read from the order view).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oms::observe {

// Label name -> value, in the order they are rendered. A family's series all use the same
// label names in the same order.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType : std::uint8_t { kCounter, kGauge, kHistogram };

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double v) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Fixed upper bounds (seconds for latencies), strictly increasing and finite; +Inf is implicit.
// observe() counts into one bucket; rendering makes the counts cumulative (Prometheus `le`).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);

  void observe(double v) noexcept;
  // Division (not * 1e-9) is correctly rounded: 1000 ns lands exactly on a 1e-6 bound.
  void observe_ns(std::int64_t ns) noexcept { observe(static_cast<double>(ns) / 1e9); }

  [[nodiscard]] const std::vector<double>& upper_bounds() const noexcept { return bounds_; }
  // Cumulative counts, one per bound plus the +Inf bucket (the last equals count()).
  [[nodiscard]] std::vector<std::uint64_t> cumulative_counts() const;
  [[nodiscard]] double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t count() const noexcept;

  // 1 µs .. 10 s: 1, 2.5, 5 per decade (order path and venue round trips).
  [[nodiscard]] static std::vector<double> latency_buckets();

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<double> sum_{0.0};
};

// What a collector writes into at scrape time: one sample per call, label values in the order
// of the family's label names. A count mismatch throws std::invalid_argument naming the metric.
class CollectorSink {
 public:
  virtual ~CollectorSink() = default;
  virtual void sample(std::span<const std::string> label_values, double value) = 0;
  void sample(std::initializer_list<std::string> label_values, double value) {
    const std::vector<std::string> v(label_values);
    sample(std::span<const std::string>(v), value);
  }
};
using Collector = std::function<void(CollectorSink&)>;

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The same name and labels again return the same handle; the same name with other label
  // values adds a series to the family (same type, help and label names, else an error).
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help,
                       std::vector<double> upper_bounds, const Labels& labels = {});

  // A family whose samples `fn` emits at every scrape. type: kCounter or kGauge. `fn` runs on
  // an HTTP thread under the registry's lock: it must be thread-safe and must not register.
  void collector(std::string_view name, std::string_view help, MetricType type,
                 std::vector<std::string> label_names, Collector fn);

  // The exposition text (families in registration order, series in registration order).
  // Throws std::invalid_argument when a collector emits a malformed sample (names the metric);
  // exceptions from collectors pass through.
  [[nodiscard]] std::string render() const;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Family;
  Family& family(std::string_view name, std::string_view help, MetricType type,
                 const Labels& labels);
  mutable std::mutex mutex_;  // registration and render; never taken by handle updates
  std::deque<std::unique_ptr<Family>> families_;
};

// Exposed for tests and other writers of the format.
[[nodiscard]] bool valid_metric_name(std::string_view name) noexcept;
[[nodiscard]] bool valid_label_name(std::string_view name) noexcept;
[[nodiscard]] std::string escape_label_value(std::string_view v);
[[nodiscard]] std::string format_value(double v);  // "+Inf" "-Inf" "NaN" "3" "0.00025" "1e-06"

}  // namespace oms::observe
