// CRC32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final xor ~0), the
// checksum of the file journal's records. The SSE4.2 crc32 instruction computes exactly this
// polynomial, so x86-64 CPUs that have it (checked once at run time) take the hardware path;
// others take a table-driven software path with the same result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace oms::persistence {

// The CRC32C of data, continuing from a previous result: crc32c(b, crc32c(a)) == crc32c(a+b).
// crc32c("123456789") == 0xE3069283.
[[nodiscard]] std::uint32_t crc32c(const void* data, std::size_t size,
                                   std::uint32_t previous = 0) noexcept;
[[nodiscard]] inline std::uint32_t crc32c(std::string_view s, std::uint32_t previous = 0) noexcept {
  return crc32c(s.data(), s.size(), previous);
}

// The two implementations behind crc32c(), exposed so tests can check that they agree.
[[nodiscard]] std::uint32_t crc32c_software(const void* data, std::size_t size,
                                            std::uint32_t previous = 0) noexcept;
// Only callable when crc32c_hardware_available(); otherwise the CPU faults on the instruction.
[[nodiscard]] std::uint32_t crc32c_hardware(const void* data, std::size_t size,
                                            std::uint32_t previous = 0) noexcept;
[[nodiscard]] bool crc32c_hardware_available() noexcept;

}  // namespace oms::persistence
