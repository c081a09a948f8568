// Partition and reader behaviour through a table: offsets, segments, indexes, time lookups,
// visibility, reopen.
#include <gtest/gtest.h>

#include "testing/log_util.h"
#include "testing/temp_dir.h"

namespace strata::log {
namespace {

using testing::ReadPartition;

class PartitionTest : public ::testing::Test {
 protected:
  void Open() {
    auto store = Store::Open(dir_.path(), StoreOptions{});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto t = store_->GetTable("t");
    if (t.ok()) {
      table_ = *t;
      return;
    }
    TableConfig config;
    config.partitions = 1;
    config.segment_bytes = 4096;  // many small segments
    config.index_interval_bytes = 512;
    auto created = store_->CreateTable("t", config);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    table_ = *created;
  }

  // Appends `n` records in groups of `per_append`, payload "r<i>".
  void AppendN(int n, int per_append = 7) {
    std::vector<std::string> payloads;
    for (int i = 0; i < n; ++i) {
      payloads.push_back("r" + std::to_string(next_++) + std::string(40, '.'));
      if (static_cast<int>(payloads.size()) == per_append || i + 1 == n) {
        AppendAck ack;
        ASSERT_TRUE(testing::AppendPayloads(table_, payloads, "k", &ack).ok());
        payloads.clear();
      }
    }
  }

  ::strata::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  Table* table_ = nullptr;
  int next_ = 0;
};

TEST_F(PartitionTest, OffsetsAreDenseAndReadsStartAnywhere) {
  Open();
  AppendN(1000);
  const Partition& p = table_->partition(0);
  EXPECT_EQ(p.start_offset(), 0u);
  EXPECT_EQ(p.end_offset(), 1000u);
  EXPECT_GT(p.Stats().segments, 5u);  // rolled many times
  auto all = ReadPartition(p);
  ASSERT_EQ(all.size(), 1000u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].offset, i);
    EXPECT_EQ(all[i].payload.substr(0, all[i].payload.find('.')), "r" + std::to_string(i));
  }
  for (uint64_t from : {0u, 1u, 6u, 7u, 333u, 998u, 999u, 1000u, 5000u}) {
    auto part = ReadPartition(p, from);
    ASSERT_EQ(part.size(), from >= 1000 ? 0 : 1000 - from) << from;
    if (!part.empty()) {
      EXPECT_EQ(part.front().offset, from);
    }
  }
}

TEST_F(PartitionTest, ReopenKeepsEverythingAndContinuesOffsets) {
  Open();
  AppendN(500);
  auto before = ReadPartition(table_->partition(0));
  store_.reset();
  Open();
  EXPECT_TRUE(store_->recovery_report().empty());
  auto after = ReadPartition(table_->partition(0));
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].payload, before[i].payload);
    EXPECT_EQ(after[i].ingest_time, before[i].ingest_time);
  }
  AppendN(10);
  EXPECT_EQ(table_->partition(0).end_offset(), 510u);
  EXPECT_EQ(ReadPartition(table_->partition(0), 505).front().offset, 505u);
}

TEST_F(PartitionTest, IngestTimesNeverDecreaseAndTimeReadsFindTheFirstRecord) {
  Open();
  AppendN(300, 3);
  auto all = ReadPartition(table_->partition(0));
  for (size_t i = 1; i < all.size(); ++i)
    EXPECT_GE(all[i].ingest_time, all[i - 1].ingest_time);
  for (size_t pick : {0ul, 1ul, 150ul, 299ul}) {
    Micros t = all[pick].ingest_time;
    PartitionReader reader = PartitionReader::AtTime(table_->partition(0), t);
    RecordView r;
    auto more = reader.Next(&r);
    ASSERT_TRUE(more.ok() && *more);
    // The first record with ingest_time >= t.
    size_t expect = 0;
    while (all[expect].ingest_time < t)
      ++expect;
    EXPECT_EQ(r.offset, expect);
  }
  PartitionReader past = PartitionReader::AtTime(table_->partition(0), all.back().ingest_time + 1);
  RecordView r;
  auto more = past.Next(&r);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
}

TEST_F(PartitionTest, ReaderAtTheEndSeesLaterAppends) {
  Open();
  AppendN(5);
  PartitionReader reader(table_->partition(0), 0);
  RecordView r;
  int seen = 0;
  while (*reader.Next(&r))
    ++seen;
  EXPECT_EQ(seen, 5);
  AppendN(200);  // crosses segment boundaries
  while (*reader.Next(&r)) {
    EXPECT_EQ(r.offset, static_cast<uint64_t>(seen));
    ++seen;
  }
  EXPECT_EQ(seen, 205);
}

TEST_F(PartitionTest, ReadOnlyStoreSeesDurableRecordsWithoutTheLock) {
  Open();
  AppendN(100);
  StoreOptions ro;
  ro.read_only = true;
  auto reader_store = Store::Open(dir_.path(), ro);
  ASSERT_TRUE(reader_store.ok()) << reader_store.status().ToString();
  auto t = (*reader_store)->GetTable("t");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(ReadPartition((*t)->partition(0)).size(), 100u);
  AppendAck ack;
  EXPECT_EQ((*t)->Append({}, &ack).code(), StatusCode::kFailedPrecondition);
}

TEST(StoreTest, OneWriterPerDirectory) {
  ::strata::testing::TempDir dir;
  auto first = Store::Open(dir.path(), StoreOptions{});
  ASSERT_TRUE(first.ok());
  auto second = Store::Open(dir.path(), StoreOptions{});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kLocked);
  EXPECT_NE(second.status().message().find("in use by another strata process (pid "),
            std::string::npos)
      << second.status().message();
  first->reset();
  EXPECT_TRUE(Store::Open(dir.path(), StoreOptions{}).ok());
}

TEST(StoreTest, TableNamesAndConfigAreValidatedAndPersisted) {
  ::strata::testing::TempDir dir;
  auto store = std::move(Store::Open(dir.path(), StoreOptions{})).value();
  for (const char* bad : {"", "1abc", "a b", "a/b", "a..b", "a.", "../x"}) {
    EXPECT_EQ(store->CreateTable(bad, TableConfig{}).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
  TableConfig c;
  c.partitions = 3;
  c.key_field = "order_id";
  c.codec = Codec::kZstd;
  ASSERT_TRUE(store->CreateTable("bronze.orders", c).ok());
  EXPECT_EQ(store->CreateTable("bronze.orders", c).status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(store->GetTable("nope").status().IsNotFound());
  store.reset();
  store = std::move(Store::Open(dir.path(), StoreOptions{})).value();
  auto t = store->GetTable("bronze.orders");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->config().partitions, 3u);
  EXPECT_EQ((*t)->config().key_field, "order_id");
  EXPECT_EQ((*t)->config().codec, Codec::kZstd);
  EXPECT_EQ(store->TableNames(), std::vector<std::string>{"bronze.orders"});
}

}  // namespace
}  // namespace strata::log
