// The push loop of PipelineExecutor (executor.h): a push of bronze records is decoded once,
// then walks the graph: each silver table fed by that bronze table, the silver tables and
// views reading it, the views reading those views.
#include <algorithm>

#include "absl/functional/function_ref.h"
#include "common/clock.h"
#include "runtime/executor.h"
#include "runtime/executor_nodes.h"
#include "runtime/query.h"

namespace strata::runtime {

using exec::CompiledExpression;

namespace {

exec::QuarantineRecord Quarantined(std::string source_table, const RowOrigin& origin,
                                   std::string reason, std::string constraint) {
  exec::QuarantineRecord q;
  q.reason = std::move(reason);
  q.constraint = std::move(constraint);
  q.source_table = std::move(source_table);
  q.partition = origin.partition;
  q.offset = origin.offset;
  q.payload = std::string(origin.payload);
  return q;
}

// Hands `changes` of silver table `source` to each side of `join` that reads it (both, one
// after the other, when `left` is joined with itself; the sides read `left` and `right`),
// and each side's joined changes to `next`. `reader` names the node for errors.
Status PushJoined(exec::JoinOperator& join, const std::string& left, const std::string& right,
                  const std::string& source, const Batch& changes, const std::string& reader,
                  absl::FunctionRef<Status(const Batch&)> next) {
  for (exec::JoinSide side : {exec::JoinSide::kLeft, exec::JoinSide::kRight}) {
    if ((side == exec::JoinSide::kLeft ? left : right) != source) continue;
    Batch joined = exec::MakeBatch(join.output_types());
    RETURN_IF_ERROR(join.Push(side, changes, &joined).WithContext(reader));
    if (joined.num_rows() > 0) RETURN_IF_ERROR(next(joined));
  }
  return Status::OK();
}

}  // namespace

Status PipelineExecutor::Push(std::string_view bronze, uint32_t partition,
                              std::span<const log::RecordView> records) {
  auto it = offsets_.find(bronze);
  if (it == offsets_.end() || partition >= it->second.size()) {
    return Status::NotFound("the pipeline has no bronze table " + std::string(bronze) +
                            " with partition " + std::to_string(partition));
  }
  if (records.empty()) return Status::OK();
  uint64_t& next = it->second[partition];
  if (!pending_.empty() && next + records.size() > pending_.front().at(it->first)[partition]) {
    return Status::FailedPrecondition(
        std::string(bronze) + " partition " + std::to_string(partition) + ": records up to " +
        std::to_string(next + records.size()) + " cross the pending Lambda boundary at " +
        std::to_string(pending_.front().at(it->first)[partition]));
  }
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].offset != next + i) {
      return Status::FailedPrecondition(
          std::string(bronze) + " partition " + std::to_string(partition) + ": expected offset " +
          std::to_string(next + i) + ", got " + std::to_string(records[i].offset));
    }
  }
  for (auto& b : bronze_) {
    if (b->table->name != bronze || !b->decoder) continue;
    Batch decoded = b->decoder->MakeBatch();
    std::vector<format::RowError> errors;
    DecodePush(*b, partition, records, &decoded, &errors);
    for (auto& node : silver_) {
      for (size_t i = 0; i < node->inputs.size(); ++i) {
        if (node->inputs[i].bronze != b.get()) continue;
        RETURN_IF_ERROR(PushInput(*node, i, records, decoded, errors));
      }
    }
    push_bronze_ = nullptr;
    RETURN_IF_ERROR(FlushSide(bronze, partition, std::pair(next, next + records.size())));
  }
  next += records.size();
  OpenEpochIfAtBoundary();
  return Status::OK();
}

