// `strata server`: a data directory served over HTTP (api/http_server.h), with its pipeline
// running when it has one (serve/pipeline_service.h: streaming, scheduled batch runs,
// checkpoints, CDC connectors). `strata demo` (src/demo) runs one too.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "api/access.h"
#include "api/http_server.h"
#include "common/status.h"
#include "log/store.h"
#include "serve/engine.h"
#include "serve/pipeline_service.h"

namespace strata::api {

struct ServerArgs {
  std::string data, pipeline, batch_every;
  std::string checkpoint_every = "10s";
  uint64_t checkpoint_records = 1000000;
  std::string listen = "127.0.0.1:7878";
  size_t max_body = 16u << 20;
  std::string auth;  // "on", "off", or "": on unless --listen is a loopback address
};

// A data directory served over HTTP, with its pipeline running when it has one.
class Serving {
 public:
  // `pipeline_text` empty: the pipeline DATA already runs, if any; ingest only otherwise.
  // With `auth`, every route needs a token (api/access.h); on a data directory that never had
  // one, Start creates an admin token in DATA/auth/admin.token (first_admin_token()).
  static Result<std::unique_ptr<Serving>> Start(
      const std::string& data, const std::string& pipeline_text, const std::string& pipeline_name,
      ServerOptions server, serve::PipelineServiceOptions service, bool auth = false);
  ~Serving() { (void)Stop(); }

  // Stops the HTTP server, then the pipeline (its last checkpoint); idempotent.
  Status Stop();

  int port() const { return http_->port(); }
  serve::Engine* engine() const { return engine_.get(); }  // null without a pipeline
  serve::PipelineService* service() const { return service_.get(); }
  log::Store* store() const { return store_.get(); }
  bool auth() const { return access_ != nullptr; }
  // The file holding the admin token Start created; empty when it created none.
  const std::string& first_admin_token() const { return first_admin_token_; }

 private:
  Serving() = default;
  std::unique_ptr<log::Store> store_;
  std::unique_ptr<serve::Engine> engine_;
  std::unique_ptr<serve::PipelineService> service_;
  std::unique_ptr<Access> access_;  // null: authentication off
  std::string first_admin_token_;
  std::unique_ptr<HttpServer> http_;
  std::thread thread_;
  bool stopped_ = false;
};

// Whether `strata server` authenticates: --auth on|off, by default on unless the server
// listens on loopback only. InvalidArgument for another value.
Result<bool> AuthOn(const std::string& auth, const ServerOptions& server);

// --batch-every's duration into `options` (nothing when empty); a clear error otherwise.
Status ParseBatchEvery(const std::string& batch_every, serve::PipelineServiceOptions* options);

int RunServer(const ServerArgs& args);

}  // namespace strata::api
