#include "common/arena.h"

#include <cstring>

namespace strata {

char* Arena::Allocate(size_t n) {
  if (n <= left_) {
    char* p = ptr_;
    ptr_ += n;
    left_ -= n;
    return p;
  }
  // Large requests get a block of their own, so the current block's tail is not wasted.
  if (n > kBlockSize / 4) {
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(n));
    usage_ += n;
    return blocks_.back().get();
  }
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockSize));
  usage_ += kBlockSize;
  ptr_ = blocks_.back().get() + n;
  left_ = kBlockSize - n;
  return blocks_.back().get();
}

std::string_view Arena::Copy(std::string_view s) {
  if (s.empty()) return {};
  char* p = Allocate(s.size());
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

void Arena::Clear() {
  blocks_.clear();
  ptr_ = nullptr;
  left_ = usage_ = 0;
}

}  // namespace strata
