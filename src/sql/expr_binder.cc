// ExprBinder: columns, literals, operators, IN, BETWEEN, LIKE, CASE and CAST. Functions and
// aggregates are in bind_functions.cc.
#include "sql/expr_binder.h"

#include <algorithm>

namespace strata::sql::internal {
namespace {

std::string Quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string Label(const Typed& t) {
  return t.unknown ? "unknown" : t.expr.type.ToString();
}

Type TypeOfKind(TypeId id) {
  switch (id) {
    case TypeId::kNumeric:
      return Type::Numeric(kNumericMaxPrecision, 0);
    default:
      return Type{id, {}};
  }
}

// AND/OR trees are flattened: (a AND b) AND c has three children.
void AppendFlattened(BoundKind kind, BoundExpr child, std::vector<BoundExpr>* out) {
  if (child.kind == kind) {
    for (BoundExpr& c : child.children)
      out->push_back(std::move(c));
  } else {
    out->push_back(std::move(child));
  }
}

}  // namespace

Result<BoundExpr> ExprBinder::Bind(const Expr& expr) {
  ASSIGN_OR_RETURN(Typed t, BindTyped(expr));
  return std::move(t.expr);  // an unknown already has type text
}

Result<BoundExpr> ExprBinder::BindCondition(const Expr& expr, std::string_view what) {
  ASSIGN_OR_RETURN(Typed t, BindTyped(expr));
  ASSIGN_OR_RETURN(BoundExpr e, Resolve(std::move(t), TypeId::kBoolean));
  if (e.type.id != TypeId::kBoolean) {
    return errors_.At(expr.location, "argument of " + std::string(what) +
                                         " must be type boolean, not type " + e.type.ToString());
  }
  return e;
}

Result<Typed> ExprBinder::BindTyped(const Expr& expr) {
  if (grouping_ != nullptr) return BindGrouped(expr);
  return BindNode(expr);
}

Result<Typed> ExprBinder::BindGrouped(const Expr& expr) {
  if (IsAggregateCall(expr)) {
    ASSIGN_OR_RETURN(BoundExpr ref, grouping_->BindAggregate(expr));
    return Typed{std::move(ref)};
  }
  // Try the whole subtree as a group key (GROUP BY a + b matches a + b, not just a and b).
  if (expr.kind == ExprKind::kColumn ||
      (expr.kind != ExprKind::kLiteral && grouping_->MayBeKey(NodeCount(expr)) &&
       FindAggregate(expr) == nullptr)) {
    ExprBinder plain(errors_, grouping_->input(), options_);
    Result<BoundExpr> trial = plain.Bind(expr);
    if (trial.ok()) {
      int key = grouping_->FindKey(*trial);
      if (key >= 0) return Typed{MakeColumn(key, trial->type, expr.location)};
    }
    if (expr.kind == ExprKind::kColumn) {
      if (!trial.ok()) return trial.status();
      std::string name = expr.qualifier.empty() ? expr.name : expr.qualifier + "." + expr.name;
      return errors_.At(expr.location, "column " + Quoted(name) +
                                           " must appear in the GROUP BY clause or be used in "
                                           "an aggregate function");
    }
  }
  return BindNode(expr);
}

std::pair<int, int> Scope::Range(const std::string& q) const {
  const int n = static_cast<int>(columns->size());
  if (q.empty()) return {0, n};
  if (q == qualifier) return {0, joined() ? right_first : n};
  if (joined() && q == right_qualifier) return {right_first, n};
  return {0, 0};
}

namespace {

std::string OwnName(const std::string& table) {
  size_t dot = table.find('.');
  return dot == std::string::npos ? table : table.substr(dot + 1);
}

}  // namespace

Status ExprBinder::CheckQualifier(const std::string& qualifier, SourceLocation at) const {
  if (qualifier.empty() || qualifier == scope_.qualifier) return Status::OK();
  if (scope_.joined() && qualifier == scope_.right_qualifier) return Status::OK();
  struct Side {
    const std::string& table;
    const std::string& qualifier;
    bool aliased;
  };
  std::vector<Side> sides{{scope_.table, scope_.qualifier, scope_.aliased}};
  if (scope_.joined()) {
    sides.push_back({scope_.right_table, scope_.right_qualifier, scope_.right_aliased});
  }
  for (const Side& side : sides) {
    if (side.aliased && qualifier == OwnName(side.table)) {
      return errors_.At(at, "invalid reference to FROM-clause entry for table " +
                                Quoted(qualifier) + ": " + side.table + " is called " +
                                Quoted(side.qualifier) + " here");
    }
  }
  if (scope_.joined()) {
    return errors_.At(at, "missing FROM-clause entry for table " + Quoted(qualifier) +
                              " (this joins " + scope_.table + " and " + scope_.right_table +
                              "; qualify their columns with " + Quoted(scope_.qualifier) + " or " +
                              Quoted(scope_.right_qualifier) + ")");
  }
  return errors_.At(at, "missing FROM-clause entry for table " + Quoted(qualifier) +
                            " (this reads " + scope_.table + "; qualify its columns with " +
                            Quoted(scope_.qualifier) + " or not at all)");
}

Result<int> ExprBinder::ResolveColumn(const Expr& column) const {
  RETURN_IF_ERROR(CheckQualifier(column.qualifier, column.location));
  const std::vector<ColumnSchema>& columns = *scope_.columns;
  const auto [first, end] = scope_.Range(column.qualifier);
  std::vector<std::string> names;
  int found = -1;
  for (int i = first; i < end; ++i) {
    names.push_back(columns[i].name);
    if (columns[i].name != column.name) continue;
    if (found >= 0) {
      return errors_.At(column.location,
                        "column reference " + Quoted(column.name) + " is ambiguous (both " +
                            scope_.table + " and " + scope_.right_table + " have it; write " +
                            Quoted(scope_.qualifier + "." + column.name) + " or " +
                            Quoted(scope_.right_qualifier + "." + column.name) + ")");
    }
    found = i;
  }
  if (found >= 0) return found;
  std::string where = scope_.table;
  if (scope_.joined()) {
    where = first >= scope_.right_first ? scope_.right_table
            : end <= scope_.right_first ? scope_.table
                                        : scope_.table + " or " + scope_.right_table;
  }
  std::string message = "column " + Quoted(column.name) + " does not exist in " + where;
  std::string closest = ClosestName(column.name, names);
  if (!closest.empty()) message += " (did you mean " + Quoted(closest) + "?)";
  return errors_.At(column.location, message);
}

Result<Typed> ExprBinder::BindNode(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kColumn: {
      ASSIGN_OR_RETURN(int i, ResolveColumn(expr));
      return Typed{MakeColumn(i, (*scope_.columns)[i].type, expr.location)};
    }
    case ExprKind::kLiteral:
      return BindLiteral(expr);
    case ExprKind::kStar:
      return errors_.At(expr.location, "* is only allowed as a whole item of a SELECT list");
    case ExprKind::kUnary:
      return BindUnary(expr);
    case ExprKind::kBinary:
      return BindBinary(expr);
    case ExprKind::kIsNull: {
      ASSIGN_OR_RETURN(BoundExpr operand, Bind(*expr.children[0]));
      std::vector<BoundExpr> children;
      children.push_back(std::move(operand));
      BoundExpr e =
          MakeNode(BoundKind::kIsNull, Type::Boolean(), std::move(children), expr.location);
      e.negated = expr.negated;
      return Typed{std::move(e)};
    }
    case ExprKind::kIn:
      return BindIn(expr);
    case ExprKind::kBetween:
      return BindBetween(expr);
    case ExprKind::kLike:
      return BindLike(expr);
    case ExprKind::kCase:
      return BindCase(expr);
    case ExprKind::kCast:
      return BindCast(expr);
    case ExprKind::kFunction:
      return BindFunction(expr);
  }
  return errors_.At(expr.location, "unexpected expression");
}

