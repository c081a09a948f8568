// The logical plan of a pipeline (DESIGN.md §1): what the binder (binder.h) makes of the
// statements of a pipeline file once every name is resolved and every expression typed.
// Runtimes, `strata check` and `strata query` read these structs; nothing below the binder
// builds them by hand except tests.
//
// Expressions are BoundExpr trees (bound_expr.h). Each says what row it reads:
// - a silver table's `where` and `projections` read the bronze table's columns (decoded
//   payload, in declaration order);
// - its CHECK constraints read the silver row (the silver table's columns);
// - a gold view's `where`, `group_keys` and aggregate arguments read the silver row;
//   its `outputs` read the "aggregate row": the group key values followed by the aggregate
//   results, in the order of `group_keys` and `aggregates`.
//
// Plain data, safe to read from several threads once built.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/schema_registry.h"
#include "common/clock.h"
#include "common/types.h"
#include "format/decoder.h"
#include "sql/bound_expr.h"

namespace strata::sql {

struct ColumnSchema {
  std::string name;
  Type type;
  bool not_null = false;
};

// The columns' names, and their types, in order.
std::vector<std::string> ColumnNames(const std::vector<ColumnSchema>& columns);
std::vector<Type> ColumnTypes(const std::vector<ColumnSchema>& columns);

// --- bronze ---

enum class Connector : uint8_t { kHttp, kFile, kPostgresCdc };
const char* ConnectorName(Connector connector);  // "http", "file", "postgres-cdc"

// CREATE TABLE bronze.x (...) WITH (...): a partitioned, append-only log of raw records.
// Bronze keeps records as received: it has no constraints (expectations belong to silver).
struct BronzeTable {
  std::string name;  // "bronze.orders"
  std::vector<ColumnSchema> columns;
  std::string key;  // the column whose value partitions records (key = '...'); empty if none
  format::PayloadFormat format = format::PayloadFormat::kJson;
  uint32_t partitions = 4;  // 1..4096
  // watermark = '<column> [- <duration>]' (DESIGN.md §4): per partition, the greatest
  // `watermark_column` value seen so far minus `watermark_delay`; the table's watermark is the
  // minimum over partitions that received a record within `idle_timeout` (idle_timeout =
  // '<duration>', default 1 minute, so that a silent partition does not hold it back).
  std::string watermark;       // as written ("event_ts - 5 seconds"); empty when none
  int watermark_column = -1;   // index into `columns` (a timestamp column), or -1
  Micros watermark_delay = 0;  // >= 0
  Micros idle_timeout = 60'000'000;
  Connector connector = Connector::kHttp;
  std::string location;  // connector = 'file': the file or directory read; empty otherwise
  // connector = 'postgres-cdc' (connect/postgres_cdc.h); all empty otherwise. The format is
  // then always debezium. `slot` and `publication` are PostgreSQL identifiers ([a-z_][a-z0-9_]*,
  // at most 63 bytes), by default "strata_" + the table name with '.' as '_'
  // ("strata_bronze_orders").
  std::string conninfo;      // libpq connection string or URI, as written (may hold a password)
  std::string source_table;  // "schema.table" or "table" (schema public), as PostgreSQL spells it
  std::string slot;
  std::string publication;
  // compatibility = 'backward' | 'forward' | 'full' | 'none': the schema registry's mode for
  // this table's schema changes (catalog/schema_registry.h).
  catalog::Compatibility compatibility = catalog::Compatibility::kBackward;
  SourceLocation defined_at;
};

// `conninfo` with the value of every password hidden, for plans, logs and messages:
// "host=db password=secret" → "host=db password=***", and in a URI
// "postgresql://app:secret@db/x?password=y" → "postgresql://app:***@db/x?password=***".
std::string MaskConninfo(std::string_view conninfo);

// --- silver ---

enum class OnViolation : uint8_t {
  kQuarantine,  // the row goes to <silver table>__quarantine with the constraint it broke
  kDrop,        // the row is counted and dropped
  kFail,        // the pipeline stops with an error naming the row and the constraint
};
const char* OnViolationName(OnViolation v);  // "quarantine", "drop", "fail"

enum class ConstraintKind : uint8_t { kNotNull, kCheck };

// An expectation a silver row must meet. NOT NULL comes from NOT NULL columns and from
// PRIMARY KEY columns; CHECK from CHECK (...) clauses (column or table level). A CHECK
// passes when its expression is TRUE or NULL (SQL's rule).
struct Constraint {
  std::string name;  // CHECK: as declared or PostgreSQL's generated name; NOT NULL:
                     // "<table>_<column>_not_null"
  ConstraintKind kind = ConstraintKind::kCheck;
  int column = -1;  // kNotNull: index into the silver columns
  BoundExpr check;  // kCheck: boolean, over the silver row
  std::string sql;  // "amount > 0", "order_id IS NOT NULL" (normalized)
};

// FROM silver.a [INNER | LEFT | RIGHT | FULL] JOIN silver.b ON ... in a gold view or a silver
// INSERT: an equi-join of two changelogs (exec/join.h). ON is split into its AND-ed conditions:
// each equality between an expression of a's columns only and one of b's only is a key pair; the
// others form the residual, a condition over the joined row. A row with a NULL key matches nothing
// (an outer join keeps it with NULLs for the other side).
struct JoinSpec {
  JoinType type = JoinType::kInner;
  std::string right;                  // "silver.customers"; the left input is the reader's source
  std::vector<BoundExpr> left_keys;   // over the left row; never empty
  std::vector<BoundExpr> right_keys;  // over the right row, each of its left key's type
  std::optional<BoundExpr> residual;  // boolean, over the joined row
  // The reader's WHERE conditions that read one side only and cannot fail, on a side an
  // outer join does not pad (e.g. a.category = 10): applied to that side's changes before
  // the join (boolean, over the left row and over the right row), so rows failing them are
  // neither kept nor joined; the reader's WHERE holds the rest.
  std::optional<BoundExpr> left_filter, right_filter;
  // The joined row: the left input's columns, then the right's (nullable on the side an
  // outer join pads with NULLs).
  std::vector<ColumnSchema> columns;
  size_t left_columns = 0;
  std::string left_qualifier;   // "o" (the alias, else the table's name)
  std::string right_qualifier;  // "c"
  std::string sql;              // "LEFT JOIN silver.customers AS c ON o.customer_id = c.id"

