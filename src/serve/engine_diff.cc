// serve::Engine's comparisons: Diff (text and JSON forms), Compare (rows matched by the
// view's key), validate (a lane against the live answer) and drift (the live answer
// against a fresh recompute, with late records attributed).
#include "serve/engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <simdjson.h>

#include "common/datetime.h"
#include "common/hash.h"
#include "common/json_writer.h"
#include "exec/row_codec.h"
#include "runtime/runner.h"
#include "serve/engine_lane.h"

namespace strata::serve {

using runtime::Offsets;
using runtime::PipelineExecutor;

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

std::string Diff::ToText() const {
  std::string out = view + ": " + left_name + " " + std::to_string(left_rows) + " rows (checksum " +
                    left_checksum + "), " + right_name + " " + std::to_string(right_rows) +
                    " rows (checksum " + right_checksum + ")\n";
  if (!boundary.empty()) out += "input covered: " + BoundaryJson(boundary) + "\n";
  if (identical()) return out + "no difference\n";
  out += "rows added " + std::to_string(added) + ", removed " + std::to_string(removed) +
         ", changed " + std::to_string(changed) + "\n";
  if (unexplained) {
    std::string tables;
    for (const std::string& t : late_tables)
      tables += (tables.empty() ? "" : ", ") + t;
    out += *unexplained == 0
               ? "explained: every difference is the effect of the " +
                     std::to_string(late_records) + " late records (" + tables +
                     "), which the authoritative recompute counts\n"
               : "UNEXPLAINED: " + std::to_string(*unexplained) +
                     " rows differ from what the speed path computes from the same input (" +
                     std::to_string(late_records) + " late records)\n";
    if (unattributed > 0) {
      out += "UNEXPLAINED: " + std::to_string(unattributed) +
             " differing rows have no late record in their window\n";
    }
    for (const auto& a : attribution)
      out += "  " + a + "\n";
  }
  for (const auto& [column, change] : largest_relative_change) {
    char line[160];
    std::snprintf(line, sizeof(line), "largest relative change in %s: %.6g%%\n", column.c_str(),
                  change * 100);
    out += line;
  }
  for (const auto& e : examples)
    out += "  " + e + "\n";
  return out;
}

std::string Diff::ToJson() const {
  std::string changes = "{";
  for (size_t i = 0; i < largest_relative_change.size(); ++i) {
    changes += i ? "," : "";
    AppendJsonString(&changes, largest_relative_change[i].first);
    char v[64];
    std::snprintf(v, sizeof(v), ":%.17g", largest_relative_change[i].second);
    changes += v;
  }
  std::string examples_json = "[";
  for (size_t i = 0; i < examples.size(); ++i) {
    examples_json += i ? "," : "";
    AppendJsonString(&examples_json, examples[i]);
  }
  JsonObject o;
  o.Add("view", view)
      .Add("left", left_name)
      .Add("right", right_name)
      .Add("left_rows", left_rows)
      .Add("right_rows", right_rows)
      .Add("left_checksum", left_checksum)
      .Add("right_checksum", right_checksum)
      .Add("added", added)
      .Add("removed", removed)
      .Add("changed", changed)
      .Add("identical", identical())
      .Add("explained", explained())
      .Add("late_records", late_records)
      .AddRaw("largest_relative_change", changes + "}")
      .AddRaw("examples", examples_json + "]");
  if (!boundary.empty()) o.AddRaw("boundary", BoundaryJson(boundary));
  if (unexplained) {
    auto strings = [](const std::vector<std::string>& v) {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) {
        out += i ? "," : "";
        AppendJsonString(&out, v[i]);
      }
      return out + "]";
    };
    o.Add("unexplained", *unexplained)
        .Add("unattributed", unattributed)
        .AddRaw("late_tables", strings(late_tables))
        .AddRaw("attribution", strings(attribution));
  }
  return o.Finish();
}

