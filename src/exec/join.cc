#include "exec/join.h"

#include <algorithm>
#include <cstring>

#include "common/assert.h"
#include "common/coding.h"
#include "common/crc32c.h"
#include "exec/operator.h"
#include "exec/row_codec.h"

namespace strata::exec {
namespace {

// Version 1 kept no origins (entries of kHeaderV1 bytes); Load reads it with origins 0.
constexpr uint32_t kStateVersion = 2;
// An entry of a bucket: [fixed32 row length][fixed64 count][fixed64 matches][fixed32
// partition][fixed64 offset][row].
constexpr size_t kHeader = 32;
constexpr size_t kHeaderV1 = 20;
constexpr size_t kCountAt = 4, kMatchesAt = 12, kPartitionAt = 20, kOffsetAt = 24;

struct Entry {
  size_t pos = 0;  // of its header in the bucket
  std::string_view row;
  int64_t count = 0;
  int64_t matches = 0;
  RowOrigin origin;
  size_t size() const { return kHeader + row.size(); }
};

// The entry at `pos` of `bucket` (which must hold a whole one).
Entry EntryAt(std::string_view bucket, size_t pos) {
  const char* p = bucket.data() + pos;
  Entry e;
  e.pos = pos;
  const uint32_t length = DecodeFixed32(p);
  e.count = static_cast<int64_t>(DecodeFixed64(p + kCountAt));
  e.matches = static_cast<int64_t>(DecodeFixed64(p + kMatchesAt));
  e.origin.partition = DecodeFixed32(p + kPartitionAt);
  e.origin.offset = DecodeFixed64(p + kOffsetAt);
  e.row = bucket.substr(pos + kHeader, length);
  return e;
}

// Calls f(entry) for each entry of `bucket`, in order.
template <typename F>
void ForEachEntry(std::string_view bucket, F&& f) {
  for (size_t pos = 0; pos < bucket.size();) {
    Entry e = EntryAt(bucket, pos);
    pos += e.size();
    f(e);
  }
}

// Whether `bucket` is a whole number of entries with headers of `header` bytes (counting
// them into *rows); version 1's are rewritten into *upgraded with origins 0.
bool WellFormed(std::string_view bucket, size_t header, uint64_t* rows, std::string* upgraded) {
  size_t pos = 0;
  while (pos < bucket.size()) {
    if (bucket.size() - pos < header) return false;
    const size_t length = DecodeFixed32(bucket.data() + pos);
    const auto count = static_cast<int64_t>(DecodeFixed64(bucket.data() + pos + kCountAt));
    if (bucket.size() - pos - header < length || count <= 0) return false;
    if (header != kHeader) {
      upgraded->append(bucket.substr(pos, kHeaderV1));
      upgraded->append(kHeader - kHeaderV1, '\0');
      upgraded->append(bucket.substr(pos + header, length));
    }
    pos += header + length;
    ++*rows;
  }
  return !bucket.empty();
}

bool Matches(const Batch& b, const std::vector<Type>& types) {
  if (b.columns.size() != types.size()) return false;
  for (size_t c = 0; c < types.size(); ++c) {
    if (!(b.columns[c].type() == types[c]) || b.columns[c].size() != b.num_rows()) return false;
  }
  return true;
}

const char* SideName(JoinSide side) {
  return side == JoinSide::kLeft ? "left" : "right";
}

}  // namespace

Result<std::unique_ptr<JoinOperator>> JoinOperator::Make(const sql::JoinSpec& spec,
                                                         std::vector<Type> left,
                                                         std::vector<Type> right) {
  if (spec.left_keys.empty() || spec.left_keys.size() != spec.right_keys.size()) {
    return Status::InvalidArgument("join: the key lists must be non-empty and of one length");
  }
  std::vector<CompiledExpression> keys[2];
  for (size_t k = 0; k < spec.left_keys.size(); ++k) {
    if (!(spec.left_keys[k].type == spec.right_keys[k].type)) {
      return Status::InvalidArgument("join: key " + std::to_string(k + 1) +
                                     " has two types: " + spec.left_keys[k].type.ToString() +
                                     " and " + spec.right_keys[k].type.ToString());
    }
    ASSIGN_OR_RETURN(CompiledExpression l, CompiledExpression::Compile(spec.left_keys[k]));
    ASSIGN_OR_RETURN(CompiledExpression r, CompiledExpression::Compile(spec.right_keys[k]));
    keys[0].push_back(std::move(l));
    keys[1].push_back(std::move(r));
  }
  std::optional<CompiledExpression> residual;
  if (spec.residual) {
    ASSIGN_OR_RETURN(CompiledExpression c, CompiledExpression::Compile(*spec.residual));
    residual.emplace(std::move(c));
  }
  auto op = std::unique_ptr<JoinOperator>(
      new JoinOperator(spec.type, std::move(left), std::move(right), std::move(keys[0]),
                       std::move(keys[1]), std::move(residual)));
  const std::optional<sql::BoundExpr>* filters[2] = {&spec.left_filter, &spec.right_filter};
  for (int s = 0; s < 2; ++s) {
    if (!*filters[s]) continue;
    ASSIGN_OR_RETURN(CompiledExpression c, CompiledExpression::Compile(**filters[s]));
    op->filters_[s].emplace(std::move(c));
  }
  return op;
}

JoinOperator::JoinOperator(sql::JoinType type, std::vector<Type> left, std::vector<Type> right,
                           std::vector<CompiledExpression> left_keys,
                           std::vector<CompiledExpression> right_keys,
                           std::optional<CompiledExpression> residual)
    : type_(type), residual_(std::move(residual)) {
  output_types_ = left;
  output_types_.insert(output_types_.end(), right.begin(), right.end());
  types_[0] = std::move(left);
  types_[1] = std::move(right);
  keys_[0] = std::move(left_keys);
  keys_[1] = std::move(right_keys);
}

bool JoinOperator::Preserved(JoinSide side) const {
  if (type_ == sql::JoinType::kFull) return true;
  return side == JoinSide::kLeft ? type_ == sql::JoinType::kLeft : type_ == sql::JoinType::kRight;
}

Status JoinOperator::Push(JoinSide side, const Batch& in, Batch* out) {
  const int s = static_cast<int>(side);
  if (!Matches(in, types_[s])) {
    return Status::InvalidArgument(std::string("join: the ") + SideName(side) +
                                   " batch does not match its schema");
  }
  if (!Matches(*out, output_types_)) {
    return Status::InvalidArgument("join: the output batch does not match the joined row");
  }
  if (filters_[s]) {
    // The reader's conditions over this side, before the join (sql::JoinSpec).
    RowErrors errors;
    ASSIGN_OR_RETURN(std::vector<uint8_t> keep, filters_[s]->EvaluatePredicate(in, &errors));
    if (!errors.empty()) return Status::FailedPrecondition("join filter: " + errors[0].message);
    if (std::find(keep.begin(), keep.end(), 0) != keep.end()) {
      return PushRows(side, in.Select(keep), out);
    }
  }
  return PushRows(side, in, out);
}

Status JoinOperator::PushRows(JoinSide side, const Batch& in, Batch* out) {
  const int s = static_cast<int>(side);
  const JoinSide other = side == JoinSide::kLeft ? JoinSide::kRight : JoinSide::kLeft;
  const bool origins = in.origins.size() == in.num_rows() && out->origins.size() == out->num_rows();
  std::vector<Column> keys;
  for (const CompiledExpression& k : keys_[s]) {
    Column column(k.type());
    RowErrors errors;
    RETURN_IF_ERROR(k.Evaluate(in, &column, &errors));
    if (!errors.empty()) {
      std::string at;
      if (origins) {
        const RowOrigin& o = in.origins[errors[0].row];
        at = " (row from partition " + std::to_string(o.partition) + " offset " +
             std::to_string(o.offset) + ")";
      }
      return Status::FailedPrecondition("join key: " + errors[0].message + at);
    }
    keys.push_back(std::move(column));
  }
  const bool preserve_other = Preserved(other);
  // A joined row carries its left row's origin, a row padded on the left its right row's:
  // whichever side's change produced it, so a retraction carries its insertion's origin.
  auto origin_of = [&](size_t from, const RowOrigin& mine, const RowOrigin& theirs) {
    if (!origins) return;
    const RowOrigin& o = side == JoinSide::kLeft ? mine : theirs;
    out->origins.insert(out->origins.end(), out->num_rows() - from,
                        RowOrigin{o.partition, o.offset, {}});
  };
  for (size_t r = 0; r < in.num_rows(); ++r) {
    const int64_t w = in.weights[r];
    if (w == 0) continue;
    const RowOrigin mine = in.origins.size() == in.num_rows()
                               ? RowOrigin{in.origins[r].partition, in.origins[r].offset, {}}
                               : RowOrigin{};
    key_buf_.clear();
    bool null_key = false;
    for (const Column& k : keys) {
      null_key = null_key || k.is_null(r);
      EncodeKeyCell(k, r, &key_buf_);
    }
    row_buf_.clear();
    for (const Column& c : in.columns)
      EncodeCell(c, r, &row_buf_);
    int64_t matched = 0;
    auto it = null_key ? sides_[1 - s].buckets.end() : sides_[1 - s].buckets.find(key_buf_);
    if (it != sides_[1 - s].buckets.end()) {
      std::string& bucket = it->second;
      std::vector<uint8_t> pass;
      if (residual_) {
        ASSIGN_OR_RETURN(pass, Residual(side, in, r, bucket));
      }
      size_t i = 0;
      ForEachEntry(bucket, [&](const Entry& e) {
        if (residual_ && !pass[i++]) return;
        size_t first_out = out->num_rows();
        AppendJoined(side, in, r, &e.row, w * e.count, out);
        origin_of(first_out, mine, e.origin);
        matched += e.count;
        if (!preserve_other) return;
        const int64_t now = e.matches + w;
        EncodeFixed64(bucket.data() + e.pos + kMatchesAt, static_cast<uint64_t>(now));
        if ((e.matches == 0) != (now == 0)) {
          first_out = out->num_rows();
          AppendPadded(other, e.row, now == 0 ? e.count : -e.count, out);
          origin_of(first_out, e.origin, e.origin);
        }
      });
    }
    if (Preserved(side) && matched == 0) {
      const size_t first_out = out->num_rows();
      AppendJoined(side, in, r, nullptr, w, out);
      origin_of(first_out, mine, mine);
    }
    if (!null_key) RETURN_IF_ERROR(Update(side, key_buf_, row_buf_, mine, w, matched));
  }
  return Status::OK();
}

Result<std::vector<uint8_t>> JoinOperator::Residual(JoinSide side, const Batch& in, size_t r,
                                                    std::string_view bucket) {
  Batch pairs = MakeBatch(output_types_);
  ForEachEntry(bucket, [&](const Entry& e) { AppendJoined(side, in, r, &e.row, 1, &pairs); });
  RowErrors errors;
  ASSIGN_OR_RETURN(std::vector<uint8_t> pass, residual_->EvaluatePredicate(pairs, &errors));
  if (!errors.empty()) return Status::FailedPrecondition("join condition: " + errors[0].message);
  return pass;
}

void JoinOperator::AppendJoined(JoinSide side, const Batch& in, size_t r,
                                const std::string_view* other, int64_t weight, Batch* out) const {
  const size_t left = types_[0].size();
  const size_t first_in = side == JoinSide::kLeft ? 0 : left;
  const size_t first_other = side == JoinSide::kLeft ? left : 0;
  for (size_t c = 0; c < in.columns.size(); ++c)
    out->columns[first_in + c].AppendFrom(in.columns[c], r);
  const size_t n = types_[side == JoinSide::kLeft ? 1 : 0].size();
  if (other == nullptr) {
    for (size_t c = 0; c < n; ++c)
      out->columns[first_other + c].AppendNull();
  } else {
    ByteReader reader(*other);
    for (size_t c = 0; c < n; ++c)
      STRATA_ASSERT(reader.GetValueInto(&out->columns[first_other + c]));
  }
  out->weights.push_back(weight);
}

void JoinOperator::AppendPadded(JoinSide side, std::string_view row, int64_t weight,
                                Batch* out) const {
  ByteReader reader(row);
  const size_t left = types_[0].size();
  for (size_t c = 0; c < output_types_.size(); ++c) {
    const bool mine = (c < left) == (side == JoinSide::kLeft);
    if (mine) {
      STRATA_ASSERT(reader.GetValueInto(&out->columns[c]));
    } else {
      out->columns[c].AppendNull();
    }
  }
  out->weights.push_back(weight);
}

// An insertion appends an entry without looking for an equal row (rows are mostly distinct:
// silver's upsert emits one row per key), so a row may stand in several entries; a retraction
// takes copies from the first entries equal to it with its origin, then from the first equal
// to it (a changelog retracts a row with the origin it was inserted with).
Status JoinOperator::Update(JoinSide side, std::string_view key, std::string_view row,
                            const RowOrigin& origin, int64_t weight, int64_t matches) {
  SideState& state = sides_[static_cast<int>(side)];
  auto [it, inserted] = state.buckets.try_emplace(key);
  std::string& bucket = it->second;
  if (weight > 0) {
    const size_t pos = bucket.size();
    bucket.resize(pos + kHeader);
    char* p = bucket.data() + pos;
    EncodeFixed32(p, static_cast<uint32_t>(row.size()));
    EncodeFixed64(p + kCountAt, static_cast<uint64_t>(weight));
    EncodeFixed64(p + kMatchesAt, static_cast<uint64_t>(Preserved(side) ? matches : 0));
    EncodeFixed32(p + kPartitionAt, origin.partition);
    EncodeFixed64(p + kOffsetAt, origin.offset);
    bucket.append(row);
    ++state.rows;
    state.bytes += kHeader + row.size() + (inserted ? key.size() : 0);
    return Status::OK();
  }
  int64_t remaining = -weight;
  for (const bool same_origin : {true, false}) {
    for (size_t pos = 0; pos < bucket.size() && remaining > 0;) {
      const char* p = bucket.data() + pos;
      const size_t length = DecodeFixed32(p);
      if (length != row.size() || std::memcmp(p + kHeader, row.data(), length) != 0 ||
          (same_origin && (DecodeFixed32(p + kPartitionAt) != origin.partition ||
                           DecodeFixed64(p + kOffsetAt) != origin.offset))) {
        pos += kHeader + length;
        continue;
      }
      const auto count = static_cast<int64_t>(DecodeFixed64(p + kCountAt));
      const int64_t taken = std::min(count, remaining);
      remaining -= taken;
      if (taken < count) {
        EncodeFixed64(bucket.data() + pos + kCountAt, static_cast<uint64_t>(count - taken));
        pos += kHeader + length;
        continue;
      }
      bucket.erase(pos, kHeader + length);
      --state.rows;
      state.bytes -= kHeader + length;
    }
  }
  if (bucket.empty()) {
    if (!inserted) state.bytes -= key.size();
    state.buckets.erase(it);
  }
  if (remaining > 0) {
    return Status::FailedPrecondition(std::string("join: a retraction of a ") + SideName(side) +
                                      " row the join does not hold");
  }
  return Status::OK();
}

JoinStats JoinOperator::stats() const {
  JoinStats s;
  for (const SideState& side : sides_) {
    s.keys += side.buckets.size();
    s.rows += side.rows;
    s.bytes += side.bytes;
  }
  return s;
}

uint32_t JoinOperator::Fingerprint() const {
  std::string plan = "join";
  plan.push_back(static_cast<char>(type_));
  for (const auto& types : types_) {
    plan.push_back('|');
    for (const Type& t : types)
      AppendTypeFingerprint(t, &plan);
  }
  plan.push_back('|');
  for (const CompiledExpression& k : keys_[0])
    AppendTypeFingerprint(k.type(), &plan);
  plan.push_back(residual_ ? 'r' : '-');
  // Filters decide which rows the state holds (none: the fingerprint of a join without).
  if (filters_[0]) plan.push_back('L');
  if (filters_[1]) plan.push_back('R');
  return crc32c::Value(plan);
}

// Body, per side (left, right): varint key count, then per key in ascending byte order its
// length-prefixed encoding and its length-prefixed bucket (the entries as kept).
Status JoinOperator::SaveState(std::string* out) const {
  const size_t start = out->size();
  BeginState("join", kStateVersion, Fingerprint(), out);
  for (const SideState& side : sides_) {
    std::vector<const std::pair<const std::string, std::string>*> sorted;
    sorted.reserve(side.buckets.size());
    for (const auto& entry : side.buckets)
      sorted.push_back(&entry);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    PutVarint64(out, sorted.size());
    for (const auto* entry : sorted) {
      PutLengthPrefixed(out, entry->first);
      PutLengthPrefixed(out, entry->second);
    }
  }
  SealState(start, out);
  return Status::OK();
}

Status JoinOperator::LoadState(std::string_view in) {
  if (stats().keys != 0) return Status::FailedPrecondition("join: state already loaded");
  uint32_t version = 0;
  ASSIGN_OR_RETURN(std::string_view body,
                   UnsealState(in, "join", 1, kStateVersion, Fingerprint(), &version));
  const size_t header = version == 1 ? kHeaderV1 : kHeader;
  ByteReader reader(body);
  SideState loaded[2];
  for (SideState& side : loaded) {
    uint64_t count;
    if (!reader.GetVarint64(&count)) return Status::Corruption("join state: truncated");
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view key, bucket;
      std::string upgraded;
      const size_t at = reader.position();
      if (!reader.GetLengthPrefixed(&key) || !reader.GetLengthPrefixed(&bucket) ||
          !WellFormed(bucket, header, &side.rows, &upgraded)) {
        return Status::Corruption("join state: the key at byte " + std::to_string(at) +
                                  " is malformed");
      }
      if (header != kHeader) bucket = upgraded;
      if (!side.buckets.try_emplace(std::string(key), std::string(bucket)).second) {
        return Status::Corruption("join state: the key at byte " + std::to_string(at) +
                                  " is there twice");
      }
      side.bytes += key.size() + bucket.size();
    }
  }
  if (!reader.empty()) return Status::Corruption("join state: unexpected bytes after the end");
  sides_[0] = std::move(loaded[0]);
  sides_[1] = std::move(loaded[1]);
  return Status::OK();
}

}  // namespace strata::exec
