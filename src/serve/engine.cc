#include "serve/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include <simdjson.h>

#include "common/abort_point.h"
#include "common/datetime.h"
#include "common/file_system.h"
#include "common/hash.h"
#include "common/json_writer.h"
#include "exec/row_codec.h"
#include "runtime/runner.h"
#include "serve/engine_lane.h"
#include "sql/binder.h"
#include "sql/parser.h"

namespace strata::serve {

using runtime::Offsets;
using runtime::PipelineExecutor;

namespace {

const sql::GoldView* FindGold(const sql::Pipeline& plan, std::string_view name) {
  for (const auto& g : plan.gold) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

// Kappa views reading views are served with their source: the view whose lane `view`
// follows is the first view of its chain (the one reading a silver table).
std::string ChainRoot(const sql::Pipeline& plan, std::string_view view) {
  const sql::GoldView* g = FindGold(plan, view);
  while (g != nullptr && g->from_gold)
    g = FindGold(plan, g->source);
  return g != nullptr ? g->name : std::string(view);
}

// The views reading `view`, directly or through other views, in the pipeline's order.
std::vector<std::string> ReadersOf(const sql::Pipeline& plan, std::string_view view) {
  std::vector<std::string> out;
  for (const auto& g : plan.gold) {
    const std::vector<std::string> up = plan.Upstream(g.name);
    if (g.name != view && std::find(up.begin(), up.end(), view) != up.end()) out.push_back(g.name);
  }
  return out;
}

// A serving command on a Kappa view that reads a view: it moves with its chain's root.
Status RefuseChainMember(const sql::Pipeline& plan, std::string_view view, std::string_view what) {
  const std::string root = ChainRoot(plan, view);
  if (root == view) return Status::OK();
  return Status::InvalidArgument(std::string(view) + " reads " + FindGold(plan, view)->source +
                                 " and is served with " + root + ": " + std::string(what) + " " +
                                 root +
                                 " instead (a replay computes every view of the SQL it is "
                                 "given; a cutover or rollback moves a view's readers with it)");
}

Result<Offsets> EndOffsets(log::Store* store, const sql::Pipeline& plan) {
  Offsets out;
  for (const auto& b : plan.bronze) {
    ASSIGN_OR_RETURN(log::Table * table, store->GetTable(b.name));
    auto& v = out[b.name];
    for (uint32_t p = 0; p < table->partition_count(); ++p)
      v.push_back(table->partition(p).end_offset());
  }
  return out;
}

Offsets Uniform(const sql::Pipeline& plan, uint64_t offset) {
  Offsets out;
  for (const auto& b : plan.bronze)
    out[b.name].assign(b.partitions, offset);
  return out;
}

uint64_t Total(const Offsets& o) {
  uint64_t n = 0;
  for (const auto& [t, v] : o) {
    for (uint64_t x : v)
      n += x;
  }
  return n;
}

// Text of one row, for keys and examples.
std::string RowText(const Batch& rows, size_t r, const std::vector<Type>& types,
                    const std::vector<int>& columns) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    out += i ? ", " : "";
    out += rows.columns[columns[i]].GetValue(r).ToString(types[columns[i]]);
  }
  return out;
}

bool ReferencesOnlyKeys(const sql::BoundExpr& e, int keys, bool* any) {
  if (e.kind == sql::BoundKind::kColumn) {
    *any = true;
    return e.column < keys;
  }
  for (const auto& c : e.children) {
    if (!ReferencesOnlyKeys(c, keys, any)) return false;
  }
  return true;
}

double NumericOf(const Value& v, const Type& t) {
  std::string s = v.ToString(t);
  return std::strtod(s.c_str(), nullptr);
}

bool IsNumeric(const Type& t) {
  return t.id == TypeId::kBigint || t.id == TypeId::kDouble || t.id == TypeId::kNumeric;
}

}  // namespace

std::vector<int> KeyColumns(const sql::Pipeline& plan, std::string_view table) {
  std::vector<int> keys;
  if (const sql::GoldView* g = FindGold(plan, table)) {
    const int k = static_cast<int>(g->group_keys.size());
    for (size_t i = 0; i < g->outputs.size(); ++i) {
      bool any = false;
      if (k > 0 && ReferencesOnlyKeys(g->outputs[i].expr, k, &any) && any) {
        keys.push_back(static_cast<int>(i));
      }
    }
    return keys;
  }
  for (const auto& s : plan.silver) {
    if (s.name == table) return s.primary_key;
  }
  return keys;
}

std::string ReplayResult::ToJson() const {
  JsonObject o;
  o.Add("name", name)
      .Add("records", records)
      .Add("seconds", seconds)
      .Add("resumed", resumed)
      .Add("finished", finished);
  o.AddRaw("version", version ? VersionInfoJson(*version) : "null");
  return o.Finish();
}

std::string Diff::ToText() const {
  std::string out = view + ": " + left_name + " " + std::to_string(left_rows) + " rows (checksum " +
                    left_checksum + "), " + right_name + " " + std::to_string(right_rows) +
                    " rows (checksum " + right_checksum + ")\n";
  if (!boundary.empty()) out += "input covered: " + BoundaryJson(boundary) + "\n";
  if (identical()) return out + "no difference\n";
  out += "rows added " + std::to_string(added) + ", removed " + std::to_string(removed) +
         ", changed " + std::to_string(changed) + "\n";
  if (unexplained) {
    out += *unexplained == 0
               ? "explained: every difference is the effect of the " +
                     std::to_string(late_records) + " late records (" + view +
                     "__late), which the authoritative recompute counts\n"
               : "UNEXPLAINED: " + std::to_string(*unexplained) +
                     " rows differ from what the speed path computes from the same input (" +
                     std::to_string(late_records) + " late records)\n";
    if (unattributed > 0) {
      out += "UNEXPLAINED: " + std::to_string(unattributed) +
             " differing rows have no late record in their window\n";
    }
    for (const auto& a : attribution)
      out += "  " + a + "\n";
  }
  for (const auto& [column, change] : largest_relative_change) {
    char line[160];
    std::snprintf(line, sizeof(line), "largest relative change in %s: %.6g%%\n", column.c_str(),
                  change * 100);
    out += line;
  }
  for (const auto& e : examples)
    out += "  " + e + "\n";
  return out;
}

std::string Diff::ToJson() const {
  std::string changes = "{";
  for (size_t i = 0; i < largest_relative_change.size(); ++i) {
    changes += i ? "," : "";
    AppendJsonString(&changes, largest_relative_change[i].first);
    char v[64];
    std::snprintf(v, sizeof(v), ":%.17g", largest_relative_change[i].second);
    changes += v;
  }
  std::string examples_json = "[";
  for (size_t i = 0; i < examples.size(); ++i) {
    examples_json += i ? "," : "";
    AppendJsonString(&examples_json, examples[i]);
  }
  JsonObject o;
  o.Add("view", view)
      .Add("left", left_name)
      .Add("right", right_name)
      .Add("left_rows", left_rows)
      .Add("right_rows", right_rows)
      .Add("left_checksum", left_checksum)
      .Add("right_checksum", right_checksum)
      .Add("added", added)
      .Add("removed", removed)
      .Add("changed", changed)
      .Add("identical", identical())
      .Add("explained", explained())
      .Add("late_records", late_records)
      .AddRaw("largest_relative_change", changes + "}")
      .AddRaw("examples", examples_json + "]");
  if (!boundary.empty()) o.AddRaw("boundary", BoundaryJson(boundary));
  if (unexplained) {
    std::string lines = "[";
    for (size_t i = 0; i < attribution.size(); ++i) {
      lines += i ? "," : "";
      AppendJsonString(&lines, attribution[i]);
    }
    o.Add("unexplained", *unexplained)
        .Add("unattributed", unattributed)
        .AddRaw("attribution", lines + "]");
  }
  return o.Finish();
}

