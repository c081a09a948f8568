// The pipeline commands of the CLI: check, run (streaming), batch, query.
#pragma once

#include <cstddef>
#include <string>

namespace strata::api {

struct CheckArgs {
  std::string file, data;
};
struct RunArgs {
  std::string data, pipeline;
  bool until_caught_up = false;
  size_t batch_size = 1024;
};
struct BatchArgs {
  std::string data, pipeline, view, format;
};
struct QueryArgs {
  std::string data, sql, format, runtime;
};

int RunCheck(const CheckArgs& args);
int RunPipeline(const RunArgs& args);
int RunBatchCommand(const BatchArgs& args);
int RunQuery(const QueryArgs& args);

}  // namespace strata::api
