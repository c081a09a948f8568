#include "api/client.h"

#include <cmath>
#include <cstdio>

#include <httplib.h>
#include <simdjson.h>

#include "common/json_writer.h"
#include "quality/reconcile.h"
#include "runtime/runner.h"

namespace strata::api {
namespace {

// One value of a query result as JSON (see http_server.h for the mapping).
void AppendValueJson(std::string* out, const Value& v, const Type& type) {
  if (v.is_null()) {
    *out += "null";
    return;
  }
  switch (type.id) {
    case TypeId::kBoolean:
      *out += v.as_bool() ? "true" : "false";
      return;
    case TypeId::kBigint:
      *out += std::to_string(v.as_int64());
      return;
    case TypeId::kDouble: {
      // The same text as runtime::FormatJsonLines: a number, or a string when not finite.
      std::string text = v.ToString(type);
      if (std::isfinite(v.as_double())) {
        *out += text;
      } else {
        AppendJsonString(out, text);
      }
      return;
    }
    default:  // numeric keeps its exact digits as a string; text, timestamp, date
      AppendJsonString(out, v.ToString(type));
  }
}

std::string QueryResultJson(const runtime::QueryResult& r) {
  std::string columns = "[";
  for (size_t c = 0; c < r.names.size(); ++c) {
    columns += (c ? "," : "") +
               JsonObject().Add("name", r.names[c]).Add("type", r.types[c].ToString()).Finish();
  }
  std::string rows = "[";
  for (size_t row = 0; row < r.rows.num_rows(); ++row) {
    rows += row ? ",[" : "[";
    for (size_t c = 0; c < r.names.size(); ++c) {
      if (c) rows += ",";
      AppendValueJson(&rows, r.rows.columns[c].GetValue(row), r.types[c]);
    }
    rows += "]";
  }
  return JsonObject()
      .AddRaw("columns", columns + "]")
      .AddRaw("rows", rows + "]")
      .Add("row_count", static_cast<uint64_t>(r.rows.num_rows()))
      .Finish();
}

Status FromHttp(int code, const std::string& body) {
  std::string message = body;
  simdjson::dom::parser parser;
  std::string_view error;
  if (parser.parse(body).at_key("error").get(error) == simdjson::SUCCESS) {
    message = std::string(error);
  }
  switch (code) {
    case 400:
      return Status::InvalidArgument(message);
    case 401:
      return Status::Unauthenticated(message);
    case 403:
      return Status::PermissionDenied(message);
    case 404:
      return Status::NotFound(message);
    case 409:
      return Status::FailedPrecondition(message);
    default:
      return Status::IOError("server answered " + std::to_string(code) + ": " + message);
  }
}

Status CheckQueryFormat(const std::string& format) {
  if (format == "json" || format == "jsonl" || format == "table" || format == "csv") {
    return Status::OK();
  }
  return Status::InvalidArgument("format must be json, table, csv or jsonl, got '" + format + "'");
}

std::string ViewPath(const std::string& view, const std::string& action) {
  return "/v1/views/" + view + "/" + action;  // names are letters, digits, _ and .
}

Result<serve::VersionInfo> ParseVersion(const std::string& json) {
  serve::VersionInfo v;
  RETURN_IF_ERROR(serve::ParseVersionInfo(json, &v));
  return v;
}

Result<ViewVersions> ParseViewVersions(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::array list;
  if (parser.parse(json).at_key("versions").get(list) != simdjson::SUCCESS) {
    return Status::InvalidArgument("the server's answer has no versions");
  }
  ViewVersions out;
  for (simdjson::dom::element e : list) {
    ASSIGN_OR_RETURN(serve::VersionInfo v, ParseVersion(simdjson::to_string(e)));
    bool is_live = false;
    if (e.at_key("live").get(is_live) == simdjson::SUCCESS && is_live) out.live = v.version;
    out.versions.push_back(std::move(v));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<log::Store>> OpenStore(const std::string& data, bool read_only) {
  log::StoreOptions options;
  options.read_only = read_only;
  ASSIGN_OR_RETURN(auto store, log::Store::Open(data, options));
  for (const auto& line : store->recovery_report()) {
    std::fprintf(stderr, "strata: recovery: %s\n", line.c_str());
  }
  return store;
}

Result<std::string> RenderQuery(const runtime::QueryResult& result, const std::string& format) {
  RETURN_IF_ERROR(CheckQueryFormat(format));
  if (format == "json") return QueryResultJson(result);
  if (format == "jsonl") return runtime::FormatJsonLines(result);
  if (format == "table") return runtime::FormatTable(result);
  return runtime::FormatCsv(result);
}

std::string ViewVersionsJson(const std::string& view, const ViewVersions& versions) {
  std::string list = "[";
  for (size_t i = 0; i < versions.versions.size(); ++i) {
    const serve::VersionInfo& v = versions.versions[i];
    list += (i ? "," : "") + serve::VersionInfoJson(v, versions.live == v.version);
  }
  return JsonObject().Add("view", view).AddRaw("versions", list + "]").Finish();
}

Result<serve::ReplayResult> ParseReplayResult(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  serve::ReplayResult r;
  std::string_view name;
  simdjson::dom::element version;
  if (parser.parse(json).get(o) != simdjson::SUCCESS || o["name"].get(name) ||
      o["records"].get(r.records) || o["seconds"].get(r.seconds) || o["resumed"].get(r.resumed) ||
      o["finished"].get(r.finished) || o["version"].get(version)) {
    return Status::InvalidArgument("the server's answer is not a replay's result: " + json);
  }
  r.name = std::string(name);
  if (!version.is_null()) {
    ASSIGN_OR_RETURN(r.version, ParseVersion(simdjson::to_string(version)));
  }
  return r;
}

// ---- embedded -------------------------------------------------------------------------------

Result<std::unique_ptr<EmbeddedClient>> EmbeddedClient::Open(const std::string& data, bool write) {
  runtime::PipelinePaths paths(data);
  FileSystem* fs = FileSystem::Default();
  if (!fs->Exists(data)) return Status::NotFound("data directory " + data + " does not exist");
  std::string text;
  if (!fs->ReadFile(paths.sql, &text).ok()) {
    return Status::NotFound(data +
                            " runs no pipeline yet (run `strata run` or `strata batch` "
                            "first)");
  }
  auto store = OpenStore(data, /*read_only=*/false);
  if (!store.ok() && store.status().code() == StatusCode::kLocked && !write) {
    std::fprintf(stderr,
                 "strata: note: another process owns %s; answering from its last saved state "
                 "(ask it with --server URL for live answers)\n",
                 data.c_str());
    store = OpenStore(data, /*read_only=*/true);
  }
  if (!store.ok()) return store.status();
  ASSIGN_OR_RETURN(auto engine, serve::Engine::Open(store->get(), data, text, paths.sql));
  for (const auto& w : engine->warnings())
    std::fprintf(stderr, "strata: checkpoint: %s\n", w.c_str());
  std::unique_ptr<EmbeddedClient> client(new EmbeddedClient(engine.get()));
  client->store_ = std::move(*store);
  client->owned_ = std::move(engine);
  return client;
}

Result<std::string> EmbeddedClient::Query(const std::string& sql, const std::string& format,
                                          const std::string& runtime) {
  RETURN_IF_ERROR(CheckQueryFormat(format));  // before the work
  ASSIGN_OR_RETURN(runtime::QueryResult result, engine_->QueryRuntime(sql, runtime));
  return RenderQuery(result, format);
}

Result<ViewVersions> EmbeddedClient::Versions(const std::string& view) {
  ViewVersions out;
  ASSIGN_OR_RETURN(out.versions, engine_->Versions(view));
  ASSIGN_OR_RETURN(out.live, engine_->LiveVersion(view));
  return out;
}

Result<serve::ReplayResult> EmbeddedClient::Replay(const std::string& view,
                                                   serve::ReplayOptions options) {
  return engine_->Replay(view, std::move(options));
}

Result<quality::Diff> EmbeddedClient::Validate(const std::string& view, const std::string& lane) {
  return quality::Validate(*engine_, view, lane);
}

Result<quality::Diff> EmbeddedClient::Drift(const std::string& view) {
  return quality::Drift(*engine_, view);
}

Result<serve::VersionInfo> EmbeddedClient::Cutover(const std::string& view,
                                                   const std::string& lane) {
  return engine_->Cutover(view, lane);
}

Result<serve::VersionInfo> EmbeddedClient::Rollback(const std::string& view) {
  return engine_->Rollback(view);
}

Result<std::string> EmbeddedClient::StatusJson() {
  return engine_->StatusJson();
}

Result<std::string> EmbeddedClient::ProductsJson() {
  return engine_->ProductsJson();
}

// ---- over HTTP ------------------------------------------------------------------------------

Result<std::string> HttpClient::Call(const std::string& method, const std::string& path,
                                     const std::string& body, const std::string& type) const {
  httplib::Client client(url_);
  client.set_connection_timeout(5, 0);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(24 * 3600, 0);  // a replay answers when it is done
  if (!token_.empty()) client.set_bearer_token_auth(token_.c_str());
  httplib::Result res = method == "GET" ? client.Get(path) : client.Post(path, body, type);
  if (!res) {
    return Status::IOError("cannot reach " + url_ + ": " + httplib::to_string(res.error()));
  }
  if (res->status / 100 != 2) return FromHttp(res->status, res->body);
  // A JSON answer ends its line; the value is what the embedded client returns.
  if (res->get_header_value("Content-Type") == "application/json" && !res->body.empty() &&
      res->body.back() == '\n') {
    res->body.pop_back();
  }
  return std::move(res->body);
}

Result<std::string> HttpClient::Query(const std::string& sql, const std::string& format,
                                      const std::string& runtime) {
  if (!runtime.empty()) return Status::InvalidArgument("--runtime needs --data");
  return Call("POST", "/v1/query?format=" + format, sql, "text/plain");
}

Result<ViewVersions> HttpClient::Versions(const std::string& view) {
  ASSIGN_OR_RETURN(std::string body, Call("GET", ViewPath(view, "versions")));
  return ParseViewVersions(body);
}

Result<serve::ReplayResult> HttpClient::Replay(const std::string& view,
                                               serve::ReplayOptions options) {
  JsonObject body;
  if (!options.name.empty()) body.Add("as", options.name);
  if (options.rate > 0) body.Add("rate", options.rate);
  if (options.from_offset) body.Add("from_offset", *options.from_offset);
  if (options.from_checkpoint) body.Add("from_checkpoint", *options.from_checkpoint);
  if (!options.sql_text.empty()) body.Add("sql", options.sql_text);
  ASSIGN_OR_RETURN(std::string answer, Call("POST", ViewPath(view, "replay"), body.Finish()));
  return ParseReplayResult(answer);
}

Result<quality::Diff> HttpClient::Validate(const std::string& view, const std::string& lane) {
  ASSIGN_OR_RETURN(std::string body, Call("POST", ViewPath(view, "validate"),
                                          JsonObject().Add("name", lane).Finish()));
  return quality::Diff::FromJson(body);
}

Result<quality::Diff> HttpClient::Drift(const std::string& view) {
  ASSIGN_OR_RETURN(std::string body, Call("GET", ViewPath(view, "drift")));
  return quality::Diff::FromJson(body);
}

Result<serve::VersionInfo> HttpClient::Cutover(const std::string& view, const std::string& lane) {
  ASSIGN_OR_RETURN(std::string body, Call("POST", ViewPath(view, "cutover"),
                                          JsonObject().Add("name", lane).Finish()));
  return ParseVersion(body);
}

Result<serve::VersionInfo> HttpClient::Rollback(const std::string& view) {
  ASSIGN_OR_RETURN(std::string body, Call("POST", ViewPath(view, "rollback"), "{}"));
  return ParseVersion(body);
}

Result<std::string> HttpClient::StatusJson() {
  return Call("GET", "/v1/status");
}

Result<std::string> HttpClient::ProductsJson() {
  return Call("GET", "/v1/products");
}

}  // namespace strata::api
