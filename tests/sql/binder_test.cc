#include "sql/binder.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "design_pipeline.h"

#include "common/datetime.h"
#include "sql/graph.h"
#include "sql/parser.h"

namespace strata::sql {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// DESIGN.md §1, verbatim.
using testing::kDesignPipeline;

Result<Pipeline> Bind(std::string_view text) {
  ASSIGN_OR_RETURN(std::vector<Statement> statements, ParsePipeline(text, "p.sql"));
  return BindPipeline(statements, "p.sql");
}

std::string ErrorOf(std::string_view text) {
  Result<Pipeline> r = Bind(text);
  return r.ok() ? "OK" : r.status().message();
}

// "p.sql:L:C: " where C is the 1-based column of `needle` in line L of `text` (line 1 is the
// text's first line).
std::string At(std::string_view text, int line, std::string_view needle) {
  size_t start = 0;
  for (int l = 1; l < line; ++l)
    start = text.find('\n', start) + 1;
  size_t end = text.find('\n', start);
  std::string_view line_text = text.substr(start, end - start);
  size_t col = line_text.find(needle);
  EXPECT_NE(col, std::string_view::npos) << needle << " not on line " << line;
  return "p.sql:" + std::to_string(line) + ":" + std::to_string(col + 1) + ": ";
}

// A small pipeline whose lines 5 (INSERT) and 6 (view) the error tests replace.
constexpr std::string_view kTables =
    "CREATE TABLE bronze.orders (order_id text, customer_id text, amount numeric(18,2),\n"
    "  status text, email text, event_ts timestamp) WITH (key = 'order_id');\n"
    "CREATE TABLE silver.orders (order_id text NOT NULL, amount numeric(18,2),\n"
    "  status text, event_ts timestamp, PRIMARY KEY (order_id));\n";
constexpr std::string_view kInsert =
    "INSERT INTO silver.orders SELECT order_id, amount, status, event_ts FROM bronze.orders;\n";
constexpr std::string_view kView =
    "CREATE MATERIALIZED VIEW gold.v AS SELECT status, count(*) AS n FROM silver.orders GROUP "
    "BY status;\n";

std::string WithInsert(std::string_view insert) {
  return std::string(kTables) + std::string(insert) + "\n";
}
std::string WithView(std::string_view view) {
  return std::string(kTables) + std::string(kInsert) + std::string(view) + "\n";
}

// --- The pipeline of DESIGN.md §1 ---

TEST(BindPipeline, DesignPipeline) {
  Result<Pipeline> r = Bind(kDesignPipeline);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Pipeline& p = *r;
  ASSERT_EQ(p.bronze.size(), 1u);
  ASSERT_EQ(p.silver.size(), 1u);
  ASSERT_EQ(p.gold.size(), 1u);

  const BronzeTable& bronze = p.bronze[0];
  EXPECT_EQ(bronze.name, "bronze.orders");
  EXPECT_EQ(bronze.columns.size(), 6u);
  EXPECT_EQ(bronze.columns[2].type, Type::Numeric(18, 2));
  EXPECT_EQ(bronze.key, "order_id");
  EXPECT_EQ(bronze.partitions, 4u);
  EXPECT_EQ(bronze.format, format::PayloadFormat::kJson);
  EXPECT_EQ(bronze.connector, Connector::kHttp);
  EXPECT_EQ(bronze.watermark, "event_ts - 5 seconds");

  const SilverTable& silver = p.silver[0];
  EXPECT_EQ(silver.name, "silver.orders");
  EXPECT_EQ(silver.inputs[0].source, "bronze.orders");
  EXPECT_EQ(silver.quarantine_table, "silver.orders__quarantine");
  EXPECT_THAT(silver.primary_key, ElementsAre(0));
  EXPECT_EQ(silver.dedupe_order, 5);
  EXPECT_EQ(silver.on_violation, OnViolation::kQuarantine);
  EXPECT_TRUE(silver.columns[0].not_null);
  EXPECT_FALSE(silver.columns[2].not_null);
  std::vector<std::string> constraints;
  for (const Constraint& c : silver.constraints)
    constraints.push_back(c.name + ": " + c.sql);
  EXPECT_THAT(constraints, ElementsAre("orders_order_id_not_null: order_id IS NOT NULL",
                                       "orders_customer_id_not_null: customer_id IS NOT NULL",
                                       "orders_event_ts_not_null: event_ts IS NOT NULL",
                                       "orders_amount_check: amount > 0"));
  EXPECT_EQ(silver.constraints[3].check.type, Type::Boolean());
  ASSERT_TRUE(silver.inputs[0].where.has_value());
  std::vector<std::string> bronze_names = {"order_id", "customer_id", "amount",
                                           "status",   "email",       "event_ts"};
  EXPECT_EQ(FormatBoundExpr(*silver.inputs[0].where, bronze_names), "status <> 'test'");

  ASSERT_EQ(silver.inputs[0].projections.size(), 6u);
  // round(amount, 2) is numeric(38,2), assigned to numeric(18,2) through a cast.
  const BoundExpr& amount = silver.inputs[0].projections[2];
  EXPECT_EQ(amount.kind, BoundKind::kCast);
  EXPECT_EQ(amount.type, Type::Numeric(18, 2));
  EXPECT_EQ(amount.children[0].kind, BoundKind::kCall);
  EXPECT_EQ(amount.children[0].func, Func::kRound);
  EXPECT_EQ(amount.children[0].type, Type::Numeric(38, 2));
  const BoundExpr& email = silver.inputs[0].projections[4];
  EXPECT_EQ(email.type, Type::Text());
  EXPECT_EQ(email.func, Func::kLower);
  EXPECT_EQ(email.children[0].func, Func::kBtrim);
  EXPECT_EQ(silver.inputs[0].projections[0].kind, BoundKind::kColumn);
  EXPECT_EQ(silver.inputs[0].projections[5].column, 5);
  EXPECT_EQ(FormatBoundExpr(amount, bronze_names), "CAST(round(amount, 2) AS numeric(18,2))");
  EXPECT_EQ(FormatBoundExpr(email, bronze_names), "lower(btrim(email))");

  const GoldView& gold = p.gold[0];
  EXPECT_EQ(gold.name, "gold.revenue_hourly");
  EXPECT_EQ(gold.source, "silver.orders");
  EXPECT_EQ(gold.owner, "finance");
  EXPECT_EQ(gold.freshness, 60 * kMicrosPerSecond);
  EXPECT_EQ(gold.serving, Serving::kLambda);
  EXPECT_EQ(gold.batch_every, 3600 * kMicrosPerSecond);
  ASSERT_EQ(gold.group_keys.size(), 1u);
  EXPECT_EQ(gold.group_keys[0].func, Func::kDateTrunc);
  EXPECT_EQ(gold.group_keys[0].type, Type::Timestamp());
  ASSERT_EQ(gold.aggregates.size(), 3u);
  EXPECT_EQ(gold.aggregates[0].kind, AggregateKind::kSum);
  EXPECT_EQ(gold.aggregates[0].type, Type::Numeric(38, 2));
  EXPECT_EQ(gold.aggregates[1].kind, AggregateKind::kCountStar);
  EXPECT_EQ(gold.aggregates[1].type, Type::Bigint());
  EXPECT_EQ(gold.aggregates[2].kind, AggregateKind::kCount);
  EXPECT_TRUE(gold.aggregates[2].distinct);
  EXPECT_EQ(gold.aggregates[2].arg.column, 1);  // silver.orders.customer_id
  std::vector<std::string> outputs;
  for (const OutputColumn& o : gold.outputs) {
    outputs.push_back(o.name + " " + o.type.ToString() + " = " + FormatBoundExpr(o.expr, {}));
  }
  EXPECT_THAT(outputs, ElementsAre("hour timestamp = #0", "revenue numeric(38,2) = #1",
                                   "orders bigint = #2", "customers bigint = #3"));
  EXPECT_EQ(gold.columns.size(), 4u);
  EXPECT_EQ(gold.sql,
            "SELECT date_trunc('hour', event_ts) AS hour, sum(amount) AS revenue, count(*) AS "
            "orders, count(DISTINCT customer_id) AS customers FROM silver.orders WHERE status = "
            "'completed' GROUP BY 1");

  EXPECT_EQ(p.FindColumns("gold.revenue_hourly"), &gold.columns);
  EXPECT_EQ(p.FindColumns("silver.orders__quarantine"), &QuarantineColumns());
  EXPECT_EQ(p.FindColumns("silver.nope"), nullptr);
}

TEST(BindPipeline, PlanGraphShowsTheEssentials) {
  Result<Pipeline> r = Bind(kDesignPipeline);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string plan = FormatGraphText(BuildPlanGraph(*r));
  for (std::string_view part : {
           "bronze.orders  source  at 2:1\n  key (order_id)\n  format json\n  connector http\n"
           "  4 partitions\n  watermark 'event_ts - 5 seconds'\n",
           "silver.orders/filter  filter  <- bronze.orders/decode  at 18:1\n"
           "  status <> 'test'\n",
           "amount numeric(18,2) := CAST(round(amount, 2) AS numeric(18,2))",
           "email text := lower(btrim(email))",
           "orders_amount_check: CHECK (amount > 0)",
           "orders_order_id_not_null: order_id IS NOT NULL",
           "on_violation quarantine -> silver.orders__quarantine",
           "silver.orders/upsert  upsert  <- silver.orders/expect  at 10:1\n  key (order_id)\n"
           "  latest by event_ts\n",
           "gold.revenue_hourly/filter  filter  <- silver.orders/upsert  at 23:1\n"
           "  status = 'completed'\n",
           "serving lambda, batch every 1 hour, owner finance, freshness 1 minute",
           "key (date_trunc('hour', event_ts))\n  #0 date_trunc('hour', event_ts)  timestamp\n",
           "#1 sum(amount)  numeric(38,2)",
           "#2 count(*)  bigint",
           "#3 count(DISTINCT customer_id)  bigint",
           "hour timestamp := #0",
       }) {
    EXPECT_THAT(plan, HasSubstr(std::string(part))) << plan;
  }
}

TEST(BindPipeline, StatementsInAnyOrderAndDefaults) {
  std::string text =
      "CREATE MATERIALIZED VIEW gold.n AS SELECT count(*) AS n FROM silver.s;\n"
      "INSERT INTO silver.s SELECT * FROM bronze.b;\n"
      "CREATE TABLE silver.s (a bigint, b text);\n"
      "CREATE TABLE bronze.b (a bigint, b text);\n";
  Result<Pipeline> r = Bind(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const SilverTable& s = r->silver[0];
  EXPECT_TRUE(s.primary_key.empty());
  EXPECT_EQ(s.dedupe_order, -1);
  EXPECT_FALSE(s.inputs[0].where.has_value());
  EXPECT_EQ(r->bronze[0].partitions, 4u);
  EXPECT_TRUE(r->bronze[0].key.empty());
  const GoldView& g = r->gold[0];
  EXPECT_EQ(g.serving, Serving::kKappa);
  EXPECT_EQ(g.freshness, 0);
  EXPECT_TRUE(g.group_keys.empty());
  EXPECT_EQ(g.aggregates.size(), 1u);
}

TEST(BindPipeline, DebeziumBronzeAndFileConnector) {
  Result<Pipeline> r = Bind(
      "CREATE TABLE bronze.customers (id bigint, name text, updated_at timestamp)\n"
      "  WITH (format = 'debezium', key = 'id', partitions = 16, connector = 'file',\n"
      "        location = '/data/customers.jsonl');\n"
      "CREATE TABLE silver.customers (id bigint PRIMARY KEY, name text, updated_at timestamp)\n"
      "  WITH (dedupe_order = 'updated_at', on_violation = 'drop');\n"
      "INSERT INTO silver.customers SELECT id, name, updated_at FROM bronze.customers;\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const BronzeTable& b = r->bronze[0];
  EXPECT_EQ(b.format, format::PayloadFormat::kDebezium);
  EXPECT_EQ(b.partitions, 16u);
  EXPECT_EQ(b.connector, Connector::kFile);
  EXPECT_EQ(b.location, "/data/customers.jsonl");
  const SilverTable& s = r->silver[0];
  EXPECT_TRUE(s.columns[0].not_null);  // PRIMARY KEY implies NOT NULL
  EXPECT_EQ(s.on_violation, OnViolation::kDrop);
  EXPECT_EQ(s.constraints[0].kind, ConstraintKind::kNotNull);
  EXPECT_EQ(s.constraints[0].column, 0);
  EXPECT_THAT(FormatGraphText(BuildPlanGraph(*r)),
              HasSubstr("  key (id)\n  format debezium\n  connector file '/data/customers.jsonl'\n"
                        "  16 partitions\n"));
}

TEST(BindPipeline, PostgresCdcBronze) {
  Result<Pipeline> r = Bind(
      "CREATE TABLE bronze.orders (order_id bigint, customer text, amount numeric(12,2))\n"
      "  WITH (layer = 'bronze', connector = 'postgres-cdc', format = 'debezium',\n"
      "        conninfo = 'host=db.internal user=strata password=s3cret dbname=shop',\n"
      "        source_table = 'public.orders', key = 'order_id', partitions = 8);\n"
      "CREATE TABLE bronze.refunds (id bigint) WITH (connector = 'postgres-cdc',\n"
      "  conninfo = 'postgresql://app:pw@db/shop', source_table = 'refunds',\n"
      "  slot = 'refund_slot', publication = '_refunds', compatibility = 'forward');\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const BronzeTable& b = r->bronze[0];
  EXPECT_EQ(b.connector, Connector::kPostgresCdc);
  EXPECT_EQ(b.format, format::PayloadFormat::kDebezium);
  EXPECT_EQ(b.conninfo, "host=db.internal user=strata password=s3cret dbname=shop");
  EXPECT_EQ(b.source_table, "public.orders");
  EXPECT_EQ(b.slot, "strata_bronze_orders");  // the defaults
  EXPECT_EQ(b.publication, "strata_bronze_orders");
  EXPECT_EQ(b.partitions, 8u);
  EXPECT_EQ(b.key, "order_id");
  const BronzeTable& refunds = r->bronze[1];
  EXPECT_EQ(refunds.format, format::PayloadFormat::kDebezium);  // implied by the connector
  EXPECT_EQ(refunds.source_table, "refunds");
  EXPECT_EQ(refunds.slot, "refund_slot");
  EXPECT_EQ(refunds.publication, "_refunds");
  EXPECT_EQ(b.compatibility, catalog::Compatibility::kBackward);  // the default
  EXPECT_EQ(refunds.compatibility, catalog::Compatibility::kForward);
  const std::string plan = FormatGraphText(BuildPlanGraph(*r));
  EXPECT_THAT(plan, HasSubstr("bronze.orders  source  at 1:1\n  key (order_id)\n"
                              "  format debezium\n  connector postgres-cdc\n  8 partitions\n"
                              "  source public.orders, slot strata_bronze_orders, publication "
                              "strata_bronze_orders\n"
                              "  conninfo 'host=db.internal user=strata password=*** "
                              "dbname=shop'\n"));
  EXPECT_THAT(plan, HasSubstr("conninfo 'postgresql://app:***@db/shop'"));
  EXPECT_THAT(plan, Not(HasSubstr("s3cret")));
}

TEST(BindPipelineErrors, PostgresCdcOptions) {
  auto bronze = [](std::string_view with) {
    return "CREATE TABLE bronze.o (id bigint, n bigint) WITH (connector = 'postgres-cdc'" +
           std::string(with) + ");";
  };
  const std::string ok = ", conninfo = 'host=x', source_table = 's.t'";
  EXPECT_EQ(ErrorOf(bronze(ok)), "OK");
  std::string t = bronze(", source_table = 's.t'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "connector") +
                            "connector = 'postgres-cdc' needs conninfo = '<libpq connection "
                            "string>' (such as 'host=db.internal dbname=shop user=strata')");
  t = bronze(", conninfo = '', source_table = 's.t'");
  EXPECT_THAT(ErrorOf(t), HasSubstr(At(t, 1, "conninfo") + "connector = 'postgres-cdc' needs"));
  t = bronze(", conninfo = 'host=x'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "connector") +
                            "connector = 'postgres-cdc' needs source_table = '<schema>.<table>'");
  for (std::string_view bad : {"", "a.b.c", ".t", "s."}) {
    t = bronze(", conninfo = 'host=x', source_table = '" + std::string(bad) + "'");
    EXPECT_EQ(ErrorOf(t), At(t, 1, "source_table") +
                              "source_table must be '<schema>.<table>' or '<table>', not '" +
                              std::string(bad) + "'");
  }
  t = bronze(ok + ", format = 'json'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "format") +
                            "connector = 'postgres-cdc' stores change envelopes: format must be "
                            "'debezium', not 'json'");
  for (std::string_view key : {"slot", "publication"}) {
    for (std::string_view bad :
         {"Orders", "1slot", "my-slot", "", "a b",
          "a_name_that_is_far_too_long_for_postgresql_which_stops_at_63_bytes"}) {
      t = bronze(ok + ", " + std::string(key) + " = '" + std::string(bad) + "'");
      EXPECT_EQ(ErrorOf(t), At(t, 1, std::string(key) + " = ") + std::string(key) +
                                " must be a PostgreSQL identifier (lower-case letters, digits and "
                                "'_', not starting with a digit, at most 63 bytes), not '" +
                                std::string(bad) + "'");
    }
    EXPECT_EQ(ErrorOf(bronze(ok + ", " + std::string(key) + " = 'ok_2'")), "OK");
  }
  for (std::string_view key : {"conninfo", "source_table", "slot", "publication"}) {
    t = "CREATE TABLE bronze.o (id bigint) WITH (connector = 'http', " + std::string(key) +
        " = 'x');";
    EXPECT_EQ(ErrorOf(t), At(t, 1, std::string(key) + " = ") + std::string(key) +
                              " is only used with connector = 'postgres-cdc'");
  }
  // A long table name gives a default cut to PostgreSQL's 63 bytes.
  Result<Pipeline> r = Bind(
      "CREATE TABLE bronze.a_very_long_bronze_table_name_that_goes_on_and_on_and_on (id bigint) "
      "WITH (connector = 'postgres-cdc', conninfo = 'host=x', source_table = 't');");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->bronze[0].slot.size(), 63u);
  EXPECT_TRUE(r->bronze[0].slot.starts_with("strata_bronze_a_very_long"));
}

TEST(MaskConninfo, HidesPasswords) {
  EXPECT_EQ(MaskConninfo("host=db password=secret user=u"), "host=db password=*** user=u");
  EXPECT_EQ(MaskConninfo("password = 'se cr\\'et' host=db"), "password = *** host=db");
  EXPECT_EQ(MaskConninfo("host=db passfile=/x"), "host=db passfile=/x");
  EXPECT_EQ(MaskConninfo("password=a\\ b host=c"), "password=*** host=c");
  EXPECT_EQ(MaskConninfo("postgresql://u:pw@h:5432,h2/db?sslmode=require&password=x&a=b"),
            "postgresql://u:***@h:5432,h2/db?sslmode=require&password=***&a=b");
  EXPECT_EQ(MaskConninfo("postgres://u@h/db"), "postgres://u@h/db");
  EXPECT_EQ(MaskConninfo("postgresql://h/db"), "postgresql://h/db");
}

TEST(BindPipeline, InsertColumnListsAndMissingColumns) {
  Result<Pipeline> r = Bind(
      WithInsert("INSERT INTO silver.orders (event_ts, order_id) SELECT event_ts, upper(order_id) "
                 "FROM bronze.orders o WHERE o.amount > 10;"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const SilverTable& s = r->silver[0];
  ASSERT_EQ(s.inputs[0].projections.size(), 4u);
  EXPECT_EQ(s.inputs[0].projections[0].func, Func::kUpper);
  EXPECT_EQ(s.inputs[0].projections[1].kind, BoundKind::kLiteral);  // amount: NULL
  EXPECT_TRUE(s.inputs[0].projections[1].literal.is_null());
  EXPECT_EQ(s.inputs[0].projections[1].type, Type::Numeric(18, 2));
  EXPECT_EQ(s.inputs[0].projections[3].column, 5);
  // Fewer items than columns without a list: the rest are NULL.
  r = Bind(WithInsert("INSERT INTO silver.orders SELECT order_id, 5 FROM bronze.orders;"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->silver[0].inputs[0].projections[1].kind,
            BoundKind::kLiteral);  // 5 → numeric(18,2) 5.00
  EXPECT_EQ(r->silver[0].inputs[0].projections[1].literal, Value::Int128(500));
  // String literals are read as the column's type.
  r =
      Bind(WithInsert("INSERT INTO silver.orders SELECT order_id, '12.5', 'x', '2026-01-02' "
                      "FROM bronze.orders;"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->silver[0].inputs[0].projections[1].literal, Value::Int128(1250));
  EXPECT_EQ(r->silver[0].inputs[0].projections[3].type, Type::Timestamp());
}

// --- Errors in statements and options ---

TEST(BindPipelineErrors, Names) {
  std::string t = WithInsert(
      "INSERT INTO silver.orders SELECT order_id, amout, status, event_ts FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "amout") +
                            "column \"amout\" does not exist in bronze.orders (did you mean "
                            "\"amount\"?)");
  t = WithInsert("INSERT INTO silver.orders SELECT order_id, zzz FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "zzz") + "column \"zzz\" does not exist in bronze.orders");
  t = WithInsert("INSERT INTO silver.orders SELECT order_id FROM bronze.ordrs;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "bronze.ordrs") +
                            "table \"bronze.ordrs\" does not exist (did you mean bronze.orders?)");
  t = WithInsert("INSERT INTO silver.ordrs SELECT order_id FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "silver.ordrs") +
                            "table \"silver.ordrs\" does not exist (did you mean silver.orders?)");
  t = WithInsert("INSERT INTO bronze.orders SELECT * FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "bronze.orders") +
                            "cannot INSERT into bronze.orders: bronze tables are filled by "
                            "ingestion (POST /v1/tables/bronze.orders/events or a connector), "
                            "not by INSERT");
  t = WithInsert("INSERT INTO silver.orders SELECT * FROM silver.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "silver.orders;") +
                            "silver.orders reads silver.orders, itself: a node cannot read its "
                            "own rows (a cycle)");
  t = WithInsert("INSERT INTO silver.orders SELECT x.order_id FROM bronze.orders o;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "x.order_id") +
                            "missing FROM-clause entry for table \"x\" (this reads "
                            "bronze.orders; qualify its columns with \"o\" or not at all)");
  t = WithInsert("INSERT INTO silver.orders SELECT orders.order_id FROM bronze.orders o;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "orders.order_id") +
                            "invalid reference to FROM-clause entry for table \"orders\": "
                            "bronze.orders is called \"o\" here");
  t = WithInsert("INSERT INTO silver.orders SELECT orders.order_id FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), "OK");
  t = WithView("CREATE MATERIALIZED VIEW gold.v AS SELECT count(*) AS n FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "bronze.orders") +
                            "gold.v reads bronze.orders, a bronze table: a gold view reads from a "
                            "silver table or an earlier gold view (bronze holds raw records; "
                            "clean them in silver first)");
  t = "CREATE TABLE orders (a bigint);";
  EXPECT_EQ(ErrorOf(t), At(t, 1, "orders") +
                            "table name \"orders\" needs its layer as schema: bronze.orders or "
                            "silver.orders");
  t = "CREATE TABLE gold.x (a bigint);";
  EXPECT_THAT(ErrorOf(t), HasSubstr("p.sql:1:14: gold.x: gold tables are materialized views"));
  t = "CREATE TABLE bronze.a (a bigint);\nCREATE TABLE bronze.a (b bigint);";
  EXPECT_EQ(ErrorOf(t), At(t, 2, "bronze.a") + "bronze.a is already defined (at line 1:1)");
  t = "CREATE TABLE bronze.a (a bigint, a text);";
  EXPECT_EQ(ErrorOf(t), At(t, 1, "a text") + "column \"a\" specified more than once");
}

// --- A pipeline is a graph ---

constexpr std::string_view kGraphTables =
    "CREATE TABLE bronze.web (id text, amount numeric(18,2), ts timestamp);\n"
    "CREATE TABLE bronze.cdc (id text, amount numeric(18,2), ts timestamp) WITH (format = "
    "'debezium');\n"
    "CREATE TABLE silver.orders (id text, amount numeric(18,2), ts timestamp, PRIMARY KEY "
    "(id)) WITH (dedupe_order = 'ts');\n";

TEST(BindPipeline, SeveralInsertsFeedOneSilverTable) {
  Result<Pipeline> r = Bind(std::string(kGraphTables) +
                            "INSERT INTO silver.orders SELECT id, amount, ts FROM bronze.web;\n"
                            "INSERT INTO silver.orders SELECT * FROM bronze.cdc WHERE amount > 0;");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const SilverTable& s = r->silver[0];
  ASSERT_EQ(s.inputs.size(), 2u);
  EXPECT_EQ(s.inputs[0].source, "bronze.web");
  EXPECT_FALSE(s.inputs[0].where.has_value());
  EXPECT_EQ(s.inputs[1].source, "bronze.cdc");
  EXPECT_TRUE(s.inputs[1].where.has_value());
  EXPECT_EQ(s.inputs[1].defined_at.line, 5);
  EXPECT_FALSE(s.from_silver());
  EXPECT_EQ(r->BronzeSources("silver.orders"),
            (std::vector<std::string>{"bronze.web", "bronze.cdc"}));
}

TEST(BindPipeline, SilverReadsSilverAndGoldReadsGold) {
  std::string t = std::string(kGraphTables) +
                  "CREATE TABLE silver.big (id text NOT NULL, amount numeric(18,2), day date, "
                  "PRIMARY KEY (id));\n"
                  "INSERT INTO silver.orders SELECT id, amount, ts FROM bronze.web;\n"
                  "INSERT INTO silver.big SELECT id, amount, ts::date FROM silver.orders WHERE "
                  "amount > 100;\n"
                  "CREATE MATERIALIZED VIEW gold.daily AS SELECT day, sum(amount) AS total FROM "
                  "silver.big GROUP BY day;\n"
                  "CREATE MATERIALIZED VIEW gold.monthly AS SELECT date_trunc('month', day) AS m, "
                  "sum(total) AS total FROM gold.daily GROUP BY 1;\n";
  Result<Pipeline> r = Bind(t);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->silver.size(), 2u);
  EXPECT_TRUE(r->silver[1].from_silver());
  EXPECT_EQ(r->silver[1].inputs[0].source, "silver.orders");
  const GoldView* monthly = r->FindGold("gold.monthly");
  ASSERT_NE(monthly, nullptr);
  EXPECT_TRUE(monthly->from_gold);
  EXPECT_EQ(monthly->source, "gold.daily");
  EXPECT_EQ(r->BronzeSources("gold.monthly"), std::vector<std::string>{"bronze.web"});
  std::vector<std::string> up = r->Upstream("gold.monthly");
  std::sort(up.begin(), up.end());
  EXPECT_EQ(up, (std::vector<std::string>{"bronze.web", "gold.daily", "gold.monthly", "silver.big",
                                          "silver.orders"}));
}

TEST(BindPipelineErrors, Graph) {
  const std::string insert = "INSERT INTO silver.orders SELECT id, amount, ts FROM bronze.web;\n";
  // A node reads only nodes defined before it; a cycle is named as one.
  std::string t = std::string(kGraphTables) + insert +
                  "CREATE MATERIALIZED VIEW gold.a AS SELECT id, sum(n) AS n FROM gold.b GROUP BY "
                  "id;\n"
                  "CREATE MATERIALIZED VIEW gold.b AS SELECT id, count(*) AS n FROM silver.orders "
                  "GROUP BY id;\n";
  EXPECT_EQ(ErrorOf(t), At(t, 5, "gold.b") +
                            "gold.a reads gold.b, which is defined later (at line 6:1): a node "
                            "reads only nodes defined before it");
  t = std::string(kGraphTables) + insert +
      "CREATE MATERIALIZED VIEW gold.a AS SELECT id, sum(n) AS n FROM gold.b GROUP BY id;\n"
      "CREATE MATERIALIZED VIEW gold.b AS SELECT id, sum(n) AS n FROM gold.a GROUP BY id;\n";
  EXPECT_EQ(ErrorOf(t), At(t, 5, "gold.b") +
                            "cycle: gold.a → gold.b → gold.a (a pipeline is a graph without "
                            "cycles)");
  t = std::string(kGraphTables) +
      "CREATE TABLE silver.x (id text, amount numeric(18,2), ts timestamp);\n"
      "INSERT INTO silver.orders SELECT * FROM silver.x;\n"
      "INSERT INTO silver.x SELECT * FROM silver.orders;\n";
  EXPECT_EQ(ErrorOf(t), At(t, 5, "silver.x;") +
                            "cycle: silver.orders → silver.x → silver.orders (a pipeline is a "
                            "graph without cycles)");
  // A view of a view: no window, and only of a grouped view.
  t = std::string(kGraphTables) + insert +
      "CREATE MATERIALIZED VIEW gold.a AS SELECT id, max(ts) AS ts FROM silver.orders GROUP BY "
      "id;\n"
      "CREATE MATERIALIZED VIEW gold.b AS SELECT window_start, count(*) AS n FROM gold.a GROUP BY "
      "tumble(ts, '1 hour');\n";
  EXPECT_EQ(ErrorOf(t), At(t, 6, "gold.a") +
                            "gold.b reads gold.a, a gold view: event-time windows read a silver "
                            "table; group a view's rows by their columns (e.g. "
                            "date_trunc('day', window_start))");
  t = std::string(kGraphTables) + insert +
      "CREATE MATERIALIZED VIEW gold.a AS SELECT count(*) AS n FROM silver.orders;\n"
      "CREATE MATERIALIZED VIEW gold.b AS SELECT sum(n) AS n FROM gold.a;\n";
  EXPECT_EQ(ErrorOf(t), At(t, 6, "gold.a") +
                            "gold.b reads gold.a, which has no GROUP BY: a view reads only a "
                            "grouped view");
  // A silver table fed by a silver table keeps its rows one for one.
  const std::string tables =
      std::string(kGraphTables) + insert +
      "CREATE TABLE silver.y (id text, amount numeric(18,2), PRIMARY KEY (id))";
  t = tables + " WITH (dedupe_order = 'amount');\n" +
      "INSERT INTO silver.y SELECT id, amount FROM silver.orders;\n";
  EXPECT_THAT(ErrorOf(t), HasSubstr("silver.y reads silver.orders, whose primary key already "
                                    "chose each key's version"));
  t = std::string(kGraphTables) + insert +
      "CREATE TABLE silver.y (id text, amount numeric(18,2), PRIMARY KEY (amount));\n"
      "INSERT INTO silver.y SELECT id, amount FROM silver.orders;\n";
  EXPECT_EQ(ErrorOf(t), At(t, 6, "silver.orders") +
                            "silver.y reads silver.orders: its primary key must include "
                            "silver.orders's key column \"id\" as it is (it keeps its source's "
                            "rows one for one; deduplicate by another key in a table fed by "
                            "bronze)");
  t = std::string(kGraphTables) + insert +
      "CREATE TABLE silver.y (id text, amount numeric(18,2));\n"
      "INSERT INTO silver.y SELECT id, amount FROM silver.orders;\n"
      "INSERT INTO silver.y SELECT id, amount FROM bronze.web;\n";
  EXPECT_EQ(ErrorOf(t),
            "p.sql:6:1: silver.y reads silver.orders and has other INSERTs: a silver "
            "table fed by a silver table has exactly that one INSERT (several "
            "INSERTs may each read a bronze table)");
}

TEST(BindPipelineErrors, Inserts) {
  std::string t = std::string(kTables);
  EXPECT_EQ(ErrorOf(t),
            "p.sql:3:1: silver.orders has no INSERT INTO silver.orders SELECT ... "
            "FROM bronze.<table> to fill it");
  t = WithInsert("INSERT INTO silver.orders SELECT order_id, status FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "status") +
                            "column \"amount\" is of type numeric(18,2) but expression is of type "
                            "text (convert it with CAST(... AS numeric(18,2)))");
  t = WithInsert("INSERT INTO silver.orders SELECT order_id, sum(amount) FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "sum") +
                            "aggregate functions are not allowed in an INSERT into a silver table "
                            "(silver transforms one record at a time; aggregate in a gold view)");
  t = WithInsert("INSERT INTO silver.orders SELECT order_id FROM bronze.orders GROUP BY 1;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "1;") +
                            "GROUP BY is not supported in an INSERT into a silver "
                            "table");
  t = WithInsert("INSERT INTO silver.orders SELECT order_id, event_ts FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "event_ts") +
                            "column \"amount\" is of type numeric(18,2) but expression is of type "
                            "timestamp (convert it with CAST(... AS numeric(18,2)))");
  // Anything can be assigned to text.
  t = WithInsert("INSERT INTO silver.orders SELECT amount FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), "OK");
  t = WithInsert("INSERT INTO silver.orders (amount) SELECT amount FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "silver.orders") +
                            "the INSERT gives no value to column \"order_id\" of silver.orders, "
                            "which is NOT NULL");
  t = WithInsert(
      "INSERT INTO silver.orders (order_id, amout) SELECT order_id, amount FROM "
      "bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "amout") +
                            "column \"amout\" is not a column of silver.orders "
                            "(did you mean \"amount\"?)");
  t = WithInsert(
      "INSERT INTO silver.orders (order_id) SELECT order_id, amount FROM "
      "bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "silver.orders") +
                            "INSERT has more expressions than target columns (2 expressions, 1 "
                            "columns)");
  t = WithInsert("INSERT INTO silver.orders SELECT *, 1 FROM bronze.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 5, "silver.orders") +
                            "INSERT has more expressions (7) than silver.orders has columns (4)");
  t = WithInsert("INSERT INTO silver.orders SELECT order_id FROM bronze.orders WHERE amount;");
  EXPECT_EQ(ErrorOf(t),
            At(t, 5, "amount;") + "argument of WHERE must be type boolean, not type numeric(18,2)");
}

TEST(BindPipelineErrors, NonDeterministicFunctions) {
  for (std::string_view call : {"now()", "random()", "current_timestamp", "clock_timestamp()",
                                "gen_random_uuid()", "localtimestamp", "current_date"}) {
    std::string t = WithInsert("INSERT INTO silver.orders SELECT order_id, amount, status, " +
                               std::string(call) + " FROM bronze.orders;");
    EXPECT_EQ(ErrorOf(t), At(t, 5, call) + std::string(call) +
                              " is not allowed in a pipeline: it would make a replay compute "
                              "something different from the first run");
  }
  std::string t = WithInsert(
      "INSERT INTO silver.orders SELECT order_id FROM bronze.orders WHERE event_ts < now();");
  EXPECT_THAT(ErrorOf(t), HasSubstr(At(t, 5, "now") + "now() is not allowed in a pipeline"));
}

TEST(BindPipelineErrors, BronzeOptions) {
  auto bronze = [](std::string_view with) {
    return "CREATE TABLE bronze.o (id text, n bigint) WITH (" + std::string(with) + ");";
  };
  std::string t = bronze("layer = 'silver'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "layer") +
                            "layer = 'silver' does not match the table's schema: bronze.o is in "
                            "the bronze layer");
  t = bronze("partitions = 0");
  EXPECT_EQ(ErrorOf(t),
            At(t, 1, "partitions") + "partitions must be an integer from 1 to 4096, not '0'");
  EXPECT_THAT(ErrorOf(bronze("partitions = 4097")), HasSubstr("not '4097'"));
  EXPECT_THAT(ErrorOf(bronze("partitions = 'four'")), HasSubstr("not 'four'"));
  EXPECT_EQ(ErrorOf(bronze("partitions = 4096")), "OK");
  t = bronze("key = 'idd'");
  EXPECT_EQ(ErrorOf(t),
            At(t, 1, "key") + "key \"idd\" is not a column of bronze.o (did you mean \"id\"?)");
  t = bronze("format = 'avro'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "format") + "format must be 'json' or 'debezium', not 'avro'");
  t = bronze("connector = 'kafka'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "connector") +
                            "connector must be 'http', 'file' or 'postgres-cdc', not 'kafka'");
  t = bronze("connector = 'file'");
  EXPECT_EQ(ErrorOf(t),
            At(t, 1, "connector") + "connector = 'file' needs location = '<file or directory>'");
  t = bronze("location = '/x'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "location") + "location is only used with connector = 'file'");
  t = bronze("retention = '1 day'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "retention") +
                            "unknown option \"retention\" for a bronze table (known options: "
                            "layer, connector, location, partitions, key, format, watermark, "
                            "idle_timeout, conninfo, source_table, slot, publication, "
                            "compatibility)");
  t = bronze("compatibility = 'full_transitive'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "compatibility") +
                            "compatibility must be 'backward', 'forward', 'full' or 'none', not "
                            "'full_transitive'");
  t = bronze("key = 'id', key = 'n'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "key = 'n'") + "option \"key\" is given more than once");
  t = "CREATE TABLE bronze.o (id text NOT NULL);";
  EXPECT_THAT(ErrorOf(t), HasSubstr(At(t, 1, "id") + "bronze tables take no constraints"));
  t = "CREATE TABLE bronze.o (id text, PRIMARY KEY (id));";
  EXPECT_EQ(ErrorOf(t), At(t, 1, "PRIMARY") +
                            "bronze tables have no PRIMARY KEY: WITH (key = 'id') partitions by a "
                            "column, and a PRIMARY KEY on the silver table deduplicates");
}

TEST(BindPipelineErrors, ColumnTypes) {
  std::string t = "CREATE TABLE bronze.o (a numeric);";
  EXPECT_EQ(ErrorOf(t), At(t, 1, "numeric") +
                            "numeric needs a precision and scale here, e.g. numeric(18,2): "
                            "strata's numeric is exact fixed point");
  t = "CREATE TABLE bronze.o (a varchar(10));";
  EXPECT_THAT(ErrorOf(t), HasSubstr(At(t, 1, "varchar") + "type varchar(10) is not supported: "
                                                          "use text"));
  t = "CREATE TABLE bronze.o (a timestamptz);";
  EXPECT_THAT(ErrorOf(t), HasSubstr(At(t, 1, "timestamptz") +
                                    "type timestamp with time zone is not supported"));
  t = "CREATE TABLE bronze.o (a json);";
  EXPECT_EQ(ErrorOf(t), At(t, 1, "json") +
                            "type json is not supported: strata's types are boolean, bigint, "
                            "double precision, numeric(p,s), text, timestamp and date");
  t = "CREATE TABLE bronze.o (a numeric(40,2));";
  EXPECT_THAT(ErrorOf(t), HasSubstr(At(t, 1, "numeric") + "invalid type numeric(40,2)"));
  EXPECT_EQ(ErrorOf("CREATE TABLE bronze.o (a int, b real, c varchar, d numeric(5), e date, f "
                    "boolean);"),
            "OK");
}

TEST(BindPipelineErrors, SilverOptionsAndConstraints) {
  auto silver = [](std::string_view rest) {
    return "CREATE TABLE bronze.b (id text, ts timestamp);\n"
           "CREATE TABLE silver.s (id text, ts timestamp" +
           std::string(rest) + ";\nINSERT INTO silver.s SELECT * FROM bronze.b;";
  };
  std::string t = silver(") WITH (dedupe_order = 'ts')");
  EXPECT_EQ(ErrorOf(t), At(t, 2, "dedupe_order") +
                            "dedupe_order needs a PRIMARY KEY: it orders the versions of one key");
  t = silver(", PRIMARY KEY (id)) WITH (dedupe_order = 'tss')");
  EXPECT_EQ(ErrorOf(t), At(t, 2, "dedupe_order") +
                            "dedupe_order \"tss\" is not a column of silver.s (did you mean "
                            "\"ts\"?)");
  t = silver(", PRIMARY KEY (idd))");
  EXPECT_EQ(ErrorOf(t), At(t, 2, "PRIMARY") +
                            "PRIMARY KEY column \"idd\" is not a column of "
                            "silver.s (did you mean \"id\"?)");
  t = silver(") WITH (on_violation = 'ignore')");
  EXPECT_EQ(ErrorOf(t), At(t, 2, "on_violation") +
                            "on_violation must be 'quarantine', 'drop' or 'fail', not 'ignore'");
  t = silver(") WITH (partitions = 4)");
  EXPECT_EQ(ErrorOf(t), At(t, 2, "partitions") +
                            "unknown option \"partitions\" for a silver table (known options: "
                            "layer, dedupe_order, on_violation)");
  t = silver(", CHECK (length(idd) > 3))");
  EXPECT_EQ(ErrorOf(t),
            At(t, 2, "idd") + "column \"idd\" does not exist in silver.s (did you mean \"id\"?)");
  t = silver(", CHECK (id))");
  EXPECT_EQ(ErrorOf(t), At(t, 2, "id))") + "argument of CHECK must be type boolean, not type text");
  t = silver(", CHECK (count(*) > 0))");
  EXPECT_EQ(ErrorOf(t), At(t, 2, "count") +
                            "aggregate functions are not allowed in check "
                            "constraints");
  t = silver(", CHECK (ts < now()))");
  EXPECT_THAT(ErrorOf(t), HasSubstr(At(t, 2, "now") + "now() is not allowed in a pipeline"));
  t = silver(", CHECK (ts > '2020-01-01' AND id <> ''))");
  Result<Pipeline> r = Bind(t);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(
      FormatBoundExpr(r->silver[0].constraints[0].check, std::vector<std::string>{"id", "ts"}),
      "(ts > timestamp '2020-01-01 00:00:00') AND (id <> '')");
}

TEST(BindPipelineErrors, GoldViews) {
  std::string t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT status, amount, count(*) AS n FROM "
      "silver.orders GROUP BY status;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "amount") +
                            "column \"amount\" must appear in the GROUP BY clause or be used in an "
                            "aggregate function");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT status, count(*) AS n FROM "
      "silver.orders WHERE count(*) > 1 GROUP BY status;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "count(*) >") + "aggregate functions are not allowed in WHERE");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT status, count(*) AS n FROM "
      "silver.orders GROUP BY 3;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "3;") + "GROUP BY position 3 is not in select list");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT status, count(*) AS n FROM "
      "silver.orders GROUP BY 2;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "count") + "aggregate functions are not allowed in GROUP BY");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT status, sum(count(*)) AS n FROM "
      "silver.orders GROUP BY 1;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "count") + "aggregate function calls cannot be nested");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT status, count(*) AS status FROM "
      "silver.orders GROUP BY 1;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "count") +
                            "column \"status\" specified more than once in gold.v (rename one "
                            "with AS)");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT status, count(*) + 1 FROM "
      "silver.orders GROUP BY 1;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "+ 1") + "output column 2 of gold.v needs a name: add AS <name>");
  t = WithView("CREATE MATERIALIZED VIEW gold.v AS SELECT status FROM silver.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "gold.v") +
                            "gold.v must aggregate (GROUP BY or an aggregate function such as "
                            "count(*)): a gold view is keyed by its groups");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT status, sum(status) AS s FROM "
      "silver.orders GROUP BY 1;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "sum") +
                            "function sum(text) does not exist (sum takes bigint, numeric or "
                            "double precision)");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT status, count(*) AS n FROM "
      "silver.orders GROUP BY 1 ORDER BY 2;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "2;") + "ORDER BY is not supported in a materialized view yet");
}

TEST(BindPipeline, WatermarksAndWindows) {
  const std::string tables =
      "CREATE TABLE bronze.orders (order_id text, amount numeric(18,2), event_ts timestamp)\n"
      "  WITH (key = 'order_id', watermark = 'event_ts - 5 seconds', idle_timeout = '2 "
      "minutes');\n"
      "CREATE TABLE silver.orders (order_id text NOT NULL, amount numeric(18,2),\n"
      "  event_ts timestamp, PRIMARY KEY (order_id));\n"
      "INSERT INTO silver.orders SELECT order_id, amount, event_ts FROM bronze.orders;\n";
  Result<Pipeline> r = Bind(
      tables +
      "CREATE MATERIALIZED VIEW gold.h WITH (allowed_lateness = '0 seconds') AS SELECT "
      "window_start, window_end, count(*) AS n, sum(amount) AS total FROM silver.orders GROUP BY "
      "hop(event_ts, '10 minutes', '5 minutes');\n"
      "CREATE MATERIALIZED VIEW gold.s WITH (allowed_lateness = '1 minute') AS SELECT order_id, "
      "window_start AS s, count(*) AS n FROM silver.orders GROUP BY order_id, session(event_ts, "
      "'30 minutes');\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const BronzeTable& b = r->bronze[0];
  EXPECT_EQ(b.watermark_column, 2);
  EXPECT_EQ(b.watermark_delay, 5'000'000);
  EXPECT_EQ(b.idle_timeout, 120'000'000);
  const GoldView& h = r->gold[0];
  ASSERT_TRUE(h.window.has_value());
  EXPECT_EQ(h.window->kind, WindowKind::kHop);
  EXPECT_EQ(h.window->size, 600'000'000);
  EXPECT_EQ(h.window->slide, 300'000'000);
  EXPECT_EQ(h.window->start_column, 3);  // after the three silver columns
  EXPECT_EQ(h.window->end_column, 4);
  EXPECT_EQ(h.allowed_lateness, 0);
  EXPECT_EQ(h.late_table, "gold.h__late");
  ASSERT_EQ(h.group_keys.size(), 2u);  // window_start, window_end
  EXPECT_EQ(h.group_keys[0].column, 3);
  EXPECT_EQ(h.group_keys[1].column, 4);
  EXPECT_EQ(r->FindColumns("gold.h__late"), &LateColumns());
  const GoldView& s = r->gold[1];
  EXPECT_EQ(s.window->kind, WindowKind::kSession);
  EXPECT_EQ(s.window->gap, 1'800'000'000);
  EXPECT_EQ(s.allowed_lateness, 60'000'000);
  EXPECT_EQ(s.columns[1].name, "s");
}

TEST(BindPipelineErrors, WatermarksAndWindows) {
  auto bronze = [](std::string_view with) {
    return "CREATE TABLE bronze.o (id text, ts timestamp, n bigint) WITH (" + std::string(with) +
           ");";
  };
  std::string t = bronze("watermark = 'tss - 1 second'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "watermark") +
                            "watermark column \"tss\" is not a column of bronze.o (did you mean "
                            "\"ts\"?)");
  t = bronze("watermark = 'n'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "watermark") +
                            "watermark column \"n\" is bigint: the watermark follows a timestamp "
                            "column");
  t = bronze("watermark = 'ts - soon'");
  EXPECT_EQ(ErrorOf(t), At(t, 1, "watermark") +
                            "watermark: expected '<column> - <duration>' (expected a duration "
                            "like '1 minute', '30 seconds' or '15m', not ' soon')");
  t = bronze("idle_timeout = '1 minute'");
  EXPECT_EQ(ErrorOf(t),
            At(t, 1, "idle_timeout") + "idle_timeout applies to a table with a watermark");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT window_start, count(*) AS n FROM "
      "silver.orders GROUP BY tumble(event_ts, 'soon');");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "'soon'") +
                            "tumble(): expected a duration like '1 minute', '30 seconds' or "
                            "'15m', not 'soon'");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT count(*) AS n FROM silver.orders GROUP BY "
      "tumble(status, '1 minute');");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "status,") + "tumble() needs a timestamp, not text");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT count(*) AS n FROM silver.orders GROUP BY "
      "hop(event_ts, '10 minutes', '3 minutes');");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "'3 minutes'") +
                            "hop(): the size must be a multiple of the slide (each row then "
                            "belongs to size / slide windows)");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT count(*) AS n FROM silver.orders GROUP BY "
      "session(event_ts);");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "session(") + "expected session(<time>, '<gap>')");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT tumble(event_ts, '1 minute') AS w, count(*) AS "
      "n FROM silver.orders GROUP BY 1;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "tumble(") +
                            "tumble() is an event-time window: write it as an item of a gold "
                            "view's GROUP BY and select window_start and window_end");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT window_start, count(*) AS n FROM silver.orders "
      "GROUP BY status;");
  EXPECT_EQ(
      ErrorOf(t).rfind(At(t, 6, "window_start") + "column \"window_start\" does not exist", 0), 0u)
      << ErrorOf(t);
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v WITH (allowed_lateness = '1 minute') AS SELECT count(*) "
      "AS n FROM silver.orders;");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "allowed_lateness") +
                            "allowed_lateness applies to a view with an event-time window (GROUP "
                            "BY tumble(...), hop(...) or session(...))");
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT count(*) AS n FROM silver.orders GROUP BY "
      "date_trunc('hour', window_end), session(event_ts, '1 hour');");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "session(") +
                            "with session(), the other GROUP BY items cannot use window_start or "
                            "window_end");
}

