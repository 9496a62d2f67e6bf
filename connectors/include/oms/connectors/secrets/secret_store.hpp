// Where API keys come from: a SecretStore (Vault KV v2, or an encrypted local key file).
// Names are {exchange}_{market}_{account}, e.g. binance_spot_main; each part is [a-z0-9-]+.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/secrets/secure_buffer.hpp"
#include "oms/messages/result.hpp"

namespace oms::secrets {

struct ApiCredentials {
  SecureBuffer api_key;
  SecureBuffer api_secret;
  SecureBuffer private_key;  // PEM (Ed25519 / RSA keys); empty when the account uses HMAC
  SecureBuffer passphrase;   // the API key's passphrase (OKX); empty for venues without one
  std::uint64_t version = 0; // Vault KV v2 version; 0 for the key file
};

// "binance_spot_main" from its parts, or kBadName naming the part.
[[nodiscard]] Result<std::string, SecretError> secret_name(std::string_view exchange,
                                                           std::string_view market,
                                                           std::string_view account);
// Checks a whole name: three [a-z0-9-]+ parts joined by '_'.
[[nodiscard]] Result<Unit, SecretError> check_secret_name(std::string_view name);

// A printable fingerprint of an API key (first 16 hex digits of its SHA-256): safe to show,
// identifies which key is installed without revealing it.
[[nodiscard]] std::string fingerprint(const SecureBuffer& api_key);

// n random characters of [A-Za-z0-9] from OpenSSL's RAND_bytes (paper API keys and secrets,
// like the venue's own 64-character keys). Throws std::runtime_error when RAND_bytes fails.
[[nodiscard]] std::string random_key_text(std::size_t n);

class SecretStore {
 public:
  virtual ~SecretStore() = default;
  [[nodiscard]] virtual Result<ApiCredentials, SecretError> get(std::string_view exchange,
                                                                std::string_view market,
                                                                std::string_view account) = 0;
  // The names held, sorted.
  [[nodiscard]] virtual Result<std::vector<std::string>, SecretError> list() = 0;
};

class WritableSecretStore : public SecretStore {
 public:
  // put: adds a new name (kExists if present). rotate: replaces an existing one (kNotFound if
  // absent). remove: deletes (kNotFound if absent). Other names are untouched.
  [[nodiscard]] virtual Result<Unit, SecretError> put(std::string_view name, const ApiCredentials& c) = 0;
  [[nodiscard]] virtual Result<Unit, SecretError> rotate(std::string_view name, const ApiCredentials& c) = 0;
  [[nodiscard]] virtual Result<Unit, SecretError> remove(std::string_view name) = 0;
};

}  // namespace oms::secrets
