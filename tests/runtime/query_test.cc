// ExecuteQuery's ORDER BY ... LIMIT ... OFFSET against a naive reference: a stable sort of
// the whole table by the same keys (PostgreSQL's NULL placement: last ascending, first
// descending, unless NULLS FIRST/LAST says otherwise), then the slice. Random tables with
// many ties and NULLs, one and two keys, every direction, limits and offsets inside and
// past the table: equal keys keep the table's order whether or not a LIMIT cuts the sort.
#include "runtime/query.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "exec/operator.h"
#include "sql/binder.h"
#include "sql/parser.h"

namespace strata::runtime {
namespace {

struct Row {
  int64_t id;
  std::optional<int64_t> a, b;
};

struct Key {
  bool b = false;  // the key is b (else a)
  bool descending = false;
  std::optional<bool> nulls_first;  // unset: the default of the direction
};

// -1, 0 or 1 for x against y under `k`.
int CompareKey(const std::optional<int64_t>& x, const std::optional<int64_t>& y, const Key& k) {
  if (!x && !y) return 0;
  const bool nulls_first = k.nulls_first.value_or(k.descending);
  if (!x || !y) return (!x) == nulls_first ? -1 : 1;
  if (*x == *y) return 0;
  return (*x < *y) != k.descending ? -1 : 1;
}

std::string KeySql(const Key& k) {
  std::string s = k.b ? "b" : "a";
  if (k.descending) s += " DESC";
  if (k.nulls_first) s += *k.nulls_first ? " NULLS FIRST" : " NULLS LAST";
  return s;
}

std::vector<int64_t> Ids(const QueryResult& r) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < r.rows.num_rows(); ++i)
    out.push_back(r.rows.columns[0].int64s()[i]);
  return out;
}

TEST(QueryOrderTest, LimitAndOffsetCutTheStableOrder) {
  const std::vector<sql::ColumnSchema> columns = {
      {"id", Type::Bigint()}, {"a", Type::Bigint()}, {"b", Type::Bigint()}};
  sql::TableLookup lookup = [&](std::string_view name) -> const std::vector<sql::ColumnSchema>* {
    return name == "gold.t" ? &columns : nullptr;
  };
  std::mt19937_64 rng(20261207);
  for (int round = 0; round < 300; ++round) {
    const size_t n = rng() % 60;
    std::vector<Row> rows;
    Batch table = exec::MakeBatch({Type::Bigint(), Type::Bigint(), Type::Bigint()});
    for (size_t i = 0; i < n; ++i) {
      Row r{static_cast<int64_t>(i), std::nullopt, std::nullopt};
      if (rng() % 5 != 0) r.a = static_cast<int64_t>(rng() % 4);
      if (rng() % 5 != 0) r.b = static_cast<int64_t>(rng() % 3);
      rows.push_back(r);
      table.columns[0].AppendInt64(r.id);
      r.a ? table.columns[1].AppendInt64(*r.a) : table.columns[1].AppendNull();
      r.b ? table.columns[2].AppendInt64(*r.b) : table.columns[2].AppendNull();
      table.weights.push_back(1);
    }
    std::vector<Key> keys(1 + rng() % 2);
    for (Key& k : keys) {
      k.b = rng() % 2;
      k.descending = rng() % 2;
      if (rng() % 3 == 0) k.nulls_first = rng() % 2;
    }
    const bool has_limit = rng() % 4 != 0;
    const size_t limit = has_limit ? rng() % (n + 5) : 0;
    const size_t offset = rng() % 3 == 0 ? rng() % (n + 3) : 0;
    std::string sql = "SELECT id FROM gold.t ORDER BY ";
    for (size_t i = 0; i < keys.size(); ++i)
      sql += (i ? ", " : "") + KeySql(keys[i]);
    if (has_limit) sql += " LIMIT " + std::to_string(limit);
    if (offset) sql += " OFFSET " + std::to_string(offset);

    std::vector<Row> expected = rows;
    std::stable_sort(expected.begin(), expected.end(), [&](const Row& x, const Row& y) {
      for (const Key& k : keys) {
        const int c = CompareKey(k.b ? x.b : x.a, k.b ? y.b : y.a, k);
        if (c != 0) return c < 0;
      }
      return false;
    });
    std::vector<int64_t> want;
    for (size_t i = offset; i < expected.size() && (!has_limit || i < offset + limit); ++i)
      want.push_back(expected[i].id);

    auto select = sql::ParseQuery(sql);
    ASSERT_TRUE(select.ok()) << sql << ": " << select.status().ToString();
    auto bound = sql::BindQuery(*select, lookup);
    ASSERT_TRUE(bound.ok()) << sql << ": " << bound.status().ToString();
    auto result = ExecuteQuery(*bound, table);
    ASSERT_TRUE(result.ok()) << sql << ": " << result.status().ToString();
    EXPECT_EQ(Ids(*result), want) << sql;
  }
}

}  // namespace
}  // namespace strata::runtime
