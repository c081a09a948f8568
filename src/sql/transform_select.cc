// SELECT: one table or a join of two, filters, grouping, ordering and limits; everything
// that reads more tables or nests queries is rejected.
#include <algorithm>
#include <cctype>
#include <string>

#include "sql/transformer.h"

namespace strata::sql::internal {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

}  // namespace

Result<Select> Transformer::TransformSelect(element node, size_t begin) {
  PgNode select;
  if (!AsNode(node, &select) || select.type != "SelectStmt") {
    return Error(FirstOffset(node, begin), "expected a SELECT");
  }
  object s = select.fields;
  std::string_view op = GetString(s, "op");
  if (!op.empty() && op != "SETOP_NONE") {
    element right;
    size_t at = GetField(s, "rarg", &right) ? FirstOffset(right, begin) : begin;
    return Unsupported(at, op == "SETOP_UNION"       ? "UNION"
                           : op == "SETOP_INTERSECT" ? "INTERSECT"
                                                     : "EXCEPT");
  }
  element values;
  if (GetField(s, "valuesLists", &values)) return Unsupported(FirstOffset(values, begin), "VALUES");
  RETURN_IF_ERROR(
      CheckFields(s,
                  {"distinctClause", "targetList", "fromClause", "whereClause", "groupClause",
                   "havingClause", "sortClause", "limitCount", "limitOffset", "limitOption", "op"},
                  begin, "SELECT"));
  Select out;
  for (element item : GetList(s, "distinctClause")) {
    object empty;  // plain DISTINCT is a list holding one empty node
    if (item.get_object().get(empty) || empty.size() != 0) {
      return Unsupported(FirstOffset(item, begin), "DISTINCT ON");
    }
    out.distinct = true;
  }
  RETURN_IF_ERROR(TransformTargets(s, begin, &out));
  RETURN_IF_ERROR(TransformFrom(s, begin, &out));
  element where;
  if (GetField(s, "whereClause", &where)) {
    ASSIGN_OR_RETURN(out.where, TransformExpr(where, begin));
  }
  RETURN_IF_ERROR(TransformGroupBy(s, begin, &out));
  element having;
  if (GetField(s, "havingClause", &having)) {
    ASSIGN_OR_RETURN(out.having, TransformExpr(having, begin));
  }
  RETURN_IF_ERROR(TransformOrderBy(s, begin, &out));
  RETURN_IF_ERROR(TransformLimit(s, begin, &out));
  return out;
}

Status Transformer::TransformGroupBy(object select, size_t begin, Select* out) {
  for (element item : GetList(select, "groupClause")) {
    PgNode group;
    if (AsNode(item, &group) && group.type == "GroupingSet") {
      return Unsupported(Offset(group.fields, begin), "GROUPING SETS / ROLLUP / CUBE");
    }
    ASSIGN_OR_RETURN(ExprPtr expr, TransformExpr(item, begin));
    out->group_by.push_back(std::move(expr));
  }
  return Status::OK();
}

Status Transformer::TransformTargets(object select, size_t begin, Select* out) {
  for (element item : GetList(select, "targetList")) {
    PgNode target;
    if (!AsNode(item, &target) || target.type != "ResTarget") {
      return Error(begin, "unexpected parse tree");
    }
    size_t at = Offset(target.fields, begin);
    RETURN_IF_ERROR(CheckFields(target.fields, {"name", "val", "location"}, at, "a SELECT item"));
    element val;
    PgNode value;
    if (!GetField(target.fields, "val", &val) || !AsNode(val, &value)) {
      return Error(at, "unexpected parse tree");
    }
    SelectItem selected;
    if (value.type == "ColumnRef") {  // the one place a * may appear
      ASSIGN_OR_RETURN(selected.expr,
                       TransformColumnRef(value.fields, Offset(value.fields, at), true));
    } else {
      ASSIGN_OR_RETURN(selected.expr, TransformExpr(val, at));
    }
    selected.alias = GetString(target.fields, "name");
    out->items.push_back(std::move(selected));
  }
  return Status::OK();
}

Status Transformer::TransformFrom(object select, size_t begin, Select* out) {
  std::vector<element> from = GetList(select, "fromClause");
  if (from.empty()) return Error(begin, "a SELECT needs a FROM clause naming one table");
  if (from.size() > 1) {
    return Unsupported(FirstOffset(from[1], begin), "a FROM list of more than one table");
  }
  PgNode item;
  if (!AsNode(from[0], &item)) return Error(begin, "unexpected parse tree");
  if (item.type == "RangeVar") {
    ASSIGN_OR_RETURN(out->from.table, TransformRangeVar(item.fields, begin, &out->from.alias));
    return Status::OK();
  }
  if (item.type == "JoinExpr") return TransformJoin(item.fields, begin, out);
  if (item.type == "RangeSubselect") {
    return Unsupported(FirstOffset(from[0], begin), "a subquery in FROM");
  }
  if (item.type == "RangeFunction") {
    return Unsupported(FirstOffset(from[0], begin), "a function in FROM");
  }
  return Unsupported(FirstOffset(from[0], begin),
                     "this FROM item (PostgreSQL's " + std::string(item.type) + ")");
}

