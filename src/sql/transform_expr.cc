// Expressions: PostgreSQL's raw expression nodes → Expr, with the normalizations ast.h lists.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

#include "sql/transformer.h"

namespace strata::sql::internal {
namespace {

ExprPtr NewExpr(ExprKind kind, SourceLocation location) {
  auto expr = std::make_unique<Expr>();
  expr->kind = kind;
  expr->location = location;
  return expr;
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool BinaryOpFromSymbol(std::string_view symbol, BinaryOp* op) {
  static constexpr std::pair<std::string_view, BinaryOp> kOps[] = {
      {"+", BinaryOp::kAdd},        {"-", BinaryOp::kSubtract},  {"*", BinaryOp::kMultiply},
      {"/", BinaryOp::kDivide},     {"%", BinaryOp::kModulo},    {"||", BinaryOp::kConcat},
      {"=", BinaryOp::kEqual},      {"<>", BinaryOp::kNotEqual}, {"<", BinaryOp::kLess},
      {"<=", BinaryOp::kLessEqual}, {">", BinaryOp::kGreater},   {">=", BinaryOp::kGreaterEqual},
  };
  for (const auto& [s, o] : kOps) {
    if (s == symbol) {
      *op = o;
      return true;
    }
  }
  return false;
}

// What to call a PostgreSQL expression node strata does not support.
std::string UnsupportedNodeName(std::string_view type) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"SubLink", "a subquery"},
      {"ParamRef", "a parameter ($1)"},
      {"BooleanTest", "IS TRUE / IS FALSE / IS UNKNOWN"},
      {"CollateClause", "COLLATE"},
      {"A_ArrayExpr", "an ARRAY constructor"},
      {"RowExpr", "a row constructor"},
      {"A_Indirection", "a subscript or field selection"},
      {"GroupingFunc", "GROUPING()"},
      {"NamedArgExpr", "a named argument (name => value)"},
      {"XmlExpr", "an XML function"},
      {"XmlSerialize", "an XML function"},
      {"SetToDefault", "DEFAULT"},
  };
  for (const auto& [node, name] : kNames) {
    if (node == type) return std::string(name);
  }
  return "this expression (PostgreSQL's " + std::string(type) + ")";
}

// A numeric constant libpg-query prints as a Float: an integer too large for int32 (which
// may still fit in int64) or a decimal.
LiteralKind NumberKind(std::string_view text) {
  int64_t value;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() ? LiteralKind::kInteger
                                                               : LiteralKind::kDecimal;
}

std::string DepthMessage() {
  return "expression is nested too deeply (more than " + std::to_string(kMaxExprDepth) + " levels)";
}

}  // namespace

Result<ExprPtr> Transformer::TransformExpr(element node, size_t fallback) {
  PgNode pg;
  if (!AsNode(node, &pg)) return Error(fallback, "unexpected parse tree");
  if (depth_ >= kMaxExprDepth) {
    return Error(FirstOffset(node, fallback), DepthMessage());
  }
  // Nodes without a location (A_Indirection, ...) are blamed on their leftmost located token.
  size_t at =
      Has(pg.fields, "location") ? Offset(pg.fields, fallback) : FirstOffset(node, fallback);
  ++depth_;
  Result<ExprPtr> result = TransformNode(pg, at);
  --depth_;
  return result;
}

Result<ExprPtr> Transformer::TransformNode(const PgNode& node, size_t at) {
  std::string_view type = node.type;
  object f = node.fields;
  if (type == "ColumnRef") return TransformColumnRef(f, at, false);
  if (type == "A_Const") return TransformConst(f, at);
  if (type == "A_Expr") return TransformAExpr(f, at);
  if (type == "BoolExpr") return TransformBoolExpr(f, at);
  if (type == "FuncCall") return TransformFuncCall(f, at);
  if (type == "TypeCast") return TransformTypeCast(f, at);
  if (type == "CaseExpr") return TransformCase(f, at);
  if (type == "SQLValueFunction") return TransformSqlValueFunction(f, at);
  if (type == "CoalesceExpr") return TransformFunctionOf("coalesce", f, at);
  if (type == "MinMaxExpr") {
    return TransformFunctionOf(GetString(f, "op") == "IS_LEAST" ? "least" : "greatest", f, at);
  }
  if (type == "NullTest") {
    element arg;
    if (!GetField(f, "arg", &arg)) return Error(at, "unexpected parse tree");
    ExprPtr out = NewExpr(ExprKind::kIsNull, Locate(at));
    out->negated = GetString(f, "nulltesttype") == "IS_NOT_NULL";
    ASSIGN_OR_RETURN(ExprPtr operand, TransformExpr(arg, at));
    out->children.push_back(std::move(operand));
    return out;
  }
  return Unsupported(at, UnsupportedNodeName(type));
}

