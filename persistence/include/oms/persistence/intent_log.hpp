// IntentLog: the first durability layer (DESIGN.md "Events, subjects, streams"). Before an
// order leaves, its event is appended to a memory-mapped ring file in /dev/shm (~100 ns); the
// JetStream publisher marks each entry done once the store has acknowledged it. The file
// lives in the page cache, so it survives a crash of the daemon (not of the machine): on
// start, replay_pending() re-publishes what was never acknowledged, then recovery runs.
//
// Threads: one producer (the hot-path thread) calls append(); one consumer at a time (the
// publisher) calls mark_done(). open(), pending() and replay_pending() run at startup, when
// neither appends nor marks. Debug builds assert that appends do not overlap.
//
// On-file layout (little-endian; all offsets in bytes):
//   [0, 4096)         header
//     0   u64 magic         "OMSINTLG"
//     8   u32 version       kIntentLogVersion
//     12  u32 header_bytes  4096
//     16  u64 capacity      ring bytes: a power of two
//     24  u64 max_entries   done slots: a power of two, the bound on not-reclaimed entries
//     32  u64 slots_offset  4096
//     40  u64 ring_offset   slots_offset + max_entries * 8, rounded up to a page
//     64  u64 tail_pos      consumer-written: ring position of the oldest not-reclaimed entry
//     72  u64 tail_seq      consumer-written: intent seq of the oldest not-reclaimed entry
//   [slots_offset, +max_entries * 8)  done slots: slot[seq % max_entries] == seq <=> seq done
//   [ring_offset, +capacity)          the ring of records
// A ring position is a byte count since the file was created (it never wraps); the record at
// position p lives at ring offset p % capacity and never straddles the end of the ring (a pad
// marker fills the rest of the lap instead). A record, 8-byte aligned:
//   0   u64 commit   (p ^ kTagSalt) | 1 once committed; (p ^ kTagSalt) | 2 marks a pad
//   8   u64 seq      intent seq: from 1, contiguous
//   16  u64 msg_id   the event id (the store's deduplication key)
//   24  i64 time     the event's init time
//   32  u32 subject_len, 36 u32 payload_len
//   40  subject bytes, payload bytes, 0-7 bytes of padding
// The commit word is written last, with a release store; a record whose commit word does not
// carry its own position (a torn append, or stale bytes of an earlier lap) is not committed,
// and the scan of committed records stops there.
//
// Errors are StoreError (5xxx): kBackpressure when the ring is full of not-done entries
// (append never overwrites one), kInvalid for a bad argument, kCorrupt / kConflict / kIo from
// open() naming the path.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "oms/messages/envelope.hpp"
#include "oms/messages/result.hpp"
#include "oms/persistence/event_store.hpp"

namespace oms::persistence {

inline constexpr std::uint32_t kIntentLogVersion = 1;

struct IntentLogOptions {
  // Ring bytes: a power of two in [64 KiB, 4 GiB]. 64 MiB holds ~200k order events of ~300
  // bytes, minutes of a busy desk's traffic should JetStream stall.
  std::uint64_t capacity_bytes = std::uint64_t{64} << 20;
  // The most entries appended and not yet reclaimed: a power of two; 0 = capacity / 128
  // (entries average more than 128 bytes, so the ring's bytes run out first).
  std::uint64_t max_entries = 0;
};

// One committed, not-done entry, copied out of the ring.
struct IntentEntry {
  std::uint64_t intent_seq = 0;
  std::string subject;
  std::string payload;
  EventId msg_id = 0;
  TimeNs time = 0;
  friend bool operator==(const IntentEntry&, const IntentEntry&) = default;
};

// "/dev/shm/oms-intent-<name>.log": the daemon's intent log for one instance name.
[[nodiscard]] std::string default_intent_log_path(std::string_view name);
// The intent log of a daemon's data dir: one per data dir (two daemons on one machine), the same
// for every spelling of the dir (relative, absolute, a trailing separator).
[[nodiscard]] std::string data_dir_intent_log_path(const std::filesystem::path& data_dir);

class IntentLog {
 public:
  // Creates the file (header, zeroed done slots and ring, space reserved in /dev/shm) or opens
  // an existing one, validates its header against options and recovers the ring's state: the
  // committed records from the tail on, ignoring a torn last append. Errors name the path:
  // kCorrupt (bad magic, size, record framing), kConflict (version, capacity, max_entries, or
  // another IntentLog, in any process, has it open), kInvalid (options), kIo (the system call
  // and errno).
  [[nodiscard]] static Result<std::unique_ptr<IntentLog>, StoreError> open(
      std::string path, const IntentLogOptions& options = {});

