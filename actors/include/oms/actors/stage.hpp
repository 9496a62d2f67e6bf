// How a pinned hot-path stage waits for work, and how it is pinned.
//
// Busy-polling owns a core; on a 2-core machine (CI, a laptop) it would starve everything
// else, so the default is spin-then-park: spin a while (cheap, no syscall, lowest latency
// when work arrives at once), then yield, then sleep in short naps until work arrives.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace oms::actors {

enum class WaitMode : std::uint8_t {
  kBusyPoll,       // never give the core away (a dedicated, isolated core)
  kSpinThenPark,   // spin, yield, then nap
};

// The default for this machine: busy-poll only with more than 2 cores.
[[nodiscard]] WaitMode default_wait_mode() noexcept;

// Call idle() each time a poll found nothing and reset() each time it found work.
class IdleStrategy {
 public:
  static constexpr std::uint32_t kSpins = 2000;       // ~ tens of microseconds of pause loops
  static constexpr std::uint32_t kYields = 100;       // then give the core to others briefly
  static constexpr std::chrono::microseconds kNap{50};  // then nap; bounds the wake-up latency

  explicit IdleStrategy(WaitMode mode) noexcept : mode_(mode) {}
  void idle() noexcept;
  void reset() noexcept { idle_rounds_ = 0; }
  [[nodiscard]] std::uint64_t naps() const noexcept { return naps_; }

 private:
  WaitMode mode_;
  std::uint32_t idle_rounds_ = 0;
  std::uint64_t naps_ = 0;
};

// Pins the calling thread to one CPU; an error text when the CPU does not exist or the
// call is refused (the stage then runs unpinned, and says so in the log).
[[nodiscard]] std::optional<std::string> pin_current_thread(int cpu);

}  // namespace oms::actors
