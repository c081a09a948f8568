// The nodes of a PipelineExecutor (executor.h): one per node of the plan's graph, each
// holding its operators and their state. Shared by executor.cc (wiring, answers, Lambda),
// executor_push.cc (the push loop) and executor_state.cc (save and load); nothing else
// includes it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exec/aggregate.h"
#include "exec/changelog.h"
#include "exec/expect.h"
#include "exec/expression.h"
#include "exec/join.h"
#include "exec/lambda.h"
#include "exec/late.h"
#include "exec/upsert.h"
#include "exec/watermark.h"
#include "exec/window.h"
#include "format/decoder.h"
#include "runtime/executor.h"

namespace strata::runtime {

// a ≤ b in every partition (of a's tables).
bool AtOrBefore(const Offsets& a, const Offsets& b);

using exec::kNoTime;

// A bronze table: the decoder its readers share (a push is decoded once) and, with a
// watermark, its tracker.
struct PipelineExecutor::BronzeNode {
  const sql::BronzeTable* table = nullptr;
  std::unique_ptr<format::PayloadDecoder> decoder;  // null when no silver table reads it
  std::optional<exec::WatermarkTracker> watermark;
};

struct PipelineExecutor::GoldNode {
  const sql::GoldView* view = nullptr;
  std::unique_ptr<exec::JoinOperator> join;  // FROM a JOIN b: the joined row is the input
  std::optional<exec::CompiledExpression> where;
  std::vector<exec::CompiledExpression> inputs;  // group keys, then aggregate arguments
  std::unique_ptr<exec::AggregateOperator> aggregate;
  std::vector<exec::CompiledExpression> outputs;
  std::vector<GoldNode*> consumers;  // views reading this view's changes
  // Lambda views: the epochs (parallel to PipelineExecutor::epoch_starts_) and the Lambda
  // answer (see PublishBatch); null for Kappa views. A Lambda view reading a Lambda view has
  // no epochs: its answer follows its source's answer.
  std::unique_ptr<exec::LambdaOperator> lambda;
  std::vector<Type> input_types;  // the aggregate's input
  // With a window (see executor.h): the time over the silver row, the windowed row's types
  // (silver columns, window_start, window_end, time), the session operator (sessions only)
  // and the late decisions, with the late table (with a side sink: this push's records,
  // until they are flushed).
  std::optional<exec::CompiledExpression> time;
  std::vector<Type> windowed_types;
  std::unique_ptr<exec::SessionOperator> session;
  std::optional<exec::LateOperator> late;
  bool late_in_sink = false;              // the late table is kept in the side sink
  std::string sink_logic;                 // then: LogicOf the view
  std::vector<std::string> sink_sources;  // and its bronze sources
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
  std::unique_ptr<exec::JoinOperator> join;           // FROM a JOIN b: the joined row is the input
  std::optional<exec::ExpectOperator> expect;         // the constraints
  std::unique_ptr<exec::UpsertOperator> upsert;       // a primary key over bronze inputs
  std::unique_ptr<exec::AggregateOperator> multiset;  // otherwise: count(*) per row
  std::vector<exec::QuarantineRecord> quarantine;     // with a side sink: this push's
  SilverCounters counters;
  bool quarantine_in_sink = false;            // the quarantine table is kept in the side sink
  std::string sink_logic;                     // then: LogicOf the table
  std::vector<std::string> sink_sources;      // and its bronze sources
  std::vector<SilverNode*> silver_consumers;  // silver tables reading this one
  std::vector<GoldNode*> consumers;           // views reading this table
};

}  // namespace strata::runtime
