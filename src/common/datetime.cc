#include "common/datetime.h"

#include <cstdio>

namespace strata {

namespace {

constexpr Micros kMicrosPerMinute = 60 * kMicrosPerSecond;
constexpr Micros kMicrosPerHour = 60 * kMicrosPerMinute;
constexpr int64_t kMaxYearAd = 294246;  // the last whole year of int64 microseconds
constexpr int64_t kMaxYearBc = 4713;    // PostgreSQL's earliest

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b < 0) ? q - 1 : q;
}

int64_t FloorMod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r < 0 ? r + b : r;
}

Status DaysToMicros(int64_t days, Micros* out) {
  if (__builtin_mul_overflow(days, kMicrosPerDay, out)) {
    return Status::OutOfRange("timestamp out of range: day " + std::to_string(days) +
                              " since 1970-01-01");
  }
  return Status::OK();
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = Lower(c);
  }
  return out;
}

std::string_view TrimAscii(std::string_view s) {
  auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && space(s.back()))
    s.remove_suffix(1);
  return s;
}

// A cursor over the text being parsed.
struct Scanner {
  std::string_view s;
  size_t pos = 0;

  bool AtEnd() const { return pos >= s.size(); }
  char Peek(size_t ahead = 0) const { return pos + ahead < s.size() ? s[pos + ahead] : '\0'; }
  bool Consume(char c) {
    if (AtEnd() || s[pos] != c) return false;
    ++pos;
    return true;
  }
  // Reads up to `max` digits into *value; returns how many were read.
  int Digits(int max, int64_t* value) {
    int n = 0;
    *value = 0;
    while (n < max && !AtEnd() && IsDigit(s[pos])) {
      *value = *value * 10 + (s[pos++] - '0');
      ++n;
    }
    return n;
  }
};

// The fields of a date or timestamp literal before validation.
struct Parsed {
  int64_t year = 0;
  int64_t month = 0;
  int64_t day = 0;
  int64_t hour = 0;
  int64_t minute = 0;
  int64_t second = 0;
  int64_t micros = 0;          // may be 1000000 after rounding
  int64_t offset_seconds = 0;  // east of UTC
  bool bc = false;
};

