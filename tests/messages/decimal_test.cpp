#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>

#include "oms/messages/decimal.hpp"
#include "testkit/printers.hpp"

using oms::Decimal;
using oms::DecimalError;
using oms::Int128;
using oms::Rounding;
using oms::UInt128;

namespace {
Decimal d(const char* s) {
  auto r = Decimal::parse(s);
  REQUIRE_MESSAGE(r.ok(), s);
  return *r;
}
DecimalError err(const char* s) {
  auto r = Decimal::parse(s);
  REQUIRE_FALSE_MESSAGE(r.ok(), s);
  return r.error();
}
Decimal raw(Int128 m) { return Decimal::from_raw(m); }
constexpr Int128 kMax = static_cast<Int128>(~UInt128{0} >> 1);
constexpr Int128 kMin = -kMax - 1;
}  // namespace

TEST_CASE("parse exchange strings exactly") {
  CHECK(d("61837.63000000") == raw(61'837'630'000'000));
  CHECK(d("0.000000001") == raw(1));
  CHECK(d("0.00000001") == raw(10));
  CHECK(d("-0.5") == raw(-500'000'000));
  CHECK(d("+1.25") == raw(1'250'000'000));
  CHECK(d("1") == raw(1'000'000'000));
  CHECK(d(".5") == raw(500'000'000));
  CHECK(d("5.") == raw(5'000'000'000));
  CHECK(d("0") == raw(0));
  CHECK(d("-0") == raw(0));
  CHECK(d("000123.4500") == raw(123'450'000'000));
  CHECK(d("170141183460469231731687303715.884105727") == raw(kMax));
  CHECK(d("-170141183460469231731687303715.884105728") == raw(kMin));
  // Zeros past the 9th fractional digit carry no information and are accepted.
  CHECK(d("0.00000000100000") == raw(1));
}

TEST_CASE("the range a KRW desk needs is exact (issue 16)") {
  // A KRW balance of 10^12 won, 10^13 units of a low-priced token, the KRW notional of such an
  // order, a 1e-9 tick: each parses, formats back and multiplies without rounding.
  const Decimal balance = d("1000000000000.5");
  CHECK(balance.to_string() == "1000000000000.5");
  const Decimal units = d("10000000000000");
  const Decimal price = d("1400.5");
  CHECK(*units.mul(price, Rounding::kExact) == d("14005000000000000"));
  const Decimal tick = d("0.000000001");
  CHECK(tick.to_string() == "0.000000001");
  CHECK(d("0.000001234").is_multiple_of(tick));
  CHECK(*d("0.000001239").round_to(d("0.00000001"), Rounding::kDown) == d("0.00000123"));
  CHECK(*d("12345678.987654321").add(balance) == d("1000012345679.487654321"));
}

TEST_CASE("exponent notation is applied exactly, never rounded") {
  CHECK(d("1e-9") == raw(1));
  CHECK(d("1E-8") == raw(10));
  CHECK(d("1.5e3") == raw(1'500'000'000'000));
  CHECK(d("2.5e-05") == raw(25'000));
  CHECK(d("1e+2") == raw(100'000'000'000));
  CHECK(d("0e999") == raw(0));
  CHECK(d("1e29") == raw(Int128{1'000'000'000'000'000'000} * 1'000'000'000'000'000'000 * 100));
  CHECK(err("1e-10") == DecimalError::kTooPrecise);
  CHECK(err("123e-11") == DecimalError::kTooPrecise);
  CHECK(err("1e30") == DecimalError::kOverflow);
  // Exponents whose power of ten no longer fits 128 bits (found by fuzzing under UBSan): the
  // same answers, without computing 10^39.
  for (const char* big : {"1e31", "1e30", "1e40", "1e99", "5e-31", "1e-32", "1e-99"}) {
    INFO(big);
    CHECK((err(big) == DecimalError::kOverflow || err(big) == DecimalError::kTooPrecise));
  }
  CHECK(err("1e31") == DecimalError::kOverflow);
  CHECK(err("1e-31") == DecimalError::kTooPrecise);
  CHECK(err("1e") == DecimalError::kSyntax);
  CHECK(err("1e+") == DecimalError::kSyntax);
  CHECK(err("1e5x") == DecimalError::kSyntax);
}

TEST_CASE("malformed or inexact text is an error, never a rounding") {
  CHECK(err("") == DecimalError::kEmpty);
  CHECK(err("-") == DecimalError::kSyntax);
  CHECK(err(".") == DecimalError::kSyntax);
  CHECK(err("1.2.3") == DecimalError::kSyntax);
  CHECK(err(" 1") == DecimalError::kSyntax);
  CHECK(err("1 ") == DecimalError::kSyntax);
  CHECK(err("0x10") == DecimalError::kSyntax);
  CHECK(err("nan") == DecimalError::kSyntax);
  CHECK(err("inf") == DecimalError::kSyntax);
  CHECK(err("1,5") == DecimalError::kSyntax);
  CHECK(err("--1") == DecimalError::kSyntax);
  CHECK(err("0.0000000001") == DecimalError::kTooPrecise);
  CHECK(err("0.1234567891") == DecimalError::kTooPrecise);
  CHECK(err("170141183460469231731687303715.884105728") == DecimalError::kOverflow);
  CHECK(err("-170141183460469231731687303715.884105729") == DecimalError::kOverflow);
  CHECK(err("1000000000000000000000000000000") == DecimalError::kOverflow);
  CHECK(err("1234567890123456789012345678901234567890123") == DecimalError::kOverflow);
  CHECK(err("0.1234567890123456789012345678901234567891") == DecimalError::kTooPrecise);
  CHECK(d("0.1234567890000000000000000000000000000000000000") == raw(123'456'789));
}

TEST_CASE("format is the shortest exact text and venue fixed forms") {
  CHECK(d("61837.63000000").to_string() == "61837.63");
  CHECK(d("0.00000001").to_string() == "0.00000001");
  CHECK(d("0.000000001").to_string() == "0.000000001");
  CHECK(d("-5").to_string() == "-5");
  CHECK(Decimal{}.to_string() == "0");
  CHECK(raw(kMax).to_string() == "170141183460469231731687303715.884105727");
  CHECK(raw(kMin).to_string() == "-170141183460469231731687303715.884105728");
  CHECK(raw(kMin).to_string().size() + 1 == Decimal::kMaxChars);
  CHECK(d("-0.1").to_string() == "-0.1");
  CHECK(*d("61837.63").to_fixed(8) == "61837.63000000");
  CHECK(*d("61837.63").to_fixed(9) == "61837.630000000");
  CHECK(*d("5").to_fixed(3) == "5.000");
  CHECK(*d("5").to_fixed(0) == "5");
  CHECK(*d("0.001").to_fixed(3) == "0.001");
  CHECK(d("0.0015").to_fixed(3).error() == DecimalError::kInexact);
  CHECK(d("5").to_fixed(10).error() == DecimalError::kSyntax);
  CHECK(d("0.001").decimals() == 3);
  CHECK(d("0.000000001").decimals() == 9);
  CHECK(d("-0.000000001").decimals() == 9);
  CHECK(d("12").decimals() == 0);
}

TEST_CASE("format then parse gives the same value for random mantissas") {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200'000; ++i) {
    const auto hi = static_cast<Int128>(static_cast<std::int64_t>(rng()));
    const auto wide = static_cast<Int128>((static_cast<UInt128>(rng()) << 64) | rng());
    const Int128 m = i % 3 == 0 ? wide % 1'000'000'000 : i % 3 == 1 ? hi : wide;
    const Decimal x = raw(m);
    const auto back = Decimal::parse(x.to_string());
    REQUIRE(back.ok());
    REQUIRE(*back == x);
  }
}

// parse() reads the venues' usual text (a sign, up to 19 digits, a point) in 64 bits, eight
// digits at a time; anything else goes the general way. Text with "e0" appended has the same
// value and is always read the general way, so the two must agree on every string -- value or
// error -- whatever its shape: digits runs across the eight-digit chunks, 19 / 20 digits, too
// many fractional digits, stray signs, points and letters.
TEST_CASE("the 64-bit path of parse agrees with the general one on every text") {
  std::mt19937_64 rng(7);
  const std::string alphabet = "0123456789";
  const std::string noise = ".+-x 0";
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  for (int i = 0; i < 300'000; ++i) {
    std::string s;
    if (pick(4) == 0) s += pick(2) == 0 ? '-' : '+';
    const std::size_t digits = pick(24);
    const std::size_t point = pick(digits + 2);  // digits + 1: no point
    for (std::size_t k = 0; k < digits; ++k) {
      if (k == point) s += '.';
      s += pick(3) == 0 ? '0' : alphabet[pick(10)];
    }
    if (point == digits) s += '.';
    if (pick(10) == 0) s.insert(pick(s.size() + 1), 1, noise[pick(noise.size())]);
    if (s.empty()) continue;  // kEmpty, while "e0" alone is kSyntax
    const auto fast = Decimal::parse(s);
    const auto general = Decimal::parse(s + "e0");
    INFO(s);
    REQUIRE(fast.ok() == general.ok());
    if (fast.ok()) {
      REQUIRE(*fast == *general);
    } else {
      REQUIRE(fast.error() == general.error());
    }
  }
  // The edges by hand: 19 digits in 64 bits, the 20th sends it the general way.
  CHECK(d("9999999999.999999999") == raw(static_cast<Int128>(9'999'999'999'999'999'999ULL)));
  CHECK(d("99999999999.999999999").to_string() == "99999999999.999999999");
  CHECK(d("-0.0000000010000000000") == raw(-1));
  CHECK(err("0.00000000100000000001") == DecimalError::kTooPrecise);
  CHECK(err("1.0000000001") == DecimalError::kTooPrecise);
  CHECK(d("12345678.12345678") == raw(static_cast<Int128>(12'345'678'123'456'780LL)));
  CHECK(err("1234567.8.1") == DecimalError::kSyntax);
  CHECK(err("-") == DecimalError::kSyntax);
  CHECK(err(".") == DecimalError::kSyntax);
}

TEST_CASE("addition and subtraction are checked") {
  CHECK(*d("0.1").add(d("0.2")) == d("0.3"));
  CHECK(*d("0.1").sub(d("0.3")) == d("-0.2"));
  CHECK(raw(kMax).add(raw(1)).error() == DecimalError::kOverflow);
  CHECK(raw(kMin).sub(raw(1)).error() == DecimalError::kOverflow);
  CHECK(raw(kMin).neg().error() == DecimalError::kOverflow);
  CHECK(raw(kMin).abs().error() == DecimalError::kOverflow);
  CHECK(*raw(kMax).neg() == raw(kMin + 1));
  CHECK(*d("-3").abs() == d("3"));
}

TEST_CASE("multiplication rounds as asked") {
  // 61837.63 * 1.54698 = 95661.5768574 exactly
  CHECK(*d("61837.63").mul(d("1.54698"), Rounding::kExact) == d("95661.5768574"));
  CHECK(*d("0.000000001").mul(d("0.5"), Rounding::kDown) == d("0"));
  CHECK(*d("0.000000001").mul(d("0.5"), Rounding::kUp) == d("0.000000001"));
  CHECK(*d("0.000000001").mul(d("0.5"), Rounding::kHalfEven) == d("0"));
  CHECK(*d("0.000000003").mul(d("0.5"), Rounding::kHalfEven) == d("0.000000002"));
  CHECK(*d("-0.000000001").mul(d("0.5"), Rounding::kFloor) == d("-0.000000001"));
  CHECK(*d("-0.000000001").mul(d("0.5"), Rounding::kCeiling) == d("0"));
  CHECK(d("0.000000001").mul(d("0.5"), Rounding::kExact).error() == DecimalError::kInexact);
  CHECK(*d("3").mul_int(7) == d("21"));
  CHECK(raw(kMax).mul_int(2).error() == DecimalError::kOverflow);
}

TEST_CASE("multiplication is exact past a 128-bit product of the mantissas") {
  // |a x b| beyond 1.7e20: the split product, checked against Python's decimal module.
  const Decimal a = d("123456789012345678901.123456789");
  CHECK(*a.mul(d("3.000000001"), Rounding::kDown) == d("370370367160493825715.716049268"));
  CHECK(*a.mul(d("3.000000001"), Rounding::kHalfEven) == d("370370367160493825715.716049268"));
  CHECK(*a.mul(d("3.000000001"), Rounding::kCeiling) == d("370370367160493825715.716049269"));
  CHECK(*a.mul(d("-3.000000001"), Rounding::kFloor) == d("-370370367160493825715.716049269"));
  CHECK(*a.mul(d("-3.000000001"), Rounding::kDown) == d("-370370367160493825715.716049268"));
  CHECK(a.mul(d("3.000000001"), Rounding::kExact).error() == DecimalError::kInexact);
  CHECK(*d("99999999999999999999.999999999").mul(d("99999999"), Rounding::kExact) ==
        d("9999999899999999999999999999.900000001"));
  CHECK(d("99999999999999999999.999999999").mul(d("100000000000"), Rounding::kExact).error() ==
        DecimalError::kOverflow);
  CHECK(raw(kMax).mul(d("1.000000001"), Rounding::kDown).error() == DecimalError::kOverflow);
  CHECK(*raw(kMax).mul(d("1"), Rounding::kExact) == raw(kMax));
  CHECK(*raw(kMin).mul(d("1"), Rounding::kExact) == raw(kMin));
}

TEST_CASE("division rounds as asked and refuses zero") {
  CHECK(*d("1").div(d("3"), Rounding::kDown) == d("0.333333333"));
  CHECK(*d("2").div(d("3"), Rounding::kHalfEven) == d("0.666666667"));
  CHECK(*d("-1").div(d("3"), Rounding::kFloor) == d("-0.333333334"));
  CHECK(*d("95661.5768574").div(d("1.54698"), Rounding::kExact) == d("61837.63"));
  CHECK(d("1").div(Decimal{}, Rounding::kDown).error() == DecimalError::kDivisionByZero);
  CHECK(d("100000000000000000000000000000").div(d("0.1"), Rounding::kDown).error() == DecimalError::kOverflow);
}

TEST_CASE("division is exact past a 128-bit scaled dividend") {
  const Decimal x = d("1234567890123456789012.5");
  CHECK(*x.div(d("7"), Rounding::kDown) == d("176366841446208112716.071428571"));
  CHECK(*x.div(d("-3"), Rounding::kDown) == d("-411522630041152263004.166666666"));
  CHECK(*x.div(d("-3"), Rounding::kHalfEven) == d("-411522630041152263004.166666667"));
  CHECK(*x.div(d("0.5"), Rounding::kExact) == d("2469135780246913578025"));
  CHECK(*x.div(d("12345678901234567890123.123456789"), Rounding::kDown) == d("0.1"));
  CHECK(x.div(d("7"), Rounding::kExact).error() == DecimalError::kInexact);
  CHECK(x.div(d("0.000000001"), Rounding::kDown).error() == DecimalError::kOverflow);
}

TEST_CASE("mul_div: one rounding of num x mul / den, exact past a 128-bit product") {
  Int128 q = 0;
  // 1 234 567 890 000 KRW at 1e-18 / 1250 (a rate at 1e-9): the product num x 1e9 is 1.2e39.
  const Int128 krw18 = Int128{1'234'567'890'000} * 1'000'000'000'000'000'000;
  REQUIRE(oms::mul_div(krw18, 1'000'000'000, Int128{1'250} * 1'000'000'000, Rounding::kExact, q));
  CHECK(q == Int128{987'654'312} * 1'000'000'000'000'000'000);
  CHECK(oms::mul_div(7, 3, 2, Rounding::kHalfEven, q));  // 10.5 -> 10
  CHECK(q == 10);
  CHECK(oms::mul_div(9, 3, 2, Rounding::kHalfEven, q));  // 13.5 -> 14
  CHECK(q == 14);
  CHECK(oms::mul_div(-7, 3, 2, Rounding::kFloor, q));  // -10.5 -> -11
  CHECK(q == -11);
  CHECK(oms::mul_div(7, -3, 2, Rounding::kDown, q));
  CHECK(q == -10);
  CHECK_FALSE(oms::mul_div(7, 3, 2, Rounding::kExact, q));
  CHECK_FALSE(oms::mul_div(7, 3, 0, Rounding::kDown, q));
  CHECK_FALSE(oms::mul_div(kMax, 2, 1, Rounding::kDown, q));
  CHECK(oms::mul_div(kMax, 2, 2, Rounding::kExact, q));
  CHECK(q == kMax);
}

TEST_CASE("round_quotient over the whole 128-bit range") {
  Int128 q = 0;
  CHECK(oms::round_quotient(kMin, 1, Rounding::kExact, q));
  CHECK(q == kMin);
  CHECK(oms::round_quotient(kMax, -1, Rounding::kExact, q));
  CHECK(q == -kMax);
  CHECK(oms::round_quotient(kMax, 2, Rounding::kUp, q));
  CHECK(q == kMax / 2 + 1);
  CHECK(oms::round_quotient(-7, 2, Rounding::kHalfEven, q));
  CHECK(q == -4);
  CHECK(oms::round_quotient(7, -2, Rounding::kFloor, q));
  CHECK(q == -4);
  CHECK_FALSE(oms::round_quotient(7, 2, Rounding::kExact, q));
}

TEST_CASE("rounding to a tick or a step") {
  const Decimal tick = d("0.01");
  CHECK(*d("61837.637").round_to(tick, Rounding::kDown) == d("61837.63"));
  CHECK(*d("61837.631").round_to(tick, Rounding::kUp) == d("61837.64"));
  CHECK(*d("61837.635").round_to(tick, Rounding::kHalfEven) == d("61837.64"));
  CHECK(*d("61837.625").round_to(tick, Rounding::kHalfEven) == d("61837.62"));
  CHECK(*d("61837.63").round_to(tick, Rounding::kExact) == d("61837.63"));
  CHECK(d("61837.631").round_to(tick, Rounding::kExact).error() == DecimalError::kInexact);
  CHECK(*d("0.12345").round_to(d("0.001"), Rounding::kDown) == d("0.123"));
  CHECK(*d("-0.12345").round_to(d("0.001"), Rounding::kFloor) == d("-0.124"));
  CHECK(*d("7").round_to(d("5"), Rounding::kCeiling) == d("10"));
  CHECK(d("7").round_to(Decimal{}, Rounding::kDown).error() == DecimalError::kDivisionByZero);
  CHECK(d("1.23").is_multiple_of(d("0.01")));
  CHECK_FALSE(d("1.234").is_multiple_of(d("0.01")));
}

TEST_CASE("half-even ties go to the even neighbour in both signs") {
  CHECK(*d("0.5").round_to(d("1"), Rounding::kHalfEven) == d("0"));
  CHECK(*d("1.5").round_to(d("1"), Rounding::kHalfEven) == d("2"));
  CHECK(*d("2.5").round_to(d("1"), Rounding::kHalfEven) == d("2"));
  CHECK(*d("-2.5").round_to(d("1"), Rounding::kHalfEven) == d("-2"));
  CHECK(*d("-3.5").round_to(d("1"), Rounding::kHalfEven) == d("-4"));
  CHECK(*d("2.51").round_to(d("1"), Rounding::kHalfEven) == d("3"));
}

TEST_CASE("comparisons follow the value") {
  CHECK(d("0.1") < d("0.2"));
  CHECK(d("-1") < d("0"));
  CHECK(d("1.0") == d("1"));
  CHECK(d("3").sign() == 1);
  CHECK(d("-3").sign() == -1);
  CHECK(Decimal{}.sign() == 0);
}
