// Per-operation latency percentiles for Google Benchmark loops.
//
// Google Benchmark reports the mean time per iteration; a hot path is judged by its tail too.
// Timing each operation alone would cost more than the operation (a clock read is ~10-25 ns,
// a decimal parse ~20 ns), so the loop is timed in batches of kBatch operations and each
// batch's time / kBatch is one sample. The percentiles are therefore of 16-op batch means:
// they show interrupts, cache misses and slow inputs that recur, but a single slow
// operation is diluted 16 times.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace oms::perf {

// Operations per timed batch: one clock read per batch adds < 1 ns per operation.
inline constexpr std::size_t kBatch = 16;

// A cheap monotonic tick: the TSC on x86-64 (constant and invariant on every machine we
// run on; ~8 ns to read against ~20 ns for steady_clock), steady_clock elsewhere.
inline std::uint64_t ticks() noexcept {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// Nanoseconds per tick, measured once against steady_clock over kCalibration.
inline double ns_per_tick() {
#if defined(__x86_64__)
  static const double kNsPerTick = [] {
    // 20 ms: the two clocks' read costs (tens of ns) are then below 1e-5 of the interval.
    constexpr auto kCalibration = std::chrono::milliseconds(20);
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t c0 = ticks();
    auto t1 = t0;
    while (t1 - t0 < kCalibration) t1 = std::chrono::steady_clock::now();
    const std::uint64_t c1 = ticks();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
    return static_cast<double>(ns) / static_cast<double>(c1 - c0);
  }();
  return kNsPerTick;
#else
  using Period = std::chrono::steady_clock::period;
  return 1e9 * static_cast<double>(Period::num) / static_cast<double>(Period::den);
#endif
}

// Collects one sample per batch and sets the counters p50_ns, p99_ns and p999_ns.
class LatencyRecorder {
 public:
  // Reserves every sample up front: no allocation inside the timed loop.
  explicit LatencyRecorder(const benchmark::State& state) {
    (void)ns_per_tick();  // calibrate before the loop, not inside it
    samples_.reserve(static_cast<std::size_t>(state.max_iterations) / kBatch + 2);
  }

  void start() noexcept { last_ = ticks(); }
  // Ends the current batch and starts the next one (one clock read per batch).
  void lap() {
    const std::uint64_t now = ticks();
    samples_.push_back(now - last_);
    last_ = now;
  }

  void report(benchmark::State& state) {
    if (samples_.empty()) return;
    const double scale = ns_per_tick() / static_cast<double>(kBatch);
    state.counters["p50_ns"] = benchmark::Counter(percentile(0.50) * scale);
    state.counters["p99_ns"] = benchmark::Counter(percentile(0.99) * scale);
    state.counters["p999_ns"] = benchmark::Counter(percentile(0.999) * scale);
  }

 private:
  // Nearest-rank percentile (q in (0, 1]); reorders samples_.
  double percentile(double q) {
    const auto n = samples_.size();
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
    rank = std::clamp<std::size_t>(rank, 1, n);
    auto nth = samples_.begin() + static_cast<std::ptrdiff_t>(rank - 1);
    std::nth_element(samples_.begin(), nth, samples_.end());
    return static_cast<double>(*nth);
  }

  std::vector<std::uint64_t> samples_;
  std::uint64_t last_ = 0;
};

// Runs op(i) for i = 0, 1, 2, ..., one call per benchmark iteration, so Google Benchmark's
// time per iteration stays the time per operation, and records the latency percentiles.
template <class Op>
void run_timed(benchmark::State& state, Op&& op) {
  LatencyRecorder recorder(state);
  std::size_t i = 0;
  recorder.start();
  while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(kBatch))) {
    for (std::size_t k = 0; k < kBatch; ++k) op(i++);
    recorder.lap();
  }
  recorder.report(state);
}

}  // namespace oms::perf
