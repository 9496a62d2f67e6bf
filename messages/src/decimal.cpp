#include "oms/messages/decimal.hpp"

#include <cstdlib>
#include <limits>

namespace oms {
namespace {

using i128 = Int128;
constexpr i128 kI64Max = std::numeric_limits<std::int64_t>::max();
constexpr i128 kI64Min = std::numeric_limits<std::int64_t>::min();
// Digits accumulated past this cannot produce a value that fits an int64 at any exponent
// we accept; stop early instead of overflowing the 128-bit accumulator.
constexpr i128 kAccumulatorLimit = i128{1} << 120;
// The largest power of ten an i128 holds is 10^38 (10^39 > 2^127): a shift past it overflows
// int64 anyway (or, downwards, leaves a remainder), so it is refused before pow10_128.
constexpr int kMaxExponent = 38;

constexpr i128 pow10_128(int n) {
  i128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

Result<Decimal, DecimalError> fit(i128 v) noexcept {
  if (v > kI64Max || v < kI64Min) return Unexpected{DecimalError::kOverflow};
  return Decimal::from_raw(static_cast<std::int64_t>(v));
}

}  // namespace

const char* to_string(DecimalError e) noexcept {
  switch (e) {
    case DecimalError::kEmpty: return "empty decimal";
    case DecimalError::kSyntax: return "not a decimal number";
    case DecimalError::kTooPrecise: return "more than 8 fractional digits";
    case DecimalError::kOverflow: return "decimal overflow (beyond +/-92233720368.54775807)";
    case DecimalError::kDivisionByZero: return "division by zero";
    case DecimalError::kInexact: return "result is not exact";
  }
  return "unknown decimal error";
}

namespace {
// The rounding step shared by the 64- and 128-bit paths: q is num/den truncated, rem its
// remainder (same sign as num), den > 0.
template <class I>
bool round_truncated(I& q, I rem, I den, bool negative, Rounding r) noexcept {
  if (rem == 0) return true;
  switch (r) {
    case Rounding::kDown: break;
    case Rounding::kUp: q += negative ? -1 : 1; break;
    case Rounding::kFloor:
      if (negative) q -= 1;
      break;
    case Rounding::kCeiling:
      if (!negative) q += 1;
      break;
    case Rounding::kHalfEven: {
      // |rem| < den, so comparing |rem| with den - |rem| never overflows.
      const I mag = rem < 0 ? -rem : rem;
      const I other = den - mag;
      if (mag > other || (mag == other && (q % 2 != 0))) q += negative ? -1 : 1;
      break;
    }
    case Rounding::kExact: return false;
  }
  return true;
}
}  // namespace

bool round_quotient(i128 num, i128 den, Rounding r, i128& out) noexcept {
  if (den < 0) {
    num = -num;
    den = -den;
  }
  const bool negative = num < 0;
  // 128-bit division is a library call (~30 ns); most operands fit 64 bits.
  if (num > kI64Min && num <= kI64Max && den <= kI64Max) {
    const auto n = static_cast<std::int64_t>(num);
    const auto d = static_cast<std::int64_t>(den);
    std::int64_t q = n / d;
    if (!round_truncated<std::int64_t>(q, n % d, d, negative, r)) return false;
    out = q;
    return true;
  }
  i128 q = num / den;  // truncates toward zero
  if (!round_truncated<i128>(q, num % den, den, negative, r)) return false;
  out = q;
  return true;
}

Result<Decimal, DecimalError> Decimal::from_int(std::int64_t units) noexcept {
  return fit(i128{units} * kOne);
}

Result<Decimal, DecimalError> Decimal::parse(std::string_view s) noexcept {
  if (s.empty()) return Unexpected{DecimalError::kEmpty};
  std::size_t i = 0;
  bool negative = false;
  if (s[i] == '+' || s[i] == '-') {
    negative = s[i] == '-';
    ++i;
  }
  i128 acc = 0;           // all significant digits, as an integer
  int frac_digits = 0;    // digits after the point that went into acc
  int digits = 0;
  bool seen_point = false;
  int dropped_int_digits = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      ++digits;
      const int d = c - '0';
      if (acc >= kAccumulatorLimit) {
        // Beyond ~36 significant digits: a dropped non-zero digit would be lost.
        if (d != 0) return Unexpected{seen_point ? DecimalError::kTooPrecise : DecimalError::kOverflow};
        if (!seen_point) ++dropped_int_digits;
        continue;
      }
      acc = acc * 10 + d;
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
    const i128 p = pow10_128(shift);
    if (acc > kI64Max / p + 1) return Unexpected{DecimalError::kOverflow};
    acc *= p;
  } else {
    if (-shift > kMaxExponent) return Unexpected{DecimalError::kTooPrecise};
    const i128 p = pow10_128(-shift);
    if (acc % p != 0) return Unexpected{DecimalError::kTooPrecise};
    acc /= p;
  }
  return fit(negative ? -acc : acc);
}

std::size_t Decimal::format(char* buf) const noexcept {
  char tmp[kMaxChars];
  // Work on the magnitude as unsigned so INT64_MIN formats correctly.
  std::uint64_t mag = m_ < 0 ? 0 - static_cast<std::uint64_t>(m_) : static_cast<std::uint64_t>(m_);
  std::uint64_t int_part = mag / static_cast<std::uint64_t>(kOne);
  std::uint64_t frac = mag % static_cast<std::uint64_t>(kOne);
  std::size_t n = 0;
  if (m_ < 0) buf[n++] = '-';
  std::size_t t = 0;
  do {
    tmp[t++] = static_cast<char>('0' + int_part % 10);
    int_part /= 10;
  } while (int_part != 0);
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
  std::int64_t frac = m_ % kOne;
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
  std::int64_t r;
  if (__builtin_add_overflow(m_, o.m_, &r)) return Unexpected{DecimalError::kOverflow};
  return from_raw(r);
}

Result<Decimal, DecimalError> Decimal::sub(Decimal o) const noexcept {
  std::int64_t r;
  if (__builtin_sub_overflow(m_, o.m_, &r)) return Unexpected{DecimalError::kOverflow};
  return from_raw(r);
}

Result<Decimal, DecimalError> Decimal::neg() const noexcept {
  if (m_ == std::numeric_limits<std::int64_t>::min()) return Unexpected{DecimalError::kOverflow};
  return from_raw(-m_);
}

Result<Decimal, DecimalError> Decimal::abs() const noexcept { return m_ < 0 ? neg() : *this; }

Result<Decimal, DecimalError> Decimal::mul(Decimal o, Rounding r) const noexcept {
  i128 q;
  if (!round_quotient(i128{m_} * o.m_, kOne, r, q)) return Unexpected{DecimalError::kInexact};
  return fit(q);
}

Result<Decimal, DecimalError> Decimal::div(Decimal o, Rounding r) const noexcept {
  if (o.m_ == 0) return Unexpected{DecimalError::kDivisionByZero};
  i128 q;
  if (!round_quotient(i128{m_} * kOne, o.m_, r, q)) return Unexpected{DecimalError::kInexact};
  return fit(q);
}

Result<Decimal, DecimalError> Decimal::mul_int(std::int64_t n) const noexcept {
  std::int64_t r;
  if (__builtin_mul_overflow(m_, n, &r)) return Unexpected{DecimalError::kOverflow};
  return from_raw(r);
}

Result<Decimal, DecimalError> Decimal::round_to(Decimal step, Rounding r) const noexcept {
  if (step.m_ <= 0) return Unexpected{DecimalError::kDivisionByZero};
  i128 q;
  if (!round_quotient(m_, step.m_, r, q)) return Unexpected{DecimalError::kInexact};
  return fit(q * step.m_);
}

bool Decimal::is_multiple_of(Decimal step) const noexcept {
  return step.m_ > 0 && m_ % step.m_ == 0;
}

namespace decimal_literals {
Decimal operator""_d(const char* text, std::size_t len) {
  auto d = Decimal::parse(std::string_view(text, len));
  if (!d) std::abort();
  return *d;
}
}  // namespace decimal_literals

}  // namespace oms
