// Stable hashing. Partition assignment must never change across versions, machines or
// restarts (a key's records must stay in one partition), so it uses XXH64 with a fixed seed,
// whose output the xxHash project guarantees to be stable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata {

uint64_t StableHash64(std::string_view bytes);

// A hash for tables keyed by byte strings (encoded keys), transparent so that lookups take
// a string_view without building a std::string.
struct BytesHash {
  using is_transparent = void;
  size_t operator()(std::string_view bytes) const {
    return static_cast<size_t>(StableHash64(bytes));
  }
};

// The partition of a key among `partitions` (> 0).
inline uint32_t PartitionForKey(std::string_view key, uint32_t partitions) {
  return static_cast<uint32_t>(StableHash64(key) % partitions);
}

}  // namespace strata
