// Pins persistence/src/snapshot.cpp: the hourly layout and file format, the choice of snapshot
// on recovery (falling back past damaged or refused ones), and that a writer killed at any
// instant never leaves a partial snapshot behind.
#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <cstring>
#include <cstdio>

#include "oms/persistence/crc32c.hpp"
#include "oms/persistence/snapshot.hpp"
#include "testkit/temp_dir.hpp"

using namespace oms;
using namespace oms::persistence;
namespace fs = std::filesystem;

namespace {

using testkit::TempDir;  // a fresh directory per test, removed at the end

TimeNs utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  const auto day = sys_days{year_month_day{year{y}, month{mo}, std::chrono::day{d}}};
  return duration_cast<nanoseconds>((day + hours{h} + minutes{mi} + seconds{s}).time_since_epoch())
      .count();
}

constexpr TimeNs kMinute = 60'000'000'000;
constexpr std::uint64_t kAll = std::numeric_limits<std::uint64_t>::max();
constexpr const char* kStream = "ACCOUNT_binance_main";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::uint64_t loaded_sequence(const SnapshotStore& store, const char* account, std::uint64_t max) {
  auto r = store.load_latest(account, kStream, max);
  REQUIRE(r.ok());
  REQUIRE(r->snapshot.has_value());
  return r->snapshot->sequence;
}

// A pid that is certainly not running: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

std::vector<std::string> temp_files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.starts_with("state.tmp.")) out.push_back(name);
  }
  return out;
}

std::vector<std::string> snapshot_files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.ends_with(".snap")) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Bytes that are not text: the store must not care.
std::string bytes_of(std::uint64_t n) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &n, 8);
  return s + std::string("\0\xff\n", 3) + std::to_string(n);
}

const std::string kSeq42Name = "state-00000000000000000042.snap";

}  // namespace

TEST_CASE("snapshots are snapshots/YYYY/MM/DD/HH/{escaped account}/state-{seq}.snap in UTC: a JSON header line, then the bytes") {
  TempDir dir;
  SnapshotStore store(dir.path());
  CHECK(store.dir_for("main", utc(2024, 8, 9, 7, 5, 3)) == dir.path() / "snapshots/2024/08/09/07/main");
  CHECK(store.dir_for("main", utc(2024, 8, 9) - 1) == dir.path() / "snapshots/2024/08/08/23/main");
  CHECK(store.dir_for("../sub.arb", utc(2025, 1, 1)) ==
        dir.path() / "snapshots/2025/01/01/00/~2E~2E~2Fsub~2Earb");

  const std::string state = bytes_of(7);
  auto w = store.write("main", kStream, 42, utc(2024, 8, 9, 7, 5, 3), state);
  REQUIRE(w.ok());
  CHECK(*w == SnapshotWrite::kWritten);
  const std::string file = read_text(dir.path() / "snapshots/2024/08/09/07/main" / kSeq42Name);
  const auto nl = file.find('\n');
  REQUIRE(nl != std::string::npos);
  CHECK(file.substr(0, nl) ==
        R"({"account":"main","bytes":)" + std::to_string(state.size()) + R"(,"crc32c":")" +
            [&] {
              char hex[9];
              std::snprintf(hex, sizeof hex, "%08x", crc32c(state));
              return std::string(hex);
            }() +
            R"(","format":"oms-snapshot","sequence":42,"stream":"ACCOUNT_binance_main","time":)" +
            std::to_string(utc(2024, 8, 9, 7, 5, 3)) + R"(,"version":1})");
  CHECK(file.substr(nl + 1) == state);
  CHECK(temp_files_in(dir.path() / "snapshots/2024/08/09/07/main").empty());
}

