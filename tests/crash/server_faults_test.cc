// Faults a server meets, through a real `strata server` running a pipeline:
//
//   DiskFull: the data directory is a 3 MiB tmpfs (mounted by the test; it needs root). A
//   client ingests until the disk is full: ingest is refused with 507 + Retry-After and a
//   sentence saying the disk is full, the server stays up (queries, status), checkpoints
//   fail with a warning; then the file system grows (mount -o remount, as an operator
//   freeing space would) and ingest succeeds again without a restart. After a clean stop
//   and a restart, bronze holds every acknowledged record exactly once and no record of a
//   refused request, and the pipeline counts exactly the acknowledged records.
//
//   Overload: the sustainable ingest rate is measured first (32 closed-loop clients), then
//   an open-loop client (256 senders) offers twice that rate for 5 s. The server sheds load with
//   503 + Retry-After, answers everything else 200 (no error, no timeout), keeps storing at a good
//   part of its sustainable rate, and its peak RSS stays bounded (printed). Every acknowledged
//   record is in bronze exactly once, none of a refused request.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ProcessResult;

// Overload: a pipeline whose state stays small (97 keys), so that the server's memory
// measures what the overload costs, not what the data holds.
constexpr const char* kKeyedPipeline = R"sql(
CREATE TABLE bronze.x (id text, k text, v bigint, grp text)
WITH (layer = 'bronze', connector = 'http', partitions = 4, key = 'k');
CREATE TABLE silver.x (id text, k text NOT NULL, v bigint, grp text, PRIMARY KEY (k))
WITH (layer = 'silver');
INSERT INTO silver.x SELECT id, k, v, grp FROM bronze.x;
CREATE MATERIALIZED VIEW gold.kap WITH (serving = 'kappa') AS
SELECT grp, count(*) AS n, sum(v) AS total FROM silver.x GROUP BY grp;
)sql";

constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.x (id text, k text, v bigint, grp text)
WITH (layer = 'bronze', connector = 'http', partitions = 4, key = 'k');
CREATE TABLE silver.x (id text NOT NULL, k text, v bigint, grp text, PRIMARY KEY (id))
WITH (layer = 'silver');
INSERT INTO silver.x SELECT id, k, v, grp FROM bronze.x;
CREATE MATERIALIZED VIEW gold.kap WITH (serving = 'kappa') AS
SELECT grp, count(*) AS n, sum(v) AS total FROM silver.x GROUP BY grp;
CREATE MATERIALIZED VIEW gold.lam WITH (serving = 'lambda', batch_every = '2 seconds') AS
SELECT grp, count(*) AS n FROM silver.x GROUP BY grp;
)sql";

// A batch of `n` records with ids "<tag>-<i>"; its JSON lines.
std::string Batch(const std::string& tag, int n, std::vector<std::string>* ids) {
  std::string body;
  for (int i = 0; i < n; ++i) {
    const std::string id = tag + "-" + std::to_string(i);
    ids->push_back(id);
    body += "{\"id\":\"" + id + "\",\"k\":\"k" + std::to_string(i % 97) +
            "\",\"v\":" + std::to_string(i) + ",\"grp\":\"g" + std::to_string(i % 5) + "\"}\n";
  }
  return body;
}

class ServerFaultsTest : public ::testing::Test {
 protected:
  void Start(const std::string& data, const char* pipeline = kPipeline) {
    std::ofstream(tmp_.Sub("p.sql")) << pipeline;
    server_ = std::make_unique<testing::Subprocess>(std::vector<std::string>{
        STRATA_BINARY, "server", "--data", data, "--pipeline", tmp_.Sub("p.sql"), "--listen",
        "127.0.0.1:0", "--checkpoint-every", "200ms"});
    std::string line;
    ASSERT_TRUE(server_->ReadLine(&line, std::chrono::seconds(60)) &&
                line.find("on http://") != std::string::npos)
        << "the server did not start: " << line << server_->err();
    url_ = line.substr(line.find("on http://") + 3);
    url_ = url_.substr(0, url_.find(' '));
  }

  // SIGTERM; the server must exit 0. Returns what it printed on stderr.
  std::string Stop() {
    server_->Kill(SIGTERM);
    ProcessResult r = server_->Wait(std::chrono::seconds(90));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    server_.reset();
    return r.err;
  }

  // The peak resident set of the server so far, in MiB (VmHWM).
  double PeakRssMiB() {
    std::ifstream in("/proc/" + std::to_string(server_->pid()) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    }
    ADD_FAILURE() << "no VmHWM for the server";
    return 0;
  }