Result<Diff> Diff::FromJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(json.data(), json.size()).get(o) != simdjson::SUCCESS) {
    return Status::InvalidArgument("a diff is not a JSON object");
  }
  Diff d;
  auto text = [&](const char* key, std::string* out) {
    std::string_view v;
    if (o[key].get(v) == simdjson::SUCCESS) *out = std::string(v);
  };
  auto number = [&](const char* key, uint64_t* out) {
    if (o[key].get(*out) != simdjson::SUCCESS) *out = 0;
  };
  text("view", &d.view);
  text("left", &d.left_name);
  text("right", &d.right_name);
  text("left_checksum", &d.left_checksum);
  text("right_checksum", &d.right_checksum);
  number("left_rows", &d.left_rows);
  number("right_rows", &d.right_rows);
  number("added", &d.added);
  number("removed", &d.removed);
  number("changed", &d.changed);
  number("late_records", &d.late_records);
  uint64_t unexplained = 0;
  if (o["unexplained"].get(unexplained) == simdjson::SUCCESS) d.unexplained = unexplained;
  number("unattributed", &d.unattributed);
  simdjson::dom::array attribution;
  if (o["attribution"].get(attribution) == simdjson::SUCCESS) {
    for (auto e : attribution) {
      std::string_view v;
      if (e.get(v) == simdjson::SUCCESS) d.attribution.emplace_back(v);
    }
  }
  simdjson::dom::object changes;
  if (o["largest_relative_change"].get(changes) == simdjson::SUCCESS) {
    for (auto kv : changes) {
      double v = 0;
      if (kv.value.get(v) == simdjson::SUCCESS) {
        d.largest_relative_change.emplace_back(std::string(kv.key), v);
      }
    }
  }
  simdjson::dom::array examples;
  if (o["examples"].get(examples) == simdjson::SUCCESS) {
    for (auto e : examples) {
      std::string_view v;
      if (e.get(v) == simdjson::SUCCESS) d.examples.emplace_back(v);
    }
  }
  simdjson::dom::object boundary;
  if (o["boundary"].get(boundary) == simdjson::SUCCESS) {
    for (auto kv : boundary) {
      simdjson::dom::array offsets;
      if (kv.value.get(offsets) != simdjson::SUCCESS) continue;
      auto& out = d.boundary[std::string(kv.key)];
      for (auto x : offsets) {
        uint64_t v = 0;
        if (x.get(v) == simdjson::SUCCESS) out.push_back(v);
      }
    }
  }
  return d;
}

Engine::Engine(log::Store* store, std::string data_dir, EngineOptions options)
    : store_(store),
      data_dir_(std::move(data_dir)),
      options_(options),
      fs_(options.fs != nullptr ? options.fs : FileSystem::Default()) {}

Engine::~Engine() {
  if (pinned_) store_->SetRetentionPin(nullptr);
}

const sql::Pipeline& Engine::plan() const {
  return main_->plan;
}

std::string Engine::LaneDir() const {
  return JoinPath(runtime::PipelinePaths(data_dir_).dir, "lanes");
}

Status Engine::RequireWritable() const {
  if (store_->read_only()) {
    return Status::FailedPrecondition(
        "the data directory is open read-only (another strata process owns it); use --server "
        "to ask that process");
  }
  return Status::OK();
}

Result<std::unique_ptr<Engine>> Engine::Open(log::Store* store, std::string data_dir,
                                             std::string sql_text, std::string sql_name,
                                             EngineOptions options) {
  std::unique_ptr<Engine> e(new Engine(store, std::move(data_dir), options));
  ASSIGN_OR_RETURN(e->versions_, VersionStore::Open(e->fs_, JoinPath(e->data_dir_, "views")));
  RETURN_IF_ERROR(e->Restore(std::move(sql_text), std::move(sql_name)));
  return e;
}

Result<std::unique_ptr<Engine::Lane>> Engine::MakeLane(std::string name, std::string sql_text,
                                                       std::string sql_name) const {
  auto lane = std::make_unique<Lane>();
  lane->name = std::move(name);
  lane->sql_text = std::move(sql_text);
  lane->sql_name = std::move(sql_name);
  ASSIGN_OR_RETURN(lane->plan, runtime::LoadPipeline(lane->sql_text, lane->sql_name));
  for (const auto& b : lane->plan.bronze) {
    if (!store_->GetTable(b.name).ok()) {
      return Status::FailedPrecondition("bronze table " + b.name + " of " + lane->sql_name +
                                        " does not exist in the data directory");
    }
  }
  ASSIGN_OR_RETURN(lane->executor, PipelineExecutor::Make(lane->plan));
  return lane;
}

