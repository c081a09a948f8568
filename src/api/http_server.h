// The HTTP/JSON API on loopback. This comment is the API contract.
//
// Always served:
//
//   POST /v1/tables/{table}/events   body: JSON lines. 200 {"acked", "malformed",
//                                    "missing_key", "first_offsets": {"<partition>": offset}}
//                                    only after every record is durable; 404 unknown table;
//                                    413 body over the limit; 503 + Retry-After when the
//                                    table's append queue is full or the request waited
//                                    more than 500 ms for a request thread (overload: load
//                                    is shed, nothing of the request stored); 507 +
//                                    Retry-After when the disk is full (nothing of the
//                                    request acknowledged; ingest works again once space
//                                    returns).
//   GET  /healthz                    200 {"status": "ok"}
//   GET  /metrics                    200 Prometheus text format (0.0.4): requests per route and
//                                    status (strata_http_requests_total), query latency
//                                    (strata_query_duration_seconds, a histogram), the
//                                    process's CPU seconds and resident memory; with an engine
//                                    also its metrics (serve/engine_metrics.cc: offsets, lag,
//                                    silver counters, rows, versions, freshness objectives,
//                                    late records, watermarks, checkpoints).
//
// Served when an engine is set (SetEngine; `strata server --pipeline`, `strata demo`). A
// {view} is a gold view's full name (gold.hourly_revenue); a {table} in a query may also
// be a silver or quarantine table.
//
//   POST /v1/query[?format=F]        body: the SQL text, or {"sql": "..."} when the
//                                    Content-Type is application/json. F = json (default):
//                                    200 {"columns": [{"name", "type"}], "rows": [[v, ...]],
//                                    "row_count": N} where v is a JSON number for bigint and
//                                    double (NaN and infinities as strings), a string for
//                                    numeric (its exact decimal text), text, timestamp and
//                                    date, true/false for boolean, null for NULL.
//                                    F = table | csv | jsonl: 200 text/plain, exactly what
//                                    `strata query --format F` prints (runtime/query.h).
//                                    `... FROM v AS OF VERSION n | AS OF TIMESTAMP '...'`
//                                    reads stored versions.
//   GET  /v1/views                   200 {"views": [{name, layer, serving, owner,
//                                    freshness_s, live_version, lane}, ...]}: gold views,
//                                    then each silver table and its quarantine table.
//   GET  /v1/products                200 serve::Engine::ProductsJson: every gold view as a
//                                    data product (owner, description, serving, columns,
//                                    reads, upstream, consumers, live_version, rows,
//                                    last_publish, freshness {objective_s, lag_s, met}).
//   GET  /v1/views/{view}/versions   200 {"view", "versions": [{version, name, origin,
//                                    logic_hash, schema_version, boundary: {table: [end
//                                    offset per partition]}, watermark (null when none),
//                                    rows, checksum, created (ISO 8601 UTC), live}]},
//                                    oldest first; live is true for the served version.
//   POST /v1/views/{view}/replay     body (optional) {"as": NAME, "rate": EVENTS_PER_S,
//                                    "from_offset": N, "from_checkpoint": "SEQ"|"latest",
//                                    "sql": PIPELINE_TEXT}: replays a Kappa view into lane
//                                    NAME (default "replay-<unix seconds>") from bronze (or
//                                    from a checkpoint of the same logic, see serve/engine.h), in
//                                    the request's thread (the speed path keeps running; the answer
//                                    comes when the lane has caught up, so clients need a read
//                                    timeout as long as the replay). 200 {name, records, seconds,
//                                    resumed, finished, version: {...} or null}; finished is false
//                                    when the server stopped first (the lane resumes on the next
//                                    replay with the same name and SQL).
//   POST /v1/views/{view}/validate   body {"name": NAME}: 200 the diff of lane NAME against
//                                    the live answer (quality::Diff::ToJson).
//   POST /v1/views/{view}/cutover    body {"name": NAME}: makes lane NAME serve the view;
//                                    200 the version made live (as in /versions).
//   POST /v1/views/{view}/rollback   200 the version live again (the previous one).
//   GET  /v1/views/{view}/drift      200 the diff of the live answer against a fresh batch
//                                    recompute over the same input (Diff::ToJson).
//   GET  /v1/status                  200 serve::Engine::StatusJson: lanes (offsets, lag),
//                                    silver counters, gold rows and versions, last batch,
//                                    the last checkpoint and the checkpoints Open skipped.
//
// With authentication on (SetAccess), every route but /healthz needs a bearer token and the
// grant api/access.h lists for it: 401 + WWW-Authenticate without a valid token, 403 without
// the grant.
//
// Errors are JSON objects {"error": "..."} with one mapping from strata's Status for every
// route: 400 InvalidArgument (a SQL error names query:LINE:COLUMN; an unknown table or
// column is one too), 404 NotFound (no such view, version or lane; also no such endpoint),
// 409 FailedPrecondition or AlreadyExists (e.g. a replay name in use, nothing to roll back
// to), 401 Unauthenticated, 403 PermissionDenied, 503 + Retry-After Busy, 507 + Retry-After NoSpace
// (a full disk), 500 anything else. Memory is bounded: bodies are capped at max_body_bytes,
// requests are served by a fixed pool of threads, and appends beyond the table's queue bound are
// refused rather than buffered.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "auth/tokens.h"
#include "common/clock.h"
#include "common/status.h"
#include "log/store.h"