  // How many times each record id is in bronze.x, read back with `strata log`.
  std::map<std::string, int> BronzeIds(const std::string& data) {
    ProcessResult log =
        testing::RunProcess({STRATA_BINARY, "log", "--data", data, "--table", "bronze.x"});
    EXPECT_EQ(log.exit_code, 0) << log.err;
    std::map<std::string, int> seen;
    simdjson::dom::parser parser, payload_parser;
    std::string_view out = log.out;
    while (!out.empty()) {
      const size_t nl = out.find('\n');
      std::string_view line = out.substr(0, nl);
      out.remove_prefix(nl == std::string_view::npos ? out.size() : nl + 1);
      std::string_view payload, id;
      simdjson::dom::element p;
      if (parser.parse(line.data(), line.size())["payload"].get(payload) ||
          payload_parser.parse(payload.data(), payload.size()).get(p) || p["id"].get(id)) {
        ADD_FAILURE() << "unreadable log line: " << line;
        continue;
      }
      ++seen[std::string(id)];
    }
    return seen;
  }

  // Bronze holds each acknowledged id once and no refused one.
  void ExpectStored(const std::string& data, const std::vector<std::string>& acked,
                    const std::vector<std::string>& refused) {
    std::map<std::string, int> seen = BronzeIds(data);
    size_t lost = 0, twice = 0, stored_refused = 0;
    for (const std::string& id : acked) {
      auto it = seen.find(id);
      lost += it == seen.end();
      twice += it != seen.end() && it->second != 1;
    }
    for (const std::string& id : refused)
      stored_refused += seen.count(id);
    EXPECT_EQ(lost, 0u) << "acknowledged records missing from bronze";
    EXPECT_EQ(twice, 0u) << "acknowledged records stored more than once";
    EXPECT_EQ(stored_refused, 0u) << "records of refused requests stored";
    EXPECT_EQ(seen.size(), acked.size());
  }

  std::string Query(const std::string& sql) {
    httplib::Client client(url_);
    client.set_read_timeout(60, 0);
    auto res = client.Post("/v1/query?format=csv", sql, "text/plain");
    EXPECT_TRUE(res && res->status == 200) << sql << ": " << (res ? res->body : "no answer");
    return res ? res->body : "";
  }

