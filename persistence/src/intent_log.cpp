#include "oms/persistence/intent_log.hpp"
#include "oms/persistence/failpoint.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

namespace oms::persistence {

// The producer's and the consumer's members start cache lines of their own (see the class).
static_assert(alignof(IntentLog) == 64);

namespace {

// "OMSINTLG" read as a little-endian u64.
constexpr std::uint64_t kMagic = 0x474C544E49534D4F;
// The header takes one page, so the slots and the ring start page-aligned.
constexpr std::uint64_t kPageBytes = 4096;
constexpr std::uint64_t kHeaderBytes = kPageBytes;
// 64 KiB: a few hundred order events, the smallest ring that is still a buffer; 4 GiB keeps
// every record length (at most half the ring) within the u32 fields.
constexpr std::uint64_t kMinCapacity = std::uint64_t{64} << 10;
constexpr std::uint64_t kMaxCapacity = std::uint64_t{4} << 30;
// The default max_entries: one done slot per 128 ring bytes (an order event is ~300).
constexpr std::uint64_t kBytesPerDefaultEntry = 128;
// Records are 8-byte aligned so that every commit word is a naturally aligned u64.
constexpr std::uint64_t kRecordAlign = 8;
// A commit word is the record's ring position XOR this salt, with the kind in the low 3 bits
// (positions are multiples of 8). The salt's high bytes are all >= 0x80, which never occur in
// the ASCII JSON of an event, so stale payload text at a record's offset cannot pass for a
// commit; any other stale u64 matches one position's tag by chance with probability ~2^-61.
constexpr std::uint64_t kTagSalt = 0xA5C3'E1F7'0000'0000;
static_assert((kTagSalt & (kRecordAlign - 1)) == 0);
constexpr std::uint64_t kKindRecord = 1;
constexpr std::uint64_t kKindPad = 2;

struct FileHeader {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t header_bytes;
  std::uint64_t capacity;
  std::uint64_t max_entries;
  std::uint64_t slots_offset;
  std::uint64_t ring_offset;
  std::uint64_t reserved[2];
  // Line 1: written by the consumer only.
  std::uint64_t tail_pos;
  std::uint64_t tail_seq;
};
static_assert(offsetof(FileHeader, version) == 8 && offsetof(FileHeader, capacity) == 16 &&
              offsetof(FileHeader, ring_offset) == 40 && offsetof(FileHeader, tail_pos) == 64 &&
              offsetof(FileHeader, tail_seq) == 72 && sizeof(FileHeader) <= kHeaderBytes);

struct RecordHeader {
  std::uint64_t commit;
  std::uint64_t seq;
  std::uint64_t msg_id;
  std::int64_t time;
  std::uint32_t subject_len;
  std::uint32_t payload_len;
};
static_assert(sizeof(RecordHeader) == 40 && offsetof(RecordHeader, seq) == 8 &&
              offsetof(RecordHeader, subject_len) == 32);
// The bytes after the commit word, which the producer writes before committing.
constexpr std::size_t kFieldsOffset = offsetof(RecordHeader, seq);
constexpr std::size_t kFieldsBytes = sizeof(RecordHeader) - kFieldsOffset;

constexpr std::uint64_t tag(std::uint64_t pos, std::uint64_t kind) noexcept {
  return (pos ^ kTagSalt) | kind;
}

constexpr std::uint64_t align_up(std::uint64_t n, std::uint64_t a) noexcept {
  return (n + a - 1) & ~(a - 1);
}

std::atomic_ref<std::uint64_t> word_at(std::byte* p) noexcept {
  return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(p));
}
std::atomic_ref<std::uint64_t> word_at(std::uint64_t* p) noexcept {
  return std::atomic_ref<std::uint64_t>(*p);
}

FileHeader* file_header(std::byte* p) noexcept {
  return reinterpret_cast<FileHeader*>(p);
}

// The record's fields after its commit word; read only after an acquire of the commit word.
RecordHeader read_fields(const std::byte* rec) noexcept {
  RecordHeader h{};
  std::memcpy(reinterpret_cast<std::byte*>(&h) + kFieldsOffset, rec + kFieldsOffset, kFieldsBytes);
  return h;
}

std::uint64_t body_bytes(const RecordHeader& h) noexcept {
  return sizeof(RecordHeader) + std::uint64_t{h.subject_len} + std::uint64_t{h.payload_len};
}

Unexpected<StoreError> fail(StoreErrorCode code, std::string message) {
  return Unexpected(StoreError{code, std::move(message)});
}

std::string os_error(const std::string& path, const char* call, int err) {
  return "intent log " + path + ": " + call + ": " + std::strerror(err);
}

// The ring as the scan sees it.
struct RingView {
  std::byte* ring;
  std::uint64_t capacity;
  std::uint64_t mask;
  std::uint64_t max_record_bytes;
};

// Visits the committed records from ring position `from` on, in order: visit(pos, fields,
// body) with body = subject bytes then payload bytes. Stops at the first position that holds
// no commit for itself (the head, or a torn append) and returns it; kCorrupt (naming the
// position) for a committed record whose framing is impossible.
template <class Visit>
Result<std::uint64_t, std::string> scan(const RingView& v, std::uint64_t from, Visit&& visit) {
  std::uint64_t pos = from;
  std::uint64_t expected_seq = 0;  // 0: the first record may carry any seq
  while (pos - from < v.capacity) {
    const std::uint64_t offset = pos & v.mask;
    std::byte* rec = v.ring + offset;
    // acquire: pairs with the producer's release of this commit word in append(); the
    // record's fields and bytes written before it are visible below.
    const std::uint64_t commit = word_at(rec).load(std::memory_order_acquire);
    if (commit == tag(pos, kKindPad)) {
      if (offset == 0) {
        return Unexpected("a pad at the start of a lap, ring position " + std::to_string(pos));
      }
      pos += v.capacity - offset;
      continue;
    }
    if (commit != tag(pos, kKindRecord)) break;
    const RecordHeader h = read_fields(rec);
    const std::uint64_t body = body_bytes(h);
    const std::uint64_t size = align_up(body, kRecordAlign);
    if (body > v.max_record_bytes || body > v.capacity - offset || pos + size - from > v.capacity) {
      return Unexpected("record at ring position " + std::to_string(pos) + " (offset " +
                        std::to_string(offset) + ") has lengths " + std::to_string(h.subject_len) +
                        "+" + std::to_string(h.payload_len) + " that overrun the ring");
    }
    if (h.seq == 0 || (expected_seq != 0 && h.seq != expected_seq)) {
      return Unexpected("record at ring position " + std::to_string(pos) + " has intent seq " +
                        std::to_string(h.seq) + " where " + std::to_string(expected_seq) +
                        " was expected");
    }
    visit(pos, h, rec + sizeof(RecordHeader));
    expected_seq = h.seq + 1;
    pos += size;
  }
  return pos;
}

// Where the parts of a file with these options lie.
struct Layout {
  std::uint64_t capacity;
  std::uint64_t max_entries;
  std::uint64_t slots_offset;
  std::uint64_t ring_offset;
  std::uint64_t total;  // the file's size
};

Layout layout_of(std::uint64_t capacity, std::uint64_t max_entries) noexcept {
  const std::uint64_t slots_offset = kHeaderBytes;
  const std::uint64_t ring_offset =
      align_up(slots_offset + max_entries * sizeof(std::uint64_t), kPageBytes);
  return {capacity, max_entries, slots_offset, ring_offset, ring_offset + capacity};
}

// An existing file's header (magic set) against the configured layout; `what` names the file.
std::optional<StoreError> check_header(const FileHeader& existing, const Layout& layout,
                                       std::uint64_t size, const std::string& what) {
  const auto error = [](StoreErrorCode code, std::string message) {
    return std::optional<StoreError>(StoreError{code, std::move(message)});
  };
  if (existing.magic != kMagic) {
    char hex[24];
    std::snprintf(hex, sizeof hex, "%016" PRIx64, existing.magic);
    return error(StoreErrorCode::kCorrupt,
                 what + "bad magic 0x" + hex + " (not an intent log file)");
  }
  if (existing.version != kIntentLogVersion) {
    return error(StoreErrorCode::kConflict,
                 what + "format version " + std::to_string(existing.version) +
                     ", this build reads version " + std::to_string(kIntentLogVersion));
  }
  if (existing.capacity != layout.capacity) {
    return error(StoreErrorCode::kConflict, what + "capacity " + std::to_string(existing.capacity) +
                                                " bytes in the file, " +
                                                std::to_string(layout.capacity) + " configured");
  }
  if (existing.max_entries != layout.max_entries) {
    return error(StoreErrorCode::kConflict,
                 what + "max_entries " + std::to_string(existing.max_entries) + " in the file, " +
                     std::to_string(layout.max_entries) + " configured");
  }
  if (existing.header_bytes != kHeaderBytes || existing.slots_offset != layout.slots_offset ||
      existing.ring_offset != layout.ring_offset || size != layout.total) {
    return error(StoreErrorCode::kCorrupt,
                 what + "size " + std::to_string(size) + " and ring offset " +
                     std::to_string(existing.ring_offset) + " do not match the header's (" +
                     std::to_string(layout.total) + ", " + std::to_string(layout.ring_offset) +
                     ")");
  }
  return std::nullopt;
}

// Debug builds: asserts that no two appends overlap (the single-producer contract).
class ProducerCheck {
 public:
  explicit ProducerCheck(std::atomic<bool>& flag) noexcept : flag_(flag) {
    // relaxed: the flag only detects overlap; it publishes nothing.
    [[maybe_unused]] const bool overlapping = flag_.exchange(true, std::memory_order_relaxed);
    assert(!overlapping && "IntentLog::append: one producer thread only");
  }
  ~ProducerCheck() { flag_.store(false, std::memory_order_relaxed); }  // relaxed: as above
  ProducerCheck(const ProducerCheck&) = delete;
  ProducerCheck& operator=(const ProducerCheck&) = delete;

