// Pins oms::observe::Metrics: the Prometheus text format 0.0.4 byte for byte (golden text),
// name and label validation errors, histogram bucket math and lock-free concurrent updates.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "oms/actors/observe/metrics.hpp"

namespace oms::observe {

TEST_CASE("exposition text for labelled counter, gauge, histogram and collector is exact") {
  Metrics m;
  m.counter("oms_orders_sent_total", "Orders sent", {{"exchange", "binance"}, {"account", "main"}})
      .inc(3);
  m.counter("oms_orders_sent_total", "Orders sent",
            {{"exchange", "binance"}, {"account", "a\"b\\c\nd"}})
      .inc();
  m.gauge("oms_open_orders", "Open orders\nper account \\ venue", {{"account", "main"}}).set(2.5);
  m.gauge("oms_up", "1 when up").set(1);
  auto& h =
      m.histogram("oms_ack_seconds", "Ack latency", {0.125, 0.5, 1}, {{"exchange", "binance"}});
  for (const double v : {0.0625, 0.125, 0.25, 4.0}) h.observe(v);
  m.collector("oms_session_connected", "1 when the session is connected", MetricType::kGauge,
              {"exchange", "account"}, [](CollectorSink& s) {
                s.sample({"binance", "main"}, 1);
                s.sample({"binance", "sub"}, 0);
              });

  const std::string expected =
      "# HELP oms_orders_sent_total Orders sent\n"
      "# TYPE oms_orders_sent_total counter\n"
      "oms_orders_sent_total{exchange=\"binance\",account=\"main\"} 3\n"
      "oms_orders_sent_total{exchange=\"binance\",account=\"a\\\"b\\\\c\\nd\"} 1\n"
      "# HELP oms_open_orders Open orders\\nper account \\\\ venue\n"
      "# TYPE oms_open_orders gauge\n"
      "oms_open_orders{account=\"main\"} 2.5\n"
      "# HELP oms_up 1 when up\n"
      "# TYPE oms_up gauge\n"
      "oms_up 1\n"
      "# HELP oms_ack_seconds Ack latency\n"
      "# TYPE oms_ack_seconds histogram\n"
      "oms_ack_seconds_bucket{exchange=\"binance\",le=\"0.125\"} 2\n"
      "oms_ack_seconds_bucket{exchange=\"binance\",le=\"0.5\"} 3\n"
      "oms_ack_seconds_bucket{exchange=\"binance\",le=\"1\"} 3\n"
      "oms_ack_seconds_bucket{exchange=\"binance\",le=\"+Inf\"} 4\n"
      "oms_ack_seconds_sum{exchange=\"binance\"} 4.4375\n"
      "oms_ack_seconds_count{exchange=\"binance\"} 4\n"
      "# HELP oms_session_connected 1 when the session is connected\n"
      "# TYPE oms_session_connected gauge\n"
      "oms_session_connected{exchange=\"binance\",account=\"main\"} 1\n"
      "oms_session_connected{exchange=\"binance\",account=\"sub\"} 0\n";
  CHECK(m.render() == expected);
}

TEST_CASE("unlabelled histogram renders only le on buckets and no braces on sum and count") {
  Metrics m;
  auto& h = m.histogram("lat_seconds", "x", {0.5});
  h.observe(0.5);
  CHECK(m.render() ==
        "# HELP lat_seconds x\n# TYPE lat_seconds histogram\n"
        "lat_seconds_bucket{le=\"0.5\"} 1\nlat_seconds_bucket{le=\"+Inf\"} 1\n"
        "lat_seconds_sum 0.5\nlat_seconds_count 1\n");
}

TEST_CASE("format_value writes integers plainly, others in shortest round-trip form") {
  CHECK(format_value(3) == "3");
  CHECK(format_value(-7) == "-7");
  CHECK(format_value(0.25) == "0.25");
  CHECK(format_value(1e-6) == "1e-06");
  CHECK(format_value(2.5e-5) == "2.5e-05");
  CHECK(format_value(1e-4) == "0.0001");
  CHECK(format_value(2.5e-4) == "0.00025");
  CHECK(format_value(-0.001) == "-0.001");
  CHECK(format_value(1.031655944) == "1.031655944");
  CHECK(format_value(1e21) == "1e+21");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(std::nan("")) == "NaN");
}