  // Waits until the pipeline has consumed everything in bronze.
  void WaitCaughtUp() {
    httplib::Client client(url_);
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(120);
    while (Clock::now() < deadline) {
      auto res = client.Get("/v1/status");
      if (res && res->status == 200 && res->body.find("\"lag\": 0") != std::string::npos) return;
      server_->Pump(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "the pipeline did not catch up";
  }

  // A tmpfs of `size` (e.g. "3m") at disk_, unmounted by TearDown; a second call resizes it
  // (mount -o remount, as an operator freeing space would).
  void MountDisk(const std::string& size) {
    const bool remount = !disk_.empty();
    if (!remount) {
      disk_ = tmp_.Sub("disk");
      std::filesystem::create_directories(disk_);
    }
    ProcessResult r =
        testing::RunProcess({"/bin/mount", "-t", "tmpfs", "-o",
                             (remount ? "remount,size=" : "size=") + size, "tmpfs", disk_});
    ASSERT_EQ(r.exit_code, 0) << "mount: " << r.err << r.out;
    mounted_ = true;
  }
  void TearDown() override {
    server_.reset();
    if (mounted_) testing::RunProcess({"/bin/umount", "-l", disk_});
  }

  std::string disk_;
  bool mounted_ = false;
  testing::TempDir tmp_;
  std::unique_ptr<testing::Subprocess> server_;
  std::string url_;
};

// Mounts a tmpfs of `size` at `dir` (or changes its size); "" or the error.

TEST_F(ServerFaultsTest, DiskFullRefusesIngestAndRecoversWhenSpaceReturns) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small file system needs root";
  ASSERT_NO_FATAL_FAILURE(MountDisk("3m"));
  const std::string data = disk_ + "/data";
  ASSERT_NO_FATAL_FAILURE(Start(data));

  httplib::Client client(url_);
  client.set_read_timeout(60, 0);
  std::vector<std::string> acked, refused;
  int full = 0, batch = 0;
  auto post = [&](int n) {
    std::vector<std::string> ids;
    std::string body = Batch("b" + std::to_string(batch++), n, &ids);
    auto res = client.Post("/v1/tables/bronze.x/events", body, "application/x-ndjson");
    if (!res) {
      ADD_FAILURE() << "no answer: " << httplib::to_string(res.error());
      return 0;
    }
    if (res->status == 200) {
      acked.insert(acked.end(), ids.begin(), ids.end());
    } else {
      EXPECT_EQ(res->status, 507) << res->body;
      EXPECT_NE(res->body.find("the disk is full"), std::string::npos) << res->body;
      EXPECT_EQ(res->get_header_value("Retry-After"), "10");
      refused.insert(refused.end(), ids.begin(), ids.end());
      ++full;
    }
    server_->Pump(std::chrono::milliseconds(1));
    return res->status;
  };
  // Fill the disk: 3 MiB takes some 20,000 records of ~60 bytes (plus the pipeline's files).
  while (full == 0 && batch < 400)
    post(500);
  ASSERT_GT(full, 0) << "the disk never filled";
  for (int i = 0; i < 5; ++i)
    post(300);
  // The server is still up, and its pipeline works on what was stored.
  WaitCaughtUp();
  EXPECT_EQ(Query("SELECT count(*) AS n FROM silver.x"),
            "n\n" + std::to_string(acked.size()) + "\n");
  server_->Pump(std::chrono::milliseconds(600));  // a checkpoint or two fail meanwhile

  // Space returns: ingest succeeds again, with no restart.
  ASSERT_NO_FATAL_FAILURE(MountDisk("64m"));
  const size_t acked_before = acked.size();
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(post(500), 200) << "ingest after space returned";
  EXPECT_EQ(acked.size(), acked_before + 5000);
  WaitCaughtUp();
  EXPECT_EQ(Query("SELECT count(*) AS n FROM silver.x"),
            "n\n" + std::to_string(acked.size()) + "\n");
  std::printf("disk full: %zu records acknowledged, %d requests refused with 507 (%zu records)\n",
              acked.size(), full, refused.size());
  const std::string err = Stop();
  EXPECT_NE(err.find("No space left on device"), std::string::npos)
      << "no checkpoint met the full disk: " << err;

  // Nothing acknowledged lost, nothing refused stored; and the restarted pipeline agrees.
  ExpectStored(data, acked, refused);
  ASSERT_NO_FATAL_FAILURE(Start(data));
  WaitCaughtUp();
  EXPECT_EQ(Query("SELECT count(*) AS n FROM silver.x"),
            "n\n" + std::to_string(acked.size()) + "\n");
  Stop();
}

// `strata ingest` on a full disk: the error says the disk is full and how many lines of the
// file are durable, and exactly those are in bronze.
TEST_F(ServerFaultsTest, IngestCommandOnAFullDiskSaysWhatIsDurable) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small file system needs root";
  ASSERT_NO_FATAL_FAILURE(MountDisk("2m"));
  std::vector<std::string> ids;
  std::string lines;
  for (int i = 0; i < 60; ++i)
    lines += Batch("f" + std::to_string(i), 1000, &ids);  // ~4 MB: more than the disk holds
  std::ofstream(tmp_.Sub("in.jsonl")) << lines;
  const std::string data = disk_ + "/data";
  ProcessResult r = testing::RunProcess({STRATA_BINARY, "ingest", "--data", data, "--table",
                                         "bronze.x", "--key", "k", tmp_.Sub("in.jsonl")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("strata: error: No space: table bronze.x: the disk is full"),
            std::string::npos)
      << r.err;
  const size_t at = r.err.find("(the first ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const size_t durable = std::stoul(r.err.substr(at + 11));
  EXPECT_NE(r.err.find(" lines of " + tmp_.Sub("in.jsonl") + " are durable; the rest is not)"),
            std::string::npos)
      << r.err;
  EXPECT_LT(durable, ids.size());
  std::vector<std::string> stored(ids.begin(), ids.begin() + durable);
  std::vector<std::string> not_stored(ids.begin() + durable, ids.end());
  ExpectStored(data, stored, not_stored);
}

// Counts of what the clients saw, and the ids of acknowledged and refused batches.
struct Outcomes {
  std::mutex mu;
  std::vector<std::string> acked, refused;
  uint64_t ok = 0, shed = 0, errors = 0, no_retry_after = 0;
  std::vector<double> ok_seconds;
  std::string first_error;

  void Add(const httplib::Result& res, const std::vector<std::string>& ids, double seconds) {
    std::lock_guard lock(mu);
    if (res && res->status == 200) {
      ++ok;
      ok_seconds.push_back(seconds);
      acked.insert(acked.end(), ids.begin(), ids.end());
    } else if (res && res->status == 503) {
      ++shed;
      no_retry_after += res->get_header_value("Retry-After").empty();
      refused.insert(refused.end(), ids.begin(), ids.end());
    } else {
      ++errors;
      if (first_error.empty())
        first_error = (res ? std::to_string(res->status) + " " + res->body
                           : httplib::to_string(res.error())) +
                      " after " + std::to_string(seconds) + " s";
    }
  }
};

TEST_F(ServerFaultsTest, OverloadIsShedWith503AndNothingAcknowledgedIsLost) {
  const std::string data = tmp_.Sub("data");
  ASSERT_NO_FATAL_FAILURE(Start(data, kKeyedPipeline));
  constexpr int kRecords = 2000;  // per request (~130 KB)
  std::atomic<uint64_t> seq{0};
  Outcomes calibration, overload;
  auto send = [&](httplib::Client& client, Outcomes* out) {
    std::vector<std::string> ids;
    const std::string body = Batch("r" + std::to_string(seq++), kRecords, &ids);
    const Clock::time_point t0 = Clock::now();
    auto res = client.Post("/v1/tables/bronze.x/events", body, "application/x-ndjson");
    out->Add(res, ids, std::chrono::duration<double>(Clock::now() - t0).count());
  };
  auto client_for = [&] {
    auto c = std::make_unique<httplib::Client>(url_);
    c->set_read_timeout(60, 0);
    c->set_write_timeout(60, 0);
    c->set_keep_alive(true);  // as ingest clients do: no connection per request
    return c;
  };

  // The sustainable rate: 32 closed-loop clients for 2 s.
  {
    std::vector<std::thread> clients;
    const Clock::time_point end = Clock::now() + std::chrono::seconds(2);
    for (int i = 0; i < 32; ++i) {
      clients.emplace_back([&] {
        auto c = client_for();
        while (Clock::now() < end)
          send(*c, &calibration);
      });
    }
    while (Clock::now() < end)
      server_->Pump(std::chrono::milliseconds(50));
    for (auto& t : clients)
      t.join();
  }
  ASSERT_EQ(calibration.errors, 0u) << calibration.first_error;
  const double sustainable = static_cast<double>(calibration.acked.size()) / 2.0;
  const double rss_calibrated = PeakRssMiB();

  // Twice that rate, open loop: a request is due every `interval`, whatever the answers;
  // 256 senders take the due requests.
  const double seconds = 5;
  const auto interval = std::chrono::duration<double>(kRecords / (2 * sustainable));
  std::mutex mu;
  std::condition_variable cv;
  uint64_t due = 0, offered = 0;
  bool done = false;
  std::vector<std::thread> senders;
  for (int i = 0; i < 256; ++i) {
    senders.emplace_back([&] {
      auto c = client_for();
      for (;;) {
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return due > 0 || done; });
          if (due == 0) return;
          --due;
        }
        send(*c, &overload);
      }
    });
  }
  const Clock::time_point start = Clock::now();
  while (Clock::now() - start < std::chrono::duration<double>(seconds)) {
    const uint64_t should = static_cast<uint64_t>((Clock::now() - start) / interval);
    {
      std::lock_guard lock(mu);
      due += should - offered;
      offered = should;
    }
    cv.notify_all();
    server_->Pump(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard lock(mu);
    done = true;
    due = 0;  // requests the senders could not even start are not part of the run
  }
  cv.notify_all();
  for (auto& t : senders)
    t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double rss_peak = PeakRssMiB();

  std::sort(overload.ok_seconds.begin(), overload.ok_seconds.end());
  const double p99 =
      overload.ok_seconds.empty() ? 0 : overload.ok_seconds[overload.ok_seconds.size() * 99 / 100];
  const double stored_rate = static_cast<double>(overload.acked.size()) / elapsed;
  std::printf(
      "overload: sustainable %.0f records/s (32 closed-loop clients); offered %.0f records/s for "
      "%.0f s: %llu requests 200 (%.0f records/s stored, p99 %.2f s), %llu shed with 503, %llu "
      "other; server peak RSS %.0f MiB (%.0f MiB after calibration)\n",
      sustainable, 2 * sustainable, seconds, static_cast<unsigned long long>(overload.ok),
      stored_rate, p99, static_cast<unsigned long long>(overload.shed),
      static_cast<unsigned long long>(overload.errors), rss_peak, rss_calibrated);
  EXPECT_EQ(overload.errors, 0u) << overload.first_error;
  EXPECT_GT(overload.shed, 0u) << "twice the sustainable rate was never refused";
  EXPECT_EQ(overload.no_retry_after, 0u) << "503 without Retry-After";
  EXPECT_GT(stored_rate, 0.3 * sustainable) << "shedding starved the useful work";
  EXPECT_LT(p99, 5.0) << "accepted requests waited too long";
  EXPECT_LT(rss_peak, rss_calibrated + 512.0) << "the server's memory grew with the overload";

  Stop();
  std::vector<std::string> acked = calibration.acked, refused = calibration.refused;
  acked.insert(acked.end(), overload.acked.begin(), overload.acked.end());
  refused.insert(refused.end(), overload.refused.begin(), overload.refused.end());
  ExpectStored(data, acked, refused);
}

}  // namespace
}  // namespace strata
