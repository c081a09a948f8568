#include "sql/bind_select.h"

#include <charconv>

namespace strata::sql::internal {
namespace {

std::string Quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

bool IsInputColumn(const Scope& scope, const std::string& name) {
  for (const ColumnSchema& c : *scope.columns) {
    if (c.name == name) return true;
  }
  return false;
}

// The output a bare GROUP BY name stands for, or null. Errors when several outputs bear it.
Result<const Expr*> OutputByName(const Expr& name, const std::vector<SelectOutput>& outputs,
                                 const ErrorSink& errors) {
  const Expr* found = nullptr;
  for (const SelectOutput& o : outputs) {
    if (o.name != name.name) continue;
    if (found != nullptr) {
      return errors.At(name.location, "GROUP BY " + Quoted(name.name) + " is ambiguous: " +
                                          "several output columns bear that name");
    }
    found = o.expr;
  }
  return found;
}

}  // namespace

Scope MakeScope(const TableRef& from, std::string table, const std::vector<ColumnSchema>* columns) {
  Scope scope;
  scope.table = std::move(table);
  scope.aliased = !from.alias.empty();
  scope.qualifier = scope.aliased ? from.alias : from.table.name;
  scope.columns = columns;
  return scope;
}

Scope MakeJoinScope(const Select& select, std::string left, std::string right,
                    const std::vector<ColumnSchema>* columns, int right_first) {
  Scope scope = MakeScope(select.from, std::move(left), columns);
  const TableRef& r = select.join->right;
  scope.right_table = std::move(right);
  scope.right_aliased = !r.alias.empty();
  scope.right_qualifier = scope.right_aliased ? r.alias : r.table.name;
  scope.right_first = right_first;
  return scope;
}

std::string OutputName(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kColumn:
    case ExprKind::kFunction:
      return expr.name;
    case ExprKind::kCast: {
      std::string inner = OutputName(*expr.children[0]);
      return inner != kUnnamed ? inner : expr.type.name;
    }
    case ExprKind::kLiteral:
      return expr.literal_kind == LiteralKind::kTyped ? expr.type.name : std::string(kUnnamed);
    case ExprKind::kCase:
      return "case";
    default:
      return std::string(kUnnamed);
  }
}

Result<ExpandedItems> ExpandItems(const std::vector<SelectItem>& items, const ExprBinder& binder,
                                  const Scope& scope) {
  ExpandedItems out;
  for (const SelectItem& item : items) {
    const Expr& e = *item.expr;
    if (e.kind != ExprKind::kStar) {
      out.outputs.push_back({&e, item.alias.empty() ? OutputName(e) : item.alias});
      continue;
    }
    RETURN_IF_ERROR(binder.CheckQualifier(e.qualifier, e.location));
    const auto [first, end] = scope.Range(e.qualifier);
    for (int i = first; i < end; ++i) {
      const ColumnSchema& c = (*scope.columns)[i];
      auto column = std::make_unique<Expr>();
      column->kind = ExprKind::kColumn;
      column->name = c.name;
      if (scope.joined()) column->qualifier = scope.QualifierOf(i);
      column->location = e.location;
      out.outputs.push_back({column.get(), c.name});
      out.owned.push_back(std::move(column));
    }
  }
  return out;
}

Status BindGroupBy(const Select& select, const std::vector<SelectOutput>& outputs,
                   const ErrorSink& errors, bool pipeline, Grouping* grouping,
                   const Expr* window_item) {
  const Scope& scope = grouping->input();
  for (const ExprPtr& item : select.group_by) {
    const Expr* target = item.get();
    if (target == window_item) {
      ExprBinder binder(errors, scope, BindOptions{"GROUP BY", pipeline});
      for (const char* name : {"window_start", "window_end"}) {
        Expr column;
        column.kind = ExprKind::kColumn;
        column.name = name;
        column.location = item->location;
        ASSIGN_OR_RETURN(BoundExpr key, binder.Bind(column));
        grouping->AddKey(std::move(key), column);
      }
      continue;
    }
    if (item->kind == ExprKind::kLiteral && item->literal_kind == LiteralKind::kInteger) {
      int64_t n = 0;
      std::from_chars(item->text.data(), item->text.data() + item->text.size(), n);
      if (n < 1 || n > static_cast<int64_t>(outputs.size())) {
        return errors.At(item->location,
                         "GROUP BY position " + item->text + " is not in select list");
      }
      target = outputs[n - 1].expr;
    } else if (item->kind == ExprKind::kColumn && item->qualifier.empty() &&
               !IsInputColumn(scope, item->name)) {
      ASSIGN_OR_RETURN(const Expr* output, OutputByName(*item, outputs, errors));
      if (output != nullptr) target = output;
    }
    if (const Expr* agg = FindAggregate(*target)) {
      return errors.At(agg->location, "aggregate functions are not allowed in GROUP BY");
    }
    ExprBinder binder(errors, scope, BindOptions{"GROUP BY", pipeline});
    ASSIGN_OR_RETURN(BoundExpr key, binder.Bind(*target));
    grouping->AddKey(std::move(key), *target);
  }
  return Status::OK();
}

std::string NormalizedSelect(const Select& select) {
  std::string sql = select.distinct ? "SELECT DISTINCT " : "SELECT ";
  for (size_t i = 0; i < select.items.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += ToString(*select.items[i].expr);
    if (!select.items[i].alias.empty()) sql += " AS " + QuoteIdentifier(select.items[i].alias);
  }
  sql += " FROM " + ToString(select.from.table);
  if (!select.from.alias.empty()) sql += " AS " + QuoteIdentifier(select.from.alias);
  if (select.join) {
    const JoinClause& j = *select.join;
    sql += std::string(" ") + JoinTypeName(j.type) + " " + ToString(j.right.table);
    if (!j.right.alias.empty()) sql += " AS " + QuoteIdentifier(j.right.alias);
    sql += " ON " + ToString(*j.on);
  }
  if (select.where) sql += " WHERE " + ToString(*select.where);
  for (size_t i = 0; i < select.group_by.size(); ++i) {
    sql += (i == 0 ? " GROUP BY " : ", ") + ToString(*select.group_by[i]);
  }
  if (select.having) sql += " HAVING " + ToString(*select.having);
  for (size_t i = 0; i < select.order_by.size(); ++i) {
    const OrderItem& o = select.order_by[i];
    sql += (i == 0 ? " ORDER BY " : ", ") + ToString(*o.expr);
    if (o.descending) sql += " DESC";
    if (o.nulls_first != o.descending) sql += o.nulls_first ? " NULLS FIRST" : " NULLS LAST";
  }
  if (select.limit) sql += " LIMIT " + ToString(*select.limit);
  if (select.offset) sql += " OFFSET " + ToString(*select.offset);
  return sql;
}

}  // namespace strata::sql::internal
