#include "api/http_server.h"

#include <httplib.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <thread>

#include "api/access.h"
#include "api/client.h"
#include "api/ingest.h"
#include "common/json_writer.h"
#include "common/prometheus_text.h"
#include "serve/engine.h"
#include "sql/binder.h"
#include "sql/parser.h"

namespace strata::api {
namespace {

constexpr size_t kDrainBytes = 1u << 20;
// With an engine, requests may run long (a replay answers when its lane has caught up):
// more threads, so that ingest and queries keep being served beside a few replays.
constexpr size_t kEngineThreads = 16;
constexpr time_t kEngineIoTimeoutSeconds = 60;
constexpr size_t kIngestThreads = 8;
constexpr int kListenBacklog = 4096;
// The routes of one gold view: its name is qualified (gold.hourly_revenue).
constexpr const char* kViewPattern = R"(/v1/views/([A-Za-z0-9_.\-]+))";

// Load shedding. When every request thread is busy, new connections wait in the pool's
// queue; past twice the rate the log can take, that queue only grows, and so would every
// client's latency. An ingest request whose connection waited longer than
// ServerOptions::max_queue_wait for a thread is refused at once with 503 + Retry-After
// (a queue-delay target, as CoDel's): the threads go to requests that can still be
// answered in time, and clients back off. The pool stamps each connection with the time it
// was queued; the pre-routing handler turns the stamp into the wait of the connection's
// first request (later requests of a kept-alive connection did not wait).
thread_local Micros t_connection_queued_at = 0;
thread_local Micros t_request_waited = 0;
// With authentication on, the holder of the request's token (set before routing).
thread_local auth::TokenInfo t_caller;

class StampingPool final : public httplib::TaskQueue {
 public:
  explicit StampingPool(size_t threads) : pool_(threads) {}
  void enqueue(std::function<void()> fn) override {
    pool_.enqueue([fn = std::move(fn), queued = NowMicros()] {
      t_connection_queued_at = queued;
      fn();
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
};

void JsonError(httplib::Response& res, int code, std::string_view message) {
  res.status = code;
  res.set_content(JsonObject().Add("error", message).Finish() + "\n", "application/json");
}

// Reads a request body of at most `max_bytes` through a content reader, so that the limit
// holds for chunked bodies too (httplib enforces its own limit on Content-Length only).
// False, with the error response set (413, or 400 for a body cut short), when it fails.
bool ReadBody(const httplib::ContentReader& read_body, size_t max_bytes, httplib::Response& res,
              std::string* body) {
  bool too_large = false;
  // Past the limit the rest is read and dropped (up to kDrainBytes more), so that the
  // client, still sending, gets the 413 instead of a broken connection.
  size_t dropped = 0;
  bool complete = read_body([&](const char* data, size_t n) {
    too_large = too_large || body->size() + n > max_bytes;
    if (!too_large) {
      body->append(data, n);
      return true;
    }
    body->clear();
    dropped += n;
    return dropped <= kDrainBytes;
  });
  if (too_large || res.status == 413) {  // httplib sets 413 for a Content-Length over it
    res.set_header("Connection", "close");
    JsonError(res, 413, "request body larger than " + std::to_string(max_bytes) + " bytes");
    return false;
  }
  if (!complete) {
    res.set_header("Connection", "close");
    JsonError(res, 400, "incomplete request body");
    return false;
  }
  return true;
}

// The one mapping from Status to an HTTP status, for every route.
int HttpStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kBusy:
      return 503;
    case StatusCode::kNoSpace:
      return 507;
    default:
      return 500;
  }
}

// A failed call as a response: the message alone ("query:1:15: ..."), except for an
// internal failure (500), which names the status code too ("IOError: ...").
void StatusError(httplib::Response& res, const Status& status) {
  const int code = HttpStatus(status);
  if (code == 503) res.set_header("Retry-After", "1");
  if (code == 507) res.set_header("Retry-After", "10");
  if (code == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"strata\"");
  JsonError(res, code, code == 500 ? status.ToString() : status.message());
}

void JsonOk(httplib::Response& res, const std::string& json) {
  res.set_content(json + "\n", "application/json");
}

// A request body that is a JSON object (or empty: no fields), with typed optional fields.
class JsonBody {
 public:
  // `allowed`: the field names a route accepts; any other is InvalidArgument (a typo would
  // otherwise be silently ignored).
  Status Parse(const std::string& body, std::initializer_list<std::string_view> allowed) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Status::OK();
    if (parser_.parse(body).get(object_)) {
      return Status::InvalidArgument("request body: expected a JSON object");
    }
    present_ = true;
    for (auto [key, value] : object_) {
      (void)value;
      bool known = false;
      for (std::string_view a : allowed)
        known = known || key == a;
      if (!known)
        return Status::InvalidArgument("request body: unknown field \"" + std::string(key) + "\"");
    }
    return Status::OK();
  }

