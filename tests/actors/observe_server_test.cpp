// Pins net::HttpServer and ObservabilityServer over a real loopback socket (port 0) with a raw
// POSIX client, so the exact bytes on the wire are ours: routes and statuses, HEAD, keep-alive,
// 413 for an oversized request, 500 for a throwing handler, 405, and the header deadline.
// Every read is bounded by SO_RCVTIMEO (5 s).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <utility>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <mutex>
#include <string>

#include "oms/actors/observe/observability_server.hpp"
#include "oms/connectors/net/http_server.hpp"

namespace oms::observe {
namespace {
using namespace std::chrono_literals;

struct Reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends what it can (the server may close early on an oversized request).
  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // One response; nullopt on EOF, timeout or garbage. head: no body follows the headers.
  std::optional<Reply> read_reply(bool head = false) {
    std::size_t end = 0;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return std::nullopt;
    Reply r;
    const std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::size_t pos = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, pos);
    if (status_line.size() < 12 || status_line.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    r.status = static_cast<unsigned>(std::stoul(status_line.substr(9, 3)));
    while (pos != std::string::npos) {
      const auto next = head_text.find("\r\n", pos + 2);
      const auto line =
          head_text.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
      const auto colon = line.find(':');
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      pos = next;
    }
    const std::size_t length = std::stoul(r.headers.at("content-length"));
    if (head) return r;
    while (buf_.size() < length)
      if (!fill()) return std::nullopt;
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  // What is left until the server closes (or the receive timeout).
  std::string read_rest() {
    while (fill()) {
    }
    return std::exchange(buf_, std::string());
  }

  // True when the server closed the connection (EOF) within the receive timeout.
  bool closed_by_server() {
    char c;
    return buf_.empty() && ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool fill() {
    char tmp[4096];
    const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buf_;
};

std::string get(std::string_view target, std::string_view method = "GET",
                std::string_view extra = "") {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         std::string(extra) + "\r\n";
}

struct ObsFixture {
  std::int64_t now = 1'000'000'000'000'000;
  Metrics metrics;
  HealthBoard board{[this] { return now; }};
  ObservabilityServer server{net::HttpServerConfig{}, metrics, board};
  ObsFixture() {
    metrics.counter("oms_orders_sent_total", "Orders sent", {{"exchange", "binance"}}).inc(5);
    auto& a = board.account("binance", "main");
    a.set_connected(true);
    a.mark_market_data();
    board.component("store", [] { return ComponentHealth{HealthStatus::kOk, "open"}; });
    server.start();
  }
};

}  // namespace

TEST_CASE("observability routes: /metrics, /health, one account, unknown account, 404, /") {
  ObsFixture f;
  REQUIRE(f.server.port() != 0);
  Client c(f.server.port());

  c.send(get("/metrics"));
  auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r->body ==
        "# HELP oms_orders_sent_total Orders sent\n# TYPE oms_orders_sent_total counter\n"
        "oms_orders_sent_total{exchange=\"binance\"} 5\n");

  c.send(get("/health"));
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->headers["content-type"] == "application/json");
  auto j = nlohmann::json::parse(r->body);
  CHECK(j["status"] == "ok");
  CHECK(j["accounts"][0]["account"] == "main");
  CHECK(j["components"]["store"]["detail"] == "open");

  c.send(get("/health/binance/main"));
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 200);
  j = nlohmann::json::parse(r->body);
  CHECK(j["exchange"] == "binance");
  CHECK(j["status"] == "ok");
  CHECK(j["last_market_data_age_ms"] == 0);

  c.send(get("/health/binance/ghost"));
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(r->body == R"({"error":"unknown account binance/ghost"})");

  c.send(get("/health/binance"));
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(r->body == R"({"error":"want /health/{exchange}/{account}, got /health/binance"})");

  c.send(get("/nope?x=1"));
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(r->body == "no such path: /nope\n");

  c.send(get("/"));
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->headers["content-type"] == "text/html; charset=utf-8");
  CHECK(r->headers["content-security-policy"].rfind("default-src 'none';", 0) == 0);
  CHECK(r->body.find("fetch('/api/dashboard/events'") != std::string::npos);
  CHECK(r->body.find(".innerHTML") == std::string::npos);
  // No external assets: the one URL is the SVG namespace.
  CHECK(r->body.find("https://") == std::string::npos);
  const auto svg_ns = r->body.find("http://www.w3.org/2000/svg");
  REQUIRE(svg_ns != std::string::npos);
  CHECK(r->body.find("http://", svg_ns + 1) == std::string::npos);
  CHECK(r->body.find("http://") == svg_ns);
  CHECK(r->body.find(" src=") == std::string::npos);
  CHECK(r->body.find("<link") == std::string::npos);
}