Result<Diff> Diff::FromJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(json.data(), json.size()).get(o) != simdjson::SUCCESS) {
    return Status::InvalidArgument("a diff is not a JSON object");
  }
  Diff d;
  auto text = [&](const char* key, std::string* out) {
    std::string_view v;
    if (o[key].get(v) == simdjson::SUCCESS) *out = std::string(v);
  };
  auto number = [&](const char* key, uint64_t* out) {
    if (o[key].get(*out) != simdjson::SUCCESS) *out = 0;
  };
  text("view", &d.view);
  text("left", &d.left_name);
  text("right", &d.right_name);
  text("left_checksum", &d.left_checksum);
  text("right_checksum", &d.right_checksum);
  number("left_rows", &d.left_rows);
  number("right_rows", &d.right_rows);
  number("added", &d.added);
  number("removed", &d.removed);
  number("changed", &d.changed);
  number("late_records", &d.late_records);
  uint64_t unexplained = 0;
  if (o["unexplained"].get(unexplained) == simdjson::SUCCESS) d.unexplained = unexplained;
  number("unattributed", &d.unattributed);
  auto strings = [&](const char* key, std::vector<std::string>* out) {
    simdjson::dom::array a;
    if (o[key].get(a) != simdjson::SUCCESS) return;
    for (auto e : a) {
      std::string_view v;
      if (e.get(v) == simdjson::SUCCESS) out->emplace_back(v);
    }
  };
  strings("late_tables", &d.late_tables);
  strings("attribution", &d.attribution);
  simdjson::dom::object changes;
  if (o["largest_relative_change"].get(changes) == simdjson::SUCCESS) {
    for (auto kv : changes) {
      double v = 0;
      if (kv.value.get(v) == simdjson::SUCCESS) {
        d.largest_relative_change.emplace_back(std::string(kv.key), v);
      }
    }
  }
  simdjson::dom::array examples;
  if (o["examples"].get(examples) == simdjson::SUCCESS) {
    for (auto e : examples) {
      std::string_view v;
      if (e.get(v) == simdjson::SUCCESS) d.examples.emplace_back(v);
    }
  }
  simdjson::dom::object boundary;
  if (o["boundary"].get(boundary) == simdjson::SUCCESS) {
    for (auto kv : boundary) {
      simdjson::dom::array offsets;
      if (kv.value.get(offsets) != simdjson::SUCCESS) continue;
      auto& out = d.boundary[std::string(kv.key)];
      for (auto x : offsets) {
        uint64_t v = 0;
        if (x.get(v) == simdjson::SUCCESS) out.push_back(v);
      }
    }
  }
  return d;
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

Result<Diff> Engine::Compare(std::string_view view, const Batch& left, std::string left_name,
                             const Batch& right, std::string right_name,
                             std::vector<std::pair<bool, size_t>>* differing) const {
  Diff d;
  d.view = std::string(view);
  d.left_name = std::move(left_name);
  d.right_name = std::move(right_name);
  for (int64_t w : left.weights)
    d.left_rows += static_cast<uint64_t>(w);
  for (int64_t w : right.weights)
    d.right_rows += static_cast<uint64_t>(w);
  d.left_checksum = RowsChecksum(left);
  d.right_checksum = RowsChecksum(right);
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
  RowComparison(left, right, std::move(types), KeyColumns(*plan_, view), differing, &d)
      .Run(&largest);
  const auto* columns = plan_->FindColumns(view);
  for (const auto& [c, rel] : largest) {
    std::string name = columns && c < static_cast<int>(columns->size()) ? (*columns)[c].name
                                                                        : "#" + std::to_string(c);
    d.largest_relative_change.emplace_back(name, rel);
  }
  return d;
}

Result<Diff> Engine::Validate(std::string_view view, std::string_view name) {
  Batch live, candidate;
  {
    absl::MutexLock lock(&mu_);
    auto it = replays_.find(name);
    if (it == replays_.end()) {
      return Status::NotFound("no finished replay named " + std::string(name) +
                              " (run `strata replay " + std::string(view) + " --as " +
                              std::string(name) + "`)");
    }
    if (main_->plan.FindGold(view) == nullptr) {
      return Status::NotFound("the pipeline has no gold view " + std::string(view));
    }
    ASSIGN_OR_RETURN(live, LiveRowsLocked(view));
    ASSIGN_OR_RETURN(candidate, it->second->executor->Rows(view));
  }
  return Compare(view, live, "live", candidate, std::string(name));
}

