#include "api/pipeline_commands.h"

#include <pthread.h>
#include <signal.h>
#include <simdjson.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "api/client.h"
#include "api/command_output.h"
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

// ---- rendering ------------------------------------------------------------------------------

// --format as the API names it (the CLI's json is one object per line: the API's jsonl);
// without one, a table on a terminal and JSON lines otherwise.
std::string ApiFormat(const std::string& format) {
  if (format.empty()) return ::isatty(STDOUT_FILENO) ? "table" : "jsonl";
  return format == "json" ? "jsonl" : format;
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
  for (const std::string& w : p->plan.warnings)
    std::fprintf(stderr, "strata: warning: %s\n", w.c_str());
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
  auto text = RenderQuery(*result, ApiFormat(a.format));
  if (!text.ok()) return Fail(text.status());
  Print(*text);
  return 0;
}

namespace {

// The client a serving command asks: the server at --server, or DATA opened here.
Result<std::unique_ptr<Client>> OpenClient(const Target& t, bool write) {
  if (!t.server.empty()) {
    ASSIGN_OR_RETURN(std::string token, ClientToken(t));
    return std::unique_ptr<Client>(new HttpClient(t.server, token));
  }
  ASSIGN_OR_RETURN(auto client, EmbeddedClient::Open(t.data, write));
  return std::unique_ptr<Client>(std::move(client));
}

}  // namespace

Result<std::string> ClientToken(const Target& t) {
  if (!t.token.empty()) return t.token;
  if (const char* env = std::getenv("STRATA_TOKEN"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  std::string file = t.token_file;
  if (file.empty()) {
    const char* home = std::getenv("HOME");
    if (home == nullptr) return std::string();
    file = JoinPath(JoinPath(home, ".config/strata"), "token");
    if (!FileSystem::Default()->Exists(file)) return std::string();
  }
  std::string text;
  Status s = FileSystem::Default()->ReadFile(file, &text);
  if (!s.ok()) return Status::InvalidArgument("--token-file: " + s.message());
  const size_t end = text.find_first_of("\r\n");
  text = text.substr(0, end);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.pop_back();
  if (text.empty()) return Status::InvalidArgument("--token-file: " + file + " holds no token");
  return text;
}

int RunQuery(const QueryArgs& a) {
  auto client = OpenClient(a.target, /*write=*/false);
  if (!client.ok()) return Fail(client.status());
  auto text = (*client)->Query(a.sql, ApiFormat(a.format), a.runtime);
  if (!text.ok()) return Fail(text.status());
  Print(*text);
  return 0;
}

int RunVersions(const VersionsArgs& a) {
  auto client = OpenClient(a.target, /*write=*/false);
  if (!client.ok()) return Fail(client.status());
  auto v = (*client)->Versions(a.view);
  if (!v.ok()) return Fail(v.status());
  Print(a.json ? ViewVersionsJson(a.view, *v) + "\n" : VersionsText(a.view, v->versions, v->live));
  return 0;
}

int RunReplay(const ReplayArgs& a) {
  serve::ReplayOptions options;
  if (!a.pipeline.empty()) {
    auto p = LoadFile(a.pipeline);
    if (!p.ok()) return Fail(p.status());
    options.sql_text = p->text;
    options.sql_name = a.pipeline;
  }
  auto client = OpenClient(a.target, /*write=*/true);
  if (!client.ok()) return Fail(client.status());
  StopSignal stop;
  options.name = a.name;
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
  auto result = (*client)->Replay(a.view, options);
  if (tty && a.target.server.empty()) std::fprintf(stderr, "\n");
  if (!result.ok()) return Fail(result.status());
  if (!result->finished) {
    std::fprintf(stderr, "strata: replay %s stopped; run the same command again to resume\n",
                 result->name.c_str());
  }
  Print(result->ToJson() + "\n");
  return result->finished ? 0 : 1;
}

namespace {

int DiffCommand(const ViewArgs& a, const std::string& action, bool fail_on_difference) {
  auto client = OpenClient(a.target, /*write=*/false);
  if (!client.ok()) return Fail(client.status());
  auto d = action == "drift" ? (*client)->Drift(a.view) : (*client)->Validate(a.view, a.name);
  if (!d.ok()) return Fail(d.status());
  Print(a.json ? d->ToJson() + "\n" : d->ToText());
  return fail_on_difference && !d->explained() ? 1 : 0;
}

int SwitchCommand(const ViewArgs& a, const std::string& action) {
  auto client = OpenClient(a.target, /*write=*/true);
  if (!client.ok()) return Fail(client.status());
  auto v = action == "cutover" ? (*client)->Cutover(a.view, a.name) : (*client)->Rollback(a.view);
  if (!v.ok()) return Fail(v.status());
  Print(a.json ? serve::VersionInfoJson(*v) + "\n" : LiveText(a.view, *v));
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
  auto client = OpenClient(t, /*write=*/false);
  if (!client.ok()) return Fail(client.status());
  auto status = (*client)->StatusJson();
  if (!status.ok()) return Fail(status.status());
  Print(*status + "\n");
  return 0;
}

int RunProducts(const Target& t, bool json) {
  auto client = OpenClient(t, /*write=*/false);
  if (!client.ok()) return Fail(client.status());
  auto products = (*client)->ProductsJson();
  if (!products.ok()) return Fail(products.status());
  if (json) {
    Print(*products + "\n");
    return 0;
  }
  simdjson::dom::parser parser;
  simdjson::dom::array list;
  if (parser.parse(*products)["products"].get(list)) {
    return Fail(Status::Corruption("unreadable products answer: " + *products));
  }
  constexpr const char* kRow = "%-28s  %-12s  %-7s  %-8s  %-10s  %-9s  %s\n";
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), kRow, "PRODUCT", "OWNER", "SERVING", "LIVE", "ROWS",
                "FRESHNESS", "OBJECTIVE");
  out += line;
  for (simdjson::dom::element p : list) {
    auto text = [&](const char* field) {
      std::string_view v;
      return p[field].get(v) ? std::string("-") : (v.empty() ? "-" : std::string(v));
    };
    // A number field ("-" when absent or null), with `unit`.
    auto number = [](simdjson::simdjson_result<simdjson::dom::element> field, const char* unit) {
      simdjson::dom::element e;
      uint64_t u = 0;
      double v = 0;
      if (field.get(e) || e.is_null()) return std::string("-");
      if (!e.get(u)) return std::to_string(u) + unit;
      if (e.get(v)) return std::string("-");
      char b[32];
      std::snprintf(b, sizeof(b), "%.1f%s", v, unit);
      return std::string(b);
    };
    std::string objective = number(p["freshness"]["objective_s"], "s");
    bool met = true;
    if (!p["freshness"]["met"].get(met) && !met) objective += " MISSED";
    std::snprintf(line, sizeof(line), kRow, text("name").c_str(), text("owner").c_str(),
                  text("serving").c_str(), number(p["live_version"], "").c_str(),
                  number(p["rows"], "").c_str(), number(p["freshness"]["lag_s"], "s").c_str(),
                  objective.c_str());
    out += line;
  }
  Print(out);
  return 0;
}

}  // namespace strata::api
