// Group commit: many concurrent producers, every append durable before it returns, order
// kept per producer within a partition, syncs shared between producers.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/filename.h"
#include "log/segment.h"
#include "testing/fault_injection_fs.h"
#include "testing/log_util.h"
#include "testing/temp_dir.h"

namespace strata::log {
namespace {

TEST(TableTest, AckNamesWhereRecordsWent) {
  ::strata::testing::TempDir dir;
  auto store = std::move(Store::Open(dir.path(), StoreOptions{})).value();
  TableConfig c;
  c.partitions = 3;
  Table* t = *store->CreateTable("t", c);
  std::vector<AppendRecord> records(5);
  uint32_t parts[] = {2, 0, 2, 2, 0};
  for (int i = 0; i < 5; ++i) {
    records[i].partition = parts[i];
    records[i].payload = "x";
  }
  AppendAck ack;
  ASSERT_TRUE(t->Append(records, &ack).ok());
  EXPECT_EQ(ack.first_offsets, (std::vector<int64_t>{0, -1, 0}));
  EXPECT_EQ(ack.counts, (std::vector<uint32_t>{2, 0, 3}));
  ASSERT_TRUE(t->Append(records, &ack).ok());
  EXPECT_EQ(ack.first_offsets, (std::vector<int64_t>{2, -1, 3}));
}

TEST(TableTest, ConcurrentProducersShareSyncsAndLoseNothing) {
  ::strata::testing::TempDir dir;
  ::strata::testing::FaultInjectionFileSystem fs;
  StoreOptions options;
  options.fs = &fs;
  auto store = std::move(Store::Open(dir.path(), options)).value();
  TableConfig c;
  c.partitions = 4;
  c.segment_bytes = 64 << 10;
  Table* t = *store->CreateTable("t", c);
  const int kProducers = 8, kAppends = 150, kPerAppend = 5;
  int syncs_before = fs.sync_count();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int a = 0; a < kAppends; ++a) {
        std::vector<std::string> payloads;
        for (int i = 0; i < kPerAppend; ++i) {
          payloads.push_back("p" + std::to_string(p) + ":" + std::to_string(a * kPerAppend + i));
        }
        AppendAck ack;
        // Each producer uses two keys, so its records span two partitions.
        if (!testing::AppendPayloads(t, payloads, "k" + std::to_string(p * 2 + a % 2), &ack).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  // Group commit: fewer syncs than appends (every append would need one otherwise).
  int syncs = fs.sync_count() - syncs_before;
  EXPECT_LT(syncs, kProducers * kAppends);
  std::printf("%d appends, %d fdatasyncs\n", kProducers * kAppends, syncs);

  std::map<int, std::vector<int>> seen;  // producer -> sequence numbers in log order per partition
  size_t total = 0;
  for (const auto& part : testing::ReadTable(*t)) {
    std::map<int, int> last;  // producer -> last seq in this partition
    for (const auto& r : part) {
      int producer = std::stoi(r.payload.substr(1));
      int seq = std::stoi(r.payload.substr(r.payload.find(':') + 1));
      if (last.count(producer)) {
        EXPECT_GT(seq, last[producer]) << "order broken";
      }
      last[producer] = seq;
      seen[producer].push_back(seq);
      ++total;
    }
  }
  EXPECT_EQ(total, static_cast<size_t>(kProducers * kAppends * kPerAppend));
  for (auto& [producer, seqs] : seen) {
    std::sort(seqs.begin(), seqs.end());
    ASSERT_EQ(seqs.size(), static_cast<size_t>(kAppends * kPerAppend));
    for (int i = 0; i < kAppends * kPerAppend; ++i)
      EXPECT_EQ(seqs[i], i);
  }
}

TEST(TableTest, BatchesAreCutAtTheConfiguredSize) {
  ::strata::testing::TempDir dir;
  StoreOptions options;
  options.commit.max_batch_bytes = 1000;
  auto store = std::move(Store::Open(dir.path(), options)).value();
  TableConfig c;
  c.partitions = 1;
  Table* t = *store->CreateTable("t", c);
  std::vector<std::string> payloads(100, std::string(95, 'z'));
  AppendAck ack;
  ASSERT_TRUE(testing::AppendPayloads(t, payloads, "k", &ack).ok());
  ASSERT_EQ(testing::ReadPartition(t->partition(0)).size(), 100u);
  // One append of ~10 KB of record bodies: cut into batches whose bodies pass 1000 bytes
  // by at most one record (each record is ~105 bytes encoded), so 10 batches.
  std::string path = JoinPath(filename::PartitionDir(filename::TableDir(dir.path(), "t"), 0),
                              filename::SegmentName(0, ".log"));
  auto file = std::move(FileSystem::Default()->OpenReadable(path)).value();
  uint64_t size = *file->Size();
  ScanResult scan = ScanSegment(*file, size, 0, /*index_interval_bytes=*/1, path);
  ASSERT_TRUE(scan.error.ok()) << scan.error.ToString();
  EXPECT_EQ(scan.end_offset, 100u);
  EXPECT_EQ(scan.index.size(), 10u);  // with interval 1, every batch is indexed
}

}  // namespace
}  // namespace strata::log
