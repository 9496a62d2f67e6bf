// NATS access: the credentials file omsd and the replay tools read, and a nats-server that
// requires that user over TLS (as deploy/run starts it). A client without the credentials --
// a plain nats.c connection, as anyone on the machine could open -- is refused before it can
// publish into an account's stream or delete it.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <future>
#include <string>

#include <nats/nats.h>

#include "oms/persistence/jetstream_store.hpp"
#include "oms/persistence/nats_auth.hpp"
#include "testkit/nats_server.hpp"
#include "testkit/tls_certs.hpp"

using namespace oms;
using namespace oms::persistence;
using namespace std::chrono_literals;

namespace {

constexpr const char* kUser = "omsd";
constexpr const char* kPassword = "3f9c1e7a5b2d4c6e8f0a1b2c";

void write(const std::filesystem::path& p, const std::string& text, ::mode_t mode) {
  std::ofstream(p) << text;
  REQUIRE(::chmod(p.c_str(), mode) == 0);
}

StreamLayout layout() { return StreamLayout({{ExchangeId::kBinance, "main"}}, {ExchangeId::kBinance}); }

// A nats-server requiring kUser/kPassword over TLS (certificates by deploy/gen-certs).
struct SecureServer {
  testkit::TempDir dir{"oms-nats-access"};
  testkit::TlsCerts certs = testkit::make_tls_certs(dir.path() / "tls");
  testkit::NatsServer server{dir.path() / "n1", [this] {
                               testkit::NatsServer::Options o;
                               o.user = kUser;
                               o.password = kPassword;
                               o.tls_cert = certs.cert;
                               o.tls_key = certs.key;
                               o.tls_ca = certs.ca;
                               return o;
                             }()};
  SecureServer() {
    server.start();
    server.wait_jetstream_ready();
  }
  [[nodiscard]] JetStreamOptions options(bool with_user, bool with_ca) const {
    JetStreamOptions o;
    o.servers = {server.url()};
    o.connect_timeout = 3000ms;
    if (with_user) {
      o.user = kUser;
      o.password = kPassword;
    }
    if (with_ca) o.tls_ca = certs.ca.string();
    return o;
  }
};

// What a plain nats.c client gets when it connects with these options.
natsStatus plain_connect(const std::string& url, const char* user, const char* password,
                         const std::filesystem::path& ca, natsConnection** nc) {
  natsOptions* o = nullptr;
  natsStatus s = natsOptions_Create(&o);
  if (s == NATS_OK) s = natsOptions_SetURL(o, url.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(o, 3000);
  if (s == NATS_OK && user != nullptr) s = natsOptions_SetUserInfo(o, user, password);
  if (s == NATS_OK && !ca.empty()) {
    s = natsOptions_SetSecure(o, true);
    if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(o, ca.c_str());
  }
  if (s == NATS_OK) s = natsConnection_Connect(nc, o);
  natsOptions_Destroy(o);
  return s;
}

}  // namespace

TEST_CASE("the credentials file: fields checked and named, owner-only mode") {
  CHECK(parse_nats_auth(R"({"user":"omsd","password":"3f9c1e7a5b2d4c6e"})", "f").ok());
  const auto error = [](std::string_view text) {
    auto r = parse_nats_auth(text, "run/nats-auth.json");
    REQUIRE_FALSE(r.ok());
    return r.error();
  };
  CHECK(error("{") == "run/nats-auth.json: not JSON");
  CHECK(error("[]") == "run/nats-auth.json: not a JSON object");
  CHECK(error(R"({"user":"omsd"})") == "run/nats-auth.json: password: missing");
  CHECK(error(R"({"password":"3f9c1e7a5b2d4c6e"})") == "run/nats-auth.json: user: missing");
  CHECK(error(R"({"user":"","password":"3f9c1e7a5b2d4c6e"})") == "run/nats-auth.json: user: empty");
  CHECK(error(R"({"user":7,"password":"3f9c1e7a5b2d4c6e"})") == "run/nats-auth.json: user: not a string");
  CHECK(error(R"({"user":"omsd","password":"short"})") ==
        "run/nats-auth.json: password: shorter than 16 characters");
  CHECK(error(R"({"user":"om sd","password":"3f9c1e7a5b2d4c6e"})") ==
        "run/nats-auth.json: user: holds a space or a control character");
  CHECK(error(R"({"user":"omsd","password":"3f9c1e7a5b2d4c6e","token":"x"})") ==
        "run/nats-auth.json: 'token': unknown field");

  testkit::TempDir dir("oms-nats-auth");
  const auto file = dir.path() / "nats-auth.json";
  write(file, R"({"user":"omsd","password":"3f9c1e7a5b2d4c6e"})", 0644);
  auto open = load_nats_auth(file);
  REQUIRE_FALSE(open.ok());
  CHECK(open.error() == file.string() + ": mode 0644, must be 0600 (it holds the NATS password: chmod 600 " +
                            file.string() + ")");
  REQUIRE(::chmod(file.c_str(), 0600) == 0);
  auto read = load_nats_auth(file);
  REQUIRE(read.ok());
  CHECK(read->user == "omsd");
  CHECK(read->password == "3f9c1e7a5b2d4c6e");
  CHECK_FALSE(load_nats_auth(dir.path() / "absent.json").ok());

  JetStreamOptions o;
  REQUIRE(apply_nats_access(o, file, {}).ok());
  CHECK(o.user == "omsd");
  CHECK(o.tls_ca.empty());
  const auto no_ca = apply_nats_access(o, {}, dir.path() / "absent-ca.pem");
  REQUIRE_FALSE(no_ca.ok());
  CHECK(no_ca.error().find("absent-ca.pem: not a readable file") != std::string::npos);
}

TEST_CASE("a server requiring a user over TLS: the store with the credentials and the CA works, no one else gets in") {
  SecureServer s;
  CHECK(s.server.url().starts_with("tls://"));

  // omsd's store with both: streams provisioned, an event stored and read back.
  {
    auto store = JetStreamStore::open(layout(), s.options(true, true));
    REQUIRE_MESSAGE(store.ok(), (store.ok() ? std::string() : store.error().message));
    AppendRecord r;
    r.subject = "orders.binance.main.spot.BTC-USDT";
    r.msg_id = 42;
    r.time = 1723161600000000000;
    r.payload = R"({"type":"OrderAccepted"})";
    std::promise<Result<std::uint64_t, StoreError>> acked;
    (*store)->append(std::move(r), [&](const Result<std::uint64_t, StoreError>& x) { acked.set_value(x); });
    auto f = acked.get_future();
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    const auto seq = f.get();
    REQUIRE(seq.ok());
    CHECK(*seq == 1);
  }
  // The store without the user, and with the user but without the CA (the server's certificate
  // does not chain to the system's trust store): refused, nothing opened.
  {
    auto no_user = JetStreamStore::open(layout(), s.options(false, true));
    REQUIRE_FALSE(no_user.ok());
    CHECK(no_user.error().code == StoreErrorCode::kUnavailable);
    CHECK(no_user.error().message.find("cannot connect to " + s.server.url()) == 0);
    auto no_ca = JetStreamStore::open(layout(), s.options(true, false));
    REQUIRE_FALSE(no_ca.ok());
    CHECK(no_ca.error().code == StoreErrorCode::kUnavailable);
    CHECK(no_user.error().message.find("Authorization Violation") != std::string::npos);
    CHECK(no_ca.error().message.find("unable to get local issuer certificate") != std::string::npos);
  }
  // A plain nats.c client: without credentials, with a wrong password, or with the right ones
  // over plain TCP -- refused at the connection, so it can neither publish into the account's
  // stream nor call the JetStream API that deletes it.
  natsConnection* nc = nullptr;
  CHECK(plain_connect(s.server.url(), nullptr, nullptr, s.certs.ca, &nc) == NATS_CONNECTION_AUTH_FAILED);
  CHECK(nc == nullptr);
  CHECK(plain_connect(s.server.url(), kUser, "not-the-password-0000", s.certs.ca, &nc) == NATS_CONNECTION_AUTH_FAILED);
  CHECK(nc == nullptr);
  const std::string plain_url = "nats://127.0.0.1:" + std::to_string(s.server.port());
  // (nats.c follows the server's tls_required into a handshake it cannot verify)
  CHECK(plain_connect(plain_url, kUser, kPassword, {}, &nc) == NATS_SSL_ERROR);
  CHECK(nc == nullptr);

  // With the credentials a client gets in (the check above is not refusing everyone), and the
  // event stored above is still the stream's one record.
  REQUIRE(plain_connect(s.server.url(), kUser, kPassword, s.certs.ca, &nc) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  jsStreamInfo* info = nullptr;
  jsErrCode err{};
  REQUIRE(js_GetStreamInfo(&info, js, "ACCOUNT_binance_main", nullptr, &err) == NATS_OK);
  CHECK(info->State.Msgs == 1);
  jsStreamInfo_Destroy(info);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}
