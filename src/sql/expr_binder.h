// ExprBinder: one ast::Expr → a BoundExpr over one input table (internal to the sql layer).
// The typing rules are stated in binder.h; bind_types.h holds the type rules themselves.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sql/ast.h"
#include "sql/bind_types.h"
#include "sql/bound_expr.h"
#include "sql/plan.h"

namespace strata::sql::internal {

// The table an expression reads: its qualified name (for messages), the name that may
// qualify its columns (the alias, else the table's own name) and its columns.
// A join's scope reads two tables: `columns` are the left table's, then the right's (from
// `right_first` on); a column is found by its qualifier, or unqualified in either table when
// only one has it.
struct Scope {
  std::string table;      // "bronze.orders"
  std::string qualifier;  // "o" for FROM bronze.orders o, else "orders"
  bool aliased = false;
  const std::vector<ColumnSchema>* columns = nullptr;
  // A join: the right-hand table, as above; right_first < 0 otherwise.
  std::string right_table;
  std::string right_qualifier;
  bool right_aliased = false;
  int right_first = -1;

  bool joined() const { return right_first >= 0; }
  // The columns [first, end) that `qualifier` names (empty: every column); {0, 0} when it
  // names neither table.
  std::pair<int, int> Range(const std::string& qualifier) const;
  // The qualifier of column `i` ("o" or "c" in a join, else the table's).
  const std::string& QualifierOf(int i) const {
    return joined() && i >= right_first ? right_qualifier : qualifier;
  }
};

// A bound expression that may still be "unknown": a string literal or NULL whose type its
// context decides (binder.h).
struct Typed {
  BoundExpr expr;
  bool unknown = false;
};

class Grouping;
struct Signature;  // bind_functions.cc

struct BindOptions {
  // The clause being bound, for "aggregate functions are not allowed in <clause>".
  std::string_view clause = "this clause";
  // Pipelines refuse non-deterministic functions with a reason; queries say "not yet".
  bool pipeline = true;
  // Binding an aggregate's argument: another aggregate is "cannot be nested".
  bool in_aggregate = false;
};

// Binds expressions over `scope`. With a Grouping, binds over the aggregate row instead:
// aggregate calls and expressions equal to a group key become its columns, and any other
// column reference is an error. Holds references to its arguments, which must outlive it.
class ExprBinder {
 public:
  ExprBinder(const ErrorSink& errors, const Scope& scope, BindOptions options,
             Grouping* grouping = nullptr)
      : errors_(errors), scope_(scope), options_(options), grouping_(grouping) {}

  // The expression with unknowns left unknown.
  Result<Typed> BindTyped(const Expr& expr);
  // The expression; an unknown becomes text.
  Result<BoundExpr> Bind(const Expr& expr);
  // A condition: boolean (an unknown literal is read as one). `what` names it in the error:
  // "argument of WHERE must be type boolean, not type bigint".
  Result<BoundExpr> BindCondition(const Expr& expr, std::string_view what);

  // The index of `name` in the scope, with "does not exist" (and "did you mean") errors.
  Result<int> ResolveColumn(const Expr& column) const;
  // OK when `qualifier` (of a column or of *) is empty or names the scope's table.
  Status CheckQualifier(const std::string& qualifier, SourceLocation at) const;

 private:
  Result<Typed> BindNode(const Expr& expr);
  Result<Typed> BindGrouped(const Expr& expr);
  Result<Typed> BindLiteral(const Expr& expr);
  Result<Typed> BindUnary(const Expr& expr);
  Result<Typed> BindBinary(const Expr& expr);
  Result<Typed> BindLogical(BoundKind kind, const Expr& expr);
  Result<BoundExpr> BindComparison(Func func, Typed left, Typed right, SourceLocation at);
  Result<Typed> BindArithmetic(Func func, Typed left, Typed right, SourceLocation at);
  Result<Typed> BindConcat(Typed left, Typed right, SourceLocation at);
  Result<Typed> BindIn(const Expr& expr);
  Result<Typed> BindBetween(const Expr& expr);
  Result<Typed> BindLike(const Expr& expr);
  Result<Typed> BindCase(const Expr& expr);
  Result<Typed> BindCast(const Expr& expr);
  Result<Typed> BindFunction(const Expr& expr);  // bind_functions.cc

