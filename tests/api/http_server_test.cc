#include "api/http_server.h"

#include <httplib.h>
#include <simdjson.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/hash.h"
#include "log/reader.h"
#include "log/store.h"
#include "testing/log_util.h"
#include "testing/temp_dir.h"

namespace strata::api {
namespace {

using ::testing::HasSubstr;

// A FileSystem whose WritableFile::Sync, while the gate is closed, blocks until the test opens
// it: a group-commit leader can be held inside fdatasync, deterministically.
class GateFileSystem final : public FileSystem {
 public:
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  void Open() {
    std::lock_guard lock(mu_);
    closed_ = false;
    cv_.notify_all();
  }
  // Waits until `n` syncs are blocked at the gate; false after a timeout.
  bool WaitForBlocked(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return blocked_ >= n; });
  }
  void Pass() {
    std::unique_lock lock(mu_);
    ++blocked_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !closed_; });
    --blocked_;
  }

  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                     bool truncate) override {
    ASSIGN_OR_RETURN(auto file, base_->OpenWritable(path, truncate));
    return std::unique_ptr<WritableFile>(new GatedFile(this, std::move(file)));
  }
  Result<std::unique_ptr<RandomAccessFile>> OpenReadable(const std::string& path) override {
    return base_->OpenReadable(path);
  }
  Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  Status SyncDir(const std::string& path) override { return base_->SyncDir(path); }
  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    return base_->ListDir(path);
  }
  Status Remove(const std::string& path) override { return base_->Remove(path); }
  Status Rename(const std::string& from, const std::string& to) override {
    return base_->Rename(from, to);
  }
  Status Truncate(const std::string& path, uint64_t size) override {
    return base_->Truncate(path, size);
  }
  Result<uint64_t> FileSize(const std::string& path) override { return base_->FileSize(path); }
  bool Exists(const std::string& path) override { return base_->Exists(path); }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override {
    return base_->Lock(path);
  }

 private:
  class GatedFile final : public WritableFile {
   public:
    GatedFile(GateFileSystem* fs, std::unique_ptr<WritableFile> base)
        : fs_(fs), base_(std::move(base)) {}
    Status Append(std::string_view data) override { return base_->Append(data); }
    Status Sync() override {
      fs_->Pass();
      return base_->Sync();
    }
    Status Truncate(uint64_t size) override { return base_->Truncate(size); }
    Status Close() override { return base_->Close(); }
    uint64_t Size() const override { return base_->Size(); }

   private:
    GateFileSystem* const fs_;
    std::unique_ptr<WritableFile> base_;
  };

  FileSystem* const base_ = FileSystem::Default();
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  int blocked_ = 0;
};

using Stored = log::testing::StoredRecord;
using log::testing::ReadAll;

// Parses a response body; fails the test when it is not a JSON object.
simdjson::dom::object ParseObject(simdjson::dom::parser& parser, const std::string& body) {
  simdjson::dom::object obj;
  auto error = parser.parse(body).get(obj);
  EXPECT_FALSE(error) << simdjson::error_message(error) << " in " << body;
  return obj;
}

