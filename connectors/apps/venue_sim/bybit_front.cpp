// venue-sim's Bybit front: construction, the REST dispatch (route table, parameters), Bybit's
// signature and recv-window checks, the per-UID rate limits with their X-Bapi-Limit* headers,
// the fault injector and the v5 envelope.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "bybit_front_impl.hpp"
#include "oms/connectors/bybit/rest_request.hpp"

namespace oms::venue_sim {

using namespace bysim;

namespace bysim {

void refuse(int code, std::string msg) { throw Refusal{code, std::move(msg)}; }
void params_error(std::string_view what) { refuse(kParamsError, "params error: " + std::string(what)); }

Args Args::from_query(std::string_view query) {
  Params p;
  if (!parse_form(query, p)) params_error("the query string has a malformed %-escape");
  nlohmann::json j = nlohmann::json::object();
  for (auto& [k, v] : p.kv) {
    if (j.contains(k)) params_error(k + ": sent twice");
    j[k] = std::move(v);
  }
  return Args(std::move(j));
}

Args Args::from_body(std::string_view body) {
  if (body.empty()) return Args(nlohmann::json::object());
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) params_error("the body is not a JSON object");
  return Args(std::move(j));
}

const nlohmann::json* Args::find(std::string_view k) const {
  const auto it = j_.find(k);
  if (it == j_.end() || it->is_null()) return nullptr;
  if (it->is_string() && it->get_ref<const std::string&>().empty()) return nullptr;
  return &*it;
}

bool Args::has(std::string_view k) const { return find(k) != nullptr; }
const nlohmann::json* Args::raw(std::string_view k) const { return find(k); }

std::optional<std::string> Args::text(std::string_view k) const {
  const auto* v = find(k);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) params_error(std::string(k) + ": expected a string, got " + v->dump());
  return v->get<std::string>();
}

std::string Args::required_text(std::string_view k) const {
  auto v = text(k);
  if (!v) params_error(std::string(k) + ": required");
  return *v;
}

std::optional<Decimal> Args::decimal(std::string_view k) const {
  const auto* v = find(k);
  if (v == nullptr) return std::nullopt;
  // Bybit's numbers travel as strings ("qty":"0.001"): a JSON number is refused, as a float
  // would not say which decimal it meant.
  if (!v->is_string()) params_error(std::string(k) + ": expected a decimal string, got " + v->dump());
  const auto& s = v->get_ref<const std::string&>();
  auto d = Decimal::parse(s);
  if (!d.ok()) params_error(std::string(k) + ": '" + s + "': " + to_string(d.error()));
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
  params_error(std::string(k) + ": expected an integer, got " + v->dump());
}

std::optional<bool> Args::boolean(std::string_view k) const {
  const auto* v = find(k);
  if (v == nullptr) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string() && (*v == "true" || *v == "false")) return *v == "true";
  params_error(std::string(k) + ": expected true or false, got " + v->dump());
}

void Args::only(std::initializer_list<std::string_view> known) const {
  for (const auto& [k, v] : j_.items()) {
    if (std::find(known.begin(), known.end(), k) == known.end())
      params_error("unknown parameter '" + k + "' (venue-sim refuses what Bybit would ignore)");
  }
}

}  // namespace bysim

std::uint64_t bysim::splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

