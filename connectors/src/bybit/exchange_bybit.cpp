// BybitVenue (exchange_bybit.hpp): the shared part of one venue + category -- HTTPS pool,
// server-time offset, instruments, order lanes -- the one path every REST request takes, and
// report ids.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "exchange_internal.hpp"
#include "oms/connectors/report_hash.hpp"

namespace oms::bybit {

TimeNs wall_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ExchangeError exchange_error(ExchangeErrorCode code, std::string message, std::int32_t venue_code) {
  return ExchangeError{code, venue_code, std::move(message)};
}


EventId report_id(AccountId account, Market market, const EventPayload& event,
                  std::string_view venue_order_id, std::uint64_t time_key) {
  ReportHash h;
  h.add("bybit");
  h.add(std::uint64_t{account.value});
  h.add(std::uint64_t{static_cast<std::uint8_t>(market)});
  h.add(std::uint64_t{event.index()});
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, OrderAccepted> || std::is_same_v<T, OrderCanceled> ||
                      std::is_same_v<T, OrderExpired>) {
          h.add(venue_order_id);
        } else if constexpr (std::is_same_v<T, OrderPartiallyFilled> || std::is_same_v<T, OrderFilled>) {
          h.add(venue_order_id);
          h.add(e.cum_qty);
        } else if constexpr (std::is_same_v<T, OrderAmended>) {
          h.add(venue_order_id);
          h.add(e.price);
          h.add(e.quantity);
        } else if constexpr (std::is_same_v<T, OrderRejected>) {
          h.add(e.client_order_id.view());
        } else if constexpr (std::is_same_v<T, FillReceived>) {
          h.add(std::uint64_t{e.instrument.value});
          h.add(e.trade_id.view());
        } else if constexpr (std::is_same_v<T, FundingPaid>) {
          h.add(std::uint64_t{e.instrument.value});
          h.add(e.amount);
          h.add(time_key);
        } else if constexpr (std::is_same_v<T, OrderStatusReconciled>) {
          h.add(e.client_order_id.view());
          h.add(e.venue_order_id.view());
          h.add(std::uint64_t{static_cast<std::uint8_t>(e.status)});
          h.add(e.cum_qty);
          h.add(time_key);
        } else if constexpr (std::is_same_v<T, BalanceUpdated>) {
          h.add(e.asset.view());
          h.add(e.free);
          h.add(e.locked);
          h.add(time_key);
        } else if constexpr (std::is_same_v<T, PositionUpdated>) {
          h.add(std::uint64_t{e.instrument.value});
          h.add(std::uint64_t{static_cast<std::uint8_t>(e.position_side)});
          h.add(e.size);
          h.add(e.entry_price);
          h.add(time_key);
        } else {
          h.add(venue_order_id);
          h.add(time_key);
        }
      },
      event);
  return h.value();
}

// ---- lanes ----------------------------------------------------------------------------------

Lanes::Lanes(std::size_t lanes) {
  lanes_.reserve(std::max<std::size_t>(lanes, 1));
  for (std::size_t i = 0; i < std::max<std::size_t>(lanes, 1); ++i) {
    lanes_.push_back(std::make_unique<Lane>());
    Lane& l = *lanes_.back();
    l.thread = std::thread([this, &l] { run(l); });
  }
}

Lanes::~Lanes() { stop(); }

void Lanes::post(std::size_t account_index, std::function<void()> job) {
  Lane& l = *lanes_[account_index % lanes_.size()];
  {
    std::lock_guard lk(l.mutex);
    if (l.stopping) return;
    l.jobs.push_back(std::move(job));
  }
  l.cv.notify_all();
}

void Lanes::drain() {
  for (auto& lp : lanes_) {
    std::unique_lock lk(lp->mutex);
    lp->cv.wait(lk, [&] { return (lp->jobs.empty() && !lp->running) || lp->stopping; });
  }
}

void Lanes::stop() {
  for (auto& lp : lanes_) {
    {
      std::lock_guard lk(lp->mutex);
      lp->stopping = true;
      lp->jobs.clear();
    }
    lp->cv.notify_all();
  }
  for (auto& lp : lanes_) {
    if (lp->thread.joinable()) lp->thread.join();
  }
}

void Lanes::run(Lane& l) {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lk(l.mutex);
      l.cv.wait(lk, [&] { return l.stopping || !l.jobs.empty(); });
      if (l.stopping) return;
      job = std::move(l.jobs.front());
      l.jobs.pop_front();
      l.running = true;
    }
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("bybit lane: a job threw: {}", e.what());
    }
    {
      std::lock_guard lk(l.mutex);
      l.running = false;
    }
    l.cv.notify_all();
  }
}

