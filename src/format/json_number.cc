#include "format/json_number.h"

#include <array>
#include <string>

namespace strata::format {
namespace {

using UInt128 = unsigned __int128;

constexpr std::array<UInt128, 39> kPow10 = [] {
  std::array<UInt128, 39> p{};
  p[0] = 1;
  for (size_t i = 1; i < p.size(); ++i)
    p[i] = p[i - 1] * 10;
  return p;
}();

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

bool ScanJsonNumber(std::string_view token, JsonNumber* out) {
  while (!token.empty() && IsJsonSpace(token.back()))
    token.remove_suffix(1);
  *out = JsonNumber{};
  out->text = token;
  const char* p = token.data();
  const char* end = p + token.size();
  if (p < end && *p == '-') {
    out->negative = true;
    ++p;
  }
  auto digit = [&](bool fraction) {
    if (out->digits < 19) out->mantissa = out->mantissa * 10 + static_cast<uint64_t>(*p - '0');
    ++out->digits;
    out->fraction_digits += fraction ? 1 : 0;
    ++p;
  };
  if (p == end || !IsDigit(*p)) return false;
  if (*p == '0') {
    digit(false);
    if (p < end && IsDigit(*p)) return false;  // leading zero
  } else {
    while (p < end && IsDigit(*p))
      digit(false);
  }
  if (p < end && *p == '.') {
    ++p;
    out->has_fraction = true;
    if (p == end || !IsDigit(*p)) return false;
    while (p < end && IsDigit(*p))
      digit(true);
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    out->has_exponent = true;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p == end || !IsDigit(*p)) return false;
    while (p < end && IsDigit(*p))
      ++p;
  }
  return p == end;
}

Result<int64_t> JsonNumberToInt64(const JsonNumber& number) {
  if (!number.integral()) {
    return Status::InvalidArgument("not an integer: " + std::string(number.text));
  }
  // Without leading zeros, 20 or more digits are at least 10^19 > 2^63.
  const uint64_t limit = number.negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (number.digits > 19 || number.mantissa > limit) {
    return Status::OutOfRange("bigint out of range: " + std::string(number.text));
  }
  // Negating in unsigned arithmetic is exact for -2^63 as well.
  return static_cast<int64_t>(number.negative ? 0 - number.mantissa : number.mantissa);
}

Result<Int128> JsonNumberToNumeric(const JsonNumber& number, NumericType type) {
  // Fast path: a plain decimal of at most 19 digits that needs no rounding at this scale.
  // The scaled value has at most digits + (scale - fraction_digits) <= 38 digits, so it fits.
  if (!number.has_exponent && number.digits <= 19 && number.fraction_digits <= type.scale &&
      number.digits + type.scale - number.fraction_digits <= kNumericMaxPrecision) {
    UInt128 mag = UInt128{number.mantissa} * kPow10[type.scale - number.fraction_digits];
    if (mag < kPow10[type.precision]) {
      return number.negative ? -static_cast<Int128>(mag) : static_cast<Int128>(mag);
    }
  }
  // Rounding, exponents, long mantissas and every error: the general parser, whose grammar
  // is a superset of JSON's.
  return Numeric::Parse(number.text, type.precision, type.scale);
}

}  // namespace strata::format