Result<ExprPtr> Transformer::TransformColumnRef(object fields, size_t at, bool allow_star) {
  std::vector<element> parts = GetList(fields, "fields");
  std::vector<std::string_view> names;
  bool star = false;
  for (element part : parts) {
    std::string_view name;
    PgNode node;
    if (GetStringNode(part, &name) && !star) {
      names.push_back(name);
    } else if (AsNode(part, &node) && node.type == "A_Star" && !star) {
      star = true;
    } else {
      return Error(at, "unexpected parse tree");
    }
  }
  if (star && !allow_star) return Error(at, "* is only allowed as a whole item of a SELECT list");
  if (names.size() > (star ? 1u : 2u) || (!star && names.empty())) {
    return Unsupported(at, "a column reference with more than two parts (schema.table.column)");
  }
  ExprPtr out = NewExpr(star ? ExprKind::kStar : ExprKind::kColumn, Locate(at));
  if (!star) {
    out->name = names.back();
    names.pop_back();
  }
  if (!names.empty()) out->qualifier = names.front();
  return out;
}

Result<ExprPtr> Transformer::TransformConst(object fields, size_t at) {
  ExprPtr out = NewExpr(ExprKind::kLiteral, Locate(at));
  object value;
  if (GetBool(fields, "isnull")) {
    out->literal_kind = LiteralKind::kNull;
  } else if (GetObject(fields, "ival", &value)) {
    out->literal_kind = LiteralKind::kInteger;
    ASSIGN_OR_RETURN(int64_t n, IntegerConstant(fields, value));
    out->text = std::to_string(n);
  } else if (GetObject(fields, "fval", &value)) {
    out->text = GetString(value, "fval");
    out->literal_kind = NumberKind(out->text);
  } else if (GetObject(fields, "sval", &value)) {
    out->literal_kind = LiteralKind::kString;
    out->text = GetString(value, "sval");
  } else if (GetObject(fields, "boolval", &value)) {
    out->literal_kind = LiteralKind::kBoolean;
    out->text = GetBool(value, "boolval") ? "true" : "false";
  } else if (Has(fields, "bsval")) {
    return Unsupported(at, "a bit string literal (B'...', X'...')");
  } else {
    return Error(at, "unexpected parse tree");
  }
  return out;
}

