#include "api/order_generator.h"

#include <cstdio>

namespace strata::api {
namespace {
const char* const kStatuses[] = {"created",   "paid",    "completed",
                                 "completed", "shipped", "cancelled"};
}  // namespace

OrderGeneratorOptions DemoOrderMix(uint64_t seed) {
  OrderGeneratorOptions o;
  o.seed = seed;
  o.duplicate_ratio = 0.02;
  o.update_ratio = 0.15;
  o.cancel_ratio = 0.03;
  o.invalid_ratio = 0.01;
  o.late_ratio = 0.05;
  o.malformed_ratio = 0.002;
  o.missing_key_ratio = 0.001;
  return o;
}

OrderGenerator::OrderGenerator(const OrderGeneratorOptions& options)
    : options_(options), rng_(options.seed), ts_(options.start_ts) {}

void OrderGenerator::Emit(const Order& o, const char* status, Micros ts, bool invalid,
                          std::string* out) {
  std::uniform_real_distribution<double> unit(0, 1);
  std::string time = FormatTimestamp(ts);
  char customer[32] = "null";
  bool no_customer = invalid && rng_() % 2 == 0;
  if (!no_customer) {
    std::snprintf(customer, sizeof(customer), "\"c-%06llu\"",
                  static_cast<unsigned long long>(o.customer));
  }
  const char* sign = invalid && !no_customer ? "-" : "";
  char line[320];
  int n =
      std::snprintf(line, sizeof(line),
                    "{\"order_id\":\"o-%010llu\",\"customer_id\":%s,\"amount\":%s%llu.%02llu,"
                    "\"status\":\"%s\",\"email\":\"customer%llu@example.com\",\"event_ts\":\"%s\"}",
                    static_cast<unsigned long long>(o.id), customer, sign,
                    static_cast<unsigned long long>(o.cents / 100),
                    static_cast<unsigned long long>(o.cents % 100), status,
                    static_cast<unsigned long long>(o.customer), time.c_str());
  std::string_view text(line, static_cast<size_t>(n));
  const size_t start = out->size();
  if (unit(rng_) < options_.missing_key_ratio) {
    text.remove_prefix(text.find("\"customer_id\""));
    out->push_back('{');
  } else if (unit(rng_) < options_.malformed_ratio) {
    text = text.substr(0, text.size() / 2);
  }
  out->append(text);
  out->push_back('\n');
  last_.assign(*out, start, std::string::npos);
}

void OrderGenerator::Next(std::string* out) {
  std::uniform_real_distribution<double> unit(0, 1);
  ts_ += static_cast<Micros>(rng_() % 2000);  // about 1000 orders a second of event time
  if (!last_.empty() && unit(rng_) < options_.duplicate_ratio) {
    out->append(last_);
    return;
  }
  if (!recent_.empty() && unit(rng_) < options_.update_ratio + options_.cancel_ratio) {
    const Order& o = recent_[rng_() % recent_.size()];
    bool cancel =
        unit(rng_) * (options_.update_ratio + options_.cancel_ratio) < options_.cancel_ratio;
    static const char* const kUpdates[] = {"paid", "shipped", "completed"};
    Emit(o, cancel ? "cancelled" : kUpdates[rng_() % 3], ts_, false, out);
    return;
  }
  Order o{next_id_++, rng_() % options_.customers, 100 + rng_() % 50000};
  const char* status = kStatuses[rng_() % std::size(kStatuses)];
  Micros ts = ts_;
  if (unit(rng_) < options_.late_ratio) ts -= static_cast<Micros>(rng_() % 10'000'000);
  bool invalid = unit(rng_) < options_.invalid_ratio;
  Emit(o, status, ts, invalid, out);
  if (options_.update_ratio + options_.cancel_ratio > 0) {
    if (recent_.size() < 4096) {
      recent_.push_back(o);
    } else {
      recent_[o.id % 4096] = o;
    }
  }
}

}  // namespace strata::api
