#include "connect/postgres_cdc.h"

#include <poll.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "common/clock.h"
#include "connect/change_envelope.h"
#include "connect/pg_connection.h"

namespace strata::connect {
namespace {

using pgoutput::MessageType;
using pgoutput::Tuple;
using pgoutput::TupleValue;
using Clock = std::chrono::steady_clock;

constexpr char kObjectInUse[] = "55006";  // SQLSTATE: the slot is active elsewhere

}  // namespace

PostgresCdcSource::PostgresCdcSource(PostgresCdcOptions options) : options_(std::move(options)) {}

PostgresCdcSource::~PostgresCdcSource() {
  Close();
}

void PostgresCdcSource::Report(const std::string& message) {
  if (options_.report) options_.report(table_name() + ": " + message);
}

// --- Open: connections, table, publication, slot ---

Status PostgresCdcSource::Open() {
  Close();
  streamed_ = copy_both_ = have_relation_ = in_txn_ = slot_created_ = false;
  snapshot_name_.clear();
  delivered_end_ = received_ = 0;
  const std::string& t = options_.source_table;
  const size_t dot = t.find('.');
  nspname_ = dot == std::string::npos ? "public" : t.substr(0, dot);
  relname_ = dot == std::string::npos ? t : t.substr(dot + 1);
  if (nspname_.empty() || relname_.empty() || options_.slot.empty() ||
      options_.publication.empty()) {
    return Status::InvalidArgument(
        "postgres-cdc needs source_table ('schema.table'), slot and publication (source_table '" +
        t + "', slot '" + options_.slot + "', publication '" + options_.publication + "')");
  }
  ASSIGN_OR_RETURN(conn_, PgConnection::Connect(options_.conninfo, /*replication=*/false));
  RETURN_IF_ERROR(ResolveTable());
  RETURN_IF_ERROR(EnsurePublication());
  ASSIGN_OR_RETURN(repl_, PgConnection::Connect(options_.conninfo, /*replication=*/true));
  RETURN_IF_ERROR(EnsureSlot());
  acked_ = std::max(acked_, confirmed_at_open_);
  return Status::OK();
}

Status PostgresCdcSource::ResolveTable() {
  ASSIGN_OR_RETURN(PgResult settings, conn_->Exec("SELECT current_setting('server_encoding'), "
                                                  "current_setting('wal_level')",
                                                  "reading server settings"));
  if (settings.Value(0, 0) != "UTF8") {
    return Status::FailedPrecondition("postgres-cdc needs a UTF8 database; server_encoding is " +
                                      std::string(settings.Value(0, 0)));
  }
  if (settings.Value(0, 1) != "logical") {
    return Status::FailedPrecondition("postgres-cdc needs wal_level = logical; the server has " +
                                      std::string(settings.Value(0, 1)) +
                                      " (set it in postgresql.conf and restart PostgreSQL)");
  }
  ASSIGN_OR_RETURN(PgResult rel,
                   conn_->ExecParams("SELECT c.oid, c.relkind FROM pg_catalog.pg_class c "
                                     "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                                     "WHERE n.nspname = $1 AND c.relname = $2",
                                     {nspname_, relname_}, "looking up " + table_name()));
  if (rel.rows() == 0) return Status::NotFound("source table " + table_name() + " does not exist");
  if (rel.Value(0, 1) != "r") {
    return Status::FailedPrecondition("source table " + table_name() +
                                      " is not an ordinary table (relkind " +
                                      std::string(rel.Value(0, 1)) + ")");
  }
  const std::string oid(rel.Value(0, 0));
  relation_oid_ = static_cast<uint32_t>(std::stoul(oid));
  // The primary key, or else the replica identity index, in index column order.
  key_columns_.clear();
  for (const char* which : {"indisprimary", "indisreplident"}) {
    const std::string sql =
        "SELECT a.attname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = $1::oid AND i." +
        std::string(which) + " ORDER BY array_position(i.indkey::int2[], a.attnum)";
    ASSIGN_OR_RETURN(PgResult keys,
                     conn_->ExecParams(sql.c_str(), {oid}, "reading the key of " + table_name()));
    for (int r = 0; r < keys.rows(); ++r)
      key_columns_.emplace_back(keys.Value(r, 0));
    if (!key_columns_.empty()) break;
  }
  return Status::OK();
}

Status PostgresCdcSource::EnsurePublication() {
  ASSIGN_OR_RETURN(
      PgResult pub,
      conn_->ExecParams(
          "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1), "
          "EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables "
          "WHERE pubname = $1 AND schemaname = $2 AND tablename = $3)",
          {options_.publication, nspname_, relname_},
          "looking up publication " + options_.publication));
  if (pub.Value(0, 0) == "t") {
    if (pub.Value(0, 1) == "t") return Status::OK();
    return Status::FailedPrecondition("publication " + options_.publication +
                                      " exists but does not include " + table_name() +
                                      " (ALTER PUBLICATION ... ADD TABLE, or name another one)");
  }
  return conn_
      ->Exec("CREATE PUBLICATION " + conn_->QuoteIdent(options_.publication) + " FOR TABLE " +
                 conn_->QuoteIdent(nspname_) + "." + conn_->QuoteIdent(relname_),
             "creating publication " + options_.publication)
      .status();
}

Status PostgresCdcSource::EnsureSlot() {
  ASSIGN_OR_RETURN(PgResult slot,
                   conn_->ExecParams("SELECT plugin, slot_type, database = current_database(), "
                                     "coalesce(confirmed_flush_lsn::text, '') "
                                     "FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
                                     {options_.slot}, "looking up slot " + options_.slot));
  if (slot.rows() == 0) return CreateSlot();
  if (slot.Value(0, 1) != "logical" || slot.Value(0, 0) != "pgoutput" || slot.Value(0, 2) != "t") {
    return Status::FailedPrecondition("replication slot " + options_.slot +
                                      " exists but is not a logical pgoutput slot of this "
                                      "database (plugin " +
                                      std::string(slot.Value(0, 0)) + ")");
  }
  ASSIGN_OR_RETURN(confirmed_at_open_, ParseLsn(slot.Value(0, 3)));
  return Status::OK();
}

Status PostgresCdcSource::CreateSlot() {
  ASSIGN_OR_RETURN(PgResult created,
                   repl_->Exec("CREATE_REPLICATION_SLOT " + repl_->QuoteIdent(options_.slot) +
                                   " LOGICAL pgoutput EXPORT_SNAPSHOT",
                               "creating replication slot " + options_.slot));
  ASSIGN_OR_RETURN(consistent_point_, ParseLsn(created.Value(0, 1)));
  snapshot_name_ = created.Value(0, 2);
  slot_created_ = true;
  confirmed_at_open_ = acked_ = consistent_point_;
  return Status::OK();
}

Status PostgresCdcSource::RecreateSlot() {
  if (!repl_ || streamed_) return Status::FailedPrecondition("RecreateSlot needs a fresh Open()");
  RETURN_IF_ERROR(repl_
                      ->Exec("DROP_REPLICATION_SLOT " + repl_->QuoteIdent(options_.slot) + " WAIT",
                             "dropping replication slot " + options_.slot)
                      .status());
  acked_ = 0;
  return CreateSlot();
}

// --- Rows, keys, envelopes ---

Status PostgresCdcSource::Emit(log::Operation op, std::string_view before, std::string_view after,
                               std::string key, std::vector<std::string> omitted,
                               const CdcCallbacks& callbacks) {
  CdcRecord record;
  record.op = op;
  record.key = std::move(key);
  record.envelope = BuildEnvelope(log::OperationLetter(op), before, after, txn_source_, omitted);
  record.schema_version = version_;
  record.position = {begin_.final_lsn, false, index_in_txn_++};
  if (!omitted.empty()) {
    stats_.unchanged_toast += omitted.size();
    std::string names;
    for (const std::string& n : omitted)
      names += (names.empty() ? "" : ", ") + n;
    Report("unchanged TOAST value(s) of " + names + " omitted from the update at " +
           record.SourcePosition() + " (REPLICA IDENTITY FULL would include them)");
  }
  record.unchanged_toast = std::move(omitted);
  ++stats_.records;
  ++txn_records_;
  return callbacks.on_record(record);
}

// --- Snapshot ---

Result<std::vector<PgColumn>> PostgresCdcSource::ReadColumns() {
  ASSIGN_OR_RETURN(
      PgResult res,
      conn_->ExecParams("SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull "
                        "FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::oid "
                        "AND a.attnum > 0 AND NOT a.attisdropped "
                        "AND a.attgenerated = '' ORDER BY a.attnum",
                        {std::to_string(relation_oid_)}, "reading the columns of " + table_name()));
  std::vector<PgColumn> columns;
  for (int r = 0; r < res.rows(); ++r) {
    PgColumn c;
    c.name = res.Value(r, 0);
    c.type_oid = static_cast<uint32_t>(std::stoul(std::string(res.Value(r, 1))));
    c.type_modifier = std::stoi(std::string(res.Value(r, 2)));
    c.key = std::find(key_columns_.begin(), key_columns_.end(), c.name) != key_columns_.end();
    c.nullable = res.Value(r, 3) != std::string_view("t");
    columns.push_back(std::move(c));
  }
  return columns;
}

Result<uint64_t> PostgresCdcSource::Snapshot(
    const std::function<Status(const CdcRecord&)>& on_record) {
  if (!snapshot_available()) {
    return Status::FailedPrecondition("no snapshot to read: slot " + options_.slot +
                                      " existed before Open, or its snapshot was read");
  }
  RETURN_IF_ERROR(conn_
                      ->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                             "starting the snapshot transaction")
                      .status());
  RETURN_IF_ERROR(conn_
                      ->Exec("SET TRANSACTION SNAPSHOT " + conn_->QuoteLiteral(snapshot_name_),
                             "importing the snapshot of slot " + options_.slot)
                      .status());
  snapshot_name_.clear();
  ASSIGN_OR_RETURN(std::vector<PgColumn> read, ReadColumns());
  format_ = RowFormat(read, key_columns_);
  schemas_ = {SchemaVersion{1, std::move(read)}};
  version_ = 1;