  Result<std::optional<std::string>> String(std::string_view field) const {
    simdjson::dom::element e;
    if (!Find(field, &e)) return std::optional<std::string>();
    std::string_view v;
    if (e.get(v)) return Mistyped(field, "a string");
    return std::optional<std::string>(std::string(v));
  }

  Result<std::optional<double>> Number(std::string_view field) const {
    simdjson::dom::element e;
    if (!Find(field, &e)) return std::optional<double>();
    double v = 0;
    if (e.get(v) || !std::isfinite(v) || v < 0) return Mistyped(field, "a number >= 0");
    return std::optional<double>(v);
  }

  Result<std::optional<uint64_t>> Uint(std::string_view field) const {
    simdjson::dom::element e;
    if (!Find(field, &e)) return std::optional<uint64_t>();
    uint64_t v = 0;
    if (e.get(v)) return Mistyped(field, "an integer >= 0");
    return std::optional<uint64_t>(v);
  }

 private:
  bool Find(std::string_view field, simdjson::dom::element* e) const {
    return present_ && !object_[field].get(*e) && !e->is_null();
  }
  static Status Mistyped(std::string_view field, std::string_view what) {
    return Status::InvalidArgument("request body: field \"" + std::string(field) + "\" must be " +
                                   std::string(what));
  }

  simdjson::dom::parser parser_;
  simdjson::dom::object object_;
  bool present_ = false;
};

// The SQL of a /v1/query body: the body itself, or its "sql" field when it is JSON.
Result<std::string> QuerySql(std::string_view content_type, const std::string& body) {
  if (!content_type.starts_with("application/json")) return body;
  JsonBody json;
  RETURN_IF_ERROR(json.Parse(body, {"sql"}));
  ASSIGN_OR_RETURN(auto sql, json.String("sql"));
  if (!sql) return Status::InvalidArgument("request body: field \"sql\" is required");
  return *sql;
}

// A replay's options from its (optional) body {"as", "rate", "from_offset",
// "from_checkpoint", "sql"}.
Result<serve::ReplayOptions> ReplayRequest(const std::string& body) {
  JsonBody json;
  RETURN_IF_ERROR(json.Parse(body, {"as", "rate", "from_offset", "from_checkpoint", "sql"}));
  serve::ReplayOptions options;
  ASSIGN_OR_RETURN(auto as, json.String("as"));
  ASSIGN_OR_RETURN(auto rate, json.Number("rate"));
  ASSIGN_OR_RETURN(options.from_offset, json.Uint("from_offset"));
  ASSIGN_OR_RETURN(options.from_checkpoint, json.String("from_checkpoint"));
  ASSIGN_OR_RETURN(auto sql, json.String("sql"));
  if (as) options.name = *as;
  if (rate) options.rate = *rate;
  if (sql) {
    options.sql_text = *sql;
    options.sql_name = "replay.sql";  // the request's SQL: its errors name replay.sql:L:C
  }
  return options;
}

// The lane named by a {"name": LANE} body (validate, cutover).
Result<std::string> LaneName(const std::string& body) {
  JsonBody json;
  RETURN_IF_ERROR(json.Parse(body, {"name"}));
  ASSIGN_OR_RETURN(auto name, json.String("name"));
  if (!name || name->empty()) {
    return Status::InvalidArgument("request body: field \"name\" (the replay lane) is required");
  }
  return *name;
}

std::string FirstOffsetsJson(const log::AppendAck& ack) {
  JsonObject o;
  for (size_t p = 0; p < ack.first_offsets.size(); ++p) {
    if (ack.first_offsets[p] >= 0) o.Add(std::to_string(p), ack.first_offsets[p]);
  }
  return o.Finish();
}

// The route a path belongs to, as a metric label (bounded: no table or view names).
std::string RouteOf(std::string_view path) {
  for (std::string_view exact :
       {"/healthz", "/metrics", "/v1/query", "/v1/views", "/v1/products", "/v1/status"}) {
    if (path == exact) return std::string(exact);
  }
  if (path.starts_with("/v1/tables/") && path.ends_with("/events")) {
    return "/v1/tables/{table}/events";
  }
  if (path.starts_with("/v1/views/")) {
    const std::string_view last = path.substr(path.rfind('/') + 1);
    for (std::string_view action :
         {"versions", "drift", "replay", "validate", "cutover", "rollback"}) {
      if (last == action) return "/v1/views/{view}/" + std::string(action);
    }
  }
  return "other";
}

// Upper bounds of the query latency histogram, seconds.
const std::vector<double> kQueryBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                          0.05,   0.1,   0.25,   0.5,   1,    2.5};

}  // namespace

