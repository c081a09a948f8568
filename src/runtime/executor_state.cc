// PipelineExecutor::Save and Load (executor.h): the executor's state as one checksummed blob.
#include "common/coding.h"
#include "common/crc32c.h"
#include "common/sealed.h"
#include "runtime/executor.h"
#include "runtime/executor_nodes.h"

namespace strata::runtime {

// State layout: a sealed container (common/sealed.h) of kind "pipeline", version 5, whose
// body is the logic text, then per bronze table its offsets, per bronze table with a
// watermark its greatest event time per partition, per silver node its operator state,
// counters and quarantine (fed by a join, the join's state after the operator state), per
// gold node its operator state (over a join, then the join's state; with a window, the session
// state, the late rows, the late records and counters); then the pending Lambda boundaries and the
// epoch starts (each a count, then offsets like the executor's), and per Lambda view its epochs'
// changelogs; all length-prefixed. Each operator state is a container of its own. A pipeline
// without joins writes the bytes it wrote before joins existed.
//
// Earlier releases wrote "STEX", a u32 version (2 to 4), the same body and a CRC32C: Load
// reads those too. Version 4 is version 5's body; version 3 (before the graph) kept the
// event times per silver table, after its quarantine, and no bronze table name in late
// records: its pipelines had one bronze table per silver table, so both are read back into
// their one place.
namespace {
constexpr std::string_view kStateKind = "pipeline";
constexpr uint32_t kStateVersion = 5;
constexpr uint32_t kLegacyMagic = 0x58455453;  // "STEX", versions 2 to 4

// Offsets in the plan's bronze order (std::map order: by name), partitions in order.
void PutOffsets(const Offsets& o, std::string* out) {
  for (const auto& [table, offsets] : o) {
    for (uint64_t v : offsets)
      PutVarint64(out, v);
  }
}

void PutQuarantine(const exec::QuarantineRecord& q, std::string* out) {
  PutLengthPrefixed(out, q.reason);
  PutLengthPrefixed(out, q.constraint);
  PutLengthPrefixed(out, q.source_table);
  PutVarint64(out, q.partition);
  PutVarint64(out, q.offset);
  PutVarint64(out, q.schema_version);
  PutLengthPrefixed(out, q.payload);
}

bool GetQuarantine(Decoder* d, exec::QuarantineRecord* q) {
  std::string_view reason, constraint, table, payload;
  uint64_t partition, offset, schema;
  if (!d->GetLengthPrefixed(&reason) || !d->GetLengthPrefixed(&constraint) ||
      !d->GetLengthPrefixed(&table) || !d->GetVarint64(&partition) || !d->GetVarint64(&offset) ||
      !d->GetVarint64(&schema) || !d->GetLengthPrefixed(&payload)) {
    return false;
  }
  *q = {std::string(reason),
        std::string(constraint),
        std::string(table),
        static_cast<uint32_t>(partition),
        offset,
        static_cast<uint32_t>(schema),
        std::string(payload)};
  return true;
}

Status Corrupt(const char* what) {
  return Status::Corruption(std::string("pipeline state: ") + what);
}

// The body of the blob `in` once its container checks out; its version in *version (the
// legacy layout's 2 to 4, or kStateVersion).
Result<std::string_view> CheckedBody(std::string_view in, uint32_t* version) {
  if (LooksSealed(in)) {
    ASSIGN_OR_RETURN(Unsealed u,
                     Unseal(in, kStateKind, kStateVersion, kStateVersion, "pipeline state"));
    *version = u.version;
    return u.body;
  }
  if (in.size() < 12 ||
      crc32c::Value(in.data(), in.size() - 4) != DecodeFixed32(in.data() + in.size() - 4)) {
    return Corrupt("checksum mismatch");
  }
  // Version 2 (before event time) has no event times and no window state: its logic text
  // has no watermark and no window either, so only such a pipeline gets this far with it.
  *version = DecodeFixed32(in.data() + 4);
  if (DecodeFixed32(in.data()) != kLegacyMagic || *version < 2 || *version > 4) {
    return Corrupt("unknown format");
  }
  return in.substr(8, in.size() - 12);
}

// Version 3 kept every silver table's greatest event time per partition, with a watermark
// or without.
bool LoadVersion3Times(std::optional<exec::WatermarkTracker>* watermark, uint32_t partitions,
                       Decoder* d) {
  if (*watermark) return (*watermark)->Load(d);
  uint64_t ignored;
  for (uint32_t p = 0; p < partitions; ++p) {
    if (!d->GetVarint64(&ignored)) return false;
  }
  return true;
}

// A list of offsets like `like` (the executor's: the same tables and partitions).
bool GetOffsets(Decoder* d, const Offsets& like, Offsets* o) {
  *o = like;
  for (auto& [table, offsets] : *o) {
    for (uint64_t& v : offsets) {
      if (!d->GetVarint64(&v)) return false;
    }
  }
  return true;
}

}  // namespace

Status PipelineExecutor::Save(std::string* out) const {
  out->clear();
  BeginSeal(kStateKind, kStateVersion, out);
  PutLengthPrefixed(out, logic_);
  for (const auto& b : plan_.bronze) {
    for (uint64_t o : offsets_.at(b.name))
      PutVarint64(out, o);
  }
  for (const auto& b : bronze_) {
    if (b->watermark) b->watermark->Save(out);
  }
  std::string state;
  for (const auto& s : silver_) {
    state.clear();  // SaveState appends
    RETURN_IF_ERROR(s->upsert ? s->upsert->SaveState(&state) : s->multiset->SaveState(&state));
    PutLengthPrefixed(out, state);
    if (s->join) {
      state.clear();
      RETURN_IF_ERROR(s->join->SaveState(&state));
      PutLengthPrefixed(out, state);
    }
    const SilverCounters& c = s->counters;
    for (uint64_t v : {c.records, c.filtered, c.quarantined, c.dropped})
      PutVarint64(out, v);
    PutVarint64(out, s->quarantine.size());
    for (const auto& q : s->quarantine)
      PutQuarantine(q, out);
  }
  for (const auto& g : gold_) {
    state.clear();
    RETURN_IF_ERROR(g->aggregate->SaveState(&state));
    PutLengthPrefixed(out, state);
    if (g->join) {
      state.clear();
      RETURN_IF_ERROR(g->join->SaveState(&state));
      PutLengthPrefixed(out, state);
    }
    if (!g->view->window) continue;
    state.clear();
    if (g->session) RETURN_IF_ERROR(g->session->SaveState(&state));
    PutLengthPrefixed(out, state);
    g->late->Save(out);
  }
  for (const std::vector<Offsets>* list : {&pending_, &epoch_starts_}) {
    PutVarint64(out, list->size());
    for (const Offsets& o : *list)
      PutOffsets(o, out);
  }
  for (const auto& g : gold_) {
    if (g->lambda) g->lambda->Save(out);
  }
  Seal(0, out);
  return Status::OK();
}

Status PipelineExecutor::Load(std::string_view in) {
  uint32_t version = 0;
  ASSIGN_OR_RETURN(std::string_view body, CheckedBody(in, &version));
  Decoder d(body);
  std::string_view logic;
  if (!d.GetLengthPrefixed(&logic)) return Corrupt("truncated");
  if (logic != logic_) {
    return Status::FailedPrecondition(
        "the saved state was computed by a different pipeline (its SQL changed); recompute "
        "with `strata batch`, or start over with a fresh state");
  }
  for (const auto& b : plan_.bronze) {
    for (uint64_t& o : offsets_.at(b.name)) {
      if (!d.GetVarint64(&o)) return Corrupt("truncated offsets");
    }
  }
  for (auto& b : bronze_) {
    if (version < 4 || !b->watermark) continue;
    if (!b->watermark->Load(&d)) return Corrupt("truncated event times");
  }
  for (auto& s : silver_)
    RETURN_IF_ERROR(LoadSilver(*s, version, &d));
  for (auto& g : gold_)
    RETURN_IF_ERROR(LoadGold(*g, version, &d));
  RETURN_IF_ERROR(LoadLambda(&d));
  if (!d.empty()) return Corrupt("trailing bytes");
  for (const auto& g : gold_) {
    if (g->lambda) lambda_ready_ = false;  // until PublishBatch rebuilds the answers
  }
  // A state of an earlier release holds its side rows: the sink keeps them now.
  return FlushLoadedSide();
}

Status PipelineExecutor::LoadSilver(SilverNode& s, uint32_t version, Decoder* d) {
  std::string_view state;
  if (!d->GetLengthPrefixed(&state)) return Corrupt("truncated silver state");
  RETURN_IF_ERROR(s.upsert ? s.upsert->LoadState(state) : s.multiset->LoadState(state));
  if (s.join) {
    if (!d->GetLengthPrefixed(&state)) return Corrupt("truncated join state");
    RETURN_IF_ERROR(s.join->LoadState(state).WithContext(s.table->name));
  }
  SilverCounters& c = s.counters;
  uint64_t n;
  if (!d->GetVarint64(&c.records) || !d->GetVarint64(&c.filtered) ||
      !d->GetVarint64(&c.quarantined) || !d->GetVarint64(&c.dropped) || !d->GetVarint64(&n)) {
    return Corrupt("truncated counters");
  }
  if (n > d->remaining()) return Corrupt("truncated quarantine");
  s.quarantine.resize(n);
  for (auto& q : s.quarantine) {
    if (!GetQuarantine(d, &q)) return Corrupt("truncated quarantine");
  }
  if (version != 3) return Status::OK();
  BronzeNode& bronze = *s.inputs[0].bronze;  // version 3: every silver table read bronze
  if (!LoadVersion3Times(&bronze.watermark, bronze.table->partitions, d)) {
    return Corrupt("truncated event times");
  }
  return Status::OK();
}

Status PipelineExecutor::LoadGold(GoldNode& g, uint32_t version, Decoder* d) {
  std::string_view state;
  if (!d->GetLengthPrefixed(&state)) return Corrupt("truncated gold state");
  RETURN_IF_ERROR(g.aggregate->LoadState(state));
  if (g.join) {
    if (!d->GetLengthPrefixed(&state)) return Corrupt("truncated join state");
    RETURN_IF_ERROR(g.join->LoadState(state).WithContext(g.view->name));
  }
  if (!g.view->window) return Status::OK();
  if (!d->GetLengthPrefixed(&state)) return Corrupt("truncated session state");
  if (g.session) RETURN_IF_ERROR(g.session->LoadState(state));
  // Version 3 (before the graph) did not name the bronze table of a late record: its
  // view's one.
  std::optional<std::string> legacy_source;
  if (version < 4) legacy_source = plan_.BronzeSources(g.view->name)[0];
  return g.late->Load(d, legacy_source);
}

Status PipelineExecutor::LoadLambda(Decoder* d) {
  for (std::vector<Offsets>* list : {&pending_, &epoch_starts_}) {
    uint64_t n;
    if (!d->GetVarint64(&n) || n > d->remaining()) return Corrupt("truncated Lambda boundaries");
    list->resize(n);
    for (Offsets& o : *list) {
      if (!GetOffsets(d, offsets_, &o)) return Corrupt("truncated Lambda boundaries");
    }
  }
  for (auto& g : gold_) {
    if (g->lambda && g->lambda->own_epochs()) {
      RETURN_IF_ERROR(g->lambda->Load(epoch_starts_.size(), d));
    }
  }
  return Status::OK();
}

}  // namespace strata::runtime