Result<ExprPtr> Transformer::TransformAExpr(object fields, size_t at) {
  std::string_view kind = GetString(fields, "kind");
  if (kind == "AEXPR_OP") return TransformOperator(fields, at);
  if (kind == "AEXPR_NULLIF") {
    ExprPtr out = NewExpr(ExprKind::kFunction, Locate(at));
    out->name = "nullif";
    element left, right;
    if (!GetField(fields, "lexpr", &left) || !GetField(fields, "rexpr", &right)) {
      return Error(at, "unexpected parse tree");
    }
    RETURN_IF_ERROR(TransformArgs({left, right}, at, out.get()));
    return out;
  }
  std::vector<element> name = GetList(fields, "name");
  std::string_view symbol;
  element left, right;
  if (name.size() != 1 || !GetStringNode(name[0], &symbol) || !GetField(fields, "lexpr", &left) ||
      !GetField(fields, "rexpr", &right)) {
    return Error(at, "unexpected parse tree");
  }
  if (kind == "AEXPR_DISTINCT" || kind == "AEXPR_NOT_DISTINCT") {
    return TransformDistinctFrom(left, right, kind == "AEXPR_DISTINCT", at);
  }
  ExprPtr out;
  std::vector<element> args = {left};
  if (kind == "AEXPR_IN" || kind == "AEXPR_BETWEEN" || kind == "AEXPR_NOT_BETWEEN") {
    PgNode list;
    if (!AsNode(right, &list) || list.type != "List") return Error(at, "unexpected parse tree");
    for (element item : GetList(list.fields, "items")) {
      args.push_back(item);
    }
    if (kind == "AEXPR_IN") {
      out = NewExpr(ExprKind::kIn, Locate(at));
      out->negated = symbol == "<>";
    } else {
      if (args.size() != 3) return Error(at, "unexpected parse tree");
      out = NewExpr(ExprKind::kBetween, Locate(at));
      out->negated = kind == "AEXPR_NOT_BETWEEN";
    }
  } else if (kind == "AEXPR_LIKE" || kind == "AEXPR_ILIKE") {
    PgNode pattern;
    if (AsNode(right, &pattern) && pattern.type == "FuncCall") {
      return Unsupported(at, "LIKE ... ESCAPE");  // the pattern became like_escape(p, e)
    }
    args.push_back(right);
    out = NewExpr(ExprKind::kLike, Locate(at));
    out->negated = symbol.starts_with("!");
    out->case_insensitive = kind == "AEXPR_ILIKE";
  } else {
    std::string_view what =
        kind == "AEXPR_SIMILAR"  ? "SIMILAR TO"
        : kind == "AEXPR_OP_ANY" ? "ANY (...)"
        : kind == "AEXPR_OP_ALL" ? "ALL (...)"
        : kind.starts_with("AEXPR_BETWEEN_SYM") || kind.starts_with("AEXPR_NOT_BETWEEN_SYM")
            ? "BETWEEN SYMMETRIC"
            : "this operator";
    return Unsupported(at, what);
  }
  RETURN_IF_ERROR(TransformArgs(args, at, out.get()));
  return out;
}

// a IS DISTINCT FROM b: <> where NULL equals NULL, never NULL itself. Written as the CASE it
// means, so that the binder and both runtimes need nothing new:
//   CASE WHEN a IS NULL THEN b IS NOT NULL WHEN b IS NULL THEN true ELSE a <> b END
// (IS NOT DISTINCT FROM: b IS NULL, false, a = b). The operands are pure (a pipeline refuses
// volatile functions), so evaluating them more than once changes nothing.
Result<ExprPtr> Transformer::TransformDistinctFrom(element left, element right, bool distinct,
                                                   size_t at) {
  const SourceLocation where = Locate(at);
  auto is_null = [&](element operand, bool negated) -> Result<ExprPtr> {
    ExprPtr test = NewExpr(ExprKind::kIsNull, where);
    test->negated = negated;
    ASSIGN_OR_RETURN(ExprPtr e, TransformExpr(operand, at));
    test->children.push_back(std::move(e));
    return test;
  };
  ExprPtr out = NewExpr(ExprKind::kCase, where);
  out->has_else = true;
  ASSIGN_OR_RETURN(ExprPtr left_null, is_null(left, false));
  ASSIGN_OR_RETURN(ExprPtr right_test, is_null(right, distinct));
  ASSIGN_OR_RETURN(ExprPtr right_null, is_null(right, false));
  ExprPtr constant = NewExpr(ExprKind::kLiteral, where);
  constant->literal_kind = LiteralKind::kBoolean;
  constant->text = distinct ? "true" : "false";
  ExprPtr compare = NewExpr(ExprKind::kBinary, where);
  compare->binary_op = distinct ? BinaryOp::kNotEqual : BinaryOp::kEqual;
  RETURN_IF_ERROR(TransformArgs({left, right}, at, compare.get()));
  out->children.push_back(std::move(left_null));
  out->children.push_back(std::move(right_test));
  out->children.push_back(std::move(right_null));
  out->children.push_back(std::move(constant));
  out->children.push_back(std::move(compare));
  return out;
}

