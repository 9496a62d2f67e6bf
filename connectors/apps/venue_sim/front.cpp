// venue-sim front: construction, request dispatch, API-key / timestamp / signature checks,
// rate limits (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-*, 429 + Retry-After, 418) and the
// seeded fault injector around order requests.
#include <cstdio>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "front_impl.hpp"

namespace oms::venue_sim {

namespace {

// --latency bound: a minute (a bigger number is a typo, not a venue).
constexpr unsigned long long kMaxLatencyUs = 60'000'000;

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

std::string derive_listen_key(std::uint64_t seed, std::size_t index) {
  std::uint64_t s = seed ^ (0x6c697374656e6b79ULL + index * 0x100000001b3ULL);
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string k;
  while (k.size() < 60) {
    std::uint64_t x = splitmix(s);
    for (int i = 0; i < 8 && k.size() < 60; ++i) {
      k += kAlphabet[x % 62U];
      x /= 62U;
    }
  }
  return k;
}

// kKey: the API key only (Binance's MARKET_DATA security type), no signature.
enum class Sec : std::uint8_t { kNone, kUserStream, kSigned, kKey };
struct Endpoint {
  Market market;
  std::string_view method, path;
  Sec sec;
  std::uint32_t weight;
  std::uint32_t orders;  // counted against the order-rate limits
};

// Weights as Binance documents them (spot: request weight; USD-M: IP weight).
constexpr Endpoint kEndpoints[] = {
    {Market::kSpot, "GET", "/api/v3/ping", Sec::kNone, 1, 0},
    {Market::kSpot, "GET", "/api/v3/time", Sec::kNone, 1, 0},
    {Market::kSpot, "GET", "/api/v3/exchangeInfo", Sec::kNone, 20, 0},
    {Market::kSpot, "GET", "/api/v3/depth", Sec::kNone, 5, 0},
    {Market::kSpot, "GET", "/api/v3/ticker/bookTicker", Sec::kNone, 2, 0},
    {Market::kSpot, "POST", "/api/v3/order", Sec::kSigned, 1, 1},
    {Market::kSpot, "DELETE", "/api/v3/order", Sec::kSigned, 1, 0},
    {Market::kSpot, "GET", "/api/v3/order", Sec::kSigned, 4, 0},
    {Market::kSpot, "POST", "/api/v3/order/test", Sec::kSigned, 1, 0},
    {Market::kSpot, "POST", "/api/v3/order/cancelReplace", Sec::kSigned, 1, 1},
    {Market::kSpot, "GET", "/api/v3/openOrders", Sec::kSigned, 6, 0},
    {Market::kSpot, "DELETE", "/api/v3/openOrders", Sec::kSigned, 1, 0},
    {Market::kSpot, "GET", "/api/v3/allOrders", Sec::kSigned, 20, 0},
    {Market::kSpot, "GET", "/api/v3/myTrades", Sec::kSigned, 20, 0},
    {Market::kSpot, "GET", "/api/v3/account", Sec::kSigned, 20, 0},
    {Market::kSpot, "GET", "/api/v3/account/commission", Sec::kSigned, 20, 0},
    {Market::kSpot, "POST", "/api/v3/userDataStream", Sec::kUserStream, 2, 0},
    {Market::kSpot, "PUT", "/api/v3/userDataStream", Sec::kUserStream, 2, 0},
    {Market::kSpot, "DELETE", "/api/v3/userDataStream", Sec::kUserStream, 2, 0},
    // SAPI, as a default client's loadMarkets asks (ccxt): the coins, and the margin pairs --
    // venue-sim has no margin trading and no deposits or withdrawals, and says so (below).
    {Market::kSpot, "GET", "/sapi/v1/capital/config/getall", Sec::kSigned, 10, 0},
    {Market::kSpot, "GET", "/sapi/v1/margin/allPairs", Sec::kKey, 1, 0},
    {Market::kSpot, "GET", "/sapi/v1/margin/isolated/allPairs", Sec::kSigned, 10, 0},
    // Wallet transfers (front_transfers.cpp); the docs' IP weights (the UID ones not modelled).
    {Market::kSpot, "POST", "/sapi/v1/asset/transfer", Sec::kSigned, 1, 0},
    {Market::kSpot, "GET", "/sapi/v1/asset/transfer", Sec::kSigned, 1, 0},
    {Market::kSpot, "POST", "/sapi/v1/sub-account/universalTransfer", Sec::kSigned, 1, 0},
    {Market::kSpot, "GET", "/sapi/v1/sub-account/universalTransfer", Sec::kSigned, 1, 0},
    // COIN-M's exchangeInfo (public): venue-sim lists no coin-margined contract.
    {Market::kUsdm, "GET", "/dapi/v1/exchangeInfo", Sec::kNone, 1, 0},
    {Market::kUsdm, "GET", "/fapi/v1/ping", Sec::kNone, 1, 0},
    {Market::kUsdm, "GET", "/fapi/v1/time", Sec::kNone, 1, 0},
    {Market::kUsdm, "GET", "/fapi/v1/exchangeInfo", Sec::kNone, 1, 0},
    {Market::kUsdm, "GET", "/fapi/v1/depth", Sec::kNone, 5, 0},
    {Market::kUsdm, "GET", "/fapi/v1/ticker/bookTicker", Sec::kNone, 2, 0},
    {Market::kUsdm, "POST", "/fapi/v1/order", Sec::kSigned, 0, 1},
    {Market::kUsdm, "PUT", "/fapi/v1/order", Sec::kSigned, 1, 1},
    {Market::kUsdm, "DELETE", "/fapi/v1/order", Sec::kSigned, 1, 0},
    {Market::kUsdm, "GET", "/fapi/v1/order", Sec::kSigned, 1, 0},
    {Market::kUsdm, "POST", "/fapi/v1/batchOrders", Sec::kSigned, 5, 5},
    {Market::kUsdm, "DELETE", "/fapi/v1/batchOrders", Sec::kSigned, 1, 0},
    {Market::kUsdm, "GET", "/fapi/v1/openOrders", Sec::kSigned, 1, 0},
    {Market::kUsdm, "DELETE", "/fapi/v1/allOpenOrders", Sec::kSigned, 1, 0},
    {Market::kUsdm, "GET", "/fapi/v1/allOrders", Sec::kSigned, 5, 0},
    // Algo Service (conditional orders): New / Cancel / Query Algo Order, Current All Algo Open
    // Orders (1 with a symbol, 40 without), Query All Algo Orders.
    {Market::kUsdm, "POST", "/fapi/v1/algoOrder", Sec::kSigned, 0, 1},
    {Market::kUsdm, "DELETE", "/fapi/v1/algoOrder", Sec::kSigned, 1, 0},
    {Market::kUsdm, "GET", "/fapi/v1/algoOrder", Sec::kSigned, 1, 0},
    {Market::kUsdm, "GET", "/fapi/v1/openAlgoOrders", Sec::kSigned, 1, 0},
    {Market::kUsdm, "DELETE", "/fapi/v1/algoOpenOrders", Sec::kSigned, 1, 0},
    {Market::kUsdm, "GET", "/fapi/v1/allAlgoOrders", Sec::kSigned, 5, 0},
    {Market::kUsdm, "GET", "/fapi/v1/userTrades", Sec::kSigned, 5, 0},
    {Market::kUsdm, "POST", "/fapi/v1/leverage", Sec::kSigned, 1, 0},
    {Market::kUsdm, "POST", "/fapi/v1/marginType", Sec::kSigned, 1, 0},
    {Market::kUsdm, "POST", "/fapi/v1/positionSide/dual", Sec::kSigned, 1, 0},
    {Market::kUsdm, "GET", "/fapi/v1/positionSide/dual", Sec::kSigned, 30, 0},
    {Market::kUsdm, "GET", "/fapi/v2/balance", Sec::kSigned, 5, 0},
    {Market::kUsdm, "GET", "/fapi/v1/commissionRate", Sec::kSigned, 20, 0},
    {Market::kUsdm, "GET", "/fapi/v2/account", Sec::kSigned, 5, 0},
    {Market::kUsdm, "GET", "/fapi/v3/account", Sec::kSigned, 5, 0},
    {Market::kUsdm, "GET", "/fapi/v2/positionRisk", Sec::kSigned, 5, 0},
    {Market::kUsdm, "GET", "/fapi/v3/positionRisk", Sec::kSigned, 5, 0},
    {Market::kUsdm, "POST", "/fapi/v1/listenKey", Sec::kUserStream, 1, 0},
    {Market::kUsdm, "PUT", "/fapi/v1/listenKey", Sec::kUserStream, 1, 0},
    {Market::kUsdm, "DELETE", "/fapi/v1/listenKey", Sec::kUserStream, 1, 0},
};

std::uint32_t depth_weight(Market m, const Params& p) {
  long limit = m == Market::kSpot ? 100 : 500;
  if (const auto* l = p.find("limit")) limit = std::strtol(l->c_str(), nullptr, 10);
  if (m == Market::kSpot) {
    if (limit <= 100) return 5;
    if (limit <= 500) return 25;
    if (limit <= 1000) return 50;
    return 250;
  }
  if (limit <= 50) return 2;
  if (limit <= 100) return 5;
  if (limit <= 500) return 10;
  return 20;
}

const std::string* header(const net::HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() == name.size()) {
      bool eq = true;
      for (std::size_t i = 0; i < k.size() && eq; ++i) {
        eq = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (eq) return &v;
    }
  }
  return nullptr;
}

// The signed payload: everything before "&signature=" (query, then body, as Binance
// concatenates them) and the signature value; false when there is no signature.
bool split_signature(std::string_view query, std::string_view body, std::string& payload,
                     std::string& signature) {
  auto cut = [&](std::string_view text, std::string_view prefix) {
    std::size_t at = text.rfind("&signature=");
    std::size_t skip = 11;
    if (at == std::string_view::npos && text.rfind("signature=", 0) == 0) {
      at = 0;
      skip = 10;
    }
    if (at == std::string_view::npos) return false;
    payload = std::string(prefix) + std::string(text.substr(0, at));
    signature = std::string(text.substr(at + skip));
    if (auto amp = signature.find('&'); amp != std::string::npos) signature.resize(amp);
    return true;
  };
  if (cut(body, query)) return true;
  return cut(query, {});
}

}  // namespace

