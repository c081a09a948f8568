#include "connect/cdc_ingest.h"

#include <simdjson.h>

#include <optional>
#include <thread>
#include <vector>

#include "common/hash.h"
#include "log/reader.h"

namespace strata::connect {
namespace {

using Clock = std::chrono::steady_clock;

// Whether a stored envelope is the snapshot's last record.
bool IsSnapshotLast(std::string_view payload) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(payload);
  std::string_view marker;
  simdjson::dom::element root;
  if (parser.parse(padded).get(root)) return false;
  return !root["source"]["snapshot"].get_string().get(marker) && marker == "last";
}

class CdcIngest {
 public:
  CdcIngest(log::Table* table, PostgresCdcSource* source, const CdcIngestOptions& options)
      : table_(table),
        source_(source),
        options_(options),
        fs_(options.fs ? options.fs : FileSystem::Default()),
        source_name_("postgres:" + source->table_name()),
        tails_(table->partition_count()) {}

  Result<CdcIngestStats> Run();

 private:
  struct Pending {
    uint32_t partition;
    std::string key, payload, position;
    log::Operation op;
    uint32_t schema_version;
  };

  Status ReadTails();
  Status Prepare();
  Status Snapshot();
  Status StreamWithReconnects();
  Status Reconnect(const Status& cause);
  Status OnRecord(const CdcRecord& record, bool dedupe);
  Status Flush();
  void Report(const std::string& message) {
    if (options_.report) options_.report(table_->name() + ": " + message);
  }
  bool stopped() const { return options_.stop->load(std::memory_order_relaxed); }

  log::Table* const table_;
  PostgresCdcSource* const source_;
  const CdcIngestOptions& options_;
  FileSystem* const fs_;
  const std::string source_name_;

