// OKX v5 RestRequest -> HttpRequest: query or JSON body, the OK-ACCESS-* headers, the
// signature; the WebSocket login message.
#include "oms/connectors/okx/rest_request.hpp"

#include <array>
#include <charconv>

namespace oms::okx {

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

void append_object(const std::vector<Field>& fields, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (const auto& f : fields) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(f.key, out);
    out.push_back(':');
    if (f.raw) out.append(f.value);
    else append_json_string(f.value, out);
  }
  out.push_back('}');
}

void append_query(const RestRequest& req, std::string& out) {
  bool first = true;
  for (const auto& f : req.fields) {
    if (!first) out.push_back('&');
    first = false;
    signing::append_url_encoded(f.key, out);
    out.push_back('=');
    signing::append_url_encoded(f.value, out);
  }
}

void append_body(const RestRequest& req, std::string& out) {
  if (req.items.empty()) {
    append_object(req.fields, out);
    return;
  }
  out.push_back('[');
  for (std::size_t i = 0; i < req.items.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_object(req.items[i], out);
  }
  out.push_back(']');
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

// 0000-00-00 digits: days since 1970-01-01 -> civil date (H. Hinnant's days_from_civil inverse).
struct Civil {
  std::int64_t year;
  unsigned month, day;
};
Civil civil_from_days(std::int64_t z) noexcept {
  constexpr std::int64_t kEraDays = 146097, kShift = 719468;
  z += kShift;
  const std::int64_t era = (z >= 0 ? z : z - (kEraDays - 1)) / kEraDays;
  const auto doe = static_cast<unsigned>(z - era * kEraDays);                  // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  return Civil{static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

void append_digits(std::string& out, std::uint64_t v, int width) {
  std::array<char, 20> buf{};
  for (int i = width - 1; i >= 0; --i) {
    buf[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf.data(), static_cast<std::size_t>(width));
}

void append_uint(std::string& out, std::uint64_t v) {
  std::array<char, 24> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), r.ptr);
}

}  // namespace

