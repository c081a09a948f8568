#include "connect/pgoutput.h"

#include <cstring>

namespace strata::connect::pgoutput {
namespace {

// Big-endian reads with bounds checks; the first failure sticks and names its offset.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t offset() const { return pos_; }
  bool AtEnd() const { return pos_ == data_.size(); }

  uint64_t Int(int bytes) {
    if (!Need(bytes)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
      v = (v << 8) | static_cast<uint8_t>(data_[pos_++]);
    return v;
  }
  uint8_t Byte() { return static_cast<uint8_t>(Int(1)); }
  int64_t Int64() { return static_cast<int64_t>(Int(8)); }
  // A NUL-terminated string.
  std::string_view CString() {
    if (!ok_) return {};
    const size_t end = data_.find('\0', pos_);
    if (end == std::string_view::npos) return Fail();
    std::string_view s = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  std::string_view Bytes(size_t n) {
    if (!Need(n)) return {};
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  bool Need(size_t n) {
    if (ok_ && data_.size() - pos_ >= n) return true;
    Fail();
    return false;
  }
  std::string_view Fail() {
    ok_ = false;
    return {};
  }

  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

Status Malformed(char type, const Reader& r, std::string_view why) {
  return Status::Corruption("pgoutput message '" + std::string(1, type) + "' at byte " +
                            std::to_string(r.offset()) + ": " + std::string(why));
}

void ReadTuple(Reader* r, Tuple* tuple) {
  const uint16_t n = static_cast<uint16_t>(r->Int(2));
  tuple->resize(r->ok() ? n : 0);
  for (uint16_t i = 0; i < n && r->ok(); ++i) {
    TupleValue& v = (*tuple)[i];
    v.text = {};
    switch (r->Byte()) {
      case 'n':
        v.kind = TupleValue::Kind::kNull;
        break;
      case 'u':
        v.kind = TupleValue::Kind::kUnchangedToast;
        break;
      case 't':
        v.kind = TupleValue::Kind::kText;
        v.text = r->Bytes(static_cast<uint32_t>(r->Int(4)));
        break;
      default:  // 'b' (binary) only exists with the binary option, which strata never asks for
        r->Bytes(SIZE_MAX);  // fails the reader
    }
  }
}

void ReadRelation(Reader* r, Relation* rel) {
  rel->oid = static_cast<uint32_t>(r->Int(4));
  rel->nspname = r->CString();
  rel->relname = r->CString();
  rel->replica_identity = static_cast<char>(r->Byte());
  const uint16_t n = static_cast<uint16_t>(r->Int(2));
  rel->columns.clear();
  for (uint16_t i = 0; i < n && r->ok(); ++i) {
    RelationColumn col;
    col.replica_identity = (r->Byte() & 1) != 0;
    col.name = r->CString();
    col.type_oid = static_cast<uint32_t>(r->Int(4));
    col.type_modifier = static_cast<int32_t>(r->Int(4));
    rel->columns.push_back(std::move(col));
  }
}

// Update: [K|O old tuple] N new tuple. Delete: K|O old tuple.
Status ReadChange(char type, Reader* r, Change* change) {
  change->relation_oid = static_cast<uint32_t>(r->Int(4));
  change->old_kind = 0;
  change->old_tuple.clear();
  change->new_tuple.clear();
  uint8_t tag = r->Byte();
  if (type != 'I' && (tag == 'K' || tag == 'O')) {
    change->old_kind = static_cast<char>(tag);
    ReadTuple(r, &change->old_tuple);
    if (type == 'D') return Status::OK();
    tag = r->Byte();
  }
  if (!r->ok()) return Status::OK();
  if (type == 'D' || tag != 'N') return Malformed(type, *r, "unexpected tuple tag");
  ReadTuple(r, &change->new_tuple);
  return Status::OK();
}

}  // namespace

Status ParseXLogData(std::string_view data, XLogData* out) {
  Reader r(data);
  if (r.Byte() != 'w') return Malformed(data.empty() ? '?' : data[0], r, "not XLogData");
  out->start = r.Int(8);
  out->wal_end = r.Int(8);
  r.Int(8);  // send time
  if (!r.ok()) return Malformed('w', r, "truncated header");
  out->payload = data.substr(r.offset());
  return Status::OK();
}

Status ParseKeepalive(std::string_view data, Keepalive* out) {
  Reader r(data);
  if (r.Byte() != 'k') return Malformed(data.empty() ? '?' : data[0], r, "not a keepalive");
  out->wal_end = r.Int(8);
  r.Int(8);  // send time
  out->reply_requested = r.Byte() != 0;
  if (!r.ok()) return Malformed('k', r, "truncated");
  return Status::OK();
}

std::string EncodeStandbyStatus(Lsn written, Lsn flushed, Lsn applied, int64_t now_pg_micros,
                                bool reply_requested) {
  std::string out(1, 'r');
  for (uint64_t v : {written, flushed, applied, static_cast<uint64_t>(now_pg_micros)}) {
    for (int shift = 56; shift >= 0; shift -= 8)
      out += static_cast<char>(v >> shift);
  }
  out += static_cast<char>(reply_requested ? 1 : 0);
  return out;
}

Status Decode(std::string_view data, Message* out) {
  Reader r(data);
  const char type = static_cast<char>(r.Byte());
  switch (type) {
    case 'B':
      out->type = MessageType::kBegin;
      out->begin.final_lsn = r.Int(8);
      out->begin.commit_time = r.Int64();
      out->begin.xid = static_cast<uint32_t>(r.Int(4));
      break;
    case 'C':
      out->type = MessageType::kCommit;
      r.Byte();  // flags, unused
      out->commit.commit_lsn = r.Int(8);
      out->commit.end_lsn = r.Int(8);
      out->commit.commit_time = r.Int64();
      break;
    case 'R':
      out->type = MessageType::kRelation;
      ReadRelation(&r, &out->relation);
      break;
    case 'I':
    case 'U':
    case 'D':
      out->type = type == 'I'   ? MessageType::kInsert
                  : type == 'U' ? MessageType::kUpdate
                                : MessageType::kDelete;
      RETURN_IF_ERROR(ReadChange(type, &r, &out->change));
      break;
    case 'T': {
      out->type = MessageType::kTruncate;
      const uint32_t n = static_cast<uint32_t>(r.Int(4));
      out->truncate.options = r.Byte();
      out->truncate.relation_oids.clear();
      for (uint32_t i = 0; i < n && r.ok(); ++i)
        out->truncate.relation_oids.push_back(static_cast<uint32_t>(r.Int(4)));
      break;
    }
    case 'Y':
      out->type = MessageType::kType;
      r.Int(4);
      r.CString();
      r.CString();
      break;
    case 'O':
      out->type = MessageType::kOrigin;
      r.Int(8);
      r.CString();
      break;
    case 'M':  // only sent when the messages option is on; accepted and skipped
      out->type = MessageType::kLogicalMessage;
      return Status::OK();
    default:
      return Malformed(type, r, "unknown message type");
  }
  if (!r.ok()) return Malformed(type, r, "truncated or malformed");
  if (!r.AtEnd()) return Malformed(type, r, "trailing bytes");
  return Status::OK();
}

}  // namespace strata::connect::pgoutput
