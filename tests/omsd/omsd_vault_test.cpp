// omsd's live mode with its keys in HashiCorp Vault (issue 18, "Keys in live mode"): this test
// process serves the KV v2 test server (tests/testkit/vault_kv2: Vault's documented KV v2,
// token and AppRole API) over HTTPS on a loopback port with its own CA; omsd runs
// `--mode live --secrets vault:https://127.0.0.1:PORT`, its Binance spot venue pointed at
// venue-sim through exchanges.yaml (live mode's URLs). venue-sim knows the keys Vault holds: the
// test copies the paper key venue-sim registered for binance_main into Vault, and registers a
// second venue-sim account (binance_rotated) whose key becomes Vault's next version -- the
// order after the rotation lands on that account at venue-sim, with no omsd restart.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "oms/connectors/net/https_server.hpp"
#include "omsd_checks.hpp"
#include "testkit/child_process.hpp"
#include "testkit/nats_server.hpp"
#include "testkit/paths.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"
#include "testkit/vault_kv2.hpp"

using namespace oms;
using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kRootToken = "hvs.root-token-never-used-by-omsd-0000";
constexpr const char* kOmsdToken = "hvs.omsd-service-token-7c1f2e";
constexpr const char* kVaultPath = "oms/binance_main";
// venue-sim's second account: the key Vault's version 2 holds.
constexpr const char* kRotatedKey = "RotatedKeyB1nanceSpot0000000000000000000000000000000000000000002";
constexpr const char* kRotatedSecret = "RotatedSecretB1nanceSpot000000000000000000000000000000000000002";

// One Binance spot account, no strategies, risk limits (with `alerts`: the emergency contacts'
// block and a Slack sink whose webhook URL is $OMS_SLACK_WEBHOOK_URL -- live mode refuses an
// alert secret that does not read), the venue's URLs set once venue-sim listens.
void write_configs(const std::filesystem::path& dir, const std::string& alerts_ca = "") {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "accounts.yaml") << "accounts:\n  binance:\n    binance_main:\n      type: main\n"
                                          "      api_key_vault_path: " << kVaultPath << "\n"
                                          "      spot_enabled: true\n      futures_enabled: false\n"
                                          "account_routing:\n  default: binance_main\n";
  std::ofstream(dir / "strategies.yaml") << "strategies: {}\n";
  std::ofstream(dir / "risk.yaml") << "global:\n  max_order_notional: 250000\n  max_gross_exposure: 2000000\n"
                                      "  max_net_exposure: 500000\n  max_leverage: 10\n  price_band_bps: 500\n"
                                      "  max_open_orders: 500\n  order_rate_per_second: 50\n  max_daily_loss: 4000\n"
                                      "  max_consecutive_losses: 20\n"
                                      "kill_switch:\n  enabled: false\n  max_daily_loss: 5000\n"
                                      "  max_consecutive_losses: 10\n  cancel_open_orders: true\n"
                                      "  flatten_positions: false\n";
  if (!alerts_ca.empty()) {
    std::ofstream(dir / "risk.yaml", std::ios::app)
        << "  emergency_contacts:\n    - slack: \"#desk\"\nalerts:\n  dedup_window: 1s\n  ca_file: " << alerts_ca
        << "\n  slack:\n    webhook_url: env:OMS_SLACK_WEBHOOK_URL\n";
  }
  std::string ex = testkit::read_file(std::filesystem::path(OMS_SOURCE_DIR) / "configs" / "exchanges.yaml");
  const auto set = [&](const std::string& from, const std::string& to) {
    const auto at = ex.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, from);
    ex.replace(at, from.size(), to);
  };
  set("  bybit:\n    enabled: true", "  bybit:\n    enabled: false");
  set("  okx:\n    enabled: true", "  okx:\n    enabled: false");
  set("  upbit:\n    enabled: true", "  upbit:\n    enabled: false");
  set("      usdm:\n        enabled: true\n        rest_url: https://fapi.binance.com",
      "      usdm:\n        enabled: false\n        rest_url: https://fapi.binance.com");
  std::ofstream(dir / "exchanges.yaml") << ex;
}

void point_binance_at(const std::filesystem::path& configs, int port) {
  const std::string at = "127.0.0.1:" + std::to_string(port);
  replace_in_file(configs / "exchanges.yaml", "https://api.binance.com", "https://" + at);
  replace_in_file(configs / "exchanges.yaml", "wss://stream.binance.com:9443", "wss://" + at);
}

