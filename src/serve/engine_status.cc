// serve::Engine's descriptions of itself: the views it serves and its status.
#include "serve/engine.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "common/datetime.h"
#include "common/json_writer.h"
#include "exec/join.h"
#include "serve/engine_lane.h"

namespace strata::serve {

using runtime::Offsets;

std::string Engine::ViewsJson() const {
  absl::MutexLock lock(&mu_);
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

namespace {

std::string LaneStatusJson(log::Store* store, const std::string& name, const sql::Pipeline& plan,
                           const runtime::PipelineExecutor& executor) {
  uint64_t lag = 0;
  auto end = EndOffsets(store, plan);
  if (end.ok()) lag = Total(*end) - Total(executor.offsets());
  return JsonObject()
      .Add("name", name)
      .AddRaw("offsets", BoundaryJson(executor.offsets()))
      .Add("consumed", Total(executor.offsets()))
      .Add("lag", lag)
      .Finish();
}

// A join's type and the size of its state.
std::string JoinStatusJson(const sql::JoinSpec& spec, const exec::JoinStats& stats) {
  return JsonObject()
      .Add("type", sql::JoinTypeName(spec.type))
      .Add("keys", stats.keys)
      .Add("rows", stats.rows)
      .Add("state_bytes", stats.bytes)
      .Finish();
}

std::string SilverStatusJson(const sql::Pipeline& plan, const runtime::PipelineExecutor& executor) {
  std::string silver = "[";
  for (size_t i = 0; i < plan.silver.size(); ++i) {
    const auto& s = plan.silver[i];
    const runtime::SilverCounters* c = executor.counters(s.name);
    JsonObject o;
    o.Add("name", s.name)
        .Add("records", c->records)
        .Add("filtered", c->filtered)
        .Add("quarantined", c->quarantined)
        .Add("dropped", c->dropped);
    if (std::optional<exec::JoinStats> join = executor.join_stats(s.name)) {
      o.AddRaw("join", JoinStatusJson(*s.inputs[0].join, *join));
    }
    silver += (i ? "," : "") + o.Finish();
  }
  return silver + "]";
}

std::string WatermarksJson(const std::vector<runtime::WatermarkInfo>& watermark_info) {
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
  return watermarks + "]";
}

// A windowed view's late records and the point before which its windows are final.
void AddLateStatus(const sql::Pipeline& plan, const sql::GoldView& g,
                   const runtime::LateCounters& late,
                   const std::vector<runtime::WatermarkInfo>& watermark_info, JsonObject* o) {
  char pct[32];
  std::snprintf(pct, sizeof(pct), "%.3f",
                late.rows ? 100.0 * static_cast<double>(late.late) / late.rows : 0.0);
  o->Add("window", g.window->sql)
      .Add("allowed_lateness_ms", static_cast<uint64_t>(g.allowed_lateness / 1000))
      .Add("late_records", late.late)
      .AddRaw("late_pct", pct)
      .Add("late_table", g.late_table);
  // Windows ending at or before the table's watermark minus the lateness are final.
  const std::vector<std::string> sources = plan.BronzeSources(g.name);
  for (const runtime::WatermarkInfo& w : watermark_info) {
    if (std::find(sources.begin(), sources.end(), w.table) != sources.end() && w.watermark) {
      o->Add("final_before", FormatTimestamp(*w.watermark - g.allowed_lateness));
    }
  }
}

}  // namespace

const Engine::Lane* Engine::ServingLaneOfLocked(const sql::GoldView& g) const {
  if (g.serving != sql::Serving::kKappa) return main_.get();
  auto serving = ServingLaneLocked(g.name);
  return serving.ok() ? *serving : main_.get();
}

std::string Engine::GoldStatusLocked(
    const std::vector<runtime::WatermarkInfo>& watermark_info,
    const std::map<std::string, VersionInfo, std::less<>>& last_versions) const {
  std::string gold = "[";
  for (size_t i = 0; i < main_->plan.gold.size(); ++i) {
    const auto& g = main_->plan.gold[i];
    JsonObject o;
    o.Add("name", g.name).Add("serving", sql::ServingName(g.serving));
    const Lane* lane = ServingLaneOfLocked(g);
    if (g.serving == sql::Serving::kKappa) o.Add("lane", lane->name);
    // Counted, not built: one row per group of the serving state.
    auto rows = lane->executor->ViewRowCount(g.name, g.serving == sql::Serving::kLambda);
    if (rows.ok()) o.Add("rows", *rows);
    if (auto last = last_versions.find(g.name); last != last_versions.end()) {
      o.Add("last_version", last->second.version)
          .Add("last_publish", FormatTimestamp(last->second.created));
    }
    if (const runtime::LateCounters* late = main_->executor->late_counters(g.name)) {
      AddLateStatus(main_->plan, g, *late, watermark_info, &o);
    }
    if (std::optional<exec::JoinStats> join = lane->executor->join_stats(g.name)) {
      o.AddRaw("join", JoinStatusJson(*g.join, *join));
    }
    gold += (i ? "," : "") + o.Finish();
  }
  return gold + "]";
}

std::string Engine::StatusJson() const {
  // Each view's newest version, read from its manifest before taking the lock (a version
  // published meanwhile shows in the next status). The plan is fixed after Open.
  std::map<std::string, VersionInfo, std::less<>> last_versions;
  for (const sql::GoldView& g : plan().gold) {
    auto all = versions_->List(g.name);
    if (all.ok() && !all->empty()) last_versions[g.name] = all->back();
  }
  absl::MutexLock lock(&mu_);
  std::string lanes = "[" + LaneStatusJson(store_, main_->name, main_->plan, *main_->executor);
  for (const auto& [name, lane] : replays_)
    lanes += "," + LaneStatusJson(store_, name, lane->plan, *lane->executor);
  lanes += "]";
  const std::vector<runtime::WatermarkInfo> watermark_info =
      main_->executor->Watermarks(NowMicros());
  JsonObject out;
  out.AddRaw("lanes", lanes)
      .AddRaw("silver", SilverStatusJson(main_->plan, *main_->executor))
      .AddRaw("gold", GoldStatusLocked(watermark_info, last_versions));
  out.AddRaw("watermarks", WatermarksJson(watermark_info));
  out.AddRaw("last_batch_boundary", BoundaryJson(batch_->offsets()));
  if (last_batch_) out.Add("last_batch_at", FormatTimestamp(*last_batch_));
  {
    absl::MutexLock info_lock(&info_mu_);
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
