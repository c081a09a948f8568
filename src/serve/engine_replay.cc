// serve::Engine's Kappa lanes: replay (resumable, throttled, from an offset or a
// checkpoint), cutover of a chain with its commit point, rollback.
#include "serve/engine.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/abort_point.h"
#include "common/file_system.h"
#include "common/json_writer.h"
#include "runtime/runner.h"
#include "serve/engine_lane.h"
#include "serve/lane_file.h"

namespace strata::serve {

using runtime::Offsets;

std::string ReplayResult::ToJson() const {
  JsonObject o;
  o.Add("name", name)
      .Add("records", records)
      .Add("seconds", seconds)
      .Add("resumed", resumed)
      .Add("finished", finished);
  o.AddRaw("version", version ? VersionInfoJson(*version) : "null");
  return o.Finish();
}

Result<ReplayResult> Engine::Replay(std::string_view view, ReplayOptions options) {
  RETURN_IF_ERROR(RequireWritable());
  ReplayResult result;
  const Micros start = MonotonicMicros();
  std::string sql_text;
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CheckReplayLocked(view, &options));
    sql_text = options.sql_text.empty() ? main_->sql_text : options.sql_text;
  }
  result.name = options.name;
  ASSIGN_OR_RETURN(auto lane, MakeLane(options.name, sql_text, options.sql_name));
  if (lane->plan.FindGold(view) == nullptr) {
    return Status::InvalidArgument(options.sql_name + " has no view " + std::string(view));
  }
  ASSIGN_OR_RETURN(result.resumed, StartLane(lane.get(), options));
  ASSIGN_OR_RETURN(bool caught_up, RunLane(lane.get(), options, start, &result.records));
  if (caught_up) {
    // Caught up with the log as it was; join the speed path and publish a version.
    ChangeLock lock(this);
    RETURN_IF_ERROR(FinishReplayLocked(view, std::move(lane), &result));
  }
  result.seconds = (MonotonicMicros() - start) / 1e6;
  return result;
}

Status Engine::CheckReplayLocked(std::string_view view, ReplayOptions* options) const {
  const sql::GoldView* g = main_->plan.FindGold(view);
  if (g == nullptr) return Status::NotFound("the pipeline has no gold view " + std::string(view));
  if (g->serving != sql::Serving::kKappa) {
    return Status::InvalidArgument(std::string(view) +
                                   " is served by Lambda: its batch runs recompute it "
                                   "(replay, validate and cutover are for Kappa views)");
  }
  RETURN_IF_ERROR(RefuseChainMember(main_->plan, view, "replay"));
  if (options->name.empty()) options->name = "replay-" + std::to_string(NowMicros() / 1000000);
  if (options->name == kMain || options->name == kBatch ||
      options->name.find_first_of("/. ") != std::string::npos) {
    return Status::InvalidArgument("replay name " + options->name +
                                   ": pick another (letters, digits, - and _)");
  }
  if (replays_.count(options->name)) {
    return Status::AlreadyExists("a replay named " + options->name +
                                 " exists; validate or cut over to it, or pick another name");
  }
  if (options->from_offset && options->from_checkpoint) {
    return Status::InvalidArgument("give --from-offset or --from-checkpoint, not both");
  }
  return Status::OK();
}

Status Engine::SaveLaneState(const Lane& lane) const {
  LaneFile file{lane.sql_text, lane.from_offset, lane.done, ""};
  RETURN_IF_ERROR(lane.executor->Save(&file.state));
  return WriteLaneFile(fs_, LaneDir(), lane.name, file);
}

Result<bool> Engine::StartLane(Lane* lane, const ReplayOptions& options) const {
  ASSIGN_OR_RETURN(std::optional<LaneFile> existing, ReadLaneFile(fs_, LaneDir(), lane->name));
  if (existing) {
    if (existing->sql_text != lane->sql_text) {
      return Status::FailedPrecondition("an unfinished replay named " + lane->name +
                                        " used other SQL; pick another name");
    }
    RETURN_IF_ERROR(LoadLane(lane));
    return true;  // resumed
  }
  if (options.from_offset) {
    lane->from_offset = options.from_offset;
    RETURN_IF_ERROR(lane->executor->StartAt(Uniform(lane->plan, *options.from_offset)));
  }
  if (options.from_checkpoint) {
    // The main lane's state in that checkpoint, when it ran the same logic: the replay
    // goes on from its offsets instead of 0.
    ASSIGN_OR_RETURN(LoadedCheckpoint c, FindCheckpoint(*options.from_checkpoint));
    const std::string mine = LogicHash(lane->executor->logic());
    const std::string theirs = c.meta.Find(kMain)->logic_hash;
    if (theirs != mine) {
      return Status::FailedPrecondition(
          "--from-checkpoint: checkpoint " + std::to_string(c.meta.seq) +
          " holds the state of logic " + theirs + ", but " + options.sql_name + " has logic " +
          mine +
          " (a replay starts from a checkpoint only with the same logic; replay from offset 0 "
          "instead)");
    }
    RETURN_IF_ERROR(lane->executor->Load(c.blobs.at(kMain)));
  }
  RETURN_IF_ERROR(SaveLaneState(*lane));
  return false;
}

