// Comparisons (= <> < <= > >=), NULLIF, GREATEST and LEAST, with PostgreSQL's orderings
// (kernel.h's Compare3): numeric operands of different scales compare by exact value,
// text bytewise (C collation), doubles with NaN equal to itself and above every number.
#include <type_traits>

#include "exec/kernel.h"

namespace strata::exec::internal {
namespace {

using sql::Func;

struct Eq {
  static bool Test(int c) { return c == 0; }
};
struct Ne {
  static bool Test(int c) { return c != 0; }
};
struct Lt {
  static bool Test(int c) { return c < 0; }
};
struct Le {
  static bool Test(int c) { return c <= 0; }
};
struct Gt {
  static bool Test(int c) { return c > 0; }
};
struct Ge {
  static bool Test(int c) { return c >= 0; }
};

template <typename T>
Comparer<T> ComparerOf(const Node& node) {
  return Comparer<T>{ScaleOf(node.arg_type(0)), ScaleOf(node.arg_type(1))};
}

template <typename T, typename Pred>
void CompareKernel(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                   Column* out) {
  Comparer<T> cmp = ComparerOf<T>(node);
  MapBinary<T, T, uint8_t>(args[0], args[1], mask, ctx->rows(), out,
                           [&](T a, T b, size_t, uint8_t* r) {
                             *r = Pred::Test(cmp(a, b)) ? 1 : 0;
                             return true;
                           });
}

template <typename T>
Kernel SelectCompare(Func f) {
  switch (f) {
    case Func::kEqual:
      return &CompareKernel<T, Eq>;
    case Func::kNotEqual:
      return &CompareKernel<T, Ne>;
    case Func::kLess:
      return &CompareKernel<T, Lt>;
    case Func::kLessEqual:
      return &CompareKernel<T, Le>;
    case Func::kGreater:
      return &CompareKernel<T, Gt>;
    case Func::kGreaterEqual:
      return &CompareKernel<T, Ge>;
    default:
      return nullptr;
  }
}

// NULLIF(a, b): NULL when a = b, else a (b NULL counts as not equal). Not strict.
template <typename T>
void NullIfKernel(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                  Column* out) {
  Comparer<T> cmp = ComparerOf<T>(node);
  View<T> a(args[0]);
  View<T> b(args[1]);
  out->Reserve(ctx->rows());
  for (size_t r = 0; r < ctx->rows(); ++r) {
    if (!mask[r] || a.is_null(r) || (!b.is_null(r) && cmp(a[r], b[r]) == 0)) {
      out->AppendNull();
    } else {
      Put(out, a[r]);
    }
  }
}

// GREATEST / LEAST over arguments of the result type, ignoring NULLs (NULL only when all
// are). Not strict.
template <typename T, bool kGreatest>
void ExtremeKernel(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                   Column* out) {
  int scale = ScaleOf(node.type);
  Comparer<T> cmp{scale, scale};
  std::vector<View<T>> values;
  for (size_t i = 0; i < args.size(); ++i)
    values.emplace_back(args[i]);
  out->Reserve(ctx->rows());
  for (size_t r = 0; r < ctx->rows(); ++r) {
    bool found = false;
    T best{};
    for (size_t i = 0; mask[r] && i < values.size(); ++i) {
      if (values[i].is_null(r)) continue;
      T v = values[i][r];
      if (!found || (kGreatest ? cmp(v, best) > 0 : cmp(v, best) < 0)) best = v;
      found = true;
    }
    if (found) {
      Put(out, best);
    } else {
      out->AppendNull();
    }
  }
}

Status PrepareCompare(Node* n) {
  if (n->children.size() != 2) return Unsupported(*n, "expected two operands");
  if (n->arg_type(0).id != n->arg_type(1).id) {
    return Unsupported(*n, "operands must have the same type");
  }
  if (n->type.id != TypeId::kBoolean) return Unsupported(*n, "result type must be boolean");
  VisitPhysical(n->arg_type(0).physical(),
                [&]<typename T>(std::type_identity<T>) { n->kernel = SelectCompare<T>(n->func); });
  return Status::OK();
}

Status PrepareNullIf(Node* n) {
  if (n->children.size() != 2) return Unsupported(*n, "expected two arguments");
  if (n->arg_type(0).id != n->arg_type(1).id) {
    return Unsupported(*n, "arguments must have the same type");
  }
  if (!(n->type == n->arg_type(0))) {
    return Unsupported(*n, "result type must be the first argument's type");
  }
  n->strict = false;
  VisitPhysical(n->type.physical(),
                [&]<typename T>(std::type_identity<T>) { n->kernel = &NullIfKernel<T>; });
  return Status::OK();
}

Status PrepareExtreme(Node* n) {
  if (n->children.empty()) return Unsupported(*n, "expected at least one argument");
  for (size_t i = 0; i < n->children.size(); ++i)
    RETURN_IF_ERROR(CoerceChild(n, i));
  n->strict = false;
  bool greatest = n->func == Func::kGreatest;
  VisitPhysical(n->type.physical(), [&]<typename T>(std::type_identity<T>) {
    n->kernel = greatest ? &ExtremeKernel<T, true> : &ExtremeKernel<T, false>;
  });
  return Status::OK();
}

}  // namespace

Status PrepareComparison(Node* n) {
  switch (n->func) {
    case Func::kNullIf:
      return PrepareNullIf(n);
    case Func::kGreatest:
    case Func::kLeast:
      return PrepareExtreme(n);
    default:
      return PrepareCompare(n);
  }
}

}  // namespace strata::exec::internal