void PipelineExecutor::DecodePush(BronzeNode& bronze, uint32_t partition,
                                  std::span<const log::RecordView> records, Batch* decoded,
                                  std::vector<format::RowError>* errors) {
  std::vector<format::RecordInput> inputs;
  inputs.reserve(records.size());
  for (const auto& r : records)
    inputs.push_back(format::RecordInput::From(r, partition));
  bronze.decoder->Decode(inputs, decoded, errors);
  push_bronze_ = &bronze;
  push_partition_ = partition;
  push_first_ = records.front().offset;
  push_watermarks_.clear();
  if (!bronze.watermark) return;
  // Event time: each record's watermark at arrival (a record that did not decode has none).
  std::vector<Micros> at_arrival;
  bronze.watermark->Push(partition, decoded->columns[bronze.table->watermark_column], NowMicros(),
                         &at_arrival);
  push_watermarks_.assign(records.size(), kNoTime);
  for (size_t r = 0; r < at_arrival.size(); ++r)
    push_watermarks_[decoded->origins[r].offset - push_first_] = at_arrival[r];
}

std::optional<Micros> PipelineExecutor::WatermarkAt(const RowOrigin& o) const {
  if (push_watermarks_.empty() || o.partition != push_partition_ || o.offset < push_first_ ||
      o.offset - push_first_ >= push_watermarks_.size()) {
    return std::nullopt;
  }
  const Micros w = push_watermarks_[o.offset - push_first_];
  if (w == kNoTime) return std::nullopt;
  return w;
}

Status PipelineExecutor::PushInput(SilverNode& node, size_t input,
                                   std::span<const log::RecordView> records, const Batch& decoded,
                                   const std::vector<format::RowError>& errors) {
  node.counters.records += records.size();
  // Records that do not decode are quarantined with the field that failed.
  for (const auto& e : errors) {
    const log::RecordView& r = records[e.index];
    RowOrigin origin{push_partition_, r.offset, r.payload};
    const std::string& reason = e.message;  // names the field already
    auto q = Quarantined(node.inputs[input].input->source, origin, reason,
                         e.field.empty() ? "payload" : e.field);
    q.schema_version = r.schema_version;
    node.quarantine.push_back(std::move(q));
    ++node.counters.quarantined;
  }
  Batch silver;
  RETURN_IF_ERROR(Project(node, input, decoded, &silver));
  return ApplySilver(node, std::move(silver));
}

Status PipelineExecutor::PushSilverChanges(SilverNode& node, const std::string& source,
                                           const Batch& changes) {
  auto apply = [&](const Batch& rows) -> Status {
    for (int64_t w : rows.weights)
      node.counters.records += w > 0;
    Batch silver;
    RETURN_IF_ERROR(Project(node, 0, rows, &silver));
    return ApplySilver(node, std::move(silver));
  };
  if (!node.join) return apply(changes);
  const sql::SilverInput& in = *node.inputs[0].input;
  return PushJoined(*node.join, in.source, in.join->right, source, changes, node.table->name,
                    apply);
}

const std::string& PipelineExecutor::SourceOf(const SilverNode& node) const {
  return push_bronze_ != nullptr ? push_bronze_->table->name : node.inputs[0].input->source;
}

exec::QuarantineRecord PipelineExecutor::QuarantinedRow(const SilverNode& node, const Batch& rows,
                                                        size_t r, bool source_row,
                                                        std::string reason,
                                                        std::string constraint) const {
  const RowOrigin& origin = rows.origins[r];
  if (!node.table->from_silver()) {
    return Quarantined(SourceOf(node), origin, std::move(reason), std::move(constraint));
  }
  // From a silver table: the row as a JSON object stands for the record; `rows` are the
  // source's rows (a read failed) or this table's (a constraint failed).
  const sql::SilverInput& in = *node.inputs[0].input;
  const std::vector<sql::ColumnSchema>& columns =
      source_row ? plan_.InputColumns(in) : node.table->columns;
  QueryResult one;
  // A joined row's columns by their qualified names ("o.id", "c.id").
  one.names = source_row && in.join ? in.join->QualifiedNames() : sql::ColumnNames(columns);
  one.types = sql::ColumnTypes(columns);
  one.rows = exec::MakeBatch(one.types);
  for (size_t c = 0; c < columns.size(); ++c)
    one.rows.columns[c].AppendFrom(rows.columns[c], r);
  one.rows.weights.push_back(1);
  exec::QuarantineRecord q =
      Quarantined(in.join ? in.source + " JOIN " + in.join->right : in.source, origin,
                  std::move(reason), std::move(constraint));
  q.payload = FormatJsonLines(one);
  q.payload.pop_back();  // the line's end
  return q;
}

