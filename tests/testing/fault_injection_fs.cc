#include "testing/fault_injection_fs.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace strata::testing {
namespace {

bool IsUnder(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

Status RemoveTree(FileSystem* fs, const std::string& path) {
  if (!fs->Exists(path)) return Status::OK();
  auto names = fs->ListDir(path);
  if (names.ok()) {
    for (const auto& name : *names)
      RETURN_IF_ERROR(RemoveTree(fs, JoinPath(path, name)));
  }
  return fs->Remove(path);
}

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionFileSystem* fs, std::string path,
                    std::unique_ptr<WritableFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)), epoch_(fs->epoch()) {}

  Status Append(std::string_view data) override {
    RETURN_IF_ERROR(Alive());
    Status s = fs_->Check(FaultInjectionFileSystem::Op::kAppend, path_);
    if (s.code() == StatusCode::kNoSpace) {
      // A full disk takes what fits: the first half goes to the file, then the error.
      RETURN_IF_ERROR(base_->Append(data.substr(0, data.size() / 2)));
      fs_->OnAppend(path_, base_->Size());
    }
    RETURN_IF_ERROR(s);
    RETURN_IF_ERROR(base_->Append(data));
    fs_->OnAppend(path_, base_->Size());
    return Status::OK();
  }
  Status Sync() override {
    RETURN_IF_ERROR(Alive());
    RETURN_IF_ERROR(fs_->Check(FaultInjectionFileSystem::Op::kSync, path_));
    RETURN_IF_ERROR(base_->Sync());
    fs_->OnSync(path_, base_->Size());
    return Status::OK();
  }
  Status Truncate(uint64_t size) override {
    RETURN_IF_ERROR(Alive());
    RETURN_IF_ERROR(fs_->Check(FaultInjectionFileSystem::Op::kTruncate, path_));
    RETURN_IF_ERROR(base_->Truncate(size));
    fs_->OnTruncate(path_, size);
    return Status::OK();
  }
  Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  Status Alive() const {
    if (fs_->epoch() != epoch_) return Status::IOError(path_ + ": handle from before a crash");
    return Status::OK();
  }
  FaultInjectionFileSystem* fs_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
  uint64_t epoch_;
};

}  // namespace

Status FaultInjectionFileSystem::Check(Op op, const std::string& path) {
  std::lock_guard lock(mu_);
  if (op == Op::kSync) ++sync_count_;
  auto it = failures_.find(op);
  if (it == failures_.end()) return Status::OK();
  if (!it->second.always && it->second.skip-- > 0) return Status::OK();
  const StatusCode code = it->second.code;
  if (!it->second.always) failures_.erase(it);
  if (code == StatusCode::kNoSpace) return Status::NoSpace("injected full disk on " + path);
  return Status(code, "injected I/O error on " + path);
}

void FaultInjectionFileSystem::OnAppend(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  files_[path].size = size;
}

void FaultInjectionFileSystem::OnTruncate(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  FileState& f = files_[path];
  f.size = size;
  f.synced = std::min(f.synced, size);
}

void FaultInjectionFileSystem::OnSync(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  FileState& f = files_[path];
  f.size = size;
  f.synced = size;
}

uint64_t FaultInjectionFileSystem::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

int FaultInjectionFileSystem::sync_count() const {
  std::lock_guard lock(mu_);
  return sync_count_;
}

void FaultInjectionFileSystem::FailOnce(Op op, int skip, StatusCode code) {
  std::lock_guard lock(mu_);
  failures_[op] = Failure{skip, false, code};
}

void FaultInjectionFileSystem::FailAlways(Op op, StatusCode code) {
  std::lock_guard lock(mu_);
  failures_[op] = Failure{0, true, code};
}

void FaultInjectionFileSystem::ClearFailures() {
  std::lock_guard lock(mu_);
  failures_.clear();
}

Result<std::unique_ptr<WritableFile>> FaultInjectionFileSystem::OpenWritable(
    const std::string& path, bool truncate) {
  RETURN_IF_ERROR(Check(Op::kOpen, path));
  bool existed = base_->Exists(path);
  ASSIGN_OR_RETURN(auto file, base_->OpenWritable(path, truncate));
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = files_.try_emplace(path);
    FileState& f = it->second;
    if (inserted) {
      // A file from before this file system saw it is durable as it stands.
      f.entry_durable = existed;
      f.synced = f.size = file->Size();
    }
    if (truncate) f.synced = f.size = 0;
  }
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultWritableFile>(this, path, std::move(file)));
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionFileSystem::OpenReadable(
    const std::string& path) {
  RETURN_IF_ERROR(Check(Op::kOpen, path));
  return base_->OpenReadable(path);
}

Status FaultInjectionFileSystem::SyncDir(const std::string& path) {
  RETURN_IF_ERROR(Check(Op::kSyncDir, path));
  RETURN_IF_ERROR(base_->SyncDir(path));
  std::lock_guard lock(mu_);
  for (auto& [name, f] : files_) {
    if (DirName(name) == DirName(JoinPath(path, "x"))) f.entry_durable = true;
  }
  for (auto& [dir, durable] : renamed_dirs_) {
    if (DirName(dir) == DirName(JoinPath(path, "x"))) durable = true;
  }
  return Status::OK();
}

Status FaultInjectionFileSystem::Remove(const std::string& path) {
  RETURN_IF_ERROR(Check(Op::kRemove, path));
  RETURN_IF_ERROR(base_->Remove(path));
  std::lock_guard lock(mu_);
  files_.erase(path);
  renamed_dirs_.erase(path);
  return Status::OK();
}

Status FaultInjectionFileSystem::Rename(const std::string& from, const std::string& to) {
  RETURN_IF_ERROR(Check(Op::kRename, from));
  RETURN_IF_ERROR(base_->Rename(from, to));
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, FileState>> inside;
  for (auto it = files_.begin(); it != files_.end();) {
    if (IsUnder(it->first, from)) {
      inside.emplace_back(to + it->first.substr(from.size()), it->second);
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  if (!inside.empty() || renamed_dirs_.count(from)) {  // a directory
    for (auto& [path, state] : inside)
      files_[path] = state;
    renamed_dirs_.erase(from);
    renamed_dirs_[to] = false;
    return Status::OK();
  }
  FileState f = files_.count(from) ? files_[from] : FileState{};
  files_.erase(from);
  f.entry_durable = false;
  files_[to] = f;
  return Status::OK();
}

Status FaultInjectionFileSystem::Truncate(const std::string& path, uint64_t size) {
  RETURN_IF_ERROR(Check(Op::kTruncate, path));
  RETURN_IF_ERROR(base_->Truncate(path, size));  // durable: the base syncs it
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it != files_.end()) it->second.synced = it->second.size = size;
  return Status::OK();
}

Status FaultInjectionFileSystem::SimulateCrash(std::optional<uint64_t> torn_seed) {
  std::lock_guard lock(mu_);
  ++epoch_;
  std::mt19937_64 rng(torn_seed.value_or(0));
  for (auto& [path, f] : files_) {
    if (!f.entry_durable) {
      if (base_->Exists(path)) RETURN_IF_ERROR(base_->Remove(path));
      continue;
    }
    uint64_t keep = f.synced;
    if (torn_seed && f.size > f.synced) keep += rng() % (f.size - f.synced + 1);
    RETURN_IF_ERROR(base_->Truncate(path, keep));
  }
  files_.clear();
  for (const auto& [dir, durable] : renamed_dirs_) {
    if (!durable) RETURN_IF_ERROR(RemoveTree(base_, dir));
  }
  renamed_dirs_.clear();
  return Status::OK();
}

}  // namespace strata::testing
