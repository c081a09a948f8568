// The record batch: the unit of writing, checksumming and compression in a segment file.
//
// Layout (little-endian), header of kBatchHeaderSize bytes then the body:
//
//   0  u32 crc32c        CRC32C of bytes [4, total_length)
//   4  u32 total_length  header + stored body
//   8  u64 base_offset   offset of the first record
//  16  u32 record_count  > 0; offsets are base_offset .. base_offset + record_count - 1
//  20  u8  version       kBatchVersion
//  21  u8  codec         Codec of the stored body
//  22  u16 reserved      0
//  24  i64 first_ts      ingest time of the first record (µs since the epoch)
//  32  i64 max_ts        largest ingest time in the batch
//  40  u32 body_length   body length before compression
//  44  u32 reserved      0
//  48  body              record_count records, each:
//                          varint ts_delta (ingest_time - first_ts, zigzag)
//                          u8 op, u8 flags, varint schema_version,
//                          length-prefixed key, source, source_position, payload
//
// A batch is valid only if every field checks out and the body decodes to exactly
// record_count records; anything else is reported as corruption, never served.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "log/record.h"

namespace strata::log {

constexpr size_t kBatchHeaderSize = 48;
constexpr uint8_t kBatchVersion = 1;
constexpr uint32_t kMaxBatchBytes = 64u << 20;

enum class Codec : uint8_t { kNone = 0, kZstd = 1, kLz4 = 2 };
Result<Codec> ParseCodec(std::string_view name);
const char* CodecName(Codec codec);

struct BatchHeader {
  uint32_t crc = 0;
  uint32_t total_length = 0;
  uint64_t base_offset = 0;
  uint32_t record_count = 0;
  uint8_t version = 0;
  Codec codec = Codec::kNone;
  Micros first_ts = 0;
  Micros max_ts = 0;
  uint32_t body_length = 0;

  uint64_t end_offset() const { return base_offset + record_count; }
};

// Parses and sanity-checks the fixed header (not the checksum); fewer than kBatchHeaderSize
// bytes are corruption too.
Result<BatchHeader> ParseBatchHeader(std::string_view bytes);

// Checks the CRC of a whole batch (`bytes` is exactly total_length long).
bool BatchChecksumMatches(std::string_view bytes);

// Accumulates records into one batch. Not thread-safe.
class BatchBuilder {
 public:
  explicit BatchBuilder(uint64_t base_offset) { Reset(base_offset); }
  void Reset(uint64_t base_offset);

  void Add(const AppendRecord& record, Micros ingest_time);
  uint32_t count() const { return count_; }
  size_t body_size() const { return body_.size(); }
  uint64_t next_offset() const { return base_offset_ + count_; }
  Micros max_ts() const { return max_ts_; }

  // Encodes the batch (compressing the body with `codec` when that makes it smaller) into
  // *out, replacing its content. Requires count() > 0.
  void Finish(Codec codec, std::string* out);

 private:
  uint64_t base_offset_ = 0;
  uint32_t count_ = 0;
  Micros first_ts_ = 0;
  Micros max_ts_ = 0;
  std::string body_;
  std::string compressed_;
};

// Decodes a whole, checksum-verified batch. Records view into `bytes` or, when the body was
// compressed, into *scratch. `where` names the place for error messages.
Status DecodeBatch(std::string_view bytes, std::string* scratch, std::vector<RecordView>* out,
                   std::string_view where);

}  // namespace strata::log
