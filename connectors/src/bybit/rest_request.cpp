// Bybit v5 RestRequest -> HttpRequest: query or JSON body, the X-BAPI-* headers, the signature.
#include "oms/connectors/bybit/rest_request.hpp"

#include <array>
#include <charconv>

namespace oms::bybit {

std::string_view to_string(HttpMethod m) noexcept { return m == HttpMethod::kPost ? "POST" : "GET"; }

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

void RestRequest::add_raw(std::string_view key, std::string json) {
  fields.push_back(Field{std::string(key), std::move(json), true});
}

const std::string* RestRequest::find(std::string_view key) const noexcept {
  for (const auto& f : fields) {
    if (f.key == key) return &f.value;
  }
  return nullptr;
}

namespace {

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

void append_payload(const RestRequest& req, std::string& out) {
  if (req.method == HttpMethod::kGet) {
    for (const auto& f : req.fields) {
      if (!out.empty()) out.push_back('&');
      signing::append_url_encoded(f.key, out);
      out.push_back('=');
      signing::append_url_encoded(f.value, out);
    }
    return;
  }
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

void append_uint(std::string& out, std::uint64_t v) {
  std::array<char, 24> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), r.ptr);
}

}  // namespace

std::string RestRequest::payload() const {
  std::string out;
  append_payload(*this, out);
  return out;
}

Result<Unit, RequestError> append_signature(signing::HmacSha256& signer, std::int64_t timestamp_ms,
                                            std::string_view api_key, std::uint32_t recv_window_ms,
                                            std::string_view payload, std::string& out) {
  std::string prehash;
  prehash.reserve(40 + api_key.size() + payload.size());
  append_uint(prehash, static_cast<std::uint64_t>(timestamp_ms));
  prehash.append(api_key);
  append_uint(prehash, recv_window_ms);
  prehash.append(payload);
  auto s = signer.sign_hex(prehash, out);
  if (!s) return Unexpected{RequestError{"signature: " + s.error().message}};
  return Unit{};
}

Result<Unit, RequestError> render_into(const RestRequest& req, const Credentials& creds,
                                       std::int64_t timestamp_ms, net::HttpRequest& out) {
  const bool is_signed = req.security == Security::kSigned;
  if (is_signed && creds.api_key.empty()) {
    return Unexpected{RequestError{req.path + ": api key required"}};
  }
  if (is_signed && creds.signer == nullptr) {
    return Unexpected{RequestError{req.path + ": signer required for a signed endpoint"}};
  }
  if (is_signed && timestamp_ms <= 0) {
    return Unexpected{RequestError{req.path + ": timestamp must be positive"}};
  }
  if (req.method == HttpMethod::kGet) {
    for (const auto& f : req.fields) {
      if (f.raw && (f.value.empty() || f.value[0] == '[' || f.value[0] == '{')) {
        return Unexpected{RequestError{req.path + ": " + f.key + ": a JSON value in a GET query"}};
      }
    }
  }
  out.method.assign(to_string(req.method));
  out.headers.clear();
  out.body.clear();
  out.target.assign(req.path);
  std::string payload;
  append_payload(req, payload);
  if (req.method == HttpMethod::kPost) {
    out.headers.emplace_back("Content-Type", "application/json");
  } else if (!payload.empty()) {
    out.target.push_back('?');
    out.target.append(payload);
  }
  if (is_signed) {
    std::string sign;
    sign.reserve(64);
    if (auto s = append_signature(*creds.signer, timestamp_ms, creds.api_key,
                                  creds.recv_window_ms, payload, sign);
        !s) {
      return Unexpected{RequestError{req.path + ": " + s.error().message}};
    }
    std::string ts, rw;
    append_uint(ts, static_cast<std::uint64_t>(timestamp_ms));
    append_uint(rw, creds.recv_window_ms);
    out.headers.emplace_back(std::string(kApiKeyHeader), std::string(creds.api_key));
    out.headers.emplace_back(std::string(kTimestampHeader), std::move(ts));
    out.headers.emplace_back(std::string(kRecvWindowHeader), std::move(rw));
    out.headers.emplace_back(std::string(kSignHeader), std::move(sign));
  }
  if (req.method == HttpMethod::kPost) out.body = std::move(payload);
  return Unit{};
}

Result<net::HttpRequest, RequestError> render(const RestRequest& req, const Credentials& creds,
                                              std::int64_t timestamp_ms) {
  net::HttpRequest out;
  auto r = render_into(req, creds, timestamp_ms, out);
  if (!r) return Unexpected{std::move(r).error()};
  return out;
}

}  // namespace oms::bybit
