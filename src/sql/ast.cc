// Printing the AST back as SQL (ToString) and quoting identifiers.
#include "sql/ast.h"

#include <algorithm>
#include <iterator>
#include <span>

namespace strata::sql {
namespace {

// Found by asking libpg-query (PostgreSQL 15.1) about each of its keywords in each position;
// both lists sorted bytewise (they are binary-searched).

// Keywords that cannot stand for a column or table name (PostgreSQL's reserved and
// type/function-name keywords).
// clang-format off
constexpr std::string_view kColumnKeywords[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
    "binary", "both", "case", "cast", "check", "collate", "collation", "column", "concurrently",
    "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
    "current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable",
    "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign",
    "freeze", "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner",
    "intersect", "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit",
    "localtime", "localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only",
    "or", "order", "outer", "overlaps", "placing", "primary", "references", "returning", "right",
    "select", "session_user", "similar", "some", "symmetric", "table", "tablesample", "then", "to",
    "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when", "where",
    "window", "with"};
// clang-format on

// Keywords that cannot be called as name(args) (reserved and column-name keywords: they
// have their own syntax, like position(a IN b)); coalesce, greatest, least, nullif and extract
// are left out because strata's normalized spelling reads back as them.
// clang-format off
constexpr std::string_view kFunctionKeywords[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "between",
    "bigint", "bit", "boolean", "both", "case", "cast", "char", "character", "check", "collate",
    "column", "constraint", "create", "current_catalog", "current_date", "current_role",
    "current_time", "current_timestamp", "current_user", "dec", "decimal", "default", "deferrable",
    "desc", "distinct", "do", "else", "end", "except", "exists", "false", "fetch", "float", "for",
    "foreign", "from", "grant", "group", "grouping", "having", "in", "initially", "inout", "int",
    "integer", "intersect", "interval", "into", "lateral", "leading", "limit", "localtime",
    "localtimestamp", "national", "nchar", "none", "normalize", "not", "null", "numeric", "offset",
    "on", "only", "operator", "or", "order", "out", "placing", "position", "precision", "primary",
    "real", "references", "returning", "row", "select", "session_user", "setof", "smallint",
    "some", "symmetric", "table", "then", "time", "timestamp", "to", "trailing", "treat", "trim",
    "true", "union", "unique", "user", "using", "values", "varchar", "variadic", "when", "where",
    "window", "with", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest",
    "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable"};
// clang-format on

bool Contains(std::span<const std::string_view> sorted, std::string_view word) {
  return std::binary_search(sorted.begin(), sorted.end(), word);
}

// [a-z_][a-z0-9_$]*: reads back as itself when unquoted (keywords aside).
bool IsPlainIdentifier(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9') || name[0] == '$') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
  });
}

std::string Quote(std::string_view name, char quote) {
  std::string out(1, quote);
  for (char c : name) {
    out += c;
    if (c == quote) out += quote;
  }
  out += quote;
  return out;
}

std::string FunctionName(std::string_view name) {
  if (IsPlainIdentifier(name) && !Contains(kFunctionKeywords, name)) return std::string(name);
  return Quote(name, '"');
}

// Functions PostgreSQL spells without parentheses.
bool IsSqlValueFunction(const Expr& expr) {
  static constexpr std::string_view kNames[] = {"current_date", "current_time", "current_timestamp",
                                                "localtime", "localtimestamp"};
  return expr.children.empty() && !expr.star &&
         std::find(std::begin(kNames), std::end(kNames), expr.name) != std::end(kNames);
}

// Operands that are themselves operator expressions get parentheses.
bool IsCompound(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kUnary:
    case ExprKind::kBinary:
    case ExprKind::kIsNull:
    case ExprKind::kIn:
    case ExprKind::kBetween:
    case ExprKind::kLike:
      return true;
    default:
      return false;
  }
}

void Append(const Expr& expr, std::string* out);

void AppendOperand(const Expr& expr, std::string* out) {
  // A negative number after a unary minus would read as a -- comment: -(-5).
  bool negative_number =
      expr.kind == ExprKind::kLiteral && !expr.text.empty() && expr.text[0] == '-' &&
      (expr.literal_kind == LiteralKind::kInteger || expr.literal_kind == LiteralKind::kDecimal);
  if (!IsCompound(expr) && !negative_number) return Append(expr, out);
  *out += '(';
  Append(expr, out);
  *out += ')';
}

void AppendList(const std::vector<ExprPtr>& exprs, size_t from, std::string* out) {
  for (size_t i = from; i < exprs.size(); ++i) {
    if (i > from) *out += ", ";
    Append(*exprs[i], out);
  }
}

void AppendLiteral(const Expr& expr, std::string* out) {
  switch (expr.literal_kind) {
    case LiteralKind::kInteger:
    case LiteralKind::kDecimal:
      *out += expr.text;
      return;
    case LiteralKind::kString:
      *out += Quote(expr.text, '\'');
      return;
    case LiteralKind::kBoolean:
      *out += expr.text == "true" ? "TRUE" : "FALSE";
      return;
    case LiteralKind::kNull:
      *out += "NULL";
      return;
    case LiteralKind::kTyped:
      *out += ToString(expr.type) + " " + Quote(expr.text, '\'');
      return;
  }
}

