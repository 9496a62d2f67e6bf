// A small plain-HTTP/1.1 server for local observability endpoints (/health, /metrics): no TLS,
// so bind it to loopback (the default), like a Prometheus exporter. GET and HEAD only; other
// methods get 405 without reaching the handler. Long-lived responses (HttpStream: server-sent
// events) are served beside the ordinary ones. No Asio/Beast here (pimpl).
//
// Threads: the handler runs on the server's I/O threads (HttpServerConfig::threads) and may run
// concurrently for different connections; one connection's requests are served one at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oms/connectors/net/http.hpp"

namespace oms::net {

struct HttpServerConfig {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port, see HttpServer::port()
  unsigned threads = 1;
  // A request (line + headers) larger than this gets 413 and the connection is closed.
  std::size_t max_header_bytes = 8 * 1024;
  // A request body larger than this gets 413 (GET/HEAD carry none; this bounds abuse).
  std::size_t max_body_bytes = 8 * 1024;
  // The whole next request must arrive within this, counted from the accept or from the end of
  // the previous response (so it is also the keep-alive idle limit). Then the server closes.
  std::chrono::milliseconds header_timeout{10'000};
};

// The handler sees the request as parsed (a HEAD arrives as method "HEAD"; answer it like GET:
// the server sends the headers and Content-Length of the body and drops the body). The response's
// Content-Length is set by the server. An exception becomes a 500 naming what() in the body.
using HttpServerHandler = std::function<HttpResponse(const HttpRequest&)>;

// A long-lived response (server-sent events and the like): the server writes the status line and
// headers (no Content-Length; Connection: close, so the body ends when the connection does), then
// calls next() on the connection's strand, at once and then every `interval` after each write
// completes; a string is written as it is (an empty one writes nothing), nullopt ends the
// response and closes the connection. A peer that goes away ends it at the next write; a write
// that does not complete within `write_timeout` (a reader that stopped reading) closes it too.
// next() runs on an I/O thread: it must be quick (it holds that thread). HEAD gets the headers
// only, and next() is never called.
struct HttpStream {
  unsigned status = 200;
  std::vector<Header> headers;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds write_timeout{10'000};
  std::function<std::optional<std::string>()> next;
};
// Asked first for every GET/HEAD request: a stream for those it streams, nullopt for the rest
// (they go to the HttpServerHandler). An exception becomes a 500 like the handler's.
using HttpStreamHandler = std::function<std::optional<HttpStream>(const HttpRequest&)>;

class HttpServer {
 public:
  HttpServer(HttpServerConfig cfg, HttpServerHandler handler);
  HttpServer(HttpServerConfig cfg, HttpServerHandler handler, HttpStreamHandler streams);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads; throws std::runtime_error naming address:port.
  void start();
  // Stops accepting, abandons every connection and joins the threads. Idempotent.
  void stop();

  [[nodiscard]] std::uint16_t port() const noexcept;  // the bound port (after start)
  [[nodiscard]] std::uint64_t accepted_connections() const noexcept;  // TCP accepts so far
  [[nodiscard]] std::uint64_t requests_served() const noexcept;       // responses written
  [[nodiscard]] std::uint64_t open_streams() const noexcept;          // HttpStreams running now

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oms::net
