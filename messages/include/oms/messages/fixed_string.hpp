// FixedString<N>: text of at most N bytes stored inline, so events stay fixed-size and
// trivially copyable for the hot-path rings. Assigning longer text fails (returns false)
// instead of cutting it: a caller that must keep long text keeps it elsewhere.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace oms {

template <std::size_t N>
class FixedString {
  static_assert(N > 0 && N < 256, "length is stored in one byte");

 public:
  static constexpr std::size_t kCapacity = N;

  constexpr FixedString() noexcept = default;
  // From a string literal; its length is checked at compile time. Text known only at run
  // time goes through assign(), which reports text that does not fit.
  template <std::size_t M>
    requires(M - 1 <= N)
  constexpr FixedString(const char (&literal)[M]) noexcept {  // NOLINT: implicit by design
    (void)assign(std::string_view(literal, M - 1));
  }

  // Sets the text; false (and unchanged) when longer than N bytes.
  [[nodiscard]] constexpr bool assign(std::string_view s) noexcept {
    if (s.size() > N) return false;
    len_ = static_cast<std::uint8_t>(s.size());
    std::copy(s.begin(), s.end(), data_.begin());
    std::fill(data_.begin() + len_, data_.end(), '\0');
    return true;
  }
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {data_.data(), len_}; }
  [[nodiscard]] std::string str() const { return std::string(view()); }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return len_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return len_ == 0; }
  [[nodiscard]] constexpr const char* data() const noexcept { return data_.data(); }

  friend constexpr bool operator==(const FixedString& a, const FixedString& b) noexcept {
    return a.view() == b.view();
  }

 private:
  std::uint8_t len_ = 0;
  std::array<char, N> data_{};
};

using AssetCode = FixedString<15>;      // "USDT", "1000SHIB"
using VenueOrderId = FixedString<47>;   // Binance int64, OKX numeric string, Upbit UUID
using TradeId = FixedString<47>;        // venue trade id, as the venue prints it
using ReasonText = FixedString<127>;    // a rejection or state-change reason
using ClientOrderIdText = FixedString<36>;

}  // namespace oms
