// cdc_bench: change data capture from a real PostgreSQL 15 into the pipeline of
// examples/postgres_cdc.sql, run in-process the way `strata server` runs it (Store, Engine,
// PipelineService with its connector thread, default service options).
//
//   build/cdc_bench [--runs R] [--changes N] [--duration S] [--rate R]
//
// Run from the repository root: it starts a throwaway server with scripts/pg_test_server.sh
// (stopped at exit, also on error; the script's watchdog removes it if this process dies).
// Each run uses a fresh source table, replication slot, publication and strata data directory.
//   - throughput: N changes (half inserts, then updates of those rows), committed in
//     transactions of 1,000 rows generated server-side as fast as PostgreSQL takes them.
//     Changes/s into bronze: from the first transaction sent until bronze's end offsets hold
//     all N. Into gold: until the main lane consumed all N and gold.orders_by_status shows
//     the last update (paid orders = number of updates).
//   - lag: single-row inserts at a steady `rate` per second for `duration` seconds; for each,
//     from COMMIT returning in the client to the row counted in gold.orders_by_status
//     (Engine::Query polled every 1 ms). p50, p99 and max in ms.
// Prints human lines and one JSON line per figure (median of R runs, with min and max).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/file_system.h"
#include "connect/pg_connection.h"
#include "log/store.h"
#include "runtime/runner.h"
#include "serve/engine.h"
#include "serve/pipeline_service.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kExampleConninfo[] = "host=127.0.0.1 port=5432 dbname=shop user=strata_cdc";
constexpr char kExampleSlot[] = "'strata_orders'";  // slot and publication names
constexpr char kScript[] = "scripts/pg_test_server.sh";

std::string pg_dir, pg_port;  // the running server, if any

void StopServer() {
  if (pg_dir.empty()) return;
  std::string cmd = "/bin/bash " + std::string(kScript) + " stop " + pg_dir + " " + pg_port;
  if (std::system(cmd.c_str()) != 0)
    std::fprintf(stderr, "cdc_bench: stopping PostgreSQL failed\n");
  pg_dir.clear();
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "cdc_bench: %s\n", what.c_str());
  std::fflush(stderr);
  StopServer();
  std::_Exit(1);
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) Fail(std::string(what) + ": " + s.ToString());
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// Starts the server; returns its conninfo.
std::string StartServer() {
  char tmpl[] = "/tmp/strata-cdc-bench-pg-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) Fail("mkdtemp failed");
  pg_dir = tmpl;
  pg_port = std::to_string(FreePort());
  ::setenv("PG_TEST_OWNER_PID", std::to_string(::getpid()).c_str(), 1);
  std::string cmd = "/bin/bash " + std::string(kScript) + " start " + pg_dir + " " + pg_port;
  FILE* out = ::popen(cmd.c_str(), "r");
  if (out == nullptr) Fail("cannot run " + cmd);
  std::string conninfo;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), out) != nullptr)
    conninfo += buf;
  if (::pclose(out) != 0 || conninfo.empty()) Fail(cmd + " failed (run from the repository root)");
  return conninfo.substr(0, conninfo.find('\n'));
}

class Db {
 public:
  explicit Db(const std::string& conninfo) {
    auto conn = connect::PgConnection::Connect(conninfo, false);
    Check(conn.status(), "connecting to PostgreSQL");
    conn_ = std::move(*conn);
  }
  connect::PgResult Run(const std::string& sql) {
    auto r = conn_->Exec(sql, "bench SQL");
    Check(r.status(), sql.c_str());
    return std::move(*r);
  }
  std::string Scalar(const std::string& sql) {
    connect::PgResult r = Run(sql);
    return r.rows() > 0 && !r.IsNull(0, 0) ? std::string(r.Value(0, 0)) : "";
  }

 private:
  std::unique_ptr<connect::PgConnection> conn_;
};