FaultSpec parse_faults(std::string_view spec) {
  FaultSpec f;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      throw std::invalid_argument("--faults: '" + std::string(item) + "' is not key=value");
    }
    const std::string key(item.substr(0, eq)), value(item.substr(eq + 1));
    char* end = nullptr;
    const double x = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0' || !(x >= 0)) {
      throw std::invalid_argument("--faults: " + key + ": '" + value + "' is not a number >= 0");
    }
    auto prob = [&](double& slot) {
      if (x > 1) throw std::invalid_argument("--faults: " + key + ": probability above 1");
      slot = x;
    };
    if (key == "drop_ws") prob(f.drop_ws);
    else if (key == "lost_ack") prob(f.lost_ack);
    else if (key == "delay_ack") prob(f.delay_ack);
    else if (key == "duplicate") prob(f.duplicate);
    else if (key == "reorder") prob(f.reorder);
    else if (key == "error_5xx") prob(f.error_5xx);
    else if (key == "timeout") prob(f.timeout);
    else if (key == "late_exec") prob(f.late_exec);
    else if (key == "drop_new") prob(f.drop_new);
    else if (key == "late_ms") f.late_ms = static_cast<std::uint32_t>(x);
    else if (key == "delay_ms") f.delay_ms = static_cast<std::uint32_t>(x);
    else if (key == "timeout_ms") f.timeout_ms = static_cast<std::uint32_t>(x);
    else if (key == "ban_after") f.ban_after = static_cast<std::uint32_t>(x);
    else if (key == "ban_s") f.ban_s = static_cast<std::uint32_t>(x);
    else throw std::invalid_argument("--faults: unknown key '" + key + "'");
  }
  return f;
}

