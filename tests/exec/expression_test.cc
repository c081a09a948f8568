// Table-driven tests of the expression evaluator: each case is a bound expression and the
// PostgreSQL result (or error). Every case runs twice: as written (literal arguments, which
// the evaluator may prepare once) and with every literal moved into an input column (the
// per-row paths); both must give the same answer.
#include "exec/expression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/datetime.h"
#include "common/numeric.h"

namespace strata::exec {
namespace {

using sql::BoundExpr;
using sql::BoundKind;
using sql::Func;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// --- Building bound expressions by hand (the binder's job in production)

BoundExpr Lit(Value v, Type t) {
  BoundExpr e;
  e.kind = BoundKind::kLiteral;
  e.type = t;
  e.literal = std::move(v);
  e.location = {1, 1};
  return e;
}
BoundExpr I(int64_t v) {
  return Lit(Value::Int64(v), Type::Bigint());
}
BoundExpr D(double v) {
  return Lit(Value::Double(v), Type::Double());
}
BoundExpr B(bool v) {
  return Lit(Value::Bool(v), Type::Boolean());
}
BoundExpr S(std::string v) {
  return Lit(Value::String(std::move(v)), Type::Text());
}
BoundExpr N(const char* text, int p, int s) {
  return Lit(Value::Int128(*Numeric::Parse(text, p, s)), Type::Numeric(p, s));
}
BoundExpr Ts(const char* text) {
  return Lit(Value::Int64(*ParseSqlTimestamp(text)), Type::Timestamp());
}
BoundExpr Dt(const char* text) {
  return Lit(Value::Int32(*ParseDate(text)), Type::Date());
}
BoundExpr Null(Type t) {
  return Lit(Value::Null(), t);
}

BoundExpr Make(BoundKind kind, Type t, std::vector<BoundExpr> children,
               sql::SourceLocation loc = {1, 1}) {
  BoundExpr e;
  e.kind = kind;
  e.type = t;
  e.children = std::move(children);
  e.location = loc;
  return e;
}
BoundExpr Call(Func f, Type t, std::vector<BoundExpr> args, sql::SourceLocation loc = {1, 1}) {
  BoundExpr e = Make(BoundKind::kCall, t, std::move(args), loc);
  e.func = f;
  return e;
}
BoundExpr Cast(BoundExpr a, Type t, sql::SourceLocation loc = {1, 1}) {
  return Make(BoundKind::kCast, t, {std::move(a)}, loc);
}
BoundExpr Bin(Func f, BoundExpr a, BoundExpr b, sql::SourceLocation loc = {1, 1}) {
  Type t = a.type;
  return Call(f, t, {std::move(a), std::move(b)}, loc);
}
BoundExpr Cmp(Func f, BoundExpr a, BoundExpr b) {
  return Call(f, Type::Boolean(), {std::move(a), std::move(b)});
}
BoundExpr In(BoundExpr x, std::vector<BoundExpr> items, bool negated = false) {
  items.insert(items.begin(), std::move(x));
  BoundExpr e = Make(BoundKind::kIn, Type::Boolean(), std::move(items));
  e.negated = negated;
  return e;
}
BoundExpr Text1(Func f, BoundExpr a) {
  return Call(f, Type::Text(), {std::move(a)});
}

// --- Running them

// Turns every literal into a column reference of `batch` (one row).
void Hoist(BoundExpr* e, Batch* batch) {
  if (e->kind == BoundKind::kLiteral) {
    Column c(e->type);
    c.AppendValue(e->literal);
    batch->columns.push_back(std::move(c));
    e->kind = BoundKind::kColumn;
    e->column = static_cast<int>(batch->columns.size()) - 1;
  }
  for (BoundExpr& child : e->children)
    Hoist(&child, batch);
}

std::string EvalOnce(BoundExpr e, bool hoist) {
  Batch batch;
  batch.weights = {1};
  if (hoist) Hoist(&e, &batch);
  Result<CompiledExpression> compiled = CompiledExpression::Compile(e);
  if (!compiled.ok()) return "ERROR: " + compiled.status().message();
  Column out(e.type);
  RowErrors errors;
  Status st = compiled->Evaluate(batch, &out, &errors);
  if (!st.ok()) return "STATUS: " + st.ToString();
  EXPECT_EQ(out.size(), 1u);
  if (!errors.empty()) {
    EXPECT_TRUE(out.is_null(0));
    return "ERROR: " + errors[0].message;
  }
  return out.GetValue(0).ToString(e.type);
}

// The value as Value::ToString prints it ("NULL", "t", "3.75"), or "ERROR: <message>".
std::string Eval(const BoundExpr& e) {
  std::string literal = EvalOnce(e, false);
  EXPECT_EQ(literal, EvalOnce(e, true)) << "literals and columns disagree";
  return literal;
}

struct Case {
  const char* name;
  BoundExpr expr;
  std::string want;
};

void Check(const std::vector<Case>& cases) {
  for (const Case& c : cases)
    EXPECT_EQ(Eval(c.expr), c.want) << c.name;
}

const Type kBigint = Type::Bigint();
const Type kBool = Type::Boolean();
const Type kText = Type::Text();
const Type kDouble = Type::Double();

// --- Arithmetic

TEST(ExpressionTest, BigintArithmetic) {
  Check({
      {"add", Bin(Func::kAdd, I(1), I(2)), "3"},
      {"add null", Bin(Func::kAdd, Null(kBigint), I(2)), "NULL"},
      {"add overflow", Bin(Func::kAdd, I(kMax), I(1), {3, 14}), "ERROR: 3:14: bigint out of range"},
      {"sub overflow", Bin(Func::kSubtract, I(kMin), I(1)), "ERROR: 1:1: bigint out of range"},
      {"mul", Bin(Func::kMultiply, I(-4), I(5)), "-20"},
      {"mul overflow", Bin(Func::kMultiply, I(1LL << 62), I(2)), "ERROR: 1:1: bigint out of range"},
      {"div truncates", Bin(Func::kDivide, I(7), I(2)), "3"},
      {"div truncates toward zero", Bin(Func::kDivide, I(-7), I(2)), "-3"},
      {"div by zero", Bin(Func::kDivide, I(1), I(0), {3, 14}), "ERROR: 3:14: division by zero"},
      {"div min by -1", Bin(Func::kDivide, I(kMin), I(-1)), "ERROR: 1:1: bigint out of range"},
      {"div by -1", Bin(Func::kDivide, I(kMax), I(-1)), "-9223372036854775807"},
      {"mod", Bin(Func::kModulo, I(7), I(3)), "1"},
      {"mod dividend sign", Bin(Func::kModulo, I(-7), I(3)), "-1"},
      {"mod divisor sign ignored", Bin(Func::kModulo, I(7), I(-3)), "1"},
      {"mod min by -1", Bin(Func::kModulo, I(kMin), I(-1)), "0"},
      {"mod by zero", Bin(Func::kModulo, I(7), I(0)), "ERROR: 1:1: division by zero"},
      {"negate", Call(Func::kNegate, kBigint, {I(5)}), "-5"},
      {"negate min", Call(Func::kNegate, kBigint, {I(kMin)}), "ERROR: 1:1: bigint out of range"},
      {"abs", Call(Func::kAbs, kBigint, {I(-5)}), "5"},
      {"abs min", Call(Func::kAbs, kBigint, {I(kMin)}), "ERROR: 1:1: bigint out of range"},
      {"abs null", Call(Func::kAbs, kBigint, {Null(kBigint)}), "NULL"},
  });
}

TEST(ExpressionTest, NumericArithmetic) {
  Type add = Type::Numeric(4, 2);  // NumericAddResultType(numeric(2,1), numeric(3,2))
  Check({
      {"1.5 + 2.25", Call(Func::kAdd, add, {N("1.5", 2, 1), N("2.25", 3, 2)}), "3.75"},
      {"1.5 - 2.25", Call(Func::kSubtract, add, {N("1.5", 2, 1), N("2.25", 3, 2)}), "-0.75"},
      {"1.5 * 2.25", Call(Func::kMultiply, Type::Numeric(5, 3), {N("1.5", 2, 1), N("2.25", 3, 2)}),
       "3.375"},
      {"10 / 3", Call(Func::kDivide, Type::Numeric(9, 6), {N("10", 2, 0), N("3", 1, 0)}),
       "3.333333"},
      {"2 / 3 rounds half up",
       Call(Func::kDivide, Type::Numeric(8, 6), {N("2", 1, 0), N("3", 1, 0)}), "0.666667"},
      {"-7.5 % 2", Call(Func::kModulo, Type::Numeric(3, 1), {N("-7.5", 2, 1), N("2", 1, 0)}),
       "-1.5"},
      {"7.5 % 2", Call(Func::kModulo, Type::Numeric(3, 1), {N("7.5", 2, 1), N("2", 1, 0)}), "1.5"},
      {"div by zero",
       Call(Func::kDivide, Type::Numeric(9, 6), {N("1", 2, 0), N("0", 1, 0)}, {2, 7}),
       "ERROR: 2:7: division by zero"},
      {"mod by zero", Call(Func::kModulo, Type::Numeric(3, 1), {N("1.5", 2, 1), N("0", 1, 0)}),
       "ERROR: 1:1: division by zero"},
      {"null", Call(Func::kAdd, add, {Null(Type::Numeric(2, 1)), N("2.25", 3, 2)}), "NULL"},
      {"negate", Call(Func::kNegate, Type::Numeric(3, 2), {N("1.25", 3, 2)}), "-1.25"},
      {"abs", Call(Func::kAbs, Type::Numeric(3, 2), {N("-1.25", 3, 2)}), "1.25"},
  });
  // 38 digits is the limit: a product beyond it fails, naming the operation.
  BoundExpr big = N("10000000000000000000000000000000000000", 38, 0);
  std::string overflow = Eval(Call(Func::kMultiply, Type::Numeric(38, 0), {big, N("10", 2, 0)}));
  EXPECT_EQ(overflow.rfind("ERROR: 1:1: numeric overflow", 0), 0u) << overflow;
  // A result type that numeric.h's rules do not give is refused before evaluation.
  std::string wrong =
      Eval(Call(Func::kAdd, Type::Numeric(10, 1), {N("1.5", 2, 1), N("2.25", 3, 2)}));
  EXPECT_EQ(wrong.rfind("ERROR: 1:1: cannot evaluate numeric(2,1) + numeric(3,2): result type", 0),
            0u)
      << wrong;
}

TEST(ExpressionTest, Round) {
  Check({
      {"round 2.5", Call(Func::kRound, Type::Numeric(2, 0), {N("2.5", 2, 1)}), "3"},
      {"round -2.5", Call(Func::kRound, Type::Numeric(2, 0), {N("-2.5", 2, 1)}), "-3"},
      {"round to 2", Call(Func::kRound, Type::Numeric(10, 2), {N("1234.5678", 8, 4), I(2)}),
       "1234.57"},
      {"round keeps scale", Call(Func::kRound, Type::Numeric(8, 4), {N("1234.5678", 8, 4), I(2)}),
       "1234.5700"},
      {"round left of point", Call(Func::kRound, Type::Numeric(5, 0), {N("1234.5", 5, 1), I(-2)}),
       "1200"},
      {"round precision", Call(Func::kRound, Type::Numeric(2, 0), {N("99.5", 3, 1)}),
       "ERROR: 1:1: numeric value out of range for numeric(2,0): 100"},
      {"round null digits",
       Call(Func::kRound, Type::Numeric(5, 0), {N("1.5", 2, 1), Null(kBigint)}), "NULL"},
      {"round double half away", Call(Func::kRound, kDouble, {D(2.5)}), "3"},
      {"round double negative", Call(Func::kRound, kDouble, {D(-2.5)}), "-3"},
  });
}

TEST(ExpressionTest, DoubleArithmetic) {
  double inf = std::numeric_limits<double>::infinity();
  double nan = std::numeric_limits<double>::quiet_NaN();
  Check({
      {"add", Bin(Func::kAdd, D(1.5), D(2.25)), "3.75"},
      {"ieee", Bin(Func::kAdd, D(0.1), D(0.2)), "0.30000000000000004"},
      {"overflow", Bin(Func::kMultiply, D(1e308), D(10), {4, 2}),
       "ERROR: 4:2: value out of range: overflow"},
      {"underflow", Bin(Func::kMultiply, D(1e-300), D(1e-300)),
       "ERROR: 1:1: value out of range: underflow"},
      {"infinity is no overflow", Bin(Func::kAdd, D(inf), D(1)), "Infinity"},
      {"div by zero", Bin(Func::kDivide, D(1), D(0)), "ERROR: 1:1: division by zero"},
      {"nan / 0", Bin(Func::kDivide, D(nan), D(0)), "NaN"},
      {"div", Bin(Func::kDivide, D(1), D(4)), "0.25"},
      {"mod is fmod", Bin(Func::kModulo, D(-7.5), D(2)), "-1.5"},
      {"negate", Call(Func::kNegate, kDouble, {D(1.5)}), "-1.5"},
      {"abs", Call(Func::kAbs, kDouble, {D(-1.5)}), "1.5"},
  });
}

// --- Comparisons, logic, IN, CASE, COALESCE, NULLIF, GREATEST, LEAST

TEST(ExpressionTest, Comparisons) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  Check({
      {"1 < 2", Cmp(Func::kLess, I(1), I(2)), "t"},
      {"2 <= 1", Cmp(Func::kLessEqual, I(2), I(1)), "f"},
      {"null = 1", Cmp(Func::kEqual, Null(kBigint), I(1)), "NULL"},
      {"text bytewise", Cmp(Func::kLess, S("B"), S("a")), "t"},
      {"text multibyte after ascii", Cmp(Func::kGreater, S("é"), S("z")), "t"},
      {"text prefix", Cmp(Func::kLess, S("ab"), S("abc")), "t"},
      {"numeric scales", Cmp(Func::kEqual, N("1.50", 3, 2), N("1.5", 2, 1)), "t"},
      {"numeric scales less", Cmp(Func::kLess, N("1.49", 3, 2), N("1.5", 2, 1)), "t"},
      {"nan = nan", Cmp(Func::kEqual, D(nan), D(nan)), "t"},
      {"nan > max", Cmp(Func::kGreater, D(nan), D(1e308)), "t"},
      {"-0 = 0", Cmp(Func::kEqual, D(-0.0), D(0.0)), "t"},
      {"false < true", Cmp(Func::kLess, B(false), B(true)), "t"},
      {"dates", Cmp(Func::kGreaterEqual, Dt("2026-11-22"), Dt("2026-11-21")), "t"},
      {"timestamps", Cmp(Func::kNotEqual, Ts("2026-11-22 10:00"), Ts("2026-11-22 10:00")), "f"},
  });
}

TEST(ExpressionTest, ThreeValuedLogicTruthTables) {
  // NULL, FALSE, TRUE as 0, 1, 2.
  auto lit = [](int v) { return v == 0 ? Null(kBool) : B(v == 2); };
  auto show = [](int v) { return std::string(v == 0 ? "NULL" : (v == 2 ? "t" : "f")); };
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      int want_and = (a == 1 || b == 1) ? 1 : (a == 0 || b == 0 ? 0 : 2);
      int want_or = (a == 2 || b == 2) ? 2 : (a == 0 || b == 0 ? 0 : 1);
      EXPECT_EQ(Eval(Make(BoundKind::kAnd, kBool, {lit(a), lit(b)})), show(want_and)) << a << b;
      EXPECT_EQ(Eval(Make(BoundKind::kOr, kBool, {lit(a), lit(b)})), show(want_or)) << a << b;
    }
    EXPECT_EQ(Eval(Make(BoundKind::kNot, kBool, {lit(a)})), show(a == 0 ? 0 : 3 - a));
  }
  // Three operands: any FALSE wins for AND, else any NULL.
  EXPECT_EQ(Eval(Make(BoundKind::kAnd, kBool, {B(true), Null(kBool), B(false)})), "f");
  EXPECT_EQ(Eval(Make(BoundKind::kOr, kBool, {B(false), Null(kBool), B(true)})), "t");
  EXPECT_EQ(Eval(Make(BoundKind::kOr, kBool, {B(false), Null(kBool), B(false)})), "NULL");
}

