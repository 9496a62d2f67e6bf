// Pins persistence/src/file_journal*.cpp and crc32c.cpp: the FileJournal EventStore.
#include "oms/persistence/file_journal.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "oms/persistence/crc32c.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::persistence;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kAccount = "ACCOUNT_binance_main";
constexpr std::string_view kMarketData = "MD_binance";

using testkit::TempDir;  // a fresh directory per test, removed at the end

// Captures what the default spdlog logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  [[nodiscard]] std::string text() {
    sink_->flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

const StreamLayout& layout() {
  static const StreamLayout kLayout({{ExchangeId::kBinance, "main"}, {ExchangeId::kOkx, "arb"}},
                                    {ExchangeId::kBinance});
  return kLayout;
}

FileJournalOptions options(FsyncPolicy fsync = FsyncPolicy::kNever) {
  FileJournalOptions o;
  o.fsync = fsync;
  return o;
}

std::unique_ptr<FileJournal> open_ok(const fs::path& root, FileJournalOptions o = options()) {
  auto j = FileJournal::open(root, layout(), o);
  if (!j) FAIL("open failed: " << j.error().message);
  return std::move(j).value();
}

TimeNs ns_at(int y, unsigned m, unsigned d, long h, long min, long s, long ms) {
  using namespace std::chrono;
  const sys_days day{year{y} / month{m} / std::chrono::day{d}};
  return duration_cast<nanoseconds>(day.time_since_epoch() + hours{h} + minutes{min} + seconds{s} +
                                    milliseconds{ms})
      .count();
}

std::int32_t day_of(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return static_cast<std::int32_t>(
      sys_days{year{y} / month{m} / std::chrono::day{d}}.time_since_epoch().count());
}

const TimeNs kBaseTime = ns_at(2024, 8, 8, 9, 30, 0, 0);

// Order, trade and position events of the binance "main" account, ~150-250 bytes of JSON.
AppendRecord account_record(std::uint64_t i) {
  static const char* const kSymbols[] = {"BTC-USDT", "ETH-USDT", "SOL-USDT", "BTC-USDT_USDT"};
  static const char* const kKinds[] = {"orders", "trades", "positions"};
  const std::string kind = kKinds[i % 3];
  const std::string symbol = kSymbols[(i / 3) % 4];
  AppendRecord r;
  r.subject =
      kind == "positions" ? "positions.binance.main.spot" : kind + ".binance.main.spot." + symbol;
  r.msg_id = 1'000'000 + i;
  r.time = kBaseTime + static_cast<TimeNs>(i) * 1'000'000;
  r.payload = R"({"id":)" + std::to_string(r.msg_id) + R"(,"kind":")" + kind +
              R"(","account":"main","symbol":")" + symbol + R"(","client_order_id":"c-)" +
              std::to_string(i * 7919) + R"(","price":"61837.63000000","qty":"0.00100000",)" +
              R"("init_time":)" + std::to_string(r.time) + R"(,"pad":")" +
              std::string(i % 97, 'x') + R"("})";
  return r;
}

// Book and trade updates of the binance market-data stream.
AppendRecord md_record(std::uint64_t i) {
  AppendRecord r;
  r.subject = std::string("md.binance.spot.") + (i % 2 == 0 ? "BTC-USDT" : "ETH-USDT") +
              (i % 5 == 0 ? ".trade" : ".book");
  r.msg_id = 9'000'000'000 + i;
  r.time = kBaseTime + static_cast<TimeNs>(i) * 250'000;
  r.payload = R"({"bids":[["61837.6",")" + std::to_string(i % 1000) +
              R"(.5"]],"asks":[["61837.7","2.1"]],"u":)" + std::to_string(i) + "}";
  return r;
}

ReadRequest req(std::string_view stream, std::uint64_t from = 1, std::uint64_t to = 0,
                std::string filter = {}) {
  ReadRequest r;
  r.stream = stream;
  r.from_sequence = from;
  r.to_sequence = to;
  r.subject_filter = std::move(filter);
  return r;
}

struct Owned {
  std::string stream;
  std::uint64_t sequence = 0;
  std::string subject;
  std::string payload;
  EventId msg_id = 0;
  TimeNs time = 0;
  friend bool operator==(const Owned&, const Owned&) = default;
};

Owned expected(std::string_view stream, std::uint64_t sequence, const AppendRecord& r) {
  return {std::string(stream), sequence, r.subject, r.payload, r.msg_id, r.time};
}

Owned own(const StoredRecord& r) {
  return {std::string(r.stream),  r.sequence, std::string(r.subject),
          std::string(r.payload), r.msg_id,   r.time};
}

