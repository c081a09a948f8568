#include "api/http_server.h"

#include <httplib.h>

#include <atomic>
#include <charconv>

#include "api/ingest.h"
#include "common/json_writer.h"

namespace strata::api {
namespace {

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
  server_->Post(R"(/v1/tables/([A-Za-z0-9_.]+)/events)", [this](const httplib::Request& req,
                                                                httplib::Response& res) {
    const std::string name = req.matches[1];
    auto table = store_->GetTable(name);
    if (!table.ok()) return JsonError(res, 404, table.status().message());
    // Each line's source position is "<request id>:<line>"; a client may name its request.
    std::string request_id = req.get_header_value("X-Request-Id");
    if (request_id.empty()) {
      request_id = std::to_string(NowMicros()) + "-" + std::to_string(request_seq.fetch_add(1));
    }
    auto result = IngestBody(*table, req.body, "http", request_id + ":");
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
  server_->listen_after_bind();
}

void HttpServer::Stop() {
  if (server_) server_->stop();
}

}  // namespace strata::api
