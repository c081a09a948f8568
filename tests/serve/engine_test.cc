// The serving engine end to end, in process: one Engine over a data directory in a TempDir,
// fed through the bronze log as `strata ingest` would. Restarts (Save, destroy, reopen),
// resumable replays, --from-offset lanes, time travel by timestamp, what publishes a
// version and what does not, and a concurrency stress whose answers are checked at
// quiescent points. Every expected answer comes from the naive reference evaluator of
// tests/runtime/property_model.h over the events the test generated itself.
#include "serve/engine.h"
#include "quality/reconcile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/hash.h"
#include "engine_test_util.h"
#include "log/store.h"
#include "runtime/property_model.h"
#include "runtime/runner.h"
#include "runtime/runtime_test_util.h"
#include "serve/checkpoint.h"
#include "serve/lane_file.h"
#include "testing/temp_dir.h"

namespace strata::serve {

using quality::Diff;
namespace {

using runtime::property::Evaluate;
using runtime::property::Event;
using runtime::property::kPartitions;

// Where each event lands in the log: the reference's (and ingest's) partitioning rule.
struct Placement {
  uint32_t partition;
  uint64_t offset;
};
std::vector<Placement> Place(const std::vector<Event>& events) {
  std::vector<Placement> out;
  uint64_t next[kPartitions] = {};
  for (const Event& e : events) {
    uint32_t p = PartitionForKey(e.malformed || !e.k ? "" : *e.k, kPartitions);
    out.push_back({p, next[p]++});
  }
  return out;
}

// The events at offset >= k of their partition, in order. Evaluate renumbers them from 0
// per partition, which keeps their order within each partition: the upsert's tie-breaks
// (partition, then offset) come out the same.
std::vector<Event> FromOffset(const std::vector<Event>& events, uint64_t k) {
  std::vector<Event> out;
  std::vector<Placement> at = Place(events);
  for (size_t i = 0; i < events.size(); ++i) {
    if (at[i].offset >= k) out.push_back(events[i]);
  }
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void Open(EngineOptions options = {}) {
    options_ = options;
    auto store = log::Store::Open(dir_.path(), log::StoreOptions{});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto plan = runtime::LoadPipeline(sql_, "pipeline.sql");
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    ASSERT_OK(runtime::EnsureBronzeTables(store_.get(), *plan));
    auto engine = Engine::Open(store_.get(), dir_.path(), sql_, "pipeline.sql", options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
    auto bronze = store_->GetTable(kBronze);
    ASSERT_TRUE(bronze.ok()) << bronze.status().ToString();
    bronze_ = *bronze;
  }
  // Destroys the engine, then the store (the store's lock goes with it).
  void Close() {
    engine_.reset();
    bronze_ = nullptr;
    store_.reset();
  }
  void Reopen() {
    Close();
    Open(options_);
  }

  // Generates `n` random events, remembers them and appends them to bronze.
  void Add(size_t n) {
    std::vector<std::string> lines;
    for (size_t i = 0; i < n; ++i) {
      events_.push_back(runtime::property::RandomEvent(rng_));
      lines.push_back(runtime::property::Json(events_.back()));
    }
    runtime::Ingest(bronze_, lines);
  }

  void StepUntilCaughtUp() {
    for (int i = 0; i < 10000 && !engine_->CaughtUp(); ++i) {
      auto r = engine_->Step();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    ASSERT_TRUE(engine_->CaughtUp());
  }

  // Serves kKappa from "tail", a lane replayed from kFrom (defined below) over kFromEvents
  // events, in chunks of 8 records (several after the start).
  void ServeTailFromOffset();

  Rows Query(const std::string& sql) {
    auto r = engine_->Query(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    if (!r.ok()) return {};
    return Text(*r);
  }
  Rows QueryRuntime(const std::string& sql, const char* runtime) {
    auto r = engine_->QueryRuntime(sql, runtime);
    EXPECT_TRUE(r.ok()) << sql << " (" << runtime << "): " << r.status().ToString();
    if (!r.ok()) return {};
    return Text(*r);
  }
  Rows AsOfVersion(const char* view, uint64_t version) {
    return Query(Star(view) + " AS OF VERSION " + std::to_string(version));
  }
  Rows AsOfTime(const char* view, Micros t) {
    return Query(Star(view) + " AS OF TIMESTAMP '" + std::to_string(t) + "'");
  }

  // The log's end per partition of bronze.events.
  std::vector<uint64_t> End() const {
    std::vector<uint64_t> out;
    for (uint32_t p = 0; p < bronze_->partition_count(); ++p)
      out.push_back(bronze_->partition(p).end_offset());
    return out;
  }

  ::strata::testing::TempDir dir_;
  std::string sql_ = Pipeline();
  EngineOptions options_;
  std::unique_ptr<log::Store> store_;
  std::unique_ptr<Engine> engine_;
  log::Table* bronze_ = nullptr;
  std::vector<Event> events_;
  std::mt19937_64 rng_{20260117};
};

// Waits a little so that two NowMicros() readings around it differ.
void Tick() {
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
}

// ---- 1. restart --------------------------------------------------------------------------

TEST_F(EngineTest, EverythingSurvivesSaveAndReopen) {
  Open();
  Add(300);
  StepUntilCaughtUp();
  ASSERT_OK_AND_ASSIGN(BatchRunResult batch, engine_->RunBatch());
  EXPECT_EQ(batch.records, 300u);
  ASSERT_EQ(batch.published.size(), 1u);
  Add(200);  // the speed path has these, batch(T) not
  StepUntilCaughtUp();

  const Rows all = Evaluate(events_).gold;
  ASSERT_FALSE(all.empty());
  ASSERT_NE(all, Fixed(all)) << "the seed gives no group 'a': the fix would change nothing";
  EXPECT_EQ(Query(Star(kLambda)), all);
  EXPECT_EQ(Query(Star(kKappa)), all);

  // Replay the fix beside the live view, validate, cut over.
  ReplayOptions replay;
  replay.name = "fix";
  replay.sql_text = Pipeline(kFixWhere);
  ASSERT_OK_AND_ASSIGN(ReplayResult r, engine_->Replay(kKappa, replay));
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.records, 500u);
  ASSERT_OK_AND_ASSIGN(Diff before, quality::Validate(*engine_, kKappa, "fix"));
  EXPECT_EQ(before.left_rows, all.size());
  EXPECT_EQ(before.right_rows, Fixed(all).size());
  EXPECT_EQ(before.removed, all.size() - Fixed(all).size());
  EXPECT_EQ(before.added, 0u);
  EXPECT_EQ(before.changed, 0u);
  ASSERT_OK_AND_ASSIGN(VersionInfo cut, engine_->Cutover(kKappa, "fix"));
  EXPECT_EQ(cut.name, "fix");
  EXPECT_EQ(Query(Star(kKappa)), Fixed(all));
  ASSERT_OK_AND_ASSIGN(Diff after, quality::Validate(*engine_, kKappa, "fix"));
  EXPECT_TRUE(after.identical()) << after.ToText();

  ASSERT_OK_AND_ASSIGN(auto lambda_versions, engine_->Versions(kLambda));
  ASSERT_OK_AND_ASSIGN(auto kappa_versions, engine_->Versions(kKappa));
  ASSERT_OK_AND_ASSIGN(auto lambda_live, engine_->LiveVersion(kLambda));
  ASSERT_OK_AND_ASSIGN(auto kappa_live, engine_->LiveVersion(kKappa));
  EXPECT_EQ(lambda_versions.size(), 1u);  // one batch run
  EXPECT_EQ(kappa_versions.size(), 2u);   // main (first live), fix
  EXPECT_EQ(kappa_live, cut.version);
  ASSERT_OK(engine_->Save());

  Reopen();
  EXPECT_EQ(Query(Star(kLambda)), all);
  EXPECT_EQ(Query(Star(kKappa)), Fixed(all));  // still served by the fix lane
  ASSERT_OK_AND_ASSIGN(auto lambda_versions2, engine_->Versions(kLambda));
  ASSERT_OK_AND_ASSIGN(auto kappa_versions2, engine_->Versions(kKappa));
  EXPECT_EQ(lambda_versions2, lambda_versions);
  EXPECT_EQ(kappa_versions2, kappa_versions);
  ASSERT_OK_AND_ASSIGN(auto lambda_live2, engine_->LiveVersion(kLambda));
  ASSERT_OK_AND_ASSIGN(auto kappa_live2, engine_->LiveVersion(kKappa));
  EXPECT_EQ(lambda_live2, lambda_live);
  EXPECT_EQ(kappa_live2, kappa_live);
  EXPECT_NE(engine_->ViewsJson().find(R"("lane": "fix")"), std::string::npos)
      << engine_->ViewsJson();
  // The finished replay lane came back: validate still works, and gives the same answer.
  ASSERT_OK_AND_ASSIGN(Diff restored, quality::Validate(*engine_, kKappa, "fix"));
  EXPECT_TRUE(restored.identical()) << restored.ToText();
  EXPECT_EQ(restored.right_checksum, after.right_checksum);
  EXPECT_EQ(restored.right_rows, Fixed(all).size());
  // Its name is still taken.
  auto again = engine_->Replay(kKappa, replay);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists) << again.status().ToString();

  // Every lane keeps streaming from where it was saved.
  Add(250);
  StepUntilCaughtUp();
  const Rows all2 = Evaluate(events_).gold;
  EXPECT_EQ(Query(Star(kLambda)), all2);
  EXPECT_EQ(Query(Star(kKappa)), Fixed(all2));
  EXPECT_EQ(QueryRuntime(Star(kKappa), "streaming"), all2);  // main, unfiltered
  EXPECT_EQ(QueryRuntime(Star(kLambda), "batch"),
            Evaluate(std::vector<Event>(events_.begin(), events_.begin() + 300)).gold);
  for (const char* view : {kLambda, kKappa, "silver.events"}) {
    ASSERT_OK_AND_ASSIGN(Diff d, quality::Drift(*engine_, view));
    EXPECT_TRUE(d.identical()) << view << "\n" << d.ToText();
    EXPECT_EQ(d.boundary.at(kBronze), End()) << view;
  }
  ASSERT_OK_AND_ASSIGN(BatchRunResult batch2, engine_->RunBatch());
  EXPECT_EQ(batch2.records, 750u);
  EXPECT_EQ(Query(Star(kLambda)), all2);
  EXPECT_EQ(QueryRuntime(Star(kLambda), "batch"), all2);
}

// ---- 2. replay resume --------------------------------------------------------------------

TEST_F(EngineTest, AStoppedReplayResumesWhereItStopped) {
  EngineOptions options;
  options.batch_run_records = 64;
  Open(options);
  Add(3000);
  StepUntilCaughtUp();
  const std::vector<uint64_t> end = End();
  uint64_t first_chunk = 0;
  for (uint64_t n : end) {
    ASSERT_GT(n, 3 * 64u) << "too few records for several chunks";
    first_chunk += std::min<uint64_t>(n, 64);
  }

  // Stop after the first chunk.
  std::atomic<bool> stop{false};
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  ReplayOptions replay;
  replay.name = "again";
  replay.stop = &stop;
  replay.progress = [&](uint64_t done, uint64_t todo) {
    calls.emplace_back(done, todo);
    stop = true;
  };
  ASSERT_OK_AND_ASSIGN(ReplayResult stopped, engine_->Replay(kKappa, replay));
  EXPECT_FALSE(stopped.finished);
  EXPECT_FALSE(stopped.resumed);
  EXPECT_FALSE(stopped.version.has_value());
  EXPECT_EQ(stopped.records, first_chunk);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], std::make_pair(first_chunk, uint64_t{3000}));
  // An unfinished replay is not a lane yet: nothing to validate or cut over to.
  EXPECT_EQ(quality::Validate(*engine_, kKappa, "again").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->Cutover(kKappa, "again").status().code(), StatusCode::kNotFound);

