// The binder: parsed statements (ast.h) → the logical plan (plan.h). It resolves table and
// column names, checks the WITH options of every node, types every expression and resolves
// every function and operator to one implementation (bound_expr.h).
//
// Errors are Status::InvalidArgument with one located sentence that says what was expected,
//   "orders.sql:12:8: column \"amout\" does not exist in bronze.orders (did you mean
//   \"amount\"?)".
// The first error stops binding.
//
// Pipeline rules
// - Tables are named <layer>.<name>; the layer is the schema: bronze and silver tables are
//   CREATE TABLEs, gold ones CREATE MATERIALIZED VIEWs. A `layer` option, when written, must
//   name the same layer. Statements may appear in any order (a view may precede its table).
// - bronze options: connector ('http' | 'file', default http), location (required with
//   'file', only with 'file'), partitions (1..4096, default 4), key (a column), format
//   ('json' | 'debezium', default json), watermark (kept as text). No constraints.
// - silver options: dedupe_order (a column; needs a PRIMARY KEY), on_violation
//   ('quarantine' | 'drop' | 'fail', default quarantine). PRIMARY KEY columns are NOT NULL.
//   Without a PRIMARY KEY rows are appended, never deduplicated. Exactly one INSERT INTO
//   silver.x [(columns)] SELECT ... FROM bronze.y feeds each silver table: no aggregates,
//   GROUP BY, HAVING, DISTINCT, ORDER BY or LIMIT. Select items map to the target columns in
//   order (or to the named columns); a column given no value gets NULL (for a NOT NULL
//   column that, like a literal NULL, is an error: every row would break the contract).
//   Each value is converted to its column's type by an assignment cast.
// - gold options: owner (text), freshness and batch_every (durations: '1 minute',
//   '30 seconds', '2 hours', '1 day', or '90s', '15m', '24h'), serving ('kappa' | 'lambda',
//   default kappa; lambda needs batch_every, kappa takes none). A view reads one silver
//   table and aggregates: it has a GROUP BY or an aggregate function; no HAVING, DISTINCT,
//   ORDER BY or LIMIT yet. Every output column has a distinct name (give expressions one with
//   AS).
// - Expressions in a pipeline must be deterministic: now(), random(), current_timestamp and
//   the like are rejected, since a replay would compute something different from the first
//   run. (Queries reject them too, for now.)
//
// Expression typing (PostgreSQL's rules, simplified where strata has fewer types)
// - Literals: an integer is bigint; a decimal (1.5, 1e3, or an integer beyond bigint) is
//   numeric with its own precision and scale (1.50 is numeric(3,2)); TRUE/FALSE boolean.
//   A string literal, and NULL, is "unknown" until its context gives it a type: compared
//   with, combined with, or assigned to a typed operand it is read AS that type at bind time
//   (event_ts > '2026-01-01' compares with timestamp '2026-01-01 00:00:00', amount > '1.5'
//   with numeric 1.5), and a string that does not read as that type is an error at the
//   literal. With no typed context it is text. Typed literals (TIMESTAMP '...', '5'::bigint,
//   CAST('1.5' AS numeric(5,2))) are converted at bind time.
// - Numbers: bigint < numeric < double precision. Mixed operands are promoted to the higher
//   kind: bigint becomes numeric(19,0) (an integer literal: numeric with its own digits), so
//   results stay within 38 digits; numeric becomes double. Result types: bigint op bigint is
//   bigint (/ truncates, as PostgreSQL's integer division); numeric ones follow
//   NumericAdd/Mul/DivResultType (numeric.h; % as +); double is double.
// - Comparisons, IN and BETWEEN promote both sides to one type kind as above (date becomes
//   timestamp next to a timestamp); numeric operands may keep different precision and
//   scale (the comparison is exact). CASE, COALESCE, NULLIF, GREATEST and LEAST produce a
//   value, so their operands are cast to one exact type: for numerics the smallest numeric
//   holding all of them (capped at 38 digits). text meets only text, boolean only boolean:
//   anything else is an error ("operator does not exist: text > bigint").
// - BETWEEN becomes (x >= a AND x <= b), NOT BETWEEN its negation; CASE x WHEN v ... becomes
//   CASE WHEN x = v ...; NOT LIKE is NOT (x LIKE p).
// - Functions (exactly bound_expr.h's Func list, plus concat, coalesce, nullif, greatest,
//   least): lower, upper (text); btrim (trim), ltrim, rtrim (text[, text]); length,
//   char_length (text → bigint); substring, substr (text, bigint[, bigint]);
//   regexp_replace (text, text, text[, text]); abs (bigint | numeric | double);
//   round(numeric[, digits]) → numeric(38, digits) (digits must be an integer constant;
//   round(x) has scale 0), round(double) → double, round(bigint[, digits]) rounds the bigint
//   as numeric(19,0) (exact, where PostgreSQL would pick double); date_trunc('unit', timestamp
//   | date) → timestamp; extract(field FROM timestamp | date) → numeric(38, ExtractScale);
//   concat(a, ...) → text, arguments of any type cast to text, NULLs skipped. text || x
//   casts a non-text x to text (NULL if either is NULL). Date/time arithmetic (date +
//   interval, timestamp - timestamp) is not supported.
// - Aggregates: count(*) and count(x) → bigint; sum(bigint) → numeric(38,0), sum(numeric(p,
//   s)) → numeric(38,s), sum(double) → double; avg(bigint | numeric(p,s)) → numeric(38,
//   max(s,6)), avg(double) → double; min/max → the argument's type. DISTINCT is allowed.
// - Assignment casts (into a silver column): any implicit promotion, numeric to a narrower
//   numeric (rounded; out of range is a per-row error), double or numeric to bigint (rounded),
//   timestamp to date, and anything to text. Explicit CASTs also convert text to any type
//   and bigint to and from boolean.
// - Column types: boolean, bigint (smallint, integer), double precision (real), numeric(p,s)
//   (a bare numeric is refused: strata's numeric is fixed point), text (varchar without a
//   length), timestamp, date. timestamptz, varchar(n), char(n), interval and others are
//   refused with what to write instead.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sql/ast.h"
#include "sql/plan.h"

