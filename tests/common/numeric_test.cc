#include "common/numeric.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace strata {
namespace {

constexpr Int128 kInt128Max = static_cast<Int128>(~static_cast<unsigned __int128>(0) >> 1);
constexpr Int128 kInt128Min = -kInt128Max - 1;

Int128 Pow10(int k) {
  Int128 r = 1;
  for (int i = 0; i < k; ++i)
    r *= 10;
  return r;
}
const Int128 kMax38 = Pow10(38) - 1;  // 38 nines

// Parses `text` as numeric(p, s) and prints it back, or "error".
std::string RoundTrip(const char* text, int p, int s) {
  Result<Int128> r = Numeric::Parse(text, p, s);
  return r.ok() ? Numeric::ToString(*r, s) : "error";
}

// ---------------------------------------------------------------------------------------
// Examples: PostgreSQL's documented behaviour for numeric(p, s).

TEST(NumericTest, ParseRoundsHalfAwayFromZero) {
  struct Case {
    const char* text;
    int p, s;
    const char* want;
  } cases[] = {
      {"12.5", 5, 2, "12.50"},
      {"999.994", 5, 2, "999.99"},
      {"999.995", 5, 2, "error"},
      {"-999.995", 5, 2, "error"},
      {"0.125", 5, 2, "0.13"},
      {"-0.125", 5, 2, "-0.13"},
      {"2.5", 3, 0, "3"},
      {"-2.5", 3, 0, "-3"},
      {"1.4999", 3, 0, "1"},
      {"-.5", 3, 0, "-1"},
      {"7.", 3, 0, "7"},
      {".05", 3, 2, "0.05"},
      {"-0.001", 5, 2, "0.00"},
      {"-0.004", 5, 2, "0.00"},
      {"-0.005", 5, 2, "-0.01"},
      {"1.5e3", 10, 2, "1500.00"},
      {"+2E-2", 5, 2, "0.02"},
      {"1.5E+3", 4, 0, "1500"},
      {"15e-1", 2, 0, "2"},
      {"  12.5\t", 5, 1, "12.5"},
      {"00012.500", 5, 2, "12.50"},
      {"1e-400", 38, 2, "0.00"},
      {"0e999999999999", 5, 2, "0.00"},
      {"1e400", 38, 0, "error"},
      {"99999", 5, 0, "99999"},
      {"100000", 5, 0, "error"},
      {"99999999999999999999999999999999999999", 38, 0, "99999999999999999999999999999999999999"},
      {"99999999999999999999999999999999999999.5", 38, 0, "error"},
      {"-99999999999999999999999999999999999999.4", 38, 0,
       "-99999999999999999999999999999999999999"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RoundTrip(c.text, c.p, c.s), c.want)
        << c.text << " as numeric(" << c.p << "," << c.s << ")";
  }
  std::string tiny = "0." + std::string(37, '0') + "15";  // 1.5e-38
  EXPECT_EQ(RoundTrip(tiny.c_str(), 38, 38), "0." + std::string(37, '0') + "2");
}

TEST(NumericTest, ParseErrorsNameTheTypeAndText) {
  Status st = Numeric::Parse("999.995", 5, 2).status();
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange);
  EXPECT_EQ(st.message(), "numeric value out of range for numeric(5,2): 999.995");
  for (const char* bad : {"", " ", "abc", "1.2.3", "1e", "1e+", "--1", "1 2", "NaN", "Infinity",
                          ".", "+", "-", "e5", "1,5", "0x10", "1.5f", "١"}) {
    Status s = Numeric::Parse(bad, 10, 2).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("numeric(10,2)"), std::string::npos) << s.message();
  }
  EXPECT_EQ(Numeric::Parse("1.2.3", 10, 2).status().message(),
            "invalid input for numeric(10,2): \"1.2.3\" (unexpected '.' at offset 3)");
}

