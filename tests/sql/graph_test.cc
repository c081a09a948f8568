// The plan graph (sql/graph.h): node ids, kinds, inputs, keys and schemas for each shape of
// pipeline, and its three renderings (text, JSON parsed back, DOT).
#include "sql/graph.h"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "design_pipeline.h"

#include "sql/binder.h"
#include "sql/parser.h"

namespace strata::sql {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kDesignPipeline;
using ::testing::Not;

PlanGraph Graph(std::string_view text) {
  Result<std::vector<Statement>> statements = ParsePipeline(text, "p.sql");
  EXPECT_TRUE(statements.ok()) << statements.status().ToString();
  if (!statements.ok()) return {};
  Result<Pipeline> p = BindPipeline(*statements, "p.sql");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? BuildPlanGraph(*p) : PlanGraph{};
}

std::vector<std::string> Ids(const PlanGraph& g) {
  std::vector<std::string> ids;
  for (const GraphNode& n : g.nodes)
    ids.push_back(n.id + " " + n.kind);
  return ids;
}

std::vector<std::string> ColumnNames(const GraphNode& n) {
  std::vector<std::string> names;
  for (const ColumnSchema& c : n.schema)
    names.push_back(c.name);
  return names;
}

// The node `id`; fails the test (and returns an empty node) when there is none.
const GraphNode& Node(const PlanGraph& g, std::string_view id) {
  static const GraphNode kNone;
  const GraphNode* n = g.Find(id);
  EXPECT_NE(n, nullptr) << "no node " << id;
  return n ? *n : kNone;
}

// Ids are unique, every input names an earlier node, every kind is one of the documented
// ones, every node has a schema and a location.
void ExpectWellFormed(const PlanGraph& g) {
  static const std::set<std::string> kKinds = {"source", "decode",    "filter",     "project",
                                               "union",  "expect",    "upsert",     "append",
                                               "window", "aggregate", "quarantine", "late"};
  std::set<std::string> seen;
  for (const GraphNode& n : g.nodes) {
    for (const std::string& in : n.inputs)
      EXPECT_TRUE(seen.contains(in)) << n.id << " reads " << in << ", not an earlier node";
    EXPECT_TRUE(seen.insert(n.id).second) << "duplicate id " << n.id;
    EXPECT_TRUE(kKinds.contains(n.kind)) << n.id << ": " << n.kind;
    EXPECT_FALSE(n.schema.empty()) << n.id;
    EXPECT_GT(n.at.line, 0) << n.id;
    EXPECT_EQ(n.inputs.empty(), n.kind == "source") << n.id;
  }
}

TEST(PlanGraph, DesignPipeline) {
  PlanGraph g = Graph(kDesignPipeline);
  ExpectWellFormed(g);
  EXPECT_THAT(Ids(g), ElementsAre("bronze.orders source", "bronze.orders/decode decode",
                                  "silver.orders/filter filter", "silver.orders/project project",
                                  "silver.orders/expect expect", "silver.orders/upsert upsert",
                                  "silver.orders__quarantine quarantine",
                                  "gold.revenue_hourly/filter filter",
                                  "gold.revenue_hourly/aggregate aggregate",
                                  "gold.revenue_hourly/project project"));
  const GraphNode& source = Node(g, "bronze.orders");
  EXPECT_THAT(source.key, ElementsAre("order_id"));
  EXPECT_THAT(source.detail,
              ElementsAre("format json", "connector http", "4 partitions",
                          "watermark 'event_ts - 5 seconds'", "compatibility BACKWARD"));
  EXPECT_EQ(source.at.line, 2);
  EXPECT_THAT(ColumnNames(source),
              ElementsAre("order_id", "customer_id", "amount", "status", "email", "event_ts"));
  EXPECT_THAT(Node(g, "bronze.orders/decode").inputs, ElementsAre("bronze.orders"));
  const GraphNode& filter = Node(g, "silver.orders/filter");
  EXPECT_THAT(filter.inputs, ElementsAre("bronze.orders/decode"));
  EXPECT_THAT(filter.detail, ElementsAre("status <> 'test'"));
  EXPECT_EQ(filter.at.line, 18);  // the INSERT
  const GraphNode& project = Node(g, "silver.orders/project");
  EXPECT_THAT(project.detail, Contains(std::string("email text := lower(btrim(email))")));
  EXPECT_TRUE(project.schema[0].not_null);
  const GraphNode& expect = Node(g, "silver.orders/expect");
  EXPECT_THAT(expect.inputs, ElementsAre("silver.orders/project"));
  EXPECT_THAT(expect.detail, Contains(std::string("orders_amount_check: CHECK (amount > 0)")));
  EXPECT_THAT(expect.detail,
              Contains(std::string("on_violation quarantine -> silver.orders__quarantine")));
  const GraphNode& upsert = Node(g, "silver.orders/upsert");
  EXPECT_THAT(upsert.inputs, ElementsAre("silver.orders/expect"));
  EXPECT_THAT(upsert.key, ElementsAre("order_id"));
  EXPECT_THAT(upsert.detail, ElementsAre("latest by event_ts"));
  EXPECT_EQ(upsert.at.line, 10);  // the CREATE TABLE
  const GraphNode& quarantine = Node(g, "silver.orders__quarantine");
  EXPECT_THAT(quarantine.inputs, ElementsAre("silver.orders/expect"));
  EXPECT_EQ(quarantine.schema.size(), QuarantineColumns().size());
  EXPECT_THAT(Node(g, "gold.revenue_hourly/filter").inputs, ElementsAre("silver.orders/upsert"));
  const GraphNode& aggregate = Node(g, "gold.revenue_hourly/aggregate");
  EXPECT_THAT(aggregate.key, ElementsAre("date_trunc('hour', event_ts)"));
  EXPECT_THAT(ColumnNames(aggregate), ElementsAre("#0", "#1", "#2", "#3"));
  EXPECT_THAT(aggregate.detail, Contains(std::string("#3 count(DISTINCT customer_id)  bigint")));
  const GraphNode& out = Node(g, "gold.revenue_hourly/project");
  EXPECT_THAT(ColumnNames(out), ElementsAre("hour", "revenue", "orders", "customers"));
  EXPECT_THAT(out.detail,
              Contains(std::string(
                  "serving lambda, batch every 1 hour, owner finance, freshness 1 minute")));
  EXPECT_EQ(g.OutputNodeId("silver.orders"), "silver.orders/upsert");
  EXPECT_EQ(g.OutputNodeId("gold.revenue_hourly"), "gold.revenue_hourly/project");
  EXPECT_EQ(g.OutputNodeId("gold.nope"), "");
}

constexpr std::string_view kTwoSources = R"sql(
CREATE TABLE bronze.web (customer_id text, email text, updated_at timestamp)
WITH (key = 'customer_id');
CREATE TABLE bronze.cdc (customer_id text, email text, updated_at timestamp)
WITH (format = 'debezium', key = 'customer_id', partitions = 2);
CREATE TABLE bronze.unused (x bigint);
CREATE TABLE silver.customers (customer_id text NOT NULL, email text, updated_at timestamp,
                               PRIMARY KEY (customer_id))
WITH (dedupe_order = 'updated_at');
INSERT INTO silver.customers SELECT customer_id, lower(email), updated_at FROM bronze.web;
INSERT INTO silver.customers SELECT customer_id, email, updated_at FROM bronze.cdc
WHERE email <> 'test';
)sql";

