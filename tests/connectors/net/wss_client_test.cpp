// Pins WssClient against HttpsServer's WebSocket side over loopback TLS: echo, pings both ways,
// reconnect with seeded backoff and the resubscribe hook after a server drop, clean stop.
#include "oms/connectors/net/wss_client.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <pthread.h>

#include "net_test_util.hpp"
#include "oms/connectors/net/backoff.hpp"
#include "oms/connectors/net/https_server.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/tls_certs.hpp"

namespace oms::net {
namespace {
using namespace std::chrono_literals;
using test::Collector;
using test::wait_until;

struct WsFixture {
  testkit::TempDir tmp{"oms-wss"};
  testkit::TlsCerts certs = testkit::make_tls_certs(tmp.path() / "certs");
  Collector server_got;  // texts the server received ("<session id>:<text>")
  Collector server_pongs;
  Collector server_closed;
  std::mutex m;
  std::vector<std::shared_ptr<WsSession>> sessions;  // guarded by m
  HttpsServer server;

  WsFixture()
      : server(
            HttpsServerConfig{
                "127.0.0.1", 0, {certs.cert.string(), certs.key.string()}, 2, 30s, 10s},
            [](const HttpRequest&) {
              return HttpResponse{404, {}, "rest not served here"};
            }) {
    WsHandler h;
    h.on_open = [this](const std::shared_ptr<WsSession>& s) {
      std::lock_guard lock(m);
      sessions.push_back(s);
    };
    h.on_text = [this](WsSession& s, std::string_view text) {
      server_got.push(std::to_string(s.id()) + ":" + std::string(text));
      if (text.rfind("echo ", 0) == 0) s.send(std::string(text.substr(5)));
    };
    h.on_pong = [this](WsSession&, std::string_view p) { server_pongs.push(std::string(p)); };
    h.on_close = [this](WsSession& s) { server_closed.push(std::to_string(s.id())); };
    server.add_websocket("/ws", h);
    server.start();
  }

  std::shared_ptr<WsSession> session(std::size_t i) {
    std::lock_guard lock(m);
    return i < sessions.size() ? sessions[i] : nullptr;
  }

