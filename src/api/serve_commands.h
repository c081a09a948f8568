// `strata server` (the HTTP API; with a pipeline, also the continuously running pipeline:
// streaming, scheduled batch runs, version publishing) and `strata demo`, the main job:
// the server on 127.0.0.1 with an embedded data directory and examples/orders.sql, a
// generator of realistic order events posting to it, a Kappa replay → validate → cutover,
// and a live terminal summary.
#pragma once

#include <cstddef>
#include <string>

namespace strata::api {

struct ServerArgs {
  std::string data, pipeline, batch_every;
  std::string checkpoint_every = "10s";
  uint64_t checkpoint_records = 1000000;
  std::string listen = "127.0.0.1:7878";
  size_t max_body = 16u << 20;
};

struct DemoArgs {
  std::string data;  // default: a fresh temporary directory, removed at the end
  std::string listen = "127.0.0.1:7878";
  double duration = 0;  // seconds; 0: until Ctrl-C
  double rate = 20000;  // events per second (bursts go 3x higher)
  std::string batch_every = "10s";
  bool keep = false;
};

int RunServer(const ServerArgs& args);
int RunDemo(const DemoArgs& args, const std::string& self);

}  // namespace strata::api
