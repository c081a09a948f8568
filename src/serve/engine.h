// Engine: one data directory's pipeline, served (DESIGN.md §4). It owns what the runtimes
// compute and decides what readers see; it computes nothing itself (`serve` never
// recomputes: it schedules runtime executors and reads versions).
//
// Lanes. A lane is a PipelineExecutor with the SQL it runs. The "main" lane runs the
// data directory's pipeline (DIR/pipeline/pipeline.sql) and is the speed path. A Kappa
// replay (`strata replay VIEW --as NAME`) builds another lane, NAME, from bronze with the
// pipeline's current SQL, beside the live one; once caught up it keeps streaming like the
// main lane, so that `validate`, `cutover` and `rollback` compare and switch between
// lanes that are both current.
//
// Serving, per gold view:
//   - Lambda (serving = 'lambda'): the answer is batch(T) ⊕ the speed epochs after T
//     (runtime/executor.h). RunBatch snapshots the log's end offsets as T, registers T with
//     the main lane (which stops there and opens an epoch), recomputes [0, T) with a
//     fresh executor outside the lock, then publishes batch(T) atomically: a version
//     (origin "batch", live) and the in-memory batch executor, and drops older epochs. The
//     Lambda answers are built outside the lock too (PipelineExecutor::BeginPublish): it is
//     held to copy the speed epochs from T on, then to add what the speed path did meanwhile
//     and swap the answers in.
//   - Kappa (serving = 'kappa'): the answer is the rows of the lane that serves the view:
//     the name of the view's live version ("main" when none is live yet). Cutover
//     publishes the replay lane's rows as a version named after the lane and makes it
//     live; rollback makes the previous live version live again, and with it its lane.
// Silver and quarantine tables are answered by the main lane.
//
// Versions (serve/version_store.h, under DIR/views): Lambda views get one per batch run;
// Kappa views one per PublishStreaming call in which the serving lane moved (the server
// calls it periodically, `strata run` when it stops), one per replay that completes, and
// one per cutover. `... FROM v AS OF VERSION n | AS OF TIMESTAMP '...'` reads them.
//
// Side tables. The quarantine of a silver table fed by bronze and the late table of a
// windowed view over one live in side logs (serve/side_log.h), shared by every lane and
// batch(T) of the same logic; checkpoints carry only their counters. The other side tables
// (a table fed by a silver table lists what breaks its contract now) stay in the lanes.
//
// Persistence: checkpoints (serve/checkpoint.h, under DIR/pipeline/checkpoints). Checkpoint
// writes every lane's state (main, the published batch(T), each finished replay lane) with
// its offsets as one checkpoint, atomically, and keeps the newest
// options.keep_checkpoints. Open restores the newest checkpoint that verifies (a corrupt,
// unreadable or foreign one is skipped with a warning, see warnings()) and the lanes then
// re-read bronze from its offsets: every acknowledged record affects every view exactly
// once. With no checkpoint that verifies, every lane starts from offset 0 (with a warning
// when some checkpoint was skipped), unless retention removed bronze records a lane would
// need: Open fails then, naming the partition. While a writable engine is open, it pins
// retention (log::Store::SetRetentionPin) at the oldest kept checkpoint's offsets (offset 0
// before the first one). A data directory without any checkpoint but with the state files
// of earlier releases (streaming.state, batch.state) restores those; the first checkpoint
// then replaces them. DIR/pipeline/lanes holds one record per replay lane (NAME.lane,
// serve/lane_file.h): its SQL, its start, whether it finished and its own state (what a
// resumed replay, or a finished lane no checkpoint holds yet, restores).
//
// A checkpoint holds the engine mutex only to take a consistent cut of the lanes: with
// options.checkpoint_in_child, for a fork() whose child (a copy-on-write snapshot of the
// process) serializes and writes the files while the speed path and readers go on;
// otherwise for the serialization itself (PipelineExecutor::Save of every lane), and the
// files are written after it is released.
//
// Readers. A live query (no AS OF, no --runtime) of a table reads that table's snapshot: its
// rows and columns, immutable, taken between two changes of the engine. A reader takes only
// the snapshots' own mutex to copy a pointer, then binds and executes without any engine
// lock (LevelDB's DBImpl::Get: take references, unlock, read). Every change to what a table
// answers happens under the engine mutex through ChangeLock, whose release starts a new
// generation and so makes every older snapshot stale. The change rebuilds, before it lets
// the mutex go, the snapshots read since their last build and swaps them in with the new
// generation (the speed path after each micro-batch; a batch run, cutover, rollback or
// replay at its end): a reader that keeps reading a table finds its snapshot as of the last
// change and never waits for a writer. A reader that finds none, or a stale one (the first
// query of a table, or one not read during the last change), builds it under the engine
// mutex. Side tables kept in side logs are read outside the engine mutex as they are.
//
// Thread safety: every public method may be called from any thread. One mutex guards the
// lanes and the published batch; the long parts of RunBatch and Replay run outside it, over
// their own executors, so the speed path and readers are not blocked (drift's recompute runs
// in quality/reconcile.h, over what DriftSourceOf copies out under the lock).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/prometheus_text.h"
#include "common/status.h"
#include "log/store.h"
#include "runtime/executor.h"
#include "runtime/query.h"
#include "serve/checkpoint.h"
#include "serve/side_log.h"
#include "serve/version_store.h"
#include "sql/plan.h"