TEST(NumericTest, ToStringAlwaysPrintsTheScale) {
  EXPECT_EQ(Numeric::ToString(1250, 2), "12.50");
  EXPECT_EQ(Numeric::ToString(-5, 2), "-0.05");
  EXPECT_EQ(Numeric::ToString(0, 2), "0.00");
  EXPECT_EQ(Numeric::ToString(0, 0), "0");
  EXPECT_EQ(Numeric::ToString(7, 0), "7");
  EXPECT_EQ(Numeric::ToString(-7, 0), "-7");
  EXPECT_EQ(Numeric::ToString(1, 38), "0.00000000000000000000000000000000000001");
  EXPECT_EQ(Numeric::ToString(kMax38, 0), "99999999999999999999999999999999999999");
  EXPECT_EQ(Numeric::ToString(-kMax38, 19), "-9999999999999999999.9999999999999999999");
  EXPECT_EQ(Numeric::ToString(Pow10(19), 0), "10000000000000000000");
  EXPECT_EQ(Numeric::ToString(kInt128Min, 0), "-170141183460469231731687303715884105728");
  EXPECT_EQ(Numeric::ToString(kInt128Max, 38), "1.70141183460469231731687303715884105727");
}

TEST(NumericTest, ArithmeticExamples) {
  EXPECT_EQ(*Numeric::Add(1, 1, 2, 1), 3);            // 0.1 + 0.2 = 0.3 exactly
  EXPECT_EQ(*Numeric::Add(150, 2, 5, 1), 200);        // 1.50 + 0.5 = 2.00
  EXPECT_EQ(*Numeric::Sub(1, 0, 1, 2), 99);           // 1 - 0.01 = 0.99
  EXPECT_EQ(*Numeric::Mul(15, 1, 15, 1, 2), 225);     // 1.5 × 1.5 = 2.25
  EXPECT_EQ(*Numeric::Mul(1234, 2, 1, 1, 2), 123);    // 12.34 × 0.1 = 1.234 -> 1.23
  EXPECT_EQ(*Numeric::Mul(-1235, 3, 1, 0, 2), -124);  // -1.235 -> -1.24
  EXPECT_EQ(*Numeric::Mul(2, 0, 3, 0, 4), 60000);     // a larger scale pads
  EXPECT_EQ(*Numeric::Div(1, 0, 3, 0, 6), 333333);
  EXPECT_EQ(*Numeric::Div(2, 0, 3, 0, 6), 666667);
  EXPECT_EQ(*Numeric::Div(-2, 0, 3, 0, 6), -666667);
  EXPECT_EQ(*Numeric::Div(1000, 2, 25, 1, 6), 4000000);  // 10.00 / 2.5 = 4.000000
  EXPECT_EQ(*Numeric::Div(5, 0, 2, 0, 0), 3);            // 2.5 -> 3
  EXPECT_EQ(*Numeric::Div(-5, 0, 2, 0, 0), -3);
  EXPECT_EQ(*Numeric::Neg(5, 2), -5);
  EXPECT_EQ(*Numeric::Abs(-5, 2), 5);
  EXPECT_EQ(Numeric::Compare(150, 2, 15, 1), 0);
  EXPECT_EQ(Numeric::Compare(-1, 0, 1, 38), -1);
  EXPECT_EQ(Numeric::Compare(kInt128Max, 0, kInt128Max, 38), 1);
  EXPECT_EQ(Numeric::Compare(kInt128Min, 38, kInt128Min, 0), 1);

  Status zero = Numeric::Div(1, 0, 0, 2, 6).status();
  EXPECT_EQ(zero.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(zero.message(), "division by zero: 1 / 0.00");
  Status over = Numeric::Add(kMax38, 0, 1, 0).status();
  EXPECT_EQ(over.code(), StatusCode::kOutOfRange);
  EXPECT_EQ(over.message(),
            "numeric overflow: 99999999999999999999999999999999999999 + 1 exceeds 38 digits");
  EXPECT_FALSE(Numeric::Sub(-kMax38, 0, 1, 0).ok());
  EXPECT_FALSE(Numeric::Mul(Pow10(19), 0, Pow10(19), 0, 0).ok());
  EXPECT_TRUE(Numeric::Mul(Pow10(19), 0, Pow10(18), 0, 0).ok());
  EXPECT_FALSE(Numeric::Neg(kInt128Min, 0).ok());
  EXPECT_FALSE(Numeric::Abs(kInt128Min, 0).ok());
  // A 39-digit intermediate that comes back within 38 digits is fine.
  EXPECT_EQ(*Numeric::Add(kInt128Max, 0, -kInt128Max + 5, 0), 5);
  EXPECT_EQ(*Numeric::Sub(Pow10(20), 0, 1, 18), kMax38);   // 10^20 - 10^-18
  EXPECT_FALSE(Numeric::Sub(kMax38, 0, kMax38, 38).ok());  // needs 76 digits at scale 38
}

TEST(NumericTest, RoundLikeSqlRound) {
  auto round = [](Int128 v, int scale, int digits) {
    Result<Int128> r = Numeric::Round(v, scale, digits);
    return r.ok() ? Numeric::ToString(*r, scale) : "error";
  };
  EXPECT_EQ(round(25, 1, 0), "3.0");  // round(2.5) = 3
  EXPECT_EQ(round(-25, 1, 0), "-3.0");
  EXPECT_EQ(round(-5, 1, 0), "-1.0");              // round(-0.5) = -1
  EXPECT_EQ(round(-4, 1, 0), "0.0");               // never -0.0
  EXPECT_EQ(round(424382, 4, 2), "42.4400");       // round(42.4382, 2)
  EXPECT_EQ(round(12345678, 4, -2), "1200.0000");  // round(1234.5678, -2)
  EXPECT_EQ(round(15, 0, -1), "20");
  EXPECT_EQ(round(5, 0, -1), "10");
  EXPECT_EQ(round(4, 0, -1), "0");
  EXPECT_EQ(round(5, 0, -2), "0");
  EXPECT_EQ(round(12345, 2, 5), "123.45");  // more digits than the scale: unchanged
  EXPECT_EQ(round(kMax38, 0, -38), "error");
  EXPECT_EQ(round(kMax38, 0, -39), "0");
  EXPECT_EQ(round(kInt128Min, 0, -2147483647 - 1), "0");
  EXPECT_EQ(round(kMax38, 0, 2147483647), "99999999999999999999999999999999999999");
  EXPECT_EQ(round(kInt128Max, 0, 5), "error");  // beyond 38 digits even unrounded
  EXPECT_EQ(*Numeric::Rescale(30, 1, 0), 3);
  EXPECT_EQ(*Numeric::Rescale(-125, 2, 1), -13);
  EXPECT_EQ(*Numeric::Rescale(3, 0, 37), 3 * Pow10(37));
  EXPECT_FALSE(Numeric::Rescale(10, 0, 37).ok());
}

TEST(NumericTest, Int64AndDoubleConversions) {
  EXPECT_EQ(Numeric::ToString(*Numeric::FromInt64(INT64_MIN, 38, 2), 2), "-9223372036854775808.00");
  EXPECT_EQ(Numeric::FromInt64(123, 3, 1).status().message(),
            "numeric value out of range for numeric(3,1): 123");
  EXPECT_FALSE(Numeric::FromInt64(INT64_MAX, 38, 20).ok());
  EXPECT_EQ(*Numeric::FromInt64(-7, 5, 0), -7);
  EXPECT_EQ(*Numeric::FromDouble(0.1 + 0.2, 10, 2), 30);
  EXPECT_EQ(*Numeric::FromDouble(2.675, 10, 2), 268);  // 15 significant digits first
  EXPECT_EQ(*Numeric::FromDouble(-2.5, 5, 0), -3);
  EXPECT_EQ(*Numeric::FromDouble(1e20, 38, 0), Pow10(20));
  EXPECT_EQ(*Numeric::FromDouble(-0.0, 5, 2), 0);
  EXPECT_EQ(*Numeric::FromDouble(1e-300, 5, 2), 0);
  EXPECT_EQ(Numeric::FromDouble(1e300, 38, 0).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(Numeric::FromDouble(std::nan(""), 5, 2).status().message(),
            "cannot convert NaN to numeric(5,2)");
  EXPECT_EQ(Numeric::FromDouble(-HUGE_VAL, 5, 2).status().message(),
            "cannot convert -Infinity to numeric(5,2)");
  EXPECT_EQ(Numeric::ToDouble(1250, 2), 12.5);
  EXPECT_EQ(Numeric::ToDouble(-5, 2), -0.05);
  EXPECT_EQ(Numeric::ToDouble(1, 38), 1e-38);
  EXPECT_EQ(Numeric::ToDouble(kMax38, 0), 1e38);
  EXPECT_EQ(Numeric::ToDouble(kMax38, 38), 1.0);
}

TEST(NumericTest, TypesAndPrecision) {
  EXPECT_TRUE(NumericType::Make(38, 38).ok());
  EXPECT_EQ(NumericType::Make(39, 2).status().message(),
            "invalid type numeric(39,2): precision must be 1..38 and scale 0..precision");
  EXPECT_FALSE(NumericType::Make(5, 6).ok());
  EXPECT_FALSE(NumericType::Make(0, 0).ok());
  EXPECT_EQ(NumericType::Make(5, 2)->ToString(), "numeric(5,2)");
  EXPECT_EQ(NumericAddResultType({5, 2}, {10, 4}), (NumericType{11, 4}));
  EXPECT_EQ(NumericAddResultType({38, 0}, {38, 10}), (NumericType{38, 10}));
  EXPECT_EQ(NumericMulResultType({5, 2}, {10, 4}), (NumericType{15, 6}));
  EXPECT_EQ(NumericMulResultType({38, 10}, {38, 10}), (NumericType{38, 6}));
  EXPECT_EQ(NumericMulResultType({20, 18}, {20, 18}), (NumericType{38, 33}));
  EXPECT_EQ(NumericMulResultType({38, 2}, {38, 2}), (NumericType{38, 4}));
  EXPECT_EQ(NumericDivResultType({10, 2}, {5, 2}), (NumericType{17, 6}));
  EXPECT_EQ(NumericDivResultType({38, 20}, {5, 0}), (NumericType{38, 20}));
  EXPECT_TRUE(Numeric::CheckPrecision(99999, 5, 2).ok());
  EXPECT_EQ(Numeric::CheckPrecision(-100000, 5, 2).message(),
            "numeric value out of range for numeric(5,2): -1000.00");
}

TEST(NumericTest, SumIsExactThroughLargeIntermediates) {
  NumericSum sum;
  EXPECT_TRUE(sum.IsZero());
  sum.Add(kMax38);
  sum.Add(kMax38);
  EXPECT_EQ(sum.Finish(2).status().message(), "numeric overflow: sum at scale 2 exceeds 38 digits");
  sum.AddWeighted(kMax38, -1);  // a retraction brings it back
  EXPECT_EQ(*sum.Finish(2), kMax38);
  sum.AddWeighted(kInt128Min, INT64_MIN);
  sum.AddWeighted(kInt128Min, INT64_MAX);
  sum.Add(kInt128Min);
  EXPECT_EQ(*sum.Finish(0), kMax38);
  NumericSum other;
  other.AddWeighted(-kMax38, 3);
  sum.Merge(other);
  sum.AddWeighted(kMax38, 2);
  EXPECT_TRUE(sum.IsZero());
  EXPECT_EQ(*sum.Finish(0), 0);
}

// ---------------------------------------------------------------------------------------
// Differential test against a naive decimal reference on digit strings. Nothing below
// uses the code under test except through the public functions being checked.

// A magnitude as decimal digits, most significant first, without leading zeros ("" is 0).
using Digits = std::string;

Digits Trim(Digits d) {
  size_t i = 0;
  while (i < d.size() && d[i] == '0')
    ++i;
  return d.substr(i);
}

int CmpMag(const Digits& a, const Digits& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

Digits AddMag(const Digits& a, const Digits& b) {
  Digits out;
  int carry = 0;
  for (size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
    int s = carry;
    if (i < a.size()) s += a[a.size() - 1 - i] - '0';
    if (i < b.size()) s += b[b.size() - 1 - i] - '0';
    out.insert(out.begin(), static_cast<char>('0' + s % 10));
    carry = s / 10;
  }
  return Trim(out);
}

Digits SubMag(const Digits& a, const Digits& b) {  // a >= b
  Digits out;
  int borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    int d = (a[a.size() - 1 - i] - '0') - borrow - (i < b.size() ? b[b.size() - 1 - i] - '0' : 0);
    borrow = d < 0;
    out.insert(out.begin(), static_cast<char>('0' + (d + 10) % 10));
  }
  return Trim(out);
}

Digits MulMag(const Digits& a, const Digits& b) {
  if (a.empty() || b.empty()) return "";
  std::vector<int> acc(a.size() + b.size(), 0);
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = 0; j < b.size(); ++j) {
      acc[i + j + 1] += (a[i] - '0') * (b[j] - '0');
    }
  }
  for (size_t k = acc.size() - 1; k > 0; --k) {
    acc[k - 1] += acc[k] / 10;
    acc[k] %= 10;
  }
  Digits out;
  for (int v : acc)
    out.push_back(static_cast<char>('0' + v));
  return Trim(out);
}

