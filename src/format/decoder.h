// Bronze payloads → typed columnar batches (DESIGN.md §2): the step from the log's raw bytes
// to the changelog rows that silver's operators consume.
//
// A PayloadDecoder is built for one declared bronze schema (column names and types, in
// order) and one payload format:
//
//   json      The payload is a JSON object. Each column is read from the field of the same
//             name (exact, case-sensitive; escaped keys are compared unescaped). A missing
//             field or JSON null is SQL NULL; fields outside the schema are ignored (but
//             validated). Weight +1, or -1 when the record's operation is a delete.
//   debezium  The payload is a Debezium change event {"op", "before", "after", "source",
//             ...}, or one wrapped as {"schema": ..., "payload": {...}} (Kafka Connect's
//             JsonConverter with schemas enabled; used when the top level has no "op"). Op
//             c, u and r read the columns from "after" with weight +1; d reads them from
//             "before" with weight -1 (the retraction of the deleted version). Columns are
//             read from that side exactly as in `json`. The record's own operation is ignored.
//
// Type conversions (strict: the payload is a contract, and a value that does not fit is
// quarantined with the field and the expected type, never guessed at):
//
//   boolean           true / false.
//   bigint            an integer number as written: 12 and -9223372036854775808, but not
//                     12.0, 1e3 or "12" (PostgreSQL's bigint input rejects those forms too).
//   double precision  any number (correctly rounded); beyond ±1.8e308 is out of range.
//   numeric(p,s)      a number, from its exact text, never through a double: 0.1 is 0.10 and
//                     1e-2 is 0.01 at scale 2; or a string holding a decimal (" 12.5",
//                     "1.5e3": Numeric::Parse's grammar, as PostgreSQL's numeric input).
//                     Rounded half away from zero to s digits; more than p digits is an error.
//   text              a string (unescaped). Numbers, booleans, objects and arrays are errors.
//   timestamp         a string for ParseSqlTimestamp: "2026-11-17 10:00:00", ISO 8601
//                     "2026-11-17T10:00:00.5Z", offsets ("+02", "+05:30", "-0800", converted
//                     to UTC). In debezium format also an integer of microseconds since the
//                     epoch (Debezium's MicroTimestamp, what PostgreSQL timestamp(4..6) and
//                     plain timestamp columns produce; timestamp(0..3) columns arrive as
//                     milliseconds and would be misread, so declare them with precision 6
//                     upstream or send ISO strings); in json format an integer is an error,
//                     as its unit would be a guess.
//   date              a string "YYYY-MM-DD" (ParseDate). In debezium format also an integer
//                     of days since the epoch (Debezium's Date).
//
// Numeric columns of Debezium events need decimal.handling.mode = string or double (the
// default, precise, encodes them as base64 bytes whose scale lives in the schema).
//
// Well-formedness: the whole payload is validated, fields outside the schema included (as
// ingest's KeyExtractor does), so a payload is either a row, or a RowError; malformed JSON
// outranks type errors, so a payload's error does not depend on its field order. A record
// that ingest flagged malformed (log::kFlagMalformed) is reported without being parsed;
// other flags (kFlagMissingKey) do not affect decoding. Numbers follow RFC 8259 with no
// range limit (ingest's simdjson DOM also rejects integers beyond 64 bits and numbers
// beyond double's range, so such records arrive flagged malformed from ingest).
// Duplicate keys for a schema column (or for "op", "before", "after" of an envelope) are
// an error rather than a silent choice.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/column.h"
#include "common/status.h"
#include "common/types.h"
#include "log/record.h"

namespace strata::format {

enum class PayloadFormat : uint8_t { kJson, kDebezium };

// "json", "debezium".
const char* PayloadFormatName(PayloadFormat format);
// InvalidArgument naming the format and listing the valid ones.
Result<PayloadFormat> ParsePayloadFormat(std::string_view name);

// One column of the declared bronze schema.
struct ColumnSpec {
  std::string name;
  Type type;
};

// One bronze record to decode. The payload is viewed, not copied, and needs no padding.
struct RecordInput {
  std::string_view payload;
  uint32_t partition = 0;
  uint64_t offset = 0;
  uint8_t flags = 0;                            // log::RecordFlag bits set at ingest
  log::Operation op = log::Operation::kInsert;  // the record's metadata (json format only)

  static RecordInput From(const log::RecordView& r, uint32_t partition) {
    return {r.payload, partition, r.offset, r.flags, r.op};
  }
};

// Why one record produced no row. The caller turns it into a quarantine record (with the
// record's partition, offset and payload, which it already has): `message` is the reason as
// is (it already names the field), `field` the constraint.
struct RowError {
  size_t index = 0;      // into the records passed to Decode
  std::string field;     // the column, or "op" / "before" / "after"; empty for the payload
  std::string expected;  // the column's type ("numeric(18,2)"), "object", ...; may be empty
  // One sentence naming the field and the expected type, e.g.
  //   amount: expected numeric(18,2), found a boolean
  //   event_ts: expected timestamp: invalid timestamp "2026-13-01": month 13 out of range
  //   malformed JSON: ...        payload is not a JSON object: found an array
  std::string message;
};

// Decodes payloads of one schema and format. Not thread-safe: one decoder per thread (it
// owns a simdjson parser and scratch buffers, reused across calls, so the steady state
// allocates nothing per record beyond the columns' own growth).
class PayloadDecoder {
 public:
  // Column names must be unique (a broken catalog invariant otherwise asserts).
  PayloadDecoder(std::vector<ColumnSpec> columns, PayloadFormat format);
  ~PayloadDecoder();
  PayloadDecoder(PayloadDecoder&&) noexcept;
  PayloadDecoder& operator=(PayloadDecoder&&) noexcept;

  const std::vector<ColumnSpec>& columns() const;
  PayloadFormat format() const;

  // An empty batch shaped like the schema (one column per spec, in order).
  Batch MakeBatch() const;

  // Decodes records[i] for every i, in order. A record that decodes appends one row to
  // *batch: its values, its weight, and its origin {partition, offset, payload} (the payload
  // view is the caller's: valid as long as the caller's record bytes are). A record that
  // does not appends nothing to *batch and one RowError to *errors. *batch must be shaped
  // like the schema (MakeBatch) and track origins (one per row).
  void Decode(std::span<const RecordInput> records, Batch* batch, std::vector<RowError>* errors);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::format
