#include "exec/aggregate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "common/coding.h"
#include "common/crc32c.h"
#include "exec/upsert.h"
#include "testing/changelog.h"

namespace strata::exec {
namespace {

using sql::AggregateKind;
using strata::testing::ChangeRow;
using strata::testing::Consolidated;
using strata::testing::MakeInput;
using strata::testing::Row;
using strata::testing::RowLess;
using strata::testing::Rows;

using Changes = std::vector<std::pair<Row, int64_t>>;

AggregateSpec Spec(AggregateKind kind, int arg, Type result, bool distinct = false) {
  return AggregateSpec{kind, distinct, arg, result};
}
AggregateSpec CountStar() {
  return Spec(AggregateKind::kCountStar, -1, Type::Bigint());
}

class Aggregate {
 public:
  Aggregate(std::vector<Type> types, std::vector<int> groups, std::vector<AggregateSpec> aggs)
      : types_(types) {
    auto made = AggregateOperator::Make(std::move(types), std::move(groups), std::move(aggs));
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    op = std::move(made).value();
  }
  Status TryPush(const std::vector<ChangeRow>& rows, Changes* changes = nullptr) {
    Batch out = MakeBatch(op->output_types());
    SideOutput side;
    Status st = op->Push(MakeInput(types_, rows, false), &out, &side);
    if (changes) *changes = Rows(out);
    return st;
  }
  Changes Push(const std::vector<ChangeRow>& rows) {
    Changes changes;
    Status st = TryPush(rows, &changes);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return changes;
  }
  std::unique_ptr<AggregateOperator> op;

