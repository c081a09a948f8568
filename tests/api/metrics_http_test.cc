// GET /metrics (api/http_server.h, serve/engine_metrics.cc) on a real server with its pipeline
// running: the answer is read by Prometheus' own Python text-format parser (Debian's
// python3-prometheus-client), and its values are checked against what the test did.
#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "api/server.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata::api {
namespace {

using ::testing::HasSubstr;

constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.orders (id text, customer text, amount numeric(12,2), ts timestamp)
WITH (layer = 'bronze', format = 'json', key = 'id', partitions = 1,
      watermark = 'ts - 1 second');
CREATE TABLE silver.orders (id text NOT NULL, customer text NOT NULL,
  amount numeric(12,2) CHECK (amount > 0), ts timestamp NOT NULL, PRIMARY KEY (id))
WITH (layer = 'silver', on_violation = 'quarantine');
INSERT INTO silver.orders SELECT id, customer, amount, ts FROM bronze.orders WHERE customer <> 'test';
CREATE MATERIALIZED VIEW gold.by_customer WITH (serving = 'kappa', owner = 'finance',
  freshness = '30 seconds') AS
SELECT customer, count(*) AS n, sum(amount) AS revenue FROM silver.orders GROUP BY customer;
)sql";

// Prometheus' parser: every sample as `name{label="value",...} value`, labels sorted; the
// families' types as `# TYPE family type`. Fails (exit 1) on text it cannot parse.
constexpr const char* kParse = R"py(
import sys
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    print("# TYPE %s %s" % (family.name, family.type))
    for s in family.samples:
        labels = ",".join('%s="%s"' % kv for kv in sorted(s.labels.items()))
        print("%s{%s} %r" % (s.name, labels, s.value))
)py";

class MetricsHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions server;
    server.port = 0;
    serve::PipelineServiceOptions service;
    service.publish_every = 100'000;
    service.checkpoint_every = 200'000;
    auto serving = Serving::Start(dir_.Sub("data"), kPipeline, "pipeline.sql", server, service);
    ASSERT_TRUE(serving.ok()) << serving.status().ToString();
    serving_ = std::move(serving).value();
  }
  void TearDown() override {
    if (serving_) {
      EXPECT_TRUE(serving_->Stop().ok());
    }
  }
  httplib::Client Client() { return httplib::Client("127.0.0.1", serving_->port()); }

  // The answer of GET /metrics as Prometheus' parser reads it: sample -> value, and the
  // "# TYPE" lines under their own text.
  std::map<std::string, double> Scrape(std::string* types = nullptr) {
    auto res = Client().Get("/metrics");
    EXPECT_TRUE(res && res->status == 200);
    if (!res) return {};
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    testing::ProcessResult parsed =
        testing::RunProcess({"/usr/bin/python3", "-c", kParse}, res->body);
    EXPECT_EQ(parsed.exit_code, 0) << parsed.err << "\n" << res->body;
    std::map<std::string, double> samples;
    std::istringstream lines(parsed.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("# TYPE ")) {
        if (types) *types += line + "\n";
        continue;
      }
      const size_t space = line.rfind(' ');
      samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return samples;
  }

  testing::TempDir dir_;
  std::unique_ptr<Serving> serving_;
};

