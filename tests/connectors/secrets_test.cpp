#include <doctest/doctest.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "oms/connectors/secrets/key_file_store.hpp"
#include "oms/connectors/secrets/vault_store.hpp"
#include "testkit/paths.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/vault_kv2.hpp"

using namespace oms;
using namespace oms::secrets;
namespace fs = std::filesystem;

namespace {

// Test secrets: distinctive so a leak into any message or output is found by substring.
constexpr std::string_view kKey1 = "TESTKEY-aaaa1111bbbb2222";
constexpr std::string_view kSecret1 = "TESTSECRET-zzzz9999yyyy8888";
constexpr std::string_view kKey2 = "TESTKEY-cccc3333dddd4444";
constexpr std::string_view kSecret2 = "TESTSECRET-xxxx7777wwww6666";
constexpr std::string_view kPem = "-----BEGIN PRIVATE KEY-----\nTESTPEM-MC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----\n";
constexpr std::string_view kPassphrase = "correct horse battery staple";
constexpr std::string_view kVaultToken = "hvs.TESTTOKEN-qqqq5555";
const ScryptParams kFast{10, 8, 1};  // N=2^10: tests derive many times

SecureBuffer sb(std::string_view s) { return std::move(SecureBuffer::copy_of(s)).value(); }

ApiCredentials creds(std::string_view key, std::string_view secret, std::string_view pem = {}) {
  ApiCredentials c;
  c.api_key = sb(key);
  c.api_secret = sb(secret);
  c.private_key = sb(pem);
  return c;
}

void check_no_secret(std::string_view text) {
  for (std::string_view s : {kKey1, kSecret1, kKey2, kSecret2, std::string_view("TESTPEM"), kPassphrase,
                             std::string_view("TESTTOKEN")})
    CHECK_MESSAGE(text.find(s) == std::string_view::npos, "leaked '" << s << "' in: " << text);
}

std::string bytes_of(const fs::path& p) { return testkit::read_file(p); }
void write_bytes(const fs::path& p, const std::string& b) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << b;
  fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
}

KeyFileStore open_new(const fs::path& p, ScryptParams params = kFast) {
  auto s = KeyFileStore::open(p, sb(kPassphrase), KeyFileStore::Mode::kCreateIfMissing, params);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  return std::move(s).value();
}

long vm_locked_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.starts_with("VmLck:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

}  // namespace

TEST_CASE("secret names are {exchange}_{market}_{account} of [a-z0-9-]") {
  CHECK(*secret_name("binance", "spot", "main") == "binance_spot_main");
  CHECK(*secret_name("binance", "usdm", "arb-1") == "binance_usdm_arb-1");
  const auto bad = secret_name("Binance", "spot", "main");
  REQUIRE(!bad.ok());
  CHECK(bad.error().code == SecretErrorCode::kBadName);
  CHECK(bad.error().message == "secret name: exchange 'Binance' must be 1-64 characters of [a-z0-9-]");
  CHECK(!check_secret_name("binance_spot").ok());
  CHECK(!check_secret_name("binance_spot_main/x").ok());
  CHECK(check_secret_name("binance_spot_main").ok());
}

TEST_CASE("secure buffers are mlock'd: VmLck grows by a page per buffer and shrinks on release") {
  const long before = vm_locked_kb();
  REQUIRE(before >= 0);
  const long page_kb = sysconf(_SC_PAGESIZE) / 1024;
  {
    auto a = sb(kSecret1);
    auto b = sb(std::string(5000, 'x'));  // two pages
    CHECK(vm_locked_kb() == before + 3 * page_kb);
    SecureBuffer moved = std::move(b);  // moving transfers the pages, locks nothing new
    CHECK(vm_locked_kb() == before + 3 * page_kb);
    CHECK(b.empty());
    CHECK(moved.size() == 5000);
    CHECK(a.view() == kSecret1);
  }
  CHECK(vm_locked_kb() == before);
}

