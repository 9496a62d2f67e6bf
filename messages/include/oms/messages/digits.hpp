// Eight ASCII bytes at a time (SWAR): the digit runs of decimal text and the plain bytes of a
// JSON string, for Decimal::parse and the venues' fast scanners. Little-endian words: the
// first character is the lowest byte. Also Decimal::parse's common-case reader, for scanners
// that parse many decimals and want no Result around each.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "oms/messages/decimal.hpp"

namespace oms::digits {

static_assert(std::endian::native == std::endian::little);

inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t word = 0;
  std::memcpy(&word, p, 8);
  return word;
}

// Whether each of the eight bytes is '0'..'9': its high nibble is 3 and adding 6 does not carry
// out of the low one.
constexpr bool all_digits(std::uint64_t word) noexcept {
  return (word & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL &&
         ((word + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL;
}

// The value of eight digit bytes (all_digits holds): three multiplies.
constexpr std::uint64_t eight_digits(std::uint64_t word) noexcept {
  word -= 0x3030303030303030ULL;
  word = (word * 10) + (word >> 8);  // pairs
  return (((word & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
          (((word >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >> 32;
}

// The index (0..7) of the first byte that ends or leaves a plain JSON string -- '"', '\\', a
// control byte (< 0x20) or a non-ASCII one (>= 0x80) -- or 8 when there is none. Each test can
// flag bytes above a true hit spuriously, never below one, so the lowest flag is exact.
constexpr unsigned first_special(std::uint64_t word) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t quote = word ^ (kOnes * '"');
  const std::uint64_t backslash = word ^ (kOnes * '\\');
  const std::uint64_t flags = ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
                              ((word - kOnes * 0x20) & ~word) | word;
  return static_cast<unsigned>(std::countr_zero(flags & kHigh)) / 8;
}

// The index (0..7) of the first byte equal to c, or 8 when there is none.
constexpr unsigned first_byte(std::uint64_t word, char c) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  const std::uint64_t x = word ^ (kOnes * static_cast<unsigned char>(c));
  return static_cast<unsigned>(std::countr_zero((x - kOnes) & ~x & 0x8080808080808080ULL)) / 8;
}

// The venues' usual decimal text -- an optional sign, at most 19 digits, at most one point,
// nothing else ("61737.63000000") -- as a Decimal mantissa (1e-9 units). False when the text is
// anything else (an exponent, a 20th digit, a non-zero digit past the 9th place, a syntax
// error): Decimal::parse then decides (it tries this first itself).
[[nodiscard]] bool parse_plain_decimal(std::string_view text, Int128& mantissa) noexcept;
// The same reading of the longest such prefix of [p, end): where it stopped (the first other
// character, or end) with the mantissa, or nullptr when it cannot take it (no digit, a 20th
// digit, a non-zero digit past the 9th place). A scanner that expects a quote there checks it.
[[nodiscard]] const char* scan_plain_decimal(const char* p, const char* end, Int128& mantissa) noexcept;

}  // namespace oms::digits
