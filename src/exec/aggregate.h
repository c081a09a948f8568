// AggregateOperator: GROUP BY over a changelog (DESIGN.md §2: "gold aggregates consume
// weights, so updates and deletes in the source correct gold exactly"; §4: aggregate
// states are mergeable and invertible, so Lambda's batch ⊕ speed is exact).
//
// Input: rows with signed weights whose group key and aggregate arguments are already
// evaluated into columns (the operator takes column indexes, not expressions). Every
// aggregate is exact under retraction:
//   count(*)        Σ weights.
//   count(x)        Σ weights of rows with x non-NULL.
//   sum(x)          bigint and numeric: an exact 256-bit sum (NumericSum) of weight × x,
//                   rescaled to the result type (numeric(38,0) for bigint, numeric(38,s)
//                   for numeric(p,s)); OutOfRange from Push when the result exceeds its
//                   precision. double: a double running sum -- its rounding depends on
//                   the order rows arrive (the one order-dependent aggregate; prefer
//                   numeric where streaming and batch must agree bit for bit), and an
//                   infinity retracted leaves NaN. The sum resets to 0 whenever a batch
//                   leaves no non-NULL value, so residue does not outlive the values.
//   avg(x)          exact sum / count, rounded half away from zero to the result type's
//                   scale (numeric result); double: double sum / count.
//   min(x), max(x)  a multiset value → count, so retracting the extreme reveals the next.
//   DISTINCT        count/sum/avg(DISTINCT x) keep the multiset too; a value counts once
//                   while its count is positive. (min/max ignore DISTINCT.)
// sum, avg, min and max over no non-NULL values are NULL; counts are then 0. Values are
// taken canonically (double -0.0 = 0.0, one NaN), as SQL equality demands.
//
// A group exists while its row count (Σ weights) is positive; at 0 it disappears.
//
// Output: for each group touched by a Push, after applying the whole batch: (-1, the old
// output row) if the group existed before, (+1, the new output row) if it exists after,
// and neither when the row is unchanged. An output row is the group key values followed
// by the aggregate values. Rows come in the order groups were first touched.
//
// Errors: a batch after which a group's row count, a non-NULL count or a multiset entry is
// negative (or more rows are non-NULL than exist) is a retraction of something never
// inserted -- a bug upstream: FailedPrecondition naming the group. Within one batch,
// retractions may precede their insertions. After an error from Push the state is
// unspecified and the pipeline must stop (exec/operator.h).
//
// Determinism: the state of exact aggregates is a function of the consolidated input, so
// it (and the consolidated output) does not depend on batch cuts or arrival order;
// double sums and averages are the exception noted above.
//
// State: a node-based hash table from the group key's canonical encoding (a std::string;
// Touched keeps pointers into it, which a node table keeps stable) to the group's row
// count and per-aggregate state; multisets are absl::btree_map<Value, count> (B-tree
// nodes of many values: ordered for min/max, fewer cache misses than a node per value).
// Pushes allocate for new groups, new multiset values and touched groups' old output rows; multiset
// aggregates also build a Value per input row (a string copy for text). Other aggregates run over
// the columns without allocating.
//
// Not thread-safe: one thread at a time, as the operator contract says.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/container/btree_map.h"
#include "common/column.h"
#include "common/hash.h"
#include "common/numeric.h"
#include "common/status.h"
#include "common/value.h"
#include "exec/operator.h"
#include "exec/row_codec.h"
#include "sql/bound_expr.h"

namespace strata::exec {

// One aggregate of the plan: kind(DISTINCT? input column `arg`) with result `result_type`.
// Accepted (others are InvalidArgument from Make):
//   count(*), count(x)     → bigint, x of any type (count(*) is never DISTINCT)
//   sum, avg of bigint or numeric → numeric; of double → double
//   min, max               → the argument's type
struct AggregateSpec {
  sql::AggregateKind kind = sql::AggregateKind::kCountStar;
  bool distinct = false;
  int arg = -1;  // index of the argument column in the input; ignored for count(*)
  Type result_type = Type::Bigint();
};

class AggregateOperator final : public Operator {
 public:
  // `input_types`: the input columns. `group_columns`: the GROUP BY columns (indexes into
  // `input_types`; may be empty: one global group). `aggregates`: see AggregateSpec.
  // InvalidArgument naming the aggregate when an index or a type does not fit.
  static Result<std::unique_ptr<AggregateOperator>> Make(std::vector<Type> input_types,
                                                         std::vector<int> group_columns,
                                                         std::vector<AggregateSpec> aggregates);
  ~AggregateOperator() override;

