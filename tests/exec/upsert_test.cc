#include "exec/upsert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "common/coding.h"
#include "common/crc32c.h"
#include "testing/changelog.h"

namespace strata::exec {
namespace {

using strata::testing::ChangeRow;
using strata::testing::Consolidated;
using strata::testing::MakeInput;
using strata::testing::Row;
using strata::testing::Rows;

// silver.orders of DESIGN.md §1: order_id, customer_id, amount, status, event_ts.
const std::vector<Type> kOrders = {Type::Text(), Type::Text(), Type::Numeric(18, 2), Type::Text(),
                                   Type::Timestamp()};
constexpr int kEventTs = 4;

Row Order(const std::string& id, const std::string& status, int64_t ts, Int128 cents = 1250,
          const std::string& customer = "c1") {
  return {Value::String(id), Value::String(customer), Value::Int128(cents), Value::String(status),
          Value::Int64(ts)};
}

Row OrderNullTs(const std::string& id, const std::string& status) {
  Row r = Order(id, status, 0);
  r[kEventTs] = Value::Null();
  return r;
}

// A CDC delete: key and dedupe column only.
Row Delete(const std::string& id, int64_t ts) {
  return {Value::String(id), Value(), Value(), Value(), Value::Int64(ts)};
}

ChangeRow V(Row r, uint32_t partition, uint64_t offset) {
  return {std::move(r), +1, partition, offset};
}
ChangeRow D(Row r, uint32_t partition, uint64_t offset) {
  return {std::move(r), -1, partition, offset};
}

class Upsert {
 public:
  explicit Upsert(std::optional<int> dedupe = kEventTs, std::vector<int> keys = {0},
                  std::vector<Type> types = kOrders)
      : types_(types) {
    auto made = UpsertOperator::Make(std::move(types), std::move(keys), dedupe);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    op = std::move(made).value();
  }
  std::vector<std::pair<Row, int64_t>> Push(const std::vector<ChangeRow>& rows) {
    Batch out = MakeBatch(types_);
    SideOutput side;
    Status st = op->Push(MakeInput(types_, rows), &out, &side);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_TRUE(side.quarantine.empty());
    return Rows(out);
  }
  std::unique_ptr<UpsertOperator> op;

