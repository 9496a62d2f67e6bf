#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "oms/messages/decimal.hpp"
#include "testkit/printers.hpp"

using oms::Decimal;
using oms::DecimalError;
using oms::Rounding;

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
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
}  // namespace

TEST_CASE("parse exchange strings exactly") {
  CHECK(d("61837.63000000").raw() == 6'183'763'000'000);
  CHECK(d("0.00000001").raw() == 1);
  CHECK(d("-0.5").raw() == -50'000'000);
  CHECK(d("+1.25").raw() == 125'000'000);
  CHECK(d("1").raw() == 100'000'000);
  CHECK(d(".5").raw() == 50'000'000);
  CHECK(d("5.").raw() == 500'000'000);
  CHECK(d("0").raw() == 0);
  CHECK(d("-0").raw() == 0);
  CHECK(d("000123.4500").raw() == 12'345'000'000);
  CHECK(d("92233720368.54775807").raw() == kMax);
  CHECK(d("-92233720368.54775808").raw() == kMin);
  // Zeros past the 8th fractional digit carry no information and are accepted.
  CHECK(d("0.0000000100000").raw() == 1);
}

TEST_CASE("exponent notation is applied exactly, never rounded") {
  CHECK(d("1e-8").raw() == 1);
  CHECK(d("1E-8").raw() == 1);
  CHECK(d("1.5e3").raw() == 150'000'000'000);
  CHECK(d("2.5e-05").raw() == 2'500);
  CHECK(d("1e+2").raw() == 10'000'000'000);
  CHECK(d("0e999").raw() == 0);
  CHECK(err("1e-9") == DecimalError::kTooPrecise);
  CHECK(err("123e-10") == DecimalError::kTooPrecise);
  CHECK(err("1e11") == DecimalError::kOverflow);
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
  CHECK(err("0.000000001") == DecimalError::kTooPrecise);
  CHECK(err("0.123456789") == DecimalError::kTooPrecise);
  CHECK(err("92233720368.54775808") == DecimalError::kOverflow);
  CHECK(err("-92233720368.54775809") == DecimalError::kOverflow);
  CHECK(err("100000000000") == DecimalError::kOverflow);
  CHECK(err("1234567890123456789012345678901234567890123") == DecimalError::kOverflow);
  CHECK(err("0.1234567890123456789012345678901234567891") == DecimalError::kTooPrecise);
  CHECK(d("0.1234567800000000000000000000000000000000000000").raw() == 12'345'678);
}

TEST_CASE("format is the shortest exact text and venue fixed forms") {
  CHECK(d("61837.63000000").to_string() == "61837.63");
  CHECK(d("0.00000001").to_string() == "0.00000001");
  CHECK(d("-5").to_string() == "-5");
  CHECK(Decimal{}.to_string() == "0");
  CHECK(Decimal::from_raw(kMax).to_string() == "92233720368.54775807");
  CHECK(Decimal::from_raw(kMin).to_string() == "-92233720368.54775808");
  CHECK(d("-0.1").to_string() == "-0.1");
  CHECK(*d("61837.63").to_fixed(8) == "61837.63000000");
  CHECK(*d("5").to_fixed(3) == "5.000");
  CHECK(*d("5").to_fixed(0) == "5");
  CHECK(*d("0.001").to_fixed(3) == "0.001");
  CHECK(d("0.0015").to_fixed(3).error() == DecimalError::kInexact);
  CHECK(d("0.001").decimals() == 3);
  CHECK(d("12").decimals() == 0);
}

TEST_CASE("format then parse gives the same value for random mantissas") {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200'000; ++i) {
    const auto raw = static_cast<std::int64_t>(rng());
    const Decimal x = Decimal::from_raw(i % 3 == 0 ? raw % 1'000'000'000 : raw);
    const auto back = Decimal::parse(x.to_string());
    REQUIRE(back.ok());
    REQUIRE(*back == x);
  }
}

TEST_CASE("addition and subtraction are checked") {
  CHECK(*d("0.1").add(d("0.2")) == d("0.3"));
  CHECK(*d("0.1").sub(d("0.3")) == d("-0.2"));
  CHECK(Decimal::from_raw(kMax).add(Decimal::from_raw(1)).error() == DecimalError::kOverflow);
  CHECK(Decimal::from_raw(kMin).sub(Decimal::from_raw(1)).error() == DecimalError::kOverflow);
  CHECK(Decimal::from_raw(kMin).neg().error() == DecimalError::kOverflow);
  CHECK(Decimal::from_raw(kMin).abs().error() == DecimalError::kOverflow);
  CHECK(*d("-3").abs() == d("3"));
}

TEST_CASE("multiplication goes through 128 bits and rounds as asked") {
  // 61837.63 * 1.54698 = 95661.5768574 exactly
  CHECK(*d("61837.63").mul(d("1.54698"), Rounding::kExact) == d("95661.5768574"));
  CHECK(*d("0.00000001").mul(d("0.5"), Rounding::kDown) == d("0"));
  CHECK(*d("0.00000001").mul(d("0.5"), Rounding::kUp) == d("0.00000001"));
  CHECK(*d("0.00000001").mul(d("0.5"), Rounding::kHalfEven) == d("0"));
  CHECK(*d("0.00000003").mul(d("0.5"), Rounding::kHalfEven) == d("0.00000002"));
  CHECK(*d("-0.00000001").mul(d("0.5"), Rounding::kFloor) == d("-0.00000001"));
  CHECK(*d("-0.00000001").mul(d("0.5"), Rounding::kCeiling) == d("0"));
  CHECK(d("0.00000001").mul(d("0.5"), Rounding::kExact).error() == DecimalError::kInexact);
  // Large operands whose 64-bit product would wrap.
  CHECK(*d("90000000000").mul(d("0.5"), Rounding::kExact) == d("45000000000"));
  CHECK(d("90000000000").mul(d("2"), Rounding::kExact).error() == DecimalError::kOverflow);
  CHECK(*d("3").mul_int(7) == d("21"));
  CHECK(Decimal::from_raw(kMax).mul_int(2).error() == DecimalError::kOverflow);
}

TEST_CASE("division rounds as asked and refuses zero") {
  CHECK(*d("1").div(d("3"), Rounding::kDown) == d("0.33333333"));
  CHECK(*d("2").div(d("3"), Rounding::kHalfEven) == d("0.66666667"));
  CHECK(*d("-1").div(d("3"), Rounding::kFloor) == d("-0.33333334"));
  CHECK(*d("95661.5768574").div(d("1.54698"), Rounding::kExact) == d("61837.63"));
  CHECK(d("1").div(Decimal{}, Rounding::kDown).error() == DecimalError::kDivisionByZero);
  CHECK(d("90000000000").div(d("0.1"), Rounding::kDown).error() == DecimalError::kOverflow);
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
