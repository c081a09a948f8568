// serving_bench: the orders pipeline (examples/orders.sql) served by a real in-process stack,
// wired as `strata server --pipeline` does (api/server.cc, Serving::Start): a data
// directory under /tmp prepared by api::PreparePipelineText (store, bronze tables, the SQL
// recorded as DIR/pipeline/pipeline.sql), serve::Engine::Open, serve::PipelineService (speed
// loop with --idle-sleep-us and --checkpoint-every-s, by default the service's 2 ms and 10 s; the
// batch loop keeps the file's batch_every of 1 hour unless --batch-every-s says otherwise, so by
// default no batch run happens during a run)
// and api::HttpServer with SetEngine on 127.0.0.1, port 0. The clients are httplib clients
// in this process, with keep-alive and TCP_NODELAY. Order events come from one
// api::OrderGenerator (seed 42) with the demo's mix: duplicate 0.02, update 0.15, cancel
// 0.03, invalid 0.01, late 0.05.
//
//   build/serving_bench [--runs R] [--duration S] [--ingest-rate N] [--freshness-rate N]
//                       [--replay-events N] [--only query|freshness|replay]
//                       [--batch-lines N] [--ingest-clients K] [--idle-sleep-us U]
//                       [--checkpoint-every-s S] [--batch-every-s S] [--query-via http|engine]
//                       [--probe-view revenue_hourly|customer_totals] [--poll-us U]
//                       [--pipeline FILE]
//
// Ingest: K connections (default 8) post batches of N lines (default 1000) to
// POST /v1/tables/bronze.orders/events on one shared schedule, --ingest-rate events/s in all.
//
//   query:     while ingest runs (1 s alone first, then S seconds), one client issues
//                SELECT * FROM gold.revenue_hourly ORDER BY hour
//                SELECT customer_id, spent FROM gold.customer_totals ORDER BY spent DESC LIMIT 10
//              alternating, back to back: POST /v1/query (or engine->Query with
//              --query-via engine). Latency = round trip, ms; p50/p99/max per query. Each run
//              also counts the checkpoints and batch runs that finished in its window.
//   freshness: ingest at --freshness-rate; 10 times a second, on a fixed schedule, a probe
//              order is posted alone (ProbeLine: its own row in each gold view). Meanwhile
//              the main thread polls engine->Query in-process (no HTTP in the polling),
//              pausing --poll-us (default 1 ms) between polls; one poll returns every probe
//              visible in --probe-view (ProbesQuery). Freshness = the probe's HTTP 200 → the
//              end of the first poll that returns its row, ms (an upper bound: resolution one
//              poll plus the pause; 0 when the row was seen before the ack arrived).
//   replay:    N events ingested over HTTP (not timed), the speed path caught up, then each
//              run times engine->Replay("gold.customer_totals") with the same SQL into a new
//              lane, without a rate limit: events/s by wall clock and per CPU-second of the
//              whole process (getrusage RUSAGE_SELF: the speed loop, which also steps the
//              lanes of earlier runs, checkpoints and publishes, is included), and per CPU-second
//              of the replaying thread alone.
//
// Each query/freshness run is a fresh stack (fresh data directory). Figures are the median
// of R runs (min – max of the runs). One JSON line per figure.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "api/http_server.h"
#include "api/order_generator.h"
#include "api/pipeline_commands.h"
#include "common/clock.h"
#include "common/file_system.h"
#include "serve/engine.h"
#include "serve/pipeline_service.h"

