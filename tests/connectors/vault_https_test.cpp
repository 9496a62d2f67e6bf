// The Vault KV v2 secret store over real HTTPS: VaultStore -> HttpsClient (our CA, host-name
// check) -> HttpsServer on loopback serving the KV v2 test engine (tests/testkit/vault_kv2).
// A real Vault speaks the same API, so this is the leg a deployment uses.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "oms/connectors/net/https_client.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "oms/connectors/secrets/vault_store.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"
#include "testkit/vault_kv2.hpp"

using namespace oms;

namespace {

constexpr std::string_view kToken = "hvs.HTTPS-TEST-TOKEN-7a7a";
constexpr std::string_view kKey1 = "vault-https-key-one-1111";
constexpr std::string_view kSecret1 = "vault-https-secret-one-1111";
constexpr std::string_view kKey2 = "vault-https-key-two-2222";
constexpr std::string_view kSecret2 = "vault-https-secret-two-2222";

secrets::SecureBuffer sb(std::string_view s) {
  return std::move(secrets::SecureBuffer::copy_of(s)).value();
}

net::HttpRequest write(std::string_view name, std::string_view key, std::string_view secret,
                       std::string_view token = kToken) {
  net::HttpRequest r;
  r.method = "POST";
  r.target = "/v1/secret/data/exchanges/" + std::string(name);
  r.headers.emplace_back("X-Vault-Token", std::string(token));
  r.body = nlohmann::json{{"data", {{"api_key", key}, {"api_secret", secret}}}}.dump();
  return r;
}

struct VaultOverHttps {
  testkit::TempDir tmp{"vault-https"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path());
  testkit::VaultKv2 engine{std::string(kToken)};
  net::HttpsServer server{net::HttpsServerConfig{"127.0.0.1", 0, {certs.cert.string(), certs.key.string()}},
                          [this](const net::HttpRequest& r) { return engine.handle(r); }};
  std::unique_ptr<net::HttpsClient> client;
  VaultOverHttps() {
    server.start();
    client = std::make_unique<net::HttpsClient>(net::Origin{"127.0.0.1", server.port()},
                                                net::TlsClientConfig{certs.ca.string()});
  }
};

}  // namespace

TEST_CASE("vault over HTTPS: secrets written through the API are read back, latest and by version") {
  VaultOverHttps v;
  // Writing goes through the same TLS client, as an operator's tooling would.
  REQUIRE(v.client->request(write("binance_spot_main", kKey1, kSecret1))->status == 200);
  REQUIRE(v.client->request(write("binance_spot_main", kKey2, kSecret2))->status == 200);
  secrets::VaultStore store(*v.client, sb(kToken));
  auto latest = store.get("binance", "spot", "main");
  REQUIRE_MESSAGE(latest.ok(), (latest.ok() ? "" : latest.error().message));
  CHECK(latest->version == 2);
  CHECK(latest->api_key.view() == kKey2);
  CHECK(latest->api_secret.view() == kSecret2);
  auto first = store.get_version("binance_spot_main", 1);
  REQUIRE(first.ok());
  CHECK(first->api_key.view() == kKey1);
  CHECK(*store.list() == std::vector<std::string>{"binance_spot_main"});
  CHECK(v.client->connections_opened() == 1);  // one keep-alive connection for all of it
}

TEST_CASE("vault over HTTPS: a bad token is refused (403) and the error quotes no secret") {
  VaultOverHttps v;
  REQUIRE(v.client->request(write("binance_usdm_arb-1", kKey1, kSecret1))->status == 200);
  secrets::VaultStore store(*v.client, sb("hvs.not-the-token"));
  const auto r = store.get("binance", "usdm", "arb-1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == secrets::SecretErrorCode::kPermission);
  CHECK(r.error().message.find(kSecret1) == std::string::npos);
  CHECK(r.error().message.find("hvs.") == std::string::npos);
}
