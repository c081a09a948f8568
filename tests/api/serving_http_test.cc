// The serving routes of the HTTP API (api/http_server.h) over a real engine kept moving by a
// PipelineService, in-process over loopback: ingest over HTTP, then queries, versions, time
// travel, a Kappa replay with changed logic while ingest continues, validate, cutover,
// rollback, drift and status. Every expected answer is computed by hand from the events
// below, independently of the engine.
#include <httplib.h>
#include <simdjson.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/client.h"
#include "api/http_server.h"
#include "common/file_system.h"
#include "common/json_writer.h"
#include "log/store.h"
#include "runtime/query.h"
#include "runtime/runner.h"
#include "serve/engine.h"
#include "serve/pipeline_service.h"
#include "testing/temp_dir.h"

namespace strata::api {

using serve::PipelineService;
using serve::PipelineServiceOptions;
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kLambda = "gold.by_customer";
constexpr const char* kKappa = "gold.kappa_customer";

// bronze (json, 2 partitions) → silver (primary key, dedupe by ts, CHECK, a filter) → a
// Lambda and a Kappa gold view. `kappa_where` changes the Kappa view's logic.
std::string Pipeline(const std::string& kappa_where = "") {
  return R"sql(
CREATE TABLE bronze.orders (id text, customer text, amount numeric(12,2), qty bigint, ts timestamp)
WITH (layer = 'bronze', format = 'json', key = 'id', partitions = 2);

CREATE TABLE silver.orders (
  id text NOT NULL, customer text NOT NULL, amount numeric(12,2) CHECK (amount > 0),
  qty bigint, ts timestamp NOT NULL, PRIMARY KEY (id)
) WITH (layer = 'silver', dedupe_order = 'ts', on_violation = 'quarantine');

INSERT INTO silver.orders
SELECT id, customer, amount, qty, ts FROM bronze.orders WHERE customer <> 'test';

CREATE MATERIALIZED VIEW gold.by_customer WITH (serving = 'lambda', batch_every = '1 second') AS
SELECT customer, count(*) AS orders, sum(amount) AS revenue FROM silver.orders GROUP BY customer;

CREATE MATERIALIZED VIEW gold.kappa_customer WITH (serving = 'kappa') AS
SELECT customer, count(*) AS orders, sum(amount) AS revenue, sum(qty) AS items
FROM silver.orders )sql" +
         kappa_where + R"sql( GROUP BY customer;
)sql";
}

std::string Event(const std::string& id, const std::string& customer, const std::string& amount,
                  int qty, int second) {
  char ts[32];
  std::snprintf(ts, sizeof(ts), "2026-01-01 00:%02d:%02d", second / 60, second % 60);
  return "{\"id\":\"" + id + "\",\"customer\":\"" + customer + "\",\"amount\":" + amount +
         ",\"qty\":" + std::to_string(qty) + ",\"ts\":\"" + ts + "\"}\n";
}

// Eight events: an update of o2 (later ts wins), an older version of o1 (loses), a CHECK
// violation (o4, quarantined) and a filtered customer (o7). Silver then holds
//   o1 alice 10.25 qty 1 | o2 bob 25.00 qty 2 | o3 alice 5.10 qty 3 | o5 carol 7.00 qty 5
std::string FirstEvents() {
  return Event("o1", "alice", "10.25", 1, 1) + Event("o2", "bob", "20.00", 2, 2) +
         Event("o3", "alice", "5.10", 3, 3) + Event("o2", "bob", "25.00", 2, 4) +
         Event("o4", "carol", "-1.00", 1, 5) + Event("o5", "carol", "7.00", 5, 6) +
         Event("o1", "alice", "99.00", 1, 0) + Event("o7", "test", "1.00", 1, 7);
}
constexpr uint64_t kFirstCount = 8;

// by_customer and kappa_customer after FirstEvents (sum(bigint) is numeric, as in PostgreSQL).
constexpr const char* kFirstLambda =
    R"([["alice",2,"15.35"],["bob",1,"25.00"],["carol",1,"7.00"]])";
constexpr const char* kFirstKappa =
    R"([["alice",2,"15.35","4"],["bob",1,"25.00","2"],["carol",1,"7.00","5"]])";

// Twenty more orders of 1.00, qty 1: alice gets p0, p3, ... p18 (7), bob p1 ... p19 (7),
// carol p2 ... p17 (6).
std::vector<std::string> MoreEvents() {
  const char* customers[] = {"alice", "bob", "carol"};
  std::vector<std::string> out;
  for (int i = 0; i < 20; ++i)
    out.push_back(Event("p" + std::to_string(i), customers[i % 3], "1.00", 1, 60 + i));
  return out;
}
constexpr uint64_t kMoreCount = 20;
constexpr const char* kAllLambda = R"([["alice",9,"22.35"],["bob",8,"32.00"],["carol",7,"13.00"]])";
constexpr const char* kAllKappa =
    R"([["alice",9,"22.35","11"],["bob",8,"32.00","9"],["carol",7,"13.00","11"]])";