namespace {

// Depths of the orderbook.{depth}.{symbol} streams Bybit publishes (v5 docs, WebSocket
// Orderbook): spot 1, 50, 200; linear 1, 50, 200, 500. REST /v5/market/orderbook serves the
// deepest (its u is that stream's).
constexpr std::uint32_t kSpotDepths[] = {1, 50, 200};
constexpr std::uint32_t kLinearDepths[] = {1, 50, 200, 500};

enum class Sec : std::uint8_t { kPublic, kSigned };
enum class Kind : std::uint8_t { kQuery, kOrder, kNewOrder, kBatch };
struct Endpoint {
  std::string_view method, path;
  Sec sec;
  Kind kind;
  // Per-UID requests a window (Bybit's rate-limit table, UTA 2.0), spot and linear; 0: none.
  std::uint32_t spot_limit, linear_limit;
  std::int64_t window_ms;
};

constexpr std::int64_t kSecond = 1'000, kMinute = 60'000;
constexpr Endpoint kEndpoints[] = {
    {"GET", "/v5/market/time", Sec::kPublic, Kind::kQuery, 0, 0, kSecond},
    {"GET", "/v5/market/instruments-info", Sec::kPublic, Kind::kQuery, 0, 0, kSecond},
    {"GET", "/v5/market/orderbook", Sec::kPublic, Kind::kQuery, 0, 0, kSecond},
    {"GET", "/v5/market/tickers", Sec::kPublic, Kind::kQuery, 0, 0, kSecond},
    {"GET", "/v5/market/recent-trade", Sec::kPublic, Kind::kQuery, 0, 0, kSecond},
    {"GET", "/v5/market/kline", Sec::kPublic, Kind::kQuery, 0, 0, kSecond},
    {"GET", "/v5/market/risk-limit", Sec::kPublic, Kind::kQuery, 0, 0, kSecond},
    // Order limits come from BybitRateLimits (0 here).
    {"POST", "/v5/order/create", Sec::kSigned, Kind::kNewOrder, 0, 0, kSecond},
    {"POST", "/v5/order/amend", Sec::kSigned, Kind::kOrder, 0, 0, kSecond},
    {"POST", "/v5/order/cancel", Sec::kSigned, Kind::kOrder, 0, 0, kSecond},
    {"POST", "/v5/order/cancel-all", Sec::kSigned, Kind::kOrder, 0, 0, kSecond},
    {"POST", "/v5/order/create-batch", Sec::kSigned, Kind::kBatch, 0, 0, kSecond},
    {"POST", "/v5/order/amend-batch", Sec::kSigned, Kind::kBatch, 0, 0, kSecond},
    {"POST", "/v5/order/cancel-batch", Sec::kSigned, Kind::kBatch, 0, 0, kSecond},
    {"GET", "/v5/order/realtime", Sec::kSigned, Kind::kQuery, 50, 50, kSecond},
    {"GET", "/v5/order/history", Sec::kSigned, Kind::kQuery, 50, 50, kSecond},
    {"GET", "/v5/execution/list", Sec::kSigned, Kind::kQuery, 50, 50, kSecond},
    {"GET", "/v5/position/list", Sec::kSigned, Kind::kQuery, 50, 50, kSecond},
    {"POST", "/v5/position/set-leverage", Sec::kSigned, Kind::kQuery, 10, 10, kSecond},
    {"POST", "/v5/position/switch-mode", Sec::kSigned, Kind::kQuery, 10, 10, kSecond},
    {"POST", "/v5/position/trading-stop", Sec::kSigned, Kind::kQuery, 10, 10, kSecond},
    {"GET", "/v5/account/wallet-balance", Sec::kSigned, Kind::kQuery, 50, 50, kSecond},
    {"GET", "/v5/account/fee-rate", Sec::kSigned, Kind::kQuery, 5, 10, kSecond},
    {"GET", "/v5/account/info", Sec::kSigned, Kind::kQuery, 50, 50, kSecond},
    {"GET", "/v5/account/transaction-log", Sec::kSigned, Kind::kQuery, 50, 50, kSecond},
    {"POST", "/v5/account/set-margin-mode", Sec::kSigned, Kind::kQuery, 10, 10, kSecond},
    {"POST", "/v5/asset/transfer/inter-transfer", Sec::kSigned, Kind::kQuery, 60, 60, kMinute},
    {"GET", "/v5/asset/transfer/query-inter-transfer-list", Sec::kSigned, Kind::kQuery, 60, 60, kMinute},
    {"POST", "/v5/asset/transfer/universal-transfer", Sec::kSigned, Kind::kQuery, 5, 5, kSecond},
    {"GET", "/v5/asset/transfer/query-universal-transfer-list", Sec::kSigned, Kind::kQuery, 5, 5, kSecond},
    {"GET", "/v5/asset/deposit/query-record", Sec::kSigned, Kind::kQuery, 100, 100, kMinute},
    {"GET", "/v5/asset/coin/query-info", Sec::kSigned, Kind::kQuery, 300, 300, kMinute},
    {"GET", "/v5/user/query-api", Sec::kSigned, Kind::kQuery, 10, 10, kSecond},
};

const Endpoint* endpoint_of(std::string_view path) {
  for (const auto& e : kEndpoints) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

const std::string* header(const net::HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() != name.size()) continue;
    bool eq = true;
    for (std::size_t i = 0; i < k.size() && eq; ++i) {
      eq = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (eq) return &v;
  }
  return nullptr;
}

// A header's whole number, written canonically (the signature covers its text: "05000" and
// "5000" sign differently, so only the canonical text is accepted).
std::int64_t header_number(const std::string* v, std::string_view name) {
  std::int64_t x = 0;
  if (v == nullptr) params_error(std::string(name) + " header: required");
  const auto r = std::from_chars(v->data(), v->data() + v->size(), x);
  if (v->empty() || r.ec != std::errc() || r.ptr != v->data() + v->size() || x < 0 ||
      std::to_string(x) != *v) {
    params_error(std::string(name) + " header: '" + *v + "' is not a whole number");
  }
  return x;
}

bool same_hex(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string envelope(int code, std::string_view msg, std::string_view result, std::string_view ext,
                     std::int64_t time_ms) {
  std::string s;
  s.reserve(96 + result.size() + ext.size());
  JsonOut j;
  j.obj().kn("retCode", code).kv("retMsg", msg).key("result").raw(result).key("retExtInfo").raw(ext);
  j.kn("time", time_ms).end_obj();
  return j.take();
}

}  // namespace

BybitFront::Impl::Impl(BybitFrontConfig c)
    : cfg(std::move(c)),
      rng(cfg.seed ^ 0x62796269746661ULL),
      latency_rng(cfg.seed ^ 0x6279626974746cULL) {
  std::uint64_t s = cfg.seed ^ 0x6f7264657269ULL;
  salt = splitmix(s);
  spot.market = Market::kSpot;
  linear.market = Market::kUsdm;
  for (Category* cat : {&spot, &linear}) {
    cat->venue = std::make_unique<sim::Venue>(cat->market);
    const auto& list = cat->spot() ? cfg.spot_instruments : cfg.linear_instruments;
    for (const auto& ins : list) {
      if (ins.market != cat->market)
        throw std::invalid_argument("bybit instrument " + ins.venue_symbol + ": wrong market");
      if (cat->venue->find_symbol(ins.venue_symbol))
        throw std::invalid_argument("bybit instrument " + ins.venue_symbol + ": listed twice");
      const auto idx = cat->venue->add_instrument(ins);
      if (idx != cat->symbols.size()) throw std::invalid_argument("bybit instrument index mismatch");
      cat->symbols.push_back(ins.venue_symbol);
      SymbolFeed feed;
      if (cat->spot()) {
        for (const auto d : kSpotDepths) feed.books.push_back(Book{d, {}, {}, 0});
      } else {
        for (const auto d : kLinearDepths) feed.books.push_back(Book{d, {}, {}, 0});
      }
      cat->feeds.push_back(std::move(feed));
    }
  }
  sim::Outbox out;
  for (const auto& spec : cfg.accounts) {
    if (spec.api_key.empty() || spec.api_secret.empty())
      throw std::invalid_argument("bybit account " + spec.name + ": api_key and api_secret are required");
    if (by_key.count(spec.api_key) != 0) throw std::invalid_argument("bybit account " + spec.name + ": duplicate api_key");
    UtaAccount a;
    a.spec = spec;
    auto mac = signing::HmacSha256::create(spec.api_secret);
    if (!mac.ok()) throw std::invalid_argument("bybit account " + spec.name + ": " + mac.error().message);
    a.mac = std::make_unique<signing::HmacSha256>(std::move(mac).value());
    a.spot_id = spot.venue->add_account({spec.api_key, spec.spot_maker, spec.spot_taker});
    a.linear_id = linear.venue->add_account({spec.api_key, spec.linear_maker, spec.linear_taker});
    for (const auto& [coin, amount] : spec.spot_balances) {
      if (auto r = spot.venue->deposit(a.spot_id, coin, amount, 0, out); !r.ok())
        throw std::invalid_argument("bybit account " + spec.name + ": spot balance " + coin + ": " + r.error().msg);
    }
    if (!spec.linear_usdt.is_zero()) {
      if (auto r = linear.venue->deposit(a.linear_id, "USDT", spec.linear_usdt, 0, out); !r.ok())
        throw std::invalid_argument("bybit account " + spec.name + ": linear USDT: " + r.error().msg);
    }
    by_key.emplace(spec.api_key, accounts.size());
    accounts.push_back(std::move(a));
  }
}

std::int64_t BybitFront::Impl::now_ms() const {
  if (cfg.clock_ms) return cfg.clock_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool BybitFront::Impl::draw(double p) {
  if (p <= 0) return false;
  const std::uint64_t x = splitmix(rng) >> 11U;  // 53 bits
  return static_cast<double>(x) * 0x1.0p-53 < p;
}

UtaAccount& BybitFront::Impl::account_of(Market m, sim::ApiKeyId id) {
  for (auto& a : accounts) {
    if ((m == Market::kSpot ? a.spot_id : a.linear_id) == id) return a;
  }
  throw std::logic_error("bybit front: a venue account without a Bybit account");
}

OrderMeta& BybitFront::Impl::meta(const Category& c, sim::SymbolIndex s, std::int64_t id) {
  return orders[OrderKey{c.market, s, id}];
}

Category& BybitFront::Impl::category_of(const Args& a) {
  const auto c = a.text("category");
  if (!c) params_error("category: required (spot or linear)");
  if (*c == "spot") return spot;
  if (*c == "linear") return linear;
  if (*c == "inverse" || *c == "option")
    params_error("category: venue-sim serves spot and linear, not " + *c);
  params_error("category: '" + *c + "' is not spot or linear");
}

std::uint32_t BybitFront::Impl::take_rate(UtaAccount& a, std::string_view path, const Category* c,
                                          std::uint32_t units, std::vector<net::Header>& headers) {
  const Endpoint* e = endpoint_of(path);
  const bool spot_side = c == nullptr || c->spot();
  std::uint32_t limit = spot_side ? e->spot_limit : e->linear_limit;
  if (e->kind != Kind::kQuery) {
    limit = spot_side ? cfg.limits.spot_orders_per_s : cfg.limits.linear_orders_per_s;
    if (path == "/v5/order/amend" || path == "/v5/order/amend-batch") {
      limit = std::min(limit, cfg.limits.amend_per_s);
    }
  }
  const std::int64_t now = now_ms();
  std::string key(path);
  key += '|';
  key += c == nullptr ? "account" : c->name();
  auto& stamps = a.windows[key];
  while (!stamps.empty() && stamps.front() <= now - e->window_ms) stamps.pop_front();
  const auto used = static_cast<std::uint32_t>(stamps.size());
  std::uint32_t taken = units;
  if (!cfg.limits.lifted) taken = used >= limit ? 0 : std::min(units, limit - used);
  for (std::uint32_t i = 0; i < taken; ++i) stamps.push_back(now);
  const auto after = static_cast<std::uint32_t>(stamps.size());
  const std::int64_t reset = after >= limit && !stamps.empty() ? stamps.front() + e->window_ms : now;
  headers.emplace_back("X-Bapi-Limit", std::to_string(limit));
  headers.emplace_back("X-Bapi-Limit-Status", std::to_string(after >= limit ? 0 : limit - after));
  headers.emplace_back("X-Bapi-Limit-Reset-Timestamp", std::to_string(reset));
  return taken;
}

BybitFront::Impl::Answer BybitFront::Impl::dispatch(const net::HttpRequest& req,
                                                    std::vector<net::Header>& headers,
                                                    bool& order_request, bool& drop) {
  const auto q = req.target.find('?');
  const std::string_view path = std::string_view(req.target).substr(0, q);
  const std::string_view query =
      q == std::string::npos ? std::string_view{} : std::string_view(req.target).substr(q + 1);
  const Endpoint* ep = endpoint_of(path);
  if (ep == nullptr) refuse(kRouteNotFound, "Route not found: " + std::string(path) + " is not a v5 endpoint venue-sim serves");
  if (ep->method != req.method)
    refuse(kRouteNotFound, "Route not found: " + std::string(path) + " takes " + std::string(ep->method));
  if (req.method == "POST" && !query.empty()) params_error("POST parameters go in the JSON body, not the query string");
  const Args p = req.method == "GET" ? Args::from_query(query) : Args::from_body(req.body);
  if (ep->sec == Sec::kPublic) {
    if (path == "/v5/market/time") return market_time();
    if (path == "/v5/market/instruments-info") return instruments_info(p);
    if (path == "/v5/market/orderbook") return orderbook(p);
    if (path == "/v5/market/tickers") return tickers(p);
    if (path == "/v5/market/recent-trade") return recent_trades(p);
    if (path == "/v5/market/kline") return kline(p);
    return risk_limit(p);
  }

  // Signed: X-BAPI-API-KEY, X-BAPI-TIMESTAMP, X-BAPI-RECV-WINDOW (default 5000), X-BAPI-SIGN =
  // hex HMAC-SHA256(secret, timestamp + api key + recv window + (query string | raw body)).
  const std::string* key = header(req, bybit::kApiKeyHeader);
  if (key == nullptr || key->empty()) refuse(kApiKeyInvalid, "API key is invalid. (X-BAPI-API-KEY header missing)");
  const auto it = by_key.find(*key);
  if (it == by_key.end()) refuse(kApiKeyInvalid, "API key is invalid.");
  UtaAccount& a = accounts[it->second];
  const std::int64_t ts = header_number(header(req, bybit::kTimestampHeader), bybit::kTimestampHeader);
  const std::string* rw_text = header(req, bybit::kRecvWindowHeader);
  constexpr std::int64_t kDefaultRecvWindow = 5'000;
  const std::int64_t recv_window = rw_text == nullptr ? kDefaultRecvWindow : header_number(rw_text, bybit::kRecvWindowHeader);
  const std::int64_t now = now_ms();
  // Bybit's rule: server_time - recv_window <= timestamp < server_time + 1000.
  constexpr std::int64_t kAheadMs = 1'000;
  if (ts < now - recv_window || ts >= now + kAheadMs) {
    refuse(kTimestamp, "invalid request, please check your server timestamp or recv_window param. req_timestamp[" +
                           std::to_string(ts) + "],server_timestamp[" + std::to_string(now) + "],recv_window[" +
                           std::to_string(recv_window) + "]");
  }
  const std::string* sign = header(req, bybit::kSignHeader);
  const std::string_view payload = req.method == "GET" ? query : std::string_view(req.body);
  std::string expect;
  if (recv_window > UINT32_MAX ||
      !bybit::append_signature(*a.mac, ts, *key, static_cast<std::uint32_t>(recv_window), payload, expect).ok() ||
      sign == nullptr || !same_hex(*sign, expect)) {
    refuse(kSignError, "error sign! origin_string[" + std::to_string(ts) + *key + std::to_string(recv_window) +
                           std::string(payload) + "]");
  }
  if (draw(cfg.faults.error_5xx)) refuse(kServerError, "Server error.");

  // The rate limit counts per category where the endpoint has one.
  const Category* cat = nullptr;
  if (p.has("category") && path != "/v5/account/transaction-log") cat = &category_of(p);
  if (ep->kind == Kind::kBatch) {
    order_request = true;
    return batch(a, p, path, headers);
  }
  if (take_rate(a, path, cat, 1, headers) == 0) refuse(kTooManyVisits, "Too many visits. Exceeded the API Rate Limit.");
  if (ep->kind != Kind::kQuery) {
    order_request = true;
    if (ep->kind == Kind::kNewOrder && draw(cfg.faults.drop_new)) {
      drop = true;  // a send lost on the way: nothing executed
      return {};
    }
  }
  if (path == "/v5/order/create") return create(a, p);
  if (path == "/v5/order/amend") return amend(a, p);
  if (path == "/v5/order/cancel") return cancel(a, p);
  if (path == "/v5/order/cancel-all") return cancel_all(a, p);
  if (path == "/v5/order/realtime") return open_orders(a, p);
  if (path == "/v5/order/history") return order_history(a, p);
  if (path == "/v5/execution/list") return executions(a, p);
  if (path == "/v5/position/list") return positions(a, p);
  if (path == "/v5/position/set-leverage") return set_leverage(a, p);
  if (path == "/v5/position/switch-mode") return switch_mode(a, p);
  if (path == "/v5/position/trading-stop") return trading_stop(a, p);
  if (path == "/v5/account/wallet-balance") return wallet_balance(a, p);
  if (path == "/v5/account/fee-rate") return fee_rate(a, p);
  if (path == "/v5/account/info") return account_info(a);
  if (path == "/v5/account/transaction-log") return transaction_log(a, p);
  if (path == "/v5/account/set-margin-mode") return set_margin_mode(a, p);
  if (path == "/v5/asset/transfer/inter-transfer") return transfer(a, p);
  if (path == "/v5/asset/transfer/query-inter-transfer-list") return transfers(a, p);
  if (path == "/v5/asset/transfer/universal-transfer") {
    order_request = true;  // moves money as an order does: its answer may be lost, late or time out
    return universal_transfer(a, p);
  }
  if (path == "/v5/asset/transfer/query-universal-transfer-list") return universal_transfers(a, p);
  if (path == "/v5/asset/coin/query-info") return coin_info(p);
  if (path == "/v5/user/query-api") return api_key_info(a, it->second);
  return deposits(p);
}

BybitFront::BybitFront(BybitFrontConfig cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {}
BybitFront::~BybitFront() = default;

bool BybitFront::serves(std::string_view target) noexcept { return target.rfind("/v5/", 0) == 0; }

std::int64_t BybitFront::now_ms() const { return impl_->now_ms(); }

bool BybitFront::Impl::ip_banned(const net::HttpRequest& req, std::int64_t now) {
  constexpr std::int64_t kWindowMs = 5'000;
  if (cfg.faults.ban_after > 0 && req.method == "POST" && req.target.starts_with("/v5/order/create") &&
      ++new_orders_seen == cfg.faults.ban_after) {
    banned_until_ms = now + std::int64_t{cfg.faults.ban_s} * 1000;
  }
  if (banned_until_ms > now) return true;
  if (cfg.limits.lifted) return false;
  while (!ip_window.empty() && ip_window.front() <= now - kWindowMs) ip_window.pop_front();
  ip_window.push_back(now);
  if (ip_window.size() > cfg.limits.ip_requests_per_5s) {
    banned_until_ms = now + std::int64_t{cfg.limits.ip_ban_s} * 1000;
    return true;
  }
  return false;
}

net::DelayedResponse BybitFront::handle(const net::HttpRequest& req) {
  std::vector<net::Header> headers;
  bool order_request = false, drop = false;
  bool lose = false, delay = false, time_out = false;
  unsigned status = 200;
  std::string body;
  std::chrono::microseconds latency{0};
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->ip_banned(req, impl_->now_ms())) {
      // Bybit's IP ban: a bare 403 (no retCode envelope, no Retry-After) until it ends.
      net::HttpResponse resp;
      resp.status = 403;
      resp.headers.emplace_back("Content-Type", "text/plain");
      resp.body = "403 Forbidden: access too frequent";
      return {std::move(resp), impl_->cfg.latency.draw(impl_->latency_rng)};
    }
    try {
      const auto a = impl_->dispatch(req, headers, order_request, drop);
      body = envelope(kOk, "OK", a.result, a.ext, impl_->now_ms());
    } catch (const Refusal& r) {
      if (r.code == kRouteNotFound) status = 404;
      if (r.code == kServerError) status = 503;
      body = envelope(r.code, r.msg, "{}", "{}", impl_->now_ms());
    }
    if (order_request && status < 500 && !drop) {
      const auto& f = impl_->cfg.faults;
      lose = impl_->draw(f.lost_ack);
      delay = impl_->draw(f.delay_ack);
      time_out = impl_->draw(f.timeout);
    }
    latency = impl_->cfg.latency.draw(impl_->latency_rng);
  }
  // Waits are the server's timers on this connection (see Front::handle).
  const auto& f = impl_->cfg.faults;
  if (time_out) return {net::HttpResponse{}, latency + std::chrono::milliseconds(f.timeout_ms)};
  if (lose || drop) return {net::HttpResponse{}, latency};  // status 0: the connection is dropped
  if (delay) latency += std::chrono::milliseconds(f.delay_ms);
  net::HttpResponse resp;
  resp.status = status;
  resp.headers = std::move(headers);
  resp.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  resp.body = std::move(body);
  return {std::move(resp), latency};
}

BybitAccountSpec default_bybit_account(std::string name, std::string api_key, std::string api_secret) {
  BybitAccountSpec s;
  s.name = std::move(name);
  s.api_key = std::move(api_key);
  s.api_secret = std::move(api_secret);
  s.spot_balances = {{"USDT", *Decimal::parse("100000")}, {"BTC", *Decimal::parse("1")},
                     {"ETH", *Decimal::parse("10")}};
  s.linear_usdt = *Decimal::parse("100000");
  return s;
}

}  // namespace oms::venue_sim