uint64_t GetUint(simdjson::dom::object obj, std::string_view field) {
  uint64_t v = 0;
  auto error = obj[field].get(v);
  EXPECT_FALSE(error) << field << ": " << simdjson::error_message(error);
  return v;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void TearDown() override { StopServer(); }

  void StartServer(log::StoreOptions store_options = {}, ServerOptions server_options = {},
                   log::TableConfig config = DefaultConfig()) {
    auto store = log::Store::Open(dir_.Sub("data"), store_options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto table = store_->CreateTable("t", config);
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    table_ = *table;

    server_options.host = "127.0.0.1";
    server_options.port = 0;
    server_ = std::make_unique<HttpServer>(store_.get(), server_options);
    Status s = server_->Bind();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_GT(server_->port(), 0);
    thread_ = std::thread([this] { server_->Run(); });
    // Stop() is lost if it comes before Run() listens: wait until the server answers.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      auto res = Client().Get("/healthz");
      if (res) break;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "server never answered";
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  void StopServer() {
    if (!server_) return;
    server_->Stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  static log::TableConfig DefaultConfig() {
    log::TableConfig config;
    config.partitions = 4;
    config.key_field = "id";
    return config;
  }

  httplib::Client Client() {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_connection_timeout(std::chrono::seconds(10));
    client.set_read_timeout(std::chrono::seconds(30));
    client.set_write_timeout(std::chrono::seconds(30));
    return client;
  }

  httplib::Result Post(const std::string& body, const std::string& request_id = "",
                       const std::string& table = "t") {
    httplib::Headers headers;
    if (!request_id.empty()) headers.emplace("X-Request-Id", request_id);
    return Client().Post("/v1/tables/" + table + "/events", headers, body, "application/x-ndjson");
  }

  testing::TempDir dir_;
  std::unique_ptr<log::Store> store_;
  log::Table* table_ = nullptr;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, PostEventsAcksDurableRecords) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string body =
      "{\"id\":\"a\",\"n\":1}\n"
      "{\"id\":\"b\",\"n\":2}\n"
      "not json\n"
      "\n"
      "{\"n\":5}\n"
      "{\"id\":\"a\",\"n\":6}\n";
  auto res = Post(body, "req-1");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");

  simdjson::dom::parser parser;
  simdjson::dom::object obj = ParseObject(parser, res->body);
  EXPECT_EQ(GetUint(obj, "acked"), 5u);
  EXPECT_EQ(GetUint(obj, "malformed"), 1u);
  EXPECT_EQ(GetUint(obj, "missing_key"), 2u);
  simdjson::dom::object offsets;
  ASSERT_FALSE(obj["first_offsets"].get(offsets)) << res->body;
  // A fresh table: every partition that got records starts at offset 0.
  std::set<uint32_t> expected_partitions = {PartitionForKey("a", 4), PartitionForKey("b", 4),
                                            PartitionForKey("", 4)};
  std::set<uint32_t> got_partitions;
  for (auto [key, value] : offsets) {
    got_partitions.insert(static_cast<uint32_t>(std::stoul(std::string(key))));
    uint64_t offset = 1;
    EXPECT_FALSE(value.get(offset));
    EXPECT_EQ(offset, 0u) << key;
  }
  EXPECT_EQ(got_partitions, expected_partitions);

  // Durable: a store opened afresh, read-only, finds every record on disk.
  log::StoreOptions ro;
  ro.read_only = true;
  auto reopened = log::Store::Open(dir_.Sub("data"), ro);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto table = (*reopened)->GetTable("t");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  std::vector<Stored> stored = ReadAll(**table);
  ASSERT_EQ(stored.size(), 5u);
  std::map<std::string, Stored> by_position;
  for (const Stored& s : stored)
    by_position[s.source_position] = s;
  ASSERT_EQ(by_position.size(), 5u);
  EXPECT_EQ(by_position["req-1:1"].payload, "{\"id\":\"a\",\"n\":1}");
  EXPECT_EQ(by_position["req-1:1"].key, "a");
  EXPECT_EQ(by_position["req-1:2"].payload, "{\"id\":\"b\",\"n\":2}");
  EXPECT_EQ(by_position["req-1:3"].payload, "not json");
  EXPECT_EQ(by_position["req-1:3"].flags, log::kFlagMalformed | log::kFlagMissingKey);
  EXPECT_EQ(by_position["req-1:5"].flags, log::kFlagMissingKey);
  EXPECT_EQ(by_position["req-1:6"].payload, "{\"id\":\"a\",\"n\":6}");
  EXPECT_EQ(by_position["req-1:6"].partition, by_position["req-1:1"].partition);
  // Offsets are dense per partition, in line order ("a" may share its partition with others).
  std::map<uint32_t, uint64_t> next_offset;
  for (const char* pos : {"req-1:1", "req-1:2", "req-1:3", "req-1:5", "req-1:6"}) {
    EXPECT_EQ(by_position[pos].offset, next_offset[by_position[pos].partition]++) << pos;
  }
  for (const Stored& s : stored)
    EXPECT_EQ(s.source, "http");
}

TEST_F(HttpServerTest, FirstOffsetsFollowEarlierRequests) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string body = "{\"id\":\"k\"}\n{\"id\":\"k\"}\n{\"id\":\"k\"}\n";
  const std::string p = std::to_string(PartitionForKey("k", 4));
  for (int i = 0; i < 3; ++i) {
    auto res = Post(body);
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    ASSERT_EQ(res->status, 200) << res->body;
    simdjson::dom::parser parser;
    simdjson::dom::object obj = ParseObject(parser, res->body);
    simdjson::dom::object offsets;
    ASSERT_FALSE(obj["first_offsets"].get(offsets));
    EXPECT_EQ(offsets.size(), 1u) << res->body;
    EXPECT_EQ(GetUint(offsets, p), static_cast<uint64_t>(3 * i));
  }
}

TEST_F(HttpServerTest, EmptyBodyAcksNothing) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  auto res = Post("");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  simdjson::dom::parser parser;
  simdjson::dom::object obj = ParseObject(parser, res->body);
  EXPECT_EQ(GetUint(obj, "acked"), 0u);
  simdjson::dom::object offsets;
  ASSERT_FALSE(obj["first_offsets"].get(offsets));
  EXPECT_EQ(offsets.size(), 0u);
  EXPECT_TRUE(ReadAll(*table_).empty());
}