void append_iso_timestamp(std::int64_t unix_ms, std::string& out) {
  constexpr std::int64_t kMsPerDay = 86'400'000;
  if (unix_ms < 0) unix_ms = 0;  // documented precondition; never a date before the epoch
  const std::int64_t days = unix_ms / kMsPerDay;
  const auto in_day = static_cast<std::uint64_t>(unix_ms % kMsPerDay);
  const Civil c = civil_from_days(days);
  append_digits(out, static_cast<std::uint64_t>(c.year), 4);
  out.push_back('-');
  append_digits(out, c.month, 2);
  out.push_back('-');
  append_digits(out, c.day, 2);
  out.push_back('T');
  append_digits(out, in_day / 3'600'000, 2);
  out.push_back(':');
  append_digits(out, in_day / 60'000 % 60, 2);
  out.push_back(':');
  append_digits(out, in_day / 1000 % 60, 2);
  out.push_back('.');
  append_digits(out, in_day % 1000, 3);
  out.push_back('Z');
}

std::string iso_timestamp(std::int64_t unix_ms) {
  std::string out;
  append_iso_timestamp(unix_ms, out);
  return out;
}

std::string RestRequest::payload() const {
  std::string out;
  if (method == HttpMethod::kGet) append_query(*this, out);
  else append_body(*this, out);
  return out;
}

Result<Unit, RequestError> append_signature(signing::HmacSha256& signer, std::string_view timestamp,
                                            std::string_view method, std::string_view request_path,
                                            std::string_view body, std::string& out) {
  // One prehash buffer per thread, grown once: signing allocates nothing in steady state.
  thread_local std::string prehash;
  prehash.clear();
  prehash.append(timestamp);
  prehash.append(method);
  prehash.append(request_path);
  prehash.append(body);
  auto s = signer.sign_base64(prehash, out);
  if (!s) return Unexpected{RequestError{"signature: " + s.error().message}};
  return Unit{};
}

Result<Unit, RequestError> render_into(const RestRequest& req, const Credentials& creds,
                                       std::int64_t unix_ms, net::HttpRequest& out) {
  const bool is_signed = req.security == Security::kSigned;
  if (is_signed) {
    if (creds.api_key.empty()) return Unexpected{RequestError{req.path + ": api key required"}};
    if (creds.passphrase.empty()) return Unexpected{RequestError{req.path + ": passphrase required"}};
    if (creds.signer == nullptr)
      return Unexpected{RequestError{req.path + ": signer required for a signed endpoint"}};
    if (unix_ms <= 0) return Unexpected{RequestError{req.path + ": timestamp must be positive"}};
  }
  const bool post = req.method == HttpMethod::kPost;
  if (!post) {
    if (!req.items.empty()) return Unexpected{RequestError{req.path + ": batch items in a GET"}};
    for (const auto& f : req.fields) {
      if (f.raw && (f.value.empty() || f.value[0] == '[' || f.value[0] == '{'))
        return Unexpected{RequestError{req.path + ": " + f.key + ": a JSON value in a GET query"}};
    }
  } else if (!req.items.empty() && !req.fields.empty()) {
    return Unexpected{RequestError{req.path + ": both batch items and object fields"}};
  }
  out.method.assign(to_string(req.method));
  out.target.assign(req.path);
  out.body.clear();
  if (post) {
    append_body(req, out.body);
  } else if (!req.fields.empty()) {
    out.target.push_back('?');
    append_query(req, out.target);
  }
  std::size_t n = 0;
  if (post) set_header(out.headers, n++, "Content-Type", "application/json");
  if (is_signed) {
    set_header(out.headers, n++, kApiKeyHeader, creds.api_key);
    set_header(out.headers, n++, kPassphraseHeader, creds.passphrase);
    set_header(out.headers, n, kTimestampHeader, {});
    std::string& ts = out.headers[n++].second;
    append_iso_timestamp(unix_ms, ts);
    set_header(out.headers, n, kSignHeader, {});
    std::string& sign = out.headers[n++].second;
    // requestPath is the target as sent (path + "?query"); the body empty on a GET.
    if (auto s = append_signature(*creds.signer, out.headers[n - 2].second, out.method, out.target,
                                  out.body, sign);
        !s) {
      return Unexpected{RequestError{req.path + ": " + s.error().message}};
    }
  }
  if (creds.simulated) set_header(out.headers, n++, kSimulatedHeader, "1");
  out.headers.resize(n);
  return Unit{};
}

Result<net::HttpRequest, RequestError> render(const RestRequest& req, const Credentials& creds,
                                              std::int64_t unix_ms) {
  net::HttpRequest out;
  auto r = render_into(req, creds, unix_ms, out);
  if (!r) return Unexpected{std::move(r).error()};
  return out;
}

Result<std::string, RequestError> ws_login(const Credentials& creds, std::int64_t unix_seconds) {
  if (creds.api_key.empty()) return Unexpected{RequestError{"login: api key required"}};
  if (creds.passphrase.empty()) return Unexpected{RequestError{"login: passphrase required"}};
  if (creds.signer == nullptr) return Unexpected{RequestError{"login: signer required"}};
  if (unix_seconds <= 0) return Unexpected{RequestError{"login: timestamp must be positive"}};
  std::string ts;
  append_uint(ts, static_cast<std::uint64_t>(unix_seconds));
  std::string sign;
  if (auto s = append_signature(*creds.signer, ts, "GET", "/users/self/verify", {}, sign); !s)
    return Unexpected{RequestError{"login: " + s.error().message}};
  std::string out = R"({"op":"login","args":[{"apiKey":)";
  append_json_string(creds.api_key, out);
  out.append(R"(,"passphrase":)");
  append_json_string(creds.passphrase, out);
  out.append(R"(,"timestamp":)");
  append_json_string(ts, out);
  out.append(R"(,"sign":)");
  append_json_string(sign, out);
  out.append("}]}");
  return out;
}

}  // namespace oms::okx
