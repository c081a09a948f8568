// JoinOperator (exec/join.h): exact cases, then random changelogs on both sides against a
// naive reference (a nested loop over the current contents of both inputs), through saves
// and loads. STRATA_JOIN_ROUNDS raises the property test's rounds (default 40 per shape).
#include "exec/join.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "exec/operator.h"
#include "testing/bind_pipeline.h"
#include "testing/changelog.h"

namespace strata::exec {
namespace {

using strata::testing::ChangeRow;
using strata::testing::Consolidated;
using strata::testing::MakeInput;
using strata::testing::Row;

// silver.l (k bigint, v bigint) and silver.r (k bigint, x bigint); no keys, so any multiset.
std::unique_ptr<sql::Pipeline> Bind(const std::string& join, const std::string& on,
                                    const std::string& where = "") {
  return testing::BindPipeline(R"(
CREATE TABLE bronze.bl (k bigint, v bigint) WITH (layer = 'bronze', partitions = 1);
CREATE TABLE bronze.br (k bigint, x bigint) WITH (layer = 'bronze', partitions = 1);
CREATE TABLE silver.l (k bigint, v bigint) WITH (layer = 'silver');
INSERT INTO silver.l SELECT k, v FROM bronze.bl;
CREATE TABLE silver.r (k bigint, x bigint) WITH (layer = 'silver');
INSERT INTO silver.r SELECT k, x FROM bronze.br;
CREATE MATERIALIZED VIEW gold.j WITH (layer = 'gold') AS
SELECT a.v, count(*) AS n FROM silver.l a )" +
                               join + " silver.r b ON " + on +
                               (where.empty() ? "" : " WHERE " + where) + R"( GROUP BY a.v;
)");
}

const std::vector<Type> kSide = {Type::Bigint(), Type::Bigint()};

Value I(int64_t v) {
  return Value::Int64(v);
}
Value N() {
  return Value::Null();
}

struct Harness {
  std::unique_ptr<sql::Pipeline> plan;
  std::unique_ptr<JoinOperator> op;
  Consolidated emitted;

  Harness(const std::string& join, const std::string& on) : plan(Bind(join, on)) {
    if (!plan) return;
    auto made = JoinOperator::Make(*plan->gold[0].join, kSide, kSide);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) op = std::move(made).value();
  }
  Status Push(JoinSide side, const std::vector<ChangeRow>& rows) {
    Batch out = MakeBatch(op->output_types());
    Status s = op->Push(side, MakeInput(kSide, rows), &out);
    testing::AddTo(out, &emitted);
    EXPECT_EQ(out.origins.size(), out.num_rows());
    return s;
  }
  void Reload() {
    std::string state;
    ASSERT_TRUE(op->SaveState(&state).ok());
    auto made = JoinOperator::Make(*plan->gold[0].join, kSide, kSide);
    ASSERT_TRUE(made.ok());
    ASSERT_TRUE((*made)->LoadState(state).ok());
    op = std::move(made).value();
  }
};

ChangeRow Add(Row r) {
  return {std::move(r), +1, 0, 0};
}
ChangeRow Del(Row r) {
  return {std::move(r), -1, 0, 0};
}

TEST(JoinTest, InnerJoinFollowsUpdatesOnBothSides) {
  Harness h("JOIN", "a.k = b.k");
  ASSERT_TRUE(h.op);
  ASSERT_TRUE(h.Push(JoinSide::kLeft, {Add({I(1), I(10)}), Add({I(2), I(20)})}).ok());
  EXPECT_TRUE(h.emitted.empty());
  ASSERT_TRUE(h.Push(JoinSide::kRight, {Add({I(1), I(100)})}).ok());
  EXPECT_EQ(h.emitted, (Consolidated{{{I(1), I(10), I(1), I(100)}, 1}}));
  // The right row moves from key 1 to key 2: its joined row moves with it.
  ASSERT_TRUE(h.Push(JoinSide::kRight, {Del({I(1), I(100)}), Add({I(2), I(100)})}).ok());
  EXPECT_EQ(h.emitted, (Consolidated{{{I(2), I(20), I(2), I(100)}, 1}}));
  // Duplicates multiply.
  ASSERT_TRUE(h.Push(JoinSide::kLeft, {Add({I(2), I(20)})}).ok());
  EXPECT_EQ(h.emitted, (Consolidated{{{I(2), I(20), I(2), I(100)}, 2}}));
}