Status Engine::Restore(std::string sql_text, std::string sql_name) {
  runtime::PipelinePaths paths(data_dir_);
  ASSIGN_OR_RETURN(main_, MakeLane(kMain, std::move(sql_text), std::move(sql_name)));
  ASSIGN_OR_RETURN(batch_, PipelineExecutor::Make(main_->plan));
  // The finished replay lanes: their SQL and start here, their state from a checkpoint (or
  // their own file, below).
  if (fs_->Exists(LaneDir())) {
    ASSIGN_OR_RETURN(auto names, fs_->ListDir(LaneDir()));
    for (const std::string& file : names) {
      if (file.size() < 5 || file.substr(file.size() - 4) != ".sql") continue;
      std::string name = file.substr(0, file.size() - 4);
      if (!fs_->Exists(JoinPath(LaneDir(), name + ".done"))) continue;  // resumed by a replay
      std::string text;
      RETURN_IF_ERROR(fs_->ReadFile(JoinPath(LaneDir(), file), &text));
      ASSIGN_OR_RETURN(auto lane, MakeLane(name, text, name + ".sql"));
      const std::string from_path = JoinPath(LaneDir(), name + ".from");
      if (fs_->Exists(from_path)) {
        std::string from;
        RETURN_IF_ERROR(fs_->ReadFile(from_path, &from));
        lane->from_offset = std::strtoull(from.c_str(), nullptr, 10);
      }
      replays_[name] = std::move(lane);
    }
  }
  const std::string root = CheckpointRoot();
  if (!store_->read_only()) {  // what a crash left half written
    ASSIGN_OR_RETURN(auto leftovers, ListCheckpointLeftovers(fs_, root));
    for (const auto& dir : leftovers)
      RETURN_IF_ERROR(RemoveCheckpointDir(fs_, dir));
  }
  ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, ListCheckpoints(fs_, root));
  std::set<std::string> restored;
  bool from_checkpoint = false;
  for (uint64_t seq : seqs) {
    Status s = RestoreCheckpoint(seq, &restored);
    if (s.ok()) {
      from_checkpoint = true;
      break;
    }
    Warn("checkpoint " + std::to_string(seq) + " skipped: " + s.ToString());
  }
  if (!seqs.empty()) next_checkpoint_ = seqs.front() + 1;
  if (!from_checkpoint && seqs.empty()) {
    // A directory of an earlier release: its state files, if any.
    RETURN_IF_ERROR(runtime::LoadExecutorState(main_->executor.get(), paths.streaming));
    RETURN_IF_ERROR(runtime::LoadExecutorState(batch_.get(), paths.batch));
    RETURN_IF_ERROR(main_->executor->PublishBatch(*batch_).WithContext(paths.batch));
  } else if (!from_checkpoint) {
    Warn("no checkpoint verifies: the main lane recomputes from bronze offset 0");
    RETURN_IF_ERROR(main_->executor->PublishBatch(*batch_));
  }
  for (auto& [name, lane] : replays_) {
    if (!restored.count(name)) RETURN_IF_ERROR(LoadLane(lane.get()));
  }
  RETURN_IF_ERROR(CheckRetained());
  for (const auto& g : main_->plan.gold) {
    if (g.serving == sql::Serving::kKappa) RETURN_IF_ERROR(RefreshServingLocked(g.name));
  }
  // The retention pin covers every checkpoint on disk whose META reads.
  for (auto it = seqs.rbegin(); it != seqs.rend(); ++it) {
    auto meta = ReadCheckpointMeta(fs_, JoinPath(root, CheckpointDirName(*it)));
    if (meta.ok()) kept_.push_back(std::move(*meta));
  }
  if (!store_->read_only()) {
    SetPin(kept_);
    // The hook owns what it reads: a table may still call a copy of it while the engine goes.
    store_->SetRetentionPin([pin = pin_](const std::string& table, uint32_t partition) {
      std::lock_guard<std::mutex> lock(pin->mu);
      if (!pin->offsets) return uint64_t{0};  // no checkpoint: recovery reads everything
      auto it = pin->offsets->find(table);
      return it == pin->offsets->end() || partition >= it->second.size() ? uint64_t{0}
                                                                         : it->second[partition];
    });
    pinned_ = true;
  }
  return Status::OK();
}

Status Engine::LoadLane(Lane* lane) const {
  RETURN_IF_ERROR(
      runtime::LoadExecutorState(lane->executor.get(), JoinPath(LaneDir(), lane->name + ".state")));
  // A --from-offset lane: Drift recomputes it from the same start.
  const std::string from_path = JoinPath(LaneDir(), lane->name + ".from");
  if (fs_->Exists(from_path)) {
    std::string from;
    RETURN_IF_ERROR(fs_->ReadFile(from_path, &from));
    lane->from_offset = std::strtoull(from.c_str(), nullptr, 10);
  }
  return Status::OK();
}

Result<uint64_t> Engine::Step() {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t main_records = 0;
  auto step = [&](Lane& lane) -> Result<uint64_t> {
    ASSIGN_OR_RETURN(Offsets until, EndOffsets(store_, lane.plan));
    for (auto& [table, offsets] : until) {
      for (uint32_t p = 0; p < offsets.size(); ++p) {
        offsets[p] = std::min(offsets[p], lane.executor->next_offset(table, p) +
                                              static_cast<uint64_t>(options_.step_records));
      }
    }
    return runtime::CatchUp(store_, lane.executor.get(), lane.plan, options_.batch_records, &until);
  };
  ASSIGN_OR_RETURN(main_records, step(*main_));
  for (auto& [name, lane] : replays_) {
    RETURN_IF_ERROR(step(*lane).status().WithContext("lane " + name));
  }
  return main_records;
}

bool Engine::CaughtUp() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto caught_up = [&](const Lane& lane) {
    auto end = EndOffsets(store_, lane.plan);
    if (!end.ok()) return false;
    for (const auto& [table, offsets] : *end) {
      for (uint32_t p = 0; p < offsets.size(); ++p) {
        if (lane.executor->next_offset(table, p) < offsets[p]) return false;
      }
    }
    return true;
  };
  if (!caught_up(*main_)) return false;
  for (const auto& [name, lane] : replays_) {
    if (!caught_up(*lane)) return false;
  }
  return true;
}

Result<VersionInfo> Engine::PublishLocked(std::string_view view, const Lane& lane,
                                          const Batch& rows, std::string origin, std::string name,
                                          bool live, const Offsets& boundary) {
  const auto* columns = lane.plan.FindColumns(view);
  STRATA_ASSERT(columns != nullptr);
  VersionInfo info;
  info.name = std::move(name);
  info.origin = std::move(origin);
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx",
                static_cast<unsigned long long>(StableHash64(lane.executor->LogicOf(view))));
  info.logic_hash = hash;
  info.boundary = boundary;
  // The watermark of the input the rows cover (of the batch run for a batch version).
  const PipelineExecutor& source = info.origin == kBatch ? *batch_ : *lane.executor;
  info.watermark = source.InputWatermark(view);
  ASSIGN_OR_RETURN(auto current, versions_->Live(view));
  ASSIGN_OR_RETURN(VersionInfo published, versions_->Publish(view, info, sql::ColumnTypes(*columns),
                                                             rows, live || !current));
  RETURN_IF_ERROR(versions_->Prune(view, options_.keep_versions));
  return published;
}

Result<BatchRunResult> Engine::RunBatch(const std::atomic<bool>* stop) {
  RETURN_IF_ERROR(RequireWritable());
  std::lock_guard<std::mutex> batch_lock(batch_mu_);
  BatchRunResult result;
  const Micros start = MonotonicMicros();
  std::unique_ptr<PipelineExecutor> executor;
  sql::Pipeline plan;
  bool lambda = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    plan = main_->plan;
    for (const auto& g : plan.gold)
      lambda = lambda || g.serving == sql::Serving::kLambda;
    ASSIGN_OR_RETURN(result.boundary, EndOffsets(store_, plan));
    if (lambda && result.boundary == batch_->offsets()) return result;  // nothing new
    if (lambda) RETURN_IF_ERROR(main_->executor->AddBoundary(result.boundary));
  }
  ASSIGN_OR_RETURN(executor, PipelineExecutor::Make(plan));
  executor->set_include_late(true);  // the batch view is authoritative
  ASSIGN_OR_RETURN(result.records,
                   runtime::CatchUp(store_, executor.get(), plan, options_.batch_run_records,
                                    &result.boundary, stop));
  if (stop != nullptr && stop->load()) return Status::Aborted("batch run: stopped");
  if (executor->offsets() != result.boundary) {
    return Status::FailedPrecondition("batch run: the log ended before the boundary");
  }
  // batch(T) becomes durable with the next checkpoint, which takes it together with the
  // speed path's epochs from T on: any checkpoint holds a pair that restores. A crash before
  // then restores the previous pair (its answers are as exact; the next run publishes again).
  std::lock_guard<std::mutex> lock(mu_);
  if (lambda) RETURN_IF_ERROR(main_->executor->PublishBatch(*executor));
  batch_ = std::move(executor);
  last_batch_ = NowMicros();
  for (const auto& g : plan.gold) {
    if (g.serving != sql::Serving::kLambda) continue;
    ASSIGN_OR_RETURN(Batch rows, batch_->Rows(g.name));
    ASSIGN_OR_RETURN(VersionInfo v, PublishLocked(g.name, *main_, rows, kBatch, kBatch,
                                                  /*live=*/false, result.boundary));
    result.published.push_back(std::move(v));
  }
  result.seconds = (MonotonicMicros() - start) / 1e6;
  return result;
}

