#include "sql/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "design_pipeline.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace strata::sql {

void PrintTo(const SourceLocation& at, std::ostream* os) {
  *os << at.line << ":" << at.column;
}

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// DESIGN.md §1, verbatim.
using testing::kDesignPipeline;

// The 1-based line and byte column of the first occurrence of `needle` (ASCII texts).
SourceLocation Find(std::string_view text, std::string_view needle) {
  size_t at = text.find(needle);
  EXPECT_NE(at, std::string_view::npos) << needle;
  size_t line_start = text.rfind('\n', at) == std::string_view::npos ? 0 : text.rfind('\n', at) + 1;
  int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
  return {line, static_cast<int>(at - line_start) + 1};
}

// The error message of parsing `text` as "p.sql", or "OK".
std::string PipelineError(std::string_view text) {
  Result<std::vector<Statement>> r = ParsePipeline(text, "p.sql");
  if (r.ok()) return "OK";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

std::string QueryError(std::string_view sql) {
  Result<Select> r = ParseQuery(sql);
  return r.ok() ? "OK" : r.status().message();
}

// The first SELECT item of "SELECT <expr> FROM t".
ExprPtr ParseExpr(std::string_view expr) {
  Result<Select> r = ParseQuery("SELECT " + std::string(expr) + " FROM t");
  if (!r.ok()) {
    ADD_FAILURE() << expr << ": " << r.status().ToString();
    return nullptr;
  }
  return std::move(r->items[0].expr);
}

std::vector<std::string> Keys(const std::vector<Option>& options) {
  std::vector<std::string> out;
  for (const Option& o : options) {
    out.push_back(o.key + "=" + o.value);
  }
  return out;
}

std::vector<std::string> Items(const Select& select) {
  std::vector<std::string> out;
  for (const SelectItem& item : select.items) {
    out.push_back(ToString(*item.expr) + (item.alias.empty() ? "" : " AS " + item.alias));
  }
  return out;
}

TEST(ParsePipeline, DesignPipeline) {
  Result<std::vector<Statement>> r = ParsePipeline(kDesignPipeline, "pipeline.sql");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::vector<Statement>& stmts = *r;
  ASSERT_EQ(stmts.size(), 4u);
  EXPECT_EQ(stmts[0].location, (SourceLocation{2, 1}));
  EXPECT_EQ(stmts[1].location, Find(kDesignPipeline, "CREATE TABLE silver"));
  EXPECT_EQ(stmts[2].location, Find(kDesignPipeline, "INSERT"));
  EXPECT_EQ(stmts[3].location, Find(kDesignPipeline, "CREATE MATERIALIZED"));
  EXPECT_THAT(stmts[0].text, StartsWith("CREATE TABLE bronze.orders (\n"));
  EXPECT_THAT(stmts[3].text, ::testing::EndsWith("GROUP BY 1"));

  // Bronze: columns, types and options in order.
  const auto& bronze = std::get<CreateTable>(stmts[0].node);
  EXPECT_EQ(bronze.table.schema, "bronze");
  EXPECT_EQ(bronze.table.name, "orders");
  EXPECT_EQ(bronze.table.location, Find(kDesignPipeline, "bronze.orders ("));
  ASSERT_EQ(bronze.columns.size(), 6u);
  EXPECT_EQ(bronze.columns[2].name, "amount");
  EXPECT_EQ(bronze.columns[2].type.name, "numeric");
  EXPECT_EQ(bronze.columns[2].type.modifiers, (std::vector<int32_t>{18, 2}));
  EXPECT_EQ(bronze.columns[5].type.name, "timestamp");
  EXPECT_EQ(bronze.columns[0].type.name, "text");
  EXPECT_FALSE(bronze.columns[0].not_null);
  EXPECT_TRUE(bronze.primary_key.empty());
  EXPECT_THAT(Keys(bronze.options),
              ::testing::ElementsAre("layer=bronze", "connector=http", "partitions=4",
                                     "key=order_id", "watermark=event_ts - 5 seconds"));
  EXPECT_EQ(bronze.options[4].location, Find(kDesignPipeline, "watermark ="));

  // Silver: the contract.
  const auto& silver = std::get<CreateTable>(stmts[1].node);
  ASSERT_EQ(silver.columns.size(), 6u);
  std::vector<bool> not_null;
  for (const ColumnDefinition& c : silver.columns) {
    not_null.push_back(c.not_null);
  }
  EXPECT_EQ(not_null, (std::vector<bool>{true, true, false, false, false, true}));
  ASSERT_EQ(silver.columns[2].checks.size(), 1u);
  const CheckConstraint& check = silver.columns[2].checks[0];
  EXPECT_EQ(check.name, "orders_amount_check");
  EXPECT_EQ(ToString(*check.expr), "amount > 0");
  EXPECT_EQ(check.location, Find(kDesignPipeline, "CHECK (amount"));
  EXPECT_EQ(check.expr->children[1]->literal_kind, LiteralKind::kInteger);
  EXPECT_EQ(check.expr->children[1]->text, "0");  // libpg-query omits zero values
  ASSERT_EQ(silver.primary_key.size(), 1u);
  EXPECT_EQ(silver.primary_key[0].name, "order_id");
  EXPECT_TRUE(silver.checks.empty());
  EXPECT_THAT(Keys(silver.options), ::testing::ElementsAre("layer=silver", "dedupe_order=event_ts",
                                                           "on_violation=quarantine"));

  // The silver insert.
  const auto& insert = std::get<InsertSelect>(stmts[2].node);
  EXPECT_EQ(ToString(insert.target), "silver.orders");
  EXPECT_TRUE(insert.columns.empty());
  EXPECT_THAT(Items(insert.select),
              ::testing::ElementsAre("order_id", "customer_id", "round(amount, 2)", "lower(status)",
                                     "lower(btrim(email))", "event_ts"));
  const Expr& round = *insert.select.items[2].expr;
  EXPECT_EQ(round.kind, ExprKind::kFunction);
  EXPECT_EQ(round.name, "round");
  EXPECT_EQ(round.location, Find(kDesignPipeline, "round("));
  EXPECT_EQ(round.children[1]->text, "2");
  EXPECT_EQ(insert.select.items[4].expr->children[0]->name, "btrim");
  EXPECT_EQ(ToString(insert.select.from.table), "bronze.orders");
  EXPECT_EQ(insert.select.from.alias, "");
  ASSERT_NE(insert.select.where, nullptr);
  EXPECT_EQ(ToString(*insert.select.where), "status <> 'test'");
  EXPECT_EQ(insert.select.where->location, Find(kDesignPipeline, "<> 'test'"));

  // The gold product.
  const auto& gold = std::get<CreateMaterializedView>(stmts[3].node);
  EXPECT_EQ(ToString(gold.view), "gold.revenue_hourly");
  EXPECT_THAT(Keys(gold.options), ::testing::ElementsAre("owner=finance", "freshness=1 minute",
                                                         "serving=lambda", "batch_every=1 hour"));
  EXPECT_THAT(
      Items(gold.select),
      ::testing::ElementsAre("date_trunc('hour', event_ts) AS hour", "sum(amount) AS revenue",
                             "count(*) AS orders", "count(DISTINCT customer_id) AS customers"));
  const Expr& count_star = *gold.select.items[2].expr;
  EXPECT_TRUE(count_star.star);
  EXPECT_FALSE(count_star.distinct);
  EXPECT_TRUE(count_star.children.empty());
  const Expr& count_distinct = *gold.select.items[3].expr;
  EXPECT_TRUE(count_distinct.distinct);
  EXPECT_FALSE(count_distinct.star);
  EXPECT_EQ(count_distinct.location, Find(kDesignPipeline, "count(DISTINCT"));
  EXPECT_EQ(gold.select.items[0].expr->children[0]->literal_kind, LiteralKind::kString);
  EXPECT_EQ(ToString(*gold.select.where), "status = 'completed'");
  ASSERT_EQ(gold.select.group_by.size(), 1u);
  EXPECT_EQ(gold.select.group_by[0]->kind, ExprKind::kLiteral);  // an ordinal
  EXPECT_EQ(gold.select.group_by[0]->literal_kind, LiteralKind::kInteger);
  EXPECT_EQ(gold.select.group_by[0]->text, "1");
  EXPECT_EQ(gold.select.having, nullptr);
  EXPECT_EQ(gold.select.limit, nullptr);
}

// One expression: how it prints, and that the printed text parses back to the same print.
struct ExprCase {
  std::string_view sql;
  std::string_view printed;
  ExprKind kind;
};

class ExprTest : public ::testing::TestWithParam<ExprCase> {};

TEST_P(ExprTest, ParsesPrintsAndReparses) {
  const ExprCase& c = GetParam();
  ExprPtr expr = ParseExpr(c.sql);
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->kind, c.kind) << c.sql;
  std::string printed = ToString(*expr);
  EXPECT_EQ(printed, c.printed) << c.sql;
  ExprPtr again = ParseExpr(printed);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(ToString(*again), printed);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, ExprTest,
    ::testing::Values(
        // Columns and stars.
        ExprCase{"amount", "amount", ExprKind::kColumn},
        ExprCase{"o.Amount", "o.amount", ExprKind::kColumn},
        ExprCase{"\"Weird Name\"", "\"Weird Name\"", ExprKind::kColumn},
        ExprCase{"\"select\"", "\"select\"", ExprKind::kColumn},
        ExprCase{"*", "*", ExprKind::kStar}, ExprCase{"o.*", "o.*", ExprKind::kStar},
        // Literals.
        ExprCase{"42", "42", ExprKind::kLiteral}, ExprCase{"-5", "-5", ExprKind::kLiteral},
        ExprCase{"- 5", "-5", ExprKind::kLiteral}, ExprCase{"-(-5)", "5", ExprKind::kLiteral},
        ExprCase{"1.50", "1.50", ExprKind::kLiteral},
        ExprCase{"-0.25", "-0.25", ExprKind::kLiteral},
        ExprCase{"1e10", "1e10", ExprKind::kLiteral},
        ExprCase{"9223372036854775807", "9223372036854775807", ExprKind::kLiteral},
        ExprCase{"'it''s'", "'it''s'", ExprKind::kLiteral},
        ExprCase{"E'a\\tb'", "'a\tb'", ExprKind::kLiteral},
        ExprCase{"TRUE", "TRUE", ExprKind::kLiteral},
        ExprCase{"false", "FALSE", ExprKind::kLiteral},
        ExprCase{"NULL", "NULL", ExprKind::kLiteral},
        ExprCase{"TIMESTAMP '2026-11-17 10:00'", "timestamp '2026-11-17 10:00'",
                 ExprKind::kLiteral},
        ExprCase{"INTERVAL '1 hour'", "interval '1 hour'", ExprKind::kLiteral},
        ExprCase{"DATE '2026-11-17'", "date '2026-11-17'", ExprKind::kLiteral},
        ExprCase{"'5'::int", "bigint '5'", ExprKind::kLiteral},
        ExprCase{"CAST('1.5' AS double precision)", "double precision '1.5'", ExprKind::kLiteral},
        // Operators, parenthesized by structure, not by precedence.
        ExprCase{"-x", "-x", ExprKind::kUnary}, ExprCase{"- -x", "-(-x)", ExprKind::kUnary},
        ExprCase{"-(a + b)", "-(a + b)", ExprKind::kUnary}, ExprCase{"+x", "x", ExprKind::kColumn},
        ExprCase{"NOT a", "NOT a", ExprKind::kUnary},
        ExprCase{"NOT (a AND b)", "NOT (a AND b)", ExprKind::kUnary},
        ExprCase{"a + b * c", "a + (b * c)", ExprKind::kBinary},
        ExprCase{"(a + b) * c", "(a + b) * c", ExprKind::kBinary},
        ExprCase{"a - b - c", "(a - b) - c", ExprKind::kBinary},
        ExprCase{"a / b % c", "(a / b) % c", ExprKind::kBinary},
        ExprCase{"a || 'x' || b", "(a || 'x') || b", ExprKind::kBinary},
        ExprCase{"a = 1 AND b != 2 AND c >= 3", "((a = 1) AND (b <> 2)) AND (c >= 3)",
                 ExprKind::kBinary},
        ExprCase{"a < 1 OR b <= 2 AND c > 3", "(a < 1) OR ((b <= 2) AND (c > 3))",
                 ExprKind::kBinary},
        ExprCase{"x - -1", "x - (-1)", ExprKind::kBinary},
        ExprCase{"x IS NULL", "x IS NULL", ExprKind::kIsNull},
        ExprCase{"x ISNULL", "x IS NULL", ExprKind::kIsNull},
        ExprCase{"x + 1 IS NOT NULL", "(x + 1) IS NOT NULL", ExprKind::kIsNull},
        ExprCase{"NOT x IS NULL", "NOT (x IS NULL)", ExprKind::kUnary},
        ExprCase{"x IN (1, 2, 3)", "x IN (1, 2, 3)", ExprKind::kIn},
        ExprCase{"x NOT IN ('a')", "x NOT IN ('a')", ExprKind::kIn},
        ExprCase{"x BETWEEN 1 AND 2", "x BETWEEN 1 AND 2", ExprKind::kBetween},
        ExprCase{"x NOT BETWEEN a + 1 AND 10", "x NOT BETWEEN (a + 1) AND 10", ExprKind::kBetween},
        ExprCase{"x LIKE 'a%'", "x LIKE 'a%'", ExprKind::kLike},
        ExprCase{"x NOT LIKE 'a%'", "x NOT LIKE 'a%'", ExprKind::kLike},
        ExprCase{"x ILIKE '%b'", "x ILIKE '%b'", ExprKind::kLike},
        ExprCase{"x NOT ILIKE '%b'", "x NOT ILIKE '%b'", ExprKind::kLike},
        // CASE and casts.
        ExprCase{"CASE WHEN a > 1 THEN 'x' ELSE 'y' END", "CASE WHEN a > 1 THEN 'x' ELSE 'y' END",
                 ExprKind::kCase},
        ExprCase{"case x when 1 then 'a' when 2 then 'b' end",
                 "CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' END", ExprKind::kCase},
        ExprCase{"CAST(x AS integer)", "CAST(x AS bigint)", ExprKind::kCast},
        ExprCase{"x::smallint", "CAST(x AS bigint)", ExprKind::kCast},
        ExprCase{"x::double precision", "CAST(x AS double precision)", ExprKind::kCast},
        ExprCase{"x::real", "CAST(x AS double precision)", ExprKind::kCast},
        ExprCase{"x::numeric(10, 2)", "CAST(x AS numeric(10,2))", ExprKind::kCast},
        ExprCase{"x::decimal", "CAST(x AS numeric)", ExprKind::kCast},
        ExprCase{"x::varchar(10)", "CAST(x AS varchar(10))", ExprKind::kCast},
        ExprCase{"x::varchar", "CAST(x AS text)", ExprKind::kCast},
        ExprCase{"x::timestamp with time zone", "CAST(x AS timestamptz)", ExprKind::kCast},
        ExprCase{"x::bool", "CAST(x AS boolean)", ExprKind::kCast},
        ExprCase{"NULL::date", "CAST(NULL AS date)", ExprKind::kCast},
        // Functions, normalized.
        ExprCase{"coalesce(a, b, 0)", "coalesce(a, b, 0)", ExprKind::kFunction},
        ExprCase{"NULLIF(a, '')", "nullif(a, '')", ExprKind::kFunction},
        ExprCase{"greatest(a, 1)", "greatest(a, 1)", ExprKind::kFunction},
        ExprCase{"least(a, 1)", "least(a, 1)", ExprKind::kFunction},
        ExprCase{"date_trunc('hour', event_ts)", "date_trunc('hour', event_ts)",
                 ExprKind::kFunction},
        ExprCase{"EXTRACT(YEAR FROM ts)", "extract('year' FROM ts)", ExprKind::kFunction},
        ExprCase{"extract('Epoch' from ts)", "extract('epoch' FROM ts)", ExprKind::kFunction},
        ExprCase{"date_part('month', ts)", "extract('month' FROM ts)", ExprKind::kFunction},
        ExprCase{"substring(s FROM 2 FOR 3)", "substring(s, 2, 3)", ExprKind::kFunction},
        ExprCase{"substring(s, 2)", "substring(s, 2)", ExprKind::kFunction},
        ExprCase{"trim(s)", "btrim(s)", ExprKind::kFunction},
        ExprCase{"trim(both 'x' from s)", "btrim(s, 'x')", ExprKind::kFunction},
        ExprCase{"trim(leading from s)", "ltrim(s)", ExprKind::kFunction},
        ExprCase{"TRIM(TRAILING '.' FROM s)", "rtrim(s, '.')", ExprKind::kFunction},
        ExprCase{"position('a' IN s)", "\"position\"(s, 'a')", ExprKind::kFunction},
        ExprCase{"now()", "now()", ExprKind::kFunction},
        ExprCase{"random()", "random()", ExprKind::kFunction},
        ExprCase{"CURRENT_TIMESTAMP", "current_timestamp", ExprKind::kFunction},
        ExprCase{"current_date", "current_date", ExprKind::kFunction},
        ExprCase{"\"Lower\"(x)", "lower(x)", ExprKind::kFunction},
        ExprCase{"count(*)", "count(*)", ExprKind::kFunction},
        ExprCase{"COUNT(DISTINCT x)", "count(DISTINCT x)", ExprKind::kFunction},
        ExprCase{"sum(x * (1 - d))", "sum(x * (1 - d))", ExprKind::kFunction},
        ExprCase{"left(s, 2)", "left(s, 2)", ExprKind::kFunction}));

