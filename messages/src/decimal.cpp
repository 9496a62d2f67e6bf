#include "oms/messages/decimal.hpp"

#include "oms/messages/digits.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>

namespace oms {
namespace {

using i128 = Int128;
using u128 = UInt128;
constexpr i128 kI128Max = static_cast<i128>(~u128{0} >> 1);
constexpr u128 kOneU = static_cast<u128>(Decimal::kOne);
constexpr u128 kSafeAcc = (static_cast<u128>(kI128Max) - 9) / 10;
// The largest power of ten an i128 holds is 10^38 (10^39 > 2^127): a shift past it overflows
// anyway (or, downwards, leaves a remainder), so it is refused before pow10_128.
constexpr int kMaxExponent = 38;

// 10^0 .. 10^38, looked up (a parse scales by one of them).
constexpr std::array<i128, kMaxExponent + 1> kPow10 = [] {
  std::array<i128, kMaxExponent + 1> t{};
  i128 p = 1;
  for (auto& v : t) {
    v = p;
    if (&v != &t.back()) p *= 10;
  }
  return t;
}();
constexpr i128 pow10_128(int n) { return kPow10[static_cast<std::size_t>(n)]; }

constexpr u128 magnitude(i128 v) noexcept { return v < 0 ? u128{0} - static_cast<u128>(v) : static_cast<u128>(v); }

// Whether a truncated quotient q (magnitude) with remainder rem over den moves one away from
// zero under r; false with ok = false on kExact with a remainder.
template <class U>
bool rounds_away(U q, U rem, U den, bool negative, Rounding r, bool& ok) noexcept {
  ok = true;
  if (rem == 0) return false;
  switch (r) {
    case Rounding::kDown: return false;
    case Rounding::kUp: return true;
    case Rounding::kFloor: return negative;
    case Rounding::kCeiling: return !negative;
    case Rounding::kHalfEven: {
      const U other = den - rem;  // rem < den: never wraps
      return rem > other || (rem == other && (q & 1) != 0);
    }
    case Rounding::kExact: ok = false; return false;
  }
  return false;
}

// The signed value of a magnitude with a sign; false when it does not fit an i128.
bool signed_of(u128 mag, bool negative, i128& out) noexcept {
  if (negative) {
    if (mag > static_cast<u128>(kI128Max) + 1) return false;
    out = static_cast<i128>(u128{0} - mag);
  } else {
    if (mag > static_cast<u128>(kI128Max)) return false;
    out = static_cast<i128>(mag);
  }
  return true;
}

// q (magnitude) rounded with rem / den, signed: kInexact or kOverflow on failure.
Result<Decimal, DecimalError> finish(u128 q, u128 rem, u128 den, bool negative, Rounding r) noexcept {
  bool ok = true;
  if (rounds_away(q, rem, den, negative, r, ok)) {
    if (q == ~u128{0}) return Unexpected{DecimalError::kOverflow};
    ++q;
  }
  if (!ok) return Unexpected{DecimalError::kInexact};
  i128 v;
  if (!signed_of(q, negative, v)) return Unexpected{DecimalError::kOverflow};
  return Decimal::from_raw(v);
}

// The longest prefix of [p, end) in the venues' usual form -- an optional sign, digits with at
// most one point -- read in 64 bits, eight digits at a time where they run, and scaled once:
// where it stops (the first other character, or end), or nullptr when it cannot take it (no
// digit, a 20th digit, a non-zero digit past the 9th place). Decimal::parse and the venues' fast
// scanners agree with the general reading on every text (decimal_test).
const char* scan_common(const char* p, const char* end, i128& out) noexcept {
  if (p == end) return nullptr;
  const bool negative = *p == '-';
  if (negative || *p == '+') ++p;
  std::uint64_t acc = 0;
  int count = 0;  // digits read
  int frac = -1;  // digits after the point; -1 before it
  while (p != end) {
    if (end - p >= 8 && count <= 11) {
      const std::uint64_t chunk = digits::load8(p);
      if (digits::all_digits(chunk)) {
        acc = acc * 100'000'000ULL + digits::eight_digits(chunk);
        count += 8;
        if (frac >= 0) frac += 8;
        p += 8;
        continue;
      }
    }
    const char c = *p;
    if (c >= '0' && c <= '9') {
      if (count == 19) return nullptr;
      acc = acc * 10 + static_cast<std::uint64_t>(c - '0');
      ++count;
      if (frac >= 0) ++frac;
    } else if (c == '.' && frac < 0) {
      frac = 0;
    } else {
      break;
    }
    ++p;
  }
  if (count == 0) return nullptr;
  const int shift = Decimal::kScale - std::max(frac, 0);
  u128 mag = acc;
  if (shift >= 0) {
    mag *= static_cast<u128>(pow10_128(shift));  // < 10^19 x 10^9: fits
  } else {
    const auto ten = static_cast<std::uint64_t>(pow10_128(-shift));  // at most 10^10
    if (acc % ten != 0) return nullptr;
    mag = acc / ten;
  }
  out = negative ? -static_cast<i128>(mag) : static_cast<i128>(mag);
  return p;
}

// The whole text in that form.
bool parse_common(std::string_view s, i128& out) noexcept {
  i128 v = 0;
  if (scan_common(s.data(), s.data() + s.size(), v) != s.data() + s.size()) return false;
  out = v;
  return true;
}

}  // namespace

bool digits::parse_plain_decimal(std::string_view text, Int128& mantissa) noexcept {
  return !text.empty() && parse_common(text, mantissa);
}

const char* digits::scan_plain_decimal(const char* p, const char* end, Int128& mantissa) noexcept {
  return scan_common(p, end, mantissa);
}

const char* to_string(DecimalError e) noexcept {
  switch (e) {
    case DecimalError::kEmpty: return "empty decimal";
    case DecimalError::kSyntax: return "not a decimal number";
    case DecimalError::kTooPrecise: return "more than 9 fractional digits";
    case DecimalError::kOverflow: return "decimal overflow (beyond +/-1.7e29)";
    case DecimalError::kDivisionByZero: return "division by zero";
    case DecimalError::kInexact: return "result is not exact";
  }
  return "unknown decimal error";
}

bool round_quotient(i128 num, i128 den, Rounding r, i128& out) noexcept {
  const bool negative = (num < 0) != (den < 0);
  const u128 n = magnitude(num);
  const u128 d = magnitude(den);
  bool ok = true;
  // 128-bit division is a library call (~30 ns); most operands fit 64 bits.
  if ((n >> 64) == 0 && (d >> 64) == 0) {
    const auto n64 = static_cast<std::uint64_t>(n);
    const auto d64 = static_cast<std::uint64_t>(d);
    std::uint64_t q = n64 / d64;
    const bool away = rounds_away<std::uint64_t>(q, n64 % d64, d64, negative, r, ok);
    if (!ok) return false;
    const u128 mag = u128{q} + (away ? 1 : 0);
    out = negative ? -static_cast<i128>(mag) : static_cast<i128>(mag);
    return true;
  }
  u128 q = n / d;
  const bool away = rounds_away<u128>(q, n % d, d, negative, r, ok);
  if (!ok) return false;
  if (away) ++q;  // q <= 2^127 / 2 when a remainder exists (d >= 2): never wraps
  out = negative ? static_cast<i128>(u128{0} - q) : static_cast<i128>(q);
  return true;
}

bool mul_div(i128 num, i128 mul, i128 den, Rounding r, i128& out) noexcept {
  if (den == 0) return false;
  const bool negative = ((num < 0) != (mul < 0)) != (den < 0);
  const u128 n = magnitude(num), m = magnitude(mul), d = magnitude(den);
  u128 whole = 0, part = 0;
  if (__builtin_mul_overflow(n / d, m, &whole) || __builtin_mul_overflow(n % d, m, &part) ||
      __builtin_add_overflow(whole, part / d, &whole)) {
    return false;
  }
  bool ok = true;
  if (rounds_away(whole, part % d, d, negative, r, ok)) {
    if (whole == ~u128{0}) return false;
    ++whole;
  }
  if (!ok) return false;
  i128 v = 0;
  if (!signed_of(whole, negative, v)) return false;
  out = v;
  return true;
}

Result<Decimal, DecimalError> Decimal::from_int(std::int64_t units) noexcept {
  return from_raw(i128{units} * kOne);
}

Result<Decimal, DecimalError> Decimal::parse(std::string_view s) noexcept {
  if (s.empty()) return Unexpected{DecimalError::kEmpty};
  if (i128 v = 0; parse_common(s, v)) return from_raw(v);
  std::size_t i = 0;
  bool negative = false;
  if (s[i] == '+' || s[i] == '-') {
    negative = s[i] == '-';
    ++i;
  }
  // All significant digits, as an integer magnitude up to lim (the most negative mantissa's
  // magnitude is one more than the most positive).
  const u128 lim = static_cast<u128>(kI128Max) + (negative ? 1 : 0);
  u128 acc = 0;
  int frac_digits = 0;    // digits after the point that went into acc
  int digits = 0;
  bool seen_point = false;
  int dropped_int_digits = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      ++digits;
      const int d = c - '0';
      // acc x 10 + d stays at or below kI128Max while acc <= kSafeAcc (a constant: no division
      // on the common path); past it the exact bound lim decides.
      if (acc > kSafeAcc && acc > (lim - static_cast<u128>(d)) / 10) {
        // Beyond 38 significant digits: a dropped non-zero digit would be lost -- a value too
        // large when the digit is within the 9 places we keep, too precise past them.
        if (d != 0) {
          const bool kept_place = !seen_point || frac_digits < kScale;
          return Unexpected{kept_place ? DecimalError::kOverflow : DecimalError::kTooPrecise};
        }
        if (!seen_point) ++dropped_int_digits;
        continue;
      }
      acc = acc * 10 + static_cast<u128>(d);
      if (seen_point) ++frac_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (digits == 0) return Unexpected{DecimalError::kSyntax};
  int exponent = 0;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return Unexpected{DecimalError::kSyntax};
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      exp_negative = s[i] == '-';
      ++i;
    }
    if (i == s.size()) return Unexpected{DecimalError::kSyntax};
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return Unexpected{DecimalError::kSyntax};
      exponent = exponent * 10 + (s[i] - '0');
      if (exponent > 1000) return Unexpected{exp_negative ? DecimalError::kTooPrecise : DecimalError::kOverflow};
    }
    if (exp_negative) exponent = -exponent;
  }
  // value = acc * 10^(exponent - frac_digits); we want value * 10^kScale.
  const int shift = kScale + exponent - frac_digits + dropped_int_digits;
  if (acc == 0) return Decimal{};
  if (shift >= 0) {
    if (shift > kMaxExponent) return Unexpected{DecimalError::kOverflow};
    if (__builtin_mul_overflow(acc, static_cast<u128>(pow10_128(shift)), &acc) || acc > lim) {
      return Unexpected{DecimalError::kOverflow};
    }
  } else {
    if (-shift > kMaxExponent) return Unexpected{DecimalError::kTooPrecise};
    const auto p = static_cast<u128>(pow10_128(-shift));
    if (acc % p != 0) return Unexpected{DecimalError::kTooPrecise};
    acc /= p;
  }
  i128 v = 0;
  (void)signed_of(acc, negative, v);  // acc <= lim
  return from_raw(v);
}

