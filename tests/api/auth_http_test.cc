// Authentication and grants over HTTP (api/access.h) on a real server with its pipeline
// running (api/server.h, Serving with auth on): every route refuses a missing, malformed,
// wrong and revoked token with 401; each grant opens exactly its routes (403 otherwise);
// owners read the silver tables under their products; serving commands are admin only and
// every attempt is in the audit log.
#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/access.h"
#include "api/server.h"
#include "auth/tokens.h"
#include "common/file_system.h"
#include "testing/temp_dir.h"

namespace strata::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Two bronze tables; finance owns the views over orders and refunds, growth the count of
// orders only.
constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.orders (id text, customer text, amount numeric(12,2))
WITH (layer = 'bronze', format = 'json', key = 'id', partitions = 2);
CREATE TABLE bronze.refunds (id text, amount numeric(12,2))
WITH (layer = 'bronze', format = 'json', key = 'id', partitions = 1);

CREATE TABLE silver.orders (id text NOT NULL, customer text NOT NULL,
  amount numeric(12,2) CHECK (amount > 0), PRIMARY KEY (id))
WITH (layer = 'silver', on_violation = 'quarantine');
INSERT INTO silver.orders SELECT id, customer, amount FROM bronze.orders;
CREATE TABLE silver.refunds (id text NOT NULL, amount numeric(12,2), PRIMARY KEY (id))
WITH (layer = 'silver', on_violation = 'quarantine');
INSERT INTO silver.refunds SELECT id, amount FROM bronze.refunds;

CREATE MATERIALIZED VIEW gold.by_customer WITH (serving = 'kappa', owner = 'finance') AS
SELECT customer, sum(amount) AS revenue FROM silver.orders GROUP BY customer;
CREATE MATERIALIZED VIEW gold.refunded WITH (serving = 'kappa', owner = 'finance') AS
SELECT count(*) AS refunds, sum(amount) AS total FROM silver.refunds;
CREATE MATERIALIZED VIEW gold.order_count WITH (serving = 'kappa', owner = 'growth') AS
SELECT count(*) AS orders FROM silver.orders;
)sql";

class AuthHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions server;
    server.port = 0;
    serve::PipelineServiceOptions service;
    service.publish_every = 200'000;
    auto serving = Serving::Start(dir_.Sub("data"), kPipeline, "pipeline.sql", server, service,
                                  /*auth=*/true);
    ASSERT_TRUE(serving.ok()) << serving.status().ToString();
    serving_ = std::move(serving).value();
    ASSERT_NE(serving_->first_admin_token(), "");
    std::string text;
    ASSERT_TRUE(FileSystem::Default()->ReadFile(serving_->first_admin_token(), &text).ok());
    admin_ = text.substr(0, text.find('\n'));
    auth::TokenStore tokens(dir_.Sub("data"));  // as `strata token create` does
    ingest_ = Make(tokens, "loader", {false, {"bronze.orders"}, {}});
    reader_ = Make(tokens, "analyst", {false, {}, {"gold.order_count"}});
    finance_ = Make(tokens, "finance", {});
    growth_ = Make(tokens, "growth", {});
    revoked_ = Make(tokens, "gone", {true, {}, {}});
    ASSERT_TRUE(tokens.Revoke(revoked_.substr(7, 12)).ok());
  }
  void TearDown() override {
    if (serving_) {
      EXPECT_TRUE(serving_->Stop().ok());
    }
  }

  static std::string Make(auth::TokenStore& tokens, const std::string& name, auth::Grants g) {
    auto created = tokens.Create(name, g);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->token : "";
  }

  // METHOD PATH with `authorization` as the header (none when empty); the status and body.
  std::pair<int, std::string> Call(const std::string& method, const std::string& path,
                                   const std::string& authorization, const std::string& body = "") {
    httplib::Client client("127.0.0.1", serving_->port());
    client.set_read_timeout(std::chrono::seconds(60));
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    httplib::Result res = method == "GET" ? client.Get(path, headers)
                                          : client.Post(path, headers, body, "text/plain");
    if (!res) return {-1, httplib::to_string(res.error())};
    return {res->status, res->body};
  }
  int Status(const std::string& method, const std::string& path, const std::string& token,
             const std::string& body = "") {
    return Call(method, path, token.empty() ? "" : "Bearer " + token, body).first;
  }
  int QueryStatus(const std::string& token, const std::string& sql) {
    auto [code, body] = Call("POST", "/v1/query", "Bearer " + token, sql);
    EXPECT_TRUE(code == 200 || code == 403) << sql << ": " << body;
    return code;
  }
  std::string Audit() {
    std::string text;
    EXPECT_TRUE(FileSystem::Default()->ReadFile(dir_.Sub("data") + "/auth/audit.log", &text).ok());
    return text;
  }

  testing::TempDir dir_;
  std::unique_ptr<Serving> serving_;
  std::string admin_, ingest_, reader_, finance_, growth_, revoked_;
};

