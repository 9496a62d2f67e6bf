// venue-sim's Upbit front: construction, the REST dispatch (route table with Upbit's request
// groups and the Remaining-Req header), JWT authentication, the fault injector.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "oms/connectors/upbit/instruments.hpp"
#include "upbit_front_impl.hpp"

namespace oms::venue_sim {

using namespace upsim;

namespace upsim {

void refuse(unsigned status, std::string name, std::string message) {
  throw Refusal{status, std::move(name), std::move(message)};
}
void validation(std::string message) { refuse(400, "validation_error", std::move(message)); }

Args Args::from_query(std::string_view query) {
  Params p;
  if (!parse_form(query, p)) validation("query: a malformed %-escape");
  Args a;
  for (auto& [k, v] : p.kv) {
    if (!a.hashed_.empty()) a.hashed_ += '&';
    a.hashed_ += k + "=" + v;
    a.kv_.emplace_back(std::move(k), std::move(v));
  }
  return a;
}

Args Args::from_body(std::string_view body) {
  Args a;
  if (body.empty()) return a;
  const auto j = nlohmann::ordered_json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) validation("body: not a JSON object");
  const auto scalar = [](const nlohmann::ordered_json& v, const std::string& k) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number() || v.is_boolean()) return v.dump();
    validation(k + ": expected a string, a number or a boolean, got " + v.dump());
  };
  const auto add = [&](std::string k, std::string v) {
    if (!a.hashed_.empty()) a.hashed_ += '&';
    a.hashed_ += k + "=" + v;
    a.kv_.emplace_back(std::move(k), std::move(v));
  };
  for (const auto& [k, v] : j.items()) {
    if (v.is_null()) continue;
    if (v.is_array()) {
      for (const auto& x : v) add(k + "[]", scalar(x, k));
    } else {
      add(k, scalar(v, k));
    }
  }
  return a;
}

std::optional<std::string> Args::text(std::string_view k) const {
  std::optional<std::string> out;
  for (const auto& [key, v] : kv_) {
    if (key != k) continue;
    if (out) validation(std::string(k) + ": sent twice");
    out = v;
  }
  if (out && out->empty()) return std::nullopt;
  return out;
}

std::vector<std::string> Args::list(std::string_view k) const {
  std::vector<std::string> out;
  const std::string arr = std::string(k) + "[]";
  for (const auto& [key, v] : kv_) {
    if (key == arr) out.push_back(v);
  }
  return out;
}

std::optional<Decimal> Args::decimal(std::string_view k) const {
  const auto t = text(k);
  if (!t) return std::nullopt;
  auto d = Decimal::parse(*t);
  if (!d.ok()) validation(std::string(k) + ": '" + *t + "' is not a decimal (" + to_string(d.error()) + ")");
  return *d;
}

std::optional<std::int64_t> Args::integer(std::string_view k) const {
  const auto t = text(k);
  if (!t) return std::nullopt;
  std::int64_t x = 0;
  const auto r = std::from_chars(t->data(), t->data() + t->size(), x);
  if (r.ec != std::errc() || r.ptr != t->data() + t->size()) validation(std::string(k) + ": '" + *t + "' is not an integer");
  return x;
}

void Args::only(std::initializer_list<std::string_view> known) const {
  for (const auto& [k, v] : kv_) {
    std::string_view name = k;
    if (name.size() > 2 && name.substr(name.size() - 2) == "[]") name.remove_suffix(2);
    if (std::find(known.begin(), known.end(), name) == known.end())
      validation(std::string(name) + ": not a parameter of this endpoint (venue-sim refuses what it does not know rather than ignore it)");
  }
}

std::string text(Decimal d) { return d.to_string(); }

std::string num(Decimal d) {
  std::string s = d.to_string();
  if (s.find('.') == std::string::npos) s += ".0";  // a Java double's text
  return s;
}

std::string kst(std::int64_t ms) {
  using namespace std::chrono;
  constexpr std::int64_t kKstOffsetMs = 9 * 3'600'000;  // Upbit writes times in KST (+09:00)
  const sys_time<milliseconds> t{milliseconds(ms + kKstOffsetMs)};
  const auto day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss hms(t - day);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d+09:00", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}

Decimal remaining_fee(const OrderMeta& m) {
  if (m.side != Side::kBuy || m.state != "wait") return Decimal{};
  return std::max(Decimal{}, dsub(m.reserved_fee, m.paid_fee));
}

}  // namespace upsim