TEST_CASE("load_latest picks the highest sequence not above max_sequence across hours, days, years") {
  TempDir dir;
  SnapshotStore store(dir.path());
  const std::pair<TimeNs, std::uint64_t> writes[] = {
      {utc(2024, 12, 30, 10), 100}, {utc(2024, 12, 30, 11), 200}, {utc(2024, 12, 31, 23), 300},
      {utc(2025, 1, 1, 0), 400},    {utc(2025, 1, 1, 5), 500}};
  for (const auto& [time, seq] : writes) {
    REQUIRE(store.write("main", kStream, seq, time, bytes_of(seq)).ok());
  }
  // Other accounts and a renamed stream of the same account are not ours.
  REQUIRE(store.write("other", "ACCOUNT_binance_other", 999, utc(2025, 1, 1, 6), "x").ok());
  REQUIRE(store.write("main", "ACCOUNT_old_name", 450, utc(2025, 1, 1, 7), "x").ok());

  CHECK(loaded_sequence(store, "main", kAll) == 500);
  CHECK(loaded_sequence(store, "main", 499) == 400);
  CHECK(loaded_sequence(store, "main", 400) == 400);
  CHECK(loaded_sequence(store, "main", 399) == 300);
  CHECK(loaded_sequence(store, "main", 250) == 200);
  CHECK(loaded_sequence(store, "main", 100) == 100);

  auto r = store.load_latest("main", kStream, 399);
  REQUIRE(r.ok());
  REQUIRE(r->snapshot.has_value());
  CHECK(r->snapshot->account == "main");
  CHECK(r->snapshot->stream == kStream);
  CHECK(r->snapshot->time == utc(2024, 12, 31, 23));
  CHECK(r->snapshot->state == bytes_of(300));
  CHECK(r->snapshot->path == dir.path() / "snapshots/2024/12/31/23/main/state-00000000000000000300.snap");
  CHECK(r->skipped.empty());

  auto none = store.load_latest("main", kStream, 99);
  REQUIRE(none.ok());
  CHECK_FALSE(none->snapshot.has_value());
  auto nobody = store.load_latest("nobody", kStream, kAll);
  REQUIRE(nobody.ok());
  CHECK_FALSE(nobody->snapshot.has_value());
  SnapshotStore empty(dir.path() / "never-written");
  auto nothing = empty.load_latest("main", kStream, kAll);
  REQUIRE(nothing.ok());
  CHECK_FALSE(nothing->snapshot.has_value());
}

TEST_CASE("an hour keeps its newest snapshot and the one before; an older sequence is never written over a newer one") {
  TempDir dir;
  SnapshotStore store(dir.path());
  const TimeNs hour = utc(2024, 8, 9, 7);
  const fs::path account_dir = store.dir_for("main", hour);
  CHECK(*store.write("main", kStream, 10, hour, "v10") == SnapshotWrite::kWritten);
  CHECK(*store.write("main", kStream, 20, hour + 30 * kMinute, "v20") == SnapshotWrite::kWritten);
  CHECK(*store.write("main", kStream, 15, hour + 45 * kMinute, "v15") == SnapshotWrite::kKeptNewer);
  auto r = store.load_latest("main", kStream, kAll);
  REQUIRE(r.ok());
  CHECK(r->snapshot->state == "v20");
  CHECK(r->snapshot->time == hour + 30 * kMinute);
  CHECK(*store.write("main", kStream, 20, hour + 50 * kMinute, "v20b") == SnapshotWrite::kWritten);
  r = store.load_latest("main", kStream, kAll);
  REQUIRE(r.ok());
  CHECK(r->snapshot->state == "v20b");
  CHECK(*store.write("main", kStream, 30, hour + 55 * kMinute, "v30") == SnapshotWrite::kWritten);
  CHECK(snapshot_files_in(account_dir) == std::vector<std::string>{"state-00000000000000000020.snap",
                                                                   "state-00000000000000000030.snap"});
  CHECK(temp_files_in(account_dir).empty());
}

TEST_CASE("a damaged snapshot is passed over with a note naming its file and why: the previous one loads") {
  TempDir dir;
  SnapshotStore store(dir.path());
  REQUIRE(store.write("main", kStream, 100, utc(2024, 8, 9, 10), "good-100").ok());
  REQUIRE(store.write("main", kStream, 150, utc(2024, 8, 9, 11), "good-150").ok());
  const fs::path bad = store.dir_for("main", utc(2024, 8, 9, 11)) / "state-00000000000000000150.snap";
  std::string text = read_text(bad);
  std::string why;
  SUBCASE("a flipped bit in the state") {
    text.back() = static_cast<char>(text.back() ^ 0x01);
    why = "checksum";
  }
  SUBCASE("truncated") {
    text.pop_back();
    why = "state bytes, the header says";
  }
  SUBCASE("not a snapshot at all") {
    text = "\x01garbage";
    why = "no header line";
  }
  SUBCASE("a header that does not parse") {
    text = "{\"format\":\"oms-snapshot\",\n" + text;
    why = "header";
  }
  SUBCASE("a newer format version") {
    const auto at = text.find("\"version\":1");
    REQUIRE(at != std::string::npos);
    text.replace(at, 11, "\"version\":9");
    why = "format version 9";
  }
  SUBCASE("another account's file") {
    const auto at = text.find("\"account\":\"main\"");
    text.replace(at, 16, "\"account\":\"evil\"");
    why = "holds account 'evil'";
  }
  write_text(bad, text);
  auto r = store.load_latest("main", kStream, kAll);
  REQUIRE(r.ok());
  REQUIRE(r->snapshot.has_value());
  CHECK(r->snapshot->sequence == 100);
  CHECK(r->snapshot->state == "good-100");
  REQUIRE(r->skipped.size() == 1);
  CHECK(r->skipped[0].starts_with(bad.string() + ": "));
  CHECK_MESSAGE(r->skipped[0].find(why) != std::string::npos, r->skipped[0]);
}

