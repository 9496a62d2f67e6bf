#include "oms/connectors/okx/book_checksum.hpp"

#include <algorithm>
#include <array>

namespace oms::okx {
namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kTable = make_table();

std::uint32_t update(std::uint32_t state, std::string_view bytes) noexcept {
  for (const char ch : bytes) {
    state = kTable[(state ^ static_cast<unsigned char>(ch)) & 0xFFU] ^ (state >> 8);
  }
  return state;
}

}  // namespace

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) noexcept {
  return ~update(~crc, bytes);
}

std::int32_t book_checksum(std::span<const TextLevel> bids,
                           std::span<const TextLevel> asks) noexcept {
  // Streamed into the CRC: no string is built.
  std::uint32_t state = 0xFFFFFFFFU;
  bool first = true;
  const auto put = [&](const TextLevel& level) {
    if (!first) state = update(state, ":");
    first = false;
    state = update(state, level.price);
    state = update(state, ":");
    state = update(state, level.size);
  };
  const std::size_t n = std::max(std::min(bids.size(), kChecksumDepth),
                                 std::min(asks.size(), kChecksumDepth));
  for (std::size_t i = 0; i < n; ++i) {
    if (i < bids.size()) put(bids[i]);
    if (i < asks.size()) put(asks[i]);
  }
  return static_cast<std::int32_t>(~state);
}

}  // namespace oms::okx
