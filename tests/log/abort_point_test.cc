// Every named abort point of the log's durable protocols (segment roll, group commit,
// table creation): stop there as if the process died, lose unsynced data, reopen, verify
// that every acknowledged record is intact and that the table keeps working.
#include "common/abort_point.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/fault_injection_fs.h"
#include "testing/log_util.h"
#include "testing/temp_dir.h"

namespace strata::log {
namespace {

class AbortPointTest : public ::testing::TestWithParam<const char*> {
 protected:
  void TearDown() override { DisarmAllAbortPoints(); }

  Status Open() {
    StoreOptions o;
    o.fs = &fs_;
    auto s = Store::Open(dir_.path(), o);
    if (!s.ok()) return s.status();
    store_ = std::move(s).value();
    auto t = store_->GetTable("t");
    if (t.ok()) {
      table_ = *t;
      return Status::OK();
    }
    TableConfig c;
    c.partitions = 2;
    c.segment_bytes = 2048;
    auto created = store_->CreateTable("t", c);
    if (!created.ok()) return created.status();
    table_ = *created;
    return Status::OK();
  }

  void Crash() {
    store_.reset();
    table_ = nullptr;
    ASSERT_TRUE(fs_.SimulateCrash().ok());
  }

  ::strata::testing::TempDir dir_;
  ::strata::testing::FaultInjectionFileSystem fs_;
  std::unique_ptr<Store> store_;
  Table* table_ = nullptr;
};

TEST_P(AbortPointTest, AbortRestartVerify) {
  const std::string point = GetParam();
  std::set<std::string> acked;
  if (point.starts_with("table_create")) {
    ArmAbortPoint(point);
    Status s = Open();
    ASSERT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
    Crash();
    ASSERT_TRUE(Open().ok());  // the half-created table is invisible and created anew
  } else {
    ASSERT_TRUE(Open().ok());
    ArmAbortPoint(point);
    bool fired = false;
    for (int i = 0; i < 200 && !fired; ++i) {
      std::string payload = "rec" + std::to_string(i) + std::string(100, '#');
      AppendAck ack;
      Status s = testing::AppendPayloads(table_, {payload}, "k" + std::to_string(i % 3), &ack);
      if (s.ok()) {
        acked.insert(payload);
      } else {
        ASSERT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
        fired = true;
      }
    }
    ASSERT_TRUE(fired) << point << " was never reached";
    Crash();
    ASSERT_TRUE(Open().ok());
  }
  std::set<std::string> present;
  for (const auto& part : testing::ReadTable(*table_)) {
    for (size_t i = 0; i < part.size(); ++i) {
      ASSERT_EQ(part[i].offset, i);
      ASSERT_TRUE(present.insert(part[i].payload).second);
    }
  }
  for (const auto& a : acked)
    EXPECT_TRUE(present.count(a)) << "lost " << a;
  AppendAck ack;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(testing::AppendPayloads(
                    table_, {"after" + std::to_string(i) + std::string(100, '-')}, "k", &ack)
                    .ok());
  }
  // And it reopens cleanly after that.
  store_.reset();
  ASSERT_TRUE(Open().ok());
  EXPECT_TRUE(store_->recovery_report().empty());
}

INSTANTIATE_TEST_SUITE_P(Points, AbortPointTest,
                         ::testing::Values("segment_roll.before_index",
                                           "segment_roll.before_create",
                                           "segment_roll.after_create", "group_commit.before_sync",
                                           "table_create.before_config"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '.') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace strata::log
