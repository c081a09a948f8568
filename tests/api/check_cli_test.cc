// `strata check FILE [--format text|json|dot]` through the real binary: the plan graph in
// each format (sql/graph.h), and an unknown format as a usage error.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <simdjson.h>

#include "gmock/gmock.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;

// One entity from two sources, a second cleanup stage, a windowed view and a view of it.
constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.web (customer_id text, email text, updated_at timestamp)
WITH (key = 'customer_id', watermark = 'updated_at - 1 minute');
CREATE TABLE bronze.cdc (customer_id text, email text, updated_at timestamp)
WITH (connector = 'postgres-cdc', conninfo = 'host=db password=s3cret', source_table = 'c',
      key = 'customer_id');
CREATE TABLE silver.customers (customer_id text NOT NULL, email text, updated_at timestamp NOT NULL,
                               PRIMARY KEY (customer_id))
WITH (dedupe_order = 'updated_at');
INSERT INTO silver.customers SELECT customer_id, lower(email), updated_at FROM bronze.web;
INSERT INTO silver.customers SELECT customer_id, email, updated_at FROM bronze.cdc;
CREATE TABLE silver.known (customer_id text NOT NULL, updated_at timestamp NOT NULL,
                           PRIMARY KEY (customer_id));
INSERT INTO silver.known SELECT customer_id, updated_at FROM silver.customers
WHERE email IS NOT NULL;
CREATE MATERIALIZED VIEW gold.hourly AS
SELECT window_start, count(*) AS n FROM silver.known GROUP BY tumble(updated_at, '1 hour');
CREATE MATERIALIZED VIEW gold.daily AS
SELECT date_trunc('day', window_start) AS day, sum(n) AS n FROM gold.hourly GROUP BY 1;
)sql";

// Every node of kPipeline with its inputs, in order.
const std::vector<std::pair<std::string, std::vector<std::string>>> kEdges = {
    {"bronze.web", {}},
    {"bronze.web/decode", {"bronze.web"}},
    {"bronze.cdc", {}},
    {"bronze.cdc/decode", {"bronze.cdc"}},
    {"silver.customers/1/project", {"bronze.web/decode"}},
    {"silver.customers/2/project", {"bronze.cdc/decode"}},
    {"silver.customers/union", {"silver.customers/1/project", "silver.customers/2/project"}},
    {"silver.customers/expect", {"silver.customers/union"}},
    {"silver.customers/upsert", {"silver.customers/expect"}},
    {"silver.customers__quarantine", {"silver.customers/expect"}},
    {"silver.known/filter", {"silver.customers/upsert"}},
    {"silver.known/project", {"silver.known/filter"}},
    {"silver.known/expect", {"silver.known/project"}},
    {"silver.known/append", {"silver.known/expect"}},
    {"silver.known__quarantine", {"silver.known/expect"}},
    {"gold.hourly/window", {"silver.known/append"}},
    {"gold.hourly/aggregate", {"gold.hourly/window"}},
    {"gold.hourly/project", {"gold.hourly/aggregate"}},
    {"gold.hourly__late", {"gold.hourly/window"}},
    {"gold.daily/aggregate", {"gold.hourly/project"}},
    {"gold.daily/project", {"gold.daily/aggregate"}},
};

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

class CheckCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pipeline_ = dir_.path() + "/p.sql";
    std::ofstream f(pipeline_);
    f << kPipeline;
    ASSERT_TRUE(f.good());
  }

  ProcessResult Check(std::vector<std::string> args) {
    args.insert(args.begin(), {STRATA_BINARY, "check", pipeline_});
    return testing::RunProcess(args, {});
  }

  testing::TempDir dir_;
  std::string pipeline_;
};

