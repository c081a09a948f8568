// The HTTP/JSON API on loopback.
//
//   POST /v1/tables/{table}/events   body: JSON lines. 200 {"acked", "malformed",
//                                    "missing_key", "first_offsets": {"<partition>": offset}}
//                                    only after every record is durable; 404 unknown table;
//                                    413 body over the limit; 503 + Retry-After when the
//                                    table's append queue is full (backpressure).
//   GET  /healthz                    200 {"status": "ok"}
//
// Errors are JSON objects {"error": "..."}. Memory is bounded: bodies are capped at
// max_body_bytes, requests are served by a fixed pool of threads, and appends beyond the
// table's queue bound are refused rather than buffered.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/status.h"
#include "log/store.h"

namespace httplib {
class Server;
}

namespace strata::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 7878;  // 0 = any free port (see HttpServer::port)
  size_t max_body_bytes = 16u << 20;
};

// Parses "host:port" (e.g. "127.0.0.1:7878") into options.
Status ParseListenAddress(std::string_view text, ServerOptions* options);

class HttpServer {
 public:
  HttpServer(log::Store* store, ServerOptions options);
  ~HttpServer();

  // Binds the listening socket; fails with a clear message if the address is taken.
  Status Bind();
  // Serves until Stop(). Call after Bind().
  void Run();
  // Stops Run() (from any thread; idempotent).
  void Stop();
  // The bound port (useful with port 0).
  int port() const { return port_; }

 private:
  void Routes();

  log::Store* store_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};
};

}  // namespace strata::api
