#include "connect/cdc_schema.h"

#include <simdjson.h>

#include "common/json_writer.h"

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

std::string EncodeSchemaHistory(std::string_view table,
                                const std::vector<SchemaVersion>& versions) {
  std::string out = "{\"table\":";
  AppendJsonString(&out, table);
  out += ",\"versions\":[";
  for (size_t v = 0; v < versions.size(); ++v) {
    if (v > 0) out += ',';
    out += "{\"version\":" + std::to_string(versions[v].version) + ",\"columns\":[";
    for (size_t c = 0; c < versions[v].columns.size(); ++c) {
      const PgColumn& col = versions[v].columns[c];
      if (c > 0) out += ',';
      out += "{\"name\":";
      AppendJsonString(&out, col.name);
      out += ",\"type_oid\":" + std::to_string(col.type_oid) +
             ",\"type_modifier\":" + std::to_string(col.type_modifier) +
             ",\"key\":" + (col.key ? "true" : "false") + "}";
    }
    out += "]}";
  }
  return out + "]}\n";
}

Result<std::vector<SchemaVersion>> DecodeSchemaHistory(std::string_view text,
                                                       const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  simdjson::dom::array versions;
  auto bad = [&](std::string_view why) {
    return Status::Corruption(path + ": not a CDC schema history: " + std::string(why));
  };
  if (parser.parse(padded).get(root) || root["versions"].get_array().get(versions)) {
    return bad("expected an object with \"versions\"");
  }
  std::vector<SchemaVersion> out;
  for (simdjson::dom::element v : versions) {
    SchemaVersion sv;
    uint64_t number = 0;
    simdjson::dom::array columns;
    if (v["version"].get_uint64().get(number) || v["columns"].get_array().get(columns)) {
      return bad("a version lacks \"version\" or \"columns\"");
    }
    sv.version = static_cast<uint32_t>(number);
    for (simdjson::dom::element c : columns) {
      PgColumn col;
      std::string_view name;
      uint64_t oid = 0;
      int64_t modifier = 0;
      bool key = false;
      if (c["name"].get_string().get(name) || c["type_oid"].get_uint64().get(oid) ||
          c["type_modifier"].get_int64().get(modifier) || c["key"].get_bool().get(key)) {
        return bad("a column of version " + std::to_string(number) + " is incomplete");
      }
      col.name = name;
      col.type_oid = static_cast<uint32_t>(oid);
      col.type_modifier = static_cast<int32_t>(modifier);
      col.key = key;
      sv.columns.push_back(std::move(col));
    }
    if (!out.empty() && sv.version != out.back().version + 1) return bad("versions not in order");
    out.push_back(std::move(sv));
  }
  return out;
}

Result<std::optional<std::vector<SchemaVersion>>> LoadSchemaHistory(FileSystem* fs,
                                                                    const std::string& path) {
  if (!fs->Exists(path)) return std::optional<std::vector<SchemaVersion>>();
  std::string text;
  RETURN_IF_ERROR(fs->ReadFile(path, &text));
  ASSIGN_OR_RETURN(auto versions, DecodeSchemaHistory(text, path));
  return std::optional<std::vector<SchemaVersion>>(std::move(versions));
}

Status SaveSchemaHistory(FileSystem* fs, const std::string& path, std::string_view table,
                         const std::vector<SchemaVersion>& versions) {
  return fs->WriteFileAtomic(path, EncodeSchemaHistory(table, versions));
}

}  // namespace strata::connect
