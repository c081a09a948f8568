#include "runtime/schema_guard.h"

#include "common/filename.h"

#include <set>

namespace strata::runtime {
namespace {

void CollectColumns(const sql::BoundExpr& e, std::set<int>* out) {
  if (e.kind == sql::BoundKind::kColumn) out->insert(e.column);
  for (const sql::BoundExpr& child : e.children)
    CollectColumns(child, out);
}

// The bronze columns `silver` reads: in its WHERE and its SELECT list.
// The bronze columns an input of a silver table reads.
std::set<int> ReadColumns(const sql::SilverInput& input) {
  std::set<int> columns;
  if (input.where) CollectColumns(*input.where, &columns);
  for (const sql::BoundExpr& p : input.projections)
    CollectColumns(p, &columns);
  return columns;
}

bool ReadableIn(const catalog::SchemaVersion& v, const sql::ColumnSchema& column) {
  const catalog::SchemaColumn* c = v.Find(column.name);
  return c != nullptr && catalog::Readable(c->type, column.type);
}

}  // namespace

SchemaGuard::SchemaGuard(std::string data_dir, const sql::Pipeline& plan)
    : data_dir_(std::move(data_dir)), plan_(plan) {}

size_t SchemaGuard::Admit(const sql::BronzeTable& bronze, std::span<const log::RecordView> records,
                          Status* refusal) {
  if (bronze.connector != sql::Connector::kPostgresCdc) return records.size();
  for (size_t i = 0; i < records.size(); ++i) {
    const uint32_t version = records[i].schema_version;
    if (version <= 1) continue;
    auto key = std::make_pair(bronze.name, version);
    auto it = verdicts_.find(key);
    if (it == verdicts_.end()) it = verdicts_.emplace(key, Check(bronze, version)).first;
    if (!it->second.ok()) {
      *refusal = it->second;
      return i;
    }
  }
  return records.size();
}

Status SchemaGuard::Check(const sql::BronzeTable& bronze, uint32_t version) {
  const std::string path = filename::SchemaHistory(data_dir_, bronze.name);
  auto it = histories_.find(bronze.name);
  if (it == histories_.end() || it->second.Find(version) == nullptr) {
    ASSIGN_OR_RETURN(auto loaded, catalog::LoadSchemaHistory(FileSystem::Default(), path));
    if (!loaded) return Status::FailedPrecondition(path + " is missing");
    it = histories_.insert_or_assign(bronze.name, std::move(*loaded)).first;
  }
  const catalog::SchemaHistory& history = it->second;
  const catalog::SchemaVersion* now = history.Find(version);
  if (now == nullptr) {
    return Status::FailedPrecondition(bronze.name + ": a record of schema version " +
                                      std::to_string(version) + " is not in " + path);
  }
  for (const sql::SilverTable& silver : plan_.silver) {
    for (const sql::SilverInput& input : silver.inputs) {
      if (input.source != bronze.name) continue;
      RETURN_IF_ERROR(CheckReads(bronze, input, silver.name, history, version));
    }
  }
  return Status::OK();
}

Status SchemaGuard::CheckReads(const sql::BronzeTable& bronze, const sql::SilverInput& input,
                               const std::string& silver, const catalog::SchemaHistory& history,
                               uint32_t version) const {
  const catalog::SchemaVersion* now = history.Find(version);
  const catalog::SchemaVersion& first = history.versions.front();
  for (int index : ReadColumns(input)) {
    const sql::ColumnSchema& column = bronze.columns[index];
    if (!ReadableIn(first, column) || ReadableIn(*now, column)) continue;
    uint32_t last_good = version - 1;
    while (last_good > 1 && !ReadableIn(history.versions[last_good - 1], column))
      --last_good;
    const catalog::SchemaColumn* before = history.versions[last_good - 1].Find(column.name);
    const catalog::SchemaColumn* after = now->Find(column.name);
    std::string what =
        after == nullptr
            ? "dropped column " + column.name + " (" + before->type + ")"
            : "changed column " + column.name + " from " + before->type + " to " + after->type;
    return Status::FailedPrecondition(
        bronze.name + ": schema version " + std::to_string(version) + " of " + bronze.source_table +
        " " + what + " (version " + std::to_string(last_good) + " had it), which " + silver +
        " reads as " + column.type.ToString() + "; incompatible change, " + silver +
        " and its views stop here while bronze keeps ingesting, until the pipeline no longer "
        "reads " +
        column.name);
  }
  return Status::OK();
}

}  // namespace strata::runtime
