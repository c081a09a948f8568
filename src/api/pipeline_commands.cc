#include "api/pipeline_commands.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include <httplib.h>
#include <simdjson.h>

#include "api/signals.h"
#include "common/json_writer.h"
#include "log/store.h"
#include "quality/reconcile.h"
#include "runtime/query.h"
#include "runtime/runner.h"
#include "serve/checkpoint.h"
#include "serve/engine.h"
#include "sql/binder.h"
#include "sql/graph.h"
#include "sql/parser.h"

namespace strata::api {
namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "strata: error: %s\n", s.ToString().c_str());
  return 1;
}

void Print(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

Result<std::string> ReadText(const std::string& path) {
  std::string text;
  RETURN_IF_ERROR(FileSystem::Default()->ReadFile(path, &text));
  return text;
}

struct LoadedPipeline {
  std::string path;
  std::string text;
  sql::Pipeline plan;
};

Result<LoadedPipeline> LoadFile(const std::string& path) {
  LoadedPipeline p;
  p.path = path;
  ASSIGN_OR_RETURN(p.text, ReadText(path));
  ASSIGN_OR_RETURN(p.plan, runtime::LoadPipeline(p.text, path));
  return p;
}

Result<std::unique_ptr<log::Store>> OpenStore(const std::string& data, bool read_only) {
  log::StoreOptions options;
  options.read_only = read_only;
  ASSIGN_OR_RETURN(auto store, log::Store::Open(data, options));
  for (const auto& line : store->recovery_report()) {
    std::fprintf(stderr, "strata: recovery: %s\n", line.c_str());
  }
  return store;
}

// Opens DIR for writing, creates the pipeline's bronze tables and records the pipeline the
// directory runs (what `strata query` binds against). A directory whose runtimes already
// hold state for another version of the pipeline is refused: their state would not match.
Result<std::unique_ptr<log::Store>> Prepare(const std::string& data, const LoadedPipeline& p) {
  ASSIGN_OR_RETURN(auto store, OpenStore(data, /*read_only=*/false));
  RETURN_IF_ERROR(runtime::EnsureBronzeTables(store.get(), p.plan));
  runtime::PipelinePaths paths(data);
  FileSystem* fs = FileSystem::Default();
  if (fs->Exists(paths.sql)) {
    ASSIGN_OR_RETURN(std::string recorded, ReadText(paths.sql));
    bool has_state = fs->Exists(paths.streaming) || fs->Exists(paths.batch);
    if (!has_state) {
      ASSIGN_OR_RETURN(auto checkpoints, serve::ListCheckpoints(fs, paths.checkpoints));
      has_state = !checkpoints.empty();
    }
    if (recorded != p.text && has_state) {
      return Status::FailedPrecondition(
          data + " runs another version of the pipeline (" + paths.sql + "). Ship a changed " +
          "view with `strata replay VIEW --pipeline " + p.path +
          " --as NAME` and `strata cutover VIEW NAME`, or remove " + paths.dir +
          " to recompute everything from bronze with the new SQL");
    }
  }
  RETURN_IF_ERROR(fs->CreateDirs(paths.dir));
  RETURN_IF_ERROR(fs->WriteFileAtomic(paths.sql, p.text));
  return store;
}

// The data directory, opened with its engine.
struct Embedded {
  std::unique_ptr<log::Store> store;
  std::unique_ptr<serve::Engine> engine;
};

Result<Embedded> OpenEmbedded(const std::string& data, bool write) {
  runtime::PipelinePaths paths(data);
  if (!FileSystem::Default()->Exists(data)) {
    return Status::NotFound("data directory " + data + " does not exist");
  }
  auto text = ReadText(paths.sql);
  if (!text.ok()) {
    return Status::NotFound(data +
                            " runs no pipeline yet (run `strata run` or `strata batch` "
                            "first)");
  }
  Embedded e;
  auto store = OpenStore(data, /*read_only=*/false);
  if (!store.ok() && store.status().code() == StatusCode::kLocked && !write) {
    std::fprintf(stderr,
                 "strata: note: another process owns %s; answering from its last saved state "
                 "(ask it with --server URL for live answers)\n",
                 data.c_str());
    store = OpenStore(data, /*read_only=*/true);
  }
  if (!store.ok()) return store.status();
  e.store = std::move(*store);
  ASSIGN_OR_RETURN(e.engine, serve::Engine::Open(e.store.get(), data, *text, paths.sql));
  for (const auto& w : e.engine->warnings())
    std::fprintf(stderr, "strata: checkpoint: %s\n", w.c_str());
  return e;
}

// ---- the HTTP client of --server ----------------------------------------------------------

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
    case 404:
      return Status::NotFound(message);
    case 409:
      return Status::FailedPrecondition(message);
    default:
      return Status::IOError("server answered " + std::to_string(code) + ": " + message);
  }
}