TEST(ParseExpr, Fields) {
  ExprPtr e = ParseExpr("x NOT ILIKE 'A%'");
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->negated);
  EXPECT_TRUE(e->case_insensitive);
  ASSERT_EQ(e->children.size(), 2u);
  EXPECT_EQ(e->children[1]->text, "A%");

  e = ParseExpr("x NOT IN (1, 2)");
  EXPECT_TRUE(e->negated);
  EXPECT_EQ(e->children.size(), 3u);

  e = ParseExpr("CASE x WHEN 1 THEN 'a' ELSE 'b' END");
  EXPECT_EQ(e->case_operand()->name, "x");
  EXPECT_EQ(e->case_when_count(), 1u);
  EXPECT_EQ(e->case_when(0).text, "1");
  EXPECT_EQ(e->case_then(0).text, "a");
  EXPECT_EQ(e->case_else()->text, "b");
  e = ParseExpr("CASE WHEN a THEN 1 END");
  EXPECT_EQ(e->case_operand(), nullptr);
  EXPECT_EQ(e->case_else(), nullptr);
  EXPECT_EQ(e->case_when_count(), 1u);

  e = ParseExpr("EXTRACT(HOUR FROM ts)");
  EXPECT_EQ(e->name, "extract");
  ASSERT_EQ(e->children.size(), 2u);
  EXPECT_EQ(e->children[0]->literal_kind, LiteralKind::kString);
  EXPECT_EQ(e->children[0]->text, "hour");

  e = ParseExpr("'it''s'");
  EXPECT_EQ(e->literal_kind, LiteralKind::kString);
  EXPECT_EQ(e->text, "it's");
  e = ParseExpr("E'a\\nb\\\\'");
  EXPECT_EQ(e->text, "a\nb\\");
  e = ParseExpr("'C:\\path'");  // standard_conforming_strings: a backslash is a backslash
  EXPECT_EQ(e->text, "C:\\path");
  e = ParseExpr("$$dollar 'quoted'$$");
  EXPECT_EQ(e->text, "dollar 'quoted'");
  EXPECT_EQ(ToString(*e), "'dollar ''quoted'''");

  e = ParseExpr("-2147483648");
  EXPECT_EQ(e->literal_kind, LiteralKind::kInteger);
  EXPECT_EQ(e->text, "-2147483648");
  e = ParseExpr("-9223372036854775808");
  EXPECT_EQ(e->literal_kind, LiteralKind::kInteger);
  e = ParseExpr("9223372036854775808");
  EXPECT_EQ(e->literal_kind, LiteralKind::kDecimal);
  // libpg-query's JSON says "ival": {} for every integer <= 0; the parser reads them back.
  e = ParseExpr("-( /* seven */ (7))");
  EXPECT_EQ(e->text, "-7");
  EXPECT_EQ(e->location, (SourceLocation{1, 8}));
  e = ParseExpr("0");
  EXPECT_EQ(e->text, "0");
  e = ParseExpr("-0");
  EXPECT_EQ(e->literal_kind, LiteralKind::kInteger);
  EXPECT_EQ(e->text, "0");
  e = ParseExpr("-1.5");
  EXPECT_EQ(e->literal_kind, LiteralKind::kDecimal);
  EXPECT_EQ(e->text, "-1.5");
  e = ParseExpr("true");
  EXPECT_EQ(e->literal_kind, LiteralKind::kBoolean);
  EXPECT_EQ(e->text, "true");
  e = ParseExpr("NULL");
  EXPECT_EQ(e->literal_kind, LiteralKind::kNull);

  e = ParseExpr("TIMESTAMP '2026-11-17'");
  EXPECT_EQ(e->literal_kind, LiteralKind::kTyped);
  EXPECT_EQ(e->text, "2026-11-17");
  EXPECT_EQ(e->type.name, "timestamp");
  EXPECT_EQ(e->location, (SourceLocation{1, 8}));
  e = ParseExpr("'1 day'::interval");
  EXPECT_EQ(e->literal_kind, LiteralKind::kTyped);
  EXPECT_EQ(e->type.name, "interval");
  EXPECT_EQ(e->location, (SourceLocation{1, 8}));

  e = ParseExpr("a AND b AND c");  // PostgreSQL's one n-ary node becomes a left-deep tree
  EXPECT_EQ(e->binary_op, BinaryOp::kAnd);
  EXPECT_EQ(e->children[0]->kind, ExprKind::kBinary);
  EXPECT_EQ(e->children[1]->name, "c");
}

