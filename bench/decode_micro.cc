// decode_micro: Google Benchmark of format::PayloadDecoder, bronze payloads → typed batches.
//
//   build/decode_micro --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Input: 4096 order events from api::OrderGenerator (about 150 bytes each, DESIGN.md's
// bronze.orders: order_id, customer_id, amount numeric(18,2), status, email, event_ts), as
// plain JSON and wrapped in Debezium envelopes ({"before":null,"after":{...},"source":{...},
// "op":"c","ts_ms":...}). Each iteration decodes all of them into one batch (cleared first,
// as a runtime reuses its batch); items are records, bytes are payload bytes.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "api/order_generator.h"
#include "format/decoder.h"

namespace strata {
namespace {

constexpr size_t kRecords = 4096;

std::vector<format::ColumnSpec> OrdersSchema() {
  return {{"order_id", Type::Text()},       {"customer_id", Type::Text()},
          {"amount", Type::Numeric(18, 2)}, {"status", Type::Text()},
          {"email", Type::Text()},          {"event_ts", Type::Timestamp()}};
}

std::vector<std::string> Payloads(bool debezium) {
  api::OrderGenerator gen(api::OrderGeneratorOptions{});
  std::vector<std::string> out(kRecords);
  for (size_t i = 0; i < out.size(); ++i) {
    std::string line;
    gen.Next(&line);
    line.pop_back();  // '\n'
    if (debezium) {
      line = R"({"before":null,"after":)" + line +
             R"(,"source":{"version":"2.5.0.Final","connector":"postgresql","name":"shop",)"
             R"("ts_ms":1795000000000,"snapshot":"false","db":"shop","sequence":"[null,\"1234\"]",)"
             R"("schema":"public","table":"orders","txId":)" +
             std::to_string(1000 + i) + R"(,"lsn":)" + std::to_string(90000000 + i * 200) +
             R"(,"xmin":null},"op":"c","ts_ms":1795000000123,"transaction":null})";
    }
    out[i] = std::move(line);
  }
  return out;
}

void BM_Decode(benchmark::State& state) {
  const bool debezium = state.range(0) != 0;
  const std::vector<std::string> payloads = Payloads(debezium);
  std::vector<format::RecordInput> records;
  uint64_t bytes = 0;
  for (size_t i = 0; i < payloads.size(); ++i) {
    records.push_back({payloads[i], 0, i, 0, log::Operation::kInsert});
    bytes += payloads[i].size();
  }
  format::PayloadDecoder decoder(
      OrdersSchema(), debezium ? format::PayloadFormat::kDebezium : format::PayloadFormat::kJson);
  Batch batch = decoder.MakeBatch();
  std::vector<format::RowError> errors;
  for (auto _ : state) {
    for (Column& c : batch.columns)
      c.Clear();
    batch.weights.clear();
    batch.origins.clear();
    errors.clear();
    decoder.Decode(records, &batch, &errors);
    benchmark::DoNotOptimize(batch.weights.data());
  }
  if (!errors.empty() || batch.num_rows() != records.size()) {
    state.SkipWithError(errors.empty() ? "rows missing" : errors[0].message.c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetLabel(std::string(debezium ? "debezium" : "json") + ", " +
                 std::to_string(bytes / records.size()) + " bytes/record, 6 columns");
}
BENCHMARK(BM_Decode)->ArgName("debezium")->Arg(0)->Arg(1);

}  // namespace
}  // namespace strata

BENCHMARK_MAIN();
