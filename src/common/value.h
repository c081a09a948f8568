// A single SQL value: NULL or one value of a type's physical storage. Used where values
// are handled one at a time (operator state keys, literals, the reference evaluator of the
// tests); hot paths work on columns (exec/column.h) instead.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "common/types.h"

namespace strata {

class Value {
 public:
  Value() = default;  // NULL
  static Value Null() { return Value(); }
  static Value Bool(bool b) { return Value(Storage(b)); }
  static Value Int64(int64_t v) { return Value(Storage(v)); }
  static Value Int32(int32_t v) { return Value(Storage(v)); }
  static Value Double(double v) { return Value(Storage(v)); }
  static Value Int128(strata::Int128 v) { return Value(Storage(v)); }
  static Value String(std::string s) { return Value(Storage(std::move(s))); }

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int64() const { return std::get<int64_t>(v_); }
  int32_t as_int32() const { return std::get<int32_t>(v_); }
  double as_double() const { return std::get<double>(v_); }
  strata::Int128 as_int128() const { return std::get<strata::Int128>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }

  // A total order for state keys and sorting: NULL first, then by value within one
  // physical type (doubles by their IEEE total order, so -0.0 < 0.0 and NaN is greatest).
  // Comparing values of different physical types is an invariant violation.
  friend int Compare(const Value& a, const Value& b);
  friend bool operator==(const Value& a, const Value& b) { return Compare(a, b) == 0; }
  friend bool operator<(const Value& a, const Value& b) { return Compare(a, b) < 0; }
  uint64_t Hash() const;

  // The value as SQL text for `type` ("NULL" for null): 12.50, 2026-11-22 10:00:00, t/f
  // for booleans as PostgreSQL prints them.
  std::string ToString(const Type& type) const;

 private:
  using Storage =
      std::variant<std::monostate, bool, int64_t, int32_t, double, strata::Int128, std::string>;
  explicit Value(Storage v) : v_(std::move(v)) {}
  Storage v_;
};

}  // namespace strata
