// OKX v5 order-book checksum: the CRC32 (IEEE, as zlib's crc32) of the top 25 levels of each
// side, interleaved bid, ask, bid, ask ... as "price:size" joined by ':', read as a signed 32-bit
// integer -- the value the `books` channel sends as `checksum` with every snapshot and update.
// The texts are the venue's own strings (as sent: "0.10" stays "0.10"), best level first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace oms::okx {

inline constexpr std::size_t kChecksumDepth = 25;

struct TextLevel {
  std::string_view price;
  std::string_view size;
};

// CRC32 (IEEE 802.3, reflected, init and final xor 0xFFFFFFFF) of bytes, continued from crc
// (0 for a fresh one).
[[nodiscard]] std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0) noexcept;

// bids best (highest) first, asks best (lowest) first; only the first 25 of each are used.
[[nodiscard]] std::int32_t book_checksum(std::span<const TextLevel> bids,
                                         std::span<const TextLevel> asks) noexcept;

}  // namespace oms::okx