TEST(ParseExpr, Locations) {
  // Each node is located at its identifying token.
  constexpr std::string_view kQuery =
      "SELECT a,\n"
      "       -- a comment; with a semicolon\n"
      "       /* and /* a nested */ block */ lower(\"Weird Name\") || 'x',\n"
      "       x IS NULL, CAST(y AS int), 'é' || z\n"
      "FROM t";
  Result<Select> r = ParseQuery(kQuery);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Expr& concat = *r->items[1].expr;
  EXPECT_EQ(concat.location, (SourceLocation{3, 59}));  // the ||
  EXPECT_EQ(concat.children[0]->location, (SourceLocation{3, 39}));
  EXPECT_EQ(concat.children[0]->children[0]->location, (SourceLocation{3, 45}));
  EXPECT_EQ(concat.children[1]->location, (SourceLocation{3, 62}));
  EXPECT_EQ(r->items[2].expr->location, (SourceLocation{4, 10}));  // the IS
  EXPECT_EQ(r->items[3].expr->location, (SourceLocation{4, 19}));  // CAST
  // Columns count characters: 'é' is one column though two bytes.
  EXPECT_EQ(r->items[4].expr->location, (SourceLocation{4, 39}));
  EXPECT_EQ(r->items[4].expr->children[1]->location, (SourceLocation{4, 42}));
  EXPECT_EQ(r->from.table.location, (SourceLocation{5, 6}));
}

