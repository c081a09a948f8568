// The version store: publish/list/read round trips, canonical checksums, cutover and
// rollback, pruning, and durability proven by torn manifests, flipped bytes, abort points
// and simulated power cuts.
#include "serve/version_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "common/abort_point.h"
#include "common/coding.h"
#include "common/crc32c.h"
#include "common/hash.h"
#include "testing/fault_injection_fs.h"
#include "testing/temp_dir.h"

namespace strata::serve {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using FaultFs = ::strata::testing::FaultInjectionFileSystem;

constexpr std::string_view kView = "gold.hourly_revenue";

std::vector<Type> AllTypes() {
  return {Type::Bigint(),  Type::Text(),      Type::Double(), Type::Numeric(18, 2),
          Type::Boolean(), Type::Timestamp(), Type::Date()};
}

Batch MakeRows(const std::vector<Type>& types, const std::vector<std::vector<Value>>& rows,
               std::vector<int64_t> weights = {}) {
  Batch b;
  for (const Type& t : types)
    b.columns.emplace_back(t);
  for (const auto& row : rows) {
    for (size_t c = 0; c < types.size(); ++c)
      b.columns[c].AppendValue(row[c]);
  }
  b.weights = weights.empty() ? std::vector<int64_t>(rows.size(), 1) : std::move(weights);
  return b;
}

// Each row as "v1|v2|...", in batch order.
std::vector<std::string> RowStrings(const std::vector<Type>& types, const Batch& b) {
  std::vector<std::string> out;
  for (size_t r = 0; r < b.num_rows(); ++r) {
    std::string s;
    for (size_t c = 0; c < types.size(); ++c)
      s += (c ? "|" : "") + b.columns[c].GetValue(r).ToString(types[c]);
    out.push_back(s + " w" + std::to_string(b.weights[r]));
  }
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

VersionInfo Info(std::string origin = "batch", std::string name = "") {
  VersionInfo info;
  info.name = std::move(name);
  info.origin = std::move(origin);
  info.logic_hash = "9f86d081884c7d65";
  info.schema_version = 3;
  info.boundary = {{"bronze.orders", {10, 0, 7}}, {"bronze.refunds", {2}}};
  info.watermark = 1'700'000'000'000'000;
  return info;
}

std::vector<Type> OneBigint() {
  return {Type::Bigint()};
}
Batch Bigints(std::vector<int64_t> values) {
  std::vector<std::vector<Value>> rows;
  for (int64_t v : values)
    rows.push_back({Value::Int64(v)});
  return MakeRows(OneBigint(), rows);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void WriteWholeFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::string data = ReadWholeFile(path);
  data[offset] = static_cast<char>(data[offset] ^ 0x5a);
  WriteWholeFile(path, data);
}

std::vector<uint64_t> Versions(const std::vector<VersionInfo>& infos) {
  std::vector<uint64_t> out;
  for (const auto& i : infos)
    out.push_back(i.version);
  return out;
}

class VersionStoreTest : public ::testing::Test {
 protected:
  void TearDown() override { DisarmAllAbortPoints(); }

  void Open(FileSystem* fs = FileSystem::Default()) {
    store_.reset();
    auto s = VersionStore::Open(fs, Root());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  // Publishes `values` as one bigint column; returns the new version's info.
  VersionInfo PublishInts(std::vector<int64_t> values, bool live, std::string name = "") {
    auto r = store_->Publish(kView, Info("batch", std::move(name)), OneBigint(),
                             Bigints(std::move(values)), live);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VersionInfo{};
  }

  std::optional<uint64_t> LiveNow() {
    auto live = store_->Live(kView);
    EXPECT_TRUE(live.ok()) << live.status().ToString();
    return live.ok() ? *live : std::nullopt;
  }

  std::string Root() const { return dir_.Sub("views"); }
  std::string ViewPath(const std::string& name) const {
    return Root() + "/" + std::string(kView) + "/" + name;
  }

  ::strata::testing::TempDir dir_;
  std::unique_ptr<VersionStore> store_;
};

TEST_F(VersionStoreTest, PublishListReadRoundTrip) {
  Open();
  const auto types = AllTypes();
  // 2026-11-22 10:00:00 UTC and 2026-11-22 (days since the epoch).
  const int64_t ts = 1'795'341'600'000'000;
  const int32_t day = 20'779;
  Batch rows =
      MakeRows(types,
               {{Value::Int64(1), Value::String("alice"), Value::Double(1.5), Value::Int128(1250),
                 Value::Bool(true), Value::Int64(ts), Value::Int32(day)},
                {Value::Int64(-2), Value::String(""), Value::Double(-0.25), Value::Int128(-5),
                 Value::Bool(false), Value::Null(), Value::Null()},
                {Value::Null(), Value::Null(), Value::Null(), Value::Null(), Value::Null(),
                 Value::Null(), Value::Null()},
                {Value::Int64(3), Value::String("naïve \"quoted\"\nline"), Value::Double(0),
                 Value::Int128(0), Value::Null(), Value::Int64(0), Value::Int32(0)}},
               {1, 2, 1, 1});
  auto published = store_->Publish(kView, Info("streaming", "nightly"), types, rows, true);
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  EXPECT_EQ(published->version, 1u);
  EXPECT_EQ(published->rows, 5u);
  EXPECT_EQ(published->checksum.size(), 16u);
  EXPECT_EQ(published->checksum.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_GT(published->created, 0);
  EXPECT_EQ(published->name, "nightly");
  EXPECT_EQ(published->origin, "streaming");
  EXPECT_EQ(published->schema_version, 3u);
  EXPECT_EQ(published->boundary, Info().boundary);
  EXPECT_EQ(published->watermark, Info().watermark);

  Open();  // everything below comes from disk
  auto list = store_->List(kView);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0], *published);
  auto got = store_->Get(kView, 1);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *published);
  EXPECT_EQ(LiveNow(), 1u);

  auto read = store_->Read(kView, 1, types);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_THAT(Sorted(RowStrings(types, *read)),
              ElementsAre("-2||-0.25|-0.05|f|NULL|NULL w1",  // weight 2: twice
                          "-2||-0.25|-0.05|f|NULL|NULL w1",
                          "1|alice|1.5|12.50|t|2026-11-22 10:00:00|2026-11-22 w1",
                          "3|naïve \"quoted\"\nline|0|0.00|NULL|1970-01-01 00:00:00|1970-01-01 w1",
                          "NULL|NULL|NULL|NULL|NULL|NULL|NULL w1"));
  EXPECT_TRUE(read->origins.empty());

  // A version without a watermark or boundary round-trips too.
  VersionInfo bare;
  bare.origin = "replay";
  auto second = store_->Publish(kView, bare, types, MakeRows(types, {}), false);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->version, 2u);
  EXPECT_EQ(second->rows, 0u);
  Open();
  auto again = store_->Get(kView, 2);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *second);
  EXPECT_FALSE(again->watermark.has_value());
  auto empty = store_->Read(kView, 2, types);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->num_rows(), 0u);
  EXPECT_EQ(empty->columns.size(), types.size());
}

