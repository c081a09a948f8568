// What serve::Engine hands to validate and drift (quality/reconcile.h): the answers to
// compare and the input behind them, read under the engine's lock. The comparing, and the
// recompute, are quality's: serve never recomputes.
#include "serve/engine.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/json_writer.h"
#include "runtime/runner.h"
#include "serve/engine_lane.h"

namespace strata::serve {

using runtime::Offsets;
using runtime::PipelineExecutor;

Result<std::pair<Batch, Batch>> Engine::LiveAndReplayRows(std::string_view view,
                                                          std::string_view name) const {
  Batch live, candidate;
  {
    absl::MutexLock lock(&mu_);
    auto it = replays_.find(name);
    if (it == replays_.end()) {
      return Status::NotFound("no finished replay named " + std::string(name) +
                              " (run `strata replay " + std::string(view) + " --as " +
                              std::string(name) + "`)");
    }
    if (main_->plan.FindGold(view) == nullptr) {
      return Status::NotFound("the pipeline has no gold view " + std::string(view));
    }
    ASSIGN_OR_RETURN(live, LiveRowsLocked(view));
    ASSIGN_OR_RETURN(candidate, it->second->executor->Rows(view));
  }
  return std::make_pair(std::move(live), std::move(candidate));
}

Result<DriftSource> Engine::DriftSourceOf(std::string_view view) const {
  DriftSource s;
  absl::MutexLock lock(&mu_);
  const sql::GoldView* g = main_->plan.FindGold(view);
  const Lane* lane = main_.get();
  if (g != nullptr && g->serving == sql::Serving::kKappa) {
    ASSIGN_OR_RETURN(lane, ServingLaneLocked(view));
  }
  if (lane->plan.FindColumns(view) == nullptr) {
    return Status::NotFound("the pipeline has no table or view " + std::string(view));
  }
  ASSIGN_OR_RETURN(s.live, LiveRowsLocked(view));
  s.plan = lane->plan;
  if (lane->from_offset) s.start = Uniform(lane->plan, *lane->from_offset);
  s.covered = lane->executor->offsets();
  if (g != nullptr && g->serving == sql::Serving::kLambda) {
    s.lambda_boundary = batch_->offsets();
    for (auto& [table, offsets] : s.covered) {
      const auto& t = batch_->offsets().at(table);
      for (size_t p = 0; p < offsets.size(); ++p)
        offsets[p] = std::max(offsets[p], t[p]);
    }
  }
  return s;
}

}  // namespace strata::serve