Result<const Engine::Lane*> Engine::ServingLaneLocked(std::string_view view) const {
  auto serving = serving_.find(ChainRoot(main_->plan, view));
  if (serving != serving_.end()) {
    auto it = replays_.find(serving->second);
    if (it != replays_.end()) return it->second.get();
  }
  return main_.get();
}

Status Engine::RefreshServingLocked(std::string_view view) {
  serving_.erase(std::string(view));
  ASSIGN_OR_RETURN(auto live, versions_->Live(view));
  if (!live) return Status::OK();
  ASSIGN_OR_RETURN(VersionInfo marker, versions_->Get(view, *live));
  if (replays_.count(marker.name)) serving_[std::string(view)] = marker.name;
  return Status::OK();
}

Result<Batch> Engine::LiveRowsLocked(std::string_view table) const {
  if (const sql::GoldView* g = FindGold(main_->plan, table)) {
    if (g->serving == sql::Serving::kLambda) return main_->executor->LambdaRows(table);
    ASSIGN_OR_RETURN(const Lane* lane, ServingLaneLocked(table));
    return lane->executor->Rows(table);
  }
  return main_->executor->Rows(table);
}

Result<Batch> Engine::RowsAsOf(const sql::BoundQuery& query) const {
  const auto* columns = main_->plan.FindColumns(query.table);
  if (FindGold(main_->plan, query.table) == nullptr) {
    return Status::InvalidArgument("AS OF reads versions of gold views; " + query.table +
                                   " has none");
  }
  VersionInfo v;
  if (query.as_of_version) {
    ASSIGN_OR_RETURN(v, versions_->Get(query.table, *query.as_of_version));
  } else {
    // The lane serving at that time, then its newest version published by then.
    ASSIGN_OR_RETURN(VersionInfo serving, versions_->LiveAt(query.table, *query.as_of_timestamp));
    ASSIGN_OR_RETURN(auto all, versions_->List(query.table));
    v = serving;
    for (const auto& candidate : all) {
      if (candidate.name == serving.name && candidate.created <= *query.as_of_timestamp &&
          candidate.version > v.version) {
        v = candidate;
      }
    }
  }
  std::vector<Type> types = sql::ColumnTypes(*columns);
  return versions_->Read(query.table, v.version, types);
}

Result<runtime::QueryResult> Engine::Query(std::string_view sql) {
  return QueryRuntime(sql, "");
}

Result<runtime::QueryResult> Engine::QueryRuntime(std::string_view sql, std::string_view runtime) {
  ASSIGN_OR_RETURN(sql::Select select, sql::ParseQuery(sql));
  Batch rows;
  sql::BoundQuery query;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A Kappa view served by a replay lane has that lane's schema.
    const Lane* lane = main_.get();
    if (runtime.empty() && !select.from.as_of) {
      std::string name = select.from.table.schema.empty()
                             ? select.from.table.name
                             : select.from.table.schema + "." + select.from.table.name;
      const sql::GoldView* g = FindGold(main_->plan, name);
      if (g != nullptr && g->serving == sql::Serving::kKappa) {
        ASSIGN_OR_RETURN(lane, ServingLaneLocked(name));
      }
    }
    auto lookup = [&](std::string_view name) { return lane->plan.FindColumns(name); };
    ASSIGN_OR_RETURN(query, sql::BindQuery(select, lookup));
    if (query.as_of_version || query.as_of_timestamp) {
      if (!runtime.empty()) {
        return Status::InvalidArgument("AS OF reads stored versions; drop --runtime");
      }
      ASSIGN_OR_RETURN(rows, RowsAsOf(query));
    } else if (runtime == "streaming") {
      ASSIGN_OR_RETURN(rows, main_->executor->Rows(query.table));
    } else if (runtime == "batch") {
      ASSIGN_OR_RETURN(rows, batch_->Rows(query.table));
    } else if (lane != main_.get()) {
      ASSIGN_OR_RETURN(rows, lane->executor->Rows(query.table));
    } else {
      ASSIGN_OR_RETURN(rows, LiveRowsLocked(query.table));
    }
  }
  return runtime::ExecuteQuery(query, rows);
}

Result<std::vector<VersionInfo>> Engine::Versions(std::string_view view) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (FindGold(main_->plan, view) == nullptr) {
      return Status::NotFound("the pipeline has no gold view " + std::string(view));
    }
  }
  return versions_->List(view);
}

Result<std::optional<uint64_t>> Engine::LiveVersion(std::string_view view) const {
  std::lock_guard<std::mutex> lock(mu_);
  return LiveVersionLocked(view);
}

Result<std::optional<uint64_t>> Engine::LiveVersionLocked(std::string_view view) const {
  ASSIGN_OR_RETURN(auto live, versions_->Live(view));
  if (!live) return live;
  // The live pointer marks the serving lane; its newest version is what readers see.
  ASSIGN_OR_RETURN(VersionInfo marker, versions_->Get(view, *live));
  ASSIGN_OR_RETURN(auto all, versions_->List(view));
  for (const auto& v : all) {
    if (v.name == marker.name && v.version > *live) live = v.version;
  }
  return live;
}

std::string Engine::ViewsJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out = "[";
  bool first = true;
  auto add = [&](const std::string& json) {
    out += first ? "" : ",";
    out += json;
    first = false;
  };
  for (const auto& g : main_->plan.gold) {
    JsonObject o;
    o.Add("name", g.name)
        .Add("layer", "gold")
        .Add("serving", sql::ServingName(g.serving))
        .Add("owner", g.owner)
        .Add("freshness_s", static_cast<double>(g.freshness) / 1e6);
    auto live = LiveVersionLocked(g.name);
    if (live.ok() && *live) o.Add("live_version", **live);
    if (g.serving == sql::Serving::kKappa) {
      auto lane = ServingLaneLocked(g.name);
      if (lane.ok()) o.Add("lane", (*lane)->name);
    }
    if (g.window) o.Add("window", g.window->sql).Add("late_table", g.late_table);
    add(o.Finish());
    if (g.window) add(JsonObject().Add("name", g.late_table).Add("layer", "late").Finish());
  }
  for (const auto& s : main_->plan.silver) {
    add(JsonObject().Add("name", s.name).Add("layer", "silver").Finish());
    add(JsonObject().Add("name", s.quarantine_table).Add("layer", "quarantine").Finish());
  }
  return out + "]";
}

