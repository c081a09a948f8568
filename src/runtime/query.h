// Answering `strata query` over the rows of one table (silver, gold or quarantine), with the
// same exec operators the pipeline uses: filter, group and aggregate, project, then sort and
// limit (sql::BoundQuery says in which order).
#pragma once

#include <string>
#include <vector>

#include "common/column.h"
#include "common/status.h"
#include "sql/plan.h"

namespace strata::runtime {

struct QueryResult {
  std::vector<std::string> names;
  std::vector<Type> types;
  Batch rows;  // one column per name; weights are all +1
};

// Evaluates `query` over `table_rows` (rows of query.table, weight = multiplicity).
Result<QueryResult> ExecuteQuery(const sql::BoundQuery& query, const Batch& table_rows);

// SQL's rule for an aggregate without GROUP BY: over no rows it still gives one row, with
// count(...) = 0 and every other aggregate NULL. Appends that row to `aggregated` (shaped
// as the aggregate's output: no group keys, one column per aggregate) when it is empty.
void AddEmptyGlobalGroup(const std::vector<sql::BoundAggregate>& aggregates, Batch* aggregated);

// Formats a result as an aligned text table (psql-like), JSON lines or CSV (RFC 4180).
std::string FormatTable(const QueryResult& result);
std::string FormatJsonLines(const QueryResult& result);
std::string FormatCsv(const QueryResult& result);

}  // namespace strata::runtime