TEST(BindPipelineErrors, GoldOptions) {
  auto view = [](std::string_view with) {
    return WithView("CREATE MATERIALIZED VIEW gold.v WITH (" + std::string(with) +
                    ") AS SELECT count(*) AS n FROM silver.orders;");
  };
  std::string t = view("serving = 'lambda'");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "serving") +
                            "serving = 'lambda' needs batch_every (how often the batch view is "
                            "recomputed), e.g. batch_every = '1 hour'");
  t = view("batch_every = '1 hour'");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "batch_every") +
                            "batch_every applies only to serving = 'lambda' (a kappa view has no "
                            "batch path)");
  t = view("serving = 'sigma'");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "serving") + "serving must be 'kappa' or 'lambda', not 'sigma'");
  t = view("freshness = 'soon'");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "freshness") +
                            "freshness: expected a duration like '1 minute', '30 seconds' or "
                            "'15m', not 'soon'");
  t = view("owner = 'x', sla = '1'");
  EXPECT_EQ(ErrorOf(t),
            At(t, 6, "sla") +
                "unknown option \"sla\" for a gold view (known options: layer, owner, description, "
                "freshness, serving, batch_every, allowed_lateness)");
  t = view("layer = 'silver'");
  EXPECT_EQ(ErrorOf(t), At(t, 6, "layer") +
                            "layer = 'silver' does not match the table's schema: gold.v is in the "
                            "gold layer");
  Result<Pipeline> r =
      Bind(view("freshness = '30 seconds', serving = 'lambda', batch_every = "
                "'15m'"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->gold[0].freshness, 30 * kMicrosPerSecond);
  EXPECT_EQ(r->gold[0].batch_every, 15 * 60 * kMicrosPerSecond);
}