TEST(JoinTest, LeftJoinPadsUnmatchedRowsAndTakesThePaddingBack) {
  Harness h("LEFT JOIN", "a.k = b.k");
  ASSERT_TRUE(h.op);
  ASSERT_TRUE(h.Push(JoinSide::kLeft, {Add({I(1), I(10)}), Add({N(), I(30)})}).ok());
  EXPECT_EQ(h.emitted, (Consolidated{{{I(1), I(10), N(), N()}, 1}, {{N(), I(30), N(), N()}, 1}}));
  ASSERT_TRUE(h.Push(JoinSide::kRight, {Add({I(1), I(100)}), Add({N(), I(7)})}).ok());
  EXPECT_EQ(h.emitted,
            (Consolidated{{{I(1), I(10), I(1), I(100)}, 1}, {{N(), I(30), N(), N()}, 1}}));
  // The customer is deleted: the order's row turns back to NULLs.
  ASSERT_TRUE(h.Push(JoinSide::kRight, {Del({I(1), I(100)})}).ok());
  EXPECT_EQ(h.emitted, (Consolidated{{{I(1), I(10), N(), N()}, 1}, {{N(), I(30), N(), N()}, 1}}));
  ASSERT_TRUE(h.Push(JoinSide::kLeft, {Del({N(), I(30)})}).ok());
  EXPECT_EQ(h.emitted, (Consolidated{{{I(1), I(10), N(), N()}, 1}}));
}

// A joined row carries its left row's origin, a row padded on the left its right row's,
// whichever side's change produced it: its retraction carries its insertion's origin.
TEST(JoinTest, JoinedRowsCarryTheOriginOfTheirRowsNotOfTheChange) {
  Harness h("FULL JOIN", "a.k = b.k");
  ASSERT_TRUE(h.op);
  auto origins = [&](JoinSide side, const std::vector<ChangeRow>& rows) {
    Batch out = MakeBatch(h.op->output_types());
    EXPECT_TRUE(h.op->Push(side, MakeInput(kSide, rows), &out).ok());
    std::vector<std::pair<int64_t, uint64_t>> got;  // (weight, partition * 100 + offset)
    for (size_t r = 0; r < out.num_rows(); ++r)
      got.emplace_back(out.weights[r], out.origins[r].partition * 100 + out.origins[r].offset);
    std::sort(got.begin(), got.end());
    return got;
  };
  using Got = std::vector<std::pair<int64_t, uint64_t>>;
  // (1, 10) from partition 0 offset 5; (1, 100) from partition 1 offset 7.
  EXPECT_EQ(origins(JoinSide::kLeft, {{{I(1), I(10)}, +1, 0, 5}}), (Got{{1, 5}}));
  // The right row's arrival takes back (l, NULLs) and adds (l, r): both the left row's.
  EXPECT_EQ(origins(JoinSide::kRight, {{{I(1), I(100)}, +1, 1, 7}}), (Got{{-1, 5}, {1, 5}}));
  // The left row leaves: (l, r) goes with the left row's origin, (NULLs, r) comes with the
  // right row's.
  EXPECT_EQ(origins(JoinSide::kLeft, {{{I(1), I(10)}, -1, 0, 5}}), (Got{{-1, 5}, {1, 107}}));
  // Back again from another record, then the right row leaves: the pair goes with the
  // origin it came with.
  EXPECT_EQ(origins(JoinSide::kLeft, {{{I(1), I(10)}, +1, 0, 9}}), (Got{{-1, 107}, {1, 9}}));
  EXPECT_EQ(origins(JoinSide::kRight, {{{I(1), I(100)}, -1, 1, 7}}), (Got{{-1, 9}, {1, 9}}));
}

// Equal rows from different records: a retraction takes the one with its origin.
TEST(JoinTest, ARetractionTakesTheEqualRowWithItsOrigin) {
  Harness h("JOIN", "a.k = b.k");
  ASSERT_TRUE(h.op);
  ASSERT_TRUE(h.Push(JoinSide::kRight, {{{I(1), I(100)}, +1, 0, 1}}).ok());
  ASSERT_TRUE(h.Push(JoinSide::kLeft, {{{I(1), I(10)}, +1, 0, 2}, {{I(1), I(10)}, +1, 0, 3}}).ok());
  ASSERT_TRUE(h.Push(JoinSide::kLeft, {{{I(1), I(10)}, -1, 0, 3}}).ok());
  Batch out = MakeBatch(h.op->output_types());
  ASSERT_TRUE(
      h.op->Push(JoinSide::kRight, MakeInput(kSide, {{{I(1), I(100)}, -1, 0, 1}}), &out).ok());
  ASSERT_EQ(out.num_rows(), 1u);
  EXPECT_EQ(out.origins[0].offset, 2u);  // the row of offset 3 was taken back
}

