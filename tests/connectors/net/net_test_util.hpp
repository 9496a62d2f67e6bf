// Shared bits of the oms_net tests: bounded waits and a collector filled from I/O threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace oms::net::test {

using namespace std::chrono_literals;

// Polls `done` until it holds or `bound` passes; true when it held. For counters owned by
// another thread that have no notification of their own.
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds bound = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Strings pushed from callbacks; wait_for_count blocks (bounded) until enough arrived.
class Collector {
 public:
  void push(std::string s) {
    {
      std::lock_guard lock(m_);
      items_.push_back(std::move(s));
    }
    cv_.notify_all();
  }
  bool wait_for_count(std::size_t n, std::chrono::milliseconds bound = 5000ms) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, bound, [&] { return items_.size() >= n; });
  }
  std::vector<std::string> items() const {
    std::lock_guard lock(m_);
    return items_;
  }

 private:
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::string> items_;
};

}  // namespace oms::net::test
