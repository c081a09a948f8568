#include "exec/aggregate.h"

#include <algorithm>
#include <cstring>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/hash.h"

namespace strata::exec {
namespace {

using sql::AggregateKind;

constexpr uint32_t kStateVersion = 1;

std::string KindName(AggregateKind kind) {
  return kind == AggregateKind::kCountStar ? "count(*)" : sql::AggregateName(kind);
}

Int128 AsInt128(const Value& v, PhysicalType physical) {
  return physical == PhysicalType::kInt64 ? Int128{v.as_int64()} : v.as_int128();
}

uint64_t DoubleBits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  return bits;
}

double BitsDouble(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  return d;
}

void PutLimbs(const NumericSum& sum, std::string* out) {
  for (uint64_t limb : sum.limbs())
    PutFixed64(out, limb);
}

bool GetLimbs(ByteReader* reader, NumericSum* sum) {
  std::array<uint64_t, 4> limbs;
  for (uint64_t& limb : limbs) {
    if (!reader->GetFixed64(&limb)) return false;
  }
  *sum = NumericSum::FromLimbs(limbs);
  return true;
}

bool SameValues(const std::vector<Value>& a, const std::vector<Value>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Compare(a[i], b[i]) != 0) return false;
  }
  return true;
}

bool ValidNumericType(const Type& t) {
  return t.id == TypeId::kNumeric && t.numeric.precision >= 1 &&
         t.numeric.precision <= kNumericMaxPrecision && t.numeric.scale >= 0 &&
         t.numeric.scale <= t.numeric.precision;
}

}  // namespace

Result<std::unique_ptr<AggregateOperator>> AggregateOperator::Make(
    std::vector<Type> input_types, std::vector<int> group_columns,
    std::vector<AggregateSpec> aggregates) {
  const int n = static_cast<int>(input_types.size());
  for (int g : group_columns) {
    if (g < 0 || g >= n) {
      return Status::InvalidArgument("aggregate: group column " + std::to_string(g) +
                                     " out of range for " + std::to_string(n) + " columns");
    }
  }
  std::vector<Agg> aggs;
  for (size_t i = 0; i < aggregates.size(); ++i) {
    const AggregateSpec& spec = aggregates[i];
    auto bad = [&](const std::string& why) {
      return Status::InvalidArgument("aggregate #" + std::to_string(i) + " (" +
                                     KindName(spec.kind) + "): " + why);
    };
    Agg agg;
    agg.spec = spec;
    if (spec.kind == AggregateKind::kCountStar) {
      if (spec.distinct) return bad("count(*) cannot be DISTINCT");
      if (!(spec.result_type == Type::Bigint())) return bad("result must be bigint");
      aggs.push_back(agg);
      continue;
    }
    if (spec.arg < 0 || spec.arg >= n) {
      return bad("argument column " + std::to_string(spec.arg) + " out of range");
    }
    const Type& arg = input_types[spec.arg];
    agg.arg_physical = arg.physical();
    agg.mode = Mode::kMultiset;
    switch (spec.kind) {
      case AggregateKind::kCountStar:
        break;
      case AggregateKind::kCount:
        if (!(spec.result_type == Type::Bigint())) return bad("result must be bigint");
        if (!spec.distinct) agg.mode = Mode::kCount;
        break;
      case AggregateKind::kSum:
      case AggregateKind::kAvg:
        if (arg.id == TypeId::kBigint || arg.id == TypeId::kNumeric) {
          if (!ValidNumericType(spec.result_type)) {
            return bad("result of " + arg.ToString() + " must be numeric, not " +
                       spec.result_type.ToString());
          }
          agg.arg_scale = arg.id == TypeId::kNumeric ? arg.numeric.scale : 0;
          agg.exact_sum = true;
          if (!spec.distinct) agg.mode = Mode::kExactSum;
        } else if (arg.id == TypeId::kDouble) {
          if (!(spec.result_type == Type::Double())) return bad("result must be double");
          agg.double_sum = true;
          if (!spec.distinct) agg.mode = Mode::kDoubleSum;
        } else {
          return bad("cannot sum " + arg.ToString());
        }
        break;
      case AggregateKind::kMin:
      case AggregateKind::kMax:
        if (!(spec.result_type == arg)) return bad("result must be " + arg.ToString());
        break;
    }
    aggs.push_back(agg);
  }
  return std::unique_ptr<AggregateOperator>(
      new AggregateOperator(std::move(input_types), std::move(group_columns), std::move(aggs)));
}

