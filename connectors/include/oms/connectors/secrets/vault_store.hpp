// HashiCorp Vault KV v2 backend, over any oms::net::HttpClient (HTTPS in production).
// Exactly Vault's documented API, so a real Vault works unchanged:
//   GET  /v1/{mount}/data/{prefix}/{name}[?version=N]   header X-Vault-Token
//        -> {"data":{"data":{"api_key":..,"api_secret":..,"private_key":..,"passphrase":..},
//                    "metadata":{"version":N,...}}}
//   GET  /v1/{mount}/metadata/{prefix}?list=true        (Vault's documented form of LIST)
//        -> {"data":{"keys":["binance_spot_main",...]}}
// 403 -> kPermission, 404 -> kNotFound. Vault's response body is wiped after parsing and the
// secret values are moved into SecureBuffers; no error message quotes the body.
#pragma once

#include <optional>
#include <string>

#include "oms/connectors/net/http.hpp"
#include "oms/connectors/secrets/secret_store.hpp"

namespace oms::secrets {

struct VaultConfig {
  std::string mount = "secret";     // the KV v2 engine's mount path
  std::string prefix = "exchanges"; // folder under the mount
};

class VaultStore final : public SecretStore {
 public:
  // http: a client to the Vault origin (kept by reference; must outlive the store).
  VaultStore(net::HttpClient& http, SecureBuffer token, VaultConfig config = {});

  Result<ApiCredentials, SecretError> get(std::string_view exchange, std::string_view market,
                                          std::string_view account) override;
  // A specific version (Vault's ?version=N); nullopt = latest.
  Result<ApiCredentials, SecretError> get_version(std::string_view name,
                                                  std::optional<std::uint64_t> version);
  Result<std::vector<std::string>, SecretError> list() override;
  // The secret at `path` under the mount, the prefix not applied (GET /v1/{mount}/data/{path}):
  // an account's api_key_vault_path. path: segments of [A-Za-z0-9._-] joined by '/' (no empty,
  // "." or ".." segment; kBadName otherwise). Errors name "{mount}/{path}", never a value.
  Result<ApiCredentials, SecretError> get_path(std::string_view path,
                                               std::optional<std::uint64_t> version = std::nullopt);

 private:
  Result<net::HttpResponse, SecretError> call(std::string target, std::string_view what);
  Result<ApiCredentials, SecretError> read(const std::string& path, std::optional<std::uint64_t> version);
  net::HttpClient* http_;
  SecureBuffer token_;
  VaultConfig config_;
};

}  // namespace oms::secrets
