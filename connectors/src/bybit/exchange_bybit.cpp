// BybitVenue (exchange_bybit.hpp): the shared part of one venue + category -- HTTPS pool,
// server-time offset, instruments, order lanes (venue_common.hpp) -- and the one path every REST
// request takes.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "exchange_internal.hpp"

namespace oms::bybit {

// ---- shared ---------------------------------------------------------------------------------

BybitVenue::Shared::Shared(BybitConfig c)
    : cfg(std::move(c)),
      ban("bybit " + std::string(to_string(cfg.market)), 403, cfg.ip_ban_fallback),
      pool(cfg.rest, cfg.tls, std::max<std::size_t>(cfg.pool_size, 1)) {
  for (const auto& in : cfg.instruments) {
    by_id.emplace(in.id.value, in);
    by_symbol.emplace(in.venue_symbol, in.id);
  }
  if (cfg.private_stream && !cfg.accounts.empty()) {
    streams = std::make_unique<net::IoThread>(cfg.market == Market::kSpot ? "oms-bybit-spot" : "oms-bybit-lin");
  }
  lanes = std::make_unique<Lanes>(pool.size(), "bybit");
}

const Instrument* BybitVenue::Shared::instrument(InstrumentId id) const {
  const auto it = by_id.find(id.value);
  return it == by_id.end() ? nullptr : &it->second;
}

const Instrument* BybitVenue::Shared::instrument(std::string_view symbol) const {
  const auto it = by_symbol.find(std::string(symbol));
  return it == by_symbol.end() ? nullptr : instrument(it->second);
}

std::int64_t BybitVenue::Shared::timestamp_ms() const noexcept {
  return wall_now_ns() / 1'000'000 + offset_ms.load(std::memory_order_relaxed);
}

ExchangeResult<net::HttpResponse> BybitVenue::Shared::send(const RestRequest& req, AccountAuth* auth,
                                                           OrderBudget* budget, std::string_view what) {
  net::HttpRequest http;
  {
    std::unique_lock<std::mutex> lk;
    if (auth != nullptr) lk = std::unique_lock(auth->mutex);
    Credentials creds;
    creds.recv_window_ms = cfg.recv_window_ms;
    if (auth != nullptr) {
      creds.api_key = auth->api_key.view();
      creds.signer = auth->signer ? &*auth->signer : nullptr;
    }
    auto r = render_into(req, creds, timestamp_ms(), http);
    if (!r) {
      return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, std::string(what) + ": " + r.error().message)};
    }
  }
  http.timeout = cfg.request_timeout;
  // Banned: nothing leaves (a request now would lengthen the ban).
  if (auto refused = ban.refuse(what, wall_now_ns())) return Unexpected{std::move(*refused)};
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
  if (auto banned = ban.answered(*res, what, wall_now_ns(), cfg.on_alert, cfg.rest.host)) return Unexpected{std::move(*banned)};
  // The venue's word on the account's budget for this endpoint: spent -> held until the reset.
  if (budget != nullptr) {
    const auto status = venue::header_int(*res, "X-Bapi-Limit-Status");
    const auto reset = venue::header_int(*res, "X-Bapi-Limit-Reset-Timestamp");
    if (status && *status <= 0 && reset) {
      std::lock_guard lk(budget->mutex);
      budget->venue_hold_until_ns = std::max(budget->venue_hold_until_ns, (*reset - offset_ms.load()) * 1'000'000);
    }
  }
  return std::move(*res);
}

bool BybitVenue::Shared::admit_order(OrderBudget& budget, std::uint32_t orders) {
  const TimeNs deadline =
      wall_now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.request_timeout).count();
  return venue::admit(budget, cfg.orders_per_second, orders, deadline, venue::StopSignal{mutex, wake, stopping});
}

ExchangeResult<std::int64_t> BybitVenue::Shared::sync_time() {
  const TimeNs before = wall_now_ns();
  auto r = body_of(send(*server_time(), nullptr, nullptr, "server time"), "server time");
  if (!r) return Unexpected{std::move(r).error()};
  const TimeNs after = wall_now_ns();
  // {"retCode":0,...,"result":{"timeSecond":"..","timeNano":".."},"time":ms}
  const auto pos = r->find("\"time\":");
  std::int64_t venue_ms = 0;
  if (pos == std::string::npos ||
      std::from_chars(r->data() + pos + 7, r->data() + r->size(), venue_ms).ec != std::errc{}) {
    return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse, "server time: no time in " + r->substr(0, 200))};
  }
  const std::int64_t local_ms = (before + after) / 2 / 1'000'000;
  offset_ms.store(venue_ms - local_ms);
  return venue_ms - local_ms;
}

void BybitVenue::Shared::maintenance_loop() {
  // Every ws_ping_interval: the venue's heartbeat ({"op":"ping"}) on every socket; every
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
      if (auto r = sync_time(); !r) spdlog::warn("bybit: time sync: {}", r.error().message);
    }
    lk.lock();
  }
}

bool outcome_unknown(std::int32_t ret_code) noexcept {
  // 10000 server timeout, 10016 internal server error: the request may have executed.
  return ret_code == 10000 || ret_code == 10016;
}

// ---- BybitVenue -------------------------------------------------------------------------------

BybitVenue::BybitVenue(BybitConfig config) : shared_(std::make_unique<Shared>(std::move(config))) {
  if (shared_->cfg.history_page_limit < 1 || shared_->cfg.history_page_limit > 50) {
    throw std::runtime_error("bybit config history_page_limit: " + std::to_string(shared_->cfg.history_page_limit) +
                             " is not in [1, 50] (/v5/order/history's page)");
  }
  for (std::size_t i = 0; i < shared_->cfg.accounts.size(); ++i) {
    shared_->accounts.push_back(std::make_unique<BybitAccount>(*shared_, i, std::move(shared_->cfg.accounts[i])));
  }
}

BybitVenue::~BybitVenue() { stop(); }

ExchangeResult<Unit> BybitVenue::start() {
  if (auto r = shared_->sync_time(); !r) return Unexpected{std::move(r).error()};
  {
    std::lock_guard lk(shared_->mutex);
    shared_->stopping = false;
  }
  if (!shared_->maintenance.joinable()) shared_->maintenance = std::thread([s = shared_.get()] { s->maintenance_loop(); });
  return Unit{};
}

void BybitVenue::stop() {
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

std::size_t BybitVenue::account_count() const noexcept { return shared_->accounts.size(); }
Exchange& BybitVenue::account(std::size_t index) { return *shared_->accounts.at(index); }

std::optional<std::string> BybitVenue::replace_credentials(std::size_t index, secrets::ApiCredentials credentials) {
  try {
    shared_->accounts.at(index)->set_credentials(std::move(credentials));
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}
TimeNs BybitVenue::banned_until_ns() const noexcept { return shared_->ban.until_ns(); }

std::optional<OrderBudgetUse> BybitVenue::order_budget(AccountId account) const {
  for (const auto& a : shared_->accounts) {
    if (a->account() == account) return a->budget_use();
  }
  return std::nullopt;
}
std::optional<std::size_t> BybitVenue::account_index(AccountId account) const noexcept {
  for (std::size_t i = 0; i < shared_->accounts.size(); ++i) {
    if (shared_->accounts[i]->account() == account) return i;
  }
  return std::nullopt;
}
ExchangeResult<std::int64_t> BybitVenue::sync_time() { return shared_->sync_time(); }
std::int64_t BybitVenue::time_offset_ms() const noexcept { return shared_->offset_ms.load(); }

}  // namespace oms::bybit