// A table fed by bronze lists every record it rejected. A table fed by a silver table lists
// the source's rows that break its contract now: a retraction of such a row (weight < 0)
// takes its entry back, so the list does not depend on how the source's changes were cut.
void PipelineExecutor::Quarantine(SilverNode& node, exec::QuarantineRecord record, int64_t weight) {
  if (weight > 0 || !node.table->from_silver()) {
    node.quarantine.push_back(std::move(record));
    ++node.counters.quarantined;
    return;
  }
  auto same = [&](const exec::QuarantineRecord& q) {
    return q.offset == record.offset && q.partition == record.partition &&
           q.payload == record.payload && q.constraint == record.constraint;
  };
  auto it = std::find_if(node.quarantine.rbegin(), node.quarantine.rend(), same);
  STRATA_ASSERT(it != node.quarantine.rend());  // its insertion was quarantined
  node.quarantine.erase(std::next(it).base());
  --node.counters.quarantined;
}

Status PipelineExecutor::Project(SilverNode& node, size_t input, const Batch& in, Batch* out) {
  const sql::SilverTable& table = *node.table;
  const SilverNode::Input& source = node.inputs[input];
  auto reject = [&](const Batch& rows, size_t r, const std::string& reason,
                    const std::string& what) {
    Quarantine(node, QuarantinedRow(node, rows, r, /*source_row=*/true, reason, what),
               rows.weights[r]);
  };
  // WHERE over the source's columns.
  const Batch* rows = &in;
  Batch kept_rows;
  if (source.where) {
    exec::RowErrors errors;
    ASSIGN_OR_RETURN(std::vector<uint8_t> keep, source.where->EvaluatePredicate(in, &errors));
    for (const auto& e : errors) {
      reject(in, e.row, e.message, "where");
      keep[e.row] = 2;
    }
    for (size_t r = 0; r < keep.size(); ++r) {
      node.counters.filtered += keep[r] == 0 && in.weights[r] > 0;
      keep[r] = keep[r] == 1;
    }
    kept_rows = in.Select(keep);
    rows = &kept_rows;
  }
  // Project to the silver columns.
  Batch& silver = *out;
  silver.weights = rows->weights;
  silver.origins = rows->origins;
  std::vector<uint8_t> keep(rows->num_rows(), 1);
  for (size_t i = 0; i < source.projections.size(); ++i) {
    Column column(table.columns[i].type);
    exec::RowErrors errors;
    RETURN_IF_ERROR(source.projections[i].Evaluate(*rows, &column, &errors));
    for (const auto& e : errors) {
      if (!keep[e.row]) continue;
      keep[e.row] = 0;
      reject(*rows, e.row, e.message, table.columns[i].name);
    }
    silver.columns.push_back(std::move(column));
  }
  if (std::find(keep.begin(), keep.end(), 0) != keep.end()) silver = silver.Select(keep);
  return Status::OK();
}

Status PipelineExecutor::ApplySilver(SilverNode& node, Batch rows) {
  RETURN_IF_ERROR(ApplyConstraints(node, &rows));
  RETURN_IF_ERROR(RecordLate(node, rows));
  // Upsert (or keep every row), and pass the changes on.
  Batch changes;
  exec::SideOutput side;
  if (node.upsert) {
    changes = exec::MakeBatch(sql::ColumnTypes(node.table->columns));
    RETURN_IF_ERROR(node.upsert->Push(rows, &changes, &side));
  } else {
    Batch ignored = exec::MakeBatch(node.multiset->output_types());
    RETURN_IF_ERROR(node.multiset->Push(rows, &ignored, &side).WithContext(node.table->name));
    changes = std::move(rows);
  }
  if (changes.num_rows() == 0) return Status::OK();
  for (GoldNode* gold : node.consumers)
    RETURN_IF_ERROR(PushSilverToGold(*gold, node.table->name, changes));
  for (SilverNode* silver : node.silver_consumers)
    RETURN_IF_ERROR(PushSilverChanges(*silver, node.table->name, changes));
  return Status::OK();
}

