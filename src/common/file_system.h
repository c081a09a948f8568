// The file layer. Every byte strata persists goes through a FileSystem, so that a test can
// substitute one that loses unsynced data or injects I/O errors (tests/testing/
// fault_injection_fs.h) and prove that nothing acknowledged is ever lost.
//
// Durability contract (POSIX): bytes appended to a WritableFile are durable after Sync()
// returns OK; a newly created file's name, a rename or a removal is durable after SyncDir() of
// its directory returns OK (a renamed directory: SyncDir of its new parent). Nothing else is
// promised.
//
// Thread safety: a FileSystem is safe for concurrent use. A WritableFile is used by one
// thread at a time. RandomAccessFile::Read is safe to call concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace strata {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data` at the end of the file (not yet durable).
  virtual Status Append(std::string_view data) = 0;
  // Makes every appended byte durable (fdatasync).
  virtual Status Sync() = 0;
  // Cuts the file back to `size` <= Size() bytes (bytes a failed Append left); later
  // appends go from there. Durable with the next Sync.
  virtual Status Truncate(uint64_t size) = 0;
  virtual Status Close() = 0;
  // Bytes in the file, appended ones included.
  virtual uint64_t Size() const = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into scratch; *result views the bytes read (fewer than n
  // only at the end of the file).
  virtual Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const = 0;
  virtual Result<uint64_t> Size() const = 0;
};

// Held while a process owns a resource; released on destruction or process death.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The operating system's file system. Never null; lives for the whole process.
  static FileSystem* Default();

  // Opens `path` for appending, creating it if absent (truncating it first if asked).
  virtual Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                             bool truncate) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> OpenReadable(const std::string& path) = 0;
  virtual Status CreateDirs(const std::string& path) = 0;
  virtual Status SyncDir(const std::string& path) = 0;
  // Names in a directory, without "." and "..", sorted.
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  // Removes a file, or an empty directory.
  virtual Status Remove(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // Takes an exclusive lock on `path` (created if absent) that another process cannot take
  // at the same time; fails with kLocked, naming the holder's pid, when it is held.
  virtual Result<std::unique_ptr<FileLock>> Lock(const std::string& path) = 0;

  // Reads a whole file.
  Status ReadFile(const std::string& path, std::string* out);
  // Replaces `path` with `data` atomically and durably: write a temporary, sync, rename,
  // sync the directory. A crash leaves either the old or the new content.
  Status WriteFileAtomic(const std::string& path, std::string_view data);
};

std::string JoinPath(std::string_view dir, std::string_view name);
std::string DirName(std::string_view path);

}  // namespace strata
