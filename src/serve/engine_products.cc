// serve::Engine's gold views as data products (strata products, GET /v1/products):
//
//   {"products": [{"name", "owner", "description", "serving", "columns": [{name, type,
//     not_null}], "reads": [bronze tables], "upstream": [silver tables and gold views],
//     "consumers": [gold views reading it], "live_version": N | null, "rows": N,
//     "last_publish": ISO 8601 | null, "freshness": {"objective_s": S | null, "lag_s": S,
//     "met": true | false | null}}, ...]}
//
// Freshness: how long the oldest record the served answer does not reflect yet has waited
// since it was appended (0 when the serving lane has consumed everything appended to the
// bronze tables the view reads); "met" compares it with the view's objective.
#include <algorithm>

#include "common/json_writer.h"
#include "log/reader.h"
#include "serve/engine.h"
#include "serve/engine_lane.h"
#include "sql/graph.h"

namespace strata::serve {
namespace {

// Since when the oldest record of `tables` past `consumed` has waited (its append time);
// none when nothing waits.
std::optional<Micros> OldestWaiting(log::Store* store, const std::vector<std::string>& tables,
                                    const runtime::Offsets& consumed) {
  std::optional<Micros> oldest;
  for (const std::string& name : tables) {
    auto table = store->GetTable(name);
    auto done = consumed.find(name);
    if (!table.ok() || done == consumed.end()) continue;
    for (uint32_t p = 0; p < (*table)->partition_count() && p < done->second.size(); ++p) {
      const log::Partition& partition = (*table)->partition(p);
      if (done->second[p] >= partition.end_offset()) continue;
      log::PartitionReader reader(partition, done->second[p]);
      log::RecordView record;
      auto found = reader.Next(&record);
      if (found.ok() && *found) {
        oldest = oldest ? std::min(*oldest, record.ingest_time) : record.ingest_time;
      }
    }
  }
  return oldest;
}

}  // namespace

std::vector<Engine::ProductLive> Engine::ProductsLive() const {
  const sql::Pipeline& plan = this->plan();
  std::vector<runtime::Offsets> consumed(plan.gold.size());
  std::vector<ProductLive> live(plan.gold.size());
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < plan.gold.size(); ++i) {
      const sql::GoldView& g = main_->plan.gold[i];
      const Lane* lane = ServingLaneOfLocked(g);
      consumed[i] = lane->executor->offsets();
      auto rows = lane->executor->ViewRowCount(g.name, g.serving == sql::Serving::kLambda);
      if (rows.ok()) live[i].rows = *rows;
    }
  }
  // The log is read outside the lock: one record per lagging partition.
  const Micros now = NowMicros();
  for (size_t i = 0; i < plan.gold.size(); ++i) {
    const std::optional<Micros> waiting =
        OldestWaiting(store_, plan.BronzeSources(plan.gold[i].name), consumed[i]);
    if (waiting) live[i].lag_s = static_cast<double>(std::max<Micros>(0, now - *waiting)) / 1e6;
  }
  return live;
}

std::string Engine::ProductsJson() const {
  const sql::Pipeline& plan = this->plan();
  const std::vector<ProductLive> live = ProductsLive();
  std::string out = "{\"products\": [";
  for (size_t i = 0; i < plan.gold.size(); ++i) {
    const sql::GoldView& g = plan.gold[i];
    std::vector<std::string> upstream, consumers;
    for (const std::string& node : plan.Upstream(g.name)) {
      if (node != g.name && !node.starts_with("bronze.")) upstream.push_back(node);
    }
    for (const sql::GoldView& reader : plan.gold) {
      if (reader.source == g.name || (reader.join && reader.join->right == g.name)) {
        consumers.push_back(reader.name);
      }
    }
    const std::vector<std::string> reads = plan.BronzeSources(g.name);
    JsonObject o;
    o.Add("name", g.name)
        .Add("owner", g.owner)
        .Add("description", g.description)
        .Add("serving", sql::ServingName(g.serving))
        .AddRaw("columns", sql::SchemaJson(g.columns))
        .AddRaw("reads", JsonStrings(reads))
        .AddRaw("upstream", JsonStrings(upstream))
        .AddRaw("consumers", JsonStrings(consumers));
    auto live_version = LiveVersion(g.name);
    if (live_version.ok() && *live_version) {
      o.Add("live_version", **live_version);
    } else {
      o.AddRaw("live_version", "null");
    }
    if (live[i].rows) o.Add("rows", *live[i].rows);
    auto versions = versions_->List(g.name);
    if (versions.ok() && !versions->empty()) {
      o.Add("last_publish", FormatTimestamp(versions->back().created));
    } else {
      o.AddRaw("last_publish", "null");
    }
    const double lag = live[i].lag_s;
    JsonObject freshness;
    if (g.freshness > 0) {
      freshness.Add("objective_s", static_cast<double>(g.freshness) / 1e6)
          .Add("lag_s", lag)
          .Add("met", lag <= static_cast<double>(g.freshness) / 1e6);
    } else {
      freshness.AddRaw("objective_s", "null").Add("lag_s", lag).AddRaw("met", "null");
    }
    o.AddRaw("freshness", freshness.Finish());
    out += (i ? ", " : "") + o.Finish();
  }
  return out + "]}";
}

}  // namespace strata::serve
