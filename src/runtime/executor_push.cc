// The push loop of PipelineExecutor (executor.h): a push of bronze records is decoded once,
// then walks the graph: each silver table fed by that bronze table, the silver tables and
// views reading it, the views reading those views.
#include <algorithm>

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
  const int column = bronze.table->watermark_column;
  if (column < 0) return;
  // Event time: each record's watermark at arrival, then the partition's greatest time.
  push_watermarks_.assign(records.size(), kNoTime);
  bronze.last_seen[partition] = NowMicros();
  Micros& max_time = bronze.max_time[partition];
  const Micros delay = bronze.table->watermark_delay;
  const Column& time = decoded->columns[column];
  for (size_t r = 0; r < decoded->num_rows(); ++r) {
    if (max_time != kNoTime) {
      push_watermarks_[decoded->origins[r].offset - push_first_] =
          max_time < kNoTime + delay ? kNoTime : max_time - delay;
    }
    if (!time.is_null(r)) max_time = std::max(max_time, time.int64s()[r]);
  }
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

Status PipelineExecutor::PushSilverChanges(SilverNode& node, const Batch& changes) {
  for (int64_t w : changes.weights)
    node.counters.records += w > 0;
  Batch silver;
  RETURN_IF_ERROR(Project(node, 0, changes, &silver));
  return ApplySilver(node, std::move(silver));
}

std::string PipelineExecutor::SourceOf(const SilverNode& node) const {
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
      source_row ? *plan_.FindNodeColumns(in.source) : node.table->columns;
  QueryResult one;
  for (const auto& c : columns) {
    one.names.push_back(c.name);
    one.types.push_back(c.type);
  }
  one.rows = exec::MakeBatch(one.types);
  for (size_t c = 0; c < columns.size(); ++c)
    one.rows.columns[c].AppendFrom(rows.columns[c], r);
  one.rows.weights.push_back(1);
  exec::QuarantineRecord q =
      Quarantined(in.source, origin, std::move(reason), std::move(constraint));
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
    RETURN_IF_ERROR(PushGold(*gold, changes));
  for (SilverNode* silver : node.silver_consumers)
    RETURN_IF_ERROR(PushSilverChanges(*silver, changes));
  return Status::OK();
}

// NOT NULL and CHECK, in declaration order; the first broken constraint decides. A CHECK
// passes when TRUE or NULL. A delete from bronze (weight < 0) carries only what identifies
// its key, so only the NOT NULL constraints of the primary key apply to it. A retraction
// from a silver source is a whole row whose insertion met the same constraints: when it
// breaks one, its insertion was rejected, and the retraction takes that back.
Status PipelineExecutor::ApplyConstraints(SilverNode& node, Batch* rows) {
  const sql::SilverTable& table = *node.table;
  if (table.constraints.empty() || rows->num_rows() == 0) return Status::OK();
  const bool whole_rows = table.from_silver();
  std::vector<std::string> broken(rows->num_rows());
  std::vector<std::string> reasons(rows->num_rows());
  for (size_t c = 0; c < table.constraints.size(); ++c) {
    const sql::Constraint& constraint = table.constraints[c];
    if (constraint.kind == sql::ConstraintKind::kNotNull) {
      bool key_column = std::find(table.primary_key.begin(), table.primary_key.end(),
                                  constraint.column) != table.primary_key.end();
      const Column& col = rows->columns[constraint.column];
      for (size_t r = 0; r < rows->num_rows(); ++r) {
        if (!broken[r].empty() || !col.is_null(r)) continue;
        if (rows->weights[r] < 0 && !key_column && !whole_rows) continue;
        broken[r] = constraint.name;
        reasons[r] = table.columns[constraint.column].name + " is NULL (NOT NULL)";
      }
      continue;
    }
    Column result(Type::Boolean());
    exec::RowErrors errors;
    RETURN_IF_ERROR(node.checks[c]->Evaluate(*rows, &result, &errors));
    std::vector<std::string> error_of(rows->num_rows());
    for (const auto& e : errors)
      error_of[e.row] = e.message;
    for (size_t r = 0; r < rows->num_rows(); ++r) {
      if (!broken[r].empty() || (rows->weights[r] < 0 && !whole_rows)) continue;
      bool failed = !error_of[r].empty() || (!result.is_null(r) && result.bools()[r] == 0);
      if (!failed) continue;
      broken[r] = constraint.name;
      reasons[r] = error_of[r].empty() ? "CHECK (" + constraint.sql + ") failed"
                                       : "CHECK (" + constraint.sql + "): " + error_of[r];
    }
  }
  std::vector<uint8_t> keep(rows->num_rows(), 1);
  bool any = false;
  for (size_t r = 0; r < rows->num_rows(); ++r) {
    if (broken[r].empty()) continue;
    any = true;
    keep[r] = 0;
    const RowOrigin& origin = rows->origins[r];
    const int64_t weight = whole_rows ? rows->weights[r] : 1;
    switch (table.on_violation) {
      case sql::OnViolation::kQuarantine:
        Quarantine(node,
                   QuarantinedRow(node, *rows, r, /*source_row=*/false, reasons[r], broken[r]),
                   weight);
        break;
      case sql::OnViolation::kDrop:
        if (weight > 0) {
          ++node.counters.dropped;
        } else {
          --node.counters.dropped;  // a retraction of a row dropped before
        }
        break;
      case sql::OnViolation::kFail:
        return Status::FailedPrecondition(
            table.name + ": the record at " + SourceOf(node) + " partition " +
            std::to_string(origin.partition) + " offset " + std::to_string(origin.offset) +
            " breaks constraint " + broken[r] + ": " + reasons[r] + " (on_violation = 'fail')");
    }
  }
  if (any) *rows = rows->Select(keep);
  return Status::OK();
}