 private:
  std::vector<Type> types_;
};

ChangeRow Ins(Row r, int64_t w = 1) {
  return {std::move(r), w};
}
ChangeRow Del(Row r, int64_t w = 1) {
  return {std::move(r), -w};
}

Value I(int64_t v) {
  return Value::Int64(v);
}
Value N(Int128 v) {
  return Value::Int128(v);
}
Value S(const std::string& s) {
  return Value::String(s);
}
const Value kNull;

// --- gold.revenue_hourly of DESIGN.md §1 (after the planner's projection and filter) ---

const std::vector<Type> kRevenueIn = {Type::Timestamp(), Type::Numeric(18, 2), Type::Text()};
constexpr int64_t kHour = 3'600'000'000;

Aggregate RevenueHourly() {
  return Aggregate(kRevenueIn, {0},
                   {Spec(AggregateKind::kSum, 1, Type::Numeric(38, 2)), CountStar(),
                    Spec(AggregateKind::kCount, 2, Type::Bigint(), /*distinct=*/true)});
}

Row Sale(int64_t hour, Int128 cents, const std::string& customer) {
  return {Value::Int64(hour * kHour), N(cents), S(customer)};
}
Row Revenue(int64_t hour, Int128 cents, int64_t orders, int64_t customers) {
  return {Value::Int64(hour * kHour), N(cents), I(orders), I(customers)};
}

TEST(AggregateTest, RevenuePerHourWithDistinctCustomers) {
  Aggregate a = RevenueHourly();
  EXPECT_EQ(a.Push({Ins(Sale(10, 1250, "c1")), Ins(Sale(10, 999, "c2")), Ins(Sale(10, 1, "c1")),
                    Ins(Sale(11, 500, "c3"))}),
            (Changes{{Revenue(10, 2250, 3, 2), 1}, {Revenue(11, 500, 1, 1), 1}}));
  // An upsert corrects an order (retract the old version, insert the new one).
  EXPECT_EQ(a.Push({Del(Sale(10, 999, "c2")), Ins(Sale(10, 1999, "c2"))}),
            (Changes{{Revenue(10, 2250, 3, 2), -1}, {Revenue(10, 3250, 3, 2), 1}}));
  // c1's orders are deleted one by one: the distinct count drops only with the last.
  EXPECT_EQ(a.Push({Del(Sale(10, 1, "c1"))}),
            (Changes{{Revenue(10, 3250, 3, 2), -1}, {Revenue(10, 3249, 2, 2), 1}}));
  EXPECT_EQ(a.Push({Del(Sale(10, 1250, "c1"))}),
            (Changes{{Revenue(10, 3249, 2, 2), -1}, {Revenue(10, 1999, 1, 1), 1}}));
  // The last order of hour 11 goes: the group disappears.
  EXPECT_EQ(a.Push({Del(Sale(11, 500, "c3"))}), (Changes{{Revenue(11, 500, 1, 1), -1}}));
  EXPECT_EQ(a.op->num_groups(), 1u);
}

TEST(AggregateTest, MinAndMaxSurviveRetractingTheExtreme) {
  const std::vector<Type> in = {Type::Text(), Type::Bigint()};
  Aggregate a(
      in, {0},
      {Spec(AggregateKind::kMin, 1, Type::Bigint()), Spec(AggregateKind::kMax, 1, Type::Bigint())});
  auto row = [](int64_t x) { return Row{S("g"), I(x)}; };
  auto out = [](int64_t lo, int64_t hi) { return Row{S("g"), I(lo), I(hi)}; };
  EXPECT_EQ(a.Push({Ins(row(5)), Ins(row(3)), Ins(row(9)), Ins(row(3))}),
            (Changes{{out(3, 9), 1}}));
  // A duplicate of the minimum: retracting one copy keeps it.
  EXPECT_EQ(a.Push({Del(row(3))}), Changes{});
  EXPECT_EQ(a.Push({Del(row(3))}), (Changes{{out(3, 9), -1}, {out(5, 9), 1}}));
  EXPECT_EQ(a.Push({Del(row(9))}), (Changes{{out(5, 9), -1}, {out(5, 5), 1}}));
  // An insert that changes neither extreme emits nothing.
  EXPECT_EQ(a.Push({Ins(row(5))}), Changes{});
  EXPECT_EQ(a.Push({Del(row(5)), Del(row(5))}), (Changes{{out(5, 5), -1}}));
  EXPECT_EQ(a.op->num_groups(), 0u);
}

TEST(AggregateTest, NullsAndTheGlobalGroup) {
  const std::vector<Type> in = {Type::Numeric(18, 2)};
  Aggregate a(in, {},
              {CountStar(), Spec(AggregateKind::kCount, 0, Type::Bigint()),
               Spec(AggregateKind::kSum, 0, Type::Numeric(38, 2)),
               Spec(AggregateKind::kAvg, 0, Type::Numeric(38, 6)),
               Spec(AggregateKind::kMin, 0, Type::Numeric(18, 2)),
               Spec(AggregateKind::kCount, 0, Type::Bigint(), true)});
  EXPECT_EQ(a.Push({Ins({kNull}), Ins({kNull})}),
            (Changes{{{I(2), I(0), kNull, kNull, kNull, I(0)}, 1}}));
  EXPECT_EQ(a.Push({Ins({N(150)})}),
            (Changes{{{I(2), I(0), kNull, kNull, kNull, I(0)}, -1},
                     {{I(3), I(1), N(150), N(1500000), N(150), I(1)}, 1}}));
}

TEST(AggregateTest, AverageRoundsHalfAwayFromZero) {
  const std::vector<Type> in = {Type::Bigint(), Type::Bigint()};
  Aggregate a(in, {0}, {Spec(AggregateKind::kAvg, 1, Type::Numeric(38, 6))});
  a.Push({Ins({I(1), I(1)}), Ins({I(1), I(1)}), Ins({I(1), I(2)})});  // 4/3
  a.Push({Ins({I(2), I(2)}), Ins({I(2), I(2)}), Ins({I(2), I(1)})});  // 5/3
  a.Push({Ins({I(3), I(-2)}), Ins({I(3), I(-2)}), Ins({I(3), I(-1)})});
  a.Push({Ins({I(4), I(1)}), Ins({I(4), I(2)})});  // 1.5 exactly
  Batch snap = MakeBatch(a.op->output_types());
  ASSERT_TRUE(a.op->Snapshot(&snap).ok());
  Consolidated got = strata::testing::Consolidate(snap);
  Consolidated want = {{{I(1), N(1333333)}, 1},
                       {{I(2), N(1666667)}, 1},
                       {{I(3), N(-1666667)}, 1},
                       {{I(4), N(1500000)}, 1}};
  EXPECT_EQ(got, want);
}

TEST(AggregateTest, SumIsExactThroughLargeIntermediates) {
  const std::vector<Type> in = {Type::Numeric(38, 0)};
  Aggregate a(in, {}, {Spec(AggregateKind::kSum, 0, Type::Numeric(38, 0))});
  const Int128 big =
      static_cast<Int128>(9'000'000'000'000'000'000ULL) * 10'000'000'000'000'000'000ULL;
  // Within one batch, 2 × big (39 digits) passes by and comes back.
  EXPECT_EQ(a.Push({Ins({N(big)}), Ins({N(big)}), Del({N(big)}), Ins({N(1)})}),
            (Changes{{{N(big + 1)}, 1}}));
  // Ending a batch beyond 38 digits is an error naming the aggregate and the group.
  Status st = a.TryPush({Ins({N(big)})});
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange) << st.ToString();
  EXPECT_NE(st.message().find("sum of group ()"), std::string::npos) << st.ToString();
}

TEST(AggregateTest, SumOfBigintIsNumeric) {
  const std::vector<Type> in = {Type::Bigint()};
  Aggregate a(in, {}, {Spec(AggregateKind::kSum, 0, Type::Numeric(38, 0))});
  const int64_t max = INT64_MAX;
  EXPECT_EQ(a.Push({Ins({I(max)}), Ins({I(max)}, 3)}), (Changes{{{N(Int128{max} * 4)}, 1}}));
}

TEST(AggregateTest, DistinctSumAndAverage) {
  const std::vector<Type> in = {Type::Bigint()};
  Aggregate a(in, {},
              {Spec(AggregateKind::kSum, 0, Type::Numeric(38, 0), true),
               Spec(AggregateKind::kAvg, 0, Type::Numeric(38, 2), true),
               Spec(AggregateKind::kSum, 0, Type::Numeric(38, 0))});
  EXPECT_EQ(a.Push({Ins({I(5)}), Ins({I(5)}), Ins({I(2)}, 2)}),
            (Changes{{{N(7), N(350), N(14)}, 1}}));
  EXPECT_EQ(a.Push({Del({I(5)})}),
            (Changes{{{N(7), N(350), N(14)}, -1}, {{N(7), N(350), N(9)}, 1}}));
  EXPECT_EQ(a.Push({Del({I(5)})}),
            (Changes{{{N(7), N(350), N(9)}, -1}, {{N(2), N(200), N(4)}, 1}}));
}

TEST(AggregateTest, DoublesGroupAndCountCanonically) {
  const std::vector<Type> in = {Type::Double(), Type::Double()};
  Aggregate a(
      in, {0},
      {Spec(AggregateKind::kCount, 1, Type::Bigint(), true),
       Spec(AggregateKind::kSum, 1, Type::Double()), Spec(AggregateKind::kAvg, 1, Type::Double())});
  auto d = [](double v) { return Value::Double(v); };
  auto changes = a.Push({Ins({d(-0.0), d(-0.0)}), Ins({d(0.0), d(0.0)}), Ins({d(0.0), d(1.5)})});
  // -0.0 and 0.0 are one group and one distinct value; the key is printed as 0.
  EXPECT_EQ(changes, (Changes{{{d(0.0), I(2), d(1.5), d(0.5)}, 1}}));
  EXPECT_EQ(a.op->num_groups(), 1u);
}

TEST(AggregateTest, RetractionsMayPrecedeInsertionsWithinABatch) {
  Aggregate a = RevenueHourly();
  EXPECT_EQ(a.Push({Del(Sale(1, 100, "c1")), Ins(Sale(1, 100, "c1")), Ins(Sale(1, 7, "c2"))}),
            (Changes{{Revenue(1, 7, 1, 1), 1}}));
}

TEST(AggregateTest, RetractingWhatWasNeverInsertedFails) {
  {
    Aggregate a = RevenueHourly();
    Status st = a.TryPush({Del(Sale(3, 100, "c1"))});
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(st.message().find("group (1970-01-01 03:00:00)"), std::string::npos) << st.ToString();
  }
  {  // The row count stays positive, but a value of the multiset goes negative.
    Aggregate a = RevenueHourly();
    a.Push({Ins(Sale(3, 100, "c1")), Ins(Sale(3, 100, "c1"))});
    Status st = a.TryPush({Del(Sale(3, 100, "c9"))});
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
    EXPECT_NE(st.message().find("aggregate #2 (count)"), std::string::npos) << st.ToString();
  }
  {  // Counts balance but the sum does not: detectable once no value remains.
    const std::vector<Type> in = {Type::Text(), Type::Bigint()};
    Aggregate a(in, {0}, {Spec(AggregateKind::kSum, 1, Type::Numeric(38, 0))});
    a.Push({Ins({S("g"), I(5)}), Ins({S("g"), kNull})});
    Status st = a.TryPush({Del({S("g"), I(4)})});
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
    EXPECT_NE(st.message().find("group ('g')"), std::string::npos) << st.ToString();
  }
}

TEST(AggregateTest, RejectsBadPlansAndBatches) {
  const std::vector<Type> in = {Type::Text(), Type::Bigint(), Type::Double()};
  auto code = [&](std::vector<int> groups, AggregateSpec spec) {
    return AggregateOperator::Make(in, std::move(groups), {spec}).status().code();
  };
  const StatusCode bad = StatusCode::kInvalidArgument;
  EXPECT_EQ(code({3}, CountStar()), bad);
  EXPECT_EQ(code({}, Spec(AggregateKind::kCountStar, -1, Type::Bigint(), true)), bad);
  EXPECT_EQ(code({}, Spec(AggregateKind::kCount, 7, Type::Bigint())), bad);
  EXPECT_EQ(code({}, Spec(AggregateKind::kCount, 0, Type::Numeric(38, 0))), bad);
  EXPECT_EQ(code({}, Spec(AggregateKind::kSum, 0, Type::Numeric(38, 0))), bad);  // text
  EXPECT_EQ(code({}, Spec(AggregateKind::kSum, 1, Type::Bigint())), bad);
  EXPECT_EQ(code({}, Spec(AggregateKind::kAvg, 2, Type::Numeric(38, 6))), bad);
  EXPECT_EQ(code({}, Spec(AggregateKind::kMin, 1, Type::Double())), bad);
  EXPECT_EQ(code({0}, Spec(AggregateKind::kMax, 0, Type::Text())), StatusCode::kOk);

  Aggregate a = RevenueHourly();
  Batch wrong_in = MakeBatch({Type::Text()});
  Batch out = MakeBatch(a.op->output_types());
  SideOutput side;
  EXPECT_EQ(a.op->Push(wrong_in, &out, &side).code(), bad);
  Batch wrong_out = MakeBatch({Type::Text()});
  EXPECT_EQ(a.op->Push(MakeInput(kRevenueIn, {Ins(Sale(1, 1, "c"))}), &wrong_out, &side).code(),
            bad);
  EXPECT_EQ(a.op->num_groups(), 0u);
}

// --- State encoding and merging ---

const std::vector<Type> kWideIn = {Type::Text(), Type::Bigint(), Type::Numeric(18, 2),
                                   Type::Double(), Type::Text()};

std::vector<AggregateSpec> WideAggs() {
  return {CountStar(),
          Spec(AggregateKind::kCount, 1, Type::Bigint()),
          Spec(AggregateKind::kSum, 2, Type::Numeric(38, 2)),
          Spec(AggregateKind::kAvg, 3, Type::Double()),
          Spec(AggregateKind::kMin, 4, Type::Text()),
          Spec(AggregateKind::kCount, 4, Type::Bigint(), true),
          Spec(AggregateKind::kSum, 1, Type::Numeric(38, 0), true),
          Spec(AggregateKind::kAvg, 3, Type::Double(), true)};
}

Aggregate Wide() {
  return Aggregate(kWideIn, {0}, WideAggs());
}

std::string SampleState() {
  Aggregate a = Wide();
  a.Push({Ins({S("a"), I(1), N(150), Value::Double(2.5), S("x")}),
          Ins({S("a"), I(2), N(-50), Value::Double(0.5), S("y")}, 2),
          Ins({kNull, kNull, kNull, kNull, kNull})});
  std::string s;
  EXPECT_TRUE(a.op->SaveState(&s).ok());
  return s;
}

TEST(AggregateTest, StateRoundTripsExactly) {
  const std::string saved = SampleState();
  Aggregate a = Wide();
  ASSERT_TRUE(a.op->LoadState(saved).ok());
  EXPECT_EQ(a.op->num_groups(), 2u);
  std::string again;
  ASSERT_TRUE(a.op->SaveState(&again).ok());
  EXPECT_EQ(again, saved);
  EXPECT_EQ(a.op->LoadState(saved).code(), StatusCode::kFailedPrecondition);
  // The loaded state keeps aggregating.
  auto changes = a.Push({Del({S("a"), I(2), N(-50), Value::Double(0.5), S("y")}, 2)});
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].first, (Row{S("a"), I(1), I(1), N(150), Value::Double(2.5), S("x"), I(1),
                                   N(1), Value::Double(2.5)}));
}

