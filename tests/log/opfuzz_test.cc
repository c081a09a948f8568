// Random operation sequences against an in-memory model (after Redpanda's storage opfuzz):
// appends of random sizes to random partitions, reads from random offsets and times,
// clean reopens, crashes in the middle of a group commit, retention with pins. After every
// step the store must agree with the model. 12 fixed seeds; STRATA_SEED=N runs one, STRATA_SEEDS=K
// draws K.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "common/abort_point.h"
#include "testing/fault_injection_fs.h"
#include "testing/log_util.h"
#include "testing/seeds.h"
#include "testing/temp_dir.h"

namespace strata::log {
namespace {

class OpFuzz {
 public:
  explicit OpFuzz(uint64_t seed) : rng_(seed) {}

  void Run(int steps) {
    Open();
    for (int step = 0; step < steps; ++step) {
      SCOPED_TRACE("step " + std::to_string(step));
      switch (rng_() % 10) {
        case 0:
          Reopen();
          break;
        case 1:
          CrashDuringCommit();
          break;
        case 2:
          Retention();
          break;
        case 3:
          ReadAtTime();
          break;
        case 4:
        case 5:
          ReadFrom();
          break;
        default:
          Append();
          break;
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
    for (uint32_t p = 0; p < kPartitions; ++p)
      CheckPartition(p);
  }

 private:
  static constexpr uint32_t kPartitions = 3;

  void Open() {
    StoreOptions o;
    o.fs = &fs_;
    o.commit.max_batch_bytes = 1 + rng_() % 3000;
    auto s = Store::Open(dir_.path(), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    auto t = store_->GetTable("t");
    if (!t.ok()) {
      TableConfig c;
      c.partitions = kPartitions;
      c.segment_bytes = 1024 + rng_() % 8192;
      c.index_interval_bytes = 64 + static_cast<uint32_t>(rng_() % 1024);
      c.codec = static_cast<Codec>(rng_() % 3);
      t = store_->CreateTable("t", c);
    }
    ASSERT_TRUE(t.ok());
    table_ = *t;
  }

  std::vector<AppendRecord> MakeRecords(std::vector<std::string>* storage) {
    size_t n = 1 + rng_() % 40;
    storage->clear();
    for (size_t i = 0; i < n; ++i) {
      storage->push_back("v" + std::to_string(next_value_++) + std::string(rng_() % 200, 'x'));
    }
    std::vector<AppendRecord> records;
    for (size_t i = 0; i < n; ++i) {
      AppendRecord r;
      r.partition = static_cast<uint32_t>(rng_() % kPartitions);
      r.payload = (*storage)[i];
      r.key = "k";
      records.push_back(r);
    }
    return records;
  }

  void Append() {
    std::vector<std::string> storage;
    auto records = MakeRecords(&storage);
    AppendAck ack;
    ASSERT_TRUE(table_->Append(records, &ack).ok());
    for (uint32_t p = 0; p < kPartitions; ++p) {
      if (ack.counts[p] > 0) {
        ASSERT_EQ(static_cast<uint64_t>(ack.first_offsets[p]), start_[p] + model_[p].size());
      }
    }
    for (const auto& r : records)
      model_[r.partition].push_back(std::string(r.payload));
  }

  void CheckPartition(uint32_t p) {
    auto got = testing::ReadPartition(table_->partition(p), start_[p]);
    ASSERT_EQ(got.size(), model_[p].size()) << "partition " << p;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].offset, start_[p] + i);
      ASSERT_EQ(got[i].payload, model_[p][i]);
    }
  }

  void ReadFrom() {
    uint32_t p = static_cast<uint32_t>(rng_() % kPartitions);
    uint64_t end = start_[p] + model_[p].size();
    uint64_t from = start_[p] + (end > start_[p] ? rng_() % (end - start_[p] + 1) : 0);
    auto got = testing::ReadPartition(table_->partition(p), from);
    ASSERT_EQ(got.size(), end - from);
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i].payload, model_[p][from - start_[p] + i]);
  }

