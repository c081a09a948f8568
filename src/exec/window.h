// Event-time windows (DESIGN.md §4, sql::WindowSpec): assigning rows to tumbling and hopping
// windows, and the session operator.
//
// A windowed row is a row followed by two columns, window_start and window_end (timestamps).
// Tumbling and hopping windows depend on the row alone: AssignWindows extends each row with
// its window (one per row for tumble, size / slide per row for hop). A row whose time is NULL
// gets NULL window columns. Sessions depend on the other rows of the group: SessionOperator
// keeps them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "common/clock.h"
#include "common/column.h"
#include "common/hash.h"
#include "common/status.h"
#include "exec/operator.h"
#include "sql/plan.h"

namespace strata::exec {

// The start of the tumbling window of `size` holding `ts` (floor division, so times before
// 1970 fall in the right window too).
Micros WindowFloor(Micros ts, Micros size);

// Calls f(start, end) for each tumbling or hopping window of `window` that holds `ts`, in
// ascending order (one for tumble, size / slide for hop).
template <typename F>
void ForEachWindow(const sql::WindowSpec& window, Micros ts, F&& f) {
  if (window.kind == sql::WindowKind::kTumble) {
    const Micros start = WindowFloor(ts, window.size);
    f(start, start + window.size);
    return;
  }
  // hop: the windows [s, s + size) with s a multiple of slide and s <= ts < s + size.
  const Micros last = WindowFloor(ts, window.slide);
  for (Micros s = last - window.size + window.slide; s <= last; s += window.slide)
    f(s, s + window.size);
}

// When a row at `ts` in the window ending at `end` stops accepting records, lateness aside:
// the window's end, or for a session the row's time plus the gap (its own session's end).
inline Micros CloseTime(const sql::WindowSpec& window, Micros ts, Micros end) {
  return window.kind == sql::WindowKind::kSession ? ts + window.gap : end;
}

// Appends to `out` (the columns of `rows`, then window_start and window_end) each row of
// `rows` with each of its windows under `window` (tumble or hop; a session's rows get NULL
// window columns, for SessionOperator to fill), with the row's weight and origin (when
// `rows` tracks origins). `time` holds each row's time. `source` receives, per output row,
// the index of its input row.
void AssignWindows(const sql::WindowSpec& window, const Batch& rows, const Column& time, Batch* out,
                   std::vector<uint32_t>* source);

// SessionOperator: session windows, exact under retractions.
//
// Input: rows of `types`, whose last column is the row's time (a timestamp); `key_columns`
// group them (the view's other group keys); `start_column` and `end_column` are where the
// output carries the session's window_start and window_end (the input's values there are
// ignored). Output: changes of rows of output_types() (the input without its time column)
// with their session filled in, such that pushing them into an aggregate keeps it equal to
// the aggregate of the current rows, each with its current session.
//
// Sessions: within a group, rows ordered by time; two consecutive rows are in one session
// when their times are less than `gap` apart; a session is [first time, last time + gap).
// Inserting a row may merge sessions and deleting one may split a session: each push
// recomputes the sessions of the region it touched (every session within `gap` of a changed
// time) and emits, for each row of the region whose session changed, the retraction of the
// row with its old session and the insertion with its new one. Rows with a NULL time pass
// through with NULL window columns and are not kept.
//
// State: per group (the encoding of its key columns), an ordered map (time, exact row
// encoding) → count. Not thread-safe.
class SessionOperator final : public Operator {
 public:
  static Result<std::unique_ptr<SessionOperator>> Make(std::vector<Type> types,
                                                       std::vector<int> key_columns,
                                                       int start_column, int end_column,
                                                       Micros gap);

  const std::vector<Type>& output_types() const { return output_types_; }

  // FailedPrecondition when a retraction removes a row the state does not hold.
  Status Push(const Batch& in, Batch* out, SideOutput* side) override;
  Status SaveState(std::string* out) const override;
  Status LoadState(std::string_view in) override;

 private:
  using Rows = absl::btree_map<std::pair<Micros, std::string>, int64_t>;
  // One input row of a push with a time: its time, its exact encoding and its weight.
  struct Change {
    Micros ts;
    std::string row;
    int64_t weight;
  };
  // A kept row (its Rows entry and count) with its session [start, end).
  struct Assigned {
    std::pair<Micros, std::string> entry;
    int64_t count;
    Micros start, end;
  };
  SessionOperator(std::vector<Type> types, std::vector<int> key_columns, int start_column,
                  int end_column, Micros gap);
  // Applies `changes` (one group's, in input order; their rows are moved from) to the
  // group's `rows` and emits the changes of the sessions of the region they touch.
  Status PushGroup(std::vector<Change>& changes, Rows& rows, Batch* out);
  // The rows [first, last) of a group, each with its session; [first, last) must start and
  // end at session borders.
  std::vector<Assigned> Sessions(Rows::const_iterator first, Rows::const_iterator last) const;
  // Emits the difference between the region's sessions before and after a push (both
  // ordered by entry): the retraction of each row whose session changed, or that is gone,
  // and the insertion of its new one; a row in the same session changes by its count.
  Status EmitSessionChanges(const std::vector<Assigned>& old_sessions,
                            const std::vector<Assigned>& new_sessions, Batch* out) const;
  // Emits `weight` × the row `encoded` (an input row) with the window [start, end).
  Status Emit(std::string_view encoded, Micros start, Micros end, int64_t weight, Batch* out) const;
  uint32_t Fingerprint() const;

  const std::vector<Type> types_;
  const std::vector<Type> output_types_;
  const std::vector<int> key_columns_;
  const int start_column_, end_column_;
  const Micros gap_;
  absl::flat_hash_map<std::string, Rows, BytesHash, std::equal_to<>> groups_;
};

}  // namespace strata::exec
