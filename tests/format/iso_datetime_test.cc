#include "format/iso_datetime.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "common/datetime.h"

namespace strata::format {
namespace {

// The fast path either declines or returns exactly what the general parser returns.
void ExpectAgrees(const std::string& text) {
  Micros fast = 0;
  if (ParseIsoTimestampFast(text, &fast)) {
    Result<Micros> slow = ParseSqlTimestamp(text);
    ASSERT_TRUE(slow.ok()) << text << " accepted only by the fast path";
    ASSERT_EQ(fast, *slow) << text;
  }
  int32_t fast_date = 0;
  if (ParseIsoDateFast(text, &fast_date)) {
    Result<int32_t> slow = ParseDate(text);
    ASSERT_TRUE(slow.ok()) << text << " accepted only by the fast path";
    ASSERT_EQ(fast_date, *slow) << text;
  }
}

TEST(IsoDatetimeTest, AcceptsTheCanonicalForms) {
  const char* accepted[] = {
      "2026-11-17T10:00:00Z",      "2026-11-17 10:00:00",         "2026-11-17t10:00:00z",
      "2026-11-17T10:00:00.5Z",    "2026-11-17T10:00:00.123456",  "2026-11-17T12:00:00+02:00",
      "2026-11-17T02:00:00-08:00", "0001-01-01 00:00:00",         "9999-12-31T23:59:59.999999Z",
      "2024-02-29T00:00:00Z",      "1969-12-31T23:59:59.999999Z", "2026-11-17T10:00:00+15:59"};
  for (const char* text : accepted) {
    Micros t = 0;
    EXPECT_TRUE(ParseIsoTimestampFast(text, &t)) << text;
    ExpectAgrees(text);
  }
  int32_t d = 0;
  EXPECT_TRUE(ParseIsoDateFast("2026-11-17", &d));
  EXPECT_EQ(d, *ParseDate("2026-11-17"));
  EXPECT_TRUE(ParseIsoDateFast("1969-12-31", &d));
  EXPECT_EQ(d, -1);
}

TEST(IsoDatetimeTest, DeclinesEverythingElse) {
  const char* declined[] = {
      "2026-11-17",                    // the general parser's midnight
      "2026-11-17T10:00",              // no seconds
      "2026-11-17T10:00:60Z",          // leap second
      "2026-11-17T24:00:00",           // next midnight
      "2026-11-17T10:00:00.1234567Z",  // needs rounding
      "2026-11-17T10:00:00+02",        // short offset
      "2026-11-17T10:00:00+0200",      // offset without colon
      "2026-11-17T10:00:00 +02:00",    // space before the zone
      " 2026-11-17T10:00:00Z",         // whitespace
      "0044-03-15 12:00:00 BC",        // era
      "12026-11-17T10:00:00Z",         // 5-digit year
      "2026-1-17T10:00:00Z",           // 1-digit month
      "0000-01-01T00:00:00Z",          // year 0
      "2026-02-29T00:00:00Z",          // not a leap year
      "2026-13-01T00:00:00Z",
      "2026-11-31T00:00:00Z",
      "2026-11-17T10:00:00.Z",
      "2026-11-17T10:00:00+16:00",
      "2026-11-17T10:60:00Z",
      "2026-11-17X10:00:00Z",
  };
  for (const char* text : declined) {
    Micros t = 0;
    EXPECT_FALSE(ParseIsoTimestampFast(text, &t)) << text;
  }
  int32_t d = 0;
  EXPECT_FALSE(ParseIsoDateFast("2026-02-29", &d));
  EXPECT_FALSE(ParseIsoDateFast("2026-11-17 ", &d));
  EXPECT_FALSE(ParseIsoDateFast("2026-11-7", &d));
}

TEST(IsoDatetimeTest, RandomTextsAgreeWithTheGeneralParser) {
  std::mt19937_64 rng(11);
  const std::string kAlphabet = "0123456789-:T .Z+z";
  for (int i = 0; i < 200000; ++i) {
    // Mostly well-shaped texts with random digits, some mutated.
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d",
                  static_cast<int>(rng() % 10000), static_cast<int>(rng() % 14),
                  static_cast<int>(rng() % 33), static_cast<int>(rng() % 26),
                  static_cast<int>(rng() % 62), static_cast<int>(rng() % 62));
    std::string text = buf;
    if (rng() % 2) text += "." + std::to_string(rng() % 10000000).substr(0, 1 + rng() % 7);
    switch (rng() % 4) {
      case 0:
        text += "Z";
        break;
      case 1:
        std::snprintf(buf, sizeof(buf), "%c%02d:%02d", rng() % 2 ? '+' : '-',
                      static_cast<int>(rng() % 18), static_cast<int>(rng() % 62));
        text += buf;
        break;
      default:
        break;
    }
    for (int edits = static_cast<int>(rng() % 3); edits > 0; --edits) {
      text[rng() % text.size()] = kAlphabet[rng() % kAlphabet.size()];
    }
    ExpectAgrees(text);
    ExpectAgrees(text.substr(0, 10));
  }
}

}  // namespace
}  // namespace strata::format
