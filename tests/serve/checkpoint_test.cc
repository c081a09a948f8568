// Checkpoints of the serving engine (serve/checkpoint.h), in process, over the property
// model's pipeline (a Lambda and a Kappa view) with every expected answer computed by the
// naive reference evaluator from the events the test generated:
//   - restore and keep-K, the retention pin (Store::ApplyRetention), the copy-on-write
//     writer (fork) and the state files of earlier releases;
//   - every named abort point of checkpoint writing and of Cutover: arm, do, expect
//     Aborted, drop unsynced data (fault-injection file system), reopen, and verify that the
//     state is the old or the new one, never a mix, and that every view equals a recompute;
//   - corruption: a byte flipped in each file of the newest checkpoint (and META truncated)
//     makes Open fall back to the previous checkpoint with a warning, and the answers still
//     equal a recompute;
//   - replay --from-checkpoint: the same logic starts from the checkpoint, another logic is
//     refused naming both hashes.
#include "serve/checkpoint.h"
#include "quality/reconcile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/abort_point.h"
#include "common/filename.h"
#include "engine_test_util.h"
#include "log/store.h"
#include "runtime/property_model.h"
#include "runtime/runner.h"
#include "runtime/runtime_test_util.h"
#include "serve/engine.h"
#include "testing/fault_injection_fs.h"
#include "testing/temp_dir.h"