struct RequestMetrics {
  absl::Mutex mu;
  std::map<std::pair<std::string, int>, uint64_t> requests ABSL_GUARDED_BY(mu);
  std::vector<uint64_t> query_buckets ABSL_GUARDED_BY(mu) =
      std::vector<uint64_t>(kQueryBounds.size() + 1);
  double query_seconds ABSL_GUARDED_BY(mu) = 0;

  void Query(double seconds) {
    absl::MutexLock lock(&mu);
    size_t b = 0;
    while (b < kQueryBounds.size() && seconds > kQueryBounds[b])
      ++b;
    ++query_buckets[b];
    query_seconds += seconds;
  }
  void Append(PrometheusText* out) {
    absl::MutexLock lock(&mu);
    out->Family("strata_http_requests_total", "counter",
                "HTTP requests answered, by route and status");
    for (const auto& [key, n] : requests)
      out->Sample("strata_http_requests_total",
                  {{"route", key.first}, {"code", std::to_string(key.second)}}, n);
    out->Family("strata_query_duration_seconds", "histogram",
                "POST /v1/query, from its body read to its answer");
    out->Histogram("strata_query_duration_seconds", {}, kQueryBounds, query_buckets, query_seconds);
  }
};

namespace {

// CPU seconds and resident bytes of this process.
void AppendProcessMetrics(PrometheusText* out) {
  struct rusage usage {};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) {
    auto seconds = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    out->Family("process_cpu_seconds_total", "counter", "User and system CPU time spent");
    out->Sample("process_cpu_seconds_total", {}, seconds(usage.ru_utime) + seconds(usage.ru_stime));
  }
  // /proc files report size 0: read with stdio, not FileSystem::ReadFile.
  if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
    unsigned long long size = 0, resident = 0;
    if (std::fscanf(statm, "%llu %llu", &size, &resident) == 2) {
      out->Family("process_resident_memory_bytes", "gauge", "Resident memory size");
      out->Sample("process_resident_memory_bytes", {},
                  static_cast<uint64_t>(resident) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)));
    }
    std::fclose(statm);
  }
}

}  // namespace

Status ParseListenAddress(std::string_view text, ServerOptions* options) {
  size_t colon = text.rfind(':');
  int port = -1;
  if (colon != std::string_view::npos) {
    auto [p, ec] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), port);
    if (ec != std::errc() || p != text.data() + text.size()) port = -1;
  }
  if (colon == std::string_view::npos || colon == 0 || port < 0 || port > 65535) {
    return Status::InvalidArgument("--listen expects HOST:PORT, got '" + std::string(text) + "'");
  }
  options->host = std::string(text.substr(0, colon));
  options->port = port;
  return Status::OK();
}

