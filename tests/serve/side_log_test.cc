// Side tables in the log (serve/side_log.h): executors of one logic share a side log and
// each lists exactly the rows of the input it consumed, as an executor holding them in
// memory lists them; a state that holds its rows (an earlier release's) hands them over; a
// read-only store keeps them in memory; another logic gets its own log.
#include "serve/side_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/filename.h"
#include "engine_test_util.h"
#include "format/decoder.h"
#include "log/store.h"
#include "runtime/property_model.h"
#include "runtime/runner.h"
#include "runtime/runtime_test_util.h"
#include "testing/changelog.h"
#include "testing/temp_dir.h"

namespace strata::serve {
namespace {

constexpr const char* kQuarantine = "silver.events__quarantine";

Rows Sorted(const Batch& rows) {
  runtime::QueryResult r;
  for (const auto& c : sql::QuarantineColumns()) {
    r.names.push_back(c.name);
    r.types.push_back(c.type);
  }
  r.rows = rows;
  return Text(r);
}

class SideLogTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStore(false); }

  void OpenStore(bool read_only) {
    store_.reset();
    log::StoreOptions options;
    options.read_only = read_only;
    auto store = log::Store::Open(dir_.path(), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto plan = runtime::LoadPipeline(sql_, "pipeline.sql");
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    plan_ = *plan;
    if (!read_only) ASSERT_OK(runtime::EnsureBronzeTables(store_.get(), plan_));
  }

  // Random events, a few of them malformed, appended to bronze.
  void Add(size_t n) {
    std::mt19937_64 rng(20261207 + n);
    std::vector<std::string> lines;
    for (size_t i = 0; i < n; ++i) {
      runtime::property::Event e = runtime::property::RandomEvent(rng);
      e.malformed = e.malformed || i % 37 == 0;
      lines.push_back(runtime::property::Json(e));
    }
    runtime::Ingest(*store_->GetTable(kBronze), lines);
  }

  // An executor of `plan_` (with `sink`, if any) that read bronze up to `until` (or all).
  std::unique_ptr<runtime::PipelineExecutor> Run(SideLog* sink,
                                                 const runtime::Offsets* until = nullptr) {
    auto executor = runtime::PipelineExecutor::Make(plan_);
    EXPECT_TRUE(executor.ok()) << executor.status().ToString();
    if (sink != nullptr) (*executor)->SetSideSink(sink);
    auto n = runtime::CatchUp(store_.get(), executor->get(), plan_, 50, until);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return std::move(executor).value();
  }
  Rows InMemory(const runtime::Offsets* until = nullptr) {
    auto rows = Run(nullptr, until)->Rows(kQuarantine);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? Sorted(*rows) : Rows{};
  }
  Rows InLog(SideLog& side, const runtime::PipelineExecutor& executor) {
    EXPECT_EQ(executor.Rows(kQuarantine).status().code(), StatusCode::kFailedPrecondition);
    auto rows = side.Rows(SideLog::QueryOf(executor, kQuarantine));
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? Sorted(*rows) : Rows{};
  }
  // The one side log table in the store; null (and a failure) when there is not exactly one.
  log::Table* OnlySideTable() {
    const std::vector<std::string> tables = SideTables();
    EXPECT_EQ(tables.size(), 1u);
    if (tables.size() != 1) return nullptr;
    auto table = store_->GetTable(tables[0]);
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    return table.ok() ? *table : nullptr;
  }
  std::vector<std::string> SideTables() {
    std::vector<std::string> out;
    for (const std::string& name : store_->TableNames()) {
      if (filename::IsInternalTable(name)) out.push_back(name);
    }
    return out;
  }

  ::strata::testing::TempDir dir_;
  std::string sql_ = runtime::property::PropertyPipeline();
  sql::Pipeline plan_;
  std::unique_ptr<log::Store> store_;
};

TEST_F(SideLogTest, ExecutorsOfOneLogicShareTheLogAndListTheirInputOnce) {
  Add(400);
  SideLog side(store_.get());
  auto half = Run(nullptr)->offsets();
  for (auto& [table, offsets] : half) {
    for (uint64_t& o : offsets)
      o /= 2;
  }
  // A behind, B all the way, then A catches up through the range B covered.
  auto a = Run(&side, &half);
  EXPECT_EQ(InLog(side, *a), InMemory(&half));
  auto b = Run(&side);
  Add(300);
  ASSERT_OK(runtime::CatchUp(store_.get(), a.get(), plan_, 64).status());
  const Rows all = InMemory();
  ASSERT_GT(all.size(), 20u);
  EXPECT_EQ(InLog(side, *a), all);
  EXPECT_EQ(InLog(side, *b), InMemory(&b->offsets()));
  EXPECT_NE(InLog(side, *b), all);
  EXPECT_EQ(SideTables().size(), 1u);
  // A fresh log object reads the covered ranges back: a third executor over everything
  // appends nothing twice.
  SideLog again(store_.get());
  auto c = Run(&again);
  EXPECT_EQ(InLog(again, *c), all);
  EXPECT_EQ(InLog(side, *a), all);
}

TEST_F(SideLogTest, AStateThatHoldsItsRowsHandsThemToTheLog) {
  Add(300);
  auto held = Run(nullptr);
  std::string blob;
  ASSERT_OK(held->Save(&blob));
  const Rows all = InMemory();
  // An executor that loads `blob` with `side` as its sink.
  auto load = [&](SideLog* side) {
    auto loaded = runtime::PipelineExecutor::Make(plan_).value();
    loaded->SetSideSink(side);
    Status s = loaded->Load(blob);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return loaded;
  };
  // A read-only store: the rows are kept in memory, nothing is created.
  OpenStore(true);
  {
    SideLog side(store_.get());
    EXPECT_EQ(InLog(side, *load(&side)), all);
    EXPECT_TRUE(SideTables().empty());
  }
  OpenStore(false);
  SideLog side(store_.get());
  auto loaded = load(&side);
  EXPECT_EQ(InLog(side, *loaded), all);
  std::string slim;
  ASSERT_OK(loaded->Save(&slim));
  EXPECT_LT(slim.size() + all.size() * 40, blob.size());
  // It goes on like the executor that held them.
  Add(100);
  ASSERT_OK(runtime::CatchUp(store_.get(), loaded.get(), plan_, 64).status());
  EXPECT_EQ(InLog(side, *loaded), InMemory());
}

TEST_F(SideLogTest, AnotherLogicHasItsOwnLog) {
  Add(200);
  SideLog side(store_.get());
  auto mine = Run(&side);
  std::string other_sql = sql_;
  const std::string where = "WHERE qty IS NULL OR qty <> 13";
  other_sql.replace(other_sql.find(where), where.size(), "WHERE qty IS NULL OR qty <> 12");
  auto other_plan = runtime::LoadPipeline(other_sql, "other.sql");
  ASSERT_TRUE(other_plan.ok()) << other_plan.status().ToString();
  auto other = runtime::PipelineExecutor::Make(*other_plan).value();
  other->SetSideSink(&side);
  ASSERT_OK(runtime::CatchUp(store_.get(), other.get(), *other_plan, 64).status());
  EXPECT_EQ(SideTables().size(), 2u);
  EXPECT_EQ(InLog(side, *mine), InMemory());
}

// Reading a side table whose log does not exist yet answers it empty and creates nothing:
// the log is created by the first append (a query must not write to the data directory).
TEST_F(SideLogTest, ReadingCreatesNoLogAndTheFirstAppendDoes) {
  SideLog side(store_.get());
  auto idle = Run(&side);  // bronze is empty: nothing pushed, nothing appended
  auto rows = side.Rows(SideLog::QueryOf(*idle, kQuarantine));
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->num_rows(), 0u);
  EXPECT_TRUE(SideTables().empty());
  Add(100);  // malformed ones among them
  auto busy = Run(&side);
  EXPECT_EQ(SideTables().size(), 1u);
  EXPECT_EQ(InLog(side, *busy), InMemory());
  EXPECT_FALSE(InMemory().empty());
}

