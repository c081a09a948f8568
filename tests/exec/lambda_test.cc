// LambdaOperator: batch(T) ⊕ the epochs from T on equals the aggregate of the whole input,
// whatever T is, however the input is cut, with a publish recording a tail while pushes go
// on and epochs opening during it; the epochs survive Save/Load and a cut state is refused.
#include "exec/lambda.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "testing/changelog.h"

namespace strata::exec {
namespace {

using ::strata::testing::ChangeRow;
using ::strata::testing::Consolidated;

const std::vector<Type> kTypes = {Type::Bigint(), Type::Bigint()};  // group, value

std::vector<AggregateSpec> Specs() {
  return {AggregateSpec{sql::AggregateKind::kCountStar, false, -1, Type::Bigint()},
          AggregateSpec{sql::AggregateKind::kSum, false, 1, Type::Numeric(38, 0)}};
}

std::unique_ptr<LambdaOperator> Make() {
  auto op = LambdaOperator::Make(kTypes, {0}, Specs(), /*own_epochs=*/true);
  EXPECT_TRUE(op.ok()) << op.status().ToString();
  return std::move(op).value();
}

Consolidated Rows(const AggregateOperator& a) {
  Batch out = MakeBatch(a.output_types());
  EXPECT_TRUE(a.Snapshot(&out).ok());
  Consolidated c;
  ::strata::testing::AddTo(out, &c);
  return c;
}

// Random changes: inserts of (group, value) and retractions of rows inserted earlier.
std::vector<Batch> RandomInput(std::mt19937_64& rng, size_t pushes) {
  std::vector<ChangeRow> live;
  std::vector<Batch> out;
  for (size_t p = 0; p < pushes; ++p) {
    std::vector<ChangeRow> rows;
    for (size_t n = rng() % 5; n > 0; --n) {
      if (!live.empty() && rng() % 3 == 0) {
        size_t i = rng() % live.size();
        ChangeRow r = live[i];
        r.weight = -1;
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
        rows.push_back(r);
      } else {
        ChangeRow r{{Value::Int64(static_cast<int64_t>(rng() % 4)),
                     Value::Int64(static_cast<int64_t>(rng() % 100) - 20)}};
        live.push_back(r);
        rows.push_back(r);
      }
    }
    out.push_back(::strata::testing::MakeInput(kTypes, rows, false));
  }
  return out;
}

TEST(LambdaOperatorTest, BatchPlusTheEpochsFromTEqualsTheWholeInput) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 rng(seed);
    const std::vector<Batch> input = RandomInput(rng, 40);
    // T: the boundary (a push index); P >= T: where the publish begins; F >= P: where it
    // finishes. An epoch opens at T and sometimes at another boundary during the publish.
    const size_t t = rng() % (input.size() + 1);
    const size_t p = t + rng() % (input.size() - t + 1);
    const size_t f = p + rng() % (input.size() - p + 1);
    const size_t extra = p + rng() % (input.size() - p + 1);  // a later boundary
    auto batch = AggregateOperator::Make(kTypes, {0}, Specs());
    ASSERT_TRUE(batch.ok());
    auto whole = AggregateOperator::Make(kTypes, {0}, Specs());
    ASSERT_TRUE(whole.ok());
    std::unique_ptr<LambdaOperator> op = Make();
    size_t first = 0;  // the epoch starting at T
    Batch speed;
    std::unique_ptr<AggregateOperator> answer;
    bool ready = false;  // the published answer is live
    Batch ignored;
    SideOutput side;
    for (size_t i = 0; i <= input.size(); ++i) {
      if (i == t) {
        op->OpenEpoch();
        first = op->epochs() - 1;
      }
      if (i == extra && extra != t) op->OpenEpoch();
      if (i == p) {
        speed = op->Speed(first);
        op->StartTail();
        auto built = op->BuildAnswer(**batch, speed);
        ASSERT_TRUE(built.ok()) << built.status().ToString();
        answer = std::move(built).value();
      }
      if (i == f) {
        ASSERT_TRUE(op->AddTail(answer.get(), "v").ok());
        op->StopTail();
        op->SetAnswer(std::move(answer));
        op->DropOldest(first);
        ready = true;
        EXPECT_EQ(Rows(op->answer()), Rows(**whole)) << "seed " << seed << " at publish";
      }
      if (i == input.size()) break;
      if (i < t) {
        ignored = MakeBatch((*batch)->output_types());
        ASSERT_TRUE((*batch)->Push(input[i], &ignored, &side).ok());
      }
      ignored = MakeBatch((*whole)->output_types());
      ASSERT_TRUE((*whole)->Push(input[i], &ignored, &side).ok());
      Batch changes = MakeBatch(op->answer().output_types());
      // Pushes from the publish's start belong to an epoch from T on: the tail records them.
      ASSERT_TRUE(op->Push(input[i], /*in_tail=*/true, /*to_answer=*/ready, &changes).ok());
    }
    EXPECT_EQ(Rows(op->answer()), Rows(**whole)) << "seed " << seed;
  }
}

TEST(LambdaOperatorTest, EpochsSurviveSaveAndLoad) {
  std::mt19937_64 rng(99);
  const std::vector<Batch> input = RandomInput(rng, 30);
  std::unique_ptr<LambdaOperator> op = Make();
  Batch changes = MakeBatch(op->answer().output_types());
  for (size_t i = 0; i < input.size(); ++i) {
    if (i % 10 == 0) op->OpenEpoch();
    ASSERT_TRUE(op->Push(input[i], false, false, &changes).ok());
  }
  std::string state;
  op->Save(&state);
  std::unique_ptr<LambdaOperator> back = Make();
  Decoder d(state);
  ASSERT_TRUE(back->Load(op->epochs(), &d).ok());
  EXPECT_TRUE(d.empty());
  ASSERT_EQ(back->epochs(), op->epochs());
  for (size_t e = 0; e < op->epochs(); ++e) {
    Consolidated a, b;
    ::strata::testing::AddTo(op->Speed(e), &a);
    ::strata::testing::AddTo(back->Speed(e), &b);
    EXPECT_EQ(a, b) << "epochs from " << e;
  }
  std::unique_ptr<LambdaOperator> cut = Make();
  Decoder short_state(std::string_view(state).substr(0, state.size() - 1));
  EXPECT_FALSE(cut->Load(op->epochs(), &short_state).ok());
}

}  // namespace
}  // namespace strata::exec
