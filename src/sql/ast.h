// strata's SQL syntax tree: what a pipeline file (or a query) says, in strata's own terms and
// independent of the parser that read it (libpg-query today, see parser.h). The binder resolves
// its names and types against the catalog; nothing here has been checked against a catalog.
//
// Conventions for every node:
// - Identifiers are as PostgreSQL reads them: unquoted ones lowercased, quoted ones exact
//   ("Weird Name" stays as written).
// - `location` is where the node's identifying token starts, as PostgreSQL reports it: a
//   column's or function's name, a literal's first character (the '-' of -5), an operator's
//   symbol (the '>' of amount > 0, the AND of a AND b, the IS of x IS NULL), the CASE, CAST or
//   '::' of those expressions, a statement's first keyword.
// - Trees own their children (std::unique_ptr), are move-only and are not modified after the
//   parser returns them. They are plain data: safe to read from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace strata::sql {

// A position in the parsed text: 1-based line and 1-based column. Columns count characters
// (UTF-8 code points, so 'é' and a tab are one column each), not bytes. {0, 0} when unknown.
struct SourceLocation {
  int line = 0;
  int column = 0;
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

// A type as written in a column definition, a CAST or a typed literal.
struct TypeName {
  // strata's name for the type: "boolean"; "bigint" (smallint, integer, bigint); "double" (real,
  // double precision); "numeric"; "text" (text, varchar, char); "timestamp"; "timestamptz";
  // "date". Any other type keeps its name ("interval", "time", "json", "Foo" if quoted).
  std::string name;
  // PostgreSQL's internal name for what was written, without "pg_catalog.": "int4" for
  // integer, "float8" for double precision, "bpchar" for char, "varchar", "numeric".
  std::string original;
  // Type modifiers: numeric(18,2) → {18, 2}, varchar(10) → {10}, char → {1} (implied by
  // PostgreSQL). Empty when none were given.
  std::vector<int32_t> modifiers;
  SourceLocation location;
};

enum class ExprKind : uint8_t {
  kColumn,    // [qualifier.]name
  kLiteral,   // literal_kind, text, and type for kTyped
  kStar,      // [qualifier.]* — only ever a whole SELECT item
  kUnary,     // unary_op, children = {operand}
  kBinary,    // binary_op, children = {left, right}
  kIsNull,    // children = {operand}; negated: IS NOT NULL
  kIn,        // children = {operand, item...}; negated: NOT IN
  kBetween,   // children = {operand, low, high}; negated: NOT BETWEEN
  kLike,      // children = {operand, pattern}; negated: NOT LIKE; case_insensitive: ILIKE
  kCase,      // children = {[operand], (when, then)..., [else]}; see the case_* accessors
  kCast,      // children = {operand}; type
  kFunction,  // name (lowercase), children = arguments; distinct, star
};

enum class LiteralKind : uint8_t {
  kInteger,  // text: decimal digits, '-' first if negative; always fits in an int64
  kDecimal,  // text: as written ("1.5", "-0.25", "1e10"), or an integer beyond int64
  kString,   // text: the value, quotes and escapes resolved ('it''s' → it's)
  kBoolean,  // text: "true" or "false"
  kNull,     // text: empty
  kTyped,    // TIMESTAMP '...', INTERVAL '1 hour', '5'::bigint: text is the string, type the type
};

enum class UnaryOp : uint8_t { kNegate, kNot };

enum class BinaryOp : uint8_t {
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kModulo,
  kConcat,  // ||
  kEqual,
  kNotEqual,  // <> and !=
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kAnd,
  kOr,
};

// The operator as SQL: "+", "<>", "||", "AND".
const char* ToString(BinaryOp op);

// One expression node. A tagged node rather than a class per kind: the kind says which
// fields mean something (see ExprKind); the others keep their defaults.
//
// Normalizations the parser applies, so that equal meanings get equal trees:
// - Negative numbers are literals (-5 is kLiteral "-5", not a negation); unary + disappears.
// - a AND b AND c is ((a AND b) AND c); likewise OR.
// - A string literal cast to a type ('2024-01-01'::date, CAST('1' AS int)) is a kTyped
//   literal, like DATE '2024-01-01'.
// - Function-like syntax becomes kFunction: coalesce, nullif, greatest, least;
//   CURRENT_TIMESTAMP → "current_timestamp" (likewise current_date, current_time, localtime,
//   localtimestamp); EXTRACT(field FROM x) and date_part('field', x) → "extract" with the
//   field as a lowercase string literal first; substring(x FROM a FOR b) → substring(x, a, b);
//   trim([BOTH|LEADING|TRAILING] [chars] FROM x) → btrim/ltrim/rtrim(x[, chars]);
//   position(a IN b) → position(b, a). Function names lose any "pg_catalog." prefix.
struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  SourceLocation location;

