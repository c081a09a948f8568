// Window assignment and the session operator: sessions merge when a row bridges them,
// split when it leaves, rows with a NULL time pass through, and state survives Save/Load
// (and is refused when corrupt). The operator's output is checked by feeding it into a sum
// of weights per (group, session, value), which must always equal the sessions computed
// from scratch over the current rows.
#include "exec/window.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>
#include <vector>

namespace strata::exec {
namespace {

constexpr Micros kS = 1'000'000;

TEST(WindowFloorTest, FloorsTowardMinusInfinity) {
  EXPECT_EQ(WindowFloor(59 * kS, 60 * kS), 0);
  EXPECT_EQ(WindowFloor(60 * kS, 60 * kS), 60 * kS);
  EXPECT_EQ(WindowFloor(-1, 60 * kS), -60 * kS);
  EXPECT_EQ(WindowFloor(-60 * kS, 60 * kS), -60 * kS);
}

TEST(AssignWindowsTest, HopGivesSizeOverSlideWindowsHoldingTheTime) {
  sql::WindowSpec w;
  w.kind = sql::WindowKind::kHop;
  w.size = 60 * kS;
  w.slide = 20 * kS;
  Batch rows = MakeBatch({Type::Bigint()});
  rows.columns[0].AppendInt64(7);
  rows.weights.push_back(1);
  Column time(Type::Timestamp());
  time.AppendInt64(65 * kS);
  Batch out = MakeBatch({Type::Bigint(), Type::Timestamp(), Type::Timestamp()});
  std::vector<uint32_t> source;
  AssignWindows(w, rows, time, &out, &source);
  ASSERT_EQ(out.num_rows(), 3u);
  for (size_t r = 0; r < 3; ++r) {
    Micros start = out.columns[1].int64s()[r];
    EXPECT_EQ(start, (20 + 20 * static_cast<Micros>(r)) * kS);
    EXPECT_EQ(out.columns[2].int64s()[r], start + 60 * kS);
    EXPECT_LE(start, 65 * kS);
    EXPECT_GT(start + 60 * kS, 65 * kS);
    EXPECT_EQ(source[r], 0u);
  }
}

// Input rows: group (text), window_start, window_end (ignored on input), value (bigint),
// time (timestamp). Output: the same without the time.
class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto op = SessionOperator::Make(
        {Type::Text(), Type::Timestamp(), Type::Timestamp(), Type::Bigint(), Type::Timestamp()},
        {0}, 1, 2, 30 * kS);
    ASSERT_TRUE(op.ok()) << op.status().ToString();
    op_ = std::move(op).value();
  }
  using Key = std::tuple<std::string, Micros, Micros, int64_t>;  // group, start, end, value
  // Pushes (group, time in seconds or -1 for NULL, value, weight) changes.
  Status Push(const std::vector<std::tuple<std::string, int, int64_t, int64_t>>& changes) {
    Batch in = MakeBatch(
        {Type::Text(), Type::Timestamp(), Type::Timestamp(), Type::Bigint(), Type::Timestamp()});
    for (const auto& [group, t, v, w] : changes) {
      in.columns[0].AppendString(group);
      in.columns[1].AppendNull();
      in.columns[2].AppendNull();
      in.columns[3].AppendInt64(v);
      if (t < 0) {
        in.columns[4].AppendNull();
      } else {
        in.columns[4].AppendInt64(t * kS);
      }
      in.weights.push_back(w);
      if (t >= 0) rows_[{group, t * kS, v}] += w;
    }
    Batch out = MakeBatch(op_->output_types());
    SideOutput side;
    Status s = op_->Push(in, &out, &side);
    for (size_t r = 0; r < out.num_rows(); ++r) {
      if (out.columns[1].is_null(r)) continue;  // NULL time: passed through
      Key k{std::string(out.columns[0].GetValue(r).ToString(Type::Text())),
            out.columns[1].int64s()[r], out.columns[2].int64s()[r], out.columns[3].int64s()[r]};
      if ((sum_[k] += out.weights[r]) == 0) sum_.erase(k);
    }
    return s;
  }
  // Sessions from scratch over rows_.
  std::map<Key, int64_t> Expected() const {
    std::map<Key, int64_t> out;
    std::map<std::string, std::vector<std::pair<Micros, int64_t>>> by_group;
    for (const auto& [k, w] : rows_) {
      for (int64_t i = 0; i < w; ++i)
        by_group[std::get<0>(k)].push_back({std::get<1>(k), std::get<2>(k)});
    }
    for (auto& [group, list] : by_group) {
      std::sort(list.begin(), list.end());
      for (size_t i = 0; i < list.size();) {
        size_t j = i + 1;
        while (j < list.size() && list[j].first - list[j - 1].first < 30 * kS)
          ++j;
        for (size_t m = i; m < j; ++m)
          ++out[{group, list[i].first, list[j - 1].first + 30 * kS, list[m].second}];
        i = j;
      }
    }
    return out;
  }
  std::unique_ptr<SessionOperator> op_;
  std::map<std::tuple<std::string, Micros, int64_t>, int64_t> rows_;
  std::map<Key, int64_t> sum_;
};