AggregateOperator::AggregateOperator(std::vector<Type> input_types, std::vector<int> group_columns,
                                     std::vector<Agg> aggs)
    : input_types_(std::move(input_types)),
      group_columns_(std::move(group_columns)),
      aggs_(std::move(aggs)) {
  for (int g : group_columns_)
    output_types_.push_back(input_types_[g]);
  for (const Agg& a : aggs_)
    output_types_.push_back(a.spec.result_type);
}

AggregateOperator::~AggregateOperator() = default;

Status AggregateOperator::CheckShapes(const Batch& in, const Batch& out) const {
  auto matches = [](const Batch& b, const std::vector<Type>& types) {
    if (b.columns.size() != types.size()) return false;
    for (size_t c = 0; c < types.size(); ++c) {
      if (!(b.columns[c].type() == types[c]) || b.columns[c].size() != b.num_rows()) {
        return false;
      }
    }
    return true;
  };
  if (!matches(in, input_types_)) {
    return Status::InvalidArgument("aggregate: input batch does not match schema");
  }
  if (!matches(out, output_types_)) {
    return Status::InvalidArgument("aggregate: output batch does not match schema");
  }
  return Status::OK();
}

AggregateOperator::Table::value_type* AggregateOperator::FindOrAddGroup(std::string_view key,
                                                                        bool* created) {
  auto it = groups_.find(key);
  *created = it == groups_.end();
  if (!*created) return &*it;
  it = groups_.emplace(std::string(key), Group{}).first;
  Group& g = it->second;
  g.aggs.resize(aggs_.size());
  for (size_t a = 0; a < aggs_.size(); ++a) {
    if (aggs_[a].mode == Mode::kMultiset) {
      g.aggs[a].values = std::make_unique<absl::btree_map<Value, int64_t>>();
    }
  }
  return &*it;
}

void AggregateOperator::Settle(Group* g) const {
  for (size_t a = 0; a < aggs_.size(); ++a) {
    AggState& s = g->aggs[a];
    bool empty = aggs_[a].mode == Mode::kMultiset ? s.values->empty() : s.count == 0;
    if (aggs_[a].double_sum && empty) s.dsum = 0;
  }
}

Status AggregateOperator::Push(const Batch& in, Batch* out, SideOutput* /*side*/) {
  RETURN_IF_ERROR(CheckShapes(in, *out));
  ++push_count_;
  touched_.clear();
  row_groups_.assign(in.num_rows(), nullptr);
  for (size_t r = 0; r < in.num_rows(); ++r) {
    const int64_t w = in.weights[r];
    if (w == 0) continue;
    key_buf_.clear();
    for (int c : group_columns_)
      EncodeKeyCell(in.columns[c], r, &key_buf_);
    bool created;
    auto* entry = FindOrAddGroup(key_buf_, &created);
    Group* g = &entry->second;
    if (g->last_push != push_count_) {
      g->last_push = push_count_;
      Touched t{entry->first, g, !created, {}};
      if (!created) RETURN_IF_ERROR(OutputValues(t.key, *g, &t.old_aggs));
      touched_.push_back(std::move(t));
    }
    g->rows += w;
    row_groups_[r] = g;
  }
  for (size_t a = 0; a < aggs_.size(); ++a)
    Update(a, in);

  for (const Touched& t : touched_) {
    RETURN_IF_ERROR(Validate(t.key, *t.group));
    Settle(t.group);
  }
  std::vector<Value> now;
  for (const Touched& t : touched_) {
    if (t.group->rows == 0) {
      if (t.existed) AppendOutput(t.key, t.old_aggs, -1, out);
      continue;
    }
    RETURN_IF_ERROR(OutputValues(t.key, *t.group, &now));
    if (t.existed && SameValues(t.old_aggs, now)) continue;
    if (t.existed) AppendOutput(t.key, t.old_aggs, -1, out);
    AppendOutput(t.key, now, +1, out);
  }
  for (const Touched& t : touched_) {
    if (t.group->rows == 0) groups_.erase(groups_.find(t.key));
  }
  touched_.clear();
  return Status::OK();
}