// The constraints decide (exec/expect.h); the executor records what they rejected.
Status PipelineExecutor::ApplyConstraints(SilverNode& node, Batch* rows) {
  std::vector<uint8_t> keep;
  std::vector<exec::Violation> rejected;
  int64_t dropped = 0;
  RETURN_IF_ERROR(node.expect->Push(SourceOf(node), *rows, &keep, &rejected, &dropped));
  node.counters.dropped += dropped;
  for (exec::Violation& v : rejected) {
    Quarantine(node,
               QuarantinedRow(node, *rows, v.row, /*source_row=*/false, std::move(v.reason),
                              std::move(v.constraint)),
               v.weight);
  }
  if (!keep.empty()) *rows = rows->Select(keep);
  return Status::OK();
}

Status PipelineExecutor::Windowed(const GoldNode& node, const Batch& rows, Batch* windowed) const {
  const sql::GoldView& view = *node.view;
  const sql::WindowSpec& window = *view.window;
  Column time(window.time.type);
  exec::RowErrors errors;
  RETURN_IF_ERROR(node.time->Evaluate(rows, &time, &errors));
  if (!errors.empty()) {
    return Status::FailedPrecondition(view.name + ": " + window.sql + ": " + errors[0].message);
  }
  // The silver columns, window_start, window_end (AssignWindows), then the time.
  Batch assigned = exec::MakeBatch(
      std::vector<Type>(node.windowed_types.begin(), node.windowed_types.end() - 1));
  if (rows.origins.size() == rows.num_rows()) assigned.origins.reserve(rows.num_rows());
  std::vector<uint32_t> source;
  exec::AssignWindows(window, rows, time, &assigned, &source);
  Column times(window.time.type);
  for (uint32_t r : source)
    times.AppendFrom(time, r);
  assigned.columns.push_back(std::move(times));
  *windowed = std::move(assigned);
  return Status::OK();
}

// The late table of each windowed consumer (exec/late.h). A table fed by bronze lists every
// late version, winning or not; a table fed by a silver table the late rows it holds now.
Status PipelineExecutor::RecordLate(const SilverNode& silver, const Batch& rows) {
  const bool now = silver.table->from_silver();
  if (push_watermarks_.empty() && !now) return Status::OK();
  auto watermark_of = [this](const RowOrigin& o) { return WatermarkAt(o); };
  for (GoldNode* node : silver.consumers) {
    if (!node->late) continue;
    std::vector<uint8_t> consider;
    if (node->where) {
      exec::RowErrors errors;
      ASSIGN_OR_RETURN(consider, node->where->EvaluatePredicate(rows, &errors));
      for (const auto& e : errors)
        consider[e.row] = 0;  // PushGold reports it
    } else {
      consider.assign(rows.num_rows(), 1);
    }
    // Each version's windows, from its time alone: no copy of the rows.
    Column time(node->view->window->time.type);
    exec::RowErrors errors;
    RETURN_IF_ERROR(node->time->Evaluate(rows, &time, &errors));
    for (const auto& e : errors)
      consider[e.row] = 0;  // PushGold reports it
    node->late->List(rows, time, consider, SourceOf(silver), now, watermark_of);
  }
  return Status::OK();
}