TEST_F(VersionStoreTest, ReadReturnsRowsInCanonicalOrder) {
  Open();
  const std::vector<Type> types = {Type::Text()};
  Batch rows = MakeRows(types, {{Value::String("zz")},
                                {Value::String("c")},
                                {Value::Null()},
                                {Value::String("a")},
                                {Value::String("b")}});
  ASSERT_TRUE(store_->Publish(kView, Info(), types, rows, false).ok());
  auto read = store_->Read(kView, 1, types);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  // NULL (tag 0) first, then by length prefix, then by bytes.
  EXPECT_THAT(RowStrings(types, *read), ElementsAre("NULL w1", "a w1", "b w1", "c w1", "zz w1"));
}

TEST_F(VersionStoreTest, ChecksumIsXxh64OfTheSortedRows) {
  Open();
  VersionInfo a = PublishInts({5, 7, 7}, false);
  std::string expected_rows;
  for (int64_t v : {5, 7, 7}) {  // EncodeCell: tag 1, fixed64; 5 < 7 bytewise
    expected_rows.push_back(1);
    PutFixed64(&expected_rows, static_cast<uint64_t>(v));
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(StableHash64(expected_rows)));
  EXPECT_EQ(a.checksum, hex);
  EXPECT_EQ(a.rows, 3u);

  // The same multiset in another order, or as one row of weight 2, gives the same
  // checksum and the same file.
  VersionInfo b = PublishInts({7, 5, 7}, false);
  Batch weighted = Bigints({7, 5});
  weighted.weights = {2, 1};
  auto c = store_->Publish(kView, Info(), OneBigint(), weighted, false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(b.checksum, a.checksum);
  EXPECT_EQ(c->checksum, a.checksum);
  EXPECT_EQ(ReadWholeFile(ViewPath("v1.rows")), ReadWholeFile(ViewPath("v2.rows")));
  EXPECT_EQ(ReadWholeFile(ViewPath("v1.rows")), ReadWholeFile(ViewPath("v3.rows")));

  // Different contents: different checksums.
  EXPECT_NE(PublishInts({5, 7}, false).checksum, a.checksum);
  EXPECT_NE(PublishInts({5, 7, 8}, false).checksum, a.checksum);
  EXPECT_NE(PublishInts({}, false).checksum, a.checksum);
}

TEST_F(VersionStoreTest, PublishRejectsBadInput) {
  Open();
  auto code = [&](std::string_view view, VersionInfo info, const std::vector<Type>& types,
                  const Batch& rows) {
    return store_->Publish(view, std::move(info), types, rows, true).status().code();
  };
  Batch zero = Bigints({1, 2});
  zero.weights = {1, 0};
  Batch negative = Bigints({1});
  negative.weights = {-1};
  EXPECT_EQ(code(kView, Info(), OneBigint(), zero), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(kView, Info(), OneBigint(), negative), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(kView, Info(), {Type::Text()}, Bigints({1})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(kView, Info(), {Type::Bigint(), Type::Text()}, Bigints({1})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(kView, Info("manual"), OneBigint(), Bigints({1})), StatusCode::kInvalidArgument);
  Batch no_columns;
  no_columns.weights = {1};
  EXPECT_EQ(code(kView, Info(), {}, no_columns), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(kView, Info("batch", std::string("\xff\xfe")), OneBigint(), Bigints({1})),
            StatusCode::kInvalidArgument);
  for (std::string_view bad : {"", "../escape", "a/b", ".hidden"}) {
    EXPECT_EQ(code(bad, Info(), OneBigint(), Bigints({1})), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store_->List(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  auto list = store_->List(kView);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("escape")));
  EXPECT_EQ(LiveNow(), std::nullopt);
}

TEST_F(VersionStoreTest, UnknownViewIsEmpty) {
  Open();
  auto list = store_->List("gold.nothing");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  auto live = store_->Live("gold.nothing");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(*live, std::nullopt);
  EXPECT_EQ(store_->Rollback("gold.nothing").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Get("gold.nothing", 1).status().message(),
            "view gold.nothing has no version 1");
}

TEST_F(VersionStoreTest, LiveRollbackAndLiveAtAcrossSwitches) {
  Open();
  auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(3)); };
  const Micros before_any = NowMicros();
  pause();
  // Each step: the time right after it, and the version it made live.
  std::vector<std::pair<Micros, uint64_t>> after;
  VersionInfo v1 = PublishInts({1}, true);
  after.emplace_back(NowMicros(), 1);
  pause();
  PublishInts({2}, false);
  EXPECT_EQ(LiveNow(), 1u);
  ASSERT_TRUE(store_->SetLive(kView, 2).ok());
  after.emplace_back(NowMicros(), 2);
  pause();
  ASSERT_TRUE(store_->SetLive(kView, 2).ok());  // already live: no switch
  PublishInts({3}, true);
  after.emplace_back(NowMicros(), 3);
  EXPECT_EQ(LiveNow(), 3u);
  pause();
  auto back = store_->Rollback(kView);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, 2u);
  after.emplace_back(NowMicros(), 2);
  pause();
  Open();  // the live stack is rebuilt from the manifest
  back = store_->Rollback(kView);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, 1u);
  after.emplace_back(NowMicros(), 1);
  EXPECT_EQ(LiveNow(), 1u);
  auto none = store_->Rollback(kView);
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(none.status().message(),
            "view gold.hourly_revenue has no earlier live version to roll back to");
  EXPECT_EQ(store_->SetLive(kView, 9).code(), StatusCode::kNotFound);

  for (const auto& [t, version] : after) {
    auto at = store_->LiveAt(kView, t);
    ASSERT_TRUE(at.ok()) << at.status().ToString();
    EXPECT_EQ(at->version, version) << "at " << t;
  }
  auto first = store_->LiveAt(kView, v1.created);  // Publish(make_live) switches at `created`
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, v1);
  EXPECT_EQ(store_->LiveAt(kView, v1.created - 1).status().code(), StatusCode::kNotFound);
  auto early = store_->LiveAt(kView, before_any);
  EXPECT_EQ(early.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(early.status().message(),
            "view gold.hourly_revenue had no live version at " + FormatTimestamp(before_any));

  // A new cutover after the rollbacks: the rollback target is the version it replaced.
  ASSERT_TRUE(store_->SetLive(kView, 3).ok());
  back = store_->Rollback(kView);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, 1u);
}