 private:
  std::vector<Type> types_;
};

using Changes = std::vector<std::pair<Row, int64_t>>;

TEST(UpsertTest, FirstVersionIsInserted) {
  Upsert u;
  EXPECT_EQ(u.Push({V(Order("A1", "created", 10), 0, 0)}),
            (Changes{{Order("A1", "created", 10), 1}}));
  EXPECT_EQ(u.op->num_keys(), 1u);
}

TEST(UpsertTest, StatusUpdateRetractsTheOldVersion) {
  Upsert u;
  u.Push({V(Order("A1", "created", 10), 0, 0)});
  EXPECT_EQ(u.Push({V(Order("A1", "completed", 20), 0, 1)}),
            (Changes{{Order("A1", "created", 10), -1}, {Order("A1", "completed", 20), 1}}));
}

TEST(UpsertTest, DuplicatesEmitNothing) {
  Upsert u;
  u.Push({V(Order("A1", "created", 10), 0, 0)});
  // The same record delivered again (same origin), and an identical record at a later offset.
  EXPECT_EQ(u.Push({V(Order("A1", "created", 10), 0, 0)}), Changes{});
  EXPECT_EQ(u.Push({V(Order("A1", "created", 10), 0, 7)}), Changes{});
  EXPECT_EQ(u.op->num_keys(), 1u);
}

TEST(UpsertTest, OutOfOrderOlderVersionLoses) {
  Upsert u;
  u.Push({V(Order("A1", "completed", 20), 0, 0)});
  // An older event_ts arrives later (a higher offset): dedupe_order decides, not arrival.
  EXPECT_EQ(u.Push({V(Order("A1", "created", 10), 0, 1)}), Changes{});
}

TEST(UpsertTest, OneBatchEmitsOnlyTheNetChange) {
  Upsert u;
  u.Push({V(Order("A1", "created", 10), 0, 0)});
  EXPECT_EQ(u.Push({V(Order("A1", "paid", 15), 0, 1), V(Order("A1", "completed", 20), 0, 2),
                    V(Order("A1", "created", 5), 0, 3), V(Order("B2", "created", 1), 0, 4)}),
            (Changes{{Order("A1", "created", 10), -1},
                     {Order("A1", "completed", 20), 1},
                     {Order("B2", "created", 1), 1}}));
  // A batch whose versions end where they started emits nothing.
  EXPECT_EQ(u.Push({V(Order("B2", "created", 1), 0, 4)}), Changes{});
}

TEST(UpsertTest, DeleteRetractsAndIsRemembered) {
  Upsert u;
  u.Push({V(Order("A1", "created", 10), 0, 0)});
  EXPECT_EQ(u.Push({D(Delete("A1", 30), 0, 1)}), (Changes{{Order("A1", "created", 10), -1}}));
  // An update older than the delete arrives late: it stays hidden.
  EXPECT_EQ(u.Push({V(Order("A1", "completed", 20), 0, 2)}), Changes{});
  // A newer version resurrects the key.
  EXPECT_EQ(u.Push({V(Order("A1", "reopened", 40), 0, 3)}),
            (Changes{{Order("A1", "reopened", 40), 1}}));
  // A delete of a key never seen emits nothing but is kept.
  EXPECT_EQ(u.Push({D(Delete("Z9", 5), 1, 0)}), Changes{});
  EXPECT_EQ(u.Push({V(Order("Z9", "created", 4), 1, 1)}), Changes{});
  EXPECT_EQ(u.op->num_keys(), 2u);
}

TEST(UpsertTest, DeleteAndInsertInOneBatch) {
  Upsert u;
  u.Push({V(Order("A1", "created", 10), 0, 0)});
  EXPECT_EQ(u.Push({D(Delete("A1", 30), 0, 1), V(Order("A1", "again", 31), 0, 2)}),
            (Changes{{Order("A1", "created", 10), -1}, {Order("A1", "again", 31), 1}}));
}

TEST(UpsertTest, NullDedupeValuesOrderFirst) {
  Upsert u;
  u.Push({V(Order("A1", "created", 10), 0, 0)});
  EXPECT_EQ(u.Push({V(OrderNullTs("A1", "unknown"), 0, 9)}), Changes{});
  // Among NULLs, the log position decides.
  Upsert n;
  n.Push({V(OrderNullTs("B1", "first"), 0, 1)});
  EXPECT_EQ(n.Push({V(OrderNullTs("B1", "second"), 0, 2)}),
            (Changes{{OrderNullTs("B1", "first"), -1}, {OrderNullTs("B1", "second"), 1}}));
  EXPECT_EQ(n.Push({V(Order("B1", "dated", -5), 0, 0)}),
            (Changes{{OrderNullTs("B1", "second"), -1}, {Order("B1", "dated", -5), 1}}));
}

TEST(UpsertTest, TiesOnDedupeValueGoToTheLaterLogPosition) {
  Upsert u;
  u.Push({V(Order("A1", "p0-late", 10), 0, 50)});
  EXPECT_EQ(u.Push({V(Order("A1", "p0-early", 10), 0, 40)}), Changes{});
  // A higher partition wins over any offset of a lower one (the documented total order).
  EXPECT_EQ(u.Push({V(Order("A1", "p1", 10), 1, 0)}),
            (Changes{{Order("A1", "p0-late", 10), -1}, {Order("A1", "p1", 10), 1}}));
  // At one position a delete beats a version.
  EXPECT_EQ(u.Push({D(Delete("A1", 10), 1, 0)}), (Changes{{Order("A1", "p1", 10), -1}}));
}

TEST(UpsertTest, RowsSharingAnOriginAreOrderedByTheirBytes) {
  std::vector<ChangeRow> rows = {V(Order("A1", "x", 10, 100), 0, 5),
                                 V(Order("A1", "y", 10, 100), 0, 5)};
  Upsert forward, backward;
  forward.Push({rows[0]});
  forward.Push({rows[1]});
  backward.Push({rows[1]});
  backward.Push({rows[0]});
  std::string a, b;
  ASSERT_TRUE(forward.op->SaveState(&a).ok());
  ASSERT_TRUE(backward.op->SaveState(&b).ok());
  EXPECT_EQ(a, b);
}

TEST(UpsertTest, WithoutDedupeTheLatestPositionWins) {
  Upsert u(std::nullopt);
  u.Push({V(Order("A1", "b", 99), 0, 2)});
  EXPECT_EQ(u.Push({V(Order("A1", "a", 1), 0, 1)}), Changes{});
  EXPECT_EQ(u.Push({V(Order("A1", "c", 1), 0, 3)}),
            (Changes{{Order("A1", "b", 99), -1}, {Order("A1", "c", 1), 1}}));
}

TEST(UpsertTest, CompositeKeysAndCanonicalDoubles) {
  std::vector<Type> types = {Type::Double(), Type::Text(), Type::Bigint()};
  Upsert u(2, {0, 1}, types);
  Row neg = {Value::Double(-0.0), Value::String("k"), Value::Int64(1)};
  Row pos = {Value::Double(0.0), Value::String("k"), Value::Int64(2)};
  Row other = {Value::Double(0.0), Value::String("j"), Value::Int64(3)};
  u.Push({V(neg, 0, 0), V(other, 0, 1)});
  // -0.0 and 0.0 are one key: the newer version replaces the older.
  auto changes = u.Push({V(pos, 0, 2)});
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].second, -1);
  EXPECT_EQ(changes[0].first[2], Value::Int64(1));
  EXPECT_EQ(changes[1].first[2], Value::Int64(2));
  EXPECT_EQ(u.op->num_keys(), 2u);
}