Status PipelineExecutor::GoldInput(GoldNode& node, const Batch& changes, Batch* input) {
  const sql::GoldView& view = *node.view;
  const Batch* rows = &changes;
  Batch filtered;
  auto fail = [&](const exec::RowErrors& errors) {
    const RowOrigin* o = rows->origins.empty() ? nullptr : &rows->origins[errors[0].row];
    return Status::FailedPrecondition(view.name + ": " + errors[0].message +
                                      (o ? " (silver row from partition " +
                                               std::to_string(o->partition) + " offset " +
                                               std::to_string(o->offset) + ")"
                                         : ""));
  };
  if (node.where) {
    exec::RowErrors errors;
    ASSIGN_OR_RETURN(std::vector<uint8_t> keep, node.where->EvaluatePredicate(changes, &errors));
    if (!errors.empty()) return fail(errors);
    filtered = changes.Select(keep);
    rows = &filtered;
  }
  Batch windowed;
  if (view.window) {
    RETURN_IF_ERROR(Windowed(node, *rows, &windowed));
    node.late->Apply(&windowed, include_late_, !push_watermarks_.empty(),
                     [this](const RowOrigin& o) { return WatermarkAt(o); });
    rows = &windowed;
  }
  input->columns.clear();
  input->weights = rows->weights;
  for (const CompiledExpression& e : node.inputs) {
    Column out(e.type());
    exec::RowErrors errors;
    RETURN_IF_ERROR(e.Evaluate(*rows, &out, &errors));
    if (!errors.empty()) return fail(errors);
    input->columns.push_back(std::move(out));
  }
  if (node.session) {
    // Sessions: the aggregate's input with each row's session filled in.
    input->columns.push_back(rows->columns.back());
    Batch sessions = exec::MakeBatch(node.session->output_types());
    exec::SideOutput side;
    RETURN_IF_ERROR(node.session->Push(*input, &sessions, &side).WithContext(view.name));
    *input = std::move(sessions);
  }
  return Status::OK();
}

// A view over a join hands the changes of each side it reads `source` on (both, one after
// the other, when it joins the table with itself) to its join, and aggregates what changes.
Status PipelineExecutor::PushSilverToGold(GoldNode& node, const std::string& source,
                                          const Batch& changes) {
  if (!node.join) return PushGold(node, changes);
  const sql::GoldView& view = *node.view;
  return PushJoined(*node.join, view.source, view.join->right, source, changes, view.name,
                    [&](const Batch& joined) { return PushGold(node, joined); });
}

Status PipelineExecutor::PushGold(GoldNode& node, const Batch& changes) {
  const sql::GoldView& view = *node.view;
  Batch input;
  RETURN_IF_ERROR(GoldInput(node, changes, &input));
  exec::SideOutput side;
  Batch out = exec::MakeBatch(node.aggregate->output_types());
  RETURN_IF_ERROR(node.aggregate->Push(input, &out, &side));
  // A Lambda view: its epochs and answer (a publish under way records what its copies of
  // the epochs from its T on do not hold).
  Batch answer;
  if (node.lambda && node.lambda->own_epochs()) {
    if (lambda_ready_) answer = exec::MakeBatch(node.lambda->answer().output_types());
    RETURN_IF_ERROR(node.lambda
                        ->Push(input, /*in_tail=*/node.lambda->epochs() > publish_first_,
                               /*to_answer=*/lambda_ready_, &answer)
                        .WithContext(view.name + " (Lambda)"));
  }
  // Views of this view read its rows' changes; a Lambda view's Lambda answer reads its
  // source's Lambda answer.
  if (node.consumers.empty()) return Status::OK();
  if (out.num_rows() > 0) {
    Batch view_changes;
    RETURN_IF_ERROR(ViewRows(node, out, &view_changes));
    for (GoldNode* consumer : node.consumers)
      RETURN_IF_ERROR(PushGold(*consumer, view_changes));
  }
  return PushLambdaConsumers(node, answer);
}

Status PipelineExecutor::PushLambdaConsumers(const GoldNode& node, const Batch& answer) {
  if (answer.num_rows() == 0) return Status::OK();
  Batch rows;
  RETURN_IF_ERROR(ViewRows(node, answer, &rows));
  for (GoldNode* consumer : node.consumers) {
    if (!consumer->lambda || consumer->lambda->own_epochs()) continue;
    Batch input;
    RETURN_IF_ERROR(GoldInput(*consumer, rows, &input));
    exec::AggregateOperator& lambda = *consumer->lambda->mutable_answer();
    Batch out = exec::MakeBatch(lambda.output_types());
    exec::SideOutput side;
    RETURN_IF_ERROR(
        lambda.Push(input, &out, &side).WithContext(consumer->view->name + " (Lambda)"));
    RETURN_IF_ERROR(PushLambdaConsumers(*consumer, out));
  }
  return Status::OK();
}

}  // namespace strata::runtime
