// Random pipelines, random operations, an independent judge (issue 11, item 3).
//
// Each seed draws a pipeline shape: 1-2 bronze tables; 1-3 silver tables, each with a
// primary key (mostly the bronze key, sometimes other or composite columns, whose versions
// then come from several partitions), sometimes a dedupe_order, NOT NULL and CHECK
// constraints under quarantine or drop, a WHERE and projections; 1-3 gold views with GROUP
// BY, count/sum/min/max/avg/count(DISTINCT), filters, tumbling, hopping or session windows,
// served by Kappa or Lambda. Some seeds also draw graph shapes (README, "A pipeline is a
// graph"), from a generator of their own so that the rest of the seed's draws stay as they
// were: a second silver stage reading an earlier silver table (its own columns, WHERE,
// contract and primary key holding the source's key; sometimes a view of it), and views of
// views (grouped by some of the source view's columns, or a global aggregate, served as the
// source is). Then a sequence of operations, driven through serve::Engine as `strata
// server` drives it: ingest of random JSON lines (repeated keys, NULLs, missing fields,
// values of the wrong type, malformed lines, constraint violations), run, batch, restart
// from a checkpoint, restart recomputing from bronze, crash (unsynced bytes lost, or torn),
// replay of a Kappa view (with a new filter, or of the pipeline from the latest checkpoint)
// and cutover, rollback. Some seeds also draw views over joins (DrawJoins, a generator of its
// own): two silver tables, or one with itself, joined INNER, LEFT, RIGHT or FULL on a shared
// column, sometimes with a residual condition in ON; PostgreSQL computes the same join. That
// generator then sometimes draws a silver table fed by such a join (a contract, a WHERE over
// either side, no key) and views of it; it is judged as a second stage whose source is the
// join (its quarantine names "silver.a JOIN silver.b").
//
// The judge is PostgreSQL 15 (scripts/pg_test_server.sh). Whenever every lane has consumed
// every durable record, the test reads the records bronze holds back through the log
// (checking that every acknowledged one is there), loads their payloads into PostgreSQL and
// computes there, with SQL this test writes from the shape (not from strata's plan), what
// each silver table, its quarantine (partition, offset, constraint) and each gold view must
// hold: payloads are decoded with jsonb and checked against the declared types; a silver
// table is DISTINCT ON its key, ordered by the dedupe column (NULL lowest), then partition
// and offset, over the rows that pass WHERE and every constraint; a gold view is the same
// aggregate over that (windows with date_bin). A second stage is its source's rows that pass
// its WHERE and constraints, projected (no dedupe); its quarantine, the source's rows that
// pass WHERE and break a constraint now, compared as (source_table, constraint_name, payload)
// with the payload built as strata prints a row in JSON: their (partition, offset) are the
// record that first gave the row its value, kept when a newer record repeats the value (the
// upsert passes no change on), so they depend on how the log was cut into runs. A view of a
// view is its SQL over the PostgreSQL answer of its source (a subquery). Every answer
// must equal PostgreSQL's as a multiset of rows printed as text; so must the batch
// runtime's answers while its batch view covers all of bronze, and the drift of a view
// (sampled) must be nil.
//
// Exactness: avg is rounded by strata to its result's scale (6 digits at least, half away
// from zero); PostgreSQL's is compared through round(avg(x), 6), which rounds the same way.
// PostgreSQL rounds the quotient to 16 significant digits or more first; a sum of values with
// two decimals divided by a count under 1,000 is either exactly halfway between two 6-digit
// values or at least 5e-10 away from it, beyond what that first rounding can move, so the
// double rounding cannot differ. Text min/max and text dedupe orders compare bytewise
// (COLLATE "C"). Not drawn: on_violation = 'fail' (how far a run gets before it stops depends
// on the micro-batch cut), double precision (order-dependent sums), late records (the
// lateness is ten years), two values of the wrong type in one line (which one the
// quarantine names is strata's choice).
//
// CI runs the fixed seeds below. A longer run draws new seeds and lists the failing ones:
//   STRATA_SEEDS=2000 nice -n 19 build/pg_random_test --gtest_filter='PgRandomTest.*'
// STRATA_SEED=N repeats seed N alone; STRATA_PG_RANDOM_PRINT=1 prints each case's pipeline
// and steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "connect/pg_connection.h"
#include "log/reader.h"
#include "quality/reconcile.h"
#include "runtime/runtime_test_util.h"
#include "serve/engine_harness.h"
#include "serve/engine_test_util.h"
#include "testing/pg_server.h"
#include "testing/seeds.h"

namespace strata::serve {
namespace {

constexpr uint64_t kFirstSeed = 1;
constexpr size_t kCiSeeds = 60;

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(gen_) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Int(0, static_cast<int>(v.size()) - 1)];
  }

 private:
  std::mt19937_64 gen_;
};

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? sep : "") + parts[i];
  return out;
}

// Every bronze table has these columns (its key is id).
struct BronzeColumn {
  const char* name;
  const char* type;
  const char* json;  // jsonb_typeof of a value that decodes
};
const std::vector<BronzeColumn> kBronzeColumns = {
    {"id", "text", "string"},    {"g", "text", "string"},          {"h", "text", "string"},
    {"n", "bigint", "number"},   {"v", "numeric(12,2)", "number"}, {"ts", "timestamp", "string"},
    {"seq", "bigint", "number"},
};

struct Bronze {
  std::string name;  // b1, b2
  int partitions = 1;
  bool watermark = false;
  int keys = 5;  // ids k0..k<keys-1>
};

struct SilverColumn {
  std::string name, type, expr;
  std::string expr2;  // in a second INSERT (from bronze2), if not expr
};

struct Silver {
  std::string name;  // s1, s2, s3 (then s4, s5: a second stage)
  int bronze = 0;    // the bronze table it reads, or (a second stage) its source's
  int source = -1;   // a second stage: the silver table it reads (columns, WHERE over its rows)
  // Fed by a join: silver[source] AS a <join_type> silver[join] AS b ON <on>; columns and
  // WHERE then name a.x or b.x. No key.
  int join = -1;
  std::string join_type, on;
  int bronze2 = -1;  // a second INSERT from this bronze table (with where2), or none
  std::string where2;
  std::vector<SilverColumn> columns;  // id first
  std::vector<std::string> key;       // the primary key's columns
  bool key_spelt_not_null = true;     // NOT NULL written on the key's columns (else implied)
  std::string dedupe;                 // a column name, or empty
  std::vector<std::string> not_null;  // besides the primary key
  std::vector<std::string> checks;    // CHECK conditions over silver columns
  std::vector<bool> named;            // per check: a table constraint with a name
  bool drop = false;                  // on_violation = 'drop' (else quarantine)
  std::string where;                  // over bronze columns, or empty
  // NOT NULL, declared or as a primary key column.
  bool Required(const std::string& column) const {
    return std::count(key.begin(), key.end(), column) ||
           std::count(not_null.begin(), not_null.end(), column);
  }
  bool Has(const std::string& column) const {
    for (const auto& c : columns)
      if (c.name == column) return true;
    return false;
  }
  const SilverColumn* Column(const std::string& column) const {
    for (const auto& c : columns)
      if (c.name == column) return &c;
    return nullptr;
  }
};

// A select item of a gold view, written for strata and for PostgreSQL; `kind` says what a
// view reading the view may do with the column: "int", "dec" (two decimals), "avg" (six),
// "text", "ts" or "bool".
struct Item {
  std::string strata, pg, name, kind;
};

struct Gold {
  std::string name;  // g1, g2, g3 (then g4...: views of a second stage or of views)
  int silver = 0;
  int source = -1;  // a view of a view: the gold view it reads (then `silver` means nothing)
  bool lambda = false;
  std::string window;            // "", "tumble", "hop" or "session"
  std::string size, slide;       // window size or session gap (and hop slide): "15 minutes"
  int slides_per_window = 1;     // hop: size / slide
  std::vector<Item> keys, aggs;  // group keys (besides the window) and aggregates
  std::string where;             // over silver columns, or empty
  // A view over a join: silver[silver] AS a <join_type> silver[join] AS b ON <on>; keys,
  // aggregates and where then name columns as a.x or b.x.
  int join = -1;
  std::string join_type, on;
};

struct Shape {
  std::vector<Bronze> bronze;
  std::vector<Silver> silver;
  std::vector<Gold> gold;
  size_t graph_gold = 0;  // gold[graph_gold...] were drawn by DrawGraph
  size_t join_gold = 0;   // gold[join_gold...] were drawn by DrawJoins
};

// ---------------------------------------------------------------------------------------
// Drawing a shape.

