// Benchmark of the intent log's hot path: IntentLog::append of a ~250-byte order event into the
// default 64 MiB ring in /dev/shm, p50/p99/p99.9 per append (latency.hpp).
//
// The publisher is played by the same thread: after each timed batch of appends it marks done
// every entry more than kPublisherLag appends old, so the ring never fills and the appends walk
// the whole 64 MiB as in production (cold lines, not a cache-resident loop). The marking is
// outside the timed batches: the percentiles are of appends alone, while Google Benchmark's
// time per iteration includes it. The baseline in the same process is the obvious
// alternative, pwrite(2) of the same record into a /dev/shm file: one syscall per event.
// perf/run runs this binary and compares the medians with the goals.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "latency.hpp"
#include "oms/persistence/intent_log.hpp"

namespace {

using oms::perf::kBatch;
using oms::perf::LatencyRecorder;

// Payloads per run: a power of two (the index is masked), enough distinct ids and prices that
// nothing is constant.
constexpr std::size_t kPayloadCount = 256;
// Entries left not done behind the producer: ~90 us of JetStream round trip at ~40k orders/s
// is a handful; 4096 is a publisher well behind, still far from filling 64 MiB.
constexpr std::uint64_t kPublisherLag = 4096;
constexpr std::uint64_t kSeed = 0x6f6d732d70657266;  // "oms-perf": fixed, so runs compare
constexpr std::string_view kSubject = "orders.binance.main.spot.BTC-USDT";
constexpr oms::EventId kFirstEventId = 1'000'000'000;
constexpr oms::TimeNs kFirstTime = 1'717'171'717'000'000'000;

// Canonical-JSON OrderSubmitted events of 240 to 260 bytes.
std::vector<std::string> order_payloads() {
  std::mt19937_64 rng(kSeed);
  std::vector<std::string> out;
  while (out.size() < kPayloadCount) {
    char buf[512];
    const auto id = kFirstEventId + out.size();
    const int n = std::snprintf(
        buf, sizeof buf,
        R"({"type":"order_submitted","id":%llu,"seq":%llu,"init_time":%lld,)"
        R"("client_order_id":"arb1-%08llx","account":"main","symbol":"BTC-USDT",)"
        R"("side":"%s","order_type":"limit","tif":"gtc","price":"%llu.%02llu",)"
        R"("quantity":"0.%05llu","reduce_only":false})",
        static_cast<unsigned long long>(id), static_cast<unsigned long long>(rng() % 100'000'000),
        static_cast<long long>(kFirstTime), static_cast<unsigned long long>(rng() & 0xffffffff),
        (rng() & 1) != 0 ? "buy" : "sell", static_cast<unsigned long long>(59'000 + rng() % 5'000),
        static_cast<unsigned long long>(rng() % 100),
        static_cast<unsigned long long>(rng() % 100'000));
    out.emplace_back(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// A file in /dev/shm for one benchmark run, removed after it.
class ShmPath {
 public:
  explicit ShmPath(const char* name)
      : path_("/dev/shm/oms-intent-bench-" + std::to_string(::getpid()) + "-" + name) {
    ::unlink(path_.c_str());
  }
  ~ShmPath() { ::unlink(path_.c_str()); }
  ShmPath(const ShmPath&) = delete;
  ShmPath& operator=(const ShmPath&) = delete;
  [[nodiscard]] const std::string& str() const { return path_; }

 private:
  std::string path_;
};

void bench_intent_log_append(benchmark::State& state) {
  const auto payloads = order_payloads();
  const ShmPath path("append");
  auto opened = oms::persistence::IntentLog::open(path.str());
  if (!opened) return state.SkipWithError(opened.error().message.c_str());
  auto& log = **opened;

  LatencyRecorder recorder(state);
  std::uint64_t i = 0;
  std::uint64_t marked = 0;  // entries marked done so far (seqs 1..marked)
  bool failed = false;
  while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(kBatch))) {
    recorder.start();
    for (std::size_t k = 0; k < kBatch; ++k, ++i) {
      auto seq = log.append(kSubject, payloads[i & (kPayloadCount - 1)], kFirstEventId + i,
                            kFirstTime + static_cast<oms::TimeNs>(i));
      failed |= !seq.ok();
      benchmark::DoNotOptimize(seq);
    }
    recorder.lap();
    while (marked + kPublisherLag < i) log.mark_done(++marked);
  }
  if (failed) return state.SkipWithError("an append failed");
  recorder.report(state);
  state.SetItemsProcessed(state.iterations());
}

void bench_pwrite_baseline(benchmark::State& state) {
  const auto payloads = order_payloads();
  const ShmPath path("pwrite");
  const int fd = ::open(path.str().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return state.SkipWithError("cannot create the baseline's file");
  // The same bytes the intent log writes: a 40-byte header, the subject and the payload.
  constexpr std::size_t kHeaderBytes = 40;
  constexpr off_t kFileBytes = off_t{64} << 20;
  std::vector<std::string> records;
  for (const auto& p : payloads) {
    std::string r(kHeaderBytes, '\0');
    r.append(kSubject);
    r.append(p);
    records.push_back(std::move(r));
  }
  LatencyRecorder recorder(state);
  std::uint64_t i = 0;
  off_t offset = 0;
  bool failed = false;
  while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(kBatch))) {
    recorder.start();
    for (std::size_t k = 0; k < kBatch; ++k, ++i) {
      const std::string& r = records[i & (kPayloadCount - 1)];
      failed |= ::pwrite(fd, r.data(), r.size(), offset) != static_cast<ssize_t>(r.size());
      offset += static_cast<off_t>(r.size());
      if (offset > kFileBytes) offset = 0;
    }
    recorder.lap();
  }
  ::close(fd);
  if (failed) return state.SkipWithError("a pwrite failed");
  recorder.report(state);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

// Names are the figures' stems in perf/run.
BENCHMARK(bench_intent_log_append)->Name("intent_log_append");
BENCHMARK(bench_pwrite_baseline)->Name("intent_log_append_pwrite");

BENCHMARK_MAIN();
