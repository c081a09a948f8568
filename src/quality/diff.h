// Data quality: how two answers for the same view differ, and why. A Diff compares rows
// matched by the view's key; for a windowed view's drift, AttributeLate ties each differing
// row to the late records of its window. serve::Engine decides what to compare (validate: a
// replay lane against the live answer; drift: the live answer against a fresh recompute)
// and computes both sides; this module only compares them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/column.h"
#include "common/status.h"
#include "runtime/executor.h"
#include "sql/plan.h"

namespace strata::quality {

// The difference between two answers for one view (validate: a lane against the live
// answer; drift: the live answer against a fresh batch recompute). Rows are matched by the
// view's key (a gold view's group-key outputs, a silver table's primary key); rows
// without a match are added or removed, matched rows that differ are changed.
struct Diff {
  std::string view;
  std::string left_name, right_name;  // "live", "replay-x", "recompute"
  uint64_t left_rows = 0, right_rows = 0;
  std::string left_checksum, right_checksum;
  uint64_t added = 0, removed = 0, changed = 0;
  // Per numeric non-key column: the largest |right - left| / |left| over changed rows.
  std::vector<std::pair<std::string, double>> largest_relative_change;
  std::vector<std::string> examples;  // a few differing rows, as text
  runtime::Offsets boundary;          // drift: the input both sides cover
  // Drift of a windowed view (left = live, right = the authoritative recompute, which counts
  // late records): `late_records`, the late records in the input covered (the view's late
  // table), and `unexplained`, the rows in which live differs from what the speed path
  // computes from that input with its late decisions (set only for windowed views). The
  // difference is explained when that is zero: every differing row is the effect of late
  // records.
  // For a view reading a windowed view, the late decisions are its sources': `late_records`
  // sums the late tables of every windowed view on its path, named in `late_tables`.
  uint64_t late_records = 0;
  std::vector<std::string> late_tables;
  std::optional<uint64_t> unexplained;
  // Attribution (when the view selects window_start and window_end): per differing row, the
  // late records of its window (a session's: within a gap of it), a few as text; the rows
  // with none are counted as unattributed, which leaves the drift unexplained.
  std::vector<std::string> attribution;
  uint64_t unattributed = 0;
  bool identical() const { return added == 0 && removed == 0 && changed == 0; }
  bool explained() const {
    return identical() || (unexplained && *unexplained == 0 && unattributed == 0);
  }
  std::string ToText() const;
  std::string ToJson() const;
  // Reads ToJson's form back (what a `--server` client receives).
  static Result<Diff> FromJson(std::string_view json);
};

// Compares `left` and `right`, the rows of `view` in `plan` (checksums are left to the
// caller, who knows how its answers are stored). `differing`, when given, receives a
// representative row of each key that differs, per side: (true, row of left) or
// (false, row of right). Two sides with different columns differ in every row.
Diff CompareRows(const sql::Pipeline& plan, std::string_view view, const Batch& left,
                 std::string left_name, const Batch& right, std::string right_name,
                 std::vector<std::pair<bool, size_t>>* differing = nullptr);

// Drift of windowed view `view`: attributes each differing row (CompareRows' `differing`,
// over `live` and `recomputed`) to the late records of its window in `late` (the rows of
// the view's late table): Diff::attribution, Diff::unattributed. Nothing when the view does
// not select window_start and window_end.
void AttributeLate(const sql::GoldView& view, const Batch& late, const Batch& live,
                   const Batch& recomputed, const std::vector<std::pair<bool, size_t>>& differing,
                   Diff* d);

// The key columns of `table` in `plan`: a gold view's outputs that depend only on group
// keys, a silver table's primary key; empty for anything else.
std::vector<int> KeyColumns(const sql::Pipeline& plan, std::string_view table);

}  // namespace strata::quality
