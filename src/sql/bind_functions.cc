// Function calls: overload resolution for the Func list of bound_expr.h and the refusal of
// non-deterministic functions. Aggregates are in grouping.cc.
#include <algorithm>
#include <array>

#include "common/datetime.h"
#include "sql/expr_binder.h"

namespace strata::sql::internal {

// Functions of fixed text/bigint parameters.
struct Signature {
  std::string_view name;
  Func func;
  size_t min_args;
  size_t max_args;
  std::array<TypeId, 4> params;
  TypeId result;
  std::string_view usage;
};

namespace {

// Functions whose result depends on when or how often they run. A pipeline refuses them:
// a replay would compute something different from the first run.
bool IsNonDeterministic(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "now",
      "random",
      "random_normal",
      "setseed",
      "current_timestamp",
      "current_date",
      "current_time",
      "localtime",
      "localtimestamp",
      "clock_timestamp",
      "statement_timestamp",
      "transaction_timestamp",
      "timeofday",
      "gen_random_uuid",
      "uuid_generate_v1",
      "uuid_generate_v1mc",
      "uuid_generate_v4",
      "txid_current",
      "pg_backend_pid",
      "nextval",
      "currval",
      "lastval",
  };
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// Spelled without parentheses in SQL.
bool IsSqlValueFunction(std::string_view name) {
  return name == "current_timestamp" || name == "current_date" || name == "current_time" ||
         name == "localtime" || name == "localtimestamp";
}

std::string Label(const Typed& t) {
  return t.unknown ? "unknown" : t.expr.type.ToString();
}

constexpr TypeId kT = TypeId::kText;
constexpr TypeId kB = TypeId::kBigint;

constexpr Signature kSignatures[] = {
    {"lower", Func::kLower, 1, 1, {kT}, kT, "lower(text)"},
    {"upper", Func::kUpper, 1, 1, {kT}, kT, "upper(text)"},
    {"btrim", Func::kBtrim, 1, 2, {kT, kT}, kT, "btrim(text[, characters text])"},
    {"ltrim", Func::kLtrim, 1, 2, {kT, kT}, kT, "ltrim(text[, characters text])"},
    {"rtrim", Func::kRtrim, 1, 2, {kT, kT}, kT, "rtrim(text[, characters text])"},
    {"length", Func::kLength, 1, 1, {kT}, kB, "length(text)"},
    {"char_length", Func::kLength, 1, 1, {kT}, kB, "char_length(text)"},
    {"character_length", Func::kLength, 1, 1, {kT}, kB, "character_length(text)"},
    {"substring",
     Func::kSubstring,
     2,
     3,
     {kT, kB, kB},
     kT,
     "substring(text, start bigint[, count bigint])"},
    {"substr",
     Func::kSubstring,
     2,
     3,
     {kT, kB, kB},
     kT,
     "substr(text, start bigint[, count bigint])"},
    {"regexp_replace",
     Func::kRegexpReplace,
     3,
     4,
     {kT, kT, kT, kT},
     kT,
     "regexp_replace(text, pattern text, replacement text[, flags text])"},
};

}  // namespace

Status ExprBinder::FunctionDoesNotExist(const Expr& call, const std::vector<Typed>& args,
                                        std::string_view expected) const {
  std::string message = "function " + call.name + "(";
  for (size_t i = 0; i < args.size(); ++i) {
    message += (i ? ", " : "") + Label(args[i]);
  }
  message += ") does not exist";
  if (!expected.empty()) message += " (expected " + std::string(expected) + ")";
  return errors_.At(call.location, message);
}

Result<Typed> ExprBinder::BindFunction(const Expr& call) {
  if (IsAggregateCall(call)) {
    if (options_.in_aggregate) {
      return errors_.At(call.location, "aggregate function calls cannot be nested");
    }
    return errors_.At(call.location,
                      "aggregate functions are not allowed in " + std::string(options_.clause));
  }
  if (IsNonDeterministic(call.name)) {
    std::string shown = IsSqlValueFunction(call.name) ? call.name : call.name + "()";
    if (options_.pipeline) {
      return errors_.At(call.location, shown +
                                           " is not allowed in a pipeline: it would make a replay "
                                           "compute something different from the first run");
    }
    return errors_.At(call.location, shown +
                                         " is not supported in queries yet: strata evaluates "
                                         "only deterministic expressions");
  }
  if (call.name == "tumble" || call.name == "hop" || call.name == "session") {
    return errors_.At(call.location,
                      call.name +
                          "() is an event-time window: write it as an item of a gold view's "
                          "GROUP BY and select window_start and window_end");
  }
  if (call.star) {
    return errors_.At(call.location, call.name +
                                         "(*) is not a function strata knows: only "
                                         "count takes *");
  }
  if (call.distinct) {
    return errors_.At(call.location,
                      "DISTINCT specified, but " + call.name + " is not an aggregate function");
  }
  std::vector<Typed> args;
  for (const ExprPtr& child : call.children) {
    ASSIGN_OR_RETURN(Typed t, BindTyped(*child));
    args.push_back(std::move(t));
  }
  const std::string& name = call.name;
  if (name == "round") return BindRound(call, std::move(args));
  if (name == "abs") return BindAbs(call, std::move(args));
  if (name == "date_trunc" || name == "extract") return BindDateFunction(call, std::move(args));
  if (name == "concat") return BindConcatFunction(call, std::move(args));
  if (name == "coalesce" || name == "nullif" || name == "greatest" || name == "least") {
    return BindVariadic(call, std::move(args));
  }
  for (const Signature& sig : kSignatures) {
    if (sig.name == name) return BindSimpleFunction(call, std::move(args), sig);
  }
  return FunctionDoesNotExist(call, args, "");
}

Result<Typed> ExprBinder::BindSimpleFunction(const Expr& call, std::vector<Typed> args,
                                             const Signature& sig) {
  bool fits = args.size() >= sig.min_args && args.size() <= sig.max_args;
  for (size_t i = 0; fits && i < args.size(); ++i) {
    fits = args[i].unknown || args[i].expr.type.id == sig.params[i];
  }
  if (!fits) return FunctionDoesNotExist(call, args, sig.usage);
  std::vector<BoundExpr> children;
  for (size_t i = 0; i < args.size(); ++i) {
    ASSIGN_OR_RETURN(BoundExpr e, Resolve(std::move(args[i]), sig.params[i]));
    children.push_back(std::move(e));
  }
  return Typed{MakeCall(sig.func, Type{sig.result, {}}, std::move(children), call.location)};
}

Result<Typed> ExprBinder::BindRound(const Expr& call, std::vector<Typed> args) {
  constexpr std::string_view kUsage = "round(numeric[, digits bigint]) or round(double precision)";
  if (args.empty() || args.size() > 2) return FunctionDoesNotExist(call, args, kUsage);
  const Typed& x = args[0];
  if (!x.unknown && !IsNumber(x.expr.type.id)) return FunctionDoesNotExist(call, args, kUsage);
  if (!x.unknown && x.expr.type.id == TypeId::kDouble) {
    if (args.size() == 2) {
      return FunctionDoesNotExist(call, args,
                                  "round(numeric, digits): cast the value to numeric(p,s) to "
                                  "round it to digits");
    }
    std::vector<BoundExpr> children;
    children.push_back(std::move(args[0].expr));
    return Typed{MakeCall(Func::kRound, Type::Double(), std::move(children), call.location)};
  }
  if (args.size() == 2 && !args[1].unknown && args[1].expr.type.id != TypeId::kBigint) {
    return FunctionDoesNotExist(call, args, kUsage);
  }
  ASSIGN_OR_RETURN(BoundExpr value, Resolve(std::move(args[0]), TypeId::kNumeric));
  if (value.type.id == TypeId::kBigint) {
    Type promoted = PromotedType(value, TypeId::kNumeric);
    ASSIGN_OR_RETURN(value, CastTo(std::move(value), promoted, errors_));
  }
  std::vector<BoundExpr> children;
  children.push_back(std::move(value));
  int64_t digits = 0;
  if (args.size() == 2) {
    SourceLocation at = args[1].expr.location;
    ASSIGN_OR_RETURN(BoundExpr d, Resolve(std::move(args[1]), TypeId::kBigint));
    if (d.kind != BoundKind::kLiteral || d.literal.is_null()) {
      return errors_.At(at, "round digits must be a constant (an integer literal)");
    }
    digits = d.literal.as_int64();
    if (digits > kNumericMaxPrecision || digits < -kNumericMaxPrecision) {
      return errors_.At(at, "round digits must be between -38 and 38");
    }
    children.push_back(std::move(d));
  }
  Type type = Type::Numeric(kNumericMaxPrecision, static_cast<int>(std::max<int64_t>(digits, 0)));
  return Typed{MakeCall(Func::kRound, type, std::move(children), call.location)};
}

Result<Typed> ExprBinder::BindAbs(const Expr& call, std::vector<Typed> args) {
  constexpr std::string_view kUsage = "abs(bigint | numeric | double precision)";
  if (args.size() != 1 || (!args[0].unknown && !IsNumber(args[0].expr.type.id))) {
    return FunctionDoesNotExist(call, args, kUsage);
  }
  ASSIGN_OR_RETURN(BoundExpr value, Resolve(std::move(args[0]), TypeId::kNumeric));
  Type type = value.type;
  std::vector<BoundExpr> children;
  children.push_back(std::move(value));
  return Typed{MakeCall(Func::kAbs, type, std::move(children), call.location)};
}

Result<Typed> ExprBinder::BindDateFunction(const Expr& call, std::vector<Typed> args) {
  bool trunc = call.name == "date_trunc";
  std::string usage =
      trunc ? "date_trunc('unit', timestamp | date)" : "extract(field FROM timestamp | date)";
  if (args.size() != 2) return FunctionDoesNotExist(call, args, usage);
  const BoundExpr& unit = args[0].expr;
  bool text_constant =
      unit.kind == BoundKind::kLiteral && unit.type.id == TypeId::kText && !unit.literal.is_null();
  const Typed& x = args[1];
  bool dated = x.unknown || x.expr.type.id == TypeId::kTimestamp || x.expr.type.id == TypeId::kDate;
  if (!dated || (!args[0].unknown && args[0].expr.type.id != TypeId::kText)) {
    return FunctionDoesNotExist(call, args, usage);
  }
  if (!text_constant) {
    return errors_.At(unit.location, trunc ? "the unit of date_trunc must be a constant, e.g. "
                                             "date_trunc('hour', ts)"
                                           : "the field of extract must be a constant");
  }
  const std::string& text = unit.literal.as_string();
  std::string canonical;
  int scale = 0;
  if (trunc) {
    Result<DateUnit> u = ParseDateUnit(text);
    if (!u.ok()) return errors_.At(unit.location, u.status());
    canonical = DateUnitName(*u);
  } else {
    Result<DateField> f = ParseDateField(text);
    if (!f.ok()) return errors_.At(unit.location, f.status());
    if (!x.unknown && x.expr.type.id == TypeId::kDate) {
      Result<int64_t> probe = ExtractDate(*f, 0);
      if (!probe.ok()) return errors_.At(unit.location, probe.status());
    }
    canonical = DateFieldName(*f);
    scale = ExtractScale(*f);
  }
  SourceLocation unit_at = unit.location;
  ASSIGN_OR_RETURN(BoundExpr value, Resolve(std::move(args[1]), TypeId::kTimestamp));
  std::vector<BoundExpr> children;
  children.push_back(MakeLiteral(Value::String(canonical), Type::Text(), unit_at));
  children.push_back(std::move(value));
  if (trunc) {
    return Typed{MakeCall(Func::kDateTrunc, Type::Timestamp(), std::move(children), call.location)};
  }
  return Typed{MakeCall(Func::kExtract, Type::Numeric(kNumericMaxPrecision, scale),
                        std::move(children), call.location)};
}

Result<Typed> ExprBinder::BindConcatFunction(const Expr& call, std::vector<Typed> args) {
  if (args.empty()) return FunctionDoesNotExist(call, args, "concat(value, ...)");
  std::vector<BoundExpr> children;
  for (Typed& arg : args) {
    ASSIGN_OR_RETURN(BoundExpr e, Resolve(std::move(arg), TypeId::kText));
    ASSIGN_OR_RETURN(e, CastTo(std::move(e), Type::Text(), errors_));
    children.push_back(std::move(e));
  }
  return Typed{MakeCall(Func::kConcatFunction, Type::Text(), std::move(children), call.location)};
}

Result<Typed> ExprBinder::BindVariadic(const Expr& call, std::vector<Typed> args) {
  const std::string& name = call.name;
  bool nullif = name == "nullif";
  if (args.empty() || (nullif && args.size() != 2)) {
    return FunctionDoesNotExist(call, args, nullif ? "nullif(a, b)" : name + "(value, ...)");
  }
  std::vector<SourceLocation> locations;
  for (const ExprPtr& child : call.children)
    locations.push_back(child->location);
  std::string construct = name;
  std::transform(construct.begin(), construct.end(), construct.begin(),
                 [](char c) { return static_cast<char>(c - 'a' + 'A'); });
  std::vector<BoundExpr> children;
  Type type;
  RETURN_IF_ERROR(Unify(&args, construct, locations, &children, &type));
  if (name == "coalesce") {
    return Typed{MakeNode(BoundKind::kCoalesce, type, std::move(children), call.location)};
  }
  Func func = nullif ? Func::kNullIf : name == "greatest" ? Func::kGreatest : Func::kLeast;
  return Typed{MakeCall(func, type, std::move(children), call.location)};
}

}  // namespace strata::sql::internal
