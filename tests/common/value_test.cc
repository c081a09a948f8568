#include "common/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace strata {
namespace {

TEST(TypeTest, SqlSpellingAndStorage) {
  EXPECT_EQ(Type::Numeric(18, 2).ToString(), "numeric(18,2)");
  EXPECT_EQ(Type::Double().ToString(), "double precision");
  EXPECT_EQ(Type::Timestamp().physical(), PhysicalType::kInt64);
  EXPECT_EQ(Type::Date().physical(), PhysicalType::kInt32);
  EXPECT_EQ(Type::Numeric(18, 2), Type::Numeric(18, 2));
  EXPECT_FALSE(Type::Numeric(18, 2) == Type::Numeric(18, 3));
  EXPECT_FALSE(Type::Double().is_exact());
  EXPECT_TRUE(Type::Numeric(10, 0).is_exact());
}

TEST(ValueTest, TotalOrderNullFirst) {
  EXPECT_LT(Value::Null(), Value::Int64(-5));
  EXPECT_LT(Value::Int64(-5), Value::Int64(3));
  EXPECT_EQ(Value::Null(), Value::Null());
  EXPECT_LT(Value::String("a"), Value::String("b"));
  EXPECT_LT(Value::Double(-0.0), Value::Double(0.0));
  EXPECT_LT(Value::Double(1e300), Value::Double(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_LT(Value::Double(-1.5), Value::Double(-1.0));
  EXPECT_LT(Value::Int128(-(Int128(1) << 100)), Value::Int128(1));
}

TEST(ValueTest, EqualValuesHashEqually) {
  EXPECT_EQ(Value::String("x").Hash(), Value::String(std::string("x")).Hash());
  EXPECT_EQ(Value::Int128(42).Hash(), Value::Int128(42).Hash());
  EXPECT_NE(Value::Int64(1).Hash(), Value::Int64(2).Hash());
}

TEST(ValueTest, PrintsAsSql) {
  EXPECT_EQ(Value::Int128(1250).ToString(Type::Numeric(18, 2)), "12.50");
  EXPECT_EQ(Value::Bool(true).ToString(Type::Boolean()), "t");
  EXPECT_EQ(Value::Double(0.1).ToString(Type::Double()), "0.1");
  EXPECT_EQ(Value::Double(100000).ToString(Type::Double()), "100000");
  EXPECT_EQ(Value::Double(-2.5e-7).ToString(Type::Double()), "-2.5e-07");
  EXPECT_EQ(Value::Double(1e20).ToString(Type::Double()), "1e+20");
  EXPECT_EQ(Value::Double(INFINITY).ToString(Type::Double()), "Infinity");
  EXPECT_EQ(Value::Int64(0).ToString(Type::Timestamp()), "1970-01-01 00:00:00");
  EXPECT_EQ(Value::Int32(-1).ToString(Type::Date()), "1969-12-31");
  EXPECT_EQ(Value::Null().ToString(Type::Text()), "NULL");
}

}  // namespace
}  // namespace strata
