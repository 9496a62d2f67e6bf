// ProducerRings<T, N>: one SpscRing per producing thread, all drained by one consumer -- how
// many threads (gateway, connectors, the daemon) feed one engine shard without a shared lock.
//
// A thread gets its ring on its first push (a mutex, once per thread and registry); afterwards a
// push is the ring's lock-free try_push. When the thread ends, its ring goes back to the
// registry (after the consumer has drained it, another thread may take it), so thread pools
// that come and go do not exhaust the kMaxProducers slots. The consumer scans the slots in
// order and drains up to `budget` elements from each per call, so no producer starves another.
//
// More live producers than slots (a daemon with 200 accounts has a user-data thread and an order
// worker per account and market): a thread that finds every slot taken at its first push uses
// the shared ring -- bounded (kSharedCapacity), one mutex -- for as long as it lives, so its
// own order is kept; the consumer drains it like a slot. The hot producers (the gateway's
// threads, market data) start first and hold the lock-free slots.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "oms/actors/spsc_ring.hpp"

namespace oms::actors {

template <class T, std::size_t N>
class ProducerRings {
 public:
  static constexpr std::size_t kMaxProducers = 64;
  using Ring = SpscRing<T, N>;

  ProducerRings() : state_(std::make_shared<State>()) {}
  ProducerRings(const ProducerRings&) = delete;
  ProducerRings& operator=(const ProducerRings&) = delete;

  static constexpr std::size_t kSharedCapacity = 8 * N;

  // Producer side: the calling thread's ring, or null when it uses the shared ring (every slot
  // was taken at its first push).
  [[nodiscard]] Ring* mine() {
    for (const Held& h : held_) {
      if (h.state_id == state_->id) return h.ring;
    }
    std::erase_if(held_, [](const Held& h) { return h.state.expired(); });  // registries gone
    Ring* ring = state_->claim();
    held_.push_back(Held{state_->id, ring, state_});  // null: this thread uses the shared ring
    return ring;
  }

  // Pushes into the calling thread's ring (or the shared one); false when it is full, and then
  // `v` is left as it was.
  [[nodiscard]] bool try_push(T&& v) {
    if (Ring* ring = mine()) return ring->try_push(std::move(v));
    const std::lock_guard lock(state_->shared_mutex);
    if (state_->shared.size() >= kSharedCapacity) return false;
    state_->shared.push_back(std::move(v));
    state_->shared_size.store(state_->shared.size(), std::memory_order_release);
    return true;
  }

  // Consumer side: calls f(T&) for up to `budget` elements of each ring; the count run.
  template <class F>
  std::size_t drain(F&& f, std::size_t budget) {
    // acquire: pairs with the release in claim(); slots [0, count) hold constructed rings.
    const std::size_t count = state_->count.load(std::memory_order_acquire);
    std::size_t n = 0;
    for (std::size_t i = 0; i < count; ++i) {
      Ring& ring = *state_->slots[i].ring;
      for (std::size_t k = 0; k < budget; ++k) {
        T* v = ring.front();
        if (v == nullptr) break;
        f(*v);
        ring.pop();
        ++n;
      }
    }
    // The shared ring: one element out under the lock at a time, handled outside it.
    for (std::size_t k = 0; k < budget && state_->shared_size.load(std::memory_order_acquire) > 0;
         ++k) {
      std::optional<T> v;
      {
        const std::lock_guard lock(state_->shared_mutex);
        if (state_->shared.empty()) break;
        v.emplace(std::move(state_->shared.front()));
        state_->shared.pop_front();
        state_->shared_size.store(state_->shared.size(), std::memory_order_release);
      }
      f(*v);
      ++n;
    }
    return n;
  }

  // For metrics: elements waiting in every ring (approximate).
  [[nodiscard]] std::size_t waiting() const noexcept {
    const std::size_t count = state_->count.load(std::memory_order_acquire);
    std::size_t n = 0;
    for (std::size_t i = 0; i < count; ++i) n += state_->slots[i].ring->size_approx();
    return n + state_->shared_size.load(std::memory_order_relaxed);
  }

 private:
  struct Slot {
    std::unique_ptr<Ring> ring;
    bool owned = false;  // guarded by State::mutex
  };
  struct State {
    static std::uint64_t next_id() {
      static std::atomic<std::uint64_t> ids{1};
      // relaxed: only uniqueness matters.
      return ids.fetch_add(1, std::memory_order_relaxed);
    }
    const std::uint64_t id = next_id();  // never reused, unlike an address
    std::mutex mutex;
    std::array<Slot, kMaxProducers> slots;
    std::atomic<std::size_t> count{0};
    std::mutex shared_mutex;  // the shared ring of the threads without a slot
    std::deque<T> shared;
    std::atomic<std::size_t> shared_size{0};

    Ring* claim() {
      const std::lock_guard lock(mutex);
      const std::size_t n = count.load(std::memory_order_relaxed);
      for (std::size_t i = 0; i < n; ++i) {
        // A ring left by an ended thread: its last pushes were published by that thread's
        // release stores, and this mutex orders its release of the slot before this claim.
        if (!slots[i].owned) {
          slots[i].owned = true;
          return slots[i].ring.get();
        }
      }
      if (n == kMaxProducers) return nullptr;
      slots[n].ring = std::make_unique<Ring>();
      slots[n].owned = true;
      // release: publishes slots[n].ring to the consumer; pairs with the acquire in drain().
      count.store(n + 1, std::memory_order_release);
      return slots[n].ring.get();
    }
    void release(const Ring* ring) {
      const std::lock_guard lock(mutex);
      for (auto& s : slots) {
        if (s.ring.get() == ring) s.owned = false;
      }
    }
  };
  // What a thread holds; gives its ring back when the thread ends (if the registry lives).
  struct Held {
    std::uint64_t state_id = 0;
    Ring* ring = nullptr;
    std::weak_ptr<State> state;
  };
  struct HeldList : std::vector<Held> {
    HeldList() = default;
    HeldList(const HeldList&) = delete;
    HeldList& operator=(const HeldList&) = delete;
    ~HeldList() {
      for (const Held& h : *this) {
        if (h.ring == nullptr) continue;  // a user of the shared ring
        if (auto s = h.state.lock()) s->release(h.ring);
      }
    }
  };

  std::shared_ptr<State> state_;
  static inline thread_local HeldList held_;
};

}  // namespace oms::actors
