#include "serve/side_log.h"

#include <algorithm>
#include <utility>

#include "common/coding.h"
#include "common/filename.h"
#include "exec/operator.h"
#include "exec/row_codec.h"
#include "log/reader.h"
#include "serve/checkpoint.h"

namespace strata::serve {

namespace {

constexpr uint64_t kFormat = 1;

// Record ranges [first, end) of one bronze partition, disjoint and merged: first → end.
using Ranges = std::map<uint64_t, uint64_t>;

// The parts of [first, end) that `covered` does not hold, in order.
std::vector<std::pair<uint64_t, uint64_t>> Uncovered(const Ranges& covered, uint64_t first,
                                                     uint64_t end) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  uint64_t at = first;
  auto it = covered.upper_bound(first);
  if (it != covered.begin()) --it;
  for (; it != covered.end() && at < end && it->first < end; ++it) {
    if (it->second <= at) continue;
    if (it->first > at) out.emplace_back(at, it->first);
    at = std::max(at, it->second);
  }
  if (at < end) out.emplace_back(at, end);
  return out;
}

void Cover(Ranges* covered, uint64_t first, uint64_t end) {
  auto it = covered->upper_bound(first);
  if (it != covered->begin() && std::prev(it)->second >= first) {
    --it;
    first = it->first;
    end = std::max(end, it->second);
    it = covered->erase(it);
  }
  while (it != covered->end() && it->first <= end) {
    end = std::max(end, it->second);
    it = covered->erase(it);
  }
  covered->emplace(first, end);
}

struct Header {
  std::string_view bronze;
  uint64_t partition = 0, first = 0, end = 0, rows = 0;
};

bool ReadHeader(exec::ByteReader* r, Header* h) {
  uint64_t format;
  return r->GetVarint64(&format) && format == kFormat && r->GetLengthPrefixed(&h->bronze) &&
         r->GetVarint64(&h->partition) && r->GetVarint64(&h->first) && r->GetVarint64(&h->end) &&
         r->GetVarint64(&h->rows) && h->first < h->end;
}

Status Damaged(std::string_view table, uint64_t offset) {
  return Status::Corruption("side log " + std::string(table) + ": record at offset " +
                            std::to_string(offset) + " does not decode");
}

// The origin offset of row `r` if its source table and partition are (bronze, partition).
bool OriginIn(const Batch& rows, size_t column, size_t r, std::string_view bronze,
              uint64_t partition, uint64_t* offset) {
  if (rows.columns[column].strings()[r] != bronze) return false;
  if (static_cast<uint64_t>(rows.columns[column + 1].int64s()[r]) != partition) return false;
  *offset = static_cast<uint64_t>(rows.columns[column + 2].int64s()[r]);
  return true;
}

}  // namespace

struct SideLog::Log {
  std::string name;
  log::Table* table = nullptr;
  std::map<std::pair<std::string, uint64_t>, Ranges, std::less<>> covered;
  std::vector<std::string> memory;  // records kept in memory (a read-only store)
};

SideLog::SideLog(log::Store* store) : store_(store) {}
SideLog::~SideLog() = default;

Result<log::TableConfig> SideLog::ConfigFor(const std::vector<std::string>& sources) {
  log::TableConfig config;
  config.partitions = 1;
  config.payload_format = "side";
  // The loosest retention of the sources: unlimited when one of them is (or none is known).
  // A byte budget is per partition: the side log's one partition gets all of theirs.
  bool unlimited_bytes = sources.empty(), unlimited_age = sources.empty();
  uint64_t segment_bytes = 0;
  for (const std::string& name : sources) {
    Result<log::Table*> bronze = store_->GetTable(name);
    if (!bronze.ok()) {
      if (!bronze.status().IsNotFound()) return bronze.status();
      unlimited_bytes = unlimited_age = true;  // keep everything rather than guess
      continue;
    }
    const log::TableConfig& c = (*bronze)->config();
    unlimited_bytes = unlimited_bytes || c.retention.max_bytes == 0;
    unlimited_age = unlimited_age || c.retention.max_age == 0;
    config.retention.max_bytes += c.retention.max_bytes * c.partitions;
    config.retention.max_age = std::max(config.retention.max_age, c.retention.max_age);
    segment_bytes = segment_bytes == 0 ? c.segment_bytes : std::min(segment_bytes, c.segment_bytes);
  }
  if (unlimited_bytes) config.retention.max_bytes = 0;
  if (unlimited_age) config.retention.max_age = 0;
  // Segments no larger than the sources': retention acts at the same grain.
  if (segment_bytes != 0) config.segment_bytes = segment_bytes;
  return config;
}

Result<SideLog::Log*> SideLog::GetLog(std::string_view table, std::string_view logic,
                                      const std::vector<std::string>* create_from) {
  std::string name = filename::SideLogTable(table, LogicHash(logic));
  auto it = logs_.find(name);
  if (it == logs_.end()) {
    auto log = std::make_unique<Log>();
    log->name = name;
    auto existing = store_->GetTable(name);
    if (!existing.ok() && !existing.status().IsNotFound()) return existing.status();
    if (existing.ok()) {
      log->table = *existing;
      log::PartitionReader reader(log->table->partition(0),
                                  log->table->partition(0).start_offset());
      log::RecordView record;
      while (true) {
        ASSIGN_OR_RETURN(bool more, reader.Next(&record));
        if (!more) break;
        exec::ByteReader r(record.payload);
        Header h;
        if (!ReadHeader(&r, &h)) return Damaged(name, record.offset);
        Cover(&log->covered[{std::string(h.bronze), h.partition}], h.first, h.end);
      }
    }
    it = logs_.emplace(std::move(name), std::move(log)).first;
  }
  Log* log = it->second.get();
  if (log->table == nullptr && create_from != nullptr && !store_->read_only()) {
    ASSIGN_OR_RETURN(log::TableConfig config, ConfigFor(*create_from));
    ASSIGN_OR_RETURN(log->table, store_->CreateTable(log->name, config));
  }
  return log;
}

