#include "log/partition.h"

#include <algorithm>

#include "common/abort_point.h"
#include "common/filename.h"

namespace strata::log {

Partition::Partition(FileSystem* fs, std::string dir, uint32_t id, const PartitionOptions& options)
    : fs_(fs), dir_(std::move(dir)), id_(id), options_(options) {}

Partition::~Partition() = default;

Result<std::unique_ptr<Partition>> Partition::Open(FileSystem* fs, std::string dir, uint32_t id,
                                                   const PartitionOptions& options,
                                                   std::vector<std::string>* report) {
  std::unique_ptr<Partition> p(new Partition(fs, std::move(dir), id, options));
  RETURN_IF_ERROR(p->Recover(report));
  return p;
}

Status Partition::CreateSegment(uint64_t base_offset) {
  auto seg = std::make_shared<SegmentMeta>();
  seg->base_offset = seg->end_offset = base_offset;
  seg->log_path = JoinPath(dir_, filename::SegmentName(base_offset, filename::kSegmentLog));
  seg->index_path = JoinPath(dir_, filename::SegmentName(base_offset, filename::kSegmentIndex));
  // The new file replaces the active one only once its name is durable: a failure (a full
  // disk) leaves the partition appending to the segment it had.
  ASSIGN_OR_RETURN(auto file, fs_->OpenWritable(seg->log_path, /*truncate=*/true));
  if (Status s = fs_->SyncDir(dir_); !s.ok()) {
    // An empty segment named after an offset that the active one goes on to fill would not
    // open again: remove it.
    (void)fs_->Remove(seg->log_path);
    return s;
  }
  if (active_ != nullptr) RETURN_IF_ERROR(active_->Close());
  active_ = std::move(file);
  active_base_ = base_offset;
  last_indexed_position_ = 0;
  absl::MutexLock lock(&mu_);
  segments_.push_back(std::move(seg));
  return Status::OK();
}

Status Partition::Recover(std::vector<std::string>* report) {
  auto names = fs_->ListDir(dir_);
  if (!names.ok() && names.status().IsNotFound() && !options_.read_only) {
    RETURN_IF_ERROR(fs_->CreateDirs(dir_));
    names = std::vector<std::string>();
  }
  if (!names.ok()) return names.status();
  std::vector<uint64_t> bases;
  for (const std::string& name : *names) {
    if (auto base = filename::ParseSegmentName(name)) bases.push_back(*base);
  }
  if (!options_.read_only) {
    // Leftovers of interrupted work: temporaries, and index files whose segment retention
    // removed just before a crash.
    for (const std::string& name : *names) {
      std::optional<uint64_t> index = filename::ParseSegmentName(name, filename::kSegmentIndex);
      bool orphan_index = index && !std::binary_search(bases.begin(), bases.end(), *index);
      if (orphan_index || filename::IsTemporary(name))
        RETURN_IF_ERROR(fs_->Remove(JoinPath(dir_, name)));
    }
  }
  if (bases.empty()) {
    if (options_.read_only) {
      absl::MutexLock lock(&mu_);
      segments_.push_back(std::make_shared<SegmentMeta>());
      return Status::OK();
    }
    return CreateSegment(0);
  }
  std::vector<std::shared_ptr<SegmentMeta>> segments;
  for (size_t i = 0; i < bases.size(); ++i) {
    auto seg = std::make_shared<SegmentMeta>();
    seg->base_offset = bases[i];
    seg->log_path = JoinPath(dir_, filename::SegmentName(bases[i], filename::kSegmentLog));
    seg->index_path = JoinPath(dir_, filename::SegmentName(bases[i], filename::kSegmentIndex));
    bool last = i + 1 == bases.size();
    RETURN_IF_ERROR(last ? RecoverActive(seg.get(), report) : RecoverSealed(seg.get(), report));
    if (seg->corrupt_from != UINT64_MAX) seg->end_offset = bases[i + 1];
    if (!segments.empty() && segments.back()->end_offset != seg->base_offset) {
      return Status::Corruption(
          dir_ + ": segment " + filename::SegmentName(seg->base_offset, filename::kSegmentLog) +
          " starts at offset " + std::to_string(seg->base_offset) +
          " but the previous segment ends at " + std::to_string(segments.back()->end_offset));
    }
    last_ts_ = std::max(last_ts_, seg->max_ts);
    segments.push_back(std::move(seg));
  }
  const std::shared_ptr<SegmentMeta> active = segments.back();
  {
    absl::MutexLock lock(&mu_);
    segments_ = std::move(segments);
  }
  active_base_ = active->base_offset;
  next_offset_ = active->end_offset;
  if (!active->index.empty()) last_indexed_position_ = active->index.back().position;
  if (options_.read_only) return Status::OK();
  ASSIGN_OR_RETURN(active_, fs_->OpenWritable(active->log_path, /*truncate=*/false));
  return Status::OK();
}

Status Partition::RecoverSealed(SegmentMeta* seg, std::vector<std::string>* report) {
  seg->sealed = true;
  ASSIGN_OR_RETURN(seg->size_bytes, fs_->FileSize(seg->log_path));
  std::string index_bytes;
  Status s = fs_->ReadFile(seg->index_path, &index_bytes);
  if (s.ok()) s = DecodeIndexFile(index_bytes, seg->size_bytes, seg);
  if (s.ok()) return Status::OK();
  ASSIGN_OR_RETURN(auto file, fs_->OpenReadable(seg->log_path));
  ScanResult scan = ScanSegment(*file, seg->size_bytes, seg->base_offset,
                                options_.index_interval_bytes, seg->log_path);
  seg->end_offset = scan.end_offset;
  seg->max_ts = scan.max_ts;
  seg->index = std::move(scan.index);
  if (!scan.error.ok()) {
    seg->corrupt_from = scan.valid_bytes;
    report->push_back("sealed segment damaged, records after byte " +
                      std::to_string(scan.valid_bytes) +
                      " cannot be read: " + scan.error.message());
    return Status::OK();
  }
  report->push_back("rebuilt index " + seg->index_path + " (" + s.message() + ")");
  if (options_.read_only) return Status::OK();
  return fs_->WriteFileAtomic(seg->index_path, EncodeIndexFile(*seg));
}

Status Partition::RecoverActive(SegmentMeta* seg, std::vector<std::string>* report) {
  ASSIGN_OR_RETURN(uint64_t file_size, fs_->FileSize(seg->log_path));
  ASSIGN_OR_RETURN(auto file, fs_->OpenReadable(seg->log_path));
  ScanResult scan =
      ScanSegment(*file, file_size, seg->base_offset, options_.index_interval_bytes, seg->log_path);
  seg->end_offset = scan.end_offset;
  seg->max_ts = scan.max_ts;
  seg->size_bytes = scan.valid_bytes;
  seg->index = std::move(scan.index);
  if (scan.error.ok()) return Status::OK();
  std::string what = std::to_string(file_size - scan.valid_bytes) + " bytes after offset " +
                     std::to_string(scan.end_offset) + " (" + scan.error.message() + ")";
  if (options_.read_only) {
    // A writer may be appending right now: leave the file alone, read up to the good end.
    report->push_back("not reading " + what + ": being written, or torn by a crash");
    return Status::OK();
  }
  report->push_back("truncated torn tail: " + what);
  return fs_->Truncate(seg->log_path, scan.valid_bytes);
}

Status Partition::Append(std::string_view batch, const BatchHeader& header) {
  STRATA_ASSERT(active_ != nullptr && header.base_offset == next_offset_);
  if (active_->Size() >= options_.segment_bytes) RETURN_IF_ERROR(Roll());
  uint64_t position = active_->Size();
  RETURN_IF_ERROR(active_->Append(batch));
  if (position == 0 || position >= last_indexed_position_ + options_.index_interval_bytes) {
    pending_index_.push_back({static_cast<uint32_t>(header.base_offset - active_base_),
                              static_cast<uint32_t>(position), header.first_ts});
    last_indexed_position_ = position;
  }
  next_offset_ = header.end_offset();
  last_ts_ = std::max(last_ts_, header.max_ts);
  return Status::OK();
}

Status Partition::Sync() {
  if (Status s = active_->Sync(); !s.ok()) {
    sync_failed_ = true;
    return s;
  }
  absl::MutexLock lock(&mu_);
  SegmentMeta& seg = *segments_.back();
  seg.index.insert(seg.index.end(), pending_index_.begin(), pending_index_.end());
  pending_index_.clear();
  seg.end_offset = next_offset_;
  seg.size_bytes = active_->Size();
  seg.max_ts = std::max(seg.max_ts, last_ts_);
  return Status::OK();
}

// Seals the active segment and starts the next one. Order matters for crash safety: the old
// segment is durable and indexed before a file names its successor, so a crash at any point
// leaves either the old layout or a valid new one (at worst an empty last segment).
Status Partition::Roll() {
  RETURN_IF_ERROR(Sync());
  std::string index_bytes;
  std::string index_path;
  {
    absl::MutexLock lock(&mu_);
    segments_.back()->sealed = true;
    index_bytes = EncodeIndexFile(*segments_.back());
    index_path = segments_.back()->index_path;
  }
  Status s = AbortPoint("segment_roll.before_index");
  if (s.ok()) s = fs_->WriteFileAtomic(index_path, index_bytes);
  if (s.ok()) s = AbortPoint("segment_roll.before_create");
  if (s.ok()) s = CreateSegment(next_offset_);
  if (!s.ok()) {
    // Still the active segment; the next append tries the roll again.
    absl::MutexLock lock(&mu_);
    segments_.back()->sealed = false;
    return s;
  }
  rolled_ = true;
  return AbortPoint("segment_roll.after_create");
}

Status Partition::DiscardUnsynced() {
  // After a failed fdatasync the kernel may have dropped pages of bytes already counted as
  // written: nothing here can be trusted until recovery reads the disk again.
  if (sync_failed_) return Status::FailedPrecondition("an fdatasync failed; reopen the store");
  uint64_t durable_bytes;
  {
    absl::MutexLock lock(&mu_);
    const SegmentMeta& seg = *segments_.back();
    durable_bytes = seg.size_bytes;
    next_offset_ = seg.end_offset;
    last_indexed_position_ = seg.index.empty() ? 0 : seg.index.back().position;
  }
  pending_index_.clear();
  if (active_->Size() == durable_bytes) return Status::OK();
  return active_->Truncate(durable_bytes);
}

uint64_t Partition::start_offset() const {
  absl::MutexLock lock(&mu_);
  return segments_.front()->base_offset;
}

uint64_t Partition::end_offset() const {
  absl::MutexLock lock(&mu_);
  return segments_.back()->end_offset;
}

ReadLocation Partition::LocationIn(const SegmentMeta& seg, uint64_t position) const {
  ReadLocation loc;
  loc.path = seg.log_path;
  loc.position = position;
  loc.limit_bytes = seg.size_bytes;
  loc.corrupt_from = seg.corrupt_from;
  loc.end_offset = seg.end_offset;
  return loc;
}

Result<ReadLocation> Partition::Locate(uint64_t offset) const {
  std::shared_ptr<SegmentMeta> seg;
  ReadLocation loc;
  {
    absl::MutexLock lock(&mu_);
    if (offset < segments_.front()->base_offset) {
      return Status::OutOfRange("offset " + std::to_string(offset) + " of partition " +
                                std::to_string(id_) + " was removed by retention (first offset " +
                                std::to_string(segments_.front()->base_offset) + ")");
    }
    // Last segment whose base offset is <= offset.
    auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                               [](uint64_t o, const auto& s) { return o < s->base_offset; });
    seg = *std::prev(it);
    loc = LocationIn(*seg, offset >= seg->end_offset ? seg->size_bytes : seg->SeekPosition(offset));
  }
  if (loc.limit_bytes > loc.position) {
    absl::MutexLock lock(&mu_);
    if (!seg->file) {
      ASSIGN_OR_RETURN(auto f, fs_->OpenReadable(seg->log_path));
      seg->file = std::move(f);
    }
    loc.file = seg->file;
  }
  return loc;
}

