// Upbit RestRequest -> HttpRequest: query or JSON body, and the JWT (HS512 / HS256 over the
// claims, SHA-512 query_hash); the private WebSocket's token; UUID v4 nonces.
#include "oms/connectors/upbit/rest_request.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>

#include "oms/connectors/signing.hpp"

namespace oms::upbit {

std::string_view to_string(HttpMethod m) noexcept {
  switch (m) {
    case HttpMethod::kPost: return "POST";
    case HttpMethod::kDelete: return "DELETE";
    case HttpMethod::kGet: break;
  }
  return "GET";
}

void RestRequest::add(std::string_view key, std::string_view value) {
  fields.push_back(Field{std::string(key), std::string(value), false});
}

void RestRequest::add(std::string_view key, Decimal value) {
  std::array<char, Decimal::kMaxChars> buf{};
  const std::size_t n = value.format(buf.data());
  fields.push_back(Field{std::string(key), std::string(buf.data(), n), false});
}

void RestRequest::add_int(std::string_view key, std::int64_t value) {
  std::array<char, 24> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  fields.push_back(Field{std::string(key), std::string(buf.data(), r.ptr), true});
}

void RestRequest::add_bool(std::string_view key, bool value) {
  fields.push_back(Field{std::string(key), value ? "true" : "false", true});
}

const std::string* RestRequest::find(std::string_view key) const noexcept {
  for (const auto& f : fields) {
    if (f.key == key) return &f.value;
  }
  return nullptr;
}

namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kSha512Len = 64;
constexpr std::size_t kMaxNonceLen = 64;

void append_json_string(std::string_view s, std::string& out) {
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      constexpr std::string_view kHex = "0123456789abcdef";
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// The venue's name for a JSON key: an array parameter's "[]" is a query-string convention.
bool is_array_key(std::string_view key) noexcept {
  return key.size() > 2 && key.substr(key.size() - 2) == "[]";
}

void append_body(const RestRequest& req, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (const auto& f : req.fields) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(f.key, out);
    out.push_back(':');
    if (f.raw) out.append(f.value);
    else append_json_string(f.value, out);
  }
  out.push_back('}');
}

// encoded: the wire form (values percent-encoded); otherwise the hashed form (as written).
void append_query(const RestRequest& req, bool encoded, std::string& out) {
  bool first = true;
  for (const auto& f : req.fields) {
    if (!first) out.push_back('&');
    first = false;
    out.append(f.key);
    out.push_back('=');
    if (encoded) signing::append_url_encoded(f.value, out);
    else out.append(f.value);
  }
}

// Writes header `index` (reusing its strings' capacity), growing the list when needed.
void set_header(std::vector<net::Header>& headers, std::size_t index, std::string_view name,
                std::string_view value) {
  if (index < headers.size()) {
    headers[index].first.assign(name);
    headers[index].second.assign(value);
  } else {
    headers.emplace_back(std::string(name), std::string(value));
  }
}

bool valid_nonce(std::string_view nonce) noexcept {
  if (nonce.empty() || nonce.size() > kMaxNonceLen) return false;
  for (const char c : nonce) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  }
  return true;
}

// The base64url of each header, computed once.
const std::string& encoded_header(JwtAlgorithm alg) {
  static const std::string hs512 = [] {
    std::string out;
    constexpr std::string_view h = R"({"alg":"HS512","typ":"JWT"})";
    append_base64url(reinterpret_cast<const std::uint8_t*>(h.data()), h.size(), out);
    return out;
  }();
  static const std::string hs256 = [] {
    std::string out;
    constexpr std::string_view h = R"({"alg":"HS256","typ":"JWT"})";
    append_base64url(reinterpret_cast<const std::uint8_t*>(h.data()), h.size(), out);
    return out;
  }();
  return alg == JwtAlgorithm::kHs256 ? hs256 : hs512;
}

}  // namespace