 private:
  std::atomic<bool>& flag_;
};

}  // namespace

std::string default_intent_log_path(std::string_view name) {
  return "/dev/shm/oms-intent-" + std::string(name) + ".log";
}

std::string data_dir_intent_log_path(const std::filesystem::path& data_dir) {
  auto dir = std::filesystem::weakly_canonical(std::filesystem::absolute(data_dir));
  if (!dir.has_filename() && dir.has_parent_path()) dir = dir.parent_path();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(dir.string()));
  return default_intent_log_path(std::string("omsd-") + hex);
}

Result<std::unique_ptr<IntentLog>, StoreError> IntentLog::open(std::string path,
                                                               const IntentLogOptions& options) {
  const std::string what = "intent log " + path + ": ";
  const std::uint64_t capacity = options.capacity_bytes;
  if (!std::has_single_bit(capacity) || capacity < kMinCapacity || capacity > kMaxCapacity) {
    return fail(StoreErrorCode::kInvalid, what + "capacity " + std::to_string(capacity) +
                                              " is not a power of two in [64 KiB, 4 GiB]");
  }
  const std::uint64_t max_entries =
      options.max_entries != 0 ? options.max_entries : capacity / kBytesPerDefaultEntry;
  // A record takes at least 48 bytes, so more than capacity / 8 slots could never be used.
  if (!std::has_single_bit(max_entries) || max_entries > capacity / kRecordAlign) {
    return fail(StoreErrorCode::kInvalid, what + "max_entries " + std::to_string(max_entries) +
                                              " is not a power of two <= capacity / 8");
  }
  const Layout layout = layout_of(capacity, max_entries);
  const std::uint64_t total = layout.total;

  std::unique_ptr<IntentLog> log(new IntentLog());
  log->path_ = std::move(path);
  const std::string& p = log->path_;
  log->fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (log->fd_ < 0) return fail(StoreErrorCode::kIo, os_error(p, "open", errno));
  // One process owns the file (one producer); the lock goes with the process, crash or not.
  if (::flock(log->fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return fail(StoreErrorCode::kConflict,
                  what + "is already open (another IntentLog holds its lock)");
    }
    return fail(StoreErrorCode::kIo, os_error(p, "flock", errno));
  }
  struct stat st {};
  if (::fstat(log->fd_, &st) != 0) return fail(StoreErrorCode::kIo, os_error(p, "fstat", errno));
  const auto size = static_cast<std::uint64_t>(st.st_size);

  FileHeader existing{};
  const auto header_read = static_cast<std::size_t>(std::min<std::uint64_t>(size, sizeof existing));
  if (header_read > 0 &&
      ::pread(log->fd_, &existing, header_read, 0) != static_cast<ssize_t>(header_read)) {
    return fail(StoreErrorCode::kIo, os_error(p, "pread", errno));
  }
  // The magic is written last at creation: zero means creation never finished (or the file is
  // new), and nothing can have been appended yet.
  const bool fresh = existing.magic == 0;
  if (!fresh) {
    if (auto error = check_header(existing, layout, size, what))
      return Unexpected(std::move(*error));
  } else {
    // Zero everything (a torn creation may have left bytes) and reserve the pages now: a write
    // into a hole of a full /dev/shm would be a SIGBUS on the hot path.
    if (::ftruncate(log->fd_, 0) != 0 || ::ftruncate(log->fd_, static_cast<off_t>(total)) != 0) {
      return fail(StoreErrorCode::kIo, os_error(p, "ftruncate", errno));
    }
    if (const int err = ::posix_fallocate(log->fd_, 0, static_cast<off_t>(total)); err != 0) {
      return fail(StoreErrorCode::kIo, os_error(p, "posix_fallocate", err));
    }
  }

  // MAP_POPULATE: every page is mapped now, so no append takes a page fault.
  void* map = ::mmap(nullptr, static_cast<std::size_t>(total), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_POPULATE, log->fd_, 0);
  if (map == MAP_FAILED) return fail(StoreErrorCode::kIo, os_error(p, "mmap", errno));
  log->map_ = static_cast<std::byte*>(map);
  log->map_bytes_ = static_cast<std::size_t>(total);
  log->header_ = log->map_;
  log->slots_ = reinterpret_cast<std::uint64_t*>(log->map_ + layout.slots_offset);
  log->ring_ = log->map_ + layout.ring_offset;
  log->capacity_ = capacity;
  log->ring_mask_ = capacity - 1;
  log->max_entries_ = max_entries;
  log->slot_mask_ = max_entries - 1;
  log->max_record_bytes_ = capacity / 2;  // fits an empty ring wherever its head is

  FileHeader* hdr = file_header(log->header_);
  if (fresh) {
    hdr->version = kIntentLogVersion;
    hdr->header_bytes = static_cast<std::uint32_t>(kHeaderBytes);
    hdr->capacity = capacity;
    hdr->max_entries = max_entries;
    hdr->slots_offset = layout.slots_offset;
    hdr->ring_offset = layout.ring_offset;
    hdr->tail_pos = 0;
    hdr->tail_seq = 1;
    // release: the fields above are in place before the magic says the file is valid (no
    // thread reads it yet; this keeps the compiler's order for a crash mid-creation).
    word_at(&hdr->magic).store(kMagic, std::memory_order_release);
  }

  // Recovery. relaxed: no other thread uses the log yet; the previous owner's stores are
  // visible through the file.
  std::uint64_t tail_pos = word_at(&hdr->tail_pos).load(std::memory_order_relaxed);
  const std::uint64_t tail_seq = word_at(&hdr->tail_seq).load(std::memory_order_relaxed);
  if (tail_seq == 0) return fail(StoreErrorCode::kCorrupt, what + "tail intent seq 0");
  // Records before tail_seq were reclaimed: the consumer stores tail_seq before tail_pos, and a
  // crash between the two leaves such records at the old tail position.
  std::optional<std::uint64_t> first_live;
  std::uint64_t first_live_seq = 0;
  std::uint64_t last_seq = 0;
  const RingView view{log->ring_, capacity, log->ring_mask_, log->max_record_bytes_};
  auto end = scan(view, tail_pos, [&](std::uint64_t pos, const RecordHeader& h, const std::byte*) {
    if (h.seq >= tail_seq && !first_live) {
      first_live = pos;
      first_live_seq = h.seq;
    }
    last_seq = h.seq;
  });
  if (!end) return fail(StoreErrorCode::kCorrupt, what + end.error());
  if (first_live && first_live_seq != tail_seq) {
    return fail(StoreErrorCode::kCorrupt,
                what + "the oldest entry has intent seq " + std::to_string(first_live_seq) +
                    ", the header's tail says " + std::to_string(tail_seq));
  }
  const std::uint64_t recovered_tail = first_live ? *first_live : *end;
  if (recovered_tail != tail_pos) {
    tail_pos = recovered_tail;
    // release: as in reclaim() (nobody reads it yet).
    word_at(&hdr->tail_pos).store(tail_pos, std::memory_order_release);
  }
  log->tail_pos_ = tail_pos;
  log->tail_seq_ = tail_seq;
  log->reclaim();  // entries marked done whose reclaim a crash cut short
  log->head_pos_ = *end;
  log->next_seq_ = std::max(tail_seq, last_seq + 1);
  log->cached_tail_pos_ = log->tail_pos_;
  log->cached_tail_seq_ = log->tail_seq_;
  return log;
}