Result<ExprPtr> Transformer::TransformOperator(object fields, size_t at) {
  std::vector<element> name = GetList(fields, "name");
  std::string_view symbol;
  element left, right;
  if (name.size() != 1 || !GetStringNode(name[0], &symbol)) {
    return Unsupported(at, "OPERATOR(schema.op)");
  }
  if (!GetField(fields, "rexpr", &right)) return Error(at, "unexpected parse tree");
  if (!GetField(fields, "lexpr", &left)) {  // prefix operator
    if (symbol == "+") return TransformExpr(right, at);
    if (symbol != "-") return Unsupported(at, "the prefix operator " + std::string(symbol));
    ExprPtr out = NewExpr(ExprKind::kUnary, Locate(at));
    out->unary_op = UnaryOp::kNegate;
    RETURN_IF_ERROR(TransformArgs({right}, at, out.get()));
    return out;
  }
  ExprPtr out = NewExpr(ExprKind::kBinary, Locate(at));
  if (!BinaryOpFromSymbol(symbol, &out->binary_op)) {
    return Unsupported(at, "the operator " + std::string(symbol));
  }
  RETURN_IF_ERROR(TransformArgs({left, right}, at, out.get()));
  return out;
}

Result<ExprPtr> Transformer::TransformBoolExpr(object fields, size_t at) {
  std::string_view op = GetString(fields, "boolop");
  std::vector<element> args = GetList(fields, "args");
  if (op == "NOT_EXPR") {
    if (args.size() != 1) return Error(at, "unexpected parse tree");
    ExprPtr out = NewExpr(ExprKind::kUnary, Locate(at));
    out->unary_op = UnaryOp::kNot;
    RETURN_IF_ERROR(TransformArgs(args, at, out.get()));
    return out;
  }
  if (args.size() < 2 || (op != "AND_EXPR" && op != "OR_EXPR")) {
    return Error(at, "unexpected parse tree");
  }
  // PostgreSQL flattens a AND b AND c into one node; strata's tree is binary and left-deep,
  // so the operands sit up to args.size() - 1 levels further down.
  auto fold = [&]() -> Result<ExprPtr> {
    ASSIGN_OR_RETURN(ExprPtr out, TransformExpr(args[0], at));
    for (size_t i = 1; i < args.size(); ++i) {
      ExprPtr node = NewExpr(ExprKind::kBinary, Locate(at));
      node->binary_op = op == "AND_EXPR" ? BinaryOp::kAnd : BinaryOp::kOr;
      node->children.push_back(std::move(out));
      ASSIGN_OR_RETURN(ExprPtr right, TransformExpr(args[i], at));
      node->children.push_back(std::move(right));
      out = std::move(node);
    }
    return out;
  };
  int extra = static_cast<int>(std::min<size_t>(args.size() - 1, kMaxExprDepth));
  depth_ += extra;
  Result<ExprPtr> result = fold();
  depth_ -= extra;
  return result;
}

Result<ExprPtr> Transformer::TransformFuncCall(object fields, size_t at) {
  RETURN_IF_ERROR(CheckFields(
      fields, {"funcname", "args", "agg_star", "agg_distinct", "funcformat", "location"}, at, ""));
  std::vector<std::string_view> names;
  for (element e : GetList(fields, "funcname")) {
    std::string_view name;
    if (!GetStringNode(e, &name)) return Error(at, "unexpected parse tree");
    names.push_back(name);
  }
  if (names.size() == 2 && names[0] == "pg_catalog") names.erase(names.begin());
  if (names.size() != 1) return Unsupported(at, "a schema-qualified function name");
  ExprPtr out = NewExpr(ExprKind::kFunction, Locate(at));
  out->name = Lowercase(names[0]);
  out->star = GetBool(fields, "agg_star");
  out->distinct = GetBool(fields, "agg_distinct");
  RETURN_IF_ERROR(TransformArgs(GetList(fields, "args"), at, out.get()));
  // EXTRACT(field FROM x) arrives as extract('field', x); date_part('field', x) is the same.
  if ((out->name == "extract" || out->name == "date_part") && out->children.size() == 2 &&
      out->children[0]->kind == ExprKind::kLiteral &&
      out->children[0]->literal_kind == LiteralKind::kString) {
    out->name = "extract";
    out->children[0]->text = Lowercase(out->children[0]->text);
  }
  return out;
}

