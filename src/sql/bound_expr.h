// Bound expressions: what the binder makes of an ast::Expr once names and types are resolved
// against an input schema. Every node has its result type; column references are indexes
// into the input batch; functions and operators are resolved to one implementation for the
// argument types (after implicit casts, which the binder inserts as kCast nodes). The exec
// layer evaluates these trees over columnar batches (exec/expression.h).
//
// Plain data with value semantics; safe to share between threads once built.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/types.h"
#include "common/value.h"
#include "sql/ast.h"

namespace strata::sql {

enum class BoundKind : uint8_t {
  kColumn,    // column: index in the input; type: its type
  kLiteral,   // literal: the value (NULL allowed), of `type`
  kCall,      // func applied to children (all non-null inputs; NULL in → NULL out unless noted)
  kCast,      // children[0] converted to `type`
  kAnd,       // children, SQL three-valued logic
  kOr,        // children, SQL three-valued logic
  kNot,       // children[0]
  kIsNull,    // children[0] IS NULL (negated: IS NOT NULL); never NULL itself
  kIn,        // children[0] IN (children[1..]) with SQL NULL semantics (negated: NOT IN)
  kCase,      // children: when0, then0, when1, then1, ..., [else]; has_else
  kCoalesce,  // children: first non-null
};

// Scalar functions and operators, after overload resolution. The comments give the
// accepted argument types; the binder casts arguments to one of them.
enum class Func : uint8_t {
  // Arithmetic on (bigint, bigint), (numeric, numeric), (double, double). Errors (per row):
  // bigint overflow, numeric beyond 38 digits, division by zero.
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kModulo,
  kNegate,
  // Comparisons on two values of one type (text compares bytewise, as PostgreSQL's C
  // collation). Result boolean.
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  // Text.
  kConcat,          // text || text (NULL if either is NULL)
  kConcatFunction,  // concat(text, ...): NULL arguments are skipped; never NULL
  kLike,            // text LIKE pattern (% and _, backslash escapes)
  kILike,           // case-insensitive (ASCII)
  kLower,
  kUpper,  // ASCII case mapping (as PostgreSQL with the C locale)
  kBtrim,
  kLtrim,
  kRtrim,          // (text) or (text, characters)
  kLength,         // characters (UTF-8 code points), bigint
  kSubstring,      // (text, start) or (text, start, count), 1-based, in characters
  kRegexpReplace,  // (text, pattern, replacement[, flags]) with RE2 syntax
  // Numbers.
  kRound,  // (numeric[, bigint digits]) exact; (double) half away from zero
  kAbs,    // bigint, numeric, double
  // Time.
  kDateTrunc,  // (text unit literal, timestamp|date) → timestamp
  kExtract,    // (text field literal, timestamp|date) → numeric (as PostgreSQL 14+)
  // Others.
  kNullIf,
  kGreatest,
  kLeast,
};
const char* FuncName(Func f);

struct BoundExpr {
  BoundKind kind = BoundKind::kLiteral;
  Type type;
  int column = -1;         // kColumn
  Value literal;           // kLiteral
  Func func = Func::kAdd;  // kCall
  bool negated = false;    // kIsNull, kIn
  bool has_else = false;   // kCase
  std::vector<BoundExpr> children;
  SourceLocation location;  // where it was written, for errors raised while evaluating
};

enum class AggregateKind : uint8_t { kCountStar, kCount, kSum, kAvg, kMin, kMax };
// The SQL name: "count", "sum", "avg", "min", "max" (count(*) is "count").
const char* AggregateName(AggregateKind kind);

// An aggregate call of a GROUP BY: kind(arg) with optional DISTINCT. Result types follow
// PostgreSQL: count → bigint; sum(bigint) → numeric(38,0), sum(numeric(p,s)) →
// numeric(38,s), sum(double) → double; avg(bigint|numeric) → numeric with scale
// max(s, 6)... (decided by the binder, stated in `type`); min/max → the argument's type.
struct BoundAggregate {
  AggregateKind kind = AggregateKind::kCountStar;
  bool distinct = false;
  BoundExpr arg;  // unused for kCountStar
  Type type;
  SourceLocation location;
};

}  // namespace strata::sql