TEST(PlanGraph, SilverTableFedByTwoBronzeTablesIsAUnion) {
  PlanGraph g = Graph(kTwoSources);
  ExpectWellFormed(g);
  EXPECT_THAT(Ids(g),
              ElementsAre("bronze.web source", "bronze.web/decode decode", "bronze.cdc source",
                          "bronze.cdc/decode decode", "bronze.unused source",
                          "silver.customers/1/project project", "silver.customers/2/filter filter",
                          "silver.customers/2/project project", "silver.customers/union union",
                          "silver.customers/expect expect", "silver.customers/upsert upsert",
                          "silver.customers__quarantine quarantine"));
  EXPECT_THAT(Node(g, "silver.customers/1/project").inputs, ElementsAre("bronze.web/decode"));
  EXPECT_EQ(Node(g, "silver.customers/1/project").at.line, 10);
  EXPECT_THAT(Node(g, "silver.customers/2/filter").inputs, ElementsAre("bronze.cdc/decode"));
  EXPECT_EQ(Node(g, "silver.customers/2/filter").at.line, 11);
  EXPECT_THAT(Node(g, "silver.customers/union").inputs,
              ElementsAre("silver.customers/1/project", "silver.customers/2/project"));
  EXPECT_THAT(Node(g, "silver.customers/expect").inputs, ElementsAre("silver.customers/union"));
  EXPECT_THAT(Node(g, "silver.customers/upsert").key, ElementsAre("customer_id"));
  EXPECT_THAT(Node(g, "silver.customers/upsert").detail, ElementsAre("latest by updated_at"));
  EXPECT_THAT(Node(g, "bronze.cdc").detail, Contains(std::string("format debezium")));
  EXPECT_TRUE(Node(g, "bronze.unused").key.empty());
  EXPECT_EQ(g.OutputNodeId("bronze.unused"), "bronze.unused");
  EXPECT_EQ(g.OutputNodeId("bronze.web"), "bronze.web/decode");
}

