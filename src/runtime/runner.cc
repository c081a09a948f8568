#include "runtime/runner.h"

#include "common/filename.h"

#include <algorithm>

#include "log/reader.h"
#include "runtime/schema_guard.h"
#include "sql/binder.h"
#include "sql/parser.h"

namespace strata::runtime {

Status EnsureBronzeTables(log::Store* store, const sql::Pipeline& pipeline) {
  for (const sql::BronzeTable& b : pipeline.bronze) {
    std::string format = format::PayloadFormatName(b.format);
    auto existing = store->GetTable(b.name);
    if (existing.ok()) {
      const log::TableConfig& c = (*existing)->config();
      if (c.partitions != b.partitions || c.key_field != b.key || c.payload_format != format) {
        return Status::FailedPrecondition(
            b.name + " exists with " + std::to_string(c.partitions) + " partitions, key '" +
            c.key_field + "' and format " + c.payload_format + ", but the pipeline declares " +
            std::to_string(b.partitions) + " partitions, key '" + b.key + "' and format " + format);
      }
      continue;
    }
    if (!existing.status().IsNotFound()) return existing.status();
    log::TableConfig config;
    config.partitions = b.partitions;
    config.key_field = b.key;
    config.payload_format = format;
    RETURN_IF_ERROR(store->CreateTable(b.name, config).status());
  }
  return Status::OK();
}

Result<uint64_t> CatchUp(log::Store* store, PipelineExecutor* executor,
                         const sql::Pipeline& pipeline, size_t batch_records, const Offsets* until,
                         const std::atomic<bool>* stop) {
  struct Cursor {
    std::string table;
    const sql::BronzeTable* bronze;
    const log::Partition* partition;
    std::unique_ptr<log::PartitionReader> reader;
    uint64_t end;
  };
  std::vector<Cursor> cursors;
  for (const sql::BronzeTable& b : pipeline.bronze) {
    ASSIGN_OR_RETURN(log::Table * table, store->GetTable(b.name));
    for (uint32_t p = 0; p < table->partition_count(); ++p) {
      const log::Partition& part = table->partition(p);
      uint64_t from = executor->next_offset(b.name, p);
      if (from < part.start_offset()) {
        return Status::FailedPrecondition(b.name + " partition " + std::to_string(p) +
                                          ": the pipeline needs offset " + std::to_string(from) +
                                          " but retention removed everything before " +
                                          std::to_string(part.start_offset()));
      }
      uint64_t end = part.end_offset();
      if (until != nullptr) end = std::min(end, until->at(b.name).at(p));
      cursors.push_back(
          {b.name, &b, &part, std::make_unique<log::PartitionReader>(part, from), end});
    }
  }
  SchemaGuard guard(store->dir(), pipeline);
  Status first_refusal;
  uint64_t pushed = 0;
  bool progress = true;
  while (progress && (stop == nullptr || !stop->load(std::memory_order_relaxed))) {
    progress = false;
    for (Cursor& c : cursors) {
      uint32_t p = c.partition->id();
      uint64_t next = executor->next_offset(c.table, p);
      uint64_t end = c.end;
      // The speed path stops at a pending Lambda boundary until every partition reaches
      // it (the executor then opens the epoch and the boundary is no longer pending).
      if (const Offsets* boundary = executor->pending_boundary()) {
        end = std::min(end, boundary->at(c.table)[p]);
      }
      if (next >= end) continue;
      ASSIGN_OR_RETURN(auto records,
                       c.reader->NextBatch(std::min<uint64_t>(batch_records, end - next)));
      if (records.empty()) continue;
      Status refusal;
      const size_t admitted = guard.Admit(*c.bronze, records, &refusal);
      if (admitted > 0) {
        RETURN_IF_ERROR(executor->Push(c.table, p, std::span(records).first(admitted)));
        pushed += admitted;
        progress = true;
      }
      if (admitted < records.size()) {
        // This partition stops at the refused record; the others go on.
        c.end = next + admitted;
        if (first_refusal.ok()) {
          first_refusal = Status::FailedPrecondition(refusal.message() + " (stopped at partition " +
                                                     std::to_string(p) + ", offset " +
                                                     std::to_string(next + admitted) + ")");
        }
      }
    }
  }
  if (!first_refusal.ok()) return first_refusal;
  return pushed;
}

PipelinePaths::PipelinePaths(const std::string& data_dir)
    : dir(filename::PipelineDir(data_dir)),
      sql(filename::PipelineSql(data_dir)),
      checkpoints(filename::CheckpointsDir(data_dir)),
      streaming(filename::LegacyStreamingState(data_dir)),
      batch(filename::LegacyBatchState(data_dir)) {}

Result<sql::Pipeline> LoadPipeline(std::string_view text, std::string_view file_name) {
  ASSIGN_OR_RETURN(auto statements, sql::ParsePipeline(text, file_name));
  return sql::BindPipeline(statements, file_name);
}

Status SaveExecutorState(const PipelineExecutor& executor, const std::string& path) {
  std::string bytes;
  RETURN_IF_ERROR(executor.Save(&bytes));
  FileSystem* fs = FileSystem::Default();
  RETURN_IF_ERROR(fs->CreateDirs(DirName(path)));
  return fs->WriteFileAtomic(path, bytes);
}

Status LoadExecutorState(PipelineExecutor* executor, const std::string& path) {
  FileSystem* fs = FileSystem::Default();
  if (!fs->Exists(path)) return Status::OK();
  std::string bytes;
  RETURN_IF_ERROR(fs->ReadFile(path, &bytes));
  return executor->Load(bytes).WithContext(path);
}

}  // namespace strata::runtime