Status PipelineExecutor::Windowed(const GoldNode& node, const Batch& rows, Batch* windowed,
                                  std::vector<uint8_t>* late) const {
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
  late->assign(windowed->num_rows(), 0);
  // Without a watermark in this push no new row is late, but a retraction is when the row it
  // retracts was (a table fed by two bronze tables: the row came with the other one).
  if (push_watermarks_.empty() && node.late_rows->size() == 0) return Status::OK();
  const size_t n = windowed->num_rows();
  const Column& ends = windowed->columns[window.end_column];
  const Column& t = windowed->columns.back();
  for (size_t r = 0; r < n; ++r) {
    if (windowed->weights[r] < 0) {
      (*late)[r] = node.late_rows->Weight(*windowed, r) > 0;
      continue;
    }
    if (t.is_null(r) || windowed->origins.size() != n) continue;
    const std::optional<Micros> watermark = WatermarkAt(windowed->origins[r]);
    const Micros end = ends.is_null(r) ? 0 : ends.int64s()[r];
    (*late)[r] = watermark &&
                 exec::CloseTime(window, t.int64s()[r], end) + view.allowed_lateness <= *watermark;
  }
  return Status::OK();
}

// A table fed by bronze: every late version is listed, winning or not. A table fed by a
// silver table sees its source's changes, whose cuts depend on the schedule: its views list
// the late rows it holds now (a retraction of a late row takes its entry back).
Status PipelineExecutor::RecordLate(const SilverNode& silver, const Batch& rows) {
  const bool now = silver.table->from_silver();
  if (push_watermarks_.empty() && !now) return Status::OK();
  for (GoldNode* node : silver.consumers) {
    if (!node->view->window) continue;
    const sql::GoldView& view = *node->view;
    std::vector<uint8_t> keep(rows.num_rows(), 0);
    for (size_t r = 0; r < rows.num_rows(); ++r)
      keep[r] = rows.weights[r] > 0 || now;  // versions, not deletes
    if (node->where) {
      exec::RowErrors errors;
      ASSIGN_OR_RETURN(std::vector<uint8_t> pass, node->where->EvaluatePredicate(rows, &errors));
      for (const auto& e : errors)
        pass[e.row] = 0;  // PushGold reports it
      for (size_t r = 0; r < keep.size(); ++r)
        keep[r] = keep[r] && pass[r];
    }
    // Each kept version's windows, from its time alone: no copy of the rows.
    const sql::WindowSpec& window = *view.window;
    Column time(window.time.type);
    exec::RowErrors errors;
    RETURN_IF_ERROR(node->time->Evaluate(rows, &time, &errors));
    for (const auto& e : errors)
      keep[e.row] = 0;  // PushGold reports it
    for (size_t r = 0; r < rows.num_rows(); ++r) {
      if (!keep[r] || time.is_null(r)) continue;
      const Micros ts = time.int64s()[r];
      const std::optional<Micros> watermark = WatermarkAt(rows.origins[r]);
      auto check = [&](std::optional<Micros> start, std::optional<Micros> end) {
        if (rows.weights[r] < 0) {
          --node->late_counters.rows;
          TakeBackLate(*node, rows.origins[r], ts, start);
          return;
        }
        ++node->late_counters.rows;
        if (!watermark ||
            exec::CloseTime(window, ts, end.value_or(0)) + view.allowed_lateness > *watermark) {
          return;
        }
        ++node->late_counters.late;
        LateRecord rec;
        rec.source_table = push_bronze_->table->name;
        rec.partition = rows.origins[r].partition;
        rec.offset = rows.origins[r].offset;
        rec.event_time = ts;
        rec.watermark = watermark;
        rec.window_start = start;
        rec.window_end = end;
        rec.reason = window.kind == sql::WindowKind::kSession
                         ? "session closed: event time + gap + allowed_lateness <= watermark"
                         : "window closed: window end + allowed_lateness <= watermark";
        node->late.push_back(std::move(rec));
      };
      if (window.kind == sql::WindowKind::kSession) {
        check(std::nullopt, std::nullopt);
      } else {
        exec::ForEachWindow(window, ts, [&](Micros start, Micros end) { check(start, end); });
      }
    }
  }
  return Status::OK();
}

