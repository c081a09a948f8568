// Every command's error paths, through the real `strata` binary: a pipeline that does not
// bind, a data directory that does not exist, one that another process holds, and options
// that do not parse. Each must end with one sentence on stderr ("strata: error: ...") naming
// what is wrong, exit 1 (2 for usage errors), never a signal, and leave nothing behind.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;
using ::testing::StartsWith;

constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.orders (order_id text, amount numeric(10,2), status text)
WITH (layer = 'bronze', key = 'order_id', partitions = 2);
CREATE TABLE silver.orders (order_id text NOT NULL, amount numeric(10,2), status text,
                            PRIMARY KEY (order_id))
WITH (layer = 'silver');
INSERT INTO silver.orders SELECT order_id, amount, status FROM bronze.orders;
CREATE MATERIALIZED VIEW gold.by_status AS
SELECT status, count(*) AS n, sum(amount) AS total FROM silver.orders GROUP BY status;
)sql";

// The same pipeline with an option the binder does not know, at line 6, column 7.
std::string BadPipeline() {
  std::string text = kPipeline;
  const std::string from = "WITH (layer = 'silver');";
  text.replace(text.find(from), from.size(), "WITH (layer = 'silver', dedupe_ordr = 'x');");
  return text;
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + ", signal " + std::to_string(r.term_signal) +
         "\nstdout: " + r.out + "\nstderr: " + r.err;
}

class CommandErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    good_ = Write("good.sql", kPipeline);
    bad_ = Write("bad.sql", BadPipeline());
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  ProcessResult Strata(std::vector<std::string> args, std::string_view input = {}) {
    args.insert(args.begin(), STRATA_BINARY);
    return testing::RunProcess(args, input, std::chrono::seconds(60));
  }

  // A command that must fail with `exit_code` and one error sentence containing `what`.
  void ExpectError(std::vector<std::string> args, const std::string& what, int exit_code = 1) {
    ProcessResult r = Strata(args);
    std::string command;
    for (const auto& a : args)
      command += a + " ";
    EXPECT_EQ(r.term_signal, 0) << command << Describe(r);
    EXPECT_EQ(r.exit_code, exit_code) << command << Describe(r);
    if (exit_code == 1) {
      EXPECT_THAT(r.err, StartsWith("strata: error: ")) << command;
    }
    EXPECT_THAT(r.err, HasSubstr(what)) << command;
  }

  // A data directory with the good pipeline run once over two orders.
  void Prepare() {
    ASSERT_EQ(Strata({"check", good_, "--data", data_}).exit_code, 0);
    ProcessResult ingest = Strata({"ingest", "--data", data_, "--table", "bronze.orders"},
                                  R"({"order_id":"o1","amount":1.5,"status":"paid"})"
                                  "\n"
                                  R"({"order_id":"o2","amount":2,"status":"open"})"
                                  "\n");
    ASSERT_EQ(ingest.exit_code, 0) << Describe(ingest);
    ProcessResult run = Strata({"run", "--data", data_, "--pipeline", good_, "--until-caught-up"});
    ASSERT_EQ(run.exit_code, 0) << Describe(run);
  }

  testing::TempDir dir_;
  std::string data_, good_, bad_;
};

TEST_F(CommandErrorsTest, APipelineThatDoesNotBindIsReportedWithItsPlace) {
  const std::string where = "bad.sql:6:25: unknown option \"dedupe_ordr\"";
  ExpectError({"check", bad_}, where);
  ExpectError({"check", bad_, "--data", data_}, where);
  ExpectError({"run", "--data", data_, "--pipeline", bad_}, where);
  ExpectError({"batch", "--data", data_, "--pipeline", bad_}, where);
  // The server used to die of a segmentation fault here (it stopped an HTTP server it had
  // not created yet).
  ExpectError({"server", "--data", data_, "--pipeline", bad_, "--listen", "127.0.0.1:0"}, where);
  EXPECT_FALSE(std::filesystem::exists(data_ + "/pipeline/pipeline.sql"));
  // A replay whose SQL does not bind, against a directory that runs the good pipeline.
  Prepare();
  ExpectError({"replay", "gold.by_status", "--data", data_, "--pipeline", bad_, "--as", "r"},
              where);
  ExpectError({"server", "--data", data_, "--pipeline", bad_, "--listen", "127.0.0.1:0"}, where);
  // The directory still answers with its own pipeline.
  ProcessResult q = Strata(
      {"query", "--data", data_, "SELECT count(*) AS n FROM gold.by_status", "--format", "csv"});
  EXPECT_EQ(q.exit_code, 0) << Describe(q);
  EXPECT_EQ(q.out, "n\n2\n");
}

