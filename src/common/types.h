// SQL types of strata (DESIGN.md §2): boolean, bigint, double, numeric(p,s), text, timestamp
// (µs since the epoch, UTC) and date (days since the epoch). Exact types (everything but
// double) make results independent of processing order, which is what makes streaming ==
// batch provable bit for bit.
#pragma once

#include <cstdint>
#include <string>

#include "common/numeric.h"

namespace strata {

enum class TypeId : uint8_t { kBoolean, kBigint, kDouble, kNumeric, kText, kTimestamp, kDate };

// How a column of the type is stored (exec/column.h).
enum class PhysicalType : uint8_t { kBool, kInt64, kInt32, kDouble, kInt128, kString };

struct Type {
  TypeId id = TypeId::kText;
  NumericType numeric;  // meaningful for kNumeric only

  static Type Boolean() { return {TypeId::kBoolean, {}}; }
  static Type Bigint() { return {TypeId::kBigint, {}}; }
  static Type Double() { return {TypeId::kDouble, {}}; }
  static Type Numeric(int precision, int scale) { return {TypeId::kNumeric, {precision, scale}}; }
  static Type Text() { return {TypeId::kText, {}}; }
  static Type Timestamp() { return {TypeId::kTimestamp, {}}; }
  static Type Date() { return {TypeId::kDate, {}}; }

  PhysicalType physical() const;
  bool is_exact() const { return id != TypeId::kDouble; }
  // SQL spelling: "boolean", "bigint", "double precision", "numeric(18,2)", "text",
  // "timestamp", "date".
  std::string ToString() const;

  friend bool operator==(const Type& a, const Type& b) {
    return a.id == b.id && (a.id != TypeId::kNumeric || a.numeric == b.numeric);
  }
};

}  // namespace strata
