// A Binance REST request as data (method, path, ordered parameters, security, cost) and its
// rendering into an HttpRequest with X-MBX-APIKEY, recvWindow, timestamp and signature.
// Pure: no I/O, no clock (the timestamp is an argument).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/net/http.hpp"
#include "oms/connectors/signing.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/result.hpp"

namespace oms::binance {

enum class HttpMethod : std::uint8_t { kGet, kPost, kPut, kDelete };
[[nodiscard]] std::string_view to_string(HttpMethod m) noexcept;

// Binance's endpoint security types.
enum class Security : std::uint8_t {
  kNone,        // public market data
  kUserStream,  // API key header only (listenKey)
  kSigned,      // API key header + timestamp + signature
};

struct QueryParam {
  std::string key;
  std::string value;  // not encoded; render() percent-encodes it
  friend bool operator==(const QueryParam&, const QueryParam&) = default;
};

struct RestRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string path;  // "/api/v3/order"
  std::vector<QueryParam> params;
  Security security = Security::kNone;
  std::uint32_t weight = 1;       // request weight (IP or UID bucket, per the venue docs)
  std::uint32_t order_count = 0;  // orders counted against the order-rate limits

  void add(std::string_view key, std::string_view value);
  // Canonical exact text: "0.001", "61837.63", never an exponent or trailing zeros.
  void add(std::string_view key, Decimal value);
  void add_int(std::string_view key, std::int64_t value);
  // The value of the first parameter named key, or nullptr.
  [[nodiscard]] const std::string* find(std::string_view key) const noexcept;
  // "k1=v1&k2=v2" percent-encoded, without timestamp/recvWindow/signature.
  [[nodiscard]] std::string encoded_params() const;
};

struct RequestError {
  std::string message;  // names the field: "quantity: must be positive for a LIMIT order"
};

// What render() needs besides the request. signer is required for kSigned, api_key for
// kSigned and kUserStream. recv_window_ms 0 omits recvWindow (the venue default, 5000).
struct Credentials {
  std::string_view api_key;
  signing::BinanceSigner* signer = nullptr;
  std::uint32_t recv_window_ms = 5'000;
};

inline constexpr std::string_view kApiKeyHeader = "X-MBX-APIKEY";

// GET/DELETE: everything in the query string. POST/PUT: everything in an
// application/x-www-form-urlencoded body (Binance signs the body the same way), target is
// the bare path. Signed requests end with "...&recvWindow=N&timestamp=T&signature=S".
[[nodiscard]] Result<net::HttpRequest, RequestError> render(const RestRequest& req,
                                                            const Credentials& creds,
                                                            std::int64_t timestamp_ms);
// The same into an existing HttpRequest, reusing its buffers (hot path).
[[nodiscard]] Result<Unit, RequestError> render_into(const RestRequest& req,
                                                     const Credentials& creds,
                                                     std::int64_t timestamp_ms,
                                                     net::HttpRequest& out);

}  // namespace oms::binance
