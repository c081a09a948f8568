#include "serve/pipeline_service.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "absl/time/time.h"
#include "catalog/schema_registry.h"
#include "common/file_system.h"
#include "common/filename.h"
#include "connect/cdc_ingest.h"
#include "connect/postgres_cdc.h"
#include "runtime/runner.h"

namespace strata::serve {
namespace {

constexpr Micros kErrorSleep = 100'000;

// `requested` when > 0, else the smallest batch_every of the Lambda views; 0 when the
// pipeline has no Lambda view (a batch run would publish nothing).
Micros BatchEvery(const serve::Engine& engine, Micros requested) {
  Micros every = 0;
  bool lambda = false;
  for (const auto& g : engine.plan().gold) {
    if (g.serving != sql::Serving::kLambda) continue;
    lambda = true;
    if (g.batch_every > 0) every = every == 0 ? g.batch_every : std::min(every, g.batch_every);
  }
  if (!lambda) return 0;
  return requested > 0 ? requested : every;
}

}  // namespace

PipelineService::PipelineService(serve::Engine* engine, PipelineServiceOptions options)
    : engine_(engine), options_(options), batch_every_(BatchEvery(*engine, options.batch_every)) {}

PipelineService::~PipelineService() {
  (void)Stop();
}

void PipelineService::Start() {
  std::vector<Status> unstarted;
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopping_) return;
    started_ = true;
    speed_ = std::thread([this] { SpeedLoop(); });
    if (batch_every_ > 0) batch_ = std::thread([this] { BatchLoop(); });
    checkpoint_ = std::thread([this] { CheckpointLoop(); });
    for (const sql::BronzeTable& bronze : engine_->plan().bronze) {
      if (bronze.connector != sql::Connector::kPostgresCdc) continue;
      if (options_.store == nullptr || options_.data_dir.empty()) {
        unstarted.push_back(Status::FailedPrecondition(
            bronze.name +
            ": the pipeline service was started without the store and data "
            "directory that a postgres-cdc table needs"));
        continue;
      }
      ++stats_.cdc_connectors;
      cdc_.emplace_back([this, bronze] { CdcLoop(bronze); });
    }
  }
  for (const Status& s : unstarted)
    Fail(s);
}

Status PipelineService::Stop() {
  absl::MutexLock stop_lock(&stop_mu_);
  bool started;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return stop_status_;
    stopping_ = true;
    started = started_;
    stop_flag_ = true;
    cv_.SignalAll();
  }
  for (std::thread& t : cdc_)
    t.join();
  if (speed_.joinable()) speed_.join();
  if (batch_.joinable()) batch_.join();
  if (checkpoint_.joinable()) checkpoint_.join();
  Status status;
  if (started) {
    status = engine_->PublishStreaming().status();
    Status saved = engine_->Checkpoint().status();
    if (status.ok()) status = saved;
  }
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  stop_status_ = status;
  return status;
}

PipelineService::Stats PipelineService::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void PipelineService::Fail(const Status& status) {
  absl::MutexLock lock(&mu_);
  stats_.last_error = status.message();
  if (printed_error_ == stats_.last_error) return;
  printed_error_ = stats_.last_error;
  std::fprintf(stderr, "strata: pipeline: %s\n", printed_error_.c_str());
}

void PipelineService::Note(const std::string& message) {
  std::fprintf(stderr, "strata: cdc: %s\n", message.c_str());
}

bool PipelineService::Sleep(Micros micros) {
  absl::MutexLock lock(&mu_);
  return WaitLocked(micros, &PipelineService::StoppingLocked);
}

bool PipelineService::WaitLocked(Micros micros, bool (PipelineService::*done)() const) {
  const Micros end = MonotonicMicros() + micros;
  for (Micros left = micros; !(this->*done)() && left > 0; left = end - MonotonicMicros())
    cv_.WaitWithTimeout(&mu_, absl::Microseconds(left));
  return (this->*done)();
}

bool PipelineService::CheckpointDueLocked() const {
  return stopping_ || checkpoint_now_ ||
         (options_.checkpoint_records > 0 && since_checkpoint_ >= options_.checkpoint_records);
}

