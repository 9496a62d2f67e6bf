// Daily files for people with grep and jq (DESIGN.md "Events, subjects, streams"):
//
//   {data_dir}/logs/YYYY/MM/DD/{account}/trades.jsonl
//   {data_dir}/strategies/YYYY/MM/DD/{strategy}/executions.jsonl
//   {data_dir}/transfers/YYYY/MM/transfers.jsonl                  (monthly)
//   {data_dir}/reports/YYYY/MM/{account}/pnl.csv                  (monthly, header line once)
//
// The file is chosen by the record's time (UTC), not the wall clock, so a replayed day lands
// in its own files. Names go through escape_token (messages/subjects.hpp). These files are
// derived views; the event streams stay the source of truth, so appends are not fsynced.
//
// Rotation: each series (kind + name) keeps its newest file open. A record of a later day
// (month) closes it and queues it for compression to `<file>.gz` on a worker thread (temp
// file, fsync, rename, then the original is removed). A late record of an earlier period is
// appended to that period's plain file, which is compressed again; when the .gz exists the
// new lines become one more gzip member (zcat and gzread read concatenated members).
//
// Open files hold a shared flock and the compressor takes an exclusive one without waiting,
// so a file that some writer (this process or another) still has open is never compressed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "oms/messages/envelope.hpp"
#include "oms/messages/result.hpp"
#include "oms/persistence/event_store.hpp"

namespace oms::persistence {

enum class DailyKind : std::uint8_t { kTrades, kExecutions, kTransfers, kPnl };

// Thread-safe.
class DailyFiles {
 public:
  explicit DailyFiles(std::filesystem::path data_dir);
  DailyFiles(const DailyFiles&) = delete;
  DailyFiles& operator=(const DailyFiles&) = delete;
  ~DailyFiles();  // close(); errors are logged

  // Each appends `line` + '\n' with one write(2) on an O_APPEND file, so a crash never leaves
  // half of a completed append. kInvalid (naming the file, nothing written) when the line (or
  // the header) holds a '\n'; kIo naming the file; kClosed after close().
  [[nodiscard]] Result<Unit, StoreError> append_trade(std::string_view account, TimeNs time,
                                                      std::string_view json_line);
  [[nodiscard]] Result<Unit, StoreError> append_execution(std::string_view strategy, TimeNs time,
                                                          std::string_view json_line);
  [[nodiscard]] Result<Unit, StoreError> append_transfer(TimeNs time, std::string_view json_line);
  // `header` is written as the first line of a new month's file (and never again in it); an
  // empty header writes none.
  [[nodiscard]] Result<Unit, StoreError> append_pnl_row(std::string_view account, TimeNs time,
                                                        std::string_view header,
                                                        std::string_view row);

  // The plain file a record of that kind, name and time goes to (name unused for transfers).
  [[nodiscard]] std::filesystem::path path_for(DailyKind kind, std::string_view name,
                                               TimeNs time) const;

  // After a restart: queues every uncompressed file of a period that ended before `day`
  // (days since 1970-01-01 UTC; a monthly file counts when its whole month is before it) and
  // removes temp files of dead compressions. Returns how many files were queued.
  [[nodiscard]] Result<std::size_t, StoreError> compress_closed_files_before(std::int32_t day);

  // Returns once the compressions queued so far are done, with the first error among them
  // not yet reported (the others are logged).
  [[nodiscard]] Result<Unit, StoreError> wait_for_compressions();

  // Closes the open files (they stay plain: they are still current after a restart),
  // finishes the queued compressions and stops the worker. Later appends fail with kClosed.
  [[nodiscard]] Result<Unit, StoreError> close();

 private:
  struct OpenFile {
    std::int32_t period = 0;  // utc_day, or year * 12 + month - 1 for monthly kinds
    int fd = -1;
    std::filesystem::path path;
  };
  using SeriesKey = std::pair<DailyKind, std::string>;  // kind, escaped name

  [[nodiscard]] Result<Unit, StoreError> append(DailyKind kind, std::string_view name,
                                                TimeNs time, std::string_view header,
                                                std::string_view line);
  [[nodiscard]] Result<Unit, StoreError> append_late(const std::filesystem::path& path,
                                                     std::string_view header,
                                                     std::string_view line);
  void enqueue(std::filesystem::path path);
  void run_worker();
  [[nodiscard]] Result<Unit, StoreError> take_errors();  // requires queue_mu_

  std::filesystem::path root_;

  std::mutex files_mu_;  // guards current_ and closed_; held during appends to current files
  std::map<SeriesKey, OpenFile> current_;
  bool closed_ = false;
  std::mutex late_mu_;  // serializes late appends, so a new file's header is written once

  std::mutex queue_mu_;  // guards everything below
  std::condition_variable queue_cv_;  // work queued or stopping
  std::condition_variable idle_cv_;   // a compression finished
  std::deque<std::filesystem::path> queue_;
  std::set<std::filesystem::path> queued_;  // what queue_ holds, to queue a file once
  bool busy_ = false;                       // the worker is compressing a file
  bool stopping_ = false;
  std::vector<StoreError> errors_;  // compression errors not yet returned
  std::thread worker_;              // last: starts after everything it uses exists
};

}  // namespace oms::persistence