std::size_t Decimal::format(char* buf) const noexcept {
  char tmp[kMaxChars];
  // Work on the magnitude as unsigned so the most negative mantissa formats correctly.
  const u128 mag = magnitude(m_);
  u128 int_part = mag / kOneU;
  auto frac = static_cast<std::uint64_t>(mag % kOneU);
  std::size_t n = 0;
  if (m_ < 0) buf[n++] = '-';
  std::size_t t = 0;
  // Integer digits: 64-bit divisions while the part fits (128-bit ones are library calls).
  while ((int_part >> 64) != 0) {
    tmp[t++] = static_cast<char>('0' + static_cast<int>(int_part % 10));
    int_part /= 10;
  }
  auto small = static_cast<std::uint64_t>(int_part);
  do {
    tmp[t++] = static_cast<char>('0' + small % 10);
    small /= 10;
  } while (small != 0);
  while (t > 0) buf[n++] = tmp[--t];
  if (frac != 0) {
    buf[n++] = '.';
    char f[kScale];
    for (int k = kScale - 1; k >= 0; --k) {
      f[k] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    int last = kScale - 1;
    while (f[last] == '0') --last;
    for (int k = 0; k <= last; ++k) buf[n++] = f[k];
  }
  buf[n] = '\0';
  return n;
}

std::string Decimal::to_string() const {
  char buf[kMaxChars];
  return std::string(buf, format(buf));
}

int Decimal::decimals() const noexcept {
  auto frac = static_cast<std::uint64_t>(magnitude(m_) % kOneU);
  if (frac == 0) return 0;
  int d = kScale;
  while (frac % 10 == 0) {
    frac /= 10;
    --d;
  }
  return d;
}

Result<std::string, DecimalError> Decimal::to_fixed(int places) const {
  if (places < 0 || places > kScale) return Unexpected{DecimalError::kSyntax};
  if (decimals() > places) return Unexpected{DecimalError::kInexact};
  char buf[kMaxChars + kScale];
  std::size_t n = format(buf);
  std::string out(buf, n);
  const int have = decimals();
  if (places > 0) {
    if (have == 0) out.push_back('.');
    out.append(static_cast<std::size_t>(places - have), '0');
  }
  return out;
}

Result<Decimal, DecimalError> Decimal::add(Decimal o) const noexcept {
  i128 r;
  if (__builtin_add_overflow(m_, o.m_, &r)) return Unexpected{DecimalError::kOverflow};
  return from_raw(r);
}

Result<Decimal, DecimalError> Decimal::sub(Decimal o) const noexcept {
  i128 r;
  if (__builtin_sub_overflow(m_, o.m_, &r)) return Unexpected{DecimalError::kOverflow};
  return from_raw(r);
}

Result<Decimal, DecimalError> Decimal::neg() const noexcept {
  i128 r;
  if (__builtin_sub_overflow(i128{0}, m_, &r)) return Unexpected{DecimalError::kOverflow};
  return from_raw(r);
}

Result<Decimal, DecimalError> Decimal::abs() const noexcept { return m_ < 0 ? neg() : *this; }

Result<Decimal, DecimalError> Decimal::mul(Decimal o, Rounding r) const noexcept {
  i128 p;
  if (!__builtin_mul_overflow(m_, o.m_, &p)) {
    i128 q;
    if (!round_quotient(p, kOne, r, q)) return Unexpected{DecimalError::kInexact};
    return from_raw(q);
  }
  // The product of the mantissas does not fit (|a x b| beyond 1.7e20): split both at the
  // point, a = ah K + al, b = bh K + bl (K = 10^9), and a b / K = ah b + al bh + al bl / K,
  // where only the last term has a fraction and al bl < 10^18.
  const bool negative = (m_ < 0) != (o.m_ < 0);
  const u128 a = magnitude(m_);
  const u128 b = magnitude(o.m_);
  const u128 ah = a / kOneU, al = a % kOneU;
  const u128 bh = b / kOneU, bl = b % kOneU;
  u128 whole, part;
  if (__builtin_mul_overflow(ah, b, &whole) || __builtin_mul_overflow(al, bh, &part) ||
      __builtin_add_overflow(whole, part, &whole)) {
    return Unexpected{DecimalError::kOverflow};
  }
  const u128 low = al * bl;
  if (__builtin_add_overflow(whole, low / kOneU, &whole)) return Unexpected{DecimalError::kOverflow};
  return finish(whole, low % kOneU, kOneU, negative, r);
}

Result<Decimal, DecimalError> Decimal::div(Decimal o, Rounding r) const noexcept {
  if (o.m_ == 0) return Unexpected{DecimalError::kDivisionByZero};
  i128 num;
  if (!__builtin_mul_overflow(m_, i128{kOne}, &num)) {
    i128 q;
    if (!round_quotient(num, o.m_, r, q)) return Unexpected{DecimalError::kInexact};
    return from_raw(q);
  }
  // The dividend is beyond 1.7e20: long division, the whole part first, then the 9 fractional
  // digits one at a time (the remainder times ten stays in 128 bits unless the divisor is
  // beyond 3.4e28, refused as overflow).
  const bool negative = (m_ < 0) != (o.m_ < 0);
  const u128 a = magnitude(m_);
  const u128 b = magnitude(o.m_);
  u128 q = a / b;
  u128 rem = a % b;
  for (int k = 0; k < kScale; ++k) {
    if (__builtin_mul_overflow(q, u128{10}, &q) || __builtin_mul_overflow(rem, u128{10}, &rem)) {
      return Unexpected{DecimalError::kOverflow};
    }
    q += rem / b;
    rem %= b;
  }
  return finish(q, rem, b, negative, r);
}

Result<Decimal, DecimalError> Decimal::mul_int(std::int64_t n) const noexcept {
  i128 r;
  if (__builtin_mul_overflow(m_, i128{n}, &r)) return Unexpected{DecimalError::kOverflow};
  return from_raw(r);
}

Result<Decimal, DecimalError> Decimal::round_to(Decimal step, Rounding r) const noexcept {
  if (step.m_ <= 0) return Unexpected{DecimalError::kDivisionByZero};
  i128 q;
  if (!round_quotient(m_, step.m_, r, q)) return Unexpected{DecimalError::kInexact};
  i128 v;
  if (__builtin_mul_overflow(q, step.m_, &v)) return Unexpected{DecimalError::kOverflow};
  return from_raw(v);
}

bool Decimal::is_multiple_of(Decimal step) const noexcept {
  if (step.m_ <= 0) return false;
  const u128 a = magnitude(m_);
  const u128 s = magnitude(step.m_);
  if ((a >> 64) == 0 && (s >> 64) == 0) return static_cast<std::uint64_t>(a) % static_cast<std::uint64_t>(s) == 0;
  return a % s == 0;
}

namespace decimal_literals {
Decimal operator""_d(const char* text, std::size_t len) {
  auto d = Decimal::parse(std::string_view(text, len));
  if (!d) std::abort();
  return *d;
}
}  // namespace decimal_literals

}  // namespace oms