Digits Shift(const Digits& a, int zeros) {
  return a.empty() ? a : a + Digits(zeros, '0');
}

// Long division, one quotient digit at a time; *rem gets the remainder.
Digits DivMag(const Digits& n, const Digits& d, Digits* rem) {
  Digits q;
  Digits r;
  for (char c : n) {
    r = Trim(r + c);
    int digit = 0;
    while (CmpMag(r, d) >= 0) {
      r = SubMag(r, d);
      ++digit;
    }
    q.push_back(static_cast<char>('0' + digit));
  }
  *rem = r;
  return Trim(q);
}

// Drops the last `k` digits, rounding half away from zero (the first dropped digit decides).
Digits DropRound(const Digits& a, int k) {
  if (k <= 0) return Shift(a, -k);
  if (static_cast<int>(a.size()) < k) return "";
  Digits kept = Trim(a.substr(0, a.size() - k));
  return a[a.size() - k] >= '5' ? AddMag(kept, "1") : kept;
}

struct Ref {
  bool negative = false;
  Digits mag;
};

Ref MakeRef(bool negative, Digits mag) {
  mag = Trim(mag);
  return {negative && !mag.empty(), mag};
}

Ref FromInt(Int128 v) {
  unsigned __int128 m = v < 0 ? -static_cast<unsigned __int128>(v) : v;
  Digits d;
  while (m != 0) {
    d.insert(d.begin(), static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  }
  return MakeRef(v < 0, d);
}

// The Int128 of a reference value, or false beyond 38 digits.
bool ToInt(const Ref& r, Int128* out) {
  if (r.mag.size() > 38) return false;
  Int128 v = 0;
  for (char c : r.mag)
    v = v * 10 + (c - '0');
  *out = r.negative ? -v : v;
  return true;
}

Ref AddRef(const Ref& a, const Ref& b) {
  if (a.negative == b.negative) return MakeRef(a.negative, AddMag(a.mag, b.mag));
  if (CmpMag(a.mag, b.mag) >= 0) return MakeRef(a.negative, SubMag(a.mag, b.mag));
  return MakeRef(b.negative, SubMag(b.mag, a.mag));
}

std::string RefText(const Ref& r, int scale) {
  Digits d = r.mag;
  if (static_cast<int>(d.size()) <= scale) d.insert(0, scale + 1 - d.size(), '0');
  std::string out = r.negative ? "-" : "";
  out += d.substr(0, d.size() - scale);
  if (scale > 0) out += "." + d.substr(d.size() - scale);
  return out;
}

// The expected outcome: the value, or that it is out of range.
void ExpectSame(const Result<Int128>& got, const Ref& want, const std::string& what) {
  Int128 v;
  if (!ToInt(want, &v)) {
    EXPECT_FALSE(got.ok()) << what << " should overflow";
    if (!got.ok()) {
      EXPECT_EQ(got.status().code(), StatusCode::kOutOfRange) << what;
    }
    return;
  }
  ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
  EXPECT_TRUE(*got == v) << what << ": got " << Numeric::ToString(*got, 0) << " want "
                         << RefText(want, 0);
}

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  // Mostly valid 38-digit values of every length, and the edges around 10^38 and 2^127.
  Int128 Value() {
    switch (Uniform(0, 9)) {
      case 0: {
        const Int128 edges[] = {0,          1,          -1,
                                kMax38,     -kMax38,    kMax38 - 1,
                                kInt128Max, kInt128Min, kInt128Max - 1,
                                Pow10(38),  -Pow10(38), Pow10(19),
                                5,          -5};
        return edges[Uniform(0, 13)];
      }
      case 1:
        return (Uniform(0, 1) ? 1 : -1) * (kMax38 - Uniform(0, 1000));
      case 2:  // d × 10^k: divisors that make exact halves (ties)
        return (Uniform(0, 1) ? 1 : -1) * Uniform(1, 9) * Pow10(Uniform(0, 37));
      case 3: {  // digits, a 5, then zeros: products and quotients that end in a tie
        int digits = Uniform(0, 30);
        Int128 v = 0;
        for (int i = 0; i < digits; ++i)
          v = v * 10 + Uniform(0, 9);
        v = (v * 10 + 5) * Pow10(Uniform(0, 37 - digits));
        return Uniform(0, 1) ? -v : v;
      }
      default: {
        int digits = Uniform(0, 38);
        Int128 v = 0;
        for (int i = 0; i < digits; ++i)
          v = v * 10 + Uniform(0, 9);
        return Uniform(0, 1) ? -v : v;
      }
    }
  }
  int Scale() { return Uniform(0, 3) == 0 ? Uniform(0, 38) : Uniform(0, 6); }

 private:
  std::mt19937 rng_;
};