TEST_F(SessionTest, MergeAndSplit) {
  ASSERT_TRUE(Push({{"a", 0, 1, 1}, {"a", 50, 2, 1}}).ok());  // two sessions: 50 - 0 >= 30
  EXPECT_EQ(sum_, Expected());
  EXPECT_EQ(sum_.size(), 2u);
  ASSERT_TRUE(Push({{"a", 25, 3, 1}}).ok());  // bridges them: one session [0, 80)
  EXPECT_EQ(sum_, Expected());
  EXPECT_EQ(sum_.count({"a", 0, 80 * kS, 2}), 1u);
  ASSERT_TRUE(Push({{"a", 25, 3, -1}}).ok());  // leaves: split again
  EXPECT_EQ(sum_, Expected());
  EXPECT_EQ(sum_.count({"a", 0, 30 * kS, 1}), 1u);
  EXPECT_EQ(sum_.count({"a", 50 * kS, 80 * kS, 2}), 1u);
  ASSERT_TRUE(Push({{"b", 0, 9, 1}, {"a", -1, 4, 1}}).ok());  // another group; a NULL time
  EXPECT_EQ(sum_, Expected());
  Status s = Push({{"a", 10, 1, -1}});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not hold"), std::string::npos);
}

TEST_F(SessionTest, RandomChangesAgreeWithSessionsFromScratchAcrossSaveAndLoad) {
  std::mt19937_64 rng(7);
  std::vector<std::tuple<std::string, int, int64_t>> present;
  for (int step = 0; step < 400; ++step) {
    std::vector<std::tuple<std::string, int, int64_t, int64_t>> changes;
    for (int n = 1 + static_cast<int>(rng() % 4); n > 0; --n) {
      if (!present.empty() && rng() % 3 == 0) {
        size_t i = rng() % present.size();
        auto [g, t, v] = present[i];
        changes.push_back({g, t, v, -1});
        present.erase(present.begin() + static_cast<long>(i));
      } else {
        std::string g(1, static_cast<char>('a' + rng() % 2));
        int t = static_cast<int>(rng() % 400);
        int64_t v = static_cast<int64_t>(rng() % 3);
        changes.push_back({g, t, v, 1});
        present.push_back({g, t, v});
      }
    }
    ASSERT_TRUE(Push(changes).ok());
    ASSERT_EQ(sum_, Expected()) << "step " << step;
    if (step % 50 == 49) {
      std::string state;
      ASSERT_TRUE(op_->SaveState(&state).ok());
      SetUp();
      ASSERT_TRUE(op_->LoadState(state).ok());
      std::string corrupt = state;
      corrupt[corrupt.size() / 2] ^= 0x20;
      auto other = SessionOperator::Make(
          {Type::Text(), Type::Timestamp(), Type::Timestamp(), Type::Bigint(), Type::Timestamp()},
          {0}, 1, 2, 30 * kS);
      EXPECT_FALSE((*other)->LoadState(corrupt).ok());
    }
  }
}

}  // namespace
}  // namespace strata::exec
