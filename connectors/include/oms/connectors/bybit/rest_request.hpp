// A Bybit v5 REST request as data (method, path, ordered fields, security, cost) and its
// rendering into an HttpRequest: GET fields in the query string, POST fields as a JSON object
// body; signed requests carry X-BAPI-API-KEY, X-BAPI-TIMESTAMP, X-BAPI-RECV-WINDOW and
// X-BAPI-SIGN = hex HMAC-SHA256(timestamp + api key + recv window + (query | body)), the
// payload exactly as sent. Pure: no I/O, no clock (the timestamp is an argument).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/net/http.hpp"
#include "oms/connectors/signing.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/result.hpp"

namespace oms::bybit {

enum class HttpMethod : std::uint8_t { kGet, kPost };
[[nodiscard]] std::string_view to_string(HttpMethod m) noexcept;

enum class Security : std::uint8_t {
  kNone,    // public market data
  kSigned,  // API key + timestamp + recv window + signature headers
};

// One field. In a JSON body a text value is a JSON string (Bybit's numbers travel as strings:
// "qty":"0.001"); a raw value is JSON as written (true, 3, an array of objects).
struct Field {
  std::string key;
  std::string value;
  bool raw = false;
  friend bool operator==(const Field&, const Field&) = default;
};

struct RestRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string path;  // "/v5/order/create"
  std::vector<Field> fields;
  Security security = Security::kNone;
  std::uint32_t order_count = 0;  // orders this request places (the venue's order-rate limits)

  void add(std::string_view key, std::string_view value);
  // Canonical exact text: "0.001", "61837.63", never an exponent or trailing zeros.
  void add(std::string_view key, Decimal value);
  void add_int(std::string_view key, std::int64_t value);  // a query value, or a JSON number
  void add_bool(std::string_view key, bool value);         // JSON true / false
  void add_raw(std::string_view key, std::string json);    // JSON as written (POST only)
  // The value of the first field named key, or nullptr.
  [[nodiscard]] const std::string* find(std::string_view key) const noexcept;
  // GET: "k1=v1&k2=v2" percent-encoded. POST: the JSON object, compact, fields in order.
  [[nodiscard]] std::string payload() const;
};

struct RequestError {
  std::string message;  // names the field: "qty: must be positive"
};

struct Credentials {
  std::string_view api_key;
  signing::HmacSha256* signer = nullptr;
  std::uint32_t recv_window_ms = 5'000;  // Bybit's default; sent on every signed request
};

inline constexpr std::string_view kApiKeyHeader = "X-BAPI-API-KEY";
inline constexpr std::string_view kTimestampHeader = "X-BAPI-TIMESTAMP";
inline constexpr std::string_view kRecvWindowHeader = "X-BAPI-RECV-WINDOW";
inline constexpr std::string_view kSignHeader = "X-BAPI-SIGN";

// Appends the hex HMAC-SHA256 of timestamp + api_key + recv_window + payload (the v5 rule).
[[nodiscard]] Result<Unit, RequestError> append_signature(signing::HmacSha256& signer,
                                                          std::int64_t timestamp_ms,
                                                          std::string_view api_key,
                                                          std::uint32_t recv_window_ms,
                                                          std::string_view payload,
                                                          std::string& out);

[[nodiscard]] Result<net::HttpRequest, RequestError> render(const RestRequest& req,
                                                            const Credentials& creds,
                                                            std::int64_t timestamp_ms);
// The same into an existing HttpRequest, reusing its buffers (hot path).
[[nodiscard]] Result<Unit, RequestError> render_into(const RestRequest& req,
                                                     const Credentials& creds,
                                                     std::int64_t timestamp_ms,
                                                     net::HttpRequest& out);

}  // namespace oms::bybit
