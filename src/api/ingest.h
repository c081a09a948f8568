// Ingest: JSON lines from a file descriptor or an HTTP body into a bronze table, durably.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "log/table.h"

namespace strata::api {

struct IngestSummary {
  uint64_t lines = 0;        // input lines consumed (blank lines included)
  uint64_t acked = 0;        // records durably stored
  uint64_t malformed = 0;    // stored, flagged: not valid JSON
  uint64_t missing_key = 0;  // stored, flagged: the key field is absent
  uint64_t bytes = 0;        // payload bytes stored
  double seconds = 0;

  std::string ToJson() const;
};

// Called after each durable group commit with the number of input lines that are now
// durable (every line before them is, too).
using AckCallback = std::function<void(uint64_t acked_lines)>;

struct IngestOptions {
  std::string source;                 // stored as each record's source, e.g. "file:x.jsonl"
  size_t chunk_bytes = 4u << 20;      // input read and committed per group
  size_t max_line_bytes = 32u << 20;  // longer lines are refused (not silently cut)
  AckCallback on_ack;
};

// Refuses a table strata keeps for itself (common/filename.h: `_strata.` names): nothing
// ingests into them.
Status CheckIngestTarget(std::string_view table);

// Reads JSON lines from `fd` until end of input, appending them to `table`. Returns only
// after every line is durable; on error, the lines reported through on_ack are durable and
// the rest may not be.
Result<IngestSummary> IngestFromFd(log::Table* table, int fd, const IngestOptions& options);

// The result of ingesting one request body.
struct BodyIngest {
  IngestSummary summary;
  log::AppendAck ack;
};

// Appends the lines of `body` with TryAppend (kBusy when the table's queue is full).
// `source_position_prefix` is prepended to each line number ("<request>:<line>").
Result<BodyIngest> IngestBody(log::Table* table, std::string_view body, std::string source,
                              std::string source_position_prefix);

}  // namespace strata::api
