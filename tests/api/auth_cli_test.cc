// The token commands and the token a serving command sends, through the real `strata`
// binary: `strata token create | list | revoke`, `strata server --auth on` making the first
// admin token, and `--token`, $STRATA_TOKEN, `--token-file` and ~/.config/strata/token in
// that order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::ProcessResult;

ProcessResult Strata(std::vector<std::string> args) {
  args.insert(args.begin(), STRATA_BINARY);
  return testing::RunProcess(args);
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.orders (id text, customer text, amount numeric(12,2))
WITH (layer = 'bronze', format = 'json', key = 'id', partitions = 1);
CREATE TABLE silver.orders (id text NOT NULL, customer text, amount numeric(12,2),
  PRIMARY KEY (id)) WITH (layer = 'silver');
INSERT INTO silver.orders SELECT id, customer, amount FROM bronze.orders;
CREATE MATERIALIZED VIEW gold.revenue WITH (serving = 'kappa', owner = 'finance') AS
SELECT customer, sum(amount) AS revenue FROM silver.orders GROUP BY customer;
)sql";

class AuthCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // No token from the environment unless a test puts one there.
    ::unsetenv("STRATA_TOKEN");
    ::setenv("HOME", dir_.Sub("home").c_str(), 1);
  }
  std::string data() { return dir_.Sub("data"); }
  testing::TempDir dir_;
};

