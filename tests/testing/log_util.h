// Helpers shared by tests that use the log: appending records and reading tables back.
// Header-only: usable from any test that links the log layer.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/hash.h"
#include "log/reader.h"
#include "log/store.h"

namespace strata::log::testing {

// A record as read back, owning its bytes.
struct StoredRecord {
  uint32_t partition;
  uint64_t offset;
  Micros ingest_time;
  std::string key, payload, source, source_position;
  Operation op;
  uint32_t schema_version;
  uint8_t flags;
};

// Reads all of partition p. Fails the test on a read error unless `status` is given.
inline std::vector<StoredRecord> ReadPartition(const Partition& p, uint64_t from = 0,
                                               Status* status = nullptr) {
  std::vector<StoredRecord> out;
  PartitionReader reader(p, from);
  RecordView r;
  while (true) {
    auto more = reader.Next(&r);
    if (!more.ok()) {
      if (status)
        *status = more.status();
      else
        ADD_FAILURE() << more.status().ToString();
      break;
    }
    if (!*more) break;
    out.push_back({p.id(), r.offset, r.ingest_time, std::string(r.key), std::string(r.payload),
                   std::string(r.source), std::string(r.source_position), r.op, r.schema_version,
                   r.flags});
  }
  return out;
}

inline std::vector<std::vector<StoredRecord>> ReadTable(const Table& t) {
  std::vector<std::vector<StoredRecord>> out;
  for (uint32_t p = 0; p < t.partition_count(); ++p)
    out.push_back(ReadPartition(t.partition(p)));
  return out;
}

// Every durable record of the table, partition by partition, in offset order.
inline std::vector<StoredRecord> ReadAll(const Table& t) {
  std::vector<StoredRecord> out;
  for (uint32_t p = 0; p < t.partition_count(); ++p) {
    std::vector<StoredRecord> part = ReadPartition(t.partition(p));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

// The lines of a text as LineBatcher splits them (lines[0] is line 1; no trailing empty line).
inline std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.emplace_back(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

// Appends records whose payloads are the given strings, keyed and partitioned by `key`.
inline Status AppendPayloads(Table* t, const std::vector<std::string>& payloads,
                             std::string_view key, AppendAck* ack) {
  std::vector<AppendRecord> records;
  for (const std::string& p : payloads) {
    AppendRecord r;
    r.key = key;
    r.payload = p;
    r.source = "test";
    r.partition = PartitionForKey(key, t->partition_count());
    records.push_back(r);
  }
  return t->Append(records, ack);
}

}  // namespace strata::log::testing
