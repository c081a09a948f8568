// What the serving engine's tests share: status assertions, the property model's pipeline
// served by Lambda and by Kappa, and answers as sorted text rows.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "runtime/property_model.h"
#include "runtime/query.h"

namespace strata::serve {

using Rows = std::vector<std::vector<std::string>>;

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    ::strata::Status _s = (expr);                           \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                     \
  auto STRATA_CONCAT(_r_, __LINE__) = (expr);                               \
  ASSERT_TRUE(STRATA_CONCAT(_r_, __LINE__).ok())                            \
      << #expr << ": " << STRATA_CONCAT(_r_, __LINE__).status().ToString(); \
  lhs = std::move(STRATA_CONCAT(_r_, __LINE__)).value()

inline constexpr const char* kLambda = "gold.by_grp";
inline constexpr const char* kKappa = "gold.k_by_grp";
inline constexpr const char* kBronze = "bronze.events";
// The replayed "fix" of the Kappa view: it leaves out group 'a' (and NULL groups, since
// NULL <> 'a' is NULL).
inline constexpr const char* kFixWhere = "WHERE grp <> 'a'";

// The property model's pipeline with its view served by Lambda, plus the same aggregate
// served by Kappa (optionally filtered by `kappa_where`).
inline std::string Pipeline(const std::string& kappa_where = "") {
  return runtime::property::PropertyPipeline(
             "WITH (serving = 'lambda', batch_every = '1 minute')") +
         "CREATE MATERIALIZED VIEW gold.k_by_grp WITH (serving = 'kappa') AS\n"
         "SELECT grp, count(*) AS n, count(qty) AS nq, sum(amount) AS total, min(amount) AS lo,\n"
         "       max(amount) AS hi, count(DISTINCT qty) AS dq, sum(qty) AS sq\n"
         "FROM silver.events " +
         kappa_where + " GROUP BY grp;\n";
}

// What the fix answers: the reference's rows without group 'a' and the NULL group.
inline Rows Fixed(const Rows& gold) {
  Rows out;
  for (const auto& row : gold) {
    if (row[0] != "a" && row[0] != "NULL") out.push_back(row);
  }
  return out;
}

inline Rows Text(const runtime::QueryResult& result) {
  Rows out;
  const Batch& b = result.rows;
  for (size_t r = 0; r < b.num_rows(); ++r) {
    std::vector<std::string> row;
    for (size_t c = 0; c < b.columns.size(); ++c)
      row.push_back(b.columns[c].GetValue(r).ToString(result.types[c]));
    for (int64_t w = 0; w < b.weights[r]; ++w)
      out.push_back(row);
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string Star(const char* view) {
  return std::string("SELECT * FROM ") + view;
}

}  // namespace strata::serve
