// The plumbing the venue connectors after Binance's share (private to connectors/src): the
// clock, errors, report ids, order lanes, the per-account order budget, answers' status and
// headers, the walk over a venue's history windows. A venue's own rules (its paths, signatures, codes) stay in its folder.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "oms/connectors/exchange.hpp"
#include "oms/connectors/order_budget.hpp"
#include "oms/connectors/net/http.hpp"

namespace oms::venue {

[[nodiscard]] TimeNs wall_now_ns() noexcept;
[[nodiscard]] ExchangeError exchange_error(ExchangeErrorCode code, std::string message,
                                           std::int32_t venue_code = 0);

// The report id of a venue fact: the same fact from REST and from the stream gets the same id.
// venue: "bybit", "okx" (ids of two venues never meet). time_key: the update time for balances
// and positions, the query serial for OrderStatusReconciled.
[[nodiscard]] EventId report_id(std::string_view venue, AccountId account, Market market,
                                const EventPayload& event, std::string_view venue_order_id,
                                std::uint64_t time_key);

// A few threads that run every account's jobs: account i's on lane i % lanes, in the order
// given, so 200 accounts cost a handful of threads and one account's requests never overtake
// each other. A job that waits for its account's budget holds its lane.
class Lanes {
 public:
  Lanes(std::size_t lanes, std::string name);  // name: in the log when a job throws
  ~Lanes();
  Lanes(const Lanes&) = delete;
  Lanes& operator=(const Lanes&) = delete;
  void post(std::size_t account_index, std::function<void()> job);
  // Waits until every job posted for lanes so far has run (tests, stop()).
  void drain();
  void stop();

 private:
  struct Lane {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    bool running = false;
    bool stopping = false;
    std::thread thread;
  };
  void run(Lane& lane);
  std::string name_;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

// An account's order budget: orders_per_second as a cell-rate bucket (each order moves a
// theoretical time on by 1/rate; up to one second's worth may be ahead of the clock), and the
// venue's own word (its limit headers say the budget is spent -> held until the reset).
struct OrderBudget {
  std::mutex mutex;
  TimeNs theoretical_ns = 0;  // when the orders admitted so far would have been spaced out
  TimeNs venue_hold_until_ns = 0;
};

// What admit() waits on: the owner's stop flag, guarded by mutex and signalled on wake.
struct StopSignal {
  std::mutex& mutex;
  std::condition_variable& wake;
  const bool& stopping;
};

// Waits until `orders` more fit the account's budget (until deadline_ns at most); false:
// stopping, or the wait would pass the deadline.
[[nodiscard]] bool admit(OrderBudget& budget, std::uint32_t orders_per_second, std::uint32_t orders,
                         TimeNs deadline_ns, StopSignal stop);

// How much of the budget is in use at `now` (health): the orders the bucket holds ahead of the
// clock, and the venue's hold.
[[nodiscard]] OrderBudgetUse use_of(OrderBudget& budget, std::uint32_t orders_per_second, TimeNs now);

// The venue's ban of this connector's IP (Bybit: HTTP 403 "access too frequent"; Upbit: HTTP
// 418). Every request sent while it lasts would lengthen it -- or make it permanent -- so until
// it ends nothing is sent: each request is refused here, naming the ban and its end. Its length:
// the answer's Retry-After (seconds) when the venue gives one, else the venue's documented
// default (`fallback`).
class IpBan {
 public:
  // done: what the venue did, in the answer's error ("banned this IP", "blocked this connection").
  IpBan(std::string venue, unsigned status, std::chrono::milliseconds fallback, std::string done = "banned this IP")
      : venue_(std::move(venue)), status_(status), fallback_(fallback), done_(std::move(done)) {}
  // Before a request: the refusal while the ban lasts (kRateLimited), else nullopt.
  [[nodiscard]] std::optional<ExchangeError> refuse(std::string_view what, TimeNs now) const;
  // After an answer: the ban status starts (or lengthens) the ban. True when a ban began with
  // this answer (the caller alerts once).
  bool note(const net::HttpResponse& r, TimeNs now);
  // After an answer: nullopt when it is not the ban status; else the ban noted, `alert` told
  // (naming host) when it began, and the request's error (kRateLimited: the ban's end, then the
  // venue's words).
  [[nodiscard]] std::optional<ExchangeError> answered(const net::HttpResponse& r, std::string_view what, TimeNs now,
                                                      const std::function<void(std::string_view)>& alert,
                                                      std::string_view host);
  // Its end (0: never banned; in the past: over).
  [[nodiscard]] TimeNs until_ns() const noexcept { return until_.load(std::memory_order_acquire); }
  [[nodiscard]] unsigned status() const noexcept { return status_; }

