// IntentLog: append / mark_done / pending in one process, crash recovery across a SIGKILL
// (forked children), replay into a deduplicating in-memory EventStore, header validation.
#include "oms/persistence/intent_log.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace oms;
using namespace oms::persistence;

namespace doctest {
template <>
struct StringMaker<IntentEntry> {
  static String convert(const IntentEntry& e) {
    return ("{seq " + std::to_string(e.intent_seq) + ", " + e.subject + ", " +
            std::to_string(e.payload.size()) + " payload bytes, msg_id " +
            std::to_string(e.msg_id) + "}")
        .c_str();
  }
};
}  // namespace doctest

namespace {

constexpr std::uint64_t kSmallRing = std::uint64_t{64} << 10;               // 64 KiB, the minimum
constexpr std::string_view kSubject = "orders.binance.main.spot.BTC-USDT";  // 33 bytes
// 40-byte record header + 33 + 55 = 128 bytes: 512 records fill a 64 KiB ring exactly.
constexpr std::size_t kFixedPayloadBytes = 55;
constexpr std::uint64_t kFixedRecords = kSmallRing / 128;
constexpr EventId kFirstMsgId = 7'000'000'000;
constexpr TimeNs kFirstTime = 1'717'171'717'000'000'000;
using Seqs = std::initializer_list<std::uint64_t>;

// A unique file in /dev/shm, removed when the test ends however it ends.
class ShmFile {
 public:
  ShmFile() {
    static std::atomic<int> counter{0};
    path_ = "/dev/shm/oms-intent-test-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter.fetch_add(1, std::memory_order_relaxed)) + ".log";
    std::filesystem::remove(path_);
  }
  ~ShmFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  ShmFile(const ShmFile&) = delete;
  ShmFile& operator=(const ShmFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Distinct subjects and payloads; entry(seq) takes those of seq % kDistinct.
constexpr std::uint64_t kDistinct = 1024;

// Subjects and payloads of 0 to ~700 bytes, some with NUL and non-ASCII bytes, so framing and
// wrap-around are exercised. Built once, so a crash test's child loop is all appends.
const std::vector<IntentEntry>& entry_table() {
  static const std::vector<IntentEntry> kTable = [] {
    std::vector<IntentEntry> out;
    for (std::uint64_t n = 0; n < kDistinct; ++n) {
      std::string payload =
          R"({"type":"order_submitted","n":)" + std::to_string(n) + R"(,"px":"61837.63"})";
      payload.append((n * 37) % 683, static_cast<char>('a' + n % 26));
      if (n % 5 == 0) payload += std::string("\0\xff\x01", 3);
      if (n % 11 == 0) payload.clear();
      out.push_back(
          IntentEntry{0, std::string(kSubject) + "." + std::to_string(n % 7), payload, 0, 0});
    }
    return out;
  }();
  return kTable;
}

// The deterministic entry with intent seq `seq` (the seq-th append of a fresh log).
IntentEntry entry(std::uint64_t seq) {
  IntentEntry e = entry_table()[seq % kDistinct];
  e.intent_seq = seq;
  e.msg_id = kFirstMsgId + seq;
  e.time = kFirstTime + static_cast<TimeNs>(seq);
  return e;
}

// Appends entry(seq) without copying it.
Result<std::uint64_t, StoreError> append_entry(IntentLog& log, std::uint64_t seq) {
  const IntentEntry& e = entry_table()[seq % kDistinct];
  return log.append(e.subject, e.payload, kFirstMsgId + seq, kFirstTime + static_cast<TimeNs>(seq));
}

// An entry whose record takes exactly 128 bytes.
IntentEntry fixed_entry(std::uint64_t seq) {
  std::string payload = std::to_string(seq);
  payload.resize(kFixedPayloadBytes, '.');
  return IntentEntry{seq, std::string(kSubject), payload, kFirstMsgId + seq,
                     kFirstTime + static_cast<TimeNs>(seq)};
}

std::unique_ptr<IntentLog> open_log(const std::string& path,
                                    IntentLogOptions options = {kSmallRing, 0}) {
  auto log = IntentLog::open(path, options);
  if (!log) FAIL(log.error().message);
  return std::move(log).value();
}

Result<std::uint64_t, StoreError> append(IntentLog& log, const IntentEntry& e) {
  return log.append(e.subject, e.payload, e.msg_id, e.time);
}

// Appends entries seq = first, first + 1, ... (made by make) until the log refuses one;
// returns how many it took and checks that the refusal is kBackpressure.
template <class Make>
std::uint64_t fill(IntentLog& log, std::uint64_t first, Make make) {
  std::uint64_t n = 0;
  while (true) {
    auto r = append(log, make(first + n));
    if (!r) {
      CHECK(r.error().code == StoreErrorCode::kBackpressure);
      CHECK(r.error().message == "intent log full");
      return n;
    }
    REQUIRE(*r == first + n);
    ++n;
  }
}

std::vector<IntentEntry> entries(std::uint64_t first, std::uint64_t last,
                                 IntentEntry (*make)(std::uint64_t)) {
  std::vector<IntentEntry> out;
  for (std::uint64_t s = first; s <= last; ++s) out.push_back(make(s));
  return out;
}

}  // namespace

// ---- one process -----------------------------------------------------------------------------

TEST_CASE("appended entries come back in append order, byte-equal, with intent seqs from 1") {
  ShmFile file;
  auto log = open_log(file.path());
  CHECK(log->pending().empty());
  for (std::uint64_t s = 1; s <= 12; ++s) {
    auto r = append(*log, entry(s));
    REQUIRE(r.ok());
    CHECK(*r == s);
  }
  CHECK(log->pending() == entries(1, 12, entry));
  log->mark_done(2);
  log->mark_done(11);
  auto expected = entries(1, 12, entry);
  expected.erase(expected.begin() + 10);
  expected.erase(expected.begin() + 1);
  CHECK(log->pending() == expected);
}

TEST_CASE("a ring full of not-done entries refuses appends with kBackpressure and keeps them") {
  ShmFile file;
  auto log = open_log(file.path(), {kSmallRing, 1024});
  CHECK(fill(*log, 1, fixed_entry) == kFixedRecords);
  CHECK(log->pending() == entries(1, kFixedRecords, fixed_entry));
  // Refused again, and still nothing overwritten.
  CHECK(append(*log, fixed_entry(kFixedRecords + 1)).error().code == StoreErrorCode::kBackpressure);
  CHECK(log->pending() == entries(1, kFixedRecords, fixed_entry));
}

TEST_CASE("marking entries done makes their space reusable") {
  ShmFile file;
  auto log = open_log(file.path(), {kSmallRing, 1024});
  REQUIRE(fill(*log, 1, fixed_entry) == kFixedRecords);
  for (std::uint64_t s = 1; s <= kFixedRecords; ++s) log->mark_done(s);
  CHECK(log->pending().empty());
  CHECK(fill(*log, kFixedRecords + 1, fixed_entry) == kFixedRecords);
  CHECK(log->pending() == entries(kFixedRecords + 1, 2 * kFixedRecords, fixed_entry));
  // Half of it done: exactly that half comes back.
  for (std::uint64_t s = kFixedRecords + 1; s <= kFixedRecords + kFixedRecords / 2; ++s)
    log->mark_done(s);
  CHECK(fill(*log, 2 * kFixedRecords + 1, fixed_entry) == kFixedRecords / 2);
}

TEST_CASE("space is reclaimed only once every earlier entry is done") {
  ShmFile file;
  auto log = open_log(file.path(), {kSmallRing, 1024});
  REQUIRE(fill(*log, 1, fixed_entry) == kFixedRecords);
  for (std::uint64_t s = kFixedRecords; s >= 2; --s) log->mark_done(s);  // all but the first
  CHECK(log->pending() == std::vector<IntentEntry>{fixed_entry(1)});
  CHECK(append(*log, fixed_entry(kFixedRecords + 1)).error().code == StoreErrorCode::kBackpressure);
  log->mark_done(1);  // the prefix is done: the whole ring is free at once
  CHECK(log->pending().empty());
  CHECK(fill(*log, kFixedRecords + 1, fixed_entry) == kFixedRecords);
}

TEST_CASE("fill_permille: the share not reclaimed, of the bytes or of the entries, whichever is fuller") {
  ShmFile file;
  {
    auto log = open_log(file.path(), {kSmallRing, 1024});
    CHECK(log->fill_permille() == 0);
    for (std::uint64_t s = 1; s <= kFixedRecords / 4; ++s) REQUIRE(append(*log, fixed_entry(s)).ok());
    CHECK(log->fill_permille() == 250);  // a quarter of the bytes (an eighth of the entries)
    for (std::uint64_t s = kFixedRecords / 4 + 1; s <= kFixedRecords; ++s) REQUIRE(append(*log, fixed_entry(s)).ok());
    CHECK(log->fill_permille() == 1000);
    // Done but behind a not-done first entry: still counted (the space is not reusable yet).
    for (std::uint64_t s = 2; s <= kFixedRecords; ++s) log->mark_done(s);
    CHECK(log->fill_permille() == 1000);
    log->mark_done(1);
    CHECK(log->fill_permille() == 0);
  }
  ShmFile other;
  auto log = open_log(other.path(), {kSmallRing, 64});  // entries run out first
  for (std::uint64_t s = 1; s <= 48; ++s) REQUIRE(append(*log, fixed_entry(s)).ok());
  CHECK(log->fill_permille() == 750);
}

TEST_CASE("max_entries bounds the entries not reclaimed even when bytes remain") {
  ShmFile file;
  auto log = open_log(file.path(), {kSmallRing, 8});
  CHECK(log->max_entries() == 8);
  CHECK(fill(*log, 1, fixed_entry) == 8);
  log->mark_done(1);
  CHECK(fill(*log, 9, fixed_entry) == 1);
  CHECK(log->pending() == entries(2, 9, fixed_entry));
}

TEST_CASE("variable-size records wrap around the ring: pending matches a model through 40 laps") {
  ShmFile file;
  auto log = open_log(file.path());
  std::mt19937_64 rng(20240611);
  std::map<std::uint64_t, bool> model;  // appended, not reclaimed: seq -> done
  std::uint64_t next = 1;
  std::uint64_t bytes = 0;
  while (bytes < 40 * kSmallRing) {
    const IntentEntry e = entry(next);
    auto r = append(*log, e);
    if (r) {
      REQUIRE(*r == next);
      model[next++] = false;
      bytes += e.subject.size() + e.payload.size() + 40;
    } else {
      REQUIRE(r.error().code == StoreErrorCode::kBackpressure);
      // Mark a random third of the not-done entries, out of order, then the oldest (else a
      // full ring would stay full).
      for (auto& [seq, done] : model) {
        if (!done && rng() % 3 == 0) {
          log->mark_done(seq);
          done = true;
        }
      }
      log->mark_done(model.begin()->first);
      model.begin()->second = true;
      while (!model.empty() && model.begin()->second) model.erase(model.begin());
    }
    if (next % 97 == 0) {
      std::vector<IntentEntry> expected;
      for (const auto& [seq, done] : model) {
        if (!done) expected.push_back(entry(seq));
      }
      REQUIRE(log->pending() == expected);
    }
  }
}

TEST_CASE("a producer and a publisher thread share the ring through many laps") {
  // The producer appends kCount entries into the smallest ring, retrying on backpressure; the
  // publisher marks them done in windows of 8 in reverse order as they appear (so the tail
  // moves in jumps), stalling now and then, all but the last kLeft. What is left is exactly those,
  // byte-equal.
  constexpr std::uint64_t kCount = 100'000;
  constexpr std::uint64_t kLeft = 20;
  constexpr std::uint64_t kWindow = 8;
  constexpr std::uint64_t kStallEvery = 2048;  // a multiple of kWindow
  ShmFile file;
  auto log = open_log(file.path());
  (void)entry_table();
  std::atomic<std::uint64_t> appended{0};
  std::uint64_t refusals = 0;
  std::thread producer([&] {
    for (std::uint64_t s = 1; s <= kCount;) {
      auto r = append_entry(*log, s);
      if (!r) {
        ++refusals;
        std::this_thread::yield();
        continue;
      }
      // release: hands seq s to the publisher (mark_done's precondition: it was appended).
      appended.store(s++, std::memory_order_release);
    }
  });
  std::uint64_t marked = 0;
  while (marked + kWindow <= kCount - kLeft) {
    // acquire: pairs with the producer's release; every seq up to it was appended.
    if (appended.load(std::memory_order_acquire) < marked + kWindow) {
      std::this_thread::yield();
      continue;
    }
    for (std::uint64_t s = marked + kWindow; s > marked; --s) log->mark_done(s);
    marked += kWindow;
    // A publisher stalled on its store now and then: the producer meets a full ring.
    if (marked % kStallEvery == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  producer.join();
  for (std::uint64_t s = marked + 1; s <= kCount - kLeft; ++s) log->mark_done(s);
  CHECK(refusals > 0);  // the ring did fill: the producer waited for the publisher
  CHECK(log->pending() == entries(kCount - kLeft + 1, kCount, entry));
}

TEST_CASE("bad appends are refused with kInvalid and take no intent seq") {
  ShmFile file;
  auto log = open_log(file.path());
  auto empty = log->append("", "{}", 1, 1);
  CHECK(empty.error().code == StoreErrorCode::kInvalid);
  CHECK(empty.error().message == "empty subject");
  const std::string huge(kSmallRing / 2, 'x');
  auto big = log->append(kSubject, huge, 2, 2);
  CHECK(big.error().code == StoreErrorCode::kInvalid);
  CHECK(big.error().message == "record too big");
  CHECK(*append(*log, entry(1)) == 1);
  // Already reclaimed, or beyond the window: ignored.
  log->mark_done(1);
  log->mark_done(1);
  log->mark_done(1'000'000);
  CHECK(*append(*log, entry(2)) == 2);
  CHECK(log->pending() == std::vector<IntentEntry>{entry(2)});
}

TEST_CASE("reopening keeps the not-done entries and continues the intent seq") {
  ShmFile file;
  {
    auto log = open_log(file.path());
    for (std::uint64_t s = 1; s <= 10; ++s) REQUIRE(append(*log, entry(s)).ok());
    for (std::uint64_t s : Seqs{1, 2, 3, 5, 9}) log->mark_done(s);
    auto second = IntentLog::open(file.path(), {kSmallRing, 0});
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code == StoreErrorCode::kConflict);
    CHECK(second.error().message ==
          "intent log " + file.path() + ": is already open (another IntentLog holds its lock)");
  }
  auto log = open_log(file.path());
  CHECK(log->pending() ==
        std::vector<IntentEntry>{entry(4), entry(6), entry(7), entry(8), entry(10)});
  CHECK(*append(*log, entry(11)) == 11);
  for (std::uint64_t s : Seqs{4, 6, 7, 8, 10, 11}) log->mark_done(s);
  CHECK(log->pending().empty());
  log.reset();
  // Empty ring: the seq still continues from the header's tail.
  log = open_log(file.path());
  CHECK(*append(*log, entry(12)) == 12);
}

// ---- header validation -----------------------------------------------------------------------

TEST_CASE("a file that is not an intent log is refused with its path") {
  ShmFile file;
  { auto log = open_log(file.path()); }
  {
    const int fd = ::open(file.path().c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    REQUIRE(::pwrite(fd, "NOTALOG!", 8, 0) == 8);
    ::close(fd);
  }
  auto log = IntentLog::open(file.path(), {kSmallRing, 0});
  REQUIRE_FALSE(log.ok());
  CHECK(log.error().code == StoreErrorCode::kCorrupt);
  CHECK(log.error().message ==
        "intent log " + file.path() + ": bad magic 0x21474f4c41544f4e (not an intent log file)");
}

TEST_CASE("a capacity or max_entries other than the file's is refused with its path") {
  ShmFile file;
  { auto log = open_log(file.path()); }
  auto bigger = IntentLog::open(file.path(), {2 * kSmallRing, 0});
  REQUIRE_FALSE(bigger.ok());
  CHECK(bigger.error().code == StoreErrorCode::kConflict);
  CHECK(bigger.error().message ==
        "intent log " + file.path() + ": capacity 65536 bytes in the file, 131072 configured");
  auto slots = IntentLog::open(file.path(), {kSmallRing, 64});
  REQUIRE_FALSE(slots.ok());
  CHECK(slots.error().message ==
        "intent log " + file.path() + ": max_entries 512 in the file, 64 configured");
  {
    const int fd = ::open(file.path().c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    const std::uint32_t version = kIntentLogVersion + 1;
    REQUIRE(::pwrite(fd, &version, sizeof version, 8) == sizeof version);
    ::close(fd);
  }
  auto newer = IntentLog::open(file.path(), {kSmallRing, 0});
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.error().code == StoreErrorCode::kConflict);
  CHECK(newer.error().message ==
        "intent log " + file.path() + ": format version 2, this build reads version 1");
}

TEST_CASE("bad options are refused before touching the file") {
  ShmFile file;
  auto odd = IntentLog::open(file.path(), {100'000, 0});
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.error().code == StoreErrorCode::kInvalid);
  CHECK(odd.error().message ==
        "intent log " + file.path() + ": capacity 100000 is not a power of two in [64 KiB, 4 GiB]");
  auto slots = IntentLog::open(file.path(), {kSmallRing, 100});
  REQUIRE_FALSE(slots.ok());
  CHECK(slots.error().code == StoreErrorCode::kInvalid);
  CHECK_FALSE(std::filesystem::exists(file.path()));
}

TEST_CASE("a committed record with impossible lengths is reported as corrupt at its position") {
  ShmFile file;
  {
    auto log = open_log(file.path());
    REQUIRE(append(*log, fixed_entry(1)).ok());
    REQUIRE(append(*log, fixed_entry(2)).ok());
  }
  {
    // The second record's payload_len (ring offset 128 + 36; the ring starts at 4096 + 512 * 8).
    const int fd = ::open(file.path().c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    const std::uint32_t len = 1'000'000;
    REQUIRE(::pwrite(fd, &len, sizeof len, 4096 + 4096 + 128 + 36) == sizeof len);
    ::close(fd);
  }
  auto log = IntentLog::open(file.path(), {kSmallRing, 0});
  REQUIRE_FALSE(log.ok());
  CHECK(log.error().code == StoreErrorCode::kCorrupt);
  CHECK(log.error().message == "intent log " + file.path() +
                                   ": record at ring position 128 (offset 128) has lengths "
                                   "33+1000000 that overrun the ring");
}

TEST_CASE("a record whose commit word was never written is ignored, and its space reused") {
  ShmFile file;
  {
    auto log = open_log(file.path());
    for (std::uint64_t s = 1; s <= 3; ++s) REQUIRE(append(*log, fixed_entry(s)).ok());
  }
  {
    // What an append killed before its release store leaves: every byte but the commit word.
    const int fd = ::open(file.path().c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    const std::uint64_t zero = 0;
    REQUIRE(::pwrite(fd, &zero, sizeof zero, 4096 + 4096 + 256) == sizeof zero);
    ::close(fd);
  }
  auto log = open_log(file.path());
  CHECK(log->pending() == entries(1, 2, fixed_entry));
  const IntentEntry other{3, "orders.okx.main.spot.ETH-USDT", "{}", 99, 99};
  CHECK(*append(*log, other) == 3);
  CHECK(log->pending() == std::vector<IntentEntry>{fixed_entry(1), fixed_entry(2), other});
}

TEST_CASE("the default path is in /dev/shm") {
  CHECK(default_intent_log_path("desk1") == "/dev/shm/oms-intent-desk1.log");
}

// ---- crashes ---------------------------------------------------------------------------------

namespace {

// A forked child, SIGKILLed and reaped when the test ends (however it ends).
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Waits for the child's end; true when SIGKILL ended it.
  bool killed() {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return r > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }
  void kill() const { ::kill(pid_, SIGKILL); }

 private:
  pid_t pid_;
};

// A pipe whose ends close with the test.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { REQUIRE(::pipe(fds) == 0); }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  // Reads one u64 the child wrote; false when the child died or closed first.
  bool read_u64(std::uint64_t& v) const {
    return ::read(fds[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v);
  }
};

// In the child: reports v to the parent, or leaves (never returning into doctest).
void report(int fd, std::uint64_t v) {
  if (::write(fd, &v, sizeof v) != static_cast<ssize_t>(sizeof v)) ::_exit(3);
}

}  // namespace

TEST_CASE("after a SIGKILL the reopened log holds exactly the committed, not-done entries") {
  ShmFile file;
  Pipe pipe;
  // Appends kCount entries (wrapping the ring many times), marks each done kLag appends later,
  // and within the last kLag marks every third: done out of order, not reclaimed.
  constexpr std::uint64_t kCount = 3000;
  constexpr std::uint64_t kLag = 40;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto log = IntentLog::open(file.path(), {kSmallRing, 0});
    if (!log) ::_exit(1);
    for (std::uint64_t s = 1; s <= kCount; ++s) {
      auto r = append_entry(**log, s);
      if (!r || *r != s) ::_exit(2);
      if (s > kLag) (*log)->mark_done(s - kLag);
    }
    for (std::uint64_t s = kCount - kLag + 1; s <= kCount; ++s) {
      if (s % 3 == 0) (*log)->mark_done(s);
    }
    report(pipe.fds[1], kCount);
    while (true) ::pause();  // the parent kills it
  }
  Child child(pid);
  std::uint64_t reported = 0;
  REQUIRE(pipe.read_u64(reported));
  CHECK(reported == kCount);
  child.kill();
  REQUIRE(child.killed());

  auto log = open_log(file.path());
  std::vector<IntentEntry> expected;
  for (std::uint64_t s = kCount - kLag + 1; s <= kCount; ++s) {
    if (s % 3 != 0) expected.push_back(entry(s));
  }
  CHECK(log->pending() == expected);
  CHECK(*append(*log, entry(kCount + 1)) == kCount + 1);
  // The restored done marks count: finishing the rest frees the whole ring.
  for (const auto& e : expected) log->mark_done(e.intent_seq);
  log->mark_done(kCount + 1);
  CHECK(log->pending().empty());
  // The head is anywhere in a lap: the wrap's pad may take one record's room.
  const std::uint64_t refilled = fill(*log, kCount + 2, fixed_entry);
  CHECK(refilled >= kFixedRecords - 1);
  CHECK(refilled <= kFixedRecords);
}

TEST_CASE("a process killed at a random point of its append loop leaves no half record") {
  // The child appends as fast as it can, marks each entry done 32 appends later, and a thread
  // of its own SIGKILLs it after a random delay: mostly in the middle of an append. Its last
  // returned seq goes to shared memory; the one after may be committed too.
  constexpr std::uint64_t kLag = 32;
  constexpr int kRuns = 40;
  std::mt19937_64 rng(0x1e57);
  void* shared = ::mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(shared != MAP_FAILED);
  auto* progress = new (shared) std::atomic<std::uint64_t>(0);
  struct Unmap {
    void* p;
    ~Unmap() { ::munmap(p, sizeof(std::atomic<std::uint64_t>)); }
  } unmap{shared};

  (void)entry_table();  // built before fork: the children's loops only append
  for (int run = 0; run < kRuns; ++run) {
    CAPTURE(run);
    ShmFile file;
    Pipe pipe;
    // relaxed: the child starts after fork; nothing else runs.
    progress->store(0, std::memory_order_relaxed);
    const auto delay = std::chrono::microseconds(rng() % 4000);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto log = IntentLog::open(file.path(), {kSmallRing, 0});
      if (!log) ::_exit(1);
      report(pipe.fds[1], 0);
      std::thread killer([delay] {
        std::this_thread::sleep_for(delay);
        ::kill(::getpid(), SIGKILL);
      });
      killer.detach();
      for (std::uint64_t s = 1;; ++s) {
        auto r = append_entry(**log, s);
        if (!r || *r != s) ::_exit(2);
        // relaxed: the parent reads it after the child is dead (waitpid orders it).
        progress->store(s, std::memory_order_relaxed);
        if (s > kLag) (*log)->mark_done(s - kLag);
      }
    }
    Child child(pid);
    std::uint64_t ready = 1;
    REQUIRE(pipe.read_u64(ready));
    REQUIRE(child.killed());
    const std::uint64_t last_returned = progress->load(std::memory_order_relaxed);
    CAPTURE(last_returned);

    auto log = open_log(file.path());
    const auto pending = log->pending();
    if (last_returned == 0) {
      // Killed before the first append returned: at most that one entry, whole.
      CHECK(pending.size() <= 1);
    } else {
      REQUIRE_FALSE(pending.empty());
    }
    if (!pending.empty()) {
      const std::uint64_t first = pending.front().intent_seq;
      const std::uint64_t last = pending.back().intent_seq;
      CHECK((last == last_returned || last == last_returned + 1));
      // Done through last_returned - kLag, and maybe not the one marked after it.
      const std::uint64_t done_through = last_returned > kLag ? last_returned - kLag : 0;
      CHECK((first == done_through + 1 || first == done_through));
      CHECK(pending == entries(first, last, entry));
      CHECK(*append(*log, entry(last + 1)) == last + 1);
    }
  }
}

// ---- replay into a store -----------------------------------------------------------------------

namespace {

// An in-memory EventStore that, like JetStream and the file journal, acknowledges a msg_id it
// already holds with the original sequence and stores nothing. A test double for the recovery
// logic: one stream, no tailing. Completions run before append returns, or on a thread of its
// own (async) after it; msg_ids in `rejected` fail, those in `held` never complete (until the
// store is destroyed: kClosed).
class DedupStore final : public EventStore {
 public:
  explicit DedupStore(bool async) : async_(async) {
    if (async_) worker_ = std::thread([this] { run(); });
  }
  ~DedupStore() override {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    for (auto& [record, done] : held_)
      done(Unexpected(StoreError{StoreErrorCode::kClosed, "closed"}));
  }

  std::set<EventId> rejected;
  std::set<EventId> held;

  [[nodiscard]] Result<std::string, StoreError> stream_for(std::string_view) const override {
    return std::string(kStream);
  }

  void append(AppendRecord record, AppendCallback done) override {
    std::unique_lock lock(mutex_);
    ++appends_;
    ++in_flight_;
    if (held.contains(record.msg_id)) {
      held_.emplace_back(std::move(record), std::move(done));
      return;
    }
    if (async_) {
      queue_.emplace_back(std::move(record), std::move(done));
      cv_.notify_all();
      return;
    }
    auto result = store(record);
    lock.unlock();
    done(result);
    complete_one();
  }

  [[nodiscard]] Result<Unit, StoreError> flush(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [this] { return in_flight_ == 0; })) {
      return Unexpected(StoreError{StoreErrorCode::kTimeout,
                                   std::to_string(in_flight_) + " appends still in flight"});
    }
    return Unit{};
  }

  [[nodiscard]] Result<std::uint64_t, StoreError> read(const ReadRequest& request,
                                                       const RecordVisitor& visit) override {
    if (request.stream != kStream) return unknown(request.stream);
    const std::lock_guard lock(mutex_);
    std::uint64_t visited = 0;
    const std::uint64_t to = request.to_sequence == 0 ? records_.size() : request.to_sequence;
    for (std::uint64_t seq = std::max<std::uint64_t>(request.from_sequence, 1);
         seq <= std::min<std::uint64_t>(to, records_.size()); ++seq) {
      const AppendRecord& r = records_[seq - 1];
      if (!subject_matches(request.subject_filter, r.subject)) continue;
      ++visited;
      if (!visit(StoredRecord{kStream, seq, r.subject, r.payload, r.msg_id, r.time})) break;
    }
    return visited;
  }

  [[nodiscard]] Result<std::unique_ptr<Subscription>, StoreError> tail(const ReadRequest&,
                                                                       RecordVisitor) override {
    return Unexpected(StoreError{StoreErrorCode::kInvalid, "the test store does not tail"});
  }

  [[nodiscard]] Result<std::uint64_t, StoreError> last_sequence(std::string_view stream) override {
    if (stream != kStream) return unknown(stream);
    const std::lock_guard lock(mutex_);
    return static_cast<std::uint64_t>(records_.size());
  }

  [[nodiscard]] Result<std::vector<DayStart>, StoreError> day_index(
      std::string_view stream) override {
    if (stream != kStream) return unknown(stream);
    const std::lock_guard lock(mutex_);
    std::vector<DayStart> days;
    for (std::uint64_t i = 0; i < records_.size(); ++i) {
      const std::int32_t day = utc_day(records_[i].time);
      if (days.empty() || days.back().day != day) days.push_back({day, i + 1});
    }
    return days;
  }

  [[nodiscard]] std::vector<AppendRecord> records() const {
    const std::lock_guard lock(mutex_);
    return records_;
  }
  [[nodiscard]] std::uint64_t appends() const {
    const std::lock_guard lock(mutex_);
    return appends_;
  }

 private:
  static constexpr std::string_view kStream = "TEST";

  static Unexpected<StoreError> unknown(std::string_view stream) {
    return Unexpected(
        StoreError{StoreErrorCode::kUnknownStream, "no stream " + std::string(stream)});
  }

  // Under mutex_.
  Result<std::uint64_t, StoreError> store(const AppendRecord& record) {
    if (rejected.contains(record.msg_id)) {
      return Unexpected(StoreError{StoreErrorCode::kUnavailable, "server gone"});
    }
    if (auto it = sequence_of_.find(record.msg_id); it != sequence_of_.end()) return it->second;
    records_.push_back(record);
    sequence_of_[record.msg_id] = records_.size();
    return static_cast<std::uint64_t>(records_.size());
  }

  void complete_one() {
    {
      const std::lock_guard lock(mutex_);
      --in_flight_;
    }
    cv_.notify_all();
  }

  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto [record, done] = std::move(queue_.front());
      queue_.pop_front();
      auto result = store(record);
      lock.unlock();
      done(result);
      complete_one();
      lock.lock();
    }
  }

