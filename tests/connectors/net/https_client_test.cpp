// Pins HttpsClient / HttpsPool / HttpsServer over real loopback TLS with deploy/gen-certs
// certificates: keep-alive, headers, statuses, timeouts, certificate and host-name checks, and
// the retry rule (only a request that cannot have reached the server is re-sent).
#include "oms/connectors/net/https_client.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>
#include <tuple>

#include "net_test_util.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

namespace oms::net {
namespace {
using namespace std::chrono_literals;
using test::wait_until;

HttpsServerConfig server_config(const testkit::TlsCerts& certs) {
  HttpsServerConfig cfg;
  cfg.tls = {certs.cert.string(), certs.key.string()};
  cfg.threads = 2;
  return cfg;
}

// Echoes method, target, body and two request headers; sends Binance's weight headers.
HttpResponse echo(const HttpRequest& req) {
  HttpResponse res;
  res.status = 200;
  res.headers = {{"X-MBX-USED-WEIGHT-1M", "7"},
                 {"X-MBX-ORDER-COUNT-10S", "2"},
                 {"Content-Type", "text/plain"}};
  std::string host;
  std::string length;
  for (const auto& [k, v] : req.headers) {
    if (k == "Host") host = v;
    if (k == "Content-Length") length = v;
  }
  res.body =
      req.method + " " + req.target + " host=" + host + " len=" + length + " body=" + req.body;
  return res;
}

struct Fixture {
  testkit::TempDir tmp{"oms-net"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  TlsClientConfig trust{certs.ca.string()};
};

// An echo server that closes a connection idle for 100 ms and counts the requests it handled,
// and a client of it.
struct IdleClosing : Fixture {
  std::atomic<int> calls{0};
  HttpsServer server{idle_closing(certs), [this](const HttpRequest& req) {
                       ++calls;
                       return echo(req);
                     }};
  HttpsClient client;
  IdleClosing() : client(started(), trust) {}
  Origin started() {
    server.start();
    return {"127.0.0.1", server.port()};
  }
  static HttpsServerConfig idle_closing(const testkit::TlsCerts& certs) {
    auto cfg = server_config(certs);
    cfg.idle_timeout = std::chrono::milliseconds(100);
    return cfg;
  }
};

}  // namespace

TEST_CASE("GET and POST share one keep-alive connection and response headers are readable") {
  Fixture f;
  HttpsServer server(server_config(f.certs), echo);
  server.start();
  HttpsClient client({"127.0.0.1", server.port()}, f.trust);

  const auto get = client.request({"GET", "/api/v3/time?x=1", {}, "", 5s});
  REQUIRE(get.ok());
  CHECK(get->status == 200);
  CHECK(get->body ==
        "GET /api/v3/time?x=1 host=127.0.0.1:" + std::to_string(server.port()) + " len= body=");
  REQUIRE(get->header("x-mbx-used-weight-1m") != nullptr);
  CHECK(*get->header("x-mbx-used-weight-1m") == "7");
  CHECK(*get->header("X-MBX-ORDER-COUNT-10S") == "2");

  const auto post =
      client.request({"POST", "/api/v3/order", {{"X-MBX-APIKEY", "k"}}, "symbol=BTCUSDT", 5s});
  REQUIRE(post.ok());
  CHECK(post->body == "POST /api/v3/order host=127.0.0.1:" + std::to_string(server.port()) +
                          " len=14 body=symbol=BTCUSDT");
  for (int i = 0; i < 5; ++i) REQUIRE(client.request({"GET", "/ping", {}, "", 5s}).ok());

  CHECK(client.connections_opened() == 1);
  CHECK(server.accepted_connections() == 1);
}

TEST_CASE("a DNS host name verified against the certificate's DNS SAN works (localhost)") {
  Fixture f;
  HttpsServer server(server_config(f.certs), echo);
  server.start();
  HttpsClient client({"localhost", server.port()}, f.trust);
  const auto r = client.request({"GET", "/x", {}, "", 5s});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->status == 200);
}

TEST_CASE("4xx and 5xx are responses with their headers, not transport errors") {
  Fixture f;
  HttpsServer server(server_config(f.certs), [](const HttpRequest& req) {
    if (req.target == "/teapot")
      return HttpResponse{418, {{"Retry-After", "120"}}, R"({"code":-1003})"};
    return HttpResponse{503, {}, "busy"};
  });
  server.start();
  HttpsClient client({"127.0.0.1", server.port()}, f.trust);
  const auto a = client.request({"GET", "/teapot", {}, "", 5s});
  REQUIRE(a.ok());
  CHECK(a->status == 418);
  CHECK(*a->header("retry-after") == "120");
  CHECK(a->body == R"({"code":-1003})");
  const auto b = client.request({"DELETE", "/x", {}, "", 5s});
  REQUIRE(b.ok());
  CHECK(b->status == 503);
  CHECK(b->body == "busy");
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("a request without a response in time returns kTimeout within the bound") {
  Fixture f;
  std::promise<void> release;
  auto released = release.get_future().share();
  HttpsServer server(server_config(f.certs), [released](const HttpRequest&) {
    (void)released.wait_for(5s);  // bounded: the test releases it right after the timeout
    return HttpResponse{200, {}, "late"};
  });
  server.start();
  HttpsClient client({"127.0.0.1", server.port()}, f.trust);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = client.request({"GET", "/slow", {}, "", 300ms});
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  release.set_value();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == HttpErrorCode::kTimeout);
  CHECK(r.error().message.find("/slow") != std::string::npos);
  CHECK(elapsed >= 300ms);
  CHECK(elapsed < 2000ms);
  // The connection is gone with the timeout; the next request opens a new one.
  const auto again = client.request({"GET", "/after", {}, "", 5s});
  REQUIRE(again.ok());
  CHECK(again->body == "late");
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("a server certificate from a CA we do not trust fails with kTls") {
  Fixture f;
  const auto other = testkit::make_tls_certs(f.tmp.path() / "other-ca");
  HttpsServer server(server_config(f.certs), echo);
  server.start();
  HttpsClient client({"127.0.0.1", server.port()}, TlsClientConfig{other.ca.string()});
  const auto r = client.request({"GET", "/", {}, "", 5s});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == HttpErrorCode::kTls);
  CHECK(r.error().message.find("certificate verify failed") != std::string::npos);
  CHECK(server.accepted_connections() == 1);
}

TEST_CASE("a trusted certificate for another host name fails with kTls") {
  Fixture f;
  const auto wrong_name =
      testkit::make_tls_certs(f.tmp.path() / "wrong-name", {"DNS:other.example"});
  HttpsServer server(server_config(wrong_name), echo);
  server.start();
  HttpsClient by_ip({"127.0.0.1", server.port()}, TlsClientConfig{wrong_name.ca.string()});
  const auto r = by_ip.request({"GET", "/", {}, "", 5s});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == HttpErrorCode::kTls);
  CHECK(r.error().message.find("mismatch") != std::string::npos);
  HttpsClient by_name({"localhost", server.port()}, TlsClientConfig{wrong_name.ca.string()});
  const auto r2 = by_name.request({"GET", "/", {}, "", 5s});
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().code == HttpErrorCode::kTls);
}

