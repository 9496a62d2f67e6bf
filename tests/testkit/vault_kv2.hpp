// A HashiCorp Vault KV v2 engine, in memory, as a pure HTTP handler: what the Vault secret
// store is tested against (Vault itself cannot be installed here). It follows Vault's
// documented API for the subset we use:
//   POST|PUT /v1/{mount}/data/{path}          body {"data":{...}} -> new version
//   GET      /v1/{mount}/data/{path}[?version=N]
//   LIST     /v1/{mount}/metadata/{path}  (or GET ...?list=true) -> {"data":{"keys":[...]}}
//   DELETE   /v1/{mount}/metadata/{path}       all versions
// and Vault's token and AppRole auth methods:
//   POST     /v1/auth/approle/login            body {"role_id","secret_id"} (no token needed)
//            -> {"auth":{"client_token","accessor","policies","token_policies",
//                        "lease_duration","renewable":true,...}}; a wrong pair: 400
//            {"errors":["invalid role or secret ID"]}
//   GET      /v1/auth/token/lookup-self        -> {"data":{"ttl","renewable","creation_ttl",
//                                                   "expire_time","policies",...}}
//   POST|PUT /v1/auth/token/renew-self         body {} or {"increment":"Ns"|N}
//            -> {"auth":{"client_token","lease_duration","renewable",...}}; a token that is
//            not renewable: 400 {"errors":["lease is not renewable"]}
// Every other request needs a valid X-Vault-Token (else 403 {"errors":["permission denied"]}):
// the constructor's token (a root token: no TTL, never expires, not renewable), or one made by
// add_token / an AppRole login, valid until its TTL -- counted on the real steady clock from
// its creation or last renewal -- runs out (then 403 like an unknown one).
// Unknown paths, versions and empty folders are 404 {"errors":[]}.
// Thread-safe (an HTTPS server calls handle() from its threads while the test writes).
// Serve it over HTTPS with the transport's server, or in-process with LoopbackHttpClient.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "oms/connectors/net/http.hpp"

namespace oms::testkit {

class VaultKv2 {
 public:
  explicit VaultKv2(std::string token, std::string mount = "secret");
  [[nodiscard]] net::HttpResponse handle(const net::HttpRequest& req);

  // A service token with a TTL (renew-self extends it by the same TTL, or by the increment asked).
  void add_token(std::string token, std::chrono::seconds ttl, bool renewable = true);
  // Ends a token now (every request with it is 403 from here on, renew-self included).
  void revoke(const std::string& token);
  // Ends every token an AppRole login issued (the client does not learn them otherwise).
  void revoke_logins();
  // The AppRole (role_id, secret_id) whose login issues a renewable token with `token_ttl`.
  void set_approle(std::string role_id, std::string secret_id, std::chrono::seconds token_ttl);
  // Writes a new version of the secret at path (as POST /v1/{mount}/data/{path} would): its
  // version number.
  std::size_t write_secret(const std::string& path, const std::string& data_json);
  [[nodiscard]] std::uint64_t renewals() const;      // renew-self calls answered 200
  [[nodiscard]] std::uint64_t logins() const;        // AppRole logins answered 200
  [[nodiscard]] std::uint64_t lookups() const;       // lookup-self calls answered 200
  [[nodiscard]] std::uint64_t secret_reads() const;  // GET /v1/{mount}/data/... answered 200

 private:
  using Clock = std::chrono::steady_clock;
  struct Version {
    std::string data_json;  // the "data" object as written
    std::int64_t created = 0;
  };
  struct Token {
    std::chrono::seconds ttl{0};  // 0: never expires (root)
    bool renewable = false;
    Clock::time_point expires{};  // when ttl > 0
    std::string accessor;
  };
  [[nodiscard]] const Token* valid(const std::string& token) const;  // mu_ held
  net::HttpResponse login(const std::string& body);
  net::HttpResponse lookup_self(const std::string& token);
  net::HttpResponse renew_self(const std::string& token, const std::string& body);
  net::HttpResponse read(const std::string& path, const std::string& query);
  net::HttpResponse write(const std::string& path, const std::string& body);
  net::HttpResponse list(const std::string& path);
  std::string token_;
  std::string mount_;
  std::map<std::string, std::vector<Version>> secrets_;  // path -> versions 1..n
  std::int64_t clock_ = 0;  // deterministic "created_time" seconds
  mutable std::mutex mu_;
  std::map<std::string, Token> tokens_;
  std::string role_id_, secret_id_;
  std::chrono::seconds approle_ttl_{0};
  std::uint64_t renewals_ = 0, logins_ = 0, lookups_ = 0, reads_ = 0, issued_ = 0;
};

// An HttpClient that hands each request to a handler in-process and records it (tests check
// the exact method, target and headers the client sent).
template <class Handler>
class LoopbackHttpClient final : public net::HttpClient {
 public:
  explicit LoopbackHttpClient(Handler& h) : handler_(&h) {}
  Result<net::HttpResponse, net::HttpError> request(const net::HttpRequest& req) override {
    requests.push_back(req);
    return handler_->handle(req);
  }
  std::vector<net::HttpRequest> requests;

 private:
  Handler* handler_;
};

}  // namespace oms::testkit
