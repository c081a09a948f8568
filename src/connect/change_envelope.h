// How a decoded PostgreSQL row becomes strata's change envelope and record key (the format
// is described in postgres_cdc.h). Pure and thread-safe once built.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "connect/cdc_schema.h"
#include "connect/lsn.h"
#include "connect/pgoutput.h"

namespace strata::connect {

// The columns of one schema version and where its key columns are.
class RowFormat {
 public:
  RowFormat() = default;
  // `key_columns` names the key in key order (columns absent from `columns` are skipped).
  RowFormat(std::vector<PgColumn> columns, const std::vector<std::string>& key_columns);

  const std::vector<PgColumn>& columns() const { return columns_; }
  bool keyed() const { return !key_index_.empty(); }

  // Appends {"col": value, ...} of `tuple` (one value per column), or of its key columns
  // only. An unchanged TOAST value is taken from `old` (a whole old row) when it has it,
  // else omitted and its column appended to *omitted (when given).
  void AppendRow(std::string* out, const pgoutput::Tuple& tuple, bool key_only,
                 const pgoutput::Tuple* old, std::vector<std::string>* omitted) const;
  // The record key: one column's value as text (pg_value.h AppendPgValueKey), several as a
  // JSON array, "" without a key.
  std::string Key(const pgoutput::Tuple& tuple) const;

 private:
  std::vector<PgColumn> columns_;
  std::vector<int> key_index_;  // into columns_, in key order
};

// {"op":"<op>","before":<before>,"after":<after>,"source":<source>[,"unchanged_toast":[..]]}
std::string BuildEnvelope(char op, std::string_view before, std::string_view after,
                          std::string_view source, const std::vector<std::string>& omitted);
// {"connector":"postgres-cdc","lsn":"<lsn>",<fields>"schema":"..","table":".."}, where
// `fields` is empty or JSON members each followed by a comma.
std::string BuildSource(Lsn lsn, std::string_view fields, std::string_view schema,
                        std::string_view table);

}  // namespace strata::connect
