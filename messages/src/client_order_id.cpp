#include "oms/messages/client_order_id.hpp"

#include "oms/messages/decimal.hpp"

namespace oms {
namespace {

constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kPrefix = "C1";
constexpr std::size_t kDeskWidth = 2, kAccountWidth = 4, kStrategyWidth = 4, kSequenceWidth = 13;
static_assert(kPrefix.size() + kDeskWidth + kAccountWidth + kStrategyWidth + kSequenceWidth ==
              kClientOrderIdLen);
static_assert(kClientOrderIdLen <= kMaxOkxClientIdLen && kClientOrderIdLen <= kMaxBinanceClientIdLen);

// Writes v in base 36, zero padded to width; false when it does not fit.
bool put(char*& p, std::uint64_t v, std::size_t width) {
  for (std::size_t i = width; i-- > 0;) {
    p[i] = kDigits[v % 36];
    v /= 36;
  }
  p += width;
  return v == 0;
}

bool get(std::string_view& s, std::size_t width, std::uint64_t max, std::uint64_t& out) {
  UInt128 v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = s[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else return false;
    v = v * 36 + static_cast<unsigned>(d);
  }
  s.remove_prefix(width);
  if (v > max) return false;
  out = static_cast<std::uint64_t>(v);
  return true;
}

}  // namespace

std::optional<ClientOrderIdText> format_client_order_id(const ClientOrderId& id) noexcept {
  if (id.desk > kMaxDesk) return std::nullopt;
  char buf[kClientOrderIdLen];
  char* p = buf;
  for (char c : kPrefix) *p++ = c;
  // Each field fits its width by construction (uint16 < 36^4, uint64 < 36^13).
  (void)put(p, id.desk, kDeskWidth);
  (void)put(p, id.account.value, kAccountWidth);
  (void)put(p, id.strategy.value, kStrategyWidth);
  (void)put(p, id.sequence, kSequenceWidth);
  ClientOrderIdText text;
  (void)text.assign(std::string_view(buf, kClientOrderIdLen));  // 25 <= 36 by static_assert
  return text;
}

std::optional<ClientOrderId> parse_client_order_id(std::string_view s) noexcept {
  if (s.size() != kClientOrderIdLen || s.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  s.remove_prefix(kPrefix.size());
  std::uint64_t desk, account, strategy, sequence;
  if (!get(s, kDeskWidth, kMaxDesk, desk) || !get(s, kAccountWidth, 0xFFFF, account) ||
      !get(s, kStrategyWidth, 0xFFFF, strategy) ||
      !get(s, kSequenceWidth, UINT64_MAX, sequence))
    return std::nullopt;
  ClientOrderId id;
  id.desk = static_cast<std::uint16_t>(desk);
  id.account = AccountId(static_cast<std::uint16_t>(account));
  id.strategy = StrategyId(static_cast<std::uint16_t>(strategy));
  id.sequence = sequence;
  return id;
}

}  // namespace oms