IntentLog::~IntentLog() {
  if (map_ != nullptr) ::munmap(map_, map_bytes_);
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

Result<std::uint64_t, StoreError> IntentLog::append(std::string_view subject,
                                                    std::string_view payload, EventId msg_id,
                                                    TimeNs time) noexcept {
#ifndef NDEBUG
  const ProducerCheck check(appending_);
#endif
  // The messages below fit the small-string buffer: no allocation on this path.
  if (subject.empty()) return Unexpected(StoreError{StoreErrorCode::kInvalid, "empty subject"});
  const std::uint64_t body = sizeof(RecordHeader) + subject.size() + payload.size();
  if (body > max_record_bytes_) {
    return Unexpected(StoreError{StoreErrorCode::kInvalid, "record too big"});
  }
  const std::uint64_t size = align_up(body, kRecordAlign);
  std::uint64_t offset = head_pos_ & ring_mask_;
  const std::uint64_t to_end = capacity_ - offset;
  // A record never straddles the end of the ring: the rest of the lap becomes a pad.
  const std::uint64_t pad = size > to_end ? to_end : 0;
  const auto fits = [&] {
    return head_pos_ + pad + size - cached_tail_pos_ <= capacity_ &&
           next_seq_ - cached_tail_seq_ < max_entries_;
  };
  if (!fits()) {
    FileHeader* hdr = file_header(header_);
    // acquire: pairs with the consumer's release store of tail_pos in reclaim(): the consumer
    // has finished reading the records before it, so their bytes may now be overwritten.
    cached_tail_pos_ = word_at(&hdr->tail_pos).load(std::memory_order_acquire);
    // relaxed: stored before that tail_pos, so it is at least the matching value.
    cached_tail_seq_ = word_at(&hdr->tail_seq).load(std::memory_order_relaxed);
    if (!fits()) return Unexpected(StoreError{StoreErrorCode::kBackpressure, "intent log full"});
  }

  std::byte* rec = ring_ + offset;
  if (pad != 0) {
    // relaxed: the record's release store below orders this one before it; a pad carries no
    // other bytes to publish.
    word_at(rec).store(tag(head_pos_, kKindPad), std::memory_order_relaxed);
    head_pos_ += pad;
    offset = 0;
    rec = ring_;
  }
  const RecordHeader h{0,
                       next_seq_,
                       msg_id,
                       time,
                       static_cast<std::uint32_t>(subject.size()),
                       static_cast<std::uint32_t>(payload.size())};
  std::memcpy(rec + kFieldsOffset, reinterpret_cast<const std::byte*>(&h) + kFieldsOffset,
              kFieldsBytes);
  std::memcpy(rec + sizeof(RecordHeader), subject.data(), subject.size());
  if (!payload.empty()) {
    std::memcpy(rec + sizeof(RecordHeader) + subject.size(), payload.data(), payload.size());
  }
  // release: publishes the fields, subject and payload written above to whoever acquires this
  // commit word (the recovery scan, pending(), the consumer's reclaim()); a crash before this
  // store leaves the record uncommitted, and the scan stops there.
  word_at(rec).store(tag(head_pos_, kKindRecord), std::memory_order_release);
  head_pos_ += size;
  return next_seq_++;
}

std::uint32_t IntentLog::fill_permille() noexcept {
  FileHeader* hdr = file_header(header_);
  // acquire/relaxed as in append(): the consumer's release store of tail_pos.
  cached_tail_pos_ = word_at(&hdr->tail_pos).load(std::memory_order_acquire);
  cached_tail_seq_ = word_at(&hdr->tail_seq).load(std::memory_order_relaxed);
  const std::uint64_t bytes = head_pos_ - cached_tail_pos_;
  const std::uint64_t entries = next_seq_ - cached_tail_seq_;
  const std::uint64_t by_bytes = bytes * 1000 / capacity_;
  const std::uint64_t by_entries = entries * 1000 / max_entries_;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(1000, std::max(by_bytes, by_entries)));
}