// The WHERE of an INSERT from bronze.
std::string DrawSilverWhere(Rng& rng) {
  return rng.Pick<std::string>({"", "", "", "g <> 'c'", "n IS NOT NULL", "n BETWEEN -40 AND 80",
                                "h LIKE 'x%'", "g IN ('a', 'b', 'c')", "v > 1.5",
                                "NOT (h = 'y1')"});
}

// The contract of silver table `s`, its columns and key drawn: NOT NULL columns, CHECKs (each
// with chance `check_chance`, half of them named) and whether violations are dropped. The ts
// of a watermarked table is NOT NULL: a window needs an event time.
void DrawContract(Rng& rng, bool watermark, double check_chance, Silver* s) {
  for (const char* c : {"g", "n", "v", "ts"}) {
    if (s->Has(c) && rng.Chance(0.25)) s->not_null.push_back(c);
  }
  if (watermark && s->Has("ts") && !s->Required("ts")) s->not_null.push_back("ts");
  const std::vector<std::pair<const char*, const char*>> checks = {{"n", "n > -50"},
                                                                   {"v", "v >= 0"},
                                                                   {"g", "g <> 'e'"},
                                                                   {"seq", "seq < 95"},
                                                                   {"h", "h <> 'y2'"}};
  for (const auto& [column, check] : checks) {
    if (s->Has(column) && rng.Chance(check_chance)) {
      s->checks.push_back(check);
      s->named.push_back(rng.Chance(0.5));
    }
  }
  s->drop = rng.Chance(0.3);
}

Silver DrawSilver(Rng& rng, const Shape& shape, int index) {
  Silver s;
  s.name = "s" + std::to_string(index + 1);
  s.bronze = rng.Int(0, static_cast<int>(shape.bronze.size()) - 1);
  const Bronze& b = shape.bronze[s.bronze];
  s.columns.push_back({"id", "text", "id"});
  auto maybe = [&](const char* name, const char* type, std::vector<std::string> exprs) {
    if (rng.Chance(0.75)) s.columns.push_back({name, type, rng.Pick(exprs)});
  };
  maybe("g", "text",
        {"g", "g", "lower(g)", "upper(g)", "coalesce(g, 'none')", "trim(g)", "concat(g, '-', h)"});
  maybe("h", "text", {"h", "h", "substring(h, 1, 2)", "CASE WHEN h LIKE 'x%' THEN 'X' ELSE h END"});
  maybe("n", "bigint",
        {"n", "n", "n + 1", "abs(n)", "n * 2", "CASE WHEN n > 0 THEN n ELSE 0 END",
         "coalesce(n, -1)"});
  maybe("v", "numeric(12,2)", {"v", "v", "round(v, 1)", "abs(v)", "v * 2", "coalesce(v, 0)"});
  // A watermarked bronze table's silver tables keep ts as it is (windows read it).
  if (b.watermark || rng.Chance(0.75)) {
    s.columns.push_back(
        {"ts", "timestamp",
         b.watermark ? "ts" : rng.Pick<std::string>({"ts", "ts", "date_trunc('minute', ts)"})});
  }
  maybe("seq", "bigint", {"seq"});
  // Mostly the bronze key (whose records share a partition); otherwise versions of a key
  // come from several partitions, ordered by (dedupe value, partition, offset).
  std::vector<std::vector<std::string>> keys = {{"id"}, {"id"}, {"id"}, {"id"}, {"id"}};
  if (s.Has("h")) keys.push_back({"h"});
  if (s.Has("g")) keys.push_back({"id", "g"});
  if (s.Has("g") && s.Has("h")) keys.push_back({"g", "h"});
  s.key = rng.Pick(keys);
  s.key_spelt_not_null = rng.Chance(0.5);
  std::vector<std::string> dedupe = {"", ""};
  for (const char* c : {"seq", "ts", "v", "g"}) {
    if (s.Has(c)) dedupe.push_back(c);
  }
  s.dedupe = rng.Pick(dedupe);
  DrawContract(rng, b.watermark, 0.3, &s);
  s.where = DrawSilverWhere(rng);
  return s;
}

std::string DrawGoldWhere(Rng& rng, const Silver& s) {
  std::vector<std::string> options = {"", ""};
  if (s.Has("n")) options.push_back("n > 0");
  if (s.Has("g")) options.push_back("g IS NOT NULL");
  if (s.Has("v")) options.push_back("v < 60");
  if (s.Has("h")) options.push_back("h <> 'x1'");
  if (s.Has("seq")) options.push_back("seq % 2 = 0");
  return rng.Pick(options);
}

// `silver` < 0: a silver table drawn.
Gold DrawGold(Rng& rng, const Shape& shape, int index, int silver = -1) {
  Gold g;
  g.name = "g" + std::to_string(index + 1);
  g.silver = silver >= 0 ? silver : rng.Int(0, static_cast<int>(shape.silver.size()) - 1);
  const Silver& s = shape.silver[g.silver];
  const Bronze& b = shape.bronze[s.bronze];
  g.lambda = rng.Chance(0.4);
  bool joined = false;  // no event-time window downstream of a join
  for (const Silver* t = &s; t != nullptr;
       t = t->source >= 0 ? &shape.silver[t->source] : nullptr) {
    joined = joined || t->join >= 0;
  }
  if (!joined && b.watermark && s.Has("ts") && rng.Chance(0.7)) {
    const int kind = rng.Int(0, 2);
    if (kind == 0) {
      g.window = "tumble";
      g.size = rng.Pick<std::string>({"15 minutes", "1 hour", "10 minutes"});
    } else if (kind == 1) {
      g.window = "session";
      g.size = rng.Pick<std::string>({"5 minutes", "20 minutes", "1 hour"});
    } else {
      g.window = "hop";
      const auto [size, slide, k] =
          rng.Pick<std::tuple<std::string, std::string, int>>({{"1 hour", "15 minutes", 4},
                                                               {"30 minutes", "10 minutes", 3},
                                                               {"20 minutes", "20 minutes", 1}});
      g.size = size;
      g.slide = slide;
      g.slides_per_window = k;
    }
  }
  for (const char* c : {"g", "h"}) {
    if (s.Has(c) && rng.Chance(0.5)) g.keys.push_back({c, c, c, "text"});
  }
  if (g.window.empty() && s.Has("ts") && rng.Chance(0.3)) {
    g.keys.push_back({"date_trunc('hour', ts)", "date_trunc('hour', ts)", "hr", "ts"});
  }
  if (g.window.empty() && s.Has("seq") && rng.Chance(0.15)) {
    g.keys.push_back({"seq > 50", "seq > 50", "big", "bool"});
  }
  if (g.keys.empty() && g.window.empty()) {
    const char* c = s.Has("g") ? "g" : s.Has("h") ? "h" : "id";
    g.keys.push_back({c, c, c, "text"});
  }
  std::vector<Item> aggs = {{"count(*)", "count(*)", "", "int"}};
  for (const auto& c : s.columns) {
    if (c.name != "id" || rng.Chance(0.3)) {
      aggs.push_back({"count(" + c.name + ")", "", "", "int"});
    }
    const std::string collate = c.type == "text" ? " COLLATE \"C\"" : "";
    const std::string kind = c.type == "bigint"      ? "int"
                             : c.type == "timestamp" ? "ts"
                             : c.type == "text"      ? "text"
                                                     : "dec";
    for (const char* f : {"min", "max"}) {
      aggs.push_back({std::string(f) + "(" + c.name + ")",
                      std::string(f) + "(" + c.name + collate + ")", "", kind});
    }
    if (c.type == "bigint" || c.type.rfind("numeric", 0) == 0) {
      aggs.push_back({"sum(" + c.name + ")", "", "", kind});
      aggs.push_back({"avg(" + c.name + ")", "round(avg(" + c.name + "), 6)", "", "avg"});
    }
    if (c.name == "g" || c.name == "h" || c.name == "n") {
      aggs.push_back({"count(DISTINCT " + c.name + ")", "", "", "int"});
    }
  }
  const int count = rng.Int(1, 4);
  for (int i = 0; i < count; ++i) {
    Item a = rng.Pick(aggs);
    if (a.pg.empty()) a.pg = a.strata;
    a.name = "a" + std::to_string(i + 1);
    g.aggs.push_back(a);
  }
  g.where = DrawGoldWhere(rng, s);
  return g;
}

