// micro_bench: Google Benchmark micro benchmarks of the pieces of the ingest and read paths.
//
//   build/micro_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Inputs are realistic: order events from api::OrderGenerator (about 150 bytes each), stored
// as ingest stores them (key = order_id, source "file:orders.jsonl", source position = line
// number). Bytes are payload (input) bytes unless the name says otherwise.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/order_generator.h"
#include "common/crc32c.h"
#include "format/json_lines.h"
#include "log/batch.h"
#include "log/record.h"

namespace strata {
namespace {

constexpr std::string_view kSource = "file:orders.jsonl";

// `n` order lines without their '\n'.
std::vector<std::string> OrderLines(size_t n) {
  api::OrderGenerator gen(api::OrderGeneratorOptions{});
  std::vector<std::string> lines(n);
  for (std::string& line : lines) {
    gen.Next(&line);
    line.pop_back();
  }
  return lines;
}

// The key ingest extracts: the value of "order_id".
std::string OrderId(std::string_view line) {
  constexpr std::string_view kField = "\"order_id\":\"";
  size_t begin = line.find(kField) + kField.size();
  return std::string(line.substr(begin, line.find('"', begin) - begin));
}

// 1000 records as ingest builds them; the views point into the returned storage.
struct Records {
  std::vector<std::string> lines, keys, positions;
  std::vector<log::AppendRecord> records;
  uint64_t payload_bytes = 0;
};

const Records& ThousandRecords() {
  static const Records* records = [] {
    auto* r = new Records;
    r->lines = OrderLines(1000);
    for (size_t i = 0; i < r->lines.size(); ++i) {
      r->keys.push_back(OrderId(r->lines[i]));
      r->positions.push_back(std::to_string(i + 1));
    }
    for (size_t i = 0; i < r->lines.size(); ++i) {
      log::AppendRecord rec;
      rec.key = r->keys[i];
      rec.payload = r->lines[i];
      rec.source = kSource;
      rec.source_position = r->positions[i];
      r->records.push_back(rec);
      r->payload_bytes += rec.payload.size();
    }
    return r;
  }();
  return *records;
}

std::string EncodedBatch(log::Codec codec) {
  const Records& r = ThousandRecords();
  log::BatchBuilder builder(0);
  Micros ts = 1'795'000'000'000'000;
  for (const log::AppendRecord& rec : r.records)
    builder.Add(rec, ts++);
  std::string out;
  builder.Finish(codec, &out);
  return out;
}

// --- CRC32C. ---

void BM_Crc32c(benchmark::State& state) {
  std::string data(static_cast<size_t>(state.range(0)), '\0');
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i * 131 + 7);
  for (auto _ : state) {
    benchmark::DoNotOptimize(crc32c::Value(data));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
  state.SetLabel(crc32c::IsHardwareAccelerated() ? "hardware" : "software");
}
BENCHMARK(BM_Crc32c)->Arg(4 << 10)->Arg(1 << 20);

// --- Batches: 1000 records of about 150 bytes. ---

void BM_BatchBuild(benchmark::State& state) {
  const auto codec = static_cast<log::Codec>(state.range(0));
  const Records& r = ThousandRecords();
  log::BatchBuilder builder(0);
  std::string out;
  Micros ts = 1'795'000'000'000'000;
  for (auto _ : state) {
    builder.Reset(0);
    for (const log::AppendRecord& rec : r.records)
      builder.Add(rec, ts++);
    builder.Finish(codec, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * r.records.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * r.payload_bytes));
  state.SetLabel(std::string(log::CodecName(codec)) + ", batch " + std::to_string(out.size()) +
                 " bytes");
}
BENCHMARK(BM_BatchBuild)
    ->ArgName("codec")
    ->Arg(static_cast<int>(log::Codec::kNone))
    ->Arg(static_cast<int>(log::Codec::kZstd))
    ->Arg(static_cast<int>(log::Codec::kLz4));

void BM_DecodeBatch(benchmark::State& state) {
  const auto codec = static_cast<log::Codec>(state.range(0));
  const std::string batch = EncodedBatch(codec);
  std::string scratch;
  std::vector<log::RecordView> records;
  for (auto _ : state) {
    Status s = log::DecodeBatch(batch, &scratch, &records, "bench");
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(records.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records.size()));
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * ThousandRecords().payload_bytes));
  state.SetLabel(std::string(log::CodecName(codec)) + ", batch " + std::to_string(batch.size()) +
                 " bytes");
}
BENCHMARK(BM_DecodeBatch)
    ->ArgName("codec")
    ->Arg(static_cast<int>(log::Codec::kNone))
    ->Arg(static_cast<int>(log::Codec::kZstd))
    ->Arg(static_cast<int>(log::Codec::kLz4));

// What a reader does per batch after reading it: checksum, then decode.
void BM_VerifyAndDecodeBatch(benchmark::State& state) {
  const std::string batch = EncodedBatch(log::Codec::kNone);
  std::string scratch;
  std::vector<log::RecordView> records;
  for (auto _ : state) {
    if (!log::BatchChecksumMatches(batch)) state.SkipWithError("checksum");
    Status s = log::DecodeBatch(batch, &scratch, &records, "bench");
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(records.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  state.SetLabel("none; bytes are stored bytes");
}
BENCHMARK(BM_VerifyAndDecodeBatch);

// --- JSON lines. ---

// One typical order line; arg 1 extracts "order_id", arg 0 only validates (keyless table).
void BM_KeyExtract(benchmark::State& state) {
  const bool keyed = state.range(0) != 0;
  const std::string line = OrderLines(1).front();
  const std::string padded = line + std::string(format::kPadding, '\0');
  const std::string_view view(padded.data(), line.size());
  format::KeyExtractor extractor(keyed ? "order_id" : "");
  std::string key;
  for (auto _ : state) {
    key.clear();
    uint8_t flags = extractor.Extract(view, &key);
    benchmark::DoNotOptimize(flags);
    benchmark::DoNotOptimize(key.data());
  }
  if (keyed && key != OrderId(line)) state.SkipWithError("wrong key");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line.size()));
  state.SetLabel(keyed ? "key order_id, " + std::to_string(line.size()) + "-byte line"
                       : "validate only");
}
BENCHMARK(BM_KeyExtract)->ArgName("keyed")->Arg(1)->Arg(0);

// A 4 MiB chunk of order lines (what IngestFromFd hands over per group commit). Arg 0:
// AddLines then Clear. Arg 1: records() too (builds the AppendRecords and their partitions),
// which is everything ingest does before Table::Append.
void BM_LineBatcher(benchmark::State& state) {
  const bool with_records = state.range(0) != 0;
  api::OrderGenerator gen(api::OrderGeneratorOptions{});
  std::string chunk;
  uint64_t lines = 0;
  while (true) {
    size_t before = chunk.size();
    gen.Next(&chunk);
    if (chunk.size() > (4u << 20)) {
      chunk.resize(before);
      break;
    }
    ++lines;
  }
  const size_t size = chunk.size();
  chunk.append(format::kPadding, '\0');
  const std::string_view text(chunk.data(), size);
  format::LineBatcher batcher("order_id", 4, std::string(kSource));
  for (auto _ : state) {
    batcher.AddLines(text, 1);
    if (with_records) benchmark::DoNotOptimize(batcher.records().data());
    batcher.Clear();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  state.SetLabel(std::to_string(lines) + " lines" + (with_records ? ", with records()" : ""));
}
BENCHMARK(BM_LineBatcher)->ArgName("records")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata

BENCHMARK_MAIN();