TEST(ParseDurationOption, Forms) {
  EXPECT_EQ(*ParseDurationOption("1 minute"), 60 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDurationOption("2 Hours"), 7200 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDurationOption("1 day"), kMicrosPerDay);
  EXPECT_EQ(*ParseDurationOption("90s"), 90 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDurationOption("500ms"), 500000);
  EXPECT_EQ(*ParseDurationOption(" 5 sec "), 5 * kMicrosPerSecond);
  EXPECT_FALSE(ParseDurationOption("0 seconds").ok());
  EXPECT_FALSE(ParseDurationOption("-1 minute").ok());
  EXPECT_FALSE(ParseDurationOption("1 fortnight").ok());
  EXPECT_FALSE(ParseDurationOption("minute").ok());
}

// --- GROUP BY ---

TEST(BindPipeline, GroupByOrdinalAliasAndExpression) {
  for (std::string_view group_by :
       {"1", "day", "date_trunc('day', event_ts)", "date_trunc('DAY', event_ts)"}) {
    std::string t = WithView(
        "CREATE MATERIALIZED VIEW gold.v AS SELECT date_trunc('day', event_ts) AS day, "
        "sum(amount) / count(*) AS mean, max(amount) - min(amount) AS spread FROM silver.orders "
        "GROUP BY " +
        std::string(group_by) + ";");
    Result<Pipeline> r = Bind(t);
    ASSERT_TRUE(r.ok()) << group_by << ": " << r.status().ToString();
    const GoldView& g = r->gold[0];
    ASSERT_EQ(g.group_keys.size(), 1u) << group_by;
    EXPECT_EQ(g.group_keys[0].func, Func::kDateTrunc);
    ASSERT_EQ(g.aggregates.size(), 4u);
    EXPECT_EQ(FormatBoundExpr(g.outputs[0].expr, {}), "#0");
    EXPECT_EQ(FormatBoundExpr(g.outputs[1].expr, {}), "#1 / CAST(#2 AS numeric(19,0))");
    EXPECT_EQ(g.outputs[1].type.id, TypeId::kNumeric);
    EXPECT_EQ(FormatBoundExpr(g.outputs[2].expr, {}), "#3 - #4");
    EXPECT_EQ(g.outputs[2].type, Type::Numeric(19, 2));  // numeric(18,2) - numeric(18,2)
  }
  // An expression over group keys is allowed; a repeated aggregate is computed once.
  std::string t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT upper(status) AS s, count(*) AS n, count(*) * 2 "
      "AS twice FROM silver.orders GROUP BY status;");
  Result<Pipeline> r = Bind(t);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->gold[0].aggregates.size(), 1u);
  EXPECT_EQ(FormatBoundExpr(r->gold[0].outputs[0].expr, {}), "upper(#0)");
  EXPECT_EQ(FormatBoundExpr(r->gold[0].outputs[2].expr, {}), "#1 * 2");
  // An input column wins over an output alias of the same name (PostgreSQL's rule).
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT upper(status) AS status, count(*) AS n "
      "FROM silver.orders GROUP BY status;");
  r = Bind(t);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->gold[0].group_keys[0].kind, BoundKind::kColumn);
  // Output names: the column's, the function's.
  t = WithView(
      "CREATE MATERIALIZED VIEW gold.v AS SELECT status, count(*), sum(amount) FROM "
      "silver.orders GROUP BY status;");
  r = Bind(t);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->gold[0].columns[0].name, "status");
  EXPECT_EQ(r->gold[0].columns[1].name, "count");
  EXPECT_EQ(r->gold[0].columns[2].name, "sum");
}

