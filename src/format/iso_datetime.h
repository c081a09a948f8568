// Fast paths for the timestamp and date texts that events carry almost always.
//
// ParseSqlTimestamp / ParseDate (common/datetime.h) accept PostgreSQL's whole input grammar
// and are the definition. These functions accept only the canonical ISO 8601 subset,
//   YYYY-MM-DD{T|t| }HH:MM:SS[.f{1,6}][Z|z|{+|-}HH:MM]      and      YYYY-MM-DD,
// with a 4-digit year from 0001, and return exactly what the general parsers return for it.
// They return false for anything else, including valid texts outside the subset (other
// zones, a leap second, 24:00:00, BC, whitespace) and invalid ones; the caller then asks the
// general parser, which decides and explains. Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/clock.h"

namespace strata::format {

bool ParseIsoTimestampFast(std::string_view text, Micros* out);
bool ParseIsoDateFast(std::string_view text, int32_t* out);

}  // namespace strata::format