namespace strata {
namespace {

void Check(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "serving_bench: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

double CpuSeconds(int who) {
  struct rusage ru;
  ::getrusage(who, &ru);
  auto s = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

void SleepMicros(Micros us) {
  if (us > 0) std::this_thread::sleep_for(std::chrono::microseconds(us));
}

// The demo's mix, every line valid JSON with a key (the lines cut short or without a key
// are not part of what this measures).
api::OrderGeneratorOptions DemoMix() {
  api::OrderGeneratorOptions o = api::DemoOrderMix(42);
  o.malformed_ratio = 0;
  o.missing_key_ratio = 0;
  return o;
}

// ---- the stack ------------------------------------------------------------------------------

class Stack {
 public:
  Stack(const std::string& text, const std::string& name, serve::PipelineServiceOptions service) {
    char tmpl[] = "/tmp/strata-serving-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) Check(Status::FromErrno("mkdtemp", tmpl, errno), "temp dir");
    root_ = tmpl;
    const std::string data = root_ + "/data";
    auto prepared = api::PreparePipelineText(data, text, name);
    Check(prepared.status(), "preparing the data directory");
    store_ = std::move(prepared->store);
    serve::EngineOptions options;
    options.checkpoint_in_child = true;  // as `strata server` does
    auto engine = serve::Engine::Open(store_.get(), data, prepared->text, prepared->path, options);
    Check(engine.status(), "opening the engine");
    engine_ = std::move(*engine);
    service_ = std::make_unique<serve::PipelineService>(engine_.get(), service);
    api::ServerOptions server;
    server.port = 0;
    http_ = std::make_unique<api::HttpServer>(store_.get(), server);
    http_->SetEngine(engine_.get());
    Check(http_->Bind(), "binding the server");
    service_->Start();
    thread_ = std::thread([http = http_.get()] { http->Run(); });
  }

  ~Stack() {
    http_->Stop();
    thread_.join();
    Check(service_->Stop(), "stopping the pipeline service");
    service_.reset();
    http_.reset();
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(root_);
  }

  int port() const { return http_->port(); }
  serve::Engine* engine() const { return engine_.get(); }
  serve::PipelineService* service() const { return service_.get(); }

  // Waits until the speed path has consumed everything durable; returns the seconds it took.
  double WaitCaughtUp() const {
    const Micros start = MonotonicMicros();
    while (!engine_->CaughtUp())
      SleepMicros(1000);
    return (MonotonicMicros() - start) / 1e6;
  }

 private:
  std::string root_;
  std::unique_ptr<log::Store> store_;
  std::unique_ptr<serve::Engine> engine_;
  std::unique_ptr<serve::PipelineService> service_;
  std::unique_ptr<api::HttpServer> http_;
  std::thread thread_;
};

std::unique_ptr<httplib::Client> Connect(int port) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);
  client->set_read_timeout(60, 0);
  client->set_write_timeout(60, 0);
  return client;
}

// ---- ingest at a target rate ----------------------------------------------------------------

// Posts batches of `batch_lines` generated events at `rate` events/s in all (0: as fast as
// the server acknowledges) over `clients` connections, one thread each, until Stop() or until
// `limit` events (0: no limit). The threads share one generator (order ids stay unique) and
// one schedule: batch k is due at k * batch_lines / rate seconds. A 503 (backpressure) is
// retried after 10 ms with the same body.
class Ingester {
 public:
  Ingester(int port, double rate, size_t batch_lines, int clients, uint64_t limit = 0)
      : port_(port), rate_(rate), batch_lines_(batch_lines), limit_(limit), gen_(DemoMix()) {
    start_ = MonotonicMicros();
    for (int i = 0; i < clients; ++i)
      threads_.emplace_back([this] { Loop(); });
  }
  ~Ingester() { Stop(); }
  void Stop() {
    stop_ = true;
    Join();
  }
  void Join() {
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  uint64_t acked() const { return acked_.load(); }
  uint64_t rejected() const { return rejected_.load(); }

 private:
  // The next batch: its body and when it is due; false when the limit is reached.
  bool Claim(std::string* body, size_t* n, Micros* due) {
    std::lock_guard<std::mutex> lock(mu_);
    if (limit_ > 0 && claimed_ >= limit_) return false;
    *n = limit_ > 0 ? std::min<uint64_t>(batch_lines_, limit_ - claimed_) : batch_lines_;
    *due = rate_ > 0 ? start_ + static_cast<Micros>(claimed_ / rate_ * 1e6) : 0;
    claimed_ += *n;
    body->clear();
    for (size_t i = 0; i < *n; ++i)
      gen_.Next(body);
    return true;
  }

  void Loop() {
    auto client = Connect(port_);
    std::string body;
    size_t n = 0;
    Micros due = 0;
    while (!stop_.load() && Claim(&body, &n, &due)) {
      const Micros now = MonotonicMicros();
      if (due > now) SleepMicros(due - now);
      while (!stop_.load()) {
        auto res = client->Post("/v1/tables/bronze.orders/events", body, "application/x-ndjson");
        if (res && res->status == 200) {
          acked_ += n;
          break;
        }
        if (!res || res->status != 503) {
          std::fprintf(stderr, "serving_bench: ingest failed: %s\n",
                       res ? res->body.c_str() : httplib::to_string(res.error()).c_str());
          std::exit(1);
        }
        ++rejected_;
        SleepMicros(10'000);
      }
    }
  }

  const int port_;
  const double rate_;
  const size_t batch_lines_;
  const uint64_t limit_;
  std::mutex mu_;  // guards gen_ and claimed_
  api::OrderGenerator gen_;
  uint64_t claimed_ = 0;
  Micros start_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> acked_{0}, rejected_{0};
  std::vector<std::thread> threads_;
};

// ---- statistics -----------------------------------------------------------------------------

struct Latencies {
  double p50 = 0, p99 = 0, max = 0;
};

// Nearest-rank percentiles of `ms`.
Latencies Percentiles(std::vector<double> ms) {
  Latencies l;
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  auto rank = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * ms.size()));
    return ms[std::clamp<size_t>(i, 1, ms.size()) - 1];
  };
  l.p50 = rank(0.50);
  l.p99 = rank(0.99);
  l.max = ms.back();
  return l;
}

struct Spread {
  double median, min, max;
};

Spread Over(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

// p50/p99/max of each run, reported as the median (min – max) over runs.
struct LatencyRuns {
  std::vector<double> p50, p99, max;
  void Add(const Latencies& l) {
    p50.push_back(l.p50);
    p99.push_back(l.p99);
    max.push_back(l.max);
  }
  std::string Text() const {
    char out[256];
    Spread a = Over(p50), b = Over(p99), c = Over(max);
    std::snprintf(out, sizeof(out),
                  "p50 %7.2f ms (%.2f – %.2f)  p99 %7.2f ms (%.2f – %.2f)  max %7.2f ms "
                  "(%.2f – %.2f)",
                  a.median, a.min, a.max, b.median, b.min, b.max, c.median, c.min, c.max);
    return out;
  }
  std::string Json() const {
    char out[160];
    std::snprintf(out, sizeof(out), "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f",
                  Over(p50).median, Over(p99).median, Over(max).median);
    return out;
  }
};

struct Config {
  int runs = 3;
  double duration = 10;
  double ingest_rate = 50000;
  double freshness_rate = 100000;
  uint64_t replay_events = 1000000;
  size_t batch_lines = 1000;
  int ingest_clients = 8;
  std::string query_via = "http";
  std::string probe_view = "revenue_hourly";
  Micros poll_pause = 1000;
  Micros idle_sleep = serve::PipelineServiceOptions{}.idle_sleep;
  Micros checkpoint_every = serve::PipelineServiceOptions{}.checkpoint_every;
  Micros batch_every = 0;  // 0: the pipeline's
  std::string only;
  std::string pipeline_file = "examples/orders.sql";
  std::string text;

  serve::PipelineServiceOptions Service() const {
    serve::PipelineServiceOptions o;
    o.idle_sleep = idle_sleep;
    o.checkpoint_every = checkpoint_every;
    o.batch_every = batch_every;
    return o;
  }
};

// ---- 1. query latency with concurrent ingest ------------------------------------------------

void QueryLatency(const Config& c) {
  const char* const kQueries[2][2] = {
      {"revenue_hourly", "SELECT * FROM gold.revenue_hourly ORDER BY hour"},
      {"customer_top10",
       "SELECT customer_id, spent FROM gold.customer_totals ORDER BY spent DESC LIMIT 10"}};
  const bool via_http = c.query_via != "engine";
  LatencyRuns kinds[2];
  std::vector<double> ingest_rates, query_counts[2];
  for (int run = 0; run < c.runs; ++run) {
    Stack stack(c.text, c.pipeline_file, c.Service());
    Ingester ingest(stack.port(), c.ingest_rate, c.batch_lines, c.ingest_clients);
    SleepMicros(1'000'000);  // ingest alone first: the views are not empty
    auto client = Connect(stack.port());
    std::vector<double> ms[2];
    const uint64_t acked0 = ingest.acked();
    const serve::PipelineService::Stats stats0 = stack.service()->stats();
    const Micros start = MonotonicMicros(), end = start + static_cast<Micros>(c.duration * 1e6);
    for (int i = 0; MonotonicMicros() < end; i ^= 1) {
      const Micros t0 = MonotonicMicros();
      if (via_http) {
        auto res = client->Post("/v1/query", kQueries[i][1], "text/plain");
        if (!res || res->status != 200) {
          std::fprintf(stderr, "serving_bench: query failed: %s\n",
                       res ? res->body.c_str() : httplib::to_string(res.error()).c_str());
          std::exit(1);
        }
      } else {
        Check(stack.engine()->Query(kQueries[i][1]).status(), "query");
      }
      ms[i].push_back((MonotonicMicros() - t0) / 1e3);
    }
    const double seconds = (MonotonicMicros() - start) / 1e6;
    const double rate = (ingest.acked() - acked0) / seconds;
    const serve::PipelineService::Stats stats1 = stack.service()->stats();
    ingest.Stop();
    ingest_rates.push_back(rate);
    for (int k = 0; k < 2; ++k) {
      Latencies l = Percentiles(ms[k]);
      kinds[k].Add(l);
      query_counts[k].push_back(ms[k].size());
      std::printf("  run %d %-15s %6zu queries  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", run + 1,
                  kQueries[k][0], ms[k].size(), l.p50, l.p99, l.max);
    }
    std::printf(
        "  run %d ingest %.0f events/s acked (target %.0f), %llu rejected (503); %llu "
        "checkpoints and %llu batch runs finished in the window\n",
        run + 1, rate, c.ingest_rate, static_cast<unsigned long long>(ingest.rejected()),
        static_cast<unsigned long long>(stats1.checkpoints - stats0.checkpoints),
        static_cast<unsigned long long>(stats1.batch_runs - stats0.batch_runs));
  }
  Spread r = Over(ingest_rates);
  for (int k = 0; k < 2; ++k) {
    std::printf("query %-15s via %-6s %s   [%s]\n", kQueries[k][0], via_http ? "http" : "engine",
                kinds[k].Text().c_str(), kQueries[k][1]);
    std::printf(
        "{\"bench\":\"serving\",\"figure\":\"query_latency\",\"via\":\"%s\",\"query\":\"%s\",%s,"
        "\"queries\":%.0f,\"ingest_target\":%.0f,\"ingest_events_per_s\":%.0f,\"duration_s\":%g}"
        "\n",
        via_http ? "http" : "engine", kQueries[k][0], kinds[k].Json().c_str(),
        Over(query_counts[k]).median, c.ingest_rate, r.median, c.duration);
  }
  std::printf("query ingest achieved %.0f events/s (%.0f – %.0f), target %.0f\n", r.median, r.min,
              r.max, c.ingest_rate);
}

// ---- 2. freshness ---------------------------------------------------------------------------

// Probe N is an order that only it can have produced in either gold view: order_id and
// customer_id "probe-N" (its own row of gold.customer_totals), status 'completed' and an
// event time in an hour of its own, N hours after 2100-01-01 (its own row of
// gold.revenue_hourly).
constexpr Micros kProbeEpoch = 4'102'444'800'000'000;  // 2100-01-01T00:00:00Z

std::string ProbeLine(int n) {
  const std::string id = "probe-" + std::to_string(n);
  return "{\"order_id\":\"" + id + "\",\"customer_id\":\"" + id +
         "\",\"amount\":1.00,\"status\":\"completed\",\"email\":\"probe@example.com\","
         "\"event_ts\":\"" +
         FormatTimestamp(kProbeEpoch + n * 3'600'000'000LL) + "\"}\n";
}

// The query that returns one row per probe visible in `view`, and the probe of a row.
std::string ProbesQuery(const std::string& view) {
  if (view == "customer_totals") {
    return "SELECT customer_id FROM gold.customer_totals WHERE customer_id LIKE 'probe-%'";
  }
  return "SELECT hour FROM gold.revenue_hourly WHERE hour >= TIMESTAMP '2100-01-01 00:00:00'";
}

int64_t ProbeOf(const std::string& view, const Value& v) {
  if (view == "customer_totals") return std::strtoll(v.as_string().c_str() + 6, nullptr, 10);
  return (v.as_int64() - kProbeEpoch) / 3'600'000'000LL;
}

// Probes are posted on a fixed schedule from their own thread, whether or not earlier ones
// are visible yet (a stall delays no probe, so the tail is not under-sampled); one poll
// sees every probe visible so far.
void Freshness(const Config& c) {
  constexpr Micros kProbeEvery = 100'000;  // 10 probes a second
  constexpr Micros kVisibleTimeout = 30'000'000;
  struct Probe {
    Micros acked_at = 0, seen_at = 0;
  };
  LatencyRuns fresh, ack;
  std::vector<double> poll_costs, ingest_rates, processed_rates, drains;
  uint64_t timeouts = 0, before_ack = 0;
  const std::string sql = ProbesQuery(c.probe_view);
  for (int run = 0; run < c.runs; ++run) {
    Stack stack(c.text, c.pipeline_file, c.Service());
    Ingester ingest(stack.port(), c.freshness_rate, c.batch_lines, c.ingest_clients);
    SleepMicros(1'000'000);
    const uint64_t acked0 = ingest.acked(), processed0 = stack.service()->stats().records;
    const Micros start = MonotonicMicros(), end = start + static_cast<Micros>(c.duration * 1e6);
    const size_t count = static_cast<size_t>((end - start + kProbeEvery - 1) / kProbeEvery);
    std::mutex mu;  // guards probes
    std::vector<Probe> probes(count);
    std::vector<double> ack_ms;
    std::thread sender([&] {
      auto client = Connect(stack.port());
      for (size_t n = 0; n < count; ++n) {
        const Micros due = start + static_cast<Micros>(n) * kProbeEvery, now = MonotonicMicros();
        if (due > now) SleepMicros(due - now);
        const Micros t0 = MonotonicMicros();
        auto res =
            client->Post("/v1/tables/bronze.orders/events", ProbeLine(n), "application/x-ndjson");
        const Micros t1 = MonotonicMicros();
        if (!res || res->status != 200) {
          std::fprintf(stderr, "serving_bench: probe failed: %s\n",
                       res ? res->body.c_str() : httplib::to_string(res.error()).c_str());
          std::exit(1);
        }
        ack_ms.push_back((t1 - t0) / 1e3);
        std::lock_guard<std::mutex> lock(mu);
        probes[n].acked_at = t1;
      }
    });
    double poll_ms = 0;
    uint64_t polls = 0;
    size_t seen = 0;
    // Ingest and the speed path over [start, end): read at the first poll past `end`.
    Micros window_end = 0;
    uint64_t acked1 = 0, processed1 = 0;
    for (;;) {
      const Micros q0 = MonotonicMicros();
      auto result = stack.engine()->Query(sql);
      Check(result.status(), "probe query");
      const Micros t = MonotonicMicros();
      poll_ms += (t - q0) / 1e3;
      ++polls;
      {
        std::lock_guard<std::mutex> lock(mu);
        const Column& col = result->rows.columns[0];
        for (size_t row = 0; row < result->rows.num_rows(); ++row) {
          int64_t n = ProbeOf(c.probe_view, col.GetValue(row));
          if (n < 0 || static_cast<size_t>(n) >= count || probes[n].seen_at != 0) continue;
          probes[n].seen_at = t;
          ++seen;
        }
      }
      if (window_end == 0 && t >= end) {
        window_end = t;
        acked1 = ingest.acked();
        processed1 = stack.service()->stats().records;
      }
      if ((seen == count && window_end != 0) || t > end + kVisibleTimeout) break;
      SleepMicros(c.poll_pause);
    }
    sender.join();
    const double seconds = (window_end - start) / 1e6;
    const double rate = (acked1 - acked0) / seconds;
    const double processed = (processed1 - processed0) / seconds;
    ingest.Stop();
    const double drain = stack.WaitCaughtUp();
    std::vector<double> visible_ms;
    for (const Probe& p : probes) {
      if (p.seen_at == 0) {
        ++timeouts;
        continue;
      }
      if (p.seen_at <= p.acked_at) ++before_ack;
      visible_ms.push_back(std::max<Micros>(0, p.seen_at - p.acked_at) / 1e3);
    }
    ingest_rates.push_back(rate);
    processed_rates.push_back(processed);
    drains.push_back(drain);
    poll_costs.push_back(polls ? poll_ms / polls : 0);
    Latencies l = Percentiles(visible_ms), a = Percentiles(ack_ms);
    fresh.Add(l);
    ack.Add(a);
    std::printf(
        "  run %d %zu probes  ack→visible p50 %.2f ms  p99 %.2f ms  max %.2f ms   (probe ack p50 "
        "%.2f ms; %.2f ms per poll)\n",
        run + 1, visible_ms.size(), l.p50, l.p99, l.max, a.p50, poll_costs.back());
    std::printf(
        "  run %d ingest %.0f events/s acked (target %.0f), speed path %.0f events/s, "
        "%llu rejected (503), %.2f s to catch up after ingest stopped\n",
        run + 1, rate, c.freshness_rate, processed,
        static_cast<unsigned long long>(ingest.rejected()), drain);
  }
  Spread r = Over(ingest_rates), p = Over(processed_rates), d = Over(drains), q = Over(poll_costs);
  std::printf("freshness ack→visible %s   [%s]\n", fresh.Text().c_str(), sql.c_str());
  std::printf("freshness probe ack   %s\n", ack.Text().c_str());
  std::printf(
      "freshness ingest achieved %.0f events/s (%.0f – %.0f), target %.0f; speed path %.0f "
      "events/s; catch-up after stop %.2f s; a poll costs %.2f ms; %llu probes visible "
      "before their ack arrived (counted as 0), %llu not visible within 30 s\n",
      r.median, r.min, r.max, c.freshness_rate, p.median, d.median, q.median,
      static_cast<unsigned long long>(before_ack), static_cast<unsigned long long>(timeouts));
  std::printf(
      "{\"bench\":\"serving\",\"figure\":\"freshness\",%s,\"ingest_target\":%.0f,"
      "\"ingest_events_per_s\":%.0f,\"speed_path_events_per_s\":%.0f,\"catch_up_s\":%.2f,"
      "\"probe_view\":\"gold.%s\",\"poll_ms\":%.2f,\"timeouts\":%llu,\"idle_sleep_us\":%lld,"
      "\"checkpoint_every_s\":%g,\"duration_s\":%g}\n",
      fresh.Json().c_str(), c.freshness_rate, r.median, p.median, d.median, c.probe_view.c_str(),
      q.median, static_cast<unsigned long long>(timeouts), static_cast<long long>(c.idle_sleep),
      c.checkpoint_every / 1e6, c.duration);
}

// ---- 3. replay throughput -------------------------------------------------------------------

void Replay(const Config& c) {
  Stack stack(c.text, c.pipeline_file, c.Service());
  {
    const Micros start = MonotonicMicros();
    Ingester ingest(stack.port(), 0, 10000, c.ingest_clients, c.replay_events);
    ingest.Join();
    const double seconds = (MonotonicMicros() - start) / 1e6;
    const double drain = stack.WaitCaughtUp();
    std::printf(
        "replay setup: %llu events ingested over HTTP in %.2f s; the speed path caught up "
        "%.2f s later\n",
        static_cast<unsigned long long>(ingest.acked()), seconds, drain);
  }
  std::vector<double> wall, cpu, thread_cpu;
  for (int run = 0; run < c.runs; ++run) {
    serve::ReplayOptions options;
    options.name = "bench-" + std::to_string(run + 1);
    options.sql_text = c.text;
    options.sql_name = c.pipeline_file;
    const Micros start = MonotonicMicros();
    const double cpu0 = CpuSeconds(RUSAGE_SELF), thread0 = CpuSeconds(RUSAGE_THREAD);
    auto result = stack.engine()->Replay("gold.customer_totals", options);
    const double thread1 = CpuSeconds(RUSAGE_THREAD), cpu1 = CpuSeconds(RUSAGE_SELF);
    const double seconds = (MonotonicMicros() - start) / 1e6;
    Check(result.status(), "replay");
    const double n = result->records;
    wall.push_back(n / seconds);
    cpu.push_back(n / (cpu1 - cpu0));
    thread_cpu.push_back(n / (thread1 - thread0));
    std::printf(
        "  run %d lane %s: %.0f events in %.2f s: %.0f events/s, %.0f per CPU-second (%.0f per "
        "CPU-second of the replaying thread)\n",
        run + 1, options.name.c_str(), n, seconds, wall.back(), cpu.back(), thread_cpu.back());
  }
  Spread w = Over(wall), p = Over(cpu), t = Over(thread_cpu);
  std::printf(
      "replay events/s %12.0f (min %.0f, max %.0f)   per CPU-second %12.0f (min %.0f, max %.0f)"
      "   per CPU-second of the thread %.0f\n",
      w.median, w.min, w.max, p.median, p.min, p.max, t.median);
  std::printf(
      "{\"bench\":\"serving\",\"figure\":\"replay\",\"view\":\"gold.customer_totals\","
      "\"events\":%llu,\"events_per_s\":%.0f,\"events_per_cpu_s\":%.0f,"
      "\"events_per_thread_cpu_s\":%.0f}\n",
      static_cast<unsigned long long>(c.replay_events), w.median, p.median, t.median);
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  using namespace strata;
  Config c;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--runs")
      c.runs = std::max(1, std::atoi(v));
    else if (flag == "--duration")
      c.duration = std::atof(v);
    else if (flag == "--ingest-rate")
      c.ingest_rate = std::atof(v);
    else if (flag == "--freshness-rate")
      c.freshness_rate = std::atof(v);
    else if (flag == "--replay-events")
      c.replay_events = std::strtoull(v, nullptr, 10);
    else if (flag == "--batch-lines")
      c.batch_lines = std::max<size_t>(1, std::strtoull(v, nullptr, 10));
    else if (flag == "--ingest-clients")
      c.ingest_clients = std::max(1, std::atoi(v));
    else if (flag == "--query-via")
      c.query_via = v;
    else if (flag == "--probe-view")
      c.probe_view = v;
    else if (flag == "--poll-us")
      c.poll_pause = std::strtoll(v, nullptr, 10);
    else if (flag == "--checkpoint-every-s" || flag == "--save-every-s")
      c.checkpoint_every = static_cast<Micros>(std::atof(v) * 1e6);
    else if (flag == "--batch-every-s")
      c.batch_every = static_cast<Micros>(std::atof(v) * 1e6);
    else if (flag == "--idle-sleep-us")
      c.idle_sleep = std::strtoll(v, nullptr, 10);
    else if (flag == "--only")
      c.only = v;
    else if (flag == "--pipeline")
      c.pipeline_file = v;
    else {
      std::fprintf(stderr, "serving_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  Check(FileSystem::Default()->ReadFile(c.pipeline_file, &c.text), "reading the pipeline");
  std::printf(
      "serving %s: %d runs, %g s each; query ingest %.0f events/s, freshness ingest %.0f "
      "events/s, batches of %zu lines over %d connections; replay of %llu events; speed loop "
      "idle sleep %lld µs, Engine::Checkpoint every %g s, batch runs every %s\n",
      c.pipeline_file.c_str(), c.runs, c.duration, c.ingest_rate, c.freshness_rate, c.batch_lines,
      c.ingest_clients, static_cast<unsigned long long>(c.replay_events),
      static_cast<long long>(c.idle_sleep), c.checkpoint_every / 1e6,
      c.batch_every > 0 ? (std::to_string(c.batch_every / 1e6) + " s").c_str()
                        : "the pipeline's batch_every");
  std::fflush(stdout);
  if (c.only.empty() || c.only == "query") QueryLatency(c);
  std::fflush(stdout);
  if (c.only.empty() || c.only == "freshness") Freshness(c);
  std::fflush(stdout);
  if (c.only.empty() || c.only == "replay") Replay(c);
  return 0;
}
