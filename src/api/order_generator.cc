#include "api/order_generator.h"

#include <cstdio>

namespace strata::api {
namespace {
const char* const kStatuses[] = {"created",   "paid",    "completed",
                                 "completed", "shipped", "cancelled"};
}  // namespace

OrderGenerator::OrderGenerator(const OrderGeneratorOptions& options)
    : options_(options), rng_(options.seed), ts_(options.start_ts) {}

void OrderGenerator::Next(std::string* out) {
  std::uniform_real_distribution<double> unit(0, 1);
  uint64_t customer = rng_() % options_.customers;
  uint64_t cents = 100 + rng_() % 50000;
  const char* status = kStatuses[rng_() % std::size(kStatuses)];
  ts_ += static_cast<Micros>(rng_() % 2000);  // about 1000 orders a second of event time
  std::string ts = FormatTimestamp(ts_);
  char line[320];
  int n = std::snprintf(
      line, sizeof(line),
      "{\"order_id\":\"o-%010llu\",\"customer_id\":\"c-%06llu\",\"amount\":%llu.%02llu,"
      "\"status\":\"%s\",\"email\":\"customer%llu@example.com\",\"event_ts\":\"%s\"}",
      static_cast<unsigned long long>(next_id_++), static_cast<unsigned long long>(customer),
      static_cast<unsigned long long>(cents / 100), static_cast<unsigned long long>(cents % 100),
      status, static_cast<unsigned long long>(customer), ts.c_str());
  std::string_view text(line, static_cast<size_t>(n));
  if (unit(rng_) < options_.missing_key_ratio) {
    text.remove_prefix(text.find("\"customer_id\""));
    out->push_back('{');
  } else if (unit(rng_) < options_.malformed_ratio) {
    text = text.substr(0, text.size() / 2);
  }
  out->append(text);
  out->push_back('\n');
}

}  // namespace strata::api
