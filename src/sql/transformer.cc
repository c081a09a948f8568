// Statements: CREATE TABLE, INSERT INTO ... SELECT, CREATE MATERIALIZED VIEW ... AS SELECT,
// and the shared pieces (table names, types, WITH options, located errors).
#include "sql/transformer.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

namespace strata::sql::internal {
namespace {

// How the user wrote a clause that libpg-query reports as the given field.
struct ClauseName {
  std::string_view field;
  std::string_view text;
};

constexpr ClauseName kClauseNames[] = {
    {"accessMethod", "USING (a table access method)"},
    {"agg_filter", "FILTER (WHERE ...)"},
    {"agg_order", "ORDER BY inside an aggregate"},
    {"agg_within_group", "WITHIN GROUP"},
    {"arrayBounds", "an array type"},
    {"catalogname", "a database-qualified name"},
    {"collClause", "COLLATE"},
    {"colNames", "a column list"},
    {"colnames", "column aliases"},
    {"compression", "COMPRESSION"},
    {"deferrable", "DEFERRABLE"},
    {"defnamespace", "a qualified option name (ns.key)"},
    {"fdwoptions", "OPTIONS"},
    {"func_variadic", "VARIADIC"},
    {"groupDistinct", "GROUP BY DISTINCT"},
    {"if_not_exists", "IF NOT EXISTS"},
    {"including", "INCLUDE"},
    {"indexspace", "USING INDEX TABLESPACE"},
    {"indirection", "a subscript or field selection"},
    {"inhRelations", "INHERITS"},
    {"initdeferred", "INITIALLY DEFERRED"},
    {"intoClause", "SELECT INTO"},
    {"is_no_inherit", "NO INHERIT"},
    {"is_select_into", "SELECT INTO"},
    {"lockingClause", "FOR UPDATE / FOR SHARE"},
    {"ofTypename", "OF type"},
    {"onConflictClause", "ON CONFLICT"},
    {"over", "a window function (OVER)"},
    {"partbound", "PARTITION OF"},
    {"partspec", "PARTITION BY"},
    {"pct_type", "%TYPE"},
    {"returningList", "RETURNING"},
    {"setof", "SETOF"},
    {"skip_validation", "NOT VALID"},
    {"skipData", "WITH NO DATA"},
    {"storage", "STORAGE"},
    {"tableSpaceName", "TABLESPACE"},
    {"tablespacename", "TABLESPACE"},
    {"useOp", "ORDER BY ... USING"},
    {"windowClause", "WINDOW"},
    {"withClause", "WITH (common table expressions)"},
};

// The statements people are likeliest to try, by libpg-query node name.
constexpr ClauseName kStatementNames[] = {
    {"AlterTableStmt", "ALTER TABLE"},
    {"CopyStmt", "COPY"},
    {"CreateFunctionStmt", "CREATE FUNCTION"},
    {"CreateSchemaStmt", "CREATE SCHEMA"},
    {"DeleteStmt", "DELETE"},
    {"DropStmt", "DROP"},
    {"ExplainStmt", "EXPLAIN"},
    {"IndexStmt", "CREATE INDEX"},
    {"MergeStmt", "MERGE"},
    {"RefreshMatViewStmt", "REFRESH MATERIALIZED VIEW"},
    {"TransactionStmt", "BEGIN / COMMIT / ROLLBACK"},
    {"TruncateStmt", "TRUNCATE"},
    {"UpdateStmt", "UPDATE"},
    {"VariableSetStmt", "SET"},
    {"ViewStmt", "CREATE VIEW (use CREATE MATERIALIZED VIEW)"},
};

std::string Lookup(const ClauseName* begin, const ClauseName* end, std::string_view field,
                   std::string_view prefix) {
  for (const ClauseName* c = begin; c != end; ++c) {
    if (c->field == field) return std::string(c->text);
  }
  return std::string(prefix) + std::string(field) + ")";
}

// PostgreSQL's internal type name → strata's.
std::string_view StrataTypeName(std::string_view pg) {
  if (pg == "bool") return "boolean";
  if (pg == "int2" || pg == "int4" || pg == "int8") return "bigint";
  if (pg == "float4" || pg == "float8") return "double";
  if (pg == "text" || pg == "varchar" || pg == "bpchar") return "text";
  return pg;  // numeric, timestamp, timestamptz, date, and everything strata does not map
}

std::string_view ConstraintKind(std::string_view contype) {
  if (contype == "CONSTR_DEFAULT") return "a DEFAULT value";
  if (contype == "CONSTR_UNIQUE") {
    return "a UNIQUE constraint (declare the business key with PRIMARY KEY)";
  }
  if (contype == "CONSTR_FOREIGN") return "a REFERENCES / FOREIGN KEY constraint";
  if (contype == "CONSTR_IDENTITY") return "an identity column";
  if (contype == "CONSTR_GENERATED") return "a generated column";
  if (contype == "CONSTR_EXCLUSION") return "an EXCLUDE constraint";
  if (contype.starts_with("CONSTR_ATTR_")) return "DEFERRABLE / INITIALLY";
  return "this constraint";
}

}  // namespace

size_t Transformer::Offset(object fields, size_t fallback) const {
  element e;
  if (!GetField(fields, "location", &e)) return base_;  // omitted because it is 0
  int64_t location = -1;
  if (e.get_int64().get(location) || location < 0) return fallback;
  return base_ + static_cast<size_t>(location);
}

size_t Transformer::FirstOffset(element e, size_t fallback) const {
  size_t best = SIZE_MAX;
  object o;
  simdjson::dom::array a;
  if (!e.get_object().get(o)) {
    for (simdjson::dom::key_value_pair kv : o) {
      int64_t location = -1;
      if (kv.key == "location") {
        if (!kv.value.get_int64().get(location) && location >= 0) {
          best = std::min(best, base_ + static_cast<size_t>(location));
        }
      } else {
        best = std::min(best, FirstOffset(kv.value, SIZE_MAX));
      }
    }
  } else if (!e.get_array().get(a)) {
    for (element item : a) {
      best = std::min(best, FirstOffset(item, SIZE_MAX));
    }
  }
  return best == SIZE_MAX ? fallback : best;
}

Result<int64_t> Transformer::IntegerConstant(object a_const, object ival) const {
  if (Has(ival, "ival")) return GetInt(ival, "ival");
  size_t at = Offset(a_const, SIZE_MAX);
  if (at == SIZE_MAX) return 0;  // a constant PostgreSQL made up (location -1)
  return ReadInteger(at);
}

Result<int64_t> Transformer::ReadInteger(size_t offset) const {
  // The constant is digits after any number of '-', '(' (PostgreSQL folds -(5) into the
  // constant -5, located at the '-'), white space and comments.
  std::string_view text = source_.text();
  bool negative = false;
  size_t i = source_.SkipSpaceAndComments(offset);
  while (i < text.size() && (text[i] == '-' || text[i] == '(')) {
    negative ^= text[i] == '-';
    i = source_.SkipSpaceAndComments(i + 1);
  }
  size_t end = i;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
    ++end;
  }
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + end, value);
  if (ec != std::errc() || ptr != text.data() + end || end == i) {
    return Error(offset, "cannot read this integer constant");
  }
  return negative ? -value : value;
}