constexpr std::string_view kSilverOverSilver = R"sql(
CREATE TABLE bronze.orders (order_id text, amount numeric(10,2), status text, ts timestamp)
WITH (key = 'order_id');
CREATE TABLE silver.orders (order_id text NOT NULL, amount numeric(10,2), status text,
                            ts timestamp, PRIMARY KEY (order_id)) WITH (dedupe_order = 'ts');
INSERT INTO silver.orders SELECT order_id, amount, lower(status), ts FROM bronze.orders;
CREATE TABLE silver.paid (order_id text NOT NULL, cents bigint, PRIMARY KEY (order_id));
INSERT INTO silver.paid SELECT order_id, CAST(amount * 100 AS bigint) FROM silver.orders
WHERE status = 'paid';
CREATE TABLE silver.log (status text);
INSERT INTO silver.log SELECT status FROM bronze.orders;
)sql";

TEST(PlanGraph, SilverTableReadingASilverTable) {
  PlanGraph g = Graph(kSilverOverSilver);
  ExpectWellFormed(g);
  const GraphNode& filter = Node(g, "silver.paid/filter");
  EXPECT_THAT(filter.inputs, ElementsAre("silver.orders/upsert"));
  EXPECT_THAT(ColumnNames(filter), ElementsAre("order_id", "amount", "status", "ts"));
  EXPECT_THAT(filter.detail, ElementsAre("status = 'paid'"));
  EXPECT_THAT(Node(g, "silver.paid/project").inputs, ElementsAre("silver.paid/filter"));
  EXPECT_THAT(Node(g, "silver.paid/expect").inputs, ElementsAre("silver.paid/project"));
  const GraphNode& append = Node(g, "silver.paid/append");
  EXPECT_EQ(append.kind, "append");
  EXPECT_THAT(append.inputs, ElementsAre("silver.paid/expect"));
  EXPECT_THAT(append.key, ElementsAre("order_id"));
  EXPECT_THAT(append.detail[0], HasSubstr("each change of silver.orders"));
  EXPECT_EQ(g.Find("silver.paid/upsert"), nullptr);
  EXPECT_EQ(g.OutputNodeId("silver.paid"), "silver.paid/append");
  // No key, no constraint: an append fed by the one input; its quarantine reads the project.
  const GraphNode& log = Node(g, "silver.log/append");
  EXPECT_THAT(log.inputs, ElementsAre("silver.log/project"));
  EXPECT_TRUE(log.key.empty());
  EXPECT_THAT(log.detail, ElementsAre("no PRIMARY KEY: every row is kept"));
  EXPECT_THAT(Node(g, "silver.log__quarantine").inputs, ElementsAre("silver.log/project"));
  EXPECT_THAT(Node(g, "silver.log/project").inputs, ElementsAre("bronze.orders/decode"));
}

