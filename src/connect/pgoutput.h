// The logical replication wire format: the CopyBoth messages of a replication stream
// (XLogData, primary keepalive, standby status update) and the pgoutput plugin's messages
// inside XLogData, protocol version 1, text tuples (PostgreSQL's "Logical Replication
// Message Formats" chapter).
//
// Decoding is pure and bounds-checked: a truncated or unknown message is kCorruption naming
// the message type and the byte offset, never a crash (a fuzz target can drive it). Decoded
// tuples view into the message buffer and are valid while it is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "connect/lsn.h"

namespace strata::connect::pgoutput {

// PostgreSQL timestamps on the wire are microseconds since 2000-01-01 00:00:00 UTC.
constexpr int64_t kPgEpochUnixMicros = 946684800LL * 1000000;

// --- The replication stream (CopyBoth data) ---

struct XLogData {
  Lsn start = 0;             // WAL position of the change (or of the transaction's first record)
  Lsn wal_end = 0;           // the server's current end of WAL
  std::string_view payload;  // one pgoutput message
};
struct Keepalive {
  Lsn wal_end = 0;
  bool reply_requested = false;
};

// 'w' message → XLogData; 'k' → Keepalive. Corruption for anything else or short data.
Status ParseXLogData(std::string_view data, XLogData* out);
Status ParseKeepalive(std::string_view data, Keepalive* out);
// A standby status update ('r'): written/flushed/applied positions and the client's clock.
std::string EncodeStandbyStatus(Lsn written, Lsn flushed, Lsn applied, int64_t now_pg_micros,
                                bool reply_requested);

// --- pgoutput messages ---

struct TupleValue {
  enum class Kind : uint8_t { kNull, kUnchangedToast, kText };
  Kind kind = Kind::kNull;
  std::string_view text;  // kText only: the value's text output
};
using Tuple = std::vector<TupleValue>;

struct Begin {
  Lsn final_lsn = 0;        // the LSN of the commit record
  int64_t commit_time = 0;  // PostgreSQL epoch microseconds
  uint32_t xid = 0;
};
struct Commit {
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;  // the end of the commit record: acknowledging it skips the transaction
  int64_t commit_time = 0;
};
struct RelationColumn {
  bool replica_identity = false;  // part of the replica identity (every column when FULL)
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
};
struct Relation {
  uint32_t oid = 0;
  std::string nspname, relname;
  char replica_identity = 'd';  // d default (the primary key), n nothing, f full, i index
  std::vector<RelationColumn> columns;
};
struct Change {
  uint32_t relation_oid = 0;
  char old_kind = 0;  // 0 none, 'K' replica identity key only, 'O' the whole old row
  Tuple old_tuple;    // when old_kind != 0
  Tuple new_tuple;    // inserts and updates
};
struct Truncate {
  uint8_t options = 0;  // 1 CASCADE, 2 RESTART IDENTITY
  std::vector<uint32_t> relation_oids;
};

enum class MessageType : uint8_t {
  kBegin,
  kCommit,
  kRelation,
  kInsert,
  kUpdate,
  kDelete,
  kTruncate,
  kType,    // a non-builtin type's name, sent before a Relation that uses it
  kOrigin,  // the replication origin of a transaction
  kLogicalMessage,
};

// One decoded message; only the member for `type` is meaningful. Reused across calls so
// that tuples keep their capacity.
struct Message {
  MessageType type = MessageType::kBegin;
  Begin begin;
  Commit commit;
  Relation relation;
  Change change;
  Truncate truncate;
};

Status Decode(std::string_view data, Message* out);

}  // namespace strata::connect::pgoutput
