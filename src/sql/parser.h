// The parse layer's entry points: SQL text → strata's AST (ast.h).
//
// The grammar is PostgreSQL 15's (libpg-query), so anything PostgreSQL cannot parse is a
// syntax error with PostgreSQL's message. Of what it parses, strata accepts the subset the
// AST can say: CREATE TABLE, INSERT INTO ... SELECT and CREATE MATERIALIZED VIEW ... AS
// SELECT, where a SELECT reads one table or the join of two with ON (no subqueries, set
// operations, CTEs, window functions, DISTINCT ON, USING, NATURAL or CROSS joins, nor joins of
// more than two tables). Everything else is rejected with "... is not supported".
//
// Errors are Status::InvalidArgument with one located sentence,
//   "orders.sql:3:10: syntax error at or near \"FORM\"",
// where the line and column are 1-based and columns count UTF-8 characters. Text must be
// UTF-8 without NUL bytes (rejected, located, otherwise). Comments and white space never
// shift a location.
//
// Thread-safe: any number of threads may parse at once. Deeply nested input is refused with
// an error, never a crash: expressions nest at most 1000 levels (so code that walks the
// tree recursively may rely on that bound), and texts over 512 bytes are parsed on a helper
// thread whose stack is sized for them (~0.3 ms extra). Shorter texts are parsed on the
// calling thread and need up to ~0.5 MiB of its stack.
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"
#include "sql/ast.h"

namespace strata::sql {

// Parses a pipeline file: statements separated by ';' (the last one may omit it). Locations
// name `file_name`. An empty file (or one holding only comments) has no statements.
Result<std::vector<Statement>> ParsePipeline(std::string_view text, std::string_view file_name);

// Parses one SELECT (`strata query`); a trailing ';' is allowed. Locations name `source_name`.
Result<Select> ParseQuery(std::string_view sql, std::string_view source_name = "query");

}  // namespace strata::sql