// A side log keeps what its sources keep: created with the loosest retention of the node's
// bronze tables and segments no larger than theirs, it drops its oldest rows as bronze does;
// what it still lists is the newest part of what an executor holding them lists.
class SideLogRetentionTest : public SideLogTest {
 protected:
  void SetUp() override {
    {
      auto store = log::Store::Open(dir_.path(), {});
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      auto plan = runtime::LoadPipeline(sql_, "pipeline.sql");
      ASSERT_TRUE(plan.ok()) << plan.status().ToString();
      const sql::BronzeTable& b = plan->bronze[0];
      log::TableConfig config;
      config.partitions = b.partitions;
      config.key_field = b.key;
      config.payload_format = format::PayloadFormatName(b.format);
      config.segment_bytes = 2048;
      config.retention.max_bytes = 4096;
      config.retention.max_age = Micros{3600} * 1000000;
      ASSERT_TRUE((*store)->CreateTable(b.name, config).ok());
    }
    OpenStore(false);
  }
};

TEST_F(SideLogRetentionTest, ASideLogKeepsWhatItsSourcesKeep) {
  SideLog side(store_.get());
  Add(3000);
  auto executor = Run(&side);
  log::Table* table = OnlySideTable();
  ASSERT_NE(table, nullptr);
  const log::TableConfig& c = table->config();
  EXPECT_EQ(c.partitions, 1u);
  EXPECT_EQ(c.segment_bytes, 2048u);
  EXPECT_EQ(c.retention.max_bytes, 4096u * plan_.bronze[0].partitions);
  EXPECT_EQ(c.retention.max_age, Micros{3600} * 1000000);
  // Old segments are gone, and what is left is the end of the whole list.
  EXPECT_GT(table->partition(0).start_offset(), 0u);
  const Rows kept = InLog(side, *executor);
  const Rows all = InMemory();
  ASSERT_FALSE(kept.empty());
  EXPECT_LT(kept.size(), all.size());
  for (const auto& row : kept)
    EXPECT_NE(std::find(all.begin(), all.end(), row), all.end());
}

