#include "exec/row_codec.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/sealed.h"

namespace strata::exec {
namespace {

constexpr uint8_t kNull = 0;
constexpr uint8_t kPresent = 1;

double CanonicalDouble(double d) {
  if (std::isnan(d)) return std::numeric_limits<double>::quiet_NaN();
  return d == 0 ? 0.0 : d;  // -0.0 == 0 as well
}

void PutDouble(double d, std::string* out) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  PutFixed64(out, bits);
}

void PutInt128(Int128 v, std::string* out) {
  auto bits = static_cast<unsigned __int128>(v);
  PutFixed64(out, static_cast<uint64_t>(bits));
  PutFixed64(out, static_cast<uint64_t>(bits >> 64));
}

void EncodeCellImpl(const Column& c, size_t row, bool canonical, std::string* out) {
  if (c.is_null(row)) {
    out->push_back(static_cast<char>(kNull));
    return;
  }
  out->push_back(static_cast<char>(kPresent));
  switch (c.type().physical()) {
    case PhysicalType::kBool:
      out->push_back(static_cast<char>(c.bools()[row]));
      break;
    case PhysicalType::kInt64:
      PutFixed64(out, static_cast<uint64_t>(c.int64s()[row]));
      break;
    case PhysicalType::kInt32:
      PutFixed32(out, static_cast<uint32_t>(c.int32s()[row]));
      break;
    case PhysicalType::kDouble: {
      double d = c.doubles()[row];
      PutDouble(canonical ? CanonicalDouble(d) : d, out);
      break;
    }
    case PhysicalType::kInt128:
      PutInt128(c.int128s()[row], out);
      break;
    case PhysicalType::kString:
      PutLengthPrefixed(out, c.strings()[row]);
      break;
  }
}

}  // namespace

void EncodeCell(const Column& column, size_t row, std::string* out) {
  EncodeCellImpl(column, row, /*canonical=*/false, out);
}

void EncodeKeyCell(const Column& column, size_t row, std::string* out) {
  EncodeCellImpl(column, row, /*canonical=*/true, out);
}

void EncodeValue(const Value& v, PhysicalType physical, bool canonical, std::string* out) {
  if (v.is_null()) {
    out->push_back(static_cast<char>(kNull));
    return;
  }
  out->push_back(static_cast<char>(kPresent));
  switch (physical) {
    case PhysicalType::kBool:
      out->push_back(v.as_bool() ? 1 : 0);
      break;
    case PhysicalType::kInt64:
      PutFixed64(out, static_cast<uint64_t>(v.as_int64()));
      break;
    case PhysicalType::kInt32:
      PutFixed32(out, static_cast<uint32_t>(v.as_int32()));
      break;
    case PhysicalType::kDouble:
      PutDouble(canonical ? CanonicalDouble(v.as_double()) : v.as_double(), out);
      break;
    case PhysicalType::kInt128:
      PutInt128(v.as_int128(), out);
      break;
    case PhysicalType::kString:
      PutLengthPrefixed(out, v.as_string());
      break;
  }
}

Value CanonicalValue(Value v, PhysicalType physical) {
  if (v.is_null() || physical != PhysicalType::kDouble) return v;
  return Value::Double(CanonicalDouble(v.as_double()));
}

bool ByteReader::Take(size_t n, const char** p) {
  if (n > in_.size() - pos_) {
    pos_ = in_.size();
    return false;
  }
  *p = in_.data() + pos_;
  pos_ += n;
  return true;
}

bool ByteReader::GetByte(uint8_t* v) {
  const char* p;
  if (!Take(1, &p)) return false;
  *v = static_cast<uint8_t>(*p);
  return true;
}

bool ByteReader::GetFixed32(uint32_t* v) {
  const char* p;
  if (!Take(4, &p)) return false;
  *v = DecodeFixed32(p);
  return true;
}

bool ByteReader::GetFixed64(uint64_t* v) {
  const char* p;
  if (!Take(8, &p)) return false;
  *v = DecodeFixed64(p);
  return true;
}

bool ByteReader::GetVarint64(uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    uint8_t byte;
    if (!GetByte(&byte)) return false;
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  pos_ = in_.size();
  return false;
}

bool ByteReader::GetZigZag(int64_t* v) {
  uint64_t u;
  if (!GetVarint64(&u)) return false;
  *v = UnZigZag(u);
  return true;
}

bool ByteReader::GetLengthPrefixed(std::string_view* v) {
  uint64_t n;
  const char* p;
  if (!GetVarint64(&n) || !Take(n, &p)) return false;
  *v = std::string_view(p, n);
  return true;
}

