#include "oms/connectors/secrets/secure_buffer.hpp"

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace oms::secrets {
namespace {

std::size_t page_size() {
  const long p = ::sysconf(_SC_PAGESIZE);
  return p > 0 ? static_cast<std::size_t>(p) : 4096;
}

std::string memlock_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_MEMLOCK, &rl) != 0) return "unknown";
  if (rl.rlim_cur == RLIM_INFINITY) return "unlimited";
  return std::to_string(rl.rlim_cur) + " bytes";
}

}  // namespace

Result<SecureBuffer, SecretError> SecureBuffer::allocate(std::size_t size) {
  SecureBuffer b;
  if (size == 0) return b;
  const std::size_t page = page_size();
  const std::size_t mapped = (size + page - 1) / page * page;
  // Own pages per secret: munlock/munmap of one never unlocks another's bytes.
  void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return Unexpected(SecretError{SecretErrorCode::kMemoryLock,
                                  std::string("secure buffer: mmap of ") + std::to_string(mapped) +
                                      " bytes failed: " + std::strerror(errno)});
  }
  // The raw syscall, not mlock(3): the sanitizers intercept mlock and turn it into a silent
  // no-op, and secrets must be locked in every build (tests check VmLck in the asan build too).
  if (::syscall(SYS_mlock, p, mapped) != 0) {
    const int err = errno;
    ::munmap(p, mapped);
    return Unexpected(SecretError{
        SecretErrorCode::kMemoryLock,
        "secure buffer: mlock of " + std::to_string(mapped) + " bytes refused (" + std::strerror(err) +
            "); RLIMIT_MEMLOCK is " + memlock_limit() +
            ": raise it (ulimit -l, LimitMEMLOCK= in the systemd unit) - secrets are never kept "
            "in unlocked memory"});
  }
  ::madvise(p, mapped, MADV_DONTDUMP);  // best effort: also excluded from core dumps
  b.data_ = static_cast<unsigned char*>(p);
  b.size_ = size;
  b.mapped_ = mapped;
  return b;
}

Result<SecureBuffer, SecretError> SecureBuffer::copy_of(std::string_view bytes) {
  auto b = allocate(bytes.size());
  if (b.ok() && !bytes.empty()) std::memcpy(b->data(), bytes.data(), bytes.size());
  return b;
}

SecureBuffer::SecureBuffer(SecureBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      mapped_(std::exchange(o.mapped_, 0)) {}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& o) noexcept {
  if (this != &o) {
    release();
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    mapped_ = std::exchange(o.mapped_, 0);
  }
  return *this;
}

SecureBuffer::~SecureBuffer() { release(); }

void SecureBuffer::wipe() noexcept {
  if (data_ != nullptr) OPENSSL_cleanse(data_, mapped_);
}

void SecureBuffer::truncate(std::size_t size) noexcept {
  if (size < size_) {
    OPENSSL_cleanse(data_ + size, size_ - size);
    size_ = size;
  }
}

void SecureBuffer::release() noexcept {
  if (data_ == nullptr) return;
  wipe();
  ::syscall(SYS_munlock, data_, mapped_);
  ::munmap(data_, mapped_);
  data_ = nullptr;
  size_ = 0;
  mapped_ = 0;
}

Result<Unit, SecretError> harden_process() {
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0)
    return Unexpected(SecretError{SecretErrorCode::kProcess,
                                  std::string("setrlimit(RLIMIT_CORE, 0): ") + std::strerror(errno)});
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return Unexpected(SecretError{SecretErrorCode::kProcess,
                                  std::string("prctl(PR_SET_DUMPABLE, 0): ") + std::strerror(errno)});
  return Unit{};
}

}  // namespace oms::secrets