constexpr std::string_view kViewOverView = R"sql(
CREATE TABLE bronze.sales (id text, amount numeric(10,2), ts timestamp)
WITH (key = 'id', watermark = 'ts - 6 hours');
CREATE TABLE silver.sales (id text NOT NULL, amount numeric(10,2), ts timestamp NOT NULL,
                           PRIMARY KEY (id)) WITH (dedupe_order = 'ts');
INSERT INTO silver.sales SELECT id, amount, ts FROM bronze.sales;
CREATE MATERIALIZED VIEW gold.hourly WITH (allowed_lateness = '30 seconds') AS
SELECT window_start, count(*) AS sales, sum(amount) AS revenue
FROM silver.sales GROUP BY tumble(ts, '1 hour');
CREATE MATERIALIZED VIEW gold.daily AS
SELECT date_trunc('day', window_start) AS day, sum(revenue) AS revenue FROM gold.hourly
WHERE sales > 0 GROUP BY 1;
CREATE MATERIALIZED VIEW gold.peak AS SELECT max(revenue) AS best_day FROM gold.daily;
)sql";

TEST(PlanGraph, ViewReadingAViewAndWindows) {
  PlanGraph g = Graph(kViewOverView);
  ExpectWellFormed(g);
  const GraphNode& window = Node(g, "gold.hourly/window");
  EXPECT_THAT(window.inputs, ElementsAre("silver.sales/upsert"));
  EXPECT_THAT(ColumnNames(window), ElementsAre("id", "amount", "ts", "window_start", "window_end"));
  EXPECT_THAT(window.detail,
              ElementsAre("tumble(ts, '1 hour') -> window_start, window_end",
                          "allowed lateness 30 seconds", "late records to gold.hourly__late"));
  EXPECT_THAT(Node(g, "gold.hourly/aggregate").inputs, ElementsAre("gold.hourly/window"));
  EXPECT_THAT(Node(g, "gold.hourly/aggregate").key, ElementsAre("window_start", "window_end"));
  const GraphNode& late = Node(g, "gold.hourly__late");
  EXPECT_EQ(late.kind, "late");
  EXPECT_THAT(late.inputs, ElementsAre("gold.hourly/window"));
  EXPECT_EQ(late.schema.size(), LateColumns().size());
  EXPECT_EQ(g.OutputNodeId("gold.hourly"), "gold.hourly/project");
  // gold.daily reads gold.hourly's output: its project node.
  const GraphNode& filter = Node(g, "gold.daily/filter");
  EXPECT_THAT(filter.inputs, ElementsAre("gold.hourly/project"));
  EXPECT_THAT(ColumnNames(filter), ElementsAre("window_start", "sales", "revenue"));
  EXPECT_THAT(filter.detail, ElementsAre("sales > 0"));
  EXPECT_EQ(g.Find("gold.daily/window"), nullptr);
  EXPECT_EQ(g.Find("gold.daily__late"), nullptr);
  EXPECT_THAT(Node(g, "gold.daily/aggregate").key, ElementsAre("date_trunc('day', window_start)"));
  EXPECT_THAT(Node(g, "gold.peak/aggregate").inputs, ElementsAre("gold.daily/project"));
  EXPECT_THAT(Node(g, "gold.peak/aggregate").detail,
              ElementsAre("one group", "#0 max(revenue)  numeric(38,2)"));
  EXPECT_THAT(ColumnNames(Node(g, "gold.peak/project")), ElementsAre("best_day"));
}

constexpr std::string_view kWindowKinds = R"sql(
CREATE TABLE bronze.clicks (id text, page text, event_ts timestamp)
WITH (key = 'id', watermark = 'event_ts - 10 seconds');
CREATE TABLE silver.clicks (id text NOT NULL, page text, event_ts timestamp NOT NULL,
                            PRIMARY KEY (id)) WITH (dedupe_order = 'event_ts');