// A second cleanup stage: silver.<index+1> reads silver table `source` and keeps its rows
// one for one (a filter and a projection, under its own contract). No dedupe_order; its
// primary key, if any, holds the source's key columns as they are (and maybe one more).
Silver DrawSecondStage(Rng& rng, const Shape& shape, int index, int source) {
  const Silver& from = shape.silver[source];
  Silver s;
  s.name = "s" + std::to_string(index + 1);
  s.bronze = from.bronze;
  s.source = source;
  const bool keyed = rng.Chance(0.8) && !from.key.empty();
  const bool watermark = shape.bronze[s.bronze].watermark;
  const std::map<std::string, std::vector<std::string>> exprs = {
      {"g", {"g", "lower(g)", "upper(g)", "coalesce(g, 'none')", "trim(g)"}},
      {"h", {"h", "substring(h, 1, 2)"}},
      {"n", {"n", "n + 1", "abs(n)", "coalesce(n, -1)"}},
      {"v", {"v", "round(v, 1)", "abs(v)", "coalesce(v, 0)"}},
      {"ts", {"ts", "date_trunc('minute', ts)"}},
      {"seq", {"seq"}},
  };
  for (const auto& c : from.columns) {
    const bool key = std::count(from.key.begin(), from.key.end(), c.name) > 0;
    if (c.name == "id" || (keyed && key) || (watermark && c.name == "ts")) {
      s.columns.push_back({c.name, c.type, c.name});  // as it is
    } else if (rng.Chance(0.75)) {
      s.columns.push_back({c.name, c.type, rng.Pick(exprs.at(c.name))});
    }
  }
  if (keyed) {
    s.key = from.key;
    std::vector<std::string> more = {"", ""};
    for (const auto& c : s.columns) {
      if (std::count(s.key.begin(), s.key.end(), c.name) == 0 && c.name != "ts") {
        more.push_back(c.name);
      }
    }
    const std::string extra = rng.Pick(more);
    if (!extra.empty()) s.key.push_back(extra);
  }
  s.key_spelt_not_null = rng.Chance(0.5);
  DrawContract(rng, watermark, 0.35, &s);
  // Over the source's columns.
  std::vector<std::string> where = {"", "", ""};
  if (from.Has("g")) where.insert(where.end(), {"g <> 'c'", "g IN ('a', 'b', 'c')"});
  if (from.Has("n")) where.insert(where.end(), {"n IS NOT NULL", "n BETWEEN -40 AND 80"});
  if (from.Has("h")) where.insert(where.end(), {"h LIKE 'x%'", "NOT (h = 'y1')"});
  if (from.Has("v")) where.push_back("v > 1.5");
  s.where = rng.Pick(where);
  return s;
}

// The columns of gold view `g` as a view reading it sees them: (name, kind).
std::vector<std::pair<std::string, std::string>> GoldColumns(const Gold& g) {
  std::vector<std::pair<std::string, std::string>> columns;
  if (!g.window.empty()) columns = {{"window_start", "ts"}, {"window_end", "ts"}};
  for (const auto& k : g.keys)
    columns.push_back({k.name, k.kind});
  for (const auto& a : g.aggs)
    columns.push_back({a.name, a.kind});
  return columns;
}

// A view of view `source` (which has a GROUP BY): grouped by some of its columns (or an
// expression of them), or one global aggregate; no window; served as its source is.
Gold DrawViewOfView(Rng& rng, const Shape& shape, int index, int source) {
  const Gold& from = shape.gold[source];
  Gold g;
  g.name = "g" + std::to_string(index + 1);
  g.source = source;
  g.lambda = from.lambda;
  const auto columns = GoldColumns(from);
  std::vector<Item> keys;
  for (const auto& [name, kind] : columns) {
    if (kind == "text" || kind == "bool" || kind == "ts") keys.push_back({name, name, name, kind});
    if (kind == "int") {
      keys.push_back({name, name, name, kind});
      keys.push_back({name + " > 1", name + " > 1", "", "bool"});
    }
    if (kind == "ts") {
      keys.push_back(
          {"date_trunc('hour', " + name + ")", "date_trunc('hour', " + name + ")", "", "ts"});
    }
  }
  if (!rng.Chance(0.2)) {  // else one global aggregate
    const int count = rng.Int(1, 2);
    for (int i = 0; i < count; ++i) {
      Item k = rng.Pick(keys);
      bool repeated = false;
      for (const auto& have : g.keys)
        repeated = repeated || have.strata == k.strata;
      if (repeated) continue;
      k.name = "k" + std::to_string(i + 1);  // not a name an aggregate takes
      g.keys.push_back(k);
    }
  }
  std::vector<Item> aggs = {{"count(*)", "count(*)", "", "int"}};
  for (const auto& [name, kind] : columns) {
    aggs.push_back({"count(" + name + ")", "count(" + name + ")", "", "int"});
    const std::string collate = kind == "text" ? " COLLATE \"C\"" : "";
    for (const char* f : {"min", "max"}) {
      if (kind == "bool") continue;  // PostgreSQL has no min(boolean)
      aggs.push_back({std::string(f) + "(" + name + ")",
                      std::string(f) + "(" + name + collate + ")", "", kind});
    }
    if (kind == "int" || kind == "dec") {
      aggs.push_back({"sum(" + name + ")", "sum(" + name + ")", "", kind});
      aggs.push_back({"avg(" + name + ")", "round(avg(" + name + "), 6)", "", "avg"});
    }
    if (kind == "avg") aggs.push_back({"sum(" + name + ")", "sum(" + name + ")", "", kind});
    if (kind == "text" || kind == "int") {
      aggs.push_back({"count(DISTINCT " + name + ")", "count(DISTINCT " + name + ")", "", "int"});
    }
  }
  const int count = rng.Int(1, 3);
  for (int i = 0; i < count; ++i) {
    Item a = rng.Pick(aggs);
    a.name = "a" + std::to_string(i + 1);
    g.aggs.push_back(a);
  }
  std::vector<std::string> where = {"", "", ""};
  for (const auto& [name, kind] : columns) {
    if (kind == "int") where.push_back(name + " > 1");
    if (kind == "text") where.push_back(name + " IS NOT NULL");
  }
  g.where = rng.Pick(where);
  return g;
}

// The graph shapes, drawn by their own generator after the first shape (whose draws, and
// the operations after them, stay those of the seed): sometimes a second silver stage
// (with a view of it), sometimes views of views.
void DrawGraph(Rng& rng, Shape* shape) {
  // One entity from two sources: a silver table fed by both bronze tables (not watermarked:
  // no windows over it). Their dedupe_order values differ (even from b1, odd from b2), so
  // which version wins never falls to the row bytes strata breaks full ties with.
  const auto& b = shape->bronze;
  if (b.size() == 2 && !b[0].watermark && !b[1].watermark && rng.Chance(0.8)) {
    const int index = static_cast<int>(shape->silver.size());
    Silver s = DrawSilver(rng, *shape, index);
    s.bronze = 0;
    s.bronze2 = 1;
    s.where2 = DrawSilverWhere(rng);
    if (!s.Has("seq")) s.columns.push_back({"seq", "bigint", ""});
    for (auto& c : s.columns) {
      c.expr2 = c.expr;
      if (c.name == "seq") {
        c.expr = "coalesce(seq, -1) * 2";
        c.expr2 = "coalesce(seq, -1) * 2 + 1";
      }
    }
    s.dedupe = "seq";
    shape->silver.push_back(s);
    if (rng.Chance(0.7)) {
      shape->gold.push_back(DrawGold(rng, *shape, static_cast<int>(shape->gold.size()), index));
    }
  }
  if (rng.Chance(0.35)) {
    const int stages = rng.Chance(0.25) ? 2 : 1;
    for (int i = 0; i < stages; ++i) {
      const int index = static_cast<int>(shape->silver.size());
      shape->silver.push_back(DrawSecondStage(rng, *shape, index, rng.Int(0, index - 1)));
      if (rng.Chance(0.7)) {
        shape->gold.push_back(DrawGold(rng, *shape, static_cast<int>(shape->gold.size()), index));
      }
    }
  }
  if (rng.Chance(0.4)) {
    const int views = rng.Chance(0.3) ? 2 : 1;
    for (int i = 0; i < views; ++i) {
      std::vector<int> grouped;
      for (size_t j = 0; j < shape->gold.size(); ++j) {
        if (!shape->gold[j].keys.empty() || !shape->gold[j].window.empty()) {
          grouped.push_back(static_cast<int>(j));
        }
      }
      const int index = static_cast<int>(shape->gold.size());
      shape->gold.push_back(DrawViewOfView(rng, *shape, index, rng.Pick(grouped)));
    }
  }
}

// A join of silver tables `a` and `b`: its type, and ON: a column both have (id, g or n,
// whose values repeat on both sides; NULLs never match), sometimes with a residual.
void DrawJoinOn(Rng& rng, const Silver& a, const Silver& b, std::string* type, std::string* on) {
  *type = rng.Pick<std::string>({"JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"});
  std::vector<std::string> keys;
  for (const auto& c : a.columns) {
    const SilverColumn* other = b.Column(c.name);
    if (other != nullptr && other->type == c.type &&
        (c.name == "id" || c.name == "g" || c.name == "n")) {
      keys.push_back(c.name);
    }
  }
  const std::string k = rng.Pick(keys);  // id is always there
  *on = "a." + k + " = b." + k;
  std::vector<std::string> residual = {"", ""};
  if (a.Has("n") && b.Has("n")) residual.push_back("a.n <= b.n");
  if (a.Has("v") && b.Has("v")) residual.push_back("a.v < b.v + 10");
  if (b.Has("seq")) residual.push_back("b.seq > 20");
  const std::string extra = rng.Pick(residual);
  if (!extra.empty()) *on += " AND " + extra;
}