void PipelineExecutor::TakeBackLate(GoldNode& node, const RowOrigin& origin, Micros event_time,
                                    std::optional<Micros> window_start) {
  auto same = [&](const LateRecord& l) {
    return l.offset == origin.offset && l.partition == origin.partition &&
           l.event_time == event_time && l.window_start == window_start;
  };
  auto it = std::find_if(node.late.rbegin(), node.late.rend(), same);
  if (it == node.late.rend()) return;  // the row was not late
  node.late.erase(std::next(it).base());
  --node.late_counters.late;
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
    std::vector<uint8_t> late;
    RETURN_IF_ERROR(Windowed(node, *rows, &windowed, &late));
    bool any = false;
    for (size_t r = 0; r < late.size(); ++r) {
      if (!late[r]) continue;
      any = true;
      node.late_rows->AddRow(windowed, r, windowed.weights[r]);
    }
    if (any && !include_late_) {
      for (uint8_t& l : late)
        l = !l;
      windowed = windowed.Select(late);
    }
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

Status PipelineExecutor::PushGold(GoldNode& node, const Batch& changes) {
  const sql::GoldView& view = *node.view;
  Batch input;
  RETURN_IF_ERROR(GoldInput(node, changes, &input));
  exec::SideOutput side;
  Batch out = exec::MakeBatch(node.aggregate->output_types());
  RETURN_IF_ERROR(node.aggregate->Push(input, &out, &side));
  if (!node.epochs.empty()) node.epochs.back().Add(input);
  // A publish under way adds what its copies of the epochs from its T on do not hold.
  if (node.publish_tail && node.epochs.size() > publish_first_) node.publish_tail->Add(input);
  // Without an open epoch the speed path is still short of the published T: batch(T)
  // already holds these changes.
  Batch answer;
  if (node.lambda && lambda_ready_ && !node.epochs.empty()) {
    answer = exec::MakeBatch(node.lambda->output_types());
    RETURN_IF_ERROR(node.lambda->Push(input, &answer, &side).WithContext(view.name + " (Lambda)"));
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
    if (!consumer->lambda_reads_source) continue;
    Batch input;
    RETURN_IF_ERROR(GoldInput(*consumer, rows, &input));
    Batch out = exec::MakeBatch(consumer->lambda->output_types());
    exec::SideOutput side;
    RETURN_IF_ERROR(
        consumer->lambda->Push(input, &out, &side).WithContext(consumer->view->name + " (Lambda)"));
    RETURN_IF_ERROR(PushLambdaConsumers(*consumer, out));
  }
  return Status::OK();
}

}  // namespace strata::runtime