void append_base64url(const std::uint8_t* data, std::size_t n, std::string& out) {
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(kBase64Url[(v >> 18) & 0x3F]);
    out.push_back(kBase64Url[(v >> 12) & 0x3F]);
    out.push_back(kBase64Url[(v >> 6) & 0x3F]);
    out.push_back(kBase64Url[v & 0x3F]);
  }
  if (n - i == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(kBase64Url[(v >> 18) & 0x3F]);
    out.push_back(kBase64Url[(v >> 12) & 0x3F]);
  } else if (n - i == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(kBase64Url[(v >> 18) & 0x3F]);
    out.push_back(kBase64Url[(v >> 12) & 0x3F]);
    out.push_back(kBase64Url[(v >> 6) & 0x3F]);
  }
}

std::string RestRequest::query_string() const {
  std::string out;
  append_query(*this, false, out);
  return out;
}

std::string RestRequest::payload() const {
  std::string out;
  if (method == HttpMethod::kPost) append_body(*this, out);
  else append_query(*this, true, out);
  return out;
}

// ---- JwtSigner --------------------------------------------------------------------------------

void JwtSigner::MacFree::operator()(evp_mac_ctx_st* c) const noexcept { EVP_MAC_CTX_free(c); }
void JwtSigner::MdFree::operator()(evp_md_ctx_st* c) const noexcept { EVP_MD_CTX_free(c); }
void JwtSigner::DigestFree::operator()(evp_md_st* d) const noexcept { EVP_MD_free(d); }

JwtSigner::JwtSigner(JwtSigner&&) noexcept = default;
JwtSigner& JwtSigner::operator=(JwtSigner&&) noexcept = default;
JwtSigner::~JwtSigner() = default;

Result<JwtSigner, RequestError> JwtSigner::create(std::string_view secret, JwtAlgorithm alg) {
  if (secret.empty()) return Unexpected{RequestError{"jwt: empty secret key"}};
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return Unexpected{RequestError{"jwt: OpenSSL has no HMAC"}};
  EVP_MAC_CTX* mctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context holds its own reference
  EVP_MD_CTX* dctx = EVP_MD_CTX_new();
  EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  JwtSigner s(mctx, dctx, sha512, alg);
  if (mctx == nullptr || dctx == nullptr || sha512 == nullptr)
    return Unexpected{RequestError{"jwt: cannot set up HMAC / SHA-512 (OpenSSL)"}};
  char digest512[] = "SHA512";
  char digest256[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       alg == JwtAlgorithm::kHs256 ? digest256 : digest512, 0),
      OSSL_PARAM_END};
  if (EVP_MAC_init(mctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params) != 1)
    return Unexpected{RequestError{"jwt: cannot initialise the HMAC with the secret"}};
  return s;
}

Result<Unit, RequestError> JwtSigner::append_sha512_hex(std::string_view text, std::string& out) {
  std::array<std::uint8_t, kSha512Len> d{};
  unsigned len = 0;
  if (EVP_DigestInit_ex2(md_.get(), sha512_.get(), nullptr) != 1 ||
      EVP_DigestUpdate(md_.get(), text.data(), text.size()) != 1 ||
      EVP_DigestFinal_ex(md_.get(), d.data(), &len) != 1 || len != d.size()) {
    return Unexpected{RequestError{"query_hash: SHA-512 failed"}};
  }
  signing::append_hex(d.data(), d.size(), out);
  return Unit{};
}

