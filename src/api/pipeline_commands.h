// The pipeline commands of the CLI: check, run (streaming), batch, query, and the serving
// commands versions, replay, validate, cutover, rollback, drift and status.
//
// Where a command takes `--server URL` it asks a running `strata server` over HTTP
// (api/http_server.h); with `--data DIR` it opens the data directory itself (embedded).
// Embedded read commands (query, versions, validate, drift, status) fall back to a
// read-only open, answering from the last saved state, when another process owns DIR.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace strata::api {

// Where a serving command runs: exactly one of the two is set.
struct Target {
  std::string data, server;
};

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
  Target target;
  std::string sql, format, runtime;
};
struct VersionsArgs {
  Target target;
  std::string view;
  bool json = false;
};
struct ReplayArgs {
  Target target;
  std::string view, pipeline, name;
  std::optional<uint64_t> from_offset;
  bool from_checkpoint = false;
  double rate = 0;
};
// validate VIEW NAME, cutover VIEW NAME, rollback VIEW, drift VIEW.
struct ViewArgs {
  Target target;
  std::string view, name;
  bool json = false;
};

int RunCheck(const CheckArgs& args);
int RunPipeline(const RunArgs& args);
int RunBatchCommand(const BatchArgs& args);
int RunQuery(const QueryArgs& args);
int RunVersions(const VersionsArgs& args);
int RunReplay(const ReplayArgs& args);
int RunValidate(const ViewArgs& args);
int RunCutover(const ViewArgs& args);
int RunRollback(const ViewArgs& args);
int RunDrift(const ViewArgs& args);
int RunStatus(const Target& target);

}  // namespace strata::api
