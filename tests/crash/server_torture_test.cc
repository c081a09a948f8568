// Exactly once through `strata server`, under SIGKILL. The test runs a pipeline with one
// bronze table (http connector, 4 partitions, key k), a silver table with a primary key and
// dedupe_order, a Lambda gold view (batch run every 2 s), a Kappa gold view and a Kappa view
// over one-second tumbling windows of event time (a watermark, late records), on a server
// that checkpoints every 150 ms or 3,000 records. A client thread POSTs batches of JSON
// lines to /v1/tables/bronze.x/events (with duplicates of earlier records and updates of
// the same keys) and records which batches were acknowledged (HTTP 200). At a random moment
// (10 ms to 1.5 s after the server is up, so that some kills land in a checkpoint, whose
// writer is a forked child) the test SIGKILLs the server, restarts it on the same directory
// and goes on. Every 20 cycles and at the end, with the client paused and the server caught
// up, it checks:
//   - bronze, read back with `strata log`: every record of an acknowledged batch is there
//     exactly once, a record of a batch whose answer the kill lost at most once, and nothing
//     else;
//   - `strata drift VIEW --server URL` exits 0 for both gold views (live = a recompute) and
//     for the windowed view (every difference explained by its late records: live equals
//     what the speed path computes from the same log with the same late decisions), and its
//     late table (a side log, serve/side_log.h) lists each late record and window once;
//   - both gold views, queried over HTTP, equal an independent reference computed here from
//     the records read back (dedupe by k keeping the greatest seq, then count and sum per
//     grp): no record lost, none counted twice;
//   - no restart reported a skipped checkpoint ("strata: checkpoint: ...").
//
// Cycles (kills): 100 by default; `server_torture_test --cycles N` or the environment
// variable STRATA_TORTURE_CYCLES=N for more. STRATA_SEED=N sets the seed (printed; a fixed one by
// default).
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "testing/seeds.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ProcessResult;

uint64_t g_cycles = 100;  // set by main

constexpr int kKeys = 400;
constexpr int kGroups = 7;

constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.x (id text, k text, v bigint, seq bigint, grp text, ts timestamp)
WITH (layer = 'bronze', connector = 'http', partitions = 4, key = 'k',
      watermark = 'ts - 1 second');

CREATE TABLE silver.x (
  id text, k text NOT NULL, v bigint, seq bigint NOT NULL, grp text NOT NULL, ts timestamp,
  PRIMARY KEY (k)
) WITH (layer = 'silver', dedupe_order = 'seq', on_violation = 'quarantine');

INSERT INTO silver.x SELECT id, k, v, seq, grp, ts FROM bronze.x;

CREATE MATERIALIZED VIEW gold.win WITH (serving = 'kappa') AS
SELECT window_start, window_end, count(*) AS n, sum(v) AS total
FROM silver.x GROUP BY tumble(ts, '1 second');

CREATE MATERIALIZED VIEW gold.lam WITH (serving = 'lambda', batch_every = '2 seconds') AS
SELECT grp, count(*) AS n, sum(v) AS total FROM silver.x GROUP BY grp;

CREATE MATERIALIZED VIEW gold.kap WITH (serving = 'kappa') AS
SELECT grp, count(*) AS n, sum(v) AS total FROM silver.x GROUP BY grp;
)sql";

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

struct Record {
  std::string id, k, grp;
  int64_t v = 0, seq = 0;
  // Event time: 20 ms per seq from 10:00 (so a duplicate has its original's), every 23rd seq
  // 3 s behind: late for gold.win once its partition has moved on.
  std::string Ts() const {
    int64_t ms = seq * 20 - (seq % 23 == 0 ? 3000 : 0);
    char out[40];
    std::snprintf(out, sizeof(out), "2026-11-18T%02lld:%02lld:%02lld.%03lldZ",
                  static_cast<long long>(10 + ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60),
                  static_cast<long long>(ms % 1000));
    return out;
  }
  std::string Json() const {
    return "{\"id\":\"" + id + "\",\"k\":\"" + k + "\",\"v\":" + std::to_string(v) +
           ",\"seq\":" + std::to_string(seq) + ",\"grp\":\"" + grp + "\",\"ts\":\"" + Ts() + "\"}";
  }
};

