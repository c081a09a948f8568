// Semantics as data (STYLE.md, "Tests"): every tests/runtime/cases/*.test file is a
// pipeline, bronze input lines and queries with their expected answers. Each case runs under
// a matrix of schedules — streaming with micro-batches of 1, 7 and 4096 records, streaming
// with a stop and restart (state saved and reloaded) between chunks of input, and the batch
// runtime — and every schedule must give exactly the expected answers.
//
// File format: sections start with a line "=== <kind> [argument]":
//   === pipeline                the pipeline SQL
//   === input <bronze table>    JSON lines appended to that table (ingest's partitioning)
//   === query <SELECT ...>      the expected answer follows as CSV with a header line
//   === query[streaming] <...>  the same, for the streaming schedules only
//   === query[batch] <...>      the same, for the batch runtime only (which is authoritative:
//                               it counts late records, see runtime/executor.h)
// Lines before the first section, and lines starting with '#', are comments.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/query.h"
#include "runtime/runner.h"
#include "runtime_test_util.h"
#include "sql/binder.h"
#include "sql/parser.h"
#include "testing/temp_dir.h"

namespace strata::runtime {
namespace {

struct Query {
  std::string sql;
  std::string expected;
  std::string runtime;  // "streaming", "batch" or empty (both)
};

struct Case {
  std::string name;
  std::string pipeline;
  std::vector<std::pair<std::string, std::vector<std::string>>> inputs;  // table, lines
  std::vector<Query> queries;
};

Case ParseCase(const std::string& path) {
  Case c;
  c.name = std::filesystem::path(path).stem().string();
  std::ifstream in(path);
  std::string line, kind;
  while (std::getline(in, line)) {
    if (line.rfind("=== ", 0) == 0) {
      std::string rest = line.substr(4);
      kind = rest.substr(0, rest.find(' '));
      std::string arg = rest.find(' ') == std::string::npos ? "" : rest.substr(rest.find(' ') + 1);
      if (kind == "input") c.inputs.push_back({arg, {}});
      if (kind.rfind("query", 0) == 0) {
        std::string runtime;
        if (kind.size() > 5) runtime = kind.substr(6, kind.size() - 7);  // query[x]
        c.queries.push_back({arg, "", runtime});
        kind = "query";
      }
      continue;
    }
    if (kind.empty() || (kind != "pipeline" && line.rfind("#", 0) == 0)) continue;
    if (kind == "pipeline") c.pipeline += line + "\n";
    if (kind == "input" && !line.empty()) c.inputs.back().second.push_back(line);
    if (kind == "query" && !line.empty()) c.queries.back().expected += line + "\n";
  }
  return c;
}

std::vector<std::string> CaseFiles() {
  std::vector<std::string> files;
  for (const auto& e :
       std::filesystem::directory_iterator(STRATA_SOURCE_DIR "/tests/runtime/cases")) {
    if (e.path().extension() == ".test") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

enum class Schedule { kStream1, kStream7, kStream4096, kStreamRestart, kBatch };

std::string ScheduleName(Schedule s) {
  switch (s) {
    case Schedule::kStream1:
      return "streaming, batches of 1";
    case Schedule::kStream7:
      return "streaming, batches of 7";
    case Schedule::kStream4096:
      return "streaming, batches of 4096";
    case Schedule::kStreamRestart:
      return "streaming, restart between chunks";
    case Schedule::kBatch:
      return "batch runtime";
  }
  return "?";
}

// Runs the case under one schedule and returns each query's CSV answer (or error).
std::vector<std::string> RunSchedule(const Case& c, Schedule schedule) {
  ::strata::testing::TempDir dir;
  auto store = std::move(log::Store::Open(dir.path(), log::StoreOptions{})).value();
  auto plan = LoadPipeline(c.pipeline, c.name + ".test");
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  if (!plan.ok()) return {};
  EXPECT_TRUE(EnsureBronzeTables(store.get(), *plan).ok());
  auto executor = std::move(PipelineExecutor::Make(*plan)).value();
  executor->set_include_late(schedule == Schedule::kBatch);
  size_t batch = schedule == Schedule::kStream1   ? 1
                 : schedule == Schedule::kStream7 ? 7
                 : schedule == Schedule::kBatch   ? 65536
                                                  : 4096;
  int chunks = schedule == Schedule::kStreamRestart ? 3 : 1;
  for (int chunk = 0; chunk < chunks; ++chunk) {
    for (const auto& [table, lines] : c.inputs) {
      size_t from = lines.size() * chunk / chunks, to = lines.size() * (chunk + 1) / chunks;
      Ingest(*store->GetTable(table), {lines.begin() + from, lines.begin() + to});
    }
    auto pushed = CatchUp(store.get(), executor.get(), *plan, batch);
    EXPECT_TRUE(pushed.ok()) << pushed.status().ToString();
    if (schedule == Schedule::kStreamRestart) {
      std::string state;
      EXPECT_TRUE(executor->Save(&state).ok());
      executor = std::move(PipelineExecutor::Make(*plan)).value();
      Status loaded = executor->Load(state);
      EXPECT_TRUE(loaded.ok()) << loaded.ToString();
    }
  }
  std::vector<std::string> answers;
  for (const Query& q : c.queries) {
    auto select = sql::ParseQuery(q.sql);
    if (!select.ok()) {
      answers.push_back("error: " + select.status().message() + "\n");
      continue;
    }
    auto lookup = [&](std::string_view name) { return plan->FindColumns(name); };
    auto bound = sql::BindQuery(*select, lookup);
    if (!bound.ok()) {
      answers.push_back("error: " + bound.status().message() + "\n");
      continue;
    }
    auto rows = executor->Rows(bound->table);
    auto result = rows.ok() ? ExecuteQuery(*bound, *rows) : Result<QueryResult>(rows.status());
    answers.push_back(result.ok() ? FormatCsv(*result)
                                  : "error: " + result.status().message() + "\n");
  }
  return answers;
}

class PipelineCaseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PipelineCaseTest, EveryScheduleGivesTheExpectedAnswers) {
  Case c = ParseCase(GetParam());
  ASSERT_FALSE(c.queries.empty()) << GetParam() << " has no query";
  for (Schedule s : {Schedule::kStream1, Schedule::kStream7, Schedule::kStream4096,
                     Schedule::kStreamRestart, Schedule::kBatch}) {
    SCOPED_TRACE(ScheduleName(s));
    std::vector<std::string> answers = RunSchedule(c, s);
    ASSERT_EQ(answers.size(), c.queries.size());
    const std::string runtime = s == Schedule::kBatch ? "batch" : "streaming";
    for (size_t i = 0; i < answers.size(); ++i) {
      if (!c.queries[i].runtime.empty() && c.queries[i].runtime != runtime) continue;
      EXPECT_EQ(answers[i], c.queries[i].expected) << c.name << ": " << c.queries[i].sql;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, PipelineCaseTest, ::testing::ValuesIn(CaseFiles()),
                         [](const auto& info) {
                           std::string n = std::filesystem::path(info.param).stem().string();
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace strata::runtime