  // The same name with other SQL is refused while it is unfinished.
  ReplayOptions other;
  other.name = "again";
  other.sql_text = Pipeline(kFixWhere);
  auto refused = engine_->Replay(kKappa, other);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition)
      << refused.status().ToString();

  // Resume, and stop once more after a chunk.
  stop = false;
  calls.clear();
  ASSERT_OK_AND_ASSIGN(ReplayResult second, engine_->Replay(kKappa, replay));
  EXPECT_TRUE(second.resumed);
  EXPECT_FALSE(second.finished);
  EXPECT_EQ(second.records, first_chunk);  // the next 64 of each partition
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], std::make_pair(first_chunk, uint64_t{3000} - first_chunk));

  // Across a restart (an unfinished lane is not restored, but its files are), to the end.
  ASSERT_OK(engine_->Save());
  Reopen();
  EXPECT_EQ(quality::Validate(*engine_, kKappa, "again").status().code(), StatusCode::kNotFound);
  stop = false;
  calls.clear();
  replay.progress = [&](uint64_t done, uint64_t todo) { calls.emplace_back(done, todo); };
  ASSERT_OK_AND_ASSIGN(ReplayResult resumed, engine_->Replay(kKappa, replay));
  EXPECT_TRUE(resumed.resumed);
  EXPECT_TRUE(resumed.finished);
  EXPECT_EQ(stopped.records + second.records + resumed.records, 3000u);
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::make_pair(3000 - 2 * first_chunk, 3000 - 2 * first_chunk));
  ASSERT_TRUE(resumed.version.has_value());
  EXPECT_EQ(resumed.version->name, "again");
  EXPECT_EQ(resumed.version->origin, "replay");
  EXPECT_EQ(resumed.version->boundary.at(kBronze), end);

  // A fresh replay of the same SQL gives the same rows, and both are the reference's.
  ReplayOptions fresh;
  fresh.name = "fresh";
  ASSERT_OK_AND_ASSIGN(ReplayResult f, engine_->Replay(kKappa, fresh));
  EXPECT_FALSE(f.resumed);
  EXPECT_TRUE(f.finished);
  EXPECT_EQ(f.records, 3000u);
  ASSERT_TRUE(f.version.has_value());
  EXPECT_EQ(f.version->checksum, resumed.version->checksum);
  const Rows expected = Evaluate(events_).gold;
  EXPECT_EQ(AsOfVersion(kKappa, resumed.version->version), expected);
  EXPECT_EQ(AsOfVersion(kKappa, f.version->version), expected);
  for (const char* name : {"again", "fresh"}) {
    ASSERT_OK_AND_ASSIGN(Diff d, quality::Validate(*engine_, kKappa, name));
    EXPECT_TRUE(d.identical()) << name << "\n" << d.ToText();
    EXPECT_EQ(d.right_rows, expected.size());
  }
  // Finished: the name is taken now, whatever the SQL.
  EXPECT_EQ(engine_->Replay(kKappa, other).status().code(), StatusCode::kAlreadyExists);
}

