// Numeric: exact decimal fixed point, the representation of SQL numeric(p, s).
//
// A numeric(p, s) value is an Int128 holding value × 10^s; the scale s lives in the column
// type, not in the value, so a column of numeric(18,2) is a plain array of Int128 and
// 12.50 is stored as 1250. Every valid value has at most 38 decimal digits
// (|v| <= 10^38 - 1 < 2^127), and at most p digits when it belongs to numeric(p, s).
//
// Arithmetic is exact; a result that cannot be represented at its scale is rounded half
// away from zero (PostgreSQL's numeric rounding: 2.5 -> 3, -2.5 -> -3, 0.125 at scale 2 ->
// 0.13). No function has undefined behaviour for any Int128 input: operands may be any
// Int128 (even beyond 38 digits), intermediates are computed exactly in up to 512 bits, and
// a result beyond 38 digits is an error, never a wrapped value.
//
// Errors: malformed text and division by zero are InvalidArgument; a result out of range
// (beyond 38 digits, or beyond the precision asked for) is OutOfRange. Messages name the
// operation and the operands, e.g. "numeric value out of range for numeric(5,2): 999.995".
//
// Scales passed to these functions (scale, from_scale, result_scale, ...) come from column
// types and must be in [0, 38]; anything else is a bug in the caller and asserts. The
// rounding position of Round() is data and may be any int.
//
// All functions are pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace strata {

using Int128 = __int128;

inline constexpr int kNumericMaxPrecision = 38;

// The SQL type numeric(precision, scale): 1 <= precision <= 38, 0 <= scale <= precision.
struct NumericType {
  int precision = kNumericMaxPrecision;
  int scale = 0;

  // InvalidArgument naming the type when the bounds above are violated.
  static Result<NumericType> Make(int precision, int scale);
  std::string ToString() const;  // "numeric(5,2)"
  friend bool operator==(NumericType a, NumericType b) = default;
};

// Result types of arithmetic, decided once at plan time. The precision is an upper bound
// of the result's digits (including a possible carry from rounding), capped at 38; when the
// cap bites, the runtime functions below still check each value against 38 digits.
//   a ± b : scale max(s1, s2); integer digits max(p1 - s1, p2 - s2) + 1.
//   a × b : scale s1 + s2 when (p1 - s1) + (p2 - s2) + s1 + s2 <= 38; otherwise the
//           fraction is cut to what fits beside the integer digits, but never below
//           min(s1 + s2, 6) digits (SQL Server's rule) -- then a large integer part
//           overflows at run time (an error) instead of silently losing the fraction.
//   a ÷ b : scale max(s1, s2, 6) (simpler than PostgreSQL's select_div_scale, which aims
//           for 16 significant digits); integer digits (p1 - s1) + s2 + 1.
NumericType NumericAddResultType(NumericType a, NumericType b);
NumericType NumericMulResultType(NumericType a, NumericType b);
NumericType NumericDivResultType(NumericType a, NumericType b);

// Operations on raw Int128 values; each operand's scale is passed beside it.
class Numeric {
 public:
  Numeric() = delete;

  // --- Conversions ---

  // Parses [+-]digits[.digits][(e|E)[+-]digits] with surrounding ASCII whitespace, e.g.
  // "12.5", "-.5", "7.", "1.5e3", "+2E-2", and returns it at `scale`, rounded half away
  // from zero. OutOfRange when the rounded value has more than `precision` digits
  // (numeric(5,2) holds |x| < 1000: "999.995" overflows, "999.994" is 999.99).
  // InvalidArgument (naming the text and the problem) for anything else, including
  // "NaN" and "Infinity", which numeric(p, s) cannot hold.
  static Result<Int128> Parse(std::string_view text, int precision, int scale);
  // v × 10^scale, OutOfRange beyond `precision` digits.
  static Result<Int128> FromInt64(int64_t v, int precision, int scale);
  // Like PostgreSQL's float8 -> numeric cast: the double rounded to 15 significant digits
  // (so 0.1 + 0.2 becomes 0.3, and 2.675 becomes 2.675, not 2.67499999...), then to
  // `scale`, half away from zero. InvalidArgument for NaN and infinities.
  static Result<Int128> FromDouble(double v, int precision, int scale);
  // The double nearest to the exact decimal value (correctly rounded).
  static double ToDouble(Int128 value, int scale);
  // Plain decimal with exactly `scale` fractional digits and no exponent, as PostgreSQL
  // prints numeric(p, s): "12.50", "-0.05", "7" (scale 0). Zero is never "-0.00".
  static std::string ToString(Int128 value, int scale);

