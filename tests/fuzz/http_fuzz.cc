// libFuzzer target: HTTP request handling (api/http_server.h), end to end. One server runs
// for the whole fuzzing session over a temporary data directory: a pipeline with a Lambda, a
// Kappa and a windowed Kappa view, and a few records ingested and consumed (one of them
// quarantined as not UTF-8). Each input is
// one exchange over loopback TCP:
//
//   byte 0   the route (kRoutes below): ingest, /v1/query with a text or a JSON body,
//            views, versions, replay, validate, cutover, rollback, drift, status, healthz,
//            a path and method taken from the body, a known path with a wrong method, or
//            raw bytes (bytes 1.. sent as they are: httplib's parser, pipelining).
//   byte 1   variant: bits 0-2 choose the table, view or ?format=; bit 3 sends the body
//            chunked; bit 4 adds an X-Request-Id; bit 5 declares one byte more than it
//            sends (an incomplete body); bits 6-7: 2 runs a batch and publishes Kappa
//            versions first, 3 writes a checkpoint first.
//   the rest the body, sent with its Content-Length (or chunked).
//
// A structured request says Connection: close, and the client reads until it has the
// whole answer or the server closes (an incomplete body is ended by a half-close instead,
// after which httplib writes nothing); raw bytes are read until the server closes or is
// quiet for kIdleMillis (they may keep the connection alive, or be incomplete). The target
// aborts when a complete structured request is not answered within kAnswerSeconds, when
// an answer is not a well-formed HTTP/1.1 response, when it is a 500 (an internal error:
// every 500 is a bug to investigate), when an application/json answer is not valid JSON,
// or when the server closes without answering a structured request. After each exchange the speed
// path consumes what was ingested. The directory is bounded: the server restarts on a fresh
// directory after kRotateBytes of ingest bodies or kRotateReplays replays. Replays with a "rate"
// below kMinRate events per second are not sent (a slow replay is its contract, not a hang).
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <simdjson.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/http_server.h"
#include "common/file_system.h"
#include "log/store.h"
#include "runtime/runner.h"
#include "serve/engine.h"

namespace {

using strata::Status;

constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.orders (id text, customer text, amount numeric(12,2), qty bigint, ts timestamp)
WITH (layer = 'bronze', format = 'json', key = 'id', partitions = 2,
      watermark = 'ts - 1 second');
CREATE TABLE silver.orders (
  id text NOT NULL, customer text NOT NULL, amount numeric(12,2) CHECK (amount > 0),
  qty bigint, ts timestamp NOT NULL, PRIMARY KEY (id)
) WITH (layer = 'silver', dedupe_order = 'ts', on_violation = 'quarantine');
INSERT INTO silver.orders
SELECT id, customer, amount, qty, ts FROM bronze.orders WHERE customer <> 'test';
CREATE MATERIALIZED VIEW gold.by_customer WITH (serving = 'lambda', batch_every = '1 hour') AS
SELECT customer, count(*) AS orders, sum(amount) AS revenue FROM silver.orders GROUP BY customer;
CREATE MATERIALIZED VIEW gold.kappa_customer WITH (serving = 'kappa') AS
SELECT customer, count(*) AS orders, sum(qty) AS items, max(ts) AS last
FROM silver.orders GROUP BY customer;
CREATE MATERIALIZED VIEW gold.per_minute WITH (allowed_lateness = '2 seconds') AS
SELECT window_start, window_end, count(*) AS k, sum(amount) AS revenue
FROM silver.orders GROUP BY tumble(ts, '1 minute');
)sql";

