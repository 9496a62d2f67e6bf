// One stream of the file journal: its segment files, sparse index, day index and dedup
// window, and the operations FileJournal runs on it. Internal to oms_persistence.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "file_journal_format.hpp"
#include "oms/persistence/file_journal.hpp"

namespace oms::persistence {
namespace journal {

struct Segment {
  std::string path;
  std::uint64_t first_sequence = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;  // whole records only: the end of the last one
  // offsets[k]: the byte offset of record first_sequence + k * kIndexStride.
  std::vector<std::uint64_t> offsets;

  [[nodiscard]] std::uint64_t last_sequence() const noexcept {
    return first_sequence + records - 1;
  }
  void add(std::uint64_t record_bytes) {
    if (records % kIndexStride == 0) offsets.push_back(bytes);
    ++records;
    bytes += record_bytes;
  }
};

// The msg ids of a stream's last `capacity` records and their sequences. A record without
// an id (0) takes a slot but is never found. Ids are unique in the window (a repeat is a
// duplicate and is not stored), so evicting the oldest id erases exactly its own entry.
class DedupWindow {
 public:
  explicit DedupWindow(std::size_t capacity) : capacity_(capacity) {}
  [[nodiscard]] std::optional<std::uint64_t> find(EventId id) const;
  // Remembers the id of the record just stored (the stream's next sequence).
  void insert(EventId id, std::uint64_t sequence);
  void reserve(std::size_t n) { sequences_.reserve(n < capacity_ ? n : capacity_); }

 private:
  std::size_t capacity_;
  std::deque<EventId> order_;  // one slot per record, oldest first; 0 = no id
  std::unordered_map<EventId, std::uint64_t> sequences_;
};

}  // namespace journal

struct JournalStream {
  JournalStream(std::string stream_name, std::filesystem::path directory,
                const FileJournalOptions& o)
      : name(std::move(stream_name)),
        dir(std::move(directory)),
        options(o),
        dedup(o.dedup_window) {}

  const std::string name;
  const std::filesystem::path dir;
  const FileJournalOptions options;

  std::mutex mutex;                        // guards everything below
  std::condition_variable appended;        // notified after each append; tail threads wait on it
  std::vector<journal::Segment> segments;  // by first sequence; the last one is written
  std::uint64_t first_sequence = 1;        // of the first stored record (or the next, if none)
  std::uint64_t last_sequence = 0;
  std::shared_ptr<journal::File> writer;  // the last segment, once it is opened for writing
  // What the next sync must cover: the writer's data, segments rolled since, new entries.
  bool writer_dirty = false;
  std::vector<std::string> unsynced_segments;
  bool dir_dirty = false;                      // a segment file was created in dir
  bool parent_dirty = false;                   // dir itself was created in the journal's root
  std::map<std::int32_t, std::uint64_t> days;  // UTC day -> lowest sequence on it
  std::optional<std::int32_t> last_day;        // the day of the previous record (a cheap skip)
  journal::DedupWindow dedup;
  std::string scratch;  // the record being encoded (reused: no allocation per append)

  // "ACCOUNT_binance_main/00000000000000000001.seg", for messages.
  [[nodiscard]] std::string display(const journal::Segment& s) const;
  void note_day(TimeNs time, std::uint64_t sequence);
};

namespace journal {

// Opens one stream's directory (which may not exist yet): scans and verifies its segments,
// cuts a torn tail off the last one, builds the indexes and the dedup window.
[[nodiscard]] Result<std::shared_ptr<JournalStream>, StoreError> open_stream(
    const std::filesystem::path& root, const std::string& name, const FileJournalOptions& options);

struct AppendOutcome {
  std::uint64_t sequence = 0;
  bool duplicate = false;
  std::uint64_t data_syncs = 0;  // fdatasync calls it ran (kEveryRecord; a roll under kInterval)
};
// Writes one record (or finds its msg_id in the window); call with s.mutex held.
[[nodiscard]] Result<AppendOutcome, StoreError> append_locked(JournalStream& s,
                                                              const AppendRecord& r);

// Syncs what the stream wrote since its last sync; returns how many data syncs ran.
[[nodiscard]] Result<std::uint64_t, StoreError> sync_stream(JournalStream& s);

// Visits the stream's records in [from, to] (to clamped to the last record) that match
// filter, until visit returns false. Holds the stream's mutex only to plan the read.
[[nodiscard]] Result<std::uint64_t, StoreError> read_stream(JournalStream& s, std::uint64_t from,
                                                            std::uint64_t to,
                                                            std::string_view filter,
                                                            const RecordVisitor& visit);

}  // namespace journal
}  // namespace oms::persistence
