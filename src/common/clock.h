// Time in strata: microseconds since the Unix epoch, UTC, as int64.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

using Micros = int64_t;

// Wall-clock time now.
Micros NowMicros();
// Monotonic time for measuring durations.
Micros MonotonicMicros();
// "2026-11-22T14:29:40.123456Z"
std::string FormatTimestamp(Micros t);

}  // namespace strata

namespace strata {
// Parses "2026-11-22T14:29:40Z", "2026-11-22 14:29:40.5" (UTC; fraction and 'Z' optional)
// or a plain integer of microseconds since the epoch. False when it is neither.
bool ParseTimestamp(std::string_view text, Micros* out);
}  // namespace strata

namespace strata {
// Parses a duration such as "500ms", "90s", "15m", "24h" or "7d" (units us, ms, s, m, h,
// d). False when it is not one.
bool ParseDuration(std::string_view text, Micros* out);
}  // namespace strata