uint64_t Partition::SeekOffsetForTime(Micros t) const {
  absl::MutexLock lock(&mu_);
  auto it = std::find_if(segments_.begin(), segments_.end(), [&](const auto& s) {
    return s->max_ts >= t && s->end_offset > s->base_offset;
  });
  return it == segments_.end() ? segments_.back()->end_offset : (*it)->SeekTimeOffset(t);
}

PartitionStats Partition::Stats() const {
  absl::MutexLock lock(&mu_);
  PartitionStats s;
  s.id = id_;
  s.start_offset = segments_.front()->base_offset;
  s.end_offset = segments_.back()->end_offset;
  s.segments = static_cast<uint32_t>(segments_.size());
  for (const auto& seg : segments_) {
    s.bytes += seg->size_bytes;
    s.max_ts = std::max(s.max_ts, seg->max_ts);
  }
  return s;
}

Result<uint32_t> Partition::ApplyRetention(const RetentionPolicy& policy, Micros now,
                                           uint64_t pin_offset) {
  if (options_.read_only) return Status::FailedPrecondition("retention on a read-only partition");
  std::vector<std::shared_ptr<SegmentMeta>> removed;
  {
    absl::MutexLock lock(&mu_);
    uint64_t total = 0;
    for (const auto& seg : segments_)
      total += seg->size_bytes;
    size_t n = 0;
    while (n + 1 < segments_.size() && segments_[n]->sealed) {
      const SegmentMeta& seg = *segments_[n];
      bool over_size = policy.max_bytes > 0 && total > policy.max_bytes;
      bool too_old = policy.max_age > 0 && seg.max_ts < now - policy.max_age;
      if (!(over_size || too_old) || seg.end_offset > pin_offset) break;
      total -= seg.size_bytes;
      ++n;
    }
    removed.assign(segments_.begin(), segments_.begin() + static_cast<long>(n));
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<long>(n));
  }
  // Oldest first, log before index: a crash leaves a valid prefix removed and at most an
  // orphan index file, which Open removes.
  for (const auto& seg : removed) {
    RETURN_IF_ERROR(fs_->Remove(seg->log_path));
    if (fs_->Exists(seg->index_path)) RETURN_IF_ERROR(fs_->Remove(seg->index_path));
  }
  if (!removed.empty()) RETURN_IF_ERROR(fs_->SyncDir(dir_));
  return static_cast<uint32_t>(removed.size());
}

}  // namespace strata::log