// --- Expression typing, through queries over one table ---

const std::vector<ColumnSchema> kColumns = {
    {"b", Type::Bigint()},  {"n", Type::Numeric(18, 2)}, {"d", Type::Double()},
    {"s", Type::Text()},    {"ts", Type::Timestamp()},   {"dt", Type::Date()},
    {"f", Type::Boolean()},
};
const std::vector<std::string> kNames = {"b", "n", "d", "s", "ts", "dt", "f"};

Result<BoundQuery> Query(std::string_view sql) {
  ASSIGN_OR_RETURN(Select select, ParseQuery(sql, "q"));
  TableLookup lookup = [](std::string_view name) -> const std::vector<ColumnSchema>* {
    return name == "silver.t" ? &kColumns : nullptr;
  };
  return BindQuery(select, lookup, "q");
}

// The bound expression `expr`, as "<type>: <text>", or the error.
std::string Typed(std::string_view expr) {
  Result<BoundQuery> q = Query("SELECT " + std::string(expr) + " FROM silver.t");
  if (!q.ok()) return q.status().message();
  const OutputColumn& o = q->outputs[0];
  return o.type.ToString() + ": " + FormatBoundExpr(o.expr, kNames);
}

std::string TypeOf(std::string_view expr) {
  std::string t = Typed(expr);
  return t.substr(0, t.find(':'));
}