// FROM a [INNER | LEFT [OUTER] | RIGHT [OUTER] | FULL [OUTER]] JOIN b ON condition, of two
// tables. A JoinExpr has no location: the JOIN keyword before the right-hand table stands
// for it.
Status Transformer::TransformJoin(object join, size_t begin, Select* out) {
  element left, right, quals;
  if (!GetField(join, "larg", &left) || !GetField(join, "rarg", &right)) {
    return Error(begin, "unexpected parse tree");
  }
  const size_t at = KeywordBefore(FirstOffset(right, begin), "join");
  PgNode l, r;
  if (!AsNode(left, &l) || !AsNode(right, &r)) return Error(at, "unexpected parse tree");
  if (l.type == "JoinExpr" || r.type == "JoinExpr") {
    return Unsupported(l.type == "JoinExpr" ? at : FirstOffset(right, begin),
                       "a join of more than two tables (join two, then join the result in a "
                       "later node)");
  }
  for (const auto& [node, side] : {std::pair(left, &l), std::pair(right, &r)}) {
    if (side->type != "RangeVar") {
      return Unsupported(FirstOffset(node, at),
                         "this FROM item in a join (PostgreSQL's " + std::string(side->type) + ")");
    }
  }
  if (GetBool(join, "isNatural")) return Unsupported(at, "NATURAL JOIN (write ON a.k = b.k)");
  element using_clause;
  if (GetField(join, "usingClause", &using_clause)) {
    return Unsupported(at, "JOIN ... USING (write ON a.k = b.k)");
  }
  RETURN_IF_ERROR(
      CheckFields(join, {"jointype", "larg", "rarg", "quals", "rtindex"}, at, "a join"));
  if (!GetField(join, "quals", &quals)) {
    return Error(at,
                 "a join needs ON with an equality of the two tables' columns (CROSS JOIN is "
                 "not supported)");
  }
  std::string_view type = GetString(join, "jointype");
  JoinClause clause;
  clause.type = type == "JOIN_LEFT"    ? JoinType::kLeft
                : type == "JOIN_RIGHT" ? JoinType::kRight
                : type == "JOIN_FULL"  ? JoinType::kFull
                                       : JoinType::kInner;
  if (!type.empty() && type != "JOIN_INNER" && clause.type == JoinType::kInner) {
    return Unsupported(at, "this join (PostgreSQL's " + std::string(type) + ")");
  }
  clause.location = Locate(at);
  ASSIGN_OR_RETURN(out->from.table, TransformRangeVar(l.fields, begin, &out->from.alias));
  ASSIGN_OR_RETURN(clause.right.table, TransformRangeVar(r.fields, at, &clause.right.alias));
  ASSIGN_OR_RETURN(clause.on, TransformExpr(quals, at));
  out->join = std::move(clause);
  return Status::OK();
}

size_t Transformer::KeywordBefore(size_t offset, std::string_view keyword) const {
  std::string_view text = source_.text();
  size_t end = std::min(offset, text.size());
  while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n' ||
                     text[end - 1] == '\r')) {
    --end;
  }
  size_t start = end;
  while (start > 0 && std::isalpha(static_cast<unsigned char>(text[start - 1]))) {
    --start;
  }
  return EqualsIgnoreCase(text.substr(start, end - start), keyword) ? start : offset;
}

Status Transformer::TransformOrderBy(object select, size_t begin, Select* out) {
  for (element item : GetList(select, "sortClause")) {
    PgNode sort;
    element node;
    if (!AsNode(item, &sort) || sort.type != "SortBy" || !GetField(sort.fields, "node", &node)) {
      return Error(begin, "unexpected parse tree");
    }
    size_t at = FirstOffset(node, begin);
    RETURN_IF_ERROR(CheckFields(sort.fields, {"node", "sortby_dir", "sortby_nulls", "location"}, at,
                                "ORDER BY"));
    OrderItem order;
    ASSIGN_OR_RETURN(order.expr, TransformExpr(node, at));
    order.descending = GetString(sort.fields, "sortby_dir") == "SORTBY_DESC";
    std::string_view nulls = GetString(sort.fields, "sortby_nulls");
    order.nulls_first =
        nulls == "SORTBY_NULLS_FIRST" || (nulls != "SORTBY_NULLS_LAST" && order.descending);
    out->order_by.push_back(std::move(order));
  }
  return Status::OK();
}

Status Transformer::TransformLimit(object select, size_t begin, Select* out) {
  element count, offset;
  if (GetField(select, "limitCount", &count)) {
    if (GetString(select, "limitOption") == "LIMIT_OPTION_WITH_TIES") {
      return Unsupported(FirstOffset(count, begin), "FETCH FIRST ... WITH TIES");
    }
    PgNode node;
    bool limit_all = AsNode(count, &node) && node.type == "A_Const" &&
                     GetBool(node.fields, "isnull");  // LIMIT ALL (and LIMIT NULL)
    if (!limit_all) {
      ASSIGN_OR_RETURN(out->limit, TransformExpr(count, begin));
    }
  }
  if (GetField(select, "limitOffset", &offset)) {
    ASSIGN_OR_RETURN(out->offset, TransformExpr(offset, begin));
  }
  return Status::OK();
}

}  // namespace strata::sql::internal