TEST(ParsePipeline, CaseInsensitiveKeywordsAndIdentifiers) {
  Result<std::vector<Statement>> r = ParsePipeline(
      "create Materialized VIEW Gold.\"Mixed Case\" with (Owner = 'Finance') as "
      "SELECT Order_ID, LOWER(Status) As S FROM Silver.Orders O wHeRe O.Status <> 'X'",
      "p.sql");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& view = std::get<CreateMaterializedView>((*r)[0].node);
  EXPECT_EQ(view.view.schema, "gold");
  EXPECT_EQ(view.view.name, "Mixed Case");
  EXPECT_EQ(ToString(view.view), "gold.\"Mixed Case\"");
  EXPECT_THAT(Keys(view.options), ::testing::ElementsAre("owner=Finance"));
  EXPECT_THAT(Items(view.select), ::testing::ElementsAre("order_id", "lower(status) AS s"));
  EXPECT_EQ(ToString(view.select.from.table), "silver.orders");
  EXPECT_EQ(view.select.from.alias, "o");
  EXPECT_EQ(ToString(*view.select.where), "o.status <> 'X'");
}

TEST(ParsePipeline, CommentsAndStatementLocations) {
  constexpr std::string_view kText =
      "/* header\n"
      "   /* nested */ comment; not a statement */\n"
      "-- CREATE TABLE commented.out (a text);\n"
      "CREATE TABLE s.t (a text); -- trailing; comment\n"
      "/* a; b */ INSERT INTO s.u (a)\n"
      "  -- inside\n"
      "  SELECT a FROM s.t WHERE a <> ';' /* c */ AND a IS NOT NULL;\n"
      "\n"
      "\tCREATE MATERIALIZED VIEW s.v AS SELECT count(*) FROM s.u\n"
      "-- no semicolon at the end\n";
  Result<std::vector<Statement>> r = ParsePipeline(kText, "p.sql");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].location, (SourceLocation{4, 1}));
  EXPECT_EQ((*r)[0].text, "CREATE TABLE s.t (a text)");
  EXPECT_EQ((*r)[1].location, (SourceLocation{5, 12}));
  EXPECT_THAT((*r)[1].text, StartsWith("INSERT INTO s.u (a)\n  -- inside\n"));
  EXPECT_EQ((*r)[2].location, (SourceLocation{9, 2}));
  // Without a ';', a statement runs to the end of the text, comments included.
  EXPECT_EQ((*r)[2].text,
            "CREATE MATERIALIZED VIEW s.v AS SELECT count(*) FROM s.u\n-- no semicolon at the end");
  const auto& insert = std::get<InsertSelect>((*r)[1].node);
  ASSERT_EQ(insert.columns.size(), 1u);
  EXPECT_EQ(insert.columns[0].name, "a");
  EXPECT_EQ(insert.columns[0].location, (SourceLocation{5, 29}));
  EXPECT_EQ(ToString(*insert.select.where), "(a <> ';') AND (a IS NOT NULL)");
  EXPECT_EQ(insert.select.where->location, (SourceLocation{7, 44}));  // the AND
  EXPECT_EQ(insert.select.where->children[1]->location, (SourceLocation{7, 50}));
  const auto& view = std::get<CreateMaterializedView>((*r)[2].node);
  EXPECT_EQ(view.select.items[0].expr->location, (SourceLocation{9, 41}));  // a tab is 1

  r = ParsePipeline("-- nothing here\n/* at all */\n", "p.sql");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  r = ParsePipeline("", "p.sql");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(ParsePipeline, TypesAndOptions) {
  Result<std::vector<Statement>> r = ParsePipeline(
      "CREATE TABLE t (a smallint, b integer, c bigint, d real, e double precision,\n"
      "  f numeric(18,2), g decimal, h varchar(20), i char(3), j text, k timestamp,\n"
      "  l timestamptz, m timestamp with time zone, n date, o boolean, p interval, q json)\n"
      "WITH (Layer = 'x', n = 4, neg = -1.5, word = bronze, flag = true, bare, \"Key\" = '',\n"
      "      zero = 0, minus = -3, \"Odd \"\"Key\" /* c */ = /* d */ - 12)",
      "p.sql");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& table = std::get<CreateTable>((*r)[0].node);
  EXPECT_EQ(table.table.schema, "");
  std::vector<std::string> types;
  for (const ColumnDefinition& c : table.columns) {
    types.push_back(c.name + ":" + c.type.name + "/" + c.type.original + "=" + ToString(c.type));
  }
  EXPECT_THAT(types,
              ::testing::ElementsAre(
                  "a:bigint/int2=bigint", "b:bigint/int4=bigint", "c:bigint/int8=bigint",
                  "d:double/float4=double precision", "e:double/float8=double precision",
                  "f:numeric/numeric=numeric(18,2)", "g:numeric/numeric=numeric",
                  "h:text/varchar=varchar(20)", "i:text/bpchar=bpchar(3)", "j:text/text=text",
                  "k:timestamp/timestamp=timestamp", "l:timestamptz/timestamptz=timestamptz",
                  "m:timestamptz/timestamptz=timestamptz", "n:date/date=date",
                  "o:boolean/bool=boolean", "p:interval/interval=interval", "q:json/json=json"));
  EXPECT_EQ(table.columns[5].type.location, (SourceLocation{2, 5}));
  EXPECT_THAT(Keys(table.options),
              ::testing::ElementsAre("layer=x", "n=4", "neg=-1.5", "word=bronze", "flag=true",
                                     "bare=true", "Key=", "zero=0", "minus=-3", "Odd \"Key=-12"));
}