std::string Show(Int128 a, int sa) {
  return Numeric::ToString(a, 0) + "e-" + std::to_string(sa);
}

TEST(NumericDifferentialTest, AddSubCompare) {
  Generator g(1);
  for (int i = 0; i < 10000; ++i) {
    Int128 a = g.Value();
    Int128 b = g.Value();
    int sa = g.Scale();
    int sb = g.Scale();
    int s = std::max(sa, sb);
    Ref ra = FromInt(a);
    ra.mag = Shift(ra.mag, s - sa);
    Ref rb = FromInt(b);
    rb.mag = Shift(rb.mag, s - sb);
    std::string what = Show(a, sa) + " op " + Show(b, sb);
    ExpectSame(Numeric::Add(a, sa, b, sb), AddRef(ra, rb), what + " (+)");
    Ref neg_b = MakeRef(!rb.negative, rb.mag);
    ExpectSame(Numeric::Sub(a, sa, b, sb), AddRef(ra, neg_b), what + " (-)");
    Ref diff = AddRef(ra, neg_b);
    int want = diff.mag.empty() ? 0 : (diff.negative ? -1 : 1);
    EXPECT_EQ(Numeric::Compare(a, sa, b, sb), want) << what;
  }
}

TEST(NumericDifferentialTest, Mul) {
  Generator g(2);
  for (int i = 0; i < 10000; ++i) {
    Int128 a = g.Value();
    Int128 b = g.Value();
    int sa = g.Scale();
    int sb = g.Scale();
    int rs = g.Uniform(0, 3) == 0 ? g.Uniform(0, 38) : std::min(38, sa + sb);
    Ref ra = FromInt(a);
    Ref rb = FromInt(b);
    Ref want = MakeRef(ra.negative != rb.negative, DropRound(MulMag(ra.mag, rb.mag), sa + sb - rs));
    ExpectSame(Numeric::Mul(a, sa, b, sb, rs), want,
               Show(a, sa) + " * " + Show(b, sb) + " at scale " + std::to_string(rs));
  }
}

