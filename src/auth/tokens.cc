#include "auth/tokens.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <chrono>
#include <thread>

#include "absl/strings/str_join.h"
#include "common/assert.h"
#include "common/json_writer.h"

namespace strata::auth {
namespace {

constexpr std::string_view kPrefix = "strata_";
constexpr size_t kIdBytes = 6, kSecretBytes = 32;
constexpr int kLockAttempts = 500;  // 10 ms apart: another `strata token` finishes well within

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

Result<std::string> RandomHex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) {
    return Status::IOError("the system's random source failed (OpenSSL RAND_bytes)");
  }
  return Hex(buf.data(), bytes);
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Serialize(const std::vector<TokenInfo>& tokens) {
  std::string out = "{\"tokens\": [\n";
  for (size_t i = 0; i < tokens.size(); ++i) {
    const TokenInfo& t = tokens[i];
    out += "  " + JsonObject()
                      .Add("id", t.id)
                      .Add("name", t.name)
                      .Add("sha256", t.sha256)
                      .Add("admin", t.grants.admin)
                      .AddRaw("ingest", JsonStrings(t.grants.ingest))
                      .AddRaw("read", JsonStrings(t.grants.read))
                      .Add("created", static_cast<int64_t>(t.created))
                      .Add("revoked", static_cast<int64_t>(t.revoked))
                      .Finish();
    out += i + 1 < tokens.size() ? ",\n" : "\n";
  }
  return out + "]}\n";
}

Status ReadStrings(simdjson::simdjson_result<simdjson::dom::element> field,
                   std::vector<std::string>* out) {
  simdjson::dom::array array;
  if (field.get(array)) return Status::Corruption("expected an array of strings");
  for (simdjson::dom::element v : array) {
    std::string_view s;
    if (v.get(s)) return Status::Corruption("expected an array of strings");
    out->emplace_back(s);
  }
  return Status::OK();
}

Status Parse(const std::string& path, const std::string& text, std::vector<TokenInfo>* tokens) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array array;
  auto bad = [&](size_t i, std::string_view what) {
    return Status::Corruption(path + ": token " + std::to_string(i) + ": " + std::string(what));
  };
  if (parser.parse(text).get(doc) || doc["tokens"].get(array)) {
    return Status::Corruption(path + ": not a token file ({\"tokens\": [...]})");
  }
  size_t i = 0;
  for (simdjson::dom::element e : array) {
    TokenInfo t;
    std::string_view id, name, sha;
    int64_t created = 0, revoked = 0;
    if (e["id"].get(id) || e["name"].get(name) || e["sha256"].get(sha) ||
        e["admin"].get(t.grants.admin) || e["created"].get(created) || e["revoked"].get(revoked)) {
      return bad(i, "a field is missing or mistyped");
    }
    if (sha.size() != 64 || !IsHex(sha)) return bad(i, "sha256 is not 64 hex digits");
    if (Status s = ReadStrings(e["ingest"], &t.grants.ingest); !s.ok()) {
      return bad(i, "ingest: " + s.message());
    }
    if (Status s = ReadStrings(e["read"], &t.grants.read); !s.ok()) {
      return bad(i, "read: " + s.message());
    }
    t.id = id;
    t.name = name;
    t.sha256 = sha;
    t.created = created;
    t.revoked = revoked;
    tokens->push_back(std::move(t));
    ++i;
  }
  return Status::OK();
}

// The identity of the file now: a replacement (rename) changes the inode.
std::string Stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "absent";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

std::string Grants::ToString() const {
  if (admin) return "admin";
  std::string out;
  if (!ingest.empty()) out = "ingest " + absl::StrJoin(ingest, ", ");
  if (!read.empty()) out += (out.empty() ? "read " : "; read ") + absl::StrJoin(read, ", ");
  return out.empty() ? "no grants" : out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  STRATA_ASSERT(EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr) == 1);
  return Hex(digest, n);
}

Status WriteSecretFile(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::AlreadyExists(path + " exists; it is not overwritten");
    return Status::FromErrno("create", path, errno);
  }
  Status s;
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd) != 0) {
    s = Status::FromErrno("write", path, errno);
  }
  ::close(fd);
  if (s.ok()) s = FileSystem::Default()->SyncDir(DirName(path));
  return s;
}

TokenStore::TokenStore(std::string data_dir, FileSystem* fs)
    : dir_(JoinPath(data_dir, "auth")), path_(JoinPath(dir_, "tokens.json")), fs_(fs) {}

