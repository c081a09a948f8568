// INSERT INTO silver.x [(columns)] SELECT ... FROM bronze.y: the silver table's filter and
// projections.
#include "sql/pipeline_binder.h"

#include <algorithm>

#include "sql/bind_select.h"

namespace strata::sql::internal {

Result<size_t> PipelineBinder::ResolveInsertTarget(const InsertSelect& insert, SourceLocation at) {
  std::string name = ToString(insert.target);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    std::vector<std::string> names;
    for (const auto& [n, d] : tables_) {
      if (d.layer == Layer::kSilver) names.push_back(n);
    }
    std::string message = "table " + Quoted(name) + " does not exist";
    std::string closest = ClosestName(name, names);
    if (!closest.empty()) message += " (did you mean " + closest + "?)";
    return errors_.At(insert.target.location, message);
  }
  if (it->second.layer == Layer::kBronze) {
    return errors_.At(insert.target.location,
                      "cannot INSERT into " + name +
                          ": bronze tables are filled by ingestion (POST /v1/tables/" + name +
                          "/events or a connector), not by INSERT");
  }
  if (it->second.layer == Layer::kGold) {
    return errors_.At(insert.target.location, "cannot INSERT into " + name +
                                                  ": a gold view computes its rows from its "
                                                  "SELECT");
  }
  size_t index = it->second.index;
  if (insert_at_[index].line != 0) {
    return errors_.At(insert.target.location,
                      name + " already has an INSERT (at line " + LineColumn(insert_at_[index]) +
                          "): exactly one INSERT ... SELECT feeds a silver table");
  }
  insert_at_[index] = at;
  return index;
}

Status PipelineBinder::BindInsert(const InsertSelect& insert, SourceLocation at) {
  ASSIGN_OR_RETURN(size_t index, ResolveInsertTarget(insert, at));
  std::string name = pipeline_.silver[index].name;
  const Select& select = insert.select;
  std::string where = "an INSERT into a silver table";
  RETURN_IF_ERROR(RejectClauses(select, where, insert.target.location, false));
  ASSIGN_OR_RETURN(const Declared* source, ResolveSource(select.from, Layer::kBronze, name));
  const BronzeTable& bronze = pipeline_.bronze[source->index];
  Scope scope = MakeScope(select.from, bronze.name, &bronze.columns);
  std::string clause =
      where + " (silver transforms one record at a time; aggregate in a gold view)";
  ExprBinder binder(errors_, scope, BindOptions{clause, true});
  ExprBinder where_binder(errors_, scope, BindOptions{"WHERE", true});
  ASSIGN_OR_RETURN(ExpandedItems items, ExpandItems(select.items, binder, scope));

  SilverTable& target = pipeline_.silver[index];
  target.source = bronze.name;
  target.insert_sql = NormalizedSelect(select);
  if (select.where) {
    ASSIGN_OR_RETURN(BoundExpr w, where_binder.BindCondition(*select.where, "WHERE"));
    target.where = std::move(w);
  }
  std::vector<int> target_of_item;
  RETURN_IF_ERROR(MapInsertColumns(insert, target, &target_of_item));
  std::vector<std::optional<BoundExpr>> values(target.columns.size());
  for (size_t i = 0; i < items.outputs.size(); ++i) {
    const Expr& e = *items.outputs[i].expr;
    ASSIGN_OR_RETURN(Typed value, binder.BindTyped(e));
    const ColumnSchema& column = target.columns[target_of_item[i]];
    ASSIGN_OR_RETURN(values[target_of_item[i]], Assign(std::move(value), column, e.location));
  }
  for (size_t c = 0; c < values.size(); ++c) {
    const ColumnSchema& column = target.columns[c];
    if (!values[c]) {
      if (column.not_null) {
        return errors_.At(insert.target.location, "the INSERT gives no value to column " +
                                                      Quoted(column.name) + " of " + name +
                                                      ", which is NOT NULL");
      }
      values[c] = MakeLiteral(Value::Null(), column.type, insert.target.location);
    }
    target.projections.push_back(std::move(*values[c]));
  }
  return Status::OK();
}

Status PipelineBinder::MapInsertColumns(const InsertSelect& insert, const SilverTable& target,
                                        std::vector<int>* target_of_item) {
  const Select& select = insert.select;
  size_t items = 0;
  for (const SelectItem& item : select.items) {
    if (item.expr->kind == ExprKind::kStar) {
      const BronzeTable* bronze = pipeline_.FindBronze(target.source);
      items += bronze->columns.size();
    } else {
      ++items;
    }
  }
  SourceLocation at = insert.target.location;
  if (insert.columns.empty()) {
    if (items > target.columns.size()) {
      return errors_.At(at, "INSERT has more expressions (" + std::to_string(items) + ") than " +
                                target.name + " has columns (" +
                                std::to_string(target.columns.size()) + ")");
    }
    for (size_t i = 0; i < items; ++i)
      target_of_item->push_back(static_cast<int>(i));
    return Status::OK();
  }
  for (const Identifier& c : insert.columns) {
    int i = FindColumn(target.columns, c.name);
    if (i < 0) {
      return NoSuchColumn("column", c.name, target.name, target.columns, c.location, errors_);
    }
    if (std::find(target_of_item->begin(), target_of_item->end(), i) != target_of_item->end()) {
      return errors_.At(c.location, "column " + Quoted(c.name) + " is named more than once");
    }
    target_of_item->push_back(i);
  }
  if (items != insert.columns.size()) {
    return errors_.At(at, std::string("INSERT has more ") +
                              (items > insert.columns.size() ? "expressions than target columns"
                                                             : "target columns than expressions") +
                              " (" + std::to_string(items) + " expressions, " +
                              std::to_string(insert.columns.size()) + " columns)");
  }
  return Status::OK();
}

Result<BoundExpr> PipelineBinder::Assign(Typed value, const ColumnSchema& column,
                                         SourceLocation at) {
  if (value.unknown) {
    if (value.expr.literal.is_null()) {
      if (column.not_null) {
        return errors_.At(at, "column " + Quoted(column.name) +
                                  " is NOT NULL but the INSERT "
                                  "gives it NULL");
      }
      return MakeLiteral(Value::Null(), column.type, at);
    }
    return ReadLiteral(value.expr.literal.as_string(), WrittenType{column.type}, at, errors_);
  }
  const Type& from = value.expr.type;
  if (!CanCast(from, column.type, CastKind::kAssignment)) {
    return errors_.At(at, "column " + Quoted(column.name) + " is of type " +
                              column.type.ToString() + " but expression is of type " +
                              from.ToString() + " (convert it with CAST(... AS " +
                              column.type.ToString() + "))");
  }
  return CastTo(std::move(value.expr), column.type, errors_);
}

}  // namespace strata::sql::internal
