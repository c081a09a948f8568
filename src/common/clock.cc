#include "common/clock.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace strata {

Micros NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

Micros MonotonicMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string FormatTimestamp(Micros t) {
  time_t secs = static_cast<time_t>(t / 1000000);
  int64_t frac = t % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm_utc.tm_year + 1900,
                tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

}  // namespace strata

namespace strata {

bool ParseTimestamp(std::string_view text, Micros* out) {
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  long long plain = std::strtoll(s.c_str(), &end, 10);
  if (!s.empty() && errno == 0 && *end == '\0') {
    *out = plain;
    return true;
  }
  struct tm tm_utc = {};
  const char* rest = strptime(s.c_str(), "%Y-%m-%d", &tm_utc);
  if (rest == nullptr || (*rest != 'T' && *rest != ' ')) return false;
  rest = strptime(rest + 1, "%H:%M:%S", &tm_utc);
  if (rest == nullptr) return false;
  int64_t micros = 0;
  if (*rest == '.') {
    int digits = 0;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest) {
      if (digits++ < 6) micros = micros * 10 + (*rest - '0');
    }
    if (digits == 0) return false;
    for (; digits < 6; ++digits)
      micros *= 10;
  }
  if (*rest == 'Z') ++rest;
  if (*rest != '\0') return false;
  *out = static_cast<Micros>(timegm(&tm_utc)) * 1000000 + micros;
  return true;
}

}  // namespace strata

namespace strata {

bool ParseDuration(std::string_view text, Micros* out) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  if (digits == 0 || digits > 12) return false;
  int64_t n = std::stoll(std::string(text.substr(0, digits)));
  std::string_view unit = text.substr(digits);
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"us", 1},         {"ms", 1000},         {"s", 1000000},
      {"m", 60'000'000}, {"h", 3'600'000'000}, {"d", 86'400'000'000}};
  for (const auto& [name, micros] : kUnits) {
    if (unit == name) {
      *out = n * micros;
      return true;
    }
  }
  return false;
}

}  // namespace strata
