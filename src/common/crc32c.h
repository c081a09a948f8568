// CRC32C (Castagnoli), the checksum of every on-disk batch and index. Uses the SSE4.2
// crc32 instruction where the CPU has it, a table otherwise; both give the same value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata::crc32c {

// Extends `crc` (the CRC32C of some bytes A) to the CRC32C of A followed by data[0, n).
uint32_t Extend(uint32_t crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) {
  return Extend(0, data, n);
}
inline uint32_t Value(std::string_view s) {
  return Extend(0, s.data(), s.size());
}

// True when the hardware instruction is used (reported by the benchmark).
bool IsHardwareAccelerated();

}  // namespace strata::crc32c
