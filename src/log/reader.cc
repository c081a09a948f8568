#include "log/reader.h"

#include <algorithm>
#include <cstring>

#include "log/batch.h"

namespace strata::log {
namespace {
constexpr size_t kReadAhead = 1u << 20;
}  // namespace

PartitionReader::PartitionReader(const Partition& partition, uint64_t from)
    : partition_(partition), next_offset_(from) {}

PartitionReader PartitionReader::AtTime(const Partition& partition, Micros t) {
  PartitionReader r(partition, partition.SeekOffsetForTime(t));
  r.min_ts_ = t;
  return r;
}

Status PartitionReader::Locate() {
  Result<ReadLocation> loc = partition_.Locate(next_offset_);
  if (!loc.ok()) return loc.status();
  if (located_ && loc->path == loc_.path) {
    // The same segment grew: keep our place, take the new durable limit.
    loc_.limit_bytes = loc->limit_bytes;
    loc_.end_offset = loc->end_offset;
    if (!loc_.file) loc_.file = loc->file;
  } else {
    loc_ = std::move(*loc);
    buf_.clear();
  }
  located_ = true;
  return Status::OK();
}

Status PartitionReader::EnsureBuffered(uint64_t position, size_t n) {
  if (position >= buf_pos_ && position + n <= buf_pos_ + buf_.size()) return Status::OK();
  // Keep what is already buffered from `position` on; read only the rest (and ahead).
  size_t kept = 0;
  if (position >= buf_pos_ && position < buf_pos_ + buf_.size()) {
    kept = buf_pos_ + buf_.size() - position;
    std::memmove(buf_.data(), buf_.data() + (position - buf_pos_), kept);
  }
  size_t want = std::max(n, kReadAhead);
  want = static_cast<size_t>(std::min<uint64_t>(want, loc_.limit_bytes - position));
  buf_.resize(std::max(want, kept));
  std::string_view got;
  if (want > kept) {
    RETURN_IF_ERROR(loc_.file->Read(position + kept, want - kept, buf_.data() + kept, &got));
  }
  buf_.resize(kept + got.size());
  buf_pos_ = position;
  if (buf_.size() < n) {
    return Status::Corruption(loc_.path + " at byte " + std::to_string(position) +
                              ": file shorter than its durable length");
  }
  return Status::OK();
}

Status PartitionReader::ReadBatch() {
  uint64_t pos = loc_.position;
  auto where = [&] { return loc_.path + " at byte " + std::to_string(pos); };
  if (pos >= loc_.corrupt_from) {
    return Status::Corruption(where() + ": the segment is damaged from here on; offset " +
                              std::to_string(next_offset_) + " cannot be read");
  }
  if (loc_.limit_bytes - pos < kBatchHeaderSize) {
    return Status::Corruption(where() + ": incomplete batch header");
  }
  RETURN_IF_ERROR(EnsureBuffered(pos, kBatchHeaderSize));
  std::string_view header_bytes(buf_.data() + (pos - buf_pos_), kBatchHeaderSize);
  auto header = ParseBatchHeader(header_bytes);
  if (!header.ok()) return header.status().WithContext(where());
  if (header->total_length > loc_.limit_bytes - pos) {
    return Status::Corruption(where() + ": batch runs past the durable end of the segment");
  }
  RETURN_IF_ERROR(EnsureBuffered(pos, header->total_length));
  std::string_view batch(buf_.data() + (pos - buf_pos_), header->total_length);
  if (!BatchChecksumMatches(batch)) return Status::Corruption(where() + ": checksum mismatch");
  if (header->base_offset > next_offset_ || header->end_offset() > loc_.end_offset) {
    return Status::Corruption(
        where() + ": batch holds offsets " + std::to_string(header->base_offset) + ".." +
        std::to_string(header->end_offset()) + ", expected " + std::to_string(next_offset_));
  }
  RETURN_IF_ERROR(DecodeBatch(batch, &scratch_, &records_, where()));
  loc_.position = pos + header->total_length;
  next_record_ = 0;
  while (next_record_ < records_.size() && (records_[next_record_].offset < next_offset_ ||
                                            records_[next_record_].ingest_time < min_ts_)) {
    ++next_record_;
  }
  // Skipped records advance the position too (a time seek skips whole batches).
  next_offset_ =
      std::max(next_offset_, next_record_ < records_.size() ? records_[next_record_].offset
                                                            : header->end_offset());
  return Status::OK();
}

Result<bool> PartitionReader::Fill() {
  while (next_record_ >= records_.size()) {
    if (!located_ || loc_.position >= loc_.limit_bytes) {
      RETURN_IF_ERROR(Locate());
      if (loc_.position >= loc_.limit_bytes) return false;
    }
    RETURN_IF_ERROR(ReadBatch());
  }
  return true;
}

Result<bool> PartitionReader::Next(RecordView* record) {
  ASSIGN_OR_RETURN(bool more, Fill());
  if (!more) return false;
  *record = records_[next_record_++];
  next_offset_ = record->offset + 1;
  min_ts_ = std::numeric_limits<Micros>::min();  // once found, every later record qualifies
  return true;
}

Result<std::span<const RecordView>> PartitionReader::NextBatch(size_t max_records) {
  ASSIGN_OR_RETURN(bool more, Fill());
  if (!more || max_records == 0) return std::span<const RecordView>();
  size_t n = std::min(max_records, records_.size() - next_record_);
  std::span<const RecordView> out(records_.data() + next_record_, n);
  next_record_ += n;
  next_offset_ = out.back().offset + 1;
  min_ts_ = std::numeric_limits<Micros>::min();
  return out;
}

}  // namespace strata::log
