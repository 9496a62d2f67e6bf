// Hex, base64 and percent-encoding for signatures and query strings.
#include <array>

#include "oms/connectors/signing.hpp"

namespace oms::signing {

namespace {
constexpr std::string_view kHexLower = "0123456789abcdef";
constexpr std::string_view kHexUpper = "0123456789ABCDEF";
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr bool is_unreserved(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}
}  // namespace

void append_hex(const std::uint8_t* data, std::size_t n, std::string& out) {
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHexLower[data[i] >> 4U]);
    out.push_back(kHexLower[data[i] & 0x0FU]);
  }
}

void append_base64(const std::uint8_t* data, std::size_t n, std::string& out) {
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16U) | (std::uint32_t{data[i + 1]} << 8U) |
                            std::uint32_t{data[i + 2]};
    out.push_back(kBase64[(v >> 18U) & 0x3FU]);
    out.push_back(kBase64[(v >> 12U) & 0x3FU]);
    out.push_back(kBase64[(v >> 6U) & 0x3FU]);
    out.push_back(kBase64[v & 0x3FU]);
  }
  const std::size_t rest = n - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16U;
    out.push_back(kBase64[(v >> 18U) & 0x3FU]);
    out.push_back(kBase64[(v >> 12U) & 0x3FU]);
    out.append("==");
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16U) | (std::uint32_t{data[i + 1]} << 8U);
    out.push_back(kBase64[(v >> 18U) & 0x3FU]);
    out.push_back(kBase64[(v >> 12U) & 0x3FU]);
    out.push_back(kBase64[(v >> 6U) & 0x3FU]);
    out.push_back('=');
  }
}

void append_url_encoded(std::string_view s, std::string& out) {
  for (const char c : s) {
    if (is_unreserved(c)) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHexUpper[b >> 4U]);
      out.push_back(kHexUpper[b & 0x0FU]);
    }
  }
}

}  // namespace oms::signing
