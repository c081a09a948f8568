#include "serve/checkpoint.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "common/abort_point.h"
#include "common/crc32c.h"
#include "common/filename.h"
#include "common/hash.h"

namespace strata::serve {
namespace {

constexpr char kMagic[] = "strata-checkpoint 1";

std::string Hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool ParseUint(std::string_view s, uint64_t* out, int base = 10) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

Status WriteDurable(FileSystem* fs, const std::string& path, std::string_view bytes) {
  ASSIGN_OR_RETURN(auto file, fs->OpenWritable(path, /*truncate=*/true));
  RETURN_IF_ERROR(file->Append(bytes));
  RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

}  // namespace

const CheckpointLane* CheckpointMeta::Find(std::string_view lane) const {
  for (const auto& l : lanes) {
    if (l.name == lane) return &l;
  }
  return nullptr;
}

uint64_t CheckpointMeta::bytes() const {
  uint64_t n = 0;
  for (const auto& f : files)
    n += f.size;
  return n;
}

std::string LogicHash(std::string_view logic) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(StableHash64(logic)));
  return buf;
}

std::string EncodeCheckpointMeta(const CheckpointMeta& meta) {
  std::string out = std::string(kMagic) + "\n";
  out += "seq " + std::to_string(meta.seq) + "\n";
  out += "created " + std::to_string(meta.created) + "\n";
  for (const auto& [table, version] : meta.schema_versions)
    out += "schema " + table + " " + std::to_string(version) + "\n";
  for (const auto& lane : meta.lanes)
    out += "lane " + lane.name + " " + lane.logic_hash + " " + lane.file + "\n";
  for (const auto& lane : meta.lanes) {
    for (const auto& [table, offsets] : lane.offsets) {
      out += "offsets " + lane.name + " " + table;
      for (uint64_t o : offsets)
        out += " " + std::to_string(o);
      out += "\n";
    }
  }
  for (const auto& f : meta.files)
    out += "file " + f.name + " " + std::to_string(f.size) + " " + Hex32(f.crc) + "\n";
  out += "checksum " + Hex32(crc32c::Value(out)) + "\n";
  return out;
}

Result<CheckpointMeta> DecodeCheckpointMeta(std::string_view text, const std::string& path) {
  const size_t last = text.rfind("checksum ");
  if (last == std::string_view::npos || (last > 0 && text[last - 1] != '\n')) {
    return Status::Corruption(path + ": no checksum line (truncated?)");
  }
  uint64_t want = 0;
  std::string_view tail = text.substr(last + 9);
  if (tail.empty() || tail.back() != '\n' ||
      !ParseUint(tail.substr(0, tail.size() - 1), &want, 16)) {
    return Status::Corruption(path + ": unreadable checksum line");
  }
  if (crc32c::Value(text.substr(0, last)) != want) {
    return Status::Corruption(path + ": checksum mismatch");
  }
  CheckpointMeta meta;
  std::string_view body = text.substr(0, last);
  size_t line_no = 0;
  bool magic = false, seq = false, created = false;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    ++line_no;
    auto bad = [&] {
      return Status::Corruption(path + ":" + std::to_string(line_no) + ": unreadable line '" +
                                std::string(line) + "'");
    };
    if (line_no == 1) {
      if (line != kMagic) return bad();
      magic = true;
      continue;
    }
    std::vector<std::string_view> f = Fields(line);
    if (f.empty()) return bad();
    uint64_t n = 0;
    if (f[0] == "seq" && f.size() == 2 && ParseUint(f[1], &meta.seq)) {
      seq = true;
    } else if (f[0] == "created" && f.size() == 2 && ParseUint(f[1], &n)) {
      meta.created = static_cast<Micros>(n);
      created = true;
    } else if (f[0] == "schema" && f.size() == 3 && ParseUint(f[2], &n)) {
      meta.schema_versions[std::string(f[1])] = static_cast<uint32_t>(n);
    } else if (f[0] == "lane" && f.size() == 4) {
      meta.lanes.push_back({std::string(f[1]), std::string(f[2]), std::string(f[3]), {}});
    } else if (f[0] == "offsets" && f.size() >= 3) {
      auto it = std::find_if(meta.lanes.begin(), meta.lanes.end(),
                             [&](const CheckpointLane& l) { return l.name == f[1]; });
      if (it == meta.lanes.end()) return bad();
      auto& offsets = it->offsets[std::string(f[2])];
      for (size_t i = 3; i < f.size(); ++i) {
        if (!ParseUint(f[i], &n)) return bad();
        offsets.push_back(n);
      }
    } else if (f[0] == "file" && f.size() == 4 && ParseUint(f[2], &n)) {
      uint64_t crc = 0;
      if (!ParseUint(f[3], &crc, 16)) return bad();
      meta.files.push_back({std::string(f[1]), n, static_cast<uint32_t>(crc)});
    } else {
      return bad();
    }
  }
  if (!magic || !seq || !created) return Status::Corruption(path + ": incomplete");
  for (const auto& lane : meta.lanes) {
    auto it = std::find_if(meta.files.begin(), meta.files.end(),
                           [&](const CheckpointFile& f) { return f.name == lane.file; });
    if (it == meta.files.end()) {
      return Status::Corruption(path + ": lane " + lane.name + " names no listed file");
    }
  }
  return meta;
}

