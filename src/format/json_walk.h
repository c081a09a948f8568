// Strict walking of simdjson On Demand documents (internal to format).
//
// On Demand parses only what it is asked for: a value it skips is stepped over by counting
// brackets, not validated, and an unconsumed string that happens to be followed by ':' is
// even skipped as if it were a key. The decoder wants ingest's verdict instead (the whole
// payload is well-formed JSON, or the record is malformed), so everything it does not read
// as a column goes through ValidateValue, and strings are always consumed.
//
// Documents must lie in a buffer with simdjson::SIMDJSON_PADDING readable bytes after
// `end`; the helpers read up to 7 bytes past `end`. Not thread-safe (KeyMatcher keeps a
// hint); the free functions are pure.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace strata::format {

namespace od = simdjson::ondemand;

// Returns a simdjson error from the enclosing function.
#define STRATA_JSON_TRY(expr)                 \
  do {                                        \
    ::simdjson::error_code _e = (expr);       \
    if (_e != ::simdjson::SUCCESS) return _e; \
  } while (0)

// As deep as simdjson's DOM parser accepts (ingest's validation); bounds the recursion.
constexpr int kMaxJsonDepth = simdjson::DEFAULT_MAX_DEPTH;

// "an array", "a string", "null", ... for messages.
const char* JsonKindName(od::json_type type);

// "malformed JSON: <why>" for a simdjson error.
std::string MalformedJsonMessage(simdjson::error_code error);

// The first '"' or '\' in [p, end), or end. Inline: it runs for every string.
inline const char* FindQuoteOrBackslash(const char* p, const char* end) {
  if constexpr (std::endian::native == std::endian::little) {
    constexpr uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
    for (; p < end; p += 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      const uint64_t q = word ^ (kOnes * '"');
      const uint64_t b = word ^ (kOnes * '\\');
      // Flags the zero bytes of q and b; the lowest flag is exact (borrows only cause false
      // flags above a true one).
      const uint64_t m = ((q - kOnes) & ~q & kHighs) | ((b - kOnes) & ~b & kHighs);
      if (m != 0) return std::min(end, p + std::countr_zero(m) / 8);
    }
    return end;
  } else {
    while (p < end && *p != '"' && *p != '\\')
      ++p;
    return p;
  }
}

// Whether the document was consumed to its last byte (no trailing content).
bool AtDocumentEnd(od::document& doc);

// Steps over a string value without unescaping it (stage 1 already checked its UTF-8 and
// control characters; call it only when the string has no escapes).
inline simdjson::error_code ConsumeString(od::value& value) {
  od::raw_json_string raw;
  return value.get_raw_json_string().get(raw);
}

// Checks that `value` (at nesting depth `depth`) is well-formed JSON, consuming it.
simdjson::error_code ValidateValue(od::value value, const char* end, int depth);

// Checks a root that is not an object, to the end of the document.
simdjson::error_code ValidateRoot(od::document& doc, od::json_type type, const char* end);

// Matches object keys against a fixed list of names, exactly: keys without escapes (the
// common case) are compared in place, a key with a backslash is unescaped first.
class KeyMatcher {
 public:
  explicit KeyMatcher(std::vector<std::string_view> names);

  // The index of the field's key in the names, or -1 (also when *error is set, by a key
  // with an invalid escape). `end` is the end of the document.
  int Match(od::field& field, const char* end, simdjson::error_code* error);

 private:
  std::vector<std::string_view> names_;  // the caller's storage
  std::vector<std::string> padded_;      // each name followed by 8 zero bytes
  std::vector<bool> raw_ok_;             // the name can appear in a key without escapes
  size_t hint_ = 0;                      // fields usually come in schema order
};

}  // namespace strata::format
