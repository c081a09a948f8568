// Change data capture from PostgreSQL through logical replication (pgoutput, protocol 1).
//
// A PostgresCdcSource follows one table. Open() creates what is missing on the server: a
// publication FOR TABLE and a logical replication slot using pgoutput. A slot created by
// Open exports a snapshot that is consistent with the slot's start: Snapshot() reads the
// table at exactly that point (op 'r'), and Stream() then delivers every transaction that
// committed after it, in commit order (ops c, u, d). Nothing is lost between the two and
// nothing is delivered twice, provided Snapshot() runs before Stream().
//
// Each record is a change envelope (the `debezium` payload format of format/decoder.h):
//
//   {"op":"u","before":{"id":7},"after":{"id":7,"qty":3,...},
//    "source":{"connector":"postgres-cdc","lsn":"0/16B3748","txid":741,
//              "commit_time":"2026-11-17T10:00:00.123456Z","schema":"public","table":"t"}}
//
// - before: for an update or delete, the old row when the table has REPLICA IDENTITY FULL,
//   otherwise its primary key columns; null for inserts and snapshot reads.
// - after: the new row; null for deletes. Values are mapped by pg_value.h.
// - source: lsn is the commit LSN (the slot's consistent point for snapshot records, which
//   carry "snapshot":"true", or "last" on the last one, instead of txid and commit_time).
// - unchanged_toast (only when non-empty): columns omitted from "after" because the update
//   left a TOASTed value unchanged and the server did not send it (tables with REPLICA
//   IDENTITY FULL get it from the old row instead). Each omission is also reported.
// - An update that changes the primary key becomes a delete of the old key and an insert
//   of the new one, so that keyed consumers never keep the old row.
//
// The record key is the primary key (or, without one, the replica identity index): the
// value's text for one column (as ingest's KeyExtractor reads keys: 42, abc), a JSON array
// for several ([42,"abc"]), empty for a table with neither.
//
// Positions and acknowledgement: every record has a CdcPosition (lsn.h), unique and
// increasing in delivery order. The slot's confirmed position advances only through
// Acknowledge(lsn), which the caller calls once the records of every transaction up to
// that commit are durable; after a restart the stream resumes after the confirmed position,
// so records not yet acknowledged are delivered again with the same positions. While the
// caller has acknowledged everything delivered, keepalives also advance the confirmed
// position over WAL that holds nothing for this table, so the server can recycle it.
//
// Schema versions: see cdc_schema.h. Known versions survive Open() (reconnects); a restarted
// process restores them with SetKnownSchemas before streaming. A Relation message is given
// the newest known version with identical columns, or a new version.
//
// Errors: a lost or refused connection is kIOError (call Open() again to reconnect and
// resume); server-side refusals are kFailedPrecondition; undecodable stream data is
// kCorruption. Errors returned by a callback end the call that invoked it and are returned.
//
// Thread safety: none; one thread uses a source at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "connect/cdc_schema.h"
#include "connect/change_envelope.h"
#include "connect/lsn.h"
#include "connect/pgoutput.h"
#include "log/record.h"

namespace strata::connect {

class PgConnection;

struct PostgresCdcOptions {
  std::string conninfo;      // libpq connection string or URI
  std::string source_table;  // "schema.table", or "table" in schema public (no quoting)
  std::string slot;
  std::string publication;
  // How often Stream checks its stop flag (and calls on_idle while nothing arrives).
  std::chrono::milliseconds poll_interval{100};
  // Status updates are sent at least this often (the server's wal_sender_timeout is 60 s).
  std::chrono::milliseconds status_interval{10000};
  // How long START_REPLICATION waits for a previous session (e.g. of a crashed process)
  // to release the slot.
  std::chrono::milliseconds slot_busy_wait{10000};
  // Warnings for an operator: truncates not captured, unchanged TOAST values omitted, new
  // schema versions. Null: dropped.
  std::function<void(const std::string&)> report;
};

struct CdcRecord {
  log::Operation op = log::Operation::kInsert;
  std::string key;
  std::string envelope;
  uint32_t schema_version = 0;
  CdcPosition position;
  bool snapshot_last = false;                // the snapshot's last record
  std::vector<std::string> unchanged_toast;  // columns omitted from "after"

  // "<commit lsn>/<index in transaction>", or "<consistent point>/r<index>".
  std::string SourcePosition() const { return position.ToString(); }
};

struct CdcCommit {
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;  // what to Acknowledge once the transaction's records are durable
  uint32_t xid = 0;
  uint64_t records = 0;  // records delivered for it
};

struct CdcCallbacks {
  std::function<Status(const CdcRecord&)> on_record;  // required
  std::function<Status(const CdcCommit&)> on_commit;  // after the transaction's last record
  std::function<Status()> on_idle;                    // nothing is waiting to be read
};

struct CdcSourceStats {
  uint64_t transactions = 0;
  uint64_t records = 0;
  uint64_t truncates = 0;        // TRUNCATEs seen (not captured)
  uint64_t unchanged_toast = 0;  // values omitted from "after"
};

class PostgresCdcSource {
 public:
  explicit PostgresCdcSource(PostgresCdcOptions options);
  ~PostgresCdcSource();  // Close()
  PostgresCdcSource(const PostgresCdcSource&) = delete;
  PostgresCdcSource& operator=(const PostgresCdcSource&) = delete;

