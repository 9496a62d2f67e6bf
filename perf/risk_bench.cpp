// Benchmark of the pre-trade risk check (actors/src/risk_core.cpp): one check() of a passing
// order, 200 accounts x 10 strategies x 50 instruments, limits set at every scope and
// positions held, so every check runs to the end (order rate token taken). Orders rotate over
// a random set (account, strategy, instrument, side, price) so neither the caches nor the
// branch predictor see one constant order. Baseline in the same process: the same orders with
// no limit set. Reports p50/p99/p99.9 per check (latency.hpp); perf/run compares the medians.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "latency.hpp"
#include "oms/cores/risk_core.hpp"
#include "risk_setup.hpp"

namespace {

using namespace oms::perf::desk;

void run(benchmark::State& state, bool with_limits) {
  std::mt19937 rng(kSeed);
  RiskCore core(kAccounts, kStrategies, kInstruments);
  if (with_limits) set_limits(core);
  hold_positions(core, rng);
  const std::vector<OrderRequest> batch = orders(rng);
  oms::TimeNs now = 1'700'000'000'000'000'000;
  std::size_t rejected = 0;
  oms::perf::run_timed(state, [&](std::size_t i) {
    now += kOrderGapNs;
    const oms::actors::RiskDecision d = core.check(batch[i & (kOrders - 1)], now);
    if (!d.passed()) ++rejected;
    benchmark::DoNotOptimize(d);
  });
  if (rejected != 0) state.SkipWithError("a benchmark order was rejected");
}

void bench_risk_check(benchmark::State& state) { run(state, true); }
void bench_risk_check_no_limits(benchmark::State& state) { run(state, false); }

}  // namespace

BENCHMARK(bench_risk_check)->Name("risk_check");
BENCHMARK(bench_risk_check_no_limits)->Name("risk_check_no_limits");

BENCHMARK_MAIN();
