// PipelineExecutor: one bound pipeline (sql/plan.h) wired to the exec operators. It holds
// no scheduling policy: the streaming runtime pushes small runs of new bronze records, the
// batch runtime pushes everything from offset 0 in large runs, and both get their results
// from the same operators (DESIGN.md §3: no business logic in a runtime).
//
// Per silver table: decode the bronze payloads (format::PayloadDecoder; undecodable
// records go to quarantine), filter by WHERE, project to the declared columns, check the
// constraints (exec::ExpectOperator: violations go to quarantine, are dropped, or fail the
// run, per on_violation), then upsert by the primary key (or keep every row when there is
// none). Per gold view on that silver table: filter, assign windows and decide which rows
// are late (exec::LateOperator), evaluate the group keys and aggregate arguments, aggregate.
// A view over a join (FROM a JOIN b) reads both silver tables: each one's changes go to its
// side of the view's exec::JoinOperator, whose changes of the joined row the view then
// filters and aggregates. A silver table fed by a join does the same before its filter,
// projection and constraints, and keeps the joined rows one for one.
// The operators decide what happens to a row; the executor walks the graph, hands each
// operator its rows and, for event time, each record's watermark at arrival
// (exec::WatermarkTracker, one per bronze table with a watermark), and keeps the offsets and
// the Lambda boundaries (below).
//
// Offsets: the executor remembers, per bronze partition, the next offset it expects, so a
// record is never applied twice and a gap is an error. Save/Load persist everything
// (offsets, operator states, quarantine, Lambda epochs) in one checksummed blob.
//
// Lambda epochs (DESIGN.md §4, gold views with serving = 'lambda'). A batch run picks a
// boundary T (end offsets per bronze partition) and registers it with AddBoundary; the
// speed path stops at T (Push refuses to cross a pending boundary, so the runtime cuts
// its micro-batches there), and when every partition has reached T each Lambda view opens
// an epoch, which records the changes it aggregates from then on (exec/lambda.h; the silver
// upsert keeps its whole history, so a retraction of a row from before T lands in the epoch
// too). PublishBatch(batch(T)) drops the epochs before T and sets each Lambda view's answer
// to a copy of batch(T)'s aggregate into which the epochs from T on are pushed; every later
// push goes into it too, so a query reads it without merging anything. The answer equals a
// full recompute over [0, max(T, offsets)) by construction. The executor keeps the
// boundaries (offsets are its business); the operator keeps the epochs and the answer.
//
// Event time (DESIGN.md §4). A bronze table with a watermark tracks, per partition, the
// greatest event time seen; a record's watermark at arrival is a function of the log alone
// (exec/watermark.h), so every schedule makes the same late decisions. A windowed view lists
// its late records in its late table and, in streaming mode (the default), leaves them out;
// in authoritative mode (set_include_late(true), the batch runtime and recomputes) it counts
// them like any other row. The difference is exactly the effect of the late rows, which is
// how drift is explained (exec/late.h, quality::Drift).
//
// Side tables outside the executor (SetSideSink). The quarantine of a silver table fed by
// bronze and the late table of a windowed view over such a table list rows that are each a
// function of one bronze record and the node's logic (a rejected record, a record late for
// a window), never taken back. With a sink, the executor keeps none of them: each push hands
// the sink the rows its records produced, with the record range they came from, and Save
// writes only counters, so a checkpoint does not grow with every rejected record ever seen.
// Whoever owns the sink answers those tables (Rows refuses them); the other side tables
// (those of a table fed by a silver table, which list what breaks its contract now) stay
// inside.
//
// Not thread-safe: one runtime drives it at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/column.h"
#include "common/status.h"
#include "exec/late.h"
#include "format/decoder.h"
#include "log/record.h"
#include "sql/plan.h"

namespace strata {
class Decoder;
}  // namespace strata

namespace strata::exec {
class AggregateOperator;
struct JoinStats;
struct QuarantineRecord;
}  // namespace strata::exec

