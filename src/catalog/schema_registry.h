// The schema registry: per bronze table, the versions of the schema its records were
// written with, the table's compatibility mode, and the verdict on every change.
//
// A version is a list of columns (name, type as text, nullable) with where it came from
// ("postgres relation": a CDC connector saw the source table's columns change, see
// connect/cdc_schema.h; "declared": written by hand) and when it was recorded. Versions are
// numbered from 1 and only ever appended; a record of a bronze table carries the number of
// the version that describes it (log::RecordView::schema_version), and a version is stored
// here before the first record that refers to it, so a stored record never names a version
// that the registry lacks.
//
// Compatibility (the definitions of the Confluent Schema Registry, "Schema Evolution and
// Compatibility", docs.confluent.io/platform/current/schema-registry/fundamentals/
// schema-evolution.html; like its non-transitive modes, a new version is checked against
// the one before it only):
//
//   BACKWARD  readers of the new schema can read data written with the old one. Allowed:
//             drop a column, add a nullable column. Refused: add a NOT NULL column (old
//             data has no value for it), change a column's type, make a column NOT NULL.
//             The default, as in Confluent's registry.
//   FORWARD   readers of the old schema can read data written with the new one. Allowed:
//             add a column (nullable or not), drop a nullable column. Refused: drop a NOT
//             NULL column (old readers require it), change a type, make a column nullable.
//   FULL      both: add or drop nullable columns only.
//   NONE      every change is allowed.
//
// A type change is any change of the type text ("integer" to "bigint" included: no
// promotions are assumed). Column order does not matter; columns are matched by name.
//
// The verdict is recorded with each version (`compatible`, `change`). It informs: the
// pipeline itself is protected by runtime/schema_guard.h, which stops a path only when a
// column it reads is dropped or changes type, in every mode.
//
// The registry of table T lives in DATA/catalog/T.schemas (filename::SchemaHistory), a JSON
// document replaced atomically (write temp, fsync, rename, fsync dir) on every change:
//
//   {"table":"bronze.orders","compatibility":"BACKWARD","versions":[{"version":1,
//    "created":1767225600000000,"source":"postgres relation","compatible":true,"change":"",
//    "columns":[{"name":"id","type":"integer","nullable":false,"key":true,
//                "type_oid":23,"type_modifier":-1}, ...]}, ...]}
//
// `key`, `type_oid` and `type_modifier` are the source's details (a PostgreSQL column's
// primary key membership, type oid and modifier), kept so that the CDC connector can match
// later relation messages; they do not enter the compatibility rules.
//
// Plain data and pure functions, thread-safe; the file functions go through FileSystem.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/file_system.h"
#include "common/status.h"
#include "common/types.h"

namespace strata::catalog {

enum class Compatibility : uint8_t { kBackward, kForward, kFull, kNone };
const char* CompatibilityName(Compatibility mode);  // "BACKWARD", "FORWARD", "FULL", "NONE"
// Case-insensitive; InvalidArgument listing the modes otherwise.
Result<Compatibility> ParseCompatibility(std::string_view name);

inline constexpr char kSourcePostgresRelation[] = "postgres relation";
inline constexpr char kSourceDeclared[] = "declared";

struct SchemaColumn {
  std::string name;
  std::string type;  // as the source spells it: "integer", "numeric(12,2)", "text"
  bool nullable = true;
  // Source details (see above).
  bool key = false;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;

  friend bool operator==(const SchemaColumn&, const SchemaColumn&) = default;
};

struct SchemaVersion {
  uint32_t version = 0;
  Micros created = 0;  // wall clock, microseconds since the epoch
  std::string source;  // kSourcePostgresRelation or kSourceDeclared
  std::vector<SchemaColumn> columns;
  // Against the version before, under the mode in force when this one was recorded
  // (always true for version 1); `change` says what changed, in one line.
  bool compatible = true;
  std::string change;

  const SchemaColumn* Find(std::string_view column) const;  // null when absent
};

struct SchemaHistory {
  std::string table;  // "bronze.orders"
  Compatibility compatibility = Compatibility::kBackward;
  std::vector<SchemaVersion> versions;  // version i + 1 at index i

  const SchemaVersion* Find(uint32_t version) const;  // null when absent
  // Appends `columns` as the next version with its verdict against the last one.
  const SchemaVersion& Append(std::vector<SchemaColumn> columns, std::string source,
                              Micros created);
};

// The verdict on changing `before` into `after` under `mode`.
struct CompatibilityResult {
  bool compatible = true;
  // Every difference, "; "-separated, each naming the column and whether the mode allows
  // it: "added nullable column note", "dropped NOT NULL column qty (refused by FORWARD)",
  // "column amount changed type from integer to text (refused by BACKWARD)". Empty when the
  // columns are the same.
  std::string change;
};
CompatibilityResult Compatible(const std::vector<SchemaColumn>& before,
                               const std::vector<SchemaColumn>& after, Compatibility mode);

// Whether a value of a source column of type `type` (as PostgreSQL spells it, see
// connect/cdc_schema.h) decodes into a bronze column declared `declared` (format/decoder.h):
// integers into bigint, numeric or double precision; floats and numeric into numeric or
// double precision; boolean into boolean; timestamps and dates into their type or text;
// everything else (text, varchar, json, ...) into text only.
bool Readable(std::string_view type, const Type& declared);

std::string EncodeSchemaHistory(const SchemaHistory& history);
// Corruption naming `path` when the text is not a history.
Result<SchemaHistory> DecodeSchemaHistory(std::string_view text, const std::string& path);
// nullopt when the file does not exist.
Result<std::optional<SchemaHistory>> LoadSchemaHistory(FileSystem* fs, const std::string& path);
// Atomic replace; creates the directory when absent.
Status SaveSchemaHistory(FileSystem* fs, const std::string& path, const SchemaHistory& history);

}  // namespace strata::catalog
