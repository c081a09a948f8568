#include "common/numeric.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/wide_uint.h"

namespace strata {

namespace {

constexpr std::array<UInt128, 39> kPow10 = [] {
  std::array<UInt128, 39> p{};
  p[0] = 1;
  for (int i = 1; i < 39; ++i) {
    p[i] = p[i - 1] * 10;
  }
  return p;
}();
constexpr UInt128 kMaxMagnitude = kPow10[38] - 1;  // 38 nines

void CheckScale(int scale) {
  STRATA_ASSERT(scale >= 0 && scale <= kNumericMaxPrecision);
}

UInt128 Magnitude(Int128 v) {
  return v < 0 ? UInt128{0} - static_cast<UInt128>(v) : v;
}

// Requires mag <= kMaxMagnitude.
Int128 WithSign(bool negative, UInt128 mag) {
  Int128 v = static_cast<Int128>(mag);
  return negative ? -v : v;
}

// mag at `from` digits of scale re-expressed at `to`, rounding half away from zero when
// shrinking. False if the result does not fit 128 bits.
bool RescaleMagnitude(UInt128 mag, int from, int to, UInt128* out) {
  if (to >= from) return !__builtin_mul_overflow(mag, kPow10[to - from], out);
  int drop = from - to;
  if (drop > 38) {  // mag < 2^128 < 10^39 / 2: rounds to zero
    *out = 0;
    return true;
  }
  UInt128 p = kPow10[drop];
  UInt128 q = mag / p;
  UInt128 r = mag % p;
  *out = r >= p - r ? q + 1 : q;
  return true;
}

// A signed exact value for the slow paths: sign and magnitude, zero never negative.
struct Exact {
  bool negative = false;
  WideUint mag;
};

Exact ToExact(Int128 v, int shift_digits) {
  Exact e{v < 0, WideUint(Magnitude(v))};
  e.mag = WideUint::Mul(e.mag, WideUint::Pow10(shift_digits));
  if (e.mag.IsZero()) e.negative = false;
  return e;
}

Exact AddExact(const Exact& a, const Exact& b) {
  Exact r;
  if (a.negative == b.negative) {
    r = a;
    r.mag.Add(b.mag);
  } else if (WideUint::Compare(a.mag, b.mag) >= 0) {
    r = a;
    r.mag.Sub(b.mag);
  } else {
    r = b;
    r.mag.Sub(a.mag);
  }
  if (r.mag.IsZero()) r.negative = false;
  return r;
}

// The Int128 for negative/mag, or false beyond 38 digits.
bool Narrow(bool negative, const WideUint& mag, Int128* out) {
  if (!mag.FitsUInt128() || mag.ToUInt128() > kMaxMagnitude) return false;
  *out = WithSign(negative, mag.ToUInt128());
  return true;
}

bool InRange(Int128 v) {
  return Magnitude(v) <= kMaxMagnitude;
}

std::string TypeName(int precision, int scale) {
  return "numeric(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
}

Status OutOfRangeFor(int precision, int scale, std::string_view shown) {
  return Status::OutOfRange("numeric value out of range for " + TypeName(precision, scale) + ": " +
                            std::string(shown));
}

Status Overflow(Int128 a, int sa, std::string_view op, Int128 b, int sb) {
  return Status::OutOfRange("numeric overflow: " + Numeric::ToString(a, sa) + " " +
                            std::string(op) + " " + Numeric::ToString(b, sb) +
                            " exceeds 38 digits");
}

std::string_view TrimAscii(std::string_view s) {
  auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && space(s.back()))
    s.remove_suffix(1);
  return s;
}

Result<Int128> AddOrSub(Int128 a, int sa, Int128 b, int sb, bool subtract) {
  CheckScale(sa);
  CheckScale(sb);
  int s = std::max(sa, sb);
  Int128 a2;
  Int128 b2;
  Int128 r;
  if (!__builtin_mul_overflow(a, static_cast<Int128>(kPow10[s - sa]), &a2) &&
      !__builtin_mul_overflow(b, static_cast<Int128>(kPow10[s - sb]), &b2) &&
      !(subtract ? __builtin_sub_overflow(a2, b2, &r) : __builtin_add_overflow(a2, b2, &r)) &&
      InRange(r)) {
    return r;
  }
  Exact eb = ToExact(b, s - sb);
  if (subtract && !eb.mag.IsZero()) eb.negative = !eb.negative;
  Exact sum = AddExact(ToExact(a, s - sa), eb);
  if (!Narrow(sum.negative, sum.mag, &r)) return Overflow(a, sa, subtract ? "-" : "+", b, sb);
  return r;
}

}  // namespace

