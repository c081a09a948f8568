#include "common/assert.h"

#include <cstdio>
#include <cstdlib>

namespace strata::internal {

void AssertFail(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "strata: invariant violated: %s at %s:%d\n", condition, file, line);
  std::abort();
}

}  // namespace strata::internal
