// WatermarkTracker: a record's watermark at arrival is the partition's greatest earlier event
// time minus the delay (none before the first, NULL times and older times do not move it);
// the table's watermark waits for every partition, and readers' view skips idle partitions;
// the state round-trips.
#include "exec/watermark.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace strata::exec {
namespace {

constexpr Micros kS = 1'000'000;

Column Times(const std::vector<std::optional<Micros>>& times) {
  Column c(Type::Timestamp());
  for (const auto& t : times)
    t ? c.AppendInt64(*t) : c.AppendNull();
  return c;
}

TEST(WatermarkTrackerTest, AtArrivalTrailsTheGreatestEarlierTimeByTheDelay) {
  WatermarkTracker w(2, 5 * kS, 60 * kS);
  std::vector<Micros> at;
  w.Push(0, Times({100 * kS, std::nullopt, 90 * kS, 120 * kS, 110 * kS}), 0, &at);
  EXPECT_EQ(at, (std::vector<Micros>{kNoTime, 95 * kS, 95 * kS, 95 * kS, 115 * kS}));
  // The next push continues from the partition's greatest time; the other partition is apart.
  w.Push(0, Times({1 * kS}), 0, &at);
  EXPECT_EQ(at, (std::vector<Micros>{115 * kS}));
  w.Push(1, Times({std::nullopt, 7 * kS}), 0, &at);
  EXPECT_EQ(at, (std::vector<Micros>{kNoTime, kNoTime}));
  // A delay larger than the time since the epoch's start does not wrap around.
  WatermarkTracker far(1, 5 * kS, 60 * kS);
  far.Push(0, Times({kNoTime + 1, 0}), 0, &at);
  EXPECT_EQ(at[1], kNoTime);
}

TEST(WatermarkTrackerTest, TheTablesWatermarkWaitsForEveryPartitionAndSkipsIdleOnes) {
  const Micros now = 1000 * kS;
  WatermarkTracker w(3, 5 * kS, 60 * kS);
  std::vector<Micros> at;
  w.Push(0, Times({100 * kS}), now, &at);
  w.Push(1, Times({50 * kS}), now, &at);
  EXPECT_EQ(w.Watermark(), std::nullopt);  // partition 2 has no time yet
  WatermarkView view = w.View(now);
  EXPECT_EQ(view.partitions, (std::vector<std::optional<Micros>>{95 * kS, 45 * kS, std::nullopt}));
  EXPECT_EQ(view.watermark, std::nullopt);  // an active partition without a time holds it
  w.Push(2, Times({70 * kS}), now, &at);
  EXPECT_EQ(w.Watermark(), 45 * kS);
  EXPECT_EQ(w.View(now).watermark, 45 * kS);
  // Partition 1 goes quiet: readers' watermark moves past it; the input's does not.
  w.Push(0, Times({200 * kS}), now + 100 * kS, &at);
  w.Push(2, Times({150 * kS}), now + 100 * kS, &at);
  view = w.View(now + 100 * kS);
  EXPECT_EQ(view.idle, (std::vector<bool>{false, true, false}));
  EXPECT_EQ(view.watermark, 145 * kS);
  EXPECT_EQ(w.Watermark(), 45 * kS);
  // Every partition idle: the minimum over all of them.
  EXPECT_EQ(w.View(now + 1000 * kS).watermark, 45 * kS);
}

TEST(WatermarkTrackerTest, StateRoundTripsAndTruncationIsRefused) {
  WatermarkTracker w(2, 1 * kS, 60 * kS);
  std::vector<Micros> at;
  w.Push(1, Times({-30 * kS, 40 * kS}), 0, &at);
  std::string state;
  w.Save(&state);
  WatermarkTracker back(2, 1 * kS, 60 * kS);
  Decoder d(state);
  ASSERT_TRUE(back.Load(&d));
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(back.View(0).partitions, w.View(0).partitions);
  back.Push(1, Times({0}), 0, &at);
  EXPECT_EQ(at, (std::vector<Micros>{39 * kS}));
  WatermarkTracker cut(2, 1 * kS, 60 * kS);
  Decoder short_state(std::string_view(state).substr(0, state.size() - 1));
  EXPECT_FALSE(cut.Load(&short_state));
}

}  // namespace
}  // namespace strata::exec
