// Decimal: an exact fixed-point number for prices, quantities, balances, fees and PnL.
//
// Representation: a signed 128-bit mantissa scaled by 10^-9 (kScale = 9).
// Why: the venues we trade need more than Binance's int64 at 1e-8 held. An Upbit KRW balance
// reaches 10^12 won, a low-priced token trades in 10^13 units, the KRW notional of such an order
// is another few digits on top, and some ticks are 1e-9 -- an int64 at 1e-8 (+/-9.2e10) holds
// none of the first three and cannot write the last. A per-asset or per-instrument scale would
// make every product and comparison depend on context carried beside the number; one wider
// mantissa keeps a Decimal self-contained and its arithmetic branch-free on the common path.
//   - Range +/-170,141,183,460,469,231,731,687,303,715.884105727 (1.7e29), resolution 1e-9.
//   - The product of two business values (a quantity times a price, a notional times a rate)
//     is exact in an Int128 at 1e-18 while it stays below 1.7e20, so the cores' cost bases and
//     notionals (products of two mantissas) need no wider type; every such product is checked
//     (__builtin_mul_overflow) and beyond it an error, never a wrap. Decimal::mul is exact over
//     the whole range (a split product where the intermediate does not fit); div too (a long
//     division) but for a dividend past 1.7e20 over a divisor past 3.4e28: kOverflow.
//   - Amounts with digits beyond the 9th (OKX reports some balances to 1e-18) do not parse
//     (kTooPrecise); the connectors round those the safe way and say so.
// Anything that does not fit is an error, never a silent rounding or wraparound.
//
// All arithmetic is checked: overflow returns DecimalError::kOverflow. Products and
// quotients take an explicit rounding mode.
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
  kTooPrecise = 1003,       // more than 9 significant fractional digits
  kOverflow = 1004,         // magnitude beyond Int128 at scale 1e-9
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
  static constexpr int kScale = 9;
  static constexpr std::int64_t kOne = 1'000'000'000;  // 10^kScale
  // "-170141183460469231731687303715.884105728" + NUL
  static constexpr std::size_t kMaxChars = 42;

  constexpr Decimal() noexcept = default;
  // The mantissa in units of 1e-9.
  [[nodiscard]] static constexpr Decimal from_raw(Int128 mantissa) noexcept {
    Decimal d;
    d.m_ = mantissa;
    return d;
  }
  // An integer number of units (every int64 fits).
  [[nodiscard]] static Result<Decimal, DecimalError> from_int(std::int64_t units) noexcept;

  // Parses "61837.63000000", "-0.5", "1", ".5", "5.", "+1.25", "1e-9", "1.5E+3".
  // Exact or error: fractional digits beyond the 9th must be zeros (kTooPrecise otherwise),
  // exponents are applied exactly. No leading/trailing spaces, no hex, no "inf"/"nan".
  [[nodiscard]] static Result<Decimal, DecimalError> parse(std::string_view text) noexcept;

  [[nodiscard]] constexpr Int128 raw() const noexcept { return m_; }
  [[nodiscard]] constexpr bool is_zero() const noexcept { return m_ == 0; }
  [[nodiscard]] constexpr bool is_negative() const noexcept { return m_ < 0; }
  [[nodiscard]] constexpr bool is_positive() const noexcept { return m_ > 0; }
  [[nodiscard]] constexpr int sign() const noexcept { return (m_ > 0) - (m_ < 0); }

  // Canonical text: shortest exact form ("61837.63", "0.00000001", "-5", "0").
  [[nodiscard]] std::string to_string() const;
  // Writes the canonical text into buf (at least kMaxChars bytes); returns its length.
  std::size_t format(char* buf) const noexcept;
  // Fixed number of fractional digits (0..9) as venues print them ("61837.63000000");
  // digits that would be cut must be zeros, else kInexact (round first with round_to).
  [[nodiscard]] Result<std::string, DecimalError> to_fixed(int decimals) const;
  // Number of fractional digits of the canonical form (0..9): "0.001" -> 3.
  [[nodiscard]] int decimals() const noexcept;

  [[nodiscard]] Result<Decimal, DecimalError> add(Decimal o) const noexcept;
  [[nodiscard]] Result<Decimal, DecimalError> sub(Decimal o) const noexcept;
  [[nodiscard]] Result<Decimal, DecimalError> neg() const noexcept;
  [[nodiscard]] Result<Decimal, DecimalError> abs() const noexcept;
  // this * o, rounded to 1e-9 with the mode given (exact products need no rounding).
  [[nodiscard]] Result<Decimal, DecimalError> mul(Decimal o, Rounding r) const noexcept;
  // this / o, rounded to 1e-9 with the mode given.
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
  Int128 m_ = 0;
};

// Rounds the 128-bit quotient num/den (den != 0, either sign) to an integer with the mode
// given. Returns false (leaving out untouched) on kExact with a remainder.
bool round_quotient(Int128 num, Int128 den, Rounding r, Int128& out) noexcept;

// num x mul / den with one rounding (the mode given), exact while the remainder times mul and the
// result fit an Int128 -- the quotient is taken first, so num x mul itself may be far beyond it
// (a notional at 1e-18 converted by a rate). False on overflow, a zero den, or kExact with a
// remainder (out untouched).
bool mul_div(Int128 num, Int128 mul, Int128 den, Rounding r, Int128& out) noexcept;

namespace decimal_literals {
// 1.5_d style literals for tests and constants; ill-formed text is a compile-time error
// where evaluated in a constant expression, else it terminates.
Decimal operator""_d(const char* text, std::size_t len);
}  // namespace decimal_literals

}  // namespace oms
