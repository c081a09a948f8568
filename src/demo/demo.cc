#include "demo/demo.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <thread>

#include <httplib.h>
#include <simdjson.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "api/client.h"
#include "api/command_output.h"
#include "api/order_generator.h"
#include "api/server.h"
#include "api/signals.h"
#include "demo/demo_pipeline.h"
#include "quality/reconcile.h"
#include "serve/engine.h"
#include "serve/pipeline_service.h"

namespace strata::demo {

using api::EmbeddedClient;  // the serving commands the demo runs
using api::Fail;
using api::ServerOptions;
using api::Serving;
using api::StopSignal;
using serve::PipelineService;  // the threads that keep an engine moving
using serve::PipelineServiceOptions;
namespace {

std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Clock(Micros t) {
  std::string s = FormatTimestamp(t);  // 2026-11-22T17:50:10.123456Z
  return s.size() >= 19 ? s.substr(11, 8) : s;
}

// What the demo's summary shows, read from the engine's status JSON.
struct Snapshot {
  uint64_t consumed = 0, lag = 0, silver_records = 0, quarantined = 0;
  struct Gold {
    std::string name, serving, lane;
    uint64_t rows = 0, last_version = 0;
    bool windowed = false;
    uint64_t late = 0;
  };
  std::vector<Gold> gold;
  uint64_t boundary = 0;
};

void U64(simdjson::dom::element e, const char* key, uint64_t* out) {
  if (e[key].get(*out) != simdjson::SUCCESS) *out = 0;
}

Snapshot Read(api::Client* client) {
  Snapshot s;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  auto status = client->StatusJson();
  if (!status.ok() || parser.parse(*status).get(root) != simdjson::SUCCESS) return s;
  simdjson::dom::array lanes, silver, gold;
  if (root["lanes"].get(lanes) == simdjson::SUCCESS) {
    for (auto lane : lanes) {
      std::string_view name;
      if (lane["name"].get(name) == simdjson::SUCCESS && name == "main") {
        U64(lane, "consumed", &s.consumed);
        U64(lane, "lag", &s.lag);
      }
    }
  }
  if (root["silver"].get(silver) == simdjson::SUCCESS) {
    for (auto t : silver) {
      uint64_t records = 0, quarantined = 0;
      U64(t, "records", &records);
      U64(t, "quarantined", &quarantined);
      s.silver_records += records;
      s.quarantined += quarantined;
    }
  }
  if (root["gold"].get(gold) == simdjson::SUCCESS) {
    for (auto g : gold) {
      Snapshot::Gold out;
      std::string_view v;
      if (g["name"].get(v) == simdjson::SUCCESS) out.name = std::string(v);
      if (g["serving"].get(v) == simdjson::SUCCESS) out.serving = std::string(v);
      if (g["lane"].get(v) == simdjson::SUCCESS) out.lane = std::string(v);
      U64(g, "rows", &out.rows);
      U64(g, "last_version", &out.last_version);
      out.windowed = g["late_records"].get(out.late) == simdjson::SUCCESS;
      s.gold.push_back(std::move(out));
    }
  }
  simdjson::dom::object boundary;
  if (root["last_batch_boundary"].get(boundary) == simdjson::SUCCESS) {
    for (auto kv : boundary) {
      simdjson::dom::array offsets;
      if (kv.value.get(offsets) != simdjson::SUCCESS) continue;
      for (auto o : offsets) {
        uint64_t x = 0;
        if (o.get(x) == simdjson::SUCCESS) s.boundary += x;
      }
    }
  }
  return s;
}

// The Kappa view's fix that the demo ships: only orders that were paid count.
constexpr const char* kLiveFilter = "WHERE status <> 'cancelled' GROUP BY customer_id";
constexpr const char* kFixedFilter =
    "WHERE status NOT IN ('cancelled', 'created') GROUP BY customer_id";

class DemoLog {
 public:
  void Add(std::string line) {
    absl::MutexLock lock(&mu_);
    lines_.push_back(Clock(NowMicros()) + "  " + std::move(line));
    if (lines_.size() > 7) lines_.pop_front();
  }
  std::deque<std::string> lines() const {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

 private:
  mutable absl::Mutex mu_;
  std::deque<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

// The queries the summary and the closing message suggest.
constexpr const char* kExampleRevenue =
    "SELECT * FROM gold.revenue_hourly ORDER BY hour DESC LIMIT 3";
constexpr const char* kExampleCustomers =
    "SELECT customer_id, orders, spent FROM gold.customer_totals ORDER BY spent DESC LIMIT 5";

// What the demo's phases share: the running server, and the producers' flags and log.
struct Demo {
  Demo(const DemoArgs& a, const std::string& s) : args(a), self(s) {}

  const DemoArgs& args;
  std::string self;  // how strata was invoked, for the commands the demo suggests
  std::string root;  // what a temporary data directory removes
  std::string dir;   // the data directory
  bool temporary = false;
  std::unique_ptr<Serving> serving;
  serve::Engine* engine = nullptr;
  std::unique_ptr<EmbeddedClient> client;  // on `engine`
  std::string url;
  DemoLog log;
  std::atomic<bool> stop{false};   // the producers stop
  std::atomic<uint64_t> acked{0};  // events the server acknowledged
};

// The data directory: --data, or a fresh temporary one.
Status MakeDirectory(Demo* d) {
  d->root = d->dir = d->args.data;
  d->temporary = d->dir.empty();
  if (!d->temporary) return Status::OK();
  char tmpl[] = "/tmp/strata-demo-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return Status::FromErrno("mkdtemp", tmpl, errno);
  d->root = tmpl;
  d->dir = d->root + "/data";
  return Status::OK();
}

// The server with examples/orders.sql, on --listen or, when that port is taken, any free one.
Status StartServing(Demo* d, ServerOptions server, const PipelineServiceOptions& service) {
  auto serving = Serving::Start(d->dir, kDemoPipeline, "examples/orders.sql", server, service);
  if (!serving.ok() && server.port != 0 &&
      serving.status().ToString().find("in use") != std::string::npos) {
    server.port = 0;  // the default port is taken: any free one
    serving = Serving::Start(d->dir, kDemoPipeline, "examples/orders.sql", server, service);
  }
  if (!serving.ok()) return serving.status();
  d->serving = std::move(*serving);
  d->engine = d->serving->engine();
  d->client = std::make_unique<EmbeddedClient>(d->engine);
  d->url = "http://" + server.host + ":" + std::to_string(d->serving->port());
  d->log.Add("server up; pipeline examples/orders.sql; batch runs every " + d->args.batch_every +
             " (the file says 1 hour)");
  return Status::OK();
}

// The generator: realistic order events posted to the ingest API, with bursts, until stop.
void ProduceOrders(Demo* d) {
  api::OrderGenerator gen(api::DemoOrderMix(static_cast<uint64_t>(NowMicros())));
  httplib::Client client(d->url);
  client.set_read_timeout(30, 0);
  client.set_tcp_nodelay(true);
  const Micros start = MonotonicMicros();
  Micros last = start;
  double budget = 0;  // events the rate allows now (a token bucket of one second)
  std::string body;
  while (!d->stop.load()) {
    const Micros now = MonotonicMicros();
    const double elapsed = (now - start) / 1e6;
    const bool burst = static_cast<int>(elapsed) % 15 >= 12;  // 3 s of every 15 at 3x
    const double rate = d->args.rate * (burst ? 3 : 1);
    budget = std::min(budget + rate * (now - last) / 1e6, rate);
    last = now;
    const size_t n = std::max<size_t>(1, static_cast<size_t>(rate / 50));
    if (budget < n) {
      std::this_thread::sleep_for(std::chrono::duration<double>((n - budget) / rate));
      continue;
    }
    budget -= n;
    body.clear();
    for (size_t i = 0; i < n; ++i)
      gen.Next(&body);
    auto res = client.Post("/v1/tables/bronze.orders/events", body, "application/x-ndjson");
    if (res && res->status == 200) {
      d->acked += n;
    } else if (!res || res->status != 503) {
      d->log.Add("ingest failed: " +
                 (res ? std::to_string(res->status) : httplib::to_string(res.error())));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

// The Kappa story: after 15 s, replay the customer view with a fix, validate it, cut over.
void ShipKappaFix(Demo* d) {
  std::string fixed = kDemoPipeline;
  size_t at = fixed.find(kLiveFilter);
  if (at == std::string::npos) {
    d->log.Add("(no Kappa fix to demonstrate: examples/orders.sql changed)");
    return;
  }
  fixed.replace(at, std::string(kLiveFilter).size(), kFixedFilter);
  for (int i = 0; i < 150 && !d->stop.load(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (d->stop.load()) return;
  d->log.Add("replay gold.customer_totals --as paid-only: count only paid orders (rate-limited)");
  serve::ReplayOptions options;
  options.name = "paid-only";
  options.sql_text = fixed;
  options.sql_name = "orders-fixed.sql";
  options.rate = std::max(4 * d->args.rate, 100000.0);
  options.stop = &d->stop;
  auto replay = d->client->Replay("gold.customer_totals", options);
  if (!replay.ok() || !replay->finished) {
    if (!replay.ok()) d->log.Add("replay failed: " + replay.status().ToString());
    return;
  }
  char line[200];
  std::snprintf(line, sizeof(line), "replay paid-only: %s events in %.1f s, version %llu",
                Thousands(replay->records).c_str(), replay->seconds,
                static_cast<unsigned long long>(replay->version ? replay->version->version : 0));
  d->log.Add(line);
  auto diff = d->client->Validate("gold.customer_totals", "paid-only");
  if (!diff.ok()) {
    d->log.Add("validate failed: " + diff.status().ToString());
    return;
  }
  std::snprintf(line, sizeof(line),
                "validate: live %s rows, paid-only %s rows; %s removed, %s changed",
                Thousands(diff->left_rows).c_str(), Thousands(diff->right_rows).c_str(),
                Thousands(diff->removed).c_str(), Thousands(diff->changed).c_str());
  d->log.Add(line);
  auto v = d->client->Cutover("gold.customer_totals", "paid-only");
  if (!v.ok()) {
    d->log.Add("cutover failed: " + v.status().ToString());
    return;
  }
  d->log.Add("cutover: gold.customer_totals now served by paid-only (version " +
             std::to_string(v->version) + "); `strata rollback` undoes it");
}

// One screen of the live summary: `elapsed` seconds in, `acked` events acknowledged in all,
// `per_second` of them in the last second.
std::string SummaryScreen(const Demo& d, bool tty, double elapsed, uint64_t acked,
                          uint64_t per_second) {
  Snapshot snap = Read(d.client.get());
  PipelineService::Stats stats = d.serving->service()->stats();
  std::string out;
  char line[320];
  if (tty) out += "\033[H\033[2J";
  std::snprintf(line, sizeof(line), "strata demo  %s   data %s   %.0f s%s\n\n", d.url.c_str(),
                d.dir.c_str(), elapsed,
                d.args.duration > 0
                    ? (" of " + std::to_string(static_cast<int>(d.args.duration))).c_str()
                    : " (Ctrl-C stops)");
  out += line;
  std::snprintf(
      line, sizeof(line), "ingest   %9s events/s   acked %s   speed-path lag %s records\n",
      Thousands(per_second).c_str(), Thousands(acked).c_str(), Thousands(snap.lag).c_str());
  out += line;
  std::snprintf(line, sizeof(line), "silver   silver.orders: %s records, %s quarantined\n",
                Thousands(snap.silver_records).c_str(), Thousands(snap.quarantined).c_str());
  out += line;
  for (const auto& g : snap.gold) {
    std::string late = g.windowed ? "  late " + Thousands(g.late) : "";
    std::snprintf(line, sizeof(line), "gold     %-22s %-6s %8s rows  version %llu%s%s%s\n",
                  g.name.c_str(), g.serving.c_str(), Thousands(g.rows).c_str(),
                  static_cast<unsigned long long>(g.last_version), g.lane.empty() ? "" : "  lane ",
                  g.lane.c_str(), late.c_str());
    out += line;
  }
  std::snprintf(line, sizeof(line), "batch    last boundary %s records%s   runs %llu\n",
                Thousands(snap.boundary).c_str(),
                stats.last_batch_at ? (" at " + Clock(stats.last_batch_at)).c_str() : "",
                static_cast<unsigned long long>(stats.batch_runs));
  out += line;
  if (!stats.last_error.empty()) out += "error    " + stats.last_error + "\n";
  out += "\n";
  for (const auto& l : d.log.lines())
    out += "  " + l + "\n";
  out += "\ntry:\n  curl -s -X POST " + d.url + "/v1/query -d '" + kExampleRevenue + "'\n  " +
         d.self + " query --server " + d.url + " \"" + kExampleCustomers + "\"\n";
  if (!tty) out += "\n";
  return out;
}

// The live summary, every second, until a signal or --duration.
void ShowSummaries(const Demo& d, StopSignal* signals) {
  const bool tty = ::isatty(STDOUT_FILENO);
  const Micros start = MonotonicMicros();
  uint64_t last_acked = 0;
  while (true) {
    bool signalled = signals->WaitFor(std::chrono::milliseconds(1000));
    double elapsed = (MonotonicMicros() - start) / 1e6;
    uint64_t now_acked = d.acked.load();
    std::string out = SummaryScreen(d, tty, elapsed, now_acked, now_acked - last_acked);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    last_acked = now_acked;
    if (signalled || (d.args.duration > 0 && elapsed >= d.args.duration)) break;
  }
}

// One drift check per gold view, side by side (Drift takes the engine's lock only to read).
std::vector<Result<quality::Diff>> DriftAll(serve::Engine* engine, api::Client* client) {
  const std::vector<sql::GoldView>& views = engine->plan().gold;
  std::vector<Result<quality::Diff>> diffs(views.size(), Status::Aborted("not computed"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < views.size(); ++i)
    threads.emplace_back([&, i] { diffs[i] = client->Drift(views[i].name); });
  for (auto& t : threads)
    t.join();
  return diffs;
}

std::string DriftVerdict(const quality::Diff& d) {
  return d.identical() ? "identical"
         : d.explained()
             ? "explained: " + std::to_string(d.added + d.removed + d.changed) +
                   " rows differ, all by the " + std::to_string(d.late_records) + " late records"
             : "DIFFERENT (unexplained)";
}

// Stops the pipeline (the producers have stopped) and shows that nothing drifted. Drift
// compares what each view serves with a recompute over exactly the input it covers, so the
// speed path need not catch up. Returns the demo's exit status.
int StopAndCheckDrift(Demo* d) {
  Micros phase = MonotonicMicros();
  auto progress = [&phase](const char* next) {
    const Micros now = MonotonicMicros();
    std::printf("(%.1f s)\n%s", (now - phase) / 1e6, next);
    std::fflush(stdout);
    phase = now;
  };
  std::printf("\nstopped after %s acked events; stopping the pipeline (last checkpoint)... ",
              Thousands(d->acked.load()).c_str());
  std::fflush(stdout);
  // The pipeline stops first: the comparisons below then have the machine to themselves.
  Status s = d->serving->Stop();
  int status = s.ok() ? 0 : Fail(s);
  progress("recomputing each gold view from bronze to compare it with what was served... ");
  const std::vector<sql::GoldView>& views = d->engine->plan().gold;
  std::vector<Result<quality::Diff>> diffs = DriftAll(d->engine, d->client.get());
  std::string verdicts;
  for (size_t i = 0; i < views.size(); ++i) {
    const Result<quality::Diff>& diff = diffs[i];
    if (!diff.ok()) {
      status = Fail(diff.status());
      continue;
    }
    char line[320];
    std::snprintf(line, sizeof(line), "drift %-22s live vs recompute over the same input: %s\n",
                  views[i].name.c_str(), DriftVerdict(*diff).c_str());
    verdicts += line;
    if (!diff->explained()) status = 1;
  }
  progress(verdicts.c_str());
  return status;
}

// Closes the server, then removes a temporary data directory or says how to explore it.
void Finish(Demo* d) {
  d->client.reset();
  d->serving.reset();
  if (d->temporary && !d->args.keep) {
    std::filesystem::remove_all(d->root);
    std::printf("The demo's data directory was removed (--keep keeps it).\n");
  } else {
    const char* self = d->self.c_str();
    const char* dir = d->dir.c_str();
    std::printf(
        "Explore it:\n  %s versions --data %s gold.customer_totals\n  %s query --data %s "
        "\"%s\"\n  %s server --data %s\n",
        self, dir, self, dir, kExampleRevenue, self, dir);
  }
}

}  // namespace

int RunDemo(const DemoArgs& a, const std::string& self) {
  Demo d(a, self);
  ServerOptions server;
  PipelineServiceOptions service;
  // The options first: a mistake in them leaves nothing behind.
  Status s = api::ParseListenAddress(a.listen, &server);
  if (s.ok()) s = api::ParseBatchEvery(a.batch_every, &service);
  if (s.ok()) s = MakeDirectory(&d);
  if (!s.ok()) return Fail(s);
  StopSignal signals;
  s = StartServing(&d, server, service);
  if (!s.ok()) {
    if (d.temporary) std::filesystem::remove_all(d.root);
    return Fail(s);
  }
  std::thread producer([&d] { ProduceOrders(&d); });
  std::thread kappa([&d] { ShipKappaFix(&d); });
  ShowSummaries(d, &signals);
  d.stop = true;
  producer.join();
  kappa.join();
  const int status = StopAndCheckDrift(&d);
  Finish(&d);
  return status;
}

}  // namespace strata::demo
