// FileJournal: the EventStore on local files, for backtests and users without a NATS server.
//
// Layout: root/{stream name}/ per stream of the StreamLayout (created on its first append),
// holding append-only segment files named by the sequence of their first record
// (00000000000000000001.seg), rolled when the next record would pass
// FileJournalOptions::segment_bytes. root/LOCK is flock()ed while a journal is open, so a
// second writer (another process, or a second open in this one) fails with kUnavailable.
//
// Record framing (little-endian, no padding, records back to back from byte 0 of a segment):
//
//   u32 length        bytes after the crc field: 26 + subject length + payload length
//   u32 crc32c        CRC32C (crc32c.hpp) of those `length` bytes
//   u64 sequence      stream sequence, from 1, contiguous across the stream's segments
//   u64 msg_id        the deduplication key (0 = none: never deduplicated)
//   i64 time          ns since the Unix epoch, UTC (the day index is by this time)
//   u16 subject length
//   subject bytes, then payload bytes (the payload's length is what remains)
//
// Opening scans every segment (verifying every checksum, and that sequences continue from
// one record and one segment to the next) to build a sparse in-memory index (the offset of
// every 64th record of a segment), the per-day index and, from the stream's last
// dedup_window records, the deduplication window. There is no sidecar index: a scan runs at
// the speed of the disk and cannot disagree with the data. A stream whose oldest segments
// were removed (retention) starts at its first remaining segment's sequence.
//
// Recovery: a damaged record in the LAST segment of a stream that no intact record follows
// (a short length, a short body or a bad checksum at the end, or a zero-filled tail: what a
// crash mid-write leaves) is cut off: the file is truncated to the last good record and a
// warning names the file, the offset and the bytes cut. Any other damaged record, a
// sequence gap, or a segment whose name disagrees with its first record fails the open with
// kCorrupt naming the file and the byte offset; nothing is skipped silently.
//
// Durability: every append is written with pwrite(2) before `done` runs, so a record
// acknowledged ok survives a crash of the process (it is in the page cache); what a machine
// crash may lose depends on FsyncPolicy.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "oms/persistence/event_store.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::persistence {

enum class FsyncPolicy : std::uint8_t {
  kNever,        // only flush() syncs; a machine crash may lose whatever the OS had not written
  kEveryRecord,  // fdatasync before each append's `done`: nothing acknowledged is ever lost
  kInterval,     // a background thread syncs every fsync_interval: a machine crash loses at
                 // most that much. Appends never wait for it; the one append that rolls a
                 // segment syncs the old one first (so a crash can lose only a suffix)
};

struct FileJournalOptions {
  // A segment is rolled when the next record would make it larger (a record larger than
  // this gets a segment of its own). 64 MiB: few files per day, and a roll is rare.
  std::uint64_t segment_bytes = std::uint64_t{64} << 20;
  // Message ids remembered per stream for deduplication (the last N records' ids); 0 turns
  // deduplication off. Re-publishing happens right after a crash (the intent log's pending
  // entries, minutes of traffic at most): 100k ids cover that at ~5 MB per stream, so 200
  // account streams stay within the memory budget.
  std::size_t dedup_window = 100'000;
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  std::chrono::milliseconds fsync_interval{100};
};

// Counters since open, for metrics.
struct FileJournalStats {
  std::uint64_t appended = 0;    // records written
  std::uint64_t duplicates = 0;  // appends answered from the dedup window, nothing written
  std::uint64_t data_syncs = 0;  // fdatasync calls on segment files
};

struct JournalStream;  // one stream's files and indexes (src/file_journal_stream.hpp)

class FileJournal final : public EventStore {
 public:
  // Opens (creating root if needed) and recovers every stream of the layout found under root.
  // Errors: kIo (naming the path and strerror), kUnavailable (root locked by another
  // journal), kCorrupt (naming the file and byte offset).
  [[nodiscard]] static Result<std::unique_ptr<FileJournal>, StoreError> open(
      const std::filesystem::path& root, const StreamLayout& layout,
      FileJournalOptions options = {});

  // Stops the interval sync thread (syncing once more under kInterval). Subscriptions may
  // outlive the journal; they then see no new records.
  ~FileJournal() override;
  FileJournal(const FileJournal&) = delete;
  FileJournal& operator=(const FileJournal&) = delete;

  [[nodiscard]] Result<std::string, StoreError> stream_for(std::string_view subject) const override;
  // Synchronous: `done` runs on the calling thread before append returns. Errors:
  // kUnknownStream, kInvalid (empty subject, subject over 65535 bytes, record over 64 MiB),
  // kIo (the record is not stored; under kEveryRecord a failed fdatasync reports kIo for a
  // record that is written, so a retry with the same msg_id gets its sequence back).
  void append(AppendRecord record, AppendCallback done) override;
  // fdatasync of every segment written since the last sync (and of new directory entries).
  // Appends are synchronous, so all earlier ones are complete; the timeout is not used
  // (an fdatasync cannot be abandoned half way).
  [[nodiscard]] Result<Unit, StoreError> flush(std::chrono::milliseconds timeout) override;
  // Records of [from, to] in order, checksums verified (kCorrupt naming file and offset).
  // A from_sequence below the stream's first stored record starts at that record.
  [[nodiscard]] Result<std::uint64_t, StoreError> read(const ReadRequest& request,
                                                       const RecordVisitor& visit) override;
  // One thread per subscription, woken by appends. Returning false from visit ends the
  // subscription's deliveries, as does a read error (logged with spdlog).
  [[nodiscard]] Result<std::unique_ptr<Subscription>, StoreError> tail(
      const ReadRequest& request, RecordVisitor visit) override;
  [[nodiscard]] Result<std::uint64_t, StoreError> last_sequence(std::string_view stream) override;
  [[nodiscard]] Result<std::vector<DayStart>, StoreError> day_index(
      std::string_view stream) override;

  [[nodiscard]] FileJournalStats stats() const noexcept;

 private:
  FileJournal(std::filesystem::path root, const StreamLayout& layout, FileJournalOptions options,
              int lock_fd);
  [[nodiscard]] Result<JournalStream*, StoreError> find_stream(std::string_view name) const;
  // Syncs what each stream wrote since its last sync; the first error, if any.
  [[nodiscard]] Result<Unit, StoreError> sync_all();
  void run_interval_sync();

  std::filesystem::path root_;
  StreamLayout layout_;
  FileJournalOptions options_;
  int lock_fd_;
  // Fixed at open (one per layout stream); shared with tail threads, which may outlive us.
  std::map<std::string, std::shared_ptr<JournalStream>, std::less<>> streams_;

  std::atomic<std::uint64_t> appended_{0};    // relaxed: counters, no ordering with data
  std::atomic<std::uint64_t> duplicates_{0};  // relaxed, as above
  std::atomic<std::uint64_t> data_syncs_{0};  // relaxed, as above

  std::mutex sync_mutex_;  // guards stopping_ for the interval thread
  std::condition_variable sync_wake_;
  bool stopping_ = false;
  std::thread sync_thread_;  // runs only under FsyncPolicy::kInterval
};

}  // namespace oms::persistence
