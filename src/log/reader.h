// Sequential reading of one partition, from an offset or from a point in time.
//
// A reader returns durable records only, in offset order, each exactly once; it checks
// every batch's checksum and structure before returning any of its records, so corrupt
// bytes are reported (kCorruption, naming file and byte position) and never served. A reader
// that reached the end returns more records once more become durable.
//
// Not thread-safe; use one reader per thread. Records stay valid until the next call.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "log/partition.h"
#include "log/record.h"

namespace strata::log {

class PartitionReader {
 public:
  // Reads records with offset >= from. A `from` below the partition's start offset fails on
  // the first Next with kOutOfRange.
  PartitionReader(const Partition& partition, uint64_t from);
  // Reads records with ingest_time >= t.
  static PartitionReader AtTime(const Partition& partition, Micros t);

  // Stores the next record in *record and returns true, or returns false at the end of
  // the durable records.
  Result<bool> Next(RecordView* record);
  // The next records, at most max_records and all from one stored batch (so possibly
  // fewer), or an empty span at the end of the durable records. Valid until the next call.
  Result<std::span<const RecordView>> NextBatch(size_t max_records);
  // The offset the next record will have, at least.
  uint64_t position() const { return next_offset_; }

 private:
  Result<bool> Fill();  // decodes batches until a record is ready; false at the end
  Status Locate();
  Status ReadBatch();
  Status EnsureBuffered(uint64_t position, size_t n);

  const Partition& partition_;
  uint64_t next_offset_;
  Micros min_ts_ = std::numeric_limits<Micros>::min();
  bool located_ = false;
  ReadLocation loc_;
  std::string buf_;
  uint64_t buf_pos_ = 0;  // file position of buf_[0]
  std::string scratch_;
  std::vector<RecordView> records_;
  size_t next_record_ = 0;
};

}  // namespace strata::log
