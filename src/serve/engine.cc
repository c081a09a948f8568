// serve::Engine: opening a data directory, the lanes' steps, batch runs, queries and
// publishing. Replay, cutover and rollback are in engine_replay.cc, comparisons and drift
// in engine_diff.cc, status in engine_status.cc, checkpoints in engine_checkpoint.cc.
#include "serve/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include <simdjson.h>

#include "common/abort_point.h"
#include "common/datetime.h"
#include "common/file_system.h"
#include "common/filename.h"
#include "common/hash.h"
#include "common/json_writer.h"
#include "exec/row_codec.h"
#include "runtime/runner.h"
#include "serve/engine_lane.h"
#include "serve/lane_file.h"
#include "sql/binder.h"
#include "sql/parser.h"

namespace strata::serve {

using runtime::Offsets;
using runtime::PipelineExecutor;

// Kappa views reading views are served with their source: the view whose lane `view`
// follows is the first view of its chain (the one reading a silver table).
std::string ChainRoot(const sql::Pipeline& plan, std::string_view view) {
  const sql::GoldView* g = plan.FindGold(view);
  while (g != nullptr && g->from_gold)
    g = plan.FindGold(g->source);
  return g != nullptr ? g->name : std::string(view);
}

// The views reading `view`, directly or through other views, in the pipeline's order.
std::vector<std::string> ReadersOf(const sql::Pipeline& plan, std::string_view view) {
  std::vector<std::string> out;
  for (const auto& g : plan.gold) {
    const std::vector<std::string> up = plan.Upstream(g.name);
    if (g.name != view && std::find(up.begin(), up.end(), view) != up.end()) out.push_back(g.name);
  }
  return out;
}

// A serving command on a Kappa view that reads a view: it moves with its chain's root.
Status RefuseChainMember(const sql::Pipeline& plan, std::string_view view, std::string_view what) {
  const std::string root = ChainRoot(plan, view);
  if (root == view) return Status::OK();
  return Status::InvalidArgument(std::string(view) + " reads " + plan.FindGold(view)->source +
                                 " and is served with " + root + ": " + std::string(what) + " " +
                                 root +
                                 " instead (a replay computes every view of the SQL it is "
                                 "given; a cutover or rollback moves a view's readers with it)");
}

Result<Offsets> EndOffsets(log::Store* store, const sql::Pipeline& plan) {
  Offsets out;
  for (const auto& b : plan.bronze) {
    ASSIGN_OR_RETURN(log::Table * table, store->GetTable(b.name));
    auto& v = out[b.name];
    for (uint32_t p = 0; p < table->partition_count(); ++p)
      v.push_back(table->partition(p).end_offset());
  }
  return out;
}

Offsets Uniform(const sql::Pipeline& plan, uint64_t offset) {
  Offsets out;
  for (const auto& b : plan.bronze)
    out[b.name].assign(b.partitions, offset);
  return out;
}

uint64_t Total(const Offsets& o) {
  uint64_t n = 0;
  for (const auto& [t, v] : o) {
    for (uint64_t x : v)
      n += x;
  }
  return n;
}

Engine::Engine(log::Store* store, std::string data_dir, EngineOptions options)
    : store_(store),
      data_dir_(std::move(data_dir)),
      options_(options),
      side_(std::make_unique<SideLog>(store)),
      fs_(options.fs != nullptr ? options.fs : FileSystem::Default()) {}

Engine::~Engine() {
  if (pinned_) store_->SetRetentionPin(nullptr);
}

const sql::Pipeline& Engine::plan() const {
  return *plan_;
}

std::string Engine::LaneDir() const {
  return filename::LanesDir(data_dir_);
}

Status Engine::RequireWritable() const {
  if (store_->read_only()) {
    return Status::FailedPrecondition(
        "the data directory is open read-only (another strata process owns it); use --server "
        "to ask that process");
  }
  return Status::OK();
}

Result<std::unique_ptr<Engine>> Engine::Open(log::Store* store, std::string data_dir,
                                             std::string sql_text, std::string sql_name,
                                             EngineOptions options) {
  std::unique_ptr<Engine> e(new Engine(store, std::move(data_dir), options));
  ASSIGN_OR_RETURN(e->versions_, VersionStore::Open(e->fs_, filename::ViewsDir(e->data_dir_)));
  RETURN_IF_ERROR(e->Restore(std::move(sql_text), std::move(sql_name)));
  return e;
}

Result<std::unique_ptr<Engine::Lane>> Engine::MakeLane(std::string name, std::string sql_text,
                                                       std::string sql_name) const {
  auto lane = std::make_unique<Lane>();
  lane->name = std::move(name);
  lane->sql_text = std::move(sql_text);
  lane->sql_name = std::move(sql_name);
  ASSIGN_OR_RETURN(lane->plan, runtime::LoadPipeline(lane->sql_text, lane->sql_name));
  for (const auto& b : lane->plan.bronze) {
    if (!store_->GetTable(b.name).ok()) {
      return Status::FailedPrecondition("bronze table " + b.name + " of " + lane->sql_name +
                                        " does not exist in the data directory");
    }
  }
  ASSIGN_OR_RETURN(lane->executor, MakeExecutor(lane->plan));
  return lane;
}

Result<std::unique_ptr<PipelineExecutor>> Engine::MakeExecutor(const sql::Pipeline& plan) const {
  ASSIGN_OR_RETURN(auto executor, PipelineExecutor::Make(plan));
  executor->SetSideSink(side_.get());
  return executor;
}

Result<Batch> Engine::ExecutorRows(const PipelineExecutor& executor, std::string_view table) const {
  if (!executor.SideSinkTable(table)) return executor.Rows(table);
  return side_->Rows(SideLog::QueryOf(executor, table));
}

Status Engine::Restore(std::string sql_text, std::string sql_name) {
  absl::MutexLock checkpoint_lock(&checkpoint_mu_);
  ChangeLock lock(this);
  runtime::PipelinePaths paths(data_dir_);
  ASSIGN_OR_RETURN(main_, MakeLane(kMain, std::move(sql_text), std::move(sql_name)));
  plan_ = &main_->plan;
  ASSIGN_OR_RETURN(batch_, MakeExecutor(main_->plan));
  // The finished replay lanes: their SQL and start here, their state from a checkpoint (or
  // their own file, below).
  ASSIGN_OR_RETURN(std::vector<std::string> lane_names, ListLanes(fs_, LaneDir()));
  for (const std::string& name : lane_names) {
    if (!store_->read_only()) RETURN_IF_ERROR(MigrateLaneFiles(fs_, LaneDir(), name));
    ASSIGN_OR_RETURN(std::optional<LaneFile> file, ReadLaneFile(fs_, LaneDir(), name));
    if (!file || !file->done) continue;  // resumed by a replay
    ASSIGN_OR_RETURN(auto lane, MakeLane(name, file->sql_text, name + ".sql"));
    lane->from_offset = file->from_offset;
    lane->done = true;
    replays_[name] = std::move(lane);
  }
  const std::string root = CheckpointRoot();
  if (!store_->read_only()) {  // what a crash left half written
    ASSIGN_OR_RETURN(auto leftovers, ListCheckpointLeftovers(fs_, root));
    for (const auto& dir : leftovers)
      RETURN_IF_ERROR(RemoveCheckpointDir(fs_, dir));
  }
  ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, ListCheckpoints(fs_, root));
  std::set<std::string> restored;
  bool from_checkpoint = false;
  for (uint64_t seq : seqs) {
    Status s = RestoreCheckpoint(seq, &restored);
    if (s.ok()) {
      from_checkpoint = true;
      break;
    }
    Warn("checkpoint " + std::to_string(seq) + " skipped: " + s.ToString());
  }
  if (!seqs.empty()) next_checkpoint_ = seqs.front() + 1;
  if (!from_checkpoint && seqs.empty()) {
    // A directory of an earlier release: its state files, if any.
    RETURN_IF_ERROR(runtime::LoadExecutorState(main_->executor.get(), paths.streaming));
    RETURN_IF_ERROR(runtime::LoadExecutorState(batch_.get(), paths.batch));
    RETURN_IF_ERROR(main_->executor->PublishBatch(*batch_).WithContext(paths.batch));
  } else if (!from_checkpoint) {
    Warn("no checkpoint verifies: the main lane recomputes from bronze offset 0");
    RETURN_IF_ERROR(main_->executor->PublishBatch(*batch_));
  }
  for (auto& [name, lane] : replays_) {
    if (!restored.count(name)) RETURN_IF_ERROR(LoadLane(lane.get()));
  }
  RETURN_IF_ERROR(CheckRetained());
  for (const auto& g : main_->plan.gold) {
    if (g.serving == sql::Serving::kKappa) RETURN_IF_ERROR(RefreshServingLocked(g.name));
  }
  if (!store_->read_only()) RETURN_IF_ERROR(CompleteChainSwitchesLocked());
  // The retention pin covers every checkpoint on disk whose META reads.
  for (auto it = seqs.rbegin(); it != seqs.rend(); ++it) {
    auto meta = ReadCheckpointMeta(fs_, filename::CheckpointDir(root, *it));
    if (meta.ok()) kept_.push_back(std::move(*meta));
  }
  if (!store_->read_only()) {
    SetPin(kept_);
    // The hook owns what it reads: a table may still call a copy of it while the engine goes.
    store_->SetRetentionPin([pin = pin_](const std::string& table, uint32_t partition) {
      absl::MutexLock lock(&pin->mu);
      if (!pin->offsets) return uint64_t{0};  // no checkpoint: recovery reads everything
      auto it = pin->offsets->find(table);
      return it == pin->offsets->end() || partition >= it->second.size() ? uint64_t{0}
                                                                         : it->second[partition];
    });
    pinned_ = true;
  }
  return Status::OK();
}

