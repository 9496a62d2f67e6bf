// Pins net::HttpServer's long-lived responses (HttpStream, server-sent events) over a real
// loopback socket: the header without a length, the producer's chunks in order at its pace,
// the end of the stream closing the connection, ordinary requests beside a stream, a peer
// going away ending its stream, HEAD, and a throwing stream handler.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "oms/connectors/net/http_server.hpp"

namespace oms::net {
namespace {
using namespace std::chrono_literals;

class Raw {
 public:
  explicit Raw(std::uint16_t port) {
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
  ~Raw() { close(); }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void send(const std::string& bytes) {
    REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  // Everything until the server closes (or the 5 s receive timeout: then timed_out).
  std::string read_all() {
    std::string out;
    char tmp[4096];
    for (;;) {
      const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n == 0) return out;
      if (n < 0) {
        timed_out = true;
        return out;
      }
      out.append(tmp, static_cast<std::size_t>(n));
    }
  }
  // Reads until `needle` has arrived (or EOF / timeout).
  std::string read_until(const std::string& needle) {
    char tmp[4096];
    while (buf_.find(needle) == std::string::npos) {
      const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
    return buf_;
  }
  bool timed_out = false;

 private:
  int fd_ = -1;
  std::string buf_;
};

std::string get(const std::string& target, const std::string& method = "GET") {
  return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

HttpResponse plain(const HttpRequest& req) {
  return {200, {{"Content-Type", "text/plain"}}, "plain " + req.target};
}

}  // namespace

TEST_CASE("HttpStream: header without a length, the producer's chunks in order, then the close") {
  std::atomic<int> calls{0};
  HttpServer server({}, plain, [&](const HttpRequest& req) -> std::optional<HttpStream> {
    if (req.target != "/events") return std::nullopt;
    HttpStream s;
    s.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-store"}};
    s.interval = 20ms;
    s.next = [&calls, n = 0]() mutable -> std::optional<std::string> {
      ++calls;
      ++n;
      if (n == 2) return std::string();  // nothing this time
      if (n > 4) return std::nullopt;
      return "data: " + std::to_string(n) + "\n\n";
    };
    return s;
  });
  server.start();
  Raw c(server.port());
  const auto t0 = std::chrono::steady_clock::now();
  c.send(get("/events"));
  const std::string all = c.read_all();
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK_FALSE(c.timed_out);
  const auto end = all.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  const std::string head = all.substr(0, end);
  CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(head.find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(head.find("Connection: close") != std::string::npos);
  CHECK(head.find("Content-Length") == std::string::npos);
  CHECK(head.find("Transfer-Encoding") == std::string::npos);
  CHECK(all.substr(end + 4) == "data: 1\n\ndata: 3\n\ndata: 4\n\n");
  CHECK(calls.load() == 5);
  CHECK(took >= 80ms);  // four waits of 20 ms between the five calls
  // The session goes (and its count with it) just after the close the client saw.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server.open_streams() != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  CHECK(server.open_streams() == 0);
}

TEST_CASE("HttpStream: ordinary requests are served while a stream runs; a peer leaving ends it") {
  std::atomic<int> calls{0};
  HttpServer server({}, plain, [&](const HttpRequest& req) -> std::optional<HttpStream> {
    if (req.target != "/events") return std::nullopt;
    HttpStream s;
    s.headers = {{"Content-Type", "text/event-stream"}};
    s.interval = 10ms;
    s.next = [&calls]() -> std::optional<std::string> {
      ++calls;
      return std::string(1024, 'x') + "\n\n";  // forever, until the peer goes
    };
    return s;
  });
  server.start();
  auto streamer = std::make_unique<Raw>(server.port());
  streamer->send(get("/events"));
  streamer->read_until("xxxx\n\n");
  CHECK(server.open_streams() == 1);
  {
    Raw other(server.port());
    other.send(get("/metrics"));
    const auto text = other.read_until("plain /metrics");
    CHECK(text.find("HTTP/1.1 200 OK") == 0);
    CHECK(text.find("Content-Length: 14") != std::string::npos);
    CHECK(text.find("plain /metrics") != std::string::npos);
  }
  streamer.reset();  // the peer goes away
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server.open_streams() != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  CHECK(server.open_streams() == 0);
  const int after = calls.load();
  std::this_thread::sleep_for(100ms);
  CHECK(calls.load() == after);  // no producer call once the stream ended
}

TEST_CASE("HttpStream: HEAD gets the header only; a throwing stream handler is a 500") {
  std::atomic<int> calls{0};
  HttpServer server({}, plain, [&](const HttpRequest& req) -> std::optional<HttpStream> {
    if (req.target == "/boom") throw std::runtime_error("no stream today");
    HttpStream s;
    s.status = 200;
    s.headers = {{"Content-Type", "text/event-stream"}};
    s.next = [&calls]() -> std::optional<std::string> {
      ++calls;
      return std::string("data: x\n\n");
    };
    return s;
  });
  server.start();
  {
    Raw c(server.port());
    c.send(get("/events", "HEAD"));
    const auto all = c.read_all();
    CHECK_FALSE(c.timed_out);
    CHECK(all.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(all.substr(all.find("\r\n\r\n") + 4).empty());
    CHECK(calls.load() == 0);
  }
  {
    Raw c(server.port());
    c.send(get("/boom"));
    const auto text = c.read_until("no stream today");
    CHECK(text.rfind("HTTP/1.1 500", 0) == 0);
    CHECK(text.find("stream handler failed: no stream today") != std::string::npos);
  }
}

}  // namespace oms::net
