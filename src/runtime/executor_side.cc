// Side tables of PipelineExecutor (executor.h): the quarantine and late tables as rows, and
// the side sink that keeps those that are a function of bronze records outside the executor.
#include <algorithm>
#include <limits>

#include "common/json_writer.h"
#include "runtime/executor.h"
#include "runtime/executor_nodes.h"

namespace strata::runtime {

namespace {

// Where a side table's rows name their source table (then partition, offset).
constexpr size_t kQuarantineOrigin = 2;
constexpr size_t kLateOrigin = 1;

// A quarantined payload as a text value. Bronze keeps any bytes, but a text value is valid
// UTF-8 (every JSON answer relies on it, common/json_writer.h): each byte that is not part of
// a valid sequence reads as U+FFFD (as Go's encoding/json writes it). The exact bytes stay
// in bronze at the row's partition and offset.
std::string PayloadText(std::string_view payload) {
  if (IsValidUtf8(payload)) return std::string(payload);
  std::string out;
  out.reserve(payload.size());
  for (size_t i = 0; i < payload.size();) {
    const auto c = static_cast<unsigned char>(payload[i]);
    const size_t n = c < 0x80                ? 1
                     : c >= 0xc2 && c < 0xe0 ? 2
                     : c >= 0xe0 && c < 0xf0 ? 3
                     : c >= 0xf0 && c < 0xf5 ? 4
                                             : 0;
    if (n > 0 && i + n <= payload.size() && IsValidUtf8(payload.substr(i, n))) {
      out.append(payload.substr(i, n));
      i += n;
    } else {
      out.append("\xef\xbf\xbd");  // U+FFFD
      ++i;
    }
  }
  return out;
}

void AppendTime(Column& c, const std::optional<Micros>& t) {
  if (t) {
    c.AppendInt64(*t);
  } else {
    c.AppendNull();
  }
}

// Moves the records of `held` whose origin is (bronze, partition) into a side batch (`make`
// turns records into rows), keeping the others; `span` widens to cover their offsets.
template <typename Record, typename Make>
std::optional<Batch> TakeRecords(std::vector<Record>* held, std::string_view bronze,
                                 uint32_t partition, Make make,
                                 std::pair<uint64_t, uint64_t>* span) {
  auto mine = [&](const Record& r) { return r.source_table == bronze && r.partition == partition; };
  auto split =
      std::stable_partition(held->begin(), held->end(), [&](const Record& r) { return !mine(r); });
  if (split == held->end()) return std::nullopt;
  std::vector<Record> taken(std::make_move_iterator(split), std::make_move_iterator(held->end()));
  held->erase(split, held->end());
  for (const Record& r : taken) {
    span->first = std::min(span->first, r.offset);
    span->second = std::max(span->second, r.offset + 1);
  }
  return make(taken);
}

}  // namespace

Batch PipelineExecutor::QuarantineBatch(const std::vector<exec::QuarantineRecord>& records) {
  Batch out = exec::MakeBatch(sql::ColumnTypes(sql::QuarantineColumns()));
  for (const auto& q : records) {
    out.columns[0].AppendString(q.reason);
    out.columns[1].AppendString(q.constraint);
    out.columns[kQuarantineOrigin].AppendString(q.source_table);
    out.columns[kQuarantineOrigin + 1].AppendInt64(q.partition);
    out.columns[kQuarantineOrigin + 2].AppendInt64(static_cast<int64_t>(q.offset));
    out.columns[5].AppendInt64(q.schema_version);
    out.columns[6].AppendString(PayloadText(q.payload));
    out.weights.push_back(1);
  }
  return out;
}

Batch PipelineExecutor::LateBatch(const std::vector<exec::LateRecord>& records) {
  Batch out = exec::MakeBatch(sql::ColumnTypes(sql::LateColumns()));
  for (const exec::LateRecord& l : records) {
    out.columns[0].AppendString(l.reason);
    out.columns[kLateOrigin].AppendString(l.source_table);
    out.columns[kLateOrigin + 1].AppendInt64(l.partition);
    out.columns[kLateOrigin + 2].AppendInt64(static_cast<int64_t>(l.offset));
    out.columns[4].AppendInt64(l.event_time);
    AppendTime(out.columns[5], l.watermark);
    AppendTime(out.columns[6], l.window_start);
    AppendTime(out.columns[7], l.window_end);
    out.weights.push_back(1);
  }
  return out;
}

void PipelineExecutor::SetSideSink(SideSink* sink) {
  side_sink_ = sink;
  for (auto& s : silver_) {
    s->quarantine_in_sink = sink != nullptr && !s->table->from_silver();
    if (!s->quarantine_in_sink) continue;
    s->sink_logic = LogicOf(s->table->name);
    s->sink_sources = plan_.BronzeSources(s->table->name);
  }
  for (auto& g : gold_) {
    const sql::SilverTable* source = plan_.FindSilver(g->view->source);
    g->late_in_sink =
        sink != nullptr && g->view->window && source != nullptr && !source->from_silver();
    if (!g->late_in_sink) continue;
    g->sink_logic = LogicOf(g->view->name);
    g->sink_sources = plan_.BronzeSources(g->view->name);
  }
}

std::optional<SideRows> PipelineExecutor::SideSinkTable(std::string_view table) const {
  for (const auto& s : silver_) {
    if (s->quarantine_in_sink && s->table->quarantine_table == table) {
      return SideRows{s->table->quarantine_table, s->sink_logic, kQuarantineOrigin,
                      QuarantineBatch({})};
    }
  }
  for (const auto& g : gold_) {
    if (g->late_in_sink && g->view->late_table == table) {
      return SideRows{g->view->late_table, g->sink_logic, kLateOrigin, LateBatch({})};
    }
  }
  return std::nullopt;
}

Status PipelineExecutor::FlushSide(std::string_view bronze, uint32_t partition,
                                   std::optional<std::pair<uint64_t, uint64_t>> range) {
  if (side_sink_ == nullptr) return Status::OK();
  std::pair<uint64_t, uint64_t> span{std::numeric_limits<uint64_t>::max(), 0};
  std::vector<SideRows> out;
  for (auto& s : silver_) {
    if (!s->quarantine_in_sink) continue;
    auto rows = TakeRecords(&s->quarantine, bronze, partition, QuarantineBatch, &span);
    if (rows) {
      out.push_back({s->table->quarantine_table, s->sink_logic, kQuarantineOrigin, std::move(*rows),
                     s->sink_sources});
    }
  }
  for (auto& g : gold_) {
    if (!g->late_in_sink) continue;
    auto rows = TakeRecords(g->late->mutable_records(), bronze, partition, LateBatch, &span);
    if (rows) {
      out.push_back(
          {g->view->late_table, g->sink_logic, kLateOrigin, std::move(*rows), g->sink_sources});
    }
  }
  if (out.empty()) return Status::OK();
  if (range) span = *range;
  return side_sink_->Append(bronze, partition, span.first, span.second, std::move(out));
}

Status PipelineExecutor::FlushLoadedSide() {
  if (side_sink_ == nullptr) return Status::OK();
  for (const auto& [bronze, offsets] : offsets_) {
    for (uint32_t p = 0; p < offsets.size(); ++p)
      RETURN_IF_ERROR(FlushSide(bronze, p, std::nullopt));
  }
  return Status::OK();
}

}  // namespace strata::runtime
