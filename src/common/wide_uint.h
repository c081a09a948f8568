// WideUint: a fixed 512-bit unsigned integer, the slow path of exact numeric arithmetic.
//
// Numeric (numeric.h) works on 128-bit values, but exact intermediate results are wider:
// the product of two 127-bit magnitudes has 254 bits, and a dividend scaled by up to 10^76
// before a division has about 380. WideUint holds any of them exactly; it is a value type
// with schoolbook operations and no allocation. Every operation that could exceed 512 bits
// asserts instead (callers stay far below), so nothing wraps silently.
#pragma once

#include <cstdint>

#include "common/assert.h"

namespace strata {

using UInt128 = unsigned __int128;

class WideUint {
 public:
  static constexpr int kLimbs = 8;  // little-endian 64-bit limbs

  WideUint() = default;
  explicit WideUint(UInt128 v) {
    limb_[0] = static_cast<uint64_t>(v);
    limb_[1] = static_cast<uint64_t>(v >> 64);
  }
  // 10^k, 0 <= k <= 150.
  static WideUint Pow10(int k);

  bool IsZero() const;
  bool FitsUInt128() const;
  UInt128 ToUInt128() const;  // requires FitsUInt128()
  int BitLength() const;      // 0 for zero

  static int Compare(const WideUint& a, const WideUint& b);  // -1, 0 or 1

  void Add(const WideUint& other);
  void Sub(const WideUint& other);  // requires *this >= other
  void MulSmall(uint64_t m);
  static WideUint Mul(const WideUint& a, const WideUint& b);
  // Sets *quotient and *remainder of n / d; d must not be zero.
  static void DivMod(const WideUint& n, const WideUint& d, WideUint* quotient, WideUint* remainder);
  // n / d rounded half away from zero (on magnitudes: a remainder >= d/2 rounds up).
  static WideUint DivRoundHalfUp(const WideUint& n, const WideUint& d);

 private:
  void ShiftLeft1();
  bool Bit(int i) const { return (limb_[i / 64] >> (i % 64)) & 1; }
  uint64_t limb_[kLimbs] = {};
};

}  // namespace strata