TEST_F(HttpServerTest, UnknownTableIs404Json) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  auto res = Post("{\"id\":1}\n", "", "nope");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  simdjson::dom::parser parser;
  simdjson::dom::object obj = ParseObject(parser, res->body);
  std::string_view error;
  ASSERT_FALSE(obj["error"].get(error)) << res->body;
  EXPECT_THAT(std::string(error), HasSubstr("nope"));
  EXPECT_TRUE(ReadAll(*table_).empty());
}

TEST_F(HttpServerTest, UnknownPathIs404Json) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  for (const char* path :
       {"/", "/v1/tables", "/v1/tables/t/nothing", "/v1/tables/bad-name/events"}) {
    SCOPED_TRACE(path);
    auto res = Client().Post(path, "{}", "application/json");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 404);
    simdjson::dom::parser parser;
    simdjson::dom::object obj = ParseObject(parser, res->body);
    std::string_view error;
    EXPECT_FALSE(obj["error"].get(error)) << res->body;
  }
  auto res = Client().Get("/nothing/here");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  simdjson::dom::parser parser;
  simdjson::dom::object obj = ParseObject(parser, res->body);
  std::string_view error;
  EXPECT_FALSE(obj["error"].get(error)) << res->body;
}

TEST_F(HttpServerTest, Healthz) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  auto res = Client().Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  simdjson::dom::parser parser;
  simdjson::dom::object obj = ParseObject(parser, res->body);
  std::string_view status;
  ASSERT_FALSE(obj["status"].get(status)) << res->body;
  EXPECT_EQ(status, "ok");
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  ASSERT_NO_FATAL_FAILURE(StartServer({}, options));
  std::string line = "{\"id\":\"x\",\"pad\":\"" + std::string(100, 'p') + "\"}\n";
  std::string big;
  while (big.size() <= 4096)
    big += line;
  auto res = Post(big);
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413);
  simdjson::dom::parser parser;
  simdjson::dom::object obj = ParseObject(parser, res->body);
  std::string_view error;
  EXPECT_FALSE(obj["error"].get(error)) << res->body;
  EXPECT_TRUE(ReadAll(*table_).empty());

  // A body of exactly the limit is accepted.
  std::string exact = "{\"id\":\"x\",\"pad\":\"";
  exact += std::string(1024 - exact.size() - 3, 'p') + "\"}\n";
  ASSERT_EQ(exact.size(), 1024u);
  res = Post(exact);
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(ReadAll(*table_).size(), 1u);
}

