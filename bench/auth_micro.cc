// What authentication adds to each HTTP request (api/access.h): checking a bearer token
// against a store of 100 tokens (a stat(2) of the token file, SHA-256 of the token, a
// constant-time comparison), and deciding whether a token may read a silver table (walking
// the graph upstream of every gold view). Run:
//
//   build/auth_micro --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "api/access.h"
#include "auth/tokens.h"
#include "common/file_system.h"
#include "runtime/runner.h"

namespace strata {
namespace {

std::string TempDir() {
  std::string dir = "/tmp/auth_micro.XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) std::abort();
  return dir;
}

struct Fixture {
  std::string dir = TempDir();
  api::Access access{dir};
  std::vector<std::string> tokens;
  Fixture() {
    for (int i = 0; i < 100; ++i) {
      auth::Grants g;
      g.read.push_back("gold.v" + std::to_string(i));
      tokens.push_back(access.tokens().Create("t" + std::to_string(i), g).value().token);
    }
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

void BM_AuthenticateValid(benchmark::State& state) {
  Fixture f;
  const std::string header = "Bearer " + f.tokens[57];
  for (auto _ : state) {
    auto who = f.access.Authenticate(header);
    benchmark::DoNotOptimize(who);
  }
}
BENCHMARK(BM_AuthenticateValid);

void BM_AuthenticateWrongSecret(benchmark::State& state) {
  Fixture f;
  std::string header = "Bearer " + f.tokens[57];
  header.back() = header.back() == '0' ? '1' : '0';
  for (auto _ : state) {
    auto who = f.access.Authenticate(header);
    benchmark::DoNotOptimize(who);
  }
}
BENCHMARK(BM_AuthenticateWrongSecret);

void BM_MayReadSilverAsOwner(benchmark::State& state) {
  std::string sql;
  Status read = FileSystem::Default()->ReadFile(STRATA_SOURCE_DIR "/examples/orders.sql", &sql);
  if (!read.ok()) {
    state.SkipWithError(read.ToString().c_str());
    return;
  }
  auto plan = runtime::LoadPipeline(sql, "orders.sql");
  if (!plan.ok()) {
    state.SkipWithError(plan.status().ToString().c_str());
    return;
  }
  auth::TokenInfo owner;
  owner.name = "ops";  // owns the last view: every other view is walked first
  for (auto _ : state) {
    Status s = api::Access::MayRead(owner, "silver.orders", *plan);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_MayReadSilverAsOwner);

}  // namespace
}  // namespace strata

BENCHMARK_MAIN();
