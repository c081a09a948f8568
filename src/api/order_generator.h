// A deterministic generator of realistic order events as JSON lines (about 150 bytes each),
// for the demo, the tests and the benchmarks. The same seed gives the same lines.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "common/clock.h"

namespace strata::api {

struct OrderGeneratorOptions {
  uint64_t seed = 42;
  uint32_t customers = 5000;
  double malformed_ratio = 0;               // lines cut short: not valid JSON
  double missing_key_ratio = 0;             // lines without "order_id"
  Micros start_ts = 1'795'000'000'000'000;  // event time of the first order
};

class OrderGenerator {
 public:
  explicit OrderGenerator(const OrderGeneratorOptions& options);
  // Appends one line, with its trailing '\n', to *out.
  void Next(std::string* out);

 private:
  OrderGeneratorOptions options_;
  std::mt19937_64 rng_;
  uint64_t next_id_ = 1;
  Micros ts_;
};

}  // namespace strata::api
