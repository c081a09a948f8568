// libFuzzer target: what ingest and the decoders read from users. The input is cut into
// JSON lines by the line batcher (key extraction, partitioning, malformed and keyless
// flags, json and debezium), and each line is decoded into typed columns of every type as
// json and as a debezium envelope. Every record decodes or gets a RowError; nothing crashes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "format/decoder.h"
#include "format/json_lines.h"

namespace {

using strata::Type;
using strata::format::ColumnSpec;
using strata::format::PayloadDecoder;
using strata::format::PayloadFormat;

std::vector<ColumnSpec> Columns() {
  return {{"id", Type::Text()},    {"n", Type::Bigint()},     {"amount", Type::Numeric(18, 4)},
          {"ok", Type::Boolean()}, {"ts", Type::Timestamp()}, {"d", Type::Date()},
          {"x", Type::Double()}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static PayloadDecoder* json = new PayloadDecoder(Columns(), PayloadFormat::kJson);
  static PayloadDecoder* debezium = new PayloadDecoder(Columns(), PayloadFormat::kDebezium);
  std::string text(reinterpret_cast<const char*>(data), size);
  text.append(strata::format::kPadding, '\0');
  const std::string_view lines(text.data(), size);
  for (const char* format : {"json", "debezium"}) {
    strata::format::LineBatcher batcher("id", 4, "fuzz", "", format);
    batcher.AddLines(lines, 1);
  }
  std::vector<strata::format::RecordInput> records;
  size_t start = 0;
  while (start <= size) {
    size_t end = lines.find('\n', start);
    if (end == std::string_view::npos) end = size;
    records.push_back({lines.substr(start, end - start), 0, records.size()});
    start = end + 1;
  }
  for (PayloadDecoder* decoder : {json, debezium}) {
    strata::Batch batch = decoder->MakeBatch();
    std::vector<strata::format::RowError> errors;
    decoder->Decode(records, &batch, &errors);
    if (batch.num_rows() + errors.size() != records.size()) __builtin_trap();
  }
  return 0;
}
