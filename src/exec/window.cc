#include "exec/window.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

#include "common/coding.h"
#include "common/crc32c.h"
#include "exec/row_codec.h"

namespace strata::exec {

Micros WindowFloor(Micros ts, Micros size) {
  Micros q = ts / size;
  if (ts % size != 0 && ts < 0) --q;
  return q * size;
}

void AssignWindows(const sql::WindowSpec& window, const Batch& rows, const Column& time, Batch* out,
                   std::vector<uint32_t>* source) {
  const size_t n = rows.columns.size();
  const bool origins = rows.origins.size() == rows.num_rows();
  auto append = [&](size_t r, std::optional<Micros> start, Micros size) {
    for (size_t c = 0; c < n; ++c)
      out->columns[c].AppendFrom(rows.columns[c], r);
    if (start) {
      out->columns[n].AppendInt64(*start);
      out->columns[n + 1].AppendInt64(*start + size);
    } else {
      out->columns[n].AppendNull();
      out->columns[n + 1].AppendNull();
    }
    out->weights.push_back(rows.weights[r]);
    if (origins) out->origins.push_back(rows.origins[r]);
    source->push_back(static_cast<uint32_t>(r));
  };
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    if (time.is_null(r) || window.kind == sql::WindowKind::kSession) {
      append(r, std::nullopt, 0);
      continue;
    }
    ForEachWindow(window, time.int64s()[r],
                  [&](Micros start, Micros /*end*/) { append(r, start, window.size); });
  }
}

namespace {
constexpr uint32_t kStateVersion = 1;

std::vector<Type> WithoutLast(std::vector<Type> types) {
  types.pop_back();
  return types;
}

Micros SaturatingAdd(Micros a, Micros b) {
  if (b > 0 && a > std::numeric_limits<Micros>::max() - b)
    return std::numeric_limits<Micros>::max();
  if (b < 0 && a < std::numeric_limits<Micros>::min() - b)
    return std::numeric_limits<Micros>::min();
  return a + b;
}
}  // namespace

SessionOperator::SessionOperator(std::vector<Type> types, std::vector<int> key_columns,
                                 int start_column, int end_column, Micros gap)
    : types_(types),
      output_types_(WithoutLast(std::move(types))),
      key_columns_(std::move(key_columns)),
      start_column_(start_column),
      end_column_(end_column),
      gap_(gap) {}

Result<std::unique_ptr<SessionOperator>> SessionOperator::Make(std::vector<Type> types,
                                                               std::vector<int> key_columns,
                                                               int start_column, int end_column,
                                                               Micros gap) {
  const int time = static_cast<int>(types.size()) - 1;
  if (time < 0 || types.back().id != TypeId::kTimestamp) {
    return Status::InvalidArgument("session: the last input column must be a timestamp");
  }
  for (int c : key_columns) {
    if (c < 0 || c >= time) return Status::InvalidArgument("session: key column out of range");
  }
  if (start_column < 0 || start_column >= time || end_column < 0 || end_column >= time ||
      start_column == end_column) {
    return Status::InvalidArgument("session: window columns out of range");
  }
  if (gap <= 0) return Status::InvalidArgument("session: the gap must be positive");
  return std::unique_ptr<SessionOperator>(
      new SessionOperator(std::move(types), std::move(key_columns), start_column, end_column, gap));
}

Status SessionOperator::Emit(std::string_view encoded, Micros start, Micros end, int64_t weight,
                             Batch* out) const {
  ByteReader reader(encoded);
  const size_t time = types_.size() - 1;
  for (size_t c = 0; c <= time; ++c) {
    if (c == time || static_cast<int>(c) == start_column_ || static_cast<int>(c) == end_column_) {
      Value skipped;
      if (!reader.GetValue(types_[c].physical(), &skipped)) {
        return Status::Corruption("session: malformed row");
      }
      if (static_cast<int>(c) == start_column_) out->columns[c].AppendInt64(start);
      if (static_cast<int>(c) == end_column_) out->columns[c].AppendInt64(end);
      continue;
    }
    if (!reader.GetValueInto(&out->columns[c])) return Status::Corruption("session: malformed row");
  }
  out->weights.push_back(weight);
  return Status::OK();
}

