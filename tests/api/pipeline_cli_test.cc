// The pipeline and serving commands end to end, through the real `strata` binary: ingest,
// run, batch, query (Lambda batch ⊕ speed, --runtime, AS OF), versions, drift, and a Kappa
// replay → validate → cutover → rollback, with answers computed by hand from the events.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;

ProcessResult Strata(std::vector<std::string> args, std::string_view input = {}) {
  args.insert(args.begin(), STRATA_BINARY);
  return testing::RunProcess(args, input);
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good()) << path;
}

constexpr const char* kBronzeSilver = R"sql(
CREATE TABLE bronze.orders (order_id text, customer_id text, amount numeric(10,2), status text,
                            ts timestamp)
WITH (layer = 'bronze', key = 'order_id', partitions = 2);

CREATE TABLE silver.orders (
  order_id text NOT NULL, customer_id text NOT NULL, amount numeric(10,2) CHECK (amount > 0),
  status text, ts timestamp NOT NULL, PRIMARY KEY (order_id)
) WITH (layer = 'silver', dedupe_order = 'ts', on_violation = 'quarantine');

INSERT INTO silver.orders SELECT order_id, customer_id, amount, status, ts FROM bronze.orders;

CREATE MATERIALIZED VIEW gold.revenue WITH (serving = 'lambda', batch_every = '1 hour') AS
SELECT status, sum(amount) AS total, count(*) AS n FROM silver.orders GROUP BY status;
)sql";

std::string Pipeline(const std::string& customers_where) {
  return std::string(kBronzeSilver) +
         "CREATE MATERIALIZED VIEW gold.customers WITH (serving = 'kappa') AS\n"
         "SELECT customer_id, count(*) AS n, sum(amount) AS spent FROM silver.orders " +
         customers_where + " GROUP BY customer_id;\n";
}

std::string Order(const char* id, const char* customer, const char* amount, const char* status,
                  const char* ts) {
  return std::string(R"({"order_id":")") + id + R"(","customer_id":")" + customer +
         R"(","amount":)" + amount + R"(,"status":")" + status + R"(","ts":")" + ts + "\"}\n";
}

class PipelineCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    pipeline_ = dir_.path() + "/orders.sql";
    fixed_ = dir_.path() + "/orders_fixed.sql";
    WriteFile(pipeline_, Pipeline(""));
    WriteFile(fixed_, Pipeline("WHERE status = 'paid'"));
  }

  ProcessResult Ok(std::vector<std::string> args, std::string_view input = {}) {
    ProcessResult r = Strata(std::move(args), input);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return r;
  }
  std::string Query(const std::string& sql, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"query", "--data", data_, sql, "--format", "csv"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Ok(args).out;
  }
  void Ingest(const std::string& lines) {
    Ok({"ingest", "--data", data_, "--table", "bronze.orders"}, lines);
  }
  void Run() { Ok({"run", "--data", data_, "--pipeline", pipeline_, "--until-caught-up"}); }

  testing::TempDir dir_;
  std::string data_, pipeline_, fixed_;
};

