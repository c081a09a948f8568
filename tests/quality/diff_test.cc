// Comparing two answers of a view (quality/diff.h): rows matched by the view's key, counted
// as added, removed or changed, with the largest relative change per numeric column and the
// differing rows reported per side; the text and JSON forms.
#include "quality/diff.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/runner.h"
#include "testing/changelog.h"

namespace strata::quality {
namespace {

using strata::testing::ChangeRow;
using strata::testing::MakeInput;

constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.o (id text, c text, amount bigint) WITH (layer = 'bronze', key = 'id');
CREATE TABLE silver.o (id text NOT NULL, c text, amount bigint, PRIMARY KEY (id))
WITH (layer = 'silver');
INSERT INTO silver.o SELECT id, c, amount FROM bronze.o;
CREATE MATERIALIZED VIEW gold.by_c AS SELECT c, count(*) AS k, sum(amount) AS s
FROM silver.o GROUP BY c;
CREATE MATERIALIZED VIEW gold.all_rows AS SELECT count(*) AS k FROM silver.o;
)sql";

const sql::Pipeline& Plan() {
  static const sql::Pipeline plan = runtime::LoadPipeline(kPipeline, "p.sql").value();
  return plan;
}

Batch ByC(const std::vector<std::tuple<std::string, int64_t, int64_t>>& rows) {
  std::vector<ChangeRow> change_rows;
  for (const auto& [c, k, s] : rows)
    change_rows.push_back({{Value::String(c), Value::Int64(k), Value::Int64(s)}});
  return MakeInput({Type::Text(), Type::Bigint(), Type::Bigint()}, change_rows, false);
}

TEST(DiffTest, KeyColumnsAreTheOutputsOfGroupKeysOrThePrimaryKey) {
  EXPECT_EQ(KeyColumns(Plan(), "gold.by_c"), std::vector<int>{0});
  EXPECT_EQ(KeyColumns(Plan(), "gold.all_rows"), std::vector<int>{});
  EXPECT_EQ(KeyColumns(Plan(), "silver.o"), std::vector<int>{0});
  EXPECT_EQ(KeyColumns(Plan(), "gold.none"), std::vector<int>{});
}

TEST(DiffTest, RowsMatchedByKeyAreAddedRemovedOrChanged) {
  const Batch left = ByC({{"a", 1, 10}, {"b", 2, 20}, {"c", 3, 30}});
  const Batch right = ByC({{"a", 1, 10}, {"b", 2, 25}, {"d", 4, 40}});
  std::vector<std::pair<bool, size_t>> differing;
  Diff d = CompareRows(Plan(), "gold.by_c", left, "live", right, "recompute", &differing);
  EXPECT_EQ(d.left_rows, 3u);
  EXPECT_EQ(d.right_rows, 3u);
  EXPECT_EQ(d.added, 1u);    // d
  EXPECT_EQ(d.removed, 1u);  // c
  EXPECT_EQ(d.changed, 1u);  // b: s 20 -> 25
  EXPECT_FALSE(d.identical());
  ASSERT_EQ(d.largest_relative_change.size(), 2u);  // the numeric non-key columns
  EXPECT_EQ(d.largest_relative_change[0], std::make_pair(std::string("k"), 0.0));
  EXPECT_EQ(d.largest_relative_change[1], std::make_pair(std::string("s"), 0.25));
  // b on both sides, c on the left, d on the right.
  EXPECT_EQ(differing,
            (std::vector<std::pair<bool, size_t>>{{true, 1}, {false, 1}, {true, 2}, {false, 2}}));
  EXPECT_NE(d.ToText().find("rows added 1, removed 1, changed 1"), std::string::npos) << d.ToText();
  auto back = Diff::FromJson(d.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), d.ToJson());
}

TEST(DiffTest, WithoutAKeyRowsAreAMultiset) {
  auto counts = [](std::vector<int64_t> ks) {
    std::vector<ChangeRow> rows;
    for (int64_t k : ks)
      rows.push_back({{Value::Int64(k)}});
    return MakeInput({Type::Bigint()}, rows, false);
  };
  Diff d = CompareRows(Plan(), "gold.all_rows", counts({5, 5, 7}), "l", counts({5, 8}), "r");
  EXPECT_EQ(d.removed, 2u);  // one 5, the 7
  EXPECT_EQ(d.added, 1u);    // the 8
  EXPECT_EQ(d.changed, 0u);
  Diff same = CompareRows(Plan(), "gold.all_rows", counts({5, 7}), "l", counts({7, 5}), "r");
  EXPECT_TRUE(same.identical());
  EXPECT_NE(same.ToText().find("no difference"), std::string::npos);
}

TEST(DiffTest, SidesWithDifferentColumnsDifferInEveryRow) {
  const Batch left = ByC({{"a", 1, 10}, {"b", 2, 20}});
  std::vector<ChangeRow> one = {{{Value::Int64(3)}}};
  const Batch right = MakeInput({Type::Bigint()}, one, false);
  Diff d = CompareRows(Plan(), "gold.by_c", left, "live", right, "replay");
  EXPECT_EQ(d.removed, 2u);
  EXPECT_EQ(d.added, 1u);
  ASSERT_EQ(d.examples.size(), 1u);
  EXPECT_EQ(d.examples[0], "the two sides have different columns: every row differs");
}

}  // namespace
}  // namespace strata::quality
