// Prometheus' text exposition format (version 0.0.4): families with # HELP and # TYPE, then
// their samples, label values escaped (\\, \", \n). What GET /metrics answers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
 public:
  // Starts family `name` ("counter", "gauge" or "histogram"); its samples follow.
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const MetricLabels& labels, double value);
  void Sample(std::string_view name, const MetricLabels& labels, uint64_t value);
  // A histogram's samples: `counts[i]` observations fell in bucket i (above bounds[i - 1], at
  // or below bounds[i]; the one count past the bounds is above them all), written as the
  // format's cumulative _bucket{le} samples, then _sum and _count.
  void Histogram(std::string_view name, const MetricLabels& labels,
                 const std::vector<double>& bounds, const std::vector<uint64_t>& counts,
                 double sum);
  const std::string& text() const { return out_; }

 private:
  void Start(std::string_view name, const MetricLabels& labels);
  std::string out_;
};

}  // namespace strata
