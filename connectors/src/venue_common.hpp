// The plumbing the venue connectors after Binance's share (private to connectors/src): the
// clock, errors, report ids, order lanes, the per-account order budget, answers' status and
// headers. A venue's own rules (its paths, signatures, codes) stay in its folder.
#pragma once

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

// An integer header ("X-Bapi-Limit-Status: 0"), or nullopt when absent or not an integer.
[[nodiscard]] std::optional<std::int64_t> header_int(const net::HttpResponse& r,
                                                     std::string_view name);

// The body of a 2xx answer, or the ExchangeError its status says: rate_limit_status (the
// venue's "too many requests": Bybit 403, OKX 429) -> kRateLimited; anything else, 5xx
// included (the venue may have executed it) -> kHttpStatus.
[[nodiscard]] ExchangeResult<std::string> body_of(ExchangeResult<net::HttpResponse> r,
                                                  std::string_view what,
                                                  unsigned rate_limit_status);

}  // namespace oms::venue