Result<ReplayResult> Engine::Replay(std::string_view view, ReplayOptions options) {
  RETURN_IF_ERROR(RequireWritable());
  ReplayResult result;
  const Micros start = MonotonicMicros();
  std::string sql_text = options.sql_text;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const sql::GoldView* g = FindGold(main_->plan, view);
    if (g == nullptr) return Status::NotFound("the pipeline has no gold view " + std::string(view));
    if (g->serving != sql::Serving::kKappa) {
      return Status::InvalidArgument(std::string(view) +
                                     " is served by Lambda: its batch runs recompute it "
                                     "(replay, validate and cutover are for Kappa views)");
    }
    RETURN_IF_ERROR(RefuseChainMember(main_->plan, view, "replay"));
    if (sql_text.empty()) sql_text = main_->sql_text;
    if (options.name.empty()) options.name = "replay-" + std::to_string(NowMicros() / 1000000);
    if (options.name == kMain || options.name == kBatch ||
        options.name.find_first_of("/. ") != std::string::npos) {
      return Status::InvalidArgument("replay name " + options.name +
                                     ": pick another (letters, digits, - and _)");
    }
    if (replays_.count(options.name)) {
      return Status::AlreadyExists("a replay named " + options.name +
                                   " exists; validate or cut over to it, or pick another name");
    }
  }
  result.name = options.name;
  ASSIGN_OR_RETURN(auto lane, MakeLane(options.name, sql_text, options.sql_name));
  if (FindGold(lane->plan, view) == nullptr) {
    return Status::InvalidArgument(options.sql_name + " has no view " + std::string(view));
  }
  FileSystem* fs = fs_;
  auto save_state = [&](const PipelineExecutor& executor, const std::string& path) -> Status {
    std::string bytes;
    RETURN_IF_ERROR(executor.Save(&bytes));
    return fs->WriteFileAtomic(path, bytes);
  };
  if (options.from_offset && options.from_checkpoint) {
    return Status::InvalidArgument("give --from-offset or --from-checkpoint, not both");
  }
  RETURN_IF_ERROR(fs->CreateDirs(LaneDir()));
  const std::string sql_path = JoinPath(LaneDir(), options.name + ".sql");
  const std::string state_path = JoinPath(LaneDir(), options.name + ".state");
  const std::string from_path = JoinPath(LaneDir(), options.name + ".from");
  if (fs->Exists(sql_path)) {
    std::string old_sql;
    RETURN_IF_ERROR(fs->ReadFile(sql_path, &old_sql));
    if (old_sql != sql_text) {
      return Status::FailedPrecondition("an unfinished replay named " + options.name +
                                        " used other SQL; pick another name");
    }
    RETURN_IF_ERROR(LoadLane(lane.get()));
    result.resumed = true;
  } else {
    if (options.from_offset) {
      lane->from_offset = options.from_offset;
      RETURN_IF_ERROR(lane->executor->StartAt(Uniform(lane->plan, *options.from_offset)));
      RETURN_IF_ERROR(fs->WriteFileAtomic(from_path, std::to_string(*options.from_offset)));
    }
    if (options.from_checkpoint) {
      // The main lane's state in that checkpoint, when it ran the same logic: the replay
      // goes on from its offsets instead of 0.
      ASSIGN_OR_RETURN(LoadedCheckpoint c, FindCheckpoint(*options.from_checkpoint));
      const std::string mine = LogicHash(lane->executor->logic());
      const std::string theirs = c.meta.Find(kMain)->logic_hash;
      if (theirs != mine) {
        return Status::FailedPrecondition(
            "--from-checkpoint: checkpoint " + std::to_string(c.meta.seq) +
            " holds the state of logic " + theirs + ", but " + options.sql_name + " has logic " +
            mine +
            " (a replay starts from a checkpoint only with the same logic; replay from offset 0 "
            "instead)");
      }
      RETURN_IF_ERROR(lane->executor->Load(c.blobs.at(kMain)));
      RETURN_IF_ERROR(save_state(*lane->executor, state_path));
    }
    RETURN_IF_ERROR(fs->WriteFileAtomic(sql_path, sql_text));
  }
  // Replay to the end of the log as it is now, in chunks, throttled, saving as it goes.
  ASSIGN_OR_RETURN(Offsets target, EndOffsets(store_, lane->plan));
  for (auto& [table, offsets] : target) {
    for (uint32_t p = 0; p < offsets.size(); ++p)
      offsets[p] = std::max(offsets[p], lane->executor->next_offset(table, p));
  }
  const uint64_t first = Total(lane->executor->offsets());
  const uint64_t todo = Total(target) - first;
  Micros last_save = MonotonicMicros();
  const uint64_t chunk = options_.batch_run_records;
  while (true) {
    Offsets until = target;
    for (auto& [table, offsets] : until) {
      for (uint32_t p = 0; p < offsets.size(); ++p) {
        offsets[p] = std::min(offsets[p], lane->executor->next_offset(table, p) + chunk);
      }
    }
    ASSIGN_OR_RETURN(uint64_t n, runtime::CatchUp(store_, lane->executor.get(), lane->plan,
                                                  options_.batch_run_records, &until));
    const uint64_t done = Total(lane->executor->offsets()) - first;
    result.records = done;
    if (options.progress) options.progress(done, todo);
    if (n == 0) break;
    if (options.rate > 0) {  // throttle: never ahead of `rate` events per second
      double ahead = done / options.rate - (MonotonicMicros() - start) / 1e6;
      if (ahead > 0) std::this_thread::sleep_for(std::chrono::duration<double>(ahead));
    }
    if (MonotonicMicros() - last_save > 5'000'000) {
      RETURN_IF_ERROR(save_state(*lane->executor, state_path));
      last_save = MonotonicMicros();
    }
    if (options.stop != nullptr && options.stop->load()) {
      RETURN_IF_ERROR(save_state(*lane->executor, state_path));
      result.seconds = (MonotonicMicros() - start) / 1e6;
      return result;
    }
  }
  // Caught up with the log as it was; join the speed path and publish a version.
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(uint64_t more, runtime::CatchUp(store_, lane->executor.get(), lane->plan,
                                                   options_.batch_run_records));
  result.records += more;
  RETURN_IF_ERROR(save_state(*lane->executor, state_path));
  RETURN_IF_ERROR(fs->WriteFileAtomic(JoinPath(LaneDir(), options.name + ".done"), ""));
  ASSIGN_OR_RETURN(Batch rows, lane->executor->Rows(view));
  // Not live: the replay stands beside the live version until a cutover.
  ASSIGN_OR_RETURN(auto live, versions_->Live(view));
  if (!live) {  // the live path gets its first version first, so rollback has a target
    ASSIGN_OR_RETURN(Batch live_rows, main_->executor->Rows(view));
    RETURN_IF_ERROR(
        PublishLocked(view, *main_, live_rows, "streaming", kMain, true, main_->executor->offsets())
            .status());
  }
  ASSIGN_OR_RETURN(result.version, PublishLocked(view, *lane, rows, "replay", options.name,
                                                 /*live=*/false, lane->executor->offsets()));
  replays_[options.name] = std::move(lane);
  result.finished = true;
  result.seconds = (MonotonicMicros() - start) / 1e6;
  return result;
}

