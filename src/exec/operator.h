// The operator library's contract (DESIGN.md §3: "the one operator library"). The streaming
// runtime and the batch runtime drive the same operators; neither holds business logic.
//
// Data: operators consume and produce changelog batches (common/column.h): typed columns
// plus a signed weight per row. Bronze decoding yields "versions": weight +1 for a record
// (insert, update or snapshot read) and -1 for a delete. The upsert turns versions into a
// proper changelog (retract the old row, insert the new one); everything after it, and
// every aggregate, consumes weights exactly.
//
// Lifecycle, identical under both runtimes (after DuckDB's physical_operator.hpp):
//   1. Construction from a plan node: no I/O, no state.
//   2. LoadState(bytes), at most once and before any Push, when a run resumes.
//   3. Push(in, out, side) any number of times, from one thread at a time. `in` holds rows
//      in log order within each bronze partition; partitions may interleave arbitrarily.
//      The operator appends its changelog for `in` to `out` (out's columns are already
//      shaped to the operator's output schema) and rows it rejects to `side`.
//   4. SaveState(out) between pushes (clean stop, checkpoints).
// A Status error from Push means the pipeline must stop (on_violation = 'fail', a broken
// invariant of the input, an I/O error); per-row problems go to the side output instead.
//
// Determinism (what makes streaming == batch provable): after any sequence of pushes, an
// operator's state, and the consolidated sum of everything it emitted, depend only on the
// multiset of input rows (with their origins) — never on how the input was cut into
// batches or how partitions interleaved. Batch size 1, 7 or 4096, a stop and restart in the
// middle, or one huge batch from offset 0 must all end in the same state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/column.h"
#include "common/status.h"

namespace strata::exec {

// A row rejected on its way to silver: the quarantine table's row (DESIGN.md: reason,
// constraint, source table/partition/offset, schema version, raw payload).
struct QuarantineRecord {
  std::string reason;      // e.g. "CHECK (amount > 0) failed", "event_ts: expected timestamp"
  std::string constraint;  // the constraint's name, or the field that failed to decode
  std::string source_table;
  uint32_t partition = 0;
  uint64_t offset = 0;
  uint32_t schema_version = 0;
  std::string payload;  // the bronze record, byte for byte
};

// Where operators put the rows they reject. Appends only; the runtime owns it.
struct SideOutput {
  std::vector<QuarantineRecord> quarantine;
};

class Operator {
 public:
  virtual ~Operator() = default;
  virtual Status Push(const Batch& in, Batch* out, SideOutput* side) = 0;
  virtual Status SaveState(std::string* out) const = 0;
  virtual Status LoadState(std::string_view in) = 0;
};

// An empty batch with one column of each type.
Batch MakeBatch(const std::vector<Type>& types);

}  // namespace strata::exec