  // value at from_scale re-expressed at to_scale: exact when growing, rounded half away
  // from zero when shrinking. OutOfRange beyond 38 digits.
  static Result<Int128> Rescale(Int128 value, int from_scale, int to_scale);
  // OutOfRange when value has more than `precision` digits (the check of a cast or an
  // insert into a numeric(precision, scale) column; the value is already at `scale`).
  static Status CheckPrecision(Int128 value, int precision, int scale);

  // --- Arithmetic (every result checked against 38 digits) ---

  // Exact, at scale max(sa, sb).
  static Result<Int128> Add(Int128 a, int sa, Int128 b, int sb);
  static Result<Int128> Sub(Int128 a, int sa, Int128 b, int sb);
  // The exact product (scale sa + sb) rounded half away from zero to result_scale, which
  // is normally NumericMulResultType(...).scale; a larger result_scale pads with zeros.
  static Result<Int128> Mul(Int128 a, int sa, Int128 b, int sb, int result_scale);
  // The exact quotient a / b rounded half away from zero to result_scale (normally
  // NumericDivResultType(...).scale, i.e. max(sa, sb, 6)). InvalidArgument if b is zero.
  static Result<Int128> Div(Int128 a, int sa, Int128 b, int sb, int result_scale);
  static Result<Int128> Neg(Int128 value, int scale);
  static Result<Int128> Abs(Int128 value, int scale);
  // SQL round(x, digits): x rounded half away from zero to `digits` places after the
  // point (negative digits round left of it: round(1234.5, -2) = 1200). The result stays
  // at `scale` with the dropped digits zero; Rescale it to max(digits, 0) for PostgreSQL's
  // display scale (exact, as those digits are zero). OutOfRange if rounding up exceeds
  // 38 digits.
  static Result<Int128> Round(Int128 value, int scale, int digits);
  // -1, 0 or 1 comparing the exact values (1.50 at scale 2 equals 1.5 at scale 1).
  static int Compare(Int128 a, int sa, Int128 b, int sb);
};

// An exact running sum of values at one scale, with the changelog's signed weights, for
// SUM/AVG. The accumulator has 256 bits, so no intermediate overflows: any 2^64 additions
// of any Int128 × int64 products fit. Only Finish() checks the 38-digit limit, so a sum
// that passes through a large value and comes back (an insert later retracted) is exact.
//
// A plain Int128 accumulator is enough when values are small: numeric(18, s) values are
// below 10^18, so more than 10^20 of them sum without overflowing 128 bits (numeric(p<=18)
// columns may use that fast path; wider ones need NumericSum).
//
// Not thread-safe; merge per-thread sums with Merge().
class NumericSum {
 public:
  void Add(Int128 value);
  void AddWeighted(Int128 value, int64_t weight);
  void Merge(const NumericSum& other);
  bool IsZero() const;
  // The sum, at the scale of the values; OutOfRange (naming the scale) beyond 38 digits.
  Result<Int128> Finish(int scale) const;

  // The raw accumulator (256-bit two's complement, little-endian 64-bit limbs), so operator
  // state that holds a sum can be checkpointed exactly, even while the sum is beyond 38
  // digits; FromLimbs(s.limbs()) equals s.
  std::array<uint64_t, 4> limbs() const { return {limb_[0], limb_[1], limb_[2], limb_[3]}; }
  static NumericSum FromLimbs(const std::array<uint64_t, 4>& limbs) {
    NumericSum s;
    for (int i = 0; i < 4; ++i)
      s.limb_[i] = limbs[i];
    return s;
  }
  friend bool operator==(const NumericSum& a, const NumericSum& b) = default;

 private:
  void AddLimbs(const uint64_t (&addend)[4]);
  uint64_t limb_[4] = {};  // two's complement, little-endian
};

}  // namespace strata
