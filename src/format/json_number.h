// JSON number tokens (RFC 8259 §6) and their exact conversions to SQL types.
//
// The decoder never reads a number through a double unless the column is double precision:
// a bigint or numeric(p, s) column takes the token's text as written, so 0.1 is exactly 0.10
// at scale 2 and 123456789012345678.12 keeps every digit. All functions are pure and
// thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/numeric.h"
#include "common/status.h"

namespace strata::format {

// A token split into its parts by ScanJsonNumber.
struct JsonNumber {
  std::string_view text;  // the token without trailing whitespace
  bool negative = false;  // a leading '-' ("-0" too)
  bool has_fraction = false;
  bool has_exponent = false;
  int64_t digits = 0;           // digits of the integer and fraction parts, leading zeros too
  int64_t fraction_digits = 0;  // digits after the '.'
  uint64_t mantissa = 0;        // those digits as one integer; exact only when digits <= 19

  bool integral() const { return !has_fraction && !has_exponent; }
};

// Splits `token` (a number as simdjson's raw_json_token() returns it: possibly followed by
// JSON whitespace) into *out. False when it is not a JSON number: a leading '+' or '.',
// leading zeros ("01"), a '.' or exponent without digits, or any other character.
bool ScanJsonNumber(std::string_view token, JsonNumber* out);

// bigint: the token must be an integer as written. InvalidArgument for a fraction or an
// exponent ("12.0", "1e3": PostgreSQL's bigint input rejects them too); OutOfRange beyond
// int64 (both name the token).
Result<int64_t> JsonNumberToInt64(const JsonNumber& number);

// numeric(p, s): the token's exact decimal value rounded half away from zero to s digits;
// errors exactly as Numeric::Parse (OutOfRange beyond p digits).
Result<Int128> JsonNumberToNumeric(const JsonNumber& number, NumericType type);

}  // namespace strata::format