// A silver table fed by a join of two earlier silver tables (or one with itself), drawn by
// the joins' generator: id from the side a row always has, other columns from either side
// that has them, a contract, a WHERE over either side (some conditions run before the join,
// some cannot: README, "Joins").
Silver DrawSilverJoin(Rng& rng, const Shape& shape, int index) {
  Silver s;
  s.name = "s" + std::to_string(index + 1);
  s.source = rng.Int(0, index - 1);
  s.join = rng.Int(0, index - 1);
  s.bronze = shape.silver[s.source].bronze;
  const Silver& a = shape.silver[s.source];
  const Silver& b = shape.silver[s.join];
  DrawJoinOn(rng, a, b, &s.join_type, &s.on);
  const std::string id = s.join_type == "RIGHT JOIN"  ? "b.id"
                         : s.join_type == "FULL JOIN" ? "coalesce(a.id, b.id)"
                                                      : "a.id";
  s.columns.push_back({"id", "text", id});
  for (const char* name : {"g", "h", "n", "v", "ts", "seq"}) {
    std::vector<std::pair<std::string, const SilverColumn*>> sides;
    if (const SilverColumn* c = a.Column(name)) sides.emplace_back("a", c);
    if (const SilverColumn* c = b.Column(name)) sides.emplace_back("b", c);
    if (sides.empty() || !rng.Chance(0.75)) continue;
    const auto& [side, column] = rng.Pick(sides);
    s.columns.push_back({name, column->type, side + "." + name});
  }
  DrawContract(rng, false, 0.35, &s);
  std::vector<std::string> where = {"", ""};
  if (a.Has("n")) where.push_back("a.n > 0");
  if (a.Has("g")) where.push_back("a.g <> 'c'");
  if (b.Has("g")) where.push_back("b.g IS NOT NULL");
  if (b.Has("v")) where.push_back("b.v > 1.5");
  if (a.Has("n") && b.Has("n")) where.push_back("a.n + b.n > 0");
  s.where = rng.Pick(where);
  return s;
}

// Views over joins, drawn by their own generator after the graph shapes: two silver tables
// (or one with itself) joined INNER, LEFT, RIGHT or FULL on a column both have (id, g or n,
// whose values repeat on both sides; NULLs never match), sometimes with a residual
// condition; grouped by columns of either side, served by Kappa or Lambda.
void DrawJoins(Rng& rng, Shape* shape) {
  const int views = rng.Chance(0.5) ? (rng.Chance(0.3) ? 2 : 1) : 0;
  for (int v = 0; v < views; ++v) {
    Gold g;
    g.name = "g" + std::to_string(shape->gold.size() + 1);
    const int tables = static_cast<int>(shape->silver.size());
    g.silver = rng.Int(0, tables - 1);
    g.join = rng.Int(0, tables - 1);
    const Silver& a = shape->silver[g.silver];
    const Silver& b = shape->silver[g.join];
    DrawJoinOn(rng, a, b, &g.join_type, &g.on);
    g.lambda = rng.Chance(0.3);
    std::vector<Item> keys, aggs = {{"count(*)", "count(*)", "", "int"}};
    for (const auto& [side, table] : {std::pair("a", &a), std::pair("b", &b)}) {
      for (const auto& c : table->columns) {
        const std::string name = std::string(side) + "." + c.name;
        const std::string kind = c.type == "bigint"      ? "int"
                                 : c.type == "timestamp" ? "ts"
                                 : c.type == "text"      ? "text"
                                                         : "dec";
        if (kind == "text" || kind == "int") keys.push_back({name, name, "", kind});
        aggs.push_back({"count(" + name + ")", "count(" + name + ")", "", "int"});
        const std::string collate = kind == "text" ? " COLLATE \"C\"" : "";
        for (const char* f : {"min", "max"}) {
          aggs.push_back({std::string(f) + "(" + name + ")",
                          std::string(f) + "(" + name + collate + ")", "", kind});
        }
        if (kind == "int" || kind == "dec") {
          aggs.push_back({"sum(" + name + ")", "sum(" + name + ")", "", kind});
        }
        if (kind == "text") {
          aggs.push_back(
              {"count(DISTINCT " + name + ")", "count(DISTINCT " + name + ")", "", "int"});
        }
      }
    }
    const int key_count = rng.Int(1, 2);
    for (int i = 0; i < key_count; ++i) {
      Item key = rng.Pick(keys);
      bool repeated = false;
      for (const auto& have : g.keys)
        repeated = repeated || have.strata == key.strata;
      if (repeated) continue;
      key.name = "k" + std::to_string(i + 1);
      g.keys.push_back(key);
    }
    const int agg_count = rng.Int(1, 3);
    for (int i = 0; i < agg_count; ++i) {
      Item agg = rng.Pick(aggs);
      agg.name = "a" + std::to_string(i + 1);
      g.aggs.push_back(agg);
    }
    std::vector<std::string> where = {"", ""};
    if (a.Has("n")) where.push_back("a.n > 0");
    if (b.Has("g")) where.push_back("b.g IS NOT NULL");
    if (b.Has("id")) where.push_back("b.id IS NULL");
    g.where = rng.Pick(where);
    shape->gold.push_back(g);
  }
  // Then, sometimes, a silver table fed by a join, and views of it.
  if (rng.Chance(0.4)) {
    const int index = static_cast<int>(shape->silver.size());
    shape->silver.push_back(DrawSilverJoin(rng, *shape, index));
    const int views = rng.Int(1, 2);
    for (int i = 0; i < views; ++i) {
      shape->gold.push_back(DrawGold(rng, *shape, static_cast<int>(shape->gold.size()), index));
    }
  }
}

Shape DrawShape(Rng& rng) {
  Shape shape;
  const int bronze = rng.Int(1, 2);
  for (int i = 0; i < bronze; ++i) {
    Bronze b;
    b.name = "b" + std::to_string(i + 1);
    b.partitions = rng.Int(1, 4);
    b.watermark = rng.Chance(0.4);
    b.keys = rng.Pick<int>({3, 6, 12, 30});
    shape.bronze.push_back(b);
  }
  const int silver = rng.Int(1, 3);
  for (int i = 0; i < silver; ++i)
    shape.silver.push_back(DrawSilver(rng, shape, i));
  const int gold = rng.Int(1, 3);
  for (int i = 0; i < gold; ++i)
    shape.gold.push_back(DrawGold(rng, shape, i));
  return shape;
}

// ---------------------------------------------------------------------------------------
// The pipeline as strata reads it.

std::string BronzeSql(const Bronze& b) {
  std::vector<std::string> columns;
  for (const auto& c : kBronzeColumns)
    columns.push_back(std::string(c.name) + " " + c.type);
  return "CREATE TABLE bronze." + b.name + " (" + Join(columns, ", ") +
         ")\nWITH (layer = 'bronze', partitions = " + std::to_string(b.partitions) +
         ", key = 'id'" + (b.watermark ? ", watermark = 'ts'" : "") + ");\n";
}

std::string SilverSql(const Shape& shape, const Silver& s) {
  std::vector<std::string> defs, exprs;
  for (const auto& c : s.columns) {
    std::string def = c.name + " " + c.type;
    const bool key = std::count(s.key.begin(), s.key.end(), c.name) > 0;
    if (s.Required(c.name) && (!key || s.key_spelt_not_null)) {
      def += " NOT NULL";
    }
    for (size_t i = 0; i < s.checks.size(); ++i) {
      if (!s.named[i] && s.checks[i].rfind(c.name + " ", 0) == 0) {
        def += " CHECK (" + s.checks[i] + ")";
      }
    }
    defs.push_back(def);
    exprs.push_back(c.expr);
  }
  for (size_t i = 0; i < s.checks.size(); ++i) {
    if (s.named[i])
      defs.push_back("CONSTRAINT c" + std::to_string(i) + " CHECK (" + s.checks[i] + ")");
  }
  if (!s.key.empty()) defs.push_back("PRIMARY KEY (" + Join(s.key, ", ") + ")");
  std::string with =
      "layer = 'silver', on_violation = '" + std::string(s.drop ? "drop" : "quarantine") + "'";
  if (!s.dedupe.empty()) with += ", dedupe_order = '" + s.dedupe + "'";
  std::string from = s.source >= 0 ? "silver." + shape.silver[s.source].name
                                   : "bronze." + shape.bronze[s.bronze].name;
  if (s.join >= 0) {
    from += " a " + s.join_type + " silver." + shape.silver[s.join].name + " b ON " + s.on;
  }
  std::string second;
  if (s.bronze2 >= 0) {
    std::vector<std::string> exprs2;
    for (const auto& c : s.columns)
      exprs2.push_back(c.expr2);
    second = "INSERT INTO silver." + s.name + " SELECT " + Join(exprs2, ", ") + " FROM bronze." +
             shape.bronze[s.bronze2].name + (s.where2.empty() ? "" : " WHERE " + s.where2) + ";\n";
  }
  return "CREATE TABLE silver." + s.name + " (\n  " + Join(defs, ",\n  ") + "\n) WITH (" + with +
         ");\nINSERT INTO silver." + s.name + " SELECT " + Join(exprs, ", ") + " FROM " + from +
         (s.where.empty() ? "" : " WHERE " + s.where) + ";\n" + second;
}

