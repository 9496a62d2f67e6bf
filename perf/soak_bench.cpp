// omsd over a compressed trading day: does anything grow with the day's history?
// 200 Binance spot accounts (bench_accounts.hpp) and 24 "hours" of H wall seconds each (the
// benchmark's argument, perf/run: 12 s, a 4.8-minute run; OMS_SOAK_HOUR_S=N sets another). The flow is steady and paced: 1,000
// IOC limit buys a second over the accounts round-robin (5 an account a second: half of
// Binance's spot order limit of 100 per 10 s, which keeps this 2-core machine's stack below its
// capacity, ~1,800/s, so a growth shows the daemon's, not a queue's), each 0.5 % under the mid:
// accepted by the venue, then expired. What scales with the day is scaled by 3600/H:
// --closed-order-retention (5 minutes of a real hour: H/12 s, at least 1 s). Snapshots keep
// omsd's default (every 1,000 events of an account, and hourly by the wall clock).
// What a real day at the limits would be -- 864,000 orders an account -- is not reachable here;
// the soak is about growth over a long run, and each hour's figures are compared with the first.
//
// Sampled at each hour's end: omsd's VmRSS; its /metrics snapshot histogram
// (oms_snapshot_seconds{part="total"}: its time on the engine's shard -- the store flushed, the
// stream's sequence asked, the state encoded -- then the file written); every order's
// own round trip (SubmitOrder sent -> omsd's answer: committed, sent; not the venue's), so the
// hour's p99 is of per-order timestamps. Per-hour table on stderr.
//
// Counters: rss_growth_mb (the last hour's end minus the first's), snapshot_p99_ms (the whole
// run's, the upper bound of the histogram bucket holding the 99th percentile: bounds 1.5-2x
// apart; snapshot_shard_p99_ms its part on the engine's shard), roundtrip_p99_growth_ratio (the
// last hour's p99 / the first's), the first and last hours' p99 in us, orders, snapshots,
// refused, errors.
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_accounts.hpp"
#include "oms/api/v1/oms.grpc.pb.h"
#include "stack.hpp"

namespace {

namespace api = oms::api::v1;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kHours = 24;
constexpr int kThreads = 32;
constexpr int kOrdersPerSecond = 1'000;

// The cumulative counts of oms_snapshot_seconds_bucket{part=PART} by upper bound (+Inf last).
std::vector<std::pair<double, double>> snapshot_buckets(const std::string& metrics,
                                                        const std::string& part = "total") {
  std::vector<std::pair<double, double>> out;
  const std::string key = "oms_snapshot_seconds_bucket{part=\"" + part + "\",le=\"";
  std::istringstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    const auto q = line.find('"', key.size());
    const std::string le = line.substr(key.size(), q - key.size());
    const double bound = le == "+Inf" ? 1e300 : std::stod(le);
    out.emplace_back(bound, std::stod(line.substr(line.rfind(' ') + 1)));
  }
  return out;
}

// The upper bound of the bucket holding the p-th quantile of what `now` counted beyond `before`
// (cumulative counts, same bounds); 0 when nothing was counted.
double bucket_quantile(const std::vector<std::pair<double, double>>& now,
                       const std::vector<std::pair<double, double>>& before, double p) {
  if (now.empty()) return 0;
  const auto at = [&](std::size_t i) { return now[i].second - (before.size() == now.size() ? before[i].second : 0); };
  const double total = at(now.size() - 1);
  if (total <= 0) return 0;
  for (std::size_t i = 0; i < now.size(); ++i) {
    if (at(i) >= p * total) return now[i].first;
  }
  return now.back().first;
}

std::int64_t p99_of(std::vector<std::int64_t>& v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, v.size() * 99 / 100)];
}

struct Hour {
  double rss_mb = 0;
  std::int64_t p99_ns = 0;
  std::size_t orders = 0;
  double snapshots = 0;
  double snapshot_p99_s = 0;
};

