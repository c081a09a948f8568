// JSON lines → bronze records. Each line is kept byte for byte as the record's payload; the
// line is validated as JSON (simdjson) and its key read from the table's key field. A line
// that is not valid JSON, or lacks its key, is still turned into a record (nothing is lost)
// and flagged (log::kFlagMalformed, log::kFlagMissingKey) for silver to quarantine.
//
// Partitioning: partition = StableHash64(key) % partitions. A keyless table partitions by the
// payload's hash; a record that lacks its key goes to the partition of the empty key.
//
// Lines end at '\n'; the '\n' is not part of the payload (a '\r' before it is). Blank lines
// (empty, or a lone '\r' in a CRLF file) carry no data and produce no record, but are
// counted as lines.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "log/record.h"

namespace strata::format {

// Bytes that must be readable past the end of any text handed to the parsers below.
constexpr size_t kPadding = simdjson::SIMDJSON_PADDING;

// Validates one JSON document and extracts its key. Not thread-safe (one per thread).
class KeyExtractor {
 public:
  // `key_field` is a top-level field name, or a dotted path ("after.id") into nested
  // objects; empty when the table has no key. For the "debezium" payload format the key is
  // read from the change envelope's "after" image, or from "before" for a delete.
  explicit KeyExtractor(std::string_view key_field, std::string_view payload_format = "json");

  // Validates `line` (kPadding readable bytes must follow it) and appends its key, if any,
  // to *key. Returns the record flags. String keys are their unescaped text; integers their
  // decimal digits; booleans true/false; other numbers simdjson's shortest round-trip form
  // (1.50 -> "1.5", 1e3 -> "1000.0"), so keys should be strings or integers. Null, objects,
  // arrays and absent fields count as missing. Integers beyond 64 bits do not parse and are
  // flagged malformed. For a debezium envelope, *op (when given) is set from its "op"
  // field (c, u, d, r); it is left alone otherwise.
  uint8_t Extract(std::string_view line, std::string* key, log::Operation* op = nullptr);

 private:
  std::vector<std::string> pointers_;  // JSON pointers to try in order; empty when no key
  bool debezium_ = false;
  simdjson::dom::parser parser_;
};

// Turns chunks of JSON lines into AppendRecords. Records view into the chunks, which the
// caller keeps alive, and into this object; both until Clear(). Not thread-safe.
class LineBatcher {
 public:
  // Records get `source` as their source and "<position_prefix><line number>" as their
  // source position.
  LineBatcher(std::string_view key_field, uint32_t partitions, std::string source,
              std::string position_prefix = "", std::string_view payload_format = "json");

  // Adds every line of `text` (which must be followed by kPadding readable bytes). The
  // last line needs no trailing '\n'. `first_line` is the 1-based number of the first line.
  // Stops before a line longer than the max_line_bytes limit (see overlong_line()).
  void AddLines(std::string_view text, uint64_t first_line);

  // Lines longer than this are refused: AddLines stops before the first one.
  void set_max_line_bytes(size_t n) { max_line_bytes_ = n; }
  // The number of the line AddLines stopped at because it was too long; 0 if none.
  uint64_t overlong_line() const { return overlong_line_; }

  // The records added since Clear(), in input order. Counters cover every line added
  // since construction.
  std::span<const log::AppendRecord> records();
  uint64_t lines() const { return lines_; }
  uint64_t malformed() const { return malformed_; }
  uint64_t missing_key() const { return missing_key_; }
  uint64_t payload_bytes() const { return payload_bytes_; }
  void Clear();

 private:
  struct Pending {
    std::string_view payload;
    uint32_t key_begin, key_end;  // in arena_
    uint32_t pos_begin, pos_end;  // in arena_
    uint8_t flags;
    log::Operation op;
  };
  void AddLine(std::string_view line, uint64_t line_no);

  KeyExtractor extractor_;
  const bool keyed_;
  const uint32_t partitions_;
  const std::string source_;
  const std::string position_prefix_;
  std::string arena_;
  std::vector<Pending> pending_;
  std::vector<log::AppendRecord> records_;
  size_t max_line_bytes_ = SIZE_MAX;
  uint64_t overlong_line_ = 0;
  uint64_t lines_ = 0, malformed_ = 0, missing_key_ = 0, payload_bytes_ = 0;
};

}  // namespace strata::format
