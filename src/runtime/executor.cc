#include "runtime/executor.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "common/clock.h"
#include "common/coding.h"
#include "common/crc32c.h"
#include "common/datetime.h"
#include "common/json_writer.h"
#include "exec/aggregate.h"
#include "exec/changelog.h"
#include "exec/expression.h"
#include "exec/upsert.h"
#include "exec/window.h"
#include "format/decoder.h"
#include "runtime/query.h"

namespace strata::runtime {

using exec::CompiledExpression;

namespace {
constexpr Micros kNoTime = std::numeric_limits<Micros>::min();  // no event time yet
}  // namespace

struct PipelineExecutor::GoldNode {
  const sql::GoldView* view = nullptr;
  std::optional<CompiledExpression> where;
  std::vector<CompiledExpression> inputs;  // group keys, then aggregate arguments
  std::unique_ptr<exec::AggregateOperator> aggregate;
  std::vector<CompiledExpression> outputs;
  // Lambda views: the aggregate's net input since each open epoch's start (parallel to
  // PipelineExecutor::epoch_starts_). Empty for Kappa views.
  std::vector<exec::ConsolidatedChanges> epochs;
  std::unique_ptr<exec::AggregateOperator> lambda;  // the Lambda answer (see PublishBatch)
  std::vector<Type> input_types;  // how to make another aggregate like `aggregate`
  std::vector<int> group_columns;
  std::vector<exec::AggregateSpec> specs;
  // With a window (see the header comment): the time over the silver row, the windowed
  // row's types (silver columns, window_start, window_end, time), the session operator
  // (sessions only), the late rows counted so far by their windowed row (a retraction of
  // one is late too), the late table and its counters.
  std::optional<CompiledExpression> time;
  std::vector<Type> windowed_types;
  std::unique_ptr<exec::SessionOperator> session;
  std::optional<exec::ConsolidatedChanges> late_rows;
  std::vector<LateRecord> late;
  LateCounters late_counters;
};

struct PipelineExecutor::LateRecord {
  std::string reason;
  uint32_t partition = 0;
  uint64_t offset = 0;
  Micros event_time = 0;
  std::optional<Micros> watermark;
  std::optional<Micros> window_start, window_end;
};

struct PipelineExecutor::SilverNode {
  const sql::SilverTable* table = nullptr;
  const sql::BronzeTable* bronze = nullptr;
  std::unique_ptr<format::PayloadDecoder> decoder;
  std::optional<CompiledExpression> where;
  std::vector<CompiledExpression> projections;
  std::vector<std::optional<CompiledExpression>> checks;  // per constraint; none for NOT NULL
  std::unique_ptr<exec::UpsertOperator> upsert;           // with a primary key
  std::unique_ptr<exec::AggregateOperator> multiset;      // without: count(*) per row
  std::vector<exec::QuarantineRecord> quarantine;
  SilverCounters counters;
  std::vector<GoldNode*> consumers;
  // Event time: the bronze column the watermark follows (-1: none), per partition the
  // greatest time seen (kNoTime: none yet) and when it last received a record (wall clock,
  // not saved), and during a push the watermark at arrival of each of its records.
  int watermark_column = -1;
  std::vector<Micros> max_time;
  std::vector<Micros> last_seen;
  uint64_t push_first = 0;
  uint32_t push_partition = 0;
  std::vector<Micros> push_watermarks;