TEST_CASE("when mlock is refused, allocation fails loudly instead of handing out unlocked memory") {
  // In a child that drops CAP_IPC_LOCK (root ignores RLIMIT_MEMLOCK otherwise) and sets the
  // limit to 0 (mlock then fails with EPERM). Exit codes: 0 as expected, 2 refused the setup, 3 allocated anyway, 4 bad error.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &hdr, data) != 0) _exit(2);
    data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
    if (syscall(SYS_capset, &hdr, data) != 0) _exit(2);
    const rlimit zero{0, 0};
    if (setrlimit(RLIMIT_MEMLOCK, &zero) != 0) _exit(2);
    const auto b = SecureBuffer::copy_of(kSecret1);
    if (b.ok()) _exit(3);
    const auto& e = b.error();
    _exit(e.code == SecretErrorCode::kMemoryLock &&
                  e.message == "secure buffer: mlock of 4096 bytes refused (Operation not permitted); "
                               "RLIMIT_MEMLOCK is 0 bytes: raise it (ulimit -l, LimitMEMLOCK= in the "
                               "systemd unit) - secrets are never kept in unlocked memory"
              ? 0
              : 4);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("wipe zeroes a secure buffer in place; truncate wipes the cut tail") {
  auto b = sb(kSecret1);
  const unsigned char* p = b.data();
  b.truncate(4);
  CHECK(b.view() == "TEST");
  CHECK(p[4] == 0);
  CHECK(p[kSecret1.size() - 1] == 0);
  b.wipe();
  CHECK(b.size() == 4);
  CHECK(b.view() == std::string(4, '\0'));
  CHECK(SecureBuffer::allocate(0)->empty());
}

TEST_CASE("harden_process sets RLIMIT_CORE to 0 and clears the dumpable flag") {
  // In a child: the test process itself stays debuggable.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const bool ok = harden_process().ok();
    rlimit rl{};
    getrlimit(RLIMIT_CORE, &rl);
    _exit(ok && rl.rlim_cur == 0 && rl.rlim_max == 0 && prctl(PR_GET_DUMPABLE) == 0 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("key file round trip: put, get by parts and by name, list, 0600 on disk") {
  testkit::TempDir dir;
  const auto path = dir.path() / "keys.bin";
  auto store = open_new(path);
  CHECK((fs::status(path).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  REQUIRE(store.put("binance_spot_main", creds(kKey1, kSecret1, kPem)).ok());
  REQUIRE(store.put("binance_usdm_arb-1", creds(kKey2, kSecret2)).ok());
  CHECK(*store.list() == std::vector<std::string>{"binance_spot_main", "binance_usdm_arb-1"});
  check_no_secret(bytes_of(path));  // encrypted on disk

  auto reopened = KeyFileStore::open(path, sb(kPassphrase));
  REQUIRE(reopened.ok());
  auto c = reopened->get("binance", "spot", "main");
  REQUIRE(c.ok());
  CHECK(c->api_key.view() == kKey1);
  CHECK(c->api_secret.view() == kSecret1);
  CHECK(c->private_key.view() == kPem);
  auto d = reopened->get("binance_usdm_arb-1");
  REQUIRE(d.ok());
  CHECK(d->api_key.view() == kKey2);
  CHECK(d->private_key.empty());
  const auto missing = reopened->get("binance", "spot", "other");
  REQUIRE(!missing.ok());
  CHECK(missing.error().code == SecretErrorCode::kNotFound);
  CHECK(missing.error().message == "key file " + path.string() + ": no secret named 'binance_spot_other'");
}

TEST_CASE("key file: an API key's passphrase (OKX) round trips; a version 1 file is read and rewritten as 2") {
  testkit::TempDir dir;
  const auto path = dir.path() / "keys.bin";
  {
    auto store = open_new(path);
    ApiCredentials c = creds(kKey1, kSecret1);
    c.passphrase = sb("TESTPASS-okx-1");
    REQUIRE(store.put("okx_unified_main", std::move(c)).ok());
    CHECK(bytes_of(path)[8] == 2);  // the version byte
    CHECK(bytes_of(path).find("TESTPASS") == std::string::npos);
  }
  auto reopened = KeyFileStore::open(path, sb(kPassphrase));
  REQUIRE(reopened.ok());
  CHECK(reopened->get("okx_unified_main")->passphrase.view() == "TESTPASS-okx-1");

  // tests/connectors/keyfile_v1.bin: written by the version 1 code (oms-keys, scrypt 2^10), one
  // entry okx_spot_old = key-one / secret-one, passphrase "v1-test-passphrase".
  const auto old = dir.path() / "v1.bin";
  write_bytes(old, testkit::read_file(fs::path(OMS_TEST_SOURCE_DIR) / "keyfile_v1.bin"));
  REQUIRE(bytes_of(old)[8] == 1);
  auto v1 = KeyFileStore::open(old, sb("v1-test-passphrase"));
  REQUIRE_MESSAGE(v1.ok(), (v1.ok() ? "" : v1.error().message));
  auto e = v1->get("okx_spot_old");
  REQUIRE(e.ok());
  CHECK(e->api_key.view() == "key-one");
  CHECK(e->api_secret.view() == "secret-one");
  CHECK(e->passphrase.empty());
  REQUIRE(v1->put("okx_spot_new", creds(kKey2, kSecret2)).ok());
  CHECK(bytes_of(old)[8] == 2);
  auto again = KeyFileStore::open(old, sb("v1-test-passphrase"));
  REQUIRE(again.ok());
  CHECK(again->get("okx_spot_old")->api_secret.view() == "secret-one");
  CHECK(*again->list() == std::vector<std::string>{"okx_spot_new", "okx_spot_old"});
}

TEST_CASE("the default scrypt cost (N=2^15, r=8, p=1) is written to the header and round trips") {
  testkit::TempDir dir;
  const auto path = dir.path() / "keys.bin";
  auto store = open_new(path, ScryptParams{});
  REQUIRE(store.put("binance_spot_main", creds(kKey1, kSecret1)).ok());
  const std::string f = bytes_of(path);
  CHECK(f.substr(0, 8) == std::string("OMSKEYS\0", 8));
  CHECK(f[8] == 2);   // version (2: each entry carries a passphrase)
  CHECK(f[9] == 1);   // kdf scrypt
  CHECK(f[10] == 15); // log2 N
  CHECK(f[11] == 8);  // r
  CHECK(f[12] == 1);  // p
  CHECK(f[13] == 16); // salt length
  CHECK(KeyFileStore::open(path, sb(kPassphrase))->get("binance_spot_main")->api_secret.view() == kSecret1);
}

TEST_CASE("wrong passphrase is an authentication error and leaves the file as it was") {
  testkit::TempDir dir;
  const auto path = dir.path() / "keys.bin";
  REQUIRE(open_new(path).put("binance_spot_main", creds(kKey1, kSecret1)).ok());
  const std::string before = bytes_of(path);
  const auto r = KeyFileStore::open(path, sb("wrong passphrase"));
  REQUIRE(!r.ok());
  CHECK(r.error().code == SecretErrorCode::kAuthentication);
  CHECK(r.error().message ==
        "key file " + path.string() + ": authentication failed: wrong passphrase, or the file was modified");
  CHECK(bytes_of(path) == before);
  CHECK(!fs::exists(path.string() + ".tmp"));
}

TEST_CASE("a flipped bit in any byte (magic, header, salt, nonce, ciphertext, tag) is refused") {
  testkit::TempDir dir;
  const auto path = dir.path() / "keys.bin";
  REQUIRE(open_new(path).put("binance_spot_main", creds(kKey1, kSecret1)).ok());
  const std::string good = bytes_of(path);
  constexpr std::size_t kHeader = 8 + 6 + 16 + 12;
  REQUIRE(good.size() > kHeader + 16);
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    write_bytes(path, bad);
    const auto r = KeyFileStore::open(path, sb(kPassphrase));
    REQUIRE_MESSAGE(!r.ok(), "byte " << i << " flipped was accepted");
    const auto code = r.error().code;
    if (i < 10 || i == 12 || i == 13) {  // magic, version, kdf, p 1->0, salt length
      CHECK_MESSAGE(code == SecretErrorCode::kCorrupt, "byte " << i);
    } else {  // N, r, salt, nonce (AAD and key inputs), ciphertext, tag
      CHECK_MESSAGE(code == SecretErrorCode::kAuthentication, "byte " << i);
    }
    check_no_secret(r.error().message);
  }
  write_bytes(path, good.substr(0, kHeader + 10));
  CHECK(KeyFileStore::open(path, sb(kPassphrase)).error().code == SecretErrorCode::kCorrupt);
  write_bytes(path, good);
  CHECK(KeyFileStore::open(path, sb(kPassphrase)).ok());
}

TEST_CASE("a store already open sees a tampered file as an error on its next read, not stale data") {
  testkit::TempDir dir;
  const auto path = dir.path() / "keys.bin";
  auto store = open_new(path);
  REQUIRE(store.put("binance_spot_main", creds(kKey1, kSecret1)).ok());
  std::string f = bytes_of(path);
  f[f.size() - 1] = static_cast<char>(f[f.size() - 1] ^ 0x80);
  write_bytes(path, f);
  CHECK(store.get("binance_spot_main").error().code == SecretErrorCode::kAuthentication);
  CHECK(store.put("binance_usdm_main", creds(kKey2, kSecret2)).error().code == SecretErrorCode::kAuthentication);
  CHECK(bytes_of(path) == f);  // the failed put wrote nothing
}

TEST_CASE("a group- or world-readable key file is refused with a clear error") {
  testkit::TempDir dir;
  const auto path = dir.path() / "keys.bin";
  REQUIRE(open_new(path).put("binance_spot_main", creds(kKey1, kSecret1)).ok());
  for (auto extra : {fs::perms::group_read, fs::perms::others_read}) {
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | extra);
    const auto r = KeyFileStore::open(path, sb(kPassphrase));
    REQUIRE(!r.ok());
    CHECK(r.error().code == SecretErrorCode::kFileMode);
    const std::string mode = extra == fs::perms::group_read ? "0640" : "0604";
    CHECK(r.error().message == "key file " + path.string() + ": permissions " + mode +
                                   " allow group/others access; refusing to use it (chmod 600)");
  }
}

TEST_CASE("passphrase from a 0600 file (first line) or the environment; a readable file is refused") {
  testkit::TempDir dir;
  const auto p = dir.path() / "pass";
  write_bytes(p, std::string(kPassphrase) + "\n");
  CHECK(passphrase_from_file(p)->view() == kPassphrase);
  fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  const auto r = passphrase_from_file(p);
  REQUIRE(!r.ok());
  CHECK(r.error().code == SecretErrorCode::kFileMode);
  CHECK(r.error().message.starts_with("passphrase file " + p.string() + ": permissions 0640"));
  ::setenv("OMS_KEYFILE_PASSPHRASE", "from-env", 1);
  CHECK(passphrase_from_env()->view() == "from-env");
  // Read once: no longer in the environment.
  CHECK(std::getenv("OMS_KEYFILE_PASSPHRASE") == nullptr);
  CHECK(passphrase_from_env().error().code == SecretErrorCode::kConfig);
}

TEST_CASE("rotate replaces one key and keeps the others; put/rotate/remove check presence") {
  testkit::TempDir dir;
  const auto path = dir.path() / "keys.bin";
  auto store = open_new(path);
  REQUIRE(store.put("binance_spot_main", creds(kKey1, kSecret1)).ok());
  REQUIRE(store.put("binance_usdm_main", creds(kKey2, kSecret2, kPem)).ok());
  const std::string before = bytes_of(path);
  REQUIRE(store.rotate("binance_spot_main", creds(kKey2, kSecret2)).ok());
  const std::string after = bytes_of(path);
  CHECK(after.substr(14 + 16, 12) != before.substr(14 + 16, 12));  // fresh nonce
  CHECK(store.get("binance_spot_main")->api_secret.view() == kSecret2);
  const auto other = store.get("binance_usdm_main");
  CHECK(other->api_key.view() == kKey2);
  CHECK(other->private_key.view() == kPem);

  const auto dup = store.put("binance_spot_main", creds(kKey1, kSecret1));
  CHECK(dup.error().code == SecretErrorCode::kExists);
  check_no_secret(dup.error().message);
  CHECK(store.rotate("binance_spot_nope", creds(kKey1, kSecret1)).error().code == SecretErrorCode::kNotFound);
  CHECK(store.put("Bad Name", creds(kKey1, kSecret1)).error().code == SecretErrorCode::kBadName);
  CHECK(bytes_of(path) == after);  // refused writes change nothing
  REQUIRE(store.remove("binance_spot_main").ok());
  CHECK(*store.list() == std::vector<std::string>{"binance_usdm_main"});
  CHECK(store.remove("binance_spot_main").error().code == SecretErrorCode::kNotFound);
}

// ---- Vault KV v2 (in-process; the HTTPS leg is exercised once the transport server exists) ----

namespace {

net::HttpRequest vault_write(std::string_view name, const nlohmann::json& data, std::string_view token = kVaultToken) {
  net::HttpRequest r;
  r.method = "POST";
  r.target = "/v1/secret/data/exchanges/" + std::string(name);
  r.headers.emplace_back("X-Vault-Token", std::string(token));
  r.body = nlohmann::json{{"data", data}}.dump();
  return r;
}

struct VaultFixture {
  testkit::VaultKv2 vault{std::string(kVaultToken)};
  testkit::LoopbackHttpClient<testkit::VaultKv2> http{vault};
  VaultFixture() {
    REQUIRE(vault.handle(vault_write("binance_spot_main", {{"api_key", kKey1}, {"api_secret", kSecret1}})).status == 200);
    REQUIRE(vault.handle(vault_write("binance_spot_main",
                                     {{"api_key", kKey2}, {"api_secret", kSecret2}, {"private_key", kPem}}))
                .status == 200);
    REQUIRE(vault.handle(vault_write("binance_usdm_arb-1", {{"api_key", kKey1}, {"api_secret", kSecret2}})).status == 200);
  }
};

}  // namespace

TEST_CASE("vault: the test server follows KV v2 (403 on a bad token, versions, 404 body)") {
  testkit::VaultKv2 vault{std::string(kVaultToken)};
  const auto denied = vault.handle(vault_write("binance_spot_main", {{"api_key", "k"}}, "wrong"));
  CHECK(denied.status == 403);
  CHECK(denied.body == R"({"errors":["permission denied"]})");
  const auto w = vault.handle(vault_write("binance_spot_main", {{"api_key", "k"}}));
  CHECK(w.status == 200);
  CHECK(nlohmann::json::parse(w.body)["data"]["version"] == 1);
  net::HttpRequest get{"GET", "/v1/secret/data/exchanges/binance_spot_main?version=2", {{"X-Vault-Token", std::string(kVaultToken)}}, {}};
  const auto missing = vault.handle(get);
  CHECK(missing.status == 404);
  CHECK(missing.body == R"({"errors":[]})");
  get.target = "/v1/secret/metadata/exchanges";
  get.method = "LIST";
  CHECK(nlohmann::json::parse(vault.handle(get).body)["data"]["keys"] == nlohmann::json{"binance_spot_main"});
}

TEST_CASE("vault: get reads the latest version with the documented request") {
  VaultFixture f;
  VaultStore store(f.http, sb(kVaultToken));
  auto c = store.get("binance", "spot", "main");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  CHECK(c->version == 2);
  CHECK(c->api_key.view() == kKey2);
  CHECK(c->api_secret.view() == kSecret2);
  CHECK(c->private_key.view() == kPem);
  REQUIRE(f.http.requests.size() == 1);
  const auto& req = f.http.requests[0];
  CHECK(req.method == "GET");
  CHECK(req.target == "/v1/secret/data/exchanges/binance_spot_main");
  REQUIRE(req.headers.size() == 1);
  CHECK(req.headers[0].first == "X-Vault-Token");
  CHECK(req.body.empty());
}

TEST_CASE("vault: an API key's passphrase is read from the passphrase field when present") {
  testkit::VaultKv2 vault{std::string(kVaultToken)};
  testkit::LoopbackHttpClient<testkit::VaultKv2> http{vault};
  REQUIRE(vault.handle(vault_write("okx_unified_main", {{"api_key", kKey1}, {"api_secret", kSecret1},
                                                        {"passphrase", "TESTPASS-okx-2"}})).status == 200);
  VaultStore store(http, sb(kVaultToken));
  auto c = store.get("okx", "unified", "main");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  CHECK(c->passphrase.view() == "TESTPASS-okx-2");
  VaultFixture f;
  VaultStore plain(f.http, sb(kVaultToken));
  CHECK(plain.get("binance", "spot", "main")->passphrase.empty());
}

TEST_CASE("vault: ?version=N reads an older version; a missing version or name is not found") {
  VaultFixture f;
  VaultStore store(f.http, sb(kVaultToken));
  auto v1 = store.get_version("binance_spot_main", 1);
  REQUIRE(v1.ok());
  CHECK(v1->version == 1);
  CHECK(v1->api_key.view() == kKey1);
  CHECK(v1->private_key.empty());
  CHECK(f.http.requests.back().target == "/v1/secret/data/exchanges/binance_spot_main?version=1");
  const auto v9 = store.get_version("binance_spot_main", 9);
  CHECK(v9.error().code == SecretErrorCode::kNotFound);
  CHECK(v9.error().message == "vault: secret secret/exchanges/binance_spot_main version 9: 404 not found");
  const auto none = store.get("okx", "spot", "main");
  CHECK(none.error().code == SecretErrorCode::kNotFound);
  CHECK(none.error().message == "vault: secret secret/exchanges/okx_spot_main: 404 not found");
}

TEST_CASE("vault: a bad token is a permission error that quotes neither token nor body") {
  VaultFixture f;
  VaultStore store(f.http, sb("hvs.TESTTOKEN-wrong"));
  const auto r = store.get("binance", "spot", "main");
  REQUIRE(!r.ok());
  CHECK(r.error().code == SecretErrorCode::kPermission);
  CHECK(r.error().message ==
        "vault: secret secret/exchanges/binance_spot_main: 403 permission denied (token lacks a policy for it, or is invalid)");
  check_no_secret(r.error().message);
  CHECK(store.list().error().code == SecretErrorCode::kPermission);
}

TEST_CASE("vault: list uses GET ?list=true on the metadata path; an empty folder is an empty list") {
  VaultFixture f;
  VaultStore store(f.http, sb(kVaultToken));
  CHECK(*store.list() == std::vector<std::string>{"binance_spot_main", "binance_usdm_arb-1"});
  CHECK(f.http.requests.back().method == "GET");
  CHECK(f.http.requests.back().target == "/v1/secret/metadata/exchanges?list=true");
  testkit::VaultKv2 empty{std::string(kVaultToken)};
  testkit::LoopbackHttpClient<testkit::VaultKv2> http{empty};
  VaultStore none(http, sb(kVaultToken));
  CHECK(none.list()->empty());
}

TEST_CASE("vault: a response without api_secret names the field and quotes no value") {
  VaultFixture f;
  REQUIRE(f.vault.handle(vault_write("binance_spot_main", {{"api_key", kKey1}})).status == 200);
  VaultStore store(f.http, sb(kVaultToken));
  const auto r = store.get("binance", "spot", "main");
  REQUIRE(!r.ok());
  CHECK(r.error().code == SecretErrorCode::kBadResponse);
  CHECK(r.error().message == "vault: secret secret/exchanges/binance_spot_main: field data.data.api_secret: missing");
}

TEST_CASE("vault: a transport failure is kTransport with the client's message") {
  struct Down final : net::HttpClient {
    Result<net::HttpResponse, net::HttpError> request(const net::HttpRequest&) override {
      return Unexpected(net::HttpError{net::HttpErrorCode::kConnect, "vault.local:8200: connect refused"});
    }
  } down;
  VaultStore store(down, sb(kVaultToken));
  const auto r = store.get("binance", "spot", "main");
  CHECK(r.error().code == SecretErrorCode::kTransport);
  CHECK(r.error().message == "vault: secret secret/exchanges/binance_spot_main: vault.local:8200: connect refused");
}

// ---- oms-keys CLI ----

namespace {

struct Run {
  int status;
  std::string output;  // stdout and stderr
};

Run run(const std::string& args, const std::string& stdin_file = "/dev/null") {
  const fs::path exe = fs::read_symlink("/proc/self/exe").parent_path() / "oms-keys";
  const std::string cmd = exe.string() + " " + args + " <" + stdin_file + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  while (const std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

}  // namespace

TEST_CASE("oms-keys add, list, rotate, remove never print a secret") {
  testkit::TempDir dir;
  const auto file = (dir.path() / "keys.bin").string();
  const auto pass = dir.path() / "pass";
  write_bytes(pass, std::string(kPassphrase) + "\n");
  const auto in1 = dir.path() / "in1";
  write_bytes(in1, std::string(kKey1) + "\n" + std::string(kSecret1) + "\n" + std::string(kPem));
  const auto in2 = dir.path() / "in2";
  write_bytes(in2, std::string(kKey2) + "\n" + std::string(kSecret2) + "\n");
  const std::string common = "--file " + file + " --passphrase-file " + pass.string() + " --scrypt-log2n 10 ";
  const std::string fp1 = fingerprint(sb(kKey1));
  const std::string fp2 = fingerprint(sb(kKey2));
  REQUIRE(fp1.size() == 16);

  auto r = run(common + "add binance_spot_main", in1.string());
  CHECK(r.status == 0);
  CHECK(r.output == "added binance_spot_main  api_key " + fp1 + "\n");
  r = run(common + "add binance_usdm_main", in2.string());
  CHECK(r.status == 0);
  r = run(common + "list");
  CHECK(r.status == 0);
  CHECK(r.output == "binance_spot_main  api_key " + fp1 + "  private_key yes  passphrase no\n" +
                        "binance_usdm_main  api_key " + fp2 + "  private_key no  passphrase no\n");
  r = run(common + "rotate binance_spot_main", in2.string());
  CHECK(r.status == 0);
  CHECK(r.output == "rotated binance_spot_main  api_key " + fp2 + "\n");
  auto store = KeyFileStore::open(file, sb(kPassphrase));
  REQUIRE(store.ok());
  CHECK(store->get("binance_spot_main")->api_secret.view() == kSecret2);
  CHECK(store->get("binance_spot_main")->private_key.empty());
  r = run(common + "add binance_spot_main", in1.string());
  CHECK(r.status == 1);
  CHECK(r.output.find("already exists") != std::string::npos);
  check_no_secret(r.output);
  r = run(common + "remove binance_usdm_main");
  CHECK(r.output == "removed binance_usdm_main\n");

  // Wrong passphrase from the environment: a clear error, no secret.
  ::setenv("OMS_KEYFILE_PASSPHRASE", "wrong-passphrase", 1);
  r = run("--file " + file + " list");
  ::unsetenv("OMS_KEYFILE_PASSPHRASE");
  CHECK(r.status == 1);
  CHECK(r.output == "oms-keys: key file " + file +
                        ": authentication failed: wrong passphrase, or the file was modified (4604)\n");
  check_no_secret(r.output);
}

TEST_CASE("oms-keys add --api-passphrase-file stores the API key's passphrase (0600 file, first line)") {
  testkit::TempDir dir;
  const auto file = (dir.path() / "keys.bin").string();
  const auto pass = dir.path() / "pass";
  write_bytes(pass, std::string(kPassphrase) + "\n");
  const auto api_pass = dir.path() / "api-pass";
  write_bytes(api_pass, "TESTPASS-okx-3\nignored\n");
  const auto in = dir.path() / "in";
  write_bytes(in, std::string(kKey1) + "\n" + std::string(kSecret1) + "\n");
  const std::string common = "--file " + file + " --passphrase-file " + pass.string() + " --scrypt-log2n 10 ";
  auto r = run(common + "add okx_unified_main --api-passphrase-file " + api_pass.string(), in.string());
  CHECK(r.status == 0);
  r = run(common + "list");
  CHECK(r.output == "okx_unified_main  api_key " + fingerprint(sb(kKey1)) + "  private_key no  passphrase yes\n");
  CHECK(r.output.find("TESTPASS") == std::string::npos);
  auto store = KeyFileStore::open(file, sb(kPassphrase));
  REQUIRE(store.ok());
  CHECK(store->get("okx_unified_main")->passphrase.view() == "TESTPASS-okx-3");
  fs::permissions(api_pass, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  r = run(common + "rotate okx_unified_main --api-passphrase-file " + api_pass.string(), in.string());
  CHECK(r.status != 0);
}

TEST_CASE("random_key_text: n characters of [A-Za-z0-9], a new text every call") {
  const auto a = oms::secrets::random_key_text(64);
  const auto b = oms::secrets::random_key_text(64);
  CHECK(a.size() == 64);
  CHECK(oms::secrets::random_key_text(0).empty());
  CHECK(oms::secrets::random_key_text(1000).size() == 1000);
  CHECK(a != b);
  for (const char c : a + b) CHECK(std::isalnum(static_cast<unsigned char>(c)) != 0);
}
