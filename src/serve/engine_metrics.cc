// serve::Engine's facts as Prometheus metrics (GET /metrics), read under the engine's lock
// like StatusJson:
//
//   strata_bronze_end_offset{table,partition}            gauge: records appended (its rate is
//                                                        the ingest rate)
//   strata_lane_offset{lane,table,partition}             gauge: records consumed by the lane
//   strata_lane_lag_records{lane,table,partition}        gauge: appended but not consumed
//   strata_silver_{records,filtered,quarantined,dropped}_total{table}   counters
//   strata_join_state_bytes{node}, strata_join_rows{node} gauges (a node fed by a join)
//   strata_gold_rows{view,serving}                       gauge: rows served
//   strata_gold_last_version{view}                       gauge
//   strata_gold_last_publish_timestamp_seconds{view}     gauge
//   strata_product_freshness_objective_seconds{view,owner}  gauge (the view's `freshness`)
//   strata_product_freshness_lag_seconds{view}           gauge (engine_products.cc)
//   strata_late_records_total{view}                      counter (windowed views)
//   strata_watermark_timestamp_seconds{table}            gauge (bronze tables with event time)
//   strata_checkpoint_last_{duration_seconds,bytes,timestamp_seconds}, strata_checkpoints_kept
//   strata_batch_last_timestamp_seconds                  gauge (Lambda batch runs)
#include "exec/join.h"
#include "serve/engine.h"
#include "serve/engine_lane.h"

