#include "log/segment.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "common/coding.h"
#include "common/crc32c.h"
#include "log/batch.h"

namespace strata::log {

uint64_t SegmentMeta::SeekPosition(uint64_t offset) const {
  // Last entry whose offset is <= the target.
  uint64_t rel = offset <= base_offset ? 0 : offset - base_offset;
  auto it = std::upper_bound(index.begin(), index.end(), rel,
                             [](uint64_t r, const IndexEntry& e) { return r < e.relative_offset; });
  return it == index.begin() ? 0 : std::prev(it)->position;
}

uint64_t SegmentMeta::SeekTimeOffset(Micros t) const {
  auto it = std::lower_bound(index.begin(), index.end(), t,
                             [](const IndexEntry& e, Micros ts) { return e.first_ts < ts; });
  return it == index.begin() ? base_offset : base_offset + std::prev(it)->relative_offset;
}

ScanResult ScanSegment(const RandomAccessFile& file, uint64_t file_size, uint64_t base_offset,
                       uint32_t index_interval_bytes, const std::string& path) {
  ScanResult r;
  r.end_offset = base_offset;
  std::string buf;
  uint64_t pos = 0;
  uint64_t last_indexed = 0;
  auto fail = [&](const std::string& why) {
    r.error = Status::Corruption(path + " at byte " + std::to_string(pos) + ": " + why);
  };
  while (pos < file_size) {
    if (file_size - pos < kBatchHeaderSize) {
      fail("incomplete batch header (" + std::to_string(file_size - pos) + " bytes)");
      break;
    }
    buf.resize(kBatchHeaderSize);
    std::string_view got;
    Status s = file.Read(pos, kBatchHeaderSize, buf.data(), &got);
    if (!s.ok() || got.size() < kBatchHeaderSize) {
      r.error = s.ok() ? Status::Corruption(path + ": short read") : s;
      break;
    }
    auto header = ParseBatchHeader(got);
    if (!header.ok()) {
      fail(header.status().message());
      break;
    }
    const BatchHeader& h = *header;
    if (h.total_length > file_size - pos) {
      fail("batch of " + std::to_string(h.total_length) + " bytes runs past the end of the file");
      break;
    }
    if (h.base_offset != r.end_offset) {
      fail("batch base offset " + std::to_string(h.base_offset) + ", expected " +
           std::to_string(r.end_offset));
      break;
    }
    buf.resize(h.total_length);
    s = file.Read(pos, h.total_length, buf.data(), &got);
    if (!s.ok() || got.size() < h.total_length) {
      r.error = s.ok() ? Status::Corruption(path + ": short read") : s;
      break;
    }
    if (!BatchChecksumMatches(got)) {
      fail("checksum mismatch");
      break;
    }
    if (r.index.empty() || pos >= last_indexed + index_interval_bytes) {
      r.index.push_back({static_cast<uint32_t>(h.base_offset - base_offset),
                         static_cast<uint32_t>(pos), h.first_ts});
      last_indexed = pos;
    }
    r.end_offset = h.end_offset();
    r.max_ts = std::max(r.max_ts, h.max_ts);
    pos += h.total_length;
    r.valid_bytes = pos;
  }
  return r;
}

// Index file layout (little-endian):
//   u32 magic kIndexMagic, u32 version 1, u64 base_offset, u64 end_offset,
//   u64 segment_bytes, i64 max_ts, u32 entry_count,
//   entry_count x (u32 relative_offset, u32 position, i64 first_ts),
//   u32 crc32c of everything before it.
namespace {
constexpr uint32_t kIndexMagic = 0x58444953;  // "SIDX"
constexpr size_t kIndexHeaderSize = 44;
constexpr size_t kIndexEntrySize = 16;
}  // namespace

std::string EncodeIndexFile(const SegmentMeta& meta) {
  std::string out;
  out.reserve(kIndexHeaderSize + meta.index.size() * kIndexEntrySize + 4);
  PutFixed32(&out, kIndexMagic);
  PutFixed32(&out, 1);
  PutFixed64(&out, meta.base_offset);
  PutFixed64(&out, meta.end_offset);
  PutFixed64(&out, meta.size_bytes);
  PutFixed64(&out, static_cast<uint64_t>(meta.max_ts));
  PutFixed32(&out, static_cast<uint32_t>(meta.index.size()));
  for (const IndexEntry& e : meta.index) {
    PutFixed32(&out, e.relative_offset);
    PutFixed32(&out, e.position);
    PutFixed64(&out, static_cast<uint64_t>(e.first_ts));
  }
  PutFixed32(&out, crc32c::Value(out));
  return out;
}

Status DecodeIndexFile(std::string_view bytes, uint64_t segment_bytes, SegmentMeta* meta) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption(meta->index_path + ": " + why);
  };
  if (bytes.size() < kIndexHeaderSize + 4) return bad("too short");
  const char* p = bytes.data();
  if (crc32c::Value(p, bytes.size() - 4) != DecodeFixed32(p + bytes.size() - 4)) {
    return bad("checksum mismatch");
  }
  uint32_t count = DecodeFixed32(p + 40);
  if (DecodeFixed32(p) != kIndexMagic || DecodeFixed32(p + 4) != 1 ||
      bytes.size() != kIndexHeaderSize + count * kIndexEntrySize + 4) {
    return bad("bad header");
  }
  if (DecodeFixed64(p + 8) != meta->base_offset) return bad("base offset mismatch");
  if (DecodeFixed64(p + 24) != segment_bytes) return bad("stale: segment size changed");
  uint64_t end_offset = DecodeFixed64(p + 16);
  if (end_offset < meta->base_offset || (count == 0) != (segment_bytes == 0)) {
    return bad("inconsistent");
  }
  std::vector<IndexEntry> entries(count);
  const char* e = p + kIndexHeaderSize;
  for (uint32_t i = 0; i < count; ++i, e += kIndexEntrySize) {
    entries[i] = {DecodeFixed32(e), DecodeFixed32(e + 4),
                  static_cast<Micros>(DecodeFixed64(e + 8))};
    bool ordered = i == 0 || (entries[i].relative_offset > entries[i - 1].relative_offset &&
                              entries[i].position > entries[i - 1].position);
    if (!ordered || entries[i].position >= segment_bytes ||
        entries[i].relative_offset >= end_offset - meta->base_offset) {
      return bad("entry " + std::to_string(i) + " out of order or out of range");
    }
  }
  meta->end_offset = end_offset;
  meta->max_ts = static_cast<Micros>(DecodeFixed64(p + 32));
  meta->index = std::move(entries);
  return Status::OK();
}

}  // namespace strata::log
