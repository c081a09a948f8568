#include "serve/lane_file.h"

#include <algorithm>
#include <cstdlib>

#include "common/coding.h"
#include "common/filename.h"
#include "common/sealed.h"

namespace strata::serve {
namespace {

// Body, version 1: the SQL, a flags byte (1: has a start, 2: done), the start when given,
// the state; strings length-prefixed.
constexpr std::string_view kKind = "lane";
constexpr uint32_t kVersion = 1;
constexpr uint8_t kHasFrom = 1, kDone = 2;
// An earlier release's files of a lane.
constexpr std::string_view kLegacySuffixes[] = {".sql", ".from", ".state", ".done"};

std::string LegacyPath(std::string_view dir, std::string_view name, std::string_view suffix) {
  return JoinPath(dir, std::string(name) + std::string(suffix));
}

Result<std::optional<LaneFile>> ReadLegacyLane(FileSystem* fs, const std::string& dir,
                                               std::string_view name) {
  if (!fs->Exists(LegacyPath(dir, name, ".sql"))) return std::optional<LaneFile>();
  LaneFile lane;
  RETURN_IF_ERROR(fs->ReadFile(LegacyPath(dir, name, ".sql"), &lane.sql_text));
  const std::string from_path = LegacyPath(dir, name, ".from");
  if (fs->Exists(from_path)) {
    std::string from;
    RETURN_IF_ERROR(fs->ReadFile(from_path, &from));
    char* end = nullptr;
    lane.from_offset = std::strtoull(from.c_str(), &end, 10);
    if (from.empty() || *end != '\0') {
      return Status::Corruption(from_path + ": not an offset: " + from);
    }
  }
  const std::string state_path = LegacyPath(dir, name, ".state");
  if (fs->Exists(state_path)) RETURN_IF_ERROR(fs->ReadFile(state_path, &lane.state));
  lane.done = fs->Exists(LegacyPath(dir, name, ".done"));
  return std::optional<LaneFile>(std::move(lane));
}

}  // namespace

std::string EncodeLaneFile(const LaneFile& lane) {
  std::string out;
  BeginSeal(kKind, kVersion, &out);
  PutLengthPrefixed(&out, lane.sql_text);
  out.push_back(static_cast<char>((lane.from_offset ? kHasFrom : 0) | (lane.done ? kDone : 0)));
  if (lane.from_offset) PutVarint64(&out, *lane.from_offset);
  PutLengthPrefixed(&out, lane.state);
  Seal(0, &out);
  return out;
}

Result<LaneFile> DecodeLaneFile(std::string_view bytes, std::string_view path) {
  ASSIGN_OR_RETURN(Unsealed u, Unseal(bytes, kKind, kVersion, kVersion, path));
  Decoder d(u.body);
  LaneFile lane;
  std::string_view sql, state;
  uint8_t flags = 0;
  uint64_t from = 0;
  if (!d.GetLengthPrefixed(&sql) || !d.GetByte(&flags) || (flags & ~(kHasFrom | kDone)) != 0 ||
      ((flags & kHasFrom) && !d.GetVarint64(&from)) || !d.GetLengthPrefixed(&state) || !d.empty()) {
    return Status::Corruption(std::string(path) + ": malformed lane record");
  }
  lane.sql_text = std::string(sql);
  if (flags & kHasFrom) lane.from_offset = from;
  lane.done = (flags & kDone) != 0;
  lane.state = std::string(state);
  return lane;
}

Result<std::vector<std::string>> ListLanes(FileSystem* fs, const std::string& lane_dir) {
  std::vector<std::string> lanes;
  if (!fs->Exists(lane_dir)) return lanes;
  ASSIGN_OR_RETURN(std::vector<std::string> files, fs->ListDir(lane_dir));
  for (const std::string& file : files) {
    for (std::string_view suffix : {".lane", ".sql"}) {
      if (file.size() > suffix.size() && file.ends_with(suffix)) {
        lanes.push_back(file.substr(0, file.size() - suffix.size()));
      }
    }
  }
  std::sort(lanes.begin(), lanes.end());
  lanes.erase(std::unique(lanes.begin(), lanes.end()), lanes.end());
  return lanes;
}

Result<std::optional<LaneFile>> ReadLaneFile(FileSystem* fs, const std::string& lane_dir,
                                             std::string_view name) {
  const std::string path = filename::LaneFile(lane_dir, name);
  if (!fs->Exists(path)) return ReadLegacyLane(fs, lane_dir, name);
  std::string bytes;
  RETURN_IF_ERROR(fs->ReadFile(path, &bytes));
  ASSIGN_OR_RETURN(LaneFile lane, DecodeLaneFile(bytes, path));
  return std::optional<LaneFile>(std::move(lane));
}

Status WriteLaneFile(FileSystem* fs, const std::string& lane_dir, std::string_view name,
                     const LaneFile& lane) {
  RETURN_IF_ERROR(fs->CreateDirs(lane_dir));
  return fs->WriteFileAtomic(filename::LaneFile(lane_dir, name), EncodeLaneFile(lane));
}

Status MigrateLaneFiles(FileSystem* fs, const std::string& lane_dir, std::string_view name) {
  if (!fs->Exists(LegacyPath(lane_dir, name, ".sql"))) return Status::OK();
  if (!fs->Exists(filename::LaneFile(lane_dir, name))) {
    ASSIGN_OR_RETURN(std::optional<LaneFile> lane, ReadLegacyLane(fs, lane_dir, name));
    RETURN_IF_ERROR(WriteLaneFile(fs, lane_dir, name, *lane));
  }
  // .sql last: while it exists the lane is listed, and the record already covers it.
  for (auto it = std::rbegin(kLegacySuffixes); it != std::rend(kLegacySuffixes); ++it) {
    const std::string path = LegacyPath(lane_dir, name, *it);
    if (fs->Exists(path)) RETURN_IF_ERROR(fs->Remove(path));
  }
  return fs->SyncDir(lane_dir);
}

}  // namespace strata::serve