TEST_F(AuthCliTest, CreateListAndRevoke) {
  ProcessResult created = Strata({"token", "create", "--data", data(), "--read", "revenue",
                                  "--read", "gold.other", "--name", "analyst"});
  ASSERT_EQ(created.exit_code, 0) << Describe(created);
  EXPECT_THAT(created.out, MatchesRegex("strata_[0-9a-f]{12}_[0-9a-f]{64}\n"));
  EXPECT_THAT(created.err, HasSubstr("analyst: read gold.revenue, gold.other"));
  const std::string id = created.out.substr(7, 12);
  ProcessResult json =
      Strata({"token", "create", "--data", data(), "--ingest", "bronze.orders", "--json"});
  ASSERT_EQ(json.exit_code, 0) << Describe(json);
  EXPECT_THAT(json.out, HasSubstr("\"name\": \"ingest bronze.orders\", \"admin\": false, "
                                  "\"ingest\": [\"bronze.orders\"], \"read\": []"));
  EXPECT_THAT(json.out, HasSubstr("\"token\": \"strata_"));

  ProcessResult list = Strata({"token", "list", "--data", data()});
  ASSERT_EQ(list.exit_code, 0) << Describe(list);
  EXPECT_THAT(list.out, HasSubstr(id));
  EXPECT_THAT(list.out, HasSubstr("read gold.revenue, gold.other"));
  EXPECT_EQ(list.out.find(created.out.substr(20, 64)), std::string::npos) << "no secret listed";

  ProcessResult revoked = Strata({"token", "revoke", "--data", data(), id});
  ASSERT_EQ(revoked.exit_code, 0) << Describe(revoked);
  EXPECT_THAT(revoked.out, HasSubstr("revoked " + id + " (analyst)"));
  ProcessResult list_json = Strata({"token", "list", "--data", data(), "--json"});
  EXPECT_THAT(list_json.out, MatchesRegex(".*\"id\": \"" + id + "\".*\"revoked\": \"20[0-9-]+T.*"));

  ProcessResult unknown = Strata({"token", "revoke", "--data", data(), "000000000000"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no token 000000000000"));
  ProcessResult nothing = Strata({"token", "create", "--data", data()});
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_THAT(nothing.err, HasSubstr("must grant something"));
  ProcessResult both =
      Strata({"token", "create", "--data", data(), "--role", "admin", "--read", "x"});
  EXPECT_EQ(both.exit_code, 2) << Describe(both);
  ProcessResult role = Strata({"token", "create", "--data", data(), "--role", "root"});
  EXPECT_EQ(role.exit_code, 2) << Describe(role);

  std::string audit;
  std::ifstream in(data() + "/auth/audit.log");
  audit.assign(std::istreambuf_iterator<char>(in), {});
  EXPECT_THAT(audit, HasSubstr("\"what\": \"token create " + id));
  EXPECT_THAT(audit, HasSubstr("\"what\": \"token revoke " + id));
  EXPECT_THAT(audit, HasSubstr("\"who\": \"local:"));
}

TEST_F(AuthCliTest, ServerWithAuthAndEveryWayToGiveAToken) {
  const std::string pipeline = dir_.Sub("p.sql");
  WriteFile(pipeline, kPipeline);
  testing::Subprocess server({STRATA_BINARY, "server", "--data", data(), "--pipeline", pipeline,
                              "--listen", "127.0.0.1:0", "--auth", "on"});
  std::string line, admin_file, url;
  while (url.empty() && server.ReadLine(&line, std::chrono::seconds(60))) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex("first admin token in (\\S+)"))) admin_file = m[1];
    if (std::regex_search(line, m, std::regex("on (http://127.0.0.1:[0-9]+).*authentication on"))) {
      url = m[1];
    }
  }
  ASSERT_NE(url, "") << server.err();
  ASSERT_EQ(admin_file, data() + "/auth/admin.token");
  std::string admin;
  std::ifstream(admin_file) >> admin;
  ProcessResult reader = Strata({"token", "create", "--data", data(), "--name", "finance"});
  ASSERT_EQ(reader.exit_code, 0) << Describe(reader);
  const std::string finance = reader.out.substr(0, reader.out.size() - 1);
  const std::string sql = "SELECT count(*) AS n FROM gold.revenue";

  ProcessResult none = Strata({"query", "--server", url, sql});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("Unauthenticated: this server requires a token"));
  ProcessResult flag = Strata({"query", "--server", url, "--token", finance, sql});
  EXPECT_EQ(flag.exit_code, 0) << Describe(flag);
  EXPECT_THAT(flag.out, HasSubstr("{\"n\": 0}"));
  ProcessResult products = Strata({"products", "--server", url, "--token", finance});
  EXPECT_EQ(products.exit_code, 0) << Describe(products);
  EXPECT_THAT(products.out, MatchesRegex("PRODUCT +OWNER +SERVING +LIVE +ROWS +FRESHNESS +"
                                         "OBJECTIVE\ngold.revenue +finance +kappa +.*\n"));
  ProcessResult denied = Strata({"status", "--server", url, "--token", finance});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err, HasSubstr("Permission denied: token"));

  // A file, then the environment over it, then the flag over both.
  WriteFile(dir_.Sub("finance.token"), finance + "\n");
  ProcessResult file =
      Strata({"query", "--server", url, "--token-file", dir_.Sub("finance.token"), sql});
  EXPECT_EQ(file.exit_code, 0) << Describe(file);
  const std::string unknown = "strata_000000000000_" + std::string(64, '0');
  ::setenv("STRATA_TOKEN", unknown.c_str(), 1);
  ProcessResult env_wins =
      Strata({"query", "--server", url, "--token-file", dir_.Sub("finance.token"), sql});
  EXPECT_EQ(env_wins.exit_code, 1) << "the environment's (unknown) token is sent";
  EXPECT_THAT(env_wins.err, HasSubstr("unknown token 000000000000"));
  ProcessResult flag_wins = Strata({"query", "--server", url, "--token", finance, sql});
  EXPECT_EQ(flag_wins.exit_code, 0) << Describe(flag_wins);
  ::setenv("STRATA_TOKEN", admin.c_str(), 1);
  ProcessResult status = Strata({"status", "--server", url});
  EXPECT_EQ(status.exit_code, 0) << Describe(status);
  ::unsetenv("STRATA_TOKEN");
  // Nothing given: ~/.config/strata/token.
  WriteFile(dir_.Sub("home") + "/.config/strata/token", admin + "\n");
  ProcessResult home = Strata({"status", "--server", url});
  EXPECT_EQ(home.exit_code, 0) << Describe(home);
  ProcessResult empty_file =
      Strata({"status", "--server", url, "--token-file", dir_.Sub("missing.token")});
  EXPECT_EQ(empty_file.exit_code, 1);
  EXPECT_THAT(empty_file.err, HasSubstr("--token-file"));

  // Revoked while the server runs: refused at once.
  ASSERT_EQ(Strata({"token", "revoke", "--data", data(), finance.substr(7, 12)}).exit_code, 0);
  ProcessResult after = Strata({"query", "--server", url, "--token", finance, sql});
  EXPECT_EQ(after.exit_code, 1);
  EXPECT_THAT(after.err, HasSubstr("revoked"));
  server.Kill(SIGTERM);
  EXPECT_EQ(server.Wait().exit_code, 0) << server.err();
}

TEST_F(AuthCliTest, HelpNamesTheOptions) {
  ProcessResult server = Strata({"server", "--help"});
  EXPECT_THAT(server.out, HasSubstr("--auth"));
  ProcessResult create = Strata({"token", "create", "--help"});
  for (const char* flag : {"--data", "--role", "--ingest", "--read", "--name", "--json"})
    EXPECT_THAT(create.out, HasSubstr(flag));
  ProcessResult query = Strata({"query", "--help"});
  EXPECT_THAT(query.out, HasSubstr("--token"));
  EXPECT_THAT(query.out, HasSubstr("--token-file"));
}

}  // namespace
}  // namespace strata
