// OkxVenue (exchange_okx.hpp): the shared part of one venue + market -- HTTPS pool, server-time
// offset, instruments, order lanes (venue_common.hpp) -- and the one path every REST request
// takes.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "exchange_internal.hpp"

namespace oms::okx {

bool outcome_unknown(std::int32_t code) noexcept {
  // 50001 service temporarily unavailable, 50004 endpoint request timeout ("does not mean the
  // request failed"), 50013 system busy, 50026 system error: the request may have executed.
  return code == 50001 || code == 50004 || code == 50013 || code == 50026;
}

bool rate_limited(std::int32_t code) noexcept {
  // 50011 rate limit reached, 50061 sub-account rate limit reached.
  return code == 50011 || code == 50061;
}

ExchangeResult<std::string> body_of(ExchangeResult<net::HttpResponse> r, std::string_view what) {
  constexpr unsigned kTooManyRequests = 429;
  if (r && (r->status < 200 || r->status >= 300)) {
    if (auto env = parse_envelope(r->body); !env && env.error().refused) {
      const VenueRefusal& ref = env.error().refusal;
      const auto code = r->status == kTooManyRequests || rate_limited(ref.code) ? ExchangeErrorCode::kRateLimited
                        : r->status >= 500 || outcome_unknown(ref.code)     ? ExchangeErrorCode::kHttpStatus
                                                                             : ExchangeErrorCode::kVenueRejected;
      return Unexpected{exchange_error(code,
                                       std::string(what) + ": HTTP " + std::to_string(r->status) + " code " +
                                           std::to_string(ref.code) + " " + ref.msg,
                                       ref.code)};
    }
  }
  return venue::body_of(std::move(r), what, kTooManyRequests);
}

OkxVenue::Shared::Shared(OkxConfig c)
    : cfg(std::move(c)), pool(cfg.rest, cfg.tls, std::max<std::size_t>(cfg.pool_size, 1)) {
  for (const auto& in : cfg.instruments) {
    if (!in.contract_value.is_positive()) {
      throw std::runtime_error("okx " + in.instrument.venue_symbol + ": contract value must be positive");
    }
    by_id.emplace(in.instrument.id.value, in);
    by_inst_id.emplace(in.instrument.venue_symbol, in.instrument.id);
  }
  if (cfg.private_stream && !cfg.accounts.empty()) {
    streams = std::make_unique<net::IoThread>(cfg.market == Market::kSpot ? "oms-okx-spot" : "oms-okx-swap");
  }
  lanes = std::make_unique<Lanes>(pool.size(), "okx");
}

const OkxInstrument* OkxVenue::Shared::instrument(InstrumentId id) const {
  const auto it = by_id.find(id.value);
  return it == by_id.end() ? nullptr : &it->second;
}

const OkxInstrument* OkxVenue::Shared::instrument(std::string_view inst_id) const {
  const auto it = by_inst_id.find(std::string(inst_id));
  return it == by_inst_id.end() ? nullptr : instrument(it->second);
}

std::int64_t OkxVenue::Shared::timestamp_ms() const noexcept {
  return wall_now_ns() / 1'000'000 + offset_ms.load(std::memory_order_relaxed);
}

ExchangeResult<net::HttpResponse> OkxVenue::Shared::send(const RestRequest& req, AccountAuth* auth,
                                                         std::string_view what) {
  net::HttpRequest http;
  {
    std::unique_lock<std::mutex> lk;
    if (auth != nullptr) lk = std::unique_lock(auth->mutex);
    Credentials creds;
    creds.simulated = cfg.simulated;
    if (auth != nullptr) {
      creds.api_key = auth->api_key.view();
      creds.passphrase = auth->passphrase.view();
      creds.signer = auth->signer ? &*auth->signer : nullptr;
    }
    auto r = render_into(req, creds, timestamp_ms(), http);
    if (!r) {
      return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, std::string(what) + ": " + r.error().message)};
    }
  }
  http.timeout = cfg.request_timeout;
  auto lease = pool.lease(cfg.request_timeout);
  if (!lease) {
    return Unexpected{exchange_error(ExchangeErrorCode::kTransport, std::string(what) + ": not sent, no free connection")};
  }
  auto res = (*lease)->request(http);
  if (!res) {
    const auto c = res.error().code;
    const bool maybe = c == net::HttpErrorCode::kTimeout || c == net::HttpErrorCode::kClosed ||
                       c == net::HttpErrorCode::kProtocol;
    return Unexpected{exchange_error(maybe ? ExchangeErrorCode::kMaybeSent : ExchangeErrorCode::kTransport,
                                     std::string(what) + (maybe ? ": may have reached the venue, " : ": not sent, ") +
                                         res.error().message)};
  }
  return std::move(*res);
}