TEST(ExpressionTest, ShortCircuitGuardsErrors) {
  BoundExpr fails = Cmp(Func::kEqual, Bin(Func::kDivide, I(1), I(0), {2, 9}), I(1));
  Check({
      {"false and error", Make(BoundKind::kAnd, kBool, {B(false), fails}), "f"},
      {"null and error", Make(BoundKind::kAnd, kBool, {Null(kBool), fails}),
       "ERROR: 2:9: division by zero"},
      {"true or error", Make(BoundKind::kOr, kBool, {B(true), fails}), "t"},
      {"false or error", Make(BoundKind::kOr, kBool, {B(false), fails}),
       "ERROR: 2:9: division by zero"},
      {"error is null", Make(BoundKind::kIsNull, kBool, {fails}), "ERROR: 2:9: division by zero"},
      {"not error", Make(BoundKind::kNot, kBool, {fails}), "ERROR: 2:9: division by zero"},
  });
}

TEST(ExpressionTest, FirstErrorInEvaluationOrderWins) {
  BoundExpr div = Bin(Func::kDivide, I(1), I(0), {1, 5});
  BoundExpr mod = Bin(Func::kModulo, I(1), I(0), {1, 9});
  Check({
      {"left operand first", Bin(Func::kAdd, div, mod, {1, 7}), "ERROR: 1:5: division by zero"},
      {"right operand first", Bin(Func::kAdd, mod, div, {1, 7}), "ERROR: 1:9: division by zero"},
      {"argument before the call", Bin(Func::kAdd, div, I(kMax), {1, 7}),
       "ERROR: 1:5: division by zero"},
      {"in list order", In(I(1), {mod, div}), "ERROR: 1:9: division by zero"},
      {"cast of a failed value", Cast(div, kText, {1, 2}), "ERROR: 1:5: division by zero"},
  });
}