TEST_F(VersionStoreTest, GetAndGetByName) {
  Open();
  PublishInts({1}, false, "replay-a");
  PublishInts({2}, false, "replay-b");
  PublishInts({3}, false, "replay-a");
  auto a = store_->GetByName(kView, "replay-a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->version, 3u);  // the latest with that name
  auto b = store_->GetByName(kView, "replay-b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->version, 2u);

  auto missing = store_->Get(kView, 9);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "view gold.hourly_revenue has no version 9");
  auto unnamed = store_->GetByName(kView, "nope");
  EXPECT_EQ(unnamed.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(unnamed.status().message(), "view gold.hourly_revenue has no version named \"nope\"");
  EXPECT_EQ(store_->Read(kView, 9, OneBigint()).status().code(), StatusCode::kNotFound);
}

TEST_F(VersionStoreTest, ReadWithOtherTypesIsInvalidArgument) {
  Open();
  PublishInts({1, 2}, false);
  auto r = store_->Read(kView, 1, {Type::Text()});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "view gold.hourly_revenue version 1 has columns (bigint), not "
            "(text)");
  EXPECT_EQ(store_->Read(kView, 1, {Type::Bigint(), Type::Bigint()}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(VersionStoreTest, PruneKeepsLiveAndRollbackTarget) {
  Open();
  for (int64_t i = 1; i <= 5; ++i)
    PublishInts({i}, false);
  ASSERT_TRUE(store_->SetLive(kView, 1).ok());
  ASSERT_TRUE(store_->SetLive(kView, 2).ok());  // live 2, rollback target 1
  const Micros while_2_live = NowMicros();
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  ASSERT_TRUE(store_->Prune(kView, 3).ok());
  auto list = store_->List(kView);
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(Versions(*list), ElementsAre(1, 2, 5));
  EXPECT_FALSE(std::filesystem::exists(ViewPath("v3.rows")));
  EXPECT_FALSE(std::filesystem::exists(ViewPath("v4.rows")));
  EXPECT_TRUE(std::filesystem::exists(ViewPath("v5.rows")));
  auto pruned = store_->Get(kView, 3);
  EXPECT_EQ(pruned.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(pruned.status().message(), "view gold.hourly_revenue version 3 has been pruned");

  // keep = 0 still keeps the live version and its rollback target.
  ASSERT_TRUE(store_->Prune(kView, 0).ok());
  Open();
  list = store_->List(kView);
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(Versions(*list), ElementsAre(1, 2));
  EXPECT_EQ(LiveNow(), 2u);
  auto rows = store_->Read(kView, 1, OneBigint());
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_THAT(RowStrings(OneBigint(), *rows), ElementsAre("1 w1"));
  // Numbers are never reused.
  EXPECT_EQ(PublishInts({6}, false).version, 6u);
  auto back = store_->Rollback(kView);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, 1u);
  // Now 1 is live with no rollback target: keep = 1 keeps only it.
  ASSERT_TRUE(store_->Prune(kView, 1).ok());
  list = store_->List(kView);
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(Versions(*list), ElementsAre(1));
  auto gone = store_->LiveAt(kView, while_2_live);
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(gone.status().message(), "view gold.hourly_revenue version 2, live at " +
                                         FormatTimestamp(while_2_live) + ", has been pruned");
}

TEST_F(VersionStoreTest, TornLastManifestLineIsIgnoredThenRepaired) {
  Open();
  PublishInts({1}, true);
  PublishInts({2}, false);
  const std::string manifest = ViewPath("MANIFEST");
  const std::string good = ReadWholeFile(manifest);
  for (const std::string& tail :
       {std::string("6b1f0c2a {\"publish\": {\"vers"),       // torn mid-line
        std::string("00000000 {\"live\": 2, \"at\": 5}\n"),  // complete, checksum fails
        std::string("garbage\n")}) {
    WriteWholeFile(manifest, good + tail);
    Open();
    auto list = store_->List(kView);
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    EXPECT_THAT(Versions(*list), ElementsAre(1, 2));
    EXPECT_EQ(LiveNow(), 1u);
  }
  // The next write truncates the torn line first.
  EXPECT_EQ(PublishInts({3}, false).version, 3u);
  const std::string repaired = ReadWholeFile(manifest);
  EXPECT_TRUE(repaired.starts_with(good));
  EXPECT_EQ(repaired.find("garbage"), std::string::npos);
  EXPECT_EQ(std::count(repaired.begin(), repaired.end(), '\n'), 3);
  ASSERT_TRUE(store_->SetLive(kView, 3).ok());
  Open();
  auto list = store_->List(kView);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_THAT(Versions(*list), ElementsAre(1, 2, 3));
  EXPECT_EQ(LiveNow(), 3u);
}

TEST_F(VersionStoreTest, CorruptMiddleManifestLineIsCorruption) {
  Open();
  PublishInts({1}, true);
  PublishInts({2}, false);
  ASSERT_TRUE(store_->SetLive(kView, 2).ok());
  const std::string manifest = ViewPath("MANIFEST");
  const std::string text = ReadWholeFile(manifest);
  const size_t line2 = text.find('\n') + 1;
  FlipByte(manifest, line2 + 20);  // inside the JSON of line 2
  Open();
  auto list = store_->List(kView);
  EXPECT_EQ(list.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(list.status().message(), manifest + " line 2: checksum mismatch or malformed line");
  EXPECT_EQ(store_->Live(kView).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(store_->Publish(kView, Info(), OneBigint(), Bigints({1}), false).status().code(),
            StatusCode::kCorruption);
  WriteWholeFile(manifest, text);  // restored: readable again, nothing was appended
  auto restored = store_->List(kView);
  ASSERT_TRUE(restored.ok());
  EXPECT_THAT(Versions(*restored), ElementsAre(1, 2));
}

TEST_F(VersionStoreTest, EveryFlippedByteOfARowsFileIsCorruption) {
  Open();
  const std::vector<Type> types = {Type::Bigint(), Type::Text()};
  Batch rows = MakeRows(
      types, {{Value::Int64(1), Value::String("one")}, {Value::Null(), Value::String("two")}});
  ASSERT_TRUE(store_->Publish(kView, Info(), types, rows, true).ok());
  const std::string path = ViewPath("v1.rows");
  const std::string original = ReadWholeFile(path);
  ASSERT_GT(original.size(), 20u);
  for (size_t offset = 0; offset < original.size(); ++offset) {
    FlipByte(path, offset);
    auto read = store_->Read(kView, 1, types);
    EXPECT_EQ(read.status().code(), StatusCode::kCorruption) << "offset " << offset;
    EXPECT_THAT(read.status().message(), HasSubstr(path)) << "offset " << offset;
    WriteWholeFile(path, original);
  }
  // Truncated, and a consistent file that the manifest does not describe.
  WriteWholeFile(path, original.substr(0, original.size() - 1));
  EXPECT_EQ(store_->Read(kView, 1, types).status().code(), StatusCode::kCorruption);
  std::string other = original;
  other[original.find("one")] = 'x';  // then fix the CRC: only the manifest checksum catches it
  other.resize(other.size() - 4);
  PutFixed32(&other, crc32c::Value(other));
  WriteWholeFile(path, other);
  auto read = store_->Read(kView, 1, types);
  EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(read.status().message(), HasSubstr("do not match the manifest"));
  WriteWholeFile(path, original);
  EXPECT_TRUE(store_->Read(kView, 1, types).ok());
}

TEST_F(VersionStoreTest, AbortAfterRowsLeavesNoVersion) {
  FaultFs fs;
  Open(&fs);
  PublishInts({1}, true);
  ArmAbortPoint("version_publish.after_rows");
  auto aborted = store_->Publish(kView, Info(), OneBigint(), Bigints({2}), true);
  EXPECT_EQ(aborted.status().code(), StatusCode::kAborted);
  store_.reset();
  ASSERT_TRUE(fs.SimulateCrash().ok());
  Open(&fs);
  auto list = store_->List(kView);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_THAT(Versions(*list), ElementsAre(1));
  EXPECT_EQ(LiveNow(), 1u);
  EXPECT_TRUE(std::filesystem::exists(ViewPath("v2.rows")));  // an orphan, ignored
  EXPECT_EQ(store_->Get(kView, 2).status().code(), StatusCode::kNotFound);
  // The orphan's number is skipped.
  VersionInfo next = PublishInts({3}, true);
  EXPECT_EQ(next.version, 3u);
  auto rows = store_->Read(kView, 3, OneBigint());
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_THAT(RowStrings(OneBigint(), *rows), ElementsAre("3 w1"));
}

TEST_F(VersionStoreTest, AbortBeforeLiveManifestEdit) {
  FaultFs fs;
  Open(&fs);
  PublishInts({1}, true);
  PublishInts({2}, false);
  // Publish(make_live): neither the version nor the switch exists.
  ArmAbortPoint("version_live.before_manifest");
  EXPECT_EQ(store_->Publish(kView, Info(), OneBigint(), Bigints({3}), true).status().code(),
            StatusCode::kAborted);
  // SetLive: the switch does not happen.
  ArmAbortPoint("version_live.before_manifest");
  EXPECT_EQ(store_->SetLive(kView, 2).code(), StatusCode::kAborted);
  store_.reset();
  ASSERT_TRUE(fs.SimulateCrash().ok());
  Open(&fs);
  auto list = store_->List(kView);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_THAT(Versions(*list), ElementsAre(1, 2));
  EXPECT_EQ(LiveNow(), 1u);
  EXPECT_EQ(store_->Rollback(kView).status().code(), StatusCode::kFailedPrecondition);
  // Rollback: aborted, then done.
  ASSERT_TRUE(store_->SetLive(kView, 2).ok());
  ArmAbortPoint("version_live.before_manifest");
  EXPECT_EQ(store_->Rollback(kView).status().code(), StatusCode::kAborted);
  store_.reset();
  ASSERT_TRUE(fs.SimulateCrash().ok());
  Open(&fs);
  EXPECT_EQ(LiveNow(), 2u);
  EXPECT_EQ(PublishInts({4}, false).version, 4u);  // v3.rows is an orphan
  auto back = store_->Rollback(kView);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, 1u);
}

TEST_F(VersionStoreTest, PowerCutAfterPublishKeepsTheVersion) {
  for (uint64_t seed : {0, 1, 2, 3}) {
    SCOPED_TRACE(seed);
    FaultFs fs;
    const std::string view = "silver.orders" + std::to_string(seed);
    std::vector<VersionInfo> published;
    auto publish = [&](int64_t i) {
      auto r = store_->Publish(view, Info(), OneBigint(), Bigints({i, i * 10}), i != 2);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      published.push_back(*r);
    };
    auto crash_and_check = [&](uint64_t live_version) {
      store_.reset();
      ASSERT_TRUE(fs.SimulateCrash(seed).ok());
      Open(&fs);
      auto list = store_->List(view);
      ASSERT_TRUE(list.ok()) << list.status().ToString();
      EXPECT_EQ(*list, published);
      auto live = store_->Live(view);
      ASSERT_TRUE(live.ok());
      EXPECT_EQ(*live, live_version);
    };
    Open(&fs);
    publish(1);  // the first edit of a view creates its manifest
    crash_and_check(1);
    publish(2);
    publish(3);
    crash_and_check(3);
    for (int64_t i = 1; i <= 3; ++i) {
      auto rows = store_->Read(view, static_cast<uint64_t>(i), OneBigint());
      ASSERT_TRUE(rows.ok()) << rows.status().ToString();
      EXPECT_EQ(Sorted(RowStrings(OneBigint(), *rows)),
                Sorted({std::to_string(i) + " w1", std::to_string(i * 10) + " w1"}));
    }
  }
}

TEST_F(VersionStoreTest, FailedManifestSyncIsSticky) {
  FaultFs fs;
  Open(&fs);
  PublishInts({1}, true);
  fs.FailOnce(FaultFs::Op::kSync, /*skip=*/1);  // the rows file syncs, the manifest fails
  auto failed = store_->Publish(kView, Info(), OneBigint(), Bigints({2}), true);
  EXPECT_EQ(failed.status().code(), StatusCode::kIOError);
  auto refused = store_->Publish(kView, Info(), OneBigint(), Bigints({3}), false);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->SetLive(kView, 1).code(), StatusCode::kFailedPrecondition);
  store_.reset();
  ASSERT_TRUE(fs.SimulateCrash().ok());  // the unsynced edit is lost
  Open(&fs);
  auto list = store_->List(kView);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_THAT(Versions(*list), ElementsAre(1));
  EXPECT_EQ(PublishInts({4}, true).version, 3u);
  EXPECT_EQ(LiveNow(), 3u);
}

// A full disk that refuses the manifest's append (half of it written) fails that publish
// only: the next one cuts the torn bytes and succeeds, with no reopen.
TEST_F(VersionStoreTest, FullDiskOnTheManifestFailsOnePublish) {
  FaultFs fs;
  Open(&fs);
  PublishInts({1}, true);
  // The rows file goes through WriteFileAtomic (one append); the manifest's edit is the
  // second append.
  fs.FailOnce(FaultFs::Op::kAppend, /*skip=*/1, StatusCode::kNoSpace);
  auto failed = store_->Publish(kView, Info(), OneBigint(), Bigints({2}), true);
  EXPECT_EQ(failed.status().code(), StatusCode::kNoSpace) << failed.status().ToString();
  EXPECT_EQ(PublishInts({3}, true).version, 3u);
  EXPECT_EQ(LiveNow(), 3u);
  store_.reset();
  ASSERT_TRUE(fs.SimulateCrash().ok());
  Open(&fs);
  EXPECT_EQ(LiveNow(), 3u);
  auto rows = store_->Read(kView, 3, OneBigint());
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
}

TEST_F(VersionStoreTest, AnotherStoreSeesOnlyCompleteVersions) {
  Open();
  auto reader = VersionStore::Open(FileSystem::Default(), Root());
  ASSERT_TRUE(reader.ok());
  PublishInts({1}, true);
  auto live = (*reader)->Live(kView);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(*live, 1u);
  // A half-written edit (the writer is mid-append) is not visible.
  {
    std::ofstream f(ViewPath("MANIFEST"), std::ios::binary | std::ios::app);
    f << "12345678 {\"live\": ";
  }
  auto list = (*reader)->List(kView);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_THAT(Versions(*list), ElementsAre(1));
}

TEST_F(VersionStoreTest, ConcurrentPublishesGetDistinctVersions) {
  Open();
  constexpr int kThreads = 4, kEach = 5;
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> got(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = store_->Publish(kView, Info(), OneBigint(), Bigints({t * 100 + i}), i % 2 == 0);
        if (r.ok()) got[t].push_back(r->version);
        auto l = store_->List(kView);
        EXPECT_TRUE(l.ok()) << l.status().ToString();
      }
    });
  }
  for (auto& th : threads)
    th.join();
  std::set<uint64_t> all;
  for (const auto& v : got)
    all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), static_cast<uint64_t>(kThreads * kEach));
  auto list = store_->List(kView);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), static_cast<size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace strata::serve
