#include "runtime/executor.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "common/clock.h"
#include "common/json_writer.h"
#include "runtime/executor_nodes.h"
#include "runtime/query.h"

namespace strata::runtime {

using exec::CompiledExpression;

namespace {

Result<std::unique_ptr<exec::JoinOperator>> MakeJoin(const sql::JoinSpec& join) {
  std::vector<Type> types = sql::ColumnTypes(join.columns);
  const auto split = types.begin() + static_cast<ptrdiff_t>(join.left_columns);
  return exec::JoinOperator::Make(join, std::vector<Type>(types.begin(), split),
                                  std::vector<Type>(split, types.end()));
}

Status InSink(std::string_view table) {
  return Status::FailedPrecondition(std::string(table) + " is kept in the side sink");
}

Result<CompiledExpression> Compile(const sql::BoundExpr& e) {
  return CompiledExpression::Compile(e);
}

// The session operator of a view with session(): it reads the aggregate's input plus the
// time; the group keys other than the window's group its sessions.
Result<std::unique_ptr<exec::SessionOperator>> MakeSession(const sql::GoldView& g,
                                                           const std::vector<Type>& input_types) {
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
  return exec::SessionOperator::Make(types, keys, start, end, g.window->gap);
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
    auto node = std::make_unique<BronzeNode>();
    node->table = &b;
    if (b.watermark_column >= 0) {
      node->watermark.emplace(b.partitions, b.watermark_delay, b.idle_timeout);
    }
    bronze_.push_back(std::move(node));
    std::string line = "bronze " + b.name + " " + format::PayloadFormatName(b.format);
    for (const auto& c : b.columns)
      line += " " + c.name + ":" + c.type.ToString();
    if (b.watermark_column >= 0) {
      line += " watermark " + std::to_string(b.watermark_column) + " - " +
              std::to_string(b.watermark_delay);
    }
    AddLogic(b.name, line + "\n");
  }
  for (const sql::SilverTable& s : plan_.silver)
    RETURN_IF_ERROR(InitSilver(s));
  for (const sql::GoldView& g : plan_.gold)
    RETURN_IF_ERROR(InitGold(g));
  // Before any batch run, the speed path covers everything: one epoch from offset 0.
  bool lambda = false;
  for (const auto& g : gold_)
    lambda = lambda || g->view->serving == sql::Serving::kLambda;
  if (lambda) epoch_starts_.push_back(offsets_);
  return Status::OK();
}

Status PipelineExecutor::InitSilver(const sql::SilverTable& s) {
  auto node = std::make_unique<SilverNode>();
  node->table = &s;
  std::string inserts;
  for (const sql::SilverInput& in : s.inputs) {
    SilverNode::Input input;
    input.input = &in;
    for (size_t b = 0; b < plan_.bronze.size(); ++b) {
      if (plan_.bronze[b].name == in.source) input.bronze = bronze_[b].get();
    }
    if (input.bronze != nullptr) {
      BronzeNode& bronze = *input.bronze;
      if (!bronze.decoder) {
        std::vector<format::ColumnSpec> specs;
        for (const auto& c : bronze.table->columns)
          specs.push_back({c.name, c.type});
        bronze.decoder = std::make_unique<format::PayloadDecoder>(specs, bronze.table->format);
      }
    } else {
      // From a silver table, or two joined (once when it is joined with itself).
      bool found = false;
      for (auto& other : silver_) {
        if (other->table->name != in.source && !(in.join && other->table->name == in.join->right))
          continue;
        other->silver_consumers.push_back(node.get());
        found = true;
      }
      STRATA_ASSERT(found);  // the binder resolved it to an earlier silver table
      if (in.join) {
        ASSIGN_OR_RETURN(node->join, MakeJoin(*in.join));
      }
    }
    if (in.where) {
      ASSIGN_OR_RETURN(auto w, Compile(*in.where));
      input.where.emplace(std::move(w));
    }
    for (const auto& p : in.projections) {
      ASSIGN_OR_RETURN(auto c, Compile(p));
      input.projections.push_back(std::move(c));
    }
    node->inputs.push_back(std::move(input));
    inserts += (inserts.empty() ? "" : " ; ") + in.insert_sql;
  }
  ASSIGN_OR_RETURN(exec::ExpectOperator expect, exec::ExpectOperator::Make(s));
  node->expect.emplace(std::move(expect));
  std::vector<Type> types = sql::ColumnTypes(s.columns);
  if (!s.primary_key.empty() && !s.from_silver()) {
    std::optional<int> dedupe;
    if (s.dedupe_order >= 0) dedupe = s.dedupe_order;
    ASSIGN_OR_RETURN(node->upsert, exec::UpsertOperator::Make(types, s.primary_key, dedupe));
  } else {
    // No key, or fed by a silver table (whose changes it keeps one for one): a multiset.
    std::vector<int> all;
    for (size_t i = 0; i < types.size(); ++i)
      all.push_back(static_cast<int>(i));
    ASSIGN_OR_RETURN(node->multiset,
                     exec::AggregateOperator::Make(types, all, {exec::AggregateSpec{}}));
  }
  std::string line =
      "silver " + s.name + " " + sql::OnViolationName(s.on_violation) + " " + inserts;
  for (const auto& c : s.columns)
    line += " " + c.name + ":" + c.type.ToString();
  for (const auto& c : s.constraints)
    line += " [" + c.name + ": " + c.sql + "]";
  for (int k : s.primary_key)
    line += " pk" + std::to_string(k);
  AddLogic(s.name, line + " dedupe" + std::to_string(s.dedupe_order) + "\n");
  silver_.push_back(std::move(node));
  return Status::OK();
}

Status PipelineExecutor::InitGold(const sql::GoldView& g) {
  auto node = std::make_unique<GoldNode>();
  node->view = &g;
  if (g.join) {
    ASSIGN_OR_RETURN(node->join, MakeJoin(*g.join));
  }
  if (g.where) {
    ASSIGN_OR_RETURN(auto w, Compile(*g.where));
    node->where.emplace(std::move(w));
  }
  if (g.window) {
    ASSIGN_OR_RETURN(auto t, Compile(g.window->time));
    node->time.emplace(std::move(t));
    const sql::SilverTable* silver = plan_.FindSilver(g.source);
    STRATA_ASSERT(silver != nullptr);
    node->windowed_types = sql::ColumnTypes(silver->columns);
    for (int i = 0; i < 3; ++i)
      node->windowed_types.push_back(g.window->time.type);
    node->late.emplace(g, node->windowed_types);
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
  for (const auto& o : g.outputs) {
    ASSIGN_OR_RETURN(auto c, Compile(o.expr));
    node->outputs.push_back(std::move(c));
  }
  if (g.window && g.window->kind == sql::WindowKind::kSession) {
    ASSIGN_OR_RETURN(node->session, MakeSession(g, input_types));
  }
  for (auto& s : silver_) {
    if (s->table->name == g.source || (g.join && s->table->name == g.join->right)) {
      s->consumers.push_back(node.get());
    }
  }
  for (auto& v : gold_) {
    if (v->view->name == g.source) v->consumers.push_back(node.get());
  }
  AddLogic(g.name, "gold " + g.name + " " + g.sql +
                       (g.window ? " lateness " + std::to_string(g.allowed_lateness) : "") + "\n");
  if (g.serving == sql::Serving::kLambda) {
    // batch(∅) ⊕ everything: until a batch is published, the speed path alone.
    ASSIGN_OR_RETURN(node->lambda, exec::LambdaOperator::Make(input_types, group_columns, specs,
                                                              /*own_epochs=*/!g.from_gold));
  }
  gold_.push_back(std::move(node));
  return Status::OK();
}

void PipelineExecutor::AddLogic(const std::string& node, std::string line) {
  logic_ += line;
  node_logic_order_.emplace_back(node, std::move(line));
}

std::string PipelineExecutor::LogicOf(std::string_view table) const {
  if (plan_.FindNodeColumns(table) == nullptr) return "";
  // The node and every node it reads, in the pipeline's order (bronze, silver, gold).
  const std::vector<std::string> upstream = plan_.Upstream(table);
  std::string out;
  for (const auto& [name, line] : node_logic_order_) {
    if (std::find(upstream.begin(), upstream.end(), name) != upstream.end()) out += line;
  }
  return out;
}

uint64_t PipelineExecutor::next_offset(std::string_view bronze, uint32_t partition) const {
  auto it = offsets_.find(bronze);
  if (it == offsets_.end() || partition >= it->second.size()) return 0;
  return it->second[partition];
}

bool AtOrBefore(const Offsets& a, const Offsets& b) {
  for (const auto& [table, offsets] : a) {
    const auto& other = b.at(table);
    for (size_t p = 0; p < offsets.size(); ++p) {
      if (offsets[p] > other[p]) return false;
    }
  }
  return true;
}

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
    // A publish under way records the epochs from its T on: one opening before T is not.
    if (publishing_ && !AtOrBefore(publish_t_, pending_.front())) ++publish_first_;
    epoch_starts_.push_back(std::move(pending_.front()));
    pending_.erase(pending_.begin());
    for (auto& g : gold_) {
      if (g->lambda) g->lambda->OpenEpoch();
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
    if (g->lambda && g->lambda->own_epochs()) g->lambda->DropOldest(drop);
  }
  while (!pending_.empty() && AtOrBefore(pending_.front(), t) && pending_.front() != t) {
    pending_.erase(pending_.begin());
  }
}

std::vector<Offsets> PipelineExecutor::epoch_starts() const {
  return epoch_starts_;
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
    return GoldRows(*g, g->lambda->answer());
  }
  return Status::NotFound("the pipeline has no view " + std::string(view));
}