HttpServer::HttpServer(log::Store* store, ServerOptions options)
    : store_(store),
      metrics_(std::make_unique<RequestMetrics>()),
      options_(std::move(options)),
      server_(std::make_unique<httplib::Server>()) {
  server_->set_payload_max_length(options_.max_body_bytes);
  // httplib writes headers and body separately: without TCP_NODELAY a kept-alive client's
  // delayed ACK holds every answer back by ~40 ms.
  server_->set_tcp_nodelay(true);
  server_->new_task_queue = [] { return new StampingPool(kIngestThreads); };
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_request_waited = t_connection_queued_at == 0 ? 0 : NowMicros() - t_connection_queued_at;
    t_connection_queued_at = 0;
    if (access_ == nullptr || req.path == "/healthz") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    auto caller = access_->Authenticate(req.get_header_value("Authorization"));
    if (!caller.ok()) {
      res.set_header("Connection", "close");  // the body, if any, is not read
      StatusError(res, caller.status());
      return httplib::Server::HandlerResponse::Handled;
    }
    t_caller = std::move(*caller);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  Routes();
  MetricsRoutes();
}

HttpServer::~HttpServer() {
  Stop();
}

void HttpServer::Routes() {
  static std::atomic<uint64_t> request_seq{0};
  server_->Post(R"(/v1/tables/([A-Za-z0-9_.]+)/events)",
                [this](const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& read_body) {
                  std::string body;
                  if (!ReadBody(read_body, options_.max_body_bytes, res, &body)) return;
                  if (t_request_waited > options_.max_queue_wait) {
                    return StatusError(res, Status::Busy("server overloaded: the request waited " +
                                                         std::to_string(t_request_waited / 1000) +
                                                         " ms for a thread; nothing was stored"));
                  }
                  const std::string name = req.matches[1];
                  if (!Allowed(res, [&](const auth::TokenInfo& caller) {
                        return Access::MayIngest(caller, name);
                      })) {
                    return;
                  }
                  auto table = store_->GetTable(name);
                  if (!table.ok()) return StatusError(res, table.status());
                  // Each line's source position is "<request id>:<line>"; a client may name its
                  // request.
                  std::string request_id = req.get_header_value("X-Request-Id");
                  if (request_id.empty()) {
                    request_id = std::to_string(NowMicros()) + "-" +
                                 std::to_string(request_seq.fetch_add(1));
                  }
                  auto result = IngestBody(*table, body, "http", request_id + ":");
                  if (!result.ok()) return StatusError(res, result.status());
                  const IngestSummary& s = result->summary;
                  res.set_content(JsonObject()
                                          .Add("acked", s.acked)
                                          .Add("malformed", s.malformed)
                                          .Add("missing_key", s.missing_key)
                                          .AddRaw("first_offsets", FirstOffsetsJson(result->ack))
                                          .Finish() +
                                      "\n",
                                  "application/json");
                });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\": \"ok\"}\n", "application/json");
  });
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const char* message = res.status == 413   ? "request body too large"
                          : res.status == 404 ? "no such endpoint"
                                              : "request failed";
    JsonError(res, res.status, message);
  });
}

