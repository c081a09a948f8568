// Arithmetic: + - * / % and unary minus, abs, round, on bigint, numeric and double, with
// PostgreSQL's rules: bigint overflow fails (never wraps), integer division truncates
// toward zero and % takes the dividend's sign, numeric is exact (common/numeric.h) at the
// scales of numeric.h's result-type rules, and double follows IEEE 754 except that, as in
// PostgreSQL, an infinite result from finite operands ("overflow"), a zero product or
// quotient from non-zero operands ("underflow") and division by zero fail.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/numeric.h"
#include "exec/kernel.h"

namespace strata::exec::internal {
namespace {

using sql::Func;

constexpr std::string_view kBigintRange = "bigint out of range";
constexpr std::string_view kDivisionByZero = "division by zero";
constexpr std::string_view kOverflow = "value out of range: overflow";
constexpr std::string_view kUnderflow = "value out of range: underflow";

// What an operation needs besides its operands.
struct Env {
  Failer f;
  int sa;            // scale of the first operand (numeric)
  int sb;            // scale of the second operand (numeric)
  const Type& type;  // the result type

  // Takes a numeric result, failing the row if it is an error or does not fit type.
  bool Fit(size_t row, const Result<Int128>& r, Int128* out) const {
    return f.Take(row, r, out) &&
           f.Check(row, Numeric::CheckPrecision(*out, type.numeric.precision, type.numeric.scale));
  }
};

// --- bigint

struct AddBigint {
  using T = int64_t;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    return !__builtin_add_overflow(a, b, r) || e.f.Fail(row, kBigintRange);
  }
};
struct SubBigint {
  using T = int64_t;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    return !__builtin_sub_overflow(a, b, r) || e.f.Fail(row, kBigintRange);
  }
};
struct MulBigint {
  using T = int64_t;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    return !__builtin_mul_overflow(a, b, r) || e.f.Fail(row, kBigintRange);
  }
};
struct DivBigint {
  using T = int64_t;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    if (b == 0) return e.f.Fail(row, kDivisionByZero);
    if (b == -1) return !__builtin_sub_overflow(T{0}, a, r) || e.f.Fail(row, kBigintRange);
    *r = a / b;  // C++ truncates toward zero, as PostgreSQL
    return true;
  }
};
struct ModBigint {
  using T = int64_t;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    if (b == 0) return e.f.Fail(row, kDivisionByZero);
    *r = b == -1 ? 0 : a % b;  // INT64_MIN % -1 is 0, not a trap
    return true;
  }
};
struct NegBigint {
  using T = int64_t;
  static bool Apply(T a, T* r, const Env& e, size_t row) {
    return !__builtin_sub_overflow(T{0}, a, r) || e.f.Fail(row, kBigintRange);
  }
};
struct AbsBigint {
  using T = int64_t;
  static bool Apply(T a, T* r, const Env& e, size_t row) {
    if (a >= 0) return *r = a, true;
    return NegBigint::Apply(a, r, e, row);
  }
};

// --- double (PostgreSQL's float8_pl, float8_mi, float8_mul, float8_div)

bool CheckOverflow(double r, bool inputs_infinite, const Env& e, size_t row) {
  return !std::isinf(r) || inputs_infinite || e.f.Fail(row, kOverflow);
}

struct AddDouble {
  using T = double;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    *r = a + b;
    return CheckOverflow(*r, std::isinf(a) || std::isinf(b), e, row);
  }
};
struct SubDouble {
  using T = double;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    *r = a - b;
    return CheckOverflow(*r, std::isinf(a) || std::isinf(b), e, row);
  }
};
struct MulDouble {
  using T = double;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    *r = a * b;
    if (!CheckOverflow(*r, std::isinf(a) || std::isinf(b), e, row)) return false;
    return *r != 0 || a == 0 || b == 0 || e.f.Fail(row, kUnderflow);
  }
};
struct DivDouble {
  using T = double;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    if (b == 0 && !std::isnan(a)) return e.f.Fail(row, kDivisionByZero);
    *r = a / b;
    if (!CheckOverflow(*r, std::isinf(a), e, row)) return false;
    return *r != 0 || a == 0 || std::isinf(b) || e.f.Fail(row, kUnderflow);
  }
};
// PostgreSQL has no float8 %; this is fmod (the dividend's sign), failing like division.
struct ModDouble {
  using T = double;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    if (b == 0 && !std::isnan(a)) return e.f.Fail(row, kDivisionByZero);
    *r = std::fmod(a, b);
    return true;
  }
};
struct NegDouble {
  using T = double;
  static bool Apply(T a, T* r, const Env&, size_t) { return *r = -a, true; }
};
struct AbsDouble {
  using T = double;
  static bool Apply(T a, T* r, const Env&, size_t) { return *r = std::fabs(a), true; }
};
struct RoundDouble {
  using T = double;
  static bool Apply(T a, T* r, const Env&, size_t) { return *r = std::round(a), true; }
};

