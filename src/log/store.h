// The log store: one data directory holding bronze tables.
//
//   DIR/LOCK                      held (flock) by the one process that writes DIR
//   DIR/tables/<name>/TABLE       the table's TableConfig; written last, so a table exists
//                                 exactly when this file does
//   DIR/tables/<name>/p-<i>/      partition i: segment (.log) and index (.index) files
//
// One writer per directory: Open takes the lock and fails with kLocked, naming the holder's
// pid, if another process has it. A read-only store takes no lock and repairs nothing on
// disk; it sees what was durable when it opened each partition, up to its last good batch.
//
// Thread safety: all methods may be called concurrently. Tables live as long as the store.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/file_system.h"
#include "log/table.h"

namespace strata::log {

struct StoreOptions {
  FileSystem* fs = nullptr;  // null = FileSystem::Default()
  bool read_only = false;
  CommitOptions commit;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const StoreOptions& options);
  ~Store();

  const std::string& dir() const { return dir_; }
  bool read_only() const { return options_.read_only; }
  // What recovery repaired when the store opened, one sentence each (empty when nothing).
  const std::vector<std::string>& recovery_report() const { return report_; }

  // kNotFound when the table does not exist.
  Result<Table*> GetTable(std::string_view name);
  // Creates a table; kAlreadyExists if it exists, kInvalidArgument for a bad name or config.
  Result<Table*> CreateTable(std::string_view name, TableConfig config);
  std::vector<std::string> TableNames();

  // Sets the hook that pins what retention must keep (see RetentionPin).
  void SetRetentionPin(RetentionPin pin);
  // Applies `policy` to every table; returns the number of segments removed.
  Result<uint32_t> ApplyRetention(const RetentionPolicy& policy, Micros now);

 private:
  Store(FileSystem* fs, std::string dir, StoreOptions options);
  Status LoadTables();
  std::string TableDir(std::string_view name) const;

  FileSystem* const fs_;
  const std::string dir_;
  const StoreOptions options_;
  std::unique_ptr<FileLock> lock_;
  std::vector<std::string> report_;

  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Table>, std::less<>> tables_ ABSL_GUARDED_BY(mu_);
  RetentionPin pin_ ABSL_GUARDED_BY(mu_);
};

// Checks a table name: letters, digits, '_' and '.', starting with a letter or '_'.
Status ValidateTableName(std::string_view name);

}  // namespace strata::log
