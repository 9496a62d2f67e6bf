// Tick to order inside omsd: venue-sim replays the recorded Binance BTCUSDT spot and USD-M
// streams at recorded speed; omsd's strategy stage runs one arbitrage pair, spot BTC/USDT
// against the USD-M perpetual (strategies.yaml `legs`), with the fees set to zero and the
// smallest profit rate, so it fires whenever the two books cross (the basis keeps them crossed
// most of the time) -- at most once per 250 ms, each leg at most 100 USDT. For every order it
// sends, omsd's connector records (signed bytes handed to the socket) - (the depth message that
// led to it read off the market-data socket): per-order timestamps, read from /metrics as
// quantiles over every strategy order of the run (oms_order_to_wire_ns{origin="market_data"}).
//
// tick_to_order: every process on both CPUs, the shard spins then parks (a laptop, CI);
// tick_to_order_cpu_plan: the production layout on two cores (see tick_to_order's comment).
// Counters: p50_ns, p99_ns, p999_ns, orders (how many were traced); handoff_p50/p99_ns: the
// engine's part (up to the signed order handed to the venue connection's queue).
// md_record_overhead: the CPU plan's p50 with the engine's inputs recorded (omsd's default)
// over the p50 of a stack with --record-inputs off, run back to back in one iteration.
// tick_to_order_cpu_plan_cold: the CPU plan with the shard's keep-warm off (--keep-warm 0), the
// in-run baseline of what keep-warm (omsd's default) gains.
#include <benchmark/benchmark.h>
#include <sched.h>

#include <filesystem>
#include <string>
#include <thread>

#include "stack.hpp"

namespace {

using namespace std::chrono_literals;

double metric(const std::string& metrics, const std::string& key) {
  const auto at = metrics.find(key);
  if (at == std::string::npos) throw std::runtime_error("no " + key + " in omsd's /metrics");
  return std::stod(metrics.substr(at + key.size()));
}

struct Traced {
  double p50 = 0, p99 = 0, p999 = 0, orders = 0, handoff50 = 0, handoff99 = 0;
};

// One stack for `seconds` of recorded market data; the strategy orders' traces at the end.
Traced run_stack(const std::filesystem::path& spot, const std::filesystem::path& usdm,
                 bool planned, bool record, bool warm, int seconds) {
  oms::omsd::test::StackOptions o;
  o.venue_flags = {"--replay", spot.string(), usdm.string(), "--speed", "1"};
  // The pair's account pays no fees at the venue either: omsd prices the legs with the rates
  // the venue states, and venue-sim's default 10 bps a leg would keep the signal quiet.
  o.venue_config = oms::omsd::test::basis_pair_venue_config();
  o.omsd_flags = {"--log-level", "warn", "--record-inputs", record ? "on" : "off"};
  if (!warm) o.omsd_flags.insert(o.omsd_flags.end(), {"--keep-warm", "0"});
  if (planned) {
    o.omsd_flags.insert(o.omsd_flags.end(),
                        {"--cpu-plan", "engine=1,io=0,daemon=0", "--engine-wait", "busy"});
  }
  oms::omsd::test::Stack stack(o);
  oms::omsd::test::use_basis_pair(stack.configs());
  oms::omsd::test::no_auto_kill_switch(stack.configs());
  stack.start_omsd();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const auto m = stack.http_get("/metrics").second;
  Traced t;
  const std::string q = "oms_order_to_wire_ns{origin=\"market_data\",quantile=\"";
  t.p50 = metric(m, q + "0.5\"} ");
  t.p99 = metric(m, q + "0.99\"} ");
  t.p999 = metric(m, q + "0.999\"} ");
  t.orders = metric(m, "oms_order_to_wire_count{origin=\"market_data\"} ");
  const std::string c = "oms_order_to_connector_ns{origin=\"market_data\",quantile=\"";
  t.handoff50 = metric(m, c + "0.5\"} ");
  t.handoff99 = metric(m, c + "0.99\"} ");
  return t;
}

// Arg 0: seconds per stack; Arg 1: the CPU plan (below); Arg 2: 1 = md_record_overhead (a stack
// with --record-inputs off, then one with it on -- the default every other figure runs -- in
// the same iteration: the ratio of their p50s); Arg 3: 1 = the shard's keep-warm off.
void tick_to_order(benchmark::State& state) {
  const std::filesystem::path shared = OMS_DEFAULT_SHARED_DATA "/hftbacktest";
  const auto spot = shared / "spot_btcusdt_20240808.gz";
  const auto usdm = shared / "usdm_btcusdt_20240808.gz";
  if (!std::filesystem::exists(spot) || !std::filesystem::exists(usdm)) {
    state.SkipWithError("the recorded BTCUSDT spot and USD-M streams are not in ../shared/data");
    return;
  }
  // The CPU plan of a production box, on two cores: everything (nats-server, venue-sim, omsd's
  // other threads) on CPU 0, omsd's engine shard alone on CPU 1, never parking
  // (Arg 1); or every process on every CPU with the shard spinning then parking (Arg 0).
  const bool planned = state.range(1) == 1;
  const bool overhead = state.range(2) == 1;
  const bool warm = state.range(3) == 0;
  cpu_set_t mine, all;
  CPU_ZERO(&all);
  sched_getaffinity(0, sizeof mine, &mine);
  if (planned) CPU_SET(0, &all);
  else for (std::size_t c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &all);
  sched_setaffinity(0, sizeof all, &all);
  Traced t, off;
  try {
    for (auto _ : state) {
      const int seconds = static_cast<int>(state.range(0));
      if (overhead) off = run_stack(spot, usdm, planned, false, warm, seconds);
      t = run_stack(spot, usdm, planned, true, warm, seconds);
    }
  } catch (const std::exception& e) {
    sched_setaffinity(0, sizeof mine, &mine);
    state.SkipWithError(e.what());
    return;
  }
  sched_setaffinity(0, sizeof mine, &mine);
  if (t.orders < 20 || (overhead && off.orders < 20)) {
    state.SkipWithError(("only " + std::to_string(std::min(t.orders, overhead ? off.orders : t.orders)) +
                         " strategy orders traced").c_str());
    return;
  }
  state.counters["p50_ns"] = t.p50;
  state.counters["p99_ns"] = t.p99;
  state.counters["p999_ns"] = t.p999;
  state.counters["orders"] = t.orders;
  // The engine's part: the depth message read -> the signed order handed to the connection.
  state.counters["handoff_p50_ns"] = t.handoff50;
  state.counters["handoff_p99_ns"] = t.handoff99;
  if (overhead) {
    state.counters["off_p50_ns"] = off.p50;
    state.counters["ratio"] = t.p50 / off.p50;
  }
}
// One iteration: 30 s of recorded market data (perf/run repeats it 5 times, a stack each).
BENCHMARK(tick_to_order)->Args({30, 0, 0, 0})->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(tick_to_order)
    ->Name("tick_to_order_cpu_plan")
    ->Args({30, 1, 0, 0})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK(tick_to_order)
    ->Name("tick_to_order_cpu_plan_cold")
    ->Args({30, 1, 0, 1})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
// Recording's cost on the hot path: the CPU plan (the quietest p50 on this box), 20 s each way.
BENCHMARK(tick_to_order)
    ->Name("md_record_overhead")
    ->Args({20, 1, 1, 0})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
