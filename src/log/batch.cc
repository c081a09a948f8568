#include "log/batch.h"

#include <lz4.h>
#include <zstd.h>

#include "common/coding.h"
#include "common/crc32c.h"

namespace strata::log {

char OperationLetter(Operation op) {
  switch (op) {
    case Operation::kInsert:
      return 'c';
    case Operation::kUpdate:
      return 'u';
    case Operation::kDelete:
      return 'd';
    case Operation::kSnapshotRead:
      return 'r';
  }
  return '?';
}

Result<Codec> ParseCodec(std::string_view name) {
  if (name == "none") return Codec::kNone;
  if (name == "zstd") return Codec::kZstd;
  if (name == "lz4") return Codec::kLz4;
  return Status::InvalidArgument("unknown compression '" + std::string(name) +
                                 "' (expected none, zstd or lz4)");
}

const char* CodecName(Codec codec) {
  switch (codec) {
    case Codec::kNone:
      return "none";
    case Codec::kZstd:
      return "zstd";
    case Codec::kLz4:
      return "lz4";
  }
  return "?";
}

Result<BatchHeader> ParseBatchHeader(std::string_view bytes) {
  if (bytes.size() < kBatchHeaderSize) {  // bytes from disk: never an assertion
    return Status::Corruption("batch of " + std::to_string(bytes.size()) +
                              " bytes is shorter than its header");
  }
  const char* p = bytes.data();
  BatchHeader h;
  h.crc = DecodeFixed32(p);
  h.total_length = DecodeFixed32(p + 4);
  h.base_offset = DecodeFixed64(p + 8);
  h.record_count = DecodeFixed32(p + 16);
  h.version = static_cast<uint8_t>(p[20]);
  auto codec = static_cast<uint8_t>(p[21]);
  h.first_ts = static_cast<Micros>(DecodeFixed64(p + 24));
  h.max_ts = static_cast<Micros>(DecodeFixed64(p + 32));
  h.body_length = DecodeFixed32(p + 40);
  if (h.total_length < kBatchHeaderSize || h.total_length > kMaxBatchBytes) {
    return Status::Corruption("batch length " + std::to_string(h.total_length) + " out of range");
  }
  if (h.version != kBatchVersion) {
    return Status::Corruption("unknown batch version " + std::to_string(h.version));
  }
  if (codec > static_cast<uint8_t>(Codec::kLz4)) {
    return Status::Corruption("unknown codec " + std::to_string(codec));
  }
  h.codec = static_cast<Codec>(codec);
  // A record takes at least kMinRecordBytes of the body: a count beyond that is corrupt
  // (and would make a reader reserve gigabytes; found by ondisk_fuzz).
  constexpr uint32_t kMinRecordBytes = 8;  // ts, op, flags, schema, four lengths
  if (h.record_count == 0 || h.body_length > kMaxBatchBytes || h.max_ts < h.first_ts ||
      h.record_count > h.body_length / kMinRecordBytes) {
    return Status::Corruption("inconsistent batch header");
  }
  return h;
}

bool BatchChecksumMatches(std::string_view bytes) {
  return crc32c::Value(bytes.data() + 4, bytes.size() - 4) == DecodeFixed32(bytes.data());
}

void BatchBuilder::Reset(uint64_t base_offset) {
  base_offset_ = base_offset;
  count_ = 0;
  first_ts_ = max_ts_ = 0;
  body_.clear();
}

void BatchBuilder::Add(const AppendRecord& r, Micros ingest_time) {
  if (count_ == 0) first_ts_ = max_ts_ = ingest_time;
  max_ts_ = std::max(max_ts_, ingest_time);
  PutVarint64(&body_, ZigZag(ingest_time - first_ts_));
  body_.push_back(static_cast<char>(r.op));
  body_.push_back(static_cast<char>(r.flags));
  PutVarint64(&body_, r.schema_version);
  PutLengthPrefixed(&body_, r.key);
  PutLengthPrefixed(&body_, r.source);
  PutLengthPrefixed(&body_, r.source_position);
  PutLengthPrefixed(&body_, r.payload);
  ++count_;
}

namespace {

// Compresses body into *out; returns false when compression would not save space.
bool Compress(Codec codec, std::string_view body, std::string* out) {
  if (codec == Codec::kZstd) {
    out->resize(ZSTD_compressBound(body.size()));
    size_t n = ZSTD_compress(out->data(), out->size(), body.data(), body.size(), 1);
    if (ZSTD_isError(n) || n >= body.size()) return false;
    out->resize(n);
    return true;
  }
  if (codec == Codec::kLz4) {
    out->resize(LZ4_compressBound(static_cast<int>(body.size())));
    int n = LZ4_compress_default(body.data(), out->data(), static_cast<int>(body.size()),
                                 static_cast<int>(out->size()));
    if (n <= 0 || static_cast<size_t>(n) >= body.size()) return false;
    out->resize(static_cast<size_t>(n));
    return true;
  }
  return false;
}

Status Decompress(const BatchHeader& h, std::string_view stored, std::string* out,
                  std::string_view where) {
  out->resize(h.body_length);
  if (h.codec == Codec::kZstd) {
    size_t n = ZSTD_decompress(out->data(), out->size(), stored.data(), stored.size());
    if (!ZSTD_isError(n) && n == h.body_length) return Status::OK();
  } else if (h.codec == Codec::kLz4) {
    int n = LZ4_decompress_safe(stored.data(), out->data(), static_cast<int>(stored.size()),
                                static_cast<int>(out->size()));
    if (n >= 0 && static_cast<uint32_t>(n) == h.body_length) return Status::OK();
  }
  return Status::Corruption(std::string(where) + ": body does not decompress");
}

}  // namespace

void BatchBuilder::Finish(Codec codec, std::string* out) {
  STRATA_ASSERT(count_ > 0);
  std::string_view stored = body_;
  Codec used = Codec::kNone;
  if (codec != Codec::kNone && Compress(codec, body_, &compressed_)) {
    stored = compressed_;
    used = codec;
  }
  out->resize(kBatchHeaderSize);
  char* p = out->data();
  EncodeFixed32(p + 4, static_cast<uint32_t>(kBatchHeaderSize + stored.size()));
  EncodeFixed64(p + 8, base_offset_);
  EncodeFixed32(p + 16, count_);
  p[20] = static_cast<char>(kBatchVersion);
  p[21] = static_cast<char>(used);
  p[22] = p[23] = 0;
  EncodeFixed64(p + 24, static_cast<uint64_t>(first_ts_));
  EncodeFixed64(p + 32, static_cast<uint64_t>(max_ts_));
  EncodeFixed32(p + 40, static_cast<uint32_t>(body_.size()));
  EncodeFixed32(p + 44, 0);
  out->append(stored);
  EncodeFixed32(out->data(), crc32c::Value(out->data() + 4, out->size() - 4));
}

Status DecodeBatch(std::string_view bytes, std::string* scratch, std::vector<RecordView>* out,
                   std::string_view where) {
  Result<BatchHeader> header = ParseBatchHeader(bytes);
  if (!header.ok()) {  // named like every other error of the batch
    return Status::Corruption(std::string(where) + ": " + header.status().message());
  }
  const BatchHeader& h = *header;
  std::string_view body = bytes.substr(kBatchHeaderSize);
  if (h.codec != Codec::kNone) {
    RETURN_IF_ERROR(Decompress(h, body, scratch, where));
    body = *scratch;
  } else if (body.size() != h.body_length) {
    return Status::Corruption(std::string(where) + ": body length mismatch");
  }
  Decoder d(body);
  out->clear();
  out->reserve(h.record_count);
  for (uint32_t i = 0; i < h.record_count; ++i) {
    RecordView r;
    uint64_t ts_delta, schema;
    uint8_t op, flags;
    if (!d.GetVarint64(&ts_delta) || !d.GetByte(&op) || !d.GetByte(&flags) ||
        !d.GetVarint64(&schema) || !d.GetLengthPrefixed(&r.key) ||
        !d.GetLengthPrefixed(&r.source) || !d.GetLengthPrefixed(&r.source_position) ||
        !d.GetLengthPrefixed(&r.payload) || op > kMaxOperation || schema > UINT32_MAX) {
      return Status::Corruption(std::string(where) + ": record " + std::to_string(i) +
                                " of the batch does not decode");
    }
    r.offset = h.base_offset + i;
    r.ingest_time = h.first_ts + UnZigZag(ts_delta);
    r.op = static_cast<Operation>(op);
    r.flags = flags;
    r.schema_version = static_cast<uint32_t>(schema);
    out->push_back(r);
  }
  if (!d.empty()) return Status::Corruption(std::string(where) + ": trailing bytes in batch body");
  return Status::OK();
}

}  // namespace strata::log