void IntentLog::mark_done(std::uint64_t intent_seq) noexcept {
  if (intent_seq < tail_seq_ || intent_seq - tail_seq_ >= max_entries_) return;
  // relaxed: read by this thread in reclaim(), and after a crash by open() in a later process
  // (the process boundary orders that); reclaim()'s release store keeps it before the tail.
  word_at(&slots_[intent_seq & slot_mask_]).store(intent_seq, std::memory_order_relaxed);
  if (intent_seq == tail_seq_) reclaim();
}

void IntentLog::reclaim() noexcept {
  std::uint64_t pos = tail_pos_;
  std::uint64_t seq = tail_seq_;
  // relaxed: the slots are written by this thread (or a previous owner of the file).
  while (word_at(&slots_[seq & slot_mask_]).load(std::memory_order_relaxed) == seq) {
    std::byte* rec = ring_ + (pos & ring_mask_);
    // acquire: pairs with the producer's release in append(); the length fields are visible.
    const std::uint64_t commit = word_at(rec).load(std::memory_order_acquire);
    if (commit == tag(pos, kKindPad)) {
      pos += capacity_ - (pos & ring_mask_);
      continue;
    }
    // Not committed, or another seq: mark_done was given a seq not appended yet. Stop here;
    // the entries stay until the producer catches up.
    if (commit != tag(pos, kKindRecord)) break;
    const RecordHeader h = read_fields(rec);
    if (h.seq != seq) break;
    pos += align_up(body_bytes(h), kRecordAlign);
    ++seq;
  }
  if (seq == tail_seq_) return;
  FileHeader* hdr = file_header(header_);
  // relaxed: the release store below orders it before tail_pos. Recovery after a crash between
  // the two skips the records before tail_seq at the old position.
  word_at(&hdr->tail_seq).store(seq, std::memory_order_relaxed);
  // release: publishes that this thread is done reading the records before pos, so the
  // producer may overwrite them; pairs with the acquire in append().
  word_at(&hdr->tail_pos).store(pos, std::memory_order_release);
  tail_pos_ = pos;
  tail_seq_ = seq;
}

