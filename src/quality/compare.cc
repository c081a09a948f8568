// Comparing two answers row by row, and attributing drift to late records
// (quality/diff.h).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "common/datetime.h"
#include "quality/diff.h"

namespace strata::quality {

namespace {

// Text of one row, for keys and examples.
std::string RowText(const Batch& rows, size_t r, const std::vector<Type>& types,
                    const std::vector<int>& columns) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    out += i ? ", " : "";
    out += rows.columns[columns[i]].GetValue(r).ToString(types[columns[i]]);
  }
  return out;
}

bool ReferencesOnlyKeys(const sql::BoundExpr& e, int keys, bool* any) {
  if (e.kind == sql::BoundKind::kColumn) {
    *any = true;
    return e.column < keys;
  }
  for (const auto& c : e.children) {
    if (!ReferencesOnlyKeys(c, keys, any)) return false;
  }
  return true;
}

double NumericOf(const Value& v, const Type& t) {
  std::string s = v.ToString(t);
  return std::strtod(s.c_str(), nullptr);
}

bool IsNumeric(const Type& t) {
  return t.id == TypeId::kBigint || t.id == TypeId::kDouble || t.id == TypeId::kNumeric;
}

// The output columns holding window_start and window_end, if the view selects both.
std::optional<std::pair<size_t, size_t>> WindowOutputs(const sql::GoldView& g) {
  std::optional<size_t> start, end;
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const sql::BoundExpr& e = g.outputs[i].expr;
    if (e.kind != sql::BoundKind::kColumn || e.column >= static_cast<int>(g.group_keys.size())) {
      continue;
    }
    const sql::BoundExpr& key = g.group_keys[e.column];
    if (key.kind != sql::BoundKind::kColumn) continue;
    if (key.column == g.window->start_column) start = i;
    if (key.column == g.window->end_column) end = i;
  }
  if (!start || !end) return std::nullopt;
  return std::make_pair(*start, *end);
}

}  // namespace

std::vector<int> KeyColumns(const sql::Pipeline& plan, std::string_view table) {
  std::vector<int> keys;
  if (const sql::GoldView* g = plan.FindGold(table)) {
    const int k = static_cast<int>(g->group_keys.size());
    for (size_t i = 0; i < g->outputs.size(); ++i) {
      bool any = false;
      if (k > 0 && ReferencesOnlyKeys(g->outputs[i].expr, k, &any) && any) {
        keys.push_back(static_cast<int>(i));
      }
    }
    return keys;
  }
  for (const auto& s : plan.silver) {
    if (s.name == table) return s.primary_key;
  }
  return keys;
}

namespace {

// One comparison of two answers: each side's rows grouped by key text (key → (row text →
// count)) with a representative row index per key, and the Diff being filled.
class RowComparison {
 public:
  RowComparison(const Batch& left, const Batch& right, std::vector<Type> types,
                std::vector<int> keys, std::vector<std::pair<bool, size_t>>* differing, Diff* d)
      : left_(left),
        right_(right),
        types_(std::move(types)),
        keys_(std::move(keys)),
        differing_(differing),
        d_(*d) {
    for (size_t c = 0; c < types_.size(); ++c)
      all_.push_back(static_cast<int>(c));
    if (keys_.empty()) keys_ = all_;
    Collect(left_, &l_);
    Collect(right_, &r_);
  }

  // Fills the counts, examples and largest relative change per numeric column (by index).
  void Run(std::map<int, double>* largest) {
    for (const auto& [key, rows] : l_.rows) {
      auto it = r_.rows.find(key);
      if (it != r_.rows.end() && it->second == rows) continue;
      Differs(key);
      if (it == r_.rows.end()) {
        for (const auto& [row, n] : rows)
          d_.removed += n;
        Example("removed: " + rows.begin()->first);
      } else if (rows.size() == 1 && it->second.size() == 1 && keys_ != all_) {
        ++d_.changed;
        Example("changed: " + rows.begin()->first + "  ->  " + it->second.begin()->first);
        RelativeChanges(l_.index[key], r_.index[key], largest);
      } else {
        MultisetDifference(rows, it->second);
      }
    }
    for (const auto& [key, rows] : r_.rows) {
      if (l_.rows.count(key)) continue;
      Differs(key);
      for (const auto& [row, n] : rows)
        d_.added += n;
      Example("added: " + rows.begin()->first);
    }
  }

 private:
  struct Side {
    std::map<std::string, std::map<std::string, int64_t>> rows;
    std::map<std::string, size_t> index;
  };