TEST(ParsePipeline, Constraints) {
  Result<std::vector<Statement>> r = ParsePipeline(
      "CREATE TABLE s.t (\n"
      "  a bigint CHECK (a > 0) CHECK (a < 10) NULL,\n"
      "  b bigint CONSTRAINT t_a_check CHECK (b > 0) NOT NULL,\n"
      "  CHECK (a < b),\n"
      "  CONSTRAINT ordered CHECK (a <> b),\n"
      "  PRIMARY KEY (a, b))",
      "p.sql");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& t = std::get<CreateTable>((*r)[0].node);
  ASSERT_EQ(t.columns.size(), 2u);
  EXPECT_FALSE(t.columns[0].not_null);
  EXPECT_TRUE(t.columns[1].not_null);
  ASSERT_EQ(t.columns[0].checks.size(), 2u);
  EXPECT_EQ(t.columns[0].checks[0].name, "t_a_check1");  // t_a_check is taken by b's
  EXPECT_EQ(t.columns[0].checks[1].name, "t_a_check2");
  EXPECT_EQ(t.columns[1].checks[0].name, "t_a_check");
  ASSERT_EQ(t.checks.size(), 2u);
  EXPECT_EQ(t.checks[0].name, "t_check");
  EXPECT_EQ(ToString(*t.checks[0].expr), "a < b");
  EXPECT_EQ(t.checks[0].location, (SourceLocation{4, 3}));
  EXPECT_EQ(t.checks[1].name, "ordered");
  ASSERT_EQ(t.primary_key.size(), 2u);
  EXPECT_EQ(t.primary_key[1].name, "b");

  r = ParsePipeline("CREATE TABLE t (id text PRIMARY KEY, v text)", "p.sql");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& column_key = std::get<CreateTable>((*r)[0].node);
  ASSERT_EQ(column_key.primary_key.size(), 1u);
  EXPECT_EQ(column_key.primary_key[0].name, "id");
  EXPECT_EQ(column_key.primary_key[0].location, (SourceLocation{1, 25}));
}

