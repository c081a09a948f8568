// PostgreSQL CDC into a bronze table, exactly once.
//
// RunCdcIngest takes the initial snapshot when the bronze table is empty, then streams
// changes until asked to stop. Records are appended with Table::Append (durable when it
// returns); only then is the slot acknowledged, up to the last transaction whose records
// are all stored. Each record is stored as
//
//   key              the source primary key (postgres_cdc.h)
//   payload          the change envelope (format "debezium")
//   source           "postgres:<schema>.<table>"
//   source_position  CdcPosition::ToString(): "<commit lsn>/<index>" or "<lsn>/r<index>"
//   op, schema_version
//
// Exactly once across restarts. The server re-delivers everything after the slot's
// confirmed position, which may include records already stored (appended, not yet
// acknowledged). They are recognised from the bronze table itself, without a checkpoint
// file: a key's records always go to the same partition, each partition stores a prefix of
// what was sent to it (appends are ordered, recovery cuts only a torn tail), and positions
// increase in delivery order. So a re-delivered record is stored iff its position is <= the
// position of its partition's last record, read once at start (and kept up to date).
//
// The snapshot is complete when its last record (source.snapshot = "last", appended alone
// after every other snapshot record is durable) or any change record is stored. A bronze
// table holding only part of a snapshot (a crash during it) is refused with
// kFailedPrecondition, as is a non-empty table whose slot had to be created afresh (changes
// may have been missed): both need a new bronze table (or a re-snapshot, not automated yet).
//
// Schema versions are kept in the schema registry's file (cdc_schema.h,
// catalog/schema_registry.h), written before the first record of each new version is
// appended, with each change's verdict under `compatibility`. An incompatible change does
// not stop ingestion: bronze keeps every change (runtime/schema_guard.h decides what the
// pipeline may read).
//
// Thread safety: one RunCdcIngest per table and source at a time; the stop flag may be set
// from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "catalog/schema_registry.h"
#include "common/file_system.h"
#include "common/status.h"
#include "connect/postgres_cdc.h"
#include "log/table.h"

namespace strata::connect {

struct CdcIngestOptions {
  const std::atomic<bool>* stop = nullptr;  // required: RunCdcIngest returns once it is set
  size_t max_batch = 4096;                  // records per Table::Append at most
  std::string schema_history_path;          // required (cdc_schema.h)
  catalog::Compatibility compatibility = catalog::Compatibility::kBackward;
  FileSystem* fs = nullptr;  // for the history file; null = FileSystem::Default()
  // After a lost connection (PostgreSQL restarting, the network), keep reconnecting this
  // long before giving up with the error. Zero: return the error at once.
  std::chrono::milliseconds reconnect_for{30000};
  std::function<void(const std::string&)> report;  // reconnects and refusals; null = dropped
};

struct CdcIngestStats {
  uint64_t snapshot_records = 0;
  uint64_t change_records = 0;      // appended from the stream
  uint64_t duplicates_skipped = 0;  // re-delivered records already in bronze
  uint64_t transactions = 0;
  uint64_t appends = 0;  // Table::Append calls
  uint64_t reconnects = 0;
  Lsn acknowledged = 0;
  uint32_t schema_version = 0;  // the latest
};

// `source` must be Open(). Returns when *options.stop is set (after storing what arrived),
// or with the first error that is not a lost connection (or one outlasting reconnect_for).
// On error, every acknowledged record is durable; the others will be delivered again.
Result<CdcIngestStats> RunCdcIngest(log::Table* table, PostgresCdcSource* source,
                                    const CdcIngestOptions& options);

}  // namespace strata::connect