Result<NumericType> NumericType::Make(int precision, int scale) {
  if (precision < 1 || precision > kNumericMaxPrecision || scale < 0 || scale > precision) {
    return Status::InvalidArgument("invalid type " + TypeName(precision, scale) +
                                   ": precision must be 1..38 and scale 0..precision");
  }
  return NumericType{precision, scale};
}

std::string NumericType::ToString() const {
  return TypeName(precision, scale);
}

NumericType NumericAddResultType(NumericType a, NumericType b) {
  int scale = std::max(a.scale, b.scale);
  int integer = std::max(a.precision - a.scale, b.precision - b.scale) + 1;
  return {std::min(kNumericMaxPrecision, integer + scale), scale};
}

NumericType NumericMulResultType(NumericType a, NumericType b) {
  int scale = a.scale + b.scale;
  int integer = (a.precision - a.scale) + (b.precision - b.scale);
  if (integer + scale <= kNumericMaxPrecision) return {std::max(1, integer + scale), scale};
  // The fraction is rounded, so a carry may add an integer digit.
  scale = std::max(kNumericMaxPrecision - (integer + 1), std::min(scale, 6));
  return {kNumericMaxPrecision, scale};
}

NumericType NumericDivResultType(NumericType a, NumericType b) {
  int scale = std::max({a.scale, b.scale, 6});
  int integer = (a.precision - a.scale) + b.scale + 1;
  return {std::min(kNumericMaxPrecision, integer + scale), scale};
}

Result<Int128> Numeric::Parse(std::string_view text, int precision, int scale) {
  STRATA_ASSERT(NumericType::Make(precision, scale).ok());
  std::string_view s = TrimAscii(text);
  auto invalid = [&](std::string why) {
    return Status::InvalidArgument("invalid input for " + TypeName(precision, scale) + ": \"" +
                                   std::string(text) + "\" (" + why + ")");
  };
  auto unexpected = [&](size_t i) {
    return invalid(std::string("unexpected '") + s[i] + "' at offset " + std::to_string(i));
  };
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  std::string digits;  // significant digits, leading zeros dropped
  int64_t fraction_digits = 0;
  bool any_digit = false;
  bool seen_point = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      any_digit = true;
      fraction_digits += seen_point ? 1 : 0;
      if (!digits.empty() || c != '0') digits.push_back(c);
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!any_digit) return i < s.size() ? unexpected(i) : invalid("no digits");
  int64_t exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exponent_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exponent_negative = s[i++] == '-';
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return invalid("exponent without digits");
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      exponent = std::min<int64_t>(exponent * 10 + (s[i] - '0'), 1000000000);  // saturate
    }
    if (exponent_negative) exponent = -exponent;
  }
  if (i != s.size()) return unexpected(i);
  if (digits.empty()) return Int128{0};

  // value × 10^scale = digits × 10^shift
  int64_t shift = exponent - fraction_digits + scale;
  int64_t n = static_cast<int64_t>(digits.size());
  int64_t keep = shift >= 0 ? n : n + shift;  // digits left of the rounding point
  if (keep + std::max<int64_t>(shift, 0) > precision) return OutOfRangeFor(precision, scale, s);
  UInt128 mag = 0;
  for (int64_t k = 0; k < keep; ++k) {
    mag = mag * 10 + static_cast<UInt128>(digits[k] - '0');
  }
  if (shift >= 0) {
    mag *= kPow10[shift];
  } else if (keep >= 0 && digits[keep] >= '5') {
    ++mag;  // half away from zero: the first dropped digit decides
  }
  if (mag >= kPow10[precision]) return OutOfRangeFor(precision, scale, s);
  return WithSign(negative, mag);
}

