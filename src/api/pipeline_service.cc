#include "api/pipeline_service.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace strata::api {
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
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  speed_ = std::thread([this] { SpeedLoop(); });
  if (batch_every_ > 0) batch_ = std::thread([this] { BatchLoop(); });
}

Status PipelineService::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  bool started;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return stop_status_;
    stopping_ = true;
    started = started_;
    cv_.notify_all();
  }
  if (speed_.joinable()) speed_.join();
  if (batch_.joinable()) batch_.join();
  Status status;
  if (started) {
    status = engine_->PublishStreaming().status();
    Status saved = engine_->Save();
    if (status.ok()) status = saved;
  }
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  stop_status_ = status;
  return status;
}

PipelineService::Stats PipelineService::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void PipelineService::Fail(const Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.last_error = status.message();
  if (printed_error_ == stats_.last_error) return;
  printed_error_ = stats_.last_error;
  std::fprintf(stderr, "strata: pipeline: %s\n", printed_error_.c_str());
}

bool PipelineService::Sleep(Micros micros) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::microseconds(micros), [this] { return stopping_; });
}

void PipelineService::SpeedLoop() {
  Micros next_publish = MonotonicMicros() + options_.publish_every;
  Micros next_save = MonotonicMicros() + options_.save_every;
  for (;;) {
    Micros pause = 0;
    Result<uint64_t> consumed = engine_->Step();
    if (!consumed.ok()) {
      Fail(consumed.status());
      pause = kErrorSleep;
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.records += *consumed;
      if (*consumed == 0) pause = options_.idle_sleep;
    }
    const Micros now = MonotonicMicros();
    if (now >= next_publish) {
      next_publish = now + options_.publish_every;
      Status s = engine_->PublishStreaming().status();
      if (!s.ok()) Fail(s);
    }
    if (now >= next_save) {
      next_save = now + options_.save_every;
      Status s = engine_->Save();
      if (!s.ok()) Fail(s);
    }
    if (Sleep(pause)) return;
  }
}

void PipelineService::BatchLoop() {
  Micros pause = batch_every_;
  while (!Sleep(pause)) {
    const Micros start = MonotonicMicros();
    Result<serve::BatchRunResult> run = engine_->RunBatch();
    if (!run.ok()) {
      Fail(run.status());
      pause = batch_every_;  // a failed recompute is retried at the next period, not at once
      continue;
    }
    uint64_t boundary = 0;
    for (const auto& [table, offsets] : run->boundary) {
      for (uint64_t o : offsets)
        boundary += o;
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.batch_runs;
    stats_.last_batch_boundary = boundary;
    stats_.last_batch_at = NowMicros();
    stats_.last_batch_seconds = run->seconds;
    // The next run starts one period after this one started.
    pause = std::max<Micros>(0, batch_every_ - (MonotonicMicros() - start));
  }
}

}  // namespace strata::api