 private:
  std::string venue_;
  unsigned status_;
  std::chrono::milliseconds fallback_;
  std::string done_;
  std::atomic<TimeNs> until_{0};
};

// An integer header ("X-Bapi-Limit-Status: 0"), or nullopt when absent or not an integer.
[[nodiscard]] std::optional<std::int64_t> header_int(const net::HttpResponse& r,
                                                     std::string_view name);

// The body of a 2xx answer, or the ExchangeError its status says: rate_limit_status (the
// venue's "too many requests": Bybit 403, OKX 429) -> kRateLimited; anything else, 5xx
// included (the venue may have executed it) -> kHttpStatus.
[[nodiscard]] ExchangeResult<std::string> body_of(ExchangeResult<net::HttpResponse> r,
                                                  std::string_view what,
                                                  unsigned rate_limit_status);

// ---- history walks (all_orders / my_trades from a `since`) -------------------------------------

// A history query's time window in ms, both ends included.
struct HistoryWindow {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
};

// One window's answer: its records and whether they filled the page, so that the window may
// hold more than it gave (a venue with no cursor past a page: Upbit's closed orders). A fetch
// that follows the venue's cursor to the window's end answers full = false.
template <class R>
struct WindowPage {
  std::vector<R> records;
  bool full = false;
};

// A walk's requests spaced at least `gap` apart (under the endpoint's per-account rate, so a
// long walk is not refused halfway): wait() before each request; the first goes at once.
class Pacer {
 public:
  explicit Pacer(std::chrono::milliseconds gap) : gap_(gap) {}
  void wait() {
    const auto now = std::chrono::steady_clock::now();
    if (started_ && now < next_) std::this_thread::sleep_until(next_);
    started_ = true;
    next_ = std::max(now, next_) + gap_;
  }

 private:
  std::chrono::milliseconds gap_;
  std::chrono::steady_clock::time_point next_{};
  bool started_ = false;
};

// Where a walk from `since` starts: since, or the oldest the venue keeps (keep_ms before now_ms)
// when since is older -- that cut said in the log (venue, account, what, both times).
[[nodiscard]] std::int64_t history_start_ms(std::string_view venue, AccountId account, std::string_view what,
                                            TimeNs since, std::int64_t now_ms, std::int64_t keep_ms);

// Every record of [start_ms, now_ms]: windows of span_ms at most (the longest end - start the
// venue takes), oldest first, each asked of fetch(HistoryWindow) -> ExchangeResult<WindowPage<R>>;
// a full page's window is split in two and its halves asked in turn (oldest first), so a page
// limit never drops a record. A full page within one millisecond can be split no further: it goes
// to full_ms(window, page) -> ExchangeResult<std::vector<R>>, which reads the rest of that
// millisecond another way (Binance: on by id) and answers all of it.
template <class R, class Fetch, class FullMs>
[[nodiscard]] ExchangeResult<std::vector<R>> walk_windows(std::int64_t start_ms, std::int64_t now_ms,
                                                          std::int64_t span_ms, Fetch&& fetch, FullMs&& full_ms) {
  std::deque<HistoryWindow> todo;
  const std::int64_t span = std::max<std::int64_t>(span_ms, 1);
  for (std::int64_t s = start_ms; s <= now_ms; s += span) todo.push_back({s, std::min(s + span - 1, now_ms)});
  std::vector<R> out;
  while (!todo.empty()) {
    const HistoryWindow w = todo.front();
    todo.pop_front();
    ExchangeResult<WindowPage<R>> page = fetch(w);
    if (!page) return Unexpected{std::move(page).error()};
    if (page->full && w.end_ms > w.start_ms) {
      const std::int64_t mid = w.start_ms + (w.end_ms - w.start_ms) / 2;
      todo.push_front({mid + 1, w.end_ms});
      todo.push_front({w.start_ms, mid});
      continue;
    }
    if (page->full) {
      ExchangeResult<std::vector<R>> all = full_ms(w, std::move(page->records));
      if (!all) return Unexpected{std::move(all).error()};
      for (auto& r : *all) out.push_back(std::move(r));
      continue;
    }
    for (auto& r : page->records) out.push_back(std::move(r));
  }
  return out;
}

// The same for a venue with no other way into one millisecond: a full page there is an error
// naming the window (kBadResponse), never a page's worth passed off as all.
template <class R, class Fetch>
[[nodiscard]] ExchangeResult<std::vector<R>> walk_windows(std::int64_t start_ms, std::int64_t now_ms,
                                                          std::int64_t span_ms, std::string_view what, Fetch&& fetch) {
  return walk_windows<R>(start_ms, now_ms, span_ms, std::forward<Fetch>(fetch),
                         [what](HistoryWindow w, std::vector<R>) -> ExchangeResult<std::vector<R>> {
                           return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse,
                                                            std::string(what) + ": a full page within the one millisecond " +
                                                                std::to_string(w.start_ms) + " (no cursor to read the rest)")};
                         });
}

// An account's orders from `open` (read first) and `closed` (the venue's history, read after):
// an order in both -- completed between the two reads -- is taken from the history.
[[nodiscard]] std::vector<OrderStatusReconciled> open_then_closed(std::vector<OrderStatusReconciled> open,
                                                                  std::vector<OrderStatusReconciled> closed);

}  // namespace oms::venue
