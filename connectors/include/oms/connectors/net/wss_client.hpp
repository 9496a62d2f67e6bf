// WssClient: one WebSocket-over-TLS connection to wss://host:port/path that keeps itself up.
// It owns one I/O thread, or runs on an IoThread shared with other clients; every callback runs
// on that thread, one at a time, so a venue session parses on the receiving thread straight out
// of the receive buffer (no copy, see on_message).
//
// Lifecycle: start() connects in the background. Each time the connection comes up, on_open
// runs (the resubscribe hook: send subscriptions / log in from it); each time it goes down
// (error, missing pong, server close or drop), on_disconnected reports why and when the next
// attempt is, and the client reconnects after a jittered exponential backoff (backoff.hpp).
// stop() (or the destructor) closes cleanly and joins the thread (on a shared IoThread: waits
// until the close has begun); no callback runs after it.
//
// Keep-alive: server pings are answered automatically; we ping every ping_interval and drop the
// connection when a pong has not arrived within pong_timeout.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oms/connectors/net/tls.hpp"

namespace oms::net {

struct WssConfig {
  std::string host;  // DNS name or IP literal; checked against the certificate
  std::uint16_t port = 443;
  std::string target = "/";  // path and query, e.g. "/ws/btcusdt@depth@100ms"
  TlsClientConfig tls;
  std::chrono::milliseconds connect_timeout{10'000};  // resolve + TCP + TLS + upgrade
  std::chrono::milliseconds ping_interval{20'000};
  std::chrono::milliseconds pong_timeout{10'000};
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{30'000};
  std::uint64_t backoff_seed = 0x6f6d732d77737321ULL;  // inject for deterministic tests
  std::size_t max_message_bytes = 16U << 20;
  // Extra headers of the upgrade request, asked at every connect (Upbit's private stream: a
  // fresh "Authorization: Bearer <JWT>" each time); null: none.
  std::function<std::vector<std::pair<std::string, std::string>>()> upgrade_headers;
};

struct WssDisconnect {
  std::string reason;     // names host:port and what failed; never a secret
  bool was_open = false;  // false: a connect attempt failed
  unsigned attempt = 0;   // consecutive failures so far (1 = first)
  std::chrono::milliseconds retry_in{0};
};

// At least this many readable bytes follow every message passed to on_message (so
// simdjson::padded_string_view can wrap it without copying).
inline constexpr std::size_t kWssMessagePadding = 64;

struct WssHandlers {
  // A complete text (or binary) message. `msg` points into the receive buffer: valid only during
  // the call, followed by kWssMessagePadding readable bytes.
  std::function<void(std::string_view msg)> on_message;
  // The connection is up (first time: reconnect == false). Resubscribe here; send() works.
  std::function<void(bool reconnect)> on_open;
  std::function<void(const WssDisconnect&)> on_disconnected;
  std::function<void(std::string_view payload)> on_pong;  // optional (latency measurements)
};

// One I/O thread that many WssClients share (a venue's user-data streams: 200 accounts on one
// thread instead of 200). The callbacks of every client on it run on that thread, one at a
// time, so a slow callback delays the others. It must outlive every client given it: stop (or
// destroy) the clients first; the destructor waits for their last operations, then joins.
class IoThread {
 public:
  explicit IoThread(std::string name);  // the thread's name (top -H, perf), at most 15 chars
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  struct Impl;

 private:
  friend class WssClient;
  std::unique_ptr<Impl> impl_;
};

class WssClient {
 public:
  // Throws std::runtime_error naming the file when the CA file cannot be loaded.
  // io: the shared I/O thread to run on (null: a thread of the client's own).
  WssClient(WssConfig cfg, WssHandlers handlers, IoThread* io = nullptr);
  ~WssClient();  // stop()
  WssClient(const WssClient&) = delete;
  WssClient& operator=(const WssClient&) = delete;

  void start();
  // Clean close (close frame, bounded by connect_timeout), then joins the I/O thread. Idempotent.
  // Must not be called from a callback.
  void stop();

  // Queues a text frame. Thread-safe. Returns false (nothing queued) while the connection is not
  // open; frames queued on a connection that then drops are lost with it -- the owner learns of
  // that from on_disconnected and restores its state from on_open.
  bool send(std::string text);

  [[nodiscard]] bool is_open() const noexcept;
  [[nodiscard]] std::uint64_t connects() const noexcept;  // successful opens so far

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace oms::net
