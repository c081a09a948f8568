#include "common/abort_point.h"

#include <atomic>
#include <mutex>
#include <set>

namespace strata {
namespace {

std::atomic<int> armed_count{0};
std::mutex mu;
std::set<std::string, std::less<>>& Armed() {
  static auto* armed = new std::set<std::string, std::less<>>();
  return *armed;
}

}  // namespace

Status AbortPoint(std::string_view name) {
  if (armed_count.load(std::memory_order_relaxed) == 0) return Status::OK();
  std::lock_guard lock(mu);
  auto it = Armed().find(name);
  if (it == Armed().end()) return Status::OK();
  Armed().erase(it);
  armed_count.fetch_sub(1);
  return Status::Aborted("abort point " + std::string(name));
}

void ArmAbortPoint(std::string name) {
  std::lock_guard lock(mu);
  if (Armed().insert(std::move(name)).second) armed_count.fetch_add(1);
}

void DisarmAllAbortPoints() {
  std::lock_guard lock(mu);
  Armed().clear();
  armed_count.store(0);
}

}  // namespace strata