  // Group key types, then the aggregates' result types.
  const std::vector<Type>& output_types() const { return output_types_; }

  // InvalidArgument, before any change, when `in` or `out` does not match the schema.
  Status Push(const Batch& in, Batch* out, SideOutput* side) override;
  // Canonical: equal states give equal bytes (groups in key-encoding order).
  Status SaveState(std::string* out) const override;
  // Corruption for damaged bytes, FailedPrecondition for state of another plan or when
  // this operator already holds state. On error the operator is left empty.
  Status LoadState(std::string_view in) override;

  // Adds `other`'s state (same plan, else FailedPrecondition) to this one, as if this
  // operator had also consumed other's input; emits nothing. FailedPrecondition naming the
  // group when the sum is negative somewhere (then this state is unspecified).
  Status Merge(const AggregateOperator& other);
  // Appends every current output row with weight +1, in key-encoding order.
  Status Snapshot(Batch* out) const;
  size_t num_groups() const { return groups_.size(); }

 private:
  // How an aggregate keeps its state.
  enum class Mode : uint8_t { kCountStar, kCount, kExactSum, kDoubleSum, kMultiset };
  struct Agg {
    AggregateSpec spec;
    Mode mode = Mode::kCountStar;
    PhysicalType arg_physical = PhysicalType::kInt64;
    int arg_scale = 0;       // exact sums: the argument's scale (0 for bigint)
    bool exact_sum = false;  // kMultiset with DISTINCT sum/avg: exact or double running sum
    bool double_sum = false;
  };
  struct AggState {
    int64_t count = 0;      // Σ weights of non-NULL arguments (unused by count(*))
    NumericSum sum;         // exact sum/avg; DISTINCT: over values with positive count
    double dsum = 0;        // double sum/avg, likewise
    int64_t negatives = 0;  // multiset entries with a negative count (only inside a push)
    std::unique_ptr<absl::btree_map<Value, int64_t>> values;  // kMultiset: value → count, no zeros
  };
  struct Group {
    int64_t rows = 0;
    uint64_t last_push = 0;  // the push that last touched it (not state)
    std::vector<AggState> aggs;
  };
  struct Touched {
    std::string_view key;  // views the table's key, stable while the group lives
    Group* group;
    bool existed;
    std::vector<Value> old_aggs;
  };
  using Table = std::unordered_map<std::string, Group, BytesHash, std::equal_to<>>;

  AggregateOperator(std::vector<Type> input_types, std::vector<int> group_columns,
                    std::vector<Agg> aggs);
  Status CheckShapes(const Batch& in, const Batch& out) const;
  Table::value_type* FindOrAddGroup(std::string_view key, bool* created);
  // Clears double sums left over once no value remains (rounding residue).
  void Settle(Group* g) const;
  void Update(size_t a, const Batch& in);
  static void AddToMultiset(const Agg& agg, AggState* state, Value v, int64_t weight);
  Status Validate(std::string_view key, const Group& g) const;
  Status OutputValues(std::string_view key, const Group& g, std::vector<Value>* out) const;
  Result<Value> OutputValue(std::string_view key, size_t a, const Group& g) const;
  void AppendOutput(std::string_view key, const std::vector<Value>& aggs, int64_t weight,
                    Batch* out) const;
  std::string DescribeGroup(std::string_view key) const;
  uint32_t Fingerprint() const;
  void EncodeGroup(std::string_view key, const Group& g, std::string* out) const;
  bool DecodeGroup(ByteReader* reader, Table* table) const;
  bool DecodeAggState(ByteReader* reader, size_t a, int64_t rows, AggState* s) const;

  std::vector<Type> input_types_;
  std::vector<int> group_columns_;
  std::vector<Agg> aggs_;
  std::vector<Type> output_types_;

  Table groups_;
  uint64_t push_count_ = 0;
  std::vector<Group*> row_groups_;  // scratch of one push: each row's group
  std::vector<Touched> touched_;    // scratch of one push
  std::string key_buf_;             // scratch
};

}  // namespace strata::exec