Result<std::string> Call(const std::string& server, const std::string& method,
                         const std::string& path, const std::string& body = "",
                         const std::string& type = "application/json") {
  httplib::Client client(server);
  client.set_connection_timeout(5, 0);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(24 * 3600, 0);  // a replay answers when it is done
  httplib::Result res = method == "GET" ? client.Get(path) : client.Post(path, body, type);
  if (!res) {
    return Status::IOError("cannot reach " + server + ": " + httplib::to_string(res.error()));
  }
  if (res->status / 100 != 2) return FromHttp(res->status, res->body);
  return res->body;
}

std::string ViewPath(const std::string& view, const std::string& action) {
  return "/v1/views/" + view + "/" + action;  // names are letters, digits, _ and .
}

// ---- rendering ------------------------------------------------------------------------------

std::string Render(const runtime::QueryResult& r, std::string format) {
  if (format == "json") return runtime::FormatJsonLines(r);
  if (format == "csv") return runtime::FormatCsv(r);
  return runtime::FormatTable(r);
}

std::string DefaultFormat(const std::string& format) {
  if (!format.empty()) return format;
  return ::isatty(STDOUT_FILENO) ? "table" : "json";
}

std::string VersionsJson(const std::string& view, const std::vector<serve::VersionInfo>& versions,
                         std::optional<uint64_t> live) {
  std::string list = "[";
  for (size_t i = 0; i < versions.size(); ++i) {
    std::string v = serve::VersionInfoJson(versions[i]);
    v.pop_back();  // add "live" to the object
    v +=
        std::string(",\"live\":") + (live && *live == versions[i].version ? "true" : "false") + "}";
    list += (i ? "," : "") + v;
  }
  return JsonObject().Add("view", view).AddRaw("versions", list + "]").Finish() + "\n";
}

Status ParseVersions(const std::string& json, std::vector<serve::VersionInfo>* versions,
                     std::optional<uint64_t>* live) {
  simdjson::dom::parser parser;
  simdjson::dom::array list;
  if (parser.parse(json).at_key("versions").get(list) != simdjson::SUCCESS) {
    return Status::InvalidArgument("the server's answer has no versions");
  }
  for (simdjson::dom::element e : list) {
    serve::VersionInfo v;
    RETURN_IF_ERROR(serve::ParseVersionInfo(simdjson::to_string(e), &v));
    bool is_live = false;
    if (e.at_key("live").get(is_live) == simdjson::SUCCESS && is_live) *live = v.version;
    versions->push_back(std::move(v));
  }
  return Status::OK();
}

std::string VersionsText(const std::string& view, const std::vector<serve::VersionInfo>& versions,
                         std::optional<uint64_t> live) {
  if (versions.empty()) return view + ": no versions yet\n";
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-8s %-4s %-16s %-9s %10s  %-16s  %-19s  %-16s  %s\n",
                "version", "live", "name", "origin", "rows", "checksum", "created", "logic",
                "boundary");
  out += line;
  for (const auto& v : versions) {
    std::string created = FormatTimestamp(v.created).substr(0, 19);
    std::snprintf(line, sizeof(line), "%-8llu %-4s %-16s %-9s %10llu  %-16s  %-19s  %-16s  %s\n",
                  static_cast<unsigned long long>(v.version), live && *live == v.version ? "*" : "",
                  v.name.c_str(), v.origin.c_str(), static_cast<unsigned long long>(v.rows),
                  v.checksum.c_str(), created.c_str(), v.logic_hash.c_str(),
                  BoundaryJson(v.boundary).c_str());
    out += line;
  }
  return out;
}

