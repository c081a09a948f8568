// libFuzzer target: every reader of strata's own files, fed arbitrary bytes, as a damaged
// disk or a foreign file would. The first byte chooses the reader: a record batch, a
// segment index, a checkpoint's META, a version's JSON line, a replay lane's record, or an
// executor's saved state (the state a checkpoint holds, for a pipeline with every operator:
// decode, expectations, upsert, aggregates with DISTINCT and min/max, windows, sessions,
// late tables, Lambda epochs), raw or as damage done to a valid one. Each reports
// corruption as a Status and never crashes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "log/batch.h"
#include "log/segment.h"
#include "runtime/executor.h"
#include "runtime/runner.h"
#include "serve/checkpoint.h"
#include "serve/lane_file.h"
#include "serve/version_store.h"

namespace {

constexpr const char* kPipeline = R"sql(
CREATE TABLE bronze.o (id text, c text, amount numeric(12,2), ts timestamp)
WITH (layer = 'bronze', key = 'id', partitions = 2, watermark = 'ts - 1 second');
CREATE TABLE silver.o (id text NOT NULL, c text, amount numeric(12,2) CHECK (amount > 0),
                       ts timestamp NOT NULL, PRIMARY KEY (id))
WITH (layer = 'silver', dedupe_order = 'ts', on_violation = 'quarantine');
INSERT INTO silver.o SELECT id, c, amount, ts FROM bronze.o;
CREATE MATERIALIZED VIEW gold.g WITH (serving = 'lambda', batch_every = '1 hour') AS
SELECT c, count(*) AS k, sum(amount) AS s, min(amount) AS lo, count(DISTINCT id) AS ids
FROM silver.o GROUP BY c;
CREATE MATERIALIZED VIEW gold.w AS
SELECT window_start, count(*) AS k FROM silver.o GROUP BY tumble(ts, '1 minute');
CREATE MATERIALIZED VIEW gold.s AS
SELECT c, window_start, window_end, count(*) AS k FROM silver.o GROUP BY c, session(ts, '5 minutes');
)sql";

const strata::sql::Pipeline& Plan() {
  static const strata::sql::Pipeline* plan =
      new strata::sql::Pipeline(strata::runtime::LoadPipeline(kPipeline, "fixed.sql").value());
  return *plan;
}

// A valid saved state of the pipeline: records pushed through every operator (updates,
// a quarantined row, a late one, a Lambda boundary), so that mutations of it reach deep.
const std::string& ValidState() {
  static const std::string* state = [] {
    auto executor = std::move(strata::runtime::PipelineExecutor::Make(Plan())).value();
    const char* payloads[] = {
        R"({"id":"a","c":"x","amount":1.5,"ts":"2026-01-01 10:00:00"})",
        R"({"id":"b","c":"y","amount":2,"ts":"2026-01-01 10:03:00"})",
        R"({"id":"a","c":"y","amount":3,"ts":"2026-01-01 10:04:00"})",
        R"({"id":"c","c":"x","amount":-1,"ts":"2026-01-01 10:05:00"})",
        R"({"id":"d","c":"x","amount":4,"ts":"2026-01-01 09:00:00"})",
        R"({"id":"e","c":"z","amount":5,"ts":"not a time"})",
    };
    std::vector<strata::log::RecordView> records;
    for (const char* p : payloads) {
      strata::log::RecordView r;
      r.offset = records.size();
      r.payload = p;
      r.key = "k";
      records.push_back(r);
    }
    (void)executor->Push("bronze.o", 0, records);
    auto* out = new std::string();
    (void)executor->Save(out);
    return out;
  }();
  return *state;
}

// A valid record batch of three records, zstd-compressed when `compressed`.
std::string ValidBatch(bool compressed) {
  strata::log::BatchBuilder b(7);
  for (const char* p : {"{\"id\":1}", "{\"id\":2,\"v\":\"xyz\"}", ""}) {
    strata::log::AppendRecord r;
    r.key = "k";
    r.payload = p;
    b.Add(r, 1000);
  }
  std::string out;
  b.Finish(compressed ? strata::log::Codec::kZstd : strata::log::Codec::kNone, &out);
  return out;
}

// `base` damaged as the input says: its first two bytes bound the length kept, then each
// three bytes flip the byte at a position (two bytes) with a mask (one byte).
std::string Mutate(std::string base, std::string_view how) {
  if (how.size() >= 2) {
    const size_t keep = (static_cast<uint8_t>(how[0]) << 8 | static_cast<uint8_t>(how[1]));
    if (keep < base.size()) base.resize(keep);
    how.remove_prefix(2);
  }
  for (; how.size() >= 3 && !base.empty(); how.remove_prefix(3)) {
    const size_t at = (static_cast<uint8_t>(how[0]) << 8 | static_cast<uint8_t>(how[1]));
    base[at % base.size()] ^= how[2];
  }
  return base;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0: {
      std::string scratch;
      std::vector<strata::log::RecordView> records;
      (void)strata::log::DecodeBatch(bytes, &scratch, &records, "fuzz");
      break;
    }
    case 1: {
      strata::log::SegmentMeta meta;
      (void)strata::log::DecodeIndexFile(bytes, 1 << 20, &meta);
      break;
    }
    case 2:
      (void)strata::serve::DecodeCheckpointMeta(bytes, "fuzz/META");
      break;
    case 3: {
      strata::serve::VersionInfo info;
      (void)strata::serve::ParseVersionInfo(bytes, &info);
      break;
    }
    case 4: {
      auto executor = strata::runtime::PipelineExecutor::Make(Plan());
      if (executor.ok()) (void)(*executor)->Load(bytes);
      break;
    }
    case 5: {
      auto executor = strata::runtime::PipelineExecutor::Make(Plan());
      if (executor.ok()) (void)(*executor)->Load(Mutate(ValidState(), bytes));
      break;
    }
    case 6:
    case 7: {
      std::string scratch;
      std::vector<strata::log::RecordView> records;
      const std::string batch = Mutate(ValidBatch(data[0] % 9 == 7), bytes);
      (void)strata::log::DecodeBatch(batch, &scratch, &records, "fuzz");
      break;
    }
    case 8:
      (void)strata::serve::DecodeLaneFile(bytes, "fuzz.lane");
      break;
  }
  return 0;
}
