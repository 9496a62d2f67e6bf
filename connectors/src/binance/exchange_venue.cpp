// BinanceVenue: the shared part of one venue + market -- HTTPS pool, rate limiter, server-time
// offset, instruments -- and the one path every REST request takes (admit, sign, send, learn).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "exchange_internal.hpp"

namespace oms::binance {

TimeNs wall_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ExchangeError exchange_error(ExchangeErrorCode code, std::string message, std::int32_t venue_code) {
  return ExchangeError{code, venue_code, std::move(message)};
}

std::vector<RateLimitRule> default_rate_limits(Market market) {
  if (market == Market::kUsdm)
    return {{RateLimitType::kRequestWeight, 60'000, "1M", 2'400},
            {RateLimitType::kOrders, 10'000, "10S", 300},
            {RateLimitType::kOrders, 60'000, "1M", 1'200}};
  return {{RateLimitType::kRequestWeight, 60'000, "1M", 6'000},
          {RateLimitType::kOrders, 10'000, "10S", 100},
          {RateLimitType::kOrders, 86'400'000, "1D", 200'000}};
}

namespace {
std::vector<RateLimitRule> rules_of(const BinanceConfig& c) {
  return c.rate_limits.empty() ? default_rate_limits(c.market) : c.rate_limits;
}
}  // namespace

BinanceVenue::Shared::Shared(BinanceConfig c)
    : cfg(std::move(c)),
      pool(cfg.rest, cfg.tls, std::max<std::size_t>(cfg.pool_size, 1)),
      limiter(rules_of(cfg), std::max<std::size_t>(cfg.accounts.size(), 1), cfg.rate_limit_config) {
  for (const auto& in : cfg.instruments) {
    by_id.emplace(in.id.value, in);
    by_symbol.emplace(in.venue_symbol, in.id);
  }
  lookup = [this](std::string_view symbol) -> std::optional<InstrumentId> {
    auto it = by_symbol.find(std::string(symbol));
    if (it == by_symbol.end()) return std::nullopt;
    return it->second;
  };
  if (cfg.user_data_stream && !cfg.accounts.empty()) {
    streams = std::make_unique<net::IoThread>(cfg.market == Market::kSpot ? "oms-spot-user"
                                                                          : "oms-usdm-user");
  }
  lanes = std::make_unique<OrderLanes>(
      pool.size(), [this](std::size_t account, std::uint32_t orders, TimeNs now) {
        std::lock_guard lk(limiter_mutex);
        return limiter.orders_free_at(account, orders, now);
      });
}

const Instrument* BinanceVenue::Shared::instrument(InstrumentId id) const {
  auto it = by_id.find(id.value);
  return it == by_id.end() ? nullptr : &it->second;
}

ExchangeResult<const Instrument*> BinanceVenue::Shared::require(InstrumentId id,
                                                                std::string_view what) const {
  if (const Instrument* in = instrument(id)) return in;
  return Unexpected{exchange_error(
      ExchangeErrorCode::kUnknownInstrument,
      std::string(what) + ": instrument " + std::to_string(id.value) + " is not configured")};
}

void BinanceVenue::Shared::notify() {
  { std::lock_guard lk(mutex); }
  wake.notify_all();
}

std::int64_t BinanceVenue::Shared::timestamp_ms() const noexcept {
  return wall_now_ns() / 1'000'000 + offset_ms.load(std::memory_order_relaxed);
}

Credentials BinanceVenue::Shared::credentials(AccountAuth* auth) const {
  Credentials creds;
  creds.recv_window_ms = cfg.recv_window_ms;
  if (auth != nullptr) {
    creds.api_key = auth->api_key.view();
    creds.signer = auth->signer ? &*auth->signer : nullptr;
  }
  return creds;
}

ExchangeResult<bool> BinanceVenue::Shared::admit(std::size_t account_index, const RestRequest& req,
                                                 std::string_view what) {
  // Budget first: nothing leaves that would exceed it (the way to never see a 418).
  bool waited = false;
  for (;;) {
    Admission a;
    {
      std::lock_guard lk(limiter_mutex);
      a = limiter.admit(account_index, {req.weight, req.order_count}, wall_now_ns());
    }
    if (a.kind == AdmitKind::kAdmitted) return waited;
    if (a.kind == AdmitKind::kRefused)
      return Unexpected{exchange_error(ExchangeErrorCode::kRateLimited,
                                       std::string(what) + ": not sent, " + a.describe())};
    // kWaitUntil: the limiter bounds the wait by max_wait_ms.
    waited = true;
    const auto until = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(a.until_ns)));
    std::unique_lock lk(mutex);
    if (wake.wait_until(lk, until, [this] { return stopping; }))
      return Unexpected{exchange_error(ExchangeErrorCode::kRateLimited,
                                       std::string(what) + ": not sent, stopping")};
  }
}

ExchangeResult<net::HttpResponse> BinanceVenue::Shared::send(std::size_t account_index,
                                                             const RestRequest& req,
                                                             AccountAuth* auth,
                                                             std::string_view what) {
  if (auto a = admit(account_index, req, what); !a) return Unexpected{std::move(a).error()};
  // Render with the venue's clock.
  net::HttpRequest http;
  {
    std::unique_lock<std::mutex> lk;
    if (auth != nullptr) lk = std::unique_lock(auth->mutex);
    auto r = render_into(req, credentials(auth), timestamp_ms(), http);
    if (!r)
      return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest,
                                       std::string(what) + ": " + r.error().message)};
  }
  return transmit(account_index, http, what);
}

ExchangeResult<net::HttpResponse> BinanceVenue::Shared::send_signed(std::size_t account_index,
                                                                    EncodedOrder& order,
                                                                    AccountAuth& auth,
                                                                    const SendOrigin& origin,
                                                                    std::string_view what) {
  auto waited = admit(account_index, order.request, what);
  if (!waited) return Unexpected{std::move(waited).error()};
  // Signed before a wait -- its own, or in the account's lane behind an order that waited for
  // the budget (the omsd routing burst test saw those rejected -1021 after a 10 s window's
  // wait) --: a fresh timestamp keeps it inside recvWindow.
  constexpr std::int64_t kStaleSignatureMs = 1000;
  if (*waited || timestamp_ms() - order.timestamp_ms > kStaleSignatureMs) {
    std::lock_guard lk(auth.mutex);
    auto r = WireEncoder::resign(credentials(&auth), timestamp_ms(), order);
    if (!r)
      return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest,
                                       std::string(what) + ": " + r.error().message)};
  }
  std::int64_t handed = 0;
  order.http.handed_to_socket_ns = cfg.latency ? &handed : nullptr;
  auto res = transmit(account_index, order.http, what);
  order.http.handed_to_socket_ns = nullptr;
  if (handed != 0) cfg.latency->record(origin, order.handed_ns, handed);
  return res;
}

