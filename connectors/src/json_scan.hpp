// A strict one-pass reader for the venues' most frequent JSON messages (private to
// connectors/src): the fast paths (binance/depth_scan.hpp, okx/book_scan.hpp) take only the
// exact compact shape the venue sends and leave anything else to the simdjson readers, which
// alone name errors. Every method returns false where the text leaves that shape.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include "oms/messages/decimal.hpp"
#include "oms/messages/digits.hpp"

namespace oms::venue {

class Scanner {
 public:
  explicit Scanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  [[nodiscard]] bool at_end() const { return p_ == end_; }

  bool lit(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool lit(std::string_view text) {
    if (static_cast<std::size_t>(end_ - p_) < text.size() ||
        std::memcmp(p_, text.data(), text.size()) != 0)
      return false;
    p_ += text.size();
    return true;
  }

  // A string of printable ASCII without escapes (anything else: the general reader's, which
  // unescapes and validates UTF-8).
  bool str(std::string_view& out) {
    if (!lit('"')) return false;
    const char* begin = p_;
    while (end_ - p_ >= 8) {  // eight bytes at a time to the first that is not plain
      const unsigned k = digits::first_special(digits::load8(p_));
      p_ += k;
      if (k < 8) break;
    }
    for (; p_ != end_; ++p_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
    }
    return false;
  }

  // An object key and its colon; a one-letter key ("E":) read at once.
  bool key(std::string_view& out) {
    if (end_ - p_ >= 4 && p_[0] == '"' && p_[2] == '"' && p_[3] == ':') {
      out = std::string_view(p_ + 1, 1);  // an escape or control byte here is no key we know
      p_ += 4;
      return true;
    }
    return str(out) && lit(':');
  }

  // An unsigned integer as JSON writes one: no sign, no leading zero, no fraction or exponent,
  // at most 2^64 - 1.
  bool u64(std::uint64_t& out) {
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0') {
      ++p_;
      out = 0;
      return p_ == end_ || !is_number_char(*p_);
    }
    std::uint64_t v = 0;
    int count = 0;
    while (end_ - p_ >= 8 && count <= 11) {  // eight digits at a time while 19 surely fit
      const std::uint64_t word = digits::load8(p_);
      if (!digits::all_digits(word)) break;
      v = v * 100'000'000ULL + digits::eight_digits(word);
      count += 8;
      p_ += 8;
    }
    for (; p_ != end_ && *p_ >= '0' && *p_ <= '9'; ++p_, ++count) {
      const auto digit = static_cast<std::uint64_t>(*p_ - '0');
      if (count < 19) {  // 19 digits always fit
        v = v * 10 + digit;
      } else if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, digit, &v)) {
        return false;
      }
    }
    out = v;
    return p_ == end_ || !is_number_char(*p_);
  }

  // A decimal string: read in place up to its closing quote in the usual case; otherwise the
  // text up to the next quote, which Decimal::parse then takes whole or refuses (an escape, a
  // control byte or anything else in it is not decimal syntax).
  bool decimal(Decimal& out) {
    if (!lit('"')) return false;
    const char* begin = p_;
    Int128 m = 0;
    if (const char* stop = digits::scan_plain_decimal(p_, end_, m); stop != nullptr && stop != end_ && *stop == '"') {
      out = Decimal::from_raw(m);
      p_ = stop + 1;
      return true;
    }
    while (end_ - p_ >= 8) {
      const unsigned k = digits::first_byte(digits::load8(p_), '"');
      p_ += k;
      if (k < 8) break;
    }
    while (p_ != end_ && *p_ != '"') ++p_;
    if (p_ == end_) return false;
    const auto d = Decimal::parse(std::string_view(begin, static_cast<std::size_t>(p_ - begin)));
    ++p_;
    if (!d) return false;
    out = *d;
    return true;
  }

  // A signed integer as JSON writes one (an optional minus, then as u64), within int64.
  bool i64(std::int64_t& out) {
    const bool negative = lit('-');
    std::uint64_t magnitude = 0;
    if (!u64(magnitude)) return false;
    const auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1U : 0U);
    if (magnitude > limit) return false;
    out = negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
    return true;
  }

 private:
  static bool is_number_char(char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
  }

  const char* p_;
  const char* end_;
};

}  // namespace oms::venue
