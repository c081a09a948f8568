// pipeline_bench: throughput of the orders pipeline (examples/orders.sql: bronze → silver
// upsert with constraints → gold hourly revenue) under the streaming runtime (micro-batches)
// and the batch runtime (large batches), from bronze records already in the log (page cache)
// to updated gold state. State saving is not timed.
//
//   build/pipeline_bench [--events N] [--runs R] [--batch-size B] [--pipeline FILE]
//                        [--only-view GOLD_VIEW]
//
// --only-view keeps one gold view of the pipeline (the others are not computed): the
// orders pipeline of DESIGN.md §1 is examples/orders.sql with gold.revenue_hourly alone.
//
// Prints events/s by wall clock and per CPU-second (getrusage of the process), median of R
// runs, with min and max.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "api/order_generator.h"
#include "common/clock.h"
#include "format/json_lines.h"
#include "runtime/runner.h"

namespace strata {
namespace {

void Check(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "pipeline_bench: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

double CpuSeconds() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

struct Figure {
  std::vector<double> wall, cpu;
};

void Report(const char* name, const Figure& f) {
  auto stats = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return std::vector<double>{v[v.size() / 2], v.front(), v.back()};
  };
  auto w = stats(f.wall), c = stats(f.cpu);
  std::printf(
      "%-10s events/s %12.0f (min %.0f, max %.0f)   per CPU-second %12.0f (min %.0f, max %.0f)\n",
      name, w[0], w[1], w[2], c[0], c[1], c[2]);
  std::printf(
      "{\"bench\":\"pipeline\",\"runtime\":\"%s\",\"events_per_s\":%.0f,\"events_per_cpu_s\":%.0f}"
      "\n",
      name, w[0], c[0]);
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  using namespace strata;
  uint64_t events = 1000000;
  int runs = 3;
  size_t batch_size = 1024;
  std::string pipeline_file = "examples/orders.sql";
  std::string only_view;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--events")
      events = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--runs")
      runs = std::atoi(argv[i + 1]);
    else if (flag == "--batch-size")
      batch_size = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--pipeline")
      pipeline_file = argv[i + 1];
    else if (flag == "--only-view")
      only_view = argv[i + 1];
  }
  std::string text;
  Check(FileSystem::Default()->ReadFile(pipeline_file, &text), "reading the pipeline");
  auto plan = runtime::LoadPipeline(text, pipeline_file);
  Check(plan.status(), "binding the pipeline");
  if (!only_view.empty()) {
    std::erase_if(plan->gold, [&](const sql::GoldView& g) { return g.name != only_view; });
    if (plan->gold.empty()) Check(Status::NotFound(only_view), "--only-view");
  }

  char tmpl[] = "/tmp/strata-pipeline-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  std::string dir = tmpl;
  auto store = log::Store::Open(dir, log::StoreOptions{});
  Check(store.status(), "opening the store");
  Check(runtime::EnsureBronzeTables(store->get(), *plan), "creating bronze tables");
  // Order events with about 10 % updates of earlier orders (the generator's ids repeat
  // when the seed repeats: a second generator over the first tenth gives the updates).
  log::Table* bronze = *(*store)->GetTable(plan->bronze.front().name);
  api::OrderGenerator gen(api::OrderGeneratorOptions{});
  std::string chunk;
  uint64_t bytes = 0;
  auto flush = [&] {
    size_t size = chunk.size();
    chunk.append(format::kPadding, '\0');
    const log::TableConfig& c = bronze->config();
    format::LineBatcher batcher(c.key_field, c.partitions, "bench", "", c.payload_format);
    batcher.AddLines(std::string_view(chunk.data(), size), 1);
    log::AppendAck ack;
    Check(bronze->Append(batcher.records(), &ack), "ingest");
    bytes += size;
    chunk.clear();
  };
  for (uint64_t i = 0; i < events; ++i) {
    gen.Next(&chunk);
    if (chunk.size() > (4u << 20)) flush();
  }
  if (!chunk.empty()) flush();
  std::printf(
      "pipeline %s (%zu gold views): %llu events (%.1f MB) in bronze; batch size %zu "
      "(streaming)\n",
      pipeline_file.c_str(), plan->gold.size(), static_cast<unsigned long long>(events),
      bytes / 1e6, batch_size);

  Figure streaming, batch;
  for (int run = 0; run < runs; ++run) {
    for (bool is_batch : {false, true}) {
      auto executor = runtime::PipelineExecutor::Make(*plan);
      Check(executor.status(), "executor");
      Micros start = MonotonicMicros();
      double cpu0 = CpuSeconds();
      auto n =
          runtime::CatchUp(store->get(), executor->get(), *plan, is_batch ? 65536 : batch_size);
      Check(n.status(), "run");
      double wall = (MonotonicMicros() - start) / 1e6, cpu = CpuSeconds() - cpu0;
      Figure& f = is_batch ? batch : streaming;
      f.wall.push_back(*n / wall);
      f.cpu.push_back(*n / cpu);
    }
  }
  Report("streaming", streaming);
  Report("batch", batch);
  store->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
