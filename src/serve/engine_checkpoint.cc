// Engine's checkpoints (serve/checkpoint.h): writing one, restoring one, the retention pin
// and the warnings of Open. The rest of the engine is in engine.cc.
#include "serve/engine.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "catalog/schema_registry.h"
#include "common/abort_point.h"
#include "common/file_system.h"
#include "common/filename.h"
#include "common/json_writer.h"
#include "runtime/runner.h"
#include "serve/engine_lane.h"

namespace strata::serve {

using runtime::Offsets;
using runtime::PipelineExecutor;

Status Engine::RestoreCheckpoint(uint64_t seq, std::set<std::string>* restored) {
  ASSIGN_OR_RETURN(LoadedCheckpoint c,
                   ReadCheckpoint(fs_, filename::CheckpointDir(CheckpointRoot(), seq)));
  auto load = [&](std::string_view lane, const sql::Pipeline& plan,
                  const std::string& logic) -> Result<std::unique_ptr<PipelineExecutor>> {
    ASSIGN_OR_RETURN(auto executor, MakeExecutor(plan));
    const CheckpointLane* entry = c.meta.Find(lane);
    if (entry == nullptr) return executor;
    if (entry->logic_hash != LogicHash(logic)) {
      return Status::FailedPrecondition("lane " + std::string(lane) + " was saved with logic " +
                                        entry->logic_hash + ", the pipeline now has logic " +
                                        LogicHash(logic));
    }
    RETURN_IF_ERROR(executor->Load(c.blobs.at(std::string(lane))).WithContext(std::string(lane)));
    return executor;
  };
  if (c.meta.Find(kMain) == nullptr) return Status::Corruption("no main lane");
  const std::string& logic = main_->executor->logic();
  ASSIGN_OR_RETURN(auto main, load(kMain, main_->plan, logic));
  ASSIGN_OR_RETURN(auto batch, load(kBatch, main_->plan, logic));
  RETURN_IF_ERROR(main->PublishBatch(*batch).WithContext("batch"));
  std::map<std::string, std::unique_ptr<PipelineExecutor>> lanes;
  for (auto& [name, lane] : replays_) {
    if (c.meta.Find(name) == nullptr) continue;
    ASSIGN_OR_RETURN(lanes[name], load(name, lane->plan, lane->executor->logic()));
  }
  main_->executor = std::move(main);
  batch_ = std::move(batch);
  restored->clear();
  for (auto& [name, executor] : lanes) {
    replays_.at(name)->executor = std::move(executor);
    restored->insert(name);
  }
  CheckpointInfo info;
  info.seq = seq;
  info.created = c.meta.created;
  info.bytes = c.meta.bytes();
  absl::MutexLock lock(&info_mu_);
  last_checkpoint_ = info;
  return Status::OK();
}

Status Engine::CheckRetained() const {
  auto check = [&](const Lane& lane, const PipelineExecutor& executor) -> Status {
    for (const auto& b : lane.plan.bronze) {
      ASSIGN_OR_RETURN(log::Table * table, store_->GetTable(b.name));
      for (uint32_t p = 0; p < table->partition_count(); ++p) {
        const uint64_t start = table->partition(p).start_offset();
        const uint64_t next = executor.next_offset(b.name, p);
        if (next >= start) continue;
        return Status::FailedPrecondition(
            "lane " + lane.name + " has to read " + b.name + " partition " + std::to_string(p) +
            " from offset " + std::to_string(next) + ", but retention removed everything before " +
            std::to_string(start) +
            " and no checkpoint that verifies covers it: the views cannot be recomputed (restore "
            "a checkpoint or the bronze segments)");
      }
    }
    return Status::OK();
  };
  RETURN_IF_ERROR(check(*main_, *main_->executor));
  for (const auto& [name, lane] : replays_)
    RETURN_IF_ERROR(check(*lane, *lane->executor));
  return Status::OK();
}

// ---- checkpoints ------------------------------------------------------------------------

namespace {

constexpr int kChildAborted = 3;  // the writer child's exit code when an abort point fired

// Starts a child that writes the checkpoint files (a copy-on-write snapshot of the lanes as
// they are now); *read_fd receives its error message, if any.
Result<pid_t> ForkCheckpointWriter(FileSystem* fs, const std::string& dir,
                                   std::vector<CheckpointBlob>* blobs, CheckpointMeta* meta,
                                   int* read_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::FromErrno("pipe", dir, errno);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::FromErrno("fork", dir, e);
  }
  if (pid == 0) {
    // The child: only this thread exists, and the other threads' locks may be held forever.
    // It touches the executors (read-only), `fs` and the heap, and leaves with _exit.
    ::close(fds[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the server (its lock, its port)
    if (::getppid() != parent) ::_exit(1);
    Status s = WriteCheckpointFiles(fs, dir, blobs, meta);
    if (!s.ok()) {
      const std::string m = s.ToString();
      ssize_t n = ::write(fds[1], m.data(), m.size());
      (void)n;
    }
    ::_exit(s.ok() ? 0 : s.code() == StatusCode::kAborted ? kChildAborted : 1);
  }
  ::close(fds[1]);
  *read_fd = fds[0];
  return pid;
}

Status WaitForCheckpointWriter(pid_t pid, int read_fd) {
  std::string message;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(read_fd, buf, sizeof(buf));
    if (n > 0) {
      message.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(read_fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::FromErrno("waitpid", "checkpoint writer", errno);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
  if (WIFEXITED(status) && WEXITSTATUS(status) == kChildAborted) {
    (void)AbortPoint("checkpoint.before_meta");  // it fired in the child: disarm it here too
    return Status::Aborted(message);
  }
  if (WIFSIGNALED(status)) {
    return Status::IOError("checkpoint writer killed by signal " +
                           std::to_string(WTERMSIG(status)));
  }
  return Status::IOError("checkpoint writer: " + message);
}

}  // namespace

std::string CheckpointInfo::ToJson() const {
  return JsonObject()
      .Add("seq", seq)
      .Add("created", FormatTimestamp(created))
      .Add("bytes", bytes)
      .Add("seconds", seconds)
      .Add("hold_ms", hold_seconds * 1e3)
      .Add("kept", static_cast<uint64_t>(kept))
      .Finish();
}

std::string Engine::CheckpointRoot() const {
  return runtime::PipelinePaths(data_dir_).checkpoints;
}

void Engine::Warn(std::string message) {
  absl::MutexLock lock(&info_mu_);
  warnings_.push_back(std::move(message));
}

std::vector<std::string> Engine::warnings() const {
  absl::MutexLock lock(&info_mu_);
  return warnings_;
}

std::optional<CheckpointInfo> Engine::last_checkpoint() const {
  absl::MutexLock lock(&info_mu_);
  return last_checkpoint_;
}

Result<std::map<std::string, uint32_t>> Engine::SchemaVersions() const {
  std::map<std::string, uint32_t> out;
  for (const auto& b : plan_->bronze) {
    ASSIGN_OR_RETURN(auto history, catalog::LoadSchemaHistory(
                                       fs_, filename::SchemaHistory(store_->dir(), b.name)));
    out[b.name] =
        history && !history->versions.empty() ? static_cast<uint32_t>(history->versions.size()) : 1;
  }
  return out;
}

void Engine::SetPin(const std::vector<CheckpointMeta>& kept) {
  std::optional<Offsets> pin;
  for (const auto& meta : kept) {
    for (const auto& lane : meta.lanes) {
      if (lane.name == kBatch) continue;  // complete as saved: it never reads bronze again
      if (!pin) pin.emplace();
      for (const auto& [table, offsets] : lane.offsets) {
        auto [it, inserted] = pin->try_emplace(table, offsets);
        for (size_t p = 0; !inserted && p < offsets.size() && p < it->second.size(); ++p)
          it->second[p] = std::min(it->second[p], offsets[p]);
      }
    }
  }
  {
    absl::MutexLock lock(&pin_->mu);
    pin_->offsets = std::move(pin);
  }
  absl::MutexLock lock(&info_mu_);
  kept_count_ = kept.size();
}

Result<LoadedCheckpoint> Engine::FindCheckpoint(std::string_view spec) const {
  const std::string root = CheckpointRoot();
  ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, ListCheckpoints(fs_, root));
  if (spec == "latest") {
    Status last = Status::NotFound("--from-checkpoint: there is no checkpoint yet");
    for (uint64_t seq : seqs) {
      auto c = ReadCheckpoint(fs_, filename::CheckpointDir(root, seq));
      if (c.ok() && c->meta.Find(kMain) != nullptr) return c;
      last = c.ok() ? Status::Corruption("no main lane") : c.status();
    }
    return last;
  }
  uint64_t seq = 0;
  auto [p, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), seq);
  if (spec.empty() || ec != std::errc() || p != spec.data() + spec.size()) {
    return Status::InvalidArgument("--from-checkpoint: '" + std::string(spec) +
                                   "' is neither a checkpoint number nor latest");
  }
  if (std::find(seqs.begin(), seqs.end(), seq) == seqs.end()) {
    std::string kept;
    for (uint64_t s : seqs)
      kept += (kept.empty() ? "" : ", ") + std::to_string(s);
    return Status::NotFound("--from-checkpoint: no checkpoint " + std::to_string(seq) +
                            " (kept: " + (kept.empty() ? "none" : kept) + ")");
  }
  ASSIGN_OR_RETURN(LoadedCheckpoint c, ReadCheckpoint(fs_, filename::CheckpointDir(root, seq)));
  if (c.meta.Find(kMain) == nullptr) return Status::Corruption("checkpoint without a main lane");
  return c;
}

Result<CheckpointInfo> Engine::Checkpoint() {
  RETURN_IF_ERROR(RequireWritable());
  absl::MutexLock checkpoint_lock(&checkpoint_mu_);
  const Micros start = MonotonicMicros();
  const std::string root = CheckpointRoot();
  const uint64_t seq = next_checkpoint_++;
  const std::string dir = filename::CheckpointDir(root, seq);
  const std::string tmp = filename::CheckpointTmpDir(root, seq);
  ASSIGN_OR_RETURN(auto leftovers, ListCheckpointLeftovers(fs_, root));  // of failed ones
  for (const auto& left : leftovers)
    RETURN_IF_ERROR(RemoveCheckpointDir(fs_, left));
  RETURN_IF_ERROR(fs_->CreateDirs(tmp));
  CheckpointMeta meta;
  meta.seq = seq;
  ASSIGN_OR_RETURN(meta.schema_versions, SchemaVersions());
  std::vector<CheckpointBlob> blobs;
  pid_t child = -1;
  int child_fd = -1;
  Micros hold = 0;
  {
    // The cut: every lane as it is now. Only the fork (or the serialization) happens here.
    absl::MutexLock lock(&mu_);
    const Micros locked = MonotonicMicros();
    meta.created = NowMicros();
    auto add = [&](std::string name, std::string file, const PipelineExecutor& executor) {
      blobs.push_back(
          {{std::move(name), LogicHash(executor.logic()), std::move(file), executor.offsets()},
           &executor,
           {}});
    };
    add(kMain, filename::CheckpointLaneFile(kMain, false), *main_->executor);
    add(kBatch, filename::CheckpointLaneFile(kBatch, false), *batch_);
    for (const auto& [name, lane] : replays_)
      add(name, filename::CheckpointLaneFile(name, true), *lane->executor);
    if (options_.checkpoint_in_child) {
      ASSIGN_OR_RETURN(child, ForkCheckpointWriter(fs_, tmp, &blobs, &meta, &child_fd));
    } else {
      for (CheckpointBlob& b : blobs) {
        RETURN_IF_ERROR(b.executor->Save(&b.bytes));
        b.executor = nullptr;
      }
    }
    hold = MonotonicMicros() - locked;
  }
  if (child > 0) {
    RETURN_IF_ERROR(WaitForCheckpointWriter(child, child_fd));
    ASSIGN_OR_RETURN(meta, ReadCheckpointMeta(fs_, tmp));  // what the child wrote
  } else {
    RETURN_IF_ERROR(WriteCheckpointFiles(fs_, tmp, &blobs, &meta));
  }
  RETURN_IF_ERROR(AbortPoint("checkpoint.before_rename"));
  RETURN_IF_ERROR(fs_->Rename(tmp, dir));
  RETURN_IF_ERROR(fs_->SyncDir(root));
  // Durable: from here on a restart restores this checkpoint (or a newer one).
  CheckpointInfo info;
  info.seq = seq;
  info.created = meta.created;
  info.bytes = meta.bytes();
  info.hold_seconds = hold / 1e6;
  kept_.push_back(std::move(meta));
  RETURN_IF_ERROR(AbortPoint("checkpoint.before_prune"));
  // The state files of earlier releases are superseded.
  runtime::PipelinePaths paths(data_dir_);
  for (const std::string& legacy : {paths.streaming, paths.batch}) {
    if (fs_->Exists(legacy)) RETURN_IF_ERROR(fs_->Remove(legacy));
  }
  RETURN_IF_ERROR(Prune());
  info.kept = kept_.size();
  info.seconds = (MonotonicMicros() - start) / 1e6;
  absl::MutexLock lock(&info_mu_);
  last_checkpoint_ = info;
  return info;
}

Status Engine::Prune() {
  const size_t keep = std::max<size_t>(1, options_.keep_checkpoints);
  ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, ListCheckpoints(fs_, CheckpointRoot()));
  for (size_t i = keep; i < seqs.size(); ++i) {
    RETURN_IF_ERROR(RemoveCheckpointDir(fs_, filename::CheckpointDir(CheckpointRoot(), seqs[i])));
  }
  if (seqs.size() > keep) RETURN_IF_ERROR(fs_->SyncDir(CheckpointRoot()));
  std::erase_if(kept_, [&](const CheckpointMeta& m) {
    return std::find(seqs.begin(), seqs.begin() + std::min(keep, seqs.size()), m.seq) ==
           seqs.begin() + std::min(keep, seqs.size());
  });
  SetPin(kept_);  // only now: retention keeps what the deleted checkpoints needed until here
  return Status::OK();
}

Status Engine::Save() {
  return Checkpoint().status();
}

}  // namespace strata::serve
