// The token store (auth/tokens.h) and the audit log (auth/audit.h): what is kept on disk,
// who is recognised, revocation seen by another store on the same directory, and damaged
// files reported rather than read as "no tokens".
#include "auth/tokens.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <thread>
#include <vector>

#include "auth/audit.h"
#include "common/file_system.h"
#include "testing/temp_dir.h"

namespace strata::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

Grants Read(std::vector<std::string> views) {
  Grants g;
  g.read = std::move(views);
  return g;
}

Grants Admin() {
  Grants g;
  g.admin = true;
  return g;
}

std::string Slurp(const std::string& path) {
  std::string text;
  EXPECT_TRUE(FileSystem::Default()->ReadFile(path, &text).ok()) << path;
  return text;
}

class TokensTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::string data() { return dir_.Sub("data"); }
};

TEST_F(TokensTest, Sha256MatchesKnownDigests) {
  // FIPS 180-2's examples.
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(TokensTest, CreatedTokenAuthenticatesAndOnlyItsHashIsStored) {
  TokenStore store(data());
  EXPECT_TRUE(store.Empty());
  auto created = store.Create("analyst", Read({"gold.revenue"}));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_THAT(created->token, MatchesRegex("strata_[0-9a-f]{12}_[0-9a-f]{64}"));
  EXPECT_FALSE(store.Empty());
  auto who = store.Authenticate(created->token);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->id, created->info.id);
  EXPECT_EQ(who->name, "analyst");
  EXPECT_EQ(who->grants.read, std::vector<std::string>{"gold.revenue"});
  EXPECT_FALSE(who->grants.admin);
  // The file holds the id and the digest, never the secret.
  const std::string text = Slurp(store.path());
  const std::string secret = created->token.substr(created->token.rfind('_') + 1);
  EXPECT_EQ(text.find(secret), std::string::npos) << text;
  EXPECT_NE(text.find(Sha256Hex(created->token)), std::string::npos) << text;
  struct stat st {};
  ASSERT_EQ(::stat(store.dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(TokensTest, WrongMalformedAndUnknownTokensAreRefused) {
  TokenStore store(data());
  auto created = store.Create("ops", Admin());
  ASSERT_TRUE(created.ok());
  std::string wrong = created->token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';  // the right id, a wrong secret
  for (const std::string& token :
       {wrong, std::string("strata_000000000000_") + std::string(64, 'a'), std::string("abc"),
        created->token + "0", std::string(""), created->token.substr(1)}) {
    auto who = store.Authenticate(token);
    EXPECT_EQ(who.status().code(), StatusCode::kUnauthenticated) << token;
  }
  EXPECT_THAT(store.Authenticate("abc").status().message(), HasSubstr("malformed"));
  EXPECT_THAT(store.Authenticate(wrong).status().message(), HasSubstr("unknown token"));
}

TEST_F(TokensTest, RevocationIsSeenByAnotherStoreOfTheDirectory) {
  TokenStore server(data());  // as a running server holds it
  auto created = server.Create("ingest-bot", Grants{false, {"bronze.orders"}, {}});
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(server.Authenticate(created->token).ok());
  TokenStore cli(data());  // `strata token revoke` in another process
  auto revoked = cli.Revoke(created->info.id);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_NE(revoked->revoked, 0);
  auto who = server.Authenticate(created->token);
  EXPECT_EQ(who.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(who.status().message(), HasSubstr("revoked"));
  // A token created by the other store is accepted at once too.
  auto later = cli.Create("admin", Admin());
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(server.Authenticate(later->token).ok());
  EXPECT_EQ(cli.Revoke("ffffffffffff").status().code(), StatusCode::kNotFound);
  auto list = server.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "ingest-bot");
  EXPECT_NE((*list)[0].revoked, 0);
  EXPECT_EQ((*list)[1].revoked, 0);
}

TEST_F(TokensTest, ConcurrentCreatesKeepEveryToken) {
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> made(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TokenStore store(data());  // one store per thread: the file lock serialises them
      for (int i = 0; i < kEach; ++i) {
        auto created = store.Create("t" + std::to_string(t), Admin());
        ASSERT_TRUE(created.ok()) << created.status().ToString();
        made[t].push_back(created->token);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  TokenStore check(data());
  auto list = check.List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), static_cast<size_t>(kThreads * kEach));
  for (const auto& tokens : made) {
    for (const auto& token : tokens)
      EXPECT_TRUE(check.Authenticate(token).ok()) << token;
  }
}

TEST_F(TokensTest, DamagedFileIsAnErrorNotAnEmptyStore) {
  TokenStore store(data());
  ASSERT_TRUE(store.Create("a", Admin()).ok());
  const std::string path = store.path();
  std::string text = Slurp(path);
  text.replace(text.find("\"sha256\": \"") + 11, 2, "zz");
  ASSERT_TRUE(FileSystem::Default()->WriteFileAtomic(path, text).ok());
  TokenStore reread(data());
  auto list = reread.List();
  EXPECT_EQ(list.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(list.status().message(), HasSubstr("token 0: sha256"));
  EXPECT_EQ(reread.Authenticate("strata_000000000000_" + std::string(64, 'a')).status().code(),
            StatusCode::kCorruption);
  // A token without its grants (a field missing, not mistyped).
  ASSERT_TRUE(FileSystem::Default()
                  ->WriteFileAtomic(path, R"({"tokens": [{"id": "0123456789ab", "name": "a", )"
                                          R"("sha256": ")" +
                                              std::string(64, 'a') +
                                              R"(", "admin": true, "created": 1, "revoked": 0}]})")
                  .ok());
  auto missing = TokenStore(data()).List();
  EXPECT_EQ(missing.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(missing.status().message(), HasSubstr("token 0: ingest"));
  ASSERT_TRUE(FileSystem::Default()->WriteFileAtomic(path, "{\"tokens\": [").ok());
  EXPECT_EQ(TokenStore(data()).List().status().code(), StatusCode::kCorruption);
}

TEST_F(TokensTest, CreateNeedsAName) {
  TokenStore store(data());
  EXPECT_EQ(store.Create("", Admin()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store.Empty());
  // A name alone is a token too: it reads what its name owns (api/access.h).
  auto owner = store.Create("finance", Grants{});
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(owner->info.grants.ToString(), "no grants");
}

TEST_F(TokensTest, SecretFileIsOwnerOnlyAndNeverOverwritten) {
  ASSERT_TRUE(FileSystem::Default()->CreateDirs(data()).ok());
  const std::string path = data() + "/secret";
  ASSERT_TRUE(WriteSecretFile(path, "s1\n").ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(WriteSecretFile(path, "s2\n").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Slurp(path), "s1\n");
}

TEST_F(TokensTest, AuditLogAppendsOneJsonLinePerOperation) {
  AuditLog audit(data());
  ASSERT_TRUE(audit.Record("ops", "0123456789ab", "POST /v1/views/gold.x/cutover", 200).ok());
  ASSERT_TRUE(audit.Record("local:me", "", "token revoke 0123456789ab (ops)", 0).ok());
  const std::string text = Slurp(audit.path());
  const std::vector<std::string> lines = [&] {
    std::vector<std::string> out;
    for (size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1)
      out.push_back(text.substr(at, end - at));
    return out;
  }();
  ASSERT_EQ(lines.size(), 2u) << text;
  const std::string time = R"re(\{"time": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z", )re";
  EXPECT_THAT(lines[0], MatchesRegex(time + R"re("who": "ops", "token": "0123456789ab", )re"
                                            R"re("what": "POST /v1/views/gold.x/cutover", )re"
                                            R"re("status": 200\})re"));
  EXPECT_THAT(lines[1], MatchesRegex(time + R"re("who": "local:me", "token": "", )re"
                                            R"re("what": "token revoke 0123456789ab \(ops\)", )re"
                                            R"re("status": 0\})re"));
}

}  // namespace
}  // namespace strata::auth
