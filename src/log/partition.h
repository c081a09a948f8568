// A partition: an ordered, append-only sequence of records, stored as segment files in one
// directory. Offsets start at 0 and have no gaps; retention removes whole segments from the
// front, so the first readable offset (start_offset) can grow.
//
// Threading: writing (Append, Sync) is done by one thread at a time, the owning table's
// commit leader. Everything else is safe from any thread, concurrently with writing.
// Readers see only durable records: a record becomes visible when Sync() has made it so.
//
// Recovery (Open): sealed segments are trusted through their index files (rebuilt when
// missing, stale or corrupt); the last segment is scanned batch by batch and truncated at the
// first batch that fails its checks (a torn tail from a crash). Every repair is reported. A
// sealed segment that fails its checks is never truncated (later records were acknowledged):
// its bad range is fenced off and reads reaching it fail with kCorruption.
//
// Example: segments 0.log (offsets 0..99, sealed) and 100.log (offsets 100..149, active, plus
// half a batch torn by a crash). Open truncates 100.log after offset 149, reports the bytes
// cut, and the next append gets offset 150.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/file_system.h"
#include "common/status.h"
#include "log/batch.h"
#include "log/segment.h"

namespace strata::log {

struct PartitionOptions {
  uint64_t segment_bytes = 128u << 20;  // roll to a new segment past this size
  uint32_t index_interval_bytes = 4096;
  bool read_only = false;  // no lock, no repairs on disk: recovery happens in memory only
};

struct PartitionStats {
  uint32_t id = 0;
  uint64_t start_offset = 0;
  uint64_t end_offset = 0;
  uint64_t bytes = 0;
  uint32_t segments = 0;
  Micros max_ts = 0;
};

struct RetentionPolicy {
  uint64_t max_bytes = 0;  // per partition; 0 = unlimited
  Micros max_age = 0;      // by a segment's newest ingest time; 0 = unlimited
};

// Where a reader should read next.
struct ReadLocation {
  std::shared_ptr<RandomAccessFile> file;
  std::string path;
  uint64_t position = 0;     // a batch boundary
  uint64_t limit_bytes = 0;  // durable bytes of the segment
  uint64_t corrupt_from = UINT64_MAX;
  uint64_t end_offset = 0;  // one past the segment's last durable record
};

class Partition {
 public:
  // Opens (creating if absent, unless read-only) the partition stored in `dir`. Repairs are
  // appended to *report as sentences.
  static Result<std::unique_ptr<Partition>> Open(FileSystem* fs, std::string dir, uint32_t id,
                                                 const PartitionOptions& options,
                                                 std::vector<std::string>* report);
  ~Partition();

  uint32_t id() const { return id_; }

  // --- Writing (the commit leader only). ---
  // The offset the next appended record gets.
  uint64_t next_offset() const { return next_offset_; }
  // The largest ingest time appended so far; new records never get a smaller one.
  Micros last_ts() const { return last_ts_; }
  // Writes an encoded batch whose base offset is next_offset() (not yet durable), rolling to
  // a new segment first when the active one is full.
  Status Append(std::string_view batch, const BatchHeader& header);
  // Makes everything appended durable, then visible to readers.
  Status Sync();
  // Drops what was appended since the last Sync (the bytes a failed write left in the
  // active segment): the partition is as it was after that Sync, ready for new appends.
  // Fails once any Sync has failed (a roll syncs too).
  Status DiscardUnsynced();
  // True (once) if Append started a new segment since the last call.
  bool TakeRolled() { return std::exchange(rolled_, false); }

  // --- Reading (any thread). ---
  uint64_t start_offset() const;
  uint64_t end_offset() const;  // one past the last durable record
  // The segment and position from which `offset` can be read. kOutOfRange when offset is
  // below start_offset (removed by retention); at or past end_offset the location is empty
  // (limit_bytes == position).
  Result<ReadLocation> Locate(uint64_t offset) const;
  // An offset at or before the first record with ingest time >= t (end_offset when none).
  uint64_t SeekOffsetForTime(Micros t) const;
  PartitionStats Stats() const;

  // Removes whole sealed segments, oldest first, while the policy asks for it, but never one
  // holding an offset >= pin_offset (a checkpoint or a consumer still needs it). Returns the
  // number of segments removed.
  Result<uint32_t> ApplyRetention(const RetentionPolicy& policy, Micros now, uint64_t pin_offset);

 private:
  Partition(FileSystem* fs, std::string dir, uint32_t id, const PartitionOptions& options);
  Status Recover(std::vector<std::string>* report);
  Status RecoverSealed(SegmentMeta* seg, std::vector<std::string>* report);
  Status RecoverActive(SegmentMeta* seg, std::vector<std::string>* report);
  Status Roll();
  Status CreateSegment(uint64_t base_offset);
  ReadLocation LocationIn(const SegmentMeta& seg, uint64_t position) const;

  FileSystem* const fs_;
  const std::string dir_;
  const uint32_t id_;
  const PartitionOptions options_;

  // Writer state (commit leader only).
  std::unique_ptr<WritableFile> active_;
  uint64_t active_base_ = 0;  // the active segment's base offset
  uint64_t next_offset_ = 0;
  Micros last_ts_ = 0;
  uint64_t last_indexed_position_ = 0;
  bool rolled_ = false;
  bool sync_failed_ = false;               // DiscardUnsynced refuses then
  std::vector<IndexEntry> pending_index_;  // entries of batches appended but not yet synced

  mutable absl::Mutex mu_;  // guards segments_ and the SegmentMeta they point to
  // By base offset; the last is active.
  std::vector<std::shared_ptr<SegmentMeta>> segments_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::log
