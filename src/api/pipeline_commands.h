// The pipeline commands of the CLI: check, run (streaming), batch, query, and the serving
// commands versions, replay, validate, cutover, rollback, drift and status.
//
// A serving command is written once, against api/client.h: with `--server URL` it asks a
// running `strata server` over HTTP (HttpClient); with `--data DIR` it opens the data
// directory itself (EmbeddedClient). Embedded read commands (query, versions, validate,
// drift, status) fall back to a read-only open, answering from the last saved state, when
// another process owns DIR.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "log/store.h"

namespace strata::api {

// Where a serving command runs: exactly one of data and server is set. With --server, the
// bearer token sent is --token, else $STRATA_TOKEN, else the first line of --token-file
// (default ~/.config/strata/token when it exists); none when there is none of them.
struct Target {
  std::string data, server;
  std::string token, token_file;
};
// The token a command against `target` sends (see Target); "" for none.
Result<std::string> ClientToken(const Target& target);

struct CheckArgs {
  std::string file, data;
  std::string format = "text";  // "text", "json" or "dot" (sql/graph.h)
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
  std::string from_checkpoint;  // "latest" or a checkpoint's sequence number; "": not given
  double rate = 0;
};
// validate VIEW NAME, cutover VIEW NAME, rollback VIEW, drift VIEW.
struct SchemasArgs {
  std::string data, table;
  bool json = false;
};
struct ViewArgs {
  Target target;
  std::string view, name;
  bool json = false;
};

// Reads and binds the pipeline file, opens DATA for writing, creates the pipeline's bronze
// tables and records the pipeline as the one DATA runs (refused when DATA's runtimes hold
// state of another version of it). What `run`, `batch`, `server --pipeline` and `demo` do
// first.
struct PreparedPipeline {
  std::unique_ptr<log::Store> store;
  std::string text;  // the pipeline's SQL
  std::string path;  // where DATA records it
};
Result<PreparedPipeline> PreparePipeline(const std::string& data, const std::string& file);
// The same for a pipeline text (`name` in its error messages).
Result<PreparedPipeline> PreparePipelineText(const std::string& data, std::string text,
                                             const std::string& name);

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
// The gold views as data products: a table, or with `json` the JSON of GET /v1/products.
int RunProducts(const Target& target, bool json);
// The schema history of a bronze table (schemas_command.cc); reads DATA only, so it works
// while a server runs.
int RunSchemas(const SchemasArgs& args);

}  // namespace strata::api