  WssConfig client_config() const {
    WssConfig c;
    c.host = "127.0.0.1";
    c.port = server.port();
    c.target = "/ws?streams=btcusdt@depth";
    c.tls.ca_file = certs.ca.string();
    c.connect_timeout = 5s;
    c.backoff_initial = 40ms;
    c.backoff_max = 400ms;
    c.backoff_seed = 42;
    return c;
  }
};

}  // namespace

TEST_CASE("wss echo: messages both ways, the open hook runs once, stop closes cleanly") {
  WsFixture f;
  Collector got;
  Collector opens;
  std::atomic<bool> padding_ok{true};
  WssHandlers h;
  h.on_message = [&](std::string_view msg) {
    // The promised padding is readable memory (ASan checks the reads).
    volatile char sink = 0;
    for (std::size_t i = 0; i < kWssMessagePadding; ++i)
      sink = static_cast<char>(sink ^ msg.data()[msg.size() + i]);
    got.push(std::string(msg));
  };
  h.on_open = [&](bool reconnect) { opens.push(reconnect ? "reconnect" : "first"); };
  WssClient client(f.client_config(), h);
  client.start();
  REQUIRE(opens.wait_for_count(1));
  CHECK(client.send("echo hello"));
  CHECK(client.send("echo {\"e\":\"depthUpdate\"}"));
  REQUIRE(got.wait_for_count(2));
  CHECK(got.items() == std::vector<std::string>{"hello", "{\"e\":\"depthUpdate\"}"});
  CHECK(f.session(0)->target() == "/ws?streams=btcusdt@depth");

  f.session(0)->send("pushed from the server");
  REQUIRE(got.wait_for_count(3));
  CHECK(got.items()[2] == "pushed from the server");

  client.stop();
  REQUIRE(f.server_closed.wait_for_count(1));
  CHECK(f.server_closed.items() == std::vector<std::string>{"1"});
  CHECK(opens.items() == std::vector<std::string>{"first"});
  CHECK_FALSE(client.is_open());
  CHECK_FALSE(client.send("after stop"));
  CHECK(client.connects() == 1);
  CHECK(padding_ok);
}

TEST_CASE("upgrade headers: asked at every connect, the server sees them on the session") {
  WsFixture f;
  Collector opens;
  int asked = 0;
  WssHandlers h;
  h.on_open = [&](bool) { opens.push("open"); };
  auto cfg = f.client_config();
  cfg.upgrade_headers = [&asked] {
    ++asked;
    return std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer token-" + std::to_string(asked)}};
  };
  WssClient client(cfg, h);
  client.start();
  REQUIRE(opens.wait_for_count(1));
  // The client may see its upgrade answered before the server's side has listed the session.
  REQUIRE(wait_until([&] { return f.session(0) != nullptr; }));
  const std::string* auth = f.session(0)->header("authorization");  // names are case-insensitive
  REQUIRE(auth != nullptr);
  CHECK(*auth == "Bearer token-1");
  CHECK(f.session(0)->header("X-Absent") == nullptr);
  f.session(0)->drop();  // a reconnect asks again: a fresh token
  REQUIRE(opens.wait_for_count(2));
  REQUIRE(wait_until([&] { return f.session(1) != nullptr; }));
  CHECK(*f.session(1)->header("Authorization") == "Bearer token-2");
  client.stop();
}

TEST_CASE("a server ping is answered with a pong carrying its payload") {
  WsFixture f;
  Collector opens;
  WssHandlers h;
  h.on_open = [&](bool) { opens.push("open"); };
  WssClient client(f.client_config(), h);
  client.start();
  REQUIRE(opens.wait_for_count(1));
  REQUIRE(wait_until([&] { return f.session(0) != nullptr; }));
  f.session(0)->ping("are-you-there");
  REQUIRE(f.server_pongs.wait_for_count(1));
  CHECK(f.server_pongs.items()[0] == "are-you-there");
}

TEST_CASE("the client pings on its interval and sees the pongs") {
  WsFixture f;
  Collector pongs;
  WssHandlers h;
  h.on_pong = [&](std::string_view p) { pongs.push(std::string(p)); };
  auto cfg = f.client_config();
  cfg.ping_interval = 30ms;
  cfg.pong_timeout = 2s;
  WssClient client(cfg, h);
  client.start();
  REQUIRE(pongs.wait_for_count(3));
  const auto items = pongs.items();
  CHECK(items[0] == "1");
  CHECK(items[1] == "2");
  CHECK(items[2] == "3");
  CHECK(client.connects() == 1);  // pongs arrived in time: never dropped
}

TEST_CASE("after a server drop the client reconnects with the seeded backoff and resubscribes") {
  WsFixture f;
  Collector opens;
  Collector disconnects;
  std::vector<WssDisconnect> reports;
  std::mutex rm;
  WssClient* self = nullptr;
  WssHandlers h;
  h.on_open = [&](bool reconnect) {
    opens.push(reconnect ? "reconnect" : "first");
    CHECK(self->send("subscribe btcusdt@depth"));  // the resubscribe hook sends from the I/O thread
  };
  h.on_disconnected = [&](const WssDisconnect& d) {
    {
      std::lock_guard lock(rm);
      reports.push_back(d);
    }
    disconnects.push(d.reason);
  };
  WssClient client(f.client_config(), h);
  self = &client;
  client.start();
  REQUIRE(f.server_got.wait_for_count(1));
  CHECK(f.server_got.items()[0] == "1:subscribe btcusdt@depth");

  f.session(0)->drop();  // abrupt TCP reset
  REQUIRE(disconnects.wait_for_count(1));
  REQUIRE(opens.wait_for_count(2));
  REQUIRE(f.server_got.wait_for_count(2));
  CHECK(f.server_got.items()[1] == "2:subscribe btcusdt@depth");
  CHECK(opens.items() == std::vector<std::string>{"first", "reconnect"});
  CHECK(client.connects() == 2);

  Backoff expected(40ms, 400ms, 42);
  std::lock_guard lock(rm);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].was_open);
  CHECK(reports[0].attempt == 1);
  CHECK(reports[0].retry_in == expected.next());
  CHECK(reports[0].reason.find("wss 127.0.0.1:" + std::to_string(f.server.port()) + "/ws") == 0);
}