// --- numeric

struct AddNumeric {
  using T = Int128;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    return e.Fit(row, Numeric::Add(a, e.sa, b, e.sb), r);
  }
};
struct SubNumeric {
  using T = Int128;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    return e.Fit(row, Numeric::Sub(a, e.sa, b, e.sb), r);
  }
};
struct MulNumeric {
  using T = Int128;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    return e.Fit(row, Numeric::Mul(a, e.sa, b, e.sb, e.type.numeric.scale), r);
  }
};
struct DivNumeric {
  using T = Int128;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    if (b == 0) return e.f.Fail(row, kDivisionByZero);
    return e.Fit(row, Numeric::Div(a, e.sa, b, e.sb, e.type.numeric.scale), r);
  }
};
// a - trunc(a / b) * b at scale max(sa, sb): both operands at that scale, then the
// integer remainder (which takes the dividend's sign).
struct ModNumeric {
  using T = Int128;
  static bool Apply(T a, T b, T* r, const Env& e, size_t row) {
    if (b == 0) return e.f.Fail(row, kDivisionByZero);
    int s = std::max(e.sa, e.sb);
    Int128 a2;
    Int128 b2;
    if (!e.f.Take(row, Numeric::Rescale(a, e.sa, s), &a2) ||
        !e.f.Take(row, Numeric::Rescale(b, e.sb, s), &b2)) {
      return false;
    }
    return e.Fit(row, Result<Int128>(a2 % b2), r);
  }
};
struct NegNumeric {
  using T = Int128;
  static bool Apply(T a, T* r, const Env& e, size_t row) {
    return e.Fit(row, Numeric::Neg(a, e.sa), r);
  }
};
struct AbsNumeric {
  using T = Int128;
  static bool Apply(T a, T* r, const Env& e, size_t row) {
    return e.Fit(row, Numeric::Abs(a, e.sa), r);
  }
};

// round(x, digits) at x's scale, then expressed at the result's scale.
bool RoundNumericTo(Int128 a, int64_t digits, Int128* r, const Env& e, size_t row) {
  // Beyond ±100 digits every rounding of a 38-digit value is the same.
  int d = static_cast<int>(std::clamp<int64_t>(digits, -100, 100));
  Int128 rounded;
  if (!e.f.Take(row, Numeric::Round(a, e.sa, d), &rounded)) return false;
  return e.Fit(row, Numeric::Rescale(rounded, e.sa, e.type.numeric.scale), r);
}
struct RoundNumeric {
  using T = Int128;
  static bool Apply(T a, T* r, const Env& e, size_t row) { return RoundNumericTo(a, 0, r, e, row); }
};

Env MakeEnv(const Node& node, EvalContext* ctx) {
  int sb = node.children.size() > 1 ? ScaleOf(node.arg_type(1)) : 0;
  return Env{{node, ctx}, ScaleOf(node.arg_type(0)), sb, node.type};
}

template <typename Op>
void BinaryKernel(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                  Column* out) {
  using T = typename Op::T;
  Env env = MakeEnv(node, ctx);
  MapBinary<T, T, T>(args[0], args[1], mask, ctx->rows(), out,
                     [&](T a, T b, size_t row, T* r) { return Op::Apply(a, b, r, env, row); });
}

template <typename Op>
void UnaryKernel(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                 Column* out) {
  using T = typename Op::T;
  Env env = MakeEnv(node, ctx);
  MapUnary<T, T>(args[0], mask, ctx->rows(), out,
                 [&](T a, size_t row, T* r) { return Op::Apply(a, r, env, row); });
}

void RoundDigitsKernel(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                       Column* out) {
  Env env = MakeEnv(node, ctx);
  MapBinary<Int128, int64_t, Int128>(args[0], args[1], mask, ctx->rows(), out,
                                     [&](Int128 a, int64_t d, size_t row, Int128* r) {
                                       return RoundNumericTo(a, d, r, env, row);
                                     });
}

