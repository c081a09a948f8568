#include "common/wide_uint.h"

namespace strata {

WideUint WideUint::Pow10(int k) {
  STRATA_ASSERT(k >= 0 && k <= 150);
  WideUint r(1);
  for (; k >= 19; k -= 19) {
    r.MulSmall(10000000000000000000ULL);
  }
  uint64_t m = 1;
  for (; k > 0; --k) {
    m *= 10;
  }
  r.MulSmall(m);
  return r;
}

bool WideUint::IsZero() const {
  for (uint64_t l : limb_) {
    if (l != 0) return false;
  }
  return true;
}

bool WideUint::FitsUInt128() const {
  for (int i = 2; i < kLimbs; ++i) {
    if (limb_[i] != 0) return false;
  }
  return true;
}

UInt128 WideUint::ToUInt128() const {
  STRATA_ASSERT(FitsUInt128());
  return (static_cast<UInt128>(limb_[1]) << 64) | limb_[0];
}

int WideUint::BitLength() const {
  for (int i = kLimbs - 1; i >= 0; --i) {
    if (limb_[i] != 0) return i * 64 + 64 - __builtin_clzll(limb_[i]);
  }
  return 0;
}

int WideUint::Compare(const WideUint& a, const WideUint& b) {
  for (int i = kLimbs - 1; i >= 0; --i) {
    if (a.limb_[i] != b.limb_[i]) return a.limb_[i] < b.limb_[i] ? -1 : 1;
  }
  return 0;
}

void WideUint::Add(const WideUint& other) {
  uint64_t carry = 0;
  for (int i = 0; i < kLimbs; ++i) {
    UInt128 s = static_cast<UInt128>(limb_[i]) + other.limb_[i] + carry;
    limb_[i] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
  STRATA_ASSERT(carry == 0);
}

void WideUint::Sub(const WideUint& other) {
  uint64_t borrow = 0;
  for (int i = 0; i < kLimbs; ++i) {
    UInt128 d = static_cast<UInt128>(limb_[i]) - other.limb_[i] - borrow;
    limb_[i] = static_cast<uint64_t>(d);
    borrow = (d >> 64) != 0 ? 1 : 0;
  }
  STRATA_ASSERT(borrow == 0);
}

void WideUint::MulSmall(uint64_t m) {
  uint64_t carry = 0;
  for (int i = 0; i < kLimbs; ++i) {
    UInt128 p = static_cast<UInt128>(limb_[i]) * m + carry;
    limb_[i] = static_cast<uint64_t>(p);
    carry = static_cast<uint64_t>(p >> 64);
  }
  STRATA_ASSERT(carry == 0);
}

WideUint WideUint::Mul(const WideUint& a, const WideUint& b) {
  WideUint r;
  for (int i = 0; i < kLimbs; ++i) {
    if (a.limb_[i] == 0) continue;
    uint64_t carry = 0;
    for (int j = 0; i + j < kLimbs; ++j) {
      UInt128 p = static_cast<UInt128>(a.limb_[i]) * b.limb_[j] + r.limb_[i + j] + carry;
      r.limb_[i + j] = static_cast<uint64_t>(p);
      carry = static_cast<uint64_t>(p >> 64);
    }
    STRATA_ASSERT(carry == 0);
  }
  STRATA_ASSERT(a.BitLength() + b.BitLength() <= kLimbs * 64);
  return r;
}

void WideUint::ShiftLeft1() {
  STRATA_ASSERT((limb_[kLimbs - 1] >> 63) == 0);
  for (int i = kLimbs - 1; i > 0; --i) {
    limb_[i] = (limb_[i] << 1) | (limb_[i - 1] >> 63);
  }
  limb_[0] <<= 1;
}

void WideUint::DivMod(const WideUint& n, const WideUint& d, WideUint* quotient,
                      WideUint* remainder) {
  STRATA_ASSERT(!d.IsZero());
  WideUint q;
  WideUint r;
  if (d.BitLength() <= 64) {  // one-limb divisor: limb by limb, most significant first
    uint64_t dv = d.limb_[0];
    UInt128 rem = 0;
    for (int i = kLimbs - 1; i >= 0; --i) {
      UInt128 cur = (rem << 64) | n.limb_[i];
      q.limb_[i] = static_cast<uint64_t>(cur / dv);
      rem = cur % dv;
    }
    r.limb_[0] = static_cast<uint64_t>(rem);
  } else {  // binary long division
    for (int i = n.BitLength() - 1; i >= 0; --i) {
      r.ShiftLeft1();
      r.limb_[0] |= n.Bit(i) ? 1 : 0;
      if (Compare(r, d) >= 0) {
        r.Sub(d);
        q.limb_[i / 64] |= uint64_t{1} << (i % 64);
      }
    }
  }
  *quotient = q;
  *remainder = r;
}

WideUint WideUint::DivRoundHalfUp(const WideUint& n, const WideUint& d) {
  WideUint q;
  WideUint r;
  DivMod(n, d, &q, &r);
  WideUint rest = d;
  rest.Sub(r);
  if (Compare(r, rest) >= 0) q.Add(WideUint(1));  // r >= d - r, i.e. 2r >= d
  return q;
}

}  // namespace strata
