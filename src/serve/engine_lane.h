// Internal to serve::Engine (engine.cc, engine_checkpoint.cc): what a lane is, and the
// names of the two lanes every engine has.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runtime/executor.h"
#include "serve/engine.h"
#include "sql/plan.h"

namespace strata::serve {

inline constexpr char kMain[] = "main";    // the pipeline's own lane: the speed path
inline constexpr char kBatch[] = "batch";  // the published batch(T), in checkpoints

struct Engine::Lane {
  std::string name;
  std::string sql_text;
  std::string sql_name;
  sql::Pipeline plan;
  std::unique_ptr<runtime::PipelineExecutor> executor;
  std::optional<uint64_t> from_offset;  // a replay that skipped the records before it
};

}  // namespace strata::serve
