#include "common/datetime.h"

#include <gtest/gtest.h>

#include <ctime>
#include <random>
#include <string>

namespace strata {
namespace {

Micros Ts(std::string_view text) {
  Result<Micros> r = ParseSqlTimestamp(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : 0;
}

std::string Trunc(const char* unit, std::string_view ts) {
  Result<Micros> r = DateTrunc(std::string_view(unit), Ts(ts));
  return r.ok() ? FormatSqlTimestamp(*r) : r.status().ToString();
}

std::string Field(const char* name, std::string_view ts) {
  Result<DateField> f = ParseDateField(name);
  if (!f.ok()) return f.status().ToString();
  int64_t v = Extract(*f, Ts(ts));
  int scale = ExtractScale(*f);
  if (scale == 0) return std::to_string(v);
  std::string digits = std::to_string(v < 0 ? -v : v);
  if (static_cast<int>(digits.size()) <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
  return (v < 0 ? "-" : "") + digits.insert(digits.size() - scale, ".");
}

// ---------------------------------------------------------------------------------------
// Examples

TEST(DatetimeTest, ParsesAndFormatsTimestamps) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"2026-11-22 14:05:00", "2026-11-22 14:05:00"},
      {"2026-11-22T14:05", "2026-11-22 14:05:00"},
      {"2026-11-22", "2026-11-22 00:00:00"},
      {"  2026-1-2 3:04:05  ", "2026-01-02 03:04:05"},
      {"2026-11-22 14:05:00.5", "2026-11-22 14:05:00.5"},
      {"2026-11-22 14:05:00.500000", "2026-11-22 14:05:00.5"},
      {"2026-11-22 14:05:00.123", "2026-11-22 14:05:00.123"},
      {"2026-11-22 14:05:00.000001", "2026-11-22 14:05:00.000001"},
      {"2026-11-22 14:05:00.0000004", "2026-11-22 14:05:00"},  // rounded to microseconds
      {"2026-11-22 14:05:00.0000005", "2026-11-22 14:05:00.000001"},
      {"2026-12-31 23:59:59.9999995", "2027-01-01 00:00:00"},
      {"2026-11-22 14:05:00Z", "2026-11-22 14:05:00"},
      {"2026-11-22T14:05:00+02:00", "2026-11-22 12:05:00"},
      {"2026-11-22T14:05:00+02", "2026-11-22 12:05:00"},
      {"2026-11-22 14:05:00 +0200", "2026-11-22 12:05:00"},
      {"2026-11-22 01:05:00-05:30", "2026-11-22 06:35:00"},
      {"2026-01-01 00:30:00+01", "2025-12-31 23:30:00"},
      {"2026-12-31 23:59:60", "2027-01-01 00:00:00"},  // leap second
      {"2026-12-31 24:00:00", "2027-01-01 00:00:00"},
      {"1970-01-01 00:00:00", "1970-01-01 00:00:00"},
      {"1969-12-31 23:59:59.999999", "1969-12-31 23:59:59.999999"},
      {"1900-02-28 12:00", "1900-02-28 12:00:00"},
      {"2000-02-29", "2000-02-29 00:00:00"},
      {"2024-02-29 23:59:59", "2024-02-29 23:59:59"},
      {"0001-01-01 00:00:00", "0001-01-01 00:00:00"},
      {"0001-12-31 23:59:59 BC", "0001-12-31 23:59:59 BC"},
      {"0044-03-15 12:00:00 bc", "0044-03-15 12:00:00 BC"},
      {"2026-11-22 AD", "2026-11-22 00:00:00"},
      {"10000-01-01", "10000-01-01 00:00:00"},
      {"294246-12-31 23:59:59.999999", "294246-12-31 23:59:59.999999"},
  };
  for (const Case& c : cases) {
    Result<Micros> r = ParseSqlTimestamp(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().ToString();
    EXPECT_EQ(FormatSqlTimestamp(*r), c.want) << c.text;
    EXPECT_EQ(*ParseSqlTimestamp(FormatSqlTimestamp(*r)), *r) << c.want;  // round trip
  }
  EXPECT_EQ(Ts("1970-01-01"), 0);
  EXPECT_EQ(Ts("1969-12-31 23:59:59.999999"), -1);
  EXPECT_EQ(Ts("2026-11-22 14:05:00Z"), 1795356300LL * kMicrosPerSecond);
  EXPECT_EQ(FormatSqlTimestamp(-1), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(FormatSqlTimestamp(INT64_MAX), "294247-01-10 04:00:54.775807");
  EXPECT_EQ(FormatSqlTimestamp(INT64_MIN), "290309-12-21 19:59:05.224192 BC");
}

TEST(DatetimeTest, RejectsMalformedTimestampsNamingTheProblem) {
  struct Case {
    const char* text;
    const char* why;
  } cases[] = {
      {"", "expected a year at the end"},
      {"2026", "expected '-' after the year at the end"},
      {"26-01-01", "the year must have 4 to 6 digits"},
      {"2026-13-01", "month 13 out of range"},
      {"2026-00-10", "month 0 out of range"},
      {"2023-02-29", "day 29 out of range for the month"},
      {"1900-02-29", "day 29 out of range for the month"},
      {"2026-04-31", "day 31 out of range for the month"},
      {"2026-01-01 25:00", "hour 25 out of range"},
      {"2026-01-01 24:00:01", "hour 24 out of range"},
      {"2026-01-01 10:60", "minute 60 out of range"},
      {"2026-01-01 10:00:61", "second 61 out of range"},
      {"2026-01-01 10", "expected ':' after the hour at the end"},
      {"2026-01-01 10:5", "expected two digits of minutes"},
      {"2026-01-01 10:05:00.", "expected digits after '.' at the end"},
      {"2026-01-01 10:05:00+", "expected the hours of a time zone offset at the end"},
      {"2026-01-01 10:05:00+16", "time zone offset out of range"},
      {"2026-01-01 10:05:00 UTC", "expected BC or AD at offset 20, found 'U'"},
      {"2026-01-01x", "expected the end at offset 10, found 'x'"},
      {"0000-01-01", "year 0 out of range"},
      {"4714-01-01 BC", "year 4714 BC out of range"},
      {"294247-01-01", "year 294247 out of range"},
      {"1234567-01-01", "the year must have 4 to 6 digits"},
  };
  for (const Case& c : cases) {
    Status st = ParseSqlTimestamp(c.text).status();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(st.message().rfind(std::string("invalid timestamp \"") + c.text + "\": ", 0), 0u)
        << st.message();
    EXPECT_NE(st.message().find(c.why), std::string::npos) << c.text << " -> " << st.message();
  }
}

TEST(DatetimeTest, Dates) {
  EXPECT_EQ(*ParseDate("1970-01-01"), 0);
  EXPECT_EQ(*ParseDate("1969-12-31"), -1);
  EXPECT_EQ(*ParseDate("2000-03-01") - *ParseDate("2000-02-28"), 2);
  EXPECT_EQ(*ParseDate("1900-03-01") - *ParseDate("1900-02-28"), 1);
  EXPECT_EQ(FormatDate(*ParseDate("2026-11-22")), "2026-11-22");
  EXPECT_EQ(FormatDate(*ParseDate("0001-12-31 BC")), "0001-12-31 BC");
  EXPECT_EQ(FormatDate(*ParseDate("0001-01-01")), "0001-01-01");
  EXPECT_EQ(*ParseDate("0001-01-01") - *ParseDate("0001-12-31 BC"), 1);
  // A time and a zone may follow, as in PostgreSQL: the date as written.
  EXPECT_EQ(FormatDate(*ParseDate("2026-11-22 10:00")), "2026-11-22");
  EXPECT_EQ(FormatDate(*ParseDate("2026-11-22T23:30:00.5-05:00")), "2026-11-22");
  EXPECT_EQ(ParseDate("2026-11-22 25:00").status().message(),
            "invalid date \"2026-11-22 25:00\": hour 25 out of range");
  EXPECT_EQ(FormatDate(INT32_MAX), "5881580-07-11");
  EXPECT_EQ(FormatDate(INT32_MIN), "5877642-06-23 BC");
  EXPECT_EQ(TimestampToDate(-1), -1);
  EXPECT_EQ(TimestampToDate(Ts("2026-11-22 23:59:59.999999")), *ParseDate("2026-11-22"));
  EXPECT_EQ(*DateToTimestamp(*ParseDate("2026-11-22")), Ts("2026-11-22"));
  EXPECT_EQ(DateToTimestamp(INT32_MAX).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(CivilFromDays(-719468), (CivilDate{0, 3, 1}));
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_TRUE(IsLeapYear(0));
  EXPECT_TRUE(IsLeapYear(-4));
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
}

TEST(DatetimeTest, DateTruncExamples) {
  const char* ts = "2026-11-22 14:05:06.789123";  // a Sunday
  EXPECT_EQ(Trunc("microseconds", ts), "2026-11-22 14:05:06.789123");
  EXPECT_EQ(Trunc("milliseconds", ts), "2026-11-22 14:05:06.789");
  EXPECT_EQ(Trunc("second", ts), "2026-11-22 14:05:06");
  EXPECT_EQ(Trunc("minute", ts), "2026-11-22 14:05:00");
  EXPECT_EQ(Trunc("HOURS", ts), "2026-11-22 14:00:00");
  EXPECT_EQ(Trunc("day", ts), "2026-11-22 00:00:00");
  EXPECT_EQ(Trunc("week", ts), "2026-11-16 00:00:00");  // Monday
  EXPECT_EQ(Trunc("week", "2026-11-16 00:00:00"), "2026-11-16 00:00:00");
  EXPECT_EQ(Trunc("week", "2027-01-01"), "2026-12-28 00:00:00");
  EXPECT_EQ(Trunc("month", ts), "2026-11-01 00:00:00");
  EXPECT_EQ(Trunc("quarter", ts), "2026-10-01 00:00:00");
  EXPECT_EQ(Trunc("year", ts), "2026-01-01 00:00:00");
  EXPECT_EQ(Trunc("decade", ts), "2020-01-01 00:00:00");
  EXPECT_EQ(Trunc("century", ts), "2001-01-01 00:00:00");
  EXPECT_EQ(Trunc("century", "2000-12-31"), "1901-01-01 00:00:00");
  EXPECT_EQ(Trunc("millennium", ts), "2001-01-01 00:00:00");
  EXPECT_EQ(Trunc("millennia", "2000-06-01"), "1001-01-01 00:00:00");
  EXPECT_EQ(Trunc("century", "0050-01-01 BC"), "0100-01-01 00:00:00 BC");
  // Before 1970 truncation floors.
  EXPECT_EQ(Trunc("hour", "1969-12-31 23:59:59.999999"), "1969-12-31 23:00:00");
  EXPECT_EQ(Trunc("milliseconds", "1969-12-31 23:59:59.999999"), "1969-12-31 23:59:59.999");
  EXPECT_EQ(Trunc("day", "1969-12-31 23:59:59.999999"), "1969-12-31 00:00:00");
  EXPECT_EQ(Trunc("year", "1969-12-31 23:59:59.999999"), "1969-01-01 00:00:00");
  EXPECT_EQ(Trunc("week", "1970-01-01"), "1969-12-29 00:00:00");

  Status unknown = DateTrunc("fortnight", 0).status();
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.message(),
            "unknown date_trunc unit \"fortnight\"; valid units: microseconds, milliseconds, "
            "second, minute, hour, day, week, month, quarter, year, decade, century, "
            "millennium");
  EXPECT_FALSE(DateTrunc("", 0).ok());
  EXPECT_FALSE(DateTrunc("s", 0).ok());
  EXPECT_EQ(DateTrunc(DateUnit::kDay, INT64_MIN).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(DateTrunc(DateUnit::kMilliseconds, INT64_MIN).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(*DateTrunc(DateUnit::kYear, INT64_MAX), DaysFromCivil(294247, 1, 1) * kMicrosPerDay);

  int32_t d = *ParseDate("2026-11-22");
  EXPECT_EQ(FormatDate(*DateTruncDate(DateUnit::kHour, d)), "2026-11-22");
  EXPECT_EQ(FormatDate(*DateTruncDate(DateUnit::kWeek, d)), "2026-11-16");
  EXPECT_EQ(FormatDate(*DateTruncDate(DateUnit::kQuarter, d)), "2026-10-01");
  EXPECT_EQ(DateTruncDate(DateUnit::kMillennium, INT32_MIN).status().code(),
            StatusCode::kOutOfRange);
}

TEST(DatetimeTest, ExtractExamplesFromThePostgresManual) {
  EXPECT_EQ(Field("century", "2000-12-16 12:21:13"), "20");
  EXPECT_EQ(Field("century", "2001-02-16 20:38:40"), "21");
  EXPECT_EQ(Field("century", "0001-01-01"), "1");
  EXPECT_EQ(Field("century", "0001-12-31 BC"), "-1");
  EXPECT_EQ(Field("day", "2001-02-16 20:38:40"), "16");
  EXPECT_EQ(Field("decade", "2001-02-16 20:38:40"), "200");
  EXPECT_EQ(Field("dow", "2001-02-16 20:38:40"), "5");
  EXPECT_EQ(Field("doy", "2001-02-16 20:38:40"), "47");
  EXPECT_EQ(Field("epoch", "2001-02-16 20:38:40.12"), "982355920.120000");
  EXPECT_EQ(Field("epoch", "1969-12-31 23:59:59.5"), "-0.500000");
  EXPECT_EQ(Field("hour", "2001-02-16 20:38:40"), "20");
  EXPECT_EQ(Field("isodow", "2001-02-18 20:38:40"), "7");
  EXPECT_EQ(Field("dow", "2001-02-18 20:38:40"), "0");
  EXPECT_EQ(Field("isoyear", "2006-01-01"), "2005");
  EXPECT_EQ(Field("isoyear", "2006-01-02"), "2006");
  EXPECT_EQ(Field("week", "2006-01-01"), "52");
  EXPECT_EQ(Field("week", "2001-02-16 20:38:40"), "7");
  EXPECT_EQ(Field("week", "2026-12-31"), "53");
  EXPECT_EQ(Field("microseconds", "2001-02-16 17:12:28.5"), "28500000");
  EXPECT_EQ(Field("milliseconds", "2001-02-16 17:12:28.5"), "28500.000");
  EXPECT_EQ(Field("second", "2001-02-16 17:12:28.5"), "28.500000");
  EXPECT_EQ(Field("second", "2001-02-16 20:38:40"), "40.000000");
  EXPECT_EQ(Field("millennium", "2001-02-16 20:38:40"), "3");
  EXPECT_EQ(Field("millennium", "2000-12-31"), "2");
  EXPECT_EQ(Field("minute", "2001-02-16 20:38:40"), "38");
  EXPECT_EQ(Field("month", "2001-02-16 20:38:40"), "2");
  EXPECT_EQ(Field("quarter", "2001-02-16 20:38:40"), "1");
  EXPECT_EQ(Field("quarter", "2001-12-16"), "4");
  EXPECT_EQ(Field("year", "2001-02-16 20:38:40"), "2001");
  EXPECT_EQ(Field("year", "0001-06-01 BC"), "-1");
  EXPECT_EQ(Field("Year", "1969-12-31 23:59:59.999999"), "1969");
  EXPECT_EQ(Field("second", "1969-12-31 23:59:59.999999"), "59.999999");
  EXPECT_EQ(Field("doy", "2000-12-31"), "366");
  EXPECT_EQ(ExtractDouble(DateField::kEpoch, Ts("2001-02-16 20:38:40.12")), 982355920.12);
  EXPECT_EQ(ExtractDouble(DateField::kSecond, Ts("2001-02-16 17:12:28.5")), 28.5);

  EXPECT_EQ(Field("fortnight", "2001-02-16"),
            "Invalid argument: unknown extract field \"fortnight\"; valid fields: year, quarter, "
            "month, week, day, dow, isodow, doy, hour, minute, second, millisecond, microsecond, "
            "epoch, isoyear, decade, century, millennium");
  int32_t d = *ParseDate("2006-01-01");
  EXPECT_EQ(*ExtractDate(DateField::kIsoYear, d), 2005);
  EXPECT_EQ(*ExtractDate(DateField::kEpoch, d), 1136073600);
  EXPECT_EQ(*ExtractDate(DateField::kDow, d), 0);
  EXPECT_EQ(ExtractDate(DateField::kHour, d).status().message(),
            "extract field \"hour\" is not supported for type date");
}

// ---------------------------------------------------------------------------------------
// Differential tests against the C library (timegm, gmtime_r, strftime) as an
// independent implementation of the proleptic Gregorian calendar.

struct tm Gm(int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm out;
  EXPECT_NE(gmtime_r(&t, &out), nullptr);
  return out;
}

int64_t TimeGm(struct tm t) {
  return static_cast<int64_t>(timegm(&t));
}

int64_t FloorDivision(int64_t a, int64_t b) {
  return a / b - (a % b < 0 ? 1 : 0);
}

class Random {
 public:
  explicit Random(uint32_t seed) : rng_(seed) {}
  int64_t Between(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  // A timestamp in [year lo, year hi), sometimes exactly on a boundary.
  Micros Timestamp(int lo, int hi) {
    Micros t = Between(DaysFromYear(lo) * kMicrosPerDay, DaysFromYear(hi) * kMicrosPerDay - 1);
    switch (Between(0, 5)) {
      case 0:
        return t - t % kMicrosPerSecond;
      case 1:
        return t - t % kMicrosPerDay;
      default:
        return t;
    }
  }

 private:
  static int64_t DaysFromYear(int year) {
    struct tm t = {};
    t.tm_year = year - 1900;
    t.tm_mday = 1;
    return TimeGm(t) / 86400;
  }
  std::mt19937_64 rng_;
};

// Mostly 1700..2300, a quarter 1..9999 AD, an eighth 4712 BC..1 BC.
Micros AnyTimestamp(Random& rnd, int i) {
  if (i % 8 == 0) return rnd.Timestamp(-4711, 1);
  if (i % 4 == 0) return rnd.Timestamp(1, 9999);
  return rnd.Timestamp(1700, 2300);
}

std::string Strftime(const char* format, const struct tm& t) {
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), format, &t);
  return std::string(buf, n);
}

TEST(DatetimeDifferentialTest, CivilConversionsMatchTheCLibrary) {
  Random rnd(7);
  for (int i = 0; i < 20000; ++i) {
    Micros ts = AnyTimestamp(rnd, i);
    int64_t seconds = FloorDivision(ts, kMicrosPerSecond);
    int64_t micros = ts - seconds * kMicrosPerSecond;
    struct tm t = Gm(seconds);
    int64_t days = FloorDivision(ts, kMicrosPerDay);
    CivilDate c = CivilFromDays(days);
    ASSERT_EQ(c, (CivilDate{t.tm_year + 1900, t.tm_mon + 1, t.tm_mday})) << ts;
    ASSERT_EQ(DaysFromCivil(c.year, c.month, c.day), days);
    ASSERT_EQ(TimestampToDate(ts), days);

    // Formatting and parsing, with and without a zone offset.
    int year = t.tm_year + 1900;
    bool bc = year <= 0;
    std::string era = bc ? " BC" : "";
    char want[64];
    std::snprintf(want, sizeof(want), "%04d-%02d-%02d %02d:%02d:%02d", bc ? 1 - year : year,
                  t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
    std::string text = want;
    if (micros != 0) {
      char frac[16];
      std::snprintf(frac, sizeof(frac), ".%06lld", static_cast<long long>(micros));
      std::string f = frac;
      while (f.back() == '0')
        f.pop_back();
      text += f;
    }
    ASSERT_EQ(FormatSqlTimestamp(ts), text + era);
    ASSERT_EQ(*ParseSqlTimestamp(text + era), ts) << text;
    int offset_minutes = static_cast<int>(rnd.Between(-15 * 60, 15 * 60));
    struct tm local = Gm(seconds + offset_minutes * 60);
    int local_year = local.tm_year + 1900;
    char zoned[80];
    std::snprintf(zoned, sizeof(zoned), "%04d-%02d-%02dT%02d:%02d:%02d.%06lld%c%02d:%02d%s",
                  local_year <= 0 ? 1 - local_year : local_year, local.tm_mon + 1, local.tm_mday,
                  local.tm_hour, local.tm_min, local.tm_sec, static_cast<long long>(micros),
                  offset_minutes < 0 ? '-' : '+', std::abs(offset_minutes) / 60,
                  std::abs(offset_minutes) % 60, local_year <= 0 ? " BC" : "");
    ASSERT_EQ(*ParseSqlTimestamp(zoned), ts) << zoned;
    ASSERT_EQ(FormatDate(static_cast<int32_t>(days)), text.substr(0, 10) + era);
    ASSERT_EQ(*ParseDate(text.substr(0, 10) + era), days);
  }
}

TEST(DatetimeDifferentialTest, ExtractMatchesTheCLibrary) {
  Random rnd(8);
  for (int i = 0; i < 20000; ++i) {
    Micros ts = AnyTimestamp(rnd, i);
    int64_t seconds = FloorDivision(ts, kMicrosPerSecond);
    int64_t micros = ts - seconds * kMicrosPerSecond;
    struct tm t = Gm(seconds);
    std::string at = FormatSqlTimestamp(ts);
    int64_t year = t.tm_year + 1900;  // astronomical, like ours
    ASSERT_EQ(Extract(DateField::kYear, ts), year > 0 ? year : year - 1) << at;
    ASSERT_EQ(Extract(DateField::kMonth, ts), t.tm_mon + 1) << at;
    ASSERT_EQ(Extract(DateField::kQuarter, ts), t.tm_mon / 3 + 1) << at;
    ASSERT_EQ(Extract(DateField::kDay, ts), t.tm_mday) << at;
    ASSERT_EQ(Extract(DateField::kHour, ts), t.tm_hour) << at;
    ASSERT_EQ(Extract(DateField::kMinute, ts), t.tm_min) << at;
    ASSERT_EQ(Extract(DateField::kSecond, ts), t.tm_sec * kMicrosPerSecond + micros) << at;
    ASSERT_EQ(Extract(DateField::kMicrosecond, ts), t.tm_sec * kMicrosPerSecond + micros);
    ASSERT_EQ(Extract(DateField::kDow, ts), t.tm_wday) << at;
    ASSERT_EQ(Extract(DateField::kDoy, ts), t.tm_yday + 1) << at;
    ASSERT_EQ(Extract(DateField::kEpoch, ts), ts);
    // ISO 8601 week fields: strftime's %G (ISO year), %V (week), %u (Monday = 1).
    int64_t iso_year = std::stoll(Strftime("%G", t));
    ASSERT_EQ(Extract(DateField::kIsoYear, ts), iso_year > 0 ? iso_year : iso_year - 1) << at;
    ASSERT_EQ(Extract(DateField::kWeek, ts), std::stoi(Strftime("%V", t))) << at;
    ASSERT_EQ(Extract(DateField::kIsoDow, ts), std::stoi(Strftime("%u", t))) << at;
    int32_t days = TimestampToDate(ts);
    ASSERT_EQ(*ExtractDate(DateField::kDoy, days), t.tm_yday + 1);
    ASSERT_EQ(*ExtractDate(DateField::kEpoch, days), FloorDivision(seconds, 86400) * 86400);
    if (year <= 0) continue;  // PostgreSQL's BC decades and centuries: see the examples
    ASSERT_EQ(Extract(DateField::kDecade, ts), year / 10);
    ASSERT_EQ(Extract(DateField::kCentury, ts), (year + 99) / 100);
    ASSERT_EQ(Extract(DateField::kMillennium, ts), (year + 999) / 1000);
  }
}

TEST(DatetimeDifferentialTest, DateTruncMatchesTheCLibrary) {
  Random rnd(9);
  for (int i = 0; i < 20000; ++i) {
    Micros ts = AnyTimestamp(rnd, i);
    int64_t seconds = FloorDivision(ts, kMicrosPerSecond);
    int64_t micros = ts - seconds * kMicrosPerSecond;
    struct tm t = Gm(seconds);
    std::string at = FormatSqlTimestamp(ts);
    auto expect = [&](DateUnit unit, struct tm want) {
      want.tm_isdst = 0;
      ASSERT_EQ(*DateTrunc(unit, ts), TimeGm(want) * kMicrosPerSecond)
          << DateUnitName(unit) << " of " << at;
      if (unit >= DateUnit::kDay) {
        ASSERT_EQ(*DateTruncDate(unit, TimestampToDate(ts)), TimeGm(want) / 86400)
            << DateUnitName(unit) << " of " << at;
      }
    };
    ASSERT_EQ(*DateTrunc(DateUnit::kMicroseconds, ts), ts);
    ASSERT_EQ(*DateTrunc(DateUnit::kMilliseconds, ts),
              seconds * kMicrosPerSecond + micros / 1000 * 1000);
    struct tm w = t;
    expect(DateUnit::kSecond, w);
    w.tm_sec = 0;
    expect(DateUnit::kMinute, w);
    w.tm_min = 0;
    expect(DateUnit::kHour, w);
    w.tm_hour = 0;
    expect(DateUnit::kDay, w);
    struct tm monday = w;
    monday.tm_mday -= (t.tm_wday + 6) % 7;  // timegm normalizes across months and years
    expect(DateUnit::kWeek, monday);
    w.tm_mday = 1;
    expect(DateUnit::kMonth, w);
    w.tm_mon = t.tm_mon / 3 * 3;
    expect(DateUnit::kQuarter, w);
    w.tm_mon = 0;
    expect(DateUnit::kYear, w);
    int year = t.tm_year + 1900;
    if (year <= 0) continue;  // PostgreSQL's BC decades and centuries: see the examples
    w.tm_year = year / 10 * 10 - 1900;
    expect(DateUnit::kDecade, w);
    w.tm_year = (year - 1) / 100 * 100 + 1 - 1900;
    expect(DateUnit::kCentury, w);
    w.tm_year = (year - 1) / 1000 * 1000 + 1 - 1900;
    expect(DateUnit::kMillennium, w);
  }
}

}  // namespace
}  // namespace strata
