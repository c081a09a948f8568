#include "exec/expression.h"

#include <algorithm>
#include <type_traits>

#include "exec/kernel.h"

namespace strata::exec {
namespace internal {
namespace {

using sql::BoundKind;
using sql::Func;
using Mask = std::vector<uint8_t>;

std::string Where(const sql::SourceLocation& loc) {
  if (loc.line <= 0) return "";
  return std::to_string(loc.line) + ":" + std::to_string(loc.column) + ": ";
}

// --- Compilation

Status PrepareCall(Node* n) {
  switch (n->func) {
    case Func::kAdd:
    case Func::kSubtract:
    case Func::kMultiply:
    case Func::kDivide:
    case Func::kModulo:
    case Func::kNegate:
    case Func::kRound:
    case Func::kAbs:
      return PrepareArithmetic(n);
    case Func::kEqual:
    case Func::kNotEqual:
    case Func::kLess:
    case Func::kLessEqual:
    case Func::kGreater:
    case Func::kGreaterEqual:
    case Func::kNullIf:
    case Func::kGreatest:
    case Func::kLeast:
      return PrepareComparison(n);
    case Func::kDateTrunc:
    case Func::kExtract:
      return PrepareTime(n);
    default:
      return PrepareText(n);
  }
}

// Children first, first + step, ... before `end` must be boolean.
Status ExpectBoolean(const Node& n, size_t first, size_t step, size_t end) {
  for (size_t i = first; i < end; i += step) {
    if (n.arg_type(i).id != TypeId::kBoolean) {
      return Unsupported(n, "argument " + std::to_string(i + 1) + " must be boolean");
    }
  }
  return Status::OK();
}

Status PrepareNode(Node* n) {
  size_t argc = n->children.size();
  bool boolean = n->type.id == TypeId::kBoolean;
  switch (n->kind) {
    case BoundKind::kColumn:
      if (n->column < 0) return Unsupported(*n, "column reference without an index");
      return Status::OK();
    case BoundKind::kLiteral:
      return Status::OK();
    case BoundKind::kCall:
      return PrepareCall(n);
    case BoundKind::kCast:
      return PrepareCast(n);
    case BoundKind::kAnd:
    case BoundKind::kOr:
    case BoundKind::kNot:
      if (!boolean || argc == 0 || (n->kind == BoundKind::kNot && argc != 1)) {
        return Unsupported(*n, "expected boolean operands and result");
      }
      return ExpectBoolean(*n, 0, 1, argc);
    case BoundKind::kIsNull:
      if (!boolean || argc != 1) return Unsupported(*n, "expected one operand");
      return Status::OK();
    case BoundKind::kIn:
      if (!boolean || argc < 2) return Unsupported(*n, "expected an operand and a list");
      for (size_t i = 1; i < argc; ++i) {
        if (n->arg_type(i).id != n->arg_type(0).id) {
          return Unsupported(*n, "list items must have the operand's type");
        }
      }
      return Status::OK();
    case BoundKind::kCase: {
      size_t pairs = (argc - (n->has_else ? 1 : 0)) / 2;
      if (pairs == 0 || pairs * 2 + (n->has_else ? 1 : 0) != argc) {
        return Unsupported(*n, "expected WHEN/THEN pairs and an optional ELSE");
      }
      RETURN_IF_ERROR(ExpectBoolean(*n, 0, 2, 2 * pairs));
      for (size_t i = 1; i < argc; i += 2)
        RETURN_IF_ERROR(CoerceChild(n, i));
      if (n->has_else) RETURN_IF_ERROR(CoerceChild(n, argc - 1));
      return Status::OK();
    }
    case BoundKind::kCoalesce:
      if (argc == 0) return Unsupported(*n, "expected at least one argument");
      for (size_t i = 0; i < argc; ++i)
        RETURN_IF_ERROR(CoerceChild(n, i));
      return Status::OK();
  }
  return Unsupported(*n, "unknown expression kind");
}

Result<Node> CompileNode(const sql::BoundExpr& e) {
  Node n;
  n.kind = e.kind;
  n.func = e.func;
  n.type = e.type;
  n.column = e.column;
  n.literal = e.literal;
  n.negated = e.negated;
  n.has_else = e.has_else;
  n.where = Where(e.location);
  n.children.reserve(e.children.size());
  for (const sql::BoundExpr& child : e.children) {
    ASSIGN_OR_RETURN(Node c, CompileNode(child));
    n.children.push_back(std::move(c));
  }
  RETURN_IF_ERROR(PrepareNode(&n));
  return n;
}

void CollectInputs(const Node& n, std::vector<std::pair<int, Type>>* inputs) {
  if (n.kind == BoundKind::kColumn) inputs->emplace_back(n.column, n.type);
  for (const Node& c : n.children)
    CollectInputs(c, inputs);
}

// --- Evaluation

// Rows to compute: those asked for (all when `active` is null) that have not failed.
Mask Live(const uint8_t* active, const EvalContext& ctx) {
  Mask m(ctx.rows());
  for (size_t r = 0; r < m.size(); ++r)
    m[r] = (active == nullptr || active[r]) && !ctx.failed(r);
  return m;
}

bool Any(const Mask& m) {
  return std::find(m.begin(), m.end(), 1) != m.end();
}

// out[r] = row r of sources[r] (read as a View), NULL where sources[r] is null.
void Gather(const std::vector<const Column*>& sources, PhysicalType p, Column* out) {
  VisitPhysical(p, [&]<typename T>(std::type_identity<T>) {
    out->Reserve(sources.size());
    for (size_t r = 0; r < sources.size(); ++r) {
      const Column* c = sources[r];
      if (c == nullptr) {
        out->AppendNull();
        continue;
      }
      View<T> v(*c);
      if (v.is_null(r)) {
        out->AppendNull();
      } else {
        Put(out, v[r]);
      }
    }
  });
}

void FillLiteral(const Node& n, size_t rows, Column* out) {
  out->Reserve(rows);
  if (n.literal.is_null()) {
    for (size_t r = 0; r < rows; ++r)
      out->AppendNull();
    return;
  }
  if (rows == 0) return;
  out->AppendValue(n.literal);
  VisitPhysical(n.type.physical(), [&]<typename T>(std::type_identity<T>) {
    T v = Data<T>(*out)[0];  // a string stays where the column's arena put it
    for (size_t r = 1; r < rows; ++r)
      Put(out, v);
  });
}

void EvalNode(const Node& n, const Batch& in, const uint8_t* active, EvalContext* ctx, Column* out);

// Evaluates `child` and returns its column, to be read through View: the input batch's own
// column for a column reference (no copy), one row for a literal, else a new column. New
// columns live in `storage`, which must have room reserved.
const Column* EvalChild(const Node& child, const Batch& in, const uint8_t* active, EvalContext* ctx,
                        std::vector<Column>* storage) {
  if (child.kind == BoundKind::kColumn) return &in.columns[child.column];
  STRATA_ASSERT(storage->size() < storage->capacity());  // pointers must stay valid
  storage->emplace_back(child.type);
  if (child.kind == BoundKind::kLiteral) {
    FillLiteral(child, 1, &storage->back());
  } else {
    EvalNode(child, in, active, ctx, &storage->back());
  }
  return &storage->back();
}

void EvalCall(const Node& n, const Batch& in, const uint8_t* active, EvalContext* ctx,
              Column* out) {
  std::vector<Column> storage;
  storage.reserve(n.children.size());
  std::vector<const Column*> args;
  for (const Node& child : n.children)
    args.push_back(EvalChild(child, in, active, ctx, &storage));
  Mask mask = Live(active, *ctx);
  if (n.strict) {
    for (const Column* a : args) {
      Nulls nulls(*a);
      for (size_t r = 0; r < mask.size(); ++r)
        mask[r] &= !nulls[r];
    }
  }
  n.kernel(n, Args(std::move(args)), mask.data(), ctx, out);
}

void EvalNot(const Node& n, const Batch& in, const uint8_t* active, EvalContext* ctx, Column* out) {
  std::vector<Column> storage;
  storage.reserve(1);
  const Column& arg = *EvalChild(n.children[0], in, active, ctx, &storage);
  Mask mask = Live(active, *ctx);
  Nulls nulls(arg);
  MapUnary<uint8_t, uint8_t>(arg, mask.data(), ctx->rows(), out,
                             [&](uint8_t v, size_t r, uint8_t* result) {
                               *result = v ? 0 : 1;
                               return !nulls[r];
                             });
}

void EvalIsNull(const Node& n, const Batch& in, const uint8_t* active, EvalContext* ctx,
                Column* out) {
  std::vector<Column> storage;
  storage.reserve(1);
  const Column& arg = *EvalChild(n.children[0], in, active, ctx, &storage);
  Mask mask = Live(active, *ctx);
  Nulls nulls(arg);
  out->Reserve(ctx->rows());
  for (size_t r = 0; r < ctx->rows(); ++r) {
    if (mask[r]) {
      out->AppendBool(nulls[r] != n.negated);
    } else {
      out->AppendNull();
    }
  }
}

// AND stops at the first FALSE, OR at the first TRUE; otherwise any NULL makes the result
// NULL (three-valued logic).
void EvalAndOr(const Node& n, const Batch& in, const uint8_t* active, EvalContext* ctx,
               Column* out) {
  const uint8_t decisive = n.kind == BoundKind::kAnd ? 0 : 1;
  const Mask live = Live(active, *ctx);
  Mask pending = live;  // rows whose result is still open
  Mask decided(ctx->rows(), 0);
  Mask saw_null(ctx->rows(), 0);
  std::vector<Column> storage;
  storage.reserve(n.children.size());
  for (const Node& child : n.children) {
    if (!Any(pending)) break;
    View<uint8_t> v(*EvalChild(child, in, pending.data(), ctx, &storage));
    for (size_t r = 0; r < pending.size(); ++r) {
      if (!pending[r]) continue;
      if (ctx->failed(r)) {
        pending[r] = 0;
      } else if (v.is_null(r)) {
        saw_null[r] = 1;
      } else if (v[r] == decisive) {
        decided[r] = 1;
        pending[r] = 0;
      }
    }
  }
  out->Reserve(ctx->rows());
  for (size_t r = 0; r < ctx->rows(); ++r) {
    if (!live[r] || ctx->failed(r) || (!decided[r] && saw_null[r])) {
      out->AppendNull();
    } else {
      out->AppendBool(decided[r] ? decisive : !decisive);
    }
  }
}

// x IN (a, b, ...): TRUE if x equals an item; else NULL if x or an item is NULL; else
// FALSE. Every item is evaluated (PostgreSQL builds the whole list).
void EvalIn(const Node& n, const Batch& in, const uint8_t* active, EvalContext* ctx, Column* out) {
  std::vector<Column> storage;
  storage.reserve(n.children.size());
  std::vector<const Column*> cols;
  for (const Node& child : n.children)
    cols.push_back(EvalChild(child, in, active, ctx, &storage));
  Mask live = Live(active, *ctx);
  out->Reserve(ctx->rows());
  VisitPhysical(n.arg_type(0).physical(), [&]<typename T>(std::type_identity<T>) {
    std::vector<Comparer<T>> cmp;
    std::vector<View<T>> items;
    for (size_t i = 1; i < cols.size(); ++i) {
      cmp.push_back(Comparer<T>{ScaleOf(n.arg_type(0)), ScaleOf(n.arg_type(i))});
      items.emplace_back(*cols[i]);
    }
    View<T> x(*cols[0]);
    for (size_t r = 0; r < ctx->rows(); ++r) {
      if (!live[r] || x.is_null(r)) {
        out->AppendNull();
        continue;
      }
      bool found = false;
      bool saw_null = false;
      for (size_t i = 0; i < items.size() && !found; ++i) {
        if (items[i].is_null(r)) {
          saw_null = true;
        } else {
          found = cmp[i](x[r], items[i][r]) == 0;
        }
      }
      if (!found && saw_null) {
        out->AppendNull();
      } else {
        out->AppendBool(found != n.negated);
      }
    }
  });
}

// WHEN conditions in order on the rows not yet decided; then each THEN (and the ELSE)
// only on the rows that chose it.
void EvalCase(const Node& n, const Batch& in, const uint8_t* active, EvalContext* ctx,
              Column* out) {
  size_t rows = ctx->rows();
  size_t pairs = (n.children.size() - (n.has_else ? 1 : 0)) / 2;
  Mask pending = Live(active, *ctx);
  std::vector<int> chosen(rows, -1);
  std::vector<Column> storage;
  storage.reserve(n.children.size());
  for (size_t i = 0; i < pairs && Any(pending); ++i) {
    View<uint8_t> when(*EvalChild(n.children[2 * i], in, pending.data(), ctx, &storage));
    for (size_t r = 0; r < rows; ++r) {
      if (!pending[r]) continue;
      if (ctx->failed(r)) {
        pending[r] = 0;
      } else if (!when.is_null(r) && when[r]) {
        chosen[r] = static_cast<int>(i);
        pending[r] = 0;
      }
    }
  }
  std::vector<const Column*> sources(rows, nullptr);
  Mask select(rows);
  for (size_t i = 0; i <= pairs; ++i) {
    bool is_else = i == pairs;
    if (is_else && !n.has_else) break;
    for (size_t r = 0; r < rows; ++r) {
      select[r] = (is_else ? pending[r] : chosen[r] == static_cast<int>(i)) && !ctx->failed(r);
    }
    if (!Any(select)) continue;
    const Node& branch = n.children[is_else ? n.children.size() - 1 : 2 * i + 1];
    const Column* result = EvalChild(branch, in, select.data(), ctx, &storage);
    for (size_t r = 0; r < rows; ++r) {
      if (select[r]) sources[r] = result;
    }
  }
  Gather(sources, n.type.physical(), out);
}

// The first non-NULL argument; later arguments are evaluated only where needed.
void EvalCoalesce(const Node& n, const Batch& in, const uint8_t* active, EvalContext* ctx,
                  Column* out) {
  Mask pending = Live(active, *ctx);
  std::vector<const Column*> sources(ctx->rows(), nullptr);
  std::vector<Column> storage;
  storage.reserve(n.children.size());
  for (const Node& child : n.children) {
    if (!Any(pending)) break;
    const Column* c = EvalChild(child, in, pending.data(), ctx, &storage);
    Nulls nulls(*c);
    for (size_t r = 0; r < pending.size(); ++r) {
      if (!pending[r]) continue;
      if (ctx->failed(r)) {
        pending[r] = 0;
      } else if (!nulls[r]) {
        sources[r] = c;
        pending[r] = 0;
      }
    }
  }
  Gather(sources, n.type.physical(), out);
}

void EvalNode(const Node& n, const Batch& in, const uint8_t* active, EvalContext* ctx,
              Column* out) {
  switch (n.kind) {
    case BoundKind::kColumn:
      *out = in.columns[n.column];
      return;
    case BoundKind::kLiteral:
      return FillLiteral(n, ctx->rows(), out);
    case BoundKind::kCall:
    case BoundKind::kCast:
      return EvalCall(n, in, active, ctx, out);
    case BoundKind::kAnd:
    case BoundKind::kOr:
      return EvalAndOr(n, in, active, ctx, out);
    case BoundKind::kNot:
      return EvalNot(n, in, active, ctx, out);
    case BoundKind::kIsNull:
      return EvalIsNull(n, in, active, ctx, out);
    case BoundKind::kIn:
      return EvalIn(n, in, active, ctx, out);
    case BoundKind::kCase:
      return EvalCase(n, in, active, ctx, out);
    case BoundKind::kCoalesce:
      return EvalCoalesce(n, in, active, ctx, out);
  }
}

}  // namespace
}  // namespace internal

CompiledExpression::CompiledExpression(std::unique_ptr<internal::Node> root,
                                       std::vector<std::pair<int, Type>> inputs)
    : root_(std::move(root)), inputs_(std::move(inputs)) {}
CompiledExpression::CompiledExpression(CompiledExpression&&) noexcept = default;
CompiledExpression& CompiledExpression::operator=(CompiledExpression&&) noexcept = default;
CompiledExpression::~CompiledExpression() = default;

Result<CompiledExpression> CompiledExpression::Compile(const sql::BoundExpr& e) {
  ASSIGN_OR_RETURN(internal::Node root, internal::CompileNode(e));
  std::vector<std::pair<int, Type>> inputs;
  internal::CollectInputs(root, &inputs);
  return CompiledExpression(std::make_unique<internal::Node>(std::move(root)), std::move(inputs));
}

const Type& CompiledExpression::type() const {
  return root_->type;
}

Status CompiledExpression::CheckInput(const Batch& in) const {
  for (const auto& [index, type] : inputs_) {
    if (static_cast<size_t>(index) >= in.columns.size()) {
      return Status::InvalidArgument("expression refers to input column " + std::to_string(index) +
                                     ", but the batch has " + std::to_string(in.columns.size()) +
                                     " columns");
    }
    const Column& c = in.columns[index];
    if (!(c.type() == type) || c.size() != in.num_rows()) {
      return Status::InvalidArgument("input column " + std::to_string(index) + " is " +
                                     c.type().ToString() + " with " + std::to_string(c.size()) +
                                     " rows; the expression expects " + type.ToString() + " with " +
                                     std::to_string(in.num_rows()) + " rows");
    }
  }
  return Status::OK();
}

Status CompiledExpression::Evaluate(const Batch& in, Column* out, RowErrors* errors) const {
  RETURN_IF_ERROR(CheckInput(in));
  if (!(out->type() == type()) || out->size() != 0) {
    return Status::InvalidArgument("output column must be empty and of type " + type().ToString());
  }
  size_t rows = in.num_rows();
  internal::EvalContext ctx(rows);
  Column result(type());
  internal::EvalNode(*root_, in, nullptr, &ctx, &result);
  if (ctx.any_failed()) {  // failed rows become NULL, whatever their last value was
    std::vector<const Column*> sources(rows, &result);
    for (size_t r = 0; r < rows; ++r) {
      if (ctx.failed(r)) sources[r] = nullptr;
    }
    Column clean(type());
    internal::Gather(sources, type().physical(), &clean);
    result = std::move(clean);
    std::vector<RowError>& failed = ctx.errors();
    std::sort(failed.begin(), failed.end(),
              [](const RowError& a, const RowError& b) { return a.row < b.row; });
    for (RowError& e : failed)
      errors->push_back(std::move(e));
  }
  *out = std::move(result);
  return Status::OK();
}

Result<std::vector<uint8_t>> CompiledExpression::EvaluatePredicate(const Batch& in,
                                                                   RowErrors* errors) const {
  if (type().id != TypeId::kBoolean) {
    return Status::InvalidArgument("a predicate must be boolean, not " + type().ToString());
  }
  Column c(type());
  RETURN_IF_ERROR(Evaluate(in, &c, errors));
  std::vector<uint8_t> pass(c.size());
  const std::vector<uint8_t>& v = c.bools();
  for (size_t r = 0; r < pass.size(); ++r)
    pass[r] = !c.is_null(r) && v[r];
  return pass;
}

Status Evaluate(const sql::BoundExpr& e, const Batch& in, Column* out, RowErrors* errors) {
  ASSIGN_OR_RETURN(CompiledExpression compiled, CompiledExpression::Compile(e));
  return compiled.Evaluate(in, out, errors);
}

Result<std::vector<uint8_t>> EvaluatePredicate(const sql::BoundExpr& e, const Batch& in,
                                               RowErrors* errors) {
  ASSIGN_OR_RETURN(CompiledExpression compiled, CompiledExpression::Compile(e));
  return compiled.EvaluatePredicate(in, errors);
}

}  // namespace strata::exec