INSERT INTO silver.clicks SELECT id, page, event_ts FROM bronze.clicks;
CREATE MATERIALIZED VIEW gold.hop AS
SELECT window_start, count(*) AS clicks FROM silver.clicks
GROUP BY hop(event_ts, '2 minutes', '1 minute');
CREATE MATERIALIZED VIEW gold.sessions AS
SELECT page, window_start, window_end, count(*) AS clicks
FROM silver.clicks GROUP BY page, session(event_ts, '1 minute');
)sql";

TEST(PlanGraph, EveryWindowedViewHasAWindowAndALateNode) {
  PlanGraph g = Graph(kWindowKinds);
  ExpectWellFormed(g);
  EXPECT_THAT(Node(g, "gold.hop/window").detail[0],
              HasSubstr("hop(event_ts, '2 minutes', '1 minute')"));
  EXPECT_EQ(Node(g, "gold.hop/window").detail[1], "allowed lateness 0 seconds");
  EXPECT_THAT(Node(g, "gold.sessions/window").detail[0],
              HasSubstr("session(event_ts, '1 minute')"));
  EXPECT_THAT(Node(g, "gold.sessions/aggregate").key,
              ElementsAre("page", "window_start", "window_end"));
  EXPECT_THAT(Node(g, "gold.hop__late").inputs, ElementsAre("gold.hop/window"));
  EXPECT_THAT(Node(g, "gold.sessions__late").inputs, ElementsAre("gold.sessions/window"));
}

TEST(PlanGraph, TextHasOneBlockPerNode) {
  PlanGraph g = Graph(kDesignPipeline);
  std::string text = FormatGraphText(g);
  EXPECT_THAT(text, HasSubstr("silver.orders/upsert  upsert  <- silver.orders/expect  at 10:1\n"
                              "  key (order_id)\n  latest by event_ts\n  schema: order_id text "
                              "NOT NULL, customer_id text NOT NULL, amount numeric(18,2), "
                              "status text, email text, event_ts timestamp NOT NULL\n"));
  EXPECT_THAT(text, HasSubstr("gold.revenue_hourly/aggregate  aggregate  <- "
                              "gold.revenue_hourly/filter  at 23:1\n"));
  EXPECT_THAT(text, HasSubstr("  schema: #0 timestamp, #1 numeric(38,2), #2 bigint, #3 bigint\n"));
  size_t blocks = 0;
  for (size_t at = 0; (at = text.find("\n  schema: ", at)) != std::string::npos; ++at)
    ++blocks;
  EXPECT_EQ(blocks, g.nodes.size());
}

// A JSON array of strings; fails the test when `e` is something else.
std::vector<std::string> Strings(simdjson::simdjson_result<simdjson::dom::element> e) {
  std::vector<std::string> out;
  simdjson::dom::array array;
  EXPECT_EQ(e.get_array().get(array), simdjson::SUCCESS);
  for (simdjson::dom::element item : array) {
    std::string_view s;
    EXPECT_EQ(item.get_string().get(s), simdjson::SUCCESS);
    out.emplace_back(s);
  }
  return out;
}

TEST(PlanGraph, JsonParsesBackToTheGraph) {
  PlanGraph g = Graph(kTwoSources);
  const std::string json = FormatGraphJson(g);
  ASSERT_TRUE(json.ends_with("}\n"));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  simdjson::dom::array nodes;
  ASSERT_EQ(doc["nodes"].get_array().get(nodes), simdjson::SUCCESS) << json;
  ASSERT_EQ(nodes.size(), g.nodes.size());
  size_t i = 0;
  for (simdjson::dom::element node : nodes) {
    const GraphNode& want = g.nodes[i++];
    std::string_view id, kind, table;
    ASSERT_EQ(node["id"].get_string().get(id), simdjson::SUCCESS);
    ASSERT_EQ(node["kind"].get_string().get(kind), simdjson::SUCCESS);
    ASSERT_EQ(node["table"].get_string().get(table), simdjson::SUCCESS);
    EXPECT_EQ(id, want.id);
    EXPECT_EQ(kind, want.kind);
    EXPECT_EQ(table, want.table);
    EXPECT_EQ(Strings(node["inputs"]), want.inputs) << id;
    EXPECT_EQ(Strings(node["key"]), want.key) << id;
    EXPECT_EQ(Strings(node["detail"]), want.detail) << id;
    EXPECT_EQ(node["line"].get_int64().value(), want.at.line) << id;
    EXPECT_EQ(node["column"].get_int64().value(), want.at.column) << id;
    simdjson::dom::array schema;
    ASSERT_EQ(node["schema"].get_array().get(schema), simdjson::SUCCESS) << id;
    ASSERT_EQ(schema.size(), want.schema.size()) << id;
    simdjson::dom::element first;
    ASSERT_EQ(schema.at(0).get(first), simdjson::SUCCESS) << id;
    EXPECT_EQ(first["name"].get_string().value(), want.schema[0].name);
    EXPECT_EQ(first["type"].get_string().value(), want.schema[0].type.ToString());
    EXPECT_EQ(first["not_null"].get_bool().value(), want.schema[0].not_null);
  }
}

