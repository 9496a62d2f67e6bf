// A local key file: every credential in one AES-256-GCM blob under a key derived from a
// passphrase with scrypt. File layout (all integers big-endian), header = AAD:
//
//   "OMSKEYS\0" | version u8 (=2; 1 is read) | kdf u8 (=1 scrypt) | log2 N u8 | r u8 | p u8 |
//   salt_len u8 (=16) | salt | nonce (12) | ciphertext | tag (16)
//
// Plaintext: count u32, then per entry: name (u16 len) api_key, api_secret, private_key,
// passphrase (u32 len each; a version 1 file has no passphrase, read as empty). Every write re-encrypts the whole file with a fresh random nonce and
// replaces it atomically (temp file 0600, fsync, rename, fsync dir). The file must be 0600
// (or stricter): a group/world-readable file is refused.
//
// scrypt cost: N=2^15, r=8, p=1 needs 128*N*r = 32 MiB and ~0.1 s per derivation on one
// core here; the store derives once per open (and again only if the file's salt/params change).
#pragma once

#include <filesystem>
#include <string>

#include "oms/connectors/secrets/secret_store.hpp"

namespace oms::secrets {

struct ScryptParams {
  std::uint8_t log2_n = 15;  // N = 2^15
  std::uint8_t r = 8;
  std::uint8_t p = 1;
};

// Bounds a file header may ask for (a tampered header must not cost minutes or GiBs).
inline constexpr std::uint8_t kMaxScryptLog2N = 20;
inline constexpr std::uint8_t kMaxScryptR = 32;
inline constexpr std::uint8_t kMaxScryptP = 16;

// The passphrase from $OMS_KEYFILE_PASSPHRASE (kConfig when unset or empty). The environment
// copy itself cannot be wiped: prefer the file form on shared hosts.
[[nodiscard]] Result<SecureBuffer, SecretError> passphrase_from_env();
// The first line of a file that must be 0600 or stricter (kFileMode otherwise).
[[nodiscard]] Result<SecureBuffer, SecretError> passphrase_from_file(const std::filesystem::path& p);

namespace detail {
struct KeyFileEntry {
  std::string name;
  ApiCredentials creds;
};
}  // namespace detail

class KeyFileStore final : public WritableSecretStore {
 public:
  enum class Mode : std::uint8_t { kMustExist, kCreateIfMissing };
  // Opens (and authenticates) the file, or creates an empty one with `params`.
  // Errors: kFileMode, kAuthentication (wrong passphrase or tampered), kCorrupt, kIo.
  [[nodiscard]] static Result<KeyFileStore, SecretError> open(const std::filesystem::path& path,
                                                              SecureBuffer passphrase,
                                                              Mode mode = Mode::kMustExist,
                                                              ScryptParams params = {});

  Result<ApiCredentials, SecretError> get(std::string_view exchange, std::string_view market,
                                          std::string_view account) override;
  Result<ApiCredentials, SecretError> get(std::string_view name);
  Result<std::vector<std::string>, SecretError> list() override;
  Result<Unit, SecretError> put(std::string_view name, const ApiCredentials& c) override;
  Result<Unit, SecretError> rotate(std::string_view name, const ApiCredentials& c) override;
  Result<Unit, SecretError> remove(std::string_view name) override;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }


 private:
  enum class WriteKind : std::uint8_t { kPut, kRotate, kRemove };
  KeyFileStore() = default;
  // Reads, authenticates and decodes the whole file (re-deriving the key if the file's salt
  // or parameters changed). Nothing is cached: another process's rotate is seen at once.
  Result<std::vector<detail::KeyFileEntry>, SecretError> load();
  // Encrypts all entries under a fresh nonce and replaces the file atomically.
  Result<Unit, SecretError> store(const std::vector<detail::KeyFileEntry>& entries);
  Result<Unit, SecretError> write_entry(std::string_view name, const ApiCredentials* c, WriteKind kind);
  std::filesystem::path path_;
  SecureBuffer passphrase_;
  SecureBuffer key_;             // derived for (salt_, params_)
  std::string salt_;             // not secret
  ScryptParams params_;
};

}  // namespace oms::secrets