Result<Unit, RequestError> JwtSigner::append_token(std::string_view access_key, std::string_view nonce,
                                                   std::string_view query, std::string& out) {
  if (access_key.empty()) return Unexpected{RequestError{"jwt: access key required"}};
  if (!valid_nonce(nonce))
    return Unexpected{RequestError{"jwt: nonce must be 1 to 64 letters, digits or '-' (a UUID)"}};
  // One claims buffer per thread, grown once: a token allocates nothing in steady state.
  thread_local std::string claims;
  claims.assign(R"({"access_key":)");
  append_json_string(access_key, claims);
  claims.append(R"(,"nonce":")");
  claims.append(nonce);
  claims.push_back('"');
  if (!query.empty()) {
    claims.append(R"(,"query_hash":")");
    if (auto h = append_sha512_hex(query, claims); !h) return h;
    claims.append(R"(","query_hash_alg":"SHA512")");
  }
  claims.push_back('}');
  const std::size_t start = out.size();
  out.append(encoded_header(alg_));
  out.push_back('.');
  append_base64url(reinterpret_cast<const std::uint8_t*>(claims.data()), claims.size(), out);
  std::array<std::uint8_t, kSha512Len> mac{};
  std::size_t len = 0;
  const std::size_t want = alg_ == JwtAlgorithm::kHs256 ? 32 : kSha512Len;
  // A null key re-initialises with the key already set (OpenSSL 3): no allocation.
  if (EVP_MAC_init(mac_.get(), nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(mac_.get(), reinterpret_cast<const unsigned char*>(out.data() + start), out.size() - start) != 1 ||
      EVP_MAC_final(mac_.get(), mac.data(), &len, mac.size()) != 1 || len != want) {
    out.resize(start);
    return Unexpected{RequestError{"jwt: HMAC failed"}};
  }
  out.push_back('.');
  append_base64url(mac.data(), len, out);
  return Unit{};
}

// ---- nonces ---------------------------------------------------------------------------------

std::string nonce_from_bytes(const std::array<std::uint8_t, 16>& bytes) {
  std::array<std::uint8_t, 16> b = bytes;
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string hex;
  signing::append_hex(b.data(), b.size(), hex);
  std::string out;
  out.reserve(kNonceLen);
  out.append(hex, 0, 8).append("-").append(hex, 8, 4).append("-").append(hex, 12, 4).append("-");
  out.append(hex, 16, 4).append("-").append(hex, 20, 12);
  return out;
}

Result<std::string, RequestError> new_nonce() {
  std::array<std::uint8_t, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1)
    return Unexpected{RequestError{"nonce: the random generator failed"}};
  return nonce_from_bytes(b);
}

// ---- rendering ------------------------------------------------------------------------------

Result<Unit, RequestError> render_into(const RestRequest& req, const Credentials& creds, std::string_view nonce,
                                       net::HttpRequest& out) {
  const bool is_signed = req.security == Security::kSigned;
  if (is_signed) {
    if (creds.access_key.empty()) return Unexpected{RequestError{req.path + ": access key required"}};
    if (creds.signer == nullptr) return Unexpected{RequestError{req.path + ": signer required for a signed endpoint"}};
  }
  const bool post = req.method == HttpMethod::kPost;
  for (const auto& f : req.fields) {
    if (f.key.empty()) return Unexpected{RequestError{req.path + ": a field without a name"}};
    if (post && is_array_key(f.key))
      return Unexpected{RequestError{req.path + ": " + f.key + ": an array parameter in a JSON body"}};
    if (!post && f.key.find_first_of("&=?# ") != std::string::npos)
      return Unexpected{RequestError{req.path + ": " + f.key + ": not a query parameter name"}};
  }
  out.method.assign(to_string(req.method));
  out.target.assign(req.path);
  out.body.clear();
  if (post) {
    append_body(req, out.body);
  } else if (!req.fields.empty()) {
    out.target.push_back('?');
    append_query(req, true, out.target);
  }
  std::size_t n = 0;
  if (post) set_header(out.headers, n++, "Content-Type", "application/json; charset=utf-8");
  if (is_signed) {
    thread_local std::string query;
    query.clear();
    append_query(req, false, query);
    set_header(out.headers, n, kAuthorizationHeader, "Bearer ");
    std::string& auth = out.headers[n++].second;
    if (auto t = creds.signer->append_token(creds.access_key, nonce, query, auth); !t)
      return Unexpected{RequestError{req.path + ": " + t.error().message}};
  }
  out.headers.resize(n);
  return Unit{};
}

Result<net::HttpRequest, RequestError> render(const RestRequest& req, const Credentials& creds,
                                              std::string_view nonce) {
  net::HttpRequest out;
  auto r = render_into(req, creds, nonce, out);
  if (!r) return Unexpected{std::move(r).error()};
  return out;
}

Result<std::string, RequestError> ws_token(const Credentials& creds, std::string_view nonce) {
  if (creds.signer == nullptr) return Unexpected{RequestError{"ws_token: signer required"}};
  std::string out;
  if (auto t = creds.signer->append_token(creds.access_key, nonce, {}, out); !t)
    return Unexpected{RequestError{"ws_token: " + t.error().message}};
  return out;
}

}  // namespace oms::upbit