TEST(PlanGraph, DotHasOneNodeStatementPerNodeAndOneEdgePerInput) {
  for (std::string_view text : {kDesignPipeline, kTwoSources, kSilverOverSilver, kViewOverView}) {
    PlanGraph g = Graph(text);
    const std::string dot = FormatGraphDot(g);
    EXPECT_TRUE(dot.starts_with("digraph strata {\n")) << dot;
    EXPECT_TRUE(dot.ends_with("}\n")) << dot;
    size_t inputs = 0, edges = 0, labels = 0;
    for (const GraphNode& n : g.nodes) {
      inputs += n.inputs.size();
      for (const std::string& in : n.inputs)
        EXPECT_THAT(dot, HasSubstr("  \"" + in + "\" -> \"" + n.id + "\";\n"));
      EXPECT_THAT(dot, HasSubstr("  \"" + n.id + "\" [label=\"" + n.kind + "\\n" + n.id + "\""));
    }
    for (size_t at = 0; (at = dot.find(" -> ", at)) != std::string::npos; ++at)
      ++edges;
    for (size_t at = 0; (at = dot.find("[label=", at)) != std::string::npos; ++at)
      ++labels;
    EXPECT_EQ(edges, inputs);
    EXPECT_EQ(labels, g.nodes.size());
  }
}

TEST(PlanGraph, DotEscapesQuotesAndBackslashes) {
  PlanGraph g;
  g.nodes.resize(2);
  g.nodes[0].id = "bronze.\"a\\b\"";
  g.nodes[0].kind = "source";
  g.nodes[0].table = "bronze.x";
  g.nodes[1].id = "x";
  g.nodes[1].kind = "decode";
  g.nodes[1].inputs = {g.nodes[0].id};
  const std::string dot = FormatGraphDot(g);
  EXPECT_THAT(dot,
              HasSubstr("  \"bronze.\\\"a\\\\b\\\"\" [label=\"source\\nbronze.\\\"a\\\\b\\\"\", "
                        "shape=cylinder];\n"));
  EXPECT_THAT(dot, HasSubstr("  \"bronze.\\\"a\\\\b\\\"\" -> \"x\";\n"));
}

TEST(PlanGraph, CdcConninfoIsMasked) {
  PlanGraph g = Graph(
      "CREATE TABLE bronze.o (id bigint) WITH (connector = 'postgres-cdc', key = 'id',\n"
      "  conninfo = 'host=db password=s3cret', source_table = 'public.o');\n");
  const GraphNode& source = Node(g, "bronze.o");
  EXPECT_THAT(source.detail, Contains(std::string("conninfo 'host=db password=***'")));
  EXPECT_THAT(source.detail, Contains(std::string("source public.o, slot strata_bronze_o, "
                                                  "publication strata_bronze_o")));
  for (const std::string& out : {FormatGraphText(g), FormatGraphJson(g), FormatGraphDot(g)})
    EXPECT_THAT(out, Not(HasSubstr("s3cret")));
  EXPECT_EQ(g.Find("bronze.o/decode"), nullptr);  // no silver table reads it
}

}  // namespace
}  // namespace strata::sql