// Parses the text into *p; returns an empty string or what is wrong.
std::string Scan(std::string_view s, Parsed* p) {
  Scanner sc{s};
  auto unexpected = [&](const char* expected) {
    if (sc.AtEnd()) return std::string("expected ") + expected + " at the end";
    return std::string("expected ") + expected + " at offset " + std::to_string(sc.pos) +
           ", found '" + sc.Peek() + "'";
  };
  int n = sc.Digits(7, &p->year);
  if (n < 4 || n > 6) return n == 0 ? unexpected("a year") : "the year must have 4 to 6 digits";
  if (!sc.Consume('-')) return unexpected("'-' after the year");
  if (sc.Digits(2, &p->month) == 0) return unexpected("a month");
  if (!sc.Consume('-')) return unexpected("'-' after the month");
  if (sc.Digits(2, &p->day) == 0) return unexpected("a day");
  char sep = sc.Peek();
  if ((sep == ' ' || sep == 'T' || sep == 't') && IsDigit(sc.Peek(1))) {
    ++sc.pos;
    sc.Digits(2, &p->hour);
    if (!sc.Consume(':')) return unexpected("':' after the hour");
    if (sc.Digits(2, &p->minute) != 2) return unexpected("two digits of minutes");
    if (sc.Consume(':')) {
      if (sc.Digits(2, &p->second) != 2) return unexpected("two digits of seconds");
      if (sc.Consume('.')) {
        int64_t digit;
        int count = 0;
        while (sc.Digits(1, &digit) == 1) {
          if (count < 6) p->micros = p->micros * 10 + digit;
          if (count == 6 && digit >= 5) p->micros += 1;  // rounded half up
          ++count;
        }
        if (count == 0) return unexpected("digits after '.'");
        for (int i = count; i < 6; ++i) {
          p->micros *= 10;
        }
      }
    }
    size_t before_zone = sc.pos;
    sc.Consume(' ');
    char z = sc.Peek();
    if (z == 'Z' || z == 'z') {
      ++sc.pos;
    } else if (z == '+' || z == '-') {
      ++sc.pos;
      int64_t hh = 0;
      int64_t mm = 0;
      int hn = sc.Digits(2, &hh);
      if (hn == 0) return unexpected("the hours of a time zone offset");
      bool colon = sc.Consume(':');
      if ((colon || (hn == 2 && IsDigit(sc.Peek()))) && sc.Digits(2, &mm) != 2) {
        return unexpected("two digits of offset minutes");
      }
      if (hh > 15 || mm > 59) return "time zone offset out of range";
      p->offset_seconds = (z == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    } else {
      sc.pos = before_zone;
    }
  }
  if (sc.Consume(' ')) {
    std::string era = ToLower(s.substr(sc.pos));
    if (era != "bc" && era != "ad") return unexpected("BC or AD");
    p->bc = era == "bc";
    sc.pos = s.size();
  }
  if (!sc.AtEnd()) return unexpected("the end");
  return "";
}

// Checks the ranges of the fields; returns an empty string or what is wrong.
std::string Validate(const Parsed& p) {
  if (p.year < 1 || p.year > (p.bc ? kMaxYearBc : kMaxYearAd)) {
    return "year " + std::to_string(p.year) + (p.bc ? " BC" : "") + " out of range";
  }
  int64_t year = p.bc ? 1 - p.year : p.year;
  if (p.month < 1 || p.month > 12) return "month " + std::to_string(p.month) + " out of range";
  if (p.day < 1 || p.day > DaysInMonth(year, static_cast<int>(p.month))) {
    return "day " + std::to_string(p.day) + " out of range for the month";
  }
  bool midnight_24 = p.hour == 24 && p.minute == 0 && p.second == 0 && p.micros == 0;
  if (p.hour > 23 && !midnight_24) return "hour " + std::to_string(p.hour) + " out of range";
  if (p.minute > 59) return "minute " + std::to_string(p.minute) + " out of range";
  if (p.second > 60) return "second " + std::to_string(p.second) + " out of range";
  return "";
}

// `kind` names the type in errors ("date", "timestamp").
Result<Parsed> ParseFields(std::string_view text, const char* kind) {
  Parsed p;
  std::string why = Scan(TrimAscii(text), &p);
  if (why.empty()) why = Validate(p);
  if (!why.empty()) {
    return Status::InvalidArgument(std::string("invalid ") + kind + " \"" + std::string(text) +
                                   "\": " + why);
  }
  return p;
}

int64_t AstronomicalYear(const Parsed& p) {
  return p.bc ? 1 - p.year : p.year;
}

// PostgreSQL's first year of the decade, century or millennium holding `year`.
int64_t TruncYear(DateUnit unit, int64_t y) {
  switch (unit) {
    case DateUnit::kMillennium:
      return y > 0 ? ((y + 999) / 1000) * 1000 - 999 : -((999 - (y - 1)) / 1000) * 1000 + 1;
    case DateUnit::kCentury:
      return y > 0 ? ((y + 99) / 100) * 100 - 99 : -((99 - (y - 1)) / 100) * 100 + 1;
    case DateUnit::kDecade:
      return y > 0 ? (y / 10) * 10 : -((8 - (y - 1)) / 10) * 10;
    default:
      return y;
  }
}

// The first day of the unit (day or coarser) holding `days`.
int64_t TruncDays(DateUnit unit, int64_t days) {
  if (unit == DateUnit::kDay) return days;
  if (unit == DateUnit::kWeek) return days - FloorMod(days + 3, 7);  // 1970-01-01: Thursday
  CivilDate c = CivilFromDays(days);
  switch (unit) {
    case DateUnit::kMonth:
      return DaysFromCivil(c.year, c.month, 1);
    case DateUnit::kQuarter:
      return DaysFromCivil(c.year, 3 * ((c.month - 1) / 3) + 1, 1);
    default:
      return DaysFromCivil(TruncYear(unit, c.year), 1, 1);
  }
}

int64_t DayOfWeek(int64_t days) {
  return FloorMod(days + 4, 7);
}  // 0 = Sunday

// The Thursday of the ISO week holding `days` decides its ISO year and number.
void IsoWeek(int64_t days, int64_t* iso_year, int64_t* week) {
  int64_t monday_based = FloorMod(days + 3, 7);
  int64_t thursday = days - monday_based + 3;
  *iso_year = CivilFromDays(thursday).year;
  *week = (thursday - DaysFromCivil(*iso_year, 1, 1)) / 7 + 1;
}

// Fields that depend only on the day.
int64_t DateFieldOf(DateField field, int64_t days) {
  CivilDate c = CivilFromDays(days);
  int64_t y = c.year;
  int64_t iso_year;
  int64_t week;
  switch (field) {
    case DateField::kYear:
      return y > 0 ? y : y - 1;
    case DateField::kQuarter:
      return (c.month - 1) / 3 + 1;
    case DateField::kMonth:
      return c.month;
    case DateField::kWeek:
      IsoWeek(days, &iso_year, &week);
      return week;
    case DateField::kDay:
      return c.day;
    case DateField::kDow:
      return DayOfWeek(days);
    case DateField::kIsoDow:
      return DayOfWeek(days) == 0 ? 7 : DayOfWeek(days);
    case DateField::kDoy:
      return days - DaysFromCivil(y, 1, 1) + 1;
    case DateField::kIsoYear:
      IsoWeek(days, &iso_year, &week);
      return iso_year > 0 ? iso_year : iso_year - 1;
    case DateField::kDecade:
      return y >= 0 ? y / 10 : -((8 - (y - 1)) / 10);
    case DateField::kCentury:
      return y > 0 ? (y + 99) / 100 : -((99 - (y - 1)) / 100);
    case DateField::kMillennium:
      return y > 0 ? (y + 999) / 1000 : -((999 - (y - 1)) / 1000);
    default:
      STRATA_ASSERT(false && "not a date field");
      return 0;
  }
}

bool IsTimeOfDayField(DateField field) {
  return field == DateField::kHour || field == DateField::kMinute || field == DateField::kSecond ||
         field == DateField::kMillisecond || field == DateField::kMicrosecond;
}

struct UnitName {
  const char* name;
  DateUnit unit;
};
constexpr UnitName kUnitNames[] = {
    {"microseconds", DateUnit::kMicroseconds},
    {"milliseconds", DateUnit::kMilliseconds},
    {"second", DateUnit::kSecond},
    {"minute", DateUnit::kMinute},
    {"hour", DateUnit::kHour},
    {"day", DateUnit::kDay},
    {"week", DateUnit::kWeek},
    {"month", DateUnit::kMonth},
    {"quarter", DateUnit::kQuarter},
    {"year", DateUnit::kYear},
    {"decade", DateUnit::kDecade},
    {"century", DateUnit::kCentury},
    {"millennium", DateUnit::kMillennium},
};

struct FieldName {
  const char* name;
  DateField field;
};
constexpr FieldName kFieldNames[] = {
    {"year", DateField::kYear},
    {"quarter", DateField::kQuarter},
    {"month", DateField::kMonth},
    {"week", DateField::kWeek},
    {"day", DateField::kDay},
    {"dow", DateField::kDow},
    {"isodow", DateField::kIsoDow},
    {"doy", DateField::kDoy},
    {"hour", DateField::kHour},
    {"minute", DateField::kMinute},
    {"second", DateField::kSecond},
    {"millisecond", DateField::kMillisecond},
    {"microsecond", DateField::kMicrosecond},
    {"epoch", DateField::kEpoch},
    {"isoyear", DateField::kIsoYear},
    {"decade", DateField::kDecade},
    {"century", DateField::kCentury},
    {"millennium", DateField::kMillennium},
};

// Matches `name` (any case; a plural "s", "centuries" or "millennia" is accepted) in the
// table, whose entries may themselves be plural.
template <typename Entry, size_t N>
const Entry* Lookup(const Entry (&table)[N], std::string_view name) {
  std::string lower = ToLower(name);
  if (lower == "centuries") lower = "century";
  if (lower == "millennia" || lower == "millenniums") lower = "millennium";
  for (int attempt = 0; attempt < 3; ++attempt) {
    for (const Entry& e : table) {
      if (lower == e.name) return &e;
    }
    if (attempt == 0) {  // singular given for a plural entry ("millisecond")
      lower.push_back('s');
    } else if (attempt == 1) {  // plural given for a singular entry ("hours")
      lower.resize(lower.size() - 1);
      if (lower.empty() || lower.back() != 's') return nullptr;
      lower.pop_back();
    }
  }
  return nullptr;
}

template <typename Entry, size_t N>
std::string NameList(const Entry (&table)[N]) {
  std::string out;
  for (const Entry& e : table) {
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

}  // namespace

int64_t DaysFromCivil(int64_t year, int month, int day) {
  int64_t y = year - (month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;                                                  // [0, 399]
  int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                          // [0, 146096]
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t days) {
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;                                       // [0, 146096]
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool IsLeapYear(int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  STRATA_ASSERT(month >= 1 && month <= 12);
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

int32_t TimestampToDate(Micros ts) {
  return static_cast<int32_t>(FloorDiv(ts, kMicrosPerDay));
}

Result<Micros> DateToTimestamp(int32_t days) {
  Micros out;
  RETURN_IF_ERROR(DaysToMicros(days, &out));
  return out;
}

Result<Micros> ParseSqlTimestamp(std::string_view text) {
  ASSIGN_OR_RETURN(Parsed p, ParseFields(text, "timestamp"));
  int64_t days =
      DaysFromCivil(AstronomicalYear(p), static_cast<int>(p.month), static_cast<int>(p.day));
  int64_t seconds = (p.hour * 60 + p.minute) * 60 + p.second - p.offset_seconds;
  Micros day_start;
  Micros result;
  if (!DaysToMicros(days, &day_start).ok() ||
      __builtin_add_overflow(day_start, seconds * kMicrosPerSecond + p.micros, &result)) {
    return Status::OutOfRange("timestamp out of range: \"" + std::string(text) + "\"");
  }
  return result;
}

Result<int32_t> ParseDate(std::string_view text) {
  // A time of day (and a zone) may follow, as PostgreSQL's date input allows: the date is
  // taken as written.
  ASSIGN_OR_RETURN(Parsed p, ParseFields(text, "date"));
  return static_cast<int32_t>(
      DaysFromCivil(AstronomicalYear(p), static_cast<int>(p.month), static_cast<int>(p.day)));
}

std::string FormatDate(int32_t days) {
  CivilDate c = CivilFromDays(days);
  bool bc = c.year <= 0;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02d%s",
                static_cast<long long>(bc ? 1 - c.year : c.year), c.month, c.day, bc ? " BC" : "");
  return buf;
}

std::string FormatSqlTimestamp(Micros ts) {
  int64_t days = FloorDiv(ts, kMicrosPerDay);
  int64_t tod = FloorMod(ts, kMicrosPerDay);
  CivilDate c = CivilFromDays(days);
  bool bc = c.year <= 0;
  int64_t seconds = tod / kMicrosPerSecond;
  int64_t fraction = tod % kMicrosPerSecond;
  char frac[16] = "";
  if (fraction != 0) {
    int digits = 6;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --digits;
    }
    std::snprintf(frac, sizeof(frac), ".%0*lld", digits, static_cast<long long>(fraction));
  }
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02d %02lld:%02lld:%02lld%s%s",
                static_cast<long long>(bc ? 1 - c.year : c.year), c.month, c.day,
                static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60),
                static_cast<long long>(seconds % 60), frac, bc ? " BC" : "");
  return buf;
}

Result<DateUnit> ParseDateUnit(std::string_view name) {
  if (const UnitName* e = Lookup(kUnitNames, name)) return e->unit;
  return Status::InvalidArgument("unknown date_trunc unit \"" + std::string(name) +
                                 "\"; valid units: " + NameList(kUnitNames));
}

const char* DateUnitName(DateUnit unit) {
  for (const UnitName& e : kUnitNames) {
    if (e.unit == unit) return e.name;
  }
  return "?";
}

Result<Micros> DateTrunc(DateUnit unit, Micros ts) {
  Micros size = 0;
  switch (unit) {
    case DateUnit::kMicroseconds:
      return ts;
    case DateUnit::kMilliseconds:
      size = 1000;
      break;
    case DateUnit::kSecond:
      size = kMicrosPerSecond;
      break;
    case DateUnit::kMinute:
      size = kMicrosPerMinute;
      break;
    case DateUnit::kHour:
      size = kMicrosPerHour;
      break;
    default:
      size = kMicrosPerDay;
      break;
  }
  int64_t count = FloorDiv(ts, size);
  if (size == kMicrosPerDay) count = TruncDays(unit, count);
  Micros out;
  if (__builtin_mul_overflow(count, size, &out)) {
    return Status::OutOfRange(std::string("date_trunc('") + DateUnitName(unit) + "', " +
                              FormatSqlTimestamp(ts) + ") is before the earliest timestamp");
  }
  return out;
}

Result<Micros> DateTrunc(std::string_view unit, Micros ts) {
  ASSIGN_OR_RETURN(DateUnit u, ParseDateUnit(unit));
  return DateTrunc(u, ts);
}

Result<int32_t> DateTruncDate(DateUnit unit, int32_t days) {
  if (unit < DateUnit::kDay) return days;
  int64_t out = TruncDays(unit, days);
  if (out < INT32_MIN) {
    return Status::OutOfRange(std::string("date_trunc('") + DateUnitName(unit) + "', " +
                              FormatDate(days) + ") is before the earliest date");
  }
  return static_cast<int32_t>(out);
}

Result<DateField> ParseDateField(std::string_view name) {
  if (const FieldName* e = Lookup(kFieldNames, name)) return e->field;
  return Status::InvalidArgument("unknown extract field \"" + std::string(name) +
                                 "\"; valid fields: " + NameList(kFieldNames));
}

const char* DateFieldName(DateField field) {
  for (const FieldName& e : kFieldNames) {
    if (e.field == field) return e.name;
  }
  return "?";
}

int ExtractScale(DateField field) {
  switch (field) {
    case DateField::kSecond:
    case DateField::kEpoch:
      return 6;
    case DateField::kMillisecond:
      return 3;
    default:
      return 0;
  }
}

int64_t Extract(DateField field, Micros ts) {
  int64_t tod = FloorMod(ts, kMicrosPerDay);
  switch (field) {
    case DateField::kHour:
      return tod / kMicrosPerHour;
    case DateField::kMinute:
      return tod / kMicrosPerMinute % 60;
    case DateField::kSecond:
    case DateField::kMillisecond:
    case DateField::kMicrosecond:
      return tod % kMicrosPerMinute;  // micros within the minute; the scale differs
    case DateField::kEpoch:
      return ts;
    default:
      return DateFieldOf(field, FloorDiv(ts, kMicrosPerDay));
  }
}

double ExtractDouble(DateField field, Micros ts) {
  static constexpr double kScale[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
  return static_cast<double>(Extract(field, ts)) / kScale[ExtractScale(field)];
}

Result<int64_t> ExtractDate(DateField field, int32_t days) {
  if (IsTimeOfDayField(field)) {
    return Status::InvalidArgument(std::string("extract field \"") + DateFieldName(field) +
                                   "\" is not supported for type date");
  }
  if (field == DateField::kEpoch) return int64_t{days} * 86400;
  return DateFieldOf(field, days);
}

}  // namespace strata