ExchangeResult<net::HttpResponse> BinanceVenue::Shared::transmit(std::size_t account_index,
                                                                 net::HttpRequest& http,
                                                                 std::string_view what) {
  http.timeout = cfg.request_timeout;
  // Send on a pooled keep-alive connection.
  auto lease = pool.lease(cfg.request_timeout);
  if (!lease)
    return Unexpected{exchange_error(ExchangeErrorCode::kTransport,
                                     std::string(what) + ": not sent, no free connection")};
  return received(account_index, (*lease)->request(http), what);
}

std::optional<BinanceVenue::Shared::Written> BinanceVenue::Shared::write_now(
    std::size_t account_index, EncodedOrder& order, const SendOrigin& origin) {
  auto lease = pool.try_lease();
  if (!lease || !(*lease)->connected()) return std::nullopt;
  {
    std::lock_guard lk(limiter_mutex);
    const auto a = limiter.admit(account_index, {order.request.weight, order.request.order_count},
                                 wall_now_ns());
    if (a.kind != AdmitKind::kAdmitted) return std::nullopt;  // the lane waits or refuses
  }
  // Counted from here: a connection found closed at the write (rare) costs this order's weight
  // once more when the lane sends it -- the budget errs on the safe side.
  std::int64_t handed = 0;
  order.http.timeout = cfg.request_timeout;
  order.http.handed_to_socket_ns = cfg.latency ? &handed : nullptr;
  auto w = (*lease)->write_request(order.http);
  order.http.handed_to_socket_ns = nullptr;
  if (!w && w.error().code == net::HttpErrorCode::kNotConnected) return std::nullopt;
  if (handed != 0) cfg.latency->record(origin, order.handed_ns, handed);
  return Written{std::move(*lease), std::move(w)};
}

