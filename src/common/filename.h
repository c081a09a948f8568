// Every name in a data directory, in one place (after LevelDB's db/filename.h). A module
// that reads or writes a file of the directory asks here for its path; nothing else spells
// one. The layout (DIR is the data directory):
//
//   DIR/LOCK                            the lock of the one process that writes DIR
//   DIR/tables/T/TABLE                  bronze table T's config (log/store.h)
//   DIR/tables/T/p-I/                   its partition I (log/partition.h), holding
//     <base>.log, <base>.index          a segment from offset <base> (20 digits), its index
//   DIR/tables/_strata.side.S.H/        the side log of side table S (a quarantine or late
//                                       table) under logic hash H: an internal table of the
//                                       log (serve/side_log.h); `_strata.` names are reserved
//   DIR/catalog/T.schemas               a CDC table's schema history (catalog/)
//   DIR/pipeline/pipeline.sql           the pipeline the directory runs
//   DIR/pipeline/checkpoints/<seq>/     a checkpoint (serve/checkpoint.h; <seq>: 20 digits):
//     META, main.state, batch.state,    its manifest and each lane's state;
//     lane.NAME.state                   <seq>.tmp while it is being written
//   DIR/pipeline/lanes/NAME.lane        a replay lane (serve/lane_file.h)
//   DIR/pipeline/streaming.state,       the executor states of earlier releases, read when
//     batch.state                       no checkpoint exists yet
//   DIR/views/V/MANIFEST, v<N>.rows     gold view V's versions (serve/version_store.h)
//
// Functions taking `dir` want DIR; the others take the directory named before them (a
// table's, a partition's, a checkpoint's, a view's), as the module that owns it holds it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::filename {

std::string Lock(std::string_view dir);

// The log.
std::string TablesDir(std::string_view dir);
std::string TableDir(std::string_view dir, std::string_view table);
std::string TableConfig(std::string_view table_dir);
std::string PartitionDir(std::string_view table_dir, uint32_t partition);
// A segment's file ("<base>.log") and its index ("<base>.index"), in a partition directory.
inline constexpr std::string_view kSegmentLog = ".log", kSegmentIndex = ".index";
std::string SegmentName(uint64_t base_offset, std::string_view suffix);
// The base of a name SegmentName gives with `suffix`; nullopt for other names.
std::optional<uint64_t> ParseSegmentName(std::string_view name,
                                         std::string_view suffix = kSegmentLog);
// A temporary FileSystem::WriteFileAtomic left behind by a crash.
bool IsTemporary(std::string_view name);

// The log table holding side table `side_table`'s rows for the logic whose hash is
// `logic_hash` (serve/side_log.h), and whether a table name is one of strata's own (reserved:
// ingest refuses it).
std::string SideLogTable(std::string_view side_table, std::string_view logic_hash);
bool IsInternalTable(std::string_view table);

// The catalog.
std::string SchemaHistory(std::string_view dir, std::string_view table);

// The pipeline.
std::string PipelineDir(std::string_view dir);
std::string PipelineSql(std::string_view dir);
std::string CheckpointsDir(std::string_view dir);
std::string CheckpointDir(std::string_view checkpoints_dir, uint64_t seq);
std::string CheckpointTmpDir(std::string_view checkpoints_dir, uint64_t seq);
// The sequence number of a checkpoint directory's name; nullopt for anything else (a
// temporary directory included).
std::optional<uint64_t> ParseCheckpointName(std::string_view name);
// A checkpoint directory a crash left half written.
bool IsCheckpointLeftover(std::string_view name);
std::string CheckpointMeta(std::string_view checkpoint_dir);
// A lane's state file in a checkpoint directory, as META names it: main.state,
// batch.state, lane.NAME.state (`replay`).
std::string CheckpointLaneFile(std::string_view lane, bool replay);
std::string LanesDir(std::string_view dir);
std::string LaneFile(std::string_view lanes_dir, std::string_view name);
std::string LegacyStreamingState(std::string_view dir);
std::string LegacyBatchState(std::string_view dir);

// Versions.
std::string ViewsDir(std::string_view dir);
std::string ViewDir(std::string_view views_dir, std::string_view view);
std::string Manifest(std::string_view view_dir);
std::string RowsName(uint64_t version);  // "v<N>.rows"
// The N of "v<N>.rows"; 0 for other names.
uint64_t ParseRowsName(std::string_view name);

}  // namespace strata::filename