namespace strata::serve {

struct EngineOptions {
  size_t batch_records = 1024;       // speed path: records per partition per micro-batch
  size_t step_records = 16384;       // speed path: at most this many per partition per Step
  size_t batch_run_records = 65536;  // batch runs and replays
  size_t keep_versions = 50;         // per view
  size_t keep_checkpoints = 3;       // the newest ones; at least 1
  // Serialize each checkpoint in a forked child (see above). The child touches only the
  // lanes' executors and `fs`, so `fs` must not take locks that another thread may hold
  // (FileSystem::Default() takes none).
  bool checkpoint_in_child = false;
  FileSystem* fs = nullptr;  // every file the engine writes or reads; null: FileSystem::Default()
};

// Whether a child forked while other threads allocate may use the heap. glibc's malloc
// takes its locks around fork(); the AddressSanitizer runtime of GCC 12 does not, so a child
// forked while another thread holds one of its allocator locks waits forever (4 forks of 300
// under four allocating threads, measured), and with it the checkpoint thread and a clean
// stop. Servers of sanitized builds therefore write checkpoints in-process.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kForkSafeHeap = false;
#else
inline constexpr bool kForkSafeHeap = true;
#endif

// One checkpoint: what it holds and what writing it cost.
struct CheckpointInfo {
  uint64_t seq = 0;
  Micros created = 0;       // wall clock
  uint64_t bytes = 0;       // the lanes' files
  double seconds = 0;       // the whole checkpoint, from the cut to durable (0 when restored)
  double hold_seconds = 0;  // how long it held the engine mutex
  size_t kept = 0;          // checkpoints kept after it (this one included)
  std::string ToJson() const;
};

struct BatchRunResult {
  runtime::Offsets boundary;
  uint64_t records = 0;
  double seconds = 0;
  std::vector<VersionInfo> published;
};

struct ReplayOptions {
  std::string name;      // the lane; default "replay-<unix seconds>"
  std::string sql_text;  // the SQL to replay with; default the pipeline's
  std::string sql_name = "pipeline.sql";
  std::optional<uint64_t> from_offset;  // skip every partition's records before this
  // Start from the main lane's state in a checkpoint ("latest" or its sequence number)
  // instead of offset 0: refused, naming both logic hashes, unless the replay's SQL has the
  // same logic as the checkpoint's main lane (the state is the whole pipeline's).
  std::optional<std::string> from_checkpoint;
  double rate = 0;  // events per second; 0: as fast as possible
  // Called after each chunk with (records done, records to do); may be empty.
  std::function<void(uint64_t, uint64_t)> progress;
  const std::atomic<bool>* stop = nullptr;  // stop early (the lane's state is kept: resumable)
};

struct ReplayResult {
  std::string name;
  uint64_t records = 0;
  double seconds = 0;
  bool resumed = false;   // continued a lane that an earlier replay left unfinished
  bool finished = false;  // false when stopped early
  std::optional<VersionInfo> version;
  std::string ToJson() const;
};

// The live answer of a view and what a recompute of it needs (Engine::DriftSourceOf).
struct DriftSource {
  Batch live;
  sql::Pipeline plan;        // the serving lane's pipeline
  runtime::Offsets covered;  // the input the live answer covers
  // A lane replayed --from-offset: where each partition started.
  std::optional<runtime::Offsets> start;
  // A Lambda view: the boundary T of the published batch(T) (the speed path is authoritative
  // up to it).
  std::optional<runtime::Offsets> lambda_boundary;
};

class Engine {
 public:
  // Opens DATA_DIR's serving state for the pipeline `sql_text` (already recorded as the
  // directory's pipeline by the caller). `store` must outlive the engine; a read-only store
  // serves queries, versions, validate and drift, and refuses everything that writes.
  static Result<std::unique_ptr<Engine>> Open(log::Store* store, std::string data_dir,
                                              std::string sql_text, std::string sql_name,
                                              EngineOptions options = {});
  ~Engine();