Result<int64_t> Transformer::ReadOptionInteger(size_t key_offset) const {
  // key = <integer>: skip the key (an identifier, perhaps quoted) and the '='.
  std::string_view text = source_.text();
  size_t i = key_offset;
  if (i < text.size() && text[i] == '"') {
    for (++i; i < text.size(); ++i) {
      if (text[i] == '"' && (i + 1 >= text.size() || text[i + 1] != '"')) break;
      if (text[i] == '"') ++i;  // a doubled quote
    }
    ++i;
  } else {
    while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) ||
                               text[i] == '_' || text[i] == '$' || (text[i] & 0x80))) {
      ++i;
    }
  }
  i = source_.SkipSpaceAndComments(i);
  if (i >= text.size() || text[i] != '=') return Error(key_offset, "cannot read this option");
  return ReadInteger(i + 1);
}

Status Transformer::Unsupported(size_t offset, std::string_view what) const {
  return Error(offset, std::string(what) + " is not supported");
}

Status Transformer::CheckFields(object fields, std::initializer_list<std::string_view> known,
                                size_t at, std::string_view what) const {
  for (simdjson::dom::key_value_pair kv : fields) {
    if (std::find(known.begin(), known.end(), kv.key) != known.end()) continue;
    std::string clause = Lookup(std::begin(kClauseNames), std::end(kClauseNames), kv.key,
                                "the clause PostgreSQL calls (");
    if (!what.empty()) clause += " in " + std::string(what);
    return Unsupported(FirstOffset(kv.value, at), clause);
  }
  return Status::OK();
}

