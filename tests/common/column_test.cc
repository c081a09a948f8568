#include "common/column.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(ColumnTest, AppendsEveryPhysicalTypeWithNulls) {
  const Type types[] = {Type::Boolean(), Type::Bigint(),    Type::Double(), Type::Numeric(18, 2),
                        Type::Text(),    Type::Timestamp(), Type::Date()};
  const Value values[] = {Value::Bool(true),   Value::Int64(-7),   Value::Double(2.5),
                          Value::Int128(1250), Value::String("é"), Value::Int64(1'000'000),
                          Value::Int32(20'000)};
  for (size_t i = 0; i < std::size(types); ++i) {
    Column c(types[i]);
    c.AppendValue(values[i]);
    c.AppendNull();
    c.AppendValue(values[i]);
    ASSERT_EQ(c.size(), 3u);
    EXPECT_FALSE(c.is_null(0));
    EXPECT_TRUE(c.is_null(1));
    EXPECT_EQ(c.GetValue(0), values[i]) << types[i].ToString();
    EXPECT_TRUE(c.GetValue(1).is_null());
    Column copy(types[i]);
    copy.AppendFrom(c, 1);
    copy.AppendFrom(c, 2);
    EXPECT_TRUE(copy.is_null(0));
    EXPECT_EQ(copy.GetValue(1), values[i]);
  }
}

TEST(ColumnTest, StringsAreCopiedAndStayValid) {
  Column c(Type::Text());
  {
    std::string temp = "temporary";
    c.AppendString(temp);
    temp.assign(100, 'x');
  }
  for (int i = 0; i < 10000; ++i)
    c.AppendString(std::string(i % 50, 'a'));  // many blocks
  EXPECT_EQ(c.strings()[0], "temporary");
  EXPECT_EQ(c.strings()[10000], std::string(9999 % 50, 'a'));
}

TEST(ColumnTest, WrongStorageIsAnInvariantViolation) {
  Column c(Type::Bigint());
  EXPECT_DEATH(c.AppendString("x"), "invariant violated");
  EXPECT_DEATH((void)c.doubles(), "invariant violated");
}

TEST(BatchTest, RowsAndWeights) {
  Batch a;
  a.columns = {Column(Type::Bigint()), Column(Type::Text())};
  a.columns[0].AppendInt64(1);
  a.columns[1].AppendString("one");
  a.weights.push_back(1);
  Batch b;
  b.columns = {Column(Type::Bigint()), Column(Type::Text())};
  b.AppendRow(a, 0, -1);
  ASSERT_EQ(b.num_rows(), 1u);
  EXPECT_EQ(b.weights[0], -1);
  EXPECT_EQ(b.Row(0), (std::vector<Value>{Value::Int64(1), Value::String("one")}));
}

}  // namespace
}  // namespace strata
