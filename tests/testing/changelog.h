// Helpers for tests of changelog operators: building batches from rows of Values and
// consolidating emitted changelogs (sum of weights per distinct row). Header-only; needs
// only the common layer.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/column.h"
#include "common/value.h"

namespace strata::testing {

using Row = std::vector<Value>;

struct RowLess {
  bool operator()(const Row& a, const Row& b) const {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (int c = Compare(a[i], b[i])) return c < 0;
    }
    return a.size() < b.size();
  }
};

// Row → total weight; rows whose weights cancel are absent.
using Consolidated = std::map<Row, int64_t, RowLess>;

// A changelog row with where it came from.
struct ChangeRow {
  Row values;
  int64_t weight = 1;
  uint32_t partition = 0;
  uint64_t offset = 0;
};

inline Batch MakeInput(const std::vector<Type>& types, const std::vector<ChangeRow>& rows,
                       bool with_origins = true) {
  Batch b;
  for (const Type& t : types)
    b.columns.emplace_back(t);
  for (const ChangeRow& r : rows) {
    for (size_t c = 0; c < types.size(); ++c)
      b.columns[c].AppendValue(r.values[c]);
    b.weights.push_back(r.weight);
    if (with_origins) b.origins.push_back(RowOrigin{r.partition, r.offset, {}});
  }
  return b;
}

// Adds rows [from, end) of `b`.
inline void AddTo(const Batch& b, Consolidated* out, size_t from = 0) {
  for (size_t r = from; r < b.num_rows(); ++r) {
    auto [it, _] = out->try_emplace(b.Row(r), 0);
    it->second += b.weights[r];
    if (it->second == 0) out->erase(it);
  }
}

inline Consolidated Consolidate(const Batch& b) {
  Consolidated out;
  AddTo(b, &out);
  return out;
}

// The rows of a batch with their weights, in order, for exact expectations.
inline std::vector<std::pair<Row, int64_t>> Rows(const Batch& b) {
  std::vector<std::pair<Row, int64_t>> out;
  for (size_t r = 0; r < b.num_rows(); ++r)
    out.emplace_back(b.Row(r), b.weights[r]);
  return out;
}

inline std::string RowToString(const Row& row, const std::vector<Type>& types) {
  std::string s = "(";
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) s += ", ";
    s += row[i].ToString(types[i]);
  }
  return s + ")";
}

inline std::string ToString(const Consolidated& c, const std::vector<Type>& types) {
  std::string s;
  for (const auto& [row, w] : c)
    s += RowToString(row, types) + " x" + std::to_string(w) + "\n";
  return s;
}

}  // namespace strata::testing
