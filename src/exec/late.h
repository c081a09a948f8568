// LateOperator: the late decisions of one windowed gold view (DESIGN.md §4).
//
// A row of the view's input is late when its window closed (window end + allowed_lateness,
// for a session the row's time + gap + lateness) at or before the watermark at its record's
// arrival (exec/watermark.h): a function of the log alone, so every schedule decides alike.
// A retraction is late when the row it retracts was, so a row is either counted with its
// whole history or not at all. What late rows do to the view depends on the mode:
//   - streaming: they are left out of the view;
//   - authoritative (the batch runtime and recomputes): they are counted like any other.
// The difference between the two is exactly the effect of the late rows, which is how
// drift is explained (quality::Drift).
//
// The late table (gold.x__late) lists each late record once per window it is late for (a
// hopping window's row has several), when it is pushed, whether or not its row wins the
// silver upsert. For a view over a table fed by a silver table, whose changes are cut by the
// schedule, it lists the late rows held now: a retraction of a late row takes its entry back.
//
// State: the late rows counted so far (by their windowed row), the counters and the listed
// records. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "common/clock.h"
#include "common/coding.h"
#include "common/column.h"
#include "common/status.h"
#include "exec/changelog.h"
#include "sql/plan.h"

namespace strata::exec {

// One row of a late table (sql::LateColumns()).
struct LateRecord {
  std::string reason;
  std::string source_table;  // the bronze table of the record
  uint32_t partition = 0;
  uint64_t offset = 0;
  Micros event_time = 0;
  std::optional<Micros> watermark;
  std::optional<Micros> window_start, window_end;
};

// Windowed rows checked (a hopping window counts a row once per window) and those late.
struct LateCounters {
  uint64_t rows = 0;
  uint64_t late = 0;
};

// The watermark at arrival of the record a row came from; none: the row is never late.
using WatermarkOf = absl::FunctionRef<std::optional<Micros>(const RowOrigin&)>;

class LateOperator {
 public:
  // `view` has a window and outlives the operator; `windowed_types`: the view's windowed
  // rows (its source's columns, window_start, window_end, the row's time).
  LateOperator(const sql::GoldView& view, std::vector<Type> windowed_types);

  // Whether a row at `ts` in the window ending at `end` was late for `watermark`.
  bool IsLate(Micros ts, Micros end, std::optional<Micros> watermark) const;

  // The view's input, `windowed` (of windowed_types): remembers its late rows (see above)
  // and, unless `include_late`, removes them. `watermarks`: whether any row of the push can
  // have a watermark (without one, only a retraction can be late).
  void Apply(Batch* windowed, bool include_late, bool watermarks, WatermarkOf watermark_of);

  // Lists the late versions among `rows` (rows of the view's source, with origins; `time`
  // their times, `consider` which of them pass the view's filter) in the late table.
  // `source_table` names their records' table; with `held_now` (a source fed by a silver
  // table) retractions take entries back and count as versions too.
  void List(const Batch& rows, const Column& time, const std::vector<uint8_t>& consider,
            std::string_view source_table, bool held_now, WatermarkOf watermark_of);

  const LateCounters& counters() const { return counters_; }
  // The listed records (with a side sink: the push's, until the runtime takes them).
  std::vector<LateRecord>* mutable_records() { return &records_; }
  const std::vector<LateRecord>& records() const { return records_; }

  void Save(std::string* out) const;
  // What Save wrote. `legacy_source`: for a state of an earlier release whose records do not
  // name their table, the one bronze table they came from.
  Status Load(Decoder* d, const std::optional<std::string>& legacy_source);

 private:
  void TakeBack(const RowOrigin& origin, Micros event_time, std::optional<Micros> window_start);
  Status LoadRecord(Decoder* d, const std::optional<std::string>& legacy_source, LateRecord* l);

  const sql::GoldView* view_;
  ConsolidatedChanges late_rows_;
  LateCounters counters_;
  std::vector<LateRecord> records_;
};

}  // namespace strata::exec