namespace strata::runtime {

// End offset (exclusive) per partition, per bronze table.
using Offsets = std::map<std::string, std::vector<uint64_t>, std::less<>>;

// A bronze table's watermarks (see above): per partition the greatest event time seen minus
// the delay (none before a record with an event time), and the table's: the minimum over
// partitions that are not idle (no record within the table's idle_timeout, by the wall
// clock; it decides nothing, it tells readers which windows are final).
struct WatermarkInfo {
  std::string table;
  std::vector<std::optional<Micros>> partitions;
  std::vector<bool> idle;
  std::optional<Micros> watermark;
};

// A windowed view's late accounting (exec/late.h).
using exec::LateCounters;

// A table fed by a silver table counts its source's new rows as records, and as quarantined
// and dropped the source's rows that break its contract now.
struct SilverCounters {
  uint64_t records = 0;      // bronze records pushed
  uint64_t filtered = 0;     // rows removed by WHERE
  uint64_t quarantined = 0;  // rows sent to quarantine (decode errors included)
  uint64_t dropped = 0;      // rows dropped by on_violation = 'drop'
};

// New rows of one side table kept outside (see above): its columns are
// sql::QuarantineColumns() or sql::LateColumns(), and the row's source table, partition and
// offset are the columns from `origin_column` on.
struct SideRows {
  std::string table;
  std::string logic;  // PipelineExecutor::LogicOf the node that owns the side table
  size_t origin_column = 0;
  Batch rows;
  std::vector<std::string> sources;  // the bronze tables whose records reach the node
};

// Receives side rows kept outside. Called from the thread pushing; an error fails the push.
class SideSink {
 public:
  virtual ~SideSink() = default;
  // `rows`: the side rows of records [first, end) of partition `partition` of `bronze`
  // (every row's origin lies in that range; a range may produce no rows).
  virtual Status Append(std::string_view bronze, uint32_t partition, uint64_t first, uint64_t end,
                        std::vector<SideRows> rows) = 0;
};

// A publish of batch(T) under way (PipelineExecutor::BeginPublish).
class PendingPublish {
 public:
  PendingPublish();
  PendingPublish(PendingPublish&&) noexcept;
  PendingPublish& operator=(PendingPublish&&) noexcept;
  ~PendingPublish();

 private:
  friend class PipelineExecutor;
  struct Impl;
  std::unique_ptr<Impl> impl_;
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
  // Every partition's next offset: the input consumed so far is [0, offsets()).
  const Offsets& offsets() const { return offsets_; }

  // Starts every partition at `start` instead of 0 (a replay --from-offset): the records
  // before it are never pushed. Only before the first Push; InvalidArgument when `start`
  // does not cover the pipeline's partitions.
  Status StartAt(const Offsets& start);

  // Lambda epochs (see above). AddBoundary registers T, which must cover every bronze
  // partition and be at or past the current offsets (InvalidArgument naming the partition
  // otherwise) and past any boundary already pending; at the current offsets it opens the
  // epoch at once. The first pending boundary, if any:
  Status AddBoundary(const Offsets& t);
  const Offsets* pending_boundary() const;
  // Start boundaries of the open epochs, oldest first (the same for every Lambda view).
  std::vector<Offsets> epoch_starts() const;
  // Publishes batch(T): `batch` is an executor of the same pipeline that consumed exactly
  // [0, T). Forgets the epochs (and pending boundaries) before T and sets every Lambda
  // view's answer to batch(T) ⊕ the epochs from T on, which later pushes keep current.
  // FailedPrecondition when the pipelines differ, or when no epoch starts at T and the
  // speed path is already past T (the epochs that would cover (T, now) are gone); the
  // executor is unchanged then.
  Status PublishBatch(const PipelineExecutor& batch);
  // PublishBatch in three steps, so that its long part (copying batch(T)'s aggregates and
  // pushing the epochs into them) runs while the speed path goes on. BeginPublish checks
  // what PublishBatch checks, copies the Lambda views' epochs from T on and, until
  // FinishPublish or AbortPublish, also records every later change that belongs to them.
  // BuildPublish builds the answers from `batch` and those copies; it reads only what does
  // not change after Make, so it may run while another thread pushes (the caller must keep
  // `batch` alive and unchanged, and this executor alive). FinishPublish, with pushes
  // excluded again, adds the recorded changes and swaps the answers in (as PublishBatch
  // does). One publish at a time.
  Result<PendingPublish> BeginPublish(const PipelineExecutor& batch);
  Status BuildPublish(const PipelineExecutor& batch, PendingPublish* pending) const;
  Status FinishPublish(PendingPublish pending);
  void AbortPublish();
  // The rows of Lambda view `view`: batch(T) ⊕ speed (see PublishBatch). After Load, a
  // PublishBatch must come first (FailedPrecondition otherwise): the answer is derived
  // state, rebuilt rather than saved.
  Result<Batch> LambdaRows(std::string_view view) const;
  // The number of rows of gold view `view` (of its Lambda answer when `lambda`), as
  // LambdaRows or Rows would return them, without building them: one per group.
  Result<uint64_t> ViewRowCount(std::string_view view, bool lambda) const;

