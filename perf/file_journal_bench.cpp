// Benchmarks of the file journal (persistence/file_journal.hpp): replay reads, whose target
// is > 2M events/s from files (DESIGN.md "Performance targets"), and appends under kNever.
//
// The read case replays 1M recorded-market-data records of ~200-byte payloads (written once
// per process, kNever, into a temp dir removed at exit) through FileJournal::read, and
// reports events_per_s over wall time plus p50/p99 per record (16-record batches, as
// latency.hpp). Its baseline in the same process, file_journal_read_crc_only, maps the same
// segment files and checksums their bytes: the floor any verified read pays, so the ratio
// shows what framing, indexing and the visitor call cost on this machine. The files are in
// the page cache (just written): this measures the journal, not the disk.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "latency.hpp"
#include "oms/persistence/crc32c.hpp"
#include "oms/persistence/file_journal.hpp"

namespace {

namespace fs = std::filesystem;
using oms::persistence::AppendRecord;
using oms::persistence::FileJournal;
using oms::persistence::FileJournalOptions;
using oms::persistence::FsyncPolicy;
using oms::persistence::StoredRecord;
using oms::persistence::StreamLayout;

// 1M records: ~250 MB, four 64 MiB segments, a second or more of replay at the goal.
constexpr std::uint64_t kRecords = 1'000'000;
constexpr std::size_t kPayloadBytes = 200;           // a book update or order event, encoded
constexpr std::uint64_t kSeed = 0x6f6d732d70657266;  // "oms-perf": fixed, so runs compare
constexpr std::string_view kStream = "MD_binance";

const StreamLayout& layout() {
  static const StreamLayout kLayout({{oms::ExchangeId::kBinance, "main"}},
                                    {oms::ExchangeId::kBinance});
  return kLayout;
}

// A directory under the system temp dir, removed when the process ends.
class TempDir {
 public:
  explicit TempDir(std::string_view tag)
      : path_(fs::temp_directory_path() /
              ("oms_file_journal_bench_" + std::string(tag) + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Market-data records: rotating symbols and kinds, payload lengths 180-220 bytes.
std::vector<AppendRecord> sample_records(std::size_t n) {
  static const char* const kSymbols[] = {"BTC-USDT",      "ETH-USDT",      "SOL-USDT",  "XRP-USDT",
                                         "BTC-USDT_USDT", "ETH-USDT_USDT", "DOGE-USDT", "BNB-USDT"};
  static const char* const kKinds[] = {"book", "trade", "ticker"};
  std::mt19937_64 rng(kSeed);
  std::vector<AppendRecord> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    AppendRecord r;
    r.subject = std::string("md.binance.spot.") + kSymbols[rng() % 8] + "." + kKinds[rng() % 3];
    std::string payload = R"({"u":)" + std::to_string(rng() % 100'000'000) +
                          R"(,"bids":[["61837.63",")" + std::to_string(rng() % 10'000) +
                          R"(.125"]],"asks":[["61837.64","0.5"]],"pad":")";
    const std::size_t target = kPayloadBytes - 20 + rng() % 41;
    payload.append(target > payload.size() + 2 ? target - payload.size() - 2 : 0, 'x');
    payload += "\"}";
    r.payload = std::move(payload);
    r.msg_id = i + 1;
    r.time = 1'723'100'000'000'000'000 + static_cast<oms::TimeNs>(i) * 100'000;
    out.push_back(std::move(r));
  }
  return out;
}

std::unique_ptr<FileJournal> open_journal(const fs::path& root) {
  FileJournalOptions options;
  options.fsync = FsyncPolicy::kNever;
  auto j = FileJournal::open(root, layout(), options);
  if (!j) std::abort();  // a temp dir we just made: a failure is a setup bug
  return std::move(j).value();
}

// The recorded stream, written once per process (the benchmark functions run many times).
struct Recorded {
  TempDir dir{"read"};
  std::unique_ptr<FileJournal> journal = open_journal(dir.path());