  const sql::Pipeline& plan() const;

  // The speed path: every lane consumes up to options.step_records new records per
  // partition, options.batch_records at a time, releasing the engine's lock between those
  // micro-batches (a query waits for one at most). Returns the records the main lane
  // consumed.
  Result<uint64_t> Step();
  // True when every lane has consumed every record durable now.
  bool CaughtUp() const;

  // A batch run (see above): recomputes the pipeline over [0, T) with T the log's end now,
  // and publishes batch(T) for the Lambda views. With Lambda views and no record since the
  // last published boundary it does nothing (records 0, nothing published). batch(T) is
  // in memory until the next Checkpoint (a crash before it restores the previous batch(T),
  // whose answers are as exact); callers checkpoint after a run.
  // `stop`, when given and set, ends the recompute early with Aborted (nothing published; the
  // boundary it registered is dropped by the next run that publishes).
  Result<BatchRunResult> RunBatch(const std::atomic<bool>* stop = nullptr);

  // SELECT over a live view (or AS OF a stored version), a silver or a quarantine table.
  Result<runtime::QueryResult> Query(std::string_view sql);
  // `runtime`: "streaming" answers from the main lane alone, "batch" from the published
  // batch executor alone (for comparisons); "" is Query.
  Result<runtime::QueryResult> QueryRuntime(std::string_view sql, std::string_view runtime);

  Result<std::vector<VersionInfo>> Versions(std::string_view view) const;
  // The newest version of the view's serving lane (what live readers see, as of its
  // publication), if any. The store's live pointer marks the lane: it moves only when the
  // lane does (first publish, cutover, rollback).
  Result<std::optional<uint64_t>> LiveVersion(std::string_view view) const;
  // The names of the views and tables a query may read, with how each is served.
  std::string ViewsJson() const;

  // Kappa.
  Result<ReplayResult> Replay(std::string_view view, ReplayOptions options);
  // What `strata validate` compares (quality/reconcile.h): the live answer of `view` and
  // finished replay lane `name`'s. NotFound naming what is missing.
  Result<std::pair<Batch, Batch>> LiveAndReplayRows(std::string_view view,
                                                    std::string_view name) const;
  // Publishes the lane's rows as a version (unless its newest version is current), moves
  // the live marker to it, then serves the lane. Abort points: "cutover.before_live" (the
  // version durable, the marker not moved: a restart serves the old lane) and
  // "cutover.before_serving" (the marker moved, this engine not switched yet: a restart
  // serves the new lane).
  Result<VersionInfo> Cutover(std::string_view view, std::string_view name);
  Result<VersionInfo> Rollback(std::string_view view);

