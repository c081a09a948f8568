// Checkpoints of the serving engine's lanes (DESIGN.md §4: "a checkpoint atomically persists
// operator state, input offsets and watermarks; recovery restores the last checkpoint and
// re-reads from its offsets, so every acknowledged record affects gold exactly once").
//
// On disk, under DIR/pipeline/checkpoints, one directory per checkpoint, named by its
// sequence number zero-padded to 20 digits (so names sort as numbers):
//
//   <seq>/main.state          the main lane's PipelineExecutor::Save blob
//   <seq>/batch.state         the published batch(T)'s blob
//   <seq>/lane.<NAME>.state   each finished replay lane's blob
//   <seq>/META                what the checkpoint is, one fact per line:
//       strata-checkpoint 1
//       seq <n>
//       created <micros since the epoch>
//       schema <bronze table> <schema version>            one per bronze table
//       lane <lane> <logic hash, 16 hex> <file>           one per blob
//       offsets <lane> <bronze table> <next offset>...    one per lane and table
//       file <file> <size> <CRC32C, 8 hex>                one per blob
//       checksum <CRC32C of every byte before this line, 8 hex>
//
// A checkpoint is written into <seq>.tmp (every file fsynced, then the directory), renamed
// to <seq> and the parent fsynced: a directory named <seq> is always complete, and a
// leftover <seq>.tmp is garbage. It verifies when META's checksum matches, every file has
// the size and CRC32C META records, and the lanes' logic hashes match the pipeline the
// engine runs; anything else is skipped (the engine tries the previous one). The logic hash
// is StableHash64 (XXH64) of PipelineExecutor::logic(), as 16 lowercase hex digits.
//
// Abort points (common/abort_point.h): "checkpoint.before_meta" (data files durable in the
// temporary directory, META not written), "checkpoint.before_rename" (META durable, not
// renamed into place) and "checkpoint.before_prune" (the new checkpoint durable, older
// ones not deleted yet).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/file_system.h"
#include "common/status.h"
#include "runtime/executor.h"

namespace strata::serve {

struct CheckpointLane {
  std::string name;        // "main", "batch" or a replay lane's name
  std::string logic_hash;  // LogicHash(executor.logic())
  std::string file;        // the blob's file name in the checkpoint directory
  runtime::Offsets offsets;
};

struct CheckpointFile {
  std::string name;
  uint64_t size = 0;
  uint32_t crc = 0;
};

struct CheckpointMeta {
  uint64_t seq = 0;
  Micros created = 0;
  std::map<std::string, uint32_t> schema_versions;  // bronze table → its schema version
  std::vector<CheckpointLane> lanes;
  std::vector<CheckpointFile> files;

  const CheckpointLane* Find(std::string_view lane) const;  // null when absent
  uint64_t bytes() const;                                   // the blobs' total size
};

// A checkpoint read back and verified: its META and every lane's blob.
struct LoadedCheckpoint {
  CheckpointMeta meta;
  std::map<std::string, std::string, std::less<>> blobs;  // lane → bytes
};

// One lane to write: its META entry and either its bytes or the executor that produces them
// (serialized by WriteCheckpointFiles, which may then run in a forked child).
struct CheckpointBlob {
  CheckpointLane lane;
  const runtime::PipelineExecutor* executor = nullptr;
  std::string bytes;
};

// The 16 hex digits a META records for an executor's logic().
std::string LogicHash(std::string_view logic);

std::string EncodeCheckpointMeta(const CheckpointMeta& meta);
// Corruption (naming `path` and the line) when the text is not a META whose checksum holds.
Result<CheckpointMeta> DecodeCheckpointMeta(std::string_view text, const std::string& path);

// Writes every blob (serializing those given as executors) and then META into `dir`, which
// must exist and be empty; every file is fsynced, then `dir`. Fills meta->lanes and
// meta->files from `blobs`; blobs' bytes are released as they are written.
Status WriteCheckpointFiles(FileSystem* fs, const std::string& dir,
                            std::vector<CheckpointBlob>* blobs, CheckpointMeta* meta);

// The checkpoint in `dir`, verified: META's checksum, then every file's size and CRC32C.
// Corruption or NotFound naming the file when anything does not check out.
Result<LoadedCheckpoint> ReadCheckpoint(FileSystem* fs, const std::string& dir);
// Only its META (verified by its own checksum).
Result<CheckpointMeta> ReadCheckpointMeta(FileSystem* fs, const std::string& dir);

// The sequence numbers of the checkpoints under `root`, newest first (none when `root` does
// not exist). Temporary directories are not listed.
Result<std::vector<uint64_t>> ListCheckpoints(FileSystem* fs, const std::string& root);
// The temporary directories under `root` (left by a crash or a failed checkpoint).
Result<std::vector<std::string>> ListCheckpointLeftovers(FileSystem* fs, const std::string& root);
// Removes a checkpoint directory and the files in it (OK when it does not exist).
Status RemoveCheckpointDir(FileSystem* fs, const std::string& dir);

}  // namespace strata::serve
