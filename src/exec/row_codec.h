// Binary encodings shared by stateful operators: single values, rows and keys (as bytes
// in hash-table keys and operator state), and the framing of a saved operator state.
//
// A value is a tag byte (0 = NULL, 1 = present) and, when present, its physical storage:
// bool 1 byte, int32 4 bytes, int64/double 8 bytes (little-endian; a double by its bits),
// int128 16 bytes, string varint length + bytes. A row is its values back to back; the
// column types are not stored, the reader must know them.
//
// Key encodings are canonical so that SQL-equal values get equal bytes: a double -0.0 is
// encoded as +0.0 and every NaN as one quiet NaN (GROUP BY, DISTINCT and PRIMARY KEY
// treat them as equal). Exact encodings keep the bits of every value (upsert rows).
// Neither encoding preserves order; compare decoded Values for that.
//
// Saved state ("sealed" bytes): [format version: 1 byte][plan fingerprint: fixed32]
// [body][CRC32C of everything before it: fixed32]. The fingerprint is a CRC32C of the
// operator's plan description, so state saved by another plan is refused, not misread.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/column.h"
#include "common/status.h"
#include "common/value.h"

namespace strata::exec {

// Appends the exact encoding of row `row` of `column`.
void EncodeCell(const Column& column, size_t row, std::string* out);
// Appends the canonical (key) encoding of row `row` of `column`.
void EncodeKeyCell(const Column& column, size_t row, std::string* out);
// Appends the encoding of `v`, stored as `physical`; canonical for keys when asked.
void EncodeValue(const Value& v, PhysicalType physical, bool canonical, std::string* out);
// `v` (stored as `physical`) with -0.0 replaced by 0.0 and any NaN by the canonical quiet
// NaN; the identity for every non-double.
Value CanonicalValue(Value v, PhysicalType physical);

// A bounded cursor over encoded bytes. Every getter returns false on truncated or
// malformed input (and leaves the reader unusable); nothing reads past the end.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool GetByte(uint8_t* v);
  bool GetFixed32(uint32_t* v);
  bool GetFixed64(uint64_t* v);
  bool GetVarint64(uint64_t* v);
  bool GetZigZag(int64_t* v);
  bool GetLengthPrefixed(std::string_view* v);
  // One encoded value of storage `physical`.
  bool GetValue(PhysicalType physical, Value* v);
  // One encoded value, appended to `column` (of the value's physical type).
  bool GetValueInto(Column* column);
  bool empty() const { return pos_ == in_.size(); }
  size_t position() const { return pos_; }

 private:
  bool Take(size_t n, const char** p);
  std::string_view in_;
  size_t pos_ = 0;
};

// An operator's saved state: a sealed container (common/sealed.h) of kind `kind`
// ("upsert", "aggregate", "session") whose body starts with the plan's fingerprint.
// BeginState writes the header and fingerprint at the end of *out; SealState appends the
// checksum, `start` being out's size before BeginState.
void BeginState(std::string_view kind, uint32_t version, uint32_t fingerprint, std::string* out);
void SealState(size_t start, std::string* out);
// Checks a saved state and returns its body (after the fingerprint). Corruption (naming the
// kind) when the bytes are damaged, of another kind or of an unknown version;
// FailedPrecondition when the fingerprint belongs to another plan. States of earlier
// releases (a version byte, the fingerprint, the body, a CRC32C) read as version 1.
Result<std::string_view> UnsealState(std::string_view in, std::string_view kind, uint32_t version,
                                     uint32_t fingerprint);
// The same for a kind with versions min_version to max_version, the one read in *version.
Result<std::string_view> UnsealState(std::string_view in, std::string_view kind,
                                     uint32_t min_version, uint32_t max_version,
                                     uint32_t fingerprint, uint32_t* version);

// A fingerprint component for a type (id, precision, scale).
void AppendTypeFingerprint(const Type& type, std::string* out);

}  // namespace strata::exec