TEST(BindExpr, Literals) {
  EXPECT_EQ(Typed("5"), "bigint: 5");
  EXPECT_EQ(Typed("1.50"), "numeric(3,2): 1.50");
  EXPECT_EQ(Typed("-0.05"), "numeric(2,2): -0.05");
  EXPECT_EQ(Typed("1e3"), "numeric(4,0): 1000");
  EXPECT_EQ(Typed("99999999999999999999"), "numeric(20,0): 99999999999999999999");
  EXPECT_EQ(Typed("'x'"), "text: 'x'");
  EXPECT_EQ(Typed("NULL"), "text: NULL");
  EXPECT_EQ(Typed("TRUE"), "boolean: TRUE");
  EXPECT_EQ(Typed("'5'::bigint"), "bigint: 5");
  EXPECT_EQ(Typed("CAST('1.555' AS numeric(5,2))"), "numeric(5,2): 1.56");
  EXPECT_EQ(Typed("'1.25'::numeric"), "numeric(3,2): 1.25");
  EXPECT_EQ(Typed("TIMESTAMP '2026-01-01 10:00'"), "timestamp: timestamp '2026-01-01 10:00:00'");
  EXPECT_EQ(Typed("DATE '2026-01-01'"), "date: date '2026-01-01'");
  EXPECT_EQ(Typed("'yes'::boolean"), "boolean: TRUE");
  EXPECT_EQ(Typed("'1.5'::double precision"), "double precision: 1.5");
  EXPECT_EQ(Typed("'x'::bigint"), "q:1:8: invalid input syntax for type bigint: \"x\"");
  EXPECT_EQ(Typed("1e50"),
            "q:1:8: numeric constant 1e50 is out of range: strata's numeric holds "
            "at most 38 digits");
  EXPECT_THAT(Typed("INTERVAL '1 hour'"), HasSubstr("type interval is not supported yet"));
}