  ~IntentLog();
  IntentLog(const IntentLog&) = delete;
  IntentLog& operator=(const IntentLog&) = delete;
  IntentLog(IntentLog&&) = delete;
  IntentLog& operator=(IntentLog&&) = delete;

  // Hot path, producer thread only: writes one record and commits it; returns its intent seq.
  // No allocation, syscall, lock or logging. kBackpressure when the ring has no room left for
  // it beside the not-done entries; kInvalid for an empty subject or a record larger than
  // half the ring. Error messages fit the small-string buffer (no allocation either).
  [[nodiscard]] Result<std::uint64_t, StoreError> append(std::string_view subject,
                                                         std::string_view payload, EventId msg_id,
                                                         TimeNs time) noexcept;

  // Producer thread: how full the ring is, in per mille -- of its bytes or of its entries,
  // whichever is fuller -- counting every entry not yet reclaimed (not done, or behind one that
  // is not). Reads the consumer's tail (one acquire load): for admission decisions, not for
  // every append.
  [[nodiscard]] std::uint32_t fill_permille() noexcept;

  // Consumer thread: the store has acknowledged intent_seq. Its space is reclaimed once every
  // earlier entry is done too. A seq already reclaimed, or beyond the max_entries window, is
  // ignored. Precondition: append returned intent_seq (marking a seq not yet appended would
  // make that future entry born done).
  void mark_done(std::uint64_t intent_seq) noexcept;

  // The committed, not-done entries in append order. Startup only (see Threads above).
  [[nodiscard]] std::vector<IntentEntry> pending() const;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::uint64_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::uint64_t max_entries() const noexcept { return max_entries_; }

 private:
  // One cache line: producer and consumer state each get their own, so the hot path's stores
  // never invalidate the line the publisher works on (and the reverse).
  static constexpr std::size_t kCacheLine = 64;

  IntentLog() = default;
  // Advances the tail over every done entry at its front; consumer thread (or open()).
  void reclaim() noexcept;

  // Read-only after open(); shared, never written, by both threads.
  std::string path_;
  int fd_ = -1;
  std::byte* map_ = nullptr;
  std::size_t map_bytes_ = 0;
  std::byte* header_ = nullptr;
  std::uint64_t* slots_ = nullptr;  // done slots
  std::byte* ring_ = nullptr;
  std::uint64_t capacity_ = 0;
  std::uint64_t ring_mask_ = 0;  // capacity_ - 1
  std::uint64_t max_entries_ = 0;
  std::uint64_t slot_mask_ = 0;  // max_entries_ - 1
  std::uint64_t max_record_bytes_ = 0;

  // Producer only. The cached tail is refreshed from the header only when the ring looks full,
  // so an append normally reads no line the consumer writes.
  alignas(kCacheLine) std::uint64_t head_pos_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t cached_tail_pos_ = 0;
  std::uint64_t cached_tail_seq_ = 1;
  std::atomic<bool> appending_{false};  // debug builds: overlapping appends assert

  // Consumer only: its own copy of the header's tail (it is the only writer of both).
  alignas(kCacheLine) std::uint64_t tail_pos_ = 0;
  std::uint64_t tail_seq_ = 1;
};

// Appends every pending entry to the store, in order (the store deduplicates by msg_id, so an
// entry that did reach it before the crash is acknowledged again and stored once), waits for
// the completions with store.flush(timeout), and marks each acknowledged entry done. Returns
// how many entries were re-published, or the first error (an entry's append error naming its
// intent seq and msg_id, else the flush's); entries not acknowledged stay pending.
[[nodiscard]] Result<std::uint64_t, StoreError> replay_pending(IntentLog& log, EventStore& store,
                                                               std::chrono::milliseconds timeout);

}  // namespace oms::persistence
