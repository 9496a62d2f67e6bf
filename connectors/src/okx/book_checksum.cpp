#include "oms/connectors/okx/book_checksum.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace oms::okx {
namespace {

// CRC-32 (IEEE, reflected, polynomial 0xEDB88320) on the raw state (no pre/post inversion).
//
// Three ways, the same result: PCLMULQDQ folding for 64 bytes and more (x86-64 CPUs since 2010;
// checked at run time), slicing-by-8 tables for the rest, one table for the tail. The checksum
// of a book's top 25 is ~600-1000 bytes: one byte at a time (~5 cycles a byte through the
// table's load-xor chain) cost more than parsing the message.

constexpr std::uint32_t kPolynomial = 0xEDB88320U;

constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? kPolynomial ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i)
    for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFU];
  return t;
}
constexpr auto kTables = make_tables();

std::uint32_t update_bytes(std::uint32_t state, const unsigned char* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) state = kTables[0][(state ^ p[i]) & 0xFFU] ^ (state >> 8);
  return state;
}

std::uint32_t update_slice8(std::uint32_t state, const unsigned char* p, std::size_t n) noexcept {
  while (n >= 8) {
    std::uint32_t lo = 0, hi = 0;
    std::memcpy(&lo, p, 4);  // little-endian (x86-64, aarch64): the reflected CRC's byte order
    std::memcpy(&hi, p + 4, 4);
    lo ^= state;
    state = kTables[7][lo & 0xFFU] ^ kTables[6][(lo >> 8) & 0xFFU] ^
            kTables[5][(lo >> 16) & 0xFFU] ^ kTables[4][lo >> 24] ^ kTables[3][hi & 0xFFU] ^
            kTables[2][(hi >> 8) & 0xFFU] ^ kTables[1][(hi >> 16) & 0xFFU] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  return update_bytes(state, p, n);
}

#if defined(__x86_64__)
// Carry-less multiplication folding (Intel, "Fast CRC Computation for Generic Polynomials Using
// PCLMULQDQ", 2009), with the constants for the reflected IEEE polynomial as zlib (Chromium)
// and Linux use them: x^(4*128+32) / x^(4*128-32) mod P for the 4-lane fold, x^(128+32) /
// x^(128-32) for one lane, x^64 mod P, then Barrett reduction by P and mu = x^64 / P.
#define OMS_PCLMUL __attribute__((target("pclmul,sse4.1")))
OMS_PCLMUL inline __m128i load(const unsigned char* at) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
}
// x * k (its low and high halves by k's) folded onto next.
OMS_PCLMUL inline __m128i fold(__m128i x, __m128i k, __m128i next) noexcept {
  const __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  const __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}
// Folds whole 16-byte blocks: n >= 64 and a multiple of 16.
OMS_PCLMUL std::uint32_t fold_pclmul(std::uint32_t state, const unsigned char* p,
                                     std::size_t n) noexcept {
  const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  const __m128i k5k0 = _mm_set_epi64x(0, 0x0163cd6124);
  const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);

  __m128i x1 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(state)));
  __m128i x2 = load(p + 16), x3 = load(p + 32), x4 = load(p + 48);
  p += 64;
  n -= 64;
  while (n >= 64) {
    x1 = fold(x1, k1k2, load(p));
    x2 = fold(x2, k1k2, load(p + 16));
    x3 = fold(x3, k1k2, load(p + 32));
    x4 = fold(x4, k1k2, load(p + 48));
    p += 64;
    n -= 64;
  }
  // Four lanes into one, then the remaining 16-byte blocks.
  x1 = fold(x1, k3k4, x2);
  x1 = fold(x1, k3k4, x3);
  x1 = fold(x1, k3k4, x4);
  while (n >= 16) {
    x1 = fold(x1, k3k4, load(p));
    p += 16;
    n -= 16;
  }
  // 128 -> 64 bits.
  const __m128i mask32 = _mm_setr_epi32(~0, 0, ~0, 0);
  x2 = _mm_clmulepi64_si128(x1, k3k4, 0x10);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
  x2 = _mm_srli_si128(x1, 4);
  x1 = _mm_and_si128(x1, mask32);
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(x1, k5k0, 0x00), x2);
  // Barrett reduction to 32 bits.
  x2 = _mm_and_si128(x1, mask32);
  x2 = _mm_clmulepi64_si128(x2, poly, 0x10);
  x2 = _mm_and_si128(x2, mask32);
  x2 = _mm_clmulepi64_si128(x2, poly, 0x00);
  x1 = _mm_xor_si128(x1, x2);
  return static_cast<std::uint32_t>(_mm_extract_epi32(x1, 1));
}
#undef OMS_PCLMUL

bool has_pclmul() noexcept {
  static const bool kHas = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return kHas;
}
#endif

constexpr std::size_t kFoldMin = 64;

std::uint32_t update(std::uint32_t state, const unsigned char* p, std::size_t n) noexcept {
#if defined(__x86_64__)
  if (n >= kFoldMin && has_pclmul()) {
    const std::size_t whole = n & ~std::size_t{15};
    state = fold_pclmul(state, p, whole);
    p += whole;
    n -= whole;
  }
#endif
  return update_slice8(state, p, n);
}

// The checksum text "bid:size:ask:size:..." of the top 25, built in a fixed buffer: at most
// 2 x 25 levels of two texts and two ':' each.
constexpr std::size_t kMaxText = 64;  // a level text longer than this is hashed in pieces
constexpr std::size_t kBufferSize = 4096;

}  // namespace

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) noexcept {
  return ~update(~crc, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::int32_t book_checksum(std::span<const TextLevel> bids,
                           std::span<const TextLevel> asks) noexcept {
  // The texts are gathered into one buffer (on the stack: no allocation) and hashed in one pass,
  // so the folding runs over the whole ~1 KB instead of ~100 short pieces.
  std::array<unsigned char, kBufferSize> buffer;
  std::size_t used = 0;
  std::uint32_t state = 0xFFFFFFFFU;
  const auto put = [&](std::string_view text) {
    if (buffer.size() - used < text.size()) {  // only with texts far beyond any venue's
      state = update(state, buffer.data(), used);
      used = 0;
      if (text.size() > kMaxText) {
        state = update(state, reinterpret_cast<const unsigned char*>(text.data()), text.size());
        return;
      }
    }
    std::memcpy(buffer.data() + used, text.data(), text.size());
    used += text.size();
  };
  bool first = true;
  const auto level = [&](const TextLevel& l) {
    if (!first) put(":");
    first = false;
    put(l.price);
    put(":");
    put(l.size);
  };
  const std::size_t n = std::max(std::min(bids.size(), kChecksumDepth),
                                 std::min(asks.size(), kChecksumDepth));
  for (std::size_t i = 0; i < n; ++i) {
    if (i < bids.size()) level(bids[i]);
    if (i < asks.size()) level(asks[i]);
  }
  state = update(state, buffer.data(), used);
  return static_cast<std::int32_t>(~state);
}

}  // namespace oms::okx