constexpr const char* kSeedEvents =
    R"({"id":"o1","customer":"alice","amount":10.25,"qty":1,"ts":"2026-01-01 00:00:01"}
{"id":"o2","customer":"bob","amount":20,"qty":2,"ts":"2026-01-01 00:00:02"}
{"id":"o2","customer":"bob","amount":25,"qty":2,"ts":"2026-01-01 00:01:04"}
{"id":"o3","customer":"carol","amount":-1,"qty":1,"ts":"2026-01-01 00:02:05"}
{"id":"o4","customer":"alice","amount":5.5,"qty":3,"ts":"2026-01-01 00:00:03"}
{"id":"o5","customer":"test","amount":1,"qty":1,"ts":"2026-01-01 00:03:00"}
not json
{"id":"o6","customer":")"
    "\xff\xc3"
    R"(","amount":1,"qty":1,"ts":"2026-01-01 00:03:30"}
)";

// Below fuzz.sh's -timeout for this target (30). Generous: a drift or a replay recomputes
// the whole log, and a fuzzing run niced beside a build gets a small share of the CPU.
constexpr int kAnswerSeconds = 25;
constexpr size_t kMaxBody = 8192;  // the server's max_body_bytes: 413 is reachable
constexpr size_t kRotateBytes = 2u << 20;
constexpr int kRotateReplays = 32;
constexpr double kMinRate = 1e6;

[[noreturn]] void Fail(const std::string& what, std::string_view request, std::string_view answer) {
  std::fprintf(
      stderr, "http_fuzz: %s\n--- request (%zu bytes)\n%.*s\n--- answer (%zu bytes)\n%.*s\n",
      what.c_str(), request.size(), static_cast<int>(std::min<size_t>(request.size(), 2000)),
      request.data(), answer.size(), static_cast<int>(std::min<size_t>(answer.size(), 2000)),
      answer.data());
  std::abort();
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "http_fuzz: %s: %s\n", what, s.ToString().c_str());
    std::abort();
  }
}

// The server under test and what it serves, on a fresh temporary directory.
class Harness {
 public:
  Harness() { Start(); }
  ~Harness() { Stop(); }

  int port() const { return server_->port(); }
  strata::serve::Engine* engine() { return engine_.get(); }

  // The speed path consumes what is durable (as the server's speed loop would).
  void CatchUp() {
    for (int i = 0; i < 64 && !engine_->CaughtUp(); ++i) {
      if (!engine_->Step().ok()) break;  // a lane's failure is its own (status shows it)
    }
  }

  // Counts what grows the directory; restarts on a fresh one past the bounds.
  void Account(size_t ingest_bytes, bool replay) {
    ingested_ += ingest_bytes;
    replays_ += replay ? 1 : 0;
    if (ingested_ > kRotateBytes || replays_ > kRotateReplays) {
      Stop();
      Start();
    }
  }

 private:
  void Start() {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "strata-http-fuzz-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) Check(Status::IOError("mkdtemp failed"), "temp dir");
    dir_ = tmpl;
    auto store = strata::log::Store::Open(dir_, {});
    Check(store.status(), "store");
    store_ = std::move(store).value();
    auto plan = strata::runtime::LoadPipeline(kPipeline, "pipeline.sql");
    Check(plan.status(), "pipeline");
    Check(strata::runtime::EnsureBronzeTables(store_.get(), *plan), "bronze tables");
    Check(store_->CreateTable("raw_events", {}).status(), "raw table");
    strata::runtime::PipelinePaths paths(dir_);
    auto* fs_default = strata::FileSystem::Default();
    Check(fs_default->CreateDirs(paths.dir), "pipeline dir");
    Check(fs_default->WriteFileAtomic(paths.sql, kPipeline), "pipeline.sql");
    auto engine = strata::serve::Engine::Open(store_.get(), dir_, kPipeline, "pipeline.sql");
    Check(engine.status(), "engine");
    engine_ = std::move(engine).value();
    strata::api::ServerOptions options;
    options.port = 0;
    options.max_body_bytes = kMaxBody;
    server_ = std::make_unique<strata::api::HttpServer>(store_.get(), options);
    server_->SetEngine(engine_.get());
    Check(server_->Bind(), "bind");
    thread_ = std::thread([this] { server_->Run(); });
    // Some state to serve: records in every view, a batch, versions and a checkpoint.
    auto* table = store_->GetTable("bronze.orders").value();
    std::string_view events(kSeedEvents);
    std::vector<strata::log::AppendRecord> records;
    std::vector<std::string> keys;
    keys.reserve(events.size());  // the records point into it
    size_t n = 0;
    for (size_t start = 0; start < events.size(); start = n + 1) {
      n = events.find('\n', start);
      strata::log::AppendRecord r;
      r.payload = events.substr(start, n - start);
      keys.push_back(std::to_string(start));
      r.key = keys.back();
      r.partition = static_cast<uint32_t>(start % 2);
      records.push_back(r);
    }
    strata::log::AppendAck ack;
    Check(table->Append(records, &ack), "seed records");
    CatchUp();
    Check(engine_->RunBatch().status(), "batch");
    CatchUp();
    Check(engine_->PublishStreaming().status(), "publish");
    Check(engine_->Checkpoint().status(), "checkpoint");
    ingested_ = 0;
    replays_ = 0;
  }