TEST(UpsertTest, OutputCarriesTheOriginOfEachVersion) {
  auto op = std::move(UpsertOperator::Make(kOrders, {0}, kEventTs)).value();
  Batch out = MakeBatch(kOrders);
  SideOutput side;
  ASSERT_TRUE(op->Push(MakeInput(kOrders, {V(Order("A1", "a", 1), 2, 7)}), &out, &side).ok());
  ASSERT_TRUE(op->Push(MakeInput(kOrders, {V(Order("A1", "b", 2), 2, 9)}), &out, &side).ok());
  ASSERT_EQ(out.origins.size(), 3u);
  EXPECT_EQ(out.origins[1].offset, 7u);  // the retraction names the old version
  EXPECT_EQ(out.origins[2].offset, 9u);
  EXPECT_EQ(out.origins[2].partition, 2u);
}

TEST(UpsertTest, RejectsBadPlansAndBatches) {
  EXPECT_EQ(UpsertOperator::Make(kOrders, {}, std::nullopt).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(UpsertOperator::Make(kOrders, {5}, std::nullopt).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(UpsertOperator::Make(kOrders, {0, 0}, std::nullopt).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(UpsertOperator::Make(kOrders, {0}, 9).status().code(), StatusCode::kInvalidArgument);
  auto op = std::move(UpsertOperator::Make(kOrders, {0}, kEventTs)).value();
  Batch out = MakeBatch(kOrders);
  SideOutput side;
  Status st = op->Push(MakeInput(kOrders, {V(Order("A1", "a", 1), 0, 0)}, false), &out, &side);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  Batch wrong = MakeBatch({Type::Text()});
  EXPECT_EQ(op->Push(wrong, &out, &side).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(op->num_keys(), 0u);
}

// --- State encoding ---

std::string SampleState() {
  Upsert u;
  u.Push({V(Order("A1", "created", 10), 0, 0), V(Order("B2", "created", 11), 1, 0),
          D(Delete("C3", 12), 2, 0), V(OrderNullTs("D4", "x"), 3, 123456789)});
  std::string s;
  EXPECT_TRUE(u.op->SaveState(&s).ok());
  return s;
}

TEST(UpsertTest, StateRoundTripsExactly) {
  std::string saved = SampleState();
  Upsert u;
  ASSERT_TRUE(u.op->LoadState(saved).ok());
  EXPECT_EQ(u.op->num_keys(), 4u);
  std::string again;
  ASSERT_TRUE(u.op->SaveState(&again).ok());
  EXPECT_EQ(again, saved);
  // The loaded state behaves as the original: the tombstone still hides older versions.
  EXPECT_EQ(u.Push({V(Order("C3", "old", 5), 2, 1)}), Changes{});
  EXPECT_EQ(u.Push({V(Order("A1", "completed", 20), 0, 1)}),
            (Changes{{Order("A1", "created", 10), -1}, {Order("A1", "completed", 20), 1}}));
  // LoadState only into an empty operator.
  EXPECT_EQ(u.op->LoadState(saved).code(), StatusCode::kFailedPrecondition);
}

TEST(UpsertTest, EmptyStateRoundTrips) {
  Upsert a, b;
  std::string s;
  ASSERT_TRUE(a.op->SaveState(&s).ok());
  ASSERT_TRUE(b.op->LoadState(s).ok());
  EXPECT_EQ(b.op->num_keys(), 0u);
}

TEST(UpsertTest, CorruptStateIsRejected) {
  const std::string saved = SampleState();
  for (size_t i = 0; i < saved.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::string bad = saved;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      Upsert u;
      Status st = u.op->LoadState(bad);
      EXPECT_TRUE(st.IsCorruption()) << "byte " << i << ": " << st.ToString();
      EXPECT_EQ(u.op->num_keys(), 0u);
    }
  }
  for (size_t n = 0; n < saved.size(); ++n) {
    Upsert u;
    EXPECT_TRUE(u.op->LoadState(saved.substr(0, n)).IsCorruption()) << n;
  }
  Upsert u;
  EXPECT_TRUE(u.op->LoadState(saved + "x").IsCorruption());
}

TEST(UpsertTest, StructurallyBadStateWithAValidChecksumIsRejected) {
  std::string saved = SampleState();
  // Set an undefined flag bit on the first entry (after the container's header: "STRS",
  // the kind "upsert" length-prefixed, the version; then the fingerprint and the count)
  // and re-seal, so only the structure check can catch it.
  std::string bad = saved.substr(0, saved.size() - 4);
  const size_t entry = 4 + 1 + 6 + 1 + 4 + 1;
  bad[entry] = static_cast<char>(bad[entry] | 0x02);
  PutFixed32(&bad, crc32c::Value(bad));
  Upsert u;
  Status st = u.op->LoadState(bad);
  EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find("entry 0"), std::string::npos) << st.ToString();
}

TEST(UpsertTest, StateOfAnotherPlanIsRefused) {
  std::string saved = SampleState();
  Upsert other(std::nullopt);
  EXPECT_EQ(other.op->LoadState(saved).code(), StatusCode::kFailedPrecondition);
}

// --- Determinism property ---

// Random versions of silver rows with a composite key (order_id, line): duplicates,
// redeliveries, out-of-order event times, deletes, NULL event times, keys spread over
// partitions. Each partition's records are in log order.
struct Scenario {
  std::vector<std::vector<ChangeRow>> partitions;
  std::vector<ChangeRow> all() const {
    std::vector<ChangeRow> out;
    for (const auto& p : partitions)
      out.insert(out.end(), p.begin(), p.end());
    return out;
  }
};

const std::vector<Type> kKeyed = {Type::Text(), Type::Bigint(), Type::Text(), Type::Numeric(18, 2),
                                  Type::Timestamp()};

Scenario RandomScenario(std::mt19937_64& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  Scenario s;
  const int partitions = 1 + pick(4);
  const int keys = 1 + pick(6);
  const int records = pick(50);
  s.partitions.resize(partitions);
  std::vector<uint64_t> next_offset(partitions);
  for (auto& o : next_offset)
    o = rng() % 1000;
  for (int i = 0; i < records; ++i) {
    int p;
    if (i > 0 && pick(10) == 0) {  // a redelivery: the same record again, later in the log
      p = pick(partitions);
      if (!s.partitions[p].empty()) {
        s.partitions[p].push_back(s.partitions[p][pick(s.partitions[p].size())]);
        continue;
      }
    }
    int k = pick(keys);
    p = pick(5) == 0 ? pick(partitions) : k % partitions;
    Row row = {Value::String("o" + std::to_string(k / 2)), Value::Int64(k % 2),
               Value::String(pick(3) == 0 ? "completed" : "created"),
               pick(6) == 0 ? Value() : Value::Int128(pick(2000) - 200),
               pick(7) == 0 ? Value() : Value::Int64(pick(8))};
    int64_t weight = pick(5) == 0 ? -1 : (pick(10) == 0 ? 2 : 1);
    if (weight < 0 && pick(2) == 0) row[2] = row[3] = Value();  // key and ts only
    s.partitions[p].push_back({row, weight, static_cast<uint32_t>(p), next_offset[p]++});
  }
  return s;
}

// What the visible rows must be: per key, the greatest version by (event_ts, partition,
// offset, delete-after-version); visible unless it is a delete.
Consolidated Reference(const Scenario& s) {
  struct Winner {
    ChangeRow row;
    bool set = false;
  };
  std::map<Row, Winner, strata::testing::RowLess> winners;
  auto greater = [](const ChangeRow& a, const ChangeRow& b) {
    if (int c = Compare(a.values[4], b.values[4])) return c > 0;
    if (a.partition != b.partition) return a.partition > b.partition;
    if (a.offset != b.offset) return a.offset > b.offset;
    return (a.weight < 0) > (b.weight < 0);
  };
  for (const ChangeRow& r : s.all()) {
    Winner& w = winners[{r.values[0], r.values[1]}];
    if (!w.set || greater(r, w.row)) w = {r, true};
  }
  Consolidated out;
  for (const auto& [key, w] : winners) {
    if (w.row.weight > 0) out[w.row.values] = 1;
  }
  return out;
}

struct RunResult {
  std::string state;
  Consolidated output;
  Consolidated snapshot;
};

// Pushes `batches` in order, optionally saving and reloading into a new operator before
// batch `restart_at`. Checks after every push that the output so far is a valid changelog
// of a keyed table (each row's weight 0 or 1).
RunResult RunBatches(const std::vector<std::vector<ChangeRow>>& batches,
                     size_t restart_at = SIZE_MAX) {
  auto make = [] { return std::move(UpsertOperator::Make(kKeyed, {0, 1}, 4)).value(); };
  std::unique_ptr<UpsertOperator> op = make();
  RunResult result;
  for (size_t i = 0; i < batches.size(); ++i) {
    if (i == restart_at) {
      std::string saved;
      EXPECT_TRUE(op->SaveState(&saved).ok());
      op = make();
      Status st = op->LoadState(saved);
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    Batch out = MakeBatch(kKeyed);
    SideOutput side;
    Status st = op->Push(MakeInput(kKeyed, batches[i]), &out, &side);
    EXPECT_TRUE(st.ok()) << st.ToString();
    strata::testing::AddTo(out, &result.output);
    for (const auto& [row, w] : result.output)
      EXPECT_TRUE(w == 1) << "weight " << w;
  }
  EXPECT_TRUE(op->SaveState(&result.state).ok());
  Batch snap = MakeBatch(kKeyed);
  op->Snapshot(&snap);
  result.snapshot = strata::testing::Consolidate(snap);
  return result;
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

// A random interleaving of the partitions that keeps each partition's order.
std::vector<ChangeRow> Interleave(const Scenario& s, std::mt19937_64& rng) {
  std::vector<size_t> pos(s.partitions.size());
  std::vector<ChangeRow> out;
  size_t left = s.all().size();
  while (left > 0) {
    size_t p = rng() % s.partitions.size();
    if (pos[p] == s.partitions[p].size()) continue;
    out.push_back(s.partitions[p][pos[p]++]);
    --left;
  }
  return out;
}

TEST(UpsertPropertyTest, StateAndOutputDependOnlyOnTheVersions) {
  constexpr int kCases = 400;
  for (int c = 0; c < kCases; ++c) {
    std::mt19937_64 rng(c);
    Scenario s = RandomScenario(rng);
    const std::vector<ChangeRow> all = s.all();
    const Consolidated expected = Reference(s);

    RunResult one = RunBatches({all});                              // (a) one batch
    RunResult singles = RunBatches(Cut(all, rng, 1));               // (b) batches of one
    RunResult mixed = RunBatches(Cut(Interleave(s, rng), rng, 9));  // (c) interleaved, cut
    auto restart_batches = Cut(Interleave(s, rng), rng, 6);         // (d) with a restart
    RunResult restarted = RunBatches(restart_batches, rng() % (restart_batches.size() + 1));
    std::vector<ChangeRow> shuffled = all;                // beyond the contract:
    std::shuffle(shuffled.begin(), shuffled.end(), rng);  // any order at all
    RunResult any_order = RunBatches(Cut(shuffled, rng, 5));

    SCOPED_TRACE("case " + std::to_string(c));
    EXPECT_EQ(one.output, expected) << strata::testing::ToString(one.output, kKeyed) << "vs\n"
                                    << strata::testing::ToString(expected, kKeyed);
    EXPECT_EQ(one.snapshot, expected);
    for (const RunResult* r : {&singles, &mixed, &restarted, &any_order}) {
      EXPECT_EQ(r->state, one.state);
      EXPECT_EQ(r->output, expected);
      EXPECT_EQ(r->snapshot, expected);
    }
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace strata::exec
