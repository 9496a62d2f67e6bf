// Small POSIX file helpers shared by the snapshot store and the daily files.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "oms/messages/result.hpp"
#include "oms/persistence/event_store.hpp"

namespace oms::persistence::files {

// kIo naming the path, what failed and the system's reason.
inline StoreError io_error(const std::filesystem::path& path, std::string_view what, int err) {
  return {StoreErrorCode::kIo, path.string() + ": " + std::string(what) + ": " + std::strerror(err)};
}

// Owns a file descriptor; closes it at the end.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = other.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// fsync of a directory, so that a rename or a new entry in it survives a power loss.
inline Result<Unit, StoreError> fsync_dir(const std::filesystem::path& dir) {
  const std::filesystem::path p = dir.empty() ? std::filesystem::path(".") : dir;
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Unexpected{io_error(p, "open directory", errno)};
  if (::fsync(fd.get()) != 0) return Unexpected{io_error(p, "fsync directory", errno)};
  return Unit{};
}

}  // namespace oms::persistence::files
