// Late data through the serving engine (DESIGN.md §4): a Lambda view and a Kappa view with
// event-time windows over the clicks of tests/cases/windows_late.test. The records
// after the first batch run's boundary include three late ones: live answers leave them out,
// `drift` reports the difference to the authoritative recompute as explained by exactly
// those records (and nothing unexplained), the next batch run corrects the Lambda view, and
// status shows the watermark and the late counts. Expected answers are the case file's,
// computed by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "log/store.h"
#include "quality/reconcile.h"
#include "runtime/runner.h"
#include "runtime/runtime_test_util.h"
#include "serve/engine.h"
#include "testing/temp_dir.h"

namespace strata::serve {

using quality::Diff;
namespace {

constexpr char kPipeline[] = R"sql(
CREATE TABLE bronze.clicks (
  id text, page text, ms bigint, event_ts timestamp
) WITH (layer = 'bronze', partitions = 1, key = 'id', watermark = 'event_ts - 10 seconds');

CREATE TABLE silver.clicks (
  id text NOT NULL, page text NOT NULL, ms bigint, event_ts timestamp NOT NULL,
  PRIMARY KEY (id)
) WITH (layer = 'silver', dedupe_order = 'event_ts');

INSERT INTO silver.clicks SELECT id, page, ms, event_ts FROM bronze.clicks;

CREATE MATERIALIZED VIEW gold.clicks_per_minute
WITH (serving = 'lambda', batch_every = '1 hour', allowed_lateness = '30 seconds') AS
SELECT window_start, window_end, page, count(*) AS clicks, sum(ms) AS ms
FROM silver.clicks GROUP BY tumble(event_ts, '1 minute'), page;

CREATE MATERIALIZED VIEW gold.sessions AS
SELECT page, window_start, window_end, count(*) AS clicks
FROM silver.clicks GROUP BY page, session(event_ts, '1 minute');

-- Views reading the windowed views: their late records are their sources'.
CREATE MATERIALIZED VIEW gold.clicks_per_page
WITH (serving = 'lambda', batch_every = '1 hour') AS
SELECT page, sum(clicks) AS clicks, count(*) AS minutes
FROM gold.clicks_per_minute GROUP BY page;

CREATE MATERIALIZED VIEW gold.session_sizes AS
SELECT clicks, count(*) AS sessions FROM gold.sessions GROUP BY clicks;
)sql";

const std::vector<std::string> kBefore = {
    R"({"id":"a","page":"/home","ms":100,"event_ts":"2026-11-18T10:00:05Z"})",
    R"({"id":"b","page":"/home","ms":200,"event_ts":"2026-11-18T10:00:50Z"})",
    R"({"id":"c","page":"/cart","ms":50,"event_ts":"2026-11-18T10:01:10Z"})",
    R"({"id":"d","page":"/home","ms":10,"event_ts":"2026-11-18T10:02:30Z"})",
};
const std::vector<std::string> kAfter = {
    R"({"id":"e","page":"/home","ms":5,"event_ts":"2026-11-18T10:00:40Z"})",
    R"({"id":"f","page":"/cart","ms":7,"event_ts":"2026-11-18T10:01:55Z"})",
    R"({"id":"b","page":"/home","ms":250,"event_ts":"2026-11-18T10:00:58Z"})",
    R"({"id":"g","page":"/home","ms":1,"event_ts":"2026-11-18T10:03:40Z"})",
    R"({"id":"a","page":"/home","ms":100,"event_ts":"2026-11-18T10:00:01Z"})",
};

std::string Csv(const runtime::QueryResult& r) {
  return runtime::FormatCsv(r);
}

TEST(EngineWindowTest, LateRecordsExplainDriftAndTheBatchViewCountsThem) {
  ::strata::testing::TempDir dir;
  auto store = std::move(log::Store::Open(dir.path(), log::StoreOptions{})).value();
  auto plan = runtime::LoadPipeline(kPipeline, "pipeline.sql");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_TRUE(runtime::EnsureBronzeTables(store.get(), *plan).ok());
  auto opened = Engine::Open(store.get(), dir.path(), kPipeline, "pipeline.sql");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Engine> engine = std::move(opened).value();
  log::Table* bronze = *store->GetTable("bronze.clicks");
  auto catch_up = [&] {
    for (int i = 0; i < 100 && !engine->CaughtUp(); ++i)
      ASSERT_TRUE(engine->Step().ok());
    ASSERT_TRUE(engine->CaughtUp());
  };
  runtime::Ingest(bronze, kBefore);
  catch_up();
  auto run = engine->RunBatch();
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  runtime::Ingest(bronze, kAfter);
  catch_up();

  const char* q = "SELECT * FROM gold.clicks_per_minute ORDER BY window_start, page";
  auto live = engine->Query(q);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_EQ(Csv(*live),
            "window_start,window_end,page,clicks,ms\n"
            "2026-11-18 10:00:00,2026-11-18 10:01:00,/home,1,100\n"
            "2026-11-18 10:01:00,2026-11-18 10:02:00,/cart,2,57\n"
            "2026-11-18 10:02:00,2026-11-18 10:03:00,/home,1,10\n"
            "2026-11-18 10:03:00,2026-11-18 10:04:00,/home,1,1\n");
  auto late = engine->Query("SELECT \"offset\" FROM gold.clicks_per_minute__late ORDER BY 1");
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  EXPECT_EQ(Csv(*late), "offset\n4\n6\n8\n");

  for (const char* view : {"gold.clicks_per_minute", "gold.sessions"}) {
    auto d = quality::Drift(*engine, view);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_FALSE(d->identical()) << view;
    EXPECT_TRUE(d->explained()) << d->ToText();
    ASSERT_TRUE(d->unexplained.has_value());
    EXPECT_EQ(*d->unexplained, 0u);
    EXPECT_EQ(d->late_records, 3u) << view;
    EXPECT_NE(d->ToText().find("explained: every difference is the effect of the 3 late"),
              std::string::npos)
        << d->ToText();
    auto back = Diff::FromJson(d->ToJson());
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(back->explained());
    EXPECT_EQ(back->unexplained, d->unexplained);
    EXPECT_EQ(back->late_tables, std::vector<std::string>{std::string(view) + "__late"});
  }
  // A view reading a windowed view carries its late records' effect: explained by them,
  // with no attribution (its rows are not windows).
  for (const char* view : {"gold.clicks_per_page", "gold.session_sizes"}) {
    auto d = quality::Drift(*engine, view);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_FALSE(d->identical()) << view;
    EXPECT_TRUE(d->explained()) << d->ToText();
    EXPECT_EQ(d->unexplained, std::optional<uint64_t>(0));
    EXPECT_EQ(d->late_records, 3u) << view;
    EXPECT_TRUE(d->attribution.empty()) << d->ToText();
    const std::string source = std::string_view(view) == "gold.clicks_per_page"
                                   ? "gold.clicks_per_minute"
                                   : "gold.sessions";
    EXPECT_EQ(d->late_tables, std::vector<std::string>{source + "__late"});
    EXPECT_NE(d->ToText().find("3 late records (" + source + "__late)"), std::string::npos)
        << d->ToText();
  }
  // The 10:00 /home window: the streaming answer has a only (b moved late, e late); the
  // authoritative answer has a, b and e.
  auto d = quality::Drift(*engine, "gold.clicks_per_minute");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->changed, 1u);
  EXPECT_EQ(d->added + d->removed, 0u);
  EXPECT_EQ(d->unattributed, 0u);
  EXPECT_EQ(d->attribution,
            (std::vector<std::string>{
                "live window [2026-11-18 10:00:00, 2026-11-18 10:01:00): 3 late records "
                "(partition 0 offset 4, ...)",
                "recompute window [2026-11-18 10:00:00, 2026-11-18 10:01:00): 3 late records "
                "(partition 0 offset 4, ...)"}));
  // Sessions: live has /home [10:00:05, 10:01:05), the recompute [10:00:05, 10:01:58); the
  // late records at 10:00:40, 10:00:58 and 10:00:01 are within a gap of both.
  d = quality::Drift(*engine, "gold.sessions");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->unattributed, 0u) << d->ToText();
  EXPECT_EQ(d->attribution.size(), 2u) << d->ToText();

  std::string status = engine->StatusJson();
  EXPECT_NE(status.find("\"watermarks\": [{\"table\": \"bronze.clicks\", \"watermark\": "
                        "\"2026-11-18T10:03:30"),
            std::string::npos)
      << status;
  EXPECT_NE(status.find("\"late_records\": 3"), std::string::npos) << status;
  // 10:03:30 - 30 s of lateness: the windows up to 10:03 are final.
  EXPECT_NE(status.find("\"final_before\": \"2026-11-18T10:03:00"), std::string::npos) << status;

  // A Kappa replay of the same log makes the same late decisions: its lane equals live.
  ReplayOptions replay;
  replay.name = "again";
  auto replayed = engine->Replay("gold.sessions", replay);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  auto same = quality::Validate(*engine, "gold.sessions", "again");
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_TRUE(same->identical()) << same->ToText();

  // The next batch run is authoritative: the Lambda view now counts the late records.
  run = engine->RunBatch();
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  live = engine->Query(q);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(Csv(*live),
            "window_start,window_end,page,clicks,ms\n"
            "2026-11-18 10:00:00,2026-11-18 10:01:00,/home,3,355\n"
            "2026-11-18 10:01:00,2026-11-18 10:02:00,/cart,2,57\n"
            "2026-11-18 10:02:00,2026-11-18 10:03:00,/home,1,10\n"
            "2026-11-18 10:03:00,2026-11-18 10:04:00,/home,1,1\n");
  for (const char* view : {"gold.clicks_per_minute", "gold.clicks_per_page"}) {
    d = quality::Drift(*engine, view);
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->identical()) << d->ToText();
  }
  // Each version carries the watermark of the input it covers.
  auto versions = engine->Versions("gold.clicks_per_minute");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  Micros first, second;
  ASSERT_TRUE(ParseTimestamp("2026-11-18T10:02:20Z", &first));  // 10:02:30 - 10 s
  ASSERT_TRUE(ParseTimestamp("2026-11-18T10:03:30Z", &second));
  EXPECT_EQ((*versions)[0].watermark, first);
  EXPECT_EQ((*versions)[1].watermark, second);
  EXPECT_EQ(*d->unexplained, 0u);
}

}  // namespace
}  // namespace strata::serve