// The Kappa view WHERE qty <> 3 (o3 left out) over every event.
constexpr const char* kAllKappaNew =
    R"([["alice",8,"17.25","8"],["bob",8,"32.00","9"],["carol",7,"13.00","11"]])";

constexpr const char* kLambdaQuery = "SELECT * FROM gold.by_customer ORDER BY customer";
constexpr const char* kKappaQuery = "SELECT * FROM gold.kappa_customer ORDER BY customer";

std::string Minify(simdjson::dom::element e) {
  return simdjson::minify(e);
}

class ServingHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Start()); }
  void TearDown() override { Shutdown(); }

  void Start(PipelineServiceOptions service_options = FastService()) {
    auto store = log::Store::Open(dir_.Sub("data"), {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    const std::string sql = Pipeline();
    auto plan = runtime::LoadPipeline(sql, "pipeline.sql");
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    Status s = runtime::EnsureBronzeTables(store_.get(), *plan);
    ASSERT_TRUE(s.ok()) << s.ToString();
    runtime::PipelinePaths paths(dir_.Sub("data"));
    ASSERT_TRUE(FileSystem::Default()->CreateDirs(paths.dir).ok());
    ASSERT_TRUE(FileSystem::Default()->WriteFileAtomic(paths.sql, sql).ok());
    auto engine = serve::Engine::Open(store_.get(), dir_.Sub("data"), sql, "pipeline.sql");
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();

    ServerOptions options;
    options.port = 0;
    server_ = std::make_unique<HttpServer>(store_.get(), options);
    server_->SetEngine(engine_.get());
    s = server_->Bind();
    ASSERT_TRUE(s.ok()) << s.ToString();
    server_thread_ = std::thread([this] { server_->Run(); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!Client().Get("/healthz")) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "server never answered";
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    service_ = std::make_unique<PipelineService>(engine_.get(), service_options);
    service_->Start();
  }

  void Shutdown() {
    if (server_) server_->Stop();
    if (server_thread_.joinable()) server_thread_.join();
    if (service_) {
      Status s = service_->Stop();
      EXPECT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(service_->stats().last_error, "");
    }
    service_.reset();
    server_.reset();
    engine_.reset();
    store_.reset();
  }

  static PipelineServiceOptions FastService() {
    PipelineServiceOptions o;
    o.publish_every = 200'000;
    o.checkpoint_every = 1'000'000;
    return o;
  }

  httplib::Client Client() {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_connection_timeout(std::chrono::seconds(10));
    client.set_read_timeout(std::chrono::seconds(30));
    client.set_write_timeout(std::chrono::seconds(30));
    return client;
  }

  void Ingest(const std::string& lines) {
    auto res = Client().Post("/v1/tables/bronze.orders/events", lines, "application/x-ndjson");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    ASSERT_EQ(res->status, 200) << res->body;
  }

  httplib::Result Query(const std::string& sql, const std::string& format = "") {
    std::string path = "/v1/query" + (format.empty() ? "" : "?format=" + format);
    return Client().Post(path, sql, "text/plain");
  }

  // The rows of a JSON query answer, minified; "" (and a test failure) on an error.
  std::string QueryRows(const std::string& sql) {
    auto res = Query(sql);
    if (!res || res->status != 200) {
      ADD_FAILURE() << sql << ": " << (res ? res->body : httplib::to_string(res.error()));
      return "";
    }
    simdjson::dom::element rows;
    if (parser_.parse(res->body)["rows"].get(rows)) {
      ADD_FAILURE() << "no rows in " << res->body;
      return "";
    }
    return Minify(rows);
  }

  // Polls until `done` holds (with the last body for the failure message).
  void WaitFor(const std::string& what, const std::function<bool(std::string*)>& done,
               int seconds = 30) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::string last;
    while (!done(&last)) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << "timed out waiting for " << what << "; last: " << last;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void WaitForRows(const std::string& sql, const std::string& expected) {
    WaitFor(sql + " = " + expected, [&](std::string* last) {
      *last = QueryRows(sql);
      return *last == expected;
    });
  }

  simdjson::dom::element GetJson(const std::string& path, int status = 200) {
    auto res = Client().Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, status) << path << ": " << res->body;
    bodies_.push_back(std::make_unique<simdjson::dom::parser>());
    simdjson::dom::element e;
    EXPECT_FALSE(bodies_.back()->parse(res->body).get(e)) << res->body;
    return e;
  }

  simdjson::dom::element PostJson(const std::string& path, const std::string& body,
                                  int status = 200) {
    auto res = Client().Post(path, body, "application/json");
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, status) << path << ": " << res->body;
    bodies_.push_back(std::make_unique<simdjson::dom::parser>());
    simdjson::dom::element e;
    EXPECT_FALSE(bodies_.back()->parse(res->body).get(e)) << res->body;
    return e;
  }

  // Every lane has consumed `records` and has no lag.
  void WaitForLanes(uint64_t records, size_t lanes) {
    WaitFor("lanes at " + std::to_string(records), [&](std::string* last) {
      auto res = Client().Get("/v1/status");
      if (!res) return false;
      *last = res->body;
      simdjson::dom::parser parser;
      simdjson::dom::array list;
      if (parser.parse(res->body)["lanes"].get(list) || list.size() != lanes) return false;
      for (simdjson::dom::element lane : list) {
        if (uint64_t(lane["consumed"]) != records || uint64_t(lane["lag"]) != 0) return false;
      }
      return true;
    });
  }

  // The first kept version of `view` that covers `records` input records with `origin`.
  std::optional<uint64_t> VersionCovering(const std::string& view, const std::string& origin,
                                          uint64_t records, std::string* body) {
    auto res = Client().Get("/v1/views/" + view + "/versions");
    if (!res) return std::nullopt;
    *body = res->body;
    simdjson::dom::parser parser;
    simdjson::dom::array versions;
    if (parser.parse(res->body)["versions"].get(versions)) return std::nullopt;
    for (simdjson::dom::element v : versions) {
      uint64_t total = 0;
      for (uint64_t o : simdjson::dom::array(v["boundary"]["bronze.orders"]))
        total += o;
      if (std::string_view(v["origin"]) == origin && total == records) {
        return uint64_t(v["version"]);
      }
    }
    return std::nullopt;
  }

  testing::TempDir dir_;
  std::unique_ptr<log::Store> store_;
  std::unique_ptr<serve::Engine> engine_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<PipelineService> service_;
  std::thread server_thread_;
  simdjson::dom::parser parser_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> bodies_;  // keep parsed answers alive
};

