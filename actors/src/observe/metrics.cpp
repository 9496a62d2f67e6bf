// Metrics registry and the Prometheus text exposition format 0.0.4.
#include "oms/actors/observe/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace oms::observe {

namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}

[[noreturn]] void fail(std::string_view name, const std::string& what) {
  throw std::invalid_argument("metric '" + std::string(name) + "': " + what);
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// `a="x",b="y"` (no braces) for the given names and values.
std::string render_labels(std::span<const std::string> names, std::span<const std::string> values) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i != 0) out += ',';
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  return out;
}

void append_sample(std::string& out, std::string_view name, std::string_view labels,
                   std::string_view value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

bool valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || !(name_start(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return name_char(c) || c == ':'; });
}

bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || !name_start(name[0])) return false;
  return std::all_of(name.begin(), name.end(), name_char);
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::abs(v) < 1e15 && v == std::trunc(v)) return std::to_string(static_cast<std::int64_t>(v));
  // Shortest round-trip form; plain decimals from 1e-4 up (like Go's %g, which Prometheus's own
  // clients use: 0.0001, 0.00025), exponent form below.
  char buf[64];
  const double mag = std::abs(v);
  const auto r = mag >= 1e-4 && mag < 1e15
                     ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                     : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// ---- Histogram ----------------------------------------------------------------------------

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]))
      throw std::invalid_argument("histogram bucket bounds must be finite (+Inf is implicit)");
    if (i != 0 && !(bounds_[i - 1] < bounds_[i]))
      throw std::invalid_argument("histogram bucket bounds must be strictly increasing");
  }
}

void Histogram::observe(double v) noexcept {
  // First bucket whose bound is >= v (`le`); NaN and values above the last bound go to +Inf.
  std::size_t i = bounds_.size();
  if (!std::isnan(v)) {
    i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                 bounds_.begin());
  }
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

std::uint64_t Histogram::count() const noexcept {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) n += counts_[i].load(std::memory_order_relaxed);
  return n;
}

std::vector<double> Histogram::latency_buckets() {
  return {1e-6, 2.5e-6, 5e-6,   1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
          5e-3, 1e-2,   2.5e-2, 5e-2, 0.1,    0.25, 0.5,  1.0,    2.5,  5.0,  10.0};
}

// ---- Registry -----------------------------------------------------------------------------

struct Metrics::Family {
  std::string name;
  std::string help;
  MetricType type;
  std::vector<std::string> label_names;
  struct Series {
    std::string labels;  // rendered, no braces
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  std::vector<Series> series;
  Collector collector;  // set: the samples come from here at scrape time
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

Metrics::Family& Metrics::family(std::string_view name, std::string_view help, MetricType type,
                                 const Labels& labels) {
  if (!valid_metric_name(name)) fail(name, "invalid metric name (want [a-zA-Z_:][a-zA-Z0-9_:]*)");
  std::vector<std::string> names;
  for (const auto& [label, value] : labels) {
    if (!valid_label_name(label))
      fail(name, "invalid label name '" + label + "' (want [a-zA-Z_][a-zA-Z0-9_]*)");
    if (label.starts_with("__")) fail(name, "label name '" + label + "' is reserved (__ prefix)");
    if (type == MetricType::kHistogram && label == "le")
      fail(name, "label name 'le' is reserved for histogram buckets");
    if (std::find(names.begin(), names.end(), label) != names.end())
      fail(name, "label '" + label + "' given twice");
    names.push_back(label);
  }
  for (auto& f : families_) {
    if (f->name != name) continue;
    if (f->collector) fail(name, "already registered as a collector");
    if (f->type != type)
      fail(name, std::string("already registered as a ") + type_name(f->type) + ", not a " +
                     type_name(type));
    if (f->help != help) fail(name, "registered again with different help text");
    if (f->label_names != names) fail(name, "registered again with different label names");
    return *f;
  }
  auto f = std::make_unique<Family>();
  f->name = std::string(name);
  f->help = std::string(help);
  f->type = type;
  f->label_names = std::move(names);
  families_.push_back(std::move(f));
  return *families_.back();
}

namespace {
template <class Series>
Series* find_series(std::vector<Series>& series, const std::string& labels) {
  for (auto& s : series)
    if (s.labels == labels) return &s;
  return nullptr;
}

std::vector<std::string> label_values(const Labels& labels) {
  std::vector<std::string> v;
  v.reserve(labels.size());
  for (const auto& kv : labels) v.push_back(kv.second);
  return v;
}
}  // namespace

Counter& Metrics::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, MetricType::kCounter, labels);
  const auto rendered = render_labels(f.label_names, label_values(labels));
  if (auto* s = find_series(f.series, rendered)) return *s->counter;
  f.series.push_back({rendered, std::make_unique<Counter>(), nullptr, nullptr});
  return *f.series.back().counter;
}

