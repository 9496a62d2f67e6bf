// Pins persistence/src/daily_files.cpp: files chosen by the record's UTC time, rotation at
// midnight / month end, gzip of closed files (read back with zlib and with zcat), the CSV
// header, refused lines, and the sweep after a restart.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "oms/persistence/daily_files.hpp"
#include "testkit/temp_dir.hpp"

using namespace oms;
using namespace oms::persistence;
namespace fs = std::filesystem;

namespace {

using testkit::TempDir;  // a fresh directory per test, removed at the end

constexpr TimeNs kMs = 1'000'000;
constexpr TimeNs kHour = 3'600'000'000'000;

TimeNs utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  const auto day = sys_days{year_month_day{year{y}, month{mo}, std::chrono::day{d}}};
  return duration_cast<nanoseconds>((day + hours{h} + minutes{mi} + seconds{s}).time_since_epoch())
      .count();
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// All members of a gzip file, decompressed with zlib; fails the test on a damaged file.
std::string gunzip(const fs::path& p) {
  gzFile gz = gzopen(p.c_str(), "rb");
  REQUIRE_MESSAGE(gz != nullptr, p.string());
  std::string out;
  char buf[4096];
  int n = 0;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  CHECK(n == 0);
  CHECK(gzdirect(gz) == 0);  // really gzip, not a plain file read through
  CHECK(gzclose(gz) == Z_OK);
  return out;
}

void gzip_to(const fs::path& p, const std::string& text) {
  gzFile gz = gzopen(p.c_str(), "wb");
  REQUIRE(gz != nullptr);
  REQUIRE(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())) ==
          static_cast<int>(text.size()));
  REQUIRE(gzclose(gz) == Z_OK);
}

bool have_tool(const char* name) {
  return std::system(("command -v " + std::string(name) + " >/dev/null 2>&1").c_str()) == 0;
}

// Output of a shell pipeline (run through /bin/sh), for zcat | wc and zcat | jq.
std::string shell(const std::string& command, const fs::path& scratch) {
  const fs::path out = scratch / "shell.out";
  REQUIRE(std::system((command + " > '" + out.string() + "'").c_str()) == 0);
  return read_text(out);
}

fs::path gz(const fs::path& p) { return p.string() + ".gz"; }

pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

}  // namespace

TEST_CASE("records land in the file of their UTC day and the closed day is left only as .gz") {
  TempDir dir;
  DailyFiles files(dir.path());
  const TimeNs before = utc(2024, 8, 8, 23, 59, 59) + 900 * kMs;  // 23:59:59.9
  const TimeNs after = utc(2024, 8, 9) + 100 * kMs;               // 00:00:00.1
  const std::string t1 = R"({"id":1,"px":"64000.1","qty":"0.5"})";
  const std::string t2 = R"({"id":2,"px":"64000.2","qty":"0.25"})";
  const std::string t3 = R"({"id":3,"px":"64000.3","qty":"1"})";
  REQUIRE(files.append_trade("main", before, t1).ok());
  REQUIRE(files.append_trade("main", before + 50 * kMs, t2).ok());
  REQUIRE(files.append_execution("arb-1", before, R"({"leg":"a"})").ok());
  REQUIRE(files.append_trade("main", after, t3).ok());
  REQUIRE(files.append_execution("arb-1", after, R"({"leg":"b"})").ok());
  REQUIRE(files.wait_for_compressions().ok());

  const fs::path day1 = dir.path() / "logs/2024/08/08/main/trades.jsonl";
  const fs::path day2 = dir.path() / "logs/2024/08/09/main/trades.jsonl";
  CHECK(files.path_for(DailyKind::kTrades, "main", before) == day1);
  CHECK(files.path_for(DailyKind::kTrades, "main", after) == day2);
  CHECK_FALSE(fs::exists(day1));
  REQUIRE(fs::exists(gz(day1)));
  CHECK(gunzip(gz(day1)) == t1 + "\n" + t2 + "\n");
  CHECK(read_text(day2) == t3 + "\n");
  CHECK_FALSE(fs::exists(gz(day2)));

  const fs::path exec1 = dir.path() / "strategies/2024/08/08/arb-1/executions.jsonl";
  const fs::path exec2 = dir.path() / "strategies/2024/08/09/arb-1/executions.jsonl";
  CHECK_FALSE(fs::exists(exec1));
  CHECK(gunzip(gz(exec1)) == "{\"leg\":\"a\"}\n");
  CHECK(read_text(exec2) == "{\"leg\":\"b\"}\n");

  if (have_tool("zcat")) {
    CHECK(shell("zcat '" + gz(day1).string() + "' | wc -l", dir.path()) == "2\n");
    if (have_tool("jq")) {
      CHECK(shell("zcat '" + gz(day1).string() + "' | jq -c .id", dir.path()) == "1\n2\n");
    }
  } else {
    MESSAGE("zcat not installed: checked with zlib only");
  }

  REQUIRE(files.close().ok());
  CHECK(read_text(day2) == t3 + "\n");  // still current: close() does not compress it
  CHECK_FALSE(fs::exists(gz(day2)));
  auto late = files.append_trade("main", after, t3);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == StoreErrorCode::kClosed);
}

