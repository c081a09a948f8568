// The names of a data directory (common/filename.h) are an on-disk contract: data
// directories written by earlier builds must still be found. This pins every name and
// checks the parsers against the writers.
#include "common/filename.h"

#include <gtest/gtest.h>

namespace strata::filename {
namespace {

TEST(FilenameTest, TheLayoutOfADataDirectory) {
  EXPECT_EQ(Lock("d"), "d/LOCK");
  EXPECT_EQ(TablesDir("d"), "d/tables");
  EXPECT_EQ(TableDir("d/", "bronze.o"), "d/tables/bronze.o");
  EXPECT_EQ(TableConfig("d/tables/t"), "d/tables/t/TABLE");
  EXPECT_EQ(PartitionDir("d/tables/t", 3), "d/tables/t/p-3");
  EXPECT_EQ(SegmentName(1234, kSegmentLog), "00000000000000001234.log");
  EXPECT_EQ(SegmentName(0, kSegmentIndex), "00000000000000000000.index");
  EXPECT_EQ(SchemaHistory("d", "bronze.o"), "d/catalog/bronze.o.schemas");
  EXPECT_EQ(PipelineDir("d"), "d/pipeline");
  EXPECT_EQ(PipelineSql("d"), "d/pipeline/pipeline.sql");
  EXPECT_EQ(CheckpointsDir("d"), "d/pipeline/checkpoints");
  EXPECT_EQ(CheckpointDir("c", 7), "c/00000000000000000007");
  EXPECT_EQ(CheckpointTmpDir("c", 7), "c/00000000000000000007.tmp");
  EXPECT_EQ(CheckpointMeta("c/00000000000000000007"), "c/00000000000000000007/META");
  EXPECT_EQ(CheckpointLaneFile("main", false), "main.state");
  EXPECT_EQ(CheckpointLaneFile("batch", false), "batch.state");
  EXPECT_EQ(CheckpointLaneFile("r1", true), "lane.r1.state");
  EXPECT_EQ(LanesDir("d"), "d/pipeline/lanes");
  EXPECT_EQ(LaneFile("d/pipeline/lanes", "r1"), "d/pipeline/lanes/r1.lane");
  EXPECT_EQ(LegacyStreamingState("d"), "d/pipeline/streaming.state");
  EXPECT_EQ(LegacyBatchState("d"), "d/pipeline/batch.state");
  EXPECT_EQ(ViewsDir("d"), "d/views");
  EXPECT_EQ(ViewDir("d/views", "gold.x"), "d/views/gold.x");
  EXPECT_EQ(Manifest("d/views/gold.x"), "d/views/gold.x/MANIFEST");
  EXPECT_EQ(RowsName(12), "v12.rows");
}

TEST(FilenameTest, ParsersReadWhatTheWritersWriteAndNothingElse) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{99999999999999999}}) {
    EXPECT_EQ(ParseSegmentName(SegmentName(v, kSegmentLog)), v);
    EXPECT_EQ(ParseSegmentName(SegmentName(v, kSegmentIndex), kSegmentIndex), v);
    EXPECT_EQ(ParseCheckpointName(CheckpointDir("", v)), v);
    EXPECT_EQ(ParseRowsName(RowsName(v + 1)), v + 1);
  }
  EXPECT_FALSE(ParseSegmentName(SegmentName(5, kSegmentIndex)));  // not a .log
  EXPECT_FALSE(ParseSegmentName("0000000000000000001.log"));      // 19 digits
  EXPECT_FALSE(ParseSegmentName("-0000000000000000001.log"));
  EXPECT_FALSE(ParseSegmentName("0000000000000000000x.log"));
  EXPECT_FALSE(ParseCheckpointName("00000000000000000007.tmp"));
  EXPECT_FALSE(ParseCheckpointName("+0000000000000000007"));
  EXPECT_TRUE(IsCheckpointLeftover("00000000000000000007.tmp"));
  EXPECT_FALSE(IsCheckpointLeftover("00000000000000000007"));
  EXPECT_TRUE(IsTemporary("00000000000000000000.index.tmp"));
  EXPECT_EQ(ParseRowsName("v12.rows.tmp"), 0u);
  EXPECT_EQ(ParseRowsName("vx.rows"), 0u);
  EXPECT_EQ(ParseRowsName("MANIFEST"), 0u);
}

}  // namespace
}  // namespace strata::filename