std::string GoldSql(const Shape& shape, const Gold& g) {
  std::vector<std::string> items, group;
  if (!g.window.empty()) {
    items = {"window_start", "window_end"};
    group.push_back(g.window == "hop" ? "hop(ts, '" + g.size + "', '" + g.slide + "')"
                                      : g.window + "(ts, '" + g.size + "')");
  }
  for (const auto& k : g.keys) {
    items.push_back(k.strata + (k.strata == k.name ? "" : " AS " + k.name));
    group.push_back(g.window.empty() ? std::to_string(items.size()) : k.strata);
  }
  for (const auto& a : g.aggs)
    items.push_back(a.strata + " AS " + a.name);
  std::string with = g.lambda ? "serving = 'lambda', batch_every = '1 hour'" : "serving = 'kappa'";
  if (!g.window.empty()) with += ", allowed_lateness = '3650 days'";
  std::string from =
      g.source >= 0 ? "gold." + shape.gold[g.source].name : "silver." + shape.silver[g.silver].name;
  if (g.join >= 0) {
    from += " a " + g.join_type + " silver." + shape.silver[g.join].name + " b ON " + g.on;
  }
  return "CREATE MATERIALIZED VIEW gold." + g.name + " WITH (" + with + ") AS\nSELECT " +
         Join(items, ", ") + "\nFROM " + from + (g.where.empty() ? "" : " WHERE " + g.where) +
         (group.empty() ? "" : " GROUP BY " + Join(group, ", ")) + ";\n";
}

std::string PipelineSql(const Shape& shape) {
  std::string sql;
  for (const auto& b : shape.bronze)
    sql += BronzeSql(b) + "\n";
  for (const auto& s : shape.silver)
    sql += SilverSql(shape, s) + "\n";
  for (const auto& g : shape.gold)
    sql += GoldSql(shape, g) + "\n";
  return sql;
}

// ---------------------------------------------------------------------------------------
// The same pipeline as PostgreSQL computes it (written from the shape, not from strata's
// plan). Bronze records are rows (p, o, payload) of <bronze>_raw.

std::string PgBronzeSql(const Bronze& b) {
  std::vector<std::string> typed, columns;
  for (const auto& c : kBronzeColumns) {
    typed.push_back("coalesce(jsonb_typeof(j->'" + std::string(c.name) + "'), 'null') IN ('" +
                    c.json + "', 'null')");
    columns.push_back("CASE WHEN ok THEN CAST(j->>'" + std::string(c.name) + "' AS " + c.type +
                      ") END AS " + c.name);
  }
  return "CREATE TABLE " + b.name + "_raw (p int, o bigint, payload text);\n" +  //
         "CREATE VIEW " + b.name + "_dec AS SELECT p, o, ok, " + Join(columns, ", ") +
         " FROM (SELECT p, o, j, coalesce(jsonb_typeof(j) = 'object' AND " + Join(typed, " AND ") +
         ", false) AS ok FROM (SELECT p, o, strata_try_jsonb(payload) AS j FROM " + b.name +
         "_raw) r0) r;\n";
}

// The rows of silver `s` that pass WHERE, projected and typed as declared, with _p, _o and
// whether every constraint holds (_pass).
std::string PgSilverRows(const Shape& shape, const Silver& s) {
  std::vector<std::string> columns, pass = {"true"};
  for (const auto& c : s.columns)
    columns.push_back("CAST(" + c.expr + " AS " + c.type + ") AS " + c.name);
  for (const auto& c : s.columns) {
    if (s.Required(c.name)) pass.push_back(c.name + " IS NOT NULL");
  }
  for (const auto& c : s.checks)
    pass.push_back("(" + c + ") IS NOT FALSE");
  if (s.bronze2 >= 0) {  // both inputs' rows, each with its bronze table (_src)
    std::vector<std::string> inputs;
    for (int i = 0; i < 2; ++i) {
      std::vector<std::string> projected;
      for (const auto& c : s.columns)
        projected.push_back("CAST(" + (i ? c.expr2 : c.expr) + " AS " + c.type + ") AS " + c.name);
      const std::string& bronze = shape.bronze[i ? s.bronze2 : s.bronze].name;
      const std::string& where = i ? s.where2 : s.where;
      inputs.push_back("SELECT " + Join(projected, ", ") + ", p AS _p, o AS _o, 'bronze." + bronze +
                       "' AS _src FROM " + bronze + "_dec WHERE ok" +
                       (where.empty() ? "" : " AND (" + where + ")"));
    }
    return "SELECT *, (" + Join(pass, " AND ") + ") AS _pass FROM (" + Join(inputs, " UNION ALL ") +
           ") x";
  }
  // A second stage reads its source's rows (no log positions: see PgSecondStageQuarantine).
  const std::string joined =
      s.join >= 0 ? " a " + s.join_type + " " + shape.silver[s.join].name + " b ON " + s.on : "";
  const std::string from =
      s.source >= 0
          ? ", 0 AS _p, 0 AS _o FROM " + shape.silver[s.source].name + joined + " WHERE true"
          : ", p AS _p, o AS _o FROM " + shape.bronze[s.bronze].name + "_dec WHERE ok";
  return "SELECT *, (" + Join(pass, " AND ") + ") AS _pass FROM (SELECT " + Join(columns, ", ") +
         from + (s.where.empty() ? "" : " AND (" + s.where + ")") + ") x";
}

std::string PgSilverSql(const Shape& shape, const Silver& s) {
  std::vector<std::string> names;
  for (const auto& c : s.columns)
    names.push_back(c.name);
  // Text compares bytewise in strata.
  std::string order = Join(s.key, ", ");
  if (!s.dedupe.empty()) {
    order += ", " + s.dedupe + (s.dedupe == "g" ? " COLLATE \"C\"" : "") + " DESC NULLS LAST";
  }
  order += ", _p DESC, _o DESC";
  const std::string rows = PgSilverRows(shape, s);
  if (s.source >= 0) {  // one for one: no dedupe
    return "CREATE VIEW " + s.name + "_rows AS " + rows + ";\nCREATE VIEW " + s.name +
           " AS SELECT " + Join(names, ", ") + " FROM " + s.name + "_rows WHERE _pass;\n";
  }
  return "CREATE VIEW " + s.name + "_rows AS " + rows + ";\nCREATE VIEW " + s.name + " AS SELECT " +
         Join(names, ", ") + " FROM (SELECT DISTINCT ON (" + Join(s.key, ", ") + ") * FROM " +
         s.name + "_rows WHERE _pass ORDER BY " + order + ") y;\n";
}

// The first constraint a row of silver `s` breaks, as a CASE over its columns: NOT NULL in
// column order, then CHECKs: a column's in column order, then the table's.
std::string BrokenConstraint(const Silver& s) {
  std::string broken = "CASE";
  for (const auto& c : s.columns) {
    if (s.Required(c.name)) {
      broken += " WHEN " + c.name + " IS NULL THEN '" + s.name + "_" + c.name + "_not_null'";
    }
  }
  for (bool named : {false, true}) {
    for (const auto& c : s.columns) {
      for (size_t i = 0; i < s.checks.size(); ++i) {
        if (s.named[i] != named) continue;
        if (!named && s.checks[i].rfind(c.name + " ", 0) != 0) continue;
        if (named && c.name != "id") continue;  // once, in declaration order
        broken += " WHEN (" + s.checks[i] + ") IS FALSE THEN '" +
                  (named ? "c" + std::to_string(i) : s.name + "_" + c.name + "_check") + "'";
      }
    }
  }
  return broken == "CASE" ? "NULL::text" : broken + " END";  // no constraint: none broken
}