Result<std::uint64_t, StoreError> append(EventStore& store, AppendRecord r) {
  std::optional<Result<std::uint64_t, StoreError>> out;
  store.append(std::move(r),
               [&](const Result<std::uint64_t, StoreError>& result) { out = result; });
  REQUIRE(out.has_value());  // done runs before append returns
  return *out;
}

std::uint64_t append_ok(EventStore& store, AppendRecord r) {
  auto seq = append(store, std::move(r));
  if (!seq) FAIL("append failed: " << seq.error().message);
  return *seq;
}

std::vector<Owned> read_all(EventStore& store, ReadRequest request) {
  std::vector<Owned> out;
  auto n = store.read(request, [&](const StoredRecord& r) {
    out.push_back(own(r));
    return true;
  });
  if (!n) FAIL("read failed: " << n.error().message);
  CHECK(*n == out.size());
  return out;
}

fs::path segment_path(const fs::path& root, std::string_view stream, std::uint64_t first) {
  std::string name = std::to_string(first);
  name.insert(0, 20 - name.size(), '0');
  return root / stream / (name + ".seg");
}

std::vector<fs::path> segments_of(const fs::path& root, std::string_view stream) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(root / stream))
    if (e.path().extension() == ".seg") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

void xor_byte(const fs::path& file, std::uint64_t offset, unsigned char mask) {
  std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
  REQUIRE(f.good());
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(static_cast<unsigned char>(c) ^ mask);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
  REQUIRE(f.good());
}