namespace strata::serve {
class Engine;
}

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace strata::api {

class Access;
class Client;
struct RequestMetrics;
class EmbeddedClient;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 7878;  // 0 = any free port (see HttpServer::port)
  size_t max_body_bytes = 16u << 20;
  // Ingest sheds load: a request that waited longer than this for a request thread is
  // answered 503 + Retry-After at once (see the contract above).
  Micros max_queue_wait = 500'000;
};

// Parses "host:port" (e.g. "127.0.0.1:7878") into options.
Status ParseListenAddress(std::string_view text, ServerOptions* options);

class HttpServer {
 public:
  HttpServer(log::Store* store, ServerOptions options);
  ~HttpServer();

  // Also serves the engine's routes (see above). Call before Bind(); `engine` must outlive
  // the server and share its `store`.
  void SetEngine(serve::Engine* engine);
  // Turns authentication on (see above). Call before Bind(); `access` must outlive the server.
  void SetAccess(Access* access) { access_ = access; }

  // Binds the listening socket; fails with a clear message if the address is taken.
  Status Bind();
  // Serves until Stop(). Call after Bind().
  void Run();
  // Stops Run() (from any thread; idempotent). Replays in flight stop early (resumable)
  // so that the request threads can finish.
  void Stop();
  // The bound port (useful with port 0).
  int port() const { return port_; }

 private:
  // A POST handler, given the request body read under max_body_bytes (as ingest reads it).
  using BodyHandler =
      std::function<void(const httplib::Request&, const std::string& body, httplib::Response&)>;

  void Routes();
  // GET /metrics, and the request counts and query latencies it reports.
  void MetricsRoutes();
  // The engine's routes, by resource: /v1/query, the views' read-only routes (list,
  // versions, drift), the lanes' routes (replay, validate, cutover, rollback), /v1/status.
  void EngineRoutes();
  void QueryRoutes();
  void ViewRoutes();
  void LaneRoutes();
  void PostWithBody(const std::string& pattern, BodyHandler handle);
  // With authentication on: false, with the 403 answer set, unless `check` allows the
  // request's caller. Always true with authentication off.
  bool Allowed(httplib::Response& res,
               const std::function<Status(const auth::TokenInfo&)>& check) const;
  // Whether `caller` may read the table `sql` queries.
  Status MayQuery(const auth::TokenInfo& caller, const std::string& sql) const;
  // A serving command's handler: admin only; each attempt is written to the audit log.
  BodyHandler Administer(std::string what, BodyHandler handle);

  log::Store* store_;
  serve::Engine* engine_ = nullptr;
  Access* access_ = nullptr;                 // null: authentication off
  std::unique_ptr<RequestMetrics> metrics_;  // GET /metrics: requests and query latencies
  std::unique_ptr<EmbeddedClient> client_;   // the engine's routes ask it
  ServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_replays_{false};
};

}  // namespace strata::api