Result<Typed> ExprBinder::BindLiteral(const Expr& expr) {
  switch (expr.literal_kind) {
    case LiteralKind::kInteger:
    case LiteralKind::kDecimal: {
      bool integer = expr.literal_kind == LiteralKind::kInteger;
      ASSIGN_OR_RETURN(BoundExpr e, NumberLiteral(expr.text, integer, expr.location, errors_));
      return Typed{std::move(e)};
    }
    case LiteralKind::kString:
      return Typed{MakeLiteral(Value::String(expr.text), Type::Text(), expr.location), true};
    case LiteralKind::kBoolean:
      return Typed{MakeLiteral(Value::Bool(expr.text == "true"), Type::Boolean(), expr.location)};
    case LiteralKind::kNull:
      return Typed{MakeLiteral(Value::Null(), Type::Text(), expr.location), true};
    case LiteralKind::kTyped: {
      ASSIGN_OR_RETURN(WrittenType type, ResolveTypeName(expr.type, errors_));
      ASSIGN_OR_RETURN(BoundExpr e, ReadLiteral(expr.text, type, expr.location, errors_));
      return Typed{std::move(e)};
    }
  }
  return errors_.At(expr.location, "unexpected literal");
}

Result<BoundExpr> ExprBinder::Resolve(Typed t, TypeId id) {
  if (!t.unknown) return std::move(t.expr);
  if (t.expr.literal.is_null()) {
    Type type = id == TypeId::kNumeric ? Type::Numeric(1, 0) : TypeOfKind(id);
    return MakeLiteral(Value::Null(), type, t.expr.location);
  }
  WrittenType type{TypeOfKind(id), id == TypeId::kNumeric};
  return ReadLiteral(t.expr.literal.as_string(), type, t.expr.location, errors_);
}