TEST(AggregateTest, CorruptStateIsRejected) {
  const std::string saved = SampleState();
  for (size_t i = 0; i < saved.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::string bad = saved;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      Aggregate a = Wide();
      Status st = a.op->LoadState(bad);
      EXPECT_TRUE(st.IsCorruption()) << "byte " << i << ": " << st.ToString();
      EXPECT_EQ(a.op->num_groups(), 0u);
    }
  }
  for (size_t n = 0; n < saved.size(); ++n) {
    Aggregate a = Wide();
    EXPECT_TRUE(a.op->LoadState(saved.substr(0, n)).IsCorruption()) << n;
  }
}

TEST(AggregateTest, StructurallyBadStateWithAValidChecksumIsRejected) {
  const std::string saved = SampleState();
  // Re-seal every single-byte change of the body: the checksum passes, and the decoder must
  // either reject the bytes or read a state that saves back to exactly those bytes.
  int rejected = 0;
  const size_t body = 4 + 1 + 9 + 1 + 4;  // "STRS", kind "aggregate", version, fingerprint
  for (size_t i = body; i + 4 < saved.size(); ++i) {
    std::string bad = saved.substr(0, saved.size() - 4);
    bad[i] = static_cast<char>(bad[i] + 1);
    PutFixed32(&bad, crc32c::Value(bad));
    Aggregate a = Wide();
    Status st = a.op->LoadState(bad);
    if (!st.ok()) {
      EXPECT_TRUE(st.IsCorruption()) << st.ToString();
      ++rejected;
      continue;
    }
    std::string again;
    ASSERT_TRUE(a.op->SaveState(&again).ok());
    EXPECT_EQ(again, bad) << "byte " << i;
  }
  EXPECT_GT(rejected, 0);
}

