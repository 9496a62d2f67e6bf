#include "oms/actors/stage.hpp"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <cstring>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace oms::actors {

WaitMode default_wait_mode() noexcept {
  return std::thread::hardware_concurrency() > 2 ? WaitMode::kBusyPoll : WaitMode::kSpinThenPark;
}

bool IdleStrategy::spin() noexcept {
  if (mode_ == WaitMode::kBusyPoll || idle_rounds_ < kSpins) {
    ++idle_rounds_;
#if defined(__x86_64__)
    _mm_pause();  // tells the core we spin: saves power, frees the sibling hyperthread
#endif
    return true;
  }
  if (idle_rounds_ < kSpins + kYields) {
    ++idle_rounds_;
    std::this_thread::yield();
    return true;
  }
  return false;
}

void IdleStrategy::idle() noexcept {
  if (spin()) return;
  ++naps_;
  std::this_thread::sleep_for(kNap);
}

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
              std::atomic<std::uint32_t>::is_always_lock_free);  // a futex word

void Parker::wait(std::chrono::nanoseconds timeout) noexcept {
  parks_.fetch_add(1, std::memory_order_relaxed);
  const auto ns = std::max<std::int64_t>(timeout.count(), 0);
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  // Sleeps only while state_ is still 1 (a notify() in between makes it return at once).
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, 1U,
                &ts, nullptr, 0);
}

void Parker::wake() noexcept {
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1,
                nullptr, nullptr, 0);
}

std::optional<std::string> pin_current_thread(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return "cpu " + std::to_string(cpu) + " is out of range";
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  const int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  if (rc != 0) return "cannot pin to cpu " + std::to_string(cpu) + ": " + std::strerror(rc);
  return std::nullopt;
}

}  // namespace oms::actors
