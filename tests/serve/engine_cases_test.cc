// The semantic suite (STYLE.md, "Tests"): every tests/cases/*.test file is a sequence of
// steps run through serve::Engine — the path `strata server` and the CLI use, checkpoints,
// versions and AS OF included — under a matrix of schedules; every schedule must give the
// answers the file states.
//
// File format: steps start with a line "=== <kind> [argument]"; the lines up to the next
// step are its body. Lines before the first step, and body lines starting with '#' (but in
// SQL), are comments.
//   === pipeline                 (re)opens the engine with the SQL of the body
//   === ingest TABLE             appends the body's JSON lines (as `strata ingest` does)
//   === run                      the speed path catches up, then publishes the Kappa views
//   === batch                    a batch run (Lambda views: batch(T) is published)
//   === restart                  a checkpoint, then the engine and the store reopen
//   === crash                    the engine and the store go away without a checkpoint, and
//                                the disk loses every byte not synced (fault injection)
//   === replay VIEW NAME         a Kappa replay into lane NAME, with the body's SQL (none:
//                                the pipeline's)
//   === validate VIEW NAME       the body: "left_rows=.. right_rows=.. added=.. removed=..
//                                changed=.."
//   === cutover VIEW NAME / === rollback VIEW
//   === query SELECT ...         the body is the answer as CSV with a header line, or
//   === query[streaming] ...     "error: <part of the message>"; [streaming]: not in the
//   === query[batch] ...         batch runtime's schedule; [batch]: only there
//   === error <text>             the step before must fail with a message containing <text>
//                                (any step but a query; a query states its error as above)
//
// Schedules: streaming with micro-batches of 1, 7 and 4096 records; a checkpoint and
// restart after every step; a restart after every step that recomputes from bronze (no
// checkpoint kept); and the batch runtime (each `run` is followed by a batch run, and
// queries but AS OF read the published batch view). STRATA_CASE=name runs one file;
// STRATA_CASE_PRINT=1 also prints each answer of the first schedule (a draft to check by hand when
// writing a case).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "quality/reconcile.h"
#include "runtime/query.h"
#include "runtime/runtime_test_util.h"
#include "serve/engine_harness.h"

namespace strata::serve {

using quality::Diff;
namespace {

struct CaseStep {
  std::string kind, arg, body;
  int line = 0;
};

struct Case {
  std::string name;
  std::vector<CaseStep> steps;
};

Case ParseCase(const std::string& path) {
  Case c;
  c.name = std::filesystem::path(path).stem().string();
  std::ifstream in(path);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("=== ", 0) == 0) {
      std::string rest = line.substr(4);
      const size_t space = rest.find(' ');
      c.steps.push_back({rest.substr(0, space),
                         space == std::string::npos ? "" : rest.substr(space + 1), "", number});
      continue;
    }
    if (c.steps.empty()) continue;
    CaseStep& step = c.steps.back();
    const bool sql = step.kind == "pipeline" || step.kind == "replay";
    if (!sql && (line.empty() || line.rfind("#", 0) == 0)) continue;
    step.body += line + "\n";
  }
  return c;
}