// ---- 3. --from-offset --------------------------------------------------------------------

// Few records per partition, so that the ones before kFrom decide some groups' answers.
constexpr uint64_t kFrom = 20;
constexpr size_t kFromEvents = 120;

void EngineTest::ServeTailFromOffset() {
  EngineOptions options;
  options.batch_run_records = 8;
  Open(options);
  Add(kFromEvents);
  StepUntilCaughtUp();
  ReplayOptions replay;
  replay.name = "tail";
  replay.from_offset = kFrom;
  ASSERT_OK(engine_->Replay(kKappa, replay).status());
  ASSERT_OK(engine_->Cutover(kKappa, "tail").status());
}

TEST_F(EngineTest, AReplayFromAnOffsetLeavesOutEachPartitionsEarlierRecords) {
  EngineOptions options;
  options.batch_run_records = 8;  // several chunks after the start
  Open(options);
  Add(kFromEvents);
  StepUntilCaughtUp();
  uint64_t kept = 0;
  for (uint64_t n : End()) {
    ASSERT_GT(n, kFrom);
    kept += n - kFrom;
  }
  const Rows tail = Evaluate(FromOffset(events_, kFrom)).gold;
  ASSERT_NE(tail, Evaluate(events_).gold) << "the skipped records change nothing";

  ReplayOptions replay;
  replay.name = "tail";
  replay.from_offset = kFrom;
  ASSERT_OK_AND_ASSIGN(ReplayResult r, engine_->Replay(kKappa, replay));
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.records, kept);
  ASSERT_TRUE(r.version.has_value());
  EXPECT_EQ(AsOfVersion(kKappa, r.version->version), tail);
  EXPECT_EQ(r.version->boundary.at(kBronze), End());

  ASSERT_OK(engine_->Cutover(kKappa, "tail").status());
  EXPECT_EQ(Query(Star(kKappa)), tail);
  ASSERT_OK_AND_ASSIGN(Diff d, quality::Drift(*engine_, kKappa));
  EXPECT_TRUE(d.identical()) << d.ToText();
  EXPECT_EQ(d.right_rows, tail.size());

  // The lane keeps streaming; drift still recomputes from the same start.
  Add(300);
  StepUntilCaughtUp();
  const Rows tail2 = Evaluate(FromOffset(events_, kFrom)).gold;
  EXPECT_EQ(Query(Star(kKappa)), tail2);
  ASSERT_OK_AND_ASSIGN(Diff d2, quality::Drift(*engine_, kKappa));
  EXPECT_TRUE(d2.identical()) << d2.ToText();
  EXPECT_EQ(d2.boundary.at(kBronze), End());
  // The Lambda view and the main lane still see everything.
  EXPECT_EQ(Query(Star(kLambda)), Evaluate(events_).gold);
  EXPECT_EQ(QueryRuntime(Star(kKappa), "streaming"), Evaluate(events_).gold);
}