TEST_CASE("a snapshot the caller refuses falls back to the previous one, then to none") {
  TempDir dir;
  SnapshotStore store(dir.path());
  const TimeNs hour = utc(2024, 8, 9, 7);
  REQUIRE(store.write("main", kStream, 5, hour - 60 * kMinute, "old").ok());
  REQUIRE(store.write("main", kStream, 10, hour, "mid").ok());
  REQUIRE(store.write("main", kStream, 20, hour + kMinute, "new").ok());
  std::vector<std::string> asked;
  auto r = store.load_latest("main", kStream, kAll, [&](const Snapshot& s) -> std::optional<std::string> {
    asked.push_back(s.state);
    if (s.state == "old") return std::nullopt;
    return "state version 9, this build reads 1";
  });
  REQUIRE(r.ok());
  CHECK(asked == std::vector<std::string>{"new", "mid", "old"});
  REQUIRE(r->snapshot.has_value());
  CHECK(r->snapshot->sequence == 5);
  REQUIRE(r->skipped.size() == 2);
  CHECK(r->skipped[0].find("state-00000000000000000020.snap: state version 9") != std::string::npos);

  auto none = store.load_latest("main", kStream, kAll,
                                [](const Snapshot&) { return std::optional<std::string>("no"); });
  REQUIRE(none.ok());
  CHECK_FALSE(none->snapshot.has_value());
  CHECK(none->skipped.size() == 3);
}

TEST_CASE("temp files of dead writers are ignored and removed; a live writer's are kept") {
  TempDir dir;
  SnapshotStore store(dir.path());
  const TimeNs hour = utc(2024, 8, 9, 7);
  REQUIRE(store.write("main", kStream, 7, hour, "good").ok());
  const fs::path account_dir = store.dir_for("main", hour);
  const std::string dead = "state.tmp." + std::to_string(dead_pid()) + ".0";
  const std::string live = "state.tmp." + std::to_string(::getpid()) + ".999";
  write_text(account_dir / dead, R"({"account":"main","stream":"ACC)");
  write_text(account_dir / live, R"({"account":"main")");

  auto r = store.load_latest("main", kStream, kAll);
  REQUIRE(r.ok());
  REQUIRE(r->snapshot.has_value());
  CHECK(r->snapshot->sequence == 7);
  CHECK(r->snapshot->state == "good");
  CHECK(temp_files_in(account_dir) == std::vector<std::string>{live});
}

