// LateOperator: a row is late when its window's close plus the allowed lateness is at or
// before its record's watermark at arrival; streaming mode leaves late rows (and retractions
// of them) out, authoritative mode counts them; the late table lists a hopping row once per
// window it is late for, and a source held now takes entries back; the state round-trips.
#include "exec/late.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "exec/operator.h"
#include "exec/window.h"
#include "testing/bind_pipeline.h"

namespace strata::exec {
namespace {

constexpr Micros kS = 1'000'000;

// silver.s (id text, ts timestamp) and gold.v over it with `window` and 2 s of lateness.
std::unique_ptr<sql::Pipeline> Bind(const std::string& window) {
  const std::string text = R"(
CREATE TABLE bronze.b (id text, ts timestamp)
WITH (layer = 'bronze', connector = 'http', partitions = 1, key = 'id',
      watermark = 'ts - 0 seconds');
CREATE TABLE silver.s (id text, ts timestamp) WITH (layer = 'silver');
INSERT INTO silver.s SELECT id, ts FROM bronze.b;
CREATE MATERIALIZED VIEW gold.v WITH (allowed_lateness = '2 seconds') AS
SELECT window_start, count(*) AS n FROM silver.s GROUP BY )" +
                           window + ";\n";
  return testing::BindPipeline(text);
}

const std::vector<Type> kWindowed = {Type::Text(), Type::Timestamp(), Type::Timestamp(),
                                     Type::Timestamp(), Type::Timestamp()};

// Windowed rows of one-minute tumbling windows: (id, ts, window_start, window_end, ts); the
// row's record is at `offset`.
struct In {
  std::string id;
  Micros ts;
  int64_t weight;
  uint64_t offset;
};
Batch Windowed(const std::vector<In>& rows) {
  Batch b = MakeBatch(kWindowed);
  for (const In& r : rows) {
    const Micros start = WindowFloor(r.ts, 60 * kS);
    b.columns[0].AppendString(r.id);
    b.columns[1].AppendInt64(r.ts);
    b.columns[2].AppendInt64(start);
    b.columns[3].AppendInt64(start + 60 * kS);
    b.columns[4].AppendInt64(r.ts);
    b.weights.push_back(r.weight);
    b.origins.push_back(RowOrigin{0, r.offset, {}});
  }
  return b;
}

std::vector<std::string> Ids(const Batch& b) {
  std::vector<std::string> out;
  for (size_t r = 0; r < b.num_rows(); ++r)
    out.push_back(std::string(b.columns[0].strings()[r]) + (b.weights[r] < 0 ? "-" : "+"));
  return out;
}

TEST(LateOperatorTest, AWindowIsClosedAtItsEndPlusTheLateness) {
  auto p = Bind("tumble(ts, '1 minute')");
  ASSERT_TRUE(p);
  LateOperator late(p->gold[0], kWindowed);
  EXPECT_FALSE(late.IsLate(10 * kS, 60 * kS, std::nullopt));
  EXPECT_FALSE(late.IsLate(10 * kS, 60 * kS, 62 * kS - 1));
  EXPECT_TRUE(late.IsLate(10 * kS, 60 * kS, 62 * kS));
  auto session = Bind("session(ts, '10 seconds')");
  ASSERT_TRUE(session);
  LateOperator by_gap(session->gold[0], kWindowed);
  EXPECT_FALSE(by_gap.IsLate(10 * kS, 0, 22 * kS - 1));  // ts + gap + lateness
  EXPECT_TRUE(by_gap.IsLate(10 * kS, 0, 22 * kS));
}

TEST(LateOperatorTest, StreamingLeavesLateRowsAndTheirRetractionsOut) {
  auto p = Bind("tumble(ts, '1 minute')");
  ASSERT_TRUE(p);
  // Records at offsets 0..: the watermark at arrival of offset o is given here.
  std::map<uint64_t, Micros> watermark = {{1, 70 * kS}, {2, 70 * kS}, {3, 70 * kS}};
  auto of = [&](const RowOrigin& o) -> std::optional<Micros> {
    auto it = watermark.find(o.offset);
    if (it == watermark.end()) return std::nullopt;
    return it->second;
  };
  for (bool include : {false, true}) {
    LateOperator late(p->gold[0], kWindowed);
    // a: on time (no watermark yet); b: its minute [0, 60) closed at 62 <= 70: late; c: the
    // minute [60, 120) is open.
    Batch first = Windowed({{"a", 10 * kS, 1, 0}, {"b", 20 * kS, 1, 1}, {"c", 65 * kS, 1, 2}});
    late.Apply(&first, include, true, of);
    const std::vector<std::string> all = {"a+", "b+", "c+"}, on_time = {"a+", "c+"};
    EXPECT_EQ(Ids(first), include ? all : on_time);
    // Retractions of a (on time) and b (late): b's follows it out, even in a push without a
    // watermark.
    Batch second = Windowed({{"a", 10 * kS, -1, 0}, {"b", 20 * kS, -1, 1}});
    late.Apply(&second, include, false, of);
    const std::vector<std::string> both = {"a-", "b-"}, a_only = {"a-"};
    EXPECT_EQ(Ids(second), include ? both : a_only);
  }
}

TEST(LateOperatorTest, TheLateTableListsEachWindowAndTakesBackWhatIsHeldNow) {
  auto p = Bind("hop(ts, '1 minute', '20 seconds')");
  ASSERT_TRUE(p);
  LateOperator late(p->gold[0], kWindowed);
  // ts = 65 s is in the windows starting at 20, 40 and 60 s (ending 80, 100, 120); with the
  // watermark at 99 s only the first has closed (80 + 2 <= 99 < 100 + 2).
  Batch rows = MakeBatch({Type::Text(), Type::Timestamp()});
  rows.columns[0].AppendString("x");
  rows.columns[1].AppendInt64(65 * kS);
  rows.weights.push_back(1);
  rows.origins.push_back(RowOrigin{0, 7, {}});
  Column time(Type::Timestamp());
  time.AppendInt64(65 * kS);
  auto of = [](const RowOrigin&) -> std::optional<Micros> { return 99 * kS; };
  late.List(rows, time, {1}, "bronze.b", /*held_now=*/true, of);
  EXPECT_EQ(late.counters().rows, 3u);
  EXPECT_EQ(late.counters().late, 1u);
  ASSERT_EQ(late.records().size(), 1u);
  const LateRecord& r = late.records()[0];
  EXPECT_EQ(r.source_table, "bronze.b");
  EXPECT_EQ(r.offset, 7u);
  EXPECT_EQ(r.window_start, 20 * kS);
  EXPECT_EQ(r.window_end, 80 * kS);
  EXPECT_EQ(r.watermark, 99 * kS);
  EXPECT_EQ(r.reason, "window closed: window end + allowed_lateness <= watermark");
  // Not considered (the view's filter): nothing listed.
  late.List(rows, time, {0}, "bronze.b", true, of);
  EXPECT_EQ(late.counters().rows, 3u);

  // The state round-trips; a cut one is refused.
  std::string state;
  late.Save(&state);
  LateOperator back(p->gold[0], kWindowed);
  Decoder d(state);
  ASSERT_TRUE(back.Load(&d, std::nullopt).ok());
  EXPECT_TRUE(d.empty());
  std::string again;
  back.Save(&again);
  EXPECT_EQ(again, state);
  LateOperator cut(p->gold[0], kWindowed);
  Decoder short_state(std::string_view(state).substr(0, state.size() - 2));
  EXPECT_EQ(cut.Load(&short_state, std::nullopt).code(), StatusCode::kCorruption);

  // Held now: the row's retraction takes its entry back. From bronze it would not.
  rows.weights[0] = -1;
  late.List(rows, time, {1}, "bronze.b", /*held_now=*/false, of);
  EXPECT_EQ(late.records().size(), 1u);
  late.List(rows, time, {1}, "bronze.b", /*held_now=*/true, of);
  EXPECT_TRUE(late.records().empty());
  EXPECT_EQ(late.counters().rows, 0u);
  EXPECT_EQ(late.counters().late, 0u);
}

}  // namespace
}  // namespace strata::exec