TEST(ParseQuery, Clauses) {
  Result<Select> r = ParseQuery(
      "SELECT DISTINCT customer_id, sum(amount) AS total FROM silver.orders AS o "
      "WHERE amount > 0 GROUP BY customer_id, 1 HAVING count(*) > 2 "
      "ORDER BY 2 DESC, customer_id, total ASC NULLS FIRST, 1 DESC NULLS LAST LIMIT 10 OFFSET 5;");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->distinct);
  EXPECT_EQ(r->from.alias, "o");
  ASSERT_EQ(r->group_by.size(), 2u);
  EXPECT_EQ(r->group_by[0]->kind, ExprKind::kColumn);
  EXPECT_EQ(r->group_by[1]->literal_kind, LiteralKind::kInteger);
  EXPECT_EQ(ToString(*r->having), "count(*) > 2");
  ASSERT_EQ(r->order_by.size(), 4u);
  EXPECT_TRUE(r->order_by[0].descending);
  EXPECT_TRUE(r->order_by[0].nulls_first);  // PostgreSQL's default for DESC
  EXPECT_FALSE(r->order_by[1].descending);
  EXPECT_FALSE(r->order_by[1].nulls_first);
  EXPECT_TRUE(r->order_by[2].nulls_first);
  EXPECT_FALSE(r->order_by[3].nulls_first);
  EXPECT_EQ(ToString(*r->limit), "10");
  EXPECT_EQ(ToString(*r->offset), "5");

  r = ParseQuery("select * from t limit all");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->limit, nullptr);
  EXPECT_EQ(r->items[0].expr->kind, ExprKind::kStar);
  r = ParseQuery("SELECT a FROM t FETCH FIRST 3 ROWS ONLY");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToString(*r->limit), "3");

  EXPECT_EQ(QueryError(""), "query:1:1: expected a SELECT query, found none");
  EXPECT_EQ(QueryError("SELECT 1 FROM t; SELECT 2 FROM t"),
            "query:1:18: expected one query, found a second statement");
  EXPECT_EQ(QueryError("CREATE TABLE t (a text)"), "query:1:1: expected a SELECT query");
  EXPECT_EQ(QueryError("SELECT 1"), "query:1:1: a SELECT needs a FROM clause naming one table");
  Result<Select> named = ParseQuery("SELEC 1", "cli");
  EXPECT_EQ(named.status().message(), "cli:1:1: syntax error at or near \"SELEC\"");
}

TEST(ParsePipeline, SyntaxErrorsAreLocated) {
  // Line 3, column 10, after comments and a multi-line statement.
  EXPECT_EQ(PipelineError("CREATE TABLE s.t (a text); -- fine\n"
                          "INSERT INTO s.u SELECT a FROM s.t WHERE a = 'x'\n"
                          "   AND b FORM c;"),
            "p.sql:3:10: syntax error at or near \"FORM\"");
  // Columns count characters, not bytes.
  EXPECT_EQ(QueryError("SELECT 'é', x FROM t WHERE AND"),
            "query:1:28: syntax error at or near \"AND\"");
  EXPECT_EQ(PipelineError("CREATE TABLE t (a text);\nCREATE TABLE u (a text"),
            "p.sql:2:23: syntax error at end of input");
  EXPECT_EQ(PipelineError("CREATE TABLE t (a text);\nINSERT INTO t SELECT 'abc FROM u;"),
            "p.sql:2:22: unterminated quoted string at or near \"'abc FROM u;\"");
  EXPECT_EQ(PipelineError("SELECT 1; /* never closed"),
            "p.sql:1:11: unterminated /* comment at or near \"/* never closed\"");
  // Errors PostgreSQL reports without a position are blamed on their statement.
  EXPECT_EQ(PipelineError("CREATE TABLE t (a text);\n\n"
                          "  INSERT INTO t SELECT a FROM u FETCH FIRST 1 ROW WITH TIES;"),
            "p.sql:3:3: WITH TIES cannot be specified without ORDER BY clause");
  EXPECT_EQ(PipelineError("CREATE TABLE t (a text);\n INSERT INTO t SELECT E'\\xff' FROM u;"),
            "p.sql:2:2: invalid byte sequence for encoding \"UTF8\": 0xff");
  // Bytes PostgreSQL never sees.
  EXPECT_EQ(PipelineError(std::string_view("SELECT 1;\nSELECT '\0' FROM t", 27)),
            "p.sql:2:9: NUL character in SQL text");
  EXPECT_EQ(PipelineError("SELECT 1;\nSELECT 'a\xff' FROM t"),
            "p.sql:2:10: invalid UTF-8 byte sequence");
  EXPECT_EQ(PipelineError("SELECT '\xc3\x28' FROM t"), "p.sql:1:9: invalid UTF-8 byte sequence");
}

