// The zero-drift property (DESIGN.md §3-4): for random change streams — duplicates,
// out-of-order versions, updates and deletes as debezium envelopes, NULLs, constraint
// violations, filtered and malformed lines — the streaming runtime (random micro-batch
// sizes, stops and restarts at random points), the batch runtime, and a naive
// row-at-a-time reference evaluator written independently here all compute exactly the same
// silver table, gold view and quarantine count. Exact types, so equality is bit-exact.
//
// 200 fixed seeds; STRATA_SEED=N runs one, STRATA_SEEDS=K draws K (testing/seeds.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "common/hash.h"
#include "log/store.h"
#include "property_model.h"
#include "runtime/runner.h"
#include "runtime_test_util.h"
#include "testing/seeds.h"
#include "testing/temp_dir.h"

namespace strata::runtime {
namespace {

using namespace property;  // NOLINT: the model is this test's vocabulary

size_t Quarantined(const PipelineExecutor& e) {
  auto rows = e.Rows("silver.events__quarantine");
  return rows.ok() ? rows->num_rows() : SIZE_MAX;
}

void CheckCase(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Event> events(1 + rng() % 120);
  for (Event& e : events)
    e = RandomEvent(rng);
  std::vector<std::string> lines;
  for (const Event& e : events)
    lines.push_back(Json(e));
  Reference ref = Evaluate(events);

  auto plan = LoadPipeline(PropertyPipeline(), "property.sql");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ::strata::testing::TempDir dir;
  auto store = std::move(log::Store::Open(dir.path(), log::StoreOptions{})).value();
  ASSERT_TRUE(EnsureBronzeTables(store.get(), *plan).ok());
  log::Table* bronze = *store->GetTable("bronze.events");

  // Streaming: input arrives in random chunks; each is consumed in random micro-batches,
  // sometimes across a stop (state saved, executor rebuilt, state loaded).
  auto stream = property::StreamRandomly(store.get(), *plan, bronze, lines, rng);
  ASSERT_TRUE(stream != nullptr);
  // Batch: everything from offset 0 at once.
  auto batch = std::move(PipelineExecutor::Make(*plan)).value();
  ASSERT_TRUE(CatchUp(store.get(), batch.get(), *plan, 65536).ok());

  for (const PipelineExecutor* e : {stream.get(), batch.get()}) {
    const char* which = e == stream.get() ? "streaming" : "batch";
    EXPECT_EQ(Sorted(*e, *plan, "silver.events"), ref.silver) << which;
    EXPECT_EQ(Sorted(*e, *plan, "gold.by_grp"), ref.gold) << which;
    EXPECT_EQ(Quarantined(*e), ref.quarantined) << which;
  }
}

TEST(ZeroDriftPropertyTest, StreamingEqualsBatchEqualsReference) {
  const std::vector<uint64_t> seeds = ::strata::testing::Seeds(1000, 200);
  for (uint64_t seed : seeds) {
    SCOPED_TRACE(::strata::testing::SeedTrace(seed));
    CheckCase(seed);
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace strata::runtime