Status ExprBinder::MeetAtKind(std::vector<Typed>* in, std::vector<BoundExpr>* out,
                              const std::string& op, SourceLocation at) {
  std::optional<TypeId> kind;
  Type first;
  for (const Typed& t : *in) {
    if (t.unknown) continue;
    TypeId id = t.expr.type.id;
    if (!kind) {
      kind = id;
      first = t.expr.type;
      continue;
    }
    std::optional<TypeId> common = CommonKind(*kind, id);
    if (!common) {
      return errors_.At(at, "operator does not exist: " + first.ToString() + " " + op + " " +
                                t.expr.type.ToString() + " (cast one side explicitly)");
    }
    kind = common;
  }
  TypeId target = kind.value_or(TypeId::kText);
  for (Typed& t : *in) {
    ASSIGN_OR_RETURN(BoundExpr e, Resolve(std::move(t), target));
    if (e.type.id != target) {
      Type promoted = PromotedType(e, target);
      ASSIGN_OR_RETURN(e, CastTo(std::move(e), promoted, errors_));
    }
    out->push_back(std::move(e));
  }
  return Status::OK();
}

Status ExprBinder::Unify(std::vector<Typed>* in, std::string_view construct,
                         const std::vector<SourceLocation>& locations, std::vector<BoundExpr>* out,
                         Type* type) {
  std::optional<TypeId> kind;
  Type first;
  for (size_t i = 0; i < in->size(); ++i) {
    const Typed& t = (*in)[i];
    if (t.unknown) continue;
    if (!kind) {
      kind = t.expr.type.id;
      first = t.expr.type;
      continue;
    }
    std::optional<TypeId> common = CommonKind(*kind, t.expr.type.id);
    if (!common) {
      return errors_.At(locations[i], std::string(construct) + " types " + first.ToString() +
                                          " and " + t.expr.type.ToString() + " cannot be matched");
    }
    kind = common;
  }
  TypeId target = kind.value_or(TypeId::kText);
  std::vector<BoundExpr> resolved;
  std::optional<NumericType> numeric;
  for (Typed& t : *in) {
    bool null = t.unknown && t.expr.literal.is_null();
    ASSIGN_OR_RETURN(BoundExpr e, Resolve(std::move(t), target));
    if (target == TypeId::kNumeric && !null) {
      NumericType n = PromotedType(e, TypeId::kNumeric).numeric;
      numeric = numeric ? NumericUnion(*numeric, n) : n;
    }
    resolved.push_back(std::move(e));
  }
  *type = TypeOfKind(target);
  if (target == TypeId::kNumeric) {
    NumericType n = numeric.value_or(NumericType{1, 0});
    *type = Type::Numeric(n.precision, n.scale);
  }
  for (BoundExpr& e : resolved) {
    ASSIGN_OR_RETURN(BoundExpr cast, CastTo(std::move(e), *type, errors_));
    out->push_back(std::move(cast));
  }
  return Status::OK();
}