enum class Outcome { kAcked, kUnknown };

// What the client sent, batch by batch. Guarded by mu.
struct Sent {
  std::mutex mu;
  std::map<std::string, Outcome> ids;  // record id → its batch's outcome
  uint64_t batches = 0, acked = 0, unknown = 0;
};

// Generates batches: new records, updates of earlier keys (a greater seq, often another
// group), and exact duplicates of earlier records (a new id, the same k, seq, v and grp).
class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}
  std::vector<Record> Batch() {
    std::vector<Record> out;
    const int n = static_cast<int>(Uniform(1, 60));
    for (int i = 0; i < n; ++i) {
      Record r;
      r.id = "b" + std::to_string(batch_) + "-" + std::to_string(i);
      if (!history_.empty() && Uniform(0, 9) == 0) {  // a duplicate of an earlier record
        const Record& old = history_[Uniform(0, history_.size() - 1)];
        r.k = old.k;
        r.v = old.v;
        r.seq = old.seq;
        r.grp = old.grp;
      } else {
        r.k = "k" + std::to_string(Uniform(0, kKeys - 1));
        r.v = static_cast<int64_t>(Uniform(0, 2000)) - 1000;
        r.seq = ++seq_;
        r.grp = "g" + std::to_string(Uniform(0, kGroups - 1));
      }
      history_.push_back(r);
      out.push_back(std::move(r));
    }
    ++batch_;
    if (history_.size() > 5000) history_.erase(history_.begin(), history_.begin() + 2500);
    return out;
  }

 private:
  uint64_t Uniform(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  std::mt19937_64 rng_;
  uint64_t batch_ = 0;
  int64_t seq_ = 0;
  std::vector<Record> history_;
};