  // Keeps the side tables that are a function of bronze records in `sink` (see above), which
  // must outlive the executor. Before Load: rows a state of an earlier release holds are
  // handed to the sink when it loads.
  void SetSideSink(SideSink* sink);
  // A side table kept in the sink: its name, logic, origin column and no rows (columns of
  // its types); nullopt for another table.
  std::optional<SideRows> SideSinkTable(std::string_view table) const;

  // The current rows of a silver table, a gold view, a quarantine or a late table, each
  // with weight +1 (a row present twice appears twice). NotFound for other names;
  // FailedPrecondition for a side table kept in the sink.
  Result<Batch> Rows(std::string_view table) const;
  const SilverCounters* counters(std::string_view silver) const;
  // A windowed view's late counters; null for another name.
  const LateCounters* late_counters(std::string_view view) const;
  // The size of the join state of view or silver table `node`; none without a join.
  std::optional<exec::JoinStats> join_stats(std::string_view node) const;
  // Per bronze table with a watermark that a silver table reads; `now` decides idleness.
  std::vector<WatermarkInfo> Watermarks(Micros now) const;
  // The watermark of the bronze table that `table` (a silver table or gold view) reads,
  // idle partitions included (a function of the input consumed): none when the table has
  // no watermark or a partition has no event time yet.
  std::optional<Micros> InputWatermark(std::string_view table) const;

  // Authoritative mode (see above): late rows count in the views. Off by default; may be
  // switched between pushes (a Lambda recompute is authoritative up to its boundary).
  void set_include_late(bool include) { include_late_ = include; }
  bool include_late() const { return include_late_; }

  // Everything needed to continue later: offsets, operator states, quarantine, counters,
  // Lambda boundaries and epochs.
  Status Save(std::string* out) const;
  // Restores what Save wrote for the same pipeline (FailedPrecondition when the pipeline's
  // logic differs; Corruption when the bytes do not check out). Call before any Push.
  Status Load(std::string_view in);

  // A fingerprint of everything that decides results (the normalized SQL of every node).
  const std::string& logic() const { return logic_; }
  // The same for one silver table or gold view and the nodes it reads from (the logic
  // hash of its versions); empty for another name.
  std::string LogicOf(std::string_view table) const;