Result<Diff> Engine::Compare(std::string_view view, const Batch& left, std::string left_name,
                             const Batch& right, std::string right_name,
                             std::vector<std::pair<bool, size_t>>* differing) const {
  Diff d;
  d.view = std::string(view);
  d.left_name = std::move(left_name);
  d.right_name = std::move(right_name);
  for (int64_t w : left.weights)
    d.left_rows += static_cast<uint64_t>(w);
  for (int64_t w : right.weights)
    d.right_rows += static_cast<uint64_t>(w);
  d.left_checksum = RowsChecksum(left);
  d.right_checksum = RowsChecksum(right);
  const auto* columns = main_->plan.FindColumns(view);
  std::vector<Type> types;
  for (const Column& c : left.columns)
    types.push_back(c.type());
  bool same_schema = left.columns.size() == right.columns.size();
  for (size_t c = 0; same_schema && c < left.columns.size(); ++c)
    same_schema = left.columns[c].type() == right.columns[c].type();
  if (!same_schema) {
    d.removed = d.left_rows;
    d.added = d.right_rows;
    d.examples.push_back("the two sides have different columns: every row differs");
    return d;
  }
  std::vector<int> keys = KeyColumns(main_->plan, view);
  std::vector<int> all;
  for (size_t c = 0; c < types.size(); ++c)
    all.push_back(static_cast<int>(c));
  if (keys.empty()) keys = all;
  // key text → (row text → count) per side, and a representative row index.
  struct Side {
    std::map<std::string, std::map<std::string, int64_t>> rows;
    std::map<std::string, size_t> index;
  };
  auto collect = [&](const Batch& b, Side* side) {
    for (size_t r = 0; r < b.num_rows(); ++r) {
      std::string key = RowText(b, r, types, keys);
      side->rows[key][RowText(b, r, types, all)] += b.weights[r];
      side->index[key] = r;
    }
  };
  Side l, r;
  collect(left, &l);
  collect(right, &r);
  std::map<int, double> largest;
  auto example = [&](std::string text) {
    if (d.examples.size() < 10) d.examples.push_back(std::move(text));
  };
  auto differs = [&](const std::string& key) {
    if (differing == nullptr) return;
    if (auto i = l.index.find(key); i != l.index.end()) differing->push_back({true, i->second});
    if (auto i = r.index.find(key); i != r.index.end()) differing->push_back({false, i->second});
  };
  for (const auto& [key, rows] : l.rows) {
    auto it = r.rows.find(key);
    if (it != r.rows.end() && it->second == rows) continue;
    differs(key);
    if (it == r.rows.end()) {
      for (const auto& [row, n] : rows)
        d.removed += n;
      example("removed: " + rows.begin()->first);
      continue;
    }
    if (rows.size() == 1 && it->second.size() == 1 && keys != all) {
      ++d.changed;
      example("changed: " + rows.begin()->first + "  ->  " + it->second.begin()->first);
      size_t li = l.index[key], ri = r.index[key];
      for (size_t c = 0; c < types.size(); ++c) {
        if (std::find(keys.begin(), keys.end(), static_cast<int>(c)) != keys.end()) continue;
        if (!IsNumeric(types[c])) continue;
        Value a = left.columns[c].GetValue(li), b = right.columns[c].GetValue(ri);
        if (a.is_null() || b.is_null()) continue;
        double x = NumericOf(a, types[c]), y = NumericOf(b, types[c]);
        double rel = x == y ? 0 : std::fabs(y - x) / std::max(std::fabs(x), 1e-300);
        largest[static_cast<int>(c)] = std::max(largest[static_cast<int>(c)], rel);
      }
      continue;
    }
    // Several rows per key (or no key): count the multiset difference.
    std::map<std::string, int64_t> delta = it->second;
    for (const auto& [row, n] : rows)
      delta[row] -= n;
    for (const auto& [row, n] : delta) {
      if (n > 0) d.added += n;
      if (n < 0) d.removed += -n;
      if (n != 0) example((n > 0 ? "added: " : "removed: ") + row);
    }
  }
  for (const auto& [key, rows] : r.rows) {
    if (l.rows.count(key)) continue;
    differs(key);
    for (const auto& [row, n] : rows)
      d.added += n;
    example("added: " + rows.begin()->first);
  }
  for (const auto& [c, rel] : largest) {
    std::string name = columns && c < static_cast<int>(columns->size()) ? (*columns)[c].name
                                                                        : "#" + std::to_string(c);
    d.largest_relative_change.emplace_back(name, rel);
  }
  return d;
}

Result<Diff> Engine::Validate(std::string_view view, std::string_view name) {
  Batch live, candidate;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = replays_.find(name);
    if (it == replays_.end()) {
      return Status::NotFound("no finished replay named " + std::string(name) +
                              " (run `strata replay " + std::string(view) + " --as " +
                              std::string(name) + "`)");
    }
    if (FindGold(main_->plan, view) == nullptr) {
      return Status::NotFound("the pipeline has no gold view " + std::string(view));
    }
    ASSIGN_OR_RETURN(live, LiveRowsLocked(view));
    ASSIGN_OR_RETURN(candidate, it->second->executor->Rows(view));
  }
  return Compare(view, live, "live", candidate, std::string(name));
}

Result<VersionInfo> Engine::Cutover(std::string_view view, std::string_view name) {
  RETURN_IF_ERROR(RequireWritable());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replays_.find(name);
  if (it == replays_.end()) {
    return Status::NotFound("no finished replay named " + std::string(name));
  }
  const sql::GoldView* g = FindGold(main_->plan, view);
  if (g == nullptr || g->serving != sql::Serving::kKappa) {
    return Status::InvalidArgument(std::string(view) + " is not a Kappa view of the pipeline");
  }
  RETURN_IF_ERROR(RefuseChainMember(main_->plan, view, "cut over"));
  const Lane& lane = *it->second;
  const std::vector<std::string> readers = ReadersOf(main_->plan, view);
  for (const std::string& reader : readers) {
    if (FindGold(lane.plan, reader) == nullptr) {
      return Status::FailedPrecondition("the replay " + lane.name + " has no " + reader +
                                        ", which reads " + std::string(view) +
                                        " and moves with it: replay with SQL that defines it");
    }
  }
  // The readers' versions first (they are served with `view`, so they switch when it does),
  // then the view's own switch.
  for (const std::string& reader : readers)
    RETURN_IF_ERROR(SwitchToLaneLocked(reader, lane).status());
  return SwitchToLaneLocked(view, lane);
}