// ---- shared ---------------------------------------------------------------------------------

BybitVenue::Shared::Shared(BybitConfig c)
    : cfg(std::move(c)), pool(cfg.rest, cfg.tls, std::max<std::size_t>(cfg.pool_size, 1)) {
  for (const auto& in : cfg.instruments) {
    by_id.emplace(in.id.value, in);
    by_symbol.emplace(in.venue_symbol, in.id);
  }
  if (cfg.private_stream && !cfg.accounts.empty()) {
    streams = std::make_unique<net::IoThread>(cfg.market == Market::kSpot ? "oms-bybit-spot" : "oms-bybit-lin");
  }
  lanes = std::make_unique<Lanes>(pool.size());
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

namespace {

std::optional<std::int64_t> header_int(const net::HttpResponse& r, std::string_view name) {
  const std::string* v = r.header(name);
  if (v == nullptr) return std::nullopt;
  std::int64_t out = 0;
  const auto res = std::from_chars(v->data(), v->data() + v->size(), out);
  if (res.ec != std::errc{} || res.ptr != v->data() + v->size()) return std::nullopt;
  return out;
}

}  // namespace

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
  // The venue's word on the account's budget for this endpoint: spent -> held until the reset.
  if (budget != nullptr) {
    const auto status = header_int(*res, "X-Bapi-Limit-Status");
    const auto reset = header_int(*res, "X-Bapi-Limit-Reset-Timestamp");
    if (status && *status <= 0 && reset) {
      std::lock_guard lk(budget->mutex);
      budget->venue_hold_until_ns = std::max(budget->venue_hold_until_ns, (*reset - offset_ms.load()) * 1'000'000);
    }
  }
  return std::move(*res);
}

bool BybitVenue::Shared::admit_order(OrderBudget& budget, std::uint32_t orders) {
  constexpr TimeNs kSecond = 1'000'000'000;
  const TimeNs interval = kSecond / std::max<std::uint32_t>(cfg.orders_per_second, 1);
  const TimeNs burst = interval * std::max<std::uint32_t>(cfg.orders_per_second, 1);  // one second's worth
  const TimeNs deadline = wall_now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.request_timeout).count();
  for (;;) {
    TimeNs wait_until = 0;
    {
      std::lock_guard lk(budget.mutex);
      const TimeNs now = wall_now_ns();
      const TimeNs next = std::max(budget.theoretical_ns, now) + interval * static_cast<TimeNs>(orders);
      if (now < budget.venue_hold_until_ns) {
        wait_until = budget.venue_hold_until_ns;
      } else if (next - now <= burst) {
        budget.theoretical_ns = next;
        return true;
      } else {
        wait_until = next - burst;
      }
    }
    if (wait_until > deadline) return false;
    std::unique_lock lk(mutex);
    const auto until = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(wait_until)));
    if (wake.wait_until(lk, until, [this] { return stopping; })) return false;
  }
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

ExchangeResult<std::string> body_of(ExchangeResult<net::HttpResponse> r, std::string_view what) {
  if (!r) return Unexpected{std::move(r).error()};
  const unsigned status = r->status;
  if (status >= 200 && status < 300) return std::move(r->body);
  // 403: the IP's request rate was exceeded (access too frequent); 5xx: outcome unknown.
  const auto code = status == 403 ? ExchangeErrorCode::kRateLimited : ExchangeErrorCode::kHttpStatus;
  return Unexpected{exchange_error(code, std::string(what) + ": HTTP " + std::to_string(status) + " " +
                                             r->body.substr(0, 200))};
}

bool outcome_unknown(std::int32_t ret_code) noexcept {
  // 10000 server timeout, 10016 internal server error: the request may have executed.
  return ret_code == 10000 || ret_code == 10016;
}

// ---- BybitVenue -------------------------------------------------------------------------------

BybitVenue::BybitVenue(BybitConfig config) : shared_(std::make_unique<Shared>(std::move(config))) {
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
std::optional<std::size_t> BybitVenue::account_index(AccountId account) const noexcept {
  for (std::size_t i = 0; i < shared_->accounts.size(); ++i) {
    if (shared_->accounts[i]->account() == account) return i;
  }
  return std::nullopt;
}
ExchangeResult<std::int64_t> BybitVenue::sync_time() { return shared_->sync_time(); }
std::int64_t BybitVenue::time_offset_ms() const noexcept { return shared_->offset_ms.load(); }

}  // namespace oms::bybit
