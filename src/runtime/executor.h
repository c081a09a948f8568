// PipelineExecutor: one bound pipeline (sql/plan.h) wired to the exec operators. It holds
// no scheduling policy: the streaming runtime pushes small runs of new bronze records, the
// batch runtime pushes everything from offset 0 in large runs, and both get their results
// from the same operators (DESIGN.md §3: no business logic in a runtime).
//
// Per silver table: decode the bronze payloads (format::PayloadDecoder; undecodable
// records go to quarantine), filter by WHERE, project to the declared columns, check the
// constraints (violations go to quarantine, are dropped, or fail the run, per
// on_violation), then upsert by the primary key (or keep every row when there is none).
// Per gold view on that silver table: filter, evaluate the group keys and aggregate
// arguments, aggregate.
//
// Offsets: the executor remembers, per bronze partition, the next offset it expects, so a
// record is never applied twice and a gap is an error. Save/Load persist everything
// (offsets, operator states, quarantine) in one checksummed blob.
//
// Not thread-safe: one runtime drives it at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/column.h"
#include "common/status.h"
#include "log/record.h"
#include "sql/plan.h"

namespace strata::runtime {

struct SilverCounters {
  uint64_t records = 0;      // bronze records pushed
  uint64_t filtered = 0;     // rows removed by WHERE
  uint64_t quarantined = 0;  // rows sent to quarantine (decode errors included)
  uint64_t dropped = 0;      // rows dropped by on_violation = 'drop'
};

class PipelineExecutor {
 public:
  static Result<std::unique_ptr<PipelineExecutor>> Make(const sql::Pipeline& plan);
  ~PipelineExecutor();

  // Processes `records` of partition `partition` of bronze table `bronze`: consecutive
  // offsets starting at next_offset(bronze, partition). FailedPrecondition for a gap or a
  // repeat; any other error (on_violation = 'fail', an operator invariant) leaves the
  // executor unusable.
  Status Push(std::string_view bronze, uint32_t partition,
              std::span<const log::RecordView> records);
  uint64_t next_offset(std::string_view bronze, uint32_t partition) const;

  // The current rows of a silver table, a gold view or a quarantine table, each with
  // weight +1 (a row present twice appears twice). NotFound for other names.
  Result<Batch> Rows(std::string_view table) const;
  const SilverCounters* counters(std::string_view silver) const;

  // Everything needed to continue later: offsets, operator states, quarantine, counters.
  Status Save(std::string* out) const;
  // Restores what Save wrote for the same pipeline (FailedPrecondition when the pipeline's
  // logic differs; Corruption when the bytes do not check out). Call before any Push.
  Status Load(std::string_view in);

  // A fingerprint of everything that decides results (the normalized SQL of every node).
  const std::string& logic() const { return logic_; }

 private:
  struct SilverNode;
  struct GoldNode;
  explicit PipelineExecutor(const sql::Pipeline& plan);
  Status Init();
  Status PushSilver(SilverNode& node, uint32_t partition, std::span<const log::RecordView> in);
  Status ApplyConstraints(SilverNode& node, Batch* rows);
  Status PushGold(GoldNode& node, const Batch& silver_changes);

  const sql::Pipeline plan_;
  std::string logic_;
  std::map<std::string, std::vector<uint64_t>, std::less<>> offsets_;  // bronze → next offset
  std::vector<std::unique_ptr<SilverNode>> silver_;
  std::vector<std::unique_ptr<GoldNode>> gold_;
};

}  // namespace strata::runtime