Status TokenStore::Load(std::vector<TokenInfo>* tokens, std::string* stamp) {
  tokens->clear();
  // The stamp first: a replacement racing the read makes the next Refresh read again.
  *stamp = Stamp(path_);
  if (!fs_->Exists(path_)) return Status::OK();
  std::string text;
  RETURN_IF_ERROR(fs_->ReadFile(path_, &text));
  return Parse(path_, text, tokens);
}

Status TokenStore::Refresh() {
  if (Stamp(path_) == stamp_ && !stamp_.empty()) return Status::OK();
  Status s = Load(&tokens_, &stamp_);
  if (!s.ok()) {
    tokens_.clear();
    stamp_.clear();  // a damaged file stays an error until it is replaced
  }
  return s;
}

Status TokenStore::Update(const std::function<Status(std::vector<TokenInfo>*)>& change) {
  RETURN_IF_ERROR(fs_->CreateDirs(dir_));
  ::chmod(dir_.c_str(), 0700);  // what is in it names who may do what
  const std::string lock_path = JoinPath(dir_, "LOCK");
  Result<std::unique_ptr<FileLock>> file_lock = fs_->Lock(lock_path);
  for (int i = 1; i < kLockAttempts && file_lock.status().code() == StatusCode::kLocked; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    file_lock = fs_->Lock(lock_path);
  }
  RETURN_IF_ERROR(file_lock.status());
  absl::MutexLock lock(&mu_);
  std::vector<TokenInfo> tokens;
  std::string stamp;
  RETURN_IF_ERROR(Load(&tokens, &stamp));
  RETURN_IF_ERROR(change(&tokens));
  RETURN_IF_ERROR(fs_->WriteFileAtomic(path_, Serialize(tokens)));
  tokens_ = std::move(tokens);
  stamp_ = Stamp(path_);
  return Status::OK();
}

Result<NewToken> TokenStore::Create(const std::string& name, const Grants& grants) {
  if (name.empty()) return Status::InvalidArgument("a token needs a name (who holds it)");
  if (!IsValidUtf8(name)) return Status::InvalidArgument("a token's name must be UTF-8");
  NewToken created;
  ASSIGN_OR_RETURN(std::string secret, RandomHex(kSecretBytes));
  RETURN_IF_ERROR(Update([&](std::vector<TokenInfo>* tokens) -> Status {
    std::string id;
    for (bool unique = false; !unique;) {  // 48 random bits: a clash is a curiosity
      ASSIGN_OR_RETURN(id, RandomHex(kIdBytes));
      unique = true;
      for (const TokenInfo& t : *tokens)
        unique = unique && t.id != id;
    }
    created.token = std::string(kPrefix) + id + "_" + secret;
    TokenInfo& info = created.info;
    info.id = id;
    info.name = name;
    info.grants = grants;
    info.created = NowMicros();
    info.sha256 = Sha256Hex(created.token);
    tokens->push_back(info);
    return Status::OK();
  }));
  return created;
}

Result<TokenInfo> TokenStore::Revoke(const std::string& id) {
  TokenInfo revoked;
  RETURN_IF_ERROR(Update([&](std::vector<TokenInfo>* tokens) -> Status {
    for (TokenInfo& t : *tokens) {
      if (t.id != id) continue;
      if (t.revoked == 0) t.revoked = NowMicros();
      revoked = t;
      return Status::OK();
    }
    return Status::NotFound("no token " + id + " (strata token list shows them)");
  }));
  return revoked;
}

Result<std::vector<TokenInfo>> TokenStore::List() {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Refresh());
  return tokens_;
}

bool TokenStore::Empty() {
  return !fs_->Exists(path_);
}

Result<TokenInfo> TokenStore::Authenticate(std::string_view token) {
  const size_t id_digits = 2 * kIdBytes, secret_digits = 2 * kSecretBytes;
  if (token.size() != kPrefix.size() + id_digits + 1 + secret_digits ||
      !token.starts_with(kPrefix) || token[kPrefix.size() + id_digits] != '_' ||
      !IsHex(token.substr(kPrefix.size(), id_digits)) ||
      !IsHex(token.substr(kPrefix.size() + id_digits + 1))) {
    return Status::Unauthenticated("malformed token (a strata token reads strata_<id>_<secret>)");
  }
  const std::string id(token.substr(kPrefix.size(), id_digits));
  const std::string digest = Sha256Hex(token);
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Refresh());
  for (const TokenInfo& t : tokens_) {
    if (t.id != id) continue;
    if (CRYPTO_memcmp(t.sha256.data(), digest.data(), digest.size()) != 0) break;
    if (t.revoked != 0) {
      return Status::Unauthenticated("token " + id + " was revoked at " +
                                     FormatTimestamp(t.revoked));
    }
    return t;
  }
  return Status::Unauthenticated("unknown token " + id);
}

}  // namespace strata::auth
