// An OKX v5 REST request as data (method, path, ordered fields, security, cost) and its
// rendering into an HttpRequest: GET fields in the query string, POST fields as a compact JSON
// object body (batch endpoints: a JSON array of objects). Signed requests carry OK-ACCESS-KEY,
// OK-ACCESS-PASSPHRASE, OK-ACCESS-TIMESTAMP (ISO-8601 UTC with milliseconds) and
// OK-ACCESS-SIGN = Base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + body)), where
// requestPath includes "?query" on a GET and body is the JSON exactly as sent. Demo trading adds
// x-simulated-trading: 1. Also the WebSocket login message (the same rule over
// "GET/users/self/verify", timestamp in seconds). Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/net/http.hpp"
#include "oms/connectors/signing.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/result.hpp"

namespace oms::okx {

enum class HttpMethod : std::uint8_t { kGet, kPost };
[[nodiscard]] std::string_view to_string(HttpMethod m) noexcept;

enum class Security : std::uint8_t {
  kNone,    // public market data
  kSigned,  // OK-ACCESS-* headers
};

// One field. In a JSON body a text value is a JSON string (OKX's numbers travel as strings:
// "sz":"0.001"); a raw value is JSON as written (true, an array of objects).
struct Field {
  std::string key;
  std::string value;
  bool raw = false;
  friend bool operator==(const Field&, const Field&) = default;
};

struct RestRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string path;  // "/api/v5/trade/order"
  std::vector<Field> fields;
  // Batch endpoints (batch-orders, cancel-batch-orders, amend-batch-orders, cancel-algos): the
  // POST body is a JSON array of these objects, and `fields` stays empty.
  std::vector<std::vector<Field>> items;
  Security security = Security::kNone;
  std::uint32_t order_count = 0;  // orders this request places (the venue's order-rate limits)

  void add(std::string_view key, std::string_view value);
  // Canonical exact text: "0.001", "61837.6", never an exponent or trailing zeros.
  void add(std::string_view key, Decimal value);
  void add_int(std::string_view key, std::int64_t value);  // a query value, or a JSON number
  void add_bool(std::string_view key, bool value);         // JSON true / false
  void add_raw(std::string_view key, std::string json);    // JSON as written (POST only)
  // The value of the first field named key, or nullptr.
  [[nodiscard]] const std::string* find(std::string_view key) const noexcept;
  // GET: "k1=v1&k2=v2" percent-encoded. POST: the JSON object (or array of objects), compact,
  // fields in order.
  [[nodiscard]] std::string payload() const;
};

struct RequestError {
  std::string message;  // names the field: "sz: not a whole number of contracts (...)"
};

struct Credentials {
  std::string_view api_key;
  std::string_view passphrase;
  signing::HmacSha256* signer = nullptr;
  bool simulated = false;  // demo trading: x-simulated-trading: 1 on every request
};

inline constexpr std::string_view kApiKeyHeader = "OK-ACCESS-KEY";
inline constexpr std::string_view kSignHeader = "OK-ACCESS-SIGN";
inline constexpr std::string_view kTimestampHeader = "OK-ACCESS-TIMESTAMP";
inline constexpr std::string_view kPassphraseHeader = "OK-ACCESS-PASSPHRASE";
inline constexpr std::string_view kSimulatedHeader = "x-simulated-trading";

// "2020-12-08T09:08:57.715Z" for 1607418537715, appended to out (proleptic Gregorian, UTC;
// no locale, no time zone database). ms must not be negative.
void append_iso_timestamp(std::int64_t unix_ms, std::string& out);
[[nodiscard]] std::string iso_timestamp(std::int64_t unix_ms);

// Appends Base64(HMAC-SHA256(timestamp + method + request_path + body)) (the v5 rule).
[[nodiscard]] Result<Unit, RequestError> append_signature(signing::HmacSha256& signer,
                                                          std::string_view timestamp,
                                                          std::string_view method,
                                                          std::string_view request_path,
                                                          std::string_view body,
                                                          std::string& out);

// unix_ms: the request's time (the venue refuses one more than 30 s away from its clock).
[[nodiscard]] Result<net::HttpRequest, RequestError> render(const RestRequest& req,
                                                            const Credentials& creds,
                                                            std::int64_t unix_ms);
// The same into an existing HttpRequest, reusing its buffers (hot path: no allocation once
// the buffers have grown).
[[nodiscard]] Result<Unit, RequestError> render_into(const RestRequest& req,
                                                     const Credentials& creds,
                                                     std::int64_t unix_ms,
                                                     net::HttpRequest& out);

// The private WebSocket's login message for a time in whole seconds:
// {"op":"login","args":[{"apiKey":..,"passphrase":..,"timestamp":"<s>","sign":..}]},
// sign = Base64(HMAC(timestamp + "GET" + "/users/self/verify")).
[[nodiscard]] Result<std::string, RequestError> ws_login(const Credentials& creds,
                                                         std::int64_t unix_seconds);

}  // namespace oms::okx
