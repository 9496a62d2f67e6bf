#include "oms/actors/stage.hpp"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <cstring>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace oms::actors {

WaitMode default_wait_mode() noexcept {
  return std::thread::hardware_concurrency() > 2 ? WaitMode::kBusyPoll : WaitMode::kSpinThenPark;
}

void IdleStrategy::idle() noexcept {
  if (mode_ == WaitMode::kBusyPoll || idle_rounds_ < kSpins) {
    ++idle_rounds_;
#if defined(__x86_64__)
    _mm_pause();  // tells the core we spin: saves power, frees the sibling hyperthread
#endif
    return;
  }
  if (idle_rounds_ < kSpins + kYields) {
    ++idle_rounds_;
    std::this_thread::yield();
    return;
  }
  ++naps_;
  std::this_thread::sleep_for(kNap);
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