void AggregateOperator::Update(size_t a, const Batch& in) {
  const Agg& agg = aggs_[a];
  if (agg.mode == Mode::kCountStar) return;
  const Column& col = in.columns[agg.spec.arg];
  const std::vector<uint8_t>& valid = col.validity();
  const size_t n = in.num_rows();
  switch (agg.mode) {
    case Mode::kCountStar:
      return;
    case Mode::kCount:
      for (size_t r = 0; r < n; ++r) {
        if (row_groups_[r] != nullptr && valid[r]) row_groups_[r]->aggs[a].count += in.weights[r];
      }
      return;
    case Mode::kExactSum:
      for (size_t r = 0; r < n; ++r) {
        if (row_groups_[r] == nullptr || !valid[r]) continue;
        AggState& s = row_groups_[r]->aggs[a];
        Int128 v =
            agg.arg_physical == PhysicalType::kInt64 ? Int128{col.int64s()[r]} : col.int128s()[r];
        s.sum.AddWeighted(v, in.weights[r]);
        s.count += in.weights[r];
      }
      return;
    case Mode::kDoubleSum:
      for (size_t r = 0; r < n; ++r) {
        if (row_groups_[r] == nullptr || !valid[r]) continue;
        AggState& s = row_groups_[r]->aggs[a];
        s.dsum += static_cast<double>(in.weights[r]) * col.doubles()[r];
        s.count += in.weights[r];
      }
      return;
    case Mode::kMultiset:
      for (size_t r = 0; r < n; ++r) {
        if (row_groups_[r] == nullptr || !valid[r]) continue;
        AddToMultiset(agg, &row_groups_[r]->aggs[a],
                      CanonicalValue(col.GetValue(r), agg.arg_physical), in.weights[r]);
      }
      return;
  }
}

void AggregateOperator::AddToMultiset(const Agg& agg, AggState* s, Value v, int64_t weight) {
  auto it = s->values->try_emplace(std::move(v), 0).first;
  const int64_t before = it->second;
  const int64_t after = before + weight;
  it->second = after;
  s->count += weight;
  if ((before < 0) != (after < 0)) s->negatives += after < 0 ? 1 : -1;
  if (agg.spec.distinct && (before > 0) != (after > 0)) {
    const int64_t sign = after > 0 ? 1 : -1;
    if (agg.exact_sum) s->sum.AddWeighted(AsInt128(it->first, agg.arg_physical), sign);
    if (agg.double_sum) s->dsum += static_cast<double>(sign) * it->first.as_double();
  }
  if (after == 0) s->values->erase(it);
}

Status AggregateOperator::Validate(std::string_view key, const Group& g) const {
  const char* kUpstream = ": a retraction of something never inserted (a bug upstream)";
  if (g.rows < 0) {
    return Status::FailedPrecondition("aggregate: group " + DescribeGroup(key) + " has row count " +
                                      std::to_string(g.rows) + kUpstream);
  }
  for (size_t a = 0; a < aggs_.size(); ++a) {
    const AggState& s = g.aggs[a];
    const Mode mode = aggs_[a].mode;
    if (mode == Mode::kCountStar) continue;
    bool broken = s.count < 0 || s.count > g.rows || s.negatives != 0 ||
                  (mode == Mode::kExactSum && s.count == 0 && !s.sum.IsZero());
    if (broken) {
      return Status::FailedPrecondition("aggregate: group " + DescribeGroup(key) +
                                        ": the argument of aggregate #" + std::to_string(a) + " (" +
                                        KindName(aggs_[a].spec.kind) +
                                        ") was retracted with values never inserted" + kUpstream);
    }
  }
  return Status::OK();
}

