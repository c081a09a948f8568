#include "common/value.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "common/datetime.h"
#include "common/hash.h"

namespace strata {
namespace {

// IEEE total order key: flips the bits of negatives so integer order matches.
int64_t DoubleKey(double d) {
  int64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  return bits < 0 ? bits ^ INT64_MAX : bits;
}

template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

int Compare(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return Cmp(!a.is_null(), !b.is_null());
  STRATA_ASSERT(a.v_.index() == b.v_.index());
  switch (a.v_.index()) {
    case 1:
      return Cmp(a.as_bool(), b.as_bool());
    case 2:
      return Cmp(a.as_int64(), b.as_int64());
    case 3:
      return Cmp(a.as_int32(), b.as_int32());
    case 4:
      return Cmp(DoubleKey(a.as_double()), DoubleKey(b.as_double()));
    case 5:
      return Cmp(a.as_int128(), b.as_int128());
    case 6:
      return Cmp(a.as_string(), b.as_string());
  }
  return 0;
}

uint64_t Value::Hash() const {
  switch (v_.index()) {
    case 0:
      return 0x9ae16a3b2f90404fULL;
    case 1:
      return as_bool() ? 1 : 2;
    case 2: {
      int64_t v = as_int64();
      return StableHash64({reinterpret_cast<const char*>(&v), sizeof(v)});
    }
    case 3: {
      int32_t v = as_int32();
      return StableHash64({reinterpret_cast<const char*>(&v), sizeof(v)});
    }
    case 4: {
      int64_t k = DoubleKey(as_double());
      return StableHash64({reinterpret_cast<const char*>(&k), sizeof(k)});
    }
    case 5: {
      strata::Int128 v = as_int128();
      return StableHash64({reinterpret_cast<const char*>(&v), sizeof(v)});
    }
    default:
      return StableHash64(as_string());
  }
}

std::string Value::ToString(const Type& type) const {
  if (is_null()) return "NULL";
  switch (type.id) {
    case TypeId::kBoolean:
      return as_bool() ? "t" : "f";
    case TypeId::kBigint:
      return std::to_string(as_int64());
    case TypeId::kDouble: {
      // The shortest text that reads back as the same double, as PostgreSQL prints float8.
      double d = as_double();
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      // Like PostgreSQL: plain digits for 1e-4 <= |d| < 1e15, exponent form otherwise.
      char buf[400];
      double a = std::fabs(d);
      auto [end, ec] = a == 0 || (a >= 1e-4 && a < 1e15)
                           ? std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed)
                           : std::to_chars(buf, buf + sizeof(buf), d);
      return std::string(buf, end);
    }
    case TypeId::kNumeric:
      return Numeric::ToString(as_int128(), type.numeric.scale);
    case TypeId::kText:
      return as_string();
    case TypeId::kTimestamp:
      return FormatSqlTimestamp(as_int64());
    case TypeId::kDate:
      return FormatDate(as_int32());
  }
  return "?";
}

}  // namespace strata