template <typename Add, typename Sub, typename Mul, typename Div, typename Mod>
Kernel SelectBinary(Func f) {
  switch (f) {
    case Func::kAdd:
      return &BinaryKernel<Add>;
    case Func::kSubtract:
      return &BinaryKernel<Sub>;
    case Func::kMultiply:
      return &BinaryKernel<Mul>;
    case Func::kDivide:
      return &BinaryKernel<Div>;
    case Func::kModulo:
      return &BinaryKernel<Mod>;
    default:
      return nullptr;
  }
}

// The scale numeric.h gives the result of a op b.
int NumericResultScale(Func f, NumericType a, NumericType b) {
  switch (f) {
    case Func::kMultiply:
      return NumericMulResultType(a, b).scale;
    case Func::kDivide:
      return NumericDivResultType(a, b).scale;
    default:
      return NumericAddResultType(a, b).scale;  // + - %: max(sa, sb)
  }
}

Status ExpectNumericScale(const Node& n, int scale) {
  if (n.type.id == TypeId::kNumeric && n.type.numeric.scale == scale) return Status::OK();
  return Unsupported(n, "result type " + n.type.ToString() + " does not match the operands (" +
                            "expected a numeric of scale " + std::to_string(scale) + ")");
}

Status PrepareBinary(Node* n) {
  if (n->children.size() != 2) return Unsupported(*n, "expected two operands");
  const Type& a = n->arg_type(0);
  const Type& b = n->arg_type(1);
  if (a.id != b.id) return Unsupported(*n, "operands must have the same type");
  if (a.id == TypeId::kNumeric) {
    RETURN_IF_ERROR(ExpectNumericScale(*n, NumericResultScale(n->func, a.numeric, b.numeric)));
    n->kernel = SelectBinary<AddNumeric, SubNumeric, MulNumeric, DivNumeric, ModNumeric>(n->func);
    return Status::OK();
  }
  if (a.id != TypeId::kBigint && a.id != TypeId::kDouble) {
    return Unsupported(*n, "expected bigint, numeric or double precision operands");
  }
  if (n->type.id != a.id) return Unsupported(*n, "result type must be " + a.ToString());
  n->kernel = a.id == TypeId::kBigint
                  ? SelectBinary<AddBigint, SubBigint, MulBigint, DivBigint, ModBigint>(n->func)
                  : SelectBinary<AddDouble, SubDouble, MulDouble, DivDouble, ModDouble>(n->func);
  return Status::OK();
}

template <typename BigintOp, typename NumericOp, typename DoubleOp>
Status PrepareUnary(Node* n) {
  if (n->children.size() != 1) return Unsupported(*n, "expected one argument");
  const Type& a = n->arg_type(0);
  switch (a.id) {
    case TypeId::kBigint:
      n->kernel = &UnaryKernel<BigintOp>;
      break;
    case TypeId::kDouble:
      n->kernel = &UnaryKernel<DoubleOp>;
      break;
    case TypeId::kNumeric:
      RETURN_IF_ERROR(ExpectNumericScale(*n, a.numeric.scale));
      n->kernel = &UnaryKernel<NumericOp>;
      return Status::OK();
    default:
      return Unsupported(*n, "expected a bigint, numeric or double precision argument");
  }
  if (n->type.id != a.id) return Unsupported(*n, "result type must be " + a.ToString());
  return Status::OK();
}

Status PrepareRound(Node* n) {
  size_t argc = n->children.size();
  if (argc == 1 && n->arg_type(0).id == TypeId::kDouble && n->type.id == TypeId::kDouble) {
    n->kernel = &UnaryKernel<RoundDouble>;
    return Status::OK();
  }
  bool numeric = argc >= 1 && n->arg_type(0).id == TypeId::kNumeric;
  if (!numeric || argc > 2 || (argc == 2 && n->arg_type(1).id != TypeId::kBigint)) {
    return Unsupported(*n, "expected round(numeric), round(numeric, bigint) or round(double)");
  }
  if (n->type.id != TypeId::kNumeric) return Unsupported(*n, "result type must be numeric");
  n->kernel = argc == 1 ? &UnaryKernel<RoundNumeric> : &RoundDigitsKernel;
  return Status::OK();
}

}  // namespace

Status PrepareArithmetic(Node* n) {
  switch (n->func) {
    case Func::kNegate:
      return PrepareUnary<NegBigint, NegNumeric, NegDouble>(n);
    case Func::kAbs:
      return PrepareUnary<AbsBigint, AbsNumeric, AbsDouble>(n);
    case Func::kRound:
      return PrepareRound(n);
    default:
      return PrepareBinary(n);
  }
}

}  // namespace strata::exec::internal