Result<Value> AggregateOperator::OutputValue(std::string_view key, size_t a, const Group& g) const {
  const Agg& agg = aggs_[a];
  const AggState& s = g.aggs[a];
  const bool distinct_set = agg.mode == Mode::kMultiset;
  const int64_t n = distinct_set ? static_cast<int64_t>(s.values->size()) : s.count;
  switch (agg.spec.kind) {
    case AggregateKind::kCountStar:
      return Value::Int64(g.rows);
    case AggregateKind::kCount:
      return Value::Int64(n);
    case AggregateKind::kMin:
      return s.values->empty() ? Value::Null() : s.values->begin()->first;
    case AggregateKind::kMax:
      return s.values->empty() ? Value::Null() : s.values->rbegin()->first;
    case AggregateKind::kSum:
    case AggregateKind::kAvg:
      break;
  }
  if (n == 0) return Value::Null();
  const bool avg = agg.spec.kind == AggregateKind::kAvg;
  if (agg.double_sum) return Value::Double(avg ? s.dsum / static_cast<double>(n) : s.dsum);
  const NumericType result = agg.spec.result_type.numeric;
  auto finish = [&]() -> Result<Int128> {
    ASSIGN_OR_RETURN(Int128 sum, s.sum.Finish(agg.arg_scale));
    if (avg) return Numeric::Div(sum, agg.arg_scale, Int128{n}, 0, result.scale);
    return Numeric::Rescale(sum, agg.arg_scale, result.scale);
  };
  Result<Int128> v = finish();
  Status st = v.ok() ? Numeric::CheckPrecision(*v, result.precision, result.scale) : v.status();
  if (!st.ok()) {
    return st.WithContext(std::string("aggregate: ") + KindName(agg.spec.kind) + " of group " +
                          DescribeGroup(key));
  }
  return Value::Int128(*v);
}

Status AggregateOperator::OutputValues(std::string_view key, const Group& g,
                                       std::vector<Value>* out) const {
  out->clear();
  for (size_t a = 0; a < aggs_.size(); ++a) {
    ASSIGN_OR_RETURN(Value v, OutputValue(key, a, g));
    out->push_back(std::move(v));
  }
  return Status::OK();
}

void AggregateOperator::AppendOutput(std::string_view key, const std::vector<Value>& aggs,
                                     int64_t weight, Batch* out) const {
  ByteReader reader(key);
  for (size_t c = 0; c < group_columns_.size(); ++c) {
    bool ok = reader.GetValueInto(&out->columns[c]);
    STRATA_ASSERT(ok);
  }
  for (size_t a = 0; a < aggs.size(); ++a) {
    out->columns[group_columns_.size() + a].AppendValue(aggs[a]);
  }
  out->weights.push_back(weight);
}

std::string AggregateOperator::DescribeGroup(std::string_view key) const {
  ByteReader reader(key);
  std::string s = "(";
  for (size_t c = 0; c < group_columns_.size(); ++c) {
    const Type& t = input_types_[group_columns_[c]];
    Value v;
    if (!reader.GetValue(t.physical(), &v)) return s + "?)";
    if (c > 0) s += ", ";
    bool quote = t.id == TypeId::kText && !v.is_null();
    s += quote ? "'" + v.ToString(t) + "'" : v.ToString(t);
  }
  return s + ")";
}

Status AggregateOperator::Merge(const AggregateOperator& other) {
  STRATA_ASSERT(&other != this);
  if (Fingerprint() != other.Fingerprint()) {
    return Status::FailedPrecondition("aggregate: cannot merge the state of a different plan");
  }
  ++push_count_;
  std::vector<std::pair<std::string_view, Group*>> merged;
  for (const auto& [key, og] : other.groups_) {
    bool created;
    auto* entry = FindOrAddGroup(key, &created);
    Group* g = &entry->second;
    merged.emplace_back(entry->first, g);
    g->rows += og.rows;
    for (size_t a = 0; a < aggs_.size(); ++a) {
      AggState& s = g->aggs[a];
      const AggState& o = og.aggs[a];
      if (aggs_[a].mode == Mode::kMultiset) {
        for (const auto& [v, c] : *o.values)
          AddToMultiset(aggs_[a], &s, v, c);
        continue;
      }
      s.count += o.count;
      s.sum.Merge(o.sum);
      s.dsum += o.dsum;
    }
  }
  for (const auto& [key, g] : merged) {
    RETURN_IF_ERROR(Validate(key, *g));
    Settle(g);
  }
  for (const auto& [key, g] : merged) {
    if (g->rows == 0) groups_.erase(groups_.find(key));
  }
  return Status::OK();
}

