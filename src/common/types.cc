#include "common/types.h"

namespace strata {

PhysicalType Type::physical() const {
  switch (id) {
    case TypeId::kBoolean:
      return PhysicalType::kBool;
    case TypeId::kBigint:
      return PhysicalType::kInt64;
    case TypeId::kDouble:
      return PhysicalType::kDouble;
    case TypeId::kNumeric:
      return PhysicalType::kInt128;
    case TypeId::kText:
      return PhysicalType::kString;
    case TypeId::kTimestamp:
      return PhysicalType::kInt64;
    case TypeId::kDate:
      return PhysicalType::kInt32;
  }
  STRATA_ASSERT(false);
  return PhysicalType::kString;
}

std::string Type::ToString() const {
  switch (id) {
    case TypeId::kBoolean:
      return "boolean";
    case TypeId::kBigint:
      return "bigint";
    case TypeId::kDouble:
      return "double precision";
    case TypeId::kNumeric:
      return numeric.ToString();
    case TypeId::kText:
      return "text";
    case TypeId::kTimestamp:
      return "timestamp";
    case TypeId::kDate:
      return "date";
  }
  return "?";
}

}  // namespace strata
