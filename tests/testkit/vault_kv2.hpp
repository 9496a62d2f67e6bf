// A HashiCorp Vault KV v2 engine, in memory, as a pure HTTP handler: what the Vault secret
// store is tested against (Vault itself cannot be installed here). It follows Vault's
// documented API for the subset we use:
//   POST|PUT /v1/{mount}/data/{path}          body {"data":{...}} -> new version
//   GET      /v1/{mount}/data/{path}[?version=N]
//   LIST     /v1/{mount}/metadata/{path}  (or GET ...?list=true) -> {"data":{"keys":[...]}}
//   DELETE   /v1/{mount}/metadata/{path}       all versions
// Every request needs X-Vault-Token == token (else 403 {"errors":["permission denied"]});
// unknown paths, versions and empty folders are 404 {"errors":[]}.
// Serve it over HTTPS with the transport's server, or in-process with LoopbackHttpClient.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "oms/connectors/net/http.hpp"

namespace oms::testkit {

class VaultKv2 {
 public:
  explicit VaultKv2(std::string token, std::string mount = "secret");
  [[nodiscard]] net::HttpResponse handle(const net::HttpRequest& req);

 private:
  struct Version {
    std::string data_json;  // the "data" object as written
    std::int64_t created = 0;
  };
  net::HttpResponse read(const std::string& path, const std::string& query);
  net::HttpResponse write(const std::string& path, const std::string& body);
  net::HttpResponse list(const std::string& path);
  std::string token_;
  std::string mount_;
  std::map<std::string, std::vector<Version>> secrets_;  // path -> versions 1..n
  std::int64_t clock_ = 0;  // deterministic "created_time" seconds
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