TEST(NumericDifferentialTest, Div) {
  Generator g(3);
  for (int i = 0; i < 8000; ++i) {
    Int128 a = g.Value();
    Int128 b = g.Value();
    int sa = g.Scale();
    int sb = g.Scale();
    int rs = g.Uniform(0, 3) == 0 ? g.Uniform(0, 38) : std::max({sa, sb, 6});
    std::string what = Show(a, sa) + " / " + Show(b, sb) + " at scale " + std::to_string(rs);
    Result<Int128> got = Numeric::Div(a, sa, b, sb, rs);
    if (b == 0) {
      EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << what;
      continue;
    }
    // a/10^sa ÷ b/10^sb × 10^rs = (a × 10^(sb + rs)) / (b × 10^sa), rounded half up.
    Ref ra = FromInt(a);
    Ref rb = FromInt(b);
    Digits n = Shift(ra.mag, sb + rs);
    Digits d = Shift(rb.mag, sa);
    Digits rem;
    Digits q = DivMag(n, d, &rem);
    if (CmpMag(AddMag(rem, rem), d) >= 0) q = AddMag(q, "1");
    ExpectSame(got, MakeRef(ra.negative != rb.negative, q), what);
  }
}

TEST(NumericDifferentialTest, RescaleRoundAndNegation) {
  Generator g(4);
  for (int i = 0; i < 10000; ++i) {
    Int128 v = g.Value();
    int from = g.Scale();
    int to = g.Scale();
    Ref r = FromInt(v);
    std::string what = Show(v, from);
    ExpectSame(Numeric::Rescale(v, from, to), MakeRef(r.negative, DropRound(r.mag, from - to)),
               what + " to scale " + std::to_string(to));
    int digits = g.Uniform(-45, 45);
    int drop = from - digits;
    Digits rounded = drop > 0 ? Shift(DropRound(r.mag, drop), drop) : r.mag;
    ExpectSame(Numeric::Round(v, from, digits), MakeRef(r.negative, rounded),
               "round(" + what + ", " + std::to_string(digits) + ")");
    ExpectSame(Numeric::Neg(v, from), MakeRef(!r.negative, r.mag), "-" + what);
    ExpectSame(Numeric::Abs(v, from), MakeRef(false, r.mag), "abs " + what);
  }
}