TEST_CASE("with no server the client keeps retrying with growing delays until stopped") {
  testkit::TempDir tmp{"oms-wss-down"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  std::uint16_t port = 0;
  {
    HttpsServer s(
        HttpsServerConfig{"127.0.0.1", 0, {certs.cert.string(), certs.key.string()}, 1, 30s, 10s},
        [](const HttpRequest&) {
          return HttpResponse{200, {}, ""};
        });
    s.start();
    port = s.port();
  }
  std::mutex rm;
  std::vector<WssDisconnect> reports;
  Collector n;
  WssConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.port = port;
  cfg.target = "/ws";
  cfg.tls.ca_file = certs.ca.string();
  cfg.backoff_initial = 10ms;
  cfg.backoff_max = 80ms;
  cfg.backoff_seed = 9;
  WssHandlers h;
  h.on_disconnected = [&](const WssDisconnect& d) {
    {
      std::lock_guard lock(rm);
      reports.push_back(d);
    }
    n.push(d.reason);
  };
  WssClient client(cfg, h);
  client.start();
  REQUIRE(n.wait_for_count(4));
  client.stop();
  std::lock_guard lock(rm);
  Backoff expected(10ms, 80ms, 9);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK_FALSE(reports[i].was_open);
    CHECK(reports[i].attempt == i + 1);
    CHECK(reports[i].retry_in == expected.next());
    CHECK(reports[i].reason.find("connect: ") != std::string::npos);
  }
  CHECK(client.connects() == 0);
}

TEST_CASE("a wss client that does not trust the server's CA never opens") {
  WsFixture f;
  testkit::TempDir other{"oms-wss-ca"};
  const auto other_certs = testkit::make_tls_certs(other.path() / "certs");
  Collector n;
  auto cfg = f.client_config();
  cfg.tls.ca_file = other_certs.ca.string();
  WssHandlers h;
  h.on_disconnected = [&](const WssDisconnect& d) { n.push(d.reason); };
  std::atomic<int> opened{0};
  h.on_open = [&](bool) { ++opened; };
  WssClient client(cfg, h);
  client.start();
  REQUIRE(n.wait_for_count(1));
  client.stop();
  CHECK(n.items()[0].find("certificate verify failed") != std::string::npos);
  CHECK(opened == 0);
}

}  // namespace oms::net

namespace oms::net {

TEST_CASE("a server that stops answering pings is dropped after pong_timeout and reconnected") {
  // The server's on_text for "stall" blocks its session (bounded), so it reads nothing and
  // cannot answer our pings; the other server thread keeps accepting.
  std::promise<void> release;
  auto released = release.get_future().share();
  WsHandler stall;
  stall.on_text = [released](WsSession&, std::string_view) { (void)released.wait_for(5s); };
  testkit::TempDir tmp{"oms-wss-stall"};
  const auto certs = testkit::make_tls_certs(tmp.path() / "certs");
  HttpsServer server(
      HttpsServerConfig{"127.0.0.1", 0, {certs.cert.string(), certs.key.string()}, 2, 30s, 10s},
      [](const HttpRequest&) {
        return HttpResponse{404, {}, ""};
      });
  server.add_websocket("/ws", stall);
  server.start();

  WssConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.port = server.port();
  cfg.target = "/ws";
  cfg.tls.ca_file = certs.ca.string();
  cfg.ping_interval = 30ms;
  cfg.pong_timeout = 150ms;
  cfg.backoff_initial = 10ms;
  cfg.backoff_max = 10ms;
  Collector disconnects;
  Collector opens;
  WssClient* self = nullptr;
  WssHandlers h;
  h.on_open = [&](bool reconnect) {
    opens.push(reconnect ? "reconnect" : "first");
    if (!reconnect) CHECK(self->send("stall"));
  };
  h.on_disconnected = [&](const WssDisconnect& d) { disconnects.push(d.reason); };
  WssClient client(cfg, h);
  self = &client;
  client.start();
  REQUIRE(disconnects.wait_for_count(1));
  CHECK(disconnects.items()[0].find("no pong within 150 ms") != std::string::npos);
  REQUIRE(opens.wait_for_count(2));
  CHECK(opens.items()[1] == "reconnect");
  release.set_value();
  client.stop();
}

}  // namespace oms::net