// WHERE conditions over one side that cannot fail run before the join, on a side an outer
// join does not pad: the rows failing them are neither kept nor joined.
TEST(JoinTest, WhereConditionsOverOneSideRunBeforeTheJoin) {
  const std::vector<std::string> left = {"k", "v"}, right = {"k", "x"},
                                 joined = {"ak", "av", "bk", "bx"};
  auto bind = [](const std::string& join, const std::string& where) {
    return Bind(join, "a.k = b.k", where);
  };
  {
    auto plan = bind("JOIN", "a.v > 5 AND b.x IN (1, 2) AND a.v < b.x AND a.v / 2 > 1");
    ASSERT_TRUE(plan);
    const sql::GoldView& g = plan->gold[0];
    ASSERT_TRUE(g.join->left_filter && g.join->right_filter && g.where);
    EXPECT_EQ(sql::FormatBoundExpr(*g.join->left_filter, left), "v > 5");
    EXPECT_EQ(sql::FormatBoundExpr(*g.join->right_filter, right), "x IN (1, 2)");
    // Over both sides, or able to fail (a division): after the join.
    EXPECT_EQ(sql::FormatBoundExpr(*g.where, joined), "(av < bx) AND ((av / 2) > 1)");
    auto op = JoinOperator::Make(*g.join, kSide, kSide);
    ASSERT_TRUE(op.ok());
    Consolidated emitted;
    auto push = [&](JoinSide side, const std::vector<ChangeRow>& rows) {
      Batch out = MakeBatch((*op)->output_types());
      ASSERT_TRUE((*op)->Push(side, MakeInput(kSide, rows), &out).ok());
      testing::AddTo(out, &emitted);
    };
    push(JoinSide::kLeft, {Add({I(1), I(3)}), Add({I(1), I(7)})});
    push(JoinSide::kRight, {Add({I(1), I(2)}), Add({I(1), I(9)})});
    EXPECT_EQ(emitted, (Consolidated{{{I(1), I(7), I(1), I(2)}, 1}}));
    EXPECT_EQ((*op)->stats().rows, 2u);  // (1, 7) and (1, 2): the others were not kept
  }
  {
    // LEFT JOIN: the right side is padded, so a condition over it stays after the join.
    auto plan = bind("LEFT JOIN", "a.v > 5 AND b.x IS NULL");
    ASSERT_TRUE(plan);
    const sql::GoldView& g = plan->gold[0];
    EXPECT_TRUE(g.join->left_filter.has_value());
    EXPECT_FALSE(g.join->right_filter.has_value());
    ASSERT_TRUE(g.where.has_value());
    EXPECT_EQ(sql::FormatBoundExpr(*g.where, joined), "bx IS NULL");
  }
  {
    auto plan = bind("FULL JOIN", "a.v > 5");
    ASSERT_TRUE(plan);
    EXPECT_FALSE(plan->gold[0].join->left_filter.has_value());
    EXPECT_TRUE(plan->gold[0].where.has_value());
  }
}

TEST(JoinTest, ARetractionOfARowNeverInsertedIsRefused) {
  Harness h("JOIN", "a.k = b.k");
  ASSERT_TRUE(h.op);
  Status s = h.Push(JoinSide::kRight, {Del({I(1), I(100)})});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(h.op->stats().keys, 0u);
}

TEST(JoinTest, StateCountsKeysRowsAndBytes) {
  Harness h("FULL JOIN", "a.k = b.k");
  ASSERT_TRUE(h.op);
  ASSERT_TRUE(h.Push(JoinSide::kLeft,
                     {Add({I(1), I(10)}), Add({I(1), I(11)}), Add({I(1), I(11)}), Add({N(), I(5)})})
                  .ok());
  ASSERT_TRUE(h.Push(JoinSide::kRight, {Add({I(1), I(100)})}).ok());
  JoinStats s = h.op->stats();
  EXPECT_EQ(s.keys, 2u);  // key 1 on each side; the NULL key is not kept
  EXPECT_EQ(s.rows, 4u);  // (1,10), (1,11) twice, (1,100)
  EXPECT_GT(s.bytes, 3u * 20);
  h.Reload();
  JoinStats loaded = h.op->stats();
  EXPECT_EQ(loaded.keys, s.keys);
  EXPECT_EQ(loaded.rows, s.rows);
  EXPECT_EQ(loaded.bytes, s.bytes);
}