void HttpServer::MetricsRoutes() {
  // Counted before the answer is written (a logger runs after: a client could see its answer
  // before the count).
  server_->set_post_routing_handler(
      [metrics = metrics_.get()](const httplib::Request& req, httplib::Response& res) {
        absl::MutexLock lock(&metrics->mu);
        ++metrics->requests[{RouteOf(req.path), res.status}];
      });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    PrometheusText out;
    metrics_->Append(&out);
    AppendProcessMetrics(&out);
    if (engine_ != nullptr) engine_->AppendMetrics(&out);
    res.set_content(out.text(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

void HttpServer::SetEngine(serve::Engine* engine) {
  STRATA_ASSERT(engine_ == nullptr && engine != nullptr);
  engine_ = engine;
  client_ = std::make_unique<EmbeddedClient>(engine);
  server_->new_task_queue = [] { return new StampingPool(kEngineThreads); };
  // A replay holds its request's thread until it is done; the timeouts bound reading a
  // request and writing an answer (a large CSV to a slow client), not the work between.
  server_->set_read_timeout(kEngineIoTimeoutSeconds);
  server_->set_write_timeout(kEngineIoTimeoutSeconds);
  EngineRoutes();
}

void HttpServer::EngineRoutes() {
  QueryRoutes();
  ViewRoutes();
  LaneRoutes();
  Client* const client = client_.get();
  server_->Get("/v1/status", [this, client](const httplib::Request&, httplib::Response& res) {
    if (!Allowed(res, [](const auth::TokenInfo& caller) {
          return Access::MayAdminister(caller, "read the status");
        })) {
      return;
    }
    auto status = client->StatusJson();
    if (!status.ok()) return StatusError(res, status.status());
    JsonOk(res, *status);
  });
}

void HttpServer::PostWithBody(const std::string& pattern, BodyHandler handle) {
  server_->Post(pattern, [this, handle = std::move(handle)](
                             const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& read_body) {
    std::string body;
    if (ReadBody(read_body, options_.max_body_bytes, res, &body)) handle(req, body, res);
  });
}

bool HttpServer::Allowed(httplib::Response& res,
                         const std::function<Status(const auth::TokenInfo&)>& check) const {
  if (access_ == nullptr) return true;
  Status allowed = check(t_caller);
  if (!allowed.ok()) StatusError(res, allowed);
  return allowed.ok();
}

HttpServer::BodyHandler HttpServer::Administer(std::string what, BodyHandler handle) {
  return [this, what = std::move(what), handle = std::move(handle)](
             const httplib::Request& req, const std::string& body, httplib::Response& res) {
    if (Allowed(res, [&](const auth::TokenInfo& caller) {
          return Access::MayAdminister(caller, what);
        })) {
      handle(req, body, res);
    }
    if (access_ == nullptr) return;
    const int answered = res.status < 0 ? 200 : res.status;  // httplib sets 200 after us
    Status s =
        access_->audit().Record(t_caller.name, t_caller.id, req.method + " " + req.path, answered);
    // An operation that cannot be audited is not answered as a success.
    if (!s.ok()) StatusError(res, s);
  };
}

// The table a query reads, and whether the caller may read it. A query that does not parse
// or names no table is let through: it fails with the same error for everyone.
Status HttpServer::MayQuery(const auth::TokenInfo& caller, const std::string& sql) const {
  auto select = sql::ParseQuery(sql);
  if (!select.ok()) return Status::OK();
  const sql::Pipeline& plan = engine_->plan();
  auto table = sql::ResolveTableName(select->from.table,
                                     [&](std::string_view name) { return plan.FindColumns(name); });
  if (!table.ok()) return Status::OK();
  return Access::MayRead(caller, *table, plan);
}

void HttpServer::QueryRoutes() {
  using httplib::Request;
  using httplib::Response;
  Client* const client = client_.get();
  PostWithBody(
      "/v1/query", [this, client](const Request& req, const std::string& body, Response& res) {
        const Micros started = MonotonicMicros();
        auto sql = QuerySql(req.get_header_value("Content-Type"), body);
        if (!sql.ok()) return StatusError(res, sql.status());
        if (!Allowed(res, [&](const auth::TokenInfo& caller) { return MayQuery(caller, *sql); })) {
          return;
        }
        const std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
        auto text = client->Query(*sql, format);
        metrics_->Query(static_cast<double>(MonotonicMicros() - started) / 1e6);
        if (!text.ok()) return StatusError(res, text.status());
        if (format == "json") return JsonOk(res, *text);
        res.set_content(*text, "text/plain; charset=utf-8");
      });
}

void HttpServer::ViewRoutes() {
  using httplib::Request;
  using httplib::Response;
  serve::Engine* const engine = engine_;
  Client* const client = client_.get();
  const std::string view = kViewPattern;
  server_->Get("/v1/views", [engine](const Request&, Response& res) {
    JsonOk(res, JsonObject().AddRaw("views", engine->ViewsJson()).Finish());
  });
  server_->Get("/v1/products", [client](const Request&, Response& res) {
    auto products = client->ProductsJson();
    if (!products.ok()) return StatusError(res, products.status());
    JsonOk(res, *products);
  });
  auto may_read = [this, engine](Response& res, const std::string& name) {
    return Allowed(res, [&](const auth::TokenInfo& caller) {
      return Access::MayRead(caller, name, engine->plan());
    });
  };
  server_->Get(view + "/versions", [client, may_read](const Request& req, Response& res) {
    const std::string name = req.matches[1];
    if (!may_read(res, name)) return;
    auto versions = client->Versions(name);
    if (!versions.ok()) return StatusError(res, versions.status());
    JsonOk(res, ViewVersionsJson(name, *versions));
  });
  server_->Get(view + "/drift", [client, may_read](const Request& req, Response& res) {
    if (!may_read(res, req.matches[1])) return;
    auto diff = client->Drift(req.matches[1]);
    if (!diff.ok()) return StatusError(res, diff.status());
    JsonOk(res, diff->ToJson());
  });
}

void HttpServer::LaneRoutes() {
  using httplib::Request;
  using httplib::Response;
  Client* const client = client_.get();
  const std::string view = kViewPattern;
  PostWithBody(view + "/replay",
               Administer("replay", [this, client](const Request& req, const std::string& body,
                                                   Response& res) {
                 auto options = ReplayRequest(body);
                 if (!options.ok()) return StatusError(res, options.status());
                 options->stop = &stop_replays_;
                 auto result = client->Replay(req.matches[1], std::move(*options));
                 if (!result.ok()) return StatusError(res, result.status());
                 JsonOk(res, result->ToJson());
               }));
  PostWithBody(
      view + "/validate",
      Administer("validate", [client](const Request& req, const std::string& body, Response& res) {
        auto lane = LaneName(body);
        if (!lane.ok()) return StatusError(res, lane.status());
        auto diff = client->Validate(req.matches[1], *lane);
        if (!diff.ok()) return StatusError(res, diff.status());
        JsonOk(res, diff->ToJson());
      }));
  PostWithBody(
      view + "/cutover",
      Administer("cut over", [client](const Request& req, const std::string& body, Response& res) {
        auto lane = LaneName(body);
        if (!lane.ok()) return StatusError(res, lane.status());
        auto version = client->Cutover(req.matches[1], *lane);
        if (!version.ok()) return StatusError(res, version.status());
        JsonOk(res, serve::VersionInfoJson(*version, /*live=*/true));
      }));
  PostWithBody(
      view + "/rollback",
      Administer("roll back", [client](const Request& req, const std::string&, Response& res) {
        auto version = client->Rollback(req.matches[1]);
        if (!version.ok()) return StatusError(res, version.status());
        JsonOk(res, serve::VersionInfoJson(*version, /*live=*/true));
      }));
}

Status HttpServer::Bind() {
  // httplib listens with a backlog of 5: a burst of connections beyond it has handshakes
  // dropped, retried a second later, and reset. listen(2) again on the bound socket raises
  // the backlog (to the kernel's somaxconn at most).
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second server binds
  // a port that one already listens on and the kernel splits the connections between them.
  int listen_fd = -1;
  server_->set_socket_options([&listen_fd](int fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd = fd;
  });
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
  } else {
    port_ = server_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ < 0) {
    return Status::IOError("cannot listen on " + options_.host + ":" +
                           std::to_string(options_.port) + " (address in use or not local?)");
  }
  if (::listen(listen_fd, kListenBacklog) != 0) {
    return Status::FromErrno("listen", options_.host, errno);
  }
  return Status::OK();
}

void HttpServer::Run() {
  running_ = true;
  if (!stop_requested_) server_->listen_after_bind();
  running_ = false;
}

void HttpServer::Stop() {
  // httplib ignores stop() until it listens: remember the request for a Run that has not
  // started, and wait for one that is entering its loop.
  stop_requested_ = true;
  stop_replays_ = true;
  for (int i = 0; i < 5000 && running_ && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->stop();
}

}  // namespace strata::api
