// A snapshot of one account with a long history: the engine's own steps, timed per snapshot.
//   snapshot_write_N   an account that has traded N orders (each submitted, sent, accepted and
//                      filled, on a spot and a USD-M instrument: order_history.hpp; 20 orders
//                      still open) and
//                      has run its closed-order retention, as omsd's housekeeping does: the desk's
//                      compacted state encoded (OrderDesk::save, on the engine's shard) and the
//                      file written durably (SnapshotStore::write: temp, fsync, rename, fsync).
//                      p50/p99 over 40 snapshots, each timed alone (milliseconds: a clock read is
//                      nothing beside them); encode_us is the shard's part, bytes the file's size.
// The goal is the same figure for 1,000 and 100,000 past orders: a snapshot's cost follows what
// the account holds (open orders, the last 10,000 fills, balances, positions), not its history.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "oms/cores/order_desk.hpp"
#include "oms/persistence/snapshot.hpp"
#include "order_history.hpp"

namespace {

using namespace oms;
using namespace oms::actors;

constexpr TimeNs kT0 = perf::kHistoryStart;
constexpr TimeNs kRetention = 300'000'000'000;
constexpr int kSnapshots = 40;
constexpr std::uint64_t kOpen = 20;

// N orders through their whole life, then the ones still open, then the retention.
void trade(OrderDesk& desk, std::uint64_t past) {
  std::uint64_t seq = 0;
  perf::past_orders(past, kOpen, [&](TimeNs t, const std::vector<EventPayload>& group) {
    for (const EventPayload& p : group) {
      ++seq;
      (void)desk.apply(Event{Envelope{seq << 8U | 1U, seq, t, t, 0, 0}, p});
    }
  });
  const TimeNs end = kT0 + static_cast<TimeNs>(past + kOpen) * 1'000'000;
  (void)desk.retire_closed(end + kRetention, kRetention);
}

void snapshot_write(benchmark::State& state, std::uint64_t past) {
  const InstrumentTable instruments = *InstrumentTable::from(perf::history_instruments());
  const Directory dir_names = perf::history_names();
  OrderDesk desk(OrderDeskConfig{AccountId(0), "main", &instruments, 5'000'000'000});
  trade(desk, past);
  const auto root = std::filesystem::temp_directory_path() /
                    ("oms-snapshot-bench-" + std::to_string(::getpid()));
  std::vector<double> total_ms, encode_us;
  std::size_t bytes = 0;
  {
    persistence::SnapshotStore store(root);
    std::uint64_t sequence = 0;
    for (auto _ : state) {
      for (int i = 0; i < kSnapshots; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        const std::string s = desk.save(dir_names);
        const auto t1 = std::chrono::steady_clock::now();
        auto w = store.write("main", "ACCOUNT_binance_main", ++sequence, kT0, s);
        const auto t2 = std::chrono::steady_clock::now();
        if (!w) {
          state.SkipWithError(w.error().message.c_str());
          break;
        }
        bytes = s.size();
        encode_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        total_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
      }
    }
  }
  std::filesystem::remove_all(root);
  const auto pct = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  };
  state.counters["p50_ms"] = pct(total_ms, 0.5);
  state.counters["p99_ms"] = pct(total_ms, 0.99);
  state.counters["encode_us"] = pct(encode_us, 0.5);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["orders_held"] = static_cast<double>(desk.order_count());
}

void snapshot_write_1k(benchmark::State& state) { snapshot_write(state, 1'000); }
void snapshot_write_100k(benchmark::State& state) { snapshot_write(state, 100'000); }
BENCHMARK(snapshot_write_1k)->Iterations(1)->Repetitions(1)->Unit(benchmark::kMillisecond);
BENCHMARK(snapshot_write_100k)->Iterations(1)->Repetitions(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