// Three durable steps, each a point a crash may stop at: (1) the lane's rows as a version
// (unless its newest version is current), (2) the live marker moves to it, (3) this engine
// serves the lane. A restart after (1) serves the old lane (the new version stands beside
// it, as after a replay); after (2) the new one (serving_ follows the marker).
Result<VersionInfo> Engine::SwitchToLaneLocked(std::string_view view, const Lane& lane) {
  std::optional<VersionInfo> v;
  auto newest = versions_->GetByName(view, lane.name);
  if (newest.ok() && newest->boundary == lane.executor->offsets()) {
    v = *newest;  // the lane has not moved since: that version becomes live as it is
  } else {
    ASSIGN_OR_RETURN(Batch rows, lane.executor->Rows(view));
    ASSIGN_OR_RETURN(v, PublishLocked(view, lane, rows, "replay", lane.name, /*live=*/false,
                                      lane.executor->offsets()));
  }
  RETURN_IF_ERROR(AbortPoint("cutover.before_live"));
  RETURN_IF_ERROR(versions_->SetLive(view, v->version));  // no edit when it is live already
  RETURN_IF_ERROR(AbortPoint("cutover.before_serving"));
  published_at_[std::string(view)] = lane.executor->offsets();
  serving_[std::string(view)] = lane.name;
  return *v;
}

Result<VersionInfo> Engine::Rollback(std::string_view view) {
  RETURN_IF_ERROR(RequireWritable());
  std::lock_guard<std::mutex> lock(mu_);
  if (FindGold(main_->plan, view) == nullptr) {
    return Status::NotFound("the pipeline has no gold view " + std::string(view));
  }
  RETURN_IF_ERROR(RefuseChainMember(main_->plan, view, "roll back"));
  RETURN_IF_ERROR(versions_->Rollback(view).status());
  published_at_.erase(std::string(view));
  RETURN_IF_ERROR(RefreshServingLocked(view));
  // The readers moved with it: their live versions go back too (a reader without an earlier
  // live version keeps its one).
  for (const std::string& reader : ReadersOf(main_->plan, view)) {
    auto back = versions_->Rollback(reader);
    if (!back.ok() && back.status().code() != StatusCode::kFailedPrecondition) {
      return back.status();
    }
    published_at_.erase(reader);
    RETURN_IF_ERROR(RefreshServingLocked(reader));
  }
  ASSIGN_OR_RETURN(auto serving, LiveVersionLocked(view));
  return versions_->Get(view, *serving);
}

Result<Diff> Engine::Drift(std::string_view view) {
  Batch live;
  sql::Pipeline plan;
  Offsets covered;
  std::optional<uint64_t> from;
  bool windowed = false;
  std::optional<Offsets> lambda_boundary;  // T of the published batch(T)
  {
    std::lock_guard<std::mutex> lock(mu_);
    const sql::GoldView* g = FindGold(main_->plan, view);
    const Lane* lane = main_.get();
    if (g != nullptr && g->serving == sql::Serving::kKappa) {
      ASSIGN_OR_RETURN(lane, ServingLaneLocked(view));
    }
    if (lane->plan.FindColumns(view) == nullptr) {
      return Status::NotFound("the pipeline has no table or view " + std::string(view));
    }
    ASSIGN_OR_RETURN(live, LiveRowsLocked(view));
    plan = lane->plan;
    from = lane->from_offset;
    covered = lane->executor->offsets();
    windowed = g != nullptr && g->window.has_value();
    if (g != nullptr && g->serving == sql::Serving::kLambda) {
      lambda_boundary = batch_->offsets();
      for (auto& [table, offsets] : covered) {
        const auto& t = batch_->offsets().at(table);
        for (size_t p = 0; p < offsets.size(); ++p)
          offsets[p] = std::max(offsets[p], t[p]);
      }
    }
  }
  auto recompute = [&](bool speed) -> Result<std::unique_ptr<PipelineExecutor>> {
    ASSIGN_OR_RETURN(auto fresh, PipelineExecutor::Make(plan));
    if (from) RETURN_IF_ERROR(fresh->StartAt(Uniform(plan, *from)));
    fresh->set_include_late(true);
    if (speed && lambda_boundary) {
      // The speed path of a Lambda view: batch(T), authoritative, then the epochs after T.
      RETURN_IF_ERROR(
          runtime::CatchUp(store_, fresh.get(), plan, options_.batch_run_records, &*lambda_boundary)
              .status());
    }
    if (speed) fresh->set_include_late(false);
    RETURN_IF_ERROR(
        runtime::CatchUp(store_, fresh.get(), plan, options_.batch_run_records, &covered).status());
    return fresh;
  };
  ASSIGN_OR_RETURN(auto fresh, recompute(false));
  ASSIGN_OR_RETURN(Batch recomputed, fresh->Rows(view));
  std::vector<std::pair<bool, size_t>> differing;
  ASSIGN_OR_RETURN(Diff d, Compare(view, live, "live", recomputed, "recompute", &differing));
  d.boundary = covered;
  if (windowed) {
    ASSIGN_OR_RETURN(auto speed, recompute(true));
    ASSIGN_OR_RETURN(Batch expected, speed->Rows(view));
    ASSIGN_OR_RETURN(Diff u, Compare(view, live, "live", expected, "speed recompute"));
    d.unexplained = u.added + u.removed + u.changed;
    d.late_records = speed->late_counters(view)->late;
    const sql::GoldView& g = *plan.FindGold(view);
    ASSIGN_OR_RETURN(Batch late, speed->Rows(g.late_table));
    Attribute(g, late, live, recomputed, differing, &d);
  }
  return d;
}

namespace {

// The output columns holding window_start and window_end, if the view selects both.
std::optional<std::pair<size_t, size_t>> WindowOutputs(const sql::GoldView& g) {
  std::optional<size_t> start, end;
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const sql::BoundExpr& e = g.outputs[i].expr;
    if (e.kind != sql::BoundKind::kColumn || e.column >= static_cast<int>(g.group_keys.size())) {
      continue;
    }
    const sql::BoundExpr& key = g.group_keys[e.column];
    if (key.kind != sql::BoundKind::kColumn) continue;
    if (key.column == g.window->start_column) start = i;
    if (key.column == g.window->end_column) end = i;
  }
  if (!start || !end) return std::nullopt;
  return std::make_pair(*start, *end);
}

}  // namespace

void Engine::Attribute(const sql::GoldView& g, const Batch& late, const Batch& live,
                       const Batch& recomputed,
                       const std::vector<std::pair<bool, size_t>>& differing, Diff* d) {
  auto columns = WindowOutputs(g);
  if (!columns) return;
  // Late table columns: ... partition 2, offset 3, event_time 4, ..., window_start 6, end 7.
  const bool session = g.window->kind == sql::WindowKind::kSession;
  for (const auto& [is_left, row] : differing) {
    const Batch& b = is_left ? live : recomputed;
    const Column& starts = b.columns[columns->first];
    const Column& ends = b.columns[columns->second];
    if (starts.is_null(row) || ends.is_null(row)) continue;  // rows without an event time
    const Micros ws = starts.int64s()[row], we = ends.int64s()[row];
    uint64_t n = 0;
    std::string first;
    for (size_t r = 0; r < late.num_rows(); ++r) {
      bool match = session ? late.columns[4].int64s()[r] >= ws - g.window->gap &&
                                 late.columns[4].int64s()[r] < we + g.window->gap
                           : !late.columns[6].is_null(r) && late.columns[6].int64s()[r] == ws &&
                                 late.columns[7].int64s()[r] == we;
      if (!match) continue;
      if (n++ == 0) {
        first = "partition " + std::to_string(late.columns[2].int64s()[r]) + " offset " +
                std::to_string(late.columns[3].int64s()[r]);
      }
    }
    if (n == 0) ++d->unattributed;
    if (d->attribution.size() < 10) {
      d->attribution.push_back(std::string(is_left ? "live" : "recompute") + " window [" +
                               FormatSqlTimestamp(ws) + ", " + FormatSqlTimestamp(we) + "): " +
                               (n == 0 ? "no late record"
                                       : std::to_string(n) + " late record" + (n > 1 ? "s" : "") +
                                             " (" + first + (n > 1 ? ", ..." : "") + ")"));
    }
  }
}

