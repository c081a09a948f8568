// The README's flow (check, ingest, run, query --data) through the real `strata` binary, for
// pipeline shapes other than the example's: Kappa views only, Lambda views only, silver
// without gold, and several bronze tables. Every `run` ends with a checkpoint and every
// later command restores it: a restore that is refused (a warning "strata: checkpoint: ...")
// would answer from an empty state or recompute from offset 0, so each step checks both the
// answer and that no such warning was printed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;

constexpr const char* kBronze = R"sql(
CREATE TABLE bronze.orders (order_id text, customer_id text, amount numeric(10,2), status text,
                            event_ts timestamp)
WITH (layer = 'bronze', key = 'order_id', partitions = 2);
)sql";

constexpr const char* kSilver = R"sql(
CREATE TABLE silver.orders (
  order_id text NOT NULL, customer_id text NOT NULL, amount numeric(10,2) CHECK (amount > 0),
  status text, event_ts timestamp NOT NULL, PRIMARY KEY (order_id)
) WITH (layer = 'silver', dedupe_order = 'event_ts', on_violation = 'quarantine');

INSERT INTO silver.orders SELECT order_id, customer_id, amount, status, event_ts FROM bronze.orders;
)sql";

std::string Views(const std::string& kind) {
  const std::string serving =
      kind == "lambda" ? "lambda', batch_every = '1 hour" : kind;  // Lambda needs a period
  return "CREATE MATERIALIZED VIEW gold.revenue_hourly WITH (serving = '" + serving +
         "') AS\nSELECT date_trunc('hour', event_ts) AS hour, sum(amount) AS revenue, count(*) AS "
         "n\nFROM silver.orders GROUP BY 1;\n"
         "CREATE MATERIALIZED VIEW gold.customers WITH (serving = '" +
         serving +
         "') AS\nSELECT customer_id, count(*) AS n, sum(amount) AS spent FROM silver.orders GROUP "
         "BY customer_id;\n";
}

struct Order {
  int id, customer, cents, minute;
  bool paid;
};

// Order i of a stream: every fifth one an update of an earlier id (with an event time that
// may be older than the stored one: it then loses), five customers, amounts 1.00..9.99 over
// three hours; every 50th has a non-positive amount (quarantined by the CHECK).
Order MakeOrder(int i) {
  return {i % 5 == 4 ? i - 3 : i, i % 5, i % 50 == 49 ? -100 : 100 + (i * 37) % 900, (i * 7) % 180,
          i % 3 == 0};
}

std::string Json(const Order& o) {
  char line[200];
  std::snprintf(line, sizeof(line),
                R"({"order_id":"o%d","customer_id":"c%d","amount":%s%d.%02d,"status":"%s",)"
                R"("event_ts":"2026-11-18T%02d:%02d:00Z"})"
                "\n",
                o.id, o.customer, o.cents < 0 ? "-" : "", std::abs(o.cents) / 100,
                std::abs(o.cents) % 100, o.paid ? "paid" : "open", 10 + o.minute / 60,
                o.minute % 60);
  return line;
}