// Every route of the API, as (method, path, body).
struct Route {
  std::string method, path, body;
};
const std::vector<Route>& AllRoutes() {
  static const std::vector<Route> routes = {
      {"POST", "/v1/tables/bronze.orders/events", "{\"id\":\"x\",\"customer\":\"c\"}\n"},
      {"POST", "/v1/query", "SELECT * FROM gold.order_count"},
      {"GET", "/v1/views", ""},
      {"GET", "/v1/products", ""},
      {"GET", "/v1/views/gold.order_count/versions", ""},
      {"GET", "/v1/views/gold.order_count/drift", ""},
      {"POST", "/v1/views/gold.order_count/replay", ""},
      {"POST", "/v1/views/gold.order_count/validate", "{\"name\": \"r\"}"},
      {"POST", "/v1/views/gold.order_count/cutover", "{\"name\": \"r\"}"},
      {"POST", "/v1/views/gold.order_count/rollback", ""},
      {"GET", "/v1/status", ""},
      {"GET", "/metrics", ""},
      {"GET", "/v1/no-such-route", ""},
  };
  return routes;
}

TEST_F(AuthHttpTest, EveryRouteRefusesMissingMalformedWrongAndRevokedTokens) {
  std::string wrong = admin_;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  for (const Route& r : AllRoutes()) {
    const std::string what = r.method + " " + r.path;
    for (const std::string& header :
         std::vector<std::string>{std::string(), "Bearer " + wrong, "Bearer " + revoked_,
                                  "Bearer strata_nonsense", "Basic " + admin_, "Bearer"}) {
      auto [code, body] = Call(r.method, r.path, header, r.body);
      EXPECT_EQ(code, 401) << what << " with '" << header << "': " << body;
      EXPECT_THAT(body, HasSubstr("\"error\"")) << what;
    }
  }
  auto [code, body] = Call("GET", "/v1/status", "");
  EXPECT_THAT(body, HasSubstr("Authorization: Bearer"));
  EXPECT_THAT(Call("GET", "/v1/status", "Bearer " + revoked_).second, HasSubstr("revoked"));
  httplib::Client client("127.0.0.1", serving_->port());
  auto res = client.Get("/v1/status");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer realm=\"strata\"");
  // Health checks need no token.
  EXPECT_EQ(Status("GET", "/healthz", ""), 200);
  // The scheme is case-insensitive (RFC 7235).
  EXPECT_EQ(Call("GET", "/v1/status", "bearer " + admin_).first, 200);
}

TEST_F(AuthHttpTest, IngestNeedsAGrantForItsTable) {
  const std::string line = "{\"id\":\"o1\",\"customer\":\"alice\",\"amount\":10}\n";
  EXPECT_EQ(Status("POST", "/v1/tables/bronze.orders/events", ingest_, line), 200);
  EXPECT_EQ(Status("POST", "/v1/tables/bronze.orders/events", admin_, line), 200);
  auto [code, body] = Call("POST", "/v1/tables/bronze.refunds/events", "Bearer " + ingest_,
                           "{\"id\":\"r1\",\"amount\":1}\n");
  EXPECT_EQ(code, 403) << body;
  EXPECT_THAT(body, HasSubstr("may not ingest into bronze.refunds"));
  EXPECT_THAT(body, HasSubstr("--ingest bronze.refunds"));
  for (const std::string& token : {reader_, finance_, growth_}) {
    EXPECT_EQ(Status("POST", "/v1/tables/bronze.orders/events", token, line), 403) << token;
  }
}

