#include "exec/changelog.h"

#include <algorithm>

#include "common/assert.h"
#include "common/coding.h"
#include "exec/row_codec.h"

namespace strata::exec {

void ConsolidatedChanges::AddRow(std::string_view row, int64_t weight) {
  if (weight == 0) return;
  auto it = rows_.find(row);  // the string is built only for a new row
  if (it == rows_.end()) it = rows_.emplace(std::string(row), 0).first;
  it->second += weight;
  if (it->second == 0) rows_.erase(it);
}

void ConsolidatedChanges::Add(const Batch& in) {
  std::string row;
  for (size_t r = 0; r < in.num_rows(); ++r) {
    row.clear();
    for (const Column& c : in.columns)
      EncodeCell(c, r, &row);
    AddRow(row, in.weights[r]);
  }
}

namespace {
std::string EncodeRow(const Batch& in, size_t row) {
  std::string out;
  for (const Column& c : in.columns)
    EncodeCell(c, row, &out);
  return out;
}
}  // namespace

void ConsolidatedChanges::AddRow(const Batch& in, size_t row, int64_t weight) {
  AddRow(EncodeRow(in, row), weight);
}

int64_t ConsolidatedChanges::Weight(const Batch& in, size_t row) const {
  auto it = rows_.find(EncodeRow(in, row));
  return it == rows_.end() ? 0 : it->second;
}

void ConsolidatedChanges::Add(const ConsolidatedChanges& other) {
  for (const auto& [row, weight] : other.rows_)
    AddRow(row, weight);
}

namespace {
template <typename Map>
std::vector<const typename Map::value_type*> Sorted(const Map& rows) {
  std::vector<const typename Map::value_type*> entries;
  entries.reserve(rows.size());
  for (const auto& e : rows)
    entries.push_back(&e);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  return entries;
}
}  // namespace

void ConsolidatedChanges::AppendTo(Batch* out) const {
  for (const auto* e : Sorted(rows_)) {
    ByteReader reader(e->first);
    for (Column& c : out->columns) {
      bool ok = reader.GetValueInto(&c);
      STRATA_ASSERT(ok);
    }
    out->weights.push_back(e->second);
  }
}

void ConsolidatedChanges::Save(std::string* out) const {
  PutVarint64(out, rows_.size());
  for (const auto* e : Sorted(rows_)) {
    PutLengthPrefixed(out, e->first);
    PutVarint64(out, ZigZag(e->second));
  }
}

Status ConsolidatedChanges::Load(std::string_view in) {
  rows_.clear();
  ByteReader reader(in);
  uint64_t n;
  if (!reader.GetVarint64(&n)) return Status::Corruption("changelog: truncated count");
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view row;
    int64_t weight;
    if (!reader.GetLengthPrefixed(&row) || !reader.GetZigZag(&weight) || weight == 0) {
      rows_.clear();
      return Status::Corruption("changelog: entry " + std::to_string(i) + " is malformed");
    }
    ByteReader cells(row);
    Value v;
    for (const Type& t : types_) {
      if (!cells.GetValue(t.physical(), &v)) {
        rows_.clear();
        return Status::Corruption("changelog: row " + std::to_string(i) + " does not decode");
      }
    }
    if (!cells.empty() || !rows_.try_emplace(std::string(row), weight).second) {
      rows_.clear();
      return Status::Corruption("changelog: row " + std::to_string(i) + " is malformed");
    }
  }
  if (!reader.empty()) {
    rows_.clear();
    return Status::Corruption("changelog: trailing bytes");
  }
  return Status::OK();
}

}  // namespace strata::exec