TEST_F(CheckCliTest, TextIsTheDefault) {
  ProcessResult r = Check({});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Check({"--format", "text"}).out, r.out);
  EXPECT_THAT(r.out, HasSubstr("silver.customers/union  union  <- silver.customers/1/project, "
                               "silver.customers/2/project  at 7:1\n"));
  EXPECT_THAT(r.out, HasSubstr("silver.known/filter  filter  <- silver.customers/upsert  at 14:1\n"
                               "  email IS NOT NULL\n"));
  EXPECT_THAT(r.out, HasSubstr("  conninfo 'host=db password=***'\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("s3cret")));
  EXPECT_EQ(r.err, "");
}

TEST_F(CheckCliTest, JsonListsEveryNodeWithItsInputs) {
  ProcessResult r = Check({"--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
  simdjson::dom::array nodes;
  ASSERT_EQ(doc["nodes"].get_array().get(nodes), simdjson::SUCCESS) << r.out;
  std::vector<std::pair<std::string, std::vector<std::string>>> edges;
  for (simdjson::dom::element node : nodes) {
    std::vector<std::string> inputs;
    simdjson::dom::array array;
    ASSERT_EQ(node["inputs"].get_array().get(array), simdjson::SUCCESS) << r.out;
    for (simdjson::dom::element in : array)
      inputs.emplace_back(in.get_string().value());
    edges.emplace_back(std::string(node["id"].get_string().value()), inputs);
  }
  EXPECT_EQ(edges, kEdges) << r.out;
  EXPECT_THAT(
      r.out,
      HasSubstr(R"({"id": "silver.customers/upsert", "kind": "upsert", )"
                R"("table": "silver.customers", "inputs": ["silver.customers/expect"], )"
                R"("schema": [{"name": "customer_id", "type": "text", "not_null": true}, )"));
  EXPECT_THAT(r.out, HasSubstr(R"("key": ["customer_id"], "detail": ["latest by updated_at"], )"
                               R"("line": 7, "column": 1})"));
  EXPECT_THAT(r.out, Not(HasSubstr("s3cret")));
}

TEST_F(CheckCliTest, DotHasAnEdgePerInput) {
  ProcessResult r = Check({"--format", "dot"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_TRUE(r.out.starts_with("digraph strata {\n")) << r.out;
  EXPECT_TRUE(r.out.ends_with("}\n")) << r.out;
  size_t inputs = 0, edges = 0;
  for (const auto& [id, from] : kEdges) {
    EXPECT_THAT(r.out, HasSubstr("  \"" + id + "\" [label="));
    for (const std::string& in : from) {
      EXPECT_THAT(r.out, HasSubstr("  \"" + in + "\" -> \"" + id + "\";\n"));
      ++inputs;
    }
  }
  for (size_t at = 0; (at = r.out.find(" -> ", at)) != std::string::npos; ++at)
    ++edges;
  EXPECT_EQ(edges, inputs);
  EXPECT_THAT(r.out, HasSubstr("\"gold.hourly__late\" [label=\"late\\ngold.hourly__late\", "
                               "shape=note];\n"));
}

// A view over a join: a join node with both tables' outputs as inputs, qualified names in
// the plan, and a warning on stderr that its state grows without limit.
TEST_F(CheckCliTest, AJoinIsANodeWithTwoInputsAndAWarning) {
  std::ofstream(pipeline_) << kPipeline << R"sql(
CREATE MATERIALIZED VIEW gold.known_per_day AS
SELECT date_trunc('day', k.updated_at) AS day, count(c.email) AS emails
FROM silver.known k LEFT JOIN silver.customers c
  ON k.customer_id = c.customer_id AND c.updated_at >= k.updated_at
GROUP BY 1;
)sql";
  ProcessResult r = Check({});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("gold.known_per_day/join  join  <- silver.known/append, "
                               "silver.customers/upsert  at 23:26\n"
                               "  key (k.customer_id)\n"));
  EXPECT_THAT(r.out, HasSubstr("  key k.customer_id = c.customer_id\n"
                               "  and c.updated_at >= k.updated_at\n"));
  EXPECT_THAT(r.out,
              HasSubstr("gold.known_per_day/aggregate  aggregate  <- gold.known_per_day/join"));
  EXPECT_THAT(r.out, HasSubstr("#1 count(c.email)  bigint\n"));
  EXPECT_EQ(r.err, "strata: warning: " + pipeline_ +
                       ":23:26: gold.known_per_day keeps every row of silver.known and "
                       "silver.customers in its join state (no time bound), so the state grows "
                       "with them; strata status shows its size\n");
}

// A silver table fed by a join: the join node precedes its filter and projection, which
// name the joined row's columns qualified; the warning names the silver table.
TEST_F(CheckCliTest, ASilverTableFedByAJoinHasAJoinNode) {
  std::ofstream(pipeline_) << kPipeline << R"sql(
CREATE TABLE silver.emails (customer_id text NOT NULL, email text, PRIMARY KEY (customer_id));
INSERT INTO silver.emails SELECT k.customer_id, c.email
FROM silver.known k JOIN silver.customers c ON k.customer_id = c.customer_id
WHERE c.email LIKE '%@%';
)sql";
  ProcessResult r = Check({});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("silver.emails/join  join  <- silver.known/append, "
                               "silver.customers/upsert  at 23:21\n"
                               "  key (k.customer_id)\n"));
  EXPECT_THAT(r.out, HasSubstr("silver.emails/filter  filter  <- silver.emails/join"));
  EXPECT_THAT(r.out, HasSubstr("  c.email LIKE '%@%'\n"));
  EXPECT_THAT(r.out, HasSubstr("  email text := c.email\n"));
  EXPECT_THAT(r.out, HasSubstr("silver.emails/append  append  <- silver.emails/expect"));
  EXPECT_THAT(r.out, HasSubstr("each change of the join of silver.known and silver.customers "
                               "is a change of this table"));
  EXPECT_THAT(r.err, HasSubstr(":23:21: silver.emails keeps every row of silver.known and "
                               "silver.customers in its join state"));
}

TEST_F(CheckCliTest, UnknownFormatIsAUsageError) {
  ProcessResult r = Check({"--format", "yaml"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("--format"));
  EXPECT_EQ(r.out, "");
}

TEST_F(CheckCliTest, ErrorsAndDataAreUnchanged) {
  std::ofstream(pipeline_) << "CREATE TABLE silver.x (a bigint);\nINSERT INTO silver.x SELECT a "
                              "FROM bronze.nope;\n";
  ProcessResult r = Check({"--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("strata: error: "));
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace strata