  // Connects (again, closing any previous connections), checks that the server can do
  // logical decoding of the table (UTF8 database, wal_level logical, an ordinary table),
  // reads its primary key, and creates the publication and the slot if they are absent.
  // An existing publication must include the table (it is never altered).
  Status Open();
  // Drops the slot and creates it again (with a new exported snapshot): for a caller that
  // must snapshot but whose slot predates it. Requires Open().
  Status RecreateSlot();

  // True when Open/RecreateSlot created the slot and its snapshot was not read yet.
  bool snapshot_available() const { return !snapshot_name_.empty(); }
  // True when the slot was created by this source (it did not exist before Open).
  bool slot_created() const { return slot_created_; }
  Lsn consistent_point() const { return consistent_point_; }
  // The slot's confirmed_flush_lsn when Open found it (its consistent point if created).
  Lsn confirmed_flush_at_open() const { return confirmed_at_open_; }
  const std::vector<std::string>& key_columns() const { return key_columns_; }
  // "schema.table"
  std::string table_name() const { return nspname_ + "." + relname_; }

  // Reads the table at the slot's snapshot and calls `on_record` for each row (op 'r',
  // schema version 1, whose columns it defines; the last record has snapshot_last). The
  // rows are streamed from the server, not held in memory. Returns the number of rows.
  // FailedPrecondition when !snapshot_available().
  Result<uint64_t> Snapshot(const std::function<Status(const CdcRecord&)>& on_record);

  // Streams changes until `stop` is set (returns OK) or an error. Callbacks run on this
  // thread and may call Acknowledge. Can run once per Open().
  Status Stream(const CdcCallbacks& callbacks, const std::atomic<bool>& stop);

  // Confirms that everything up to `lsn` (a CdcCommit::end_lsn) is durable downstream:
  // sent to the server at once while streaming, else with the next status update. Never
  // moves the confirmed position backwards.
  Status Acknowledge(Lsn lsn);
  Lsn acknowledged() const { return acked_; }

  // Schema versions known so far (oldest first) and, for a restarted process, the ones
  // it had recorded. Versions must be numbered 1, 2, ...
  const std::vector<SchemaVersion>& schemas() const { return schemas_; }
  void SetKnownSchemas(std::vector<SchemaVersion> versions) { schemas_ = std::move(versions); }

  const CdcSourceStats& stats() const { return stats_; }

  // Sends a last status update while streaming (the server reads it before it notices the
  // disconnect) and closes the connections. Open() may follow.
  void Close();

 private:
  Status ResolveTable();
  Status EnsurePublication();
  Status EnsureSlot();
  Status CreateSlot();
  Result<std::vector<PgColumn>> ReadColumns();
  Status StartReplication();
  Status HandleCopyData(std::string_view data, const CdcCallbacks& callbacks);
  Status HandleMessage(const CdcCallbacks& callbacks);
  Status OnRelation(const pgoutput::Relation& relation);
  Status OnChange(pgoutput::MessageType type, const CdcCallbacks& callbacks);
  Status Emit(log::Operation op, std::string_view before, std::string_view after, std::string key,
              std::vector<std::string> omitted, const CdcCallbacks& callbacks);
  Status OnKeepalive(const pgoutput::Keepalive& keepalive);
  Status SendStatus(bool reply_requested);
  void Report(const std::string& message);

  const PostgresCdcOptions options_;
  std::string nspname_, relname_;
  uint32_t relation_oid_ = 0;
  std::vector<std::string> key_columns_;
  std::unique_ptr<PgConnection> conn_;  // SQL: catalog, publication, snapshot
  std::unique_ptr<PgConnection> repl_;  // replication=database: slot and stream

  bool slot_created_ = false;
  std::string snapshot_name_;
  Lsn consistent_point_ = 0;
  Lsn confirmed_at_open_ = 0;

  std::vector<SchemaVersion> schemas_;

  // Stream state.
  bool streamed_ = false;  // Stream was called since Open
  bool copy_both_ = false;
  RowFormat format_;      // the table's columns per its latest Relation message (or the snapshot)
  uint32_t version_ = 0;  // their schema version
  bool have_relation_ = false;
  bool in_txn_ = false;
  pgoutput::Begin begin_;
  std::string txn_source_;  // the "source" object of the current transaction's records
  uint64_t index_in_txn_ = 0;
  uint64_t txn_records_ = 0;
  Lsn delivered_end_ = 0;  // end LSN of the last transaction delivered
  Lsn received_ = 0;       // the furthest WAL position the server reported
  Lsn acked_ = 0;
  std::chrono::steady_clock::time_point last_status_;
  pgoutput::Message message_;  // reused
  CdcSourceStats stats_;
};

}  // namespace strata::connect