  // Function families (bind_functions.cc).
  Result<Typed> BindSimpleFunction(const Expr& call, std::vector<Typed> args, const Signature& sig);
  Result<Typed> BindRound(const Expr& call, std::vector<Typed> args);
  Result<Typed> BindAbs(const Expr& call, std::vector<Typed> args);
  Result<Typed> BindDateFunction(const Expr& call, std::vector<Typed> args);
  Result<Typed> BindConcatFunction(const Expr& call, std::vector<Typed> args);
  Result<Typed> BindVariadic(const Expr& call, std::vector<Typed> args);
  Status FunctionDoesNotExist(const Expr& call, const std::vector<Typed>& args,
                              std::string_view expected) const;

  // An unknown read as a value of kind `id` (a numeric with its own digits).
  Result<BoundExpr> Resolve(Typed t, TypeId id);
  // Operands that meet at one kind (comparisons, IN): unknowns read as that kind, the
  // others promoted to it (numerics keep their precision and scale). All unknown: text.
  // `describe` names the operation for the error ("operator does not exist: a > b").
  Status MeetAtKind(std::vector<Typed>* in, std::vector<BoundExpr>* out,
                    const std::string& describe, SourceLocation at);
  // Operands of a value-producing construct (CASE, COALESCE, ...) cast to one exact type.
  Status Unify(std::vector<Typed>* in, std::string_view construct,
               const std::vector<SourceLocation>& locations, std::vector<BoundExpr>* out,
               Type* type);

  const ErrorSink& errors_;
  const Scope& scope_;
  BindOptions options_;
  Grouping* grouping_;
};

// The aggregate context of a SELECT with GROUP BY or aggregate functions: the group keys
// (over the input) and the aggregates found so far, which form the aggregate row.
class Grouping {
 public:
  Grouping(const ErrorSink& errors, const Scope& input, bool pipeline)
      : errors_(errors), input_(input), pipeline_(pipeline) {}

  const Scope& input() const { return input_; }
  bool pipeline() const { return pipeline_; }
  // Adds a key (bound over the input from `source`) unless an equal one exists; returns its
  // column.
  int AddKey(BoundExpr key, const Expr& source);
  // The aggregate-row column of the key equal to `expr`, or -1.
  int FindKey(const BoundExpr& expr) const;
  // Whether a subtree of `size` ast nodes (NodeCount) may bind to a key: equal bound trees
  // come from equally large ast trees (up to no-op casts, which binding the operand finds).
  bool MayBeKey(size_t size) const;
  // Binds an aggregate call (count, sum, avg, min, max) and returns a reference to its
  // column of the aggregate row (an equal aggregate is reused).
  Result<BoundExpr> BindAggregate(const Expr& call);

  std::vector<BoundExpr>& keys() { return keys_; }
  std::vector<BoundAggregate>& aggregates() { return aggregates_; }

 private:
  const ErrorSink& errors_;
  const Scope& input_;
  bool pipeline_;
  std::vector<BoundExpr> keys_;
  std::vector<size_t> key_sizes_;  // NodeCount of each key's source
  std::vector<BoundAggregate> aggregates_;
};

// count, sum, avg, min, max.
bool IsAggregateCall(const Expr& expr);
// The first aggregate call in `expr`, or null.
const Expr* FindAggregate(const Expr& expr);
// The number of nodes of the tree.
size_t NodeCount(const Expr& expr);
// Structural equality, ignoring locations.
bool SameExpr(const BoundExpr& a, const BoundExpr& b);
// The Levenshtein distance, for "did you mean".
size_t EditDistance(std::string_view a, std::string_view b);
// `candidates`' closest name within edit distance 2 of `name`, or empty.
std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace strata::sql::internal