namespace {

// ---- JWT ------------------------------------------------------------------------------------------
std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else if (c == '=') break;
    else return std::nullopt;
    acc = (acc << 6U) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> static_cast<unsigned>(bits)) & 0xFFU));
    }
  }
  return out;
}

std::string base64url(const unsigned char* p, std::size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < n; i += 3) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16U) | (std::uint32_t{p[i + 1]} << 8U) | p[i + 2];
    for (const unsigned sh : {18U, 12U, 6U, 0U}) out.push_back(kAlphabet[(v >> sh) & 63U]);
  }
  if (i + 1 == n) {
    const std::uint32_t v = std::uint32_t{p[i]} << 16U;
    for (const unsigned sh : {18U, 12U}) out.push_back(kAlphabet[(v >> sh) & 63U]);
  } else if (i + 2 == n) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16U) | (std::uint32_t{p[i + 1]} << 8U);
    for (const unsigned sh : {18U, 12U, 6U}) out.push_back(kAlphabet[(v >> sh) & 63U]);
  }
  return out;
}

std::string sha512_hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (EVP_Digest(s.data(), s.size(), md, &n, EVP_sha512(), nullptr) != 1) throw std::runtime_error("sha512");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kHex[md[i] >> 4U]);
    out.push_back(kHex[md[i] & 15U]);
  }
  return out;
}

// Constant-time equality of two texts (a signature compared byte by byte would leak its prefix).
bool same(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = static_cast<unsigned char>(d | (a[i] ^ b[i]));
  return d == 0;
}

const std::string* header(const net::HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() != name.size()) continue;
    bool eq = true;
    for (std::size_t i = 0; i < k.size() && eq; ++i)
      eq = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    if (eq) return &v;
  }
  return nullptr;
}

std::string error_body(std::string_view name, std::string_view message) {
  JsonOut j;
  j.obj().key("error").obj().kv("name", name).kv("message", message).end_obj().end_obj();
  return j.take();
}

// ---- routes ---------------------------------------------------------------------------------------
enum class Sec : std::uint8_t { kPublic, kSigned };
struct Endpoint {
  std::string_view method, path;
  Sec sec;
  std::string_view group;  // Upbit's request group (Remaining-Req)
  bool order = false;      // an order request (faults: lost_ack, delay_ack, timeout)
};

constexpr Endpoint kEndpoints[] = {
    {"GET", "/v1/market/all", Sec::kPublic, "market"},
    {"GET", "/v1/orderbook", Sec::kPublic, "orderbook"},
    {"GET", "/v1/orderbook/instruments", Sec::kPublic, "orderbook"},
    {"GET", "/v1/ticker", Sec::kPublic, "ticker"},
    {"GET", "/v1/trades/ticks", Sec::kPublic, "trade"},
    {"GET", "/v1/accounts", Sec::kSigned, "default"},
    {"GET", "/v1/orders/chance", Sec::kSigned, "default"},
    {"POST", "/v1/orders", Sec::kSigned, "order", true},
    {"POST", "/v1/orders/test", Sec::kSigned, "order-test"},
    {"POST", "/v1/orders/cancel_and_new", Sec::kSigned, "order", true},
    {"GET", "/v1/order", Sec::kSigned, "default"},
    {"DELETE", "/v1/order", Sec::kSigned, "default", true},
    {"GET", "/v1/orders/open", Sec::kSigned, "default"},
    {"DELETE", "/v1/orders/open", Sec::kSigned, "order-cancel-all", true},
    {"GET", "/v1/orders/closed", Sec::kSigned, "default"},
    {"GET", "/v1/orders/uuids", Sec::kSigned, "default"},
    {"DELETE", "/v1/orders/uuids", Sec::kSigned, "default", true},
};