TEST(ExpressionTest, IsNull) {
  BoundExpr is_not_null = Make(BoundKind::kIsNull, kBool, {I(1)});
  is_not_null.negated = true;
  Check({
      {"null is null", Make(BoundKind::kIsNull, kBool, {Null(kText)}), "t"},
      {"1 is null", Make(BoundKind::kIsNull, kBool, {I(1)}), "f"},
      {"1 is not null", is_not_null, "t"},
  });
}

TEST(ExpressionTest, InWithNulls) {
  Check({
      {"1 in (1, null)", In(I(1), {I(1), Null(kBigint)}), "t"},
      {"2 in (1, null)", In(I(2), {I(1), Null(kBigint)}), "NULL"},
      {"2 in (1, 3)", In(I(2), {I(1), I(3)}), "f"},
      {"null in (1)", In(Null(kBigint), {I(1)}), "NULL"},
      {"1 not in (1, null)", In(I(1), {I(1), Null(kBigint)}, true), "f"},
      {"2 not in (1, null)", In(I(2), {I(1), Null(kBigint)}, true), "NULL"},
      {"2 not in (1, 3)", In(I(2), {I(1), I(3)}, true), "t"},
      {"numeric scales", In(N("1.5", 2, 1), {N("1.50", 3, 2)}), "t"},
      {"text", In(S("b"), {S("a"), S("b")}), "t"},
      {"items are all evaluated", In(I(1), {I(1), Bin(Func::kDivide, I(1), I(0))}),
       "ERROR: 1:1: division by zero"},
  });
}

