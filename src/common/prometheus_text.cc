#include "common/prometheus_text.h"

#include <charconv>
#include <cmath>

namespace strata {
namespace {

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];  // DBL_MAX has 309 digits before the point
  // The shortest digits that read back exactly, never in exponent form (le="0.0005").
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, ec == std::errc() ? end : buf);
}

}  // namespace

void PrometheusText::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  for (char c : help) {  // HELP escapes \ and newline only
    if (c == '\\') {
      out_ += "\\\\";
    } else if (c == '\n') {
      out_ += "\\n";
    } else {
      out_ += c;
    }
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::Start(std::string_view name, const MetricLabels& labels) {
  out_ += name;
  if (labels.empty()) return;
  out_ += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out_ += ',';
    out_ += labels[i].first;
    out_ += "=\"";
    for (char c : labels[i].second) {
      if (c == '\\' || c == '"') {
        out_ += '\\';
        out_ += c;
      } else if (c == '\n') {
        out_ += "\\n";
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }
  out_ += '}';
}

void PrometheusText::Sample(std::string_view name, const MetricLabels& labels, double value) {
  Start(name, labels);
  out_ += ' ' + Number(value) + '\n';
}

void PrometheusText::Sample(std::string_view name, const MetricLabels& labels, uint64_t value) {
  Start(name, labels);
  out_ += ' ' + std::to_string(value) + '\n';
}

void PrometheusText::Histogram(std::string_view name, const MetricLabels& labels,
                               const std::vector<double>& bounds,
                               const std::vector<uint64_t>& counts, double sum) {
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    MetricLabels with = labels;
    with.emplace_back("le", i < bounds.size() ? Number(bounds[i]) : "+Inf");
    Sample(bucket, with, cumulative);
  }
  Sample(std::string(name) + "_sum", labels, sum);
  Sample(std::string(name) + "_count", labels, cumulative);
}

}  // namespace strata