TEST_F(CommandErrorsTest, AMissingDataDirectoryIsNamedAndNotCreated) {
  const std::string missing = dir_.path() + "/no such dir";
  const std::string what = "data directory " + missing + " does not exist";
  ExpectError({"query", "--data", missing, "SELECT * FROM gold.by_status"}, what);
  ExpectError({"status", "--data", missing}, what);
  ExpectError({"versions", "--data", missing, "gold.by_status"}, what);
  ExpectError({"drift", "--data", missing, "gold.by_status"}, what);
  ExpectError({"validate", "--data", missing, "gold.by_status", "r"}, what);
  ExpectError({"cutover", "--data", missing, "gold.by_status", "r"}, what);
  ExpectError({"rollback", "--data", missing, "gold.by_status"}, what);
  ExpectError({"replay", "--data", missing, "gold.by_status", "--as", "r"}, what);
  ExpectError({"log", "--data", missing, "--table", "bronze.orders"}, what);
  ExpectError({"log", "stats", "--data", missing, "--table", "bronze.orders"}, what);
  ExpectError({"schemas", "--data", missing, "bronze.orders"}, missing);
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(CommandErrorsTest, ADirectoryHeldByAnotherProcessIsRefusedToWriters) {
  Prepare();
  // An ingest that reads stdin, which stays open, holds the directory meanwhile.
  testing::Subprocess holder(
      {STRATA_BINARY, "ingest", "--data", data_, "--table", "bronze.orders", "-"});
  const std::string pid = std::to_string(holder.pid());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    std::ifstream lock(data_ + "/LOCK");
    std::string owner;
    if (lock >> owner && owner == pid) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the holder never took the lock";
    holder.Pump(std::chrono::milliseconds(5));
  }
  const std::string held = "in use by another strata process";
  ExpectError({"ingest", "--data", data_, "--table", "bronze.orders"}, held);
  ExpectError({"run", "--data", data_, "--pipeline", good_}, held);
  ExpectError({"batch", "--data", data_, "--pipeline", good_}, held);
  ExpectError({"check", good_, "--data", data_}, held);
  ExpectError({"server", "--data", data_, "--listen", "127.0.0.1:0"}, held);
  ExpectError({"replay", "gold.by_status", "--data", data_, "--pipeline", good_, "--as", "r"},
              held);
  ExpectError({"rollback", "gold.by_status", "--data", data_}, held);
  // Readers answer from the last saved state, and say so.
  ProcessResult q = Strata(
      {"query", "--data", data_, "SELECT count(*) AS n FROM gold.by_status", "--format", "csv"});
  EXPECT_EQ(q.exit_code, 0) << Describe(q);
  EXPECT_EQ(q.out, "n\n2\n");
  EXPECT_THAT(q.err, HasSubstr("another process owns"));
  holder.CloseStdin();
  ProcessResult done = holder.Wait();
  EXPECT_EQ(done.exit_code, 0) << Describe(done);
}

TEST_F(CommandErrorsTest, OptionsThatDoNotParseAreUsageErrors) {
  Prepare();
  // Unknown flags and values outside a fixed set: usage errors (exit 2), nothing touched.
  for (std::vector<std::string> args : {
           std::vector<std::string>{"run", "--data", data_, "--pipeline", good_, "--nope"},
           std::vector<std::string>{"query", "--data", data_, "SELECT 1", "--format", "xml"},
           std::vector<std::string>{"query", "--data", data_, "SELECT 1", "--runtime", "fast"},
           std::vector<std::string>{"batch", "--data", data_},  // no --pipeline
           std::vector<std::string>{"validate", "--data", data_, "gold.by_status"},  // no NAME
           std::vector<std::string>{"server", "--data", data_, "--max-body", "lots"},
           std::vector<std::string>{"gen", "--count", "many"},
       }) {
    ProcessResult r = Strata(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << Describe(r);
    EXPECT_NE(r.err, "") << args[0];
  }
  // Values that parse as strings but mean nothing: one sentence naming the option.
  ExpectError({"server", "--data", data_, "--checkpoint-every", "often"}, "--checkpoint-every");
  ExpectError({"server", "--data", data_, "--batch-every", "-5s"}, "--batch-every");
  ExpectError({"server", "--data", data_, "--listen", "127.0.0.1:99999"}, "99999");
  ExpectError({"demo", "--data", data_ + "/demo", "--listen", "nowhere:x"}, "nowhere:x");
  // Without --data the demo makes a directory under /tmp, only once its options parse.
  auto demo_dirs = [] {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator("/tmp")) {
      if (e.path().filename().string().starts_with("strata-demo-")) out.insert(e.path());
    }
    return out;
  };
  const std::set<std::string> before = demo_dirs();
  ExpectError({"demo", "--listen", "nowhere:x"}, "nowhere:x");
  ExpectError({"demo", "--batch-every", "-5s"}, "--batch-every");
  EXPECT_EQ(demo_dirs(), before);
  ExpectError({"replay", "gold.by_status", "--data", data_, "--from-checkpoint", "soon"},
              "--from-checkpoint");
  ExpectError({"query", "--data", data_, "SELECT * FROM gold.nothing"}, "gold.nothing");
  ExpectError({"query", "--data", data_, "SELEC 1"}, "syntax error");
  ExpectError({"versions", "--data", data_, "gold.nothing"}, "gold.nothing");
  ExpectError({"rollback", "--data", data_, "gold.by_status"}, "gold.by_status");
  ExpectError({"validate", "--data", data_, "gold.by_status", "never-ran"}, "never-ran");
  ExpectError({"cutover", "--data", data_, "gold.by_status", "never-ran"}, "never-ran");
  // The directory is intact.
  ProcessResult q = Strata(
      {"query", "--data", data_, "SELECT count(*) AS n FROM gold.by_status", "--format", "csv"});
  EXPECT_EQ(q.out, "n\n2\n") << Describe(q);
}

}  // namespace
}  // namespace strata