TEST(ExpressionTest, CaseAndCoalesce) {
  auto case_of = [](std::vector<BoundExpr> children, bool has_else, Type t) {
    BoundExpr e = Make(BoundKind::kCase, t, std::move(children));
    e.has_else = has_else;
    return e;
  };
  BoundExpr zero_div = Bin(Func::kDivide, I(10), I(0), {5, 5});
  Check({
      {"first true", case_of({B(false), I(1), B(true), I(2), I(3)}, true, kBigint), "2"},
      {"null is not true", case_of({Null(kBool), I(1), I(3)}, true, kBigint), "3"},
      {"no else", case_of({B(false), I(1)}, false, kBigint), "NULL"},
      {"guarded division", case_of({B(true), I(0), zero_div}, true, kBigint), "0"},
      {"chosen division", case_of({B(false), I(0), zero_div}, true, kBigint),
       "ERROR: 5:5: division by zero"},
      {"numeric branches rescaled",
       case_of({B(false), N("1.5", 2, 1), N("2.25", 3, 2)}, true, Type::Numeric(4, 1)), "2.3"},
      {"coalesce", Make(BoundKind::kCoalesce, kBigint, {Null(kBigint), I(2), zero_div}), "2"},
      {"coalesce all null", Make(BoundKind::kCoalesce, kBigint, {Null(kBigint), Null(kBigint)}),
       "NULL"},
      {"coalesce reaches error", Make(BoundKind::kCoalesce, kBigint, {Null(kBigint), zero_div}),
       "ERROR: 5:5: division by zero"},
      {"coalesce numeric", Make(BoundKind::kCoalesce, Type::Numeric(5, 2), {N("1.5", 2, 1)}),
       "1.50"},
  });
}

TEST(ExpressionTest, NullIfGreatestLeast) {
  Check({
      {"nullif equal", Call(Func::kNullIf, kBigint, {I(1), I(1)}), "NULL"},
      {"nullif different", Call(Func::kNullIf, kBigint, {I(1), I(2)}), "1"},
      {"nullif null first", Call(Func::kNullIf, kBigint, {Null(kBigint), I(1)}), "NULL"},
      {"nullif null second", Call(Func::kNullIf, kBigint, {I(1), Null(kBigint)}), "1"},
      {"nullif numeric scales",
       Call(Func::kNullIf, Type::Numeric(3, 2), {N("1.50", 3, 2), N("1.5", 2, 1)}), "NULL"},
      {"greatest", Call(Func::kGreatest, kBigint, {I(1), Null(kBigint), I(3)}), "3"},
      {"least", Call(Func::kLeast, kBigint, {I(1), Null(kBigint), I(3)}), "1"},
      {"greatest all null", Call(Func::kGreatest, kBigint, {Null(kBigint), Null(kBigint)}), "NULL"},
      {"least text", Call(Func::kLeast, kText, {S("b"), S("B"), S("é")}), "B"},
      {"greatest numeric",
       Call(Func::kGreatest, Type::Numeric(5, 2), {N("1.5", 2, 1), N("1.25", 3, 2)}), "1.50"},
      {"greatest nan", Call(Func::kGreatest, kDouble, {D(1), D(std::nan(""))}), "NaN"},
  });
}

// --- Text

TEST(ExpressionTest, TextFunctions) {
  Check({
      {"|| ", Call(Func::kConcat, kText, {S("ab"), S("é")}), "abé"},
      {"|| null", Call(Func::kConcat, kText, {S("ab"), Null(kText)}), "NULL"},
      {"concat skips null", Call(Func::kConcatFunction, kText, {S("a"), Null(kText), S("b")}),
       "ab"},
      {"concat all null", Call(Func::kConcatFunction, kText, {Null(kText)}), ""},
      {"lower ascii only", Text1(Func::kLower, S("ÀBC")), "Àbc"},
      {"upper ascii only", Text1(Func::kUpper, S("straße")), "STRAßE"},
      {"btrim spaces", Text1(Func::kBtrim, S("  x y  ")), "x y"},
      {"btrim only spaces", Text1(Func::kBtrim, S("\tx ")), "\tx"},
      {"ltrim", Text1(Func::kLtrim, S("  x  ")), "x  "},
      {"rtrim", Text1(Func::kRtrim, S("  x  ")), "  x"},
      {"btrim chars", Call(Func::kBtrim, kText, {S("xyaxy"), S("yx")}), "a"},
      {"btrim multibyte", Call(Func::kBtrim, kText, {S("éèaé"), S("éè")}), "a"},
      {"btrim multibyte keeps others", Call(Func::kRtrim, kText, {S("aéè"), S("è")}), "aé"},
      {"btrim empty set", Call(Func::kBtrim, kText, {S(" a "), S("")}), " a "},
      {"btrim everything", Call(Func::kBtrim, kText, {S("aaa"), S("a")}), ""},
      {"length code points", Call(Func::kLength, kBigint, {S("héllo")}), "5"},
      {"length empty", Call(Func::kLength, kBigint, {S("")}), "0"},
      {"length null", Call(Func::kLength, kBigint, {Null(kText)}), "NULL"},
  });
}

