// Decimal: an exact fixed-point number for prices, quantities, balances, fees and PnL.
//
// Representation: a signed 64-bit mantissa scaled by 10^-8 (kScale = 8).
// Why 1e-8: it is Binance's own internal representation (its exchangeInfo limits such as
// maxQty "92141578.00000000" are int64 / 1e8) and every price, quantity and balance the
// venues we trade publish fits: range +/- 92,233,720,368.54775807, resolution 0.00000001.
// A finer scale would shrink the range (1e-9 -> 9.2e9, too small for KRW notionals).
// Anything that does not fit is an error, never a silent rounding or wraparound.
//
// All arithmetic is checked: overflow returns DecimalError::kOverflow. Products and
// quotients go through 128-bit intermediates and take an explicit rounding mode.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "oms/messages/result.hpp"

namespace oms {

// 128-bit intermediates (a GNU extension; __extension__ keeps -Wpedantic quiet).
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

// Decimal errors, range 1xxx.
enum class DecimalError : std::uint16_t {
  kEmpty = 1001,            // empty string
  kSyntax = 1002,           // not a decimal number
  kTooPrecise = 1003,       // more than 8 significant fractional digits
  kOverflow = 1004,         // magnitude beyond int64 at scale 1e-8
  kDivisionByZero = 1005,
  kInexact = 1006,          // rounding mode kExact and the result is not exact
};
[[nodiscard]] const char* to_string(DecimalError e) noexcept;

// How to round a result that is not representable (or not a multiple of a step).
enum class Rounding : std::uint8_t {
  kDown,      // toward zero (truncate): quantities to a step size
  kUp,        // away from zero
  kFloor,     // toward -infinity: a buy price to a tick
  kCeiling,   // toward +infinity: a sell price to a tick
  kHalfEven,  // nearest, ties to even (banker's)
  kExact,     // refuse to round: error kInexact
};

class Decimal {
 public:
  static constexpr int kScale = 8;
  static constexpr std::int64_t kOne = 100'000'000;  // 10^kScale
  static constexpr std::size_t kMaxChars = 22;       // "-92233720368.54775808" + NUL

  constexpr Decimal() noexcept = default;
  [[nodiscard]] static constexpr Decimal from_raw(std::int64_t mantissa) noexcept {
    Decimal d;
    d.m_ = mantissa;
    return d;
  }
  // An integer number of units; error kOverflow beyond +/-92,233,720,368.
  [[nodiscard]] static Result<Decimal, DecimalError> from_int(std::int64_t units) noexcept;

  // Parses "61837.63000000", "-0.5", "1", ".5", "5.", "+1.25", "1e-8", "1.5E+3".
  // Exact or error: fractional digits beyond the 8th must be zeros (kTooPrecise otherwise),
  // exponents are applied exactly. No leading/trailing spaces, no hex, no "inf"/"nan".
  [[nodiscard]] static Result<Decimal, DecimalError> parse(std::string_view text) noexcept;

  [[nodiscard]] constexpr std::int64_t raw() const noexcept { return m_; }
  [[nodiscard]] constexpr bool is_zero() const noexcept { return m_ == 0; }
  [[nodiscard]] constexpr bool is_negative() const noexcept { return m_ < 0; }
  [[nodiscard]] constexpr bool is_positive() const noexcept { return m_ > 0; }
  [[nodiscard]] constexpr int sign() const noexcept { return (m_ > 0) - (m_ < 0); }

  // Canonical text: shortest exact form ("61837.63", "0.00000001", "-5", "0").
  [[nodiscard]] std::string to_string() const;
  // Writes the canonical text into buf (at least kMaxChars bytes); returns its length.
  std::size_t format(char* buf) const noexcept;
  // Fixed number of fractional digits (0..8) as venues print them ("61837.63000000");
  // digits that would be cut must be zeros, else kInexact (round first with round_to).
  [[nodiscard]] Result<std::string, DecimalError> to_fixed(int decimals) const;
  // Number of fractional digits of the canonical form (0..8): "0.001" -> 3.
  [[nodiscard]] int decimals() const noexcept;

  [[nodiscard]] Result<Decimal, DecimalError> add(Decimal o) const noexcept;
  [[nodiscard]] Result<Decimal, DecimalError> sub(Decimal o) const noexcept;
  [[nodiscard]] Result<Decimal, DecimalError> neg() const noexcept;
  [[nodiscard]] Result<Decimal, DecimalError> abs() const noexcept;
  // this * o, rounded to 1e-8 with the mode given (exact products need no rounding).
  [[nodiscard]] Result<Decimal, DecimalError> mul(Decimal o, Rounding r) const noexcept;
  // this / o, rounded to 1e-8 with the mode given.
  [[nodiscard]] Result<Decimal, DecimalError> div(Decimal o, Rounding r) const noexcept;
  // this * n for an integer n (e.g. contracts).
  [[nodiscard]] Result<Decimal, DecimalError> mul_int(std::int64_t n) const noexcept;
  // Rounds to a multiple of step (> 0): a tick size or a lot step.
  [[nodiscard]] Result<Decimal, DecimalError> round_to(Decimal step, Rounding r) const noexcept;
  // True when this is an exact multiple of step (step > 0).
  [[nodiscard]] bool is_multiple_of(Decimal step) const noexcept;

  friend constexpr auto operator<=>(Decimal, Decimal) noexcept = default;
  friend constexpr bool operator==(Decimal, Decimal) noexcept = default;

 private:
  std::int64_t m_ = 0;
};

// Rounds the 128-bit quotient num/den (den > 0 or < 0) to an integer with the mode given.
// Returns false (leaving out untouched) on kExact with a remainder.
bool round_quotient(Int128 num, Int128 den, Rounding r, Int128& out) noexcept;

namespace decimal_literals {
// 1.5_d style literals for tests and constants; ill-formed text is a compile-time error
// where evaluated in a constant expression, else it terminates.
Decimal operator""_d(const char* text, std::size_t len);
}  // namespace decimal_literals

}  // namespace oms