Result<uint64_t> PipelineExecutor::ViewRowCount(std::string_view view, bool lambda) const {
  for (const auto& g : gold_) {
    if (g->view->name != view) continue;
    if (lambda && (!g->lambda || !lambda_ready_)) {
      return Status::FailedPrecondition(std::string(view) + ": no Lambda answer");
    }
    const size_t groups = (lambda ? g->lambda->answer() : *g->aggregate).num_groups();
    // A view without GROUP BY has its one row even over no input (AddEmptyGlobalGroup).
    return g->view->group_keys.empty() && groups == 0 ? 1 : groups;
  }
  return Status::NotFound("the pipeline has no view " + std::string(view));
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
      Batch out = exec::MakeBatch(sql::ColumnTypes(s->table->columns));
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
      if (s->quarantine_in_sink) return InSink(table);
      return QuarantineBatch(s->quarantine);
    }
  }
  for (const auto& g : gold_) {
    if (g->view->name == table) return GoldRows(*g, *g->aggregate);
    if (g->view->late_table.empty() || g->view->late_table != table) continue;
    if (g->late_in_sink) return InSink(table);
    return LateBatch(g->late->records());
  }
  return Status::NotFound("the pipeline has no table " + std::string(table));
}

const LateCounters* PipelineExecutor::late_counters(std::string_view view) const {
  for (const auto& g : gold_) {
    if (g->view->name == view && g->late) return &g->late->counters();
  }
  return nullptr;
}