  // What `strata drift` recomputes (quality/reconcile.h): the live answer of `view` and
  // the input behind it. NotFound when the serving lane has no such table or view.
  Result<DriftSource> DriftSourceOf(std::string_view view) const;
  log::Store* store() const { return store_; }
  const EngineOptions& options() const { return options_; }

  // Publishes a version of each Kappa view whose serving lane moved since its last
  // version. Returns what it published.
  Result<std::vector<VersionInfo>> PublishStreaming();

  // Writes a checkpoint (see above) and deletes the checkpoints beyond the newest
  // options.keep_checkpoints once it is durable. One at a time (a second caller waits).
  Result<CheckpointInfo> Checkpoint();
  // Checkpoint(), for callers that need only the status.
  Status Save();
  // The last checkpoint written or restored by this engine, if any.
  std::optional<CheckpointInfo> last_checkpoint() const;
  // What Open had to skip or fall back from, one sentence each, oldest first.
  std::vector<std::string> warnings() const;

  // Per node: offsets consumed, lag, last publish, row counts, quarantine counts.
  std::string StatusJson() const;
  // Every gold view as a data product (engine_products.cc): owner, description, serving,
  // schema, what it reads and who reads it, its live version, and its freshness now against
  // its objective.
  std::string ProductsJson() const;
  // The same facts as Prometheus metrics (engine_metrics.cc lists them), appended to `out`.
  void AppendMetrics(PrometheusText* out) const;

