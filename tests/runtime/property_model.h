// The model behind the randomized runtime tests: random debezium change streams
// (duplicates, out-of-order versions, updates, deletes, NULLs, constraint violations,
// filtered and malformed lines) over one pipeline, and a naive row-at-a-time reference
// evaluator written independently of the engine.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/hash.h"
#include "log/store.h"
#include "runtime/executor.h"
#include "runtime/runner.h"
#include "runtime_test_util.h"

namespace strata::runtime::property {

constexpr uint32_t kPartitions = 3;

inline std::string PropertyPipeline(const std::string& gold_options = "") {
  return R"sql(
CREATE TABLE bronze.events (k text, grp text, amount numeric(12,2), qty bigint, ts timestamp)
WITH (layer = 'bronze', format = 'debezium', key = 'k', partitions = 3);

CREATE TABLE silver.events (
  k text NOT NULL, grp text, amount numeric(12,2) CHECK (amount >= 0), qty bigint,
  ts timestamp NOT NULL, PRIMARY KEY (k)
) WITH (layer = 'silver', dedupe_order = 'ts', on_violation = 'quarantine');

INSERT INTO silver.events
SELECT k, lower(grp), amount, qty, ts FROM bronze.events WHERE qty IS NULL OR qty <> 13;

CREATE MATERIALIZED VIEW gold.by_grp )sql" +
         gold_options + R"sql( AS
SELECT grp, count(*) AS n, count(qty) AS nq, sum(amount) AS total, min(amount) AS lo,
       max(amount) AS hi, count(DISTINCT qty) AS dq, sum(qty) AS sq
FROM silver.events GROUP BY grp;
)sql";
}

// One generated change, as the reference sees it.
struct Event {
  bool malformed = false;
  char op = 'c';
  std::optional<std::string> k, grp;
  std::optional<int64_t> cents, qty, ts;  // ts: seconds after a base time
};

inline std::string Cents(int64_t c) {
  std::string sign = c < 0 ? "-" : "";
  int64_t a = c < 0 ? -c : c;
  std::string frac = std::to_string(a % 100);
  if (frac.size() < 2) frac = "0" + frac;
  return sign + std::to_string(a / 100) + "." + frac;
}

inline std::string Timestamp(int64_t s) {  // base 2026-01-01 00:00:00, s < 3600
  char buf[64];
  std::snprintf(buf, sizeof(buf), "2026-01-01 00:%02d:%02d", static_cast<int>(s / 60 % 60),
                static_cast<int>(s % 60));
  return buf;
}

