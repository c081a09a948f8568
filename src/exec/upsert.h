// UpsertOperator: silver's PRIMARY KEY dedupe (DESIGN.md §1: "the latest version by
// dedupe_order wins, earlier versions are retracted").
//
// Input: versions. A row with weight > 0 is a version of its key's row; a row with weight
// < 0 is a delete of the key (a tombstone), which must carry at least the key columns and
// the dedupe column (its other columns are kept but never emitted); weight 0 is ignored.
// Every row must have a RowOrigin (partition, offset): a batch without origins is refused.
// NULL key values are values like any other here (NOT NULL is an expectation enforced
// before the upsert).
//
// The version order, a total order that does not depend on arrival: versions of one key
// compare by the tuple
//     (dedupe value, partition, offset, kind, row bytes)
// and the greatest wins.
//   - dedupe value: the dedupe_order column's value by Value's total order (NULL lowest;
//     doubles by IEEE total order; text bytewise). Without dedupe_order, all are NULL.
//   - partition, offset: the bronze record's log position. Records of one key normally
//     share a partition, so this is "the later record wins"; across partitions it is
//     arbitrary but fixed.
//   - kind: a version < a delete, so at one position a delete wins.
//   - row bytes: the exact encoding of the row (exec/row_codec.h), compared bytewise. It
//     only matters for rows sharing one origin (one record decoded into several rows),
//     and makes the order total.
// Two rows equal in all five are one version delivered twice: the second changes nothing.
// Caveat: a delete whose dedupe value is NULL orders below every version with a non-NULL
// dedupe value, so it removes nothing such a version wrote.
//
// The key's visible row is its winning version's row, unless the winner is a tombstone.
// Since the winner is a maximum over every version ever pushed, the state (and the
// visible rows) depend only on the set of versions pushed, not on batch cuts, arrival
// order or partition interleaving (the determinism of exec/operator.h). Tombstones are
// state too, kept forever so that an older version arriving later stays hidden.
//
// Output (same schema as the input): after each Push, for each key whose visible row
// changed during that push, (-1, the row visible before) if there was one and (+1, the
// row visible now) if there is one. A key whose visible row ends the push unchanged
// (a losing version, a re-delivery, an identical newer version) emits nothing. Output
// rows carry the origin of the version they show (payload empty) when `out` tracks
// origins or is empty.
//
// State: an open-addressing hash table (absl::flat_hash_map) from the key's canonical
// encoding (a std::string, inline up to 15 bytes) to an index into a vector of winning
// versions: dedupe value, origin, kind and exact row encoding. A lookup touches the
// table's control bytes and one slot; versions never move within a push except by the
// vector growing, so pushes refer to them by index. Pushes allocate only for new keys,
// winning rows and text dedupe values.
//
// Not thread-safe: one thread at a time, as the operator contract says.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/column.h"
#include "common/hash.h"
#include "common/status.h"
#include "common/value.h"
#include "exec/operator.h"
#include "exec/row_codec.h"

namespace strata::exec {

class UpsertOperator final : public Operator {
 public:
  // `types`: the input (and output) columns. `key_columns`: the PRIMARY KEY, indexes into
  // `types`, non-empty and distinct. `dedupe_column`: the dedupe_order column, if any.
  // InvalidArgument naming the problem when an index is out of range or repeated.
  static Result<std::unique_ptr<UpsertOperator>> Make(std::vector<Type> types,
                                                      std::vector<int> key_columns,
                                                      std::optional<int> dedupe_column);

  const std::vector<Type>& output_types() const { return types_; }

  // InvalidArgument, before any change, when `in` or `out` does not match the schema or
  // `in` lacks origins.
  Status Push(const Batch& in, Batch* out, SideOutput* side) override;
  // Canonical: equal states give equal bytes (keys in encoding order).
  Status SaveState(std::string* out) const override;
  // Corruption for damaged bytes, FailedPrecondition for state of another plan or when
  // this operator already holds state. On error the operator is left empty.
  Status LoadState(std::string_view in) override;

  // Appends every visible row with weight +1, in key-encoding order.
  void Snapshot(Batch* out) const;
  // Keys with state, tombstones included.
  size_t num_keys() const { return index_.size(); }

 private:
  struct Version {
    Value dedupe;
    uint32_t partition = 0;
    uint64_t offset = 0;
    bool tombstone = false;
    std::string row;         // exact encoding of every column
    uint64_t last_push = 0;  // the push that last replaced it (not state)
  };
  // A key whose winner a push replaced, with what was visible before that push.
  struct Touched {
    uint32_t version;  // index into versions_
    bool had_visible;
    std::string old_row;
    uint32_t old_partition;
    uint64_t old_offset;
  };
  // Key encoding → index into versions_ (transparent: lookups take a string_view).
  using Index = absl::flat_hash_map<std::string, uint32_t, BytesHash, std::equal_to<>>;

  UpsertOperator(std::vector<Type> types, std::vector<int> key_columns,
                 std::optional<int> dedupe_column);
  Status CheckShapes(const Batch& in, const Batch& out) const;
  void PushRow(const Batch& in, size_t row, std::string_view key);
  void EncodeRow(const Batch& in, size_t row);
  void Emit(Batch* out) const;
  void AppendRow(std::string_view row, int64_t weight, uint32_t partition, uint64_t offset,
                 Batch* out) const;
  uint32_t Fingerprint() const;
  Status DecodeEntry(ByteReader* reader, Index* index, std::vector<Version>* versions) const;
  // Index entries in ascending key-encoding order (the canonical order of Snapshot and
  // SaveState).
  std::vector<const Index::value_type*> SortedEntries() const;

  std::vector<Type> types_;
  std::vector<int> key_columns_;
  std::optional<int> dedupe_column_;

  Index index_;
  std::vector<Version> versions_;
  uint64_t push_count_ = 0;
  std::vector<Touched> touched_;  // scratch of one push
  std::string key_buf_;           // scratch: the keys of one push, back to back
  std::vector<size_t> key_ends_;  // scratch: where each row's key ends in key_buf_
  std::string row_buf_;           // scratch
};

}  // namespace strata::exec