void PipelineService::SpeedLoop() {
  Micros next_publish = MonotonicMicros() + options_.publish_every;
  for (;;) {
    Micros pause = 0;
    Result<uint64_t> consumed = engine_->Step();
    if (!consumed.ok()) {
      Fail(consumed.status());
      pause = kErrorSleep;
    } else {
      absl::MutexLock lock(&mu_);
      stats_.records += *consumed;
      since_checkpoint_ += *consumed;
      if (options_.checkpoint_records > 0 && since_checkpoint_ >= options_.checkpoint_records) {
        cv_.SignalAll();
      }
      if (*consumed == 0) pause = options_.idle_sleep;
    }
    const Micros now = MonotonicMicros();
    if (now >= next_publish) {
      next_publish = now + options_.publish_every;
      Status s = engine_->PublishStreaming().status();
      if (!s.ok()) Fail(s);
    }
    if (Sleep(pause)) return;
  }
}

void PipelineService::BatchLoop() {
  Micros pause = batch_every_;
  while (!Sleep(pause)) {
    const Micros start = MonotonicMicros();
    Result<serve::BatchRunResult> run = engine_->RunBatch(&stop_flag_);
    if (!run.ok()) {
      if (stop_flag_.load()) return;  // ended by Stop: no failure
      Fail(run.status());
      pause = batch_every_;  // a failed recompute is retried at the next period, not at once
      continue;
    }
    uint64_t boundary = 0;
    for (const auto& [table, offsets] : run->boundary) {
      for (uint64_t o : offsets)
        boundary += o;
    }
    absl::MutexLock lock(&mu_);
    checkpoint_now_ = true;  // batch(T) is durable with the next checkpoint: write it now
    cv_.SignalAll();
    ++stats_.batch_runs;
    stats_.last_batch_boundary = boundary;
    stats_.last_batch_at = NowMicros();
    stats_.last_batch_seconds = run->seconds;
    // The next run starts one period after this one started.
    pause = std::max<Micros>(0, batch_every_ - (MonotonicMicros() - start));
  }
}

void PipelineService::CheckpointLoop() {
  constexpr Micros kDay = 86'400'000'000;
  const Micros every = options_.checkpoint_every > 0 ? options_.checkpoint_every : kDay;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      WaitLocked(every, &PipelineService::CheckpointDueLocked);
      if (stopping_) return;  // Stop writes the last one
      since_checkpoint_ = 0;
      checkpoint_now_ = false;
    }
    Status s = engine_->Checkpoint().status();
    if (!s.ok()) {
      Fail(s.WithContext("checkpoint"));
      if (Sleep(kErrorSleep)) return;
      continue;
    }
    absl::MutexLock lock(&mu_);
    ++stats_.checkpoints;
  }
}

void PipelineService::CdcLoop(const sql::BronzeTable& bronze) {
  Micros backoff = options_.cdc_retry_min;
  while (!stop_flag_.load()) {
    const Micros started = MonotonicMicros();
    Status s = RunCdcOnce(bronze);
    if (stop_flag_.load()) return;  // a failure caused by stopping is no failure
    // RunCdcIngest returns OK only once stopped; anything else is a failure to report.
    if (s.ok()) s = Status::Aborted("the connector stopped unexpectedly");
    {
      absl::MutexLock lock(&mu_);
      ++stats_.cdc_failures;
    }
    Fail(s.WithContext(bronze.name + " <- postgres " + bronze.source_table));
    if (MonotonicMicros() - started > options_.cdc_retry_max) backoff = options_.cdc_retry_min;
    if (Sleep(backoff)) return;
    backoff = std::min(backoff * 2, options_.cdc_retry_max);
  }
}

Status PipelineService::RunCdcOnce(const sql::BronzeTable& bronze) {
  ASSIGN_OR_RETURN(log::Table * table, options_.store->GetTable(bronze.name));
  connect::PostgresCdcOptions source_options;
  source_options.conninfo = bronze.conninfo;
  source_options.source_table = bronze.source_table;
  source_options.slot = bronze.slot;
  source_options.publication = bronze.publication;
  source_options.poll_interval = std::chrono::milliseconds(options_.cdc_poll / 1000);
  source_options.report = [this, &bronze](const std::string& m) { Note(bronze.name + ": " + m); };
  connect::CdcIngestOptions ingest;
  ingest.stop = &stop_flag_;
  ingest.schema_history_path = filename::SchemaHistory(options_.data_dir, bronze.name);
  ingest.compatibility = bronze.compatibility;
  ingest.report = [this](const std::string& m) { Note(m); };  // already names the table
  connect::PostgresCdcSource source(std::move(source_options));
  RETURN_IF_ERROR(source.Open());
  return connect::RunCdcIngest(table, &source, ingest).status();
}

}  // namespace strata::serve