TEST_CASE("monthly files rotate at the UTC month end and the pnl header is written once per file") {
  TempDir dir;
  const std::string header = "time,account,asset,realized,unrealized";
  const TimeNs before = utc(2024, 1, 31, 23, 59, 59) + 900 * kMs;
  const TimeNs after = utc(2024, 2, 1) + 100 * kMs;
  {
    DailyFiles files(dir.path());
    REQUIRE(files.append_transfer(before, R"({"transfer":1})").ok());
    REQUIRE(files.append_transfer(after, R"({"transfer":2})").ok());
    REQUIRE(files.append_pnl_row("main", before - kHour, header, "t0,main,USDT,1.5,0").ok());
    REQUIRE(files.append_pnl_row("main", before, header, "t1,main,USDT,2.5,0").ok());
    REQUIRE(files.append_pnl_row("main", after, header, "t2,main,USDT,0.5,1").ok());
    REQUIRE(files.close().ok());  // finishes the queued compressions
  }
  const fs::path jan = dir.path() / "transfers/2024/01/transfers.jsonl";
  const fs::path feb = dir.path() / "transfers/2024/02/transfers.jsonl";
  CHECK_FALSE(fs::exists(jan));
  CHECK(gunzip(gz(jan)) == "{\"transfer\":1}\n");
  CHECK(read_text(feb) == "{\"transfer\":2}\n");

  const fs::path pnl_jan = dir.path() / "reports/2024/01/main/pnl.csv";
  const fs::path pnl_feb = dir.path() / "reports/2024/02/main/pnl.csv";
  CHECK_FALSE(fs::exists(pnl_jan));
  CHECK(gunzip(gz(pnl_jan)) == header + "\nt0,main,USDT,1.5,0\nt1,main,USDT,2.5,0\n");
  CHECK(read_text(pnl_feb) == header + "\nt2,main,USDT,0.5,1\n");

  // A restarted writer continues February's file without a second header.
  DailyFiles again(dir.path());
  REQUIRE(again.append_pnl_row("main", after + kHour, header, "t3,main,USDT,0.7,1").ok());
  CHECK(read_text(pnl_feb) == header + "\nt2,main,USDT,0.5,1\nt3,main,USDT,0.7,1\n");
}

TEST_CASE("a line holding a newline is refused, names the file, and nothing is written") {
  TempDir dir;
  DailyFiles files(dir.path());
  const TimeNs t = utc(2024, 8, 9, 12);
  const fs::path trades = dir.path() / "logs/2024/08/09/main/trades.jsonl";
  auto r = files.append_trade("main", t, "{\"id\":1}\n{\"id\":2}");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == StoreErrorCode::kInvalid);
  CHECK(r.error().message.starts_with(trades.string() + ": "));
  CHECK_FALSE(fs::exists(trades));

  auto h = files.append_pnl_row("main", t, "time,\nrealized", "t,1");
  REQUIRE_FALSE(h.ok());
  CHECK(h.error().code == StoreErrorCode::kInvalid);
  CHECK_FALSE(fs::exists(dir.path() / "reports/2024/08/main/pnl.csv"));

  REQUIRE(files.append_trade("main", t, "{\"id\":3}").ok());
  CHECK_FALSE(files.append_trade("main", t, "{\"id\":4}\n").ok());
  CHECK(read_text(trades) == "{\"id\":3}\n");
}

