// Reconciliation: does an answer agree with what it should be, and if not, why.
//   - Validate: a finished Kappa replay lane against the view's live answer (before a
//     cutover).
//   - Drift (DESIGN.md §4): the live answer against a fresh authoritative recompute over the
//     same input. For a windowed view the recompute counts the late records that the live
//     answer left out; Drift also recomputes what the speed path should serve (the same
//     input with the same late decisions) and reports the rows in which live differs from
//     it as unexplained, and attributes each differing row to the late records of its
//     window (see Diff).
// The engine hands over the answers and the input (serve::Engine::LiveAndReplayRows,
// DriftSourceOf); the recompute runs here, on fresh executors, outside the engine's lock.
#pragma once

#include <string_view>

#include "common/status.h"
#include "quality/diff.h"
#include "serve/engine.h"

namespace strata::quality {

Result<Diff> Validate(const serve::Engine& engine, std::string_view view, std::string_view name);
Result<Diff> Drift(const serve::Engine& engine, std::string_view view);

}  // namespace strata::quality