// A source as omsd's: token "good" sees its data; "revoked" is refused from its second call on.
struct DashFixture : ObsFixture {
  std::atomic<int> calls{0};
  std::atomic<int> revoked_calls{0};
  std::mutex peer_mutex;
  std::string last_peer;  // the caller's address the server passed on (its socket's peer)
  std::string peer() {
    const std::lock_guard lock(peer_mutex);
    return last_peer;
  }
  DashFixture() {
    server.set_dashboard([this](std::string_view authorization, std::string_view peer) -> DashboardAnswer {
      {
        const std::lock_guard lock(peer_mutex);
        last_peer = std::string(peer);
      }
      ++calls;
      if (authorization == "Bearer good") return {200, R"({"client":"ops","orders":{"orders":[]}})"};
      if (authorization == "Bearer revoked" && revoked_calls++ == 0) return {200, R"({"client":"gone"})"};
      if (authorization.empty()) return {401, "missing authorization: send 'authorization: Bearer <token>'"};
      return {401, "unknown token"};
    });
  }
};

TEST_CASE("/api/dashboard: 401 JSON without a token, the source's JSON with health for a good one") {
  DashFixture f;
  Client c(f.server.port());
  c.send(get("/api/dashboard"));
  auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->headers["content-type"] == "application/json");
  CHECK(r->headers["www-authenticate"] == "Bearer");
  CHECK(r->body == R"({"error":"missing authorization: send 'authorization: Bearer <token>'"})");
  CHECK(f.peer() == "127.0.0.1");  // the source hears who asked (per-address throttling)

  c.send(get("/api/dashboard/events", "GET", "Authorization: Bearer nope\r\n"));
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->body == R"({"error":"unknown token"})");

  c.send(get("/api/dashboard?x=1", "GET", "authorization: Bearer good\r\n"));
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->headers["cache-control"] == "no-store");
  const auto j = nlohmann::json::parse(r->body);
  CHECK(r->body.rfind(R"({"health":{)", 0) == 0);
  CHECK(j["health"]["status"] == "ok");
  CHECK(j["health"]["accounts"][0]["account"] == "main");
  CHECK(j["client"] == "ops");
  CHECK(j["orders"]["orders"].empty());

  // /health and /metrics stay open.
  c.send(get("/health"));
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("/api/dashboard without a source is 503") {
  ObsFixture f;
  Client c(f.server.port());
  c.send(get("/api/dashboard", "GET", "Authorization: Bearer good\r\n"));
  const auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->body == R"x({"error":"the dashboard is not ready (the API is starting)"})x");
}

TEST_CASE("/api/dashboard/events: snapshots a second until the stream's time is up; a revoked token ends it") {
  DashFixture f;
  f.server.set_stream_duration(1500ms);
  {
    Client c(f.server.port());
    const auto t0 = std::chrono::steady_clock::now();
    c.send(get("/api/dashboard/events", "GET", "Authorization: Bearer good\r\n"));
    const auto all = c.read_rest();
    const auto took = std::chrono::steady_clock::now() - t0;
    const auto end = all.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    const auto head = all.substr(0, end);
    CHECK(head.rfind("HTTP/1.1 200 OK", 0) == 0);
    CHECK(head.find("Content-Type: text/event-stream") != std::string::npos);
    CHECK(head.find("Connection: close") != std::string::npos);
    const std::string one = "retry: 1000\nevent: snapshot\ndata: " + std::string(R"({"health":)") +
                            f.board.overall_json().json + R"(,"client":"ops","orders":{"orders":[]}})" + "\n\n";
    CHECK(all.substr(end + 4) == one + one);  // at 0 and 1 s; at 2 s the 1.5 s are up
    CHECK(took >= 1000ms);
    CHECK(took < 4000ms);
  }
  {
    Client c(f.server.port());
    c.send(get("/api/dashboard/events", "GET", "Authorization: Bearer revoked\r\n"));
    const auto all = c.read_rest();
    const auto body = all.substr(all.find("\r\n\r\n") + 4);
    CHECK(body.find(R"("client":"gone")") != std::string::npos);
    CHECK(body.substr(body.find("event: error")) == "event: error\ndata: {\"error\":\"unknown token\",\"status\":401}\n\n");
  }
}

TEST_CASE("/health answers 503 when an account session is down") {
  ObsFixture f;
  f.board.account("binance", "main").set_connected(false);
  Client c(f.server.port());
  c.send(get("/health"));
  auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(nlohmann::json::parse(r->body)["status"] == "down");
  c.send(get("/health/binance/main"));
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 503);
}

