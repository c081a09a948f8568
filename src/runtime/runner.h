// Moving bronze records into a PipelineExecutor (DESIGN.md §4). Both runtimes do only
// this, with the same operators behind it; serve::Engine decides when and how much:
//   - streaming: incremental micro-batches of new records from the saved offsets, state
//     kept across clean stops;
//   - batch: a fresh executor over [0, T) of every partition, in large batches.
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
// Returns the number of records pushed. `stop`, when given, is read between pushes: once set,
// CatchUp returns early (the executor's offsets say how far it came).
Result<uint64_t> CatchUp(log::Store* store, PipelineExecutor* executor,
                         const sql::Pipeline& pipeline, size_t batch_records,
                         const Offsets* until = nullptr, const std::atomic<bool>* stop = nullptr);

// Where a data directory keeps its pipeline: the SQL it runs and the runtimes' states (the
// names are common/filename.h's).
struct PipelinePaths {
  explicit PipelinePaths(const std::string& data_dir);
  std::string dir;          // DIR/pipeline
  std::string sql;          // DIR/pipeline/pipeline.sql
  std::string checkpoints;  // DIR/pipeline/checkpoints (serve/checkpoint.h)
  // The state files of earlier releases, read when no checkpoint exists yet.
  std::string streaming;  // DIR/pipeline/streaming.state
  std::string batch;      // DIR/pipeline/batch.state
};

// Parses and binds a pipeline file's text; errors carry FILE:LINE:COLUMN.
Result<sql::Pipeline> LoadPipeline(std::string_view text, std::string_view file_name);

// Writes the executor's state to `path` atomically (directory created if absent).
Status SaveExecutorState(const PipelineExecutor& executor, const std::string& path);
// Loads what SaveExecutorState wrote; OK and nothing loaded when `path` does not exist.
Status LoadExecutorState(PipelineExecutor* executor, const std::string& path);

}  // namespace strata::runtime
