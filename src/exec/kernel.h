// Internals of the expression evaluator (expression.h), shared by its kernel files: the
// compiled tree (Node), the row state of one evaluation (EvalContext), and the typed loops
// that kernels are built from. Not part of the exec layer's interface.
//
// Contract of every node's evaluation: its output column receives exactly ctx->rows()
// values, but only rows that it was asked to evaluate and that have not failed carry
// meaning; the others are unspecified (usually NULL) and parents never read them. The one
// exception is a literal evaluated as an argument: a one-row column that stands for every
// row (View reads it that way).
//
// A kernel (the implementation of one call or cast for fixed argument types) is chosen by
// a Prepare* function when the expression is compiled, so the type and function switch
// happens once per node, never per row.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/column.h"
#include "common/status.h"
#include "exec/expression.h"
#include "sql/bound_expr.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace strata::exec::internal {

// Which rows have failed during one evaluation, and why. Once a row fails, nothing more
// is computed for it (every mask excludes it) and its final value is NULL.
class EvalContext {
 public:
  explicit EvalContext(size_t rows) : failed_(rows, 0) {}

  size_t rows() const { return failed_.size(); }
  bool failed(size_t row) const { return failed_[row] != 0; }
  bool any_failed() const { return !errors_.empty(); }
  // Records "<where><what>" for `row`; kernels only see rows that have not failed, so the
  // first failure of a row is the one PostgreSQL's evaluation order would report.
  void Fail(size_t row, const std::string& where, std::string_view what);
  std::vector<RowError>& errors() { return errors_; }

 private:
  std::vector<uint8_t> failed_;
  std::vector<RowError> errors_;
};

struct Node;

// The evaluated arguments of a call: views of columns that the caller owns (temporaries,
// or the input batch's columns for plain column references).
class Args {
 public:
  explicit Args(std::vector<const Column*> columns) : columns_(std::move(columns)) {}
  const Column& operator[](size_t i) const { return *columns_[i]; }
  size_t size() const { return columns_.size(); }

 private:
  std::vector<const Column*> columns_;
};

// Computes a call or cast for the rows whose mask byte is 1 and appends exactly
// ctx->rows() values to `out` (NULL where the mask is 0 or the row fails). Arguments are
// read through View: each has ctx->rows() values, or one (a literal) for every row.
using Kernel = void (*)(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                        Column* out);

struct Node {
  sql::BoundKind kind = sql::BoundKind::kLiteral;
  sql::Func func = sql::Func::kAdd;
  Type type;
  int column = -1;
  Value literal;
  bool negated = false;
  bool has_else = false;
  std::string where;  // "3:14: ", or "" when the location is unknown
  std::vector<Node> children;

  // kCall and kCast.
  Kernel kernel = nullptr;
  bool strict = true;  // the kernel's mask excludes rows with a NULL argument
  // Prepared from literal arguments.
  int code = -1;                          // a DateUnit (date_trunc) or DateField (extract)
  std::shared_ptr<const re2::RE2> regex;  // regexp_replace pattern with its flags
  bool regex_global = false;

  const Type& arg_type(size_t i) const { return children[i].type; }
  bool literal_arg(size_t i) const { return children[i].kind == sql::BoundKind::kLiteral; }
};

// "upper(bigint)", "CAST(text AS date)", "a + b" forms for compile errors.
std::string Signature(const Node& node);
// InvalidArgument "<where>cannot evaluate <signature>: <why>".
Status Unsupported(const Node& node, std::string_view why);

// Each validates node (whose children are compiled) and sets its kernel.
Status PrepareArithmetic(Node* node);  // + - * / % unary -, abs, round
Status PrepareComparison(Node* node);  // = <> < <= > >=, nullif, greatest, least
Status PrepareText(Node* node);        // || concat like ilike lower upper trims length ...
Status PrepareTime(Node* node);        // date_trunc, extract
Status PrepareCast(Node* node);

// Makes child i of node have node's type, for results that come from one of several
// arguments (CASE, COALESCE, GREATEST, LEAST): a numeric child of another numeric type is
// wrapped in an implicit cast (rescaled, checked against the precision; failures name
// node's location); any other mismatch is Unsupported.
Status CoerceChild(Node* node, size_t i);

// --- Typed column access: uint8_t (boolean), int64_t (bigint, timestamp), int32_t (date),
// double, Int128 (numeric), std::string_view (text).

template <typename T>
const T* Data(const Column& c);
template <>
inline const uint8_t* Data<uint8_t>(const Column& c) {
  return c.bools().data();
}
template <>
inline const int64_t* Data<int64_t>(const Column& c) {
  return c.int64s().data();
}
template <>
inline const int32_t* Data<int32_t>(const Column& c) {
  return c.int32s().data();
}
template <>
inline const double* Data<double>(const Column& c) {
  return c.doubles().data();
}
template <>
inline const Int128* Data<Int128>(const Column& c) {
  return c.int128s().data();
}
template <>
inline const std::string_view* Data<std::string_view>(const Column& c) {
  return c.strings().data();
}

inline void Put(Column* c, uint8_t v) {
  c->AppendBool(v != 0);
}
inline void Put(Column* c, int64_t v) {
  c->AppendInt64(v);
}
inline void Put(Column* c, int32_t v) {
  c->AppendInt32(v);
}
// Every NaN the evaluator produces is the one quiet NaN, whatever sign or payload the
// hardware (or operand order) gave it: PostgreSQL treats all NaNs as one value, while
// strata's value order and hashes look at bits.
inline void Put(Column* c, double v) {
  c->AppendDouble(std::isnan(v) ? std::numeric_limits<double>::quiet_NaN() : v);
}
inline void Put(Column* c, Int128 v) {
  c->AppendInt128(v);
}
inline void Put(Column* c, std::string_view v) {
  c->AppendString(v);
}

