#include "api/ingest.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/json_writer.h"
#include "format/json_lines.h"

namespace strata::api {

std::string IngestSummary::ToJson() const {
  return JsonObject()
      .Add("acked", acked)
      .Add("malformed", malformed)
      .Add("missing_key", missing_key)
      .Add("lines", lines)
      .Add("bytes", bytes)
      .Add("seconds", seconds)
      .Finish();
}

namespace {

void FillSummary(const format::LineBatcher& batcher, IngestSummary* s) {
  s->lines = batcher.lines();
  s->malformed = batcher.malformed();
  s->missing_key = batcher.missing_key();
  s->bytes = batcher.payload_bytes();
}

}  // namespace

Result<IngestSummary> IngestFromFd(log::Table* table, int fd, const IngestOptions& options) {
  const Micros start = MonotonicMicros();
  const log::TableConfig& config = table->config();
  format::LineBatcher batcher(config.key_field, config.partitions, options.source);
  IngestSummary summary;
  log::AppendAck ack;
  size_t capacity = options.chunk_bytes;
  std::string buf(capacity + format::kPadding, '\0');
  size_t have = 0;
  bool eof = false;
  while (!eof || have > 0) {
    while (have < capacity && !eof) {
      ssize_t n = ::read(fd, buf.data() + have, capacity - have);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::FromErrno("read", options.source, errno);
      if (n == 0) eof = true;
      have += static_cast<size_t>(n);
    }
    if (have == 0) break;  // end of input right after a committed chunk (or empty input)
    // Commit whole lines only; at the end of input the last line needs no '\n'.
    const void* last_nl = memrchr(buf.data(), '\n', have);
    size_t end = eof ? have : (last_nl ? static_cast<const char*>(last_nl) - buf.data() + 1 : 0);
    if (end == 0) {
      if (capacity >= options.max_line_bytes) {
        return Status::InvalidArgument(options.source + " line " +
                                       std::to_string(batcher.lines() + 1) + " is longer than " +
                                       std::to_string(options.max_line_bytes) + " bytes");
      }
      capacity *= 2;
      buf.resize(capacity + format::kPadding);
      continue;
    }
    batcher.AddLines(std::string_view(buf.data(), end), batcher.lines() + 1);
    auto records = batcher.records();
    if (!records.empty()) RETURN_IF_ERROR(table->Append(records, &ack));
    summary.acked += records.size();
    FillSummary(batcher, &summary);
    if (options.on_ack) options.on_ack(summary.lines);
    batcher.Clear();
    std::memmove(buf.data(), buf.data() + end, have - end);
    have -= end;
  }
  summary.seconds = static_cast<double>(MonotonicMicros() - start) / 1e6;
  return summary;
}

Result<BodyIngest> IngestBody(log::Table* table, std::string_view body, std::string source,
                              std::string source_position_prefix) {
  const Micros start = MonotonicMicros();
  // simdjson reads up to kPadding bytes past each line: give the body room.
  std::string padded;
  padded.reserve(body.size() + format::kPadding);
  padded.append(body);
  padded.append(format::kPadding, '\0');
  const log::TableConfig& config = table->config();
  format::LineBatcher batcher(config.key_field, config.partitions, std::move(source),
                              std::move(source_position_prefix));
  batcher.AddLines(std::string_view(padded.data(), body.size()), 1);
  BodyIngest out;
  auto records = batcher.records();
  if (!records.empty()) RETURN_IF_ERROR(table->TryAppend(records, &out.ack));
  out.summary.acked = records.size();
  FillSummary(batcher, &out.summary);
  out.summary.seconds = static_cast<double>(MonotonicMicros() - start) / 1e6;
  return out;
}

}  // namespace strata::api
