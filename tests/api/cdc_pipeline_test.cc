// A pipeline fed by change data capture from a real PostgreSQL 15 (scripts/pg_test_server.sh
// starts a throwaway one), run the way `strata server` runs it: a Store, an Engine and a
// PipelineService whose connector thread streams the source table into bronze while the
// speed path, batch runs and publications keep the gold views current.
//
// The pipeline is examples/postgres_cdc.sql itself (conninfo pointed at the test server) plus
// a second silver table that deduplicates by updated_at (dedupe_order; the source table has
// REPLICA IDENTITY FULL so that deletes carry it) with its own Lambda and Kappa views.
//
// The oracle: after inserts, updates, deletes, a primary key change, several changes in one
// transaction, a transaction of thousands of rows and a restart of strata's side while
// changes keep committing, bronze holds exactly one record per row change (nothing lost,
// nothing stored twice), and every gold view strata serves equals, row for row and as
// text, the same aggregate computed by PostgreSQL over the source table. Drift is zero.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/ingest.h"
#include "catalog/schema_registry.h"
#include "common/file_system.h"
#include "common/filename.h"
#include "connect/pg_connection.h"
#include "log/store.h"
#include "quality/reconcile.h"
#include "runtime/query.h"
#include "runtime/runner.h"
#include "serve/engine.h"
#include "serve/pipeline_service.h"
#include "testing/pg_server.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata::api {

using serve::PipelineService;  // the threads that keep an engine moving
using serve::PipelineServiceOptions;
namespace {

using testing::FreePort;
using testing::PgServer;

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using Rows = std::vector<std::vector<std::string>>;

constexpr char kNull[] = "<null>";
// The conninfo examples/postgres_cdc.sql is written with; the test points it at its server.
constexpr char kExampleConninfo[] = "host=127.0.0.1 port=5432 dbname=shop user=strata_cdc";

std::string ReadExample(const std::string& name = "postgres_cdc.sql") {
  std::string text;
  Status s =
      FileSystem::Default()->ReadFile(std::string(STRATA_SOURCE_DIR) + "/examples/" + name, &text);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return text;
}

// examples/`name` with its conninfo pointed at `conninfo`.
std::string ExampleAt(const std::string& name, const std::string& conninfo) {
  std::string sql = ReadExample(name);
  const size_t at = sql.find(kExampleConninfo);
  EXPECT_NE(at, std::string::npos) << "examples/" << name << " no longer uses " << kExampleConninfo;
  if (at != std::string::npos) sql.replace(at, std::string(kExampleConninfo).size(), conninfo);
  return sql;
}

// The example's pipeline against `conninfo`, plus a silver table deduplicated by updated_at
// and two views over it.
std::string Pipeline(const std::string& conninfo) {
  return ExampleAt("postgres_cdc.sql", conninfo) + R"sql(
CREATE TABLE silver.orders_latest (
  order_id bigint NOT NULL, customer text NOT NULL,
  amount numeric(12,2) NOT NULL CHECK (amount >= 0),
  status text NOT NULL, updated_at timestamp NOT NULL, PRIMARY KEY (order_id)
) WITH (layer = 'silver', dedupe_order = 'updated_at', on_violation = 'quarantine');

INSERT INTO silver.orders_latest
SELECT order_id, customer, amount, status, updated_at FROM bronze.orders;

CREATE MATERIALIZED VIEW gold.latest_by_status WITH (serving = 'lambda', batch_every = '1 second') AS
SELECT status, sum(amount) AS revenue, count(*) AS orders, count(DISTINCT customer) AS customers
FROM silver.orders_latest GROUP BY status;

CREATE MATERIALIZED VIEW gold.latest_by_customer WITH (serving = 'kappa') AS
SELECT customer, count(*) AS orders, sum(amount) AS spent, min(amount) AS smallest
FROM silver.orders_latest GROUP BY customer;
)sql";
}

