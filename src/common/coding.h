// Little-endian fixed-width and varint encodings for on-disk formats (LevelDB's coding.h).
// Encoders append to a std::string; decoders read from a bounded cursor and fail cleanly
// on truncated input instead of reading past the end.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace strata {

inline void PutFixed32(std::string* dst, uint32_t v) {
  dst->append(reinterpret_cast<char*>(&v), 4);
}
inline void PutFixed64(std::string* dst, uint64_t v) {
  dst->append(reinterpret_cast<char*>(&v), 8);
}
inline void EncodeFixed32(char* p, uint32_t v) {
  std::memcpy(p, &v, 4);
}
inline void EncodeFixed64(char* p, uint64_t v) {
  std::memcpy(p, &v, 8);
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "on-disk formats assume little-endian");

inline void PutVarint64(std::string* dst, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  dst->append(buf, n);
}

inline void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s);
}

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// A bounded read cursor over encoded bytes. Every getter returns false, and leaves the
// cursor unusable, when the input ends early or a varint is malformed.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}

  bool GetVarint64(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63 && p_ < end_; shift += 7) {
      uint64_t byte = static_cast<unsigned char>(*p_++);
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    p_ = end_;
    return false;
  }
  bool GetLengthPrefixed(std::string_view* s) {
    uint64_t n;
    if (!GetVarint64(&n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    *s = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool GetByte(uint8_t* b) {
    if (p_ >= end_) return false;
    *b = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool empty() const { return p_ >= end_; }
  size_t remaining() const { return end_ - p_; }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace strata
