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
  void add(Decimal d) noexcept { add(static_cast<std::uint64_t>(d.raw())); }
  [[nodiscard]] EventId value() const noexcept { return h_ == 0 ? 1 : h_; }  // 0 = "none"

 private:
  void byte(unsigned char b) noexcept {
    h_ ^= b;
    h_ *= 0x100000001b3ULL;
  }
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace oms
