#include "api/ingest.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <utility>

#include "common/filename.h"
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

namespace {

// A chunk of input lines on its way to the log: the bytes and the records viewing them.
struct Chunk {
  Chunk(const log::TableConfig& config, const std::string& source)
      : batcher(config.key_field, config.partitions, source, "", config.payload_format) {}
  std::string buf;  // input bytes, then format::kPadding spare bytes
  size_t have = 0;  // input bytes in buf
  size_t end = 0;   // bytes of whole lines (what this chunk commits)
  format::LineBatcher batcher;
  log::AppendAck ack;
  uint64_t lines_through = 0;  // input lines that are durable once this chunk is
  size_t records = 0;
};

Status LineTooLong(const IngestOptions& options, uint64_t line) {
  return Status::InvalidArgument(options.source + " line " + std::to_string(line) +
                                 " is longer than " + std::to_string(options.max_line_bytes) +
                                 " bytes");
}

// Fills `c` after its carried-over bytes until it holds at least one whole line or the
// input ends, growing the buffer for long lines (up to max_line_bytes).
Status FillChunk(int fd, const IngestOptions& options, uint64_t next_line, bool* eof, Chunk* c) {
  while (true) {
    size_t capacity = c->buf.size() - format::kPadding;
    while (c->have < capacity && !*eof) {
      ssize_t n = ::read(fd, c->buf.data() + c->have, capacity - c->have);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::FromErrno("read", options.source, errno);
      if (n == 0) *eof = true;
      c->have += static_cast<size_t>(n);
    }
    // Commit whole lines only; at the end of input the last line needs no '\n'.
    const void* last_nl = memrchr(c->buf.data(), '\n', c->have);
    c->end = *eof ? c->have : (last_nl ? static_cast<const char*>(last_nl) - c->buf.data() + 1 : 0);
    if (c->end > 0 || *eof) return Status::OK();
    if (c->have > options.max_line_bytes) return LineTooLong(options, next_line);
    c->buf.resize(2 * capacity + format::kPadding);
  }
}

}  // namespace

Status CheckIngestTarget(std::string_view table) {
  if (!filename::IsInternalTable(table)) return Status::OK();
  return Status::InvalidArgument("table " + std::string(table) +
                                 " is internal to strata (names starting with _strata. are "
                                 "reserved); ingest into a bronze table");
}

// Two chunks alternate: while one is being made durable (write + fdatasync in the group
// commit), the next is read and parsed, so parsing overlaps the device's latency. One
// commit is in flight at a time, so acknowledgements stay in input order.
Result<IngestSummary> IngestFromFd(log::Table* table, int fd, const IngestOptions& options) {
  RETURN_IF_ERROR(CheckIngestTarget(table->name()));
  const Micros start = MonotonicMicros();
  Chunk chunks[2] = {Chunk(table->config(), options.source),
                     Chunk(table->config(), options.source)};
  for (Chunk& c : chunks)
    c.batcher.set_max_line_bytes(options.max_line_bytes);
  IngestSummary summary;
  uint64_t lines = 0;
  Chunk* inflight_chunk = nullptr;
  std::future<Status> inflight;
  auto finish_inflight = [&]() -> Status {
    if (inflight_chunk == nullptr) return Status::OK();
    Chunk* c = std::exchange(inflight_chunk, nullptr);
    RETURN_IF_ERROR(inflight.get());
    summary.acked += c->records;
    if (options.on_ack) options.on_ack(c->lines_through);
    return Status::OK();
  };
  auto pump = [&]() -> Status {
    bool eof = false;
    Chunk* prev = nullptr;
    for (int i = 0;; i ^= 1) {
      Chunk& c = chunks[i];
      if (inflight_chunk == &c) RETURN_IF_ERROR(finish_inflight());
      size_t carry = prev ? prev->have - prev->end : 0;  // the previous chunk's partial line
      size_t need = std::max(options.chunk_bytes, carry) + format::kPadding;
      if (c.buf.size() < need) c.buf.resize(need);
      if (carry > 0) std::memcpy(c.buf.data(), prev->buf.data() + prev->end, carry);
      c.have = carry;
      c.batcher.Clear();
      RETURN_IF_ERROR(FillChunk(fd, options, lines + 1, &eof, &c));
      if (c.have == 0) return Status::OK();
      uint64_t before = c.batcher.lines();
      c.batcher.AddLines(std::string_view(c.buf.data(), c.end), lines + 1);
      lines += c.batcher.lines() - before;
      c.lines_through = lines;
      auto records = c.batcher.records();
      c.records = records.size();
      RETURN_IF_ERROR(finish_inflight());
      inflight_chunk = &c;
      inflight = std::async(std::launch::async, [table, &c, records] {
        return records.empty() ? Status::OK() : table->Append(records, &c.ack);
      });
      // Lines before a refused one are committed (and acknowledged) first.
      if (c.batcher.overlong_line() != 0) return LineTooLong(options, c.batcher.overlong_line());
      if (eof) return Status::OK();  // FillChunk took everything that was left
      prev = &c;
    }
  };
  Status s = pump();
  Status last = finish_inflight();
  RETURN_IF_ERROR(last);
  RETURN_IF_ERROR(s);
  summary.lines = lines;
  for (const Chunk& c : chunks) {
    summary.malformed += c.batcher.malformed();
    summary.missing_key += c.batcher.missing_key();
    summary.bytes += c.batcher.payload_bytes();
  }
  summary.seconds = static_cast<double>(MonotonicMicros() - start) / 1e6;
  return summary;
}

Result<BodyIngest> IngestBody(log::Table* table, std::string_view body, std::string source,
                              std::string source_position_prefix) {
  RETURN_IF_ERROR(CheckIngestTarget(table->name()));
  const Micros start = MonotonicMicros();
  // simdjson reads up to kPadding bytes past each line: give the body room.
  std::string padded;
  padded.reserve(body.size() + format::kPadding);
  padded.append(body);
  padded.append(format::kPadding, '\0');
  const log::TableConfig& config = table->config();
  format::LineBatcher batcher(config.key_field, config.partitions, std::move(source),
                              std::move(source_position_prefix), config.payload_format);
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