TEST(ExpressionTest, Substring) {
  auto sub = [](const char* s, int64_t start) {
    return Call(Func::kSubstring, kText, {S(s), I(start)});
  };
  auto sub3 = [](const char* s, int64_t start, int64_t count) {
    return Call(Func::kSubstring, kText, {S(s), I(start), I(count)});
  };
  Check({
      {"from 2", sub("héllo", 2), "éllo"},
      {"from 2 count 2", sub3("héllo", 2, 2), "él"},
      {"start 0", sub3("hello", 0, 2), "h"},
      {"start negative", sub3("hello", -5, 10), "hell"},
      {"ends before 1", sub3("hello", -5, 3), ""},
      {"start past end", sub("hello", 10), ""},
      {"count 0", sub3("hello", 2, 0), ""},
      {"count overflows", sub3("hello", 3, kMax), "llo"},
      {"huge start", sub3("hello", kMax, 5), ""},
      {"min start", sub3("hello", kMin, kMax), ""},
      {"negative count", sub3("hello", 1, -1), "ERROR: 1:1: negative substring length not allowed"},
  });
}

TEST(ExpressionTest, LikeEdgeCases) {
  auto like = [](const char* t, const char* p) {
    return Call(Func::kLike, kBool, {S(t), S(p)}, {7, 3});
  };
  auto ilike = [](const char* t, const char* p) { return Call(Func::kILike, kBool, {S(t), S(p)}); };
  const std::string bad = "ERROR: 7:3: LIKE pattern must not end with escape character";
  Check({
      {"exact", like("abc", "abc"), "t"},
      {"whole string", like("abc", "ab"), "f"},
      {"percent", like("abc", "a%"), "t"},
      {"percent empty", like("a", "a%"), "t"},
      {"underscores", like("abc", "_b_"), "t"},
      {"too few", like("abc", "a_"), "f"},
      {"underscore multibyte", like("é", "_"), "t"},
      {"two characters", like("éa", "__"), "t"},
      {"not three", like("éa", "___"), "f"},
      {"percent then multibyte", like("xéy", "%é_"), "t"},
      {"escaped percent", like("a%c", "a\\%c"), "t"},
      {"escaped percent literal", like("abc", "a\\%c"), "f"},
      {"escaped underscore", like("a_c", "a\\_c"), "t"},
      {"escaped underscore literal", like("abc", "a\\_c"), "f"},
      {"escaped backslash", like("a\\c", "a\\\\c"), "t"},
      {"escaped letter", like("abc", "\\a\\b\\c"), "t"},
      {"escaped multibyte", like("é", "\\é"), "t"},
      {"empty percent", like("", "%"), "t"},
      {"empty underscore", like("", "_"), "f"},
      {"many percents", like("abc", "%%%"), "t"},
      {"backtracking", like("abcabc", "%abc"), "t"},
      {"repeats", like("aaa", "%a%a%a%"), "t"},
      {"too few repeats", like("aa", "%a%a%a%"), "f"},
      {"percent underscore", like("ab", "%__"), "t"},
      {"percent underscore short", like("a", "%__"), "f"},
      {"case sensitive", like("AbC", "abc"), "f"},
      {"null", Call(Func::kLike, kBool, {Null(kText), S("a")}), "NULL"},
      // PostgreSQL reports a trailing escape only when matching reaches it.
      {"trailing escape not reached", like("abc", "x\\"), "f"},
      {"trailing escape reached", like("xbc", "x\\"), bad},
      {"percent escape", like("a", "%\\"), bad},
      {"percent escape empty text", like("", "%\\"), "f"},
      {"ilike", ilike("ABC", "a%c"), "t"},
      {"ilike pattern case", ilike("abc", "A_C"), "t"},
      {"ilike ascii only", ilike("ÉA", "éa"), "f"},
  });
}

TEST(ExpressionTest, RegexpReplace) {
  auto re = [](const char* t, const char* p, const char* r) {
    return Call(Func::kRegexpReplace, kText, {S(t), S(p), S(r)}, {9, 1});
  };
  auto re4 = [](const char* t, const char* p, const char* r, const char* f) {
    return Call(Func::kRegexpReplace, kText, {S(t), S(p), S(r), S(f)}, {9, 1});
  };
  Check({
      {"first only", re("hello", "l", "L"), "heLlo"},
      {"global", re4("hello", "l", "L", "g"), "heLLo"},
      {"case insensitive", re4("Hello", "h", "j", "i"), "jello"},
      {"case sensitive flag", re4("Hello", "h", "j", "c"), "Hello"},
      {"group", re("abc", "(b)", "[\\1]"), "a[b]c"},
      {"swap groups", re4("ab ab", "(a)(b)", "\\2\\1", "g"), "ba ba"},
      {"whole match", re("abc", "b", "<\\&>"), "a<b>c"},
      {"escaped backslash", re("abc", "b", "\\\\"), "a\\c"},
      {"missing group is empty", re("abc", "b", "\\9"), "ac"},
      {"unmatched group is empty", re("ac", "a(b)?", "[\\1]"), "[]c"},
      {"other escape kept", re("abc", "b", "\\x"), "a\\xc"},
      {"trailing backslash kept", re("abc", "b", "x\\"), "ax\\c"},
      {"empty matches", re4("abc", "x*", "-", "g"), "-a-b-c-"},
      {"empty and non-empty", re4("abc", "b*", "-", "g"), "-a--c-"},
      {"anchored once", re4("aaa", "^a", "b", "g"), "baa"},
      {"utf-8", re("éa", ".", "x"), "xa"},
      {"dot matches newline", re("a\nb", "a.b", "x"), "x"},
      {"no match", re("abc", "z", "x"), "abc"},
      {"null flags", Call(Func::kRegexpReplace, kText, {S("a"), S("a"), S("b"), Null(kText)}),
       "NULL"},
  });
  std::string bad = Eval(re("abc", "(", "x"));
  EXPECT_EQ(bad.rfind("ERROR: 9:1: invalid regular expression: ", 0), 0u) << bad;
  EXPECT_EQ(Eval(re4("abc", "b", "x", "z")),
            "ERROR: 9:1: invalid regular expression option: \"z\" (supported: g, i, c)");
}

// --- Time

