// The readers' snapshots (engine.h, "Readers").
#include <utility>

#include "serve/engine.h"
#include "serve/engine_lane.h"

namespace strata::serve {

std::shared_ptr<const Engine::Snapshot> Engine::FreshSnapshot(const std::string& table) const {
  absl::MutexLock lock(&snap_mu_);
  auto it = snapshots_.find(table);
  if (it == snapshots_.end() || it->second->generation != generation_.load()) return nullptr;
  read_since_built_.insert(table);
  return it->second;
}

Result<std::shared_ptr<const Engine::Snapshot>> Engine::CurrentSnapshot(
    const std::string& table) const {
  if (auto fresh = FreshSnapshot(table)) return fresh;
  absl::MutexLock lock(&mu_);
  // Another reader may have built it while this one waited.
  if (auto fresh = FreshSnapshot(table)) return fresh;
  ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snapshot,
                   BuildSnapshotLocked(table, generation_.load()));
  if (snapshot == nullptr) return snapshot;
  absl::MutexLock snap_lock(&snap_mu_);
  snapshots_[table] = snapshot;
  read_since_built_.insert(table);
  return snapshot;
}

Result<std::shared_ptr<const Engine::Snapshot>> Engine::BuildSnapshotLocked(
    const std::string& table, uint64_t generation) const {
  using Built = std::shared_ptr<const Snapshot>;
  if (main_->executor->SideSinkTable(table)) return Built();  // read from its side log
  // A Kappa view is answered by the lane serving it, with that lane's columns.
  const Lane* lane = main_.get();
  const sql::GoldView* g = main_->plan.FindGold(table);
  if (g != nullptr && g->serving == sql::Serving::kKappa) {
    ASSIGN_OR_RETURN(lane, ServingLaneLocked(table));
  }
  const std::vector<sql::ColumnSchema>* columns = lane->plan.FindColumns(table);
  if (columns == nullptr) return Built();
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->generation = generation;
  snapshot->columns = *columns;
  ASSIGN_OR_RETURN(snapshot->rows, LiveRowsLocked(table));
  return Built(std::move(snapshot));
}

void Engine::NewGenerationLocked() const {
  // The snapshots of the new generation are built first and swapped in with it, so a reader
  // sees either the old pair or the new one, never the new generation without its snapshots.
  const uint64_t next = generation_.load() + 1;
  std::set<std::string, std::less<>> wanted;
  {
    absl::MutexLock lock(&snap_mu_);
    wanted.swap(read_since_built_);
  }
  std::map<std::string, std::shared_ptr<const Snapshot>, std::less<>> built;
  for (const std::string& table : wanted) {
    // A table that cannot be built now is left to its next reader, who reports why.
    Result<std::shared_ptr<const Snapshot>> snapshot = BuildSnapshotLocked(table, next);
    if (snapshot.ok() && *snapshot != nullptr) built.emplace(table, std::move(*snapshot));
  }
  absl::MutexLock lock(&snap_mu_);
  generation_.store(next);
  snapshots_.swap(built);  // the stale ones nobody read go (their memory with them)
}

}  // namespace strata::serve