// POSTs batches to `url` until `stop`; each batch's records are recorded in `sent` before the
// request (unknown) and marked acked on a 200.
void Client(const std::string& url, Generator* gen, Sent* sent, const std::atomic<bool>* stop) {
  httplib::Client client(url);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(10, 0);
  client.set_tcp_nodelay(true);
  while (!stop->load()) {
    std::vector<Record> batch = gen->Batch();
    std::string body;
    for (const Record& r : batch)
      body += r.Json() + "\n";
    {
      std::lock_guard<std::mutex> lock(sent->mu);
      for (const Record& r : batch)
        sent->ids[r.id] = Outcome::kUnknown;
      ++sent->batches;
    }
    auto res = client.Post("/v1/tables/bronze.x/events", body, "application/x-ndjson");
    {
      std::lock_guard<std::mutex> lock(sent->mu);
      if (res && res->status == 200) {
        for (const Record& r : batch)
          sent->ids[r.id] = Outcome::kAcked;
        ++sent->acked;
      } else {
        ++sent->unknown;
      }
    }
    if (!res) return;  // the server is gone: wait for the restart
    // A few thousand records per second: enough to keep every lane busy, little enough that
    // the checks stay quick under the sanitizers.
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
}

class ServerTortureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pipeline_ = tmp_.Sub("pipeline.sql");
    data_ = tmp_.Sub("data");
    std::ofstream(pipeline_) << kPipeline;
  }

  // Starts the server and waits for its address; retries while the killed one's lock or
  // port is still held.
  void Start() {
    for (int attempt = 0; attempt < 50; ++attempt) {
      server_ = std::make_unique<testing::Subprocess>(std::vector<std::string>{
          STRATA_BINARY, "server", "--data", data_, "--pipeline", pipeline_, "--listen",
          "127.0.0.1:0", "--checkpoint-every", "150ms", "--checkpoint-records", "3000"});
      std::string line;
      if (server_->ReadLine(&line, std::chrono::seconds(60)) &&
          line.find("on http://") != std::string::npos) {
        url_ = line.substr(line.find("on http://") + 3);
        url_ = url_.substr(0, url_.find(' '));
        return;
      }
      ProcessResult r = server_->Wait(std::chrono::seconds(10));
      ASSERT_NE(r.err.find("in use"), std::string::npos) << "the server did not start: " << r.err;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the server did not start after 50 attempts";
  }

  // True when a checkpoint's temporary directory exists (one is being written, or a kill
  // left it).
  bool TemporaryCheckpoint() const {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(data_ + "/pipeline/checkpoints", ec)) {
      if (e.path().extension() == ".tmp") return true;
    }
    return false;
  }

  // SIGKILLs the server and collects what it printed.
  void Kill() {
    server_->Kill(SIGKILL);
    ProcessResult r = server_->Wait(std::chrono::seconds(30));
    stderr_ += r.err;
    server_.reset();
  }

  std::string Get(const std::string& path) {
    httplib::Client client(url_);
    client.set_read_timeout(120, 0);
    auto res = client.Get(path);
    EXPECT_TRUE(res && res->status == 200) << path << ": " << (res ? res->body : "no answer");
    return res ? res->body : "";
  }

  // Waits until every lane has consumed everything in bronze.
  void WaitCaughtUp() {
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(120);
    simdjson::dom::parser parser;
    while (Clock::now() < deadline) {
      std::string body = Get("/v1/status");
      simdjson::dom::array lanes;
      bool caught_up = parser.parse(body).at_key("lanes").get(lanes) == simdjson::SUCCESS;
      for (auto lane : lanes) {
        uint64_t lag = 1;
        caught_up = caught_up && lane["lag"].get(lag) == simdjson::SUCCESS && lag == 0;
      }
      if (caught_up) return;
      server_->Pump(std::chrono::milliseconds(50));
    }
    FAIL() << "the server did not catch up in 120 s";
  }

  // The checks of the header comment, with the client paused.
  void Verify(const std::string& label) {
    SCOPED_TRACE(label);
    const Clock::time_point start = Clock::now();
    ASSERT_NO_FATAL_FAILURE(WaitCaughtUp());
    ProcessResult log =
        testing::RunProcess({STRATA_BINARY, "log", "--data", data_, "--table", "bronze.x"});
    ASSERT_EQ(log.exit_code, 0) << log.err;
    std::map<std::string, int> seen;
    std::map<std::string, Record> winner;  // k → the record with the greatest seq
    simdjson::dom::parser parser, payload_parser;
    std::string_view out = log.out;
    uint64_t records = 0;
    while (!out.empty()) {
      size_t nl = out.find('\n');
      std::string_view line = out.substr(0, nl);
      out.remove_prefix(nl == std::string_view::npos ? out.size() : nl + 1);
      simdjson::dom::element doc;
      ASSERT_EQ(parser.parse(line.data(), line.size()).get(doc), simdjson::SUCCESS) << line;
      std::string_view payload;
      ASSERT_EQ(doc["payload"].get(payload), simdjson::SUCCESS) << line;
      simdjson::dom::element p;
      ASSERT_EQ(payload_parser.parse(payload.data(), payload.size()).get(p), simdjson::SUCCESS);
      Record r;
      std::string_view s;
      ASSERT_EQ(p["id"].get(s), simdjson::SUCCESS);
      r.id = std::string(s);
      ASSERT_EQ(p["k"].get(s), simdjson::SUCCESS);
      r.k = std::string(s);
      ASSERT_EQ(p["grp"].get(s), simdjson::SUCCESS);
      r.grp = std::string(s);
      ASSERT_EQ(p["v"].get(r.v), simdjson::SUCCESS);
      ASSERT_EQ(p["seq"].get(r.seq), simdjson::SUCCESS);
      ++seen[r.id];
      ++records;
      auto it = winner.find(r.k);
      if (it == winner.end() || it->second.seq < r.seq) winner[r.k] = r;
    }
    // Bronze: exactly once for acknowledged records, at most once for the others.
    uint64_t acked = 0, unknown_present = 0;
    {
      std::lock_guard<std::mutex> lock(sent_.mu);
      for (const auto& [id, n] : seen) {
        auto it = sent_.ids.find(id);
        ASSERT_NE(it, sent_.ids.end()) << "bronze holds a record never sent: " << id;
        ASSERT_EQ(n, 1) << "record " << id << " is in bronze " << n << " times";
      }
      for (const auto& [id, outcome] : sent_.ids) {
        if (outcome != Outcome::kAcked) {
          unknown_present += seen.count(id);
          continue;
        }
        ++acked;
        ASSERT_EQ(seen.count(id), 1u) << "acknowledged record " << id << " is not in bronze";
      }
    }
    // The reference: the winning version of each key, counted and summed per group.
    std::map<std::string, std::pair<int64_t, int64_t>> groups;
    for (const auto& [k, r] : winner) {
      groups[r.grp].first += 1;
      groups[r.grp].second += r.v;
    }
    std::string expected = "grp,n,total\n";
    for (const auto& [grp, nt] : groups)
      expected += grp + "," + std::to_string(nt.first) + "," + std::to_string(nt.second) + "\n";
    for (const char* view : {"gold.lam", "gold.kap"}) {
      ProcessResult drift = testing::RunProcess({STRATA_BINARY, "drift", view, "--server", url_});
      EXPECT_EQ(drift.exit_code, 0) << view << ": " << drift.out << drift.err;
      ProcessResult q = testing::RunProcess({STRATA_BINARY, "query", "--server", url_,
                                             std::string("SELECT * FROM ") + view + " ORDER BY grp",
                                             "--format", "csv"});
      ASSERT_EQ(q.exit_code, 0) << q.err;
      EXPECT_EQ(q.out, expected) << view << " differs from the reference over " << records
                                 << " bronze records";
    }
    // The late table lives in a side log that every restart's re-read of bronze and every
    // batch run append to: each (record, window) is listed once.
    ProcessResult late = testing::RunProcess({STRATA_BINARY, "query", "--server", url_,
                                              "SELECT * FROM gold.win__late", "--format", "csv"});
    ASSERT_EQ(late.exit_code, 0) << late.err;
    std::set<std::string> listed;
    size_t late_rows = 0;
    std::istringstream lines(late.out);
    std::string line;
    std::getline(lines, line);  // the header
    while (std::getline(lines, line)) {
      std::vector<std::string> f;
      std::istringstream fields(line);
      for (std::string v; std::getline(fields, v, ',');)
        f.push_back(v);
      ASSERT_GE(f.size(), 7u) << line;
      ++late_rows;
      EXPECT_TRUE(listed.insert(f[2] + "/" + f[3] + "/" + f[6]).second)
          << "gold.win__late lists a record twice: " << line;
    }
    // The windowed view: its live answer differs from the authoritative recompute only by
    // the late records, and equals what the speed path computes from the same log with the
    // same late decisions (`drift` exits 1 on anything else).
    ProcessResult drift =
        testing::RunProcess({STRATA_BINARY, "drift", "gold.win", "--server", url_});
    EXPECT_EQ(drift.exit_code, 0) << "gold.win: " << drift.out << drift.err;
    EXPECT_EQ(drift.out.find("UNEXPLAINED"), std::string::npos) << drift.out;
    size_t verdict = drift.out.find("explained:");
    if (verdict == std::string::npos) verdict = drift.out.find("no difference");
    if (verdict != std::string::npos) {
      std::printf("gold.win drift: %s\n",
                  drift.out.substr(verdict, drift.out.find('\n', verdict) - verdict).c_str());
    }
    std::printf(
        "%s: %llu bronze records (%llu acknowledged, %llu of lost answers), %zu keys, %zu late "
        "rows; checked in %.1f s\n",
        label.c_str(), static_cast<unsigned long long>(records),
        static_cast<unsigned long long>(acked), static_cast<unsigned long long>(unknown_present),
        winner.size(), late_rows, Seconds(Clock::now() - start));
    std::fflush(stdout);
  }

  testing::TempDir tmp_;
  std::string pipeline_, data_, url_;
  std::unique_ptr<testing::Subprocess> server_;
  std::string stderr_;
  Sent sent_;
};

