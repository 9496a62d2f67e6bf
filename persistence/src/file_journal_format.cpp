#include "file_journal_format.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace oms::persistence::journal {
namespace {

template <class T>
void store_le(std::string& out, T v) {
  char bytes[sizeof v];
  std::memcpy(bytes, &v, sizeof v);  // little-endian host, as load_le
  out.append(bytes, sizeof v);
}

}  // namespace

std::string segment_file_name(std::uint64_t first_sequence) {
  std::string digits = std::to_string(first_sequence);
  std::string name(kSegmentNameDigits - digits.size(), '0');
  name += digits;
  name += kSegmentSuffix;
  return name;
}

std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != kSegmentNameDigits + kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix))
    return std::nullopt;
  std::uint64_t v = 0;
  const char* last = name.data() + kSegmentNameDigits;
  const auto [ptr, ec] = std::from_chars(name.data(), last, v);
  if (ec != std::errc{} || ptr != last) return std::nullopt;
  return v;
}

void encode_record(std::string& out, std::uint64_t sequence, const AppendRecord& record) {
  const std::size_t body = kBodyHeaderBytes + record.subject.size() + record.payload.size();
  const std::size_t start = out.size();
  store_le(out, static_cast<std::uint32_t>(body));
  store_le(out, std::uint32_t{0});  // the checksum, filled in below
  store_le(out, sequence);
  store_le(out, record.msg_id);
  store_le(out, record.time);
  store_le(out, static_cast<std::uint16_t>(record.subject.size()));
  out += record.subject;
  out += record.payload;
  const std::uint32_t crc = crc32c(out.data() + start + kFrameBytes, body);
  std::memcpy(out.data() + start + 4, &crc, sizeof crc);
}

std::string_view describe(ParseStatus s) noexcept {
  switch (s) {
    case ParseStatus::kOk:
      return "intact record";
    case ParseStatus::kShortFrame:
      return "truncated record header";
    case ParseStatus::kBadLength:
      return "bad record length";
    case ParseStatus::kShortBody:
      return "truncated record";
    case ParseStatus::kBadChecksum:
      return "bad checksum";
  }
  return "bad record";
}

StoreError corrupt_error(std::string_view display, std::string_view what, std::uint64_t offset) {
  return {StoreErrorCode::kCorrupt, "journal " + std::string(display) + ": " + std::string(what) +
                                        " at byte " + std::to_string(offset)};
}

StoreError io_error(const std::string& path, std::string_view operation, int err) {
  return {StoreErrorCode::kIo,
          "journal " + path + ": " + std::string(operation) + ": " + std::strerror(err)};
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Unit, StoreError> File::write_at(std::string_view data, std::uint64_t offset) const {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected{io_error(path_, "write", errno)};
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return Unit{};
}

Result<Unit, StoreError> File::sync_data() const {
  if (::fdatasync(fd_) != 0) return Unexpected{io_error(path_, "fdatasync", errno)};
  return Unit{};
}

Result<std::unique_ptr<File>, StoreError> open_file(const std::string& path, int flags,
                                                    unsigned mode) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return Unexpected{io_error(path, "open", errno)};
  return std::make_unique<File>(fd, path);
}

Result<Unit, StoreError> sync_path(const std::string& path) {
  auto file = open_file(path, O_RDONLY);
  if (!file) return Unexpected{std::move(file).error()};
  if (::fsync((*file)->fd()) != 0) return Unexpected{io_error(path, "fsync", errno)};
  return Unit{};
}

Result<MappedRange, StoreError> MappedRange::map(const std::string& path, std::uint64_t begin,
                                                 std::uint64_t end) {
  if (end <= begin) return MappedRange(nullptr, 0, nullptr, 0);
  static const auto kPage = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t aligned = begin - begin % kPage;  // mmap offsets are page-aligned
  const auto mapped = static_cast<std::size_t>(end - aligned);
  auto file = open_file(path, O_RDONLY);
  if (!file) return Unexpected{std::move(file).error()};
  // MAP_POPULATE: the range is read whole, so map every page now rather than take a fault
  // per 64 KiB in the loop (halves the read's p99 per record); callers map only what they read.
  void* base = ::mmap(nullptr, mapped, PROT_READ, MAP_SHARED | MAP_POPULATE, (*file)->fd(),
                      static_cast<off_t>(aligned));
  if (base == MAP_FAILED) return Unexpected{io_error(path, "mmap", errno)};
  const auto* data = static_cast<const unsigned char*>(base) + (begin - aligned);
  return MappedRange(base, mapped, data, static_cast<std::size_t>(end - begin));
}

MappedRange::MappedRange(MappedRange&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      mapped_(std::exchange(other.mapped_, 0)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedRange::~MappedRange() {
  if (base_ != nullptr) ::munmap(base_, mapped_);
}

}  // namespace oms::persistence::journal