TEST_CASE("an unreadable CA file is refused at construction, naming the file") {
  Fixture f;
  const auto missing = (f.tmp.path() / "nope.pem").string();
  CHECK_THROWS_WITH_AS(HttpsClient({"127.0.0.1", 1}, TlsClientConfig{missing}),
                       doctest::Contains(missing.c_str()), std::runtime_error);
}

TEST_CASE("an idle connection the server closed is replaced before the next request is sent") {
  IdleClosing t;
  auto [server, calls, client] = std::tie(t.server, t.calls, t.client);  // references
  REQUIRE(client.request({"GET", "/one", {}, "", 5s}).ok());
  REQUIRE(wait_until([&] { return server.closed_connections() == 1; }));
  const auto r = client.request({"POST", "/two", {}, "b", 5s});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->status == 200);
  CHECK(calls == 2);  // each request reached the handler exactly once
  CHECK(client.connections_opened() == 2);
  CHECK(server.accepted_connections() == 2);
}

TEST_CASE("a request the server may have executed is not re-sent: a lost response gives kClosed") {
  Fixture f;
  std::atomic<int> calls{0};
  HttpsServer server(server_config(f.certs), [&](const HttpRequest& req) {
    ++calls;
    if (req.target == "/lost") return HttpResponse{};  // status 0: drop without answering
    return echo(req);
  });
  server.start();
  HttpsClient client({"127.0.0.1", server.port()}, f.trust);
  REQUIRE(client.request({"GET", "/warm", {}, "", 5s}).ok());
  const auto r = client.request({"POST", "/lost", {}, "order", 5s});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == HttpErrorCode::kClosed);
  CHECK(calls == 2);  // not retried
  REQUIRE(client.request({"GET", "/next", {}, "", 5s}).ok());
  CHECK(calls == 3);
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("connecting to a closed port gives kConnect; a malformed request gives kBadRequest") {
  Fixture f;
  std::uint16_t port = 0;
  {
    HttpsServer server(server_config(f.certs), echo);
    server.start();
    port = server.port();
  }
  HttpsClient client({"127.0.0.1", port}, f.trust);
  const auto r = client.request({"GET", "/", {}, "", 5s});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == HttpErrorCode::kConnect);
  CHECK(r.error().message.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  const auto bad = client.request({"", "/", {}, "", 5s});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == HttpErrorCode::kBadRequest);
  const auto bad_target = client.request({"GET", "http://x/", {}, "", 5s});
  REQUIRE_FALSE(bad_target.ok());
  CHECK(bad_target.error().code == HttpErrorCode::kBadRequest);
}