  // The joined row's columns as SQL, qualified: "o.order_id", ..., "c.id", ...
  std::vector<std::string> QualifiedNames() const;
  SourceLocation defined_at;  // the JOIN keyword
};

// One INSERT INTO silver.x SELECT ... FROM <source>: what feeds the silver table from one
// earlier node. The source is a bronze table (its records are decoded, then filtered and
// projected) or a silver table defined before x (its changelog is filtered and projected:
// a second cleanup stage), or two silver tables joined (FROM silver.a JOIN silver.b: the
// joined row's changelog, e.g. orders enriched with their customer).
struct SilverInput {
  std::string source;                  // "bronze.orders" or "silver.orders_raw"
  bool from_silver = false;            // the source is a silver table
  std::optional<JoinSpec> join;        // FROM source JOIN ...: the source's row is the joined row
  std::optional<BoundExpr> where;      // boolean, over the source's columns
  std::vector<BoundExpr> projections;  // one per silver column, of exactly its type
  std::string insert_sql;              // the normalized SELECT of the INSERT
  SourceLocation defined_at;           // the INSERT statement
};

// CREATE TABLE silver.x (...) WITH (...) plus the INSERT INTO silver.x SELECT ... statements
// that feed it (one or more; all from bronze tables, or exactly one from a silver table): per
// input, decode, filter, project (and cast) to the declared columns; then check the
// constraints and upsert by primary key, across every input (the primary key and
// dedupe_order decide between versions from different sources).
struct SilverTable {
  std::string name;  // "silver.orders"
  std::vector<ColumnSchema> columns;
  // Indexes into `columns`. Empty: no business key, every row is appended (no dedupe).
  // Otherwise an upsert: a new version of a key retracts the previous one. A table fed by
  // a silver table keeps its source's rows one for one (each change of the source is a
  // change of this table): its key must include the source's key columns as they are.
  std::vector<int> primary_key;
  // The column deciding which version of a key wins (the greatest; ties go to the later
  // record in log order), or -1: the later record in log order wins. Only with a key.
  int dedupe_order = -1;
  OnViolation on_violation = OnViolation::kQuarantine;
  std::vector<Constraint> constraints;  // NOT NULL ones first, in column order; then CHECKs
  std::string quarantine_table;         // "silver.orders__quarantine"