Status WriteCheckpointFiles(FileSystem* fs, const std::string& dir,
                            std::vector<CheckpointBlob>* blobs, CheckpointMeta* meta) {
  meta->lanes.clear();
  meta->files.clear();
  for (CheckpointBlob& blob : *blobs) {
    if (blob.executor != nullptr) RETURN_IF_ERROR(blob.executor->Save(&blob.bytes));
    RETURN_IF_ERROR(WriteDurable(fs, JoinPath(dir, blob.lane.file), blob.bytes));
    meta->files.push_back({blob.lane.file, blob.bytes.size(), crc32c::Value(blob.bytes)});
    meta->lanes.push_back(blob.lane);
    std::string().swap(blob.bytes);
  }
  RETURN_IF_ERROR(AbortPoint("checkpoint.before_meta"));
  RETURN_IF_ERROR(WriteDurable(fs, filename::CheckpointMeta(dir), EncodeCheckpointMeta(*meta)));
  return fs->SyncDir(dir);
}

Result<CheckpointMeta> ReadCheckpointMeta(FileSystem* fs, const std::string& dir) {
  const std::string path = filename::CheckpointMeta(dir);
  std::string text;
  RETURN_IF_ERROR(fs->ReadFile(path, &text));
  return DecodeCheckpointMeta(text, path);
}

Result<LoadedCheckpoint> ReadCheckpoint(FileSystem* fs, const std::string& dir) {
  LoadedCheckpoint out;
  ASSIGN_OR_RETURN(out.meta, ReadCheckpointMeta(fs, dir));
  for (const CheckpointLane& lane : out.meta.lanes) {
    const std::string path = JoinPath(dir, lane.file);
    const CheckpointFile* f = nullptr;
    for (const auto& file : out.meta.files) {
      if (file.name == lane.file) f = &file;
    }
    std::string bytes;
    RETURN_IF_ERROR(fs->ReadFile(path, &bytes));
    if (bytes.size() != f->size) {
      return Status::Corruption(path + ": " + std::to_string(bytes.size()) + " bytes, META says " +
                                std::to_string(f->size));
    }
    if (crc32c::Value(bytes) != f->crc) {
      return Status::Corruption(path + ": CRC32C " + Hex32(crc32c::Value(bytes)) + ", META says " +
                                Hex32(f->crc));
    }
    out.blobs[lane.name] = std::move(bytes);
  }
  return out;
}

Result<std::vector<uint64_t>> ListCheckpoints(FileSystem* fs, const std::string& root) {
  std::vector<uint64_t> out;
  if (!fs->Exists(root)) return out;
  ASSIGN_OR_RETURN(auto names, fs->ListDir(root));
  for (const auto& name : names) {
    if (auto seq = filename::ParseCheckpointName(name)) out.push_back(*seq);
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

Result<std::vector<std::string>> ListCheckpointLeftovers(FileSystem* fs, const std::string& root) {
  std::vector<std::string> out;
  if (!fs->Exists(root)) return out;
  ASSIGN_OR_RETURN(auto names, fs->ListDir(root));
  for (const auto& name : names) {
    if (filename::IsCheckpointLeftover(name)) out.push_back(JoinPath(root, name));
  }
  return out;
}

Status RemoveCheckpointDir(FileSystem* fs, const std::string& dir) {
  if (!fs->Exists(dir)) return Status::OK();
  ASSIGN_OR_RETURN(auto names, fs->ListDir(dir));
  // META first: a directory without it never verifies, whatever remains after a crash.
  std::vector<std::string> paths;
  for (const auto& name : names)
    paths.push_back(JoinPath(dir, name));
  const std::string meta = filename::CheckpointMeta(dir);
  std::stable_partition(paths.begin(), paths.end(),
                        [&](const std::string& p) { return p == meta; });
  for (const auto& path : paths)
    RETURN_IF_ERROR(fs->Remove(path));
  return fs->Remove(dir);
}

}  // namespace strata::serve
