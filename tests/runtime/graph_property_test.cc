// A pipeline that is a graph, under random schedules: one silver table fed by two bronze
// tables (JSON events and debezium changes with deletes), a second silver stage reading it,
// views reading it and views reading views, three levels deep. Every key's versions carry
// distinct times, so which version wins never depends on log positions, and a naive
// reference written here computes every table from the generated events alone:
//   - silver.s: per key, the version or delete with the greatest ts among the records the
//     input's WHERE keeps and that meet the contract (a version with v = 13 breaks it);
//   - silver.t: the rows of silver.s with v > 0, re-shaped; those with a NULL g are its
//     quarantine (the source rows that break its contract now);
//   - the views: grouped by hand from silver.t and from each other's rows.
// The streaming runtime (random chunks and micro-batches, interleaving the two bronze
// tables, random stops with state saved and loaded), the streaming runtime in one pass and
// the batch runtime must all equal it (the windowed view: the batch runtime equals the
// reference, the streaming schedules equal each other). Under Lambda, at a random boundary
// T and again at the end, every Lambda answer of a view reading a view equals that view
// recomputed by hand from its source's Lambda answer, late records included.
//
// 80 fixed seeds; STRATA_SEED=N runs one, STRATA_SEEDS=K draws K (testing/seeds.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/datetime.h"
#include "log/store.h"
#include "property_model.h"
#include "runtime/runner.h"
#include "runtime_test_util.h"
#include "testing/seeds.h"
#include "testing/temp_dir.h"

namespace strata::runtime {
namespace {

using Rows = std::vector<std::vector<std::string>>;

std::string Pipeline(const std::string& serving) {
  const std::string w = serving.empty() ? "" : " WITH (" + serving + ")";
  return R"sql(
CREATE TABLE bronze.a (k text, g text, v bigint, ts timestamp)
WITH (layer = 'bronze', key = 'k', partitions = 2, watermark = 'ts - 30 seconds');
CREATE TABLE bronze.b (k text, g text, v bigint, ts timestamp)
WITH (layer = 'bronze', format = 'debezium', key = 'k', partitions = 3);

CREATE TABLE silver.s (k text NOT NULL, g text, v bigint CHECK (v <> 13), ts timestamp NOT NULL,
                       src text, PRIMARY KEY (k))
WITH (layer = 'silver', dedupe_order = 'ts');
INSERT INTO silver.s SELECT k, g, v, ts, 'a' FROM bronze.a;
INSERT INTO silver.s SELECT k, g, v, ts, 'b' FROM bronze.b WHERE v IS NULL OR v < 18;

CREATE TABLE silver.t (k text NOT NULL, g text NOT NULL, w bigint, ts timestamp,
                       PRIMARY KEY (k))
WITH (layer = 'silver');
INSERT INTO silver.t SELECT k, upper(g), v * 2, ts FROM silver.s WHERE v > 0;

CREATE MATERIALIZED VIEW gold.by_g)sql" +
         w + R"sql( AS
SELECT g, count(*) AS n, sum(w) AS sw, min(w) AS lo, max(w) AS hi FROM silver.t GROUP BY g;
CREATE MATERIALIZED VIEW gold.by_n)sql" +
         w + R"sql( AS
SELECT n, count(*) AS groups, sum(sw) AS total FROM gold.by_g GROUP BY n;
CREATE MATERIALIZED VIEW gold.top)sql" +
         w + R"sql( AS
SELECT n > 1 AS multi, max(total) AS best, count(*) AS c FROM gold.by_n GROUP BY 1;
CREATE MATERIALIZED VIEW gold.minute)sql" +
         w + R"sql( AS
SELECT window_start, count(*) AS n, sum(w) AS sw FROM silver.t GROUP BY tumble(ts, '1 minute');
CREATE MATERIALIZED VIEW gold.minute_sum)sql" +
         w + R"sql( AS
SELECT n, count(*) AS minutes, sum(sw) AS sw FROM gold.minute GROUP BY n;
)sql";
}

constexpr Micros kBase = 1'767'225'600'000'000;  // 2026-01-01 00:00:00
constexpr Micros kSecond = 1'000'000;

struct Event {
  bool from_b = false;
  bool malformed = false;
  char op = 'c';  // b only: 'c' or 'd'
  std::string k;
  std::optional<std::string> g;
  std::optional<int64_t> v;
  Micros ts = 0;
};

std::string Quoted(const std::optional<std::string>& s) {
  return s ? "\"" + *s + "\"" : "null";
}

