// FROM silver.a JOIN silver.b ON ... in a gold view or a silver INSERT: the joined row, the
// key pairs and the residual condition (plan.h, JoinSpec).
#include <algorithm>

#include "sql/bind_select.h"
#include "sql/binder.h"
#include "sql/pipeline_binder.h"

namespace strata::sql::internal {
namespace {

// Which input columns `e` reads: bit 1 the left's (index < first_right), bit 2 the right's.
int SidesRead(const BoundExpr& e, int first_right) {
  int sides = 0;
  if (e.kind == BoundKind::kColumn) sides |= e.column < first_right ? 1 : 2;
  for (const BoundExpr& child : e.children)
    sides |= SidesRead(child, first_right);
  return sides;
}

// `e` reading the right row instead of the joined row.
void ShiftColumns(BoundExpr* e, int by) {
  if (e->kind == BoundKind::kColumn) e->column -= by;
  for (BoundExpr& child : e->children)
    ShiftColumns(&child, by);
}

// Whether evaluating `e` can never fail on a row: columns, literals, comparisons, NULL
// tests, IN lists and boolean logic over them (no casts, arithmetic or text functions).
bool IsComparison(Func f) {
  return f == Func::kEqual || f == Func::kNotEqual || f == Func::kLess || f == Func::kLessEqual ||
         f == Func::kGreater || f == Func::kGreaterEqual;
}

bool CannotFail(const BoundExpr& e) {
  if (e.kind == BoundKind::kCast) return false;
  if (e.kind == BoundKind::kCall && !IsComparison(e.func)) return false;
  return std::all_of(e.children.begin(), e.children.end(), CannotFail);
}

// The conjunction of `parts` (none: nothing).
std::optional<BoundExpr> AndOf(std::vector<BoundExpr> parts, SourceLocation at) {
  if (parts.empty()) return std::nullopt;
  if (parts.size() == 1) return std::move(parts[0]);
  return MakeNode(BoundKind::kAnd, Type::Boolean(), std::move(parts), at);
}

void Conjuncts(BoundExpr e, std::vector<BoundExpr>* out) {
  if (e.kind != BoundKind::kAnd) {
    out->push_back(std::move(e));
    return;
  }
  for (BoundExpr& child : e.children)
    Conjuncts(std::move(child), out);
}

}  // namespace

Status PipelineBinder::BindJoin(const Select& select, GoldView* gold) {
  if (gold->from_gold) {
    return errors_.At(select.from.table.location,
                      gold->name + " joins " + gold->source +
                          ", a gold view: a join reads two silver tables (aggregate after it)");
  }
  if (IsWindowed(select)) {
    return errors_.At(select.group_by[0]->location,
                      "an event-time window over a join is not supported yet: window the "
                      "silver table in its own view, or group the join by a time column "
                      "(e.g. date_trunc('hour', o.event_ts))");
  }
  ASSIGN_OR_RETURN(JoinSpec spec, BindJoinSpec(select, gold->name, gold->source));
  gold->join = std::move(spec);
  return Status::OK();
}

Result<JoinSpec> PipelineBinder::BindJoinSpec(const Select& select, const std::string& reader,
                                              const std::string& left_name) {
  const JoinClause& j = *select.join;
  // A silver reader resolves like its FROM: bronze, or a silver table defined before it.
  const Layer want = tables_.at(reader).layer == Layer::kSilver ? Layer::kBronze : Layer::kSilver;
  ASSIGN_OR_RETURN(const Declared* right, ResolveSource(j.right, want, reader));
  JoinSpec spec;
  spec.type = j.type;
  spec.right = ToString(j.right.table);
  spec.defined_at = j.location;
  if (right->layer != Layer::kSilver) {
    return errors_.At(j.right.table.location,
                      reader + " joins " + spec.right +
                          (right->layer == Layer::kGold
                               ? ", a gold view: a join reads two silver tables (aggregate "
                                 "after it)"
                               : ", a bronze table: a join reads two silver tables (join "
                                 "the silver table that holds its records)"));
  }
  const std::vector<ColumnSchema>& left = *pipeline_.FindNodeColumns(left_name);
  const std::vector<ColumnSchema>& right_columns = *pipeline_.FindNodeColumns(spec.right);
  const bool pad_left = j.type == JoinType::kRight || j.type == JoinType::kFull;
  const bool pad_right = j.type == JoinType::kLeft || j.type == JoinType::kFull;
  for (ColumnSchema c : left) {
    c.not_null = c.not_null && !pad_left;
    spec.columns.push_back(std::move(c));
  }
  for (ColumnSchema c : right_columns) {
    c.not_null = c.not_null && !pad_right;
    spec.columns.push_back(std::move(c));
  }
  spec.left_columns = left.size();
  const int first_right = static_cast<int>(left.size());
  Scope scope = MakeJoinScope(select, left_name, spec.right, &spec.columns, first_right);
  if (scope.qualifier == scope.right_qualifier) {
    return errors_.At(j.right.table.location,
                      "table name " + Quoted(scope.qualifier) +
                          " specified more than once (give one an alias: FROM " + left_name +
                          " a JOIN " + spec.right + " b)");
  }
  spec.left_qualifier = scope.qualifier;
  spec.right_qualifier = scope.right_qualifier;
  ExprBinder binder(errors_, scope, BindOptions{"JOIN conditions", true});
  ASSIGN_OR_RETURN(BoundExpr on, binder.BindCondition(*j.on, "JOIN/ON"));
  std::vector<BoundExpr> conjuncts, residual;
  Conjuncts(std::move(on), &conjuncts);
  for (BoundExpr& c : conjuncts) {
    const bool equality = c.kind == BoundKind::kCall && c.func == Func::kEqual;
    const int a = equality ? SidesRead(c.children[0], first_right) : 0;
    const int b = equality ? SidesRead(c.children[1], first_right) : 0;
    if (!((a == 1 && b == 2) || (a == 2 && b == 1))) {
      residual.push_back(std::move(c));
      continue;
    }
    BoundExpr l = std::move(c.children[a == 1 ? 0 : 1]);
    BoundExpr r = std::move(c.children[a == 1 ? 1 : 0]);
    ShiftColumns(&r, first_right);
    // Equal values must meet as equal bytes: one type on both sides.
    if (!(l.type == r.type)) {
      Type common = l.type;
      if (l.type.id == TypeId::kNumeric && r.type.id == TypeId::kNumeric) {
        common = Type{TypeId::kNumeric, NumericUnion(l.type.numeric, r.type.numeric)};
      }
      ASSIGN_OR_RETURN(l, CastTo(std::move(l), common, errors_));
      ASSIGN_OR_RETURN(r, CastTo(std::move(r), common, errors_));
    }
    spec.left_keys.push_back(std::move(l));
    spec.right_keys.push_back(std::move(r));
  }
  if (spec.left_keys.empty()) {
    return errors_.At(j.on->location,
                      "a join needs an equality between the two tables in ON (e.g. "
                      "o.customer_id = c.id): strata joins by key, and a join without one "
                      "would pair every row with every other");
  }
  spec.residual = AndOf(std::move(residual), j.location);
  spec.sql = std::string(JoinTypeName(j.type)) + " " + spec.right +
             (j.right.alias.empty() ? "" : " AS " + QuoteIdentifier(j.right.alias)) + " ON " +
             ToString(*j.on);
  pipeline_.warnings.push_back(
      errors_
          .At(spec.defined_at, reader + " keeps every row of " + left_name + " and " + spec.right +
                                   " in its join state (no time bound), so the state grows "
                                   "with them; strata status shows its size")
          .message());
  return spec;
}

// A WHERE condition over one side of an inner join holds for a joined row exactly when it
// holds for that side's row, and so it does on the side of an outer join that is not padded
// (its padded rows carry that side's row too). Such conditions that cannot fail move into
// the join, before it: a row failing them is not kept. One that can fail stays, so that no
// row that would never be joined fails.
void PushDownFilters(std::optional<BoundExpr>* where, JoinSpec* spec) {
  if (!*where) return;
  const int first_right = static_cast<int>(spec->left_columns);
  const bool pad_left = spec->type == JoinType::kRight || spec->type == JoinType::kFull;
  const bool pad_right = spec->type == JoinType::kLeft || spec->type == JoinType::kFull;
  const SourceLocation at = (*where)->location;
  std::vector<BoundExpr> conjuncts, rest, left, right;
  Conjuncts(std::move(**where), &conjuncts);
  for (BoundExpr& c : conjuncts) {
    const int sides = SidesRead(c, first_right);
    if (sides == 1 && !pad_left && CannotFail(c)) {
      left.push_back(std::move(c));
    } else if (sides == 2 && !pad_right && CannotFail(c)) {
      ShiftColumns(&c, first_right);
      right.push_back(std::move(c));
    } else {
      rest.push_back(std::move(c));
    }
  }
  *where = AndOf(std::move(rest), at);
  spec->left_filter = AndOf(std::move(left), at);
  spec->right_filter = AndOf(std::move(right), at);
}

}  // namespace strata::sql::internal