Result<Diff> Engine::Drift(std::string_view view) {
  Batch live;
  sql::Pipeline plan;
  Offsets covered;
  std::optional<uint64_t> from;
  // The windowed views whose late decisions reach `view`: itself and the views it reads.
  std::vector<const sql::GoldView*> late_deciders;
  std::optional<Offsets> lambda_boundary;  // T of the published batch(T)
  {
    absl::MutexLock lock(&mu_);
    const sql::GoldView* g = main_->plan.FindGold(view);
    const Lane* lane = main_.get();
    if (g != nullptr && g->serving == sql::Serving::kKappa) {
      ASSIGN_OR_RETURN(lane, ServingLaneLocked(view));
    }
    if (lane->plan.FindColumns(view) == nullptr) {
      return Status::NotFound("the pipeline has no table or view " + std::string(view));
    }
    ASSIGN_OR_RETURN(live, LiveRowsLocked(view));
    plan = lane->plan;
    from = lane->from_offset;
    covered = lane->executor->offsets();
    if (g != nullptr && g->serving == sql::Serving::kLambda) {
      lambda_boundary = batch_->offsets();
      for (auto& [table, offsets] : covered) {
        const auto& t = batch_->offsets().at(table);
        for (size_t p = 0; p < offsets.size(); ++p)
          offsets[p] = std::max(offsets[p], t[p]);
      }
    }
  }
  auto recompute = [&](bool speed) -> Result<std::unique_ptr<PipelineExecutor>> {
    ASSIGN_OR_RETURN(auto fresh, PipelineExecutor::Make(plan));
    if (from) RETURN_IF_ERROR(fresh->StartAt(Uniform(plan, *from)));
    fresh->set_include_late(true);
    if (speed && lambda_boundary) {
      // The speed path of a Lambda view: batch(T), authoritative, then the epochs after T.
      RETURN_IF_ERROR(
          runtime::CatchUp(store_, fresh.get(), plan, options_.batch_run_records, &*lambda_boundary)
              .status());
    }
    if (speed) fresh->set_include_late(false);
    RETURN_IF_ERROR(
        runtime::CatchUp(store_, fresh.get(), plan, options_.batch_run_records, &covered).status());
    return fresh;
  };
  ASSIGN_OR_RETURN(auto fresh, recompute(false));
  ASSIGN_OR_RETURN(Batch recomputed, fresh->Rows(view));
  std::vector<std::pair<bool, size_t>> differing;
  ASSIGN_OR_RETURN(Diff d, Compare(view, live, "live", recomputed, "recompute", &differing));
  d.boundary = covered;
  for (const sql::GoldView* g = plan.FindGold(view); g != nullptr;
       g = g->from_gold ? plan.FindGold(g->source) : nullptr) {
    if (g->window) late_deciders.push_back(g);
  }
  if (!late_deciders.empty()) {
    ASSIGN_OR_RETURN(auto speed, recompute(true));
    ASSIGN_OR_RETURN(Batch expected, speed->Rows(view));
    ASSIGN_OR_RETURN(Diff u, Compare(view, live, "live", expected, "speed recompute"));
    d.unexplained = u.added + u.removed + u.changed;
    for (const sql::GoldView* g : late_deciders) {
      d.late_records += speed->late_counters(g->name)->late;
      d.late_tables.push_back(g->late_table);
    }
    // Rows map to windows only in the view that assigns them.
    if (late_deciders.front()->name == view) {
      ASSIGN_OR_RETURN(Batch late, speed->Rows(late_deciders.front()->late_table));
      Attribute(*late_deciders.front(), late, live, recomputed, differing, &d);
    }
  }
  return d;
}

void Engine::Attribute(const sql::GoldView& g, const Batch& late, const Batch& live,
                       const Batch& recomputed,
                       const std::vector<std::pair<bool, size_t>>& differing, Diff* d) {
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

}  // namespace strata::serve