Status SessionOperator::Push(const Batch& in, Batch* out, SideOutput* /*side*/) {
  if (in.columns.size() != types_.size() || out->columns.size() != output_types_.size()) {
    return Status::InvalidArgument("session: batch does not match the operator's columns");
  }
  const size_t time = types_.size() - 1;
  std::map<std::string, std::vector<Change>> changes;  // by group key; ordered: deterministic
  std::string key;
  for (size_t r = 0; r < in.num_rows(); ++r) {
    if (in.weights[r] == 0) continue;
    if (in.columns[time].is_null(r)) {
      for (size_t c = 0; c < time; ++c) {
        if (static_cast<int>(c) == start_column_ || static_cast<int>(c) == end_column_) {
          out->columns[c].AppendNull();
        } else {
          out->columns[c].AppendFrom(in.columns[c], r);
        }
      }
      out->weights.push_back(in.weights[r]);
      continue;
    }
    key.clear();
    for (int c : key_columns_)
      EncodeKeyCell(in.columns[c], r, &key);
    Change change{in.columns[time].int64s()[r], {}, in.weights[r]};
    for (const Column& c : in.columns)
      EncodeCell(c, r, &change.row);
    changes[key].push_back(std::move(change));
  }
  for (auto& [group_key, list] : changes) {
    Rows& rows = groups_[group_key];
    RETURN_IF_ERROR(PushGroup(list, rows, out));
    if (rows.empty()) groups_.erase(group_key);
  }
  return Status::OK();
}

Status SessionOperator::PushGroup(std::vector<Change>& changes, Rows& rows, Batch* out) {
  Micros tmin = changes.front().ts, tmax = changes.front().ts;
  for (const Change& c : changes) {
    tmin = std::min(tmin, c.ts);
    tmax = std::max(tmax, c.ts);
  }
  // The region: every session within gap of a changed time. Its borders stay session
  // borders after the changes (the rows beyond them are at least gap from any change).
  auto first = rows.lower_bound({SaturatingAdd(tmin, -gap_), std::string()});
  while (first != rows.begin() && first != rows.end() &&
         first->first.first - std::prev(first)->first.first < gap_) {
    --first;
  }
  auto last = rows.lower_bound({SaturatingAdd(SaturatingAdd(tmax, gap_), 1), std::string()});
  while (last != rows.end() && last != rows.begin() &&
         last->first.first - std::prev(last)->first.first < gap_) {
    ++last;
  }
  std::optional<Micros> before, after;
  if (first != rows.begin()) before = std::prev(first)->first.first;
  if (last != rows.end()) after = last->first.first;
  std::vector<Assigned> old_sessions = Sessions(first, last);
  for (Change& c : changes) {
    auto [it, inserted] = rows.try_emplace({c.ts, std::move(c.row)}, 0);
    it->second += c.weight;
    if (it->second < 0) {
      return Status::FailedPrecondition(
          "session: a retraction removes a row the session state does not hold");
    }
    if (it->second == 0) rows.erase(it);
  }
  auto new_first = before ? rows.lower_bound({*before + 1, std::string()}) : rows.begin();
  auto new_last = after ? rows.lower_bound({*after, std::string()}) : rows.end();
  std::vector<Assigned> new_sessions = Sessions(new_first, new_last);
  return EmitSessionChanges(old_sessions, new_sessions, out);
}

std::vector<SessionOperator::Assigned> SessionOperator::Sessions(Rows::const_iterator first,
                                                                 Rows::const_iterator last) const {
  std::vector<Assigned> out;
  size_t session_begin = 0;
  for (auto it = first; it != last; ++it) {
    if (!out.empty() && it->first.first - out.back().entry.first >= gap_) {
      for (size_t i = session_begin; i < out.size(); ++i)
        out[i].end = SaturatingAdd(out.back().entry.first, gap_);
      session_begin = out.size();
    }
    Micros start = out.size() == session_begin ? it->first.first : out[session_begin].start;
    out.push_back(Assigned{it->first, it->second, start, 0});
  }
  for (size_t i = session_begin; i < out.size(); ++i)
    out[i].end = SaturatingAdd(out.back().entry.first, gap_);
  return out;
}