TEST_F(ServingHttpTest, QueryAnswersJsonAndEveryTextFormat) {
  ASSERT_NO_FATAL_FAILURE(Ingest(FirstEvents()));
  ASSERT_NO_FATAL_FAILURE(WaitForRows(kLambdaQuery, kFirstLambda));
  ASSERT_NO_FATAL_FAILURE(WaitForRows(kKappaQuery, kFirstKappa));

  auto res = Query("SELECT customer, revenue, orders FROM gold.by_customer WHERE orders > 1");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  simdjson::dom::element answer;
  ASSERT_FALSE(parser_.parse(res->body).get(answer)) << res->body;
  EXPECT_EQ(Minify(answer["columns"]),
            R"js([{"name":"customer","type":"text"},{"name":"revenue","type":"numeric(38,2)"},)js"
            R"js({"name":"orders","type":"bigint"}])js");
  EXPECT_EQ(Minify(answer["rows"]), R"([["alice","15.35",2]])");
  EXPECT_EQ(uint64_t(answer["row_count"]), 1u);

  // Silver (after upsert and dedupe), with a timestamp and a double; the quarantine table.
  EXPECT_EQ(QueryRows("SELECT id, amount, ts, CAST(qty AS double precision) / 2 AS half "
                      "FROM silver.orders ORDER BY id"),
            R"([["o1","10.25","2026-01-01 00:00:01",0.5],["o2","25.00","2026-01-01 00:00:04",1],)"
            R"(["o3","5.10","2026-01-01 00:00:03",1.5],["o5","7.00","2026-01-01 00:00:06",2.5]])");
  EXPECT_EQ(QueryRows("SELECT reason, constraint_name, payload IS NULL AS no_payload FROM "
                      "silver.orders__quarantine"),
            R"([["CHECK (amount > 0) failed","orders_amount_check",false]])");

  // A JSON body with {"sql"} and a NULL.
  auto json = Client().Post("/v1/query",
                            R"({"sql": "SELECT customer, NULL AS nothing FROM gold.by_customer )"
                            R"(WHERE customer = 'bob'"})",
                            "application/json");
  ASSERT_TRUE(json);
  ASSERT_EQ(json->status, 200) << json->body;
  ASSERT_FALSE(parser_.parse(json->body).get(answer)) << json->body;
  EXPECT_EQ(Minify(answer["rows"]), R"([["bob",null]])");

  res = Query(kLambdaQuery, "csv");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("text/plain"));
  EXPECT_EQ(res->body, "customer,orders,revenue\nalice,2,15.35\nbob,1,25.00\ncarol,1,7.00\n");

  // table and jsonl are exactly what the CLI prints for the same result.
  auto direct = engine_->Query(kKappaQuery);
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  res = Query(kKappaQuery, "table");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, runtime::FormatTable(*direct));
  EXPECT_THAT(res->body, HasSubstr("(3 rows)"));
  res = Query(kKappaQuery, "jsonl");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, runtime::FormatJsonLines(*direct));
  EXPECT_THAT(res->body, HasSubstr("\"items\": 4"));
}

