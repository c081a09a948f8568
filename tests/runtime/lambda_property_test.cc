// Lambda serving is exact (DESIGN.md §4): random interleavings of ingest, speed-path
// progress (sometimes stopping short of the log's end, sometimes across a stop and
// restart), batch runs that snapshot a boundary and publish later, and queries. Every
// Lambda answer -- batch(T) ⊕ the speed epochs after T -- must equal both a fresh batch
// recompute over the input consumed so far and the naive reference evaluator over the same
// input.
//
// 200 fixed seeds; STRATA_SEED=N runs one, STRATA_SEEDS=K draws K (testing/seeds.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "log/store.h"
#include "property_model.h"
#include "runtime/runner.h"
#include "runtime_test_util.h"
#include "testing/seeds.h"
#include "testing/temp_dir.h"

namespace strata::runtime {
namespace {

using namespace property;  // NOLINT: the model is this test's vocabulary

constexpr const char* kView = "gold.by_grp";

Offsets EndOffsets(log::Table* table) {
  Offsets o;
  auto& v = o["bronze.events"];
  for (uint32_t p = 0; p < table->partition_count(); ++p)
    v.push_back(table->partition(p).end_offset());
  return o;
}

// Componentwise max: what the Lambda answer covers.
std::vector<uint64_t> Covered(const Offsets& batch, const Offsets& speed) {
  std::vector<uint64_t> out;
  const auto& b = batch.at("bronze.events");
  const auto& s = speed.at("bronze.events");
  for (size_t p = 0; p < b.size(); ++p)
    out.push_back(std::max(b[p], s[p]));
  return out;
}

void CheckCase(uint64_t seed, int* queries) {
  std::mt19937_64 rng(seed);
  std::vector<Event> events(1 + rng() % 150);
  for (Event& e : events)
    e = RandomEvent(rng);
  std::vector<std::string> lines;
  for (const Event& e : events)
    lines.push_back(Json(e));

  auto plan = LoadPipeline(PropertyPipeline("WITH (serving = 'lambda', batch_every = '1 minute')"),
                           "lambda.sql");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const auto& columns = *plan->FindColumns(kView);
  ::strata::testing::TempDir dir;
  auto store = std::move(log::Store::Open(dir.path(), log::StoreOptions{})).value();
  ASSERT_TRUE(EnsureBronzeTables(store.get(), *plan).ok());
  log::Table* bronze = *store->GetTable("bronze.events");

  auto speed = std::move(PipelineExecutor::Make(*plan)).value();
  // The published batch view starts as batch(∅) at offset 0; a started run waits to publish.
  auto published = std::move(PipelineExecutor::Make(*plan)).value();
  std::unique_ptr<PipelineExecutor> running;
  size_t at = 0;
  auto advance = [&] {
    Offsets until = EndOffsets(bronze);
    if (rng() % 2) {
      for (uint32_t p = 0; p < until["bronze.events"].size(); ++p) {
        uint64_t& o = until["bronze.events"][p];
        o = std::max(rng() % (o + 1), speed->next_offset("bronze.events", p));
      }
    }
    auto pushed = CatchUp(store.get(), speed.get(), *plan, 1 + rng() % 9, &until);
    ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  };
  for (int step = 0; step < 40; ++step) {
    switch (rng() % 6) {
      case 0: {  // ingest a chunk
        if (at == lines.size()) break;
        size_t n = 1 + rng() % std::min<size_t>(lines.size() - at, 30);
        Ingest(bronze,
               {lines.begin() + static_cast<long>(at), lines.begin() + static_cast<long>(at + n)});
        at += n;
        break;
      }
      case 1:  // the speed path advances, maybe not to the end
        advance();
        break;
      case 2: {  // a batch run starts: boundary T = the log's end now
        if (running) break;
        Offsets t = EndOffsets(bronze);
        ASSERT_TRUE(speed->AddBoundary(t).ok());
        auto batch = std::move(PipelineExecutor::Make(*plan)).value();
        ASSERT_TRUE(CatchUp(store.get(), batch.get(), *plan, 65536, &t).ok());
        ASSERT_EQ(batch->offsets(), t);
        running = std::move(batch);
        break;
      }
      case 3: {  // the running batch publishes, at once or in steps the speed path runs between
        if (!running) break;
        published = std::move(running);
        if (rng() % 2) {
          Status s = speed->PublishBatch(*published);
          ASSERT_TRUE(s.ok()) << s.ToString();
          break;
        }
        auto pending = speed->BeginPublish(*published);
        ASSERT_TRUE(pending.ok()) << pending.status().ToString();
        if (rng() % 2) advance();
        Status s = speed->BuildPublish(*published, &*pending);
        ASSERT_TRUE(s.ok()) << s.ToString();
        if (rng() % 2) advance();
        s = speed->FinishPublish(std::move(*pending));
        ASSERT_TRUE(s.ok()) << s.ToString();
        break;
      }
      case 4: {  // the speed path stops and restarts from its saved state
        std::string state;
        ASSERT_TRUE(speed->Save(&state).ok());
        speed = std::move(PipelineExecutor::Make(*plan)).value();
        Status s = speed->Load(state);
        ASSERT_TRUE(s.ok()) << s.ToString();
        EXPECT_FALSE(speed->LambdaRows(kView).ok());  // derived state: rebuilt, not saved
        s = speed->PublishBatch(*published);
        ASSERT_TRUE(s.ok()) << s.ToString();
        break;
      }
      case 5: {  // a query
        auto answer = speed->LambdaRows(kView);
        ASSERT_TRUE(answer.ok()) << answer.status().ToString();
        std::vector<uint64_t> covered = Covered(published->offsets(), speed->offsets());
        Offsets until{{"bronze.events", covered}};
        auto full = std::move(PipelineExecutor::Make(*plan)).value();
        ASSERT_TRUE(CatchUp(store.get(), full.get(), *plan, 65536, &until).ok());
        auto got = SortedRows(*answer, columns);
        EXPECT_EQ(got, Sorted(*full, *plan, kView)) << "step " << step;
        EXPECT_EQ(got, Evaluate(events, &covered).gold) << "step " << step;
        ++*queries;
        break;
      }
    }
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(LambdaPropertyTest, BatchPlusSpeedEqualsARecomputeOfTheConsumedInput) {
  const std::vector<uint64_t> seeds = ::strata::testing::Seeds(2000, 200);
  int queries = 0;
  for (uint64_t seed : seeds) {
    SCOPED_TRACE(::strata::testing::SeedTrace(seed));
    CheckCase(seed, &queries);
    if (::testing::Test::HasFailure()) return;
  }
  std::printf("%d Lambda answers checked\n", queries);
  EXPECT_GT(queries, static_cast<int>(seeds.size()));  // the interleavings did query, many times
}

}  // namespace
}  // namespace strata::runtime