// Row-indexed access to an evaluated argument. A one-row column stands for the same value
// on every row: that is how literal arguments are passed (evaluated once, never copied per
// row). With a one-row batch both readings agree.
template <typename T>
class View {
 public:
  explicit View(const Column& c)
      : data_(Data<T>(c)), valid_(c.validity().data()), step_(c.size() == 1 ? 0 : 1) {}
  T operator[](size_t row) const { return data_[row * step_]; }
  bool is_null(size_t row) const { return valid_[row * step_] == 0; }

 private:
  const T* data_;
  const uint8_t* valid_;
  size_t step_;
};

// The NULLs of an argument of any type, read like View.
class Nulls {
 public:
  explicit Nulls(const Column& c) : valid_(c.validity().data()), step_(c.size() == 1 ? 0 : 1) {}
  bool operator[](size_t row) const { return valid_[row * step_] == 0; }

 private:
  const uint8_t* valid_;
  size_t step_;
};

// Calls f(std::type_identity<T>{}) with the C++ type of physical type p.
template <typename F>
void VisitPhysical(PhysicalType p, F&& f) {
  switch (p) {
    case PhysicalType::kBool:
      return f(std::type_identity<uint8_t>{});
    case PhysicalType::kInt64:
      return f(std::type_identity<int64_t>{});
    case PhysicalType::kInt32:
      return f(std::type_identity<int32_t>{});
    case PhysicalType::kDouble:
      return f(std::type_identity<double>{});
    case PhysicalType::kInt128:
      return f(std::type_identity<Int128>{});
    case PhysicalType::kString:
      return f(std::type_identity<std::string_view>{});
  }
}

// Reports failures of one node's rows.
struct Failer {
  const Node& node;
  EvalContext* ctx;
  // Always false, so kernels can `return f.Fail(row, "...")`.
  bool Fail(size_t row, std::string_view what) const {
    ctx->Fail(row, node.where, what);
    return false;
  }
  // Stores the value of `r` in *out, or fails the row with its message.
  template <typename T, typename U>
  bool Take(size_t row, const Result<T>& r, U* out) const {
    if (!r.ok()) return Fail(row, r.status().message());
    *out = static_cast<U>(*r);
    return true;
  }
  bool Check(size_t row, const Status& s) const { return s.ok() || Fail(row, s.message()); }
};

// out[row] = fn(a[row], row, &result) ? result : NULL for masked rows; NULL elsewhere.
// fn reports its own failures (through a Failer) and returns false for them.
template <typename A, typename R, typename Fn>
void MapUnary(const Column& a, const uint8_t* mask, size_t rows, Column* out, Fn fn) {
  View<A> av(a);
  out->Reserve(rows);
  R result{};
  for (size_t r = 0; r < rows; ++r) {
    if (mask[r] && fn(av[r], r, &result)) {
      Put(out, result);
    } else {
      out->AppendNull();
    }
  }
}

template <typename A, typename B, typename R, typename Fn>
void MapBinary(const Column& a, const Column& b, const uint8_t* mask, size_t rows, Column* out,
               Fn fn) {
  View<A> av(a);
  View<B> bv(b);
  out->Reserve(rows);
  R result{};
  for (size_t r = 0; r < rows; ++r) {
    if (mask[r] && fn(av[r], bv[r], r, &result)) {
      Put(out, result);
    } else {
      out->AppendNull();
    }
  }
}

// --- Ordering as PostgreSQL's btree operators: false < true; doubles with NaN equal to
// itself and above everything (and -0 = 0); text bytewise; numeric by exact value.

inline int Compare3(uint8_t a, uint8_t b) {
  return (a > b) - (a < b);
}
inline int Compare3(int64_t a, int64_t b) {
  return (a > b) - (a < b);
}
inline int Compare3(int32_t a, int32_t b) {
  return (a > b) - (a < b);
}
inline int Compare3(Int128 a, Int128 b) {
  return (a > b) - (a < b);
}
inline int Compare3(double a, double b) {
  if (std::isnan(a)) return std::isnan(b) ? 0 : 1;
  if (std::isnan(b)) return -1;
  return (a > b) - (a < b);
}
inline int Compare3(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return (c > 0) - (c < 0);
}

// A three-way comparison of two values of one physical type; numeric operands may have
// different scales.
template <typename T>
struct Comparer {
  int scale_a = 0;
  int scale_b = 0;
  int operator()(T a, T b) const { return Compare3(a, b); }
};
template <>
struct Comparer<Int128> {
  int scale_a = 0;
  int scale_b = 0;
  int operator()(Int128 a, Int128 b) const {
    return scale_a == scale_b ? Compare3(a, b) : Numeric::Compare(a, scale_a, b, scale_b);
  }
};

// Scale of a numeric type, 0 for every other type.
inline int ScaleOf(const Type& t) {
  return t.id == TypeId::kNumeric ? t.numeric.scale : 0;
}

// --- UTF-8 (text is valid UTF-8; the helpers never read past the end even if it is not).

// Bytes of the character starting with `lead`, as PostgreSQL's pg_utf_mblen.
inline size_t Utf8CharLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xe0) == 0xc0) return 2;
  if ((lead & 0xf0) == 0xe0) return 3;
  if ((lead & 0xf8) == 0xf0) return 4;
  return 1;
}
// The byte length of the character at s[i], clipped to the end of s.
inline size_t CharAt(std::string_view s, size_t i) {
  size_t n = Utf8CharLength(static_cast<unsigned char>(s[i]));
  return n < s.size() - i ? n : s.size() - i;
}

}  // namespace strata::exec::internal