// The in-process `strata server` (without HTTP) over a fresh data directory.
class Stack {
 public:
  explicit Stack(const std::string& sql) {
    char tmpl[] = "/tmp/strata-cdc-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) Fail("mkdtemp failed");
    dir_ = tmpl;
    auto store = log::Store::Open(dir_, log::StoreOptions{});
    Check(store.status(), "opening the store");
    store_ = std::move(*store);
    auto plan = runtime::LoadPipeline(sql, "postgres_cdc.sql");
    Check(plan.status(), "binding the pipeline");
    Check(runtime::EnsureBronzeTables(store_.get(), *plan), "creating bronze tables");
    runtime::PipelinePaths paths(dir_);
    Check(FileSystem::Default()->CreateDirs(paths.dir), "creating the pipeline directory");
    Check(FileSystem::Default()->WriteFileAtomic(paths.sql, sql), "writing the pipeline");
    auto engine = serve::Engine::Open(store_.get(), dir_, sql, paths.sql);
    Check(engine.status(), "opening the engine");
    engine_ = std::move(*engine);
    auto bronze = store_->GetTable(plan->bronze[0].name);
    Check(bronze.status(), "bronze table");
    bronze_ = *bronze;
    serve::PipelineServiceOptions options;  // the server's defaults
    options.store = store_.get();
    options.data_dir = dir_;
    service_ = std::make_unique<serve::PipelineService>(engine_.get(), options);
    service_->Start();
  }
  ~Stack() {
    Check(service_->Stop(), "stopping the service");
    if (!service_->stats().last_error.empty())
      std::fprintf(stderr, "cdc_bench: service error: %s\n", service_->stats().last_error.c_str());
    service_.reset();
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  uint64_t BronzeRecords() const {
    uint64_t n = 0;
    for (uint32_t p = 0; p < bronze_->partition_count(); ++p)
      n += bronze_->partition(p).end_offset();
    return n;
  }
  uint64_t Consumed() const { return service_->stats().records; }
  // The single integer a gold query answers (0 when it answers no row).
  uint64_t GoldCount(const std::string& sql) {
    auto r = engine_->Query(sql);
    Check(r.status(), sql.c_str());
    if (r->rows.num_rows() == 0) return 0;
    Value v = r->rows.columns[0].GetValue(0);
    return v.is_null() ? 0 : std::strtoull(v.ToString(r->types[0]).c_str(), nullptr, 10);
  }
  std::string LastError() const { return service_->stats().last_error; }

 private:
  std::string dir_;
  std::unique_ptr<log::Store> store_;
  std::unique_ptr<serve::Engine> engine_;
  std::unique_ptr<serve::PipelineService> service_;
  log::Table* bronze_ = nullptr;
};

std::string GoldStatusCount(const char* status) {
  return std::string("SELECT orders FROM gold.orders_by_status WHERE status = '") + status + "'";
}

// Waits (30 s at most) until `done` holds, checking every millisecond.
template <typename F>
void WaitFor(F done, const std::string& what, Stack& stack) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (Clock::now() > deadline)
      Fail("timed out waiting for " + what + "; last error: " + stack.LastError());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

struct Figures {
  std::vector<double> pg_rate, bronze_rate, gold_rate, p50, p99, max;
};

void Throughput(Db& db, Stack& stack, uint64_t changes, Figures* f) {
  const uint64_t inserts = (changes + 1) / 2, updates = changes - inserts;
  const uint64_t bronze0 = stack.BronzeRecords(), consumed0 = stack.Consumed();
  const auto start = Clock::now();
  for (uint64_t a = 1; a <= inserts; a += 1000) {
    const std::string b = std::to_string(std::min(inserts, a + 999));
    db.Run(
        "INSERT INTO orders SELECT i, 'c' || (i % 100), (i % 1000) / 10.0, 'created', now() "
        "FROM generate_series(" +
        std::to_string(a) + ", " + b + ") i");
  }
  for (uint64_t a = 1; a <= updates; a += 1000) {
    db.Run(
        "UPDATE orders SET status = 'paid', amount = amount + 1, updated_at = now() "
        "WHERE order_id BETWEEN " +
        std::to_string(a) + " AND " + std::to_string(std::min(updates, a + 999)));
  }
  const auto committed = Clock::now();
  WaitFor([&] { return stack.BronzeRecords() >= bronze0 + changes; }, "bronze", stack);
  const auto in_bronze = Clock::now();
  const std::string paid = GoldStatusCount("paid"), created = GoldStatusCount("created");
  WaitFor(
      [&] {
        return stack.Consumed() >= consumed0 + changes &&
               (updates > 0 ? stack.GoldCount(paid) == updates
                            : stack.GoldCount(created) == inserts);
      },
      "gold", stack);
  const auto in_gold = Clock::now();
  f->pg_rate.push_back(changes / Seconds(start, committed));
  f->bronze_rate.push_back(changes / Seconds(start, in_bronze));
  f->gold_rate.push_back(changes / Seconds(start, in_gold));
  std::printf(
      "  throughput: %llu changes committed in %.2f s, in bronze after %.2f s, in gold after %.2f "
      "s\n",
      static_cast<unsigned long long>(changes), Seconds(start, committed),
      Seconds(start, in_bronze), Seconds(start, in_gold));
}

void Lag(const std::string& conninfo, Stack& stack, double duration, double rate, Figures* f) {
  const size_t probes = static_cast<size_t>(duration * rate);
  if (probes == 0) return;
  std::vector<Clock::time_point> committed(probes), visible(probes);
  std::thread writer([&] {
    Db db(conninfo);
    const auto start = Clock::now();
    const auto period = std::chrono::duration<double>(1.0 / rate);
    for (size_t k = 0; k < probes; ++k) {
      std::this_thread::sleep_until(start +
                                    std::chrono::duration_cast<Clock::duration>(period * k));
      db.Run("INSERT INTO orders VALUES (" + std::to_string(100'000'000 + k) +
             ", 'probe', 1.00, 'probe', now())");
      committed[k] = Clock::now();
    }
  });
  const std::string query = GoldStatusCount("probe");
  size_t seen = 0;
  const auto deadline = Clock::now() + std::chrono::duration<double>(duration + 30);
  while (seen < probes) {
    if (Clock::now() > deadline)
      Fail("timed out waiting for the probes; last error: " + stack.LastError());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const size_t now_seen = std::min<size_t>(stack.GoldCount(query), probes);
    const auto now = Clock::now();
    for (; seen < now_seen; ++seen)
      visible[seen] = now;
  }
  writer.join();
  std::vector<double> lag_ms(probes);
  for (size_t k = 0; k < probes; ++k)
    lag_ms[k] = std::max(0.0, Seconds(committed[k], visible[k]) * 1e3);
  // When the slowest probes committed (seconds into the phase): periodic work shows up here.
  std::vector<size_t> order(probes);
  for (size_t k = 0; k < probes; ++k)
    order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lag_ms[a] > lag_ms[b]; });
  std::string slowest;
  for (size_t i = 0; i < std::min<size_t>(5, probes); ++i) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%s%.0f ms at %.2f s", i ? ", " : "", lag_ms[order[i]],
                  Seconds(committed[0], committed[order[i]]));
    slowest += buf;
  }
  std::sort(lag_ms.begin(), lag_ms.end());
  auto at = [&](double q) { return lag_ms[std::min(probes - 1, static_cast<size_t>(q * probes))]; };
  f->p50.push_back(at(0.5));
  f->p99.push_back(at(0.99));
  f->max.push_back(lag_ms.back());
  std::printf("  lag: %zu probes at %.0f/s, commit -> gold p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              probes, rate, at(0.5), at(0.99), lag_ms.back());
  std::printf("  slowest probes: %s\n", slowest.c_str());
}

