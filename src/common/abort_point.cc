#include "common/abort_point.h"

#include <atomic>
#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace strata {
namespace {

std::atomic<int> armed_count{0};
ABSL_CONST_INIT absl::Mutex mu(absl::kConstInit);
std::set<std::string, std::less<>>& Armed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  static auto* armed = new std::set<std::string, std::less<>>();
  return *armed;
}

}  // namespace

Status AbortPoint(std::string_view name) {
  if (armed_count.load(std::memory_order_relaxed) == 0) return Status::OK();
  absl::MutexLock lock(&mu);
  auto it = Armed().find(name);
  if (it == Armed().end()) return Status::OK();
  Armed().erase(it);
  armed_count.fetch_sub(1);
  return Status::Aborted("abort point " + std::string(name));
}

void ArmAbortPoint(std::string name) {
  absl::MutexLock lock(&mu);
  if (Armed().insert(std::move(name)).second) armed_count.fetch_add(1);
}

void DisarmAllAbortPoints() {
  absl::MutexLock lock(&mu);
  Armed().clear();
  armed_count.store(0);
}

}  // namespace strata
