// SQL timestamp and date values: parsing, PostgreSQL-style output, date_trunc and extract.
//
// A timestamp is Micros (clock.h): int64 microseconds since 1970-01-01 00:00:00 UTC, with
// no time zone (SQL `timestamp`, always UTC in strata). A date is int32_t days since
// 1970-01-01. Both use the proleptic Gregorian calendar and astronomical years internally
// (year 0 is 1 BC); text shows BC years as PostgreSQL does ("0044-03-15 BC").
//
// Everything before 1970 works: conversions use floor division, so -1 is
// 1969-12-31 23:59:59.999999. The civil conversions are Howard Hinnant's days_from_civil /
// civil_from_days algorithms and never call the C library.
//
// Errors are Status values: InvalidArgument for malformed text or unknown units and
// fields (the message names the text or unit and what is wrong or allowed), OutOfRange
// when a result would not fit its type. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace strata {

inline constexpr Micros kMicrosPerSecond = 1000000;
inline constexpr Micros kMicrosPerDay = 86400 * kMicrosPerSecond;

struct CivilDate {
  int64_t year;  // astronomical: 0 is 1 BC, -1 is 2 BC
  int month;     // 1..12
  int day;       // 1..31
  friend bool operator==(const CivilDate&, const CivilDate&) = default;
};

// Days since 1970-01-01 of a valid proleptic Gregorian date (year within ±10^12; month
// 1..12, day 1..days in that month), and back (days within ±10^14). Every int64 timestamp
// and int32 date is far inside both ranges.
int64_t DaysFromCivil(int64_t year, int month, int day);
CivilDate CivilFromDays(int64_t days);
bool IsLeapYear(int64_t year);
int DaysInMonth(int64_t year, int month);

// The date of a timestamp (floor: 1969-12-31 23:00 is day -1) and midnight of a date.
int32_t TimestampToDate(Micros ts);
// OutOfRange when the date's midnight is beyond int64 microseconds (about ±292,000 years).
Result<Micros> DateToTimestamp(int32_t days);

// --- Text ---

// Accepts, with surrounding whitespace:
//   YYYY-MM-DD                                   (midnight)
//   YYYY-MM-DD{ |T}HH:MM[:SS[.f...]][zone][ BC|AD]
// Years have 4 to 6 digits (1 to 294246, or to 4713 with BC); month, day and hour 1 or 2
// digits; minutes and seconds 2. Seconds may be 60 (a leap second rolls into the next
// minute) and 24:00:00 is the next midnight, as in PostgreSQL. Fractions beyond
// microseconds are rounded half up. zone is Z, or +HH, +HHMM, +HH:MM (likewise with -),
// optionally after one space; the result is converted to UTC (10:00+02 is 08:00 UTC).
Result<Micros> ParseSqlTimestamp(std::string_view text);
// YYYY-MM-DD with an optional " BC"/" AD"; same ranges. As in PostgreSQL, the timestamp
// forms above are accepted too and give the date as written (time and zone ignored).
Result<int32_t> ParseDate(std::string_view text);
// "2026-11-22 14:05:00", "2026-11-22 14:05:00.5", "1969-12-31 23:59:59.999999",
// "0044-03-15 12:00:00 BC": the fraction is printed only when non-zero, without trailing
// zeros. Defined for every int64 (years beyond 9999 get more digits).
std::string FormatSqlTimestamp(Micros ts);
std::string FormatDate(int32_t days);  // "2026-11-22", "0001-12-31 BC"

// --- date_trunc ---

enum class DateUnit {
  kMicroseconds,
  kMilliseconds,
  kSecond,
  kMinute,
  kHour,
  kDay,
  kWeek,  // ISO week: starts on Monday
  kMonth,
  kQuarter,
  kYear,
  kDecade,
  kCentury,     // PostgreSQL: centuries start in year 1 (2001-01-01, 1901-01-01)
  kMillennium,  // likewise 2001-01-01, 1001-01-01
};

// Case-insensitive, singular or plural ("Hour", "hours"). InvalidArgument naming the
// unit and listing the valid ones.
Result<DateUnit> ParseDateUnit(std::string_view name);
const char* DateUnitName(DateUnit unit);  // "hour"
// The start of the unit containing ts (floor, also before 1970). OutOfRange only when
// that start is before the earliest int64 timestamp.
Result<Micros> DateTrunc(DateUnit unit, Micros ts);
Result<Micros> DateTrunc(std::string_view unit, Micros ts);
// For a date: units finer than a day leave it unchanged.
Result<int32_t> DateTruncDate(DateUnit unit, int32_t days);

// --- extract / date_part ---

enum class DateField {
  kYear,         // no year 0: 1 BC is -1
  kQuarter,      // 1..4
  kMonth,        // 1..12
  kWeek,         // ISO week number 1..53
  kDay,          // 1..31
  kDow,          // 0 = Sunday .. 6
  kIsoDow,       // 1 = Monday .. 7 = Sunday
  kDoy,          // 1..366
  kHour,         // 0..23
  kMinute,       // 0..59
  kSecond,       // seconds with fraction, scale 6: 28.500000
  kMillisecond,  // seconds × 1000 with fraction, scale 3: 28500.000
  kMicrosecond,  // seconds × 10^6, integer: 28500000
  kEpoch,        // seconds since 1970 with fraction, scale 6
  kIsoYear,      // the year of the ISO week
  kDecade,       // year / 10
  kCentury,      // 2000 is in the 20th, 2001 in the 21st
  kMillennium,
};

// Case-insensitive; "milliseconds"/"microseconds" also accepted, as in PostgreSQL.
// InvalidArgument naming the field and listing the valid ones.
Result<DateField> ParseDateField(std::string_view name);
const char* DateFieldName(DateField field);

// EXTRACT returns an exact number: Extract(field, ts) × 10^-ExtractScale(field). The scale
// is 6 for second and epoch, 3 for millisecond and 0 for all other fields, so a planner
// can type EXTRACT as bigint (scale 0) or numeric(p, scale), matching the scales that
// PostgreSQL 14+ prints (extract(second ...) = 28.500000); ExtractDouble is date_part.
int ExtractScale(DateField field);
int64_t Extract(DateField field, Micros ts);
double ExtractDouble(DateField field, Micros ts);
// EXTRACT from a date: integers (epoch is seconds of its midnight); InvalidArgument for
// time-of-day fields (hour .. microsecond), as PostgreSQL does.
Result<int64_t> ExtractDate(DateField field, int32_t days);

}  // namespace strata