// Appends count account records, returning the segment's size before each (record offsets).
std::vector<std::uint64_t> write_account_records(const fs::path& root, std::uint64_t count) {
  auto j = open_ok(root);
  std::vector<std::uint64_t> offsets;
  const fs::path seg = segment_path(root, kAccount, 1);
  for (std::uint64_t i = 0; i < count; ++i) {
    offsets.push_back(i == 0 ? 0 : fs::file_size(seg));
    CHECK(append_ok(*j, account_record(i)) == i + 1);
  }
  offsets.push_back(fs::file_size(seg));
  return offsets;
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

TEST_CASE("crc32c matches the standard check value on both paths, and they agree") {
  CHECK(crc32c(std::string_view("123456789")) == 0xE3069283u);
  CHECK(crc32c_software("123456789", 9) == 0xE3069283u);
  CHECK(crc32c(std::string_view("")) == 0u);
  // RFC 3720 B.4: 32 bytes of zeros.
  const std::string zeros(32, '\0');
  CHECK(crc32c(zeros) == 0x8A9136AAu);
  std::mt19937_64 rng(7);
  std::string data(4096 + 7, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (std::size_t start = 0; start < 8; ++start)
    for (std::size_t len : {0u, 1u, 7u, 8u, 9u, 63u, 200u, 257u, 4096u}) {
      const std::uint32_t sw = crc32c_software(data.data() + start, len);
      CHECK(crc32c(data.data() + start, len) == sw);
      if (crc32c_hardware_available()) CHECK(crc32c_hardware(data.data() + start, len) == sw);
    }
  // Continuing from a previous result equals one pass.
  const std::string_view all(data);
  CHECK(crc32c(all.substr(1000), crc32c(all.substr(0, 1000))) == crc32c(all));
  CHECK(crc32c_software(data.data() + 13, 3000, crc32c_software(data.data(), 13)) ==
        crc32c(data.data(), 3013));
}

TEST_CASE("a record is framed exactly as file_journal.hpp documents") {
  TempDir dir;
  auto j = open_ok(dir.path());
  AppendRecord r{"orders.binance.main.spot.BTC-USDT", R"({"x":1})", 77, -5};
  CHECK(append_ok(*j, r) == 1);
  const std::string bytes = testkit::read_file(segment_path(dir.path(), kAccount, 1));
  std::string body;
  auto put = [&body](auto v) { body.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(std::uint64_t{1});
  put(std::uint64_t{77});
  put(std::int64_t{-5});
  put(static_cast<std::uint16_t>(r.subject.size()));
  body += r.subject + r.payload;
  std::string framed;
  const auto length = static_cast<std::uint32_t>(body.size());
  const std::uint32_t crc = crc32c(body);
  framed.append(reinterpret_cast<const char*>(&length), 4);
  framed.append(reinterpret_cast<const char*>(&crc), 4);
  framed += body;
  CHECK(bytes == framed);
}

TEST_CASE(
    "100k records in each of two streams read back exactly: all, from the middle, ranges, "
    "by subject, after reopen") {
  TempDir dir;
  constexpr std::uint64_t kCount = 100'000;
  std::vector<Owned> account, md;
  {
    auto j = open_ok(dir.path());
    for (std::uint64_t i = 0; i < kCount; ++i) {
      const auto a = account_record(i);
      const auto m = md_record(i);
      REQUIRE(append_ok(*j, a) == i + 1);
      REQUIRE(append_ok(*j, m) == i + 1);
      account.push_back(expected(kAccount, i + 1, a));
      md.push_back(expected(kMarketData, i + 1, m));
    }
    CHECK(*j->last_sequence(kAccount) == kCount);
    CHECK(*j->last_sequence(kMarketData) == kCount);
    CHECK(*j->last_sequence("TRANSFERS") == 0);
    CHECK(read_all(*j, req(kAccount)) == account);
    CHECK(j->stats().appended == 2 * kCount);
  }
  for (int pass = 0; pass < 2; ++pass) {  // the second pass after reopening
    CAPTURE(pass);
    auto j = open_ok(dir.path());
    CHECK(*j->last_sequence(kAccount) == kCount);
    CHECK(read_all(*j, req(kAccount)) == account);
    CHECK(read_all(*j, req(kMarketData)) == md);

    const auto middle = read_all(*j, req(kAccount, 50'000));
    REQUIRE(middle.size() == kCount - 50'000 + 1);
    CHECK(std::equal(middle.begin(), middle.end(), account.begin() + 49'999));

    const auto range = read_all(*j, req(kMarketData, 1000, 1999));
    REQUIRE(range.size() == 1000);
    CHECK(std::equal(range.begin(), range.end(), md.begin() + 999));
    CHECK(read_all(*j, req(kAccount, kCount, kCount)) == std::vector<Owned>{account.back()});
    CHECK(read_all(*j, req(kAccount, kCount + 1)).empty());
    CHECK(read_all(*j, req(kAccount, 10, 9)).empty());
    // to beyond the end means through the last record
    CHECK(read_all(*j, req(kAccount, kCount - 2, kCount + 50)).size() == 3);

    std::vector<Owned> trades;
    std::copy_if(account.begin(), account.end(), std::back_inserter(trades),
                 [](const Owned& o) { return o.subject.starts_with("trades."); });
    REQUIRE(trades.size() == kCount / 3);
    CHECK(read_all(*j, req(kAccount, 1, 0, "trades.binance.main.>")) == trades);
    const auto eth = read_all(*j, req(kAccount, 1, 0, "*.binance.main.spot.ETH-USDT"));
    CHECK(eth.size() == static_cast<std::size_t>(std::count_if(
                            account.begin(), account.end(),
                            [](const Owned& o) { return o.subject.ends_with(".ETH-USDT"); })));
    CHECK(read_all(*j, req(kMarketData, 1, 100, "md.binance.spot.*.trade")).size() == 20);

    std::uint64_t seen = 0;
    auto stopped = j->read(req(kAccount, 5), [&](const StoredRecord&) { return ++seen < 10; });
    CHECK(*stopped == 10);
    CHECK(seen == 10);
  }
}

TEST_CASE("every start sequence lands exactly, across segment rolls, before and after reopen") {
  TempDir dir;
  auto o = options();
  o.segment_bytes = 4096;  // ~20 records per segment
  constexpr std::uint64_t kCount = 1000;
  std::vector<Owned> all;
  {
    auto j = open_ok(dir.path(), o);
    for (std::uint64_t i = 0; i < kCount; ++i) {
      const auto r = account_record(i);
      CHECK(append_ok(*j, r) == i + 1);
      all.push_back(expected(kAccount, i + 1, r));
    }
    CHECK(read_all(*j, req(kAccount)) == all);
  }
  const auto files = segments_of(dir.path(), kAccount);
  REQUIRE(files.size() > 20);
  CHECK(files.front().filename() == "00000000000000000001.seg");
  std::uint64_t total = 0;
  for (const auto& f : files) {
    CHECK(fs::file_size(f) <= 4096);
    total += fs::file_size(f);
  }
  auto j = open_ok(dir.path(), o);
  // Each segment's name is the sequence of its first record.
  for (const auto& f : files) {
    const std::uint64_t first = std::stoull(f.stem().string());
    const auto one = read_all(*j, req(kAccount, first, first));
    REQUIRE(one.size() == 1);
    CHECK(one[0] == all[first - 1]);
  }
  for (std::uint64_t from :
       {1ull, 2ull, 63ull, 64ull, 65ull, 128ull, 129ull, 500ull, 999ull, 1000ull}) {
    CAPTURE(from);
    const auto got = read_all(*j, req(kAccount, from));
    REQUIRE(got.size() == kCount - from + 1);
    CHECK(std::equal(got.begin(), got.end(), all.begin() + static_cast<std::ptrdiff_t>(from - 1)));
  }
  // Appending continues in the last segment, then rolls on.
  for (std::uint64_t i = kCount; i < kCount + 100; ++i) {
    const auto r = account_record(i);
    CHECK(append_ok(*j, r) == i + 1);
    all.push_back(expected(kAccount, i + 1, r));
  }
  CHECK(read_all(*j, req(kAccount)) == all);
  CHECK(segments_of(dir.path(), kAccount).size() > files.size());
  CHECK(total > 0);
}

TEST_CASE("a stream whose oldest segment was removed starts at the next one") {
  TempDir dir;
  auto o = options();
  o.segment_bytes = 2048;
  {
    auto j = open_ok(dir.path(), o);
    for (std::uint64_t i = 0; i < 100; ++i) (void)append_ok(*j, account_record(i));
  }
  const auto files = segments_of(dir.path(), kAccount);
  REQUIRE(files.size() > 2);
  fs::remove(files[0]);
  const std::uint64_t first = std::stoull(files[1].stem().string());
  auto j = open_ok(dir.path(), o);
  CHECK(*j->last_sequence(kAccount) == 100);
  const auto all = read_all(*j, req(kAccount));
  REQUIRE(all.size() == 100 - first + 1);
  CHECK(all.front() == expected(kAccount, first, account_record(first - 1)));
  CHECK(append_ok(*j, account_record(100)) == 101);
}

TEST_CASE("the day index holds the first sequence of each UTC day, across midnight and reopen") {
  TempDir dir;
  const auto append_at = [](EventStore& s, TimeNs t, EventId id) {
    return append_ok(s, {"trades.binance.main.spot.BTC-USDT", "{}", id, t});
  };
  const std::vector<DayStart> want = {{day_of(2024, 8, 7), 7},
                                      {day_of(2024, 8, 8), 1},
                                      {day_of(2024, 8, 9), 3},
                                      {day_of(2024, 8, 10), 6}};
  {
    auto j = open_ok(dir.path());
    CHECK(j->day_index(kAccount)->empty());
    CHECK(append_at(*j, ns_at(2024, 8, 8, 23, 59, 59, 900), 1) == 1);
    CHECK(append_at(*j, ns_at(2024, 8, 8, 23, 59, 59, 950), 2) == 2);
    CHECK(append_at(*j, ns_at(2024, 8, 9, 0, 0, 0, 100), 3) == 3);
    CHECK(append_at(*j, ns_at(2024, 8, 9, 0, 0, 0, 200), 4) == 4);
    CHECK(append_at(*j, ns_at(2024, 8, 8, 23, 59, 59, 990), 5) == 5);  // late: day 8 keeps 1
    CHECK(append_at(*j, ns_at(2024, 8, 10, 12, 0, 0, 0), 6) == 6);
    CHECK(append_at(*j, ns_at(2024, 8, 7, 23, 0, 0, 0), 7) == 7);  // an earlier day, later
    CHECK(append_at(*j, ns_at(2024, 8, 9, 23, 59, 59, 999), 8) == 8);
    CHECK(*j->day_index(kAccount) == want);
  }
  auto j = open_ok(dir.path());
  CHECK(*j->day_index(kAccount) == want);
  CHECK(append_at(*j, ns_at(2024, 8, 11, 0, 0, 0, 0), 9) == 9);
  auto grown = want;
  grown.push_back({day_of(2024, 8, 11), 9});
  CHECK(*j->day_index(kAccount) == grown);
  CHECK(j->day_index("MD_binance")->empty());
}

TEST_CASE("a repeated msg_id returns the original sequence and stores nothing, also after reopen") {
  TempDir dir;
  auto o = options();
  o.dedup_window = 3;  // the ids of the stream's last 3 records
  const auto rec = [](EventId id) {
    return AppendRecord{"orders.binance.main.spot.BTC-USDT", "p" + std::to_string(id), id, 1};
  };
  {
    auto j = open_ok(dir.path(), o);
    CHECK(append_ok(*j, rec(42)) == 1);
    CHECK(append_ok(*j, rec(43)) == 2);
    CHECK(append_ok(*j, rec(42)) == 1);
    CHECK(*j->last_sequence(kAccount) == 2);
    CHECK(read_all(*j, req(kAccount)).size() == 2);
    CHECK(j->stats().duplicates == 1);
    CHECK(j->stats().appended == 2);
  }
  {
    auto j = open_ok(dir.path(), o);
    CHECK(append_ok(*j, rec(43)) == 2);  // the window was rebuilt from the stream's tail
    CHECK(append_ok(*j, rec(42)) == 1);
    CHECK(*j->last_sequence(kAccount) == 2);
    CHECK(append_ok(*j, rec(44)) == 3);  // window 42 43 44
    CHECK(append_ok(*j, rec(45)) == 4);  // window 43 44 45
    CHECK(append_ok(*j, rec(42)) == 5);  // outside the window: a new record; window 44 45 42
    CHECK(append_ok(*j, rec(46)) == 6);  // window 45 42 46
    CHECK(append_ok(*j, rec(46)) == 6);
    CHECK(append_ok(*j, rec(44)) == 7);  // window 42 46 44
  }
  auto j = open_ok(dir.path(), o);
  CHECK(append_ok(*j, rec(42)) == 5);
  CHECK(append_ok(*j, rec(46)) == 6);
  CHECK(append_ok(*j, rec(45)) == 8);
  // msg_id 0 means none: never deduplicated
  CHECK(append_ok(*j, rec(0)) == 9);
  CHECK(append_ok(*j, rec(0)) == 10);
  const auto all = read_all(*j, req(kAccount));
  REQUIRE(all.size() == 10);
  std::vector<EventId> ids;
  for (const auto& r : all) ids.push_back(r.msg_id);
  CHECK(ids == std::vector<EventId>{42, 43, 44, 45, 42, 46, 44, 45, 0, 0});
}

TEST_CASE("a torn last record is cut off on open, logged, and appends continue after it") {
  TempDir dir;
  const fs::path pristine = dir.path() / "pristine";
  const auto offsets = write_account_records(pristine, 10);
  const std::uint64_t last_start = offsets[9];
  const std::uint64_t end = offsets[10];
  REQUIRE(end - last_start > 40);

  struct Damage {
    const char* what;
    std::uint64_t cut_to;  // truncate the file to this size (or end: no cut)
    std::uint64_t flip;    // xor a byte at this offset (or 0: none)
  };
  const std::vector<Damage> damages = {
      {"cut inside the length", last_start + 2, 0},
      {"cut inside the checksum", last_start + 6, 0},
      {"cut after the frame header", last_start + 8, 0},
      {"cut inside the body header", last_start + 20, 0},
      {"cut inside the payload", end - 1, 0},
      {"flipped payload byte", end, end - 3},
      {"flipped sequence byte", end, last_start + 9},
      {"flipped checksum byte", end, last_start + 5},
  };
  int n = 0;
  for (const auto& d : damages) {
    CAPTURE(d.what);
    const fs::path root = dir.path() / ("case" + std::to_string(n++));
    fs::copy(pristine, root, fs::copy_options::recursive);
    const fs::path seg = segment_path(root, kAccount, 1);
    if (d.cut_to != end) fs::resize_file(seg, d.cut_to);
    if (d.flip != 0) xor_byte(seg, d.flip, 0x40);
    const std::uint64_t damaged_size = fs::file_size(seg);

    LogCapture log;
    auto j = open_ok(root);
    CHECK(fs::file_size(seg) == last_start);
    CHECK(*j->last_sequence(kAccount) == 9);
    const std::string text = log.text();
    CHECK(text.find(seg.string()) != std::string::npos);
    CHECK(text.find("at byte " + std::to_string(last_start)) != std::string::npos);
    CHECK(text.find("cut " + std::to_string(damaged_size - last_start) + " bytes") !=
          std::string::npos);

    const auto replacement = account_record(500);
    CHECK(append_ok(*j, replacement) == 10);
    const auto got = read_all(*j, req(kAccount, 9));
    REQUIRE(got.size() == 2);
    CHECK(got[0] == expected(kAccount, 9, account_record(8)));
    CHECK(got[1] == expected(kAccount, 10, replacement));
  }

  {  // a zero-filled tail (a crash after the size grew) is cut as well
    const fs::path root = dir.path() / "zeros";
    fs::copy(pristine, root, fs::copy_options::recursive);
    const fs::path seg = segment_path(root, kAccount, 1);
    fs::resize_file(seg, end + 4096);
    auto j = open_ok(root);
    CHECK(fs::file_size(seg) == end);
    CHECK(*j->last_sequence(kAccount) == 10);
  }
}

TEST_CASE(
    "a damaged record that is not the stream's last fails with kCorrupt naming file and byte") {
  TempDir dir;
  const fs::path pristine = dir.path() / "pristine";
  const auto offsets = write_account_records(pristine, 10);

  SUBCASE("a flipped payload byte in the middle of the last segment") {
    const fs::path seg = segment_path(pristine, kAccount, 1);
    xor_byte(seg, offsets[5] + 60, 0x01);
    auto j = FileJournal::open(pristine, layout(), options());
    REQUIRE_FALSE(j.ok());
    CHECK(j.error().code == StoreErrorCode::kCorrupt);
    CHECK(j.error().message ==
          "journal ACCOUNT_binance_main/00000000000000000001.seg: bad checksum at byte " +
              std::to_string(offsets[5]));
    CHECK(fs::file_size(seg) == offsets[10]);  // nothing was cut
  }
  SUBCASE("a damaged length in the middle is not mistaken for a torn tail") {
    const fs::path seg = segment_path(pristine, kAccount, 1);
    xor_byte(seg, offsets[7] + 2, 0x01);  // now claims 64 KiB more: past the end of the file
    auto j = FileJournal::open(pristine, layout(), options());
    REQUIRE_FALSE(j.ok());
    CHECK(j.error().message ==
          "journal ACCOUNT_binance_main/00000000000000000001.seg: truncated record at byte " +
              std::to_string(offsets[7]));
  }
  SUBCASE("damage found by a read after open") {
    auto j = open_ok(pristine);
    xor_byte(segment_path(pristine, kAccount, 1), offsets[3] + 30, 0x10);
    const auto n = j->read(req(kAccount), [](const StoredRecord&) { return true; });
    REQUIRE_FALSE(n.ok());
    CHECK(n.error().code == StoreErrorCode::kCorrupt);
    CHECK(n.error().message ==
          "journal ACCOUNT_binance_main/00000000000000000001.seg: bad checksum at byte " +
              std::to_string(offsets[3]));
  }
  SUBCASE("the last record of a segment that is not the last") {
    TempDir rolled;
    auto o = options();
    o.segment_bytes = 1024;
    {
      auto j = open_ok(rolled.path(), o);
      for (std::uint64_t i = 0; i < 40; ++i) (void)append_ok(*j, account_record(i));
    }
    const auto files = segments_of(rolled.path(), kAccount);
    REQUIRE(files.size() > 3);
    const auto size = fs::file_size(files[1]);
    fs::resize_file(files[1], size - 1);
    auto j = FileJournal::open(rolled.path(), layout(), o);
    REQUIRE_FALSE(j.ok());
    CHECK(j.error().code == StoreErrorCode::kCorrupt);
    CHECK(j.error().message.starts_with("journal ACCOUNT_binance_main/" +
                                        files[1].filename().string() +
                                        ": truncated record at byte "));
  }
  SUBCASE("a missing segment is a sequence gap") {
    TempDir rolled;
    auto o = options();
    o.segment_bytes = 1024;
    {
      auto j = open_ok(rolled.path(), o);
      for (std::uint64_t i = 0; i < 40; ++i) (void)append_ok(*j, account_record(i));
    }
    const auto files = segments_of(rolled.path(), kAccount);
    REQUIRE(files.size() > 3);
    const std::uint64_t missing = std::stoull(files[1].stem().string());
    const std::uint64_t next = std::stoull(files[2].stem().string());
    fs::remove(files[1]);
    auto j = FileJournal::open(rolled.path(), layout(), o);
    REQUIRE_FALSE(j.ok());
    CHECK(j.error().message == "journal ACCOUNT_binance_main/" + files[2].filename().string() +
                                   ": sequence gap: expected " + std::to_string(missing) +
                                   ", found " + std::to_string(next) + " at byte 0");
  }
  SUBCASE("a record whose sequence skips one") {
    // Records 1 and 2 framed by hand as documented, then a record claiming sequence 4.
    const fs::path seg = segment_path(pristine, kAccount, 1);
    std::string bytes = testkit::read_file(seg).substr(0, offsets[2]);
    std::string body(26, '\0');
    const std::uint64_t seq = 4;
    std::memcpy(body.data(), &seq, 8);
    const std::uint16_t subject_len = 5;
    std::memcpy(body.data() + 24, &subject_len, 2);
    body += "trades{}";
    const auto length = static_cast<std::uint32_t>(body.size());
    const std::uint32_t crc = crc32c(body);
    bytes.append(reinterpret_cast<const char*>(&length), 4);
    bytes.append(reinterpret_cast<const char*>(&crc), 4);
    bytes += body;
    std::ofstream(seg, std::ios::binary | std::ios::trunc) << bytes;
    auto j = FileJournal::open(pristine, layout(), options());
    REQUIRE_FALSE(j.ok());
    CHECK(j.error().message ==
          "journal ACCOUNT_binance_main/00000000000000000001.seg: sequence gap: "
          "expected 3, found 4 at byte " +
              std::to_string(offsets[2]));
  }
}

TEST_CASE("each fsync policy stores and reads back; kEveryRecord syncs once per record") {
  for (const auto policy :
       {FsyncPolicy::kNever, FsyncPolicy::kEveryRecord, FsyncPolicy::kInterval}) {
    CAPTURE(static_cast<int>(policy));
    TempDir dir;
    auto o = options(policy);
    o.fsync_interval = 5ms;
    std::vector<Owned> want;
    {
      auto j = open_ok(dir.path(), o);
      for (std::uint64_t i = 0; i < 50; ++i) {
        const auto r = account_record(i);
        CHECK(append_ok(*j, r) == i + 1);
        want.push_back(expected(kAccount, i + 1, r));
      }
      CHECK(read_all(*j, req(kAccount)) == want);
      switch (policy) {
        case FsyncPolicy::kNever:
          CHECK(j->stats().data_syncs == 0);
          CHECK(j->flush(1s).ok());
          CHECK(j->stats().data_syncs == 1);  // the one segment written
          CHECK(j->flush(1s).ok());
          CHECK(j->stats().data_syncs == 1);  // nothing new to sync
          break;
        case FsyncPolicy::kEveryRecord:
          CHECK(j->stats().data_syncs == 50);
          break;
        case FsyncPolicy::kInterval:
          CHECK(wait_until([&] { return j->stats().data_syncs >= 1; }));
          break;
      }
    }
    auto j = open_ok(dir.path(), o);
    CHECK(read_all(*j, req(kAccount)) == want);
  }
}

TEST_CASE("under kInterval a roll syncs the segment it leaves before writing the next") {
  TempDir dir;
  auto o = options(FsyncPolicy::kInterval);
  o.fsync_interval = std::chrono::hours(1);  // the background thread never runs in this test
  o.segment_bytes = 2048;
  auto j = open_ok(dir.path(), o);
  for (std::uint64_t i = 0; i < 100; ++i) (void)append_ok(*j, account_record(i));
  const auto segments = segments_of(dir.path(), kAccount).size();
  REQUIRE(segments > 5);
  CHECK(j->stats().data_syncs == segments - 1);
  CHECK(j->flush(1s).ok());
  CHECK(j->stats().data_syncs == segments);
}

TEST_CASE("under kNever nothing syncs until flush, which syncs every segment written") {
  TempDir dir;
  auto o = options(FsyncPolicy::kNever);
  o.segment_bytes = 2048;
  auto j = open_ok(dir.path(), o);
  for (std::uint64_t i = 0; i < 100; ++i) (void)append_ok(*j, account_record(i));
  const auto segments = segments_of(dir.path(), kAccount).size();
  REQUIRE(segments > 5);
  CHECK(j->stats().data_syncs == 0);
  CHECK(j->flush(1s).ok());
  CHECK(j->stats().data_syncs == segments);
}

TEST_CASE("records acknowledged under kNever survive a SIGKILL of the writing process") {
  TempDir dir;
  constexpr std::uint64_t kCount = 2000;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    auto j = FileJournal::open(dir.path(), layout(), options(FsyncPolicy::kNever));
    if (!j) ::_exit(2);
    for (std::uint64_t i = 0; i < kCount; ++i) {
      bool ok = false;
      (*j)->append(account_record(i), [&](const auto& r) { ok = r.ok() && *r == i + 1; });
      if (!ok) ::_exit(3);
    }
    const std::uint64_t n = kCount;
    if (::write(fds[1], &n, sizeof n) != sizeof n) ::_exit(4);
    while (true) ::pause();  // killed here, journal still open
  }
  ::close(fds[1]);
  std::uint64_t reported = 0;
  const auto got = ::read(fds[0], &reported, sizeof reported);
  ::close(fds[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(got == static_cast<ssize_t>(sizeof reported));
  CHECK((status & 0x7f) == SIGKILL);  // WTERMSIG, without glibc's old-style casts
  CHECK(reported == kCount);

  auto j = open_ok(dir.path());
  CHECK(*j->last_sequence(kAccount) == kCount);
  const auto all = read_all(*j, req(kAccount));
  REQUIRE(all.size() == kCount);
  for (std::uint64_t i = 0; i < kCount; ++i)
    CHECK(all[i] == expected(kAccount, i + 1, account_record(i)));
}

TEST_CASE("tail delivers stored and new records in order, and nothing after it is destroyed") {
  TempDir dir;
  auto j = open_ok(dir.path());
  for (std::uint64_t i = 0; i < 100; ++i) (void)append_ok(*j, account_record(i));

  std::mutex m;
  std::vector<Owned> got, trades;
  auto sub = j->tail(req(kAccount, 1), [&](const StoredRecord& r) {
    std::lock_guard lock(m);
    got.push_back(own(r));
    return true;
  });
  REQUIRE(sub.ok());
  auto filtered = j->tail(req(kAccount, 50, 0, "trades.>"), [&](const StoredRecord& r) {
    std::lock_guard lock(m);
    trades.push_back(own(r));
    return true;
  });
  REQUIRE(filtered.ok());
  std::uint64_t stop_after = 0;
  auto ending = j->tail(req(kAccount, 1), [&](const StoredRecord&) { return ++stop_after < 5; });
  REQUIRE(ending.ok());

  constexpr std::uint64_t kTotal = 5100;
  std::thread writer([&] {
    for (std::uint64_t i = 100; i < kTotal; ++i) (void)append_ok(*j, account_record(i));
  });
  writer.join();
  std::size_t want_trades = 0;  // account_record(i) is a trade when i % 3 == 1
  for (std::uint64_t i = 49; i < kTotal; ++i)
    if (i % 3 == 1) ++want_trades;
  CHECK(wait_until([&] {
    std::lock_guard lock(m);
    return got.size() == kTotal && trades.size() == want_trades;
  }));
  {
    std::lock_guard lock(m);
    REQUIRE(got.size() == kTotal);
    for (std::uint64_t i = 0; i < kTotal; ++i)
      CHECK(got[i] == expected(kAccount, i + 1, account_record(i)));
    for (const auto& t : trades) {
      CHECK(t.subject.starts_with("trades."));
      CHECK(t.sequence >= 50);
    }
  }
  sub->reset();
  filtered->reset();
  ending->reset();
  CHECK(stop_after == 5);
  for (std::uint64_t i = kTotal; i < kTotal + 10; ++i) (void)append_ok(*j, account_record(i));
  std::this_thread::sleep_for(50ms);
  {
    std::lock_guard lock(m);
    CHECK(got.size() == kTotal);
  }
  {                                       // a tail from beyond the end waits for that sequence
    std::atomic<std::uint64_t> first{0};  // relaxed: read after wait_until saw it
    auto later = j->tail(req(kAccount, kTotal + 13), [&](const StoredRecord& r) {
      std::uint64_t zero = 0;
      first.compare_exchange_strong(zero, r.sequence, std::memory_order_relaxed);
      return true;
    });
    REQUIRE(later.ok());
    for (std::uint64_t i = kTotal + 10; i < kTotal + 20; ++i)
      (void)append_ok(*j, account_record(i));
    CHECK(wait_until([&] { return first.load(std::memory_order_relaxed) != 0; }));
    CHECK(first.load(std::memory_order_relaxed) == kTotal + 13);
  }
}

TEST_CASE("a subscription destroyed from inside its own visitor stops delivering") {
  TempDir dir;
  auto j = open_ok(dir.path());
  std::mutex m;
  std::unique_ptr<Subscription> holder;
  std::atomic<int> calls{0};           // relaxed: read after wait_until / a sleep
  std::atomic<bool> destroyed{false};  // relaxed, as above
  auto sub = j->tail(req(kAccount, 1), [&](const StoredRecord&) {
    calls.fetch_add(1, std::memory_order_relaxed);
    std::unique_ptr<Subscription> doomed;
    {
      std::lock_guard lock(m);
      doomed = std::move(holder);
    }
    if (doomed) {
      doomed.reset();
      destroyed.store(true, std::memory_order_relaxed);
    }
    return true;
  });
  REQUIRE(sub.ok());
  {
    std::lock_guard lock(m);
    holder = std::move(*sub);
  }
  (void)append_ok(*j, account_record(0));
  REQUIRE(wait_until([&] { return destroyed.load(std::memory_order_relaxed); }));
  const int at = calls.load(std::memory_order_relaxed);
  for (std::uint64_t i = 1; i < 20; ++i) (void)append_ok(*j, account_record(i));
  std::this_thread::sleep_for(50ms);
  CHECK(calls.load(std::memory_order_relaxed) == at);
}

TEST_CASE("errors name what is wrong: unknown streams and subjects, bad records, a second writer") {
  TempDir dir;
  auto j = open_ok(dir.path());
  CHECK(j->last_sequence("NOPE").error().code == StoreErrorCode::kUnknownStream);
  CHECK(j->last_sequence("NOPE").error().message == "journal: no stream 'NOPE' in the layout");
  CHECK(j->day_index("NOPE").error().code == StoreErrorCode::kUnknownStream);
  CHECK(j->read(req("NOPE"), [](const StoredRecord&) { return true; }).error().code ==
        StoreErrorCode::kUnknownStream);
  CHECK(j->tail(req("NOPE"), [](const StoredRecord&) { return true; }).error().code ==
        StoreErrorCode::kUnknownStream);
  CHECK(append(*j, {"orders.bybit.x.spot.BTC-USDT", "{}", 1, 1}).error().code ==
        StoreErrorCode::kUnknownStream);
  CHECK(append(*j, {"", "{}", 1, 1}).error().code == StoreErrorCode::kInvalid);
  CHECK(append(*j, {"orders.binance.main." + std::string(70'000, 'x'), "{}", 1, 1}).error().code ==
        StoreErrorCode::kInvalid);
  CHECK(*j->stream_for("md.binance.spot.BTC-USDT.book") == "MD_binance");
  CHECK(*j->last_sequence(kAccount) == 0);
  CHECK(*j->read(req(kAccount), [](const StoredRecord&) { return true; }) == 0);

  auto second = FileJournal::open(dir.path(), layout(), options());
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == StoreErrorCode::kUnavailable);

  const fs::path file = dir.path() / "a_file";
  std::ofstream(file) << "x";
  auto on_file = FileJournal::open(file, layout(), options());
  REQUIRE_FALSE(on_file.ok());
  CHECK(on_file.error().code == StoreErrorCode::kIo);
  CHECK(on_file.error().message.find(file.string()) != std::string::npos);
}
