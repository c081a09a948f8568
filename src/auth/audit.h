// The audit log: one JSON line per administrative operation, appended durably to
// DATA/auth/audit.log before the operation's answer is sent —
//
//   {"time": "2026-12-08T10:00:00.000000Z", "who": NAME, "token": ID, "what": "POST
//    /v1/views/gold.x/cutover", "status": 200}
//
// `who` is the token's name (or "local:<user>" for a command run on the data directory
// itself), `status` the HTTP status answered (or 0 for a local command that succeeded).
// Refused attempts at administrative routes are recorded too.
#pragma once

#include <string>

#include "absl/synchronization/mutex.h"
#include "common/file_system.h"
#include "common/status.h"

namespace strata::auth {

class AuditLog {
 public:
  explicit AuditLog(const std::string& data_dir, FileSystem* fs = FileSystem::Default());

  Status Record(const std::string& who, const std::string& token_id, const std::string& what,
                int status);

  std::string path() const { return path_; }

 private:
  std::string dir_, path_;
  FileSystem* fs_;
  absl::Mutex mu_;  // one append at a time
};

// "local:<login name>" (or "local:uid <n>"): who runs a command on the data directory.
std::string LocalUser();

}  // namespace strata::auth
