#include "catalog/schema_registry.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>

#include "common/json_writer.h"

namespace strata::catalog {
namespace {

constexpr const char* kModeNames[] = {"BACKWARD", "FORWARD", "FULL", "NONE"};

bool Allows(Compatibility mode, bool backward_ok, bool forward_ok) {
  switch (mode) {
    case Compatibility::kBackward:
      return backward_ok;
    case Compatibility::kForward:
      return forward_ok;
    case Compatibility::kFull:
      return backward_ok && forward_ok;
    case Compatibility::kNone:
      return true;
  }
  return false;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

const char* CompatibilityName(Compatibility mode) {
  return kModeNames[static_cast<int>(mode)];
}

Result<Compatibility> ParseCompatibility(std::string_view name) {
  std::string upper(name);
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (int i = 0; i < 4; ++i) {
    if (upper == kModeNames[i]) return static_cast<Compatibility>(i);
  }
  return Status::InvalidArgument("unknown compatibility '" + std::string(name) +
                                 "' (expected backward, forward, full or none)");
}

const SchemaColumn* SchemaVersion::Find(std::string_view column) const {
  for (const SchemaColumn& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

const SchemaVersion* SchemaHistory::Find(uint32_t version) const {
  if (version == 0 || version > versions.size()) return nullptr;
  return &versions[version - 1];
}

const SchemaVersion& SchemaHistory::Append(std::vector<SchemaColumn> columns, std::string source,
                                           Micros created) {
  SchemaVersion v;
  v.version = static_cast<uint32_t>(versions.size() + 1);
  v.created = created;
  v.source = std::move(source);
  if (!versions.empty()) {
    CompatibilityResult r = Compatible(versions.back().columns, columns, compatibility);
    v.compatible = r.compatible;
    v.change = std::move(r.change);
  }
  v.columns = std::move(columns);
  versions.push_back(std::move(v));
  return versions.back();
}

CompatibilityResult Compatible(const std::vector<SchemaColumn>& before,
                               const std::vector<SchemaColumn>& after, Compatibility mode) {
  CompatibilityResult result;
  auto note = [&](std::string what, bool backward_ok, bool forward_ok) {
    const bool ok = Allows(mode, backward_ok, forward_ok);
    if (!ok) {
      result.compatible = false;
      what += std::string(" (refused by ") + CompatibilityName(mode) + ")";
    }
    result.change += (result.change.empty() ? "" : "; ") + what;
  };
  auto find = [](const std::vector<SchemaColumn>& cols, const std::string& name) {
    auto it = std::find_if(cols.begin(), cols.end(),
                           [&](const SchemaColumn& c) { return c.name == name; });
    return it == cols.end() ? nullptr : &*it;
  };
  for (const SchemaColumn& old : before) {
    const SchemaColumn* now = find(after, old.name);
    if (now == nullptr) {
      // New readers ignore it (backward); old readers miss it unless it may be null.
      note(std::string("dropped ") + (old.nullable ? "nullable" : "NOT NULL") + " column " +
               old.name,
           true, old.nullable);
    } else if (now->type != old.type) {
      note("column " + old.name + " changed type from " + old.type + " to " + now->type, false,
           false);
    } else if (now->nullable != old.nullable) {
      // NOT NULL → nullable: old readers may meet nulls; nullable → NOT NULL: new readers may.
      note("column " + old.name + " became " + (now->nullable ? "nullable" : "NOT NULL"),
           now->nullable, !now->nullable);
    }
  }
  for (const SchemaColumn& now : after) {
    if (find(before, now.name) != nullptr) continue;
    // Old data has no value for it: new readers need it to be nullable; old readers ignore it.
    note(std::string("added ") + (now.nullable ? "nullable" : "NOT NULL") + " column " + now.name,
         now.nullable, true);
  }
  return result;
}

bool Readable(std::string_view type, const Type& declared) {
  const bool integer = type == "smallint" || type == "integer" || type == "bigint" || type == "oid";
  const bool number =
      integer || type == "real" || type == "double precision" || StartsWith(type, "numeric");
  switch (declared.id) {
    case TypeId::kBigint:
      return integer;
    case TypeId::kNumeric:
    case TypeId::kDouble:
      return number;
    case TypeId::kBoolean:
      return type == "boolean";
    case TypeId::kTimestamp:
      return StartsWith(type, "timestamp");
    case TypeId::kDate:
      return type == "date";
    case TypeId::kText:
      return !number && type != "boolean";
  }
  return false;
}

std::string EncodeSchemaHistory(const SchemaHistory& history) {
  std::string out = "{\"table\":";
  AppendJsonString(&out, history.table);
  out += ",\"compatibility\":";
  AppendJsonString(&out, CompatibilityName(history.compatibility));
  out += ",\"versions\":[";
  for (size_t v = 0; v < history.versions.size(); ++v) {
    const SchemaVersion& sv = history.versions[v];
    out += v > 0 ? ",\n" : "\n";
    out += "{\"version\":" + std::to_string(sv.version) +
           ",\"created\":" + std::to_string(sv.created) + ",\"source\":";
    AppendJsonString(&out, sv.source);
    out += std::string(",\"compatible\":") + (sv.compatible ? "true" : "false") + ",\"change\":";
    AppendJsonString(&out, sv.change);
    out += ",\"columns\":[";
    for (size_t c = 0; c < sv.columns.size(); ++c) {
      const SchemaColumn& col = sv.columns[c];
      if (c > 0) out += ',';
      out += "{\"name\":";
      AppendJsonString(&out, col.name);
      out += ",\"type\":";
      AppendJsonString(&out, col.type);
      out += std::string(",\"nullable\":") + (col.nullable ? "true" : "false") +
             ",\"key\":" + (col.key ? "true" : "false") +
             ",\"type_oid\":" + std::to_string(col.type_oid) +
             ",\"type_modifier\":" + std::to_string(col.type_modifier) + "}";
    }
    out += "]}";
  }
  return out + "]}\n";
}

Result<SchemaHistory> DecodeSchemaHistory(std::string_view text, const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  simdjson::dom::array versions;
  std::string_view table, mode;
  auto bad = [&](std::string_view why) {
    return Status::Corruption(path + ": not a schema history: " + std::string(why));
  };
  if (parser.parse(padded).get(root) || root["versions"].get_array().get(versions) ||
      root["table"].get_string().get(table) || root["compatibility"].get_string().get(mode)) {
    return bad("expected an object with \"table\", \"compatibility\" and \"versions\"");
  }
  SchemaHistory out;
  out.table = table;
  auto parsed = ParseCompatibility(mode);
  if (!parsed.ok()) return bad(parsed.status().message());
  out.compatibility = *parsed;
  for (simdjson::dom::element v : versions) {
    SchemaVersion sv;
    uint64_t number = 0;
    int64_t created = 0;
    std::string_view source, change;
    simdjson::dom::array columns;
    if (v["version"].get_uint64().get(number) || v["created"].get_int64().get(created) ||
        v["source"].get_string().get(source) || v["compatible"].get_bool().get(sv.compatible) ||
        v["change"].get_string().get(change) || v["columns"].get_array().get(columns)) {
      return bad("a version is incomplete");
    }
    if (number != out.versions.size() + 1) return bad("versions not numbered 1, 2, ...");
    sv.version = static_cast<uint32_t>(number);
    sv.created = created;
    sv.source = source;
    sv.change = change;
    for (simdjson::dom::element c : columns) {
      SchemaColumn col;
      std::string_view name, type;
      uint64_t oid = 0;
      int64_t modifier = 0;
      if (c["name"].get_string().get(name) || c["type"].get_string().get(type) ||
          c["nullable"].get_bool().get(col.nullable) || c["key"].get_bool().get(col.key) ||
          c["type_oid"].get_uint64().get(oid) || c["type_modifier"].get_int64().get(modifier)) {
        return bad("a column of version " + std::to_string(number) + " is incomplete");
      }
      col.name = name;
      col.type = type;
      col.type_oid = static_cast<uint32_t>(oid);
      col.type_modifier = static_cast<int32_t>(modifier);
      sv.columns.push_back(std::move(col));
    }
    out.versions.push_back(std::move(sv));
  }
  return out;
}

Result<std::optional<SchemaHistory>> LoadSchemaHistory(FileSystem* fs, const std::string& path) {
  if (!fs->Exists(path)) return std::optional<SchemaHistory>();
  std::string text;
  RETURN_IF_ERROR(fs->ReadFile(path, &text));
  ASSIGN_OR_RETURN(SchemaHistory history, DecodeSchemaHistory(text, path));
  return std::optional<SchemaHistory>(std::move(history));
}

Status SaveSchemaHistory(FileSystem* fs, const std::string& path, const SchemaHistory& history) {
  RETURN_IF_ERROR(fs->CreateDirs(DirName(path)));
  return fs->WriteFileAtomic(path, EncodeSchemaHistory(history));
}

}  // namespace strata::catalog
