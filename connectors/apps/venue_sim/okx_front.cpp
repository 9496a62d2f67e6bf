// venue-sim's OKX front: construction, the REST dispatch (route table with OKX's per-endpoint
// rate limits), OK-ACCESS-* authentication, the fault injector and the v5 envelope.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <stdexcept>

#include "okx_front_impl.hpp"

namespace oms::venue_sim {

using namespace okxsim;

namespace okxsim {

unsigned http_status(int code) noexcept {
  switch (code) {
    case kUnavailable: return 503;
    case kRateLimit: return 429;
    case kEmpty:
    case kParam: return 400;
    case kExpired:
    case kNoKey:
    case kNoPass:
    case kBadPass:
    case kNoSign:
    case kNoTs:
    case kBadKey:
    case kBadTs:
    case kBadSign: return 401;
    default: return 200;
  }
}

void refuse(int code, std::string msg) { throw Refusal{code, std::move(msg)}; }
void param_error(std::string_view param, std::string_view why) {
  std::string m = "Parameter " + std::string(param) + " error";
  if (!why.empty()) m += " (" + std::string(why) + ")";
  refuse(kParam, std::move(m));
}
void empty_param(std::string_view param) { refuse(kEmpty, "Parameter " + std::string(param) + " can not be empty."); }

Args Args::from_query(std::string_view query) {
  Params p;
  if (!parse_form(query, p)) param_error("query", "a malformed %-escape");
  nlohmann::json j = nlohmann::json::object();
  for (auto& [k, v] : p.kv) {
    if (j.contains(k)) param_error(k, "sent twice");
    j[k] = std::move(v);
  }
  return Args(std::move(j));
}

Args Args::from_body(std::string_view body) {
  if (body.empty()) return Args(nlohmann::json::object());
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) param_error("body", "not a JSON object");
  return Args(std::move(j));
}

const nlohmann::json* Args::find(std::string_view k) const {
  const auto it = j_.find(k);
  if (it == j_.end() || it->is_null()) return nullptr;
  if (it->is_string() && it->get_ref<const std::string&>().empty()) return nullptr;
  return &*it;
}

bool Args::has(std::string_view k) const { return find(k) != nullptr; }

std::optional<std::string> Args::text(std::string_view k) const {
  const auto* v = find(k);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) param_error(k, "expected a string, got " + v->dump());
  return v->get<std::string>();
}

std::string Args::required(std::string_view k) const {
  auto v = text(k);
  if (!v) empty_param(k);
  return *v;
}

std::optional<Decimal> Args::decimal(std::string_view k) const {
  const auto* v = find(k);
  if (v == nullptr) return std::nullopt;
  // OKX's numbers travel as strings; a JSON number is read through its exact text (ccxt sends
  // "sz":"0.1", some clients 0.1).
  const std::string s = v->is_string() ? v->get<std::string>() : v->is_number() ? v->dump() : std::string();
  if (s.empty()) param_error(k, "expected a decimal string, got " + v->dump());
  auto d = Decimal::parse(s);
  if (!d.ok()) param_error(k, "'" + s + "': " + to_string(d.error()));
  return *d;
}

std::optional<std::int64_t> Args::integer(std::string_view k) const {
  const auto* v = find(k);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    std::int64_t x = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), x);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return x;
  }
  param_error(k, "expected an integer, got " + v->dump());
}

std::optional<bool> Args::boolean(std::string_view k) const {
  const auto* v = find(k);
  if (v == nullptr) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string() && (*v == "true" || *v == "false")) return *v == "true";
  param_error(k, "expected true or false, got " + v->dump());
}

void Args::only(std::initializer_list<std::string_view> known) const {
  for (const auto& [k, v] : j_.items()) {
    if (std::find(known.begin(), known.end(), k) == known.end())
      param_error(k, "venue-sim refuses a parameter it does not know rather than ignore it");
  }
}

std::string text(Decimal d) { return d.to_string(); }

Decimal to_core(const OkxInstrument& in, Decimal sz) { return in.ct_val.is_zero() ? sz : dmul(sz, in.ct_val); }
Decimal to_okx(const OkxInstrument& in, Decimal qty) { return in.ct_val.is_zero() ? qty : ddiv(qty, in.ct_val); }

