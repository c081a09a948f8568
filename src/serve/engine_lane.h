// Internal to serve::Engine (engine*.cc): what a lane is, the names of the two lanes every
// engine has, and the helpers its files share.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "log/store.h"
#include "runtime/executor.h"
#include "serve/engine.h"
#include "sql/plan.h"

namespace strata::serve {

inline constexpr char kMain[] = "main";    // the pipeline's own lane: the speed path
inline constexpr char kBatch[] = "batch";  // the published batch(T), in checkpoints

// The first view of `view`'s chain (the one reading a silver table): Kappa views reading
// views are served with it.
std::string ChainRoot(const sql::Pipeline& plan, std::string_view view);
// The views reading `view`, directly or through other views, in the pipeline's order.
std::vector<std::string> ReadersOf(const sql::Pipeline& plan, std::string_view view);
// A serving command on a Kappa view that reads a view: refused, naming its chain's root.
Status RefuseChainMember(const sql::Pipeline& plan, std::string_view view, std::string_view what);
// The end offset of every partition of the plan's bronze tables.
Result<runtime::Offsets> EndOffsets(log::Store* store, const sql::Pipeline& plan);
// `offset` for every partition of the plan's bronze tables.
runtime::Offsets Uniform(const sql::Pipeline& plan, uint64_t offset);
// The sum of all offsets: records consumed.
uint64_t Total(const runtime::Offsets& o);

struct Engine::Lane {
  std::string name;
  std::string sql_text;
  std::string sql_name;
  sql::Pipeline plan;
  std::unique_ptr<runtime::PipelineExecutor> executor;
  std::optional<uint64_t> from_offset;  // a replay that skipped the records before it
  bool done = false;                    // a replay lane that finished (lane_file.h)
};

}  // namespace strata::serve
