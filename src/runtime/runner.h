// The two schedulers of a pipeline (DESIGN.md §4). Both only move bronze records into a
// PipelineExecutor; everything they compute comes from the same operators:
//   - streaming: incremental micro-batches of new records from the saved offsets, state
//     kept across clean stops;
//   - batch: a fresh executor over [0, end) of every partition, in large batches.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "log/store.h"
#include "runtime/executor.h"
#include "sql/plan.h"

namespace strata::runtime {

// Creates the pipeline's bronze tables that are absent from the store (with the declared
// partitions, key and payload format); fails, naming the difference, when an existing table
// disagrees with its declaration.
Status EnsureBronzeTables(log::Store* store, const sql::Pipeline& pipeline);

// Pushes every durable bronze record past the executor's offsets, at most `batch_records`
// per partition per push, partitions in turn, until each partition reaches the end offset
// it had when the call started (or `until`, when given, if that is earlier). It stops each
// partition at the executor's pending Lambda boundary until the epoch opens there.
// Returns the number of records pushed.
Result<uint64_t> CatchUp(log::Store* store, PipelineExecutor* executor,
                         const sql::Pipeline& pipeline, size_t batch_records,
                         const Offsets* until = nullptr);

// Where a data directory keeps its pipeline: the SQL it runs and the runtimes' states.
struct PipelinePaths {
  explicit PipelinePaths(const std::string& data_dir);
  std::string dir;        // DIR/pipeline
  std::string sql;        // DIR/pipeline/pipeline.sql
  std::string streaming;  // DIR/pipeline/streaming.state
  std::string batch;      // DIR/pipeline/batch.state
};

// Parses and binds a pipeline file's text; errors carry FILE:LINE:COLUMN.
Result<sql::Pipeline> LoadPipeline(std::string_view text, std::string_view file_name);

struct StreamingOptions {
  size_t batch_records = 1024;
  bool until_caught_up = false;
  // Set from another thread (a signal) to stop; checked between micro-batches.
  const std::atomic<bool>* stop = nullptr;
  Micros idle_sleep = 100'000;
};

// Resumes from `state_path` (if present), processes new records until caught up (or until
// *stop), then saves the state atomically. Returns the records processed.
Result<uint64_t> RunStreaming(log::Store* store, const sql::Pipeline& pipeline,
                              PipelineExecutor* executor, const std::string& state_path,
                              const StreamingOptions& options);

// Recomputes [0, until) -- [0, end) without `until` -- with a fresh executor and saves its
// state to `state_path` (none when empty).
Result<std::unique_ptr<PipelineExecutor>> RunBatch(log::Store* store, const sql::Pipeline& pipeline,
                                                   const std::string& state_path,
                                                   size_t batch_records = 65536,
                                                   const Offsets* until = nullptr);

}  // namespace strata::runtime
