#include "api/pipeline_commands.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "common/json_writer.h"
#include "log/store.h"
#include "runtime/query.h"
#include "runtime/runner.h"
#include "sql/binder.h"
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
  std::string text;
  sql::Pipeline plan;
};

Result<LoadedPipeline> LoadFile(const std::string& path) {
  LoadedPipeline p;
  ASSIGN_OR_RETURN(p.text, ReadText(path));
  ASSIGN_OR_RETURN(p.plan, runtime::LoadPipeline(p.text, path));
  return p;
}

// Opens DIR for writing, creates the pipeline's bronze tables and records the pipeline the
// directory runs (what `strata query` binds against).
Result<std::unique_ptr<log::Store>> Prepare(const std::string& data, const LoadedPipeline& p) {
  ASSIGN_OR_RETURN(auto store, log::Store::Open(data, log::StoreOptions{}));
  for (const auto& line : store->recovery_report()) {
    std::fprintf(stderr, "strata: recovery: %s\n", line.c_str());
  }
  RETURN_IF_ERROR(runtime::EnsureBronzeTables(store.get(), p.plan));
  runtime::PipelinePaths paths(data);
  RETURN_IF_ERROR(FileSystem::Default()->CreateDirs(paths.dir));
  RETURN_IF_ERROR(FileSystem::Default()->WriteFileAtomic(paths.sql, p.text));
  return store;
}

std::string Summary(const runtime::PipelineExecutor& e, const sql::Pipeline& plan, uint64_t records,
                    double seconds) {
  JsonObject o;
  o.Add("records", records).Add("seconds", seconds);
  std::string silver = "{";
  for (size_t i = 0; i < plan.silver.size(); ++i) {
    const runtime::SilverCounters* c = e.counters(plan.silver[i].name);
    silver += (i ? ", " : "");
    AppendJsonString(&silver, plan.silver[i].name);
    silver += ": " + JsonObject()
                         .Add("records", c->records)
                         .Add("filtered", c->filtered)
                         .Add("quarantined", c->quarantined)
                         .Add("dropped", c->dropped)
                         .Finish();
  }
  o.AddRaw("silver", silver + "}");
  std::string gold = "{";
  for (size_t i = 0; i < plan.gold.size(); ++i) {
    auto rows = e.Rows(plan.gold[i].name);
    gold += (i ? ", " : "");
    AppendJsonString(&gold, plan.gold[i].name);
    gold += ": " + std::to_string(rows.ok() ? rows->num_rows() : 0);
  }
  o.AddRaw("gold_rows", gold + "}");
  return o.Finish() + "\n";
}

std::string Render(const runtime::QueryResult& r, std::string format) {
  if (format.empty()) format = ::isatty(STDOUT_FILENO) ? "table" : "json";
  if (format == "json") return runtime::FormatJsonLines(r);
  if (format == "csv") return runtime::FormatCsv(r);
  return runtime::FormatTable(r);
}

Result<runtime::QueryResult> QueryExecutor(const runtime::PipelineExecutor& executor,
                                           const sql::Pipeline& plan, const std::string& text) {
  ASSIGN_OR_RETURN(sql::Select select, sql::ParseQuery(text));
  auto lookup = [&](std::string_view name) { return plan.FindColumns(name); };
  ASSIGN_OR_RETURN(sql::BoundQuery query, sql::BindQuery(select, lookup));
  ASSIGN_OR_RETURN(Batch rows, executor.Rows(query.table));
  return runtime::ExecuteQuery(query, rows);
}

// SIGINT/SIGTERM set the flag; the streaming loop stops at the next micro-batch.
class StopOnSignal {
 public:
  StopOnSignal() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    thread_ = std::thread([this] {
      int sig = 0;
      sigwait(&signals_, &sig);
      stop_ = true;
    });
  }
  ~StopOnSignal() {
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }
  const std::atomic<bool>* flag() const { return &stop_; }

 private:
  sigset_t signals_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

int RunCheck(const CheckArgs& a) {
  auto p = LoadFile(a.file);
  if (!p.ok()) return Fail(p.status());
  if (!a.data.empty()) {
    auto store = Prepare(a.data, *p);
    if (!store.ok()) return Fail(store.status());
  }
  Print(sql::ExplainPipeline(p->plan));
  return 0;
}

int RunPipeline(const RunArgs& a) {
  auto p = LoadFile(a.pipeline);
  if (!p.ok()) return Fail(p.status());
  auto store = Prepare(a.data, *p);
  if (!store.ok()) return Fail(store.status());
  auto executor = runtime::PipelineExecutor::Make(p->plan);
  if (!executor.ok()) return Fail(executor.status());
  StopOnSignal stop;
  runtime::StreamingOptions options;
  options.batch_records = a.batch_size;
  options.until_caught_up = a.until_caught_up;
  options.stop = stop.flag();
  Micros start = MonotonicMicros();
  auto n = runtime::RunStreaming(store->get(), p->plan, executor->get(),
                                 runtime::PipelinePaths(a.data).streaming, options);
  if (!n.ok()) return Fail(n.status());
  Print(Summary(**executor, p->plan, *n, (MonotonicMicros() - start) / 1e6));
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
  Micros start = MonotonicMicros();
  auto executor = runtime::RunBatch(store->get(), p->plan, runtime::PipelinePaths(a.data).batch);
  if (!executor.ok()) return Fail(executor.status());
  double seconds = (MonotonicMicros() - start) / 1e6;
  if (a.view.empty()) {
    uint64_t records = 0;
    for (const auto& s : p->plan.silver)
      records += (*executor)->counters(s.name)->records;
    Print(Summary(**executor, p->plan, records, seconds));
    return 0;
  }
  auto result = QueryExecutor(**executor, p->plan, "SELECT * FROM " + a.view);
  if (!result.ok()) return Fail(result.status());
  Print(Render(*result, a.format));
  return 0;
}

int RunQuery(const QueryArgs& a) {
  runtime::PipelinePaths paths(a.data);
  auto text = ReadText(paths.sql);
  if (!text.ok()) {
    return Fail(Status::NotFound(
        a.data + " runs no pipeline yet (run `strata run` or `strata batch` first)"));
  }
  auto plan = runtime::LoadPipeline(*text, paths.sql);
  if (!plan.ok()) return Fail(plan.status());
  FileSystem* fs = FileSystem::Default();
  std::string state_path = a.runtime == "batch" ? paths.batch : paths.streaming;
  if (a.runtime.empty() && !fs->Exists(state_path)) state_path = paths.batch;
  auto executor = runtime::PipelineExecutor::Make(*plan);
  if (!executor.ok()) return Fail(executor.status());
  if (fs->Exists(state_path)) {
    std::string bytes;
    Status s = fs->ReadFile(state_path, &bytes);
    if (s.ok()) s = (*executor)->Load(bytes).WithContext(state_path);
    if (!s.ok()) return Fail(s);
  }
  auto result = QueryExecutor(**executor, *plan, a.sql);
  if (!result.ok()) return Fail(result.status());
  Print(Render(*result, a.format));
  return 0;
}

}  // namespace strata::api