void Report(const char* figure, const char* unit, std::vector<double> v) {
  if (v.empty()) return;
  std::sort(v.begin(), v.end());
  const double median = v[v.size() / 2];
  std::printf("%-28s %12.1f %s (min %.1f, max %.1f)\n", figure, median, unit, v.front(), v.back());
  std::printf(
      "{\"bench\":\"cdc\",\"figure\":\"%s\",\"unit\":\"%s\",\"median\":%.1f,\"min\":%.1f,"
      "\"max\":%.1f,\"runs\":%zu}\n",
      figure, unit, median, v.front(), v.back(), v.size());
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  using namespace strata;
  int runs = 3;
  uint64_t changes = 200000;
  double duration = 10, rate = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--runs")
      runs = std::atoi(argv[i + 1]);
    else if (flag == "--changes")
      changes = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--duration")
      duration = std::atof(argv[i + 1]);
    else if (flag == "--rate")
      rate = std::atof(argv[i + 1]);
    else
      Fail("unknown flag " + flag);
  }
  std::string example;
  Check(FileSystem::Default()->ReadFile("examples/postgres_cdc.sql", &example),
        "reading examples/postgres_cdc.sql (run from the repository root)");
  const size_t at = example.find(kExampleConninfo);
  if (at == std::string::npos) Fail("examples/postgres_cdc.sql no longer uses its conninfo");

  const std::string conninfo = StartServer();
  std::printf("PostgreSQL 15 at %s; %d runs: %llu changes, then %.0f probes/s for %.0f s\n",
              conninfo.c_str(), runs, static_cast<unsigned long long>(changes), rate, duration);
  Db db(conninfo);
  Figures f;
  for (int run = 0; run < runs; ++run) {
    // A fresh source table, slot and publication per run.
    const std::string name = "'strata_orders_r" + std::to_string(run) + "'";
    std::string sql = example;
    sql.replace(at, std::string(kExampleConninfo).size(), conninfo);
    for (size_t p = sql.find(kExampleSlot); p != std::string::npos; p = sql.find(kExampleSlot, p))
      sql.replace(p, std::string(kExampleSlot).size(), name);
    db.Run("DROP TABLE IF EXISTS orders");
    db.Run(
        "CREATE TABLE public.orders (order_id int PRIMARY KEY, customer text NOT NULL, "
        "amount numeric(12,2) NOT NULL, status text NOT NULL, "
        "updated_at timestamptz NOT NULL DEFAULT now())");
    {
      Stack stack(sql);
      // Wait until the connector streams (its slot is active), then let the snapshot settle.
      const std::string active =
          "SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = " + name;
      const auto deadline = Clock::now() + std::chrono::seconds(30);
      while (db.Scalar(active) != "1") {
        if (Clock::now() > deadline) Fail("the connector did not start: " + stack.LastError());
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      std::printf("run %d\n", run + 1);
      Throughput(db, stack, changes, &f);
      Lag(conninfo, stack, duration, rate, &f);
    }
    // The connector is gone: drop its slot (retried while the server sees it active).
    for (int i = 0; i < 100; ++i) {
      if (db.Scalar("SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = " +
                    name) == "0")
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    db.Run(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = " +
        name);
    db.Run("DROP PUBLICATION IF EXISTS " + name.substr(1, name.size() - 2));
  }
  Report("pg_commit_changes_per_s", "changes/s", f.pg_rate);
  Report("bronze_changes_per_s", "changes/s", f.bronze_rate);
  Report("gold_changes_per_s", "changes/s", f.gold_rate);
  Report("lag_p50_ms", "ms", f.p50);
  Report("lag_p99_ms", "ms", f.p99);
  Report("lag_max_ms", "ms", f.max);
  StopServer();
  return 0;
}
