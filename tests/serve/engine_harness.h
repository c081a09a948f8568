// What the engine-level tests share: a data directory on a fault-injecting file system and
// the store and serve::Engine over it, driven the way `strata server` and the CLI drive them
// (open, catch up and publish, checkpoint and reopen, crash).
//
// Not thread-safe: one test thread drives it.
#pragma once

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/runner.h"
#include "serve/engine.h"
#include "testing/fault_injection_fs.h"
#include "testing/temp_dir.h"

namespace strata::serve {

class EngineHarness {
 public:
  // `sql_name` names the pipeline in error messages; `batch_records` is the speed path's
  // micro-batch size (EngineOptions::batch_records).
  EngineHarness(std::string sql_name, size_t batch_records)
      : sql_name_(std::move(sql_name)), batch_records_(batch_records) {}

  // Closes what is open and opens the store and an engine running `sql` (bronze tables
  // created as `strata check --data` creates them).
  Status Open(std::string sql) {
    Close();
    sql_ = std::move(sql);
    return Reopen();
  }

  // Steps until every lane has consumed everything durable, then publishes.
  Status CatchUp() {
    for (int i = 0; i < 100000 && !engine_->CaughtUp(); ++i)
      RETURN_IF_ERROR(engine_->Step().status());
    if (!engine_->CaughtUp()) return Status::Aborted("the speed path never caught up");
    return engine_->PublishStreaming().status();
  }

  // With `checkpoint`: a clean stop and start. Without: the checkpoints are deleted, so the
  // reopened engine recomputes from bronze, which this does up to where the log ends.
  Status Restart(bool checkpoint) {
    if (checkpoint) RETURN_IF_ERROR(engine_->Checkpoint().status());
    Close();
    if (!checkpoint) RETURN_IF_ERROR(RemoveCheckpoints());
    RETURN_IF_ERROR(Reopen());
    return checkpoint ? Status::OK() : CatchUp();
  }

  // The engine and the store go away without a checkpoint, the disk loses every byte that
  // was not synced (with `torn_seed`, a random prefix of them survives), and both reopen.
  Status Crash(std::optional<uint64_t> torn_seed = std::nullopt) {
    Close();
    RETURN_IF_ERROR(fs_.SimulateCrash(torn_seed));
    return Reopen();
  }

  void Close() {
    engine_.reset();
    store_.reset();
  }

  Engine* engine() const { return engine_.get(); }
  log::Store* store() const { return store_.get(); }
  const std::string& sql() const { return sql_; }
  const std::string& dir() const { return dir_.path(); }

 private:
  Status Reopen() {
    log::StoreOptions store_options;
    store_options.fs = &fs_;
    ASSIGN_OR_RETURN(store_, log::Store::Open(dir_.path(), store_options));
    ASSIGN_OR_RETURN(sql::Pipeline plan, runtime::LoadPipeline(sql_, sql_name_));
    RETURN_IF_ERROR(runtime::EnsureBronzeTables(store_.get(), plan));
    EngineOptions options;
    options.fs = &fs_;
    options.batch_records = batch_records_;
    ASSIGN_OR_RETURN(engine_, Engine::Open(store_.get(), dir_.path(), sql_, sql_name_, options));
    return Status::OK();
  }

  // Deletes every checkpoint through the fault-injecting file system, which then forgets
  // their files (a later crash has nothing of them to truncate).
  Status RemoveCheckpoints() {
    const std::string root = runtime::PipelinePaths(dir_.path()).checkpoints;
    if (!fs_.Exists(root)) return Status::OK();
    std::vector<std::string> paths;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root))
      paths.push_back(e.path().string());
    // Deepest first: a directory is empty when its turn comes.
    std::sort(paths.begin(), paths.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    paths.push_back(root);
    for (const auto& path : paths)
      RETURN_IF_ERROR(fs_.Remove(path));
    return Status::OK();
  }

  const std::string sql_name_;
  const size_t batch_records_;
  ::strata::testing::TempDir dir_;
  ::strata::testing::FaultInjectionFileSystem fs_;
  std::unique_ptr<log::Store> store_;
  std::unique_ptr<Engine> engine_;
  std::string sql_;
};

}  // namespace strata::serve