Result<Typed> ExprBinder::BindUnary(const Expr& expr) {
  if (expr.unary_op == UnaryOp::kNot) {
    ASSIGN_OR_RETURN(BoundExpr operand, BindCondition(*expr.children[0], "NOT"));
    std::vector<BoundExpr> children;
    children.push_back(std::move(operand));
    return Typed{MakeNode(BoundKind::kNot, Type::Boolean(), std::move(children), expr.location)};
  }
  ASSIGN_OR_RETURN(Typed t, BindTyped(*expr.children[0]));
  ASSIGN_OR_RETURN(BoundExpr operand, Resolve(std::move(t), TypeId::kNumeric));
  if (!IsNumber(operand.type.id)) {
    return errors_.At(expr.location, "operator does not exist: -" + operand.type.ToString());
  }
  Type type = operand.type;
  std::vector<BoundExpr> children;
  children.push_back(std::move(operand));
  return Typed{MakeCall(Func::kNegate, type, std::move(children), expr.location)};
}

Result<Typed> ExprBinder::BindBinary(const Expr& expr) {
  switch (expr.binary_op) {
    case BinaryOp::kAnd:
      return BindLogical(BoundKind::kAnd, expr);
    case BinaryOp::kOr:
      return BindLogical(BoundKind::kOr, expr);
    default:
      break;
  }
  ASSIGN_OR_RETURN(Typed left, BindTyped(*expr.children[0]));
  ASSIGN_OR_RETURN(Typed right, BindTyped(*expr.children[1]));
  SourceLocation at = expr.location;
  switch (expr.binary_op) {
    case BinaryOp::kAdd:
      return BindArithmetic(Func::kAdd, std::move(left), std::move(right), at);
    case BinaryOp::kSubtract:
      return BindArithmetic(Func::kSubtract, std::move(left), std::move(right), at);
    case BinaryOp::kMultiply:
      return BindArithmetic(Func::kMultiply, std::move(left), std::move(right), at);
    case BinaryOp::kDivide:
      return BindArithmetic(Func::kDivide, std::move(left), std::move(right), at);
    case BinaryOp::kModulo:
      return BindArithmetic(Func::kModulo, std::move(left), std::move(right), at);
    case BinaryOp::kConcat:
      return BindConcat(std::move(left), std::move(right), at);
    default:
      break;
  }
  Func func = Func::kEqual;
  switch (expr.binary_op) {
    case BinaryOp::kNotEqual:
      func = Func::kNotEqual;
      break;
    case BinaryOp::kLess:
      func = Func::kLess;
      break;
    case BinaryOp::kLessEqual:
      func = Func::kLessEqual;
      break;
    case BinaryOp::kGreater:
      func = Func::kGreater;
      break;
    case BinaryOp::kGreaterEqual:
      func = Func::kGreaterEqual;
      break;
    default:
      break;
  }
  ASSIGN_OR_RETURN(BoundExpr e, BindComparison(func, std::move(left), std::move(right), at));
  return Typed{std::move(e)};
}

