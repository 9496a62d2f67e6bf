// The file journal's record framing (documented in file_journal.hpp) and the small POSIX
// wrappers its streams use. Internal to oms_persistence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "oms/persistence/crc32c.hpp"
#include "oms/persistence/event_store.hpp"

namespace oms::persistence::journal {

inline constexpr std::size_t kFrameBytes = 8;            // u32 length + u32 crc32c
inline constexpr std::size_t kBodyHeaderBytes = 26;      // u64 seq + u64 msg_id + i64 time + u16
inline constexpr std::size_t kMaxSubjectBytes = 0xFFFF;  // what the u16 length can say
// Events are a few hundred bytes, book snapshots tens of KB; a length beyond this is damage,
// not data (and keeps a damaged length field from sending a scan gigabytes ahead).
inline constexpr std::size_t kMaxBodyBytes = std::size_t{64} << 20;
// One sparse-index entry per 64 records: a read from any sequence walks at most 63 records
// (~16 KB) to its start, and the index costs 8 bytes per 64 records (~2 MB per 16M records).
inline constexpr std::uint64_t kIndexStride = 64;
inline constexpr std::size_t kSegmentNameDigits = 20;  // every u64 fits
inline constexpr std::string_view kSegmentSuffix = ".seg";

// "00000000000000000001.seg"
[[nodiscard]] std::string segment_file_name(std::uint64_t first_sequence);
// The first sequence a segment file name says, or nullopt for any other file name.
[[nodiscard]] std::optional<std::uint64_t> parse_segment_file_name(std::string_view name);

// Appends the framed record to out.
void encode_record(std::string& out, std::uint64_t sequence, const AppendRecord& record);

struct RecordView {
  std::uint64_t sequence = 0;
  EventId msg_id = 0;
  TimeNs time = 0;
  std::string_view subject;
  std::string_view payload;
  std::size_t size = 0;  // framed size: where the next record starts
};

enum class ParseStatus : std::uint8_t {
  kOk,
  kShortFrame,   // fewer than 8 bytes left: the length and checksum were not all written
  kBadLength,    // a length no record can have
  kShortBody,    // the length runs past the end of the data
  kBadChecksum,  // the body does not match its checksum (or its subject length overruns it)
};

[[nodiscard]] std::string_view describe(ParseStatus s) noexcept;

template <class T>
[[nodiscard]] inline T load_le(const unsigned char* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);  // the journal runs on little-endian Linux (x86-64, aarch64)
  return v;
}

// Parses the record at data (available bytes to the end of the segment's good data).
[[nodiscard]] inline ParseStatus parse_record(const unsigned char* data, std::size_t available,
                                              RecordView& out) noexcept {
  if (available < kFrameBytes) return ParseStatus::kShortFrame;
  const std::size_t length = load_le<std::uint32_t>(data);
  if (length < kBodyHeaderBytes + 1 || length > kMaxBodyBytes) return ParseStatus::kBadLength;
  if (length > available - kFrameBytes) return ParseStatus::kShortBody;
  const unsigned char* body = data + kFrameBytes;
  if (crc32c(body, length) != load_le<std::uint32_t>(data + 4)) return ParseStatus::kBadChecksum;
  const std::size_t subject_len = load_le<std::uint16_t>(body + 24);
  // A checksum that matches over a body whose parts do not add up: the writer never makes
  // one, so it is damage (or a foreign file) all the same.
  if (subject_len == 0 || subject_len > length - kBodyHeaderBytes) return ParseStatus::kBadChecksum;
  out.sequence = load_le<std::uint64_t>(body);
  out.msg_id = load_le<std::uint64_t>(body + 8);
  out.time = load_le<std::int64_t>(body + 16);
  const auto* text = reinterpret_cast<const char*>(body + kBodyHeaderBytes);
  out.subject = {text, subject_len};
  out.payload = {text + subject_len, length - kBodyHeaderBytes - subject_len};
  out.size = kFrameBytes + length;
  return ParseStatus::kOk;
}

// "journal {display}: {what} at byte {offset}" as kCorrupt.
[[nodiscard]] StoreError corrupt_error(std::string_view display, std::string_view what,
                                       std::uint64_t offset);
// "journal {path}: {operation}: {strerror(err)}" as kIo.
[[nodiscard]] StoreError io_error(const std::string& path, std::string_view operation, int err);

// An owned file descriptor.
class File {
 public:
  File(int fd, std::string path) noexcept : fd_(fd), path_(std::move(path)) {}
  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // Writes all of data at offset (retrying short writes and EINTR).
  [[nodiscard]] Result<Unit, StoreError> write_at(std::string_view data,
                                                  std::uint64_t offset) const;
  [[nodiscard]] Result<Unit, StoreError> sync_data() const;

 private:
  int fd_;
  std::string path_;
};

// Opens path with flags (O_CLOEXEC added); kIo naming the path on failure.
[[nodiscard]] Result<std::unique_ptr<File>, StoreError> open_file(const std::string& path,
                                                                  int flags, unsigned mode = 0644);
// fsync of a file or directory by path (a fresh descriptor syncs the same inode).
[[nodiscard]] Result<Unit, StoreError> sync_path(const std::string& path);

// A read-only mapping of bytes [begin, end) of a file; begin need not be page-aligned.
class MappedRange {
 public:
  [[nodiscard]] static Result<MappedRange, StoreError> map(const std::string& path,
                                                           std::uint64_t begin, std::uint64_t end);
  MappedRange(MappedRange&& other) noexcept;
  MappedRange& operator=(MappedRange&&) = delete;
  MappedRange(const MappedRange&) = delete;
  ~MappedRange();

  // The byte at file offset `begin`.
  [[nodiscard]] const unsigned char* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  MappedRange(void* base, std::size_t mapped, const unsigned char* data, std::size_t size) noexcept
      : base_(base), mapped_(mapped), data_(data), size_(size) {}
  void* base_;
  std::size_t mapped_;
  const unsigned char* data_;
  std::size_t size_;
};

}  // namespace oms::persistence::journal
