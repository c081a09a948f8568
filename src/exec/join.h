// JoinOperator: an equi-join of two changelogs (a gold view's FROM a JOIN b ON ..., sql/plan.h
// JoinSpec), INNER, LEFT, RIGHT or FULL, exact under updates and deletes on either side.
//
// A side with a filter (the reader's WHERE conditions over that side alone, sql::JoinSpec)
// passes only its rows that meet it: the others are neither kept nor joined.
//
// Input: changes of one side at a time (rows of that side's columns with signed weights, as
// the silver upsert emits them: an update is a retraction and an insertion). Output: the
// changes of the joined row (the left columns, then the right), such that the sum of
// everything emitted is always the join of the two inputs' current contents:
//   - a left row l and a right row r with equal, non-NULL keys for which the residual is TRUE
//     form the joined row (l, r), with the product of their multiplicities;
//   - on a preserved side (the left of LEFT, the right of RIGHT, both of FULL), a row with no
//     such partner, or with a NULL key, forms (l, NULLs) or (NULLs, r).
// So a change of a customer retracts and re-emits exactly the joined rows of that customer,
// and a deleted customer turns a left join's rows into (order, NULLs). Each change row is
// applied in order; a change of side S is joined with the other side's current rows, then S's
// rows are updated (Δ(L ⋈ R) = ΔL ⋈ R + L' ⋈ ΔR). When `in` tracks origins, a joined row
// carries its left row's origin and a row padded on the left its right row's (each kept row
// keeps its origin), whichever side's change produced it: a retraction carries the origin its
// insertion had.
//
// State, per side: an open-addressing hash table (absl::flat_hash_map) from the key's
// canonical encoding (exec/row_codec.h) to one byte string holding that key's rows back to
// back, each entry as [fixed32 row length][fixed64 count][fixed64 matches][fixed32
// partition][fixed64 offset][exact row encoding] — no heap node per row. An insertion
// appends an entry (an equal row may stand in several); a retraction takes copies from the
// first equal entries with its origin, then from the first equal ones. `matches` is kept on
// a preserved side only: the number of the other side's rows the row joins with, which
// decides when its NULL-padded row appears or leaves. Rows with a NULL key are not kept
// (they never match). The state, and the sum of the output, depend only on the multiset of
// changes pushed (exec/operator.h).
//
// The state is unbounded: every current row of both inputs is kept (`strata check` says so).
//
// Not thread-safe: one thread at a time, as the operator contract says.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/column.h"
#include "common/hash.h"
#include "common/status.h"
#include "exec/expression.h"
#include "sql/plan.h"

namespace strata::exec {

enum class JoinSide : uint8_t { kLeft = 0, kRight = 1 };

// The size of a join's state, for `strata status`.
struct JoinStats {
  uint64_t keys = 0;   // distinct keys, both sides
  uint64_t rows = 0;   // entries kept, both sides (one per insertion that is still held)
  uint64_t bytes = 0;  // bytes of keys and rows kept (not counting the tables' slots)
};

class JoinOperator {
 public:
  // `left` and `right`: the two inputs' column types (spec.columns, split at left_columns).
  // InvalidArgument when the spec's expressions do not compile over them.
  static Result<std::unique_ptr<JoinOperator>> Make(const sql::JoinSpec& spec,
                                                    std::vector<Type> left,
                                                    std::vector<Type> right);

  // The joined row's types: the left's, then the right's.
  const std::vector<Type>& output_types() const { return output_types_; }

  // Applies the changes `in` of side `side` and appends the join's changes to `out` (shaped
  // to output_types(), with origins when `in` and `out` track them). InvalidArgument when a
  // batch does not fit; FailedPrecondition when a key cannot be evaluated (naming the row's
  // origin) or a retraction removes a row the side does not hold (a broken input).
  Status Push(JoinSide side, const Batch& in, Batch* out);

  Status SaveState(std::string* out) const;
  Status LoadState(std::string_view in);

  JoinStats stats() const;

 private:
  struct SideState {
    absl::flat_hash_map<std::string, std::string, BytesHash, std::equal_to<>> buckets;
    uint64_t rows = 0;
    uint64_t bytes = 0;
  };

  JoinOperator(sql::JoinType type, std::vector<Type> left, std::vector<Type> right,
               std::vector<CompiledExpression> left_keys,
               std::vector<CompiledExpression> right_keys,
               std::optional<CompiledExpression> residual);

  // Push, after the side's filter.
  Status PushRows(JoinSide side, const Batch& in, Batch* out);
  bool Preserved(JoinSide side) const;
  uint32_t Fingerprint() const;
  // The joined rows of change row `r` of `in` (side `side`) with the other side's rows in
  // `bucket`: which pass the residual (one flag per entry of the bucket, in order).
  Result<std::vector<uint8_t>> Residual(JoinSide side, const Batch& in, size_t r,
                                        std::string_view bucket);
  // Appends to `out` the joined row of `in`'s row r (side `side`) and the encoded row
  // `other` of the other side (null: NULLs), with weight `weight`.
  void AppendJoined(JoinSide side, const Batch& in, size_t r, const std::string_view* other,
                    int64_t weight, Batch* out) const;
  // Appends to `out` the NULL-padded row of the encoded row `row` of side `side`.
  void AppendPadded(JoinSide side, std::string_view row, int64_t weight, Batch* out) const;
  // Adds `weight` copies of `row` (with `origin` and `matches`) to side `side` under `key`
  // (removes them when `weight` < 0).
  Status Update(JoinSide side, std::string_view key, std::string_view row, const RowOrigin& origin,
                int64_t weight, int64_t matches);

  sql::JoinType type_;
  std::vector<Type> types_[2];
  std::vector<Type> output_types_;
  std::vector<CompiledExpression> keys_[2];
  std::optional<CompiledExpression> residual_;
  std::optional<CompiledExpression> filters_[2];  // per side: the spec's left/right_filter
  SideState sides_[2];
  // Scratch, reused between pushes.
  std::string key_buf_;
  std::string row_buf_;
};

}  // namespace strata::exec
