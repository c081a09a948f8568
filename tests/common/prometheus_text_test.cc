// The Prometheus text writer (common/prometheus_text.h): exact bytes for families, label
// escaping, numbers, and a histogram's cumulative buckets.
#include "common/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace strata {
namespace {

TEST(PrometheusTextTest, FamiliesSamplesAndEscaping) {
  PrometheusText out;
  out.Family("strata_x_total", "counter", "Back\\slash and\nnewline");
  out.Sample("strata_x_total", {{"table", "a\"b\\c\nd"}, {"p", "0"}},
             uint64_t{18446744073709551615u});
  out.Sample("strata_x_total", {}, 0.25);
  out.Sample("strata_x_total", {}, std::numeric_limits<double>::infinity());
  out.Sample("strata_x_total", {}, std::nan(""));
  EXPECT_EQ(out.text(),
            "# HELP strata_x_total Back\\\\slash and\\nnewline\n"
            "# TYPE strata_x_total counter\n"
            "strata_x_total{table=\"a\\\"b\\\\c\\nd\",p=\"0\"} 18446744073709551615\n"
            "strata_x_total 0.25\n"
            "strata_x_total +Inf\n"
            "strata_x_total NaN\n");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulative) {
  PrometheusText out;
  out.Histogram("h", {{"k", "v"}}, {0.005, 1}, {2, 3, 1}, 4.5);
  EXPECT_EQ(out.text(),
            "h_bucket{k=\"v\",le=\"0.005\"} 2\n"
            "h_bucket{k=\"v\",le=\"1\"} 5\n"
            "h_bucket{k=\"v\",le=\"+Inf\"} 6\n"
            "h_sum{k=\"v\"} 4.5\n"
            "h_count{k=\"v\"} 6\n");
}

}  // namespace
}  // namespace strata
