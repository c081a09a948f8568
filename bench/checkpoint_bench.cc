// checkpoint_bench: checkpoints (serve/checkpoint.h) against state size. A pipeline with one
// bronze table (4 partitions), a silver table with a primary key k (upsert by seq) and two
// gold views over it (Lambda and Kappa, 1,000 groups), wired as `strata server` does: a data
// directory under /tmp prepared by api::PreparePipelineText, serve::Engine::Open and
// api::HttpServer on 127.0.0.1, port 0. For each state size (distinct silver keys):
//
//   1. build: K records with distinct keys appended to bronze (not timed), the speed path
//      caught up and one batch run, so that every lane holds K keys.
//   2. per mode (in process: the lanes serialized under the engine mutex; fork: the mutex
//      held for fork(), a child serializes and writes) and load: "full" is an HTTP client
//      posting batches of 100 updates of existing keys back to back (keep-alive), a thread
//      stepping the speed path, and a reader querying gold.by_grp_k in process back to back
//      (each query takes the engine mutex); "ingest" is the HTTP client alone (what a
//      checkpoint costs ingest by itself: CPU, disk, the fork). After 1 s of that alone, R
//      checkpoints, 0.5 s apart. Per checkpoint: its duration (cut to durable), size, the engine
//      mutex hold (as measured by Engine::Checkpoint), and the longest HTTP ingest ack and
//      in-process query that overlapped it; the same two maxima over the 1 s before the first
//      checkpoint are the baseline.
//   3. recovery: K/10 more records appended to bronze; the engine closed and reopened R
//      times: Engine::Open (restores the newest checkpoint) and the catch-up of the records
//      after it, timed apart.
//
//   build/checkpoint_bench [--keys 10000,100000,1000000] [--runs R] [--modes inprocess,fork]
//                          [--quarantined 0,10000,100000,1000000]
//
// --quarantined N,... measures something else, and only that (unless --keys is given too): per
// N, a fresh directory, 1,000 valid records, then N records without the NOT NULL seq (each
// one quarantined by silver.kv's contract), the speed path caught up and one batch run (so
// both lanes have seen every record), then one in-process checkpoint: its size, and its size
// per quarantined record beyond the N = 0 one.
//
// Figures are medians over the R runs (max over the runs for the stalls, too). One JSON line
// per figure.
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "api/http_server.h"
#include "api/pipeline_commands.h"
#include "common/clock.h"
#include "common/file_system.h"
#include "common/filename.h"
#include "format/json_lines.h"
#include "serve/engine.h"

