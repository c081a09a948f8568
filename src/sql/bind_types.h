// The binder's type rules (internal to the sql layer; binder.h states them for users):
// resolving written type names, reading literals as a type, casts (which are allowed, and
// folding them on constants) and the promotions that find a common type.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/types.h"
#include "sql/ast.h"
#include "sql/bound_expr.h"

namespace strata::sql::internal {

// Turns messages into located errors: "FILE:LINE:COLUMN: message" ("FILE: message" when the
// location is unknown).
class ErrorSink {
 public:
  explicit ErrorSink(std::string_view file) : file_(file) {}
  Status At(SourceLocation at, std::string_view message) const;
  // `status`'s message, located (its code becomes InvalidArgument: a bind error).
  Status At(SourceLocation at, const Status& status) const { return At(at, status.message()); }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// A type as written in a CAST or typed literal. `bare_numeric` is `numeric` without a
// precision and scale: the value's own digits decide them (only constants and numerics can
// be cast to it).
struct WrittenType {
  Type type;
  bool bare_numeric = false;
};
Result<WrittenType> ResolveTypeName(const TypeName& name, const ErrorSink& errors);
// A column's declared type: a bare numeric is refused.
Result<Type> ResolveColumnType(const TypeName& name, const ErrorSink& errors);

BoundExpr MakeLiteral(Value value, Type type, SourceLocation at);
BoundExpr MakeColumn(int index, Type type, SourceLocation at);
BoundExpr MakeNode(BoundKind kind, Type type, std::vector<BoundExpr> children, SourceLocation at);
BoundExpr MakeCall(Func func, Type type, std::vector<BoundExpr> children, SourceLocation at);

// An integer literal's text → bigint; a decimal one → numeric with its own precision and
// scale ("1.50" is numeric(3,2)); errors at `at` beyond 38 digits.
Result<BoundExpr> NumberLiteral(std::string_view text, bool integer, SourceLocation at,
                                const ErrorSink& errors);
// Reads `text` as a constant of `type` (a string literal in a typed context, a typed
// literal); a bare numeric gets the text's own precision and scale. Errors at `at` say the
// text is not a valid `type`.
Result<BoundExpr> ReadLiteral(std::string_view text, WrittenType type, SourceLocation at,
                              const ErrorSink& errors);

enum class CastKind : uint8_t {
  kImplicit,  // promotions: bigint → numeric → double, numeric → any numeric, date → timestamp
  kAssignment,  // + narrowing numbers, timestamp → date, anything → text
  kExplicit,    // + text → anything, bigint ↔ boolean
};
bool CanCast(const Type& from, const Type& to, CastKind kind);
// `expr` as `to`: unchanged when it already is, a constant converted now when that is
// exact (NULL; bigint, numeric → numeric or double; date → timestamp), else a kCast node.
// The caller has checked CanCast. Errors (a constant out of range) are located at expr.
Result<BoundExpr> CastTo(BoundExpr expr, const Type& to, const ErrorSink& errors);

bool IsNumber(TypeId id);
// The kind two operands of a comparison meet at (the higher number kind; timestamp for date
// and timestamp); none when they cannot be compared.
std::optional<TypeId> CommonKind(TypeId a, TypeId b);
// The type `expr` takes when promoted to kind `id`: itself when of that kind; a bigint
// becomes numeric(19,0) (a bigint constant numeric with its own digits); a date timestamp.
Type PromotedType(const BoundExpr& expr, TypeId id);
// The smallest numeric holding values of both (integer digits and scale of the larger,
// capped at 38 digits).
NumericType NumericUnion(NumericType a, NumericType b);

// "bigint", "numeric(18,2)"; for messages.
inline std::string TypeText(const Type& type) {
  return type.ToString();
}

}  // namespace strata::sql::internal
