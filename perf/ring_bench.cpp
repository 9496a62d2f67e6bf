// One hop through an SpscRing between two threads on two cores: a ping-pong (the echo
// thread returns each message on a second ring), timed per round trip with the TSC; a hop
// is half a round trip. Baseline in the same run: a mutex + condition-variable queue.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "latency.hpp"
#include "oms/actors/spsc_ring.hpp"
#include "oms/actors/stage.hpp"

namespace {

using oms::actors::SpscRing;
constexpr std::size_t kRounds = 200'000;

double percentile(std::vector<double>& v, double q) {
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
  return v[rank - 1];
}

void report(benchmark::State& state, std::vector<double>& hops) {
  state.counters["p50_ns"] = percentile(hops, 0.50);
  state.counters["p99_ns"] = percentile(hops, 0.99);
  state.counters["p999_ns"] = percentile(hops, 0.999);
}

// Both threads busy-poll for the run: a hop's latency is what is measured, not a wake-up.
void ring_hop(benchmark::State& state) {
  static SpscRing<std::uint64_t, 1024> ping, pong;
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    (void)oms::actors::pin_current_thread(0);
    while (!stop.load(std::memory_order_relaxed)) {
      if (std::uint64_t* v = ping.front()) {
        const std::uint64_t x = *v;
        ping.pop();
        while (!pong.try_push(x)) {
        }
      }
    }
  });
  (void)oms::actors::pin_current_thread(1);
  const double ns_per_tick = oms::perf::ns_per_tick();
  std::vector<double> hops;
  hops.reserve(kRounds);
  for (auto _ : state) {
    hops.clear();
    for (std::size_t i = 0; i < kRounds; ++i) {
      const std::uint64_t t0 = oms::perf::ticks();
      while (!ping.try_push(t0)) {
      }
      std::uint64_t* back = nullptr;
      while ((back = pong.front()) == nullptr) {
      }
      pong.pop();
      hops.push_back(static_cast<double>(oms::perf::ticks() - t0) * ns_per_tick / 2.0);
    }
  }
  stop = true;
  echo.join();
  report(state, hops);
}

// The same ping-pong through a mutex-and-condition-variable queue, as a baseline.
void mutex_queue_hop(benchmark::State& state) {
  struct Queue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::uint64_t> q;
    void push(std::uint64_t v) {
      {
        std::lock_guard l(mu);
        q.push_back(v);
      }
      cv.notify_one();
    }
    std::uint64_t pop() {
      std::unique_lock l(mu);
      cv.wait(l, [&] { return !q.empty(); });
      const auto v = q.front();
      q.pop_front();
      return v;
    }
  };
  static Queue ping, pong;
  constexpr std::uint64_t kStop = ~std::uint64_t{0};
  std::thread echo([&] {
    (void)oms::actors::pin_current_thread(0);
    for (std::uint64_t v; (v = ping.pop()) != kStop;) pong.push(v);
  });
  (void)oms::actors::pin_current_thread(1);
  const double ns_per_tick = oms::perf::ns_per_tick();
  std::vector<double> hops;
  constexpr std::size_t kMutexRounds = 20'000;
  hops.reserve(kMutexRounds);
  for (auto _ : state) {
    hops.clear();
    for (std::size_t i = 0; i < kMutexRounds; ++i) {
      const std::uint64_t t0 = oms::perf::ticks();
      ping.push(t0);
      (void)pong.pop();
      hops.push_back(static_cast<double>(oms::perf::ticks() - t0) * ns_per_tick / 2.0);
    }
  }
  ping.push(kStop);
  echo.join();
  report(state, hops);
}

BENCHMARK(ring_hop)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(mutex_queue_hop)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
