// HttpsClient: the Boost.Beast implementation of HttpClient (net/http.hpp); HttpsPool hands out
// N of them per origin. No Asio/Beast in this header (pimpl): including it costs nothing.
//
// Keep-alive: one TLS connection per client, reused for every request while the server keeps
// it open (it is closed after a response with "Connection: close", a timeout or any error).
//
// When a request is re-sent on a new connection (the only automatic retry):
//   before writing a request on a connection that has been idle since the previous response,
//   the client checks the socket without blocking. If the peer has closed it (FIN, RST, TLS
//   close_notify) or sent anything unsolicited, the connection is discarded and a new one is
//   opened -- no byte of this request was ever written to the old one, so the server cannot
//   have seen it. Once the first byte of a request has been handed to a socket there is NO
//   retry: a failure after that point returns kClosed (peer closed/reset) or kTimeout, because
//   the server may have received and executed it (an order may exist). The caller decides
//   (for orders: query by client order id before placing again).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "oms/connectors/net/http.hpp"
#include "oms/connectors/net/tls.hpp"

namespace oms::net {

// scheme is always https.
struct Origin {
  std::string host;  // DNS name or IP literal; also the name the certificate must carry
  std::uint16_t port = 443;
};

class HttpsClient final : public HttpClient {
 public:
  // Throws std::runtime_error naming the file when the CA file cannot be loaded (startup edge).
  HttpsClient(Origin origin, const TlsClientConfig& tls);
  ~HttpsClient() override;
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Never throws. See the header comment for the retry rule.
  [[nodiscard]] Result<HttpResponse, HttpError> request(const HttpRequest& req) override;
  // request() in two halves, for a caller that must not wait for the answer (the engine's shard
  // writes an order, its lane reads the response). write_request() never connects: with no open,
  // idle connection it returns kNotConnected and nothing was written (use request()). After it
  // succeeded, read_response() must be called (from any one thread) before the next request;
  // it waits for the response until req.timeout after the write started.
  [[nodiscard]] Result<Unit, HttpError> write_request(const HttpRequest& req);
  [[nodiscard]] Result<HttpResponse, HttpError> read_response();
  // A connection is open (it may still turn out closed by the peer when written to).
  [[nodiscard]] bool connected() const noexcept;

  // Connections opened so far (tests pin keep-alive with it).
  [[nodiscard]] std::uint64_t connections_opened() const noexcept;
  [[nodiscard]] const Origin& origin() const noexcept;
  // Drops the current connection (if any); the next request opens a new one.
  void disconnect() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A fixed set of HttpsClients to one origin, handed out one caller at a time. Thread-safe.
class HttpsPool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();  // returns the client to the pool
    HttpsClient& operator*() const noexcept { return *client_; }
    HttpsClient* operator->() const noexcept { return client_; }

   private:
    friend class HttpsPool;
    Lease(HttpsPool* pool, HttpsClient* client) noexcept : pool_(pool), client_(client) {}
    HttpsPool* pool_;
    HttpsClient* client_;
  };

  // `size` >= 1 clients, created now (they connect on first use). Throws like HttpsClient.
  HttpsPool(Origin origin, const TlsClientConfig& tls, std::size_t size);
  ~HttpsPool();  // every Lease must be gone by now
  HttpsPool(const HttpsPool&) = delete;
  HttpsPool& operator=(const HttpsPool&) = delete;

  // A free client, or nullopt when all are leased.
  [[nodiscard]] std::optional<Lease> try_lease();
  // Waits up to `wait` for a free client; nullopt when none freed in time.
  [[nodiscard]] std::optional<Lease> lease(std::chrono::milliseconds wait);

  [[nodiscard]] std::size_t size() const noexcept { return clients_.size(); }
  [[nodiscard]] std::size_t available() const;

 private:
  void give_back(HttpsClient* client);

  std::vector<std::unique_ptr<HttpsClient>> clients_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<HttpsClient*> free_;  // guarded by mutex_
};

}  // namespace oms::net
