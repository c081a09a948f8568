// The nodes of a PipelineExecutor (executor.h): one per node of the plan's graph, each
// holding its operators and their state. Shared by executor.cc (wiring, answers, Lambda),
// executor_push.cc (the push loop) and executor_state.cc (save and load); nothing else
// includes it.
#pragma once

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exec/aggregate.h"
#include "exec/changelog.h"
#include "exec/expression.h"
#include "exec/upsert.h"
#include "exec/window.h"
#include "format/decoder.h"
#include "runtime/executor.h"

namespace strata::runtime {

// a ≤ b in every partition (of a's tables).
bool AtOrBefore(const Offsets& a, const Offsets& b);

inline constexpr Micros kNoTime = std::numeric_limits<Micros>::min();  // no event time yet

// A bronze table: the decoder its readers share (a push is decoded once) and, with a
// watermark, per partition the greatest event time seen (kNoTime: none yet) and when it
// last received a record (wall clock, not saved).
struct PipelineExecutor::BronzeNode {
  const sql::BronzeTable* table = nullptr;
  std::unique_ptr<format::PayloadDecoder> decoder;  // null when no silver table reads it
  std::vector<Micros> max_time;
  std::vector<Micros> last_seen;
};

struct PipelineExecutor::LateRecord {
  std::string reason;
  std::string source_table;  // the bronze table of the record
  uint32_t partition = 0;
  uint64_t offset = 0;
  Micros event_time = 0;
  std::optional<Micros> watermark;
  std::optional<Micros> window_start, window_end;
};

struct PipelineExecutor::GoldNode {
  const sql::GoldView* view = nullptr;
  std::optional<exec::CompiledExpression> where;
  std::vector<exec::CompiledExpression> inputs;  // group keys, then aggregate arguments
  std::unique_ptr<exec::AggregateOperator> aggregate;
  std::vector<exec::CompiledExpression> outputs;
  std::vector<GoldNode*> consumers;  // views reading this view's changes
  // Lambda views: the aggregate's net input since each open epoch's start (parallel to
  // PipelineExecutor::epoch_starts_). Empty for Kappa views.
  std::vector<exec::ConsolidatedChanges> epochs;
  std::unique_ptr<exec::AggregateOperator> lambda;  // the Lambda answer (see PublishBatch)
  // While a publish is under way (BeginPublish to FinishPublish): the aggregate's input
  // since BeginPublish that belongs to an epoch from the publish's T on.
  std::optional<exec::ConsolidatedChanges> publish_tail;
  // A Lambda view reading a Lambda view: its Lambda answer is computed from its source's
  // Lambda answer (not from epochs of its own, which it has none of).
  bool lambda_reads_source = false;
  std::vector<Type> input_types;  // how to make another aggregate like `aggregate`
  std::vector<int> group_columns;
  std::vector<exec::AggregateSpec> specs;
  // With a window (see executor.h): the time over the silver row, the windowed row's types
  // (silver columns, window_start, window_end, time), the session operator (sessions only),
  // the late rows counted so far by their windowed row (a retraction of one is late too),
  // the late table and its counters.
  std::optional<exec::CompiledExpression> time;
  std::vector<Type> windowed_types;
  std::unique_ptr<exec::SessionOperator> session;
  std::optional<exec::ConsolidatedChanges> late_rows;
  std::vector<LateRecord> late;  // with a side sink: this push's, until it is flushed
  LateCounters late_counters;
  bool late_in_sink = false;  // the late table is kept in the side sink
  std::string sink_logic;     // then: LogicOf the view
};

struct PipelineExecutor::SilverNode {
  // One INSERT feeding the table: from a bronze table (decoded records) or from the silver
  // table it reads (that table's changes).
  struct Input {
    const sql::SilverInput* input = nullptr;
    BronzeNode* bronze = nullptr;  // from bronze; null from silver
    std::optional<exec::CompiledExpression> where;
    std::vector<exec::CompiledExpression> projections;
  };
  const sql::SilverTable* table = nullptr;
  std::vector<Input> inputs;
  std::vector<std::optional<exec::CompiledExpression>> checks;  // per constraint; none: NOT NULL
  std::unique_ptr<exec::UpsertOperator> upsert;                 // a primary key over bronze inputs
  std::unique_ptr<exec::AggregateOperator> multiset;            // otherwise: count(*) per row
  std::vector<exec::QuarantineRecord> quarantine;               // with a side sink: this push's
  SilverCounters counters;
  bool quarantine_in_sink = false;            // the quarantine table is kept in the side sink
  std::string sink_logic;                     // then: LogicOf the table
  std::vector<SilverNode*> silver_consumers;  // silver tables reading this one
  std::vector<GoldNode*> consumers;           // views reading this table
};

}  // namespace strata::runtime