TEST_F(SideLogTest, ASideLogOfSourcesWithoutRetentionKeepsEverything) {
  SideLog side(store_.get());
  Add(3000);
  auto executor = Run(&side);
  log::Table* table = OnlySideTable();
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->config().retention.max_bytes, 0u);
  EXPECT_EQ(table->config().retention.max_age, 0);
  EXPECT_EQ(table->partition(0).start_offset(), 0u);
  EXPECT_EQ(InLog(side, *executor), InMemory());
}

// The main lane's state of a checkpoint of the release before side logs
// (tests/runtime/state_compat_test.cc says how it was written): its quarantine and late rows
// move to the side logs when it loads, and read back as a fresh executor lists them.
TEST(SideLogCompatTest, AStateOfTheEarlierFormatHandsItsRowsToTheLog) {
  auto plan = runtime::LoadPipeline(runtime::StateV4Fixture("pipeline.sql"), "pipeline.sql");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ::strata::testing::TempDir dir;
  auto store = log::Store::Open(dir.path(), log::StoreOptions{});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_OK(runtime::EnsureBronzeTables(store->get(), *plan));
  std::vector<std::string> lines;
  std::istringstream input(runtime::StateV4Fixture("input.jsonl"));
  for (std::string line; std::getline(input, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  runtime::Ingest((*store)->GetTable("bronze.o").value(), lines);
  auto fresh = runtime::PipelineExecutor::Make(*plan).value();
  ASSERT_OK(runtime::CatchUp(store->get(), fresh.get(), *plan, 1024).status());

  SideLog side(store->get());
  auto loaded = runtime::PipelineExecutor::Make(*plan).value();
  loaded->SetSideSink(&side);
  ASSERT_OK(loaded->Load(runtime::StateV4Fixture("main.state")));
  std::vector<std::string> tables;
  for (const auto& t : plan->silver)
    tables.push_back(t.quarantine_table);
  for (const auto& g : plan->gold)
    tables.push_back(g.late_table);
  size_t checked = 0;
  for (const std::string& table : tables) {
    if (table.empty() || !loaded->SideSinkTable(table)) continue;
    auto in_log = side.Rows(SideLog::QueryOf(*loaded, table));
    auto in_memory = fresh->Rows(table);
    ASSERT_TRUE(in_log.ok() && in_memory.ok()) << table;
    ASSERT_GT(in_memory->num_rows(), 0u) << table;
    EXPECT_EQ(::strata::testing::Consolidate(*in_log), ::strata::testing::Consolidate(*in_memory))
        << table;
    ++checked;
  }
  EXPECT_GE(checked, 2u);  // the quarantine and at least one late table
}

}  // namespace
}  // namespace strata::serve