Result<Typed> ExprBinder::BindLogical(BoundKind kind, const Expr& expr) {
  const char* name = kind == BoundKind::kAnd ? "AND" : "OR";
  std::vector<BoundExpr> children;
  for (const ExprPtr& child : expr.children) {
    ASSIGN_OR_RETURN(BoundExpr c, BindCondition(*child, name));
    AppendFlattened(kind, std::move(c), &children);
  }
  return Typed{MakeNode(kind, Type::Boolean(), std::move(children), expr.location)};
}

Result<BoundExpr> ExprBinder::BindComparison(Func func, Typed left, Typed right,
                                             SourceLocation at) {
  std::vector<Typed> in;
  in.push_back(std::move(left));
  in.push_back(std::move(right));
  std::vector<BoundExpr> out;
  RETURN_IF_ERROR(MeetAtKind(&in, &out, FuncName(func), at));
  return MakeCall(func, Type::Boolean(), std::move(out), at);
}

Result<Typed> ExprBinder::BindArithmetic(Func func, Typed left, Typed right, SourceLocation at) {
  std::string op = FuncName(func);
  if (left.unknown && right.unknown) {
    return errors_.At(at, "could not choose a type for " + Label(left) + " " + op + " " +
                              Label(right) +
                              ": both operands are untyped literals; cast one, e.g. "
                              "'1'::bigint");
  }
  for (const Typed* t : {&left, &right}) {
    if (t->unknown || IsNumber(t->expr.type.id)) continue;
    std::string message = "operator does not exist: " + Label(left) + " " + op + " " + Label(right);
    TypeId id = t->expr.type.id;
    if (id == TypeId::kTimestamp || id == TypeId::kDate) {
      message += " (date/time arithmetic is not supported yet)";
    }
    return errors_.At(at, message);
  }
  std::vector<Typed> in;
  in.push_back(std::move(left));
  in.push_back(std::move(right));
  std::vector<BoundExpr> out;
  RETURN_IF_ERROR(MeetAtKind(&in, &out, op, at));
  Type type = out[0].type;
  if (type.id == TypeId::kNumeric) {
    NumericType a = out[0].type.numeric, b = out[1].type.numeric;
    NumericType r = func == Func::kMultiply ? NumericMulResultType(a, b)
                    : func == Func::kDivide ? NumericDivResultType(a, b)
                                            : NumericAddResultType(a, b);
    type = Type::Numeric(r.precision, r.scale);
  }
  return Typed{MakeCall(func, type, std::move(out), at)};
}

Result<Typed> ExprBinder::BindConcat(Typed left, Typed right, SourceLocation at) {
  auto is_text = [](const Typed& t) { return t.unknown || t.expr.type.id == TypeId::kText; };
  if (!is_text(left) && !is_text(right)) {
    return errors_.At(at, "operator does not exist: " + Label(left) + " || " + Label(right) +
                              " (|| joins text; cast one side to text)");
  }
  std::vector<BoundExpr> children;
  for (Typed* t : {&left, &right}) {
    ASSIGN_OR_RETURN(BoundExpr e, Resolve(std::move(*t), TypeId::kText));
    ASSIGN_OR_RETURN(e, CastTo(std::move(e), Type::Text(), errors_));
    children.push_back(std::move(e));
  }
  return Typed{MakeCall(Func::kConcat, Type::Text(), std::move(children), at)};
}

Result<Typed> ExprBinder::BindIn(const Expr& expr) {
  std::vector<Typed> in;
  for (const ExprPtr& child : expr.children) {
    ASSIGN_OR_RETURN(Typed t, BindTyped(*child));
    in.push_back(std::move(t));
  }
  std::vector<BoundExpr> children;
  RETURN_IF_ERROR(MeetAtKind(&in, &children, "=", expr.location));
  BoundExpr e = MakeNode(BoundKind::kIn, Type::Boolean(), std::move(children), expr.location);
  e.negated = expr.negated;
  return Typed{std::move(e)};
}

