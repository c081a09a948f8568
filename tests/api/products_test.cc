// The gold views as data products (serve/engine_products.cc; `strata products`,
// GET /v1/products): what each declares, what it reads and who reads it, its live version and
// rows, and its freshness measured against its objective — records appended but not consumed
// make it lag; consuming them brings it back to 0.
#include <simdjson.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "api/client.h"
#include "api/ingest.h"
#include "api/pipeline_commands.h"
#include "serve/engine.h"
#include "testing/temp_dir.h"

namespace strata::api {
namespace {

constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.orders (id text, customer text, amount numeric(12,2))
WITH (layer = 'bronze', format = 'json', key = 'id', partitions = 2);
CREATE TABLE silver.orders (id text NOT NULL, customer text, amount numeric(12,2),
  PRIMARY KEY (id)) WITH (layer = 'silver');
INSERT INTO silver.orders SELECT id, customer, amount FROM bronze.orders;
CREATE MATERIALIZED VIEW gold.by_customer WITH (owner = 'finance', freshness = '1 hour',
  description = 'Revenue per customer') AS
SELECT customer, sum(amount) AS revenue FROM silver.orders GROUP BY customer;
CREATE MATERIALIZED VIEW gold.strict WITH (owner = 'ops', freshness = '1 millisecond') AS
SELECT customer, revenue FROM gold.by_customer GROUP BY customer, revenue;
)sql";

class ProductsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto prepared = PreparePipelineText(dir_.Sub("data"), kPipeline, "pipeline.sql");
    ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
    store_ = std::move(prepared->store);
    auto engine =
        serve::Engine::Open(store_.get(), dir_.Sub("data"), prepared->text, prepared->path);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }

  // Product `name` of a fresh ProductsJson.
  simdjson::dom::element Product(const std::string& name) {
    json_ = engine_->ProductsJson();
    simdjson::dom::array products;
    EXPECT_EQ(parser_.parse(json_)["products"].get(products), simdjson::SUCCESS) << json_;
    for (simdjson::dom::element p : products) {
      std::string_view n;
      if (!p["name"].get(n) && n == name) return p;
    }
    ADD_FAILURE() << name << " not in " << json_;
    return simdjson::dom::element();
  }
  static std::string Json(simdjson::dom::element e) { return simdjson::minify(e); }

  testing::TempDir dir_;
  std::unique_ptr<log::Store> store_;
  std::unique_ptr<serve::Engine> engine_;
  simdjson::dom::parser parser_;
  std::string json_;
};

TEST_F(ProductsTest, DeclarationsLineageAndFreshness) {
  simdjson::dom::element p = Product("gold.by_customer");
  EXPECT_EQ(Json(p["owner"].value_unsafe()), "\"finance\"");
  EXPECT_EQ(Json(p["description"].value_unsafe()), "\"Revenue per customer\"");
  EXPECT_EQ(Json(p["serving"].value_unsafe()), "\"kappa\"");
  EXPECT_EQ(Json(p["columns"].value_unsafe()),
            R"([{"name":"customer","type":"text","not_null":false},)"
            R"j({"name":"revenue","type":"numeric(38,2)","not_null":false}])j");
  EXPECT_EQ(Json(p["reads"].value_unsafe()), R"j(["bronze.orders"])j");
  EXPECT_EQ(Json(p["upstream"].value_unsafe()), R"j(["silver.orders"])j");
  EXPECT_EQ(Json(p["consumers"].value_unsafe()), R"j(["gold.strict"])j");
  EXPECT_EQ(Json(p["live_version"].value_unsafe()), "null");
  EXPECT_EQ(Json(p["freshness"].value_unsafe()), R"j({"objective_s":3600,"lag_s":0,"met":true})j");
  simdjson::dom::element strict = Product("gold.strict");
  EXPECT_EQ(Json(strict["upstream"].value_unsafe()), R"j(["gold.by_customer","silver.orders"])j");
  EXPECT_EQ(Json(strict["consumers"].value_unsafe()), "[]");

  // Three records appended, none consumed: both products lag by their wait.
  auto table = store_->GetTable("bronze.orders");
  ASSERT_TRUE(table.ok());
  auto ingested = IngestBody(*table,
                             "{\"id\":\"o1\",\"customer\":\"a\",\"amount\":1}\n"
                             "{\"id\":\"o2\",\"customer\":\"b\",\"amount\":2}\n"
                             "{\"id\":\"o3\",\"customer\":\"a\",\"amount\":3}\n",
                             "test", "t:");
  ASSERT_TRUE(ingested.ok()) << ingested.status().ToString();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  double lag = 0;
  bool met = true;
  p = Product("gold.by_customer");
  ASSERT_EQ(p["freshness"]["lag_s"].get(lag), simdjson::SUCCESS);
  EXPECT_GE(lag, 0.03);
  EXPECT_LT(lag, 60);
  ASSERT_EQ(p["freshness"]["met"].get(met), simdjson::SUCCESS);
  EXPECT_TRUE(met);
  strict = Product("gold.strict");
  ASSERT_EQ(strict["freshness"]["met"].get(met), simdjson::SUCCESS);
  EXPECT_FALSE(met) << "30 ms waiting misses a 1 ms objective";

  // Consumed and published: no lag, two rows, a live version.
  while (!engine_->CaughtUp()) {
    ASSERT_TRUE(engine_->Step().ok());
  }
  ASSERT_TRUE(engine_->PublishStreaming().ok());
  p = Product("gold.by_customer");
  EXPECT_EQ(Json(p["freshness"]["lag_s"].value_unsafe()), "0");
  EXPECT_EQ(Json(p["rows"].value_unsafe()), "2");
  EXPECT_EQ(Json(p["live_version"].value_unsafe()), "1");
  std::string_view published;
  EXPECT_EQ(p["last_publish"].get(published), simdjson::SUCCESS);
  strict = Product("gold.strict");
  ASSERT_EQ(strict["freshness"]["met"].get(met), simdjson::SUCCESS);
  EXPECT_TRUE(met);
}

TEST_F(ProductsTest, TheEmbeddedClientAsksTheEngine) {
  EmbeddedClient client(engine_.get());
  auto json = client.ProductsJson();
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, engine_->ProductsJson());
}

}  // namespace
}  // namespace strata::api