inline std::string Json(const Event& e) {
  if (e.malformed) return R"({"op":"c","after":{"k":"broken")";
  auto field = [](const char* name, const std::optional<std::string>& v) {
    return std::string("\"") + name + "\":" + (v ? "\"" + *v + "\"" : "null");
  };
  std::string image = "{" + field("k", e.k) + "," + field("grp", e.grp) +
                      ",\"amount\":" + (e.cents ? Cents(*e.cents) : "null") +
                      ",\"qty\":" + (e.qty ? std::to_string(*e.qty) : "null") +
                      ",\"ts\":" + (e.ts ? "\"" + Timestamp(*e.ts) + "\"" : "null") + "}";
  if (e.op == 'd') return R"({"op":"d","before":)" + image + R"(,"after":null})";
  return std::string(R"({"op":")") + e.op + R"(","before":null,"after":)" + image + "}";
}

inline Event RandomEvent(std::mt19937_64& rng) {
  Event e;
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  if (chance(3)) {
    e.malformed = true;
    return e;
  }
  const char ops[] = {'c', 'u', 'u', 'r', 'd'};
  e.op = ops[rng() % 5];
  if (!chance(3)) e.k = "k" + std::to_string(rng() % 12);
  const char* groups[] = {"A", "a", "B", "b", "C"};
  if (!chance(10)) e.grp = groups[rng() % 5];
  if (!chance(10)) e.cents = static_cast<int64_t>(rng() % 10000) - (chance(5) ? 20000 : 0);
  if (!chance(15)) e.qty = static_cast<int64_t>(rng() % 16);
  if (!chance(4)) e.ts = static_cast<int64_t>(rng() % 40);  // few values: ties happen
  return e;
}

// ---- the reference: row at a time, from the generated events ---------------------------

struct Version {
  std::optional<int64_t> ts;  // dedupe value (NULL lowest)
  uint32_t partition;
  uint64_t offset;
  bool tombstone;
  Event row;
};

inline bool Wins(const Version& a, const Version& b) {  // a > b in the upsert's version order
  if (a.ts != b.ts) return !b.ts || (a.ts && *a.ts > *b.ts);
  if (a.partition != b.partition) return a.partition > b.partition;
  if (a.offset != b.offset) return a.offset > b.offset;
  return a.tombstone && !b.tombstone;
}

struct Reference {
  std::vector<std::vector<std::string>> silver;  // sorted rows as text
  std::vector<std::vector<std::string>> gold;
  size_t quarantined = 0;
};

inline std::string Lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// `bound`: when given, only the records at offsets below bound[partition] count (the
// input a runtime has consumed).
inline Reference Evaluate(const std::vector<Event>& events,
                          const std::vector<uint64_t>* bound = nullptr) {
  Reference ref;
  std::map<std::string, Version> winner;
  uint64_t next_offset[kPartitions] = {};
  for (const Event& e : events) {
    // The key that partitions the record: after.k (before.k for a delete), else "".
    std::string pkey = e.malformed || !e.k ? "" : *e.k;
    uint32_t partition = PartitionForKey(pkey, kPartitions);
    uint64_t offset = next_offset[partition]++;
    if (bound != nullptr && offset >= (*bound)[partition]) continue;
    if (e.malformed) {
      ++ref.quarantined;
      continue;
    }
    if (e.qty && *e.qty == 13) continue;  // WHERE qty IS NULL OR qty <> 13
    bool tombstone = e.op == 'd';
    if (!e.k || (!tombstone && (!e.ts || (e.cents && *e.cents < 0)))) {
      ++ref.quarantined;  // NOT NULL k / ts, CHECK (amount >= 0); deletes need only k
      continue;
    }
    Version v{e.ts, partition, offset, tombstone, e};
    auto it = winner.find(*e.k);
    if (it == winner.end() || Wins(v, it->second)) winner[*e.k] = v;
  }
  struct Group {
    int64_t n = 0, nq = 0, sum_qty = 0;
    std::optional<int64_t> total, lo, hi;
    std::set<int64_t> qtys;
  };
  std::map<std::optional<std::string>, Group> groups;
  for (const auto& [k, v] : winner) {
    if (v.tombstone) continue;
    const Event& r = v.row;
    std::optional<std::string> grp = r.grp ? std::optional(Lower(*r.grp)) : std::nullopt;
    ref.silver.push_back({k, grp ? *grp : "NULL", r.cents ? Cents(*r.cents) : "NULL",
                          r.qty ? std::to_string(*r.qty) : "NULL", Timestamp(*r.ts)});
    Group& g = groups[grp];
    ++g.n;
    if (r.qty) {
      ++g.nq;
      g.sum_qty += *r.qty;
      g.qtys.insert(*r.qty);
    }
    if (r.cents) {
      g.total = g.total.value_or(0) + *r.cents;
      g.lo = g.lo ? std::min(*g.lo, *r.cents) : *r.cents;
      g.hi = g.hi ? std::max(*g.hi, *r.cents) : *r.cents;
    }
  }
  for (const auto& [grp, g] : groups) {
    auto money = [](const std::optional<int64_t>& c) { return c ? Cents(*c) : "NULL"; };
    ref.gold.push_back({grp ? *grp : "NULL", std::to_string(g.n), std::to_string(g.nq),
                        money(g.total), money(g.lo), money(g.hi), std::to_string(g.qtys.size()),
                        g.nq ? std::to_string(g.sum_qty) : "NULL"});
  }
  std::sort(ref.silver.begin(), ref.silver.end());
  std::sort(ref.gold.begin(), ref.gold.end());
  return ref;
}

// ---- the engine ---------------------------------------------------------------------------

// Rows as text (NULL as "NULL"), sorted: comparable with a Reference.
inline std::vector<std::vector<std::string>> SortedRows(
    const Batch& rows, const std::vector<sql::ColumnSchema>& columns) {
  std::vector<std::vector<std::string>> out;
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    std::vector<std::string> row;
    for (size_t c = 0; c < rows.columns.size(); ++c) {
      row.push_back(rows.columns[c].GetValue(r).ToString(columns[c].type));
    }
    for (int64_t w = 0; w < rows.weights[r]; ++w)
      out.push_back(row);
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::vector<std::string>> Sorted(const PipelineExecutor& e,
                                                    const sql::Pipeline& plan, const char* table) {
  auto rows = e.Rows(table);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  if (!rows.ok()) return {};
  return SortedRows(*rows, *plan.FindColumns(table));
}

// The streaming runtime under a random schedule: `lines` arrive in `bronze` in random chunks;
// each chunk is consumed in random micro-batches (1 to 9 records), sometimes across a stop
// (state saved, executor rebuilt, state loaded). Null after a failure (reported).
inline std::unique_ptr<PipelineExecutor> StreamRandomly(log::Store* store,
                                                        const sql::Pipeline& plan,
                                                        log::Table* bronze,
                                                        const std::vector<std::string>& lines,
                                                        std::mt19937_64& rng) {
  auto stream = std::move(PipelineExecutor::Make(plan)).value();
  size_t at = 0;
  while (at < lines.size()) {
    size_t n = 1 + rng() % (lines.size() - at);
    Ingest(bronze,
           {lines.begin() + static_cast<long>(at), lines.begin() + static_cast<long>(at + n)});
    at += n;
    auto pushed = CatchUp(store, stream.get(), plan, 1 + rng() % 9);
    EXPECT_TRUE(pushed.ok()) << pushed.status().ToString();
    if (!pushed.ok()) return nullptr;
    if (rng() % 3 == 0) {
      std::string state;
      EXPECT_TRUE(stream->Save(&state).ok());
      stream = std::move(PipelineExecutor::Make(plan)).value();
      Status loaded = stream->Load(state);
      EXPECT_TRUE(loaded.ok()) << loaded.ToString();
      if (!loaded.ok()) return nullptr;
    }
  }
  return stream;
}

}  // namespace strata::runtime::property