LatencyModel parse_latency(std::string_view spec) {
  LatencyModel m;
  if (spec == "zero") return m;
  if (spec.empty())
    throw std::invalid_argument("--latency: empty (zero, or fixed_us=F[,jitter_us=J])");
  bool fixed_given = false;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      throw std::invalid_argument("--latency: '" + std::string(item) +
                                  "' is not key=value (zero, or fixed_us=F[,jitter_us=J])");
    }
    const std::string key(item.substr(0, eq)), value(item.substr(eq + 1));
    char* end = nullptr;
    const unsigned long long x = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || value[0] == '-' || *end != '\0' || x > kMaxLatencyUs) {
      throw std::invalid_argument("--latency: " + key + ": '" + value +
                                  "' is not a whole number of microseconds in [0, " +
                                  std::to_string(kMaxLatencyUs) + "]");
    }
    if (key == "fixed_us") {
      m.fixed_us = static_cast<std::uint32_t>(x);
      fixed_given = true;
    } else if (key == "jitter_us") {
      m.jitter_us = static_cast<std::uint32_t>(x);
    } else {
      throw std::invalid_argument("--latency: unknown key '" + key + "' (fixed_us, jitter_us)");
    }
  }
  if (!fixed_given)
    throw std::invalid_argument("--latency: fixed_us is required (fixed_us=0 for jitter only)");
  return m;
}

