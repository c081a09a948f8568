// Saved executor state of an earlier release: testdata/state_v4/main.state is the main lane's
// blob of a checkpoint written by the release before the sealed container (common/sealed.h),
// "STEX" version 4 with the operators' states in their own earlier layout, for
// testdata/state_v4/pipeline.sql (quarantine, upsert, aggregates with DISTINCT and min, a
// Lambda view, a tumbling window and a session window with late records) after
// testdata/state_v4/input.jsonl. It was written by:
//   strata check pipeline.sql --data d
//   strata ingest --data d --table bronze.o input.jsonl
//   strata run --data d --pipeline pipeline.sql --until-caught-up
// Loading it must give every table exactly what a fresh executor computes from the same
// input, and saving it again writes the current container.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "common/sealed.h"
#include "log/store.h"
#include "runtime/executor.h"
#include "runtime/runner.h"
#include "runtime/runtime_test_util.h"
#include "testing/changelog.h"
#include "testing/temp_dir.h"

namespace strata::runtime {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Every table the pipeline answers: silver, quarantine, gold and late tables.
std::vector<std::string> Tables(const sql::Pipeline& plan) {
  std::vector<std::string> names;
  for (const auto& s : plan.silver) {
    names.push_back(s.name);
    names.push_back(s.quarantine_table);
  }
  for (const auto& g : plan.gold) {
    names.push_back(g.name);
    if (!g.late_table.empty()) names.push_back(g.late_table);
  }
  return names;
}

void ExpectSameTables(const sql::Pipeline& plan, const PipelineExecutor& a,
                      const PipelineExecutor& b) {
  for (const std::string& table : Tables(plan)) {
    auto x = a.Rows(table);
    auto y = b.Rows(table);
    ASSERT_TRUE(x.ok() && y.ok()) << table;
    EXPECT_EQ(strata::testing::Consolidate(*x), strata::testing::Consolidate(*y)) << table;
  }
}

TEST(StateCompatTest, AStateOfTheEarlierFormatLoadsAndContinuesExactly) {
  auto plan = LoadPipeline(StateV4Fixture("pipeline.sql"), "pipeline.sql");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const std::string old_state = StateV4Fixture("main.state");
  ASSERT_EQ(old_state.substr(0, 4), "STEX");  // the fixture is of the earlier layout

  strata::testing::TempDir dir;
  auto store = log::Store::Open(dir.path(), log::StoreOptions{});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE(EnsureBronzeTables(store->get(), *plan).ok());
  log::Table* bronze = (*store)->GetTable("bronze.o").value();
  Ingest(bronze, Lines(StateV4Fixture("input.jsonl")));

  auto fresh = PipelineExecutor::Make(*plan).value();
  ASSERT_TRUE(CatchUp(store->get(), fresh.get(), *plan, 1024).ok());
  auto loaded = PipelineExecutor::Make(*plan).value();
  Status s = loaded->Load(old_state);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(loaded->offsets(), fresh->offsets());
  ExpectSameTables(*plan, *loaded, *fresh);
  EXPECT_EQ(loaded->counters("silver.o")->quarantined, fresh->counters("silver.o")->quarantined);
  EXPECT_EQ(loaded->late_counters("gold.w")->late, fresh->late_counters("gold.w")->late);
  EXPECT_GT(fresh->late_counters("gold.w")->late, 0u);
  EXPECT_GT(fresh->counters("silver.o")->quarantined, 0u);

  // Saved again, it is the current container, and it loads.
  std::string saved;
  ASSERT_TRUE(loaded->Save(&saved).ok());
  EXPECT_TRUE(LooksSealed(saved));
  auto again = PipelineExecutor::Make(*plan).value();
  s = again->Load(saved);
  ASSERT_TRUE(s.ok()) << s.ToString();

  // Both go on alike with new records (a late one, an update, a quarantined one).
  Ingest(bronze, {R"({"id":"a","c":"z","amount":9,"ts":"2026-01-01 10:07:00"})",
                  R"({"id":"m","c":"x","amount":1,"ts":"2026-01-01 07:00:00"})",
                  R"({"id":"n","c":"x","amount":0,"ts":"2026-01-01 10:08:00"})"});
  ASSERT_TRUE(CatchUp(store->get(), fresh.get(), *plan, 1024).ok());
  ASSERT_TRUE(CatchUp(store->get(), again.get(), *plan, 1024).ok());
  ExpectSameTables(*plan, *again, *fresh);
}

}  // namespace
}  // namespace strata::runtime
