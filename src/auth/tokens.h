// Bearer tokens and what they grant. A token is shown once, when it is created; the data
// directory keeps only its SHA-256 (DATA/auth/tokens.json), so a copy of the directory gives
// no one a working token. A token reads
//
//   strata_<id>_<secret>     id: 12 hex digits, public (list, revoke, the audit log);
//                            secret: 64 hex digits from the system's random source
//
// and grants, on top of being known:
//
//   admin             everything: every table, the serving commands, status, tokens
//   ingest TABLE...   POST /v1/tables/TABLE/events for each table named
//   read PRODUCT...   queries, versions and drift of each gold view named (and its late
//                     table); a product's owner (a token whose name is the view's `owner`)
//                     reads it too, and the silver and quarantine tables it is built on
//
// The file changes only under DATA/auth/LOCK, by atomic replacement; a TokenStore notices
// another process's change at its next Authenticate (`strata token revoke` takes effect on a
// running server at once).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/file_system.h"
#include "common/status.h"

namespace strata::auth {

struct Grants {
  bool admin = false;
  std::vector<std::string> ingest;  // tables, as the ingest route names them
  std::vector<std::string> read;    // gold views, qualified ("gold.revenue")

  // "admin", or "ingest a, b; read gold.x" ("no grants" when empty: such a token reads the
  // products its name owns, if any).
  std::string ToString() const;
};

struct TokenInfo {
  std::string id;
  std::string name;  // who holds it: the audit log's "who", a product's owner
  Grants grants;
  Micros created = 0;
  Micros revoked = 0;  // 0 while valid
  std::string sha256;  // hex digest of the whole token
};

// A token created: its text (shown once) and what is stored of it.
struct NewToken {
  std::string token;
  TokenInfo info;
};

class TokenStore {
 public:
  // The tokens of data directory `data_dir` (none yet when it has no DATA/auth).
  explicit TokenStore(std::string data_dir, FileSystem* fs = FileSystem::Default());

  // A new token for `name` with `grants`; durable when this returns.
  Result<NewToken> Create(const std::string& name, const Grants& grants);
  // Revokes token `id` durably; NotFound when there is no such token.
  Result<TokenInfo> Revoke(const std::string& id);
  // Every token ever created, oldest first, revoked ones included.
  Result<std::vector<TokenInfo>> List();
  // True when the directory has never had a token (the server's first start).
  bool Empty();
  // The holder of `token`: Unauthenticated when it is malformed, unknown or revoked. The
  // secret is compared in constant time.
  Result<TokenInfo> Authenticate(std::string_view token);

  std::string path() const { return path_; }
  std::string dir() const { return dir_; }

 private:
  // Reads the file again if another process replaced it since the last read.
  Status Refresh() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Read-modify-write under DATA/auth/LOCK.
  Status Update(const std::function<Status(std::vector<TokenInfo>*)>& change);
  Status Load(std::vector<TokenInfo>* tokens, std::string* stamp);

  std::string dir_, path_;
  FileSystem* fs_;
  absl::Mutex mu_;
  std::vector<TokenInfo> tokens_ ABSL_GUARDED_BY(mu_);
  std::string stamp_ ABSL_GUARDED_BY(mu_);  // the file's identity when read (inode, size, mtime)
};

// Writes `text` to a new file `path` only its owner may read (0600), durably; AlreadyExists
// when the file exists (a secret is never overwritten).
Status WriteSecretFile(const std::string& path, std::string_view text);

// SHA-256 of `data` as 64 hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace strata::auth
