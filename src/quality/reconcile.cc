// Validate and drift (quality/reconcile.h).
#include "quality/reconcile.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/runner.h"

namespace strata::quality {
namespace {

// The rows compared, with the checksums their versions would have.
Diff Compare(const serve::Engine& engine, std::string_view view, const Batch& left,
             std::string left_name, const Batch& right, std::string right_name,
             std::vector<std::pair<bool, size_t>>* differing = nullptr) {
  Diff d = CompareRows(engine.plan(), view, left, std::move(left_name), right,
                       std::move(right_name), differing);
  d.left_checksum = serve::RowsChecksum(left);
  d.right_checksum = serve::RowsChecksum(right);
  return d;
}

}  // namespace

Result<Diff> Validate(const serve::Engine& engine, std::string_view view, std::string_view name) {
  ASSIGN_OR_RETURN(auto rows, engine.LiveAndReplayRows(view, name));
  return Compare(engine, view, rows.first, "live", rows.second, std::string(name));
}

Result<Diff> Drift(const serve::Engine& engine, std::string_view view) {
  ASSIGN_OR_RETURN(serve::DriftSource source, engine.DriftSourceOf(view));
  const sql::Pipeline& plan = source.plan;
  const Batch& live = source.live;
  const size_t batch_records = engine.options().batch_run_records;
  auto recompute = [&](bool speed) -> Result<std::unique_ptr<runtime::PipelineExecutor>> {
    ASSIGN_OR_RETURN(auto fresh, runtime::PipelineExecutor::Make(plan));
    if (source.start) RETURN_IF_ERROR(fresh->StartAt(*source.start));
    fresh->set_include_late(true);
    if (speed && source.lambda_boundary) {
      // The speed path of a Lambda view: batch(T), authoritative, then the epochs after T.
      RETURN_IF_ERROR(runtime::CatchUp(engine.store(), fresh.get(), plan, batch_records,
                                       &*source.lambda_boundary)
                          .status());
    }
    if (speed) fresh->set_include_late(false);
    RETURN_IF_ERROR(
        runtime::CatchUp(engine.store(), fresh.get(), plan, batch_records, &source.covered)
            .status());
    return fresh;
  };
  ASSIGN_OR_RETURN(auto fresh, recompute(false));
  ASSIGN_OR_RETURN(Batch recomputed, fresh->Rows(view));
  std::vector<std::pair<bool, size_t>> differing;
  Diff d = Compare(engine, view, live, "live", recomputed, "recompute", &differing);
  d.boundary = source.covered;
  // The windowed views whose late decisions reach `view`: itself and the views it reads.
  std::vector<const sql::GoldView*> late_deciders;
  for (const sql::GoldView* g = plan.FindGold(view); g != nullptr;
       g = g->from_gold ? plan.FindGold(g->source) : nullptr) {
    if (g->window) late_deciders.push_back(g);
  }
  if (!late_deciders.empty()) {
    ASSIGN_OR_RETURN(auto speed, recompute(true));
    ASSIGN_OR_RETURN(Batch expected, speed->Rows(view));
    Diff u = Compare(engine, view, live, "live", expected, "speed recompute");
    d.unexplained = u.added + u.removed + u.changed;
    for (const sql::GoldView* g : late_deciders) {
      d.late_records += speed->late_counters(g->name)->late;
      d.late_tables.push_back(g->late_table);
    }
    // Rows map to windows only in the view that assigns them.
    if (late_deciders.front()->name == view) {
      ASSIGN_OR_RETURN(Batch late, speed->Rows(late_deciders.front()->late_table));
      AttributeLate(*late_deciders.front(), late, live, recomputed, differing, &d);
    }
  }
  return d;
}

}  // namespace strata::quality