TEST(BindExpr, StringLiteralsTakeTheirContextsType) {
  Result<BoundQuery> q = Query("SELECT b FROM silver.t WHERE ts > '2026-01-01'");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  const BoundExpr& literal = q->where->children[1];
  EXPECT_EQ(literal.kind, BoundKind::kLiteral);
  EXPECT_EQ(literal.type, Type::Timestamp());
  EXPECT_EQ(literal.literal, Value::Int64(*ParseSqlTimestamp("2026-01-01")));
  EXPECT_EQ(Typed("n > '1.5'"), "boolean: n > 1.5");
  q = Query("SELECT b FROM silver.t WHERE n > '1.5'");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->where->children[1].type, Type::Numeric(2, 1));
  EXPECT_EQ(Typed("dt = '2026-02-03'"), "boolean: dt = date '2026-02-03'");
  EXPECT_EQ(Typed("b = '7'"), "boolean: b = 7");
  EXPECT_EQ(Typed("f = 'true'"), "boolean: f = TRUE");
  EXPECT_EQ(Typed("'a' = 'b'"), "boolean: 'a' = 'b'");
  EXPECT_EQ(Typed("ts IN ('2026-01-01', '2026-01-02 10:00')"),
            "boolean: ts IN (timestamp '2026-01-01 00:00:00', timestamp '2026-01-02 10:00:00')");
  EXPECT_EQ(Typed("coalesce(ts, '2026-01-01')"),
            "timestamp: coalesce(ts, timestamp '2026-01-01 00:00:00')");
  EXPECT_EQ(Typed("b + '2'"), "bigint: b + 2");
  EXPECT_EQ(Typed("ts > NULL"), "boolean: ts > NULL");

  // A literal that is not a value of the type is an error at the literal.
  q = Query("SELECT b FROM silver.t\nWHERE ts > '2026-13-01'");
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.status().message(), HasSubstr("q:2:12: invalid timestamp \"2026-13-01\""));
  EXPECT_EQ(Typed("n > 'abc'"), "q:1:12: invalid input syntax for type numeric: \"abc\"");
  EXPECT_EQ(Typed("b + '1.5'"), "q:1:12: invalid input syntax for type bigint: \"1.5\"");
  EXPECT_EQ(Typed("f AND 'maybe'"), "q:1:14: invalid input syntax for type boolean: \"maybe\"");
  EXPECT_EQ(Typed("'1' + '2'"),
            "q:1:12: could not choose a type for unknown + unknown: both "
            "operands are untyped literals; cast one, e.g. '1'::bigint");
}