 private:
  struct BronzeNode;
  struct SilverNode;
  struct GoldNode;
  explicit PipelineExecutor(const sql::Pipeline& plan);
  Status Init();
  Status InitSilver(const sql::SilverTable& table);
  Status InitGold(const sql::GoldView& view);
  // Decodes this push's records of `bronze` once, with each record's watermark at arrival.
  void DecodePush(BronzeNode& bronze, uint32_t partition, std::span<const log::RecordView> records,
                  Batch* decoded, std::vector<format::RowError>* errors);
  // One input of `node` over the decoded records of its bronze table.
  Status PushInput(SilverNode& node, size_t input, std::span<const log::RecordView> records,
                   const Batch& decoded, const std::vector<format::RowError>& errors);
  // The changes of the silver table `node` reads (its one input, from silver).
  // `changes` of silver table `source` into silver table `node` reading it (through its
  // join, if any).
  Status PushSilverChanges(SilverNode& node, const std::string& source, const Batch& changes);
  // Filter and project `rows` (the input's source rows) to silver rows; a row that fails
  // is quarantined, unless it is a retraction (its insertion was quarantined already).
  Status Project(SilverNode& node, size_t input, const Batch& rows, Batch* silver);
  Status ApplyConstraints(SilverNode& node, Batch* rows);
  // Lists a rejected row (weight > 0) or, for a table fed by a silver table, takes back the
  // entry of a retracted one (weight < 0).
  void Quarantine(SilverNode& node, exec::QuarantineRecord record, int64_t weight);
  // The table the push under way reads for `node` (its bronze table or its silver source).
  const std::string& SourceOf(const SilverNode& node) const;
  // The quarantine record of row `r` of `rows` (rows of the push under way for `node`: its
  // source's rows, or with !source_row its own).
  exec::QuarantineRecord QuarantinedRow(const SilverNode& node, const Batch& rows, size_t r,
                                        bool source_row, std::string reason,
                                        std::string constraint) const;
  // Upsert (or multiset) the silver rows, then push the changes to every reader.
  Status ApplySilver(SilverNode& node, Batch rows);
  // `changes` of silver table `source` into a view reading it (through its join, if any).
  Status PushSilverToGold(GoldNode& node, const std::string& source, const Batch& changes);
  Status PushGold(GoldNode& node, const Batch& changes);
  // The aggregate's input for `changes` of the view's source: filter, window, group keys and
  // arguments, sessions.
  Status GoldInput(GoldNode& node, const Batch& changes, Batch* input);
  // `answer`: changes of `node`'s Lambda answer, pushed into the Lambda answers of the
  // Lambda views reading it.
  Status PushLambdaConsumers(const GoldNode& node, const Batch& answer);
  // The Lambda answer of a Lambda view reading a Lambda view, from its source's new answer
  // in `answers` (PublishBatch's, parallel to gold_).
  Result<std::unique_ptr<exec::AggregateOperator>> AnswerFromSource(
      GoldNode& node, const std::vector<std::unique_ptr<exec::AggregateOperator>>& answers);
  // Lists the late records of this push of `silver` for each windowed consumer.
  Status RecordLate(const SilverNode& silver, const Batch& rows);
  // The windowed rows of `rows` (silver rows) for `node`: the silver columns, window_start,
  // window_end and the row's time.
  Status Windowed(const GoldNode& node, const Batch& rows, Batch* windowed) const;
  // The watermark at arrival of the record `o` of the push under way; none for a record of
  // another push (never late), without a watermark or before any event time.
  std::optional<Micros> WatermarkAt(const RowOrigin& o) const;
  Result<Batch> GoldRows(const GoldNode& node, const exec::AggregateOperator& aggregate) const;
  // The view's rows for changes of its aggregate (`aggregated`: group keys then aggregates).
  Status ViewRows(const GoldNode& node, const Batch& aggregated, Batch* out) const;
  // executor_state.cc: Load's parts, each reading its piece of the blob (version: the
  // blob's) from `d`; Corruption when it is truncated.
  Status LoadSilver(SilverNode& s, uint32_t version, Decoder* d);
  Status LoadGold(GoldNode& g, uint32_t version, Decoder* d);
  // The pending Lambda boundaries, the epoch starts and the Lambda views' epochs.
  Status LoadLambda(Decoder* d);
  // Hands the side rows held for the sink's tables whose origin is partition `partition` of
  // `bronze` to the sink, as the rows of records [first, end) (none: the span of their
  // origins, for rows a loaded state held), and forgets them.
  Status FlushSide(std::string_view bronze, uint32_t partition,
                   std::optional<std::pair<uint64_t, uint64_t>> range);
  // Every held side row of the sink's tables, partition by partition (after Load).
  Status FlushLoadedSide();
  static Batch QuarantineBatch(const std::vector<exec::QuarantineRecord>& records);
  static Batch LateBatch(const std::vector<exec::LateRecord>& records);
  void OpenEpochIfAtBoundary();
  void AddLogic(const std::string& node, std::string line);
  void DropEpochsBefore(const Offsets& t);

  const sql::Pipeline plan_;
  std::string logic_;
  // Each node's line of logic_, in the pipeline's order.
  std::vector<std::pair<std::string, std::string>> node_logic_order_;
  Offsets offsets_;                    // bronze → next offset per partition
  std::vector<Offsets> pending_;       // boundaries registered, not reached yet, ascending
  std::vector<Offsets> epoch_starts_;  // open epochs, oldest first
  bool lambda_ready_ = true;           // the Lambda answers are built (false after Load)
  bool publishing_ = false;            // between BeginPublish and FinishPublish/AbortPublish
  Offsets publish_t_;                  // then: the publish's T
  size_t publish_first_ = 0;           // and the first epoch from T on
  bool include_late_ = false;
  SideSink* side_sink_ = nullptr;
  std::vector<std::unique_ptr<BronzeNode>> bronze_;  // parallel to plan_.bronze
  std::vector<std::unique_ptr<SilverNode>> silver_;  // parallel to plan_.silver
  std::vector<std::unique_ptr<GoldNode>> gold_;      // parallel to plan_.gold
  // The push under way: its bronze table and partition, its first offset, and each of its
  // records' watermark at arrival.
  const BronzeNode* push_bronze_ = nullptr;
  uint32_t push_partition_ = 0;
  uint64_t push_first_ = 0;
  std::vector<Micros> push_watermarks_;
};

}  // namespace strata::runtime