Status Engine::LoadLane(Lane* lane) const {
  ASSIGN_OR_RETURN(std::optional<LaneFile> file, ReadLaneFile(fs_, LaneDir(), lane->name));
  if (!file) return Status::OK();
  if (!file->state.empty()) {
    RETURN_IF_ERROR(
        lane->executor->Load(file->state).WithContext(filename::LaneFile(LaneDir(), lane->name)));
  }
  // A --from-offset lane: drift recomputes it from the same start (DriftSourceOf).
  lane->from_offset = file->from_offset;
  return Status::OK();
}

// Lanes advance one micro-batch (options.batch_records per partition) at a time, the lock
// released between micro-batches: a reader waits for one micro-batch at most, not for a
// whole step. Each micro-batch ends at a consistent cut, as a shorter step would.
Result<uint64_t> Engine::Step() {
  const size_t chunk = std::max<size_t>(1, options_.batch_records);
  auto step = [&](Lane& lane) -> Result<uint64_t> {
    ASSIGN_OR_RETURN(Offsets until, EndOffsets(store_, lane.plan));
    for (auto& [table, offsets] : until) {
      for (uint32_t p = 0; p < offsets.size(); ++p)
        offsets[p] = std::min(offsets[p], lane.executor->next_offset(table, p) + chunk);
    }
    return runtime::CatchUp(store_, lane.executor.get(), lane.plan, chunk, &until);
  };
  uint64_t main_records = 0;
  for (size_t done = 0; done < options_.step_records; done += chunk) {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(uint64_t pushed, step(*main_));
    main_records += pushed;
    for (auto& [name, lane] : replays_) {
      Result<uint64_t> n = step(*lane);
      if (!n.ok()) {
        NewGenerationLocked();  // the lanes before it may have moved
        return n.status().WithContext("lane " + name);
      }
      pushed += *n;
    }
    if (pushed == 0) break;
    NewGenerationLocked();  // the readers' snapshots, as of this micro-batch
  }
  return main_records;
}