  Recorded() {
    const auto records = sample_records(4096);
    for (std::uint64_t i = 0; i < kRecords; ++i) {
      AppendRecord r = records[i % records.size()];
      r.msg_id = i + 1;  // unique: every append stores a record
      bool ok = false;
      journal->append(std::move(r), [&](const auto& result) { ok = result.ok(); });
      if (!ok) std::abort();
    }
  }
};

Recorded& recorded() {
  static Recorded kRecorded;
  return kRecorded;
}

// Nearest-rank percentile of samples (reorders them).
double percentile(std::vector<std::uint64_t>& samples, double q) {
  const auto n = samples.size();
  auto rank = static_cast<std::size_t>(q * static_cast<double>(n) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, n);
  auto nth = samples.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(samples.begin(), nth, samples.end());
  return static_cast<double>(*nth);
}

void file_journal_read(benchmark::State& state) {
  auto& rec = recorded();
  (void)oms::perf::ns_per_tick();  // calibrate before timing
  std::vector<std::uint64_t> samples;
  samples.reserve(kRecords / oms::perf::kBatch * 8);
  std::uint64_t events = 0, bytes = 0;
  double seconds = 0;
  oms::persistence::ReadRequest all;
  all.stream = kStream;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t n = 0;
    std::uint64_t last = oms::perf::ticks();
    auto read = rec.journal->read(all, [&](const StoredRecord& r) {
      benchmark::DoNotOptimize(r.payload.data());
      bytes += r.payload.size() + r.subject.size();
      if (++n % oms::perf::kBatch == 0) {
        const std::uint64_t now = oms::perf::ticks();
        samples.push_back(now - last);
        last = now;
      }
      return true;
    });
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!read || *read != kRecords) {
      state.SkipWithError(read ? "short read" : read.error().message.c_str());
      return;
    }
    events += n;
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events) / seconds);
  const double scale = oms::perf::ns_per_tick() / static_cast<double>(oms::perf::kBatch);
  state.counters["p50_ns"] = benchmark::Counter(percentile(samples, 0.50) * scale);
  state.counters["p99_ns"] = benchmark::Counter(percentile(samples, 0.99) * scale);
}
BENCHMARK(file_journal_read)->Unit(benchmark::kMillisecond);

// Baseline: checksum every byte of the same segment files through a mapping.
void file_journal_read_crc_only(benchmark::State& state) {
  auto& rec = recorded();
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(rec.dir.path() / kStream))
    if (e.path().extension() == ".seg") files.push_back(e.path());
  std::uint64_t events = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    std::uint32_t crc = 0;
    for (const auto& f : files) {
      const int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
      const auto size = static_cast<std::size_t>(fs::file_size(f));
      void* base = ::mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
      ::close(fd);
      if (base == MAP_FAILED) {
        state.SkipWithError("mmap failed");
        return;
      }
      crc = oms::persistence::crc32c(base, size, crc);
      ::munmap(base, size);
    }
    benchmark::DoNotOptimize(crc);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    events += kRecords;
  }
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events) / seconds);
}
BENCHMARK(file_journal_read_crc_only)->Unit(benchmark::kMillisecond);

// One append per iteration under kNever: encode, checksum, pwrite, index updates.
void file_journal_append(benchmark::State& state) {
  TempDir dir("append");
  auto journal = open_journal(dir.path());
  const auto records = sample_records(4096);
  std::uint64_t id = 0;
  oms::perf::run_timed(state, [&](std::size_t i) {
    AppendRecord r = records[i & (records.size() - 1)];
    r.msg_id = ++id;
    journal->append(std::move(r), [&](const auto& result) {
      if (!result.ok()) state.SkipWithError("append failed");
    });
  });
}
BENCHMARK(file_journal_append);

}  // namespace

BENCHMARK_MAIN();