TEST_CASE("a writer killed at a random instant leaves the old snapshot or the whole new one") {
  TempDir dir;
  SnapshotStore store(dir.path());
  // Big enough that writing and fsyncing take tens of milliseconds.
  constexpr std::size_t kBytes = 24 << 20;
  std::string big(kBytes, '\0');
  std::mt19937_64 fill(7);
  for (std::size_t i = 0; i + 8 <= big.size(); i += 8) {
    const std::uint64_t v = fill();
    std::memcpy(big.data() + i, &v, 8);
  }
  const std::string old_state = "old";
  const TimeNs hour = utc(2024, 8, 9, 7);

  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  using std::chrono::steady_clock;
  // The fastest of three: the machine is shared, and one slow sample would push every kill
  // past the end of the write.
  long write_us = std::numeric_limits<long>::max();
  for (std::uint64_t i = 1; i <= 3; ++i) {
    auto t0 = steady_clock::now();
    REQUIRE(store.write("timing", kStream, i, hour, big).ok());
    write_us = std::min(write_us, duration_cast<microseconds>(steady_clock::now() - t0).count());
  }

  constexpr std::uint64_t kSeed = 20240809;
  constexpr int kRuns = 20;
  // On a loaded machine (the asan build beside other tests) a timed kill can miss every
  // write; then more runs kill at the moment the temp file appears, until one lands
  // mid-write (bounded).
  constexpr int kMaxRuns = 200;
  std::mt19937_64 rng(kSeed);
  // Even runs: killed up to 1.3x the write time after fork, anywhere from the checksum to
  // after the rename. Odd runs: killed within the write time after the temp file appears.
  std::uniform_int_distribution<long> any_time_us(0, write_us * 13 / 10);
  std::uniform_int_distribution<long> io_time_us(0, write_us);
  int old_seen = 0, new_seen = 0, temps_left = 0;
  int runs = 0;
  for (int run = 0; run < kMaxRuns && (run < kRuns || temps_left == 0); ++run) {
    ++runs;
    const std::string account = "acct-" + std::to_string(run);
    REQUIRE(store.write(account, kStream, 10, hour, old_state).ok());
    const fs::path account_dir = store.dir_for(account, hour);
    const bool after_temp = run % 2 == 1 || run >= kRuns;
    const long delay = run >= kRuns ? 0 : after_temp ? io_time_us(rng) : any_time_us(rng);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto w = store.write(account, kStream, 11, hour + kMinute, big);
      ::_exit(w.ok() ? 0 : 1);
    }
    int status = 0;
    bool reaped = false;
    while (after_temp && temp_files_in(account_dir).empty()) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {  // finished before we saw its temp
        reaped = true;
        break;
      }
      std::this_thread::sleep_for(microseconds(50));
    }
    if (!reaped) {
      std::this_thread::sleep_for(microseconds(delay));
      ::kill(pid, SIGKILL);
      REQUIRE(::waitpid(pid, &status, 0) == pid);
    }
    if (WIFEXITED(status)) CHECK(WEXITSTATUS(status) == 0);  // finished before the kill

    temps_left += temp_files_in(account_dir).empty() ? 0 : 1;
    auto r = store.load_latest(account, kStream, kAll);
    REQUIRE_MESSAGE(r.ok(), "run " << run << " (seed " << kSeed << ", delay " << delay
                                   << " us): " << r.error().message);
    REQUIRE(r->snapshot.has_value());
    CHECK(r->skipped.empty());  // never a partial file under a final name
    if (r->snapshot->sequence == 10) {
      CHECK(r->snapshot->state == old_state);
      ++old_seen;
    } else {
      CHECK(r->snapshot->sequence == 11);
      CHECK(r->snapshot->state == big);
      ++new_seen;
    }
    CHECK(temp_files_in(account_dir).empty());  // the dead writer's temp is gone
  }
  MESSAGE("seed " << kSeed << ", " << kBytes << " bytes, write " << write_us << " us, " << runs
                  << " runs: old " << old_seen << ", new " << new_seen
                  << ", killed mid-write (temp left) " << temps_left);
  CHECK(old_seen + new_seen == runs);
  CHECK(temps_left > 0);  // the test did kill writers in the middle of a write
}

TEST_CASE("write_async writes in call order on the writer thread; drain waits for them") {
  TempDir dir;
  std::atomic<int> done{0};
  {
    SnapshotStore store(dir.path());
    for (std::uint64_t seq = 1; seq <= 20; ++seq) {
      store.write_async("main", std::string(kStream), seq, utc(2024, 8, 9, 7), bytes_of(seq),
                        [&done](const Result<SnapshotWrite, StoreError>& r) {
                          CHECK(r.ok());
                          ++done;
                        });
    }
    store.drain();
    CHECK(done == 20);
    // The last write wins (same hour, rising sequences).
    const auto s = store.load_latest("main", kStream, UINT64_MAX);
    REQUIRE(s.ok());
    REQUIRE(s->snapshot.has_value());
    CHECK(s->snapshot->sequence == 20);
    CHECK(s->snapshot->state == bytes_of(20));
    // Queued but not drained: the destructor waits for it.
    store.write_async("main", std::string(kStream), 21, utc(2024, 8, 9, 7), bytes_of(21), nullptr);
  }
  SnapshotStore again(dir.path());
  CHECK(again.load_latest("main", kStream, UINT64_MAX)->snapshot->sequence == 21);
}
