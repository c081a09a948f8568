// Event time under random schedules (DESIGN.md §4): random out-of-order events over three
// partitions with a watermark, updates of keys (moving rows between windows and sessions,
// merging and splitting sessions), filtered rows; tumbling, hopping and session windows
// with allowed lateness. The streaming runtime (random micro-batches, random stops and
// restarts), the streaming runtime in one pass, and the batch runtime (authoritative) are
// checked against a naive reference written here, which reads the bronze log record by
// record:
//   - each record's watermark at arrival: the greatest event time of the earlier records of
//     its partition, minus the delay;
//   - silver: per key, the greatest version by (ts, partition, offset) among the records
//     the silver WHERE keeps;
//   - a (row, window) is late when the window's end (a session: the row's time + gap) plus
//     the allowed lateness is at or before the watermark at its record's arrival;
//   - streaming views: the silver rows, each in each of its windows where it was not late
//     (sessions: over the rows not late); authoritative views: every row in every window;
//   - late tables: one entry per (record kept by silver's and the view's WHERE, late window).
//
// 150 fixed seeds; STRATA_SEED=N runs one, STRATA_SEEDS=K draws K (testing/seeds.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/coding.h"
#include "common/crc32c.h"
#include "common/datetime.h"
#include "common/sealed.h"
#include "log/reader.h"
#include "log/store.h"
#include "property_model.h"
#include "runtime/runner.h"
#include "runtime_test_util.h"
#include "testing/seeds.h"
#include "testing/temp_dir.h"