std::vector<IntentEntry> IntentLog::pending() const {
  FileHeader* hdr = file_header(header_);
  // acquire: pairs with reclaim()'s release; with tail_seq stored before it.
  const std::uint64_t tail_pos = word_at(&hdr->tail_pos).load(std::memory_order_acquire);
  const std::uint64_t tail_seq = word_at(&hdr->tail_seq).load(std::memory_order_relaxed);
  std::vector<IntentEntry> out;
  const RingView view{ring_, capacity_, ring_mask_, max_record_bytes_};
  // open() validated the framing and this process appends only well-formed records, so the
  // scan's error cannot occur here; it would only end the list early.
  (void)scan(view, tail_pos, [&](std::uint64_t, const RecordHeader& h, const std::byte* body) {
    if (h.seq < tail_seq) return;
    // relaxed: written by the consumer, which is not running (startup), or this thread.
    if (word_at(&slots_[h.seq & slot_mask_]).load(std::memory_order_relaxed) == h.seq) return;
    const auto* chars = reinterpret_cast<const char*>(body);
    out.push_back(IntentEntry{h.seq, std::string(chars, h.subject_len),
                              std::string(chars + h.subject_len, h.payload_len), h.msg_id, h.time});
  });
  return out;
}

Result<std::uint64_t, StoreError> replay_pending(IntentLog& log, EventStore& store,
                                                 std::chrono::milliseconds timeout) {
  const std::vector<IntentEntry> entries = log.pending();
  if (entries.empty()) return std::uint64_t{0};
  // Completions may run on a store thread, even after a flush timed out: they write to shared
  // state that outlives this call.
  struct Outcomes {
    std::mutex mutex;
    std::vector<std::optional<Result<std::uint64_t, StoreError>>> results;
  };
  auto outcomes = std::make_shared<Outcomes>();
  outcomes->results.resize(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const IntentEntry& e = entries[i];
    store.append(AppendRecord{e.subject, e.payload, e.msg_id, e.time},
                 [outcomes, i](const Result<std::uint64_t, StoreError>& r) {
                   const std::lock_guard lock(outcomes->mutex);
                   outcomes->results[i] = r;
                 });
  }
  auto flushed = store.flush(timeout);
  OMS_FAILPOINT(kIntentLogReplayed);

  std::vector<std::optional<Result<std::uint64_t, StoreError>>> results;
  {
    const std::lock_guard lock(outcomes->mutex);
    results = outcomes->results;
  }
  std::uint64_t replayed = 0;
  std::optional<StoreError> first_error;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const IntentEntry& e = entries[i];
    const auto& result = results[i];
    if (result && result->ok()) {
      log.mark_done(e.intent_seq);
      ++replayed;
      continue;
    }
    if (first_error) continue;
    StoreError cause = result          ? result->error()
                       : !flushed.ok() ? flushed.error()
                                       : StoreError{StoreErrorCode::kTimeout,
                                                    "the store flushed without completing it"};
    cause.message = "intent log " + log.path() + ": replay of intent seq " +
                    std::to_string(e.intent_seq) + " (msg_id " + std::to_string(e.msg_id) +
                    "): " + cause.message;
    first_error = std::move(cause);
  }
  if (first_error) return Unexpected(std::move(*first_error));
  return replayed;
}

}  // namespace oms::persistence
