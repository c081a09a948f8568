#include "format/iso_datetime.h"

#include "common/datetime.h"

namespace strata::format {
namespace {

// The n digits at p as a number, or -1 if one of them is not a digit.
int Digits(const char* p, int n) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const unsigned d = static_cast<unsigned char>(p[i]) - '0';
    if (d > 9) return -1;
    v = v * 10 + static_cast<int>(d);
  }
  return v;
}

// "YYYY-MM-DD" at the start of s (s.size() >= 10) as days since the epoch.
bool ParseDay(std::string_view s, int64_t* days) {
  const int year = Digits(s.data(), 4);
  const int month = Digits(s.data() + 5, 2);
  const int day = Digits(s.data() + 8, 2);
  if (year < 1 || s[4] != '-' || s[7] != '-' || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month)) {
    return false;
  }
  *days = DaysFromCivil(year, month, day);
  return true;
}

}  // namespace

bool ParseIsoTimestampFast(std::string_view s, Micros* out) {
  int64_t days;
  if (s.size() < 19 || !ParseDay(s, &days)) return false;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return false;
  const int hour = Digits(s.data() + 11, 2);
  const int minute = Digits(s.data() + 14, 2);
  const int second = Digits(s.data() + 17, 2);
  if (s[13] != ':' || s[16] != ':' || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 59) {
    return false;
  }
  size_t i = 19;
  int64_t micros = 0;
  if (i < s.size() && s[i] == '.') {
    size_t digits = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      micros = micros * 10 + (s[i] - '0');
    }
    if (digits == 0 || digits > 6) return false;  // more digits need rounding
    for (; digits < 6; ++digits)
      micros *= 10;
  }
  int64_t offset_seconds = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    if (s.size() - i != 6 || s[i + 3] != ':') return false;
    const int hh = Digits(s.data() + i + 1, 2);
    const int mm = Digits(s.data() + i + 4, 2);
    if (hh < 0 || hh > 15 || mm < 0 || mm > 59) return false;
    offset_seconds = (s[i] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    i += 6;
  }
  if (i != s.size()) return false;
  const int64_t seconds = (hour * 60 + minute) * 60 + second - offset_seconds;
  *out = days * kMicrosPerDay + seconds * kMicrosPerSecond + micros;
  return true;
}

bool ParseIsoDateFast(std::string_view s, int32_t* out) {
  int64_t days;
  if (s.size() != 10 || !ParseDay(s, &days)) return false;
  *out = static_cast<int32_t>(days);
  return true;
}

}  // namespace strata::format