std::vector<std::string> CaseFiles() {
  std::vector<std::string> files;
  const char* only = std::getenv("STRATA_CASE");
  for (const auto& e : std::filesystem::directory_iterator(STRATA_SOURCE_DIR "/tests/cases")) {
    if (e.path().extension() != ".test") continue;
    if (only != nullptr && *only && e.path().stem() != only) continue;
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

enum class Schedule { kStream1, kStream7, kStream4096, kRestart, kRecompute, kBatch };

const char* ScheduleName(Schedule s) {
  switch (s) {
    case Schedule::kStream1:
      return "streaming, micro-batches of 1";
    case Schedule::kStream7:
      return "streaming, micro-batches of 7";
    case Schedule::kStream4096:
      return "streaming, micro-batches of 4096";
    case Schedule::kRestart:
      return "streaming, a checkpoint and restart after every step";
    case Schedule::kRecompute:
      return "streaming, a restart that recomputes from bronze after every step";
    case Schedule::kBatch:
      return "batch runtime";
  }
  return "?";
}

std::vector<std::string> Words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

size_t BatchRecords(Schedule s) {
  return s == Schedule::kStream1 ? 1 : s == Schedule::kStream4096 ? 4096 : 7;
}

// One schedule's run of a case: a data directory on a fault-injecting file system, the store
// and the engine over it.
class CaseRun {
 public:
  CaseRun(const Case& c, Schedule schedule)
      : case_(c), schedule_(schedule), harness_(c.name + ".test", BatchRecords(schedule)) {}

  void Run() {
    for (size_t i = 0; i < case_.steps.size(); ++i) {
      const CaseStep& step = case_.steps[i];
      if (step.kind == "error") continue;  // checked with the step before it
      SCOPED_TRACE(case_.name + ".test:" + std::to_string(step.line) + ": " + step.kind + " " +
                   step.arg);
      Status s = Do(step);
      const CaseStep* next = i + 1 < case_.steps.size() ? &case_.steps[i + 1] : nullptr;
      if (std::getenv("STRATA_CASE_PRINT") != nullptr && !s.ok()) {
        std::printf("=== error %s\n\n", s.ToString().c_str());
      }
      if (next != nullptr && next->kind == "error") {
        EXPECT_FALSE(s.ok()) << "the step succeeded; line " << next->line << " expects "
                             << next->arg;
        EXPECT_NE(s.ToString().find(next->arg), std::string::npos)
            << s.ToString() << "\n(line " << next->line << " expects: " << next->arg << ")";
      } else {
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
      // Restarts after each step that succeeded and changed state; recomputes only after
      // those that consumed input (a recompute catches up with everything durable, so after
      // an ingest or a new pipeline it would consume what no `run` has consumed yet).
      const bool reads = step.kind.rfind("query", 0) == 0 || step.kind == "validate";
      const bool consumed = step.kind == "run" || step.kind == "batch" || step.kind == "replay" ||
                            step.kind == "cutover" || step.kind == "rollback";
      if (engine() && s.ok() && !reads && schedule_ == Schedule::kRestart) {
        ASSERT_NO_FATAL_FAILURE(Restart(true));
      }
      if (engine() && s.ok() && consumed && schedule_ == Schedule::kRecompute) {
        ASSERT_NO_FATAL_FAILURE(Restart(false));
      }
    }
  }

 private:
  bool batch_runtime() const { return schedule_ == Schedule::kBatch; }
  Engine* engine() const { return harness_.engine(); }

  Status Do(const CaseStep& step) {
    const std::vector<std::string> args = Words(step.arg);
    auto need = [&](size_t n) {
      return args.size() == n ? Status::OK()
                              : Status::InvalidArgument("the test file: " + step.kind + " takes " +
                                                        std::to_string(n) + " arguments");
    };
    if (step.kind == "pipeline") return harness_.Open(step.body);
    if (engine() == nullptr) return Status::FailedPrecondition("the test file: no pipeline yet");
    if (step.kind == "ingest" || step.kind == "input") {
      RETURN_IF_ERROR(need(1));
      ASSIGN_OR_RETURN(log::Table * table, harness_.store()->GetTable(args[0]));
      std::vector<std::string> lines;
      std::istringstream in(step.body);
      for (std::string l; std::getline(in, l);)
        lines.push_back(l);
      runtime::Ingest(table, lines);
      return Status::OK();
    }
    if (step.kind == "run") {
      RETURN_IF_ERROR(harness_.CatchUp());
      return batch_runtime() ? engine()->RunBatch().status() : Status::OK();
    }
    if (step.kind == "batch") return engine()->RunBatch().status();
    if (step.kind == "restart") {
      Restart(true);
      return Status::OK();
    }
    if (step.kind == "crash") return harness_.Crash();
    if (step.kind == "replay") {
      RETURN_IF_ERROR(need(2));
      ReplayOptions options;
      options.name = args[1];
      options.sql_text =
          step.body.find_first_not_of(" \n") == std::string::npos ? harness_.sql() : step.body;
      options.sql_name = args[1] + ".sql";
      ASSIGN_OR_RETURN(ReplayResult r, engine()->Replay(args[0], options));
      if (!r.finished) return Status::Aborted("the replay did not finish");
      return Status::OK();
    }
    if (step.kind == "validate") {
      RETURN_IF_ERROR(need(2));
      ASSIGN_OR_RETURN(Diff d, quality::Validate(*engine(), args[0], args[1]));
      std::string got =
          "left_rows=" + std::to_string(d.left_rows) +
          " right_rows=" + std::to_string(d.right_rows) + " added=" + std::to_string(d.added) +
          " removed=" + std::to_string(d.removed) + " changed=" + std::to_string(d.changed) + "\n";
      EXPECT_EQ(got, step.body);
      return Status::OK();
    }
    if (step.kind == "cutover") {
      RETURN_IF_ERROR(need(2));
      return engine()->Cutover(args[0], args[1]).status();
    }
    if (step.kind == "rollback") {
      RETURN_IF_ERROR(need(1));
      return engine()->Rollback(args[0]).status();
    }
    if (step.kind.rfind("query", 0) == 0) {
      const std::string only =
          step.kind.size() > 5 ? step.kind.substr(6, step.kind.size() - 7) : "";
      if (only == "streaming" && batch_runtime()) return Status::OK();
      if (only == "batch" && !batch_runtime()) return Status::OK();
      const bool as_of = step.arg.find(" AS OF ") != std::string::npos;
      auto r = batch_runtime() && !as_of ? engine()->QueryRuntime(step.arg, "batch")
                                         : engine()->Query(step.arg);
      const std::string got =
          r.ok() ? runtime::FormatCsv(*r) : "error: " + r.status().message() + "\n";
      if (std::getenv("STRATA_CASE_PRINT") != nullptr) {  // for writing a case: never in CI
        std::printf("=== %s %s\n%s\n", step.kind.c_str(), step.arg.c_str(), got.c_str());
      }
      if (step.body.rfind("error: ", 0) == 0 && !r.ok()) {
        const std::string expected = step.body.substr(7, step.body.size() - 8);
        EXPECT_NE(got.find(expected), std::string::npos) << got << "expected: " << expected;
      } else {
        EXPECT_EQ(got, step.body) << step.arg;
      }
      return Status::OK();
    }
    return Status::InvalidArgument("the test file: unknown step '" + step.kind + "'");
  }

  // With `checkpoint`: a clean stop and start. Without: the state is lost and recomputed
  // from bronze up to where it was.
  void Restart(bool checkpoint) {
    Status s = harness_.Restart(checkpoint);
    if (s.ok() && !checkpoint && batch_runtime()) s = engine()->RunBatch().status();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  const Case& case_;
  const Schedule schedule_;
  EngineHarness harness_;
};

class EngineCaseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EngineCaseTest, EveryScheduleGivesTheStatedAnswers) {
  Case c = ParseCase(GetParam());
  ASSERT_FALSE(c.steps.empty()) << GetParam() << " has no step";
  for (Schedule s : {Schedule::kStream1, Schedule::kStream7, Schedule::kStream4096,
                     Schedule::kRestart, Schedule::kRecompute, Schedule::kBatch}) {
    SCOPED_TRACE(ScheduleName(s));
    CaseRun(c, s).Run();
    if (std::getenv("STRATA_CASE_PRINT") != nullptr) break;  // one schedule's answers
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, EngineCaseTest, ::testing::ValuesIn(CaseFiles()),
                         [](const auto& info) {
                           std::string n = std::filesystem::path(info.param).stem().string();
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace strata::serve
