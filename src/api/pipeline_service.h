// PipelineService: keeps a serve::Engine moving while a server or the demo runs.
//
// Two background threads drive the engine (the engine itself never schedules anything):
//   - the speed loop calls Engine::Step() repeatedly, sleeping `idle_sleep` when a step
//     consumed nothing, and every `publish_every` calls PublishStreaming (a new version of
//     each Kappa view whose serving lane moved) and every `save_every` Save;
//   - the batch loop (only when the pipeline has Lambda views) calls Engine::RunBatch()
//     every `batch_every`, the first time one period after Start. A batch run blocks this thread
//     for the recompute; the speed loop keeps stepping meanwhile (the Engine recomputes outside its
//     lock).
// Errors never stop the loops: each is recorded in Stats::last_error and printed to stderr
// as "strata: pipeline: <message>" (a message repeated by consecutive failures is printed
// once). The speed loop sleeps 100 ms after a failure so that a persistent error does not
// spin; a failed batch run is retried at the next period.
//
// Thread safety: Start, Stop and stats may be called from any thread. Stop returns within
// about `idle_sleep` + one Step, besides a batch run in flight, which it waits for.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "serve/engine.h"

namespace strata::api {

struct PipelineServiceOptions {
  // 0: the smallest batch_every of the pipeline's Lambda views. No batch runs at all when
  // the pipeline has no Lambda view.
  Micros batch_every = 0;
  Micros publish_every = 2'000'000;  // Engine::PublishStreaming period (Kappa versions)
  Micros save_every = 10'000'000;    // Engine::Save period
  Micros idle_sleep = 2'000;         // speed loop sleep when Step() consumed nothing
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
  // Joins the threads, then calls PublishStreaming and Save once more (when started) and
  // returns the first error of those two. Idempotent: later calls return the same status.
  Status Stop();

  // Counters for a live summary.
  struct Stats {
    uint64_t records = 0;              // consumed by the main lane (Step) since Start
    uint64_t batch_runs = 0;           // successful batch runs
    uint64_t last_batch_boundary = 0;  // total offsets of the last run's boundary T
    Micros last_batch_at = 0;          // when the last run finished (wall clock); 0: none
    double last_batch_seconds = 0;     // how long it took
    std::string last_error;            // the last failure's message; "" if none
  };
  Stats stats() const;

  // The batch period in use (options.batch_every or the pipeline's); 0: no batch loop.
  Micros batch_every() const { return batch_every_; }

 private:
  void SpeedLoop();
  void BatchLoop();
  // Records a failure (and prints it unless it repeats the previous one).
  void Fail(const Status& status);
  // Sleeps up to `micros` or until Stop(); true when stopping.
  bool Sleep(Micros micros);

  serve::Engine* const engine_;
  const PipelineServiceOptions options_;
  const Micros batch_every_;

  std::mutex stop_mu_;     // serializes Stop
  mutable std::mutex mu_;  // guards what follows
  std::condition_variable cv_;
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  Status stop_status_;
  Stats stats_;
  std::string printed_error_;
  std::thread speed_;
  std::thread batch_;
};

}  // namespace strata::api