bool ByteReader::GetValue(PhysicalType physical, Value* v) {
  uint8_t tag;
  if (!GetByte(&tag)) return false;
  if (tag == kNull) {
    *v = Value::Null();
    return true;
  }
  if (tag != kPresent) {
    pos_ = in_.size();
    return false;
  }
  switch (physical) {
    case PhysicalType::kBool: {
      uint8_t b;
      if (!GetByte(&b) || b > 1) return false;
      *v = Value::Bool(b != 0);
      return true;
    }
    case PhysicalType::kInt64: {
      uint64_t u;
      if (!GetFixed64(&u)) return false;
      *v = Value::Int64(static_cast<int64_t>(u));
      return true;
    }
    case PhysicalType::kInt32: {
      uint32_t u;
      if (!GetFixed32(&u)) return false;
      *v = Value::Int32(static_cast<int32_t>(u));
      return true;
    }
    case PhysicalType::kDouble: {
      uint64_t u;
      if (!GetFixed64(&u)) return false;
      double d;
      std::memcpy(&d, &u, sizeof(d));
      *v = Value::Double(d);
      return true;
    }
    case PhysicalType::kInt128: {
      uint64_t lo, hi;
      if (!GetFixed64(&lo) || !GetFixed64(&hi)) return false;
      *v = Value::Int128(static_cast<Int128>((static_cast<unsigned __int128>(hi) << 64) | lo));
      return true;
    }
    case PhysicalType::kString: {
      std::string_view s;
      if (!GetLengthPrefixed(&s)) return false;
      *v = Value::String(std::string(s));
      return true;
    }
  }
  return false;
}

bool ByteReader::GetValueInto(Column* column) {
  uint8_t tag;
  if (!GetByte(&tag)) return false;
  if (tag == kNull) {
    column->AppendNull();
    return true;
  }
  if (tag != kPresent) {
    pos_ = in_.size();
    return false;
  }
  switch (column->type().physical()) {
    case PhysicalType::kBool: {
      uint8_t b;
      if (!GetByte(&b) || b > 1) return false;
      column->AppendBool(b != 0);
      return true;
    }
    case PhysicalType::kInt64: {
      uint64_t u;
      if (!GetFixed64(&u)) return false;
      column->AppendInt64(static_cast<int64_t>(u));
      return true;
    }
    case PhysicalType::kInt32: {
      uint32_t u;
      if (!GetFixed32(&u)) return false;
      column->AppendInt32(static_cast<int32_t>(u));
      return true;
    }
    case PhysicalType::kDouble: {
      uint64_t u;
      if (!GetFixed64(&u)) return false;
      double d;
      std::memcpy(&d, &u, sizeof(d));
      column->AppendDouble(d);
      return true;
    }
    case PhysicalType::kInt128: {
      uint64_t lo, hi;
      if (!GetFixed64(&lo) || !GetFixed64(&hi)) return false;
      column->AppendInt128(static_cast<Int128>((static_cast<unsigned __int128>(hi) << 64) | lo));
      return true;
    }
    case PhysicalType::kString: {
      std::string_view s;
      if (!GetLengthPrefixed(&s)) return false;
      column->AppendString(s);
      return true;
    }
  }
  return false;
}

void BeginState(std::string_view kind, uint32_t version, uint32_t fingerprint, std::string* out) {
  BeginSeal(kind, version, out);
  PutFixed32(out, fingerprint);
}

void SealState(size_t start, std::string* out) {
  Seal(start, out);
}

namespace {

// An earlier release's layout: version byte 1, fingerprint, body, CRC32C.
Result<std::string_view> UnsealLegacyState(std::string_view in, const std::string& name) {
  if (in.size() < 9) {
    return Status::Corruption(name + " state: " + std::to_string(in.size()) +
                              " bytes, too short for its header and checksum");
  }
  if (crc32c::Value(in.data(), in.size() - 4) != DecodeFixed32(in.data() + in.size() - 4)) {
    return Status::Corruption(name + " state: checksum mismatch");
  }
  if (in[0] != 1) {
    return Status::Corruption(name + " state: unknown format version " +
                              std::to_string(static_cast<uint8_t>(in[0])));
  }
  return in.substr(1, in.size() - 5);
}

}  // namespace

Result<std::string_view> UnsealState(std::string_view in, std::string_view kind, uint32_t version,
                                     uint32_t fingerprint) {
  uint32_t read = 0;
  return UnsealState(in, kind, version, version, fingerprint, &read);
}

Result<std::string_view> UnsealState(std::string_view in, std::string_view kind,
                                     uint32_t min_version, uint32_t max_version,
                                     uint32_t fingerprint, uint32_t* version) {
  const std::string name(kind);
  std::string_view body;
  *version = 1;
  if (LooksSealed(in)) {
    ASSIGN_OR_RETURN(Unsealed u, Unseal(in, kind, min_version, max_version, name + " state"));
    body = u.body;
    *version = u.version;
  } else {
    ASSIGN_OR_RETURN(body, UnsealLegacyState(in, name));
  }
  if (body.size() < 4) return Status::Corruption(name + " state: truncated fingerprint");
  if (DecodeFixed32(body.data()) != fingerprint) {
    return Status::FailedPrecondition(name +
                                      " state was saved by a different plan (fingerprint "
                                      "mismatch)");
  }
  return body.substr(4);
}

void AppendTypeFingerprint(const Type& type, std::string* out) {
  out->push_back(static_cast<char>(type.id));
  if (type.id == TypeId::kNumeric) {
    out->push_back(static_cast<char>(type.numeric.precision));
    out->push_back(static_cast<char>(type.numeric.scale));
  }
}

}  // namespace strata::exec