  // The watermark at arrival of the record `o` of this push; none for a record of another
  // push (never late) or before any event time.
  std::optional<Micros> WatermarkAt(const RowOrigin& o) const {
    if (o.partition != push_partition || o.offset < push_first ||
        o.offset - push_first >= push_watermarks.size()) {
      return std::nullopt;
    }
    const Micros w = push_watermarks[o.offset - push_first];
    if (w == kNoTime) return std::nullopt;
    return w;
  }
};

namespace {

std::vector<Type> TypesOf(const std::vector<sql::ColumnSchema>& columns) {
  std::vector<Type> types;
  for (const auto& c : columns)
    types.push_back(c.type);
  return types;
}

exec::QuarantineRecord Quarantined(const sql::BronzeTable& bronze, const RowOrigin& origin,
                                   std::string reason, std::string constraint) {
  exec::QuarantineRecord q;
  q.reason = std::move(reason);
  q.constraint = std::move(constraint);
  q.source_table = bronze.name;
  q.partition = origin.partition;
  q.offset = origin.offset;
  q.payload = std::string(origin.payload);
  return q;
}

// A quarantined payload as a text value. Bronze keeps any bytes, but a text value is valid
// UTF-8 (every JSON answer relies on it, common/json_writer.h): each byte that is not part of
// a valid sequence reads as U+FFFD (as Go's encoding/json writes it). The exact bytes stay
// in bronze at the row's partition and offset.
std::string PayloadText(std::string_view payload) {
  if (IsValidUtf8(payload)) return std::string(payload);
  std::string out;
  out.reserve(payload.size());
  for (size_t i = 0; i < payload.size();) {
    const auto c = static_cast<unsigned char>(payload[i]);
    const size_t n = c < 0x80                ? 1
                     : c >= 0xc2 && c < 0xe0 ? 2
                     : c >= 0xe0 && c < 0xf0 ? 3
                     : c >= 0xf0 && c < 0xf5 ? 4
                                             : 0;
    if (n > 0 && i + n <= payload.size() && IsValidUtf8(payload.substr(i, n))) {
      out.append(payload.substr(i, n));
      i += n;
    } else {
      out.append("\xef\xbf\xbd");  // U+FFFD
      ++i;
    }
  }
  return out;
}

Result<CompiledExpression> Compile(const sql::BoundExpr& e) {
  return CompiledExpression::Compile(e);
}

}  // namespace

PipelineExecutor::PipelineExecutor(const sql::Pipeline& plan) : plan_(plan) {}
PipelineExecutor::~PipelineExecutor() = default;

Result<std::unique_ptr<PipelineExecutor>> PipelineExecutor::Make(const sql::Pipeline& plan) {
  std::unique_ptr<PipelineExecutor> e(new PipelineExecutor(plan));
  RETURN_IF_ERROR(e->Init());
  return e;
}

Status PipelineExecutor::Init() {
  for (const sql::BronzeTable& b : plan_.bronze) {
    offsets_[b.name].assign(b.partitions, 0);
    std::string line = "bronze " + b.name + " " + format::PayloadFormatName(b.format);
    for (const auto& c : b.columns)
      line += " " + c.name + ":" + c.type.ToString();
    if (b.watermark_column >= 0) {
      line += " watermark " + std::to_string(b.watermark_column) + " - " +
              std::to_string(b.watermark_delay);
    }
    AddLogic(b.name, line + "\n");
  }
  for (const sql::SilverTable& s : plan_.silver) {
    auto node = std::make_unique<SilverNode>();
    node->table = &s;
    node->bronze = plan_.FindBronze(s.source);
    STRATA_ASSERT(node->bronze != nullptr);
    std::vector<format::ColumnSpec> specs;
    for (const auto& c : node->bronze->columns)
      specs.push_back({c.name, c.type});
    node->decoder = std::make_unique<format::PayloadDecoder>(specs, node->bronze->format);
    node->watermark_column = node->bronze->watermark_column;
    node->max_time.assign(node->bronze->partitions, kNoTime);
    node->last_seen.assign(node->bronze->partitions, NowMicros());
    if (s.where) {
      ASSIGN_OR_RETURN(auto w, Compile(*s.where));
      node->where.emplace(std::move(w));
    }
    for (const auto& p : s.projections) {
      ASSIGN_OR_RETURN(auto c, Compile(p));
      node->projections.push_back(std::move(c));
    }
    for (const auto& c : s.constraints) {
      if (c.kind == sql::ConstraintKind::kNotNull) {
        node->checks.emplace_back();
      } else {
        ASSIGN_OR_RETURN(auto check, Compile(c.check));
        node->checks.emplace_back(std::move(check));
      }
    }
    std::vector<Type> types = TypesOf(s.columns);
    if (!s.primary_key.empty()) {
      std::optional<int> dedupe;
      if (s.dedupe_order >= 0) dedupe = s.dedupe_order;
      ASSIGN_OR_RETURN(node->upsert, exec::UpsertOperator::Make(types, s.primary_key, dedupe));
    } else {
      std::vector<int> all;
      for (size_t i = 0; i < types.size(); ++i)
        all.push_back(static_cast<int>(i));
      ASSIGN_OR_RETURN(node->multiset,
                       exec::AggregateOperator::Make(types, all, {exec::AggregateSpec{}}));
    }
    std::string line =
        "silver " + s.name + " " + sql::OnViolationName(s.on_violation) + " " + s.insert_sql;
    for (const auto& c : s.columns)
      line += " " + c.name + ":" + c.type.ToString();
    for (const auto& c : s.constraints)
      line += " [" + c.name + ": " + c.sql + "]";
    for (int k : s.primary_key)
      line += " pk" + std::to_string(k);
    AddLogic(s.name, line + " dedupe" + std::to_string(s.dedupe_order) + "\n");
    silver_.push_back(std::move(node));
  }
  for (const sql::GoldView& g : plan_.gold) {
    auto node = std::make_unique<GoldNode>();
    node->view = &g;
    if (g.where) {
      ASSIGN_OR_RETURN(auto w, Compile(*g.where));
      node->where.emplace(std::move(w));
    }
    if (g.window) {
      ASSIGN_OR_RETURN(auto t, Compile(g.window->time));
      node->time.emplace(std::move(t));
      const sql::SilverTable* silver = plan_.FindSilver(g.source);
      STRATA_ASSERT(silver != nullptr);
      node->windowed_types = TypesOf(silver->columns);
      for (int i = 0; i < 3; ++i)
        node->windowed_types.push_back(g.window->time.type);
      node->late_rows.emplace(node->windowed_types);
    }
    std::vector<Type> input_types;
    std::vector<int> group_columns;
    for (const auto& k : g.group_keys) {
      ASSIGN_OR_RETURN(auto c, Compile(k));
      group_columns.push_back(static_cast<int>(input_types.size()));
      input_types.push_back(k.type);
      node->inputs.push_back(std::move(c));
    }
    std::vector<exec::AggregateSpec> specs;
    for (const auto& a : g.aggregates) {
      exec::AggregateSpec spec;
      spec.kind = a.kind;
      spec.distinct = a.distinct;
      spec.result_type = a.type;
      if (a.kind != sql::AggregateKind::kCountStar) {
        ASSIGN_OR_RETURN(auto c, Compile(a.arg));
        spec.arg = static_cast<int>(input_types.size());
        input_types.push_back(a.arg.type);
        node->inputs.push_back(std::move(c));
      }
      specs.push_back(spec);
    }
    ASSIGN_OR_RETURN(node->aggregate,
                     exec::AggregateOperator::Make(input_types, group_columns, specs));
    node->input_types = input_types;
    node->group_columns = group_columns;
    node->specs = specs;
    for (const auto& o : g.outputs) {
      ASSIGN_OR_RETURN(auto c, Compile(o.expr));
      node->outputs.push_back(std::move(c));
    }
    if (g.window && g.window->kind == sql::WindowKind::kSession) {
      // The session operator reads the aggregate's input plus the time; the group keys
      // other than the window's group its sessions.
      std::vector<int> keys;
      int start = -1, end = -1;
      for (size_t k = 0; k < g.group_keys.size(); ++k) {
        const sql::BoundExpr& key = g.group_keys[k];
        if (key.kind == sql::BoundKind::kColumn && key.column == g.window->start_column) {
          start = static_cast<int>(k);
        } else if (key.kind == sql::BoundKind::kColumn && key.column == g.window->end_column) {
          end = static_cast<int>(k);
        } else {
          keys.push_back(static_cast<int>(k));
        }
      }
      std::vector<Type> types = input_types;
      types.push_back(g.window->time.type);
      ASSIGN_OR_RETURN(node->session,
                       exec::SessionOperator::Make(types, keys, start, end, g.window->gap));
    }
    for (auto& s : silver_) {
      if (s->table->name == g.source) s->consumers.push_back(node.get());
    }
    AddLogic(g.name, "gold " + g.name + " " + g.sql +
                         (g.window ? " lateness " + std::to_string(g.allowed_lateness) : "") +
                         "\n");
    if (g.serving == sql::Serving::kLambda) {
      node->epochs.emplace_back(node->input_types);
      // batch(∅) ⊕ everything: until a batch is published, the speed path alone.
      ASSIGN_OR_RETURN(node->lambda,
                       exec::AggregateOperator::Make(input_types, group_columns, specs));
    }
    gold_.push_back(std::move(node));
  }
  // Before any batch run, the speed path covers everything: one epoch from offset 0.
  bool lambda = false;
  for (const auto& g : gold_)
    lambda = lambda || g->view->serving == sql::Serving::kLambda;
  if (lambda) epoch_starts_.push_back(offsets_);
  return Status::OK();
}

void PipelineExecutor::AddLogic(const std::string& node, std::string line) {
  logic_ += line;
  node_logic_[node] = std::move(line);
}

std::string PipelineExecutor::LogicOf(std::string_view table) const {
  std::string_view silver = table;
  std::string gold;
  for (const auto& g : plan_.gold) {
    if (g.name == table) {
      silver = g.source;
      gold = node_logic_.at(g.name);
    }
  }
  for (const auto& s : plan_.silver) {
    if (s.name == silver) return node_logic_.at(s.source) + node_logic_.at(s.name) + gold;
  }
  return "";
}

uint64_t PipelineExecutor::next_offset(std::string_view bronze, uint32_t partition) const {
  auto it = offsets_.find(bronze);
  if (it == offsets_.end() || partition >= it->second.size()) return 0;
  return it->second[partition];
}

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
  for (auto& node : silver_) {
    if (node->bronze->name == bronze) RETURN_IF_ERROR(PushSilver(*node, partition, records));
  }
  next += records.size();
  OpenEpochIfAtBoundary();
  return Status::OK();
}