  // kColumn: the column; kFunction: the function, lowercase.
  std::string name;
  // kColumn, kStar: the table name or alias before the dot ("o" in o.amount); empty if none.
  std::string qualifier;
  // kLiteral.
  LiteralKind literal_kind = LiteralKind::kNull;
  std::string text;
  // kCast and kLiteral/kTyped.
  TypeName type;
  UnaryOp unary_op = UnaryOp::kNegate;    // kUnary
  BinaryOp binary_op = BinaryOp::kEqual;  // kBinary
  bool negated = false;                   // kIsNull, kIn, kBetween, kLike
  bool case_insensitive = false;          // kLike: ILIKE
  bool distinct = false;                  // kFunction: f(DISTINCT x)
  bool star = false;                      // kFunction: count(*) (children is empty)
  bool has_operand = false;               // kCase: CASE x WHEN ...
  bool has_else = false;                  // kCase
  std::vector<std::unique_ptr<Expr>> children;

  // kCase accessors over `children`.
  const Expr* case_operand() const { return has_operand ? children.front().get() : nullptr; }
  size_t case_when_count() const { return (children.size() - has_operand - has_else) / 2; }
  const Expr& case_when(size_t i) const { return *children[has_operand + 2 * i]; }
  const Expr& case_then(size_t i) const { return *children[has_operand + 2 * i + 1]; }
  const Expr* case_else() const { return has_else ? children.back().get() : nullptr; }
};

using ExprPtr = std::unique_ptr<Expr>;

// A table as written: [schema.]name. `schema` is empty when not given.
struct TableName {
  std::string schema;
  std::string name;
  SourceLocation location;
};

// A column name in a list (PRIMARY KEY (a, b), INSERT INTO t (a, b)).
struct Identifier {
  std::string name;
  SourceLocation location;
};

// One entry of WITH (key = value, ...). Keys are identifiers (lowercased unless quoted).
// Values are text whatever their spelling: 'bronze', bronze, 4, -1.5 and true give "bronze",
// "bronze", "4", "-1.5", "true"; a key without a value (WITH (flag)) gives "true".
struct Option {
  std::string key;
  std::string value;
  SourceLocation location;  // of the key
};

// CHECK (expr). `name` is the one written after CONSTRAINT, else a generated one as
// PostgreSQL would name it: "<table>_<column>_check" for a column's check, "<table>_check"
// for a table-level one, with 1, 2, ... appended when that name is taken.
struct CheckConstraint {
  std::string name;
  ExprPtr expr;
  SourceLocation location;  // of CHECK (or of CONSTRAINT when named)
};

struct ColumnDefinition {
  std::string name;
  TypeName type;
  bool not_null = false;  // NOT NULL was written (PRIMARY KEY does not set it; the binder may)
  std::vector<CheckConstraint> checks;
  SourceLocation location;
};

// CREATE TABLE [schema.]name (columns, [PRIMARY KEY (...)], [CHECK (...)]) [WITH (...)].
// Duplicate names, unknown key columns and option values are the binder's to check.
struct CreateTable {
  TableName table;
  std::vector<ColumnDefinition> columns;
  std::vector<Identifier> primary_key;  // empty when none; a column-level PRIMARY KEY gives one
  std::vector<CheckConstraint> checks;  // table-level CHECK constraints
  std::vector<Option> options;          // in the order written
};