TEST(BindExpr, Promotions) {
  // Arithmetic.
  EXPECT_EQ(TypeOf("b + b"), "bigint");
  EXPECT_EQ(TypeOf("b / b"), "bigint");
  EXPECT_EQ(TypeOf("d * d"), "double precision");
  EXPECT_EQ(TypeOf("b + d"), "double precision");
  EXPECT_EQ(TypeOf("n + d"), "double precision");
  auto numeric = [](NumericType t) { return Type::Numeric(t.precision, t.scale).ToString(); };
  NumericType n{18, 2}, bigint{19, 0};
  EXPECT_EQ(TypeOf("n + b"), numeric(NumericAddResultType(n, bigint)));
  EXPECT_EQ(TypeOf("n - n"), numeric(NumericAddResultType(n, n)));
  EXPECT_EQ(TypeOf("n * n"), numeric(NumericMulResultType(n, n)));
  EXPECT_EQ(TypeOf("n / b"), numeric(NumericDivResultType(n, bigint)));
  EXPECT_EQ(TypeOf("n % b"), numeric(NumericAddResultType(n, bigint)));
  EXPECT_EQ(TypeOf("n * 2"), numeric(NumericMulResultType(n, {1, 0})));  // 2 has one digit
  EXPECT_EQ(TypeOf("n + 0.125"), numeric(NumericAddResultType(n, {3, 3})));
  EXPECT_EQ(Typed("n + b"), "numeric(22,2): n + CAST(b AS numeric(19,0))");
  EXPECT_EQ(Typed("b * 1.5"), "numeric(21,1): CAST(b AS numeric(19,0)) * 1.5");
  EXPECT_EQ(Typed("-n"), "numeric(18,2): -n");
  EXPECT_EQ(Typed("d + 1"), "double precision: d + 1");  // the constant is converted now
  // Comparisons meet at one kind; numerics keep their own precision and scale.
  EXPECT_EQ(Typed("n = b"), "boolean: n = CAST(b AS numeric(19,0))");
  EXPECT_EQ(Typed("n > 0"), "boolean: n > 0");
  EXPECT_EQ(Typed("b < d"), "boolean: CAST(b AS double precision) < d");
  EXPECT_EQ(Typed("dt < ts"), "boolean: CAST(dt AS timestamp) < ts");
  EXPECT_EQ(Typed("b IN (1, 2.5)"), "boolean: CAST(b AS numeric(19,0)) IN (1, 2.5)");
  EXPECT_EQ(Typed("b BETWEEN 1 AND 10"), "boolean: (b >= 1) AND (b <= 10)");
  EXPECT_EQ(Typed("b NOT BETWEEN 1 AND 10"), "boolean: NOT ((b >= 1) AND (b <= 10))");
  // Constructs that produce a value cast every operand to one exact type.
  EXPECT_EQ(Typed("coalesce(b, n)"),
            "numeric(21,2): coalesce(CAST(b AS numeric(21,2)), "
            "CAST(n AS numeric(21,2)))");
  EXPECT_EQ(Typed("CASE WHEN f THEN 1 ELSE 2.5 END"),
            "numeric(2,1): CASE WHEN f THEN 1.0 ELSE "
            "2.5 END");
  EXPECT_EQ(Typed("CASE WHEN f THEN 'a' END"), "text: CASE WHEN f THEN 'a' END");
  EXPECT_EQ(Typed("CASE b WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE s END"),
            "text: CASE WHEN b = 1 THEN 'one' WHEN b = 2 THEN 'two' ELSE s END");
  EXPECT_EQ(TypeOf("greatest(b, d, 1)"), "double precision");
  EXPECT_EQ(TypeOf("least(dt, ts)"), "timestamp");
  EXPECT_EQ(TypeOf("nullif(s, '')"), "text");
  // text meets only text; boolean only boolean.
  EXPECT_EQ(Typed("s = 5"),
            "q:1:10: operator does not exist: text = bigint (cast one side "
            "explicitly)");
  EXPECT_EQ(Typed("f < 1"),
            "q:1:10: operator does not exist: boolean < bigint (cast one side "
            "explicitly)");
  EXPECT_EQ(Typed("coalesce(s, 1)"), "q:1:20: COALESCE types text and bigint cannot be matched");
  EXPECT_EQ(Typed("CASE WHEN f THEN 1 ELSE 'x'::text END"),
            "q:1:32: CASE types bigint and text cannot be matched");
  EXPECT_EQ(Typed("ts - ts"),
            "q:1:11: operator does not exist: timestamp - timestamp (date/time "
            "arithmetic is not supported yet)");
  EXPECT_EQ(Typed("s + 1"), "q:1:10: operator does not exist: text + bigint");
  EXPECT_EQ(Typed("CASE WHEN b THEN 1 END"),
            "q:1:18: argument of CASE/WHEN must be type boolean, not type bigint");
}