TEST(NumericDifferentialTest, ParseToStringToDouble) {
  Generator g(5);
  for (int i = 0; i < 10000; ++i) {
    // Random text: sign, up to 45 digits with a point somewhere, optional exponent.
    int n = g.Uniform(1, 45);
    Digits digits;
    for (int k = 0; k < n; ++k)
      digits.push_back(static_cast<char>('0' + g.Uniform(0, 9)));
    int point = g.Uniform(0, n);  // digits after the point
    int exponent = g.Uniform(0, 2) == 0 ? g.Uniform(-50, 50) : 0;
    bool negative = g.Uniform(0, 1) == 1;
    std::string text = negative ? "-" : (g.Uniform(0, 3) == 0 ? "+" : "");
    text += digits.substr(0, n - point);
    if (point > 0 || g.Uniform(0, 3) == 0) text += "." + digits.substr(n - point);
    if (exponent != 0) text += (g.Uniform(0, 1) ? "e" : "E") + std::to_string(exponent);
    int p = g.Uniform(1, 38);
    int s = g.Uniform(0, p);
    // value × 10^s = digits × 10^(exponent - point + s)
    Ref want = MakeRef(negative, DropRound(Trim(digits), point - exponent - s));
    Result<Int128> got = Numeric::Parse(text, p, s);
    std::string what = text + " as numeric(" + std::to_string(p) + "," + std::to_string(s) + ")";
    if (want.mag.size() > static_cast<size_t>(p)) {
      EXPECT_EQ(got.status().code(), StatusCode::kOutOfRange) << what;
      continue;
    }
    ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
    EXPECT_EQ(Numeric::ToString(*got, s), RefText(want, s)) << what;
    EXPECT_EQ(Numeric::ToDouble(*got, s), std::strtod(RefText(want, s).c_str(), nullptr)) << what;
  }
  for (int i = 0; i < 5000; ++i) {  // any Int128, any scale, prints and reads back
    Int128 v = g.Value();
    int s = g.Uniform(0, 38);
    std::string text = Numeric::ToString(v, s);
    EXPECT_EQ(text, RefText(FromInt(v), s));
    EXPECT_EQ(Numeric::ToDouble(v, s), std::strtod(text.c_str(), nullptr)) << text;
    Int128 unused;
    if (ToInt(FromInt(v), &unused)) {
      Result<Int128> back = Numeric::Parse(text, 38, s);
      ASSERT_TRUE(back.ok()) << text;
      EXPECT_TRUE(*back == v) << text;
    }
  }
}

TEST(NumericDifferentialTest, WeightedSums) {
  Generator g(6);
  for (int round = 0; round < 500; ++round) {
    NumericSum sum;
    Ref want;
    for (int i = 0; i < 20; ++i) {
      Int128 v = g.Value();
      int64_t w = g.Uniform(0, 4) == 0 ? g.Uniform(-1000000, 1000000) : (g.Uniform(0, 1) ? 1 : -1);
      Ref term = FromInt(v);
      term = MakeRef(term.negative != (w < 0), MulMag(term.mag, FromInt(w < 0 ? -w : w).mag));
      want = AddRef(want, term);
      if (w == 1) {
        sum.Add(v);
      } else {
        sum.AddWeighted(v, w);
      }
    }
    ExpectSame(sum.Finish(2), want, "sum " + std::to_string(round));
    EXPECT_EQ(sum.IsZero(), want.mag.empty());
  }
}

}  // namespace
}  // namespace strata