void write_private(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
  std::filesystem::permissions(p, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

std::string secret_json(const std::string& key, const std::string& secret) {
  return nlohmann::json{{"api_key", key}, {"api_secret", secret}}.dump();
}

// The KV v2 test server over HTTPS on a free loopback port, with its own CA.
struct VaultServer {
  testkit::TempDir tmp{"omsd-vault"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "tls");
  testkit::VaultKv2 engine{kRootToken};
  net::HttpsServer server{net::HttpsServerConfig{"127.0.0.1", 0, {certs.cert.string(), certs.key.string()}},
                          [this](const net::HttpRequest& r) { return engine.handle(r); }};
  VaultServer() { server.start(); }
  [[nodiscard]] std::string url() const { return "vault:https://127.0.0.1:" + std::to_string(server.port()); }
  [[nodiscard]] std::filesystem::path token_file(const std::string& token) const {
    const auto p = tmp.path() / "vault-token";
    write_private(p, token + "\n");
    return p;
  }
};

// The stack (nats-server, venue-sim with binance_main's paper key and binance_rotated's key)
// with omsd in live mode on Vault. `vault_flags`: how omsd authenticates.
struct LiveStack {
  VaultServer& vault;
  std::filesystem::path venue_ca;  // a copy of the stack's CA (its path is known only later)
  std::unique_ptr<Stack> stack;
  std::string main_key, main_secret;  // binance_main's key at venue-sim = Vault's version 1

  LiveStack(VaultServer& v, std::vector<std::string> vault_flags, std::string alerts_ca = "")
      : vault(v), venue_ca(v.tmp.path() / "venue-ca.pem") {
    StackOptions o;
    o.store = "file";
    o.edit_configs = [alerts_ca](const std::filesystem::path& configs) {
      write_configs(configs, alerts_ca);
      // venue-sim's second account, whose key Vault's next version will hold (0600, as omsd
      // --init-paper-keys keeps the entries it finds).
      write_private(configs.parent_path() / "data" / "paper-keys.json",
                    nlohmann::json{{"binance_rotated",
                                    {{"api_key", kRotatedKey}, {"api_secret", kRotatedSecret}, {"market", "spot"}}}}
                        .dump());
    };
    o.omsd_flags = {"--mode", "live", "--ca", venue_ca.string(), "--secrets", vault.url(), "--vault-ca",
                    vault.certs.ca.string(), "--vault-refresh-s", "1"};
    o.omsd_flags.insert(o.omsd_flags.end(), vault_flags.begin(), vault_flags.end());
    stack = std::make_unique<Stack>(o);
    std::filesystem::copy_file(stack->data() / "tls" / "ca.pem", venue_ca);
    point_binance_at(stack->configs(), stack->venue_port());
    const auto keys = nlohmann::json::parse(testkit::read_file(stack->data() / "paper-keys.json"));
    main_key = keys.at("binance_main").at("api_key");
    main_secret = keys.at("binance_main").at("api_secret");
    REQUIRE(vault.engine.write_secret(kVaultPath, secret_json(main_key, main_secret)) == 1);
  }
};

// A GTC limit buy 1 % under the mid through omsctl: accepted by omsd and acknowledged by the
// venue (the REST answer, signed with the key in use).
void place_resting(Stack& s, const std::string& id, Decimal mid) {
  const Decimal below = tick(mid.raw() - mid.raw() / 100);
  const auto r = submit(s, id, "buy", "0.001", below.to_string());
  REQUIRE_MESSAGE(r.at("accepted") == true, r.dump());
  wait_orders(s, [&](const nlohmann::json& orders) { return status_of(orders, id) == "accepted"; });
}

bool venue_has(VenueView& v, const std::string& id) { return v.orders().count(id) == 1; }

// omsd run to its refusal (no venue, no NATS: the keys are read before anything connects).
testkit::RunResult refused_start(const std::filesystem::path& root, std::vector<std::string> flags,
                                 std::vector<std::string> env = {}) {
  write_configs(root / "configs");
  std::vector<std::string> argv{OMSD_BIN, "--config", (root / "configs").string(), "--data", (root / "data").string(),
                                "--store", "file", "--mode", "live", "--grpc",
                                "127.0.0.1:" + std::to_string(testkit::free_port()), "--http",
                                "127.0.0.1:" + std::to_string(testkit::free_port())};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return testkit::run_process(argv, 60s, std::move(env));
}

}  // namespace

TEST_CASE("vault: omsd live signs with the key Vault holds, renews its token at 2/3 of the TTL, "
          "and a new version is used by the next order without a restart") {
  VaultServer vault;
  // The desk's Slack: a loopback HTTPS endpoint (the Vault server's certificate) that records.
  std::mutex slack_mu;
  std::vector<std::string> slack_texts;
  net::HttpsServer slack{net::HttpsServerConfig{"127.0.0.1", 0, {vault.certs.cert.string(), vault.certs.key.string()}},
                         [&](const net::HttpRequest& r) {
                           const auto j = nlohmann::json::parse(r.body, nullptr, false);
                           if (j.is_object()) {
                             const std::lock_guard lock(slack_mu);
                             slack_texts.push_back(j.value("text", ""));
                           }
                           return net::HttpResponse{200, {}, "ok"};
                         }};
  slack.start();
  const std::string webhook = "https://127.0.0.1:" + std::to_string(slack.port()) + "/services/T0VAULT/B0VAULT/HOOK";
  REQUIRE(::setenv("OMS_SLACK_WEBHOOK_URL", webhook.c_str(), 1) == 0);
  LiveStack live(vault, {"--vault-token-file", vault.token_file(kOmsdToken).string()}, vault.certs.ca.string());
  Stack& s = *live.stack;
  vault.engine.add_token(kOmsdToken, 3s);  // renewed at ~2 s, each time for 3 s again
  s.start_omsd();
  const std::string log = testkit::read_file(s.omsd_log());
  CHECK(log.find("vault: account binance_main: key " + secrets::fingerprint(std::move(secrets::SecureBuffer::copy_of(live.main_key)).value())) != std::string::npos);
  CHECK(vault.engine.lookups() >= 1);  // the TTL from lookup-self

  VenueView main_view(s.data(), s.venue_port(), "binance_main");
  VenueView rotated_view(s.data(), s.venue_port(), "binance_rotated");
  const Decimal mid = wait_mid(main_view);
  place_resting(s, "VAULT-1", mid);
  // venue-sim took it under the account whose key Vault held: binance_main's.
  REQUIRE(wait_until([&] { return venue_has(main_view, "VAULT-1"); }, 10s));
  CHECK_FALSE(venue_has(rotated_view, "VAULT-1"));

  // Renewal: the 3 s token lives on because omsd renews it (renew-self counted by the server).
  REQUIRE(wait_until([&] { return vault.engine.renewals() >= 2; }, 15s));
  CHECK(s.omsd_running());

  // Rotation: version 2 holds binance_rotated's key; within the 1 s refresh omsd swaps it in.
  REQUIRE(vault.engine.write_secret(kVaultPath, secret_json(kRotatedKey, kRotatedSecret)) == 2);
  REQUIRE(wait_until([&] {
    return testkit::read_file(s.omsd_log()).find("signs with version 2") != std::string::npos;
  }, 15s));
  place_resting(s, "VAULT-2", mid);
  REQUIRE(wait_until([&] { return venue_has(rotated_view, "VAULT-2"); }, 10s));
  CHECK_FALSE(venue_has(main_view, "VAULT-2"));
  CHECK(s.omsd_running());
  {
    const auto [status, metrics] = s.http_get("/metrics");
    CHECK(status == 200);
    CHECK_MESSAGE(metrics.find("oms_vault_events_total{event=\"rotation\"} 1\n") != std::string::npos, metrics);
    CHECK(metrics.find("oms_vault_events_total{event=\"renewal_failure\"} 0\n") != std::string::npos);
    CHECK(metrics.find("oms_vault_token_ttl_seconds ") != std::string::npos);
  }

  // A failed renewal (the token revoked) is logged and alerted, and the loaded key stays in use.
  vault.engine.revoke(kOmsdToken);
  REQUIRE(wait_until([&] {
    return testkit::read_file(s.omsd_log()).find("vault: token renewal (POST") != std::string::npos;
  }, 15s));
  const bool alerted = wait_until([&] {
    const std::lock_guard lock(slack_mu);
    return std::any_of(slack_texts.begin(), slack_texts.end(), [](const std::string& t) {
      // What failed, as logged: the 403, or (a renewal later) the TTL's end it led to.
      return t.starts_with("[omsd] vault: token renewal failed") &&
             (t.find("renew-self): HTTP 403 (the token expired or was revoked)") != std::string::npos ||
              t.find("the token's TTL has run out") != std::string::npos);
    });
  }, 15s);
  {
    const std::lock_guard lock(slack_mu);
    std::string texts;
    for (const auto& t : slack_texts) texts += t + "\n---\n";
    REQUIRE_MESSAGE(alerted, "Slack got:\n" << texts);
  }
  place_resting(s, "VAULT-3", mid);
  REQUIRE(wait_until([&] { return venue_has(rotated_view, "VAULT-3"); }, 10s));
  CHECK(s.omsd_running());
  CHECK(s.stop_omsd() == 0);
  // No secret in omsd's output: not the token, not a key or secret of either version.
  const std::string all = testkit::read_file(s.omsd_log());
  {  // For the record: what omsd said about Vault (fingerprints and versions, never a key).
    std::istringstream lines(all);
    std::string said;
    for (std::string line; std::getline(lines, line);) {
      if (line.find("vault") != std::string::npos) said += line + "\n";
    }
    MESSAGE("omsd on Vault:\n" << said);
  }
  for (const std::string& secret : {std::string(kOmsdToken), live.main_key, live.main_secret,
                                    std::string(kRotatedKey), std::string(kRotatedSecret)}) {
    CHECK_MESSAGE(all.find(secret) == std::string::npos, "omsd's log holds a secret");
  }
}

TEST_CASE("vault: AppRole -- omsd logs in with role_id and secret_id, trades with the key it read, "
          "renews the login's token, and logs in again when the token is revoked") {
  VaultServer vault;
  vault.engine.set_approle("omsd-role-0c9e", "omsd-secret-id-5d2b7a", 3s);
  const auto approle = vault.tmp.path() / "approle.json";
  write_private(approle, R"({"role_id": "omsd-role-0c9e", "secret_id": "omsd-secret-id-5d2b7a"})");
  LiveStack live(vault, {"--vault-approle-file", approle.string()});
  Stack& s = *live.stack;
  s.start_omsd();
  CHECK(vault.engine.logins() == 1);
  VenueView main_view(s.data(), s.venue_port(), "binance_main");
  place_resting(s, "ROLE-1", wait_mid(main_view));
  REQUIRE(wait_until([&] { return venue_has(main_view, "ROLE-1"); }, 10s));
  REQUIRE(wait_until([&] { return vault.engine.renewals() >= 1; }, 15s));
  CHECK(vault.engine.logins() == 1);  // renewed, not logged in again
  // The login's token revoked: the next renewal fails and omsd logs in again with its AppRole;
  // with the new token it reads the next version and the next order uses it.
  vault.engine.revoke_logins();
  REQUIRE(wait_until([&] { return vault.engine.logins() >= 2; }, 15s));
  REQUIRE(vault.engine.write_secret(kVaultPath, secret_json(kRotatedKey, kRotatedSecret)) == 2);
  REQUIRE(wait_until([&] {
    return testkit::read_file(s.omsd_log()).find("signs with version 2") != std::string::npos;
  }, 15s));
  VenueView rotated_view(s.data(), s.venue_port(), "binance_rotated");
  place_resting(s, "ROLE-2", wait_mid(main_view));
  REQUIRE(wait_until([&] { return venue_has(rotated_view, "ROLE-2"); }, 10s));
  CHECK(s.stop_omsd() == 0);
  const std::string all = testkit::read_file(s.omsd_log());
  CHECK(all.find("omsd-secret-id-5d2b7a") == std::string::npos);
  CHECK(all.find("hvs.approle-login") == std::string::npos);
}

TEST_CASE("vault: omsd refuses to start (exit 2) on a wrong token, an unreachable Vault, a missing "
          "path, naming the account and the path and no secret") {
  VaultServer vault;
  vault.engine.add_token(kOmsdToken, 60s);
  vault.engine.write_secret(kVaultPath, secret_json("SecretKeyNeverPrinted0001", "SecretSecretNeverPrinted0001"));
  const auto expect_refusal = [&](const testkit::RunResult& r, const std::string& why) {
    INFO("stderr: " << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("not starting: account binance_main") != std::string::npos);
    CHECK(r.err.find(kVaultPath) != std::string::npos);
    CHECK(r.err.find(why) != std::string::npos);
    for (const char* secret : {kOmsdToken, "hvs.wrong-token-9f9f", "SecretKeyNeverPrinted0001",
                               "SecretSecretNeverPrinted0001"}) {
      CHECK(r.err.find(secret) == std::string::npos);
    }
  };
  SUBCASE("wrong token: 403") {
    testkit::TempDir tmp("omsd-vault-403");
    expect_refusal(refused_start(tmp.path(), {"--secrets", vault.url(), "--vault-ca", vault.certs.ca.string(),
                                              "--vault-token-file", vault.token_file("hvs.wrong-token-9f9f").string()}),
                   "403 permission denied");
  }
  SUBCASE("wrong token from $VAULT_TOKEN: 403") {
    testkit::TempDir tmp("omsd-vault-env");
    expect_refusal(refused_start(tmp.path(), {"--secrets", vault.url(), "--vault-ca", vault.certs.ca.string()},
                                 {"VAULT_TOKEN=hvs.wrong-token-9f9f"}),
                   "403 permission denied");
  }
  SUBCASE("unreachable Vault") {
    testkit::TempDir tmp("omsd-vault-down");
    const int port = testkit::free_port();  // nothing listens there
    expect_refusal(refused_start(tmp.path(), {"--secrets", "vault:https://127.0.0.1:" + std::to_string(port),
                                              "--vault-ca", vault.certs.ca.string(), "--vault-token-file",
                                              vault.token_file(kOmsdToken).string()}),
                   "127.0.0.1:" + std::to_string(port));
  }
  SUBCASE("missing path: 404") {
    testkit::TempDir tmp("omsd-vault-404");
    testkit::VaultKv2 empty(kRootToken);
    net::HttpsServer other{net::HttpsServerConfig{"127.0.0.1", 0, {vault.certs.cert.string(), vault.certs.key.string()}},
                           [&empty](const net::HttpRequest& r) { return empty.handle(r); }};
    other.start();
    empty.add_token(kOmsdToken, 60s);
    expect_refusal(refused_start(tmp.path(), {"--secrets", "vault:https://127.0.0.1:" + std::to_string(other.port()),
                                              "--vault-ca", vault.certs.ca.string(), "--vault-token-file",
                                              vault.token_file(kOmsdToken).string()}),
                   "404 not found");
  }
}

TEST_CASE("vault: a token file readable by others, no credential at all, or a wrong AppRole refuse the start (exit 2)") {
  VaultServer vault;
  vault.engine.write_secret(kVaultPath, secret_json("SecretKeyNeverPrinted0001", "SecretSecretNeverPrinted0001"));
  vault.engine.set_approle("omsd-role-0c9e", "omsd-secret-id-5d2b7a", 60s);
  testkit::TempDir tmp("omsd-vault-cred");
  {
    const auto loose = tmp.path() / "loose-token";
    std::ofstream(loose) << kOmsdToken << "\n";
    std::filesystem::permissions(loose, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                            std::filesystem::perms::group_read);
    const auto r = refused_start(tmp.path() / "a", {"--secrets", vault.url(), "--vault-ca", vault.certs.ca.string(),
                                                    "--vault-token-file", loose.string()});
    CHECK(r.code == 2);
    CHECK_MESSAGE(r.err.find("--vault-token-file " + loose.string() + ": mode 0640, must be 0600") != std::string::npos, r.err);
    CHECK(r.err.find(kOmsdToken) == std::string::npos);
  }
  {
    const auto r = refused_start(tmp.path() / "b", {"--secrets", vault.url(), "--vault-ca", vault.certs.ca.string()});
    CHECK(r.code == 2);
    CHECK_MESSAGE(r.err.find("no Vault credential: give --vault-token-file, --vault-approle-file or $VAULT_TOKEN") !=
                      std::string::npos,
                  r.err);
  }
  {
    const auto approle = tmp.path() / "approle.json";
    write_private(approle, R"({"role_id": "omsd-role-0c9e", "secret_id": "not-the-secret-id-1234"})");
    const auto r = refused_start(tmp.path() / "c", {"--secrets", vault.url(), "--vault-ca", vault.certs.ca.string(),
                                                    "--vault-approle-file", approle.string()});
    CHECK(r.code == 2);
    CHECK_MESSAGE(r.err.find("/v1/auth/approle/login): HTTP 400 (invalid role or secret ID)") != std::string::npos, r.err);
    CHECK(r.err.find("not-the-secret-id-1234") == std::string::npos);
  }
}