std::string Json(const Event& e) {
  if (e.malformed) return "{\"k\":\"" + e.k + "\",\"v\":";
  const std::string row = "{\"k\":\"" + e.k + "\",\"g\":" + Quoted(e.g) +
                          ",\"v\":" + (e.v ? std::to_string(*e.v) : "null") + ",\"ts\":\"" +
                          FormatSqlTimestamp(e.ts) + "\"}";
  if (!e.from_b) return row;
  if (e.op == 'd') return R"({"op":"d","before":)" + row + R"(,"after":null})";
  return R"({"op":"c","before":null,"after":)" + row + "}";
}

// The reference: every table's rows, sorted, as property::SortedRows prints them.
struct Expected {
  std::map<std::string, Rows> tables;
};

std::string Num(int64_t n) {
  return std::to_string(n);
}

Expected Reference(const std::vector<Event>& events) {
  // silver.s: per key the greatest ts among kept versions and deletes.
  std::map<std::string, const Event*> winner;
  for (const Event& e : events) {
    if (e.malformed) continue;
    const bool del = e.from_b && e.op == 'd';
    if (e.from_b && e.v && *e.v >= 18) continue;  // b's WHERE (over a delete's before image)
    if (!del && e.v == 13) continue;              // the CHECK (not on deletes): quarantined
    const Event*& w = winner[e.k];
    if (w == nullptr || e.ts > w->ts) w = &e;
  }
  Expected x;
  Rows s, t, t_quarantine;
  struct TRow {
    std::string g;
    int64_t w;
    Micros ts;
  };
  std::vector<TRow> trows;
  for (const auto& [k, e] : winner) {
    if (e->from_b && e->op == 'd') continue;
    s.push_back({k, e->g.value_or("NULL"), e->v ? Num(*e->v) : "NULL", FormatSqlTimestamp(e->ts),
                 e->from_b ? "b" : "a"});
    if (!e->v || *e->v <= 0) continue;
    if (!e->g) {
      t_quarantine.push_back({"t_g_not_null"});
      continue;
    }
    std::string g = *e->g;
    std::transform(g.begin(), g.end(), g.begin(), ::toupper);
    t.push_back({k, g, Num(*e->v * 2), FormatSqlTimestamp(e->ts)});
    trows.push_back({g, *e->v * 2, e->ts});
  }
  std::sort(s.begin(), s.end());
  std::sort(t.begin(), t.end());
  x.tables["silver.s"] = s;
  x.tables["silver.t"] = t;
  x.tables["silver.t__quarantine"] = t_quarantine;
  // gold.by_g, then the views of views from its rows.
  struct G {
    int64_t n = 0, sw = 0, lo = INT64_MAX, hi = INT64_MIN;
  };
  std::map<std::string, G> by_g;
  std::map<Micros, std::pair<int64_t, int64_t>> minute;
  for (const TRow& r : trows) {
    G& g = by_g[r.g];
    ++g.n;
    g.sw += r.w;
    g.lo = std::min(g.lo, r.w);
    g.hi = std::max(g.hi, r.w);
    auto& m = minute[r.ts - ((r.ts - kBase) % (60 * kSecond))];
    ++m.first;
    m.second += r.w;
  }
  Rows rows;
  std::map<int64_t, std::pair<int64_t, int64_t>> by_n;
  for (const auto& [g, v] : by_g) {
    rows.push_back({g, Num(v.n), Num(v.sw), Num(v.lo), Num(v.hi)});
    auto& n = by_n[v.n];
    ++n.first;
    n.second += v.sw;
  }
  std::sort(rows.begin(), rows.end());
  x.tables["gold.by_g"] = rows;
  rows.clear();
  std::map<bool, std::pair<int64_t, int64_t>> top;  // multi → (best, count)
  for (const auto& [n, v] : by_n) {
    rows.push_back({Num(n), Num(v.first), Num(v.second)});
    auto [it, fresh] = top.emplace(n > 1, std::make_pair(v.second, 0));
    it->second.first = std::max(it->second.first, v.second);
    ++it->second.second;
  }
  std::sort(rows.begin(), rows.end());
  x.tables["gold.by_n"] = rows;
  rows.clear();
  for (const auto& [multi, v] : top)
    rows.push_back({multi ? "t" : "f", Num(v.first), Num(v.second)});
  std::sort(rows.begin(), rows.end());
  x.tables["gold.top"] = rows;
  rows.clear();
  std::map<int64_t, std::pair<int64_t, int64_t>> minute_sum;
  for (const auto& [start, v] : minute) {
    rows.push_back({FormatSqlTimestamp(start), Num(v.first), Num(v.second)});
    auto& m = minute_sum[v.first];
    ++m.first;
    m.second += v.second;
  }
  std::sort(rows.begin(), rows.end());
  x.tables["gold.minute"] = rows;
  rows.clear();
  for (const auto& [n, v] : minute_sum)
    rows.push_back({Num(n), Num(v.first), Num(v.second)});
  std::sort(rows.begin(), rows.end());
  x.tables["gold.minute_sum"] = rows;
  return x;
}

