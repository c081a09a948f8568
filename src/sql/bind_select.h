// What gold views and queries share when binding a SELECT (internal to the sql layer): *
// expansion and output names, GROUP BY resolution, and the normalized text of a SELECT.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "sql/ast.h"
#include "sql/expr_binder.h"

namespace strata::sql::internal {

// A SELECT item after * expansion.
struct SelectOutput {
  const Expr* expr = nullptr;
  std::string name;  // the alias, else PostgreSQL's name for it, else "?column?"
};

// The items of a SELECT with every * expanded to the scope's columns (column references
// located at the *, owned here).
struct ExpandedItems {
  std::vector<SelectOutput> outputs;
  std::vector<ExprPtr> owned;
};
Result<ExpandedItems> ExpandItems(const std::vector<SelectItem>& items, const ExprBinder& binder,
                                  const Scope& scope);

// PostgreSQL's output column name for an item without an alias: the column's name, the
// function's ("sum", "date_trunc"), a cast's operand's or type's name, "case"; else
// "?column?".
std::string OutputName(const Expr& expr);
inline constexpr std::string_view kUnnamed = "?column?";

// Resolves every GROUP BY item into `grouping`'s keys: an integer literal is an ordinal of
// the outputs (GROUP BY 1), a bare name that is no input column but an output's name is
// that output (GROUP BY hour), anything else an expression over the input. `window_item`, if
// not null, is an event-time window call among the items: it stands for two keys, the input
// columns window_start and window_end.
Status BindGroupBy(const Select& select, const std::vector<SelectOutput>& outputs,
                   const ErrorSink& errors, bool pipeline, Grouping* grouping,
                   const Expr* window_item = nullptr);

// The SELECT as normalized SQL (ast ToString), for logic hashes and plans.
std::string NormalizedSelect(const Select& select);

// The scope of FROM `from`, which is the table `table` with `columns`.
Scope MakeScope(const TableRef& from, std::string table, const std::vector<ColumnSchema>* columns);
// The scope of FROM left JOIN right (select.join): `columns` are left's then right's, from
// `right_first` on.
Scope MakeJoinScope(const Select& select, std::string left, std::string right,
                    const std::vector<ColumnSchema>* columns, int right_first);

}  // namespace strata::sql::internal