  std::string select = "SELECT ";
  const std::vector<PgColumn>& columns = format_.columns();
  for (size_t i = 0; i < columns.size(); ++i)
    select += (i > 0 ? ", " : "") + conn_->QuoteIdent(columns[i].name);
  select += " FROM ONLY " + conn_->QuoteIdent(nspname_) + "." + conn_->QuoteIdent(relname_);
  PGconn* pg = conn_->get();
  if (!PQsendQuery(pg, select.c_str()) || !PQsetSingleRowMode(pg)) {
    return conn_->Error("reading the snapshot of " + table_name(), nullptr);
  }

  // Rows are emitted one behind, so that the last one can be marked.
  CdcRecord pending;
  bool have_pending = false;
  uint64_t rows = 0;
  auto emit_pending = [&](bool last) {
    const std::string source =
        BuildSource(consistent_point_, last ? "\"snapshot\":\"last\"," : "\"snapshot\":\"true\",",
                    nspname_, relname_);
    pending.envelope = BuildEnvelope('r', "null", pending.envelope, source, {});
    pending.snapshot_last = last;
    return on_record(pending);
  };
  Status status;
  Tuple tuple;
  while (true) {
    PgResult res(PQgetResult(pg));
    if (res.get() == nullptr) break;
    const ExecStatusType st = PQresultStatus(res.get());
    if (st == PGRES_TUPLES_OK) continue;  // the end of the rows
    if (st != PGRES_SINGLE_TUPLE) {
      status = conn_->Error("reading the snapshot of " + table_name(), res.get());
      break;
    }
    if (have_pending) {
      status = emit_pending(false);
      if (!status.ok()) break;
    }
    tuple.resize(columns.size());
    for (size_t c = 0; c < columns.size(); ++c) {
      const int col = static_cast<int>(c);
      tuple[c].kind = res.IsNull(0, col) ? TupleValue::Kind::kNull : TupleValue::Kind::kText;
      tuple[c].text = res.Value(0, col);
    }
    pending = CdcRecord();
    pending.op = log::Operation::kSnapshotRead;
    pending.key = format_.Key(tuple);
    format_.AppendRow(&pending.envelope, tuple, /*key_only=*/false, nullptr, nullptr);  // "after"
    pending.schema_version = 1;
    pending.position = {consistent_point_, true, rows++};
    have_pending = true;
  }
  if (status.ok() && have_pending) status = emit_pending(true);
  if (!status.ok()) {
    conn_.reset();  // abandons the query and the transaction; Open() starts over
    return status;
  }
  RETURN_IF_ERROR(conn_->Exec("COMMIT", "ending the snapshot transaction").status());
  return rows;
}

