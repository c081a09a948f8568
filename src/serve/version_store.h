// The durable store of materialized view versions (DESIGN.md: "A materialized result is a
// keyed table with versions"). Each Publish writes the complete rows of a view as a new,
// immutable version; one version per view may be live (the one served), and cutover
// (SetLive) and Rollback switch it. Readers always see a complete version, never a partial
// one.
//
// On disk, under the root `DIR` (e.g. DATA/views), one subdirectory per view:
//
//   DIR/<view>/v<N>.rows   the rows of version N:
//       "STRV" | format byte (1) | body | CRC32C of everything before it (fixed32)
//     where body = varint column count | per column exec::AppendTypeFingerprint |
//       varint row count | rows. A row is exec::EncodeCell of each column; a row of weight
//       w is written w times; rows are sorted bytewise by their encoding, so equal row
//       multisets give byte-identical files. The version's `checksum` is XXH64
//       (StableHash64) of the rows region, as 16 lowercase hex digits: equal contents have
//       equal checksums whatever order the rows were published in.
//   DIR/<view>/MANIFEST    an append-only log of edits, one per line:
//       <CRC32C of the JSON, 8 lowercase hex digits> <JSON>\n
//     with JSON one of
//       {"publish": {version, name, origin, logic_hash, schema_version, boundary,
//                    watermark (null when none), rows, checksum, created}}
//       {"publish": {...}, "live": N, "at": micros}   published and made live in one edit
//       {"live": N, "at": micros}                      cutover to N
//       {"live": N, "at": micros, "rollback": true}    rollback to N
//       {"prune": N}                                   N dropped
//     The state of a view is the replay of its edits in order.
//
// Invariants: version numbers of a view increase and are never reused, not even after a
// prune or a failed publish (the next number is one past the highest in the manifest and
// among the v<N>.rows files present). The live version and the rollback target are never
// pruned. Live versions form a stack: SetLive and Publish(make_live) push, Rollback pops
// (after switches to v1, v2, v3, Rollback returns to v2, a second one to v1).
//
// Durability: a rows file is made durable (write temporary, fdatasync, rename, fsync the
// directory) before the manifest edit that names it is appended and fdatasync'd; a call
// that returns OK is durable. A crash in between leaves an orphan rows file that no edit
// names: it is ignored, and its number is skipped. A torn or checksum-failing last
// manifest line was never acknowledged and is ignored; the next write truncates it away
// first. A bad line anywhere else is Corruption naming the file and line. Pruned rows files
// are removed only after the prune edit is durable. After a failed manifest append or
// fdatasync the store refuses further writes (FailedPrecondition; the page cache may no
// longer match the disk); reopening it recovers. Abort points (common/abort_point.h):
// "version_publish.after_rows" (rows file durable, manifest not written) and
// "version_live.before_manifest" (a live switch, from Publish(make_live), SetLive or
// Rollback, about to be appended).
//
// Thread safety: a VersionStore is safe for concurrent use by the threads of a process (one
// mutex serializes its calls). One process writes a view directory at a time (the caller
// owns the data directory, see log::Store); other processes may read it concurrently and
// see only complete versions, since every call re-reads the manifest.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/column.h"
#include "common/file_system.h"
#include "common/status.h"
#include "common/types.h"

namespace strata::serve {

// End offset (exclusive) per partition, per bronze table: the input a version covers.
using Boundary = std::map<std::string, std::vector<uint64_t>, std::less<>>;

struct VersionInfo {
  uint64_t version = 0;    // 1, 2, 3... per view, assigned by Publish
  std::string name;        // optional label (a replay's --as NAME), "" if none
  std::string origin;      // "batch", "streaming" or "replay"
  std::string logic_hash;  // caller-provided (hex)
  uint32_t schema_version = 1;
  Boundary boundary;
  std::optional<Micros> watermark;
  uint64_t rows = 0;     // set by Publish
  std::string checksum;  // set by Publish: 16 lowercase hex digits (see above)
  Micros created = 0;    // set by Publish (NowMicros())