namespace strata::serve {
namespace {

double Seconds(Micros t) {
  return static_cast<double>(t) / 1e6;
}

void OffsetSamples(PrometheusText* out, std::string_view name, const MetricLabels& labels,
                   const runtime::Offsets& offsets) {
  for (const auto& [table, partitions] : offsets) {
    for (size_t p = 0; p < partitions.size(); ++p) {
      MetricLabels with = labels;
      with.emplace_back("table", table);
      with.emplace_back("partition", std::to_string(p));
      out->Sample(name, with, partitions[p]);
    }
  }
}

}  // namespace

void Engine::AppendMetrics(PrometheusText* out) const {
  const std::vector<ProductLive> products = ProductsLive();
  out->Family("strata_product_freshness_lag_seconds", "gauge",
              "How long the oldest record a gold view's answer does not reflect has waited");
  for (size_t i = 0; i < plan().gold.size(); ++i) {
    out->Sample("strata_product_freshness_lag_seconds", {{"view", plan().gold[i].name}},
                products[i].lag_s);
  }
  std::map<std::string, VersionInfo, std::less<>> last_versions;
  for (const sql::GoldView& g : plan().gold) {
    auto all = versions_->List(g.name);
    if (all.ok() && !all->empty()) last_versions[g.name] = all->back();
  }
  absl::MutexLock lock(&mu_);
  const sql::Pipeline& plan = main_->plan;
  auto end = EndOffsets(store_, plan);
  if (end.ok()) {
    out->Family("strata_bronze_end_offset", "gauge",
                "Records appended to each bronze partition (its rate is the ingest rate)");
    OffsetSamples(out, "strata_bronze_end_offset", {}, *end);
  }
  std::vector<std::pair<std::string, const Lane*>> lanes = {{main_->name, main_.get()}};
  for (const auto& [name, lane] : replays_)
    lanes.emplace_back(name, lane.get());
  out->Family("strata_lane_offset", "gauge", "Records of each bronze partition a lane consumed");
  for (const auto& [name, lane] : lanes)
    OffsetSamples(out, "strata_lane_offset", {{"lane", name}}, lane->executor->offsets());
  if (end.ok()) {
    out->Family("strata_lane_lag_records", "gauge",
                "Records of each bronze partition appended but not consumed by a lane");
    for (const auto& [name, lane] : lanes) {
      runtime::Offsets lag = lane->executor->offsets();
      for (auto& [table, partitions] : lag) {
        auto e = end->find(table);
        for (size_t p = 0; p < partitions.size(); ++p) {
          const uint64_t last = e != end->end() && p < e->second.size() ? e->second[p] : 0;
          partitions[p] = last > partitions[p] ? last - partitions[p] : 0;
        }
      }
      OffsetSamples(out, "strata_lane_lag_records", {{"lane", name}}, lag);
    }
  }

  const runtime::PipelineExecutor& executor = *main_->executor;
  struct Counter {
    const char* name;
    const char* help;
    uint64_t runtime::SilverCounters::*field;
  };
  for (const Counter& c : {
           Counter{"strata_silver_records_total", "Records a silver table read",
                   &runtime::SilverCounters::records},
           Counter{"strata_silver_filtered_total", "Records its WHERE left out",
                   &runtime::SilverCounters::filtered},
           Counter{"strata_silver_quarantined_total", "Records quarantined",
                   &runtime::SilverCounters::quarantined},
           Counter{"strata_silver_dropped_total", "Records dropped by a constraint",
                   &runtime::SilverCounters::dropped},
       }) {
    out->Family(c.name, "counter", c.help);
    for (const sql::SilverTable& s : plan.silver)
      out->Sample(c.name, {{"table", s.name}}, executor.counters(s.name)->*c.field);
  }

  std::vector<std::pair<std::string, exec::JoinStats>> joins;
  for (const sql::SilverTable& s : plan.silver) {
    if (auto j = executor.join_stats(s.name)) joins.emplace_back(s.name, *j);
  }
  for (const sql::GoldView& g : plan.gold) {
    if (auto j = ServingLaneOfLocked(g)->executor->join_stats(g.name))
      joins.emplace_back(g.name, *j);
  }
  if (!joins.empty()) {
    out->Family("strata_join_state_bytes", "gauge", "Bytes of a join's state");
    for (const auto& [node, stats] : joins)
      out->Sample("strata_join_state_bytes", {{"node", node}}, stats.bytes);
    out->Family("strata_join_rows", "gauge", "Rows kept by a join, both sides");
    for (const auto& [node, stats] : joins)
      out->Sample("strata_join_rows", {{"node", node}}, stats.rows);
  }

  out->Family("strata_gold_rows", "gauge", "Rows a gold view serves");
  for (size_t i = 0; i < plan.gold.size(); ++i) {
    const sql::GoldView& g = plan.gold[i];
    if (products[i].rows) {
      out->Sample("strata_gold_rows", {{"view", g.name}, {"serving", sql::ServingName(g.serving)}},
                  *products[i].rows);
    }
  }
  out->Family("strata_gold_last_version", "gauge", "A gold view's newest stored version");
  for (const auto& [view, v] : last_versions)
    out->Sample("strata_gold_last_version", {{"view", view}}, v.version);
  out->Family("strata_gold_last_publish_timestamp_seconds", "gauge",
              "When a gold view's newest version was published (Unix time)");
  for (const auto& [view, v] : last_versions)
    out->Sample("strata_gold_last_publish_timestamp_seconds", {{"view", view}}, Seconds(v.created));
  out->Family("strata_product_freshness_objective_seconds", "gauge",
              "A gold view's declared freshness objective");
  for (const sql::GoldView& g : plan.gold) {
    if (g.freshness > 0) {
      out->Sample("strata_product_freshness_objective_seconds",
                  {{"view", g.name}, {"owner", g.owner}}, Seconds(g.freshness));
    }
  }
  bool windowed = false;
  for (const sql::GoldView& g : plan.gold) {
    const runtime::LateCounters* late = executor.late_counters(g.name);
    if (late == nullptr) continue;
    if (!windowed) {
      out->Family("strata_late_records_total", "counter",
                  "Records of a windowed view that arrived after their window was final");
      windowed = true;
    }
    out->Sample("strata_late_records_total", {{"view", g.name}}, late->late);
  }
  const std::vector<runtime::WatermarkInfo> watermarks = executor.Watermarks(NowMicros());
  if (!watermarks.empty()) {
    out->Family("strata_watermark_timestamp_seconds", "gauge",
                "A bronze table's event-time watermark (Unix time)");
    for (const runtime::WatermarkInfo& w : watermarks) {
      if (w.watermark) {
        out->Sample("strata_watermark_timestamp_seconds", {{"table", w.table}},
                    Seconds(*w.watermark));
      }
    }
  }
  if (last_batch_) {
    out->Family("strata_batch_last_timestamp_seconds", "gauge",
                "When the last Lambda batch run published (Unix time)");
    out->Sample("strata_batch_last_timestamp_seconds", {}, Seconds(*last_batch_));
  }
  absl::MutexLock info_lock(&info_mu_);
  if (last_checkpoint_) {
    out->Family("strata_checkpoint_last_duration_seconds", "gauge",
                "The last checkpoint, from its cut to durable");
    out->Sample("strata_checkpoint_last_duration_seconds", {}, last_checkpoint_->seconds);
    out->Family("strata_checkpoint_last_bytes", "gauge", "The last checkpoint's size");
    out->Sample("strata_checkpoint_last_bytes", {}, last_checkpoint_->bytes);
    out->Family("strata_checkpoint_last_timestamp_seconds", "gauge",
                "When the last checkpoint was written (Unix time)");
    out->Sample("strata_checkpoint_last_timestamp_seconds", {}, Seconds(last_checkpoint_->created));
  }
  out->Family("strata_checkpoints_kept", "gauge", "Checkpoints kept on disk");
  out->Sample("strata_checkpoints_kept", {}, static_cast<uint64_t>(kept_count_));
}

}  // namespace strata::serve