  std::vector<SilverInput> inputs;  // in the file's order; never empty once bound
  SourceLocation defined_at;

  bool from_silver() const { return inputs.size() == 1 && inputs[0].from_silver; }
};

// The schema of silver.x__quarantine, where rows that break a constraint (or bronze
// records that do not decode) go: reason text, constraint_name text, source_table text,
// partition bigint, offset bigint, schema_version bigint, payload text.
const std::vector<ColumnSchema>& QuarantineColumns();
inline constexpr std::string_view kQuarantineSuffix = "__quarantine";
std::string QuarantineTableName(std::string_view silver_table);

// --- gold ---

enum class Serving : uint8_t { kKappa, kLambda };
const char* ServingName(Serving s);  // "kappa", "lambda"

// An event-time window of a gold view (DESIGN.md §4), from a GROUP BY item
//   tumble(<time>, '<size>')            windows [k·size, (k+1)·size)
//   hop(<time>, '<size>', '<slide>')    windows [k·slide, k·slide + size) holding the time
//   session(<time>, '<gap>')            per group, the maximal runs of rows whose times are
//                                       less than gap apart: [first, last + gap)
// Each silver row is assigned its window(s) and extended with two columns, window_start and
// window_end (of the time's type), which the GROUP BY item stands for: the view's group keys,
// aggregates and outputs read this "windowed row" (the silver columns, then the two).
enum class WindowKind : uint8_t { kTumble, kHop, kSession };
const char* WindowKindName(WindowKind kind);  // "tumble", "hop", "session"

struct WindowSpec {
  WindowKind kind = WindowKind::kTumble;
  BoundExpr time;        // over the silver row; timestamp
  Micros size = 0;       // tumble, hop
  Micros slide = 0;      // hop (size is a multiple of slide)
  Micros gap = 0;        // session
  int start_column = 0;  // window_start's index in the windowed row (= silver columns)
  int end_column = 1;    // window_end's
  std::string sql;       // "tumble(event_ts, '1 minute')"
};

// The schema of gold.x__late, where a windowed view's late records go (DESIGN.md §4): reason
// text, source_table text, partition bigint, offset bigint, event_time timestamp, watermark
// timestamp (the record's partition watermark when it arrived), window_start timestamp,
// window_end timestamp.
const std::vector<ColumnSchema>& LateColumns();
inline constexpr std::string_view kLateSuffix = "__late";

// An output column of a SELECT with its expression.
struct OutputColumn {
  std::string name;
  BoundExpr expr;
  Type type;
};

// CREATE MATERIALIZED VIEW gold.x WITH (...) AS SELECT ... FROM silver.y [WHERE]
// [GROUP BY]: a keyed, versioned aggregate of a silver table, or of a gold view defined
// before it (FROM gold.y: its changelog, e.g. daily revenue from hourly revenue; no
// event-time window then). The key is the group keys. Below, "the silver row" is the
// source's row: a gold source's row is its output columns.
struct GoldView {
  std::string name;         // "gold.revenue_hourly"
  std::string owner;        // empty when not declared
  std::string description;  // what the product is, for its consumers; empty when not declared
  Micros freshness = 0;     // the freshness objective; 0 when not declared
  Serving serving = Serving::kKappa;
  Micros batch_every = 0;  // Lambda: how often the batch view is recomputed; 0 for Kappa

  std::string source;      // "silver.orders" or "gold.revenue_hourly"
  bool from_gold = false;  // the source is a gold view
  // FROM source JOIN ...: "the silver row" is then the joined row (join->columns).
  std::optional<JoinSpec> join;
  std::optional<BoundExpr> where;  // boolean, over the silver row
  // With a window, group keys and aggregate arguments read the windowed row (see
  // WindowSpec); a record whose window closed (its end plus allowed_lateness at or before
  // its partition's watermark when it arrived) is late: it goes to `late_table`.
  std::optional<WindowSpec> window;
  Micros allowed_lateness = 0;
  std::string late_table;                  // "gold.x__late" with a window; empty otherwise
  std::vector<BoundExpr> group_keys;       // over the silver row; empty: one global group
  std::vector<BoundAggregate> aggregates;  // arguments over the silver row; no duplicates
  std::vector<OutputColumn> outputs;       // over the aggregate row
  std::vector<ColumnSchema> columns;       // the view's schema: outputs' names and types
  // The normalized SELECT (ast ToString: independent of spelling, case, comments and white
  // space), for the logic hash of a version.
  std::string sql;
  SourceLocation defined_at;
};

// A whole pipeline, a graph in dependency order: every silver table reads bronze tables or
// one earlier silver table, every gold view a silver table (or two, joined) or an earlier
// gold view; within a layer, tables keep the order of the file, so a node always comes after
// what it reads.
struct Pipeline {
  std::vector<BronzeTable> bronze;
  std::vector<SilverTable> silver;
  std::vector<GoldView> gold;
  // What `strata check` warns about, each "file:line:column: sentence" (a join whose state
  // grows without limit).
  std::vector<std::string> warnings;