bool OkxVenue::Shared::admit_order(OrderBudget& budget, std::uint32_t orders) {
  const TimeNs deadline =
      wall_now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.request_timeout).count();
  return venue::admit(budget, cfg.orders_per_second, orders, deadline, venue::StopSignal{mutex, wake, stopping});
}

ExchangeResult<std::int64_t> OkxVenue::Shared::sync_time() {
  const TimeNs before = wall_now_ns();
  auto r = body_of(send(*server_time(), nullptr, "server time"), "server time");
  if (!r) return Unexpected{std::move(r).error()};
  const TimeNs after = wall_now_ns();
  auto venue_ms = parse_server_time(*r);
  if (!venue_ms) return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse, "server time: " + venue_ms.error().message)};
  const std::int64_t local_ms = (before + after) / 2 / 1'000'000;
  offset_ms.store(*venue_ms - local_ms);
  return *venue_ms - local_ms;
}

void OkxVenue::Shared::maintenance_loop() {
  // Every ws_ping_interval: "ping" on every socket (OKX closes one silent for 30 s); every
  // time_sync_interval: the clock.
  auto next_sync = std::chrono::steady_clock::now() + cfg.time_sync_interval;
  std::unique_lock lk(mutex);
  while (!wake.wait_for(lk, cfg.ws_ping_interval, [this] { return stopping; })) {
    lk.unlock();
    for (auto& a : accounts) a->heartbeat();
    {
      std::lock_guard fl(feeds_mutex);
      for (auto& f : feeds) f->heartbeat();
    }
    if (std::chrono::steady_clock::now() >= next_sync) {
      next_sync = std::chrono::steady_clock::now() + cfg.time_sync_interval;
      if (auto r = sync_time(); !r) spdlog::warn("okx: time sync: {}", r.error().message);
    }
    lk.lock();
  }
}

// ---- OkxVenue -------------------------------------------------------------------------------

OkxVenue::OkxVenue(OkxConfig config) : shared_(std::make_unique<Shared>(std::move(config))) {
  if (shared_->cfg.history_page_limit < 1 || shared_->cfg.history_page_limit > 100) {
    throw std::runtime_error("okx config history_page_limit: " + std::to_string(shared_->cfg.history_page_limit) +
                             " is not in [1, 100] (the history queries' limit)");
  }
  for (std::size_t i = 0; i < shared_->cfg.accounts.size(); ++i) {
    shared_->accounts.push_back(std::make_unique<OkxAccount>(*shared_, i, std::move(shared_->cfg.accounts[i])));
  }
}

OkxVenue::~OkxVenue() { stop(); }

ExchangeResult<Unit> OkxVenue::start() {
  if (auto r = shared_->sync_time(); !r) return Unexpected{std::move(r).error()};
  {
    std::lock_guard lk(shared_->mutex);
    shared_->stopping = false;
  }
  if (!shared_->maintenance.joinable()) shared_->maintenance = std::thread([s = shared_.get()] { s->maintenance_loop(); });
  return Unit{};
}

void OkxVenue::stop() {
  {
    std::lock_guard lk(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->wake.notify_all();
  for (auto& a : shared_->accounts) a->stop();
  {
    std::lock_guard lk(shared_->feeds_mutex);
    for (auto& f : shared_->feeds) f->stop();
    shared_->feeds.clear();
  }
  shared_->lanes->stop();
  if (shared_->maintenance.joinable()) shared_->maintenance.join();
}

std::size_t OkxVenue::account_count() const noexcept { return shared_->accounts.size(); }
Exchange& OkxVenue::account(std::size_t index) { return *shared_->accounts.at(index); }

std::optional<std::string> OkxVenue::replace_credentials(std::size_t index, secrets::ApiCredentials credentials) {
  try {
    shared_->accounts.at(index)->set_credentials(std::move(credentials));
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}
std::optional<OrderBudgetUse> OkxVenue::order_budget(AccountId account) const {
  for (const auto& a : shared_->accounts) {
    if (a->account() == account) return a->budget_use();
  }
  return std::nullopt;
}
std::optional<std::size_t> OkxVenue::account_index(AccountId account) const noexcept {
  for (std::size_t i = 0; i < shared_->accounts.size(); ++i) {
    if (shared_->accounts[i]->account() == account) return i;
  }
  return std::nullopt;
}
ExchangeResult<std::int64_t> OkxVenue::sync_time() { return shared_->sync_time(); }
std::int64_t OkxVenue::time_offset_ms() const noexcept { return shared_->offset_ms.load(); }
std::uint64_t OkxVenue::book_resyncs() const noexcept { return shared_->book_resyncs.load(); }

}  // namespace oms::okx