TEST_CASE("HEAD sends headers with the GET Content-Length and no body; keep-alive continues") {
  ObsFixture f;
  Client c(f.server.port());
  c.send(get("/metrics"));
  const auto full = c.read_reply();
  REQUIRE(full);
  c.send(get("/metrics", "HEAD"));
  const auto head = c.read_reply(/*head=*/true);
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->headers.at("content-length") == std::to_string(full->body.size()));
  // Were a body sent after the HEAD headers, this next reply would not parse.
  c.send(get("/health/binance/main"));
  const auto next = c.read_reply();
  REQUIRE(next);
  CHECK(next->status == 200);
}

TEST_CASE("HttpServer: two requests on one connection, one accept; Connection: close ends it") {
  net::HttpServer server({}, [](const net::HttpRequest& req) {
    return net::HttpResponse{200, {{"Content-Type", "text/plain"}}, req.method + " " + req.target};
  });
  server.start();
  Client c(server.port());
  c.send(get("/a") + get("/b"));  // pipelined
  auto r1 = c.read_reply();
  auto r2 = c.read_reply();
  REQUIRE(r1);
  REQUIRE(r2);
  CHECK(r1->body == "GET /a");
  CHECK(r2->body == "GET /b");
  c.send(get("/c", "GET", "Connection: close\r\n"));
  auto r3 = c.read_reply();
  REQUIRE(r3);
  CHECK(r3->body == "GET /c");
  CHECK(r3->headers["connection"] == "close");
  CHECK(c.closed_by_server());
  CHECK(server.accepted_connections() == 1);
  CHECK(server.requests_served() == 3);
  server.stop();
  server.stop();  // idempotent
}

TEST_CASE("HttpServer: oversized request gets 413 and the connection closes") {
  net::HttpServerConfig cfg;
  cfg.max_header_bytes = 1024;
  bool called = false;
  net::HttpServer server(cfg, [&](const net::HttpRequest&) {
    called = true;
    return net::HttpResponse{200, {}, "x"};
  });
  server.start();
  Client c(server.port());
  c.send(get("/metrics", "GET", "X-Big: " + std::string(20'000, 'a') + "\r\n"));
  const auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->body == "request too large (limits: 1024 header bytes, 8192 body bytes)\n");
  CHECK(r->headers.at("connection") == "close");
  CHECK(c.closed_by_server());

  Client c2(server.port());  // a body over the limit, announced by Content-Length
  c2.send(get("/x", "GET", "Content-Length: 100000\r\n"));
  const auto r2 = c2.read_reply();
  REQUIRE(r2);
  CHECK(r2->status == 413);
  server.stop();
  CHECK(!called);
}

TEST_CASE("HttpServer: a throwing handler is a 500 naming the error; other methods are 405") {
  net::HttpServer server({}, [](const net::HttpRequest& req) -> net::HttpResponse {
    if (req.target == "/boom") throw std::runtime_error("boom");
    return {200, {}, "fine"};
  });
  server.start();
  Client c(server.port());
  c.send(get("/boom"));
  auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 500);
  CHECK(r->body == "handler failed: boom\n");
  c.send(get("/ok"));  // the connection survives
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "fine");
  c.send("POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 405);
  CHECK(r->headers["allow"] == "GET, HEAD");
}

TEST_CASE("HttpServer: an incomplete request is closed after the header timeout") {
  net::HttpServerConfig cfg;
  cfg.header_timeout = 200ms;
  net::HttpServer server(cfg, [](const net::HttpRequest&) {
    return net::HttpResponse{200, {}, ""};
  });
  server.start();
  Client c(server.port());
  c.send("GET /metrics HTTP/1.1\r\nHost: x\r\n");  // headers never finish
  CHECK(c.closed_by_server());  // EOF well within the client's 5 s receive timeout
}

TEST_CASE("HttpServer: start on a taken port throws naming address and port") {
  net::HttpServer first({}, [](const net::HttpRequest&) { return net::HttpResponse{200, {}, ""}; });
  first.start();
  net::HttpServerConfig cfg;
  cfg.port = first.port();
  net::HttpServer second(cfg, [](const net::HttpRequest&) {
    return net::HttpResponse{200, {}, ""};
  });
  const std::string where = "127.0.0.1:" + std::to_string(first.port());
  try {
    second.start();
    FAIL("start() on a taken port did not throw");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("cannot listen on " + where) != std::string::npos);
  }
}

}  // namespace oms::observe
