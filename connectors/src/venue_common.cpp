#include "venue_common.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "oms/connectors/report_hash.hpp"

namespace oms::venue {

TimeNs wall_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ExchangeError exchange_error(ExchangeErrorCode code, std::string message, std::int32_t venue_code) {
  return ExchangeError{code, venue_code, std::move(message)};
}

std::vector<OrderStatusReconciled> open_then_closed(std::vector<OrderStatusReconciled> open,
                                                   std::vector<OrderStatusReconciled> closed) {
  std::vector<OrderStatusReconciled> out;
  out.reserve(open.size() + closed.size());
  for (auto& o : open) {
    const bool later = std::any_of(closed.begin(), closed.end(),
                                   [&](const OrderStatusReconciled& c) { return c.venue_order_id == o.venue_order_id; });
    if (!later) out.push_back(std::move(o));
  }
  for (auto& o : closed) out.push_back(std::move(o));
  return out;
}

std::int64_t history_start_ms(std::string_view venue, AccountId account, std::string_view what, TimeNs since,
                              std::int64_t now_ms, std::int64_t keep_ms) {
  const std::int64_t asked = since / 1'000'000;
  const std::int64_t oldest = now_ms - keep_ms;
  if (asked >= oldest) return asked;
  spdlog::warn("{} account {} {}: asked from {} ms, read from {} ms ({} days back at most)", venue,
               account.value, what, asked, oldest, keep_ms / 86'400'000);
  return oldest;
}

EventId report_id(std::string_view venue, AccountId account, Market market, const EventPayload& event,
                  std::string_view venue_order_id, std::uint64_t time_key) {
  ReportHash h;
  h.add(venue);
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

Lanes::Lanes(std::size_t lanes, std::string name) : name_(std::move(name)) {
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
      spdlog::error("{} lane: a job threw: {}", name_, e.what());
    }
    {
      std::lock_guard lk(l.mutex);
      l.running = false;
    }
    l.cv.notify_all();
  }
}

// ---- budget and answers ---------------------------------------------------------------------

bool admit(OrderBudget& budget, std::uint32_t orders_per_second, std::uint32_t orders, TimeNs deadline_ns,
           StopSignal stop) {
  constexpr TimeNs kSecond = 1'000'000'000;
  const std::uint32_t rate = std::max<std::uint32_t>(orders_per_second, 1);
  const TimeNs interval = kSecond / rate;
  const TimeNs burst = interval * rate;  // one second's worth
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
    if (wait_until > deadline_ns) return false;
    std::unique_lock lk(stop.mutex);
    const auto until = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(wait_until)));
    if (stop.wake.wait_until(lk, until, [&stop] { return stop.stopping; })) return false;
  }
}

OrderBudgetUse use_of(OrderBudget& budget, std::uint32_t orders_per_second, TimeNs now) {
  constexpr TimeNs kSecond = 1'000'000'000;
  const std::uint32_t rate = std::max<std::uint32_t>(orders_per_second, 1);
  const TimeNs interval = kSecond / rate;
  std::lock_guard lk(budget.mutex);
  OrderBudgetUse u;
  u.limit = rate;
  const TimeNs ahead = budget.theoretical_ns - now;
  if (ahead > 0) u.used = static_cast<std::uint32_t>(std::min<TimeNs>((ahead + interval - 1) / interval, rate));
  if (budget.venue_hold_until_ns > now) u.venue_hold_until_ms = budget.venue_hold_until_ns / 1'000'000;
  return u;
}

std::optional<ExchangeError> IpBan::refuse(std::string_view what, TimeNs now) const {
  const TimeNs until = until_ns();
  if (now >= until) return std::nullopt;
  return exchange_error(ExchangeErrorCode::kRateLimited,
                        std::string(what) + ": not sent, " + venue_ + "'s IP ban (HTTP " + std::to_string(status_) +
                            ") frees at " + std::to_string(until / 1'000'000) + " ms (in " +
                            std::to_string((until - now) / 1'000'000) + " ms)");
}

bool IpBan::note(const net::HttpResponse& r, TimeNs now) {
  if (r.status != status_) return false;
  TimeNs length = std::chrono::duration_cast<std::chrono::nanoseconds>(fallback_).count();
  // Retry-After in seconds, up to a week (a larger value is read as a week, never wrapped).
  constexpr std::int64_t kLongestS = 7 * 24 * 3600;
  if (const auto after = header_int(r, "Retry-After"); after && *after > 0) {
    length = std::min(*after, kLongestS) * 1'000'000'000;
  }
  const TimeNs until = now + length;
  TimeNs was = until_.load(std::memory_order_acquire);
  while (was < until && !until_.compare_exchange_weak(was, until, std::memory_order_acq_rel)) {
  }
  if (was >= until) return false;  // an answer of a ban already known to last as long
  const bool began = was <= now;
  spdlog::error("{}: HTTP {}, the venue banned this IP until {} ms (in {} ms): nothing is sent until then",
                venue_, status_, until / 1'000'000, length / 1'000'000);
  return began;
}

std::optional<ExchangeError> IpBan::answered(const net::HttpResponse& r, std::string_view what, TimeNs now,
                                             const std::function<void(std::string_view)>& alert,
                                             std::string_view host) {
  if (r.status != status_) return std::nullopt;
  if (note(r, now) && alert) {
    alert("HTTP " + std::to_string(status_) + ": the venue " + done_ + " (" + std::string(host) + ") until " +
          std::to_string(until_ns() / 1'000'000) + " ms");
  }
  return exchange_error(ExchangeErrorCode::kRateLimited,
                        std::string(what) + ": HTTP " + std::to_string(status_) + ", the venue " + done_ + " until " +
                            std::to_string(until_ns() / 1'000'000) + " ms (nothing is sent until then): " +
                            r.body.substr(0, 200));
}

std::optional<std::int64_t> header_int(const net::HttpResponse& r, std::string_view name) {
  const std::string* v = r.header(name);
  if (v == nullptr) return std::nullopt;
  std::int64_t out = 0;
  const auto res = std::from_chars(v->data(), v->data() + v->size(), out);
  if (res.ec != std::errc{} || res.ptr != v->data() + v->size()) return std::nullopt;
  return out;
}

ExchangeResult<std::string> body_of(ExchangeResult<net::HttpResponse> r, std::string_view what,
                                    unsigned rate_limit_status) {
  if (!r) return Unexpected{std::move(r).error()};
  const unsigned status = r->status;
  if (status >= 200 && status < 300) return std::move(r->body);
  const auto code = status == rate_limit_status ? ExchangeErrorCode::kRateLimited : ExchangeErrorCode::kHttpStatus;
  return Unexpected{exchange_error(code, std::string(what) + ": HTTP " + std::to_string(status) + " " +
                                             r->body.substr(0, 200))};
}

}  // namespace oms::venue