Result<Typed> ExprBinder::BindBetween(const Expr& expr) {
  ASSIGN_OR_RETURN(Typed operand, BindTyped(*expr.children[0]));
  ASSIGN_OR_RETURN(Typed low, BindTyped(*expr.children[1]));
  ASSIGN_OR_RETURN(Typed high, BindTyped(*expr.children[2]));
  SourceLocation at = expr.location;
  std::vector<BoundExpr> both;
  ASSIGN_OR_RETURN(BoundExpr ge, BindComparison(Func::kGreaterEqual, operand, std::move(low), at));
  ASSIGN_OR_RETURN(BoundExpr le,
                   BindComparison(Func::kLessEqual, std::move(operand), std::move(high), at));
  both.push_back(std::move(ge));
  both.push_back(std::move(le));
  BoundExpr e = MakeNode(BoundKind::kAnd, Type::Boolean(), std::move(both), at);
  if (!expr.negated) return Typed{std::move(e)};
  std::vector<BoundExpr> child;
  child.push_back(std::move(e));
  return Typed{MakeNode(BoundKind::kNot, Type::Boolean(), std::move(child), at)};
}

Result<Typed> ExprBinder::BindLike(const Expr& expr) {
  std::vector<BoundExpr> children;
  std::vector<Typed> in;
  for (const ExprPtr& child : expr.children) {
    ASSIGN_OR_RETURN(Typed t, BindTyped(*child));
    in.push_back(std::move(t));
  }
  const char* op = expr.case_insensitive ? "ILIKE" : "LIKE";
  for (Typed& t : in) {
    if (!t.unknown && t.expr.type.id != TypeId::kText) {
      return errors_.At(expr.location, std::string("operator does not exist: ") + Label(in[0]) +
                                           " " + op + " " + Label(in[1]) + " (" + op +
                                           " matches text)");
    }
  }
  for (Typed& t : in) {
    ASSIGN_OR_RETURN(BoundExpr e, Resolve(std::move(t), TypeId::kText));
    children.push_back(std::move(e));
  }
  Func func = expr.case_insensitive ? Func::kILike : Func::kLike;
  BoundExpr e = MakeCall(func, Type::Boolean(), std::move(children), expr.location);
  if (!expr.negated) return Typed{std::move(e)};
  std::vector<BoundExpr> child;
  child.push_back(std::move(e));
  return Typed{MakeNode(BoundKind::kNot, Type::Boolean(), std::move(child), expr.location)};
}

Result<Typed> ExprBinder::BindCase(const Expr& expr) {
  std::optional<Typed> operand;
  if (const Expr* op = expr.case_operand()) {
    ASSIGN_OR_RETURN(Typed t, BindTyped(*op));
    operand = std::move(t);
  }
  std::vector<BoundExpr> conditions;
  std::vector<Typed> values;
  std::vector<SourceLocation> locations;
  for (size_t i = 0; i < expr.case_when_count(); ++i) {
    const Expr& when = expr.case_when(i);
    if (operand) {
      ASSIGN_OR_RETURN(Typed value, BindTyped(when));
      ASSIGN_OR_RETURN(BoundExpr c,
                       BindComparison(Func::kEqual, *operand, std::move(value), when.location));
      conditions.push_back(std::move(c));
    } else {
      ASSIGN_OR_RETURN(BoundExpr c, BindCondition(when, "CASE/WHEN"));
      conditions.push_back(std::move(c));
    }
    ASSIGN_OR_RETURN(Typed then, BindTyped(expr.case_then(i)));
    values.push_back(std::move(then));
    locations.push_back(expr.case_then(i).location);
  }
  if (const Expr* otherwise = expr.case_else()) {
    ASSIGN_OR_RETURN(Typed e, BindTyped(*otherwise));
    values.push_back(std::move(e));
    locations.push_back(otherwise->location);
  }
  std::vector<BoundExpr> results;
  Type type;
  RETURN_IF_ERROR(Unify(&values, "CASE", locations, &results, &type));
  std::vector<BoundExpr> children;
  for (size_t i = 0; i < conditions.size(); ++i) {
    children.push_back(std::move(conditions[i]));
    children.push_back(std::move(results[i]));
  }
  if (expr.has_else) children.push_back(std::move(results.back()));
  BoundExpr e = MakeNode(BoundKind::kCase, type, std::move(children), expr.location);
  e.has_else = expr.has_else;
  return Typed{std::move(e)};
}

