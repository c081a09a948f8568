// Side tables in the log. The quarantine of a silver table fed by bronze and the late table
// of a windowed view over one list rows that are each a function of one bronze record and
// the node's logic (runtime/executor.h, "Side tables outside the executor"). So every
// executor of that logic (the main lane, batch(T), replay lanes) shares one internal log
// table per side table and logic hash (common/filename.h: `_strata.side.S.H`, one
// partition), and no checkpoint carries those rows: a lane's state keeps counters and
// offsets only.
//
// A record of a side log holds the rows that records [first, end) of one bronze partition
// produced, and says so in its header: [format 1][bronze][partition][first][end][row count]
// [rows, each cell as exec/row_codec.h encodes it]; the log frames and checksums it like any
// record. Append writes only rows of records no earlier record covered, so a lane that
// re-reads bronze after a restart, a batch run over [0, T) and a replay of the same logic
// list each rejected record once, whichever came first; a crash before the append was
// durable leaves the range uncovered, and the lane that re-reads it writes it. Covered ranges
// are read from the records' headers when a log is first used.
//
// An executor's side table is the rows whose origin (source table, partition, offset) lies in
// the input it consumed: before its offsets (Rows). (A replay lane started --from-offset
// appends the rows of its records too; no query reads a side table of a replay lane.)
//
// Retention: a side log keeps its rows about as long as its sources keep the records they
// came from. It is created with the loosest retention of the node's bronze tables (no limit
// when one of them has none; their byte budgets added up, since the log has one partition;
// their oldest age limit) and segments no larger than theirs, and the log applies it as it
// applies a bronze table's, when a segment rolls. A record's rows are appended after the
// record, so an age limit removes them only once their record is that old. Rows that retention
// removed while their bronze records remain are listed again by the next lane that reads
// those records (their range is uncovered again when the log is next opened).
//
// On a read-only store nothing is written: appended rows are kept in memory (a state of an
// earlier release that held them, loaded by a read-only engine).
//
// Thread safety: every method may be called from any thread; Rows reads the log without the
// lock that Append holds.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/column.h"
#include "common/status.h"
#include "log/store.h"
#include "runtime/executor.h"

namespace strata::serve {

// What reading an executor's side table needs, taken while the executor cannot move.
struct SideQuery {
  std::string table;
  std::string logic;
  std::vector<Type> types;  // the side table's columns
  size_t origin_column = 0;
  runtime::Offsets end;  // the executor's offsets
};

class SideLog final : public runtime::SideSink {
 public:
  explicit SideLog(log::Store* store);
  ~SideLog() override;

  Status Append(std::string_view bronze, uint32_t partition, uint64_t first, uint64_t end,
                std::vector<runtime::SideRows> rows) override;

  // `executor`'s side table `table` (kept in this sink) as a query to answer.
  static SideQuery QueryOf(const runtime::PipelineExecutor& executor, std::string_view table);
  // The rows of the query's side table whose origin lies before `end`, in the order they
  // were appended.
  Result<Batch> Rows(const SideQuery& query);

 private:
  struct Log;
  // The log of (table, logic), its covered ranges loaded. Its `table` is created with
  // ConfigFor(*create_from) when `create_from` is given (an append: the node's bronze
  // sources) and the store is writable; a read leaves a missing table missing (null
  // `table`: nothing stored yet, or a read-only store).
  Result<Log*> GetLog(std::string_view table, std::string_view logic,
                      const std::vector<std::string>* create_from)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A side log's table settings: one partition, and the loosest retention of the bronze
  // tables `sources` (see the header comment).
  Result<log::TableConfig> ConfigFor(const std::vector<std::string>& sources);
  Status AppendTo(Log* log, std::string_view bronze, uint32_t partition, uint64_t first,
                  uint64_t end, const runtime::SideRows& rows) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  log::Store* const store_;
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Log>, std::less<>> logs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::serve
