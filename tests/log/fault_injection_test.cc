// Power loss and I/O errors: an acknowledged record is never lost (LevelDB's
// fault_injection_test). The file layer drops every byte that was not fdatasync'd, or keeps
// a random part of it (torn batches), and forgets files whose directory was not synced.
// If the table acknowledged an append before its fdatasync, these tests would fail.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "testing/fault_injection_fs.h"
#include "testing/log_util.h"
#include "testing/temp_dir.h"

namespace strata::log {
namespace {

using FaultFs = ::strata::testing::FaultInjectionFileSystem;

class FaultInjectionTest : public ::testing::TestWithParam<Codec> {
 protected:
  void Open() {
    StoreOptions options;
    options.fs = &fs_;
    options.commit.max_batch_bytes = 2048;
    auto store = Store::Open(dir_.path(), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto t = store_->GetTable("t");
    if (!t.ok()) {
      TableConfig c;
      c.partitions = 3;
      c.segment_bytes = 16 << 10;  // rolls happen under load
      c.codec = GetParam();
      t = store_->CreateTable("t", c);
    }
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    table_ = *t;
  }

  // Producers append "p<id>:<seq>" records until the power fails (every sync fails from a
  // random moment on); the acknowledged ones are remembered.
  void RunUntilPowerCut(std::mt19937_64& rng, int round) {
    std::vector<std::thread> producers;
    std::atomic<bool> stop{false};
    for (int id = 0; id < 4; ++id) {
      producers.emplace_back([&, id] {
        for (int seq = 0; !stop; ++seq) {
          std::vector<std::string> payloads;
          int n = 1 + (seq * 7 + id) % 9;
          for (int i = 0; i < n; ++i) {
            payloads.push_back("r" + std::to_string(round) + "p" + std::to_string(id) + ":" +
                               std::to_string(seq * 100 + i) + std::string((seq + i) % 60, '.'));
          }
          AppendAck ack;
          if (!testing::AppendPayloads(table_, payloads, "k" + std::to_string(id), &ack).ok()) {
            break;
          }
          std::lock_guard lock(mu_);
          for (auto& p : payloads)
            acked_.insert(p);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    fs_.FailAlways(FaultFs::Op::kSync);  // the power is cut: nothing more becomes durable
    stop = true;
    for (auto& t : producers)
      t.join();
  }

  void CrashAndReopen(uint64_t torn_seed) {
    store_.reset();  // the process is gone; its open files are closed
    ASSERT_TRUE(fs_.SimulateCrash(torn_seed).ok());
    fs_.ClearFailures();
    Open();
  }

  void VerifyAckedPresentOnce() {
    std::set<std::string> present;
    for (const auto& part : testing::ReadTable(*table_)) {
      for (size_t i = 0; i < part.size(); ++i) {
        ASSERT_EQ(part[i].offset, i) << "offsets must be dense";
        ASSERT_TRUE(present.insert(part[i].payload).second) << "duplicate " << part[i].payload;
      }
    }
    for (const std::string& p : acked_)
      ASSERT_TRUE(present.count(p)) << "lost acked " << p;
  }

  ::strata::testing::TempDir dir_;
  FaultFs fs_;
  std::unique_ptr<Store> store_;
  Table* table_ = nullptr;
  std::mutex mu_;
  std::set<std::string> acked_;
};

TEST_P(FaultInjectionTest, PowerCutsNeverLoseAcknowledgedRecords) {
  std::mt19937_64 rng(1234);
  Open();
  int repairs = 0;
  for (int round = 0; round < 12; ++round) {
    RunUntilPowerCut(rng, round);
    CrashAndReopen(/*torn_seed=*/rng());
    repairs += static_cast<int>(store_->recovery_report().size());
    VerifyAckedPresentOnce();
  }
  EXPECT_GT(acked_.size(), 100u);
  EXPECT_GT(repairs, 0) << "no torn tail was ever produced: the test is too weak";
  // After all that the table still works.
  AppendAck ack;
  ASSERT_TRUE(testing::AppendPayloads(table_, {"after"}, "k0", &ack).ok());
}

TEST_P(FaultInjectionTest, FailedSyncFailsTheAppendAndStopsTheTable) {
  Open();
  AppendAck ack;
  ASSERT_TRUE(testing::AppendPayloads(table_, {"a1", "a2"}, "k", &ack).ok());
  fs_.FailOnce(FaultFs::Op::kSync);
  Status s = testing::AppendPayloads(table_, {"b1"}, "k", &ack);
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  // The error is sticky: after a failed fdatasync nothing more is acknowledged.
  Status again = testing::AppendPayloads(table_, {"c1"}, "k", &ack);
  EXPECT_EQ(again.code(), StatusCode::kIOError);
  EXPECT_EQ(again.message(), s.message());
  CrashAndReopen(7);
  auto all = testing::ReadTable(*table_);
  std::set<std::string> present;
  for (auto& part : all) {
    for (auto& r : part)
      present.insert(r.payload);
  }
  EXPECT_TRUE(present.count("a1") && present.count("a2"));
  EXPECT_FALSE(present.count("c1"));
  ASSERT_TRUE(testing::AppendPayloads(table_, {"d1"}, "k", &ack).ok());
}

TEST_P(FaultInjectionTest, FailedWriteFailsTheAppend) {
  Open();
  AppendAck ack;
  ASSERT_TRUE(testing::AppendPayloads(table_, {"a1"}, "k", &ack).ok());
  fs_.FailOnce(FaultFs::Op::kAppend);
  EXPECT_EQ(testing::AppendPayloads(table_, {"b1"}, "k", &ack).code(), StatusCode::kIOError);
  CrashAndReopen(8);
  acked_ = {"a1"};
  VerifyAckedPresentOnce();
}

// A full disk fails the appends that meet it, with kNoSpace, and only those: the half-written
// batches are dropped, nothing acknowledged is lost, and appends succeed again once space
// returns, without reopening. Rolls meet it too (creating a segment or its index).
TEST_P(FaultInjectionTest, FullDiskRefusesAppendsUntilSpaceReturns) {
  Open();
  std::set<std::string> refused;
  for (int round = 0; round < 6; ++round) {
    std::vector<std::thread> producers;
    std::atomic<bool> stop{false};
    std::atomic<int> full{0}, other{0};
    for (int id = 0; id < 4; ++id) {
      producers.emplace_back([&, id] {
        for (int seq = 0; !stop; ++seq) {
          std::vector<std::string> payloads;
          for (int i = 0; i < 1 + (seq + id) % 7; ++i) {
            payloads.push_back("f" + std::to_string(round) + "p" + std::to_string(id) + ":" +
                               std::to_string(seq * 100 + i) + std::string((seq * 13) % 300, '.'));
          }
          AppendAck ack;
          Status s = testing::AppendPayloads(table_, payloads, "k" + std::to_string(id), &ack);
          std::lock_guard lock(mu_);
          if (s.ok()) {
            acked_.insert(payloads.begin(), payloads.end());
          } else if (s.code() == StatusCode::kNoSpace) {
            ++full;
            EXPECT_NE(s.message().find("the disk is full"), std::string::npos) << s.message();
            refused.insert(payloads.begin(), payloads.end());
          } else {
            ++other;
            ADD_FAILURE() << s.ToString();
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const FaultFs::Op op = round % 3 == 0   ? FaultFs::Op::kAppend
                           : round % 3 == 1 ? FaultFs::Op::kOpen
                                            : FaultFs::Op::kRename;
    fs_.FailAlways(op, StatusCode::kNoSpace);
    if (op != FaultFs::Op::kAppend) fs_.FailOnce(FaultFs::Op::kAppend, 3, StatusCode::kNoSpace);
    // The disk stays full until it has refused something (or 10 s: then the check below
    // fails), however slow the machine.
    for (int ms = 0; ms < 10'000 && full == 0; ms += 5)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const size_t acked_while_full = [&] {
      std::lock_guard lock(mu_);
      return acked_.size();
    }();
    fs_.ClearFailures();  // space returns
    for (int ms = 0; ms < 10'000; ms += 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::lock_guard lock(mu_);
      if (acked_.size() > acked_while_full) break;
    }
    stop = true;
    for (auto& t : producers)
      t.join();
    EXPECT_GT(full.load(), 0) << "round " << round << ": the full disk refused nothing";
    EXPECT_EQ(other.load(), 0);
    EXPECT_GT(acked_.size(), acked_while_full)
        << "round " << round << ": no append after space returned";
    VerifyAckedPresentOnce();
  }
  CrashAndReopen(/*torn_seed=*/11);
  VerifyAckedPresentOnce();
  EXPECT_FALSE(refused.empty());
}

// A full disk met by the fdatasync of a segment roll (inside the group's writes, before the
// group's own syncs) is a failed fdatasync: the table stops, as for any other one.
TEST_P(FaultInjectionTest, FullDiskOnARollsSyncStopsTheTable) {
  Open();
  AppendAck ack;
  std::mt19937_64 rng(17);
  // One incompressible record per append until the active segment holds its 16 KiB: the
  // next append rolls first. (A segment starts with the batch whose append rolled.)
  uint64_t segment_start = 0, bytes = 0;
  uint32_t segments = 1;
  for (int i = 0; i < 400; ++i) {
    std::string p(500, 'f');
    for (size_t j = 1; j < p.size(); ++j)
      p[j] = static_cast<char>('a' + rng() % 26);
    ASSERT_TRUE(testing::AppendPayloads(table_, {p}, "k", &ack).ok());
    log::PartitionStats st;
    for (uint32_t q = 0; q < table_->partition_count(); ++q) {
      if (table_->partition(q).end_offset() > 0) st = table_->partition(q).Stats();
    }
    if (st.segments > segments) segment_start = bytes;
    bytes = st.bytes;
    segments = st.segments;
    if (bytes - segment_start >= 16u << 10) break;
  }
  ASSERT_GE(bytes - segment_start, 16u << 10);
  fs_.FailOnce(FaultFs::Op::kSync, 0, StatusCode::kNoSpace);  // the roll's sync
  EXPECT_FALSE(testing::AppendPayloads(table_, {"x"}, "k", &ack).ok());
  const Status again = testing::AppendPayloads(table_, {"y"}, "k", &ack);
  EXPECT_FALSE(again.ok()) << "the table went on after a failed fdatasync";
}

TEST_P(FaultInjectionTest, UnsyncedNewSegmentFileDisappearsCleanly) {
  // A crash right after a roll created the next segment but before its directory entry
  // was synced: the new file vanishes and the old layout must open as it was.
  Open();
  AppendAck ack;
  // Incompressible payloads, so that every codec rolls segments.
  std::mt19937_64 rng(5);
  auto noise = [&](char tag) {
    std::string s(500, tag);
    for (size_t i = 1; i < s.size(); ++i)
      s[i] = static_cast<char>('a' + rng() % 26);
    return s;
  };
  std::vector<std::string> big, more;
  for (int i = 0; i < 40; ++i)
    big.push_back(noise('b'));
  for (int i = 0; i < 40; ++i)
    more.push_back(noise('m'));
  ASSERT_TRUE(testing::AppendPayloads(table_, big, "k", &ack).ok());
  acked_.insert(big.begin(), big.end());
  fs_.FailOnce(FaultFs::Op::kSyncDir);
  Status s = testing::AppendPayloads(table_, more, "k", &ack);
  EXPECT_FALSE(s.ok());
  CrashAndReopen(9);
  VerifyAckedPresentOnce();
  ASSERT_TRUE(testing::AppendPayloads(table_, {"x"}, "k", &ack).ok());
}

INSTANTIATE_TEST_SUITE_P(Codecs, FaultInjectionTest,
                         ::testing::Values(Codec::kNone, Codec::kZstd, Codec::kLz4),
                         [](const auto& info) { return std::string(CodecName(info.param)); });

}  // namespace
}  // namespace strata::log