Result<bool> Engine::RunLane(Lane* lane, const ReplayOptions& options, Micros start,
                             uint64_t* records) const {
  // To the end of the log as it is now, in chunks, throttled, saving as it goes.
  ASSIGN_OR_RETURN(Offsets target, EndOffsets(store_, lane->plan));
  for (auto& [table, offsets] : target) {
    for (uint32_t p = 0; p < offsets.size(); ++p)
      offsets[p] = std::max(offsets[p], lane->executor->next_offset(table, p));
  }
  const uint64_t first = Total(lane->executor->offsets());
  const uint64_t todo = Total(target) - first;
  Micros last_save = MonotonicMicros();
  const uint64_t chunk = options_.batch_run_records;
  while (true) {
    Offsets until = target;
    for (auto& [table, offsets] : until) {
      for (uint32_t p = 0; p < offsets.size(); ++p) {
        offsets[p] = std::min(offsets[p], lane->executor->next_offset(table, p) + chunk);
      }
    }
    ASSIGN_OR_RETURN(uint64_t n, runtime::CatchUp(store_, lane->executor.get(), lane->plan,
                                                  options_.batch_run_records, &until));
    const uint64_t done = Total(lane->executor->offsets()) - first;
    *records = done;
    if (options.progress) options.progress(done, todo);
    if (n == 0) return true;
    if (options.rate > 0) {  // throttle: never ahead of `rate` events per second
      double ahead = done / options.rate - (MonotonicMicros() - start) / 1e6;
      if (ahead > 0) std::this_thread::sleep_for(std::chrono::duration<double>(ahead));
    }
    if (MonotonicMicros() - last_save > 5'000'000) {
      RETURN_IF_ERROR(SaveLaneState(*lane));
      last_save = MonotonicMicros();
    }
    if (options.stop != nullptr && options.stop->load()) {
      RETURN_IF_ERROR(SaveLaneState(*lane));
      return false;
    }
  }
}

Status Engine::FinishReplayLocked(std::string_view view, std::unique_ptr<Lane> lane,
                                  ReplayResult* result) {
  ASSIGN_OR_RETURN(uint64_t more, runtime::CatchUp(store_, lane->executor.get(), lane->plan,
                                                   options_.batch_run_records));
  result->records += more;
  lane->done = true;
  RETURN_IF_ERROR(SaveLaneState(*lane));
  // Not live: the replay stands beside the live version until a cutover. The live path
  // gets its first version first, so that a rollback has a target (the view's readers
  // too: they move with it).
  std::vector<std::string> chain = ReadersOf(main_->plan, view);
  chain.insert(chain.begin(), std::string(view));
  for (const std::string& v : chain) {
    ASSIGN_OR_RETURN(auto live, versions_->Live(v));
    if (live) continue;
    ASSIGN_OR_RETURN(Batch live_rows, main_->executor->Rows(v));
    RETURN_IF_ERROR(
        PublishLocked(v, *main_, live_rows, "streaming", kMain, true, main_->executor->offsets())
            .status());
  }
  ASSIGN_OR_RETURN(Batch rows, lane->executor->Rows(view));
  ASSIGN_OR_RETURN(result->version, PublishLocked(view, *lane, rows, "replay", lane->name,
                                                  /*live=*/false, lane->executor->offsets()));
  replays_[lane->name] = std::move(lane);
  result->finished = true;
  return Status::OK();
}