ExchangeResult<net::HttpResponse> BinanceVenue::Shared::finish_written(std::size_t account_index,
                                                                       Written& written,
                                                                       std::string_view what) {
  if (!written.write) return received(account_index, Unexpected(written.write.error()), what);
  return received(account_index, written.lease->read_response(), what);
}

ExchangeResult<net::HttpResponse> BinanceVenue::Shared::received(
    std::size_t account_index, Result<net::HttpResponse, net::HttpError> res,
    std::string_view what) {
  if (!res) {
    const auto c = res.error().code;
    const bool maybe = c == net::HttpErrorCode::kTimeout || c == net::HttpErrorCode::kClosed ||
                       c == net::HttpErrorCode::kProtocol;
    return Unexpected{exchange_error(
        maybe ? ExchangeErrorCode::kMaybeSent : ExchangeErrorCode::kTransport,
        std::string(what) + (maybe ? ": may have reached the venue, " : ": not sent, ") +
            res.error().message)};
  }
  // The venue's own numbers replace our estimate; 429 / 418 block the IP.
  ResponseOutcome o;
  {
    std::lock_guard lk(limiter_mutex);
    o = limiter.on_response(account_index, res->headers, res->status, wall_now_ns());
  }
  if (!o.header_error.empty()) spdlog::warn("binance {}: {}", what, o.header_error);
  if (o.ban_alert) {
    spdlog::error("binance {}: HTTP 418, IP banned until {} ns", what, o.blocked_until_ns);
    if (cfg.on_alert) cfg.on_alert("binance: HTTP 418 ban on " + cfg.rest.host);
  }
  return std::move(*res);
}

ExchangeResult<net::HttpResponse> check(ExchangeResult<net::HttpResponse> r,
                                        std::string_view what) {
  if (!r) return r;
  const unsigned status = r->status;
  if (status >= 200 && status < 300) return r;
  JsonParser parser;
  auto body = parse_error_body(parser, r->body);
  const std::int32_t code = body ? body->code : 0;
  std::string msg = std::string(what) + ": HTTP " + std::to_string(status);
  if (body) msg += " code " + std::to_string(code) + " " + body->msg;
  // 5xx and -1007 (backend timeout): the venue says the outcome is unknown.
  if (status >= 500 || code == -1007)
    return Unexpected{exchange_error(ExchangeErrorCode::kMaybeSent, msg, code)};
  if (status == 429 || status == 418)
    return Unexpected{exchange_error(ExchangeErrorCode::kRateLimited, msg, code)};
  if (code == -2013 || code == -2011)
    return Unexpected{exchange_error(ExchangeErrorCode::kUnknownOrder, msg, code)};
  if (!body) return Unexpected{exchange_error(ExchangeErrorCode::kHttpStatus, msg)};
  return Unexpected{exchange_error(ExchangeErrorCode::kVenueRejected, msg, code)};
}

ExchangeResult<std::int64_t> BinanceVenue::Shared::sync_time() {
  auto req = server_time(cfg.market);
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  const std::int64_t t0 = wall_now_ns() / 1'000'000;
  auto res = check(send(0, *req, nullptr, "GET time"), "GET time");
  if (!res) return Unexpected{std::move(res).error()};
  const std::int64_t t1 = wall_now_ns() / 1'000'000;
  // {"serverTime":1499827319559}
  const std::string& b = res->body;
  const auto k = b.find("\"serverTime\"");
  const auto colon = k == std::string::npos ? k : b.find(':', k);
  std::int64_t server = -1;
  if (colon != std::string::npos) {
    std::size_t i = colon + 1;
    while (i < b.size() && b[i] == ' ') ++i;
    std::int64_t v = 0;
    std::size_t digits = 0;
    while (i < b.size() && b[i] >= '0' && b[i] <= '9' && digits < 18) {
      v = v * 10 + (b[i] - '0');
      ++i;
      ++digits;
    }
    if (digits > 0) server = v;
  }
  if (server < 0)
    return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse,
                                     "GET time: serverTime: missing or not a number")};
  const std::int64_t offset = server - (t0 + t1) / 2;
  offset_ms.store(offset, std::memory_order_relaxed);
  return offset;
}

