// expression_micro: Google Benchmark of exec::CompiledExpression, the vectorized evaluator
// every filter, projection and CHECK runs through.
//
//   build/expression_micro --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Input: one batch of 4096 rows shaped like DESIGN.md's silver.orders (amount numeric(18,2),
// status text, email text with surrounding spaces and capitals, event_ts timestamp, a bigint
// quantity), about 5 % NULLs per column, built once. Each iteration evaluates one compiled
// expression over the whole batch into a fresh column; items are rows.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "common/numeric.h"
#include "exec/expression.h"

namespace strata {
namespace {

using sql::BoundExpr;
using sql::BoundKind;
using sql::Func;

constexpr size_t kRows = 4096;
enum Col { kAmount, kStatus, kEmail, kEventTs, kQuantity };

Batch Orders() {
  Batch b;
  for (Type t :
       {Type::Numeric(18, 2), Type::Text(), Type::Text(), Type::Timestamp(), Type::Bigint()}) {
    b.columns.emplace_back(t);
  }
  std::mt19937_64 rng(42);
  const char* statuses[] = {"completed", "pending", "test", "cancelled"};
  for (size_t r = 0; r < kRows; ++r) {
    auto null = [&] { return rng() % 20 == 0; };
    null() ? b.columns[kAmount].AppendNull()
           : b.columns[kAmount].AppendInt128(static_cast<Int128>(rng() % 1000000) - 1000);
    null() ? b.columns[kStatus].AppendNull() : b.columns[kStatus].AppendString(statuses[rng() % 4]);
    std::string email = "  Customer" + std::to_string(rng() % 100000) + "@Example.COM ";
    null() ? b.columns[kEmail].AppendNull() : b.columns[kEmail].AppendString(email);
    int64_t ts = 1795000000000000 + static_cast<int64_t>(rng() % 86400000000ULL);
    null() ? b.columns[kEventTs].AppendNull() : b.columns[kEventTs].AppendInt64(ts);
    null() ? b.columns[kQuantity].AppendNull()
           : b.columns[kQuantity].AppendInt64(static_cast<int64_t>(rng() % 10));
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
BoundExpr Literal(Value v, Type t) {
  BoundExpr e;
  e.kind = BoundKind::kLiteral;
  e.literal = std::move(v);
  e.type = t;
  return e;
}
BoundExpr Call(Func f, Type t, std::vector<BoundExpr> args) {
  BoundExpr e;
  e.kind = BoundKind::kCall;
  e.func = f;
  e.type = t;
  e.children = std::move(args);
  return e;
}

const Type kAmountType = Type::Numeric(18, 2);
BoundExpr Amount() {
  return ColumnRef(kAmount, kAmountType);
}
BoundExpr Text(const char* s) {
  return Literal(Value::String(s), Type::Text());
}

void Run(benchmark::State& state, const BoundExpr& e) {
  static const Batch batch = Orders();
  Result<exec::CompiledExpression> compiled = exec::CompiledExpression::Compile(e);
  if (!compiled.ok()) {
    state.SkipWithError(compiled.status().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    Column out(compiled->type());
    exec::RowErrors errors;
    Status st = compiled->Evaluate(batch, &out, &errors);
    benchmark::DoNotOptimize(out);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
}

// WHERE status <> 'test' AND amount > 0
void BM_FilterPredicate(benchmark::State& state) {
  BoundExpr status_ok =
      Call(Func::kNotEqual, Type::Boolean(), {ColumnRef(kStatus, Type::Text()), Text("test")});
  BoundExpr positive = Call(Func::kGreater, Type::Boolean(),
                            {Amount(), Literal(Value::Int128(0), Type::Numeric(1, 0))});
  BoundExpr e;
  e.kind = BoundKind::kAnd;
  e.type = Type::Boolean();
  e.children = {status_ok, positive};
  Run(state, e);
}
BENCHMARK(BM_FilterPredicate);

// amount * quantity (numeric(18,2) × numeric(19,0) → numeric(37,2))
void BM_NumericMultiply(benchmark::State& state) {
  BoundExpr qty;
  qty.kind = BoundKind::kCast;
  qty.type = Type::Numeric(19, 0);
  qty.children = {ColumnRef(kQuantity, Type::Bigint())};
  NumericType r = NumericMulResultType(kAmountType.numeric, qty.type.numeric);
  Run(state, Call(Func::kMultiply, Type::Numeric(r.precision, r.scale), {Amount(), qty}));
}
BENCHMARK(BM_NumericMultiply);

// quantity + 1 (bigint, overflow-checked)
void BM_BigintAdd(benchmark::State& state) {
  Run(state,
      Call(Func::kAdd, Type::Bigint(),
           {ColumnRef(kQuantity, Type::Bigint()), Literal(Value::Int64(1), Type::Bigint())}));
}
BENCHMARK(BM_BigintAdd);

// lower(trim(email))
void BM_LowerTrim(benchmark::State& state) {
  BoundExpr trim = Call(Func::kBtrim, Type::Text(), {ColumnRef(kEmail, Type::Text())});
  Run(state, Call(Func::kLower, Type::Text(), {trim}));
}
BENCHMARK(BM_LowerTrim);

// email LIKE '%@example.com' (case-sensitive: mostly false)
void BM_Like(benchmark::State& state) {
  Run(state, Call(Func::kILike, Type::Boolean(),
                  {ColumnRef(kEmail, Type::Text()), Text("%@example.com ")}));
}
BENCHMARK(BM_Like);

// date_trunc('hour', event_ts)
void BM_DateTruncHour(benchmark::State& state) {
  Run(state, Call(Func::kDateTrunc, Type::Timestamp(),
                  {Text("hour"), ColumnRef(kEventTs, Type::Timestamp())}));
}
BENCHMARK(BM_DateTruncHour);

// CAST(amount AS text)
void BM_NumericToText(benchmark::State& state) {
  BoundExpr e;
  e.kind = BoundKind::kCast;
  e.type = Type::Text();
  e.children = {Amount()};
  Run(state, e);
}
BENCHMARK(BM_NumericToText);

// regexp_replace(email, '[0-9]+', '#', 'g')
void BM_RegexpReplace(benchmark::State& state) {
  Run(state, Call(Func::kRegexpReplace, Type::Text(),
                  {ColumnRef(kEmail, Type::Text()), Text("[0-9]+"), Text("#"), Text("g")}));
}
BENCHMARK(BM_RegexpReplace);

}  // namespace
}  // namespace strata

BENCHMARK_MAIN();