// --- Stream ---

Status PostgresCdcSource::StartReplication() {
  const std::string command = "START_REPLICATION SLOT " + repl_->QuoteIdent(options_.slot) +
                              " LOGICAL 0/0 (proto_version '1', publication_names " +
                              repl_->QuoteLiteral(repl_->QuoteIdent(options_.publication)) + ")";
  const auto deadline = Clock::now() + options_.slot_busy_wait;
  while (true) {
    PgResult res(PQexec(repl_->get(), command.c_str()));
    if (PQresultStatus(res.get()) == PGRES_COPY_BOTH) break;
    const char* state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
    if (state != nullptr && std::string_view(state) == kObjectInUse && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    return repl_->Error("starting replication from slot " + options_.slot, res.get());
  }
  copy_both_ = true;
  last_status_ = Clock::now();
  return Status::OK();
}

Status PostgresCdcSource::Stream(const CdcCallbacks& callbacks, const std::atomic<bool>& stop) {
  if (!repl_) return Status::FailedPrecondition("the source is not open");
  if (streamed_) return Status::FailedPrecondition("Stream already ran; Open() again first");
  streamed_ = true;
  snapshot_name_.clear();  // the next replication command ends the exported snapshot
  RETURN_IF_ERROR(StartReplication());
  PGconn* pg = repl_->get();
  auto lost = [&](std::string_view what) {
    copy_both_ = false;
    return Status::IOError("replication stream of slot " + options_.slot + " " + std::string(what) +
                           ": " + PQerrorMessage(pg));
  };
  while (!stop.load(std::memory_order_relaxed)) {
    char* buf = nullptr;
    const int n = PQgetCopyData(pg, &buf, /*async=*/1);
    if (n > 0) {
      Status st = HandleCopyData(std::string_view(buf, static_cast<size_t>(n)), callbacks);
      PQfreemem(buf);
      RETURN_IF_ERROR(st);
      continue;
    }
    if (n == -2) return lost("failed");
    if (n == -1) {  // the server ended the copy (e.g. it is shutting down)
      PgResult res(PQgetResult(pg));
      return lost("ended");
    }
    if (callbacks.on_idle) RETURN_IF_ERROR(callbacks.on_idle());
    if (Clock::now() - last_status_ >= options_.status_interval) RETURN_IF_ERROR(SendStatus(false));
    pollfd fd{PQsocket(pg), POLLIN, 0};
    ::poll(&fd, 1, static_cast<int>(options_.poll_interval.count()));
    if (!PQconsumeInput(pg)) return lost("failed");
  }
  return Status::OK();
}

Status PostgresCdcSource::HandleCopyData(std::string_view data, const CdcCallbacks& callbacks) {
  if (data.empty()) return Status::Corruption("empty message in the replication stream");
  if (data[0] == 'k') {
    pgoutput::Keepalive keepalive;
    RETURN_IF_ERROR(pgoutput::ParseKeepalive(data, &keepalive));
    return OnKeepalive(keepalive);
  }
  pgoutput::XLogData xlog;
  RETURN_IF_ERROR(pgoutput::ParseXLogData(data, &xlog));
  received_ = std::max(received_, xlog.wal_end);
  Status st = pgoutput::Decode(xlog.payload, &message_);
  if (!st.ok()) return st.WithContext("slot " + options_.slot + " at " + FormatLsn(xlog.start));
  return HandleMessage(callbacks);
}

Status PostgresCdcSource::OnKeepalive(const pgoutput::Keepalive& keepalive) {
  received_ = std::max(received_, keepalive.wal_end);
  // Everything delivered is acknowledged and no transaction is open: the WAL up to the
  // server's sent position holds nothing more for this table (a transaction the server is
  // about to send commits at or after that position, so it is not skipped).
  if (!in_txn_ && acked_ >= delivered_end_) acked_ = std::max(acked_, keepalive.wal_end);
  if (keepalive.reply_requested) return SendStatus(false);
  return Status::OK();
}

Status PostgresCdcSource::HandleMessage(const CdcCallbacks& callbacks) {
  switch (message_.type) {
    case MessageType::kBegin:
      in_txn_ = true;
      begin_ = message_.begin;
      index_in_txn_ = txn_records_ = 0;
      txn_source_ = BuildSource(
          begin_.final_lsn,
          "\"txid\":" + std::to_string(begin_.xid) + ",\"commit_time\":\"" +
              FormatTimestamp(begin_.commit_time + pgoutput::kPgEpochUnixMicros) + "\",",
          nspname_, relname_);
      return Status::OK();
    case MessageType::kCommit: {
      in_txn_ = false;
      delivered_end_ = message_.commit.end_lsn;
      ++stats_.transactions;
      if (!callbacks.on_commit) return Status::OK();
      return callbacks.on_commit(
          {message_.commit.commit_lsn, message_.commit.end_lsn, begin_.xid, txn_records_});
    }
    case MessageType::kRelation:
      if (message_.relation.oid != relation_oid_) return Status::OK();
      return OnRelation(message_.relation);
    case MessageType::kInsert:
    case MessageType::kUpdate:
    case MessageType::kDelete:
      if (message_.change.relation_oid != relation_oid_) return Status::OK();
      return OnChange(message_.type, callbacks);
    case MessageType::kTruncate: {
      const auto& oids = message_.truncate.relation_oids;
      if (std::find(oids.begin(), oids.end(), relation_oid_) != oids.end()) {
        ++stats_.truncates;
        Report("TRUNCATE in the transaction committing at " + FormatLsn(begin_.final_lsn) +
               " is not captured: bronze keeps the rows it had");
      }
      return Status::OK();
    }
    default:  // Type, Origin, logical messages: nothing to capture
      return Status::OK();
  }
}

Status PostgresCdcSource::OnRelation(const pgoutput::Relation& relation) {
  std::vector<PgColumn> columns;
  for (const pgoutput::RelationColumn& rc : relation.columns) {
    const bool key =
        std::find(key_columns_.begin(), key_columns_.end(), rc.name) != key_columns_.end();
    // Relation messages do not say whether a column may be null: keep what the latest
    // version says, and take a new column as nullable unless it is part of the key.
    bool nullable = !key;
    if (!schemas_.empty()) {
      for (const PgColumn& c : schemas_.back().columns) {
        if (c.name == rc.name) nullable = c.nullable;
      }
    }
    columns.push_back({rc.name, rc.type_oid, rc.type_modifier, key, nullable});
  }
  uint32_t version = 0;
  for (auto it = schemas_.rbegin(); it != schemas_.rend() && version == 0; ++it) {
    if (SameColumns(it->columns, columns)) version = it->version;
  }
  if (version == 0) {
    version = schemas_.empty() ? 1 : schemas_.back().version + 1;
    std::string names;
    for (const PgColumn& c : columns)
      names += (names.empty() ? "" : ", ") + c.name;
    schemas_.push_back({version, columns});
    if (version > 1) Report("schema version " + std::to_string(version) + ": " + names);
  }
  format_ = RowFormat(std::move(columns), key_columns_);
  version_ = version;
  have_relation_ = true;
  return Status::OK();
}

Status PostgresCdcSource::OnChange(MessageType type, const CdcCallbacks& callbacks) {
  const pgoutput::Change& ch = message_.change;
  const size_t n = format_.columns().size();
  if (!have_relation_ || (type != MessageType::kDelete && ch.new_tuple.size() != n) ||
      (ch.old_kind != 0 && ch.old_tuple.size() != n)) {
    return Status::Corruption("slot " + options_.slot + ": a change of " + table_name() +
                              " does not match its relation message");
  }
  const Tuple* full_old = ch.old_kind == 'O' ? &ch.old_tuple : nullptr;
  std::string before, after;
  std::vector<std::string> omitted;
  if (type == MessageType::kInsert) {
    format_.AppendRow(&after, ch.new_tuple, false, nullptr, &omitted);
    return Emit(log::Operation::kInsert, "null", after, format_.Key(ch.new_tuple),
                std::move(omitted), callbacks);
  }
  if (type == MessageType::kDelete && ch.old_kind == 0) {  // REPLICA IDENTITY NOTHING
    return Emit(log::Operation::kDelete, "null", "null", "", {}, callbacks);
  }
  // The old image: the whole row (REPLICA IDENTITY FULL), the old key (sent when the key
  // changed), or, for an update that sent neither, the key columns of the new row.
  const Tuple& old_image = ch.old_kind != 0 ? ch.old_tuple : ch.new_tuple;
  format_.AppendRow(&before, old_image, /*key_only=*/full_old == nullptr, nullptr, nullptr);
  std::string old_key = format_.Key(old_image);
  if (type == MessageType::kDelete) {
    return Emit(log::Operation::kDelete, before, "null", std::move(old_key), {}, callbacks);
  }
  format_.AppendRow(&after, ch.new_tuple, false, full_old, &omitted);
  std::string new_key = format_.Key(ch.new_tuple);
  if (format_.keyed() && old_key != new_key) {  // the key changed: delete + insert
    RETURN_IF_ERROR(
        Emit(log::Operation::kDelete, before, "null", std::move(old_key), {}, callbacks));
    return Emit(log::Operation::kInsert, "null", after, std::move(new_key), std::move(omitted),
                callbacks);
  }
  return Emit(log::Operation::kUpdate, before, after, std::move(new_key), std::move(omitted),
              callbacks);
}

// --- Acknowledgement ---

Status PostgresCdcSource::SendStatus(bool reply_requested) {
  if (!copy_both_) return Status::OK();
  const std::string msg =
      pgoutput::EncodeStandbyStatus(std::max(received_, acked_), acked_, acked_,
                                    NowMicros() - pgoutput::kPgEpochUnixMicros, reply_requested);
  PGconn* pg = repl_->get();
  if (PQputCopyData(pg, msg.data(), static_cast<int>(msg.size())) != 1 || PQflush(pg) != 0) {
    copy_both_ = false;
    return Status::IOError("sending a status update for slot " + options_.slot + ": " +
                           PQerrorMessage(pg));
  }
  last_status_ = Clock::now();
  return Status::OK();
}

Status PostgresCdcSource::Acknowledge(Lsn lsn) {
  if (lsn <= acked_) return Status::OK();
  acked_ = lsn;
  return SendStatus(false);
}

void PostgresCdcSource::Close() {
  if (repl_ && copy_both_ && PQstatus(repl_->get()) == CONNECTION_OK) {
    // The server reads this before it sees the connection close.
    (void)SendStatus(false);
  }
  copy_both_ = false;
  repl_.reset();
  conn_.reset();
}

}  // namespace strata::connect