Status SessionOperator::EmitSessionChanges(const std::vector<Assigned>& old_sessions,
                                           const std::vector<Assigned>& new_sessions,
                                           Batch* out) const {
  // Both lists are ordered by (time, row): walk them together.
  size_t i = 0, j = 0;
  while (i < old_sessions.size() || j < new_sessions.size()) {
    const Assigned* o = i < old_sessions.size() ? &old_sessions[i] : nullptr;
    const Assigned* n = j < new_sessions.size() ? &new_sessions[j] : nullptr;
    if (o && n && o->entry == n->entry) {
      if (o->start == n->start && o->end == n->end) {
        if (n->count != o->count) {
          RETURN_IF_ERROR(Emit(n->entry.second, n->start, n->end, n->count - o->count, out));
        }
      } else {
        RETURN_IF_ERROR(Emit(o->entry.second, o->start, o->end, -o->count, out));
        RETURN_IF_ERROR(Emit(n->entry.second, n->start, n->end, n->count, out));
      }
      ++i, ++j;
    } else if (o && (!n || o->entry < n->entry)) {
      RETURN_IF_ERROR(Emit(o->entry.second, o->start, o->end, -o->count, out));
      ++i;
    } else {
      RETURN_IF_ERROR(Emit(n->entry.second, n->start, n->end, n->count, out));
      ++j;
    }
  }
  return Status::OK();
}

uint32_t SessionOperator::Fingerprint() const {
  std::string plan = "session";
  for (const Type& t : types_)
    AppendTypeFingerprint(t, &plan);
  plan.push_back('|');
  for (int k : key_columns_)
    PutVarint64(&plan, static_cast<uint64_t>(k));
  plan.push_back('|');
  PutVarint64(&plan, static_cast<uint64_t>(start_column_));
  PutVarint64(&plan, static_cast<uint64_t>(end_column_));
  PutVarint64(&plan, static_cast<uint64_t>(gap_));
  return crc32c::Value(plan);
}

// Body: varint group count, then per group in ascending key order: the key, its row count,
// and per row (in time order) the time (zigzag), the row and its count.
Status SessionOperator::SaveState(std::string* out) const {
  std::vector<const std::string*> keys;
  keys.reserve(groups_.size());
  for (const auto& [k, rows] : groups_)
    keys.push_back(&k);
  std::sort(keys.begin(), keys.end(), [](const auto* a, const auto* b) { return *a < *b; });
  const size_t start = out->size();
  BeginState("session", kStateVersion, Fingerprint(), out);
  PutVarint64(out, keys.size());
  for (const std::string* k : keys) {
    const Rows& rows = groups_.find(*k)->second;
    PutLengthPrefixed(out, *k);
    PutVarint64(out, rows.size());
    for (const auto& [entry, count] : rows) {
      PutVarint64(out, (static_cast<uint64_t>(entry.first) << 1) ^
                           static_cast<uint64_t>(entry.first >> 63));
      PutLengthPrefixed(out, entry.second);
      PutVarint64(out, static_cast<uint64_t>(count));
    }
  }
  SealState(start, out);
  return Status::OK();
}

Status SessionOperator::LoadState(std::string_view in) {
  ASSIGN_OR_RETURN(std::string_view body, UnsealState(in, "session", kStateVersion, Fingerprint()));
  ByteReader reader(body);
  auto corrupt = []() { return Status::Corruption("session: malformed state"); };
  decltype(groups_) groups;
  uint64_t n;
  if (!reader.GetVarint64(&n)) return corrupt();
  for (uint64_t g = 0; g < n; ++g) {
    std::string_view key;
    uint64_t count;
    if (!reader.GetLengthPrefixed(&key) || !reader.GetVarint64(&count)) return corrupt();
    Rows& rows = groups[std::string(key)];
    for (uint64_t r = 0; r < count; ++r) {
      int64_t ts;
      std::string_view row;
      uint64_t weight;
      if (!reader.GetZigZag(&ts) || !reader.GetLengthPrefixed(&row) ||
          !reader.GetVarint64(&weight) || weight == 0) {
        return corrupt();
      }
      rows[{ts, std::string(row)}] = static_cast<int64_t>(weight);
    }
  }
  if (!reader.empty()) return corrupt();
  groups_ = std::move(groups);
  return Status::OK();
}

}  // namespace strata::exec