std::string LiveText(const std::string& view, const serve::VersionInfo& v) {
  return view + ": version " + std::to_string(v.version) + " (" + v.name + ", " + v.origin + ", " +
         std::to_string(v.rows) + " rows, checksum " + v.checksum + ") is live\n";
}

// "[=====>      ]  45%  1234567/2740000 events  1.2 M/s" on one line of stderr.
void ProgressBar(uint64_t done, uint64_t total, Micros start) {
  const int width = 30;
  double f = total == 0 ? 1 : static_cast<double>(done) / total;
  int filled = static_cast<int>(f * width);
  std::string bar(filled, '=');
  if (filled < width) bar += '>';
  bar.resize(width, ' ');
  double seconds = (MonotonicMicros() - start) / 1e6;
  std::fprintf(stderr, "\r[%s] %3d%%  %llu/%llu events  %.2f M/s ", bar.c_str(),
               static_cast<int>(f * 100), static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(total), seconds > 0 ? done / seconds / 1e6 : 0.0);
  std::fflush(stderr);
}

}  // namespace

Result<PreparedPipeline> PreparePipeline(const std::string& data, const std::string& file) {
  ASSIGN_OR_RETURN(std::string text, ReadText(file));
  return PreparePipelineText(data, std::move(text), file);
}

Result<PreparedPipeline> PreparePipelineText(const std::string& data, std::string text,
                                             const std::string& name) {
  LoadedPipeline p;
  p.path = name;
  p.text = std::move(text);
  ASSIGN_OR_RETURN(p.plan, runtime::LoadPipeline(p.text, name));
  PreparedPipeline out;
  ASSIGN_OR_RETURN(out.store, Prepare(data, p));
  out.text = std::move(p.text);
  out.path = runtime::PipelinePaths(data).sql;
  return out;
}

int RunCheck(const CheckArgs& a) {
  auto p = LoadFile(a.file);
  if (!p.ok()) return Fail(p.status());
  if (!a.data.empty()) {
    auto store = Prepare(a.data, *p);
    if (!store.ok()) return Fail(store.status());
  }
  const sql::PlanGraph graph = sql::BuildPlanGraph(p->plan);
  if (a.format == "json") {
    Print(sql::FormatGraphJson(graph));
  } else if (a.format == "dot") {
    Print(sql::FormatGraphDot(graph));
  } else {
    Print(sql::FormatGraphText(graph));
  }
  return 0;
}

