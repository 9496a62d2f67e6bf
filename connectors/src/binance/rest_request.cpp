// RestRequest -> HttpRequest: encoding, timestamp, recvWindow, signature.
#include "oms/connectors/binance/rest_request.hpp"

#include <array>
#include <charconv>

namespace oms::binance {

std::string_view to_string(HttpMethod m) noexcept {
  switch (m) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kDelete:
      return "DELETE";
  }
  return "GET";
}

void RestRequest::add(std::string_view key, std::string_view value) {
  params.push_back(QueryParam{std::string(key), std::string(value)});
}

void RestRequest::add(std::string_view key, Decimal value) {
  std::array<char, Decimal::kMaxChars> buf{};
  const std::size_t n = value.format(buf.data());
  params.push_back(QueryParam{std::string(key), std::string(buf.data(), n)});
}

void RestRequest::add_int(std::string_view key, std::int64_t value) {
  std::array<char, 24> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  params.push_back(QueryParam{std::string(key), std::string(buf.data(), r.ptr)});
}

const std::string* RestRequest::find(std::string_view key) const noexcept {
  for (const auto& p : params) {
    if (p.key == key) return &p.value;
  }
  return nullptr;
}

namespace {
void append_params(const RestRequest& req, std::string& out) {
  for (const auto& p : req.params) {
    if (!out.empty()) out.push_back('&');
    signing::append_url_encoded(p.key, out);
    out.push_back('=');
    signing::append_url_encoded(p.value, out);
  }
}

void append_uint(std::string& out, std::uint64_t v) {
  std::array<char, 24> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), r.ptr);
}
}  // namespace

std::string RestRequest::encoded_params() const {
  std::string out;
  append_params(*this, out);
  return out;
}

Result<Unit, RequestError> render_into(const RestRequest& req, const Credentials& creds,
                                       std::int64_t timestamp_ms, net::HttpRequest& out) {
  const bool needs_key = req.security != Security::kNone;
  if (needs_key && creds.api_key.empty()) {
    return Unexpected{RequestError{std::string(req.path) + ": api key required"}};
  }
  if (req.security == Security::kSigned && creds.signer == nullptr) {
    return Unexpected{
        RequestError{std::string(req.path) + ": signer required for a SIGNED endpoint"}};
  }
  if (req.security == Security::kSigned && timestamp_ms <= 0) {
    return Unexpected{RequestError{std::string(req.path) + ": timestamp must be positive"}};
  }
  out.method.assign(to_string(req.method));
  out.headers.clear();
  out.body.clear();
  const bool in_body = req.method == HttpMethod::kPost || req.method == HttpMethod::kPut;
  std::string& payload = in_body ? out.body : out.target;
  out.target.clear();
  append_params(req, payload);
  if (req.security == Security::kSigned) {
    if (creds.recv_window_ms != 0) {
      payload.append(payload.empty() ? "recvWindow=" : "&recvWindow=");
      append_uint(payload, creds.recv_window_ms);
    }
    payload.append(payload.empty() ? "timestamp=" : "&timestamp=");
    append_uint(payload, static_cast<std::uint64_t>(timestamp_ms));
    const std::size_t signed_len = payload.size();
    payload.append("&signature=");
    auto s =
        creds.signer->append_signature(std::string_view(payload).substr(0, signed_len), payload);
    if (!s) return Unexpected{RequestError{std::string(req.path) + ": " + s.error().message}};
  }
  if (in_body) {
    out.target.assign(req.path);
    if (!out.body.empty()) {
      out.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    }
  } else {
    std::string query = std::move(out.target);
    out.target.assign(req.path);
    if (!query.empty()) {
      out.target.push_back('?');
      out.target.append(query);
    }
  }
  if (needs_key) out.headers.emplace_back(std::string(kApiKeyHeader), std::string(creds.api_key));
  return Unit{};
}

Result<net::HttpRequest, RequestError> render(const RestRequest& req, const Credentials& creds,
                                              std::int64_t timestamp_ms) {
  net::HttpRequest out;
  auto r = render_into(req, creds, timestamp_ms, out);
  if (!r) return Unexpected{std::move(r).error()};
  return out;
}

}  // namespace oms::binance
