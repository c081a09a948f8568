// A replay lane's file: DIR/pipeline/lanes/NAME.lane, one sealed record (common/sealed.h,
// kind "lane") holding everything a lane needs to resume or to be served again: its SQL,
// its start (a replay --from-offset), whether it finished, and its executor's state. It is
// replaced atomically (FileSystem::WriteFileAtomic) each time the lane saves, so a crash
// leaves the previous record or the new one, never a SQL of one save beside the state of
// another.
//
// Earlier releases kept four files per lane (NAME.sql, NAME.from, NAME.state, NAME.done):
// ReadLaneFile reads them when NAME.lane is absent, and MigrateLaneFiles replaces them with
// one record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_system.h"
#include "common/status.h"

namespace strata::serve {

struct LaneFile {
  std::string sql_text;
  std::optional<uint64_t> from_offset;
  bool done = false;  // the replay finished (a finished lane is restored at open)
  std::string state;  // PipelineExecutor::Save's blob; empty before the lane first saved
};

std::string EncodeLaneFile(const LaneFile& lane);
// Corruption naming `path` when the bytes do not check out.
Result<LaneFile> DecodeLaneFile(std::string_view bytes, std::string_view path);

// The names of the lanes in `lane_dir` (either form), sorted; none when it does not exist.
Result<std::vector<std::string>> ListLanes(FileSystem* fs, const std::string& lane_dir);
// Lane `name`'s record, from NAME.lane or the files of an earlier release; nullopt when it
// has neither.
Result<std::optional<LaneFile>> ReadLaneFile(FileSystem* fs, const std::string& lane_dir,
                                             std::string_view name);
Status WriteLaneFile(FileSystem* fs, const std::string& lane_dir, std::string_view name,
                     const LaneFile& lane);
// Replaces an earlier release's files of lane `name` with NAME.lane (nothing to do when
// there are none): the record is written first, then the old files are removed.
Status MigrateLaneFiles(FileSystem* fs, const std::string& lane_dir, std::string_view name);

}  // namespace strata::serve
