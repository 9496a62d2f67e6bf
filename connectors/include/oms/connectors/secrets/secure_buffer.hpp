// Memory for secrets: its own mlock'd, MADV_DONTDUMP pages, wiped (OPENSSL_cleanse) before
// they are returned. Non-copyable, movable. Error messages never contain the bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "oms/messages/result.hpp"

namespace oms::secrets {

// 46xx: secrets.
enum class SecretErrorCode : std::uint16_t {
  kMemoryLock = 4601,     // mlock refused (RLIMIT_MEMLOCK) or mmap failed
  kNotFound = 4602,       // no such secret
  kPermission = 4603,     // Vault 403, or a file we may not read
  kAuthentication = 4604, // wrong passphrase or tampered key file (GCM tag mismatch)
  kCorrupt = 4605,        // not a key file / unsupported version / truncated / bad field
  kIo = 4606,             // open, read, write, fsync, rename failed
  kBadName = 4607,        // exchange/market/account not [a-z0-9-]+
  kTransport = 4608,      // HttpClient error talking to Vault
  kBadResponse = 4609,    // Vault answered something we do not understand
  kFileMode = 4610,       // key or passphrase file readable by group/others
  kExists = 4611,         // add of a name that is already there
  kConfig = 4612,         // missing passphrase, bad parameters
  kCrypto = 4613,         // OpenSSL failure (not an authentication failure)
  kProcess = 4614,        // setrlimit / prctl failed
};

struct SecretError {
  SecretErrorCode code;
  std::string message;  // names the file / secret name / field; never a secret value
};

class SecureBuffer {
 public:
  SecureBuffer() noexcept = default;  // empty, owns nothing
  // size bytes of zeroed, locked memory. kMemoryLock when mlock is refused: we never hand
  // out unlocked memory for a secret.
  [[nodiscard]] static Result<SecureBuffer, SecretError> allocate(std::size_t size);
  [[nodiscard]] static Result<SecureBuffer, SecretError> copy_of(std::string_view bytes);

  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;
  SecureBuffer(SecureBuffer&& o) noexcept;
  SecureBuffer& operator=(SecureBuffer&& o) noexcept;
  ~SecureBuffer();

  [[nodiscard]] unsigned char* data() noexcept { return data_; }
  [[nodiscard]] const unsigned char* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(data_), size_};  // NOLINT: bytes as chars
  }
  [[nodiscard]] std::span<unsigned char> bytes() noexcept { return {data_, size_}; }
  // Zeroes the bytes now (size unchanged); the destructor does the same before unmapping.
  void wipe() noexcept;
  // Shrinks the visible size (e.g. after reading fewer bytes than allocated); no reallocation.
  void truncate(std::size_t size) noexcept;

 private:
  void release() noexcept;
  unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;  // whole pages
};

// Hardens the process for holding secrets: RLIMIT_CORE 0 (no core file) and
// PR_SET_DUMPABLE 0 (no core, and no ptrace attach / /proc/<pid>/mem by non-root).
// Effect on debugging: `gdb -p` by the same non-root user fails and crashes leave no core;
// attach as root, or run under gdb from the start, or skip the call in a debug session.
[[nodiscard]] Result<Unit, SecretError> harden_process();

}  // namespace oms::secrets
