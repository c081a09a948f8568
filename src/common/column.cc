#include "common/column.h"

namespace strata {

Column::Column(Type type)
    : type_(type), physical_(type.physical()), arena_(std::make_shared<Arena>()) {}

void Column::AppendNull() {
  valid_.push_back(0);
  switch (physical_) {
    case PhysicalType::kBool:
      bools_.push_back(0);
      break;
    case PhysicalType::kInt64:
      int64s_.push_back(0);
      break;
    case PhysicalType::kInt32:
      int32s_.push_back(0);
      break;
    case PhysicalType::kDouble:
      doubles_.push_back(0);
      break;
    case PhysicalType::kInt128:
      int128s_.push_back(0);
      break;
    case PhysicalType::kString:
      strings_.emplace_back();
      break;
  }
}

void Column::AppendBool(bool v) {
  STRATA_ASSERT(physical_ == PhysicalType::kBool);
  valid_.push_back(1);
  bools_.push_back(v ? 1 : 0);
}

void Column::AppendInt64(int64_t v) {
  STRATA_ASSERT(physical_ == PhysicalType::kInt64);
  valid_.push_back(1);
  int64s_.push_back(v);
}

void Column::AppendInt32(int32_t v) {
  STRATA_ASSERT(physical_ == PhysicalType::kInt32);
  valid_.push_back(1);
  int32s_.push_back(v);
}

void Column::AppendDouble(double v) {
  STRATA_ASSERT(physical_ == PhysicalType::kDouble);
  valid_.push_back(1);
  doubles_.push_back(v);
}

void Column::AppendInt128(Int128 v) {
  STRATA_ASSERT(physical_ == PhysicalType::kInt128);
  valid_.push_back(1);
  int128s_.push_back(v);
}

void Column::AppendString(std::string_view v) {
  STRATA_ASSERT(physical_ == PhysicalType::kString);
  valid_.push_back(1);
  strings_.push_back(arena_->Copy(v));
}

void Column::AppendFrom(const Column& other, size_t row) {
  STRATA_ASSERT(physical_ == other.physical_);
  if (other.is_null(row)) return AppendNull();
  switch (physical_) {
    case PhysicalType::kBool:
      return AppendBool(other.bools_[row] != 0);
    case PhysicalType::kInt64:
      return AppendInt64(other.int64s_[row]);
    case PhysicalType::kInt32:
      return AppendInt32(other.int32s_[row]);
    case PhysicalType::kDouble:
      return AppendDouble(other.doubles_[row]);
    case PhysicalType::kInt128:
      return AppendInt128(other.int128s_[row]);
    case PhysicalType::kString:
      return AppendString(other.strings_[row]);
  }
}

void Column::AppendValue(const Value& v) {
  if (v.is_null()) return AppendNull();
  switch (physical_) {
    case PhysicalType::kBool:
      return AppendBool(v.as_bool());
    case PhysicalType::kInt64:
      return AppendInt64(v.as_int64());
    case PhysicalType::kInt32:
      return AppendInt32(v.as_int32());
    case PhysicalType::kDouble:
      return AppendDouble(v.as_double());
    case PhysicalType::kInt128:
      return AppendInt128(v.as_int128());
    case PhysicalType::kString:
      return AppendString(v.as_string());
  }
}

Value Column::GetValue(size_t row) const {
  if (is_null(row)) return Value::Null();
  switch (physical_) {
    case PhysicalType::kBool:
      return Value::Bool(bools_[row] != 0);
    case PhysicalType::kInt64:
      return Value::Int64(int64s_[row]);
    case PhysicalType::kInt32:
      return Value::Int32(int32s_[row]);
    case PhysicalType::kDouble:
      return Value::Double(doubles_[row]);
    case PhysicalType::kInt128:
      return Value::Int128(int128s_[row]);
    case PhysicalType::kString:
      return Value::String(std::string(strings_[row]));
  }
  return Value::Null();
}

void Column::Reserve(size_t rows) {
  valid_.reserve(rows);
  switch (physical_) {
    case PhysicalType::kBool:
      bools_.reserve(rows);
      break;
    case PhysicalType::kInt64:
      int64s_.reserve(rows);
      break;
    case PhysicalType::kInt32:
      int32s_.reserve(rows);
      break;
    case PhysicalType::kDouble:
      doubles_.reserve(rows);
      break;
    case PhysicalType::kInt128:
      int128s_.reserve(rows);
      break;
    case PhysicalType::kString:
      strings_.reserve(rows);
      break;
  }
}

void Column::Clear() {
  valid_.clear();
  bools_.clear();
  int64s_.clear();
  int32s_.clear();
  doubles_.clear();
  int128s_.clear();
  strings_.clear();
  // Views handed out before stay valid in the old arena while anyone shares it.
  arena_ = std::make_shared<Arena>();
}

void Batch::AppendRow(const Batch& other, size_t row, int64_t weight) {
  STRATA_ASSERT(columns.size() == other.columns.size());
  for (size_t c = 0; c < columns.size(); ++c)
    columns[c].AppendFrom(other.columns[c], row);
  weights.push_back(weight);
  if (!other.origins.empty() && origins.size() + 1 == weights.size()) {
    origins.push_back(other.origins[row]);
  }
}

Batch Batch::Select(const std::vector<uint8_t>& keep) const {
  Batch out;
  for (const Column& c : columns)
    out.columns.emplace_back(c.type());
  for (size_t r = 0; r < num_rows(); ++r) {
    if (keep[r]) out.AppendRow(*this, r, weights[r]);
  }
  return out;
}

std::vector<Value> Batch::Row(size_t row) const {
  std::vector<Value> out;
  out.reserve(columns.size());
  for (const Column& c : columns)
    out.push_back(c.GetValue(row));
  return out;
}

}  // namespace strata