std::vector<Event> RandomEvents(std::mt19937_64& rng) {
  std::vector<Event> events(1 + rng() % 120);
  const int keys = 2 + static_cast<int>(rng() % 25);
  // Distinct times, mostly increasing with the event's place, now and then far behind.
  std::vector<int64_t> seconds(events.size());
  for (size_t i = 0; i < events.size(); ++i)
    seconds[i] = static_cast<int64_t>(i) * 7;
  for (size_t i = 0; i < events.size(); ++i) {
    if (rng() % 6 == 0) std::swap(seconds[i], seconds[rng() % events.size()]);
  }
  for (size_t i = 0; i < events.size(); ++i) {
    Event& e = events[i];
    e.from_b = rng() % 2 == 0;
    e.malformed = rng() % 40 == 0;
    e.op = e.from_b && rng() % 6 == 0 ? 'd' : 'c';
    e.k = "k" + std::to_string(rng() % keys);
    if (rng() % 10 != 0) e.g = std::string(1, static_cast<char>('a' + rng() % 3));
    if (rng() % 12 != 0) e.v = static_cast<int64_t>(rng() % 21) - 1;
    e.ts = kBase + seconds[i] * kSecond;
  }
  return events;
}

// Ingests the events in random chunks, each table's share in the events' order, and
// consumes each chunk in random micro-batches with now and then a stop (state saved,
// executor rebuilt, state loaded). With `lambda_at`, after that many chunks a batch run
// (an authoritative executor over everything so far) is published.
struct Run {
  std::unique_ptr<PipelineExecutor> stream;
  bool published = false;
};

Run StreamRandomly(log::Store* store, const sql::Pipeline& plan, const std::vector<Event>& events,
                   std::mt19937_64& rng, bool lambda) {
  Run run;
  run.stream = std::move(PipelineExecutor::Make(plan)).value();
  log::Table* a = *store->GetTable("bronze.a");
  log::Table* b = *store->GetTable("bronze.b");
  size_t at = 0;
  int chunk = 0;
  const int publish_after = static_cast<int>(rng() % 4);
  while (at < events.size()) {
    const size_t n = 1 + rng() % (events.size() - at);
    std::vector<std::string> to_a, to_b;
    for (size_t i = at; i < at + n; ++i)
      (events[i].from_b ? to_b : to_a).push_back(Json(events[i]));
    Ingest(a, to_a);
    Ingest(b, to_b);
    at += n;
    auto pushed = CatchUp(store, run.stream.get(), plan, 1 + rng() % 9);
    EXPECT_TRUE(pushed.ok()) << pushed.status().ToString();
    if (!pushed.ok()) return {};
    if (lambda && chunk++ == publish_after) {
      // batch(T) at the current end of the log: T registered, the speed path reaches it,
      // then the authoritative executor over [0, T) is published.
      auto batch = std::move(PipelineExecutor::Make(plan)).value();
      batch->set_include_late(true);
      EXPECT_TRUE(CatchUp(store, batch.get(), plan, 65536).ok());
      EXPECT_TRUE(run.stream->AddBoundary(batch->offsets()).ok());
      EXPECT_TRUE(CatchUp(store, run.stream.get(), plan, 1 + rng() % 9).ok());
      Status s = run.stream->PublishBatch(*batch);
      EXPECT_TRUE(s.ok()) << s.ToString();
      run.published = s.ok();
    }
    if (rng() % 3 == 0) {
      std::string state;
      EXPECT_TRUE(run.stream->Save(&state).ok());
      run.stream = std::move(PipelineExecutor::Make(plan)).value();
      Status loaded = run.stream->Load(state);
      EXPECT_TRUE(loaded.ok()) << loaded.ToString();
      if (!loaded.ok()) return {};
      run.published = false;  // the Lambda answers are rebuilt by the next publication
    }
  }
  return run;
}

Rows LambdaRows(const PipelineExecutor& e, const sql::Pipeline& plan, const char* view) {
  auto rows = e.LambdaRows(view);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? property::SortedRows(*rows, *plan.FindColumns(view)) : Rows{};
}