TEST_CASE("registration errors name the metric and the problem") {
  Metrics m;
  CHECK_THROWS_WITH_AS(m.counter("1orders", "x"),
                       "metric '1orders': invalid metric name (want [a-zA-Z_:][a-zA-Z0-9_:]*)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.gauge("oms-open", "x"),
                       "metric 'oms-open': invalid metric name (want [a-zA-Z_:][a-zA-Z0-9_:]*)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.counter("", "x"),
                       "metric '': invalid metric name (want [a-zA-Z_:][a-zA-Z0-9_:]*)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      m.counter("a_total", "x", {{"bad-label", "v"}}),
      "metric 'a_total': invalid label name 'bad-label' (want [a-zA-Z_][a-zA-Z0-9_]*)",
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.counter("a_total", "x", {{"__name", "v"}}),
                       "metric 'a_total': label name '__name' is reserved (__ prefix)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.counter("a_total", "x", {{"k", "1"}, {"k", "2"}}),
                       "metric 'a_total': label 'k' given twice", std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.histogram("h_seconds", "x", {1.0}, {{"le", "1"}}),
                       "metric 'h_seconds': label name 'le' is reserved for histogram buckets",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.histogram("h_seconds", "x", {1.0, 1.0}),
                       "metric 'h_seconds': histogram bucket bounds must be strictly increasing",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      m.histogram("h_seconds", "x", {1.0, std::numeric_limits<double>::infinity()}),
      "metric 'h_seconds': histogram bucket bounds must be finite (+Inf is implicit)",
      std::invalid_argument);

  m.counter("dup_total", "x", {{"exchange", "binance"}});
  CHECK_THROWS_WITH_AS(m.gauge("dup_total", "x", {{"exchange", "binance"}}),
                       "metric 'dup_total': already registered as a counter, not a gauge",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.counter("dup_total", "other help", {{"exchange", "binance"}}),
                       "metric 'dup_total': registered again with different help text",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.counter("dup_total", "x", {{"account", "main"}}),
                       "metric 'dup_total': registered again with different label names",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.collector("dup_total", "x", MetricType::kGauge, {}, [](CollectorSink&) {}),
                       "metric 'dup_total': already registered", std::invalid_argument);
  m.histogram("hb_seconds", "x", {1.0, 2.0}, {{"k", "a"}});
  CHECK_THROWS_WITH_AS(m.histogram("hb_seconds", "x", {1.0, 3.0}, {{"k", "b"}}),
                       "metric 'hb_seconds': registered again with different bucket bounds",
                       std::invalid_argument);
  // A failed registration adds nothing.
  const std::string before = m.render();
  CHECK_THROWS_AS(m.counter("dup_total", "x", {{"bad label", "v"}}), std::invalid_argument);
  CHECK(m.render() == before);
}

TEST_CASE("same name and labels give the same handle; other label values a new series") {
  Metrics m;
  auto& a = m.counter("x_total", "x", {{"account", "main"}});
  auto& b = m.counter("x_total", "x", {{"account", "main"}});
  auto& c = m.counter("x_total", "x", {{"account", "sub"}});
  CHECK(&a == &b);
  CHECK(&a != &c);
  a.inc(2);
  b.inc();
  CHECK(a.value() == 3);
  CHECK(c.value() == 0);
}

TEST_CASE("collector emitting the wrong number of label values fails the scrape naming it") {
  Metrics m;
  m.collector("bad_gauge", "x", MetricType::kGauge, {"exchange", "account"},
              [](CollectorSink& s) { s.sample({"binance"}, 1); });
  CHECK_THROWS_WITH_AS((void)m.render(),
                       "metric 'bad_gauge': collector emitted 1 label values, want 2",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.collector("h", "x", MetricType::kHistogram, {}, [](CollectorSink&) {}),
                       "metric 'h': collectors emit counters or gauges only",
                       std::invalid_argument);
}

TEST_CASE("histogram buckets are le-inclusive, cumulative, and +Inf takes overflow and NaN") {
  Histogram h({0.001, 0.01, 0.1});
  h.observe(0.0);           // bucket 0
  h.observe(0.001);         // bucket 0: le is inclusive
  h.observe(0.0010001);     // bucket 1
  h.observe(0.1);           // bucket 2
  h.observe(0.2);           // +Inf
  h.observe(std::nan(""));  // +Inf
  CHECK(h.cumulative_counts() == std::vector<std::uint64_t>{2, 3, 4, 6});
  CHECK(h.count() == 6);

  Histogram ns({1e-6, 1e-3});
  ns.observe_ns(1'000);      // exactly 1 µs
  ns.observe_ns(1'001);      // above 1 µs
  ns.observe_ns(2'000'000);  // 2 ms: +Inf
  CHECK(ns.cumulative_counts() == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(ns.sum() == doctest::Approx(0.002002001).epsilon(1e-12));

  const auto lb = Histogram::latency_buckets();
  CHECK(lb.size() == 22);
  CHECK(lb.front() == 1e-6);
  CHECK(lb.back() == 10.0);
}

TEST_CASE("counters, gauges and histograms updated from four threads lose no update") {
  Metrics m;
  auto& c = m.counter("c_total", "x");
  auto& g = m.gauge("g", "x");
  auto& h = m.histogram("h_seconds", "x", {0.5});
  constexpr int kPerThread = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        c.inc();
        g.add(1);
        h.observe(0.25);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.value() == 4 * kPerThread);
  CHECK(g.value() == 4.0 * kPerThread);
  CHECK(h.cumulative_counts() == std::vector<std::uint64_t>{4 * kPerThread, 4 * kPerThread});
  CHECK(h.sum() == 0.25 * 4 * kPerThread);
}

}  // namespace oms::observe
