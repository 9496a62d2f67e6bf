// A small HTTPS + WSS server for the venue simulator and test servers (loopback). REST goes to
// one handler; WebSocket upgrades go to a handler chosen by path. No Asio/Beast here (pimpl).
//
// Threads: the handlers run on the server's I/O threads (HttpsServerConfig::threads); a slow
// HTTP handler holds one thread, so a handler that wants its answer to leave later says so
// (DelayedResponse, WsSession::send_after) and the server waits on a timer instead. Each
// connection is serialized (one strand), so the callbacks of one WebSocket session never run
// concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "oms/connectors/net/http.hpp"
#include "oms/connectors/net/tls.hpp"

namespace oms::net {

struct HttpsServerConfig {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port, see HttpsServer::port()
  TlsServerConfig tls;
  unsigned threads = 1;
  std::chrono::milliseconds idle_timeout{30'000};  // keep-alive connection closed when idle
  std::chrono::milliseconds handshake_timeout{10'000};
};

// REST. The response's Content-Length is set by the server (handler's own is ignored).
// Fault injection: a response with status 0 makes the server drop the connection without
// answering (a lost ack: the client sees kClosed). An exception becomes a 500.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// An answer that leaves `delay` after the handler returned it (or, status 0, a drop of the
// connection then). The wait is a timer on the connection's strand: no thread is held, other
// connections are served meanwhile; this connection reads its next request once answered.
struct DelayedResponse {
  HttpResponse response;
  std::chrono::microseconds delay{0};
};
using DelayedHttpHandler = std::function<DelayedResponse(const HttpRequest&)>;

// The owner's handle on one accepted WebSocket. Every method is thread-safe and returns at once
// (the work is posted to the session's strand); after the session ended or the server stopped
// they do nothing.
class WsSession {
 public:
  virtual ~WsSession() = default;
  virtual void send(std::string text) = 0;     // a text frame; frames go out in call order
  // A text frame that leaves no sooner than `delay` after this call (a timer, no thread
  // waits); still in call order: a later frame waits behind it, as on one TCP stream.
  virtual void send_after(std::chrono::microseconds delay, std::string text) = 0;
  virtual void ping(std::string payload) = 0;  // <= 125 bytes
  virtual void close() = 0;  // close frame (1000) after the frames sent before, then the TCP close
  virtual void drop() = 0;                     // abrupt: TCP reset, no close frame, no TLS alert
  [[nodiscard]] virtual std::uint64_t id() const = 0;           // 1, 2, ... per server
  [[nodiscard]] virtual const std::string& target() const = 0;  // upgrade target, with query
  // A header of the upgrade request (name case-insensitive), or nullptr (Upbit's private
  // stream authenticates there: "Authorization: Bearer <JWT>").
  [[nodiscard]] virtual const std::string* header(std::string_view name) const = 0;
};

struct WsHandler {
  // Before the upgrade is accepted (optional): a response refuses it, answered as plain HTTP
  // (Upbit's private socket answers 401 to a bad token); nullopt accepts. Called on the I/O thread.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> on_upgrade;
  std::function<void(const std::shared_ptr<WsSession>&)> on_open;  // after the upgrade
  std::function<void(WsSession&, std::string_view text)> on_text;  // view valid during the call
  std::function<void(WsSession&, std::string_view payload)> on_pong;
  // Once per opened session when it ends (peer close, error, close(), drop()); not called for
  // sessions still open when stop() abandons them.
  std::function<void(WsSession&)> on_close;
};

class HttpsServer {
 public:
  // Throws std::runtime_error naming the file when the certificate or key cannot be loaded.
  HttpsServer(HttpsServerConfig cfg, HttpHandler handler);
  HttpsServer(HttpsServerConfig cfg, DelayedHttpHandler handler);
  ~HttpsServer();  // stop()
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // Upgrades on `path` (the target without its query) go to `handler`. Call before start().
  void add_websocket(std::string path, WsHandler handler);
  // Binds, listens and starts the threads; throws std::runtime_error naming address:port.
  void start();
  // Stops accepting, abandons every connection and joins the threads. Idempotent.
  void stop();

  [[nodiscard]] std::uint16_t port() const noexcept;  // the bound port (after start)
  [[nodiscard]] std::uint64_t accepted_connections() const noexcept;  // TCP accepts so far
  [[nodiscard]] std::uint64_t closed_connections() const noexcept;    // HTTP ones ended so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oms::net