TEST_CASE("HttpsPool leases each client to one holder and reuses their connections") {
  Fixture f;
  HttpsServer server(server_config(f.certs), echo);
  server.start();
  HttpsPool pool({"127.0.0.1", server.port()}, f.trust, 2);
  {
    auto a = pool.try_lease();
    auto b = pool.try_lease();
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    CHECK(&**a != &**b);
    CHECK_FALSE(pool.try_lease().has_value());
    CHECK_FALSE(pool.lease(20ms).has_value());
    CHECK(pool.available() == 0);
  }
  CHECK(pool.available() == 2);

  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto lease = pool.lease(5s);
        if (!lease) continue;
        if (auto r = (*lease)->request({"GET", "/p", {}, "", 5s}); r.ok() && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 40);
  CHECK(server.accepted_connections() <= 2);
}

TEST_CASE("write_request never connects; on an open connection it writes and read_response answers it") {
  IdleClosing t;
  auto [server, calls, client] = std::tie(t.server, t.calls, t.client);  // references

  // No connection yet: nothing written, nothing opened, the caller sends it the usual way.
  CHECK_FALSE(client.connected());
  const auto cold = client.write_request({"POST", "/api/v3/order", {}, "a=1", 5s});
  REQUIRE_FALSE(cold.ok());
  CHECK(cold.error().code == HttpErrorCode::kNotConnected);
  CHECK(client.connections_opened() == 0);
  CHECK(calls == 0);
  // No request written: nothing to read.
  const auto nothing = client.read_response();
  REQUIRE_FALSE(nothing.ok());
  CHECK(nothing.error().code == HttpErrorCode::kBadRequest);

  REQUIRE(client.request({"GET", "/warm", {}, "", 5s}).ok());
  CHECK(client.connected());
  std::int64_t handed = 0;
  HttpRequest order{"POST", "/api/v3/order", {{"X-MBX-APIKEY", "k"}}, "symbol=BTCUSDT", 5s};
  order.handed_to_socket_ns = &handed;
  REQUIRE(client.write_request(order).ok());
  CHECK(handed > 0);
  const auto answer = client.read_response();
  REQUIRE_MESSAGE(answer.ok(), (answer.ok() ? "" : answer.error().message));
  CHECK(answer->body == "POST /api/v3/order host=127.0.0.1:" + std::to_string(server.port()) +
                            " len=14 body=symbol=BTCUSDT");
  CHECK(calls == 2);
  CHECK(client.connections_opened() == 1);  // the same keep-alive connection

  // The server closed the idle connection: write_request sees it and writes nothing.
  REQUIRE(wait_until([&] { return server.closed_connections() == 1; }));
  const auto closed = client.write_request({"POST", "/api/v3/order", {}, "b=2", 5s});
  REQUIRE_FALSE(closed.ok());
  CHECK(closed.error().code == HttpErrorCode::kNotConnected);
  CHECK(calls == 2);
  CHECK_FALSE(client.connected());
}

}  // namespace oms::net