std::chrono::microseconds LatencyModel::draw(std::uint64_t& rng) const {
  std::uint64_t us = fixed_us;
  // x mod (J + 1) of a 64-bit draw: the bias is below (J + 1) / 2^64, nothing at J < 2^32.
  if (jitter_us > 0) us += splitmix(rng) % (std::uint64_t{jitter_us} + 1);
  return std::chrono::microseconds(static_cast<std::int64_t>(us));
}

std::string LatencyModel::describe() const {
  if (zero()) return "zero";
  return "fixed_us=" + std::to_string(fixed_us) + ",jitter_us=" + std::to_string(jitter_us);
}

Front::Impl::Impl(FrontConfig c)
    : cfg(std::move(c)),
      rng(cfg.seed ^ 0x6661756c7473ULL),
      latency_rng(cfg.seed ^ 0x6c6174656e6379ULL) {
  spot_m.market = Market::kSpot;
  usdm_m.market = Market::kUsdm;
  for (MarketState* st : {&spot_m, &usdm_m}) {
    st->venue = std::make_unique<sim::Venue>(st->market);
    const auto& list = st->market == Market::kSpot ? cfg.spot_instruments : cfg.usdm_instruments;
    for (const auto& ins : list) {
      if (ins.market != st->market) {
        throw std::invalid_argument("instrument " + ins.venue_symbol + ": wrong market");
      }
      const auto idx = st->venue->add_instrument(ins);
      if (idx != st->symbols.size()) throw std::invalid_argument("instrument index mismatch");
      st->symbols.push_back(ins.venue_symbol);
      st->published.emplace_back();
    }
  }
  sim::Outbox out;
  for (std::size_t i = 0; i < cfg.accounts.size(); ++i) {
    const auto& spec = cfg.accounts[i];
    if (spec.api_key.empty() || spec.api_secret.empty()) {
      throw std::invalid_argument("account " + spec.name + ": api_key and api_secret are required");
    }
    if (by_key.count(spec.api_key) != 0) {
      throw std::invalid_argument("account " + spec.name + ": duplicate api_key");
    }
    Account a;
    a.spec = spec;
    auto mac = signing::HmacSha256::create(spec.api_secret);
    if (!mac.ok()) throw std::invalid_argument("account " + spec.name + ": " + mac.error().message);
    a.mac = std::make_unique<signing::HmacSha256>(std::move(mac).value());
    auto& venue = *state(spec.market).venue;
    a.id = venue.add_account({spec.api_key, spec.maker_rate, spec.taker_rate});
    for (const auto& [asset, amount] : spec.balances) {
      auto r = venue.deposit(a.id, asset, amount, 0, out);
      if (!r.ok()) {
        throw std::invalid_argument("account " + spec.name + ": balance " + asset + ": " +
                                    r.error().msg);
      }
    }
    a.listen_key = derive_listen_key(cfg.seed, i);
    by_key.emplace(spec.api_key, accounts.size());
    accounts.push_back(std::move(a));
  }
}

