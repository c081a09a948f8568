// A bronze record: one event or change, kept exactly as received.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/clock.h"

namespace strata::log {

// What a record means to a change-aware consumer. Raw events are inserts.
enum class Operation : uint8_t {
  kInsert = 0,        // 'c'
  kUpdate = 1,        // 'u'
  kDelete = 2,        // 'd'
  kSnapshotRead = 3,  // 'r': a row read by a CDC initial snapshot
};
constexpr uint8_t kMaxOperation = 3;
char OperationLetter(Operation op);

// Per-record flags set by ingest; stored with the record, never used to drop it.
enum RecordFlag : uint8_t {
  kFlagMalformed = 1 << 0,   // the payload is not valid JSON
  kFlagMissingKey = 1 << 1,  // the declared key field is absent, null or not a scalar
};

// What a producer hands to Table::Append. Views must stay valid until Append returns.
struct AppendRecord {
  uint32_t partition = 0;
  std::string_view key;
  std::string_view payload;
  std::string_view source;           // e.g. "file:orders.jsonl", "http", "postgres:..."
  std::string_view source_position;  // e.g. a line number or an LSN
  Operation op = Operation::kInsert;
  uint32_t schema_version = 0;
  uint8_t flags = 0;
};

// A stored record as a reader returns it. Views point into the reader's buffer and stay
// valid until the reader's next call.
struct RecordView {
  uint64_t offset = 0;
  Micros ingest_time = 0;
  std::string_view key;
  std::string_view payload;
  std::string_view source;
  std::string_view source_position;
  Operation op = Operation::kInsert;
  uint32_t schema_version = 0;
  uint8_t flags = 0;
};

}  // namespace strata::log