// The (partition, offset, constraint_name) of each record silver `s` quarantines: those
// that do not decode (under every on_violation: a payload that is not a row is never
// dropped silently), named after the first column whose value has the wrong type, or
// "payload"; and, under quarantine, those that pass WHERE but break a constraint, named
// after the first broken one (NOT NULL in column order, then CHECKs: a column's in column
// order, then the table's).
std::string PgQuarantineQuery(const Shape& shape, const Silver& s, int input = 0);

// Fed by two bronze tables: (source_table, partition, offset, constraint_name).
std::string PgTwoSourceQuarantine(const Shape& shape, const Silver& s) {
  std::string sql;
  for (int i = 0; i < 2; ++i) {
    const std::string bronze = shape.bronze[i ? s.bronze2 : s.bronze].name;
    Silver decode_only = s;
    decode_only.drop = true;
    sql += "SELECT 'bronze." + bronze + "', q.* FROM (" + PgQuarantineQuery(shape, decode_only, i) +
           ") q UNION ALL ";
  }
  if (s.drop) return sql + "SELECT NULL, NULL, NULL, NULL WHERE false";
  return sql + "SELECT _src, _p, _o, " + BrokenConstraint(s) + " FROM " + s.name +
         "_rows WHERE NOT _pass";
}

// `input` 1: the records of the second INSERT's bronze table (which do not decode).
std::string PgQuarantineQuery(const Shape& shape, const Silver& s, int input) {
  const std::string bronze = shape.bronze[input ? s.bronze2 : s.bronze].name;
  std::string field = "CASE";
  for (const auto& c : kBronzeColumns) {
    field += std::string(" WHEN coalesce(jsonb_typeof(j->'") + c.name + "'), 'null') NOT IN ('" +
             c.json + "', 'null') THEN '" + c.name + "'";
  }
  field += " ELSE 'payload' END";
  std::string sql = "SELECT p, o, " + field +
                    " FROM (SELECT p, strata_try_jsonb(payload) AS j, o FROM " + bronze +
                    "_raw) r WHERE (SELECT NOT ok FROM " + bronze +
                    "_dec d WHERE d.p = r.p AND d.o = r.o)";
  if (s.drop) return sql;
  return sql + " UNION ALL SELECT _p, _o, " + BrokenConstraint(s) + " FROM " + s.name +
         "_rows WHERE NOT _pass";
}

// The quarantine of a second stage: its source's rows that break its contract now (under
// quarantine), as (source_table, constraint_name, payload: the row as JSON, as strata
// prints it). Their (partition, offset) are not compared: see the header.
std::string PgSecondStageQuarantine(const Shape& shape, const Silver& s) {
  if (s.drop) return "SELECT NULL, NULL, NULL WHERE false";
  std::vector<std::string> fields;
  for (const auto& c : s.columns) {
    const std::string value = c.type == "text" || c.type == "timestamp"
                                  ? "to_json(" + c.name + "::text)::text"
                                  : c.name + "::text";
    fields.push_back("'\"" + c.name + "\": ' || coalesce(" + value + ", 'null')");
  }
  const std::string source =
      "silver." + shape.silver[s.source].name +
      (s.join >= 0 ? " JOIN silver." + shape.silver[s.join].name : std::string());
  return "SELECT '" + source + "', " + BrokenConstraint(s) + ", '{' || " +
         Join(fields, " || ', ' || ") + " || '}' FROM " + s.name + "_rows WHERE NOT _pass";
}

// Sessions per group: ordered by ts, a row at least the gap after the one before it starts a
// new session (_sid); a session's window is [first, last + gap).
std::string PgSessionQuery(const Shape& shape, const Gold& g) {
  std::vector<std::string> keys, items = {"min(ts)", "max(ts) + INTERVAL '" + g.size + "'"};
  for (const auto& k : g.keys) {
    keys.push_back(k.pg);
    items.push_back(k.pg);
  }
  for (const auto& a : g.aggs)
    items.push_back(a.pg);
  const std::string over =
      (keys.empty() ? "" : "PARTITION BY " + Join(keys, ", ") + " ") + "ORDER BY ts";
  keys.push_back("_sid");
  return "SELECT " + Join(items, ", ") + " FROM (SELECT *, sum(_new) OVER (" + over +
         " ROWS UNBOUNDED PRECEDING) AS _sid FROM (SELECT *, CASE WHEN ts - lag(ts) OVER (" + over +
         ") < INTERVAL '" + g.size + "' THEN 0 ELSE 1 END AS _new FROM " +
         shape.silver[g.silver].name + (g.where.empty() ? "" : " WHERE " + g.where) +
         ") r) r2 GROUP BY " + Join(keys, ", ");
}

std::string PgGoldQuery(const Shape& shape, const Gold& g) {
  std::vector<std::string> items, group;
  std::string from = shape.silver[g.silver].name;
  if (g.join >= 0) from += " a " + g.join_type + " " + shape.silver[g.join].name + " b ON " + g.on;
  if (g.source >= 0) {  // its SQL over its source's answer
    std::vector<std::string> names;
    for (const auto& [name, kind] : GoldColumns(shape.gold[g.source]))
      names.push_back(name);
    from = "(" + PgGoldQuery(shape, shape.gold[g.source]) + ") AS _src(" + Join(names, ", ") + ")";
  }
  if (g.window == "tumble") {
    const std::string start = "date_bin(INTERVAL '" + g.size + "', ts, TIMESTAMP '1970-01-01')";
    items = {start, start + " + INTERVAL '" + g.size + "'"};
  } else if (g.window == "hop") {
    const std::string start = "date_bin(INTERVAL '" + g.slide +
                              "', ts, TIMESTAMP '1970-01-01') - hk.i * INTERVAL '" + g.slide + "'";
    items = {start, start + " + INTERVAL '" + g.size + "'"};
    from +=
        " CROSS JOIN generate_series(0, " + std::to_string(g.slides_per_window - 1) + ") AS hk(i)";
  }
  if (g.window == "session") return PgSessionQuery(shape, g);
  for (const auto& k : g.keys)
    items.push_back(k.pg);
  for (size_t i = 1; i <= items.size(); ++i)
    group.push_back(std::to_string(i));
  for (const auto& a : g.aggs)
    items.push_back(a.pg);
  return "SELECT " + Join(items, ", ") + " FROM " + from +
         (g.where.empty() ? "" : " WHERE " + g.where) +
         (group.empty() ? "" : " GROUP BY " + Join(group, ", "));
}

// ---------------------------------------------------------------------------------------
// Random JSON lines.

std::string Quote(const std::string& s) {
  return "\"" + s + "\"";
}

std::string DrawLine(Rng& rng, const Bronze& b) {
  if (rng.Chance(0.02))
    return "{\"id\": \"k" + std::to_string(rng.Int(0, b.keys - 1)) + "\", \"n\": ";
  std::vector<std::string> fields;
  // At most one value of the wrong type per line: a string where a number is declared, a
  // number where a string is (which of two such fields strata names is its own choice).
  const int wrong = rng.Chance(0.05) ? rng.Int(0, 2) : -1;
  auto field = [&](const char* name, double missing, double null, const std::string& value) {
    if (rng.Chance(missing)) return;
    fields.push_back(Quote(name) + ": " + (rng.Chance(null) ? "null" : value));
  };
  field("id", 0.02, 0.01, Quote("k" + std::to_string(rng.Int(0, b.keys - 1))));
  field("g", 0.05, 0.08,
        wrong == 2 ? "3" : Quote(rng.Pick<std::string>({"a", "b", "c", "d", "e", "A", " b "})));
  field("h", 0.05, 0.08, Quote(rng.Pick<std::string>({"x1", "x2", "y1", "y2", "xyz"})));
  field("n", 0.05, 0.08, wrong == 0 ? Quote("5") : std::to_string(rng.Int(-60, 100)));
  const int cents = rng.Int(-500, 10000);
  std::string v = std::to_string(cents / 100) + "." + std::to_string(std::abs(cents) % 100 / 10) +
                  std::to_string(std::abs(cents) % 10);
  if (cents < 0 && cents > -100) v = "-" + v;
  if (rng.Chance(0.1)) v += "5";  // a third decimal: rounded half away from zero
  field("v", 0.05, 0.08, v);
  const int second = rng.Int(0, 6 * 3600 - 1);
  char ts[64];
  std::snprintf(ts, sizeof(ts),
                rng.Chance(0.5) ? "2026-01-01 %02d:%02d:%02d%s" : "2026-01-01T%02d:%02d:%02d%sZ",
                second / 3600, second / 60 % 60, second % 60, rng.Chance(0.1) ? ".5" : "");
  field("ts", 0.03, 0.03, wrong == 1 ? "17" : Quote(ts));
  field("seq", 0.05, 0.05, std::to_string(rng.Int(0, 100)));
  if (rng.Chance(0.1)) fields.push_back("\"extra\": [1, {\"x\": true}]");
  std::shuffle(fields.begin(), fields.end(), std::mt19937_64(rng.Int(0, 1 << 30)));
  return "{" + Join(fields, ", ") + "}";
}

