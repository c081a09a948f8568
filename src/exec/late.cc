#include "exec/late.h"

#include <algorithm>

#include "exec/window.h"

namespace strata::exec {

namespace {

Status Corrupt(const char* what) {
  return Status::Corruption(std::string("pipeline state: ") + what);
}

}  // namespace

LateOperator::LateOperator(const sql::GoldView& view, std::vector<Type> windowed_types)
    : view_(&view), late_rows_(std::move(windowed_types)) {}

bool LateOperator::IsLate(Micros ts, Micros end, std::optional<Micros> watermark) const {
  return watermark && CloseTime(*view_->window, ts, end) + view_->allowed_lateness <= *watermark;
}

void LateOperator::Apply(Batch* windowed, bool include_late, bool watermarks,
                         WatermarkOf watermark_of) {
  if (!watermarks && late_rows_.size() == 0) return;
  const sql::WindowSpec& window = *view_->window;
  const size_t n = windowed->num_rows();
  const Column& ends = windowed->columns[window.end_column];
  const Column& t = windowed->columns.back();
  // Decide every row before remembering any: a retraction is late when the row it retracts
  // was counted late by an earlier push.
  std::vector<uint8_t> late(n, 0);
  for (size_t r = 0; r < n; ++r) {
    if (windowed->weights[r] < 0) {
      late[r] = late_rows_.Weight(*windowed, r) > 0;
      continue;
    }
    if (t.is_null(r) || windowed->origins.size() != n) continue;
    const Micros end = ends.is_null(r) ? 0 : ends.int64s()[r];
    late[r] = IsLate(t.int64s()[r], end, watermark_of(windowed->origins[r]));
  }
  bool any = false;
  for (size_t r = 0; r < n; ++r) {
    if (!late[r]) continue;
    any = true;
    late_rows_.AddRow(*windowed, r, windowed->weights[r]);
  }
  if (!any || include_late) return;
  for (uint8_t& l : late)
    l = !l;
  *windowed = windowed->Select(late);
}

void LateOperator::List(const Batch& rows, const Column& time, const std::vector<uint8_t>& consider,
                        std::string_view source_table, bool held_now, WatermarkOf watermark_of) {
  const sql::WindowSpec& window = *view_->window;
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    if (!consider[r] || time.is_null(r) || (rows.weights[r] < 0 && !held_now)) continue;
    const Micros ts = time.int64s()[r];
    const RowOrigin& origin = rows.origins[r];
    const std::optional<Micros> watermark = watermark_of(origin);
    auto check = [&](std::optional<Micros> start, std::optional<Micros> end) {
      if (rows.weights[r] < 0) {
        --counters_.rows;
        TakeBack(origin, ts, start);
        return;
      }
      ++counters_.rows;
      if (!IsLate(ts, end.value_or(0), watermark)) return;
      ++counters_.late;
      LateRecord rec;
      rec.source_table = std::string(source_table);
      rec.partition = origin.partition;
      rec.offset = origin.offset;
      rec.event_time = ts;
      rec.watermark = watermark;
      rec.window_start = start;
      rec.window_end = end;
      rec.reason = window.kind == sql::WindowKind::kSession
                       ? "session closed: event time + gap + allowed_lateness <= watermark"
                       : "window closed: window end + allowed_lateness <= watermark";
      records_.push_back(std::move(rec));
    };
    if (window.kind == sql::WindowKind::kSession) {
      check(std::nullopt, std::nullopt);
    } else {
      ForEachWindow(window, ts, [&](Micros start, Micros end) { check(start, end); });
    }
  }
}

void LateOperator::TakeBack(const RowOrigin& origin, Micros event_time,
                            std::optional<Micros> window_start) {
  auto same = [&](const LateRecord& l) {
    return l.offset == origin.offset && l.partition == origin.partition &&
           l.event_time == event_time && l.window_start == window_start;
  };
  auto it = std::find_if(records_.rbegin(), records_.rend(), same);
  if (it == records_.rend()) return;  // the row was not late
  records_.erase(std::next(it).base());
  --counters_.late;
}

void LateOperator::Save(std::string* out) const {
  std::string rows;
  late_rows_.Save(&rows);
  PutLengthPrefixed(out, rows);
  PutVarint64(out, counters_.rows);
  PutVarint64(out, counters_.late);
  PutVarint64(out, records_.size());
  for (const LateRecord& l : records_) {
    PutLengthPrefixed(out, l.reason);
    PutLengthPrefixed(out, l.source_table);
    PutVarint64(out, l.partition);
    PutVarint64(out, l.offset);
    for (const std::optional<Micros>& t :
         {std::optional<Micros>(l.event_time), l.watermark, l.window_start, l.window_end}) {
      out->push_back(t ? 1 : 0);
      if (t) PutVarint64(out, static_cast<uint64_t>(*t));
    }
  }
}

Status LateOperator::Load(Decoder* d, const std::optional<std::string>& legacy_source) {
  std::string_view rows;
  if (!d->GetLengthPrefixed(&rows)) return Corrupt("truncated late rows");
  RETURN_IF_ERROR(late_rows_.Load(rows));
  uint64_t n;
  if (!d->GetVarint64(&counters_.rows) || !d->GetVarint64(&counters_.late) || !d->GetVarint64(&n) ||
      n > d->remaining()) {
    return Corrupt("truncated late records");
  }
  records_.resize(n);
  for (LateRecord& l : records_)
    RETURN_IF_ERROR(LoadRecord(d, legacy_source, &l));
  return Status::OK();
}

Status LateOperator::LoadRecord(Decoder* d, const std::optional<std::string>& legacy_source,
                                LateRecord* l) {
  std::string_view reason, source;
  uint64_t partition;
  if (!d->GetLengthPrefixed(&reason) || (!legacy_source && !d->GetLengthPrefixed(&source)) ||
      !d->GetVarint64(&partition) || !d->GetVarint64(&l->offset)) {
    return Corrupt("truncated late records");
  }
  l->reason = std::string(reason);
  l->source_table = legacy_source ? *legacy_source : std::string(source);
  l->partition = static_cast<uint32_t>(partition);
  std::optional<Micros> event_time;
  for (std::optional<Micros>* t : {&event_time, &l->watermark, &l->window_start, &l->window_end}) {
    uint8_t flag;
    uint64_t v;
    if (!d->GetByte(&flag) || flag > 1) return Corrupt("truncated late records");
    t->reset();
    if (flag == 0) continue;
    if (!d->GetVarint64(&v)) return Corrupt("truncated late records");
    *t = static_cast<Micros>(v);
  }
  if (!event_time) return Corrupt("late record without an event time");
  l->event_time = *event_time;
  return Status::OK();
}

}  // namespace strata::exec