  std::vector<std::optional<CdcPosition>> tails_;  // last stored position per partition
  bool has_records_ = false;
  bool snapshot_complete_ = false;
  std::vector<SchemaVersion> persisted_;  // what the history file holds
  std::vector<Pending> pending_;
  Lsn last_commit_end_ = 0;  // of the last transaction delivered
  Status sink_error_;        // the failure of an append or of the history file
  CdcIngestStats stats_;
};

Status CdcIngest::ReadTails() {
  for (uint32_t p = 0; p < table_->partition_count(); ++p) {
    const log::Partition& partition = table_->partition(p);
    const uint64_t end = partition.end_offset();
    if (end == partition.start_offset()) continue;
    log::PartitionReader reader(partition, end - 1);
    log::RecordView record;
    ASSIGN_OR_RETURN(bool found, reader.Next(&record));
    if (!found) continue;
    auto pos = CdcPosition::Parse(record.source_position);
    if (record.source != source_name_ || !pos.ok()) {
      return Status::FailedPrecondition(
          "bronze table " + table_->name() + " partition " + std::to_string(p) +
          " ends with a record that is not from " + source_name_ + " (source \"" +
          std::string(record.source) + "\", position \"" + std::string(record.source_position) +
          "\")");
    }
    tails_[p] = *pos;
    has_records_ = true;
    if (!pos->snapshot || IsSnapshotLast(record.payload)) snapshot_complete_ = true;
  }
  return Status::OK();
}

// Decides between snapshot and resume, and restores the schema versions.
Status CdcIngest::Prepare() {
  RETURN_IF_ERROR(ReadTails());
  if (!has_records_) return Snapshot();
  if (!snapshot_complete_) {
    return Status::FailedPrecondition(
        "bronze table " + table_->name() + " holds an incomplete initial snapshot of " +
        source_->table_name() +
        " (the process stopped before its last record was stored); recreate the bronze "
        "table to take the snapshot again");
  }
  if (source_->slot_created()) {
    return Status::FailedPrecondition(
        "replication slot of " + source_->table_name() + " did not exist although bronze table " +
        table_->name() +
        " already holds its records: changes may have been lost; recreate the bronze table "
        "to take a new snapshot");
  }
  ASSIGN_OR_RETURN(auto history, LoadSchemaHistory(fs_, options_.schema_history_path));
  if (!history || history->empty()) {
    return Status::FailedPrecondition("schema history " + options_.schema_history_path +
                                      " of bronze table " + table_->name() + " is missing");
  }
  persisted_ = *history;
  source_->SetKnownSchemas(std::move(*history));
  return Status::OK();
}

Status CdcIngest::Snapshot() {
  if (!source_->snapshot_available()) RETURN_IF_ERROR(source_->RecreateSlot());
  auto rows = source_->Snapshot([this](const CdcRecord& record) -> Status {
    if (!record.snapshot_last) return OnRecord(record, /*dedupe=*/false);
    // The marker is stored only after every other snapshot record is durable.
    RETURN_IF_ERROR(Flush());
    RETURN_IF_ERROR(OnRecord(record, false));
    return Flush();
  });
  RETURN_IF_ERROR(rows.status());
  stats_.snapshot_records = *rows;
  return Flush();
}

Status CdcIngest::OnRecord(const CdcRecord& record, bool dedupe) {
  const uint32_t partition =
      PartitionForKey(record.key.empty() ? std::string_view(record.envelope) : record.key,
                      table_->partition_count());
  if (dedupe && tails_[partition] && record.position <= *tails_[partition]) {
    ++stats_.duplicates_skipped;
    return Status::OK();
  }
  pending_.push_back({partition, record.key, record.envelope, record.SourcePosition(), record.op,
                      record.schema_version});
  tails_[partition] = record.position;
  if (pending_.size() >= options_.max_batch) return Flush();
  return Status::OK();
}

// Appends what is pending (after recording any new schema version), then acknowledges
// every transaction delivered so far: all of their records are now durable.
Status CdcIngest::Flush() {
  if (!pending_.empty()) {
    if (source_->schemas() != persisted_) {
      sink_error_ = SaveSchemaHistory(fs_, options_.schema_history_path, table_->name(),
                                      source_->schemas(), options_.compatibility);
      RETURN_IF_ERROR(sink_error_);
      persisted_ = source_->schemas();
    }
    std::vector<log::AppendRecord> records(pending_.size());
    for (size_t i = 0; i < pending_.size(); ++i) {
      const Pending& p = pending_[i];
      records[i] = {p.partition, p.key, p.payload,        source_name_,
                    p.position,  p.op,  p.schema_version, 0};
    }
    log::AppendAck ack;
    sink_error_ = table_->Append(records, &ack);
    RETURN_IF_ERROR(sink_error_);
    ++stats_.appends;
    for (const Pending& p : pending_) {
      if (p.op != log::Operation::kSnapshotRead) ++stats_.change_records;
    }
    pending_.clear();
  }
  return source_->Acknowledge(last_commit_end_);
}

Status CdcIngest::StreamWithReconnects() {
  CdcCallbacks callbacks;
  callbacks.on_record = [this](const CdcRecord& r) { return OnRecord(r, /*dedupe=*/true); };
  callbacks.on_commit = [this](const CdcCommit& commit) {
    last_commit_end_ = commit.end_lsn;
    ++stats_.transactions;
    // Nothing waits to be stored: the transaction is durable (or was entirely re-delivered).
    return pending_.empty() ? source_->Acknowledge(last_commit_end_) : Status::OK();
  };
  callbacks.on_idle = [this] {
    // Store at transaction boundaries when the stream pauses; a transaction still open
    // waits for its commit (or for a full batch).
    return last_commit_end_ > source_->acknowledged() ? Flush() : Status::OK();
  };
  while (true) {
    Status streamed = source_->Stream(callbacks, *options_.stop);
    // Storing failed: the table refuses appends until it is reopened (table.h).
    RETURN_IF_ERROR(sink_error_);
    RETURN_IF_ERROR(Flush());  // what arrived is stored even when the connection broke
    if (streamed.ok()) return Status::OK();
    RETURN_IF_ERROR(Reconnect(streamed));
    if (stopped()) return Status::OK();
  }
}

Status CdcIngest::Reconnect(const Status& cause) {
  if (cause.code() != StatusCode::kIOError || options_.reconnect_for.count() == 0) return cause;
  Report(cause.message() + "; reconnecting");
  const auto deadline = Clock::now() + options_.reconnect_for;
  auto backoff = std::chrono::milliseconds(50);
  while (!stopped()) {
    Status opened = source_->Open();
    if (opened.ok()) {
      ++stats_.reconnects;
      if (!source_->slot_created()) return Status::OK();
      return Status::FailedPrecondition("replication slot of " + source_->table_name() +
                                        " disappeared while streaming; changes may have been "
                                        "lost");
    }
    if (opened.code() != StatusCode::kIOError || Clock::now() >= deadline) return opened;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
  }
  return Status::OK();
}

Result<CdcIngestStats> CdcIngest::Run() {
  if (options_.stop == nullptr || options_.schema_history_path.empty() || options_.max_batch == 0) {
    return Status::InvalidArgument(
        "RunCdcIngest needs a stop flag, a schema history path and "
        "max_batch > 0");
  }
  RETURN_IF_ERROR(Prepare());
  RETURN_IF_ERROR(StreamWithReconnects());
  stats_.acknowledged = source_->acknowledged();
  if (!source_->schemas().empty()) stats_.schema_version = source_->schemas().back().version;
  return stats_;
}

}  // namespace

Result<CdcIngestStats> RunCdcIngest(log::Table* table, PostgresCdcSource* source,
                                    const CdcIngestOptions& options) {
  CdcIngest ingest(table, source, options);
  return ingest.Run();
}

}  // namespace strata::connect