  const BronzeTable* FindBronze(std::string_view name) const;  // null when absent
  const SilverTable* FindSilver(std::string_view name) const;
  const GoldView* FindGold(std::string_view name) const;
  // The columns of a silver table or gold view (the row a reader of it sees); null otherwise.
  const std::vector<ColumnSchema>* FindNodeColumns(std::string_view name) const;
  // `table` and every node it reads, directly or through other nodes, in no set order.
  std::vector<std::string> Upstream(std::string_view table) const;
  // The row a gold view's WHERE, window, group keys and aggregates read: its source's
  // columns, or the joined row.
  const std::vector<ColumnSchema>& InputColumns(const GoldView& view) const;
  // The row a silver input's WHERE and projections read: its source's columns, or the
  // joined row.
  const std::vector<ColumnSchema>& InputColumns(const SilverInput& input) const;
  // A silver table fed by a join that `table` is or reads (directly or through other
  // nodes); null when there is none.
  const SilverTable* JoinedUpstream(std::string_view table) const;
  // The bronze tables whose records reach `table` (a silver table or gold view), through
  // every path of the graph, in the pipeline's order; empty for another name.
  std::vector<std::string> BronzeSources(std::string_view table) const;
  // The columns of any table a query can read ("bronze.x", "silver.x",
  // "silver.x__quarantine", "gold.x", "gold.x__late"); null when there is none.
  const std::vector<ColumnSchema>* FindColumns(std::string_view name) const;
};

// --- queries (`strata query`) ---

struct SortKey {
  int column = 0;  // index into BoundQuery::outputs (possibly a hidden one)
  bool descending = false;
  bool nulls_first = false;
};

// SELECT ... FROM one table, bound. Without aggregation, `outputs` read the table's row;
// with it (`aggregated`: GROUP BY, an aggregate function or HAVING), the rows are grouped
// by `group_keys`, and `having` and `outputs` read the aggregate row (group key values, then
// aggregate results), as in a gold view.
//
// Evaluation: filter by `where`, group if aggregated (then filter by `having`), compute every
// output, sort by `order_by`, apply offset and limit, and return the first `visible`
// outputs. Outputs past `visible` exist only for ORDER BY (ORDER BY x where x is not
// selected).
struct BoundQuery {
  std::string table;  // "gold.revenue_hourly"
  // AS OF VERSION n / TIMESTAMP t: answer from a stored version (serve/), not the live one.
  std::optional<uint64_t> as_of_version;
  std::optional<Micros> as_of_timestamp;
  std::optional<BoundExpr> where;
  bool aggregated = false;
  std::vector<BoundExpr> group_keys;
  std::vector<BoundAggregate> aggregates;
  std::optional<BoundExpr> having;
  std::vector<OutputColumn> outputs;
  size_t visible = 0;
  std::vector<SortKey> order_by;
  std::optional<int64_t> limit;  // none: all rows
  int64_t offset = 0;
};

// A bound expression as SQL, with `column_names[i]` for column i (an index beyond the names
// prints as "#i"), each quoted as an identifier unless `quote_names` is false (names that are
// SQL already, as JoinSpec::QualifiedNames): for plans and messages, not for parsing back.
std::string FormatBoundExpr(const BoundExpr& expr, std::span<const std::string> column_names,
                            bool quote_names = true);
// "sum(DISTINCT amount)", "count(*)".
std::string FormatBoundAggregate(const BoundAggregate& agg,
                                 std::span<const std::string> column_names,
                                 bool quote_names = true);

}  // namespace strata::sql