bool Engine::CaughtUp() const {
  absl::MutexLock lock(&mu_);
  auto caught_up = [&](const Lane& lane) {
    auto end = EndOffsets(store_, lane.plan);
    if (!end.ok()) return false;
    for (const auto& [table, offsets] : *end) {
      for (uint32_t p = 0; p < offsets.size(); ++p) {
        if (lane.executor->next_offset(table, p) < offsets[p]) return false;
      }
    }
    return true;
  };
  if (!caught_up(*main_)) return false;
  for (const auto& [name, lane] : replays_) {
    if (!caught_up(*lane)) return false;
  }
  return true;
}

Engine::PendingVersion Engine::PrepareVersion(std::string_view view, const sql::Pipeline& plan,
                                              const PipelineExecutor& executor, std::string origin,
                                              std::string name, const Offsets& boundary) {
  const auto* columns = plan.FindColumns(view);
  STRATA_ASSERT(columns != nullptr);
  PendingVersion p;
  p.view = std::string(view);
  p.types = sql::ColumnTypes(*columns);
  p.info.name = std::move(name);
  p.info.origin = std::move(origin);
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx",
                static_cast<unsigned long long>(StableHash64(executor.LogicOf(view))));
  p.info.logic_hash = hash;
  p.info.boundary = boundary;
  p.info.watermark = executor.InputWatermark(view);  // of the input the rows cover
  return p;
}