Result<ExprPtr> Transformer::TransformFunctionOf(std::string_view name, object fields, size_t at) {
  ExprPtr out = NewExpr(ExprKind::kFunction, Locate(at));
  out->name = name;
  RETURN_IF_ERROR(TransformArgs(GetList(fields, "args"), at, out.get()));
  return out;
}

Status Transformer::TransformArgs(const std::vector<element>& args, size_t at, Expr* out) {
  for (element arg : args) {
    ASSIGN_OR_RETURN(ExprPtr expr, TransformExpr(arg, at));
    out->children.push_back(std::move(expr));
  }
  return Status::OK();
}

Result<ExprPtr> Transformer::TransformTypeCast(object fields, size_t at) {
  element arg;
  object type;
  if (!GetField(fields, "arg", &arg) || !GetObject(fields, "typeName", &type)) {
    return Error(at, "unexpected parse tree");
  }
  size_t type_at = Offset(type, at);
  ASSIGN_OR_RETURN(TypeName type_name, TransformTypeName(type, type_at));
  PgNode value;
  object sval;
  if (AsNode(arg, &value) && value.type == "A_Const" && GetObject(value.fields, "sval", &sval)) {
    // TIMESTAMP '...' (location -1), '...'::timestamp, CAST('...' AS timestamp): a typed
    // literal, located at whichever of type, cast and string comes first.
    size_t first = std::min(
        {Offset(fields, SIZE_MAX), Offset(type, SIZE_MAX), Offset(value.fields, SIZE_MAX)});
    ExprPtr out = NewExpr(ExprKind::kLiteral, Locate(first == SIZE_MAX ? at : first));
    out->literal_kind = LiteralKind::kTyped;
    out->text = GetString(sval, "sval");
    out->type = std::move(type_name);
    return out;
  }
  ExprPtr out = NewExpr(ExprKind::kCast, Locate(at));
  out->type = std::move(type_name);
  RETURN_IF_ERROR(TransformArgs({arg}, at, out.get()));
  return out;
}

Result<ExprPtr> Transformer::TransformCase(object fields, size_t at) {
  ExprPtr out = NewExpr(ExprKind::kCase, Locate(at));
  element operand, otherwise;
  if (GetField(fields, "arg", &operand)) {
    out->has_operand = true;
    RETURN_IF_ERROR(TransformArgs({operand}, at, out.get()));
  }
  for (element item : GetList(fields, "args")) {
    PgNode when;
    element condition, result;
    if (!AsNode(item, &when) || when.type != "CaseWhen" ||
        !GetField(when.fields, "expr", &condition) || !GetField(when.fields, "result", &result)) {
      return Error(at, "unexpected parse tree");
    }
    RETURN_IF_ERROR(TransformArgs({condition, result}, Offset(when.fields, at), out.get()));
  }
  if (GetField(fields, "defresult", &otherwise)) {
    out->has_else = true;
    RETURN_IF_ERROR(TransformArgs({otherwise}, at, out.get()));
  }
  return out;
}

Result<ExprPtr> Transformer::TransformSqlValueFunction(object fields, size_t at) {
  static constexpr std::pair<std::string_view, std::string_view> kFunctions[] = {
      {"SVFOP_CURRENT_DATE", "current_date"},           {"SVFOP_CURRENT_TIME", "current_time"},
      {"SVFOP_CURRENT_TIMESTAMP", "current_timestamp"}, {"SVFOP_LOCALTIME", "localtime"},
      {"SVFOP_LOCALTIMESTAMP", "localtimestamp"},
  };
  std::string_view op = GetString(fields, "op");
  for (const auto& [pg, name] : kFunctions) {
    if (pg == op) {
      ExprPtr out = NewExpr(ExprKind::kFunction, Locate(at));
      out->name = name;
      return out;
    }
  }
  if (op.starts_with("SVFOP_") && op.ends_with("_N")) {  // CURRENT_TIMESTAMP(3)
    return Unsupported(at, "a precision on " + std::string(op.substr(6, op.size() - 8)));
  }
  return Unsupported(at, "this SQL function (CURRENT_USER, SESSION_USER, ...)");
}

}  // namespace strata::sql::internal
