// The schema versions of a CDC source table, and the small file that keeps them.
//
// Version 1 is the table's columns when its initial snapshot was taken. Each time the
// replication stream describes the table (a pgoutput Relation message: sent before the
// first change of every session and after every ALTER TABLE that the decoded changes
// follow) with columns that differ from the latest version's (a name, type or type
// modifier added, dropped or changed), the next version begins. Every record carries the
// number of the version that describes it.
//
// The history file lets a restarted connector continue the numbering: it is replaced
// atomically (FileSystem::WriteFileAtomic) before the first record of a new version is
// appended, so a stored record never refers to a version that the file lacks.
//
//   {"table":"public.orders","versions":[{"version":1,"columns":[
//     {"name":"id","type_oid":23,"type_modifier":-1,"key":true}, ...]}, ...]}
//
// (The schema registry of src/catalog is meant to take over this role.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_system.h"
#include "common/status.h"

namespace strata::connect {

struct PgColumn {
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
  bool key = false;  // part of the source table's primary key

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

std::string EncodeSchemaHistory(std::string_view table, const std::vector<SchemaVersion>& versions);
// Corruption naming `path` when the text is not a history.
Result<std::vector<SchemaVersion>> DecodeSchemaHistory(std::string_view text,
                                                       const std::string& path);

// Reads the history file; nullopt when it does not exist.
Result<std::optional<std::vector<SchemaVersion>>> LoadSchemaHistory(FileSystem* fs,
                                                                    const std::string& path);
Status SaveSchemaHistory(FileSystem* fs, const std::string& path, std::string_view table,
                         const std::vector<SchemaVersion>& versions);

}  // namespace strata::connect
