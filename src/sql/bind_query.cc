// BindQuery: a `strata query` SELECT over one table → BoundQuery.
#include <charconv>

#include "sql/bind_select.h"
#include "sql/binder.h"

namespace strata::sql {
namespace {

using internal::ErrorSink;
using internal::ExprBinder;
using internal::Scope;

std::string Quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// The table FROM names: qualified, or found in exactly one layer.
Result<std::pair<std::string, const std::vector<ColumnSchema>*>> FindTable(
    const TableName& table, const TableLookup& lookup, const ErrorSink& errors) {
  std::string name = ToString(table);
  if (!table.schema.empty()) {
    if (const std::vector<ColumnSchema>* columns = lookup(name)) return std::pair{name, columns};
    return errors.At(table.location, "table " + Quoted(name) + " does not exist");
  }
  std::vector<std::pair<std::string, const std::vector<ColumnSchema>*>> found;
  for (const char* layer : {"gold.", "silver.", "bronze."}) {
    std::string qualified = layer + name;
    if (const std::vector<ColumnSchema>* columns = lookup(qualified)) {
      found.emplace_back(qualified, columns);
    }
  }
  if (found.empty()) return errors.At(table.location, "table " + Quoted(name) + " does not exist");
  if (found.size() > 1) {
    return errors.At(table.location, "table name " + Quoted(name) + " is ambiguous: write " +
                                         found[0].first + " or " + found[1].first);
  }
  return found[0];
}

bool HasAggregate(const Select& select) {
  for (const SelectItem& item : select.items) {
    if (internal::FindAggregate(*item.expr)) return true;
  }
  for (const OrderItem& item : select.order_by) {
    if (internal::FindAggregate(*item.expr)) return true;
  }
  return false;
}

// LIMIT / OFFSET: an integer constant (NULL: none).
Result<std::optional<int64_t>> Constant(const Expr& expr, std::string_view clause,
                                        const ErrorSink& errors) {
  if (expr.kind == ExprKind::kLiteral && expr.literal_kind == LiteralKind::kNull) {
    return std::optional<int64_t>();
  }
  if (expr.kind != ExprKind::kLiteral || expr.literal_kind != LiteralKind::kInteger) {
    return errors.At(expr.location, std::string(clause) + " must be an integer constant");
  }
  int64_t n = 0;
  std::from_chars(expr.text.data(), expr.text.data() + expr.text.size(), n);
  if (n < 0) return errors.At(expr.location, std::string(clause) + " must not be negative");
  return std::optional<int64_t>(n);
}

// The output an ORDER BY item sorts by: an ordinal, an output's name, or an expression (an
// output's, or a new hidden one).
Result<int> BindOrderItem(const Expr& e, BoundQuery* query, ExprBinder* binder,
                          const ErrorSink& errors) {
  if (e.kind == ExprKind::kLiteral && e.literal_kind == LiteralKind::kInteger) {
    int64_t n = 0;
    std::from_chars(e.text.data(), e.text.data() + e.text.size(), n);
    if (n < 1 || n > static_cast<int64_t>(query->visible)) {
      return errors.At(e.location, "ORDER BY position " + e.text + " is not in select list");
    }
    return static_cast<int>(n - 1);
  }
  if (e.kind == ExprKind::kColumn && e.qualifier.empty()) {
    int found = -1;
    for (size_t i = 0; i < query->visible; ++i) {
      if (query->outputs[i].name != e.name) continue;
      if (found >= 0 && !internal::SameExpr(query->outputs[found].expr, query->outputs[i].expr)) {
        return errors.At(e.location, "ORDER BY " + Quoted(e.name) + " is ambiguous");
      }
      if (found < 0) found = static_cast<int>(i);
    }
    if (found >= 0) return found;
  }
  ASSIGN_OR_RETURN(BoundExpr bound, binder->Bind(e));
  for (size_t i = 0; i < query->outputs.size(); ++i) {
    if (internal::SameExpr(query->outputs[i].expr, bound)) return static_cast<int>(i);
  }
  Type type = bound.type;
  query->outputs.push_back(OutputColumn{"?order?", std::move(bound), type});
  return static_cast<int>(query->outputs.size()) - 1;
}

}  // namespace

Result<BoundQuery> BindQuery(const Select& select, const TableLookup& lookup,
                             std::string_view source_name) {
  ErrorSink errors(source_name);
  ASSIGN_OR_RETURN(auto table, FindTable(select.from.table, lookup, errors));
  if (select.join) {
    return errors.At(select.join->location,
                     "a query reads one table; a join is not supported in strata query yet "
                     "(declare it in a gold view of the pipeline)");
  }
  if (select.distinct) {
    return errors.At(
        select.items.empty() ? select.from.table.location : select.items[0].expr->location,
        "SELECT DISTINCT is not supported yet (GROUP BY the columns instead)");
  }
  BoundQuery query;
  query.table = table.first;
  if (select.from.as_of) {
    query.as_of_version = select.from.as_of->version;
    query.as_of_timestamp = select.from.as_of->timestamp;
  }
  Scope scope = internal::MakeScope(select.from, table.first, table.second);
  ExprBinder input(errors, scope, internal::BindOptions{"WHERE", false});
  ASSIGN_OR_RETURN(internal::ExpandedItems items,
                   internal::ExpandItems(select.items, input, scope));
  if (select.where) {
    ASSIGN_OR_RETURN(BoundExpr w, input.BindCondition(*select.where, "WHERE"));
    query.where = std::move(w);
  }
  query.aggregated = !select.group_by.empty() || select.having != nullptr || HasAggregate(select);
  internal::Grouping grouping(errors, scope, false);
  if (query.aggregated) {
    RETURN_IF_ERROR(internal::BindGroupBy(select, items.outputs, errors, false, &grouping));
  }
  ExprBinder output(errors, scope, internal::BindOptions{"the select list", false},
                    query.aggregated ? &grouping : nullptr);
  for (const internal::SelectOutput& o : items.outputs) {
    ASSIGN_OR_RETURN(BoundExpr e, output.Bind(*o.expr));
    Type type = e.type;
    query.outputs.push_back(OutputColumn{o.name, std::move(e), type});
  }
  query.visible = query.outputs.size();
  if (select.having) {
    ASSIGN_OR_RETURN(BoundExpr h, output.BindCondition(*select.having, "HAVING"));
    query.having = std::move(h);
  }
  for (const OrderItem& item : select.order_by) {
    ASSIGN_OR_RETURN(int column, BindOrderItem(*item.expr, &query, &output, errors));
    query.order_by.push_back(SortKey{column, item.descending, item.nulls_first});
  }
  if (select.limit) {
    ASSIGN_OR_RETURN(query.limit, Constant(*select.limit, "LIMIT", errors));
  }
  if (select.offset) {
    ASSIGN_OR_RETURN(std::optional<int64_t> offset, Constant(*select.offset, "OFFSET", errors));
    query.offset = offset.value_or(0);
  }
  if (query.aggregated) {
    query.group_keys = std::move(grouping.keys());
    query.aggregates = std::move(grouping.aggregates());
  }
  return query;
}

Result<std::string> ResolveTableName(const TableName& table, const TableLookup& lookup,
                                     std::string_view source_name) {
  ASSIGN_OR_RETURN(auto found, FindTable(table, lookup, ErrorSink(source_name)));
  return found.first;
}

}  // namespace strata::sql