namespace oms::net {

TEST_CASE("clients on one shared IoThread: each gets its own messages on that one thread; one stops, the others go on; none calls back after its stop") {
  using namespace std::chrono_literals;
  WsFixture f;
  constexpr int kClients = 8;
  std::mutex m;
  std::set<std::thread::id> threads;  // guarded by m
  std::vector<std::unique_ptr<Collector>> got;
  std::vector<std::unique_ptr<WssClient>> clients;
  std::atomic<int> after_stop{0};
  std::atomic<bool> stopped0{false};
  std::string name;
  {
    IoThread io("oms-test-io");
    for (int i = 0; i < kClients; ++i) {
      got.push_back(std::make_unique<Collector>());
      WssHandlers h;
      h.on_message = [&, i](std::string_view msg) {
        {
          std::lock_guard lock(m);
          threads.insert(std::this_thread::get_id());
          if (name.empty()) {
            char buf[16] = {};
            pthread_getname_np(pthread_self(), buf, sizeof buf);
            name = buf;
          }
        }
        if (i == 0 && stopped0) ++after_stop;
        got[static_cast<std::size_t>(i)]->push(std::string(msg));
      };
      auto c = f.client_config();
      c.target = "/ws?client=" + std::to_string(i);
      clients.push_back(std::make_unique<WssClient>(c, h, &io));
      clients.back()->start();
    }
    REQUIRE(wait_until([&] {
      return std::all_of(clients.begin(), clients.end(), [](const auto& c) { return c->is_open(); });
    }));
    for (int i = 0; i < kClients; ++i) {
      REQUIRE(clients[static_cast<std::size_t>(i)]->send("echo to " + std::to_string(i)));
    }
    for (int i = 0; i < kClients; ++i) {
      REQUIRE(got[static_cast<std::size_t>(i)]->wait_for_count(1));
      CHECK(got[static_cast<std::size_t>(i)]->items() ==
            std::vector<std::string>{"to " + std::to_string(i)});
    }
    {
      std::lock_guard lock(m);
      CHECK(threads.size() == 1);  // every callback of every client on the one thread
      CHECK(threads.count(std::this_thread::get_id()) == 0);
      CHECK(name == "oms-test-io");
    }
    // The server pushes to everyone while client 0 stops: nothing reaches 0 after its stop().
    for (std::size_t s = 0; s < kClients; ++s) {
      if (auto session = f.session(s)) session->send("burst");
    }
    clients[0]->stop();
    stopped0 = true;
    CHECK_FALSE(clients[0]->is_open());
    for (std::size_t s = 0; s < kClients; ++s) {
      if (auto session = f.session(s)) session->send("again");
    }
    for (int i = 1; i < kClients; ++i) {
      REQUIRE(got[static_cast<std::size_t>(i)]->wait_for_count(3));
    }
    REQUIRE(clients[1]->send("echo still here"));
    REQUIRE(got[1]->wait_for_count(4));
    CHECK(got[1]->items().back() == "still here");
    clients.clear();  // the others stop; then the IoThread ends
  }
  CHECK(after_stop == 0);
  REQUIRE(f.server_closed.wait_for_count(kClients));
}

}  // namespace oms::net
