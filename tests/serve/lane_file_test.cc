// A replay lane's one record (serve/lane_file.h): round trips, damage, and the four files of
// an earlier release read and migrated.
#include "serve/lane_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "testing/temp_dir.h"

namespace strata::serve {
namespace {

LaneFile Sample(bool with_from) {
  LaneFile lane;
  lane.sql_text = "CREATE TABLE bronze.o (id text) WITH (layer = 'bronze');";
  if (with_from) lane.from_offset = 1234567;
  lane.done = with_from;
  lane.state = std::string("\x00\x01state bytes", 13);
  return lane;
}

void ExpectSame(const LaneFile& a, const LaneFile& b) {
  EXPECT_EQ(a.sql_text, b.sql_text);
  EXPECT_EQ(a.from_offset, b.from_offset);
  EXPECT_EQ(a.done, b.done);
  EXPECT_EQ(a.state, b.state);
}

TEST(LaneFileTest, RoundTrips) {
  for (bool with_from : {false, true}) {
    const LaneFile lane = Sample(with_from);
    auto back = DecodeLaneFile(EncodeLaneFile(lane), "x.lane");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ExpectSame(*back, lane);
  }
  auto empty = DecodeLaneFile(EncodeLaneFile(LaneFile{}), "x.lane");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  ExpectSame(*empty, LaneFile{});
}

TEST(LaneFileTest, DamageIsCorruptionNamingTheFile) {
  const std::string bytes = EncodeLaneFile(Sample(true));
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    auto r = DecodeLaneFile(bad, "lanes/t.lane");
    ASSERT_TRUE(r.status().IsCorruption()) << i;
    EXPECT_EQ(r.status().message().rfind("lanes/t.lane: ", 0), 0u) << r.status().message();
  }
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_TRUE(DecodeLaneFile(bytes.substr(0, n), "t").status().IsCorruption()) << n;
}

TEST(LaneFileTest, WritesReadsAndListsLanes) {
  testing::TempDir dir;
  FileSystem* fs = FileSystem::Default();
  const std::string lanes = dir.Sub("lanes");
  EXPECT_EQ(ListLanes(fs, lanes).value(), std::vector<std::string>{});
  ASSERT_TRUE(WriteLaneFile(fs, lanes, "b", Sample(false)).ok());
  ASSERT_TRUE(WriteLaneFile(fs, lanes, "a", Sample(true)).ok());
  EXPECT_EQ(ListLanes(fs, lanes).value(), (std::vector<std::string>{"a", "b"}));
  auto a = ReadLaneFile(fs, lanes, "a");
  ASSERT_TRUE(a.ok() && a->has_value()) << a.status().ToString();
  ExpectSame(**a, Sample(true));
  auto none = ReadLaneFile(fs, lanes, "c");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(LaneFileTest, AnEarlierReleasesFilesAreReadThenMigrated) {
  testing::TempDir dir;
  FileSystem* fs = FileSystem::Default();
  const std::string lanes = dir.Sub("lanes");
  const LaneFile lane = Sample(true);
  ASSERT_TRUE(fs->CreateDirs(lanes).ok());
  ASSERT_TRUE(fs->WriteFileAtomic(lanes + "/r.sql", lane.sql_text).ok());
  ASSERT_TRUE(fs->WriteFileAtomic(lanes + "/r.from", "1234567").ok());
  ASSERT_TRUE(fs->WriteFileAtomic(lanes + "/r.state", lane.state).ok());
  ASSERT_TRUE(fs->WriteFileAtomic(lanes + "/r.done", "").ok());
  // A lane of the earlier release that had not saved yet: its SQL alone.
  ASSERT_TRUE(fs->WriteFileAtomic(lanes + "/s.sql", lane.sql_text).ok());
  EXPECT_EQ(ListLanes(fs, lanes).value(), (std::vector<std::string>{"r", "s"}));
  auto r = ReadLaneFile(fs, lanes, "r");
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status().ToString();
  ExpectSame(**r, lane);

  ASSERT_TRUE(MigrateLaneFiles(fs, lanes, "r").ok());
  ASSERT_TRUE(MigrateLaneFiles(fs, lanes, "s").ok());
  EXPECT_EQ(fs->ListDir(lanes).value(), (std::vector<std::string>{"r.lane", "s.lane"}));
  r = ReadLaneFile(fs, lanes, "r");
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status().ToString();
  ExpectSame(**r, lane);
  auto s = ReadLaneFile(fs, lanes, "s");
  ASSERT_TRUE(s.ok() && s->has_value()) << s.status().ToString();
  EXPECT_EQ((*s)->sql_text, lane.sql_text);
  EXPECT_FALSE((*s)->done);
  EXPECT_FALSE((*s)->from_offset);
  EXPECT_EQ((*s)->state, "");

  ASSERT_TRUE(fs->WriteFileAtomic(lanes + "/t.sql", "x").ok());
  ASSERT_TRUE(fs->WriteFileAtomic(lanes + "/t.from", "12x").ok());
  EXPECT_EQ(ReadLaneFile(fs, lanes, "t").status().message(), lanes + "/t.from: not an offset: 12x");
}

// The on-disk fuzz target's seed for this reader (its first byte picks the reader) is a
// valid record, so that mutations of it reach past the checksum.
TEST(LaneFileTest, TheFuzzSeedIsAValidRecord) {
  std::ifstream in(std::string(STRATA_SOURCE_DIR) + "/tests/fuzz/corpus/ondisk/case8",
                   std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string seed = bytes.str();
  ASSERT_FALSE(seed.empty());
  auto lane = DecodeLaneFile(std::string_view(seed).substr(1), "case8");
  ASSERT_TRUE(lane.ok()) << lane.status().ToString();
  EXPECT_EQ(lane->from_offset, 20u);
  EXPECT_TRUE(lane->done);
}

}  // namespace
}  // namespace strata::serve