std::string Money(int64_t cents) {
  char out[40];
  std::snprintf(out, sizeof(out), "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return out;
}

// An independent reference: silver.orders from the orders in arrival order (quarantine,
// then the latest event time per order_id), and the two views over it.
struct Reference {
  std::map<int, Order> silver;
  int quarantined = 0;

  void Add(const Order& o) {
    if (o.cents <= 0) {
      ++quarantined;
      return;
    }
    auto [it, inserted] = silver.try_emplace(o.id, o);
    if (!inserted && o.minute > it->second.minute) it->second = o;
  }
  std::string Revenue() const {
    std::map<int, std::pair<int64_t, int>> hours;
    for (const auto& [id, o] : silver) {
      hours[o.minute / 60].first += o.cents;
      ++hours[o.minute / 60].second;
    }
    std::string out = "hour,revenue,n\n";
    for (const auto& [h, v] : hours) {
      out += "2026-11-18 " + std::to_string(10 + h) + ":00:00," + Money(v.first) + "," +
             std::to_string(v.second) + "\n";
    }
    return out;
  }
  std::string Customers() const {
    std::map<int, std::pair<int, int64_t>> customers;
    for (const auto& [id, o] : silver) {
      ++customers[o.customer].first;
      customers[o.customer].second += o.cents;
    }
    std::string out = "customer_id,n,spent\n";
    for (const auto& [c, v] : customers)
      out += "c" + std::to_string(c) + "," + std::to_string(v.first) + "," + Money(v.second) + "\n";
    return out;
  }
  std::string Silver() const {
    int64_t total = 0;
    for (const auto& [id, o] : silver)
      total += o.cents;
    return "n,total\n" + std::to_string(silver.size()) + "," + Money(total) + "\n";
  }
};

class PipelineShapesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    pipeline_ = dir_.path() + "/p.sql";
  }

  // Writes the pipeline file and prepares the data directory with it (`strata check`).
  void WritePipeline(const std::string& text) {
    {
      std::ofstream f(pipeline_);
      f << text;
      ASSERT_TRUE(f.good());
    }
    Ok({"check", pipeline_, "--data", data_});
  }

  // Runs a command that must succeed without a checkpoint warning.
  std::string Ok(std::vector<std::string> args, std::string_view input = {}) {
    args.insert(args.begin(), STRATA_BINARY);
    ProcessResult r = testing::RunProcess(args, input);
    EXPECT_EQ(r.exit_code, 0) << args[1] << ": " << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr("strata: checkpoint:"))) << args[1];
    return r.out;
  }
  std::string Query(const std::string& sql, const std::string& runtime = "") {
    std::vector<std::string> args{"query", "--data", data_, sql, "--format", "csv"};
    if (!runtime.empty()) args.insert(args.end(), {"--runtime", runtime});
    return Ok(args);
  }
  // Ingests orders first..first+count-1 and adds them to the reference.
  void Ingest(int first, int count) {
    std::string lines;
    for (int i = first; i < first + count; ++i) {
      lines += Json(MakeOrder(i));
      reference_.Add(MakeOrder(i));
    }
    Ok({"ingest", "--data", data_, "--table", "bronze.orders"}, lines);
  }
  void Run() { Ok({"run", "--data", data_, "--pipeline", pipeline_, "--until-caught-up"}); }

  testing::TempDir dir_;
  std::string data_, pipeline_;
  Reference reference_;
};

const char* const kRevenue = "SELECT * FROM gold.revenue_hourly ORDER BY hour";
const char* const kCustomers = "SELECT * FROM gold.customers ORDER BY customer_id";
const char* const kCount = "SELECT count(*) AS n FROM gold.revenue_hourly";

// The reproduction of the issue: Kappa views only; `query --data` after `run` answered
// {"count": 0} because the checkpoint of a pipeline without a Lambda view was refused.
TEST_F(PipelineShapesCliTest, KappaOnlyAnswersAfterRunAndAcrossRestarts) {
  WritePipeline(std::string(kBronze) + kSilver + Views("kappa"));
  Ingest(0, 400);
  Run();
  EXPECT_EQ(Query(kCount), "n\n3\n");
  const std::string revenue = Query(kRevenue);
  EXPECT_EQ(revenue, reference_.Revenue());
  EXPECT_EQ(Query(kCustomers), reference_.Customers());
  // A second run resumes from the checkpoint: more input, the answers of the reference.
  Ingest(400, 300);
  Run();
  EXPECT_NE(Query(kRevenue), revenue);
  EXPECT_EQ(Query(kRevenue), reference_.Revenue());
  EXPECT_EQ(Query(kCustomers), reference_.Customers());
  // A run with nothing new changes nothing.
  Run();
  EXPECT_EQ(Query(kCustomers), reference_.Customers());
  EXPECT_THAT(Ok({"status", "--data", data_}), HasSubstr("\"last_seq\""));
}