Result<VersionInfo> Engine::Cutover(std::string_view view, std::string_view name) {
  RETURN_IF_ERROR(RequireWritable());
  ChangeLock lock(this);
  auto it = replays_.find(name);
  if (it == replays_.end()) {
    return Status::NotFound("no finished replay named " + std::string(name));
  }
  const sql::GoldView* g = main_->plan.FindGold(view);
  if (g == nullptr || g->serving != sql::Serving::kKappa) {
    return Status::InvalidArgument(std::string(view) + " is not a Kappa view of the pipeline");
  }
  RETURN_IF_ERROR(RefuseChainMember(main_->plan, view, "cut over"));
  const Lane& lane = *it->second;
  const std::vector<std::string> readers = ReadersOf(main_->plan, view);
  for (const std::string& reader : readers) {
    if (lane.plan.FindGold(reader) == nullptr) {
      return Status::FailedPrecondition("the replay " + lane.name + " has no " + reader +
                                        ", which reads " + std::string(view) +
                                        " and moves with it: replay with SQL that defines it");
    }
  }
  // The view's own switch is the commit point; its readers follow (they are served with it
  // already). A crash in between leaves them behind, and Open completes their switch.
  ASSIGN_OR_RETURN(VersionInfo v, SwitchToLaneLocked(view, lane));
  for (const std::string& reader : readers) {
    RETURN_IF_ERROR(AbortPoint("cutover.before_reader"));
    RETURN_IF_ERROR(SwitchToLaneLocked(reader, lane).status());
  }
  return v;
}

Status Engine::CompleteChainSwitchesLocked() {
  for (const auto& g : main_->plan.gold) {
    if (g.serving != sql::Serving::kKappa || !g.from_gold) continue;
    ASSIGN_OR_RETURN(const Lane* root, ServingLaneLocked(g.name));  // its chain root's lane
    auto own = serving_.find(g.name);
    if ((own == serving_.end() ? std::string_view(kMain) : own->second) == root->name) continue;
    Warn("an interrupted cutover or rollback of " + ChainRoot(main_->plan, g.name) +
         " is completed: " + g.name + " follows it to lane " + root->name);
    RETURN_IF_ERROR(SwitchToLaneLocked(g.name, *root).status());
  }
  return Status::OK();
}

// Three durable steps, each a point a crash may stop at: (1) the lane's rows as a version
// (unless its newest version is current), (2) the live marker moves to it, (3) this engine
// serves the lane. A restart after (1) serves the old lane (the new version stands beside
// it, as after a replay); after (2) the new one (serving_ follows the marker).
Result<VersionInfo> Engine::SwitchToLaneLocked(std::string_view view, const Lane& lane) {
  std::optional<VersionInfo> v;
  auto newest = versions_->GetByName(view, lane.name);
  if (newest.ok() && newest->boundary == lane.executor->offsets()) {
    v = *newest;  // the lane has not moved since: that version becomes live as it is
  } else {
    ASSIGN_OR_RETURN(Batch rows, lane.executor->Rows(view));
    ASSIGN_OR_RETURN(v, PublishLocked(view, lane, rows, "replay", lane.name, /*live=*/false,
                                      lane.executor->offsets()));
  }
  RETURN_IF_ERROR(AbortPoint("cutover.before_live"));
  RETURN_IF_ERROR(versions_->SetLive(view, v->version));  // no edit when it is live already
  RETURN_IF_ERROR(AbortPoint("cutover.before_serving"));
  published_at_[std::string(view)] = lane.executor->offsets();
  serving_[std::string(view)] = lane.name;
  return *v;
}

Result<VersionInfo> Engine::Rollback(std::string_view view) {
  RETURN_IF_ERROR(RequireWritable());
  ChangeLock lock(this);
  if (main_->plan.FindGold(view) == nullptr) {
    return Status::NotFound("the pipeline has no gold view " + std::string(view));
  }
  RETURN_IF_ERROR(RefuseChainMember(main_->plan, view, "roll back"));
  RETURN_IF_ERROR(versions_->Rollback(view).status());
  published_at_.erase(std::string(view));
  RETURN_IF_ERROR(RefreshServingLocked(view));
  // The readers moved with it: their live versions go back too (a reader without an earlier
  // live version, from a replay of an older release, keeps its one).
  for (const std::string& reader : ReadersOf(main_->plan, view)) {
    auto back = versions_->Rollback(reader);
    if (!back.ok() && back.status().code() != StatusCode::kFailedPrecondition) {
      return back.status();
    }
    published_at_.erase(reader);
    RETURN_IF_ERROR(RefreshServingLocked(reader));
  }
  ASSIGN_OR_RETURN(auto serving, LiveVersionLocked(view));
  return versions_->Get(view, *serving);
}

}  // namespace strata::serve