Result<Int128> Numeric::FromInt64(int64_t v, int precision, int scale) {
  STRATA_ASSERT(NumericType::Make(precision, scale).ok());
  UInt128 mag;
  if (__builtin_mul_overflow(Magnitude(v), kPow10[scale], &mag) || mag >= kPow10[precision]) {
    return OutOfRangeFor(precision, scale, std::to_string(v));
  }
  return WithSign(v < 0, mag);
}

Result<Int128> Numeric::FromDouble(double v, int precision, int scale) {
  STRATA_ASSERT(NumericType::Make(precision, scale).ok());
  if (std::isnan(v) || std::isinf(v)) {
    const char* name = std::isnan(v) ? "NaN" : (v < 0 ? "-Infinity" : "Infinity");
    return Status::InvalidArgument(std::string("cannot convert ") + name + " to " +
                                   TypeName(precision, scale));
  }
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  return Parse(buf, precision, scale);
}

double Numeric::ToDouble(Int128 value, int scale) {
  CheckScale(scale);
  UInt128 mag = Magnitude(value);
  static constexpr double kExact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  double d;
  if (scale == 0) {
    d = static_cast<double>(mag);  // one correctly rounded conversion
  } else if (mag < (UInt128{1} << 53) && scale <= 22) {
    d = static_cast<double>(mag) / kExact[scale];  // exact operands, one rounding
  } else {
    return std::strtod(ToString(value, scale).c_str(), nullptr);
  }
  return value < 0 ? -d : d;
}

std::string Numeric::ToString(Int128 value, int scale) {
  CheckScale(scale);
  UInt128 mag = Magnitude(value);
  char buf[48];
  char* end = buf + sizeof(buf);
  char* p = end;
  // Two divisions by 10^19 leave 64-bit chunks; each chunk but the last is 19 digits.
  constexpr uint64_t kChunk = 10000000000000000000ULL;
  for (int chunk = 0; chunk < 3; ++chunk) {
    uint64_t part = static_cast<uint64_t>(mag % kChunk);
    mag /= kChunk;
    for (int k = 0; k < 19 && (part != 0 || mag != 0); ++k) {
      *--p = static_cast<char>('0' + part % 10);
      part /= 10;
    }
    if (mag == 0) break;
  }
  std::string digits(p, end);
  if (static_cast<int>(digits.size()) <= scale) {
    digits.insert(0, scale + 1 - digits.size(), '0');
  }
  std::string out = value < 0 ? "-" : "";
  out.append(digits, 0, digits.size() - scale);
  if (scale > 0) {
    out.push_back('.');
    out.append(digits, digits.size() - scale, scale);
  }
  return out;
}

Result<Int128> Numeric::Rescale(Int128 value, int from_scale, int to_scale) {
  CheckScale(from_scale);
  CheckScale(to_scale);
  UInt128 mag;
  if (!RescaleMagnitude(Magnitude(value), from_scale, to_scale, &mag) || mag > kMaxMagnitude) {
    return Status::OutOfRange("numeric overflow: " + ToString(value, from_scale) + " at scale " +
                              std::to_string(to_scale) + " exceeds 38 digits");
  }
  return WithSign(value < 0, mag);
}

Status Numeric::CheckPrecision(Int128 value, int precision, int scale) {
  STRATA_ASSERT(NumericType::Make(precision, scale).ok());
  if (Magnitude(value) >= kPow10[precision]) {
    return OutOfRangeFor(precision, scale, ToString(value, scale));
  }
  return Status::OK();
}

