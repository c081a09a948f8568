// Corruption of segments, indexes and table files (LevelDB's corruption_test): bytes are
// flipped at chosen offsets, and the store must detect it, repair what it safely can, and
// never serve a record that differs from what was written.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "common/file_system.h"
#include "testing/log_util.h"
#include "testing/temp_dir.h"

namespace strata::log {
namespace {

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Open(false);
    TableConfig c;
    c.partitions = 1;
    c.segment_bytes = 8 << 10;
    c.index_interval_bytes = 256;
    table_ = *store_->CreateTable("t", c);
    for (int g = 0; g < 60; ++g) {
      std::vector<std::string> payloads;
      for (int i = 0; i < 5; ++i)
        payloads.push_back("rec-" + std::to_string(g * 5 + i) + std::string(30, '~'));
      AppendAck ack;
      ASSERT_TRUE(testing::AppendPayloads(table_, payloads, "k", &ack).ok());
      original_.insert(original_.end(), payloads.begin(), payloads.end());
    }
    store_.reset();
    auto names = FileSystem::Default()->ListDir(PartDir());
    for (const auto& n : *names) {
      if (n.ends_with(".log")) segments_.push_back(n);
    }
    ASSERT_GE(segments_.size(), 3u);
  }

  void Open(bool read_only) {
    StoreOptions o;
    o.read_only = read_only;
    auto s = Store::Open(dir_.path(), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    auto t = store_->GetTable("t");
    if (t.ok()) table_ = *t;
  }

  std::string PartDir() const { return dir_.path() + "/tables/t/p-0"; }
  std::string PathOf(const std::string& name) const { return PartDir() + "/" + name; }

  static void FlipByte(const std::string& path, uint64_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&c, 1);
  }

  // Every record served must be the original at its offset; returns how many were read
  // before the end or an error.
  size_t ReadAndCheck(Status* status) {
    auto records = testing::ReadPartition(table_->partition(0), 0, status);
    for (const auto& r : records) {
      EXPECT_LT(r.offset, original_.size());
      if (r.offset < original_.size()) {
        EXPECT_EQ(r.payload, original_[r.offset]) << "served a corrupt record at " << r.offset;
      }
    }
    return records.size();
  }

  ::strata::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  Table* table_ = nullptr;
  std::vector<std::string> original_;
  std::vector<std::string> segments_;
};

TEST_F(CorruptionTest, DamagedTailOfActiveSegmentIsTruncatedAndReported) {
  std::string active = PathOf(segments_.back());
  uint64_t size = *FileSystem::Default()->FileSize(active);
  FlipByte(active, size - 10);  // inside the last batch
  Open(false);
  ASSERT_EQ(store_->recovery_report().size(), 1u);
  EXPECT_NE(store_->recovery_report()[0].find("truncated torn tail"), std::string::npos);
  Status s;
  size_t n = ReadAndCheck(&s);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(n, original_.size() - 5);  // exactly the last batch (5 records) is gone
  EXPECT_LT(*FileSystem::Default()->FileSize(active), size);
  // New appends continue at the first lost offset.
  AppendAck ack;
  ASSERT_TRUE(testing::AppendPayloads(table_, {"new"}, "k", &ack).ok());
  EXPECT_EQ(ack.first_offsets[0], static_cast<int64_t>(original_.size() - 5));
}

TEST_F(CorruptionTest, DamagedSealedSegmentIsReportedOnReadNeverServed) {
  std::string sealed = PathOf(segments_[1]);
  FlipByte(sealed, 300);
  Open(false);
  Status s;
  size_t n = ReadAndCheck(&s);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(segments_[1]), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("byte"), std::string::npos);
  EXPECT_LT(n, original_.size());
  // Records after the damaged segment are still readable from their own offsets.
  uint64_t third_base = std::stoull(segments_[2].substr(0, 20));
  auto tail = testing::ReadPartition(table_->partition(0), third_base);
  ASSERT_FALSE(tail.empty());
  EXPECT_EQ(tail.front().payload, original_[third_base]);
}

TEST_F(CorruptionTest, DamagedOrMissingIndexIsRebuilt) {
  std::string index = PathOf(segments_[0].substr(0, 20) + ".index");
  FlipByte(index, 50);
  ASSERT_TRUE(FileSystem::Default()->Remove(PathOf(segments_[1].substr(0, 20) + ".index")).ok());
  Open(false);
  ASSERT_EQ(store_->recovery_report().size(), 2u);
  for (const auto& line : store_->recovery_report()) {
    EXPECT_NE(line.find("rebuilt index"), std::string::npos) << line;
  }
  Status s;
  EXPECT_EQ(ReadAndCheck(&s), original_.size());
  EXPECT_TRUE(s.ok());
  for (uint64_t from : {1ul, 77ul, 150ul, 299ul}) {
    auto part = testing::ReadPartition(table_->partition(0), from);
    ASSERT_FALSE(part.empty());
    EXPECT_EQ(part.front().payload, original_[from]);
  }
  // The rebuilt index was written back: the next open is clean.
  store_.reset();
  Open(false);
  EXPECT_TRUE(store_->recovery_report().empty());
}

TEST_F(CorruptionTest, DamagedTableFileFailsTheOpenWithItsName) {
  FlipByte(dir_.path() + "/tables/t/TABLE", 12);
  StoreOptions o;
  auto s = Store::Open(dir_.path(), o);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsCorruption());
  EXPECT_NE(s.status().message().find("TABLE"), std::string::npos);
}

// Flips each byte of the active segment in turn (every 7th byte, to stay fast) and opens
// the store read-only: whatever happens, a served record is always the original.
TEST_F(CorruptionTest, NoSingleByteFlipInTheActiveSegmentIsEverServed) {
  std::string active = PathOf(segments_.back());
  uint64_t size = *FileSystem::Default()->FileSize(active);
  uint64_t active_base = std::stoull(segments_.back().substr(0, 20));
  for (uint64_t pos = 0; pos < size; pos += 7) {
    FlipByte(active, pos);
    Open(true);
    Status s;
    size_t n = ReadAndCheck(&s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_LT(n, original_.size()) << "a flip at byte " << pos << " went unnoticed";
    EXPECT_GE(n, active_base);
    store_.reset();
    FlipByte(active, pos);  // restore
  }
}

// The same over a sealed segment: its damage is caught at read time, never served.
TEST_F(CorruptionTest, NoSingleByteFlipInASealedSegmentIsEverServed) {
  std::string sealed = PathOf(segments_[0]);
  uint64_t size = *FileSystem::Default()->FileSize(sealed);
  for (uint64_t pos = 0; pos < size; pos += 11) {
    FlipByte(sealed, pos);
    Open(true);
    Status s;
    size_t n = ReadAndCheck(&s);
    EXPECT_TRUE(s.IsCorruption()) << "a flip at byte " << pos << " went unnoticed";
    EXPECT_LT(n, original_.size());
    store_.reset();
    FlipByte(sealed, pos);
  }
}

}  // namespace
}  // namespace strata::log
