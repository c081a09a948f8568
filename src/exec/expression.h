// Vectorized evaluation of bound expressions (sql/bound_expr.h) over columnar batches, with
// PostgreSQL's semantics: NULL propagation, three-valued logic, exact numeric and bigint
// arithmetic that fails instead of wrapping, bytewise text comparison (C collation).
//
// Evaluation is per column, not per row: each node evaluates its children into temporary
// columns and then runs one typed loop whose function, operand types and prepared state
// (a compiled regular expression, a parsed date_trunc unit) were chosen once, when the
// expression was compiled (DESIGN.md §8: no virtual call or variant per row).
//
// Two kinds of failure:
// - The expression itself is not supported (a function applied to types it does not take,
//   a cast PostgreSQL does not allow, an invalid literal regular expression or date unit,
//   a numeric result type that does not match numeric.h's rules): Compile() returns
//   InvalidArgument naming the expression's line:column. Nothing is evaluated.
// - A row fails at run time (division by zero, bigint or numeric overflow, text that does
//   not parse as the cast's type): the row's value is NULL and a RowError names the row and
//   says "line:column: what failed". The other rows are unaffected; the caller (an
//   operator) decides what a failed row means (quarantine, or stop the pipeline).
//
// Evaluation order follows PostgreSQL's executor, which decides which error a row reports
// and whether a guarded error happens at all: arguments of functions, operators, casts and
// IN lists are all evaluated, left to right; AND and OR stop at the first FALSE / TRUE;
// CASE evaluates WHEN conditions in order and only the chosen result; COALESCE stops at the
// first non-NULL argument. So `CASE WHEN x = 0 THEN 0 ELSE 10 / x END` never fails, and
// `x <> 0 AND 10 / x > 1` does not fail where x is 0.
//
// Beyond PostgreSQL: round(double) rounds half away from zero (PostgreSQL's rint() rounds
// half to even), double % double is fmod (PostgreSQL has no such operator), and every NaN
// produced is the same quiet NaN (PostgreSQL compares all NaNs equal; strata's value order
// and hashes look at bits). What is supported, per function and cast, is listed in the
// kernel files: arithmetic_kernels.cc, compare_kernels.cc, text_kernels.cc,
// time_kernels.cc and cast_kernels.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/column.h"
#include "common/status.h"
#include "sql/bound_expr.h"

namespace strata::exec {

// One failed row of one evaluation.
struct RowError {
  size_t row = 0;
  std::string message;  // "3:14: division by zero"
};
using RowErrors = std::vector<RowError>;

namespace internal {
struct Node;
}  // namespace internal

// A bound expression prepared for evaluation. Immutable once compiled, so one compiled
// expression may evaluate batches on several threads at once.
class CompiledExpression {
 public:
  // Checks that every node is supported for its argument types and prepares it.
  // InvalidArgument naming the node's location otherwise. `e` is not referenced afterwards.
  static Result<CompiledExpression> Compile(const sql::BoundExpr& e);

  CompiledExpression(CompiledExpression&&) noexcept;
  CompiledExpression& operator=(CompiledExpression&&) noexcept;
  ~CompiledExpression();

  const Type& type() const;

  // Evaluates the expression for every row of `in` and appends in.num_rows() values to
  // `out`, which must be empty and of type(). Rows that fail get NULL and one entry each
  // in `errors` (appended, in ascending row order). InvalidArgument, with `out` untouched,
  // when `in` does not have the columns the expression refers to (index and type).
  Status Evaluate(const Batch& in, Column* out, RowErrors* errors) const;

  // For filters: one byte per row of `in`, 1 where the (boolean) expression is TRUE and 0
  // where it is FALSE, NULL or failed (failed rows are also reported in `errors`).
  // InvalidArgument when the expression is not boolean or `in` does not fit it.
  Result<std::vector<uint8_t>> EvaluatePredicate(const Batch& in, RowErrors* errors) const;

 private:
  CompiledExpression(std::unique_ptr<internal::Node> root,
                     std::vector<std::pair<int, Type>> inputs);
  Status CheckInput(const Batch& in) const;

  std::unique_ptr<internal::Node> root_;
  std::vector<std::pair<int, Type>> inputs_;  // the columns referenced, with their types
};

// One-shot forms: compile `e`, then evaluate it once. Operators that evaluate the same
// expression for every batch should compile it once instead.
Status Evaluate(const sql::BoundExpr& e, const Batch& in, Column* out, RowErrors* errors);
Result<std::vector<uint8_t>> EvaluatePredicate(const sql::BoundExpr& e, const Batch& in,
                                               RowErrors* errors);

}  // namespace strata::exec
