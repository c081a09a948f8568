// `strata demo`, the main job: `strata server` (api/server.h) on 127.0.0.1 with a data
// directory of its own and examples/orders.sql (compiled in), a generator of realistic order
// events posting to it over HTTP, a Kappa replay → validate → cutover run through the
// serving commands' client (api/client.h), a live terminal summary, and at the end a drift
// check of every gold view against a recompute from bronze.
#pragma once

#include <string>

namespace strata::demo {

struct DemoArgs {
  std::string data;  // default: a fresh temporary directory, removed at the end
  std::string listen = "127.0.0.1:7878";
  double duration = 0;  // seconds; 0: until Ctrl-C
  double rate = 20000;  // events per second (bursts go 3x higher)
  std::string batch_every = "10s";
  bool keep = false;
};

// `self`: how strata was invoked, for the commands the demo suggests. Returns the exit
// status: 1 when a view drifted without explanation or a step failed.
int RunDemo(const DemoArgs& args, const std::string& self);

}  // namespace strata::demo
