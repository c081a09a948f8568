// ConsolidatedChanges: a changelog reduced to its net effect -- each distinct row (by its
// exact encoding, exec/row_codec.h) with the sum of its weights; rows whose weights cancel
// disappear. Unlike an aggregate, a net weight may be negative: the changes since some
// boundary may retract rows inserted before it (a Lambda epoch, runtime/executor.h).
// Pushing AppendTo's rows into an operator has the effect of pushing every change added,
// because the operators are linear in the weights of their input.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/column.h"
#include "common/hash.h"
#include "common/status.h"
#include "common/types.h"

namespace strata::exec {

class ConsolidatedChanges {
 public:
  explicit ConsolidatedChanges(std::vector<Type> types) : types_(std::move(types)) {}

  const std::vector<Type>& types() const { return types_; }
  // Adds every row of `in` (columns of types(); origins ignored).
  void Add(const Batch& in);
  void Add(const ConsolidatedChanges& other);
  // Adds row `row` of `in` with `weight`; the net weight of that row.
  void AddRow(const Batch& in, size_t row, int64_t weight);
  int64_t Weight(const Batch& in, size_t row) const;
  // Appends each distinct row with its net weight, in encoding order (canonical).
  void AppendTo(Batch* out) const;
  // Distinct rows with a non-zero net weight.
  size_t size() const { return rows_.size(); }

  // Canonical bytes: equal changelogs give equal bytes.
  void Save(std::string* out) const;
  // Replaces the content with what Save wrote; Corruption for malformed bytes.
  Status Load(std::string_view in);

 private:
  void AddRow(std::string_view row, int64_t weight);

  std::vector<Type> types_;
  absl::flat_hash_map<std::string, int64_t, BytesHash, std::equal_to<>> rows_;
};

}  // namespace strata::exec