Result<VersionInfo> Engine::WriteVersion(const PendingVersion& p, const Batch& rows, bool live) {
  ASSIGN_OR_RETURN(auto current, versions_->Live(p.view));
  ASSIGN_OR_RETURN(VersionInfo published,
                   versions_->Publish(p.view, p.info, p.types, rows, live || !current));
  RETURN_IF_ERROR(versions_->Prune(p.view, options_.keep_versions));
  return published;
}

Result<VersionInfo> Engine::PublishLocked(std::string_view view, const Lane& lane,
                                          const Batch& rows, std::string origin, std::string name,
                                          bool live, const Offsets& boundary) {
  return WriteVersion(
      PrepareVersion(view, lane.plan, *lane.executor, std::move(origin), std::move(name), boundary),
      rows, live);
}

Result<BatchRunResult> Engine::RunBatch(const std::atomic<bool>* stop) {
  RETURN_IF_ERROR(RequireWritable());
  absl::MutexLock batch_lock(&batch_mu_);
  BatchRunResult result;
  const Micros start = MonotonicMicros();
  std::unique_ptr<PipelineExecutor> executor;
  sql::Pipeline plan;
  bool lambda = false;
  {
    ChangeLock lock(this);
    plan = main_->plan;
    for (const auto& g : plan.gold)
      lambda = lambda || g.serving == sql::Serving::kLambda;
    ASSIGN_OR_RETURN(result.boundary, EndOffsets(store_, plan));
    if (lambda && result.boundary == batch_->offsets()) return result;  // nothing new
    if (lambda) RETURN_IF_ERROR(main_->executor->AddBoundary(result.boundary));
  }
  ASSIGN_OR_RETURN(executor, MakeExecutor(plan));
  executor->set_include_late(true);  // the batch view is authoritative
  ASSIGN_OR_RETURN(result.records,
                   runtime::CatchUp(store_, executor.get(), plan, options_.batch_run_records,
                                    &result.boundary, stop));
  if (stop != nullptr && stop->load()) return Status::Aborted("batch run: stopped");
  if (executor->offsets() != result.boundary) {
    return Status::FailedPrecondition("batch run: the log ended before the boundary");
  }
  // The versions of batch(T): computed before, and written after, the engine's lock (the
  // executor is this run's alone until it is swapped in; Lambda views have no other
  // publisher, and batch_mu_ keeps runs apart).
  std::vector<std::pair<PendingVersion, Batch>> versions;
  for (const auto& g : plan.gold) {
    if (g.serving != sql::Serving::kLambda) continue;
    ASSIGN_OR_RETURN(Batch rows, executor->Rows(g.name));
    versions.emplace_back(PrepareVersion(g.name, plan, *executor, kBatch, kBatch, result.boundary),
                          std::move(rows));
  }
  {
    // batch(T) becomes durable with the next checkpoint, which takes it together with the
    // speed path's epochs from T on: any checkpoint holds a pair that restores. A crash before
    // then restores the previous pair (its answers are as exact; the next run publishes
    // again).
    // The Lambda merge is built outside the lock (PipelineExecutor::BeginPublish): the lock
    // is held to copy the epochs from T on, then to add what the speed path did meanwhile.
    runtime::PendingPublish pending;
    const PipelineExecutor* speed = nullptr;  // main_ is set once, at Open
    if (lambda) {
      ChangeLock lock(this);
      speed = main_->executor.get();
      ASSIGN_OR_RETURN(pending, main_->executor->BeginPublish(*executor));
    }
    Status built = lambda ? speed->BuildPublish(*executor, &pending) : Status::OK();
    ChangeLock lock(this);
    if (!built.ok()) {
      main_->executor->AbortPublish();
      return built;
    }
    if (lambda) RETURN_IF_ERROR(main_->executor->FinishPublish(std::move(pending)));
    batch_ = std::move(executor);
    last_batch_ = NowMicros();
  }
  for (const auto& [pending, rows] : versions) {
    ASSIGN_OR_RETURN(VersionInfo v, WriteVersion(pending, rows, /*live=*/false));
    result.published.push_back(std::move(v));
  }
  result.seconds = (MonotonicMicros() - start) / 1e6;
  return result;
}

