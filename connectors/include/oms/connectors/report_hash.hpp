// The hash behind the connectors' report ids (FNV-1a, 64 bit): what identifies a venue fact
// (order id, trade id, cumulative quantity, ...) fed field by field, each string closed by a
// separator so ("ab","c") and ("a","bc") differ. Pure, header only.
#pragma once

#include <cstdint>
#include <string_view>

#include "oms/messages/decimal.hpp"
#include "oms/messages/envelope.hpp"

namespace oms {

class ReportHash {
 public:
  void add(std::string_view s) noexcept {
    for (const char c : s) byte(static_cast<unsigned char>(c));
    byte(0x1f);  // field separator
  }
  void add(std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) byte(static_cast<unsigned char>(v >> (8 * i)));
  }
  // The mantissa's low word, and its high word when there is one (a value beyond 2^64 raw).
  void add(Decimal d) noexcept {
    const auto u = static_cast<UInt128>(d.raw());
    add(static_cast<std::uint64_t>(u));
    if (const auto hi = static_cast<std::uint64_t>(u >> 64); hi != 0 && hi != ~std::uint64_t{0}) add(hi);
  }
  [[nodiscard]] EventId value() const noexcept { return h_ == 0 ? 1 : h_; }  // 0 = "none"

 private:
  void byte(unsigned char b) noexcept {
    h_ ^= b;
    h_ *= 0x100000001b3ULL;
  }
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace oms