Result<Int128> Numeric::Add(Int128 a, int sa, Int128 b, int sb) {
  return AddOrSub(a, sa, b, sb, false);
}

Result<Int128> Numeric::Sub(Int128 a, int sa, Int128 b, int sb) {
  return AddOrSub(a, sa, b, sb, true);
}

Result<Int128> Numeric::Mul(Int128 a, int sa, Int128 b, int sb, int result_scale) {
  CheckScale(sa);
  CheckScale(sb);
  CheckScale(result_scale);
  bool negative = (a < 0) != (b < 0);
  UInt128 product;
  UInt128 mag;
  if (!__builtin_mul_overflow(Magnitude(a), Magnitude(b), &product) &&
      RescaleMagnitude(product, sa + sb, result_scale, &mag) && mag <= kMaxMagnitude) {
    return WithSign(negative, mag);
  }
  WideUint wide = WideUint::Mul(WideUint(Magnitude(a)), WideUint(Magnitude(b)));
  int from = sa + sb;
  if (result_scale >= from) {
    wide = WideUint::Mul(wide, WideUint::Pow10(result_scale - from));
  } else {
    wide = WideUint::DivRoundHalfUp(wide, WideUint::Pow10(from - result_scale));
  }
  Int128 r;
  if (!Narrow(negative, wide, &r)) return Overflow(a, sa, "*", b, sb);
  return r;
}

Result<Int128> Numeric::Div(Int128 a, int sa, Int128 b, int sb, int result_scale) {
  CheckScale(sa);
  CheckScale(sb);
  CheckScale(result_scale);
  if (b == 0) {
    return Status::InvalidArgument("division by zero: " + ToString(a, sa) + " / " +
                                   ToString(b, sb));
  }
  bool negative = (a < 0) != (b < 0);
  // a/10^sa ÷ b/10^sb × 10^rs = (a × 10^(sb + rs - sa)) / b
  int e = sb + result_scale - sa;  // -38..76
  int ne = std::max(e, 0);
  int de = std::max(-e, 0);
  UInt128 n;
  UInt128 d;
  if (ne <= 38 && !__builtin_mul_overflow(Magnitude(a), kPow10[ne], &n) &&
      !__builtin_mul_overflow(Magnitude(b), kPow10[de], &d)) {
    UInt128 q = n / d;
    UInt128 r = n % d;
    if (r >= d - r) ++q;
    if (q <= kMaxMagnitude) return WithSign(negative, q);
    return Overflow(a, sa, "/", b, sb);
  }
  WideUint wn = WideUint::Mul(WideUint(Magnitude(a)), WideUint::Pow10(ne));
  WideUint wd = WideUint::Mul(WideUint(Magnitude(b)), WideUint::Pow10(de));
  Int128 r;
  if (!Narrow(negative, WideUint::DivRoundHalfUp(wn, wd), &r)) return Overflow(a, sa, "/", b, sb);
  return r;
}

Result<Int128> Numeric::Neg(Int128 value, int scale) {
  CheckScale(scale);
  if (!InRange(value)) {
    return Status::OutOfRange("numeric overflow: -(" + ToString(value, scale) +
                              ") exceeds 38 digits");
  }
  return -value;
}

Result<Int128> Numeric::Abs(Int128 value, int scale) {
  CheckScale(scale);
  if (!InRange(value)) {
    return Status::OutOfRange("numeric overflow: abs(" + ToString(value, scale) +
                              ") exceeds 38 digits");
  }
  return value < 0 ? -value : value;
}

Result<Int128> Numeric::Round(Int128 value, int scale, int digits) {
  CheckScale(scale);
  int64_t drop = static_cast<int64_t>(scale) - digits;
  UInt128 mag = Magnitude(value);
  if (drop > 38) {
    mag = 0;  // |value| < 2^128 < 10^39 / 2
  } else if (drop > 0) {
    UInt128 p = kPow10[drop];
    UInt128 q = mag / p;
    UInt128 r = mag % p;
    if (r >= p - r) ++q;
    if (__builtin_mul_overflow(q, p, &mag)) mag = kMaxMagnitude + 1;
  }
  if (mag > kMaxMagnitude) {
    return Status::OutOfRange("numeric overflow: round(" + ToString(value, scale) + ", " +
                              std::to_string(digits) + ") exceeds 38 digits");
  }
  return WithSign(value < 0, mag);
}

