// A deterministic generator of realistic order events as JSON lines (about 150 bytes each),
// for the demo, the tests and the benchmarks. The same seed gives the same lines.
//
// Besides new orders it can emit, each with its own probability: an exact duplicate of
// the previous line (a client retry), a status update of a recent order with a later
// event time (the upsert keeps the latest), a cancellation (the order leaves the views
// that exclude cancelled orders: the json bronze format has no deletes, a cancellation
// is how this source retracts an order), an invalid order (negative amount or no
// customer: quarantined by silver's contract), and an order whose event time is up to ten
// seconds in the past (out of order).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"

namespace strata::api {

struct OrderGeneratorOptions {
  uint64_t seed = 42;
  uint32_t customers = 5000;
  double malformed_ratio = 0;               // lines cut short: not valid JSON
  double missing_key_ratio = 0;             // lines without "order_id"
  double duplicate_ratio = 0;               // the previous line again, byte for byte
  double update_ratio = 0;                  // a new status for a recent order
  double cancel_ratio = 0;                  // a recent order cancelled
  double invalid_ratio = 0;                 // amount <= 0 or customer_id null
  double late_ratio = 0;                    // event time up to 10 s in the past
  Micros start_ts = 1'795'000'000'000'000;  // event time of the first order
};

// The demo's mix: 2 % duplicates, 15 % updates, 3 % cancellations, 1 % invalid, 5 % late,
// 0.2 % malformed lines and 0.1 % without a key (the demo and the serving benchmark).
OrderGeneratorOptions DemoOrderMix(uint64_t seed);

class OrderGenerator {
 public:
  explicit OrderGenerator(const OrderGeneratorOptions& options);
  // Appends one line, with its trailing '\n', to *out.
  void Next(std::string* out);

 private:
  struct Order {
    uint64_t id, customer, cents;
  };
  void Emit(const Order& o, const char* status, Micros ts, bool invalid, std::string* out);

  OrderGeneratorOptions options_;
  std::mt19937_64 rng_;
  uint64_t next_id_ = 1;
  Micros ts_;
  std::vector<Order> recent_;  // ring of the last orders, for updates
  std::string last_;           // the previous line, for duplicates
};

}  // namespace strata::api