// A chunked body has no Content-Length; the limit holds for it all the same.
TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  ASSERT_NO_FATAL_FAILURE(StartServer({}, options));
  const std::string line = "{\"id\":\"x\",\"pad\":\"" + std::string(100, 'p') + "\"}\n";
  int sent = 0;
  auto res = Client().Post(
      "/v1/tables/t/events",
      [&](size_t, httplib::DataSink& sink) {
        if (sent++ < 100) {
          sink.write(line.data(), line.size());
        } else {
          sink.done();
        }
        return true;
      },
      "application/x-ndjson");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413) << res->body;
  EXPECT_TRUE(ReadAll(*table_).empty());
}

TEST_F(HttpServerTest, RequestIdNamesSourcePositions) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  auto res = Post("{\"id\":1}\n\n{\"id\":3}", "order-batch-17");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  ASSERT_EQ(res->status, 200) << res->body;
  std::set<std::string> positions;
  for (const Stored& s : ReadAll(*table_))
    positions.insert(s.source_position);
  EXPECT_EQ(positions, (std::set<std::string>{"order-batch-17:1", "order-batch-17:3"}));
}

TEST_F(HttpServerTest, WithoutRequestIdPositionsAreUniquePerRequest) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  for (int i = 0; i < 3; ++i) {
    auto res = Post("{\"id\":1}\n{\"id\":2}\n");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    ASSERT_EQ(res->status, 200) << res->body;
  }
  std::set<std::string> positions, requests;
  for (const Stored& s : ReadAll(*table_)) {
    positions.insert(s.source_position);
    size_t colon = s.source_position.rfind(':');
    ASSERT_NE(colon, std::string::npos) << s.source_position;
    requests.insert(s.source_position.substr(0, colon));
    EXPECT_THAT(s.source_position.substr(colon), ::testing::AnyOf(":1", ":2"));
  }
  EXPECT_EQ(positions.size(), 6u);
  EXPECT_EQ(requests.size(), 3u);
}

// Backpressure. Request 1 becomes the group-commit leader and is held inside fdatasync;
// request 2 (small) fits in the queue behind it; request 3 is larger than what the queue
// bound leaves and is refused with 503 + Retry-After. Sizes make the outcome independent of
// whether 2 or 3 reaches the table first: 1+2 fit the bound, 1+3 do not.
TEST_F(HttpServerTest, FullQueueIs503WithRetryAfter) {
  GateFileSystem gate;
  log::StoreOptions store_options;
  store_options.fs = &gate;
  store_options.commit.max_queued_bytes = 500;
  log::TableConfig config;
  config.partitions = 1;  // one fdatasync per group
  ASSERT_NO_FATAL_FAILURE(StartServer(store_options, {}, config));

  // Queue bytes of a record: payload + key + source ("http") + position ("rN:1") + 16.
  const std::string body1 = "{\"n\":1,\"pad\":\"" + std::string(100, 'a') + "\"}\n";   // ~140
  const std::string body2 = "{\"n\":2}\n";                                             // ~31
  const std::string body3 = "{\"n\":3,\"pad\":\"" + std::string(1000, 'c') + "\"}\n";  // ~1040

  gate.Close();
  std::optional<httplib::Result> res1, res2;
  std::thread t1([&] { res1.emplace(Post(body1, "r1")); });
  ASSERT_TRUE(gate.WaitForBlocked(1)) << "request 1 never reached fdatasync";
  std::thread t2([&] { res2.emplace(Post(body2, "r2")); });

  auto res3 = Post(body3, "r3");
  ASSERT_TRUE(res3) << httplib::to_string(res3.error());
  EXPECT_EQ(res3->status, 503) << res3->body;
  EXPECT_EQ(res3->get_header_value("Retry-After"), "1");
  simdjson::dom::parser parser;
  simdjson::dom::object obj = ParseObject(parser, res3->body);
  std::string_view error;
  ASSERT_FALSE(obj["error"].get(error)) << res3->body;
  EXPECT_THAT(std::string(error), HasSubstr("full"));

  gate.Open();
  t1.join();
  t2.join();
  ASSERT_TRUE(*res1) << httplib::to_string(res1->error());
  ASSERT_TRUE(*res2) << httplib::to_string(res2->error());
  EXPECT_EQ((*res1)->status, 200) << (*res1)->body;
  EXPECT_EQ((*res2)->status, 200) << (*res2)->body;

  // Retrying after the backlog drained succeeds.
  res3 = Post(body3, "r3");
  ASSERT_TRUE(res3) << httplib::to_string(res3.error());
  EXPECT_EQ(res3->status, 200) << res3->body;

  std::map<std::string, std::string> by_position;
  for (const Stored& s : ReadAll(*table_))
    by_position[s.source_position] = s.payload + "\n";
  EXPECT_EQ(by_position, (std::map<std::string, std::string>{
                             {"r1:1", body1}, {"r2:1", body2}, {"r3:1", body3}}));
}