Result<Statement::Node> Transformer::TransformStatement(element stmt, size_t begin) {
  PgNode node;
  if (!AsNode(stmt, &node)) return Error(begin, "unexpected parse tree");
  if (node.type == "CreateStmt") {
    ASSIGN_OR_RETURN(CreateTable table, TransformCreateTable(node.fields, begin));
    return Statement::Node(std::move(table));
  }
  if (node.type == "InsertStmt") {
    ASSIGN_OR_RETURN(InsertSelect insert, TransformInsert(node.fields, begin));
    return Statement::Node(std::move(insert));
  }
  if (node.type == "CreateTableAsStmt") {
    ASSIGN_OR_RETURN(CreateMaterializedView view, TransformCreateView(node.fields, begin));
    return Statement::Node(std::move(view));
  }
  if (node.type == "SelectStmt") {
    return Error(begin,
                 "a SELECT on its own does nothing in a pipeline: write INSERT INTO ... SELECT or "
                 "CREATE MATERIALIZED VIEW ... AS SELECT");
  }
  std::string name = Lookup(std::begin(kStatementNames), std::end(kStatementNames), node.type,
                            "this statement (PostgreSQL's ");
  return Error(begin, name +
                          " is not supported: a pipeline holds CREATE TABLE, INSERT INTO ... "
                          "SELECT and CREATE MATERIALIZED VIEW ... AS SELECT statements");
}

Result<Select> Transformer::TransformQuery(element stmt, size_t begin) {
  PgNode node;
  if (!AsNode(stmt, &node)) return Error(begin, "unexpected parse tree");
  if (node.type != "SelectStmt") return Error(begin, "expected a SELECT query");
  return TransformSelect(stmt, begin);
}

Result<CreateTable> Transformer::TransformCreateTable(object create, size_t begin) {
  RETURN_IF_ERROR(
      CheckFields(create, {"relation", "tableElts", "options", "oncommit"}, begin, "CREATE TABLE"));
  object relation;
  if (!GetObject(create, "relation", &relation)) return Error(begin, "missing table name");
  CreateTable table;
  ASSIGN_OR_RETURN(table.table, TransformRangeVar(relation, begin, nullptr));
  for (element item : GetList(create, "tableElts")) {
    RETURN_IF_ERROR(TransformTableElement(item, &table, begin));
  }
  RETURN_IF_ERROR(NameChecks(&table));
  ASSIGN_OR_RETURN(table.options, TransformOptions(create, begin));
  return table;
}