TEST_CASE("a late record of a compressed period becomes one more gzip member") {
  TempDir dir;
  DailyFiles files(dir.path());
  const std::string header = "time,realized";
  const TimeNs day1 = utc(2024, 8, 8, 22);
  const TimeNs day2 = utc(2024, 8, 9, 1);
  REQUIRE(files.append_trade("main", day1, "{\"id\":1}").ok());
  REQUIRE(files.append_trade("main", day2, "{\"id\":2}").ok());
  REQUIRE(files.append_pnl_row("main", utc(2024, 7, 31, 23), header, "jul,1").ok());
  REQUIRE(files.append_pnl_row("main", day1, header, "aug,2").ok());
  REQUIRE(files.wait_for_compressions().ok());
  // The fill of 23:59 reported after midnight: its file is the 8th's, already compressed.
  REQUIRE(files.append_trade("main", utc(2024, 8, 8, 23, 59), "{\"id\":9}").ok());
  REQUIRE(files.append_pnl_row("main", utc(2024, 7, 31, 23, 30), header, "jul,late").ok());
  REQUIRE(files.wait_for_compressions().ok());

  const fs::path trades1 = dir.path() / "logs/2024/08/08/main/trades.jsonl";
  CHECK_FALSE(fs::exists(trades1));
  CHECK(gunzip(gz(trades1)) == "{\"id\":1}\n{\"id\":9}\n");
  CHECK(read_text(dir.path() / "logs/2024/08/09/main/trades.jsonl") == "{\"id\":2}\n");
  const fs::path pnl_jul = dir.path() / "reports/2024/07/main/pnl.csv";
  CHECK_FALSE(fs::exists(pnl_jul));
  CHECK(gunzip(gz(pnl_jul)) == header + "\njul,1\njul,late\n");
  if (have_tool("zcat")) {
    CHECK(shell("zcat '" + gz(trades1).string() + "' | wc -l", dir.path()) == "2\n");
  }
}

TEST_CASE("compress_closed_files_before sweeps what an earlier run left, and only that") {
  TempDir dir;
  const TimeNs aug8 = utc(2024, 8, 8, 10);
  const TimeNs aug9 = utc(2024, 8, 9, 10);
  {
    DailyFiles first(dir.path());
    REQUIRE(first.append_trade("main", aug8, "{\"id\":1}").ok());
    REQUIRE(first.append_trade("sub", aug9, "{\"id\":2}").ok());
    REQUIRE(first.append_transfer(utc(2024, 7, 20), "{\"transfer\":7}").ok());
    REQUIRE(first.append_pnl_row("main", aug8, "h", "r").ok());
    REQUIRE(first.close().ok());  // every file was current: all stay plain
  }
  const fs::path main8 = dir.path() / "logs/2024/08/08/main/trades.jsonl";
  const fs::path sub9 = dir.path() / "logs/2024/08/09/sub/trades.jsonl";
  const fs::path jul = dir.path() / "transfers/2024/07/transfers.jsonl";
  const fs::path pnl_aug = dir.path() / "reports/2024/08/main/pnl.csv";
  REQUIRE(fs::exists(main8));
  // A crash between the rename of a .gz and the removal of its source left both.
  const fs::path main7 = dir.path() / "logs/2024/08/07/main/trades.jsonl";
  write_text(main7, "{\"id\":0}\n");
  gzip_to(gz(main7), "{\"id\":0}\n");
  // A compression killed half-way left its temp file.
  const fs::path stale = main8.string() + ".gz.tmp." + std::to_string(dead_pid()) + ".3";
  write_text(stale, "partial");

  DailyFiles files(dir.path());
  const std::int32_t aug9_day = utc_day(aug9);
  auto queued = files.compress_closed_files_before(aug9_day);
  REQUIRE(queued.ok());
  CHECK(*queued == 3);  // Aug 7 and Aug 8 of main, July's transfers
  REQUIRE(files.wait_for_compressions().ok());

  CHECK_FALSE(fs::exists(stale));
  CHECK_FALSE(fs::exists(main7));
  CHECK(gunzip(gz(main7)) == "{\"id\":0}\n");  // not doubled
  CHECK_FALSE(fs::exists(main8));
  CHECK(gunzip(gz(main8)) == "{\"id\":1}\n");
  CHECK_FALSE(fs::exists(jul));
  CHECK(gunzip(gz(jul)) == "{\"transfer\":7}\n");
  CHECK(read_text(sub9) == "{\"id\":2}\n");      // Aug 9 is not closed
  CHECK(read_text(pnl_aug) == "h\nr\n");         // nor is August
  CHECK_FALSE(fs::exists(gz(sub9)));
  CHECK_FALSE(fs::exists(gz(pnl_aug)));
}

