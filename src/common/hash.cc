#include "common/hash.h"

#include <xxhash.h>

namespace strata {

uint64_t StableHash64(std::string_view bytes) {
  return XXH64(bytes.data(), bytes.size(), 0);
}

}  // namespace strata