// Paths venue-sim knows and does not serve (404 naming them rather than a bare not-found).
constexpr std::pair<std::string_view, std::string_view> kNotServed[] = {
    {"/v1/candles/", "candles"},
    {"/v1/ticker/all", "ticker/all (ask /v1/ticker with the markets)"},
    {"/v1/withdraw", "withdrawals"},
    {"/v1/deposit", "deposits"},
    {"/v1/status/wallet", "wallet status"},
    {"/v1/api_keys", "API key listing"},
    {"/v1/travel_rule", "travel rule verification"},
};

// Per second (the window) and per minute; order-cancel-all: one per 2 s.
struct GroupLimit {
  std::string_view group;
  std::uint32_t per_window;
  std::uint32_t window_ms;
};
constexpr GroupLimit kLimits[] = {
    {"market", 10, 1'000}, {"orderbook", 10, 1'000}, {"ticker", 10, 1'000}, {"trade", 10, 1'000},
    {"default", 30, 1'000}, {"order", 8, 1'000},     {"order-test", 8, 1'000}, {"order-cancel-all", 1, 2'000},
};
constexpr std::int64_t kMinuteMs = 60'000;

const GroupLimit& limit_of(std::string_view group) {
  for (const auto& l : kLimits) {
    if (l.group == group) return l;
  }
  return kLimits[4];
}

}  // namespace

UpbitFront::Impl::Impl(UpbitFrontConfig c)
    : cfg(std::move(c)), rng(cfg.seed ^ 0x7570626974666cULL), latency_rng(cfg.seed ^ 0x757062697461ULL),
      uuid_rng(cfg.seed ^ 0x757062697575ULL) {
  venue = std::make_unique<sim::Venue>(Market::kSpot);
  constexpr std::int64_t kSequentialBase = 17'000'000'000'000'000;  // Upbit's sequential_ids: ms * 1000 + n
  next_sequential_id = kSequentialBase;
  for (const auto& m : cfg.markets) {
    if (venue->find_symbol(m.venue.venue_symbol)) throw std::invalid_argument("upbit market " + m.venue.venue_symbol + ": listed twice");
    if (!upbit::tick_size(m.venue.symbol.quote, Decimal::from_raw(Decimal::kOne)).ok())
      throw std::invalid_argument("upbit market " + m.venue.venue_symbol + ": no tick table for quote " + m.venue.symbol.quote);
    const auto idx = venue->add_instrument(m.venue);
    if (idx != markets.size()) throw std::invalid_argument("upbit market index mismatch");
    markets.push_back(m);
    feeds.emplace_back();
  }
  sim::Outbox out;
  for (const auto& spec : cfg.accounts) {
    if (spec.access_key.empty() || spec.secret_key.empty())
      throw std::invalid_argument("upbit account " + spec.name + ": access and secret keys are required");
    if (by_key.count(spec.access_key) != 0) throw std::invalid_argument("upbit account " + spec.name + ": duplicate access key");
    Account a;
    a.spec = spec;
    // Fees are charged by this front in the quote currency (upbit_front.hpp): the core's are zero.
    a.id = venue->add_account({spec.access_key, Decimal{}, Decimal{}});
    for (const auto& [ccy, amount] : spec.balances) {
      if (auto r = venue->deposit(a.id, ccy, amount, 0, out); !r.ok())
        throw std::invalid_argument("upbit account " + spec.name + ": balance " + ccy + ": " + r.error().msg);
    }
    by_key.emplace(spec.access_key, accounts.size());
    accounts.push_back(std::move(a));
  }
}