Status SideLog::Append(std::string_view bronze, uint32_t partition, uint64_t first, uint64_t end,
                       std::vector<runtime::SideRows> rows) {
  absl::MutexLock lock(&mu_);
  for (const runtime::SideRows& side : rows) {
    ASSIGN_OR_RETURN(Log * log, GetLog(side.table, side.logic, &side.sources));
    RETURN_IF_ERROR(AppendTo(log, bronze, partition, first, end, side));
  }
  return Status::OK();
}

Status SideLog::AppendTo(Log* log, std::string_view bronze, uint32_t partition, uint64_t first,
                         uint64_t end, const runtime::SideRows& side) {
  auto key = std::pair(std::string(bronze), uint64_t{partition});
  Ranges& covered = log->covered[key];
  std::vector<std::string> payloads;
  for (const auto& [from, to] : Uncovered(covered, first, end)) {
    std::string cells;
    uint64_t n = 0, offset = 0;
    for (size_t r = 0; r < side.rows.num_rows(); ++r) {
      if (!OriginIn(side.rows, side.origin_column, r, bronze, partition, &offset)) continue;
      if (offset < from || offset >= to) continue;
      for (const Column& c : side.rows.columns)
        exec::EncodeCell(c, r, &cells);
      ++n;
    }
    if (n == 0) continue;  // nothing to list: a later reader finds nothing either
    std::string payload;
    PutVarint64(&payload, kFormat);
    PutLengthPrefixed(&payload, bronze);
    for (uint64_t v : {uint64_t{partition}, from, to, n})
      PutVarint64(&payload, v);
    payload += cells;
    payloads.push_back(std::move(payload));
  }
  if (!payloads.empty()) {
    if (log->table == nullptr || store_->read_only()) {
      for (auto& p : payloads)
        log->memory.push_back(std::move(p));
    } else {
      std::vector<log::AppendRecord> records(payloads.size());
      for (size_t i = 0; i < payloads.size(); ++i)
        records[i].payload = payloads[i];
      log::AppendAck ack;
      RETURN_IF_ERROR(log->table->Append(records, &ack).WithContext(log->name));
    }
  }
  Cover(&covered, first, end);
  return Status::OK();
}

SideQuery SideLog::QueryOf(const runtime::PipelineExecutor& executor, std::string_view table) {
  SideQuery q;
  std::optional<runtime::SideRows> side = executor.SideSinkTable(table);
  if (!side) return q;
  q.table = side->table;
  q.logic = side->logic;
  for (const Column& c : side->rows.columns)
    q.types.push_back(c.type());
  q.origin_column = side->origin_column;
  q.end = executor.offsets();
  return q;
}

Result<Batch> SideLog::Rows(const SideQuery& q) {
  const log::Table* table = nullptr;
  std::string name;
  std::vector<std::string> memory;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(Log * log, GetLog(q.table, q.logic, /*create_from=*/nullptr));
    table = log->table;
    name = log->name;
    memory = log->memory;
  }
  Batch out = exec::MakeBatch(q.types);
  // Decodes one record's rows, keeping those whose origin the executor consumed.
  auto add = [&](std::string_view payload, uint64_t offset) -> Status {
    exec::ByteReader r(payload);
    Header h;
    if (!ReadHeader(&r, &h)) return Damaged(name, offset);
    auto end = q.end.find(h.bronze);
    if (end == q.end.end() || h.partition >= end->second.size()) return Status::OK();
    const uint64_t high = end->second[h.partition];
    if (h.first >= high) return Status::OK();  // records the executor has not read
    // Every row when the executor read all the record's range; otherwise those before `high`.
    const bool whole = h.end <= high;
    Batch rows = whole ? Batch() : exec::MakeBatch(q.types);
    Batch& into = whole ? out : rows;
    for (uint64_t i = 0; i < h.rows; ++i) {
      for (Column& c : into.columns) {
        if (!r.GetValueInto(&c)) return Damaged(name, offset);
      }
      into.weights.push_back(1);
    }
    if (!r.empty()) return Damaged(name, offset);
    if (whole) return Status::OK();
    const auto& offsets = rows.columns[q.origin_column + 2].int64s();
    for (size_t i = 0; i < rows.num_rows(); ++i) {
      const auto o = static_cast<uint64_t>(offsets[i]);
      if (o >= high) continue;
      for (size_t c = 0; c < rows.columns.size(); ++c)
        out.columns[c].AppendFrom(rows.columns[c], i);
      out.weights.push_back(1);
    }
    return Status::OK();
  };
  if (table != nullptr) {
    const log::Partition& partition = table->partition(0);
    log::PartitionReader reader(partition, partition.start_offset());
    log::RecordView record;
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader.Next(&record));
      if (!more) break;
      RETURN_IF_ERROR(add(record.payload, record.offset));
    }
  }
  for (const std::string& payload : memory)
    RETURN_IF_ERROR(add(payload, 0));
  return out;
}

}  // namespace strata::serve
