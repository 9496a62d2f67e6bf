// The HTTP surface every REST user codes against (venue connectors, the Vault secret store).
// The Boost.Beast implementation lives behind it in oms_net (connectors/src/net), so nothing
// that only builds requests or parses responses pays for Asio/Beast in its compile time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "oms/messages/result.hpp"

namespace oms::net {

// One header line. Names compare case-insensitively (HTTP), values verbatim.
using Header = std::pair<std::string, std::string>;

struct HttpRequest {
  std::string method;          // "GET", "POST", "PUT", "DELETE"
  std::string target;          // origin-form: "/api/v3/order?symbol=BTCUSDT&..."
  std::vector<Header> headers; // besides Host, User-Agent, Content-Length (added by the client)
  std::string body;            // empty for GET/DELETE
  std::chrono::milliseconds timeout{10'000};  // whole exchange, connect to last byte
  // When set: the client stores the wall clock (UTC ns) here right before the request's first
  // byte is handed to the socket (a connection is open and usable by then). Latency tracing.
  std::int64_t* handed_to_socket_ns = nullptr;
  // Server side: the client's IP address as the server's socket sees it ("127.0.0.1"); the
  // client side leaves it empty.
  std::string peer{};
};

struct HttpResponse {
  unsigned status = 0;         // 200, 400, 418, 429, 5xx ...
  std::vector<Header> headers;
  std::string body;

  // The first header named `name` (case-insensitive), or nullptr.
  [[nodiscard]] const std::string* header(std::string_view name) const noexcept;
};

// Transport failures, not HTTP statuses: a 4xx/5xx is a successful HttpResponse.
enum class HttpErrorCode : std::uint16_t {
  kResolve = 4101,       // host name did not resolve
  kConnect = 4102,       // TCP connect refused / unreachable
  kTls = 4103,           // handshake failed: certificate, host name or protocol
  kTimeout = 4104,       // request.timeout elapsed; the request may or may not have reached the server
  kClosed = 4105,        // peer closed mid-response; the request may or may not have reached the server
  kProtocol = 4106,      // malformed HTTP from the peer
  kBadRequest = 4107,    // our request is unusable (empty method, target not origin-form ...)
  kNotConnected = 4108,  // write_request() without an open connection: nothing was written
};

struct HttpError {
  HttpErrorCode code;
  std::string message;   // names host:port and the step that failed; never a key or secret
};

// A keep-alive client to one origin (scheme https, host, port). Thread-compatible: one caller
// at a time per client (a pool hands clients out). `request` never throws.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  [[nodiscard]] virtual Result<HttpResponse, HttpError> request(const HttpRequest& req) = 0;
};

}  // namespace oms::net
