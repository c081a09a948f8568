// The schema versions of a CDC source table, and the small file that keeps them.
//
// Version 1 is the table's columns when its initial snapshot was taken. Each time the
// replication stream describes the table (a pgoutput Relation message: sent before the
// first change of every session and after every ALTER TABLE that the decoded changes
// follow) with columns that differ from the latest version's (a name, type or type
// modifier added, dropped or changed), the next version begins. Every record carries the
// number of the version that describes it.
//
// The history is kept by the schema registry (catalog/schema_registry.h), in its file: each
// version with its columns (name, PostgreSQL type text, nullable, and the oid, modifier and
// key flag needed to match later relation messages), when it was recorded and whether the
// change was compatible under the bronze table's mode. The file is replaced atomically
// before the first record of a new version is appended, so a stored record never refers to
// a version that the file lacks, and a restarted connector continues the numbering.
//
// Nullability: version 1 reads it from pg_attribute; relation messages do not carry it, so a
// later version keeps a column's nullability from the version before and takes a new column
// as nullable unless it is part of the primary key (ADD COLUMN ... NOT NULL is therefore seen
// as nullable).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/schema_registry.h"
#include "common/file_system.h"
#include "common/status.h"

namespace strata::connect {

struct PgColumn {
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
  bool key = false;  // part of the source table's primary key
  bool nullable = true;

  friend bool operator==(const PgColumn&, const PgColumn&) = default;
};

struct SchemaVersion {
  uint32_t version = 0;
  std::vector<PgColumn> columns;

  friend bool operator==(const SchemaVersion&, const SchemaVersion&) = default;
};

// Whether two column lists describe the same row layout (names, types and modifiers; the
// key flags are not compared).
bool SameColumns(const std::vector<PgColumn>& a, const std::vector<PgColumn>& b);

// PostgreSQL's name of a type ("integer", "numeric(12,2)", "character varying(20)"; "oid N"
// for types strata does not name).
std::string PgTypeName(uint32_t type_oid, int32_t type_modifier);

// Reads the registry file at `path`; nullopt when it does not exist.
Result<std::optional<std::vector<SchemaVersion>>> LoadSchemaHistory(FileSystem* fs,
                                                                    const std::string& path);
// Records `versions` in the registry file at `path` for bronze table `table`: the versions
// the file already holds keep their creation time and verdict (they must be a prefix of
// `versions`, else FailedPrecondition), later ones are appended now with their verdict under
// `mode`, which becomes the table's mode.
Status SaveSchemaHistory(FileSystem* fs, const std::string& path, std::string_view table,
                         const std::vector<SchemaVersion>& versions, catalog::Compatibility mode);

}  // namespace strata::connect