  void Stop() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
    server_.reset();
    engine_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  std::string dir_;
  std::unique_ptr<strata::log::Store> store_;
  std::unique_ptr<strata::serve::Engine> engine_;
  std::unique_ptr<strata::api::HttpServer> server_;
  std::thread thread_;
  size_t ingested_ = 0;
  int replays_ = 0;
};

Harness* harness = nullptr;

// How an exchange ends on the client's side.
enum class Ending {
  kAnswer,     // a complete request: the server must answer it in time (it closes after
               // Connection: close, except after a request line httplib cannot read)
  kHalfClose,  // the request is incomplete: end it with EOF (httplib then writes nothing)
  kIdle,       // raw bytes (maybe keep-alive, maybe incomplete): stop after kIdleMillis
};
constexpr int kIdleMillis = 100;

bool HeaderIs(std::string_view line, std::string_view name, std::string_view* value);

// True when `answer` holds a whole response: its head and, unless `head` (a HEAD request),
// as many body bytes as its Content-Length says.
bool AnswerComplete(std::string_view answer, bool head) {
  const size_t head_end = answer.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return false;
  std::string_view lines = answer.substr(0, head_end + 2);
  size_t length = 0;
  while (!lines.empty()) {
    const size_t end = lines.find("\r\n");
    std::string_view value;
    if (HeaderIs(lines.substr(0, end), "content-length", &value)) {
      for (char c : value)
        length = c >= '0' && c <= '9' ? length * 10 + static_cast<size_t>(c - '0') : length;
    }
    lines.remove_prefix(end + 2);
  }
  return head || answer.size() - head_end - 4 >= length;
}

// Sends `request` over a fresh connection and returns every byte the server sends until it
// closes (or, with kIdle, until it is quiet). Aborts when it does not close in time.
std::string Exchange(std::string_view request, Ending ending, bool head, bool* sent_all) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Check(Status::IOError("socket failed"), "client");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(harness->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int error = errno;
    size_t fds = 0;
    for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
      ++fds;
    Fail(std::string("cannot connect: ") + std::strerror(error) + " (" + std::to_string(fds) +
             " open files)",
         request, "");
  }
  timeval send_timeout{kAnswerSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  *sent_all = true;
  for (size_t off = 0; off < request.size();) {
    ssize_t n = send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // the server answered early (413) and closed: its answer may be there
      *sent_all = false;
      break;
    }
    off += static_cast<size_t>(n);
  }
  if (ending == Ending::kHalfClose) shutdown(fd, SHUT_WR);
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kAnswerSeconds);
  char buf[65536];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      if (ending == Ending::kIdle) break;  // a server still sending: nothing to judge
      Fail("no answer within the bound (hang)", request, answer);
    }
    pollfd p{fd, POLLIN, 0};
    const int wait = ending == Ending::kIdle ? std::min<int>(kIdleMillis, static_cast<int>(left))
                                             : static_cast<int>(left);
    if (poll(&p, 1, wait) <= 0) {
      if (ending == Ending::kIdle) break;
      continue;
    }
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // closed (or reset after an early answer)
    answer.append(buf, static_cast<size_t>(n));
    if (ending == Ending::kAnswer && AnswerComplete(answer, head)) break;
  }
  close(fd);
  static const bool verbose = std::getenv("STRATA_HTTP_FUZZ_VERBOSE") != nullptr;
  if (verbose) {  // what each exchange got, to check that the inputs reach the handlers
    std::fprintf(stderr, "%.*s -> %.*s\n", static_cast<int>(request.find('\r')), request.data(),
                 static_cast<int>(std::min<size_t>(answer.size(), 300)), answer.data());
  }
  return answer;
}