  const bool async_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<AppendRecord> records_;
  std::map<EventId, std::uint64_t> sequence_of_;
  std::deque<std::pair<AppendRecord, AppendCallback>> queue_;
  std::vector<std::pair<AppendRecord, AppendCallback>> held_;
  std::uint64_t appends_ = 0;
  std::uint64_t in_flight_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

constexpr auto kReplayTimeout = std::chrono::milliseconds(5000);

AppendRecord record_of(const IntentEntry& e) {
  return {e.subject, e.payload, e.msg_id, e.time};
}

bool same_record(const AppendRecord& a, const AppendRecord& b) {
  return a.subject == b.subject && a.payload == b.payload && a.msg_id == b.msg_id &&
         a.time == b.time;
}

}  // namespace

TEST_CASE("replay publishes each pending entry once, even those the store already holds") {
  bool async = false;
  SUBCASE("completions before append returns") {
    async = false;
  }
  SUBCASE("completions on a store thread") {
    async = true;
  }
  ShmFile file;
  auto log = open_log(file.path());
  for (std::uint64_t s = 1; s <= 12; ++s) REQUIRE(append(*log, entry(s)).ok());
  for (std::uint64_t s : Seqs{1, 2, 7}) log->mark_done(s);
  DedupStore store(async);
  // 3 and 4 reached the store before the crash; their acknowledgements did not come back.
  for (std::uint64_t s : Seqs{3, 4})
    store.append(record_of(entry(s)), [](const auto& r) { REQUIRE(r.ok()); });
  REQUIRE(store.flush(kReplayTimeout).ok());

  auto replayed = replay_pending(*log, store, kReplayTimeout);
  REQUIRE(replayed.ok());
  CHECK(*replayed == 9);
  CHECK(store.appends() == 2 + 9);
  const std::vector<AppendRecord> stored = store.records();
  REQUIRE(stored.size() == 9);
  std::uint64_t i = 0;
  for (std::uint64_t s : Seqs{3, 4, 5, 6, 8, 9, 10, 11, 12}) {
    CAPTURE(s);
    CHECK(same_record(stored[i++], record_of(entry(s))));
  }
  CHECK(log->pending().empty());

  auto again = replay_pending(*log, store, kReplayTimeout);
  REQUIRE(again.ok());
  CHECK(*again == 0);
  CHECK(store.appends() == 2 + 9);
  CHECK(store.records().size() == 9);
}

TEST_CASE("an entry the store fails stays pending and the error names it") {
  ShmFile file;
  auto log = open_log(file.path());
  for (std::uint64_t s = 1; s <= 6; ++s) REQUIRE(append(*log, entry(s)).ok());
  DedupStore store(true);
  store.rejected = {entry(2).msg_id, entry(5).msg_id};
  auto replayed = replay_pending(*log, store, kReplayTimeout);
  REQUIRE_FALSE(replayed.ok());
  CHECK(replayed.error().code == StoreErrorCode::kUnavailable);
  CHECK(replayed.error().message ==
        "intent log " + file.path() + ": replay of intent seq 2 (msg_id 7000000002): server gone");
  CHECK(log->pending() == std::vector<IntentEntry>{entry(2), entry(5)});
  CHECK(store.records().size() == 4);

  store.rejected.clear();
  auto retried = replay_pending(*log, store, kReplayTimeout);
  REQUIRE(retried.ok());
  CHECK(*retried == 2);
  CHECK(log->pending().empty());
  CHECK(store.records().size() == 6);
}

TEST_CASE("a flush timeout leaves the unacknowledged entries pending") {
  ShmFile file;
  auto log = open_log(file.path());
  for (std::uint64_t s = 1; s <= 4; ++s) REQUIRE(append(*log, entry(s)).ok());
  DedupStore store(true);
  store.held = {entry(3).msg_id};
  auto replayed = replay_pending(*log, store, std::chrono::milliseconds(50));
  REQUIRE_FALSE(replayed.ok());
  CHECK(replayed.error().code == StoreErrorCode::kTimeout);
  CHECK(replayed.error().message == "intent log " + file.path() +
                                        ": replay of intent seq 3 (msg_id 7000000003): 1 appends "
                                        "still in flight");
  CHECK(log->pending() == std::vector<IntentEntry>{entry(3)});
}

TEST_CASE("after a crash, replay publishes what the store never acknowledged, then nothing") {
  ShmFile file;
  Pipe pipe;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto log = IntentLog::open(file.path(), {kSmallRing, 0});
    if (!log) ::_exit(1);
    for (std::uint64_t s = 1; s <= 10; ++s) {
      if (!append(**log, entry(s))) ::_exit(2);
    }
    for (std::uint64_t s = 1; s <= 4; ++s) (*log)->mark_done(s);
    report(pipe.fds[1], 10);
    while (true) ::pause();
  }
  Child child(pid);
  std::uint64_t reported = 0;
  REQUIRE(pipe.read_u64(reported));
  child.kill();
  REQUIRE(child.killed());

  DedupStore store(false);
  for (std::uint64_t s = 1; s <= 6; ++s) store.append(record_of(entry(s)), [](const auto&) {});
  auto log = open_log(file.path());
  auto replayed = replay_pending(*log, store, kReplayTimeout);
  REQUIRE(replayed.ok());
  CHECK(*replayed == 6);  // 5..10, of which 5 and 6 were duplicates
  const auto stored = store.records();
  REQUIRE(stored.size() == 10);
  for (std::uint64_t s = 1; s <= 10; ++s) CHECK(same_record(stored[s - 1], record_of(entry(s))));
  CHECK(*replay_pending(*log, store, kReplayTimeout) == 0);
  CHECK(store.records().size() == 10);
}