namespace strata::serve {

using quality::Diff;
namespace {

using runtime::property::Evaluate;
using runtime::property::Event;

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class CheckpointTest : public ::testing::Test {
 protected:
  ~CheckpointTest() override { DisarmAllAbortPoints(); }

  // `segment_bytes`: small segments give retention something to remove.
  void Open(EngineOptions options = {}, uint64_t segment_bytes = 0) {
    options_ = options;
    options.fs = &fs_;
    log::StoreOptions store_options;
    store_options.fs = &fs_;
    auto store = log::Store::Open(dir_.path(), store_options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto plan = runtime::LoadPipeline(sql_, "pipeline.sql");
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    if (segment_bytes > 0 && !store_->GetTable(kBronze).ok()) {
      log::TableConfig config;
      config.partitions = 3;
      config.key_field = "k";
      config.payload_format = "debezium";
      config.segment_bytes = segment_bytes;
      ASSERT_OK(store_->CreateTable(kBronze, config).status());
    }
    ASSERT_OK(runtime::EnsureBronzeTables(store_.get(), *plan));
    auto engine = Engine::Open(store_.get(), dir_.path(), sql_, "pipeline.sql", options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
    bronze_ = *store_->GetTable(kBronze);
  }
  Status TryOpen() {
    Close();
    EngineOptions options = options_;
    options.fs = &fs_;
    log::StoreOptions store_options;
    store_options.fs = &fs_;
    ASSIGN_OR_RETURN(store_, log::Store::Open(dir_.path(), store_options));
    ASSIGN_OR_RETURN(engine_,
                     Engine::Open(store_.get(), dir_.path(), sql_, "pipeline.sql", options));
    bronze_ = *store_->GetTable(kBronze);
    return Status::OK();
  }
  void Close() {
    engine_.reset();
    bronze_ = nullptr;
    store_.reset();
  }
  void Reopen() {
    Close();
    Open(options_);
  }
  // A power cut: the engine and store go away and what was not synced is lost.
  void CrashAndReopen() {
    Close();
    ASSERT_OK(fs_.SimulateCrash());
    Open(options_);
  }

  // Appends `n` new events, 25 per append (so that small segments roll).
  void Add(size_t n) {
    std::vector<std::string> lines;
    for (size_t i = 0; i < n; ++i) {
      events_.push_back(runtime::property::RandomEvent(rng_));
      lines.push_back(runtime::property::Json(events_.back()));
      if (lines.size() == 25 || i + 1 == n) {
        runtime::Ingest(bronze_, lines);
        lines.clear();
      }
    }
  }
  void StepUntilCaughtUp() {
    for (int i = 0; i < 10000 && !engine_->CaughtUp(); ++i) {
      auto r = engine_->Step();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    ASSERT_TRUE(engine_->CaughtUp());
  }
  Rows Query(const std::string& sql, const char* runtime = "") {
    auto r = engine_->QueryRuntime(sql, runtime);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? Text(*r) : Rows{};
  }
  // The main lane's answer now, without stepping: what the restored state holds.
  Rows Streaming() { return Query(Star(kKappa), "streaming"); }
  // The reference over the first `n` events generated.
  Rows Upto(size_t n) {
    return Evaluate(std::vector<Event>(events_.begin(), events_.begin() + n)).gold;
  }
  // Catches up and checks every view against the reference and a fresh recompute.
  void ExpectCurrent(bool fixed_kappa = false) {
    StepUntilCaughtUp();
    const Rows all = Evaluate(events_).gold;
    EXPECT_EQ(Query(Star(kLambda)), all);
    EXPECT_EQ(Query(Star(kKappa)), fixed_kappa ? Fixed(all) : all);
    for (const char* view : {kLambda, kKappa, "silver.events"}) {
      auto d = quality::Drift(*engine_, view);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      EXPECT_TRUE(d->identical()) << view << "\n" << d->ToText();
    }
  }
  std::string CheckpointDir(uint64_t seq) const {
    return filename::CheckpointDir(filename::CheckpointsDir(dir_.path()), seq);
  }
  std::vector<uint64_t> OnDisk() {
    auto seqs =
        ListCheckpoints(FileSystem::Default(), runtime::PipelinePaths(dir_.path()).checkpoints);
    EXPECT_TRUE(seqs.ok());
    return seqs.ok() ? *seqs : std::vector<uint64_t>{};
  }
  // Appends `n` records that do not decode (quarantined).
  void AddMalformed(size_t n) {
    Event e;
    e.malformed = true;
    std::vector<std::string> lines(n, runtime::property::Json(e));
    events_.insert(events_.end(), n, e);
    runtime::Ingest(bronze_, lines);
  }
  // The quarantine as `runtime` answers it, and as an executor without a side sink (rows in
  // memory, the previous design) lists it after reading bronze up to `until` (or all).
  Rows Quarantine(const char* runtime = "") {
    return Query("SELECT * FROM silver.events__quarantine", runtime);
  }
  Rows QuarantineInMemory(const runtime::Offsets* until = nullptr) {
    auto plan = runtime::LoadPipeline(sql_, "pipeline.sql");
    EXPECT_TRUE(plan.ok());
    auto executor = runtime::PipelineExecutor::Make(*plan);
    EXPECT_TRUE(executor.ok());
    EXPECT_TRUE(runtime::CatchUp(store_.get(), executor->get(), *plan, 64, until).ok());
    runtime::QueryResult result;
    for (const auto& c : sql::QuarantineColumns()) {
      result.names.push_back(c.name);
      result.types.push_back(c.type);
    }
    auto rows = (*executor)->Rows("silver.events__quarantine");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows.ok()) result.rows = std::move(rows).value();
    return Text(result);
  }
  uint64_t Restored() {
    auto last = engine_->last_checkpoint();
    return last ? last->seq : 0;
  }

  ::strata::testing::TempDir dir_;
  ::strata::testing::FaultInjectionFileSystem fs_;
  std::string sql_ = Pipeline();
  EngineOptions options_;
  std::unique_ptr<log::Store> store_;
  std::unique_ptr<Engine> engine_;
  log::Table* bronze_ = nullptr;
  std::vector<Event> events_;
  std::mt19937_64 rng_{20261122};
};

// ---- restore, keep K, status ---------------------------------------------------------------

TEST_F(CheckpointTest, RestoresTheNewestAndKeepsK) {
  Open();
  for (int i = 1; i <= 5; ++i) {
    Add(100);
    StepUntilCaughtUp();
    if (i == 2) ASSERT_OK(engine_->RunBatch().status());
    ASSERT_OK_AND_ASSIGN(CheckpointInfo info, engine_->Checkpoint());
    EXPECT_EQ(info.seq, static_cast<uint64_t>(i));
    EXPECT_GT(info.bytes, 0u);
    EXPECT_EQ(info.kept, std::min<size_t>(i, 3));
  }
  EXPECT_EQ(OnDisk(), (std::vector<uint64_t>{5, 4, 3}));
  EXPECT_NE(engine_->StatusJson().find(R"("last_seq": 5)"), std::string::npos)
      << engine_->StatusJson();
  Add(50);  // after the last checkpoint: re-read from bronze after the restart
  StepUntilCaughtUp();
  Reopen();
  EXPECT_TRUE(engine_->warnings().empty());
  EXPECT_EQ(Restored(), 5u);
  EXPECT_EQ(Streaming(), Upto(500));
  ExpectCurrent();
  // META says what it holds.
  ASSERT_OK_AND_ASSIGN(CheckpointMeta meta,
                       ReadCheckpointMeta(FileSystem::Default(), CheckpointDir(5)));
  EXPECT_EQ(meta.seq, 5u);
  ASSERT_NE(meta.Find("main"), nullptr);
  ASSERT_NE(meta.Find("batch"), nullptr);
  EXPECT_EQ(meta.schema_versions.at(kBronze), 1u);
  uint64_t consumed = 0;
  for (uint64_t o : meta.Find("main")->offsets.at(kBronze))
    consumed += o;
  EXPECT_EQ(consumed, 500u);
}

TEST_F(CheckpointTest, AForkedWriterHoldsTheEngineOnlyForTheFork) {
  EngineOptions options;
  options.checkpoint_in_child = true;
  Open(options);
  Add(400);
  StepUntilCaughtUp();
  ASSERT_OK(engine_->RunBatch().status());
  Add(100);
  StepUntilCaughtUp();
  ASSERT_OK_AND_ASSIGN(CheckpointInfo info, engine_->Checkpoint());
  EXPECT_EQ(info.seq, 1u);
  EXPECT_GT(info.bytes, 0u);
  // An abort point in the child stops the checkpoint like one in process, and fires once.
  ArmAbortPoint("checkpoint.before_meta");
  Add(10);
  StepUntilCaughtUp();
  auto aborted = engine_->Checkpoint();
  EXPECT_EQ(aborted.status().code(), StatusCode::kAborted) << aborted.status().ToString();
  EXPECT_TRUE(AbortPoint("checkpoint.before_meta").ok()) << "still armed in the parent";
  Reopen();
  EXPECT_TRUE(engine_->warnings().empty());
  EXPECT_EQ(Restored(), 1u);
  EXPECT_EQ(Streaming(), Upto(500));
  ExpectCurrent();
  ASSERT_OK_AND_ASSIGN(CheckpointInfo next, engine_->Checkpoint());
  EXPECT_EQ(next.seq, 2u);  // the aborted one never existed
}

TEST_F(CheckpointTest, StateFilesOfEarlierReleasesAreReadUntilTheFirstCheckpoint) {
  Open();
  Add(200);
  // What an earlier release left: the main lane's state in streaming.state.
  {
    auto plan = runtime::LoadPipeline(sql_, "pipeline.sql");
    ASSERT_TRUE(plan.ok());
    auto executor = runtime::PipelineExecutor::Make(*plan);
    ASSERT_TRUE(executor.ok());
    ASSERT_OK(runtime::CatchUp(store_.get(), executor->get(), *plan, 64).status());
    ASSERT_OK(
        runtime::SaveExecutorState(**executor, runtime::PipelinePaths(dir_.path()).streaming));
  }
  Reopen();
  EXPECT_EQ(Streaming(), Upto(200));
  ExpectCurrent();
  ASSERT_OK(engine_->Checkpoint().status());
  EXPECT_FALSE(FileSystem::Default()->Exists(runtime::PipelinePaths(dir_.path()).streaming));
}

// ---- side tables in the log -------------------------------------------------------------------

// The quarantine lives in a side log shared by the main lane and batch(T): after a crash that
// lost the checkpoint of records whose rows were already appended, and a lane that re-reads
// them, every rejected record is listed once, by every runtime, as an executor holding the
// rows in memory lists them.
TEST_F(CheckpointTest, QuarantineIsListedOnceThroughCrashesAndBatchRuns) {
  Open();
  Add(300);
  AddMalformed(7);
  StepUntilCaughtUp();
  ASSERT_OK(engine_->RunBatch().status());
  ASSERT_OK(engine_->Checkpoint().status());
  Add(300);
  AddMalformed(5);
  StepUntilCaughtUp();  // their side rows are durable; no checkpoint covers them
  CrashAndReopen();
  EXPECT_EQ(Restored(), 1u);
  // Before catching up, the main lane lists what its restored offsets cover, no more.
  ASSERT_OK_AND_ASSIGN(CheckpointMeta meta,
                       ReadCheckpointMeta(FileSystem::Default(), CheckpointDir(1)));
  const runtime::Offsets restored = meta.Find("main")->offsets;
  EXPECT_EQ(Quarantine("streaming"), QuarantineInMemory(&restored));
  EXPECT_EQ(Quarantine("batch"), QuarantineInMemory(&restored));
  StepUntilCaughtUp();
  ASSERT_OK(engine_->RunBatch().status());
  const Rows all = QuarantineInMemory();
  EXPECT_EQ(all.size(), Evaluate(events_).quarantined);
  EXPECT_EQ(Quarantine(), all);
  EXPECT_EQ(Quarantine("batch"), all);
  Reopen();  // from the same checkpoint again: the rows are appended already
  StepUntilCaughtUp();
  EXPECT_EQ(Quarantine(), all);
  ExpectCurrent();
}

// Item 7's figure in small: a checkpoint does not grow with the records quarantined.
TEST_F(CheckpointTest, CheckpointSizeDoesNotGrowWithQuarantinedRecords) {
  Open();
  Add(200);
  StepUntilCaughtUp();
  ASSERT_OK(engine_->RunBatch().status());
  ASSERT_OK_AND_ASSIGN(CheckpointInfo before, engine_->Checkpoint());
  AddMalformed(3000);
  StepUntilCaughtUp();
  ASSERT_OK(engine_->RunBatch().status());
  ASSERT_OK_AND_ASSIGN(CheckpointInfo after, engine_->Checkpoint());
  // Offsets and counters grow by a few bytes; 3,000 rows held in both lanes would add more
  // than 300 KB.
  EXPECT_LE(after.bytes, before.bytes + 256) << before.bytes << " -> " << after.bytes;
  Reopen();
  EXPECT_EQ(Restored(), 2u);
  const Rows all = QuarantineInMemory();
  EXPECT_EQ(all.size(), Evaluate(events_).quarantined);
  EXPECT_EQ(Quarantine(), all);
  EXPECT_EQ(Quarantine("batch"), all);
}

// ---- retention -------------------------------------------------------------------------------

TEST_F(CheckpointTest, RetentionKeepsWhatTheOldestKeptCheckpointNeeds) {
  EngineOptions options;
  options.keep_checkpoints = 2;
  Open(options, /*segment_bytes=*/2048);
  log::RetentionPolicy everything;
  everything.max_bytes = 1;  // as little as possible: only the pin holds segments back
  auto starts = [&] {
    std::vector<uint64_t> out;
    for (uint32_t p = 0; p < bronze_->partition_count(); ++p)
      out.push_back(bronze_->partition(p).start_offset());
    return out;
  };
  Add(300);
  StepUntilCaughtUp();
  // No checkpoint yet: a restart recomputes from 0, so nothing may go.
  ASSERT_OK_AND_ASSIGN(uint32_t removed, store_->ApplyRetention(everything, NowMicros()));
  EXPECT_EQ(removed, 0u);
  ASSERT_OK_AND_ASSIGN(CheckpointInfo first, engine_->Checkpoint());
  ASSERT_OK_AND_ASSIGN(CheckpointMeta first_meta,
                       ReadCheckpointMeta(FileSystem::Default(), CheckpointDir(first.seq)));
  Add(300);
  StepUntilCaughtUp();
  ASSERT_OK(engine_->Checkpoint().status());
  ASSERT_OK_AND_ASSIGN(removed, store_->ApplyRetention(everything, NowMicros()));
  EXPECT_GT(removed, 0u);
  // Everything the oldest kept checkpoint (the first) still needs is there.
  const std::vector<uint64_t>& pinned = first_meta.Find("main")->offsets.at(kBronze);
  std::vector<uint64_t> after_first = starts();
  for (size_t p = 0; p < pinned.size(); ++p)
    EXPECT_LE(after_first[p], pinned[p]) << "partition " << p;
  // A third checkpoint drops the first: the pin moves on and retention follows.
  Add(300);
  StepUntilCaughtUp();
  ASSERT_OK(engine_->Checkpoint().status());
  EXPECT_EQ(OnDisk(), (std::vector<uint64_t>{3, 2}));
  ASSERT_OK_AND_ASSIGN(removed, store_->ApplyRetention(everything, NowMicros()));
  EXPECT_GT(removed, 0u);
  ASSERT_OK_AND_ASSIGN(CheckpointMeta second,
                       ReadCheckpointMeta(FileSystem::Default(), CheckpointDir(2)));
  std::vector<uint64_t> after_second = starts();
  for (size_t p = 0; p < after_second.size(); ++p) {
    EXPECT_LE(after_second[p], second.Find("main")->offsets.at(kBronze)[p]) << "partition " << p;
  }
  EXPECT_NE(after_second, after_first);
  Reopen();
  EXPECT_EQ(Restored(), 3u);
  StepUntilCaughtUp();
  EXPECT_EQ(Query(Star(kKappa)), Evaluate(events_).gold);
  // With no checkpoint that verifies, the views would need bronze that retention removed:
  // Open refuses instead of serving a partial recompute.
  for (uint64_t seq : OnDisk())
    WriteAll(filename::CheckpointMeta(CheckpointDir(seq)), "garbage");
  Status s = TryOpen();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("retention removed"), std::string::npos) << s.ToString();
}

// ---- abort points ----------------------------------------------------------------------------

struct AbortCase {
  const char* point;
  bool new_state;  // the restart finds the new checkpoint
};

class CheckpointAbortTest : public CheckpointTest,
                            public ::testing::WithParamInterface<AbortCase> {};

TEST_P(CheckpointAbortTest, ARestartFindsTheOldOrTheNewCheckpoint) {
  Open();
  Add(300);
  StepUntilCaughtUp();
  ASSERT_OK(engine_->RunBatch().status());
  ASSERT_OK(engine_->Checkpoint().status());  // the old state: 300 events
  Add(200);
  StepUntilCaughtUp();
  ASSERT_OK(engine_->RunBatch().status());
  ArmAbortPoint(GetParam().point);
  auto r = engine_->Checkpoint();  // the new state: 500 events
  ASSERT_EQ(r.status().code(), StatusCode::kAborted) << r.status().ToString();
  CrashAndReopen();
  EXPECT_TRUE(engine_->warnings().empty()) << engine_->warnings().front();
  EXPECT_EQ(Restored(), GetParam().new_state ? 2u : 1u);
  EXPECT_EQ(Streaming(), Upto(GetParam().new_state ? 500 : 300));
  EXPECT_EQ(Query(Star(kLambda), "batch"), Upto(GetParam().new_state ? 500 : 300));
  ExpectCurrent();
  // The next checkpoint goes through, past whatever the abort left.
  ASSERT_OK_AND_ASSIGN(CheckpointInfo next, engine_->Checkpoint());
  EXPECT_EQ(next.seq, GetParam().new_state ? 3u : 2u);
  Reopen();
  EXPECT_TRUE(engine_->warnings().empty());
  ExpectCurrent();
}

INSTANTIATE_TEST_SUITE_P(Points, CheckpointAbortTest,
                         ::testing::Values(AbortCase{"checkpoint.before_meta", false},
                                           AbortCase{"checkpoint.before_rename", false},
                                           AbortCase{"checkpoint.before_prune", true}),
                         [](const auto& info) {
                           std::string name = info.param.point;
                           std::replace(name.begin(), name.end(), '.', '_');
                           return name;
                         });

class CutoverAbortTest : public CheckpointTest, public ::testing::WithParamInterface<AbortCase> {};

TEST_P(CutoverAbortTest, ARestartServesTheOldOrTheNewLane) {
  Open();
  Add(400);
  StepUntilCaughtUp();
  ReplayOptions replay;
  replay.name = "fix";
  replay.sql_text = Pipeline("WHERE grp <> 'a'");
  ASSERT_OK_AND_ASSIGN(ReplayResult done, engine_->Replay(kKappa, replay));
  ASSERT_TRUE(done.finished);
  Add(50);  // the lane moves after its replay version: the cutover publishes a new one
  StepUntilCaughtUp();
  ASSERT_OK(engine_->Checkpoint().status());
  const Rows all = Evaluate(events_).gold;
  ASSERT_NE(all, Fixed(all));
  ArmAbortPoint(GetParam().point);
  auto r = engine_->Cutover(kKappa, "fix");
  ASSERT_EQ(r.status().code(), StatusCode::kAborted) << r.status().ToString();
  CrashAndReopen();
  const bool cut = GetParam().new_state;
  EXPECT_EQ(Query(Star(kKappa)), cut ? Fixed(all) : all);
  EXPECT_NE(engine_->ViewsJson().find(cut ? R"("lane": "fix")" : R"("lane": "main")"),
            std::string::npos)
      << engine_->ViewsJson();
  ExpectCurrent(/*fixed_kappa=*/cut);
  // The cutover can be done (again) and undone.
  ASSERT_OK(engine_->Cutover(kKappa, "fix").status());
  EXPECT_EQ(Query(Star(kKappa)), Fixed(Evaluate(events_).gold));
  ASSERT_OK(engine_->Rollback(kKappa).status());
  EXPECT_EQ(Query(Star(kKappa)), Evaluate(events_).gold);
}

INSTANTIATE_TEST_SUITE_P(Points, CutoverAbortTest,
                         ::testing::Values(AbortCase{"cutover.before_live", false},
                                           AbortCase{"cutover.before_serving", true}),
                         [](const auto& info) {
                           std::string name = info.param.point;
                           std::replace(name.begin(), name.end(), '.', '_');
                           return name;
                         });

// A Kappa chain: gold.k_sizes reads gold.k_by_grp and is served with it. The root's switch
// is the commit point of a cutover; a crash before its reader's switch is completed at Open.
TEST_F(CheckpointTest, AnInterruptedChainCutoverIsCompletedAtRestart) {
  const std::string reader =
      "CREATE MATERIALIZED VIEW gold.k_sizes AS\n"
      "SELECT n > 3 AS big, count(*) AS groups, sum(n) AS n FROM gold.k_by_grp GROUP BY 1;\n";
  sql_ = Pipeline() + reader;
  Open();
  Add(400);
  StepUntilCaughtUp();
  ReplayOptions replay;
  replay.name = "fix";
  replay.sql_text = Pipeline("WHERE grp <> 'a'") + reader;
  ASSERT_OK_AND_ASSIGN(ReplayResult done, engine_->Replay(kKappa, replay));
  ASSERT_TRUE(done.finished);
  ASSERT_OK(engine_->Checkpoint().status());
  // The lane each view's live marker names (the replay gave each view of the chain a first
  // live version of the main lane, so that a rollback has a target).
  auto live_lane = [&](const char* view) -> std::string {
    auto live = engine_->LiveVersion(view);
    EXPECT_TRUE(live.ok()) << live.status().ToString();
    if (!live.ok() || !*live) return "";
    auto versions = engine_->Versions(view);
    EXPECT_TRUE(versions.ok());
    for (const VersionInfo& v : *versions) {
      if (v.version == **live) return v.name;
    }
    return "?";
  };
  const Rows all = Evaluate(events_).gold;
  ArmAbortPoint("cutover.before_reader");
  EXPECT_EQ(engine_->Cutover(kKappa, "fix").status().code(), StatusCode::kAborted);
  EXPECT_EQ(live_lane(kKappa), "fix");
  EXPECT_EQ(live_lane("gold.k_sizes"), "main");  // behind its root
  CrashAndReopen();
  ASSERT_EQ(engine_->warnings().size(), 1u);
  EXPECT_NE(engine_->warnings()[0].find("gold.k_sizes follows it to lane fix"), std::string::npos)
      << engine_->warnings()[0];
  EXPECT_EQ(live_lane(kKappa), "fix");
  EXPECT_EQ(live_lane("gold.k_sizes"), "fix");
  EXPECT_EQ(Query(Star(kKappa)), Fixed(all));
  for (const char* view : {kKappa, "gold.k_sizes"}) {
    auto d = quality::Drift(*engine_, view);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_TRUE(d->identical()) << view << "\n" << d->ToText();
  }
  // Nothing is left to complete; the chain rolls back together.
  Reopen();
  EXPECT_TRUE(engine_->warnings().empty());
  ASSERT_OK(engine_->Rollback(kKappa).status());
  EXPECT_EQ(live_lane(kKappa), "main");
  EXPECT_EQ(live_lane("gold.k_sizes"), "main");
  EXPECT_EQ(Query(Star(kKappa)), all);
}

// ---- corruption ------------------------------------------------------------------------------

TEST_F(CheckpointTest, ACorruptNewestCheckpointFallsBackToThePreviousOne) {
  Open();
  Add(300);
  StepUntilCaughtUp();
  ASSERT_OK(engine_->RunBatch().status());
  ReplayOptions replay;  // a replay lane, so that the checkpoint holds a lane file too
  replay.name = "again";
  ASSERT_OK(engine_->Replay(kKappa, replay).status());
  ASSERT_OK(engine_->Checkpoint().status());  // 1: 300 events
  Add(200);
  StepUntilCaughtUp();
  ASSERT_OK(engine_->Checkpoint().status());  // 2: 500 events
  Add(100);
  Close();

  const std::string newest = CheckpointDir(2);
  auto files = FileSystem::Default()->ListDir(newest);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(*files,
            (std::vector<std::string>{"META", "batch.state", "lane.again.state", "main.state"}));
  struct Damage {
    std::string file;
    std::string what;
    std::function<std::string(std::string)> apply;
  };
  std::vector<Damage> damages;
  for (const std::string& file : *files) {
    for (double at : {0.0, 0.5, 1.0}) {
      damages.push_back({file, "flip at " + std::to_string(at), [at](std::string b) {
                           size_t i = std::min(b.size() - 1, static_cast<size_t>(at * b.size()));
                           b[i] = static_cast<char>(b[i] ^ 0x5a);
                           return b;
                         }});
    }
  }
  damages.push_back({"META", "truncated", [](std::string b) { return b.substr(0, b.size() / 2); }});
  damages.push_back({"main.state", "truncated", [](std::string b) { return b.substr(0, 10); }});
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.file + " " + d.what);
    const std::string path = JoinPath(newest, d.file);
    const std::string good = ReadAll(path);
    WriteAll(path, d.apply(good));
    Open();
    ASSERT_EQ(engine_->warnings().size(), 1u);
    EXPECT_NE(engine_->warnings()[0].find("checkpoint 2 skipped"), std::string::npos)
        << engine_->warnings()[0];
    EXPECT_EQ(Restored(), 1u);
    EXPECT_EQ(Streaming(), Upto(300));  // never the corrupt state, never a mix
    EXPECT_NE(engine_->StatusJson().find("checkpoint 2 skipped"), std::string::npos);
    ExpectCurrent();
    Close();
    WriteAll(path, good);
  }
  // Nothing verifies: every lane recomputes from offset 0, with a warning.
  for (uint64_t seq : {1, 2}) {
    const std::string meta = filename::CheckpointMeta(CheckpointDir(seq));
    WriteAll(meta, ReadAll(meta).substr(1));
  }
  Open();
  ASSERT_EQ(engine_->warnings().size(), 3u);
  EXPECT_NE(engine_->warnings()[2].find("no checkpoint verifies"), std::string::npos);
  EXPECT_EQ(Streaming(), Rows{});
  ExpectCurrent();
}

// ---- replay --from-checkpoint ------------------------------------------------------------------

TEST_F(CheckpointTest, AReplayStartsFromACheckpointOfTheSameLogicOnly) {
  Open();
  Add(300);
  StepUntilCaughtUp();
  ASSERT_OK(engine_->Checkpoint().status());
  Add(100);
  StepUntilCaughtUp();
  ReplayOptions same;
  same.name = "rebuilt";
  same.from_checkpoint = "latest";
  ASSERT_OK_AND_ASSIGN(ReplayResult r, engine_->Replay(kKappa, same));
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.records, 100u);  // only what came after the checkpoint
  ASSERT_OK_AND_ASSIGN(Diff d, quality::Validate(*engine_, kKappa, "rebuilt"));
  EXPECT_TRUE(d.identical()) << d.ToText();
  ASSERT_OK(engine_->Cutover(kKappa, "rebuilt").status());
  ExpectCurrent();

  ReplayOptions other;
  other.name = "fix";
  other.sql_text = Pipeline("WHERE grp <> 'a'");
  other.from_checkpoint = "1";
  auto refused = engine_->Replay(kKappa, other);
  ASSERT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_OK_AND_ASSIGN(CheckpointMeta meta,
                       ReadCheckpointMeta(FileSystem::Default(), CheckpointDir(1)));
  EXPECT_NE(refused.status().message().find(meta.Find("main")->logic_hash), std::string::npos)
      << refused.status().message();
  auto plan = runtime::LoadPipeline(other.sql_text, "fix.sql");
  ASSERT_TRUE(plan.ok());
  auto executor = runtime::PipelineExecutor::Make(*plan);
  ASSERT_TRUE(executor.ok());
  EXPECT_NE(refused.status().message().find(LogicHash((*executor)->logic())), std::string::npos)
      << refused.status().message();
  other.from_checkpoint = "7";
  EXPECT_EQ(engine_->Replay(kKappa, other).status().code(), StatusCode::kNotFound);
  other.from_checkpoint = "newest";
  EXPECT_EQ(engine_->Replay(kKappa, other).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::serve