Result<const Engine::Lane*> Engine::ServingLaneLocked(std::string_view view) const {
  auto serving = serving_.find(ChainRoot(main_->plan, view));
  if (serving != serving_.end()) {
    auto it = replays_.find(serving->second);
    if (it != replays_.end()) return it->second.get();
  }
  return main_.get();
}

Status Engine::RefreshServingLocked(std::string_view view) {
  serving_.erase(std::string(view));
  ASSIGN_OR_RETURN(auto live, versions_->Live(view));
  if (!live) return Status::OK();
  ASSIGN_OR_RETURN(VersionInfo marker, versions_->Get(view, *live));
  if (replays_.count(marker.name)) serving_[std::string(view)] = marker.name;
  return Status::OK();
}

Result<Batch> Engine::LiveRowsLocked(std::string_view table) const {
  if (const sql::GoldView* g = main_->plan.FindGold(table)) {
    if (g->serving == sql::Serving::kLambda) return main_->executor->LambdaRows(table);
    ASSIGN_OR_RETURN(const Lane* lane, ServingLaneLocked(table));
    return lane->executor->Rows(table);
  }
  return ExecutorRows(*main_->executor, table);
}

Result<Batch> Engine::RowsAsOf(const sql::BoundQuery& query) const {
  const auto* columns = plan_->FindColumns(query.table);
  if (plan_->FindGold(query.table) == nullptr) {
    return Status::InvalidArgument("AS OF reads versions of gold views; " + query.table +
                                   " has none");
  }
  VersionInfo v;
  if (query.as_of_version) {
    ASSIGN_OR_RETURN(v, versions_->Get(query.table, *query.as_of_version));
  } else {
    // The lane serving at that time, then its newest version published by then.
    ASSIGN_OR_RETURN(VersionInfo serving, versions_->LiveAt(query.table, *query.as_of_timestamp));
    ASSIGN_OR_RETURN(auto all, versions_->List(query.table));
    v = serving;
    for (const auto& candidate : all) {
      if (candidate.name == serving.name && candidate.created <= *query.as_of_timestamp &&
          candidate.version > v.version) {
        v = candidate;
      }
    }
  }
  std::vector<Type> types = sql::ColumnTypes(*columns);
  return versions_->Read(query.table, v.version, types);
}

Result<runtime::QueryResult> Engine::Query(std::string_view sql) {
  return QueryRuntime(sql, "");
}

Result<runtime::QueryResult> Engine::QueryRuntime(std::string_view sql, std::string_view runtime) {
  ASSIGN_OR_RETURN(sql::Select select, sql::ParseQuery(sql));
  if (runtime.empty() && !select.from.as_of) {
    // A live answer: from the table's snapshot, without the engine's lock. The name is
    // resolved in the main lane's plan (a replay lane has the same tables).
    auto main_columns = [this](std::string_view table) { return plan_->FindColumns(table); };
    Result<std::string> name = sql::ResolveTableName(select.from.table, main_columns);
    std::shared_ptr<const Snapshot> snapshot;
    if (name.ok()) {
      ASSIGN_OR_RETURN(snapshot, CurrentSnapshot(*name));
    }
    if (snapshot != nullptr) {
      auto lookup = [&](std::string_view table) {
        return table == *name ? &snapshot->columns : nullptr;
      };
      ASSIGN_OR_RETURN(sql::BoundQuery query, sql::BindQuery(select, lookup));
      return runtime::ExecuteQuery(query, snapshot->rows);
    }
  }
  Batch rows;
  sql::BoundQuery query;
  bool as_of = false;
  std::optional<SideQuery> side;
  {
    absl::MutexLock lock(&mu_);
    // A Kappa view served by a replay lane has that lane's schema.
    const Lane* lane = main_.get();
    if (runtime.empty() && !select.from.as_of) {
      std::string name = select.from.table.schema.empty()
                             ? select.from.table.name
                             : select.from.table.schema + "." + select.from.table.name;
      const sql::GoldView* g = main_->plan.FindGold(name);
      if (g != nullptr && g->serving == sql::Serving::kKappa) {
        ASSIGN_OR_RETURN(lane, ServingLaneLocked(name));
      }
    }
    auto lookup = [&](std::string_view name) { return lane->plan.FindColumns(name); };
    ASSIGN_OR_RETURN(query, sql::BindQuery(select, lookup));
    if (query.as_of_version || query.as_of_timestamp) {
      if (!runtime.empty()) {
        return Status::InvalidArgument("AS OF reads stored versions; drop --runtime");
      }
      as_of = true;  // read below, without the lock: versions are immutable files
    } else if (const PipelineExecutor& e = runtime == "batch" ? *batch_ : *main_->executor;
               e.SideSinkTable(query.table)) {
      side = SideLog::QueryOf(e, query.table);  // read below, without the lock
    } else if (runtime == "streaming") {
      ASSIGN_OR_RETURN(rows, main_->executor->Rows(query.table));
    } else if (runtime == "batch") {
      ASSIGN_OR_RETURN(rows, batch_->Rows(query.table));
    } else if (lane != main_.get()) {
      ASSIGN_OR_RETURN(rows, lane->executor->Rows(query.table));
    } else {
      ASSIGN_OR_RETURN(rows, LiveRowsLocked(query.table));
    }
  }
  if (side) {
    ASSIGN_OR_RETURN(rows, side_->Rows(*side));
  }
  if (as_of) {
    ASSIGN_OR_RETURN(rows, RowsAsOf(query));
  }
  return runtime::ExecuteQuery(query, rows);
}