Result<std::vector<VersionInfo>> Engine::PublishStreaming() {
  RETURN_IF_ERROR(RequireWritable());
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<VersionInfo> out;
  for (const auto& g : main_->plan.gold) {
    if (g.serving != sql::Serving::kKappa) continue;
    ASSIGN_OR_RETURN(const Lane* lane, ServingLaneLocked(g.name));
    const Offsets& at = lane->executor->offsets();
    auto it = published_at_.find(g.name);
    if (it == published_at_.end()) {
      // Not published since the engine opened: the lane's newest stored version says where
      // it was last published (published_at_ lives in memory only).
      auto newest = versions_->GetByName(g.name, lane->name);
      if (newest.ok()) it = published_at_.emplace(g.name, newest->boundary).first;
    }
    if (it != published_at_.end() && it->second == at) continue;
    ASSIGN_OR_RETURN(Batch rows, lane->executor->Rows(g.name));
    ASSIGN_OR_RETURN(VersionInfo v, PublishLocked(g.name, *lane, rows, "streaming", lane->name,
                                                  /*live=*/false, at));
    published_at_[g.name] = at;
    out.push_back(std::move(v));
  }
  return out;
}

std::string Engine::StatusJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto lane_json = [&](const Lane& lane) {
    uint64_t lag = 0;
    auto end = EndOffsets(store_, lane.plan);
    if (end.ok()) lag = Total(*end) - Total(lane.executor->offsets());
    return JsonObject()
        .Add("name", lane.name)
        .AddRaw("offsets", BoundaryJson(lane.executor->offsets()))
        .Add("consumed", Total(lane.executor->offsets()))
        .Add("lag", lag)
        .Finish();
  };
  std::string lanes = "[" + lane_json(*main_);
  for (const auto& [name, lane] : replays_)
    lanes += "," + lane_json(*lane);
  lanes += "]";
  std::string silver = "[";
  for (size_t i = 0; i < main_->plan.silver.size(); ++i) {
    const auto& s = main_->plan.silver[i];
    const runtime::SilverCounters* c = main_->executor->counters(s.name);
    silver += (i ? "," : "") + JsonObject()
                                   .Add("name", s.name)
                                   .Add("records", c->records)
                                   .Add("filtered", c->filtered)
                                   .Add("quarantined", c->quarantined)
                                   .Add("dropped", c->dropped)
                                   .Finish();
  }
  silver += "]";
  const std::vector<runtime::WatermarkInfo> watermark_info =
      main_->executor->Watermarks(NowMicros());
  std::string gold = "[";
  for (size_t i = 0; i < main_->plan.gold.size(); ++i) {
    const auto& g = main_->plan.gold[i];
    JsonObject o;
    o.Add("name", g.name).Add("serving", sql::ServingName(g.serving));
    auto rows = LiveRowsLocked(g.name);
    if (rows.ok()) o.Add("rows", static_cast<uint64_t>(rows->num_rows()));
    auto all = versions_->List(g.name);
    if (all.ok() && !all->empty()) {
      o.Add("last_version", all->back().version)
          .Add("last_publish", FormatTimestamp(all->back().created));
    }
    if (g.serving == sql::Serving::kKappa) {
      auto lane = ServingLaneLocked(g.name);
      if (lane.ok()) o.Add("lane", (*lane)->name);
    }
    if (const runtime::LateCounters* late = main_->executor->late_counters(g.name)) {
      char pct[32];
      std::snprintf(pct, sizeof(pct), "%.3f",
                    late->rows ? 100.0 * static_cast<double>(late->late) / late->rows : 0.0);
      o.Add("window", g.window->sql)
          .Add("allowed_lateness_ms", static_cast<uint64_t>(g.allowed_lateness / 1000))
          .Add("late_records", late->late)
          .AddRaw("late_pct", pct)
          .Add("late_table", g.late_table);
      // Windows ending at or before the table's watermark minus the lateness are final.
      const std::vector<std::string> sources = main_->plan.BronzeSources(g.name);
      for (const runtime::WatermarkInfo& w : watermark_info) {
        if (std::find(sources.begin(), sources.end(), w.table) != sources.end() && w.watermark) {
          o.Add("final_before", FormatTimestamp(*w.watermark - g.allowed_lateness));
        }
      }
    }
    gold += (i ? "," : "") + o.Finish();
  }
  gold += "]";
  std::string watermarks = "[";
  for (const runtime::WatermarkInfo& w : watermark_info) {
    std::string partitions = "[";
    for (size_t p = 0; p < w.partitions.size(); ++p) {
      JsonObject part;
      part.Add("partition", static_cast<uint64_t>(p)).Add("idle", static_cast<bool>(w.idle[p]));
      if (w.partitions[p]) part.Add("watermark", FormatTimestamp(*w.partitions[p]));
      partitions += (p ? "," : "") + part.Finish();
    }
    JsonObject o;
    o.Add("table", w.table);
    if (w.watermark) o.Add("watermark", FormatTimestamp(*w.watermark));
    o.AddRaw("partitions", partitions + "]");
    watermarks += (watermarks.size() > 1 ? "," : "") + o.Finish();
  }
  watermarks += "]";
  JsonObject out;
  out.AddRaw("lanes", lanes).AddRaw("silver", silver).AddRaw("gold", gold);
  out.AddRaw("watermarks", watermarks);
  out.AddRaw("last_batch_boundary", BoundaryJson(batch_->offsets()));
  if (last_batch_) out.Add("last_batch_at", FormatTimestamp(*last_batch_));
  {
    std::lock_guard<std::mutex> info_lock(info_mu_);
    JsonObject c;
    if (last_checkpoint_) {
      c.Add("last_seq", last_checkpoint_->seq)
          .Add("last_at", FormatTimestamp(last_checkpoint_->created))
          .Add("last_bytes", last_checkpoint_->bytes)
          .Add("last_seconds", last_checkpoint_->seconds)
          .Add("last_hold_ms", last_checkpoint_->hold_seconds * 1e3);
    }
    c.Add("kept", static_cast<uint64_t>(kept_count_));
    std::string warnings = "[";
    for (size_t i = 0; i < warnings_.size(); ++i) {
      warnings += i ? "," : "";
      AppendJsonString(&warnings, warnings_[i]);
    }
    out.AddRaw("checkpoint", c.Finish()).AddRaw("warnings", warnings + "]");
  }
  return out.Finish();
}

}  // namespace strata::serve