namespace strata {
namespace {

constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.kv (k text, v bigint, seq bigint, grp text)
WITH (layer = 'bronze', connector = 'http', partitions = 4, key = 'k');

CREATE TABLE silver.kv (
  k text NOT NULL, v bigint, seq bigint NOT NULL, grp text, PRIMARY KEY (k)
) WITH (layer = 'silver', dedupe_order = 'seq');

INSERT INTO silver.kv SELECT k, v, seq, grp FROM bronze.kv;

CREATE MATERIALIZED VIEW gold.by_grp WITH (serving = 'lambda', batch_every = '1 hour') AS
SELECT grp, count(*) AS n, sum(v) AS total FROM silver.kv GROUP BY grp;

CREATE MATERIALIZED VIEW gold.by_grp_k WITH (serving = 'kappa') AS
SELECT grp, count(*) AS n, sum(v) AS total FROM silver.kv GROUP BY grp;
)sql";

void Check(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "checkpoint_bench: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Max(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

// A record of key `key`; without seq (a violation of silver.kv's NOT NULL) when seq < 0.
std::string Line(uint64_t key, int64_t seq, std::mt19937_64& rng) {
  return "{\"k\":\"k" + std::to_string(key) + "\",\"v\":" + std::to_string(rng() % 1000) +
         (seq < 0 ? "" : ",\"seq\":" + std::to_string(seq)) + ",\"grp\":\"g" +
         std::to_string(key % 1000) + "\"}";
}

// Appends `n` records for keys first..first+n-1 (mod `keys` when keys > 0) straight to bronze,
// numbered from *seq + 1 (without seq when `seq` is null).
void Append(log::Table* table, uint64_t first, uint64_t n, uint64_t keys, int64_t* seq,
            std::mt19937_64& rng) {
  const log::TableConfig& c = table->config();
  for (uint64_t done = 0; done < n;) {
    const uint64_t chunk = std::min<uint64_t>(20000, n - done);
    std::string text;
    for (uint64_t i = 0; i < chunk; ++i) {
      const uint64_t key = keys > 0 ? (first + done + i) % keys : first + done + i;
      text += Line(key, seq != nullptr ? ++*seq : -1, rng) + "\n";
    }
    const size_t size = text.size();
    text.append(format::kPadding, '\0');
    format::LineBatcher batcher(c.key_field, c.partitions, "bench", "", c.payload_format);
    batcher.AddLines(std::string_view(text.data(), size), 1);
    log::AppendAck ack;
    Check(table->Append(batcher.records(), &ack), "appending");
    done += chunk;
  }
}

struct Sample {
  Micros at, took;  // monotonic start, duration
};

// The longest sample overlapping [from, to).
double LongestIn(const std::vector<Sample>& samples, Micros from, Micros to) {
  Micros longest = 0;
  for (const Sample& s : samples) {
    if (s.at < to && s.at + s.took > from) longest = std::max(longest, s.took);
  }
  return longest / 1e3;
}

struct Setup {
  std::string root, data;
  std::unique_ptr<log::Store> store;
  std::unique_ptr<serve::Engine> engine;
  log::Table* table = nullptr;

  // A fresh data directory under /tmp, opened in process.
  static std::unique_ptr<Setup> Make() {
    auto s = std::make_unique<Setup>();
    char tmpl[] = "/tmp/strata-checkpoint-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) Check(Status::FromErrno("mkdtemp", tmpl, errno), "temp dir");
    s->root = tmpl;
    s->data = s->root + "/data";
    s->Open(false);
    return s;
  }
  ~Setup() {
    engine.reset();
    store.reset();
    if (!root.empty()) std::filesystem::remove_all(root);
  }

  void Open(bool fork) {
    engine.reset();
    store.reset();
    auto prepared = api::PreparePipelineText(data, kPipeline, "bench.sql");
    Check(prepared.status(), "preparing the data directory");
    store = std::move(prepared->store);
    serve::EngineOptions options;
    options.checkpoint_in_child = fork;
    auto e = serve::Engine::Open(store.get(), data, prepared->text, prepared->path, options);
    Check(e.status(), "opening the engine");
    engine = std::move(*e);
    table = *store->GetTable("bronze.kv");
  }
  void CatchUp() {
    while (!engine->CaughtUp())
      Check(engine->Step().status(), "stepping");
  }
};

void RunMode(Setup& s, uint64_t keys, bool fork, bool full, int runs) {
  s.Open(fork);
  s.CatchUp();
  api::ServerOptions server_options;
  server_options.port = 0;
  api::HttpServer http(s.store.get(), server_options);
  http.SetEngine(s.engine.get());
  Check(http.Bind(), "binding");
  std::thread server([&] { http.Run(); });
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Sample> acks, queries;
  std::thread ingest([&] {
    httplib::Client client("127.0.0.1", http.port());
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);
    std::mt19937_64 rng(7);
    int64_t seq = 1'000'000'000'000;
    while (!stop) {
      std::string body;
      for (int i = 0; i < 100; ++i)
        body += Line(rng() % keys, ++seq, rng) + "\n";
      const Micros at = MonotonicMicros();
      auto res = client.Post("/v1/tables/bronze.kv/events", body, "application/x-ndjson");
      const Micros took = MonotonicMicros() - at;
      if (!res || res->status != 200) Check(Status::IOError("ingest failed"), "posting");
      std::lock_guard<std::mutex> lock(mu);
      acks.push_back({at, took});
    }
  });
  std::thread stepper([&] {
    while (!stop && full) {
      auto n = s.engine->Step();
      Check(n.status(), "stepping");
      if (*n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::thread reader([&] {
    while (!stop && full) {
      const Micros at = MonotonicMicros();
      Check(s.engine->Query("SELECT * FROM gold.by_grp_k").status(), "querying");
      const Micros took = MonotonicMicros() - at;
      std::lock_guard<std::mutex> lock(mu);
      queries.push_back({at, took});
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  const Micros baseline_from = MonotonicMicros();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const Micros baseline_to = MonotonicMicros();
  std::vector<double> seconds, hold_ms, ack_ms, query_ms, mib;
  std::vector<std::pair<Micros, Micros>> windows;
  for (int r = 0; r < runs; ++r) {
    const Micros from = MonotonicMicros();
    auto info = s.engine->Checkpoint();
    const Micros to = MonotonicMicros();
    Check(info.status(), "checkpoint");
    seconds.push_back(info->seconds);
    hold_ms.push_back(info->hold_seconds * 1e3);
    mib.push_back(info->bytes / 1048576.0);
    windows.emplace_back(from, to);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  stop = true;
  ingest.join();
  stepper.join();
  reader.join();
  http.Stop();
  server.join();
  for (const auto& [from, to] : windows) {
    ack_ms.push_back(LongestIn(acks, from, to));
    query_ms.push_back(LongestIn(queries, from, to));
  }
  std::printf(
      "{\"bench\":\"checkpoint\",\"figure\":\"write\",\"keys\":%llu,\"mode\":\"%s\",\"load\":\"%"
      "s\","
      "\"runs\":%d,"
      "\"seconds\":%.3f,\"mib\":%.1f,\"mutex_hold_ms\":%.2f,\"mutex_hold_max_ms\":%.2f,"
      "\"ingest_ack_max_ms\":%.1f,\"ingest_ack_max_of_runs_ms\":%.1f,\"query_max_ms\":%.1f,"
      "\"query_max_of_runs_ms\":%.1f,\"baseline_ingest_ack_max_ms\":%.1f,"
      "\"baseline_query_max_ms\":%.1f,\"acks\":%zu}\n",
      static_cast<unsigned long long>(keys), fork ? "fork" : "inprocess", full ? "full" : "ingest",
      runs, Median(seconds), Median(mib), Median(hold_ms), Max(hold_ms), Median(ack_ms),
      Max(ack_ms), Median(query_ms), Max(query_ms), LongestIn(acks, baseline_from, baseline_to),
      LongestIn(queries, baseline_from, baseline_to), acks.size());
  std::fflush(stdout);
}

void Recovery(Setup& s, uint64_t keys, int runs) {
  s.engine.reset();
  s.Open(false);
  std::mt19937_64 rng(11);
  int64_t seq = 2'000'000'000'000;
  const uint64_t more = keys / 10;
  Append(s.table, 0, more, keys, &seq, rng);  // after the newest checkpoint
  std::vector<double> open_s, catch_up_s;
  for (int r = 0; r < runs; ++r) {
    s.engine.reset();
    s.store.reset();
    const Micros start = MonotonicMicros();
    s.Open(false);
    const Micros opened = MonotonicMicros();
    s.CatchUp();
    const Micros done = MonotonicMicros();
    open_s.push_back((opened - start) / 1e6);
    catch_up_s.push_back((done - opened) / 1e6);
  }
  std::printf(
      "{\"bench\":\"checkpoint\",\"figure\":\"recovery\",\"keys\":%llu,\"runs\":%d,"
      "\"open_s\":%.3f,\"catch_up_records\":%llu,\"catch_up_s\":%.3f}\n",
      static_cast<unsigned long long>(keys), runs, Median(open_s),
      static_cast<unsigned long long>(more), Median(catch_up_s));
  std::fflush(stdout);
}

void QuarantineSize(const std::vector<uint64_t>& counts) {
  double base_bytes = -1;
  for (uint64_t n : counts) {
    auto s = Setup::Make();
    std::mt19937_64 rng(5);
    int64_t seq = 0;
    Append(s->table, 0, 1000, 0, &seq, rng);
    Append(s->table, 1000, n, 0, nullptr, rng);
    const Micros start = MonotonicMicros();
    s->CatchUp();
    const double catch_up_s = (MonotonicMicros() - start) / 1e6;
    Check(s->engine->RunBatch().status(), "batch run");
    auto info = s->engine->Checkpoint();
    Check(info.status(), "checkpoint");
    const double bytes = static_cast<double>(info->bytes);
    if (n == 0) base_bytes = bytes;
    const double per_record = n > 0 && base_bytes >= 0 ? (bytes - base_bytes) / n : 0;
    // Where the rows are now: the side logs (serve/side_log.h).
    uint64_t side_bytes = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(s->data + "/tables")) {
      const std::string table = e.path().lexically_relative(s->data + "/tables").begin()->string();
      if (e.is_regular_file() && filename::IsInternalTable(table)) side_bytes += e.file_size();
    }
    std::printf(
        "{\"bench\":\"checkpoint\",\"figure\":\"size_after_quarantine\",\"quarantined\":%llu,"
        "\"checkpoint_bytes\":%.0f,\"bytes_per_quarantined_record\":%.1f,\"seconds\":%.3f,"
        "\"side_log_bytes\":%llu,\"catch_up_s\":%.3f}\n",
        static_cast<unsigned long long>(n), bytes, per_record, info->seconds,
        static_cast<unsigned long long>(side_bytes), catch_up_s);
    std::fflush(stdout);
  }
}

std::vector<uint64_t> ParseList(const char* v) {
  std::vector<uint64_t> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ','))
    out.push_back(std::strtoull(item.c_str(), nullptr, 10));
  return out;
}

int Main(int argc, char** argv) {
  std::vector<uint64_t> sizes = {10000, 100000, 1000000}, quarantined;
  bool keys_given = false;
  int runs = 5;
  std::string modes = "inprocess,fork";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--keys") {
      sizes = ParseList(argv[i + 1]);
      keys_given = true;
    } else if (flag == "--quarantined")
      quarantined = ParseList(argv[i + 1]);
    else if (flag == "--runs")
      runs = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--modes")
      modes = argv[i + 1];
    else {
      std::fprintf(stderr, "checkpoint_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (!quarantined.empty()) {
    QuarantineSize(quarantined);
    if (!keys_given) return 0;
  }
  for (uint64_t keys : sizes) {
    auto setup = Setup::Make();
    Setup& s = *setup;
    std::mt19937_64 rng(3);
    int64_t seq = 0;
    const Micros start = MonotonicMicros();
    Append(s.table, 0, keys, 0, &seq, rng);
    s.CatchUp();
    Check(s.engine->RunBatch().status(), "batch run");
    std::fprintf(stderr, "checkpoint_bench: %llu keys built in %.1f s\n",
                 static_cast<unsigned long long>(keys), (MonotonicMicros() - start) / 1e6);
    for (bool full : {true, false}) {
      if (modes.find("inprocess") != std::string::npos) RunMode(s, keys, false, full, runs);
      if (modes.find("fork") != std::string::npos) RunMode(s, keys, true, full, runs);
    }
    Recovery(s, keys, runs);
  }
  return 0;
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  return strata::Main(argc, argv);
}