bool HeaderIs(std::string_view line, std::string_view name, std::string_view* value) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  *value = line.substr(name.size() + 1);
  while (!value->empty() && value->front() == ' ')
    value->remove_prefix(1);
  return true;
}

// Checks every response in `answer` (several when raw bytes pipelined requests); returns
// how many there were. `head` is true when some request was a HEAD, whose answer has a
// Content-Length but no body; `cut` when the client stopped reading before the server
// closed (the last answer may be partial).
int CheckAnswers(std::string_view request, std::string_view answer, bool head, bool cut) {
  std::string_view rest = answer;
  int count = 0;
  while (!rest.empty()) {
    const size_t head_end = rest.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
      if (cut) break;
      Fail("answer without a header end", request, answer);
    }
    std::string_view lines = rest.substr(0, head_end + 2);
    rest.remove_prefix(head_end + 4);
    const size_t status_end = lines.find("\r\n");
    std::string_view status_line = lines.substr(0, status_end);
    lines.remove_prefix(status_end + 2);
    if (status_line.size() < 13 || !status_line.starts_with("HTTP/1.1 ") ||
        status_line[12] != ' ') {
      Fail("malformed status line", request, answer);
    }
    int code = 0;
    for (size_t i = 9; i < 12; ++i) {
      if (status_line[i] < '0' || status_line[i] > '9')
        Fail("malformed status code", request, answer);
      code = code * 10 + (status_line[i] - '0');
    }
    if (code < 100) Fail("malformed status code", request, answer);
    if (code == 500) Fail("internal error (500)", request, answer);
    size_t length = 0;
    bool has_length = false, json = false;
    while (!lines.empty()) {
      const size_t end = lines.find("\r\n");
      std::string_view line = lines.substr(0, end), value;
      lines.remove_prefix(end + 2);
      if (HeaderIs(line, "content-length", &value)) {
        has_length = true;
        for (char c : value) {
          if (c < '0' || c > '9') Fail("malformed Content-Length", request, answer);
          length = length * 10 + static_cast<size_t>(c - '0');
        }
      } else if (HeaderIs(line, "content-type", &value)) {
        json = value.starts_with("application/json");
      }
    }
    ++count;
    if (code < 200 || code == 204 || code == 304) continue;  // no body
    if (!has_length) break;                                  // the body runs to the close
    if (head && (rest.empty() || rest.starts_with("HTTP/1.1 "))) continue;
    if (length > rest.size()) {
      if (cut) break;
      Fail("answer shorter than its Content-Length", request, answer);
    }
    std::string_view body = rest.substr(0, length);
    rest.remove_prefix(length);
    if (json && !body.empty()) {
      simdjson::dom::parser parser;
      simdjson::padded_string padded(body);
      if (parser.parse(padded).error()) Fail("answer is not valid JSON", request, answer);
    }
  }
  return count;
}