TEST(AggregateTest, StateOfAnotherPlanIsRefused) {
  const std::string saved = SampleState();
  std::vector<AggregateSpec> aggs = WideAggs();
  aggs[5].distinct = false;
  Aggregate other(kWideIn, {0}, aggs);
  EXPECT_EQ(other.op->LoadState(saved).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(other.op->Merge(*Wide().op).code(), StatusCode::kFailedPrecondition);
}

TEST(AggregateTest, MergeAddsStates) {
  Aggregate a = RevenueHourly(), b = RevenueHourly(), both = RevenueHourly();
  std::vector<ChangeRow> first = {Ins(Sale(1, 100, "c1")), Ins(Sale(2, 5, "c2"))};
  std::vector<ChangeRow> second = {Ins(Sale(1, 300, "c1")), Ins(Sale(3, 7, "c3"))};
  a.Push(first);
  b.Push(second);
  both.Push(first);
  both.Push(second);
  ASSERT_TRUE(a.op->Merge(*b.op).ok());
  std::string merged, direct;
  ASSERT_TRUE(a.op->SaveState(&merged).ok());
  ASSERT_TRUE(both.op->SaveState(&direct).ok());
  EXPECT_EQ(merged, direct);
}

// --- Determinism property: a random valid changelog ---

// Input: g text, k bigint (group key); x bigint, y numeric(18,2), z double (multiples of
// 0.5, so double sums are exact in any order), t text. Any argument may be NULL.
const std::vector<Type> kIn = {Type::Text(),         Type::Bigint(), Type::Bigint(),
                               Type::Numeric(18, 2), Type::Double(), Type::Text()};
enum Col { kG, kK, kX, kY, kZ, kT };

std::vector<AggregateSpec> PropertyAggs() {
  using K = AggregateKind;
  return {CountStar(),
          Spec(K::kCount, kX, Type::Bigint()),
          Spec(K::kSum, kX, Type::Numeric(38, 0)),
          Spec(K::kAvg, kX, Type::Numeric(38, 6)),
          Spec(K::kMin, kX, Type::Bigint()),
          Spec(K::kMax, kX, Type::Bigint()),
          Spec(K::kSum, kY, Type::Numeric(38, 2)),
          Spec(K::kAvg, kY, Type::Numeric(38, 6)),
          Spec(K::kCount, kT, Type::Bigint(), true),
          Spec(K::kMin, kT, Type::Text()),
          Spec(K::kMax, kT, Type::Text()),
          Spec(K::kSum, kX, Type::Numeric(38, 0), true),
          Spec(K::kAvg, kY, Type::Numeric(38, 6), true),
          Spec(K::kSum, kZ, Type::Double()),
          Spec(K::kAvg, kZ, Type::Double()),
          Spec(K::kMin, kZ, Type::Double()),
          Spec(K::kMax, kZ, Type::Double()),
          Spec(K::kCount, kZ, Type::Bigint(), true),
          Spec(K::kAvg, kZ, Type::Double(), true)};
}

// Per partition, a changelog in which every retraction follows the insertion it retracts.
std::vector<std::vector<ChangeRow>> RandomChangelog(std::mt19937_64& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const char* texts[] = {"p", "q", "r", "é"};
  auto random_row = [&]() -> Row {
    Value z;
    if (pick(6) != 0) z = Value::Double(pick(9) == 0 ? -0.0 : (pick(9) - 4) * 0.5);
    return {pick(4) == 0 ? Value() : S(pick(2) ? "a" : "b"),
            I(pick(2)),
            pick(5) == 0 ? Value() : I(pick(11) - 5),
            pick(5) == 0 ? Value() : N(pick(1001) - 500),
            z,
            pick(5) == 0 ? Value() : S(texts[pick(4)])};
  };
  std::vector<std::vector<ChangeRow>> partitions(1 + pick(3));
  for (auto& p : partitions) {
    std::vector<ChangeRow> live;
    const int ops = pick(24);
    for (int i = 0; i < ops; ++i) {
      if (live.empty() || pick(5) < 3) {
        ChangeRow r{random_row(), pick(10) == 0 ? 2 : 1};
        p.push_back(r);
        live.push_back(r);
        continue;
      }
      size_t j = rng() % live.size();
      p.push_back({live[j].values, -1});
      if (--live[j].weight == 0) live.erase(live.begin() + j);
    }
  }
  return partitions;
}

Int128 RoundDiv(Int128 num, Int128 den) {
  Int128 q = num / den, r = num % den;
  if (2 * (r < 0 ? -r : r) >= den) q += num < 0 ? -1 : 1;
  return q;
}

Int128 Pow10(int n) {
  Int128 p = 1;
  while (n-- > 0)
    p *= 10;
  return p;
}

Value CanonicalDouble(const Value& v) {
  return v.is_null() ? v : Value::Double(v.as_double() + 0.0);
}

// GROUP BY from scratch over the consolidated input, with plain arithmetic.
Consolidated ReferenceGroupBy(const Consolidated& input, const std::vector<int>& groups,
                              const std::vector<Type>& types,
                              const std::vector<AggregateSpec>& aggs) {
  std::map<Row, std::vector<std::pair<Row, int64_t>>, RowLess> by_group;
  for (const auto& [row, w] : input) {
    EXPECT_GT(w, 0);
    Row key;
    for (int g : groups) {
      key.push_back(types[g].id == TypeId::kDouble ? CanonicalDouble(row[g]) : row[g]);
    }
    by_group[key].emplace_back(row, w);
  }
  Consolidated out;
  for (const auto& [key, rows] : by_group) {
    Row result = key;
    for (const AggregateSpec& a : aggs) {
      int64_t count_star = 0, count = 0;
      Int128 sum = 0;
      double dsum = 0;
      std::set<Value> distinct;
      std::optional<Value> lo, hi;
      const Type& at = a.arg >= 0 ? types[a.arg] : types[0];
      const int scale = at.id == TypeId::kNumeric ? at.numeric.scale : 0;
      for (const auto& [row, w] : rows) {
        count_star += w;
        if (a.kind == AggregateKind::kCountStar || row[a.arg].is_null()) continue;
        Value v = at.id == TypeId::kDouble ? CanonicalDouble(row[a.arg]) : row[a.arg];
        count += w;
        distinct.insert(v);
        if (!lo || v < *lo) lo = v;
        if (!hi || *hi < v) hi = v;
        if (at.id == TypeId::kDouble) dsum += static_cast<double>(w) * v.as_double();
        if (at.id == TypeId::kBigint) sum += Int128{w} * v.as_int64();
        if (at.id == TypeId::kNumeric) sum += Int128{w} * v.as_int128();
      }
      if (a.distinct) {
        count = static_cast<int64_t>(distinct.size());
        sum = 0;
        dsum = 0;
        for (const Value& v : distinct) {
          if (at.id == TypeId::kDouble) dsum += v.as_double();
          if (at.id == TypeId::kBigint) sum += v.as_int64();
          if (at.id == TypeId::kNumeric) sum += v.as_int128();
        }
      }
      switch (a.kind) {
        case AggregateKind::kCountStar:
          result.push_back(I(count_star));
          break;
        case AggregateKind::kCount:
          result.push_back(I(count));
          break;
        case AggregateKind::kMin:
          result.push_back(lo ? *lo : Value());
          break;
        case AggregateKind::kMax:
          result.push_back(hi ? *hi : Value());
          break;
        case AggregateKind::kSum:
          if (count == 0) {
            result.push_back(Value());
          } else if (at.id == TypeId::kDouble) {
            result.push_back(Value::Double(dsum));
          } else {
            result.push_back(N(sum * Pow10(a.result_type.numeric.scale - scale)));
          }
          break;
        case AggregateKind::kAvg:
          if (count == 0) {
            result.push_back(Value());
          } else if (at.id == TypeId::kDouble) {
            result.push_back(Value::Double(dsum / static_cast<double>(count)));
          } else {
            result.push_back(N(RoundDiv(sum * Pow10(a.result_type.numeric.scale - scale), count)));
          }
          break;
      }
    }
    out[result] = 1;
  }
  return out;
}

struct AggRun {
  std::string state;
  Consolidated output;
  Consolidated snapshot;
};

std::unique_ptr<AggregateOperator> MakeProperty() {
  return std::move(AggregateOperator::Make(kIn, {kG, kK}, PropertyAggs())).value();
}

// Checks that the output so far is a valid changelog of a table keyed by the group key:
// every row's weight is 1, and no two live rows share a group (rows sort by their leading
// key columns, so such rows would be neighbours).
void ExpectKeyedTable(const Consolidated& c, size_t key_columns) {
  const Row* previous = nullptr;
  for (const auto& [row, w] : c) {
    EXPECT_EQ(w, 1);
    if (previous != nullptr) {
      EXPECT_FALSE(std::equal(row.begin(), row.begin() + key_columns, previous->begin()))
          << "two rows for one group";
    }
    previous = &row;
  }
}

AggRun RunAggregate(const std::vector<std::vector<ChangeRow>>& batches,
                    size_t restart_at = SIZE_MAX) {
  auto op = MakeProperty();
  AggRun run;
  Batch out = MakeBatch(op->output_types());  // one for the run: fewer arenas under ASan
  for (size_t i = 0; i < batches.size(); ++i) {
    if (i == restart_at) {
      std::string saved;
      EXPECT_TRUE(op->SaveState(&saved).ok());
      op = MakeProperty();
      Status st = op->LoadState(saved);
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    const size_t before = out.num_rows();
    SideOutput side;
    Status st = op->Push(MakeInput(kIn, batches[i], false), &out, &side);
    EXPECT_TRUE(st.ok()) << st.ToString();
    strata::testing::AddTo(out, &run.output, before);
    ExpectKeyedTable(run.output, 2);
  }
  EXPECT_TRUE(op->SaveState(&run.state).ok());
  Batch snap = MakeBatch(op->output_types());
  EXPECT_TRUE(op->Snapshot(&snap).ok());
  run.snapshot = strata::testing::Consolidate(snap);
  return run;
}

std::vector<std::vector<ChangeRow>> Cut(const std::vector<ChangeRow>& rows, std::mt19937_64& rng,
                                        size_t max_size) {
  std::vector<std::vector<ChangeRow>> out;
  for (size_t i = 0; i < rows.size();) {
    size_t n = 1 + rng() % max_size;
    out.emplace_back(rows.begin() + i, rows.begin() + std::min(rows.size(), i + n));
    i += n;
  }
  return out;
}

std::vector<ChangeRow> Concat(const std::vector<std::vector<ChangeRow>>& partitions) {
  std::vector<ChangeRow> out;
  for (const auto& p : partitions)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<ChangeRow> Interleave(const std::vector<std::vector<ChangeRow>>& partitions,
                                  std::mt19937_64& rng) {
  std::vector<size_t> pos(partitions.size());
  std::vector<ChangeRow> out;
  size_t left = Concat(partitions).size();
  while (left > 0) {
    size_t p = rng() % partitions.size();
    if (pos[p] == partitions[p].size()) continue;
    out.push_back(partitions[p][pos[p]++]);
    --left;
  }
  return out;
}

TEST(AggregatePropertyTest, StateAndOutputDependOnlyOnTheConsolidatedInput) {
  constexpr int kCases = 300;
  for (int c = 0; c < kCases; ++c) {
    SCOPED_TRACE("case " + std::to_string(c));
    std::mt19937_64 rng(c);
    const auto partitions = RandomChangelog(rng);
    const std::vector<ChangeRow> all = Concat(partitions);
    Consolidated input;
    for (const ChangeRow& r : all) {
      auto [it, _] = input.try_emplace(r.values, 0);
      if ((it->second += r.weight) == 0) input.erase(it);
    }
    const Consolidated expected = ReferenceGroupBy(input, {kG, kK}, kIn, PropertyAggs());

    AggRun one = RunAggregate({all});                                       // (a)
    AggRun singles = RunAggregate(Cut(all, rng, 1));                        // (b)
    AggRun mixed = RunAggregate(Cut(Interleave(partitions, rng), rng, 8));  // (c)
    auto restart_batches = Cut(Interleave(partitions, rng), rng, 5);        // (d)
    AggRun restarted = RunAggregate(restart_batches, rng() % (restart_batches.size() + 1));

    const std::vector<Type> out_types = MakeProperty()->output_types();
    EXPECT_EQ(one.output, expected) << strata::testing::ToString(one.output, out_types) << "vs\n"
                                    << strata::testing::ToString(expected, out_types);
    for (const AggRun* r : {&one, &singles, &mixed, &restarted}) {
      EXPECT_EQ(r->state, one.state);
      EXPECT_EQ(r->output, expected);
      EXPECT_EQ(r->snapshot, expected);
    }

    // Merge: odd and even partitions aggregated apart, then merged (Lambda's ⊕).
    auto left = MakeProperty(), right = MakeProperty();
    for (size_t p = 0; p < partitions.size(); ++p) {
      Batch out = MakeBatch(left->output_types());
      SideOutput side;
      auto* op = p % 2 == 0 ? left.get() : right.get();
      ASSERT_TRUE(op->Push(MakeInput(kIn, partitions[p], false), &out, &side).ok());
    }
    ASSERT_TRUE(left->Merge(*right).ok());
    std::string merged;
    ASSERT_TRUE(left->SaveState(&merged).ok());
    EXPECT_EQ(merged, one.state);
    if (HasFailure()) break;
  }
}

// --- Determinism property of the pipeline: upsert → filter/project → aggregate ---

// silver.orders: order_id, customer_id, amount, status, event_ts.
const std::vector<Type> kOrders = {Type::Text(), Type::Text(), Type::Numeric(18, 2), Type::Text(),
                                   Type::Timestamp()};

std::vector<std::vector<ChangeRow>> RandomOrders(std::mt19937_64& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  std::vector<std::vector<ChangeRow>> partitions(1 + pick(4));
  std::vector<uint64_t> next(partitions.size());
  const int orders = 1 + pick(8);
  const int records = pick(36);
  for (int i = 0; i < records; ++i) {
    int o = pick(orders);
    size_t p = pick(6) == 0 ? pick(partitions.size()) : o % partitions.size();
    if (pick(10) == 0 && !partitions[p].empty()) {  // redelivery
      partitions[p].push_back(partitions[p][pick(partitions[p].size())]);
      continue;
    }
    Row row = {S("o" + std::to_string(o)), S("c" + std::to_string(pick(4))),
               pick(8) == 0 ? Value() : N(pick(100000)), S(pick(3) ? "completed" : "created"),
               pick(10) == 0 ? Value() : I(pick(12) * (kHour / 4))};
    int64_t weight = pick(6) == 0 ? -1 : 1;
    partitions[p].push_back({row, weight, static_cast<uint32_t>(p), next[p]++});
  }
  return partitions;
}

// The planner's part of gold.revenue_hourly: WHERE status = 'completed', then
// (date_trunc('hour', event_ts), amount, customer_id).
Batch ProjectCompleted(const Batch& orders, size_t from) {
  Batch out = MakeBatch(kRevenueIn);
  for (size_t r = from; r < orders.num_rows(); ++r) {
    Row row = orders.Row(r);
    if (row[3].is_null() || row[3].as_string() != "completed") continue;
    Value hour = row[4].is_null() ? Value() : I(row[4].as_int64() / kHour * kHour);
    out.columns[0].AppendValue(hour);
    out.columns[1].AppendValue(row[2]);
    out.columns[2].AppendValue(row[1]);
    out.weights.push_back(orders.weights[r]);
  }
  return out;
}

std::vector<AggregateSpec> RevenueAggs() {
  return {Spec(AggregateKind::kSum, 1, Type::Numeric(38, 2)),
          CountStar(),
          Spec(AggregateKind::kCount, 2, Type::Bigint(), true),
          Spec(AggregateKind::kAvg, 1, Type::Numeric(38, 6)),
          Spec(AggregateKind::kMin, 1, Type::Numeric(18, 2)),
          Spec(AggregateKind::kMax, 1, Type::Numeric(18, 2)),
          Spec(AggregateKind::kCount, 1, Type::Bigint())};
}

struct Pipeline {
  std::unique_ptr<UpsertOperator> upsert = std::move(UpsertOperator::Make(kOrders, {0}, 4)).value();
  std::unique_ptr<AggregateOperator> aggregate =
      std::move(AggregateOperator::Make(kRevenueIn, {0}, RevenueAggs())).value();
};

AggRun RunPipeline(const std::vector<std::vector<ChangeRow>>& batches,
                   size_t restart_at = SIZE_MAX) {
  auto p = std::make_unique<Pipeline>();
  AggRun run;
  Batch silver = MakeBatch(kOrders);
  Batch gold = MakeBatch(p->aggregate->output_types());
  for (size_t i = 0; i < batches.size(); ++i) {
    if (i == restart_at) {
      std::string u, a;
      EXPECT_TRUE(p->upsert->SaveState(&u).ok());
      EXPECT_TRUE(p->aggregate->SaveState(&a).ok());
      p = std::make_unique<Pipeline>();
      EXPECT_TRUE(p->upsert->LoadState(u).ok());
      EXPECT_TRUE(p->aggregate->LoadState(a).ok());
    }
    SideOutput side;
    const size_t silver_before = silver.num_rows();
    EXPECT_TRUE(p->upsert->Push(MakeInput(kOrders, batches[i]), &silver, &side).ok());
    const size_t before = gold.num_rows();
    Status st = p->aggregate->Push(ProjectCompleted(silver, silver_before), &gold, &side);
    EXPECT_TRUE(st.ok()) << st.ToString();
    strata::testing::AddTo(gold, &run.output, before);
    ExpectKeyedTable(run.output, 1);
  }
  std::string u;
  EXPECT_TRUE(p->upsert->SaveState(&u).ok());
  EXPECT_TRUE(p->aggregate->SaveState(&run.state).ok());
  run.state += u;
  return run;
}

// The visible silver rows, from scratch: per order, the greatest version by (event_ts,
// partition, offset, delete-after-version).
Consolidated ReferenceSilver(const std::vector<ChangeRow>& all) {
  std::map<Value, const ChangeRow*> winners;
  auto greater = [](const ChangeRow& a, const ChangeRow& b) {
    if (int c = Compare(a.values[4], b.values[4])) return c > 0;
    if (a.partition != b.partition) return a.partition > b.partition;
    if (a.offset != b.offset) return a.offset > b.offset;
    return (a.weight < 0) > (b.weight < 0);
  };
  for (const ChangeRow& r : all) {
    const ChangeRow*& w = winners[r.values[0]];
    if (w == nullptr || greater(r, *w)) w = &r;
  }
  Consolidated out;
  for (const auto& [key, w] : winners) {
    if (w->weight > 0) out[w->values] = 1;
  }
  return out;
}

TEST(AggregatePropertyTest, UpsertThenAggregateIsDeterministic) {
  constexpr int kCases = 300;
  for (int c = 0; c < kCases; ++c) {
    SCOPED_TRACE("case " + std::to_string(c));
    std::mt19937_64 rng(1000 + c);
    const auto partitions = RandomOrders(rng);
    const std::vector<ChangeRow> all = Concat(partitions);

    Consolidated revenue_input;
    for (const auto& [row, w] : ReferenceSilver(all)) {
      if (row[3].as_string() != "completed") continue;
      Value hour = row[4].is_null() ? Value() : I(row[4].as_int64() / kHour * kHour);
      revenue_input[{hour, row[2], row[1]}] += w;
    }
    const Consolidated expected = ReferenceGroupBy(revenue_input, {0}, kRevenueIn, RevenueAggs());

    AggRun one = RunPipeline({all});
    AggRun singles = RunPipeline(Cut(all, rng, 1));
    AggRun mixed = RunPipeline(Cut(Interleave(partitions, rng), rng, 7));
    auto restart_batches = Cut(Interleave(partitions, rng), rng, 4);
    AggRun restarted = RunPipeline(restart_batches, rng() % (restart_batches.size() + 1));
    std::vector<ChangeRow> shuffled = all;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    AggRun any_order = RunPipeline(Cut(shuffled, rng, 6));

    EXPECT_EQ(one.output, expected);
    for (const AggRun* r : {&singles, &mixed, &restarted, &any_order}) {
      EXPECT_EQ(r->state, one.state);
      EXPECT_EQ(r->output, expected);
    }
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace strata::exec
