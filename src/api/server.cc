#include "api/server.h"

#include <chrono>
#include <cstdio>

#include "api/client.h"
#include "api/command_output.h"
#include "api/pipeline_commands.h"
#include "api/signals.h"
#include "runtime/runner.h"

namespace strata::api {

using serve::PipelineService;
using serve::PipelineServiceOptions;
namespace {

Status CheckpointOptions(const ServerArgs& a, PipelineServiceOptions* options) {
  if (!ParseDuration(a.checkpoint_every, &options->checkpoint_every) ||
      options->checkpoint_every < 0) {
    return Status::InvalidArgument("--checkpoint-every: cannot read '" + a.checkpoint_every +
                                   "' as a duration (such as 500ms, 10s, 5m)");
  }
  options->checkpoint_records = a.checkpoint_records;
  return Status::OK();
}

// The first admin token of a data directory, in a file only its owner reads.
Result<std::string> FirstAdminToken(Access* access) {
  auth::Grants admin;
  admin.admin = true;
  ASSIGN_OR_RETURN(auth::NewToken token, access->tokens().Create("admin", admin));
  const std::string path = JoinPath(access->tokens().dir(), "admin.token");
  RETURN_IF_ERROR(auth::WriteSecretFile(path, token.token + "\n"));
  RETURN_IF_ERROR(access->audit().Record("strata server", "",
                                         "token create " + token.info.id + " (admin: admin)", 0));
  return path;
}

}  // namespace

Result<bool> AuthOn(const std::string& auth, const ServerOptions& server) {
  if (auth == "on") return true;
  if (auth == "off") return false;
  if (auth.empty()) return !IsLoopback(server.host);
  return Status::InvalidArgument("--auth expects on or off, got '" + auth + "'");
}

Result<std::unique_ptr<Serving>> Serving::Start(const std::string& data,
                                                const std::string& pipeline_text,
                                                const std::string& pipeline_name,
                                                ServerOptions server,
                                                PipelineServiceOptions service, bool auth) {
  std::unique_ptr<Serving> s(new Serving());
  if (auth) {
    s->access_ = std::make_unique<Access>(data);
    if (s->access_->tokens().Empty()) {
      ASSIGN_OR_RETURN(s->first_admin_token_, FirstAdminToken(s->access_.get()));
    }
  }
  std::string text = pipeline_text, name = pipeline_name;
  runtime::PipelinePaths paths(data);
  if (text.empty() && FileSystem::Default()->Exists(paths.sql)) {
    RETURN_IF_ERROR(FileSystem::Default()->ReadFile(paths.sql, &text));
    name = paths.sql;
  }
  if (!text.empty()) {
    ASSIGN_OR_RETURN(PreparedPipeline p, PreparePipelineText(data, text, name));
    s->store_ = std::move(p.store);
    serve::EngineOptions engine_options;
    // The cut holds the engine only for a fork, where a forked child may use the heap.
    engine_options.checkpoint_in_child = serve::kForkSafeHeap;
    ASSIGN_OR_RETURN(s->engine_,
                     serve::Engine::Open(s->store_.get(), data, p.text, p.path, engine_options));
    for (const auto& w : s->engine_->warnings())
      std::fprintf(stderr, "strata: checkpoint: %s\n", w.c_str());
    service.store = s->store_.get();  // for postgres-cdc bronze tables
    service.data_dir = data;
    s->service_ = std::make_unique<PipelineService>(s->engine_.get(), service);
  } else {
    ASSIGN_OR_RETURN(s->store_, OpenStore(data, /*read_only=*/false));
  }
  s->http_ = std::make_unique<HttpServer>(s->store_.get(), server);
  if (s->engine_) s->http_->SetEngine(s->engine_.get());
  if (s->access_) s->http_->SetAccess(s->access_.get());
  RETURN_IF_ERROR(s->http_->Bind());
  if (s->service_) s->service_->Start();
  s->thread_ = std::thread([http = s->http_.get()] { http->Run(); });
  return s;
}

Status Serving::Stop() {
  if (stopped_) return Status::OK();
  stopped_ = true;
  if (http_) http_->Stop();  // null when Start failed before creating it
  if (thread_.joinable()) thread_.join();
  return service_ ? service_->Stop() : Status::OK();
}

Status ParseBatchEvery(const std::string& batch_every, PipelineServiceOptions* options) {
  if (batch_every.empty()) return Status::OK();
  if (!ParseDuration(batch_every, &options->batch_every) || options->batch_every <= 0) {
    return Status::InvalidArgument("--batch-every: cannot read '" + batch_every +
                                   "' as a duration (such as 10s, 5m, 1h)");
  }
  return Status::OK();
}

int RunServer(const ServerArgs& a) {
  ServerOptions server;
  server.max_body_bytes = a.max_body;
  Status s = ParseListenAddress(a.listen, &server);
  if (!s.ok()) return Fail(s);
  PipelineServiceOptions service;
  s = ParseBatchEvery(a.batch_every, &service);
  if (s.ok()) s = CheckpointOptions(a, &service);
  if (!s.ok()) return Fail(s);
  Result<bool> auth = AuthOn(a.auth, server);
  if (!auth.ok()) return Fail(auth.status());
  std::string text;
  if (!a.pipeline.empty()) {
    s = FileSystem::Default()->ReadFile(a.pipeline, &text);
    if (!s.ok()) return Fail(s);
  }
  StopSignal signals;
  auto serving = Serving::Start(a.data, text, a.pipeline, server, service, *auth);
  if (!serving.ok()) return Fail(serving.status());
  if (!(*serving)->first_admin_token().empty()) {
    std::printf(
        "strata: authentication on: created the first admin token in %s (only its hash "
        "is kept; move it somewhere safe)\n",
        (*serving)->first_admin_token().c_str());
  }
  std::printf("strata: serving %s on http://%s:%d%s, authentication %s\n", a.data.c_str(),
              server.host.c_str(), (*serving)->port(),
              (*serving)->engine() ? " (pipeline running)" : " (ingest only: no pipeline)",
              *auth ? "on" : "off");
  std::fflush(stdout);
  while (!signals.WaitFor(std::chrono::hours(1))) {
  }
  s = (*serving)->Stop();
  if (!s.ok()) return Fail(s);
  return 0;
}

}  // namespace strata::api
