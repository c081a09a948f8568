// PostgreSQL values (their text output) as JSON, the way strata's change envelopes carry
// them and its debezium decoder reads them (format/decoder.h):
//
//   int2, int4, int8, oid          JSON number, as printed
//   float4, float8                 JSON number (shortest exact); NaN, ±Infinity as strings
//   numeric                        JSON number with exactly PostgreSQL's digits ("1.50"
//                                  stays 1.50); NaN, ±Infinity as strings
//   bool                           true / false
//   timestamp                      "2026-11-17T10:00:00.5" (ISO, no zone)
//   timestamptz                    "2026-11-17T09:00:00.5Z" (converted to UTC)
//   date                           "2026-11-17"
//   json, jsonb                    a string holding the JSON text
//   text, varchar and the rest     a string holding the text output
//
// Infinite and BC timestamps and dates keep PostgreSQL's text ("infinity", "... BC"), as
// strings. The session must print with DateStyle ISO (PgConnection sets it); timestamptz
// offsets other than +00 are still converted. Text must be valid UTF-8 (the connector
// requires a UTF8 database). Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::connect {

namespace pg_type {
constexpr uint32_t kBool = 16;
constexpr uint32_t kInt8 = 20;
constexpr uint32_t kInt2 = 21;
constexpr uint32_t kInt4 = 23;
constexpr uint32_t kText = 25;
constexpr uint32_t kOid = 26;
constexpr uint32_t kJson = 114;
constexpr uint32_t kFloat4 = 700;
constexpr uint32_t kFloat8 = 701;
constexpr uint32_t kBpchar = 1042;
constexpr uint32_t kVarchar = 1043;
constexpr uint32_t kDate = 1082;
constexpr uint32_t kTimestamp = 1114;
constexpr uint32_t kTimestamptz = 1184;
constexpr uint32_t kNumeric = 1700;
constexpr uint32_t kJsonb = 3802;
}  // namespace pg_type

// Appends the JSON value for `text`, a value of type `type_oid` (PostgreSQL's text output).
void AppendPgValueJson(std::string* out, uint32_t type_oid, std::string_view text);

// Appends the value as a record key: the text of a string (unquoted, so a text key "a" is
// a, as ingest's KeyExtractor reads keys), the JSON of anything else (42, true).
void AppendPgValueKey(std::string* out, uint32_t type_oid, std::string_view text);

}  // namespace strata::connect