Gauge& Metrics::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, MetricType::kGauge, labels);
  const auto rendered = render_labels(f.label_names, label_values(labels));
  if (auto* s = find_series(f.series, rendered)) return *s->gauge;
  f.series.push_back({rendered, nullptr, std::make_unique<Gauge>(), nullptr});
  return *f.series.back().gauge;
}

Histogram& Metrics::histogram(std::string_view name, std::string_view help,
                              std::vector<double> upper_bounds, const Labels& labels) {
  std::lock_guard lock(mutex_);
  std::unique_ptr<Histogram> h;
  try {
    h = std::make_unique<Histogram>(std::move(upper_bounds));
  } catch (const std::invalid_argument& e) {
    fail(name, e.what());
  }
  Family& f = family(name, help, MetricType::kHistogram, labels);
  if (!f.series.empty() && f.series.front().histogram->upper_bounds() != h->upper_bounds())
    fail(name, "registered again with different bucket bounds");
  const auto rendered = render_labels(f.label_names, label_values(labels));
  if (auto* s = find_series(f.series, rendered)) return *s->histogram;
  f.series.push_back({rendered, nullptr, nullptr, std::move(h)});
  return *f.series.back().histogram;
}

void Metrics::collector(std::string_view name, std::string_view help, MetricType type,
                        std::vector<std::string> label_names, Collector fn) {
  if (type == MetricType::kHistogram) fail(name, "collectors emit counters or gauges only");
  if (!fn) fail(name, "collector callback is empty");
  Labels labels;
  for (auto& l : label_names) labels.emplace_back(std::move(l), std::string());
  std::lock_guard lock(mutex_);
  for (const auto& f : families_)
    if (f->name == name) fail(name, "already registered");
  Family& f = family(name, help, type, labels);
  f.collector = std::move(fn);
}

namespace {
class Sink final : public CollectorSink {
 public:
  Sink(std::string& out, const std::string& name, const std::vector<std::string>& label_names)
      : out_(out), name_(name), label_names_(label_names) {}
  using CollectorSink::sample;
  void sample(std::span<const std::string> values, double value) override {
    if (values.size() != label_names_.size())
      fail(name_, "collector emitted " + std::to_string(values.size()) + " label values, want " +
                      std::to_string(label_names_.size()));
    append_sample(out_, name_, render_labels(label_names_, values), format_value(value));
  }

 private:
  std::string& out_;
  const std::string& name_;
  const std::vector<std::string>& label_names_;
};
}  // namespace

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f->name + ' ' + escape_help(f->help) + '\n';
    out += "# TYPE " + f->name + ' ' + type_name(f->type) + '\n';
    if (f->collector) {
      Sink sink(out, f->name, f->label_names);
      f->collector(sink);
      continue;
    }
    for (const auto& s : f->series) {
      switch (f->type) {
        case MetricType::kCounter:
          append_sample(out, f->name, s.labels, std::to_string(s.counter->value()));
          break;
        case MetricType::kGauge:
          append_sample(out, f->name, s.labels, format_value(s.gauge->value()));
          break;
        case MetricType::kHistogram: {
          const auto& h = *s.histogram;
          const auto counts = h.cumulative_counts();  // read once: +Inf bucket == _count
          const std::string prefix = s.labels.empty() ? std::string() : s.labels + ',';
          for (std::size_t i = 0; i < counts.size(); ++i) {
            const std::string le =
                i < h.upper_bounds().size() ? format_value(h.upper_bounds()[i]) : "+Inf";
            append_sample(out, f->name + "_bucket", prefix + "le=\"" + le + '"',
                          std::to_string(counts[i]));
          }
          append_sample(out, f->name + "_sum", s.labels, format_value(h.sum()));
          append_sample(out, f->name + "_count", s.labels, std::to_string(counts.back()));
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace oms::observe
