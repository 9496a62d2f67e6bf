#include "oms/persistence/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace oms::persistence {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78;  // Castagnoli, bit-reflected
// Slicing-by-8: eight 256-entry tables let the software path fold 8 bytes per step with
// independent lookups (~1.5 cycles/byte against ~6 for the byte-at-a-time table).
constexpr std::size_t kSlices = 8;

using Tables = std::array<std::array<std::uint32_t, 256>, kSlices>;

constexpr Tables make_tables() {
  Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) != 0 ? (c >> 1) ^ kPolynomial : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t s = 1; s < kSlices; ++s)
    for (std::size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  return t;
}

constexpr Tables kTables = make_tables();

std::uint64_t load_le64(const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);  // x86-64 and aarch64 Linux are little-endian
  return v;
}

}  // namespace

std::uint32_t crc32c_software(const void* data, std::size_t size, std::uint32_t previous) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t crc = ~previous;
  while (size >= kSlices) {
    const std::uint64_t v = load_le64(p) ^ crc;
    crc = kTables[7][v & 0xFF] ^ kTables[6][(v >> 8) & 0xFF] ^ kTables[5][(v >> 16) & 0xFF] ^
          kTables[4][(v >> 24) & 0xFF] ^ kTables[3][(v >> 32) & 0xFF] ^
          kTables[2][(v >> 40) & 0xFF] ^ kTables[1][(v >> 48) & 0xFF] ^ kTables[0][v >> 56];
    p += kSlices;
    size -= kSlices;
  }
  while (size-- > 0) crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xFF];
  return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_hardware(const void* data, std::size_t size,
                                                                std::uint32_t previous) noexcept {
  // One dependent crc32 per 8 bytes (3-cycle latency): ~2.5 bytes/cycle, enough for the
  // journal's ~250-byte records; interleaving three streams would only pay on long buffers.
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t crc = ~previous;
  while (size >= 8) {
    crc = _mm_crc32_u64(crc, load_le64(p));
    p += 8;
    size -= 8;
  }
  auto crc32 = static_cast<std::uint32_t>(crc);
  while (size-- > 0) crc32 = _mm_crc32_u8(crc32, *p++);
  return ~crc32;
}

bool crc32c_hardware_available() noexcept {
  static const bool kAvailable = [] {
    __builtin_cpu_init();  // safe even if called before the runtime's own init
    return __builtin_cpu_supports("sse4.2") != 0;
  }();
  return kAvailable;
}
#else
std::uint32_t crc32c_hardware(const void* data, std::size_t size, std::uint32_t previous) noexcept {
  return crc32c_software(data, size, previous);
}

bool crc32c_hardware_available() noexcept {
  return false;
}
#endif

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t previous) noexcept {
  return crc32c_hardware_available() ? crc32c_hardware(data, size, previous)
                                     : crc32c_software(data, size, previous);
}

}  // namespace oms::persistence