void AppendFunction(const Expr& expr, std::string* out) {
  if (IsSqlValueFunction(expr)) {
    *out += expr.name;
    return;
  }
  if (expr.name == "extract" && expr.children.size() == 2) {
    *out += "extract(";
    Append(*expr.children[0], out);
    *out += " FROM ";
    Append(*expr.children[1], out);
    *out += ')';
    return;
  }
  *out += FunctionName(expr.name) + "(";
  if (expr.star) *out += '*';
  if (expr.distinct) *out += "DISTINCT ";
  AppendList(expr.children, 0, out);
  *out += ')';
}

void AppendCase(const Expr& expr, std::string* out) {
  *out += "CASE";
  if (const Expr* operand = expr.case_operand()) {
    *out += ' ';
    Append(*operand, out);
  }
  for (size_t i = 0; i < expr.case_when_count(); ++i) {
    *out += " WHEN ";
    Append(expr.case_when(i), out);
    *out += " THEN ";
    Append(expr.case_then(i), out);
  }
  if (const Expr* otherwise = expr.case_else()) {
    *out += " ELSE ";
    Append(*otherwise, out);
  }
  *out += " END";
}

void Append(const Expr& expr, std::string* out) {
  const auto& c = expr.children;
  switch (expr.kind) {
    case ExprKind::kColumn:
      if (!expr.qualifier.empty()) *out += QuoteIdentifier(expr.qualifier) + ".";
      *out += QuoteIdentifier(expr.name);
      return;
    case ExprKind::kStar:
      if (!expr.qualifier.empty()) *out += QuoteIdentifier(expr.qualifier) + ".";
      *out += '*';
      return;
    case ExprKind::kLiteral:
      return AppendLiteral(expr, out);
    case ExprKind::kUnary:
      *out += expr.unary_op == UnaryOp::kNot ? "NOT " : "-";
      return AppendOperand(*c[0], out);
    case ExprKind::kBinary:
      AppendOperand(*c[0], out);
      *out += std::string(" ") + ToString(expr.binary_op) + " ";
      return AppendOperand(*c[1], out);
    case ExprKind::kIsNull:
      AppendOperand(*c[0], out);
      *out += expr.negated ? " IS NOT NULL" : " IS NULL";
      return;
    case ExprKind::kIn:
      AppendOperand(*c[0], out);
      *out += expr.negated ? " NOT IN (" : " IN (";
      AppendList(c, 1, out);
      *out += ')';
      return;
    case ExprKind::kBetween:
      AppendOperand(*c[0], out);
      *out += expr.negated ? " NOT BETWEEN " : " BETWEEN ";
      AppendOperand(*c[1], out);
      *out += " AND ";
      return AppendOperand(*c[2], out);
    case ExprKind::kLike:
      AppendOperand(*c[0], out);
      *out += expr.negated ? " NOT" : "";
      *out += expr.case_insensitive ? " ILIKE " : " LIKE ";
      return AppendOperand(*c[1], out);
    case ExprKind::kCase:
      return AppendCase(expr, out);
    case ExprKind::kCast:
      *out += "CAST(";
      Append(*c[0], out);
      *out += " AS " + ToString(expr.type) + ")";
      return;
    case ExprKind::kFunction:
      return AppendFunction(expr, out);
  }
}

}  // namespace

const char* ToString(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSubtract:
      return "-";
    case BinaryOp::kMultiply:
      return "*";
    case BinaryOp::kDivide:
      return "/";
    case BinaryOp::kModulo:
      return "%";
    case BinaryOp::kConcat:
      return "||";
    case BinaryOp::kEqual:
      return "=";
    case BinaryOp::kNotEqual:
      return "<>";
    case BinaryOp::kLess:
      return "<";
    case BinaryOp::kLessEqual:
      return "<=";
    case BinaryOp::kGreater:
      return ">";
    case BinaryOp::kGreaterEqual:
      return ">=";
    case BinaryOp::kAnd:
      return "AND";
    case BinaryOp::kOr:
      return "OR";
  }
  return "?";
}

std::string QuoteIdentifier(std::string_view name) {
  if (IsPlainIdentifier(name) && !Contains(kColumnKeywords, name)) return std::string(name);
  return Quote(name, '"');
}

const char* JoinTypeName(JoinType type) {
  switch (type) {
    case JoinType::kInner:
      return "JOIN";
    case JoinType::kLeft:
      return "LEFT JOIN";
    case JoinType::kRight:
      return "RIGHT JOIN";
    case JoinType::kFull:
      return "FULL JOIN";
  }
  return "?";
}

std::string ToString(const TableName& table) {
  std::string out;
  if (!table.schema.empty()) out = QuoteIdentifier(table.schema) + ".";
  return out + QuoteIdentifier(table.name);
}

std::string ToString(const TypeName& type) {
  // strata's name where it is also valid SQL; what was written where strata's name would
  // lose the modifiers' meaning (varchar(10) is not text(10)).
  std::string out;
  if (type.name == "double") {
    out = "double precision";
  } else if (type.modifiers.empty() || type.name == "numeric" || type.name == type.original) {
    out = IsPlainIdentifier(type.name) ? type.name : Quote(type.name, '"');
  } else {
    out = type.original;
  }
  for (size_t i = 0; i < type.modifiers.size(); ++i) {
    out += (i == 0 ? "(" : ",") + std::to_string(type.modifiers[i]);
  }
  return type.modifiers.empty() ? out : out + ")";
}

std::string ToString(const Expr& expr) {
  std::string out;
  Append(expr, &out);
  return out;
}

}  // namespace strata::sql
