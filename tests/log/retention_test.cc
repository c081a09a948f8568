// Retention by size and age removes whole sealed segments, oldest first, never the active
// one and never anything the pin hook still needs.
#include <gtest/gtest.h>

#include "testing/log_util.h"
#include "testing/temp_dir.h"

namespace strata::log {
namespace {

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    store_ = std::move(Store::Open(dir_.path(), StoreOptions{})).value();
    auto t = store_->GetTable("t");
    if (t.ok()) {
      table_ = *t;
      return;
    }
    TableConfig c;
    c.partitions = 1;
    c.segment_bytes = 2048;
    table_ = *store_->CreateTable("t", c);
  }
  void Fill(int n) {
    for (int i = 0; i < n; ++i) {
      AppendAck ack;
      ASSERT_TRUE(testing::AppendPayloads(table_, {std::string(200, 'r')}, "k", &ack).ok());
    }
  }
  const Partition& part() { return table_->partition(0); }

  ::strata::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  Table* table_ = nullptr;
};

TEST_F(RetentionTest, BySizeKeepsTheNewestAndNeverTheActiveSegment) {
  Fill(100);
  PartitionStats before = part().Stats();
  ASSERT_GT(before.segments, 5u);
  RetentionPolicy policy;
  policy.max_bytes = 5000;
  auto removed = store_->ApplyRetention(policy, NowMicros());
  ASSERT_TRUE(removed.ok());
  PartitionStats after = part().Stats();
  EXPECT_EQ(after.segments + *removed, before.segments);
  EXPECT_LE(after.bytes, 5000u + 2048 + 300);
  EXPECT_GT(after.start_offset, 0u);
  EXPECT_EQ(after.end_offset, 100u);
  // Everything from the new start is readable; below it is out of range, with a reason.
  auto rest = testing::ReadPartition(part(), after.start_offset);
  EXPECT_EQ(rest.size(), 100 - after.start_offset);
  Status s;
  testing::ReadPartition(part(), 0, &s);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("removed by retention"), std::string::npos);
  // Even a zero budget keeps the active segment.
  policy.max_bytes = 1;
  ASSERT_TRUE(store_->ApplyRetention(policy, NowMicros()).ok());
  EXPECT_EQ(part().Stats().segments, 1u);
  // The new start survives a restart.
  uint64_t start = part().start_offset();
  store_.reset();
  Open();
  EXPECT_EQ(part().start_offset(), start);
  EXPECT_TRUE(store_->recovery_report().empty());
}

TEST_F(RetentionTest, ByAge) {
  Fill(60);
  RetentionPolicy policy;
  policy.max_age = 3'600'000'000;  // an hour: nothing is that old
  EXPECT_EQ(*store_->ApplyRetention(policy, NowMicros()), 0u);
  // Two hours later every sealed segment is too old.
  uint32_t segments = part().Stats().segments;
  EXPECT_EQ(*store_->ApplyRetention(policy, NowMicros() + 7'200'000'000), segments - 1);
}

TEST_F(RetentionTest, PinnedOffsetsAreKept) {
  Fill(100);
  store_->SetRetentionPin([](const std::string& table, uint32_t partition) -> uint64_t {
    return table == "t" && partition == 0 ? 30 : UINT64_MAX;
  });
  RetentionPolicy policy;
  policy.max_bytes = 1;
  ASSERT_TRUE(store_->ApplyRetention(policy, NowMicros()).ok());
  EXPECT_LE(part().start_offset(), 30u);
  auto from_pin = testing::ReadPartition(part(), 30);
  EXPECT_EQ(from_pin.size(), 70u);
}

TEST_F(RetentionTest, OrphanIndexFromAnInterruptedRemovalIsCleanedUp) {
  Fill(50);
  std::string dir = dir_.path() + "/tables/t/p-0";
  auto names = *FileSystem::Default()->ListDir(dir);
  // Simulate a crash between removing a segment's .log and its .index.
  ASSERT_TRUE(FileSystem::Default()->Remove(dir + "/" + names[0]).ok());  // the first .index
  ASSERT_TRUE(names[0].ends_with(".index"));
  std::string log_name = names[0].substr(0, 20) + ".log";
  store_.reset();
  ASSERT_TRUE(FileSystem::Default()->Remove(dir + "/" + log_name).ok());
  ASSERT_TRUE(FileSystem::Default()->WriteFileAtomic(dir + "/" + names[0], "stale").ok());
  Open();
  EXPECT_FALSE(FileSystem::Default()->Exists(dir + "/" + names[0]));
  EXPECT_GT(part().start_offset(), 0u);
  EXPECT_EQ(testing::ReadPartition(part(), part().start_offset()).size(),
            50 - part().start_offset());
}

TEST(AutomaticRetentionTest, TablePolicyRunsWhenSegmentsRollAndHonoursThePin) {
  ::strata::testing::TempDir dir;
  auto store = std::move(Store::Open(dir.path(), StoreOptions{})).value();
  TableConfig c;
  c.partitions = 2;
  c.segment_bytes = 2048;
  c.retention.max_bytes = 6000;
  Table* t = *store->CreateTable("t", c);
  store->SetRetentionPin([](const std::string&, uint32_t p) -> uint64_t {
    return p == 1 ? 10 : UINT64_MAX;  // something still needs partition 1 from offset 10
  });
  const std::string payload(150, 'x');
  for (int i = 0; i < 200; ++i) {
    std::vector<AppendRecord> records(2);
    records[0].payload = records[1].payload = payload;
    records[1].partition = 1;
    AppendAck ack;
    ASSERT_TRUE(t->Append(records, &ack).ok());
  }
  EXPECT_TRUE(t->last_retention_status().ok());
  PartitionStats p0 = t->partition(0).Stats(), p1 = t->partition(1).Stats();
  EXPECT_GT(p0.start_offset, 0u);           // removed without being asked
  EXPECT_LE(p0.bytes, 6000u + 2048 + 400);  // about the budget: at most one extra segment
  EXPECT_EQ(p0.end_offset, 200u);
  EXPECT_GT(p1.start_offset, 0u);
  EXPECT_LE(p1.start_offset, 10u);  // the pin held
  // The policy is part of the table and survives a reopen.
  store.reset();
  store = std::move(Store::Open(dir.path(), StoreOptions{})).value();
  EXPECT_EQ((*store->GetTable("t"))->config().retention.max_bytes, 6000u);
}

}  // namespace
}  // namespace strata::log