namespace {

// a ≤ b in every partition.
bool AtOrBefore(const Offsets& a, const Offsets& b) {
  for (const auto& [table, offsets] : a) {
    const auto& other = b.at(table);
    for (size_t p = 0; p < offsets.size(); ++p) {
      if (offsets[p] > other[p]) return false;
    }
  }
  return true;
}

}  // namespace

Status PipelineExecutor::StartAt(const Offsets& start) {
  for (const auto& [table, offsets] : offsets_) {
    auto it = start.find(table);
    if (it == start.end() || it->second.size() != offsets.size()) {
      return Status::InvalidArgument("start offsets do not cover every partition of " + table);
    }
    for (uint64_t o : offsets) {
      if (o != 0) return Status::FailedPrecondition("the executor has already consumed records");
    }
  }
  for (auto& [table, offsets] : offsets_)
    offsets = start.at(table);
  pending_.clear();
  if (!epoch_starts_.empty()) epoch_starts_.assign(1, offsets_);
  return Status::OK();
}

Status PipelineExecutor::AddBoundary(const Offsets& t) {
  for (const auto& [table, offsets] : offsets_) {
    auto it = t.find(table);
    if (it == t.end() || it->second.size() != offsets.size()) {
      return Status::InvalidArgument("Lambda boundary: it does not cover every partition of " +
                                     table);
    }
    for (size_t p = 0; p < offsets.size(); ++p) {
      if (it->second[p] < offsets[p]) {
        return Status::InvalidArgument("Lambda boundary: " + table + " partition " +
                                       std::to_string(p) + " is at " + std::to_string(offsets[p]) +
                                       ", past the boundary " + std::to_string(it->second[p]));
      }
    }
  }
  if (t.size() != offsets_.size()) {
    return Status::InvalidArgument("Lambda boundary: it names a table the pipeline lacks");
  }
  if (!pending_.empty() && !AtOrBefore(pending_.back(), t)) {
    return Status::InvalidArgument("Lambda boundary: before a boundary already pending");
  }
  if (!pending_.empty() && pending_.back() == t) return Status::OK();
  if (pending_.empty() && !epoch_starts_.empty() && epoch_starts_.back() == t) return Status::OK();
  pending_.push_back(t);
  OpenEpochIfAtBoundary();
  return Status::OK();
}

const Offsets* PipelineExecutor::pending_boundary() const {
  return pending_.empty() ? nullptr : &pending_.front();
}

void PipelineExecutor::OpenEpochIfAtBoundary() {
  while (!pending_.empty() && pending_.front() == offsets_) {
    epoch_starts_.push_back(std::move(pending_.front()));
    pending_.erase(pending_.begin());
    for (auto& g : gold_) {
      if (g->view->serving == sql::Serving::kLambda) g->epochs.emplace_back(g->input_types);
    }
  }
}