// Lambda: each view reading a view answers its own SQL over its source's Lambda answer.
void CheckLambdaChain(const PipelineExecutor& e, const sql::Pipeline& plan) {
  std::map<std::string, std::pair<int64_t, int64_t>> by_n;  // n → (groups, total)
  for (const auto& row : LambdaRows(e, plan, "gold.by_g")) {
    auto& v = by_n[row[1]];
    ++v.first;
    v.second += std::stoll(row[2]);
  }
  Rows expected;
  for (const auto& [n, v] : by_n)
    expected.push_back({n, Num(v.first), Num(v.second)});
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(LambdaRows(e, plan, "gold.by_n"), expected) << "gold.by_n over gold.by_g";
  std::map<int64_t, std::pair<int64_t, int64_t>> minute_sum;
  for (const auto& row : LambdaRows(e, plan, "gold.minute")) {
    auto& v = minute_sum[std::stoll(row[1])];
    ++v.first;
    v.second += std::stoll(row[2]);
  }
  expected.clear();
  for (const auto& [n, v] : minute_sum)
    expected.push_back({Num(n), Num(v.first), Num(v.second)});
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(LambdaRows(e, plan, "gold.minute_sum"), expected) << "gold.minute_sum over gold.minute";
}

void CheckCase(uint64_t seed, bool lambda) {
  std::mt19937_64 rng(seed);
  const std::vector<Event> events = RandomEvents(rng);
  auto plan = LoadPipeline(Pipeline(lambda ? "serving = 'lambda', batch_every = '1 hour'" : ""),
                           "graph.sql");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ::strata::testing::TempDir dir;
  auto store = std::move(log::Store::Open(dir.path(), log::StoreOptions{})).value();
  ASSERT_TRUE(EnsureBronzeTables(store.get(), *plan).ok());
  Run run = StreamRandomly(store.get(), *plan, events, rng, lambda);
  ASSERT_TRUE(run.stream != nullptr);
  auto one_pass = std::move(PipelineExecutor::Make(*plan)).value();
  ASSERT_TRUE(CatchUp(store.get(), one_pass.get(), *plan, 65536).ok());
  auto batch = std::move(PipelineExecutor::Make(*plan)).value();
  batch->set_include_late(true);
  ASSERT_TRUE(CatchUp(store.get(), batch.get(), *plan, 65536).ok());

  const Expected x = Reference(events);
  using property::Sorted;
  for (const auto& [table, rows] : x.tables) {
    if (table == "silver.t__quarantine") {
      for (const PipelineExecutor* e : {run.stream.get(), one_pass.get(), batch.get()}) {
        auto q = e->Rows(table);
        ASSERT_TRUE(q.ok());
        EXPECT_EQ(q->num_rows(), rows.size()) << table;
      }
      continue;
    }
    const bool windowed = table.rfind("gold.minute", 0) == 0;
    EXPECT_EQ(Sorted(*batch, *plan, table.c_str()), rows) << table << " batch";
    if (windowed) {
      EXPECT_EQ(Sorted(*run.stream, *plan, table.c_str()), Sorted(*one_pass, *plan, table.c_str()))
          << table << " streaming";
      continue;
    }
    EXPECT_EQ(Sorted(*run.stream, *plan, table.c_str()), rows) << table << " streaming";
    EXPECT_EQ(Sorted(*one_pass, *plan, table.c_str()), rows) << table << " one pass";
  }
  for (const char* q : {"silver.s__quarantine", "silver.t__quarantine", "gold.minute__late"}) {
    EXPECT_EQ(Sorted(*run.stream, *plan, q), Sorted(*one_pass, *plan, q)) << q;
  }
  if (!lambda) return;
  if (run.published) CheckLambdaChain(*run.stream, *plan);
  // A batch run at the end: batch(T) is everything, so every answer is the batch view's.
  ASSERT_TRUE(run.stream->AddBoundary(batch->offsets()).ok());
  Status s = run.stream->PublishBatch(*batch);
  ASSERT_TRUE(s.ok()) << s.ToString();
  CheckLambdaChain(*run.stream, *plan);
  for (const char* view : {"gold.by_n", "gold.top", "gold.minute_sum"})
    EXPECT_EQ(LambdaRows(*run.stream, *plan, view), Sorted(*batch, *plan, view)) << view;
}

TEST(GraphPropertyTest, StreamingBatchAndRestartsEqualTheReference) {
  for (uint64_t seed : ::strata::testing::Seeds(5000, 80)) {
    SCOPED_TRACE(::strata::testing::SeedTrace(seed));
    CheckCase(seed, /*lambda=*/false);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(GraphPropertyTest, LambdaViewsOfViewsAnswerFromTheirSourcesAnswer) {
  for (uint64_t seed : ::strata::testing::Seeds(6000, 80)) {
    SCOPED_TRACE(::strata::testing::SeedTrace(seed));
    CheckCase(seed, /*lambda=*/true);
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace strata::runtime