// ---------------------------------------------------------------------------------------
// One drawn case.

Rows PgRows(connect::PgConnection* pg, const std::string& sql, Status* status) {
  Rows rows;
  auto r = pg->Exec(sql, "judge query");
  if (!r.ok()) {
    *status = r.status();
    return rows;
  }
  for (int i = 0; i < r->rows(); ++i) {
    std::vector<std::string>& row = rows.emplace_back();
    for (int c = 0; c < r->columns(); ++c)
      row.push_back(r->IsNull(i, c) ? "NULL" : std::string(r->Value(i, c)));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::string Show(const Rows& rows) {
  std::string out;
  for (size_t i = 0; i < rows.size() && i < 30; ++i)
    out += "    " + Join(rows[i], " | ") + "\n";
  if (rows.size() > 30) out += "    ... (" + std::to_string(rows.size()) + " rows)\n";
  return rows.empty() ? "    (no rows)\n" : out;
}

// What the judged cases checked, for the summary line.
struct Stats {
  uint64_t answers = 0, rows = 0;
  // Cases that drew each.
  size_t second_stages = 0, views_of_views = 0, two_sources = 0, joins = 0, silver_joins = 0;
};

// The first shape of a seed, then its graph shapes (DrawGraph) from a generator of their own.
Shape DrawShapes(Rng& rng, uint64_t seed) {
  Shape shape = DrawShape(rng);
  shape.graph_gold = shape.gold.size();
  Rng graph(seed ^ 0x9e3779b97f4a7c15ULL);
  DrawGraph(graph, &shape);
  shape.join_gold = shape.gold.size();
  Rng joins(seed ^ 0x5851f42d4c957f2dULL);
  DrawJoins(joins, &shape);
  return shape;
}

class RandomCase {
 public:
  RandomCase(uint64_t seed, connect::PgConnection* pg, Stats* stats)
      : seed_(seed),
        rng_(seed),
        pg_(pg),
        stats_(*stats),
        shape_(DrawShapes(rng_, seed)),
        original_(shape_),
        sql_(PipelineSql(shape_)),
        harness_("pipeline.sql", rng_.Pick<size_t>({1, 7, 1024})) {}

  void Run() {
    if (std::getenv("STRATA_PG_RANDOM_PRINT") != nullptr) {
      std::printf("seed %llu:\n%s\n", static_cast<unsigned long long>(seed_), sql_.c_str());
    }
    bool second_stage = false, view_of_view = false, two_sources = false;
    bool silver_join = false;
    for (const auto& s : shape_.silver) {
      silver_join = silver_join || s.join >= 0;
      second_stage = second_stage || (s.source >= 0 && s.join < 0);
      two_sources = two_sources || s.bronze2 >= 0;
    }
    bool join = false;
    for (const auto& g : shape_.gold) {
      view_of_view = view_of_view || g.source >= 0;
      join = join || g.join >= 0;
    }
    stats_.joins += join;
    stats_.silver_joins += silver_join;
    stats_.second_stages += second_stage;
    stats_.views_of_views += view_of_view;
    stats_.two_sources += two_sources;
    ASSERT_NO_FATAL_FAILURE(SetUpJudge());
    Status s = harness_.Open(sql_);
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << Context();
    ingested_.assign(shape_.bronze.size(), 0);
    const int steps = rng_.Int(6, 18);
    for (int i = 0; i < steps; ++i) {
      ASSERT_NO_FATAL_FAILURE(Step());
      ASSERT_NO_FATAL_FAILURE(CheckIfCaughtUp());
    }
    history_.push_back("run");
    s = harness_.CatchUp();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << Context();
    ASSERT_NO_FATAL_FAILURE(CheckIfCaughtUp());
    if (std::getenv("STRATA_PG_RANDOM_PRINT") != nullptr) {
      std::printf("steps: %s\n", Join(history_, "; ").c_str());
    }
  }

 private:
  std::string Context() const {
    return "To repeat: " + testing::SeedTrace(seed_) + "\nPipeline:\n" + sql_ +
           "Steps: " + Join(history_, "; ") + "\n";
  }

  void SetUpJudge() {
    std::string sql =
        "DROP SCHEMA IF EXISTS judge CASCADE; CREATE SCHEMA judge; "
        "SET search_path TO judge, public;\n";
    for (const auto& b : shape_.bronze)
      sql += PgBronzeSql(b);
    for (const auto& s : shape_.silver)
      sql += PgSilverSql(shape_, s);
    auto r = pg_->Exec(sql, "creating the judge's tables");
    ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << sql << "\n" << Context();
    loaded_.clear();
  }

  void Step() {
    const int dice = rng_.Int(0, 99);
    Status s;
    if (dice < 35) {
      const int b = rng_.Int(0, static_cast<int>(shape_.bronze.size()) - 1);
      std::vector<std::string> lines;
      const int n = rng_.Chance(0.1) ? rng_.Int(100, 300) : rng_.Int(1, 25);
      for (int i = 0; i < n; ++i)
        lines.push_back(DrawLine(rng_, shape_.bronze[b]));
      history_.push_back("ingest " + std::to_string(n) + " lines into bronze." +
                         shape_.bronze[b].name);
      ASSERT_OK_AND_ASSIGN(log::Table * table,
                           harness_.store()->GetTable("bronze." + shape_.bronze[b].name));
      ASSERT_NO_FATAL_FAILURE(runtime::Ingest(table, lines));
      ingested_[b] += n;
      batch_current_ = false;
      return;
    }
    if (dice < 58) {
      history_.push_back("run");
      s = harness_.CatchUp();
    } else if (dice < 70) {
      history_.push_back("batch");
      s = harness_.engine()->RunBatch().status();
      batch_current_ = s.ok();
    } else if (dice < 79) {
      history_.push_back("restart");
      s = harness_.Restart(true);
      checkpointed_ = true;
    } else if (dice < 88) {
      const bool torn = rng_.Chance(0.5);
      history_.push_back(torn ? "crash (unsynced bytes torn)" : "crash");
      s = torn ? harness_.Crash(rng_.Int(0, 1 << 30)) : harness_.Crash();
      batch_current_ = false;  // the batch view restored may be an older one
    } else if (dice < 92) {
      history_.push_back("restart recomputing from bronze");
      s = harness_.Restart(false);
      checkpointed_ = false;
      batch_current_ = false;
    } else {
      ASSERT_NO_FATAL_FAILURE(ReplayAndCutover());
      return;
    }
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << Context();
  }

  // A Kappa view changes lanes: a replay into a new lane (of the pipeline with a new filter
  // for the view, or of the pipeline itself from the newest checkpoint), then a cutover to
  // it; or a rollback to the lane that served before the last cutover.
  void ReplayAndCutover() {
    std::vector<int> kappa, undoable;
    for (size_t i = 0; i < shape_.gold.size(); ++i) {
      // A view of a view is replayed, cut over and rolled back with the first view of its
      // chain.
      if (!shape_.gold[i].lambda && shape_.gold[i].source < 0) kappa.push_back(static_cast<int>(i));
      if (before_cutover_.count(i)) undoable.push_back(static_cast<int>(i));
    }
    if (kappa.empty()) return;
    if (!undoable.empty() && rng_.Chance(0.25)) {
      const int i = rng_.Pick(undoable);
      history_.push_back("rollback gold." + shape_.gold[i].name);
      auto r = harness_.engine()->Rollback("gold." + shape_.gold[i].name);
      ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << Context();
      shape_.gold[i] = before_cutover_[i];
      before_cutover_.erase(i);
      return;
    }
    const int i = rng_.Pick(kappa);
    Gold& view = shape_.gold[i];
    const std::string lane = "r" + std::to_string(++replays_);
    ReplayOptions options;
    options.name = lane;
    options.sql_name = lane + ".sql";
    Gold fixed = view;
    if (checkpointed_ && rng_.Chance(0.3)) {
      fixed = original_.gold[i];
      options.sql_text = sql_;
      options.from_checkpoint = "latest";
    } else {
      Shape changed = shape_;
      fixed.where = DrawGoldWhere(rng_, shape_.silver[view.silver]);
      if (view.join >= 0 && !fixed.where.empty()) fixed.where = "a." + fixed.where;
      changed.gold[i] = fixed;
      options.sql_text = PipelineSql(changed);
    }
    history_.push_back("run");
    Status s = harness_.CatchUp();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << Context();
    history_.push_back("replay gold." + view.name + " as " + lane +
                       (options.from_checkpoint ? " from the latest checkpoint"
                                                : " with WHERE '" + fixed.where + "'") +
                       ", cutover");
    auto r = harness_.engine()->Replay("gold." + view.name, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << Context();
    ASSERT_TRUE(r->finished) << Context();
    auto c = harness_.engine()->Cutover("gold." + view.name, lane);
    ASSERT_TRUE(c.ok()) << c.status().ToString() << "\n" << Context();
    before_cutover_[i] = view;
    view = fixed;
  }

  // Loads what bronze holds beyond what the judge has, and checks that nothing
  // acknowledged went missing.
  void LoadBronze() {
    for (size_t b = 0; b < shape_.bronze.size(); ++b) {
      ASSERT_OK_AND_ASSIGN(log::Table * table,
                           harness_.store()->GetTable("bronze." + shape_.bronze[b].name));
      uint64_t total = 0;
      std::vector<std::string> values;
      for (uint32_t p = 0; p < table->partition_count(); ++p) {
        uint64_t& from = loaded_[{b, p}];
        log::PartitionReader reader(table->partition(p), 0);
        log::RecordView record;
        for (;;) {
          auto next = reader.Next(&record);
          ASSERT_TRUE(next.ok()) << next.status().ToString() << "\n" << Context();
          if (!*next) break;
          ++total;
          if (record.offset < from) continue;
          values.push_back("(" + std::to_string(p) + ", " + std::to_string(record.offset) + ", " +
                           pg_->QuoteLiteral(record.payload) + ")");
          from = record.offset + 1;
        }
      }
      ASSERT_EQ(total, ingested_[b])
          << "bronze." << shape_.bronze[b].name << " does not hold every acknowledged record\n"
          << Context();
      if (values.empty()) continue;
      auto r =
          pg_->Exec("INSERT INTO " + shape_.bronze[b].name + "_raw VALUES " + Join(values, ", "),
                    "loading bronze");
      ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << Context();
    }
  }

  // `query` asked of the engine against `judge` asked of PostgreSQL. A Lambda view answers
  // from the start (batch(T) at offset 0 is the empty answer) and after every restore.
  // `runtime` "batch": the published batch view alone (QueryRuntime).
  void Compare(const std::string& what, const std::string& query, const std::string& judge,
               const std::string& runtime = "") {
    Status status;
    const Rows expected = PgRows(pg_, judge, &status);
    ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << judge << "\n" << Context();
    auto got = harness_.engine()->QueryRuntime(query, runtime);
    ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString() << "\n" << Context();
    const Rows rows = Text(*got);
    ++stats_.answers;
    stats_.rows += rows.size();
    ASSERT_EQ(rows, expected) << what << (runtime.empty() ? "" : " (" + runtime + " runtime)")
                              << " after the last step differs from PostgreSQL\n"
                              << "  strata (" << query << "):\n"
                              << Show(rows) << "  PostgreSQL (" << judge << "):\n"
                              << Show(expected) << Context();
  }

  void CheckIfCaughtUp() {
    if (!harness_.engine()->CaughtUp()) return;
    ASSERT_NO_FATAL_FAILURE(LoadBronze());
    for (const auto& s : shape_.silver) {
      ASSERT_NO_FATAL_FAILURE(
          Compare("silver." + s.name, "SELECT * FROM silver." + s.name, "SELECT * FROM " + s.name));
      if (s.bronze2 >= 0) {
        ASSERT_NO_FATAL_FAILURE(Compare("silver." + s.name + "__quarantine",
                                        "SELECT source_table, partition, \"offset\", "
                                        "constraint_name FROM silver." +
                                            s.name + "__quarantine",
                                        PgTwoSourceQuarantine(shape_, s)));
        continue;
      }
      if (s.source >= 0) {
        ASSERT_NO_FATAL_FAILURE(Compare(
            "silver." + s.name + "__quarantine",
            "SELECT source_table, constraint_name, payload FROM silver." + s.name + "__quarantine",
            PgSecondStageQuarantine(shape_, s)));
        continue;
      }
      ASSERT_NO_FATAL_FAILURE(Compare(
          "silver." + s.name + "__quarantine",
          "SELECT partition, \"offset\", constraint_name FROM silver." + s.name + "__quarantine",
          PgQuarantineQuery(shape_, s)));
    }
    for (size_t i = 0; i < shape_.gold.size(); ++i) {
      const Gold& g = shape_.gold[i];
      ASSERT_NO_FATAL_FAILURE(
          Compare("gold." + g.name, "SELECT * FROM gold." + g.name, PgGoldQuery(shape_, g)));
      // A recompute: not after every step (the graph's views draw from their own generator).
      Rng& drift_rng = i < shape_.graph_gold ? rng_ : i < shape_.join_gold ? graph_rng_ : join_rng_;
      if (drift_rng.Chance(0.2)) {
        auto d = quality::Drift(*harness_.engine(), "gold." + g.name);
        ASSERT_TRUE(d.ok()) << d.status().ToString() << "\n" << Context();
        ASSERT_TRUE(d->identical()) << "drift of gold." << g.name << ":\n"
                                    << d->ToText() << "\n"
                                    << Context();
      }
    }
    if (!batch_current_) return;
    // The batch runtime's answers, with the pipeline's own SQL (not a replayed one).
    for (const auto& s : shape_.silver) {
      ASSERT_NO_FATAL_FAILURE(Compare("silver." + s.name, "SELECT * FROM silver." + s.name,
                                      "SELECT * FROM " + s.name, "batch"));
    }
    for (const auto& g : original_.gold) {
      ASSERT_NO_FATAL_FAILURE(Compare("gold." + g.name, "SELECT * FROM gold." + g.name,
                                      PgGoldQuery(original_, g), "batch"));
    }
  }

  const uint64_t seed_;
  Rng rng_;
  Rng graph_rng_{seed_ + 1};  // the graph shapes' draws after the shape's
  Rng join_rng_{seed_ + 2};   // the join views' draws
  connect::PgConnection* const pg_;
  Stats& stats_;
  Shape shape_;
  const Shape original_;  // shape_ before any replay changed a view
  const std::string sql_;
  EngineHarness harness_;
  std::vector<uint64_t> ingested_;                          // acknowledged lines per bronze table
  std::map<std::pair<size_t, uint32_t>, uint64_t> loaded_;  // next offset the judge lacks
  std::vector<std::string> history_;
  int replays_ = 0;
  bool batch_current_ = false;
  bool checkpointed_ = false;              // a checkpoint exists
  std::map<size_t, Gold> before_cutover_;  // a cut-over view → what served before  // the engine's
                                           // batch view covers every record in bronze
};

class PgRandomTest : public ::testing::Test {
 protected:
  // The failed assertions of the running test so far.
  static int Failures() {
    const ::testing::TestResult* r =
        ::testing::UnitTest::GetInstance()->current_test_info()->result();
    int n = 0;
    for (int i = 0; i < r->total_part_count(); ++i)
      n += r->GetTestPartResult(i).failed();
    return n;
  }
  static void SetUpTestSuite() { server_ = new testing::PgServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static testing::PgServer* server_;
};
testing::PgServer* PgRandomTest::server_ = nullptr;

TEST_F(PgRandomTest, EveryAnswerEqualsPostgres) {
  ASSERT_TRUE(server_->ok()) << "PostgreSQL 15 could not be started by scripts/pg_test_server.sh: "
                             << server_->error();
  auto pg = connect::PgConnection::Connect(server_->conninfo(), false);
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  auto r = (*pg)->Exec(
      "CREATE OR REPLACE FUNCTION public.strata_try_jsonb(t text) RETURNS jsonb "
      "LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN t::jsonb; "
      "EXCEPTION WHEN others THEN RETURN NULL; END $$",
      "creating strata_try_jsonb");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<uint64_t> failed;
  Stats stats;
  const std::vector<uint64_t> seeds = testing::Seeds(kFirstSeed, kCiSeeds);
  for (uint64_t seed : seeds) {
    SCOPED_TRACE(testing::SeedTrace(seed));
    const int before = Failures();
    RandomCase(seed, pg->get(), &stats).Run();
    if (Failures() > before) failed.push_back(seed);
  }
  std::string list;
  for (uint64_t s : failed)
    list += " " + std::to_string(s);
  std::printf(
      "%zu cases (%zu with a second silver stage, %zu with a view of a view, %zu with a silver "
      "table fed by two bronze tables, %zu with a view over a join, %zu with a silver table fed "
      "by a join), %llu answers (%llu rows) equal to PostgreSQL's, %zu cases failed%s\n",
      seeds.size(), stats.second_stages, stats.views_of_views, stats.two_sources, stats.joins,
      stats.silver_joins, static_cast<unsigned long long>(stats.answers),
      static_cast<unsigned long long>(stats.rows), failed.size(),
      failed.empty() ? "" : (":" + list).c_str());
}

}  // namespace
}  // namespace strata::serve
