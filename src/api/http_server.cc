#include "api/http_server.h"

#include <httplib.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <thread>

#include "api/ingest.h"
#include "common/json_writer.h"

namespace strata::api {
namespace {

constexpr size_t kDrainBytes = 1u << 20;

void JsonError(httplib::Response& res, int code, std::string_view message) {
  res.status = code;
  res.set_content(JsonObject().Add("error", message).Finish() + "\n", "application/json");
}

std::string FirstOffsetsJson(const log::AppendAck& ack) {
  JsonObject o;
  for (size_t p = 0; p < ack.first_offsets.size(); ++p) {
    if (ack.first_offsets[p] >= 0) o.Add(std::to_string(p), ack.first_offsets[p]);
  }
  return o.Finish();
}

}  // namespace

Status ParseListenAddress(std::string_view text, ServerOptions* options) {
  size_t colon = text.rfind(':');
  int port = -1;
  if (colon != std::string_view::npos) {
    auto [p, ec] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), port);
    if (ec != std::errc() || p != text.data() + text.size()) port = -1;
  }
  if (colon == std::string_view::npos || colon == 0 || port < 0 || port > 65535) {
    return Status::InvalidArgument("--listen expects HOST:PORT, got '" + std::string(text) + "'");
  }
  options->host = std::string(text.substr(0, colon));
  options->port = port;
  return Status::OK();
}

HttpServer::HttpServer(log::Store* store, ServerOptions options)
    : store_(store), options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {
  server_->set_payload_max_length(options_.max_body_bytes);
  Routes();
}

HttpServer::~HttpServer() {
  Stop();
}

void HttpServer::Routes() {
  static std::atomic<uint64_t> request_seq{0};
  // The body is read through a content reader so that the limit holds for chunked bodies
  // too (httplib enforces its own limit on Content-Length only).
  server_->Post(
      R"(/v1/tables/([A-Za-z0-9_.]+)/events)",
      [this](const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader& read_body) {
        std::string body;
        bool too_large = false;
        // Past the limit the rest is read and dropped (up to kDrainBytes more), so that the
        // client, still sending, gets the 413 instead of a broken connection.
        size_t dropped = 0;
        bool complete = read_body([&](const char* data, size_t n) {
          too_large = too_large || body.size() + n > options_.max_body_bytes;
          if (!too_large) {
            body.append(data, n);
            return true;
          }
          body.clear();
          dropped += n;
          return dropped <= kDrainBytes;
        });
        if (too_large || res.status == 413) {  // httplib sets 413 for a Content-Length over it
          res.set_header("Connection", "close");
          return JsonError(
              res, 413,
              "request body larger than " + std::to_string(options_.max_body_bytes) + " bytes");
        }
        if (!complete) {
          res.set_header("Connection", "close");
          return JsonError(res, 400, "incomplete request body");
        }
        const std::string name = req.matches[1];
        auto table = store_->GetTable(name);
        if (!table.ok()) return JsonError(res, 404, table.status().message());
        // Each line's source position is "<request id>:<line>"; a client may name its request.
        std::string request_id = req.get_header_value("X-Request-Id");
        if (request_id.empty()) {
          request_id = std::to_string(NowMicros()) + "-" + std::to_string(request_seq.fetch_add(1));
        }
        auto result = IngestBody(*table, body, "http", request_id + ":");
        if (!result.ok()) {
          if (result.status().IsBusy()) {
            res.set_header("Retry-After", "1");
            return JsonError(res, 503, result.status().message());
          }
          return JsonError(res, 500, result.status().ToString());
        }
        const IngestSummary& s = result->summary;
        res.set_content(JsonObject()
                                .Add("acked", s.acked)
                                .Add("malformed", s.malformed)
                                .Add("missing_key", s.missing_key)
                                .AddRaw("first_offsets", FirstOffsetsJson(result->ack))
                                .Finish() +
                            "\n",
                        "application/json");
      });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\": \"ok\"}\n", "application/json");
  });
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const char* message = res.status == 413   ? "request body too large"
                          : res.status == 404 ? "no such endpoint"
                                              : "request failed";
    JsonError(res, res.status, message);
  });
}

Status HttpServer::Bind() {
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
  } else {
    port_ = server_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ < 0) {
    return Status::IOError("cannot listen on " + options_.host + ":" +
                           std::to_string(options_.port) + " (address in use or not local?)");
  }
  return Status::OK();
}

void HttpServer::Run() {
  running_ = true;
  if (!stop_requested_) server_->listen_after_bind();
  running_ = false;
}

void HttpServer::Stop() {
  // httplib ignores stop() until it listens: remember the request for a Run that has not
  // started, and wait for one that is entering its loop.
  stop_requested_ = true;
  for (int i = 0; i < 5000 && running_ && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->stop();
}

}  // namespace strata::api
