// Reconnect delays: exponential with "equal jitter". Attempt n (0-based, consecutive failures)
// waits uniformly in [b/2, b] where b = min(max, initial * 2^n). Seeded: the same seed gives the
// same delays (tests and the simulator inject it).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace oms::net {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, std::uint64_t seed);
  // The delay before the next attempt; advances the attempt counter.
  [[nodiscard]] std::chrono::milliseconds next();
  void reset() noexcept { attempt_ = 0; }  // after a connection that came up
  [[nodiscard]] unsigned attempt() const noexcept { return attempt_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::mt19937_64 rng_;
  unsigned attempt_ = 0;
};

}  // namespace oms::net
