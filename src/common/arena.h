// An arena for the variable-length bytes of a batch (LevelDB's util/arena.h): allocations
// are carved from blocks and freed all at once. Allocated bytes never move, so views into
// them stay valid for the arena's lifetime. Not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace strata {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&&) = default;
  Arena& operator=(Arena&&) = default;

  char* Allocate(size_t n);
  // Copies `s` into the arena and returns a view of the copy.
  std::string_view Copy(std::string_view s);
  // Bytes handed out plus the unused tails of blocks.
  size_t MemoryUsage() const { return usage_; }
  void Clear();

 private:
  static constexpr size_t kBlockSize = 64 * 1024;
  char* ptr_ = nullptr;
  size_t left_ = 0;
  size_t usage_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
};

}  // namespace strata