std::int64_t UpbitFront::Impl::now_ms() const {
  if (cfg.clock_ms) return cfg.clock_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool UpbitFront::Impl::draw(double p) {
  if (p <= 0) return false;
  const std::uint64_t x = splitmix(rng) >> 11U;  // 53 bits
  return static_cast<double>(x) * 0x1.0p-53 < p;
}

std::string UpbitFront::Impl::new_uuid() {
  // A UUID v4's form from the seeded generator (deterministic per seed, never the clock).
  const std::uint64_t hi = (splitmix(uuid_rng) & ~0xF000ULL) | 0x4000ULL;
  const std::uint64_t lo = (splitmix(uuid_rng) & ~(3ULL << 62U)) | (2ULL << 62U);
  const std::string h = bysim::hex16(hi) + bysim::hex16(lo);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

UpbitFront::Impl::Account& UpbitFront::Impl::account_of(sim::ApiKeyId id) {
  for (auto& a : accounts) {
    if (a.id == id) return a;
  }
  throw std::logic_error("upbit front: a venue account without an Upbit account");
}

sim::SymbolIndex UpbitFront::Impl::market_of(std::string_view code, std::string_view field) {
  const auto s = venue->find_symbol(code);
  if (!s) refuse(404, "market_does_not_exist", std::string(field) + ": market '" + std::string(code) + "' does not exist (venue-sim lists " + [&] {
    std::string l;
    for (const auto& m : markets) l += (l.empty() ? "" : ", ") + m.venue.venue_symbol;
    return l;
  }() + ")");
  return *s;
}

UpbitFront::Impl::Account& UpbitFront::Impl::authenticate(const net::HttpRequest& req, const Args& p, std::string_view raw_query) {
  const std::string* auth = header(req, "Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth == nullptr || auth->rfind(kBearer, 0) != 0) refuse(401, "jwt_verification", "Authorization: Bearer <JWT> is required");
  const std::string_view token = std::string_view(*auth).substr(kBearer.size());
  const auto d1 = token.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos) refuse(401, "jwt_verification", "the token is not header.payload.signature");
  const auto head = base64url_decode(token.substr(0, d1));
  const auto body = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  if (!head || !body) refuse(401, "jwt_verification", "the token's header or payload is not base64url");
  const auto h = nlohmann::json::parse(*head, nullptr, false);
  const auto c = nlohmann::json::parse(*body, nullptr, false);
  if (h.is_discarded() || !h.is_object() || c.is_discarded() || !c.is_object())
    refuse(401, "jwt_verification", "the token's header or payload is not a JSON object");
  const std::string alg = h.contains("alg") && h["alg"].is_string() ? h["alg"].get<std::string>() : "";
  const EVP_MD* md = alg == "HS512" ? EVP_sha512() : alg == "HS256" ? EVP_sha256() : nullptr;
  if (md == nullptr) refuse(401, "jwt_verification", "alg '" + alg + "': Upbit signs with HS256 or HS512");
  const auto claim = [&](const char* k) { return c.contains(k) && c[k].is_string() ? c[k].get<std::string>() : std::string(); };
  const std::string key = claim("access_key");
  const auto it = by_key.find(key);
  if (it == by_key.end()) refuse(401, "invalid_access_key", "잘못된 엑세스 키입니다. (access_key '" + key + "' is not known)");
  Account& a = accounts[it->second];
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  const std::string_view signed_part = token.substr(0, d2);
  if (HMAC(md, a.spec.secret_key.data(), static_cast<int>(a.spec.secret_key.size()),
           reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac, &n) == nullptr ||
      !same(base64url(mac, n), token.substr(d2 + 1)))
    refuse(401, "jwt_verification", "JWT 헤더 검증에 실패했습니다. (the signature does not verify with the secret key)");
  if (a.spec.expires_ms != 0 && now_ms() >= a.spec.expires_ms) refuse(401, "expired_access_key", "API 키가 만료되었습니다.");
  const std::string nonce = claim("nonce");
  if (nonce.empty()) refuse(401, "jwt_verification", "the payload has no nonce");
  if (!p.empty()) {
    const std::string hash = claim("query_hash");
    const std::string hash_alg = c.contains("query_hash_alg") ? claim("query_hash_alg") : "SHA512";
    if (hash.empty()) refuse(401, "invalid_query_payload", "the request has parameters: query_hash is required");
    if (hash_alg != "SHA512") refuse(401, "invalid_query_payload", "query_hash_alg '" + hash_alg + "': SHA512");
    if (!same(hash, sha512_hex(p.hashed())) && (raw_query.empty() || !same(hash, sha512_hex(raw_query))))
      refuse(401, "invalid_query_payload", "JWT 페이로드가 올바르지 않습니다. (query_hash is not the SHA-512 of '" + p.hashed() + "')");
  }
  if (!a.nonces.insert(nonce).second) refuse(401, "nonce_used", "이미 요청한 nonce값이 다시 사용되었습니다. (" + nonce + ")");
  return a;
}

bool UpbitFront::Impl::take_rate(std::deque<std::int64_t>& stamps, std::string_view group, std::uint32_t per_window,
                                 std::uint32_t window_ms, std::string& remaining) {
  const std::int64_t now = now_ms();
  while (!stamps.empty() && stamps.front() <= now - kMinuteMs) stamps.pop_front();
  const auto in_window = static_cast<std::uint32_t>(
      std::count_if(stamps.begin(), stamps.end(), [&](std::int64_t t) { return t > now - window_ms; }));
  const std::uint32_t per_minute = per_window * static_cast<std::uint32_t>(kMinuteMs / window_ms);
  const auto in_minute = static_cast<std::uint32_t>(stamps.size());
  const bool ok = cfg.limits.lifted || (in_window < per_window && in_minute < per_minute);
  if (ok) stamps.push_back(now);
  const auto left = [](std::uint32_t cap, std::uint32_t used) { return used >= cap ? 0U : cap - used; };
  remaining = "group=" + std::string(group) + "; min=" + std::to_string(left(per_minute, in_minute + (ok ? 1 : 0))) +
              "; sec=" + std::to_string(left(per_window, in_window + (ok ? 1 : 0)));
  if (cfg.limits.lifted && stamps.size() > per_minute) stamps.pop_front();
  return ok;
}

UpbitFront::Impl::Answer UpbitFront::Impl::dispatch(const net::HttpRequest& req, bool& order_request, bool& drop,
                                                     std::string& remaining) {
  const auto q = req.target.find('?');
  const std::string_view path = std::string_view(req.target).substr(0, q);
  const std::string_view query = q == std::string::npos ? std::string_view{} : std::string_view(req.target).substr(q + 1);
  const Endpoint* ep = nullptr;
  for (const auto& e : kEndpoints) {
    if (e.path == path && e.method == req.method) ep = &e;
  }
  if (ep == nullptr) {
    for (const auto& [prefix, what] : kNotServed) {
      if (path.rfind(prefix, 0) == 0) refuse(404, "not_found", "venue-sim does not serve " + std::string(what) + " (" + std::string(path) + ")");
    }
    for (const auto& e : kEndpoints) {
      if (e.path == path) refuse(405, "method_not_allowed", std::string(path) + " takes " + std::string(e.method));
    }
    refuse(404, "not_found", std::string(path) + " is not an Upbit endpoint venue-sim serves");
  }
  const GroupLimit& gl = limit_of(ep->group);
  if (ep->sec == Sec::kPublic) {
    if (!take_rate(public_windows[std::string(ep->group)], ep->group, gl.per_window, gl.window_ms, remaining))
      refuse(429, "too_many_requests", "Too many API requests. (group " + std::string(ep->group) + ")");
    const Args p = Args::from_query(query);
    if (path == "/v1/market/all") return market_all(p);
    if (path == "/v1/orderbook") return orderbook(p);
    if (path == "/v1/orderbook/instruments") return orderbook_instruments(p);
    if (path == "/v1/ticker") return ticker(p);
    return trades_ticks(p);
  }
  if (req.method == "POST" && !query.empty()) validation("query: POST parameters go in the JSON body");
  const Args p = req.method == "POST" ? Args::from_body(req.body) : Args::from_query(query);
  Account& a = authenticate(req, p, query);
  if (!take_rate(a.windows[std::string(ep->group)], ep->group, gl.per_window, gl.window_ms, remaining))
    refuse(429, "too_many_requests", "Too many API requests. (group " + std::string(ep->group) + ")");
  if (draw(cfg.faults.error_5xx)) refuse(500, "server_error", "Internal Server Error (venue-sim's injected fault: nothing executed)");
  order_request = ep->order;
  if (path == "/v1/orders" && draw(cfg.faults.drop_new)) {
    drop = true;  // a send lost on the way: nothing executed
    return {};
  }
  if (path == "/v1/accounts") return accounts_list(a);
  if (path == "/v1/orders/chance") return chance(a, p);
  if (path == "/v1/orders" || path == "/v1/orders/test") {
    if (path == "/v1/orders/test") test_only = true;
    struct Reset {
      bool& flag;
      ~Reset() { flag = false; }
    } reset{test_only};
    return place(a, p);
  }
  if (path == "/v1/orders/cancel_and_new") return cancel_and_new(a, p);
  if (path == "/v1/order") return req.method == "GET" ? get_order(a, p) : cancel(a, p);
  if (path == "/v1/orders/open") return req.method == "GET" ? open_orders(a, p) : cancel_open(a, p);
  if (path == "/v1/orders/closed") return closed_orders(a, p);
  return req.method == "GET" ? orders_uuids(a, p) : cancel_uuids(a, p);
}

UpbitFront::UpbitFront(UpbitFrontConfig cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {}
UpbitFront::~UpbitFront() = default;

bool UpbitFront::serves(std::string_view target) noexcept { return target.rfind("/v1/", 0) == 0; }

std::int64_t UpbitFront::now_ms() const { return impl_->now_ms(); }

net::DelayedResponse UpbitFront::handle(const net::HttpRequest& req) {
  bool order_request = false, drop = false;
  bool lose = false, delay = false, time_out = false;
  unsigned status = 200;
  std::string body, remaining;
  std::chrono::microseconds latency{0};
  {
    std::lock_guard lock(impl_->mu);
    const std::int64_t now = impl_->now_ms();
    auto& im = *impl_;
    if (im.cfg.faults.ban_after > 0 && req.method == "POST" && req.target == "/v1/orders" &&
        ++im.new_orders_seen == im.cfg.faults.ban_after) {
      im.blocked_until_ms = now + std::int64_t{im.cfg.faults.ban_s} * 1000;
    }
    if (im.blocked_until_ms > now) {
      status = 418;
      body = error_body("too_many_requests", "Too many requests after 429: blocked for " +
                                                 std::to_string((im.blocked_until_ms - now + 999) / 1000) +
                                                 " seconds. (venue-sim)");
    } else {
      try {
        auto a = impl_->dispatch(req, order_request, drop, remaining);
        status = a.status;
        body = std::move(a.body);
      } catch (const Refusal& r) {
        status = r.status;
        body = error_body(r.name, r.message);
      }
      if (status == 429 && !im.cfg.limits.lifted) {
        constexpr std::int64_t kWindowMs = 10'000;
        while (!im.refused_429.empty() && im.refused_429.front() <= now - kWindowMs) im.refused_429.pop_front();
        im.refused_429.push_back(now);
        if (im.refused_429.size() > im.cfg.limits.block_after_429s) {
          im.blocked_until_ms = now + std::int64_t{im.cfg.limits.block_s} * 1000;
          im.refused_429.clear();
        }
      }
    }
    if (order_request && status < 500 && !drop) {
      const auto& f = impl_->cfg.faults;
      lose = impl_->draw(f.lost_ack);
      delay = impl_->draw(f.delay_ack);
      time_out = impl_->draw(f.timeout);
    }
    latency = impl_->cfg.latency.draw(impl_->latency_rng);
  }
  const auto& f = impl_->cfg.faults;
  if (time_out) return {net::HttpResponse{}, latency + std::chrono::milliseconds(f.timeout_ms)};
  if (lose || drop) return {net::HttpResponse{}, latency};  // status 0: the connection is dropped
  if (delay) latency += std::chrono::milliseconds(f.delay_ms);
  net::HttpResponse resp;
  resp.status = status;
  resp.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  if (!remaining.empty()) resp.headers.emplace_back("Remaining-Req", remaining);
  resp.body = std::move(body);
  return {std::move(resp), latency};
}

UpbitAccountSpec default_upbit_account(std::string name, std::string access_key, std::string secret_key) {
  UpbitAccountSpec s;
  s.name = std::move(name);
  s.access_key = std::move(access_key);
  s.secret_key = std::move(secret_key);
  s.balances = {{"KRW", *Decimal::parse("500000000")},
                {"BTC", *Decimal::parse("1")},
                {"ETH", *Decimal::parse("10")},
                {"USDT", *Decimal::parse("10000")}};
  return s;
}

}  // namespace oms::venue_sim