TEST_F(AuthHttpTest, ReadersSeeTheirProductsAndOwnersTheSilverUnderThem) {
  ASSERT_EQ(Status("POST", "/v1/tables/bronze.orders/events", admin_,
                   "{\"id\":\"o1\",\"customer\":\"alice\",\"amount\":10}\n"),
            200);
  // (token, table, may read)
  struct Case {
    std::string token, table;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {reader_, "gold.order_count", true},
      {reader_, "gold.by_customer", false},
      {reader_, "silver.orders", false},
      {reader_, "silver.orders__quarantine", false},
      {finance_, "gold.by_customer", true},  // owner
      {finance_, "gold.refunded", true},
      {finance_, "gold.order_count", false},
      {finance_, "silver.orders", true},  // under gold.by_customer
      {finance_, "silver.refunds__quarantine", true},
      {finance_, "bronze.orders", false},
      {growth_, "gold.order_count", true},
      {growth_, "silver.orders", true},
      {growth_, "silver.refunds", false},  // no product of growth reads it
      {growth_, "silver.refunds__quarantine", false},
      {ingest_, "gold.order_count", false},
      {admin_, "silver.refunds", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(QueryStatus(c.token, "SELECT count(*) FROM " + c.table), c.allowed ? 200 : 403)
        << c.table << " by " << c.token.substr(0, 19);
    // An unqualified name is resolved before the check.
    const std::string bare = c.table.substr(c.table.find('.') + 1);
    if (bare != "orders" && bare != "refunds") {
      EXPECT_EQ(QueryStatus(c.token, "SELECT count(*) FROM " + bare), c.allowed ? 200 : 403)
          << bare;
    }
  }
  auto [code, body] = Call("POST", "/v1/query", "Bearer " + reader_, "SELECT * FROM silver.orders");
  EXPECT_THAT(body, HasSubstr("finance (gold.by_customer), growth (gold.order_count)"));
  // Versions and drift follow the same rule as queries.
  EXPECT_EQ(Status("GET", "/v1/views/gold.order_count/versions", reader_), 200);
  EXPECT_EQ(Status("GET", "/v1/views/gold.by_customer/versions", reader_), 403);
  EXPECT_EQ(Status("GET", "/v1/views/gold.order_count/drift", reader_), 200);
  EXPECT_EQ(Status("GET", "/v1/views/gold.by_customer/drift", growth_), 403);
  // A query that does not parse gets the same error whoever asks.
  EXPECT_EQ(Call("POST", "/v1/query", "Bearer " + reader_, "SELEC 1").first, 400);
  // Listing the views and the metrics needs a valid token only.
  EXPECT_EQ(Status("GET", "/v1/views", ingest_), 200);
  EXPECT_EQ(Status("GET", "/metrics", ingest_), 200);
  EXPECT_EQ(Status("GET", "/v1/products", ingest_), 200);
}

TEST_F(AuthHttpTest, ServingCommandsAreAdminOnlyAndAudited) {
  const std::string view = "/v1/views/gold.order_count";
  for (const std::string& token : {reader_, growth_, ingest_}) {
    EXPECT_EQ(Status("POST", view + "/replay", token, "{\"as\": \"r\"}"), 403);
    EXPECT_EQ(Status("POST", view + "/validate", token, "{\"name\": \"r\"}"), 403);
    EXPECT_EQ(Status("POST", view + "/cutover", token, "{\"name\": \"r\"}"), 403);
    EXPECT_EQ(Status("POST", view + "/rollback", token), 403);
    EXPECT_EQ(Status("GET", "/v1/status", token), 403);
  }
  EXPECT_EQ(Status("POST", view + "/replay", admin_, "{\"as\": \"r\"}"), 200);
  EXPECT_EQ(Status("POST", view + "/validate", admin_, "{\"name\": \"r\"}"), 200);
  EXPECT_EQ(Status("POST", view + "/cutover", admin_, "{\"name\": \"r\"}"), 200);
  EXPECT_EQ(Status("POST", view + "/rollback", admin_), 200);
  EXPECT_EQ(Status("GET", "/v1/status", admin_), 200);
  const std::string audit = Audit();
  for (const char* what : {"replay", "validate", "cutover", "rollback"}) {
    const std::string path = "POST " + view + "/" + what;
    EXPECT_THAT(audit, HasSubstr("\"who\": \"admin\", \"token\": \"" + admin_.substr(7, 12) +
                                 "\", \"what\": \"" + path + "\", \"status\": 200"))
        << what;
    EXPECT_THAT(audit, HasSubstr("\"who\": \"analyst\", \"token\": \"" + reader_.substr(7, 12) +
                                 "\", \"what\": \"" + path + "\", \"status\": 403"))
        << what;
  }
  EXPECT_THAT(audit, HasSubstr("\"who\": \"strata server\""));  // the first admin token
  EXPECT_THAT(audit, Not(HasSubstr("/v1/status")));             // reads are not audited
}

TEST_F(AuthHttpTest, RevokingTakesEffectAtOnceAndTheFirstTokenIsMadeOnce) {
  EXPECT_EQ(Status("GET", "/v1/views", reader_), 200);
  auth::TokenStore tokens(dir_.Sub("data"));
  ASSERT_TRUE(tokens.Revoke(reader_.substr(7, 12)).ok());
  EXPECT_EQ(Status("GET", "/v1/views", reader_), 401);
  // The first admin token is a file only its owner reads, holding a token that works.
  struct stat st {};
  ASSERT_EQ(::stat(serving_->first_admin_token().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A restart does not make another.
  ASSERT_TRUE(serving_->Stop().ok());
  serving_.reset();
  ServerOptions server;
  server.port = 0;
  auto again = Serving::Start(dir_.Sub("data"), "", "", server, {}, /*auth=*/true);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  serving_ = std::move(again).value();
  EXPECT_EQ(serving_->first_admin_token(), "");
  EXPECT_EQ(Status("GET", "/v1/status", admin_), 200);
  EXPECT_EQ(Status("GET", "/v1/status", reader_), 401);
}

TEST(AuthDefaultTest, OnUnlessListeningOnLoopback) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"}) {
    ServerOptions o;
    o.host = host;
    EXPECT_FALSE(*AuthOn("", o)) << host;
    EXPECT_TRUE(*AuthOn("on", o)) << host;
  }
  for (const char* host : {"0.0.0.0", "10.0.0.5", "::", "example.com"}) {
    ServerOptions o;
    o.host = host;
    EXPECT_TRUE(*AuthOn("", o)) << host;
    EXPECT_FALSE(*AuthOn("off", o)) << host;
  }
  EXPECT_EQ(AuthOn("yes", ServerOptions()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::api
