// The serving commands, written once against one interface. The CLI's query, versions,
// replay, validate, drift, cutover, rollback, status and products ask a Client; so do the HTTP
// server's routes (each route is a Client call on an EmbeddedClient, its answer rendered
// as JSON) and the demo. Two implementations:
//
//   EmbeddedClient  runs each command on a serve::Engine in this process (`--data DIR`, the
//                   server's routes, the demo);
//   HttpClient      asks a running `strata server` over HTTP (`--server URL`), mapping its
//                   error answers back to the Status the engine returned (400 InvalidArgument,
//                   404 NotFound, 409 FailedPrecondition, anything else IOError).
//
// Both give the same answers and the same error sentences for the same engine state; what
// only one of them can do is said at the method.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "log/store.h"
#include "quality/diff.h"
#include "runtime/query.h"
#include "serve/engine.h"

namespace strata::api {

// A view's versions, oldest first, and the one served (none before the first publish).
struct ViewVersions {
  std::vector<serve::VersionInfo> versions;
  std::optional<uint64_t> live;
};

class Client {
 public:
  virtual ~Client() = default;

  // The answer of one query rendered as `format`: "json" (one object of columns, rows and
  // row_count: the HTTP API's default, see http_server.h), "jsonl", "table" or "csv"
  // (runtime/query.h). `runtime` "streaming" or "batch" asks that runtime's executor alone
  // (embedded only); "" asks what is served.
  virtual Result<std::string> Query(const std::string& sql, const std::string& format,
                                    const std::string& runtime = "") = 0;
  virtual Result<ViewVersions> Versions(const std::string& view) = 0;
  // Over HTTP, `options.progress` is not called and `options.stop` is the server's own
  // (it stops replays when it stops).
  virtual Result<serve::ReplayResult> Replay(const std::string& view,
                                             serve::ReplayOptions options) = 0;
  virtual Result<quality::Diff> Validate(const std::string& view, const std::string& lane) = 0;
  virtual Result<quality::Diff> Drift(const std::string& view) = 0;
  virtual Result<serve::VersionInfo> Cutover(const std::string& view, const std::string& lane) = 0;
  virtual Result<serve::VersionInfo> Rollback(const std::string& view) = 0;
  // serve::Engine::StatusJson.
  virtual Result<std::string> StatusJson() = 0;
  // serve::Engine::ProductsJson.
  virtual Result<std::string> ProductsJson() = 0;
};

class EmbeddedClient : public Client {
 public:
  // Runs on `engine`, which must outlive the client.
  explicit EmbeddedClient(serve::Engine* engine) : engine_(engine) {}
  // Opens data directory `data` for its own use. Without `write`, a directory another
  // process owns is opened read-only (answers from its last saved state, with a note on
  // stderr saying so).
  static Result<std::unique_ptr<EmbeddedClient>> Open(const std::string& data, bool write);

  Result<std::string> Query(const std::string& sql, const std::string& format,
                            const std::string& runtime = "") override;
  Result<ViewVersions> Versions(const std::string& view) override;
  Result<serve::ReplayResult> Replay(const std::string& view,
                                     serve::ReplayOptions options) override;
  Result<quality::Diff> Validate(const std::string& view, const std::string& lane) override;
  Result<quality::Diff> Drift(const std::string& view) override;
  Result<serve::VersionInfo> Cutover(const std::string& view, const std::string& lane) override;
  Result<serve::VersionInfo> Rollback(const std::string& view) override;
  Result<std::string> StatusJson() override;
  Result<std::string> ProductsJson() override;

 private:
  std::unique_ptr<log::Store> store_;  // set by Open
  std::unique_ptr<serve::Engine> owned_;
  serve::Engine* engine_;
};

class HttpClient : public Client {
 public:
  // `url` as `http://host:port`; `token`, when not empty, is sent as a bearer token.
  explicit HttpClient(std::string url, std::string token = "")
      : url_(std::move(url)), token_(std::move(token)) {}

  Result<std::string> Query(const std::string& sql, const std::string& format,
                            const std::string& runtime = "") override;
  Result<ViewVersions> Versions(const std::string& view) override;
  Result<serve::ReplayResult> Replay(const std::string& view,
                                     serve::ReplayOptions options) override;
  Result<quality::Diff> Validate(const std::string& view, const std::string& lane) override;
  Result<quality::Diff> Drift(const std::string& view) override;
  Result<serve::VersionInfo> Cutover(const std::string& view, const std::string& lane) override;
  Result<serve::VersionInfo> Rollback(const std::string& view) override;
  Result<std::string> StatusJson() override;
  Result<std::string> ProductsJson() override;

 private:
  // The body of a 2xx answer to METHOD PATH, or the error the answer carries.
  Result<std::string> Call(const std::string& method, const std::string& path,
                           const std::string& body = "",
                           const std::string& type = "application/json") const;

  std::string url_;
  std::string token_;
};

// Opens data directory `data`'s log, reporting on stderr what its recovery repaired.
Result<std::unique_ptr<log::Store>> OpenStore(const std::string& data, bool read_only);
// A query's answer as `format` (see Client::Query); InvalidArgument for another format.
Result<std::string> RenderQuery(const runtime::QueryResult& result, const std::string& format);
// The versions of `view` as GET /v1/views/{view}/versions answers them.
std::string ViewVersionsJson(const std::string& view, const ViewVersions& versions);
// The answer of POST /v1/views/{view}/replay read back.
Result<serve::ReplayResult> ParseReplayResult(const std::string& json);

}  // namespace strata::api
