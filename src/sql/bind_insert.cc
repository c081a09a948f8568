// INSERT INTO silver.x [(columns)] SELECT ... FROM bronze.y | silver.y: one input of the
// silver table, its filter and projections.
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
  if (insert_at_[index].line == 0) insert_at_[index] = at;
  return index;
}

Status PipelineBinder::BindInsert(const InsertSelect& insert, SourceLocation at) {
  ASSIGN_OR_RETURN(size_t index, ResolveInsertTarget(insert, at));
  std::string name = pipeline_.silver[index].name;
  const Select& select = insert.select;
  std::string where = "an INSERT into a silver table";
  RETURN_IF_ERROR(RejectClauses(select, where, insert.target.location, false));
  ASSIGN_OR_RETURN(const Declared* source, ResolveSource(select.from, Layer::kBronze, name));
  SilverInput input;
  input.from_silver = source->layer == Layer::kSilver;
  input.source = ToString(select.from.table);
  std::optional<JoinSpec> join;
  if (select.join) {
    if (!input.from_silver) {
      return errors_.At(select.from.table.location,
                        name + " joins " + input.source +
                            ", a bronze table: a join reads two silver tables (join the "
                            "silver table that holds its records)");
    }
    ASSIGN_OR_RETURN(join, BindJoinSpec(select, name, input.source));
  }
  const std::vector<ColumnSchema>* columns =
      join ? &join->columns
           : (input.from_silver ? &pipeline_.silver[source->index].columns
                                : &pipeline_.bronze[source->index].columns);
  Scope scope = join ? MakeJoinScope(select, input.source, join->right, columns,
                                     static_cast<int>(join->left_columns))
                     : MakeScope(select.from, input.source, columns);
  std::string clause =
      where + " (silver transforms one record at a time; aggregate in a gold view)";
  ExprBinder binder(errors_, scope, BindOptions{clause, true});
  ExprBinder where_binder(errors_, scope, BindOptions{"WHERE", true});
  ASSIGN_OR_RETURN(ExpandedItems items, ExpandItems(select.items, binder, scope));

  const SilverTable& target = pipeline_.silver[index];
  input.insert_sql = NormalizedSelect(select);
  input.defined_at = at;
  if (select.where) {
    ASSIGN_OR_RETURN(BoundExpr w, where_binder.BindCondition(*select.where, "WHERE"));
    input.where = std::move(w);
  }
  std::vector<int> target_of_item;
  RETURN_IF_ERROR(MapInsertColumns(insert, target, items.outputs.size(), &target_of_item));
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
    input.projections.push_back(std::move(*values[c]));
  }
  if (join) {
    RETURN_IF_ERROR(CheckJoinRowForRow(*join, target, input, select.from.table.location));
  } else if (input.from_silver) {
    RETURN_IF_ERROR(
        CheckRowForRow(pipeline_.silver[source->index], target, input, select.from.table.location));
  }
  if (join) PushDownFilters(&input.where, &*join);
  input.join = std::move(join);
  pipeline_.silver[index].inputs.push_back(std::move(input));
  return Status::OK();
}

// A silver table fed by a silver table keeps its source's rows one for one: each change of
// the source (a new version retracting the previous one, a delete) is a change of this
// table, so no dedupe happens here, and its primary key, if any, must hold the source's key
// columns as they are (then two live source rows never share a key here).
Status PipelineBinder::CheckRowForRow(const SilverTable& source, const SilverTable& target,
                                      const SilverInput& input, SourceLocation at) {
  const std::string reads = target.name + " reads " + source.name;
  if (target.dedupe_order >= 0) {
    return errors_.At(at, reads + ", whose primary key already chose each key's version: " +
                              "dedupe_order applies to a table fed by bronze tables");
  }
  if (target.primary_key.empty()) return Status::OK();
  if (source.primary_key.empty()) {
    return errors_.At(at, reads + ", which has no primary key, so " + target.name +
                              " cannot have one: it keeps its source's rows one for one");
  }
  for (int k : source.primary_key) {
    bool kept = false;
    for (int mine : target.primary_key) {
      const BoundExpr& e = input.projections[mine];
      kept = kept || (e.kind == BoundKind::kColumn && e.column == k);
    }
    if (!kept) {
      return errors_.At(at, reads + ": its primary key must include " + source.name + "'s key " +
                                "column " + Quoted(source.columns[k].name) +
                                " as it is (it keeps its source's rows one for one; deduplicate "
                                "by another key in a table fed by bronze)");
    }
  }
  return Status::OK();
}

// A silver table fed by a join keeps the joined rows one for one. With a primary key, two
// live joined rows must never share it: the key holds one side's key columns as they are,
// and the other side's too unless ON equates that side's whole key with the first side's
// row (then a row of the first side meets at most one row of the other).
Status PipelineBinder::CheckJoinRowForRow(const JoinSpec& join, const SilverTable& target,
                                          const SilverInput& input, SourceLocation at) {
  const SilverTable& left = *pipeline_.FindSilver(input.source);
  const SilverTable& right = *pipeline_.FindSilver(join.right);
  const std::string reads = target.name + " reads " + left.name + " joined with " + right.name;
  if (target.dedupe_order >= 0) {
    return errors_.At(at, reads + ", whose primary keys already chose each key's version: " +
                              "dedupe_order applies to a table fed by bronze tables");
  }
  if (target.primary_key.empty()) return Status::OK();
  for (const SilverTable* side : {&left, &right}) {
    if (side->primary_key.empty()) {
      return errors_.At(at, reads + "; " + side->name + " has no primary key, so " + target.name +
                                " cannot have one: it keeps the joined rows " + "one for one");
    }
  }
  // The first key column of `side` (its columns start at `first` in the joined row) the
  // target's key does not hold as it is; -1 when it holds them all.
  auto missing = [&](const SilverTable& side, size_t first) {
    for (int k : side.primary_key) {
      bool kept = false;
      for (int mine : target.primary_key) {
        const BoundExpr& e = input.projections[mine];
        kept = kept || (e.kind == BoundKind::kColumn && e.column == static_cast<int>(first) + k);
      }
      if (!kept) return k;
    }
    return -1;
  };
  // Whether ON equates every key column of `side` (as it is) with the other side's row.
  auto determined = [](const SilverTable& side, const std::vector<BoundExpr>& keys) {
    for (int k : side.primary_key) {
      bool equated = false;
      for (const BoundExpr& e : keys)
        equated = equated || (e.kind == BoundKind::kColumn && e.column == k);
      if (!equated) return false;
    }
    return true;
  };
  const int left_missing = missing(left, 0);
  const int right_missing = missing(right, join.left_columns);
  if (left_missing < 0 && (right_missing < 0 || determined(right, join.right_keys))) {
    return Status::OK();
  }
  if (right_missing < 0 && determined(left, join.left_keys)) return Status::OK();
  const bool name_left = left_missing >= 0;
  const SilverTable& side = name_left ? left : right;
  const SilverTable& other = name_left ? right : left;
  return errors_.At(
      at, reads + ": its primary key must include " + side.name + "'s key column " +
              Quoted(side.columns[name_left ? left_missing : right_missing].name) +
              " as it is (it keeps the joined rows one for one: its key holds one side's key, "
              "and the other's unless ON equates all of " +
              other.name + "'s key with the first side, as in ON o.customer_id = c.id)");
}

Status PipelineBinder::MapInsertColumns(const InsertSelect& insert, const SilverTable& target,
                                        size_t items, std::vector<int>* target_of_item) {
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