struct RejectCase {
  std::string_view sql;
  std::string_view error;  // the whole message
};

class RejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RejectTest, IsRejectedWithALocatedError) {
  EXPECT_EQ(PipelineError(GetParam().sql), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Unsupported, RejectTest,
    ::testing::Values(
        RejectCase{"CREATE MATERIALIZED VIEW g.v AS\n"
                   "SELECT a\n"
                   "FROM s.t\n"
                   "  JOIN s.u ON t.x = u.x JOIN s.w ON w.x = t.x",
                   "p.sql:4:25: a join of more than two tables (join two, then join the result "
                   "in a later node) is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u LEFT OUTER JOIN s.v USING (a)",
                   "p.sql:1:46: JOIN ... USING (write ON a.k = b.k) is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u CROSS JOIN s.v",
                   "p.sql:1:41: a join needs ON with an equality of the two tables' columns "
                   "(CROSS JOIN is not supported)"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u JOIN (SELECT 1) x ON true",
                   "p.sql:1:48: this FROM item in a join (PostgreSQL's RangeSubselect) is not "
                   "supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u, s.v",
                   "p.sql:1:36: a FROM list of more than one table is not supported"},
        RejectCase{"INSERT INTO s.t\nSELECT a FROM s.u\nWHERE a IN (SELECT b FROM s.v)",
                   "p.sql:3:9: a subquery is not supported"},
        RejectCase{"INSERT INTO s.t SELECT (SELECT max(b) FROM s.v) FROM s.u",
                   "p.sql:1:24: a subquery is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u WHERE EXISTS (SELECT 1 FROM s.v)",
                   "p.sql:1:41: a subquery is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM (SELECT a FROM s.u) x",
                   "p.sql:1:39: a subquery in FROM is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u UNION SELECT b FROM s.v",
                   "p.sql:1:48: UNION is not supported"},
        RejectCase{"INSERT INTO s.t WITH c AS (SELECT a FROM s.u) SELECT a FROM c",
                   "p.sql:1:17: WITH (common table expressions) in SELECT is not supported"},
        RejectCase{"CREATE MATERIALIZED VIEW v AS WITH c AS (SELECT 1) SELECT * FROM c",
                   "p.sql:1:31: WITH (common table expressions) in SELECT is not supported"},
        RejectCase{"INSERT INTO s.t SELECT sum(a) OVER (PARTITION BY b) FROM s.u",
                   "p.sql:1:36: a window function (OVER) is not supported"},
        RejectCase{"INSERT INTO s.t SELECT DISTINCT ON (a) a, b FROM s.u",
                   "p.sql:1:37: DISTINCT ON is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u GROUP BY ROLLUP (a)",
                   "p.sql:1:44: GROUPING SETS / ROLLUP / CUBE is not supported"},
        RejectCase{"INSERT INTO s.t VALUES (1, 'a')",
                   "p.sql:1:25: INSERT ... VALUES (a pipeline inserts the result of a SELECT) "
                   "is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u ON CONFLICT DO NOTHING",
                   "p.sql:1:35: ON CONFLICT in INSERT is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u WHERE a IS TRUE",
                   "p.sql:1:43: IS TRUE / IS FALSE / IS UNKNOWN is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u WHERE a = $1",
                   "p.sql:1:45: a parameter ($1) is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u WHERE a LIKE 'x!%' ESCAPE '!'",
                   "p.sql:1:43: LIKE ... ESCAPE is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a ~ 'x' FROM s.u",
                   "p.sql:1:26: the operator ~ is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u WHERE s.u.a.b = 1",
                   "p.sql:1:41: a column reference with more than two parts "
                   "(schema.table.column) is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u WHERE t.* IS NULL",
                   "p.sql:1:41: * is only allowed as a whole item of a SELECT list"},
        RejectCase{"INSERT INTO s.t SELECT string_agg(a, ',' ORDER BY a) FROM s.u",
                   "p.sql:1:51: ORDER BY inside an aggregate is not supported"},
        RejectCase{"INSERT INTO s.t SELECT a FROM s.u WHERE a = CURRENT_USER",
                   "p.sql:1:45: this SQL function (CURRENT_USER, SESSION_USER, ...) is not "
                   "supported"},
        RejectCase{"CREATE TABLE t (a text DEFAULT 'x')",
                   "p.sql:1:24: a DEFAULT value is not supported"},
        RejectCase{"CREATE TABLE t (a text UNIQUE)",
                   "p.sql:1:24: a UNIQUE constraint (declare the business key with PRIMARY "
                   "KEY) is not supported"},
        RejectCase{"CREATE TABLE t (a text[])", "p.sql:1:19: an array type is not supported"},
        RejectCase{"CREATE TABLE t (a public.money)",
                   "p.sql:1:19: a schema-qualified type name is not supported"},
        RejectCase{"CREATE TABLE t (a interval hour)",
                   "p.sql:1:19: an INTERVAL field or precision (write INTERVAL '1 hour') is "
                   "not supported"},
        RejectCase{"CREATE TEMP TABLE t (a text)",
                   "p.sql:1:19: a TEMPORARY table is not supported"},
        RejectCase{"CREATE TABLE IF NOT EXISTS t (a text)",
                   "p.sql:1:1: IF NOT EXISTS in CREATE TABLE is not supported"},
        RejectCase{"CREATE TABLE t (a text) PARTITION BY RANGE (a)",
                   "p.sql:1:25: PARTITION BY in CREATE TABLE is not supported"},
        RejectCase{"CREATE TABLE t (a text, PRIMARY KEY (a), PRIMARY KEY (a))",
                   "p.sql:1:42: multiple primary keys for table \"t\" are not allowed"},
        RejectCase{"CREATE TABLE t (a text NOT NULL NULL)",
                   "p.sql:1:33: conflicting NULL / NOT NULL declarations for column \"a\""},
        RejectCase{"CREATE TABLE t (a int CONSTRAINT c CHECK (a > 0), CONSTRAINT c CHECK (a < 9))",
                   "p.sql:1:51: constraint \"c\" is defined twice"},
        RejectCase{"CREATE TABLE t (a text) WITH (ns.k = 'v')",
                   "p.sql:1:31: a qualified option name (ns.key) in WITH (...) is not supported"},
        RejectCase{"CREATE TABLE t (a text) WITH (k = double precision)",
                   "p.sql:1:31: the value of option \"k\" must be a string, a number or a "
                   "single word"},
        RejectCase{"CREATE TABLE t AS SELECT a FROM u",
                   "p.sql:1:1: CREATE TABLE ... AS is not supported: derive a table with "
                   "CREATE MATERIALIZED VIEW ... AS SELECT"},
        RejectCase{"CREATE MATERIALIZED VIEW v (x) AS SELECT a FROM u",
                   "p.sql:1:1: a column list in CREATE MATERIALIZED VIEW is not supported"},
        RejectCase{"CREATE MATERIALIZED VIEW v AS SELECT a FROM u WITH NO DATA",
                   "p.sql:1:1: WITH NO DATA in CREATE MATERIALIZED VIEW is not supported"},
        RejectCase{"CREATE TABLE t (a text);\n  SELECT a FROM t",
                   "p.sql:2:3: a SELECT on its own does nothing in a pipeline: write INSERT "
                   "INTO ... SELECT or CREATE MATERIALIZED VIEW ... AS SELECT"},
        RejectCase{"UPDATE t SET a = 1",
                   "p.sql:1:1: UPDATE is not supported: a pipeline holds CREATE TABLE, INSERT "
                   "INTO ... SELECT and CREATE MATERIALIZED VIEW ... AS SELECT statements"},
        RejectCase{"GRANT SELECT ON t TO u",
                   "p.sql:1:1: this statement (PostgreSQL's GrantStmt) is not supported: a "
                   "pipeline holds CREATE TABLE, INSERT INTO ... SELECT and CREATE "
                   "MATERIALIZED VIEW ... AS SELECT statements"}));

// `x || x || ... || x` with `terms` terms.
std::string DeepQuery(int terms) {
  std::string sql = "SELECT x";
  for (int i = 1; i < terms; ++i) {
    sql += "||x";
  }
  return sql + " FROM t";
}

TEST(ParseQuery, NestingIsBounded) {
  Result<Select> r = ParseQuery(DeepQuery(900));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // 900 x, 899 " || ", and parentheses around the 898 compound left operands.
  EXPECT_EQ(ToString(*r->items[0].expr).size(), 900u + 899 * 4 + 898 * 2);
  EXPECT_THAT(QueryError(DeepQuery(1500)),
              HasSubstr(": expression is nested too deeply (more than 1000 levels)"));
  // a AND b AND ... is one PostgreSQL node but a left-deep tree, as deep as it is long.
  std::string conditions = "a = 0";
  for (int i = 1; i < 1200; ++i) {
    conditions += " AND a = " + std::to_string(i);
  }
  EXPECT_THAT(QueryError("SELECT a FROM t WHERE " + conditions),
              HasSubstr("expression is nested too deeply"));
  EXPECT_EQ(QueryError("SELECT a FROM t WHERE " + conditions.substr(0, conditions.find("a = 900")) +
                       "TRUE"),
            "OK");
  // Deep enough to overflow libpg-query's own recursion on an 8 MiB stack (it is given a
  // bigger one), and to make its JSON deeper than strata reads.
  EXPECT_EQ(QueryError(DeepQuery(200000)), "query:1:1: statement is nested too deeply");
  EXPECT_THAT(
      QueryError("SELECT " + std::string(20000, '(') + "1" + std::string(20000, ')') + " FROM t"),
      HasSubstr("memory exhausted"));  // the limit of PostgreSQL's parser stack
}

// Random edits of the DESIGN.md pipeline: the parser returns statements or one located
// error, never crashes. STRATA_SQL_FUZZ_ITERATIONS=N runs more.
TEST(ParsePipeline, RandomMutationsNeverCrash) {
  const char* env = std::getenv("STRATA_SQL_FUZZ_ITERATIONS");
  const int iterations = env ? std::atoi(env) : 2000;
  std::mt19937_64 rng(20261117);
  static constexpr std::string_view kAlphabet[] = {
      "(",  ")",    ",",       ";",       "'",    "\"", "-", "--",
      "/*", "*/",   "*",       " ",       "\n",   "$$", "e", "E'\\",
      "é",  "\xff", "SELECT ", " JOIN x", "NOT ", "::", "1", "9999999999999999999999",
      "AS"};
  int accepted = 0;
  for (int i = 0; i < iterations; ++i) {
    std::string text(kDesignPipeline);
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % (text.size() + 1);
      std::string_view piece = kAlphabet[rng() % std::size(kAlphabet)];
      switch (rng() % 3) {
        case 0:
          text.erase(at, 1 + rng() % 8);
          break;
        case 1:
          text.insert(at, piece);
          break;
        default:
          text.replace(at, 1, piece);
          break;
      }
    }
    SCOPED_TRACE(text);
    Result<std::vector<Statement>> r = ParsePipeline(text, "pipeline.sql");
    if (r.ok()) {
      ++accepted;
      for (const Statement& s : *r) {  // printing must not crash either
        if (const auto* insert = std::get_if<InsertSelect>(&s.node)) {
          for (const SelectItem& item : insert->select.items) {
            ToString(*item.expr);
          }
        }
      }
      continue;
    }
    // "pipeline.sql:LINE:COLUMN: message", the line within the text.
    const std::string& message = r.status().message();
    int line = 0, column = 0, consumed = 0;
    ASSERT_EQ(std::sscanf(message.c_str(), "pipeline.sql:%d:%d: %n", &line, &column, &consumed), 2)
        << message;
    EXPECT_GT(consumed, 0) << message;
    EXPECT_GE(line, 1);
    EXPECT_LE(line, 1 + std::count(text.begin(), text.end(), '\n'));
    EXPECT_GE(column, 1);
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace strata::sql