Status AggregateOperator::Snapshot(Batch* out) const {
  std::vector<const Table::value_type*> entries;
  entries.reserve(groups_.size());
  for (const auto& e : groups_)
    entries.push_back(&e);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  std::vector<Value> values;
  for (const auto* e : entries) {
    RETURN_IF_ERROR(OutputValues(e->first, e->second, &values));
    AppendOutput(e->first, values, +1, out);
  }
  return Status::OK();
}

uint32_t AggregateOperator::Fingerprint() const {
  std::string plan = "aggregate";
  for (const Type& t : input_types_)
    AppendTypeFingerprint(t, &plan);
  plan.push_back('|');
  for (int c : group_columns_)
    PutVarint64(&plan, static_cast<uint64_t>(c));
  for (const Agg& a : aggs_) {
    plan.push_back('|');
    plan.push_back(static_cast<char>(a.spec.kind));
    plan.push_back(a.spec.distinct ? 1 : 0);
    PutVarint64(&plan, ZigZag(a.spec.kind == AggregateKind::kCountStar ? -1 : a.spec.arg));
    AppendTypeFingerprint(a.spec.result_type, &plan);
  }
  return crc32c::Value(plan);
}

// Body: varint group count, then per group in ascending key order:
//   [length-prefixed key][zigzag row count] and per aggregate:
//   count(*): nothing | count: zigzag count | exact sum/avg: zigzag count, 4 fixed64 limbs |
//   double sum/avg: zigzag count, fixed64 bits | multiset: varint entries, then per entry
//   in value order [value][varint count > 0], then for DISTINCT sum/avg the running sum
//   (4 limbs or the double's bits).
Status AggregateOperator::SaveState(std::string* out) const {
  std::vector<const Table::value_type*> entries;
  entries.reserve(groups_.size());
  for (const auto& e : groups_)
    entries.push_back(&e);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  const size_t start = out->size();
  BeginState("aggregate", kStateVersion, Fingerprint(), out);
  PutVarint64(out, entries.size());
  for (const auto* e : entries)
    EncodeGroup(e->first, e->second, out);
  SealState(start, out);
  return Status::OK();
}

void AggregateOperator::EncodeGroup(std::string_view key, const Group& g, std::string* out) const {
  PutLengthPrefixed(out, key);
  PutVarint64(out, ZigZag(g.rows));
  for (size_t a = 0; a < aggs_.size(); ++a) {
    const Agg& agg = aggs_[a];
    const AggState& s = g.aggs[a];
    switch (agg.mode) {
      case Mode::kCountStar:
        break;
      case Mode::kCount:
        PutVarint64(out, ZigZag(s.count));
        break;
      case Mode::kExactSum:
        PutVarint64(out, ZigZag(s.count));
        PutLimbs(s.sum, out);
        break;
      case Mode::kDoubleSum:
        PutVarint64(out, ZigZag(s.count));
        PutFixed64(out, DoubleBits(s.dsum));
        break;
      case Mode::kMultiset:
        PutVarint64(out, s.values->size());
        for (const auto& [v, c] : *s.values) {
          EncodeValue(v, agg.arg_physical, /*canonical=*/true, out);
          PutVarint64(out, static_cast<uint64_t>(c));
        }
        if (agg.spec.distinct && agg.exact_sum) PutLimbs(s.sum, out);
        if (agg.spec.distinct && agg.double_sum) PutFixed64(out, DoubleBits(s.dsum));
        break;
    }
  }
}