namespace strata::sql {

// Binds the statements of one pipeline file (ParsePipeline's output); `file_name` prefixes
// every error's location.
Result<Pipeline> BindPipeline(const std::vector<Statement>& statements, std::string_view file_name);

// The columns of a table a query may read, by qualified name ("gold.revenue_hourly"); null
// when there is no such table. Pipeline::FindColumns is one.
using TableLookup = std::function<const std::vector<ColumnSchema>*(std::string_view name)>;

// Binds a query (`strata query`) over one table. An unqualified FROM name is looked up in
// gold, silver and bronze and must be found in exactly one. Supports * (also o.*), WHERE,
// GROUP BY (expression, ordinal, output name), aggregates, HAVING, ORDER BY (output name,
// ordinal or expression), and LIMIT/OFFSET with constant values. SELECT DISTINCT is not
// supported yet.
Result<BoundQuery> BindQuery(const Select& select, const TableLookup& lookup,
                             std::string_view source_name = "query");
// The qualified name of the table FROM names, as BindQuery resolves it (an unqualified name
// is looked up in gold, silver and bronze); BindQuery's error when there is none or several.
Result<std::string> ResolveTableName(const TableName& table, const TableLookup& lookup,
                                     std::string_view source_name = "query");

// Parses a duration option: "N unit" (unit: microsecond(s), millisecond(s), second(s),
// sec(s), minute(s), min(s), hour(s), day(s), week(s); case-insensitive) or the short
// forms "500ms", "90s", "15m", "24h", "7d". Must be positive. InvalidArgument otherwise.
Result<Micros> ParseDurationOption(std::string_view text);
// The same, but zero is allowed ("0 seconds"): a delay or a lateness.
Result<Micros> ParseLatenessOption(std::string_view text);

}  // namespace strata::sql
