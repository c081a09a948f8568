// A segment: one file of consecutive record batches of a partition, named after the offset
// of its first record (00000000000000001234.log), and its sparse index (.index).
//
// The index has one entry per indexed batch: (offset - base, file position, batch first_ts).
// An entry is added for the first batch and then for the first batch starting at least
// index_interval_bytes after the previous entry, so finding an offset or a time reads at
// most about index_interval_bytes plus one batch. Ingest times never decrease within a
// partition (the writer enforces it), so the same entries answer time lookups too.
//
// The active (last) segment's index lives in memory and is rebuilt by the recovery scan on
// open. A segment's index file is written, with a CRC32C, when the segment is sealed; on open
// a missing, stale or corrupt index file is detected and rebuilt from the segment.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/file_system.h"
#include "common/status.h"

namespace strata::log {

struct IndexEntry {
  uint32_t relative_offset;
  uint32_t position;
  Micros first_ts;
};

// What is known about a segment. Guarded by its partition's mutex.
struct SegmentMeta {
  uint64_t base_offset = 0;
  uint64_t end_offset = 0;  // one past the last durable record
  uint64_t size_bytes = 0;  // durable bytes; readers never go past them
  Micros max_ts = 0;        // largest ingest time (0 when empty)
  bool sealed = false;
  // For a sealed segment found damaged at open: bytes from here on fail their checks and
  // are never served; reads that reach them fail with kCorruption.
  uint64_t corrupt_from = UINT64_MAX;
  std::vector<IndexEntry> index;
  std::string log_path;
  std::string index_path;
  std::shared_ptr<RandomAccessFile> file;  // opened on first read

  // File position to start reading for `offset`, from the index.
  uint64_t SeekPosition(uint64_t offset) const;
  // Offset of the last indexed batch that starts before time t: the first record with
  // ts >= t is at or after it (ingest times never decrease within a partition).
  uint64_t SeekTimeOffset(Micros t) const;
};

// The result of reading a segment from `position` to its end, checking every batch.
struct ScanResult {
  uint64_t valid_bytes = 0;  // bytes up to the end of the last good batch
  uint64_t end_offset = 0;
  Micros max_ts = 0;
  std::vector<IndexEntry> index;
  Status error;  // why the scan stopped before the end of the file (OK at a clean end)
};

// Scans `file` (of `file_size` bytes) and rebuilds what the index and metadata say.
// Expects the first batch at position 0 to carry `base_offset` and batches to be contiguous.
ScanResult ScanSegment(const RandomAccessFile& file, uint64_t file_size, uint64_t base_offset,
                       uint32_t index_interval_bytes, const std::string& path);

// Index file encoding (see the .cc for the layout).
std::string EncodeIndexFile(const SegmentMeta& meta);
// Loads an index file into meta's index, end_offset and max_ts; fails with kCorruption when
// it does not match the segment (`segment_bytes` is the segment file's size).
Status DecodeIndexFile(std::string_view bytes, uint64_t segment_bytes, SegmentMeta* meta);

}  // namespace strata::log