TEST_F(MetricsHttpTest, ParsesAndCountsWhatHappened) {
  // 6 records: one quarantined (amount <= 0), one filtered (customer test), 4 in silver for
  // 2 customers.
  const std::string lines =
      "{\"id\":\"o1\",\"customer\":\"alice\",\"amount\":10,\"ts\":\"2026-01-01 00:00:01\"}\n"
      "{\"id\":\"o2\",\"customer\":\"bob\",\"amount\":5,\"ts\":\"2026-01-01 00:00:02\"}\n"
      "{\"id\":\"o3\",\"customer\":\"alice\",\"amount\":1,\"ts\":\"2026-01-01 00:00:03\"}\n"
      "{\"id\":\"o4\",\"customer\":\"bob\",\"amount\":0,\"ts\":\"2026-01-01 00:00:04\"}\n"
      "{\"id\":\"o5\",\"customer\":\"test\",\"amount\":3,\"ts\":\"2026-01-01 00:00:05\"}\n"
      "{\"id\":\"o6\",\"customer\":\"bob\",\"amount\":2,\"ts\":\"2026-01-01 00:00:06\"}\n";
  auto ingest = Client().Post("/v1/tables/bronze.orders/events", lines, "application/x-ndjson");
  ASSERT_TRUE(ingest && ingest->status == 200);
  std::map<std::string, double> m;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const std::string records = R"(strata_silver_records_total{table="silver.orders"})";
  const std::string checkpoint = "strata_checkpoint_last_bytes{}";
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    m = Scrape();
  } while ((m[records] < 6 || !m.count(checkpoint)) && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(m[records], 6) << "the speed path never consumed the records";
  for (int i = 0; i < 3; ++i) {
    auto q = Client().Post("/v1/query", "SELECT * FROM gold.by_customer", "text/plain");
    ASSERT_TRUE(q && q->status == 200);
  }
  auto bad = Client().Post("/v1/query", "SELECT nope FROM gold.by_customer", "text/plain");
  ASSERT_TRUE(bad && bad->status == 400);

  std::string types;
  m = Scrape(&types);
  EXPECT_EQ(m[R"(strata_silver_quarantined_total{table="silver.orders"})"], 1);
  EXPECT_EQ(m[R"(strata_silver_filtered_total{table="silver.orders"})"], 1);
  EXPECT_EQ(m[R"(strata_silver_dropped_total{table="silver.orders"})"], 0);
  EXPECT_EQ(m[R"(strata_product_freshness_lag_seconds{view="gold.by_customer"})"], 0);
  EXPECT_EQ(m[R"(strata_gold_rows{serving="kappa",view="gold.by_customer"})"], 2);
  EXPECT_EQ(
      m[R"(strata_product_freshness_objective_seconds{owner="finance",view="gold.by_customer"})"],
      30);
  const std::string partition = R"(partition="0",table="bronze.orders"})";
  EXPECT_EQ(m["strata_bronze_end_offset{" + partition], 6);
  EXPECT_EQ(m["strata_lane_offset{lane=\"main\"," + partition], 6);
  EXPECT_EQ(m["strata_lane_lag_records{lane=\"main\"," + partition], 0);
  // The watermark: the newest event time (2026-01-01 00:00:06) minus the delay.
  EXPECT_EQ(m[R"(strata_watermark_timestamp_seconds{table="bronze.orders"})"], 1767225605.0);
  EXPECT_GT(m[checkpoint], 0);
  EXPECT_GE(m["strata_checkpoints_kept{}"], 1);
  // Four queries answered, one of them 400; every answer counted by route and status.
  EXPECT_EQ(m["strata_query_duration_seconds_count{}"], 4);
  EXPECT_EQ(m[R"(strata_query_duration_seconds_bucket{le="+Inf"})"], 4);
  EXPECT_GT(m["strata_query_duration_seconds_sum{}"], 0);
  EXPECT_EQ(m[R"(strata_http_requests_total{code="200",route="/v1/query"})"], 3);
  EXPECT_EQ(m[R"(strata_http_requests_total{code="400",route="/v1/query"})"], 1);
  EXPECT_EQ(m[R"(strata_http_requests_total{code="200",route="/v1/tables/{table}/events"})"], 1);
  EXPECT_GE(m[R"(strata_http_requests_total{code="200",route="/metrics"})"], 2);
  EXPECT_GT(m["process_cpu_seconds_total{}"], 0);
  EXPECT_GT(m["process_resident_memory_bytes{}"], 1 << 20);
  EXPECT_THAT(types, HasSubstr("# TYPE strata_query_duration_seconds histogram"));
  EXPECT_THAT(types, HasSubstr("# TYPE strata_silver_records counter"));
  EXPECT_THAT(types, HasSubstr("# TYPE strata_gold_rows gauge"));
}

}  // namespace
}  // namespace strata::api
