// How a pinned hot-path stage waits for work, and how it is pinned.
//
// Busy-polling owns a core; on a 2-core machine (CI, a laptop) it would starve everything
// else, so the default is spin-then-park: spin a while (cheap, no syscall, lowest latency
// when work arrives at once), then yield, then sleep until work arrives -- on a Parker that the
// producers wake (the engine's shard), or in short naps (a producer waiting for ring room).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace oms::actors {

enum class WaitMode : std::uint8_t {
  kBusyPoll,       // never give the core away (a dedicated, isolated core)
  kSpinThenPark,   // spin, yield, then sleep (park, or nap)
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
  // The spinning part of idle(): spins or yields and returns true, or returns false once the
  // spins and yields are over (a consumer with a Parker parks then instead of napping).
  [[nodiscard]] bool spin() noexcept;
  void reset() noexcept { idle_rounds_ = 0; }
  [[nodiscard]] std::uint64_t naps() const noexcept { return naps_; }

 private:
  WaitMode mode_;
  std::uint32_t idle_rounds_ = 0;
  std::uint64_t naps_ = 0;
};

// Where a spin-then-park consumer sleeps until a producer has work for it: the consumer
// announces that it parks, looks once more for work, then sleeps (a futex) until notify() or
// the timeout. A producer calls notify() after publishing work: one load while the consumer is
// awake, a wake-up system call only when it parks.
class Parker {
 public:
  // has_work(): true when work was published (called after the announcement: a producer that
  // published before it is seen here, one that publishes after it sees the announcement).
  template <class HasWork>
  void park(std::chrono::nanoseconds timeout, HasWork&& has_work) {
    state_.store(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the announcement before the look
    if (!has_work()) wait(timeout);
    state_.store(0, std::memory_order_relaxed);
  }
  void notify() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the work before the look
    if (state_.load(std::memory_order_relaxed) != 0 && state_.exchange(0) != 0) wake();
  }
  [[nodiscard]] std::uint64_t parks() const noexcept {
    return parks_.load(std::memory_order_relaxed);
  }

 private:
  void wait(std::chrono::nanoseconds timeout) noexcept;
  void wake() noexcept;
  std::atomic<std::uint32_t> state_{0};  // 1: the consumer parks (or is about to)
  std::atomic<std::uint64_t> parks_{0};
};

// Pins the calling thread to one CPU; an error text when the CPU does not exist or the
// call is refused (the stage then runs unpinned, and says so in the log).
[[nodiscard]] std::optional<std::string> pin_current_thread(int cpu);

}  // namespace oms::actors