  friend bool operator==(const VersionInfo&, const VersionInfo&) = default;
};

// JSON form, as the manifest (and the HTTP API) writes it: {version, name, origin,
// logic_hash, schema_version, boundary (common/json_writer.h's BoundaryJson), watermark,
// rows, checksum, created (microseconds)}. ParseVersionInfo reads it back (InvalidArgument
// when it is not such an object; unknown fields are ignored).
// With `live`, the object also carries "live": true|false (the HTTP API's listing).
std::string VersionInfoJson(const VersionInfo& info, std::optional<bool> live = std::nullopt);
Status ParseVersionInfo(std::string_view json, VersionInfo* info);

// The checksum a version of these rows gets (see above): equal multisets of rows, equal
// checksums.
std::string RowsChecksum(const Batch& rows);

namespace internal {
struct ViewState;
}  // namespace internal

class VersionStore {
 public:
  // `dir` is the root (e.g. DATA/views); created if absent. Each view gets a subdirectory
  // named after the view ("gold.hourly_revenue"); a view name must be non-empty, must not
  // start with '.' and must not contain '/' or NUL (InvalidArgument in every call otherwise).
  static Result<std::unique_ptr<VersionStore>> Open(FileSystem* fs, std::string dir);

  // Writes `rows` (columns of `types`; a row of weight w > 0 counts w times; any weight <= 0,
  // no columns, a column count, type or length that differs from `types`, an origin other than
  // "batch"/"streaming"/"replay", or a string that is not UTF-8 is InvalidArgument) as a
  // new version of `view`, and returns `info` with version, rows, checksum and created
  // filled in. With make_live the version becomes live in the same manifest edit.
  Result<VersionInfo> Publish(std::string_view view, VersionInfo info,
                              const std::vector<Type>& types, const Batch& rows, bool make_live);
  // Every version of the view still kept, oldest first. Empty for an unknown view.
  Result<std::vector<VersionInfo>> List(std::string_view view) const;
  // The live version, or nullopt when none has been made live.
  Result<std::optional<uint64_t>> Live(std::string_view view) const;
  // The version that was live at time `t`: the one made live by the last switch at or
  // before t. NotFound when none was live then, or when that version has been pruned.
  Result<VersionInfo> LiveAt(std::string_view view, Micros t) const;
  // NotFound naming view and version when it was never published or has been pruned.
  Result<VersionInfo> Get(std::string_view view, uint64_t version) const;
  // The latest kept version labelled `name`; NotFound naming view and label otherwise.
  Result<VersionInfo> GetByName(std::string_view view, std::string_view name) const;
  // The rows of a version, each with weight +1 (a row published with weight w appears w
  // times), in the canonical order (bytewise by encoding), verified against the file's
  // CRC32C and the manifest's checksum and row count: Corruption naming the file otherwise.
  // `types` must be the published column types (InvalidArgument otherwise).
  Result<Batch> Read(std::string_view view, uint64_t version, const std::vector<Type>& types) const;
  // Makes a kept `version` live (cutover); NotFound when it is not kept. A no-op when it
  // is live already. The previously live version becomes the rollback target.
  Status SetLive(std::string_view view, uint64_t version);
  // Switches back to the version that was live before the last SetLive/Publish(make_live)
  // and returns it; FailedPrecondition when there is none.
  Result<uint64_t> Rollback(std::string_view view);
  // Keeps the newest `keep` versions of the view plus, always, the live version and the
  // rollback target (so more than `keep` remain when keep < 2), drops the others and
  // removes their rows files. A file that cannot be removed is reported after the drop is
  // durable; it stays behind as an orphan.
  Status Prune(std::string_view view, size_t keep);

 private:
  VersionStore(FileSystem* fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}

  std::string ViewDir(std::string_view view) const;
  // Replays the view's manifest (an empty state when it has none).
  Result<internal::ViewState> Load(std::string_view view) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Result<VersionInfo> Find(std::string_view view, const internal::ViewState& state,
                           uint64_t version) const;
  // Appends manifest lines durably, truncating a torn tail first.
  Status AppendEdits(std::string_view view, const internal::ViewState& state,
                     std::string_view lines) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Result<uint64_t> NextVersion(std::string_view view, const internal::ViewState& state) const;
  Status SwitchLive(std::string_view view, const internal::ViewState& state, uint64_t version,
                    bool rollback) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  FileSystem* const fs_;
  const std::string dir_;
  mutable absl::Mutex mu_;
  Status failed_
      ABSL_GUARDED_BY(mu_);  // set by a failed manifest write; every later write returns it
};

}  // namespace strata::serve
