// ExpectOperator: the first broken constraint decides, a CHECK passes when NULL, a CHECK that
// cannot be evaluated is broken with its error, a delete from bronze meets only its key's
// NOT NULL, and each on_violation policy does what it says (quarantine lists, drop counts,
// fail names the record); a table fed by a silver table takes a rejection back when the
// rejected row is retracted.
#include "exec/expect.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "exec/operator.h"

#include "testing/bind_pipeline.h"

namespace strata::exec {
namespace {

constexpr std::string_view kBronze = R"(
CREATE TABLE bronze.b (id text, qty bigint, n bigint)
WITH (layer = 'bronze', connector = 'http', partitions = 1, key = 'id');
)";

std::unique_ptr<sql::Pipeline> Bind(const std::string& text) {
  return testing::BindPipeline(text);
}

// silver.s (id, qty, n) over bronze.b with `policy`; its constraints: id NOT NULL (the key),
// qty NOT NULL, CHECK (qty > 0), CHECK (100 / n > 1).
std::unique_ptr<sql::Pipeline> Silver(const std::string& policy) {
  return Bind(std::string(kBronze) + R"(
CREATE TABLE silver.s (
  id text NOT NULL, qty bigint NOT NULL CHECK (qty > 0), n bigint CHECK (100 / n > 1),
  PRIMARY KEY (id)
) WITH (layer = 'silver', on_violation = ')" +
              policy + R"(');
INSERT INTO silver.s SELECT id, qty, n FROM bronze.b;
)");
}

struct Row {
  std::optional<std::string> id;
  std::optional<int64_t> qty, n;
  int64_t weight = 1;
};

Batch Rows(const std::vector<Row>& rows) {
  Batch b = MakeBatch({Type::Text(), Type::Bigint(), Type::Bigint()});
  uint64_t offset = 10;
  for (const Row& r : rows) {
    r.id ? b.columns[0].AppendString(*r.id) : b.columns[0].AppendNull();
    r.qty ? b.columns[1].AppendInt64(*r.qty) : b.columns[1].AppendNull();
    r.n ? b.columns[2].AppendInt64(*r.n) : b.columns[2].AppendNull();
    b.weights.push_back(r.weight);
    b.origins.push_back(RowOrigin{3, offset++, {}});
  }
  return b;
}

TEST(ExpectOperatorTest, FirstBrokenConstraintDecidesAndNullChecksPass) {
  auto p = Silver("quarantine");
  ASSERT_TRUE(p);
  auto op = ExpectOperator::Make(p->silver[0]);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  Batch rows = Rows({
      {"a", 5, 10},                     // passes
      {std::nullopt, std::nullopt, 1},  // id NULL first, though qty is NULL too
      {"c", std::nullopt, 10},          // qty NULL
      {"d", -1, 0},                     // qty > 0 fails before 100 / n errs
      {"e", 5, std::nullopt},           // 100 / NULL is NULL: the CHECK passes
      {"f", 5, 0},                      // 100 / 0: broken with the error
      {"g", 5, 60},                     // 100 / 60 = 1, not > 1
  });
  std::vector<uint8_t> keep;
  std::vector<Violation> rejected;
  int64_t dropped = 0;
  ASSERT_TRUE(op->Push("bronze.b", rows, &keep, &rejected, &dropped).ok());
  EXPECT_EQ(keep, (std::vector<uint8_t>{1, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(dropped, 0);
  ASSERT_EQ(rejected.size(), 5u);
  EXPECT_EQ(rejected[0].row, 1u);
  EXPECT_EQ(rejected[0].reason, "id is NULL (NOT NULL)");
  EXPECT_EQ(rejected[1].row, 2u);
  EXPECT_EQ(rejected[1].reason, "qty is NULL (NOT NULL)");
  EXPECT_EQ(rejected[2].row, 3u);
  EXPECT_EQ(rejected[2].reason, "CHECK (qty > 0) failed");
  EXPECT_EQ(rejected[3].row, 5u);
  EXPECT_NE(rejected[3].reason.find("CHECK ((100 / n) > 1): "), std::string::npos)
      << rejected[3].reason;
  EXPECT_NE(rejected[3].reason.find("division by zero"), std::string::npos) << rejected[3].reason;
  EXPECT_EQ(rejected[4].row, 6u);
  for (const Violation& v : rejected) {
    EXPECT_EQ(v.weight, 1);
    EXPECT_FALSE(v.constraint.empty());
  }
  EXPECT_NE(rejected[0].constraint, rejected[2].constraint);

  // Every row passes: `keep` stays empty (nothing to select).
  rejected.clear();
  ASSERT_TRUE(op->Push("bronze.b", Rows({{"a", 5, 10}}), &keep, &rejected, &dropped).ok());
  EXPECT_TRUE(keep.empty());
  EXPECT_TRUE(rejected.empty());
}

TEST(ExpectOperatorTest, ADeleteFromBronzeMeetsOnlyItsKeysNotNull) {
  auto p = Silver("quarantine");
  ASSERT_TRUE(p);
  auto op = ExpectOperator::Make(p->silver[0]);
  ASSERT_TRUE(op.ok());
  // A delete carries its key alone: qty NULL and n = 0 do not matter, a NULL key does.
  Batch rows = Rows({{"a", std::nullopt, 0, -1}, {std::nullopt, std::nullopt, 0, -1}});
  std::vector<uint8_t> keep;
  std::vector<Violation> rejected;
  int64_t dropped = 0;
  ASSERT_TRUE(op->Push("bronze.b", rows, &keep, &rejected, &dropped).ok());
  EXPECT_EQ(keep, (std::vector<uint8_t>{1, 0}));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].reason, "id is NULL (NOT NULL)");
  EXPECT_EQ(rejected[0].weight, 1);  // from bronze, every rejection is listed
}

TEST(ExpectOperatorTest, DropCountsAndFailNamesTheRecord) {
  auto drop = Silver("drop");
  ASSERT_TRUE(drop);
  auto op = ExpectOperator::Make(drop->silver[0]);
  ASSERT_TRUE(op.ok());
  std::vector<uint8_t> keep;
  std::vector<Violation> rejected;
  int64_t dropped = 0;
  ASSERT_TRUE(op->Push("bronze.b", Rows({{"a", -1, 1}, {"b", 1, 1}, {"c", 0, 1}}), &keep, &rejected,
                       &dropped)
                  .ok());
  EXPECT_EQ(keep, (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_TRUE(rejected.empty());
  EXPECT_EQ(dropped, 2);

  auto fail = Silver("fail");
  ASSERT_TRUE(fail);
  auto failing = ExpectOperator::Make(fail->silver[0]);
  ASSERT_TRUE(failing.ok());
  Status s =
      failing->Push("bronze.b", Rows({{"a", 1, 1}, {"b", -4, 1}}), &keep, &rejected, &dropped);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("silver.s: the record at bronze.b partition 3 offset 11 breaks "
                             "constraint"),
            std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("CHECK (qty > 0) failed (on_violation = 'fail')"), std::string::npos)
      << s.ToString();
}

TEST(ExpectOperatorTest, FromSilverARetractionTakesItsRejectionBack) {
  auto p = Bind(std::string(kBronze) + R"(
CREATE TABLE silver.s (id text NOT NULL, qty bigint, n bigint, PRIMARY KEY (id))
WITH (layer = 'silver');
INSERT INTO silver.s SELECT id, qty, n FROM bronze.b;
CREATE TABLE silver.t (id text NOT NULL, qty bigint CHECK (qty > 0), PRIMARY KEY (id))
WITH (layer = 'silver', on_violation = 'drop');
INSERT INTO silver.t SELECT id, qty FROM silver.s;
)");
  ASSERT_TRUE(p);
  auto op = ExpectOperator::Make(p->silver[1]);
  ASSERT_TRUE(op.ok());
  Batch rows = MakeBatch({Type::Text(), Type::Bigint()});
  for (auto [id, qty, weight] : {std::tuple{"a", -1, 1}, {"a", -1, -1}, {"b", 2, -1}}) {
    rows.columns[0].AppendString(id);
    rows.columns[1].AppendInt64(qty);
    rows.weights.push_back(weight);
    rows.origins.push_back(RowOrigin{0, 0, {}});
  }
  std::vector<uint8_t> keep;
  std::vector<Violation> rejected;
  int64_t dropped = 0;
  ASSERT_TRUE(op->Push("silver.s", rows, &keep, &rejected, &dropped).ok());
  EXPECT_EQ(keep, (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_EQ(dropped, 0);  // dropped, then taken back

  // Under quarantine the same rows give +1 then -1.
  p->silver[1].on_violation = sql::OnViolation::kQuarantine;
  ASSERT_TRUE(op->Push("silver.s", rows, &keep, &rejected, &dropped).ok());
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected[0].weight, 1);
  EXPECT_EQ(rejected[1].weight, -1);
  EXPECT_EQ(rejected[0].reason, rejected[1].reason);
}

}  // namespace
}  // namespace strata::exec