void PipelineExecutor::DropEpochsBefore(const Offsets& t) {
  size_t drop = 0;
  while (drop < epoch_starts_.size() && AtOrBefore(epoch_starts_[drop], t) &&
         epoch_starts_[drop] != t) {
    ++drop;
  }
  epoch_starts_.erase(epoch_starts_.begin(), epoch_starts_.begin() + drop);
  for (auto& g : gold_) {
    if (!g->epochs.empty()) g->epochs.erase(g->epochs.begin(), g->epochs.begin() + drop);
  }
  while (!pending_.empty() && AtOrBefore(pending_.front(), t) && pending_.front() != t) {
    pending_.erase(pending_.begin());
  }
}

std::vector<Offsets> PipelineExecutor::epoch_starts() const {
  return epoch_starts_;
}

Status PipelineExecutor::PublishBatch(const PipelineExecutor& batch) {
  if (batch.logic_ != logic_) {
    return Status::FailedPrecondition(
        "the batch view was computed by a different pipeline (its SQL changed); rerun the batch");
  }
  const Offsets& t = batch.offsets_;
  // A pipeline without a Lambda view serves nothing from a batch view: there is no epoch
  // to merge, whatever T is (a checkpoint's batch lane of such a pipeline is never run).
  if (std::none_of(gold_.begin(), gold_.end(),
                   [](const auto& g) { return g->lambda != nullptr; })) {
    return Status::OK();
  }
  // The epochs that cover (T, offsets()): those starting at or after T. The first must
  // start exactly at T unless the speed path has not reached T yet.
  size_t first = 0;
  while (first < epoch_starts_.size() && !AtOrBefore(t, epoch_starts_[first]))
    ++first;
  if (first == epoch_starts_.size() ? !AtOrBefore(offsets_, t) : epoch_starts_[first] != t) {
    return Status::FailedPrecondition(
        "the speed path has no epoch starting at the batch view's boundary; rerun the batch "
        "(a batch run registers its boundary with the speed path first)");
  }
  // Build every answer before changing anything.
  std::vector<std::unique_ptr<exec::AggregateOperator>> answers(gold_.size());
  std::string state;
  for (size_t i = 0; i < gold_.size(); ++i) {
    const GoldNode& node = *gold_[i];
    if (!node.lambda) continue;
    state.clear();
    RETURN_IF_ERROR(batch.gold_[i]->aggregate->SaveState(&state));
    ASSIGN_OR_RETURN(answers[i], exec::AggregateOperator::Make(node.input_types, node.group_columns,
                                                               node.specs));
    RETURN_IF_ERROR(answers[i]->LoadState(state));
    exec::ConsolidatedChanges speed(node.input_types);
    for (size_t e = first; e < node.epochs.size(); ++e)
      speed.Add(node.epochs[e]);
    Batch changes = exec::MakeBatch(node.input_types);
    speed.AppendTo(&changes);
    Batch ignored = exec::MakeBatch(answers[i]->output_types());
    exec::SideOutput side;
    RETURN_IF_ERROR(answers[i]
                        ->Push(changes, &ignored, &side)
                        .WithContext(node.view->name + " (Lambda merge)"));
  }
  DropEpochsBefore(t);
  for (size_t i = 0; i < gold_.size(); ++i) {
    if (answers[i]) gold_[i]->lambda = std::move(answers[i]);
  }
  lambda_ready_ = true;
  return Status::OK();
}

Result<Batch> PipelineExecutor::LambdaRows(std::string_view view) const {
  for (const auto& g : gold_) {
    if (g->view->name != view) continue;
    if (!g->lambda) {
      return Status::InvalidArgument(std::string(view) + " is not served by Lambda");
    }
    if (!lambda_ready_) {
      return Status::FailedPrecondition(std::string(view) +
                                        ": no batch view published since the state was loaded");
    }
    return GoldRows(*g, *g->lambda);
  }
  return Status::NotFound("the pipeline has no view " + std::string(view));
}