void BinanceVenue::Shared::maintenance_loop() {
  auto next_sync = std::chrono::steady_clock::now() + cfg.time_sync_interval;
  std::unique_lock lk(mutex);
  while (!stopping) {
    const auto tick = std::min<std::chrono::milliseconds>(
        {cfg.time_sync_interval, cfg.listen_key_keepalive, std::chrono::milliseconds(1'000)});
    wake.wait_for(lk, tick);
    if (stopping) break;
    lk.unlock();
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_sync) {
      if (auto r = sync_time(); !r) spdlog::warn("binance time sync: {}", r.error().message);
      next_sync = now + cfg.time_sync_interval;
    }
    for (auto& a : accounts) a->maintain_user_stream(now);
    lk.lock();
  }
}

// ---- BinanceVenue -----------------------------------------------------------------------------

BinanceVenue::BinanceVenue(BinanceConfig config)
    : shared_(std::make_unique<Shared>(std::move(config))) {
  auto& s = *shared_;
  for (std::size_t i = 0; i < s.cfg.accounts.size(); ++i) {
    auto& ac = s.cfg.accounts[i];
    if (s.cfg.market == Market::kUsdm)
      s.accounts.push_back(std::make_unique<BinanceUsdm>(s, i, std::move(ac)));
    else
      s.accounts.push_back(std::make_unique<BinanceSpot>(s, i, std::move(ac)));
  }
}

BinanceVenue::~BinanceVenue() {
  stop();
}

ExchangeResult<Unit> BinanceVenue::start() {
  if (auto r = shared_->sync_time(); !r) return Unexpected{std::move(r).error()};
  {
    std::lock_guard lk(shared_->mutex);
    shared_->stopping = false;
  }
  if (!shared_->maintenance.joinable())
    shared_->maintenance = std::thread([s = shared_.get()] { s->maintenance_loop(); });
  return Unit{};
}

void BinanceVenue::stop() {
  {
    std::lock_guard lk(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->wake.notify_all();
  if (shared_->maintenance.joinable()) shared_->maintenance.join();
  for (auto& a : shared_->accounts) a->stop();
  std::lock_guard lk(shared_->feeds_mutex);
  for (auto& f : shared_->feeds) f->stop();
}

std::size_t BinanceVenue::account_count() const noexcept {
  return shared_->accounts.size();
}

Exchange& BinanceVenue::account(std::size_t index) {
  return *shared_->accounts.at(index);
}

std::optional<std::string> BinanceVenue::replace_credentials(std::size_t index,
                                                             secrets::ApiCredentials credentials) {
  try {
    shared_->accounts.at(index)->set_credentials(std::move(credentials));
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

std::optional<std::size_t> BinanceVenue::account_index(AccountId account) const noexcept {
  for (std::size_t i = 0; i < shared_->accounts.size(); ++i)
    if (shared_->accounts[i]->account() == account) return i;
  return std::nullopt;
}

ExchangeResult<std::int64_t> BinanceVenue::sync_time() {
  return shared_->sync_time();
}

std::int64_t BinanceVenue::time_offset_ms() const noexcept {
  return shared_->offset_ms.load(std::memory_order_relaxed);
}

TimeNs BinanceVenue::banned_until_ns() const {
  std::lock_guard lk(shared_->limiter_mutex);
  return shared_->limiter.banned_until();
}

std::uint32_t BinanceVenue::orders_left(std::size_t account_index) const {
  std::lock_guard lk(shared_->limiter_mutex);
  return shared_->limiter.orders_left(account_index, wall_now_ns());
}

std::uint32_t BinanceVenue::used(RateLimitType type, std::string_view suffix,
                                 std::size_t account_index) const {
  std::lock_guard lk(shared_->limiter_mutex);
  return shared_->limiter.used(type, suffix, account_index, wall_now_ns());
}

}  // namespace oms::binance