TEST_CASE("a file still open in a writer is not compressed by a sweep") {
  TempDir dir;
  DailyFiles writer(dir.path());
  const TimeNs aug8 = utc(2024, 8, 8, 10);
  REQUIRE(writer.append_trade("main", aug8, "{\"id\":1}").ok());
  DailyFiles sweeper(dir.path());
  auto queued = sweeper.compress_closed_files_before(utc_day(utc(2024, 8, 10)));
  REQUIRE(queued.ok());
  CHECK(*queued == 1);
  REQUIRE(sweeper.wait_for_compressions().ok());
  const fs::path main8 = dir.path() / "logs/2024/08/08/main/trades.jsonl";
  CHECK(fs::exists(main8));  // the writer's shared lock kept it plain
  CHECK_FALSE(fs::exists(gz(main8)));
  REQUIRE(writer.append_trade("main", aug8, "{\"id\":2}").ok());
  CHECK(read_text(main8) == "{\"id\":1}\n{\"id\":2}\n");
}

TEST_CASE("appends from several threads land as whole lines") {
  TempDir dir;
  DailyFiles files(dir.path());
  constexpr int kThreads = 4;
  constexpr int kLines = 2000;
  const TimeNs t = utc(2024, 8, 9, 12);
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&files, w, t] {
      for (int i = 0; i < kLines; ++i) {
        const std::string line = "{\"writer\":" + std::to_string(w) + ",\"i\":" +
                                 std::to_string(i) + ",\"pad\":\"" + std::string(100, 'x') + "\"}";
        CHECK(files.append_trade("main", t, line).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::ifstream in(dir.path() / "logs/2024/08/09/main/trades.jsonl");
  std::vector<int> next(kThreads, 0);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    ++count;
    const int w = line[10] - '0';
    REQUIRE(w >= 0);
    REQUIRE(w < kThreads);
    const std::string expected = "{\"writer\":" + std::to_string(w) + ",\"i\":" +
                                 std::to_string(next[static_cast<std::size_t>(w)]++) +
                                 ",\"pad\":\"" + std::string(100, 'x') + "\"}";
    CHECK(line == expected);
  }
  CHECK(count == kThreads * kLines);
}

TEST_CASE("late records racing the compression of their day are all kept, once, in order") {
  TempDir dir;
  DailyFiles files(dir.path());
  const TimeNs day1 = utc(2024, 8, 8, 23, 59);
  const TimeNs day2 = utc(2024, 8, 9, 0, 1);
  REQUIRE(files.append_trade("main", day1, "{\"late\":-1}").ok());
  REQUIRE(files.append_trade("main", day2, "{\"current\":-1}").ok());  // rotation: day1 queued
  constexpr int kLate = 200;
  std::thread current([&] {
    for (int i = 0; i < kLate; ++i) {
      CHECK(files.append_trade("main", day2, "{\"current\":" + std::to_string(i) + "}").ok());
    }
  });
  std::string expected_day1 = "{\"late\":-1}\n";
  for (int i = 0; i < kLate; ++i) {  // each queues day1 again while the worker compresses it
    const std::string line = "{\"late\":" + std::to_string(i) + "}";
    CHECK(files.append_trade("main", day1, line).ok());
    expected_day1 += line + "\n";
  }
  current.join();
  REQUIRE(files.wait_for_compressions().ok());
  const fs::path plain1 = dir.path() / "logs/2024/08/08/main/trades.jsonl";
  CHECK_FALSE(fs::exists(plain1));
  CHECK(gunzip(gz(plain1)) == expected_day1);
  std::string expected_day2 = "{\"current\":-1}\n";
  for (int i = 0; i < kLate; ++i) expected_day2 += "{\"current\":" + std::to_string(i) + "}\n";
  CHECK(read_text(dir.path() / "logs/2024/08/09/main/trades.jsonl") == expected_day2);
}