bool AggregateOperator::DecodeAggState(ByteReader* reader, size_t a, int64_t rows,
                                       AggState* s) const {
  const Agg& agg = aggs_[a];
  if (agg.mode == Mode::kCountStar) return true;
  if (agg.mode != Mode::kMultiset) {
    if (!reader->GetZigZag(&s->count) || s->count < 0 || s->count > rows) return false;
    if (agg.mode == Mode::kExactSum) {
      return GetLimbs(reader, &s->sum) && (s->count > 0 || s->sum.IsZero());
    }
    uint64_t bits = 0;
    if (agg.mode == Mode::kDoubleSum && !reader->GetFixed64(&bits)) return false;
    s->dsum = BitsDouble(bits);
    return true;
  }
  uint64_t entries;
  if (!reader->GetVarint64(&entries)) return false;
  s->values = std::make_unique<absl::btree_map<Value, int64_t>>();
  NumericSum distinct_sum;
  for (uint64_t i = 0; i < entries; ++i) {
    Value v;
    uint64_t c;
    if (!reader->GetValue(agg.arg_physical, &v) || v.is_null() || !reader->GetVarint64(&c) ||
        c == 0 || c > static_cast<uint64_t>(rows - s->count)) {
      return false;
    }
    if (Compare(CanonicalValue(v, agg.arg_physical), v) != 0) return false;
    if (!s->values->empty() && !(s->values->rbegin()->first < v)) return false;
    if (agg.exact_sum) distinct_sum.Add(AsInt128(v, agg.arg_physical));
    s->count += static_cast<int64_t>(c);
    s->values->emplace_hint(s->values->end(), std::move(v), static_cast<int64_t>(c));
  }
  if (agg.spec.distinct && agg.exact_sum) {
    // The running sum is derivable; a mismatch means damage the checksum missed.
    return GetLimbs(reader, &s->sum) && s->sum == distinct_sum;
  }
  if (agg.spec.distinct && agg.double_sum) {
    uint64_t bits;
    if (!reader->GetFixed64(&bits)) return false;
    s->dsum = BitsDouble(bits);
  }
  return true;
}

bool AggregateOperator::DecodeGroup(ByteReader* reader, Table* table) const {
  std::string_view key;
  int64_t rows;
  if (!reader->GetLengthPrefixed(&key) || !reader->GetZigZag(&rows) || rows <= 0) return false;
  // The key must be the canonical encoding of values of the group column types.
  ByteReader key_reader(key);
  std::string canonical;
  for (int c : group_columns_) {
    Value v;
    PhysicalType p = input_types_[c].physical();
    if (!key_reader.GetValue(p, &v)) return false;
    EncodeValue(v, p, /*canonical=*/true, &canonical);
  }
  if (!key_reader.empty() || canonical != key) return false;
  Group g;
  g.rows = rows;
  g.aggs.resize(aggs_.size());
  for (size_t a = 0; a < aggs_.size(); ++a) {
    if (!DecodeAggState(reader, a, rows, &g.aggs[a])) return false;
  }
  return table->emplace(std::string(key), std::move(g)).second;
}

Status AggregateOperator::LoadState(std::string_view in) {
  if (!groups_.empty()) return Status::FailedPrecondition("aggregate: state already loaded");
  ASSIGN_OR_RETURN(std::string_view body,
                   UnsealState(in, "aggregate", kStateVersion, Fingerprint()));
  ByteReader reader(body);
  uint64_t count;
  if (!reader.GetVarint64(&count)) return Status::Corruption("aggregate state: no group count");
  Table table;
  for (uint64_t i = 0; i < count; ++i) {
    const size_t position = reader.position() + 5;
    if (!DecodeGroup(&reader, &table)) {
      return Status::Corruption("aggregate state: group " + std::to_string(i) + " at byte " +
                                std::to_string(position) + " is malformed");
    }
  }
  if (!reader.empty()) {
    return Status::Corruption(
        "aggregate state: " + std::to_string(body.size() - reader.position()) +
        " unexpected bytes after the last group");
  }
  groups_ = std::move(table);
  return Status::OK();
}

}  // namespace strata::exec
