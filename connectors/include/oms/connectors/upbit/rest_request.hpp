// An Upbit REST request as data (method, path, ordered fields, security) and its rendering into
// an HttpRequest. GET / DELETE fields travel in the query string, POST fields as a compact JSON
// object. Signed requests carry "Authorization: Bearer <JWT>":
//
//   JWT     = base64url(header) "." base64url(payload) "." base64url(HMAC(secret, header.payload))
//   header  = {"alg":"HS512","typ":"JWT"}   (HS256 on request)
//   payload = {"access_key":..,"nonce":<UUID v4, new per request>}, and when the request has
//             parameters also "query_hash":hex(SHA512(q)),"query_hash_alg":"SHA512"
//
// q is the parameters as a query string WITHOUT percent-encoding, in the order sent: "k1=v1&k2=v2",
// an array as repeated "key[]=v" ("states[]=wait&states[]=watch"). For a POST it is the JSON
// body's fields rendered the same way (Upbit's documented rule: the body converted to a query
// string, unencoded). On the wire a query's values are percent-encoded (the venue decodes the
// query before hashing it; an ISO time's '+' must not arrive as a space); the keys are our own
// constants ("states[]") and are sent as written. The secret is the raw secret key text (not
// base64-decoded). Pure: the nonce is an argument (new_nonce() makes one); no clock, no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/net/http.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/messages/result.hpp"

struct evp_mac_ctx_st;
struct evp_md_ctx_st;
struct evp_md_st;

namespace oms::upbit {

enum class HttpMethod : std::uint8_t { kGet, kPost, kDelete };
[[nodiscard]] std::string_view to_string(HttpMethod m) noexcept;

enum class Security : std::uint8_t {
  kNone,    // quotation API (market data)
  kSigned,  // exchange API: the JWT
};

// One field. In a JSON body a text value is a JSON string (Upbit's numbers travel as strings:
// "volume":"0.001"); a raw value is JSON as written (a number, true). A key ending in "[]" is
// one element of an array parameter (query only).
struct Field {
  std::string key;
  std::string value;
  bool raw = false;
  friend bool operator==(const Field&, const Field&) = default;
};

struct RestRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string path;  // "/v1/orders"
  std::vector<Field> fields;
  Security security = Security::kNone;
  std::uint32_t order_count = 0;  // orders this request places (the venue's order-rate group)

  void add(std::string_view key, std::string_view value);
  // Canonical exact text: "0.001", "61837000", never an exponent or trailing zeros.
  void add(std::string_view key, Decimal value);
  void add_int(std::string_view key, std::int64_t value);  // a query value, or a JSON number
  void add_bool(std::string_view key, bool value);         // "true" / JSON true
  // The value of the first field named key, or nullptr.
  [[nodiscard]] const std::string* find(std::string_view key) const noexcept;
  // The unencoded query string the query_hash covers ("" without fields).
  [[nodiscard]] std::string query_string() const;
  // GET / DELETE: the percent-encoded query as sent. POST: the JSON object.
  [[nodiscard]] std::string payload() const;
};

struct RequestError {
  std::string message;  // names the field: "volume: must be positive"
};

enum class JwtAlgorithm : std::uint8_t { kHs512, kHs256 };

// Signs JWTs for one secret: one reusable HMAC context and one SHA-512 context (no allocation
// per token once the caller's buffers have grown). Not thread-safe: one signer per thread.
class JwtSigner {
 public:
  // secret: the raw secret key text. Error if it is empty or OpenSSL cannot set it up.
  [[nodiscard]] static Result<JwtSigner, RequestError> create(std::string_view secret,
                                                              JwtAlgorithm alg = JwtAlgorithm::kHs512);
  JwtSigner(JwtSigner&&) noexcept;
  JwtSigner& operator=(JwtSigner&&) noexcept;
  JwtSigner(const JwtSigner&) = delete;
  JwtSigner& operator=(const JwtSigner&) = delete;
  ~JwtSigner();

  [[nodiscard]] JwtAlgorithm algorithm() const noexcept { return alg_; }
  // Appends the JWT for these claims to out. query: the unencoded query string ("" = the
  // request has no parameters: no query_hash claim).
  [[nodiscard]] Result<Unit, RequestError> append_token(std::string_view access_key,
                                                        std::string_view nonce,
                                                        std::string_view query, std::string& out);
  // Lower-case hex SHA-512 of text, appended to out (the query_hash).
  [[nodiscard]] Result<Unit, RequestError> append_sha512_hex(std::string_view text,
                                                             std::string& out);

 private:
  struct MacFree {
    void operator()(evp_mac_ctx_st* c) const noexcept;
  };
  struct MdFree {
    void operator()(evp_md_ctx_st* c) const noexcept;
  };
  struct DigestFree {
    void operator()(evp_md_st* d) const noexcept;
  };
  JwtSigner(evp_mac_ctx_st* mac, evp_md_ctx_st* md, evp_md_st* sha512, JwtAlgorithm alg) noexcept
      : mac_(mac), md_(md), sha512_(sha512), alg_(alg) {}
  std::unique_ptr<evp_mac_ctx_st, MacFree> mac_;
  std::unique_ptr<evp_md_ctx_st, MdFree> md_;
  // SHA-512 fetched once: EVP_sha512() would fetch the implementation again at every init.
  std::unique_ptr<evp_md_st, DigestFree> sha512_;
  JwtAlgorithm alg_;
};

struct Credentials {
  std::string_view access_key;
  JwtSigner* signer = nullptr;
};

inline constexpr std::string_view kAuthorizationHeader = "Authorization";
inline constexpr std::size_t kNonceLen = 36;  // a UUID's text: 8-4-4-4-12 hex digits

// RFC 4648 section 5 base64url without padding, appended to out.
void append_base64url(const std::uint8_t* data, std::size_t n, std::string& out);

// A random UUID v4 ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx", lower case) from OpenSSL's CSPRNG.
// Error only when the generator fails.
[[nodiscard]] Result<std::string, RequestError> new_nonce();
// The same from 16 given bytes (version and variant bits set): deterministic, for callers that
// draw their own randomness.
[[nodiscard]] std::string nonce_from_bytes(const std::array<std::uint8_t, 16>& bytes);

// nonce: this request's UUID (the venue refuses one it has seen). A public request ignores it.
[[nodiscard]] Result<net::HttpRequest, RequestError> render(const RestRequest& req,
                                                            const Credentials& creds,
                                                            std::string_view nonce);
// The same into an existing HttpRequest, reusing its buffers (hot path: no allocation once
// the buffers have grown).
[[nodiscard]] Result<Unit, RequestError> render_into(const RestRequest& req,
                                                     const Credentials& creds,
                                                     std::string_view nonce, net::HttpRequest& out);

// The JWT for the private WebSocket (wss://api.upbit.com/websocket/v1/private): no parameters,
// so no query_hash. Send it as "Authorization: Bearer <token>" on the upgrade request.
[[nodiscard]] Result<std::string, RequestError> ws_token(const Credentials& creds,
                                                         std::string_view nonce);

}  // namespace oms::upbit
