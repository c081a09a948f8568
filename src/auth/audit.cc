#include "auth/audit.h"

#include <pwd.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/json_writer.h"

namespace strata::auth {

AuditLog::AuditLog(const std::string& data_dir, FileSystem* fs)
    : dir_(JoinPath(data_dir, "auth")), path_(JoinPath(dir_, "audit.log")), fs_(fs) {}

Status AuditLog::Record(const std::string& who, const std::string& token_id,
                        const std::string& what, int status) {
  const std::string line = JsonObject()
                               .Add("time", FormatTimestamp(NowMicros()))
                               .Add("who", who)
                               .Add("token", token_id)
                               .Add("what", what)
                               .Add("status", status)
                               .Finish() +
                           "\n";
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(fs_->CreateDirs(dir_));
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, fs_->OpenWritable(path_, false));
  RETURN_IF_ERROR(file->Append(line));
  RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

std::string LocalUser() {
  const uid_t uid = ::getuid();
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[1024];
  if (::getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found != nullptr) {
    return std::string("local:") + found->pw_name;
  }
  return "local:uid " + std::to_string(uid);
}

}  // namespace strata::auth
