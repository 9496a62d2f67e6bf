// Rounding Upbit's long figures exactly from their text, and its ISO times.
#include "figures.hpp"

#include <charconv>

namespace oms::upbit::detail {

std::optional<Decimal> round_text(std::string_view text, Rounding mode, bool& rounded) {
  rounded = false;
  if (const auto exact = Decimal::parse(text)) return *exact;
  else if (exact.error() != DecimalError::kTooPrecise) return std::nullopt;
  // Digits and the position of the point, the exponent applied: value = 0.digits x 10^point.
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  std::string digits;
  long point = -1;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') digits.push_back(c);
    else if (c == '.' && point < 0) point = static_cast<long>(digits.size());
    else break;
  }
  if (digits.empty()) return std::nullopt;
  if (point < 0) point = static_cast<long>(digits.size());
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return std::nullopt;
    long exponent = 0;
    std::string_view e = s.substr(i + 1);
    if (!e.empty() && e.front() == '+') e.remove_prefix(1);
    const auto r = std::from_chars(e.data(), e.data() + e.size(), exponent);
    if (e.empty() || r.ec != std::errc{} || r.ptr != e.data() + e.size()) return std::nullopt;
    constexpr long kMaxShift = 64;  // beyond it the value cannot fit anyway
    if (exponent > kMaxShift || exponent < -kMaxShift) return std::nullopt;
    point += exponent;
  }
  // Integer part and the first 9 fractional digits, then what is cut.
  const auto digit = [&](long at) { return at >= 0 && at < static_cast<long>(digits.size()) ? digits[static_cast<std::size_t>(at)] : '0'; };
  std::string kept = negative ? "-" : "";
  for (long at = 0; at < point; ++at) kept.push_back(digit(at));
  if (point <= 0) kept.push_back('0');
  kept.push_back('.');
  for (long at = point; at < point + Decimal::kScale; ++at) kept.push_back(digit(at));
  std::string cut;
  for (long at = point + Decimal::kScale; at < static_cast<long>(digits.size()); ++at) cut.push_back(digit(at));
  const auto base = Decimal::parse(kept);
  if (!base) return std::nullopt;
  const bool nonzero = cut.find_first_not_of('0') != std::string::npos;
  rounded = nonzero;
  if (!nonzero) return *base;
  bool up = false;
  switch (mode) {
    case Rounding::kUp: up = true; break;
    case Rounding::kDown: up = false; break;
    case Rounding::kHalfEven: {
      const std::string half = "5" + std::string(cut.size() - 1, '0');
      if (cut > half) up = true;
      else if (cut == half) up = (base->raw() % 2) != 0;
      break;
    }
    default: return std::nullopt;  // the modes this file offers
  }
  if (!up) return *base;
  const std::int64_t step = negative ? -1 : 1;
  const auto stepped = base->add(Decimal::from_raw(step));
  if (!stepped) return std::nullopt;
  return *stepped;
}

std::optional<TimeNs> iso_time(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]
  const auto num = [&](std::size_t at, std::size_t n, int& out) {
    if (at + n > t.size()) return false;
    const auto r = std::from_chars(t.data() + at, t.data() + at + n, out);
    return r.ec == std::errc{} && r.ptr == t.data() + at + n;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != ' ') ||
      t[13] != ':' || t[16] != ':' || !num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) ||
      !num(11, 2, h) || !num(14, 2, mi) || !num(17, 2, s) || mo < 1 || mo > 12 || d < 1 || d > 31 ||
      h > 23 || mi > 59 || s > 60)
    return std::nullopt;
  std::size_t at = 19;
  std::int64_t frac_ns = 0;
  if (at < t.size() && t[at] == '.') {
    std::int64_t scale = 100'000'000;
    for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at) {
      frac_ns += (t[at] - '0') * scale;
      scale /= 10;
    }
  }
  int offset_min = 0;
  if (at < t.size() && t[at] == 'Z') {
    ++at;
  } else if (at < t.size() && (t[at] == '+' || t[at] == '-')) {
    int oh = 0, om = 0;
    if (!num(at + 1, 2, oh) || at + 3 >= t.size() || t[at + 3] != ':' || !num(at + 4, 2, om))
      return std::nullopt;
    offset_min = (oh * 60 + om) * (t[at] == '-' ? -1 : 1);
    at += 6;
  }
  if (at != t.size()) return std::nullopt;
  // Days from the civil date (Howard Hinnant's algorithm).
  const int yy = y - (mo <= 2 ? 1 : 0);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const int yoe = yy - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  const std::int64_t seconds = days * 86400 + h * 3600 + mi * 60 + s - offset_min * 60;
  constexpr std::int64_t kNsPerSecond = 1'000'000'000;
  return seconds * kNsPerSecond + frac_ns;
}

}  // namespace oms::upbit::detail