std::optional<exec::JoinStats> PipelineExecutor::join_stats(std::string_view node) const {
  for (const auto& g : gold_) {
    if (g->view->name == node && g->join) return g->join->stats();
  }
  for (const auto& s : silver_) {
    if (s->table->name == node && s->join) return s->join->stats();
  }
  return std::nullopt;
}

std::optional<Micros> PipelineExecutor::InputWatermark(std::string_view table) const {
  // The least watermark over the bronze tables with one that reach `table`.
  std::optional<Micros> out;
  for (const std::string& source : plan_.BronzeSources(table)) {
    for (const auto& b : bronze_) {
      if (b->table->name != source || !b->watermark) continue;
      const std::optional<Micros> w = b->watermark->Watermark();
      if (!w) return std::nullopt;
      out = out ? std::min(*out, *w) : *w;
    }
  }
  return out;
}

std::vector<WatermarkInfo> PipelineExecutor::Watermarks(Micros now) const {
  std::vector<WatermarkInfo> out;
  for (const auto& b : bronze_) {
    if (!b->watermark || !b->decoder) continue;
    exec::WatermarkView view = b->watermark->View(now);
    out.push_back(
        {b->table->name, std::move(view.partitions), std::move(view.idle), view.watermark});
  }
  return out;
}

Result<Batch> PipelineExecutor::GoldRows(const GoldNode& node,
                                         const exec::AggregateOperator& aggregate) const {
  Batch aggregated = exec::MakeBatch(aggregate.output_types());
  RETURN_IF_ERROR(aggregate.Snapshot(&aggregated));
  if (node.view->group_keys.empty()) AddEmptyGlobalGroup(node.view->aggregates, &aggregated);
  Batch out;
  RETURN_IF_ERROR(ViewRows(node, aggregated, &out));
  return out;
}

Status PipelineExecutor::ViewRows(const GoldNode& node, const Batch& aggregated, Batch* out) const {
  out->columns.clear();
  out->origins.clear();
  out->weights = aggregated.weights;
  for (const CompiledExpression& e : node.outputs) {
    Column col(e.type());
    exec::RowErrors errors;
    RETURN_IF_ERROR(e.Evaluate(aggregated, &col, &errors));
    if (!errors.empty()) {
      return Status::FailedPrecondition(node.view->name + ": " + errors[0].message);
    }
    out->columns.push_back(std::move(col));
  }
  return Status::OK();
}

}  // namespace strata::runtime