int Numeric::Compare(Int128 a, int sa, Int128 b, int sb) {
  CheckScale(sa);
  CheckScale(sb);
  int s = std::max(sa, sb);
  Int128 a2;
  Int128 b2;
  if (!__builtin_mul_overflow(a, static_cast<Int128>(kPow10[s - sa]), &a2) &&
      !__builtin_mul_overflow(b, static_cast<Int128>(kPow10[s - sb]), &b2)) {
    return a2 < b2 ? -1 : (a2 > b2 ? 1 : 0);
  }
  Exact ea = ToExact(a, s - sa);
  Exact eb = ToExact(b, s - sb);
  if (ea.negative != eb.negative) return ea.negative ? -1 : 1;
  int c = WideUint::Compare(ea.mag, eb.mag);
  return ea.negative ? -c : c;
}

void NumericSum::AddLimbs(const uint64_t (&addend)[4]) {
  uint64_t carry = 0;
  for (int i = 0; i < 4; ++i) {
    UInt128 s = static_cast<UInt128>(limb_[i]) + addend[i] + carry;
    limb_[i] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
}

void NumericSum::Add(Int128 value) {
  UInt128 bits = static_cast<UInt128>(value);
  uint64_t extension = value < 0 ? ~uint64_t{0} : 0;
  uint64_t addend[4] = {static_cast<uint64_t>(bits), static_cast<uint64_t>(bits >> 64), extension,
                        extension};
  AddLimbs(addend);
}

void NumericSum::AddWeighted(Int128 value, int64_t weight) {
  UInt128 mv = Magnitude(value);
  uint64_t mw = static_cast<uint64_t>(weight < 0 ? -static_cast<UInt128>(weight) : weight);
  UInt128 p0 = static_cast<UInt128>(static_cast<uint64_t>(mv)) * mw;
  UInt128 p1 = static_cast<UInt128>(static_cast<uint64_t>(mv >> 64)) * mw;
  UInt128 mid = (p0 >> 64) + static_cast<uint64_t>(p1);
  uint64_t addend[4] = {static_cast<uint64_t>(p0), static_cast<uint64_t>(mid),
                        static_cast<uint64_t>(p1 >> 64) + static_cast<uint64_t>(mid >> 64), 0};
  if ((value < 0) != (weight < 0)) {  // two's complement negation: invert and add one
    uint64_t carry = 1;
    for (uint64_t& l : addend) {
      l = ~l + carry;
      carry = (carry != 0 && l == 0) ? 1 : 0;
    }
  }
  AddLimbs(addend);
}

void NumericSum::Merge(const NumericSum& other) {
  AddLimbs(other.limb_);
}

bool NumericSum::IsZero() const {
  return (limb_[0] | limb_[1] | limb_[2] | limb_[3]) == 0;
}

Result<Int128> NumericSum::Finish(int scale) const {
  CheckScale(scale);
  bool negative = (limb_[3] >> 63) != 0;
  uint64_t mag[4];
  uint64_t carry = negative ? 1 : 0;
  for (int i = 0; i < 4; ++i) {
    mag[i] = negative ? ~limb_[i] + carry : limb_[i];
    if (negative) carry = (carry != 0 && mag[i] == 0) ? 1 : 0;
  }
  UInt128 low = (static_cast<UInt128>(mag[1]) << 64) | mag[0];
  if (mag[2] != 0 || mag[3] != 0 || low > kMaxMagnitude) {
    return Status::OutOfRange("numeric overflow: sum at scale " + std::to_string(scale) +
                              " exceeds 38 digits");
  }
  return WithSign(negative, low);
}

}  // namespace strata
