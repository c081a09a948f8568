#include "common/filename.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>

#include "common/file_system.h"

namespace strata::filename {
namespace {

// A number written with exactly `width` digits, as the names below pad it.
std::optional<uint64_t> ParseDigits(std::string_view digits, size_t width) {
  uint64_t v = 0;
  if (digits.size() != width) return std::nullopt;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

std::string Padded(uint64_t v) {
  char buf[21];
  std::snprintf(buf, sizeof(buf), "%020" PRIu64, v);
  return buf;
}

}  // namespace

std::string Lock(std::string_view dir) {
  return JoinPath(dir, "LOCK");
}

std::string TablesDir(std::string_view dir) {
  return JoinPath(dir, "tables");
}

std::string TableDir(std::string_view dir, std::string_view table) {
  return JoinPath(TablesDir(dir), table);
}

std::string TableConfig(std::string_view table_dir) {
  return JoinPath(table_dir, "TABLE");
}

std::string PartitionDir(std::string_view table_dir, uint32_t partition) {
  return JoinPath(table_dir, "p-" + std::to_string(partition));
}

std::string SegmentName(uint64_t base_offset, std::string_view suffix) {
  return Padded(base_offset) + std::string(suffix);
}

std::optional<uint64_t> ParseSegmentName(std::string_view name, std::string_view suffix) {
  if (!name.ends_with(suffix)) return std::nullopt;
  return ParseDigits(name.substr(0, name.size() - suffix.size()), 20);
}

bool IsTemporary(std::string_view name) {
  return name.ends_with(".tmp");
}

std::string SchemaHistory(std::string_view dir, std::string_view table) {
  return JoinPath(JoinPath(dir, "catalog"), std::string(table) + ".schemas");
}

std::string PipelineDir(std::string_view dir) {
  return JoinPath(dir, "pipeline");
}

std::string PipelineSql(std::string_view dir) {
  return JoinPath(PipelineDir(dir), "pipeline.sql");
}

std::string CheckpointsDir(std::string_view dir) {
  return JoinPath(PipelineDir(dir), "checkpoints");
}

std::string CheckpointDir(std::string_view checkpoints_dir, uint64_t seq) {
  return JoinPath(checkpoints_dir, Padded(seq));
}

std::string CheckpointTmpDir(std::string_view checkpoints_dir, uint64_t seq) {
  return CheckpointDir(checkpoints_dir, seq) + ".tmp";
}

std::optional<uint64_t> ParseCheckpointName(std::string_view name) {
  return ParseDigits(name, 20);
}

bool IsCheckpointLeftover(std::string_view name) {
  return name.size() > 4 && IsTemporary(name);
}

std::string CheckpointMeta(std::string_view checkpoint_dir) {
  return JoinPath(checkpoint_dir, "META");
}

std::string CheckpointLaneFile(std::string_view lane, bool replay) {
  return replay ? "lane." + std::string(lane) + ".state" : std::string(lane) + ".state";
}

std::string LanesDir(std::string_view dir) {
  return JoinPath(PipelineDir(dir), "lanes");
}

std::string LaneFile(std::string_view lanes_dir, std::string_view name) {
  return JoinPath(lanes_dir, std::string(name) + ".lane");
}

std::string LegacyStreamingState(std::string_view dir) {
  return JoinPath(PipelineDir(dir), "streaming.state");
}

std::string LegacyBatchState(std::string_view dir) {
  return JoinPath(PipelineDir(dir), "batch.state");
}

std::string ViewsDir(std::string_view dir) {
  return JoinPath(dir, "views");
}

std::string ViewDir(std::string_view views_dir, std::string_view view) {
  return JoinPath(views_dir, view);
}

std::string Manifest(std::string_view view_dir) {
  return JoinPath(view_dir, "MANIFEST");
}

std::string RowsName(uint64_t version) {
  return "v" + std::to_string(version) + ".rows";
}

uint64_t ParseRowsName(std::string_view name) {
  if (!name.starts_with('v') || !name.ends_with(".rows")) return 0;
  std::string_view digits = name.substr(1, name.size() - 6);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  return ec == std::errc() && end == digits.data() + digits.size() ? v : 0;
}

std::string SideLogTable(std::string_view side_table, std::string_view logic_hash) {
  return "_strata.side." + std::string(side_table) + "." + std::string(logic_hash);
}

bool IsInternalTable(std::string_view table) {
  return table.starts_with("_strata.");
}

}  // namespace strata::filename