Status PipelineExecutor::PushSilver(SilverNode& node, uint32_t partition,
                                    std::span<const log::RecordView> records) {
  const sql::SilverTable& table = *node.table;
  node.counters.records += records.size();
  // 1. Decode; records that do not decode are quarantined with the field that failed.
  std::vector<format::RecordInput> inputs;
  inputs.reserve(records.size());
  for (const auto& r : records)
    inputs.push_back(format::RecordInput::From(r, partition));
  Batch decoded = node.decoder->MakeBatch();
  std::vector<format::RowError> decode_errors;
  node.decoder->Decode(inputs, &decoded, &decode_errors);
  for (const auto& e : decode_errors) {
    const log::RecordView& r = records[e.index];
    RowOrigin origin{partition, r.offset, r.payload};
    const std::string& reason = e.message;  // names the field already
    auto q = Quarantined(*node.bronze, origin, reason, e.field.empty() ? "payload" : e.field);
    q.schema_version = r.schema_version;
    node.quarantine.push_back(std::move(q));
    ++node.counters.quarantined;
  }
  // Event time: each record's watermark at arrival, then the partition's greatest time.
  if (node.watermark_column >= 0) {
    node.push_partition = partition;
    node.push_first = records.front().offset;
    node.push_watermarks.assign(records.size(), kNoTime);
    node.last_seen[partition] = NowMicros();
    Micros& max_time = node.max_time[partition];
    const Micros delay = node.bronze->watermark_delay;
    const Column& time = decoded.columns[node.watermark_column];
    for (size_t r = 0; r < decoded.num_rows(); ++r) {
      if (max_time != kNoTime) {
        node.push_watermarks[decoded.origins[r].offset - node.push_first] =
            max_time < kNoTime + delay ? kNoTime : max_time - delay;
      }
      if (!time.is_null(r)) max_time = std::max(max_time, time.int64s()[r]);
    }
  }
  // 2. WHERE over the bronze columns.
  Batch rows = std::move(decoded);
  if (node.where) {
    exec::RowErrors errors;
    ASSIGN_OR_RETURN(std::vector<uint8_t> keep, node.where->EvaluatePredicate(rows, &errors));
    for (const auto& e : errors) {
      node.quarantine.push_back(Quarantined(*node.bronze, rows.origins[e.row], e.message, "where"));
      ++node.counters.quarantined;
      keep[e.row] = 0;
    }
    size_t kept = 0;
    for (uint8_t k : keep)
      kept += k;
    node.counters.filtered += rows.num_rows() - kept - errors.size();
    rows = rows.Select(keep);
  }
  // 3. Project to the silver columns.
  Batch silver;
  silver.weights = rows.weights;
  silver.origins = rows.origins;
  std::vector<uint8_t> keep(rows.num_rows(), 1);
  for (size_t i = 0; i < node.projections.size(); ++i) {
    Column out(table.columns[i].type);
    exec::RowErrors errors;
    RETURN_IF_ERROR(node.projections[i].Evaluate(rows, &out, &errors));
    for (const auto& e : errors) {
      if (!keep[e.row]) continue;
      keep[e.row] = 0;
      node.quarantine.push_back(
          Quarantined(*node.bronze, rows.origins[e.row], e.message, table.columns[i].name));
      ++node.counters.quarantined;
    }
    silver.columns.push_back(std::move(out));
  }
  if (std::find(keep.begin(), keep.end(), 0) != keep.end()) silver = silver.Select(keep);
  // 4. Expectations.
  RETURN_IF_ERROR(ApplyConstraints(node, &silver));
  RETURN_IF_ERROR(RecordLate(node, silver));
  // 5. Upsert (or keep every row), and pass the changes on.
  Batch changes;
  exec::SideOutput side;
  if (node.upsert) {
    changes = exec::MakeBatch(TypesOf(table.columns));
    RETURN_IF_ERROR(node.upsert->Push(silver, &changes, &side));
  } else {
    Batch ignored = exec::MakeBatch(node.multiset->output_types());
    RETURN_IF_ERROR(node.multiset->Push(silver, &ignored, &side));
    changes = std::move(silver);
  }
  for (GoldNode* gold : node.consumers)
    RETURN_IF_ERROR(PushGold(*gold, node, changes));
  return Status::OK();
}

// NOT NULL and CHECK, in declaration order; the first broken constraint decides. A CHECK
// passes when TRUE or NULL. A delete (weight < 0) carries only what identifies its key, so
// only the NOT NULL constraints of the primary key apply to it.
Status PipelineExecutor::ApplyConstraints(SilverNode& node, Batch* rows) {
  const sql::SilverTable& table = *node.table;
  if (table.constraints.empty() || rows->num_rows() == 0) return Status::OK();
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
        if (rows->weights[r] < 0 && !key_column) continue;
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
      if (!broken[r].empty() || rows->weights[r] < 0) continue;
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
    switch (table.on_violation) {
      case sql::OnViolation::kQuarantine:
        node.quarantine.push_back(Quarantined(*node.bronze, origin, reasons[r], broken[r]));
        ++node.counters.quarantined;
        break;
      case sql::OnViolation::kDrop:
        ++node.counters.dropped;
        break;
      case sql::OnViolation::kFail:
        return Status::FailedPrecondition(
            table.name + ": the record at " + node.bronze->name + " partition " +
            std::to_string(origin.partition) + " offset " + std::to_string(origin.offset) +
            " breaks constraint " + broken[r] + ": " + reasons[r] + " (on_violation = 'fail')");
    }
  }
  if (any) *rows = rows->Select(keep);
  return Status::OK();
}

Status PipelineExecutor::Windowed(const GoldNode& node, const SilverNode& silver, const Batch& rows,
                                  Batch* windowed, std::vector<uint8_t>* late) const {
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
  if (silver.watermark_column < 0) return Status::OK();
  const size_t n = windowed->num_rows();
  const Column& ends = windowed->columns[window.end_column];
  const Column& t = windowed->columns.back();
  for (size_t r = 0; r < n; ++r) {
    if (windowed->weights[r] < 0) {
      (*late)[r] = node.late_rows->Weight(*windowed, r) > 0;
      continue;
    }
    if (t.is_null(r) || windowed->origins.size() != n) continue;
    const std::optional<Micros> watermark = silver.WatermarkAt(windowed->origins[r]);
    const Micros end = ends.is_null(r) ? 0 : ends.int64s()[r];
    (*late)[r] = watermark &&
                 exec::CloseTime(window, t.int64s()[r], end) + view.allowed_lateness <= *watermark;
  }
  return Status::OK();
}