TEST(JoinTest, DamagedStateIsRefused) {
  Harness h("LEFT JOIN", "a.k = b.k");
  ASSERT_TRUE(h.op);
  ASSERT_TRUE(h.Push(JoinSide::kLeft, {Add({I(1), I(10)})}).ok());
  std::string state;
  ASSERT_TRUE(h.op->SaveState(&state).ok());
  for (size_t i = 0; i < state.size(); ++i) {
    std::string bad = state;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    auto fresh = JoinOperator::Make(*h.plan->gold[0].join, kSide, kSide);
    ASSERT_TRUE(fresh.ok());
    EXPECT_FALSE((*fresh)->LoadState(bad).ok()) << "byte " << i;
  }
}

// --- the property test ---

using Multiset = std::map<Row, int64_t, testing::RowLess>;

bool Residual(const std::string& on, const Row& l, const Row& r) {
  if (on.find("<=") == std::string::npos) return true;
  // "a.k = b.k AND a.v <= b.x": NULL compares to NULL, so FALSE.
  return !l[1].is_null() && !r[1].is_null() && l[1].as_int64() <= r[1].as_int64();
}

Consolidated Reference(const std::string& join, const std::string& on, const Multiset& left,
                       const Multiset& right) {
  const bool keep_left = join == "LEFT JOIN" || join == "FULL JOIN";
  const bool keep_right = join == "RIGHT JOIN" || join == "FULL JOIN";
  Consolidated out;
  auto add = [&](Row row, int64_t n) {
    if ((out[row] += n) == 0) out.erase(row);
  };
  std::map<Row, bool, testing::RowLess> right_matched;
  for (const auto& [l, ln] : left) {
    bool matched = false;
    for (const auto& [r, rn] : right) {
      if (l[0].is_null() || r[0].is_null() || l[0].as_int64() != r[0].as_int64() ||
          !Residual(on, l, r)) {
        continue;
      }
      matched = true;
      right_matched[r] = true;
      add({l[0], l[1], r[0], r[1]}, ln * rn);
    }
    if (keep_left && !matched) add({l[0], l[1], N(), N()}, ln);
  }
  if (keep_right) {
    for (const auto& [r, rn] : right) {
      if (!right_matched.count(r)) add({N(), N(), r[0], r[1]}, rn);
    }
  }
  return out;
}

int Rounds() {
  const char* env = std::getenv("STRATA_JOIN_ROUNDS");
  return env ? std::atoi(env) : 40;
}

TEST(JoinPropertyTest, RandomChangelogsMatchANestedLoop) {
  for (const std::string join : {"JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"}) {
    for (const std::string on : {"a.k = b.k", "a.k = b.k AND a.v <= b.x"}) {
      SCOPED_TRACE(join + " ON " + on);
      for (int round = 0; round < Rounds(); ++round) {
        std::mt19937_64 rng(static_cast<uint64_t>(round) * 7919 + join.size() * 31 + on.size());
        Harness h(join, on);
        ASSERT_TRUE(h.op);
        Multiset sides[2];
        auto value = [&](int domain) {
          return rng() % 6 == 0 ? N() : I(static_cast<int64_t>(rng() % domain));
        };
        for (int step = 0; step < 30; ++step) {
          const int s = static_cast<int>(rng() % 2);
          std::vector<ChangeRow> batch;
          const int n = 1 + static_cast<int>(rng() % 6);
          for (int i = 0; i < n; ++i) {
            Multiset& m = sides[s];
            if (!m.empty() && rng() % 3 == 0) {
              auto it = m.begin();
              std::advance(it, rng() % m.size());
              Row row = it->first;
              if (--it->second == 0) m.erase(it);
              batch.push_back(Del(row));
            } else {
              Row row{value(4), value(5)};
              ++m[row];
              batch.push_back(Add(row));
            }
          }
          ASSERT_TRUE(h.Push(s == 0 ? JoinSide::kLeft : JoinSide::kRight, batch).ok());
          if (step % 10 == 9) h.Reload();
          ASSERT_EQ(h.emitted, Reference(join, on, sides[0], sides[1]))
              << "round " << round << " step " << step;
        }
      }
    }
  }
}

}  // namespace
}  // namespace strata::exec