// FROM [schema.]name [[AS] alias].
// Time travel: `FROM view AS OF VERSION n` or `FROM view AS OF TIMESTAMP '...'`.
struct AsOf {
  std::optional<uint64_t> version;   // exactly one of the two is set
  std::optional<int64_t> timestamp;  // microseconds since the epoch, UTC
  SourceLocation location;           // of AS
};

struct TableRef {
  TableName table;
  std::string alias;          // empty when none
  std::optional<AsOf> as_of;  // none: the live version
};

// FROM a [INNER | LEFT | RIGHT | FULL] JOIN b ON condition: the join of two tables.
enum class JoinType : uint8_t { kInner, kLeft, kRight, kFull };
const char* JoinTypeName(JoinType type);  // "JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"

struct JoinClause {
  JoinType type = JoinType::kInner;
  TableRef right;
  ExprPtr on;
  SourceLocation location;  // of the JOIN keyword (or of LEFT, RIGHT, FULL, INNER)
};

struct SelectItem {
  ExprPtr expr;       // may be kStar
  std::string alias;  // the AS name; empty when none
};

struct OrderItem {
  ExprPtr expr;  // a bare integer literal is an ordinal (ORDER BY 1)
  bool descending = false;
  // As written, else PostgreSQL's default: NULLS FIRST for DESC, NULLS LAST for ASC.
  bool nulls_first = false;
};

// SELECT [DISTINCT] items FROM one table [JOIN another ON ...] [WHERE] [GROUP BY] [HAVING]
// [ORDER BY] [LIMIT] [OFFSET]. Optional clauses are null / empty when absent.
struct Select {
  bool distinct = false;
  std::vector<SelectItem> items;
  TableRef from;
  std::optional<JoinClause> join;  // FROM from JOIN ...; none: one table
  ExprPtr where;
  std::vector<ExprPtr> group_by;  // a bare integer literal is an ordinal (GROUP BY 1)
  ExprPtr having;
  std::vector<OrderItem> order_by;
  ExprPtr limit;  // LIMIT ALL is no limit
  ExprPtr offset;
};

// INSERT INTO [schema.]name [(columns)] SELECT ...
struct InsertSelect {
  TableName target;
  std::vector<Identifier> columns;  // empty when no column list was written
  Select select;
};

// CREATE MATERIALIZED VIEW [schema.]name [WITH (...)] AS SELECT ...
struct CreateMaterializedView {
  TableName view;
  std::vector<Option> options;
  Select select;
};

// One statement of a pipeline file.
struct Statement {
  SourceLocation location;  // of its first keyword
  // Its source text, from the first keyword to before the ';' (white space trimmed). The last
  // statement of a file may omit the ';'; its text then runs to the end, comments included.
  std::string text;
  using Node = std::variant<CreateTable, InsertSelect, CreateMaterializedView>;
  Node node;
};

// An identifier as SQL: as is when it reads back unchanged, else in double quotes
// ("Weird Name", "select").
std::string QuoteIdentifier(std::string_view name);

// "schema.name" (each part quoted if needed).
std::string ToString(const TableName& table);

// The type as SQL: "bigint", "double precision", "numeric(18,2)", "varchar(10)".
std::string ToString(const TypeName& type);

// The expression as normalized SQL, for plans, messages and logic hashes. Deterministic (the
// same tree always prints the same text) and independent of the original spelling, case,
// comments and white space. Every operand that is itself an operator expression (or a
// negative number) is parenthesized, so the text never depends on precedence:
// (a + b) * c, NOT (x IS NULL), x - (-1).
// Identifiers are quoted only when needed; literals print as 5, -1.5, 'it''s', TRUE, NULL,
// timestamp '2024-01-01'; casts as CAST(x AS bigint); extract as extract('year' FROM x).
// The text parses back (ParseQuery) into a tree that prints the same text.
std::string ToString(const Expr& expr);

}  // namespace strata::sql