// A finished replay lane is restored with its from_offset, so after a reopen Drift
// recomputes a --from-offset lane from the same start.
TEST_F(EngineTest, DriftOfAFromOffsetLaneIsZeroAfterReopen) {
  ASSERT_NO_FATAL_FAILURE(ServeTailFromOffset());
  ASSERT_OK(engine_->Save());

  Reopen();
  const Rows tail = Evaluate(FromOffset(events_, kFrom)).gold;
  EXPECT_EQ(Query(Star(kKappa)), tail);  // the lane's state came back
  ASSERT_OK_AND_ASSIGN(Diff d, quality::Drift(*engine_, kKappa));
  EXPECT_TRUE(d.identical()) << d.ToText();
  EXPECT_EQ(d.right_rows, tail.size());
  Add(100);
  StepUntilCaughtUp();
  EXPECT_EQ(Query(Star(kKappa)), Evaluate(FromOffset(events_, kFrom)).gold);
  ASSERT_OK_AND_ASSIGN(Diff d2, quality::Drift(*engine_, kKappa));
  EXPECT_TRUE(d2.identical()) << d2.ToText();
}

// A data directory of an earlier release kept a lane in four files (NAME.sql, .from,
// .state, .done): the lane comes back from them, with its state and start, and they are
// replaced by one NAME.lane record.
TEST_F(EngineTest, ALaneInTheFilesOfAnEarlierReleaseRestoresAndMigrates) {
  ASSERT_NO_FATAL_FAILURE(ServeTailFromOffset());
  Close();
  // Rewrite tail.lane as the earlier release's files (no checkpoint holds the lane).
  FileSystem* fs = FileSystem::Default();
  const std::string lanes = dir_.path() + "/pipeline/lanes";
  ASSERT_OK_AND_ASSIGN(std::optional<LaneFile> lane, ReadLaneFile(fs, lanes, "tail"));
  ASSERT_TRUE(lane && lane->done && lane->from_offset == kFrom && !lane->state.empty());
  ASSERT_OK(fs->WriteFileAtomic(lanes + "/tail.sql", lane->sql_text));
  ASSERT_OK(fs->WriteFileAtomic(lanes + "/tail.from", std::to_string(*lane->from_offset)));
  ASSERT_OK(fs->WriteFileAtomic(lanes + "/tail.state", lane->state));
  ASSERT_OK(fs->WriteFileAtomic(lanes + "/tail.done", ""));
  ASSERT_OK(fs->Remove(lanes + "/tail.lane"));
  const std::string checkpoints = dir_.path() + "/pipeline/checkpoints";
  if (fs->Exists(checkpoints)) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> seqs, fs->ListDir(checkpoints));
    for (const std::string& seq : seqs)
      ASSERT_OK(RemoveCheckpointDir(fs, checkpoints + "/" + seq));
  }

  Open(options_);
  EXPECT_EQ(Query(Star(kKappa)), Evaluate(FromOffset(events_, kFrom)).gold);
  ASSERT_OK_AND_ASSIGN(Diff d, quality::Drift(*engine_, kKappa));
  EXPECT_TRUE(d.identical()) << d.ToText();
  EXPECT_EQ(fs->ListDir(lanes).value(), std::vector<std::string>{"tail.lane"});
  ASSERT_OK_AND_ASSIGN(std::optional<LaneFile> migrated, ReadLaneFile(fs, lanes, "tail"));
  ASSERT_TRUE(migrated);
  EXPECT_EQ(migrated->sql_text, lane->sql_text);
  EXPECT_EQ(migrated->from_offset, lane->from_offset);
  EXPECT_TRUE(migrated->done);
}