Result<Typed> ExprBinder::BindCast(const Expr& expr) {
  ASSIGN_OR_RETURN(Typed operand, BindTyped(*expr.children[0]));
  ASSIGN_OR_RETURN(WrittenType target, ResolveTypeName(expr.type, errors_));
  if (operand.unknown) {
    if (operand.expr.literal.is_null()) {
      return Typed{MakeLiteral(Value::Null(), target.type, expr.location)};
    }
    ASSIGN_OR_RETURN(BoundExpr e, ReadLiteral(operand.expr.literal.as_string(), target,
                                              operand.expr.location, errors_));
    return Typed{std::move(e)};
  }
  BoundExpr e = std::move(operand.expr);
  Type to = target.type;
  if (target.bare_numeric) {
    if (e.type.id != TypeId::kNumeric && e.type.id != TypeId::kBigint) {
      return errors_.At(expr.location, "cannot cast type " + e.type.ToString() +
                                           " to numeric without a precision and scale: write "
                                           "numeric(p,s)");
    }
    to = PromotedType(e, TypeId::kNumeric);
  }
  if (!CanCast(e.type, to, CastKind::kExplicit)) {
    return errors_.At(expr.location,
                      "cannot cast type " + e.type.ToString() + " to " + to.ToString());
  }
  ASSIGN_OR_RETURN(BoundExpr cast, CastTo(std::move(e), to, errors_));
  return Typed{std::move(cast)};
}

// --- helpers ---

bool IsAggregateCall(const Expr& expr) {
  if (expr.kind != ExprKind::kFunction) return false;
  for (std::string_view name : {"count", "sum", "avg", "min", "max"}) {
    if (expr.name == name) return true;
  }
  return false;
}

const Expr* FindAggregate(const Expr& expr) {
  if (IsAggregateCall(expr)) return &expr;
  for (const ExprPtr& child : expr.children) {
    if (const Expr* found = FindAggregate(*child)) return found;
  }
  return nullptr;
}

size_t NodeCount(const Expr& expr) {
  size_t n = 1;
  for (const ExprPtr& child : expr.children)
    n += NodeCount(*child);
  return n;
}

bool SameExpr(const BoundExpr& a, const BoundExpr& b) {
  if (a.kind != b.kind || !(a.type == b.type) || a.children.size() != b.children.size()) {
    return false;
  }
  switch (a.kind) {
    case BoundKind::kColumn:
      if (a.column != b.column) return false;
      break;
    case BoundKind::kLiteral:
      if (a.literal.is_null() != b.literal.is_null()) return false;
      if (!a.literal.is_null() && !(a.literal == b.literal)) return false;
      break;
    case BoundKind::kCall:
      if (a.func != b.func) return false;
      break;
    case BoundKind::kIsNull:
    case BoundKind::kIn:
      if (a.negated != b.negated) return false;
      break;
    case BoundKind::kCase:
      if (a.has_else != b.has_else) return false;
      break;
    default:
      break;
  }
  for (size_t i = 0; i < a.children.size(); ++i) {
    if (!SameExpr(a.children[i], b.children[i])) return false;
  }
  return true;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(name, c);
    if (d < best_distance && d < std::max(name.size(), c.size())) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace strata::sql::internal