// True when raw bytes may ask for a replay: its path after percent-decoding holds
// "/replay" (raw replays are not sent: their "rate" could make them as slow as it says).
bool MayReplay(std::string_view raw) {
  std::string decoded;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() &&
        std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
      decoded.push_back(
          static_cast<char>(std::stoi(std::string(raw.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      decoded.push_back(raw[i]);
    }
  }
  return decoded.find("/replay") != std::string::npos;
}

// True when a replay body asks for a rate below kMinRate (any "rate" key: the server reads
// the first, a duplicate must not hide a slow one).
bool SlowReplay(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::object object;
  if (parser.parse(padded).get(object)) return false;
  for (auto [key, value] : object) {
    double rate = 0;
    if (key == "rate" && !value.get(rate) && rate < kMinRate) return true;
  }
  return false;
}

constexpr const char* kTables[] = {"bronze.orders", "bronze.orders", "raw_events",    "no.such",
                                   "silver.orders", "bronze.orders", "bronze.orders", "x"};
constexpr const char* kViews[] = {
    "gold.by_customer",          "gold.kappa_customer", "gold.per_minute", "silver.orders",
    "silver.orders__quarantine", "gold.no_such",        "bronze.orders",   "gold.kappa_customer"};
constexpr const char* kFormats[] = {"",
                                    "?format=json",
                                    "?format=table",
                                    "?format=csv",
                                    "?format=jsonl",
                                    "?format=xml",
                                    "?format=",
                                    "?format=csv&format=json"};
constexpr const char* kMethods[] = {"GET",  "POST",    "PUT",   "DELETE",
                                    "HEAD", "OPTIONS", "PATCH", "get"};
constexpr const char* kWrongMethod[] = {"GET /v1/query",
                                        "GET /v1/tables/bronze.orders/events",
                                        "POST /healthz",
                                        "POST /v1/views",
                                        "DELETE /v1/status",
                                        "GET /v1/views/gold.kappa_customer/replay",
                                        "PUT /v1/views/gold.by_customer/drift",
                                        "POST /v1/views/gold.kappa_customer/versions"};

enum Route : uint8_t {
  kIngest,
  kQueryText,
  kQueryJson,
  kViewList,
  kVersions,
  kReplay,
  kValidate,
  kCutover,
  kRollback,
  kDrift,
  kStatus,
  kHealthz,
  kAnyPath,
  kWrongMethods,
  kRaw,
  kRaw2,
  kRoutes
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // libFuzzer's timeout check is a periodic SIGALRM whose handler interrupts system calls:
  // in the server's accept loop an EINTR ends httplib's listen (the server stops), in the
  // client a connect or recv fails. One thread takes the signal; every other thread (this
  // one and those started from here on) blocks it. strata server does the same for SIGINT
  // and SIGTERM (api/signals.h).
  std::thread([] {
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &alarm, nullptr);
    while (true)
      pause();
  }).detach();
  sigset_t alarm;
  sigemptyset(&alarm);
  sigaddset(&alarm, SIGALRM);
  pthread_sigmask(SIG_BLOCK, &alarm, nullptr);
  harness = new Harness();
  std::atexit([] {
    delete harness;
    harness = nullptr;
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto route = static_cast<Route>(data[0] % kRoutes);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (route == kRaw || route == kRaw2) {
    if (MayReplay(input)) return 0;
    bool sent_all = false;
    std::string answer = Exchange(input, Ending::kIdle, false, &sent_all);
    CheckAnswers(input, answer, input.find("HEAD") != std::string_view::npos, /*cut=*/true);
    harness->Account(input.size(), false);
    harness->CatchUp();
    return 0;
  }
  const uint8_t variant = input.empty() ? 0 : static_cast<uint8_t>(input[0]);
  std::string_view body = input.empty() ? input : input.substr(1);
  const int choice = variant & 7;
  const bool chunked = variant & 8, request_id = variant & 16, short_body = variant & 32;
  if ((variant >> 6) == 2) {
    (void)harness->engine()->RunBatch();
    (void)harness->engine()->PublishStreaming();
  }
  if ((variant >> 6) == 3) (void)harness->engine()->Checkpoint();

  std::string head;  // "METHOD PATH"
  std::string content_type = "text/plain";
  const std::string view = std::string("/v1/views/") + kViews[choice];
  switch (route) {
    case kIngest:
      head = std::string("POST /v1/tables/") + kTables[choice] + "/events";
      content_type = "application/x-ndjson";
      break;
    case kQueryText:
      head = std::string("POST /v1/query") + kFormats[choice];
      break;
    case kQueryJson:
      head = std::string("POST /v1/query") + kFormats[choice];
      content_type = "application/json";
      break;
    case kViewList:
      head = "GET /v1/views";
      break;
    case kVersions:
      head = "GET " + view + "/versions";
      break;
    case kReplay:
      if (SlowReplay(body)) return 0;
      head = "POST " + view + "/replay";
      content_type = "application/json";
      break;
    case kValidate:
      head = "POST " + view + "/validate";
      content_type = "application/json";
      break;
    case kCutover:
      head = "POST " + view + "/cutover";
      content_type = "application/json";
      break;
    case kRollback:
      head = "POST " + view + "/rollback";
      break;
    case kDrift:
      head = "GET " + view + "/drift";
      break;
    case kStatus:
      head = "GET /v1/status";
      break;
    case kHealthz:
      head = "GET /healthz";
      break;
    case kAnyPath: {  // the body's first line is the path (and query), the rest the body
      const size_t nl = body.find('\n');
      std::string_view path = body.substr(0, nl);
      body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
      if (MayReplay(path) && SlowReplay(body)) return 0;
      head = std::string(kMethods[choice]) + " /" + std::string(path);
      break;
    }
    case kWrongMethods:
      head = kWrongMethod[choice];
      break;
    default:
      return 0;
  }
  // httplib reads a body only for these methods. Another request's unread body makes the
  // server's close a reset, which may destroy its answer in flight: no body for the routes
  // that ignore it, and a lenient check when the method comes from the input.
  bool reads_body = false;
  for (const char* m : {"POST ", "PUT ", "PATCH ", "DELETE "})
    reads_body = reads_body || head.starts_with(m);
  bool lenient = route == kAnyPath;
  if (!reads_body) {
    lenient = lenient || !body.empty();
    if (route != kAnyPath && route != kWrongMethods) body = {};
  }
  std::string request = head + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  request += "Content-Type: " + content_type + "\r\n";
  if (request_id) request += "X-Request-Id: fuzz-" + std::to_string(size) + "\r\n";
  if (chunked) {
    request += "Transfer-Encoding: chunked\r\n\r\n";
    // Two chunks (when there is a body), so that a body arrives in pieces.
    const size_t half = body.size() / 2;
    for (std::string_view piece : {body.substr(0, half), body.substr(half)}) {
      if (piece.empty()) continue;
      char size_line[32];
      std::snprintf(size_line, sizeof(size_line), "%zx\r\n", piece.size());
      request += size_line;
      request.append(piece);
      request += "\r\n";
    }
    if (!short_body) request += "0\r\n\r\n";
  } else {
    request += "Content-Length: " + std::to_string(body.size() + (short_body ? 1 : 0)) + "\r\n\r\n";
    request.append(body);
  }
  bool sent_all = false;
  std::string answer = Exchange(request, short_body ? Ending::kHalfClose : Ending::kAnswer,
                                head.starts_with("HEAD "), &sent_all);
  const int answers = CheckAnswers(request, answer, head.starts_with("HEAD "), lenient);
  // httplib closes without an answer only on a request it cannot read; these are
  // well-formed except for an incomplete body or a method/path taken from the input.
  if (answers == 0 && sent_all && !short_body && !lenient) {
    Fail("no answer to a well-formed request", request, answer);
  }
  harness->Account(route == kIngest ? body.size() : 0, route == kReplay);
  harness->CatchUp();
  return 0;
}
