#include "gzip_file.hpp"

#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace oms::persistence::gzip {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
// windowBits 15 (the largest window) + 16 asks deflate for a gzip header and trailer.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kMemLevel = 8;  // zlib's default

StoreError io_error(std::string_view name, std::string_view what, int err) {
  return {StoreErrorCode::kIo,
          std::string(name) + ": " + std::string(what) + ": " + std::strerror(err)};
}

Result<Unit, StoreError> write_all(int fd, const unsigned char* data, std::size_t size,
                                   std::string_view name) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected{io_error(name, "write", errno)};
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return Unit{};
}

// Owns a deflate stream so every return path ends it.
class Deflater {
 public:
  Deflater() = default;
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  ~Deflater() {
    if (ready_) deflateEnd(&z_);
  }
  // The macro deflateInit2 hides an old-style cast; the function it expands to does not.
  bool init() {
    ready_ = deflateInit2_(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, kMemLevel,
                           Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                           static_cast<int>(sizeof(z_stream))) == Z_OK;
    return ready_;
  }
  z_stream& stream() { return z_; }

 private:
  z_stream z_{};
  bool ready_ = false;
};

}  // namespace

Result<Unit, StoreError> write_member(int in_fd, std::string_view in_name, int out_fd,
                                      std::string_view out_name) {
  Deflater deflater;
  if (!deflater.init()) {
    return Unexpected{StoreError{StoreErrorCode::kIo, std::string(out_name) + ": deflateInit failed"}};
  }
  z_stream& z = deflater.stream();
  std::array<unsigned char, kChunk> in{};
  std::array<unsigned char, kChunk> out{};
  int flush = Z_NO_FLUSH;
  while (flush != Z_FINISH) {
    const ssize_t n = ::read(in_fd, in.data(), in.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected{io_error(in_name, "read", errno)};
    }
    flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = in.data();
    z.avail_in = static_cast<uInt>(n);
    do {  // deflate until it leaves output space unused: all input consumed (or finished)
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      const int rc = deflate(&z, flush);
      if (rc == Z_STREAM_ERROR) {
        return Unexpected{StoreError{StoreErrorCode::kIo, std::string(out_name) + ": deflate failed"}};
      }
      const std::size_t produced = out.size() - z.avail_out;
      if (auto w = write_all(out_fd, out.data(), produced, out_name); !w) return w;
    } while (z.avail_out == 0);
  }
  return Unit{};
}

Result<bool, StoreError> content_ends_with_lines(const std::string& gz_path, std::string_view tail) {
  gzFile gz = gzopen(gz_path.c_str(), "rb");
  if (gz == nullptr) return Unexpected{io_error(gz_path, "gzopen", errno)};
  // Keep the last tail.size() + 1 bytes: the tail and the byte before it (a line boundary).
  const std::size_t keep = tail.size() + 1;
  std::string last;
  std::array<char, kChunk> buf{};
  bool read_anything = false;
  while (true) {
    const int n = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int zerr = 0;
      std::string what = gzerror(gz, &zerr);
      gzclose(gz);
      return Unexpected{StoreError{StoreErrorCode::kCorrupt, gz_path + ": " + what}};
    }
    if (n == 0) break;
    if (!read_anything && gzdirect(gz) != 0) {  // zlib reads non-gzip input as is
      gzclose(gz);
      return Unexpected{StoreError{StoreErrorCode::kCorrupt, gz_path + ": not a gzip file"}};
    }
    read_anything = true;
    last.append(buf.data(), static_cast<std::size_t>(n));
    if (last.size() > 2 * keep + kChunk) last.erase(0, last.size() - keep);
  }
  // gzread stops quietly at a truncated member; gzclose reports it.
  if (gzclose(gz) == Z_BUF_ERROR) {
    return Unexpected{StoreError{StoreErrorCode::kCorrupt, gz_path + ": unexpected end of file"}};
  }
  if (last.size() < tail.size()) return false;
  const std::size_t start = last.size() - tail.size();
  if (std::string_view(last).substr(start) != tail) return false;
  // `last` holds the whole content when start is 0 (it is trimmed to at least keep bytes).
  return start == 0 || last[start - 1] == '\n';
}

}  // namespace oms::persistence::gzip
