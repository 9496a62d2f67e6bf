// CountedArray<T, N>: up to N values stored inline with their count, so a message that
// carries a list (book levels, batch orders) stays fixed-size.
#pragma once

#include <array>
#include <cstdint>

namespace oms {

template <class T, std::size_t N>
struct CountedArray {
  static_assert(N > 0 && N < 256, "count is stored in one byte");
  static constexpr std::size_t kCapacity = N;
  std::uint8_t count = 0;
  std::array<T, N> items{};

  // Appends v; false when full.
  [[nodiscard]] constexpr bool push_back(const T& v) noexcept {
    if (count == N) return false;
    items[count++] = v;
    return true;
  }
  [[nodiscard]] constexpr const T* begin() const noexcept { return items.data(); }
  [[nodiscard]] constexpr const T* end() const noexcept { return items.data() + count; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return count; }

  // Equal when the used part is equal (the unused tail is not part of the value).
  friend constexpr bool operator==(const CountedArray& a, const CountedArray& b) {
    if (a.count != b.count) return false;
    for (std::size_t i = 0; i < a.count; ++i)
      if (!(a.items[i] == b.items[i])) return false;
    return true;
  }
};

}  // namespace oms