void omsd_soak(benchmark::State& state) {
  // OMS_SOAK_HOUR_S: a longer (or shorter) hour than the registered one.
  const char* env = std::getenv("OMS_SOAK_HOUR_S");
  const std::int64_t hour_s = env != nullptr && std::atoll(env) > 0 ? std::atoll(env) : state.range(0);
  const oms::perf::AllCpus cpus;  // the stack and the clients get every CPU
  try {
    oms::omsd::test::StackOptions o;
    o.venue_flags = oms::perf::bench_venue_flags();
    const auto retention_s = std::max<std::int64_t>(1, 300 * hour_s / 3600);
    o.omsd_flags = {"--log-level", "warn", "--venue-connections", "8", "--closed-order-retention",
                    std::to_string(retention_s)};
    o.edit_configs = oms::perf::bench_accounts_configs;
    oms::omsd::test::Stack stack(o);
    const std::string token(64, '5');
    oms::perf::write_bench_token(stack, token);
    // OMS_SOAK_OMSD_ENV="K=V K=V": omsd's extra environment (see omsd_env_from).
    stack.start_omsd(oms::perf::omsd_env_from("OMS_SOAK_OMSD_ENV"));
    const std::string price = oms::perf::price_under_mid(stack);
    const auto channels = oms::perf::bench_channels(stack, 4);
    oms::perf::lift_bench_limits(channels[0], token);

    std::atomic<std::uint64_t> refused{0}, errors{0};
    std::mutex first_mutex;
    std::string first_problem;
    // Each thread's round trips by hour; merged after the run.
    std::vector<std::vector<std::vector<std::int64_t>>> trips(
        kThreads, std::vector<std::vector<std::int64_t>>(kHours));
    std::vector<Hour> hours(kHours);
    const auto hour = std::chrono::seconds(hour_s);
    const auto t0 = Clock::now() + 200ms;
    for (auto _ : state) {
      std::vector<std::thread> clients;
      for (int t = 0; t < kThreads; ++t) {
        clients.emplace_back([&, t] {
          auto stub = api::Oms::NewStub(channels[static_cast<std::size_t>(t) % channels.size()]);
          for (std::uint64_t n = 0;; ++n) {
            const std::uint64_t k = n * kThreads + static_cast<std::uint64_t>(t);
            const auto due = t0 + std::chrono::nanoseconds(k * 1'000'000'000ULL / kOrdersPerSecond);
            if (due >= t0 + kHours * hour) break;
            std::this_thread::sleep_until(due);  // behind: sent at once (the next catches up)
            api::SubmitOrderRequest r;
            r.set_account(oms::perf::bench_account(static_cast<int>(k % oms::perf::kBenchAccounts)));
            r.set_instrument("BTC/USDT");
            r.set_client_order_id("S" + std::to_string(t) + "-" + std::to_string(n));
            r.set_side("buy");
            r.set_tif("ioc");
            r.set_price(price);
            r.set_quantity("0.001");
            grpc::ClientContext ctx;
            ctx.AddMetadata("authorization", "Bearer " + token);
            ctx.set_deadline(std::chrono::system_clock::now() + 10s);
            api::CommandReply reply;
            const auto sent = Clock::now();
            const auto st = stub->SubmitOrder(&ctx, r, &reply);
            const auto took = Clock::now() - sent;
            const auto h = static_cast<std::size_t>((sent - t0) / hour);
            if (!st.ok() || !reply.accepted()) {
              (st.ok() ? refused : errors).fetch_add(1);
              std::lock_guard lock(first_mutex);
              if (first_problem.empty()) {
                first_problem = st.ok() ? std::to_string(reply.code()) + " " + reply.message()
                                        : st.error_message();
              }
              continue;
            }
            if (h < kHours) trips[static_cast<std::size_t>(t)][h].push_back(took.count());
          }
        });
      }
      // Each hour's end: omsd's memory and its snapshot histogram.
      std::vector<std::pair<double, double>> before;
      for (int h = 0; h < kHours; ++h) {
        std::this_thread::sleep_until(t0 + (h + 1) * hour);
        hours[static_cast<std::size_t>(h)].rss_mb = oms::perf::omsd_rss_mb(stack);
        const auto [code, metrics] = stack.http_get("/metrics");
        if (code != 200) throw std::runtime_error("/metrics answered " + std::to_string(code));
        const auto now = snapshot_buckets(metrics);
        if (now.empty()) throw std::runtime_error("/metrics has no oms_snapshot_seconds_bucket{part=\"total\"}");
        auto& out = hours[static_cast<std::size_t>(h)];
        out.snapshots = now.back().second - (before.empty() ? 0 : before.back().second);
        out.snapshot_p99_s = bucket_quantile(now, before, 0.99);
        before = now;
      }
      for (auto& c : clients) c.join();
    }
    for (int h = 0; h < kHours; ++h) {
      std::vector<std::int64_t> all_trips;
      for (auto& per_thread : trips) {
        auto& v = per_thread[static_cast<std::size_t>(h)];
        all_trips.insert(all_trips.end(), v.begin(), v.end());
      }
      auto& out = hours[static_cast<std::size_t>(h)];
      out.orders = all_trips.size();
      out.p99_ns = p99_of(all_trips);
      std::fprintf(stderr, "soak hour %2d: %6zu orders, round trip p99 %8.1f us, rss %7.1f MB, %5.0f snapshots, snapshot p99 <= %.1f ms\n",
                   h + 1, out.orders, static_cast<double>(out.p99_ns) / 1e3, out.rss_mb, out.snapshots,
                   out.snapshot_p99_s * 1e3);
    }
    if (!first_problem.empty()) std::fprintf(stderr, "soak: first refusal or error: %s\n", first_problem.c_str());
    const auto [code, metrics] = stack.http_get("/metrics");
    const auto whole = snapshot_buckets(metrics);
    const double snapshots = whole.empty() ? 0 : whole.back().second;
    const Hour& first = hours.front();
    const Hour& last = hours.back();
    state.counters["rss_growth_mb"] = last.rss_mb - first.rss_mb;
    state.counters["rss_first_hour_mb"] = first.rss_mb;
    state.counters["snapshot_p99_ms"] = bucket_quantile(whole, {}, 0.99) * 1e3;
    state.counters["snapshot_shard_p99_ms"] = bucket_quantile(snapshot_buckets(metrics, "shard"), {}, 0.99) * 1e3;
    state.counters["snapshots"] = snapshots;
    state.counters["roundtrip_p99_growth_ratio"] =
        first.p99_ns > 0 ? static_cast<double>(last.p99_ns) / static_cast<double>(first.p99_ns) : 0;
    state.counters["roundtrip_p99_first_hour_us"] = static_cast<double>(first.p99_ns) / 1e3;
    state.counters["roundtrip_p99_last_hour_us"] = static_cast<double>(last.p99_ns) / 1e3;
    std::size_t orders = 0;
    for (const auto& h : hours) orders += h.orders;
    state.counters["orders"] = static_cast<double>(orders);
    state.counters["refused"] = static_cast<double>(refused.load());
    state.counters["errors"] = static_cast<double>(errors.load());
    if (code != 200 || snapshots == 0) state.SkipWithError("omsd wrote no account snapshot during the soak");
    if (errors.load() > 0 || refused.load() > 0) {
      state.SkipWithError(("orders refused or failed: " + first_problem).c_str());
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
// One run (perf/run takes it as it is): 24 hours of 12 s.
BENCHMARK(omsd_soak)->Arg(12)->Iterations(1)->Repetitions(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