Status Transformer::TransformTableElement(element item, CreateTable* table, size_t begin) {
  PgNode node;
  if (!AsNode(item, &node)) return Error(begin, "unexpected parse tree");
  size_t at = Offset(node.fields, begin);
  if (node.type == "Constraint") {
    std::string_view contype = GetString(node.fields, "contype");
    if (contype == "CONSTR_CHECK") {
      ASSIGN_OR_RETURN(CheckConstraint check, TransformCheck(node.fields, at));
      table->checks.push_back(std::move(check));
      return Status::OK();
    }
    if (contype != "CONSTR_PRIMARY") return Unsupported(at, ConstraintKind(contype));
    RETURN_IF_ERROR(
        CheckFields(node.fields, {"contype", "conname", "location", "keys"}, at, "PRIMARY KEY"));
    std::vector<Identifier> keys;
    for (element key : GetList(node.fields, "keys")) {
      std::string_view name;
      if (!GetStringNode(key, &name)) return Error(at, "unexpected parse tree");
      keys.push_back({std::string(name), Locate(at)});
    }
    return SetPrimaryKey(std::move(keys), at, table);
  }
  if (node.type != "ColumnDef") {
    return Unsupported(at, node.type == "TableLikeClause" ? std::string("LIKE in CREATE TABLE")
                                                          : "this table element (PostgreSQL's " +
                                                                std::string(node.type) + ")");
  }
  RETURN_IF_ERROR(CheckFields(node.fields,
                              {"colname", "typeName", "constraints", "is_local", "location"}, at,
                              "a column definition"));
  ColumnDefinition column;
  column.name = GetString(node.fields, "colname");
  column.location = Locate(at);
  object type;
  if (!GetObject(node.fields, "typeName", &type)) return Error(at, "missing column type");
  ASSIGN_OR_RETURN(column.type, TransformTypeName(type, at));
  bool saw_null = false;
  for (element c : GetList(node.fields, "constraints")) {
    PgNode constraint;
    if (!AsNode(c, &constraint) || constraint.type != "Constraint") {
      return Error(at, "unexpected parse tree");
    }
    RETURN_IF_ERROR(TransformColumnConstraint(constraint.fields, table, &column, &saw_null));
  }
  table->columns.push_back(std::move(column));
  return Status::OK();
}

Status Transformer::TransformColumnConstraint(object constraint, CreateTable* table,
                                              ColumnDefinition* column, bool* saw_null) {
  size_t at = Offset(constraint, base_);
  std::string_view contype = GetString(constraint, "contype");
  if (contype == "CONSTR_CHECK") {
    ASSIGN_OR_RETURN(CheckConstraint check, TransformCheck(constraint, at));
    column->checks.push_back(std::move(check));
    return Status::OK();
  }
  if (contype != "CONSTR_NOTNULL" && contype != "CONSTR_NULL" && contype != "CONSTR_PRIMARY") {
    return Unsupported(at, ConstraintKind(contype));
  }
  RETURN_IF_ERROR(
      CheckFields(constraint, {"contype", "conname", "location"}, at, "a column constraint"));
  if (contype == "CONSTR_NOTNULL" || contype == "CONSTR_NULL") {
    bool not_null = contype == "CONSTR_NOTNULL";
    if ((not_null && *saw_null) || (!not_null && column->not_null)) {
      return Error(at,
                   "conflicting NULL / NOT NULL declarations for column \"" + column->name + "\"");
    }
    column->not_null = column->not_null || not_null;
    *saw_null = *saw_null || !not_null;
    return Status::OK();
  }
  return SetPrimaryKey({{column->name, Locate(at)}}, at, table);  // CONSTR_PRIMARY
}

Status Transformer::SetPrimaryKey(std::vector<Identifier> keys, size_t at, CreateTable* table) {
  if (!table->primary_key.empty()) {
    return Error(at,
                 "multiple primary keys for table \"" + table->table.name + "\" are not allowed");
  }
  table->primary_key = std::move(keys);
  return Status::OK();
}

Result<CheckConstraint> Transformer::TransformCheck(object constraint, size_t at) {
  RETURN_IF_ERROR(CheckFields(constraint,
                              {"contype", "conname", "location", "raw_expr", "initially_valid"}, at,
                              "a CHECK constraint"));
  element expr;
  if (!GetField(constraint, "raw_expr", &expr)) return Error(at, "CHECK without an expression");
  CheckConstraint check;
  check.name = GetString(constraint, "conname");
  check.location = Locate(at);
  ASSIGN_OR_RETURN(check.expr, TransformExpr(expr, at));
  return check;
}

