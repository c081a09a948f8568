// Transformer: libpg-query's JSON parse tree (PostgreSQL 15 node names) → strata's AST
// (internal to the parse layer; parser.h is the public entry point).
//
// This is where the supported subset of SQL is decided. Whatever the AST cannot say exactly
// is rejected with a located "... is not supported" error rather than dropped: every
// statement-level node's fields are checked against the list of fields the transformer
// understands, so a PostgreSQL clause the code has never heard of fails loudly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sql/ast.h"
#include "sql/pg_json.h"
#include "sql/source_text.h"

namespace strata::sql::internal {

class Transformer {
 public:
  // `source` is the whole text; the tree being transformed came from parsing the part of it
  // that starts at byte `base` (its node locations are relative to that part). Both must
  // outlive the transformer.
  Transformer(const SourceText& source, size_t base) : source_(source), base_(base) {}

  // One entry's "stmt" of the tree's "stmts" array. `begin` is the absolute offset of the
  // statement's first token, used for errors that have no better place.
  Result<Statement::Node> TransformStatement(element stmt, size_t begin);
  // The same, for a statement that must be a SELECT.
  Result<Select> TransformQuery(element stmt, size_t begin);

 private:
  // Statements (transformer.cc).
  Result<CreateTable> TransformCreateTable(object create, size_t begin);
  Status TransformTableElement(element item, CreateTable* table, size_t begin);
  Status TransformColumnConstraint(object constraint, CreateTable* table, ColumnDefinition* column,
                                   bool* saw_null);
  Status SetPrimaryKey(std::vector<Identifier> keys, size_t at, CreateTable* table);
  Result<CheckConstraint> TransformCheck(object constraint, size_t at);
  Status NameChecks(CreateTable* table);
  Result<InsertSelect> TransformInsert(object insert, size_t begin);
  Result<CreateMaterializedView> TransformCreateView(object create, size_t begin);
  Result<std::vector<Option>> TransformOptions(object owner, size_t begin);
  // `alias` receives the table alias; null where none is allowed.
  Result<TableName> TransformRangeVar(object range_var, size_t fallback, std::string* alias);
  Result<TypeName> TransformTypeName(object type, size_t fallback);

  // SELECT (transform_select.cc).
  Result<Select> TransformSelect(element node, size_t begin);
  Status TransformFrom(object select, size_t begin, Select* out);
  Status TransformJoin(object join, size_t begin, Select* out);
  Status TransformGroupBy(object select, size_t begin, Select* out);
  Status TransformTargets(object select, size_t begin, Select* out);
  Status TransformOrderBy(object select, size_t begin, Select* out);
  Status TransformLimit(object select, size_t begin, Select* out);
  // The offset of `keyword` if it is the word just before `offset` (white space between),
  // else `offset`.
  size_t KeywordBefore(size_t offset, std::string_view keyword) const;

  // Expressions (transform_expr.cc).
  Result<ExprPtr> TransformExpr(element node, size_t fallback);
  Result<ExprPtr> TransformNode(const PgNode& node, size_t at);
  Result<ExprPtr> TransformColumnRef(object fields, size_t at, bool allow_star);
  Result<ExprPtr> TransformConst(object fields, size_t at);
  Result<ExprPtr> TransformAExpr(object fields, size_t at);
  Result<ExprPtr> TransformOperator(object fields, size_t at);
  Result<ExprPtr> TransformDistinctFrom(element left, element right, bool distinct, size_t at);
  Result<ExprPtr> TransformBoolExpr(object fields, size_t at);
  Result<ExprPtr> TransformFuncCall(object fields, size_t at);
  Result<ExprPtr> TransformTypeCast(object fields, size_t at);
  Result<ExprPtr> TransformCase(object fields, size_t at);
  Result<ExprPtr> TransformSqlValueFunction(object fields, size_t at);
  Result<ExprPtr> TransformFunctionOf(std::string_view name, object fields, size_t at);
  Status TransformArgs(const std::vector<element>& args, size_t at, Expr* out);

  // The value of an integer constant (A_Const `a_const` holding {"ival": ...} `ival`).
  // libpg-query 15-4.0.0's JSON writer omits integers <= 0 ("ival": {} for 0 and -5 alike),
  // so those are read back from the text at the constant's location.
  Result<int64_t> IntegerConstant(object a_const, object ival) const;
  // The integer written at `offset` (after signs, parentheses, white space and comments).
  Result<int64_t> ReadInteger(size_t offset) const;
  // The integer after "key =" for the option whose key starts at `key_offset`.
  Result<int64_t> ReadOptionInteger(size_t key_offset) const;

  // The absolute offset of `fields`' "location", or `fallback` when it is unknown (-1).
  size_t Offset(object fields, size_t fallback) const;
  // The absolute offset of the first known location in the subtree under `e`, or `fallback`.
  size_t FirstOffset(element e, size_t fallback) const;
  SourceLocation Locate(size_t offset) const { return source_.Locate(offset); }
  Status Error(size_t offset, std::string_view message) const {
    return source_.Error(offset, message);
  }
  Status Unsupported(size_t offset, std::string_view what) const;
  // Rejects any field of `fields` not in `known` ("<what>: <clause> is not supported").
  Status CheckFields(object fields, std::initializer_list<std::string_view> known, size_t at,
                     std::string_view what) const;

  const SourceText& source_;
  const size_t base_;
  int depth_ = 0;  // expression nesting, bounded by kMaxExprDepth
};

// Expressions nested deeper than this are rejected (the tree and everything that walks it
// recurse). A AND b AND ... counts one level per AND: the tree is left-deep.
constexpr int kMaxExprDepth = 1000;

}  // namespace strata::sql::internal
