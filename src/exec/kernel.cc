#include "exec/kernel.h"

namespace strata::exec::internal {
namespace {

// Operators print infix; everything else as name(args).
const char* OperatorSymbol(sql::Func f) {
  switch (f) {
    case sql::Func::kAdd:
      return "+";
    case sql::Func::kSubtract:
      return "-";
    case sql::Func::kMultiply:
      return "*";
    case sql::Func::kDivide:
      return "/";
    case sql::Func::kModulo:
      return "%";
    case sql::Func::kEqual:
      return "=";
    case sql::Func::kNotEqual:
      return "<>";
    case sql::Func::kLess:
      return "<";
    case sql::Func::kLessEqual:
      return "<=";
    case sql::Func::kGreater:
      return ">";
    case sql::Func::kGreaterEqual:
      return ">=";
    case sql::Func::kConcat:
      return "||";
    case sql::Func::kLike:
      return "LIKE";
    case sql::Func::kILike:
      return "ILIKE";
    default:
      return nullptr;
  }
}

const char* FunctionName(sql::Func f) {
  switch (f) {
    case sql::Func::kNegate:
      return "-";
    case sql::Func::kConcatFunction:
      return "concat";
    case sql::Func::kLower:
      return "lower";
    case sql::Func::kUpper:
      return "upper";
    case sql::Func::kBtrim:
      return "btrim";
    case sql::Func::kLtrim:
      return "ltrim";
    case sql::Func::kRtrim:
      return "rtrim";
    case sql::Func::kLength:
      return "length";
    case sql::Func::kSubstring:
      return "substring";
    case sql::Func::kRegexpReplace:
      return "regexp_replace";
    case sql::Func::kRound:
      return "round";
    case sql::Func::kAbs:
      return "abs";
    case sql::Func::kDateTrunc:
      return "date_trunc";
    case sql::Func::kExtract:
      return "extract";
    case sql::Func::kNullIf:
      return "nullif";
    case sql::Func::kGreatest:
      return "greatest";
    case sql::Func::kLeast:
      return "least";
    default:
      return OperatorSymbol(f);
  }
}

std::string ArgTypes(const Node& node) {
  std::string s;
  for (size_t i = 0; i < node.children.size(); ++i) {
    if (i > 0) s += ", ";
    s += node.children[i].type.ToString();
  }
  return s;
}

}  // namespace

void EvalContext::Fail(size_t row, const std::string& where, std::string_view what) {
  failed_[row] = 1;
  std::string message = where;
  message.append(what);
  errors_.push_back({row, std::move(message)});
}

std::string Signature(const Node& node) {
  if (node.kind == sql::BoundKind::kCast) {
    std::string from = node.children.empty() ? "?" : node.children[0].type.ToString();
    return "CAST(" + from + " AS " + node.type.ToString() + ")";
  }
  switch (node.kind) {
    case sql::BoundKind::kCall:
      break;
    case sql::BoundKind::kAnd:
      return "AND";
    case sql::BoundKind::kOr:
      return "OR";
    case sql::BoundKind::kNot:
      return "NOT";
    case sql::BoundKind::kIsNull:
      return "IS NULL";
    case sql::BoundKind::kIn:
      return "IN";
    case sql::BoundKind::kCase:
      return "CASE";
    case sql::BoundKind::kCoalesce:
      return "COALESCE";
    default:
      return "expression of type " + node.type.ToString();
  }
  const char* op = OperatorSymbol(node.func);
  if (op != nullptr && node.children.size() == 2) {
    return node.children[0].type.ToString() + " " + op + " " + node.children[1].type.ToString();
  }
  const char* name = FunctionName(node.func);
  return std::string(name != nullptr ? name : "function") + "(" + ArgTypes(node) + ")";
}

Status Unsupported(const Node& node, std::string_view why) {
  return Status::InvalidArgument(node.where + "cannot evaluate " + Signature(node) + ": " +
                                 std::string(why));
}

Status CoerceChild(Node* node, size_t i) {
  Node& child = node->children[i];
  if (child.type == node->type) return Status::OK();
  if (child.type.id != TypeId::kNumeric || node->type.id != TypeId::kNumeric) {
    return Unsupported(*node, "argument " + std::to_string(i + 1) + " has type " +
                                  child.type.ToString() + ", expected " + node->type.ToString());
  }
  Node cast;
  cast.kind = sql::BoundKind::kCast;
  cast.type = node->type;
  cast.where = node->where;
  cast.children.push_back(std::move(child));
  RETURN_IF_ERROR(PrepareCast(&cast));
  child = std::move(cast);
  return Status::OK();
}

}  // namespace strata::exec::internal