// Each gold view with what strata is asked and the same aggregate in PostgreSQL. The CHECK
// (amount >= 0) quarantines some rows: the oracle leaves them out the same way.
struct ViewOracle {
  const char* view;
  const char* strata;
  const char* postgres;
};
constexpr ViewOracle kViews[] = {
    {"gold.orders_by_status", "SELECT * FROM gold.orders_by_status ORDER BY status",
     "SELECT status, count(*), sum(amount), count(DISTINCT customer) FROM orders "
     "WHERE amount >= 0 GROUP BY status ORDER BY status"},
    {"gold.customer_totals", "SELECT * FROM gold.customer_totals ORDER BY customer",
     "SELECT customer, count(*), sum(amount), max(amount) FROM orders "
     "WHERE amount >= 0 AND status <> 'cancelled' GROUP BY customer ORDER BY customer"},
    {"gold.latest_by_status", "SELECT * FROM gold.latest_by_status ORDER BY status",
     "SELECT status, sum(amount), count(*), count(DISTINCT customer) FROM orders "
     "WHERE amount >= 0 GROUP BY status ORDER BY status"},
    {"gold.latest_by_customer", "SELECT * FROM gold.latest_by_customer ORDER BY customer",
     "SELECT customer, count(*), sum(amount), min(amount) FROM orders "
     "WHERE amount >= 0 GROUP BY customer ORDER BY customer"},
};

std::string Show(const Rows& rows) {
  std::string out;
  for (size_t i = 0; i < rows.size() && i < 40; ++i) {
    for (size_t c = 0; c < rows[i].size(); ++c)
      out += (c ? " | " : "  ") + rows[i][c];
    out += "\n";
  }
  return out + (rows.size() > 40 ? "  ...\n" : "");
}

// A SQL session that counts the rows its statements change: bronze must end up with one
// record per row change.
class Session {
 public:
  explicit Session(const std::string& conninfo) {
    auto conn = connect::PgConnection::Connect(conninfo, false);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (conn.ok()) conn_ = std::move(*conn);
  }
  bool ok() const { return conn_ != nullptr; }

  // Runs one statement; returns the rows it changed (0 for others).
  uint64_t Run(const std::string& sql) {
    if (!conn_) return 0;
    auto r = conn_->Exec(sql, "test SQL");
    EXPECT_TRUE(r.ok()) << sql << "\n" << r.status().ToString();
    if (!r.ok()) return 0;
    const char* n = PQcmdTuples(r->get());
    return n[0] == '\0' ? 0 : std::strtoull(n, nullptr, 10);
  }
  // One transaction of several statements.
  uint64_t Transaction(const std::vector<std::string>& statements) {
    uint64_t changed = 0;
    Run("BEGIN");
    for (const std::string& s : statements)
      changed += Run(s);
    Run("COMMIT");
    return changed;
  }
  Rows Query(const std::string& sql) {
    Rows rows;
    if (!conn_) return rows;
    auto r = conn_->Exec(sql, "test query");
    EXPECT_TRUE(r.ok()) << sql << "\n" << r.status().ToString();
    if (!r.ok()) return rows;
    for (int i = 0; i < r->rows(); ++i) {
      std::vector<std::string>& row = rows.emplace_back();
      for (int c = 0; c < r->columns(); ++c)
        row.push_back(r->IsNull(i, c) ? kNull : std::string(r->Value(i, c)));
    }
    return rows;
  }

 private:
  std::unique_ptr<connect::PgConnection> conn_;
};

class CdcPipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new PgServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(server_->ok()) << "PostgreSQL 15 could not be started by "
                                  "scripts/pg_test_server.sh: "
                               << server_->error();
    sql_ = Pipeline(server_->conninfo());
  }
  void TearDown() override { Shutdown(); }

  // The stack of `strata server --data DIR --pipeline FILE`, without HTTP.
  void StartStrata() {
    auto store = log::Store::Open(data(), {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto plan = runtime::LoadPipeline(sql_, "postgres_cdc.sql");
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    Status s = runtime::EnsureBronzeTables(store_.get(), *plan);
    ASSERT_TRUE(s.ok()) << s.ToString();
    runtime::PipelinePaths paths(data());
    ASSERT_TRUE(FileSystem::Default()->CreateDirs(paths.dir).ok());
    ASSERT_TRUE(FileSystem::Default()->WriteFileAtomic(paths.sql, sql_).ok());
    auto engine = serve::Engine::Open(store_.get(), data(), sql_, paths.sql);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
    auto bronze = store_->GetTable(plan->bronze[0].name);
    ASSERT_TRUE(bronze.ok()) << bronze.status().ToString();
    bronze_ = *bronze;

    PipelineServiceOptions options;
    options.batch_every = 1'000'000;
    options.publish_every = 200'000;
    options.checkpoint_every = 1'000'000;
    options.store = store_.get();
    options.data_dir = data();
    options.cdc_poll = 20'000;
    options.cdc_retry_min = 100'000;
    service_ = std::make_unique<PipelineService>(engine_.get(), options);
    service_->Start();
  }

  // Stops the service, then closes the engine and the store (a clean stop of the server).
  void Shutdown() {
    if (service_) {
      const Clock::time_point start = Clock::now();
      Status s = service_->Stop();
      EXPECT_TRUE(s.ok()) << s.ToString();
      EXPECT_LT(Clock::now() - start, std::chrono::seconds(2)) << "Stop took too long";
      EXPECT_EQ(service_->stats().last_error, "");
      EXPECT_EQ(service_->stats().cdc_failures, 0u);
    }
    service_.reset();
    engine_.reset();
    bronze_ = nullptr;
    store_.reset();
  }

  std::string data() const { return dir_.Sub("data"); }

  uint64_t BronzeRecords() const {
    uint64_t n = 0;
    for (uint32_t p = 0; p < bronze_->partition_count(); ++p)
      n += bronze_->partition(p).end_offset();
    return n;
  }

  // Waits until bronze holds `n` records (20 s at most), then a little longer to see that
  // no more arrive.
  void ExpectBronzeRecords(uint64_t n) {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (BronzeRecords() < n && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(BronzeRecords(), n) << "bronze should hold one record per row change; last error: "
                                  << service_->stats().last_error;
  }

  bool WaitCaughtUp() {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (!engine_->CaughtUp() && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return engine_->CaughtUp();
  }

  Rows StrataRows(const std::string& sql) {
    Rows rows;
    auto r = engine_->Query(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    if (!r.ok()) return rows;
    for (size_t i = 0; i < r->rows.num_rows(); ++i) {
      std::vector<std::string>& row = rows.emplace_back();
      for (size_t c = 0; c < r->names.size(); ++c) {
        Value v = r->rows.columns[c].GetValue(i);
        row.push_back(v.is_null() ? kNull : v.ToString(r->types[c]));
      }
    }
    return rows;
  }

  // View `v` as strata serves it equals PostgreSQL's answer (at least `min_rows` rows), and
  // its drift is nil.
  void ExpectViewMatches(Session& db, const ViewOracle& v, size_t min_rows) {
    SCOPED_TRACE(v.view);
    const Rows expected = db.Query(v.postgres);
    const Rows actual = StrataRows(v.strata);
    EXPECT_GE(expected.size(), min_rows);
    EXPECT_EQ(actual, expected) << "strata:\n" << Show(actual) << "PostgreSQL:\n" << Show(expected);
    auto drift = quality::Drift(*engine_, v.view);
    ASSERT_TRUE(drift.ok()) << drift.status().ToString();
    EXPECT_TRUE(drift->identical()) << drift->ToText();
  }

  static PgServer* server_;
  testing::TempDir dir_;
  std::string sql_;
  std::unique_ptr<log::Store> store_;
  std::unique_ptr<serve::Engine> engine_;
  std::unique_ptr<PipelineService> service_;
  log::Table* bronze_ = nullptr;
};

PgServer* CdcPipelineTest::server_ = nullptr;

TEST_F(CdcPipelineTest, GoldViewsEqualPostgresAggregatesThroughChangesAndRestart) {
  Session db(server_->conninfo());
  ASSERT_TRUE(db.ok());
  db.Run(
      "CREATE TABLE public.orders (order_id int PRIMARY KEY, customer text NOT NULL, "
      "amount numeric(12,2) NOT NULL, status text NOT NULL, "
      "updated_at timestamptz NOT NULL DEFAULT now())");
  db.Run("ALTER TABLE public.orders REPLICA IDENTITY FULL");
  // 300 rows before strata starts: the initial snapshot.
  const uint64_t snapshot = db.Run(
      "INSERT INTO orders SELECT i, 'c' || (i % 23), (i * 37 % 10000) / 100.0, "
      "(ARRAY['created','paid','shipped','cancelled'])[i % 4 + 1], "
      "timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second' "
      "FROM generate_series(1, 300) i");
  ASSERT_EQ(snapshot, 300u);
  ASSERT_NO_FATAL_FAILURE(StartStrata());
  ASSERT_NO_FATAL_FAILURE(ExpectBronzeRecords(snapshot));
  uint64_t changes = snapshot;

  // Single-row transactions: inserts, updates, deletes.
  for (int i = 0; i < 10; ++i) {
    changes += db.Run("INSERT INTO orders VALUES (" + std::to_string(1000 + i) + ", 'c" +
                      std::to_string(i % 5) + "', " + std::to_string(i) + ".25, 'created', now())");
  }
  for (int i = 0; i < 10; ++i) {
    changes += db.Run(
        "UPDATE orders SET status = 'paid', amount = amount + 1, updated_at = now() "
        "WHERE order_id = " +
        std::to_string(1000 + i));
  }
  for (int id : {1, 2, 3, 1001, 1002})
    changes += db.Run("DELETE FROM orders WHERE order_id = " + std::to_string(id));
  // A primary key change: a delete of the old key and an insert of the new one.
  changes += 1 + db.Run(
                     "UPDATE orders SET order_id = 100000, updated_at = now() "
                     "WHERE order_id = 5");
  // Several changes in one transaction, one key inserted, updated twice and deleted in it.
  changes += db.Transaction({
      "INSERT INTO orders VALUES (2000, 'c1', 10.00, 'created', now()), "
      "(2001, 'c2', 20.00, 'created', now())",
      "UPDATE orders SET amount = 11.50, updated_at = now() WHERE order_id = 2000",
      "UPDATE orders SET status = 'shipped', updated_at = now() WHERE order_id = 2000",
      "UPDATE orders SET customer = 'c9', updated_at = now() WHERE order_id BETWEEN 10 AND 19",
      "DELETE FROM orders WHERE order_id = 2001",
      "DELETE FROM orders WHERE order_id BETWEEN 20 AND 24",
  });
  // Rows that break silver's CHECK (amount >= 0): quarantined, left out of gold.
  changes += db.Transaction({"INSERT INTO orders VALUES (3000, 'c3', -1.00, 'paid', now())",
                             "INSERT INTO orders VALUES (3001, 'c4', -2.50, 'created', now())"});
  ASSERT_NO_FATAL_FAILURE(ExpectBronzeRecords(changes));

  // Changes keep committing (on another connection) while strata stops and starts again;
  // a transaction of 4,500 row changes commits while it is down.
  std::atomic<uint64_t> writer_changes{0};
  std::atomic<int> writer_done{0};
  std::thread writer([&] {
    Session w(server_->conninfo());
    for (int i = 0; i < 300 && w.ok(); ++i) {
      const std::string id = std::to_string(30 + i % 270);
      if (i % 10 == 9) {
        writer_changes +=
            w.Run("INSERT INTO orders VALUES (" + std::to_string(5000 + i) + ", 'c" +
                  std::to_string(i % 17) + "', " + std::to_string(i % 50) + ".75, 'paid', now())");
      } else if (i % 25 == 24) {
        writer_changes += w.Run("DELETE FROM orders WHERE order_id = " + id);
      } else {
        writer_changes += w.Run(
            "UPDATE orders SET amount = amount + 0.10, status = (ARRAY['created','paid',"
            "'shipped','cancelled'])[" +
            std::to_string(i % 4 + 1) + "], updated_at = now() WHERE order_id = " + id);
      }
      ++writer_done;
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (writer_done < 80 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Shutdown();
  const int done_at_stop = writer_done;
  changes += db.Transaction({
      "INSERT INTO orders SELECT i, 'c' || (i % 31), (i % 997) / 10.0, 'created', now() "
      "FROM generate_series(10000, 12999) i",
      "UPDATE orders SET status = 'paid', updated_at = now() WHERE order_id BETWEEN 10000 AND "
      "10999",
      "DELETE FROM orders WHERE order_id BETWEEN 12000 AND 12499",
  });
  ASSERT_NO_FATAL_FAILURE(StartStrata());
  writer.join();
  EXPECT_LT(done_at_stop, 300) << "the writer finished before strata stopped";
  changes += writer_changes;
  // And after the restart.
  changes += db.Transaction({"DELETE FROM orders WHERE order_id BETWEEN 100 AND 109",
                             "UPDATE orders SET status = 'cancelled', updated_at = now() "
                             "WHERE order_id BETWEEN 110 AND 119"});
  ASSERT_NO_FATAL_FAILURE(ExpectBronzeRecords(changes));
  ASSERT_TRUE(WaitCaughtUp());
  // The Lambda views answer batch(T) + the speed path after T: wait for a batch run.
  const auto batch_deadline = Clock::now() + std::chrono::seconds(5);
  while (service_->stats().batch_runs == 0 && Clock::now() < batch_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GT(service_->stats().batch_runs, 0u);

  for (const ViewOracle& v : kViews)
    ExpectViewMatches(db, v, 4);
  // Silver holds the source's valid rows; the two that break the CHECK are quarantined.
  for (const char* silver : {"silver.orders", "silver.orders_latest"}) {
    EXPECT_EQ(StrataRows("SELECT count(*) FROM " + std::string(silver)),
              db.Query("SELECT count(*) FROM orders WHERE amount >= 0"));
    EXPECT_EQ(StrataRows("SELECT constraint_name, count(*) FROM " + std::string(silver) +
                         "__quarantine GROUP BY 1"),
              (Rows{{std::string(silver).substr(7) + "_amount_check", "2"}}));
  }
  EXPECT_TRUE(FileSystem::Default()->Exists(filename::SchemaHistory(data(), "bronze.orders")));
}

// Schema changes in the source (the schema registry, catalog/schema_registry.h, and the
// guard of runtime/schema_guard.h): a nullable column added is a compatible new version and
// the views keep matching PostgreSQL; a column silver reads dropped stops silver.items and
// its view with an error naming table, column and versions, while bronze keeps every
// change; a restart with SQL that no longer reads the column recomputes from bronze and
// matches PostgreSQL again.
std::string ItemsPipeline(const std::string& conninfo, bool with_region) {
  const std::string region_col = with_region ? ", region text" : "";
  return "CREATE TABLE bronze.items (id bigint, customer text, amount numeric(12,2)" + region_col +
         ") WITH (layer = 'bronze', connector = 'postgres-cdc', format = 'debezium', "
         "conninfo = '" +
         conninfo +
         "', source_table = 'public.items', key = 'id', partitions = 2, "
         "compatibility = 'full');\n"
         "CREATE TABLE silver.items (id bigint NOT NULL, customer text NOT NULL, "
         "amount numeric(12,2) NOT NULL" +
         (with_region ? ", region text NOT NULL" : "") +
         ", PRIMARY KEY (id)) WITH (layer = 'silver');\n"
         "INSERT INTO silver.items SELECT id, customer, amount" +
         (with_region ? ", region" : "") +
         " FROM bronze.items;\n"
         "CREATE MATERIALIZED VIEW gold.items_by_customer WITH (serving = 'kappa') AS "
         "SELECT customer, count(*) AS n, sum(amount) AS total FROM silver.items "
         "GROUP BY customer;\n";
}

TEST_F(CdcPipelineTest, SchemaChangesCompatibleContinueIncompatibleStopThenResume) {
  Session db(server_->conninfo());
  ASSERT_TRUE(db.ok());
  db.Run(
      "CREATE TABLE public.items (id int PRIMARY KEY, customer text NOT NULL, "
      "amount numeric(12,2) NOT NULL, region text NOT NULL)");
  uint64_t changes = db.Run(
      "INSERT INTO items SELECT i, 'c' || (i % 7), i * 1.25, 'r' || (i % 3) "
      "FROM generate_series(1, 50) i");
  const char* kOracle =
      "SELECT customer, count(*), sum(amount) FROM items GROUP BY customer ORDER BY customer";
  const char* kStrata = "SELECT * FROM gold.items_by_customer ORDER BY customer";
  auto expect_views_match = [&] {
    ASSERT_TRUE(WaitCaughtUp()) << service_->stats().last_error;
    const Rows expected = db.Query(kOracle);
    EXPECT_EQ(StrataRows(kStrata), expected) << "PostgreSQL:\n" << Show(expected);
  };
  sql_ = ItemsPipeline(server_->conninfo(), /*with_region=*/true);
  ASSERT_NO_FATAL_FAILURE(StartStrata());
  ASSERT_NO_FATAL_FAILURE(ExpectBronzeRecords(changes));
  ASSERT_NO_FATAL_FAILURE(expect_views_match());

  // Compatible: a nullable column added. Version 2; everything keeps running.
  db.Run("ALTER TABLE items ADD COLUMN note text");
  changes += db.Run(
      "INSERT INTO items VALUES (100, 'c1', 9.50, 'r1', 'hello'), "
      "(101, 'c2', 1.00, 'r2', NULL)");
  changes += db.Run("UPDATE items SET amount = amount + 1 WHERE id <= 5");
  ASSERT_NO_FATAL_FAILURE(ExpectBronzeRecords(changes));
  ASSERT_NO_FATAL_FAILURE(expect_views_match());
  EXPECT_EQ(service_->stats().last_error, "");
  const std::string history = filename::SchemaHistory(data(), "bronze.items");
  auto v2 = catalog::LoadSchemaHistory(FileSystem::Default(), history);
  ASSERT_TRUE(v2.ok() && v2->has_value()) << v2.status().ToString();
  ASSERT_EQ((*v2)->versions.size(), 2u);
  EXPECT_TRUE((*v2)->versions[1].compatible);
  EXPECT_EQ((*v2)->versions[1].change, "added nullable column note");
  EXPECT_EQ((*v2)->compatibility, catalog::Compatibility::kFull);

  // Incompatible: a column silver reads is dropped. silver.items stops; bronze goes on.
  const Rows before_drop = StrataRows(kStrata);
  db.Run("ALTER TABLE items DROP COLUMN region");
  changes += db.Run("INSERT INTO items VALUES (200, 'c3', 3.00, NULL), (201, 'c4', 4.00, 'x')");
  changes += db.Run("DELETE FROM items WHERE id = 10");
  ASSERT_NO_FATAL_FAILURE(ExpectBronzeRecords(changes));
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (service_->stats().last_error.empty() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const std::string error = service_->stats().last_error;
  EXPECT_THAT(error, HasSubstr("bronze.items: schema version 3 of public.items dropped column "
                               "region (text) (version 2 had it), which silver.items reads"));
  EXPECT_THAT(error, HasSubstr("stopped at partition"));
  EXPECT_FALSE(engine_->CaughtUp());
  EXPECT_EQ(StrataRows(kStrata), before_drop);  // the view stopped where the path stopped
  // PostgreSQL keeps changing; bronze keeps every change.
  changes += db.Run("UPDATE items SET amount = amount * 2 WHERE id BETWEEN 20 AND 29");
  ASSERT_NO_FATAL_FAILURE(ExpectBronzeRecords(changes));
  EXPECT_EQ(StrataRows(kStrata), before_drop);
  testing::ProcessResult shown =
      testing::RunProcess({STRATA_BINARY, "schemas", "--data", data(), "bronze.items"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("bronze.items: 3 schema version(s), compatibility FULL"));
  EXPECT_THAT(shown.out, HasSubstr("compatible: added nullable column note"));
  EXPECT_THAT(shown.out,
              HasSubstr("INCOMPATIBLE: dropped NOT NULL column region (refused by FULL)"));
  EXPECT_THAT(shown.out, HasSubstr("    id integer NOT NULL (key)\n"));

  // The server stops; the pipeline is updated (silver no longer reads region), its state
  // recomputed from bronze, and the views catch up with PostgreSQL.
  EXPECT_TRUE(service_->Stop().ok());
  service_.reset();
  engine_.reset();
  store_.reset();
  runtime::PipelinePaths paths(data());
  for (const std::string& state : {paths.streaming, paths.batch}) {
    if (FileSystem::Default()->Exists(state)) {
      ASSERT_TRUE(FileSystem::Default()->Remove(state).ok());
    }
  }
  sql_ = ItemsPipeline(server_->conninfo(), /*with_region=*/false);
  ASSERT_NO_FATAL_FAILURE(StartStrata());
  changes += db.Run("INSERT INTO items VALUES (300, 'c5', 5.55, NULL)");
  ASSERT_NO_FATAL_FAILURE(ExpectBronzeRecords(changes));
  ASSERT_NO_FATAL_FAILURE(expect_views_match());
  EXPECT_EQ(service_->stats().last_error, "");
}

// Without a server to connect to, the connector's failures are reported through the
// service (and retried with a backoff), and Stop is still prompt. Without a store, the
// service says why no connector runs.
TEST(CdcPipelineService, ReportsConnectorFailuresAndStopsPromptly) {
  testing::TempDir dir;
  const std::string sql = Pipeline("host=127.0.0.1 port=" + std::to_string(FreePort()) +
                                   " user=postgres dbname=postgres connect_timeout=2");
  auto store = log::Store::Open(dir.Sub("data"), {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto plan = runtime::LoadPipeline(sql, "postgres_cdc.sql");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_TRUE(runtime::EnsureBronzeTables(store->get(), *plan).ok());
  auto engine = serve::Engine::Open(store->get(), dir.Sub("data"), sql, "postgres_cdc.sql");
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  {
    PipelineServiceOptions options;
    options.store = store->get();
    options.data_dir = dir.Sub("data");
    options.cdc_retry_min = 50'000;
    PipelineService service(engine->get(), options);
    service.Start();
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (service.stats().cdc_failures < 2 && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_GE(service.stats().cdc_failures, 2u);  // retried
    EXPECT_EQ(service.stats().cdc_connectors, 1u);
    EXPECT_THAT(service.stats().last_error,
                HasSubstr("bronze.orders <- postgres public.orders: connecting to PostgreSQL"));
    const Clock::time_point start = Clock::now();
    EXPECT_TRUE(service.Stop().ok());
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  }
  PipelineService unwired(engine->get(), PipelineServiceOptions{});
  unwired.Start();
  EXPECT_EQ(unwired.stats().last_error,
            "bronze.orders: the pipeline service was started without the store and data "
            "directory that a postgres-cdc table needs");
  EXPECT_EQ(unwired.stats().cdc_connectors, 0u);
  EXPECT_TRUE(unwired.Stop().ok());
}

TEST(CdcPipelineExample, ChecksAndShowsTheSourceWithoutPassword) {
  const std::string example = std::string(STRATA_SOURCE_DIR) + "/examples/postgres_cdc.sql";
  testing::ProcessResult r = testing::RunProcess({STRATA_BINARY, "check", example});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("  key (order_id)\n  format debezium\n  connector postgres-cdc\n"
                               "  4 partitions\n"));
  EXPECT_THAT(r.out, HasSubstr("  source public.orders, slot strata_orders, publication "
                               "strata_orders\n"));
  EXPECT_THAT(r.out, HasSubstr(std::string("conninfo '") + kExampleConninfo + "'"));
}

// examples/enrichment.sql as the README runs it: orders posted as JSON lines, joined with
// customers followed by CDC from a real PostgreSQL while they are inserted, moved to other
// regions, deleted and added. The judge is PostgreSQL computing the views' SQL over the same
// orders (loaded into a table of its own) and its customers table.
TEST_F(CdcPipelineTest, EnrichmentExampleJoinsOrdersWithCustomersFollowedByCdc) {
  Session db(server_->conninfo());
  ASSERT_TRUE(db.ok());
  db.Run(
      "CREATE TABLE public.customers (id int PRIMARY KEY, name text NOT NULL, "
      "region text NOT NULL, segment text NOT NULL)");
  db.Run(
      "CREATE TABLE public.judged_orders (order_id text PRIMARY KEY, customer_id bigint, "
      "amount numeric(12,2), status text)");
  uint64_t customer_changes = db.Run(
      "INSERT INTO customers SELECT i, 'name' || i, (ARRAY['EU','US','APAC'])[i % 3 + 1], "
      "(ARRAY['smb','enterprise'])[i % 2 + 1] FROM generate_series(1, 40) i");
  sql_ = ExampleAt("enrichment.sql", server_->conninfo());
  ASSERT_NO_FATAL_FAILURE(StartStrata());
  auto customers = store_->GetTable("bronze.customers");
  ASSERT_TRUE(customers.ok()) << customers.status().ToString();
  auto orders = store_->GetTable("bronze.orders");
  ASSERT_TRUE(orders.ok()) << orders.status().ToString();

  // Every change of the customers table is one bronze record.
  auto wait_for_customers = [&] {
    auto records = [&] {
      uint64_t n = 0;
      for (uint32_t p = 0; p < (*customers)->partition_count(); ++p)
        n += (*customers)->partition(p).end_offset();
      return n;
    };
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (records() < customer_changes && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(records(), customer_changes) << service_->stats().last_error;
  };
  ASSERT_NO_FATAL_FAILURE(wait_for_customers());  // the initial snapshot

  // Orders of customers 1..49 (45..49 unknown at first) and some without a customer; the
  // second round gives 60 of them a new version (a later event_ts wins).
  auto post_orders = [&](int round) {
    std::string body;
    std::vector<std::string> values;
    for (int i = 0; i < 300; ++i) {
      if (round == 1 && i % 5 != 0) continue;
      const std::string id = "o" + std::to_string(i);
      const std::string customer = i % 37 == 0 ? "null" : std::to_string(1 + i % 49);
      const std::string amount =
          std::to_string(i % 90 + round) + "." + std::to_string(i % 10) + "5";
      const std::string status = (i + round) % 7 == 0 ? "cancelled" : "paid";
      body += "{\"order_id\":\"" + id + "\",\"customer_id\":" + customer + ",\"amount\":" + amount +
              ",\"status\":\"" + status + "\",\"event_ts\":\"2026-01-01 0" + std::to_string(round) +
              ":00:00\"}\n";
      values.push_back("('" + id + "', " + (customer == "null" ? "NULL" : customer) + ", " +
                       amount + ", '" + status + "')");
    }
    auto r = IngestBody(*orders, body, "http", "test:");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::string rows;
    for (const std::string& v : values)
      rows += (rows.empty() ? "" : ", ") + v;
    db.Run("INSERT INTO judged_orders VALUES " + rows +
           " ON CONFLICT (order_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, "
           "amount = EXCLUDED.amount, status = EXCLUDED.status");
  };
  ASSERT_NO_FATAL_FAILURE(post_orders(0));
  // Customers move, leave and arrive while orders keep coming.
  customer_changes += db.Run("UPDATE customers SET region = 'LATAM' WHERE id % 5 = 0");
  customer_changes += db.Run("DELETE FROM customers WHERE id IN (3, 4, 17)");
  customer_changes +=
      db.Run("INSERT INTO customers VALUES (45, 'late', 'EU', 'smb'), (46, 'later', 'US', 'smb')");
  ASSERT_NO_FATAL_FAILURE(post_orders(1));
  customer_changes += db.Run("UPDATE customers SET segment = 'smb' WHERE id = 2");

  ASSERT_NO_FATAL_FAILURE(wait_for_customers());
  ASSERT_TRUE(WaitCaughtUp());
  const uint64_t runs = service_->stats().batch_runs;
  const auto batch_deadline = Clock::now() + std::chrono::seconds(5);
  while (service_->stats().batch_runs == runs && Clock::now() < batch_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));

  const ViewOracle views[] = {
      {"gold.revenue_by_region", "SELECT * FROM gold.revenue_by_region ORDER BY region",
       "SELECT c.region, count(*), sum(o.amount) FROM judged_orders o LEFT JOIN customers c "
       "ON o.customer_id = c.id WHERE o.status <> 'cancelled' GROUP BY c.region ORDER BY 1"},
      {"gold.segments", "SELECT * FROM gold.segments ORDER BY segment",
       "SELECT c.segment, count(DISTINCT c.id), count(*), sum(o.amount) FROM judged_orders o "
       "JOIN customers c ON o.customer_id = c.id GROUP BY c.segment ORDER BY 1"},
  };
  for (const ViewOracle& v : views)
    ExpectViewMatches(db, v, 2);
  // Each join's state: silver.orders_enriched's holds the 291 orders with a customer id
  // (nine have none, and a NULL key is not kept) under 49 customer ids, and the 39 customers
  // there are now; the view's, whose WHERE o.status <> 'cancelled' runs before its join, the
  // 250 of those orders not cancelled.
  const std::string status = engine_->StatusJson();
  EXPECT_THAT(status, ContainsRegex(R"("name": "gold.revenue_by_region"[^}]*"join": )"
                                    R"(\{"type": "LEFT JOIN", "keys": 88, "rows": 289, )"));
  EXPECT_THAT(status, ContainsRegex(R"("name": "silver.orders_enriched"[^}]*"join": )"
                                    R"(\{"type": "LEFT JOIN", "keys": 88, "rows": 330, )"));
  // The enriched silver table holds one row per order, joined as PostgreSQL joins them.
  const Rows enriched = StrataRows(
      "SELECT order_id, coalesce(region, '-'), coalesce(segment, '-'), amount "
      "FROM silver.orders_enriched ORDER BY order_id");
  const Rows joined = db.Query(
      "SELECT o.order_id, coalesce(c.region, '-'), coalesce(c.segment, '-'), o.amount FROM "
      "judged_orders o LEFT JOIN customers c ON o.customer_id = c.id "
      "ORDER BY o.order_id COLLATE \"C\"");
  EXPECT_EQ(joined.size(), 300u);
  EXPECT_EQ(enriched, joined) << "strata:\n" << Show(enriched) << "PostgreSQL:\n" << Show(joined);
}

}  // namespace
}  // namespace strata::api