Status Transformer::NameChecks(CreateTable* table) {
  // Explicit names first (they must be unique), then generated ones in the order written,
  // skipping names already taken, as PostgreSQL does.
  struct Unnamed {
    CheckConstraint* check;
    std::string base;
  };
  std::vector<std::string> taken;
  std::vector<Unnamed> unnamed;
  auto visit = [&](CheckConstraint& check, std::string base) -> Status {
    if (check.name.empty()) {
      unnamed.push_back({&check, std::move(base)});
    } else if (std::find(taken.begin(), taken.end(), check.name) != taken.end()) {
      return source_.ErrorAt(check.location, "constraint \"" + check.name + "\" is defined twice");
    } else {
      taken.push_back(check.name);
    }
    return Status::OK();
  };
  for (ColumnDefinition& column : table->columns) {
    for (CheckConstraint& check : column.checks) {
      RETURN_IF_ERROR(visit(check, table->table.name + "_" + column.name + "_check"));
    }
  }
  for (CheckConstraint& check : table->checks) {
    RETURN_IF_ERROR(visit(check, table->table.name + "_check"));
  }
  std::stable_sort(unnamed.begin(), unnamed.end(), [](const Unnamed& a, const Unnamed& b) {
    const SourceLocation &x = a.check->location, &y = b.check->location;
    return x.line != y.line ? x.line < y.line : x.column < y.column;
  });
  for (Unnamed& u : unnamed) {
    std::string name = u.base;
    for (int n = 1; std::find(taken.begin(), taken.end(), name) != taken.end(); ++n) {
      name = u.base + std::to_string(n);
    }
    taken.push_back(name);
    u.check->name = std::move(name);
  }
  return Status::OK();
}

Result<InsertSelect> Transformer::TransformInsert(object insert, size_t begin) {
  RETURN_IF_ERROR(
      CheckFields(insert, {"relation", "cols", "selectStmt", "override"}, begin, "INSERT"));
  std::string_view override_kind = GetString(insert, "override");
  if (!override_kind.empty() && override_kind != "OVERRIDING_NOT_SET") {
    return Unsupported(begin, "OVERRIDING ... VALUE");
  }
  object relation;
  if (!GetObject(insert, "relation", &relation)) return Error(begin, "missing table name");
  InsertSelect out;
  ASSIGN_OR_RETURN(out.target, TransformRangeVar(relation, begin, nullptr));
  for (element col : GetList(insert, "cols")) {
    PgNode target;
    if (!AsNode(col, &target)) return Error(begin, "unexpected parse tree");
    size_t at = Offset(target.fields, begin);
    RETURN_IF_ERROR(CheckFields(target.fields, {"name", "location"}, at, "an INSERT column list"));
    out.columns.push_back({std::string(GetString(target.fields, "name")), Locate(at)});
  }
  element select;
  if (!GetField(insert, "selectStmt", &select)) {
    return Unsupported(begin, "INSERT ... DEFAULT VALUES");
  }
  PgNode node;
  element values;
  if (AsNode(select, &node) && GetField(node.fields, "valuesLists", &values)) {
    return Unsupported(FirstOffset(values, begin),
                       "INSERT ... VALUES (a pipeline inserts the result of a SELECT)");
  }
  ASSIGN_OR_RETURN(out.select, TransformSelect(select, begin));
  return out;
}

Result<CreateMaterializedView> Transformer::TransformCreateView(object create, size_t begin) {
  if (GetString(create, "objtype") != "OBJECT_MATVIEW") {
    return Error(begin,
                 "CREATE TABLE ... AS is not supported: derive a table with CREATE MATERIALIZED "
                 "VIEW ... AS SELECT");
  }
  RETURN_IF_ERROR(
      CheckFields(create, {"query", "into", "objtype"}, begin, "CREATE MATERIALIZED VIEW"));
  object into, relation;
  if (!GetObject(create, "into", &into) || !GetObject(into, "rel", &relation)) {
    return Error(begin, "missing view name");
  }
  RETURN_IF_ERROR(
      CheckFields(into, {"rel", "options", "onCommit"}, begin, "CREATE MATERIALIZED VIEW"));
  CreateMaterializedView out;
  ASSIGN_OR_RETURN(out.view, TransformRangeVar(relation, begin, nullptr));
  ASSIGN_OR_RETURN(out.options, TransformOptions(into, begin));
  element query;
  if (!GetField(create, "query", &query)) return Error(begin, "missing query");
  ASSIGN_OR_RETURN(out.select, TransformSelect(query, begin));
  return out;
}

