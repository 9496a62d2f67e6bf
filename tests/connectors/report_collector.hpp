// The reports a connector emits, collected from its threads for a test to wait on: the first of
// a type (for one client order id), a count, or any condition over all of them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/exchange.hpp"

namespace oms::testkit {

class ReportCollector {
 public:
  ReportSink sink() {
    return [this](const ExchangeReport& r) {
      std::lock_guard lk(mutex_);
      reports_.push_back(r);
      cv_.notify_all();
    };
  }
  // Waits until done(all reports) holds; false after `bound`.
  bool wait(const std::function<bool(const std::vector<ExchangeReport>&)>& done,
            std::chrono::milliseconds bound = std::chrono::seconds(5)) {
    std::unique_lock lk(mutex_);
    return cv_.wait_for(lk, bound, [&] { return done(reports_); });
  }
  // Waits until at least n reports arrived.
  bool wait(std::size_t n, std::chrono::milliseconds bound = std::chrono::seconds(5)) {
    return wait([n](const std::vector<ExchangeReport>& all) { return all.size() >= n; }, bound);
  }
  // The first report of type T (for client order id cid when given), waiting up to bound.
  template <class T>
  std::optional<T> wait_for(std::string_view cid = {}, std::chrono::milliseconds bound = std::chrono::seconds(5)) {
    std::optional<T> got;
    (void)wait(
        [&](const std::vector<ExchangeReport>& all) {
          for (const auto& r : all) {
            if (const T* p = std::get_if<T>(&r.payload)) {
              if constexpr (requires { p->client_order_id; }) {
                if (!cid.empty() && p->client_order_id.view() != cid) continue;
              }
              got = *p;
              return true;
            }
          }
          return false;
        },
        bound);
    return got;
  }
  template <class T>
  [[nodiscard]] std::size_t count() const {
    std::lock_guard lk(mutex_);
    std::size_t n = 0;
    for (const auto& r : reports_) n += std::holds_alternative<T>(r.payload) ? 1U : 0U;
    return n;
  }
  [[nodiscard]] std::vector<ExchangeReport> all() const {
    std::lock_guard lk(mutex_);
    return reports_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<ExchangeReport> reports_;
};

// The history tests' helpers: the wall clock in ms (venue-sim's clock is shifted from it), and
// the client order ids of a list of orders or fills, each as often as it appears.
inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
template <class List>
std::multiset<std::string> client_ids(const List& list) {
  std::multiset<std::string> out;
  for (const auto& x : list) out.insert(std::string(x.client_order_id.view()));
  return out;
}

}  // namespace oms::testkit