TEST_F(PipelineShapesCliTest, LambdaOnlyAnswersBatchPlusSpeedAcrossRestarts) {
  WritePipeline(std::string(kBronze) + kSilver + Views("lambda"));
  Ingest(0, 300);
  Run();
  // No batch run yet: the speed path alone answers.
  EXPECT_EQ(Query(kRevenue), reference_.Revenue());
  Ok({"batch", "--data", data_, "--pipeline", pipeline_});
  const std::string batch = Query(kRevenue, "batch");
  EXPECT_EQ(batch, reference_.Revenue());
  Ingest(300, 200);
  Run();
  EXPECT_EQ(Query(kRevenue), reference_.Revenue());  // batch(T) + the speed path after T
  EXPECT_EQ(Query(kRevenue, "batch"), batch);        // the batch view has not moved
  EXPECT_EQ(Query(kCustomers), reference_.Customers());
  Ok({"batch", "--data", data_, "--pipeline", pipeline_});
  EXPECT_EQ(Query(kCustomers, "batch"), reference_.Customers());
  EXPECT_EQ(Query(kCustomers), reference_.Customers());
}

TEST_F(PipelineShapesCliTest, SilverWithoutGoldKeepsItsStateAcrossRuns) {
  WritePipeline(std::string(kBronze) + kSilver);
  Ingest(0, 100);
  Run();
  const char* count = "SELECT count(*) AS n, sum(amount) AS total FROM silver.orders";
  const char* quarantine = "SELECT count(*) AS q FROM silver.orders__quarantine";
  EXPECT_EQ(Query(count), reference_.Silver());
  EXPECT_EQ(Query(quarantine), "q\n" + std::to_string(reference_.quarantined) + "\n");
  Ingest(100, 100);
  Run();
  EXPECT_EQ(Query(count), reference_.Silver());
  EXPECT_EQ(Query(quarantine), "q\n" + std::to_string(reference_.quarantined) + "\n");
  EXPECT_EQ(reference_.quarantined, 4);
}

TEST_F(PipelineShapesCliTest, TwoBronzeTablesFeedingTwoSilverTables) {
  WritePipeline(std::string(kBronze) + kSilver + Views("kappa") + R"sql(
CREATE TABLE bronze.refunds (refund_id text, order_id text, amount numeric(10,2))
WITH (layer = 'bronze', key = 'refund_id', partitions = 3);
CREATE TABLE silver.refunds (refund_id text NOT NULL, order_id text, amount numeric(10,2),
                             PRIMARY KEY (refund_id))
WITH (layer = 'silver');
INSERT INTO silver.refunds SELECT refund_id, order_id, amount FROM bronze.refunds;
CREATE MATERIALIZED VIEW gold.refunded WITH (serving = 'lambda', batch_every = '1 day') AS
SELECT count(*) AS refunds, sum(amount) AS total FROM silver.refunds;
)sql");
  Ingest(0, 200);
  Ok({"ingest", "--data", data_, "--table", "bronze.refunds"},
     R"({"refund_id":"r1","order_id":"o1","amount":1.50})"
     "\n"
     R"({"refund_id":"r2","order_id":"o2","amount":2.25})"
     "\n");
  Run();
  const char* refunded = "SELECT * FROM gold.refunded";
  EXPECT_EQ(Query(refunded), "refunds,total\n2,3.75\n");
  Ok({"ingest", "--data", data_, "--table", "bronze.refunds"},
     R"({"refund_id":"r1","order_id":"o1","amount":1.00})"
     "\n");
  Run();
  EXPECT_EQ(Query(refunded), "refunds,total\n2,3.25\n");
  EXPECT_EQ(Query(kRevenue), reference_.Revenue());
}

}  // namespace
}  // namespace strata