// ---- 4. concurrency ----------------------------------------------------------------------

// One thread ingests, one steps, one runs batches every ~50 ms, one queries and publishes;
// between rounds the ingest stops, the lanes catch up, and the answers must equal the
// reference while the other threads keep running. A replay and cutover of the Kappa view
// happen in the middle, with ingest running.
TEST_F(EngineTest, ConcurrentIngestStepBatchAndQueriesAgreeAtQuiescentPoints) {
  EngineOptions options;
  options.batch_records = 8;
  options.step_records = 32;
  options.batch_run_records = 64;
  options.keep_versions = 5;
  Open(options);
  std::atomic<bool> stop{false};
  std::atomic<int> steps{0}, batches{0}, queries{0};
  auto fail = [&](const char* what, const Status& s) {
    ADD_FAILURE() << what << ": " << s.ToString();
    stop = true;
  };
  std::vector<std::thread> workers;
  struct Joiner {  // also when an assertion returns early
    std::atomic<bool>* stop;
    std::vector<std::thread>* threads;
    ~Joiner() {
      *stop = true;
      for (auto& t : *threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{&stop, &workers};
  workers.emplace_back([&] {
    while (!stop) {
      auto r = engine_->Step();
      if (!r.ok()) return fail("Step", r.status());
      ++steps;
      if (*r == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  workers.emplace_back([&] {
    while (!stop) {
      auto r = engine_->RunBatch();
      if (!r.ok()) return fail("RunBatch", r.status());
      ++batches;
      for (int i = 0; i < 10 && !stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  workers.emplace_back([&] {
    while (!stop) {
      for (const char* view : {kLambda, kKappa}) {
        auto r = engine_->Query(Star(view));
        if (!r.ok()) return fail("Query", r.status());
        // Every answer is of some input: at most one row per key, and there are 12 keys.
        int64_t keys = 0;
        for (const auto& row : Text(*r))
          keys += std::stoll(row[1]);
        if (keys > 12) ADD_FAILURE() << view << " counts " << keys << " rows of 12 keys";
      }
      for (const char* runtime : {"streaming", "batch"}) {
        auto r = engine_->QueryRuntime(Star(kLambda), runtime);
        if (!r.ok()) return fail("QueryRuntime", r.status());
      }
      auto published = engine_->PublishStreaming();
      if (!published.ok()) return fail("PublishStreaming", published.status());
      auto versions = engine_->Versions(kKappa);
      if (!versions.ok()) return fail("Versions", versions.status());
      (void)engine_->StatusJson();
      (void)engine_->ViewsJson();
      Status saved = engine_->Save();  // serialized under the lock, written outside it
      if (!saved.ok()) return fail("Save", saved);
      if (queries % 8 == 0) {
        auto d = quality::Drift(*engine_, queries % 16 ? kLambda : kKappa);
        if (!d.ok()) return fail("Drift", d.status());
      }
      ++queries;
    }
  });

  bool fixed = false;
  for (int round = 0; round < 8 && !stop; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::thread ingest([&] {
      for (int chunk = 0; chunk < 12; ++chunk) {
        Add(1 + rng_() % 40);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    if (round == 2) {  // replay and cut over while ingest, steps and batches run
      ReplayOptions replay;
      replay.name = "fix";
      replay.sql_text = Pipeline(kFixWhere);
      auto r = engine_->Replay(kKappa, replay);
      EXPECT_TRUE(r.ok() && r->finished) << r.status().ToString();
      auto c = engine_->Cutover(kKappa, "fix");
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      fixed = r.ok() && c.ok();
    }
    ingest.join();
    // Quiescent: no more input; the stepper catches every lane up.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!engine_->CaughtUp() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(engine_->CaughtUp());
    const Rows all = Evaluate(events_).gold;
    EXPECT_EQ(Query(Star(kLambda)), all);
    EXPECT_EQ(Query(Star(kKappa)), fixed ? Fixed(all) : all);
    EXPECT_EQ(Query(Star("silver.events")), Evaluate(events_).silver);
    for (const char* view : {kLambda, kKappa}) {
      auto d = quality::Drift(*engine_, view);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      EXPECT_TRUE(d->identical()) << view << "\n" << d->ToText();
      EXPECT_EQ(d->boundary.at(kBronze), End()) << view;
    }
    if (fixed) {
      auto v = quality::Validate(*engine_, kKappa, "fix");
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      EXPECT_TRUE(v->identical()) << v->ToText();
    }
  }
  stop = true;
  for (auto& t : workers)
    t.join();
  workers.clear();
  EXPECT_TRUE(fixed);
  ASSERT_OK_AND_ASSIGN(auto lambda_versions, engine_->Versions(kLambda));
  ASSERT_OK_AND_ASSIGN(auto kappa_versions, engine_->Versions(kKappa));
  ASSERT_FALSE(lambda_versions.empty());
  ASSERT_FALSE(kappa_versions.empty());
  std::printf(
      "%zu events, %d steps, %d batch runs (%llu published), %d query rounds (%llu "
      "Kappa versions)\n",
      events_.size(), steps.load(), batches.load(),
      static_cast<unsigned long long>(lambda_versions.back().version), queries.load(),
      static_cast<unsigned long long>(kappa_versions.back().version));
  EXPECT_GE(lambda_versions.back().version, 3u);  // batch runs published during the rounds
  EXPECT_GE(kappa_versions.back().version, 3u);
  EXPECT_GE(batches.load(), 3);
  EXPECT_GT(queries.load(), 5);
  EXPECT_GT(steps.load(), 5);
  // Quiet again: everything saved comes back with the same answers.
  ASSERT_OK(engine_->Save());
  Reopen();
  const Rows all = Evaluate(events_).gold;
  EXPECT_EQ(Query(Star(kLambda)), all);
  EXPECT_EQ(Query(Star(kKappa)), Fixed(all));
}

// ---- 5. AS OF TIMESTAMP ------------------------------------------------------------------

TEST_F(EngineTest, AsOfTimestampReadsTheServingLanesNewestVersionThen) {
  Open();
  Add(60);
  StepUntilCaughtUp();
  const Micros before_any = NowMicros();
  Tick();
  ASSERT_OK_AND_ASSIGN(auto p1, engine_->PublishStreaming());
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_EQ(p1[0].name, "main");
  const Rows rows1 = Evaluate(events_).gold;
  Tick();
  const Micros t1 = NowMicros();
  Tick();

  Add(60);
  StepUntilCaughtUp();
  ASSERT_OK_AND_ASSIGN(auto p2, engine_->PublishStreaming());
  ASSERT_EQ(p2.size(), 1u);
  const Rows rows2 = Evaluate(events_).gold;
  Tick();
  const Micros t2 = NowMicros();
  Tick();

  ReplayOptions replay;
  replay.name = "fix";
  replay.sql_text = Pipeline(kFixWhere);
  ASSERT_OK_AND_ASSIGN(ReplayResult r, engine_->Replay(kKappa, replay));
  ASSERT_TRUE(r.version.has_value());
  const Rows rows3 = Fixed(Evaluate(events_).gold);
  ASSERT_NE(rows3, rows2);
  Tick();
  const Micros t3 = NowMicros();  // the replay is published, main still serves
  Tick();
  ASSERT_OK_AND_ASSIGN(VersionInfo cut, engine_->Cutover(kKappa, "fix"));
  EXPECT_EQ(cut.version, r.version->version);  // the lane did not move: made live as it is
  Tick();
  const Micros t4 = NowMicros();
  Tick();

  Add(60);
  StepUntilCaughtUp();
  ASSERT_OK_AND_ASSIGN(auto p4, engine_->PublishStreaming());
  ASSERT_EQ(p4.size(), 1u);
  EXPECT_EQ(p4[0].name, "fix");
  const Rows rows4 = Fixed(Evaluate(events_).gold);
  Tick();
  const Micros t5 = NowMicros();
  Tick();

  Add(60);
  StepUntilCaughtUp();
  ASSERT_OK_AND_ASSIGN(auto p5, engine_->PublishStreaming());
  ASSERT_EQ(p5.size(), 1u);
  const Rows rows5 = Fixed(Evaluate(events_).gold);
  Tick();
  const Micros t6 = NowMicros();
  Tick();

  ASSERT_OK_AND_ASSIGN(auto versions, engine_->Versions(kKappa));
  ASSERT_EQ(versions.size(), 5u);
  EXPECT_EQ(versions[1].created, p2[0].created);

  auto early =
      engine_->Query(Star(kKappa) + " AS OF TIMESTAMP '" + std::to_string(before_any) + "'");
  EXPECT_EQ(early.status().code(), StatusCode::kNotFound) << early.status().ToString();
  EXPECT_EQ(AsOfTime(kKappa, t1), rows1);
  EXPECT_EQ(AsOfTime(kKappa, t2), rows2);
  EXPECT_EQ(AsOfTime(kKappa, t3), rows2);  // a published replay does not serve
  EXPECT_EQ(AsOfTime(kKappa, t4), rows3);
  EXPECT_EQ(AsOfTime(kKappa, t5), rows4);
  EXPECT_EQ(AsOfTime(kKappa, t6), rows5);
  EXPECT_EQ(Query(Star(kKappa)), rows5);

  // Rolled back, main serves again; its newest version then is the one from before.
  ASSERT_OK_AND_ASSIGN(VersionInfo back, engine_->Rollback(kKappa));
  EXPECT_EQ(back.name, "main");
  Tick();
  const Micros t7 = NowMicros();
  Tick();
  EXPECT_EQ(AsOfTime(kKappa, t7), rows2);
  EXPECT_EQ(AsOfTime(kKappa, t6), rows5);  // history is unchanged
  EXPECT_EQ(Query(Star(kKappa)), Evaluate(events_).gold);
  ASSERT_OK_AND_ASSIGN(auto p8, engine_->PublishStreaming());
  ASSERT_EQ(p8.size(), 1u);
  EXPECT_EQ(p8[0].name, "main");
  Tick();
  EXPECT_EQ(AsOfTime(kKappa, NowMicros()), Evaluate(events_).gold);
}

// ---- 6. what publishes nothing -----------------------------------------------------------

TEST_F(EngineTest, NothingIsPublishedWhenNothingMoved) {
  Open();
  Add(100);
  StepUntilCaughtUp();
  ASSERT_OK_AND_ASSIGN(auto first, engine_->PublishStreaming());
  ASSERT_EQ(first.size(), 1u);  // the Kappa view only
  EXPECT_EQ(first[0].origin, "streaming");
  ASSERT_OK_AND_ASSIGN(auto none, engine_->PublishStreaming());
  EXPECT_TRUE(none.empty());
  Add(20);  // in the log, not consumed: the lane did not move
  ASSERT_OK_AND_ASSIGN(auto unmoved, engine_->PublishStreaming());
  EXPECT_TRUE(unmoved.empty());
  StepUntilCaughtUp();
  ASSERT_OK_AND_ASSIGN(auto moved, engine_->PublishStreaming());
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].version, first[0].version + 1);
  EXPECT_EQ(moved[0].boundary.at(kBronze), End());
  ASSERT_OK_AND_ASSIGN(auto kappa_versions, engine_->Versions(kKappa));
  EXPECT_EQ(kappa_versions.size(), 2u);

  ASSERT_OK_AND_ASSIGN(BatchRunResult b1, engine_->RunBatch());
  EXPECT_EQ(b1.records, 120u);
  ASSERT_EQ(b1.published.size(), 1u);  // the Lambda view only
  EXPECT_EQ(b1.published[0].origin, "batch");
  ASSERT_OK_AND_ASSIGN(BatchRunResult b2, engine_->RunBatch());
  EXPECT_EQ(b2.records, 0u);
  EXPECT_TRUE(b2.published.empty());
  EXPECT_EQ(b2.boundary, b1.boundary);
  ASSERT_OK_AND_ASSIGN(auto lambda_versions, engine_->Versions(kLambda));
  EXPECT_EQ(lambda_versions.size(), 1u);
  // New records, not yet streamed: the batch run has them.
  Add(10);
  ASSERT_OK_AND_ASSIGN(BatchRunResult b3, engine_->RunBatch());
  EXPECT_EQ(b3.records, 130u);
  ASSERT_EQ(b3.published.size(), 1u);
  EXPECT_EQ(AsOfVersion(kLambda, b3.published[0].version), Evaluate(events_).gold);
  // The speed path has not consumed them, yet the Lambda answer covers them: batch(T).
  EXPECT_EQ(Query(Star(kLambda)), Evaluate(events_).gold);
  ASSERT_OK_AND_ASSIGN(auto quiet, engine_->PublishStreaming());
  EXPECT_TRUE(quiet.empty());  // the Kappa lane did not move
}

// Status counts each view's rows without building the view: the count is what a query
// returns, for the Lambda and the Kappa view and for a view without GROUP BY (one row even
// over no input), before any input, after the speed path and after a batch run.
TEST_F(EngineTest, StatusCountsTheRowsAQueryReturns) {
  sql_ = Pipeline() +
         "CREATE MATERIALIZED VIEW gold.total WITH (serving = 'kappa') AS\n"
         "SELECT count(*) AS n, sum(amount) AS total FROM silver.events;\n";
  Open();
  auto check = [&](const std::string& when) {
    const std::string status = engine_->StatusJson();
    const size_t gold = status.find("\"gold\": [");
    ASSERT_NE(gold, std::string::npos) << status;
    for (const char* view : {kLambda, kKappa, "gold.total"}) {
      const size_t at = status.find("\"name\": \"" + std::string(view) + "\"", gold);
      ASSERT_NE(at, std::string::npos) << view << " " << status;
      // Its own "rows": before the next view's name.
      const size_t rows = status.find("\"rows\": ", at);
      ASSERT_LT(rows, status.find("\"name\": ", at + 1)) << view << " " << status;
      EXPECT_EQ(std::strtoull(status.c_str() + rows + 8, nullptr, 10), Query(Star(view)).size())
          << view << " " << when;
    }
  };
  check("before any input");
  Add(300);
  StepUntilCaughtUp();
  check("after the speed path");
  ASSERT_OK(engine_->RunBatch().status());
  Add(50);
  check("after a batch run");
  StepUntilCaughtUp();
  check("after the speed path again");
  EXPECT_EQ(Query(Star("gold.total")).size(), 1u);
}

// The first PublishStreaming after a reopen compares with the lane's newest stored version:
// a lane that did not move publishes nothing (a `strata run` that finds nothing new adds
// no duplicate version).
TEST_F(EngineTest, NothingIsPublishedAfterReopenWhenNothingMoved) {
  Open();
  Add(100);
  StepUntilCaughtUp();
  ASSERT_OK_AND_ASSIGN(auto first, engine_->PublishStreaming());
  ASSERT_EQ(first.size(), 1u);
  ASSERT_OK(engine_->RunBatch().status());
  ASSERT_OK(engine_->Save());

  Reopen();
  ASSERT_OK_AND_ASSIGN(auto none, engine_->PublishStreaming());
  EXPECT_TRUE(none.empty()) << none.size() << " versions published, the first "
                            << (none.empty() ? "" : VersionInfoJson(none[0]));
  ASSERT_OK_AND_ASSIGN(BatchRunResult b, engine_->RunBatch());
  EXPECT_TRUE(b.published.empty());
  ASSERT_OK_AND_ASSIGN(auto kappa_versions, engine_->Versions(kKappa));
  EXPECT_EQ(kappa_versions.size(), 1u);
}

// Readers answer from snapshots (engine.h, "Readers"): a step that holds the engine's lock
// for a long micro-batch does not hold them up, and they see the answer as of the last
// change, whole: never part of the micro-batch in flight.
TEST_F(EngineTest, ReadersAnswerFromASnapshotWhileAStepHoldsTheLock) {
  EngineOptions options;
  options.batch_records = 1u << 20;  // one micro-batch of everything: the lock held long
  options.step_records = 1u << 20;
  Open(options);
  Add(500);
  StepUntilCaughtUp();
  const Rows before = Evaluate(events_).gold;
  const Rows before_silver = Evaluate(events_).silver;
  ASSERT_EQ(Query(Star(kKappa)), before);  // builds the snapshots
  ASSERT_EQ(Query(Star("silver.events")), before_silver);
  Add(150000);
  const runtime::property::Reference after = Evaluate(events_);
  std::atomic<bool> started{false}, done{false};
  std::thread step([&] {
    started = true;
    auto r = engine_->Step();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    done = true;
  });
  while (!started)
    std::this_thread::yield();
  int during = 0;  // queries that began and ended while the step ran
  while (!done) {
    auto kappa = engine_->Query(Star(kKappa));
    auto silver = engine_->Query(Star("silver.events"));
    if (done) break;
    ASSERT_TRUE(kappa.ok() && silver.ok());
    // The step swaps its result in before the thread sets `done`: a reader may see all of
    // it then, never a part.
    if (Text(*kappa) == after.gold && Text(*silver) == after.silver) break;
    EXPECT_EQ(Text(*kappa), before);
    EXPECT_EQ(Text(*silver), before_silver);
    ++during;
  }
  step.join();
  // Without snapshots every query would wait for the step and see its result.
  EXPECT_GE(during, 3);
  StepUntilCaughtUp();
  EXPECT_EQ(Query(Star(kKappa)), after.gold);
  EXPECT_EQ(Query(Star("silver.events")), after.silver);
}

// Every change reaches the next reader: micro-batches, batch runs, a replay's cutover and
// its rollback, a reopen. Each answer is asked twice (the second from the snapshot the
// first built or the speed path rebuilt) and checked against the reference.
TEST_F(EngineTest, EveryChangeReachesTheNextReader) {
  EngineOptions options;
  options.batch_records = 8;
  options.step_records = 16;
  Open(options);
  std::mt19937_64 rng(7);
  bool fixed = false;  // the Kappa view is served by the replayed fix
  auto check = [&](const std::string& when) {
    const runtime::property::Reference ref = Evaluate(events_);
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(Query(Star(kLambda)), ref.gold) << when;
      EXPECT_EQ(Query(Star(kKappa)), fixed ? Fixed(ref.gold) : ref.gold) << when;
      EXPECT_EQ(Query("SELECT * FROM k_by_grp"), fixed ? Fixed(ref.gold) : ref.gold) << when;
      EXPECT_EQ(Query(Star("silver.events")), ref.silver) << when;
    }
  };
  for (int round = 0; round < 12; ++round) {
    const std::string when = "round " + std::to_string(round);
    Add(1 + rng() % 60);
    ASSERT_NO_FATAL_FAILURE(StepUntilCaughtUp());
    check(when + ", caught up");
    if (round % 3 == 1) {
      ASSERT_OK(engine_->RunBatch().status());
      check(when + ", after a batch run");
    }
    if (round == 4) {
      ReplayOptions replay;
      replay.name = "fix";
      replay.sql_text = Pipeline(kFixWhere);
      ASSERT_OK(engine_->Replay(kKappa, replay).status());
      check(when + ", after the replay");  // not served yet
      ASSERT_OK(engine_->Cutover(kKappa, "fix").status());
      fixed = true;
      check(when + ", after the cutover");
    }
    if (round == 8) {
      ASSERT_OK(engine_->Rollback(kKappa).status());
      fixed = false;
      check(when + ", after the rollback");
      ASSERT_OK(engine_->Save());
      Reopen();
      check(when + ", after a reopen");
    }
  }
}

}  // namespace
}  // namespace strata::serve