  void ReadAtTime() {
    uint32_t p = static_cast<uint32_t>(rng_() % kPartitions);
    auto all = testing::ReadPartition(table_->partition(p), start_[p]);
    if (all.empty()) return;
    Micros t = all[rng_() % all.size()].ingest_time + static_cast<Micros>(rng_() % 3) - 1;
    size_t expect = 0;
    while (expect < all.size() && all[expect].ingest_time < t)
      ++expect;
    PartitionReader reader = PartitionReader::AtTime(table_->partition(p), t);
    RecordView r;
    auto more = reader.Next(&r);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    ASSERT_EQ(*more, expect < all.size());
    if (*more) {
      ASSERT_EQ(r.offset, all[expect].offset);
    }
  }

  void Reopen() {
    store_.reset();
    Open();
  }

  // The leader dies between writing and syncing: its records were never acknowledged; after
  // the crash each partition holds the model plus, possibly, a prefix of them.
  void CrashDuringCommit() {
    ArmAbortPoint("group_commit.before_sync");
    std::vector<std::string> storage;
    auto records = MakeRecords(&storage);
    AppendAck ack;
    ASSERT_EQ(table_->Append(records, &ack).code(), StatusCode::kAborted);
    store_.reset();
    ASSERT_TRUE(fs_.SimulateCrash(rng_()).ok());
    Open();
    for (uint32_t p = 0; p < kPartitions; ++p) {
      std::vector<std::string> lost;
      for (const auto& r : records) {
        if (r.partition == p) lost.emplace_back(r.payload);
      }
      auto got = testing::ReadPartition(table_->partition(p), start_[p]);
      ASSERT_GE(got.size(), model_[p].size());
      size_t extra = got.size() - model_[p].size();
      ASSERT_LE(extra, lost.size());
      for (size_t i = 0; i < got.size(); ++i) {
        const std::string& want = i < model_[p].size() ? model_[p][i] : lost[i - model_[p].size()];
        ASSERT_EQ(got[i].payload, want);
      }
      // Durable but unacknowledged records are legitimately there: adopt them.
      for (size_t i = 0; i < extra; ++i)
        model_[p].push_back(lost[i]);
    }
  }

  void Retention() {
    uint64_t pins[kPartitions];
    for (uint32_t p = 0; p < kPartitions; ++p) {
      pins[p] = start_[p] + (model_[p].empty() ? 0 : rng_() % (model_[p].size() + 1));
    }
    store_->SetRetentionPin([&pins](const std::string&, uint32_t p) { return pins[p]; });
    RetentionPolicy policy;
    policy.max_bytes = rng_() % 20000;
    ASSERT_TRUE(store_->ApplyRetention(policy, NowMicros()).ok());
    store_->SetRetentionPin(nullptr);
    for (uint32_t p = 0; p < kPartitions; ++p) {
      uint64_t start = table_->partition(p).start_offset();
      ASSERT_GE(start, start_[p]);
      ASSERT_LE(start, pins[p]) << "retention removed a pinned offset";
      model_[p].erase(model_[p].begin(), model_[p].begin() + static_cast<long>(start - start_[p]));
      start_[p] = start;
    }
  }

  std::mt19937_64 rng_;
  ::strata::testing::TempDir dir_;
  ::strata::testing::FaultInjectionFileSystem fs_;
  std::unique_ptr<Store> store_;
  Table* table_ = nullptr;
  std::vector<std::string> model_[kPartitions];
  uint64_t start_[kPartitions] = {};
  uint64_t next_value_ = 0;
};

TEST(OpFuzzTest, RandomOperationSequencesMatchTheModel) {
  for (uint64_t seed : ::strata::testing::Seeds(4000, 12)) {
    SCOPED_TRACE(::strata::testing::SeedTrace(seed));
    OpFuzz(seed).Run(150);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace strata::log