Status PipelineExecutor::RecordLate(const SilverNode& silver, const Batch& rows) {
  if (silver.watermark_column < 0) return Status::OK();
  for (GoldNode* node : silver.consumers) {
    if (!node->view->window) continue;
    const sql::GoldView& view = *node->view;
    std::vector<uint8_t> keep(rows.num_rows(), 0);
    for (size_t r = 0; r < rows.num_rows(); ++r)
      keep[r] = rows.weights[r] > 0;  // versions, not deletes
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
      const std::optional<Micros> watermark = silver.WatermarkAt(rows.origins[r]);
      auto check = [&](std::optional<Micros> start, std::optional<Micros> end) {
        ++node->late_counters.rows;
        if (!watermark ||
            exec::CloseTime(window, ts, end.value_or(0)) + view.allowed_lateness > *watermark) {
          return;
        }
        ++node->late_counters.late;
        LateRecord rec;
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

Status PipelineExecutor::PushGold(GoldNode& node, const SilverNode& silver, const Batch& changes) {
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
    RETURN_IF_ERROR(Windowed(node, silver, *rows, &windowed, &late));
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
  Batch input;
  input.weights = rows->weights;
  for (const CompiledExpression& e : node.inputs) {
    Column out(e.type());
    exec::RowErrors errors;
    RETURN_IF_ERROR(e.Evaluate(*rows, &out, &errors));
    if (!errors.empty()) return fail(errors);
    input.columns.push_back(std::move(out));
  }
  exec::SideOutput side;
  if (node.session) {
    // Sessions: the aggregate's input with each row's session filled in.
    input.columns.push_back(rows->columns.back());
    Batch sessions = exec::MakeBatch(node.session->output_types());
    RETURN_IF_ERROR(node.session->Push(input, &sessions, &side).WithContext(view.name));
    input = std::move(sessions);
  }
  Batch out = exec::MakeBatch(node.aggregate->output_types());
  RETURN_IF_ERROR(node.aggregate->Push(input, &out, &side));
  if (!node.epochs.empty()) node.epochs.back().Add(input);
  // Without an open epoch the speed path is still short of the published T: batch(T)
  // already holds these changes.
  if (node.lambda && lambda_ready_ && !node.epochs.empty()) {
    out = exec::MakeBatch(node.lambda->output_types());
    RETURN_IF_ERROR(node.lambda->Push(input, &out, &side).WithContext(view.name + " (Lambda)"));
  }
  return Status::OK();
}

const SilverCounters* PipelineExecutor::counters(std::string_view silver) const {
  for (const auto& s : silver_) {
    if (s->table->name == silver) return &s->counters;
  }
  return nullptr;
}

Result<Batch> PipelineExecutor::Rows(std::string_view table) const {
  for (const auto& s : silver_) {
    if (s->table->name == table) {
      Batch out = exec::MakeBatch(TypesOf(s->table->columns));
      if (s->upsert) {
        s->upsert->Snapshot(&out);
        return out;
      }
      // Without a key: the multiset's (row, count) groups, each row repeated count times.
      Batch counted = exec::MakeBatch(s->multiset->output_types());
      RETURN_IF_ERROR(s->multiset->Snapshot(&counted));
      size_t n = s->table->columns.size();
      for (size_t r = 0; r < counted.num_rows(); ++r) {
        int64_t count = counted.columns[n].int64s()[r];
        for (int64_t i = 0; i < count; ++i) {
          for (size_t c = 0; c < n; ++c)
            out.columns[c].AppendFrom(counted.columns[c], r);
          out.weights.push_back(1);
        }
      }
      return out;
    }
    if (s->table->quarantine_table == table) {
      Batch out = exec::MakeBatch(TypesOf(sql::QuarantineColumns()));
      for (const auto& q : s->quarantine) {
        out.columns[0].AppendString(q.reason);
        out.columns[1].AppendString(q.constraint);
        out.columns[2].AppendString(q.source_table);
        out.columns[3].AppendInt64(q.partition);
        out.columns[4].AppendInt64(static_cast<int64_t>(q.offset));
        out.columns[5].AppendInt64(q.schema_version);
        out.columns[6].AppendString(PayloadText(q.payload));
        out.weights.push_back(1);
      }
      return out;
    }
  }
  for (const auto& g : gold_) {
    if (g->view->name == table) return GoldRows(*g, *g->aggregate);
    if (g->view->late_table.empty() || g->view->late_table != table) continue;
    Batch out = exec::MakeBatch(TypesOf(sql::LateColumns()));
    auto time = [](Column& c, const std::optional<Micros>& t) {
      if (t) {
        c.AppendInt64(*t);
      } else {
        c.AppendNull();
      }
    };
    for (const LateRecord& l : g->late) {
      out.columns[0].AppendString(l.reason);
      out.columns[1].AppendString(plan_.FindSilver(g->view->source)->source);
      out.columns[2].AppendInt64(l.partition);
      out.columns[3].AppendInt64(static_cast<int64_t>(l.offset));
      out.columns[4].AppendInt64(l.event_time);
      time(out.columns[5], l.watermark);
      time(out.columns[6], l.window_start);
      time(out.columns[7], l.window_end);
      out.weights.push_back(1);
    }
    return out;
  }
  return Status::NotFound("the pipeline has no table " + std::string(table));
}

const LateCounters* PipelineExecutor::late_counters(std::string_view view) const {
  for (const auto& g : gold_) {
    if (g->view->name == view && g->view->window) return &g->late_counters;
  }
  return nullptr;
}

std::optional<Micros> PipelineExecutor::InputWatermark(std::string_view table) const {
  std::string_view silver = table;
  if (const sql::GoldView* g = plan_.FindGold(table)) silver = g->source;
  for (const auto& s : silver_) {
    if (s->table->name != silver || s->watermark_column < 0) continue;
    Micros low = std::numeric_limits<Micros>::max();
    for (Micros t : s->max_time) {
      if (t == kNoTime) return std::nullopt;
      low = std::min(low, t);
    }
    return low - s->bronze->watermark_delay;
  }
  return std::nullopt;
}

std::vector<WatermarkInfo> PipelineExecutor::Watermarks(Micros now) const {
  std::vector<WatermarkInfo> out;
  for (const auto& s : silver_) {
    if (s->watermark_column < 0) continue;
    bool seen = false;
    for (const auto& w : out)
      seen = seen || w.table == s->bronze->name;
    if (seen) continue;
    WatermarkInfo info;
    info.table = s->bronze->name;
    for (size_t p = 0; p < s->max_time.size(); ++p) {
      std::optional<Micros> w;
      if (s->max_time[p] != kNoTime) w = s->max_time[p] - s->bronze->watermark_delay;
      info.partitions.push_back(w);
      info.idle.push_back(now - s->last_seen[p] > s->bronze->idle_timeout);
    }
    // The minimum over active partitions (over all when every one is idle); an active
    // partition without a time yet holds it back.
    bool all_idle = std::find(info.idle.begin(), info.idle.end(), false) == info.idle.end();
    bool unknown = false;
    for (size_t p = 0; p < info.partitions.size(); ++p) {
      if (info.idle[p] && !all_idle) continue;
      const std::optional<Micros>& w = info.partitions[p];
      if (!w) {
        unknown = unknown || !all_idle;
        continue;
      }
      info.watermark = info.watermark ? std::min(*info.watermark, *w) : *w;
    }
    if (unknown) info.watermark.reset();
    out.push_back(std::move(info));
  }
  return out;
}

Result<Batch> PipelineExecutor::GoldRows(const GoldNode& node,
                                         const exec::AggregateOperator& aggregate) const {
  Batch aggregated = exec::MakeBatch(aggregate.output_types());
  RETURN_IF_ERROR(aggregate.Snapshot(&aggregated));
  if (node.view->group_keys.empty()) AddEmptyGlobalGroup(node.view->aggregates, &aggregated);
  Batch out;
  out.weights = aggregated.weights;
  for (const CompiledExpression& e : node.outputs) {
    Column col(e.type());
    exec::RowErrors errors;
    RETURN_IF_ERROR(e.Evaluate(aggregated, &col, &errors));
    if (!errors.empty()) {
      return Status::FailedPrecondition(node.view->name + ": " + errors[0].message);
    }
    out.columns.push_back(std::move(col));
  }
  return out;
}

// State layout: "STEX" u32 version 3, the logic text, then per bronze table its offsets,
// per silver node its operator state, counters, quarantine and greatest event time per
// partition, per gold node its operator state (and with a window: the session state, the
// late rows, the late records and counters); then the pending Lambda boundaries and the epoch
// starts (each a count, then offsets like the executor's), and per Lambda view its epochs'
// changelogs; all length-prefixed; a CRC32C of everything before it closes the blob.
namespace {
constexpr uint32_t kStateMagic = 0x58455453;  // "STEX"
constexpr uint32_t kStateVersion = 3;

// Offsets in the plan's bronze order (std::map order: by name), partitions in order.
void PutOffsets(const Offsets& o, std::string* out) {
  for (const auto& [table, offsets] : o) {
    for (uint64_t v : offsets)
      PutVarint64(out, v);
  }
}

void PutQuarantine(const exec::QuarantineRecord& q, std::string* out) {
  PutLengthPrefixed(out, q.reason);
  PutLengthPrefixed(out, q.constraint);
  PutLengthPrefixed(out, q.source_table);
  PutVarint64(out, q.partition);
  PutVarint64(out, q.offset);
  PutVarint64(out, q.schema_version);
  PutLengthPrefixed(out, q.payload);
}

bool GetQuarantine(Decoder* d, exec::QuarantineRecord* q) {
  std::string_view reason, constraint, table, payload;
  uint64_t partition, offset, schema;
  if (!d->GetLengthPrefixed(&reason) || !d->GetLengthPrefixed(&constraint) ||
      !d->GetLengthPrefixed(&table) || !d->GetVarint64(&partition) || !d->GetVarint64(&offset) ||
      !d->GetVarint64(&schema) || !d->GetLengthPrefixed(&payload)) {
    return false;
  }
  *q = {std::string(reason),
        std::string(constraint),
        std::string(table),
        static_cast<uint32_t>(partition),
        offset,
        static_cast<uint32_t>(schema),
        std::string(payload)};
  return true;
}

}  // namespace

Status PipelineExecutor::Save(std::string* out) const {
  out->clear();
  PutFixed32(out, kStateMagic);
  PutFixed32(out, kStateVersion);
  PutLengthPrefixed(out, logic_);
  for (const auto& b : plan_.bronze) {
    for (uint64_t o : offsets_.at(b.name))
      PutVarint64(out, o);
  }
  std::string state;
  for (const auto& s : silver_) {
    state.clear();  // SaveState appends
    RETURN_IF_ERROR(s->upsert ? s->upsert->SaveState(&state) : s->multiset->SaveState(&state));
    PutLengthPrefixed(out, state);
    const SilverCounters& c = s->counters;
    for (uint64_t v : {c.records, c.filtered, c.quarantined, c.dropped})
      PutVarint64(out, v);
    PutVarint64(out, s->quarantine.size());
    for (const auto& q : s->quarantine)
      PutQuarantine(q, out);
    for (Micros t : s->max_time)
      PutVarint64(out, static_cast<uint64_t>(t));
  }
  for (const auto& g : gold_) {
    state.clear();
    RETURN_IF_ERROR(g->aggregate->SaveState(&state));
    PutLengthPrefixed(out, state);
    if (!g->view->window) continue;
    state.clear();
    if (g->session) RETURN_IF_ERROR(g->session->SaveState(&state));
    PutLengthPrefixed(out, state);
    state.clear();
    g->late_rows->Save(&state);
    PutLengthPrefixed(out, state);
    PutVarint64(out, g->late_counters.rows);
    PutVarint64(out, g->late_counters.late);
    PutVarint64(out, g->late.size());
    for (const LateRecord& l : g->late) {
      PutLengthPrefixed(out, l.reason);
      PutVarint64(out, l.partition);
      PutVarint64(out, l.offset);
      for (const std::optional<Micros>& t :
           {std::optional<Micros>(l.event_time), l.watermark, l.window_start, l.window_end}) {
        out->push_back(t ? 1 : 0);
        if (t) PutVarint64(out, static_cast<uint64_t>(*t));
      }
    }
  }
  for (const std::vector<Offsets>* list : {&pending_, &epoch_starts_}) {
    PutVarint64(out, list->size());
    for (const Offsets& o : *list)
      PutOffsets(o, out);
  }
  for (const auto& g : gold_) {
    for (const auto& epoch : g->epochs) {
      state.clear();
      epoch.Save(&state);
      PutLengthPrefixed(out, state);
    }
  }
  PutFixed32(out, crc32c::Value(*out));
  return Status::OK();
}

Status PipelineExecutor::Load(std::string_view in) {
  auto corrupt = [](const char* what) {
    return Status::Corruption(std::string("pipeline state: ") + what);
  };
  if (in.size() < 12 ||
      crc32c::Value(in.data(), in.size() - 4) != DecodeFixed32(in.data() + in.size() - 4)) {
    return corrupt("checksum mismatch");
  }
  // Version 2 (before event time) has no event times and no window state: its logic text
  // has no watermark and no window either, so only such a pipeline gets this far with it.
  const uint32_t version = DecodeFixed32(in.data() + 4);
  if (DecodeFixed32(in.data()) != kStateMagic || (version != 2 && version != kStateVersion)) {
    return corrupt("unknown format");
  }
  Decoder d(in.substr(8, in.size() - 12));
  std::string_view logic;
  if (!d.GetLengthPrefixed(&logic)) return corrupt("truncated");
  if (logic != logic_) {
    return Status::FailedPrecondition(
        "the saved state was computed by a different pipeline (its SQL changed); recompute "
        "with `strata batch`, or start over with a fresh state");
  }
  for (const auto& b : plan_.bronze) {
    for (uint64_t& o : offsets_.at(b.name)) {
      if (!d.GetVarint64(&o)) return corrupt("truncated offsets");
    }
  }
  for (auto& s : silver_) {
    std::string_view state;
    if (!d.GetLengthPrefixed(&state)) return corrupt("truncated silver state");
    RETURN_IF_ERROR(s->upsert ? s->upsert->LoadState(state) : s->multiset->LoadState(state));
    SilverCounters& c = s->counters;
    uint64_t n;
    if (!d.GetVarint64(&c.records) || !d.GetVarint64(&c.filtered) ||
        !d.GetVarint64(&c.quarantined) || !d.GetVarint64(&c.dropped) || !d.GetVarint64(&n)) {
      return corrupt("truncated counters");
    }
    if (n > d.remaining()) return corrupt("truncated quarantine");
    s->quarantine.resize(n);
    for (auto& q : s->quarantine) {
      if (!GetQuarantine(&d, &q)) return corrupt("truncated quarantine");
    }
    for (Micros& t : s->max_time) {
      if (version < 3) break;
      uint64_t v;
      if (!d.GetVarint64(&v)) return corrupt("truncated event times");
      t = static_cast<Micros>(v);
    }
  }
  for (auto& g : gold_) {
    std::string_view state;
    if (!d.GetLengthPrefixed(&state)) return corrupt("truncated gold state");
    RETURN_IF_ERROR(g->aggregate->LoadState(state));
    if (!g->view->window) continue;
    if (!d.GetLengthPrefixed(&state)) return corrupt("truncated session state");
    if (g->session) RETURN_IF_ERROR(g->session->LoadState(state));
    if (!d.GetLengthPrefixed(&state)) return corrupt("truncated late rows");
    RETURN_IF_ERROR(g->late_rows->Load(state));
    uint64_t n;
    if (!d.GetVarint64(&g->late_counters.rows) || !d.GetVarint64(&g->late_counters.late) ||
        !d.GetVarint64(&n) || n > d.remaining()) {
      return corrupt("truncated late records");
    }
    g->late.resize(n);
    for (LateRecord& l : g->late) {
      std::string_view reason;
      uint64_t partition;
      if (!d.GetLengthPrefixed(&reason) || !d.GetVarint64(&partition) ||
          !d.GetVarint64(&l.offset)) {
        return corrupt("truncated late records");
      }
      l.reason = std::string(reason);
      l.partition = static_cast<uint32_t>(partition);
      std::optional<Micros> event_time;
      for (std::optional<Micros>* t : {&event_time, &l.watermark, &l.window_start, &l.window_end}) {
        uint8_t flag;
        uint64_t v;
        if (!d.GetByte(&flag) || flag > 1) return corrupt("truncated late records");
        t->reset();
        if (flag == 0) continue;
        if (!d.GetVarint64(&v)) return corrupt("truncated late records");
        *t = static_cast<Micros>(v);
      }
      if (!event_time) return corrupt("late record without an event time");
      l.event_time = *event_time;
    }
  }
  for (std::vector<Offsets>* list : {&pending_, &epoch_starts_}) {
    uint64_t n;
    if (!d.GetVarint64(&n) || n > d.remaining()) return corrupt("truncated Lambda boundaries");
    list->resize(n);
    for (Offsets& o : *list) {
      o = offsets_;
      for (auto& [table, offsets] : o) {
        for (uint64_t& v : offsets) {
          if (!d.GetVarint64(&v)) return corrupt("truncated Lambda boundaries");
        }
      }
    }
  }
  for (auto& g : gold_) {
    if (g->view->serving != sql::Serving::kLambda) continue;
    g->epochs.assign(epoch_starts_.size(), exec::ConsolidatedChanges(g->input_types));
    for (auto& epoch : g->epochs) {
      std::string_view state;
      if (!d.GetLengthPrefixed(&state)) return corrupt("truncated Lambda epoch");
      RETURN_IF_ERROR(epoch.Load(state));
    }
  }
  if (!d.empty()) return corrupt("trailing bytes");
  for (const auto& g : gold_) {
    if (g->lambda) lambda_ready_ = false;  // until PublishBatch rebuilds the answers
  }
  return Status::OK();
}

}  // namespace strata::runtime
