// Event groups: the events one input (a command, a venue report, a timer) causes are
// committed as a group whose event ids say how big the group is, so a crash between two
// appends of one group is visible after a restart.
//
//   event id = (group key << 8) | (index << 4) | size      index < size <= 15
//
// The group key is a 56-bit mix of the cause's id, so re-processing the same input after a
// restart derives the same event ids and the stores drop what they already hold (their
// deduplication key is the event id). A rebuild folds only complete groups; the events of an
// incomplete group wait for the input to be delivered again (a venue re-sends its reports,
// reconciliation asks for them, a client retries its command) and it completes the group.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "oms/messages/envelope.hpp"

namespace oms::actors {

inline constexpr std::size_t kMaxGroupEvents = 15;

// splitmix64's finalizer: a bijection, so distinct causes give distinct keys before the
// truncation to 56 bits (collisions then need ~2^28 live causes).
[[nodiscard]] constexpr std::uint64_t group_key(EventId cause) noexcept {
  std::uint64_t z = cause + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return (z ^ (z >> 31U)) >> 8U;
}

// Precondition: index < size <= kMaxGroupEvents.
[[nodiscard]] constexpr EventId group_event_id(EventId cause, std::size_t index,
                                               std::size_t size) noexcept {
  return (group_key(cause) << 8U) | (static_cast<std::uint64_t>(index) << 4U) |
         static_cast<std::uint64_t>(size);
}
[[nodiscard]] constexpr std::uint64_t group_of(EventId id) noexcept { return id >> 8U; }
[[nodiscard]] constexpr std::size_t group_size(EventId id) noexcept { return id & 0xFU; }
[[nodiscard]] constexpr std::size_t group_index(EventId id) noexcept { return (id >> 4U) & 0xFU; }

// Counts the events of each group seen in a stream, to tell complete groups from torn ones.
// Ids outside the scheme (size 0) count as complete groups of their own.
class GroupCounter {
 public:
  void add(EventId id) { ++seen_[group_of(id)]; }
  [[nodiscard]] bool complete(EventId id) const {
    if (group_size(id) == 0) return true;
    const auto it = seen_.find(group_of(id));
    return it != seen_.end() && it->second >= group_size(id);
  }

 private:
  std::unordered_map<std::uint64_t, std::size_t> seen_;
};

}  // namespace oms::actors

namespace oms::actors {

// The group keys of the last `capacity` committed groups, to recognise an input delivered
// again (a venue re-sends its reports after a reconnect or a status query; a client retries a
// command) before it reaches the cores. A group older than the window is still safe: the
// stores drop its events (same ids) and the cores absorb repeated order reports; the window
// only saves the work, and stops a repeated balance snapshot from rolling state back.
class RecentGroups {
 public:
  // Windows larger than this are clamped to it: the set holds 16-bit places in the ring.
  static constexpr std::size_t kMaxCapacity = 0xFFFF;
  // 8,192 groups: minutes of a busy account's reports, the span in which a venue re-delivers
  // (reconnects, status queries). Keys are non-zero. Flat: the ring of keys in arrival order and
  // an open-addressing set of places in the ring (linear probing, deletion by backward shift, at
  // most half full), both allocated whole and zeroed here -- 96 KiB for the default window
  // (64 KiB of keys, 32 KiB of 16-bit places; 200 accounts hold 19 MiB) -- so that the order path
  // never grows or rehashes them and a daemon's memory does not climb over the day as the
  // windows fill (the soak's RSS figure); no allocation per key.
  explicit RecentGroups(std::size_t capacity = std::size_t{1} << 13)
      : capacity_(std::clamp<std::size_t>(capacity, 1, kMaxCapacity)), ring_(capacity_, 0),
        slots_(table_size(capacity_), 0), mask_(slots_.size() - 1) {}
  // False when the key is already there.
  bool insert(std::uint64_t key) {
    if (contains(key)) return false;
    std::size_t at = count_;
    if (count_ < capacity_) {
      ++count_;
    } else {
      at = next_;
      erase_place(at);
      next_ = (next_ + 1) % capacity_;
    }
    ring_[at] = key;
    std::size_t i = home(key);
    while (slots_[i] != 0) i = (i + 1) & mask_;
    slots_[i] = static_cast<std::uint16_t>(at + 1);
    return true;
  }
  [[nodiscard]] bool contains(std::uint64_t key) const {
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      if (slots_[i] == 0) return false;
      if (ring_[slots_[i] - 1U] == key) return true;
    }
  }
  // The keys in the window, oldest first: what a snapshot keeps (inserting them again, in this
  // order, into a window of the same capacity gives the same window).
  [[nodiscard]] std::vector<std::uint64_t> keys() const {
    std::vector<std::uint64_t> out;
    out.reserve(count_);
    for (std::size_t i = 0; i < count_; ++i) out.push_back(ring_[(next_ + i) % count_]);
    return out;
  }
  friend bool operator==(const RecentGroups& a, const RecentGroups& b) {
    return a.keys() == b.keys();
  }

 private:
  [[nodiscard]] std::size_t home(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> 32U) & mask_;
  }
  // A power of two at least twice the capacity: the set is never more than half full.
  static std::size_t table_size(std::size_t capacity) {
    std::size_t n = 16;
    while (n < 2 * capacity) n *= 2;
    return n;
  }
  // Takes the ring's place `at` (its key is in the set) out of the set.
  void erase_place(std::size_t at) {
    const auto place = static_cast<std::uint16_t>(at + 1);
    std::size_t i = home(ring_[at]);
    while (slots_[i] != place) i = (i + 1) & mask_;
    // Backward shift: pull later places of the probe run into the hole when their home allows.
    for (std::size_t j = (i + 1) & mask_; slots_[j] != 0; j = (j + 1) & mask_) {
      const std::size_t h = home(ring_[slots_[j] - 1U]);
      const bool between = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (between) continue;  // its home lies after the hole: it stays
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = 0;
  }

  std::size_t capacity_;
  std::vector<std::uint64_t> ring_;  // capacity_ keys: the first count_ used; full, next_ is the oldest
  std::size_t count_ = 0;
  std::size_t next_ = 0;
  std::vector<std::uint16_t> slots_;  // 1 + a key's place in ring_; 0: empty
  std::size_t mask_;
};

}  // namespace oms::actors