 private:
  struct Lane;
  Engine(log::Store* store, std::string data_dir, EngineOptions options);
  Status Restore(std::string sql_text, std::string sql_name);
  Result<std::unique_ptr<Lane>> MakeLane(std::string name, std::string sql_text,
                                         std::string sql_name) const;
  // An executor of `plan` whose side tables that are a function of bronze records live in
  // the side logs (serve/side_log.h).
  Result<std::unique_ptr<runtime::PipelineExecutor>> MakeExecutor(const sql::Pipeline& plan) const;
  // The rows of `table` in `executor` (read from the side log when it keeps them).
  Result<Batch> ExecutorRows(const runtime::PipelineExecutor& executor,
                             std::string_view table) const;
  // Restores checkpoint `seq` into fresh executors and swaps them in; the engine is
  // unchanged on error. `restored` receives the lanes it held.
  Status RestoreCheckpoint(uint64_t seq, std::set<std::string>* restored)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fails when retention removed bronze records a lane still has to read.
  Status CheckRetained() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The checkpoint `spec` names ("latest" or a sequence number), verified.
  Result<LoadedCheckpoint> FindCheckpoint(std::string_view spec) const;
  // Deletes the checkpoints beyond the newest keep_checkpoints and moves the retention pin.
  Status Prune() ABSL_EXCLUSIVE_LOCKS_REQUIRED(checkpoint_mu_);
  void SetPin(const std::vector<CheckpointMeta>& kept);
  Result<std::map<std::string, uint32_t>> SchemaVersions() const;
  void Warn(std::string message);
  std::string CheckpointRoot() const;
  // The lane that serves a Kappa view (main when its live version names no lane), from
  // serving_, which mirrors the version store's live markers (no I/O per query).
  Result<const Lane*> ServingLaneLocked(std::string_view view) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Publishes `view`'s rows in `lane` as a version (unless current), makes it live and
  // serves the view from the lane.
  Result<VersionInfo> SwitchToLaneLocked(std::string_view view, const Lane& lane)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Status RefreshServingLocked(std::string_view view) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // At Open: a Kappa view reading a view whose live marker names another lane than its
  // chain root's (a crash between the root's switch and its readers') is switched to the
  // root's lane, with a warning.
  Status CompleteChainSwitchesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The live rows of `table` and how they are computed.
  Result<Batch> LiveRowsLocked(std::string_view table) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // What a live reader of one table needs without the engine's lock (see "Readers" above).
  struct Snapshot {
    uint64_t generation = 0;  // the engine's generation it was built in
    std::vector<sql::ColumnSchema> columns;
    Batch rows;
  };
  // engine_snapshot.cc: the current snapshot of `table`, built under mu_ when there is none
  // or it is stale; null for what is not served from snapshots (a side table kept in a side
  // log, an unknown name: the caller's ordinary path answers or refuses those).
  Result<std::shared_ptr<const Snapshot>> CurrentSnapshot(const std::string& table) const
      ABSL_LOCKS_EXCLUDED(mu_, snap_mu_);
  // The snapshot of `table` if it is of the current generation (marked as read), else null.
  std::shared_ptr<const Snapshot> FreshSnapshot(const std::string& table) const
      ABSL_LOCKS_EXCLUDED(snap_mu_);
  Result<std::shared_ptr<const Snapshot>> BuildSnapshotLocked(const std::string& table,
                                                              uint64_t generation) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The end of a change made under mu_ (ChangeLock's release, a micro-batch of Step): a new
  // generation, with the snapshots read since their last build built anew for it; the
  // others are dropped.
  void NewGenerationLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The engine's lock, taken by anything that may change what a table answers; its
  // release starts a new generation.
  class ABSL_SCOPED_LOCKABLE ChangeLock {
   public:
    explicit ChangeLock(const Engine* engine) ABSL_EXCLUSIVE_LOCK_FUNCTION(engine->mu_)
        : engine_(engine) {
      engine_->mu_.Lock();
    }
    // (clang cannot see that the constructor's lock is still held here.)
    ~ChangeLock() ABSL_UNLOCK_FUNCTION() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      engine_->NewGenerationLocked();
      engine_->mu_.Unlock();
    }
    ChangeLock(const ChangeLock&) = delete;
    ChangeLock& operator=(const ChangeLock&) = delete;

   private:
    const Engine* const engine_;
  };
  // The rows of a stored version (AS OF); needs no engine lock.
  Result<Batch> RowsAsOf(const sql::BoundQuery& query) const;
  // A version about to be written: its view, column types and description.
  struct PendingVersion {
    std::string view;
    std::vector<Type> types;
    VersionInfo info;
  };
  // Describes `executor`'s rows of `view` as a version (logic hash, boundary, watermark).
  static PendingVersion PrepareVersion(std::string_view view, const sql::Pipeline& plan,
                                       const runtime::PipelineExecutor& executor,
                                       std::string origin, std::string name,
                                       const runtime::Offsets& boundary);
  // Writes a prepared version (live if `live` or the view has none live yet) and prunes the
  // view's versions; needs no engine lock (the version store has its own).
  Result<VersionInfo> WriteVersion(const PendingVersion& p, const Batch& rows, bool live);
  Result<VersionInfo> PublishLocked(std::string_view view, const Lane& lane, const Batch& rows,
                                    std::string origin, std::string name, bool live,
                                    const runtime::Offsets& boundary)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Status RequireWritable() const;
  // Status of every gold view (rows, versions, lane, late records).
  // `last_versions`: each view's newest version, read before the lock was taken.
  std::string GoldStatusLocked(const std::vector<runtime::WatermarkInfo>& watermarks,
                               const std::map<std::string, VersionInfo, std::less<>>& last_versions)
      const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Per gold view, in the plan's order: the rows it serves and how long the oldest record its
  // answer does not reflect has waited (0 when none waits). engine_products.cc.
  struct ProductLive {
    std::optional<uint64_t> rows;
    double lag_s = 0;
  };
  std::vector<ProductLive> ProductsLive() const;
  // The lane that serves gold view `g` (the main lane for a Lambda view).
  const Lane* ServingLaneOfLocked(const sql::GoldView& g) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Loads a replay lane's saved state and start offset (its NAME.lane record).
  Status LoadLane(Lane* lane) const;
  // Replay's steps: the checks (and the default name), a lane's start (resumed: true when
  // an unfinished replay of the same SQL goes on), its run to the log's end (false when
  // stopped early) and its finish (a version, beside the live one).
  Status CheckReplayLocked(std::string_view view, ReplayOptions* options) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Result<bool> StartLane(Lane* lane, const ReplayOptions& options) const;
  Result<bool> RunLane(Lane* lane, const ReplayOptions& options, Micros start,
                       uint64_t* records) const;
  Status FinishReplayLocked(std::string_view view, std::unique_ptr<Lane> lane, ReplayResult* result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Status SaveLaneState(const Lane& lane) const;
  Result<std::optional<uint64_t>> LiveVersionLocked(std::string_view view) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string LaneDir() const;

  log::Store* const store_;
  const std::string data_dir_;
  const EngineOptions options_;
  std::unique_ptr<VersionStore> versions_;
  const std::unique_ptr<SideLog> side_;  // shared by every executor of the engine

  mutable absl::Mutex mu_;
  std::unique_ptr<Lane> main_ ABSL_GUARDED_BY(mu_);
  const sql::Pipeline* plan_ = nullptr;  // main_'s plan: set by Open, never changed after
  std::map<std::string, std::unique_ptr<Lane>, std::less<>> replays_ ABSL_GUARDED_BY(mu_);
  // The published batch(T), and when it was published.
  std::unique_ptr<runtime::PipelineExecutor> batch_ ABSL_GUARDED_BY(mu_);
  std::optional<Micros> last_batch_ ABSL_GUARDED_BY(mu_);
  // Kappa view → the offsets of its lane at its last version.
  std::map<std::string, runtime::Offsets, std::less<>> published_at_ ABSL_GUARDED_BY(mu_);
  // Kappa view → its replay lane.
  std::map<std::string, std::string, std::less<>> serving_ ABSL_GUARDED_BY(mu_);
  absl::Mutex batch_mu_ ABSL_ACQUIRED_BEFORE(mu_);    // one batch run at a time
  absl::Mutex publish_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one PublishStreaming at a time

  FileSystem* const fs_;
  absl::Mutex checkpoint_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one checkpoint at a time
  uint64_t next_checkpoint_ ABSL_GUARDED_BY(checkpoint_mu_) = 1;
  // On disk, oldest first (their METAs).
  std::vector<CheckpointMeta> kept_ ABSL_GUARDED_BY(checkpoint_mu_);
  bool pinned_ ABSL_GUARDED_BY(checkpoint_mu_) = false;  // the retention pin is registered
  // The first offsets the kept checkpoints still need (none: everything), shared with the
  // retention hook.
  struct Pin {
    absl::Mutex mu;
    std::optional<runtime::Offsets> offsets ABSL_GUARDED_BY(mu);
  };
  const std::shared_ptr<Pin> pin_ = std::make_shared<Pin>();
  // Bumped at the end of every change, under mu_ and snap_mu_ (readers hold only the latter).
  mutable std::atomic<uint64_t> generation_{0};
  // The readers' snapshots, and the tables read since their snapshot was last built.
  mutable absl::Mutex snap_mu_ ABSL_ACQUIRED_AFTER(mu_);
  mutable std::map<std::string, std::shared_ptr<const Snapshot>, std::less<>> snapshots_
      ABSL_GUARDED_BY(snap_mu_);
  mutable std::set<std::string, std::less<>> read_since_built_ ABSL_GUARDED_BY(snap_mu_);
  mutable absl::Mutex info_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::optional<CheckpointInfo> last_checkpoint_ ABSL_GUARDED_BY(info_mu_);
  size_t kept_count_ ABSL_GUARDED_BY(info_mu_) = 0;
  std::vector<std::string> warnings_ ABSL_GUARDED_BY(info_mu_);
};

}  // namespace strata::serve