Result<std::vector<VersionInfo>> Engine::Versions(std::string_view view) const {
  {
    absl::MutexLock lock(&mu_);
    if (main_->plan.FindGold(view) == nullptr) {
      return Status::NotFound("the pipeline has no gold view " + std::string(view));
    }
  }
  return versions_->List(view);
}

Result<std::optional<uint64_t>> Engine::LiveVersion(std::string_view view) const {
  absl::MutexLock lock(&mu_);
  return LiveVersionLocked(view);
}

Result<std::optional<uint64_t>> Engine::LiveVersionLocked(std::string_view view) const {
  ASSIGN_OR_RETURN(auto live, versions_->Live(view));
  if (!live) return live;
  // The live pointer marks the serving lane; its newest version is what readers see.
  ASSIGN_OR_RETURN(VersionInfo marker, versions_->Get(view, *live));
  ASSIGN_OR_RETURN(auto all, versions_->List(view));
  for (const auto& v : all) {
    if (v.name == marker.name && v.version > *live) live = v.version;
  }
  return live;
}

// The rows are taken under the engine's lock; the version files are written and synced
// after it, so readers and the speed path do not wait for the disk. A cutover or rollback in
// between is harmless: these versions are not live (a view always has a live version once
// it has any), and published_at_ moves only if the view's serving lane is still theirs.
Result<std::vector<VersionInfo>> Engine::PublishStreaming() {
  RETURN_IF_ERROR(RequireWritable());
  absl::MutexLock publish_lock(&publish_mu_);
  std::vector<std::pair<PendingVersion, Batch>> pending;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& g : main_->plan.gold) {
      if (g.serving != sql::Serving::kKappa) continue;
      ASSIGN_OR_RETURN(const Lane* lane, ServingLaneLocked(g.name));
      const Offsets& at = lane->executor->offsets();
      auto it = published_at_.find(g.name);
      if (it == published_at_.end()) {
        // Not published since the engine opened: the lane's newest stored version says where
        // it was last published (published_at_ lives in memory only).
        auto newest = versions_->GetByName(g.name, lane->name);
        if (newest.ok()) it = published_at_.emplace(g.name, newest->boundary).first;
      }
      if (it != published_at_.end() && it->second == at) continue;
      ASSIGN_OR_RETURN(Batch rows, lane->executor->Rows(g.name));
      pending.emplace_back(
          PrepareVersion(g.name, lane->plan, *lane->executor, "streaming", lane->name, at),
          std::move(rows));
    }
  }
  std::vector<VersionInfo> out;
  for (const auto& [p, rows] : pending) {
    ASSIGN_OR_RETURN(VersionInfo v, WriteVersion(p, rows, /*live=*/false));
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(const Lane* lane, ServingLaneLocked(p.view));
    if (lane->name == p.info.name) published_at_[p.view] = p.info.boundary;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace strata::serve