int RunPipeline(const RunArgs& a) {
  auto p = LoadFile(a.pipeline);
  if (!p.ok()) return Fail(p.status());
  auto store = Prepare(a.data, *p);
  if (!store.ok()) return Fail(store.status());
  serve::EngineOptions options;
  options.batch_records = a.batch_size;
  auto engine = serve::Engine::Open(store->get(), a.data, p->text,
                                    runtime::PipelinePaths(a.data).sql, options);
  if (!engine.ok()) return Fail(engine.status());
  StopSignal stop;
  Micros start = MonotonicMicros();
  uint64_t records = 0;
  while (!stop.flag()->load()) {
    auto n = (*engine)->Step();
    if (!n.ok()) return Fail(n.status());
    records += *n;
    if (*n == 0) {
      if (a.until_caught_up && (*engine)->CaughtUp()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  auto published = (*engine)->PublishStreaming();
  if (!published.ok()) return Fail(published.status());
  Status s = (*engine)->Save();
  if (!s.ok()) return Fail(s);
  Print(JsonObject()
            .Add("records", records)
            .Add("seconds", (MonotonicMicros() - start) / 1e6)
            .AddRaw("status", (*engine)->StatusJson())
            .Finish() +
        "\n");
  return 0;
}

int RunBatchCommand(const BatchArgs& a) {
  auto p = LoadFile(a.pipeline);
  if (!p.ok()) return Fail(p.status());
  if (!a.view.empty() && p->plan.FindColumns(a.view) == nullptr) {
    return Fail(Status::NotFound("the pipeline has no table or view " + a.view));
  }
  auto store = Prepare(a.data, *p);
  if (!store.ok()) return Fail(store.status());
  auto engine =
      serve::Engine::Open(store->get(), a.data, p->text, runtime::PipelinePaths(a.data).sql);
  if (!engine.ok()) return Fail(engine.status());
  auto run = (*engine)->RunBatch();
  if (!run.ok()) return Fail(run.status());
  // batch(T) is durable with a checkpoint (which holds it with the speed path's epochs).
  Status saved = (*engine)->Save();
  if (!saved.ok()) return Fail(saved);
  if (a.view.empty()) {
    std::string published = "[";
    for (size_t i = 0; i < run->published.size(); ++i) {
      published += (i ? "," : "") + serve::VersionInfoJson(run->published[i]);
    }
    Print(JsonObject()
              .Add("records", run->records)
              .Add("seconds", run->seconds)
              .AddRaw("boundary", BoundaryJson(run->boundary))
              .AddRaw("published", published + "]")
              .Finish() +
          "\n");
    return 0;
  }
  auto result = (*engine)->QueryRuntime("SELECT * FROM " + a.view, "batch");
  if (!result.ok()) return Fail(result.status());
  Print(Render(*result, DefaultFormat(a.format)));
  return 0;
}

int RunQuery(const QueryArgs& a) {
  const std::string format = DefaultFormat(a.format);
  if (!a.target.server.empty()) {
    if (!a.runtime.empty()) return Fail(Status::InvalidArgument("--runtime needs --data"));
    auto body = Call(a.target.server, "POST",
                     "/v1/query?format=" + std::string(format == "json" ? "jsonl" : format), a.sql,
                     "text/plain");
    if (!body.ok()) return Fail(body.status());
    Print(*body);
    return 0;
  }
  auto e = OpenEmbedded(a.target.data, /*write=*/false);
  if (!e.ok()) return Fail(e.status());
  auto result = e->engine->QueryRuntime(a.sql, a.runtime);
  if (!result.ok()) return Fail(result.status());
  Print(Render(*result, format));
  return 0;
}

int RunVersions(const VersionsArgs& a) {
  std::vector<serve::VersionInfo> versions;
  std::optional<uint64_t> live;
  if (!a.target.server.empty()) {
    auto body = Call(a.target.server, "GET", ViewPath(a.view, "versions"));
    if (!body.ok()) return Fail(body.status());
    Status s = ParseVersions(*body, &versions, &live);
    if (!s.ok()) return Fail(s);
  } else {
    auto e = OpenEmbedded(a.target.data, /*write=*/false);
    if (!e.ok()) return Fail(e.status());
    auto list = e->engine->Versions(a.view);
    if (!list.ok()) return Fail(list.status());
    versions = std::move(*list);
    auto l = e->engine->LiveVersion(a.view);
    if (!l.ok()) return Fail(l.status());
    live = *l;
  }
  Print(a.json ? VersionsJson(a.view, versions, live) : VersionsText(a.view, versions, live));
  return 0;
}

int RunReplay(const ReplayArgs& a) {
  std::string sql;
  if (!a.pipeline.empty()) {
    auto p = LoadFile(a.pipeline);
    if (!p.ok()) return Fail(p.status());
    sql = p->text;
  }
  if (!a.target.server.empty()) {
    JsonObject body;
    if (!a.name.empty()) body.Add("as", a.name);
    if (a.rate > 0) body.Add("rate", a.rate);
    if (a.from_offset) body.Add("from_offset", *a.from_offset);
    if (!a.from_checkpoint.empty()) body.Add("from_checkpoint", a.from_checkpoint);
    if (!sql.empty()) body.Add("sql", sql);
    auto answer = Call(a.target.server, "POST", ViewPath(a.view, "replay"), body.Finish());
    if (!answer.ok()) return Fail(answer.status());
    Print(*answer + "\n");
    return 0;
  }
  auto e = OpenEmbedded(a.target.data, /*write=*/true);
  if (!e.ok()) return Fail(e.status());
  StopSignal stop;
  serve::ReplayOptions options;
  options.name = a.name;
  options.sql_text = sql;
  if (!a.pipeline.empty()) options.sql_name = a.pipeline;
  options.from_offset = a.from_offset;
  if (!a.from_checkpoint.empty()) options.from_checkpoint = a.from_checkpoint;
  options.rate = a.rate;
  options.stop = stop.flag();
  const Micros start = MonotonicMicros();
  const bool tty = ::isatty(STDERR_FILENO);
  Micros last = 0;
  if (tty) {
    options.progress = [&](uint64_t done, uint64_t total) {
      if (MonotonicMicros() - last < 100'000 && done < total) return;
      last = MonotonicMicros();
      ProgressBar(done, total, start);
    };
  }
  auto result = e->engine->Replay(a.view, options);
  if (tty) std::fprintf(stderr, "\n");
  if (!result.ok()) return Fail(result.status());
  if (!result->finished) {
    std::fprintf(stderr, "strata: replay %s stopped; run the same command again to resume\n",
                 result->name.c_str());
  }
  Print(result->ToJson() + "\n");
  return result->finished ? 0 : 1;
}

namespace {

int PrintDiff(const Result<std::string>& body, bool json, bool fail_on_difference) {
  if (!body.ok()) return Fail(body.status());
  auto d = quality::Diff::FromJson(*body);
  if (!d.ok()) return Fail(d.status());
  Print(json ? *body + "\n" : d->ToText());
  return fail_on_difference && !d->explained() ? 1 : 0;
}

int DiffCommand(const ViewArgs& a, const std::string& action, bool fail_on_difference) {
  if (!a.target.server.empty()) {
    auto body = action == "drift" ? Call(a.target.server, "GET", ViewPath(a.view, "drift"))
                                  : Call(a.target.server, "POST", ViewPath(a.view, action),
                                         JsonObject().Add("name", a.name).Finish());
    return PrintDiff(body, a.json, fail_on_difference);
  }
  auto e = OpenEmbedded(a.target.data, /*write=*/false);
  if (!e.ok()) return Fail(e.status());
  auto d = action == "drift" ? quality::Drift(*e->engine, a.view)
                             : quality::Validate(*e->engine, a.view, a.name);
  if (!d.ok()) return Fail(d.status());
  return PrintDiff(d->ToJson(), a.json, fail_on_difference);
}

int SwitchCommand(const ViewArgs& a, const std::string& action) {
  serve::VersionInfo v;
  if (!a.target.server.empty()) {
    auto body = Call(a.target.server, "POST", ViewPath(a.view, action),
                     action == "cutover" ? JsonObject().Add("name", a.name).Finish() : "{}");
    if (!body.ok()) return Fail(body.status());
    Status s = serve::ParseVersionInfo(*body, &v);
    if (!s.ok()) return Fail(s);
  } else {
    auto e = OpenEmbedded(a.target.data, /*write=*/true);
    if (!e.ok()) return Fail(e.status());
    auto r = action == "cutover" ? e->engine->Cutover(a.view, a.name) : e->engine->Rollback(a.view);
    if (!r.ok()) return Fail(r.status());
    v = std::move(*r);
  }
  Print(a.json ? serve::VersionInfoJson(v) + "\n" : LiveText(a.view, v));
  return 0;
}

}  // namespace

int RunValidate(const ViewArgs& a) {
  return DiffCommand(a, "validate", /*fail_on_difference=*/false);
}

int RunDrift(const ViewArgs& a) {
  return DiffCommand(a, "drift", /*fail_on_difference=*/true);
}

int RunCutover(const ViewArgs& a) {
  return SwitchCommand(a, "cutover");
}

int RunRollback(const ViewArgs& a) {
  return SwitchCommand(a, "rollback");
}

int RunStatus(const Target& t) {
  if (!t.server.empty()) {
    auto body = Call(t.server, "GET", "/v1/status");
    if (!body.ok()) return Fail(body.status());
    Print(*body + "\n");
    return 0;
  }
  auto e = OpenEmbedded(t.data, /*write=*/false);
  if (!e.ok()) return Fail(e.status());
  Print(e->engine->StatusJson() + "\n");
  return 0;
}

}  // namespace strata::api