namespace strata::runtime {
namespace {

constexpr char kPipeline[] = R"sql(
CREATE TABLE bronze.ev (i bigint, k text, grp text, v bigint, ts timestamp)
WITH (layer = 'bronze', key = 'k', partitions = 3, watermark = 'ts - 20 seconds');

CREATE TABLE silver.ev (
  i bigint, k text NOT NULL, grp text, v bigint, ts timestamp NOT NULL, PRIMARY KEY (k)
) WITH (layer = 'silver', dedupe_order = 'ts');

INSERT INTO silver.ev SELECT i, k, grp, v, ts FROM bronze.ev WHERE v <> 13;

CREATE MATERIALIZED VIEW gold.tum WITH (allowed_lateness = '10 seconds') AS
SELECT grp, window_start, window_end, count(*) AS n, sum(v) AS s, max(v) AS hi
FROM silver.ev GROUP BY grp, tumble(ts, '1 minute');

CREATE MATERIALIZED VIEW gold.hop AS
SELECT window_start, window_end, count(*) AS n, sum(v) AS s
FROM silver.ev GROUP BY hop(ts, '1 minute', '20 seconds');

CREATE MATERIALIZED VIEW gold.ses WITH (allowed_lateness = '5 seconds') AS
SELECT grp, window_start, window_end, count(*) AS n, sum(v) AS s
FROM silver.ev WHERE v > 2 GROUP BY grp, session(ts, '30 seconds');
)sql";

constexpr Micros kSecond = 1'000'000;
constexpr Micros kBase = 1'795'000'000 * kSecond;  // 2026-11-18
constexpr Micros kDelay = 20 * kSecond;

struct Event {
  int64_t i;
  std::string k, grp;
  int64_t v;
  Micros ts;
};

std::string Json(const Event& e) {
  return "{\"i\":" + std::to_string(e.i) + ",\"k\":\"" + e.k + "\",\"grp\":\"" + e.grp +
         "\",\"v\":" + std::to_string(e.v) + ",\"ts\":\"" + FormatTimestamp(e.ts) + "\"}";
}

// A record as the log holds it, with its watermark at arrival.
struct Record {
  const Event* event;
  uint32_t partition;
  uint64_t offset;
  std::optional<Micros> watermark;
};

struct Window {
  Micros start, end;
};

std::vector<Window> Windows(const std::string& view, Micros ts) {
  if (view == "gold.tum") {
    Micros s = ts / (60 * kSecond) * (60 * kSecond);
    return {{s, s + 60 * kSecond}};
  }
  std::vector<Window> out;  // hop: size 60 s, slide 20 s
  Micros last = ts / (20 * kSecond) * (20 * kSecond);
  for (Micros s = last - 40 * kSecond; s <= last; s += 20 * kSecond)
    out.push_back({s, s + 60 * kSecond});
  return out;
}

bool Late(const Record& r, Micros end, Micros lateness) {
  return r.watermark && end + lateness <= *r.watermark;
}

std::string T(Micros t) {
  return FormatSqlTimestamp(t);
}

using Rows = std::vector<std::vector<std::string>>;

struct Expected {
  std::map<std::string, Rows> streaming, authoritative;
  std::map<std::string, size_t> late;
};

Expected Reference(const std::vector<Record>& log) {
  Expected x;
  // Silver: per key the greatest (ts, partition, offset) among kept records.
  std::map<std::string, const Record*> silver;
  for (const Record& r : log) {
    if (r.event->v == 13) continue;
    const Record*& w = silver[r.event->k];
    auto order = [](const Record* a) {
      return std::make_tuple(a->event->ts, a->partition, a->offset);
    };
    if (w == nullptr || order(&r) > order(w)) w = &r;
    // Late entries: per record (not per winner).
    for (const char* view : {"gold.tum", "gold.hop"}) {
      Micros lateness = std::string(view) == "gold.tum" ? 10 * kSecond : 0;
      for (const Window& win : Windows(view, r.event->ts))
        x.late[view] += Late(r, win.end, lateness);
    }
    if (r.event->v > 2) x.late["gold.ses"] += Late(r, r.event->ts + 30 * kSecond, 5 * kSecond);
  }
  for (bool authoritative : {false, true}) {
    auto& out = authoritative ? x.authoritative : x.streaming;
    for (const char* view : {"gold.tum", "gold.hop"}) {
      Micros lateness = std::string(view) == "gold.tum" ? 10 * kSecond : 0;
      struct Agg {
        int64_t n = 0, s = 0, hi = INT64_MIN;
      };
      std::map<std::tuple<std::string, Micros, Micros>, Agg> groups;
      for (const auto& [k, r] : silver) {
        for (const Window& win : Windows(view, r->event->ts)) {
          if (!authoritative && Late(*r, win.end, lateness)) continue;
          std::string grp = std::string(view) == "gold.tum" ? r->event->grp : "";
          Agg& a = groups[{grp, win.start, win.end}];
          ++a.n;
          a.s += r->event->v;
          a.hi = std::max(a.hi, r->event->v);
        }
      }
      Rows rows;
      for (const auto& [key, a] : groups) {
        const auto& [grp, start, end] = key;
        if (std::string(view) == "gold.tum") {
          rows.push_back({grp, T(start), T(end), std::to_string(a.n), std::to_string(a.s),
                          std::to_string(a.hi)});
        } else {
          rows.push_back({T(start), T(end), std::to_string(a.n), std::to_string(a.s)});
        }
      }
      std::sort(rows.begin(), rows.end());
      out[view] = rows;
    }
    // Sessions per grp over the rows kept (v > 2, not late unless authoritative).
    std::map<std::string, std::vector<std::pair<Micros, int64_t>>> by_grp;
    for (const auto& [k, r] : silver) {
      if (r->event->v <= 2) continue;
      if (!authoritative && Late(*r, r->event->ts + 30 * kSecond, 5 * kSecond)) continue;
      by_grp[r->event->grp].push_back({r->event->ts, r->event->v});
    }
    Rows rows;
    for (auto& [grp, list] : by_grp) {
      std::sort(list.begin(), list.end());
      for (size_t i = 0; i < list.size();) {
        size_t j = i + 1;
        while (j < list.size() && list[j].first - list[j - 1].first < 30 * kSecond)
          ++j;
        int64_t s = 0;
        for (size_t m = i; m < j; ++m)
          s += list[m].second;
        rows.push_back({grp, T(list[i].first), T(list[j - 1].first + 30 * kSecond),
                        std::to_string(j - i), std::to_string(s)});
        i = j;
      }
    }
    std::sort(rows.begin(), rows.end());
    out["gold.ses"] = rows;
  }
  return x;
}

void CheckCase(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Event> events(1 + rng() % 150);
  const int keys = 3 + static_cast<int>(rng() % 30);
  for (size_t i = 0; i < events.size(); ++i) {
    Event& e = events[i];
    e.i = static_cast<int64_t>(i);
    e.k = "k" + std::to_string(rng() % keys);
    e.grp = std::string(1, static_cast<char>('a' + rng() % 3));
    e.v = static_cast<int64_t>(rng() % 16);
    // Mostly in order, with jitter and now and then a record far behind.
    int64_t jitter = static_cast<int64_t>(rng() % 40) - 25;
    if (rng() % 8 == 0) jitter -= static_cast<int64_t>(rng() % 240);
    e.ts = kBase + (static_cast<int64_t>(i) * 4 + jitter) * kSecond;
  }
  std::vector<std::string> lines;
  for (const Event& e : events)
    lines.push_back(Json(e));

  auto plan = LoadPipeline(kPipeline, "windows.sql");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ::strata::testing::TempDir dir;
  auto store = std::move(log::Store::Open(dir.path(), log::StoreOptions{})).value();
  ASSERT_TRUE(EnsureBronzeTables(store.get(), *plan).ok());
  log::Table* bronze = *store->GetTable("bronze.ev");

  auto stream = property::StreamRandomly(store.get(), *plan, bronze, lines, rng);
  ASSERT_TRUE(stream != nullptr);
  auto one_pass = std::move(PipelineExecutor::Make(*plan)).value();
  ASSERT_TRUE(CatchUp(store.get(), one_pass.get(), *plan, 65536).ok());
  auto batch = std::move(PipelineExecutor::Make(*plan)).value();
  batch->set_include_late(true);
  ASSERT_TRUE(CatchUp(store.get(), batch.get(), *plan, 65536).ok());

  // The reference reads the log itself.
  std::vector<Record> log;
  std::vector<std::optional<Micros>> max_time(bronze->partition_count());
  for (uint32_t p = 0; p < bronze->partition_count(); ++p) {
    log::PartitionReader reader(bronze->partition(p), 0);
    log::RecordView r;
    while (true) {
      auto more = reader.Next(&r);
      ASSERT_TRUE(more.ok());
      if (!*more) break;
      std::string payload(r.payload);
      size_t colon = payload.find(':');
      const Event& e = events[std::stoul(payload.substr(colon + 1))];
      std::optional<Micros> wm;
      if (max_time[p]) wm = *max_time[p] - kDelay;
      log.push_back({&e, p, r.offset, wm});
      max_time[p] = std::max(max_time[p].value_or(INT64_MIN), e.ts);
    }
  }
  ASSERT_EQ(log.size(), events.size());
  Expected x = Reference(log);
  for (const char* view : {"gold.tum", "gold.hop", "gold.ses"}) {
    using property::Sorted;
    EXPECT_EQ(Sorted(*stream, *plan, view), x.streaming[view]) << view << " streaming";
    EXPECT_EQ(Sorted(*one_pass, *plan, view), x.streaming[view]) << view << " one pass";
    EXPECT_EQ(Sorted(*batch, *plan, view), x.authoritative[view]) << view << " batch";
    std::string late = std::string(view) + "__late";
    for (const PipelineExecutor* e : {stream.get(), one_pass.get(), batch.get()}) {
      auto rows = e->Rows(late);
      ASSERT_TRUE(rows.ok());
      EXPECT_EQ(rows->num_rows(), x.late[view]) << late;
      EXPECT_EQ(e->late_counters(view)->late, x.late[view]) << view;
    }
    EXPECT_EQ(Sorted(*stream, *plan, late.c_str()), Sorted(*batch, *plan, late.c_str()));
  }
}

TEST(WindowPropertyTest, StreamingAndBatchEqualTheReference) {
  for (uint64_t seed : ::strata::testing::Seeds(3000, 150)) {
    SCOPED_TRACE(::strata::testing::SeedTrace(seed));
    CheckCase(seed);
    if (::testing::Test::HasFailure()) return;
  }
}

// State saved by earlier formats still loads: version 2 (before event time: no event times,
// no window state) and version 3 (before the graph), both in the "STEX" layout of the
// releases before the sealed container (common/sealed.h).
// The "STEX" layout of `version` around the body of `sealed` (the current Save's).
std::string Legacy(const std::string& sealed, uint32_t version) {
  auto u = Unseal(sealed, "pipeline", 5, 5, "test");
  EXPECT_TRUE(u.ok()) << u.status().ToString();
  std::string out = "STEX";
  PutFixed32(&out, version);
  out.append(u.ok() ? u->body : "");
  PutFixed32(&out, crc32c::Value(out));
  return out;
}

// Version 3 of the state (before the pipeline was a graph) from version 4, for a pipeline
// of one bronze table without a watermark, one silver table and views without windows:
// version 3 kept each silver table's event times (one "none" per partition) after its
// quarantine; version 4 keeps them per bronze table with a watermark (none here).
std::string Version3Of(const std::string& v4, uint32_t partitions) {
  Decoder d(std::string_view(v4).substr(8, v4.size() - 12));
  std::string_view bytes;
  uint64_t v;
  EXPECT_TRUE(d.GetLengthPrefixed(&bytes));  // the logic
  for (uint32_t p = 0; p < partitions; ++p)
    EXPECT_TRUE(d.GetVarint64(&v));          // offsets
  EXPECT_TRUE(d.GetLengthPrefixed(&bytes));  // the upsert's state
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(d.GetVarint64(&v));  // counters
  uint64_t quarantined = 0;
  EXPECT_TRUE(d.GetVarint64(&quarantined));
  for (uint64_t q = 0; q < quarantined; ++q) {
    for (int i = 0; i < 3; ++i)
      EXPECT_TRUE(d.GetLengthPrefixed(&bytes));
    for (int i = 0; i < 3; ++i)
      EXPECT_TRUE(d.GetVarint64(&v));
    EXPECT_TRUE(d.GetLengthPrefixed(&bytes));
  }
  const size_t at = v4.size() - 4 - d.remaining();
  std::string times;
  for (uint32_t p = 0; p < partitions; ++p)
    PutVarint64(&times, static_cast<uint64_t>(std::numeric_limits<int64_t>::min()));
  std::string v3 = v4.substr(0, at) + times + v4.substr(at, v4.size() - 4 - at);
  v3[4] = 3;  // the format version (fixed32, little-endian)
  PutFixed32(&v3, crc32c::Value(v3));
  return v3;
}

TEST(ExecutorStateTest, LoadsTheFormatsBeforeTheGraph) {
  auto plan = LoadPipeline(property::PropertyPipeline(), "property.sql");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ::strata::testing::TempDir dir;
  auto store = std::move(log::Store::Open(dir.path(), log::StoreOptions{})).value();
  ASSERT_TRUE(EnsureBronzeTables(store.get(), *plan).ok());
  std::mt19937_64 rng(5);
  std::vector<std::string> lines;
  for (int i = 0; i < 50; ++i)
    lines.push_back(property::Json(property::RandomEvent(rng)));
  Ingest(*store->GetTable("bronze.events"), lines);
  auto executor = std::move(PipelineExecutor::Make(*plan)).value();
  ASSERT_TRUE(CatchUp(store.get(), executor.get(), *plan, 7).ok());
  std::string saved;
  ASSERT_TRUE(executor->Save(&saved).ok());
  ASSERT_TRUE(LooksSealed(saved));
  ASSERT_GT(executor->counters("silver.events")->quarantined, 0u);  // quarantine is parsed
  // Version 4 is the container's body; version 2 (before event time) is version 4 without a
  // watermark or a window.
  const std::string v4 = Legacy(saved, 4);
  for (const std::string& old : {v4, Legacy(saved, 2), Version3Of(v4, property::kPartitions)}) {
    auto loaded = std::move(PipelineExecutor::Make(*plan)).value();
    Status s = loaded->Load(old);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(property::Sorted(*loaded, *plan, "gold.by_grp"),
              property::Sorted(*executor, *plan, "gold.by_grp"));
    EXPECT_EQ(loaded->offsets(), executor->offsets());
    std::string again;
    ASSERT_TRUE(loaded->Save(&again).ok());
    EXPECT_EQ(again, saved);
  }
}

}  // namespace
}  // namespace strata::runtime