TEST(ExpressionTest, DateTruncAndExtract) {
  auto trunc = [](const char* unit, BoundExpr v) {
    return Call(Func::kDateTrunc, Type::Timestamp(), {S(unit), std::move(v)}, {2, 8});
  };
  auto extract = [](const char* field, BoundExpr v, int scale) {
    return Call(Func::kExtract, Type::Numeric(20, scale), {S(field), std::move(v)}, {2, 8});
  };
  Check({
      {"hour", trunc("hour", Ts("2026-11-22 14:35:12.5")), "2026-11-22 14:00:00"},
      {"week", trunc("week", Ts("2026-11-22 14:35:12")), "2026-11-16 00:00:00"},
      {"date month", trunc("month", Dt("2026-11-22")), "2026-11-01 00:00:00"},
      {"before 1970", trunc("day", Ts("1969-12-31 23:59:59")), "1969-12-31 00:00:00"},
      {"null", trunc("day", Null(Type::Timestamp())), "NULL"},
      {"second", extract("second", Ts("2026-11-22 14:35:12.5"), 6), "12.500000"},
      {"epoch", extract("epoch", Ts("1970-01-02 00:00:00"), 6), "86400.000000"},
      {"year", extract("year", Dt("2026-11-22"), 0), "2026"},
      {"dow", extract("dow", Ts("2026-11-22 00:00:00"), 0), "0"},
      {"scale of the result type", extract("second", Ts("2026-11-22 14:35:12.5"), 0), "13"},
      {"date epoch", extract("epoch", Dt("1970-01-02"), 0), "86400"},
  });
  std::string unit = Eval(trunc("fortnight", Ts("2026-11-22 14:35:12")));
  EXPECT_EQ(unit.rfind("ERROR: 2:8: unknown date_trunc unit \"fortnight\"", 0), 0u) << unit;
  std::string field = Eval(extract("hour", Dt("2026-11-22"), 0));
  EXPECT_EQ(field.rfind("ERROR: 2:8: extract field \"hour\"", 0), 0u) << field;
}

// --- Casts: every pair PostgreSQL allows among strata's types

TEST(ExpressionTest, CastsFromText) {
  Type n52 = Type::Numeric(5, 2);
  auto cast = [](const char* s, Type t) { return Cast(S(s), t, {1, 10}); };
  Check({
      {"bigint", cast(" 42 ", kBigint), "42"},
      {"bigint sign", cast("+7", kBigint), "7"},
      {"bigint min", cast("-9223372036854775808", kBigint), "-9223372036854775808"},
      {"bigint range", cast("9223372036854775808", kBigint),
       "ERROR: 1:10: value \"9223372036854775808\" is out of range for type bigint"},
      {"bigint decimal", cast("4.5", kBigint),
       "ERROR: 1:10: invalid input syntax for type bigint: \"4.5\""},
      {"bigint empty", cast("", kBigint),
       "ERROR: 1:10: invalid input syntax for type bigint: \"\""},
      {"bigint inner space", cast("1 2", kBigint),
       "ERROR: 1:10: invalid input syntax for type bigint: \"1 2\""},
      {"numeric rounds", cast("12.345", n52), "12.35"},
      {"numeric range", cast("999.995", n52),
       "ERROR: 1:10: numeric value out of range for numeric(5,2): 999.995"},
      {"numeric exponent", cast("1.5e2", n52), "150.00"},
      {"double", cast("1.5", kDouble), "1.5"},
      {"double infinity", cast(" -inf ", kDouble), "-Infinity"},
      {"double nan", cast("NaN", kDouble), "NaN"},
      {"double denormal", cast("5e-324", kDouble), "5e-324"},
      {"double too big", cast("1e400", kDouble),
       "ERROR: 1:10: \"1e400\" is out of range for type double precision"},
      {"double too small", cast("1e-400", kDouble),
       "ERROR: 1:10: \"1e-400\" is out of range for type double precision"},
      {"double syntax", cast("1.5x", kDouble),
       "ERROR: 1:10: invalid input syntax for type double precision: \"1.5x\""},
      {"boolean true", cast("true", kBool), "t"},
      {"boolean prefix", cast("TR", kBool), "t"},
      {"boolean yes", cast(" yes ", kBool), "t"},
      {"boolean on", cast("on", kBool), "t"},
      {"boolean 1", cast("1", kBool), "t"},
      {"boolean off", cast("OFF", kBool), "f"},
      {"boolean of", cast("of", kBool), "f"},
      {"boolean n", cast("n", kBool), "f"},
      {"boolean o", cast("o", kBool), "ERROR: 1:10: invalid input syntax for type boolean: \"o\""},
      {"boolean too long", cast("truex", kBool),
       "ERROR: 1:10: invalid input syntax for type boolean: \"truex\""},
      {"timestamp", cast("2026-11-22 10:00:00+02", Type::Timestamp()), "2026-11-22 08:00:00"},
      {"date", cast("2026-11-22", Type::Date()), "2026-11-22"},
      {"text", cast("x", kText), "x"},
  });
  std::string ts = Eval(cast("yesterday", Type::Timestamp()));
  EXPECT_EQ(ts.rfind("ERROR: 1:10: invalid", 0), 0u) << ts;
  std::string date = Eval(cast("2026-02-30", Type::Date()));
  EXPECT_EQ(date.rfind("ERROR: 1:10: ", 0), 0u) << date;
}