TEST_F(ServingHttpTest, ErrorsMapToHttpStatus) {
  auto error_of = [&](const httplib::Result& res, int status) -> std::string {
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, status) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    simdjson::dom::parser parser;
    std::string_view message;
    EXPECT_FALSE(parser.parse(res->body)["error"].get(message)) << res->body;
    return std::string(message);
  };
  // SQL errors carry query:LINE:COLUMN.
  EXPECT_THAT(error_of(Query("SELECT customer FROM gold.by_customer\nWHERE nope = 1"), 400),
              StartsWith("query:2:7: "));
  EXPECT_THAT(error_of(Query("SELECT * FROM gold.missing"), 400),
              AllOf(StartsWith("query:1:15: "), HasSubstr("does not exist")));
  EXPECT_THAT(error_of(Query("SELEC 1"), 400), StartsWith("query:1:"));
  EXPECT_THAT(error_of(Query(kLambdaQuery, "xml"), 400), HasSubstr("format"));
  EXPECT_THAT(
      error_of(Client().Post("/v1/query", "{\"text\": \"SELECT 1\"}", "application/json"), 400),
      HasSubstr("unknown field \"text\""));
  EXPECT_THAT(error_of(Client().Post("/v1/query", "[1", "application/json"), 400),
              HasSubstr("JSON object"));
  // An AS OF version that was never published.
  EXPECT_THAT(error_of(Query("SELECT * FROM gold.by_customer AS OF VERSION 99"), 404),
              HasSubstr("99"));

  EXPECT_THAT(error_of(Client().Get("/v1/views/gold.nope/versions"), 404), HasSubstr("gold.nope"));
  EXPECT_THAT(
      error_of(Client().Post("/v1/views/gold.kappa_customer/validate", "{}", "application/json"),
               400),
      HasSubstr("\"name\""));
  EXPECT_THAT(error_of(Client().Post("/v1/views/gold.kappa_customer/validate",
                                     "{\"name\": \"ghost\"}", "application/json"),
                       404),
              HasSubstr("ghost"));
  EXPECT_THAT(error_of(Client().Post("/v1/views/gold.kappa_customer/cutover",
                                     "{\"name\": \"ghost\"}", "application/json"),
                       404),
              HasSubstr("ghost"));
  // Nothing to roll back to yet.
  error_of(Client().Post("/v1/views/gold.kappa_customer/rollback", "", "text/plain"), 409);
  // Replay is for Kappa views; names are checked; fields are typed.
  EXPECT_THAT(error_of(Client().Post("/v1/views/gold.by_customer/replay", "", "text/plain"), 400),
              HasSubstr("Lambda"));
  EXPECT_THAT(error_of(Client().Post("/v1/views/gold.kappa_customer/replay", "{\"as\": \"main\"}",
                                     "application/json"),
                       400),
              HasSubstr("main"));
  EXPECT_THAT(error_of(Client().Post("/v1/views/gold.kappa_customer/replay", "{\"rate\": \"fast\"}",
                                     "application/json"),
                       400),
              HasSubstr("\"rate\""));
  EXPECT_THAT(
      error_of(Client().Post("/v1/views/gold.kappa_customer/replay",
                             "{\"as\": \"x\", \"sql\": \"CREATE nonsense\"}", "application/json"),
               400),
      StartsWith("replay.sql:1:"));
  error_of(Client().Get("/v1/views/gold.nope/drift"), 404);
  error_of(Client().Get("/v1/nothing"), 404);
}

// Found by the HTTP fuzz target: a quarantined line that is not UTF-8 made every JSON answer
// holding its payload invalid JSON (the bytes were copied into the string). The payload
// reads as text with U+FFFD for each stray byte, in every format; bronze keeps the bytes.
TEST_F(ServingHttpTest, QuarantinedPayloadThatIsNotUtf8AnswersValidJson) {
  ASSERT_NO_FATAL_FAILURE(Ingest(FirstEvents() + "{\"id\": \"\xff\xc3\"}\n"));
  const std::string sql =
      "SELECT payload FROM silver.orders__quarantine WHERE constraint_name = 'payload'";
  ASSERT_NO_FATAL_FAILURE(
      WaitForRows(sql, "[[\"{\\\"id\\\": \\\"\xef\xbf\xbd\xef\xbf\xbd\\\"}\"]]"));
  auto res = Query(sql, "jsonl");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  simdjson::dom::element line;
  EXPECT_FALSE(parser_.parse(res->body).get(line)) << res->body;
  res = Query(sql, "csv");
  ASSERT_TRUE(res);
  EXPECT_THAT(res->body, HasSubstr("\xef\xbf\xbd\xef\xbf\xbd"));
}

TEST_F(ServingHttpTest, ViewsListsGoldSilverAndQuarantine) {
  simdjson::dom::array views;
  ASSERT_FALSE(GetJson("/v1/views")["views"].get(views));
  std::vector<std::string> names;
  for (simdjson::dom::element v : views) {
    names.push_back(std::string(std::string_view(v["name"])) + "/" +
                    std::string(std::string_view(v["layer"])));
    std::string_view serving;
    if (!v["serving"].get(serving)) names.back() += "/" + std::string(serving);
  }
  EXPECT_THAT(names, ::testing::ElementsAre(
                         "gold.by_customer/gold/lambda", "gold.kappa_customer/gold/kappa",
                         "silver.orders/silver", "silver.orders__quarantine/quarantine"));
}