TEST(BindExpr, Functions) {
  EXPECT_EQ(Typed("round(n, 2)"), "numeric(38,2): round(n, 2)");
  EXPECT_EQ(Typed("round(n)"), "numeric(38,0): round(n)");
  EXPECT_EQ(Typed("round(n, -1)"), "numeric(38,0): round(n, -1)");
  EXPECT_EQ(Typed("round(d)"), "double precision: round(d)");
  EXPECT_EQ(Typed("round(b, 1)"), "numeric(38,1): round(CAST(b AS numeric(19,0)), 1)");
  EXPECT_EQ(Typed("round(n, b)"), "q:1:17: round digits must be a constant (an integer literal)");
  EXPECT_THAT(Typed("round(d, 2)"), HasSubstr("function round(double precision, bigint) does not "
                                              "exist"));
  EXPECT_EQ(Typed("abs(n)"), "numeric(18,2): abs(n)");
  EXPECT_EQ(Typed("date_trunc('hour', ts)"), "timestamp: date_trunc('hour', ts)");
  EXPECT_EQ(Typed("date_trunc('Months', dt)"), "timestamp: date_trunc('month', dt)");
  EXPECT_THAT(Typed("date_trunc('fortnight', ts)"),
              HasSubstr("q:1:19: unknown date_trunc unit \"fortnight\""));
  EXPECT_EQ(Typed("date_trunc(s, ts)"),
            "q:1:19: the unit of date_trunc must be a constant, e.g. date_trunc('hour', ts)");
  EXPECT_EQ(Typed("extract(epoch FROM ts)"), "numeric(38,6): extract(epoch FROM ts)");
  EXPECT_EQ(Typed("extract(year FROM dt)"), "numeric(38,0): extract(year FROM dt)");
  EXPECT_EQ(Typed("date_part('second', ts)"), "numeric(38,6): extract(second FROM ts)");
  EXPECT_THAT(Typed("extract(hour FROM dt)"), HasSubstr("q:1:16: extract field \"hour\""));
  EXPECT_EQ(Typed("lower(trim(s))"), "text: lower(btrim(s))");
  EXPECT_EQ(Typed("length(s)"), "bigint: length(s)");
  EXPECT_EQ(Typed("substring(s FROM 2 FOR 3)"), "text: substring(s, 2, 3)");
  EXPECT_EQ(Typed("regexp_replace(s, 'a+', 'b', 'g')"), "text: regexp_replace(s, 'a+', 'b', 'g')");
  EXPECT_EQ(Typed("concat(s, b, NULL)"), "text: concat(s, CAST(b AS text), NULL)");
  EXPECT_EQ(Typed("s || b"), "text: s || CAST(b AS text)");
  EXPECT_EQ(Typed("s NOT LIKE 'a%'"), "boolean: NOT (s LIKE 'a%')");
  EXPECT_EQ(Typed("s ILIKE 'a%'"), "boolean: s ILIKE 'a%'");
  EXPECT_EQ(Typed("b IS NOT NULL"), "boolean: b IS NOT NULL");
  EXPECT_EQ(Typed("CAST(n AS bigint)"), "bigint: CAST(n AS bigint)");
  EXPECT_EQ(Typed("s::timestamp"), "timestamp: CAST(s AS timestamp)");
  EXPECT_EQ(Typed("b::numeric"), "numeric(19,0): CAST(b AS numeric(19,0))");
  EXPECT_EQ(Typed("CAST(ts AS bigint)"), "q:1:8: cannot cast type timestamp to bigint");
  EXPECT_EQ(Typed("b || b"),
            "q:1:10: operator does not exist: bigint || bigint (|| joins text; "
            "cast one side to text)");
  EXPECT_EQ(Typed("lower(b)"),
            "q:1:8: function lower(bigint) does not exist (expected "
            "lower(text))");
  EXPECT_EQ(Typed("lower(s, s)"),
            "q:1:8: function lower(text, text) does not exist (expected "
            "lower(text))");
  EXPECT_EQ(Typed("foo(b, 'x')"), "q:1:8: function foo(bigint, unknown) does not exist");
  EXPECT_EQ(Typed("upper(DISTINCT s)"),
            "q:1:8: DISTINCT specified, but upper is not an aggregate function");
  EXPECT_STREQ(FuncName(Func::kAdd), "+");
  EXPECT_STREQ(FuncName(Func::kConcatFunction), "concat");
  EXPECT_EQ(Typed("now()"),
            "q:1:8: now() is not supported in queries yet: strata evaluates only "
            "deterministic expressions");
}

// Expressions as deep as the parser allows bind without exhausting the stack, also where
// every level is tried as a group key.
TEST(BindExpr, DeepExpressions) {
  std::string expr = "b";
  for (int i = 0; i < 900; ++i)
    expr = "(" + expr + " + 1)";
  Result<BoundQuery> q = Query("SELECT " + expr + " AS x FROM silver.t");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  q = Query("SELECT " + expr + " AS x, count(*) FROM silver.t GROUP BY b");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->group_keys.size(), 1u);
}

// --- Queries ---

TEST(BindQuery, StarWhereOrderLimit) {
  Result<BoundQuery> q = Query(
      "SELECT *, b + 1 AS next FROM silver.t t WHERE t.f ORDER BY next DESC, 2, s, "
      "length(s) LIMIT 10 OFFSET 5");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->table, "silver.t");
  EXPECT_FALSE(q->aggregated);
  EXPECT_EQ(q->visible, 8u);
  ASSERT_EQ(q->outputs.size(), 9u);  // + the hidden length(s)
  EXPECT_EQ(q->outputs[0].name, "b");
  EXPECT_EQ(q->outputs[7].name, "next");
  EXPECT_EQ(q->outputs[8].type, Type::Bigint());
  ASSERT_EQ(q->order_by.size(), 4u);
  EXPECT_EQ(q->order_by[0].column, 7);
  EXPECT_TRUE(q->order_by[0].descending);
  EXPECT_TRUE(q->order_by[0].nulls_first);
  EXPECT_EQ(q->order_by[1].column, 1);
  EXPECT_EQ(q->order_by[2].column, 3);
  EXPECT_EQ(q->order_by[3].column, 8);
  EXPECT_EQ(q->limit, 10);
  EXPECT_EQ(q->offset, 5);
  // Unqualified table names are searched in gold, silver and bronze.
  q = Query("SELECT b FROM t LIMIT ALL");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->table, "silver.t");
  EXPECT_FALSE(q->limit.has_value());
}

TEST(BindQuery, Aggregates) {
  Result<BoundQuery> q = Query(
      "SELECT s, count(*) AS n, avg(n) AS mean, avg(b) FROM silver.t GROUP BY s HAVING "
      "count(*) > 1 ORDER BY sum(d) DESC");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_TRUE(q->aggregated);
  ASSERT_EQ(q->group_keys.size(), 1u);
  ASSERT_EQ(q->aggregates.size(), 4u);
  EXPECT_EQ(q->aggregates[1].type, Type::Numeric(38, 6));  // avg(numeric(18,2))
  EXPECT_EQ(q->aggregates[2].type, Type::Numeric(38, 6));  // avg(bigint)
  EXPECT_EQ(q->aggregates[3].type, Type::Double());        // sum(double)
  EXPECT_EQ(FormatBoundExpr(*q->having, {}), "#1 > 1");
  EXPECT_EQ(q->order_by[0].column, 4);
  EXPECT_EQ(FormatBoundExpr(q->outputs[4].expr, {}), "#4");
  // A global aggregate.
  q = Query("SELECT count(*) FROM silver.t");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->aggregated);
  EXPECT_TRUE(q->group_keys.empty());
  q = Query("SELECT s, b FROM silver.t GROUP BY s");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message(),
            "q:1:11: column \"b\" must appear in the GROUP BY clause or be "
            "used in an aggregate function");
}

TEST(BindQuery, Errors) {
  auto error = [](std::string_view sql) {
    Result<BoundQuery> q = Query(sql);
    return q.ok() ? "OK" : q.status().message();
  };
  EXPECT_EQ(error("SELECT b FROM gold.t"), "q:1:15: table \"gold.t\" does not exist");
  EXPECT_EQ(error("SELECT DISTINCT b FROM silver.t"),
            "q:1:17: SELECT DISTINCT is not supported yet (GROUP BY the columns instead)");
  EXPECT_EQ(error("SELECT b FROM silver.t ORDER BY 3"),
            "q:1:33: ORDER BY position 3 is not in select list");
  EXPECT_EQ(error("SELECT b FROM silver.t LIMIT b"), "q:1:30: LIMIT must be an integer constant");
  EXPECT_EQ(error("SELECT b FROM silver.t LIMIT -1"), "q:1:30: LIMIT must not be negative");
  EXPECT_EQ(error("SELECT b AS x, s AS x FROM silver.t ORDER BY x"),
            "q:1:46: ORDER BY \"x\" is ambiguous");
  EXPECT_EQ(error("SELECT bb FROM silver.t"),
            "q:1:8: column \"bb\" does not exist in silver.t (did you mean \"b\"?)");
  EXPECT_EQ(error("SELECT b FROM silver.t WHERE sum(b) > 0"),
            "q:1:30: aggregate functions are not allowed in WHERE");
}

}  // namespace
}  // namespace strata::sql
