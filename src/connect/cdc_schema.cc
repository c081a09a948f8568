#include "connect/cdc_schema.h"

#include "common/clock.h"
#include "connect/pg_value.h"

namespace strata::connect {

bool SameColumns(const std::vector<PgColumn>& a, const std::vector<PgColumn>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].type_oid != b[i].type_oid ||
        a[i].type_modifier != b[i].type_modifier) {
      return false;
    }
  }
  return true;
}

std::string PgTypeName(uint32_t type_oid, int32_t type_modifier) {
  // A modifier is the declared length + 4 (varchar, bpchar) or ((precision << 16) | scale) + 4
  // (numeric); -1 when none was declared.
  const int32_t m = type_modifier - 4;
  switch (type_oid) {
    case pg_type::kBool:
      return "boolean";
    case pg_type::kInt2:
      return "smallint";
    case pg_type::kInt4:
      return "integer";
    case pg_type::kInt8:
      return "bigint";
    case pg_type::kOid:
      return "oid";
    case pg_type::kText:
      return "text";
    case pg_type::kJson:
      return "json";
    case pg_type::kJsonb:
      return "jsonb";
    case pg_type::kFloat4:
      return "real";
    case pg_type::kFloat8:
      return "double precision";
    case pg_type::kDate:
      return "date";
    case pg_type::kTimestamp:
      return "timestamp without time zone";
    case pg_type::kTimestamptz:
      return "timestamp with time zone";
    case pg_type::kBpchar:
      return type_modifier < 0 ? "character" : "character(" + std::to_string(m) + ")";
    case pg_type::kVarchar:
      return type_modifier < 0 ? "character varying"
                               : "character varying(" + std::to_string(m) + ")";
    case pg_type::kNumeric:
      return type_modifier < 0 ? "numeric"
                               : "numeric(" + std::to_string((m >> 16) & 0xffff) + "," +
                                     std::to_string(m & 0xffff) + ")";
    default:
      return "oid " + std::to_string(type_oid);
  }
}

Result<std::optional<std::vector<SchemaVersion>>> LoadSchemaHistory(FileSystem* fs,
                                                                    const std::string& path) {
  ASSIGN_OR_RETURN(auto history, catalog::LoadSchemaHistory(fs, path));
  if (!history) return std::optional<std::vector<SchemaVersion>>();
  std::vector<SchemaVersion> out;
  for (const catalog::SchemaVersion& v : history->versions) {
    SchemaVersion sv{v.version, {}};
    for (const catalog::SchemaColumn& c : v.columns)
      sv.columns.push_back({c.name, c.type_oid, c.type_modifier, c.key, c.nullable});
    out.push_back(std::move(sv));
  }
  return std::optional<std::vector<SchemaVersion>>(std::move(out));
}

Status SaveSchemaHistory(FileSystem* fs, const std::string& path, std::string_view table,
                         const std::vector<SchemaVersion>& versions, catalog::Compatibility mode) {
  ASSIGN_OR_RETURN(auto loaded, catalog::LoadSchemaHistory(fs, path));
  catalog::SchemaHistory history = loaded ? std::move(*loaded) : catalog::SchemaHistory();
  history.table = table;
  history.compatibility = mode;
  if (history.versions.size() > versions.size()) {
    return Status::FailedPrecondition(path + " holds " + std::to_string(history.versions.size()) +
                                      " schema versions of " + std::string(table) +
                                      ", more than the connector knows");
  }
  for (size_t i = history.versions.size(); i < versions.size(); ++i) {
    std::vector<catalog::SchemaColumn> columns;
    for (const PgColumn& c : versions[i].columns) {
      columns.push_back({c.name, PgTypeName(c.type_oid, c.type_modifier), c.nullable, c.key,
                         c.type_oid, c.type_modifier});
    }
    history.Append(std::move(columns), catalog::kSourcePostgresRelation, NowMicros());
  }
  return catalog::SaveSchemaHistory(fs, path, history);
}

}  // namespace strata::connect