  void Collect(const Batch& b, Side* side) const {
    for (size_t r = 0; r < b.num_rows(); ++r) {
      std::string key = RowText(b, r, types_, keys_);
      side->rows[key][RowText(b, r, types_, all_)] += b.weights[r];
      side->index[key] = r;
    }
  }
  void Example(std::string text) {
    if (d_.examples.size() < 10) d_.examples.push_back(std::move(text));
  }
  void Differs(const std::string& key) {
    if (differing_ == nullptr) return;
    if (auto i = l_.index.find(key); i != l_.index.end()) differing_->push_back({true, i->second});
    if (auto i = r_.index.find(key); i != r_.index.end()) differing_->push_back({false, i->second});
  }
  // A changed row: |right - left| / |left| per numeric non-key column.
  void RelativeChanges(size_t li, size_t ri, std::map<int, double>* largest) const {
    for (size_t c = 0; c < types_.size(); ++c) {
      if (std::find(keys_.begin(), keys_.end(), static_cast<int>(c)) != keys_.end()) continue;
      if (!IsNumeric(types_[c])) continue;
      Value a = left_.columns[c].GetValue(li), b = right_.columns[c].GetValue(ri);
      if (a.is_null() || b.is_null()) continue;
      double x = NumericOf(a, types_[c]), y = NumericOf(b, types_[c]);
      double rel = x == y ? 0 : std::fabs(y - x) / std::max(std::fabs(x), 1e-300);
      (*largest)[static_cast<int>(c)] = std::max((*largest)[static_cast<int>(c)], rel);
    }
  }
  // Several rows per key (or no key): the multiset difference.
  void MultisetDifference(const std::map<std::string, int64_t>& lrows,
                          std::map<std::string, int64_t> delta) {
    for (const auto& [row, n] : lrows)
      delta[row] -= n;
    for (const auto& [row, n] : delta) {
      if (n > 0) d_.added += n;
      if (n < 0) d_.removed += -n;
      if (n != 0) Example((n > 0 ? "added: " : "removed: ") + row);
    }
  }

  const Batch& left_;
  const Batch& right_;
  const std::vector<Type> types_;
  std::vector<int> keys_, all_;
  std::vector<std::pair<bool, size_t>>* differing_;
  Diff& d_;
  Side l_, r_;
};

}  // namespace

Diff CompareRows(const sql::Pipeline& plan, std::string_view view, const Batch& left,
                 std::string left_name, const Batch& right, std::string right_name,
                 std::vector<std::pair<bool, size_t>>* differing) {
  Diff d;
  d.view = std::string(view);
  d.left_name = std::move(left_name);
  d.right_name = std::move(right_name);
  for (int64_t w : left.weights)
    d.left_rows += static_cast<uint64_t>(w);
  for (int64_t w : right.weights)
    d.right_rows += static_cast<uint64_t>(w);
  std::vector<Type> types;
  for (const Column& c : left.columns)
    types.push_back(c.type());
  bool same_schema = left.columns.size() == right.columns.size();
  for (size_t c = 0; same_schema && c < left.columns.size(); ++c)
    same_schema = left.columns[c].type() == right.columns[c].type();
  if (!same_schema) {
    d.removed = d.left_rows;
    d.added = d.right_rows;
    d.examples.push_back("the two sides have different columns: every row differs");
    return d;
  }
  std::map<int, double> largest;
  RowComparison(left, right, std::move(types), KeyColumns(plan, view), differing, &d).Run(&largest);
  const auto* columns = plan.FindColumns(view);
  for (const auto& [c, rel] : largest) {
    std::string name = columns && c < static_cast<int>(columns->size()) ? (*columns)[c].name
                                                                        : "#" + std::to_string(c);
    d.largest_relative_change.emplace_back(name, rel);
  }
  return d;
}

void AttributeLate(const sql::GoldView& g, const Batch& late, const Batch& live,
                   const Batch& recomputed, const std::vector<std::pair<bool, size_t>>& differing,
                   Diff* d) {
  auto columns = WindowOutputs(g);
  if (!columns) return;
  // Late table columns: ... partition 2, offset 3, event_time 4, ..., window_start 6, end 7.
  const bool session = g.window->kind == sql::WindowKind::kSession;
  for (const auto& [is_left, row] : differing) {
    const Batch& b = is_left ? live : recomputed;
    const Column& starts = b.columns[columns->first];
    const Column& ends = b.columns[columns->second];
    if (starts.is_null(row) || ends.is_null(row)) continue;  // rows without an event time
    const Micros ws = starts.int64s()[row], we = ends.int64s()[row];
    uint64_t n = 0;
    std::string first;
    for (size_t r = 0; r < late.num_rows(); ++r) {
      bool match = session ? late.columns[4].int64s()[r] >= ws - g.window->gap &&
                                 late.columns[4].int64s()[r] < we + g.window->gap
                           : !late.columns[6].is_null(r) && late.columns[6].int64s()[r] == ws &&
                                 late.columns[7].int64s()[r] == we;
      if (!match) continue;
      if (n++ == 0) {
        first = "partition " + std::to_string(late.columns[2].int64s()[r]) + " offset " +
                std::to_string(late.columns[3].int64s()[r]);
      }
    }
    if (n == 0) ++d->unattributed;
    if (d->attribution.size() < 10) {
      d->attribution.push_back(std::string(is_left ? "live" : "recompute") + " window [" +
                               FormatSqlTimestamp(ws) + ", " + FormatSqlTimestamp(we) + "): " +
                               (n == 0 ? "no late record"
                                       : std::to_string(n) + " late record" + (n > 1 ? "s" : "") +
                                             " (" + first + (n > 1 ? ", ..." : "") + ")"));
    }
  }
}

}  // namespace strata::quality