TEST(ExpressionTest, CastsBetweenNumbers) {
  Check({
      {"bigint to numeric", Cast(I(123), Type::Numeric(5, 2)), "123.00"},
      {"bigint to numeric range", Cast(I(1000), Type::Numeric(5, 2)),
       "ERROR: 1:1: numeric value out of range for numeric(5,2): 1000"},
      {"bigint to double", Cast(I((1LL << 53) + 1), kDouble), "9007199254740992"},
      {"bigint to boolean", Cast(I(5), kBool), "t"},
      {"zero to boolean", Cast(I(0), kBool), "f"},
      {"boolean to bigint", Cast(B(true), kBigint), "1"},
      {"numeric to bigint half up", Cast(N("2.5", 2, 1), kBigint), "3"},
      {"numeric to bigint half down", Cast(N("-2.5", 2, 1), kBigint), "-3"},
      {"numeric to bigint", Cast(N("2.4", 2, 1), kBigint), "2"},
      {"numeric to bigint range", Cast(N("9223372036854775807.5", 20, 1), kBigint),
       "ERROR: 1:1: bigint out of range"},
      {"numeric to double", Cast(N("0.1", 2, 1), kDouble), "0.1"},
      {"numeric rescale", Cast(N("1.005", 4, 3), Type::Numeric(3, 2)), "1.01"},
      {"numeric widen", Cast(N("1.5", 2, 1), Type::Numeric(10, 4)), "1.5000"},
      {"numeric precision", Cast(N("999.995", 6, 3), Type::Numeric(5, 2)),
       "ERROR: 1:1: numeric value out of range for numeric(5,2): 1000.00"},
      {"double to bigint half even", Cast(D(2.5), kBigint), "2"},
      {"double to bigint 3.5", Cast(D(3.5), kBigint), "4"},
      {"double to bigint -2.5", Cast(D(-2.5), kBigint), "-2"},
      {"double to bigint range", Cast(D(1e19), kBigint), "ERROR: 1:1: bigint out of range"},
      {"double to bigint nan", Cast(D(std::nan("")), kBigint), "ERROR: 1:1: bigint out of range"},
      {"double to numeric", Cast(D(2.675), Type::Numeric(10, 2)), "2.68"},
      {"double to numeric sum", Cast(D(0.1 + 0.2), Type::Numeric(10, 2)), "0.30"},
      {"double to numeric nan", Cast(D(std::nan("")), Type::Numeric(10, 2)),
       "ERROR: 1:1: cannot convert NaN to numeric(10,2)"},
      {"identity", Cast(D(1.5), kDouble), "1.5"},
  });
}

TEST(ExpressionTest, CastsToText) {
  double inf = std::numeric_limits<double>::infinity();
  Check({
      {"true", Cast(B(true), kText), "true"},
      {"false", Cast(B(false), kText), "false"},
      {"bigint", Cast(I(kMin), kText), "-9223372036854775808"},
      {"numeric keeps scale", Cast(N("12.5", 4, 2), kText), "12.50"},
      {"double", Cast(D(1.5), kText), "1.5"},
      {"double 1e15", Cast(D(1e15), kText), "1e+15"},
      {"double 1e14", Cast(D(1e14), kText), "100000000000000"},
      {"double 1e-4", Cast(D(0.0001), kText), "0.0001"},
      {"double 1e-5", Cast(D(0.00001), kText), "1e-05"},
      {"double shortest", Cast(D(0.1 + 0.2), kText), "0.30000000000000004"},
      {"double big", Cast(D(1.5e300), kText), "1.5e+300"},
      {"double integer", Cast(D(123456789012345.0), kText), "123456789012345"},
      {"double 16 digits", Cast(D(1234567890123456.0), kText), "1.234567890123456e+15"},
      {"double negative zero", Cast(D(-0.0), kText), "-0"},
      {"double infinity", Cast(D(-inf), kText), "-Infinity"},
      {"double nan", Cast(D(std::nan("")), kText), "NaN"},
      {"timestamp", Cast(Ts("2026-11-22 10:00:00.25"), kText), "2026-11-22 10:00:00.25"},
      {"date", Cast(Dt("0044-03-15 BC"), kText), "0044-03-15 BC"},
      {"null", Cast(Null(kBigint), kText), "NULL"},
  });
}

TEST(ExpressionTest, CastsBetweenTimes) {
  Check({
      {"timestamp to date", Cast(Ts("1969-12-31 23:00:00"), Type::Date()), "1969-12-31"},
      {"date to timestamp", Cast(Dt("2026-11-22"), Type::Timestamp()), "2026-11-22 00:00:00"},
      {"identity", Cast(Ts("2026-11-22 10:00:00"), Type::Timestamp()), "2026-11-22 10:00:00"},
  });
}

TEST(ExpressionTest, UnsupportedCastsFailBeforeEvaluation) {
  struct Pair {
    BoundExpr from;
    Type to;
  };
  std::vector<Pair> pairs = {
      {B(true), Type::Numeric(10, 2)},
      {B(true), kDouble},
      {B(true), Type::Timestamp()},
      {I(1), Type::Date()},
      {I(1), Type::Timestamp()},
      {D(1), Type::Date()},
      {D(1), kBool},
      {N("1", 1, 0), kBool},
      {Dt("2026-11-22"), kBigint},
      {Ts("2026-11-22 10:00"), Type::Numeric(10, 2)},
  };
  for (const Pair& p : pairs) {
    std::string want =
        "ERROR: 1:1: cannot cast type " + p.from.type.ToString() + " to " + p.to.ToString();
    EXPECT_EQ(Eval(Cast(p.from, p.to)), want);
  }
}

TEST(ExpressionTest, UnsupportedSignaturesFailBeforeEvaluation) {
  std::string upper = Eval(Call(Func::kUpper, kText, {I(1)}, {4, 2}));
  EXPECT_EQ(upper.rfind("ERROR: 4:2: cannot evaluate upper(bigint)", 0), 0u) << upper;
  std::string mixed = Eval(Call(Func::kAdd, kBigint, {I(1), D(1)}, {4, 2}));
  EXPECT_EQ(mixed.rfind("ERROR: 4:2: cannot evaluate bigint + double precision", 0), 0u) << mixed;
  std::string round = Eval(Call(Func::kRound, kDouble, {D(1.5), I(1)}));
  EXPECT_EQ(round.rfind("ERROR: 1:1: cannot evaluate round(double precision, bigint)", 0), 0u)
      << round;
  std::string branches = Eval(Make(BoundKind::kCoalesce, kBigint, {Null(kBigint), S("x")}));
  EXPECT_EQ(branches.rfind("ERROR: 1:1: cannot evaluate", 0), 0u) << branches;
}

// --- Batches: per-row errors, NULLs, predicates, input checks

Batch OneColumn(const std::vector<Value>& values, Type t) {
  Batch b;
  b.columns.emplace_back(t);
  for (const Value& v : values) {
    b.columns[0].AppendValue(v);
    b.weights.push_back(1);
  }
  return b;
}

BoundExpr ColumnRef(int index, Type t) {
  BoundExpr e;
  e.kind = BoundKind::kColumn;
  e.column = index;
  e.type = t;
  return e;
}

