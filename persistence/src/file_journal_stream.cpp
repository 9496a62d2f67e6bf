#include "file_journal_stream.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

namespace oms::persistence {

std::string JournalStream::display(const journal::Segment& s) const {
  return name + "/" + std::filesystem::path(s.path).filename().string();
}

void JournalStream::note_day(TimeNs time, std::uint64_t sequence) {
  const std::int32_t day = utc_day(time);
  if (last_day == day) return;  // the common case: most records fall on the previous one's day
  last_day = day;
  days.emplace(day, sequence);  // a day seen before keeps its lower sequence
}

namespace journal {
namespace {

namespace fs = std::filesystem;

// The smallest framed record (a one-byte subject, no payload): bounds how many sequences the
// bytes after a damaged record can hold.
constexpr std::size_t kMinRecordBytes = kFrameBytes + kBodyHeaderBytes + 1;

std::string gap_message(std::uint64_t expected, std::uint64_t found) {
  return "sequence gap: expected " + std::to_string(expected) + ", found " + std::to_string(found);
}

// True when an intact record of sequence >= next starts anywhere in [offset + 1, size): then
// the damage at offset is not a crash's torn tail (a crash loses only a suffix) but
// corruption in the middle, which must not be cut away.
bool intact_record_follows(const unsigned char* data, std::size_t size, std::size_t offset,
                           std::uint64_t next) {
  const std::uint64_t max_sequence = next + (size - offset) / kMinRecordBytes;
  for (std::size_t p = offset + 1; p + kMinRecordBytes <= size; ++p) {
    // Cheap filters first; the checksum runs only where a plausible sequence sits.
    const std::size_t length = load_le<std::uint32_t>(data + p);
    if (length < kBodyHeaderBytes + 1 || length > size - p - kFrameBytes) continue;
    const auto sequence = load_le<std::uint64_t>(data + p + kFrameBytes);
    if (sequence < next || sequence > max_sequence) continue;
    RecordView record;
    if (parse_record(data + p, size - p, record) == ParseStatus::kOk) return true;
  }
  return false;
}

struct TornTail {
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
  ParseStatus status = ParseStatus::kOk;
};

// Scans one segment into s (its records, indexes and days). expected: the sequence the
// previous segment ends before, or 0 for the stream's first segment (whose older
// predecessors retention may have removed).
Result<std::optional<TornTail>, StoreError> scan_segment(JournalStream& s, Segment& seg,
                                                         std::uint64_t expected, bool last) {
  const std::string display = s.display(seg);
  if (seg.first_sequence == 0)
    return Unexpected{corrupt_error(display, "sequence 0 in file name", 0)};
  if (expected != 0 && seg.first_sequence != expected)
    return Unexpected{corrupt_error(display, gap_message(expected, seg.first_sequence), 0)};
  std::error_code ec;
  const std::uint64_t size = fs::file_size(seg.path, ec);
  if (ec) return Unexpected{io_error(seg.path, "stat", ec.value())};
  auto mapped = MappedRange::map(seg.path, 0, size);
  if (!mapped) return Unexpected{std::move(mapped).error()};
  const unsigned char* data = mapped->data();

  std::size_t offset = 0;
  std::uint64_t next = seg.first_sequence;
  while (offset < size) {
    RecordView record;
    const ParseStatus status = parse_record(data + offset, size - offset, record);
    if (status != ParseStatus::kOk) {
      if (!last || intact_record_follows(data, size, offset, next))
        return Unexpected{corrupt_error(display, describe(status), offset)};
      return std::optional<TornTail>(TornTail{offset, size - offset, status});
    }
    if (record.sequence != next)
      return Unexpected{corrupt_error(display, gap_message(next, record.sequence), offset)};
    seg.add(record.size);
    s.note_day(record.time, record.sequence);
    offset += record.size;
    ++next;
  }
  if (!last && seg.records == 0) return Unexpected{corrupt_error(display, "empty segment", 0)};
  return std::optional<TornTail>();
}

Result<Unit, StoreError> cut_torn_tail(const Segment& seg, const TornTail& torn) {
  auto file = open_file(seg.path, O_WRONLY);
  if (!file) return Unexpected{std::move(file).error()};
  if (::ftruncate((*file)->fd(), static_cast<off_t>(torn.offset)) != 0)
    return Unexpected{io_error(seg.path, "ftruncate", errno)};
  // Durable at once: a new record must never land after bytes a crash could bring back.
  if (auto synced = (*file)->sync_data(); !synced) return synced;
  spdlog::warn("journal {}: {} at byte {}: cut {} bytes (torn tail of a crashed write)", seg.path,
               describe(torn.status), torn.offset, torn.bytes);
  return Unit{};
}

// Creates the segment that starts at sequence and makes it the one written; counts the
// data syncs it ran in out.
Result<Unit, StoreError> start_segment(JournalStream& s, std::uint64_t sequence,
                                       AppendOutcome& out) {
  if (s.segments.empty()) {
    std::error_code ec;
    if (fs::create_directory(s.dir, ec)) s.parent_dirty = true;
    if (ec) return Unexpected{io_error(s.dir.string(), "mkdir", ec.value())};
  }
  if (s.writer && s.writer_dirty) {
    if (s.options.fsync == FsyncPolicy::kInterval) {
      // Sync the old segment before any record lands in the next one, so a machine crash
      // loses only a suffix of the stream, never a hole before a later segment (which open
      // would have to refuse as a gap). At most one interval of writes is unsynced here.
      if (auto synced = s.writer->sync_data(); !synced) return synced;
      ++out.data_syncs;
    } else {
      s.unsynced_segments.push_back(s.writer->path());  // kNever: for the next flush()
    }
    s.writer_dirty = false;
  }
  const std::string path = (s.dir / segment_file_name(sequence)).string();
  auto file = open_file(path, O_WRONLY | O_CREAT | O_EXCL);
  if (!file) return Unexpected{std::move(file).error()};
  s.writer = std::move(*file);
  s.segments.push_back(Segment{path, sequence, 0, 0, {}});
  s.dir_dirty = true;
  return Unit{};
}

}  // namespace

std::optional<std::uint64_t> DedupWindow::find(EventId id) const {
  if (id == 0 || capacity_ == 0) return std::nullopt;
  const auto it = sequences_.find(id);
  if (it == sequences_.end()) return std::nullopt;
  return it->second;
}

void DedupWindow::insert(EventId id, std::uint64_t sequence) {
  if (capacity_ == 0) return;
  // An id already present can only come from records written under a smaller window (the
  // same id stored twice): keep the first, and let this slot hold nothing.
  if (id != 0 && !sequences_.emplace(id, sequence).second) id = 0;
  order_.push_back(id);
  if (order_.size() > capacity_) {
    if (order_.front() != 0) sequences_.erase(order_.front());
    order_.pop_front();
  }
}

Result<std::shared_ptr<JournalStream>, StoreError> open_stream(const std::filesystem::path& root,
                                                               const std::string& name,
                                                               const FileJournalOptions& options) {
  auto s = std::make_shared<JournalStream>(name, root / name, options);
  std::error_code ec;
  if (!fs::exists(s->dir, ec)) {
    if (ec) return Unexpected{io_error(s->dir.string(), "stat", ec.value())};
    return s;  // created on the first append
  }
  std::vector<Segment> found;
  for (fs::directory_iterator it(s->dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (const auto first = parse_segment_file_name(it->path().filename().string()))
      found.push_back(Segment{it->path().string(), *first, 0, 0, {}});
  }
  if (ec) return Unexpected{io_error(s->dir.string(), "list", ec.value())};
  std::sort(found.begin(), found.end(),
            [](const Segment& a, const Segment& b) { return a.first_sequence < b.first_sequence; });

  std::uint64_t expected = 0;
  for (std::size_t i = 0; i < found.size(); ++i) {
    Segment& seg = found[i];
    const bool last = i + 1 == found.size();
    auto torn = scan_segment(*s, seg, expected, last);
    if (!torn) return Unexpected{std::move(torn).error()};
    if (*torn) {
      if (auto cut = cut_torn_tail(seg, **torn); !cut) return Unexpected{std::move(cut).error()};
    }
    expected = seg.first_sequence + seg.records;
    s->segments.push_back(std::move(seg));
  }
  if (s->segments.empty()) return s;

  s->first_sequence = s->segments.front().first_sequence;
  s->last_sequence = expected - 1;
  auto writer = open_file(s->segments.back().path, O_WRONLY);
  if (!writer) return Unexpected{std::move(writer).error()};
  s->writer = std::move(*writer);

  // The dedup window: the ids of the stream's last dedup_window records.
  const std::uint64_t stored = s->last_sequence + 1 - s->first_sequence;
  const std::uint64_t window = std::min<std::uint64_t>(stored, options.dedup_window);
  if (window > 0) {
    s->dedup.reserve(static_cast<std::size_t>(window));
    auto& dedup = s->dedup;
    auto rebuilt = read_stream(*s, s->last_sequence + 1 - window, s->last_sequence, {},
                               [&dedup](const StoredRecord& r) {
                                 dedup.insert(r.msg_id, r.sequence);
                                 return true;
                               });
    if (!rebuilt) return Unexpected{std::move(rebuilt).error()};
  }
  return s;
}

Result<AppendOutcome, StoreError> append_locked(JournalStream& s, const AppendRecord& r) {
  if (const auto original = s.dedup.find(r.msg_id)) return AppendOutcome{*original, true, 0};
  const std::uint64_t sequence = s.last_sequence + 1;
  AppendOutcome out{sequence, false, 0};
  s.scratch.clear();
  encode_record(s.scratch, sequence, r);
  const std::uint64_t size = s.scratch.size();
  if (!s.writer ||
      (s.segments.back().bytes > 0 && s.segments.back().bytes + size > s.options.segment_bytes)) {
    if (auto started = start_segment(s, sequence, out); !started)
      return Unexpected{std::move(started).error()};
  }
  Segment& seg = s.segments.back();
  if (auto written = s.writer->write_at(s.scratch, seg.bytes); !written) {
    // Best effort: drop a partial record now (the next write would overwrite it anyway,
    // and an open would cut it as a torn tail).
    (void)::ftruncate(s.writer->fd(), static_cast<off_t>(seg.bytes));
    return Unexpected{std::move(written).error()};
  }
  seg.add(size);
  s.last_sequence = sequence;
  s.note_day(r.time, sequence);
  s.dedup.insert(r.msg_id, sequence);

  if (s.options.fsync != FsyncPolicy::kEveryRecord) {
    s.writer_dirty = true;
    return out;
  }
  if (auto synced = s.writer->sync_data(); !synced) return Unexpected{std::move(synced).error()};
  ++out.data_syncs;
  if (s.dir_dirty) {
    if (auto dir = sync_path(s.dir.string()); !dir) return Unexpected{std::move(dir).error()};
    s.dir_dirty = false;
  }
  if (s.parent_dirty) {
    if (auto parent = sync_path(s.dir.parent_path().string()); !parent)
      return Unexpected{std::move(parent).error()};
    s.parent_dirty = false;
  }
  return out;
}

Result<std::uint64_t, StoreError> sync_stream(JournalStream& s) {
  std::shared_ptr<File> writer;
  std::vector<std::string> rolled;
  bool dir = false, parent = false;
  {
    std::lock_guard lock(s.mutex);
    if (std::exchange(s.writer_dirty, false)) writer = s.writer;
    rolled.swap(s.unsynced_segments);
    dir = std::exchange(s.dir_dirty, false);
    parent = std::exchange(s.parent_dirty, false);
  }
  // Outside the lock: an fdatasync takes milliseconds and appends must not wait for it.
  std::uint64_t syncs = 0;
  auto result = [&]() -> Result<Unit, StoreError> {
    for (const auto& path : rolled) {
      if (auto r = sync_path(path); !r) return r;
      ++syncs;
    }
    if (writer) {
      if (auto r = writer->sync_data(); !r) return r;
      ++syncs;
    }
    if (dir) {
      if (auto r = sync_path(s.dir.string()); !r) return r;
    }
    if (parent) return sync_path(s.dir.parent_path().string());
    return Unit{};
  }();
  if (!result) {
    // Keep the debt for the next attempt.
    std::lock_guard lock(s.mutex);
    if (writer && writer == s.writer)
      s.writer_dirty = true;
    else if (writer)
      s.unsynced_segments.push_back(writer->path());
    s.unsynced_segments.insert(s.unsynced_segments.end(), rolled.begin(), rolled.end());
    s.dir_dirty = s.dir_dirty || dir;
    s.parent_dirty = s.parent_dirty || parent;
    return Unexpected{std::move(result).error()};
  }
  return syncs;
}

Result<std::uint64_t, StoreError> read_stream(JournalStream& s, std::uint64_t from,
                                              std::uint64_t to, std::string_view filter,
                                              const RecordVisitor& visit) {
  struct Span {
    std::string path;
    std::string display;
    std::uint64_t start_sequence = 0;
    std::uint64_t start_offset = 0;
    std::uint64_t end_offset = 0;
  };
  std::vector<Span> spans;
  {
    std::lock_guard lock(s.mutex);
    if (to == 0 || to > s.last_sequence) to = s.last_sequence;
    from = std::max(from, s.first_sequence);
    if (from > to) return std::uint64_t{0};
    auto it = std::upper_bound(
        s.segments.begin(), s.segments.end(), from,
        [](std::uint64_t seq, const Segment& seg) { return seq < seg.first_sequence; });
    if (it != s.segments.begin()) --it;
    for (; it != s.segments.end() && it->first_sequence <= to; ++it) {
      if (it->records == 0) continue;
      Span span{it->path, s.display(*it), it->first_sequence, 0, it->bytes};
      if (from > it->first_sequence) {
        // Start at the indexed record at or before `from`: at most kIndexStride - 1 to skip.
        const std::uint64_t k = std::min<std::uint64_t>((from - it->first_sequence) / kIndexStride,
                                                        it->offsets.size() - 1);
        span.start_sequence = it->first_sequence + k * kIndexStride;
        span.start_offset = it->offsets[k];
      }
      // End at the indexed record after `to` when there is one: the mapping (populated up
      // front) then covers what the read visits, not the rest of a 64 MiB segment.
      if (const std::uint64_t k = (to - it->first_sequence) / kIndexStride + 1;
          k < it->offsets.size())
        span.end_offset = it->offsets[k];
      spans.push_back(std::move(span));
    }
  }

  std::uint64_t visited = 0;
  for (const Span& span : spans) {
    auto mapped = MappedRange::map(span.path, span.start_offset, span.end_offset);
    if (!mapped) return Unexpected{std::move(mapped).error()};
    const unsigned char* data = mapped->data();
    const std::size_t size = mapped->size();
    std::size_t offset = 0;
    std::uint64_t next = span.start_sequence;
    while (offset < size) {
      RecordView record;
      const ParseStatus status = parse_record(data + offset, size - offset, record);
      if (status != ParseStatus::kOk)
        return Unexpected{
            corrupt_error(span.display, describe(status), span.start_offset + offset)};
      if (record.sequence != next)
        return Unexpected{corrupt_error(span.display, gap_message(next, record.sequence),
                                        span.start_offset + offset)};
      if (record.sequence > to) return visited;
      offset += record.size;
      ++next;
      if (record.sequence < from) continue;
      if (!filter.empty() && !subject_matches(filter, record.subject)) continue;
      ++visited;
      const StoredRecord stored{s.name,         record.sequence, record.subject,
                                record.payload, record.msg_id,   record.time};
      if (!visit(stored)) return visited;
    }
  }
  return visited;
}

}  // namespace journal
}  // namespace oms::persistence