Result<std::vector<Option>> Transformer::TransformOptions(object owner, size_t begin) {
  std::vector<Option> options;
  for (element item : GetList(owner, "options")) {
    PgNode def;
    if (!AsNode(item, &def) || def.type != "DefElem") return Error(begin, "unexpected parse tree");
    size_t at = Offset(def.fields, begin);
    RETURN_IF_ERROR(
        CheckFields(def.fields, {"defname", "arg", "defaction", "location"}, at, "WITH (...)"));
    Option option{std::string(GetString(def.fields, "defname")), "true", Locate(at)};
    element arg;
    if (GetField(def.fields, "arg", &arg)) {
      PgNode value;
      std::vector<element> names;
      if (!AsNode(arg, &value)) return Error(at, "unexpected parse tree");
      if (value.type == "String") {
        option.value = GetString(value.fields, "sval");
      } else if (value.type == "Integer") {
        ASSIGN_OR_RETURN(int64_t n, Has(value.fields, "ival") ? GetInt(value.fields, "ival")
                                                              : ReadOptionInteger(at));
        option.value = std::to_string(n);
      } else if (value.type == "Float") {
        option.value = GetString(value.fields, "fval");
      } else if (value.type == "Boolean") {
        option.value = GetBool(value.fields, "boolval") ? "true" : "false";
      } else if (value.type == "TypeName" &&  // a bare word: layer = bronze
                 (names = GetList(value.fields, "names")).size() == 1 &&
                 !Has(value.fields, "typmods") && !Has(value.fields, "arrayBounds")) {
        std::string_view word;
        if (!GetStringNode(names[0], &word)) return Error(at, "unexpected parse tree");
        option.value = word;
      } else {
        return Error(at, "the value of option \"" + option.key +
                             "\" must be a string, a number or a single word");
      }
    }
    options.push_back(std::move(option));
  }
  return options;
}

Result<TableName> Transformer::TransformRangeVar(object range_var, size_t fallback,
                                                 std::string* alias) {
  size_t at = Offset(range_var, fallback);
  RETURN_IF_ERROR(CheckFields(
      range_var, {"schemaname", "relname", "inh", "relpersistence", "location", "alias"}, at, ""));
  std::string_view persistence = GetString(range_var, "relpersistence");
  if (persistence == "t") return Unsupported(at, "a TEMPORARY table");
  if (persistence == "u") return Unsupported(at, "an UNLOGGED table");
  if (!GetBool(range_var, "inh")) return Unsupported(at, "ONLY");
  object alias_node;
  if (GetObject(range_var, "alias", &alias_node)) {
    if (alias == nullptr) return Unsupported(at, "an alias here");
    RETURN_IF_ERROR(CheckFields(alias_node, {"aliasname"}, at, "a table alias"));
    *alias = GetString(alias_node, "aliasname");
  }
  return TableName{std::string(GetString(range_var, "schemaname")),
                   std::string(GetString(range_var, "relname")), Locate(at)};
}

Result<TypeName> Transformer::TransformTypeName(object type, size_t fallback) {
  size_t at = Offset(type, fallback);
  RETURN_IF_ERROR(CheckFields(type, {"names", "typmods", "typemod", "location"}, at, ""));
  std::vector<std::string_view> names;
  for (element e : GetList(type, "names")) {
    std::string_view name;
    if (!GetStringNode(e, &name)) return Error(at, "unexpected parse tree");
    names.push_back(name);
  }
  if (names.size() == 2 && names[0] == "pg_catalog") names.erase(names.begin());
  if (names.size() != 1) return Unsupported(at, "a schema-qualified type name");
  TypeName out;
  out.original = names[0];
  out.name = StrataTypeName(names[0]);
  out.location = Locate(at);
  for (element e : GetList(type, "typmods")) {
    PgNode node;
    object ival;
    if (!AsNode(e, &node) || node.type != "A_Const" || !GetObject(node.fields, "ival", &ival)) {
      return Error(FirstOffset(e, at), "type modifiers must be integer constants");
    }
    ASSIGN_OR_RETURN(int64_t modifier, IntegerConstant(node.fields, ival));
    out.modifiers.push_back(static_cast<int32_t>(modifier));
  }
  if (out.name == "interval" && !out.modifiers.empty()) {
    return Unsupported(at, "an INTERVAL field or precision (write INTERVAL '1 hour')");
  }
  return out;
}

}  // namespace strata::sql::internal