TEST(ExpressionTest, ErrorsAreReportedPerRow) {
  Batch in = OneColumn(
      {Value::Int64(5), Value::Int64(0), Value::Null(), Value::Int64(-2), Value::Int64(0)},
      kBigint);
  BoundExpr x = ColumnRef(0, kBigint);
  BoundExpr div = Bin(Func::kDivide, I(10), x, {3, 14});
  Column out(kBigint);
  RowErrors errors;
  ASSERT_TRUE(Evaluate(div, in, &out, &errors).ok());
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out.GetValue(0), Value::Int64(2));
  EXPECT_TRUE(out.is_null(1));
  EXPECT_TRUE(out.is_null(2));
  EXPECT_EQ(out.GetValue(3), Value::Int64(-5));
  EXPECT_TRUE(out.is_null(4));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].row, 1u);
  EXPECT_EQ(errors[0].message, "3:14: division by zero");
  EXPECT_EQ(errors[1].row, 4u);

  // The same division guarded by CASE fails nowhere.
  BoundExpr guarded = Make(BoundKind::kCase, kBigint, {Cmp(Func::kEqual, x, I(0)), I(0), div});
  guarded.has_else = true;
  Column out2(kBigint);
  RowErrors none;
  ASSERT_TRUE(Evaluate(guarded, in, &out2, &none).ok());
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(out2.GetValue(1), Value::Int64(0));
  EXPECT_EQ(out2.GetValue(3), Value::Int64(-5));
  EXPECT_TRUE(out2.is_null(2));
}

TEST(ExpressionTest, LiteralResultsOverManyRows) {
  Batch in =
      OneColumn({Value::Int64(5), Value::Null(), Value::Int64(-2), Value::Int64(0)}, kBigint);
  BoundExpr x = ColumnRef(0, kBigint);
  BoundExpr sign = Make(
      BoundKind::kCase, kText,
      {Cmp(Func::kGreater, x, I(0)), S("pos"), Cmp(Func::kLess, x, I(0)), S("neg"), Null(kText)});
  sign.has_else = true;
  BoundExpr labelled = Make(BoundKind::kCoalesce, kText, {sign, S("none")});
  Column out(kText);
  RowErrors errors;
  ASSERT_TRUE(Evaluate(labelled, in, &out, &errors).ok());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out.GetValue(0), Value::String("pos"));
  EXPECT_EQ(out.GetValue(1), Value::String("none"));
  EXPECT_EQ(out.GetValue(2), Value::String("neg"));
  EXPECT_EQ(out.GetValue(3), Value::String("none"));

  Column in_list(kBool);
  ASSERT_TRUE(Evaluate(In(x, {I(0), I(5)}), in, &in_list, &errors).ok());
  EXPECT_EQ(in_list.GetValue(0), Value::Bool(true));
  EXPECT_TRUE(in_list.is_null(1));
  EXPECT_EQ(in_list.GetValue(2), Value::Bool(false));
  EXPECT_EQ(in_list.GetValue(3), Value::Bool(true));
  EXPECT_TRUE(errors.empty());
}

TEST(ExpressionTest, NaNsComeOutAsOneValue) {
  // Whatever sign or payload a NaN has (text '-nan', inf - inf), the result is the one quiet
  // NaN, so grouping and hashing by bits see one value, as PostgreSQL sees one NaN.
  double inf = std::numeric_limits<double>::infinity();
  Value nan = Value::Double(std::numeric_limits<double>::quiet_NaN());
  Batch in = OneColumn({Value::Int64(1)}, kBigint);
  for (const BoundExpr& e : {Cast(S("-nan"), kDouble), Bin(Func::kSubtract, D(inf), D(inf)),
                             Call(Func::kNegate, kDouble, {D(std::nan(""))})}) {
    Column out(kDouble);
    RowErrors errors;
    ASSERT_TRUE(Evaluate(e, in, &out, &errors).ok());
    EXPECT_EQ(Compare(out.GetValue(0), nan), 0);
  }
}

TEST(ExpressionTest, PredicatePassesOnlyTrue) {
  Batch in =
      OneColumn({Value::Int64(5), Value::Int64(0), Value::Null(), Value::Int64(-2)}, kBigint);
  BoundExpr pred = Cmp(Func::kGreater, Bin(Func::kDivide, I(10), ColumnRef(0, kBigint)), I(0));
  RowErrors errors;
  Result<std::vector<uint8_t>> pass = EvaluatePredicate(pred, in, &errors);
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  EXPECT_EQ(*pass, (std::vector<uint8_t>{1, 0, 0, 0}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].row, 1u);

  RowErrors ignored;
  EXPECT_FALSE(EvaluatePredicate(I(1), in, &ignored).ok());  // not boolean
}

TEST(ExpressionTest, InputMustMatchTheColumnsReferenced) {
  Batch in = OneColumn({Value::Int64(1)}, kBigint);
  Column out(kText);
  RowErrors errors;
  Status wrong_type = Evaluate(Text1(Func::kLower, ColumnRef(0, kText)), in, &out, &errors);
  EXPECT_EQ(wrong_type.code(), StatusCode::kInvalidArgument);
  Status missing = Evaluate(Text1(Func::kLower, ColumnRef(3, kText)), in, &out, &errors);
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument);
  Column wrong_out(kBigint);
  EXPECT_FALSE(Evaluate(S("x"), in, &wrong_out, &errors).ok());
}

TEST(ExpressionTest, CompiledExpressionIsReusable) {
  Result<CompiledExpression> c = CompiledExpression::Compile(
      Call(Func::kRegexpReplace, kText, {ColumnRef(0, kText), S("[0-9]+"), S("#"), S("g")}));
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 3; ++i) {
    Batch in = OneColumn({Value::String("a1b22c" + std::to_string(i)), Value::Null()}, kText);
    Column out(kText);
    RowErrors errors;
    ASSERT_TRUE(c->Evaluate(in, &out, &errors).ok());
    EXPECT_EQ(out.GetValue(0), Value::String("a#b#c#"));
    EXPECT_TRUE(out.is_null(1));
  }
}

TEST(ExpressionTest, EmptyBatch) {
  Batch in = OneColumn({}, kBigint);
  Column out(kBigint);
  RowErrors errors;
  ASSERT_TRUE(Evaluate(Bin(Func::kAdd, ColumnRef(0, kBigint), I(1)), in, &out, &errors).ok());
  EXPECT_EQ(out.size(), 0u);
}

}  // namespace
}  // namespace strata::exec
