// `strata schemas --data DIR TABLE [--json]`: a bronze table's schema history from the
// schema registry (catalog/schema_registry.h).
#include <cstdio>

#include "api/pipeline_commands.h"
#include "catalog/schema_registry.h"
#include "common/clock.h"
#include "common/file_system.h"
#include "common/filename.h"

namespace strata::api {
namespace {

std::string ColumnsText(const catalog::SchemaVersion& v) {
  std::string out;
  for (const catalog::SchemaColumn& c : v.columns) {
    out += "    " + c.name + " " + c.type + (c.nullable ? "" : " NOT NULL") +
           (c.key ? " (key)" : "") + "\n";
  }
  return out;
}

std::string HistoryText(const catalog::SchemaHistory& h) {
  std::string out = h.table + ": " + std::to_string(h.versions.size()) +
                    " schema version(s), compatibility " +
                    catalog::CompatibilityName(h.compatibility) + "\n";
  for (const catalog::SchemaVersion& v : h.versions) {
    out += "version " + std::to_string(v.version) + "  " + FormatTimestamp(v.created) + "  " +
           v.source;
    if (v.version > 1) {
      out += std::string("  ") + (v.compatible ? "compatible" : "INCOMPATIBLE") + ": " +
             (v.change.empty() ? "no column change" : v.change);
    }
    out += "\n" + ColumnsText(v);
  }
  return out;
}

}  // namespace

int RunSchemas(const SchemasArgs& a) {
  const std::string path = filename::SchemaHistory(a.data, a.table);
  auto history = catalog::LoadSchemaHistory(FileSystem::Default(), path);
  if (!history.ok()) {
    std::fprintf(stderr, "strata: error: %s\n", history.status().ToString().c_str());
    return 1;
  }
  if (!*history) {
    std::fprintf(stderr,
                 "strata: error: %s has no schema history for %s (only postgres-cdc bronze "
                 "tables record one, from their first snapshot on)\n",
                 a.data.c_str(), a.table.c_str());
    return 1;
  }
  const std::string text =
      a.json ? catalog::EncodeSchemaHistory(**history) : HistoryText(**history);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace strata::api
