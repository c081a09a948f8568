#include "exec/upsert.h"

#include <algorithm>
#include <limits>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/hash.h"

namespace strata::exec {
namespace {

constexpr uint32_t kStateVersion = 1;
constexpr uint8_t kTombstoneFlag = 1;

int Sign(int c) {
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

template <typename T>
int Cmp(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

Status Malformed(size_t entry, size_t position) {
  return Status::Corruption("upsert state: entry " + std::to_string(entry) + " at byte " +
                            std::to_string(position) + " is malformed");
}

}  // namespace

Result<std::unique_ptr<UpsertOperator>> UpsertOperator::Make(std::vector<Type> types,
                                                             std::vector<int> key_columns,
                                                             std::optional<int> dedupe_column) {
  const int n = static_cast<int>(types.size());
  if (key_columns.empty()) return Status::InvalidArgument("upsert: no key columns");
  for (size_t i = 0; i < key_columns.size(); ++i) {
    int k = key_columns[i];
    if (k < 0 || k >= n) {
      return Status::InvalidArgument("upsert: key column " + std::to_string(k) +
                                     " out of range for " + std::to_string(n) + " columns");
    }
    if (std::find(key_columns.begin(), key_columns.begin() + i, k) != key_columns.begin() + i) {
      return Status::InvalidArgument("upsert: key column " + std::to_string(k) + " repeated");
    }
  }
  if (dedupe_column && (*dedupe_column < 0 || *dedupe_column >= n)) {
    return Status::InvalidArgument("upsert: dedupe column " + std::to_string(*dedupe_column) +
                                   " out of range for " + std::to_string(n) + " columns");
  }
  return std::unique_ptr<UpsertOperator>(
      new UpsertOperator(std::move(types), std::move(key_columns), dedupe_column));
}

UpsertOperator::UpsertOperator(std::vector<Type> types, std::vector<int> key_columns,
                               std::optional<int> dedupe_column)
    : types_(std::move(types)),
      key_columns_(std::move(key_columns)),
      dedupe_column_(dedupe_column) {}

Status UpsertOperator::CheckShapes(const Batch& in, const Batch& out) const {
  auto matches = [&](const Batch& b) {
    if (b.columns.size() != types_.size()) return false;
    for (size_t c = 0; c < types_.size(); ++c) {
      if (!(b.columns[c].type() == types_[c]) || b.columns[c].size() != b.num_rows()) {
        return false;
      }
    }
    return true;
  };
  if (!matches(in)) return Status::InvalidArgument("upsert: input batch does not match schema");
  if (!matches(out)) return Status::InvalidArgument("upsert: output batch does not match schema");
  if (in.origins.size() != in.num_rows()) {
    return Status::InvalidArgument("upsert: batch of " + std::to_string(in.num_rows()) +
                                   " rows has " + std::to_string(in.origins.size()) +
                                   " origins; versions are ordered by their origin");
  }
  return Status::OK();
}

Status UpsertOperator::Push(const Batch& in, Batch* out, SideOutput* /*side*/) {
  RETURN_IF_ERROR(CheckShapes(in, *out));
  ++push_count_;
  touched_.clear();
  // Keys first, then the probes: prefetching the table slots a few rows ahead overlaps
  // their cache misses, which dominate once the table outgrows the cache.
  key_buf_.clear();
  key_ends_.clear();
  for (size_t r = 0; r < in.num_rows(); ++r) {
    for (int k : key_columns_)
      EncodeKeyCell(in.columns[k], r, &key_buf_);
    key_ends_.push_back(key_buf_.size());
  }
  auto key = [&](size_t r) {
    size_t begin = r == 0 ? 0 : key_ends_[r - 1];
    return std::string_view(key_buf_).substr(begin, key_ends_[r] - begin);
  };
  constexpr size_t kAhead = 8;
  for (size_t r = 0; r < std::min(kAhead, in.num_rows()); ++r)
    index_.prefetch(key(r));
  for (size_t r = 0; r < in.num_rows(); ++r) {
    if (r + kAhead < in.num_rows()) index_.prefetch(key(r + kAhead));
    if (in.weights[r] != 0) PushRow(in, r, key(r));
  }
  Emit(out);
  touched_.clear();
  return Status::OK();
}

void UpsertOperator::EncodeRow(const Batch& in, size_t row) {
  row_buf_.clear();
  for (const Column& c : in.columns)
    EncodeCell(c, row, &row_buf_);
}

void UpsertOperator::PushRow(const Batch& in, size_t r, std::string_view key) {
  Value dedupe = dedupe_column_ ? in.columns[*dedupe_column_].GetValue(r) : Value::Null();
  const RowOrigin& origin = in.origins[r];
  const bool tombstone = in.weights[r] < 0;

  auto [it, inserted] = index_.try_emplace(key, 0);
  if (inserted) {
    EncodeRow(in, r);
    STRATA_ASSERT(versions_.size() < std::numeric_limits<uint32_t>::max());
    it->second = static_cast<uint32_t>(versions_.size());
    versions_.push_back(Version{std::move(dedupe), origin.partition, origin.offset, tombstone,
                                row_buf_, push_count_});
    touched_.push_back({it->second, false, {}, 0, 0});
    return;
  }
  Version& cur = versions_[it->second];
  int c = Compare(dedupe, cur.dedupe);
  if (c == 0) c = Cmp(origin.partition, cur.partition);
  if (c == 0) c = Cmp(origin.offset, cur.offset);
  if (c == 0) c = Cmp(tombstone, cur.tombstone);
  if (c < 0) return;  // an older version
  EncodeRow(in, r);
  if (c == 0 && Sign(std::string_view(row_buf_).compare(cur.row)) <= 0) return;

  if (cur.last_push != push_count_) {
    cur.last_push = push_count_;
    touched_.push_back({it->second, !cur.tombstone, std::move(cur.row), cur.partition, cur.offset});
  }
  cur.dedupe = std::move(dedupe);
  cur.partition = origin.partition;
  cur.offset = origin.offset;
  cur.tombstone = tombstone;
  cur.row.assign(row_buf_);
}

void UpsertOperator::Emit(Batch* out) const {
  for (const Touched& t : touched_) {
    const Version& now = versions_[t.version];
    const bool now_visible = !now.tombstone;
    if (t.had_visible && now_visible && t.old_row == now.row) continue;
    if (t.had_visible) AppendRow(t.old_row, -1, t.old_partition, t.old_offset, out);
    if (now_visible) AppendRow(now.row, +1, now.partition, now.offset, out);
  }
}

void UpsertOperator::AppendRow(std::string_view row, int64_t weight, uint32_t partition,
                               uint64_t offset, Batch* out) const {
  const bool track_origins = out->origins.size() == out->weights.size();
  ByteReader reader(row);
  for (Column& c : out->columns) {
    bool ok = reader.GetValueInto(&c);
    STRATA_ASSERT(ok);
  }
  STRATA_ASSERT(reader.empty());
  out->weights.push_back(weight);
  if (track_origins) out->origins.push_back(RowOrigin{partition, offset, {}});
}

std::vector<const UpsertOperator::Index::value_type*> UpsertOperator::SortedEntries() const {
  std::vector<const Index::value_type*> entries;
  entries.reserve(index_.size());
  for (const auto& e : index_)
    entries.push_back(&e);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  return entries;
}

void UpsertOperator::Snapshot(Batch* out) const {
  for (const auto* e : SortedEntries()) {
    const Version& v = versions_[e->second];
    if (!v.tombstone) AppendRow(v.row, +1, v.partition, v.offset, out);
  }
}

uint32_t UpsertOperator::Fingerprint() const {
  std::string plan = "upsert";
  for (const Type& t : types_)
    AppendTypeFingerprint(t, &plan);
  plan.push_back('|');
  for (int k : key_columns_)
    PutVarint64(&plan, static_cast<uint64_t>(k));
  plan.push_back('|');
  PutVarint64(&plan, dedupe_column_ ? static_cast<uint64_t>(*dedupe_column_) + 1 : 0);
  return crc32c::Value(plan);
}

// Body: varint entry count, then per key in ascending key-encoding order:
// [flags: 1 byte, bit 0 = tombstone][varint partition][varint offset][length-prefixed row].
// The key and the dedupe value are not stored: they are re-derived from the row.
Status UpsertOperator::SaveState(std::string* out) const {
  const auto entries = SortedEntries();
  const size_t start = out->size();
  BeginState("upsert", kStateVersion, Fingerprint(), out);
  PutVarint64(out, entries.size());
  for (const auto* e : entries) {
    const Version& v = versions_[e->second];
    out->push_back(static_cast<char>(v.tombstone ? kTombstoneFlag : 0));
    PutVarint64(out, v.partition);
    PutVarint64(out, v.offset);
    PutLengthPrefixed(out, v.row);
  }
  SealState(start, out);
  return Status::OK();
}

Status UpsertOperator::DecodeEntry(ByteReader* reader, Index* index,
                                   std::vector<Version>* versions) const {
  uint8_t flags;
  uint64_t partition, offset;
  std::string_view row;
  if (!reader->GetByte(&flags) || (flags & ~kTombstoneFlag) != 0 ||
      !reader->GetVarint64(&partition) || partition > std::numeric_limits<uint32_t>::max() ||
      !reader->GetVarint64(&offset) || !reader->GetLengthPrefixed(&row)) {
    return Status::Corruption("");
  }
  ByteReader row_reader(row);
  std::vector<Value> values(types_.size());
  for (size_t c = 0; c < types_.size(); ++c) {
    if (!row_reader.GetValue(types_[c].physical(), &values[c])) return Status::Corruption("");
  }
  if (!row_reader.empty()) return Status::Corruption("");
  std::string key;
  for (int k : key_columns_)
    EncodeValue(values[k], types_[k].physical(), true, &key);
  Value dedupe = dedupe_column_ ? std::move(values[*dedupe_column_]) : Value::Null();
  auto [it, inserted] = index->try_emplace(std::move(key), static_cast<uint32_t>(versions->size()));
  if (!inserted) return Status::Corruption("");
  versions->push_back(Version{std::move(dedupe), static_cast<uint32_t>(partition), offset,
                              (flags & kTombstoneFlag) != 0, std::string(row), 0});
  return Status::OK();
}

Status UpsertOperator::LoadState(std::string_view in) {
  if (!index_.empty()) return Status::FailedPrecondition("upsert: state already loaded");
  ASSIGN_OR_RETURN(std::string_view body, UnsealState(in, "upsert", kStateVersion, Fingerprint()));
  ByteReader reader(body);
  uint64_t count;
  if (!reader.GetVarint64(&count)) return Malformed(0, 5);
  Index index;
  std::vector<Version> versions;
  for (uint64_t i = 0; i < count; ++i) {
    const size_t position = reader.position() + 5;
    if (!DecodeEntry(&reader, &index, &versions).ok()) return Malformed(i, position);
  }
  if (!reader.empty()) {
    return Status::Corruption("upsert state: " + std::to_string(body.size() - reader.position()) +
                              " unexpected bytes after the last entry");
  }
  index_ = std::move(index);
  versions_ = std::move(versions);
  return Status::OK();
}

}  // namespace strata::exec
