// The Vault KV v2 secret store over real HTTPS: VaultStore -> HttpsClient (our CA, host-name
// check) -> HttpsServer on loopback serving the KV v2 test engine (tests/testkit/vault_kv2).
// A real Vault speaks the same API, so this is the leg a deployment uses.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>

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

TEST_CASE("vault over HTTPS: get_path reads an account's api_key_vault_path under the mount; a bad path is refused unsent") {
  VaultOverHttps v;
  net::HttpRequest w = write("unused", kKey1, kSecret1);
  w.target = "/v1/secret/data/oms/desk-1/binance_main";
  REQUIRE(v.client->request(w)->status == 200);
  secrets::VaultStore store(*v.client, sb(kToken));
  auto c = store.get_path("oms/desk-1/binance_main");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  CHECK(c->api_key.view() == kKey1);
  CHECK(c->version == 1);
  const auto missing = store.get_path("oms/desk-1/nobody");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == secrets::SecretErrorCode::kNotFound);
  CHECK(missing.error().message.find("secret/oms/desk-1/nobody: 404 not found") != std::string::npos);
  const auto opened = v.client->connections_opened();
  for (const char* bad : {"", "/lead", "trail/", "a//b", "a/../b", "./a", "a b", "a?version=1"}) {
    const auto r = store.get_path(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == secrets::SecretErrorCode::kBadName);
  }
  CHECK(v.client->connections_opened() == opened);  // nothing sent for them
}

TEST_CASE("vault test server: AppRole login, lookup-self and renew-self as Vault documents them; a token past its TTL is refused") {
  VaultOverHttps v;
  v.engine.set_approle("role-1", "secret-id-1", std::chrono::seconds(1));
  const auto post = [&](std::string target, std::string body, std::string token = "") {
    net::HttpRequest r;
    r.method = "POST";
    r.target = std::move(target);
    r.body = std::move(body);
    if (!token.empty()) r.headers.emplace_back("X-Vault-Token", token);
    return *v.client->request(r);
  };
  CHECK(post("/v1/auth/approle/login", R"({"role_id":"role-1","secret_id":"wrong"})").status == 400);
  const auto login = post("/v1/auth/approle/login", R"({"role_id":"role-1","secret_id":"secret-id-1"})");
  REQUIRE(login.status == 200);
  const auto auth = nlohmann::json::parse(login.body).at("auth");
  const std::string token = auth.at("client_token");
  CHECK(auth.at("lease_duration") == 1);
  CHECK(auth.at("renewable") == true);
  net::HttpRequest lookup;
  lookup.method = "GET";
  lookup.target = "/v1/auth/token/lookup-self";
  lookup.headers.emplace_back("X-Vault-Token", token);
  const auto looked = *v.client->request(lookup);
  REQUIRE(looked.status == 200);
  CHECK(nlohmann::json::parse(looked.body).at("data").at("renewable") == true);
  const auto renewed = post("/v1/auth/token/renew-self", R"({"increment":"2s"})", token);
  REQUIRE(renewed.status == 200);
  CHECK(nlohmann::json::parse(renewed.body).at("auth").at("lease_duration") == 2);
  CHECK(v.engine.renewals() == 1);
  // The root token does not renew (no TTL); a token past its TTL is 403 everywhere.
  CHECK(post("/v1/auth/token/renew-self", "{}", std::string(kToken)).status == 400);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  CHECK(v.client->request(lookup)->status == 403);
  CHECK(post("/v1/auth/token/renew-self", "{}", token).status == 403);
}