std::string iso_ms(std::int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(ms)};
  const auto day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss hms(t - day);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

std::optional<std::int64_t> parse_iso_ms(std::string_view s) {
  // yyyy-mm-ddThh:mm:ss.sssZ exactly (OKX: "ISO format with millisecond").
  constexpr std::size_t kLen = 24;
  if (s.size() != kLen || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' ||
      s[23] != 'Z')
    return std::nullopt;
  auto num = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), se = num(17, 2), ms = num(20, 3);
  if (!y || !mo || !d || !h || !mi || !se || !ms || *h > 23 || *mi > 59 || *se > 59) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  const auto t = sys_days(ymd).time_since_epoch() + hours(*h) + minutes(*mi) + seconds(*se) + milliseconds(*ms);
  return duration_cast<milliseconds>(t).count();
}

}  // namespace okxsim

namespace {

enum class Sec : std::uint8_t { kPublic, kSigned };
enum class Kind : std::uint8_t { kQuery, kOrder, kNewOrder, kBatch, kNewBatch };
struct Endpoint {
  std::string_view method, path;
  Sec sec;
  Kind kind;
  // OKX's rate limit (docs-v5, each endpoint's "Rate Limit"): requests per 2 s, per user ID,
  // and per instrument ID where OKX says "User ID + Instrument ID"; 0 = none (public: IP).
  std::uint32_t per_2s;
  bool per_instrument;
};

constexpr std::int64_t kWindowMs = 2'000;
constexpr Endpoint kEndpoints[] = {
    {"GET", "/api/v5/public/time", Sec::kPublic, Kind::kQuery, 0, false},
    {"GET", "/api/v5/public/instruments", Sec::kPublic, Kind::kQuery, 0, false},
    {"GET", "/api/v5/market/books", Sec::kPublic, Kind::kQuery, 0, false},
    {"GET", "/api/v5/market/ticker", Sec::kPublic, Kind::kQuery, 0, false},
    {"GET", "/api/v5/market/tickers", Sec::kPublic, Kind::kQuery, 0, false},
    {"GET", "/api/v5/market/trades", Sec::kPublic, Kind::kQuery, 0, false},
    {"POST", "/api/v5/trade/order", Sec::kSigned, Kind::kNewOrder, 60, true},
    {"POST", "/api/v5/trade/batch-orders", Sec::kSigned, Kind::kNewBatch, 300, true},
    {"POST", "/api/v5/trade/cancel-order", Sec::kSigned, Kind::kOrder, 60, true},
    {"POST", "/api/v5/trade/cancel-batch-orders", Sec::kSigned, Kind::kBatch, 300, true},
    {"POST", "/api/v5/trade/amend-order", Sec::kSigned, Kind::kOrder, 60, true},
    {"POST", "/api/v5/trade/amend-batch-orders", Sec::kSigned, Kind::kBatch, 300, true},
    {"GET", "/api/v5/trade/order", Sec::kSigned, Kind::kQuery, 60, true},
    {"GET", "/api/v5/trade/orders-pending", Sec::kSigned, Kind::kQuery, 60, false},
    {"GET", "/api/v5/trade/orders-history", Sec::kSigned, Kind::kQuery, 40, false},
    {"GET", "/api/v5/trade/orders-history-archive", Sec::kSigned, Kind::kQuery, 20, false},
    {"GET", "/api/v5/trade/fills", Sec::kSigned, Kind::kQuery, 60, false},
    {"GET", "/api/v5/trade/fills-history", Sec::kSigned, Kind::kQuery, 10, false},
    {"GET", "/api/v5/account/balance", Sec::kSigned, Kind::kQuery, 10, false},
    {"GET", "/api/v5/account/positions", Sec::kSigned, Kind::kQuery, 10, false},
    {"POST", "/api/v5/account/set-leverage", Sec::kSigned, Kind::kQuery, 20, false},
    {"POST", "/api/v5/account/set-position-mode", Sec::kSigned, Kind::kQuery, 5, false},
    {"GET", "/api/v5/account/config", Sec::kSigned, Kind::kQuery, 5, false},
    {"GET", "/api/v5/account/trade-fee", Sec::kSigned, Kind::kQuery, 5, false},
    {"GET", "/api/v5/asset/currencies", Sec::kSigned, Kind::kQuery, 6, false},
    {"POST", "/api/v5/asset/transfer", Sec::kSigned, Kind::kQuery, 4, false},        // 2 a second
    {"GET", "/api/v5/asset/transfer-state", Sec::kSigned, Kind::kQuery, 20, false},  // 10 a second
    {"POST", "/api/v5/trade/order-algo", Sec::kSigned, Kind::kNewOrder, 20, true},
    {"POST", "/api/v5/trade/cancel-algos", Sec::kSigned, Kind::kBatch, 20, true},
    {"GET", "/api/v5/trade/order-algo", Sec::kSigned, Kind::kQuery, 20, false},
    {"GET", "/api/v5/trade/orders-algo-pending", Sec::kSigned, Kind::kQuery, 20, false},
    {"GET", "/api/v5/trade/orders-algo-history", Sec::kSigned, Kind::kQuery, 20, false},
};

// Endpoints venue-sim knows by name and refuses (a client sees what is missing, not a 404).
constexpr std::pair<std::string_view, std::string_view> kRefused[] = {
    {"/api/v5/trade/amend-algos", "amending algo orders (cancel and place again)"},
    {"/api/v5/trade/close-position", "close-position (send a reduceOnly market order)"},
    {"/api/v5/trade/cancel-all-after", "cancel-all-after"},
    {"/api/v5/account/position/margin-balance", "isolated margin adjustment"},
    {"/api/v5/asset/balances", "the funding account"},
};

const Endpoint* endpoint_of(std::string_view path, std::string_view method) {
  for (const auto& e : kEndpoints) {
    if (e.path == path && e.method == method) return &e;
  }
  return nullptr;
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

std::string envelope(int code, std::string_view msg, std::string_view data) {
  JsonOut j;
  j.obj().kv("code", std::to_string(code)).kv("msg", msg).key("data").raw(data).end_obj();
  return j.take();
}

// How far OK-ACCESS-TIMESTAMP may be from the server's clock (OKX: "the request will be
// considered expired if the timestamp is more than 30 seconds away from the server time").
constexpr std::int64_t kTimestampWindowMs = 30'000;

}  // namespace

OkxFront::Impl::Impl(OkxFrontConfig c) : cfg(std::move(c)), rng(cfg.seed ^ 0x6f6b78666c74ULL), latency_rng(cfg.seed ^ 0x6f6b786c6174ULL) {
  std::uint64_t s = cfg.seed ^ 0x6f6b786f7264ULL;
  // OKX's ordIds are 18-19 digit numbers growing with time; venue-sim's start at a seeded
  // point of that range and grow by one per order (billIds and tradeIds likewise).
  constexpr std::uint64_t kOrdIdBase = 600'000'000'000'000'000ULL, kSpread = 100'000'000'000'000'000ULL;
  next_ord_id = kOrdIdBase + splitmix(s) % kSpread;
  next_bill_id = kOrdIdBase + splitmix(s) % kSpread;
  constexpr std::uint64_t kTradeIdBase = 100'000'000;
  next_trade_id = kTradeIdBase + splitmix(s) % kTradeIdBase;
  next_pos_id = kOrdIdBase + splitmix(s) % kSpread;
  next_algo_id = kOrdIdBase + splitmix(s) % kSpread;
  spot.market = Market::kSpot;
  swap.market = Market::kUsdm;
  spot.venue = std::make_unique<sim::Venue>(Market::kSpot);
  swap.venue = std::make_unique<sim::Venue>(Market::kUsdm);
  for (Category* cat : {&spot, &swap}) {
    for (const auto& ins : cat->spot() ? cfg.spot_instruments : cfg.swap_instruments) {
      if (ins.venue.market != cat->market) throw std::invalid_argument("okx instrument " + ins.venue.venue_symbol + ": wrong market");
      if (spot.venue->find_symbol(ins.venue.venue_symbol) || swap.venue->find_symbol(ins.venue.venue_symbol))
        throw std::invalid_argument("okx instrument " + ins.venue.venue_symbol + ": listed twice");
      if (!cat->spot() && !ins.ct_val.is_positive()) throw std::invalid_argument("okx instrument " + ins.venue.venue_symbol + ": ctVal must be positive");
      const auto idx = cat->venue->add_instrument(ins.venue);
      if (idx != cat->instruments.size()) throw std::invalid_argument("okx instrument index mismatch");
      cat->instruments.push_back(ins);
      cat->feeds.emplace_back();
    }
  }
  sim::Outbox out;
  std::uint64_t uid_seed = cfg.seed ^ 0x6f6b78756964ULL;
  for (const auto& spec : cfg.accounts) {
    if (spec.api_key.empty() || spec.api_secret.empty() || spec.passphrase.empty())
      throw std::invalid_argument("okx account " + spec.name + ": api_key, api_secret and passphrase are required");
    if (by_key.count(spec.api_key) != 0) throw std::invalid_argument("okx account " + spec.name + ": duplicate api_key");
    Account a;
    a.spec = spec;
    auto mac = signing::HmacSha256::create(spec.api_secret);
    if (!mac.ok()) throw std::invalid_argument("okx account " + spec.name + ": " + mac.error().message);
    a.mac = std::make_unique<signing::HmacSha256>(std::move(mac).value());
    constexpr std::uint64_t kUidBase = 100'000'000'000'000ULL;
    a.uid = std::to_string(kUidBase + splitmix(uid_seed) % kUidBase);
    a.spot_id = spot.venue->add_account({spec.api_key, spec.spot_maker, spec.spot_taker});
    a.swap_id = swap.venue->add_account({spec.api_key, spec.swap_maker, spec.swap_taker});
    for (const auto& [ccy, amount] : spec.spot_balances) {
      if (auto r = spot.venue->deposit(a.spot_id, ccy, amount, 0, out); !r.ok())
        throw std::invalid_argument("okx account " + spec.name + ": balance " + ccy + ": " + r.error().msg);
    }
    if (!spec.swap_usdt.is_zero()) {
      if (auto r = swap.venue->deposit(a.swap_id, "USDT", spec.swap_usdt, 0, out); !r.ok())
        throw std::invalid_argument("okx account " + spec.name + ": swap USDT: " + r.error().msg);
    }
    by_key.emplace(spec.api_key, accounts.size());
    accounts.push_back(std::move(a));
  }
}

std::int64_t OkxFront::Impl::now_ms() const {
  if (cfg.clock_ms) return cfg.clock_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool OkxFront::Impl::draw(double p) {
  if (p <= 0) return false;
  const std::uint64_t x = splitmix(rng) >> 11U;  // 53 bits
  return static_cast<double>(x) * 0x1.0p-53 < p;
}

UnifiedAccount& OkxFront::Impl::account_of(Market m, sim::ApiKeyId id) {
  for (auto& a : accounts) {
    if ((m == Market::kSpot ? a.spot_id : a.swap_id) == id) return a;
  }
  throw std::logic_error("okx front: a venue account without an OKX account");
}

OrderMeta& OkxFront::Impl::meta(const Category& c, sim::SymbolIndex s, std::int64_t id) {
  return orders[OrderKey{c.market, s, id}];
}

std::optional<std::pair<Category*, sim::SymbolIndex>> OkxFront::Impl::instrument(std::string_view inst_id) {
  for (Category* c : {&spot, &swap}) {
    if (const auto s = c->venue->find_symbol(inst_id)) return std::pair{c, *s};
  }
  return std::nullopt;
}

std::pair<Category*, sim::SymbolIndex> OkxFront::Impl::instrument_of(const Args& p) {
  const std::string id = p.required("instId");
  const auto r = instrument(id);
  if (!r) refuse(kNoInstrument, "Instrument ID does not exist. (" + id + ": venue-sim lists BTC-USDT, ETH-USDT and their -SWAP)");
  return *r;
}

bool OkxFront::Impl::take_rate(Account& a, std::string_view path, std::string_view inst, std::uint32_t units,
                               std::string_view method) {
  const Endpoint* e = endpoint_of(path, method);
  if (e == nullptr || e->per_2s == 0) return true;
  const std::int64_t now = now_ms();
  std::string key = std::string(method) + " " + std::string(path);
  if (e->per_instrument) key += "|" + std::string(inst);
  auto& stamps = a.windows[key];
  while (!stamps.empty() && stamps.front() <= now - kWindowMs) stamps.pop_front();
  if (!cfg.limits.lifted && stamps.size() + units > e->per_2s) return false;
  for (std::uint32_t i = 0; i < units; ++i) stamps.push_back(now);
  if (cfg.limits.lifted && stamps.size() > e->per_2s) stamps.erase(stamps.begin(), stamps.end() - e->per_2s);
  return true;
}

OkxFront::Impl::Answer OkxFront::Impl::dispatch(const net::HttpRequest& req, bool& order_request, bool& drop) {
  const auto q = req.target.find('?');
  const std::string_view path = std::string_view(req.target).substr(0, q);
  const std::string_view query = q == std::string::npos ? std::string_view{} : std::string_view(req.target).substr(q + 1);
  for (const auto& [p, what] : kRefused) {
    if (path == p) refuse(kNotServed, "venue-sim does not serve " + std::string(what) + " (" + std::string(path) + ")");
  }
  const Endpoint* ep = endpoint_of(path, req.method);
  if (ep == nullptr) {
    for (const auto& e : kEndpoints) {
      if (e.path == path) refuse(kNotServed, std::string(path) + " takes " + std::string(e.method));
    }
    throw Refusal{404, std::string(path) + " is not an OKX v5 endpoint venue-sim serves"};
  }
  if (ep->sec == Sec::kPublic) {
    const Args p = Args::from_query(query);
    if (path == "/api/v5/public/time") return public_time();
    if (path == "/api/v5/public/instruments") return public_instruments(p);
    if (path == "/api/v5/market/books") return market_books(p);
    if (path == "/api/v5/market/ticker") return market_ticker(p, false);
    if (path == "/api/v5/market/tickers") return market_ticker(p, true);
    return market_trades(p);
  }

  // Signed: OK-ACCESS-SIGN = Base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath
  // (with its query) + body)).
  const std::string* key = header(req, "OK-ACCESS-KEY");
  const std::string* pass = header(req, "OK-ACCESS-PASSPHRASE");
  const std::string* sign = header(req, "OK-ACCESS-SIGN");
  const std::string* ts = header(req, "OK-ACCESS-TIMESTAMP");
  if (key == nullptr || key->empty()) refuse(kNoKey, "Request header OK-ACCESS-KEY can not be empty.");
  if (pass == nullptr || pass->empty()) refuse(kNoPass, "Request header OK-ACCESS-PASSPHRASE can not be empty.");
  if (sign == nullptr || sign->empty()) refuse(kNoSign, "Request header OK-ACCESS-SIGN can not be empty.");
  if (ts == nullptr || ts->empty()) refuse(kNoTs, "Request header OK-ACCESS-TIMESTAMP can not be empty.");
  const auto at = parse_iso_ms(*ts);
  if (!at) refuse(kBadTs, "Invalid OK-ACCESS-TIMESTAMP ('" + *ts + "' is not yyyy-MM-ddTHH:mm:ss.SSSZ)");
  const auto it = by_key.find(*key);
  if (it == by_key.end()) refuse(kBadKey, "Invalid OK-ACCESS-KEY");
  Account& a = accounts[it->second];
  const std::int64_t now = now_ms();
  if (*at < now - kTimestampWindowMs || *at > now + kTimestampWindowMs)
    refuse(kExpired, "Timestamp request expired (" + *ts + ", server " + iso_ms(now) + ")");
  if (*pass != a.spec.passphrase) refuse(kBadPass, "OK-ACCESS-PASSPHRASE incorrect.");
  std::string expect;
  if (!a.mac->sign_base64(*ts + req.method + req.target + req.body, expect).ok() || expect != *sign)
    refuse(kBadSign, "Invalid Sign");
  if (draw(cfg.faults.error_5xx)) refuse(kUnavailable, "Service temporarily unavailable. Please try again later.");

  if (ep->kind != Kind::kQuery) order_request = true;
  nlohmann::json body = nlohmann::json::object();
  if (req.method == "POST") {
    if (!query.empty()) param_error("query", "POST parameters go in the JSON body");
    body = nlohmann::json::parse(req.body, nullptr, false);
    const bool batch = ep->kind == Kind::kBatch || ep->kind == Kind::kNewBatch;
    if (body.is_discarded() || (batch ? !body.is_array() : !body.is_object()))
      param_error("body", batch ? "expected a JSON array of orders" : "expected a JSON object");
  }
  if (ep->kind == Kind::kBatch || ep->kind == Kind::kNewBatch) {
    if (ep->kind == Kind::kNewBatch && draw(cfg.faults.drop_new)) {
      drop = true;
      return {};
    }
    if (path == "/api/v5/trade/batch-orders") return place(a, body, true);
    if (path == "/api/v5/trade/cancel-algos") return cancel_algos(a, body);
    if (path == "/api/v5/trade/cancel-batch-orders") return cancel(a, body, true);
    return amend(a, body, true);
  }
  const Args p = req.method == "GET" ? Args::from_query(query) : Args(body);
  if (!take_rate(a, path, p.json().value("instId", ""), 1, req.method)) refuse(kRateLimit, "Too Many Requests");
  if (ep->kind == Kind::kNewOrder && draw(cfg.faults.drop_new)) {
    drop = true;  // a send lost on the way: nothing executed
    return {};
  }
  if (path == "/api/v5/trade/order") return req.method == "POST" ? place(a, body, false) : get_order(a, p);
  if (path == "/api/v5/trade/order-algo") return req.method == "POST" ? place_algo(a, p) : get_algo(a, p);
  if (path == "/api/v5/trade/orders-algo-pending") return algos(a, p, true);
  if (path == "/api/v5/trade/orders-algo-history") return algos(a, p, false);
  if (path == "/api/v5/trade/cancel-order") return cancel(a, body, false);
  if (path == "/api/v5/trade/amend-order") return amend(a, body, false);
  if (path == "/api/v5/trade/orders-pending") return orders_pending(a, p);
  if (path == "/api/v5/trade/orders-history" || path == "/api/v5/trade/orders-history-archive") {
    return orders_history(a, p, path == "/api/v5/trade/orders-history-archive");
  }
  if (path == "/api/v5/trade/fills" || path == "/api/v5/trade/fills-history") return fills(a, p, path == "/api/v5/trade/fills-history");
  if (path == "/api/v5/account/balance") return balance(a, p);
  if (path == "/api/v5/account/positions") return positions(a, p);
  if (path == "/api/v5/account/set-leverage") return set_leverage(a, p);
  if (path == "/api/v5/account/set-position-mode") return set_position_mode(a, p);
  if (path == "/api/v5/account/config") return account_config(a);
  if (path == "/api/v5/asset/currencies") return currencies(p);
  if (path == "/api/v5/asset/transfer") {
    order_request = true;  // moves money as an order does: its answer may be lost, late or time out
    return funds_transfer(a, p);
  }
  if (path == "/api/v5/asset/transfer-state") return funds_transfer_state(a, p);
  return trade_fee(a, p);
}

OkxFront::OkxFront(OkxFrontConfig cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {}
OkxFront::~OkxFront() = default;

bool OkxFront::serves(std::string_view target) noexcept { return target.rfind("/api/v5/", 0) == 0; }

std::int64_t OkxFront::now_ms() const { return impl_->now_ms(); }

net::DelayedResponse OkxFront::handle(const net::HttpRequest& req) {
  bool order_request = false, drop = false;
  bool lose = false, delay = false, time_out = false;
  unsigned status = 200;
  std::string body;
  std::chrono::microseconds latency{0};
  {
    std::lock_guard lock(impl_->mu);
    try {
      const auto a = impl_->dispatch(req, order_request, drop);
      body = envelope(a.code, a.msg, a.data);
    } catch (const Refusal& r) {
      constexpr int kNotFound = 404;
      status = r.code == kNotFound ? 404 : http_status(r.code);
      body = envelope(r.code, r.msg, "[]");
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
  resp.headers.emplace_back("Content-Type", "application/json");
  resp.body = std::move(body);
  return {std::move(resp), latency};
}

OkxAccountSpec default_okx_account(std::string name, std::string api_key, std::string api_secret, std::string passphrase) {
  OkxAccountSpec s;
  s.name = std::move(name);
  s.api_key = std::move(api_key);
  s.api_secret = std::move(api_secret);
  s.passphrase = std::move(passphrase);
  s.spot_balances = {{"USDT", *Decimal::parse("100000")}, {"BTC", *Decimal::parse("1")}, {"ETH", *Decimal::parse("10")}};
  s.swap_usdt = *Decimal::parse("100000");
  return s;
}

}  // namespace oms::venue_sim
