// A FileSystem for tests that simulates power loss and injects I/O errors (after LevelDB's
// db/fault_injection_test.cc and RocksDB's FaultInjectionTestFS).
//
// It forwards to a real FileSystem and remembers, per file written through it, how many bytes
// are durable (synced) and whether its directory entry is durable (SyncDir of its directory
// since it was created or renamed into place). SimulateCrash() then makes the files look
// like the disk would after a power cut: unsynced bytes are dropped (or, with a seed, a
// random prefix of them survives, which tears batches in half), and files whose directory
// entry was never synced disappear.
//
// A renamed directory (a checkpoint moved into place) keeps what is known of its files;
// its new entry is durable after SyncDir of its new parent, and is lost with everything in
// it otherwise.
//
// Limits of the model: a rename whose directory was not synced loses the target entirely
// (a real disk might keep the old file); directories created through CreateDirs are durable.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "common/file_system.h"

namespace strata::testing {

class FaultInjectionFileSystem final : public FileSystem {
 public:
  enum class Op { kAppend, kSync, kSyncDir, kOpen, kRename, kTruncate, kRemove };

  explicit FaultInjectionFileSystem(FileSystem* base = FileSystem::Default()) : base_(base) {}

  // Loses what a power cut would lose. Writable files opened before stay usable as handles
  // but everything they write afterwards fails. With a seed, a random prefix of each file's
  // unsynced bytes survives instead of none.
  Status SimulateCrash(std::optional<uint64_t> torn_seed = std::nullopt);

  // The op fails with kIOError (or `code`: kNoSpace, a full disk) once, after `skip` more
  // successful calls of that op.
  void FailOnce(Op op, int skip = 0, StatusCode code = StatusCode::kIOError);
  // Every later call of the op fails until ClearFailures.
  void FailAlways(Op op, StatusCode code = StatusCode::kIOError);
  void ClearFailures();
  int sync_count() const;

  // FileSystem.
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                     bool truncate) override;
  Result<std::unique_ptr<RandomAccessFile>> OpenReadable(const std::string& path) override;
  Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  Status SyncDir(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    return base_->ListDir(path);
  }
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Result<uint64_t> FileSize(const std::string& path) override { return base_->FileSize(path); }
  bool Exists(const std::string& path) override { return base_->Exists(path); }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override {
    return base_->Lock(path);
  }

  // Called by the file wrappers.
  Status Check(Op op, const std::string& path);
  void OnAppend(const std::string& path, uint64_t size);
  void OnSync(const std::string& path, uint64_t size);
  void OnTruncate(const std::string& path, uint64_t size);
  uint64_t epoch() const;

 private:
  struct FileState {
    uint64_t synced = 0;
    uint64_t size = 0;
    bool entry_durable = false;
  };
  struct Failure {
    int skip = 0;
    bool always = false;
    StatusCode code = StatusCode::kIOError;
  };

  FileSystem* const base_;
  mutable std::mutex mu_;
  std::map<std::string, FileState> files_;
  std::map<std::string, bool> renamed_dirs_;  // directory renamed into place → entry durable
  std::map<Op, Failure> failures_;
  uint64_t epoch_ = 0;  // bumped by SimulateCrash: older handles stop working
  int sync_count_ = 0;
};

}  // namespace strata::testing
