// SpscRing<T, N>: the hot path's bounded single-producer / single-consumer queue.
//
// One thread pushes, one thread pops; nothing allocates after construction; neither side
// ever blocks (try_push fails when full, front() is null when empty) — a stage decides how
// to wait (spin, then park: see stage.hpp). Each index lives on its own cache line, and each
// side keeps a private copy of the other side's index so that it touches the shared line
// only when its copy says the ring looks full (producer) or empty (consumer).
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace oms::actors {

inline constexpr std::size_t kCacheLine = 64;

template <class T, std::size_t N>
class SpscRing {
  static_assert(std::has_single_bit(N), "capacity must be a power of two");
  static_assert(N >= 2, "a ring holds at least two slots");
  static_assert(std::is_nothrow_copy_assignable_v<T> || std::is_nothrow_move_assignable_v<T>,
                "slots are assigned in place, without allocation or exceptions");

 public:
  static constexpr std::size_t kCapacity = N;

  SpscRing() = default;
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;
  SpscRing(SpscRing&&) = delete;
  SpscRing& operator=(SpscRing&&) = delete;

  // Producer only. False when full.
  [[nodiscard]] bool try_push(const T& v) noexcept { return emplace_with([&](T& slot) { slot = v; }); }
  [[nodiscard]] bool try_push(T&& v) noexcept { return emplace_with([&](T& slot) { slot = std::move(v); }); }

  // Producer only: fill the next slot in place (no copy of a large T); false when full.
  template <class Fill>
  [[nodiscard]] bool emplace_with(Fill&& fill) noexcept {
    // relaxed: only this thread writes write_.
    const std::size_t w = write_.load(std::memory_order_relaxed);
    if (w - read_cache_ == N) {
      // acquire: pairs with the release in pop(); the consumer is done with slot w - N.
      read_cache_ = read_.load(std::memory_order_acquire);
      if (w - read_cache_ == N) return false;
    }
    fill(slots_[w & kMask]);
    // release: publishes slots_[w] to the consumer; pairs with the acquire in front().
    write_.store(w + 1, std::memory_order_release);
    return true;
  }

  // Consumer only. The oldest element, or nullptr when empty.
  [[nodiscard]] T* front() noexcept {
    // relaxed: only this thread writes read_.
    const std::size_t r = read_.load(std::memory_order_relaxed);
    if (r == write_cache_) {
      // acquire: pairs with the release in emplace_with(); slot r is fully written.
      write_cache_ = write_.load(std::memory_order_acquire);
      if (r == write_cache_) return nullptr;
    }
    return &slots_[r & kMask];
  }

  // Consumer only, after front() returned non-null: releases the slot to the producer.
  void pop() noexcept {
    const std::size_t r = read_.load(std::memory_order_relaxed);
    // release: the slot's contents were consumed; pairs with the acquire in emplace_with().
    read_.store(r + 1, std::memory_order_release);
  }

  // Approximate (either side may move concurrently); for metrics only.
  [[nodiscard]] std::size_t size_approx() const noexcept {
    // relaxed: a snapshot for metrics, not used to access slots.
    const std::size_t w = write_.load(std::memory_order_relaxed);
    const std::size_t r = read_.load(std::memory_order_relaxed);
    return w - r;
  }

 private:
  static constexpr std::size_t kMask = N - 1;

  alignas(kCacheLine) std::atomic<std::size_t> write_{0};  // written by the producer only
  std::size_t read_cache_ = 0;                             // producer's copy of read_
  alignas(kCacheLine) std::atomic<std::size_t> read_{0};   // written by the consumer only
  std::size_t write_cache_ = 0;                            // consumer's copy of write_
  alignas(kCacheLine) T slots_[N]{};
};

static_assert(alignof(SpscRing<int, 1024>) == kCacheLine);

}  // namespace oms::actors