TEST_F(ServingHttpTest, VersionsAndTimeTravel) {
  ASSERT_NO_FATAL_FAILURE(Ingest(FirstEvents()));
  // Lambda: a batch run (every second) publishes a version covering every record.
  std::optional<uint64_t> lambda_v, kappa_v;
  ASSERT_NO_FATAL_FAILURE(WaitFor("a batch version", [&](std::string* last) {
    lambda_v = VersionCovering(kLambda, "batch", kFirstCount, last);
    return lambda_v.has_value();
  }));
  // Kappa: PublishStreaming (every 200 ms here) publishes the main lane's rows.
  ASSERT_NO_FATAL_FAILURE(WaitFor("a streaming version", [&](std::string* last) {
    kappa_v = VersionCovering(kKappa, "streaming", kFirstCount, last);
    return kappa_v.has_value();
  }));

  simdjson::dom::element listing = GetJson(std::string("/v1/views/") + kKappa + "/versions");
  EXPECT_EQ(std::string_view(listing["view"]), kKappa);
  int live = 0;
  for (simdjson::dom::element v : simdjson::dom::array(listing["versions"])) {
    live += bool(v["live"]);
    if (uint64_t(v["version"]) != *kappa_v) continue;
    EXPECT_EQ(std::string_view(v["name"]), "main");
    EXPECT_EQ(uint64_t(v["rows"]), 3u);
    EXPECT_EQ(std::string_view(v["checksum"]).size(), 16u);
    EXPECT_EQ(std::string_view(v["logic_hash"]).size(), 16u);
    EXPECT_EQ(uint64_t(v["schema_version"]), 1u);
    EXPECT_TRUE(v["watermark"].is_null());
    EXPECT_GT(int64_t(v["created"]), 1'700'000'000'000'000);  // microseconds since the epoch
    EXPECT_EQ(simdjson::dom::array(v["boundary"]["bronze.orders"]).size(), 2u);
  }
  EXPECT_EQ(live, 1) << Minify(listing);  // the serving lane's newest version

  // More input moves both live answers; AS OF VERSION still answers as before.
  std::string more;
  for (const std::string& e : MoreEvents())
    more += e;
  ASSERT_NO_FATAL_FAILURE(Ingest(more));
  ASSERT_NO_FATAL_FAILURE(WaitForRows(kLambdaQuery, kAllLambda));
  ASSERT_NO_FATAL_FAILURE(WaitForRows(kKappaQuery, kAllKappa));
  const std::string v = std::to_string(*lambda_v);
  EXPECT_EQ(QueryRows("SELECT * FROM gold.by_customer AS OF VERSION " + v + " ORDER BY customer"),
            kFirstLambda);
  EXPECT_EQ(QueryRows("SELECT * FROM gold.kappa_customer AS OF VERSION " +
                      std::to_string(*kappa_v) + " ORDER BY customer"),
            kFirstKappa);
  auto csv = Query("SELECT customer, revenue FROM gold.by_customer AS OF VERSION " + v +
                       " WHERE customer = 'alice'",
                   "csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->body, "customer,revenue\nalice,15.35\n");
  // And a later batch run catches up with everything.
  ASSERT_NO_FATAL_FAILURE(WaitFor("a second batch version", [&](std::string* last) {
    return VersionCovering(kLambda, "batch", kFirstCount + kMoreCount, last).has_value();
  }));
  // The service counts a run once RunBatch has returned, just after it published.
  ASSERT_NO_FATAL_FAILURE(WaitFor("the service's batch stats", [&](std::string* last) {
    PipelineService::Stats stats = service_->stats();
    *last = std::to_string(stats.batch_runs) + " runs, boundary " +
            std::to_string(stats.last_batch_boundary);
    return stats.last_batch_boundary == kFirstCount + kMoreCount;
  }));
  PipelineService::Stats stats = service_->stats();
  EXPECT_GE(stats.batch_runs, 2u);
  EXPECT_GT(stats.last_batch_at, 0);
  EXPECT_GT(stats.last_batch_seconds, 0);  // a recompute takes measurable time (µs clock)
  EXPECT_LT(stats.last_batch_seconds, 120);
}

TEST_F(ServingHttpTest, ReplayWhileIngestingThenValidateCutoverRollback) {
  ASSERT_NO_FATAL_FAILURE(Ingest(FirstEvents()));
  ASSERT_NO_FATAL_FAILURE(WaitForRows(kKappaQuery, kFirstKappa));

  // A client keeps ingesting while the replay runs (2 events per request, ~0.4 s in all);
  // the replay, throttled to 20 events/s over at least 10 records, takes 0.5 s or more.
  std::atomic<int> posted{0};
  std::atomic<bool> ingest_failed{false};
  std::thread ingest([&] {
    std::vector<std::string> events = MoreEvents();
    for (size_t i = 0; i < events.size(); i += 2) {
      auto res =
          Client().Post("/v1/tables/bronze.orders/events", events[i] + events[i + 1], "text/plain");
      if (!res || res->status != 200) ingest_failed = true;
      ++posted;
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
    }
  });
  while (posted == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::string body = "{\"as\": \"no_o3\", \"rate\": 20, \"sql\": ";
  AppendJsonString(&body, Pipeline("WHERE qty <> 3"));
  body += "}";
  simdjson::dom::element replay = PostJson(std::string("/v1/views/") + kKappa + "/replay", body);
  ingest.join();
  ASSERT_FALSE(ingest_failed);
  EXPECT_EQ(std::string_view(replay["name"]), "no_o3");
  EXPECT_TRUE(bool(replay["finished"]));
  EXPECT_FALSE(bool(replay["resumed"]));
  EXPECT_GE(uint64_t(replay["records"]), kFirstCount + 2);
  EXPECT_LE(uint64_t(replay["records"]), kFirstCount + kMoreCount);
  EXPECT_GE(double(replay["seconds"]), 0.45);
  EXPECT_EQ(std::string_view(replay["version"]["origin"]), "replay");
  EXPECT_EQ(std::string_view(replay["version"]["name"]), "no_o3");
  // The same name again is a conflict.
  PostJson(std::string("/v1/views/") + kKappa + "/replay", "{\"as\": \"no_o3\"}", 409);

  // Both lanes catch up with everything; the live answer is still the old logic.
  ASSERT_NO_FATAL_FAILURE(WaitForLanes(kFirstCount + kMoreCount, 2));
  EXPECT_EQ(QueryRows(kKappaQuery), kAllKappa);

  // validate: only alice differs (o3 left out): orders 9 → 8, revenue 22.35 → 17.25,
  // items 11 → 8.
  simdjson::dom::element diff =
      PostJson(std::string("/v1/views/") + kKappa + "/validate", "{\"name\": \"no_o3\"}");
  EXPECT_FALSE(bool(diff["identical"])) << Minify(diff);
  EXPECT_EQ(std::string_view(diff["left"]), "live");
  EXPECT_EQ(std::string_view(diff["right"]), "no_o3");
  EXPECT_EQ(uint64_t(diff["left_rows"]), 3u);
  EXPECT_EQ(uint64_t(diff["right_rows"]), 3u);
  EXPECT_EQ(uint64_t(diff["changed"]), 1u);
  EXPECT_EQ(uint64_t(diff["added"]), 0u);
  EXPECT_EQ(uint64_t(diff["removed"]), 0u);
  simdjson::dom::object change = diff["largest_relative_change"];
  EXPECT_NEAR(double(change["revenue"]), 5.10 / 22.35, 1e-12) << Minify(diff);
  EXPECT_NEAR(double(change["orders"]), 1.0 / 9, 1e-12);
  EXPECT_NEAR(double(change["items"]), 3.0 / 11, 1e-12);
  EXPECT_EQ(Minify(diff["examples"]),
            R"(["changed: alice, 9, 22.35, 11  ->  alice, 8, 17.25, 8"])");

  // cutover: the replay's logic answers.
  simdjson::dom::element cut =
      PostJson(std::string("/v1/views/") + kKappa + "/cutover", "{\"name\": \"no_o3\"}");
  EXPECT_TRUE(bool(cut["live"]));
  EXPECT_EQ(std::string_view(cut["name"]), "no_o3");
  EXPECT_EQ(uint64_t(cut["rows"]), 3u);
  const uint64_t cut_version = uint64_t(cut["version"]);
  EXPECT_EQ(QueryRows(kKappaQuery), kAllKappaNew);
  simdjson::dom::element listing = GetJson(std::string("/v1/views/") + kKappa + "/versions");
  for (simdjson::dom::element v : simdjson::dom::array(listing["versions"])) {
    EXPECT_EQ(bool(v["live"]), uint64_t(v["version"]) == cut_version) << Minify(v);
  }
  std::string lane;
  for (simdjson::dom::element v : simdjson::dom::array(GetJson("/v1/views")["views"])) {
    if (std::string_view(v["name"]) == kKappa) lane = std::string_view(v["lane"]);
  }
  EXPECT_EQ(lane, "no_o3");
  // Drift of the view served by the replay lane: the same logic recomputed agrees.
  EXPECT_TRUE(bool(GetJson(std::string("/v1/views/") + kKappa + "/drift")["identical"]));

  // rollback: the old logic answers again, from the main lane's newest version. That is the
  // version live before the cutover, or one the service published of the main lane while the
  // cutover happened (PublishStreaming writes a version outside the engine's lock): either
  // way not the cutover's.
  simdjson::dom::element back = PostJson(std::string("/v1/views/") + kKappa + "/rollback", "");
  EXPECT_TRUE(bool(back["live"]));
  EXPECT_EQ(std::string_view(back["name"]), "main");
  EXPECT_NE(uint64_t(back["version"]), cut_version);
  EXPECT_EQ(std::string_view(back["origin"]), "streaming") << Minify(back);
  EXPECT_EQ(QueryRows(kKappaQuery), kAllKappa);
  // The Lambda view never changed logic.
  ASSERT_NO_FATAL_FAILURE(WaitForRows(kLambdaQuery, kAllLambda));
}

// The serving commands are written once (api/client.h): an EmbeddedClient on the engine and
// an HttpClient on the server give the same answers and the same errors, and what one of
// them changes (a replay, a cutover, a rollback) the other sees.
TEST_F(ServingHttpTest, EmbeddedAndHttpClientsAnswerAlike) {
  ASSERT_NO_FATAL_FAILURE(Ingest(FirstEvents()));
  ASSERT_NO_FATAL_FAILURE(WaitForLanes(kFirstCount, 1));
  ASSERT_NO_FATAL_FAILURE(WaitForRows(kLambdaQuery, kFirstLambda));
  EmbeddedClient embedded(engine_.get());
  HttpClient http("http://127.0.0.1:" + std::to_string(server_->port()));
  // The same call on both; `same` holds once no publish came between (the service keeps
  // publishing), checked by asking the embedded client on both sides of the HTTP call.
  auto alike = [](auto call, const std::string& what) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto before = call(true), over_http = call(false), after = call(true);
      if (before == after && before == over_http) return;
      if (attempt == 49) ADD_FAILURE() << what << ": " << before << " vs " << over_http;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  auto text = [](const auto& r) {
    return r.ok() ? "ok: " + *r : "error: " + r.status().ToString();
  };
  for (const char* sql : {kLambdaQuery, kKappaQuery, "SELECT * FROM silver.orders ORDER BY id",
                          "SELECT * FROM nowhere", "SELECT nothing FROM gold.by_customer"}) {
    for (const char* format : {"json", "jsonl", "table", "csv", "xml"}) {
      alike([&](bool e) { return text(e ? embedded.Query(sql, format) : http.Query(sql, format)); },
            std::string(sql) + " as " + format);
    }
  }
  auto versions = [&](api::Client* c, const char* view) {
    auto v = c->Versions(view);
    return v.ok() ? ViewVersionsJson(view, *v) : "error: " + v.status().ToString();
  };
  for (const char* view : {kLambda, kKappa, "gold.nowhere"}) {
    alike([&](bool e) { return versions(e ? static_cast<api::Client*>(&embedded) : &http, view); },
          std::string("versions of ") + view);
  }
  auto drift = [&](bool e, const char* view) {
    auto d = e ? embedded.Drift(view) : http.Drift(view);
    return d.ok() ? d->ToJson() : "error: " + d.status().ToString();
  };
  alike([&](bool e) { return drift(e, kKappa); }, "drift");
  alike([&](bool e) { return drift(e, "gold.nowhere"); }, "drift of no view");
  EXPECT_EQ(http.Query(kKappaQuery, "json", "batch").status().ToString(),
            Status::InvalidArgument("--runtime needs --data").ToString());

  // A replay over HTTP, validated both ways, cut over over HTTP, rolled back embedded.
  serve::ReplayOptions options;
  options.name = "no_o3";
  options.sql_text = Pipeline("WHERE qty <> 3");
  auto replay = http.Replay(kKappa, options);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_EQ(replay->name, "no_o3");
  EXPECT_TRUE(replay->finished);
  EXPECT_EQ(replay->records, kFirstCount);
  ASSERT_TRUE(replay->version.has_value());
  EXPECT_EQ(replay->version->origin, "replay");
  auto again = embedded.Replay(kKappa, options);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists) << again.status().ToString();
  EXPECT_EQ(http.Replay(kKappa, options).status().ToString(),
            Status::FailedPrecondition(again.status().message()).ToString());
  ASSERT_NO_FATAL_FAILURE(WaitForLanes(kFirstCount, 2));
  auto validate = [&](bool e) {
    auto d = e ? embedded.Validate(kKappa, "no_o3") : http.Validate(kKappa, "no_o3");
    return d.ok() ? d->ToJson() : "error: " + d.status().ToString();
  };
  alike(validate, "validate");
  auto cut = http.Cutover(kKappa, "no_o3");
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  EXPECT_EQ(cut->name, "no_o3");
  EXPECT_EQ(text(embedded.Query(kKappaQuery, "json")).find(kFirstKappa), std::string::npos);
  alike([&](bool e) { return versions(e ? static_cast<api::Client*>(&embedded) : &http, kKappa); },
        "versions after the cutover");
  auto back = embedded.Rollback(kKappa);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->name, "main");
  EXPECT_NE(text(http.Query(kKappaQuery, "json")).find(kFirstKappa), std::string::npos);
  auto status = http.StatusJson();
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_THAT(*status, HasSubstr("\"lanes\""));
  HttpClient nobody("http://127.0.0.1:1");
  EXPECT_EQ(nobody.StatusJson().status().code(), StatusCode::kIOError);
}

TEST_F(ServingHttpTest, DriftIsIdenticalOnceCaughtUp) {
  ASSERT_NO_FATAL_FAILURE(Ingest(FirstEvents()));
  ASSERT_NO_FATAL_FAILURE(WaitForLanes(kFirstCount, 1));
  for (const char* view : {kLambda, kKappa}) {
    simdjson::dom::element drift = GetJson(std::string("/v1/views/") + view + "/drift");
    EXPECT_TRUE(bool(drift["identical"])) << Minify(drift);
    EXPECT_EQ(std::string_view(drift["right"]), "recompute");
    EXPECT_EQ(uint64_t(drift["left_rows"]), 3u);
    EXPECT_EQ(uint64_t(drift["right_rows"]), 3u);
    EXPECT_EQ(std::string_view(drift["left_checksum"]), std::string_view(drift["right_checksum"]));
    uint64_t covered = 0;
    for (uint64_t o : simdjson::dom::array(drift["boundary"]["bronze.orders"]))
      covered += o;
    EXPECT_EQ(covered, kFirstCount) << view;
  }
}

TEST_F(ServingHttpTest, StatusCountsLanesSilverAndGold) {
  ASSERT_NO_FATAL_FAILURE(Ingest(FirstEvents()));
  ASSERT_NO_FATAL_FAILURE(WaitForLanes(kFirstCount, 1));
  ASSERT_NO_FATAL_FAILURE(WaitForRows(kLambdaQuery, kFirstLambda));
  simdjson::dom::element status = GetJson("/v1/status");
  simdjson::dom::array lanes = status["lanes"];
  ASSERT_EQ(lanes.size(), 1u);
  simdjson::dom::element main = *lanes.begin();
  EXPECT_EQ(std::string_view(main["name"]), "main");
  EXPECT_EQ(uint64_t(main["consumed"]), kFirstCount);
  EXPECT_EQ(uint64_t(main["lag"]), 0u);

  simdjson::dom::array silver = status["silver"];
  ASSERT_EQ(silver.size(), 1u);
  simdjson::dom::element orders = *silver.begin();
  EXPECT_EQ(std::string_view(orders["name"]), "silver.orders");
  EXPECT_EQ(uint64_t(orders["records"]), kFirstCount);
  EXPECT_EQ(uint64_t(orders["filtered"]), 1u);     // o7 (customer 'test')
  EXPECT_EQ(uint64_t(orders["quarantined"]), 1u);  // o4 (amount > 0 violated)
  EXPECT_EQ(uint64_t(orders["dropped"]), 0u);

  std::vector<std::string> gold;
  for (simdjson::dom::element g : simdjson::dom::array(status["gold"])) {
    gold.push_back(std::string(std::string_view(g["name"])) + " " +
                   std::string(std::string_view(g["serving"])) + " " +
                   std::to_string(uint64_t(g["rows"])));
  }
  EXPECT_THAT(gold,
              ::testing::ElementsAre("gold.by_customer lambda 3", "gold.kappa_customer kappa 3"));

  PipelineService::Stats stats = service_->stats();
  EXPECT_EQ(stats.records, kFirstCount);
  EXPECT_EQ(stats.last_error, "");
}

// The service alone: with every period 30 s, only Stop itself can publish and save, and
// only a prompt wake-up keeps it far under those 30 s. It is idempotent, and a fresh engine
// resumes from what it saved.
TEST_F(ServingHttpTest, ServiceStopIsPromptAndSaves) {
  EXPECT_EQ(service_->batch_every(), 1'000'000);  // the Lambda view's batch_every
  Shutdown();
  PipelineServiceOptions slow;
  slow.batch_every = 30'000'000;
  slow.publish_every = 30'000'000;
  slow.checkpoint_every = 30'000'000;
  ASSERT_NO_FATAL_FAILURE(Start(slow));
  EXPECT_EQ(service_->batch_every(), 30'000'000);
  ASSERT_NO_FATAL_FAILURE(Ingest(FirstEvents()));
  ASSERT_NO_FATAL_FAILURE(WaitForLanes(kFirstCount, 1));
  std::string last;
  EXPECT_FALSE(VersionCovering(kKappa, "streaming", kFirstCount, &last).has_value()) << last;

  const auto start = std::chrono::steady_clock::now();
  Status s = service_->Stop();
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_TRUE(service_->Stop().ok());
  EXPECT_EQ(service_->stats().records, kFirstCount);
  EXPECT_EQ(service_->stats().batch_runs, 0u);
  // Stop published the Kappa view at the end.
  EXPECT_TRUE(VersionCovering(kKappa, "streaming", kFirstCount, &last).has_value()) << last;

  // A fresh engine over the same directory starts where Stop saved.
  Shutdown();
  auto store = log::Store::Open(dir_.Sub("data"), {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto engine = serve::Engine::Open(store->get(), dir_.Sub("data"), Pipeline(), "pipeline.sql");
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  auto stepped = (*engine)->Step();
  ASSERT_TRUE(stepped.ok()) << stepped.status().ToString();
  EXPECT_EQ(*stepped, 0u);  // nothing left to consume: the state was saved at the end
  auto answer = (*engine)->Query(kKappaQuery);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(runtime::FormatCsv(*answer),
            "customer,orders,revenue,items\nalice,2,15.35,4\nbob,1,25.00,2\ncarol,1,7.00,5\n");
}

}  // namespace
}  // namespace strata::api
