#include "format/json_number.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace strata::format {
namespace {

TEST(JsonNumberTest, GrammarIsRfc8259) {
  const char* valid[] = {"0",   "-0",     "12",   "-12",       "0.5",
                         "1e3", "1E+3",   "1e-3", "-1.25e-10", "123456789012345678901234567890",
                         "1 ",  "2\n\t\r"};
  for (const char* t : valid) {
    JsonNumber n;
    EXPECT_TRUE(ScanJsonNumber(t, &n)) << t;
  }
  const char* invalid[] = {"",    "-",   "+1", ".5",  "01", "-01", "1.",       "1.e3", "1e",
                           "1e+", "0x1", "1x", "1 2", " 1", "NaN", "Infinity", "--1",  "1.2.3"};
  for (const char* t : invalid) {
    JsonNumber n;
    EXPECT_FALSE(ScanJsonNumber(t, &n)) << t;
  }
}

TEST(JsonNumberTest, Parts) {
  JsonNumber n;
  ASSERT_TRUE(ScanJsonNumber("-120.050 ", &n));
  EXPECT_EQ(n.text, "-120.050");
  EXPECT_TRUE(n.negative);
  EXPECT_TRUE(n.has_fraction);
  EXPECT_FALSE(n.has_exponent);
  EXPECT_EQ(n.digits, 6);
  EXPECT_EQ(n.fraction_digits, 3);
  EXPECT_EQ(n.mantissa, 120050u);
}

TEST(JsonNumberTest, Int64) {
  JsonNumber n;
  auto to_int = [&](const char* t) {
    EXPECT_TRUE(ScanJsonNumber(t, &n)) << t;
    return JsonNumberToInt64(n);
  };
  EXPECT_EQ(*to_int("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(*to_int("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(*to_int("-0"), 0);
  EXPECT_EQ(to_int("9223372036854775808").status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(to_int("-9223372036854775809").status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(to_int("18446744073709551616").status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(to_int("99999999999999999999").status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(to_int("1.0").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(to_int("1e0").status().code(), StatusCode::kInvalidArgument);
}

// The fast path and Numeric::Parse agree on every token, value or error.
TEST(JsonNumberTest, NumericAgreesWithNumericParse) {
  std::mt19937_64 rng(5);
  const NumericType types[] = {{18, 2}, {5, 0}, {38, 0}, {38, 10}, {20, 2}, {10, 10}, {1, 0}};
  for (int i = 0; i < 100000; ++i) {
    std::string t = rng() % 4 == 0 ? "-" : "";
    const int int_digits = 1 + static_cast<int>(rng() % 22);
    t += static_cast<char>('1' + rng() % 9);
    for (int k = 1; k < int_digits; ++k)
      t += static_cast<char>('0' + rng() % 10);
    if (rng() % 8 == 0) t = t.substr(0, t[0] == '-' ? 1 : 0) + "0";
    if (rng() % 2) {
      t += '.';
      for (int k = static_cast<int>(rng() % 14); k >= 0; --k)
        t += static_cast<char>('0' + rng() % 10);
    }
    if (rng() % 6 == 0) t += "e" + std::to_string(static_cast<int>(rng() % 60) - 30);
    JsonNumber n;
    ASSERT_TRUE(ScanJsonNumber(t, &n)) << t;
    for (NumericType type : types) {
      Result<Int128> fast = JsonNumberToNumeric(n, type);
      Result<Int128> slow = Numeric::Parse(t, type.precision, type.scale);
      ASSERT_EQ(fast.ok(), slow.ok()) << t << " " << type.ToString();
      if (fast.ok()) {
        ASSERT_TRUE(*fast == *slow) << t << " " << type.ToString();
      } else {
        ASSERT_EQ(fast.status().message(), slow.status().message());
      }
    }
  }
}

}  // namespace
}  // namespace strata::format
