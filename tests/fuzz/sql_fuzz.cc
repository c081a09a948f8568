// libFuzzer target: the SQL front end. The input is a pipeline file (parsed and bound as
// `strata check` does) and, after a NUL byte if any, a query bound against a fixed pipeline.
// Both must return a Status, never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/runner.h"
#include "sql/binder.h"
#include "sql/parser.h"

namespace {

constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.o (id text, c text, amount numeric(12,2), n bigint, ok boolean,
                       ts timestamp, d date, x double precision)
WITH (layer = 'bronze', key = 'id', watermark = 'ts - 1 second');
CREATE TABLE silver.o (id text NOT NULL, c text, amount numeric(12,2) CHECK (amount > 0),
                       n bigint, ok boolean, ts timestamp NOT NULL, d date,
                       x double precision, PRIMARY KEY (id))
WITH (layer = 'silver', dedupe_order = 'ts');
INSERT INTO silver.o SELECT id, c, amount, n, ok, ts, d, x FROM bronze.o;
CREATE MATERIALIZED VIEW gold.g AS
SELECT c, count(*) AS k, sum(amount) AS s, min(ts) AS first FROM silver.o GROUP BY c;
CREATE MATERIALIZED VIEW gold.w AS
SELECT window_start, count(*) AS k FROM silver.o GROUP BY tumble(ts, '1 minute');
)sql";

const strata::sql::Pipeline& Fixed() {
  static const strata::sql::Pipeline* plan =
      new strata::sql::Pipeline(strata::runtime::LoadPipeline(kPipeline, "fixed.sql").value());
  return *plan;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  std::string_view pipeline = input.substr(0, nul);
  (void)strata::runtime::LoadPipeline(pipeline, "fuzz.sql");
  if (nul != std::string_view::npos) {
    std::string_view query = input.substr(nul + 1);
    auto select = strata::sql::ParseQuery(query);
    if (select.ok()) {
      const strata::sql::Pipeline& plan = Fixed();
      auto lookup = [&](std::string_view name) { return plan.FindColumns(name); };
      (void)strata::sql::BindQuery(*select, lookup);
    }
  }
  return 0;
}
