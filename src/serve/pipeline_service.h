// PipelineService: keeps a serve::Engine moving while a server or the demo runs.
//
// Three background threads drive the engine (the engine itself never schedules anything):
//   - the speed loop calls Engine::Step() repeatedly, sleeping `idle_sleep` when a step
//     consumed nothing, and every `publish_every` calls PublishStreaming (a new version of
//     each Kappa view whose serving lane moved);
//   - the checkpoint loop calls Engine::Checkpoint() every `checkpoint_every`, and sooner
//     when the main lane has consumed `checkpoint_records` records since the last one
//     (whichever comes first; the period restarts at each checkpoint), and right after each
//     batch run (whose batch(T) is durable only with a checkpoint). A checkpoint blocks
//     only this thread while it writes (see Engine: the speed loop and readers wait at most
//     for the cut);
//   - the batch loop (only when the pipeline has Lambda views) calls Engine::RunBatch()
//     every `batch_every`, the first time one period after Start. A batch run blocks this thread
//     for the recompute; the speed loop keeps stepping meanwhile (the Engine recomputes outside its
//     lock).
// Besides, each bronze table with connector = 'postgres-cdc' gets a connector thread, which runs
// connect::RunCdcIngest into that table of `options.store` (snapshot first when the table is
// empty, then streaming; exactly once, see connect/cdc_ingest.h). The schema history of table T
// is the schema registry's DATA/catalog/T.schemas (catalog/schema_registry.h); a source change
// that breaks a column the pipeline reads stops that table's path in the speed loop (and batch
// runs) with an error naming table, column and versions (runtime/schema_guard.h), reported
// like any failure below, while the connector keeps ingesting. RunCdcIngest reconnects by itself
// after a lost connection (for 30 s); when it gives up or fails otherwise (PostgreSQL unreachable
// at start, a refusal), the thread reports the error and starts the connector again after a backoff
// (`cdc_retry_min`, doubling up to `cdc_retry_max`; back to the minimum once a run lasted
// longer than that).
// Errors never stop the loops: each is recorded in Stats::last_error and printed to stderr
// as "strata: pipeline: <message>" (a message repeated by consecutive failures is printed
// once). The speed loop sleeps 100 ms after a failure so that a persistent error does not
// spin; a failed batch run is retried at the next period. The connectors' notices
// (reconnecting, new schema versions, truncates not captured) are printed as
// "strata: cdc: <message>" and are not errors.
//
// Thread safety: Start, Stop and stats may be called from any thread. Stop returns within
// about `idle_sleep` + one Step, besides a batch run in flight, which it waits for; connectors
// stop within `cdc_poll` while streaming, but finish an initial snapshot or a connection
// attempt in progress first (bound the latter with connect_timeout in the conninfo).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/status.h"
#include "log/store.h"
#include "serve/engine.h"
#include "sql/plan.h"

namespace strata::serve {

struct PipelineServiceOptions {
  // 0: the smallest batch_every of the pipeline's Lambda views. No batch runs at all when
  // the pipeline has no Lambda view.
  Micros batch_every = 0;
  Micros publish_every = 2'000'000;         // Engine::PublishStreaming period (Kappa versions)
  Micros checkpoint_every = 10'000'000;     // Engine::Checkpoint period; 0: by records only
  uint64_t checkpoint_records = 1'000'000;  // ... or after this many records; 0: by time only
  Micros idle_sleep = 2'000;                // speed loop sleep when Step() consumed nothing

  // For postgres-cdc bronze tables (required when the pipeline has one, else unused): the
  // store the engine serves (bronze is written there; must outlive the service) and its data
  // directory (for the schema histories).
  log::Store* store = nullptr;
  std::string data_dir;
  Micros cdc_poll = 100'000;         // how often a streaming connector checks for Stop
  Micros cdc_retry_min = 1'000'000;  // backoff after a failed connector run
  Micros cdc_retry_max = 30'000'000;
};

class PipelineService {
 public:
  // `engine` must outlive the service; the service does not own it.
  PipelineService(serve::Engine* engine, PipelineServiceOptions options);
  ~PipelineService();  // Stop()
  PipelineService(const PipelineService&) = delete;
  PipelineService& operator=(const PipelineService&) = delete;

  // Starts the threads. At most once; a call after Stop() does nothing.
  void Start();
  // Joins the threads, then calls PublishStreaming and Checkpoint once more (when started)
  // and returns the first error of those two. Idempotent: later calls return the same status.
  Status Stop();

  // Counters for a live summary.
  struct Stats {
    uint64_t records = 0;              // consumed by the main lane (Step) since Start
    uint64_t batch_runs = 0;           // successful batch runs
    uint64_t last_batch_boundary = 0;  // total offsets of the last run's boundary T
    Micros last_batch_at = 0;          // when the last run finished (wall clock); 0: none
    double last_batch_seconds = 0;     // how long it took
    std::string last_error;            // the last failure's message; "" if none
    uint64_t cdc_connectors = 0;       // connector threads started
    uint64_t cdc_failures = 0;         // connector runs that ended with an error
    uint64_t checkpoints = 0;          // written since Start
  };
  Stats stats() const;

  // The batch period in use (options.batch_every or the pipeline's); 0: no batch loop.
  Micros batch_every() const { return batch_every_; }

 private:
  void SpeedLoop();
  void BatchLoop();
  void CheckpointLoop();
  // One postgres-cdc table: runs the connector until Stop, again after each failure.
  void CdcLoop(const sql::BronzeTable& bronze);
  Status RunCdcOnce(const sql::BronzeTable& bronze);
  // Prints a connector's notice.
  void Note(const std::string& message);
  // Records a failure (and prints it unless it repeats the previous one).
  void Fail(const Status& status);
  // Sleeps up to `micros` or until Stop(); true when stopping.
  bool Sleep(Micros micros);
  // Waits until (this->*done)() holds or `micros` passed; returns (this->*done)().
  bool WaitLocked(Micros micros, bool (PipelineService::*done)() const)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool StoppingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; }
  // Stopping, or a checkpoint is due before its period ends.
  bool CheckpointDueLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  serve::Engine* const engine_;
  const PipelineServiceOptions options_;
  const Micros batch_every_;

  absl::Mutex stop_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // serializes Stop
  mutable absl::Mutex mu_;
  absl::CondVar cv_;  // signalled when stopping_, checkpoint_now_ or since_checkpoint_ change
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  Status stop_status_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::string printed_error_ ABSL_GUARDED_BY(mu_);
  // Records the main lane consumed since the last checkpoint.
  uint64_t since_checkpoint_ ABSL_GUARDED_BY(mu_) = 0;
  // A batch run published: checkpoint without waiting.
  bool checkpoint_now_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> stop_flag_{false};  // set by Stop: ends connectors and batch runs
  // Started by Start (under mu_), joined by Stop once stopping_ is set (without mu_: the
  // threads take it).
  std::thread speed_;
  std::thread batch_;
  std::thread checkpoint_;
  std::vector<std::thread> cdc_;
};

}  // namespace strata::serve