TEST_F(PipelineCliTest, LambdaAnswersBatchPlusSpeedAndKeepsVersions) {
  Ok({"check", pipeline_, "--data", data_});
  Ingest(Order("o1", "c1", "10.00", "paid", "2026-01-01 10:00:00") +
         Order("o2", "c1", "5.00", "paid", "2026-01-01 10:00:00") +
         Order("o3", "c2", "7.50", "open", "2026-01-01 10:00:00") +
         Order("o4", "c2", "-1", "open", "2026-01-01 10:00:00"));  // CHECK fails: quarantined
  Run();
  Ok({"batch", "--data", data_, "--pipeline", pipeline_});
  const std::string first = "status,total,n\nopen,7.50,1\npaid,15.00,2\n";
  EXPECT_EQ(Query("SELECT * FROM gold.revenue ORDER BY status"), first);
  EXPECT_EQ(Query("SELECT count(*) AS q FROM silver.orders__quarantine"), "q\n1\n");

  // An update of o1 and a new order arrive; the speed path has them, the batch view not.
  Ingest(Order("o1", "c1", "12.00", "refunded", "2026-01-01 11:00:00") +
         Order("o5", "c3", "3.00", "paid", "2026-01-01 10:30:00"));
  Run();
  const std::string second = "status,total,n\nopen,7.50,1\npaid,8.00,2\nrefunded,12.00,1\n";
  EXPECT_EQ(Query("SELECT * FROM gold.revenue ORDER BY status"), second);
  EXPECT_EQ(Query("SELECT * FROM gold.revenue ORDER BY status", {"--runtime", "batch"}), first);
  EXPECT_EQ(Query("SELECT * FROM gold.revenue ORDER BY status", {"--runtime", "streaming"}),
            second);
  // Re-aggregating gold at query time.
  EXPECT_EQ(Query("SELECT sum(n) AS orders, sum(total) AS total FROM gold.revenue"),
            "orders,total\n4,27.50\n");

  // Drift is zero: the live answers equal fresh recomputes over the same input.
  for (const char* view : {"gold.revenue", "gold.customers", "silver.orders"}) {
    ProcessResult d = Ok({"drift", "--data", data_, view});
    EXPECT_THAT(d.out, HasSubstr("no difference")) << view;
  }

  // A second batch run publishes version 2; version 1 stays readable.
  Ok({"batch", "--data", data_, "--pipeline", pipeline_});
  EXPECT_EQ(Query("SELECT * FROM gold.revenue ORDER BY status", {"--runtime", "batch"}), second);
  ProcessResult v = Ok({"versions", "--data", data_, "gold.revenue"});
  // Version 1 (first batch: open, paid) is kept; version 2 (adds refunded) is what
  // readers see.
  EXPECT_THAT(v.out, HasSubstr("\n1             batch            batch              2  "));
  EXPECT_THAT(v.out, HasSubstr("\n2        *    batch            batch              3  "));
  EXPECT_EQ(Query("SELECT * FROM gold.revenue AS OF VERSION 1 ORDER BY status"), first);
  EXPECT_EQ(Query("SELECT * FROM gold.revenue AS OF VERSION 2 ORDER BY status"), second);
  EXPECT_EQ(Query("SELECT * FROM gold.revenue AS OF TIMESTAMP '2999-01-01 00:00:00' ORDER BY "
                  "status"),
            second);

  ProcessResult bad = Strata({"query", "--data", data_, "SELECT nope FROM gold.revenue"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("query:1:8"));
  ProcessResult old = Strata({"query", "--data", data_,
                              "SELECT * FROM gold.revenue AS OF TIMESTAMP '2000-01-01 00:00:00'"});
  EXPECT_EQ(old.exit_code, 1);
  EXPECT_THAT(old.err, HasSubstr("no live version at 2000-01-01"));
  ProcessResult nowhere = Strata({"query", "SELECT 1 FROM gold.revenue"});
  EXPECT_EQ(nowhere.exit_code, 2);
  EXPECT_THAT(nowhere.err, HasSubstr("give --data DIR or --server URL"));
}

TEST_F(PipelineCliTest, KappaReplayValidateCutoverRollback) {
  Ok({"check", pipeline_, "--data", data_});
  Ingest(Order("o1", "c1", "10.00", "paid", "2026-01-01 10:00:00") +
         Order("o2", "c1", "5.00", "open", "2026-01-01 10:00:00") +
         Order("o3", "c2", "7.50", "open", "2026-01-01 10:00:00") +
         Order("o5", "c3", "3.00", "paid", "2026-01-01 10:30:00"));
  Run();
  const std::string live = "customer_id,n,spent\nc1,2,15.00\nc2,1,7.50\nc3,1,3.00\n";
  EXPECT_EQ(Query("SELECT * FROM gold.customers ORDER BY 1"), live);

  // The fix (only paid orders count) is replayed beside the live view.
  ProcessResult lambda = Strata({"replay", "--data", data_, "gold.revenue", "--as", "x"});
  EXPECT_EQ(lambda.exit_code, 1);
  EXPECT_THAT(lambda.err, HasSubstr("served by Lambda"));
  ProcessResult r =
      Ok({"replay", "--data", data_, "gold.customers", "--pipeline", fixed_, "--as", "paid"});
  EXPECT_THAT(r.out, HasSubstr(R"("name": "paid", "records": 4)"));
  EXPECT_THAT(r.out, HasSubstr(R"("finished": true)"));
  ProcessResult again =
      Strata({"replay", "--data", data_, "gold.customers", "--pipeline", fixed_, "--as", "paid"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("a replay named paid exists"));

  ProcessResult v = Ok({"validate", "--data", data_, "gold.customers", "paid", "--json"});
  EXPECT_THAT(v.out, HasSubstr(R"("left_rows": 3, "right_rows": 2)"));
  EXPECT_THAT(v.out, HasSubstr(R"("added": 0, "removed": 1, "changed": 1)"));
  // c1: n 2 → 1 (50 %), spent 15.00 → 10.00 (33.3 %).
  EXPECT_THAT(v.out, HasSubstr(R"("n":0.5)"));
  EXPECT_THAT(v.out, HasSubstr(R"("spent":0.33333333333333331)"));
  EXPECT_EQ(Query("SELECT * FROM gold.customers ORDER BY 1"), live);  // validate changes nothing

  ProcessResult c = Ok({"cutover", "--data", data_, "gold.customers", "paid"});
  EXPECT_THAT(c.out, HasSubstr("(paid, replay, 2 rows"));
  const std::string fixed = "customer_id,n,spent\nc1,1,10.00\nc3,1,3.00\n";
  EXPECT_EQ(Query("SELECT * FROM gold.customers ORDER BY 1"), fixed);

  // The replay lane keeps streaming after the cutover.
  Ingest(Order("o6", "c2", "4.00", "paid", "2026-01-01 11:00:00"));
  Run();
  EXPECT_EQ(Query("SELECT * FROM gold.customers ORDER BY 1"),
            "customer_id,n,spent\nc1,1,10.00\nc2,1,4.00\nc3,1,3.00\n");
  EXPECT_THAT(Ok({"drift", "--data", data_, "gold.customers"}).out, HasSubstr("no difference"));

  ProcessResult back = Ok({"rollback", "--data", data_, "gold.customers"});
  EXPECT_THAT(back.out, HasSubstr("(main, streaming"));
  EXPECT_EQ(Query("SELECT * FROM gold.customers ORDER BY 1"),
            "customer_id,n,spent\nc1,2,15.00\nc2,2,11.50\nc3,1,3.00\n");
  ProcessResult none = Strata({"rollback", "--data", data_, "gold.customers"});
  EXPECT_EQ(none.exit_code, 1) << Describe(none);

  ProcessResult status = Ok({"status", "--data", data_});
  EXPECT_THAT(status.out, HasSubstr(R"({"name": "paid")"));
  EXPECT_THAT(status.out, HasSubstr(R"("consumed": 5, "lag": 0)"));
}

TEST_F(PipelineCliTest, AChangedPipelineIsRefusedWhereStateExists) {
  Ok({"check", pipeline_, "--data", data_});
  Ingest(Order("o1", "c1", "10.00", "paid", "2026-01-01 10:00:00"));
  Run();
  ProcessResult r = Strata({"run", "--data", data_, "--pipeline", fixed_, "--until-caught-up"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("runs another version of the pipeline"));
  EXPECT_THAT(r.err, HasSubstr("strata replay VIEW --pipeline"));
}

TEST_F(PipelineCliTest, ReplayFromACheckpointNeedsTheSameLogic) {
  Ok({"check", pipeline_, "--data", data_});
  Ingest(Order("o1", "c1", "10.00", "paid", "2026-01-01 10:00:00") +
         Order("o2", "c2", "5.00", "open", "2026-01-01 10:00:00"));
  Run();  // a clean stop writes checkpoint 1
  Ingest(Order("o3", "c1", "2.00", "open", "2026-01-01 10:00:00"));
  ProcessResult status = Ok({"status", "--data", data_});
  EXPECT_THAT(status.out, HasSubstr(R"("last_seq": 1)"));
  EXPECT_THAT(status.out, HasSubstr(R"("kept": 1)"));
  // The same SQL: from the checkpoint, only the record after it is replayed.
  ProcessResult same =
      Ok({"replay", "gold.customers", "--data", data_, "--as", "same", "--from-checkpoint"});
  EXPECT_THAT(same.out, HasSubstr(R"("records": 1)"));
  EXPECT_THAT(same.out, HasSubstr(R"("finished": true)"));
  ProcessResult v = Ok({"validate", "--data", data_, "gold.customers", "same"});
  EXPECT_THAT(v.out, HasSubstr("rows added 0, removed 0, changed 1"));  // live has not run o3
  // Other SQL: refused, naming both logic hashes.
  ProcessResult other = Strata({"replay", "gold.customers", "--data", data_, "--pipeline", fixed_,
                                "--as", "fix", "--from-checkpoint", "1"});
  EXPECT_EQ(other.exit_code, 1) << Describe(other);
  EXPECT_THAT(other.err, HasSubstr("checkpoint 1 holds the state of logic"));
  ProcessResult missing =
      Strata({"replay", "gold.customers", "--data", data_, "--as", "x", "--from-checkpoint", "9"});
  EXPECT_EQ(missing.exit_code, 1) << Describe(missing);
  EXPECT_THAT(missing.err, HasSubstr("no checkpoint 9 (kept: 1)"));
  ProcessResult both = Strata(
      {"replay", "gold.customers", "--data", data_, "--from-offset", "1", "--from-checkpoint"});
  EXPECT_EQ(both.exit_code, 2) << Describe(both);
}

// The same commands against a running `strata server --pipeline` (--server URL), while
// the server streams, runs batches and publishes versions on its own.
TEST_F(PipelineCliTest, CommandsWorkAgainstARunningServer) {
  testing::Subprocess server({STRATA_BINARY, "server", "--data", data_, "--pipeline", pipeline_,
                              "--listen", "127.0.0.1:0", "--batch-every", "200ms"});
  std::string line;
  ASSERT_TRUE(server.ReadLine(&line, std::chrono::seconds(20))) << server.err();
  const std::string prefix = "on http://";
  ASSERT_NE(line.find(prefix), std::string::npos) << line;
  std::string url = line.substr(line.find(prefix) + 3);
  url = url.substr(0, url.find(' '));

  // Ingest over HTTP, as any client would.
  std::string body = Order("o1", "c1", "10.00", "paid", "2026-01-01 10:00:00") +
                     Order("o2", "c1", "5.00", "open", "2026-01-01 10:00:00") +
                     Order("o3", "c2", "7.50", "open", "2026-01-01 10:00:00");
  ProcessResult posted = Strata({"query", "--server", url, "SELECT 1 AS one FROM gold.revenue"});
  EXPECT_EQ(posted.exit_code, 0) << Describe(posted);
  {
    testing::Subprocess curl({"/usr/bin/curl", "-sf", "-X", "POST", "--data-binary", "@-",
                              url + "/v1/tables/bronze.orders/events"});
    curl.Write(body);
    ProcessResult r = curl.Wait();
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }
  auto query = [&](const std::string& sql) {
    ProcessResult r = Strata({"query", "--server", url, sql, "--format", "csv"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return r.out;
  };
  const std::string revenue = "status,total,n\nopen,12.50,2\npaid,10.00,1\n";
  std::string got;
  for (int i = 0; i < 100 && got != revenue; ++i) {
    got = query("SELECT * FROM gold.revenue ORDER BY status");
    if (got != revenue) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(got, revenue);
  ProcessResult bad = Strata({"query", "--server", url, "SELECT nope FROM gold.revenue"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("query:1:8"));

  // Batch runs publish Lambda versions by themselves (every 200 ms here).
  ProcessResult versions;
  for (int i = 0; i < 100; ++i) {
    versions = Strata({"versions", "--server", url, "gold.revenue"});
    if (versions.out.find("batch") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_THAT(versions.out, HasSubstr("*    batch"));

  ProcessResult r =
      Strata({"replay", "--server", url, "gold.customers", "--pipeline", fixed_, "--as", "paid"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr(R"("finished": true)"));
  ProcessResult v = Strata({"validate", "--server", url, "gold.customers", "paid"});
  EXPECT_EQ(v.exit_code, 0) << Describe(v);
  EXPECT_THAT(v.out, HasSubstr("rows added 0, removed 1, changed 1"));
  ProcessResult c = Strata({"cutover", "--server", url, "gold.customers", "paid"});
  EXPECT_THAT(c.out, HasSubstr("(paid, replay, 1 rows"));
  EXPECT_EQ(query("SELECT * FROM gold.customers ORDER BY 1"), "customer_id,n,spent\nc1,1,10.00\n");
  ProcessResult back = Strata({"rollback", "--server", url, "gold.customers"});
  EXPECT_THAT(back.out, HasSubstr("(main, streaming"));
  EXPECT_EQ(query("SELECT * FROM gold.customers ORDER BY 1"),
            "customer_id,n,spent\nc1,2,15.00\nc2,1,7.50\n");
  for (const char* view : {"gold.revenue", "gold.customers"}) {
    ProcessResult d = Strata({"drift", "--server", url, view});
    EXPECT_EQ(d.exit_code, 0) << Describe(d);
    EXPECT_THAT(d.out, HasSubstr("no difference")) << view;
  }
  ProcessResult status = Strata({"status", "--server", url});
  EXPECT_THAT(status.out, HasSubstr(R"("consumed": 3, "lag": 0)"));
  // Each batch run is followed by a checkpoint; a replay of the same SQL starts from one.
  EXPECT_THAT(status.out, HasSubstr(R"("last_seq": )"));
  EXPECT_THAT(status.out, HasSubstr(R"("warnings": [])"));
  ProcessResult from_checkpoint =
      Strata({"replay", "--server", url, "gold.customers", "--as", "rebuilt", "--from-checkpoint"});
  EXPECT_EQ(from_checkpoint.exit_code, 0) << Describe(from_checkpoint);
  EXPECT_THAT(from_checkpoint.out, HasSubstr(R"("finished": true)"));
  ProcessResult refused = Strata({"replay", "--server", url, "gold.customers", "--pipeline", fixed_,
                                  "--as", "other", "--from-checkpoint", "latest"});
  EXPECT_EQ(refused.exit_code, 1) << Describe(refused);
  EXPECT_THAT(refused.err, HasSubstr("holds the state of logic"));

  // The embedded commands refuse to write beside the server but still read its saved state.
  ProcessResult locked = Strata({"cutover", "--data", data_, "gold.customers", "paid"});
  EXPECT_EQ(locked.exit_code, 1);
  server.Kill(SIGTERM);
  ProcessResult stopped = server.Wait(std::chrono::seconds(30));
  EXPECT_EQ(stopped.exit_code, 0) << Describe(stopped);
  // After a clean stop everything is saved: the embedded query sees what the server served.
  EXPECT_EQ(Query("SELECT * FROM gold.revenue ORDER BY status"), revenue);
}

}  // namespace
}  // namespace strata
