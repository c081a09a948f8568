// Columnar data between decoding and operators (DESIGN.md §2, §8): a Column holds one SQL type's
// values for a run of rows, in one contiguous vector of the type's physical storage plus a validity
// vector; a Batch is a set of equally long columns and a signed weight per row
// (+1 insert, -1 retraction; a consolidated batch may carry larger magnitudes).
//
// Strings are views into an arena owned by the column (shared when a column is passed on
// unchanged), so appending never copies a string twice and never moves one.
//
// Ownership: a Batch owns its columns. Not thread-safe; a batch belongs to one operator
// pipeline at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/arena.h"
#include "common/types.h"
#include "common/value.h"

namespace strata {

class Column {
 public:
  explicit Column(Type type);

  const Type& type() const { return type_; }
  size_t size() const { return valid_.size(); }
  bool is_null(size_t row) const { return valid_[row] == 0; }

  // The value vector matching type().physical(); using another is an invariant violation.
  const std::vector<uint8_t>& bools() const { return Check(PhysicalType::kBool, bools_); }
  const std::vector<int64_t>& int64s() const { return Check(PhysicalType::kInt64, int64s_); }
  const std::vector<int32_t>& int32s() const { return Check(PhysicalType::kInt32, int32s_); }
  const std::vector<double>& doubles() const { return Check(PhysicalType::kDouble, doubles_); }
  const std::vector<Int128>& int128s() const { return Check(PhysicalType::kInt128, int128s_); }
  const std::vector<std::string_view>& strings() const {
    return Check(PhysicalType::kString, strings_);
  }
  const std::vector<uint8_t>& validity() const { return valid_; }

  void AppendNull();
  void AppendBool(bool v);
  void AppendInt64(int64_t v);
  void AppendInt32(int32_t v);
  void AppendDouble(double v);
  void AppendInt128(Int128 v);
  void AppendString(std::string_view v);  // copied into the column's arena
  // Appends row `row` of `other`, which has the same physical type.
  void AppendFrom(const Column& other, size_t row);
  void AppendValue(const Value& v);
  Value GetValue(size_t row) const;

  void Reserve(size_t rows);
  void Clear();

 private:
  template <typename V>
  const V& Check(PhysicalType p, const V& v) const {
    STRATA_ASSERT(physical_ == p);
    return v;
  }

  Type type_;
  PhysicalType physical_;
  std::vector<uint8_t> valid_;
  std::vector<uint8_t> bools_;
  std::vector<int64_t> int64s_;
  std::vector<int32_t> int32s_;
  std::vector<double> doubles_;
  std::vector<Int128> int128s_;
  std::vector<std::string_view> strings_;
  std::shared_ptr<Arena> arena_;
};

// Where a row came from: its bronze record. Quarantine records name it (and keep its raw
// payload), and the upsert orders versions of one key by it when dedupe_order ties.
// `payload` views the bronze record's bytes and is valid only while the runtime's read
// buffer lives: during one push through a pipeline; copy it to keep it.
struct RowOrigin {
  uint32_t partition = 0;
  uint64_t offset = 0;
  std::string_view payload;
};

struct Batch {
  std::vector<Column> columns;
  std::vector<int64_t> weights;
  std::vector<RowOrigin> origins;  // one per row, or empty where provenance is not tracked

  size_t num_rows() const { return weights.size(); }
  // Appends row `row` of `other` (same column types) with weight `weight`, and its origin
  // when both batches track origins.
  void AppendRow(const Batch& other, size_t row, int64_t weight);
  // The rows whose `keep` flag is set (one flag per row), with their weights and origins.
  Batch Select(const std::vector<uint8_t>& keep) const;
  std::vector<Value> Row(size_t row) const;
};

}  // namespace strata