std::int64_t Front::Impl::now_ms() const {
  if (cfg.clock_ms) return cfg.clock_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Front::Impl::draw(double p) {
  if (p <= 0) return false;
  const std::uint64_t x = splitmix(rng) >> 11U;  // 53 bits
  return static_cast<double>(x) * 0x1.0p-53 < p;
}

Front::Impl::~Impl() {
  {
    std::lock_guard lock(mu);
    late_stop = true;
  }
  late_cv.notify_all();
  if (late_thread.joinable()) late_thread.join();
}

void Front::Impl::late_execute(LateOrder order) {
  late.push_back(std::move(order));
  if (!late_thread.joinable()) late_thread = std::thread([this] { run_late(); });
  late_cv.notify_all();
}

void Front::Impl::run_late() {
  std::unique_lock lock(mu);
  while (!late_stop) {
    if (late.empty()) {
      late_cv.wait(lock);
      continue;
    }
    if (std::chrono::steady_clock::now() < late.front().due) {
      late_cv.wait_until(lock, late.front().due);
      continue;
    }
    LateOrder o = std::move(late.front());
    late.pop_front();
    // As the request would have run: the venue's answer goes nowhere (the client was told
    // -1007), its user-data events go to the account's streams.
    Account& a = accounts[o.account];
    (void)(o.market == Market::kSpot ? spot_private("POST", o.path, o.params, a)
                                     : usdm_private("POST", o.path, o.params, a));
  }
}

Front::Front(FrontConfig cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {}
Front::~Front() = default;

std::int64_t Front::now_ms() const { return impl_->now_ms(); }

std::string Front::listen_key(std::string_view account_name) const {
  for (const auto& a : impl_->accounts) {
    if (a.spec.name == account_name) return a.listen_key;
  }
  return {};
}

bool Front::listen_key_open(std::string_view account_name) const {
  std::lock_guard lock(impl_->mu);
  for (const auto& a : impl_->accounts) {
    if (a.spec.name == account_name) return a.listen_key_open;
  }
  return false;
}

net::DelayedResponse Front::handle(const net::HttpRequest& req) {
  bool order_request = false;
  std::string note;
  std::vector<net::Header> headers;
  Reply r;
  bool lose = false, delay = false, time_out = false;
  std::chrono::microseconds latency{0};
  {
    std::lock_guard lock(impl_->mu);
    r = impl_->dispatch(req, order_request, note, headers);
    if (order_request && r.status < 500) {
      const auto& f = impl_->cfg.faults;
      lose = impl_->draw(f.lost_ack);
      delay = impl_->draw(f.delay_ack);
      time_out = impl_->draw(f.timeout);
    }
    latency = impl_->cfg.latency.draw(impl_->latency_rng);
  }
  // Every wait below is the server's timer on this connection, never a sleep here: this is
  // an I/O thread, and the other connections are served meanwhile.
  const auto& f = impl_->cfg.faults;
  if (time_out) return {net::HttpResponse{}, latency + std::chrono::milliseconds(f.timeout_ms)};
  if (lose || r.status == 0) return {net::HttpResponse{}, latency};  // status 0: dropped
  if (delay) latency += std::chrono::milliseconds(f.delay_ms);
  net::HttpResponse resp;
  resp.status = r.status;
  resp.headers = std::move(headers);
  resp.headers.emplace_back("Content-Type", "application/json;charset=UTF-8");
  resp.body = std::move(r.body);
  return {std::move(resp), latency};
}

Reply Front::Impl::dispatch(const net::HttpRequest& req, bool& order_request, std::string& note,
                            std::vector<net::Header>& headers) {
  (void)note;
  const auto q = req.target.find('?');
  const std::string_view path = std::string_view(req.target).substr(0, q);
  const std::string_view query =
      q == std::string::npos ? std::string_view{} : std::string_view(req.target).substr(q + 1);
  const Endpoint* ep = nullptr;
  for (const auto& e : kEndpoints) {
    if (e.path == path && e.method == req.method) ep = &e;
  }
  if (ep == nullptr) {
    for (const auto& e : kEndpoints) {
      if (e.path == path) return Reply::error(405, -1000, "Method not allowed.");
    }
    return Reply::error(404, -1000, "Unknown path " + std::string(path));
  }
  Params params;
  if (!parse_form(query, params) || !parse_form(req.body, params)) {
    return Reply::error(400, -1100, "Illegal characters found in a parameter.");
  }
  const std::int64_t now = now_ms();
  const Market m = ep->market;

  // Rate limits: one weight bucket per market ("IP"), order counts per account.
  Account* acct = nullptr;
  if (ep->sec != Sec::kNone) {
    const std::string* key = header(req, "X-MBX-APIKEY");
    if (key == nullptr || key->empty()) return Reply::error(401, -2014, "API-key format invalid.");
    const auto it = by_key.find(*key);
    // /sapi is the account's, not a market's: a USD-M-only account's key reaches it too.
    if (it == by_key.end() ||
        (accounts[it->second].spec.market != m && !path.starts_with("/sapi/"))) {
      return Reply::error(401, -2015, "Invalid API-key, IP, or permissions for action.");
    }
    acct = &accounts[it->second];
  }
  Account& bucket = m == Market::kSpot ? ip_spot : ip_usdm;
  std::uint32_t weight = ep->weight;
  if (path.ends_with("/depth")) weight = depth_weight(m, params);
  if (path.ends_with("/bookTicker") && params.find("symbol") == nullptr) weight = m == Market::kSpot ? 4 : 5;
  if ((path.ends_with("/openOrders") || path.ends_with("/openAlgoOrders")) &&
      req.method == "GET" && params.find("symbol") == nullptr) {
    weight = m == Market::kSpot ? 80 : 40;
  }
  const std::uint32_t limit = m == Market::kSpot ? cfg.limits.spot_weight_1m : cfg.limits.usdm_weight_1m;
  const std::int64_t window = now / 60'000;
  if (bucket.weight_window != window) {
    bucket.weight_window = window;
    bucket.weight_used = 0;
    bucket.refused_429 = 0;
  }
  if (cfg.faults.ban_after > 0 && req.method == "POST" &&
      (path == "/api/v3/order" || path == "/fapi/v1/order") && ++new_orders_seen == cfg.faults.ban_after) {
    bucket.banned_until_ms = now + std::int64_t{cfg.faults.ban_s} * 1000;
  }
  if (bucket.banned_until_ms > now) {
    headers.emplace_back("Retry-After", std::to_string((bucket.banned_until_ms - now + 999) / 1000));
    return Reply::error(418, -1003,
                        "Way too many requests; IP(127.0.0.1) banned until " +
                            std::to_string(bucket.banned_until_ms) +
                            ". Please use the websocket for live updates to avoid bans.");
  }
  if (bucket.weight_used + weight > limit) {
    if (++bucket.refused_429 > cfg.limits.ban_after_429s) {
      bucket.banned_until_ms = now + std::int64_t{cfg.limits.ban_seconds} * 1000;
      headers.emplace_back("Retry-After", std::to_string(cfg.limits.ban_seconds));
      return Reply::error(418, -1003,
                          "Way too many requests; IP(127.0.0.1) banned until " +
                              std::to_string(bucket.banned_until_ms) +
                              ". Please use the websocket for live updates to avoid bans.");
    }
    headers.emplace_back("X-MBX-USED-WEIGHT-1M", std::to_string(bucket.weight_used));
    headers.emplace_back("Retry-After", std::to_string((window + 1) * 60 - now / 1000));
    return Reply::error(429, -1003,
                        "Too many requests; current limit of IP(127.0.0.1) is " +
                            std::to_string(limit) +
                            " requests per minute. Please use the websocket for live updates to "
                            "avoid polling the API.");
  }
  bucket.weight_used += weight;
  headers.emplace_back("X-MBX-USED-WEIGHT-1M", std::to_string(bucket.weight_used));

  if (ep->sec == Sec::kSigned) {
    const std::string* ts = params.find("timestamp");
    if (ts == nullptr || ts->empty()) return Reply::missing("timestamp");
    char* end = nullptr;
    const long long t = std::strtoll(ts->c_str(), &end, 10);
    if (*end != '\0') return Reply::missing("timestamp");
    long long window_ms = 5'000;
    if (const auto* rw = params.find("recvWindow")) {
      window_ms = std::strtoll(rw->c_str(), &end, 10);
      if (*end != '\0' || window_ms <= 0) return Reply::missing("recvWindow");
      if (window_ms > 60'000) return Reply::error(400, -1131, "recvWindow must be less than 60000");
    }
    if (t >= now + 1'000 || now - t > window_ms) {
      return Reply::error(400, -1021, "Timestamp for this request is outside of the recvWindow.");
    }
    std::string payload, sig, expect;
    if (!split_signature(query, req.body, payload, sig) || sig.empty()) {
      return Reply::missing("signature");
    }
    if (!acct->mac->sign_hex(payload, expect).ok() || expect != sig) {
      return Reply::error(400, -1022, "Signature for this request is not valid.");
    }
    if (draw(cfg.faults.error_5xx)) {
      return Reply::error(503, -1001,
                          "Internal error; unable to process your request. Please try again.");
    }
  }

  if (ep->orders > 0) {
    order_request = true;
    Account& a = *acct;
    if (cfg.log_order_requests) {
      std::fprintf(stderr, "venue-sim: binance %s %s %.*s\n", a.spec.name.c_str(), req.method.c_str(),
                   static_cast<int>(path.size()), path.data());
    }
    // late_exec: counted against the limits as sent, executed later (below).
    const bool single_new = req.method == "POST" && (path == "/api/v3/order" || path == "/fapi/v1/order");
    auto roll = [&](std::int64_t& w, std::uint32_t& n, std::int64_t cur) {
      if (w != cur) {
        w = cur;
        n = 0;
      }
    };
    roll(a.orders_10s_window, a.orders_10s, now / 10'000);
    roll(a.orders_1m_window, a.orders_1m, now / 60'000);
    roll(a.orders_1d_window, a.orders_1d, now / 86'400'000);
    const bool is_spot = m == Market::kSpot;
    const std::uint32_t lim10 = is_spot ? cfg.limits.spot_orders_10s : cfg.limits.usdm_orders_10s;
    if (a.orders_10s + ep->orders > lim10 ||
        (is_spot && a.orders_1d + ep->orders > cfg.limits.spot_orders_1d) ||
        (!is_spot && a.orders_1m + ep->orders > cfg.limits.usdm_orders_1m)) {
      headers.emplace_back("Retry-After", std::to_string(10 - (now / 1000) % 10));
      return Reply::error(429, -1015,
                          "Too many new orders; current limit is " + std::to_string(lim10) +
                              " orders per 10 SECOND.");
    }
    a.orders_10s += ep->orders;
    a.orders_1m += ep->orders;
    a.orders_1d += ep->orders;
    headers.emplace_back("X-MBX-ORDER-COUNT-10S", std::to_string(a.orders_10s));
    headers.emplace_back(is_spot ? "X-MBX-ORDER-COUNT-1D" : "X-MBX-ORDER-COUNT-1M",
                         std::to_string(is_spot ? a.orders_1d : a.orders_1m));
    if (single_new && draw(cfg.faults.drop_new)) {
      order_request = false;
      return Reply{0, {}};  // status 0: the connection is dropped, nothing executed
    }
    if (single_new && draw(cfg.faults.late_exec)) {
      late_execute(LateOrder{std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg.faults.late_ms),
                             m, std::string(path), params,
                             static_cast<std::size_t>(&a - accounts.data())});
      order_request = false;  // nothing to lose: no answer but this one
      return Reply::error(503, -1007,
                          "Timeout waiting for response from backend server. Send status unknown; "
                          "execution status unknown.");
    }
  } else if (req.method != "GET" && (path.ends_with("/order") || path.ends_with("Orders") ||
                                     path.ends_with("/algoOrder") ||
                                     path.ends_with("/openOrders"))) {
    order_request = true;  // cancels: their ack can be lost too
  }

  if (ep->sec == Sec::kUserStream) {
    Account& a = *acct;
    JsonOut j;
    if (req.method == "POST") {
      a.listen_key_open = true;
      j.obj().kv("listenKey", a.listen_key).end_obj();
      return Reply{200, j.take()};
    }
    const std::string* lk = params.find("listenKey");
    if (m == Market::kSpot && lk == nullptr) return Reply::missing("listenKey");
    if ((lk != nullptr && *lk != a.listen_key) || (req.method == "PUT" && !a.listen_key_open)) {
      return Reply::error(400, -1125, "This listenKey does not exist.");
    }
    if (req.method == "DELETE") a.listen_key_open = false;
    if (m == Market::kUsdm && req.method == "PUT") {
      j.obj().kv("listenKey", a.listen_key).end_obj();
      return Reply{200, j.take()};
    }
    return Reply{200, "{}"};
  }
  if (path == "/sapi/v1/asset/transfer" || path == "/sapi/v1/sub-account/universalTransfer")
    return transfers_endpoint(req.method, path, params, *acct);
  if (path.starts_with("/sapi/")) return sapi(path, params, *acct);
  if (acct == nullptr) return m == Market::kSpot ? spot_public(path, params) : usdm_public(path, params);
  return m == Market::kSpot ? spot_private(req.method, path, params, *acct)
                            : usdm_private(req.method, path, params, *acct);
}

std::optional<sim::SymbolIndex> Front::Impl::symbol_of(Market m, const Params& p, Reply& err) {
  const std::string* s = p.find("symbol");
  if (s == nullptr || s->empty()) {
    err = Reply::missing("symbol");
    return std::nullopt;
  }
  auto idx = state(m).venue->find_symbol(*s);
  if (!idx) err = Reply::error(400, -1121, "Invalid symbol.");
  return idx;
}

}  // namespace oms::venue_sim
