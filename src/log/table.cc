#include "log/table.h"

#include <algorithm>
#include <charconv>
#include <future>

#include "common/abort_point.h"
#include "common/crc32c.h"
#include "common/filename.h"

namespace strata::log {

struct Table::Writer {
  std::span<const AppendRecord> records;
  size_t bytes = 0;
  AppendAck* ack = nullptr;
  Status status;
  bool done = false;
  absl::CondVar cv;
};

namespace {

bool ParseUint(std::string_view s, uint64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

// TABLE file: "key=value" lines, then "crc=<crc32c of the lines before>".
std::string TableConfig::Encode() const {
  std::string body = "format=strata-table-1\n";
  body += "partitions=" + std::to_string(partitions) + "\n";
  body += "key=" + key_field + "\n";
  body += "payload=" + payload_format + "\n";
  body += std::string("compression=") + CodecName(codec) + "\n";
  body += "segment_bytes=" + std::to_string(segment_bytes) + "\n";
  body += "index_interval_bytes=" + std::to_string(index_interval_bytes) + "\n";
  body += "retention_bytes=" + std::to_string(retention.max_bytes) + "\n";
  body += "retention_age_us=" + std::to_string(retention.max_age) + "\n";
  body += "created_us=" + std::to_string(created) + "\n";
  return body + "crc=" + std::to_string(crc32c::Value(body)) + "\n";
}

Result<TableConfig> TableConfig::Decode(std::string_view text, const std::string& path) {
  size_t crc_at = text.rfind("crc=");
  uint64_t crc = 0;
  if (crc_at == std::string_view::npos || !text.ends_with("\n") ||
      !ParseUint(text.substr(crc_at + 4, text.size() - crc_at - 5), &crc) ||
      crc != crc32c::Value(text.substr(0, crc_at))) {
    return Status::Corruption(path + ": checksum mismatch");
  }
  TableConfig c;
  std::string_view rest = text.substr(0, crc_at);
  int line_no = 0;
  while (!rest.empty()) {
    ++line_no;
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    size_t eq = line.find('=');
    std::string_view k = line.substr(0, eq), v = line.substr(eq + 1);
    uint64_t n = 0;
    bool ok = eq != std::string_view::npos;
    if (k == "format") {
      ok = ok && v == "strata-table-1";
    } else if (k == "key") {
      c.key_field = v;
    } else if (k == "payload") {
      ok = ok && (v == "json" || v == "debezium" || v == "side");
      c.payload_format = v;
    } else if (k == "compression") {
      auto codec = ParseCodec(v);
      ok = ok && codec.ok();
      if (ok) c.codec = *codec;
    } else {
      ok = ok && ParseUint(v, &n);
      if (k == "partitions") {
        ok = ok && n > 0 && n <= kMaxPartitions;
        c.partitions = static_cast<uint32_t>(n);
      } else if (k == "segment_bytes") {
        ok = ok && n > 0;
        c.segment_bytes = n;
      } else if (k == "index_interval_bytes") {
        c.index_interval_bytes = static_cast<uint32_t>(n);
      } else if (k == "retention_bytes") {
        c.retention.max_bytes = n;
      } else if (k == "retention_age_us") {
        c.retention.max_age = static_cast<Micros>(n);
      } else if (k == "created_us") {
        c.created = static_cast<Micros>(n);
      }
    }
    if (!ok) return Status::Corruption(path + " line " + std::to_string(line_no) + ": bad entry");
  }
  return c;
}

Table::Table(std::string name, TableConfig config, CommitOptions commit, bool read_only)
    : name_(std::move(name)), config_(std::move(config)), commit_(commit), read_only_(read_only) {}

Table::~Table() = default;

Result<std::unique_ptr<Table>> Table::Open(FileSystem* fs, const std::string& dir, std::string name,
                                           const TableConfig& config, const CommitOptions& commit,
                                           bool read_only, std::vector<std::string>* report) {
  std::unique_ptr<Table> t(new Table(std::move(name), config, commit, read_only));
  PartitionOptions popts;
  popts.segment_bytes = config.segment_bytes;
  popts.index_interval_bytes = config.index_interval_bytes;
  popts.read_only = read_only;
  for (uint32_t i = 0; i < config.partitions; ++i) {
    std::vector<std::string> notes;
    auto p = Partition::Open(fs, filename::PartitionDir(dir, i), i, popts, &notes);
    if (!p.ok())
      return p.status().WithContext("table " + t->name_ + " partition " + std::to_string(i));
    for (std::string& n : notes) {
      report->push_back("table " + t->name_ + " partition " + std::to_string(i) + ": " + n);
    }
    t->partitions_.push_back(std::move(p).value());
    t->builders_.emplace_back(0);
  }
  return t;
}

Status Table::Append(std::span<const AppendRecord> records, AppendAck* ack) {
  return AppendImpl(records, ack, /*bounded=*/false);
}

Status Table::TryAppend(std::span<const AppendRecord> records, AppendAck* ack) {
  return AppendImpl(records, ack, /*bounded=*/true);
}

Status Table::AppendImpl(std::span<const AppendRecord> records, AppendAck* ack, bool bounded) {
  if (read_only_) return Status::FailedPrecondition("table " + name_ + " is open read-only");
  Writer w;
  w.records = records;
  w.ack = ack;
  for (const AppendRecord& r : records) {
    STRATA_ASSERT(r.partition < partitions_.size());
    w.bytes += r.payload.size() + r.key.size() + r.source.size() + r.source_position.size() + 16;
  }
  ack->first_offsets.assign(partitions_.size(), -1);
  ack->counts.assign(partitions_.size(), 0);

  absl::MutexLock lock(&mu_);
  if (!failed_.ok()) return failed_;
  if (bounded && !queue_.empty() && queued_bytes_ + w.bytes > commit_.max_queued_bytes) {
    return Status::Busy("append queue of table " + name_ + " is full");
  }
  queue_.push_back(&w);
  queued_bytes_ += w.bytes;
  while (!w.done && queue_.front() != &w)
    w.cv.Wait(&mu_);
  if (w.done) return w.status;

  // This producer leads: take a group from the head of the queue.
  std::vector<Writer*> group;
  size_t group_bytes = 0;
  for (Writer* q : queue_) {
    if (!group.empty() && group_bytes + q->bytes > commit_.max_group_bytes) break;
    group.push_back(q);
    group_bytes += q->bytes;
  }
  Status s = failed_;
  if (s.ok()) {
    mu_.Unlock();
    bool sync_started = false;
    s = WriteGroup(group, &sync_started);
    bool recovered = false;
    if (s.code() == StatusCode::kNoSpace && !sync_started) recovered = RecoverFromFullDisk(&s);
    mu_.Lock();
    if (!s.ok() && !recovered) failed_ = s;
  }
  for (Writer* q : group) {
    STRATA_ASSERT(queue_.front() == q);
    queue_.pop_front();
    queued_bytes_ -= q->bytes;
    q->status = s;
    q->done = true;
    if (q != &w) q->cv.Signal();
  }
  if (!queue_.empty()) queue_.front()->cv.Signal();
  return w.status;
}

Status Table::FlushBatch(uint32_t p, BatchBuilder* builder, std::vector<bool>* dirty) {
  builder->Finish(config_.codec, &encoded_);
  ASSIGN_OR_RETURN(BatchHeader h, ParseBatchHeader(encoded_));
  RETURN_IF_ERROR(partitions_[p]->Append(encoded_, h));
  (*dirty)[p] = true;
  builder->Reset(partitions_[p]->next_offset());
  return Status::OK();
}

// A write refused for want of space wrote nothing that was synced: the partitions drop what
// the group appended, and the table goes on accepting appends (they succeed again once space
// returns). False, with *error saying why, if that cleanup failed: the table stops.
bool Table::RecoverFromFullDisk(Status* error) {
  for (auto& p : partitions_) {
    Status s = p->DiscardUnsynced();
    if (!s.ok()) {
      *error = s.WithContext("table " + name_ + ": after a full disk (" + error->message() + ")");
      return false;
    }
  }
  *error = Status::NoSpace("table " + name_ + ": the disk is full (" + error->message() +
                           "); the append was not acknowledged; retry when space is freed");
  return true;
}

Status Table::WriteGroup(const std::vector<Writer*>& group, bool* sync_started) {
  const uint32_t n = partition_count();
  std::vector<bool> dirty(n, false);
  for (uint32_t p = 0; p < n; ++p)
    builders_[p].Reset(partitions_[p]->next_offset());
  // Ingest times never decrease within a partition: time lookups and retention rely on it.
  const Micros now = NowMicros();
  for (Writer* w : group) {
    for (const AppendRecord& r : w->records) {
      BatchBuilder& b = builders_[r.partition];
      Micros ts = std::max(now, partitions_[r.partition]->last_ts());
      if (b.count() > 0) ts = std::max(ts, b.max_ts());
      if (w->ack->first_offsets[r.partition] < 0) {
        w->ack->first_offsets[r.partition] = static_cast<int64_t>(b.next_offset());
      }
      ++w->ack->counts[r.partition];
      b.Add(r, ts);
      if (b.body_size() >= commit_.max_batch_bytes) {
        RETURN_IF_ERROR(FlushBatch(r.partition, &b, &dirty));
      }
    }
  }
  for (uint32_t p = 0; p < n; ++p) {
    if (builders_[p].count() > 0) RETURN_IF_ERROR(FlushBatch(p, &builders_[p], &dirty));
  }
  RETURN_IF_ERROR(AbortPoint("group_commit.before_sync"));
  *sync_started = true;
  RETURN_IF_ERROR(SyncPartitions(dirty));
  RetainAfterRoll();
  return Status::OK();
}

// Runs the table's retention on the partitions that started a new segment in this group:
// only then can a whole segment have become removable by size. (Age-based removal of a
// quiet partition waits for its next roll or for Store::ApplyRetention.)
void Table::RetainAfterRoll() {
  const RetentionPolicy& policy = config_.retention;
  if (policy.max_bytes == 0 && policy.max_age == 0) return;
  RetentionPin pin;
  {
    absl::MutexLock lock(&mu_);
    pin = pin_;
  }
  Status status;
  for (auto& p : partitions_) {
    if (!p->TakeRolled()) continue;
    uint64_t keep_from = pin ? pin(name_, p->id()) : UINT64_MAX;
    auto removed = p->ApplyRetention(policy, NowMicros(), keep_from);
    if (!removed.ok() && status.ok()) status = removed.status();
  }
  absl::MutexLock lock(&mu_);
  retention_status_ = status;
}

void Table::SetRetentionPin(RetentionPin pin) {
  absl::MutexLock lock(&mu_);
  pin_ = std::move(pin);
}

Status Table::last_retention_status() {
  absl::MutexLock lock(&mu_);
  return retention_status_;
}

// fdatasync of several files waits mostly on the device; issuing them together lets the
// file system share journal commits, so the partitions are synced in parallel.
Status Table::SyncPartitions(const std::vector<bool>& dirty) {
  std::vector<std::future<Status>> syncs;
  Status first_error;
  for (uint32_t p = 0; p < dirty.size(); ++p) {
    if (!dirty[p]) continue;
    if (syncs.size() + 1 < static_cast<size_t>(std::count(dirty.begin(), dirty.end(), true))) {
      syncs.push_back(std::async(std::launch::async, [this, p] { return partitions_[p]->Sync(); }));
    } else {
      first_error = partitions_[p]->Sync();  // the last one on this thread
    }
  }
  for (auto& f : syncs) {
    Status s = f.get();
    if (first_error.ok()) first_error = s;
  }
  return first_error;
}

Result<uint32_t> Table::ApplyRetention(const RetentionPolicy& policy, Micros now,
                                       const RetentionPin& pin) {
  uint32_t removed = 0;
  for (uint32_t p = 0; p < partition_count(); ++p) {
    uint64_t keep_from = pin ? pin(name_, p) : UINT64_MAX;
    ASSIGN_OR_RETURN(uint32_t n, partitions_[p]->ApplyRetention(policy, now, keep_from));
    removed += n;
  }
  return removed;
}

}  // namespace strata::log