TEST_F(ServerTortureTest, AcknowledgedRecordsCountExactlyOnceAcrossKills) {
  // One seed: fixed, STRATA_SEED=N, or the first of STRATA_SEEDS=K drawn (testing/seeds.h).
  const uint64_t seed = testing::Seeds(7000, 1).front();
  std::printf("seed %llu (repeat with STRATA_SEED), %llu cycles\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(g_cycles));
  std::mt19937_64 rng(seed);
  Generator gen(seed ^ 0x5eed);
  const Clock::time_point start = Clock::now();
  int killed_mid_checkpoint = 0;

  ASSERT_NO_FATAL_FAILURE(Start());
  for (uint64_t cycle = 1; cycle <= g_cycles; ++cycle) {
    std::atomic<bool> stop{false};
    std::thread client(Client, url_, &gen, &sent_, &stop);
    // A third of the kills wait for a checkpoint to be in the middle of its write (its
    // temporary directory exists); the others come at a random moment: mostly soon after the
    // restart, sometimes after several checkpoints and a batch run.
    if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
      const Clock::time_point deadline = Clock::now() + std::chrono::seconds(2);
      while (!TemporaryCheckpoint() && Clock::now() < deadline)
        server_->Pump(std::chrono::microseconds(200));
    } else {
      const uint64_t ms = std::uniform_int_distribution<uint64_t>(0, 3)(rng) == 0
                              ? std::uniform_int_distribution<uint64_t>(300, 1500)(rng)
                              : std::uniform_int_distribution<uint64_t>(10, 300)(rng);
      server_->Pump(std::chrono::milliseconds(ms));
    }
    Kill();
    stop = true;
    client.join();
    // A temporary checkpoint directory left behind: the kill landed while one was written.
    if (TemporaryCheckpoint()) ++killed_mid_checkpoint;
    ASSERT_NO_FATAL_FAILURE(Start());
    if (cycle % 20 == 0 || cycle == g_cycles) {
      ASSERT_NO_FATAL_FAILURE(Verify("after " + std::to_string(cycle) + " kills"));
    }
  }
  // A clean stop at the end: the last checkpoint, and the process exits cleanly (under the
  // sanitizers: no leak, no error).
  server_->Kill(SIGTERM);
  std::string stacks;  // what the server was doing, when it did not stop in time
  if (!server_->WaitClosed(std::chrono::seconds(90))) stacks = server_->Stacks();
  ProcessResult stopped = server_->Wait(std::chrono::seconds(5));
  EXPECT_TRUE(stacks.empty()) << "the server did not exit within 90 s of SIGTERM; its threads:\n"
                              << stacks << stopped.err;
  EXPECT_EQ(stopped.exit_code, 0) << "signal " << stopped.term_signal << ": " << stopped.err;
  stderr_ += stopped.err;
  EXPECT_EQ(stderr_.find("strata: checkpoint:"), std::string::npos) << stderr_;
  EXPECT_EQ(stderr_.find("Sanitizer"), std::string::npos) << stderr_;
  EXPECT_EQ(stderr_.find("runtime error"), std::string::npos) << stderr_;
  std::printf(
      "%llu kills (%d during a checkpoint write), %llu batches sent (%llu acknowledged, "
      "%llu answers lost), %.1f s\n",
      static_cast<unsigned long long>(g_cycles), killed_mid_checkpoint,
      static_cast<unsigned long long>(sent_.batches), static_cast<unsigned long long>(sent_.acked),
      static_cast<unsigned long long>(sent_.unknown), Seconds(Clock::now() - start));
  EXPECT_GT(sent_.acked, g_cycles);
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (const char* env = std::getenv("STRATA_TORTURE_CYCLES"); env && *env) {
    strata::g_cycles = std::strtoull(env, nullptr, 10);
  }
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--cycles")
      strata::g_cycles = std::strtoull(argv[i + 1], nullptr, 10);
  }
  return RUN_ALL_TESTS();
}