TEST_F(HttpServerTest, ConcurrentClientsEveryRecordExactlyOnce) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  constexpr int kThreads = 4, kRequests = 50, kLines = 3;
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client client = Client();
      client.set_keep_alive(t % 2 == 0);  // half reuse their connection
      for (int i = 0; i < kRequests; ++i) {
        std::string body;
        for (int l = 1; l <= kLines; ++l) {
          body += "{\"id\":\"k" + std::to_string((t * 7 + i + l) % 13) +
                  "\",\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) +
                  ",\"l\":" + std::to_string(l) + "}\n";
        }
        httplib::Headers headers = {
            {"X-Request-Id", "c" + std::to_string(t) + "-" + std::to_string(i)}};
        auto res = client.Post("/v1/tables/t/events", headers, body, "application/x-ndjson");
        if (res && res->status == 200) ++ok[t];
      }
    });
  }
  for (std::thread& t : threads)
    t.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(ok[t], kRequests) << "thread " << t;

  std::map<std::string, int> seen;
  std::map<uint32_t, uint64_t> next_offset;
  for (const Stored& s : ReadAll(*table_)) {
    ++seen[s.source_position];
    EXPECT_EQ(s.offset, next_offset[s.partition]++);
    // Payload and position agree: "c<t>-<i>:<l>" holds t, i and l.
    const std::string& pos = s.source_position;
    size_t dash = pos.find('-'), colon = pos.find(':');
    ASSERT_NE(colon, std::string::npos);
    EXPECT_THAT(s.payload, HasSubstr("\"t\":" + pos.substr(1, dash - 1) +
                                     ",\"i\":" + pos.substr(dash + 1, colon - dash - 1) +
                                     ",\"l\":" + pos.substr(colon + 1) + "}"));
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kRequests * kLines));
  for (const auto& [pos, n] : seen)
    EXPECT_EQ(n, 1) << pos;
}

}  // namespace
}  // namespace strata::api

namespace strata::api {
namespace {

// A stop that arrives before the server listens (a signal during startup) is not lost.
TEST(HttpServerStopTest, StopBeforeRunIsKept) {
  ::strata::testing::TempDir dir;
  auto store = std::move(log::Store::Open(dir.path(), log::StoreOptions{})).value();
  ServerOptions options;
  options.port = 0;
  HttpServer server(store.get(), options);
  ASSERT_TRUE(server.Bind().ok());
  server.Stop();
  std::promise<void> returned;
  std::thread runner([&] {
    server.Run();
    returned.set_value();
  });
  // Run returns by itself: the Stop before it is kept, not lost.
  const bool kept =
      returned.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  if (!kept) server.Stop();  // lets the thread end, so the failure is reported, not a hang
  runner.join();
  EXPECT_TRUE(kept) << "Run() kept serving after a Stop() that came before it";
}

// A port one server listens on is refused to a second one (with SO_REUSEPORT, httplib's
// default, both would bind and the kernel would split the connections between them).
TEST(HttpServerBindTest, APortInUseIsRefused) {
  ::strata::testing::TempDir dir;
  auto store = std::move(log::Store::Open(dir.path(), log::StoreOptions{})).value();
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  HttpServer first(store.get(), options);
  ASSERT_TRUE(first.Bind().ok());
  options.port = first.port();
  HttpServer second(store.get(), options);
  Status s = second.Bind();
  EXPECT_EQ(s.code(), StatusCode::kIOError) << s.ToString();
  EXPECT_NE(s.message().find("cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << s.ToString();
}

}  // namespace
}  // namespace strata::api
