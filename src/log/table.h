// A bronze table: N partitions and the group commit that makes appends durable.
//
// Group commit (LevelDB's writer queue): producers queue their records; the producer at the
// head of the queue becomes the leader, takes every queued request (up to a size bound),
// encodes them into one batch per partition, writes the batches, fdatasyncs each partition
// written, and then wakes every producer of the group. Many concurrent producers thus share
// one fdatasync per partition, and Append returns only after its records are durable.
//
// Failure: if a write or fdatasync fails, the table stops accepting appends (every later
// Append fails with the original error). After a failed fdatasync the kernel may have
// dropped the dirty pages, so retrying could acknowledge lost data (PostgreSQL's fsync
// lesson); reopening the store runs recovery, which trusts only what is on disk. One
// exception: a write refused for want of space (kNoSpace) before any fdatasync of the group
// fails that group only: the partitions drop the bytes it wrote and later appends succeed
// once space returns. (Records a segment roll synced before the failure stay stored,
// unacknowledged, as after a crash at that point.)
//
// Thread safety: Append and TryAppend may be called from any number of threads.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/file_system.h"
#include "log/batch.h"
#include "log/partition.h"
#include "log/record.h"

namespace strata::log {

constexpr uint32_t kMaxPartitions = 4096;

// The retention hook: the first offset of (table, partition) that something still needs
// (a checkpoint, a replay, a consumer). Retention never removes it or anything after it.
// Unset, nothing is pinned.
using RetentionPin = std::function<uint64_t(const std::string& table, uint32_t partition)>;

// What a table is, persisted in its TABLE file when it is created.
struct TableConfig {
  uint32_t partitions = 4;
  std::string key_field;  // JSON field holding the record key; empty = no key
  // How payloads are read: "json" (an object per record) or "debezium" (change envelopes,
  // whose key is read from "after", or "before" for a delete), or "side" (an internal side
  // log, serve/side_log.h). Set by the pipeline that declares the table, or by strata for
  // its own; the log itself does not interpret it.
  std::string payload_format = "json";
  Codec codec = Codec::kNone;
  uint64_t segment_bytes = 128u << 20;
  uint32_t index_interval_bytes = 4096;
  // Applied automatically whenever a partition rolls to a new segment (and on demand with
  // Store::ApplyRetention). Zero fields mean unlimited.
  RetentionPolicy retention;
  Micros created = 0;

  std::string Encode() const;
  static Result<TableConfig> Decode(std::string_view text, const std::string& path);
};

// Where one Append's records went: per partition, the first offset (-1 if none) and count.
struct AppendAck {
  std::vector<int64_t> first_offsets;
  std::vector<uint32_t> counts;
};

struct CommitOptions {
  size_t max_group_bytes = 32u << 20;   // bytes of records one group commit takes at most
  size_t max_batch_bytes = 1u << 20;    // a batch body is cut when it exceeds this
  size_t max_queued_bytes = 64u << 20;  // TryAppend refuses (kBusy) past this backlog
};

class Table {
 public:
  static Result<std::unique_ptr<Table>> Open(FileSystem* fs, const std::string& dir,
                                             std::string name, const TableConfig& config,
                                             const CommitOptions& commit, bool read_only,
                                             std::vector<std::string>* report);
  ~Table();

  const std::string& name() const { return name_; }
  const TableConfig& config() const { return config_; }
  uint32_t partition_count() const { return static_cast<uint32_t>(partitions_.size()); }
  const Partition& partition(uint32_t i) const { return *partitions_[i]; }

  // Appends records (each names its partition, < partition_count()) durably, in order per
  // partition. Blocks until they are durable or the append failed; fills *ack on success.
  Status Append(std::span<const AppendRecord> records, AppendAck* ack);
  // As Append, but fails at once with kBusy when the queue already holds more than
  // CommitOptions::max_queued_bytes (backpressure for servers).
  Status TryAppend(std::span<const AppendRecord> records, AppendAck* ack);

  // Applies the retention policy to every partition, keeping every offset >= pin(name, p).
  Result<uint32_t> ApplyRetention(const RetentionPolicy& policy, Micros now,
                                  const RetentionPin& pin);
  // The pin consulted by the automatic retention of config().retention.
  void SetRetentionPin(RetentionPin pin);
  // The outcome of the last automatic retention (its failure never fails an append: the
  // records are durable either way).
  Status last_retention_status();

 private:
  struct Writer;
  Table(std::string name, TableConfig config, CommitOptions commit, bool read_only);
  Status AppendImpl(std::span<const AppendRecord> records, AppendAck* ack, bool bounded);
  Status WriteGroup(const std::vector<Writer*>& group, bool* sync_started);
  bool RecoverFromFullDisk(Status* error);
  Status FlushBatch(uint32_t partition, BatchBuilder* builder, std::vector<bool>* dirty);
  Status SyncPartitions(const std::vector<bool>& dirty);
  void RetainAfterRoll();

  const std::string name_;
  const TableConfig config_;
  const CommitOptions commit_;
  const bool read_only_;
  std::vector<std::unique_ptr<Partition>> partitions_;

  absl::Mutex mu_;
  std::deque<Writer*> queue_ ABSL_GUARDED_BY(mu_);  // the head is the leader
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  Status failed_ ABSL_GUARDED_BY(mu_);  // sticky: set when a write or sync failed
  RetentionPin pin_ ABSL_GUARDED_BY(mu_);
  Status retention_status_ ABSL_GUARDED_BY(mu_);

  // Leader-only scratch, reused across groups.
  std::vector<BatchBuilder> builders_;
  std::string encoded_;
};

}  // namespace strata::log
